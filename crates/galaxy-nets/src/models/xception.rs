//! The seed's "tiny Xception" with every knob of its builder.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Conv2dConfig, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::layers::{Activation, Conv, ConvBnAct, NormAct, Pooling, SeparableConv};
use crate::ops::max_pool_3x3_s2_same;

/// The Xception's architecture. Defaults are the seed's best model: stem 16 filters 5 x 5 stride 2,
/// 8 residual blocks of two 3 x 3 separable convolutions with 64 filters, an exit block of 128 filters with
/// 3 x 3 / 2 max pooling, global average pooling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct XceptionConfig {
    /// Filters of the stem convolution.
    pub stem_filters: usize,
    /// Kernel of the stem convolution.
    pub stem_kernel: usize,
    /// Stride of the stem convolution (4 is a cheap stem: the galaxy fills the stamp's centre).
    pub stem_stride: usize,
    /// Activation everywhere.
    pub activation: Activation,
    /// Filters of the residual blocks' separable convolutions.
    pub separable_filters: usize,
    /// Kernel of the separable convolutions.
    pub separable_kernel: usize,
    /// Number of residual blocks.
    pub blocks: usize,
    /// Filters of the exit block (0: no exit block).
    pub exit_filters: usize,
    /// Pooling before the head.
    pub pooling: Pooling,
    /// Dropout before the head.
    pub dropout: f32,
}

impl Default for XceptionConfig {
    fn default() -> Self {
        XceptionConfig {
            stem_filters: 16,
            stem_kernel: 5,
            stem_stride: 2,
            activation: Activation::Selu,
            separable_filters: 64,
            separable_kernel: 3,
            blocks: 8,
            exit_filters: 128,
            pooling: Pooling::Avg,
            dropout: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
struct Block {
    sep1: SeparableConv,
    /// Batch norm and the activation that follows it, fused.
    bn1: NormAct,
    sep2: SeparableConv,
    bn2: NormAct,
    skip: Option<Conv>,
}

/// The Xception trunk: image → feature vector.
#[derive(Debug, Clone)]
pub struct Xception {
    cfg: XceptionConfig,
    stem: ConvBnAct,
    blocks: Vec<Block>,
    exit: Option<(SeparableConv, NormAct, SeparableConv, NormAct, Conv)>,
    side: usize,
}

impl Xception {
    /// Builds the trunk for `channels` input channels and `size` x `size` images.
    pub fn new(cfg: &XceptionConfig, channels: usize, size: usize, vb: VarBuilder) -> Result<Self> {
        let act = cfg.activation;
        let stem = ConvBnAct::new(
            channels,
            cfg.stem_filters,
            cfg.stem_kernel,
            cfg.stem_stride,
            act,
            vb.pp("stem"),
        )?;
        let mut side = size.div_ceil(cfg.stem_stride);
        let mut c = cfg.stem_filters;
        let mut blocks = Vec::with_capacity(cfg.blocks);
        for b in 0..cfg.blocks {
            let vb = vb.pp(format!("block{b}"));
            let f = cfg.separable_filters;
            let k = cfg.separable_kernel;
            let skip = if c != f {
                Some(Conv::new(
                    c,
                    f,
                    1,
                    Conv2dConfig::default(),
                    false,
                    vb.pp("skip"),
                )?)
            } else {
                None
            };
            blocks.push(Block {
                sep1: SeparableConv::new(c, f, k, 1, vb.pp("sep1"))?,
                bn1: NormAct::new(f, Some(act), vb.pp("bn1"))?,
                sep2: SeparableConv::new(f, f, k, 1, vb.pp("sep2"))?,
                bn2: NormAct::new(f, None, vb.pp("bn2"))?,
                skip,
            });
            c = f;
        }
        let exit = if cfg.exit_filters > 0 {
            let vb = vb.pp("exit");
            let f = cfg.exit_filters;
            let k = cfg.separable_kernel;
            let e = (
                SeparableConv::new(c, f, k, 1, vb.pp("sep1"))?,
                NormAct::new(f, Some(act), vb.pp("bn1"))?,
                SeparableConv::new(f, f, k, 1, vb.pp("sep2"))?,
                NormAct::new(f, None, vb.pp("bn2"))?,
                Conv::new(
                    c,
                    f,
                    1,
                    Conv2dConfig {
                        stride: 2,
                        ..Default::default()
                    },
                    false,
                    vb.pp("skip"),
                )?,
            );
            side /= 2;
            Some(e)
        } else {
            None
        };
        Ok(Xception {
            cfg: cfg.clone(),
            stem,
            blocks,
            exit,
            side,
        })
    }

    /// Length of the feature vector.
    pub fn features(&self) -> usize {
        let c = if self.cfg.exit_filters > 0 {
            self.cfg.exit_filters
        } else if self.cfg.blocks > 0 {
            self.cfg.separable_filters
        } else {
            self.cfg.stem_filters
        };
        self.cfg.pooling.features(c, self.side)
    }

    /// [N, C, S, S] → [N, features].
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let act = self.cfg.activation;
        let mut h = self.stem.forward_t(x, train)?;
        for b in &self.blocks {
            let y = b.bn1.forward_t(&b.sep1.forward(&act.apply(&h)?)?, train)?;
            let y = b.bn2.forward_t(&b.sep2.forward(&y)?, train)?;
            let skip = match &b.skip {
                Some(conv) => conv.forward(&h)?,
                None => h,
            };
            h = (y + skip)?;
        }
        if let Some((sep1, bn1, sep2, bn2, skip)) = &self.exit {
            let y = bn1.forward_t(&sep1.forward(&h)?, train)?;
            let y = bn2.forward_t(&sep2.forward(&y)?, train)?;
            let y = max_pool_3x3_s2_same(&y)?;
            h = act.apply(&(y + skip.forward(&h)?)?)?;
        }
        self.cfg.pooling.apply(&h)
    }
}
