//! `galaxy predict` with a network that reads the PSF: on FITS inputs (one galaxy, a cube of cutouts, or
//! a field with a catalogue, with the PSF image, noise and mask `galaxy fit` takes) and on `.npz` files
//! whose PSF images it reads.
//!
//! What the network sees is what it was trained on: a 64 x 64 stamp divided by its noise sigma, and the
//! PSF drawn alone on that stamp's pixel grid (by the renderer, from whatever PSF the input gives: a
//! pixel image of any sampling, effective or optical, or a Moffat). Three things are done to other
//! inputs, and said in docs/models.md:
//! * **Pixel scale.** The network works in pixels. A stamp of another pixel scale is read as it is; its
//!   half-light radius comes out in the network's 0.23" units and is rescaled by scale / 0.23. This is
//!   exact in the sense that the image in pixels is the same; it holds when the PSF, in pixels, lies in
//!   the training range, which is checked (and the run refused outside it).
//! * **Noise level.** Training had sigma 100–600 (counts). An image whose sigma is outside is multiplied
//!   by a factor that brings its sigma to the nearest end, and the flux divided by it again: exact for
//!   the Gaussian part of the noise, approximate for the Poisson part.
//! * **Stamp size.** Stamps larger than 64 x 64 are cut to their central 64 x 64 (positions stay in the
//!   input's pixels); smaller ones are refused. Masked or non-finite pixels are set to 0, the sky.

use std::path::Path;

use galaxy_eval::estimates::Column as CsvColumn;
use galaxy_measure::{is_fits_path, Column, Survey, Values, Window};
use galaxy_nets::estimator::{predict_with_psf, LoadedModel, PsfPrediction};

use mle_fit::ImageFitOptions;
use ndarray::{s, Array2, Array3};
use sersic_render::{Renderer, Stamp};

use crate::args::{check_output, progress, ShardPlan};
use crate::image_inputs::ImageInputArgs;
use crate::CliError;

/// The pixel scale the PSF-reading networks were trained at, arcsec.
const TRAINING_SCALE: f64 = galaxy_nets::scaling::PSF_INPUT_SCALE;
/// The noise sigma range of the training data.
const TRAINING_SIGMA: (f64, f64) = galaxy_data::FAMILY_SIGMA;

/// What `galaxy predict` passes on for a FITS input.
pub(crate) struct FitsPredict<'a> {
    pub input: &'a Path,
    pub plan: &'a ShardPlan,
    pub inputs: &'a ImageInputArgs,
    pub psf_fwhm: Option<f64>,
    pub sigma: Option<f64>,
    pub batch: usize,
}

/// One stamp as the network reads it.
struct NetStamp {
    window: Window,
    /// Image × `flux_factor`.
    image: Array2<f32>,
    /// The PSF on the stamp's grid.
    psf: Array2<f32>,
    /// Noise sigma × `flux_factor`.
    sigma: f32,
    /// What the image was multiplied by to bring sigma into the training range.
    flux_factor: f64,
    /// The PSF's FWHM in pixels, measured on `psf`.
    psf_fwhm_pixels: f64,
    masked_fraction: f64,
}

/// Runs the PSF-reading `model` (named `name`) over the galaxies of a FITS input.
pub(crate) fn run(job: FitsPredict<'_>, model: &LoadedModel, name: &str) -> Result<(), CliError> {
    let output = job.plan.output.as_path();
    check_output(output)?;
    let psf = job.inputs.psf_spec(job.psf_fwhm, 2.0)?;
    let request = job
        .inputs
        .request(job.input, psf, job.sigma, ImageFitOptions::default())?;
    // A shard measures its slice of the galaxies, in the input's order.
    let (survey, total) = crate::image_inputs::survey_part(&request, job.plan)?;
    let stamps = net_stamps(&survey, model.card.estimator.image_size)?
        .into_iter()
        .collect::<Result<Vec<_>, String>>()
        .map_err(CliError::input)?;
    let n = stamps.len();
    let bar = progress(n as u64, "galaxies", false);
    let started = std::time::Instant::now();
    let refs: Vec<&NetStamp> = stamps.iter().collect();
    let preds = predict_stamps(model, &refs, job.batch, &mut |k| bar.inc(k as u64))?;
    bar.finish_and_clear();
    let columns = prediction_columns(&stamps, &preds, survey.pixel_scale);
    let stamp = job.plan.stamp(total);
    if is_fits_path(output) {
        let mut keys = vec![
            galaxy_fits::Key::text("INPUT", &file_name(job.input), "measured image"),
            galaxy_fits::Key::text("MODEL", name, "network"),
            galaxy_fits::Key::text("XYCONV", "FITS", "x, y: the first pixel's centre is (1, 1)"),
        ];
        keys.extend(stamp.iter().flat_map(galaxy_measure::stamp_keys));
        galaxy_measure::write_fits_table(output, &columns, &keys)?;
    } else {
        galaxy_measure::write_csv_stamped(output, &columns, stamp.as_ref())?;
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "predicted {n} galaxies{} with {name} in {seconds:.2} s ({:.0} galaxies/s) -> {}",
        job.plan.describe(total),
        n as f64 / seconds.max(1e-9),
        output.display()
    );
    Ok(())
}

