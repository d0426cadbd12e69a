//! Images to measure: what `fit`, `predict` and `posterior` read from an `.npz`.
//!
//! Unlike a [`Dataset`](crate::Dataset), observations need only the noisy images: the PSF FWHM and the
//! noise sigma may come from the file (`psf_r`, `sigma`) or be given for every image, and the labels are
//! read when the file has them (to score the estimates against).

use std::path::Path;

use ndarray::{Array1, Array2, Array3, Axis};

use crate::error::DataError;
use crate::npz::open_npz;

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
        let (mut npz, names) = open_npz(path)?;
        let has = |key: &str| {
            names
                .iter()
                .any(|n| n == key || n.strip_suffix(".npy") == Some(key))
        };
        let bad = |what: String| DataError::format(path, what);
        if !has("img") {
            return Err(bad("missing array 'img'".into()));
        }
        let img: Array3<f32> = npz
            .by_name("img")
            .map_err(|e| bad(format!("array 'img': {e}")))?;
        let n = img.len_of(Axis(0));
        if img.len_of(Axis(1)) != img.len_of(Axis(2)) || n == 0 {
            return Err(bad(format!(
                "img has shape {:?}; expected [N, S, S] with N >= 1",
                img.shape()
            )));
        }
        if let Some((k, v)) = img.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            let s = img.len_of(Axis(1));
            return Err(bad(format!(
                "image {} has the value {v} at pixel ({}, {})",
                k / (s * s),
                (k / s) % s,
                k % s
            )));
        }
        let mut per_image = |key: &str, given: Option<f64>| -> Result<Vec<f64>, DataError> {
            if let Some(v) = given {
                return Ok(vec![v; n]);
            }
            if !has(key) {
                return Err(bad(format!(
                    "missing array '{key}' (or give --{})",
                    key.replace("psf_r", "psf-fwhm")
                )));
            }
            let a: Array1<f32> = npz
                .by_name(key)
                .map_err(|e| bad(format!("array '{key}': {e}")))?;
            if a.len() != n {
                return Err(bad(format!("{key} has {} values for {n} images", a.len())));
            }
            Ok(a.iter().map(|&v| f64::from(v)).collect())
        };
        let psf_fwhm = per_image("psf_r", psf_fwhm)?;
        let sigma = per_image("sigma", sigma)?;
        if let Some((i, s)) = sigma
            .iter()
            .enumerate()
            .find(|(_, s)| !(s.is_finite() && **s > 0.0))
        {
            return Err(bad(format!("sigma of image {i} is {s}; it must be > 0")));
        }
        if let Some((i, f)) = psf_fwhm
            .iter()
            .enumerate()
            .find(|(_, f)| !(f.is_finite() && **f > 0.0))
        {
            return Err(bad(format!("PSF FWHM of image {i} is {f}; it must be > 0")));
        }
        let label = if has("label") {
            let l: Array2<f32> = npz
                .by_name("label")
                .map_err(|e| bad(format!("array 'label': {e}")))?;
            if l.shape() != [n, 5] {
                return Err(bad(format!(
                    "label has shape {:?}, expected [{n}, 5]",
                    l.shape()
                )));
            }
            Some(l)
        } else {
            None
        };
        Ok(Observations {
            img,
            psf_fwhm,
            sigma,
            label,
        })
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
