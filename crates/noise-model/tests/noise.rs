//! Statistical and error-path tests of noise-model. Every test is seeded, hence deterministic.

use ndarray::{Array1, Array2};
use noise_model::likelihood::Likelihood;
use noise_model::{estimate, snr, CcdNoise, NoiseError};
use rand::SeedableRng;
use rand_pcg::Pcg64;

/// Sample mean and variance of `count` noisy draws of a pixel whose expectation is `model`.
fn moments(noise: &CcdNoise, model: f64, count: usize, seed: u64) -> (f64, f64) {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut image = Array1::<f64>::from_elem(count, model);
    noise.apply(&mut image, &mut rng).unwrap();
    let mean = image.mean().unwrap();
    let var = image.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (count as f64 - 1.0);
    (mean, var)
}

/// Mean within 5 standard errors of `expect_mean`, variance within 5 standard errors of `expect_var`
/// (the standard error of a sample variance is about var·sqrt(2/(n−1)) plus the excess-kurtosis term,
/// which is small here; the factor 5 leaves room for it).
fn assert_moments(noise: &CcdNoise, model: f64, expect_mean: f64, expect_var: f64, seed: u64) {
    let count = 40_000;
    let (mean, var) = moments(noise, model, count, seed);
    let se_mean = (expect_var / count as f64).sqrt();
    let se_var = expect_var * (2.0 / (count as f64 - 1.0)).sqrt() * 1.2;
    assert!(
        (mean - expect_mean).abs() < 5.0 * se_mean.max(1e-12),
        "model {model}: mean {mean} vs {expect_mean}"
    );
    assert!(
        (var - expect_var).abs() < 5.0 * se_var.max(1e-12),
        "model {model}: var {var} vs {expect_var}"
    );
}

#[test]
fn seed_noise_has_mean_model_and_variance_sigma2_plus_model() {
    let noise = CcdNoise::poisson_gaussian(20.0).unwrap();
    for (i, &m) in [0.0, 0.3, 5.0, 40.0, 900.0, 2.5e5].iter().enumerate() {
        assert_moments(&noise, m, m, 400.0 + m, 100 + i as u64);
    }
}

#[test]
fn negative_expectations_count_as_zero_as_in_galsim() {
    // Without read noise a negative expectation becomes exactly 0, like GalSim's clipped Poisson deviate.
    let noise = CcdNoise::poisson_gaussian(0.0).unwrap();
    let mut image = Array1::<f32>::from_vec(vec![-5.0, -0.1, 0.0]);
    noise
        .apply(&mut image, &mut Pcg64::seed_from_u64(3))
        .unwrap();
    assert_eq!(image.to_vec(), vec![0.0, 0.0, 0.0]);
    // With read noise: mean 0 and variance sigma², whatever the (negative) model.
    let noise = CcdNoise::poisson_gaussian(3.0).unwrap();
    assert_moments(&noise, -50.0, 0.0, 9.0, 4);
}

#[test]
fn poisson_draws_are_integer_counts_in_f32_images() {
    let noise = CcdNoise::poisson_gaussian(0.0).unwrap();
    let mut image = Array2::<f32>::from_elem((16, 16), 7.3);
    noise
        .apply(&mut image, &mut Pcg64::seed_from_u64(5))
        .unwrap();
    assert!(image.iter().all(|v| v.fract() == 0.0 && *v >= 0.0));
    assert!(image.iter().any(|v| *v != image[[0, 0]]));
}

#[test]
fn ccd_noise_with_gain_and_sky_follows_galsim_semantics() {
    // Gain 2 e-/ADU, sky 100 ADU, read noise 6 e-: variance (m + sky)/gain + (6/2)² ADU², mean m.
    let noise = CcdNoise::new(100.0, 2.0, 6.0).unwrap();
    for (i, &m) in [0.0, 30.0, 1000.0].iter().enumerate() {
        assert_moments(&noise, m, m, (m + 100.0) / 2.0 + 9.0, 200 + i as u64);
        assert!((noise.pixel_variance(m) - ((m + 100.0) / 2.0 + 9.0)).abs() < 1e-12);
    }
    // Gain 0: no Poisson part, the read noise is a sigma in ADU.
    let gauss = CcdNoise::new(0.0, 0.0, 4.0).unwrap();
    assert_moments(&gauss, 500.0, 500.0, 16.0, 7);
    assert_eq!(CcdNoise::gaussian(4.0).unwrap(), gauss);
}

