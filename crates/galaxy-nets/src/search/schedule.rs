//! The schedule of a search: which trials to train and how long — a grid, random draws, or Hyperband
//! (successive halving over several brackets, so most of the samples go to the configurations that are
//! doing well).
//!
//! This module only decides *what* to train and *how long*; training a trial is the caller's closure, so
//! the bookkeeping is testable without a network, and a resumed search replays the same schedule (every
//! draw comes from the space's seed) and skips the trials already on record.

use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use super::space::{Candidate, SearchSpace, Strategy};
use crate::error::NetError;

/// One rung of a bracket: train the surviving trials to `samples`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rung {
    /// Samples seen by every trial at the end of this rung.
    pub samples: u64,
    /// Trials kept after it (the rest stop).
    pub keep: usize,
}

/// A bracket: candidates and the rungs they go through.
#[derive(Debug, Clone, PartialEq)]
pub struct Bracket {
    /// Its candidates, with trial ids.
    pub trials: Vec<(String, Candidate)>,
    /// Its rungs, increasing in samples.
    pub rungs: Vec<Rung>,
}

/// What a finished (trial, rung) reports back to the schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Validation loss (lower is better).
    pub loss: f64,
}

impl SearchSpace {
    /// The schedule: brackets of candidates and rungs, the same every time for the same space.
    pub fn plan(&self) -> Vec<Bracket> {
        let one_rung = |n: usize| {
            vec![Rung {
                samples: self.max_samples,
                keep: n,
            }]
        };
        let ids = |b: usize, cs: Vec<Candidate>| -> Vec<(String, Candidate)> {
            cs.into_iter()
                .enumerate()
                .map(|(k, c)| (format!("b{b}-t{k:02}"), c))
                .collect()
        };
        let mut rng = Pcg64::seed_from_u64(self.seed);
        match self.strategy {
            Strategy::Grid => {
                let cs = self.grid();
                let n = cs.len();
                vec![Bracket {
                    trials: ids(0, cs),
                    rungs: one_rung(n),
                }]
            }
            Strategy::Random => {
                let n = self.trials.unwrap_or(1);
                let cs = (0..n).map(|_| self.draw(&mut rng)).collect();
                vec![Bracket {
                    trials: ids(0, cs),
                    rungs: one_rung(n),
                }]
            }
            Strategy::Hyperband => {
                let eta = self.eta as f64;
                let r_min = self
                    .min_samples
                    .unwrap_or(self.max_samples / (self.eta * self.eta))
                    .max(1);
                // s_max = floor(log_eta(R / r_min)), computed in integers to avoid 2.9999 → 2.
                let mut s_max = 0;
                while r_min.saturating_mul(self.eta.pow(s_max + 1)) <= self.max_samples {
                    s_max += 1;
                }
                (0..=s_max)
                    .rev()
                    .enumerate()
                    .map(|(b, s)| {
                        let n = ((f64::from(s_max + 1) / f64::from(s + 1)) * eta.powi(s as i32))
                            .ceil() as usize;
                        let rungs = (0..=s)
                            .map(|i| Rung {
                                samples: self.max_samples / self.eta.pow(s - i),
                                keep: ((n as f64) / eta.powi(i as i32 + 1)).floor().max(1.0)
                                    as usize,
                            })
                            .collect();
                        let cs = (0..n).map(|_| self.draw(&mut rng)).collect();
                        Bracket {
                            trials: ids(b, cs),
                            rungs,
                        }
                    })
                    .collect()
            }
        }
    }
}

/// Trains one (trial, rung): `(trial_id, candidate, samples, continue_from)` → its validation outcome.
pub type TrainTrial<'a> = dyn FnMut(&str, &Candidate, u64, u64) -> Result<Outcome, NetError> + 'a;

