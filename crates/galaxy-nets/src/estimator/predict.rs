//! Running a trained estimator on images.

use candle_core::Device;
use ndarray::{s, ArrayView3, CowArray, Ix3};

use super::card::LoadedModel;
use crate::error::NetError;

/// One image's estimate: the five parameters and, for models with uncertainty outputs, their 1-sigma errors
/// (the network's, times the card's calibration scales).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// (flux, n, hlr, g1, g2).
    pub params: [f64; 5],
    /// 1-sigma errors, when the model predicts them.
    pub errors: Option<[f64; 5]>,
}

/// Predicts every image (img [N, S, S] with its PSF FWHM and sigma), in batches of `batch`; a model with a
/// denoiser attached denoises each batch first.
pub fn predict(
    model: &LoadedModel,
    img: ArrayView3<'_, f32>,
    psf_fwhm: &[f32],
    sigma: &[f32],
    batch: usize,
    device: &Device,
    on_batch: &mut dyn FnMut(usize),
) -> Result<Vec<Prediction>, NetError> {
    predict_views(
        model,
        img,
        psf_fwhm,
        sigma,
        batch,
        Views::One,
        device,
        on_batch,
    )
}

/// [`predict`] on every image of a dataset in the seed's layout (its PSF FWHMs and sigmas).
pub fn predict_dataset(
    model: &LoadedModel,
    data: &galaxy_data::Dataset,
    batch: usize,
    device: &Device,
) -> Result<Vec<Prediction>, NetError> {
    let (fwhm, sigma) = (data.psf_r.to_vec(), data.sigma.to_vec());
    predict(
        model,
        data.img.view(),
        &fwhm,
        &sigma,
        batch,
        device,
        &mut |_| {},
    )
}

/// Which views of each image the network sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Views {
    /// The image as it is.
    One,
    /// The eight symmetries of the square (flips, transposes, quarter turns). Each view's estimate is
    /// mapped back — a mirror image has g2 of the opposite sign, a transposed one g1 — and the eight are
    /// averaged, as are their errors. The noise and a round PSF look the same in every view and the stamp
    /// is centred on the pixel grid's centre, so every view is an equally good measurement; averaging them
    /// removes the part of the network's error that depends on the galaxy's orientation on the grid, at 8
    /// times the cost. The averaged errors are those of a single view (conservative), not recalibrated.
    Symmetries,
}

/// The eight symmetries of the square: (transpose first?, flip rows?, flip columns?), with the signs they
/// give g1 and g2. Rows are y and columns x: a column flip (x → −x) or a row flip changes the sign of g2, a
/// transpose (x ↔ y) that of g1.
const SYMMETRIES: [(bool, bool, bool, f64, f64); 8] = [
    (false, false, false, 1.0, 1.0),
    (false, false, true, 1.0, -1.0),
    (false, true, false, 1.0, -1.0),
    (false, true, true, 1.0, 1.0),
    (true, false, false, -1.0, 1.0),
    (true, true, true, -1.0, 1.0),
    (true, false, true, -1.0, -1.0),
    (true, true, false, -1.0, -1.0),
];

/// One symmetry of a batch of images in standard layout: copied when transformed, borrowed as it is for
/// the identity (the default one-view prediction copies nothing).
fn transformed(
    img: ArrayView3<'_, f32>,
    transpose: bool,
    flip_rows: bool,
    flip_cols: bool,
) -> CowArray<'_, f32, Ix3> {
    let mut v = img;
    if transpose {
        v = v.permuted_axes([0, 2, 1]);
    }
    if flip_rows {
        v.invert_axis(ndarray::Axis(1));
    }
    if flip_cols {
        v.invert_axis(ndarray::Axis(2));
    }
    if v.is_standard_layout() {
        CowArray::from(v)
    } else {
        CowArray::from(v.as_standard_layout().into_owned())
    }
}

