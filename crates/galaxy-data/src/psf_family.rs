//! A family of ground-based PSFs to train networks that read the PSF: Moffat profiles of any β and
//! Kolmogorov seeing, of any FWHM, slightly elliptical, each drawn as an oversampled pixel image and used
//! through the pixel-PSF renderer, as a PSF measured by PSFEx or Piff would be.
//!
//! Why pixel images, not the analytic profiles: the renderer draws analytic PSFs only round, and a network
//! that reads the PSF must see elliptical ones; a pixel image is also exactly what it will be given on real
//! data. The image is *optical* (no pixel response, drawn 2x oversampled by point sampling); the renderer
//! adds the detector pixel, and the PSF channel a network reads is that PSF drawn on the stamp's grid
//! ([`sersic_render::Renderer::render_psf`]), whatever the PSF's source.

use std::f64::consts::PI;
use std::sync::OnceLock;

use ndarray::Array2;
use ndarray::ArrayView2;
use rand::{Rng, RngExt};
use sersic_render::{Psf, PsfImage};

use crate::error::DataError;

/// GalSim's Kolmogorov transform at unit FWHM: exp(−C (k·FWHM)^{5/3}), with C from its FWHM constant.
pub const KOLMOGOROV_K_CONSTANT: f64 = 0.167_566_911_442_097;

/// The profile of a family PSF before its shear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FamilyProfile {
    /// A Moffat of this β.
    Moffat {
        /// Its β (1.5–5 in the default family).
        beta: f64,
    },
    /// Kolmogorov turbulence (GalSim's `Kolmogorov`).
    Kolmogorov,
}

/// One PSF of the family: a profile, its FWHM in arcsec and its shear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FamilyPsf {
    /// The round profile.
    pub profile: FamilyProfile,
    /// Its FWHM before the shear, arcsec.
    pub fwhm: f64,
    /// Its shear (GalSim's reduced shear g1, g2).
    pub shear: (f64, f64),
    /// A lopsided part, as coma makes: this fraction of the light in a copy of the profile displaced by
    /// `lobe` (arcsec, x and y). The PSF's centroid then sits `lobe_fraction × lobe` off its image's centre,
    /// as an aberrated PSF's does, so a network must read the PSF image to place the galaxy.
    pub lobe_fraction: f64,
    /// The lobe's displacement, arcsec.
    pub lobe: (f64, f64),
}

/// The ranges a family PSF and a galaxy's offset are drawn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PsfFamily {
    /// β of the Moffat PSFs, uniform over [lo, hi].
    pub beta: (f64, f64),
    /// The fraction of PSFs that are Kolmogorov (the rest are Moffat).
    pub kolmogorov_fraction: f64,
    /// |g| of the PSF's shear, uniform over [0, this], at a uniform angle.
    pub max_shear: f64,
    /// Offsets dx and dy of the galaxy, each uniform over [−this, this] pixels.
    pub max_offset: f64,
    /// How many times finer than the stamp the PSF image is sampled.
    pub oversampling: usize,
    /// Side of the PSF image, in its own (oversampled) pixels.
    pub image_size: usize,
    /// The largest fraction of a PSF's light in its lopsided part (0: every PSF symmetric about its centre).
    pub max_lobe_fraction: f64,
    /// The largest displacement of the lopsided part, in FWHM.
    pub max_lobe_shift: f64,
    /// Consecutive samples that share one PSF (as galaxies of one exposure do): the PSF's transform is
    /// computed once for them, which makes a sample several times cheaper.
    pub group: u64,
}

impl Default for PsfFamily {
    /// Ground-based seeing as the PSF-reading networks are trained on: Moffat β 1.5–5 or Kolmogorov (half
    /// each), |g_psf| ≤ 0.1, offsets up to 2 pixels, 56 x 56 images 2x oversampled (6.4" at 0.23"/px), one
    /// PSF for every 8 consecutive samples.
    fn default() -> Self {
        PsfFamily {
            beta: (1.5, 5.0),
            kolmogorov_fraction: 0.5,
            max_shear: 0.1,
            max_offset: 2.0,
            oversampling: 2,
            image_size: 56,
            max_lobe_fraction: 0.0,
            max_lobe_shift: 0.0,
            group: 8,
        }
    }
}

