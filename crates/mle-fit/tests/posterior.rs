//! The posterior sampler: a bright galaxy's posterior is the Gaussian around the fit, a narrow prior wins
//! over a weak likelihood, and over draws from a prior the posterior mean beats the fit and its spread
//! accounts for its errors (E[(θ − E[θ|x])²] = E[Var(θ|x)], the identity a correct posterior obeys).
#![allow(clippy::needless_range_loop)] // parameters are indexed 0..5 alongside their names

use galaxy_data::{Dist, Preset, Simulator};
use mle_fit::{crb, FitOptions, Fitter, NoiseOption, PosteriorOptions, PosteriorSampler};
use ndarray::Array2;
use noise_model::CcdNoise;
use rand::SeedableRng;
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp, PARAM_NAMES};

fn noisy(
    renderer: &Renderer,
    galaxy: &GalaxyParams,
    psf: &Psf,
    sigma: f64,
    seed: u64,
) -> Array2<f64> {
    let mut image = renderer.render(galaxy, psf).unwrap();
    let noise = CcdNoise::poisson_gaussian(sigma).unwrap();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    noise.apply(&mut image, &mut rng).unwrap();
    image
}

/// Uniform over a box wide enough not to matter, the shear inside |g| < 0.9.
fn flat(theta: [f64; 5]) -> f64 {
    let [flux, n, hlr, g1, g2] = theta;
    let inside = (1e3..1e8).contains(&flux)
        && (0.5..=6.0).contains(&n)
        && (0.02..2.0).contains(&hlr)
        && g1.hypot(g2) < 0.9;
    if inside {
        0.0
    } else {
        f64::NEG_INFINITY
    }
}

#[test]
fn a_bright_galaxy_under_a_flat_prior_has_the_fits_estimate_and_the_crb_as_spread() {
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let psf = Psf::moffat(2.0, 0.5).unwrap();
    let galaxy = GalaxyParams::new(3.5e5, 1.5, 0.4, 0.1, -0.2);
    let sigma = 200.0;
    let image = noisy(&renderer, &galaxy, &psf, sigma, 3);
    let sampler = PosteriorSampler::new(&renderer, PosteriorOptions::default()).unwrap();
    let post = sampler
        .summarize(image.view(), &psf, sigma, &flat, 0)
        .unwrap();
    let fit = Fitter::new(&renderer, FitOptions::default())
        .unwrap()
        .fit(image.view(), &psf, sigma)
        .unwrap();
    let bound = crb(
        &renderer,
        &galaxy,
        &psf,
        &NoiseOption::Poisson.noise(sigma).unwrap(),
    )
    .unwrap();
    assert!(post.effective_samples > 200.0, "{post:?}");
    for p in 0..5 {
        let name = PARAM_NAMES[p];
        let shift = (post.mean[p] - fit.params[p]) / bound.sigma[p];
        eprintln!(
            "{name}: shift {shift:.3} CRB, std / CRB {:.3}",
            post.std[p] / bound.sigma[p]
        );
        assert!(
            shift.abs() < 0.25,
            "{name}: posterior mean {} vs fit {} ({shift:.2} CRB)",
            post.mean[p],
            fit.params[p]
        );
        let ratio = post.std[p] / bound.sigma[p];
        assert!(
            (0.85..1.15).contains(&ratio),
            "{name}: posterior std {} vs CRB {} ({ratio:.3})",
            post.std[p],
            bound.sigma[p]
        );
    }
}

#[test]
fn a_narrow_prior_wins_over_a_weak_likelihood() {
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let psf = Psf::moffat(2.0, 0.5).unwrap();
    let galaxy = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
    let sigma = 400.0; // SNR 30: the likelihood's g2 width is 0.11
    let image = noisy(&renderer, &galaxy, &psf, sigma, 5);
    // g2 confined to [0.30, 0.32], far from the truth and 0.02 wide.
    let narrow = |theta: [f64; 5]| {
        if (0.30..=0.32).contains(&theta[4]) {
            flat(theta)
        } else {
            f64::NEG_INFINITY
        }
    };
    let sampler = PosteriorSampler::new(&renderer, PosteriorOptions::default()).unwrap();
    let post = sampler
        .summarize(image.view(), &psf, sigma, &narrow, 0)
        .unwrap();
    assert!((0.30..=0.32).contains(&post.mean[4]), "{post:?}");
    // Nearly flat over the window: the spread of a uniform, 0.02 / sqrt(12).
    let uniform = 0.02 / 12f64.sqrt();
    assert!((post.std[4] / uniform - 1.0).abs() < 0.1, "{post:?}");
}

#[test]
fn over_draws_from_the_prior_the_posterior_mean_beats_the_fit_and_its_spread_is_its_error() {
    // data_v2's prior (sigma 200–400, SNR 10–100) with a continuous n: the regime where the prior matters.
    let settings = Preset::DataV2.settings().with_continuous_n();
    let prior = settings.prior;
    assert_eq!(prior.sersic_index, Dist::Uniform { lo: 0.5, hi: 6.0 });
    let simulator = Simulator::new(settings, 17).unwrap();
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let options = PosteriorOptions {
        nodes: 12,
        samples: 96,
        snr_window: settings.snr_window.map(|w| (w.lo, w.hi)),
        ..PosteriorOptions::default()
    };
    let sampler = PosteriorSampler::new(&renderer, options).unwrap();
    let fitter = Fitter::new(&renderer, FitOptions::default()).unwrap();
    let ln_prior = |theta: [f64; 5]| prior.ln_density(theta);
    let count = 60;
    // (truth, posterior mean, posterior std, fit) per image.
    type Row = ([f64; 5], [f64; 5], [f64; 5], [f64; 5]);
    let rows: Vec<Row> = {
        use rayon::prelude::*;
        (0..count as u64)
            .into_par_iter()
            .map(|i| {
                let s = simulator.sample(i).unwrap();
                let image = s.img.mapv(f64::from);
                let psf = Psf::moffat(2.0, s.psf_fwhm).unwrap();
                let post = sampler
                    .summarize(image.view(), &psf, s.sigma, &ln_prior, i)
                    .unwrap();
                let fit = fitter.fit(image.view(), &psf, s.sigma).unwrap();
                (s.params.to_array(), post.mean, post.std, fit.params)
            })
            .collect()
    };
    for p in 0..5 {
        let name = PARAM_NAMES[p];
        let mse = |k: usize| {
            rows.iter()
                .map(|r| {
                    let est = if k == 0 { r.1[p] } else { r.3[p] };
                    (est - r.0[p]).powi(2)
                })
                .sum::<f64>()
                / count as f64
        };
        let (posterior, fit) = (mse(0), mse(1));
        assert!(
            posterior < fit,
            "{name}: posterior-mean MSE {posterior:.4e} >= fit's {fit:.4e}"
        );
        // E[Var(θ|x)] against the squared errors: equal for a correct posterior; 60 draws of a
        // heavy-tailed square leave a wide margin, but a posterior 1.6x too wide or narrow fails.
        let var = rows.iter().map(|r| r.2[p] * r.2[p]).sum::<f64>() / count as f64;
        let ratio = posterior / var;
        eprintln!("{name}: MSE posterior {posterior:.3e}, fit {fit:.3e}, mean posterior variance {var:.3e}");
        assert!(
            (0.6..1.6).contains(&ratio),
            "{name}: MSE / mean posterior variance = {ratio:.2}"
        );
    }
}
