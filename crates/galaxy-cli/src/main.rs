//! `galaxy`: the command-line front of the toolkit. Each subcommand parses its arguments, calls the
//! libraries, and prints; [`error`] decides whose fault a failure was.
//!
//! Exit status: 0 on success, 2 for bad input (arguments, files, parameters), 1 for anything else.

mod args;
mod calibrate;
mod demo;
mod denoise;
mod error;
#[cfg(feature = "explore")]
mod explore;
mod fit;
mod generate;
mod image_inputs;
mod measure;
mod posterior;
mod predict;
mod predict_fits;
mod render;
mod report;
mod search;
mod train;

pub use error::CliError;

use clap::{Parser, Subcommand};

// candle allocates a fresh buffer per operation; glibc's malloc made inference several times slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

/// Measure the shape and brightness of galaxies.
#[derive(Parser)]
#[command(name = "galaxy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The seed's headline table in a few minutes: simulate its two test sets, measure them with the
    /// built-in network and with the maximum-likelihood fit, print bias / std beside the CRB and the seed's
    /// figures.
    Demo(demo::DemoArgs),
    /// Draw Sérsic ⊗ PSF ⊗ pixel images (GalSim conventions) to a float32 .npy file.
    Render(render::RenderArgs),
    /// Simulate one of the seed's labelled datasets (or a part of it) to an .npz in the seed's layout.
    Generate(generate::GenerateArgs),
    /// Join the parts of a sharded run (.npz datasets, CSV or FITS catalogues) into what the unsharded
    /// run writes; or concatenate .npz datasets.
    Merge(generate::MergeArgs),
    /// Cramér–Rao bounds (1 sigma) on (flux, n, hlr, g1, g2) for one galaxy, PSF and noise.
    Crb(fit::CrbArgs),
    /// Maximum-likelihood fits of every image of an .npz dataset, to CSV.
    Fit(fit::FitArgs),
    /// Posterior means under a training prior (importance sampling over the likelihood): the smallest
    /// average RMSE any estimator trained on that prior can reach, the bar for a network.
    Posterior(posterior::PosteriorArgs),
    /// Train a neural estimator on simulated batches or on a file.
    Train(train::TrainArgs),
    /// Run a trained estimator on every image of an .npz dataset, to CSV.
    Predict(predict::PredictArgs),
    /// Scale a model's predicted errors to 1 sigma on held-out simulations (rewrites its card).
    Calibrate(calibrate::CalibrateArgs),
    /// Serve the interactive explorer: draw a galaxy through PSF and noise in the browser, and measure it
    /// with the fit and the network.
    #[cfg(feature = "explore")]
    Explore(explore::ExploreArgs),
    /// Clean images with a trained denoiser (EDSR or RDN): the input's arrays plus `img_denoised`.
    Denoise(denoise::DenoiseArgs),
    /// Redraw images through a trained autoencoder: the input's arrays plus `img_reconstructed`.
    Reconstruct(denoise::ReconstructArgs),
    /// Search architectures (grid, random or Hyperband over a TOML space); every trial on record in
    /// trials.jsonl / trials.csv as it finishes; resumable.
    Search(search::SearchArgs),
    /// Figures and a Markdown table comparing prediction CSVs (network, fit, ...) with the truth.
    Report(report::ReportArgs),
    /// Bias, standard deviation and RMSE of predictions or fits against a dataset's labels.
    Evaluate(predict::EvaluateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Render(args) => render::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Merge(args) => generate::run_merge(args),
        Command::Crb(args) => fit::run_crb(args),
        Command::Fit(args) => fit::run_fit(args),
        Command::Posterior(args) => posterior::run(args),
        Command::Train(args) => train::run(args),
        Command::Predict(args) => predict::run_predict(args),
        Command::Evaluate(args) => predict::run_evaluate(args),
        Command::Calibrate(args) => calibrate::run(args),
        #[cfg(feature = "explore")]
        Command::Explore(args) => explore::run(args),
        Command::Denoise(args) => denoise::run_denoise(args),
        Command::Reconstruct(args) => denoise::run_reconstruct(args),
        Command::Search(args) => search::run(args),
        Command::Report(args) => report::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(if e.bad_input { 2 } else { 1 })
        }
    }
}
