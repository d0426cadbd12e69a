//! The Jacobian's inner loop: the image's sums and those of its derivatives, per fold column.
//!
//! Its cost is its count of floating-point instructions per lattice point, so the work that comes in
//! pairs goes through two-lane arithmetic ([`crate::lanes`]): F and ∂F/∂n from one Horner, the two shear
//! forms from one recurrence, every complex product in one instruction. (Compiling the whole loop for
//! AVX2 with FMA was measured no faster.)

use super::{
    Column, ColumnCopy, ColumnForm, ColumnSink, DerivativeTables, PsfGrid, ShearFormSteps, Shift,
};
use crate::lanes::{self, add, complex_mul, first, high, load, low, mul, splat, ComplexFactor};
use crate::shear::QuadraticForm;
use rustfft::num_complex::Complex64;

/// What every column of one draw shares.
struct Draw<'a> {
    forms: [&'a QuadraticForm; 3],
    tables: DerivativeTables<'a>,
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
        tables: DerivativeTables<'_>,
        shift: Option<&Shift>,
        outputs: usize,
        done: &mut ColumnSink<'_>,
    ) {
        let draw = Draw {
            forms: [form, dg1, dg2],
            tables,
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
        let n = self.period;
        let mut buffers = vec![vec![Complex64::default(); n]; outputs];
        for (fold_col, group) in self.fold_groups.iter().enumerate() {
            let mut aliased = false;
            // The first lattice column within the radius writes its cells instead of adding to them, so
            // only the cells it does not reach need clearing (clearing all seven buffers per fold column
            // was 3% of a Jacobian's time).
            let mut first = true;
            for &index in group {
                let col = &self.columns[index];
                if let Some((j_lo, weights, row)) = self.within(col, r2) {
                    aliased |= CENTRE && col.i != col.fold_col as i64;
                    if first {
                        // It reaches the cells row.. (row + its length), wrapping at n.
                        let end = row + weights.len().min(n);
                        let (wrapped, after) = (end.saturating_sub(n), end.min(n));
                        for buffer in buffers.iter_mut() {
                            buffer[wrapped..row].fill(Complex64::default());
                            buffer[after..].fill(Complex64::default());
                        }
                    }
                    self.derivative_column::<SHIFTED, CENTRE>(
                        draw,
                        col,
                        j_lo,
                        weights,
                        row,
                        &mut buffers,
                        first,
                    );
                    first = false;
                }
            }
            if first {
                for buffer in buffers.iter_mut() {
                    buffer.fill(Complex64::default());
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

    /// Adds one lattice column's points (from j_lo, fold rows from `row`) into the fold column's buffers;
    /// with `first`, its first N points (one per cell) are written instead of added, as the first column
    /// of a fold column (whose other cells the caller has cleared).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn derivative_column<const SHIFTED: bool, const CENTRE: bool>(
        &self,
        draw: &Draw,
        col: &Column,
        j_lo: i64,
        w: &[Complex64],
        mut row: usize,
        out: &mut [Vec<Complex64>],
        first: bool,
    ) {
        let n = self.period;
        // ky advances by dk from the column's first point across runs (as a single walk would).
        let mut ky = j_lo as f64 * self.dk;
        let mut done_points = 0;
        // The column in runs of contiguous cells, broken where the fold row wraps and, for the first
        // column, where its points start to revisit cells (after N of them).
        while done_points < w.len() {
            let mut run = (n - row).min(w.len() - done_points);
            let write = first && done_points < n;
            if write {
                run = run.min(n - done_points);
            }
            let points = done_points..done_points + run;
            let at = (j_lo, ky);
            ky = if write {
                self.derivative_run::<SHIFTED, CENTRE, true>(draw, col, points, w, row, out, at)
            } else {
                self.derivative_run::<SHIFTED, CENTRE, false>(draw, col, points, w, row, out, at)
            };
            done_points += run;
            row = (row + run) % n;
        }
    }

    /// One run of [`Self::derivative_column`]: its points `points` go to the contiguous cells from `row`,
    /// written (`WRITE`) or added; `(j_lo, ky)` are the column's first j and this run's first ky. Returns
    /// the ky after the run's last point.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn derivative_run<const SHIFTED: bool, const CENTRE: bool, const WRITE: bool>(
        &self,
        draw: &Draw,
        col: &Column,
        points: std::ops::Range<usize>,
        w: &[Complex64],
        row: usize,
        out: &mut [Vec<Complex64>],
        (j_lo, ky): (i64, f64),
    ) -> f64 {
        let dk = self.dk;
        let [form, dg1, dg2] = draw.forms;
        let run = points.len();
        let cells = row..row + run;
        let (head, centre) = out.split_at_mut(5);
        let [o0, o1, o2, o3, o4] = head else {
            unreachable!("five shape grids")
        };
        let (o0, o1, o2) = (
            &mut o0[cells.clone()],
            &mut o1[cells.clone()],
            &mut o2[cells.clone()],
        );
        let (o3, o4) = (&mut o3[cells.clone()], &mut o4[cells.clone()]);
        let (o5, o6): (&mut [Complex64], &mut [Complex64]) = match centre {
            [a, b] if CENTRE => (&mut a[cells.clone()], &mut b[cells]),
            _ => (&mut [], &mut []),
        };
        let kx = col.kx;
        let alias = CENTRE && col.i != col.fold_col as i64;
        let dkx = splat(kx - col.fold_col as f64 * dk);
        let form = ColumnForm::new(form, kx);
        let (px, py) = match draw.shift {
            Some(s) if SHIFTED => (
                ComplexFactor::new(load(&s.column(col.i))),
                &s.rows_from(j_lo)[points.clone()],
            ),
            _ => (ComplexFactor::new(splat(0.0)), &[][..]),
        };
        let w = &w[points];
        let mut shear = ShearFormSteps::new([dg1, dg2], kx, ky, dk);
        // ky in both lanes, stepped as the scalar was.
        let (mut kyv, dkv) = (splat(ky), splat(dk));
        for p in 0..run {
            let wt = if SHIFTED {
                complex_mul(load(&w[p]), px.times(load(&py[p])))
            } else {
                load(&w[p])
            };
            // x in both lanes (for the product below), its low lane for the lookup: the scalar Horner's bits.
            let x = form.at(kyv);
            let (f_and_dn, slope) = draw.tables.at(first(x));
            // The weight times F and times F' once each; every sum is then one complex × real.
            let image = mul(wt, low(f_and_dn));
            let sloped = mul(wt, slope);
            lanes::put::<WRITE>(&mut o0[p], image);
            lanes::put::<WRITE>(&mut o1[p], mul(wt, high(f_and_dn)));
            lanes::put::<WRITE>(&mut o2[p], mul(sloped, x));
            let g = shear.value();
            lanes::put::<WRITE>(&mut o3[p], mul(sloped, low(g)));
            lanes::put::<WRITE>(&mut o4[p], mul(sloped, high(g)));
            if CENTRE {
                // A column i = c writes nothing here: where it is the fold column's first (written) one,
                // no aliased column precedes it (they come first, at i = c − N), so the sink takes the
                // column as a copy of the image's and never reads this buffer.
                if alias {
                    lanes::put::<WRITE>(&mut o5[p], mul(image, dkx));
                }
                lanes::put::<WRITE>(&mut o6[p], mul(image, kyv));
            }
            shear.advance();
            kyv = add(kyv, dkv);
        }
        first(kyv)
    }
}
