//! `galaxy predict` and `galaxy evaluate`: estimates from a trained network (or a built-in one), and
//! how good any estimates are against a dataset's labels.

use std::path::PathBuf;

use clap::Args;
use galaxy_data::Dataset;
use galaxy_eval::estimates::{self, Estimate};
use galaxy_eval::{bounds_per_image, ErrorTable, Observations};
use galaxy_nets::estimator::{predict_views, Views};
use galaxy_nets::{builtin, pipeline};
use mle_fit::NoiseOption;
use sersic_render::Stamp;

use crate::args::{check_output, progress, NetInput, ShardArgs, ShardPlan};
use crate::image_inputs::ImageInputArgs;
use crate::CliError;
use galaxy_measure::is_fits_path;

/// Arguments of `galaxy predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    #[command(flatten)]
    net: NetInput,
    /// Output CSV.
    #[arg(short, long)]
    output: PathBuf,
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
    /// Which built-in network, without --model: auto (for an `.npz`, the one for its PSF FWHM and sigma;
    /// for a FITS input, the one that reads the PSF) or psf (the one that reads the PSF, also on an `.npz`,
    /// from its psf_img).
    #[arg(long, default_value = "auto", value_parser = ["auto", "psf"])]
    builtin: String,
    /// A FITS input's PSF image, noise, mask and catalogue, as `galaxy fit` takes them (docs/models.md).
    #[command(flatten)]
    inputs: ImageInputArgs,
    #[command(flatten)]
    shard: ShardArgs,
}

/// Runs `galaxy predict`.
pub fn run_predict(args: PredictArgs) -> Result<(), CliError> {
    let plan = args.shard.plan(&args.output)?;
    check_output(&plan.output)?;
    let dev = args.net.device.open()?;
    if is_fits_path(&args.net.input) {
        return predict_fits_input(&args, &plan, &dev);
    }
    let fits_only = args.inputs.fits_only_options();
    if !fits_only.is_empty() {
        return Err(CliError::input(format!(
            "{} go with a FITS input; {} is an .npz",
            fits_only.join(", "),
            args.net.input.display()
        )));
    }
    if let Some((model, name)) = psf_reading_model(&args, &dev)? {
        return predict_npz_with_psf(&args, &plan, &model, &name, &dev);
    }
    let part = plan.net_rows(&args.net.input, args.batch)?;
    let input = Observations::read_range(
        &args.net.input,
        args.psf_fwhm,
        args.sigma,
        part.read.clone(),
    )?;
    let (fwhm, sigma) = (&input.psf_fwhm, &input.sigma);
    let out = Output {
        plan: &plan,
        total: part.total,
        keep: part.keep(),
    };
    let started = std::time::Instant::now();
    if let Some(path) = args
        .net
        .model
        .as_ref()
        .filter(|p| galaxy_nets::autoencoder::is_autoencoder(p))
    {
        if args.denoiser.is_some() || args.symmetrize {
            return Err(CliError::input(
                "the autoencoder's estimates are of the image as it is: drop --denoiser and --symmetrize",
            ));
        }
        let (preds, _) =
            crate::denoise::autoencode(Some(path), &input.img, fwhm, sigma, args.batch, &dev)?;
        let name = path.display().to_string();
        return write_predictions(&out, &preds, &name, started);
    }
    let (model, name) = match &args.net.model {
        Some(path) => (galaxy_nets::load(path, &dev)?, path.display().to_string()),
        None => {
            let b = choose_builtin(&args.net.input, args.psf_fwhm, args.sigma, &plan, &input)?;
            (b.load(&dev)?, format!("built-in {}", b.name))
        }
    };
    let model = pipeline::attach_denoiser(model, &name, args.denoiser.as_deref(), &dev)?;
    let bar = progress(input.len() as u64, "images", false);
    let views = if args.symmetrize {
        Views::Symmetries
    } else {
        Views::One
    };
    let as_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
    let preds = predict_views(
        &model,
        input.img.view(),
        &as_f32(fwhm),
        &as_f32(sigma),
        args.batch,
        views,
        &dev,
        &mut |k| bar.inc(k as u64),
    )?;
    bar.finish_and_clear();
    write_predictions(&out, &preds, &name, started)
}

