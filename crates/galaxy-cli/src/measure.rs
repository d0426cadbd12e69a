//! `galaxy fit` on FITS inputs: one galaxy per image, a cube of cutouts, or a field with a catalogue
//! (`galaxy_measure` does the work; this parses the options, shows progress and prints the summary).

use std::path::{Path, PathBuf};

use clap::Args;
use galaxy_fits::Key;
use galaxy_measure::is_fits_path;
use galaxy_measure::{PsfSpec, Statistic};
use mle_fit::model_fit::{ComponentKind, ComponentSpec, ModelFitOptions, Priors};
use mle_fit::ImageFitOptions;
use sersic_render::Convolution;

use crate::args::{check_output, progress, thread_pool, ShardPlan};
use crate::image_inputs::ImageInputArgs;
use crate::CliError;

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
    /// With --model: a zero-mean Gaussian prior of this sigma on each component's g1 and g2 (one the
    /// model file sets wins), so that the fit maximises the posterior: a shape the image cannot constrain
    /// (an unresolved bulge, a faint disk) stays near round instead of running to the box's edge.
    #[arg(long, value_name = "SIGMA", requires = "model")]
    pub(crate) shape_prior: Option<f64>,
    /// What each fit minimises: likelihood (−ln L, with the variance's ln V term: the maximum-likelihood
    /// fit; default) or chi-square (χ² alone with the same variance, as Imfit with --model-errors and
    /// GALFIT do).
    #[arg(long, value_enum, default_value_t = StatisticArg::Likelihood)]
    statistic: StatisticArg,
    /// With --model: keep the bulge (the most concentrated extended component) no larger than the other
    /// extended components (a one-sided prior on the ratio of half-light radii), so that at low
    /// signal-to-noise a large, flat "bulge" cannot take the disk's role.
    #[arg(long, requires = "model")]
    pub(crate) bulge_inside: bool,
    /// With --model: how the components meet the PSF image. continuous (default): the profile
    /// convolved with the interpolated PSF, then sampled (GalSim's drawing); discrete: each profile sampled
    /// at the pixel centres, then summed over the PSF image's pixels, which is Imfit's and GALFIT's model
    /// without their sub-pixel sampling (for comparing with them; needs an effective PSF image,
    /// --psf-includes-pixel, at the image's pixel scale, and Sérsic-family components only).
    #[arg(long, value_enum, default_value_t = ConvolutionArg::Continuous, requires = "model")]
    convolution: ConvolutionArg,
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
                (self.shape_prior.is_some(), "--shape-prior"),
                (self.bulge_inside, "--bulge-inside"),
                (
                    self.convolution != ConvolutionArg::Continuous,
                    "--convolution discrete",
                ),
                (
                    self.statistic != StatisticArg::Likelihood,
                    "--statistic chi-square",
                ),
            ]
            .iter()
            .filter(|(g, _)| *g)
            .map(|(_, n)| *n),
        );
        given
    }
}

/// `--statistic`'s values.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum StatisticArg {
    /// −ln L (maximum likelihood).
    #[default]
    Likelihood,
    /// χ² with the same variance.
    ChiSquare,
}

/// `--convolution`'s values.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ConvolutionArg {
    /// The continuous profile through the interpolated PSF (GalSim's drawing).
    #[default]
    Continuous,
    /// Pixel-centre samples summed over the PSF image (Imfit's and GALFIT's model).
    Discrete,
}

impl From<StatisticArg> for Statistic {
    fn from(arg: StatisticArg) -> Statistic {
        match arg {
            StatisticArg::Likelihood => Statistic::Likelihood,
            StatisticArg::ChiSquare => Statistic::ChiSquare,
        }
    }
}

impl From<ConvolutionArg> for Convolution {
    fn from(arg: ConvolutionArg) -> Convolution {
        match arg {
            ConvolutionArg::Continuous => Convolution::Continuous,
            ConvolutionArg::Discrete => Convolution::Discrete,
        }
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
    let mut request = real.inputs.request(
        job.input,
        psf,
        job.sigma,
        ImageFitOptions {
            fit_sky: real.fit_sky,
            ..ImageFitOptions::default()
        },
    )?;
    request.statistic = real.statistic.into();
    request.convolution = real.convolution.into();
    let priors = Priors {
        shape: real.shape_prior,
        bulge_inside: real.bulge_inside,
    };
    let model = match &real.model {
        Some(text) => {
            let mut spec = galaxy_measure::load_model(text)?;
            // Refused before any galaxy is fitted (each fit would refuse them too).
            priors.validate(&spec).map_err(|e| {
                let mut given: Vec<String> = real
                    .shape_prior
                    .map(|sigma| format!("--shape-prior {sigma}"))
                    .into_iter()
                    .collect();
                if real.bulge_inside {
                    given.push("--bulge-inside".into());
                }
                CliError::input(format!("{} with --model {text}: {e}", given.join(" ")))
            })?;
            if real.convolution == ConvolutionArg::Discrete {
                check_discrete(&request.psf, &spec, text)?;
            }
            if real.fit_sky && !spec.components.iter().any(|c| c.kind == ComponentKind::Sky) {
                spec.components
                    .push(ComponentSpec::new("sky", ComponentKind::Sky));
            }
            Some(spec)
        }
        None => None,
    };
    // A shard measures its slice of the galaxies, in the input's order.
    let (survey, total) = crate::image_inputs::survey_part(&request, job.plan)?;
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
            let options = ModelFitOptions {
                priors,
                ..ModelFitOptions::default()
            };
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

/// Refuses, before any fit, what `--convolution discrete` cannot draw: an analytic or optical PSF, an
/// oversampled PSF image, a point source.
fn check_discrete(
    psf: &PsfSpec,
    spec: &mle_fit::model_fit::ModelSpec,
    model: &str,
) -> Result<(), CliError> {
    let why = match psf {
        PsfSpec::Image {
            oversampling,
            includes_pixel,
            ..
        } => {
            if *oversampling != 1 {
                Some(format!(
                    "needs the PSF image at the image's pixel scale, not --psf-oversampling {oversampling}"
                ))
            } else if !includes_pixel {
                Some("needs an effective PSF image (--psf-includes-pixel)".to_string())
            } else {
                None
            }
        }
        _ => Some("needs a PSF image (--psf), not an analytic PSF".to_string()),
    };
    let why = why.or_else(|| {
        spec.components
            .iter()
            .find(|c| c.kind == ComponentKind::Point)
            .map(|c| {
                format!(
                    "draws Sérsic components only; --model {model} has the point source {}",
                    c.name
                )
            })
    });
    match why {
        Some(why) => Err(CliError::input(format!("--convolution discrete {why}"))),
        None => Ok(()),
    }
}
