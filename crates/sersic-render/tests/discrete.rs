//! Discrete convolution (Imfit's and GALFIT's model): against a direct sum written out here, against the
//! continuous drawing where the two must agree (a smooth profile), every plane of its Jacobian against
//! central differences, and the PSFs and parts it refuses.
use ndarray::{Array2, Axis};
use sersic_render::{
    Convolution, DiscreteError, GalaxyParams, ModelPart, Psf, PsfImage, RenderError, Renderer,
    Shear, Stamp,
};

fn peak(a: &Array2<f64>) -> f64 {
    a.iter().map(|v| v.abs()).fold(0.0, f64::max)
}

fn discrete(stamp: Stamp) -> Renderer {
    Renderer::new(stamp)
        .unwrap()
        .with_convolution(Convolution::Discrete)
}

/// A lopsided PSF image of `w` x `h` pixels (rows = y), effective, at `scale`.
fn lopsided_psf(w: usize, h: usize, scale: f64) -> Psf {
    let pixels = Array2::from_shape_fn((h, w), |(r, c)| {
        let (x, y) = (c as f64 - 0.4 * w as f64, r as f64 - 0.55 * h as f64);
        (-(x * x + 1.7 * y * y) / 6.0).exp() + 0.01 * (r + 2 * c) as f64 / (w + h) as f64
    });
    Psf::image(PsfImage::new(pixels.view(), scale, 1, true).unwrap())
}

fn bulge_disk(offset: [f64; 2]) -> Vec<ModelPart> {
    vec![
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(4e4, 3.0, 0.5, 0.08, -0.05),
            offset,
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(9e4, 1.0, 1.2, 0.3, 0.2),
            offset,
        },
    ]
}

/// The profile sampled at (x, y) arcsec from the stamp's true centre, per pixel of `scale`, from the
/// public Sérsic law and shear matrix.
fn sample(galaxy: &GalaxyParams, offset: [f64; 2], scale: f64, x: f64, y: f64) -> f64 {
    let m = Shear::new(galaxy.g1, galaxy.g2).matrix();
    let (dx, dy) = (x - offset[0] * scale, y - offset[1] * scale);
    // S has unit determinant: its inverse swaps the diagonal and negates the rest.
    let (u, v) = (m[1][1] * dx - m[0][1] * dy, -m[1][0] * dx + m[0][0] * dy);
    galaxy.sersic().xvalue(u.hypot(v)) * scale * scale
}

#[test]
fn the_model_is_the_direct_sum_of_pixel_centre_samples_times_psf_pixels() {
    // Odd and even PSF sizes: an even PSF's centre lies between its middle pixels (GalSim's and the
    // renderer's convention), so its samples fall half a pixel off the stamp's.
    for (kw, kh) in [(5, 7), (6, 4)] {
        let (width, height, scale) = (13, 10, 0.3);
        let psf = lopsided_psf(kw, kh, scale);
        let parts = bulge_disk([0.37, -0.61]);
        let model = discrete(Stamp::new(width, height, scale))
            .render_model(None, &parts, &psf)
            .unwrap();
        let weights = psf.as_image().unwrap().pixels().to_owned();
        let direct = Array2::from_shape_fn((height, width), |(r, c)| {
            let (x0, y0) = (
                (c as f64 - (width as f64 - 1.0) / 2.0) * scale,
                (r as f64 - (height as f64 - 1.0) / 2.0) * scale,
            );
            let mut sum = 0.0;
            for ((b, a), w) in weights.indexed_iter() {
                let (px, py) = (
                    (a as f64 - (kw as f64 - 1.0) / 2.0) * scale,
                    (b as f64 - (kh as f64 - 1.0) / 2.0) * scale,
                );
                for part in &parts {
                    let ModelPart::Sersic { galaxy, offset } = part else {
                        unreachable!()
                    };
                    sum += w * sample(galaxy, *offset, scale, x0 - px, y0 - py);
                }
            }
            sum
        });
        let worst = peak(&(&model - &direct));
        assert!(
            worst <= 1e-11 * peak(&direct),
            "PSF {kw}x{kh}: max |model - direct sum| = {worst:e} of {:e}",
            peak(&direct)
        );
    }
}

