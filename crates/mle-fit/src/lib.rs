//! Maximum-likelihood fits of Sérsic galaxies, Fisher matrices and Cramér–Rao bounds.
#![warn(missing_docs)]
//!
//! * [`fisher`]: F_ij = Σ ∂μ/∂θ_i ∂μ/∂θ_j / V + ½ Σ ∂V/∂θ_i ∂V/∂θ_j / V² from the renderer's exact Jacobian,
//!   and the Cramér–Rao bound sqrt(diag F⁻¹) for any galaxy, PSF and noise ([`crb`]).
//! * [`Fitter`]: the maximum-likelihood estimate of (flux, n, hlr, g1, g2) for one image: a start from the
//!   pixel sum and adaptive moments, a few starts in n, bounded L-BFGS ([`lbfgsb::ProjectedLbfgs`], an
//!   argmin solver) on the exact gradient in unit-box coordinates, errors from the Fisher matrix at the
//!   estimate.
//! * [`PosteriorSampler`]: the posterior mean and spread of θ under a prior (importance sampling on a grid
//!   of n): the smallest mean squared error over that prior, the bar for a network trained on it.
//!
//! ```
//! use mle_fit::{crb, NoiseOption};
//! use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};
//! let renderer = Renderer::new(Stamp::default()).unwrap();
//! let galaxy = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
//! let psf = Psf::moffat(2.0, 0.5).unwrap();
//! let bound = crb(&renderer, &galaxy, &psf, &NoiseOption::Poisson.noise(200.0).unwrap()).unwrap();
//! assert!((bound.sigma[0] / 5650.0 - 1.0).abs() < 0.02); // the reference's 0.0565e5
//! ```

pub mod bounds;
pub mod fisher;
mod fit;
pub mod lbfgsb;
mod noise_option;
pub mod objective;
mod posterior;
pub mod start;

pub use bounds::Bounds;
pub use fisher::{crb, fisher_matrix, Crb};
pub use fit::{FitOptions, FitResult, Fitter};
pub use noise_option::NoiseOption;
pub use posterior::{LogPrior, PosteriorOptions, PosteriorSampler, PosteriorSummary};

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
        !matches!(self, FitError::Solver(_))
    }
}
