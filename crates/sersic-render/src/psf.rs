//! Point-spread functions: Moffat (any beta > 1.1, optional truncation) and Gaussian, each given by its FWHM,
//! and a PSF given as a pixel image ([`PsfImage`]: effective or optical, oversampled or not).
//!
//! A PSF is a small value: its real-space law, its Fourier transform and its scale. The renderer turns an
//! analytic PSF into a [`RadialTable`] of its transform once, a pixel PSF into its transform on the k lattice
//! by one FFT, and caches the weights it needs on the lattice.

use crate::hankel::hankel0;
use crate::psf_image::PsfImage;
use crate::radial_table::{grid_nodes, RadialTable, Tail};
use std::f64::consts::{LN_2, PI};
use std::sync::Arc;

/// Smallest Moffat beta accepted (GalSim requires beta > 1.1 for an untruncated Moffat to have a finite
/// Fourier-space extent that can be drawn).
pub const MOFFAT_BETA_MIN: f64 = 1.1;

/// Octave range of the PSF tables in y = (k · scale radius)².
const PSF_E_MIN: i32 = -24;
const PSF_E_MAX: i32 = 12;

/// A point-spread function of unit flux: circular and analytic, or a pixel image.
#[derive(Clone, Debug, PartialEq)]
pub enum Psf {
    /// Moffat profile I ∝ (1 + (r/r_d)²)^(-beta).
    Moffat {
        /// Power-law index beta (> 1.1).
        beta: f64,
        /// Full width at half maximum, arcsec.
        fwhm: f64,
        /// Truncation radius, arcsec (the profile is zero beyond, flux renormalised to 1), if any.
        trunc: Option<f64>,
    },
    /// Gaussian profile.
    Gaussian {
        /// Full width at half maximum, arcsec.
        fwhm: f64,
    },
    /// A pixel image, as GalSim's `InterpolatedImage` with the quintic interpolant (shared: cloning a
    /// `Psf` does not copy the pixels). Whether the pixel response is added when drawing through it is the
    /// image's own [`PsfImage::includes_pixel`].
    Image(Arc<PsfImage>),
}

/// Why a PSF cannot be drawn.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PsfError {
    /// The FWHM is not a positive finite number.
    #[error("psf_fwhm must be a positive finite number, got {0}")]
    Fwhm(f64),
    /// Moffat beta out of range.
    #[error("psf_beta must be a finite number > {MOFFAT_BETA_MIN}, got {0}")]
    Beta(f64),
    /// Truncation radius not positive.
    #[error("psf truncation radius must be a positive finite number, got {0}")]
    Trunc(f64),
}

impl Psf {
    /// Moffat of the given beta and FWHM, untruncated.
    pub fn moffat(beta: f64, fwhm: f64) -> Result<Psf, PsfError> {
        Psf::Moffat {
            beta,
            fwhm,
            trunc: None,
        }
        .validated()
    }

    /// Gaussian of the given FWHM.
    pub fn gaussian(fwhm: f64) -> Result<Psf, PsfError> {
        Psf::Gaussian { fwhm }.validated()
    }

    /// A PSF from a pixel image.
    pub fn image(image: PsfImage) -> Psf {
        Psf::Image(Arc::new(image))
    }

    /// The pixel image, for a [`Psf::Image`].
    pub fn as_image(&self) -> Option<&PsfImage> {
        match self {
            Psf::Image(image) => Some(image),
            _ => None,
        }
    }

    /// Whether drawing through this PSF adds the detector pixel's response: always for the analytic PSFs,
    /// and for an optical PSF image; not for an effective one.
    pub fn adds_pixel(&self) -> bool {
        !matches!(self, Psf::Image(image) if image.includes_pixel())
    }

    /// Checks the parameters, returning the PSF unchanged if they are valid (a [`PsfImage`] was checked
    /// when it was made).
    pub fn validated(self) -> Result<Psf, PsfError> {
        if let Psf::Image(_) = self {
            return Ok(self);
        }
        let fwhm = self.fwhm();
        if !(fwhm.is_finite() && fwhm > 0.0) {
            return Err(PsfError::Fwhm(fwhm));
        }
        if let Psf::Moffat { beta, trunc, .. } = self {
            if !(beta.is_finite() && beta > MOFFAT_BETA_MIN) {
                return Err(PsfError::Beta(beta));
            }
            if let Some(t) = trunc {
                if !(t.is_finite() && t > 0.0) {
                    return Err(PsfError::Trunc(t));
                }
            }
        }
        Ok(self)
    }

