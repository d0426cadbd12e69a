//! The training loop: batches made on their own thread, AdamW with warm-up and cosine decay, validation,
//! the best weights kept, early stopping.

use std::sync::mpsc::sync_channel;

use candle_core::Tensor;
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use galaxy_data::{Dataset, Simulator};

use super::data::{subset, TrainSource};
use super::objective::{Objective, Progress};
use super::options::TrainOptions;
use crate::error::NetError;

/// Called after every validation that improved, with its metrics and the samples seen (to save a
/// checkpoint).
pub type OnCheckpoint<'a, M> = dyn FnMut(&M, u64) -> Result<(), NetError> + 'a;

/// The training loop behind [`train`], for any [`Objective`]: batches made on their own thread, AdamW with
/// warm-up and cosine decay over samples or wall-clock time, validation every `eval_every` samples, the
/// best-scoring weights kept (and restored at the end), early stop after `patience` validations without
/// improvement.
#[allow(clippy::too_many_arguments)]
pub fn fit<O: Objective>(
    objective: &O,
    varmap: &VarMap,
    options: &TrainOptions,
    source: TrainSource,
    validation: &Dataset,
    device: &candle_core::Device,
    on_progress: &mut dyn FnMut(Progress<O::Metrics>),
    on_checkpoint: &mut OnCheckpoint<'_, O::Metrics>,
) -> Result<O::Metrics, NetError> {
    if options.batch == 0 || options.samples == 0 {
        return Err(NetError::BadInput(
            "batch and samples must be at least 1".into(),
        ));
    }
    let params = ParamsAdamW {
        lr: options.learning_rate,
        weight_decay: options.weight_decay,
        ..Default::default()
    };
    let mut opt = AdamW::new(varmap.all_vars(), params)?;
    let batch = options.batch;
    let steps = options.samples.div_ceil(batch as u64);
    let first_step = (options.start_sample / batch as u64).min(steps);
    let mut best: Option<O::Metrics> = None;
    let mut best_weights: Option<Vec<(String, Tensor)>> = None;
    let mut since_best = 0;
    let mut last_eval: Option<O::Metrics> = None;
    std::thread::scope(|scope| -> Result<(), NetError> {
        let (tx, rx) = sync_channel::<Result<Dataset, String>>(4);
        // Batches are made on their own thread (one rayon thread) while the network trains.
        let producer = match source {
            TrainSource::Simulated(settings) => {
                let seed = options.seed;
                scope.spawn(move || {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(1)
                        .build()
                        .expect("one thread");
                    let sim = match Simulator::new(*settings, seed) {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    for step in first_step..steps {
                        let first = step * batch as u64;
                        let b = pool
                            .install(|| sim.batch(first..first + batch as u64))
                            .map_err(|e| e.to_string());
                        if tx.send(b).is_err() {
                            return;
                        }
                    }
                })
            }
            TrainSource::Dataset(data) => scope.spawn(move || {
                let n = data.len();
                for step in first_step..steps {
                    let idx: Vec<usize> = (0..batch)
                        .map(|k| ((step as usize) * batch + k) % n)
                        .collect();
                    if tx.send(Ok(subset(&data, &idx))).is_err() {
                        return;
                    }
                }
            }),
        };
        let started = std::time::Instant::now();
        for step in first_step..steps {
            let data = rx
                .recv()
                .map_err(|_| NetError::Io("the batch producer stopped".into()))?
                .map_err(NetError::BadInput)?;
            let time_used = options
                .max_seconds
                .map_or(0.0, |limit| started.elapsed().as_secs_f64() / limit);
            let progress = (step as f64 / steps as f64).max(time_used).min(1.0);
            let out_of_time = time_used >= 1.0 && step > first_step;
            let warm = if progress < options.warmup {
                0.01 + 0.99 * progress / options.warmup
            } else {
                1.0
            };
            let lr = options.learning_rate
                * warm
                * (0.01 + 0.99 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            opt.set_learning_rate(lr);
            let l = objective.batch_loss(&data, device)?;
            opt.backward_step(&l)?;
            let seen = (step + 1) * batch as u64;
            // The last step of a run — by samples or by the clock — always validates, so a time budget
            // shorter than one validation interval still gives a scored model.
            let due = seen / options.eval_every > step * batch as u64 / options.eval_every
                || step + 1 == steps
                || out_of_time;
            if due {
                let m = objective.validate(validation, device)?;
                last_eval = Some(m);
                if best.is_none_or(|b| O::score(&m) < O::score(&b)) {
                    best = Some(m);
                    best_weights = Some(snapshot(varmap)?);
                    since_best = 0;
                    on_checkpoint(&m, seen)?;
                } else {
                    since_best += 1;
                }
            }
            on_progress(Progress {
                samples: seen,
                loss: l.to_scalar::<f32>()? as f64,
                validation: last_eval,
            });
            if since_best >= options.patience || out_of_time {
                break;
            }
        }
        drop(rx);
        let _ = producer.join();
        Ok(())
    })?;
    if let Some(weights) = best_weights {
        restore(varmap, &weights)?;
    }
    best.ok_or_else(|| NetError::BadInput("no validation was run".into()))
}

fn snapshot(varmap: &VarMap) -> Result<Vec<(String, Tensor)>, NetError> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| NetError::Io("variable map lock".into()))?;
    Ok(data
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().copy().expect("copy")))
        .collect())
}

fn restore(varmap: &VarMap, weights: &[(String, Tensor)]) -> Result<(), NetError> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| NetError::Io("variable map lock".into()))?;
    for (k, t) in weights {
        if let Some(v) = data.get(k) {
            v.set(t)?;
        }
    }
    Ok(())
}
