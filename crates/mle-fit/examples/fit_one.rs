//! Draws the seed's test galaxy, adds the seed's noise (sigma 200: SNR about 60), fits it by maximum
//! likelihood and prints each estimate with its error beside the truth and the Cramér–Rao bound.
//!
//!     cargo run --release -p mle-fit --example fit_one
use mle_fit::{crb, FitOptions, Fitter, NoiseOption};
use noise_model::CcdNoise;
use rand::SeedableRng;
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp, PARAM_NAMES};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let renderer = Renderer::new(Stamp::default())?;
    let truth = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
    let psf = Psf::moffat(2.0, 0.5)?;
    let sigma = 200.0;
    let mut image = renderer.render(&truth, &psf)?;
    CcdNoise::poisson_gaussian(sigma)?.apply(&mut image, &mut rand_pcg::Pcg64::seed_from_u64(3))?;
    let fitter = Fitter::new(&renderer, FitOptions::default())?;
    let fit = fitter.fit(image.view(), &psf, sigma)?;
    let bound = crb(&renderer, &truth, &psf, &NoiseOption::Poisson.noise(sigma)?)?;
    println!(
        "converged: {} after {} iterations ({})",
        fit.converged, fit.iterations, fit.message
    );
    println!(
        "{:<18} {:>12} {:>12} {:>12} {:>12}",
        "parameter", "truth", "estimate", "error", "CRB"
    );
    for (j, name) in PARAM_NAMES.iter().enumerate() {
        println!(
            "{name:<18} {:>12.4} {:>12.4} {:>12.4} {:>12.4}",
            truth.to_array()[j],
            fit.params[j],
            fit.errors[j],
            bound.sigma[j]
        );
    }
    Ok(())
}
