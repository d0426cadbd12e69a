//! Fits of models of several components: a noiseless bulge + disk gives back its truth, a noisy one is
//! measured within its errors, fixed parameters stay fixed, and a bulge with no light is reported as a
//! degeneracy rather than given errors.
use ndarray::Array2;
use noise_model::{CcdNoise, PixelNoise};
use rand::SeedableRng;
use sersic_render::{GalaxyParams, ModelPart, Psf, PsfImage, Renderer, Stamp};

use mle_fit::model_fit::{fit_model, ModelFitOptions, ModelSpec, ParamSpec};

/// Bulge (n = 4) and disk (n = 1) sharing a centre: (flux, hlr, g1, g2) each, then (dx, dy).
const BULGE: [f64; 4] = [3e4, 0.3, 0.05, 0.02];
const DISK: [f64; 4] = [7e4, 1.0, 0.35, -0.15];
const CENTRE: [f64; 2] = [0.7, -0.4];

fn setup(bulge_flux: f64) -> (Renderer, Psf, Array2<f64>) {
    let star = Renderer::new(Stamp::square(25, 0.2))
        .unwrap()
        .render_psf(&Psf::moffat(3.0, 0.7).unwrap())
        .unwrap();
    let psf = Psf::image(PsfImage::new(star.view(), 0.2, 1, true).unwrap());
    let renderer = Renderer::new(Stamp::new(56, 52, 0.2)).unwrap();
    let parts = [
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(bulge_flux, 4.0, BULGE[1], BULGE[2], BULGE[3]),
            offset: CENTRE,
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(DISK[0], 1.0, DISK[1], DISK[2], DISK[3]),
            offset: CENTRE,
        },
    ];
    let image = renderer.render_model(None, &parts, &psf).unwrap();
    (renderer, psf, image)
}

fn truth(name: &str) -> f64 {
    let params = ["flux", "half_light_radius", "g1", "g2"];
    let at = |p: &str| params.iter().position(|q| *q == p);
    match name.split_once('_') {
        Some(("bulge", "sersic_index")) => 4.0,
        Some(("bulge", p)) => BULGE[at(p).unwrap()],
        Some(("disk", p)) => DISK[at(p).unwrap()],
        _ if name == "dx" => CENTRE[0],
        _ => CENTRE[1],
    }
}

#[test]
fn a_noiseless_bulge_and_disk_gives_back_its_truth() {
    let (renderer, psf, image) = setup(BULGE[0]);
    let noise = PixelNoise::from_ccd(CcdNoise::gaussian(5.0).unwrap(), image.dim());
    let spec = ModelSpec::shorthand("sersic+exponential").unwrap();
    let fit = fit_model(
        &renderer,
        &psf,
        image.view(),
        &noise,
        &spec,
        &ModelFitOptions::default(),
    )
    .unwrap();
    assert!(fit.converged, "{}", fit.message);
    assert!(fit.degenerate.is_none(), "{:?}", fit.degenerate);
    for (slot, (&value, &error)) in fit
        .layout
        .slots
        .iter()
        .zip(fit.values.iter().zip(&fit.errors))
    {
        let want = truth(&slot.name);
        assert!(
            (value - want).abs() <= 2e-3 * want.abs().max(0.05) + 0.05 * error,
            "{}: {value} vs {want} (± {error})",
            slot.name
        );
        assert!(error.is_finite() && error > 0.0, "{}", slot.name);
    }
    assert!(
        (fit.bulge_to_total - 0.3).abs() < 1e-3,
        "B/T {}",
        fit.bulge_to_total
    );
    assert!(fit.chi_square < 1e-4, "chi2 {}", fit.chi_square);
}

