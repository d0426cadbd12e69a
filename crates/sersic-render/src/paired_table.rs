//! A profile F and its derivative G in a parameter (the Sérsic transform and ∂F/∂n), laid out for the
//! loops that need F, dF/dx and G at every lattice point: the Jacobian's and the fit's gradient.
//!
//! Those loops are bound by their count of floating-point instructions. Here one lookup finds one record
//! per segment holding both cubics, interleaved, so that one two-lane Horner evaluates F and G together,
//! and F's slope as a quadratic in t with its factors 2, 3 and 1/h applied once, when the record is made.
//! G is kept only in these records: the derivative loops are its only readers.

use crate::radial_table::{Extension, RadialTable, SegmentFinder, SplineGrid, Tail};

/// One segment of F and G: `[F0, G0, F1, G1, F2, G2, F3, G3, S0, S0, S1, S1, S2, S2]`, where F = F0 +
/// t·(F1 + t·(F2 + t·F3)) on the segment (G likewise) and dF/dx = S0 + t·(S1 + t·S2) (twice, so that a
/// two-lane Horner gives it in both lanes, ready to multiply a complex number).
pub type PairRecord = [f64; 14];

/// F and G on one octave grid ([`crate::radial_table`]), one [`PairRecord`] per segment.
#[derive(Clone, Debug)]
pub struct PairedSegments {
    records: Vec<PairRecord>,
    /// F's: the two share their grid.
    finder: SegmentFinder,
    /// G below and beyond the nodes (F's is its own table's).
    second: Extension,
}

impl PairedSegments {
    /// F's table, and F and G together, from their values at the grid's nodes (F(0), G(0) and the
    /// tails as for [`RadialTable::on_grid`]). The two splines are solved together: the eliminations are
    /// independent chains, so interleaved they take the time of one.
    pub fn on_grid(
        grid: &SplineGrid,
        [f, g]: [&[f64]; 2],
        [f_at_zero, g_at_zero]: [f64; 2],
        [f_tail, g_tail]: [Tail; 2],
    ) -> (RadialTable, PairedSegments) {
        assert!(
            f.len() == grid.len() && g.len() == grid.len(),
            "PairedSegments: one value per grid node"
        );
        let [mf, mg] = grid.second_derivatives([f, g]);
        let table = RadialTable::with_second_derivatives(grid, f, &mf, f_at_zero, f_tail);
        let records = table
            .segments()
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let d = grid.segment(g, &mg, j);
                let slope = [c[1] * c[4], 2.0 * c[2] * c[4], 3.0 * c[3] * c[4]];
                [
                    c[0], d[0], c[1], d[1], c[2], d[2], c[3], d[3], slope[0], slope[0], slope[1],
                    slope[1], slope[2], slope[2],
                ]
            })
            .collect();
        let paired = PairedSegments {
            records,
            finder: table.finder(),
            second: Extension::new(grid.nodes(), g, g_at_zero, g_tail),
        };
        (table, paired)
    }

    /// The record of the segment holding x and x's position t ∈ [0, 1) in it, or `None` off the nodes.
    #[inline(always)]
    pub fn segment(&self, x: f64) -> Option<(&PairRecord, f64)> {
        let (index, t) = self.finder.find(x)?;
        Some((&self.records[index], t))
    }

    /// G(x) off the nodes (below the first, at or beyond the last).
    #[inline]
    pub fn second_off_grid(&self, x: f64) -> f64 {
        self.second.at(x).0
    }

    /// G(x) anywhere (one lane of what the derivative loops evaluate, for checks).
    pub fn second(&self, x: f64) -> f64 {
        match self.segment(x) {
            Some((r, t)) => r[1] + t * (r[3] + t * (r[5] + t * r[7])),
            None => self.second_off_grid(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radial_table::grid_nodes;

    #[test]
    fn a_pair_solved_together_equals_each_alone() {
        let grid = SplineGrid::new(-6, 5);
        let xs = grid_nodes(-6, 5);
        let a: Vec<f64> = xs.iter().map(|x| (-0.3 * x).exp()).collect();
        let b: Vec<f64> = xs.iter().map(|x| 1.0 / (1.0 + x * x)).collect();
        let tails = [Tail::Zero, Tail::PowerLaw(2.0)];
        let (pa, paired) = PairedSegments::on_grid(&grid, [&a, &b], [1.0, 0.5], tails);
        let sa = RadialTable::on_grid(&grid, &a, 1.0, tails[0]);
        let sb = RadialTable::on_grid(&grid, &b, 0.5, tails[1]);
        // Below, across and beyond the nodes (2^-6 .. 2^5).
        for i in 0..2_000 {
            let x = 10f64.powf(-3.0 + 5.0 * i as f64 / 2_000.0);
            assert_eq!(pa.value_and_slope(x), sa.value_and_slope(x));
            assert_eq!(paired.second(x), sb.value(x), "G at x = {x}");
            if let Some((r, t)) = paired.segment(x) {
                assert_eq!(r[0] + t * (r[2] + t * (r[4] + t * r[6])), sa.value(x));
                let slope = r[8] + t * (r[10] + t * r[12]);
                let expected = sa.value_and_slope(x).1;
                assert!(
                    (slope - expected).abs() <= 1e-13 * expected.abs(),
                    "F' at x = {x}: {slope} vs {expected}"
                );
            }
        }
        // And on a grid laid out once, the same table as one laid out for it.
        let fresh = RadialTable::from_nodes(-6, 5, &b, 0.5, tails[1]);
        assert_eq!(fresh.value_and_slope(0.7), sb.value_and_slope(0.7));
    }
}
