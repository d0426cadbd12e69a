//! `galaxy search`: architecture search over a TOML space (grid, random or Hyperband), every finished
//! trial on record as it finishes, resumable, with the best model and a parallel-coordinates figure.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::DType;
use candle_nn::{VarBuilder, VarMap};
use clap::Args;
use galaxy_data::Dataset;
use galaxy_nets::search::{run_schedule, Candidate, Outcome, SearchSpace};
use galaxy_nets::train::{train, TrainOptions, TrainSource};
use galaxy_nets::{card, Architecture, Estimator, EstimatorConfig, ModelCard, Scaling};
use serde::{Deserialize, Serialize};
use sersic_render::PARAM_NAMES;

use crate::nets::{device, net_error, training_data};
use crate::CliError;

/// Arguments of `galaxy search`.
#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The search space (TOML; docs/search.md).
    #[arg(long)]
    space: PathBuf,
    /// Wall-clock budget (e.g. 2h, 90m, 600s) or a number of distinct trials (e.g. 12-trials).
    #[arg(long)]
    budget: String,
    /// Training data, simulated on the fly: data_v1, data_v2 or data_v3.
    #[arg(long, default_value = "data_v1")]
    preset: String,
    /// The prior the labels are drawn from (the seed's unless these options).
    #[command(flatten)]
    prior: crate::prior_args::PriorArgs,
    /// Simulated validation images (the same set for every trial).
    #[arg(long, default_value_t = 2000)]
    val_size: u64,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Continue a search whose records are already in the output folder.
    #[arg(long)]
    resume: bool,
    /// Afterwards, train the seed's grid-search winner (its tiny Xception) for as long as the best trial
    /// took, on the same data, and put it on record beside the trials.
    #[arg(long)]
    compare_seed: bool,
    /// Output folder: trials.jsonl, trials.csv, trials/, best.safetensors + .json, parallel.png.
    #[arg(short, long)]
    output: PathBuf,
}

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

/// One finished (trial, rung), as written to trials.jsonl.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialRecord {
    /// Trial id (bracket and index), or "baseline".
    pub trial: String,
    /// Family name.
    pub family: String,
    /// Samples this rung trains the trial to.
    pub rung_samples: u64,
    /// Samples actually seen (less when a time budget cut the rung short).
    pub samples_seen: u64,
    /// Seconds this rung took.
    pub seconds: f64,
    /// Trainable parameters.
    pub parameters: usize,
    /// Learning rate.
    pub lr: f64,
    /// The knobs chosen.
    pub choices: BTreeMap<String, serde_json::Value>,
    /// The full configuration.
    pub config: EstimatorConfig,
    /// Validation loss (MSE on labels scaled to [−1, 1]).
    pub val_loss: f64,
    /// Validation RMSE per parameter, physical units.
    pub val_rmse: [f64; 5],
    /// (samples, validation loss) through the rung.
    pub curve: Vec<(u64, f64)>,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::internal(format!("{}: {e}", path.display()))
}

/// Reads trials.jsonl; a last line cut short by a kill is dropped (and the file rewritten without it).
fn read_records(path: &Path) -> Result<Vec<TrialRecord>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    let mut records = Vec::new();
    // Finished lines are written back as they were read (re-serialising could change a float's last digit).
    let mut clean = String::new();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<TrialRecord>(line) {
            Ok(r) => {
                records.push(r);
                clean.push_str(line);
                clean.push('\n');
            }
            Err(_) if i + 1 == lines.len() => {
                eprintln!("{}: dropping an unfinished last record", path.display());
            }
            Err(e) => {
                return Err(CliError::input(format!(
                    "{} line {}: {e}",
                    path.display(),
                    i + 1
                )))
            }
        }
    }
    crate::output::write_bytes_atomic(path, clean.as_bytes())?;
    Ok(records)
}

fn append_record(path: &Path, r: &TrialRecord) -> Result<(), CliError> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    let line = serde_json::to_string(r).map_err(|e| io_error(path, e))?;
    writeln!(f, "{line}").map_err(|e| io_error(path, e))?;
    f.sync_all().map_err(|e| io_error(path, e))
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// trials.csv: one row per record, the knobs as columns (blank where a family has no such knob), so
/// HiPlot and spreadsheets read it as is.
fn write_csv(path: &Path, records: &[TrialRecord]) -> Result<(), CliError> {
    // `lr` has its own column (the rate used, chosen or not).
    let keys: BTreeSet<&String> = records
        .iter()
        .flat_map(|r| r.choices.keys())
        .filter(|k| *k != "lr")
        .collect();
    let mut header: Vec<String> = [
        "trial",
        "family",
        "rung_samples",
        "samples_seen",
        "seconds",
        "parameters",
        "lr",
    ]
    .map(String::from)
    .to_vec();
    header.extend(keys.iter().map(|k| k.to_string()));
    header.push("val_loss".into());
    header.extend(PARAM_NAMES.iter().map(|p| format!("rmse_{p}")));
    let rows = records.iter().map(|r| {
        let mut row = vec![
            r.trial.clone(),
            r.family.clone(),
            r.rung_samples.to_string(),
            r.samples_seen.to_string(),
            format!("{:.1}", r.seconds),
            r.parameters.to_string(),
            format!("{:e}", r.lr),
        ];
        row.extend(
            keys.iter()
                .map(|k| r.choices.get(*k).map(cell).unwrap_or_default()),
        );
        row.push(format!("{:.6}", r.val_loss));
        row.extend(r.val_rmse.iter().map(|v| format!("{v:.6}")));
        row
    });
    crate::output::write_csv_atomic(path, &header, rows)
}

