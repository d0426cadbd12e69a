//! Architecture search: a space of families and knobs ([`space`]), the schedule of trials that explores
//! it ([`schedule`]: grid, random or Hyperband), the run that trains them within a budget ([`executor`])
//! and its records ([`records`]: trials.jsonl, trials.csv, the parallel-coordinates view).

pub mod executor;
pub mod records;
pub mod schedule;
pub mod space;

pub use executor::{Budget, Search, SearchSummary};
pub use records::{best_line, parallel_plot, TrialRecord};
pub use schedule::{run_schedule, Bracket, Outcome, Rung};
pub use space::{Candidate, Family, SearchSpace, Strategy};
