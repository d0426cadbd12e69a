//! Draws the seed's test galaxy (flux 1e5, n 3, hlr 0.3", g = (-0.069, 0.15)) through a Moffat PSF of
//! FWHM 0.5" on a 64 x 64 stamp of 0.23" pixels, with its exact Jacobian, and prints what a user checks
//! first: the flux in the stamp, the peak, and the size of each derivative.
//!
//!     cargo run --release -p sersic-render --example draw_galaxy
use ndarray::Axis;
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp, PARAM_NAMES};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The renderer owns the caches and FFT plans of one stamp; profiles and PSFs are small values.
    let renderer = Renderer::new(Stamp::square(64, 0.23))?;
    let galaxy = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
    let psf = Psf::moffat(2.0, 0.5)?;
    let drawn = renderer.render_with_jacobian(&galaxy, &psf)?;
    let peak = drawn.image.iter().copied().fold(f64::MIN, f64::max);
    println!(
        "flux in the stamp: {:.1} of {:.1}; peak pixel {peak:.2}",
        drawn.image.sum(),
        galaxy.flux
    );
    for (name, plane) in PARAM_NAMES.iter().zip(drawn.jacobian.axis_iter(Axis(0))) {
        let largest = plane.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        println!("d image / d {name:<18} largest |value| {largest:.4e}");
    }
    Ok(())
}
