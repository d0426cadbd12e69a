//! Draws the seed's test galaxy (flux 1e5, n 3, hlr 0.3", g = (-0.069, 0.15), Moffat FWHM 0.5") with its
//! Jacobian and prints what a user checks first: flux in the stamp, peak, and the size of each derivative.
//!
//! cargo run --release --example seed_galaxy
use galaxy_toolkit::sersic_render::{GalaxyParams, Psf, Renderer, Stamp, PARAM_NAMES};
use ndarray::Axis;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let renderer = Renderer::new(Stamp::default())?;
    let galaxy = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
    let psf = Psf::moffat(2.0, 0.5)?;
    let drawn = renderer.render_with_jacobian(&galaxy, &psf)?;
    let peak = drawn.image.iter().cloned().fold(f64::MIN, f64::max);
    println!(
        "flux in the 64 x 64 stamp: {:.1} of {:.1}",
        drawn.image.sum(),
        galaxy.flux
    );
    println!("peak pixel: {peak:.2}");
    for (name, plane) in PARAM_NAMES.iter().zip(drawn.jacobian.axis_iter(Axis(0))) {
        let biggest = plane.iter().map(|v| v.abs()).fold(0.0, f64::max);
        println!("max |d image / d {name}| = {biggest:.4e}");
    }
    Ok(())
}
