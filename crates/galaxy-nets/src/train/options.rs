//! The options of a training run and the loss of networks with error outputs.

use serde::{Deserialize, Serialize};

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Samples per step.
    pub batch: usize,
    /// Peak learning rate (cosine decay to 1% of it over the run).
    pub learning_rate: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Training samples to see in all.
    pub samples: u64,
    /// Validate every this many samples.
    pub eval_every: u64,
    /// Stop after this many validations without improvement.
    pub patience: usize,
    /// Seed of the simulated training stream (validation uses seed + 1).
    pub seed: u64,
    /// Samples already seen by the weights being trained (a resumed run): the schedule and the simulated
    /// stream continue from there.
    pub start_sample: u64,
    /// Wall-clock budget in seconds: the learning-rate schedule follows whichever of samples and time is
    /// further along, and training stops (after a last validation) when the time is up.
    pub max_seconds: Option<f64>,
    /// Fraction of the run over which the learning rate ramps up linearly from 1% of its peak (useful
    /// when fine-tuning trained weights with fresh optimiser moments).
    #[serde(default)]
    pub warmup: f64,
    /// How the estimates are trained when the network also predicts its errors.
    #[serde(default)]
    pub loss: LossKind,
}

/// The training loss of a network with error outputs (a network without them always uses the MSE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Gaussian negative log-likelihood of estimate and log-variance together. It weights every sample by
    /// its predicted inverse variance, so low-SNR images count for less in the estimates.
    #[default]
    Nll,
    /// The estimates by mean squared error (every sample equal: the posterior mean, the seed's
    /// objective), the log-variances by the Gaussian NLL of those estimates held fixed.
    MseNll,
    /// The estimates by mean absolute error (the posterior median: for a skewed posterior — the Sérsic
    /// index of a faint galaxy — less biased than the mean), the log-variances as in `MseNll`.
    MaeNll,
}

impl LossKind {
    /// The loss's name, as `galaxy train --loss` takes it and cards record it.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Nll => "nll",
            LossKind::MseNll => "mse-nll",
            LossKind::MaeNll => "mae-nll",
        }
    }
}

impl std::str::FromStr for LossKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "nll" => Ok(LossKind::Nll),
            "mse-nll" => Ok(LossKind::MseNll),
            "mae-nll" => Ok(LossKind::MaeNll),
            _ => Err(format!(
                "unknown loss '{s}'; expected nll, mse-nll or mae-nll"
            )),
        }
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            batch: 64,
            learning_rate: 2e-3,
            weight_decay: 1e-4,
            samples: 200_000,
            eval_every: 20_000,
            patience: 5,
            seed: 1,
            start_sample: 0,
            max_seconds: None,
            warmup: 0.0,
            loss: LossKind::Nll,
        }
    }
}
