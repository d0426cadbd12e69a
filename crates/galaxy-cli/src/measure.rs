//! `galaxy fit` on FITS inputs: one galaxy per image, a cube of cutouts, or a field with a catalogue
//! (`galaxy_measure` does the work; this parses the options, shows progress and prints the summary).

use std::path::{Path, PathBuf};

use clap::Args;
use galaxy_fits::Key;
use galaxy_measure::{is_fits_path, MeasureRequest, NoiseSpec, PsfSpec, Survey};
use mle_fit::model_fit::{ComponentKind, ComponentSpec, ModelFitOptions};
use mle_fit::ImageFitOptions;
use noise_model::MaskPolarity;

use crate::args::{check_output, progress, thread_pool, ShardPlan};
use crate::CliError;

/// The inputs that come with a FITS image, shared by `galaxy fit` and `galaxy predict`: its PSF, noise,
/// mask, pixel scale and, for a field, the catalogue (docs/real-images.md).
#[derive(Args, Debug, Default)]
pub(crate) struct ImageInputArgs {
    /// PSF image (FITS or .npy): 2-D for every galaxy, or 3-D with one plane per cutout of a cube.
    #[arg(long, conflicts_with = "psf_fwhm")]
    pub(crate) psf: Option<PathBuf>,
    /// The PSF image is sampled K times finer than the image.
    #[arg(long, default_value_t = 1, requires = "psf")]
    pub(crate) psf_oversampling: usize,
    /// The PSF image already holds the pixel response (an effective PSF: PSFEx, Piff, a star).
    #[arg(long, requires = "psf")]
    pub(crate) psf_includes_pixel: bool,
    /// Bad-pixel mask of the image's shape: non-zero = bad (Imfit's convention).
    #[arg(long)]
    pub(crate) mask: Option<PathBuf>,
    /// The mask marks good pixels instead: zero = bad.
    #[arg(long, requires = "mask")]
    pub(crate) mask_zero_is_bad: bool,
    /// Inverse-variance weight map (0 = unusable pixel).
    #[arg(long, conflicts_with_all = ["sigma_map", "variance", "sigma", "gain", "read_noise", "sky_level"])]
    pub(crate) weight: Option<PathBuf>,
    /// Sigma map, image units.
    #[arg(long, conflicts_with_all = ["variance", "sigma", "gain", "read_noise", "sky_level"])]
    pub(crate) sigma_map: Option<PathBuf>,
    /// Variance map, image units squared.
    #[arg(long, conflicts_with_all = ["sigma", "gain", "read_noise", "sky_level"])]
    pub(crate) variance: Option<PathBuf>,
    /// Gain, electrons per image unit: Poisson noise on the model plus the subtracted sky (Imfit's --gain).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "sigma")]
    pub(crate) gain: Option<f64>,
    /// Read noise, electrons (Imfit's --readnoise).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "sigma")]
    pub(crate) read_noise: Option<f64>,
    /// The sky that was subtracted from the image, image units per pixel (Imfit's --sky).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "sigma")]
    pub(crate) sky_level: Option<f64>,
    /// Arcsec per pixel, when the image's WCS does not give it (it overrides the WCS).
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) pixel_scale: Option<f64>,
    /// Catalogue of sources in a field (CSV or FITS table): id, x, y (1-based pixels), optional size.
    #[arg(long)]
    pub(crate) catalog: Option<PathBuf>,
    /// Segmentation map of the field: pixels of other sources' labels are masked in each stamp.
    #[arg(long, requires = "catalog")]
    pub(crate) segmentation: Option<PathBuf>,
    /// Side of the stamps cut from a field when the catalogue has no size column, pixels.
    #[arg(long, default_value_t = 64)]
    pub(crate) stamp_size: usize,
}

/// The options of `galaxy fit` that measure FITS images (docs/real-images.md).
#[derive(Args, Debug, Default)]
pub(crate) struct RealImageArgs {
    #[command(flatten)]
    pub(crate) inputs: ImageInputArgs,
    /// Fit a flat sky too (what the sky subtraction left).
    #[arg(long)]
    fit_sky: bool,
    /// Write GALFIT-style image blocks (data, model, residual), one FITS file per galaxy, into DIR.
    #[arg(long, value_name = "DIR")]
    save_models: Option<PathBuf>,
    /// Fit a model of several components: a TOML model file, or a shorthand (sersic,
    /// sersic+exponential, de_vaucouleurs+exponential, sersic+point, exponential+point, sersic+sersic;
    /// +sky adds a flat sky). Columns are then named `component_parameter` (bulge_flux, disk_g1, ...).
    #[arg(long, value_name = "FILE|SHORTHAND")]
    pub(crate) model: Option<String>,
}

