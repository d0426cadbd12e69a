//! What a card records of a network's training and validation, as typed records.
//!
//! Cards written before these types (the built-in models among them) read back unchanged: every field a
//! kind of network does not record is optional.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::denoiser::network::DenoiserConfig;

/// How a network was trained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// The training data in words ("data_v3 with log-uniform n, simulated on the fly, seed 53").
    pub data: String,
    /// Samples the weights have seen (a resumed run continues from here).
    pub samples_seen: u64,
    /// Batch size.
    pub batch: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Seed of the simulated stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Device it trained on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Whether n was learnt as ln n.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub log_n: bool,
    /// The loss, by name (`nll`, `mse-nll`, `mae-nll`, `l1 on image/sigma`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<String>,
    /// Fraction of the run the learning rate ramped up over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<f64>,
    /// The model it was fine-tuned from, with that model's own record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialised_from: Option<Box<Initialisation>>,
    /// The frozen denoiser its inputs passed through (a two-stage estimator's second stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denoiser: Option<DenoiserRecord>,
    /// How its errors were calibrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<CalibrationRecord>,
    /// The search trial it was, when trained by `search`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial: Option<String>,
    /// The search family of that trial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
}

/// The model a fine-tune started from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Initialisation {
    /// Its weights' path.
    pub path: String,
    /// Its training record.
    pub training: TrainingRecord,
}

/// The denoiser in front of a two-stage estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenoiserRecord {
    /// Its weights' path when trained.
    pub path: Option<String>,
    /// Its configuration: the denoiser given at prediction time must have the same.
    pub config: DenoiserConfig,
    /// Its trainable parameters.
    pub parameters: usize,
}

/// The prior the labels of simulated images were drawn from, on top of a preset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PriorRecord {
    /// n drawn from a continuous distribution.
    #[serde(default)]
    pub continuous_n: bool,
    /// n drawn log-uniform.
    #[serde(default)]
    pub log_uniform_n: bool,
    /// Shear uniform over the disk.
    #[serde(default)]
    pub disk_shear: bool,
    /// Gaussian shear of this spread per component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gaussian_shear: Option<f64>,
    /// The PSF family, offsets and noise range of the networks that read the PSF.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub psf_family: bool,
    /// With the PSF family: lopsided PSFs too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lopsided_psfs: bool,
}

impl From<galaxy_data::PriorOptions> for PriorRecord {
    fn from(p: galaxy_data::PriorOptions) -> Self {
        PriorRecord {
            continuous_n: p.continuous(),
            log_uniform_n: p.log_uniform_n,
            disk_shear: p.disk_shear,
            gaussian_shear: p.gaussian_shear,
            psf_family: p.psf_family,
            lopsided_psfs: p.lopsided_psfs,
        }
    }
}

/// How a model's errors were scaled to 1 sigma (`calibrate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRecord {
    /// The preset the held-out images were simulated from.
    pub preset: String,
    /// Whether n was continuous in them.
    #[serde(default)]
    pub continuous_n: bool,
    /// Their prior.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<PriorRecord>,
    /// Images in the calibration set (and again in the check set).
    pub count: u64,
    /// Seed of the calibration set.
    pub seed: u64,
    /// Seed of the independent check set.
    pub check_seed: u64,
    /// Coverage of ±1 error per parameter on the check set, before the scales.
    pub coverage_before: Vec<f64>,
    /// The same after.
    pub coverage_after: Vec<f64>,
}

/// An estimator's validation when its card was written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EstimatorValidation {
    /// Validation images.
    pub images: usize,
    /// Mean loss.
    pub loss: f64,
    /// RMSE per parameter by name, physical units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rmse: Option<BTreeMap<String, f64>>,
}

/// A denoiser's validation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DenoiserValidation {
    /// Validation pairs.
    pub images: usize,
    /// Mean |denoised − noiseless| / sigma.
    pub l1: f64,
    /// Mean (denoised − noiseless)² / sigma².
    pub mse_over_sigma2: f64,
}

/// An autoencoder's validation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderValidation {
    /// Validation images.
    pub images: usize,
    /// The training loss.
    pub loss: f64,
    /// Reconstruction MSE in units of sigma².
    pub reconstruction_mse_over_sigma2: f64,
    /// RMSE per parameter, physical units.
    pub rmse: [f64; 5],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_cards_records_read_back_typed() {
        let card: serde_json::Value =
            serde_json::from_str(include_str!("../models/default-v1.json")).unwrap();
        let t: TrainingRecord = serde_json::from_value(card["training"].clone()).unwrap();
        assert!(t.log_n && t.denoiser.is_none());
        let cal = t.calibration.as_ref().unwrap();
        assert_eq!(
            (cal.seed, cal.check_seed, cal.count),
            (900_001, 900_002, 20_000)
        );
        let first = t.initialised_from.as_ref().unwrap();
        assert!(first.training.samples_seen > 0);
        let v: EstimatorValidation = serde_json::from_value(card["validation"].clone()).unwrap();
        assert_eq!(v.images, 2000);
        assert!(v.rmse.unwrap()["flux"] > 0.0);
        // Written back and read again, the record is the same.
        let again: TrainingRecord =
            serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(again, t);
    }
}
