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
    /// Read the PSF: the input has, besides the image, the PSF drawn on the stamp's grid and two channels
    /// of pixel coordinates (so the trunk can locate an off-centre galaxy), and the conditioning's PSF
    /// width is measured on that PSF image (see [`crate::scaling::Scaling::psf_inputs`]).
    #[serde(default)]
    pub psf_channel: bool,
    /// Also estimate the galaxy's centre offset (dx, dy) in pixels: 7 parameters instead of 5.
    #[serde(default)]
    pub offsets: bool,
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
            psf_channel: false,
            offsets: false,
        }
    }

    /// Number of estimated parameters: 5 (flux, n, hlr, g1, g2), or 7 with the offsets (dx, dy).
    pub fn parameters(&self) -> usize {
        if self.offsets {
            7
        } else {
            5
        }
    }

    /// Number of outputs: the parameters, and as many log-variances with uncertainties.
    pub fn outputs(&self) -> usize {
        self.parameters() * if self.uncertainty { 2 } else { 1 }
    }

    /// Input channels: the image alone, or with the PSF image and the x and y coordinate planes.
    pub fn in_channels(&self) -> usize {
        if self.psf_channel {
            4
        } else {
            1
        }
    }
}

#[derive(Debug, Clone)]
enum Trunk {
    Xception(Box<Xception>),
    Resnet(ResNet),
    Cnn(Cnn),
}

/// The network: inputs [N, C, S, S] (C from [`EstimatorConfig::in_channels`]) and conditioning [N, 2] →
/// [N, P] or [N, 2P] (P from [`EstimatorConfig::parameters`]).
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
                let t = Xception::new(c, cfg.in_channels(), cfg.image_size, vb.pp("trunk"))?;
                let f = t.features();
                (Trunk::Xception(Box::new(t)), f)
            }
            Architecture::Resnet(c) => {
                let t = ResNet::new(c, cfg.in_channels(), cfg.image_size, vb.pp("trunk"))?;
                let f = t.features();
                (Trunk::Resnet(t), f)
            }
            Architecture::Cnn(c) => {
                let t = Cnn::new(c, cfg.in_channels(), cfg.image_size, vb.pp("trunk"))?;
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
