//! Statistics shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a fixture file.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Kolmogorov–Smirnov statistic of a sample against a continuous CDF.
pub fn ks_one_sample(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// Two-sample Kolmogorov–Smirnov statistic.
pub fn ks_two_sample(mut a: Vec<f64>, mut b: Vec<f64>) -> f64 {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

/// The KS statistic a sample of n (against m, or a CDF when m is None) exceeds with probability 1e-4
/// under the null hypothesis: c(α) = sqrt(−ln(α/2)/2) = 2.23.
pub fn ks_critical(n: usize, m: Option<usize>) -> f64 {
    let c = (-(1e-4f64 / 2.0).ln() / 2.0).sqrt();
    match m {
        None => c / (n as f64).sqrt(),
        Some(m) => c * ((n + m) as f64 / (n * m) as f64).sqrt(),
    }
}

/// Upper bound for a chi-square with `dof` degrees of freedom that is exceeded with probability
/// below about 1e-5 (Wilson–Hilferty, z = 4.3).
pub fn chi2_upper(dof: f64) -> f64 {
    let z = 4.3;
    let t = 1.0 - 2.0 / (9.0 * dof) + z * (2.0 / (9.0 * dof)).sqrt();
    dof * t * t * t
}

/// Lower bound (probability below about 1e-5) for a chi-square with `dof` degrees of freedom.
pub fn chi2_lower(dof: f64) -> f64 {
    let z = -4.3;
    let t = 1.0 - 2.0 / (9.0 * dof) + z * (2.0 / (9.0 * dof)).sqrt();
    dof * t * t * t
}
