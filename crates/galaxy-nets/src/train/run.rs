//! [`TrainingRun`]: what the estimator, denoiser and autoencoder runs have in common, so that a program
//! trains any of them the same way.

use candle_core::Device;

use super::data::TrainingData;
use super::objective::Progress;
use super::options::TrainOptions;
use super::trainer::Trained;
use crate::error::NetError;

/// A network's training run, all set but for its data and schedule.
pub trait TrainingRun {
    /// What its validations report (printable as a summary).
    type Metrics: Copy + std::fmt::Display;

    /// The network's name for people ("cnn", "edsr", "autoencoder").
    fn network(&self) -> String;

    /// Trains on `data` with `options`, saving a checkpoint at every validation that improved;
    /// `on_progress` hears of every step.
    fn train(
        &self,
        data: TrainingData,
        options: TrainOptions,
        device: &Device,
        on_progress: &mut dyn FnMut(Progress<Self::Metrics>),
    ) -> Result<Trained<Self::Metrics>, NetError>;
}
