//! Two-stage estimators: a denoiser in front of an estimator trained on its output (the seed's
//! denoise-then-measure pipeline), and the rule that keeps the two stages matched.

use std::path::Path;

use candle_core::Device;

use crate::error::NetError;
use crate::estimator::LoadedModel;

/// Puts the denoiser at `denoiser` in front of `model` when the model was trained behind it (`galaxy
/// train --denoiser`). A two-stage model without its denoiser, behind another one, or a one-stage model
/// behind one is [`NetError::BadInput`] naming the model (`model_name`): each would measure images unlike
/// those it learned from.
pub fn attach_denoiser(
    model: LoadedModel,
    model_name: &str,
    denoiser: Option<&Path>,
    device: &Device,
) -> Result<LoadedModel, NetError> {
    let trained_on = model.card.training.denoiser.clone();
    match (denoiser, trained_on) {
        (Some(path), Some(record)) => {
            let d = crate::denoiser::load(path, device)
                .map_err(|e| NetError::BadInput(format!("--denoiser: {e}")))?;
            if d.card.denoiser != record.config {
                return Err(NetError::BadInput(format!(
                    "--denoiser {} is not the denoiser {model_name} was trained behind",
                    path.display()
                )));
            }
            Ok(model.with_denoiser(d.net))
        }
        (None, None) => Ok(model),
        (Some(_), None) => Err(NetError::BadInput(format!(
            "{model_name} was trained on raw images, not denoised ones: drop --denoiser"
        ))),
        (None, Some(record)) => Err(NetError::BadInput(format!(
            "{model_name} measures denoised images (trained behind {}): give --denoiser",
            record.path.as_deref().unwrap_or("a denoiser")
        ))),
    }
}
