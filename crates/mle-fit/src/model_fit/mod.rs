//! Maximum-likelihood fits of models of several components — bulge + disk, a nucleus, a sky — through one
//! PSF, sharing one centre unless a component has its own ([`ModelSpec`]).
//!
//! The starts come from the image: a single-Sérsic fit ([`crate::fit_image`]) is split between the
//! components by its index n (the more concentrated component takes the larger share the higher n is), and
//! a few other splits are scouted; the best continues. Errors are sqrt(diag F⁻¹) of the free parameters.
//! A Fisher matrix that is near singular (a bulge with no flux has no size or shape; two components can
//! trade places) is reported, not hidden: [`ModelFitResult::degenerate`] names the parameters involved and
//! their errors are infinite.

mod problem;
pub mod spec;

pub use problem::{Layout, ModelNll, ScaledModelNll, Slot, INSIDE_SIGMA};
pub use spec::{ComponentKind, ComponentSpec, ModelSpec, ParamSpec, SHORTHANDS};

use ndarray::{Array2, ArrayView2};
use noise_model::PixelNoise;
use sersic_render::sersic::{N_MAX, N_MIN};
use sersic_render::{Lattice, ModelPart, Psf, Renderer};

use crate::error::FitError;
use crate::image_fit::{
    fit_image, image_start, model_change, ImageFitOptions, MAX_PERIOD_DOUBLINGS, WRAP_MOVE,
};
use crate::solve::{self, unit_box_hessian, Run, RunSettings};
use crate::unit_box::from_unit;

/// How a model is fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFitOptions {
    /// The single-Sérsic fit the starts come from (its `fit_sky` follows the model's sky component).
    pub single: ImageFitOptions,
    /// Shares of the flux given to the most concentrated component, tried besides the split by n.
    pub bulge_fractions: Vec<f64>,
    /// Iterations of each start before the best continues.
    pub scout_iterations: u64,
    /// Iteration cap of the final run.
    pub max_iterations: u64,
    /// Convergence: largest projected-gradient component, NLL units per unit-box width.
    pub pg_tolerance: f64,
    /// The smallest eigenvalue of the Fisher matrix's correlation form below which the model is called
    /// degenerate.
    pub degeneracy_threshold: f64,
    /// Priors beyond those the model file sets; none by default (maximum likelihood).
    pub priors: Priors,
}

/// Priors a fit can add to every model, turning the maximum-likelihood estimate into the posterior's
/// maximum where the image cannot decide: where it constrains a parameter they move it by little.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Priors {
    /// A zero-mean Gaussian prior of this sigma on every component's g1 and g2 (where the model sets no
    /// prior of its own): a shape the image cannot constrain (an unresolved bulge, a faint disk) stays
    /// near round instead of running to the box's edge.
    pub shape: Option<f64>,
    /// The bulge (the model's most concentrated extended component) no larger than each other extended
    /// component:
    /// a one-sided Gaussian prior of width [`INSIDE_SIGMA`] on ln(bulge radius / other radius) above 0, so
    /// that at low signal-to-noise the components cannot trade roles (a large, flat "bulge" under a small
    /// "disk").
    pub bulge_inside: bool,
}

impl Priors {
    /// Checks what the priors need of `spec`: a positive, finite shape sigma, and for the bulge-inside
    /// prior two components with a size (a point source or a sky has none).
    pub fn validate(&self, spec: &ModelSpec) -> Result<(), FitError> {
        if let Some(sigma) = self.shape {
            if !(sigma.is_finite() && sigma > 0.0) {
                return Err(FitError::BadInput(format!(
                    "the shape prior's sigma must be positive and finite (got {sigma})"
                )));
            }
        }
        let sized = spec.components.iter().filter(|c| c.kind.has_size()).count();
        if self.bulge_inside && sized < 2 {
            return Err(FitError::BadInput(format!(
                "the bulge-inside prior holds a bulge inside another component with a size, and the \
                 model has {sized} (a Sérsic, exponential or de Vaucouleurs component; points and skies \
                 have no size)"
            )));
        }
        Ok(())
    }
}

