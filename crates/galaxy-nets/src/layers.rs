//! Building blocks shared by the architectures.

use candle_core::{Module, ModuleT, Result, Tensor};
use candle_nn::{batch_norm, BatchNorm, BatchNormConfig, Conv2dConfig, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::ops::{
    activation, batch_norm_act_eval, batch_norm_act_train, conv2d, depthwise_conv2d, stock_ops,
    NormActivation,
};

/// Activation functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(x, 0).
    Relu,
    /// Scaled exponential linear unit (the seed's choice).
    #[default]
    Selu,
}

impl Activation {
    /// Applies the activation: one fused custom op on the CPU, candle's element-wise ops elsewhere or with
    /// [`crate::ops::use_stock_ops`].
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        if x.device().is_cpu() && !stock_ops() {
            let act = match self {
                Activation::Relu => NormActivation::Relu,
                Activation::Selu => NormActivation::Selu,
            };
            return activation(x, act);
        }
        self.apply_elementwise(x)
    }

    /// The activation from candle's element-wise ops (the reference the fused op is tested against).
    pub fn apply_elementwise(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Relu => x.relu(),
            Activation::Selu => {
                // selu(x) = λ (x if x > 0 else α (eˣ − 1))
                const ALPHA: f64 = 1.673_263_242_354_377_3;
                const LAMBDA: f64 = 1.050_700_987_355_480_5;
                let pos = x.relu()?;
                let neg = (x.minimum(0.0)?.exp()? - 1.0)?.affine(ALPHA, 0.0)?;
                (pos + neg)?.affine(LAMBDA, 0.0)
            }
        }
    }
}

/// How the last feature map becomes a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Global average pooling (the seed's).
    #[default]
    Avg,
    /// Global max pooling.
    Max,
    /// Flatten the whole map.
    Flatten,
}

impl Pooling {
    /// [N, C, H, W] → [N, features].
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Pooling::Avg => x.flatten_from(2)?.mean(2),
            Pooling::Max => x.flatten_from(2)?.max(2),
            Pooling::Flatten => x.flatten_from(1),
        }
    }

    /// Features out of a C x H x W map.
    pub fn features(&self, channels: usize, side: usize) -> usize {
        match self {
            Pooling::Flatten => channels * side * side,
            _ => channels,
        }
    }
}

/// Keras' batch-norm epsilon, the seed's.
const BN_EPS: f64 = 1e-3;
/// candle-nn's running-statistics momentum.
const BN_MOMENTUM: f64 = 0.1;

/// A batch normalisation with the seed's (Keras') defaults.
pub fn bn(channels: usize, vb: VarBuilder) -> Result<BatchNorm> {
    batch_norm(
        channels,
        BatchNormConfig {
            eps: BN_EPS,
            momentum: BN_MOMENTUM,
            ..Default::default()
        },
        vb,
    )
}

/// Batch normalisation followed by an activation. On the CPU in training mode it runs as one fused custom
/// op (forward and backward); otherwise as candle-nn's batch norm then the activation. The variables have
/// candle-nn's names, so weights load either way.
#[derive(Debug, Clone)]
pub struct NormAct {
    norm: BatchNorm,
    gamma: Tensor,
    beta: Tensor,
    running_mean: candle_core::Var,
    running_var: candle_core::Var,
    act: Option<Activation>,
}

impl NormAct {
    /// Batch norm over `channels` then `act` (None: batch norm alone).
    pub fn new(channels: usize, act: Option<Activation>, vb: VarBuilder) -> Result<Self> {
        let running_mean =
            vb.get_with_hints(channels, "running_mean", candle_nn::Init::Const(0.0))?;
        let running_var =
            vb.get_with_hints(channels, "running_var", candle_nn::Init::Const(1.0))?;
        let gamma = vb.get_with_hints(channels, "weight", candle_nn::Init::Const(1.0))?;
        let beta = vb.get_with_hints(channels, "bias", candle_nn::Init::Const(0.0))?;
        let norm = BatchNorm::new(
            channels,
            running_mean.clone(),
            running_var.clone(),
            gamma.clone(),
            beta.clone(),
            BN_EPS,
        )?;
        Ok(NormAct {
            norm,
            gamma,
            beta,
            running_mean: candle_core::Var::from_tensor(&running_mean)?,
            running_var: candle_core::Var::from_tensor(&running_var)?,
            act,
        })
    }

    fn fused_activation(&self) -> NormActivation {
        match self.act {
            None => NormActivation::Identity,
            Some(Activation::Relu) => NormActivation::Relu,
            Some(Activation::Selu) => NormActivation::Selu,
        }
    }

