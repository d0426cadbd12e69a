//! Images to measure: what `fit`, `predict` and `posterior` read from an `.npz`.
//!
//! Unlike a [`Dataset`](crate::Dataset), observations need only the noisy images: the PSF FWHM and the
//! noise sigma may come from the file (`psf_r`, `sigma`) or be given for every image, and the labels are
//! read when the file has them (to score the estimates against).

use std::path::Path;

use ndarray::{Array2, Array3};

use crate::error::DataError;

/// Noisy images with the PSF and noise level of each, and their labels when known.
#[derive(Debug, Clone, PartialEq)]
pub struct Observations {
    /// Noisy images [N, S, S].
    pub img: Array3<f32>,
    /// PSF FWHM of each image, arcsec.
    pub psf_fwhm: Vec<f64>,
    /// Noise sigma of each image.
    pub sigma: Vec<f64>,
    /// Labels [N, 5] (flux, n, hlr, g1, g2) when the file has them.
    pub label: Option<Array2<f32>>,
}

impl Observations {
    /// Number of images (one sigma each).
    pub fn len(&self) -> usize {
        self.sigma.len()
    }

    /// Whether there is no image (never, for observations read from a file).
    pub fn is_empty(&self) -> bool {
        self.sigma.is_empty()
    }

    /// Side of the (square) images, pixels.
    pub fn image_size(&self) -> usize {
        self.img.dim().1
    }

    /// Reads `img` [N, S, S] and, unless given, `psf_r` and `sigma` \[N\]; `label` \[N, 5\] if present.
    ///
    /// Every problem is a [`DataError::Format`] naming the file and what is wrong: a missing array (with
    /// the option that stands in for it), a shape, a non-finite pixel (image and pixel named), a sigma or
    /// FWHM that is not > 0.
    pub fn read(
        path: &Path,
        psf_fwhm: Option<f64>,
        sigma: Option<f64>,
    ) -> Result<Observations, DataError> {
        let total = crate::npz::image_count(path)?;
        Observations::read_range(path, psf_fwhm, sigma, 0..total)
    }

    /// The labels as f64 rows, when known.
    pub fn truth(&self) -> Option<Vec<[f64; 5]>> {
        self.label.as_ref().map(crate::dataset::label_rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset::Preset;
    use crate::simulate::Simulator;

    #[test]
    fn reads_a_dataset_with_overrides_and_names_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.npz");
        let data = Simulator::new(Preset::DataV3.settings(), 3)
            .unwrap()
            .batch(0..3)
            .unwrap();
        data.write(&path).unwrap();
        let obs = Observations::read(&path, None, Some(250.0)).unwrap();
        assert_eq!(obs.len(), 3);
        assert_eq!(obs.img, data.img);
        assert_eq!(obs.psf_fwhm[1], f64::from(data.psf_r[1]));
        assert!(obs.sigma.iter().all(|&s| s == 250.0));
        assert_eq!(obs.truth().unwrap()[2][1], f64::from(data.label[[2, 1]]));
        let err = Observations::read(&path, Some(-1.0), None).unwrap_err();
        assert!(err.to_string().contains("PSF FWHM of image 0"), "{err}");
        let err = Observations::read(&dir.path().join("none.npz"), None, None).unwrap_err();
        assert!(err.to_string().contains("none.npz"), "{err}");
    }
}
