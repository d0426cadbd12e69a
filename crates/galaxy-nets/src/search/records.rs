//! A search's records: one line of JSON per finished (trial, rung) in trials.jsonl, written as each
//! finishes and read back on resume (a line torn by a kill is dropped), the same as a CSV for HiPlot and
//! spreadsheets, and the parallel-coordinates view of them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use galaxy_eval::parallel::{ParallelAxis, ParallelPlot};
use serde::{Deserialize, Serialize};
use sersic_render::PARAM_NAMES;

use crate::error::NetError;
use crate::estimator::EstimatorConfig;

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

impl std::fmt::Display for TrialRecord {
    /// One line for a log: "trial b0-t03 (cnn, 12345 parameters) to 9000 samples: val loss 0.01234 in
    /// 42 s", or what the seed's baseline was.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.trial == "baseline" {
            write!(
                f,
                "baseline: the seed's tiny Xception for {:.0} s ({} samples): val loss {:.5}",
                self.seconds, self.samples_seen, self.val_loss
            )
        } else {
            write!(
                f,
                "trial {} ({}, {} parameters) to {} samples: val loss {:.5} in {:.0} s",
                self.trial,
                self.family,
                self.parameters,
                self.samples_seen,
                self.val_loss,
                self.seconds
            )
        }
    }
}

/// "best b0-t03 (cnn) val loss 0.01234, RMSE flux 5000 n 0.700 hlr 0.0400 g1 0.0500 g2 0.0500".
pub fn best_line(r: &TrialRecord) -> String {
    let v = &r.val_rmse;
    format!(
        "best {} ({}) val loss {:.5}, RMSE flux {:.0} n {:.3} hlr {:.4} g1 {:.4} g2 {:.4}",
        r.trial, r.family, r.val_loss, v[0], v[1], v[2], v[3], v[4]
    )
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> NetError {
    NetError::Io(format!("{}: {e}", path.display()))
}

/// Reads trials.jsonl; a last line cut short by a kill is dropped (and the file rewritten without it).
pub fn read_records(path: &Path) -> Result<Vec<TrialRecord>, NetError> {
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
                return Err(NetError::BadInput(format!(
                    "{} line {}: {e}",
                    path.display(),
                    i + 1
                )))
            }
        }
    }
    galaxy_data::atomic::write_bytes(path, clean.as_bytes())?;
    Ok(records)
}

/// Appends one record as a line of JSON and syncs it to disk: a kill leaves at most a torn last line.
pub fn append_record(path: &Path, r: &TrialRecord) -> Result<(), NetError> {
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
pub fn write_csv(path: &Path, records: &[TrialRecord]) -> Result<(), NetError> {
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
    galaxy_eval::estimates::write_csv(path, &header, rows).map_err(|e| NetError::Io(e.to_string()))
}

/// The parallel-coordinates figure of a search: each trial's last record as one line across family,
/// knobs, learning rate, size, samples and validation loss (log10), coloured by that loss.
pub fn parallel_plot(records: &[TrialRecord]) -> ParallelPlot {
    let axis = |name: String, values: Vec<Option<f64>>, categories: Vec<String>| ParallelAxis {
        name,
        values,
        categories,
    };
    // The last (most trained) record of every trial.
    let mut last: Vec<&TrialRecord> = Vec::new();
    for r in records {
        match last.iter_mut().find(|l| l.trial == r.trial) {
            Some(l) if r.rung_samples >= l.rung_samples => *l = r,
            Some(_) => {}
            None => last.push(r),
        }
    }
    let keys: std::collections::BTreeSet<&String> = last
        .iter()
        .flat_map(|r| r.choices.keys())
        .filter(|k| *k != "lr")
        .collect();
    let families: Vec<&str> = {
        let mut f: Vec<&str> = last.iter().map(|r| r.family.as_str()).collect();
        f.sort();
        f.dedup();
        f
    };
    // Axes: family, every knob, learning rate, log10 parameters, samples, validation loss. Values → [0, 1] per axis.
    let mut axes: Vec<ParallelAxis> = Vec::new();
    let family_axis: Vec<Option<f64>> = last
        .iter()
        .map(|r| {
            families
                .iter()
                .position(|f| *f == r.family)
                .map(|i| i as f64)
        })
        .collect();
    axes.push(axis(
        "family".into(),
        family_axis,
        families.iter().map(|s| s.to_string()).collect(),
    ));
    for k in &keys {
        let raw: Vec<Option<&serde_json::Value>> = last.iter().map(|r| r.choices.get(*k)).collect();
        let numeric = raw.iter().flatten().all(|v| v.is_number());
        if numeric {
            axes.push(axis(
                k.to_string(),
                raw.iter().map(|v| v.and_then(|v| v.as_f64())).collect(),
                vec![],
            ));
        } else {
            let mut cats: Vec<String> = raw.iter().flatten().map(|v| v.to_string()).collect();
            cats.sort();
            cats.dedup();
            let vals = raw
                .iter()
                .map(|v| {
                    v.and_then(|v| {
                        let text = v.to_string();
                        cats.iter().position(|c| *c == text)
                    })
                    .map(|i| i as f64)
                })
                .collect();
            axes.push(axis(k.to_string(), vals, cats));
        }
    }
    axes.push(axis(
        "log10 lr".into(),
        last.iter().map(|r| Some(r.lr.log10())).collect(),
        vec![],
    ));
    axes.push(axis(
        "log10 params".into(),
        last.iter()
            .map(|r| Some((r.parameters.max(1) as f64).log10()))
            .collect(),
        vec![],
    ));
    axes.push(axis(
        "samples".into(),
        last.iter().map(|r| Some(r.samples_seen as f64)).collect(),
        vec![],
    ));
    // The loss spans decades between a short rung and a trained trial: shown (and coloured) in log10.
    let log_loss = |r: &TrialRecord| r.val_loss.max(1e-12).log10();
    axes.push(axis(
        "log10 val loss".into(),
        last.iter().map(|r| Some(log_loss(r))).collect(),
        vec![],
    ));
    ParallelPlot {
        title: format!("{} trials: knobs and validation loss", last.len()),
        axes,
        score: last.iter().map(|r| log_loss(r)).collect(),
        score_label: "log10 validation loss".into(),
    }
}
