//! `galaxy crb` and `galaxy fit`: Cramér–Rao bounds for one galaxy, maximum-likelihood fits of a dataset.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mle_fit::{crb, FitError, FitOptions, FitResult, Fitter, NoiseOption};
use ndarray::{Array1, Array2, Array3, Axis};
use ndarray_npy::NpzReader;
use rayon::prelude::*;
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp, PARAM_NAMES};

use crate::generate::check_output_folder;
use crate::CliError;

/// Arguments of `galaxy crb`.
#[derive(Args, Debug)]
pub struct CrbArgs {
    /// Total flux, counts.
    #[arg(long, allow_negative_numbers = true)]
    flux: f64,
    /// Sérsic index n, in [0.3, 6.2].
    #[arg(long, allow_negative_numbers = true)]
    sersic_index: f64,
    /// Half-light radius, arcsec.
    #[arg(long, allow_negative_numbers = true)]
    half_light_radius: f64,
    /// Reduced shear g1.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    g1: f64,
    /// Reduced shear g2.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    g2: f64,
    /// Moffat PSF FWHM, arcsec.
    #[arg(long, allow_negative_numbers = true)]
    psf_fwhm: f64,
    /// Moffat PSF beta.
    #[arg(long, allow_negative_numbers = true, default_value_t = 2.0)]
    psf_beta: f64,
    /// Gaussian read-noise sigma, ADU.
    #[arg(long, allow_negative_numbers = true)]
    sigma: f64,
    /// Noise model: gaussian (sigma² alone) or poisson (sigma² + max(model, 0), with its variance term).
    #[arg(long, default_value = "poisson")]
    noise: String,
    /// Print one JSON object {flux, sersic_index, half_light_radius, g1, g2} instead of a table.
    #[arg(long)]
    json: bool,
    /// Stamp size, pixels.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Pixel scale, arcsec per pixel.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.23)]
    scale: f64,
}

/// The options of the commands that measure a dataset image by image (`fit`, `posterior`).
#[derive(Args, Debug)]
pub(crate) struct PerImageArgs {
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// PSF FWHM for every image, instead of the file's psf_r.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) psf_fwhm: Option<f64>,
    /// Noise sigma for every image, instead of the file's sigma.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) sigma: Option<f64>,
}

/// Arguments of `galaxy fit`.
#[derive(Args, Debug)]
pub struct FitArgs {
    /// Dataset in the seed's layout: img [N, S, S]; psf_r and sigma [N] unless given below; label [N, 5]
    /// optional (then a summary against the truth is printed).
    input: PathBuf,
    /// Output CSV, one row per image.
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    per_image: PerImageArgs,
    /// Likelihood: poisson (sigma² + max(model, 0), default), gaussian (sigma² alone) or exact.
    #[arg(long, default_value = "poisson")]
    noise: String,
    /// Moffat PSF beta.
    #[arg(long, allow_negative_numbers = true, default_value_t = 2.0)]
    psf_beta: f64,
    /// Pixel scale, arcsec per pixel.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.23)]
    scale: f64,
}

pub(crate) fn fit_error(e: FitError) -> CliError {
    match e {
        FitError::Solver(_) => CliError::internal(e.to_string()),
        _ => CliError::input(e.to_string()),
    }
}

pub(crate) fn moffat(beta: f64, fwhm: f64) -> Result<Psf, CliError> {
    Psf::moffat(beta, fwhm).map_err(|e| CliError::input(e.to_string()))
}

/// Runs `galaxy crb`.
pub fn run_crb(args: CrbArgs) -> Result<(), CliError> {
    let noise_option: NoiseOption = args.noise.parse().map_err(fit_error)?;
    if noise_option == NoiseOption::ExactPoisson {
        return Err(CliError::input(
            "--noise must be gaussian or poisson for a bound",
        ));
    }
    let renderer = Renderer::new(Stamp {
        size: args.size,
        scale: args.scale,
    })
    .map_err(|e| CliError::input(e.to_string()))?;
    let galaxy = GalaxyParams::new(
        args.flux,
        args.sersic_index,
        args.half_light_radius,
        args.g1,
        args.g2,
    );
    let psf = moffat(args.psf_beta, args.psf_fwhm)?;
    let noise = noise_option.noise(args.sigma).map_err(fit_error)?;
    if args.sigma <= 0.0 {
        return Err(CliError::input(format!(
            "sigma must be > 0, got {}",
            args.sigma
        )));
    }
    let bound = crb(&renderer, &galaxy, &psf, &noise).map_err(fit_error)?;
    if args.json {
        let object: serde_json::Map<String, serde_json::Value> = PARAM_NAMES
            .iter()
            .zip(bound.sigma)
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
        println!("{}", serde_json::Value::Object(object));
        return Ok(());
    }
    let image = renderer
        .render(&galaxy, &psf)
        .map_err(|e| CliError::input(e.to_string()))?;
    let snr = noise_model::snr::seed_snr(&image, args.sigma)
        .map_err(|e| CliError::input(e.to_string()))?;
    println!(
        "Cramér–Rao bounds (1 sigma), {noise_option} noise, sigma {}, SNR {snr:.2}:",
        args.sigma
    );
    for (name, s) in PARAM_NAMES.iter().zip(bound.sigma) {
        println!("  {name:<18} {s:.6e}");
    }
    Ok(())
}

