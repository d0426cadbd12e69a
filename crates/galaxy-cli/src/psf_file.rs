//! PSF images from files, as `--psf` takes them: FITS (the first HDU holding an image) or `.npy` (float32
//! or float64); 2-D for one PSF, 3-D `[N, height, width]` for one per image. Every plane is checked (at
//! least 3 x 3, finite, positive in total) and normalised; a bad one is refused naming the file and plane.

use std::path::Path;

use ndarray::{ArrayD, Axis, Ix2};
use sersic_render::{Psf, PsfImage};

use crate::CliError;

/// How the PSF image relates to the stamps it is drawn on.
#[derive(Clone, Copy, Debug)]
pub struct PsfSampling {
    /// The stamps' pixel scale, arcsec.
    pub scale: f64,
    /// The PSF is sampled this many times finer than the stamps.
    pub oversampling: usize,
    /// The PSF already holds the pixel response (an effective PSF).
    pub includes_pixel: bool,
}

/// The PSF(s) in `path`: one for a 2-D image, one per plane of a 3-D cube.
pub fn load(path: &Path, sampling: PsfSampling) -> Result<Vec<Psf>, CliError> {
    let data = read_array(path)?;
    let cube = data.ndim() == 3;
    let planes: Vec<ArrayD<f64>> = match data.ndim() {
        2 => vec![data],
        3 => data.axis_iter(Axis(0)).map(|p| p.to_owned()).collect(),
        d => {
            return Err(CliError::input(format!(
                "{}: a PSF image must be 2-D (one PSF) or 3-D (one per image), not {d}-D {:?}",
                path.display(),
                data.shape()
            )))
        }
    };
    planes
        .iter()
        .enumerate()
        .map(|(k, plane)| {
            let plane = plane
                .view()
                .into_dimensionality::<Ix2>()
                .expect("2-D plane");
            PsfImage::new(
                plane,
                sampling.scale,
                sampling.oversampling,
                sampling.includes_pixel,
            )
            .map(Psf::image)
            .map_err(|e| {
                let which = if cube {
                    format!(" plane {k}")
                } else {
                    String::new()
                };
                CliError::input(format!("{}{which}: {e}", path.display()))
            })
        })
        .collect()
}

/// The array in a FITS or `.npy` file, as f64.
fn read_array(path: &Path) -> Result<ArrayD<f64>, CliError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match extension.as_str() {
        "fits" | "fit" | "fts" => Ok(galaxy_fits::read_image(path)?.data),
        "npy" => read_npy(path),
        _ => Err(CliError::input(format!(
            "{}: a PSF image must be a FITS file (.fits, .fit, .fts) or a .npy file",
            path.display()
        ))),
    }
}

fn read_npy(path: &Path) -> Result<ArrayD<f64>, CliError> {
    let open = || {
        std::fs::File::open(path)
            .map_err(|e| CliError::input(format!("{}: cannot open: {e}", path.display())))
    };
    if let Ok(a) = ndarray_npy::ReadNpyExt::read_npy(open()?) {
        return Ok(a);
    }
    let a: ArrayD<f32> = ndarray_npy::ReadNpyExt::read_npy(open()?).map_err(|e| {
        CliError::input(format!(
            "{}: not a float32 or float64 .npy array ({e})",
            path.display()
        ))
    })?;
    Ok(a.mapv(f64::from))
}
