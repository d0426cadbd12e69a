//! Running a trained estimator on images.

use candle_core::Device;
use ndarray::{s, ArrayView3};

use crate::card::LoadedModel;
use crate::NetError;

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
    let mut start = 0;
    while start < n {
        let end = (start + batch.max(1)).min(n);
        let (x, c) = scaling.inputs(
            img.slice(s![start..end, .., ..]),
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
        for row in y {
            let params = std::array::from_fn(|j| scaling.unscale_label(j, f64::from(row[j])));
            let errors = (row.len() == 10).then(|| {
                std::array::from_fn(|j| {
                    let su = (0.5 * f64::from(row[5 + j]).clamp(-12.0, 12.0)).exp();
                    scaling.physical_error(j, f64::from(row[j]), su) * model.card.error_scale[j]
                })
            });
            out.push(Prediction { params, errors });
        }
        on_batch(end - start);
        start = end;
    }
    Ok(out)
}
