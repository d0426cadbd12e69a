//! `galaxy demo`: the seed's headline experiment in a few minutes. Simulates its two test sets (one galaxy,
//! SNR 60 and SNR 30), measures every image with the built-in network and with the maximum-likelihood fit,
//! and prints bias / std per parameter beside the Cramér–Rao bound and the seed's published figures.

use candle_core::Device;
use clap::Args;
use galaxy_data::{Preset, Simulator};
use galaxy_eval::seed::{headline_table, SeedRow, SEED_SNR30, SEED_SNR60};
use galaxy_eval::{bounds_per_image, ErrorTable};
use galaxy_nets::builtin;
use mle_fit::{FitOptions, Fitter, NoiseOption};
use sersic_render::{Renderer, Stamp};

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

/// What one test set gave: the network's and the fit's tables, and the built-in model's name.
struct SetResult {
    network: ErrorTable,
    fit: ErrorTable,
    model: &'static str,
}

fn measure_set(
    preset: Preset,
    args: &DemoArgs,
    pool: &rayon::ThreadPool,
) -> Result<SetResult, CliError> {
    let data = Simulator::new(preset.settings(), args.seed)?.batch(0..args.count)?;
    let n = data.len();
    let (psf_r, sigma) = (data.psf_fwhm(), data.sigmas());
    let model = builtin::choose(&psf_r, &sigma)?;
    let preds = galaxy_nets::estimator::predict_dataset(
        &model.load(&Device::Cpu)?,
        &data,
        256,
        &Device::Cpu,
    )?;
    let stamp = Stamp::square(data.image_size(), 0.23);
    let renderer = Renderer::new(stamp)?;
    let fitter = Fitter::new(&renderer, FitOptions::default())?;
    let psfs = moffats(2.0, &psf_r)?;
    let bar = progress(n as u64, &format!("fits of {preset}"), false);
    let fits = pool.install(|| fitter.fit_all(data.img.view(), &psfs, &sigma, &|| bar.inc(1)))?;
    bar.finish_and_clear();
    let truth = data.truth();
    // One galaxy, PSF and sigma: the bound is computed once and shared by every image.
    let bounds = bounds_per_image(stamp, &truth, 2.0, &psf_r, &sigma, NoiseOption::Poisson)?;
    let table = |est: Vec<[f64; 5]>| ErrorTable::new(&est, &truth, Some(&bounds));
    Ok(SetResult {
        network: table(preds.iter().map(|p| p.params).collect()),
        fit: table(fits.iter().map(|f| f.params).collect()),
        model: model.name,
    })
}

fn print_table(title: &str, r: &SetResult, seed: &[SeedRow; 5], count: u64) {
    println!();
    println!(
        "{title}: {count} noisy images of one galaxy; flux in units of 1e5; network = built-in {}",
        r.model
    );
    print!("{}", headline_table(&r.network, &r.fit, seed));
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
