//! `galaxy demo`: the seed's headline experiment in a few minutes. Simulates its two test sets (one galaxy,
//! SNR 60 and SNR 30), measures every image with the built-in network and with the maximum-likelihood fit,
//! and prints bias / std per parameter beside the Cramér–Rao bound and the seed's published figures.

use candle_core::Device;
use clap::Args;
use galaxy_data::{Preset, Simulator};
use galaxy_eval::seed::{SeedRow, SEED_SNR30, SEED_SNR60};
use galaxy_eval::{bounds_per_image, ErrorTable, Summary};
use galaxy_nets::builtin;
use mle_fit::{FitOptions, Fitter, NoiseOption};
use sersic_render::{Renderer, Stamp, PARAM_NAMES};

use crate::args::{progress, thread_pool};
use crate::fit::moffats;
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
    let data = Simulator::new(preset.settings(), args.seed)?.batch(0..args.count)?;
    let n = data.len();
    let psf_r: Vec<f64> = data.psf_r.iter().map(|&v| f64::from(v)).collect();
    let sigma: Vec<f64> = data.sigma.iter().map(|&v| f64::from(v)).collect();
    let model = builtin::choose(&psf_r, &sigma)?;
    let preds = galaxy_nets::estimator::predict(
        &model.load(&Device::Cpu)?,
        data.img.view(),
        &data.psf_r.to_vec(),
        &data.sigma.to_vec(),
        256,
        &Device::Cpu,
        &mut |_| {},
    )?;
    let stamp = Stamp {
        size: data.image_size(),
        scale: 0.23,
    };
    let renderer = Renderer::new(stamp)?;
    let fitter = Fitter::new(&renderer, FitOptions::default())?;
    let psfs = moffats(2.0, &psf_r)?;
    let bar = progress(n as u64, &format!("fits of {preset}"), false);
    let fits = pool.install(|| fitter.fit_all(data.img.view(), &psfs, &sigma, &|| bar.inc(1)))?;
    bar.finish_and_clear();
    let truth: Vec<[f64; 5]> = (0..n)
        .map(|i| std::array::from_fn(|j| f64::from(data.label[[i, j]])))
        .collect();
    let bound = bounds_per_image(
        stamp,
        &truth[..1],
        2.0,
        &psf_r[..1],
        &sigma[..1],
        NoiseOption::Poisson,
    )?;
    let table = |est: Vec<[f64; 5]>| ErrorTable::new(&est, &truth, Some(&bound.repeat(n)));
    let network = table(preds.iter().map(|p| p.params).collect());
    let fit = table(fits.iter().map(|f| f.params).collect());
    Ok(SetResult {
        network: network.rows.map(|r| r.summary),
        fit: fit.rows.map(|r| r.summary),
        crb: network.rows.map(|r| r.crb.unwrap_or(f64::NAN)),
        truth: network.rows.map(|r| r.mean_truth),
        model: model.name,
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
        .filter(|&j| r.network[j].rmse < seed[j].xception_rmse())
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
