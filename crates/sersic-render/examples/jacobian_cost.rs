//! What the seven-column Jacobian costs beside one image, by the lattice period the galaxy needs.
//!
//!     cargo run --release -p sersic-render --example jacobian_cost [PSF.npy]
//!
//! Galaxies of the pixel-PSF benchmark's prior (`benches/pixel_psf.rs`: 64 x 64 stamps of 0.23", n in
//! [0.5, 6], hlr in [0.1, 0.6]", |g| < 0.67, offsets up to 1.5 px) are grouped by the period their image
//! is drawn on, and each group is drawn as images and as image + Jacobian in turn (wall time, best of five
//! rounds). The PSF is the 41 x 41 `.npy` given (an effective PSF image), else a Moffat(3.5, 0.7") drawn
//! with the pixel. Periods grow with the galaxy's wings (high n); the Jacobian's seven inverse FFTs weigh
//! more there, so its ratio to one image rises with the period.
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp};
use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::time::Instant;

fn main() {
    let stamp = Stamp::square(64, 0.23);
    let renderer = Renderer::new(stamp).unwrap();
    let pixels = match std::env::args().nth(1) {
        Some(path) => {
            let a: Array2<f32> = ndarray_npy::read_npy(&path).expect("a 2-D float32 .npy");
            a.mapv(f64::from)
        }
        None => Renderer::new(Stamp::square(41, stamp.scale))
            .unwrap()
            .render_psf(&Psf::moffat(3.5, 0.7).unwrap())
            .unwrap(),
    };
    let psf = Psf::image(PsfImage::new(pixels.view(), stamp.scale, 1, true).unwrap());
    let mut rng = rand_pcg::Pcg64::seed_from_u64(19);
    let mut groups: BTreeMap<usize, Vec<(GalaxyParams, [f64; 2])>> = BTreeMap::new();
    for _ in 0..1024 {
        let (a, b): (f64, f64) = (rng.random_range(0.0..0.67), rng.random_range(0.0..PI));
        let galaxy = GalaxyParams::new(
            1e5 * rng.random_range(0.3..4.0),
            rng.random_range(0.5..6.0),
            rng.random_range(0.1..0.6),
            a * (2.0 * b).cos(),
            a * (2.0 * b).sin(),
        );
        let offset = [rng.random_range(-1.5..1.5), rng.random_range(-1.5..1.5)];
        let period = renderer
            .lattice_for_offset(&galaxy, &psf, offset)
            .unwrap()
            .period;
        groups.entry(period).or_default().push((galaxy, offset));
    }
    let best_of = |draw: &dyn Fn()| {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                draw();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    println!("period  galaxies  image (us)  image + Jacobian (us)  ratio");
    let (mut total_image, mut total_jacobian) = (0.0, 0.0);
    for (period, galaxies) in &groups {
        let image = best_of(&|| {
            for (g, o) in galaxies {
                std::hint::black_box(renderer.render_offset(g, &psf, *o).unwrap());
            }
        });
        let jacobian = best_of(&|| {
            for (g, o) in galaxies {
                std::hint::black_box(
                    renderer
                        .render_with_centre_jacobian(None, g, &psf, *o)
                        .unwrap(),
                );
            }
        });
        let count = galaxies.len() as f64;
        println!(
            "{period:>6}  {:>8}  {:>10.1}  {:>21.1}  {:>5.2}",
            galaxies.len(),
            image / count * 1e6,
            jacobian / count * 1e6,
            jacobian / image
        );
        total_image += image;
        total_jacobian += jacobian;
    }
    println!(
        "all     {:>8}  {:>10.1}  {:>21.1}  {:>5.2}",
        1024,
        total_image / 1024.0 * 1e6,
        total_jacobian / 1024.0 * 1e6,
        total_jacobian / total_image
    );
}
