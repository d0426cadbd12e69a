//! A plain CNN: convolution + batch norm + activation layers.

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

use crate::layers::{Activation, ConvBnAct, Pooling};

/// One convolution layer of the plain CNN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvLayer {
    /// Output channels.
    pub filters: usize,
    /// Kernel side.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
}

/// Plain CNN architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CnnConfig {
    /// The layers, in order.
    pub layers: Vec<ConvLayer>,
    /// Activation.
    pub activation: Activation,
    /// Pooling before the head.
    pub pooling: Pooling,
    /// Dropout before the head.
    pub dropout: f32,
}

impl Default for CnnConfig {
    fn default() -> Self {
        let l = |filters, kernel, stride| ConvLayer {
            filters,
            kernel,
            stride,
        };
        CnnConfig {
            layers: vec![l(16, 5, 2), l(32, 3, 2), l(64, 3, 2), l(64, 3, 1)],
            activation: Activation::Relu,
            pooling: Pooling::Avg,
            dropout: 0.0,
        }
    }
}

/// The CNN trunk.
#[derive(Debug, Clone)]
pub struct Cnn {
    cfg: CnnConfig,
    layers: Vec<ConvBnAct>,
    side: usize,
    channels: usize,
}

impl Cnn {
    /// Builds the trunk.
    pub fn new(cfg: &CnnConfig, channels: usize, size: usize, vb: VarBuilder) -> Result<Self> {
        let (mut c, mut side) = (channels, size);
        let mut layers = Vec::new();
        for (i, l) in cfg.layers.iter().enumerate() {
            layers.push(ConvBnAct::new(
                c,
                l.filters,
                l.kernel,
                l.stride,
                cfg.activation,
                vb.pp(format!("layer{i}")),
            )?);
            c = l.filters;
            side = side.div_ceil(l.stride);
        }
        Ok(Cnn {
            cfg: cfg.clone(),
            layers,
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
        let mut h = x.clone();
        for l in &self.layers {
            h = l.forward_t(&h, train)?;
        }
        self.cfg.pooling.apply(&h)
    }
}
