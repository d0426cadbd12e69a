//! Noise levels estimated from the images themselves.

use ndarray::{ArrayBase, Data, Ix2};

use crate::error::{check_finite, NoiseError};
use crate::pixel::Pixel;

/// Scale of the median absolute deviation to the standard deviation of a Gaussian: 1 / Φ⁻¹(3/4).
pub const MAD_TO_SIGMA: f64 = 1.482_602_218_505_602;

/// Estimates the noise sigma of an image from the pixels within `width` of its edges.
///
/// For images that come without a sigma: a stamp centred on a galaxy has (nearly) only sky and read noise
/// at its border. The estimate is the median absolute deviation from the median, scaled to a Gaussian
/// sigma, so a few bright pixels (a neighbour, a cosmic ray, the galaxy's wings) barely move it.
/// `width` must be at least 1 and at most half the smaller side.
pub fn sigma_from_border<P: Pixel, S: Data<Elem = P>>(
    image: &ArrayBase<S, Ix2>,
    width: usize,
) -> Result<f64, NoiseError> {
    let (rows, cols) = image.dim();
    if width == 0 || 2 * width > rows.min(cols) {
        return Err(NoiseError::Border(format!(
            "border width {width} must be between 1 and half the smaller side of a {rows} x {cols} image"
        )));
    }
    check_finite("image", image.iter())?;
    let mut values: Vec<f64> = image
        .indexed_iter()
        .filter(|((r, c), _)| *r < width || *r >= rows - width || *c < width || *c >= cols - width)
        .map(|(_, p)| p.to_f64())
        .collect();
    if values.len() < 8 {
        return Err(NoiseError::Border(format!(
            "only {} border pixels; need at least 8",
            values.len()
        )));
    }
    let median = median_in_place(&mut values);
    for v in values.iter_mut() {
        *v = (*v - median).abs();
    }
    Ok(MAD_TO_SIGMA * median_in_place(&mut values))
}

/// The median of a non-empty slice of finite values (reorders the slice).
fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (_, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = values[..n / 2]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lower + upper)
    }
}