/// The arrays `galaxy fit` reads.
pub(crate) struct FitInput {
    pub img: Array3<f32>,
    pub psf_fwhm: Array1<f64>,
    pub sigma: Array1<f64>,
    pub label: Option<Array2<f32>>,
}

/// Reads img [N, S, S] and, unless given, psf_r and sigma [N]; label [N, 5] if present. Checks shapes,
/// NaN pixels and non-positive sigmas or FWHMs.
pub(crate) fn read_fit_input(
    path: &Path,
    psf_override: Option<f64>,
    sigma_override: Option<f64>,
) -> Result<FitInput, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let mut npz = NpzReader::new(file)
        .map_err(|e| CliError::input(format!("{}: not an .npz file: {e}", path.display())))?;
    let names = npz
        .names()
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let has = |key: &str| {
        names
            .iter()
            .any(|n| n == key || n.strip_suffix(".npy") == Some(key))
    };
    let bad = |what: String| CliError::input(format!("{}: {what}", path.display()));
    if !has("img") {
        return Err(bad("missing array 'img'".into()));
    }
    let img: Array3<f32> = npz
        .by_name("img")
        .map_err(|e| bad(format!("array 'img': {e}")))?;
    let n = img.len_of(Axis(0));
    if img.len_of(Axis(1)) != img.len_of(Axis(2)) || n == 0 {
        return Err(bad(format!(
            "img has shape {:?}; expected [N, S, S] with N >= 1",
            img.shape()
        )));
    }
    if let Some((k, v)) = img.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        let s = img.len_of(Axis(1));
        return Err(bad(format!(
            "image {} has the value {v} at pixel ({}, {})",
            k / (s * s),
            (k / s) % s,
            k % s
        )));
    }
    let mut per_image = |key: &str, given: Option<f64>| -> Result<Array1<f64>, CliError> {
        if let Some(v) = given {
            return Ok(Array1::from_elem(n, v));
        }
        if !has(key) {
            return Err(bad(format!(
                "missing array '{key}' (or give --{})",
                key.replace("psf_r", "psf-fwhm")
            )));
        }
        let a: Array1<f32> = npz
            .by_name(key)
            .map_err(|e| bad(format!("array '{key}': {e}")))?;
        if a.len() != n {
            return Err(bad(format!("{key} has {} values for {n} images", a.len())));
        }
        Ok(a.mapv(f64::from))
    };
    let psf_fwhm = per_image("psf_r", psf_override)?;
    let sigma = per_image("sigma", sigma_override)?;
    if let Some((i, s)) = sigma
        .iter()
        .enumerate()
        .find(|(_, s)| !(s.is_finite() && **s > 0.0))
    {
        return Err(bad(format!("sigma of image {i} is {s}; it must be > 0")));
    }
    if let Some((i, f)) = psf_fwhm
        .iter()
        .enumerate()
        .find(|(_, f)| !(f.is_finite() && **f > 0.0))
    {
        return Err(bad(format!("PSF FWHM of image {i} is {f}; it must be > 0")));
    }
    let label = if has("label") {
        let l: Array2<f32> = npz
            .by_name("label")
            .map_err(|e| bad(format!("array 'label': {e}")))?;
        if l.shape() != [n, 5] {
            return Err(bad(format!(
                "label has shape {:?}, expected [{n}, 5]",
                l.shape()
            )));
        }
        Some(l)
    } else {
        None
    };
    Ok(FitInput {
        img,
        psf_fwhm,
        sigma,
        label,
    })
}

