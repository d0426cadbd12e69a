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

/// PSF × pixel × centring phase at any lattice point of a disc, computed on demand: what a [`PsfGrid`]
/// stores, and what a one-off draw ([`draw_once`]) uses without storing.
struct WeightSource {
    period: usize,
    dk: f64,
    /// Lattice radius in units of dk, and its square.
    m: i64,
    r2: f64,
    /// Pixel response × phase along x and y for indices -m..=m.
    fx: Vec<Complex64>,
    fy: Vec<Complex64>,
    /// The PSF at lattice point (a, b) of the quarter disc a, b >= 0, row a starting at `row_start[a]`.
    quarter: Vec<f64>,
    row_start: Vec<usize>,
    psf_table: Arc<RadialTable>,
    norm: f64,
}

/// The discretisation a stamp is drawn on: the real-space period and the k-space radius. The renderer picks
/// one per galaxy ([`Renderer::lattice_for`](crate::Renderer::lattice_for)); holding it fixed across nearby parameters (as a fitter's line
/// search or a finite-difference check should) makes the image an exactly smooth function of them, whose
/// derivative is the Jacobian returned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lattice {
    /// Real-space period N, pixels.
    pub period: usize,
    /// Radius of the summed disc of k, rad/arcsec.
    pub k_max: f64,
}

/// A PSF's transform as the lattice reads it: its radial table in (k·radius)² and that radius.
#[derive(Clone)]
pub(crate) struct PsfTransform {
    /// The table.
    pub(crate) table: Arc<RadialTable>,
    /// The PSF's scale radius, arcsec.
    pub(crate) radius: f64,
}

impl WeightSource {
    fn new(stamp: &Stamp, lattice: Lattice, offset: [f64; 2], psf: PsfTransform) -> WeightSource {
        let Lattice { period, k_max } = lattice;
        let PsfTransform {
            table: psf_table,
            radius: psf_radius,
        } = psf;
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
        // The PSF depends on i² + j² only: look it up once per point with a <= b and copy it to (b, a),
        // half the lookups of the quarter disc (an eighth of the disc's).
        let b_max = |a: i64| ((r2 - (a * a) as f64).max(0.0)).sqrt().floor() as i64;
        let mut row_start = Vec::with_capacity(m as usize + 2);
        let mut quarter = Vec::with_capacity((PI * r2 / 4.0 + 2.0 * m as f64 + 8.0) as usize);
        for a in 0..=m {
            row_start.push(quarter.len());
            for b in 0..=b_max(a) {
                // Row b < a is complete; rounding in the square roots could in principle leave (b, a)
                // outside it, then look the point up directly.
                let mirrored =
                    (b < a && a <= b_max(b)).then(|| quarter[row_start[b as usize] + a as usize]);
                quarter
                    .push(mirrored.unwrap_or_else(|| psf_value(&psf_table, psf_radius, dk, a, b)));
            }
        }
        row_start.push(quarter.len());
        WeightSource {
            period,
            dk,
            m,
            r2,
            fx: axis_factors(m, dk, s, shift[0]),
            fy: axis_factors(m, dk, s, shift[1]),
            quarter,
            row_start,
            psf_table,
            norm: 1.0 / (period as f64).powi(2),
        }
    }

    /// Calls `visit(i, fold_col, j_max, x_factor)` for each lattice column with a fold column in [0, N/2].
    fn for_each_column(&self, mut visit: impl FnMut(i64, usize, i64, Complex64)) {
        let n = self.period as i64;
        for i in -self.m..=self.m {
            let fold_col = i.rem_euclid(n) as usize;
            if fold_col > self.period / 2 {
                continue;
            }
            let j_max = ((self.r2 - (i * i) as f64).max(0.0)).sqrt().floor() as i64;
            visit(
                i,
                fold_col,
                j_max,
                self.fx[(i + self.m) as usize] * self.norm,
            );
        }
    }

    /// The PSF values of column i at |j| = 0, 1, …, j_max.
    #[inline]
    fn psf_row(&self, i: i64) -> &[f64] {
        let a = i.unsigned_abs() as usize;
        &self.quarter[self.row_start[a]..self.row_start[a + 1]]
    }

    /// The weight of lattice point (i, j) of a column with x factor `wx` and PSF row `row`.
    #[inline]
    fn weight(&self, wx: Complex64, row: &[f64], j: i64) -> Complex64 {
        wx * self.fy[(j + self.m) as usize] * row[j.unsigned_abs() as usize]
    }
}