impl RealImageArgs {
    /// The options given that only FITS inputs take (to refuse them with an npz).
    pub(crate) fn fits_only_options(&self) -> Vec<&'static str> {
        let mut given = self.inputs.fits_only_options();
        given.extend(
            [
                (self.fit_sky, "--fit-sky"),
                (self.save_models.is_some(), "--save-models"),
                (self.model.is_some(), "--model"),
            ]
            .iter()
            .filter(|(g, _)| *g)
            .map(|(_, n)| *n),
        );
        given
    }
}

impl ImageInputArgs {
    /// The options given that only FITS inputs take (to refuse them with an npz).
    pub(crate) fn fits_only_options(&self) -> Vec<&'static str> {
        let given = [
            (self.psf.is_some(), "--psf"),
            (self.mask.is_some(), "--mask"),
            (self.weight.is_some(), "--weight"),
            (self.sigma_map.is_some(), "--sigma-map"),
            (self.variance.is_some(), "--variance"),
            (self.gain.is_some(), "--gain"),
            (self.read_noise.is_some(), "--read-noise"),
            (self.sky_level.is_some(), "--sky-level"),
            (self.pixel_scale.is_some(), "--pixel-scale"),
            (self.catalog.is_some(), "--catalog"),
        ];
        given.iter().filter(|(g, _)| *g).map(|(_, n)| *n).collect()
    }

    /// The PSF: the image given, or a Moffat of `psf_fwhm` and `psf_beta`.
    pub(crate) fn psf_spec(
        &self,
        psf_fwhm: Option<f64>,
        psf_beta: f64,
    ) -> Result<PsfSpec, CliError> {
        match (&self.psf, psf_fwhm) {
            (Some(path), _) => Ok(PsfSpec::Image {
                path: path.clone(),
                oversampling: self.psf_oversampling,
                includes_pixel: self.psf_includes_pixel,
            }),
            (None, Some(fwhm)) => Ok(PsfSpec::Moffat {
                beta: psf_beta,
                fwhm,
            }),
            (None, None) => Err(CliError::input(
                "a FITS input needs its PSF: --psf psf.fits, or --psf-fwhm F [--psf-beta B] for a Moffat",
            )),
        }
    }

    /// The request of a run on the FITS image `image`, its galaxies fitted with `fit`.
    pub(crate) fn request(
        &self,
        image: &Path,
        psf: PsfSpec,
        sigma: Option<f64>,
        fit: ImageFitOptions,
    ) -> Result<MeasureRequest, CliError> {
        Ok(MeasureRequest {
            image: image.to_path_buf(),
            psf,
            noise: self.noise(sigma)?,
            mask: self.mask.clone(),
            mask_polarity: if self.mask_zero_is_bad {
                MaskPolarity::ZeroIsBad
            } else {
                MaskPolarity::NonZeroIsBad
            },
            pixel_scale: self.pixel_scale,
            catalog: self.catalog.clone(),
            segmentation: self.segmentation.clone(),
            stamp_size: self.stamp_size,
            fit,
        })
    }

    fn noise(&self, sigma: Option<f64>) -> Result<NoiseSpec, CliError> {
        Ok(if let Some(p) = &self.weight {
            NoiseSpec::Weight(p.clone())
        } else if let Some(p) = &self.sigma_map {
            NoiseSpec::SigmaMap(p.clone())
        } else if let Some(p) = &self.variance {
            NoiseSpec::Variance(p.clone())
        } else if let Some(s) = sigma {
            NoiseSpec::Sigma(s)
        } else if self.gain.is_some() || self.read_noise.is_some() || self.sky_level.is_some() {
            NoiseSpec::Ccd {
                gain: self.gain.unwrap_or(1.0),
                read_noise: self.read_noise.unwrap_or(0.0),
                sky_level: self.sky_level.unwrap_or(0.0),
            }
        } else {
            return Err(CliError::input(
                "a FITS input needs its noise: --weight, --sigma-map, --variance, --sigma, or --gain \
                 [--read-noise R] [--sky-level S]",
            ));
        })
    }
}

/// What `galaxy fit` passes on for a FITS input.
pub(crate) struct FitsFit<'a> {
    /// Start each single-Sérsic fit from the PSF-reading network's estimate.
    pub start_network: bool,
    pub input: &'a Path,
    /// The part to measure and where its catalogue goes.
    pub plan: &'a ShardPlan,
    pub real: &'a RealImageArgs,
    pub psf_fwhm: Option<f64>,
    pub psf_beta: f64,
    pub sigma: Option<f64>,
    pub threads: Option<usize>,
}

