//! A pixel PSF's Fourier transform on a renderer's k lattice, computed once per (PSF, period).
//!
//! The lattice of a period of N stamp pixels of scale s has spacing dk = 2π/(N s). A PSF sampled K times
//! finer (pixel scale s/K) puts its pixel p at x_p = (p − c)·s/K, so the phase of lattice point a at
//! pixel p is 2π·a·(p − c)/(N K): the transform at every lattice point is one size-NK discrete Fourier
//! transform of the pixels (folded modulo NK if the image is larger), times the centring phase and the
//! quintic kernel's transform. One FFT replaces a sum over every pixel at every point.
//!
//! The transform is kept only within the PSF image's own Nyquist frequency, |kx|, |ky| <= π/s_psf: there
//! the pixel values determine it; beyond lie only the interpolant's aliases of the pixel grid (damped to
//! ~1e-3 by the quintic kernel), which GalSim's drawing also leaves out (its k image of an
//! `InterpolatedImage` covers one period). Keeping them changes an effective PSF's render by up to 2e-3 of
//! the peak; cutting them matches GalSim to 4e-5 (tests/pixel_psf.rs).
//!
//! When the PSF's
//! sampling is not an integer fraction of the stamp's period (a PSF made for another pixel scale), the
//! separable sum is used instead: slower, the same values.

use crate::psf_image::{quintic_kvalue, PsfImage};
use ndarray::Array2;
use rayon::prelude::*;
use rustfft::num_complex::Complex64;
use rustfft::FftPlanner;
use std::f64::consts::PI;

/// The transform of a [`PsfImage`] at the lattice points (a, b)·dk, |a|, |b| <= m.
pub(crate) struct ImageLattice {
    m: i64,
    /// The largest |a| and |b| kept: the PSF image's Nyquist frequency π/s_psf in lattice steps.
    limit: i64,
    values: Values,
    /// Per lattice index a in -m..=m: the quintic kernel's transform times the centring phase, along x
    /// and along y.
    ax: Vec<Complex64>,
    ay: Vec<Complex64>,
}

enum Values {
    /// The size-L DFT of the pixels, row-major [b mod L][a mod L].
    Dft { size: usize, dft: Vec<Complex64> },
    /// The uncentred transform at every (b + m, a + m), summed directly.
    Direct(Array2<Complex64>),
}

impl ImageLattice {
    /// The transform on the lattice of period `period` stamp pixels of `scale` arcsec, out to index `m`.
    pub(crate) fn new(psf: &PsfImage, period: usize, scale: f64, m: i64) -> ImageLattice {
        let s = psf.psf_scale();
        let dk = 2.0 * PI / (period as f64 * scale);
        let pixels = psf.pixels();
        let (h, w) = pixels.dim();
        let along = |n: usize| -> Vec<Complex64> {
            let c = (n as f64 - 1.0) / 2.0;
            (-m..=m)
                .map(|a| {
                    let k = a as f64 * dk;
                    Complex64::from_polar(quintic_kvalue(k * s), k * c * s)
                })
                .collect()
        };
        // The phase per lattice step and PSF pixel is 2π/L with L = period·scale/s.
        let ratio = period as f64 * scale / s;
        let size = ratio.round() as usize;
        let values = if (ratio - size as f64).abs() < 1e-9 * ratio && size >= 4 {
            Values::Dft {
                size,
                dft: folded_dft(psf, size),
            }
        } else {
            Values::Direct(direct_sum(psf, dk, m))
        };
        ImageLattice {
            m,
            limit: (PI / (s * dk) + 1e-9).floor() as i64,
            values,
            ax: along(w),
            ay: along(h),
        }
    }

    /// The transform at lattice point (a, b), |a|, |b| <= m.
    #[inline]
    pub(crate) fn value(&self, a: i64, b: i64) -> Complex64 {
        if a.abs() > self.limit || b.abs() > self.limit {
            return Complex64::default();
        }
        let raw = match &self.values {
            Values::Dft { size, dft } => {
                let l = *size as i64;
                dft[b.rem_euclid(l) as usize * *size + a.rem_euclid(l) as usize]
            }
            Values::Direct(v) => v[[(b + self.m) as usize, (a + self.m) as usize]],
        };
        raw * self.ax[(a + self.m) as usize] * self.ay[(b + self.m) as usize]
    }

