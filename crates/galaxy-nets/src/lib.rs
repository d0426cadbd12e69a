//! Candle networks that measure galaxies: the seed's Xception, a ResNet and a plain CNN as estimators of
//! (flux, n, hlr, g1, g2), with the CPU operations that make them fast enough to train without a GPU.
#![warn(missing_docs)]

pub mod estimator;
pub mod layers;
pub mod models;
pub mod ops;

pub use estimator::{Architecture, Estimator, EstimatorConfig};
