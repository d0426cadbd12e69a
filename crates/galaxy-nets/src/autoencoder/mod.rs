//! The autoencoder ([`crate::models::autoencoder`]) as a tool: its card and files, its objective (label
//! MSE plus weighted reconstruction MSE), a training run, and estimates + reconstructions for images.

pub mod card;
pub mod objective;
pub mod run;
pub mod training;

pub use card::{
    from_parts, is_autoencoder, load, save, AutoencoderCard, LoadedAutoencoder, FORMAT,
};
pub use objective::{AutoencoderMetrics, AutoencoderObjective};
pub use run::{moffat_psf_images, run};
pub use training::AutoencoderTraining;
