//! The inverse transform from a folded half-plane spectrum to the stamp, pruned to the rows it needs.

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Whether n's only prime factors are 2, 3 and 5 (the sizes the FFTs are fastest at).
pub(crate) fn is_5_smooth(mut n: usize) -> bool {
    if n == 0 {
        return false;
    }
    for p in [2, 3, 5] {
        while n.is_multiple_of(p) {
            n /= p;
        }
    }
    n == 1
}

/// FFT plans for one period N (shareable across threads).
pub(crate) struct FftPlans {
    period: usize,
    columns: Arc<dyn Fft<f64>>,
    rows: Arc<dyn ComplexToReal<f64>>,
    /// The forward transforms, for [`Self::stamp_spectrum`] (the adjoint of the inverse's draw).
    columns_forward: Arc<dyn Fft<f64>>,
    rows_forward: Arc<dyn RealToComplex<f64>>,
}

impl FftPlans {
    /// Plans the size-N inverse transforms.
    pub fn new(period: usize) -> Self {
        FftPlans {
            period,
            columns: FftPlanner::new().plan_fft_inverse(period),
            rows: RealFftPlanner::new().plan_fft_inverse(period),
            columns_forward: FftPlanner::new().plan_fft_forward(period),
            rows_forward: RealFftPlanner::new().plan_fft_forward(period),
        }
    }

    /// Turns the column-major folded spectrum `grid` ((N/2+1) columns of N rows; destroyed) into the
    /// `width` x `height` stamp, row-major, multiplied by `factor`, appended to `out`. Stamp pixel (r, c) is sample
    /// ((r - height/2) mod N, (c - width/2) mod N) of the period.
    pub fn to_stamp(
        &self,
        grid: &mut [Complex64],
        dims: (usize, usize),
        factor: f64,
        out: &mut Vec<f64>,
    ) {
        let n = self.period;
        debug_assert_eq!(grid.len(), (n / 2 + 1) * n);
        let mut scratch = self.column_scratch();
        let (height, wrapped, half) = (dims.1, dims.1 / 2, n / 2 + 1);
        let mut kept = vec![Complex64::default(); half * height];
        for (c, col) in grid.chunks_exact_mut(n).enumerate() {
            self.inverse_column(col, &mut scratch);
            let at = c * height;
            kept[at..at + wrapped].copy_from_slice(&col[n - wrapped..]);
            kept[at + wrapped..at + height].copy_from_slice(&col[..height - wrapped]);
        }
        self.rows_onto(&kept, dims, factor, out);
    }

    /// The forward transform of a `width` x `height` stamp (row-major) laid on the period as the draws lay
    /// it (stamp pixel (r, c) at sample ((r − height/2) mod N, (c − width/2) mod N), zero elsewhere):
    /// R[c][j] = Σ_y,x r(y, x) e^{−2πi(c·x + j·y)/N} for the fold columns c = 0..=N/2, column after column
    /// (N cells each), into `out`. Σ_pixels r · (an image drawn from sums S) is then
    /// Σ_c m_c Σ_j Re(S[c][j] · conj R[c][j]) with m_c = 1 at c = 0 and N/2 and 2 between.
    pub fn stamp_spectrum(
        &self,
        stamp: &[f64],
        (width, height): (usize, usize),
        out: &mut Vec<Complex64>,
    ) {
        let n = self.period;
        let half = n / 2 + 1;
        debug_assert_eq!(stamp.len(), width * height);
        out.clear();
        out.resize(half * n, Complex64::default());
        let mut row_in = vec![0.0; n];
        let mut row_out = vec![Complex64::default(); half];
        let mut scratch = vec![Complex64::default(); self.rows_forward.get_scratch_len()];
        let (x0, y0) = (width / 2, height / 2);
        for (r, pixels) in stamp.chunks_exact(width).enumerate() {
            row_in.fill(0.0);
            for (c, &v) in pixels.iter().enumerate() {
                row_in[(c + n - x0 % n) % n] = v;
            }
            self.rows_forward
                .process_with_scratch(&mut row_in, &mut row_out, &mut scratch)
                .expect("buffer sizes match the plan");
            let y = (r + n - y0 % n) % n;
            for (c, v) in row_out.iter().enumerate() {
                out[c * n + y] = *v;
            }
        }
        let mut scratch =
            vec![Complex64::default(); self.columns_forward.get_inplace_scratch_len()];
        for column in out.chunks_exact_mut(n) {
            self.columns_forward
                .process_with_scratch(column, &mut scratch);
        }
    }

    /// A scratch buffer for [`Self::inverse_column`].
    pub fn column_scratch(&self) -> Vec<Complex64> {
        vec![Complex64::default(); self.columns.get_inplace_scratch_len()]
    }

    /// The first pass, ky -> y, on one column of N (in place).
    #[inline]
    pub fn inverse_column(&self, column: &mut [Complex64], scratch: &mut [Complex64]) {
        self.columns.process_with_scratch(column, scratch);
    }

    /// The second pass, kx -> x, on the rows the stamp shows: `grid` holds, column after column, the
    /// `height` stamp rows (rows (r − height/2) mod N, r = 0..height) of the N/2 + 1 fold columns after
    /// [`Self::inverse_column`]; appends the `width` x `height` stamp, row-major, times `factor`, to `out`
    /// (appended rather than written over a zeroed slice: seven planes of a Jacobian are 230 kB).
    pub fn rows_onto(
        &self,
        grid: &[Complex64],
        (width, height): (usize, usize),
        factor: f64,
        out: &mut Vec<f64>,
    ) {
        out.reserve(width * height);
        self.rows_with(grid, (width, height), |wrapped, direct| {
            out.extend(wrapped.iter().map(|v| v * factor));
            out.extend(direct.iter().map(|v| v * factor));
        });
    }

    /// The row pass of [`Self::rows_onto`]: `row(wrapped, direct)` is given each stamp row in turn as
    /// the period's samples that wrap round (the stamp's first columns) and those that follow directly.
    fn rows_with(
        &self,
        grid: &[Complex64],
        (width, height): (usize, usize),
        mut row: impl FnMut(&[f64], &[f64]),
    ) {
        let n = self.period;
        let half = n / 2 + 1;
        debug_assert_eq!(grid.len(), half * height);
        let mut row_in = vec![Complex64::default(); half];
        let mut row_out = vec![0.0; n];
        let mut row_scratch = vec![Complex64::default(); self.rows.get_scratch_len()];
        let x0 = width / 2;
        // Stamp column c is sample (c - x0) mod N: the period's last x0 samples, then its first
        // width - x0.
        let (wrapped, direct) = (x0.min(n), width - x0.min(n));
        for r in 0..height {
            for (c, v) in row_in.iter_mut().enumerate() {
                *v = grid[c * height + r];
            }
            // Columns 0 and N/2 are real after the column pass (up to rounding): say so exactly.
            row_in[0].im = 0.0;
            row_in[half - 1].im = 0.0;
            self.rows
                .process_with_scratch(&mut row_in, &mut row_out, &mut row_scratch)
                .expect("buffer sizes match the plan");
            row(&row_out[n - wrapped..], &row_out[..direct]);
        }
    }
}
