//! Training an estimator: AdamW, cosine learning-rate decay, validation on a fixed set, early stopping,
//! checkpoints, and batches simulated on a background thread.

use std::sync::mpsc::sync_channel;

use candle_core::{Device, Tensor, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use galaxy_data::{Dataset, SimSettings, Simulator};
use serde::{Deserialize, Serialize};

use crate::estimator::Estimator;
use crate::scaling::Scaling;
use crate::NetError;

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Samples per step.
    pub batch: usize,
    /// Peak learning rate (cosine decay to 1% of it over the run).
    pub learning_rate: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Training samples to see in all.
    pub samples: u64,
    /// Validate every this many samples.
    pub eval_every: u64,
    /// Stop after this many validations without improvement.
    pub patience: usize,
    /// Seed of the simulated training stream (validation uses seed + 1).
    pub seed: u64,
    /// Samples already seen by the weights being trained (a resumed run): the schedule and the simulated
    /// stream continue from there.
    pub start_sample: u64,
    /// Wall-clock budget in seconds: the learning-rate schedule follows whichever of samples and time is
    /// further along, and training stops (after a last validation) when the time is up.
    pub max_seconds: Option<f64>,
    /// Fraction of the run over which the learning rate ramps up linearly from 1% of its peak (useful
    /// when fine-tuning trained weights with fresh optimiser moments).
    #[serde(default)]
    pub warmup: f64,
    /// How the estimates are trained when the network also predicts its errors.
    #[serde(default)]
    pub loss: LossKind,
}

/// The training loss of a network with error outputs (a network without them always uses the MSE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Gaussian negative log-likelihood of estimate and log-variance together. It weights every sample by
    /// its predicted inverse variance, so low-SNR images count for less in the estimates.
    #[default]
    Nll,
    /// The estimates by mean squared error (every sample equal: the posterior mean, the seed's
    /// objective), the log-variances by the Gaussian NLL of those estimates held fixed.
    MseNll,
    /// The estimates by mean absolute error (the posterior median: for a skewed posterior — the Sérsic
    /// index of a faint galaxy — less biased than the mean), the log-variances as in `MseNll`.
    MaeNll,
}

impl std::str::FromStr for LossKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "nll" => Ok(LossKind::Nll),
            "mse-nll" => Ok(LossKind::MseNll),
            "mae-nll" => Ok(LossKind::MaeNll),
            _ => Err(format!(
                "unknown loss '{s}'; expected nll, mse-nll or mae-nll"
            )),
        }
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            batch: 64,
            learning_rate: 2e-3,
            weight_decay: 1e-4,
            samples: 200_000,
            eval_every: 20_000,
            patience: 5,
            seed: 1,
            start_sample: 0,
            max_seconds: None,
            warmup: 0.0,
            loss: LossKind::Nll,
        }
    }
}

/// Where training samples come from.
pub enum TrainSource {
    /// Simulated afresh for every batch (no overfitting, no disk).
    Simulated(Box<SimSettings>),
    /// A dataset in memory, cycled in order.
    Dataset(Box<Dataset>),
}

/// Validation metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean loss.
    pub loss: f64,
    /// RMSE per parameter, physical units.
    pub rmse: [f64; 5],
}

/// Where a run stands, reported after every step.
#[derive(Debug, Clone, Copy)]
pub struct Progress<M = Metrics> {
    /// Samples seen.
    pub samples: u64,
    /// Loss of the last step.
    pub loss: f64,
    /// The last validation, if any yet.
    pub validation: Option<M>,
}

/// What a training run minimises: the loss of a batch and the validation that picks the weights kept.
/// Estimators (labels) and denoisers (images) share the loop of [`fit`] through it.
pub trait Objective {
    /// What a validation reports.
    type Metrics: Copy;
    /// The training loss of a batch, in training mode.
    fn batch_loss(&self, data: &Dataset, device: &Device) -> Result<Tensor, NetError>;
    /// Validation metrics on a dataset, in inference mode.
    fn validate(&self, data: &Dataset, device: &Device) -> Result<Self::Metrics, NetError>;
    /// The number kept weights minimise.
    fn score(metrics: &Self::Metrics) -> f64;
}

