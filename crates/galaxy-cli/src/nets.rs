//! `galaxy train`, `galaxy predict`, `galaxy evaluate`: the neural estimators.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use clap::Args;
use galaxy_data::{Dataset, Preset, Simulator};
use galaxy_nets::train::{fit, EstimatorObjective, LossKind, Metrics, TrainOptions, TrainSource};
use galaxy_nets::{card, Architecture, Estimator, EstimatorConfig, ModelCard, NetError, Scaling};
use indicatif::{ProgressBar, ProgressStyle};
use sersic_render::PARAM_NAMES;

use crate::fit::read_fit_input;
use crate::generate::check_output_folder;
use crate::CliError;

pub(crate) fn net_error(e: NetError) -> CliError {
    match e {
        NetError::BadInput(_) => CliError::input(e.to_string()),
        _ => CliError::internal(e.to_string()),
    }
}

pub(crate) fn device(name: &str) -> Result<Device, CliError> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Device::new_cuda(0).map_err(|e| {
            CliError::input(format!("--device cuda: {e} (build with --features cuda)"))
        }),
        other => Err(CliError::input(format!(
            "unknown device '{other}'; expected cpu or cuda"
        ))),
    }
}

pub(crate) fn bar(len: u64, template: &str) -> ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    }
}

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
    pub(crate) prior: crate::prior_args::PriorArgs,
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
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    pub(crate) device: String,
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

fn arch_name(a: &Architecture) -> &'static str {
    match a {
        Architecture::Xception(_) => "xception",
        Architecture::Resnet(_) => "resnet",
        Architecture::Cnn(_) => "cnn",
    }
}

fn read_dataset(path: &Path) -> Result<Dataset, CliError> {
    Dataset::read(path).map_err(|e| CliError::input(e.to_string()))
}

/// A training preset's simulation settings and its fixed validation set (seed + 1,000,003): what
/// `train` and `search` share. snr30 and snr60 are test sets and refused.
pub(crate) fn training_data(
    name: &str,
    prior: crate::prior_args::PriorArgs,
    seed: u64,
    val_size: u64,
) -> Result<(Preset, galaxy_data::SimSettings, Dataset), CliError> {
    let preset: Preset = name
        .parse()
        .map_err(|e: galaxy_data::DataError| CliError::input(e.to_string()))?;
    if matches!(preset, Preset::Snr30 | Preset::Snr60) {
        return Err(CliError::input(
            "train on data_v1, data_v2 or data_v3; snr30 and snr60 are test sets",
        ));
    }
    let settings = prior.apply(preset.settings());
    let val = Simulator::new(settings, seed.wrapping_add(1_000_003))
        .and_then(|s| s.batch(0..val_size))
        .map_err(|e| CliError::internal(e.to_string()))?;
    Ok((preset, settings, val))
}

/// A JSON configuration file (`what` names its kind in the error).
pub(crate) fn read_config<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::input(format!("{}: not {what}: {e}", path.display())))
}

/// The schedule options of `galaxy train` (batch, rate, samples, validation, seed, budget, warm-up,
/// patience with 0 = never stop early); the loss and a resumed start are the caller's.
pub(crate) fn train_options(args: &TrainArgs, samples: u64) -> TrainOptions {
    TrainOptions {
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
    }
}

