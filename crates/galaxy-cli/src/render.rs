//! `galaxy render`: one galaxy from flags, many from a CSV table, or the PSF alone.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use galaxy_data::atomic::write_npy;
use ndarray::{Array3, Axis};
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

use crate::args::progress;
use crate::CliError;

/// Arguments of `galaxy render`.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Total flux, counts.
    #[arg(long, allow_negative_numbers = true)]
    flux: Option<f64>,
    /// Sérsic index n, in [0.3, 6.2].
    #[arg(long, allow_negative_numbers = true)]
    sersic_index: Option<f64>,
    /// Half-light radius, arcsec (> 0).
    #[arg(long, allow_negative_numbers = true)]
    half_light_radius: Option<f64>,
    /// Reduced shear g1.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    g1: f64,
    /// Reduced shear g2 (|g| < 1).
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    g2: f64,
    /// PSF full width at half maximum, arcsec.
    #[arg(long, allow_negative_numbers = true)]
    psf_fwhm: Option<f64>,
    /// Moffat PSF beta (> 1.1).
    #[arg(long, allow_negative_numbers = true, default_value_t = 2.0)]
    psf_beta: f64,
    /// Use a Gaussian PSF instead of a Moffat.
    #[arg(long)]
    gaussian_psf: bool,
    /// Stamp size, pixels.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Pixel scale, arcsec per pixel.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.23)]
    scale: f64,
    /// CSV table with header flux,sersic_index,half_light_radius,g1,g2,psf_fwhm: one image per row.
    #[arg(long, conflicts_with_all = ["flux", "sersic_index", "half_light_radius"])]
    params: Option<PathBuf>,
    /// Draw the PSF alone (unit flux).
    #[arg(long, conflicts_with = "params")]
    psf_only: bool,
    /// Output .npy file (float32: [size, size], or [N, size, size] with --params).
    #[arg(short, long)]
    output: PathBuf,
}

fn make_psf(args: &RenderArgs, fwhm: f64) -> Result<Psf, sersic_render::PsfError> {
    let psf = if args.gaussian_psf {
        Psf::Gaussian { fwhm }
    } else {
        Psf::Moffat {
            beta: args.psf_beta,
            fwhm,
            trunc: None,
        }
    };
    psf.validated()
}

/// Runs `galaxy render`.
pub fn run(args: RenderArgs) -> Result<(), CliError> {
    let stamp = Stamp::square(args.size, args.scale);
    stamp
        .validate()
        .map_err(|e| CliError::input(format!("stamp: {e}")))?;
    // Everything is parsed and validated before anything is drawn or written.
    let jobs = if let Some(path) = &args.params {
        galaxy_eval::params::read(path, |fwhm| make_psf(&args, fwhm))?
            .into_iter()
            .map(|(g, psf)| (Some(g), psf, [0.0, 0.0]))
            .collect()
    } else {
        let fwhm = args
            .psf_fwhm
            .ok_or_else(|| CliError::input("--psf-fwhm is required"))?;
        let psf = make_psf(&args, fwhm)?;
        let galaxy = if args.psf_only {
            None
        } else {
            let need = |v: Option<f64>, flag: &str| {
                v.ok_or_else(|| CliError::input(format!("{flag} is required")))
            };
            let g = GalaxyParams::new(
                need(args.flux, "--flux")?,
                need(args.sersic_index, "--sersic-index")?,
                need(args.half_light_radius, "--half-light-radius")?,
                args.g1,
                args.g2,
            );
            g.validate().map_err(|e| CliError::input(e.to_string()))?;
            Some(g)
        };
        vec![(galaxy, psf, [0.0, 0.0])]
    };
    let renderer = Renderer::new(stamp)?;
    let bar = progress(jobs.len() as u64, "images", false);
    let images = renderer.render_each(&jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();
    if args.params.is_some() {
        let mut cube = Array3::<f32>::zeros((images.len(), args.size, args.size));
        for (mut plane, img) in cube.axis_iter_mut(Axis(0)).zip(&images) {
            plane.assign(&img.mapv(|v| v as f32));
        }
        write_npy(&args.output, &cube)?;
    } else {
        write_npy(&args.output, &images[0].mapv(|v| v as f32))?;
    }
    if images.len() > 1 || !std::io::stderr().is_terminal() {
        eprintln!(
            "rendered {} image(s) of {}x{} to {}",
            images.len(),
            args.size,
            args.size,
            args.output.display()
        );
    }
    Ok(())
}
