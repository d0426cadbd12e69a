#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
pub mod discrete;
mod fft;
pub mod hankel;
mod lanes;
mod lattice;
pub mod paired_table;
pub mod params;
pub mod psf;
pub mod psf_image;
mod psf_lattice;
pub mod radial_table;
pub mod renderer;
pub mod sersic;
pub mod sersic_table;
pub mod shear;

pub use discrete::{Convolution, DiscreteError};
pub use lattice::Lattice;
pub use params::{GalaxyParams, ParamError, Stamp, PARAM_NAMES, PARAM_NAMES_WITH_CENTRE};
pub use psf::{Psf, PsfError};
pub use psf_image::{PsfImage, PsfImageError};
pub use renderer::model::{ModelPart, ModelWithJacobian};
pub use renderer::{Accuracy, ImageWithJacobian, RenderError, RenderJob, Renderer};
pub use shear::Shear;
