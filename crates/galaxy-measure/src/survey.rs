//! A measurement run: what to measure ([`MeasureRequest`]), its inputs loaded and cut into stamps
//! ([`Survey`]), and the fits ([`Measurement`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use mle_fit::model_fit::{component_images, fit_model, ModelFitOptions, ModelFitResult, ModelSpec};
use mle_fit::{fit_image_from, ImageFitOptions, ImageFitResult};
use ndarray::Array2;
use noise_model::{MaskPolarity, PixelNoise, Statistic};
use rayon::prelude::*;
use sersic_render::{Convolution, GalaxyParams, Psf, Renderer, Stamp};

use crate::catalog::read_catalog;
use crate::cutouts::{windows_around, Window};
use crate::error::MeasureError;
use crate::noise::{NoiseSource, NoiseSpec};
use crate::planes::Planes;
use crate::psf::PsfSpec;

/// Everything a run needs to know: the image(s), PSF, noise, mask and, for a field, the catalogue.
#[derive(Clone, Debug)]
pub struct MeasureRequest {
    /// A FITS image holding one galaxy, a cube of cutouts, or a field (with `catalog`).
    pub image: PathBuf,
    /// The PSF.
    pub psf: PsfSpec,
    /// The noise.
    pub noise: NoiseSpec,
    /// A bad-pixel mask of the image's shape.
    pub mask: Option<PathBuf>,
    /// Which mask values are bad (non-zero by default, Imfit's convention).
    pub mask_polarity: MaskPolarity,
    /// Arcsec per pixel when the image's WCS does not say (it takes precedence over the WCS).
    pub pixel_scale: Option<f64>,
    /// Sources in a field: CSV or FITS table with id, x, y (1-based) and optionally size.
    pub catalog: Option<PathBuf>,
    /// A segmentation map of the field (0 = sky, otherwise the label of a source): other sources' pixels
    /// are masked in each stamp.
    pub segmentation: Option<PathBuf>,
    /// Side of the stamps cut from a field when the catalogue gives no size, pixels.
    pub stamp_size: usize,
    /// How each galaxy is fitted.
    pub fit: ImageFitOptions,
    /// What each fit minimises: the likelihood (default), or χ² with the same variance as Imfit and GALFIT.
    pub statistic: Statistic,
    /// How models of several components meet the PSF: continuously (GalSim's drawing, the default), or
    /// as Imfit and GALFIT do, each profile sampled at the pixel centres and summed over the PSF image's
    /// pixels (for comparing with them; it needs an effective PSF image at the image's scale).
    pub convolution: Convolution,
}

/// A stamp ready to fit: its window in the input, its pixels and its noise (or why it has none usable).
#[derive(Clone, Debug)]
pub struct Cutout {
    /// Where it was cut from.
    pub window: Window,
    /// Its pixels.
    pub data: Array2<f64>,
    /// Its noise, or why no pixel of it can be used.
    pub noise: Result<PixelNoise, String>,
    /// Index of its PSF in [`Survey::psfs`].
    pub psf: usize,
}

/// The inputs of a run, loaded, checked and cut into stamps.
pub struct Survey {
    /// The stamps, in the order of the output.
    pub cutouts: Vec<Cutout>,
    /// The PSFs (one, or one per image of a cube).
    pub psfs: Vec<Psf>,
    /// Arcsec per pixel, when known (then sizes are in arcsec, else in pixels).
    pub pixel_scale: Option<f64>,
    options: ImageFitOptions,
    convolution: Convolution,
    renderers: Mutex<HashMap<(usize, usize), Arc<Renderer>>>,
}

/// The fit of one stamp.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Where the stamp was cut from.
    pub window: Window,
    /// The fit, or why it failed (then the output row carries only the flags).
    pub fit: Result<ImageFitResult, String>,
    /// Pixels of the stamp whose data were NaN or infinite (left out of the fit).
    pub non_finite: usize,
    /// The fraction of the stamp's pixels left out (mask, neighbours, zero weight, non-finite data).
    pub masked_fraction: f64,
}

/// The fit of one stamp by a model of several components.
#[derive(Clone, Debug)]
pub struct ModelMeasurement {
    /// Where the stamp was cut from.
    pub window: Window,
    /// The fit, or why it failed.
    pub fit: Result<ModelFitResult, String>,
    /// Pixels of the stamp whose data were NaN or infinite (left out of the fit).
    pub non_finite: usize,
    /// The fraction of the stamp's pixels left out.
    pub masked_fraction: f64,
}

