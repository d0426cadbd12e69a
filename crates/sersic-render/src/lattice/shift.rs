//! A galaxy's centre offset, applied on the lattice per galaxy so that one cached PSF grid serves every
//! offset (a fitter moves the centre at every step).
//!
//! Moving the profile by (dx, dy) pixels multiplies lattice point (i, j) by e^{−2πi(i·dx + j·dy)/N}. With
//! i = c + pN (c the fold column) and j = r + qN (r the fold row in [0, N)), that factor is
//! e^{−2πi(c·dx + r·dy)/N} · e^{−2πi(p·dx + q·dy)}: a phase per fold cell, applied once to the folded
//! grid ([`Shift::rotate`]), times a constant per run of a column between two wraps of its fold row
//! ([`Shift::run`]). The inner loops then pay one complex product per point for an offset, none without.

use rustfft::num_complex::Complex64;
use std::f64::consts::PI;

/// The factors of one offset on a lattice of period N.
pub(crate) struct Shift {
    dx: f64,
    dy: f64,
    /// e^{−2πi c·dx/N} for fold columns c = 0..=N/2, e^{−2πi r·dy/N} for fold rows r = 0..N.
    cell_x: Vec<Complex64>,
    cell_y: Vec<Complex64>,
}

impl Shift {
    /// The factors for an offset of (dx, dy) pixels, or `None` for no offset (the unshifted loops).
    pub(crate) fn new(offset: [f64; 2], period: usize) -> Option<Shift> {
        let [dx, dy] = offset;
        if dx == 0.0 && dy == 0.0 {
            return None;
        }
        let n = period as f64;
        let phases = |d: f64, count: usize| -> Vec<Complex64> {
            (0..count)
                .map(|c| Complex64::from_polar(1.0, -2.0 * PI * c as f64 * d / n))
                .collect()
        };
        Some(Shift {
            dx,
            dy,
            cell_x: phases(dx, period / 2 + 1),
            cell_y: phases(dy, period),
        })
    }

    /// The constant of the run of lattice column i (fold column `fold_col`) whose rows j satisfy
    /// j.div_euclid(N) = q.
    #[inline]
    pub(crate) fn run(&self, i: i64, fold_col: usize, q: i64, period: usize) -> Complex64 {
        let p = (i - fold_col as i64).div_euclid(period as i64);
        Complex64::from_polar(1.0, -2.0 * PI * (p as f64 * self.dx + q as f64 * self.dy))
    }

    /// Multiplies each cell of a folded grid ((N/2+1) columns of N) by its fold cell's phase.
    pub(crate) fn rotate(&self, grid: &mut [Complex64]) {
        let n = self.cell_y.len();
        for (column, cx) in grid.chunks_exact_mut(n).zip(&self.cell_x) {
            for (cell, cy) in column.iter_mut().zip(&self.cell_y) {
                *cell *= cx * cy;
            }
        }
    }
}
