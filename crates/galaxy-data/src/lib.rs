//! The seed's labelled galaxy datasets: priors, presets, simulation on the fly, and npz files in the seed's
//! layout.
#![warn(missing_docs)]
//!
//! * [`prior`] and [`preset`]: the seed's exact priors (including the tiled 1000-value n grid) and its five
//!   datasets by name (`data_v1`, `data_v2`, `data_v3`, `snr30`, `snr60`), plus fully custom settings.
//! * [`Simulator`]: sample i = (noisy image, noiseless image, labels, PSF FWHM, PSF image, SNR, sigma),
//!   drawn from a random stream that depends only on (seed, i): bit-reproducible whatever the thread count,
//!   shardable, and fast enough to simulate during training ([`Simulator::batches`]).
//! * [`write_dataset`] streams samples to an `.npz` in the seed's layout with bounded memory;
//!   [`Dataset::read`] reads the seed's files (`np.savez` or `np.savez_compressed`, one or N PSF images);
//!   [`merge`] concatenates shards; [`Shard`] splits a dataset, also from a Slurm array's environment.
//!
//! ```
//! use galaxy_data::{Preset, Simulator};
//! let sim = Simulator::new(Preset::DataV3.settings(), 42).unwrap();
//! let sample = sim.sample(7).unwrap();
//! assert!((10.0..=100.0).contains(&sample.snr));
//! assert_eq!(sample.img.dim(), (64, 64));
//! // The same (seed, index) always gives the same sample.
//! assert_eq!(sim.sample(7).unwrap().img, sample.img);
//! ```

use std::path::{Path, PathBuf};

pub mod atomic;
mod dataset;
mod generate;
mod merge;
mod observations;
pub mod npz;
pub mod preset;
pub mod prior;
mod prior_options;
mod rng;
mod shard;
pub mod simulate;

pub use dataset::{Dataset, KEYS};
pub use generate::{write_dataset, Progress, WriteSummary};
pub use merge::merge;
pub use observations::Observations;
pub use preset::Preset;
pub use prior::{Dist, Prior, ShapePrior};
pub use prior_options::PriorOptions;
pub use shard::Shard;
pub use simulate::{Sample, SimSettings, Simulator, SnrWindow};

/// Everything that can go wrong making, reading or writing a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A prior distribution is malformed or leaves the allowed range.
    #[error("prior for {name}: {reason}")]
    BadPrior {
        /// Which label.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A preset name that does not exist.
    #[error("{0}")]
    UnknownPreset(String),
    /// Other bad settings (window, stamp, PSF, sizes).
    #[error("{0}")]
    BadSettings(String),
    /// A bad shard specification.
    #[error("bad shard: {0}")]
    BadShard(String),
    /// The SNR window was never reached.
    #[error(
        "sample {index}: no draw inside the SNR window after {attempts} attempts; the prior cannot reach it"
    )]
    SnrWindowUnreachable {
        /// The sample's index.
        index: u64,
        /// How many draws were rejected.
        attempts: u32,
    },
    /// The renderer refused the parameters.
    #[error(transparent)]
    Render(#[from] sersic_render::RenderError),
    /// The noise model refused its input.
    #[error(transparent)]
    Noise(#[from] noise_model::NoiseError),
    /// A file could not be read or written.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's or the library's reason.
        reason: String,
    },
    /// The folder a result was to be written to does not exist.
    #[error("output folder {} does not exist", .0.display())]
    MissingFolder(PathBuf),
    /// A file's content is not what the seed's layout requires.
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl DataError {
    /// Whether the user's input is at fault (a bad setting, name, file or folder) rather than the
    /// system or the library (a failed write, a render the settings should have allowed).
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            DataError::Io { .. } | DataError::Render(_) | DataError::Noise(_)
        )
    }

    pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> DataError {
        DataError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }

    pub(crate) fn format(path: &Path, reason: impl Into<String>) -> DataError {
        DataError::Format {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
