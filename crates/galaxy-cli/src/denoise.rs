//! `galaxy denoise`, and `galaxy train --arch edsr|rdn`: the seed's denoisers as tools of their own.

use std::path::PathBuf;

use candle_core::DType;
use candle_nn::{VarBuilder, VarMap};
use clap::Args;
use galaxy_data::Dataset;
use galaxy_nets::denoise::{self, DenoiseObjective, Denoiser, DenoiserCard, DenoiserConfig};
use galaxy_nets::train::{fit, TrainSource};
use ndarray::{Array2, Array3, ArrayView2, Axis};

use crate::generate::check_output_folder;
use crate::nets::{bar, device, net_error, read_config, train_options, training_data, TrainArgs};
use crate::CliError;

/// Arguments of `galaxy denoise`.
#[derive(Args, Debug)]
pub struct DenoiseArgs {
    /// Images in the seed's layout.
    input: PathBuf,
    /// The denoiser (.safetensors with its .json), from `galaxy train --arch edsr|rdn`; default: the
    /// built-in small EDSR (for PSF FWHM 0.5-1.0 and sigma 200-400).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output .npz: the input's arrays and `img_denoised`.
    #[arg(short, long)]
    output: PathBuf,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Images per batch.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Also score the denoiser against the file's noiseless images, next to two classical baselines: a
    /// Gaussian filter of the PSF's FWHM, and the model image of the maximum-likelihood fit.
    #[arg(long)]
    baselines: bool,
}

/// Runs `galaxy denoise`.
pub fn run(args: DenoiseArgs) -> Result<(), CliError> {
    check_output_folder(&args.output)?;
    let dev = device(&args.device)?;
    let data = Dataset::read(&args.input).map_err(|e| CliError::input(e.to_string()))?;
    let (model, name) = match &args.model {
        Some(path) => (
            denoise::load(path, &dev).map_err(net_error)?,
            path.display().to_string(),
        ),
        None => {
            let f = |v: &ndarray::Array1<f32>| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
            crate::defaults::check_ranges(&f(&data.psf_r), &f(&data.sigma), "denoiser")?;
            let b = &crate::defaults::DENOISER;
            (b.load_denoiser(&dev)?, format!("the built-in {}", b.name))
        }
    };
    let started = std::time::Instant::now();
    let progress = bar(data.len() as u64, "{bar:30} {pos}/{len} images  {per_sec}");
    let clean = denoise::denoise(
        &model,
        data.img.view(),
        &data.sigma.to_vec(),
        args.batch,
        &dev,
        &mut |k| progress.inc(k as u64),
    )
    .map_err(net_error)?;
    progress.finish_and_clear();
    data.write_with(&args.output, &[("img_denoised", &clean)])
        .map_err(|e| CliError::internal(e.to_string()))?;
    if args.baselines {
        print_quality(&data, &clean)?;
    }
    eprintln!(
        "denoised {} images with {} in {:.2} s -> {}",
        data.len(),
        name,
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
        Some(path) => read_config::<DenoiserConfig>(path, "a denoiser config")?,
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
    let (_, settings, validation) = training_data(name, args.prior, args.seed, args.val_size)?;
    let samples = args.samples.unwrap_or(200_000);
    if args.batch == 0 || samples == 0 {
        return Err(CliError::input("--batch and --samples must be at least 1"));
    }
    let varmap = VarMap::new();
    let net = Denoiser::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, &dev))
        .map_err(|e| CliError::input(e.to_string()))?;
    let options = train_options(&args, samples);
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

/// Σ(estimate − noiseless)² / Σ(noise variance) of one image, the noise variance being the seed's
/// sigma² + noiseless (Poisson + read noise): 1 for the noisy image itself, on average.
fn mse_fraction(est: ArrayView2<'_, f32>, truth: ArrayView2<'_, f32>, sigma: f32) -> f64 {
    let (mut err, mut var) = (0.0, 0.0);
    for (e, t) in est.iter().zip(truth) {
        err += f64::from(e - t).powi(2);
        var += f64::from(sigma).powi(2) + f64::from(t.max(0.0));
    }
    err / var
}

