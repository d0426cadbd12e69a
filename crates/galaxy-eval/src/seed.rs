//! The seed project's published figures (its FACTS.md) on its two test sets of one galaxy (flux 1e5,
//! n 3, hlr 0.3", g = (−0.069, 0.15), Moffat FWHM 0.5"), to compare new estimators against.

use sersic_render::PARAM_NAMES;

use crate::summary::ErrorTable;

/// The seed's published figures for one parameter (FACTS.md): CRB, Xception bias and std, baseline MLE
/// bias and std; flux in units of 1e5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedRow {
    /// The Cramér–Rao bound it quotes.
    pub crb: f64,
    /// Its Xception's (bias, std).
    pub xception: (f64, f64),
    /// Its baseline maximum-likelihood fit's (bias, std).
    pub mle: (f64, f64),
}

const fn row(crb: f64, xception: (f64, f64), mle: (f64, f64)) -> SeedRow {
    SeedRow { crb, xception, mle }
}

/// The SNR 60 test set (sigma 200), in [`sersic_render::PARAM_NAMES`] order.
pub const SEED_SNR60: [SeedRow; 5] = [
    row(0.056, (0.039, 0.063), (0.014, 0.120)),
    row(0.78, (0.435, 0.765), (-0.168, 1.165)),
    row(0.028, (0.022, 0.035), (0.016, 0.063)),
    row(0.054, (0.011, 0.048), (0.015, 0.057)),
    row(0.054, (-0.013, 0.055), (-0.085, 0.087)),
];

/// The SNR 30 test set (sigma 400).
pub const SEED_SNR30: [SeedRow; 5] = [
    row(0.11, (0.052, 0.098), (0.017, 0.126)),
    row(1.56, (0.740, 0.828), (-0.183, 2.307)),
    row(0.056, (0.031, 0.060), (0.044, 0.133)),
    row(0.11, (0.013, 0.091), (0.055, 0.132)),
    row(0.11, (-0.024, 0.100), (-0.184, 0.169)),
];

impl SeedRow {
    /// Its Xception's RMSE, sqrt(bias² + std²).
    pub fn xception_rmse(&self) -> f64 {
        let (b, s) = self.xception;
        (b * b + s * s).sqrt()
    }
}

/// The seed's headline table for one test set: per parameter the truth, our CRB and the seed's, the
/// seed's Xception and MLE (bias / std), then `network`'s and `fit`'s bias / std (RMSE), all in the
/// seed's units (tables from [`ErrorTable::new`] with the bounds), and a closing line counting the
/// parameters where the network's RMSE is below the seed's Xception's.
pub fn headline_table(network: &ErrorTable, fit: &ErrorTable, seed: &[SeedRow; 5]) -> String {
    let mut out = format!(
        "{:<18} {:>7} {:>7} {:>7} | {:>17} {:>17} | {:>24} {:>24}\n",
        "parameter",
        "true",
        "CRB",
        "seed CRB",
        "seed Xception",
        "seed MLE",
        "network bias/std (RMSE)",
        "galaxy fit bias/std (RMSE)"
    );
    let pair = |(b, s): (f64, f64)| format!("{b:.3} / {s:.3}");
    let ours = |t: &ErrorTable, j: usize| {
        let s = t.rows[j].summary;
        format!("{:.3} / {:.3} ({:.3})", s.bias, s.std, s.rmse)
    };
    for (j, name) in PARAM_NAMES.iter().enumerate() {
        let row = &network.rows[j];
        out += &format!(
            "{name:<18} {:>7.3} {:>7.3} {:>7.3} | {:>17} {:>17} | {:>24} {:>24}\n",
            row.mean_truth,
            row.crb.unwrap_or(f64::NAN),
            seed[j].crb,
            pair(seed[j].xception),
            pair(seed[j].mle),
            ours(network, j),
            ours(fit, j)
        );
    }
    let beats = (0..5)
        .filter(|&j| network.rows[j].summary.rmse < seed[j].xception_rmse())
        .count();
    out += &format!(
        "network RMSE below the seed's Xception (sqrt(bias² + std²)) for {beats} of 5 parameters\n"
    );
    out
}
