//! The PSF a measurement uses: PSF images from a file (one, or a cube with one per image) or an analytic
//! Moffat or Gaussian.

use std::path::{Path, PathBuf};

use sersic_render::{Psf, PsfImage};

use crate::error::MeasureError;
use crate::planes::Planes;

/// How a PSF image relates to the stamps it is drawn on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PsfSampling {
    /// The stamps' pixel scale, arcsec (or 1 when the scale is unknown and sizes are in pixels).
    pub scale: f64,
    /// The PSF is sampled this many times finer than the stamps.
    pub oversampling: usize,
    /// The PSF already holds the pixel response (an *effective* PSF: PSFEx, Piff, a star); otherwise it is
    /// optical and the pixel response is added.
    pub includes_pixel: bool,
}

/// Where the PSF comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum PsfSpec {
    /// A PSF image (FITS or `.npy`), 2-D for every image or 3-D with one plane per image.
    Image {
        /// The file.
        path: PathBuf,
        /// The PSF is sampled this many times finer than the image.
        oversampling: usize,
        /// It is an effective PSF (contains the pixel response).
        includes_pixel: bool,
    },
    /// A Moffat of this beta and FWHM (arcsec, or pixels when the scale is unknown).
    Moffat {
        /// Moffat beta.
        beta: f64,
        /// FWHM.
        fwhm: f64,
    },
    /// A Gaussian of this FWHM.
    Gaussian {
        /// FWHM.
        fwhm: f64,
    },
}

/// The PSF(s) in `path`: one for a 2-D image, one per plane of a 3-D cube. Every plane is checked (at least
/// 3 x 3, finite, positive in total) and normalised; a bad one is refused naming the file and the plane.
pub fn load_psf_images(path: &Path, sampling: PsfSampling) -> Result<Vec<Psf>, MeasureError> {
    let planes = Planes::read(path, "PSF image")?;
    planes
        .planes
        .iter()
        .enumerate()
        .map(|(k, plane)| {
            PsfImage::new(
                plane.view(),
                sampling.scale,
                sampling.oversampling,
                sampling.includes_pixel,
            )
            .map(Psf::image)
            .map_err(|e| {
                let which = if planes.cube {
                    format!(" plane {k}")
                } else {
                    String::new()
                };
                MeasureError::input(format!("{}{which}: {e}", path.display()))
            })
        })
        .collect()
}

impl PsfSpec {
    /// The PSF(s) for images of pixel scale `scale`: one, or one per image of a cube.
    pub fn load(&self, scale: f64) -> Result<Vec<Psf>, MeasureError> {
        let analytic = |psf: Result<Psf, sersic_render::PsfError>| {
            psf.map(|p| vec![p])
                .map_err(|e| MeasureError::input(format!("PSF: {e}")))
        };
        match self {
            PsfSpec::Image {
                path,
                oversampling,
                includes_pixel,
            } => load_psf_images(
                path,
                PsfSampling {
                    scale,
                    oversampling: *oversampling,
                    includes_pixel: *includes_pixel,
                },
            ),
            PsfSpec::Moffat { beta, fwhm } => analytic(Psf::moffat(*beta, *fwhm)),
            PsfSpec::Gaussian { fwhm } => analytic(Psf::gaussian(*fwhm)),
        }
    }
}
