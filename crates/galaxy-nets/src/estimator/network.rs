//! An estimator: a trunk (Xception, ResNet or CNN), optional conditioning on the PSF FWHM and sigma, and
//! a head that outputs the five scaled parameters and, optionally, their log-variances.

use candle_core::{Module, ModuleT, Result, Tensor, D};
use candle_nn::{linear, Dropout, Linear, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::models::cnn::{Cnn, CnnConfig};
use crate::models::resnet::{ResNet, ResNetConfig};
use crate::models::xception::{Xception, XceptionConfig};

/// Which trunk, with its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "lowercase")]
pub enum Architecture {
    /// The seed's Xception.
    Xception(XceptionConfig),
    /// A ResNet.
    Resnet(ResNetConfig),
    /// A plain CNN.
    Cnn(CnnConfig),
}

impl Architecture {
    /// The trunk's name: xception, resnet or cnn.
    pub fn name(&self) -> &'static str {
        match self {
            Architecture::Xception(_) => "xception",
            Architecture::Resnet(_) => "resnet",
            Architecture::Cnn(_) => "cnn",
        }
    }

    /// The default configuration of an architecture by name (xception, resnet, cnn).
    pub fn by_name(name: &str) -> Option<Architecture> {
        match name {
            "xception" => Some(Architecture::Xception(XceptionConfig::default())),
            "resnet" => Some(Architecture::Resnet(ResNetConfig::default())),
            "cnn" => Some(Architecture::Cnn(CnnConfig::default())),
            _ => None,
        }
    }

    fn dropout(&self) -> f32 {
        match self {
            Architecture::Xception(c) => c.dropout,
            Architecture::Resnet(c) => c.dropout,
            Architecture::Cnn(c) => c.dropout,
        }
    }
}

/// Everything that defines an estimator's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatorConfig {
    /// The trunk.
    pub architecture: Architecture,
    /// Side of the (square) input images.
    pub image_size: usize,
    /// Feed the PSF FWHM and sigma to the head (for data where they vary, like data_v3).
    pub conditioning: bool,
    /// Also output a log-variance per parameter, trained with a Gaussian NLL: the network's own errors.
    pub uncertainty: bool,
    /// Width of a hidden layer in the head (0: a linear head, as the seed's).
    pub head_hidden: usize,
}

impl EstimatorConfig {
    /// A 64 x 64 estimator with the architecture's defaults, no conditioning, no uncertainty, linear head.
    pub fn new(architecture: Architecture) -> Self {
        EstimatorConfig {
            architecture,
            image_size: 64,
            conditioning: false,
            uncertainty: false,
            head_hidden: 0,
        }
    }

    /// Number of outputs: 5, or 10 with uncertainties.
    pub fn outputs(&self) -> usize {
        if self.uncertainty {
            10
        } else {
            5
        }
    }
}

#[derive(Debug, Clone)]
enum Trunk {
    Xception(Box<Xception>),
    Resnet(ResNet),
    Cnn(Cnn),
}

/// The network: images (scaled) [N, 1, S, S] and conditioning [N, 2] → [N, 5] or [N, 10].
#[derive(Debug, Clone)]
pub struct Estimator {
    cfg: EstimatorConfig,
    trunk: Trunk,
    hidden: Option<Linear>,
    out: Linear,
    dropout: Dropout,
}

impl Estimator {
    /// Builds the estimator; its variables are created in (or loaded from) `vb`.
    pub fn new(cfg: &EstimatorConfig, vb: VarBuilder) -> Result<Self> {
        let (trunk, features) = match &cfg.architecture {
            Architecture::Xception(c) => {
                let t = Xception::new(c, 1, cfg.image_size, vb.pp("trunk"))?;
                let f = t.features();
                (Trunk::Xception(Box::new(t)), f)
            }
            Architecture::Resnet(c) => {
                let t = ResNet::new(c, 1, cfg.image_size, vb.pp("trunk"))?;
                let f = t.features();
                (Trunk::Resnet(t), f)
            }
            Architecture::Cnn(c) => {
                let t = Cnn::new(c, 1, cfg.image_size, vb.pp("trunk"))?;
                let f = t.features();
                (Trunk::Cnn(t), f)
            }
        };
        let inputs = features + if cfg.conditioning { 2 } else { 0 };
        let (hidden, head_in) = if cfg.head_hidden > 0 {
            (
                Some(linear(inputs, cfg.head_hidden, vb.pp("hidden"))?),
                cfg.head_hidden,
            )
        } else {
            (None, inputs)
        };
        let out = linear(head_in, cfg.outputs(), vb.pp("out"))?;
        Ok(Estimator {
            cfg: cfg.clone(),
            trunk,
            hidden,
            out,
            dropout: Dropout::new(cfg.architecture.dropout()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EstimatorConfig {
        &self.cfg
    }

    /// Forward pass; `conditioning` is required when the configuration asks for it.
    pub fn forward_t(
        &self,
        images: &Tensor,
        conditioning: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor> {
        let features = match &self.trunk {
            Trunk::Xception(t) => t.forward_t(images, train)?,
            Trunk::Resnet(t) => t.forward_t(images, train)?,
            Trunk::Cnn(t) => t.forward_t(images, train)?,
        };
        let features = self.dropout.forward_t(&features, train)?;
        let h = match (self.cfg.conditioning, conditioning) {
            (true, Some(c)) => Tensor::cat(&[&features, c], D::Minus1)?,
            (true, None) => candle_core::bail!(
                "this estimator is conditioned on PSF FWHM and sigma; none given"
            ),
            (false, _) => features,
        };
        let h = match &self.hidden {
            Some(l) => l.forward(&h)?.relu()?,
            None => h,
        };
        self.out.forward(&h)
    }
}
