//! The Jacobian's inner loop: the image's sums and those of its derivatives, per fold column.
//!
//! It is the costliest loop of a fit. (Compiling it for AVX2 with FMA was tried and measured no faster:
//! the loop is bound by its table lookups and its seven streams of sums, not by arithmetic.)

use super::{Column, ColumnCopy, ColumnSink, PsfGrid, Shift};
use crate::radial_table::RadialTable;
use crate::shear::QuadraticForm;
use rustfft::num_complex::Complex64;

/// What every column of one draw shares.
struct Draw<'a> {
    forms: [&'a QuadraticForm; 3],
    tables: [&'a RadialTable; 2],
    shift: Option<&'a Shift>,
}

impl PsfGrid {
    /// Like [`Self::accumulate`], with the derivatives of the Jacobian, per fold column in `outputs` (5
    /// or 7) buffers: [0] Σ F w, [1] Σ ∂F/∂n w, [2] Σ F'(x)·x w, [3] Σ F'(x)·x_g1 w, [4] Σ F'(x)·x_g2 w,
    /// where x_g = ∂x/∂g is given by the forms `dg1`, `dg2`; and with seven, [5] Σ kx F w and [6] Σ ky F w
    /// (the centre's derivatives, up to the factor −i·scale). Output 5 may come to the sink as a copy of
    /// output 0 (see [`ColumnSink`]).
    #[allow(clippy::too_many_arguments)]
    pub fn accumulate_with_derivatives(
        &self,
        k: f64,
        form: &QuadraticForm,
        dg1: &QuadraticForm,
        dg2: &QuadraticForm,
        profile: &RadialTable,
        profile_dn: &RadialTable,
        shift: Option<&Shift>,
        outputs: usize,
        done: &mut ColumnSink<'_>,
    ) {
        let draw = Draw {
            forms: [form, dg1, dg2],
            tables: [profile, profile_dn],
            shift,
        };
        match (shift.is_some(), outputs) {
            (false, 5) => self.derivatives::<false, false>(k, &draw, done),
            (false, _) => self.derivatives::<false, true>(k, &draw, done),
            (true, 5) => self.derivatives::<true, false>(k, &draw, done),
            (true, _) => self.derivatives::<true, true>(k, &draw, done),
        }
    }

    /// Walks the fold columns as [`Self::by_fold_column`] does (written out here, to see which fold
    /// columns have aliased lattice columns).
    ///
    /// The centre's x sums Σ kx F w need no sums of their own where no lattice column aliases onto the
    /// fold column c: kx is then c·dk at every point, so that column of the x derivative is c·dk times the
    /// image's, after the transform too (it is linear). Where a column i = c + mN aliases onto c, the
    /// buffer gets only (kx − c·dk)·F w from it, and is finished as c·dk × the image's + those sums.
    #[inline(always)]
    fn derivatives<const SHIFTED: bool, const CENTRE: bool>(
        &self,
        k: f64,
        draw: &Draw,
        done: &mut ColumnSink<'_>,
    ) {
        let outputs = if CENTRE { 7 } else { 5 };
        let r2 = (k / self.dk).powi(2);
        let mut buffers = vec![vec![Complex64::default(); self.period]; outputs];
        for (fold_col, group) in self.fold_groups.iter().enumerate() {
            for buffer in buffers.iter_mut() {
                buffer.fill(Complex64::default());
            }
            let mut aliased = false;
            for &index in group {
                let col = &self.columns[index];
                if let Some((j_lo, weights, row)) = self.within(col, r2) {
                    aliased |= CENTRE && col.i != col.fold_col as i64;
                    self.derivative_column::<SHIFTED, CENTRE>(
                        draw,
                        col,
                        j_lo,
                        weights,
                        row,
                        &mut buffers,
                    );
                }
            }
            let kx = fold_col as f64 * self.dk;
            if !CENTRE {
                done(fold_col, &mut buffers, &[]);
            } else if aliased {
                let (image, rest) = buffers.split_at_mut(1);
                for (d, v) in rest[4].iter_mut().zip(&image[0]) {
                    *d += v * kx;
                }
                done(fold_col, &mut buffers, &[]);
            } else {
                let copy: ColumnCopy = (5, 0, kx);
                done(fold_col, &mut buffers, &[copy]);
            }
        }
    }

    /// Adds one lattice column's points (from j_lo, fold rows from `row`) into the fold column's buffers.
    #[inline(always)]
    fn derivative_column<const SHIFTED: bool, const CENTRE: bool>(
        &self,
        draw: &Draw,
        col: &Column,
        j_lo: i64,
        w: &[Complex64],
        mut row: usize,
        out: &mut [Vec<Complex64>],
    ) {
        let n = self.period;
        let dk = self.dk;
        let [form, dg1, dg2] = draw.forms;
        let [profile, profile_dn] = draw.tables;
        let (head, centre) = out.split_at_mut(5);
        let [o0, o1, o2, o3, o4] = head else {
            unreachable!("five shape grids")
        };
        let (o5, o6): (&mut [Complex64], &mut [Complex64]) = match centre {
            [a, b] if CENTRE => (a, b),
            _ => (&mut [], &mut []),
        };
        let kx = col.kx;
        let alias = CENTRE && col.i != col.fold_col as i64;
        let dkx = kx - col.fold_col as f64 * dk;
        let (qa, qb, qc) = (form.c, 2.0 * form.b * kx, form.a * kx * kx);
        let (a1, b1, c1) = (dg1.c, 2.0 * dg1.b * kx, dg1.a * kx * kx);
        let (a2, b2, c2) = (dg2.c, 2.0 * dg2.b * kx, dg2.a * kx * kx);
        let (px, py) = match draw.shift {
            Some(s) if SHIFTED => (s.column(col.i), s.rows_from(j_lo)),
            _ => (Complex64::new(1.0, 0.0), &[][..]),
        };
        // The column in runs between wraps of the fold row, each over contiguous cells.
        let mut done_points = 0;
        // ky advances by dk from the column's first point across runs (as a single walk would).
        let mut ky = j_lo as f64 * dk;
        while done_points < w.len() {
            let run = (n - row).min(w.len() - done_points);
            let cells = row..row + run;
            let (o0, o1, o2) = (
                &mut o0[cells.clone()],
                &mut o1[cells.clone()],
                &mut o2[cells.clone()],
            );
            let (o3, o4) = (&mut o3[cells.clone()], &mut o4[cells.clone()]);
            let (o5, o6) = if CENTRE {
                (&mut o5[cells.clone()], &mut o6[cells])
            } else {
                (&mut [][..], &mut [][..])
            };
            let w = &w[done_points..done_points + run];
            let py = if SHIFTED {
                &py[done_points..done_points + run]
            } else {
                &[][..]
            };
            for p in 0..run {
                let wt = if SHIFTED { w[p] * (px * py[p]) } else { w[p] };
                let x = (qa * ky + qb) * ky + qc;
                let (f, slope, f_n) = profile.value_slope_and(profile_dn, x);
                o0[p] += wt * f;
                o1[p] += wt * f_n;
                o2[p] += wt * (slope * x);
                o3[p] += wt * (slope * ((a1 * ky + b1) * ky + c1));
                o4[p] += wt * (slope * ((a2 * ky + b2) * ky + c2));
                if CENTRE {
                    if alias {
                        o5[p] += wt * (f * dkx);
                    }
                    o6[p] += wt * (f * ky);
                }
                ky += dk;
            }
            done_points += run;
            row = 0;
        }
    }
}
