//! EDSR (Lim et al. 2017, "Enhanced Deep Residual Networks for Single Image Super-Resolution") as an
//! image-to-image denoiser: no upsampling tail, since the output has the input's size.
//!
//! Structure: a 3 x 3 head convolution to `filters` channels; `blocks` residual blocks of [conv 3 x 3,
//! ReLU, conv 3 x 3] whose output is scaled by `residual_scale` before it is added back (the paper's
//! trick that keeps wide EDSRs trainable; no batch norm, as in the paper); a 3 x 3 convolution closing the
//! body, a skip over the whole body, and a 3 x 3 tail convolution back to one channel.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Conv2dConfig, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::layers::{Activation, Conv};

/// EDSR's knobs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EdsrConfig {
    /// Feature maps of every body convolution.
    pub filters: usize,
    /// Residual blocks.
    pub blocks: usize,
    /// Scale of each block's residual before it is added.
    pub residual_scale: f64,
}

impl EdsrConfig {
    /// The seed's EDSR: 256 filters, 16 blocks, residual scaling 0.1 (19.5M parameters).
    pub fn seed() -> Self {
        EdsrConfig {
            filters: 256,
            blocks: 16,
            residual_scale: 0.1,
        }
    }

    /// A preset that trains on a CPU: 32 filters, 4 blocks.
    pub fn small() -> Self {
        EdsrConfig {
            filters: 32,
            blocks: 4,
            residual_scale: 0.1,
        }
    }
}

fn conv3(c_in: usize, c_out: usize, vb: VarBuilder) -> Result<Conv> {
    let cfg = Conv2dConfig {
        padding: 1,
        ..Default::default()
    };
    Conv::new(c_in, c_out, 3, cfg, true, vb)
}

#[derive(Debug, Clone)]
struct ResBlock {
    conv1: Conv,
    conv2: Conv,
}

/// The EDSR network: [B, 1, S, S] → [B, 1, S, S].
#[derive(Debug, Clone)]
pub struct Edsr {
    head: Conv,
    blocks: Vec<ResBlock>,
    body_end: Conv,
    tail: Conv,
    scale: f64,
}

impl Edsr {
    /// Builds the network's variables under `vb`.
    pub fn new(cfg: &EdsrConfig, vb: VarBuilder) -> Result<Self> {
        let f = cfg.filters;
        if f == 0 {
            candle_core::bail!("EDSR needs at least one filter");
        }
        let blocks = (0..cfg.blocks)
            .map(|i| {
                let b = vb.pp(format!("block{i}"));
                Ok(ResBlock {
                    conv1: conv3(f, f, b.pp("conv1"))?,
                    conv2: conv3(f, f, b.pp("conv2"))?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Edsr {
            head: conv3(1, f, vb.pp("head"))?,
            blocks,
            body_end: conv3(f, f, vb.pp("body_end"))?,
            tail: conv3(f, 1, vb.pp("tail"))?,
            scale: cfg.residual_scale,
        })
    }
}

impl Module for Edsr {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let head = self.head.forward(x)?;
        let mut h = head.clone();
        for b in &self.blocks {
            let r = b
                .conv2
                .forward(&Activation::Relu.apply(&b.conv1.forward(&h)?)?)?;
            h = (h + r.affine(self.scale, 0.0)?)?;
        }
        let body = (self.body_end.forward(&h)? + head)?;
        self.tail.forward(&body)
    }
}
