//! Images and cubes: the first HDU that holds pixels, read as f64 with its WCS pixel scale; written as
//! f64 (BITPIX -64) in the primary HDU, atomically.

use crate::error::FitsError;
use crate::file::{open, write_atomically};
use crate::header::{write_keys, Key};
use fitsio::hdu::HduInfo;
use fitsio::images::{ImageDescription, ImageType, WriteImage};
use fitsio::FitsFile;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let mut file = open(path)?;
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

/// Writes `data` (slowest axis first, as [`FitsImage::data`]) as the primary image of `path`, float64
/// (BITPIX −64), with the given header keys. The file appears complete or not at all: it is written beside
/// the target under a hidden name and renamed.
pub fn write_image(path: &Path, data: ArrayViewD<'_, f64>, keys: &[Key]) -> Result<(), FitsError> {
    write_pixels(path, data, ImageType::Double, keys)
}

/// [`write_image`] in float32 (BITPIX −32), half the size, for images that need no more precision.
pub fn write_image_f32(
    path: &Path,
    data: ArrayViewD<'_, f32>,
    keys: &[Key],
) -> Result<(), FitsError> {
    write_pixels(path, data, ImageType::Float, keys)
}

/// The bytes of a FITS file holding `data` as a float32 primary image with `keys` (for a download).
pub fn image_bytes_f32(data: ArrayViewD<'_, f32>, keys: &[Key]) -> Result<Vec<u8>, FitsError> {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "galaxy-fits-{}-{}.fits",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    let path = std::env::temp_dir().join(name);
    write_image_f32(&path, data, keys)?;
    let bytes = std::fs::read(&path).map_err(|e| FitsError::write(&path, e));
    let _ = std::fs::remove_file(&path);
    bytes
}

/// One named image extension of a multi-extension file (see [`write_image_extensions`]).
#[derive(Clone, Debug)]
pub struct ImageExtension<'a> {
    /// EXTNAME of the HDU.
    pub name: &'a str,
    /// Its pixels, slowest axis first.
    pub data: ArrayViewD<'a, f64>,
    /// Header keys of that HDU.
    pub keys: &'a [Key],
}

/// Writes an empty primary HDU followed by one float64 image extension per entry of `extensions`, in
/// order, as GALFIT writes its image blocks (data, model, residual). Atomic as [`write_image`].
pub fn write_image_extensions(
    path: &Path,
    extensions: &[ImageExtension<'_>],
) -> Result<(), FitsError> {
    write_atomically(path, |partial| {
        let mut file = FitsFile::create(partial).open()?;
        for extension in extensions {
            let description = ImageDescription {
                data_type: ImageType::Double,
                dimensions: extension.data.shape(),
            };
            let hdu = file.create_image(extension.name, &description)?;
            let pixels: Vec<f64> = extension.data.iter().copied().collect();
            hdu.write_image(&mut file, &pixels)?;
            write_keys(&hdu, &mut file, extension.keys)?;
        }
        Ok(())
    })
}

fn write_pixels<T: WriteImage + Copy>(
    path: &Path,
    data: ArrayViewD<'_, T>,
    data_type: ImageType,
    keys: &[Key],
) -> Result<(), FitsError> {
    write_atomically(path, |partial| {
        let description = ImageDescription {
            data_type,
            dimensions: data.shape(),
        };
        let mut file = FitsFile::create(partial)
            .with_custom_primary(&description)
            .open()?;
        let hdu = file.primary_hdu()?;
        let pixels: Vec<T> = data.iter().copied().collect();
        hdu.write_image(&mut file, &pixels)?;
        write_keys(&hdu, &mut file, keys)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::read_key;
    use ndarray::Array3;

    #[test]
    fn a_cube_round_trips_with_its_shape_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cube.fits");
        let cube =
            Array3::from_shape_fn((2, 3, 4), |(k, j, i)| (100 * k + 10 * j + i) as f64 - 0.5);
        let keys = [
            Key::real("CDELT1", -5.5e-5, "degrees"),
            Key::real("CDELT2", 5.5e-5, "degrees"),
            Key::int("NSHARD", 4, "an integer"),
            Key::text("RUN", "abc123", "a string"),
        ];
        write_image(&path, cube.view().into_dyn(), &keys).unwrap();
        let back = read_image(&path).unwrap();
        assert_eq!(back.data, cube.into_dyn());
        assert_eq!(back.hdu, 0);
        // 5.5e-5 degrees is 0.198 arcsec.
        assert!((back.pixel_scale.unwrap() - 0.198).abs() < 1e-12);
        assert_eq!(read_key(&path, 0, "NSHARD").unwrap().as_deref(), Some("4"));
        assert_eq!(
            read_key(&path, 0, "RUN").unwrap().as_deref(),
            Some("abc123")
        );
        assert_eq!(read_key(&path, 0, "ABSENT").unwrap(), None);
        assert!(!dir.path().join(".cube.fits.partial").exists());
    }

    #[test]
    fn float32_images_and_download_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f32.fits");
        let image = ArrayD::from_shape_fn(IxDyn(&[3, 5]), |ix| (10 * ix[0] + ix[1]) as f32 + 0.25);
        write_image_f32(&path, image.view(), &[]).unwrap();
        assert_eq!(read_image(&path).unwrap().data, image.mapv(f64::from));
        let bytes = image_bytes_f32(image.view(), &[Key::int("SEED", 5, "noise seed")]).unwrap();
        assert_eq!(bytes.len(), 2 * 2880);
        let header = String::from_utf8_lossy(&bytes[..2880]).into_owned();
        assert!(header.contains("BITPIX  =                  -32"));
        assert!(header.contains("SEED    =                    5 / noise seed"));
        // Pixel (row 1, column 2) = 12.25, the 8th value, big-endian.
        let at = 2880 + 4 * 7;
        assert_eq!(
            f32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()),
            12.25
        );
    }

    #[test]
    fn image_extensions_follow_an_empty_primary_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("block.fits");
        let data = ArrayD::from_shape_fn(IxDyn(&[2, 3]), |ix| (ix[0] * 3 + ix[1]) as f64);
        let model = data.mapv(|v| v + 0.5);
        let keys = [Key::text("OBJECT", "g7", "source id")];
        write_image_extensions(
            &path,
            &[
                ImageExtension {
                    name: "DATA",
                    data: data.view(),
                    keys: &keys,
                },
                ImageExtension {
                    name: "MODEL",
                    data: model.view(),
                    keys: &[],
                },
            ],
        )
        .unwrap();
        // read_image skips the empty primary and finds the first extension.
        let first = read_image(&path).unwrap();
        assert_eq!((first.hdu, first.data), (1, data));
        assert_eq!(
            read_key(&path, 1, "EXTNAME").unwrap().as_deref(),
            Some("DATA")
        );
        assert_eq!(read_key(&path, 1, "OBJECT").unwrap().as_deref(), Some("g7"));
        assert_eq!(
            read_key(&path, 2, "EXTNAME").unwrap().as_deref(),
            Some("MODEL")
        );
    }

    #[test]
    fn the_cd_matrix_gives_the_scale_of_a_rotated_pixel() {
        let (s, t) = (0.2 / 3600.0, 0.3f64);
        let keys = [
            Key::real("CD1_1", -s * t.cos(), ""),
            Key::real("CD1_2", s * t.sin(), ""),
            Key::real("CD2_1", s * t.sin(), ""),
            Key::real("CD2_2", s * t.cos(), ""),
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
