//! What can go wrong with a FITS file, naming the file.

use std::path::{Path, PathBuf};

/// A FITS file that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FitsError {
    /// The file is missing, unreadable, not FITS, or holds no image: the user's input is at fault.
    #[error("{}: {message}", path.display())]
    BadInput {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Writing failed (disk full, permissions, a folder that does not exist).
    #[error("cannot write {}: {message}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl FitsError {
    /// A problem with an input file.
    pub(crate) fn input(path: &Path, message: impl std::fmt::Display) -> FitsError {
        FitsError::BadInput {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }

    /// A failed write.
    pub(crate) fn write(path: &Path, message: impl std::fmt::Display) -> FitsError {
        FitsError::Write {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }

    /// Whether the error is the user's (a bad or missing input file, a folder that does not exist) rather
    /// than the program's.
    pub fn is_bad_input(&self) -> bool {
        match self {
            FitsError::BadInput { .. } => true,
            FitsError::Write { path, .. } => path
                .parent()
                .is_some_and(|p| !p.as_os_str().is_empty() && !p.is_dir()),
        }
    }
}
