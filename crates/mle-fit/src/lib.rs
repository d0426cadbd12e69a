#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
mod batch;
pub mod bounds;
mod error;

/// The noise model of the likelihood.
pub use noise_model;
/// The renderer the fitter draws with, for users who depend on `mle-fit` alone.
pub use sersic_render;

pub mod fisher;
mod fit;
pub mod image_fit;
pub mod lbfgsb;
pub mod model_fit;
mod noise_option;
pub mod objective;
mod posterior;
mod solve;
pub mod start;
pub mod unit_box;

pub use bounds::Bounds;
pub use error::FitError;
pub use fisher::{crb, fisher_matrix, Crb};
pub use fit::{FitOptions, FitResult, Fitter};
pub use image_fit::{
    fit_image, fit_image_from, ImageFitOptions, ImageFitResult, IMAGE_PARAM_NAMES,
};
pub use model_fit::{fit_model, ModelFitOptions, ModelFitResult, ModelSpec};
pub use noise_option::NoiseOption;
pub use posterior::{LogPrior, PosteriorOptions, PosteriorSampler, PosteriorSummary};
