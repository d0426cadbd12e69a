//! A fast lookup of a smooth radial Fourier profile F(x), x = (k·scale)², on a logarithmic grid.
//!
//! The renderer evaluates F at every point of a k-space lattice (tens of thousands per image), so a lookup
//! must cost a few nanoseconds. A grid uniform in ln x would need a logarithm per point. This grid is
//! uniform *within each octave of x* instead (2^[`NODES_PER_OCTAVE_LOG2`] equal steps per octave), so the
//! segment index is just the top bits of x's IEEE-754 representation (exponent and leading mantissa bits) and
//! the position within the segment is the remaining mantissa bits: no logarithm, no division, no branch in the
//! common case. On each segment F is a cubic (a natural cubic spline in x through the node values), which
//! with 32 nodes per octave interpolates Sérsic and Moffat transforms to about 1e-10 and, in the worst case (a
//! Gaussian, the steepest in ln x: error ≈ h⁴ f''''/384), to 2e-8 of F(0).
//!
//! Below the first node F is linear from its value at x = 0; beyond the last node it follows a power-law tail
//! x^(-p) (the Sérsic large-k asymptote) or is zero (profiles that decay exponentially in k).

/// log2 of the number of grid segments per octave of x.
pub const NODES_PER_OCTAVE_LOG2: u32 = 5;
const PER_OCTAVE: usize = 1 << NODES_PER_OCTAVE_LOG2;
const MANTISSA_SHIFT: u32 = 52 - NODES_PER_OCTAVE_LOG2;
const FRACTION_MASK: u64 = (1u64 << MANTISSA_SHIFT) - 1;
const FRACTION_SCALE: f64 = 1.0 / (1u64 << MANTISSA_SHIFT) as f64;

/// The x positions of the grid's nodes for octaves [e_min, e_max): 2^e (1 + j / 32).
pub fn grid_nodes(e_min: i32, e_max: i32) -> Vec<f64> {
    let mut xs = Vec::with_capacity((e_max - e_min) as usize * PER_OCTAVE + 1);
    for e in e_min..e_max {
        let base = 2f64.powi(e);
        for j in 0..PER_OCTAVE {
            xs.push(base * (1.0 + j as f64 / PER_OCTAVE as f64));
        }
    }
    xs.push(2f64.powi(e_max));
    xs
}

/// What F does beyond the last node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tail {
    /// F = 0 beyond the grid (the profile is negligible there).
    Zero,
    /// F ∝ x^(-p) beyond the grid, continuous with the last node.
    PowerLaw(f64),
}

/// Where x falls on an octave grid: its segment, from the top bits of x, and its position in it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SegmentFinder {
    /// Biased-exponent bits of the first node, shifted like a lookup key.
    key_offset: u64,
    x_first: f64,
    x_last: f64,
}

impl SegmentFinder {
    /// The finder for the grid whose nodes are `xs`.
    pub(crate) fn new(xs: &[f64]) -> Self {
        let x_first = xs[0];
        SegmentFinder {
            key_offset: x_first.to_bits() >> MANTISSA_SHIFT,
            x_first,
            x_last: *xs.last().expect("a grid has nodes"),
        }
    }

    /// The segment holding x and x's position t ∈ [0, 1) in it, or `None` off the nodes (below the first,
    /// at or beyond the last, or NaN). A segment index found maps into the grid's segments by construction.
    #[inline(always)]
    pub(crate) fn find(&self, x: f64) -> Option<(usize, f64)> {
        if x >= self.x_first && x < self.x_last {
            let bits = x.to_bits();
            let index = ((bits >> MANTISSA_SHIFT) - self.key_offset) as usize;
            Some((index, (bits & FRACTION_MASK) as f64 * FRACTION_SCALE))
        } else {
            None
        }
    }
}

/// A radial profile tabulated on the octave grid; see the module documentation.
#[derive(Clone, Debug)]
pub struct RadialTable {
    /// Per segment: cubic coefficients in t ∈ [0, 1) and 1/h (h the segment's width in x).
    segments: Vec<[f64; 5]>,
    finder: SegmentFinder,
    slope_last: f64,
    /// F below and beyond the nodes.
    extension: Extension,
}

/// A table's profile off its nodes: linear below the first node from its value at x = 0, and the tail
/// beyond the last.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extension {
    x_first: f64,
    x_last: f64,
    value_at_zero: f64,
    slope_below: f64,
    value_last: f64,
    tail: Tail,
}

impl Extension {
    /// The extension of the spline through `values` at the nodes `xs`.
    pub(crate) fn new(xs: &[f64], values: &[f64], value_at_zero: f64, tail: Tail) -> Self {
        let x_first = xs[0];
        Extension {
            x_first,
            x_last: *xs.last().expect("a grid has nodes"),
            value_at_zero,
            slope_below: (values[0] - value_at_zero) / x_first,
            value_last: *values.last().expect("one value per node"),
            tail,
        }
    }

