//! The analytic Jacobian against central finite differences of the renderer, over the seed's prior box:
//! the five shape columns on centred galaxies, and all seven (with the centre offset) on galaxies up to
//! 1.5 pixels off centre, through a Moffat and through a pixel-image PSF, on square and rectangular stamps.
//!
//! The renderer picks its discretisation (period, k radius) per galaxy; the differences are taken on the
//! lattice picked at the centre point, so that both sides describe the same smooth function.
use ndarray::{Array2, Axis};
use proptest::prelude::*;
use sersic_render::{GalaxyParams, ImageWithJacobian, Psf, PsfImage, Renderer, Stamp};

/// Central-difference steps per parameter: small enough for truncation error, large enough for rounding.
const STEPS: [f64; 5] = [1.0, 2e-4, 2e-5, 2e-5, 2e-5];

/// Asserts that `drawn.image` is `render(θ)` and that each Jacobian column matches central differences
/// of `render` with `steps`, to 1e-4 of the column's peak; `case` names the case in failures.
fn matches_central_differences(
    drawn: &ImageWithJacobian,
    theta: &[f64],
    steps: &[f64],
    render: impl Fn(&[f64]) -> Array2<f64>,
    case: &str,
) -> Result<(), TestCaseError> {
    let plain = render(theta);
    let image_peak = plain.iter().cloned().fold(0.0, f64::max);
    prop_assert!((&drawn.image - &plain)
        .iter()
        .all(|d| d.abs() <= 1e-12 * image_peak));
    for (p, h) in steps.iter().enumerate() {
        let (mut up, mut down) = (theta.to_vec(), theta.to_vec());
        up[p] += h;
        down[p] -= h;
        let fd: Array2<f64> = (render(&up) - render(&down)) / (2.0 * h);
        let analytic = drawn.jacobian.index_axis(Axis(0), p);
        let peak = analytic.iter().map(|v| v.abs()).fold(0.0, f64::max);
        let worst = (&fd - &analytic)
            .iter()
            .map(|d| d.abs())
            .fold(0.0, f64::max);
        prop_assert!(
            worst <= 1e-4 * peak,
            "parameter {p} of {case}: max |fd - analytic| / peak = {:.2e}",
            worst / peak
        );
    }
    Ok(())
}

fn check(galaxy: GalaxyParams, fwhm: f64) -> Result<(), TestCaseError> {
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let psf = Psf::moffat(2.0, fwhm).unwrap();
    let lattice = Some(renderer.lattice_for(&galaxy, &psf).unwrap());
    let jac = renderer
        .render_with_jacobian_on(lattice, &galaxy, &psf, [0.0, 0.0])
        .unwrap();
    let render = |t: &[f64]| {
        let g = GalaxyParams::new(t[0], t[1], t[2], t[3], t[4]);
        renderer.render_on(lattice, &g, &psf, [0.0, 0.0]).unwrap()
    };
    let case = format!("{galaxy:?}, fwhm {fwhm}");
    matches_central_differences(&jac, &galaxy.to_array(), &STEPS, render, &case)
}

proptest! {
    // A fixed seed: CI runs the same cases every time (a random seed makes a red run unreproducible).
    #![proptest_config(ProptestConfig {
        cases: 48,
        rng_seed: proptest::test_runner::RngSeed::Fixed(2020),
        ..ProptestConfig::default()
    })]

    #[test]
    fn jacobian_matches_finite_differences_over_the_prior(
        flux in 3e4f64..4e5,
        n in 0.5f64..6.0,
        hlr in 0.1f64..0.6,
        a in 0.0f64..0.67,
        beta in 0.0f64..std::f64::consts::PI,
        fwhm in 0.5f64..1.0,
    ) {
        let galaxy = GalaxyParams::new(flux, n, hlr, a * (2.0 * beta).cos(), a * (2.0 * beta).sin());
        check(galaxy, fwhm)?;
    }
}