impl Default for ModelFitOptions {
    fn default() -> Self {
        ModelFitOptions {
            single: ImageFitOptions::default(),
            bulge_fractions: vec![0.2, 0.5, 0.8],
            scout_iterations: 8,
            max_iterations: 500,
            pg_tolerance: 1e-3,
            degeneracy_threshold: 1e-6,
            priors: Priors::default(),
        }
    }
}

/// The outcome of a model fit.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFitResult {
    /// Every parameter, free or fixed, with its box and start.
    pub layout: Layout,
    /// Each parameter's estimate (fixed ones at their value).
    pub values: Vec<f64>,
    /// 1-sigma errors (0 for fixed parameters, infinite where the Fisher matrix cannot give one).
    pub errors: Vec<f64>,
    /// Whether each parameter ended within 1e-3 of its box's width of a bound.
    pub at_bound: Vec<bool>,
    /// The parameters of a near-singular direction of the Fisher matrix, if there is one.
    pub degenerate: Option<Vec<String>>,
    /// The bulge's flux over the total ([`Layout::bulge`]; NaN with one component of light).
    pub bulge_to_total: f64,
    /// −ln L at the estimate (−ln L − ln prior, up to a constant, when the model has priors).
    pub nll: f64,
    /// χ² over the usable pixels.
    pub chi_square: f64,
    /// Usable pixels less free parameters.
    pub dof: usize,
    /// Solver iterations, the single-Sérsic fit and every start included.
    pub iterations: u64,
    /// Whether the final run met its convergence test.
    pub converged: bool,
    /// Why it stopped.
    pub message: String,
    /// Fraction of the stamp's pixels left out.
    pub masked_fraction: f64,
    /// The lattice the estimate was drawn on.
    pub lattice: Lattice,
}

impl ModelFitResult {
    /// The estimate of the parameter named `name`.
    pub fn value(&self, name: &str) -> Option<f64> {
        let i = self.layout.slots.iter().position(|s| s.name == name)?;
        Some(self.values[i])
    }

    /// The 1-sigma error of the parameter named `name` (see [`Self::errors`]).
    pub fn error(&self, name: &str) -> Option<f64> {
        let i = self.layout.slots.iter().position(|s| s.name == name)?;
        Some(self.errors[i])
    }
}

