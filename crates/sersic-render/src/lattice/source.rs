//! The PSF × pixel × centring weights at the lattice points, computed on demand: what a
//! [`PsfGrid`](super::PsfGrid) stores, and what a one-off draw ([`draw_once`]) uses without storing.

use super::extent::Lattice;
use crate::params::Stamp;
use crate::psf_lattice::ImageLattice;
use crate::radial_table::RadialTable;
use crate::shear::QuadraticForm;
use rustfft::num_complex::Complex64;
use std::f64::consts::PI;
use std::sync::Arc;

/// sin(x)/x.
#[inline]
pub(crate) fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-4 {
        1.0 - x * x / 6.0
    } else {
        x.sin() / x
    }
}

/// Pixel response (if `pixel`) × centring phase along one axis for lattice indices -m..=m.
fn axis_factors(m: i64, dk: f64, scale: f64, shift: f64, pixel: bool) -> Vec<Complex64> {
    (-m..=m)
        .map(|i| {
            let k = i as f64 * dk;
            let response = if pixel { sinc(0.5 * k * scale) } else { 1.0 };
            Complex64::from_polar(response, k * shift)
        })
        .collect()
}

/// A PSF's transform as the lattice reads it: its radial table in (k·radius)² and that radius.
#[derive(Clone)]
pub(crate) struct PsfTransform {
    /// The table.
    pub(crate) table: Arc<RadialTable>,
    /// The PSF's scale radius, arcsec.
    pub(crate) radius: f64,
}

/// Where the PSF's values on the lattice come from.
#[derive(Clone)]
pub(crate) enum PsfSource {
    /// A circular analytic PSF's radial table (the pixel response is added).
    Radial(PsfTransform),
    /// A pixel image's transform on this lattice; `pixel`: whether to add the pixel response.
    Image {
        /// The transform.
        values: Arc<ImageLattice>,
        /// Add the pixel response (an optical PSF) or not (an effective one).
        pixel: bool,
    },
}

enum Values {
    /// The PSF at lattice point (a, b) of the quarter disc a, b >= 0, row a starting at `row_start[a]`.
    Quarter {
        quarter: Vec<f64>,
        row_start: Vec<usize>,
    },
    Image(Arc<ImageLattice>),
}

/// PSF × pixel × centring phase at any lattice point of a disc.
pub(super) struct WeightSource {
    pub(super) period: usize,
    pub(super) dk: f64,
    /// Lattice radius in units of dk, and its square.
    pub(super) m: i64,
    pub(super) r2: f64,
    /// Pixel response × phase along x and y for indices -m..=m.
    fx: Vec<Complex64>,
    fy: Vec<Complex64>,
    values: Values,
    norm: f64,
}

/// The PSF transform at lattice point (a, b).
fn psf_value(table: &RadialTable, radius: f64, dk: f64, a: i64, b: i64) -> f64 {
    let k2 = ((a * a + b * b) as f64) * dk * dk;
    table.value(k2 * radius * radius)
}

impl WeightSource {
    pub(super) fn new(stamp: &Stamp, lattice: Lattice, psf: &PsfSource) -> WeightSource {
        let Lattice { period, k_max } = lattice;
        let s = stamp.scale;
        let dk = 2.0 * PI / (period as f64 * s);
        let m = (k_max / dk).floor() as i64;
        let r2 = (k_max / dk).powi(2);
        // Stamp pixel c sits at FFT sample (c - W/2) mod N; its position relative to the profile centre is
        // (c - (W-1)/2)·s, so every mode carries the phase exp(i k·δ) with δ = (W/2 - (W-1)/2)·s (and the
        // same along y with H). A galaxy's own offset is applied per galaxy (super::shift).
        let centring = |side: usize| ((side / 2) as f64 - (side as f64 - 1.0) / 2.0) * s;
        let (values, pixel) = match psf {
            PsfSource::Radial(t) => (Values::quarter(t, dk, m, r2), true),
            PsfSource::Image { values, pixel } => (Values::Image(values.clone()), *pixel),
        };
        WeightSource {
            period,
            dk,
            m,
            r2,
            fx: axis_factors(m, dk, s, centring(stamp.width), pixel),
            fy: axis_factors(m, dk, s, centring(stamp.height), pixel),
            values,
            norm: 1.0 / (period as f64).powi(2),
        }
    }

    /// Calls `visit(i, fold_col, j_max, x_factor)` for each lattice column with a fold column in [0, N/2].
    pub(super) fn for_each_column(&self, mut visit: impl FnMut(i64, usize, i64, Complex64)) {
        let n = self.period as i64;
        for i in -self.m..=self.m {
            let fold_col = i.rem_euclid(n) as usize;
            if fold_col > self.period / 2 {
                continue;
            }
            let j_max = ((self.r2 - (i * i) as f64).max(0.0)).sqrt().floor() as i64;
            visit(
                i,
                fold_col,
                j_max,
                self.fx[(i + self.m) as usize] * self.norm,
            );
        }
    }

