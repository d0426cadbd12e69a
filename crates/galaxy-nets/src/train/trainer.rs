//! [`Trainer`]: one training run, built step by step, that saves a checkpoint (weights and card) at
//! every validation that improved.

use std::path::{Path, PathBuf};

use candle_core::Device;
use candle_nn::VarMap;
use serde::Serialize;

use galaxy_data::Dataset;

use super::data::{TrainSource, TrainingData};
use super::fit_loop::fit;
use super::objective::{Objective, Progress};
use super::options::TrainOptions;
use crate::error::NetError;

/// What a run gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trained<M> {
    /// The best validation's metrics (its weights are the ones kept and saved).
    pub metrics: M,
    /// Trainable parameters.
    pub parameters: usize,
}

type CardFn<'a, M> = Box<dyn Fn(&M, u64) -> Result<(), NetError> + 'a>;

/// A training run of any [`Objective`]: its options, where checkpoints go, and who hears of progress.
///
/// ```no_run
/// # use galaxy_nets::train::{Trainer, TrainOptions, TrainingData};
/// # fn demo<O: galaxy_nets::train::Objective>(objective: &O, varmap: &candle_nn::VarMap,
/// #        data: TrainingData) -> Result<(), galaxy_nets::NetError> {
/// let best = Trainer::new(objective, varmap, &candle_core::Device::Cpu)
///     .options(TrainOptions { samples: 10_000, ..TrainOptions::default() })
///     .on_progress(|p| eprintln!("{} samples, loss {:.3}", p.samples, p.loss))
///     .run(data.source, &data.validation)?;
/// # Ok(()) }
/// ```
pub struct Trainer<'a, O: Objective> {
    objective: &'a O,
    varmap: &'a VarMap,
    device: Device,
    options: TrainOptions,
    checkpoint: Option<(PathBuf, CardFn<'a, O::Metrics>)>,
    on_progress: Box<dyn FnMut(Progress<O::Metrics>) + 'a>,
}

impl<'a, O: Objective> Trainer<'a, O> {
    /// A run of `objective`, whose network's variables are `varmap`, on `device`, with default options.
    pub fn new(objective: &'a O, varmap: &'a VarMap, device: &Device) -> Self {
        Trainer {
            objective,
            varmap,
            device: device.clone(),
            options: TrainOptions::default(),
            checkpoint: None,
            on_progress: Box::new(|_| {}),
        }
    }

    /// The run's options (batch, rate, samples, validation, seed, budget, patience, a resumed start).
    pub fn options(mut self, options: TrainOptions) -> Self {
        self.options = options;
        self
    }

    /// Saves the weights to `weights` and the card `card(metrics, samples_seen)` beside them at every
    /// validation that improved (each file whole or not at all).
    pub fn checkpoints<C: Serialize + 'a>(
        mut self,
        weights: &Path,
        card: impl Fn(&O::Metrics, u64) -> C + 'a,
    ) -> Self {
        let (varmap, path) = (self.varmap, weights.to_path_buf());
        let save: CardFn<'a, O::Metrics> =
            Box::new(move |m, seen| crate::card::save_with(&path, varmap, &card(m, seen)));
        self.checkpoint = Some((weights.to_path_buf(), save));
        self
    }

    /// Called after every step with the samples seen, the step's loss and the last validation.
    pub fn on_progress(mut self, f: impl FnMut(Progress<O::Metrics>) + 'a) -> Self {
        self.on_progress = Box::new(f);
        self
    }

    /// Trains on `data` ([`run`](Self::run)) and says how many parameters were trained.
    pub fn train(self, data: TrainingData) -> Result<Trained<O::Metrics>, NetError> {
        let varmap = self.varmap;
        let metrics = self.run(data.source, &data.validation)?;
        Ok(Trained {
            metrics,
            parameters: crate::card::parameter_count(varmap),
        })
    }

    /// Trains; leaves the best validated weights in the variables (and, with checkpoints, on disk) and
    /// returns their metrics.
    pub fn run(
        mut self,
        source: TrainSource,
        validation: &Dataset,
    ) -> Result<O::Metrics, NetError> {
        let mut save = |m: &O::Metrics, seen: u64| match &self.checkpoint {
            Some((_, save)) => save(m, seen),
            None => Ok(()),
        };
        fit(
            self.objective,
            self.varmap,
            &self.options,
            source,
            validation,
            &self.device,
            &mut *self.on_progress,
            &mut save,
        )
    }
}
