//! What can go wrong while measuring, and whose fault it is.

use galaxy_fits::FitsError;

/// An error that stops a whole measurement run. A single galaxy whose fit fails does not raise one: it gets
/// a row with its flags ([`crate::Measurement::fit`]).
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// The inputs are at fault (a bad file, shapes that do not match, a catalogue without x): the message
    /// names the file and the field.
    #[error("{0}")]
    Input(String),
    /// A FITS file could not be read or written.
    #[error(transparent)]
    Fits(#[from] FitsError),
    /// An output could not be written.
    #[error("{0}")]
    Write(String),
}

impl MeasureError {
    /// Bad input, with `message` naming what is wrong.
    pub(crate) fn input(message: impl Into<String>) -> MeasureError {
        MeasureError::Input(message.into())
    }

    /// Whether the user's input was at fault (exit status 2 in the CLI) rather than the program or the
    /// system.
    pub fn is_bad_input(&self) -> bool {
        match self {
            MeasureError::Input(_) => true,
            MeasureError::Fits(e) => e.is_bad_input(),
            MeasureError::Write(_) => false,
        }
    }
}
