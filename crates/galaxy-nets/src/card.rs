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
    /// Calibration: the predicted 1-sigma errors are multiplied by these (one per parameter) so that 68.3%
    /// of held-out estimates fall within them (see [`crate::calibrate`]); 1 until calibrated.
    #[serde(default = "unit_scales")]
    pub error_scale: [f64; 5],
}

fn unit_scales() -> [f64; 5] {
    [1.0; 5]
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
    /// A denoiser run on the inputs first: a two-stage estimator (the seed's denoise-then-measure
    /// pipeline). Attach one with [`LoadedModel::with_denoiser`].
    pub denoiser: Option<crate::denoise::Denoiser>,
}

impl LoadedModel {
    /// This estimator behind `denoiser`: images are denoised, then measured.
    pub fn with_denoiser(mut self, denoiser: crate::denoise::Denoiser) -> Self {
        self.denoiser = Some(denoiser);
        self
    }
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
    save_with(weights, varmap, card)
}

/// Writes weights and any card beside them (temporary names, then renamed): estimators, denoisers and
/// autoencoders share the layout.
pub fn save_with<C: Serialize>(weights: &Path, varmap: &VarMap, card: &C) -> Result<(), NetError> {
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

/// The card beside `weights`, read as `C` (`what` names the kind of card in the error).
pub fn read_card<C: serde::de::DeserializeOwned>(
    weights: &Path,
    what: &str,
) -> Result<C, NetError> {
    let cp = card_path(weights);
    let text = std::fs::read_to_string(&cp)
        .map_err(|e| NetError::BadInput(format!("{}: {e}", cp.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| NetError::BadInput(format!("{}: not {what}: {e}", cp.display())))
}

/// Rewrites only the card beside `weights` (temporary name, then renamed), e.g. after calibration.
pub fn save_card(weights: &Path, card: &ModelCard) -> Result<(), NetError> {
    let path = card_path(weights);
    let io = |e: &dyn std::fmt::Display| NetError::Io(format!("{}: {e}", path.display()));
    let json = serde_json::to_string_pretty(card).map_err(|e| io(&e))?;
    let tmp = path.with_extension("json.partial");
    std::fs::write(&tmp, json).map_err(|e| io(&e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io(&e))
}

/// A model's weights and card as read from disk, with the names that errors give them.
pub struct Parts {
    /// The safetensors bytes.
    pub weights: Vec<u8>,
    /// The card's JSON.
    pub card_json: String,
    /// How errors name the weights.
    pub weights_name: String,
    /// How errors name the card.
    pub card_name: String,
}

/// Reads `weights` and the card beside it; a missing file is an error naming it.
pub fn read_parts(weights: &Path) -> Result<Parts, NetError> {
    if !weights.is_file() {
        return Err(NetError::BadInput(format!(
            "model file {} does not exist",
            weights.display()
        )));
    }
    let card_file = card_path(weights);
    let card_json = std::fs::read_to_string(&card_file).map_err(|e| {
        NetError::BadInput(format!(
            "{}: cannot read the model's card: {e}",
            card_file.display()
        ))
    })?;
    let bytes = std::fs::read(weights)
        .map_err(|e| NetError::BadInput(format!("{}: {e}", weights.display())))?;
    Ok(Parts {
        weights: bytes,
        card_json,
        weights_name: weights.display().to_string(),
        card_name: card_file.display().to_string(),
    })
}

/// Parses a card of kind `C` (`what` names the kind in errors), builds its network with `build` on a
/// fresh variable map, and fills every variable from the safetensors bytes. A tensor the network lacks,
/// or one it has that the weights lack, is an error naming both files: weights and card must describe
/// the same network. Estimators, denoisers and autoencoders all load through here, from files and from
/// the bytes embedded in the binary alike.
pub fn build_from_parts<C, T>(
    weights: &[u8],
    card_json: &str,
    weights_name: &str,
    card_name: &str,
    what: &str,
    device: &Device,
    build: impl FnOnce(&C, VarBuilder) -> candle_core::Result<T>,
) -> Result<(C, T, VarMap), NetError>
where
    C: serde::de::DeserializeOwned,
{
    let card: C = serde_json::from_str(card_json)
        .map_err(|e| NetError::BadInput(format!("{card_name}: not {what}: {e}")))?;
    let varmap = VarMap::new();
    let net = build(&card, VarBuilder::from_varmap(&varmap, DType::F32, device))
        .map_err(|e| NetError::BadInput(format!("{card_name}: {e}")))?;
    let mismatch = |e: &dyn std::fmt::Display| {
        NetError::BadInput(format!(
            "{weights_name} does not match its card {card_name}: {e}"
        ))
    };
    let tensors =
        candle_core::safetensors::load_buffer(weights, device).map_err(|e| mismatch(&e))?;
    {
        let data = varmap.data().lock().expect("variable map lock");
        for (name, var) in data.iter() {
            let t = tensors
                .get(name)
                .ok_or_else(|| mismatch(&format!("no tensor {name}")))?;
            var.set(t).map_err(|e| mismatch(&format!("{name}: {e}")))?;
        }
        if let Some(extra) = tensors.keys().find(|k| !data.contains_key(*k)) {
            return Err(mismatch(&format!("unexpected tensor {extra}")));
        }
    }
    Ok((card, net, varmap))
}

/// Loads weights and their card; a card that does not describe the weights is an error naming both.
pub fn load(weights: &Path, device: &Device) -> Result<LoadedModel, NetError> {
    let p = read_parts(weights)?;
    from_parts(
        &p.weights,
        &p.card_json,
        &p.weights_name,
        &p.card_name,
        device,
    )
}

/// A model from the bytes of its safetensors and its card's JSON (the built-in models are embedded this
/// way); `weights_name` and `card_name` name them in errors.
pub fn from_parts(
    weights: &[u8],
    card_json: &str,
    weights_name: &str,
    card_name: &str,
    device: &Device,
) -> Result<LoadedModel, NetError> {
    let (card, estimator, varmap) = build_from_parts(
        weights,
        card_json,
        weights_name,
        card_name,
        "a model card",
        device,
        |c: &ModelCard, vb| Estimator::new(&c.estimator, vb),
    )?;
    Ok(LoadedModel {
        estimator,
        card,
        varmap,
        denoiser: None,
    })
}
