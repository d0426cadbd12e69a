//! A denoiser's objective: the L1 loss on (noisy, noiseless) / sigma pairs, the seed's choice.

use candle_core::{Device, Module, Tensor};
use galaxy_data::Dataset;
use ndarray::s;
use serde::{Deserialize, Serialize};

use super::network::Denoiser;
use crate::error::NetError;
use crate::train::Objective;

/// (noisy, noiseless) / sigma of images `range`, as [B, 1, S, S] tensors.
fn pair(
    data: &Dataset,
    range: std::ops::Range<usize>,
    device: &Device,
) -> Result<(Tensor, Tensor), NetError> {
    let (b, side) = (range.len(), data.img.dim().1);
    let mut x = Vec::with_capacity(b * side * side);
    let mut y = Vec::with_capacity(b * side * side);
    for i in range {
        let inv = 1.0 / data.sigma[i];
        x.extend(data.img.slice(s![i, .., ..]).iter().map(|v| v * inv));
        y.extend(
            data.img_nonoise
                .slice(s![i, .., ..])
                .iter()
                .map(|v| v * inv),
        );
    }
    Ok((
        Tensor::from_vec(x, (b, 1, side, side), device)?,
        Tensor::from_vec(y, (b, 1, side, side), device)?,
    ))
}

/// A denoiser's validation: mean |error| and mean squared error, both in units of the noise sigma (so the
/// MSE is a fraction of the read-noise variance; 1 = no better than the noisy image at faint pixels).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DenoiseMetrics {
    /// Mean |denoised − noiseless| / sigma (the training loss).
    pub l1: f64,
    /// Mean (denoised − noiseless)² / sigma².
    pub mse: f64,
}

impl std::fmt::Display for DenoiseMetrics {
    /// "L1 0.0421, MSE 0.0068 (units of sigma)".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "L1 {:.4}, MSE {:.4} (units of sigma)", self.l1, self.mse)
    }
}

/// Trains a denoiser with the L1 loss (the seed's choice), scored on the validation L1.
pub struct DenoiseObjective<'a> {
    /// The network.
    pub net: &'a Denoiser,
}

impl Objective for DenoiseObjective<'_> {
    type Metrics = DenoiseMetrics;
    fn batch_loss(&self, data: &Dataset, device: &Device) -> Result<Tensor, NetError> {
        let (x, y) = pair(data, 0..data.len(), device)?;
        Ok((self.net.forward(&x)? - y)?.abs()?.mean_all()?)
    }
    fn validate(&self, data: &Dataset, device: &Device) -> Result<DenoiseMetrics, NetError> {
        let n = data.len();
        let (mut l1, mut mse, mut start) = (0.0, 0.0, 0);
        while start < n {
            let end = (start + 64).min(n);
            let (x, y) = pair(data, start..end, device)?;
            let e = (self.net.forward(&x)? - y)?;
            let w = (end - start) as f64;
            l1 += e.abs()?.mean_all()?.to_scalar::<f32>()? as f64 * w;
            mse += e.sqr()?.mean_all()?.to_scalar::<f32>()? as f64 * w;
            start = end;
        }
        Ok(DenoiseMetrics {
            l1: l1 / n as f64,
            mse: mse / n as f64,
        })
    }
    fn score(m: &DenoiseMetrics) -> f64 {
        m.l1
    }
}
