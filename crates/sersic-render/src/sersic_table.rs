//! The Sérsic Fourier transform for any index n, with no per-n set-up.
//!
//! GalSim tabulates the Hankel transform of each new n (about 50 ms), caching 100 of them. Here the unit
//! Sérsic transform F(n, q), q = k·hlr, is stored once for all n ∈ [0.3, 6.2]: on the octave grid of
//! [`crate::radial_table`] in x = q², and piecewise Chebyshev in n (a few segments, each with a polynomial of
//! modest degree). Drawing a galaxy of index n costs one dot product per grid node to get F(n, ·) on the grid
//! (and one more for ∂F/∂n), then a cubic spline: a few tens of microseconds for any n.
//!
//! The coefficients are generated offline by `cargo run --release -p xtask --bin
//! build_sersic_table` from direct Hankel transforms ([`crate::sersic::unit_sersic_kvalue_exact`]), which
//! also reports the table's interpolation error against fresh transforms at n values between the Chebyshev
//! nodes, and are embedded in the library. Because spline and Chebyshev interpolation are linear in the node
//! values, ∂F/∂n from the series is the exact n-derivative of the interpolated F: the renderer's Jacobian is
//! the derivative of the very image it draws.

use crate::paired_table::PairedSegments;
use crate::radial_table::{RadialTable, SplineGrid, Tail};
use std::f64::consts::PI;
use std::sync::OnceLock;

/// A Sérsic table file that cannot be read: what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct TableError(pub String);

const MAGIC: f64 = 5_385_251.0;
const VERSION: f64 = 1.0;

/// The embedded table (little-endian f64; see [`SersicTable::to_bytes`]).
static EMBEDDED: &[u8] = include_bytes!("../data/sersic_ft.bin");

/// F(n, q) for the unit-flux, unit-half-light-radius Sérsic profile, piecewise Chebyshev in n.
#[derive(Clone, Debug)]
pub struct SersicTable {
    e_min: i32,
    e_max: i32,
    degree: usize,
    /// Segment boundaries in n, increasing; segment s is [bounds[s], bounds[s+1]].
    bounds: Vec<f64>,
    /// coeffs[(s * nodes + j) * (degree + 1) + c]: Chebyshev coefficient c of node j in segment s.
    coeffs: Vec<f64>,
    /// The nodes' spline factors, shared by every n's tables.
    grid: SplineGrid,
}

/// F(n, ·) and optionally ∂F/∂n(n, ·) on the octave grid in x = (k·hlr)², ready for lookups.
#[derive(Clone, Debug)]
pub struct SersicTransform {
    /// The unit transform F(x), x = (k·hlr)².
    pub value: RadialTable,
    /// ∂F/∂n at fixed x, beside F's coefficients as the derivative loops read them (present when
    /// derivatives were asked for).
    pub d_dn: Option<PairedSegments>,
}

impl SersicTransform {
    /// F and its records with ∂F/∂n, for the derivative loops (`None` without derivatives).
    pub(crate) fn derivative_tables(&self) -> Option<crate::lattice::DerivativeTables<'_>> {
        Some(crate::lattice::DerivativeTables {
            value: &self.value,
            paired: self.d_dn.as_ref()?,
        })
    }
}