/// The PSF-reading network `galaxy predict` runs on an `.npz`: the one given with --model if it reads the
/// PSF, or the built-in one with `--builtin psf`; `None` for the other networks.
fn psf_reading_model(
    args: &PredictArgs,
    dev: &candle_core::Device,
) -> Result<Option<(galaxy_nets::estimator::LoadedModel, String)>, CliError> {
    match &args.net.model {
        Some(path) if galaxy_nets::autoencoder::is_autoencoder(path) => Ok(None),
        Some(path) => {
            let model = galaxy_nets::load(path, dev)?;
            Ok(model
                .card
                .estimator
                .psf_channel
                .then(|| (model, path.display().to_string())))
        }
        None if args.builtin == "psf" => Ok(Some((
            builtin::PSF_READING.load(dev)?,
            format!("built-in {}", builtin::PSF_READING.name),
        ))),
        None => Ok(None),
    }
}

/// `galaxy predict` on a FITS input: the network that reads the PSF, given or built in.
fn predict_fits_input(
    args: &PredictArgs,
    plan: &ShardPlan,
    dev: &candle_core::Device,
) -> Result<(), CliError> {
    if args.denoiser.is_some() || args.symmetrize {
        return Err(CliError::input(
            "--denoiser and --symmetrize go with the networks of the seed's stamps (.npz inputs)",
        ));
    }
    let (model, name) = match psf_reading_model(args, dev)? {
        Some(m) => m,
        None if args.net.model.is_some() => {
            return Err(CliError::input(format!(
            "{} does not read a PSF image; a FITS input needs a network that does (the built-in \
                 one, without --model)",
            args.net
                .model
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string())
        )))
        }
        None => (
            builtin::PSF_READING.load(dev)?,
            format!("built-in {}", builtin::PSF_READING.name),
        ),
    };
    let job = crate::predict_fits::FitsPredict {
        input: &args.net.input,
        plan,
        inputs: &args.inputs,
        psf_fwhm: args.psf_fwhm,
        sigma: args.sigma,
        batch: args.batch,
    };
    crate::predict_fits::run(job, &model, &name)
}

/// `galaxy predict` on an `.npz` with a network that reads the PSF: its psf_img (one per image, or one for
/// all) drawn on the images' grid, and the offsets in the output.
fn predict_npz_with_psf(
    args: &PredictArgs,
    plan: &ShardPlan,
    model: &galaxy_nets::estimator::LoadedModel,
    name: &str,
    dev: &candle_core::Device,
) -> Result<(), CliError> {
    if args.denoiser.is_some() || args.symmetrize {
        return Err(CliError::input(
            "--denoiser and --symmetrize do not go with a network that reads the PSF",
        ));
    }
    if args.psf_fwhm.is_some() {
        return Err(CliError::input(
            "a network that reads the PSF takes the file's psf_img, not --psf-fwhm",
        ));
    }
    let part = plan.net_rows(&args.net.input, args.batch)?;
    let data = Dataset::read_range(&args.net.input, part.read.clone())?;
    let sigma: Vec<f32> = match args.sigma {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            return Err(CliError::input(format!("--sigma must be > 0, got {s}")))
        }
        Some(s) => vec![s as f32; data.len()],
        None => data.sigma.to_vec(),
    };
    let widths: Vec<f64> = data
        .psf_img
        .outer_iter()
        .map(|p| galaxy_data::psf_family::stamp_psf_fwhm(p, 1.0))
        .collect();
    builtin::check_psf_reading_ranges(&widths, &[])?;
    let started = std::time::Instant::now();
    let bar = progress(data.len() as u64, "images", false);
    let preds = galaxy_nets::estimator::predict_with_psf(
        model,
        data.img.view(),
        data.psf_img.view(),
        &sigma,
        args.batch,
        dev,
        &mut |k| bar.inc(k as u64),
    )?;
    bar.finish_and_clear();
    let out = Output {
        plan,
        total: part.total,
        keep: part.keep(),
    };
    let kept = &preds[out.keep.clone()];
    let rows: Vec<Estimate> = kept
        .iter()
        .map(|p| Estimate {
            params: p.estimate.params,
            errors: p.estimate.errors,
        })
        .collect();
    let stamp = plan.stamp(part.total);
    let extra = crate::predict_fits::offset_columns(kept);
    estimates::write_stamped(&plan.output, &rows, &extra, stamp.as_ref())?;
    let (n, seconds) = (kept.len(), started.elapsed().as_secs_f64());
    eprintln!(
        "predicted {n} images{} with {name} in {seconds:.2} s ({:.0} images/s) -> {}",
        plan.describe(part.total),
        n as f64 / seconds.max(1e-9),
        plan.output.display()
    );
    Ok(())
}