/// Runs `galaxy fit` on a FITS input.
pub(crate) fn run(job: FitsFit<'_>) -> Result<(), CliError> {
    let real = job.real;
    let output = job.plan.output.as_path();
    check_output(output)?;
    let psf = real.inputs.psf_spec(job.psf_fwhm, job.psf_beta)?;
    let request = real.inputs.request(
        job.input,
        psf,
        job.sigma,
        ImageFitOptions {
            fit_sky: real.fit_sky,
            ..ImageFitOptions::default()
        },
    )?;
    let model = match &real.model {
        Some(text) => {
            let mut spec = galaxy_measure::load_model(text)?;
            if real.fit_sky && !spec.components.iter().any(|c| c.kind == ComponentKind::Sky) {
                spec.components
                    .push(ComponentSpec::new("sky", ComponentKind::Sky));
            }
            Some(spec)
        }
        None => None,
    };
    let mut survey = Survey::prepare(&request)?;
    // A shard measures its slice of the galaxies, in the input's order.
    let total = survey.cutouts.len() as u64;
    let rows = galaxy_data::shard_rows(job.plan.shard, total, job.input)?;
    survey.cutouts = survey
        .cutouts
        .drain(rows.start as usize..rows.end as usize)
        .collect();
    let stamp = job.plan.stamp(total);
    let pool = thread_pool(job.threads)?;
    let n = survey.cutouts.len();
    let bar = progress(n as u64, "galaxies", false);
    let started = std::time::Instant::now();
    if job.start_network && model.is_some() {
        return Err(CliError::input(
            "--start network starts single-Sérsic fits; a --model of several components starts from \
             its own single-Sérsic fit",
        ));
    }
    // The network's starts (its time counts in the run's).
    let (starts, unreadable) = if job.start_network {
        let net = galaxy_nets::builtin::PSF_READING.load(&candle_core::Device::Cpu)?;
        let (starts, unreadable) = crate::predict_fits::network_starts(&survey, &net)?;
        (Some(starts), unreadable)
    } else {
        (None, 0)
    };
    let (columns, failed, not_converged) = match &model {
        None => {
            let measurements =
                pool.install(|| survey.measure_from(starts.as_deref(), &|| bar.inc(1)));
            if let Some(dir) = &real.save_models {
                galaxy_measure::save_models(dir, &survey, &measurements)?;
            }
            let failed = measurements.iter().filter(|m| m.fit.is_err()).count();
            let not_converged = measurements
                .iter()
                .filter(|m| m.fit.as_ref().is_ok_and(|f| !f.converged))
                .count();
            let columns = galaxy_measure::catalog_columns(&measurements, survey.pixel_scale);
            (columns, failed, not_converged)
        }
        Some(spec) => {
            let options = ModelFitOptions::default();
            let measurements =
                pool.install(|| survey.measure_models(spec, &options, &|| bar.inc(1)));
            if let Some(dir) = &real.save_models {
                galaxy_measure::save_model_blocks(dir, &survey, &measurements)?;
            }
            let failed = measurements.iter().filter(|m| m.fit.is_err()).count();
            let not_converged = measurements
                .iter()
                .filter(|m| m.fit.as_ref().is_ok_and(|f| !f.converged))
                .count();
            let columns = galaxy_measure::model_catalog_columns(&measurements, survey.pixel_scale);
            (columns, failed, not_converged)
        }
    };
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if is_fits_path(output) {
        let mut keys = vec![
            Key::text("INPUT", &file_name(job.input), "measured image"),
            Key::real(
                "PIXSCALE",
                survey.pixel_scale.unwrap_or(f64::NAN),
                "arcsec per pixel (NaN: unknown, sizes in pixels)",
            ),
            Key::text("XYCONV", "FITS", "x, y: the first pixel's centre is (1, 1)"),
        ];
        keys.extend(stamp.iter().flat_map(galaxy_measure::stamp_keys));
        galaxy_measure::write_fits_table(output, &columns, &keys)?;
    } else {
        galaxy_measure::write_csv_stamped(output, &columns, stamp.as_ref())?;
    }
    let started_from = if job.start_network {
        format!(
            " (started from the network{})",
            if unreadable > 0 {
                format!("; {unreadable} it cannot read started from moments")
            } else {
                String::new()
            }
        )
    } else {
        String::new()
    };
    eprintln!(
        "measured {n} galaxies{}{started_from} in {seconds:.2} s ({:.1} ms per galaxy per thread); {not_converged} not converged, {failed} failed -> {}",
        job.plan.describe(total),
        seconds * 1e3 * pool.current_num_threads() as f64 / n.max(1) as f64,
        output.display()
    );
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
