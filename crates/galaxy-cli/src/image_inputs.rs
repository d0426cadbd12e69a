//! The inputs that come with a FITS image — its PSF, noise, mask, pixel scale and, for a field, the
//! catalogue — as `galaxy fit` and `galaxy predict` both take them, and the measurement request they make.

use std::path::{Path, PathBuf};

use clap::Args;
use galaxy_measure::{MeasureRequest, NoiseSpec, PsfSpec, Survey};
use mle_fit::ImageFitOptions;
use noise_model::MaskPolarity;

use crate::args::ShardPlan;
use crate::CliError;

/// The inputs that come with a FITS image, shared by `galaxy fit` and `galaxy predict`: its PSF, noise,
/// mask, pixel scale and, for a field, the catalogue (docs/real-images.md).
#[derive(Args, Debug, Default)]
pub(crate) struct ImageInputArgs {
    /// PSF image (FITS or .npy): 2-D for every galaxy, or 3-D with one plane per cutout of a cube.
    #[arg(long, conflicts_with = "psf_fwhm")]
    pub(crate) psf: Option<PathBuf>,
    /// The PSF image is sampled K times finer than the image.
    #[arg(long, default_value_t = 1, requires = "psf")]
    pub(crate) psf_oversampling: usize,
    /// The PSF image already holds the pixel response (an effective PSF: PSFEx, Piff, a star).
    #[arg(long, requires = "psf")]
    pub(crate) psf_includes_pixel: bool,
    /// Bad-pixel mask of the image's shape: non-zero = bad (Imfit's convention).
    #[arg(long)]
    pub(crate) mask: Option<PathBuf>,
    /// The mask marks good pixels instead: zero = bad.
    #[arg(long, requires = "mask")]
    pub(crate) mask_zero_is_bad: bool,
    /// Inverse-variance weight map (0 = unusable pixel).
    #[arg(long, conflicts_with_all = ["sigma_map", "variance", "sigma", "gain", "read_noise", "sky_level"])]
    pub(crate) weight: Option<PathBuf>,
    /// Sigma map, image units.
    #[arg(long, conflicts_with_all = ["variance", "sigma", "gain", "read_noise", "sky_level"])]
    pub(crate) sigma_map: Option<PathBuf>,
    /// Variance map, image units squared.
    #[arg(long, conflicts_with_all = ["sigma", "gain", "read_noise", "sky_level"])]
    pub(crate) variance: Option<PathBuf>,
    /// Gain, electrons per image unit: Poisson noise on the model plus the subtracted sky (Imfit's --gain).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "sigma")]
    pub(crate) gain: Option<f64>,
    /// Read noise, electrons (Imfit's --readnoise).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "sigma")]
    pub(crate) read_noise: Option<f64>,
    /// The sky that was subtracted from the image, image units per pixel (Imfit's --sky).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "sigma")]
    pub(crate) sky_level: Option<f64>,
    /// Arcsec per pixel, when the image's WCS does not give it (it overrides the WCS).
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) pixel_scale: Option<f64>,
    /// Catalogue of sources in a field (CSV or FITS table): id, x, y (1-based pixels), optional size.
    #[arg(long)]
    pub(crate) catalog: Option<PathBuf>,
    /// Segmentation map of the field: pixels of other sources' labels are masked in each stamp.
    #[arg(long, requires = "catalog")]
    pub(crate) segmentation: Option<PathBuf>,
    /// Side of the stamps cut from a field when the catalogue has no size column, pixels.
    #[arg(long, default_value_t = 64)]
    pub(crate) stamp_size: usize,
}

