//! Images and cubes: the first HDU that holds pixels, read as f64 with its WCS pixel scale; written as
//! f64 (BITPIX -64) in the primary HDU, atomically.

use crate::error::FitsError;
use fitsio::hdu::HduInfo;
use fitsio::images::{ImageDescription, ImageType};
use fitsio::FitsFile;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::path::Path;

/// An image (or cube) read from a FITS file.
#[derive(Clone, Debug, PartialEq)]
pub struct FitsImage {
    /// The pixels, slowest axis first as FITS stores them: `[NAXIS2, NAXIS1]` (rows = y) for an image,
    /// `[NAXIS3, NAXIS2, NAXIS1]` for a cube. BSCALE and BZERO applied.
    pub data: ArrayD<f64>,
    /// Arcsec per pixel from the WCS (CD matrix, else CDELT with the PC matrix), when the header has one.
    pub pixel_scale: Option<f64>,
    /// Which HDU held it (0 = primary).
    pub hdu: usize,
}

/// Reads the first HDU of `path` that holds an image with at least one pixel.
pub fn read_image(path: &Path) -> Result<FitsImage, FitsError> {
    if !path.is_file() {
        return Err(FitsError::input(path, "no such file"));
    }
    let mut file = FitsFile::open(path)
        .map_err(|e| FitsError::input(path, format!("not a readable FITS file ({e})")))?;
    let hdus: Vec<_> = file.iter().collect();
    for (index, hdu) in hdus.into_iter().enumerate() {
        let HduInfo::ImageInfo { shape, .. } = &hdu.info else {
            continue;
        };
        if shape.is_empty() || shape.contains(&0) {
            continue;
        }
        let shape = shape.clone();
        let pixels: Vec<f64> = hdu.read_image(&mut file).map_err(|e| {
            FitsError::input(path, format!("cannot read HDU {index}'s pixels ({e})"))
        })?;
        let data = ArrayD::from_shape_vec(IxDyn(&shape), pixels).map_err(|e| {
            FitsError::input(
                path,
                format!("HDU {index}: pixels do not fill {shape:?} ({e})"),
            )
        })?;
        let to_arcsec = unit_to_arcsec(&hdu, &mut file);
        let mut key = |name: &str| hdu.read_key::<f64>(&mut file, name).ok();
        let pixel_scale = wcs_scale(&mut key, to_arcsec);
        return Ok(FitsImage {
            data,
            pixel_scale,
            hdu: index,
        });
    }
    Err(FitsError::input(
        path,
        "holds no image (every HDU is empty or a table)",
    ))
}

/// Arcsec per unit of the WCS's first axis: 3600 for degrees (the default), 1 for arcsec.
fn unit_to_arcsec(hdu: &fitsio::hdu::FitsHdu, file: &mut FitsFile) -> f64 {
    match hdu.read_key::<String>(file, "CUNIT1") {
        Ok(unit) if unit.trim().eq_ignore_ascii_case("arcsec") => 1.0,
        Ok(unit) if unit.trim().eq_ignore_ascii_case("mas") => 1e-3,
        _ => 3600.0,
    }
}

/// The pixel scale (the square root of the pixel's area on the sky) from the CD matrix, or from CDELT and
/// the PC matrix (identity when absent).
fn wcs_scale(key: &mut dyn FnMut(&str) -> Option<f64>, to_arcsec: f64) -> Option<f64> {
    let det = |m: [f64; 4]| (m[0] * m[3] - m[1] * m[2]).abs();
    let area = if let Some(cd11) = key("CD1_1") {
        let mut get = |k| key(k).unwrap_or(0.0);
        det([cd11, get("CD1_2"), get("CD2_1"), get("CD2_2")])
    } else {
        let (c1, c2) = (key("CDELT1")?, key("CDELT2")?);
        let pc = [
            key("PC1_1").unwrap_or(1.0),
            key("PC1_2").unwrap_or(0.0),
            key("PC2_1").unwrap_or(0.0),
            key("PC2_2").unwrap_or(1.0),
        ];
        det(pc) * (c1 * c2).abs()
    };
    let scale = area.sqrt() * to_arcsec;
    (scale.is_finite() && scale > 0.0).then_some(scale)
}

/// Writes `data` (slowest axis first, as [`FitsImage::data`]) as the primary image of `path`, float64,
/// with the given header keys. The file appears complete or not at all: it is written beside the target
/// under a hidden name and renamed.
pub fn write_image(
    path: &Path,
    data: ArrayViewD<'_, f64>,
    keys: &[(&str, f64)],
) -> Result<(), FitsError> {
    let name = path
        .file_name()
        .ok_or_else(|| FitsError::write(path, "the path names no file"))?;
    let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let _ = std::fs::remove_file(&partial);
    let written = (|| -> Result<(), fitsio::errors::Error> {
        let description = ImageDescription {
            data_type: ImageType::Double,
            dimensions: data.shape(),
        };
        let mut file = FitsFile::create(&partial)
            .with_custom_primary(&description)
            .open()?;
        let hdu = file.primary_hdu()?;
        let pixels: Vec<f64> = data.iter().copied().collect();
        hdu.write_image(&mut file, &pixels)?;
        for (key, value) in keys {
            hdu.write_key(&mut file, key, *value)?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(FitsError::write(path, e));
    }
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        FitsError::write(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn a_cube_round_trips_with_its_shape_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cube.fits");
        let cube =
            Array3::from_shape_fn((2, 3, 4), |(k, j, i)| (100 * k + 10 * j + i) as f64 - 0.5);
        write_image(
            &path,
            cube.view().into_dyn(),
            &[("CDELT1", -5.5e-5), ("CDELT2", 5.5e-5)],
        )
        .unwrap();
        let back = read_image(&path).unwrap();
        assert_eq!(back.data, cube.into_dyn());
        assert_eq!(back.hdu, 0);
        // 5.5e-5 degrees is 0.198 arcsec.
        assert!((back.pixel_scale.unwrap() - 0.198).abs() < 1e-12);
        assert!(!dir.path().join(".cube.fits.partial").exists());
    }

    #[test]
    fn the_cd_matrix_gives_the_scale_of_a_rotated_pixel() {
        let (s, t) = (0.2 / 3600.0, 0.3f64);
        let keys = [
            ("CD1_1", -s * t.cos()),
            ("CD1_2", s * t.sin()),
            ("CD2_1", s * t.sin()),
            ("CD2_2", s * t.cos()),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wcs.fits");
        write_image(&path, ArrayD::zeros(IxDyn(&[3, 3])).view(), &keys).unwrap();
        assert!((read_image(&path).unwrap().pixel_scale.unwrap() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn bad_files_are_refused_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.fits");
        let e = read_image(&missing).unwrap_err();
        assert!(
            e.is_bad_input() && e.to_string().contains("missing.fits: no such file"),
            "{e}"
        );
        let text = dir.path().join("text.fits");
        std::fs::write(&text, "SIMPLE? no, a text file").unwrap();
        let e = read_image(&text).unwrap_err();
        assert!(
            e.is_bad_input() && e.to_string().contains("not a readable FITS file"),
            "{e}"
        );
        let e = write_image(
            &dir.path().join("no/such/dir.fits"),
            ArrayD::zeros(IxDyn(&[2, 2])).view(),
            &[],
        )
        .unwrap_err();
        assert!(e.is_bad_input(), "{e}");
    }
}
