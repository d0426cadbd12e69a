//! The seed's datasets by name.

use std::fmt;
use std::str::FromStr;

use crate::error::DataError;
use crate::prior::{Dist, Prior, ShapePrior};
use crate::simulate::{SimSettings, SnrWindow};

/// The seed's test galaxy: flux 1e5, n 3, hlr 0.3", g = (−0.069, 0.15), seen through a 0.5" Moffat.
pub const TEST_GALAXY: [f64; 5] = [1e5, 3.0, 0.3, -0.069, 0.15];

/// One of the seed's datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// 1000 discrete n, PSF FWHM 0.5", sigma 200; SNR in [10, 100]; 200,000 images.
    DataV1,
    /// As data_v1 with sigma U{200..400}.
    DataV2,
    /// As data_v2 with PSF FWHM U(0.5, 1.0).
    DataV3,
    /// 10,000 noisy realisations of the test galaxy at sigma 400 (SNR 29.95).
    Snr30,
    /// 10,000 noisy realisations of the test galaxy at sigma 200 (SNR 59.90).
    Snr60,
}

impl Preset {
    /// Every preset, in the seed's order.
    pub const ALL: [Preset; 5] = [
        Preset::DataV1,
        Preset::DataV2,
        Preset::DataV3,
        Preset::Snr30,
        Preset::Snr60,
    ];

    /// The preset's name as the seed wrote it (`data_v1`, …, `snr60`).
    pub fn name(&self) -> &'static str {
        match self {
            Preset::DataV1 => "data_v1",
            Preset::DataV2 => "data_v2",
            Preset::DataV3 => "data_v3",
            Preset::Snr30 => "snr30",
            Preset::Snr60 => "snr60",
        }
    }

    /// How many images the seed's file holds.
    pub fn default_size(&self) -> u64 {
        match self {
            Preset::DataV1 | Preset::DataV2 | Preset::DataV3 => 200_000,
            Preset::Snr30 | Preset::Snr60 => 10_000,
        }
    }

    /// The simulation settings that reproduce the seed's dataset.
    pub fn settings(&self) -> SimSettings {
        let seed_grid = Dist::Grid {
            lo: 0.5,
            hi: 6.0,
            count: 1000,
        };
        let seed_sigmas = Dist::IntegerUniform { lo: 200, hi: 400 };
        let training = |prior| SimSettings {
            snr_window: Some(SnrWindow::SEED),
            ..SimSettings::new(prior)
        };
        let test_set = |sigma| {
            let [flux, n, hlr, g1, g2] = TEST_GALAXY;
            SimSettings::new(Prior {
                flux: Dist::Fixed(flux),
                sersic_index: Dist::Fixed(n),
                half_light_radius: Dist::Fixed(hlr),
                shape: ShapePrior::Fixed { g1, g2 },
                psf_fwhm: Dist::Fixed(0.5),
                sigma: Dist::Fixed(sigma),
            })
        };
        match self {
            Preset::DataV1 => {
                training(Prior::seed(seed_grid, Dist::Fixed(0.5), Dist::Fixed(200.0)))
            }
            Preset::DataV2 => training(Prior::seed(seed_grid, Dist::Fixed(0.5), seed_sigmas)),
            Preset::DataV3 => training(Prior::seed(
                seed_grid,
                Dist::Uniform { lo: 0.5, hi: 1.0 },
                seed_sigmas,
            )),
            Preset::Snr30 => test_set(400.0),
            Preset::Snr60 => test_set(200.0),
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Preset::ALL.iter().map(|p| p.name()).collect();
                DataError::UnknownPreset(format!(
                    "unknown preset '{s}'; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}
