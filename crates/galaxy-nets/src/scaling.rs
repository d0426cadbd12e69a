//! How labels and inputs are scaled for the network, stored with the weights.

use candle_core::{Device, Result, Tensor};
use galaxy_data::Dataset;
use serde::{Deserialize, Serialize};

/// Labels min-max scaled to [−1, 1] over a box (the seed's choice, over its prior box); images divided by
/// their noise sigma; the conditioning (PSF FWHM, sigma) centred and scaled over data_v3's ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// Lower ends of (flux, n, hlr, g1, g2).
    pub label_lower: [f64; 5],
    /// Upper ends.
    pub label_upper: [f64; 5],
    /// (centre, half-width) of the PSF FWHM.
    pub psf_fwhm: (f64, f64),
    /// (centre, half-width) of sigma.
    pub sigma: (f64, f64),
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            label_lower: [3e4, 0.5, 0.1, -0.67, -0.67],
            label_upper: [4e5, 6.0, 0.6, 0.67, 0.67],
            psf_fwhm: (0.75, 0.25),
            sigma: (300.0, 100.0),
        }
    }
}

impl Scaling {
    /// Physical labels → [−1, 1].
    pub fn scale_label(&self, j: usize, v: f64) -> f64 {
        2.0 * (v - self.label_lower[j]) / (self.label_upper[j] - self.label_lower[j]) - 1.0
    }

    /// [−1, 1] → physical labels.
    pub fn unscale_label(&self, j: usize, u: f64) -> f64 {
        self.label_lower[j] + (u + 1.0) * 0.5 * (self.label_upper[j] - self.label_lower[j])
    }

    /// Half the width of parameter j's box: converts a scaled standard deviation to a physical one.
    pub fn label_half_width(&self, j: usize) -> f64 {
        0.5 * (self.label_upper[j] - self.label_lower[j])
    }

    /// The network's inputs for a batch: images / sigma [B, 1, S, S] and conditioning [B, 2].
    pub fn inputs(
        &self,
        img: ndarray::ArrayView3<'_, f32>,
        psf_fwhm: &[f32],
        sigma: &[f32],
        device: &Device,
    ) -> Result<(Tensor, Tensor)> {
        let (b, s, _) = img.dim();
        let mut pixels = Vec::with_capacity(b * s * s);
        let mut cond = Vec::with_capacity(2 * b);
        for (i, image) in img.outer_iter().enumerate() {
            let inv = 1.0 / sigma[i];
            pixels.extend(image.iter().map(|v| v * inv));
            cond.push(((f64::from(psf_fwhm[i]) - self.psf_fwhm.0) / self.psf_fwhm.1) as f32);
            cond.push(((f64::from(sigma[i]) - self.sigma.0) / self.sigma.1) as f32);
        }
        Ok((
            Tensor::from_vec(pixels, (b, 1, s, s), device)?,
            Tensor::from_vec(cond, (b, 2), device)?,
        ))
    }

    /// The inputs for images `range` of a dataset.
    pub fn dataset_inputs(
        &self,
        data: &Dataset,
        range: std::ops::Range<usize>,
        device: &Device,
    ) -> Result<(Tensor, Tensor)> {
        let img = data.img.slice(ndarray::s![range.clone(), .., ..]);
        let psf = data.psf_r.slice(ndarray::s![range.clone()]).to_vec();
        let sigma = data.sigma.slice(ndarray::s![range]).to_vec();
        self.inputs(img, &psf, &sigma, device)
    }

    /// Scaled labels [B, 5] of images `range`.
    pub fn targets(
        &self,
        data: &Dataset,
        range: std::ops::Range<usize>,
        device: &Device,
    ) -> Result<Tensor> {
        let b = range.len();
        let mut v = Vec::with_capacity(5 * b);
        for i in range {
            for j in 0..5 {
                v.push(self.scale_label(j, f64::from(data.label[[i, j]])) as f32);
            }
        }
        Tensor::from_vec(v, (b, 5), device)
    }
}
