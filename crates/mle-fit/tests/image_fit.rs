//! Fits of real-image stamps: free centre and sky, per-pixel noise, masks, a PSF given as an image.
use ndarray::Array2;
use noise_model::{CcdNoise, MaskPolarity, PixelNoise};
use rand::SeedableRng;
use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp};

use mle_fit::{fit_image, ImageFitOptions, IMAGE_PARAM_NAMES};

const TRUTH: [f64; 8] = [5e4, 2.2, 0.45, 0.15, -0.1, 1.3, -0.8, 2.5];

fn setup() -> (Renderer, Psf, Array2<f64>) {
    let stamp = Stamp::new(40, 36, 0.2);
    // An effective PSF: a beta = 3 Moffat drawn with the pixel on 25 x 25 pixels.
    let star = Renderer::new(Stamp::square(25, 0.2))
        .unwrap()
        .render_psf(&Psf::moffat(3.0, 0.7).unwrap())
        .unwrap();
    let psf = Psf::image(PsfImage::new(star.view(), 0.2, 1, true).unwrap());
    let renderer = Renderer::new(stamp).unwrap();
    let t = TRUTH;
    let galaxy = GalaxyParams::new(t[0], t[1], t[2], t[3], t[4]);
    let image = renderer.render_offset(&galaxy, &psf, [t[5], t[6]]).unwrap() + t[7];
    (renderer, psf, image)
}

fn weights(shape: (usize, usize)) -> Array2<f64> {
    let mut w = Array2::from_elem(shape, 1.0 / 25.0);
    for (r, c) in [(0, 0), (10, 22), (17, 18), (35, 39)] {
        w[[r, c]] = 0.0;
    }
    w
}

#[test]
fn a_noiseless_stamp_gives_back_its_truth_with_offset_and_sky() {
    let (renderer, psf, image) = setup();
    let noise = PixelNoise::from_weight_map(weights(image.dim()).view()).unwrap();
    let options = ImageFitOptions {
        fit_sky: true,
        ..ImageFitOptions::default()
    };
    let fit = fit_image(&renderer, &psf, image.view(), &noise, &options).unwrap();
    assert!(fit.converged, "{}", fit.message);
    for (p, name) in IMAGE_PARAM_NAMES.iter().enumerate() {
        let (got, want) = (fit.params[p], TRUTH[p]);
        let tolerance = if p < 3 { 1e-4 * want } else { 1e-4 };
        assert!((got - want).abs() <= tolerance, "{name}: {got} vs {want}");
        assert!(fit.errors[p].is_finite() && fit.errors[p] > 0.0, "{name}");
    }
    assert!(fit.chi_square < 1e-6, "chi2 {}", fit.chi_square);
    assert_eq!(fit.dof, 40 * 36 - 4 - 8);
    assert!((fit.masked_fraction - 4.0 / 1440.0).abs() < 1e-15);
    assert!(!fit.n_at_bound && !fit.hlr_at_bound);
}

#[test]
fn garbage_in_masked_pixels_changes_nothing() {
    let (renderer, psf, image) = setup();
    let mut mask = Array2::zeros(image.dim());
    let bad = [(18, 20), (3, 30), (30, 5), (20, 21)];
    for (r, c) in bad {
        mask[[r, c]] = 1.0;
    }
    let noise = PixelNoise::from_ccd(CcdNoise::new(100.0, 4.0, 5.0).unwrap(), image.dim())
        .with_mask(mask.view(), MaskPolarity::NonZeroIsBad)
        .unwrap();
    let options = ImageFitOptions::default();
    let clean = fit_image(&renderer, &psf, image.view(), &noise, &options).unwrap();
    let mut garbage = image.clone();
    for ((r, c), value) in bad.into_iter().zip([1e30, -1e6, f64::NAN, f64::INFINITY]) {
        garbage[[r, c]] = value;
    }
    let dirty = fit_image(&renderer, &psf, garbage.view(), &noise, &options).unwrap();
    assert_eq!(clean.params, dirty.params);
    assert_eq!(clean.errors, dirty.errors);
    assert_eq!(clean.chi_square, dirty.chi_square);
}

