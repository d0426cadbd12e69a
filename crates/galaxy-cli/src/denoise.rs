//! `galaxy denoise`, and `galaxy train --arch edsr|rdn`: the seed's denoisers as tools of their own.

use std::path::PathBuf;

use candle_core::DType;
use candle_nn::{VarBuilder, VarMap};
use clap::Args;
use galaxy_data::Dataset;
use galaxy_nets::denoise::{self, DenoiseObjective, Denoiser, DenoiserCard, DenoiserConfig};
use galaxy_nets::train::{fit, TrainOptions, TrainSource};

use crate::generate::check_output_folder;
use crate::nets::{bar, device, net_error, training_data, TrainArgs};
use crate::CliError;

/// Arguments of `galaxy denoise`.
#[derive(Args, Debug)]
pub struct DenoiseArgs {
    /// Images in the seed's layout.
    input: PathBuf,
    /// The denoiser (.safetensors with its .json), from `galaxy train --arch edsr|rdn`.
    #[arg(long)]
    model: PathBuf,
    /// Output .npz: the input's arrays and `img_denoised`.
    #[arg(short, long)]
    output: PathBuf,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Images per batch.
    #[arg(long, default_value_t = 64)]
    batch: usize,
}

/// Runs `galaxy denoise`.
pub fn run(args: DenoiseArgs) -> Result<(), CliError> {
    check_output_folder(&args.output)?;
    let dev = device(&args.device)?;
    let model = denoise::load(&args.model, &dev).map_err(net_error)?;
    let data = Dataset::read(&args.input).map_err(|e| CliError::input(e.to_string()))?;
    let started = std::time::Instant::now();
    let progress = bar(data.len() as u64, "{bar:30} {pos}/{len} images  {per_sec}");
    let clean = denoise::denoise(
        &model,
        data.img.view(),
        data.sigma.as_slice().unwrap_or(&data.sigma.to_vec()),
        args.batch,
        &dev,
        &mut |k| progress.inc(k as u64),
    )
    .map_err(net_error)?;
    progress.finish_and_clear();
    data.write_with(&args.output, &[("img_denoised", &clean)])
        .map_err(|e| CliError::internal(e.to_string()))?;
    eprintln!(
        "denoised {} images with {} in {:.2} s -> {}",
        data.len(),
        args.model.display(),
        started.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(())
}

/// `galaxy train --arch edsr|rdn`: (noisy, noiseless) pairs simulated on the fly from a preset, L1 loss.
pub fn run_train(args: TrainArgs) -> Result<(), CliError> {
    check_output_folder(&args.output)?;
    let dev = device(&args.device)?;
    let cfg = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
            serde_json::from_str::<DenoiserConfig>(&text).map_err(|e| {
                CliError::input(format!("{}: not a denoiser config: {e}", path.display()))
            })?
        }
        None => DenoiserConfig::by_name(&args.arch, &args.size_preset).ok_or_else(|| {
            CliError::input(format!(
                "--size-preset '{}': expected small or seed",
                args.size_preset
            ))
        })?,
    };
    let name = args
        .preset
        .as_deref()
        .ok_or_else(|| CliError::input("denoisers train on simulated pairs: give --preset"))?;
    let (_, settings, validation) =
        training_data(name, args.continuous_n, args.seed, args.val_size)?;
    let samples = args.samples.unwrap_or(200_000);
    if args.batch == 0 || samples == 0 {
        return Err(CliError::input("--batch and --samples must be at least 1"));
    }
    let varmap = VarMap::new();
    let net = Denoiser::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, &dev))
        .map_err(|e| CliError::input(e.to_string()))?;
    let options = TrainOptions {
        batch: args.batch,
        learning_rate: args.lr,
        samples,
        eval_every: args.eval_every.max(1),
        seed: args.seed,
        max_seconds: args.max_minutes.map(|m| m * 60.0),
        warmup: args.warmup.clamp(0.0, 1.0),
        patience: if args.patience == 0 {
            usize::MAX
        } else {
            args.patience
        },
        ..TrainOptions::default()
    };
    let parameters = galaxy_nets::card::parameter_count(&varmap);
    let card_for = |m: &denoise::DenoiseMetrics, seen: u64| DenoiserCard {
        format: "galaxy-denoiser/1".into(),
        denoiser: cfg,
        training: serde_json::json!({
            "data": format!("{name} pairs simulated on the fly, seed {}", args.seed),
            "samples_seen": seen, "batch": args.batch, "learning_rate": args.lr, "loss": "l1 on image/sigma",
        }),
        validation: serde_json::json!({"images": validation.len(), "l1": m.l1, "mse_over_sigma2": m.mse}),
        parameters,
    };
    let progress = bar(samples, "{bar:30} {pos}/{len} samples  {per_sec}  {msg}");
    let started = std::time::Instant::now();
    let objective = DenoiseObjective { net: &net };
    let best = fit(
        &objective,
        &varmap,
        &options,
        TrainSource::Simulated(Box::new(settings)),
        &validation,
        &dev,
        &mut |p| {
            progress.set_position(p.samples);
            let val = p.validation.map_or(String::new(), |m| {
                format!("  val L1 {:.4} MSE {:.4}", m.l1, m.mse)
            });
            progress.set_message(format!("L1 {:.4}{val}", p.loss));
        },
        &mut |m, seen| denoise::save(&args.output, &varmap, &card_for(m, seen)),
    )
    .map_err(net_error)?;
    progress.finish_and_clear();
    eprintln!(
        "trained {} ({parameters} parameters) in {:.0} s; best validation L1 {:.4}, MSE {:.4} (units of sigma) -> {}",
        args.arch,
        started.elapsed().as_secs_f64(),
        best.l1,
        best.mse,
        args.output.display()
    );
    Ok(())
}