/// The stamps of a survey as the network reads them: cut to `size`, scaled, with their PSF images; a
/// stamp the network cannot read gives the reason.
fn net_stamps(survey: &Survey, size: usize) -> Result<Vec<Result<NetStamp, String>>, CliError> {
    let scale = survey.pixel_scale.unwrap_or(1.0);
    let renderer = Renderer::new(Stamp::square(size, scale))?;
    // One PSF image per PSF of the input (a cube may have one per plane).
    let mut drawn: Vec<Option<(Array2<f32>, f64)>> = vec![None; survey.psfs.len()];
    let mut out = Vec::with_capacity(survey.cutouts.len());
    for cutout in &survey.cutouts {
        let (h, w) = cutout.data.dim();
        if h < size || w < size {
            out.push(Err(format!(
                "galaxy {}: its stamp is {w} x {h} pixels; the network reads {size} x {size} (cut larger \
                 stamps: --stamp-size {size} for a field)",
                cutout.window.id
            )));
            continue;
        }
        let noise = match cutout.noise.as_ref() {
            Ok(noise) => noise,
            Err(why) => {
                out.push(Err(format!("galaxy {}: {why}", cutout.window.id)));
                continue;
            }
        };
        let (r0, c0) = ((h - size) / 2, (w - size) / 2);
        let usable = noise.usable();
        let mut variances = Vec::with_capacity(size * size);
        let mut image = Array2::<f32>::zeros((size, size));
        for r in 0..size {
            for c in 0..size {
                let (rr, cc) = (r0 + r, c0 + c);
                if usable[[rr, cc]] {
                    image[[r, c]] = cutout.data[[rr, cc]] as f32;
                    variances.push(noise.variance(rr, cc, 0.0).0);
                }
            }
        }
        if variances.is_empty() {
            out.push(Err(format!(
                "galaxy {}: no usable pixel in its central {size} x {size}",
                cutout.window.id
            )));
            continue;
        }
        variances.sort_by(f64::total_cmp);
        // The sky's sigma: the median pixel's (most of a stamp is sky, so a variance map's source term
        // barely moves it).
        let sigma = variances[variances.len() / 2].sqrt();
        let flux_factor = sigma.clamp(TRAINING_SIGMA.0, TRAINING_SIGMA.1) / sigma;
        image.mapv_inplace(|v| v * flux_factor as f32);
        let (psf, fwhm) = match &drawn[cutout.psf] {
            Some(d) => d.clone(),
            None => {
                let p = renderer
                    .render_psf(&survey.psfs[cutout.psf])?
                    .mapv(|v| v as f32);
                let fwhm = galaxy_data::psf_family::stamp_psf_fwhm(p.view(), 1.0);
                drawn[cutout.psf] = Some((p.clone(), fwhm));
                (p, fwhm)
            }
        };
        let window = Window {
            origin: [cutout.window.origin[0] + r0, cutout.window.origin[1] + c0],
            shape: (size, size),
            ..cutout.window.clone()
        };
        let (lo, hi) = galaxy_nets::builtin::PSF_READING_FWHM_PIXELS;
        if !(lo..=hi).contains(&fwhm) {
            out.push(Err(format!(
                "galaxy {}: its PSF is {fwhm:.2} pixels FWHM on the image's grid, outside the \
                 {lo:.2}-{hi:.2} pixels the PSF-reading network was trained over",
                cutout.window.id
            )));
            continue;
        }
        out.push(Ok(NetStamp {
            window,
            image,
            psf,
            sigma: (sigma * flux_factor) as f32,
            flux_factor,
            psf_fwhm_pixels: fwhm,
            masked_fraction: 1.0 - variances.len() as f64 / (size * size) as f64,
        }));
    }
    Ok(out)
}

