//! How labels and inputs are scaled for the network, stored with the weights.

use candle_core::{Device, Result, Tensor};
use galaxy_data::Dataset;
use serde::{Deserialize, Serialize};

/// Labels min-max scaled to [−1, 1] over a box (the seed's choice, over its prior box); images divided by
/// their noise sigma; the conditioning (PSF FWHM, sigma) centred and scaled over data_v3's ranges.
///
/// A label can instead be scaled in log space (`log_labels`): the network then learns the mean of ln(v),
/// so its estimate is a posterior geometric mean. For the Sérsic index that matters: the likelihood of a
/// galaxy is skewed towards large n, and the arithmetic posterior mean inherits the skew as a bias.
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
    /// Which of (flux, n, hlr, g1, g2) are scaled as ln(v) over [ln lower, ln upper] (lower > 0 there).
    #[serde(default)]
    pub log_labels: [bool; 5],
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            label_lower: [3e4, 0.5, 0.1, -0.67, -0.67],
            label_upper: [4e5, 6.0, 0.6, 0.67, 0.67],
            psf_fwhm: (0.75, 0.25),
            sigma: (300.0, 100.0),
            log_labels: [false; 5],
        }
    }
}

impl Scaling {
    /// The same scaling with parameter `j` learnt in log space.
    ///
    /// # Errors
    /// When the box of parameter `j` does not lie above zero (a log scale needs positive values).
    pub fn with_log_label(mut self, j: usize) -> std::result::Result<Self, crate::error::NetError> {
        if j >= 5 || self.label_lower[j] <= 0.0 {
            return Err(crate::error::NetError::BadInput(format!(
                "label {j} cannot be scaled in log space: its box starts at {}",
                self.label_lower.get(j).copied().unwrap_or(f64::NAN)
            )));
        }
        self.log_labels[j] = true;
        Ok(self)
    }

    /// The box of parameter j in the space the network learns it in.
    fn learnt_box(&self, j: usize) -> (f64, f64) {
        if self.log_labels[j] {
            (self.label_lower[j].ln(), self.label_upper[j].ln())
        } else {
            (self.label_lower[j], self.label_upper[j])
        }
    }

    /// Physical labels → [−1, 1].
    pub fn scale_label(&self, j: usize, v: f64) -> f64 {
        let (lo, hi) = self.learnt_box(j);
        let v = if self.log_labels[j] { v.ln() } else { v };
        2.0 * (v - lo) / (hi - lo) - 1.0
    }

    /// [−1, 1] → physical labels.
    pub fn unscale_label(&self, j: usize, u: f64) -> f64 {
        let (lo, hi) = self.learnt_box(j);
        let v = lo + (u + 1.0) * 0.5 * (hi - lo);
        if self.log_labels[j] {
            v.exp()
        } else {
            v
        }
    }

