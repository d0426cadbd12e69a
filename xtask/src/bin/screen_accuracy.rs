//! How far the cheap screening render's SNR is from the accurate render's, over the seed's prior.
//!
//!     cargo run --release -p xtask --bin screen_accuracy [draws]
//!
//! The simulator rejects a draw without an accurate render only when the screened SNR is more than
//! 5% outside the SNR window; this prints the largest relative SNR error the screen makes, which must stay
//! far below that margin for the screen never to change a decision.

use rand::{RngExt, SeedableRng};
use sersic_render::{Accuracy, GalaxyParams, Psf, Renderer, Stamp};

fn main() {
    let draws: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3000);
    let accurate = Renderer::new(Stamp::default()).expect("default stamp");
    let screen_accuracy = Accuracy {
        fold_tolerance: 1e-4,
        k_tolerance: 1e-4,
        max_k_nyquist: 8.0,
    };
    let screen = Renderer::with_accuracy(Stamp::default(), screen_accuracy).expect("default stamp");
    // The seed's prior, with continuous n and the PSF FWHM over data_v3's range [0.5, 1].
    let mut rng = rand_pcg::Pcg64::seed_from_u64(2024);
    let mut worst: f64 = 0.0;
    let mut worst_case = String::new();
    for _ in 0..draws {
        let a: f64 = rng.random_range(0.0..0.67);
        let beta: f64 = rng.random_range(0.0..galaxy_data::prior::SEED_ANGLE_MAX);
        let galaxy = GalaxyParams::new(
            1e5 * rng.random_range(0.3..4.0),
            rng.random_range(0.5..6.0),
            rng.random_range(0.1..0.6),
            a * (2.0 * beta).cos(),
            a * (2.0 * beta).sin(),
        );
        let psf = Psf::moffat(2.0, rng.random_range(0.5..1.0)).expect("valid PSF");
        let norm = |r: &Renderer| {
            r.render(&galaxy, &psf)
                .expect("valid galaxy")
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        };
        let rel = (norm(&screen) / norm(&accurate) - 1.0).abs();
        if rel > worst {
            worst = rel;
            worst_case = format!("{galaxy:?}, PSF FWHM {:.3}", psf.fwhm());
        }
    }
    println!(
        "{draws} draws: largest relative SNR error of the screen {worst:.2e} (margin 5.00e-2)"
    );
    println!("at {worst_case}");
}
