#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod cards;
mod error;
mod file;
mod header;
mod image;
mod table;

pub use error::FitsError;
pub use header::{read_key, Key, KeyValue};
pub use image::{
    image_bytes_f32, read_image, write_image, write_image_extensions, write_image_f32, FitsImage,
    ImageExtension,
};
pub use table::{read_table, read_table_exact, write_table, write_table_with, ColumnData, Table};
