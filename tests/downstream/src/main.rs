//! A downstream user of `mle-fit` alone: draws the seed's test galaxy with the renderer `mle-fit`
//! re-exports, adds the seed's noise, fits it, and checks the estimate is within 5 sigma of the truth.
use mle_fit::noise_model::CcdNoise;
use mle_fit::sersic_render::{GalaxyParams, Psf, Renderer, Stamp};
use mle_fit::{crb, FitOptions, Fitter, NoiseOption};
use rand::SeedableRng;

fn main() {
    let renderer = Renderer::new(Stamp::default()).expect("the default stamp");
    let truth = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
    let psf = Psf::moffat(2.0, 0.5).expect("a Moffat PSF");
    let mut image = renderer.render(&truth, &psf).expect("a render");
    let noise = CcdNoise::poisson_gaussian(200.0).expect("the seed's noise");
    noise
        .apply(&mut image, &mut rand_pcg::Pcg64::seed_from_u64(1))
        .expect("noise");
    let fit = Fitter::new(&renderer, FitOptions::default())
        .and_then(|f| f.fit(image.view(), &psf, 200.0))
        .expect("a fit");
    let bound = crb(&renderer, &truth, &psf, &NoiseOption::Poisson.noise(200.0).unwrap()).unwrap();
    for j in 0..5 {
        let pull = (fit.params[j] - truth.to_array()[j]) / bound.sigma[j];
        println!("parameter {j}: estimate {:.4}, pull {pull:+.2}", fit.params[j]);
        assert!(pull.abs() < 5.0, "parameter {j} is {pull} sigma off");
    }
    println!("downstream fit: ok (converged: {})", fit.converged);
}
