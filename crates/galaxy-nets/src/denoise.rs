//! Denoisers: EDSR or RDN trained on (noisy, noiseless) pairs with the L1 loss, as the seed did, and run
//! on images to give clean stamps.
//!
//! Images go in and come out divided by their noise sigma, so one network serves every noise level of its
//! training set and the loss is in units of the noise.

use std::path::Path;

use candle_core::{Device, Module, Tensor};
use candle_nn::{VarBuilder, VarMap};
use galaxy_data::Dataset;
use ndarray::{s, Array3, ArrayView3};
use serde::{Deserialize, Serialize};

use crate::card::{parameter_count, NetCard, Parts};
use crate::models::edsr::{Edsr, EdsrConfig};
use crate::models::rdn::{Rdn, RdnConfig};
use crate::train::Objective;
use crate::NetError;

/// Which denoiser, with its knobs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "lowercase")]
pub enum DenoiserConfig {
    /// EDSR.
    Edsr(EdsrConfig),
    /// RDN.
    Rdn(RdnConfig),
}

impl DenoiserConfig {
    /// `edsr` or `rdn`: the seed's preset (`seed`) or the CPU one (`small`).
    pub fn by_name(arch: &str, preset: &str) -> Option<Self> {
        match (arch, preset) {
            ("edsr", "seed") => Some(DenoiserConfig::Edsr(EdsrConfig::seed())),
            ("edsr", "small") => Some(DenoiserConfig::Edsr(EdsrConfig::small())),
            ("rdn", "seed") => Some(DenoiserConfig::Rdn(RdnConfig::seed())),
            ("rdn", "small") => Some(DenoiserConfig::Rdn(RdnConfig::small())),
            _ => None,
        }
    }
}

/// A denoiser network: [B, 1, S, S] (image / sigma) → the same, noiseless.
#[derive(Debug, Clone)]
pub enum Denoiser {
    /// EDSR.
    Edsr(Edsr),
    /// RDN.
    Rdn(Rdn),
}

impl Denoiser {
    /// Builds the network's variables under `vb`.
    pub fn new(cfg: &DenoiserConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(match cfg {
            DenoiserConfig::Edsr(c) => Denoiser::Edsr(Edsr::new(c, vb)?),
            DenoiserConfig::Rdn(c) => Denoiser::Rdn(Rdn::new(c, vb)?),
        })
    }
}

impl Module for Denoiser {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Denoiser::Edsr(n) => n.forward(x),
            Denoiser::Rdn(n) => n.forward(x),
        }
    }
}

/// The JSON beside a denoiser's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenoiserCard {
    /// Format tag ("galaxy-denoiser/1").
    pub format: String,
    /// The network's shape.
    pub denoiser: DenoiserConfig,
    /// What it was trained on and how.
    pub training: serde_json::Value,
    /// Final validation metrics.
    pub validation: serde_json::Value,
    /// Trainable parameters.
    pub parameters: usize,
}

/// A denoiser ready to run.
pub struct LoadedDenoiser {
    /// The network.
    pub net: Denoiser,
    /// Its card.
    pub card: DenoiserCard,
    /// Its variables.
    pub varmap: VarMap,
}

/// Writes weights and card (temporary names, then renamed).
pub fn save(weights: &Path, varmap: &VarMap, card: &DenoiserCard) -> Result<(), NetError> {
    crate::card::save_with(weights, varmap, card)
}

/// Loads a denoiser saved by [`save`].
pub fn load(weights: &Path, device: &Device) -> Result<LoadedDenoiser, NetError> {
    from_parts(&Parts::read(weights)?, device)
}

/// A denoiser from its [`Parts`] (the built-in one is embedded this way).
pub fn from_parts(parts: &Parts<'_>, device: &Device) -> Result<LoadedDenoiser, NetError> {
    let (card, net, varmap) = parts.build::<DenoiserCard>(device)?;
    Ok(LoadedDenoiser { net, card, varmap })
}

impl NetCard for DenoiserCard {
    type Net = Denoiser;
    const WHAT: &'static str = "a denoiser card";
    fn build(&self, vb: VarBuilder) -> candle_core::Result<Denoiser> {
        Denoiser::new(&self.denoiser, vb)
    }
}

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

/// Denoises img [N, S, S] (counts; each image with its sigma) in batches; the result is in counts.
pub fn denoise(
    model: &LoadedDenoiser,
    img: ArrayView3<'_, f32>,
    sigma: &[f32],
    batch: usize,
    device: &Device,
    on_batch: &mut dyn FnMut(usize),
) -> Result<Array3<f32>, NetError> {
    let (n, h, w) = img.dim();
    if sigma.len() != n {
        return Err(NetError::BadInput(format!(
            "{n} images but {} sigmas",
            sigma.len()
        )));
    }
    if let Some(i) = sigma.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(NetError::BadInput(format!(
            "image {i}: sigma {} must be > 0",
            sigma[i]
        )));
    }
    let mut out = Vec::with_capacity(n * h * w);
    let mut start = 0;
    while start < n {
        let end = (start + batch.max(1)).min(n);
        let mut x = Vec::with_capacity((end - start) * h * w);
        for (i, sig) in sigma.iter().enumerate().take(end).skip(start) {
            x.extend(img.slice(s![i, .., ..]).iter().map(|v| v / sig));
        }
        let y = model
            .net
            .forward(&Tensor::from_vec(x, (end - start, 1, h, w), device)?)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        for (k, v) in y.iter().enumerate() {
            out.push(v * sigma[start + k / (h * w)]);
        }
        on_batch(end - start);
        start = end;
    }
    Array3::from_shape_vec((n, h, w), out).map_err(|e| NetError::BadInput(e.to_string()))
}

/// Trainable parameters of a loaded denoiser.
pub fn parameters(model: &LoadedDenoiser) -> usize {
    parameter_count(&model.varmap)
}
