//! Running a search: every trial trained as the schedule says, each finished (trial, rung) on record
//! as it finishes, a budget of time or trials, resumable, the best model kept, and optionally the seed's
//! tiny Xception trained as long as the best trial for comparison.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use galaxy_data::{Dataset, SimSettings};

use super::records::{append_record, read_records, write_csv, TrialRecord};
use super::schedule::{run_schedule, Outcome};
use super::space::Candidate;
use super::space::SearchSpace;
use crate::card::{card_path, parameter_count};
use crate::error::NetError;
use crate::estimator::training::FORMAT;
use crate::estimator::{
    save, Architecture, Estimator, EstimatorConfig, EstimatorObjective, Metrics, ModelCard,
};
use crate::records::{EstimatorValidation, TrainingRecord};
use crate::scaling::Scaling;
use crate::train::{Progress, TrainOptions, TrainSource, Trainer};

/// The budget of a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    /// Seconds of wall-clock time: no trial starts after it, a running one stops at it.
    Seconds(f64),
    /// Distinct trials.
    Trials(usize),
}

impl std::str::FromStr for Budget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let bad =
            || format!("budget '{s}': expected a duration (2h, 90m, 600s) or N-trials (12-trials)");
        if let Some(n) = t
            .strip_suffix("-trials")
            .or_else(|| t.strip_suffix("trials"))
        {
            let n: usize = n.trim_end_matches('-').parse().map_err(|_| bad())?;
            return if n == 0 {
                Err(bad())
            } else {
                Ok(Budget::Trials(n))
            };
        }
        let (number, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?);
        let v: f64 = number.parse().map_err(|_| bad())?;
        let scale = match unit {
            "h" => 3600.0,
            "m" | "min" => 60.0,
            "s" => 1.0,
            _ => return Err(bad()),
        };
        if !(v.is_finite() && v > 0.0) {
            return Err(bad());
        }
        Ok(Budget::Seconds(v * scale))
    }
}

/// A search, set up: its space, data, budget and folder.
pub struct Search<'a> {
    /// The space to search.
    pub space: &'a SearchSpace,
    /// Simulation settings of the training batches.
    pub settings: SimSettings,
    /// The validation set every trial is scored on.
    pub validation: Dataset,
    /// Where to train.
    pub device: Device,
    /// Batch size.
    pub batch: usize,
    /// The budget.
    pub budget: Budget,
    /// Output folder: trials.jsonl, trials.csv, trials/, space.json, best.safetensors + .json.
    pub dir: PathBuf,
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct SearchSummary {
    /// Every record, the baseline's last when there is one.
    pub records: Vec<TrialRecord>,
    /// The best trial's best record (lowest validation loss), saved as best.safetensors.
    pub best: Option<TrialRecord>,
    /// Distinct trials on record.
    pub trials: usize,
}