/// Fits `data` (the renderer's stamp shape) seen through `psf` with `noise` by the model `spec`.
pub fn fit_model<'d>(
    renderer: &Renderer,
    psf: &Psf,
    data: ArrayView2<'d, f64>,
    noise: &'d PixelNoise,
    spec: &ModelSpec,
    options: &ModelFitOptions,
) -> Result<ModelFitResult, FitError> {
    spec.validate()?;
    options.priors.validate(spec)?;
    let has_sky = spec.components.iter().any(|c| c.kind == ComponentKind::Sky);
    let single_options = ImageFitOptions {
        fit_sky: has_sky,
        ..options.single.clone()
    };
    let single = fit_image(renderer, psf, data, noise, &single_options)?;
    let psf_image = renderer.render_psf(psf)?;
    let bounds = image_start(
        data,
        noise,
        psf_image.view(),
        renderer.stamp().scale,
        has_sky,
    )?;
    let split = ((single.params[1] - 1.0) / 3.0).clamp(0.1, 0.9);
    let mut fractions = vec![split];
    for &f in &options.bulge_fractions {
        if fractions.iter().all(|g| (g - f).abs() > 0.05) {
            fractions.push(f);
        }
    }
    let layouts: Vec<Layout> = fractions
        .iter()
        .map(|&f| {
            layout(
                spec,
                &single.params,
                (&bounds.lower, &bounds.upper),
                f,
                options.priors,
            )
        })
        .collect();
    // One scout per split (all the same layout but for the starts), the best continues.
    let mut iterations = single.iterations;
    let mut best: Option<(Run, usize, Lattice)> = None;
    for (index, layout) in layouts.iter().enumerate() {
        let free = layout.free();
        if free.is_empty() {
            break;
        }
        let lattice = lattice_of(renderer, psf, layout, &start_values(layout))?;
        let run = solve_model(
            renderer,
            psf,
            data,
            noise,
            layout,
            lattice,
            None,
            options.scout_iterations,
            options,
        )?;
        iterations += run.iterations;
        if best.as_ref().is_none_or(|(b, _, _)| run.nll < b.nll) {
            best = Some((run, index, lattice));
        }
        // Splits only matter with two components of light and free fluxes.
        if !splits_matter(spec) {
            break;
        }
    }
    let layout = match &best {
        Some((_, index, _)) => layouts[*index].clone(),
        None => layouts[0].clone(),
    };
    let (mut run_u, mut lattice, mut converged, mut message) =
        (None, None, true, "all fixed".to_string());
    if let Some((scout, _, scout_lattice)) = best {
        // Runs on from `u` on `lattice` (the scout's, one the estimate needs, or a wider period).
        let polish = |lattice: Lattice, u: Vec<f64>| {
            solve_model(
                renderer,
                psf,
                data,
                noise,
                &layout,
                lattice,
                Some(u),
                options.max_iterations,
                options,
            )
        };
        let mut run = polish(scout_lattice, scout.u)?;
        iterations += run.iterations;
        let mut on = scout_lattice;
        let values = layout.values(&unit_to_free(&layout, &run.u));
        let wanted = lattice_of(renderer, psf, &layout, &values)?;
        if wanted.period > on.period || wanted.k_max > on.k_max * (1.0 + 1e-12) {
            run = polish(wanted, run.u)?;
            iterations += run.iterations;
            on = wanted;
        }
        // As the single fit does: double the period while the model on the doubled one differs by more
        // than WRAP_MOVE in noise units (a large bulge's wings wrap round from the neighbouring periods).
        for _ in 0..MAX_PERIOD_DOUBLINGS {
            let values = layout.values(&unit_to_free(&layout, &run.u));
            let (parts, sky) = layout.parts(&values);
            let wider = Lattice {
                period: 2 * on.period,
                k_max: on.k_max,
            };
            let here = renderer.render_model(Some(on), &parts, psf)? + sky;
            let there = renderer.render_model(Some(wider), &parts, psf)? + sky;
            if model_change(noise, &here, &there) <= WRAP_MOVE {
                break;
            }
            run = polish(wider, run.u)?;
            iterations += run.iterations;
            on = wider;
        }
        // A run whose line search gave up (its curvature memory pointed uphill along the box) starts
        // afresh from where it stopped, with the Fisher matrix there: degenerate models (an unresolved
        // bulge) can need it, and a run that cannot improve ends as it was.
        for _ in 0..MAX_RESTARTS {
            if !run.stalled() {
                break;
            }
            let again = polish(on, run.u.clone())?;
            iterations += again.iterations;
            let improved = again.nll < run.nll || again.converged();
            if improved {
                run = again;
            } else {
                break;
            }
        }
        converged = run.converged();
        message = run.message(options.max_iterations);
        lattice = Some(on);
        run_u = Some(run.u);
    }
    let free_values = match &run_u {
        Some(u) => unit_to_free(&layout, u),
        None => Vec::new(),
    };
    let values = layout.values(&free_values);
    let lattice = match lattice {
        Some(l) => l,
        None => lattice_of(renderer, psf, &layout, &values)?,
    };
    let nll_at = ModelNll::new(renderer, psf.clone(), data, noise, lattice, &layout);
    let evaluation = nll_at.evaluate(&free_values)?;
    let free = layout.free();
    let (free_errors, mut degenerate_free) =
        errors_and_degeneracy(&evaluation.fisher, options.degeneracy_threshold);
    // With priors the errors are the posterior's, but what the image alone cannot tell apart is still
    // reported: the degeneracy test looks at the likelihood's Fisher matrix.
    let (_, _, prior_curvature) = layout.prior_terms(&values);
    if prior_curvature.iter().flatten().any(|&c| c != 0.0) {
        let mut likelihood = evaluation.fisher.clone();
        for (row, prior_row) in likelihood.iter_mut().zip(&prior_curvature) {
            for (f, c) in row.iter_mut().zip(prior_row) {
                *f -= c;
            }
        }
        degenerate_free = errors_and_degeneracy(&likelihood, options.degeneracy_threshold).1;
    }
    let mut errors = vec![0.0; layout.slots.len()];
    for (&slot, e) in free.iter().zip(&free_errors) {
        errors[slot] = *e;
    }
    let degenerate = degenerate_free.map(|d| {
        d.iter()
            .map(|&i| layout.slots[free[i]].name.clone())
            .collect()
    });
    let (chi_square, usable) = noise.chi_square(data, evaluation.model.view())?;
    let at_bound = layout
        .slots
        .iter()
        .zip(&values)
        .map(|(s, v)| {
            s.fixed.is_none() && {
                let tol = 1e-3 * (s.upper - s.lower);
                (v - s.lower).abs() <= tol || (s.upper - v).abs() <= tol
            }
        })
        .collect();
    Ok(ModelFitResult {
        bulge_to_total: bulge_to_total(&layout, &values),
        values,
        errors,
        at_bound,
        degenerate,
        nll: evaluation.nll,
        chi_square,
        dof: usable.saturating_sub(free.len()),
        iterations,
        converged,
        message,
        masked_fraction: noise.masked_fraction(),
        lattice,
        layout,
    })
}

