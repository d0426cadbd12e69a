#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod atomic;
mod dataset;
mod error;
mod generate;
mod merge;
pub mod npz;
mod observations;
pub mod preset;
pub mod prior;
mod prior_options;
mod rng;
mod shard;
pub mod simulate;

pub use dataset::{Dataset, KEYS};
pub use error::DataError;
pub use generate::{write_dataset, Progress, WriteSummary};
pub use merge::merge;
pub use observations::Observations;
pub use preset::Preset;
pub use prior::{Dist, Prior, ShapePrior};
pub use prior_options::PriorOptions;
pub use shard::Shard;
pub use simulate::{Sample, SimSettings, Simulator, SnrWindow};
