#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
pub mod autoencoder;
#[cfg(feature = "builtin")]
pub mod builtin;
pub mod calibrate;
pub mod card;
pub mod denoiser;
mod error;
pub mod estimator;
pub mod layers;
pub mod models;
pub mod ops;
pub mod pipeline;
pub mod records;
pub mod scaling;
pub mod search;
pub mod train;

pub use error::NetError;
pub use estimator::{load, save, Architecture, Estimator, EstimatorConfig, LoadedModel, ModelCard};
pub use scaling::Scaling;
