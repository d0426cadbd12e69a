//! Candle networks that measure galaxies: the seed's Xception, a ResNet and a plain CNN as estimators of
//! (flux, n, hlr, g1, g2), its EDSR / RDN denoisers and its autoencoder, with the CPU operations that make
//! them fast enough to train without a GPU.
#![warn(missing_docs)]
//!
//! Organised by task, each with its network, card, objective, training run and inference:
//! * [`estimator`]: estimators ([`EstimatorConfig`], `Estimator::new(cfg, vb)`, `forward_t`), their
//!   training ([`estimator::EstimatorTraining`]) and predictions ([`estimator::predict`]).
//! * [`denoiser`] and [`autoencoder`]: the seed's other two networks as tools of their own.
//! * [`pipeline`]: a denoiser in front of an estimator trained on its output.
//! * [`train`]: the loop every task shares ([`train::Trainer`]: options, checkpoints, progress) and
//!   its data ([`train::TrainingData`]).
//! * [`calibrate`]: predicted errors scaled to 1 sigma on held-out simulations.
//! * [`search`]: architecture search (space, schedule, run, records).
//! * `builtin` (cargo feature `builtin`): the shipped models, embedded.
//! * [`card`] and [`records`]: weights and their typed JSON card on disk; [`models`], [`layers`],
//!   [`ops`]: the networks' parts and the custom CPU operations.

pub mod autoencoder;
#[cfg(feature = "builtin")]
pub mod builtin;
pub mod calibrate;
pub mod card;
pub mod denoiser;
pub mod estimator;
pub mod layers;
pub mod models;
pub mod ops;
pub mod pipeline;
pub mod records;
pub mod scaling;
pub mod search;
pub mod train;

pub use estimator::{load, save, Architecture, Estimator, EstimatorConfig, LoadedModel, ModelCard};
pub use scaling::Scaling;

/// What can go wrong building, training, saving or running a network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Bad input: shapes, files, settings.
    #[error("{0}")]
    BadInput(String),
    /// A file could not be written.
    #[error("{0}")]
    Io(String),
    /// Simulating or writing data failed.
    #[error(transparent)]
    Data(#[from] galaxy_data::DataError),
    /// candle failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl NetError {
    /// Whether the caller's input is at fault rather than the system or candle.
    pub fn is_bad_input(&self) -> bool {
        match self {
            NetError::BadInput(_) => true,
            NetError::Data(e) => e.is_bad_input(),
            NetError::Io(_) | NetError::Candle(_) => false,
        }
    }
}
