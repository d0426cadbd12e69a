//! `galaxy render`: one galaxy from flags, many from a CSV table, or the PSF alone.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use galaxy_data::atomic::write_npy;
use ndarray::{Array3, Axis};
use sersic_render::{GalaxyParams, Psf, RenderError, RenderJob, Renderer, Stamp};

use crate::args::progress;
use crate::measure::ConvolutionArg;
use crate::CliError;
use galaxy_measure::{load_psf_images, PsfSampling};

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
    /// Centre offset along x (columns), pixels from the stamp's true centre.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    dx: f64,
    /// Centre offset along y (rows), pixels.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    dy: f64,
    /// PSF full width at half maximum, arcsec.
    #[arg(long, allow_negative_numbers = true)]
    psf_fwhm: Option<f64>,
    /// Moffat PSF beta (> 1.1).
    #[arg(long, allow_negative_numbers = true, default_value_t = 2.0)]
    psf_beta: f64,
    /// Use a Gaussian PSF instead of a Moffat.
    #[arg(long)]
    gaussian_psf: bool,
    /// PSF as a pixel image instead of a Moffat or Gaussian: a FITS (.fits) or .npy file, 2-D (one PSF
    /// for every image) or 3-D (one per row of --params; the table then needs no psf_fwhm column). Its
    /// centre is its true centre (between the two middle pixels of an even size); it is normalised to
    /// unit flux.
    #[arg(long, conflicts_with_all = ["psf_fwhm", "gaussian_psf"])]
    psf: Option<PathBuf>,
    /// The PSF image is sampled K times finer than the stamp (its pixel scale is --scale / K).
    #[arg(long, default_value_t = 1, requires = "psf")]
    psf_oversampling: usize,
    /// The PSF image already holds the pixel's response (an effective PSF: PSFEx, Piff, a star): galaxies
    /// are drawn through it without a second pixel (GalSim's method='no_pixel').
    #[arg(long, requires = "psf")]
    psf_includes_pixel: bool,
    /// Stamp size, pixels (both sides, unless --width or --height is given).
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Stamp width (pixels along x), instead of --size.
    #[arg(long)]
    width: Option<usize>,
    /// Stamp height (pixels along y), instead of --size.
    #[arg(long)]
    height: Option<usize>,
    /// Pixel scale, arcsec per pixel.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.23)]
    scale: f64,
    /// CSV table with header flux,sersic_index,half_light_radius,g1,g2 and psf_fwhm (unless --psf), and
    /// optionally dx,dy (pixels): one image per row.
    #[arg(long, conflicts_with_all = ["flux", "sersic_index", "half_light_radius", "dx", "dy"])]
    params: Option<PathBuf>,
    /// Draw a model of several components from a model file (see `galaxy fit --model`): every
    /// parameter at its value (`start`); g1, g2 default to 0 and the centre to --dx, --dy.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["params", "flux", "sersic_index", "half_light_radius", "psf_only"])]
    model: Option<PathBuf>,
    /// With --model: continuous (GalSim's drawing, default) or discrete (each profile sampled at the
    /// pixel centres and summed over the PSF image: Imfit's and GALFIT's model; see `galaxy fit
    /// --convolution`).
    #[arg(long, value_enum, default_value_t = ConvolutionArg::Continuous, requires = "model")]
    convolution: ConvolutionArg,
    /// Draw the PSF alone (unit flux).
    #[arg(long, conflicts_with = "params")]
    psf_only: bool,
    /// Output .npy file (float32: [height, width], or [N, height, width] with --params).
    #[arg(short, long)]
    output: PathBuf,
}

impl RenderArgs {
    fn analytic_psf(&self, fwhm: f64) -> Result<Psf, sersic_render::PsfError> {
        let psf = if self.gaussian_psf {
            Psf::Gaussian { fwhm }
        } else {
            Psf::Moffat {
                beta: self.psf_beta,
                fwhm,
                trunc: None,
            }
        };
        psf.validated()
    }

    /// The PSF images of --psf, if given.
    fn psf_images(&self, stamp: &Stamp) -> Result<Option<Vec<Psf>>, CliError> {
        let Some(path) = &self.psf else {
            return Ok(None);
        };
        let sampling = PsfSampling {
            scale: stamp.scale,
            oversampling: self.psf_oversampling,
            includes_pixel: self.psf_includes_pixel,
        };
        Ok(Some(load_psf_images(path, sampling)?))
    }

