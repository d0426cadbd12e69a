//! The explorer's downloads: an image as NumPy .npy or as a FITS primary HDU.
//!
//! FITS is written here because the format's simple case — one header of 80-character cards in 2,880-byte
//! blocks, then big-endian IEEE floats — is a few lines, and the Rust FITS crates either read only or need
//! the cfitsio C library.

use ndarray::Array2;
use ndarray_npy::WriteNpyExt;

use crate::scene::Scene;

/// The image as a float32 .npy file (row-major, [size, size]).
pub fn npy_bytes(image: &Array2<f64>) -> Result<Vec<u8>, ndarray_npy::WriteNpyError> {
    let mut out = Vec::new();
    image.mapv(|v| v as f32).write_npy(&mut out)?;
    Ok(out)
}

/// One header card: keyword (≤ 8 characters), value, comment, padded to 80 characters.
fn card(keyword: &str, value: &str, comment: &str) -> String {
    let mut c = format!("{keyword:<8}= {value:>20} / {comment}");
    c.truncate(80);
    format!("{c:<80}")
}

/// The image as a FITS file: BITPIX −32, NAXIS1 = columns, NAXIS2 = rows (array row 0 is FITS row 1), the
/// scene's parameters as header keywords.
pub fn fits_bytes(image: &Array2<f64>, scene: &Scene) -> Vec<u8> {
    let (rows, cols) = image.dim();
    let g = &scene.galaxy;
    let real = |v: f64| format!("{v:.10E}");
    let mut header = [
        card("SIMPLE", "T", "conforms to FITS standard"),
        card("BITPIX", "-32", "IEEE single-precision floats"),
        card("NAXIS", "2", "a two-dimensional image"),
        card("NAXIS1", &cols.to_string(), "columns"),
        card("NAXIS2", &rows.to_string(), "rows"),
        card("BUNIT", "'counts  '", "pixel values"),
        card("FLUX", &real(g.flux), "galaxy flux, counts"),
        card("SERSIC_N", &real(g.sersic_index), "Sersic index"),
        card(
            "HLR",
            &real(g.half_light_radius),
            "half-light radius, arcsec",
        ),
        card("G1", &real(g.g1), "reduced shear g1"),
        card("G2", &real(g.g2), "reduced shear g2"),
        card("PSF_FWHM", &real(scene.psf_fwhm), "Moffat PSF FWHM, arcsec"),
        card("PSF_BETA", &real(scene.psf_beta), "Moffat PSF beta"),
        card("SIGMA", &real(scene.sigma), "Gaussian read noise, counts"),
        card("SEED", &scene.seed.to_string(), "noise seed"),
        card("PIXSCALE", &real(scene.stamp.scale), "arcsec per pixel"),
    ]
    .concat();
    header.push_str(&format!("{:<80}", "END"));
    let mut out = header.into_bytes();
    out.resize(out.len().div_ceil(2880) * 2880, b' ');
    for v in image.iter() {
        out.extend_from_slice(&(*v as f32).to_be_bytes());
    }
    out.resize(out.len().div_ceil(2880) * 2880, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_has_whole_blocks_a_valid_header_and_big_endian_pixels() {
        let image = Array2::from_shape_fn((3, 5), |(r, c)| (10 * r + c) as f64);
        let bytes = fits_bytes(&image, &Scene::default());
        assert_eq!(bytes.len() % 2880, 0);
        let header = std::str::from_utf8(&bytes[..2880]).unwrap();
        let cards: Vec<&str> = (0..36).map(|i| &header[80 * i..80 * (i + 1)]).collect();
        assert!(cards[0].starts_with("SIMPLE  =                    T"));
        assert!(cards[3].starts_with("NAXIS1  =                    5"));
        assert!(cards[4].starts_with("NAXIS2  =                    3"));
        assert!(cards.iter().any(|c| c.trim_end() == "END"));
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