#[test]
fn a_smooth_profile_drawn_either_way_agrees() {
    // A Gaussian galaxy (n = 0.5) far wider than the pixels, off centre and sheared, through a
    // well-sampled effective PSF: the discrete sum is then a fine quadrature of the continuous
    // convolution, and any slip in the conventions (centre, offset's sign, rows, shear) would show.
    let stamp = Stamp::new(40, 34, 0.2);
    let psf = {
        let pixels = Array2::from_shape_fn((21, 21), |(r, c)| {
            let (x, y) = (c as f64 - 10.0, r as f64 - 10.0);
            (-(x * x + y * y) / (2.0 * 2.2 * 2.2)).exp()
        });
        Psf::image(PsfImage::new(pixels.view(), 0.2, 1, true).unwrap())
    };
    let parts = [ModelPart::Sersic {
        galaxy: GalaxyParams::new(1e4, 0.5, 1.1, 0.25, -0.15),
        offset: [1.3, -0.8],
    }];
    let continuous = Renderer::new(stamp)
        .unwrap()
        .render_model(None, &parts, &psf)
        .unwrap();
    let discrete = discrete(stamp).render_model(None, &parts, &psf).unwrap();
    let worst = peak(&(&discrete - &continuous));
    assert!(
        worst <= 1e-4 * peak(&continuous),
        "max |discrete - continuous| = {:e} of the peak",
        worst / peak(&continuous)
    );
}

#[test]
fn every_plane_of_the_jacobian_matches_central_differences() {
    let stamp = Stamp::new(30, 26, 0.25);
    let psf = lopsided_psf(9, 7, 0.25);
    let renderer = discrete(stamp);
    let parts = bulge_disk([0.37, -0.61]);
    let drawn = renderer
        .render_model_with_jacobian(None, &parts, &psf)
        .unwrap();
    let image = renderer.render_model(None, &parts, &psf).unwrap();
    let worst = peak(&(&drawn.image - &image));
    assert!(
        worst <= 1e-12 * peak(&image),
        "image with the Jacobian differs by {:e} of the peak",
        worst / peak(&image)
    );
    for (p, part) in parts.iter().enumerate() {
        let ModelPart::Sersic { galaxy, offset } = part else {
            unreachable!()
        };
        for (k, name) in part.plane_names().iter().enumerate() {
            let moved = |sign: f64| {
                let mut theta = galaxy.to_array();
                let mut at = *offset;
                let h = match k {
                    0..=4 => 1e-6 * theta[k].abs().max(1e-2),
                    _ => 1e-5,
                };
                match k {
                    0..=4 => theta[k] += sign * h,
                    _ => at[k - 5] += sign * h,
                }
                let mut changed = parts.clone();
                changed[p] = ModelPart::Sersic {
                    galaxy: GalaxyParams::from_array(theta),
                    offset: at,
                };
                (renderer.render_model(None, &changed, &psf).unwrap(), h)
            };
            let ((up, h), (down, _)) = (moved(1.0), moved(-1.0));
            let fd = (up - down) / (2.0 * h);
            let plane = drawn.parts[p].index_axis(Axis(0), k);
            let worst = peak(&(&plane - &fd));
            assert!(
                worst <= 1e-6 * peak(&fd),
                "part {p} {name}: max |J - fd| = {:e} of the plane's peak",
                worst / peak(&fd)
            );
        }
    }
}

#[test]
fn psfs_and_parts_it_cannot_draw_are_refused_by_name() {
    let stamp = Stamp::square(16, 0.2);
    let renderer = discrete(stamp);
    let parts = bulge_disk([0.0, 0.0]);
    let refused =
        |psf: &Psf, parts: &[ModelPart]| match renderer.render_model(None, parts, psf).unwrap_err()
        {
            RenderError::Discrete(why) => why,
            other => panic!("wrong error: {other}"),
        };
    let moffat = Psf::moffat(3.0, 0.7).unwrap();
    assert_eq!(refused(&moffat, &parts), DiscreteError::AnalyticPsf);
    let pixels = Array2::from_elem((9, 9), 1.0);
    let oversampled = Psf::image(PsfImage::new(pixels.view(), 0.2, 2, true).unwrap());
    assert!(matches!(
        refused(&oversampled, &parts),
        DiscreteError::Sampling {
            oversampling: 2,
            ..
        }
    ));
    let other_scale = Psf::image(PsfImage::new(pixels.view(), 0.3, 1, true).unwrap());
    assert!(refused(&other_scale, &parts)
        .to_string()
        .contains("pixel scale (0.2 arcsec)"));
    let optical = Psf::image(PsfImage::new(pixels.view(), 0.2, 1, false).unwrap());
    assert_eq!(refused(&optical, &parts), DiscreteError::OpticalPsf);
    let effective = Psf::image(PsfImage::new(pixels.view(), 0.2, 1, true).unwrap());
    let point = [ModelPart::Point {
        flux: 1.0,
        offset: [0.0, 0.0],
    }];
    assert_eq!(refused(&effective, &point), DiscreteError::PointSource);
    // The Jacobian refuses the same, and the continuous drawing still takes all of them.
    assert!(renderer
        .render_model_with_jacobian(None, &point, &effective)
        .is_err());
    assert!(Renderer::new(stamp)
        .unwrap()
        .render_model(None, &point, &moffat)
        .is_ok());
}