/// [`predict`] with a choice of [`Views`].
#[allow(clippy::too_many_arguments)]
pub fn predict_views(
    model: &LoadedModel,
    img: ArrayView3<'_, f32>,
    psf_fwhm: &[f32],
    sigma: &[f32],
    batch: usize,
    views: Views,
    device: &Device,
    on_batch: &mut dyn FnMut(usize),
) -> Result<Vec<Prediction>, NetError> {
    let (n, h, w) = img.dim();
    let size = model.card.estimator.image_size;
    if h != size || w != size {
        return Err(NetError::BadInput(format!(
            "images are {h} x {w}; this model reads {size} x {size}"
        )));
    }
    if psf_fwhm.len() != n || sigma.len() != n {
        return Err(NetError::BadInput(format!(
            "{n} images but {} PSF FWHMs and {} sigmas",
            psf_fwhm.len(),
            sigma.len()
        )));
    }
    let scaling = &model.card.scaling;
    let mut out = Vec::with_capacity(n);
    let symmetries: &[_] = match views {
        Views::One => &SYMMETRIES[..1],
        Views::Symmetries => &SYMMETRIES,
    };
    let mut start = 0;
    while start < n {
        let end = (start + batch.max(1)).min(n);
        let mut sums = vec![
            Prediction {
                params: [0.0; 5],
                errors: None
            };
            end - start
        ];
        for &(transpose, flip_rows, flip_cols, sign_g1, sign_g2) in symmetries {
            let view = transformed(
                img.slice(s![start..end, .., ..]),
                transpose,
                flip_rows,
                flip_cols,
            );
            let (x, c) = scaling.inputs(
                view.view(),
                &psf_fwhm[start..end],
                &sigma[start..end],
                device,
            )?;
            // Both stages read images / sigma.
            let x = match &model.denoiser {
                Some(d) => candle_core::Module::forward(d, &x)?,
                None => x,
            };
            let y: Vec<Vec<f32>> = model.estimator.forward_t(&x, Some(&c), false)?.to_vec2()?;
            for (sum, row) in sums.iter_mut().zip(y) {
                let sign = [1.0, 1.0, 1.0, sign_g1, sign_g2];
                for j in 0..5 {
                    sum.params[j] += sign[j] * scaling.unscale_label(j, f64::from(row[j]));
                }
                if row.len() == 10 {
                    let e = sum.errors.get_or_insert([0.0; 5]);
                    for (j, e) in e.iter_mut().enumerate() {
                        let su = (0.5 * f64::from(row[5 + j]).clamp(-12.0, 12.0)).exp();
                        *e += scaling.physical_error(j, f64::from(row[j]), su)
                            * model.card.error_scale[j];
                    }
                }
            }
        }
        let k = symmetries.len() as f64;
        out.extend(sums.into_iter().map(|p| Prediction {
            params: p.params.map(|v| v / k),
            errors: p.errors.map(|e| e.map(|v| v / k)),
        }));
        on_batch(end - start);
        start = end;
    }
    Ok(out)
}

/// One image's estimate by a network that reads the PSF: the five parameters, the centre offset (dx, dy)
/// in pixels from the stamp's true centre, and their calibrated 1-sigma errors when the model has them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PsfPrediction {
    /// (flux, n, hlr, g1, g2) and their errors.
    pub estimate: Prediction,
    /// (dx, dy), pixels (0 for a model that does not estimate them).
    pub offset: [f64; 2],
    /// Their 1-sigma errors.
    pub offset_errors: Option<[f64; 2]>,
}

/// Predicts every image with a network that reads the PSF ([`EstimatorConfig::psf_channel`]): img
/// [N, S, S], the PSF drawn on each image's pixel grid `psf` [N, S, S] (or [1, S, S] for all) and the noise
/// sigma of each image, in batches of `batch`.
///
/// [`EstimatorConfig::psf_channel`]: crate::EstimatorConfig::psf_channel
#[allow(clippy::too_many_arguments)]
pub fn predict_with_psf(
    model: &LoadedModel,
    img: ArrayView3<'_, f32>,
    psf: ArrayView3<'_, f32>,
    sigma: &[f32],
    batch: usize,
    device: &Device,
    on_batch: &mut dyn FnMut(usize),
) -> Result<Vec<PsfPrediction>, NetError> {
    let cfg = &model.card.estimator;
    if !cfg.psf_channel {
        return Err(NetError::BadInput(
            "this model does not read a PSF image; use predict".into(),
        ));
    }
    let (n, h, w) = img.dim();
    let size = cfg.image_size;
    if h != size || w != size {
        return Err(NetError::BadInput(format!(
            "images are {h} x {w}; this model reads {size} x {size}"
        )));
    }
    let (np, ph, pw) = psf.dim();
    if ph != size || pw != size || !(np == n || np == 1) {
        return Err(NetError::BadInput(format!(
            "PSF images are {np} x {ph} x {pw}; this model needs one {size} x {size} PSF image per \
             image, or one for all"
        )));
    }
    crate::scaling::check_sigmas(n, sigma)?;
    if model.denoiser.is_some() {
        return Err(NetError::BadInput(
            "a network that reads the PSF takes no denoiser".into(),
        ));
    }
    let scaling = &model.card.scaling;
    let params = cfg.parameters();
    let scale = |j: usize| model.card.error_scale.get(j).copied().unwrap_or(1.0);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let end = (start + batch.max(1)).min(n);
        let psf_part = if np == 1 {
            psf.view()
        } else {
            psf.slice(s![start..end, .., ..])
        };
        let (x, c) = scaling.psf_inputs(
            img.slice(s![start..end, .., ..]),
            psf_part,
            &sigma[start..end],
            device,
        )?;
        let y: Vec<Vec<f32>> = model.estimator.forward_t(&x, Some(&c), false)?.to_vec2()?;
        for row in y {
            let value = |j: usize| scaling.unscale_parameter(j, f64::from(row[j]));
            let error = |j: usize| {
                let su = (0.5 * f64::from(row[params + j]).clamp(-12.0, 12.0)).exp();
                scaling.parameter_error(j, f64::from(row[j]), su) * scale(j)
            };
            let with_errors = row.len() == 2 * params;
            out.push(PsfPrediction {
                estimate: Prediction {
                    params: std::array::from_fn(value),
                    errors: with_errors.then(|| std::array::from_fn(error)),
                },
                offset: if params == 7 {
                    [value(5), value(6)]
                } else {
                    [0.0; 2]
                },
                offset_errors: (with_errors && params == 7).then(|| [error(5), error(6)]),
            });
        }
        on_batch(end - start);
        start = end;
    }
    Ok(out)
}