    /// Full width at half maximum, arcsec (for an image, [`PsfImage::fwhm_estimate`]).
    pub fn fwhm(&self) -> f64 {
        match self {
            Psf::Moffat { fwhm, .. } | Psf::Gaussian { fwhm } => *fwhm,
            Psf::Image(image) => image.fwhm_estimate(),
        }
    }

    /// The scale radius the transform is tabulated in: r_d for a Moffat, sigma for a Gaussian (for an
    /// image, half its estimated FWHM).
    pub fn scale_radius(&self) -> f64 {
        match self {
            Psf::Moffat { beta, fwhm, .. } => fwhm / (2.0 * (2f64.powf(1.0 / beta) - 1.0).sqrt()),
            Psf::Gaussian { fwhm } => fwhm / (2.0 * (2.0 * LN_2).sqrt()),
            Psf::Image(image) => 0.5 * image.fwhm_estimate(),
        }
    }

    /// Surface brightness at radius r (arcsec), per arcsec², unit total flux. For an image, which is not
    /// circular, an upper bound at any point that far from the centre ([`PsfImage::wing_bound`]).
    pub fn xvalue(&self, r: f64) -> f64 {
        match *self {
            Psf::Image(ref image) => image.wing_bound(r),
            Psf::Moffat { beta, trunc, .. } => {
                let rd = self.scale_radius();
                if trunc.is_some_and(|t| r > t) {
                    return 0.0;
                }
                let kept = trunc.map_or(1.0, |t| 1.0 - (1.0 + (t / rd).powi(2)).powf(1.0 - beta));
                (beta - 1.0) / (PI * rd * rd) * (1.0 + (r / rd).powi(2)).powf(-beta) / kept
            }
            Psf::Gaussian { .. } => {
                let rd = self.scale_radius();
                (-0.5 * (r / rd).powi(2)).exp() / (2.0 * PI * rd * rd)
            }
        }
    }

    /// Fourier transform at wavenumber k (rad/arcsec), exact (closed form or numerical Hankel transform).
    /// For an image, which is not circular, the modulus of its transform at (k, 0).
    pub fn kvalue_exact(&self, k: f64) -> f64 {
        match *self {
            Psf::Image(ref image) => image.kvalue(k, 0.0).norm(),
            Psf::Gaussian { .. } => {
                let u = k * self.scale_radius();
                (-0.5 * u * u).exp()
            }
            Psf::Moffat {
                beta, trunc: None, ..
            } => {
                let u = k * self.scale_radius();
                if u == 0.0 {
                    return 1.0;
                }
                let nu = beta - 1.0;
                // x^ν K_ν(x) → 2^(ν-1) Γ(ν) as x → 0.
                let k_nu = if (nu - 1.0).abs() < 1e-12 {
                    puruspe::Kn(1, u)
                } else {
                    puruspe::Inu_Knu(nu, u).1
                };
                u.powf(nu) * k_nu / (2f64.powf(nu - 1.0) * puruspe::gamma(nu))
            }
            Psf::Moffat { trunc: Some(t), .. } => {
                let r_min = (1e-15 / (PI * self.xvalue(0.0))).sqrt().min(1e-3 * t);
                hankel0(|r| self.xvalue(r), k, r_min, t)
            }
        }
    }

    /// The transform as a lookup table in y = (k · scale radius)².
    ///
    /// In these units the table depends only on the PSF's *shape* (Moffat beta and truncation in scale
    /// radii; nothing for a Gaussian), not on its width: it is computed from the unit-scale-radius PSF of
    /// that shape, so every width of one shape gets the very same table (see [`Psf::shape_key`]).
    pub fn k_table(&self) -> RadialTable {
        let unit = self.unit_scale();
        let values: Vec<f64> = grid_nodes(PSF_E_MIN, PSF_E_MAX)
            .iter()
            .map(|y| unit.kvalue_exact(y.sqrt()))
            .collect();
        RadialTable::from_nodes(PSF_E_MIN, PSF_E_MAX, &values, 1.0, Tail::Zero)
    }

