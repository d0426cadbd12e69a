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
