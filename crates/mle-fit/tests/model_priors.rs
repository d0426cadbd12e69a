//! Priors on models of several components: their gradient is exact, a weak prior leaves a well-measured
//! galaxy where the likelihood puts it, a strong one holds what it says, the bulge-inside prior keeps the
//! components' roles, and a degeneracy is still reported when a prior hides it from the errors.
use ndarray::Array2;
use noise_model::{CcdNoise, PixelNoise};
use sersic_render::{GalaxyParams, ModelPart, Psf, PsfImage, Renderer, Stamp};

use mle_fit::model_fit::{
    fit_model, ComponentKind, ComponentSpec, Layout, ModelFitOptions, ModelFitResult, ModelSpec,
    ParamSpec, Priors, Slot,
};

/// A bulge (Sérsic n, hlr) and an exponential disk (hlr, g1) sharing the centre (0.3, -0.2), drawn
/// without noise through a Moffat PSF image: (renderer, psf, image).
fn scene(bulge: (f64, f64), disk: (f64, f64)) -> (Renderer, Psf, Array2<f64>) {
    let star = Renderer::new(Stamp::square(25, 0.2))
        .unwrap()
        .render_psf(&Psf::moffat(3.0, 0.7).unwrap())
        .unwrap();
    let psf = Psf::image(PsfImage::new(star.view(), 0.2, 1, true).unwrap());
    let renderer = Renderer::new(Stamp::new(56, 52, 0.2)).unwrap();
    let parts = [
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(3e4, bulge.0, bulge.1, 0.05, 0.02),
            offset: [0.3, -0.2],
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(7e4, 1.0, disk.0, disk.1, -0.15),
            offset: [0.3, -0.2],
        },
    ];
    let image = renderer.render_model(None, &parts, &psf).unwrap();
    (renderer, psf, image)
}

fn fit(spec: &ModelSpec, priors: Priors, scene: &(Renderer, Psf, Array2<f64>)) -> ModelFitResult {
    fit_with_noise(spec, priors, scene, 5.0)
}

/// [`fit`] with Gaussian noise of this sigma assumed (the image itself stays noiseless).
fn fit_with_noise(
    spec: &ModelSpec,
    priors: Priors,
    scene: &(Renderer, Psf, Array2<f64>),
    sigma: f64,
) -> ModelFitResult {
    let (renderer, psf, image) = scene;
    let noise = PixelNoise::from_ccd(CcdNoise::gaussian(sigma).unwrap(), image.dim());
    let options = ModelFitOptions {
        priors,
        ..ModelFitOptions::default()
    };
    fit_model(renderer, psf, image.view(), &noise, spec, &options).unwrap()
}

fn slot(name: &str, prior: Option<[f64; 2]>) -> Slot {
    Slot {
        name: name.into(),
        fixed: None,
        start: 0.0,
        lower: -10.0,
        upper: 10.0,
        prior,
    }
}

#[test]
fn prior_gradients_match_finite_differences() {
    // Slots: a g with a Gaussian prior, a fixed one, two radii held in order.
    let mut held = slot("b_g2", Some([0.1, 0.2]));
    held.fixed = Some(0.4);
    let layout = Layout {
        slots: vec![
            slot("b_g1", Some([0.05, 0.3])),
            held,
            slot("b_half_light_radius", None),
            slot("d_half_light_radius", None),
        ],
        components: Vec::new(),
        bulge: None,
        inside: vec![[2, 3]],
    };
    // Free: 0, 2, 3. The bulge larger than the disk: the one-sided term is active.
    let values = |free: &[f64]| vec![free[0], 0.4, free[1], free[2]];
    let at = [0.3, 1.3, 1.1];
    let (value, gradient, curvature) = layout.prior_terms(&values(&at));
    let z = (1.3f64 / 1.1).ln() / mle_fit::model_fit::INSIDE_SIGMA;
    let want = 0.5 * ((0.3 - 0.05) / 0.3f64).powi(2) + 0.5 * z * z;
    assert!((value - want).abs() < 1e-12, "{value} vs {want}");
    for i in 0..3 {
        let h = 1e-6;
        let (mut up, mut down) = (at, at);
        up[i] += h;
        down[i] -= h;
        let fd =
            (layout.prior_terms(&values(&up)).0 - layout.prior_terms(&values(&down)).0) / (2.0 * h);
        assert!(
            (gradient[i] - fd).abs() < 1e-6 * fd.abs().max(1.0),
            "∂/∂{i}: {} vs {fd}",
            gradient[i]
        );
    }
    assert!((curvature[0][0] - 1.0 / 0.09).abs() < 1e-9);
    // Gauss-Newton for the ordering: the outer product of ∂z, negative across the two radii.
    assert!(curvature[1][1] > 0.0 && curvature[2][2] > 0.0 && curvature[1][2] < 0.0);
    assert_eq!(curvature[0][1], 0.0);
    // In order, the ordering costs nothing.
    let (v, g, _) = layout.prior_terms(&values(&[0.05, 0.9, 1.1]));
    assert!(
        v.abs() < 1e-15 && g.iter().all(|g| g.abs() < 1e-15),
        "{v} {g:?}"
    );
}