    /// The PSF of the same shape with a scale radius of 1 (up to rounding, identically for every width).
    fn unit_scale(&self) -> Psf {
        match *self {
            Psf::Image(_) => self.clone(),
            Psf::Moffat { beta, trunc, .. } => {
                let rd = self.scale_radius();
                Psf::Moffat {
                    beta,
                    fwhm: 2.0 * (2f64.powf(1.0 / beta) - 1.0).sqrt(),
                    trunc: trunc.map(|t| t / rd),
                }
            }
            Psf::Gaussian { .. } => Psf::Gaussian {
                fwhm: 2.0 * (2.0 * LN_2).sqrt(),
            },
        }
    }

    /// A hashable identity of the PSF's shape, independent of its width: PSFs with equal shape keys have
    /// identical [`Psf::k_table`]s.
    pub fn shape_key(&self) -> [u64; 3] {
        match self.unit_scale() {
            Psf::Moffat { beta, trunc, .. } => [1, beta.to_bits(), trunc.map_or(0, f64::to_bits)],
            Psf::Gaussian { .. } => [2, 0, 0],
            Psf::Image(image) => [3, image.key(), 0],
        }
    }

    /// A hashable identity for caches (bit patterns of the parameters).
    pub(crate) fn cache_key(&self) -> [u64; 4] {
        match *self {
            Psf::Moffat { beta, fwhm, trunc } => [
                1,
                beta.to_bits(),
                fwhm.to_bits(),
                trunc.map_or(0, f64::to_bits),
            ],
            Psf::Gaussian { fwhm } => [2, fwhm.to_bits(), 0, 0],
            Psf::Image(ref image) => [3, image.key(), 0, 0],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moffat_beta2_has_the_right_fwhm_and_unit_flux() {
        let psf = Psf::moffat(2.0, 0.7).unwrap();
        let peak = psf.xvalue(0.0);
        assert!((psf.xvalue(0.35) / peak - 0.5).abs() < 1e-12);
        assert!((psf.kvalue_exact(0.0) - 1.0).abs() < 1e-15);
        // Untruncated and truncated-at-infinity agree; general beta path agrees with the beta = 2 closed form.
        let far = Psf::Moffat {
            beta: 2.0,
            fwhm: 0.7,
            trunc: Some(2000.0),
        };
        let general = Psf::Moffat {
            beta: 2.0 + 1e-9,
            fwhm: 0.7,
            trunc: None,
        };
        for k in [0.5, 2.0, 6.0] {
            assert!(
                (far.kvalue_exact(k) - psf.kvalue_exact(k)).abs() < 1e-6,
                "k={k}"
            );
            assert!(
                (general.kvalue_exact(k) - psf.kvalue_exact(k)).abs() < 1e-7,
                "k={k}"
            );
        }
    }

    #[test]
    fn moffat_general_beta_transform_matches_hankel() {
        for beta in [1.5, 2.5, 4.765] {
            let psf = Psf::moffat(beta, 0.8).unwrap();
            let rd = psf.scale_radius();
            for k in [0.3, 1.5, 5.0] {
                let num = hankel0(|r| psf.xvalue(r), k, 1e-9, 1e5 * rd);
                assert!(
                    (psf.kvalue_exact(k) - num).abs() < 1e-8,
                    "beta={beta} k={k}"
                );
            }
        }
    }

    #[test]
    fn table_matches_exact_transform() {
        for psf in [
            Psf::moffat(2.0, 0.5).unwrap(),
            Psf::moffat(3.5, 1.0).unwrap(),
            Psf::gaussian(0.6).unwrap(),
        ] {
            let table = psf.k_table();
            let rd = psf.scale_radius();
            for i in 0..300 {
                let k = 0.01 * 1.03f64.powi(i);
                let err = (table.value((k * rd).powi(2)) - psf.kvalue_exact(k)).abs();
                assert!(err < 2e-8, "{psf:?} k={k} err={err}");
            }
        }
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert_eq!(Psf::moffat(2.0, -1.0), Err(PsfError::Fwhm(-1.0)));
        assert_eq!(Psf::moffat(1.05, 1.0), Err(PsfError::Beta(1.05)));
        assert!(Psf::gaussian(f64::NAN).is_err());
    }
}
