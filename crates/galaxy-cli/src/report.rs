//! `galaxy report`: how well one or more sets of estimates (network, fit, two-stage, ...) measure a
//! labelled dataset — PNG figures and a Markdown table with bias, std, RMSE and the Cramér–Rao bound.

use std::path::PathBuf;

use clap::Args;
use galaxy_data::Dataset;
use galaxy_eval::plots::SERIES;
use galaxy_eval::report::{Report, Series};
use galaxy_eval::{bounds_per_image, estimates};
use mle_fit::NoiseOption;
use sersic_render::Stamp;

use crate::CliError;

/// Arguments of `galaxy report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Estimate CSVs (`galaxy predict` or `galaxy fit` output), one row per image of --truth.
    #[arg(required = true)]
    predictions: Vec<PathBuf>,
    /// The labelled images the estimates are of (.npz in the seed's layout).
    #[arg(long)]
    truth: PathBuf,
    /// Names of the CSVs in the figures, comma-separated (default: their file stems).
    #[arg(long, value_delimiter = ',')]
    labels: Vec<String>,
    /// Noise model of the Cramér–Rao bound: poisson (sigma² + model) or gaussian.
    #[arg(long, default_value = "poisson")]
    noise: String,
    /// Output folder (made if missing): pred_vs_true.png, residual_vs_snr.png, error_hist.png, report.md.
    #[arg(short, long)]
    output: PathBuf,
}

/// Runs `galaxy report`.
pub fn run(args: ReportArgs) -> Result<(), CliError> {
    let noise: NoiseOption = args.noise.parse()?;
    if !args.labels.is_empty() && args.labels.len() != args.predictions.len() {
        return Err(CliError::input(format!(
            "{} labels for {} prediction files",
            args.labels.len(),
            args.predictions.len()
        )));
    }
    if args.predictions.len() > SERIES.len() {
        return Err(CliError::input(format!(
            "at most {} prediction files",
            SERIES.len()
        )));
    }
    let data = Dataset::read(&args.truth)?;
    let n = data.len();
    if n == 0 {
        return Err(CliError::input(format!(
            "{} has no images",
            args.truth.display()
        )));
    }
    let series = args
        .predictions
        .iter()
        .enumerate()
        .map(|(k, p)| {
            Ok(Series {
                label: args.labels.get(k).cloned().unwrap_or_else(|| {
                    p.file_stem()
                        .map_or("estimates".into(), |s| s.to_string_lossy().into_owned())
                }),
                file: p.clone(),
                estimates: estimates::read_for(p, n)?,
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let truth: Vec<[f64; 5]> = (0..n)
        .map(|i| std::array::from_fn(|j| f64::from(data.label[[i, j]])))
        .collect();
    let f64s = |v: &ndarray::Array1<f32>| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
    // The bound of the file's own stamps (its size, the seed's 0.23"), not a default one.
    let stamp = Stamp {
        size: data.image_size(),
        scale: 0.23,
    };
    let crb = bounds_per_image(
        stamp,
        &truth,
        2.0,
        &f64s(&data.psf_r),
        &f64s(&data.sigma),
        noise,
    )?;
    std::fs::create_dir_all(&args.output)
        .map_err(|e| CliError::input(format!("{}: {e}", args.output.display())))?;
    let report = Report {
        series,
        truth,
        snr: f64s(&data.snr),
        crb,
        noise,
        truth_file: args.truth.clone(),
    };
    report.draw(&args.output)?;
    let md_path = Report::markdown_path(&args.output);
    galaxy_data::atomic::write_bytes(&md_path, report.markdown().as_bytes())?;
    println!(
        "report: {} images, {} estimate sets -> {}",
        n,
        report.series.len(),
        md_path.display()
    );
    Ok(())
}
