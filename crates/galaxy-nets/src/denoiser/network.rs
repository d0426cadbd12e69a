//! A denoiser network: EDSR or RDN, by configuration.

use candle_core::{Module, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

use crate::models::edsr::{Edsr, EdsrConfig};
use crate::models::rdn::{Rdn, RdnConfig};

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
    /// The network's name: edsr or rdn.
    pub fn name(&self) -> &'static str {
        match self {
            DenoiserConfig::Edsr(_) => "edsr",
            DenoiserConfig::Rdn(_) => "rdn",
        }
    }

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