/// Each component's own image at `values` (the sky as a flat stamp), on `lattice`, for figures and
/// GALFIT-style outputs.
pub fn component_images(
    renderer: &Renderer,
    psf: &Psf,
    layout: &Layout,
    values: &[f64],
    lattice: Lattice,
) -> Result<Vec<Array2<f64>>, FitError> {
    let (parts, _) = layout.parts(values);
    let mut parts = parts.into_iter();
    let mut images = Vec::new();
    for (kind, slots) in &layout.components {
        if *kind == ComponentKind::Sky {
            let level = slots[0].map_or(0.0, |s| values[s]);
            images.push(Array2::from_elem(renderer.stamp().dim(), level));
        } else {
            let part: ModelPart = parts.next().expect("one part per component of light");
            images.push(renderer.render_model(Some(lattice), &[part], psf)?);
        }
    }
    Ok(images)
}

/// Whether the model has two or more components of light whose fluxes are free and not started by the
/// user (only then do different splits of the flux make different starts).
fn splits_matter(spec: &ModelSpec) -> bool {
    spec.components
        .iter()
        .filter(|c| c.kind != ComponentKind::Sky)
        .filter(|c| {
            let f = c.param("flux");
            !f.fixed && f.start.is_none()
        })
        .count()
        >= 2
}

/// How concentrated a component of light is, to decide which is the bulge: a point source most, then by n.
fn concentration(c: &ComponentSpec, default_n: f64) -> f64 {
    match c.kind {
        ComponentKind::Point => f64::INFINITY,
        ComponentKind::Sky => f64::NEG_INFINITY,
        kind => kind
            .fixed_index()
            .or(c.param("sersic_index").start)
            .unwrap_or(default_n),
    }
}

/// Default start of a free Sérsic's n: the single fit's with one component of light, else 4 for the first
/// such component and 1 for the others.
fn default_index(spec: &ModelSpec, component: usize, single_n: f64) -> f64 {
    let lights = spec
        .components
        .iter()
        .filter(|c| c.kind != ComponentKind::Sky)
        .count();
    if lights == 1 {
        return single_n;
    }
    let first_sersic = spec
        .components
        .iter()
        .position(|c| c.kind == ComponentKind::Sersic);
    if first_sersic == Some(component) {
        4.0
    } else {
        1.0
    }
}

