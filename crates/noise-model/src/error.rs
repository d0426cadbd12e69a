//! What can go wrong, as one error type for the crate (re-exported at its root).

use crate::pixel::Pixel;

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
    /// A sigma, variance or weight map holds a value it cannot (NaN, negative, ...).
    #[error("{what} has the value {value} at flat index {index}; it must be {requirement}")]
    BadMap {
        /// Which map.
        what: &'static str,
        /// Flat (row-major) index of the first bad value.
        index: usize,
        /// The value found there.
        value: f64,
        /// What it must be.
        requirement: &'static str,
    },
    /// No pixel is left to measure.
    #[error("no usable pixel: {0}")]
    NoUsablePixel(&'static str),
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