impl Survey {
    /// Loads and checks every input of `request` and cuts the stamps. Any problem with the inputs is an
    /// error naming the file and the field; a stamp with no usable pixel is not (its row will say so).
    pub fn prepare(request: &MeasureRequest) -> Result<Survey, MeasureError> {
        let image = Planes::read(&request.image, "image")?;
        let count = image.planes.len();
        let shape = image.plane_shape();
        let pixel_scale = match request.pixel_scale {
            Some(s) if !(s.is_finite() && s > 0.0) => {
                return Err(MeasureError::input(format!(
                    "--pixel-scale must be a finite number > 0, got {s}"
                )))
            }
            Some(s) => Some(s),
            None => image.pixel_scale,
        };
        let render_scale = pixel_scale.unwrap_or(1.0);
        let psfs = request.psf.load(render_scale)?;
        if psfs.len() != 1 && psfs.len() != count {
            return Err(MeasureError::input(format!(
                "{}: {} PSF planes for {count} images in {} (give one PSF, or one per image)",
                psf_path(&request.psf).display(),
                psfs.len(),
                request.image.display()
            )));
        }
        let noise = NoiseSource::load(
            &request.noise,
            (request.mask.as_deref(), request.mask_polarity),
            request.statistic,
            &request.image,
            shape,
            count,
        )?;
        let segmentation = match &request.segmentation {
            Some(_) if request.catalog.is_none() => {
                return Err(MeasureError::input(
                    "--segmentation goes with a field and its --catalog",
                ))
            }
            Some(path) => {
                let planes = Planes::read(path, "segmentation map")?;
                planes.check_matches(path, "segmentation map", shape, 1, &request.image)?;
                Some(planes.planes[0].clone())
            }
            None => None,
        };
        let windows = match &request.catalog {
            Some(catalog) => field_windows(request, catalog, &image, segmentation.as_ref())?,
            None => (0..count)
                .map(|k| Window {
                    id: if image.cube {
                        (k + 1).to_string()
                    } else {
                        file_stem(&request.image)
                    },
                    image: k,
                    origin: [0, 0],
                    shape,
                    label: None,
                })
                .collect(),
        };
        let cutouts = windows
            .into_iter()
            .map(|window| {
                let data = window.cut(&image.planes[window.image]);
                let neighbours = segmentation.as_ref().map(|s| window.neighbours(s));
                let noise = noise.stamp_noise(
                    window.image,
                    window.origin,
                    data.view(),
                    neighbours.as_ref(),
                );
                let psf = if psfs.len() == 1 { 0 } else { window.image };
                Cutout {
                    window,
                    data,
                    noise,
                    psf,
                }
            })
            .collect();
        Ok(Survey {
            cutouts,
            psfs,
            pixel_scale,
            options: request.fit.clone(),
            convolution: request.convolution,
            renderers: Mutex::new(HashMap::new()),
        })
    }

    /// Fits every stamp (in parallel on the current rayon pool), calling `progress` after each; the
    /// measurements come in the stamps' order.
    pub fn measure(&self, progress: &(dyn Fn() + Sync)) -> Vec<Measurement> {
        self.measure_from(None, progress)
    }

    /// [`Self::measure`], each fit started from `starts[k]` (flux, n, hlr, g1, g2, dx, dy in the
    /// stamps' units: sizes in arcsec when the pixel scale is known, offsets in pixels from the stamp's
    /// true centre) when there is one: one solver run from there, no scouting.
    pub fn measure_from(
        &self,
        starts: Option<&[Option<Vec<f64>>]>,
        progress: &(dyn Fn() + Sync),
    ) -> Vec<Measurement> {
        self.cutouts
            .par_iter()
            .enumerate()
            .map(|(k, cutout)| {
                let start = starts.and_then(|s| s.get(k)?.as_deref());
                let measurement = self.measure_one(cutout, start);
                progress();
                measurement
            })
            .collect()
    }

    fn measure_one(&self, cutout: &Cutout, start: Option<&[f64]>) -> Measurement {
        let (non_finite, masked_fraction) = stamp_stats(cutout);
        Measurement {
            window: cutout.window.clone(),
            fit: self.fit_stamp(cutout, |renderer, psf, noise| {
                fit_image_from(
                    renderer,
                    psf,
                    cutout.data.view(),
                    noise,
                    &self.options,
                    start,
                )
            }),
            non_finite,
            masked_fraction,
        }
    }

    /// Runs `fit` on the stamp with its renderer, PSF and noise; a stamp with no usable noise, or a fit
    /// that fails, gives the reason.
    fn fit_stamp<T>(
        &self,
        cutout: &Cutout,
        fit: impl FnOnce(&Renderer, &Psf, &PixelNoise) -> Result<T, mle_fit::FitError>,
    ) -> Result<T, String> {
        let noise = cutout.noise.as_ref().map_err(|why| why.clone())?;
        let renderer = self.renderer(cutout.data.dim())?;
        fit(&renderer, &self.psfs[cutout.psf], noise).map_err(|e| e.to_string())
    }

