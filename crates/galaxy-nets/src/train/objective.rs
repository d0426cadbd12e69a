//! What a training run minimises and what it reports as it goes.

use candle_core::{Device, Tensor};
use galaxy_data::Dataset;

use crate::error::NetError;

/// Where a run stands, reported after every step.
#[derive(Debug, Clone, Copy)]
pub struct Progress<M> {
    /// Samples seen.
    pub samples: u64,
    /// Loss of the last step.
    pub loss: f64,
    /// The last validation, if any yet.
    pub validation: Option<M>,
}

/// What a training run minimises: the loss of a batch and the validation that picks the weights kept.
/// Estimators (labels) and denoisers (images) share the training loop through it.
pub trait Objective {
    /// What a validation reports.
    type Metrics: Copy;
    /// The training loss of a batch, in training mode.
    fn batch_loss(&self, data: &Dataset, device: &Device) -> Result<Tensor, NetError>;
    /// Validation metrics on a dataset, in inference mode.
    fn validate(&self, data: &Dataset, device: &Device) -> Result<Self::Metrics, NetError>;
    /// The number kept weights minimise.
    fn score(metrics: &Self::Metrics) -> f64;
}
