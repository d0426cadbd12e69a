//! The noise of a real image: maps, masks and non-finite pixels, and the likelihood over what is left.
use ndarray::Array2;
use noise_model::likelihood::Likelihood;
use noise_model::{CcdNoise, MaskPolarity, NoiseError, PixelNoise, Statistic};

fn images() -> (Array2<f64>, Array2<f64>) {
    let model = Array2::from_shape_fn((6, 7), |(r, c)| 50.0 + 10.0 * r as f64 - 3.0 * c as f64);
    let data = Array2::from_shape_fn((6, 7), |(r, c)| {
        model[[r, c]] + 4.0 * ((r * 7 + c) as f64 * 1.7).sin()
    });
    (data, model)
}

/// The gradient `gradient` of `noise`'s statistic at `model` against central differences at a few pixels.
fn assert_gradient_matches_differences(
    noise: &PixelNoise,
    data: &Array2<f64>,
    model: &Array2<f64>,
    gradient: &Array2<f64>,
) {
    for (r, c) in [(0, 0), (2, 5), (5, 6)] {
        let h = 1e-4;
        let at = |delta: f64| {
            let mut m = model.clone();
            m[[r, c]] += delta;
            noise
                .log_likelihood_with_gradient(data.view(), m.view())
                .unwrap()
                .0
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!(
            (fd - gradient[[r, c]]).abs() < 1e-6,
            "{fd} vs {}",
            gradient[[r, c]]
        );
    }
}

#[test]
fn a_ccd_source_gives_the_gaussian_likelihood_of_ccd_noise() {
    let (data, model) = images();
    let ccd = CcdNoise::new(154.33, 4.725, 4.3).unwrap();
    let noise = PixelNoise::from_ccd(ccd, data.dim());
    let (ours, gradient) = noise
        .log_likelihood_with_gradient(data.view(), model.view())
        .unwrap();
    let (reference, reference_gradient) = Likelihood::Gaussian
        .log_likelihood_with_gradient(&ccd, &data, &model)
        .unwrap();
    assert!((ours - reference).abs() < 1e-9 * reference.abs());
    assert!((&gradient - &reference_gradient)
        .iter()
        .all(|d| d.abs() < 1e-12));
}

#[test]
fn sigma_variance_and_weight_maps_describe_the_same_noise() {
    let (data, model) = images();
    let sigma = Array2::from_shape_fn(data.dim(), |(r, c)| 2.0 + 0.1 * (r + 2 * c) as f64);
    let variance = sigma.mapv(|s| s * s);
    let weight = variance.mapv(|v| 1.0 / v);
    let results: Vec<(f64, Array2<f64>, f64)> = [
        PixelNoise::from_sigma_map(sigma.view()).unwrap(),
        PixelNoise::from_variance_map(variance.view()).unwrap(),
        PixelNoise::from_weight_map(weight.view()).unwrap(),
    ]
    .iter()
    .map(|noise| {
        let (l, g) = noise
            .log_likelihood_with_gradient(data.view(), model.view())
            .unwrap();
        (l, g, noise.chi_square(data.view(), model.view()).unwrap().0)
    })
    .collect();
    for (l, g, chi2) in &results[1..] {
        assert!((l - results[0].0).abs() < 1e-10 * l.abs());
        assert!((g - &results[0].1).iter().all(|d| d.abs() < 1e-12));
        assert!((chi2 - results[0].2).abs() < 1e-10 * chi2);
    }
    // χ² is Σ r² / σ².
    let direct: f64 = ((&data - &model) / &sigma).mapv(|v| v * v).sum();
    assert!((results[0].2 - direct).abs() < 1e-10 * direct);
}

#[test]
fn the_gradient_is_that_of_the_likelihood() {
    let (data, model) = images();
    let noise = PixelNoise::from_ccd(CcdNoise::new(20.0, 2.0, 3.0).unwrap(), data.dim());
    let (_, gradient) = noise
        .log_likelihood_with_gradient(data.view(), model.view())
        .unwrap();
    assert_gradient_matches_differences(&noise, &data, &model, &gradient);
}

#[test]
fn the_chi_square_statistic_is_minus_half_chi_square_with_its_gradient() {
    let (data, model) = images();
    let ccd = CcdNoise::new(20.0, 2.0, 3.0).unwrap();
    let noise = PixelNoise::from_ccd(ccd, data.dim()).with_statistic(Statistic::ChiSquare);
    assert_eq!(noise.statistic(), Statistic::ChiSquare);
    let (value, gradient) = noise
        .log_likelihood_with_gradient(data.view(), model.view())
        .unwrap();
    let (chi2, _) = noise.chi_square(data.view(), model.view()).unwrap();
    assert!(
        (value + 0.5 * chi2).abs() < 1e-12 * chi2,
        "{value} vs {chi2}"
    );
    // Not the likelihood: that one has the ln V term.
    let likelihood = PixelNoise::from_ccd(ccd, data.dim());
    let (log_l, _) = likelihood
        .log_likelihood_with_gradient(data.view(), model.view())
        .unwrap();
    assert!((log_l - value).abs() > 1.0);
    assert_gradient_matches_differences(&noise, &data, &model, &gradient);
    // Its Fisher weight is 1/V (Imfit's model-based errors); the likelihood's adds the variance's term.
    let (v, dv) = noise.variance(0, 0, 40.0);
    assert_eq!(noise.fisher_weight(v, dv), 1.0 / v);
    assert!(likelihood.fisher_weight(v, dv) > 1.0 / v);
}

#[test]
fn masked_pixels_change_nothing_whatever_they_hold() {
    let (data, model) = images();
    let mut mask = Array2::zeros(data.dim());
    for (r, c) in [(0, 0), (3, 3), (5, 1)] {
        mask[[r, c]] = 1.0;
    }
    let ccd = CcdNoise::new(100.0, 4.0, 5.0).unwrap();
    let noise = PixelNoise::from_ccd(ccd, data.dim())
        .with_mask(mask.view(), MaskPolarity::NonZeroIsBad)
        .unwrap();
    assert_eq!(noise.masked(), 3);
    let clean = noise
        .log_likelihood_with_gradient(data.view(), model.view())
        .unwrap();
    let mut garbage = data.clone();
    for (r, c) in [(0, 0), (3, 3), (5, 1)] {
        garbage[[r, c]] = [1e30, -7.0, f64::NAN][r % 3];
    }
    let with_garbage = noise
        .log_likelihood_with_gradient(garbage.view(), model.view())
        .unwrap();
    assert_eq!(clean.0, with_garbage.0);
    assert_eq!(clean.1, with_garbage.1);
    assert_eq!(clean.1[[3, 3]], 0.0);
    // The other polarity: zero = bad leaves out every pixel but those three.
    let inverse = PixelNoise::from_ccd(ccd, data.dim())
        .with_mask(mask.view(), MaskPolarity::ZeroIsBad)
        .unwrap();
    assert_eq!(inverse.masked(), data.len() - 3);
    assert_eq!(inverse.chi_square(data.view(), model.view()).unwrap().1, 3);
}

#[test]
fn non_finite_data_are_left_out_and_counted() {
    let (mut data, model) = images();
    data[[1, 2]] = f64::NAN;
    data[[4, 4]] = f64::INFINITY;
    let noise = PixelNoise::from_ccd(CcdNoise::gaussian(3.0).unwrap(), data.dim())
        .excluding_non_finite(data.view())
        .unwrap();
    assert_eq!((noise.non_finite(), noise.masked()), (2, 2));
    assert!((noise.masked_fraction() - 2.0 / 42.0).abs() < 1e-15);
    let (l, g) = noise
        .log_likelihood_with_gradient(data.view(), model.view())
        .unwrap();
    assert!(l.is_finite() && g[[1, 2]] == 0.0);
    // Without leaving them out, the likelihood refuses them, naming the image.
    let strict = PixelNoise::from_ccd(CcdNoise::gaussian(3.0).unwrap(), data.dim());
    let e = strict
        .log_likelihood_with_gradient(data.view(), model.view())
        .unwrap_err();
    assert!(
        matches!(
            e,
            NoiseError::NonFinite {
                what: "data",
                index: 9,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn unusable_maps_and_masks_are_refused_naming_the_problem() {
    let ok = Array2::from_elem((3, 4), 1.0);
    let mut negative = ok.clone();
    negative[[1, 1]] = -0.5;
    let e = PixelNoise::from_weight_map(negative.view()).unwrap_err();
    assert!(
        e.to_string()
            .contains("weight map has the value -0.5 at flat index 5"),
        "{e}"
    );
    let zeros = Array2::zeros((3, 4));
    let e = PixelNoise::from_weight_map(zeros.view()).unwrap_err();
    assert!(e.to_string().contains("zero everywhere"), "{e}");
    let mut nan = ok.clone();
    nan[[0, 3]] = f64::NAN;
    assert!(PixelNoise::from_sigma_map(nan.view()).is_err());
    assert!(PixelNoise::from_variance_map(zeros.view()).is_err());
    // Infinite sigma marks a pixel unusable; zero weight too.
    let mut holes = ok.clone();
    holes[[2, 0]] = f64::INFINITY;
    assert_eq!(
        PixelNoise::from_sigma_map(holes.view()).unwrap().masked(),
        1
    );
    let mut weights = ok.clone();
    weights[[0, 0]] = 0.0;
    assert_eq!(
        PixelNoise::from_weight_map(weights.view())
            .unwrap()
            .masked(),
        1
    );
    // A mask of another shape, and a mask that leaves nothing.
    let noise = PixelNoise::from_weight_map(ok.view()).unwrap();
    let e = noise
        .clone()
        .with_mask(Array2::zeros((4, 3)).view(), MaskPolarity::NonZeroIsBad)
        .unwrap_err();
    assert!(
        matches!(e, NoiseError::ShapeMismatch { what: "mask", .. }),
        "{e}"
    );
    let e = noise
        .with_mask(Array2::zeros((3, 4)).view(), MaskPolarity::ZeroIsBad)
        .unwrap_err();
    assert!(e.to_string().contains("every pixel is masked"), "{e}");
}