/// Runs `galaxy train`.
pub fn run_train(args: TrainArgs) -> Result<(), CliError> {
    match args.arch.as_str() {
        "edsr" | "rdn" => return crate::denoise::run_train(args),
        "autoencoder" => return crate::autoencoder::run_train(args),
        _ => {}
    }
    check_output_folder(&args.output)?;
    let dev = device(&args.device)?;
    let mut cfg = match &args.config {
        Some(path) => read_config::<EstimatorConfig>(path, "an estimator config")?,
        None => EstimatorConfig::new(Architecture::by_name(&args.arch).ok_or_else(|| {
            CliError::input(format!(
                "unknown architecture '{}'; expected xception, resnet or cnn",
                args.arch
            ))
        })?),
    };
    cfg.conditioning |= args.conditioning;
    cfg.uncertainty |= args.uncertainty;
    let (source, validation, description, samples) = match (&args.preset, &args.train) {
        (Some(name), _) => {
            let (preset, settings, val) =
                training_data(name, args.prior, args.seed, args.val_size)?;
            let samples = args.samples.unwrap_or(200_000);
            (
                TrainSource::Simulated(Box::new(settings)),
                val,
                format!(
                    "{preset}{}, simulated on the fly, seed {}",
                    args.prior.describe(),
                    args.seed
                ),
                samples,
            )
        }
        (None, Some(_)) if args.prior.any() => return Err(CliError::input(
            "--continuous-n, --log-uniform-n, --disk-shear and --gaussian-shear shape simulated data: give --preset",
        )),
        (None, Some(path)) => {
            let data = read_dataset(path)?;
            let (train_set, val) = match &args.val {
                Some(v) => (data, read_dataset(v)?),
                None => {
                    let n = data.len();
                    let cut = n - (n / 10).max(1);
                    let idx = |r: std::ops::Range<usize>| r.collect::<Vec<_>>();
                    (
                        galaxy_nets::train::subset(&data, &idx(0..cut)),
                        galaxy_nets::train::subset(&data, &idx(cut..n)),
                    )
                }
            };
            let samples = args
                .samples
                .unwrap_or(args.epochs.unwrap_or(10) * train_set.len() as u64);
            let description = format!("{} ({} images)", path.display(), train_set.len());
            (
                TrainSource::Dataset(Box::new(train_set)),
                val,
                description,
                samples,
            )
        }
        (None, None) => return Err(CliError::input("give --preset or --train")),
    };
    if args.batch == 0 || samples == 0 {
        return Err(CliError::input("--batch and --samples must be at least 1"));
    }
    let mut varmap = VarMap::new();
    let net = Estimator::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, &dev))
        .map_err(|e| CliError::input(e.to_string()))?;
    let mut scaling = Scaling::default();
    if args.log_n {
        scaling = scaling.with_log_label(1).map_err(CliError::internal)?;
    }
    let mut start_sample = 0;
    let mut initialised_from = serde_json::Value::Null;
    let earlier = match (&args.init, args.resume) {
        (Some(path), _) => Some(("--init", path.as_path())),
        (None, true) => Some(("--resume", args.output.as_path())),
        (None, false) => None,
    };
    if let Some((flag, path)) = earlier {
        let previous =
            card::load(path, &dev).map_err(|e| CliError::input(format!("{flag}: {e}")))?;
        if previous.card.estimator != cfg {
            return Err(CliError::input(format!(
                "{flag}: {} was trained with another configuration",
                path.display()
            )));
        }
        varmap
            .load(path)
            .map_err(|e| CliError::input(format!("{flag}: {}: {e}", path.display())))?;
        if args.resume {
            if previous.card.scaling != scaling {
                return Err(CliError::input(format!(
                    "--resume: {} was trained with another label scaling (--log-n)",
                    path.display()
                )));
            }
            start_sample = previous.card.training["samples_seen"].as_u64().unwrap_or(0);
        } else {
            initialised_from = serde_json::json!({
                "path": path.display().to_string(),
                "training": previous.card.training,
            });
        }
    }
    let options = TrainOptions {
        start_sample,
        loss: args.loss,
        ..train_options(&args, samples)
    };
    let denoiser = match &args.denoiser {
        Some(path) => Some(
            galaxy_nets::denoise::load(path, &dev)
                .map_err(|e| CliError::input(format!("--denoiser: {e}")))?,
        ),
        None => None,
    };
    let denoiser_record = denoiser.as_ref().map_or(serde_json::Value::Null, |d| {
        serde_json::json!({
            "path": args.denoiser.as_ref().map(|p| p.display().to_string()),
            "config": d.card.denoiser, "parameters": d.card.parameters,
        })
    });
    let card_for = |m: &Metrics, seen: u64, varmap: &VarMap| ModelCard {
        format: "galaxy-nets/1".into(),
        estimator: cfg.clone(),
        scaling: scaling.clone(),
        training: serde_json::json!({
            "data": description, "samples_seen": seen, "batch": args.batch, "learning_rate": args.lr,
            "seed": args.seed, "device": args.device, "log_n": args.log_n,
            "loss": args.loss, "warmup": args.warmup,
            "initialised_from": initialised_from, "denoiser": denoiser_record,
        }),
        validation: serde_json::json!({
            "images": validation.len(), "loss": m.loss,
            "rmse": PARAM_NAMES.iter().zip(m.rmse).map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
        }),
        parameters: card::parameter_count(varmap),
        error_scale: [1.0; 5],
    };
    let progress = bar(samples, "{bar:30} {pos}/{len} samples  {per_sec}  {msg}");
    let started = std::time::Instant::now();
    let objective = EstimatorObjective {
        net: &net,
        scaling: &scaling,
        kind: options.loss,
        denoiser: denoiser.as_ref().map(|d| &d.net),
    };
    let best = fit(
        &objective,
        &varmap,
        &options,
        source,
        &validation,
        &dev,
        &mut |p| {
            progress.set_position(p.samples);
            let val = p.validation.map_or(String::new(), |m| {
                format!(
                    "  val RMSE flux {:.0} n {:.3} hlr {:.4} g1 {:.4} g2 {:.4}",
                    m.rmse[0], m.rmse[1], m.rmse[2], m.rmse[3], m.rmse[4]
                )
            });
            progress.set_message(format!("loss {:.4}{val}", p.loss));
        },
        &mut |m, seen| card::save(&args.output, &varmap, &card_for(m, seen, &varmap)),
    )
    .map_err(net_error)?;
    progress.finish_and_clear();
    eprintln!(
        "trained {} ({} parameters) in {:.0} s; best validation loss {:.4}, RMSE flux {:.0} n {:.3} hlr {:.4} g1 {:.4} g2 {:.4} -> {}",
        arch_name(&cfg.architecture),
        card::parameter_count(&varmap),
        started.elapsed().as_secs_f64(),
        best.loss,
        best.rmse[0],
        best.rmse[1],
        best.rmse[2],
        best.rmse[3],
        best.rmse[4],
        args.output.display()
    );
    Ok(())
}