/// Runs `model` over stamps, in batches of `batch`.
fn predict_stamps(
    model: &LoadedModel,
    stamps: &[&NetStamp],
    batch: usize,
    on_batch: &mut dyn FnMut(usize),
) -> Result<Vec<PsfPrediction>, CliError> {
    let size = model.card.estimator.image_size;
    let n = stamps.len();
    let mut img = Array3::<f32>::zeros((n, size, size));
    let mut psfs = Array3::<f32>::zeros((n, size, size));
    for (k, st) in stamps.iter().enumerate() {
        img.slice_mut(s![k, .., ..]).assign(&st.image);
        psfs.slice_mut(s![k, .., ..]).assign(&st.psf);
    }
    let sigma: Vec<f32> = stamps.iter().map(|st| st.sigma).collect();
    let dev = candle_core::Device::Cpu;
    Ok(predict_with_psf(
        model,
        img.view(),
        psfs.view(),
        &sigma,
        batch,
        &dev,
        on_batch,
    )?)
}

/// A fit's start: (flux, n, hlr, g1, g2, dx, dy), or none (the fit scouts from the moments).
pub(crate) type FitStart = Option<Vec<f64>>;

/// The network's estimate of each stamp of `survey` as a fit's start (flux, n, hlr, g1, g2, dx, dy in the
/// survey's units: sizes in arcsec when the pixel scale is known, else pixels; offsets from each
/// stamp's true centre), or `None` where the network cannot read the stamp (then the fit scouts as
/// usual). Also the number of such stamps.
pub(crate) fn network_starts(
    survey: &Survey,
    model: &LoadedModel,
) -> Result<(Vec<FitStart>, usize), CliError> {
    let stamps = net_stamps(survey, model.card.estimator.image_size)?;
    let readable: Vec<&NetStamp> = stamps.iter().filter_map(|s| s.as_ref().ok()).collect();
    let preds = predict_stamps(model, &readable, START_BATCH, &mut |_| {})?;
    let render_scale = survey.pixel_scale.unwrap_or(1.0);
    let mut preds = preds.into_iter().zip(readable);
    let mut unreadable = 0;
    let starts = stamps
        .iter()
        .zip(&survey.cutouts)
        .map(|(st, cutout)| {
            if st.is_err() {
                unreadable += 1;
                return None;
            }
            let (p, st) = preds.next()?;
            let [x, y] = st.window.position(p.offset);
            let [xc, yc] = cutout.window.position([0.0, 0.0]);
            let q = &p.estimate.params;
            Some(vec![
                q[0] / st.flux_factor,
                q[1],
                q[2] * render_scale / TRAINING_SCALE,
                q[3],
                q[4],
                x - xc,
                y - yc,
            ])
        })
        .collect();
    Ok((starts, unreadable))
}

/// Images per batch when the network gives fits their starts.
const START_BATCH: usize = 256;