#[test]
fn a_noisy_stamp_is_measured_within_its_errors() {
    let (renderer, psf, image) = setup();
    let ccd = CcdNoise::new(150.0, 4.7, 4.3).unwrap();
    let mut noisy = image.clone() - TRUTH[7];
    let mut rng = rand_pcg::Pcg64::seed_from_u64(20);
    ccd.apply(&mut noisy, &mut rng).unwrap();
    let noisy = noisy + TRUTH[7];
    let noise = PixelNoise::from_ccd(ccd, image.dim());
    let options = ImageFitOptions {
        fit_sky: true,
        ..ImageFitOptions::default()
    };
    let fit = fit_image(&renderer, &psf, noisy.view(), &noise, &options).unwrap();
    assert!(fit.converged, "{}", fit.message);
    for (p, name) in IMAGE_PARAM_NAMES.iter().enumerate() {
        let pull = (fit.params[p] - TRUTH[p]) / fit.errors[p];
        assert!(
            pull.abs() < 4.0,
            "{name}: {} ± {} vs {}",
            fit.params[p],
            fit.errors[p],
            TRUTH[p]
        );
    }
    let reduced = fit.reduced_chi_square();
    assert!((0.85..1.15).contains(&reduced), "reduced chi2 {reduced}");
}

#[test]
fn bad_input_is_refused() {
    let (renderer, psf, image) = setup();
    let noise = PixelNoise::from_weight_map(weights(image.dim()).view()).unwrap();
    let options = ImageFitOptions::default();
    let small = Array2::zeros((10, 10));
    let e = fit_image(&renderer, &psf, small.view(), &noise, &options).unwrap_err();
    assert!(
        e.is_bad_input() && e.to_string().contains("the renderer draws"),
        "{e}"
    );
    let empty = Array2::zeros(image.dim());
    let e = fit_image(&renderer, &psf, empty.view(), &noise, &options).unwrap_err();
    assert!(
        e.is_bad_input() && e.to_string().contains("no source"),
        "{e}"
    );
}

#[test]
fn a_large_high_n_galaxy_is_not_biased_by_its_wrapped_wings() {
    // A galaxy as large as its stamp (hlr 25 pixels on 48 x 48) with n = 5, at very high SNR: its wings
    // reach far past the period sized for the stamp. The data are drawn on a period 8x wider (no wrap
    // that matters); the fit must land within a small fraction of its errors of the truth.
    let stamp = Stamp::square(48, 0.2);
    let renderer = Renderer::new(stamp).unwrap();
    let psf = Psf::moffat(3.0, 0.7).unwrap();
    let galaxy = GalaxyParams::new(1e7, 5.0, 5.0, 0.1, 0.05);
    let lattice = renderer
        .lattice_for_offset(&galaxy, &psf, [0.0, 0.0])
        .unwrap();
    let wide = sersic_render::Lattice {
        period: 8 * lattice.period,
        k_max: lattice.k_max,
    };
    let data = renderer
        .render_on(Some(wide), &galaxy, &psf, [0.0, 0.0])
        .unwrap();
    let noise = PixelNoise::from_ccd(CcdNoise::gaussian(1.0).unwrap(), data.dim());
    let fit = fit_image(
        &renderer,
        &psf,
        data.view(),
        &noise,
        &ImageFitOptions::default(),
    )
    .unwrap();
    let truth = [1e7, 5.0, 5.0, 0.1, 0.05, 0.0, 0.0];
    for (p, want) in truth.iter().enumerate() {
        let pull = (fit.params[p] - want) / fit.errors[p];
        assert!(
            pull.abs() < 0.5,
            "{}: {} vs {want} ({pull:.2} sigma)",
            IMAGE_PARAM_NAMES[p],
            fit.params[p]
        );
    }
}
