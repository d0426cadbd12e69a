//! A small ResNet: basic blocks in stages, each stage halving the side.

use candle_core::{Module, ModuleT, Result, Tensor};
use candle_nn::{BatchNorm, Conv2dConfig, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::layers::{bn, Activation, Conv, ConvBnAct, Pooling};

/// ResNet architecture: a stem, then stages of basic residual blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResNetConfig {
    /// Stem filters.
    pub stem_filters: usize,
    /// Stem kernel.
    pub stem_kernel: usize,
    /// Stem stride.
    pub stem_stride: usize,
    /// Filters per stage; every stage after the first starts with stride 2.
    pub stage_filters: Vec<usize>,
    /// Basic blocks per stage.
    pub blocks_per_stage: usize,
    /// Activation.
    pub activation: Activation,
    /// Pooling before the head.
    pub pooling: Pooling,
    /// Dropout before the head.
    pub dropout: f32,
}

impl Default for ResNetConfig {
    fn default() -> Self {
        ResNetConfig {
            stem_filters: 16,
            stem_kernel: 5,
            stem_stride: 2,
            stage_filters: vec![16, 32, 64],
            blocks_per_stage: 2,
            activation: Activation::Relu,
            pooling: Pooling::Avg,
            dropout: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
struct BasicBlock {
    conv1: ConvBnAct,
    conv2: Conv,
    bn2: BatchNorm,
    skip: Option<(Conv, BatchNorm)>,
}

/// The ResNet trunk.
#[derive(Debug, Clone)]
pub struct ResNet {
    cfg: ResNetConfig,
    stem: ConvBnAct,
    blocks: Vec<BasicBlock>,
    side: usize,
    channels: usize,
}

impl ResNet {
    /// Builds the trunk.
    pub fn new(cfg: &ResNetConfig, channels: usize, size: usize, vb: VarBuilder) -> Result<Self> {
        let stem = ConvBnAct::new(
            channels,
            cfg.stem_filters,
            cfg.stem_kernel,
            cfg.stem_stride,
            cfg.activation,
            vb.pp("stem"),
        )?;
        let mut side = size.div_ceil(cfg.stem_stride);
        let mut c = cfg.stem_filters;
        let mut blocks = Vec::new();
        for (s, &f) in cfg.stage_filters.iter().enumerate() {
            for b in 0..cfg.blocks_per_stage {
                let stride = if s > 0 && b == 0 { 2 } else { 1 };
                let vb = vb.pp(format!("stage{s}.block{b}"));
                let skip = if stride != 1 || c != f {
                    let cfg1 = Conv2dConfig {
                        stride,
                        ..Default::default()
                    };
                    Some((
                        Conv::new(c, f, 1, cfg1, false, vb.pp("skip"))?,
                        bn(f, vb.pp("skip_bn"))?,
                    ))
                } else {
                    None
                };
                let cfg3 = Conv2dConfig {
                    padding: 1,
                    ..Default::default()
                };
                blocks.push(BasicBlock {
                    conv1: ConvBnAct::new(c, f, 3, stride, cfg.activation, vb.pp("conv1"))?,
                    conv2: Conv::new(f, f, 3, cfg3, false, vb.pp("conv2"))?,
                    bn2: bn(f, vb.pp("bn2"))?,
                    skip,
                });
                if stride == 2 {
                    side = side.div_ceil(2);
                }
                c = f;
            }
        }
        Ok(ResNet {
            cfg: cfg.clone(),
            stem,
            blocks,
            side,
            channels: c,
        })
    }

    /// Length of the feature vector.
    pub fn features(&self) -> usize {
        self.cfg.pooling.features(self.channels, self.side)
    }

    /// [N, C, S, S] → [N, features].
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let mut h = self.stem.forward_t(x, train)?;
        for b in &self.blocks {
            let y = b.conv1.forward_t(&h, train)?;
            let y = b.bn2.forward_t(&b.conv2.forward(&y)?, train)?;
            let skip = match &b.skip {
                Some((conv, norm)) => norm.forward_t(&conv.forward(&h)?, train)?,
                None => h,
            };
            h = self.cfg.activation.apply(&(y + skip)?)?;
        }
        self.cfg.pooling.apply(&h)
    }
}