/// The PSF transform at lattice point (a, b).
fn psf_value(table: &RadialTable, radius: f64, dk: f64, a: i64, b: i64) -> f64 {
    let k2 = ((a * a + b * b) as f64) * dk * dk;
    table.value(k2 * radius * radius)
}

impl PsfGrid {
    /// Lays out the lattice disc of radius `k_max` for a stamp drawn with period `period` and the profile
    /// centre offset by `offset` pixels from the stamp's true centre. `psf_table` is the PSF's transform in
    /// (k·psf_radius)².
    pub fn build(stamp: &Stamp, lattice: Lattice, offset: [f64; 2], psf: PsfTransform) -> PsfGrid {
        let (period, k_max, psf_radius) = (lattice.period, lattice.k_max, psf.radius);
        let source = WeightSource::new(stamp, lattice, offset, psf);
        let mut columns = Vec::new();
        let mut weights =
            Vec::with_capacity((PI * source.r2 / 2.0 + 4.0 * source.m as f64 + 16.0) as usize);
        source.for_each_column(|i, fold_col, j_max, wx| {
            columns.push(Column {
                i,
                kx: i as f64 * source.dk,
                fold_col,
                j_max,
                start: weights.len(),
            });
            let row = source.psf_row(i);
            for j in -j_max..=j_max {
                weights.push(source.weight(wx, row, j));
            }
        });
        PsfGrid {
            period,
            dk: source.dk,
            k_max,
            columns,
            weights,
            psf_table: source.psf_table,
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

/// Draws a galaxy (within radius `k_galaxy`) and the PSF alone (within `k_psf`) in one pass over a lattice
/// whose PSF weights are computed on the fly and never stored: for a PSF used by one image only, this saves
/// building, writing and re-reading a [`PsfGrid`]. The sums are the same, in the same order, as
/// [`PsfGrid::build`] followed by [`PsfGrid::accumulate`] and [`PsfGrid::accumulate_point`], so the images
/// are bit for bit those of the cached path.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_once(
    stamp: &Stamp,
    lattice: Lattice,
    psf: PsfTransform,
    k_galaxy: f64,
    form: &QuadraticForm,
    profile: &RadialTable,
    galaxy_out: &mut [Complex64],
    psf_out: &mut [Complex64],
) {
    let n = lattice.period;
    let source = WeightSource::new(stamp, lattice, [0.0, 0.0], psf);
    let dk = source.dk;
    let rg2 = (k_galaxy / dk).powi(2);
    source.for_each_column(|i, fold_col, j_max, wx| {
        let kx = i as f64 * dk;
        let (qa, qb, qc) = (form.c, 2.0 * form.b * kx, form.a * kx * kx);
        let i2 = (i * i) as f64;
        // The galaxy's part of this column, as PsfGrid's column walk computes it (-1: none).
        let j_gal = if i2 > rg2 {
            -1
        } else {
            j_max.min((rg2 - i2).sqrt().floor() as i64)
        };
        let base = fold_col * n;
        let psf_row = source.psf_row(i);
        let mut row = (-j_max).rem_euclid(n as i64) as usize;
        let advance = |row: &mut usize| {
            *row += 1;
            if *row == n {
                *row = 0;
            }
        };
        // The column in three runs: PSF only, PSF and galaxy, PSF only.
        let (g_lo, g_hi) = if j_gal < 0 {
            (j_max + 1, j_max)
        } else {
            (-j_gal, j_gal)
        };
        for j in -j_max..g_lo.min(j_max + 1) {
            psf_out[base + row] += source.weight(wx, psf_row, j);
            advance(&mut row);
        }
        // ky advances by dk from the column's first galaxy point, exactly as in PsfGrid::accumulate.
        let mut ky = g_lo as f64 * dk;
        for j in g_lo..=g_hi {
            let w = source.weight(wx, psf_row, j);
            psf_out[base + row] += w;
            let x = (qa * ky + qb) * ky + qc;
            galaxy_out[base + row] += w * profile.value(x);
            ky += dk;
            advance(&mut row);
        }
        for j in (g_hi + 1).max(g_lo)..=j_max {
            psf_out[base + row] += source.weight(wx, psf_row, j);
            advance(&mut row);
        }
    });
}