impl PsfFamily {
    /// The family with lopsided PSFs: up to 30% of the light displaced by up to 0.6 FWHM (centroids up to
    /// 0.18 FWHM off centre), the asymmetry of coma and of a PSF model's centring errors.
    pub fn lopsided(self) -> PsfFamily {
        PsfFamily {
            max_lobe_fraction: 0.3,
            max_lobe_shift: 0.6,
            ..self
        }
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), DataError> {
        let bad = |what: String| Err(DataError::BadSettings(format!("PSF family: {what}")));
        let (lo, hi) = self.beta;
        if !(lo.is_finite() && hi.is_finite() && lo > 1.1 && lo <= hi) {
            return bad(format!("Moffat beta range [{lo}, {hi}] must lie above 1.1"));
        }
        if !(0.0..=1.0).contains(&self.kolmogorov_fraction) {
            return bad(format!(
                "Kolmogorov fraction {} must be in [0, 1]",
                self.kolmogorov_fraction
            ));
        }
        if !(0.0..0.9).contains(&self.max_shear) {
            return bad(format!(
                "max PSF shear {} must be in [0, 0.9)",
                self.max_shear
            ));
        }
        if !(self.max_offset.is_finite() && self.max_offset >= 0.0) {
            return bad(format!("max offset {} must be >= 0", self.max_offset));
        }
        let lobe_ok = (0.0..=0.5).contains(&self.max_lobe_fraction)
            && self.max_lobe_shift.is_finite()
            && self.max_lobe_shift >= 0.0;
        if !lobe_ok {
            return bad(format!(
                "lopsided part {} of the light, shifted up to {} FWHM: needs a fraction in [0, 0.5]",
                self.max_lobe_fraction, self.max_lobe_shift
            ));
        }
        if self.group == 0 {
            return bad("samples per PSF must be at least 1".into());
        }
        if self.oversampling == 0 || self.image_size < 3 {
            return bad(format!(
                "PSF image {} px at oversampling {}: needs >= 3 px and oversampling >= 1",
                self.image_size, self.oversampling
            ));
        }
        Ok(())
    }

    /// Draws a PSF of FWHM `fwhm`: its profile, then its shear.
    pub fn draw_psf(&self, rng: &mut impl Rng, fwhm: f64) -> FamilyPsf {
        let profile = if rng.random_range(0.0..1.0f64) < self.kolmogorov_fraction {
            FamilyProfile::Kolmogorov
        } else {
            let (lo, hi) = self.beta;
            FamilyProfile::Moffat {
                beta: if lo < hi {
                    rng.random_range(lo..hi)
                } else {
                    lo
                },
            }
        };
        let g = self.max_shear * rng.random_range(0.0..1.0f64);
        let two_angle = rng.random_range(0.0..std::f64::consts::TAU);
        // Drawn only for a lopsided family, so that a symmetric family's stream is what it always was.
        let (lobe_fraction, lobe) = if self.max_lobe_fraction > 0.0 {
            let fraction = self.max_lobe_fraction * rng.random_range(0.0..1.0f64);
            let shift = self.max_lobe_shift * fwhm * rng.random_range(0.0..1.0f64);
            let angle = rng.random_range(0.0..std::f64::consts::TAU);
            (fraction, (shift * angle.cos(), shift * angle.sin()))
        } else {
            (0.0, (0.0, 0.0))
        };
        FamilyPsf {
            profile,
            fwhm,
            shear: (g * two_angle.cos(), g * two_angle.sin()),
            lobe_fraction,
            lobe,
        }
    }