impl Search<'_> {
    /// Runs (or, with `resume`, continues) the search; `on_record` hears of every finished rung. A fresh
    /// search refuses a folder that already holds one; a resumed one refuses a folder of another space.
    pub fn run(
        &self,
        resume: bool,
        compare_seed: bool,
        on_record: &mut dyn FnMut(&TrialRecord),
    ) -> Result<SearchSummary, NetError> {
        let bench = Bench {
            space: self.space,
            settings: self.settings,
            validation: &self.validation,
            device: self.device.clone(),
            batch: self.batch,
            dir: self.dir.clone(),
        };
        let jsonl = self.dir.join("trials.jsonl");
        let csv = self.dir.join("trials.csv");
        let mut records = self.open(resume)?;
        let done: HashMap<(String, u64), f64> = records
            .iter()
            .map(|r| ((r.trial.clone(), r.rung_samples), r.val_loss))
            .collect();
        let started = Instant::now();
        let budget = self.budget;
        let remaining = || match budget {
            Budget::Seconds(s) => Some(s - started.elapsed().as_secs_f64()),
            Budget::Trials(_) => None,
        };
        let trained = run_schedule(
            &self.space.plan(),
            &|id, samples| {
                done.get(&(id.to_string(), samples))
                    .map(|&loss| Outcome { loss })
            },
            &mut |distinct, new| match budget {
                Budget::Trials(n) => !new || distinct < n,
                Budget::Seconds(_) => remaining().is_some_and(|r| r > 1.0),
            },
            &mut |id, candidate: &Candidate, samples, from| {
                let (cfg, lr) = self.space.config(candidate)?;
                let trial = TrialSpec {
                    trial: id,
                    family: &candidate.family,
                    choices: candidate.choices.clone(),
                    cfg,
                    lr,
                };
                let record = bench.train(trial, samples, from, remaining())?;
                on_record(&record);
                let loss = record.val_loss;
                // The best weights are kept as they are scored: a later rung of the same trial
                // overwrites its file, and may score worse.
                let best_so_far = best_loss(&records);
                if best_so_far.is_none_or(|b| loss < b) {
                    bench.keep_best(&record)?;
                }
                append_record(&jsonl, &record)?;
                records.push(record);
                write_csv(&csv, &records)?;
                Ok(Outcome { loss })
            },
        );
        trained?;
        let best = bench.save_best(&records)?;
        if let (true, Some(best)) = (compare_seed, &best) {
            records.retain(|r| r.trial != "baseline");
            let seconds: f64 = records
                .iter()
                .filter(|r| r.trial == best.trial)
                .map(|r| r.seconds)
                .sum();
            let cfg = EstimatorConfig::new(Architecture::by_name("xception").expect("built in"));
            let baseline = TrialSpec {
                trial: "baseline",
                family: "seed-xception",
                choices: BTreeMap::new(),
                cfg,
                lr: self.space.lr,
            };
            let record = bench.train(baseline, u64::MAX / 4, 0, Some(seconds))?;
            on_record(&record);
            append_record(&jsonl, &record)?;
            records.push(record);
            write_csv(&csv, &records)?;
        }
        let trials = records
            .iter()
            .filter(|r| r.trial != "baseline")
            .map(|r| r.trial.as_str())
            .collect::<BTreeSet<_>>()
            .len();
        Ok(SearchSummary {
            records,
            best,
            trials,
        })
    }

    /// The records already in the folder (resume) or a fresh folder with the space on record.
    fn open(&self, resume: bool) -> Result<Vec<TrialRecord>, NetError> {
        let jsonl = self.dir.join("trials.jsonl");
        let space_copy = self.dir.join("space.json");
        let space_json =
            serde_json::to_string_pretty(self.space).map_err(|e| NetError::Io(e.to_string()))?;
        let io = |e: std::io::Error| NetError::Io(format!("{}: {e}", self.dir.display()));
        let records = if resume {
            let previous = std::fs::read_to_string(&space_copy).map_err(|e| {
                NetError::BadInput(format!("--resume: {}: {e}", space_copy.display()))
            })?;
            if previous != space_json {
                return Err(NetError::BadInput(format!(
                    "--resume: {} holds a search over another space",
                    self.dir.display()
                )));
            }
            if jsonl.exists() {
                read_records(&jsonl)?
            } else {
                Vec::new()
            }
        } else {
            if jsonl.exists() {
                return Err(NetError::BadInput(format!(
                    "{} already holds a search; give --resume to continue it or another -o",
                    self.dir.display()
                )));
            }
            std::fs::create_dir_all(self.dir.join("trials")).map_err(io)?;
            galaxy_data::atomic::write_bytes(&space_copy, space_json.as_bytes())?;
            Vec::new()
        };
        std::fs::create_dir_all(self.dir.join("trials")).map_err(io)?;
        Ok(records)
    }
}

/// The lowest validation loss on record, the baseline aside.
fn best_loss(records: &[TrialRecord]) -> Option<f64> {
    records
        .iter()
        .filter(|r| r.trial != "baseline")
        .map(|r| r.val_loss)
        .min_by(f64::total_cmp)
}

/// One trial to train: its id, family, knobs, configuration and learning rate.
struct TrialSpec<'a> {
    trial: &'a str,
    family: &'a str,
    choices: BTreeMap<String, serde_json::Value>,
    cfg: EstimatorConfig,
    lr: f64,
}

/// Everything a trial needs that stays the same across trials.
struct Bench<'a> {
    space: &'a SearchSpace,
    settings: SimSettings,
    validation: &'a Dataset,
    device: candle_core::Device,
    batch: usize,
    dir: PathBuf,
}