impl SersicTable {
    /// The table compiled into the library (decoded once, on first use).
    pub fn embedded() -> &'static SersicTable {
        static TABLE: OnceLock<SersicTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            SersicTable::from_bytes(EMBEDDED).expect("the embedded Sérsic table is valid")
        })
    }

    /// Number of grid nodes in x.
    pub fn nodes(&self) -> usize {
        self.grid.len()
    }

    /// The grid every n's tables are laid on.
    #[cfg(test)]
    pub(crate) fn grid(&self) -> &SplineGrid {
        &self.grid
    }

    /// The x positions of the grid nodes.
    pub fn node_positions(&self) -> Vec<f64> {
        self.grid.nodes().to_vec()
    }

    /// The range of n covered.
    pub fn n_range(&self) -> (f64, f64) {
        (self.bounds[0], *self.bounds.last().unwrap())
    }

    /// F(n, x_j) and, if `with_dn`, ∂F/∂n(n, x_j) at every grid node. `n` must lie in [`Self::n_range`].
    pub fn node_values(&self, n: f64, with_dn: bool) -> (Vec<f64>, Option<Vec<f64>>) {
        let (lo, hi) = self.n_range();
        assert!(
            (lo..=hi).contains(&n),
            "Sérsic index {n} outside the table's range [{lo}, {hi}]"
        );
        let s = self
            .bounds
            .windows(2)
            .position(|w| n <= w[1])
            .unwrap_or(self.bounds.len() - 2);
        let (a, b) = (self.bounds[s], self.bounds[s + 1]);
        let z = (2.0 * n - a - b) / (b - a);
        let d = self.degree + 1;
        // T_c(z) and dT_c/dn.
        let mut t = vec![0.0; d];
        let mut dt = vec![0.0; d];
        chebyshev_basis(z, &mut t, &mut dt);
        let dz_dn = 2.0 / (b - a);
        let nodes = self.nodes();
        let block = &self.coeffs[s * nodes * d..(s + 1) * nodes * d];
        let mut values = Vec::with_capacity(nodes);
        let mut dn = with_dn.then(|| Vec::with_capacity(nodes));
        match dn.as_mut() {
            Some(dn) => {
                // Both sums in one pass over the coefficients (each in the order `dot` takes).
                for row in block.chunks_exact(d) {
                    let (mut v, mut w) = (0.0, 0.0);
                    for ((c, a), b) in row.iter().zip(&t).zip(&dt) {
                        v += c * a;
                        w += c * b;
                    }
                    values.push(v);
                    dn.push(w * dz_dn);
                }
            }
            None => values.extend(block.chunks_exact(d).map(|row| dot(row, &t))),
        }
        (values, dn)
    }

    /// F ≡ 1 on the same grid (and a zero n derivative): a point source, the PSF alone, drawn as a
    /// profile with a zero quadratic form.
    pub fn constant_transform(&self) -> SersicTransform {
        let nodes = self.nodes();
        let (value, d_dn) = PairedSegments::on_grid(
            &self.grid,
            [&vec![1.0; nodes], &vec![0.0; nodes]],
            [1.0, 0.0],
            [Tail::PowerLaw(0.0), Tail::Zero],
        );
        SersicTransform {
            value,
            d_dn: Some(d_dn),
        }
    }

    /// The lookup tables of F (and ∂F/∂n if `with_dn`) for index n.
    pub fn transform(&self, n: f64, with_dn: bool) -> SersicTransform {
        let (values, dn) = self.node_values(n, with_dn);
        // Large-k asymptote of the Sérsic transform: F ∝ q^(-2-1/n) = x^(-1-1/(2n)).
        let tail = Tail::PowerLaw(1.0 + 0.5 / n);
        match dn {
            Some(dn) => {
                let (value, d_dn) =
                    PairedSegments::on_grid(&self.grid, [&values, &dn], [1.0, 0.0], [tail; 2]);
                SersicTransform {
                    value,
                    d_dn: Some(d_dn),
                }
            }
            None => SersicTransform {
                value: RadialTable::on_grid(&self.grid, &values, 1.0, tail),
                d_dn: None,
            },
        }
    }

    /// Builds the table from exact transforms: `exact(n, q)` at the Chebyshev nodes of every segment.
    /// `progress` is called with the number of n values done out of the total.
    pub fn generate(
        bounds: &[f64],
        degree: usize,
        e_min: i32,
        e_max: i32,
        exact: impl Fn(f64, f64) -> f64 + Sync,
        progress: impl Fn(usize, usize) + Sync,
    ) -> SersicTable {
        use rayon::prelude::*;
        let grid = SplineGrid::new(e_min, e_max);
        let xs = grid.nodes();
        let d = degree + 1;
        let segments = bounds.len() - 1;
        let jobs: Vec<(usize, usize)> = (0..segments)
            .flat_map(|s| (0..d).map(move |m| (s, m)))
            .collect();
        let done = std::sync::atomic::AtomicUsize::new(0);
        // values[s][m][j] = F(n_{s,m}, x_j)
        let values: Vec<Vec<f64>> = jobs
            .par_iter()
            .map(|&(s, m)| {
                let (a, b) = (bounds[s], bounds[s + 1]);
                let z = (PI * (m as f64 + 0.5) / d as f64).cos();
                let n = 0.5 * (a + b) + 0.5 * (b - a) * z;
                let row = xs.iter().map(|x| exact(n, x.sqrt())).collect();
                let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(k, jobs.len());
                row
            })
            .collect();
        let nodes = xs.len();
        let mut coeffs = vec![0.0; segments * nodes * d];
        for s in 0..segments {
            for j in 0..nodes {
                for c in 0..d {
                    let mut sum = 0.0;
                    for m in 0..d {
                        sum += values[s * d + m][j]
                            * (PI * c as f64 * (m as f64 + 0.5) / d as f64).cos();
                    }
                    let scale = if c == 0 { 1.0 } else { 2.0 };
                    coeffs[(s * nodes + j) * d + c] = scale * sum / d as f64;
                }
            }
        }
        SersicTable {
            e_min,
            e_max,
            degree,
            bounds: bounds.to_vec(),
            coeffs,
            grid,
        }
    }

    /// Serialises the table: header (magic, version, e_min, e_max, segments, degree), the segment bounds,
    /// then the coefficients, all little-endian f64.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut words = vec![
            MAGIC,
            VERSION,
            self.e_min as f64,
            self.e_max as f64,
            (self.bounds.len() - 1) as f64,
            self.degree as f64,
        ];
        words.extend_from_slice(&self.bounds);
        words.extend_from_slice(&self.coeffs);
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Reads a table written by [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<SersicTable, TableError> {
        Self::parse(bytes).map_err(TableError)
    }

    fn parse(bytes: &[u8]) -> Result<SersicTable, String> {
        if !bytes.len().is_multiple_of(8) || bytes.len() < 48 {
            return Err("Sérsic table: truncated file".into());
        }
        let words: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8-byte chunk")))
            .collect();
        if words[0] != MAGIC || words[1] != VERSION {
            return Err("Sérsic table: wrong magic number or version".into());
        }
        let (e_min, e_max) = (words[2] as i32, words[3] as i32);
        let segments = words[4] as usize;
        let degree = words[5] as usize;
        let bounds = words[6..7 + segments].to_vec();
        let grid = SplineGrid::new(e_min, e_max);
        let nodes = grid.len();
        let coeffs = words[7 + segments..].to_vec();
        if coeffs.len() != segments * nodes * (degree + 1) {
            return Err(format!(
                "Sérsic table: expected {} coefficients, found {}",
                segments * nodes * (degree + 1),
                coeffs.len()
            ));
        }
        Ok(SersicTable {
            e_min,
            e_max,
            degree,
            bounds,
            coeffs,
            grid,
        })
    }
}

