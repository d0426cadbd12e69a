//! Denoisers: EDSR or RDN trained on (noisy, noiseless) pairs with the L1 loss, as the seed did, and run
//! on images to give clean stamps.
//!
//! Images go in and come out divided by their noise sigma, so one network serves every noise level of its
//! training set and the loss is in units of the noise.
//!
//! * [`DenoiserConfig`] and [`Denoiser`]: the network; [`card`]: its card, saving and loading;
//!   [`objective`]: its loss and validation; [`training`]: a run; [`run`]: denoising images.

pub mod card;
pub mod network;
pub mod objective;
pub mod run;
pub mod training;

pub use card::{from_parts, load, save, DenoiserCard, LoadedDenoiser, FORMAT};
pub use network::{Denoiser, DenoiserConfig};
pub use objective::{DenoiseMetrics, DenoiseObjective};
pub use run::denoise;
pub use training::DenoiserTraining;
