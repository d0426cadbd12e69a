//! Physical properties every correct render must have.
use ndarray::{s, Array2};
use sersic_render::sersic::Sersic;
use sersic_render::{Accuracy, GalaxyParams, Psf, Renderer, Stamp};

fn peak(img: &Array2<f64>) -> f64 {
    img.iter().cloned().fold(f64::MIN, f64::max)
}

#[test]
fn flux_is_conserved_on_a_large_stamp() {
    // 256 x 256 pixels of 0.23": the Gaussian PSF and these galaxies leave < 1e-7 of the flux outside.
    let renderer = Renderer::new(Stamp::square(256, 0.23)).unwrap();
    let psf = Psf::gaussian(0.7).unwrap();
    for (n, hlr, g1, g2) in [
        (0.5, 0.4, 0.3, 0.1),
        (1.0, 0.3, -0.2, 0.4),
        (2.5, 0.5, 0.0, -0.5),
    ] {
        let img = renderer
            .render(&GalaxyParams::new(2e5, n, hlr, g1, g2), &psf)
            .unwrap();
        let relative = img.sum() / 2e5 - 1.0;
        assert!(
            relative.abs() < 1e-5,
            "n={n}: sum/flux - 1 = {relative:.2e}"
        );
    }
}

#[test]
fn unsheared_galaxies_have_four_fold_symmetry() {
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let psf = Psf::moffat(2.0, 0.6).unwrap();
    for n in [0.4, 1.7, 4.2] {
        let img = renderer
            .render(&GalaxyParams::new(1e5, n, 0.35, 0.0, 0.0), &psf)
            .unwrap();
        let tol = 1e-10 * peak(&img);
        let flipped_x = img.slice(s![.., ..;-1]).to_owned();
        let flipped_y = img.slice(s![..;-1, ..]).to_owned();
        let transposed = img.t().to_owned();
        for other in [flipped_x, flipped_y, transposed] {
            let worst = (&img - &other).iter().map(|d| d.abs()).fold(0.0, f64::max);
            assert!(worst < tol, "n={n}: asymmetry {worst:.2e}");
        }
    }
}

#[test]
fn sheared_galaxies_have_180_degree_symmetry_and_the_right_orientation() {
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let psf = Psf::moffat(2.0, 0.5).unwrap();
    for (g1, g2) in [(0.5, 0.0), (0.0, 0.5), (-0.3, 0.45)] {
        let img = renderer
            .render(&GalaxyParams::new(1e5, 2.0, 0.4, g1, g2), &psf)
            .unwrap();
        let rotated = img.slice(s![..;-1, ..;-1]).to_owned();
        let worst = (&img - &rotated)
            .iter()
            .map(|d| d.abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-10 * peak(&img),
            "g=({g1},{g2}): asymmetry {worst:.2e}"
        );
    }
    // g1 > 0 stretches along x (array columns), as in GalSim: the second moment along x is the larger.
    let img = renderer
        .render(&GalaxyParams::new(1e5, 1.0, 0.4, 0.4, 0.0), &psf)
        .unwrap();
    let (mut mxx, mut myy) = (0.0, 0.0);
    for ((y, x), v) in img.indexed_iter() {
        mxx += v * (x as f64 - 31.5).powi(2);
        myy += v * (y as f64 - 31.5).powi(2);
    }
    assert!(
        mxx > 1.5 * myy,
        "g1 > 0 must elongate along x: Mxx = {mxx}, Myy = {myy}"
    );
}

#[test]
fn the_profile_sits_on_the_true_centre_and_offsets_move_it() {
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let psf = Psf::moffat(2.0, 0.5).unwrap();
    let galaxy = GalaxyParams::new(1e5, 1.5, 0.3, 0.1, 0.2);
    let centroid = |img: &Array2<f64>| {
        let (mut sx, mut sy) = (0.0, 0.0);
        for ((y, x), v) in img.indexed_iter() {
            sx += v * x as f64;
            sy += v * y as f64;
        }
        (sx / img.sum(), sy / img.sum())
    };
    let (cx, cy) = centroid(&renderer.render(&galaxy, &psf).unwrap());
    assert!(
        (cx - 31.5).abs() < 1e-3 && (cy - 31.5).abs() < 1e-3,
        "centroid ({cx}, {cy})"
    );
    let (ox, oy) = centroid(&renderer.render_offset(&galaxy, &psf, [0.7, -1.25]).unwrap());
    assert!(
        (ox - 32.2).abs() < 5e-3 && (oy - 30.25).abs() < 5e-3,
        "offset centroid ({ox}, {oy})"
    );
}

#[test]
fn psf_alone_integrates_to_one() {
    let renderer = Renderer::new(Stamp::square(200, 0.1)).unwrap();
    // Profiles whose flux lies entirely (Gaussian, truncated Moffat) inside the 20" stamp.
    for psf in [
        Psf::gaussian(0.8).unwrap(),
        Psf::Moffat {
            beta: 2.0,
            fwhm: 0.7,
            trunc: Some(6.0),
        }
        .validated()
        .unwrap(),
        Psf::Moffat {
            beta: 4.5,
            fwhm: 1.0,
            trunc: None,
        }
        .validated()
        .unwrap(),
    ] {
        let img = renderer.render_psf(&psf).unwrap();
        assert!(
            (img.sum() - 1.0).abs() < 1e-5,
            "{psf:?}: sum = {}",
            img.sum()
        );
        assert!(
            (psf.kvalue_exact(0.0) - 1.0).abs() < 1e-12,
            "{psf:?}: F(0) = {}",
            psf.kvalue_exact(0.0)
        );
    }
    // An untruncated beta = 2 Moffat loses exactly its analytic wing: 1/(1 + (R/r_d)²) beyond radius R.
    // Its r⁻⁴ wings wrap round the period: the default per-pixel budget (1e-7 of the flux) would allow
    // 4e-3 over 40,000 pixels, so this check draws with tight tolerances.
    let tight = Accuracy {
        fold_tolerance: 1e-12,
        k_tolerance: 1e-10,
        ..Accuracy::default()
    };
    let renderer = Renderer::with_accuracy(Stamp::square(200, 0.1), tight).unwrap();
    let psf = Psf::moffat(2.0, 0.7).unwrap();
    let img = renderer.render_psf(&psf).unwrap();
    let rd = psf.scale_radius();
    let (inner, outer) = (10.0f64, 10.0 * 2f64.sqrt()); // the square lies between these circles
    let lost = |r: f64| 1.0 / (1.0 + (r / rd).powi(2));
    assert!(
        img.sum() < 1.0 - lost(outer) && img.sum() > 1.0 - lost(inner),
        "sum {}",
        img.sum()
    );
}