    /// The weights of column i (x factor `wx`) at j = -j_max..=j_max, pushed onto `out`.
    pub(super) fn push_column(&self, i: i64, wx: Complex64, j_max: i64, out: &mut Vec<Complex64>) {
        match &self.values {
            Values::Quarter { .. } => {
                let row = self.psf_row(i);
                out.extend((-j_max..=j_max).map(|j| self.weight(wx, row, j)));
            }
            Values::Image(values) => out.extend(
                (-j_max..=j_max).map(|j| wx * self.fy[(j + self.m) as usize] * values.value(i, j)),
            ),
        }
    }

    /// The radial PSF values of column i at |j| = 0, 1, …, j_max.
    #[inline]
    fn psf_row(&self, i: i64) -> &[f64] {
        let Values::Quarter { quarter, row_start } = &self.values else {
            unreachable!("psf_row is only called on a radial PSF's source");
        };
        let a = i.unsigned_abs() as usize;
        &quarter[row_start[a]..row_start[a + 1]]
    }

    /// The weight of lattice point (i, j) of a column with x factor `wx` and radial PSF row `row`.
    #[inline]
    fn weight(&self, wx: Complex64, row: &[f64], j: i64) -> Complex64 {
        wx * self.fy[(j + self.m) as usize] * row[j.unsigned_abs() as usize]
    }
}

impl Values {
    /// The radial PSF on the quarter disc of radius² r2 (in dk units).
    fn quarter(psf: &PsfTransform, dk: f64, m: i64, r2: f64) -> Values {
        // The PSF depends on i² + j² only: look it up once per point with a <= b and copy it to (b, a),
        // half the lookups of the quarter disc (an eighth of the disc's).
        let b_max = |a: i64| ((r2 - (a * a) as f64).max(0.0)).sqrt().floor() as i64;
        let mut row_start = Vec::with_capacity(m as usize + 2);
        let mut quarter = Vec::with_capacity((PI * r2 / 4.0 + 2.0 * m as f64 + 8.0) as usize);
        for a in 0..=m {
            row_start.push(quarter.len());
            for b in 0..=b_max(a) {
                // Row b < a is complete; rounding in the square roots could in principle leave (b, a)
                // outside it, then look the point up directly.
                let mirrored =
                    (b < a && a <= b_max(b)).then(|| quarter[row_start[b as usize] + a as usize]);
                quarter
                    .push(mirrored.unwrap_or_else(|| psf_value(&psf.table, psf.radius, dk, a, b)));
            }
        }
        row_start.push(quarter.len());
        Values::Quarter { quarter, row_start }
    }
}

/// Draws a galaxy (within radius `k_galaxy`) and the PSF alone (within `k_psf`) in one pass over a lattice
/// whose PSF weights are computed on the fly and never stored: for a PSF used by one image only, this saves
/// building, writing and re-reading a [`PsfGrid`](super::PsfGrid). The sums are the same, in the same
/// order, as building the grid followed by its `accumulate` and `accumulate_point`, so the images are bit
/// for bit those of the cached path. Radial PSFs only.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_once(
    stamp: &Stamp,
    lattice: Lattice,
    psf: PsfTransform,
    k_galaxy: f64,
    form: &QuadraticForm,
    profile: &RadialTable,
    galaxy_out: &mut [Complex64],
    psf_out: &mut [Complex64],
) {
    let n = lattice.period;
    let source = WeightSource::new(stamp, lattice, &PsfSource::Radial(psf));
    let dk = source.dk;
    let rg2 = (k_galaxy / dk).powi(2);
    source.for_each_column(|i, fold_col, j_max, wx| {
        let kx = i as f64 * dk;
        let (qa, qb, qc) = form.along_column(kx);
        let i2 = (i * i) as f64;
        // The galaxy's part of this column, as PsfGrid's column walk computes it (-1: none).
        let j_gal = if i2 > rg2 {
            -1
        } else {
            j_max.min((rg2 - i2).sqrt().floor() as i64)
        };
        let base = fold_col * n;
        let psf_row = source.psf_row(i);
        let mut row = (-j_max).rem_euclid(n as i64) as usize;
        let advance = |row: &mut usize| {
            *row += 1;
            if *row == n {
                *row = 0;
            }
        };
        // The column in three runs: PSF only, PSF and galaxy, PSF only.
        let (g_lo, g_hi) = if j_gal < 0 {
            (j_max + 1, j_max)
        } else {
            (-j_gal, j_gal)
        };
        for j in -j_max..g_lo.min(j_max + 1) {
            psf_out[base + row] += source.weight(wx, psf_row, j);
            advance(&mut row);
        }
        // ky advances by dk from the column's first galaxy point, exactly as in PsfGrid::accumulate.
        let mut ky = g_lo as f64 * dk;
        for j in g_lo..=g_hi {
            let w = source.weight(wx, psf_row, j);
            psf_out[base + row] += w;
            let x = (qa * ky + qb) * ky + qc;
            galaxy_out[base + row] += w * profile.value(x);
            ky += dk;
            advance(&mut row);
        }
        for j in (g_hi + 1).max(g_lo)..=j_max {
            psf_out[base + row] += source.weight(wx, psf_row, j);
            advance(&mut row);
        }
    });
}
