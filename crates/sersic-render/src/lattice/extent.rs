//! The size of the lattice a stamp is drawn on.

/// The discretisation a stamp is drawn on: the real-space period and the k-space radius. The renderer picks
/// one per galaxy ([`Renderer::lattice_for`](crate::Renderer::lattice_for)); holding it fixed across nearby
/// parameters (as a fitter's line search or a finite-difference check should) makes the image an exactly
/// smooth function of them, whose derivative is the Jacobian returned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lattice {
    /// Real-space period N, pixels.
    pub period: usize,
    /// Radius of the summed disc of k, rad/arcsec.
    pub k_max: f64,
}
