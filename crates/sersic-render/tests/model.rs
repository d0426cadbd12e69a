//! Models of several parts: the one-FFT sum against the parts drawn alone, a point source against the PSF,
//! and every part's Jacobian against central differences of the model's image on a fixed lattice.
use ndarray::{Array2, Axis};
use sersic_render::{GalaxyParams, ModelPart, Psf, Renderer, Stamp};

fn bulge_disk() -> Vec<ModelPart> {
    vec![
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(4e4, 4.0, 0.25, 0.05, -0.02),
            offset: [0.3, -0.4],
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(9e4, 1.0, 0.9, 0.3, 0.2),
            offset: [0.3, -0.4],
        },
    ]
}

fn peak(a: &Array2<f64>) -> f64 {
    a.iter().map(|v| v.abs()).fold(0.0, f64::max)
}

#[test]
fn a_two_part_model_is_the_sum_of_its_parts_on_one_lattice() {
    let renderer = Renderer::new(Stamp::new(60, 52, 0.2)).unwrap();
    let psf = Psf::moffat(3.0, 0.8).unwrap();
    let parts = bulge_disk();
    let lattice = renderer.model_lattice(&parts, &psf).unwrap();
    let model = renderer.render_model(Some(lattice), &parts, &psf).unwrap();
    let mut sum = Array2::zeros(model.dim());
    for part in &parts {
        let ModelPart::Sersic { galaxy, offset } = part else {
            unreachable!()
        };
        sum += &renderer
            .render_on(Some(lattice), galaxy, &psf, *offset)
            .unwrap();
    }
    let worst = peak(&(&model - &sum));
    assert!(worst <= 1e-12 * peak(&sum), "max |model - sum| = {worst:e}");
    // The lattice is the widest either part needs: the disk's period, the bulge's k radius.
    for part in &parts {
        let ModelPart::Sersic { galaxy, offset } = part else {
            unreachable!()
        };
        let own = renderer.lattice_for_offset(galaxy, &psf, *offset).unwrap();
        assert!(own.period <= lattice.period && own.k_max <= lattice.k_max);
    }
}

#[test]
fn a_point_source_is_the_psf_scaled_to_its_flux() {
    let renderer = Renderer::new(Stamp::square(48, 0.2)).unwrap();
    let psf = Psf::moffat(3.5, 0.7).unwrap();
    let parts = [ModelPart::Point {
        flux: 2500.0,
        offset: [0.0, 0.0],
    }];
    let model = renderer.render_model(None, &parts, &psf).unwrap();
    let expected = renderer.render_psf(&psf).unwrap() * 2500.0;
    let worst = peak(&(&model - &expected));
    assert!(
        worst <= 1e-9 * peak(&expected),
        "max |point - PSF| = {worst:e}"
    );
}

#[test]
fn every_parts_jacobian_matches_central_differences_of_the_model() {
    let renderer = Renderer::new(Stamp::new(56, 48, 0.2)).unwrap();
    let psf = Psf::moffat(3.0, 0.7).unwrap();
    let mut parts = bulge_disk();
    parts.push(ModelPart::Point {
        flux: 3e3,
        offset: [-2.0, 1.5],
    });
    let lattice = renderer.model_lattice(&parts, &psf).unwrap();
    let drawn = renderer
        .render_model_with_jacobian(Some(lattice), &parts, &psf)
        .unwrap();
    let plain = renderer.render_model(Some(lattice), &parts, &psf).unwrap();
    assert!(peak(&(&drawn.image - &plain)) <= 1e-12 * peak(&plain));
    // Parameters of a part as a vector in its plane order, and back.
    let values = |part: &ModelPart| -> Vec<f64> {
        match part {
            ModelPart::Sersic { galaxy, offset } => {
                let mut v = galaxy.to_array().to_vec();
                v.extend(offset);
                v
            }
            ModelPart::Point { flux, offset } => vec![*flux, offset[0], offset[1]],
        }
    };
    let rebuild = |part: &ModelPart, v: &[f64]| -> ModelPart {
        match part {
            ModelPart::Sersic { .. } => ModelPart::Sersic {
                galaxy: GalaxyParams::new(v[0], v[1], v[2], v[3], v[4]),
                offset: [v[5], v[6]],
            },
            ModelPart::Point { .. } => ModelPart::Point {
                flux: v[0],
                offset: [v[1], v[2]],
            },
        }
    };
    for (index, part) in parts.iter().enumerate() {
        let theta = values(part);
        let steps: Vec<f64> = match part {
            ModelPart::Sersic { .. } => vec![1.0, 2e-4, 2e-5, 2e-5, 2e-5, 1e-4, 1e-4],
            ModelPart::Point { .. } => vec![1.0, 1e-4, 1e-4],
        };
        assert_eq!(drawn.parts[index].dim().0, part.plane_names().len());
        for (p, h) in steps.iter().enumerate() {
            let at = |delta: f64| {
                let mut v = theta.clone();
                v[p] += delta;
                let mut moved = parts.clone();
                moved[index] = rebuild(part, &v);
                renderer.render_model(Some(lattice), &moved, &psf).unwrap()
            };
            let fd = (at(*h) - at(-*h)) / (2.0 * h);
            let analytic = drawn.parts[index].index_axis(Axis(0), p);
            let worst = (&fd - &analytic)
                .iter()
                .map(|d| d.abs())
                .fold(0.0, f64::max);
            let scale = analytic.iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(
                worst <= 1e-4 * scale,
                "part {index}, {}: max |fd - analytic| / peak = {:.2e}",
                part.plane_names()[p],
                worst / scale
            );
        }
    }
}