/// Arguments of `galaxy predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// Images in the seed's layout (img; psf_r and sigma unless given).
    input: PathBuf,
    /// Trained weights (.safetensors, with its .json beside it); default: the built-in model for the
    /// file's PSF and sigma (fixed PSF 0.5 and sigma 200, or the conditioned one for PSF 0.5-1.0 and sigma
    /// 200-400).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output CSV.
    #[arg(short, long)]
    output: PathBuf,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Images per batch.
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// PSF FWHM for every image, instead of the file's psf_r.
    #[arg(long, allow_negative_numbers = true)]
    psf_fwhm: Option<f64>,
    /// Sigma for every image, instead of the file's sigma.
    #[arg(long, allow_negative_numbers = true)]
    sigma: Option<f64>,
    /// A two-stage estimator: denoise with this (EDSR/RDN) first; the --model must have been trained on its
    /// output (`galaxy train --denoiser`).
    #[arg(long, requires = "model")]
    denoiser: Option<PathBuf>,
    /// Average the estimates over the eight symmetries of the square (flips, transposes, quarter turns),
    /// each mapped back to the image's orientation: a few percent lower RMSE, 8x the time. The errors are
    /// the views' mean, those of a single view (docs/models.md).
    #[arg(long)]
    symmetrize: bool,
}

/// Puts `denoiser` in front of `model` when the model was trained behind it (`galaxy train --denoiser`).
/// A two-stage model without its denoiser, behind another one, or a one-stage model behind one is an
/// error naming the model (`model_name`): each would measure images unlike those it learned from.
pub(crate) fn attach_denoiser(
    model: card::LoadedModel,
    model_name: &str,
    denoiser: Option<&Path>,
    dev: &Device,
) -> Result<card::LoadedModel, CliError> {
    let trained_on = &model.card.training["denoiser"];
    match (denoiser, trained_on.is_null()) {
        (Some(path), false) => {
            let d = galaxy_nets::denoise::load(path, dev)
                .map_err(|e| CliError::input(format!("--denoiser: {e}")))?;
            if serde_json::to_value(d.card.denoiser).ok().as_ref() != Some(&trained_on["config"]) {
                return Err(CliError::input(format!(
                    "--denoiser {} is not the denoiser {model_name} was trained behind",
                    path.display()
                )));
            }
            Ok(model.with_denoiser(d.net))
        }
        (None, true) => Ok(model),
        (Some(_), true) => Err(CliError::input(format!(
            "{model_name} was trained on raw images, not denoised ones: drop --denoiser"
        ))),
        (None, false) => Err(CliError::input(format!(
            "{model_name} measures denoised images (trained behind {}): give --denoiser",
            trained_on["path"].as_str().unwrap_or("a denoiser")
        ))),
    }
}

