//! Sérsic galaxy images in GalSim's conventions, fast and with exact derivatives.
#![warn(missing_docs)]
//!
//! What a profile *is* lives in small immutable values: [`GalaxyParams`] (flux, Sérsic index, half-light
//! radius, reduced shear), [`Psf`] (Moffat or Gaussian), [`Stamp`] (pixels and scale). How it is *drawn*
//! lives in a [`Renderer`], which owns the accuracy settings and the caches (FFT plans, PSF lattices) and
//! returns images and exact Jacobians with respect to (flux, n, hlr, g1, g2).
//!
//! ```
//! use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};
//! let renderer = Renderer::new(Stamp::default()).unwrap();
//! let galaxy = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
//! let psf = Psf::moffat(2.0, 0.5).unwrap();
//! let image = renderer.render(&galaxy, &psf).unwrap();
//! assert_eq!(image.dim(), (64, 64));
//! assert!((image.sum() / 1e5 - 1.0).abs() < 0.05); // a little flux falls outside the stamp
//! ```
//!
//! The method and its measured accuracy are described in docs/rendering.md.

mod fft;
pub mod hankel;
mod lattice;
pub mod params;
pub mod psf;
pub mod radial_table;
pub mod renderer;
pub mod sersic;
pub mod sersic_table;
pub mod shear;

pub use params::{GalaxyParams, ParamError, Stamp, PARAM_NAMES};
pub use psf::{Psf, PsfError};
pub use renderer::{Accuracy, ImageWithJacobian, Lattice, RenderError, Renderer};
pub use shear::Shear;
