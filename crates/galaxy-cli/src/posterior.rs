//! `galaxy posterior`: the posterior mean of every image of a dataset under a training prior — the
//! smallest RMSE any estimator trained on that prior can reach on average, and so the bar a network
//! trained on it is measured against (docs/models.md).

use std::path::PathBuf;

use clap::Args;
use galaxy_data::Preset;
use mle_fit::{NoiseOption, PosteriorOptions, PosteriorSampler, PosteriorSummary};
use ndarray::Axis;
use rayon::prelude::*;
use sersic_render::{Renderer, Stamp, PARAM_NAMES};

use crate::fit::{
    fit_error, moffat, print_summary, progress_bar, read_fit_input, thread_pool, PerImageArgs,
};
use crate::generate::check_output_folder;
use crate::prior_args::PriorArgs;
use crate::CliError;

/// Arguments of `galaxy posterior`.
#[derive(Args, Debug)]
pub struct PosteriorArgs {
    /// Dataset in the seed's layout: img [N, S, S]; psf_r and sigma [N] unless given below; label [N, 5]
    /// optional (then a summary against the truth is printed).
    input: PathBuf,
    /// Output CSV, one row per image: the posterior means, their posterior standard deviations (`_err`)
    /// and the effective number of draws.
    #[arg(short, long)]
    output: PathBuf,
    /// The training set whose prior over (flux, n, hlr, g1, g2) and SNR window is used: data_v1, data_v2
    /// or data_v3 (the same prior over the five; they differ in PSF and sigma, which are known per image).
    #[arg(long, default_value = "data_v1")]
    preset: String,
    #[command(flatten)]
    prior: PriorArgs,
    /// Nodes of the grid in n (evenly spaced in ln n).
    #[arg(long, default_value_t = 24)]
    nodes: usize,
    /// Importance draws per node.
    #[arg(long, default_value_t = 192)]
    samples: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    per_image: PerImageArgs,
}

/// Runs `galaxy posterior`.
pub fn run(args: PosteriorArgs) -> Result<(), CliError> {
    check_output_folder(&args.output)?;
    let preset: Preset = args
        .preset
        .parse()
        .map_err(|e: galaxy_data::DataError| CliError::input(e.to_string()))?;
    if !matches!(preset, Preset::DataV1 | Preset::DataV2 | Preset::DataV3) {
        return Err(CliError::input(format!(
            "--preset {} is a test set of one galaxy, not a prior: give data_v1, data_v2 or data_v3",
            preset.name()
        )));
    }
    let settings = args.prior.apply(preset.settings());
    let prior = settings.prior;
    let input = read_fit_input(&args.input, args.per_image.psf_fwhm, args.per_image.sigma)?;
    let n = input.img.len_of(Axis(0));
    let size = input.img.len_of(Axis(1));
    if size != settings.stamp.size {
        return Err(CliError::input(format!(
            "{}: images are {size} x {size} pixels; the {} prior is for {} x {} stamps",
            args.input.display(),
            preset.name(),
            settings.stamp.size,
            settings.stamp.size
        )));
    }
    let renderer = Renderer::new(Stamp {
        size,
        scale: settings.stamp.scale,
    })
    .map_err(|e| CliError::input(e.to_string()))?;
    let options = PosteriorOptions {
        n_range: prior.sersic_index.bounds(),
        nodes: args.nodes,
        samples: args.samples,
        noise: NoiseOption::Poisson,
        snr_window: settings.snr_window.map(|w| (w.lo, w.hi)),
        seed: args.seed,
        ..PosteriorOptions::default()
    };
    let sampler = PosteriorSampler::new(&renderer, options).map_err(fit_error)?;
    let psfs = input
        .psf_fwhm
        .iter()
        .map(|&f| moffat(settings.psf_beta, f))
        .collect::<Result<Vec<_>, _>>()?;
    let ln_prior = |theta: [f64; 5]| prior.ln_density(theta);
    let pool = thread_pool(args.per_image.threads)?;
    let bar = progress_bar(n, "images");
    let started = std::time::Instant::now();
    let summaries: Vec<PosteriorSummary> = pool.install(|| {
        (0..n)
            .into_par_iter()
            .map(|i| {
                let image = input.img.index_axis(Axis(0), i).mapv(f64::from);
                let s =
                    sampler.summarize(image.view(), &psfs[i], input.sigma[i], &ln_prior, i as u64);
                bar.inc(1);
                s.map_err(|e| CliError::internal(format!("image {i}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    bar.finish_and_clear();
    write_csv(&args.output, &summaries)?;
    let ess: Vec<f64> = summaries.iter().map(|s| s.effective_samples).collect();
    let median_ess = {
        let mut v = ess.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    eprintln!(
        "posterior means of {n} images under the {} prior{} in {:.1} s; effective draws per image: median {median_ess:.0}, least {:.0} -> {}",
        preset.name(),
        args.prior.describe(),
        started.elapsed().as_secs_f64(),
        ess.iter().copied().fold(f64::INFINITY, f64::min),
        args.output.display()
    );
    if let Some(label) = &input.label {
        let estimates: Vec<[f64; 5]> = summaries.iter().map(|s| s.mean).collect();
        print_summary(
            &renderer,
            &estimates,
            label,
            &psfs,
            &input.sigma,
            NoiseOption::Poisson,
            &pool,
        )?;
    }
    Ok(())
}

fn write_csv(path: &std::path::Path, summaries: &[PosteriorSummary]) -> Result<(), CliError> {
    let mut header: Vec<String> = PARAM_NAMES.iter().map(|s| s.to_string()).collect();
    header.extend(PARAM_NAMES.iter().map(|s| format!("{s}_err")));
    header.push("effective_samples".into());
    let rows = summaries.iter().map(|s| {
        let mut row: Vec<String> = s
            .mean
            .iter()
            .chain(&s.std)
            .map(|v| format!("{v:.9e}"))
            .collect();
        row.push(format!("{:.1}", s.effective_samples));
        row
    });
    crate::output::write_csv_atomic(path, &header, rows)
}
