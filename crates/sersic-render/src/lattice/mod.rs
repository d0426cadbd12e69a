//! The k-space lattice a stamp is drawn from, and the inner loops that fill it.
//!
//! A stamp of W x H pixels of scale s is the periodic image of period N pixels (N > W, H, chosen so that
//! the profile's wings wrapping round from the neighbouring periods are negligible) sampled at the pixel
//! centres. Its discrete spectrum lives on the lattice k = (i, j)·dk, dk = 2π/(N s); every lattice point
//! beyond the pixel Nyquist frequency is *folded* (aliased) onto i mod N, j mod N, exactly as sampling does,
//! so the pixel response and the PSF's high-frequency power are kept. Only lattice points with a fold
//! column in [0, N/2] are needed: the rest are their Hermitian partners, which the real inverse FFT
//! supplies.
//!
//! What depends on the PSF and the stamp only — the PSF transform, the pixel's sinc, the stamp's centring
//! phase, the fold positions — is computed once into a [`PsfGrid`] and reused for every galaxy drawn with
//! that PSF; per galaxy only the Sérsic transform at |S k|·hlr is looked up, and the galaxy's offset
//! applied ([`shift`]).

mod adjoint;
mod derivative_tables;
mod derivatives;
mod extent;
mod shift;
mod source;

pub use extent::Lattice;

pub(crate) use derivative_tables::{ColumnForm, DerivativeTables, ShearFormSteps};
pub(crate) use shift::Shift;
pub(crate) use source::{draw_once, PsfSource, PsfTransform};

use crate::params::Stamp;
use crate::radial_table::RadialTable;
use crate::shear::QuadraticForm;
use rustfft::num_complex::Complex64;
use source::WeightSource;
use std::f64::consts::PI;

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

/// An upper envelope of |PSF transform| as a function of |k|, for choosing a galaxy's k radius.
#[derive(Clone)]
pub(crate) enum PsfEnvelope {
    /// A circular PSF: its own transform.
    Radial(PsfTransform),
    /// A pixel PSF: the largest |transform| on each lattice ring r·dk <= |k| < (r+1)·dk.
    Rings {
        /// Ring width, rad/arcsec.
        dk: f64,
        /// Largest modulus per ring.
        maxima: Vec<f64>,
    },
}

impl PsfEnvelope {
    /// The envelope at |k| = k.
    #[inline]
    pub(crate) fn at(&self, k: f64) -> f64 {
        match self {
            PsfEnvelope::Radial(t) => t.table.value((k * t.radius).powi(2)).abs(),
            PsfEnvelope::Rings { dk, maxima } => maxima
                .get((k / dk).floor() as usize)
                .copied()
                .unwrap_or(0.0),
        }
    }
}

/// PSF × pixel × stamp centring phase on the lattice, for one (PSF, stamp, period).
#[derive(Clone)]
pub(crate) struct PsfGrid {
    /// Real-space period N in pixels.
    pub period: usize,
    /// Lattice spacing, rad/arcsec.
    pub dk: f64,
    /// Radius of the disc of lattice points held, rad/arcsec.
    pub k_max: f64,
    pub columns: Vec<Column>,
    /// PSF(k)·[sinc(kx s/2)·sinc(ky s/2)]·exp(i k·δ)/N², per point, column by column.
    pub weights: Vec<Complex64>,
    /// |PSF(k)| against |k|, for the galaxy's k radius.
    pub envelope: PsfEnvelope,
    /// For each fold column c = 0..=N/2, the indices in `columns` of the lattice columns folding onto it,
    /// in increasing i (so that each cell's sum runs in the same order as a walk of `columns`).
    fold_groups: Vec<Vec<usize>>,
}

/// Where the finished fold columns go: `done(fold_col, buffers, copies)` is called for c = 0, 1, …, N/2 in
/// turn, with one buffer of N cells per output holding that column's sums. Each `(output, source, scale)`
/// in `copies` says that this column of `output` is `scale` times that of `source` (whose buffer is
/// finished first): its own buffer holds nothing and needs no transform.
pub(crate) type ColumnSink<'a> = dyn FnMut(usize, &mut [Vec<Complex64>], &[ColumnCopy]) + 'a;

/// One part of a model for [`PsfGrid::accumulate_parts`]: (k radius, form, profile, shift, flux).
pub(crate) type Part<'a> = (
    f64,
    &'a QuadraticForm,
    &'a RadialTable,
    Option<&'a Shift>,
    f64,
);

/// One output column given as a multiple of another's (see [`ColumnSink`]): (output, source, scale).
pub(crate) type ColumnCopy = (usize, usize, f64);

