//! What can go wrong, as one error type for the crate (re-exported at its root).

/// What can go wrong fitting or bounding.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// Bad data or settings: wrong shape, NaN pixels, sigma <= 0, unknown names.
    #[error("{0}")]
    BadInput(String),
    /// Bounds the renderer cannot draw or that are empty.
    #[error("bad bounds: {0}")]
    BadBounds(String),
    /// The Fisher matrix is not positive definite (a parameter the image does not constrain).
    #[error("the Fisher matrix is singular: some parameter is not constrained by the image")]
    SingularFisher,
    /// The optimiser failed.
    #[error("optimiser: {0}")]
    Solver(String),
    /// One image of a batch failed.
    #[error("image {index}: {source}")]
    Image {
        /// Its index in the batch.
        index: usize,
        /// Why.
        source: Box<FitError>,
    },
    /// The renderer refused the parameters.
    #[error(transparent)]
    Render(#[from] sersic_render::RenderError),
    /// The noise model refused its settings.
    #[error(transparent)]
    Noise(#[from] noise_model::NoiseError),
}

impl FitError {
    /// Whether the caller's input is at fault (data, settings, bounds, parameters) rather than the
    /// optimiser.
    pub fn is_bad_input(&self) -> bool {
        match self {
            FitError::Solver(_) => false,
            // The images were checked when read: a failure on one is the fitter's.
            FitError::Image { .. } => false,
            _ => true,
        }
    }
}
