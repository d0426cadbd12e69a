//! The inverse transform from a folded half-plane spectrum to the stamp, pruned to the rows it needs.

use crate::lanes;
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

/// Whether n is 2^a·3^b times at most one factor 5 or 7: the lattice periods a draw may use.
///
/// rustfft's radix-5 and radix-7 passes cost several times its radix-2, -3 and -4 passes per point, so
/// sizes with two of them are slow for their length; one is cheap. Measured here (AVX, one complex
/// transform, ns): 100 → 176, 108 → 102; 150 → 232, 160 → 157; 200 → 258, 216 → 217; 250 → 533, 252 →
/// 263; 300 → 425, 320 → 372. A factor 7 adds sizes as fast as their neighbours (112 → 108, 168 → 171,
/// 224 → 228, 252), so the next period up is rarely more than 12% longer than the one needed.
pub(crate) fn is_fast_period(mut n: usize) -> bool {
    if n == 0 {
        return false;
    }
    for p in [2, 3] {
        while n.is_multiple_of(p) {
            n /= p;
        }
    }
    matches!(n, 1 | 5 | 7)
}

/// The distance between fold columns in a plane of kept stamp rows ([`FftPlans::keep_column`]): `height`
/// cells or up to seven more, an odd number of 64-byte cache lines. The row pass reads two cells of every
/// column in turn; at a stride of a power of two (1 kB for 64 rows) those reads fell on four of the
/// cache's sets (measured: the Jacobian 1-2% faster padded).
pub(crate) fn kept_stride(height: usize) -> usize {
    // Four cells to a cache line.
    4 * (height.div_ceil(4) | 1)
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
        let mut kept = vec![Complex64::default(); (n / 2 + 1) * kept_stride(dims.1)];
        for (c, col) in grid.chunks_exact_mut(n).enumerate() {
            self.inverse_column(col, &mut scratch);
            self.keep_column(col, c, &mut kept, dims.1, Complex64::new(1.0, 0.0));
        }
        self.rows_onto(&kept, dims, factor, out);
    }

    /// Keeps the stamp's rows of fold column `c` after [`Self::inverse_column`] in `plane`, times
    /// `factor`: stamp row r (row y = (r − height/2) mod N of the period) at `plane[c·stride + r]`,
    /// stride = [`kept_stride`]`(height)`, the layout [`Self::rows_onto`] reads.
    #[inline]
    pub fn keep_column(
        &self,
        column: &[Complex64],
        c: usize,
        plane: &mut [Complex64],
        height: usize,
        factor: Complex64,
    ) {
        let n = self.period;
        let wrapped = height / 2;
        let at = c * kept_stride(height);
        let (low, high) = plane[at..at + height].split_at_mut(wrapped);
        let (from_low, from_high) = (&column[n - wrapped..], &column[..height - wrapped]);
        if factor == Complex64::new(1.0, 0.0) {
            low.copy_from_slice(from_low);
            high.copy_from_slice(from_high);
        } else {
            let factor = lanes::ComplexFactor::new(lanes::load(&factor));
            factor.scale(low, from_low);
            factor.scale(high, from_high);
        }
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

    /// The second pass, kx -> x, on the rows the stamp shows: `grid` holds the `height` stamp rows of the
    /// N/2 + 1 fold columns after [`Self::inverse_column`], as [`Self::keep_column`] lays them; appends the
    /// `width` x `height` stamp, row-major, times `factor`, to `out` (appended rather than written over a
    /// zeroed slice: seven planes of a Jacobian are 230 kB).
    ///
    /// Rows go through the transform two at a time: for the half spectra A and B of two real rows a and b,
    /// one complex inverse transform of Z = A + iB (extended to all N columns by Hermitian symmetry,
    /// Z[N − c] = conj A[c] + i conj B[c]) gives a + ib. It is a third cheaper than two real inverse
    /// transforms of N (whose pre-processing pass costs nearly as much as their half-size transform).
    pub fn rows_onto(
        &self,
        grid: &[Complex64],
        (width, height): (usize, usize),
        factor: f64,
        out: &mut Vec<f64>,
    ) {
        let n = self.period;
        let half = n / 2 + 1;
        let stride = kept_stride(height);
        debug_assert_eq!(grid.len(), half * stride);
        out.reserve(width * height);
        let x0 = width / 2;
        // Stamp column c is sample (c - x0) mod N: the period's last x0 samples, then its first
        // width - x0.
        let (wrapped, direct) = (x0.min(n), width - x0.min(n));
        let mut z = vec![Complex64::default(); n];
        let mut scratch = self.column_scratch();
        // Columns 1..=paired have a distinct mirror N − c.
        let paired = (n - 1) / 2;
        let mut r = 0;
        while r + 1 < height {
            let mut pairs = grid
                .chunks_exact(stride)
                .map(|column| (lanes::load(&column[r]), lanes::load(&column[r + 1])));
            // Columns 0 and N/2 are real after the column pass (up to rounding): say so exactly.
            let real_parts = |(a, b)| lanes::unpack_low(a, b);
            lanes::store(&mut z[0], real_parts(pairs.next().expect("column 0")));
            // z[1..=paired] from columns 1..=paired, their mirrors z[N − c] (after N/2 if N is even):
            // A + iB and conj A + i conj B, in lanes [a.re − b.im, a.im + b.re] and [a.re + b.im, b.re − a.im].
            let (front, back) = z[1..].split_at_mut(paired);
            let (nyquist, mirrors) = back.split_at_mut(n - 1 - 2 * paired);
            for ((to, mirror), (a, b)) in front
                .iter_mut()
                .zip(mirrors.iter_mut().rev())
                .zip(&mut pairs)
            {
                lanes::store(to, lanes::add(a, lanes::times_i(b)));
                lanes::store(mirror, lanes::add(lanes::conj(a), lanes::swap(b)));
            }
            if let ([cell], Some(pair)) = (nyquist, pairs.next()) {
                lanes::store(cell, real_parts(pair));
            }
            self.columns.process_with_scratch(&mut z, &mut scratch);
            // The stamp's columns are the period's last `wrapped` samples, then its first `direct`.
            for part in [&z[n - wrapped..], &z[..direct]] {
                out.extend(part.iter().map(|v| v.re * factor));
            }
            for part in [&z[n - wrapped..], &z[..direct]] {
                out.extend(part.iter().map(|v| v.im * factor));
            }
            r += 2;
        }
        if r < height {
            // An odd height's last row, alone through the real transform.
            let mut row_in: Vec<Complex64> = (0..half).map(|c| grid[c * stride + r]).collect();
            row_in[0].im = 0.0;
            row_in[half - 1].im = 0.0;
            let mut row_out = vec![0.0; n];
            let mut row_scratch = vec![Complex64::default(); self.rows.get_scratch_len()];
            self.rows
                .process_with_scratch(&mut row_in, &mut row_out, &mut row_scratch)
                .expect("buffer sizes match the plan");
            out.extend(row_out[n - wrapped..].iter().map(|v| v * factor));
            out.extend(row_out[..direct].iter().map(|v| v * factor));
        }
    }
}
