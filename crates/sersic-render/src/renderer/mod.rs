//! How a galaxy is drawn: the [`Renderer`] owns the accuracy settings and the caches (FFT plans, PSF tables,
//! PSF lattices), and turns a [`GalaxyParams`] and a [`Psf`] into a stamp and, on request, its Jacobian.
//!
//! Per galaxy it (1) evaluates the Sérsic table at n, (2) picks the real-space period N from the wings of the
//! galaxy and the PSF, and the k-space radius from the tail of |F_gal · PSF · pixel| (both against
//! [`Accuracy`]), (3) sums F_gal(|S k|·hlr) times the cached PSF weights over the lattice disc, folded, with
//! the phase of the galaxy's offset, and (4) inverse-transforms the rows of the stamp. See
//! docs/rendering.md for the accuracy this reaches.

mod adjoint;
mod discrete_draw;
mod grids;
pub(crate) mod model;
mod sizing;

use crate::fft::{kept_stride, FftPlans};
use crate::lanes;
use crate::lattice::{self, ColumnSink, Lattice, PsfEnvelope, PsfGrid, PsfTransform, Shift};
use crate::params::{GalaxyParams, ParamError, Stamp};
use crate::psf::{Psf, PsfError};
use crate::radial_table::RadialTable;
use crate::sersic_table::{SersicTable, SersicTransform};
use ndarray::{Array2, Array3};
use rayon::prelude::*;
use rustfft::num_complex::Complex64;
use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::{Arc, Mutex};

/// Accuracy settings (the analogue of GalSim's GSParams). Both are per-pixel error budgets as fractions of
/// the total flux. The defaults keep every pixel of GalSim's reference renders within 1.6e-5 of the peak
/// (median 8e-6), against GalSim's own defaults' 2.2e-4 (median 6e-5); 1e-8 for both reaches 1e-6 at five
/// times the cost (docs/rendering.md).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
    /// Largest flux fraction per pixel allowed to wrap round from neighbouring periods (sets the period N).
    pub fold_tolerance: f64,
    /// Largest flux fraction per pixel allowed in the k-space tail left out (sets the lattice radius).
    pub k_tolerance: f64,
    /// Largest lattice radius, in units of the pixel Nyquist frequency π/scale.
    pub max_k_nyquist: f64,
}

impl Default for Accuracy {
    fn default() -> Self {
        Accuracy {
            fold_tolerance: 1e-7,
            k_tolerance: 1e-6,
            max_k_nyquist: 8.0,
        }
    }
}

