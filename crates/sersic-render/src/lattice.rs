//! The k-space lattice a stamp is drawn from, and the inner loops that fill it.
//!
//! A stamp of S pixels of scale s is the periodic image of period N pixels (N > S, chosen so that the
//! profile's wings wrapping round from the neighbouring periods are negligible) sampled at the pixel centres.
//! Its discrete spectrum lives on the lattice k = (i, j)·dk, dk = 2π/(N s); every lattice point beyond the
//! pixel Nyquist frequency is *folded* (aliased) onto i mod N, j mod N, exactly as sampling does, so the pixel
//! response and the PSF's high-frequency power are kept. Only lattice points with a fold column in
//! [0, N/2] are needed: the rest are their Hermitian partners, which the real inverse FFT supplies.
//!
//! What depends on the PSF, the stamp and the offset only — the PSF transform, the pixel's sinc, the centring
//! phase, the fold positions — is computed once into a [`PsfGrid`] and reused for every galaxy drawn with
//! that PSF; per galaxy only the Sérsic transform at |S k|·hlr is looked up.

use crate::params::Stamp;
use crate::radial_table::RadialTable;
use crate::shear::QuadraticForm;
use rustfft::num_complex::Complex64;
use std::f64::consts::PI;
use std::sync::Arc;

/// One column of the lattice (fixed kx index i), holding points j ∈ [-j_max, j_max].
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// Lattice index i of kx.
    pub i: i64,
    /// kx = i·dk.
    pub kx: f64,
    /// Fold column i mod N (<= N/2).
    pub fold_col: usize,
    /// Extent of the column in j.
    pub j_max: i64,
    /// Index in [`PsfGrid::weights`] of the point j = -j_max.
    pub start: usize,
}

/// PSF × pixel × centring phase on the lattice, for one (PSF, stamp, period, offset).
#[derive(Clone, Debug)]
pub(crate) struct PsfGrid {
    /// Real-space period N in pixels.
    pub period: usize,
    /// Lattice spacing, rad/arcsec.
    pub dk: f64,
    /// Radius of the disc of lattice points held, rad/arcsec.
    pub k_max: f64,
    pub columns: Vec<Column>,
    /// PSF(k)·sinc(kx s/2)·sinc(ky s/2)·exp(i k·δ)/N², per point, column by column.
    pub weights: Vec<Complex64>,
    /// The PSF's transform, in (k · psf_radius)², that the weights were made from.
    pub psf_table: Arc<RadialTable>,
    /// The PSF's scale radius, arcsec.
    pub psf_radius: f64,
}

/// sin(x)/x.
#[inline]
pub(crate) fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-4 {
        1.0 - x * x / 6.0
    } else {
        x.sin() / x
    }
}

/// Pixel response × centring phase along one axis for lattice indices -m..=m.
fn axis_factors(m: i64, dk: f64, scale: f64, shift: f64) -> Vec<Complex64> {
    (-m..=m)
        .map(|i| {
            let k = i as f64 * dk;
            Complex64::from_polar(sinc(0.5 * k * scale), k * shift)
        })
        .collect()
}

impl PsfGrid {
    /// Lays out the lattice disc of radius `k_max` for a stamp drawn with period `period` and the profile
    /// centre offset by `offset` pixels from the stamp's true centre. `psf_table` is the PSF's transform in
    /// (k·psf_radius)².
    pub fn build(
        stamp: &Stamp,
        period: usize,
        k_max: f64,
        offset: [f64; 2],
        psf_table: Arc<RadialTable>,
        psf_radius: f64,
    ) -> PsfGrid {
        let n = period as i64;
        let s = stamp.scale;
        let dk = 2.0 * PI / (period as f64 * s);
        let m = (k_max / dk).floor() as i64;
        let r2 = (k_max / dk).powi(2);
        // Stamp pixel c sits at FFT sample (c - S/2) mod N; its position relative to the profile centre is
        // (c - (S-1)/2 - offset)·s, so every mode carries the phase exp(i k·δ) with δ = (S/2 - (S-1)/2 - offset)·s.
        let c0 = (stamp.size / 2) as f64;
        let true_centre = (stamp.size as f64 - 1.0) / 2.0;
        let shift = [
            (c0 - true_centre - offset[0]) * s,
            (c0 - true_centre - offset[1]) * s,
        ];
        let fx = axis_factors(m, dk, s, shift[0]);
        let fy = axis_factors(m, dk, s, shift[1]);
        let norm = 1.0 / (period as f64).powi(2);
        let mut columns = Vec::new();
        let mut weights = Vec::new();
        for i in -m..=m {
            let fold_col = i.rem_euclid(n) as usize;
            if fold_col > period / 2 {
                continue;
            }
            let j_max = ((r2 - (i * i) as f64).max(0.0)).sqrt().floor() as i64;
            columns.push(Column {
                i,
                kx: i as f64 * dk,
                fold_col,
                j_max,
                start: weights.len(),
            });
            let wx = fx[(i + m) as usize] * norm;
            for j in -j_max..=j_max {
                let k2 = ((i * i + j * j) as f64) * dk * dk;
                let p = psf_table.value(k2 * psf_radius * psf_radius);
                weights.push(wx * fy[(j + m) as usize] * p);
            }
        }
        PsfGrid {
            period,
            dk,
            k_max,
            columns,
            weights,
            psf_table,
            psf_radius,
        }
    }

