//! Training the autoencoder: simulated images, noiseless images and labels; checkpoints with a card.

use std::path::PathBuf;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};

use super::card::{AutoencoderCard, FORMAT};
use super::objective::{AutoencoderMetrics, AutoencoderObjective};
use crate::card::parameter_count;
use crate::error::NetError;
use crate::models::autoencoder::{Autoencoder, AutoencoderConfig};
use crate::records::{AutoencoderValidation, TrainingRecord};
use crate::scaling::Scaling;
use crate::train::{Progress, TrainOptions, Trained, Trainer, TrainingData, TrainingRun};

/// An autoencoder's run besides its data and schedule.
#[derive(Debug, Clone)]
pub struct AutoencoderTraining {
    /// The network.
    pub config: AutoencoderConfig,
    /// Where the weights go (the card beside them).
    pub output: PathBuf,
}

impl TrainingRun for AutoencoderTraining {
    type Metrics = AutoencoderMetrics;

    fn network(&self) -> String {
        "autoencoder".to_string()
    }

    /// Trains from fresh weights, saving a checkpoint at every validation that improved.
    fn train(
        &self,
        data: TrainingData,
        options: TrainOptions,
        device: &Device,
        on_progress: &mut dyn FnMut(Progress<AutoencoderMetrics>),
    ) -> Result<Trained<AutoencoderMetrics>, NetError> {
        let varmap = VarMap::new();
        let net = Autoencoder::new(
            &self.config,
            VarBuilder::from_varmap(&varmap, DType::F32, device),
        )
        .map_err(|e| NetError::BadInput(e.to_string()))?;
        let scaling = Scaling::default();
        let parameters = parameter_count(&varmap);
        let images = data.validation.len();
        let record = data.record(&options);
        let card = |m: &AutoencoderMetrics, seen: u64| AutoencoderCard {
            format: FORMAT.into(),
            autoencoder: self.config.clone(),
            scaling: scaling.clone(),
            training: TrainingRecord {
                samples_seen: seen,
                ..record.clone()
            },
            validation: AutoencoderValidation {
                images,
                loss: m.loss,
                reconstruction_mse_over_sigma2: m.reconstruction,
                rmse: m.rmse,
            },
            parameters,
        };
        let objective = AutoencoderObjective {
            net: &net,
            scaling: &scaling,
        };
        Trainer::new(&objective, &varmap, device)
            .options(options)
            .checkpoints(&self.output, card)
            .on_progress(on_progress)
            .train(data)
    }
}
