//! `galaxy calibrate`: scale a model's predicted errors so that they are 1-sigma on held-out simulations.

use std::path::PathBuf;

use clap::Args;
use galaxy_nets::calibrate::{Calibration, ONE_SIGMA};
use galaxy_nets::card::{card_path, save_card};
use galaxy_nets::pipeline;
use sersic_render::PARAM_NAMES;

use crate::args::{DeviceArg, PriorArgs};
use crate::CliError;

/// Arguments of `galaxy calibrate`.
#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// The model (.safetensors with its .json, which is rewritten with the scales).
    #[arg(long)]
    model: PathBuf,
    /// The denoiser a two-stage model was trained behind (`galaxy train --denoiser`).
    #[arg(long)]
    denoiser: Option<PathBuf>,
    /// The preset to simulate held-out images from (the model's training preset).
    #[arg(long)]
    preset: String,
    /// The prior to draw the held-out labels from (the preset's unless these options).
    #[command(flatten)]
    prior: PriorArgs,
    /// Images in the calibration set, and again in the independent check set.
    #[arg(long, default_value_t = 20_000)]
    count: u64,
    /// Seed of the calibration set (the check set uses seed + 1); keep it apart from the training seed.
    #[arg(long, default_value_t = 900_001)]
    seed: u64,
    #[command(flatten)]
    device: DeviceArg,
}

/// Runs `galaxy calibrate`.
pub fn run(args: CalibrateArgs) -> Result<(), CliError> {
    let dev = args.device.open()?;
    let calibration = Calibration {
        preset: args.preset.parse()?,
        prior: args.prior.options(),
        count: args.count,
        seed: args.seed,
    };
    let name = args.model.display().to_string();
    let model = galaxy_nets::load(&args.model, &dev)?;
    let mut model = pipeline::attach_denoiser(model, &name, args.denoiser.as_deref(), &dev)?;
    let started = std::time::Instant::now();
    let result = calibration
        .run(&mut model, &dev)
        .map_err(|e| CliError::from(e).context(&name))?;
    save_card(&args.model, &model.card)?;
    println!(
        "fraction of |estimate - truth| < error on {} held-out {} images (target {:.1}%)",
        args.count,
        calibration.preset,
        100.0 * ONE_SIGMA
    );
    println!(
        "{:<18} {:>8} {:>10} {:>8}",
        "parameter", "before", "scale", "after"
    );
    let names = PARAM_NAMES.iter().chain(["dx_pixels", "dy_pixels"].iter());
    for (j, name) in names.take(result.scales.len()).enumerate() {
        println!(
            "{name:<18} {:>7.1}% {:>10.3} {:>7.1}%",
            100.0 * result.before[j],
            result.scales[j],
            100.0 * result.after[j]
        );
    }
    eprintln!(
        "calibrated {} in {:.1} s",
        card_path(&args.model).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
