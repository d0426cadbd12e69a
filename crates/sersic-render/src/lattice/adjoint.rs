//! The Jacobian's transpose applied to a stamp of weights: Σ_pixels w · ∂image/∂θ for the seven parameters,
//! without drawing the seven planes.
//!
//! A plane drawn from fold-column sums S is, pixel by pixel, Σ_c m_c Re(G_c(y) e^{2πicx/N}) with
//! G_c(y) = Σ_j S[c][j] e^{2πijy/N} (the inverse transforms of [`crate::fft::FftPlans`]); so its sum against
//! weights w is Σ_c m_c Σ_j Re(S[c][j] · conj R[c][j]), R the forward transform of w laid on the period
//! ([`crate::fft::FftPlans::stamp_spectrum`]), m_c = 1 at c = 0 and N/2 and 2 between. Each S is a sum over
//! lattice points of the point's weight times a real factor (or, for the centre, times −i·s·kx or −i·s·ky),
//! so the seven sums are seven scalars accumulated over the lattice against z = m_c · w(k) · conj R: one
//! forward transform and one pass over the lattice with nothing stored, where the planes take seven inverse
//! transforms and seven grids of sums. A fitter's gradient is exactly this, with w = ∂(−ln L)/∂pixel.

use super::{Column, ColumnForm, DerivativeTables, PsfGrid, ShearFormSteps, Shift};
use crate::lanes::{
    self, add, complex_mul, conj, first, high, load, low, mul, pair, splat, ComplexFactor,
};
use crate::shear::QuadraticForm;
use rustfft::num_complex::Complex64;

impl PsfGrid {
    /// Σ over the lattice points within radius `k` of Re(z·D) for the seven factors D of
    /// [`Self::accumulate_with_derivatives`] (F, ∂F/∂n, F'·x, F'·x_g1, F'·x_g2, and, through Im z, kx·F and
    /// ky·F), z = m_c · w(k) · conj R[cell] with `spectrum` = R as [`crate::fft::FftPlans::stamp_spectrum`]
    /// lays it out. The caller applies each plane's own factor (flux, 2·flux/hlr, the centre's scale).
    #[allow(clippy::too_many_arguments)]
    pub fn dot_with_derivatives(
        &self,
        k: f64,
        form: &QuadraticForm,
        [dg1, dg2]: [&QuadraticForm; 2],
        tables: DerivativeTables<'_>,
        shift: Option<&Shift>,
        spectrum: &[Complex64],
    ) -> [f64; 7] {
        let n = self.period;
        debug_assert_eq!(spectrum.len(), (n / 2 + 1) * n);
        let r2 = (k / self.dk).powi(2);
        let mut sums = [0.0; 7];
        for (fold_col, group) in self.fold_groups.iter().enumerate() {
            let m = if fold_col == 0 || fold_col == n / 2 {
                1.0
            } else {
                2.0
            };
            let column = &spectrum[fold_col * n..(fold_col + 1) * n];
            for &index in group {
                let col = &self.columns[index];
                if let Some((j_lo, weights, row)) = self.within(col, r2) {
                    let point = PointFactors {
                        forms: [form, dg1, dg2],
                        tables,
                    };
                    point.add_column(self, col, (j_lo, weights, row), shift, m, column, &mut sums);
                }
            }
        }
        sums
    }
}

/// What every point's factors are made of.
struct PointFactors<'a> {
    forms: [&'a QuadraticForm; 3],
    tables: DerivativeTables<'a>,
}

impl PointFactors<'_> {
    /// Adds one lattice column's points (from j_lo, fold rows from `row`, wrapping at N) to `sums`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn add_column(
        &self,
        grid: &PsfGrid,
        col: &Column,
        (j_lo, w, mut row): (i64, &[Complex64], usize),
        shift: Option<&Shift>,
        m: f64,
        spectrum: &[Complex64],
        sums: &mut [f64; 7],
    ) {
        let n = grid.period;
        let dk = grid.dk;
        let [form, dg1, dg2] = self.forms;
        let kx = col.kx;
        let form = ColumnForm::new(form, kx);
        // m is folded into the column's factor.
        let (px, py) = match shift {
            Some(s) => (s.column(col.i) * m, s.rows_from(j_lo)),
            None => (Complex64::new(m, 0.0), &[][..]),
        };
        let px = ComplexFactor::new(load(&px));
        let ky = j_lo as f64 * dk;
        let mut shear = ShearFormSteps::new([dg1, dg2], kx, ky, dk);
        let (mut kyv, dkv) = (splat(ky), splat(dk));
        // The sums in pairs: [Σ z.re·F, Σ z.re·∂F/∂n], [Σ zs·x, —], [Σ zs·x_g1, Σ zs·x_g2] with
        // zs = z.re·F', [Σ z.im·F·kx, Σ z.im·F·ky]; [kx, ky] steps as ky does.
        let [s0, s1, s2, s3, s4, s5, s6] = *sums;
        let (mut image_n, mut hlr, mut shears, mut centre) =
            (pair(s0, s1), pair(s2, 0.0), pair(s3, s4), pair(s5, s6));
        let (mut kxy, dky) = (pair(kx, ky), pair(0.0, dk));
        for (p, w) in w.iter().enumerate() {
            let wt = if shift.is_some() {
                complex_mul(load(w), px.times(load(&py[p])))
            } else {
                px.times(load(w))
            };
            let z = complex_mul(wt, conj(load(&spectrum[row])));
            let x = form.at(kyv);
            let (f_and_dn, slope) = self.tables.at(first(x));
            let re = low(z);
            let zs = mul(re, slope);
            image_n = add(image_n, mul(re, f_and_dn));
            hlr = add(hlr, mul(zs, x));
            shears = add(shears, mul(zs, shear.value()));
            centre = add(centre, mul(mul(high(z), low(f_and_dn)), kxy));
            shear.advance();
            kyv = add(kyv, dkv);
            kxy = add(kxy, dky);
            row += 1;
            if row == n {
                row = 0;
            }
        }
        let ([s0, s1], [s2, _], [s3, s4], [s5, s6]) = (
            lanes::lanes_of(image_n),
            lanes::lanes_of(hlr),
            lanes::lanes_of(shears),
            lanes::lanes_of(centre),
        );
        *sums = [s0, s1, s2, s3, s4, s5, s6];
    }
}