/// The parameters, their boxes and the starts for one split of the flux: `single` is the single-Sérsic
/// estimate (flux, n, hlr, g1, g2, dx, dy[, sky]) and `lower`, `upper` the image's box in that order;
/// `bulge` the share of the flux the most concentrated component starts with.
fn layout(
    spec: &ModelSpec,
    single: &[f64],
    (lower, upper): (&[f64], &[f64]),
    bulge: f64,
    Priors {
        shape: shape_prior,
        bulge_inside,
    }: Priors,
) -> Layout {
    let mut slots = Vec::new();
    let mut push = |name: String, user: ParamSpec, start: f64, lo: f64, hi: f64| -> usize {
        let lo = user.lower.unwrap_or(lo);
        let hi = user
            .upper
            .unwrap_or(hi)
            .max(lo + f64::EPSILON.max(lo.abs() * 1e-12));
        let start = user.start.unwrap_or(start).clamp(lo, hi);
        slots.push(Slot {
            name,
            fixed: user.fixed.then_some(start),
            start,
            lower: lo,
            upper: hi,
            prior: user.prior,
        });
        slots.len() - 1
    };
    let lights: Vec<usize> = (0..spec.components.len())
        .filter(|&i| spec.components[i].kind != ComponentKind::Sky)
        .collect();
    let ranks: Vec<f64> = lights
        .iter()
        .map(|&i| concentration(&spec.components[i], default_index(spec, i, single[1])))
        .collect();
    let bulge_at = lights[ranks
        .iter()
        .enumerate()
        .fold(0, |b, (i, r)| if *r > ranks[b] { i } else { b })];
    let (total, hlr, g) = (single[0], single[2], [single[3], single[4]]);
    let flux_share = |i: usize| -> f64 {
        if lights.len() == 1 {
            1.0
        } else if spec.components[i].kind == ComponentKind::Point {
            0.05
        } else if i == bulge_at {
            bulge
        } else {
            (1.0 - bulge) / (lights.len() - 1) as f64
        }
    };
    let shared = if spec
        .components
        .iter()
        .any(|c| c.kind.has_centre() && !c.own_centre)
    {
        Some([
            push("dx".into(), spec.centre[0], single[5], lower[5], upper[5]),
            push("dy".into(), spec.centre[1], single[6], lower[6], upper[6]),
        ])
    } else {
        None
    };
    let mut components = Vec::new();
    for (i, c) in spec.components.iter().enumerate() {
        let name = |p: &str| format!("{}_{p}", c.name);
        let is_bulge = lights.len() > 1 && i == bulge_at;
        let mut planes: Vec<Option<usize>> = Vec::new();
        match c.kind {
            ComponentKind::Sky => {
                let (start, lo, hi) = match single.get(7) {
                    Some(&sky) => (sky, lower[7], upper[7]),
                    None => (0.0, -1e3, 1e3),
                };
                planes.push(Some(push(name("level"), c.param("level"), start, lo, hi)));
            }
            kind => {
                planes.push(Some(push(
                    name("flux"),
                    c.param("flux"),
                    total * flux_share(i),
                    0.0,
                    upper[0],
                )));
                if kind != ComponentKind::Point {
                    planes.push(match kind {
                        ComponentKind::Sersic => Some(push(
                            name("sersic_index"),
                            c.param("sersic_index"),
                            default_index(spec, i, single[1]),
                            N_MIN,
                            N_MAX,
                        )),
                        _ => None,
                    });
                    let size = if lights.len() == 1 {
                        hlr
                    } else if is_bulge {
                        0.5 * hlr
                    } else {
                        1.2 * hlr
                    };
                    let shrink = if is_bulge { 0.5 } else { 1.0 };
                    planes.push(Some(push(
                        name("half_light_radius"),
                        c.param("half_light_radius"),
                        size,
                        lower[2],
                        upper[2],
                    )));
                    for (axis, param) in ["g1", "g2"].iter().enumerate() {
                        let mut user = c.param(param);
                        if user.prior.is_none() {
                            user.prior = shape_prior.map(|sigma| [0.0, sigma]);
                        }
                        planes.push(Some(push(
                            name(param),
                            user,
                            shrink * g[axis],
                            lower[3 + axis],
                            upper[3 + axis],
                        )));
                    }
                }
                if c.own_centre {
                    planes.push(Some(push(
                        name("dx"),
                        c.param("dx"),
                        single[5],
                        lower[5],
                        upper[5],
                    )));
                    planes.push(Some(push(
                        name("dy"),
                        c.param("dy"),
                        single[6],
                        lower[6],
                        upper[6],
                    )));
                } else {
                    let [dx, dy] = shared.expect("a shared centre exists");
                    planes.push(Some(dx));
                    planes.push(Some(dy));
                }
            }
        }
        components.push((c.kind, planes));
    }
    // The most concentrated extended component's half-light radius against each other extended
    // component's (plane 2 of a Sérsic kind); a point source has no radius to hold. Among equals the
    // first is the inner one, as for the bulge.
    let extended: Vec<(usize, f64)> = lights
        .iter()
        .zip(&ranks)
        .filter(|(&i, _)| spec.components[i].kind.has_size())
        .map(|(&i, &rank)| (i, rank))
        .collect();
    let inner = extended
        .iter()
        .fold(None, |best: Option<(usize, f64)>, &(i, rank)| match best {
            Some((_, r)) if r >= rank => best,
            _ => Some((i, rank)),
        })
        .map(|(i, _)| i);
    let radius = |i: usize| components[i].1[2];
    let inside = match (bulge_inside, inner) {
        (true, Some(inner)) => extended
            .iter()
            .filter(|&&(i, _)| i != inner)
            .filter_map(|&(i, _)| Some([radius(inner)?, radius(i)?]))
            .collect(),
        _ => Vec::new(),
    };
    Layout {
        slots,
        components,
        bulge: (lights.len() > 1).then_some(bulge_at),
        inside,
    }
}

