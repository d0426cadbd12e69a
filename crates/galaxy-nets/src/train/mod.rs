//! Training any network: the options of a run, where its samples come from, what it minimises
//! ([`Objective`]), the loop and a builder around it that owns checkpoints ([`Trainer`]).
//!
//! The loop knows nothing of estimators, denoisers or autoencoders: each task module gives its own
//! objective and card (`estimator::training`, `denoiser::training`, `autoencoder::training`).

mod data;
mod fit_loop;
mod objective;
mod options;
mod run;
mod trainer;

pub use data::{check_training_preset, subset, TrainSource, TrainingData, VALIDATION_SEED_OFFSET};
pub use objective::{Objective, Progress};
pub use options::{LossKind, TrainOptions};
pub use run::TrainingRun;
pub use trainer::{Trained, Trainer};
