//! Estimates and reconstructions of images with a trained autoencoder.

use std::collections::HashMap;

use candle_core::Device;
use ndarray::{s, Array2, Array3, ArrayView2, ArrayView3};
use sersic_render::{Psf, Renderer, Stamp};

use super::card::LoadedAutoencoder;
use super::objective::inputs;
use crate::error::NetError;
use crate::estimator::Prediction;

/// Estimates and reconstructions (counts) of img [N, S, S]; `psf(i)` is image i's PSF image.
pub fn run<'a>(
    model: &LoadedAutoencoder,
    img: ArrayView3<'a, f32>,
    psf: &dyn Fn(usize) -> ArrayView2<'a, f32>,
    sigma: &[f32],
    batch: usize,
    device: &Device,
    on_batch: &mut dyn FnMut(usize),
) -> Result<(Vec<Prediction>, Array3<f32>), NetError> {
    let (n, h, w) = img.dim();
    let size = model.card.autoencoder.image_size;
    if h != size || w != size {
        return Err(NetError::BadInput(format!(
            "images are {h} x {w}; this autoencoder reads {size} x {size}"
        )));
    }
    crate::scaling::check_sigmas(n, sigma)?;
    let scaling = &model.card.scaling;
    let (mut preds, mut recon) = (Vec::with_capacity(n), Vec::with_capacity(n * h * w));
    let mut start = 0;
    while start < n {
        let end = (start + batch.max(1)).min(n);
        let x = inputs(
            &model.card.autoencoder,
            scaling,
            img,
            psf,
            sigma,
            start..end,
            device,
        )?;
        let (z, r) = model.net.forward(&x)?;
        for row in z.narrow(1, 0, 5)?.to_vec2::<f32>()? {
            preds.push(Prediction {
                params: std::array::from_fn(|j| scaling.unscale_label(j, f64::from(row[j]))),
                errors: None,
            });
        }
        for (k, v) in r.flatten_all()?.to_vec1::<f32>()?.iter().enumerate() {
            recon.push(v * sigma[start + k / (h * w)]);
        }
        on_batch(end - start);
        start = end;
    }
    let recon =
        Array3::from_shape_vec((n, h, w), recon).map_err(|e| NetError::BadInput(e.to_string()))?;
    Ok((preds, recon))
}

/// Moffat (beta 2, the seed's PSF) images of these FWHMs on `size` x `size` stamps at 0.23", each
/// distinct FWHM drawn once: the PSF channel of images that come with a FWHM only.
pub fn moffat_psf_images(fwhm: &[f64], size: usize) -> Result<Array3<f32>, NetError> {
    let renderer =
        Renderer::new(Stamp::square(size, 0.23)).map_err(|e| NetError::BadInput(e.to_string()))?;
    let mut cache: HashMap<u64, Array2<f32>> = HashMap::new();
    let mut out = Array3::zeros((fwhm.len(), size, size));
    for (i, &f) in fwhm.iter().enumerate() {
        let image = match cache.entry(f.to_bits()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let bad = |e: &dyn std::fmt::Display| NetError::BadInput(format!("image {i}: {e}"));
                let psf = Psf::moffat(2.0, f).map_err(|e| bad(&e))?;
                let img = renderer.render_psf(&psf).map_err(|e| bad(&e))?;
                e.insert(img.mapv(|v| v as f32))
            }
        };
        out.slice_mut(s![i, .., ..]).assign(image);
    }
    Ok(out)
}