/// Why an image could not be drawn.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// Bad galaxy parameter or stamp.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Bad PSF parameter.
    #[error(transparent)]
    Psf(#[from] PsfError),
    /// Bad offset.
    #[error("offset must be finite, got ({0}, {1})")]
    Offset(f64, f64),
    /// Bad point-source flux.
    #[error("a point source's flux must be finite, got {0}")]
    PointFlux(f64),
    /// Weights for [`Renderer::jacobian_dot`] of another shape than the stamp.
    #[error("weights of {got_height} x {got_width} pixels for a stamp of {height} x {width} (rows x columns)")]
    WeightsShape {
        /// The stamp's rows.
        height: usize,
        /// The stamp's columns.
        width: usize,
        /// The weights' rows.
        got_height: usize,
        /// The weights' columns.
        got_width: usize,
    },
    /// A model discrete convolution cannot draw.
    #[error(transparent)]
    Discrete(#[from] crate::discrete::DiscreteError),
}

/// An image and its derivatives with respect to (flux, n, hlr, g1, g2) and, when asked for, the centre
/// offset (dx, dy) in pixels.
#[derive(Clone, Debug)]
pub struct ImageWithJacobian {
    /// The image, [height, width].
    pub image: Array2<f64>,
    /// ∂image/∂θ, [5 or 7, height, width], θ in [`crate::PARAM_NAMES`] or
    /// [`crate::PARAM_NAMES_WITH_CENTRE`] order.
    pub jacobian: Array3<f64>,
}

thread_local! {
    /// Planes of column-transformed grids, reused by the draws on this thread: seven of them for a
    /// Jacobian are half a megabyte, which a fresh allocation per draw pays for in page faults.
    static PLANES: std::cell::RefCell<Vec<Vec<Complex64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// ∂x/∂g1 and ∂x/∂g2 for x = hlr²·|Sk|², the quadratic forms of a galaxy's shear planes.
fn shape_forms(galaxy: &GalaxyParams) -> [crate::shear::QuadraticForm; 2] {
    let hlr2 = galaxy.half_light_radius.powi(2);
    let (dg1, dg2) = galaxy.shear().k_form_derivatives();
    [dg1.scaled(hlr2), dg2.scaled(hlr2)]
}

/// The real factor each of the seven planes' sums is drawn with. ∂image/∂flux is the unit-flux image (the
/// image is that times the flux, so flux = 0 works too); x = hlr²·|Sk|², so ∂x/∂hlr = 2x/hlr and plane 2
/// holds Σ F'·x; the centre's planes also carry the column factor −i·s.
fn plane_factors(flux: f64, half_light_radius: f64) -> [f64; 7] {
    [
        1.0,
        flux,
        2.0 * flux / half_light_radius,
        flux,
        flux,
        flux,
        flux,
    ]
}

/// The complex unit: a column factor that changes nothing.
const ONE: Complex64 = Complex64::new(1.0, 0.0);

/// One image to draw by [`Renderer::render_each`]: a galaxy (`None`: the PSF alone), its PSF and its centre
/// offset in pixels.
pub type RenderJob = (Option<GalaxyParams>, Psf, [f64; 2]);

/// Draws Sérsic ⊗ PSF ⊗ pixel stamps; cheap to share between threads (`&Renderer` is `Sync`).
pub struct Renderer {
    stamp: Stamp,
    accuracy: Accuracy,
    table: &'static SersicTable,
    plans: Mutex<HashMap<usize, Arc<FftPlans>>>,
    psf_tables: Mutex<Vec<([u64; 3], Arc<RadialTable>)>>,
    /// Most recently used first.
    grids: Mutex<Vec<(grids::GridKey, Arc<PsfGrid>)>>,
    /// How models meet the PSF ([`Self::with_convolution`]).
    convolution: crate::discrete::Convolution,
    /// The last PSF image's kernel for discrete convolution, under its key.
    discrete: Mutex<Option<(u64, Arc<crate::discrete::Kernel>)>>,
}

impl Renderer {
    /// A renderer for stamps of the given geometry, default accuracy.
    pub fn new(stamp: Stamp) -> Result<Self, RenderError> {
        Self::with_accuracy(stamp, Accuracy::default())
    }

    /// A renderer with explicit accuracy settings.
    pub fn with_accuracy(stamp: Stamp, accuracy: Accuracy) -> Result<Self, RenderError> {
        stamp.validate()?;
        Ok(Renderer {
            stamp,
            accuracy,
            table: SersicTable::embedded(),
            plans: Mutex::new(HashMap::new()),
            psf_tables: Mutex::new(Vec::new()),
            grids: Mutex::new(Vec::new()),
            convolution: crate::discrete::Convolution::Continuous,
            discrete: Mutex::new(None),
        })
    }

    /// This renderer drawing models ([`Self::render_model`], [`Self::render_model_with_jacobian`]) by
    /// `convolution`: [`crate::Convolution::Discrete`] draws Imfit's and GALFIT's model, for comparisons with
    /// them. Single-profile draws are always continuous.
    pub fn with_convolution(mut self, convolution: crate::discrete::Convolution) -> Self {
        self.convolution = convolution;
        self
    }

    /// How this renderer draws models.
    pub fn convolution(&self) -> crate::discrete::Convolution {
        self.convolution
    }

    /// The stamp geometry.
    pub fn stamp(&self) -> Stamp {
        self.stamp
    }

    /// Draws the galaxy convolved with the PSF (and the pixel, unless the PSF is an effective pixel
    /// image), centred on the stamp's true centre.
    pub fn render(&self, galaxy: &GalaxyParams, psf: &Psf) -> Result<Array2<f64>, RenderError> {
        self.render_offset(galaxy, psf, [0.0, 0.0])
    }

    /// Like [`Self::render`] with the profile's centre moved by `offset` = (dx, dy) pixels from the
    /// stamp's true centre (GalSim's `drawImage(offset=(dx, dy))`: dx along a row, dy down the rows).
    pub fn render_offset(
        &self,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
    ) -> Result<Array2<f64>, RenderError> {
        self.render_on(None, galaxy, psf, offset)
    }

    /// Draws on a given lattice (`None`: the one [`Self::lattice_for`] picks), with an offset in pixels.
    pub fn render_on(
        &self,
        lattice: Option<Lattice>,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
    ) -> Result<Array2<f64>, RenderError> {
        let plan = self.plan(galaxy, psf, offset, false, lattice)?;
        let shift = plan.shift.as_ref();
        let planes = self.columns(plan.grid.period, &[ONE], &[], &mut |sink| {
            plan.grid
                .accumulate(plan.k, &plan.form, &plan.transform.value, shift, sink)
        });
        let image = self.rows(plan.grid.period, &planes[0], galaxy.flux);
        Self::recycle(planes);
        Ok(image)
    }

    /// The image and its exact Jacobian with respect to (flux, n, hlr, g1, g2).
    pub fn render_with_jacobian(
        &self,
        galaxy: &GalaxyParams,
        psf: &Psf,
    ) -> Result<ImageWithJacobian, RenderError> {
        self.render_with_jacobian_offset(galaxy, psf, [0.0, 0.0])
    }

    /// [`Self::render_with_jacobian`] with an offset (see [`Self::render_offset`]).
    pub fn render_with_jacobian_offset(
        &self,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
    ) -> Result<ImageWithJacobian, RenderError> {
        self.render_with_jacobian_on(None, galaxy, psf, offset)
    }

    /// [`Self::render_with_jacobian`] on a given lattice (`None`: the one [`Self::lattice_for`] picks).
    pub fn render_with_jacobian_on(
        &self,
        lattice: Option<Lattice>,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
    ) -> Result<ImageWithJacobian, RenderError> {
        self.jacobian(lattice, galaxy, psf, offset, false)
    }

    /// The image at an offset and its exact Jacobian with respect to the seven parameters
    /// [`crate::PARAM_NAMES_WITH_CENTRE`]: (flux, n, hlr, g1, g2) and the offset (dx, dy) in pixels, on a
    /// given lattice (`None`: the one [`Self::lattice_for_offset`] picks).
    pub fn render_with_centre_jacobian(
        &self,
        lattice: Option<Lattice>,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
    ) -> Result<ImageWithJacobian, RenderError> {
        self.jacobian(lattice, galaxy, psf, offset, true)
    }

    fn jacobian(
        &self,
        lattice: Option<Lattice>,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
        centre: bool,
    ) -> Result<ImageWithJacobian, RenderError> {
        let plan = self.plan(galaxy, psf, offset, true, lattice)?;
        let [dg1, dg2] = shape_forms(galaxy);
        Ok(self.draw_jacobian(
            &plan,
            [&dg1, &dg2],
            galaxy.flux,
            galaxy.half_light_radius,
            centre,
        ))
    }

    /// The image and its 5 or 7 Jacobian planes from a plan (`shear_forms`: ∂form/∂g1, ∂form/∂g2).
    fn draw_jacobian(
        &self,
        plan: &DrawPlan,
        shear_forms: [&crate::shear::QuadraticForm; 2],
        flux: f64,
        half_light_radius: f64,
        centre: bool,
    ) -> ImageWithJacobian {
        let outputs = if centre { 7 } else { 5 };
        let planes: Vec<usize> = (0..outputs).collect();
        self.draw_jacobian_planes(plan, shear_forms, flux, half_light_radius, &planes)
    }

    /// [`Self::draw_jacobian`] with the centre's planes, keeping only the Jacobian planes `wanted` (in
    /// increasing order; 0 flux, 1 n, 2 hlr, 3 g1, 4 g2, 5 dx, 6 dy): the others are summed but neither
    /// transformed nor drawn (a point source needs only 0, 5 and 6).
    pub(super) fn draw_jacobian_planes(
        &self,
        plan: &DrawPlan,
        [dg1, dg2]: [&crate::shear::QuadraticForm; 2],
        flux: f64,
        half_light_radius: f64,
        wanted: &[usize],
    ) -> ImageWithJacobian {
        let outputs = if wanted.iter().any(|&p| p >= 5) { 7 } else { 5 };
        let skipped: Vec<usize> = (0..outputs).filter(|p| !wanted.contains(p)).collect();
        // Moving the centre by dx pixels multiplies every mode by e^{−i kx dx s}: the derivative is
        // −i s Σ kx (...), and the centre's sums are Σ kx (...).
        let minus_i_s = Complex64::new(0.0, -self.stamp.scale);
        let column_factors = [ONE, ONE, ONE, ONE, ONE, minus_i_s, minus_i_s];
        let shift = plan.shift.as_ref();
        let planes = self.columns(
            plan.grid.period,
            &column_factors[..outputs],
            &skipped,
            &mut |sink| {
                plan.grid.accumulate_with_derivatives(
                    plan.k,
                    &plan.form,
                    dg1,
                    dg2,
                    plan.transform
                        .derivative_tables()
                        .expect("derivative tables requested"),
                    shift,
                    outputs,
                    sink,
                )
            },
        );
        let (height, width) = self.stamp.dim();
        let fft = self.fft_plans(plan.grid.period);
        let mut values = Vec::with_capacity(wanted.len() * height * width);
        let factors = plane_factors(flux, half_light_radius);
        // Each plane appended in turn: no zeroed array to write over (seven planes are 230 kB).
        for &p in wanted {
            fft.rows_onto(&planes[p], (width, height), factors[p], &mut values);
        }
        let jacobian = Array3::from_shape_vec((wanted.len(), height, width), values)
            .expect("one stamp per wanted plane");
        Self::recycle(planes);
        debug_assert_eq!(
            wanted.first(),
            Some(&0),
            "plane 0 (the unit-flux image) comes first"
        );
        let image = jacobian.index_axis(ndarray::Axis(0), 0).mapv(|v| v * flux);
        ImageWithJacobian { image, jacobian }
    }

    /// Draws the PSF alone (unit flux, convolved with the pixel unless it is an effective image), centred
    /// on the stamp's true centre.
    pub fn render_psf(&self, psf: &Psf) -> Result<Array2<f64>, RenderError> {
        let psf = psf.clone().validated()?;
        let period = self.choose_period(None, &psf, [0.0, 0.0]);
        let grid = self.psf_grid(&psf, period);
        let mut cells = vec![Complex64::default(); period * (period / 2 + 1)];
        grid.accumulate_point(grid.k_max, &mut cells);
        Ok(self.finish(grid.period, &mut cells, 1.0))
    }

    /// Draws the galaxy (like [`Self::render`]) and, on the same lattice and PSF grid, the PSF alone (like
    /// [`Self::render_psf`]): what a simulation whose PSF changes every image needs, for about the price of
    /// the galaxy alone.
    pub fn render_with_psf_image(
        &self,
        galaxy: &GalaxyParams,
        psf: &Psf,
    ) -> Result<(Array2<f64>, Array2<f64>), RenderError> {
        galaxy.validate()?;
        let psf = psf.clone().validated()?;
        let period = self.choose_period(Some(galaxy), &psf, [0.0, 0.0]);
        let cells = period * (period / 2 + 1);
        let mut galaxy_cells = vec![Complex64::default(); cells];
        let mut psf_cells = vec![Complex64::default(); cells];
        let cached = self.cached_psf_grid(&psf, period);
        if cached.is_some() || psf.as_image().is_some() {
            // A pixel PSF's transform is computed on its grid: build (and cache) it.
            let plan = self.plan(galaxy, &psf, [0.0, 0.0], false, None)?;
            let grid = &plan.grid;
            let planes = self.columns(period, &[ONE], &[], &mut |sink| {
                grid.accumulate(plan.k, &plan.form, &plan.transform.value, None, sink)
            });
            grid.accumulate_point(grid.k_max, &mut psf_cells);
            let image = self.rows(period, &planes[0], galaxy.flux);
            Self::recycle(planes);
            let psf_image = self.finish(period, &mut psf_cells, 1.0);
            return Ok((image, psf_image));
        } else {
            // A PSF not seen before is most likely used once (a PSF that varies image to image): draw
            // without building and caching its grid. Same sums, same order, same bits.
            let table = self.psf_table(&psf);
            let k_psf = self.psf_k_max(&psf, &table);
            let dk = 2.0 * PI / (period as f64 * self.stamp.scale);
            let transform = self.table.transform(galaxy.sersic_index, false);
            let psf = PsfTransform {
                table,
                radius: psf.scale_radius(),
            };
            let envelope = PsfEnvelope::Radial(psf.clone());
            let k_galaxy =
                self.galaxy_k_max(galaxy, &envelope, (dk, k_psf), &transform.value, true);
            let form = galaxy
                .shear()
                .k_form()
                .scaled(galaxy.half_light_radius.powi(2));
            lattice::draw_once(
                &self.stamp,
                Lattice {
                    period,
                    k_max: k_psf,
                },
                psf,
                k_galaxy,
                &form,
                &transform.value,
                &mut galaxy_cells,
                &mut psf_cells,
            );
        }
        let image = self.finish(period, &mut galaxy_cells, galaxy.flux);
        let psf_image = self.finish(period, &mut psf_cells, 1.0);
        Ok((image, psf_image))
    }

    /// Draws many galaxies with one PSF in parallel (rayon), in order.
    pub fn render_batch(
        &self,
        galaxies: &[GalaxyParams],
        psf: &Psf,
    ) -> Result<Vec<Array2<f64>>, RenderError> {
        galaxies.par_iter().map(|g| self.render(g, psf)).collect()
    }

    /// Draws many (galaxy, PSF) pairs in parallel, in order.
    pub fn render_pairs(
        &self,
        items: &[(GalaxyParams, Psf)],
    ) -> Result<Vec<Array2<f64>>, RenderError> {
        items.par_iter().map(|(g, p)| self.render(g, p)).collect()
    }

    /// Draws every (galaxy, PSF, offset) in parallel (rayon), in order, calling `done` after each; a `None`
    /// galaxy draws the PSF alone (at the stamp's centre).
    pub fn render_each(
        &self,
        items: &[RenderJob],
        done: &(dyn Fn() + Sync),
    ) -> Result<Vec<Array2<f64>>, RenderError> {
        items
            .par_iter()
            .map(|(g, psf, offset)| {
                let image = match g {
                    Some(g) => self.render_offset(g, psf, *offset),
                    None => self.render_psf(psf),
                };
                done();
                image
            })
            .collect()
    }

    /// The lattice this galaxy would be drawn on with this PSF, at the stamp's centre.
    pub fn lattice_for(&self, galaxy: &GalaxyParams, psf: &Psf) -> Result<Lattice, RenderError> {
        self.lattice_for_offset(galaxy, psf, [0.0, 0.0])
    }

    /// The lattice this galaxy would be drawn on with this PSF at this offset (pixels).
    pub fn lattice_for_offset(
        &self,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
    ) -> Result<Lattice, RenderError> {
        let plan = self.plan(galaxy, psf, offset, false, None)?;
        Ok(Lattice {
            period: plan.grid.period,
            k_max: plan.k,
        })
    }

    /// Number of k-lattice points summed on a lattice (for diagnostics and docs).
    pub fn lattice_points(&self, lattice: &Lattice, psf: &Psf) -> Result<usize, RenderError> {
        let psf = psf.clone().validated()?;
        let grid = self.psf_grid(&psf, lattice.period);
        Ok(grid.points_within(lattice.k_max))
    }

    /// Runs `fill` with a sink that finishes each fold column of each output — its factor (one per
    /// output), then the column FFT — and stores the stamp's rows of it in that output's plane; returns
    /// the planes (the N/2 + 1 fold columns' H stamp rows, as [`FftPlans::keep_column`] lays them),
    /// ready for [`Self::rows`].
    fn columns(
        &self,
        period: usize,
        factors: &[Complex64],
        skipped: &[usize],
        fill: &mut dyn FnMut(&mut ColumnSink<'_>),
    ) -> Vec<Vec<Complex64>> {
        let fft = self.fft_plans(period);
        let mut scratch = fft.column_scratch();
        // Only the stamp's rows of each transformed column are kept: rows y = (r − H/2) mod N for
        // r = 0..H, i.e. the period's last H/2 rows, then its first H − H/2.
        let height = self.stamp.height;
        let (half, stride) = (period / 2 + 1, kept_stride(height));
        // Every kept cell of every plane not skipped is written below, so recycled planes need no clearing
        // (a skipped plane, and the padding between kept columns, are left as they were, and not read).
        let mut pool = PLANES.take();
        let planes_needed = factors.len();
        let mut planes: Vec<Vec<Complex64>> = (0..planes_needed)
            .map(|_| {
                let mut plane = pool.pop().unwrap_or_default();
                plane.resize(half * stride, Complex64::default());
                plane
            })
            .collect();
        PLANES.set(pool);
        fill(&mut |fold_col, buffers, copies| {
            for (output, ((buffer, plane), &factor)) in
                buffers.iter_mut().zip(&mut planes).zip(factors).enumerate()
            {
                if copies.iter().any(|c| c.0 == output) || skipped.contains(&output) {
                    continue;
                }
                fft.inverse_column(buffer, &mut scratch);
                // The factor after the transform (it is linear), on the H kept rows rather than N.
                fft.keep_column(buffer, fold_col, plane, height, factor);
            }
            // A copy's sums were the source's times `scale`, before both got their factors.
            for &(output, source, scale) in copies.iter().filter(|c| !skipped.contains(&c.0)) {
                let ratio = factors[output] / factors[source] * scale;
                let ratio = lanes::ComplexFactor::new(lanes::load(&ratio));
                let (lo, hi) = planes.split_at_mut(output);
                let at = fold_col * stride;
                ratio.scale(&mut hi[0][at..at + height], &lo[source][at..at + height]);
            }
        });
        planes
    }

    /// Gives planes from [`Self::columns`] back to this thread's pool.
    fn recycle(planes: Vec<Vec<Complex64>>) {
        PLANES.with_borrow_mut(|pool| pool.extend(planes));
    }

    /// The stamp from a plane of [`Self::columns`], times `factor`.
    fn rows(&self, period: usize, plane: &[Complex64], factor: f64) -> Array2<f64> {
        let (height, width) = self.stamp.dim();
        let mut out = Vec::new();
        self.fft_plans(period)
            .rows_onto(plane, (width, height), factor, &mut out);
        Array2::from_shape_vec((height, width), out)
            .expect("stamp buffer has width x height pixels")
    }

    fn finish(&self, period: usize, cells: &mut [Complex64], factor: f64) -> Array2<f64> {
        let (height, width) = self.stamp.dim();
        let mut out = Vec::new();
        self.fft_plans(period)
            .to_stamp(cells, (width, height), factor, &mut out);
        Array2::from_shape_vec((height, width), out)
            .expect("stamp buffer has width x height pixels")
    }

    fn plan(
        &self,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
        with_dn: bool,
        lattice: Option<Lattice>,
    ) -> Result<DrawPlan, RenderError> {
        galaxy.validate()?;
        psf.clone().validated()?;
        if !(offset[0].is_finite() && offset[1].is_finite()) {
            return Err(RenderError::Offset(offset[0], offset[1]));
        }
        let period = match lattice {
            Some(l) if l.period >= self.stamp.longest_side() + 2 && l.period % 2 == 0 => l.period,
            _ => self.choose_period(Some(galaxy), psf, offset),
        };
        let grid = self.psf_grid(psf, period);
        let transform = self.table.transform(galaxy.sersic_index, with_dn);
        let k = match lattice {
            Some(l) if l.k_max.is_finite() && l.k_max > 0.0 => l.k_max.min(grid.k_max),
            _ => self.galaxy_k_max(
                galaxy,
                &grid.envelope,
                (grid.dk, grid.k_max),
                &transform.value,
                psf.adds_pixel(),
            ),
        };
        let form = galaxy
            .shear()
            .k_form()
            .scaled(galaxy.half_light_radius.powi(2));
        let shift = Shift::new(offset, period, (grid.k_max / grid.dk).floor() as i64 + 1);
        Ok(DrawPlan {
            grid,
            transform,
            k,
            form,
            shift,
        })
    }
}

pub(crate) struct DrawPlan {
    grid: Arc<PsfGrid>,
    transform: SersicTransform,
    k: f64,
    form: crate::shear::QuadraticForm,
    shift: Option<Shift>,
}