#[test]
fn jacobian_matches_finite_differences_at_the_range_limits() {
    // GalSim's full n range and the corners of the prior box.
    for n in [0.3 + 2e-4, 0.5, 6.0, 6.2 - 2e-4] {
        for hlr in [0.1, 0.6] {
            check(GalaxyParams::new(1e5, n, hlr, 0.45, -0.4), 0.5).unwrap();
        }
    }
}

/// Central-difference steps for the seven parameters (the offsets in pixels).
const STEPS7: [f64; 7] = [1.0, 2e-4, 2e-5, 2e-5, 2e-5, 1e-4, 1e-4];

/// An effective PSF image: a beta = 3 Moffat drawn with the pixel on 25 x 25 pixels, slightly off its
/// centre so that it is not symmetric.
fn pixel_psf(renderer: &Renderer, fwhm: f64) -> Psf {
    let stamp = Stamp::new(25, 25, renderer.stamp().scale);
    let moffat = Psf::moffat(3.0, fwhm).unwrap();
    let image = Renderer::new(stamp)
        .unwrap()
        .render_offset(
            &GalaxyParams::new(1.0, 0.5, 0.05, 0.1, 0.0),
            &moffat,
            [0.3, -0.2],
        )
        .unwrap();
    Psf::image(PsfImage::new(image.view(), stamp.scale, 1, true).unwrap())
}

fn check_seven(
    galaxy: GalaxyParams,
    offset: [f64; 2],
    psf: &Psf,
    renderer: &Renderer,
) -> Result<(), TestCaseError> {
    let lattice = Some(renderer.lattice_for_offset(&galaxy, psf, offset).unwrap());
    let jac = renderer
        .render_with_centre_jacobian(lattice, &galaxy, psf, offset)
        .unwrap();
    prop_assert_eq!(jac.jacobian.dim().0, 7);
    let render = |t: &[f64]| {
        let g = GalaxyParams::new(t[0], t[1], t[2], t[3], t[4]);
        renderer.render_on(lattice, &g, psf, [t[5], t[6]]).unwrap()
    };
    let a = galaxy.to_array();
    let theta = [a[0], a[1], a[2], a[3], a[4], offset[0], offset[1]];
    // The five shape columns are those of the five-column Jacobian.
    let five = renderer
        .render_with_jacobian_on(lattice, &galaxy, psf, offset)
        .unwrap();
    for p in 0..5 {
        let d = &five.jacobian.index_axis(Axis(0), p) - &jac.jacobian.index_axis(Axis(0), p);
        let scale = five
            .jacobian
            .index_axis(Axis(0), p)
            .iter()
            .fold(0f64, |m, v| m.max(v.abs()));
        prop_assert!(d.iter().all(|v| v.abs() <= 1e-12 * scale), "column {p}");
    }
    let case = format!("{galaxy:?} at {offset:?}");
    matches_central_differences(&jac, &theta, &STEPS7, render, &case)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        rng_seed: proptest::test_runner::RngSeed::Fixed(2019),
        ..ProptestConfig::default()
    })]

    #[test]
    fn seven_column_jacobian_matches_finite_differences_over_the_prior_and_offsets(
        flux in 3e4f64..4e5,
        n in 0.5f64..6.0,
        hlr in 0.1f64..0.6,
        a in 0.0f64..0.67,
        beta in 0.0f64..std::f64::consts::PI,
        fwhm in 0.5f64..1.0,
        dx in -1.5f64..1.5,
        dy in -1.5f64..1.5,
        pixel_image in proptest::bool::ANY,
        rectangular in proptest::bool::ANY,
    ) {
        let galaxy = GalaxyParams::new(flux, n, hlr, a * (2.0 * beta).cos(), a * (2.0 * beta).sin());
        let stamp = if rectangular { Stamp::new(48, 37, 0.2) } else { Stamp::default() };
        let renderer = Renderer::new(stamp).unwrap();
        let psf = if pixel_image { pixel_psf(&renderer, fwhm) } else { Psf::moffat(2.0, fwhm).unwrap() };
        check_seven(galaxy, [dx, dy], &psf, &renderer)?;
    }
}
