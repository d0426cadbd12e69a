//! `galaxy train`: an estimator (xception, resnet, cnn), a denoiser (edsr, rdn) or the autoencoder,
//! on batches simulated from a preset or on a file.

use std::path::PathBuf;

use clap::Args;
use galaxy_data::{Dataset, Preset};
use galaxy_nets::autoencoder::AutoencoderTraining;
use galaxy_nets::denoiser::{DenoiserConfig, DenoiserTraining};
use galaxy_nets::estimator::{EstimatorTraining, Start};
use galaxy_nets::models::autoencoder::AutoencoderConfig;
use galaxy_nets::train::{LossKind, TrainOptions, TrainingData, TrainingRun};
use galaxy_nets::{Architecture, EstimatorConfig, Scaling};

use crate::args::{check_output, progress, read_config, DeviceArg, PriorArgs};
use crate::CliError;

/// Arguments of `galaxy train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Architecture: xception, resnet or cnn (its default configuration unless --config); or a denoiser,
    /// edsr or rdn, trained on (noisy, noiseless) pairs with the L1 loss (--size-preset); or the autoencoder.
    #[arg(long, default_value = "xception")]
    pub(crate) arch: String,
    /// A JSON EstimatorConfig (architecture and its knobs, conditioning, uncertainty, head).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Simulate every batch from a preset of the seed (data_v1, data_v2, data_v3).
    #[arg(long, conflicts_with = "train")]
    pub(crate) preset: Option<String>,
    /// With --preset: the prior the labels are drawn from (the seed's unless these options).
    #[command(flatten)]
    pub(crate) prior: PriorArgs,
    /// Train on a file in the seed's layout instead.
    #[arg(long)]
    pub(crate) train: Option<PathBuf>,
    /// Validation file (default with --train: its last 10%; with --preset: a fixed simulated set).
    #[arg(long)]
    pub(crate) val: Option<PathBuf>,
    /// Training samples to see.
    #[arg(long, conflicts_with = "epochs")]
    pub(crate) samples: Option<u64>,
    /// Passes over --train.
    #[arg(long)]
    pub(crate) epochs: Option<u64>,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    pub(crate) batch: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-3)]
    pub(crate) lr: f64,
    /// Simulated validation set size.
    #[arg(long, default_value_t = 2000)]
    pub(crate) val_size: u64,
    /// Validate every this many samples.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) eval_every: u64,
    /// Condition on PSF FWHM and sigma.
    #[arg(long)]
    pub(crate) conditioning: bool,
    /// Predict a log-variance per parameter (Gaussian NLL loss).
    #[arg(long)]
    pub(crate) uncertainty: bool,
    #[command(flatten)]
    pub(crate) device: DeviceArg,
    /// Seed of the simulated stream and of the initial weights' draw order.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Stop after this many minutes of training (the learning-rate schedule is fitted to the budget).
    #[arg(long)]
    pub(crate) max_minutes: Option<f64>,
    /// Continue from the weights (and the sample count in the card) already at the output path: the
    /// schedule and the simulated stream pick up where the checkpoint was written.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Start from the weights of another model of the same configuration (fine-tuning): a fresh
    /// schedule and stream; its card's training record is kept in the new card.
    #[arg(long, conflicts_with = "resume")]
    pub(crate) init: Option<PathBuf>,
    /// Learn the Sérsic index as ln(n) (the estimate becomes a posterior geometric mean).
    #[arg(long)]
    pub(crate) log_n: bool,
    /// With --uncertainty: nll (estimates and errors by the Gaussian NLL), mse-nll (estimates by MSE: the
    /// posterior mean) or mae-nll (estimates by MAE: the posterior median), errors by the NLL of those.
    #[arg(long, default_value = "nll")]
    pub(crate) loss: LossKind,
    /// Fraction of the run over which the learning rate ramps up (for --init).
    #[arg(long, default_value_t = 0.0)]
    pub(crate) warmup: f64,
    /// Stop after this many validations without improvement (0: never stop early). A fine-tune's
    /// validation loss usually rises while the learning rate is high, so give it room.
    #[arg(long, default_value_t = 5)]
    pub(crate) patience: usize,
    /// Train the second stage of a two-stage estimator: images pass through this (frozen) denoiser first.
    #[arg(long)]
    pub(crate) denoiser: Option<PathBuf>,
    /// With --arch edsr, rdn or autoencoder: small (trains on a CPU) or seed (the seed's sizes).
    #[arg(long, default_value = "small")]
    pub(crate) size_preset: String,
    /// Output weights (.safetensors); the card goes beside it (.json).
    #[arg(short, long)]
    pub(crate) output: PathBuf,
}

impl TrainArgs {
    /// The schedule: batch, rate, samples, validation, seed, budget, warm-up, patience (0: never stop
    /// early) and loss.
    fn options(&self, samples: u64) -> Result<TrainOptions, CliError> {
        if self.batch == 0 || samples == 0 {
            return Err(CliError::input("--batch and --samples must be at least 1"));
        }
        Ok(TrainOptions {
            batch: self.batch,
            learning_rate: self.lr,
            samples,
            eval_every: self.eval_every.max(1),
            seed: self.seed,
            max_seconds: self.max_minutes.map(|m| m * 60.0),
            warmup: self.warmup.clamp(0.0, 1.0),
            patience: if self.patience == 0 {
                usize::MAX
            } else {
                self.patience
            },
            loss: self.loss,
            ..TrainOptions::default()
        })
    }

    /// Simulated training data from `--preset` (`what` says what needs it when it is missing).
    fn simulated(&self, what: &str) -> Result<TrainingData, CliError> {
        let name = self
            .preset
            .as_deref()
            .ok_or_else(|| CliError::input(what.to_string()))?;
        simulated(name, &self.prior, self.seed, self.val_size)
    }
}