    /// A scaled standard deviation `su` at the scaled estimate `u` → a physical one (for a log label, to
    /// first order: dv = v · d ln v).
    pub fn physical_error(&self, j: usize, u: f64, su: f64) -> f64 {
        let (lo, hi) = self.learnt_box(j);
        let width = su * 0.5 * (hi - lo);
        if self.log_labels[j] {
            self.unscale_label(j, u) * width
        } else {
            width
        }
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

    /// The inputs of a network that reads the PSF ([`EstimatorConfig::psf_channel`](crate::EstimatorConfig)):
    /// [B, 4, S, S] of the image / sigma, the PSF image on the stamp's grid divided by its peak, and the
    /// pixel coordinates x and y from the stamp's true centre in units of half the stamp (−1 to 1); and the
    /// conditioning [B, 2] of the PSF's FWHM measured on that PSF image
    /// ([`galaxy_data::psf_family::stamp_psf_fwhm`] at the seed's 0.23"/px, whatever the file says) and
    /// sigma. `psf` holds one PSF image per image, or one for all.
    pub fn psf_inputs(
        &self,
        img: ndarray::ArrayView3<'_, f32>,
        psf: ndarray::ArrayView3<'_, f32>,
        sigma: &[f32],
        device: &Device,
    ) -> Result<(Tensor, Tensor)> {
        let (b, s, _) = img.dim();
        if psf.dim().1 != s || psf.dim().2 != s || !(psf.dim().0 == b || psf.dim().0 == 1) {
            candle_core::bail!(
                "PSF images {:?} do not match the {b} images of {s} x {s}",
                psf.dim()
            );
        }
        let half = s as f32 / 2.0;
        let centre = (s as f32 - 1.0) / 2.0;
        let coordinate: Vec<f32> = (0..s).map(|i| (i as f32 - centre) / half).collect();
        // Each PSF plane's peak and width, once (a file with one PSF for all has one plane).
        let planes: Vec<(f32, f64)> = psf
            .outer_iter()
            .map(|p| {
                let peak = p.iter().fold(f32::MIN, |a, &v| a.max(v));
                let inv_peak = if peak > 0.0 { 1.0 / peak } else { 0.0 };
                let fwhm = galaxy_data::psf_family::stamp_psf_fwhm(p, PSF_INPUT_SCALE);
                (inv_peak, fwhm)
            })
            .collect();
        let mut pixels = Vec::with_capacity(4 * b * s * s);
        let mut cond = Vec::with_capacity(2 * b);
        for (i, image) in img.outer_iter().enumerate() {
            let k = if planes.len() == 1 { 0 } else { i };
            let (p, (inv_peak, fwhm)) = (psf.index_axis(ndarray::Axis(0), k), planes[k]);
            let inv = 1.0 / sigma[i];
            pixels.extend(image.iter().map(|v| v * inv));
            pixels.extend(p.iter().map(|v| v * inv_peak));
            for _ in 0..s {
                pixels.extend_from_slice(&coordinate);
            }
            for y in &coordinate {
                pixels.extend(std::iter::repeat_n(*y, s));
            }
            cond.push(((fwhm - self.psf_fwhm.0) / self.psf_fwhm.1) as f32);
            cond.push(((f64::from(sigma[i]) - self.sigma.0) / self.sigma.1) as f32);
        }
        Ok((
            Tensor::from_vec(pixels, (b, 4, s, s), device)?,
            Tensor::from_vec(cond, (b, 2), device)?,
        ))
    }

    /// The inputs of a network with `psf_channel` (see [`Self::psf_inputs`]) or without, for images `range`.
    pub fn inputs_for(
        &self,
        psf_channel: bool,
        data: &Dataset,
        range: std::ops::Range<usize>,
        device: &Device,
    ) -> Result<(Tensor, Tensor)> {
        if !psf_channel {
            return self.dataset_inputs(data, range, device);
        }
        let img = data.img.slice(ndarray::s![range.clone(), .., ..]);
        let psf = if data.psf_img.len_of(ndarray::Axis(0)) == 1 {
            data.psf_img.view()
        } else {
            data.psf_img.slice(ndarray::s![range.clone(), .., ..])
        };
        let sigma = data.sigma.slice(ndarray::s![range]).to_vec();
        self.psf_inputs(img, psf, &sigma, device)
    }

    /// Scaled labels [B, 5], or [B, 7] with `offsets` (dx and dy divided by [`OFFSET_BOX`]), of images
    /// `range`. A dataset without offsets has its galaxies on the centre (0, 0).
    pub fn targets_for(
        &self,
        offsets: bool,
        data: &Dataset,
        range: std::ops::Range<usize>,
        device: &Device,
    ) -> Result<Tensor> {
        if !offsets {
            return self.targets(data, range, device);
        }
        let b = range.len();
        let mut v = Vec::with_capacity(7 * b);
        for i in range {
            for j in 0..5 {
                v.push(self.scale_label(j, f64::from(data.label[[i, j]])) as f32);
            }
            for j in 0..2 {
                let d = data.offset.as_ref().map_or(0.0, |o| o[[i, j]]);
                v.push(d / OFFSET_BOX as f32);
            }
        }
        Tensor::from_vec(v, (b, 7), device)
    }

    /// Parameter `j` of 0..7 from its scaled value: the five labels, then the offsets.
    pub fn unscale_parameter(&self, j: usize, u: f64) -> f64 {
        if j < 5 {
            self.unscale_label(j, u)
        } else {
            u * OFFSET_BOX
        }
    }

    /// [`Self::physical_error`] for parameter `j` of 0..7.
    pub fn parameter_error(&self, j: usize, u: f64, su: f64) -> f64 {
        if j < 5 {
            self.physical_error(j, u, su)
        } else {
            su * OFFSET_BOX
        }
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

/// The offsets (dx, dy) are learnt divided by this many pixels (the training family's largest offset).
pub const OFFSET_BOX: f64 = 2.0;

/// The pixel scale (arcsec) at which the PSF-reading networks measure their PSF channel's FWHM: the seed's.
pub const PSF_INPUT_SCALE: f64 = 0.23;

/// An error unless there is one sigma per image (`n`) and each is finite and > 0: the networks read
/// images divided by their sigma.
pub fn check_sigmas(n: usize, sigma: &[f32]) -> std::result::Result<(), crate::error::NetError> {
    if sigma.len() != n {
        return Err(crate::error::NetError::BadInput(format!(
            "{n} images but {} sigmas",
            sigma.len()
        )));
    }
    if let Some(i) = sigma.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(crate::error::NetError::BadInput(format!(
            "image {i}: sigma {} must be > 0",
            sigma[i]
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_labels_round_trip_and_fill_the_unit_box() {
        let s = Scaling::default().with_log_label(1).unwrap();
        assert!((s.scale_label(1, 0.5) + 1.0).abs() < 1e-12);
        assert!((s.scale_label(1, 6.0) - 1.0).abs() < 1e-12);
        // The geometric middle of the box maps to 0, not the arithmetic one.
        assert!(s.scale_label(1, (0.5f64 * 6.0).sqrt()).abs() < 1e-12);
        for v in [0.7, 3.0, 5.5] {
            assert!((s.unscale_label(1, s.scale_label(1, v)) - v).abs() < 1e-12);
        }
        // Other labels keep the linear scale.
        assert!((s.scale_label(3, 0.0)).abs() < 1e-12);
    }

    #[test]
    fn physical_error_is_the_derivative_of_the_unscaling() {
        for s in [
            Scaling::default(),
            Scaling::default().with_log_label(1).unwrap(),
        ] {
            for u in [-0.8, 0.1, 0.9] {
                let h = 1e-6;
                let slope = (s.unscale_label(1, u + h) - s.unscale_label(1, u - h)) / (2.0 * h);
                assert!((s.physical_error(1, u, 0.01) - 0.01 * slope).abs() < 1e-8);
            }
        }
    }

    #[test]
    fn psf_inputs_hold_the_image_the_psf_and_the_coordinates() {
        let s = Scaling::default();
        let size = 8;
        let img = ndarray::Array3::from_shape_fn((2, size, size), |(k, j, i)| (k + j + i) as f32);
        let mut psf = ndarray::Array3::<f32>::zeros((1, size, size));
        psf[[0, 3, 4]] = 0.5;
        psf[[0, 4, 4]] = 0.25;
        let (x, c) = s
            .psf_inputs(img.view(), psf.view(), &[2.0, 4.0], &Device::Cpu)
            .unwrap();
        assert_eq!(x.dims(), &[2, 4, size, size]);
        let x: Vec<Vec<Vec<Vec<f32>>>> = (0..2)
            .map(|k| x.get(k).unwrap().to_vec3::<f32>().unwrap())
            .collect();
        // Image / sigma, the PSF over its peak (one PSF for both images), then x and y from the centre.
        assert_eq!(x[1][0][2][3], (1 + 2 + 3) as f32 / 4.0);
        assert_eq!(x[0][1][3][4], 1.0);
        assert_eq!(x[1][1][4][4], 0.5);
        assert_eq!(x[0][2][5][0], -3.5 / 4.0);
        assert_eq!(x[0][2][5][7], 3.5 / 4.0);
        assert_eq!(x[0][3][0][6], -3.5 / 4.0);
        assert_eq!(c.dims(), &[2, 2]);
        // A PSF image that does not fit the images is an error, not a panic.
        let wrong = ndarray::Array3::<f32>::zeros((3, size, size));
        assert!(s
            .psf_inputs(img.view(), wrong.view(), &[2.0, 4.0], &Device::Cpu)
            .is_err());
    }

    #[test]
    fn a_box_through_zero_cannot_be_logged() {
        let err = Scaling::default().with_log_label(3).unwrap_err();
        assert!(err.to_string().contains("label 3"), "{err}");
        assert!(Scaling::default().with_log_label(7).is_err());
    }
}
