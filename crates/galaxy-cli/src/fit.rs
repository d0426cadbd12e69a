//! `galaxy crb` and `galaxy fit`: Cramér–Rao bounds for one galaxy, maximum-likelihood fits of a dataset.

use std::path::PathBuf;

use clap::Args;
use galaxy_eval::estimates::{self, Column, Estimate};
use galaxy_eval::{bounds_per_image, ErrorTable, Observations};
use mle_fit::{crb, FitOptions, Fitter, NoiseOption};
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp, PARAM_NAMES};

use crate::args::{check_output, progress, thread_pool, PerImageArgs, ShardArgs};
use crate::measure::{self, FitsFit, RealImageArgs};
use crate::CliError;
use galaxy_measure::is_fits_path;

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

/// Arguments of `galaxy fit`.
#[derive(Args, Debug)]
pub struct FitArgs {
    /// A dataset in the seed's layout (.npz: img \[N, S, S\]; psf_r and sigma \[N\] unless given below;
    /// label \[N, 5\] optional, then a summary against the truth is printed), or a FITS image: one galaxy,
    /// a cube of cutouts, or a field with --catalog (docs/real-images.md).
    input: PathBuf,
    /// Output catalogue, one row per galaxy: CSV, or a FITS binary table when it ends in .fits.
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    real: RealImageArgs,
    #[command(flatten)]
    per_image: PerImageArgs,
    #[command(flatten)]
    shard: ShardArgs,
    /// Likelihood: poisson (sigma² + max(model, 0), default), gaussian (sigma² alone) or exact.
    #[arg(long, default_value = "poisson")]
    noise: String,
    /// Moffat PSF beta.
    #[arg(long, allow_negative_numbers = true, default_value_t = 2.0)]
    psf_beta: f64,
    /// Pixel scale, arcsec per pixel.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.23)]
    scale: f64,
    /// Where each fit starts: moments (the image's moments at n = 1, 2.5 and 4.5, scouted; default) or
    /// network (the built-in network's estimate, one run from there: for a FITS input the network that
    /// reads the PSF, for an `.npz` the one for its PSF FWHM and sigma).
    #[arg(long, default_value = "moments", value_parser = ["moments", "network"])]
    start: String,
}

