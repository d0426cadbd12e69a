//! `galaxy demo`: the seed's headline experiment in a few minutes. Simulates its two test sets (one galaxy,
//! SNR 60 and SNR 30), measures every image with the built-in network and with the maximum-likelihood fit,
//! and prints bias / std per parameter beside the Cramér–Rao bound and the seed's published figures.

use candle_core::Device;
use clap::Args;
use galaxy_data::{Preset, Simulator};
use mle_fit::{crb, FitOptions, Fitter, NoiseOption};
use ndarray::Axis;
use sersic_render::{GalaxyParams, Renderer, Stamp, PARAM_NAMES};

use crate::fit::{fit_error, fit_images, moffat, thread_pool};
use crate::nets::net_error;
use crate::stats::{summarize, Summary};
use crate::CliError;

/// Arguments of `galaxy demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Noisy images per test set (the seed used 10,000).
    #[arg(long, default_value_t = 2000)]
    count: u64,
    /// Seed of the simulated noise.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// Worker threads for the fits (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// The seed's published figures for one parameter (FACTS.md): CRB, Xception bias and std, baseline MLE
/// bias and std; flux in units of 1e5.
struct SeedRow {
    crb: f64,
    xception: (f64, f64),
    mle: (f64, f64),
}

const fn row(crb: f64, xception: (f64, f64), mle: (f64, f64)) -> SeedRow {
    SeedRow { crb, xception, mle }
}

const SEED_SNR60: [SeedRow; 5] = [
    row(0.056, (0.039, 0.063), (0.014, 0.120)),
    row(0.78, (0.435, 0.765), (-0.168, 1.165)),
    row(0.028, (0.022, 0.035), (0.016, 0.063)),
    row(0.054, (0.011, 0.048), (0.015, 0.057)),
    row(0.054, (-0.013, 0.055), (-0.085, 0.087)),
];

const SEED_SNR30: [SeedRow; 5] = [
    row(0.11, (0.052, 0.098), (0.017, 0.126)),
    row(1.56, (0.740, 0.828), (-0.183, 2.307)),
    row(0.056, (0.031, 0.060), (0.044, 0.133)),
    row(0.11, (0.013, 0.091), (0.055, 0.132)),
    row(0.11, (-0.024, 0.100), (-0.184, 0.169)),
];

/// What one test set gave.
struct SetResult {
    network: [Summary; 5],
    fit: [Summary; 5],
    crb: [f64; 5],
    truth: [f64; 5],
    model: &'static str,
}

fn measure_set(
    preset: Preset,
    args: &DemoArgs,
    pool: &rayon::ThreadPool,
) -> Result<SetResult, CliError> {
    let data = Simulator::new(preset.settings(), args.seed)
        .and_then(|s| s.batch(0..args.count))
        .map_err(|e| CliError::internal(e.to_string()))?;
    let n = data.len();
    let psf_r: Vec<f64> = data.psf_r.iter().map(|&v| f64::from(v)).collect();
    let sigma = data.sigma.mapv(f64::from);
    let builtin = crate::defaults::choose(&psf_r, &sigma.to_vec())?;
    let model = builtin.load(&Device::Cpu)?;
    let preds = galaxy_nets::predict::predict(
        &model,
        data.img.view(),
        &data.psf_r.to_vec(),
        &data.sigma.to_vec(),
        256,
        &Device::Cpu,
        &mut |_| {},
    )
    .map_err(net_error)?;
    let renderer = Renderer::new(Stamp {
        size: data.image_size(),
        scale: 0.23,
    })
    .map_err(|e| CliError::internal(e.to_string()))?;
    let fitter = Fitter::new(&renderer, FitOptions::default()).map_err(fit_error)?;
    let psfs = psf_r
        .iter()
        .map(|&f| moffat(2.0, f))
        .collect::<Result<Vec<_>, _>>()?;
    let bar = crate::fit::progress_bar(n, &format!("fits of {preset}"));
    let fits = pool.install(|| fit_images(&fitter, &data.img, &psfs, &sigma, &bar))?;
    bar.finish_and_clear();
    let truth: [f64; 5] = std::array::from_fn(|j| f64::from(data.label[[0, j]]));
    let noise = NoiseOption::Poisson.noise(sigma[0]).map_err(fit_error)?;
    let bound = crb(
        &renderer,
        &GalaxyParams::from_array(truth),
        &psfs[0],
        &noise,
    )
    .map_err(fit_error)?
    .sigma;
    let unit = |j: usize| if j == 0 { 1e5 } else { 1.0 };
    let label = |i: usize, j: usize| f64::from(data.label.index_axis(Axis(0), i)[j]);
    let summary = |est: &dyn Fn(usize, usize) -> f64| -> [Summary; 5] {
        std::array::from_fn(|j| {
            let d: Vec<f64> = (0..n)
                .map(|i| (est(i, j) - label(i, j)) / unit(j))
                .collect();
            summarize(&d)
        })
    };
    Ok(SetResult {
        network: summary(&|i, j| preds[i].params[j]),
        fit: summary(&|i, j| fits[i].params[j]),
        crb: std::array::from_fn(|j| bound[j] / unit(j)),
        truth: std::array::from_fn(|j| truth[j] / unit(j)),
        model: builtin.name,
    })
}

fn print_table(title: &str, r: &SetResult, seed: &[SeedRow; 5], count: u64) {
    println!();
    println!(
        "{title}: {count} noisy images of one galaxy; flux in units of 1e5; network = built-in {}",
        r.model
    );
    println!(
        "{:<18} {:>7} {:>7} {:>7} | {:>17} {:>17} | {:>24} {:>24}",
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
    let ours = |s: &Summary| format!("{:.3} / {:.3} ({:.3})", s.bias, s.std, s.rmse);
    for j in 0..5 {
        println!(
            "{:<18} {:>7.3} {:>7.3} {:>7.3} | {:>17} {:>17} | {:>24} {:>24}",
            PARAM_NAMES[j],
            r.truth[j],
            r.crb[j],
            seed[j].crb,
            pair(seed[j].xception),
            pair(seed[j].mle),
            ours(&r.network[j]),
            ours(&r.fit[j])
        );
    }
    let beats = (0..5)
        .filter(|&j| {
            let (b, s) = seed[j].xception;
            r.network[j].rmse < (b * b + s * s).sqrt()
        })
        .count();
    println!(
        "network RMSE below the seed's Xception (sqrt(bias² + std²)) for {beats} of 5 parameters"
    );
}

/// Runs `galaxy demo`.
pub fn run(args: DemoArgs) -> Result<(), CliError> {
    if args.count < 2 {
        return Err(CliError::input("--count must be at least 2"));
    }
    let pool = thread_pool(args.threads)?;
    let started = std::time::Instant::now();
    let sets = [
        (Preset::Snr60, "SNR 60 (sigma 200)", &SEED_SNR60),
        (Preset::Snr30, "SNR 30 (sigma 400)", &SEED_SNR30),
    ];
    println!(
        "The seed's test sets (flux 1e5, n 3, hlr 0.3, g1 -0.069, g2 0.15, Moffat PSF FWHM 0.5), simulated with seed {}",
        args.seed
    );
    for (preset, title, seed) in sets {
        let result = measure_set(preset, &args, &pool)?;
        print_table(title, &result, seed, args.count);
    }
    eprintln!(
        "demo finished in {:.1} s ({} images per set, {} threads)",
        started.elapsed().as_secs_f64(),
        args.count,
        pool.current_num_threads()
    );
    Ok(())
}
