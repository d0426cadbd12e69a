//! A trained model on disk: weights (safetensors) and, beside them, a JSON card with everything needed to
//! use them.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use crate::estimator::{Estimator, EstimatorConfig};
use crate::scaling::Scaling;
use crate::NetError;

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
    pub training: serde_json::Value,
    /// Final validation metrics (loss, RMSE per parameter in physical units).
    pub validation: serde_json::Value,
    /// Number of trainable parameters.
    pub parameters: usize,
}

/// The card's path for a weights path: `model.safetensors` → `model.json`.
pub fn card_path(weights: &Path) -> PathBuf {
    weights.with_extension("json")
}

/// A model ready to run.
pub struct LoadedModel {
    /// The network.
    pub estimator: Estimator,
    /// Its card.
    pub card: ModelCard,
    /// The variables (weights and batch-norm statistics).
    pub varmap: VarMap,
}

/// Trainable parameters of a variable map (batch-norm running statistics excluded).
pub fn parameter_count(varmap: &VarMap) -> usize {
    let data = varmap.data().lock().expect("variable map lock");
    data.iter()
        .filter(|(name, _)| !name.ends_with("running_mean") && !name.ends_with("running_var"))
        .map(|(_, v)| v.elem_count())
        .sum()
}

/// Writes the weights and the card (each to a temporary name first, then renamed).
pub fn save(weights: &Path, varmap: &VarMap, card: &ModelCard) -> Result<(), NetError> {
    let io = |e: &dyn std::fmt::Display| NetError::Io(format!("{}: {e}", weights.display()));
    let tmp = weights.with_extension("safetensors.partial");
    varmap.save(&tmp).map_err(|e| io(&e))?;
    let json = serde_json::to_string_pretty(card).map_err(|e| io(&e))?;
    let card_tmp = card_path(weights).with_extension("json.partial");
    std::fs::write(&card_tmp, json).map_err(|e| io(&e))?;
    std::fs::rename(&tmp, weights).map_err(|e| io(&e))?;
    std::fs::rename(&card_tmp, card_path(weights)).map_err(|e| io(&e))?;
    Ok(())
}

/// Loads weights and their card; a card that does not describe the weights is an error naming both.
pub fn load(weights: &Path, device: &Device) -> Result<LoadedModel, NetError> {
    if !weights.is_file() {
        return Err(NetError::BadInput(format!(
            "model file {} does not exist",
            weights.display()
        )));
    }
    let card_file = card_path(weights);
    let text = std::fs::read_to_string(&card_file).map_err(|e| {
        NetError::BadInput(format!(
            "{}: cannot read the model's card: {e}",
            card_file.display()
        ))
    })?;
    let card: ModelCard = serde_json::from_str(&text).map_err(|e| {
        NetError::BadInput(format!("{}: not a model card: {e}", card_file.display()))
    })?;
    let mut varmap = VarMap::new();
    let estimator = Estimator::new(
        &card.estimator,
        VarBuilder::from_varmap(&varmap, DType::F32, device),
    )
    .map_err(|e| NetError::BadInput(format!("{}: {e}", card_file.display())))?;
    varmap.load(weights).map_err(|e| {
        NetError::BadInput(format!(
            "{} does not match its card {}: {e}",
            weights.display(),
            card_file.display()
        ))
    })?;
    Ok(LoadedModel {
        estimator,
        card,
        varmap,
    })
}
