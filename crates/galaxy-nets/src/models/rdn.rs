//! RDN (Zhang et al. 2018, "Residual Dense Network for Image Super-Resolution") as an image-to-image
//! denoiser: no upsampling, the output has the input's size.
//!
//! Structure: shallow features (two 3 x 3 convolutions to `features` maps); `blocks` residual dense blocks,
//! each `layers` 3 x 3 convolutions + ReLU that see every earlier map of the block (growth `growth` maps
//! each), fused back to `features` maps by a 1 x 1 convolution and added to the block's input; global
//! feature fusion of every block's output (1 x 1 then 3 x 3), a skip from the first shallow features, and a
//! 3 x 3 tail back to one channel.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Conv2dConfig, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::layers::{Activation, Conv};

/// RDN's knobs (the paper's D, C, G and G0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdnConfig {
    /// D: residual dense blocks.
    pub blocks: usize,
    /// C: convolution layers in each block.
    pub layers: usize,
    /// G: growth rate (maps added by each layer).
    pub growth: usize,
    /// G0: feature maps between blocks.
    pub features: usize,
}

impl RdnConfig {
    /// The seed's RDN: D = 20, C = 6, G = 32, G0 = 64.
    pub fn seed() -> Self {
        RdnConfig {
            blocks: 20,
            layers: 6,
            growth: 32,
            features: 64,
        }
    }

    /// A preset that trains on a CPU: D = 3, C = 3, G = 16, G0 = 32.
    pub fn small() -> Self {
        RdnConfig {
            blocks: 3,
            layers: 3,
            growth: 16,
            features: 32,
        }
    }
}

fn conv(c_in: usize, c_out: usize, kernel: usize, vb: VarBuilder) -> Result<Conv> {
    let cfg = Conv2dConfig {
        padding: kernel / 2,
        ..Default::default()
    };
    Conv::new(c_in, c_out, kernel, cfg, true, vb)
}

#[derive(Debug, Clone)]
struct DenseBlock {
    layers: Vec<Conv>,
    fuse: Conv,
}

impl DenseBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut maps = vec![x.clone()];
        for layer in &self.layers {
            let input = Tensor::cat(&maps, 1)?;
            maps.push(Activation::Relu.apply(&layer.forward(&input)?)?);
        }
        self.fuse.forward(&Tensor::cat(&maps, 1)?)? + x
    }
}

/// The RDN network: [B, 1, S, S] → [B, 1, S, S].
#[derive(Debug, Clone)]
pub struct Rdn {
    sfe1: Conv,
    sfe2: Conv,
    blocks: Vec<DenseBlock>,
    gff1: Conv,
    gff2: Conv,
    tail: Conv,
}

impl Rdn {
    /// Builds the network's variables under `vb`.
    pub fn new(cfg: &RdnConfig, vb: VarBuilder) -> Result<Self> {
        let (g0, g) = (cfg.features, cfg.growth);
        if g0 == 0 || cfg.blocks == 0 || (cfg.layers > 0 && g == 0) {
            candle_core::bail!("RDN needs features, blocks and growth of at least 1");
        }
        let blocks = (0..cfg.blocks)
            .map(|d| {
                let b = vb.pp(format!("rdb{d}"));
                let layers = (0..cfg.layers)
                    .map(|c| conv(g0 + c * g, g, 3, b.pp(format!("conv{c}"))))
                    .collect::<Result<_>>()?;
                Ok(DenseBlock {
                    layers,
                    fuse: conv(g0 + cfg.layers * g, g0, 1, b.pp("fuse"))?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Rdn {
            sfe1: conv(1, g0, 3, vb.pp("sfe1"))?,
            sfe2: conv(g0, g0, 3, vb.pp("sfe2"))?,
            blocks,
            gff1: conv(cfg.blocks * g0, g0, 1, vb.pp("gff1"))?,
            gff2: conv(g0, g0, 3, vb.pp("gff2"))?,
            tail: conv(g0, 1, 3, vb.pp("tail"))?,
        })
    }
}

impl Module for Rdn {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let f1 = self.sfe1.forward(x)?;
        let mut h = self.sfe2.forward(&f1)?;
        let mut outs = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            h = b.forward(&h)?;
            outs.push(h.clone());
        }
        let fused = self
            .gff2
            .forward(&self.gff1.forward(&Tensor::cat(&outs, 1)?)?)?;
        self.tail.forward(&(fused + f1)?)
    }
}