/// Runs `galaxy crb`.
pub fn run_crb(args: CrbArgs) -> Result<(), CliError> {
    let noise_option: NoiseOption = args.noise.parse()?;
    if noise_option == NoiseOption::ExactPoisson {
        return Err(CliError::input(
            "--noise must be gaussian or poisson for a bound",
        ));
    }
    let renderer = Renderer::new(Stamp::square(args.size, args.scale))?;
    let galaxy = GalaxyParams::new(
        args.flux,
        args.sersic_index,
        args.half_light_radius,
        args.g1,
        args.g2,
    );
    let psf = Psf::moffat(args.psf_beta, args.psf_fwhm)?;
    let noise = noise_option.noise(args.sigma)?;
    if args.sigma <= 0.0 {
        return Err(CliError::input(format!(
            "sigma must be > 0, got {}",
            args.sigma
        )));
    }
    let bound = crb(&renderer, &galaxy, &psf, &noise)?;
    if args.json {
        let object: serde_json::Map<String, serde_json::Value> = PARAM_NAMES
            .iter()
            .zip(bound.sigma)
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
        println!("{}", serde_json::Value::Object(object));
        return Ok(());
    }
    let snr = noise_model::snr::seed_snr(&renderer.render(&galaxy, &psf)?, args.sigma)
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

/// Moffat PSFs of one beta and these FWHMs.
pub(crate) fn moffats(beta: f64, fwhm: &[f64]) -> Result<Vec<Psf>, CliError> {
    Ok(fwhm
        .iter()
        .map(|&f| Psf::moffat(beta, f))
        .collect::<Result<_, _>>()?)
}

/// Runs `galaxy fit`.
pub fn run_fit(args: FitArgs) -> Result<(), CliError> {
    let plan = args.shard.plan(&args.output)?;
    if is_fits_path(&args.input) {
        return measure::run(FitsFit {
            start_network: args.start == "network",
            input: &args.input,
            plan: &plan,
            real: &args.real,
            psf_fwhm: args.per_image.psf_fwhm,
            psf_beta: args.psf_beta,
            sigma: args.per_image.sigma,
            threads: args.per_image.threads,
        });
    }
    let fits_only = args.real.fits_only_options();
    if !fits_only.is_empty() {
        return Err(CliError::input(format!(
            "{} {} only for FITS inputs; {} is a dataset in the seed's layout",
            fits_only.join(", "),
            if fits_only.len() == 1 { "is" } else { "are" },
            args.input.display()
        )));
    }
    check_output(&plan.output)?;
    let noise: NoiseOption = args.noise.parse()?;
    let part = Observations::read_part(
        &args.input,
        args.per_image.psf_fwhm,
        args.per_image.sigma,
        plan.shard,
    )?;
    let input = &part.data;
    let n = input.len();
    let stamp = Stamp::square(input.image_size(), args.scale);
    let renderer = Renderer::new(stamp)?;
    let fitter = Fitter::new(
        &renderer,
        FitOptions {
            noise,
            ..FitOptions::default()
        },
    )?;
    let psfs = moffats(args.psf_beta, &input.psf_fwhm)?;
    let pool = thread_pool(args.per_image.threads)?;
    let bar = progress(n as u64, "fits", false);
    let started = std::time::Instant::now();
    let first = part.rows.start as usize;
    let starts = match args.start.as_str() {
        "network" => Some(crate::predict::network_starts(
            &args.input,
            args.per_image.psf_fwhm,
            args.per_image.sigma,
            &plan,
            &part,
        )?),
        _ => None,
    };
    let fits = pool.install(|| {
        fitter.fit_all_from(
            first,
            input.img.view(),
            &psfs,
            &input.sigma,
            starts.as_deref(),
            &|| bar.inc(1),
        )
    })?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let rows: Vec<Estimate> = fits
        .iter()
        .map(|f| Estimate {
            params: f.params,
            errors: Some(f.errors),
        })
        .collect();
    let extra = [
        Column::new("nll", fits.iter().map(|f| f.nll), |v| format!("{v:.6}")),
        Column::new("iterations", fits.iter().map(|f| f.iterations), |v| {
            v.to_string()
        }),
        Column::new("converged", fits.iter().map(|f| f.converged), |v| {
            v.to_string()
        }),
        Column::new("message", fits.iter().map(|f| f.message.clone()), |v| v),
    ];
    estimates::write_stamped(&plan.output, &rows, &extra, plan.stamp(part.total).as_ref())?;
    let failed = fits.iter().filter(|f| !f.converged).count();
    eprintln!(
        "fitted {n} images{} in {seconds:.1} s ({:.1} ms per image per thread); {failed} not converged -> {}",
        plan.describe(part.total),
        seconds * 1e3 * pool.current_num_threads() as f64 / n as f64,
        plan.output.display()
    );
    let estimates: Vec<[f64; 5]> = fits.iter().map(|f| f.params).collect();
    print_summary(input, stamp, args.psf_beta, &estimates, noise, &pool)
}

/// When the observations have labels: bias, std and RMSE of (estimate − truth) per parameter, next to the
/// Cramér–Rao bound at the true labels (averaged over the images).
pub(crate) fn print_summary(
    input: &Observations,
    stamp: Stamp,
    psf_beta: f64,
    estimates: &[[f64; 5]],
    noise: NoiseOption,
    pool: &rayon::ThreadPool,
) -> Result<(), CliError> {
    let Some(truth) = input.truth() else {
        return Ok(());
    };
    let (fwhm, sigma) = (&input.psf_fwhm, &input.sigma);
    let bounds = pool.install(|| bounds_per_image(stamp, &truth, psf_beta, fwhm, sigma, noise))?;
    let table = ErrorTable::new(estimates, &truth, Some(&bounds));
    print!(
        "{} images; flux in units of 1e5; CRB = mean Cramér–Rao bound at the true labels\n{}",
        table.images,
        table.seed_text()
    );
    Ok(())
}