    /// What to draw: (galaxy or `None` for the PSF alone, PSF, offset) per image.
    fn jobs(&self, stamp: &Stamp) -> Result<Vec<RenderJob>, CliError> {
        let images = self.psf_images(stamp)?;
        let psf_name = || self.psf.as_ref().map(|p| p.display().to_string());
        if let Some(path) = &self.params {
            let rows = galaxy_eval::params::read(path, images.is_none())?;
            if let Some(images) = &images {
                if images.len() > 1 && images.len() != rows.len() {
                    return Err(CliError::input(format!(
                        "{} holds {} PSFs but {} has {} rows: a PSF cube needs one PSF per row",
                        psf_name().unwrap_or_default(),
                        images.len(),
                        path.display(),
                        rows.len()
                    )));
                }
            }
            return rows
                .iter()
                .enumerate()
                .map(|(k, row)| {
                    let psf = match &images {
                        Some(images) => images[k.min(images.len() - 1)].clone(),
                        None => self
                            .analytic_psf(row.psf_fwhm.expect("required without --psf"))
                            .map_err(|e| {
                                CliError::input(format!("{}: row {}: {e}", path.display(), k + 1))
                            })?,
                    };
                    Ok((Some(row.galaxy), psf, row.offset))
                })
                .collect();
        }
        let psf = match images {
            Some(images) if images.len() == 1 => images[0].clone(),
            Some(images) => {
                return Err(CliError::input(format!(
                    "{} holds {} PSFs: a PSF cube needs --params with one row per PSF",
                    psf_name().unwrap_or_default(),
                    images.len()
                )))
            }
            None => {
                let fwhm = self
                    .psf_fwhm
                    .ok_or_else(|| CliError::input("--psf-fwhm or --psf is required"))?;
                self.analytic_psf(fwhm)?
            }
        };
        if self.psf_only {
            return Ok(vec![(None, psf, [0.0, 0.0])]);
        }
        let need = |v: Option<f64>, flag: &str| {
            v.ok_or_else(|| CliError::input(format!("{flag} is required")))
        };
        let galaxy = GalaxyParams::new(
            need(self.flux, "--flux")?,
            need(self.sersic_index, "--sersic-index")?,
            need(self.half_light_radius, "--half-light-radius")?,
            self.g1,
            self.g2,
        );
        galaxy
            .validate()
            .map_err(|e| CliError::input(e.to_string()))?;
        if !(self.dx.is_finite() && self.dy.is_finite()) {
            return Err(CliError::input("--dx and --dy must be finite"));
        }
        Ok(vec![(Some(galaxy), psf, [self.dx, self.dy])])
    }
}

/// Runs `galaxy render`.
pub fn run(args: RenderArgs) -> Result<(), CliError> {
    let stamp = Stamp::new(
        args.width.unwrap_or(args.size),
        args.height.unwrap_or(args.size),
        args.scale,
    );
    stamp
        .validate()
        .map_err(|e| CliError::input(format!("stamp: {e}")))?;
    if let Some(path) = &args.model {
        return render_model(&args, path, stamp);
    }
    // Everything is parsed and validated before anything is drawn or written.
    let jobs = args.jobs(&stamp)?;
    let renderer = Renderer::new(stamp)?;
    let bar = progress(jobs.len() as u64, "images", false);
    let images = renderer.render_each(&jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let (height, width) = stamp.dim();
    if args.params.is_some() {
        let mut cube = Array3::<f32>::zeros((images.len(), height, width));
        for (mut plane, img) in cube.axis_iter_mut(Axis(0)).zip(&images) {
            plane.assign(&img.mapv(|v| v as f32));
        }
        write_npy(&args.output, &cube)?;
    } else {
        write_npy(&args.output, &images[0].mapv(|v| v as f32))?;
    }
    if images.len() > 1 || !std::io::stderr().is_terminal() {
        eprintln!(
            "rendered {} image(s) of {width}x{height} to {}",
            images.len(),
            args.output.display()
        );
    }
    Ok(())
}

/// `galaxy render --model FILE`: one image of the model file's components at their values.
fn render_model(args: &RenderArgs, path: &std::path::Path, stamp: Stamp) -> Result<(), CliError> {
    let text = path.to_string_lossy();
    let spec = galaxy_measure::load_model(&text)?;
    if !(args.dx.is_finite() && args.dy.is_finite()) {
        return Err(CliError::input("--dx and --dy must be finite"));
    }
    let (parts, sky) = spec
        .parts_at_values([args.dx, args.dy])
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let psf = match args.psf_images(&stamp)? {
        Some(images) if images.len() == 1 => images[0].clone(),
        Some(images) => {
            return Err(CliError::input(format!(
                "a model is one image: give one PSF, not a cube of {}",
                images.len()
            )))
        }
        None => {
            let fwhm = args
                .psf_fwhm
                .ok_or_else(|| CliError::input("--psf-fwhm or --psf is required"))?;
            args.analytic_psf(fwhm)?
        }
    };
    let image = Renderer::new(stamp)?
        .with_convolution(args.convolution.into())
        .render_model(None, &parts, &psf)
        .map_err(|e| match e {
            RenderError::Discrete(why) => CliError::input(format!("--convolution discrete: {why}")),
            other => other.into(),
        })?
        + sky;
    write_npy(&args.output, &image.mapv(|v| v as f32))?;
    eprintln!(
        "rendered a model of {} component(s) on {}x{} to {}",
        spec.components.len(),
        stamp.width,
        stamp.height,
        args.output.display()
    );
    Ok(())
}
