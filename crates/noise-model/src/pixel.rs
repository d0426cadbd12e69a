//! The pixel types noise can be applied to.

/// A floating-point pixel: `f32` (datasets, networks) or `f64` (rendering, fitting).
///
/// Noise is always computed in `f64`; a pixel only has to convert to and from it.
pub trait Pixel: Copy + Send + Sync + 'static {
    /// The pixel's value as `f64`.
    fn to_f64(self) -> f64;
    /// The nearest pixel value to `v`.
    fn from_f64(v: f64) -> Self;
}

impl Pixel for f32 {
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Pixel for f64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
}
