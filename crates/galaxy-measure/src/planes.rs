//! Arrays from files as planes: a 2-D image is one plane, a 3-D cube `[N, height, width]` is N. FITS files
//! (the first HDU that holds pixels) and `.npy` arrays (float32 or float64) are read.

use std::path::Path;

use ndarray::{Array2, ArrayD, Axis, Ix2};

use crate::error::MeasureError;

/// The planes of an image or cube file, with the pixel scale its WCS gives (FITS only).
#[derive(Clone, Debug)]
pub struct Planes {
    /// One `[height, width]` array per plane (one for a 2-D file).
    pub planes: Vec<Array2<f64>>,
    /// Whether the file was a 3-D cube (a cube of one plane is still a cube).
    pub cube: bool,
    /// Arcsec per pixel from the FITS header's WCS, if it has one.
    pub pixel_scale: Option<f64>,
}

impl Planes {
    /// Reads `path`; `what` names its role in errors ("weight map", "PSF").
    pub fn read(path: &Path, what: &str) -> Result<Planes, MeasureError> {
        let (data, pixel_scale) = read_array(path, what)?;
        let cube = data.ndim() == 3;
        let planes = match data.ndim() {
            2 => vec![data.into_dimensionality::<Ix2>().expect("2-D")],
            3 => data
                .axis_iter(Axis(0))
                .map(|p| {
                    p.into_dimensionality::<Ix2>()
                        .expect("2-D plane")
                        .to_owned()
                })
                .collect(),
            d => {
                return Err(MeasureError::input(format!(
                    "{}: a {what} must be a 2-D image or a 3-D cube, not {d}-D {:?}",
                    path.display(),
                    data.shape()
                )))
            }
        };
        Ok(Planes {
            planes,
            cube,
            pixel_scale,
        })
    }

    /// The shape `[height, width]` of each plane.
    pub fn plane_shape(&self) -> (usize, usize) {
        self.planes[0].dim()
    }

    /// Plane `k` for the k-th of `count` images: a single plane serves them all.
    pub fn for_image(&self, k: usize) -> &Array2<f64> {
        if self.planes.len() == 1 {
            &self.planes[0]
        } else {
            &self.planes[k]
        }
    }

    /// Checks that these planes can go with `count` images of `shape`: the same plane shape, and one plane
    /// or one per image. `path`, `what` and `image` name the files in the error.
    pub fn check_matches(
        &self,
        path: &Path,
        what: &str,
        shape: (usize, usize),
        count: usize,
        image: &Path,
    ) -> Result<(), MeasureError> {
        if self.plane_shape() != shape {
            return Err(MeasureError::input(format!(
                "{}: the {what} is {:?} (rows, columns) but the image {} is {:?}",
                path.display(),
                self.plane_shape(),
                image.display(),
                shape
            )));
        }
        if self.planes.len() != 1 && self.planes.len() != count {
            return Err(MeasureError::input(format!(
                "{}: the {what} has {} planes but {} holds {count} images (give one plane for all, or one per image)",
                path.display(),
                self.planes.len(),
                image.display()
            )));
        }
        Ok(())
    }
}

/// Whether `path` names a FITS file by its extension (.fits, .fit or .fts, any case).
pub fn is_fits_path(path: &Path) -> bool {
    matches!(extension(path).as_str(), "fits" | "fit" | "fts")
}

/// The file's extension, lower case ("" when it has none).
pub(crate) fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The array in a FITS or `.npy` file, as f64, with the WCS pixel scale of a FITS file.
fn read_array(path: &Path, what: &str) -> Result<(ArrayD<f64>, Option<f64>), MeasureError> {
    if is_fits_path(path) {
        let image = galaxy_fits::read_image(path)?;
        return Ok((image.data, image.pixel_scale));
    }
    match extension(path).as_str() {
        "npy" => Ok((read_npy(path)?, None)),
        _ => Err(MeasureError::input(format!(
            "{}: a {what} must be a FITS file (.fits, .fit, .fts) or a .npy file",
            path.display()
        ))),
    }
}

fn read_npy(path: &Path) -> Result<ArrayD<f64>, MeasureError> {
    let open = || {
        std::fs::File::open(path)
            .map_err(|e| MeasureError::input(format!("{}: cannot open: {e}", path.display())))
    };
    if let Ok(a) = ndarray_npy::ReadNpyExt::read_npy(open()?) {
        return Ok(a);
    }
    let a: ArrayD<f32> = ndarray_npy::ReadNpyExt::read_npy(open()?).map_err(|e| {
        MeasureError::input(format!(
            "{}: not a float32 or float64 .npy array ({e})",
            path.display()
        ))
    })?;
    Ok(a.mapv(f64::from))
}