    /// (F(x), dF/dx) for x below the first node or at or beyond the last.
    #[inline]
    pub(crate) fn at(&self, x: f64) -> (f64, f64) {
        if x < self.x_first {
            (
                self.value_at_zero + self.slope_below * x.max(0.0),
                self.slope_below,
            )
        } else {
            match self.tail {
                Tail::Zero => (0.0, 0.0),
                Tail::PowerLaw(p) => {
                    let v = self.value_last * (x / self.x_last).powf(-p);
                    (v, -p * v / x)
                }
            }
        }
    }
}

impl RadialTable {
    /// Builds the natural cubic spline through `values` at [`grid_nodes`]`(e_min, e_max)`; `value_at_zero` is
    /// F(0) (the linear piece below the grid joins it to the first node).
    pub fn from_nodes(
        e_min: i32,
        e_max: i32,
        values: &[f64],
        value_at_zero: f64,
        tail: Tail,
    ) -> Self {
        Self::on_grid(&SplineGrid::new(e_min, e_max), values, value_at_zero, tail)
    }

    /// [`Self::from_nodes`] on a grid laid out once: what a table of many profiles on the same nodes (the
    /// Sérsic transform at every n) builds without a division.
    pub fn on_grid(grid: &SplineGrid, values: &[f64], value_at_zero: f64, tail: Tail) -> Self {
        assert_eq!(
            grid.len(),
            values.len(),
            "RadialTable: one value per grid node"
        );
        let [m] = grid.second_derivatives([values]);
        Self::with_second_derivatives(grid, values, &m, value_at_zero, tail)
    }

    /// The table from the spline's node values and second derivatives.
    pub(crate) fn with_second_derivatives(
        grid: &SplineGrid,
        values: &[f64],
        m: &[f64],
        value_at_zero: f64,
        tail: Tail,
    ) -> Self {
        let xs = &grid.xs;
        let segments: Vec<[f64; 5]> = (0..xs.len() - 1)
            .map(|j| grid.segment(values, m, j))
            .collect();
        let last = segments.len() - 1;
        let s = &segments[last];
        let slope_last = (s[1] + 2.0 * s[2] + 3.0 * s[3]) * s[4];
        RadialTable {
            finder: SegmentFinder::new(xs),
            slope_last,
            extension: Extension::new(xs, values, value_at_zero, tail),
            segments,
        }
    }

    /// F(x).
    #[inline(always)]
    pub fn value(&self, x: f64) -> f64 {
        self.value_and_slope(x).0
    }

    /// (F(x), dF/dx).
    #[inline(always)]
    pub fn value_and_slope(&self, x: f64) -> (f64, f64) {
        match self.finder.find(x) {
            Some((index, t)) => {
                // The bounds check on the index stays (it is cheap and predictable).
                let c = &self.segments[index];
                let value = c[0] + t * (c[1] + t * (c[2] + t * c[3]));
                let slope = (c[1] + t * (2.0 * c[2] + t * 3.0 * c[3])) * c[4];
                (value, slope)
            }
            None => self.outside(x),
        }
    }

    #[cold]
    fn outside(&self, x: f64) -> (f64, f64) {
        self.extension.at(x)
    }

    /// Per segment: the cubic's coefficients in t and 1/h (for [`crate::paired_table`]).
    pub(crate) fn segments(&self) -> &[[f64; 5]] {
        &self.segments
    }

    /// How this table finds a segment (shared with tables on the same grid).
    pub(crate) fn finder(&self) -> SegmentFinder {
        self.finder
    }

    /// The largest x covered by nodes.
    pub fn x_last(&self) -> f64 {
        self.finder.x_last
    }

    /// Value at the last node.
    pub fn value_last(&self) -> f64 {
        self.extension.value_last
    }

    /// Slope at the last node (used to check tails).
    pub fn slope_last(&self) -> f64 {
        self.slope_last
    }
}

/// The nodes of one octave grid and what its natural cubic splines share whatever the values: the
/// segment widths, their reciprocals and the tridiagonal system's elimination factors. A spline on it
/// then costs no division (six per node otherwise, most of a table's set-up).
#[derive(Clone, Debug)]
pub struct SplineGrid {
    xs: Vec<f64>,
    /// Segment widths and their reciprocals.
    h: Vec<f64>,
    inv_h: Vec<f64>,
    /// Per interior node i of the Thomas algorithm: the sub-diagonal a_i = h_(i−1)/6, the eliminated
    /// super-diagonal c'_i and 1/(b_i − a_i c'_(i−1)).
    a: Vec<f64>,
    c_prime: Vec<f64>,
    inv_denom: Vec<f64>,
}