    /// Draws a galaxy's centre offset (dx, dy) in pixels.
    pub fn draw_offset(&self, rng: &mut impl Rng) -> [f64; 2] {
        let m = self.max_offset;
        if m == 0.0 {
            return [0.0, 0.0];
        }
        [rng.random_range(-m..m), rng.random_range(-m..m)]
    }

    /// The pixel PSF of `psf` for stamps of `image_scale` arcsec per pixel.
    pub fn psf(&self, psf: &FamilyPsf, image_scale: f64) -> Result<Psf, DataError> {
        let pixels = psf.draw(image_scale / self.oversampling as f64, self.image_size);
        let image = PsfImage::new(pixels.view(), image_scale, self.oversampling, false)
            .map_err(|e| DataError::BadSettings(format!("family PSF {psf:?}: {e}")))?;
        Ok(Psf::image(image))
    }
}

impl FamilyPsf {
    /// Surface brightness of the round profile at radius r (arcsec), up to a constant factor.
    fn round_value(&self, r: f64) -> f64 {
        match self.profile {
            FamilyProfile::Moffat { beta } => {
                // FWHM = 2 rd sqrt(2^{1/β} − 1).
                let rd = self.fwhm / (2.0 * (2f64.powf(1.0 / beta) - 1.0).sqrt());
                (1.0 + (r / rd).powi(2)).powf(-beta)
            }
            FamilyProfile::Kolmogorov => kolmogorov_unit_value(r / self.fwhm),
        }
    }

    /// The sheared profile sampled at the centres of a `size` x `size` grid of `scale` arcsec pixels,
    /// centred on the grid's true centre (rows = y).
    pub fn draw(&self, scale: f64, size: usize) -> Array2<f64> {
        let (g1, g2) = self.shear;
        // I'(x) = I(S⁻¹ x) with S the galaxies' shear matrix (`sersic_render::Shear::matrix`):
        // S⁻¹ = [[1 − g1, −g2], [−g2, 1 + g1]] / sqrt(1 − |g|²).
        let norm = 1.0 / (1.0 - g1 * g1 - g2 * g2).sqrt();
        let c = (size as f64 - 1.0) / 2.0;
        let sheared = |x: f64, y: f64| {
            let (u, v) = (
                norm * ((1.0 - g1) * x - g2 * y),
                norm * (-g2 * x + (1.0 + g1) * y),
            );
            self.round_value(u.hypot(v))
        };
        let (a, (lx, ly)) = (self.lobe_fraction, self.lobe);
        Array2::from_shape_fn((size, size), |(j, i)| {
            let (x, y) = ((i as f64 - c) * scale, (j as f64 - c) * scale);
            if a > 0.0 {
                (1.0 - a) * sheared(x, y) + a * sheared(x - lx, y - ly)
            } else {
                sheared(x, y)
            }
        })
    }
}

/// The FWHM (arcsec) of a PSF drawn on a stamp of `scale` arcsec pixels, centred on its true centre: the
/// first radius where the pixels, in order of distance from the centre, fall below half the peak,
/// interpolated linearly (as GalSim's `calculateFWHM`). The PSF-reading networks are conditioned on this
/// measure of their PSF channel, so it is computed the same way in training and on any input.
pub fn stamp_psf_fwhm(image: ArrayView2<'_, f32>, scale: f64) -> f64 {
    let (h, w) = image.dim();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let mut pixels: Vec<(f64, f64)> = image
        .indexed_iter()
        .map(|((j, i), &v)| ((i as f64 - cx).hypot(j as f64 - cy), f64::from(v)))
        .collect();
    pixels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let peak = pixels.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let half = 0.5 * peak;
    let mut previous = (0.0, peak);
    for &(r, v) in &pixels {
        if v < half {
            let (r0, v0) = previous;
            let t = if v0 > v { (v0 - half) / (v0 - v) } else { 0.0 };
            return 2.0 * (r0 + t * (r - r0)) * scale;
        }
        previous = (r, v);
    }
    2.0 * previous.0 * scale
}

