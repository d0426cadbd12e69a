//! Flatter variants of a preset's prior, by name: what `generate`, `train`, `search`, `calibrate` and
//! `posterior` offer on top of the seed's prior.

use crate::prior::Dist;
use crate::psf_family::PsfFamily;
use crate::simulate::SimSettings;

/// How the labels of simulated images depart from a preset's prior (all off: the seed's prior).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PriorOptions {
    /// n from U(0.5, 6) instead of the seed's 1000-value grid.
    pub continuous_n: bool,
    /// n log-uniform over 0.5–6 (a continuous n): flatter than the seed's, whose posterior mean is
    /// pulled towards large n where images of different n look alike.
    pub log_uniform_n: bool,
    /// Shear uniform over the disk |g| < 0.67 instead of |g| ~ U(0, 0.67), whose density grows as 1/|g|.
    pub disk_shear: bool,
    /// g1 and g2 independent Gaussians of this spread, cut at |g| < 0.67.
    pub gaussian_shear: Option<f64>,
    /// Ground-based PSFs of every shape ([`PsfFamily::default`]: Moffat β 1.5–5 or Kolmogorov, FWHM
    /// U(0.45, 1.5)", |g_psf| ≤ 0.1) drawn as pixel images, galaxies offset up to 2 pixels, sigma
    /// U(100, 600): the world of the networks that read the PSF.
    pub psf_family: bool,
    /// With `psf_family`: lopsided PSFs too ([`PsfFamily::lopsided`]), whose centroids sit off their
    /// images' centres as aberrated PSFs' do.
    pub lopsided_psfs: bool,
}

/// The PSF FWHM range (arcsec) of the PSF family's training data.
pub const FAMILY_PSF_FWHM: (f64, f64) = (0.45, 1.5);
/// The noise sigma range of the PSF family's training data.
pub const FAMILY_SIGMA: (f64, f64) = (100.0, 600.0);

impl PriorOptions {
    /// Whether any option departs from the preset's prior.
    pub fn any(&self) -> bool {
        self.continuous_n
            || self.log_uniform_n
            || self.disk_shear
            || self.gaussian_shear.is_some()
            || self.psf_family
    }

    /// Whether n is drawn from a continuous distribution (a log-uniform n is one).
    pub fn continuous(&self) -> bool {
        self.continuous_n || self.log_uniform_n
    }

    /// A preset's settings with these options applied.
    pub fn apply(&self, settings: SimSettings) -> SimSettings {
        let mut s = settings;
        if self.log_uniform_n {
            s = s.with_log_uniform_n();
        } else if self.continuous_n {
            s = s.with_continuous_n();
        }
        if self.disk_shear {
            s = s.with_disk_shear();
        }
        if let Some(sigma) = self.gaussian_shear {
            s = s.with_gaussian_shear(sigma);
        }
        if self.psf_family {
            s.psf_family = Some(if self.lopsided_psfs {
                PsfFamily::default().lopsided()
            } else {
                PsfFamily::default()
            });
            s.prior.psf_fwhm = Dist::Uniform {
                lo: FAMILY_PSF_FWHM.0,
                hi: FAMILY_PSF_FWHM.1,
            };
            s.prior.sigma = Dist::Uniform {
                lo: FAMILY_SIGMA.0,
                hi: FAMILY_SIGMA.1,
            };
        }
        s
    }

    /// Words for a description (" with continuous n, …"), empty for the seed's prior.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.log_uniform_n {
            parts.push("log-uniform n".to_string());
        } else if self.continuous_n {
            parts.push("continuous n".to_string());
        }
        if self.disk_shear {
            parts.push("shear uniform over the disk".to_string());
        }
        if let Some(sigma) = self.gaussian_shear {
            parts.push(format!("Gaussian shear of spread {sigma}"));
        }
        if self.psf_family && self.lopsided_psfs {
            parts.push("lopsided PSFs (up to 30% of the light shifted up to 0.6 FWHM)".to_string());
        }
        if self.psf_family {
            parts.push(
                "the PSF family (Moffat beta 1.5-5 or Kolmogorov, FWHM 0.45-1.5\", |g_psf| <= 0.1), offsets up to 2 px, sigma 100-600"
                    .to_string(),
            );
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" with {}", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset::Preset;
    use crate::prior::Dist;

    #[test]
    fn options_change_the_prior_and_say_so() {
        let none = PriorOptions::default();
        assert!(!none.any() && none.describe().is_empty());
        let base = Preset::DataV1.settings();
        assert_eq!(none.apply(base), base);
        let flat = PriorOptions {
            log_uniform_n: true,
            disk_shear: true,
            ..PriorOptions::default()
        };
        assert!(flat.continuous());
        let s = flat.apply(base);
        assert!(matches!(s.prior.sersic_index, Dist::LogUniform { .. }));
        assert_eq!(
            flat.describe(),
            " with log-uniform n, shear uniform over the disk"
        );
    }
}
