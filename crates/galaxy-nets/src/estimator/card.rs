//! An estimator's card (what its weights are and how they were trained) and loading it.

use std::path::Path;

use candle_core::Device;
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use super::network::{Estimator, EstimatorConfig};
use crate::card::{NetCard, Parts};
use crate::error::NetError;
use crate::records::{EstimatorValidation, TrainingRecord};
use crate::scaling::Scaling;

/// The JSON that travels with a model's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Format tag.
    pub format: String,
    /// The network's shape.
    pub estimator: EstimatorConfig,
    /// Input and label scaling.
    pub scaling: Scaling,
    /// What it was trained on and how.
    pub training: TrainingRecord,
    /// Final validation metrics (loss, RMSE per parameter in physical units).
    pub validation: EstimatorValidation,
    /// Number of trainable parameters.
    pub parameters: usize,
    /// Calibration: the predicted 1-sigma errors are multiplied by these (one per parameter) so that 68.3%
    /// of held-out estimates fall within them (see [`crate::calibrate`]); 1 until calibrated.
    #[serde(default = "unit_scales")]
    pub error_scale: Vec<f64>,
}

fn unit_scales() -> Vec<f64> {
    vec![1.0; 5]
}

/// A model ready to run.
pub struct LoadedModel {
    /// The network.
    pub estimator: Estimator,
    /// Its card.
    pub card: ModelCard,
    /// The variables (weights and batch-norm statistics).
    pub varmap: VarMap,
    /// A denoiser run on the inputs first: a two-stage estimator (the seed's denoise-then-measure
    /// pipeline). Attach one with [`LoadedModel::with_denoiser`].
    pub denoiser: Option<crate::denoiser::network::Denoiser>,
}

impl LoadedModel {
    /// This estimator behind `denoiser`: images are denoised, then measured.
    pub fn with_denoiser(mut self, denoiser: crate::denoiser::network::Denoiser) -> Self {
        self.denoiser = Some(denoiser);
        self
    }
}

impl NetCard for ModelCard {
    type Net = Estimator;
    const WHAT: &'static str = "a model card";
    fn build(&self, vb: VarBuilder) -> candle_core::Result<Estimator> {
        Estimator::new(&self.estimator, vb)
    }
}

/// Loads weights and their card; a card that does not describe the weights is an error naming both.
pub fn load(weights: &Path, device: &Device) -> Result<LoadedModel, NetError> {
    from_parts(&Parts::read(weights)?, device)
}

/// A model from its [`Parts`] (the built-in models are embedded this way).
pub fn from_parts(parts: &Parts<'_>, device: &Device) -> Result<LoadedModel, NetError> {
    let (card, estimator, varmap) = parts.build::<ModelCard>(device)?;
    Ok(LoadedModel {
        estimator,
        card,
        varmap,
        denoiser: None,
    })
}

/// Writes an estimator's weights and card (each to a temporary name first, then renamed).
pub fn save(weights: &Path, varmap: &VarMap, card: &ModelCard) -> Result<(), NetError> {
    crate::card::save_with(weights, varmap, card)
}
