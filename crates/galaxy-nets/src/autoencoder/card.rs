//! The autoencoder's card, and saving and loading its weights with it.

use std::path::Path;

use candle_core::Device;
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use crate::card::{card_path, NetCard, Parts};
use crate::error::NetError;
use crate::models::autoencoder::{Autoencoder, AutoencoderConfig};
use crate::records::{AutoencoderValidation, TrainingRecord};
use crate::scaling::Scaling;

/// The JSON beside an autoencoder's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderCard {
    /// Format tag ("galaxy-autoencoder/1").
    pub format: String,
    /// The network's shape.
    pub autoencoder: AutoencoderConfig,
    /// Label scaling (inputs are images / sigma).
    pub scaling: Scaling,
    /// What it was trained on and how.
    pub training: TrainingRecord,
    /// Final validation metrics.
    pub validation: AutoencoderValidation,
    /// Trainable parameters.
    pub parameters: usize,
}

/// The format tag of autoencoder cards.
pub const FORMAT: &str = "galaxy-autoencoder/1";

/// An autoencoder ready to run.
pub struct LoadedAutoencoder {
    /// The network.
    pub net: Autoencoder,
    /// Its card.
    pub card: AutoencoderCard,
    /// Its variables.
    pub varmap: VarMap,
}

/// Writes weights and card (temporary names, then renamed).
pub fn save(weights: &Path, varmap: &VarMap, card: &AutoencoderCard) -> Result<(), NetError> {
    crate::card::save_with(weights, varmap, card)
}

/// Whether the card beside `weights` is an autoencoder's.
pub fn is_autoencoder(weights: &Path) -> bool {
    std::fs::read_to_string(card_path(weights))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v["format"] == FORMAT)
}

/// Loads an autoencoder saved by [`save`].
pub fn load(weights: &Path, device: &Device) -> Result<LoadedAutoencoder, NetError> {
    from_parts(&Parts::read(weights)?, device)
}

/// An autoencoder from its [`Parts`] (the built-in one is embedded this way).
pub fn from_parts(parts: &Parts<'_>, device: &Device) -> Result<LoadedAutoencoder, NetError> {
    let (card, net, varmap) = parts.build::<AutoencoderCard>(device)?;
    Ok(LoadedAutoencoder { net, card, varmap })
}

impl NetCard for AutoencoderCard {
    type Net = Autoencoder;
    const WHAT: &'static str = "an autoencoder card";
    fn build(&self, vb: VarBuilder) -> candle_core::Result<Autoencoder> {
        Autoencoder::new(&self.autoencoder, vb)
    }
}
