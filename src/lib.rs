//! Umbrella crate of the galaxy toolkit: re-exports each library so that the top-level `examples/` and
//! `tests/` can use them under one name. Applications should depend on the single crate they need.

#![warn(missing_docs)]

/// Sérsic ⊗ PSF ⊗ pixel images and their Jacobians (the `sersic-render` crate).
pub use sersic_render;