#[test]
fn weak_priors_leave_a_well_measured_galaxy_at_its_truth() {
    let scene = scene((4.0, 0.3), (1.0, 0.35));
    let spec = ModelSpec::shorthand("sersic+exponential").unwrap();
    let priors = Priors {
        shape: Some(0.3),
        bulge_inside: true,
    };
    let fit = fit(&spec, priors, &scene);
    assert!(fit.converged, "{}", fit.message);
    for (name, want) in [
        ("bulge_sersic_index", 4.0),
        ("bulge_half_light_radius", 0.3),
        ("bulge_g1", 0.05),
        ("disk_half_light_radius", 1.0),
        ("disk_g1", 0.35),
        ("disk_g2", -0.15),
    ] {
        let got = fit.value(name).unwrap();
        assert!((got - want).abs() < 2e-3, "{name}: {got} vs {want}");
    }
}

#[test]
fn a_strong_shape_prior_holds_shapes_round() {
    let scene = scene((4.0, 0.3), (1.0, 0.35));
    let spec = ModelSpec::shorthand("sersic+exponential").unwrap();
    let free = fit(&spec, Priors::default(), &scene);
    assert!((free.value("disk_g1").unwrap() - 0.35).abs() < 2e-3);
    let held = fit(
        &spec,
        Priors {
            shape: Some(1e-4),
            bulge_inside: false,
        },
        &scene,
    );
    for name in ["bulge_g1", "bulge_g2", "disk_g1", "disk_g2"] {
        let g = held.value(name).unwrap();
        assert!(g.abs() < 1e-3, "{name}: {g}");
    }
    // A prior the model file sets wins over the option's.
    let mut spec = spec;
    let own = ParamSpec {
        prior: Some([0.2, 1e-4]),
        ..ParamSpec::default()
    };
    spec.components[1].params.push(("g1".into(), own));
    let own_fit = fit(
        &spec,
        Priors {
            shape: Some(1e-4),
            bulge_inside: false,
        },
        &scene,
    );
    assert!((own_fit.value("disk_g1").unwrap() - 0.2).abs() < 1e-3);
}

#[test]
fn the_bulge_inside_prior_keeps_the_bulge_the_smaller() {
    // A "bulge" (the free-n Sérsic) drawn larger than the disk: alone, the likelihood finds it so.
    let scene = scene((1.5, 1.2), (0.4, 0.2));
    let spec = ModelSpec::shorthand("sersic+exponential").unwrap();
    let ratio = |f: &ModelFitResult| {
        f.value("bulge_half_light_radius").unwrap() / f.value("disk_half_light_radius").unwrap()
    };
    let inside = Priors {
        shape: None,
        bulge_inside: true,
    };
    // With noise of σ = 100 per pixel the prior keeps the order. (With almost no noise the likelihood
    // wins: at σ = 5 the soft prior and the data balance at a ratio of 1.9.)
    let free = fit_with_noise(&spec, Priors::default(), &scene, 100.0);
    assert!(
        ratio(&free) > 2.0,
        "maximum likelihood: ratio {}",
        ratio(&free)
    );
    let held = fit_with_noise(&spec, inside, &scene, 100.0);
    assert!(
        ratio(&held) < 1.05,
        "with the prior: ratio {}",
        ratio(&held)
    );
    let slot = |f: &ModelFitResult, name: &str| {
        f.layout.slots.iter().position(|s| s.name == name).unwrap()
    };
    let pair = |f: &ModelFitResult| {
        vec![[
            slot(f, "bulge_half_light_radius"),
            slot(f, "disk_half_light_radius"),
        ]]
    };
    assert_eq!(held.layout.inside, pair(&held));
    // A point source is the most concentrated component but has no radius: the prior still holds the
    // free-n Sérsic inside the disk.
    let mut with_nucleus = spec.clone();
    with_nucleus
        .components
        .push(ComponentSpec::new("nucleus", ComponentKind::Point));
    let nucleus = fit_with_noise(&with_nucleus, inside, &scene, 100.0);
    assert_eq!(nucleus.layout.inside, pair(&nucleus));
}

#[test]
fn a_degeneracy_is_reported_when_a_prior_bounds_its_errors() {
    let scene = scene((4.0, 0.3), (1.0, 0.35));
    let mut spec = ModelSpec::shorthand("sersic+exponential").unwrap();
    let no_light = ParamSpec::fixed_at(0.0);
    spec.components[0].params.push(("flux".into(), no_light));
    let fit = fit(
        &spec,
        Priors {
            shape: Some(0.3),
            bulge_inside: false,
        },
        &scene,
    );
    let involved = fit.degenerate.clone().expect("a degeneracy is reported");
    for name in ["bulge_g1", "bulge_g2", "bulge_half_light_radius"] {
        assert!(
            involved.iter().any(|n| n == name),
            "{name} not in {involved:?}"
        );
    }
    // The shape's error is now the prior's (the posterior's), not infinite.
    let error = fit.error("bulge_g1").unwrap();
    assert!((error - 0.3).abs() < 1e-6, "{error}");
}
