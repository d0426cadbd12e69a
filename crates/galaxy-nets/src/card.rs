//! A trained network on disk: weights (safetensors) and, beside them, a JSON card with everything needed
//! to use them. Estimators, denoisers and autoencoders share this layout; each kind's card type says how
//! to build its network ([`NetCard`]) and all load through [`Parts::build`].

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use serde::Serialize;

use crate::error::NetError;

/// The card's path for a weights path: `model.safetensors` → `model.json`.
pub fn card_path(weights: &Path) -> PathBuf {
    weights.with_extension("json")
}

/// Trainable parameters of a variable map (batch-norm running statistics excluded).
pub fn parameter_count(varmap: &VarMap) -> usize {
    let data = varmap.data().lock().expect("variable map lock");
    data.iter()
        .filter(|(name, _)| !name.ends_with("running_mean") && !name.ends_with("running_var"))
        .map(|(_, v)| v.elem_count())
        .sum()
}

/// Writes weights and any card beside them, each whole or not at all (a temporary file, then renamed):
/// estimators, denoisers and autoencoders share the layout.
pub fn save_with<C: Serialize>(weights: &Path, varmap: &VarMap, card: &C) -> Result<(), NetError> {
    galaxy_data::atomic::write_via_path(weights, |tmp| varmap.save(tmp))?;
    save_card(weights, card)
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

/// Rewrites only the card beside `weights` (a temporary file, then renamed), e.g. after calibration.
pub fn save_card<C: Serialize>(weights: &Path, card: &C) -> Result<(), NetError> {
    let path = card_path(weights);
    let json = serde_json::to_string_pretty(card)
        .map_err(|e| NetError::Io(format!("{}: {e}", path.display())))?;
    galaxy_data::atomic::write_bytes(&path, json.as_bytes())?;
    Ok(())
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