/// Where predictions go: the shard's output and the input's row count (for its stamp).
struct Output<'a> {
    plan: &'a ShardPlan,
    total: u64,
    /// The part's images among those predicted (whole batches around it).
    keep: std::ops::Range<usize>,
}

/// The estimates table and a summary line.
fn write_predictions(
    out: &Output<'_>,
    preds: &[galaxy_nets::estimator::Prediction],
    model_name: &str,
    started: std::time::Instant,
) -> Result<(), CliError> {
    let preds = &preds[out.keep.clone()];
    let rows: Vec<Estimate> = preds
        .iter()
        .map(|p| Estimate {
            params: p.params,
            errors: p.errors,
        })
        .collect();
    let stamp = out.plan.stamp(out.total);
    estimates::write_stamped(&out.plan.output, &rows, &[], stamp.as_ref())?;
    let (n, seconds) = (preds.len(), started.elapsed().as_secs_f64());
    eprintln!(
        "predicted {n} images{} with {model_name} in {seconds:.2} s ({:.0} images/s) -> {}",
        out.plan.describe(out.total),
        n as f64 / seconds.max(1e-9),
        out.plan.output.display()
    );
    Ok(())
}

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
    let truth = Dataset::read(&args.truth)?;
    let n = truth.len();
    let est = estimates::read_for(&args.predictions, n)?;
    let labels = truth.truth();
    // A set of one galaxy (the seed's test sets) gets its bound; a population's spread of bounds says
    // little about any one estimate, so it gets none.
    let fixed = n > 0 && labels.iter().all(|l| *l == labels[0]);
    let crb = if fixed {
        let stamp = Stamp::square(truth.image_size(), 0.23);
        let (fwhm, sigma) = (truth.psf_fwhm(), truth.sigmas());
        Some(bounds_per_image(
            stamp,
            &labels,
            2.0,
            &fwhm,
            &sigma,
            NoiseOption::Poisson,
        )?)
    } else {
        None
    };
    let table = ErrorTable::with_units(&est, &labels, crb.as_deref(), [1.0; 5]);
    if args.json {
        println!("{}", table.json());
    } else {
        let note = if fixed {
            " of one galaxy; CRB at its parameters"
        } else {
            ""
        };
        print!("{n} images{note}\n{}", table.compact_text());
    }
    Ok(())
}

/// The built-in network for the images `input` read from `path`: a shard picks the one the whole run
/// would, from the whole file's PSF FWHM and sigma.
fn choose_builtin(
    path: &std::path::Path,
    psf_fwhm: Option<f64>,
    sigma: Option<f64>,
    plan: &ShardPlan,
    input: &Observations,
) -> Result<&'static builtin::BuiltIn, CliError> {
    Ok(if plan.shard.count > 1 {
        let (all_fwhm, all_sigma) = Observations::conditions(path, psf_fwhm, sigma)?;
        builtin::choose(&all_fwhm, &all_sigma)?
    } else {
        builtin::choose(&input.psf_fwhm, &input.sigma)?
    })
}

/// Images per batch when the built-in network gives `galaxy fit --start network` its starts.
const START_BATCH: usize = 256;

/// The built-in network's estimates (flux, n, hlr, g1, g2) of the images of `part`, this shard's part of
/// the `.npz` at `path`, on the CPU: the starts of `galaxy fit --start network`. Batches are the
/// unsharded run's, so a part's starts, and so its fits, are those of the whole run; only the images
/// that fill its first and last batches are read again.
pub(crate) fn network_starts(
    path: &std::path::Path,
    psf_fwhm: Option<f64>,
    sigma: Option<f64>,
    plan: &ShardPlan,
    part: &galaxy_data::Part<Observations>,
) -> Result<Vec<[f64; 5]>, CliError> {
    let rows = plan.net_rows(path, START_BATCH)?;
    let widened;
    let input = if rows.read == part.rows {
        &part.data
    } else {
        widened = Observations::read_range(path, psf_fwhm, sigma, rows.read.clone())?;
        &widened
    };
    let dev = candle_core::Device::Cpu;
    let model = choose_builtin(path, psf_fwhm, sigma, plan, input)?.load(&dev)?;
    let as_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
    let preds = predict_views(
        &model,
        input.img.view(),
        &as_f32(&input.psf_fwhm),
        &as_f32(&input.sigma),
        START_BATCH,
        Views::One,
        &dev,
        &mut |_| {},
    )?;
    Ok(preds[rows.keep()].iter().map(|p| p.params).collect())
}
