//! The tables a derivative loop reads at every lattice point: F, dF/dx and ∂F/∂n from one lookup.

use super::lanes::{add, load_pair, mul, pair, splat, V2};
use crate::radial_table::{PairedSegments, RadialTable};

/// The Sérsic transform F, its n derivative, and the two interleaved ([`PairedSegments`]).
#[derive(Clone, Copy)]
pub(crate) struct DerivativeTables<'a> {
    pub value: &'a RadialTable,
    pub d_dn: &'a RadialTable,
    pub paired: &'a PairedSegments,
}

impl DerivativeTables<'_> {
    /// [F(x), ∂F/∂n(x)] in two lanes, and dF/dx. On the grid both values come from one two-lane Horner;
    /// off it, from the tables' own extensions.
    #[inline(always)]
    pub fn at(&self, x: f64) -> (V2, f64) {
        match self.paired.segment(x) {
            Some((r, t)) => {
                let tv = splat(t);
                let cubic = |c: usize| load_pair(r, c);
                let both = add(
                    cubic(0),
                    mul(tv, add(cubic(2), mul(tv, add(cubic(4), mul(tv, cubic(6)))))),
                );
                (both, r[8] + t * (r[9] + t * r[10]))
            }
            None => {
                let (f, slope) = self.value.value_and_slope(x);
                (pair(f, self.d_dn.value(x)), slope)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lanes::{store, V2};
    use crate::sersic_table::SersicTable;
    use rustfft::num_complex::Complex64;

    fn lanes(v: V2) -> (f64, f64) {
        let mut c = Complex64::default();
        store(&mut c, v);
        (c.re, c.im)
    }

    #[test]
    fn one_lookup_gives_what_the_two_tables_give() {
        let table = SersicTable::embedded();
        for n in [0.5, 1.0, 2.345, 4.0, 6.0] {
            let transform = table.transform(n, true);
            let tables = transform
                .derivative_tables()
                .expect("derivatives asked for");
            let d_dn = transform.d_dn.as_ref().unwrap();
            // Below, across and beyond the grid.
            let mut x = 1e-9;
            while x < 1e9 {
                let ((f, g), slope) = (lanes(tables.at(x).0), tables.at(x).1);
                let (f_ref, slope_ref) = transform.value.value_and_slope(x);
                // The same Horner, lane by lane: the same bits.
                assert_eq!(f, f_ref, "F at n = {n}, x = {x}");
                assert_eq!(g, d_dn.value(x), "dF/dn at n = {n}, x = {x}");
                // The slope's coefficients are pre-scaled: equal up to rounding.
                assert!(
                    (slope - slope_ref).abs() <= 1e-12 * slope_ref.abs().max(1e-300),
                    "dF/dx at n = {n}, x = {x}: {slope} vs {slope_ref}"
                );
                x *= 1.37;
            }
        }
    }
}
