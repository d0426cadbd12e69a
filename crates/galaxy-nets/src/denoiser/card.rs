//! A denoiser's card, and saving and loading its weights with it.

use std::path::Path;

use candle_core::Device;
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use super::network::{Denoiser, DenoiserConfig};
use crate::card::{parameter_count, NetCard, Parts};
use crate::error::NetError;
use crate::records::{DenoiserValidation, TrainingRecord};

/// The format tag of denoiser cards.
pub const FORMAT: &str = "galaxy-denoiser/1";

/// The JSON beside a denoiser's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenoiserCard {
    /// Format tag ("galaxy-denoiser/1").
    pub format: String,
    /// The network's shape.
    pub denoiser: DenoiserConfig,
    /// What it was trained on and how.
    pub training: TrainingRecord,
    /// Final validation metrics.
    pub validation: DenoiserValidation,
    /// Trainable parameters.
    pub parameters: usize,
}

/// A denoiser ready to run.
pub struct LoadedDenoiser {
    /// The network.
    pub net: Denoiser,
    /// Its card.
    pub card: DenoiserCard,
    /// Its variables.
    pub varmap: VarMap,
}

/// Writes weights and card (temporary names, then renamed).
pub fn save(weights: &Path, varmap: &VarMap, card: &DenoiserCard) -> Result<(), NetError> {
    crate::card::save_with(weights, varmap, card)
}

/// Loads a denoiser saved by [`save`].
pub fn load(weights: &Path, device: &Device) -> Result<LoadedDenoiser, NetError> {
    from_parts(&Parts::read(weights)?, device)
}

/// A denoiser from its [`Parts`] (the built-in one is embedded this way).
pub fn from_parts(parts: &Parts<'_>, device: &Device) -> Result<LoadedDenoiser, NetError> {
    let (card, net, varmap) = parts.build::<DenoiserCard>(device)?;
    Ok(LoadedDenoiser { net, card, varmap })
}

impl NetCard for DenoiserCard {
    type Net = Denoiser;
    const WHAT: &'static str = "a denoiser card";
    fn build(&self, vb: VarBuilder) -> candle_core::Result<Denoiser> {
        Denoiser::new(&self.denoiser, vb)
    }
}

/// Trainable parameters of a loaded denoiser.
pub fn parameters(model: &LoadedDenoiser) -> usize {
    parameter_count(&model.varmap)
}