/// Everything a trial needs that stays the same across trials.
struct Bench<'a> {
    space: &'a SearchSpace,
    settings: galaxy_data::SimSettings,
    validation: Dataset,
    device: candle_core::Device,
    batch: usize,
    dir: PathBuf,
}

impl Bench<'_> {
    fn weights(&self, trial: &str) -> PathBuf {
        self.dir.join("trials").join(format!("{trial}.safetensors"))
    }

    /// Trains `cfg` from `from` to `samples` samples (or for `seconds`), saves it, returns its record.
    #[allow(clippy::too_many_arguments)]
    fn train(
        &self,
        trial: &str,
        family: &str,
        choices: BTreeMap<String, serde_json::Value>,
        cfg: EstimatorConfig,
        lr: f64,
        samples: u64,
        from: u64,
        seconds: Option<f64>,
    ) -> Result<TrialRecord, CliError> {
        let mut varmap = VarMap::new();
        let net = Estimator::new(
            &cfg,
            VarBuilder::from_varmap(&varmap, DType::F32, &self.device),
        )
        .map_err(|e| CliError::input(e.to_string()))?;
        let weights = self.weights(trial);
        if from > 0 {
            varmap.load(&weights).map_err(|e| io_error(&weights, e))?;
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
        let best = train(
            &net,
            &varmap,
            &scaling,
            &options,
            TrainSource::Simulated(Box::new(self.settings)),
            &self.validation,
            &self.device,
            &mut |p| {
                seen = p.samples;
                if let Some(m) = p.validation {
                    if curve
                        .last()
                        .is_none_or(|c| c.1.to_bits() != m.loss.to_bits())
                    {
                        curve.push((p.samples, m.loss));
                    }
                }
            },
            &mut |_, _| Ok(()),
        )
        .map_err(net_error)?;
        let parameters = card::parameter_count(&varmap);
        let model_card = ModelCard {
            format: "galaxy-nets/1".into(),
            estimator: cfg.clone(),
            scaling,
            training: serde_json::json!({
                "data": "search", "samples_seen": seen, "batch": self.batch, "learning_rate": lr,
                "seed": self.space.seed, "trial": trial, "family": family,
            }),
            validation: serde_json::json!({"images": self.validation.len(), "loss": best.loss}),
            parameters,
            error_scale: [1.0; 5],
        };
        card::save(&weights, &varmap, &model_card).map_err(net_error)?;
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
            val_rmse: best.rmse,
            curve,
        })
    }
}

