//! What can go wrong, as one error type for the crate (re-exported at its root).

use std::path::{Path, PathBuf};

/// What can go wrong reading estimates, scoring them or drawing them.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file that is not what it should be (a missing column, a bad number, a row count).
    #[error("{}: {reason}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Bad settings or arguments.
    #[error("{0}")]
    BadInput(String),
    /// A figure could not be drawn or written.
    #[error("cannot draw {}: {reason}", path.display())]
    Plot {
        /// The figure's file.
        path: PathBuf,
        /// plotters' reason.
        reason: String,
    },
    /// Reading or writing a file.
    #[error(transparent)]
    Data(#[from] galaxy_data::DataError),
    /// A Cramér–Rao bound could not be computed.
    #[error(transparent)]
    Fit(#[from] mle_fit::FitError),
}

impl EvalError {
    /// Whether the user's input is at fault rather than the system or the library.
    pub fn is_bad_input(&self) -> bool {
        match self {
            EvalError::BadFile { .. } | EvalError::BadInput(_) => true,
            EvalError::Plot { .. } => false,
            EvalError::Data(e) => e.is_bad_input(),
            EvalError::Fit(e) => e.is_bad_input(),
        }
    }

    pub(crate) fn file(path: &Path, reason: impl Into<String>) -> EvalError {
        EvalError::BadFile {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
