//! Candle networks that measure galaxies: the seed's Xception, a ResNet and a plain CNN as estimators of
//! (flux, n, hlr, g1, g2), with the CPU operations that make them fast enough to train without a GPU.
#![warn(missing_docs)]

pub mod autoencode;
pub mod calibrate;
pub mod card;
pub mod denoise;
pub mod estimator;
pub mod layers;
pub mod models;
pub mod ops;
pub mod predict;
pub mod scaling;
pub mod search;
pub mod train;

pub use card::{load, save, LoadedModel, ModelCard};
pub use estimator::{Architecture, Estimator, EstimatorConfig};
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
    /// candle failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}
