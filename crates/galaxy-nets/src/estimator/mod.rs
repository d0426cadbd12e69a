//! Estimators of (flux, n, hlr, g1, g2): the network ([`network`]), its card and files ([`card`]), its
//! training objective ([`objective`]) and run ([`training`]), and predictions for images ([`predict()`](predict::predict)).

pub mod card;
pub mod network;
pub mod objective;
pub mod predict;
pub mod training;

pub use card::{from_parts, load, save, LoadedModel, ModelCard};
pub use network::{Architecture, Estimator, EstimatorConfig};
pub use objective::{evaluate, loss, EstimatorObjective, Metrics};
pub use predict::{
    predict, predict_dataset, predict_views, predict_with_psf, Prediction, PsfPrediction, Views,
};
pub use training::{EstimatorTraining, Start};
