//! A search space: architecture families, their knobs, and how a choice of knobs becomes an estimator
//! configuration.

use std::collections::BTreeMap;

use rand::RngExt;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::NetError;
use crate::estimator::{Architecture, EstimatorConfig};

/// How the space is explored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Every combination of every family's choices, each trained on `max_samples`.
    Grid,
    /// `trials` random draws (a family, then each of its choices), each trained on `max_samples`.
    Random,
    /// Hyperband (Li et al. 2018): brackets of successive halving from `min_samples` to `max_samples`,
    /// keeping the best 1/eta of the trials at every rung; promoted trials continue from their weights.
    Hyperband,
}

/// One family of architectures: its trunk and the values each knob may take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    /// Name used in the records (e.g. "cnn-small").
    pub name: String,
    /// Trunk: xception, resnet or cnn (its default configuration is the base).
    pub arch: String,
    /// Fixed settings applied to the base before the choices (same keys as `choices`).
    #[serde(default)]
    pub fixed: BTreeMap<String, Value>,
    /// Knob → allowed values. A key is a dotted path into the estimator configuration: a top-level key
    /// (`head_hidden`), a key of the trunk (`stem_filters`, `layers.0.filters`), or `lr`.
    #[serde(default)]
    pub choices: BTreeMap<String, Vec<Value>>,
}

/// A search space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSpace {
    /// Grid, random or hyperband.
    pub strategy: Strategy,
    /// Samples of a fully trained trial.
    pub max_samples: u64,
    /// Hyperband: samples of the first rung of the most aggressive bracket (default max / eta²).
    #[serde(default)]
    pub min_samples: Option<u64>,
    /// Hyperband: the halving rate.
    #[serde(default = "default_eta")]
    pub eta: u64,
    /// Random: how many draws.
    #[serde(default)]
    pub trials: Option<usize>,
    /// Learning rate unless a family chooses `lr`.
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// Seed of the draws (and of the simulated training stream).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The families.
    #[serde(rename = "family")]
    pub families: Vec<Family>,
}

fn default_eta() -> u64 {
    3
}
fn default_lr() -> f64 {
    2e-3
}
fn default_seed() -> u64 {
    1
}

/// One configuration to try: a family and a value for each of its knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The family's name.
    pub family: String,
    /// Knob → value.
    pub choices: BTreeMap<String, Value>,
}

impl SearchSpace {
    /// Reads a TOML space file and checks it ([`validate`](Self::validate)); every problem names the file.
    pub fn read(path: &std::path::Path) -> Result<SearchSpace, crate::error::NetError> {
        let bad =
            |e: &dyn std::fmt::Display| NetError::BadInput(format!("{}: {e}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| bad(&e))?;
        let space: SearchSpace = toml::from_str(&text).map_err(|e| bad(&e))?;
        space.check().map_err(|e| bad(&e))?;
        Ok(space)
    }

    /// Parses and checks a space: known trunks, non-empty choices, sensible budgets, and every single choice
    /// applicable to its family's configuration (so a typo fails here, not an hour into the search).
    pub fn validate(&self) -> Result<(), NetError> {
        self.check().map_err(NetError::BadInput)
    }

    fn check(&self) -> Result<(), String> {
        if self.families.is_empty() {
            return Err("the space has no [[family]]".into());
        }
        if self.max_samples == 0 {
            return Err("max_samples must be at least 1".into());
        }
        if self.strategy == Strategy::Hyperband {
            if self.eta < 2 {
                return Err(format!("eta must be at least 2, got {}", self.eta));
            }
            if self
                .min_samples
                .is_some_and(|m| m == 0 || m > self.max_samples)
            {
                return Err("min_samples must be in [1, max_samples]".into());
            }
        }
        if self.strategy == Strategy::Random && self.trials.unwrap_or(0) == 0 {
            return Err("strategy random needs trials = N (at least 1)".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(format!("lr must be > 0, got {}", self.lr));
        }
        let mut names = std::collections::HashSet::new();
        for f in &self.families {
            if !names.insert(&f.name) {
                return Err(format!("two families are named '{}'", f.name));
            }
            base_config(f)?;
            for (key, values) in &f.choices {
                if values.is_empty() {
                    return Err(format!(
                        "family '{}': choices for '{key}' are empty",
                        f.name
                    ));
                }
                for v in values {
                    let one = Candidate {
                        family: f.name.clone(),
                        choices: BTreeMap::from([(key.clone(), v.clone())]),
                    };
                    self.configure(&one)?;
                }
            }
        }
        Ok(())
    }

    fn family(&self, name: &str) -> Result<&Family, String> {
        self.families
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| format!("no family named '{name}'"))
    }

    /// The estimator configuration and learning rate of a candidate.
    pub fn config(&self, c: &Candidate) -> Result<(EstimatorConfig, f64), NetError> {
        self.configure(c).map_err(NetError::BadInput)
    }

    fn configure(&self, c: &Candidate) -> Result<(EstimatorConfig, f64), String> {
        let family = self.family(&c.family)?;
        let mut json = serde_json::to_value(base_config(family)?).map_err(|e| e.to_string())?;
        let mut lr = self.lr;
        for (key, value) in family.fixed.iter().chain(&c.choices) {
            if key == "lr" {
                lr = value
                    .as_f64()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| {
                        format!(
                            "family '{}': lr must be a number > 0, got {value}",
                            family.name
                        )
                    })?;
                continue;
            }
            set_path(&mut json, key, value.clone())
                .map_err(|e| format!("family '{}': {key}: {e}", family.name))?;
        }
        let cfg: EstimatorConfig = serde_json::from_value(json).map_err(|e| {
            format!(
                "family '{}': the choices {:?} do not make a valid configuration: {e}",
                family.name, c.choices
            )
        })?;
        Ok((cfg, lr))
    }

    /// Every candidate of the grid, family by family.
    pub(crate) fn grid(&self) -> Vec<Candidate> {
        let mut out = Vec::new();
        for f in &self.families {
            let mut combos = vec![BTreeMap::new()];
            for (key, values) in &f.choices {
                combos = combos
                    .into_iter()
                    .flat_map(|c| {
                        values.iter().map(move |v| {
                            let mut c = c.clone();
                            c.insert(key.clone(), v.clone());
                            c
                        })
                    })
                    .collect();
            }
            out.extend(combos.into_iter().map(|choices| Candidate {
                family: f.name.clone(),
                choices,
            }));
        }
        out
    }

    pub(crate) fn draw(&self, rng: &mut Pcg64) -> Candidate {
        let f = &self.families[rng.random_range(0..self.families.len())];
        let choices = f
            .choices
            .iter()
            .map(|(k, vs)| (k.clone(), vs[rng.random_range(0..vs.len())].clone()))
            .collect();
        Candidate {
            family: f.name.clone(),
            choices,
        }
    }
}

fn base_config(f: &Family) -> Result<EstimatorConfig, String> {
    let arch = Architecture::by_name(&f.arch).ok_or_else(|| {
        format!(
            "family '{}': unknown arch '{}'; expected xception, resnet or cnn",
            f.name, f.arch
        )
    })?;
    Ok(EstimatorConfig::new(arch))
}

/// Sets a dotted path (`layers.0.filters`) in an estimator configuration's JSON: at the top level if the
/// first segment is one of its keys, else inside the trunk's configuration.
fn set_path(json: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').collect();
    let top = json
        .as_object()
        .is_some_and(|o| o.contains_key(segments[0]) && segments[0] != "architecture");
    let mut node = if top {
        &mut *json
    } else {
        &mut json["architecture"]
    };
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        node = match node {
            Value::Object(map) => {
                if !map.contains_key(*seg) || *seg == "arch" {
                    return Err(format!("no setting '{seg}' here"));
                }
                map.get_mut(*seg).expect("checked")
            }
            Value::Array(items) => {
                let k: usize = seg
                    .parse()
                    .map_err(|_| format!("'{seg}' must be an index into a list"))?;
                let len = items.len();
                items
                    .get_mut(k)
                    .ok_or_else(|| format!("index {k} is past the list's {len} entries"))?
            }
            _ => return Err(format!("'{seg}' goes below a plain value")),
        };
        if last {
            *node = value;
            return Ok(());
        }
    }
    unreachable!("a path has at least one segment")
}

