//! Maximum-likelihood fits of Sérsic galaxies, Fisher matrices and Cramér–Rao bounds.
#![warn(missing_docs)]

pub mod lbfgsb;
