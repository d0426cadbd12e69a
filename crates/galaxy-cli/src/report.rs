//! `galaxy report`: how well one or more sets of estimates (network, fit, two-stage, ...) measure a
//! labelled dataset — PNG figures and a Markdown table with bias, std, RMSE and the Cramér–Rao bound.

use std::path::PathBuf;

use clap::Args;
use galaxy_eval::plots::SERIES;
use galaxy_eval::report::Report;
use mle_fit::NoiseOption;

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
    let files: Vec<(String, PathBuf)> = args
        .predictions
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let stem = || {
                p.file_stem()
                    .map_or("estimates".into(), |s| s.to_string_lossy().into())
            };
            (args.labels.get(k).cloned().unwrap_or_else(stem), p.clone())
        })
        .collect();
    let report = Report::build(&args.truth, &files, noise)?;
    std::fs::create_dir_all(&args.output)
        .map_err(|e| CliError::input(format!("{}: {e}", args.output.display())))?;
    report.draw(&args.output)?;
    let md_path = Report::markdown_path(&args.output);
    galaxy_data::atomic::write_bytes(&md_path, report.markdown().as_bytes())?;
    println!(
        "report: {} images, {} estimate sets -> {}",
        report.truth.len(),
        report.series.len(),
        md_path.display()
    );
    Ok(())
}
