//! `galaxy generate` and `galaxy merge`: the seed's datasets, sharded and streamed to disk.

use std::path::PathBuf;

use clap::Args;
use galaxy_data::{write_dataset_stamped, Dist, Preset, SimSettings, Simulator, SnrWindow};

use crate::args::{check_output, progress, thread_pool, PriorArgs, ShardPlan};
use crate::CliError;

/// Arguments of `galaxy generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The seed's dataset to reproduce: data_v1, data_v2, data_v3, snr30 or snr60.
    #[arg(long)]
    preset: String,
    /// Number of images of the whole dataset (all shards together); default: the seed's (200,000 for
    /// data_v*, 10,000 for snr*).
    #[arg(long)]
    size: Option<u64>,
    /// Random seed: sample i depends only on (seed, i).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write only part K of N (0-based), e.g. 3/10. Without it, a Slurm array's SLURM_ARRAY_TASK_ID /
    /// SLURM_ARRAY_TASK_COUNT are used when set. "{shard}" in the output name becomes K (zero-padded).
    #[arg(long)]
    shard: Option<String>,
    /// Worker threads (default: all cores). The output does not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// The prior the labels are drawn from (the preset's unless these options).
    #[command(flatten)]
    prior: PriorArgs,
    /// Fixed PSF FWHM (arcsec) for every image.
    #[arg(long, allow_negative_numbers = true, conflicts_with = "psf_fwhm_range")]
    psf_fwhm: Option<f64>,
    /// PSF FWHM drawn from U(A, B) (arcsec).
    #[arg(long, num_args = 2, value_names = ["A", "B"], allow_negative_numbers = true)]
    psf_fwhm_range: Option<Vec<f64>>,
    /// Fixed noise sigma (ADU) for every image.
    #[arg(long, allow_negative_numbers = true, conflicts_with = "sigma_range")]
    sigma: Option<f64>,
    /// Noise sigma drawn from the integers A..=B when both are whole numbers (the seed's U{200..400}),
    /// otherwise from U(A, B).
    #[arg(long, num_args = 2, value_names = ["A", "B"], allow_negative_numbers = true)]
    sigma_range: Option<Vec<f64>>,
    /// Keep only images with LO <= SNR <= HI (default: the preset's, [10, 100] for data_v*).
    #[arg(long, num_args = 2, value_names = ["LO", "HI"], allow_negative_numbers = true, conflicts_with = "no_snr_window")]
    snr_window: Option<Vec<f64>>,
    /// Keep every draw, whatever its SNR.
    #[arg(long)]
    no_snr_window: bool,
    /// Output .npz file (its folder must exist).
    #[arg(short, long)]
    output: PathBuf,
}

/// Arguments of `galaxy merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The parts: .npz files in the seed's layout (generate, denoise, reconstruct), or catalogues (CSV or
    /// FITS tables from fit, predict, posterior). Parts of a sharded run are put in shard order and must
    /// all be there, once, from one run; other .npz files are concatenated in the order given.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output: .npz, .csv or .fits (the parts' format).
    #[arg(short, long)]
    output: PathBuf,
}

/// A range argument (A, B) as a distribution; `integers` makes whole-number ends an integer uniform.
fn range_dist(name: &str, v: &[f64], integers: bool) -> Result<Dist, CliError> {
    Dist::between(v[0], v[1], integers).map_err(|e| CliError::from(e).context(&format!("--{name}")))
}

fn settings_from(args: &GenerateArgs, preset: Preset) -> Result<SimSettings, CliError> {
    let mut settings = args.prior.options().apply(preset.settings());
    if let Some(x) = args.psf_fwhm {
        settings.prior.psf_fwhm = Dist::Fixed(x);
    }
    if let Some(v) = &args.psf_fwhm_range {
        settings.prior.psf_fwhm = range_dist("psf-fwhm-range", v, false)?;
    }
    if let Some(x) = args.sigma {
        settings.prior.sigma = Dist::Fixed(x);
    }
    if let Some(v) = &args.sigma_range {
        settings.prior.sigma = range_dist("sigma-range", v, true)?;
    }
    if let Some(v) = &args.snr_window {
        if v[0].is_nan() || v[1].is_nan() || v[0] > v[1] {
            return Err(CliError::input(format!(
                "--snr-window {} {}: LO must not exceed HI",
                v[0], v[1]
            )));
        }
        settings.snr_window = Some(SnrWindow { lo: v[0], hi: v[1] });
    }
    if args.no_snr_window {
        settings.snr_window = None;
    }
    settings.validate()?;
    Ok(settings)
}

/// Runs `galaxy generate`.
pub fn run(args: GenerateArgs) -> Result<(), CliError> {
    let preset: Preset = args.preset.parse()?;
    let total = args.size.unwrap_or_else(|| preset.default_size());
    if total == 0 {
        return Err(CliError::input("--size must be at least 1"));
    }
    let plan = ShardPlan::new(args.shard.as_deref(), &args.output)?;
    let shard = plan.shard;
    let range = shard.range(total);
    if range.is_empty() {
        return Err(CliError::input(format!(
            "shard {shard} of {total} images is empty; use fewer shards"
        )));
    }
    let settings = settings_from(&args, preset)?;
    let output = plan.output.clone();
    let stamp = plan.stamp(total);
    check_output(&output)?;
    let pool = thread_pool(args.threads)?;
    let sim = Simulator::new(settings, args.seed)?;
    let bar = progress(range.end - range.start, "images", true);
    let summary = pool.install(|| {
        write_dataset_stamped(&sim, range.clone(), &output, stamp.as_ref(), &mut |p| {
            bar.set_position(p.done);
            bar.set_message(format!("{} rejected by SNR", p.rejected));
        })
    })?;
    bar.finish_and_clear();
    let shard_note = if shard.count > 1 {
        format!(
            " (shard {shard}: samples {}..{} of {total})",
            range.start, range.end
        )
    } else {
        String::new()
    };
    eprintln!(
        "generated {} {} images{shard_note} -> {}; rejected by SNR: {}; {:.0} images/s in {:.1} s",
        summary.accepted,
        preset,
        output.display(),
        summary.rejected,
        summary.images_per_second(),
        summary.seconds
    );
    Ok(())
}

/// Runs `galaxy merge`.
pub fn run_merge(args: MergeArgs) -> Result<(), CliError> {
    for p in &args.inputs {
        if !p.is_file() {
            return Err(CliError::input(format!(
                "input file {} does not exist",
                p.display()
            )));
        }
    }
    check_output(&args.output)?;
    let started = std::time::Instant::now();
    let is_npz = |p: &std::path::Path| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("npz"));
    let n = if is_npz(&args.output) {
        if let Some(odd) = args.inputs.iter().find(|p| !is_npz(p)) {
            return Err(CliError::input(format!(
                "{} is not an .npz like the output {}: merge parts of one format",
                odd.display(),
                args.output.display()
            )));
        }
        galaxy_data::merge(&args.inputs, &args.output)?
    } else {
        galaxy_measure::merge_catalogs(&args.inputs, &args.output)?
    };
    eprintln!(
        "merged {} files, {n} {} -> {} in {:.1} s",
        args.inputs.len(),
        if is_npz(&args.output) {
            "images"
        } else {
            "rows"
        },
        args.output.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
