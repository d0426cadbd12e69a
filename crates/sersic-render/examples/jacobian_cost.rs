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
use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp};
use std::collections::BTreeMap;
use std::time::Instant;

#[path = "../benches/common/pixel_psf_setup.rs"]
mod setup;

fn main() {
    let stamp = Stamp::square(64, 0.23);
    let renderer = Renderer::new(stamp).unwrap();
    let pixels = setup::psf_pixels(std::env::args().nth(1), stamp);
    let psf = Psf::image(PsfImage::new(pixels.view(), stamp.scale, 1, true).unwrap());
    let mut groups: BTreeMap<usize, Vec<(GalaxyParams, [f64; 2])>> = BTreeMap::new();
    for (galaxy, offset) in setup::prior(1024, 19) {
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
