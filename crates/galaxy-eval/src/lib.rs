//! How well galaxy measurements did, with no neural-network dependency: a user of the fitter alone
//! evaluates fits without compiling candle.
#![warn(missing_docs)]
//!
//! * [`Observations`] (from `galaxy-data`): the images to measure, with their PSF, noise and labels.
//! * [`estimates`]: the estimate tables (`galaxy fit`, `predict`, `posterior` CSVs) read and written, the
//!   write atomic.
//! * [`ErrorTable`]: the seed's bias / std / RMSE per parameter, beside the mean Cramér–Rao bound at the
//!   true labels ([`bounds_per_image`], each distinct galaxy bounded once).
//! * [`report`]: the Markdown report of several estimate sets; with the `plots` feature, its PNG figures
//!   and the search's parallel-coordinates figure ([`plots`]).
//!
//! ```
//! use galaxy_eval::{summarize, ErrorTable};
//! let truth = vec![[1e5, 3.0, 0.3, 0.0, 0.1]; 2];
//! let estimates = vec![[1.1e5, 3.5, 0.31, 0.01, 0.1], [0.9e5, 2.5, 0.29, -0.01, 0.1]];
//! let table = ErrorTable::new(&estimates, &truth, None);
//! assert!((table.rows[0].summary.rmse - 0.1).abs() < 1e-12); // flux in units of 1e5
//! assert_eq!(summarize(&[1.0, -1.0]).bias, 0.0);
//! ```

use std::path::{Path, PathBuf};

mod bounds;
pub mod estimates;
pub mod parallel;
#[cfg(feature = "plots")]
pub mod plots;
pub mod report;
mod summary;

pub use bounds::bounds_per_image;
pub use galaxy_data::Observations;
pub use summary::{summarize, ErrorRow, ErrorTable, Summary, SEED_UNITS};

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
