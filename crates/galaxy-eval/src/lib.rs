#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod bounds;
pub mod denoising;
mod error;
pub mod estimates;
pub mod parallel;
pub mod params;
#[cfg(feature = "plots")]
pub mod plots;
pub mod report;
pub mod seed;
mod summary;

pub use bounds::bounds_per_image;
pub use error::EvalError;
pub use galaxy_data::Observations;
pub use summary::{summarize, ErrorRow, ErrorTable, Summary, SEED_UNITS};