#[test]
fn same_seed_same_noise_different_seed_different_noise() {
    let noise = CcdNoise::poisson_gaussian(10.0).unwrap();
    let draw = |seed| {
        let mut im = Array2::<f64>::from_elem((8, 8), 25.0);
        noise
            .apply(&mut im, &mut Pcg64::seed_from_u64(seed))
            .unwrap();
        im
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
}

#[test]
fn variance_map_is_sigma2_plus_clipped_model() {
    let noise = CcdNoise::poisson_gaussian(200.0).unwrap();
    let model = Array1::from_vec(vec![-10.0f32, 0.0, 250.0]);
    let v = noise.variance(&model).unwrap();
    assert_eq!(v.to_vec(), vec![40_000.0, 40_000.0, 40_250.0]);
}

/// Simpson integration of the exact density over the data value: must be 1.
#[test]
fn exact_poisson_gaussian_density_is_normalised() {
    for &(model, sigma, gain) in &[
        (3.0, 1.5, 1.0),
        (0.4, 0.8, 1.0),
        (40.0, 3.0, 2.0),
        (2000.0, 200.0, 1.0),
    ] {
        let noise = CcdNoise::new(0.0, gain, sigma * gain).unwrap();
        let spread = (model / gain + sigma * sigma).sqrt();
        let (a, b) = (model - 12.0 * spread - 5.0, model + 12.0 * spread + 5.0);
        let steps = 20_000;
        let h = (b - a) / steps as f64;
        let mut total = 0.0;
        for i in 0..=steps {
            let y = a + i as f64 * h;
            let w = if i == 0 || i == steps {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            total += w * Likelihood::PoissonGaussian
                .pixel(&noise, y, model)
                .log_l
                .exp();
        }
        total *= h / 3.0;
        assert!(
            (total - 1.0).abs() < 1e-6,
            "model {model} sigma {sigma} gain {gain}: integral {total}"
        );
    }
}

#[test]
fn likelihood_derivatives_match_finite_differences() {
    let noise = CcdNoise::new(5.0, 1.5, 4.0).unwrap();
    for kind in [Likelihood::Gaussian, Likelihood::PoissonGaussian] {
        for &(data, model) in &[(3.0f64, 2.0f64), (50.0, 44.0), (-2.0, 0.7), (400.0, 380.0)] {
            let h = 1e-5 * (1.0 + model.abs());
            let up = kind.pixel(&noise, data, model + h).log_l;
            let down = kind.pixel(&noise, data, model - h).log_l;
            let fd = (up - down) / (2.0 * h);
            let an = kind.pixel(&noise, data, model).d_model;
            assert!(
                (fd - an).abs() < 1e-6 * (1.0 + an.abs()),
                "{kind:?} d={data} m={model}: {an} vs {fd}"
            );
        }
    }
}

#[test]
fn exact_and_gaussian_likelihoods_agree_at_the_seeds_noise_level() {
    // sigma 200: the read noise dominates and the Gaussian approximation is excellent.
    let noise = CcdNoise::poisson_gaussian(200.0).unwrap();
    for &(data, model) in &[(10.0, 0.0), (150.0, 300.0), (5200.0, 5000.0)] {
        let g = Likelihood::Gaussian.pixel(&noise, data, model).log_l;
        let e = Likelihood::PoissonGaussian.pixel(&noise, data, model).log_l;
        assert!(
            (g - e).abs() < 1e-3,
            "data {data} model {model}: gaussian {g} exact {e}"
        );
    }
}

#[test]
fn image_likelihood_sums_pixels_and_gradient_matches() {
    let noise = CcdNoise::poisson_gaussian(10.0).unwrap();
    let model = Array2::from_shape_fn((4, 5), |(r, c)| (r * 5 + c) as f64 * 3.0);
    let mut data = model.clone();
    noise
        .apply(&mut data, &mut Pcg64::seed_from_u64(9))
        .unwrap();
    let kind = Likelihood::PoissonGaussian;
    let (total, grad) = kind
        .log_likelihood_with_gradient(&noise, &data, &model)
        .unwrap();
    let by_pixel: f64 = data
        .iter()
        .zip(model.iter())
        .map(|(d, m)| kind.pixel(&noise, *d, *m).log_l)
        .sum();
    assert!((total - by_pixel).abs() < 1e-9);
    assert_eq!(kind.log_likelihood(&noise, &data, &model).unwrap(), total);
    assert!((grad[[2, 3]] - kind.pixel(&noise, data[[2, 3]], model[[2, 3]]).d_model).abs() < 1e-12);
    // The model that generated the data is more likely than a doubled one.
    assert!(total > kind.log_likelihood(&noise, &data, &(&model * 2.0)).unwrap());
}

#[test]
fn snr_definitions() {
    let model = Array2::<f32>::from_elem((10, 10), 30.0);
    // sqrt(100 · 900) / 20 = 15.
    assert!((snr::seed_snr(&model, 20.0).unwrap() - 15.0).abs() < 1e-12);
    let noise = CcdNoise::poisson_gaussian(20.0).unwrap();
    // sqrt(100 · 900 / 430).
    let mf = snr::matched_filter_snr(&model, &noise).unwrap();
    assert!((mf - (90_000.0f64 / 430.0).sqrt()).abs() < 1e-12);
    assert!(mf < 15.0);
}

#[test]
fn sigma_from_border_is_robust_to_a_bright_centre() {
    let noise = CcdNoise::gaussian(7.0).unwrap();
    let mut image = Array2::<f64>::from_shape_fn((64, 64), |(r, c)| {
        let d2 = (r as f64 - 31.5).powi(2) + (c as f64 - 31.5).powi(2);
        5e4 * (-d2 / 50.0).exp()
    });
    image[[0, 0]] = 1e6; // a cosmic ray on the border
    noise
        .apply(&mut image, &mut Pcg64::seed_from_u64(11))
        .unwrap();
    let sigma = estimate::sigma_from_border(&image, 4).unwrap();
    assert!((sigma / 7.0 - 1.0).abs() < 0.06, "estimated sigma {sigma}");
}

#[test]
fn bad_inputs_are_named_errors() {
    assert!(matches!(
        CcdNoise::poisson_gaussian(f64::NAN),
        Err(NoiseError::BadSetting { name: "sigma", .. })
    ));
    assert!(matches!(
        CcdNoise::new(0.0, -1.0, 1.0),
        Err(NoiseError::BadSetting { name: "gain", .. })
    ));
    assert!(matches!(
        CcdNoise::new(-3.0, 1.0, 1.0),
        Err(NoiseError::BadSetting {
            name: "sky_level",
            ..
        })
    ));
    let msg = CcdNoise::new(0.0, 1.0, f64::INFINITY)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("read_noise") && msg.contains("inf"), "{msg}");

    let noise = CcdNoise::poisson_gaussian(1.0).unwrap();
    let mut image = Array1::from_vec(vec![1.0f32, f32::NAN, 2.0]);
    let before = image.clone();
    let err = noise
        .apply(&mut image, &mut Pcg64::seed_from_u64(1))
        .unwrap_err();
    assert!(
        matches!(err, NoiseError::NonFinite { what: "image", index: 1, value } if value.is_nan()),
        "{err}"
    );
    assert_eq!(image[0], before[0], "a rejected image is left untouched");

    let a = Array2::<f64>::zeros((3, 3));
    let b = Array2::<f64>::zeros((3, 4));
    assert!(matches!(
        Likelihood::Gaussian.log_likelihood(&noise, &a, &b),
        Err(NoiseError::ShapeMismatch { what: "model", .. })
    ));
    assert!(matches!(
        snr::seed_snr(&a, 0.0),
        Err(NoiseError::BadSetting { name: "sigma", .. })
    ));
    assert!(matches!(
        estimate::sigma_from_border(&a, 0),
        Err(NoiseError::Border(_))
    ));
    assert!(matches!(
        estimate::sigma_from_border(&Array2::<f64>::zeros((8, 8)), 5),
        Err(NoiseError::Border(_))
    ));
}

/// Both Poisson samplers (inversion below 12 expected counts, rand_distr above) against the exact
/// probabilities, by a chi-square test over the count histogram.
#[test]
fn poisson_counts_follow_the_poisson_distribution() {
    let noise = CcdNoise::poisson_gaussian(0.0).unwrap();
    for (seed, &lambda) in [0.05f64, 0.9, 4.0, 11.9, 12.1, 30.0].iter().enumerate() {
        let draws = 200_000;
        let mut image = Array1::<f64>::from_elem(draws, lambda);
        noise
            .apply(&mut image, &mut Pcg64::seed_from_u64(300 + seed as u64))
            .unwrap();
        let kmax = (lambda + 8.0 * lambda.sqrt() + 8.0) as usize;
        let mut hist = vec![0f64; kmax + 1];
        for v in image.iter() {
            hist[(*v as usize).min(kmax)] += 1.0;
        }
        // Exact probabilities, the last bin taking the tail; bins with < 5 expected counts are pooled.
        let mut p = (-lambda).exp();
        let mut probs = vec![p];
        for k in 1..kmax {
            p *= lambda / k as f64;
            probs.push(p);
        }
        probs.push(1.0 - probs.iter().sum::<f64>());
        let (mut chi2, mut dof, mut pooled_o, mut pooled_e) = (0.0, 0i32, 0.0, 0.0);
        for (o, pr) in hist.iter().zip(&probs) {
            pooled_o += o;
            pooled_e += pr * draws as f64;
            if pooled_e >= 5.0 {
                chi2 += (pooled_o - pooled_e).powi(2) / pooled_e;
                dof += 1;
                pooled_o = 0.0;
                pooled_e = 0.0;
            }
        }
        let dof = f64::from(dof - 1);
        // chi² beyond dof + 5 sqrt(2 dof) has probability < 1e-5 for these dof.
        assert!(
            chi2 < dof + 5.0 * (2.0 * dof).sqrt() + 5.0,
            "lambda {lambda}: chi2 {chi2:.1} with {dof} dof"
        );
    }
}