impl Bench<'_> {
    fn weights(&self, trial: &str) -> PathBuf {
        self.dir.join("trials").join(format!("{trial}.safetensors"))
    }

    /// Trains a trial from `from` to `samples` samples (or for `seconds`), saves it, returns its record.
    fn train(
        &self,
        spec: TrialSpec<'_>,
        samples: u64,
        from: u64,
        seconds: Option<f64>,
    ) -> Result<TrialRecord, NetError> {
        let TrialSpec {
            trial,
            family,
            choices,
            cfg,
            lr,
        } = spec;
        let mut varmap = VarMap::new();
        let net = Estimator::new(
            &cfg,
            VarBuilder::from_varmap(&varmap, DType::F32, &self.device),
        )
        .map_err(|e| NetError::BadInput(e.to_string()))?;
        let weights = self.weights(trial);
        if from > 0 {
            varmap
                .load(&weights)
                .map_err(|e| NetError::Io(format!("{}: {e}", weights.display())))?;
        }
        let options = TrainOptions {
            batch: self.batch,
            learning_rate: lr,
            samples,
            eval_every: ((samples - from) / 4).max(self.batch as u64),
            patience: usize::MAX,
            seed: self.space.seed,
            start_sample: from,
            max_seconds: seconds,
            ..TrainOptions::default()
        };
        let scaling = Scaling::default();
        let started = Instant::now();
        let mut curve: Vec<(u64, f64)> = Vec::new();
        let mut seen = from;
        let objective = EstimatorObjective::new(&net, &scaling, options.loss);
        let best = Trainer::new(&objective, &varmap, &self.device)
            .options(options)
            .on_progress(|p: Progress<Metrics>| {
                seen = p.samples;
                if let Some(m) = p.validation {
                    if curve
                        .last()
                        .is_none_or(|c| c.1.to_bits() != m.loss.to_bits())
                    {
                        curve.push((p.samples, m.loss));
                    }
                }
            })
            .run(
                TrainSource::Simulated(Box::new(self.settings)),
                self.validation,
            )?;
        let parameters = parameter_count(&varmap);
        let model_card = ModelCard {
            format: FORMAT.into(),
            estimator: cfg.clone(),
            scaling,
            training: TrainingRecord {
                data: "search".into(),
                samples_seen: seen,
                batch: self.batch,
                learning_rate: lr,
                seed: Some(self.space.seed),
                trial: Some(trial.to_string()),
                family: Some(family.to_string()),
                ..TrainingRecord::default()
            },
            validation: EstimatorValidation {
                images: self.validation.len(),
                loss: best.loss,
                rmse: None,
            },
            parameters,
            error_scale: vec![1.0; 5],
        };
        save(&weights, &varmap, &model_card)?;
        Ok(TrialRecord {
            trial: trial.to_string(),
            family: family.to_string(),
            rung_samples: samples,
            samples_seen: seen,
            seconds: started.elapsed().as_secs_f64(),
            parameters,
            lr,
            choices,
            config: cfg,
            val_loss: best.loss,
            val_rmse: std::array::from_fn(|j| best.rmse[j]),
            curve,
        })
    }

    /// Copies `record`'s weights and card, just saved, to best.safetensors and best.json byte for
    /// byte (each whole or not at all): no network is rebuilt to do it.
    fn keep_best(&self, record: &TrialRecord) -> Result<(), NetError> {
        let weights = self.weights(&record.trial);
        let best = self.dir.join("best.safetensors");
        for (from, to) in [
            (weights.clone(), best.clone()),
            (card_path(&weights), card_path(&best)),
        ] {
            let bytes = std::fs::read(&from)
                .map_err(|e| NetError::Io(format!("{}: {e}", from.display())))?;
            galaxy_data::atomic::write_bytes(&to, &bytes)?;
        }
        Ok(())
    }

    /// The best record (lowest validation loss, the baseline aside), whose weights `keep_best` saved
    /// when it was trained; a folder without best.safetensors (a search killed before that) gets the
    /// best trial's current weights.
    fn save_best(&self, records: &[TrialRecord]) -> Result<Option<TrialRecord>, NetError> {
        let Some(best) = records
            .iter()
            .filter(|r| r.trial != "baseline")
            .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
        else {
            return Ok(None);
        };
        if !self.dir.join("best.safetensors").exists() {
            self.keep_best(best)?;
        }
        Ok(Some(best.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse() {
        assert_eq!("2h".parse(), Ok(Budget::Seconds(7200.0)));
        assert_eq!("90m".parse(), Ok(Budget::Seconds(5400.0)));
        assert_eq!("45s".parse(), Ok(Budget::Seconds(45.0)));
        assert_eq!("12-trials".parse(), Ok(Budget::Trials(12)));
        for bad in ["", "2", "2d", "-1h", "0-trials", "many-trials"] {
            assert!(bad.parse::<Budget>().is_err(), "{bad}");
        }
    }
}
