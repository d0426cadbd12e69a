//! Numerical Hankel transforms of order zero, accurate to about 1e-13 of the transform at k = 0.
//!
//! F(k) = 2π ∫₀^R f(r) J₀(k r) r dr is what a circularly symmetric profile f looks like in Fourier space.
//! It is used offline to build the Sérsic table (see [`crate::sersic_table`]), at PSF set-up for a truncated
//! Moffat, and in tests as the slow exact answer. Profiles here may have a cusp at r = 0 (Sérsic n > 1) and
//! tails that outlast millions of Bessel oscillations (n = 6 at k·hlr = 1000), so the integral is split:
//! - below the first zero of J₀(k r) the integrand does not oscillate; it is integrated in s = ln r, where a
//!   cusp r^(1/n) and the r dr measure become smooth, with Gauss–Legendre panels;
//! - beyond, between consecutive zeros of J₀(k r), each half-wave is smooth and gets one Gauss–Legendre
//!   panel; the half-wave integrals alternate in sign, and once there are too many of them to sum (a slowly
//!   decaying tail), iterated averaging of the partial sums (the Euler transform) extrapolates them.

use gauss_quad::GaussLegendre;
use std::f64::consts::PI;
use std::sync::OnceLock;

/// Gauss–Legendre rule shared by every panel (degree 24: exact to machine precision on a half-wave).
fn rule() -> &'static GaussLegendre {
    static RULE: OnceLock<GaussLegendre> = OnceLock::new();
    RULE.get_or_init(|| GaussLegendre::new(24).expect("degree 24 is a valid Gauss–Legendre degree"))
}

/// Bessel function J₀.
pub fn bessel_j0(x: f64) -> f64 {
    puruspe::Jn(0, x)
}

/// Bessel function J₁.
pub fn bessel_j1(x: f64) -> f64 {
    puruspe::Jn(1, x)
}

/// The k-th positive zero of J₀ (k >= 1), from McMahon's expansion refined by Newton's method.
pub fn bessel_j0_zero(k: usize) -> f64 {
    let beta = (k as f64 - 0.25) * PI;
    let b8 = 8.0 * beta;
    let mut x = beta + 1.0 / b8 - 124.0 / (3.0 * b8.powi(3)) + 120_928.0 / (15.0 * b8.powi(5));
    for _ in 0..4 {
        // d J₀ / dx = -J₁
        let step = bessel_j0(x) / bessel_j1(x);
        x += step;
        if step.abs() < 1e-15 * x {
            break;
        }
    }
    x
}

/// Number of half-waves summed directly before the tail is extrapolated.
const DIRECT_HALF_WAVES: usize = 160;
/// Number of trailing partial sums handed to the extrapolation.
const EPSILON_TERMS: usize = 24;

/// 2π ∫₀^r_max f(r) J₀(k r) r dr for a profile f that is smooth on (0, r_max] and negligible beyond r_max
/// (or cut there, as a truncated profile is). `r_min` is the radius below which the profile's contribution
/// is negligible (the integral starts there); it must be positive and below r_max.
pub fn hankel0<F: Fn(f64) -> f64>(f: F, k: f64, r_min: f64, r_max: f64) -> f64 {
    assert!(
        r_min > 0.0 && r_max > r_min && k >= 0.0,
        "hankel0: need 0 < r_min < r_max, k >= 0"
    );
    let rule = rule();
    let integrand = |r: f64| f(r) * bessel_j0(k * r) * r;
    // Non-oscillating part, in s = ln r.
    let first_zero = if k > 0.0 {
        bessel_j0_zero(1) / k
    } else {
        f64::INFINITY
    };
    let r_a = first_zero.min(r_max);
    let (s0, s1) = (r_min.ln(), r_a.ln());
    let panels = ((s1 - s0) / 0.5).ceil().max(1.0) as usize;
    let ds = (s1 - s0) / panels as f64;
    let mut total = 0.0;
    for p in 0..panels {
        let a = s0 + p as f64 * ds;
        total += rule.integrate(a, a + ds, |s: f64| {
            let r = s.exp();
            integrand(r) * r
        });
    }
    if r_a >= r_max {
        return 2.0 * PI * total;
    }
    // Oscillating part: one panel per half-wave of J₀(k r).
    let mut partial = Vec::with_capacity(DIRECT_HALF_WAVES + 1);
    let mut lo = r_a;
    let mut zero_index = 1;
    loop {
        zero_index += 1;
        let hi = (bessel_j0_zero(zero_index) / k).min(r_max);
        total += rule.integrate(lo, hi, integrand);
        partial.push(total);
        if hi >= r_max {
            return 2.0 * PI * total;
        }
        if partial.len() >= DIRECT_HALF_WAVES {
            break;
        }
        lo = hi;
    }
    // The remaining tail alternates and decays slowly: extrapolate the partial sums.
    2.0 * PI * alternating_limit(&partial[partial.len() - EPSILON_TERMS..])
}

/// The limit of an alternating series with a smoothly varying envelope, from its last partial sums, by
/// iterated averaging of neighbours (the Euler transform). Unlike Wynn's epsilon algorithm it is linear, so it
/// cannot blow up on nearly equal sums, and each pass removes one more order of the envelope's variation.
pub fn alternating_limit(sums: &[f64]) -> f64 {
    let mut level = sums.to_vec();
    while level.len() > 1 {
        level = level.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn j0_zeros_are_zeros() {
        for k in [1usize, 2, 10, 100, 1000] {
            let z = bessel_j0_zero(k);
            assert!(
                bessel_j0(z).abs() < 1e-13,
                "J0(zero {k}) = {}",
                bessel_j0(z)
            );
        }
        assert!((bessel_j0_zero(1) - 2.404_825_557_695_773).abs() < 1e-13);
    }

    #[test]
    fn gaussian_transform_matches_closed_form() {
        // f = exp(-r²/2)/(2π) has F = exp(-k²/2).
        let f = |r: f64| (-0.5 * r * r).exp() / (2.0 * PI);
        for k in [0.0, 1e-3, 0.3, 1.0, 3.0, 8.0] {
            let got = hankel0(f, k, 1e-10, 40.0);
            let want = (-0.5 * k * k).exp();
            assert!((got - want).abs() < 1e-13, "k={k}: {got} vs {want}");
        }
    }

    #[test]
    fn exponential_transform_matches_closed_form_with_long_tail() {
        // f = exp(-r)/(2π) has F = (1 + k²)^(-3/2); at large k the tail needs the extrapolation.
        let f = |r: f64| (-r).exp() / (2.0 * PI);
        for k in [0.0, 0.01, 1.0, 10.0, 100.0, 1000.0] {
            let got = hankel0(f, k, 1e-12, 45.0);
            let want = (1.0 + k * k).powf(-1.5);
            assert!((got - want).abs() < 1e-12, "k={k}: {got} vs {want}");
        }
    }
}
