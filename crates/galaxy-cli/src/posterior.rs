//! `galaxy posterior`: the posterior mean of every image of a dataset under a training prior — the
//! smallest RMSE any estimator trained on that prior can reach on average, and so the bar a network
//! trained on it is measured against (docs/models.md).

use std::path::PathBuf;

use clap::Args;
use galaxy_data::Preset;
use galaxy_eval::estimates::{self, Column, Estimate};
use galaxy_eval::Observations;
use mle_fit::{NoiseOption, PosteriorOptions, PosteriorSampler};
use sersic_render::{Renderer, Stamp};

use crate::args::{check_output, progress, thread_pool, PerImageArgs, PriorArgs, ShardArgs};
use crate::fit::{moffats, print_summary};
use crate::CliError;

/// Arguments of `galaxy posterior`.
#[derive(Args, Debug)]
pub struct PosteriorArgs {
    /// Dataset in the seed's layout: img \[N, S, S\]; psf_r and sigma \[N\] unless given below; label \[N, 5\]
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
    #[command(flatten)]
    shard: ShardArgs,
}

/// Runs `galaxy posterior`.
pub fn run(args: PosteriorArgs) -> Result<(), CliError> {
    let plan = args.shard.plan(&args.output)?;
    check_output(&plan.output)?;
    let preset: Preset = args.preset.parse()?;
    if !matches!(preset, Preset::DataV1 | Preset::DataV2 | Preset::DataV3) {
        return Err(CliError::input(format!(
            "--preset {} is a test set of one galaxy, not a prior: give data_v1, data_v2 or data_v3",
            preset.name()
        )));
    }
    let prior_options = args.prior.options();
    let settings = prior_options.apply(preset.settings());
    let prior = settings.prior;
    let part = Observations::read_part(
        &args.input,
        args.per_image.psf_fwhm,
        args.per_image.sigma,
        plan.shard,
    )?;
    let input = &part.data;
    let (n, size) = (input.len(), input.image_size());
    if size != settings.stamp.width {
        return Err(CliError::input(format!(
            "{}: images are {size} x {size} pixels; the {} prior is for {} x {} stamps",
            args.input.display(),
            preset.name(),
            settings.stamp.width,
            settings.stamp.width
        )));
    }
    let stamp = Stamp::square(size, settings.stamp.scale);
    let renderer = Renderer::new(stamp)?;
    let options = PosteriorOptions {
        n_range: prior.sersic_index.bounds(),
        nodes: args.nodes,
        samples: args.samples,
        noise: NoiseOption::Poisson,
        snr_window: settings.snr_window.map(|w| (w.lo, w.hi)),
        seed: args.seed,
        ..PosteriorOptions::default()
    };
    let sampler = PosteriorSampler::new(&renderer, options)?;
    let psfs = moffats(settings.psf_beta, &input.psf_fwhm)?;
    let ln_prior = |theta: [f64; 5]| prior.ln_density(theta);
    let pool = thread_pool(args.per_image.threads)?;
    let bar = progress(n as u64, "images", false);
    let started = std::time::Instant::now();
    let summaries = pool.install(|| {
        let first = part.rows.start as usize;
        sampler.summarize_all_from(
            first,
            input.img.view(),
            &psfs,
            &input.sigma,
            &ln_prior,
            &|| bar.inc(1),
        )
    })?;
    bar.finish_and_clear();
    let rows: Vec<Estimate> = summaries
        .iter()
        .map(|s| Estimate {
            params: s.mean,
            errors: Some(s.std),
        })
        .collect();
    let ess: Vec<f64> = summaries.iter().map(|s| s.effective_samples).collect();
    let column = Column::new("effective_samples", ess.iter(), |v| format!("{v:.1}"));
    estimates::write_stamped(
        &plan.output,
        &rows,
        &[column],
        plan.stamp(part.total).as_ref(),
    )?;
    let mut sorted = ess.clone();
    sorted.sort_by(f64::total_cmp);
    eprintln!(
        "posterior means of {n} images{} under the {} prior{} in {:.1} s; effective draws per image: median {:.0}, least {:.0} -> {}",
        plan.describe(part.total),
        preset.name(),
        prior_options.describe(),
        started.elapsed().as_secs_f64(),
        sorted[sorted.len() / 2],
        sorted[0],
        plan.output.display()
    );
    let means: Vec<[f64; 5]> = summaries.iter().map(|s| s.mean).collect();
    print_summary(
        input,
        stamp,
        settings.psf_beta,
        &means,
        NoiseOption::Poisson,
        &pool,
    )
}
