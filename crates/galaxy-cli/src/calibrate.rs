//! `galaxy calibrate`: scale a model's predicted errors so that they are 1-sigma on held-out simulations.

use std::path::PathBuf;

use clap::Args;
use galaxy_data::{Dataset, Preset, Simulator};
use galaxy_nets::calibrate::{coverage, error_scales, ONE_SIGMA};
use galaxy_nets::card::{self, LoadedModel};
use galaxy_nets::predict::{predict, Prediction};
use sersic_render::PARAM_NAMES;

use crate::nets::{device, net_error};
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
    prior: crate::prior_args::PriorArgs,
    /// Images in the calibration set, and again in the independent check set.
    #[arg(long, default_value_t = 20_000)]
    count: u64,
    /// Seed of the calibration set (the check set uses seed + 1); keep it apart from the training seed.
    #[arg(long, default_value_t = 900_001)]
    seed: u64,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// Predictions of `model` (its errors unscaled) on `data`, and the true labels.
fn predict_set(
    model: &LoadedModel,
    data: &Dataset,
    dev: &candle_core::Device,
) -> Result<(Vec<Prediction>, Vec<[f64; 5]>), CliError> {
    let preds = predict(
        model,
        data.img.view(),
        data.psf_r.as_slice().unwrap_or(&data.psf_r.to_vec()),
        data.sigma.as_slice().unwrap_or(&data.sigma.to_vec()),
        256,
        dev,
        &mut |_| {},
    )
    .map_err(net_error)?;
    let truth = (0..data.len())
        .map(|i| std::array::from_fn(|j| f64::from(data.label[[i, j]])))
        .collect();
    Ok((preds, truth))
}

/// Runs `galaxy calibrate`.
pub fn run(args: CalibrateArgs) -> Result<(), CliError> {
    let dev = device(&args.device)?;
    let preset: Preset = args
        .preset
        .parse()
        .map_err(|e: galaxy_data::DataError| CliError::input(e.to_string()))?;
    if args.count < 100 {
        return Err(CliError::input("--count must be at least 100"));
    }
    let model = card::load(&args.model, &dev).map_err(net_error)?;
    let mut model = crate::nets::attach_denoiser(
        model,
        &args.model.display().to_string(),
        args.denoiser.as_deref(),
        &dev,
    )?;
    if !model.card.estimator.uncertainty {
        return Err(CliError::input(format!(
            "{} predicts no uncertainties (train it with --uncertainty)",
            args.model.display()
        )));
    }
    model.card.error_scale = [1.0; 5];
    let settings = args.prior.apply(preset.settings());
    let simulate = |seed: u64| {
        Simulator::new(settings, seed)
            .and_then(|s| s.batch(0..args.count))
            .map_err(|e| CliError::input(e.to_string()))
    };
    let started = std::time::Instant::now();
    let (preds, truth) = predict_set(&model, &simulate(args.seed)?, &dev)?;
    let scales = error_scales(&preds, &truth).map_err(net_error)?;
    let (check, check_truth) = predict_set(&model, &simulate(args.seed.wrapping_add(1))?, &dev)?;
    let before = coverage(&check, &check_truth).map_err(net_error)?;
    let scaled: Vec<Prediction> = check
        .iter()
        .map(|p| Prediction {
            params: p.params,
            errors: p.errors.map(|e| std::array::from_fn(|j| e[j] * scales[j])),
        })
        .collect();
    let after = coverage(&scaled, &check_truth).map_err(net_error)?;
    model.card.error_scale = scales;
    model.card.training["calibration"] = serde_json::json!({
        "preset": preset.to_string(), "continuous_n": args.prior.continuous(),
        "prior": args.prior.to_json(), "count": args.count,
        "seed": args.seed, "check_seed": args.seed.wrapping_add(1),
        "coverage_before": before, "coverage_after": after,
    });
    card::save_card(&args.model, &model.card).map_err(net_error)?;
    println!(
        "fraction of |estimate - truth| < error on {} held-out {preset} images (target {:.1}%)",
        args.count,
        100.0 * ONE_SIGMA
    );
    println!(
        "{:<18} {:>8} {:>10} {:>8}",
        "parameter", "before", "scale", "after"
    );
    for j in 0..5 {
        println!(
            "{:<18} {:>7.1}% {:>10.3} {:>7.1}%",
            PARAM_NAMES[j],
            100.0 * before[j],
            scales[j],
            100.0 * after[j]
        );
    }
    eprintln!(
        "calibrated {} in {:.1} s",
        card::card_path(&args.model).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