/// A small two-family space (a CNN and a ResNet, 3 x 2 and 2 x 2 choices) that the tests share.
#[cfg(test)]
pub(crate) fn example_space(strategy: Strategy) -> SearchSpace {
    let text = r#"{
            "strategy": "grid", "max_samples": 81000, "min_samples": 9000, "eta": 3,
            "family": [
                {"name": "cnn", "arch": "cnn", "choices": {"layers.0.filters": [8, 16, 32], "lr": [1e-3, 3e-3]}},
                {"name": "resnet", "arch": "resnet", "fixed": {"stem_stride": 4},
                 "choices": {"blocks_per_stage": [1, 2], "head_hidden": [32, 64]}}
            ]
        }"#;
    SearchSpace {
        strategy,
        trials: Some(7),
        ..serde_json::from_str(text).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(strategy: Strategy) -> SearchSpace {
        example_space(strategy)
    }

    #[test]
    fn choices_reach_the_trunk_the_top_level_and_the_learning_rate() {
        let s = space(Strategy::Grid);
        s.validate().unwrap();
        let c = Candidate {
            family: "cnn".into(),
            choices: BTreeMap::from([
                ("layers.0.filters".to_string(), Value::from(32)),
                ("lr".to_string(), Value::from(3e-3)),
            ]),
        };
        let (cfg, lr) = s.config(&c).unwrap();
        assert_eq!(lr, 3e-3);
        match cfg.architecture {
            Architecture::Cnn(a) => assert_eq!(a.layers[0].filters, 32),
            other => panic!("{other:?}"),
        }
        let r = Candidate {
            family: "resnet".into(),
            choices: BTreeMap::from([("head_hidden".to_string(), Value::from(64))]),
        };
        let (cfg, _) = s.config(&r).unwrap();
        assert_eq!(cfg.head_hidden, 64);
        match cfg.architecture {
            Architecture::Resnet(a) => assert_eq!(a.stem_stride, 4),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_spaces_are_refused_with_the_reason() {
        let mut s = space(Strategy::Grid);
        s.families[0]
            .choices
            .insert("layers.9.filters".into(), vec![Value::from(8)]);
        assert!(s.check().unwrap_err().contains("index 9"));
        let mut s = space(Strategy::Grid);
        s.families[1].arch = "transformer".into();
        assert!(s.check().unwrap_err().contains("unknown arch"));
        let mut s = space(Strategy::Grid);
        s.families[0]
            .choices
            .insert("colour".into(), vec![Value::from(1)]);
        assert!(s.check().unwrap_err().contains("colour"));
        let mut s = space(Strategy::Grid);
        s.families[0]
            .choices
            .insert("layers.0.filters".into(), vec![Value::from("many")]);
        assert!(s.check().unwrap_err().contains("valid configuration"));
        let mut s = space(Strategy::Grid);
        s.families[0].choices.insert("lr".into(), vec![]);
        assert!(s.check().unwrap_err().contains("empty"));
        assert!(space(Strategy::Random).validate().is_ok());
        let s = SearchSpace {
            trials: None,
            ..space(Strategy::Random)
        };
        assert!(s.check().unwrap_err().contains("trials"));
    }
}