/// Runs `galaxy predict`.
pub fn run_predict(args: PredictArgs) -> Result<(), CliError> {
    check_output_folder(&args.output)?;
    let dev = device(&args.device)?;
    let input = read_fit_input(&args.input, args.psf_fwhm, args.sigma)?;
    if let Some(path) = args
        .model
        .as_ref()
        .filter(|p| galaxy_nets::autoencode::is_autoencoder(p))
    {
        if args.denoiser.is_some() || args.symmetrize {
            return Err(CliError::input(
                "the autoencoder's estimates are of the image as it is: drop --denoiser and --symmetrize",
            ));
        }
        let started = std::time::Instant::now();
        let (preds, _) = crate::autoencoder::estimates(
            Some(path),
            &input.img,
            &input.psf_fwhm.to_vec(),
            &input.sigma.to_vec(),
            args.batch,
            &args.device,
        )?;
        return write_predictions(&args.output, &preds, &path.display().to_string(), started);
    }
    let (model, model_name) = match &args.model {
        Some(path) => (
            card::load(path, &dev).map_err(net_error)?,
            path.display().to_string(),
        ),
        None => {
            let builtin = crate::defaults::choose(&input.psf_fwhm.to_vec(), &input.sigma.to_vec())?;
            (builtin.load(&dev)?, format!("built-in {}", builtin.name))
        }
    };
    let model = attach_denoiser(model, &model_name, args.denoiser.as_deref(), &dev)?;
    let n = input.img.len_of(ndarray::Axis(0));
    let psf: Vec<f32> = input.psf_fwhm.iter().map(|&v| v as f32).collect();
    let sigma: Vec<f32> = input.sigma.iter().map(|&v| v as f32).collect();
    let progress = bar(n as u64, "{bar:40} {pos}/{len} images  {per_sec}");
    let started = std::time::Instant::now();
    let views = if args.symmetrize {
        galaxy_nets::predict::Views::Symmetries
    } else {
        galaxy_nets::predict::Views::One
    };
    let preds = galaxy_nets::predict::predict_views(
        &model,
        input.img.view(),
        &psf,
        &sigma,
        args.batch,
        views,
        &dev,
        &mut |k| progress.inc(k as u64),
    )
    .map_err(net_error)?;
    progress.finish_and_clear();
    write_predictions(&args.output, &preds, &model_name, started)
}

/// The estimates CSV (the parameters, then their errors when the model gives them) and a summary line.
fn write_predictions(
    output: &Path,
    preds: &[galaxy_nets::predict::Prediction],
    model_name: &str,
    started: std::time::Instant,
) -> Result<(), CliError> {
    let n = preds.len();
    let seconds = started.elapsed().as_secs_f64();
    let with_errors = preds.first().is_some_and(|p| p.errors.is_some());
    let mut header: Vec<String> = PARAM_NAMES.iter().map(|s| s.to_string()).collect();
    if with_errors {
        header.extend(PARAM_NAMES.iter().map(|s| format!("{s}_err")));
    }
    let rows = preds.iter().map(|p| {
        let mut row: Vec<String> = p.params.iter().map(|v| format!("{v:.9e}")).collect();
        if let Some(e) = p.errors {
            row.extend(e.iter().map(|v| format!("{v:.9e}")));
        }
        row
    });
    crate::output::write_csv_atomic(output, &header, rows)?;
    eprintln!(
        "predicted {n} images with {model_name} in {seconds:.2} s ({:.0} images/s) -> {}",
        n as f64 / seconds.max(1e-9),
        output.display()
    );
    Ok(())
}

