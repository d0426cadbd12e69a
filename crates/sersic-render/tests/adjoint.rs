//! `Renderer::jacobian_dot` (Σ weights × ∂image/∂θ without the planes) against the seven planes of
//! `render_with_centre_jacobian` contracted with the same weights, through a pixel PSF and a Moffat, on
//! square, rectangular and odd stamps, with and without an offset, and a shape mismatch refused.
use ndarray::{Array2, Axis};
use rand::{RngExt, SeedableRng};
use sersic_render::{
    Convolution, GalaxyParams, ModelPart, Psf, PsfImage, RenderError, Renderer, Stamp,
};

fn pixel_psf(scale: f64) -> Psf {
    let pixels = Renderer::new(Stamp::square(25, scale))
        .unwrap()
        .render_psf(&Psf::moffat(3.5, 0.7).unwrap())
        .unwrap();
    // A little lopsided, so that the PSF's transform is complex.
    let pixels = Array2::from_shape_fn(pixels.dim(), |(r, c)| {
        pixels[[r, c]] * (1.0 + 0.05 * (c as f64 - 12.0) / 12.0)
    });
    Psf::image(PsfImage::new(pixels.view(), scale, 1, true).unwrap())
}

#[test]
fn the_contraction_equals_the_planes_contracted() {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(5);
    let cases = [
        (Stamp::square(48, 0.2), pixel_psf(0.2)),
        (Stamp::new(40, 30, 0.2), pixel_psf(0.2)),
        (Stamp::new(33, 27, 0.23), Psf::moffat(2.5, 0.8).unwrap()),
    ];
    for (stamp, psf) in &cases {
        let renderer = Renderer::new(*stamp).unwrap();
        for (galaxy, offset) in [
            (GalaxyParams::new(2e4, 1.3, 0.4, 0.1, -0.2), [0.0, 0.0]),
            (GalaxyParams::new(5e4, 4.5, 0.3, -0.3, 0.15), [0.7, -1.2]),
            (GalaxyParams::new(1e4, 0.6, 0.9, 0.4, 0.3), [-1.4, 0.45]),
        ] {
            let weights = Array2::from_shape_fn(stamp.dim(), |_| rng.random_range(-1.0..1.0));
            let planes = renderer
                .render_with_centre_jacobian(None, &galaxy, psf, offset)
                .unwrap()
                .jacobian;
            let dot = renderer
                .jacobian_dot(None, &galaxy, psf, offset, weights.view())
                .unwrap();
            for (p, plane) in planes.axis_iter(Axis(0)).enumerate() {
                let want: f64 = (&plane * &weights).sum();
                let scale: f64 = (plane.mapv(f64::abs) * weights.mapv(f64::abs)).sum();
                assert!(
                    (dot[p] - want).abs() <= 1e-11 * scale,
                    "{stamp:?} n={} offset {offset:?} plane {p}: {} vs {want} (scale {scale:e})",
                    galaxy.sersic_index,
                    dot[p]
                );
            }
        }
    }
}

#[test]
fn a_models_contractions_equal_its_planes_contracted() {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(6);
    let stamp = Stamp::new(44, 38, 0.2);
    let psf = pixel_psf(0.2);
    let parts = [
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(3e4, 3.5, 0.25, 0.05, -0.1),
            offset: [0.3, -0.6],
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(6e4, 1.0, 0.8, 0.3, 0.2),
            offset: [0.3, -0.6],
        },
        ModelPart::Point {
            flux: 5e3,
            offset: [-1.1, 0.8],
        },
    ];
    let weights = Array2::from_shape_fn(stamp.dim(), |_| rng.random_range(-1.0..1.0));
    for convolution in [Convolution::Continuous, Convolution::Discrete] {
        let renderer = Renderer::new(stamp).unwrap().with_convolution(convolution);
        let (parts, lattice) = match convolution {
            // Discrete convolution draws Sérsic parts only.
            Convolution::Discrete => (&parts[..2], None),
            Convolution::Continuous => (
                &parts[..],
                Some(renderer.model_lattice(&parts, &psf).unwrap()),
            ),
        };
        let drawn = renderer
            .render_model_with_jacobian(lattice, parts, &psf)
            .unwrap();
        let dots = renderer
            .model_jacobian_dot(lattice, parts, &psf, weights.view())
            .unwrap();
        assert_eq!(dots.len(), parts.len());
        for (p, (planes, dot)) in drawn.parts.iter().zip(&dots).enumerate() {
            assert_eq!(dot.len(), planes.dim().0);
            for (k, plane) in planes.axis_iter(Axis(0)).enumerate() {
                let want: f64 = (&plane * &weights).sum();
                let scale: f64 = (plane.mapv(f64::abs) * weights.mapv(f64::abs)).sum();
                assert!(
                    (dot[k] - want).abs() <= 1e-11 * scale,
                    "{convolution:?} part {p} plane {k}: {} vs {want}",
                    dot[k]
                );
            }
        }
    }
}

#[test]
fn weights_of_another_shape_are_refused() {
    let renderer = Renderer::new(Stamp::new(40, 30, 0.2)).unwrap();
    let galaxy = GalaxyParams::new(2e4, 1.3, 0.4, 0.1, -0.2);
    let weights = Array2::zeros((40, 30));
    let err = renderer
        .jacobian_dot(
            None,
            &galaxy,
            &Psf::moffat(3.0, 0.7).unwrap(),
            [0.0, 0.0],
            weights.view(),
        )
        .unwrap_err();
    assert!(matches!(err, RenderError::WeightsShape { .. }), "{err}");
    assert!(err.to_string().contains("40 x 30"), "{err}");
}