/// The widths ([`stamp_psf_fwhm`], pixels) of the default family's PSFs drawn on 0.23" stamps span
/// 2.58 px (a Kolmogorov of 0.45", sheared by 0.1) to 6.85 px (a Moffat β = 1.5 of 1.5"); the test below
/// measures them.
pub const FAMILY_STAMP_FWHM_PIXELS: (f64, f64) = (2.58, 6.85);

/// Step of the Kolmogorov table in units of the FWHM.
const KOLMOGOROV_STEP: f64 = 0.005;
/// The table's reach in FWHM; beyond it the profile falls as r^{−11/3} from its last value.
const KOLMOGOROV_REACH: f64 = 12.0;

/// The unit-FWHM Kolmogorov profile at r (in FWHM), up to a constant: its transform's inverse Hankel
/// transform, tabulated once and interpolated linearly.
fn kolmogorov_unit_value(r: f64) -> f64 {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let n = (KOLMOGOROV_REACH / KOLMOGOROV_STEP) as usize + 1;
        (0..n)
            .map(|i| {
                let r = i as f64 * KOLMOGOROV_STEP;
                let transform = |k: f64| (-KOLMOGOROV_K_CONSTANT * k.powf(5.0 / 3.0)).exp();
                // (1/2π) ∫ K(k) J₀(kr) k dk = hankel0(K, r) / (2π)².
                sersic_render::hankel::hankel0(transform, r, 1e-6, 45.0) / (4.0 * PI * PI)
            })
            .collect()
    });
    let t = r / KOLMOGOROV_STEP;
    let i = t.floor() as usize;
    if i + 1 >= table.len() {
        let last = table[table.len() - 1];
        return last * (KOLMOGOROV_REACH / r).powf(11.0 / 3.0);
    }
    let f = t - i as f64;
    table[i] * (1.0 - f) + table[i + 1] * f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Full width at half maximum of a round profile along x, by bisection.
    fn measured_fwhm(psf: &FamilyPsf) -> f64 {
        let peak = psf.round_value(0.0);
        let (mut lo, mut hi) = (0.0, 5.0 * psf.fwhm);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if psf.round_value(mid) > 0.5 * peak {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        2.0 * lo
    }

    #[test]
    fn profiles_have_the_fwhm_they_are_given() {
        for profile in [
            FamilyProfile::Kolmogorov,
            FamilyProfile::Moffat { beta: 1.5 },
            FamilyProfile::Moffat { beta: 4.5 },
        ] {
            let psf = FamilyPsf {
                profile,
                fwhm: 0.7,
                shear: (0.0, 0.0),
                lobe_fraction: 0.0,
                lobe: (0.0, 0.0),
            };
            let fwhm = measured_fwhm(&psf);
            // The Kolmogorov table is linear between nodes 0.005 FWHM apart.
            assert!((fwhm - 0.7).abs() < 2e-3, "{profile:?}: {fwhm}");
        }
    }

    #[test]
    fn kolmogorov_matches_its_transform_at_the_origin() {
        // ∫ I d²x = K(0) = 1: the table integrates to one over the plane (to its reach and tail).
        let step = 0.002;
        let total: f64 = (0..(KOLMOGOROV_REACH / step) as usize * 4)
            .map(|i| {
                let r = (i as f64 + 0.5) * step;
                2.0 * PI * r * kolmogorov_unit_value(r) * step
            })
            .sum();
        assert!((total - 1.0).abs() < 2e-3, "{total}");
    }

    #[test]
    fn a_sheared_psf_is_longer_along_its_shear() {
        let psf = FamilyPsf {
            profile: FamilyProfile::Moffat { beta: 3.0 },
            fwhm: 0.8,
            shear: (0.1, 0.0),
            lobe_fraction: 0.0,
            lobe: (0.0, 0.0),
        };
        let img = psf.draw(0.1, 41);
        // g1 > 0 stretches along x: the row through the centre is wider than the column.
        assert!(
            img[[20, 26]] > img[[26, 20]],
            "{} {}",
            img[[20, 26]],
            img[[26, 20]]
        );
        assert!((img[[20, 26]] - img[[20, 14]]).abs() < 1e-15);
    }

    #[test]
    fn the_family_spans_its_stamp_width_range() {
        let family = PsfFamily::default();
        let renderer =
            sersic_render::Renderer::new(sersic_render::Stamp::square(64, 0.23)).unwrap();
        let width = |profile, fwhm, g| {
            let psf = FamilyPsf {
                profile,
                fwhm,
                shear: (g, 0.0),
                lobe_fraction: 0.0,
                lobe: (0.0, 0.0),
            };
            let img = renderer
                .render_psf(&family.psf(&psf, 0.23).unwrap())
                .unwrap();
            stamp_psf_fwhm(img.mapv(|v| v as f32).view(), 1.0)
        };
        let (lo, hi) = FAMILY_STAMP_FWHM_PIXELS;
        let narrowest = width(FamilyProfile::Kolmogorov, 0.45, 0.1);
        let widest = width(FamilyProfile::Moffat { beta: 1.5 }, 1.5, 0.0);
        assert!((narrowest - lo).abs() < 0.01, "{narrowest}");
        assert!((widest - hi).abs() < 0.01, "{widest}");
        for (profile, fwhm) in [
            (FamilyProfile::Moffat { beta: 5.0 }, 0.45),
            (FamilyProfile::Kolmogorov, 0.8),
            (FamilyProfile::Moffat { beta: 3.0 }, 1.5),
        ] {
            let w = width(profile, fwhm, 0.05);
            assert!(lo < w && w < hi, "{profile:?} {fwhm}: {w}");
        }
    }

    #[test]
    fn a_lopsided_psf_has_its_centroid_off_centre_by_its_lobe() {
        let psf = FamilyPsf {
            profile: FamilyProfile::Moffat { beta: 4.0 },
            fwhm: 0.7,
            shear: (0.0, 0.0),
            lobe_fraction: 0.25,
            lobe: (0.3, -0.1),
        };
        let (scale, size) = (0.05, 121);
        let img = psf.draw(scale, size);
        let c = (size as f64 - 1.0) / 2.0;
        let total = img.sum();
        let cx = img
            .indexed_iter()
            .map(|((_, i), v)| (i as f64 - c) * scale * v)
            .sum::<f64>()
            / total;
        let cy = img
            .indexed_iter()
            .map(|((j, _), v)| (j as f64 - c) * scale * v)
            .sum::<f64>()
            / total;
        assert!(
            (cx - 0.075).abs() < 2e-3 && (cy + 0.025).abs() < 2e-3,
            "{cx} {cy}"
        );
        // A symmetric family draws no lobe, and its draws are unchanged by the option's existence.
        let mut a = rand_pcg::Pcg64::new(5, 7);
        let mut b = rand_pcg::Pcg64::new(5, 7);
        let plain = PsfFamily::default().draw_psf(&mut a, 0.8);
        assert_eq!(plain.lobe_fraction, 0.0);
        let lopsided = PsfFamily::default().lopsided().draw_psf(&mut b, 0.8);
        assert_eq!(
            (plain.profile, plain.shear),
            (lopsided.profile, lopsided.shear)
        );
        assert!(lopsided.lobe_fraction > 0.0);
    }

    #[test]
    fn bad_families_are_refused() {
        let ok = PsfFamily::default();
        assert!(ok.validate().is_ok());
        for bad in [
            PsfFamily {
                beta: (1.0, 5.0),
                ..ok
            },
            PsfFamily {
                kolmogorov_fraction: 1.5,
                ..ok
            },
            PsfFamily {
                max_shear: 0.95,
                ..ok
            },
            PsfFamily {
                max_offset: f64::NAN,
                ..ok
            },
            PsfFamily {
                image_size: 2,
                ..ok
            },
            PsfFamily { group: 0, ..ok },
            PsfFamily {
                max_lobe_fraction: 0.6,
                ..ok
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
