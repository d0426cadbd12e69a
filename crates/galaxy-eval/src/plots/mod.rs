//! PNG figures (plotters, bitmap backend): a report's panels and the parallel coordinates of a search.
//!
//! The font is compiled in (DejaVu Sans, assets/), so figures look the same on a machine without any
//! system fonts.

mod figures;
mod parallel;
mod style;

pub use parallel::parallel_coordinates;
pub use style::{padded_range, viridis, SERIES};
