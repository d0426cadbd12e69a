//! The tables a derivative loop reads at every lattice point: F, dF/dx and ∂F/∂n from one lookup.

use crate::lanes::{add, load_pair, mul, pair, splat, V2};
use crate::paired_table::PairedSegments;
use crate::radial_table::RadialTable;
use crate::shear::QuadraticForm;

/// The Sérsic transform F, and F with ∂F/∂n in one record per segment ([`PairedSegments`]).
#[derive(Clone, Copy)]
pub(crate) struct DerivativeTables<'a> {
    pub value: &'a RadialTable,
    pub paired: &'a PairedSegments,
}

impl DerivativeTables<'_> {
    /// [F(x), ∂F/∂n(x)] and dF/dx in both lanes. On the grid the values come from one two-lane Horner, the
    /// slope from another on its duplicated coefficients; off it, from the tables' own extensions.
    #[inline(always)]
    pub fn at(&self, x: f64) -> (V2, V2) {
        match self.paired.segment(x) {
            Some((r, t)) => {
                let tv = splat(t);
                let c = |at: usize| load_pair(r, at);
                let both = add(c(0), mul(tv, add(c(2), mul(tv, add(c(4), mul(tv, c(6)))))));
                let slope = add(c(8), mul(tv, add(c(10), mul(tv, c(12)))));
                (both, slope)
            }
            None => {
                let (f, slope) = self.value.value_and_slope(x);
                (pair(f, self.paired.second_off_grid(x)), splat(slope))
            }
        }
    }
}

/// The galaxy's form x on one lattice column, a quadratic in ky ([`QuadraticForm::along_column`]), with
/// its coefficients in both lanes: x in both lanes, each the scalar Horner's value bit for bit.
#[derive(Clone, Copy)]
pub(crate) struct ColumnForm([V2; 3]);

impl ColumnForm {
    /// `form` on the column at kx.
    #[inline(always)]
    pub fn new(form: &QuadraticForm, kx: f64) -> Self {
        let (a, b, c) = form.along_column(kx);
        ColumnForm([splat(a), splat(b), splat(c)])
    }

    /// x at ky (in both lanes).
    #[inline(always)]
    pub fn at(&self, ky: V2) -> V2 {
        let [a, b, c] = self.0;
        add(mul(add(mul(a, ky), b), ky), c)
    }
}

/// The two shear forms [x_g1, x_g2] down one lattice column, in two lanes: quadratics A·ky² + B·ky + C
/// stepped by their differences as ky grows by dk (two additions a point instead of two Horners).
pub(crate) struct ShearFormSteps {
    value: V2,
    step: V2,
    step_change: V2,
}

impl ShearFormSteps {
    /// The forms `dg1`, `dg2` on the column at kx, from ky = `ky` in steps of `dk`.
    #[inline(always)]
    pub fn new([dg1, dg2]: [&QuadraticForm; 2], kx: f64, ky: f64, dk: f64) -> Self {
        let (a1, b1, c1) = dg1.along_column(kx);
        let (a2, b2, c2) = dg2.along_column(kx);
        let (a, b, c) = (pair(a1, a2), pair(b1, b2), pair(c1, c2));
        let (ky, dk) = (splat(ky), splat(dk));
        ShearFormSteps {
            value: add(mul(add(mul(a, ky), b), ky), c),
            step: mul(add(mul(a, add(add(ky, ky), dk)), b), dk),
            step_change: mul(add(a, a), mul(dk, dk)),
        }
    }

    /// [x_g1, x_g2] at the current ky.
    #[inline(always)]
    pub fn value(&self) -> V2 {
        self.value
    }

    /// On to ky + dk.
    #[inline(always)]
    pub fn advance(&mut self) {
        self.value = add(self.value, self.step);
        self.step = add(self.step, self.step_change);
    }
}

#[cfg(test)]
mod tests {
    use crate::lanes::lanes_of;
    use crate::sersic_table::SersicTable;

    #[test]
    fn one_lookup_gives_what_the_two_tables_give() {
        let table = SersicTable::embedded();
        for n in [0.5, 1.0, 2.345, 4.0, 6.0] {
            let transform = table.transform(n, true);
            let tables = transform
                .derivative_tables()
                .expect("derivatives asked for");
            let d_dn = transform.d_dn.as_ref().unwrap();
            // ∂F/∂n alone, as a table of its own: from the node values the pair was made from.
            let (_, dn_values) = table.node_values(n, true);
            let alone = crate::radial_table::RadialTable::on_grid(
                table.grid(),
                &dn_values.unwrap(),
                0.0,
                crate::radial_table::Tail::PowerLaw(1.0 + 0.5 / n),
            );
            // Below, across and beyond the grid.
            let mut x = 1e-9;
            while x < 1e9 {
                let ([f, g], [slope, slope_hi]) =
                    (lanes_of(tables.at(x).0), lanes_of(tables.at(x).1));
                assert_eq!(slope, slope_hi);
                let (f_ref, slope_ref) = transform.value.value_and_slope(x);
                // The same Horner, lane by lane: the same bits.
                assert_eq!(f, f_ref, "F at n = {n}, x = {x}");
                assert_eq!(g, alone.value(x), "dF/dn at n = {n}, x = {x}");
                assert_eq!(g, d_dn.second(x));
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