impl PsfGrid {
    /// Lays out the lattice disc of radius `lattice.k_max` for a stamp drawn with period `lattice.period`
    /// through `psf`; `envelope` is kept for choosing galaxies' k radii.
    pub fn build(
        stamp: &Stamp,
        lattice: Lattice,
        psf: &PsfSource,
        envelope: PsfEnvelope,
    ) -> PsfGrid {
        let source = WeightSource::new(stamp, lattice, psf);
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
            source.push_column(i, wx, j_max, &mut weights);
        });
        let mut fold_groups = vec![Vec::new(); lattice.period / 2 + 1];
        for (index, col) in columns.iter().enumerate() {
            fold_groups[col.fold_col].push(index);
        }
        PsfGrid {
            period: lattice.period,
            dk: source.dk,
            k_max: lattice.k_max,
            columns,
            weights,
            envelope,
            fold_groups,
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
        for col in &self.columns {
            if let Some((j_lo, weights, row)) = self.within(col, r2) {
                visit(col, j_lo, weights, row);
            }
        }
    }

    /// The part of a column within radius² r2 (in dk units): its first j, its weights and its first fold
    /// row, or `None` if none of it is.
    #[inline]
    fn within(&self, col: &Column, r2: f64) -> Option<(i64, &[Complex64], usize)> {
        let i2 = (col.i * col.i) as f64;
        if i2 > r2 {
            return None;
        }
        let jl = col.j_max.min((r2 - i2).sqrt().floor() as i64);
        let lo = col.start + (col.j_max - jl) as usize;
        let hi = col.start + (col.j_max + jl) as usize;
        let row = (-jl).rem_euclid(self.period as i64) as usize;
        Some((-jl, &self.weights[lo..=hi], row))
    }

    /// Walks the fold columns c = 0..=N/2 in turn: zeroes `outputs` buffers of N cells, calls
    /// `visit(column, j_lo, weights, first_fold_row, buffers)` for each lattice column folding onto c (as
    /// [`Self::for_each_column`], within radius k), then `done(c, buffers)`. A column's sums stay in a
    /// small buffer while they are made and finished (phase, FFT) instead of spreading over whole grids.
    fn by_fold_column(
        &self,
        k: f64,
        outputs: usize,
        mut visit: impl FnMut(&Column, i64, &[Complex64], usize, &mut [Vec<Complex64>]),
        done: &mut ColumnSink<'_>,
    ) {
        let r2 = (k / self.dk).powi(2);
        let mut buffers = vec![vec![Complex64::default(); self.period]; outputs];
        for (fold_col, group) in self.fold_groups.iter().enumerate() {
            buffers
                .iter_mut()
                .for_each(|b| b.fill(Complex64::default()));
            for &index in group {
                let col = &self.columns[index];
                if let Some((j_lo, weights, row)) = self.within(col, r2) {
                    visit(col, j_lo, weights, row, &mut buffers);
                }
            }
            done(fold_col, &mut buffers, &[]);
        }
    }

    /// Σ F(x(k))·w(k) per fold column (see [`ColumnSink`]), for the points within radius `k`, where x(k)
    /// is the quadratic `form` and F the `profile` table, each point's weight moved by `shift`.
    pub fn accumulate(
        &self,
        k: f64,
        form: &QuadraticForm,
        profile: &RadialTable,
        shift: Option<&Shift>,
        done: &mut ColumnSink<'_>,
    ) {
        let visit =
            |col: &Column, j_lo: i64, w: &[Complex64], row: usize, out: &mut [Vec<Complex64>]| {
                self.add_column(col, j_lo, w, row, &mut out[0], (form, profile, shift), None);
            };
        self.by_fold_column(k, 1, visit, done);
    }

    /// Σ over `parts` of flux·F(x(k))·w(k), into one set of fold columns (a model of several components
    /// finished by one transform); each part is (its k radius, form, profile, shift, flux) as for
    /// [`Self::accumulate`].
    pub fn accumulate_parts(&self, parts: &[Part<'_>], done: &mut ColumnSink<'_>) {
        let k = parts.iter().map(|p| p.0).fold(0.0, f64::max);
        // Each part's radius² in dk units, once rather than per column.
        let radii: Vec<f64> = parts.iter().map(|p| (p.0 / self.dk).powi(2)).collect();
        let visit =
            |col: &Column, _: i64, _: &[Complex64], _: usize, out: &mut [Vec<Complex64>]| {
                for (&(_, form, profile, shift, flux), &r2) in parts.iter().zip(&radii) {
                    if let Some((j_lo, w, row)) = self.within(col, r2) {
                        self.add_column(
                            col,
                            j_lo,
                            w,
                            row,
                            &mut out[0],
                            (form, profile, shift),
                            Some(flux),
                        );
                    }
                }
            };
        self.by_fold_column(k, 1, visit, done);
    }

    /// Adds one column's points (from j_lo, fold rows from `row`) of one profile into `out`, times
    /// `scale` if given.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn add_column(
        &self,
        col: &Column,
        j_lo: i64,
        w: &[Complex64],
        mut row: usize,
        out: &mut [Complex64],
        (form, profile, shift): (&QuadraticForm, &RadialTable, Option<&Shift>),
        scale: Option<f64>,
    ) {
        let n = self.period;
        let dk = self.dk;
        let (qa, qb, qc) = form.along_column(col.kx);
        let value = |x: f64| match scale {
            Some(s) => s * profile.value(x),
            None => profile.value(x),
        };
        let mut ky = j_lo as f64 * dk;
        match shift {
            None => {
                for wt in w {
                    let x = (qa * ky + qb) * ky + qc;
                    out[row] += wt * value(x);
                    ky += dk;
                    row += 1;
                    if row == n {
                        row = 0;
                    }
                }
            }
            Some(shift) => {
                let px = shift.column(col.i);
                for (wt, py) in w.iter().zip(shift.rows_from(j_lo)) {
                    let x = (qa * ky + qb) * ky + qc;
                    out[row] += (wt * (px * py)) * value(x);
                    ky += dk;
                    row += 1;
                    if row == n {
                        row = 0;
                    }
                }
            }
        }
    }

    /// Adds the PSF alone (a point source at the stamp's true centre) into `out`.
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
}