/// The catalogue: id, position, the five parameters and their errors, and what the network was given.
fn prediction_columns(
    stamps: &[NetStamp],
    preds: &[PsfPrediction],
    pixel_scale: Option<f64>,
) -> Vec<Column> {
    // The network's sizes are in arcsec at 0.23"/px: in pixels, / 0.23; in arcsec, × scale / 0.23.
    let (size_name, size_unit, size_factor) = match pixel_scale {
        Some(scale) => ("half_light_radius_arcsec", "arcsec", scale / TRAINING_SCALE),
        None => ("half_light_radius_pixels", "pixel", 1.0 / TRAINING_SCALE),
    };
    let real = |name: &str, unit: &str, f: &dyn Fn(&NetStamp, &PsfPrediction) -> f64| Column {
        name: name.to_string(),
        unit: unit.to_string(),
        values: Values::Real(stamps.iter().zip(preds).map(|(s, p)| f(s, p)).collect()),
    };
    let err = |p: &PsfPrediction, j: usize| p.estimate.errors.map_or(f64::NAN, |e| e[j]);
    let offset_err = |p: &PsfPrediction, j: usize| p.offset_errors.map_or(f64::NAN, |e| e[j]);
    vec![
        Column {
            name: "id".into(),
            unit: String::new(),
            values: Values::Text(stamps.iter().map(|s| s.window.id.clone()).collect()),
        },
        real("x", "pixel", &|s, p| s.window.position(p.offset)[0]),
        real("y", "pixel", &|s, p| s.window.position(p.offset)[1]),
        real("flux", "image units", &|s, p| {
            p.estimate.params[0] / s.flux_factor
        }),
        real("sersic_index", "", &|_, p| p.estimate.params[1]),
        real(size_name, size_unit, &|_, p| {
            p.estimate.params[2] * size_factor
        }),
        real("g1", "", &|_, p| p.estimate.params[3]),
        real("g2", "", &|_, p| p.estimate.params[4]),
        real("x_err", "pixel", &|_, p| offset_err(p, 0)),
        real("y_err", "pixel", &|_, p| offset_err(p, 1)),
        real("flux_err", "image units", &|s, p| err(p, 0) / s.flux_factor),
        real("sersic_index_err", "", &|_, p| err(p, 1)),
        real(&format!("{size_name}_err"), size_unit, &|_, p| {
            err(p, 2) * size_factor
        }),
        real("g1_err", "", &|_, p| err(p, 3)),
        real("g2_err", "", &|_, p| err(p, 4)),
        real("sigma", "image units", &|s, _| {
            f64::from(s.sigma) / s.flux_factor
        }),
        real("psf_fwhm_pixels", "pixel", &|s, _| s.psf_fwhm_pixels),
        real("masked_fraction", "", &|s, _| s.masked_fraction),
        Column {
            name: "outside_training".into(),
            unit: String::new(),
            values: Values::Flag(
                stamps
                    .iter()
                    .zip(preds)
                    .map(|(_, p)| outside_training(p))
                    .collect(),
            ),
        },
    ]
}

/// Whether an estimate lies outside the box the network was trained over (flux 3e4–4e5 counts in the
/// network's units, the image as scaled to its noise range, n 0.5–6, hlr 0.1–0.6" at 0.23"/px, |g| < 0.67, offsets within 2 px), by more than
/// 5% of the box: the galaxy is unlike any the network saw (a bright, large, resolved galaxy, a star, an
/// artefact), and its estimate is an extrapolation to be checked, by `galaxy fit` for one.
fn outside_training(p: &PsfPrediction) -> bool {
    let q = &p.estimate.params;
    let beyond = |v: f64, lo: f64, hi: f64| {
        let margin = 0.05 * (hi - lo);
        !(lo - margin..=hi + margin).contains(&v)
    };
    beyond(q[0], 3e4, 4e5)
        || beyond(q[1], 0.5, 6.0)
        || beyond(q[2], 0.1, 0.6)
        || q[3].hypot(q[4]) > 0.67 + 0.05 * 1.34
        || beyond(p.offset[0], -2.0, 2.0)
        || beyond(p.offset[1], -2.0, 2.0)
}

/// The columns a PSF-reading network adds to an `.npz` prediction: the offsets and their errors.
pub(crate) fn offset_columns(preds: &[PsfPrediction]) -> Vec<CsvColumn> {
    let fmt = galaxy_eval::estimates::format_value;
    let pick = |f: &dyn Fn(&PsfPrediction) -> f64| preds.iter().map(f).collect::<Vec<_>>();
    vec![
        CsvColumn::new("dx_pixels", pick(&|p| p.offset[0]), fmt),
        CsvColumn::new("dy_pixels", pick(&|p| p.offset[1]), fmt),
        CsvColumn::new(
            "dx_pixels_err",
            pick(&|p| p.offset_errors.map_or(f64::NAN, |e| e[0])),
            fmt,
        ),
        CsvColumn::new(
            "dy_pixels_err",
            pick(&|p| p.offset_errors.map_or(f64::NAN, |e| e[1])),
            fmt,
        ),
    ]
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
