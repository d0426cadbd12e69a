//! Sérsic galaxy images in GalSim's conventions, fast and with exact derivatives.
pub mod hankel;
pub mod psf;
pub mod radial_table;
pub mod sersic;
pub mod sersic_table;
pub mod shear;
