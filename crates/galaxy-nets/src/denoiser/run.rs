//! Denoising images with a trained denoiser.

use candle_core::{Device, Module, Tensor};
use ndarray::{s, Array3, ArrayView3};

use super::card::LoadedDenoiser;
use crate::error::NetError;

/// Denoises img [N, S, S] (counts; each image with its sigma) in batches; the result is in counts.
pub fn denoise(
    model: &LoadedDenoiser,
    img: ArrayView3<'_, f32>,
    sigma: &[f32],
    batch: usize,
    device: &Device,
    on_batch: &mut dyn FnMut(usize),
) -> Result<Array3<f32>, NetError> {
    let (n, h, w) = img.dim();
    crate::scaling::check_sigmas(n, sigma)?;
    let mut out = Vec::with_capacity(n * h * w);
    let mut start = 0;
    while start < n {
        let end = (start + batch.max(1)).min(n);
        let mut x = Vec::with_capacity((end - start) * h * w);
        for (i, sig) in sigma.iter().enumerate().take(end).skip(start) {
            x.extend(img.slice(s![i, .., ..]).iter().map(|v| v / sig));
        }
        let y = model
            .net
            .forward(&Tensor::from_vec(x, (end - start, 1, h, w), device)?)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        for (k, v) in y.iter().enumerate() {
            out.push(v * sigma[start + k / (h * w)]);
        }
        on_batch(end - start);
        start = end;
    }
    Array3::from_shape_vec((n, h, w), out).map_err(|e| NetError::BadInput(e.to_string()))
}
