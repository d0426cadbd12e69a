//! A galaxy's centre offset, applied on the lattice per galaxy so that one cached PSF grid serves every
//! offset (a fitter moves the centre at every step).
//!
//! Moving the profile by (dx, dy) pixels multiplies lattice point (i, j) by e^{−i(kx·dx + ky·dy)·s} =
//! e^{−2πi(i·dx + j·dy)/N}, a phase separable in i and j: one factor per lattice column and one per row,
//! computed once per galaxy. It is applied to each point's weight before the sums, so it is paid once per
//! point however many derivative grids the point feeds.

use rustfft::num_complex::Complex64;
use std::f64::consts::PI;

/// The phases of one offset on a lattice of period N, for lattice indices -m..=m.
pub(crate) struct Shift {
    m: i64,
    /// e^{−2πi·i·dx/N} and e^{−2πi·j·dy/N} for i, j = -m..=m.
    along_x: Vec<Complex64>,
    along_y: Vec<Complex64>,
}

impl Shift {
    /// The phases for an offset of (dx, dy) pixels on a lattice of period `period` out to index `m`, or
    /// `None` for no offset (the unshifted loops).
    pub(crate) fn new(offset: [f64; 2], period: usize, m: i64) -> Option<Shift> {
        let [dx, dy] = offset;
        if dx == 0.0 && dy == 0.0 {
            return None;
        }
        let n = period as f64;
        let phases = |d: f64| -> Vec<Complex64> {
            (-m..=m)
                .map(|i| Complex64::from_polar(1.0, -2.0 * PI * i as f64 * d / n))
                .collect()
        };
        Some(Shift {
            m,
            along_x: phases(dx),
            along_y: phases(dy),
        })
    }

    /// The phase of lattice column i.
    #[inline]
    pub(crate) fn column(&self, i: i64) -> Complex64 {
        self.along_x[(i + self.m) as usize]
    }

    /// The phases of rows j_lo, j_lo + 1, … of a column.
    #[inline]
    pub(crate) fn rows_from(&self, j_lo: i64) -> &[Complex64] {
        &self.along_y[(j_lo + self.m) as usize..]
    }
}