/// Arguments of `galaxy evaluate`.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Predictions or fits (CSV with columns flux, sersic_index, half_light_radius, g1, g2).
    predictions: PathBuf,
    /// The dataset they were made from (its label, psf_r and sigma).
    #[arg(long)]
    truth: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `galaxy evaluate`.
pub fn run_evaluate(args: EvaluateArgs) -> Result<(), CliError> {
    let truth = read_dataset(&args.truth)?;
    let mut reader = csv::Reader::from_path(&args.predictions)
        .map_err(|e| CliError::input(format!("{}: {e}", args.predictions.display())))?;
    let headers = reader
        .headers()
        .map_err(|e| CliError::input(format!("{}: {e}", args.predictions.display())))?
        .clone();
    let cols: Vec<usize> = PARAM_NAMES
        .iter()
        .map(|k| {
            headers.iter().position(|h| h == *k).ok_or_else(|| {
                CliError::input(format!("{}: no column '{k}'", args.predictions.display()))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut est: Vec<[f64; 5]> = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            CliError::input(format!(
                "{}: row {}: {e}",
                args.predictions.display(),
                row + 2
            ))
        })?;
        let mut v = [0.0; 5];
        for (j, &c) in cols.iter().enumerate() {
            let field = record.get(c).unwrap_or("");
            v[j] = field
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    CliError::input(format!(
                        "{}: row {}: field {}: '{field}' is not a finite number",
                        args.predictions.display(),
                        row + 2,
                        PARAM_NAMES[j]
                    ))
                })?;
        }
        est.push(v);
    }
    if est.len() != truth.len() {
        return Err(CliError::input(format!(
            "{} rows of predictions for {} images",
            est.len(),
            truth.len()
        )));
    }
    let n = est.len();
    let fixed = (0..n).all(|i| truth.label.row(i) == truth.label.row(0)) && n > 0;
    let crb = if fixed {
        let renderer = sersic_render::Renderer::new(sersic_render::Stamp {
            size: truth.image_size(),
            scale: 0.23,
        })
        .map_err(|e| CliError::internal(e.to_string()))?;
        let galaxy = sersic_render::GalaxyParams::from_array(std::array::from_fn(|j| {
            f64::from(truth.label[[0, j]])
        }));
        let psf = sersic_render::Psf::moffat(2.0, f64::from(truth.psf_r[0]))
            .map_err(|e| CliError::input(e.to_string()))?;
        let noise = mle_fit::NoiseOption::Poisson
            .noise(f64::from(truth.sigma[0]))
            .map_err(|e| CliError::input(e.to_string()))?;
        Some(
            mle_fit::crb(&renderer, &galaxy, &psf, &noise)
                .map_err(|e| CliError::input(e.to_string()))?
                .sigma,
        )
    } else {
        None
    };
    let mut table = serde_json::Map::new();
    for j in 0..5 {
        let d: Vec<f64> = (0..n)
            .map(|i| est[i][j] - f64::from(truth.label[[i, j]]))
            .collect();
        let crate::stats::Summary { bias, std, rmse } = crate::stats::summarize(&d);
        let mut entry = serde_json::json!({"bias": bias, "std": std, "rmse": rmse});
        if let Some(c) = crb {
            entry["crb"] = serde_json::json!(c[j]);
        }
        table.insert(PARAM_NAMES[j].to_string(), entry);
    }
    if args.json {
        println!("{}", serde_json::Value::Object(table));
        return Ok(());
    }
    println!(
        "{n} images{}",
        if fixed {
            " of one galaxy; CRB at its parameters"
        } else {
            ""
        }
    );
    println!(
        "{:<18} {:>12} {:>12} {:>12} {:>12}",
        "parameter", "bias", "std", "RMSE", "CRB"
    );
    for k in PARAM_NAMES {
        let e = &table[k];
        let crb = e
            .get("crb")
            .and_then(|v| v.as_f64())
            .map_or("-".to_string(), |v| format!("{v:.5}"));
        println!(
            "{k:<18} {:>12.5} {:>12.5} {:>12.5} {crb:>12}",
            e["bias"].as_f64().unwrap_or(0.0),
            e["std"].as_f64().unwrap_or(0.0),
            e["rmse"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(())
}