#[test]
fn a_noisy_bulge_and_disk_is_measured_within_its_errors_and_fixed_values_stay() {
    let (renderer, psf, image) = setup(BULGE[0]);
    let ccd = CcdNoise::new(100.0, 4.0, 5.0).unwrap();
    let mut noisy = image.clone();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(21);
    ccd.apply(&mut noisy, &mut rng).unwrap();
    let noise = PixelNoise::from_ccd(ccd, image.dim());
    // The de Vaucouleurs bulge's n is its kind's; the disk's ellipticity is held at a wrong value on
    // purpose: it must stay there.
    let mut spec = ModelSpec::shorthand("de_vaucouleurs+exponential").unwrap();
    let hold = ParamSpec::fixed_at(0.3);
    spec.components[1].params.push(("g1".into(), hold));
    let fit = fit_model(
        &renderer,
        &psf,
        noisy.view(),
        &noise,
        &spec,
        &ModelFitOptions::default(),
    )
    .unwrap();
    assert!(fit.converged, "{}", fit.message);
    assert_eq!(fit.value("disk_g1"), Some(0.3));
    let slot = fit
        .layout
        .slots
        .iter()
        .position(|s| s.name == "disk_g1")
        .unwrap();
    assert_eq!(fit.errors[slot], 0.0);
    assert!(fit
        .layout
        .slots
        .iter()
        .all(|s| s.name != "bulge_sersic_index"));
    // Unfixed, the same data are measured within 4 sigma of the truth.
    let spec = ModelSpec::shorthand("de_vaucouleurs+exponential").unwrap();
    let fit = fit_model(
        &renderer,
        &psf,
        noisy.view(),
        &noise,
        &spec,
        &ModelFitOptions::default(),
    )
    .unwrap();
    assert!(fit.converged, "{}", fit.message);
    for (slot, (&value, &error)) in fit
        .layout
        .slots
        .iter()
        .zip(fit.values.iter().zip(&fit.errors))
    {
        let pull = (value - truth(&slot.name)) / error;
        assert!(
            pull.abs() < 4.0,
            "{}: {value} ± {error}, pull {pull}",
            slot.name
        );
    }
}

#[test]
fn a_bulge_with_no_light_is_reported_as_degenerate() {
    let (renderer, psf, image) = setup(0.0);
    let noise = PixelNoise::from_ccd(CcdNoise::gaussian(5.0).unwrap(), image.dim());
    let mut spec = ModelSpec::shorthand("sersic+exponential").unwrap();
    // The bulge's flux held at zero: its size, shape and n are then unconstrained.
    spec.components[0]
        .params
        .push(("flux".into(), ParamSpec::fixed_at(0.0)));
    let fit = fit_model(
        &renderer,
        &psf,
        image.view(),
        &noise,
        &spec,
        &ModelFitOptions::default(),
    )
    .unwrap();
    let involved = fit.degenerate.clone().expect("a degeneracy is reported");
    for name in [
        "bulge_sersic_index",
        "bulge_half_light_radius",
        "bulge_g1",
        "bulge_g2",
    ] {
        assert!(
            involved.iter().any(|n| n == name),
            "{name} not in {involved:?}"
        );
        let error = fit.error(name).unwrap();
        assert!(error.is_infinite(), "{name}: error {error}");
    }
    // The disk is still measured, with errors.
    assert!((fit.value("disk_flux").unwrap() - DISK[0]).abs() < 1e-3 * DISK[0]);
    let error = fit.error("disk_flux").unwrap();
    assert!(error.is_finite() && error > 0.0);
}

/// A bulge half a pixel across under a 0.7" PSF, with noise: its n and size trade against each other and
/// against the disk, the Fisher matrix that starts the solver is ill-conditioned, and its first long steps
/// run into the box. The fit must still converge (it stopped at its start when the box bent those steps
/// uphill and the line search gave up).
#[test]
fn an_unresolved_bulge_still_converges() {
    let star = Renderer::new(Stamp::square(25, 0.2))
        .unwrap()
        .render_psf(&Psf::moffat(3.0, 0.7).unwrap())
        .unwrap();
    let psf = Psf::image(PsfImage::new(star.view(), 0.2, 1, true).unwrap());
    let renderer = Renderer::new(Stamp::square(64, 0.2)).unwrap();
    let mut failures = Vec::new();
    for seed in 0..6u64 {
        let parts = [
            ModelPart::Sersic {
                galaxy: GalaxyParams::new(2.6e5, 4.0, 0.1, 0.0, 0.0),
                offset: [0.4, -0.2],
            },
            ModelPart::Sersic {
                galaxy: GalaxyParams::new(2.5e5, 1.0, 0.63, -0.15, 0.17),
                offset: [0.4, -0.2],
            },
        ];
        let mut image = renderer.render_model(None, &parts, &psf).unwrap();
        let ccd = CcdNoise::new(2.0, 8.0, 1.25e5).unwrap();
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        ccd.apply(&mut image, &mut rng).unwrap();
        let noise = PixelNoise::from_ccd(ccd, image.dim());
        let spec = ModelSpec::shorthand("sersic+exponential").unwrap();
        let fit = fit_model(
            &renderer,
            &psf,
            image.view(),
            &noise,
            &spec,
            &ModelFitOptions::default(),
        )
        .unwrap();
        if !fit.converged {
            failures.push(format!("seed {seed}: {}", fit.message));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}
