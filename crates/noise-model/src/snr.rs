//! Signal-to-noise ratios of a model image.

use ndarray::{ArrayBase, Data, Dimension};

use crate::ccd::CcdNoise;
use crate::error::{check_finite, check_setting, NoiseError};
use crate::pixel::Pixel;

/// The seed's SNR: sqrt(Σ model²) / sigma.
///
/// This is the matched-filter SNR of a faint source on a background of constant variance sigma²; the
/// seed's training sets keep only images with 10 ≤ SNR ≤ 100 by this definition.
pub fn seed_snr<P: Pixel, S: Data<Elem = P>, D: Dimension>(
    model: &ArrayBase<S, D>,
    sigma: f64,
) -> Result<f64, NoiseError> {
    check_setting("sigma", sigma, "a finite number > 0", |v| v > 0.0)?;
    check_finite("model", model.iter())?;
    let sum_sq: f64 = model.iter().map(|p| p.to_f64().powi(2)).sum();
    Ok(sum_sq.sqrt() / sigma)
}

/// The matched-filter SNR with the noise's own per-pixel variance: sqrt(Σ model² / V(model)).
///
/// With the seed's noise V = sigma² + max(model, 0): lower than [`seed_snr`] for bright sources, where the
/// source's own Poisson noise matters.
pub fn matched_filter_snr<P: Pixel, S: Data<Elem = P>, D: Dimension>(
    model: &ArrayBase<S, D>,
    noise: &CcdNoise,
) -> Result<f64, NoiseError> {
    check_finite("model", model.iter())?;
    let mut sum = 0.0;
    for p in model.iter() {
        let m = p.to_f64();
        let v = noise.pixel_variance(m);
        if v > 0.0 {
            sum += m * m / v;
        } else if m != 0.0 {
            return Ok(f64::INFINITY);
        }
    }
    Ok(sum.sqrt())
}