    /// Forward in training (batch statistics, running statistics updated) or inference mode.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let fused = x.device().is_cpu() && !stock_ops();
        if fused && !train {
            let (rm, rv) = (self.running_mean.as_tensor(), self.running_var.as_tensor());
            return batch_norm_act_eval(
                x,
                &self.gamma,
                &self.beta,
                rm,
                rv,
                BN_EPS,
                self.fused_activation(),
            );
        }
        if fused && train {
            let act = self.fused_activation();
            let (y, stats) = batch_norm_act_train(x, &self.gamma, &self.beta, BN_EPS, act)?;
            let stats = stats.to_dtype(self.running_mean.dtype())?;
            let m = BN_MOMENTUM;
            self.running_mean
                .set(&((self.running_mean.as_tensor() * (1.0 - m))? + (stats.get(0)? * m)?)?)?;
            self.running_var
                .set(&((self.running_var.as_tensor() * (1.0 - m))? + (stats.get(1)? * m)?)?)?;
            return Ok(y);
        }
        let z = self.norm.forward_t(x, train)?;
        match self.act {
            Some(a) => a.apply(&z),
            None => Ok(z),
        }
    }
}

/// Depthwise K x K (same padding) then pointwise 1 x 1 without bias (a batch norm follows).
///
/// The pointwise convolution runs through [`crate::ops::conv2d`], which for a 1 x 1 kernel skips im2col:
/// one [C_out, C_in] x [C_in, H·W] product per image, forward and backward.
#[derive(Debug, Clone)]
pub struct SeparableConv {
    depthwise: Tensor,
    /// [C_out, C_in, 1, 1], named as a conv2d's weight.
    pointwise: Tensor,
    kernel: usize,
    stride: usize,
}

impl SeparableConv {
    /// A separable convolution from `c_in` to `c_out` channels.
    pub fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        stride: usize,
        vb: VarBuilder,
    ) -> Result<Self> {
        let bound = 1.0 / ((kernel * kernel) as f64).sqrt();
        let depthwise = vb.get_with_hints(
            (c_in, 1, kernel, kernel),
            "depthwise.weight",
            candle_nn::Init::Uniform {
                lo: -bound,
                up: bound,
            },
        )?;
        let pointwise = vb.get_with_hints(
            (c_out, c_in, 1, 1),
            "pointwise.weight",
            candle_nn::init::DEFAULT_KAIMING_NORMAL,
        )?;
        Ok(SeparableConv {
            depthwise,
            pointwise,
            kernel,
            stride,
        })
    }
}

impl Module for SeparableConv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let d = depthwise_conv2d(x, &self.depthwise, self.stride, self.kernel / 2)?;
        conv2d(&d, &self.pointwise, None, 1, 0)
    }
}

/// A dense convolution with symmetric padding, run by [`crate::ops::conv2d`] (the im2col custom op on the
/// CPU). Its variables are candle-nn's `Conv2d`'s, so weights load either way.
#[derive(Debug, Clone)]
pub struct Conv {
    weight: Tensor,
    bias: Option<Tensor>,
    stride: usize,
    padding: usize,
}

impl Conv {
    /// A K x K convolution from `c_in` to `c_out` channels with candle-nn's initialisation and names
    /// (`weight`, and `bias` when `bias` is set).
    pub fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        cfg: Conv2dConfig,
        bias: bool,
        vb: VarBuilder,
    ) -> Result<Self> {
        let conv = if bias {
            candle_nn::conv2d(c_in, c_out, kernel, cfg, vb)?
        } else {
            candle_nn::conv2d_no_bias(c_in, c_out, kernel, cfg, vb)?
        };
        Ok(Conv {
            weight: conv.weight().clone(),
            bias: conv.bias().cloned(),
            stride: cfg.stride,
            padding: cfg.padding,
        })
    }
}

impl Module for Conv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        conv2d(
            x,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
        )
    }
}

/// Convolution + batch norm + activation.
#[derive(Debug, Clone)]
pub struct ConvBnAct {
    conv: Conv,
    norm: NormAct,
}

impl ConvBnAct {
    /// A K x K convolution with "same" padding and the given stride.
    pub fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        stride: usize,
        act: Activation,
        vb: VarBuilder,
    ) -> Result<Self> {
        let cfg = Conv2dConfig {
            padding: kernel / 2,
            stride,
            ..Default::default()
        };
        Ok(ConvBnAct {
            conv: Conv::new(c_in, c_out, kernel, cfg, true, vb.pp("conv"))?,
            norm: NormAct::new(c_out, Some(act), vb.pp("bn"))?,
        })
    }

    /// Forward in training (batch statistics) or inference mode.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.norm.forward_t(&self.conv.forward(x)?, train)
    }
}
