//! `PsfImage` against GalSim 2.8.5's `InterpolatedImage` (quintic, pad_factor 8, tight GSParams) on the
//! PSF images of tests/fixtures/pixel_psf_reference.npz (made by pixel_psf_reference.py there): the same
//! Fourier transform, hence the same centring, orientation and normalisation.

use ndarray::{Array2, Array3};
use ndarray_npy::NpzReader;
use sersic_render::PsfImage;

fn fixture() -> NpzReader<std::fs::File> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pixel_psf_reference.npz"
    );
    NpzReader::new(std::fs::File::open(path).expect("the fixture")).expect("an npz")
}

#[test]
fn psf_images_transform_as_galsims_interpolated_image() {
    let mut npz = fixture();
    for (kind, oversampling, includes_pixel) in [
        ("effective", 1, true),
        ("optical2", 2, false),
        ("optical4", 4, false),
    ] {
        let psfs: Array3<f32> = npz.by_name(&format!("{kind}_psf.npy")).unwrap();
        let reference: Array2<f64> = npz.by_name(&format!("{kind}_kvalues.npy")).unwrap();
        let pixels = psfs.index_axis(ndarray::Axis(0), 0).mapv(f64::from);
        let psf = PsfImage::new(pixels.view(), 0.2, oversampling, includes_pixel).unwrap();
        assert_eq!(psf.psf_scale(), 0.2 / oversampling as f64);
        for row in reference.rows() {
            let (kx, ky) = (row[0], row[1]);
            let ours = psf.kvalue(kx, ky);
            // GalSim interpolates a padded FFT of the image; ours is the exact sum: they agree to its
            // interpolation error, far below what a render at 1e-4 of the peak can see.
            let diff = ((ours.re - row[2]).powi(2) + (ours.im - row[3]).powi(2)).sqrt();
            assert!(
                diff < 1e-7,
                "{kind} at ({kx}, {ky}): {ours} vs {} {}",
                row[2],
                row[3]
            );
        }
    }
}