/// The image blurred by a Gaussian of FWHM `fwhm_pixels` (separable, edges renormalised).
pub(crate) fn gaussian_filter(image: ArrayView2<'_, f32>, fwhm_pixels: f64) -> Array2<f32> {
    let s = fwhm_pixels / (8.0 * std::f64::consts::LN_2).sqrt();
    let r = (3.0 * s).ceil() as isize;
    let kernel: Vec<f64> = (-r..=r)
        .map(|k| (-0.5 * (k as f64 / s).powi(2)).exp())
        .collect();
    let (h, w) = image.dim();
    let pass = |src: &Array2<f64>, along_rows: bool| -> Array2<f64> {
        Array2::from_shape_fn((h, w), |(y, x)| {
            let (mut sum, mut norm) = (0.0, 0.0);
            for (k, wk) in kernel.iter().enumerate() {
                let d = k as isize - r;
                let (yy, xx) = if along_rows {
                    (y as isize, x as isize + d)
                } else {
                    (y as isize + d, x as isize)
                };
                if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
                    sum += wk * src[[yy as usize, xx as usize]];
                    norm += wk;
                }
            }
            sum / norm
        })
    };
    let once = pass(&image.mapv(f64::from), true);
    pass(&once, false).mapv(|v| v as f32)
}

/// The denoising-quality table: noisy image, Gaussian filter, maximum-likelihood model image, denoiser.
fn print_quality(data: &Dataset, clean: &Array3<f32>) -> Result<(), CliError> {
    use rayon::prelude::*;
    let n = data.len();
    let renderer = sersic_render::Renderer::new(sersic_render::Stamp {
        size: data.image_size(),
        scale: 0.23,
    })
    .map_err(|e| CliError::internal(e.to_string()))?;
    let fitter = mle_fit::Fitter::new(&renderer, mle_fit::FitOptions::default())
        .map_err(crate::fit::fit_error)?;
    let rows: Vec<[f64; 4]> = (0..n)
        .into_par_iter()
        .map(|i| {
            let truth = data.img_nonoise.index_axis(Axis(0), i);
            let noisy = data.img.index_axis(Axis(0), i);
            let sigma = data.sigma[i];
            let psf = crate::fit::moffat(2.0, f64::from(data.psf_r[i]))?;
            let blurred = gaussian_filter(noisy, f64::from(data.psf_r[i]) / 0.23);
            let fit = fitter
                .fit(noisy.mapv(f64::from).view(), &psf, f64::from(sigma))
                .map_err(crate::fit::fit_error)?;
            let model = renderer
                .render(&sersic_render::GalaxyParams::from_array(fit.params), &psf)
                .map_err(|e| CliError::internal(e.to_string()))?
                .mapv(|v| v as f32);
            Ok([
                mse_fraction(noisy, truth, sigma),
                mse_fraction(blurred.view(), truth, sigma),
                mse_fraction(model.view(), truth, sigma),
                mse_fraction(clean.index_axis(Axis(0), i), truth, sigma),
            ])
        })
        .collect::<Result<_, CliError>>()?;
    println!("{n} images; mean squared error to the noiseless image / noise variance (1 = the noisy image):");
    for (k, name) in [
        "noisy image",
        "Gaussian filter (PSF FWHM)",
        "maximum-likelihood model",
        "denoiser",
    ]
    .iter()
    .enumerate()
    {
        let mean = rows.iter().map(|r| r[k]).sum::<f64>() / n as f64;
        println!("{name:<28} {mean:.4}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gaussian_filter_keeps_flat_images_and_spreads_a_point_to_its_fwhm() {
        let flat = Array2::from_elem((16, 16), 3.0f32);
        assert!(gaussian_filter(flat.view(), 2.5)
            .iter()
            .all(|v| (v - 3.0).abs() < 1e-5));
        let mut point = Array2::<f32>::zeros((41, 41));
        point[[20, 20]] = 1.0;
        let g = gaussian_filter(point.view(), 4.0);
        assert!((g.sum() - 1.0).abs() < 1e-5);
        // Half maximum two pixels from the centre along a row (FWHM 4), to the sampling's accuracy.
        let ratio = g[[20, 22]] / g[[20, 20]];
        assert!((ratio - 0.5).abs() < 0.02, "{ratio}");
    }

    #[test]
    fn the_mse_fraction_is_relative_to_read_plus_poisson_variance() {
        let truth = Array2::from_elem((4, 4), 300.0f32);
        let off = truth.mapv(|v| v + 20.0);
        // 20² / (10² + 300) = 1.
        assert!((mse_fraction(off.view(), truth.view(), 10.0) - 1.0).abs() < 1e-12);
        assert_eq!(mse_fraction(truth.view(), truth.view(), 10.0), 0.0);
    }
}