#[test]
fn half_light_radius_encloses_half_the_flux() {
    // In real space, from the profile law...
    for n in [0.3, 1.0, 3.3, 6.2] {
        let galaxy = Sersic {
            n,
            half_light_radius: 0.7,
            flux: 1.0,
        };
        assert!((galaxy.enclosed_flux(0.7) - 0.5).abs() < 1e-10);
        // ...by direct integration of the surface brightness, 2π ∫ I(r) r dr up to hlr...
        let steps = 200_000;
        let mut sum = 0.0;
        for i in 0..steps {
            // midpoint rule in u = r^(1/n)... kept simple: r = hlr (i + 1/2)/steps, fine steps
            let r = 0.7 * (i as f64 + 0.5) / steps as f64;
            sum += galaxy.xvalue(r) * 2.0 * std::f64::consts::PI * r * 0.7 / steps as f64;
        }
        assert!(
            (sum - 0.5).abs() < 2e-4,
            "n={n}: enclosed by integration {sum}"
        );
    }
    // ...and in a render (which goes through the Fourier table): a finely pixelised galaxy with a
    // negligible PSF has half its flux in the pixels whose centres lie within hlr.
    let renderer = Renderer::new(Stamp::square(320, 0.02)).unwrap();
    let psf = Psf::gaussian(0.01).unwrap();
    for n in [0.5, 1.0, 2.0] {
        let hlr = 0.8;
        let img = renderer
            .render(&GalaxyParams::new(1.0, n, hlr, 0.0, 0.0), &psf)
            .unwrap();
        let c = 159.5;
        let mut inside = 0.0;
        for ((y, x), v) in img.indexed_iter() {
            if ((x as f64 - c).powi(2) + (y as f64 - c).powi(2)).sqrt() * 0.02 <= hlr {
                inside += v;
            }
        }
        assert!(
            (inside - 0.5).abs() < 2e-3,
            "n={n}: flux within hlr in the render = {inside}"
        );
    }
}

/// The one-pass draw used for a PSF seen once gives the very same bits as the cached-grid path, and the
/// same images as `render` and `render_psf` to rounding.
#[test]
fn galaxy_with_psf_image_is_the_same_by_either_path() {
    use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};
    let renderer = Renderer::new(Stamp::default()).unwrap();
    for (i, fwhm) in [0.55, 0.8, 0.97].into_iter().enumerate() {
        let galaxy = GalaxyParams::new(2e5, 0.7 + 1.7 * i as f64, 0.2 + 0.15 * i as f64, 0.3, -0.2);
        let psf = Psf::moffat(2.0, fwhm).unwrap();
        let (one_pass, one_pass_psf) = renderer.render_with_psf_image(&galaxy, &psf).unwrap();
        // Drawing with `render` caches this PSF's grid; the second call takes the cached path.
        let plain = renderer.render(&galaxy, &psf).unwrap();
        let (cached, cached_psf) = renderer.render_with_psf_image(&galaxy, &psf).unwrap();
        assert_eq!(one_pass, cached, "galaxy image differs between the paths");
        assert_eq!(
            one_pass_psf, cached_psf,
            "PSF image differs between the paths"
        );
        assert_eq!(one_pass, plain);
        let alone = renderer.render_psf(&psf).unwrap();
        let worst = alone
            .iter()
            .zip(one_pass_psf.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-7,
            "PSF image on the galaxy's lattice differs by {worst:e}"
        );
    }
}

#[test]
fn a_rectangular_stamp_is_a_window_of_a_square_one() {
    // Row r of a 48-wide, 37-high stamp (centre y = 18) is row r + 5 of a 48 x 48 stamp (centre y =
    // 23.5) when the profile sits half a pixel lower on the square stamp.
    let galaxy = GalaxyParams::new(1e5, 2.5, 0.4, 0.2, -0.3);
    let psf = Psf::moffat(3.0, 0.6).unwrap();
    let rect = Renderer::new(Stamp::new(48, 37, 0.2)).unwrap();
    let square = Renderer::new(Stamp::square(48, 0.2)).unwrap();
    for (dx, dy) in [(0.0, 0.0), (0.6, -1.2), (-1.5, 0.9)] {
        let a = rect.render_offset(&galaxy, &psf, [dx, dy]).unwrap();
        assert_eq!(a.dim(), (37, 48));
        let b = square.render_offset(&galaxy, &psf, [dx, dy - 0.5]).unwrap();
        let window = b.slice(ndarray::s![5..42, ..]);
        let peak = b.iter().cloned().fold(0.0, f64::max);
        let worst = (&a - &window).iter().fold(0f64, |m, d| m.max(d.abs()));
        assert!(
            worst < 1e-6 * peak,
            "offset ({dx}, {dy}): {:.2e} of the peak",
            worst / peak
        );
    }
}
