//! How well a denoiser did: each image's squared error to the noiseless image as a fraction of the noise
//! variance, beside two classical baselines — a Gaussian filter of the PSF's size and the model image of
//! the maximum-likelihood fit.

use galaxy_data::Dataset;
use mle_fit::{FitOptions, Fitter};
use ndarray::{Array2, Array3, ArrayView2, Axis};
use rayon::prelude::*;
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

use crate::error::EvalError;

/// The mean of [`mse_fraction`] over a set for the noisy images and each way of cleaning them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenoisingQuality {
    /// The noisy image itself (about 1).
    pub noisy: f64,
    /// A Gaussian filter of the PSF's FWHM.
    pub gaussian_filter: f64,
    /// The maximum-likelihood fit's model image.
    pub fit_model: f64,
    /// The denoiser's output.
    pub denoiser: f64,
}

impl DenoisingQuality {
    /// Scores `clean` (one denoised image per image of `data`, counts) against `data`'s noiseless
    /// images, next to the two baselines (fits in parallel on the current rayon pool; 0.23"/pixel,
    /// Moffat beta 2 as the seed's sets).
    pub fn measure(data: &Dataset, clean: &Array3<f32>) -> Result<Self, EvalError> {
        let n = data.len();
        if clean.dim() != data.img.dim() {
            return Err(EvalError::BadInput(format!(
                "{:?} denoised images for {:?} images",
                clean.dim(),
                data.img.dim()
            )));
        }
        let renderer = Renderer::new(Stamp::square(data.image_size(), 0.23))
            .map_err(mle_fit::FitError::from)?;
        let fitter = Fitter::new(&renderer, FitOptions::default())?;
        let rows: Vec<[f64; 4]> = (0..n)
            .into_par_iter()
            .map(|i| {
                let truth = data.img_nonoise.index_axis(Axis(0), i);
                let noisy = data.img.index_axis(Axis(0), i);
                let sigma = data.sigma[i];
                let fwhm = f64::from(data.psf_r[i]);
                let psf = Psf::moffat(2.0, fwhm)
                    .map_err(|e| EvalError::BadInput(format!("image {i}: {e}")))?;
                let blurred = gaussian_filter(noisy, fwhm / 0.23);
                let fit = fitter.fit(noisy.mapv(f64::from).view(), &psf, f64::from(sigma))?;
                let model = renderer
                    .render(&GalaxyParams::from_array(fit.params), &psf)
                    .map_err(mle_fit::FitError::from)?
                    .mapv(|v| v as f32);
                Ok([
                    mse_fraction(noisy, truth, sigma),
                    mse_fraction(blurred.view(), truth, sigma),
                    mse_fraction(model.view(), truth, sigma),
                    mse_fraction(clean.index_axis(Axis(0), i), truth, sigma),
                ])
            })
            .collect::<Result<_, EvalError>>()?;
        let mean = |k: usize| rows.iter().map(|r| r[k]).sum::<f64>() / n as f64;
        Ok(DenoisingQuality {
            noisy: mean(0),
            gaussian_filter: mean(1),
            fit_model: mean(2),
            denoiser: mean(3),
        })
    }
}

/// Σ(estimate − noiseless)² / Σ(noise variance) of one image, the noise variance being the seed's
/// sigma² + noiseless (Poisson + read noise): 1 for the noisy image itself, on average.
pub fn mse_fraction(est: ArrayView2<'_, f32>, truth: ArrayView2<'_, f32>, sigma: f32) -> f64 {
    let (mut err, mut var) = (0.0, 0.0);
    for (e, t) in est.iter().zip(truth) {
        err += f64::from(e - t).powi(2);
        var += f64::from(sigma).powi(2) + f64::from(t.max(0.0));
    }
    err / var
}

/// The image blurred by a Gaussian of FWHM `fwhm_pixels` (separable, edges renormalised).
pub fn gaussian_filter(image: ArrayView2<'_, f32>, fwhm_pixels: f64) -> Array2<f32> {
    let s = fwhm_pixels / (8.0 * std::f64::consts::LN_2).sqrt();
    let r = (3.0 * s).ceil() as isize;
    let kernel: Vec<f64> = (-r..=r)
        .map(|k| (-0.5 * (k as f64 / s).powi(2)).exp())
        .collect();
    let (h, w) = image.dim();
    let pass = |src: &Array2<f64>, along_rows: bool| -> Array2<f64> {
        Array2::from_shape_fn((h, w), |(y, x)| {
            let (mut sum, mut norm) = (0.0, 0.0);
            for (k, wk) in kernel.iter().enumerate() {
                let d = k as isize - r;
                let (yy, xx) = if along_rows {
                    (y as isize, x as isize + d)
                } else {
                    (y as isize + d, x as isize)
                };
                if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
                    sum += wk * src[[yy as usize, xx as usize]];
                    norm += wk;
                }
            }
            sum / norm
        })
    };
    let once = pass(&image.mapv(f64::from), true);
    pass(&once, false).mapv(|v| v as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gaussian_filter_keeps_flat_images_and_spreads_a_point_to_its_fwhm() {
        let flat = Array2::from_elem((16, 16), 3.0f32);
        assert!(gaussian_filter(flat.view(), 2.5)
            .iter()
            .all(|v| (v - 3.0).abs() < 1e-5));
        let mut point = Array2::<f32>::zeros((41, 41));
        point[[20, 20]] = 1.0;
        let g = gaussian_filter(point.view(), 4.0);
        assert!((g.sum() - 1.0).abs() < 1e-5);
        // Half maximum two pixels from the centre along a row (FWHM 4), to the sampling's accuracy.
        let ratio = g[[20, 22]] / g[[20, 20]];
        assert!((ratio - 0.5).abs() < 0.02, "{ratio}");
    }

    #[test]
    fn the_mse_fraction_is_relative_to_read_plus_poisson_variance() {
        let truth = Array2::from_elem((4, 4), 300.0f32);
        let off = truth.mapv(|v| v + 20.0);
        // 20² / (10² + 300) = 1.
        assert!((mse_fraction(off.view(), truth.view(), 10.0) - 1.0).abs() < 1e-12);
        assert_eq!(mse_fraction(truth.view(), truth.view(), 10.0), 0.0);
    }
}