    /// Number of lattice points within radius k (what a draw on that radius sums over).
    pub fn points_within(&self, k: f64) -> usize {
        let mut count = 0;
        self.for_each_column(k, |_, _, w, _| count += w.len());
        count
    }

    /// Calls `visit(column, j_lo, weights, first_fold_row)` for the points of each column within radius k,
    /// where `weights` holds the points j_lo..=-j_lo and fold rows start at `first_fold_row` and increase
    /// (wrapping at N).
    #[inline]
    fn for_each_column(&self, k: f64, mut visit: impl FnMut(&Column, i64, &[Complex64], usize)) {
        let r2 = (k / self.dk).powi(2);
        let n = self.period as i64;
        for col in &self.columns {
            let i2 = (col.i * col.i) as f64;
            if i2 > r2 {
                continue;
            }
            let jl = col.j_max.min((r2 - i2).sqrt().floor() as i64);
            let lo = col.start + (col.j_max - jl) as usize;
            let hi = col.start + (col.j_max + jl) as usize;
            visit(
                col,
                -jl,
                &self.weights[lo..=hi],
                (-jl).rem_euclid(n) as usize,
            );
        }
    }

    /// Adds Σ F(x(k))·w(k) into `out` (column-major fold grid, (N/2+1) columns of N), for the points within
    /// radius `k`, where x(k) is the quadratic `form` and F the `profile` table.
    pub fn accumulate(
        &self,
        k: f64,
        form: &QuadraticForm,
        profile: &RadialTable,
        out: &mut [Complex64],
    ) {
        let n = self.period;
        let dk = self.dk;
        self.for_each_column(k, |col, j_lo, w, mut row| {
            let (qa, qb, qc) = (form.c, 2.0 * form.b * col.kx, form.a * col.kx * col.kx);
            let base = col.fold_col * n;
            let mut ky = j_lo as f64 * dk;
            for wt in w {
                let x = (qa * ky + qb) * ky + qc;
                out[base + row] += wt * profile.value(x);
                ky += dk;
                row += 1;
                if row == n {
                    row = 0;
                }
            }
        });
    }

    /// Adds the PSF alone (a point source) into `out`.
    pub fn accumulate_point(&self, k: f64, out: &mut [Complex64]) {
        let n = self.period;
        self.for_each_column(k, |col, _, w, mut row| {
            let base = col.fold_col * n;
            for wt in w {
                out[base + row] += wt;
                row += 1;
                if row == n {
                    row = 0;
                }
            }
        });
    }

    /// Like [`Self::accumulate`], also filling the four derivative grids of the Jacobian:
    /// out[0] Σ F w, out[1] Σ ∂F/∂n w, out[2] Σ F'(x)·x w, out[3] Σ F'(x)·x_g1 w, out[4] Σ F'(x)·x_g2 w,
    /// where x_g = ∂x/∂g is given by the forms `dg1`, `dg2`.
    #[allow(clippy::too_many_arguments)]
    pub fn accumulate_with_derivatives(
        &self,
        k: f64,
        form: &QuadraticForm,
        dg1: &QuadraticForm,
        dg2: &QuadraticForm,
        profile: &RadialTable,
        profile_dn: &RadialTable,
        out: &mut [Vec<Complex64>; 5],
    ) {
        let n = self.period;
        let dk = self.dk;
        let [o0, o1, o2, o3, o4] = out;
        self.for_each_column(k, |col, j_lo, w, mut row| {
            let kx = col.kx;
            let (qa, qb, qc) = (form.c, 2.0 * form.b * kx, form.a * kx * kx);
            let (a1, b1, c1) = (dg1.c, 2.0 * dg1.b * kx, dg1.a * kx * kx);
            let (a2, b2, c2) = (dg2.c, 2.0 * dg2.b * kx, dg2.a * kx * kx);
            let base = col.fold_col * n;
            let mut ky = j_lo as f64 * dk;
            for wt in w {
                let x = (qa * ky + qb) * ky + qc;
                let (f, slope) = profile.value_and_slope(x);
                let f_n = profile_dn.value(x);
                let idx = base + row;
                o0[idx] += wt * f;
                o1[idx] += wt * f_n;
                o2[idx] += wt * (slope * x);
                o3[idx] += wt * (slope * ((a1 * ky + b1) * ky + c1));
                o4[idx] += wt * (slope * ((a2 * ky + b2) * ky + c2));
                ky += dk;
                row += 1;
                if row == n {
                    row = 0;
                }
            }
        });
    }
}
