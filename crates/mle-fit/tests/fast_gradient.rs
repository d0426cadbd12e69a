//! The solver's gradient made without the Jacobian's planes (the renderer's `jacobian_dot` applied to
//! ∂(−ln L)/∂pixel) equals the one the planes give, for one Sérsic with a sky and for a bulge + disk +
//! sky model with priors, on masked CCD noise; and the value alone equals the whole evaluation's.
use mle_fit::image_fit::ImageNll;
use mle_fit::model_fit::{fit_model, ModelFitOptions, ModelNll, ModelSpec, Priors};
use mle_fit::unit_box::ValueAndGradient;
use ndarray::Array2;
use noise_model::{CcdNoise, MaskPolarity, PixelNoise};
use sersic_render::{GalaxyParams, ModelPart, Psf, PsfImage, Renderer, Stamp};

fn scene() -> (Renderer, Psf, Array2<f64>, PixelNoise) {
    let star = Renderer::new(Stamp::square(25, 0.2))
        .unwrap()
        .render_psf(&Psf::moffat(3.0, 0.7).unwrap())
        .unwrap();
    let psf = Psf::image(PsfImage::new(star.view(), 0.2, 1, true).unwrap());
    let renderer = Renderer::new(Stamp::new(52, 46, 0.2)).unwrap();
    let parts = [
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(3e4, 3.0, 0.3, 0.05, 0.02),
            offset: [0.3, -0.2],
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(7e4, 1.0, 0.8, 0.25, -0.15),
            offset: [0.3, -0.2],
        },
    ];
    // A little structure the model does not have, so that the residuals are not zero.
    let image = renderer.render_model(None, &parts, &psf).unwrap()
        + Array2::from_shape_fn((46, 52), |(r, c)| 3.0 * ((r * 5 + c * 3) % 7) as f64 - 9.0);
    let mask = Array2::from_shape_fn((46, 52), |(r, c)| f64::from(u8::from(r < 4 && c > 40)));
    let noise = PixelNoise::from_ccd(CcdNoise::new(100.0, 2.0, 5.0).unwrap(), (46, 52))
        .with_mask(mask.view(), MaskPolarity::NonZeroIsBad)
        .unwrap();
    (renderer, psf, image, noise)
}

/// The value alone and the gradient without the planes, from `fast`, against `whole`'s evaluation with them
/// (two likelihoods of the same data, so that neither reuses the other's cache).
fn assert_fast_is_whole<N: ValueAndGradient>(whole: &N, fast: &N, at: &[f64]) {
    let (value, gradient) = whole.value_and_gradient(at).unwrap();
    let fast_value = fast.value(at).unwrap();
    assert!(
        (fast_value - value).abs() <= 1e-12 * value.abs(),
        "{fast_value} vs {value}"
    );
    let fast_gradient = fast.gradient(at).unwrap();
    assert_close(&fast_gradient, &gradient, &format!("at {at:?}"));
}

fn assert_close(fast: &[f64], whole: &[f64], what: &str) {
    assert_eq!(fast.len(), whole.len());
    let scale = whole.iter().map(|g| g.abs()).fold(0.0, f64::max);
    for (i, (a, b)) in fast.iter().zip(whole).enumerate() {
        assert!(
            (a - b).abs() <= 1e-9 * scale,
            "{what} [{i}]: {a} vs {b} (largest {scale:e})"
        );
    }
}

#[test]
fn one_sersics_gradient_without_the_planes_is_the_planes_gradient() {
    let (renderer, psf, image, noise) = scene();
    let lattice = renderer
        .lattice_for_offset(
            &GalaxyParams::new(1e5, 2.0, 0.5, 0.1, 0.0),
            &psf,
            [0.3, -0.2],
        )
        .unwrap();
    for theta in [
        vec![1e5, 2.0, 0.5, 0.1, 0.0, 0.3, -0.2, 1.5],
        vec![8e4, 3.7, 0.35, -0.2, 0.3, -0.6, 0.9, -2.0],
        vec![1.2e5, 0.8, 0.7, 0.4, 0.1, 0.0, 0.0],
    ] {
        let nll = || ImageNll::new(&renderer, psf.clone(), image.view(), &noise, lattice);
        assert_fast_is_whole(&nll(), &nll(), &theta);
    }
}

#[test]
fn a_models_gradient_without_the_planes_is_the_planes_gradient() {
    let (renderer, psf, image, noise) = scene();
    let spec = ModelSpec::shorthand("sersic+exponential+sky").unwrap();
    let options = ModelFitOptions {
        priors: Priors {
            shape: Some(0.3),
            bulge_inside: true,
        },
        max_iterations: 3,
        ..ModelFitOptions::default()
    };
    // A short fit gives the layout (free parameters, shared centre, sky, priors) and a lattice.
    let fitted = fit_model(&renderer, &psf, image.view(), &noise, &spec, &options).unwrap();
    let free: Vec<f64> = fitted
        .layout
        .free()
        .iter()
        .map(|&i| fitted.values[i])
        .collect();
    // At the estimate, and moved off it (the bulge larger than the disk: the one-sided prior acts).
    let mut moved = free.clone();
    for (v, &i) in moved.iter_mut().zip(&fitted.layout.free()) {
        let name = &fitted.layout.slots[i].name;
        *v *= if name == "bulge_half_light_radius" {
            4.0
        } else {
            1.03
        };
    }
    for at in [free, moved] {
        let nll = || {
            let (lattice, layout) = (fitted.lattice, &fitted.layout);
            ModelNll::new(
                &renderer,
                psf.clone(),
                image.view(),
                &noise,
                lattice,
                layout,
            )
        };
        assert_fast_is_whole(&nll(), &nll(), &at);
    }
}
