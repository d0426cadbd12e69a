//! What the pixel-PSF benchmark (`benches/pixel_psf.rs`) and `examples/jacobian_cost.rs` draw: the same
//! galaxies and the same PSF, so that their figures can be read together.

use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};
use std::f64::consts::PI;

/// `count` galaxies from the seed's prior (n in [0.5, 6], hlr in [0.1, 0.6]", |g| < 0.67, flux 3e4..4e5),
/// each off centre by U(-1.5, 1.5) pixels.
pub fn prior(count: usize, seed: u64) -> Vec<(GalaxyParams, [f64; 2])> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let a: f64 = rng.random_range(0.0..0.67);
            let b: f64 = rng.random_range(0.0..PI);
            let galaxy = GalaxyParams::new(
                1e5 * rng.random_range(0.3..4.0),
                rng.random_range(0.5..6.0),
                rng.random_range(0.1..0.6),
                a * (2.0 * b).cos(),
                a * (2.0 * b).sin(),
            );
            let offset = [rng.random_range(-1.5..1.5), rng.random_range(-1.5..1.5)];
            (galaxy, offset)
        })
        .collect()
}

/// The PSF image: the 2-D float32 `.npy` at `path` (an effective PSF), else a beta = 3.5 Moffat of
/// 0.7" drawn with the pixel at the stamp's scale, 41 x 41.
pub fn psf_pixels(path: Option<String>, stamp: Stamp) -> Array2<f64> {
    match path {
        Some(path) => {
            let a: Array2<f32> = ndarray_npy::read_npy(&path).expect("a 2-D float32 .npy");
            a.mapv(f64::from)
        }
        None => Renderer::new(Stamp::square(41, stamp.scale))
            .unwrap()
            .render_psf(&Psf::moffat(3.5, 0.7).unwrap())
            .unwrap(),
    }
}