/// T_c(z) and T_c'(z) for c = 0..t.len().
fn chebyshev_basis(z: f64, t: &mut [f64], dt: &mut [f64]) {
    let d = t.len();
    t[0] = 1.0;
    dt[0] = 0.0;
    if d > 1 {
        t[1] = z;
        dt[1] = 1.0;
    }
    for c in 2..d {
        t[c] = 2.0 * z * t[c - 1] - t[c - 2];
        dt[c] = 2.0 * t[c - 1] + 2.0 * z * dt[c - 1] - dt[c - 2];
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sersic::unit_sersic_kvalue_exact;

    #[test]
    fn embedded_table_matches_direct_transforms_between_its_nodes() {
        let table = SersicTable::embedded();
        assert_eq!(table.n_range(), (0.3, 6.2));
        let xs = table.node_positions();
        // n values off the Chebyshev nodes, every 37th grid node.
        for n in [0.3, 0.4321, 0.9876, 1.5, 2.7654, 4.4444, 6.2] {
            let (values, _) = table.node_values(n, false);
            for j in (0..xs.len()).step_by(37) {
                let exact = unit_sersic_kvalue_exact(n, xs[j].sqrt());
                assert!(
                    (values[j] - exact).abs() < 1e-9,
                    "n={n} q={}: {} vs {exact}",
                    xs[j].sqrt(),
                    values[j]
                );
            }
        }
    }

    #[test]
    fn n_derivative_matches_finite_differences_of_the_table() {
        let table = SersicTable::embedded();
        let h = 1e-5;
        for n in [0.35, 1.0, 3.0, 6.1] {
            let (_, dn) = table.node_values(n, true);
            let dn = dn.unwrap();
            let (up, _) = table.node_values(n + h, false);
            let (down, _) = table.node_values(n - h, false);
            for j in (0..dn.len()).step_by(50) {
                let fd = (up[j] - down[j]) / (2.0 * h);
                assert!(
                    (fd - dn[j]).abs() < 1e-7,
                    "n={n} node {j}: {fd} vs {}",
                    dn[j]
                );
            }
        }
    }

    #[test]
    fn serialisation_round_trips_and_rejects_garbage() {
        let table = SersicTable::embedded();
        let again = SersicTable::from_bytes(&table.to_bytes()).unwrap();
        assert_eq!(
            again.node_values(2.0, false).0,
            table.node_values(2.0, false).0
        );
        assert!(SersicTable::from_bytes(&[0u8; 80]).is_err());
        assert!(SersicTable::from_bytes(&[0u8; 7]).is_err());
    }
}
