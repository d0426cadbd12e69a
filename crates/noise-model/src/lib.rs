#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
mod ccd;
mod error;
pub mod estimate;
pub mod likelihood;
mod pixel;
pub mod pixel_noise;
pub mod snr;

pub use ccd::CcdNoise;
pub use error::NoiseError;
pub use pixel::Pixel;
pub use pixel_noise::{MaskPolarity, PixelNoise, Statistic, VarianceSource};