    /// The renderer for stamps of `shape` (rows, columns), made once and shared, so that each PSF's
    /// transform is computed once per stamp shape.
    fn renderer(&self, (rows, columns): (usize, usize)) -> Result<Arc<Renderer>, String> {
        let mut map = self.renderers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = map.get(&(rows, columns)) {
            return Ok(r.clone());
        }
        let stamp = Stamp::new(columns, rows, self.pixel_scale.unwrap_or(1.0));
        let renderer = Arc::new(
            Renderer::new(stamp)
                .map_err(|e| e.to_string())?
                .with_convolution(self.convolution),
        );
        map.insert((rows, columns), renderer.clone());
        Ok(renderer)
    }

    /// Fits every stamp with the model `spec` (in parallel, as [`Self::measure`]).
    pub fn measure_models(
        &self,
        spec: &ModelSpec,
        options: &ModelFitOptions,
        progress: &(dyn Fn() + Sync),
    ) -> Vec<ModelMeasurement> {
        let options = ModelFitOptions {
            single: self.options.clone(),
            ..options.clone()
        };
        self.cutouts
            .par_iter()
            .map(|cutout| {
                let (non_finite, masked_fraction) = stamp_stats(cutout);
                let fit = self.fit_stamp(cutout, |renderer, psf, noise| {
                    fit_model(renderer, psf, cutout.data.view(), noise, spec, &options)
                });
                progress();
                ModelMeasurement {
                    window: cutout.window.clone(),
                    fit,
                    non_finite,
                    masked_fraction,
                }
            })
            .collect()
    }

    /// The whole model and each component's image of `cutout` at the estimate of `fit`.
    pub fn model_components(
        &self,
        cutout: &Cutout,
        fit: &ModelFitResult,
    ) -> Result<(Array2<f64>, Vec<Array2<f64>>), String> {
        let renderer = self.renderer(cutout.data.dim())?;
        let components = component_images(
            &renderer,
            &self.psfs[cutout.psf],
            &fit.layout,
            &fit.values,
            fit.lattice,
        )
        .map_err(|e| e.to_string())?;
        let mut model = Array2::zeros(cutout.data.dim());
        for c in &components {
            model += c;
        }
        Ok((model, components))
    }

    /// The model image (galaxy + sky) of `cutout` at the estimate of `fit`.
    pub fn model(&self, cutout: &Cutout, fit: &ImageFitResult) -> Result<Array2<f64>, String> {
        let p = &fit.params;
        let renderer = self.renderer(cutout.data.dim())?;
        let galaxy = GalaxyParams::new(p[0], p[1], p[2], p[3], p[4]);
        let image = renderer
            .render_offset(&galaxy, &self.psfs[cutout.psf], [p[5], p[6]])
            .map_err(|e| e.to_string())?;
        Ok(image + p.get(7).copied().unwrap_or(0.0))
    }
}

/// Pixels of the stamp whose data are not finite, and the fraction of its pixels left out.
fn stamp_stats(cutout: &Cutout) -> (usize, f64) {
    match &cutout.noise {
        Ok(noise) => (noise.non_finite(), noise.masked_fraction()),
        Err(_) => (cutout.data.iter().filter(|v| !v.is_finite()).count(), 1.0),
    }
}

/// The stamps of a field's catalogue, with the sources' own labels when a segmentation map is given.
fn field_windows(
    request: &MeasureRequest,
    catalog: &Path,
    image: &Planes,
    segmentation: Option<&Array2<f64>>,
) -> Result<Vec<Window>, MeasureError> {
    if image.planes.len() != 1 || image.cube {
        return Err(MeasureError::input(format!(
            "{}: a field with a --catalog must be a 2-D image, not a cube of {} planes",
            request.image.display(),
            image.planes.len()
        )));
    }
    if request.stamp_size < 3 {
        return Err(MeasureError::input(format!(
            "--stamp-size must be at least 3 pixels, got {}",
            request.stamp_size
        )));
    }
    let sources = read_catalog(catalog)?;
    let windows = windows_around(
        &sources,
        image.plane_shape(),
        request.stamp_size,
        catalog,
        &request.image,
    )?;
    Ok(match segmentation {
        Some(map) => windows
            .into_iter()
            .zip(&sources)
            .map(|(w, s)| w.with_label(s, map))
            .collect(),
        None => windows,
    })
}

fn psf_path(spec: &PsfSpec) -> PathBuf {
    match spec {
        PsfSpec::Image { path, .. } => path.clone(),
        _ => PathBuf::from("PSF"),
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "1".into())
}