/// Every slot at its start (or fixed value).
fn start_values(layout: &Layout) -> Vec<f64> {
    layout
        .slots
        .iter()
        .map(|s| s.fixed.unwrap_or(s.start))
        .collect()
}

/// The lattice the model at `values` needs.
fn lattice_of(
    renderer: &Renderer,
    psf: &Psf,
    layout: &Layout,
    values: &[f64],
) -> Result<Lattice, FitError> {
    let (parts, _) = layout.parts(values);
    Ok(renderer.model_lattice(&parts, psf)?)
}

/// Fresh solver starts after a stalled line search.
const MAX_RESTARTS: usize = 2;

/// The free parameters at unit-box point u.
fn unit_to_free(layout: &Layout, u: &[f64]) -> Vec<f64> {
    let (lower, upper) = layout.free_bounds();
    from_unit(u, &lower, &upper)
}

/// Runs the solver on `lattice` from unit-box point `from` (default: the starts), Fisher-started.
#[allow(clippy::too_many_arguments)]
fn solve_model<'d>(
    renderer: &Renderer,
    psf: &Psf,
    data: ArrayView2<'d, f64>,
    noise: &'d PixelNoise,
    layout: &Layout,
    lattice: Lattice,
    from: Option<Vec<f64>>,
    iterations: u64,
    options: &ModelFitOptions,
) -> Result<Run, FitError> {
    let free = layout.free();
    let (lower, upper) = layout.free_bounds();
    let u = from.unwrap_or_else(|| {
        free.iter()
            .map(|&i| {
                let s = &layout.slots[i];
                (s.start - s.lower) / (s.upper - s.lower)
            })
            .collect()
    });
    let problem = ScaledModelNll {
        nll: ModelNll::new(renderer, psf.clone(), data, noise, lattice, layout),
        lower: lower.clone(),
        upper: upper.clone(),
    };
    let widths: Vec<f64> = lower.iter().zip(&upper).map(|(l, h)| h - l).collect();
    let fisher = problem.nll.evaluate(&problem.theta(&u))?.fisher.clone();
    // A component with no flux has all-zero rows: a unit diagonal there keeps the start's Hessian usable.
    let hessian = unit_box_hessian(
        |i, j| {
            if i == j && fisher[i][i] <= 0.0 {
                1.0 / (widths[i] * widths[i])
            } else {
                fisher[i][j]
            }
        },
        &widths,
    );
    let settings = RunSettings {
        iterations,
        pg_tolerance: options.pg_tolerance,
        f_tolerance: 1e-12,
        shorten_bent_steps: true,
    };
    solve::run(problem, u, hessian, settings)
}

