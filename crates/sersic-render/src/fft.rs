//! The inverse transform from a folded half-plane spectrum to the stamp, pruned to the rows it needs.

use realfft::{ComplexToReal, RealFftPlanner};
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// FFT plans for one period N (shareable across threads).
pub(crate) struct FftPlans {
    period: usize,
    columns: Arc<dyn Fft<f64>>,
    rows: Arc<dyn ComplexToReal<f64>>,
}

impl FftPlans {
    /// Plans the size-N inverse transforms.
    pub fn new(period: usize) -> Self {
        FftPlans {
            period,
            columns: FftPlanner::new().plan_fft_inverse(period),
            rows: RealFftPlanner::new().plan_fft_inverse(period),
        }
    }

    /// Turns the column-major folded spectrum `grid` ((N/2+1) columns of N rows; destroyed) into the
    /// `width` x `height` stamp, row-major, multiplied by `factor`. Stamp pixel (r, c) is sample
    /// ((r - height/2) mod N, (c - width/2) mod N) of the period.
    pub fn to_stamp(
        &self,
        grid: &mut [Complex64],
        (width, height): (usize, usize),
        factor: f64,
        out: &mut [f64],
    ) {
        let n = self.period;
        let half = n / 2 + 1;
        debug_assert_eq!(grid.len(), half * n);
        debug_assert_eq!(out.len(), width * height);
        // ky -> y on every kept column.
        let mut scratch = vec![Complex64::default(); self.columns.get_inplace_scratch_len()];
        for col in grid.chunks_exact_mut(n) {
            self.columns.process_with_scratch(col, &mut scratch);
        }
        // kx -> x only on the rows the stamp shows.
        let mut row_in = vec![Complex64::default(); half];
        let mut row_out = vec![0.0; n];
        let mut row_scratch = vec![Complex64::default(); self.rows.get_scratch_len()];
        let (x0, y0) = (width / 2, height / 2);
        for r in 0..height {
            let y = (r + n - y0) % n;
            for (c, v) in row_in.iter_mut().enumerate() {
                *v = grid[c * n + y];
            }
            // Columns 0 and N/2 are real after the column pass (up to rounding): say so exactly.
            row_in[0].im = 0.0;
            row_in[half - 1].im = 0.0;
            self.rows
                .process_with_scratch(&mut row_in, &mut row_out, &mut row_scratch)
                .expect("buffer sizes match the plan");
            let dst = &mut out[r * width..(r + 1) * width];
            for (c, d) in dst.iter_mut().enumerate() {
                *d = row_out[(c + n - x0) % n] * factor;
            }
        }
    }
}