/// Batches simulated on the fly from the preset `name` with `prior`, and the fixed validation set of
/// `seed` (what `train` and `search` share).
pub(crate) fn simulated(
    name: &str,
    prior: &PriorArgs,
    seed: u64,
    val_size: u64,
) -> Result<TrainingData, CliError> {
    let preset: Preset = name.parse()?;
    let options = prior.options();
    let description = format!(
        "{preset}{}, simulated on the fly, seed {seed}",
        options.describe()
    );
    Ok(TrainingData::simulated(
        preset,
        options.apply(preset.settings()),
        description,
        seed,
        val_size,
    )?)
}

/// Trains `run` on `data` with the options of `args` and a progress bar, then says what it gave.
fn execute<R: TrainingRun>(
    args: &TrainArgs,
    run: &R,
    data: TrainingData,
    samples: u64,
    context: &str,
) -> Result<(), CliError> {
    let dev = args.device.open()?;
    let options = args.options(samples)?;
    let bar = progress(samples, "samples", true);
    let started = std::time::Instant::now();
    let trained = run
        .train(data, options, &dev, &mut |p| {
            bar.set_position(p.samples);
            let val = p.validation.map_or(String::new(), |m| format!("  val {m}"));
            bar.set_message(format!("loss {:.4}{val}", p.loss));
        })
        .map_err(|e| CliError::from(e).context(context))?;
    bar.finish_and_clear();
    eprintln!(
        "trained {} ({} parameters) in {:.0} s; best validation {} -> {}",
        run.network(),
        trained.parameters,
        started.elapsed().as_secs_f64(),
        trained.metrics,
        args.output.display()
    );
    Ok(())
}

/// Runs `galaxy train`.
pub fn run(args: TrainArgs) -> Result<(), CliError> {
    check_output(&args.output)?;
    match args.arch.as_str() {
        "edsr" | "rdn" => return train_denoiser(args),
        "autoencoder" => return train_autoencoder(args),
        _ => {}
    }
    let mut config = match &args.config {
        Some(path) => read_config::<EstimatorConfig>(path, "an estimator config")?,
        None => EstimatorConfig::new(Architecture::by_name(&args.arch).ok_or_else(|| {
            CliError::input(format!(
                "unknown architecture '{}'; expected xception, resnet or cnn",
                args.arch
            ))
        })?),
    };
    config.conditioning |= args.conditioning;
    config.uncertainty |= args.uncertainty;
    if args.prior.options().psf_family {
        // Data with a PSF image per galaxy and offsets trains a network that reads them.
        config.psf_channel = true;
        config.offsets = true;
    }
    let data = match (&args.preset, &args.train) {
        (Some(_), _) => args.simulated("")?,
        (None, Some(_)) if args.prior.options().any() => return Err(CliError::input(
            "--continuous-n, --log-uniform-n, --disk-shear and --gaussian-shear shape simulated data: give --preset",
        )),
        (None, Some(path)) => {
            let val = args.val.as_deref().map(Dataset::read).transpose()?;
            TrainingData::from_file(Dataset::read(path)?, val, &path.display().to_string())
        }
        (None, None) => return Err(CliError::input("give --preset or --train")),
    };
    let samples = match (args.samples, data.epoch_len()) {
        (Some(s), _) => s,
        (None, Some(epoch)) => args.epochs.unwrap_or(10) * epoch,
        (None, None) => 200_000,
    };
    let scaling = if args.log_n {
        Scaling::default().with_log_label(1)?
    } else {
        Scaling::default()
    };
    let (start, flag) = match (&args.init, args.resume) {
        (Some(path), _) => (Start::FineTune(path.clone()), "--init"),
        (None, true) => (Start::Resume, "--resume"),
        (None, false) => (Start::Fresh, ""),
    };
    let run = EstimatorTraining {
        config,
        scaling,
        start,
        denoiser: args.denoiser.clone(),
        output: args.output.clone(),
        device_name: args.device.name.clone(),
    };
    execute(&args, &run, data, samples, flag)
}

/// `galaxy train --arch edsr|rdn`: (noisy, noiseless) pairs simulated on the fly, L1 loss.
fn train_denoiser(args: TrainArgs) -> Result<(), CliError> {
    let config = match &args.config {
        Some(path) => read_config::<DenoiserConfig>(path, "a denoiser config")?,
        None => DenoiserConfig::by_name(&args.arch, &args.size_preset).ok_or_else(|| {
            CliError::input(format!(
                "--size-preset '{}': expected small or seed",
                args.size_preset
            ))
        })?,
    };
    let data = args.simulated("denoisers train on simulated pairs: give --preset")?;
    let run = DenoiserTraining {
        config,
        output: args.output.clone(),
    };
    execute(&args, &run, data, args.samples.unwrap_or(200_000), "")
}

/// `galaxy train --arch autoencoder`: images, noiseless images and labels simulated on the fly.
fn train_autoencoder(args: TrainArgs) -> Result<(), CliError> {
    let config = match &args.config {
        Some(path) => read_config::<AutoencoderConfig>(path, "an autoencoder config")?,
        None => match args.size_preset.as_str() {
            "small" => AutoencoderConfig::small(),
            "seed" => AutoencoderConfig::seed(),
            other => {
                return Err(CliError::input(format!(
                    "--size-preset '{other}': expected small or seed"
                )))
            }
        },
    };
    let data = args.simulated("the autoencoder trains on simulated images: give --preset")?;
    let run = AutoencoderTraining {
        config,
        output: args.output.clone(),
    };
    execute(&args, &run, data, args.samples.unwrap_or(200_000), "")
}