/// An estimator's objective: scaled labels, the MSE or one of the [`LossKind`]s.
pub struct EstimatorObjective<'a> {
    /// The network.
    pub net: &'a Estimator,
    /// Its input and label scaling.
    pub scaling: &'a Scaling,
    /// The loss with error outputs.
    pub kind: LossKind,
    /// A frozen denoiser applied to the inputs first (training the second stage of a two-stage estimator).
    pub denoiser: Option<&'a crate::denoise::Denoiser>,
}

impl EstimatorObjective<'_> {
    /// The network's inputs: images / sigma, through the denoiser if there is one (no gradient to it).
    fn inputs(
        &self,
        data: &Dataset,
        range: std::ops::Range<usize>,
        device: &Device,
    ) -> Result<(Tensor, Tensor), NetError> {
        let (x, c) = self.scaling.dataset_inputs(data, range, device)?;
        let x = match self.denoiser {
            Some(d) => candle_core::Module::forward(d, &x)?.detach(),
            None => x,
        };
        Ok((x, c))
    }
}

impl Objective for EstimatorObjective<'_> {
    type Metrics = Metrics;
    fn batch_loss(&self, data: &Dataset, device: &Device) -> Result<Tensor, NetError> {
        let (x, c) = self.inputs(data, 0..data.len(), device)?;
        let y = self.scaling.targets(data, 0..data.len(), device)?;
        let out = self.net.forward_t(&x, Some(&c), true)?;
        Ok(loss(&out, &y, self.net.config().uncertainty, self.kind)?)
    }
    fn validate(&self, data: &Dataset, device: &Device) -> Result<Metrics, NetError> {
        let n = data.len();
        let (mut total, mut sq) = (0.0, [0.0f64; 5]);
        let mut start = 0;
        while start < n {
            let end = (start + 256).min(n);
            let (x, c) = self.inputs(data, start..end, device)?;
            let y = self.scaling.targets(data, start..end, device)?;
            let out = self.net.forward_t(&x, Some(&c), false)?;
            total += loss(&out, &y, self.net.config().uncertainty, self.kind)?.to_scalar::<f32>()?
                as f64
                * (end - start) as f64;
            let pred: Vec<Vec<f32>> = out.narrow(D::Minus1, 0, 5)?.to_vec2()?;
            for (k, row) in pred.iter().enumerate() {
                for j in 0..5 {
                    let est = self.scaling.unscale_label(j, f64::from(row[j]));
                    sq[j] += (est - f64::from(data.label[[start + k, j]])).powi(2);
                }
            }
            start = end;
        }
        Ok(Metrics {
            loss: total / n as f64,
            rmse: sq.map(|s| (s / n as f64).sqrt()),
        })
    }
    fn score(metrics: &Metrics) -> f64 {
        metrics.loss
    }
}

/// The loss: MSE on scaled labels, or with log-variance outputs s the Gaussian NLL ½(e^{−s}(y − μ)² + s)
/// (`LossKind::Nll`), or (y − μ)² (`MseNll`) or |y − μ| (`MaeNll`) plus ½(e^{−s}(y − μ)² + s) with μ held
/// fixed in that second term.
pub fn loss(
    output: &Tensor,
    target: &Tensor,
    uncertainty: bool,
    kind: LossKind,
) -> candle_core::Result<Tensor> {
    if !uncertainty {
        return (output - target)?.sqr()?.mean_all();
    }
    let mu = output.narrow(D::Minus1, 0, 5)?;
    let s = output.narrow(D::Minus1, 5, 5)?.clamp(-12.0, 12.0)?;
    let diff = (mu - target)?;
    let r2 = diff.sqr()?;
    match kind {
        LossKind::Nll => ((s.neg()?.exp()? * r2)? + s)?.affine(0.5, 0.0)?.mean_all(),
        LossKind::MseNll => {
            let nll = ((s.neg()?.exp()? * r2.detach())? + s)?.affine(0.5, 0.0)?;
            (r2 + nll)?.mean_all()
        }
        LossKind::MaeNll => {
            let nll = ((s.neg()?.exp()? * r2.detach())? + s)?.affine(0.5, 0.0)?;
            (diff.abs()? + nll)?.mean_all()
        }
    }
}

