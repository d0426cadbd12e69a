//! The Sérsic profile: what it is (its real-space law, its scale b_n, its exact transform), not how it is drawn.
//!
//! I(r) = I₀ exp(-b_n (r / hlr)^(1/n)), with b_n fixed by requiring the untruncated profile to enclose half of
//! its flux within the half-light radius hlr: P(2n, b_n) = 1/2, P the regularised lower incomplete gamma.
//! GalSim uses the same definition (a Ciotti & Bertin start refined by a root solve).

use crate::hankel::hankel0;
use std::f64::consts::PI;

/// Smallest Sérsic index accepted (GalSim's limit).
pub const N_MIN: f64 = 0.3;
/// Largest Sérsic index accepted (GalSim's limit).
pub const N_MAX: f64 = 6.2;

/// b_n such that the untruncated Sérsic profile of index n encloses half its flux within its half-light radius.
pub fn sersic_b(n: f64) -> f64 {
    let a = 2.0 * n;
    // Ciotti & Bertin (1999) asymptotic series as the start, then Newton on P(2n, b) = 1/2.
    let mut b = 2.0 * n - 1.0 / 3.0 + 4.0 / (405.0 * n) + 46.0 / (25_515.0 * n * n);
    if b.is_nan() || b <= 0.0 {
        b = puruspe::invgammp(0.5, a);
    }
    let ln_gamma_a = puruspe::ln_gamma(a);
    for _ in 0..50 {
        let p = puruspe::gammp(a, b) - 0.5;
        let dp = ((a - 1.0) * b.ln() - b - ln_gamma_a).exp();
        let step = p / dp;
        b = (b - step).max(0.5 * b);
        if step.abs() < 1e-15 * b {
            break;
        }
    }
    b
}

/// The unit-flux Sérsic profile of index n in units of its half-light radius: returns (b_n, I₀) with
/// I(r) = I₀ exp(-b_n r^(1/n)) integrating to 1 over the plane.
pub fn unit_profile_constants(n: f64) -> (f64, f64) {
    let b = sersic_b(n);
    // ∫ exp(-b r^(1/n)) 2π r dr = 2π n Γ(2n) / b^(2n)
    let ln_i0 = 2.0 * n * b.ln() - (2.0 * PI * n).ln() - puruspe::ln_gamma(2.0 * n);
    (b, ln_i0.exp())
}

/// A circular Sérsic profile with a total flux; shear is applied separately (see [`crate::shear`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sersic {
    /// Sérsic index n, in [`N_MIN`, `N_MAX`].
    pub n: f64,
    /// Half-light radius of the untruncated profile, arcsec.
    pub half_light_radius: f64,
    /// Total flux, counts.
    pub flux: f64,
}

impl Sersic {
    /// Surface brightness at radius r (arcsec), counts per arcsec².
    pub fn xvalue(&self, r: f64) -> f64 {
        let (b, i0) = unit_profile_constants(self.n);
        let hlr = self.half_light_radius;
        self.flux * i0 / (hlr * hlr) * (-b * (r / hlr).powf(1.0 / self.n)).exp()
    }

    /// Flux enclosed within radius r (arcsec), from the incomplete gamma function.
    pub fn enclosed_flux(&self, r: f64) -> f64 {
        let b = sersic_b(self.n);
        self.flux
            * puruspe::gammp(
                2.0 * self.n,
                b * (r / self.half_light_radius).powf(1.0 / self.n),
            )
    }

    /// Fourier transform at wavenumber k (rad/arcsec) by direct numerical Hankel transform.
    /// Slow (milliseconds): the renderer uses [`crate::sersic_table`] instead; this is the reference.
    pub fn kvalue_exact(&self, k: f64) -> f64 {
        self.flux * unit_sersic_kvalue_exact(self.n, k * self.half_light_radius)
    }
}

/// Fourier transform of the unit-flux, unit-half-light-radius Sérsic profile at q = k·hlr, by a direct
/// Hankel transform (about 1e-13 absolute).
pub fn unit_sersic_kvalue_exact(n: f64, q: f64) -> f64 {
    let (b, i0) = unit_profile_constants(n);
    // Beyond r_max the profile is below e^-50 of its centre; below r_min its flux is below 1e-14.
    let r_max = (50.0 / b).powf(n);
    let r_min = (1e-14 / (PI * i0)).sqrt().min(1e-3);
    hankel0(|r| i0 * (-b * r.powf(1.0 / n)).exp(), q, r_min, r_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_encloses_half_the_flux() {
        for n in [0.3, 0.5, 1.0, 2.5, 4.0, 6.2] {
            let b = sersic_b(n);
            assert!((puruspe::gammp(2.0 * n, b) - 0.5).abs() < 1e-13, "n={n}");
        }
        // Known values (puruspe's incomplete gamma is good to ~5e-12, which bounds how well b is known; the
        // images need b to ~1e-9 only): n=0.5 gives ln 2, n=1 gives 1.678346990...
        assert!((sersic_b(0.5) - 2f64.ln()).abs() < 1e-10);
        assert!((sersic_b(1.0) - 1.678_346_990_016_661).abs() < 1e-10);
    }

    #[test]
    fn exact_transform_matches_closed_forms() {
        // n = 0.5 is a Gaussian, n = 1 an exponential disc.
        let b = sersic_b(0.5);
        for q in [0.0, 0.5, 2.0, 5.0] {
            let want = (-q * q / (4.0 * b)).exp();
            assert!(
                (unit_sersic_kvalue_exact(0.5, q) - want).abs() < 1e-10,
                "n=0.5 q={q}"
            );
        }
        let b = sersic_b(1.0);
        for q in [0.0, 0.5, 2.0, 50.0, 500.0] {
            let want = (1.0 + (q / b).powi(2)).powf(-1.5);
            assert!(
                (unit_sersic_kvalue_exact(1.0, q) - want).abs() < 1e-10,
                "n=1 q={q}"
            );
        }
    }
}
