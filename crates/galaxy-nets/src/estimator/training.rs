//! Training an estimator end to end: a fresh, resumed or fine-tuned start, an optional frozen denoiser
//! in front (the second stage of a two-stage estimator), checkpoints with a typed card.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use sersic_render::PARAM_NAMES;

use super::card::{load, ModelCard};
use super::network::{Estimator, EstimatorConfig};
use super::objective::{EstimatorObjective, Metrics};
use crate::card::parameter_count;
use crate::error::NetError;
use crate::records::{DenoiserRecord, EstimatorValidation, Initialisation, TrainingRecord};
use crate::scaling::Scaling;
use crate::train::{Progress, TrainOptions, Trained, Trainer, TrainingData, TrainingRun};

/// The format tag of estimator cards.
pub const FORMAT: &str = "galaxy-nets/1";

/// Where a run's weights start.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Freshly drawn.
    Fresh,
    /// From the checkpoint already at the output path: the schedule and the simulated stream continue
    /// from the sample count in its card. Its configuration and label scaling must be the run's.
    Resume,
    /// From another model of the same configuration (fine-tuning): a fresh schedule and stream; its
    /// training record is kept in the new card.
    FineTune(PathBuf),
}

/// Everything about an estimator's run besides its data and schedule.
#[derive(Debug, Clone)]
pub struct EstimatorTraining {
    /// The network.
    pub config: EstimatorConfig,
    /// Its input and label scaling (e.g. n learnt as ln n).
    pub scaling: Scaling,
    /// Where its weights start.
    pub start: Start,
    /// A trained denoiser the images pass through first (frozen).
    pub denoiser: Option<PathBuf>,
    /// Where the weights go (the card beside them).
    pub output: PathBuf,
    /// The device's name, for the card.
    pub device_name: String,
}

impl TrainingRun for EstimatorTraining {
    type Metrics = Metrics;

    fn network(&self) -> String {
        self.config.architecture.name().to_string()
    }

    /// Trains, saving a checkpoint at every validation that improved; `options.start_sample` is set
    /// from the checkpoint when resuming.
    fn train(
        &self,
        data: TrainingData,
        mut options: TrainOptions,
        device: &Device,
        on_progress: &mut dyn FnMut(Progress<Metrics>),
    ) -> Result<Trained<Metrics>, NetError> {
        let mut varmap = VarMap::new();
        let net = Estimator::new(
            &self.config,
            VarBuilder::from_varmap(&varmap, DType::F32, device),
        )
        .map_err(|e| NetError::BadInput(e.to_string()))?;
        let mut initialised_from = None;
        let earlier = match &self.start {
            Start::Fresh => None,
            Start::Resume => Some(self.output.as_path()),
            Start::FineTune(path) => Some(path.as_path()),
        };
        if let Some(path) = earlier {
            let previous = self.check_start(path, device)?;
            varmap
                .load(path)
                .map_err(|e| NetError::BadInput(format!("{}: {e}", path.display())))?;
            match self.start {
                Start::Resume => options.start_sample = previous.training.samples_seen,
                _ => {
                    initialised_from = Some(Box::new(Initialisation {
                        path: path.display().to_string(),
                        training: previous.training,
                    }))
                }
            }
        }
        let denoiser = match &self.denoiser {
            Some(path) => Some(crate::denoiser::card::load(path, device)?),
            None => None,
        };
        let denoiser_record = denoiser.as_ref().map(|d| DenoiserRecord {
            path: self.denoiser.as_ref().map(|p| p.display().to_string()),
            config: d.card.denoiser,
            parameters: d.card.parameters,
        });
        let objective = EstimatorObjective {
            net: &net,
            scaling: &self.scaling,
            kind: options.loss,
            denoiser: denoiser.as_ref().map(|d| &d.net),
        };
        let parameters = parameter_count(&varmap);
        let images = data.validation.len();
        let record = TrainingRecord {
            seed: Some(options.seed),
            device: Some(self.device_name.clone()),
            log_n: self.scaling.log_labels[1],
            loss: Some(options.loss.name().to_string()),
            warmup: Some(options.warmup),
            initialised_from,
            denoiser: denoiser_record,
            ..data.record(&options)
        };
        let card = |m: &Metrics, seen: u64| ModelCard {
            format: FORMAT.into(),
            estimator: self.config.clone(),
            scaling: self.scaling.clone(),
            training: TrainingRecord {
                samples_seen: seen,
                ..record.clone()
            },
            validation: validation_record(images, m),
            parameters,
            error_scale: vec![1.0; self.config.parameters()],
        };
        Trainer::new(&objective, &varmap, device)
            .options(options)
            .checkpoints(&self.output, card)
            .on_progress(on_progress)
            .train(data)
    }
}

impl EstimatorTraining {
    /// The card of the weights a run starts from, checked against the run.
    fn check_start(&self, path: &Path, device: &Device) -> Result<ModelCard, NetError> {
        let previous = load(path, device)?.card;
        if previous.estimator != self.config {
            return Err(NetError::BadInput(format!(
                "{} was trained with another configuration",
                path.display()
            )));
        }
        if self.start == Start::Resume && previous.scaling != self.scaling {
            return Err(NetError::BadInput(format!(
                "{} was trained with another label scaling (--log-n)",
                path.display()
            )));
        }
        Ok(previous)
    }
}

/// An estimator's validation as its card records it.
pub fn validation_record(images: usize, m: &Metrics) -> EstimatorValidation {
    EstimatorValidation {
        images,
        loss: m.loss,
        // The offsets' RMSEs are 0 for a network that does not estimate them: left out.
        rmse: Some(
            PARAM_NAMES
                .iter()
                .chain(["dx_pixels", "dy_pixels"].iter())
                .zip(m.rmse)
                .enumerate()
                .filter(|&(j, (_, v))| j < 5 || v != 0.0)
                .map(|(_, (k, v))| (k.to_string(), v))
                .collect(),
        ),
    }
}