/// Loss and per-parameter RMSE of a network on a dataset (inference mode).
pub fn evaluate(
    net: &Estimator,
    scaling: &Scaling,
    data: &Dataset,
    kind: LossKind,
    device: &Device,
) -> Result<Metrics, NetError> {
    EstimatorObjective {
        net,
        scaling,
        kind,
        denoiser: None,
    }
    .validate(data, device)
}

/// Trains `net` (whose variables live in `varmap`) and leaves the best validated weights in it.
///
/// `on_progress` is called after every step; `on_checkpoint` after every validation that improved, so the
/// caller can save. Returns the best validation metrics.
#[allow(clippy::too_many_arguments)]
pub fn train(
    net: &Estimator,
    varmap: &VarMap,
    scaling: &Scaling,
    options: &TrainOptions,
    source: TrainSource,
    validation: &Dataset,
    device: &Device,
    on_progress: &mut dyn FnMut(Progress),
    on_checkpoint: &mut dyn FnMut(&Metrics, u64) -> Result<(), NetError>,
) -> Result<Metrics, NetError> {
    let objective = EstimatorObjective {
        net,
        scaling,
        kind: options.loss,
        denoiser: None,
    };
    fit(
        &objective,
        varmap,
        options,
        source,
        validation,
        device,
        on_progress,
        on_checkpoint,
    )
}

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
    device: &Device,
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

/// The samples `idx` of a dataset (PSF images dropped to one: training does not use them).
pub fn subset(data: &Dataset, idx: &[usize]) -> Dataset {
    use ndarray::Axis;
    Dataset {
        img: data.img.select(Axis(0), idx),
        img_nonoise: data.img_nonoise.select(Axis(0), idx),
        label: data.label.select(Axis(0), idx),
        psf_r: data.psf_r.select(Axis(0), idx),
        psf_img: data.psf_img.select(Axis(0), &[0]),
        snr: data.snr.select(Axis(0), idx),
        sigma: data.sigma.select(Axis(0), idx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// Gradients of the loss with respect to the outputs (5 estimates, 5 log-variances) of one sample.
    fn gradients(kind: LossKind, mu: f64, s: f64, y: f64) -> (f64, f64) {
        let dev = Device::Cpu;
        let out = Var::from_vec([[mu; 5], [s; 5]].concat(), (1, 10), &dev).unwrap();
        let target = Tensor::from_vec(vec![y; 5], (1, 5), &dev).unwrap();
        let grads = loss(out.as_tensor(), &target, true, kind)
            .unwrap()
            .backward()
            .unwrap();
        let g: Vec<f64> = grads
            .get(&out)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        (g[0], g[5])
    }

    #[test]
    fn mse_nll_trains_the_estimate_by_mse_and_the_variance_by_nll() {
        let (mu, s, y) = (0.3, -1.2, -0.1);
        let (g_mu, g_s) = gradients(LossKind::MseNll, mu, s, y);
        // d/dμ of (y − μ)²/5 (mean over 5 outputs): the predicted variance plays no part.
        assert!((g_mu - 2.0 * (mu - y) / 5.0).abs() < 1e-12, "{g_mu}");
        let (nll_mu, nll_s) = gradients(LossKind::Nll, mu, s, y);
        assert!((g_s - nll_s).abs() < 1e-12, "{g_s} vs {nll_s}");
        // The MAE's estimate gradient is the residual's sign, whatever its size.
        let (mae_mu, mae_s) = gradients(LossKind::MaeNll, mu, s, y);
        assert!((mae_mu - 1.0 / 5.0).abs() < 1e-12, "{mae_mu}");
        assert!((mae_s - nll_s).abs() < 1e-12);
        // The NLL's estimate gradient is the residual weighted by e^{−s}.
        assert!(
            (nll_mu - (-s).exp() * (mu - y) / 5.0).abs() < 1e-12,
            "{nll_mu}"
        );
    }

    #[test]
    fn loss_kinds_parse_by_name() {
        assert_eq!("mse-nll".parse::<LossKind>(), Ok(LossKind::MseNll));
        assert_eq!("nll".parse::<LossKind>(), Ok(LossKind::Nll));
        assert_eq!("mae-nll".parse::<LossKind>(), Ok(LossKind::MaeNll));
        assert!("mae".parse::<LossKind>().unwrap_err().contains("mae"));
    }
}
