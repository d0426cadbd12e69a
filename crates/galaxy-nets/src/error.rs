//! What can go wrong, as one error type for the crate (re-exported at its root).

/// What can go wrong building, training, saving or running a network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Bad input: shapes, files, settings.
    #[error("{0}")]
    BadInput(String),
    /// A file could not be written.
    #[error("{0}")]
    Io(String),
    /// Simulating or writing data failed.
    #[error(transparent)]
    Data(#[from] galaxy_data::DataError),
    /// candle failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl NetError {
    /// Whether the caller's input is at fault rather than the system or candle.
    pub fn is_bad_input(&self) -> bool {
        match self {
            NetError::BadInput(_) => true,
            NetError::Data(e) => e.is_bad_input(),
            NetError::Io(_) | NetError::Candle(_) => false,
        }
    }
}