    /// The largest |transform| on each ring r <= sqrt(a² + b²) < r + 1 of the lattice, r = 0..=m: the
    /// radial envelope the renderer's k-radius choice walks.
    pub(crate) fn ring_maxima(&self) -> Vec<f64> {
        let m = self.m;
        let mut rings = vec![0f64; m as usize + 1];
        // Beyond the PSF image's Nyquist frequency the transform is zero.
        let reach = m.min(self.limit);
        // Squared moduli are compared (no hypot per point); the root is taken once per ring.
        for b in -reach..=reach {
            for a in -reach..=reach {
                let r = (((a * a + b * b) as f64).sqrt()).floor() as usize;
                if r <= m as usize {
                    rings[r] = rings[r].max(self.value(a, b).norm_sqr());
                }
            }
        }
        rings.iter_mut().for_each(|v| *v = v.sqrt());
        rings
    }
}

/// The size x size DFT (forward, e^{−2πi(ap + bq)/L}) of the pixels folded modulo `size`.
fn folded_dft(psf: &PsfImage, size: usize) -> Vec<Complex64> {
    let mut grid = vec![Complex64::default(); size * size];
    for ((q, p), v) in psf.pixels().indexed_iter() {
        grid[(q % size) * size + p % size] += v;
    }
    let fft = FftPlanner::new().plan_fft_forward(size);
    // Rows (along x), then columns (along y) through a transpose.
    fft.process(&mut grid);
    let mut transposed = vec![Complex64::default(); size * size];
    for r in 0..size {
        for c in 0..size {
            transposed[c * size + r] = grid[r * size + c];
        }
    }
    fft.process(&mut transposed);
    for r in 0..size {
        for c in 0..size {
            grid[c * size + r] = transposed[r * size + c];
        }
    }
    grid
}

/// Σ_pq v_qp e^{−i dk (a p + b q) s} at every |a|, |b| <= m (pixel positions uncentred; the centring phase
/// is applied per axis), as two passes of matrix products.
fn direct_sum(psf: &PsfImage, dk: f64, m: i64) -> Array2<Complex64> {
    let s = psf.psf_scale();
    let pixels = psf.pixels();
    let (h, w) = pixels.dim();
    let count = (2 * m + 1) as usize;
    let phases = |n: usize| -> Array2<Complex64> {
        Array2::from_shape_fn((count, n), |(a, p)| {
            Complex64::from_polar(1.0, -((a as i64 - m) as f64) * dk * p as f64 * s)
        })
    };
    let (ex, ey) = (phases(w), phases(h));
    // rows[q][a] = Σ_p v[q, p] e^{−i a dk p s}
    let rows: Array2<Complex64> = Array2::from_shape_fn((h, count), |(q, a)| {
        (0..w).map(|p| ex[[a, p]] * pixels[[q, p]]).sum()
    });
    let mut out = vec![Complex64::default(); count * count];
    out.par_chunks_mut(count).enumerate().for_each(|(b, line)| {
        for q in 0..h {
            let e = ey[[b, q]];
            for (o, r) in line.iter_mut().zip(rows.row(q)) {
                *o += e * r;
            }
        }
    });
    Array2::from_shape_vec((count, count), out).expect("count² values")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asymmetric(h: usize, w: usize) -> PsfImage {
        let img = Array2::from_shape_fn((h, w), |(j, i)| {
            let (x, y) = (i as f64 - 0.4 * w as f64, j as f64 - 0.55 * h as f64);
            (-(x * x / 9.0 + y * y / 4.0 + 0.1 * x * y)).exp() + 0.01
        });
        PsfImage::new(img.view(), 0.2, 2, false).unwrap()
    }

    #[test]
    fn the_fft_and_the_direct_sum_give_the_psfs_transform() {
        for (h, w) in [(9, 12), (40, 7)] {
            let psf = asymmetric(h, w);
            let (period, scale, m) = (16, 0.2, 20);
            let by_fft = ImageLattice::new(&psf, period, scale, m);
            assert!(matches!(by_fft.values, Values::Dft { size: 32, .. }));
            // A stamp scale the PSF was not sampled for: the direct sum.
            let by_sum = ImageLattice::new(&psf, period, 0.2 * (1.0 + 1e-3), m);
            assert!(matches!(by_sum.values, Values::Direct(_)));
            let dk = 2.0 * PI / (period as f64 * scale);
            let dk2 = dk / (1.0 + 1e-3);
            // The PSF image's Nyquist frequency π/(0.1") is 16 lattice steps.
            assert_eq!(by_fft.limit, 16);
            assert_eq!(by_fft.value(17, 5), Complex64::default());
            assert_eq!(by_fft.value(-3, -20), Complex64::default());
            for (a, b) in [(0, 0), (3, -7), (-16, 16), (15, 5), (-9, -13)] {
                let exact = psf.kvalue(a as f64 * dk, b as f64 * dk);
                assert!((by_fft.value(a, b) - exact).norm() < 1e-12, "{a} {b}");
                let exact = psf.kvalue(a as f64 * dk2, b as f64 * dk2);
                assert!((by_sum.value(a, b) - exact).norm() < 1e-12, "{a} {b}");
            }
        }
    }
}