impl SplineGrid {
    /// The grid [`grid_nodes`]`(e_min, e_max)`.
    pub fn new(e_min: i32, e_max: i32) -> Self {
        let xs = grid_nodes(e_min, e_max);
        let n = xs.len();
        let h: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
        let inv_h = h.iter().map(|h| 1.0 / h).collect();
        let (mut a, mut c_prime, mut inv_denom) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for i in 1..n.saturating_sub(1) {
            let (h0, h1) = (h[i - 1], h[i]);
            a[i] = h0 / 6.0;
            let b = (h0 + h1) / 3.0;
            inv_denom[i] = 1.0 / (b - a[i] * c_prime[i - 1]);
            c_prime[i] = h1 / 6.0 * inv_denom[i];
        }
        SplineGrid {
            xs,
            h,
            inv_h,
            a,
            c_prime,
            inv_denom,
        }
    }

    /// Segment j's cubic in t ∈ [0, 1), [c0, c1, c2, c3], and 1/h: the natural spline through `values`
    /// with second derivatives `m` at the nodes.
    #[inline(always)]
    pub(crate) fn segment(&self, values: &[f64], m: &[f64], j: usize) -> [f64; 5] {
        let (h, inv_h) = (self.h[j], self.inv_h[j]);
        let slope = (values[j + 1] - values[j]) * inv_h - h * (2.0 * m[j] + m[j + 1]) / 6.0;
        [
            values[j],
            slope * h,
            0.5 * m[j] * h * h,
            (m[j + 1] - m[j]) * h * h / 6.0,
            inv_h,
        ]
    }

    /// The nodes' positions in x.
    pub fn nodes(&self) -> &[f64] {
        &self.xs
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.xs.len()
    }

    /// Whether the grid has no nodes (never, for a grid of at least one octave).
    pub fn is_empty(&self) -> bool {
        self.xs.is_empty()
    }

    /// Second derivatives of the natural cubic splines through each of the value sets `ys` at the nodes
    /// (Thomas algorithm, its value-independent factors taken from the grid; the sets' eliminations run
    /// side by side).
    pub(crate) fn second_derivatives<const K: usize>(&self, ys: [&[f64]; K]) -> [Vec<f64>; K] {
        let n = self.xs.len();
        let mut m = std::array::from_fn(|_| vec![0.0; n]);
        if n < 3 {
            return m;
        }
        // d'_i for every set, node after node.
        let mut d_primes = vec![[0.0; K]; n];
        for i in 1..n - 1 {
            let previous = d_primes[i - 1];
            for (k, y) in ys.iter().enumerate() {
                let d = (y[i + 1] - y[i]) * self.inv_h[i] - (y[i] - y[i - 1]) * self.inv_h[i - 1];
                d_primes[i][k] = (d - self.a[i] * previous[k]) * self.inv_denom[i];
            }
        }
        for i in (1..n - 1).rev() {
            for (k, m) in m.iter_mut().enumerate() {
                m[i] = d_primes[i][k] - self.c_prime[i] * m[i + 1];
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_a_smooth_profile_to_high_accuracy() {
        // A Gaussian in k: F = exp(-x/2).
        let (e_min, e_max) = (-20, 8);
        let xs = grid_nodes(e_min, e_max);
        let ys: Vec<f64> = xs.iter().map(|x| (-0.5 * x).exp()).collect();
        let table = RadialTable::from_nodes(e_min, e_max, &ys, 1.0, Tail::Zero);
        let mut worst = 0f64;
        let mut worst_slope = 0f64;
        for i in 0..20_000 {
            let x = 10f64.powf(-7.0 + 9.3 * i as f64 / 20_000.0);
            let (v, s) = table.value_and_slope(x);
            worst = worst.max((v - (-0.5 * x).exp()).abs());
            worst_slope = worst_slope.max((s + 0.5 * (-0.5 * x).exp()).abs());
        }
        // A Gaussian is the steepest case in ln x: h⁴ f''''/384 ≈ 1.5e-8 near x = 8.
        assert!(worst < 2e-8, "worst value error {worst}");
        assert!(worst_slope < 1e-6, "worst slope error {worst_slope}");
        assert_eq!(table.value(0.0), 1.0);
        assert_eq!(table.value(1e6), 0.0);
    }

    #[test]
    fn nodes_are_reproduced_exactly() {
        let (e_min, e_max) = (-3, 3);
        let xs = grid_nodes(e_min, e_max);
        let ys: Vec<f64> = xs.iter().map(|x| 1.0 / (1.0 + x)).collect();
        let table = RadialTable::from_nodes(e_min, e_max, &ys, 1.0, Tail::PowerLaw(1.0));
        for (x, y) in xs.iter().zip(&ys).take(xs.len() - 1) {
            assert!((table.value(*x) - y).abs() < 1e-15);
        }
        // Power-law tail continuous at the end.
        let end = table.x_last();
        assert!((table.value(end * (1.0 + 1e-12)) - table.value_last()).abs() < 1e-10);
    }
}
