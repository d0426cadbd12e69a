//! A trained model on disk: weights (safetensors) and, beside them, a JSON card with everything needed to
//! use them.

use std::borrow::Cow;
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

/// A kind of card whose network can be built from it. It ties the card type to its network and to the
/// words errors use for it, so that estimators, denoisers and autoencoders all load through
/// [`Parts::build`].
pub trait NetCard: serde::de::DeserializeOwned {
    /// The network the card describes.
    type Net;
    /// How errors name the kind of card ("a model card").
    const WHAT: &'static str;
    /// The network, its variables created through `vb`.
    fn build(&self, vb: VarBuilder) -> candle_core::Result<Self::Net>;
}

impl NetCard for ModelCard {
    type Net = Estimator;
    const WHAT: &'static str = "a model card";
    fn build(&self, vb: VarBuilder) -> candle_core::Result<Estimator> {
        Estimator::new(&self.estimator, vb)
    }
}

/// A model's weights and card, read from disk or embedded in a binary, with the names errors give them.
pub struct Parts<'a> {
    weights: Cow<'a, [u8]>,
    card_json: Cow<'a, str>,
    weights_name: String,
    card_name: String,
}

impl Parts<'static> {
    /// Reads `weights` and the card beside it; a missing file is an error naming it.
    pub fn read(weights: &Path) -> Result<Self, NetError> {
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
            weights: Cow::Owned(bytes),
            card_json: Cow::Owned(card_json),
            weights_name: weights.display().to_string(),
            card_name: card_file.display().to_string(),
        })
    }
}

impl<'a> Parts<'a> {
    /// A model embedded in the binary under `name`; errors call its files "built-in NAME.safetensors" and
    /// "built-in NAME.json".
    pub fn embedded(name: &str, weights: &'a [u8], card_json: &'a str) -> Self {
        Parts {
            weights: Cow::Borrowed(weights),
            card_json: Cow::Borrowed(card_json),
            weights_name: format!("built-in {name}.safetensors"),
            card_name: format!("built-in {name}.json"),
        }
    }

    /// Parses the card as `C`, builds its network on a fresh variable map, and fills every variable from
    /// the weights. A tensor the network lacks, or one it has that the weights lack, is an error naming
    /// both files: weights and card must describe the same network.
    pub fn build<C: NetCard>(&self, device: &Device) -> Result<(C, C::Net, VarMap), NetError> {
        let (weights_name, card_name) = (&self.weights_name, &self.card_name);
        let card: C = serde_json::from_str(&self.card_json)
            .map_err(|e| NetError::BadInput(format!("{card_name}: not {}: {e}", C::WHAT)))?;
        let varmap = VarMap::new();
        let net = card
            .build(VarBuilder::from_varmap(&varmap, DType::F32, device))
            .map_err(|e| NetError::BadInput(format!("{card_name}: {e}")))?;
        let mismatch = |e: &dyn std::fmt::Display| {
            NetError::BadInput(format!(
                "{weights_name} does not match its card {card_name}: {e}"
            ))
        };
        let tensors = candle_core::safetensors::load_buffer(&self.weights, device)
            .map_err(|e| mismatch(&e))?;
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