impl ImageInputArgs {
    /// The options given that only FITS inputs take (to refuse them with an npz).
    pub(crate) fn fits_only_options(&self) -> Vec<&'static str> {
        let given = [
            (self.psf.is_some(), "--psf"),
            (self.mask.is_some(), "--mask"),
            (self.weight.is_some(), "--weight"),
            (self.sigma_map.is_some(), "--sigma-map"),
            (self.variance.is_some(), "--variance"),
            (self.gain.is_some(), "--gain"),
            (self.read_noise.is_some(), "--read-noise"),
            (self.sky_level.is_some(), "--sky-level"),
            (self.pixel_scale.is_some(), "--pixel-scale"),
            (self.catalog.is_some(), "--catalog"),
        ];
        given.iter().filter(|(g, _)| *g).map(|(_, n)| *n).collect()
    }

    /// The PSF: the image given, or a Moffat of `psf_fwhm` and `psf_beta`.
    pub(crate) fn psf_spec(
        &self,
        psf_fwhm: Option<f64>,
        psf_beta: f64,
    ) -> Result<PsfSpec, CliError> {
        match (&self.psf, psf_fwhm) {
            (Some(path), _) => Ok(PsfSpec::Image {
                path: path.clone(),
                oversampling: self.psf_oversampling,
                includes_pixel: self.psf_includes_pixel,
            }),
            (None, Some(fwhm)) => Ok(PsfSpec::Moffat {
                beta: psf_beta,
                fwhm,
            }),
            (None, None) => Err(CliError::input(
                "a FITS input needs its PSF: --psf psf.fits, or --psf-fwhm F [--psf-beta B] for a Moffat",
            )),
        }
    }

    /// The request of a run on the FITS image `image`, its galaxies fitted with `fit`.
    pub(crate) fn request(
        &self,
        image: &Path,
        psf: PsfSpec,
        sigma: Option<f64>,
        fit: ImageFitOptions,
    ) -> Result<MeasureRequest, CliError> {
        Ok(MeasureRequest {
            image: image.to_path_buf(),
            psf,
            noise: self.noise(sigma)?,
            mask: self.mask.clone(),
            mask_polarity: if self.mask_zero_is_bad {
                MaskPolarity::ZeroIsBad
            } else {
                MaskPolarity::NonZeroIsBad
            },
            pixel_scale: self.pixel_scale,
            catalog: self.catalog.clone(),
            segmentation: self.segmentation.clone(),
            stamp_size: self.stamp_size,
            fit,
            statistic: Default::default(),
            convolution: Default::default(),
        })
    }

    fn noise(&self, sigma: Option<f64>) -> Result<NoiseSpec, CliError> {
        Ok(if let Some(p) = &self.weight {
            NoiseSpec::Weight(p.clone())
        } else if let Some(p) = &self.sigma_map {
            NoiseSpec::SigmaMap(p.clone())
        } else if let Some(p) = &self.variance {
            NoiseSpec::Variance(p.clone())
        } else if let Some(s) = sigma {
            NoiseSpec::Sigma(s)
        } else if self.gain.is_some() || self.read_noise.is_some() || self.sky_level.is_some() {
            NoiseSpec::Ccd {
                gain: self.gain.unwrap_or(1.0),
                read_noise: self.read_noise.unwrap_or(0.0),
                sky_level: self.sky_level.unwrap_or(0.0),
            }
        } else {
            return Err(CliError::input(
                "a FITS input needs its noise: --weight, --sigma-map, --variance, --sigma, or --gain \
                 [--read-noise R] [--sky-level S]",
            ));
        })
    }
}

/// The inputs of `request` loaded and cut into stamps, keeping the shard's part of them (in the input's
/// order), with the number of stamps of the whole input (for the part's stamp).
pub(crate) fn survey_part(
    request: &MeasureRequest,
    plan: &ShardPlan,
) -> Result<(Survey, u64), CliError> {
    let mut survey = Survey::prepare(request)?;
    let total = survey.cutouts.len() as u64;
    let rows = galaxy_data::shard_rows(plan.shard, total, &request.image)?;
    survey.cutouts = survey
        .cutouts
        .drain(rows.start as usize..rows.end as usize)
        .collect();
    Ok((survey, total))
}