/// Runs `galaxy search`.
pub fn run(args: SearchArgs) -> Result<(), CliError> {
    let budget: Budget = args.budget.parse().map_err(CliError::input)?;
    let space = read_space(&args.space)?;
    if args.batch == 0 || args.val_size == 0 {
        return Err(CliError::input("--batch and --val-size must be at least 1"));
    }
    let (_, settings, validation) =
        training_data(&args.preset, args.prior, space.seed, args.val_size)?;
    let jsonl = args.output.join("trials.jsonl");
    let space_copy = args.output.join("space.json");
    let space_json =
        serde_json::to_string_pretty(&space).map_err(|e| CliError::internal(e.to_string()))?;
    let mut records = if args.resume {
        let previous = std::fs::read_to_string(&space_copy)
            .map_err(|e| CliError::input(format!("--resume: {}: {e}", space_copy.display())))?;
        if previous != space_json {
            return Err(CliError::input(format!(
                "--resume: {} holds a search over another space",
                args.output.display()
            )));
        }
        if jsonl.exists() {
            read_records(&jsonl)?
        } else {
            Vec::new()
        }
    } else {
        if jsonl.exists() {
            return Err(CliError::input(format!(
                "{} already holds a search; give --resume to continue it or another -o",
                args.output.display()
            )));
        }
        std::fs::create_dir_all(args.output.join("trials"))
            .map_err(|e| io_error(&args.output, e))?;
        crate::output::write_bytes_atomic(&space_copy, space_json.as_bytes())?;
        Vec::new()
    };
    std::fs::create_dir_all(args.output.join("trials")).map_err(|e| io_error(&args.output, e))?;
    let bench = Bench {
        space: &space,
        settings,
        validation,
        device: device(&args.device)?,
        batch: args.batch,
        dir: args.output.clone(),
    };
    let plan = space.plan();
    let planned: usize = plan.iter().map(|b| b.trials.len()).sum();
    eprintln!(
        "search: {planned} configurations planned ({:?}), budget {}; records in {}",
        space.strategy,
        args.budget,
        args.output.display()
    );
    let done: HashMap<(String, u64), f64> = records
        .iter()
        .map(|r| ((r.trial.clone(), r.rung_samples), r.val_loss))
        .collect();
    let started = Instant::now();
    let remaining = || match budget {
        Budget::Seconds(s) => Some(s - started.elapsed().as_secs_f64()),
        Budget::Trials(_) => None,
    };
    let mut failure: Option<CliError> = None;
    let trained = run_schedule(
        &plan,
        &|id, samples| {
            done.get(&(id.to_string(), samples))
                .map(|&loss| Outcome { loss })
        },
        &mut |distinct, new| match budget {
            Budget::Trials(n) => !new || distinct < n,
            Budget::Seconds(_) => remaining().is_some_and(|r| r > 1.0),
        },
        &mut |id, candidate: &Candidate, samples, from| {
            let (cfg, lr) = space.config(candidate)?;
            let record = bench
                .train(
                    id,
                    &candidate.family,
                    candidate.choices.clone(),
                    cfg,
                    lr,
                    samples,
                    from,
                    remaining(),
                )
                .map_err(|e| {
                    let msg = format!("trial {id}: {}", e.message);
                    failure = Some(e);
                    msg
                })?;
            eprintln!(
                "trial {id} ({}, {} parameters) to {} samples: val loss {:.5} in {:.0} s",
                record.family,
                record.parameters,
                record.samples_seen,
                record.val_loss,
                record.seconds
            );
            let loss = record.val_loss;
            append_record(&jsonl, &record).map_err(|e| e.message)?;
            records.push(record);
            write_csv(&args.output.join("trials.csv"), &records).map_err(|e| e.message)?;
            Ok(Outcome { loss })
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    trained.map_err(CliError::internal)?;
    let best = save_best(&bench, &records)?;
    if args.compare_seed {
        if let Some(best) = &best {
            records.retain(|r| r.trial != "baseline");
            let seconds: f64 = records
                .iter()
                .filter(|r| r.trial == best.trial)
                .map(|r| r.seconds)
                .sum();
            let cfg = EstimatorConfig::new(Architecture::by_name("xception").expect("built in"));
            let record = bench.train(
                "baseline",
                "seed-xception",
                BTreeMap::new(),
                cfg,
                space.lr,
                u64::MAX / 4,
                0,
                Some(seconds),
            )?;
            eprintln!(
                "baseline: the seed's tiny Xception for {seconds:.0} s ({} samples): val loss {:.5}",
                record.samples_seen, record.val_loss
            );
            append_record(&jsonl, &record)?;
            records.push(record);
            write_csv(&args.output.join("trials.csv"), &records)?;
        }
    }
    crate::plots::parallel_coordinates(&records, &args.output.join("parallel.png"))?;
    let distinct: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.trial != "baseline")
        .map(|r| r.trial.as_str())
        .collect();
    match &best {
        Some(b) => println!(
            "search: {} trials, {} records in {:.0} s; best {} ({}) val loss {:.5}, RMSE flux {:.0} n {:.3} hlr {:.4} g1 {:.4} g2 {:.4} -> {}",
            distinct.len(),
            records.len(),
            started.elapsed().as_secs_f64(),
            b.trial,
            b.family,
            b.val_loss,
            b.val_rmse[0],
            b.val_rmse[1],
            b.val_rmse[2],
            b.val_rmse[3],
            b.val_rmse[4],
            args.output.join("best.safetensors").display()
        ),
        None => println!("search: no trial finished within the budget"),
    }
    Ok(())
}

/// Copies the best trial's weights (lowest validation loss over all records) to best.safetensors.
fn save_best(bench: &Bench, records: &[TrialRecord]) -> Result<Option<TrialRecord>, CliError> {
    let Some(best) = records
        .iter()
        .filter(|r| r.trial != "baseline")
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
    else {
        return Ok(None);
    };
    let model = card::load(&bench.weights(&best.trial), &bench.device).map_err(net_error)?;
    card::save(
        &bench.dir.join("best.safetensors"),
        &model.varmap,
        &model.card,
    )
    .map_err(net_error)?;
    Ok(Some(best.clone()))
}

/// Reads and checks a TOML space file.
pub fn read_space(path: &Path) -> Result<SearchSpace, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let space: SearchSpace =
        toml::from_str(&text).map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    space
        .validate()
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    Ok(space)
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
