//! `galaxy train --arch autoencoder`, `galaxy reconstruct`, and `galaxy predict` with an autoencoder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::DType;
use candle_nn::{VarBuilder, VarMap};
use clap::Args;
use galaxy_data::Dataset;
use galaxy_nets::autoencode::{self, AutoencoderCard, AutoencoderObjective, FORMAT};
use galaxy_nets::models::autoencoder::{Autoencoder, AutoencoderConfig};
use galaxy_nets::predict::Prediction;
use galaxy_nets::train::{fit, TrainSource};
use galaxy_nets::Scaling;
use ndarray::{Array2, Array3};
use sersic_render::{Psf, Renderer, Stamp};

use crate::generate::check_output_folder;
use crate::nets::{bar, device, net_error, read_config, train_options, training_data, TrainArgs};
use crate::CliError;

/// `galaxy train --arch autoencoder`: batches simulated from a preset (images, noiseless images, labels).
pub fn run_train(args: TrainArgs) -> Result<(), CliError> {
    check_output_folder(&args.output)?;
    let dev = device(&args.device)?;
    let cfg = match &args.config {
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
    let name = args.preset.as_deref().ok_or_else(|| {
        CliError::input("the autoencoder trains on simulated images: give --preset")
    })?;
    let (_, settings, validation) = training_data(name, args.prior, args.seed, args.val_size)?;
    let samples = args.samples.unwrap_or(200_000);
    if args.batch == 0 || samples == 0 {
        return Err(CliError::input("--batch and --samples must be at least 1"));
    }
    let varmap = VarMap::new();
    let net = Autoencoder::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, &dev))
        .map_err(|e| CliError::input(e.to_string()))?;
    let scaling = Scaling::default();
    let options = train_options(&args, samples);
    let parameters = galaxy_nets::card::parameter_count(&varmap);
    let card_for = |m: &autoencode::AutoencoderMetrics, seen: u64| AutoencoderCard {
        format: FORMAT.into(),
        autoencoder: cfg.clone(),
        scaling: scaling.clone(),
        training: serde_json::json!({
            "data": format!("{name} simulated on the fly, seed {}", args.seed),
            "samples_seen": seen, "batch": args.batch, "learning_rate": args.lr,
        }),
        validation: serde_json::json!({
            "images": validation.len(), "loss": m.loss, "reconstruction_mse_over_sigma2": m.reconstruction,
            "rmse": m.rmse,
        }),
        parameters,
    };
    let progress = bar(samples, "{bar:30} {pos}/{len} samples  {per_sec}  {msg}");
    let started = std::time::Instant::now();
    let objective = AutoencoderObjective {
        net: &net,
        scaling: &scaling,
    };
    let best = fit(
        &objective,
        &varmap,
        &options,
        TrainSource::Simulated(Box::new(settings)),
        &validation,
        &dev,
        &mut |p| {
            progress.set_position(p.samples);
            progress.set_message(format!("loss {:.4}", p.loss));
        },
        &mut |m, seen| autoencode::save(&args.output, &varmap, &card_for(m, seen)),
    )
    .map_err(net_error)?;
    progress.finish_and_clear();
    eprintln!(
        "trained autoencoder ({parameters} parameters) in {:.0} s; best validation loss {:.4}, reconstruction MSE {:.4} (sigma²), RMSE flux {:.0} n {:.3} hlr {:.4} g1 {:.4} g2 {:.4} -> {}",
        started.elapsed().as_secs_f64(),
        best.loss,
        best.reconstruction,
        best.rmse[0],
        best.rmse[1],
        best.rmse[2],
        best.rmse[3],
        best.rmse[4],
        args.output.display()
    );
    Ok(())
}

/// Moffat beta 2 PSF images for these FWHMs (the seed's PSF), drawn once per distinct FWHM.
fn psf_images(fwhm: &[f64], size: usize) -> Result<Array3<f32>, CliError> {
    let renderer = Renderer::new(Stamp { size, scale: 0.23 })
        .map_err(|e| CliError::internal(e.to_string()))?;
    let mut cache: HashMap<u64, Array2<f32>> = HashMap::new();
    let mut out = Array3::zeros((fwhm.len(), size, size));
    for (i, &f) in fwhm.iter().enumerate() {
        let image = match cache.entry(f.to_bits()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let psf =
                    Psf::moffat(2.0, f).map_err(|e| CliError::input(format!("image {i}: {e}")))?;
                let img = renderer
                    .render_psf(&psf)
                    .map_err(|e| CliError::input(format!("image {i}: {e}")))?;
                e.insert(img.mapv(|v| v as f32))
            }
        };
        out.slice_mut(ndarray::s![i, .., ..]).assign(image);
    }
    Ok(out)
}

/// Estimates (and reconstructions) of images with an autoencoder (the built-in one when `model_path` is
/// `None`); PSF images drawn from their FWHMs.
pub fn estimates(
    model_path: Option<&Path>,
    img: &Array3<f32>,
    psf_fwhm: &[f64],
    sigma: &[f64],
    batch: usize,
    device_name: &str,
) -> Result<(Vec<Prediction>, Array3<f32>), CliError> {
    let dev = device(device_name)?;
    let model = match model_path {
        Some(path) => autoencode::load(path, &dev).map_err(net_error)?,
        None => {
            crate::defaults::check_ranges(psf_fwhm, sigma, "autoencoder")?;
            crate::defaults::AUTOENCODER.load_autoencoder(&dev)?
        }
    };
    let psf = psf_images(psf_fwhm, img.dim().1)?;
    let sigma: Vec<f32> = sigma.iter().map(|&s| s as f32).collect();
    let progress = bar(img.dim().0 as u64, "{bar:40} {pos}/{len} images  {per_sec}");
    let out = autoencode::run(
        &model,
        img.view(),
        &|i| psf.slice(ndarray::s![i, .., ..]),
        &sigma,
        batch,
        &dev,
        &mut |k| progress.inc(k as u64),
    )
    .map_err(net_error)?;
    progress.finish_and_clear();
    Ok(out)
}

/// Arguments of `galaxy reconstruct`.
#[derive(Args, Debug)]
pub struct ReconstructArgs {
    /// Images in the seed's layout.
    input: PathBuf,
    /// The autoencoder (`galaxy train --arch autoencoder`); default: the built-in small one (for PSF
    /// FWHM 0.5-1.0 and sigma 200-400).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output .npz: the input's arrays and `img_reconstructed` (what the decoder draws from the latent).
    #[arg(short, long)]
    output: PathBuf,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// Runs `galaxy reconstruct`.
pub fn run_reconstruct(args: ReconstructArgs) -> Result<(), CliError> {
    check_output_folder(&args.output)?;
    let data = Dataset::read(&args.input).map_err(|e| CliError::input(e.to_string()))?;
    let fwhm: Vec<f64> = data.psf_r.iter().map(|&v| f64::from(v)).collect();
    let sigma: Vec<f64> = data.sigma.iter().map(|&v| f64::from(v)).collect();
    let (_, recon) = estimates(
        args.model.as_deref(),
        &data.img,
        &fwhm,
        &sigma,
        64,
        &args.device,
    )?;
    data.write_with(&args.output, &[("img_reconstructed", &recon)])
        .map_err(|e| CliError::internal(e.to_string()))?;
    eprintln!(
        "reconstructed {} images -> {}",
        data.len(),
        args.output.display()
    );
    Ok(())
}
