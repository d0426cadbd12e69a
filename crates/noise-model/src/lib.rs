//! Noise for astronomical images: what the seed added to its galaxies, and what a fit needs to undo it.
#![warn(missing_docs)]
//!
//! * [`CcdNoise`] is GalSim's `CCDNoise`: Poisson noise on the expected counts (in electrons, through the
//!   gain, with the sky added and removed again; negative expectations count as 0) then Gaussian read
//!   noise. The seed's `PoissonNoise(sky_level=0)` followed by `GaussianNoise(sigma)` is
//!   [`CcdNoise::poisson_gaussian`]`(sigma)`.
//! * [`CcdNoise::variance`] gives the per-pixel variance of that noise, [`likelihood`] the log-likelihood of
//!   an image given a model image (Gaussian approximation or the exact Poisson ⊛ Gaussian), with the
//!   derivative with respect to the model that a fit needs.
//! * [`snr`] has the seed's SNR and the matched-filter SNR; [`estimate`] a robust sigma from an image's border.
//!
//! Everything works on `f32` or `f64` images of any shape through the [`Pixel`] trait, and draws from any
//! `rand` generator (the project seeds `rand_pcg` streams).
//!
//! ```
//! use noise_model::{CcdNoise, snr};
//! use ndarray::Array2;
//! use rand::SeedableRng;
//! let model = Array2::<f32>::from_elem((8, 8), 50.0);
//! let mut image = model.clone();
//! let noise = CcdNoise::poisson_gaussian(10.0).unwrap();
//! noise.apply(&mut image, &mut rand_pcg::Pcg64::seed_from_u64(1)).unwrap();
//! assert!(image != model);
//! assert!((snr::seed_snr(&model, 10.0).unwrap() - 40.0).abs() < 1e-9);
//! ```

mod ccd;
pub mod estimate;
pub mod likelihood;
mod pixel;
pub mod snr;

pub use ccd::CcdNoise;
pub use pixel::Pixel;

/// What can be wrong with noise settings or with the images handed to this crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoiseError {
    /// A setting (sigma, gain, sky level, read noise) is NaN, infinite or out of its range.
    #[error("{name} must be {requirement}, got {value}")]
    BadSetting {
        /// The setting's name.
        name: &'static str,
        /// What it must be.
        requirement: &'static str,
        /// The value given.
        value: f64,
    },
    /// Two images that must have the same shape do not.
    #[error("shape mismatch: {what} has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Which image.
        what: &'static str,
        /// Its shape.
        found: Vec<usize>,
        /// The shape it must have.
        expected: Vec<usize>,
    },
    /// An image holds a NaN or an infinity.
    #[error("{what} has a non-finite value ({value}) at flat index {index}")]
    NonFinite {
        /// Which image.
        what: &'static str,
        /// Flat (row-major) index of the first bad pixel.
        index: usize,
        /// The value found there.
        value: f64,
    },
    /// The border asked for does not fit the image, or leaves too few pixels.
    #[error("cannot estimate sigma: {0}")]
    Border(String),
}

/// Checks that a setting is finite and satisfies `ok`.
pub(crate) fn check_setting(
    name: &'static str,
    value: f64,
    requirement: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, NoiseError> {
    if value.is_finite() && ok(value) {
        Ok(value)
    } else {
        Err(NoiseError::BadSetting {
            name,
            requirement,
            value,
        })
    }
}

/// Finds the first non-finite pixel of an image.
pub(crate) fn check_finite<'a, P: Pixel>(
    what: &'static str,
    pixels: impl IntoIterator<Item = &'a P>,
) -> Result<(), NoiseError> {
    for (index, p) in pixels.into_iter().enumerate() {
        let value = p.to_f64();
        if !value.is_finite() {
            return Err(NoiseError::NonFinite { what, index, value });
        }
    }
    Ok(())
}

/// Checks that `b` has the shape of `a`.
pub(crate) fn check_same_shape(
    what: &'static str,
    found: &[usize],
    expected: &[usize],
) -> Result<(), NoiseError> {
    if found == expected {
        Ok(())
    } else {
        Err(NoiseError::ShapeMismatch {
            what,
            found: found.to_vec(),
            expected: expected.to_vec(),
        })
    }
}
