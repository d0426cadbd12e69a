//! Galaxies drawn through PSFs given as pixel images, against GalSim 2.8.5 (tests/fixtures/
//! pixel_psf_reference.npz, made by pixel_psf_reference.py there): 40 galaxies from the seed's prior, each
//! off centre by up to 1.5 pixels, on 48 x 48 stamps of 0.2", through effective 41 x 41 PSF images
//! (Kolmogorov ⊗ Airy, slightly sheared, drawn with the pixel; the galaxy drawn without a second one) and
//! through 2x and 4x oversampled optical ones (the pixel added).

use ndarray::{Array2, Array3, Axis};
use ndarray_npy::NpzReader;
use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp};

fn fixture() -> NpzReader<std::fs::File> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pixel_psf_reference.npz"
    );
    NpzReader::new(std::fs::File::open(path).expect("the fixture")).expect("an npz")
}

/// Per case, max |ours − GalSim| / GalSim's peak.
fn errors(kind: &str, oversampling: usize, includes_pixel: bool) -> Vec<f64> {
    let mut npz = fixture();
    let psfs: Array3<f32> = npz.by_name(&format!("{kind}_psf.npy")).unwrap();
    let params: Array2<f64> = npz.by_name(&format!("{kind}_params.npy")).unwrap();
    let which: ndarray::Array1<i64> = npz.by_name(&format!("{kind}_which_psf.npy")).unwrap();
    let images: Array3<f32> = npz.by_name(&format!("{kind}_img.npy")).unwrap();
    let psfs: Vec<Psf> = psfs
        .axis_iter(Axis(0))
        .map(|p| {
            let pixels = p.mapv(f64::from);
            Psf::image(PsfImage::new(pixels.view(), 0.2, oversampling, includes_pixel).unwrap())
        })
        .collect();
    let renderer = Renderer::new(Stamp::square(48, 0.2)).unwrap();
    params
        .rows()
        .into_iter()
        .zip(which.iter())
        .zip(images.axis_iter(Axis(0)))
        .map(|((p, &w), reference)| {
            let galaxy = GalaxyParams::new(p[0], p[1], p[2], p[3], p[4]);
            let ours = renderer
                .render_offset(&galaxy, &psfs[w as usize], [p[5], p[6]])
                .unwrap();
            let reference = reference.mapv(f64::from);
            let peak = reference.iter().cloned().fold(0.0, f64::max);
            let worst = (&ours - &reference)
                .iter()
                .fold(0.0f64, |m, d| m.max(d.abs()));
            worst / peak
        })
        .collect()
}

fn check(kind: &str, oversampling: usize, includes_pixel: bool) {
    let mut errors = errors(kind, oversampling, includes_pixel);
    assert_eq!(errors.len(), 40);
    errors.sort_by(f64::total_cmp);
    let (median, max) = (errors[errors.len() / 2], errors[errors.len() - 1]);
    eprintln!("{kind}: max |ours - GalSim| / peak: median {median:.2e}, worst {max:.2e}");
    assert!(max <= 1e-4, "{kind}: worst case {max:.2e} of the peak");
    assert!(
        median <= 3e-5,
        "{kind}: median case {median:.2e} of the peak"
    );
}

#[test]
fn effective_psf_images_draw_as_galsim_does() {
    check("effective", 1, true);
}

#[test]
fn twice_oversampled_optical_psf_images_draw_as_galsim_does() {
    check("optical2", 2, false);
}

#[test]
fn four_times_oversampled_optical_psf_images_draw_as_galsim_does() {
    check("optical4", 4, false);
}

/// Max |through the pixel image − through the analytic PSF| / peak over 12 galaxies from the seed's prior,
/// off centre, on 64 x 64 stamps of `scale`.
fn worst_against_analytic(analytic: &Psf, image: &Psf, scale: f64) -> f64 {
    let renderer = Renderer::new(Stamp::square(64, scale)).unwrap();
    (0..12)
        .map(|k| {
            let t = k as f64 / 11.0;
            let galaxy = GalaxyParams::new(
                1e5,
                0.5 + 5.5 * t,
                0.1 + 0.5 * (1.0 - t),
                0.3 - 0.5 * t,
                0.2 * t,
            );
            let offset = [1.5 - 3.0 * t, 0.7 * (3.0 * t).sin()];
            let a = renderer.render_offset(&galaxy, analytic, offset).unwrap();
            let b = renderer.render_offset(&galaxy, image, offset).unwrap();
            let peak = a.iter().cloned().fold(0.0, f64::max);
            (&b - &a).iter().fold(0f64, |m, d| m.max(d.abs())) / peak
        })
        .fold(0.0, f64::max)
}

/// A Moffat drawn to a pixel image and drawn through as a pixel PSF gives the analytic Moffat's render:
/// as a 4x oversampled optical PSF (beta 3.5, FWHM 0.7": its surface brightness sampled at 244 x 244
/// pixel centres of a quarter of the seed's 0.23") and as an effective PSF (beta 4.765, FWHM 0.7", drawn
/// with the pixel on 81 x 81 pixels of 0.08"). Both images must resolve the PSF: quintic interpolation of
/// a coarser effective image (the seed's 0.23" pixels, 3 per FWHM) departs from the Moffat by ~5e-3 of
/// the peak, in GalSim as here (docs/rendering.md).
#[test]
fn a_moffat_drawn_to_a_pixel_image_renders_as_the_analytic_moffat() {
    let scale = 0.23;
    let moffat = Psf::moffat(3.5, 0.7).unwrap();
    let quarter = scale / 4.0;
    let optical = Array2::from_shape_fn((244, 244), |(j, i)| {
        let (x, y) = ((i as f64 - 121.5) * quarter, (j as f64 - 121.5) * quarter);
        moffat.xvalue(x.hypot(y))
    });
    let optical = Psf::image(PsfImage::new(optical.view(), scale, 4, false).unwrap());
    let worst = worst_against_analytic(&moffat, &optical, scale);
    eprintln!("4x optical Moffat image: max |pixel PSF - analytic| / peak = {worst:.2e}");
    assert!(worst <= 1e-4, "4x optical: {worst:.2e} of the peak");

    let (scale, moffat) = (0.08, Psf::moffat(4.765, 0.7).unwrap());
    let effective = Renderer::new(Stamp::square(81, scale))
        .unwrap()
        .render_psf(&moffat)
        .unwrap();
    let effective = Psf::image(PsfImage::new(effective.view(), scale, 1, true).unwrap());
    let worst = worst_against_analytic(&moffat, &effective, scale);
    eprintln!("effective Moffat image: max |pixel PSF - analytic| / peak = {worst:.2e}");
    assert!(worst <= 1e-4, "effective: {worst:.2e} of the peak");
}