/// sqrt(diag F⁻¹), and the parameters of F's near-null direction if it has one: a parameter with no
/// information at all (zero diagonal), or the smallest eigenvalue of the correlation form
/// D^-½ F D^-½ below `threshold` (its eigenvector's components above 0.3 name the parameters). Those
/// parameters' errors are infinite.
fn errors_and_degeneracy(fisher: &[Vec<f64>], threshold: f64) -> (Vec<f64>, Option<Vec<usize>>) {
    let dims = fisher.len();
    if dims == 0 {
        return (Vec::new(), None);
    }
    let blind: Vec<usize> = (0..dims)
        .filter(|&i| fisher[i][i].is_nan() || fisher[i][i] <= 0.0)
        .collect();
    // The parameters the image says nothing about are left out of the inversion: the others keep their
    // errors (those of the model with the blind ones held where they are).
    let seen: Vec<usize> = (0..dims).filter(|i| !blind.contains(i)).collect();
    let matrix =
        nalgebra::DMatrix::from_fn(seen.len(), seen.len(), |i, j| fisher[seen[i]][seen[j]]);
    let mut errors = vec![f64::INFINITY; dims];
    if let Some(inverse) = matrix.try_inverse() {
        for (k, &i) in seen.iter().enumerate() {
            let v = inverse[(k, k)];
            if v > 0.0 {
                errors[i] = v.sqrt();
            }
        }
    }
    let involved = if !blind.is_empty() {
        Some(blind)
    } else {
        let scale: Vec<f64> = (0..dims).map(|i| fisher[i][i].sqrt()).collect();
        let correlation =
            nalgebra::DMatrix::from_fn(dims, dims, |i, j| fisher[i][j] / (scale[i] * scale[j]));
        let eigen = correlation.symmetric_eigen();
        let (smallest, value) =
            eigen
                .eigenvalues
                .iter()
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |b, (i, &v)| if v < b.1 { (i, v) } else { b },
                );
        (value < threshold).then(|| {
            let vector = eigen.eigenvectors.column(smallest);
            (0..dims).filter(|&i| vector[i].abs() > 0.3).collect()
        })
    };
    if let Some(involved) = &involved {
        for &i in involved {
            errors[i] = f64::INFINITY;
        }
    }
    (errors, involved)
}

/// The bulge's share of the light at `values` ([`Layout::bulge`]; NaN with one component of light). The
/// bulge is fixed by the model, not by the estimate: a bulge whose n ends below the disk's is still the
/// bulge.
fn bulge_to_total(layout: &Layout, values: &[f64]) -> f64 {
    let Some(bulge) = layout.bulge else {
        return f64::NAN;
    };
    let flux = |(kind, slots): &(ComponentKind, Vec<Option<usize>>)| {
        if *kind == ComponentKind::Sky {
            0.0
        } else {
            slots[0].map_or(0.0, |s| values[s])
        }
    };
    let total: f64 = layout.components.iter().map(flux).sum();
    flux(&layout.components[bulge]) / total
}
