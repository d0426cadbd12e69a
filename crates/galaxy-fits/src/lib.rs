#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
mod image;

pub use error::FitsError;
pub use image::{read_image, write_image, FitsImage};
