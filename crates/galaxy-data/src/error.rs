//! What can go wrong, as one error type for the crate (re-exported at its root).

use std::path::{Path, PathBuf};

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
        /// Whether it was an input that could not be opened (a missing or unreadable file the caller
        /// named) rather than a failure to read on or to write.
        input: bool,
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
        match self {
            DataError::Io { input, .. } => *input,
            DataError::Render(_) | DataError::Noise(_) => false,
            _ => true,
        }
    }

    pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> DataError {
        DataError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
            input: false,
        }
    }

    /// An input file that cannot be opened: the caller's to fix.
    pub(crate) fn unopenable(path: &Path, e: impl std::fmt::Display) -> DataError {
        DataError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
            input: true,
        }
    }

    pub(crate) fn format(path: &Path, reason: impl Into<String>) -> DataError {
        DataError::Format {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