/// A progress bar of `n` items on a terminal, hidden otherwise (the summary line says what was done).
pub(crate) fn progress_bar(n: usize, what: &str) -> ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(n as u64);
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{bar:40}} {{pos}}/{{len}} {what}  {{per_sec}}  eta {{eta}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// Runs `galaxy fit`.
pub fn run_fit(args: FitArgs) -> Result<(), CliError> {
    check_output_folder(&args.output)?;
    let noise: NoiseOption = args.noise.parse().map_err(fit_error)?;
    let input = read_fit_input(&args.input, args.per_image.psf_fwhm, args.per_image.sigma)?;
    let n = input.img.len_of(Axis(0));
    let size = input.img.len_of(Axis(1));
    let renderer = Renderer::new(Stamp {
        size,
        scale: args.scale,
    })
    .map_err(|e| CliError::input(e.to_string()))?;
    let options = FitOptions {
        noise,
        ..FitOptions::default()
    };
    let fitter = Fitter::new(&renderer, options).map_err(fit_error)?;
    let psfs = input
        .psf_fwhm
        .iter()
        .map(|&f| moffat(args.psf_beta, f))
        .collect::<Result<Vec<_>, _>>()?;
    let pool = thread_pool(args.per_image.threads)?;
    let bar = progress_bar(n, "fits");
    let started = std::time::Instant::now();
    let fits = pool.install(|| fit_images(&fitter, &input.img, &psfs, &input.sigma, &bar))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    write_csv(&args.output, &fits)?;
    let failed = fits.iter().filter(|f| !f.converged).count();
    eprintln!(
        "fitted {n} images in {seconds:.1} s ({:.1} ms per image per thread); {failed} not converged -> {}",
        seconds * 1e3 * pool.current_num_threads() as f64 / n as f64,
        args.output.display()
    );
    if let Some(label) = &input.label {
        let estimates: Vec<[f64; 5]> = fits.iter().map(|f| f.params).collect();
        print_summary(
            &renderer,
            &estimates,
            label,
            &psfs,
            &input.sigma,
            noise,
            &pool,
        )?;
    }
    Ok(())
}

/// A rayon pool of `threads` workers (default: all cores); 0 is bad input.
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    match threads {
        Some(0) => return Err(CliError::input("--threads must be at least 1")),
        t => rayon::ThreadPoolBuilder::new()
            .num_threads(t.unwrap_or(0))
            .build(),
    }
    .map_err(|e| CliError::internal(format!("cannot start threads: {e}")))
}

/// Fits every image of img [N, S, S] (PSF and sigma per image) in parallel on the current rayon pool,
/// ticking `bar` once per image.
pub(crate) fn fit_images(
    fitter: &Fitter,
    img: &Array3<f32>,
    psfs: &[Psf],
    sigma: &Array1<f64>,
    bar: &ProgressBar,
) -> Result<Vec<FitResult>, CliError> {
    (0..img.len_of(Axis(0)))
        .into_par_iter()
        .map(|i| {
            let image = img.index_axis(Axis(0), i).mapv(f64::from);
            let fit = fitter.fit(image.view(), &psfs[i], sigma[i]);
            bar.inc(1);
            fit.map_err(|e| CliError::internal(format!("image {i}: {e}")))
        })
        .collect()
}

fn write_csv(path: &Path, fits: &[FitResult]) -> Result<(), CliError> {
    let mut header: Vec<String> = PARAM_NAMES.iter().map(|s| s.to_string()).collect();
    header.extend(PARAM_NAMES.iter().map(|s| format!("{s}_err")));
    header.extend(["nll", "iterations", "converged", "message"].map(String::from));
    let rows = fits.iter().map(|f| {
        let mut row: Vec<String> = f
            .params
            .iter()
            .chain(&f.errors)
            .map(|v| format!("{v:.9e}"))
            .collect();
        row.push(format!("{:.6}", f.nll));
        row.push(f.iterations.to_string());
        row.push(f.converged.to_string());
        row.push(f.message.clone());
        row
    });
    crate::output::write_csv_atomic(path, &header, rows)
}

/// The seed's summary: bias, standard deviation and RMSE of (estimate − truth) per parameter, next to the
/// Cramér–Rao bound at the true labels (averaged over the images).
pub(crate) fn print_summary(
    renderer: &Renderer,
    fits: &[[f64; 5]],
    label: &Array2<f32>,
    psfs: &[Psf],
    sigma: &Array1<f64>,
    noise: NoiseOption,
    pool: &rayon::ThreadPool,
) -> Result<(), CliError> {
    let n = fits.len();
    let bound_noise = if noise == NoiseOption::Gaussian {
        NoiseOption::Gaussian
    } else {
        NoiseOption::Poisson
    };
    let bounds: Vec<[f64; 5]> = pool.install(|| {
        (0..n)
            .into_par_iter()
            .map(|i| {
                let truth =
                    GalaxyParams::from_array(std::array::from_fn(|j| f64::from(label[[i, j]])));
                let noise = bound_noise.noise(sigma[i]).map_err(fit_error)?;
                crb(renderer, &truth, &psfs[i], &noise)
                    .map(|b| b.sigma)
                    .map_err(fit_error)
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    println!("{n} images; flux in units of 1e5; CRB = mean Cramér–Rao bound at the true labels");
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "parameter", "mean true", "CRB", "bias", "std", "RMSE"
    );
    for (j, name) in PARAM_NAMES.iter().enumerate() {
        let unit = if j == 0 { 1e5 } else { 1.0 };
        let diff: Vec<f64> = (0..n)
            .map(|i| (fits[i][j] - f64::from(label[[i, j]])) / unit)
            .collect();
        let crate::stats::Summary { bias, std, rmse } = crate::stats::summarize(&diff);
        let truth = (0..n).map(|i| f64::from(label[[i, j]])).sum::<f64>() / n as f64 / unit;
        let crb = bounds.iter().map(|b| b[j]).sum::<f64>() / n as f64 / unit;
        println!("{name:<18} {truth:>10.4} {crb:>10.4} {bias:>10.4} {std:>10.4} {rmse:>10.4}");
    }
    Ok(())
}
