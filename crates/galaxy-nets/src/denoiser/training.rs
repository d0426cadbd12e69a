//! Training a denoiser: (noisy, noiseless) pairs, the L1 loss, checkpoints with a typed card.

use std::path::PathBuf;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};

use super::card::{DenoiserCard, FORMAT};
use super::network::{Denoiser, DenoiserConfig};
use super::objective::{DenoiseMetrics, DenoiseObjective};
use crate::card::parameter_count;
use crate::error::NetError;
use crate::records::{DenoiserValidation, TrainingRecord};
use crate::train::{Progress, TrainOptions, Trained, Trainer, TrainingData, TrainingRun};

/// A denoiser's run besides its data and schedule.
#[derive(Debug, Clone)]
pub struct DenoiserTraining {
    /// The network.
    pub config: DenoiserConfig,
    /// Where the weights go (the card beside them).
    pub output: PathBuf,
}

impl TrainingRun for DenoiserTraining {
    type Metrics = DenoiseMetrics;

    fn network(&self) -> String {
        self.config.name().to_string()
    }

    /// Trains from fresh weights, saving a checkpoint at every validation that improved.
    fn train(
        &self,
        data: TrainingData,
        options: TrainOptions,
        device: &Device,
        on_progress: &mut dyn FnMut(Progress<DenoiseMetrics>),
    ) -> Result<Trained<DenoiseMetrics>, NetError> {
        let varmap = VarMap::new();
        let net = Denoiser::new(
            &self.config,
            VarBuilder::from_varmap(&varmap, DType::F32, device),
        )
        .map_err(|e| NetError::BadInput(e.to_string()))?;
        let parameters = parameter_count(&varmap);
        let images = data.validation.len();
        let record = TrainingRecord {
            loss: Some("l1 on image/sigma".into()),
            ..data.record(&options)
        };
        let card = |m: &DenoiseMetrics, seen: u64| DenoiserCard {
            format: FORMAT.into(),
            denoiser: self.config,
            training: TrainingRecord {
                samples_seen: seen,
                ..record.clone()
            },
            validation: DenoiserValidation {
                images,
                l1: m.l1,
                mse_over_sigma2: m.mse,
            },
            parameters,
        };
        let objective = DenoiseObjective { net: &net };
        Trainer::new(&objective, &varmap, device)
            .options(options)
            .checkpoints(&self.output, card)
            .on_progress(on_progress)
            .train(data)
    }
}
