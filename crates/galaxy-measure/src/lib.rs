//! Measure galaxies in real images, as GALFIT, Imfit and AstroPhot do: FITS cutouts, cubes of cutouts, or
//! a field with a catalogue of positions (and a segmentation map to mask the neighbours) in; a catalogue
//! of Sérsic fits with a free centre and, optionally, a flat sky out.
//!
//! ```no_run
//! use galaxy_measure::{MeasureRequest, NoiseSpec, PsfSpec, Survey};
//! # fn main() -> Result<(), galaxy_measure::MeasureError> {
//! let request = MeasureRequest {
//!     image: "field.fits".into(),
//!     psf: PsfSpec::Image { path: "psf.fits".into(), oversampling: 1, includes_pixel: true },
//!     noise: NoiseSpec::Ccd { gain: 4.0, read_noise: 5.0, sky_level: 120.0 },
//!     mask: None,
//!     mask_polarity: Default::default(),
//!     pixel_scale: None,
//!     catalog: Some("sources.csv".into()),
//!     segmentation: Some("seg.fits".into()),
//!     stamp_size: 64,
//!     fit: Default::default(),
//!     statistic: Default::default(),
//!     convolution: Default::default(),
//! };
//! let survey = Survey::prepare(&request)?;
//! let measurements = survey.measure(&|| {});
//! let columns = galaxy_measure::catalog_columns(&measurements, survey.pixel_scale);
//! galaxy_measure::write_csv("catalog.csv".as_ref(), &columns)?;
//! # Ok(()) }
//! ```
//!
//! Conventions (docs/real-images.md): pixel coordinates in and out are FITS's (the first pixel's centre is
//! (1, 1)); a mask's non-zero pixels are bad unless told otherwise; sizes are in arcsec when the pixel
//! scale is known (the WCS or `pixel_scale`), in pixels otherwise; a PSF image's centre is its true centre.

mod catalog;
mod cutouts;
mod error;
mod merge_catalogs;
mod model_file;
mod model_output;
mod noise;
mod output;
mod planes;
mod psf;
mod survey;

pub use catalog::{read_catalog, Source};
pub use cutouts::{windows_around, Window};
pub use error::MeasureError;
pub use merge_catalogs::{merge_catalogs, stamp_keys};
pub use model_file::{load_model, parse_model};
pub use model_output::model_catalog_columns;
pub use noise::{NoiseSource, NoiseSpec};
pub use noise_model::Statistic;
pub use output::{
    catalog_columns, position_angle, save_model_blocks, save_models, write_csv, write_csv_stamped,
    write_fits_table, Column, Values,
};
pub use planes::{is_fits_path, Planes};
pub use psf::{load_psf_images, PsfSampling, PsfSpec};
pub use survey::{Cutout, MeasureRequest, Measurement, ModelMeasurement, Survey};
