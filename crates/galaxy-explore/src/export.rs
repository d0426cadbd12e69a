//! The explorer's downloads: an image as NumPy .npy or as a FITS primary HDU (through `galaxy-fits`).

use galaxy_fits::Key;
use ndarray::Array2;
use ndarray_npy::WriteNpyExt;

use crate::scene::Scene;

/// The image as a float32 .npy file (row-major, [size, size]).
pub fn npy_bytes(image: &Array2<f64>) -> Result<Vec<u8>, ndarray_npy::WriteNpyError> {
    let mut out = Vec::new();
    image.mapv(|v| v as f32).write_npy(&mut out)?;
    Ok(out)
}

/// The image as a FITS file: float32 (BITPIX −32), NAXIS1 = columns, NAXIS2 = rows (array row 0 is FITS row
/// 1), the scene's parameters as header keys.
pub fn fits_bytes(image: &Array2<f64>, scene: &Scene) -> Result<Vec<u8>, galaxy_fits::FitsError> {
    let g = &scene.galaxy;
    let keys = [
        Key::text("BUNIT", "counts", "pixel values"),
        Key::real("FLUX", g.flux, "galaxy flux, counts"),
        Key::real("SERSIC_N", g.sersic_index, "Sersic index"),
        Key::real("HLR", g.half_light_radius, "half-light radius, arcsec"),
        Key::real("G1", g.g1, "reduced shear g1"),
        Key::real("G2", g.g2, "reduced shear g2"),
        Key::real("PSF_FWHM", scene.psf_fwhm, "Moffat PSF FWHM, arcsec"),
        Key::real("PSF_BETA", scene.psf_beta, "Moffat PSF beta"),
        Key::real("SIGMA", scene.sigma, "Gaussian read noise, counts"),
        Key::int("SEED", scene.seed as i64, "noise seed"),
        Key::real("PIXSCALE", scene.stamp.scale, "arcsec per pixel"),
    ];
    galaxy_fits::image_bytes_f32(image.mapv(|v| v as f32).view().into_dyn(), &keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_has_whole_blocks_a_valid_header_and_big_endian_pixels() {
        let image = Array2::from_shape_fn((3, 5), |(r, c)| (10 * r + c) as f64);
        let bytes = fits_bytes(&image, &Scene::default()).unwrap();
        assert_eq!(bytes.len() % 2880, 0);
        let header = std::str::from_utf8(&bytes[..2880]).unwrap();
        let cards: Vec<&str> = (0..36).map(|i| &header[80 * i..80 * (i + 1)]).collect();
        assert!(cards[0].starts_with("SIMPLE  =                    T"));
        assert!(cards[3].starts_with("NAXIS1  =                    5"));
        assert!(cards[4].starts_with("NAXIS2  =                    3"));
        assert!(cards.iter().any(|c| c.trim_end() == "END"));
        assert!(cards.iter().any(|c| c.starts_with("SERSIC_N=")));
        // Pixel (row 1, column 2) = 12 is the 8th value of the data block.
        let at = 2880 + 4 * 7;
        assert_eq!(
            f32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()),
            12.0
        );
    }

    #[test]
    fn npy_starts_with_the_magic_and_holds_float32() {
        let bytes = npy_bytes(&Array2::zeros((4, 4))).unwrap();
        assert_eq!(&bytes[..6], b"\x93NUMPY");
        assert!(String::from_utf8_lossy(&bytes[..128]).contains("<f4"));
    }
}