/// Runs a schedule: `run(trial_id, candidate, samples, continue_from)` trains a trial to `samples` (from
/// the weights it had at `continue_from` samples, 0 for a fresh start) and reports its validation loss;
/// `done(trial_id, samples)` says whether that rung is already on record (a resumed search) and with what
/// outcome. `may_train(distinct_so_far, is_new)` is asked before each training (the budget): a refused
/// trial is left out of its rung. Returns the number of distinct trials trained or found on record.
pub fn run_schedule(
    brackets: &[Bracket],
    done: &dyn Fn(&str, u64) -> Option<Outcome>,
    may_train: &mut dyn FnMut(usize, bool) -> bool,
    run: &mut TrainTrial<'_>,
) -> Result<usize, NetError> {
    let mut started = std::collections::HashSet::new();
    for bracket in brackets {
        let mut alive: Vec<&(String, Candidate)> = bracket.trials.iter().collect();
        let mut previous = 0;
        for rung in &bracket.rungs {
            let mut scored = Vec::with_capacity(alive.len());
            for t in &alive {
                let outcome = match done(&t.0, rung.samples) {
                    Some(o) => o,
                    None => {
                        if !may_train(started.len(), !started.contains(&t.0)) {
                            continue;
                        }
                        run(&t.0, &t.1, rung.samples, previous)?
                    }
                };
                started.insert(t.0.clone());
                scored.push((outcome.loss, *t));
            }
            scored.sort_by(|a, b| a.0.total_cmp(&b.0));
            alive = scored.into_iter().take(rung.keep).map(|(_, t)| t).collect();
            previous = rung.samples;
        }
    }
    Ok(started.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(strategy: Strategy) -> SearchSpace {
        super::super::space::example_space(strategy)
    }

    #[test]
    fn grid_and_random_plans() {
        let grid = space(Strategy::Grid).plan();
        assert_eq!(grid.len(), 1);
        assert_eq!(grid[0].trials.len(), 3 * 2 + 2 * 2);
        let random = space(Strategy::Random).plan();
        assert_eq!(random[0].trials.len(), 7);
        assert_eq!(
            random,
            space(Strategy::Random).plan(),
            "the same seed, the same draws"
        );
    }

    #[test]
    fn hyperband_brackets_follow_li_et_al() {
        // R = 81k, r_min = 9k, eta = 3: s_max = 2; brackets of 9, 5 and 3 trials.
        let plan = space(Strategy::Hyperband).plan();
        let shape: Vec<(usize, Vec<(u64, usize)>)> = plan
            .iter()
            .map(|b| {
                (
                    b.trials.len(),
                    b.rungs.iter().map(|r| (r.samples, r.keep)).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (9, vec![(9000, 3), (27000, 1), (81000, 1)]),
                (5, vec![(27000, 1), (81000, 1)]),
                (3, vec![(81000, 1)]),
            ]
        );
    }

    #[test]
    fn the_schedule_promotes_the_best_continues_them_and_resumes_without_retraining() {
        let s = space(Strategy::Hyperband);
        let plan = s.plan();
        // A trial's loss: its index within its bracket, lower is better, and better with samples.
        let loss =
            |id: &str, samples: u64| id[4..].parse::<f64>().unwrap() + 1000.0 / samples as f64;
        let mut log = Vec::new();
        let n = run_schedule(
            &plan,
            &|_, _| None,
            &mut |_, _| true,
            &mut |id, _, samples, from| {
                log.push((id.to_string(), samples, from));
                Ok(Outcome {
                    loss: loss(id, samples),
                })
            },
        )
        .unwrap();
        assert_eq!(n, 9 + 5 + 3);
        // Bracket 0: 9 at 9k; t00..t02 promoted to 27k continuing from 9k; t00 to 81k from 27k.
        let b0: Vec<_> = log.iter().filter(|e| e.0.starts_with("b0")).collect();
        assert_eq!(b0.len(), 9 + 3 + 1);
        assert!(b0[9..12].iter().all(|e| e.1 == 27000 && e.2 == 9000));
        assert_eq!(b0[12], &("b0-t00".to_string(), 81000, 27000));
        assert_eq!(log.len(), 13 + 6 + 3);

        // Killed after 10 trainings: a resumed run trains only what is not on record, in the same order.
        let record: Vec<_> = log[..10].to_vec();
        let mut rerun = Vec::new();
        run_schedule(
            &plan,
            &|id, samples| {
                record
                    .iter()
                    .any(|e| e.0 == id && e.1 == samples)
                    .then(|| Outcome {
                        loss: loss(id, samples),
                    })
            },
            &mut |_, _| true,
            &mut |id, _, samples, from| {
                rerun.push((id.to_string(), samples, from));
                Ok(Outcome {
                    loss: loss(id, samples),
                })
            },
        )
        .unwrap();
        assert_eq!(rerun, log[10..].to_vec());

        // A budget of 4 distinct trials: no fifth starts, but the four still go through their rungs
        // (3 promoted to 27k, 1 to 81k).
        let mut count = 0;
        let n = run_schedule(
            &plan,
            &|_, _| None,
            &mut |started, new| !new || started < 4,
            &mut |id, _, s, _| {
                count += 1;
                Ok(Outcome { loss: loss(id, s) })
            },
        )
        .unwrap();
        assert_eq!((n, count), (4, 4 + 3 + 1));
    }
}
