#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod atomic;
mod dataset;
mod error;
mod generate;
mod merge;
pub mod npz;
mod observations;
pub mod part;
pub mod preset;
pub mod prior;
mod prior_options;
pub mod psf_family;
mod read_part;
mod rng;
mod shard;
pub mod simulate;

pub use dataset::{Dataset, KEYS};
pub use error::DataError;
pub use generate::{write_dataset, write_dataset_stamped, Progress, WriteSummary};
pub use merge::merge;
pub use npz::image_count;
pub use observations::Observations;
pub use part::{check_parts, run_fingerprint, ShardStamp};
pub use preset::Preset;
pub use prior::{Dist, Prior, ShapePrior};
pub use prior_options::{PriorOptions, FAMILY_PSF_FWHM, FAMILY_SIGMA};
pub use psf_family::PsfFamily;
pub use read_part::{batch_aligned, shard_rows, Part};
pub use shard::Shard;
pub use simulate::{Sample, SimSettings, Simulator, SnrWindow};
