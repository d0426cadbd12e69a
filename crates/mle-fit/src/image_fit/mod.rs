//! Maximum-likelihood fits of real images: a Sérsic with a free centre and, optionally, a flat sky, through
//! any PSF (analytic or a pixel image), with per-pixel noise and masks ([`PixelNoise`]).
//!
//! θ = (flux, n, hlr, g1, g2, dx, dy[, sky]) ([`IMAGE_PARAM_NAMES`]); dx, dy in pixels from the stamp's
//! true centre, the sky in ADU per pixel. The start and the box come from the image itself
//! ([`image_start`]); as for the seed's fits ([`crate::Fitter`]) a few starting n are scouted, the best
//! runs on, and the lattice is refined if the estimate needs a finer one. Errors are sqrt(diag F⁻¹) at the
//! estimate, F the Fisher matrix of the same noise.

mod problem;
mod start;

pub use problem::{ImageNll, ScaledImageNll, IMAGE_PARAM_NAMES};
pub use start::{image_start, ImageStart};

use ndarray::ArrayView2;
use noise_model::PixelNoise;
use sersic_render::{GalaxyParams, Lattice, Psf, Renderer};

use crate::error::FitError;
use crate::solve::{self, unit_box_hessian, Run, RunSettings};

/// How a real image is fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFitOptions {
    /// Fit a flat sky (the image's sky was subtracted imperfectly).
    pub fit_sky: bool,
    /// Starting values of n: each start runs `scout_iterations`, the best continues.
    pub n_starts: Vec<f64>,
    /// Iterations of each start before the best is chosen.
    pub scout_iterations: u64,
    /// Iteration cap of the final run.
    pub max_iterations: u64,
    /// Convergence: largest projected-gradient component, in NLL units per unit-box width.
    pub pg_tolerance: f64,
}

impl Default for ImageFitOptions {
    fn default() -> Self {
        ImageFitOptions {
            fit_sky: false,
            n_starts: vec![1.0, 2.5, 4.5],
            scout_iterations: 4,
            max_iterations: 300,
            pg_tolerance: 1e-3,
        }
    }
}

/// The outcome of one real-image fit.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFitResult {
    /// The estimate, [`IMAGE_PARAM_NAMES`] order (7 values, or 8 with the sky).
    pub params: Vec<f64>,
    /// 1-sigma errors sqrt(diag F⁻¹) at the estimate (infinite when F is singular there).
    pub errors: Vec<f64>,
    /// −ln L at the estimate.
    pub nll: f64,
    /// χ² over the usable pixels, and their number less the number of parameters.
    pub chi_square: f64,
    /// Degrees of freedom: usable pixels − parameters.
    pub dof: usize,
    /// Solver iterations, all starts included.
    pub iterations: u64,
    /// Whether the solver met its convergence test.
    pub converged: bool,
    /// Why the solver stopped.
    pub message: String,
    /// n ended within 1e-3 of its range's ends.
    pub n_at_bound: bool,
    /// hlr ended within 1e-3 (relative) of its box's ends.
    pub hlr_at_bound: bool,
    /// The fraction of the stamp's pixels left out (mask, zero weight, non-finite data).
    pub masked_fraction: f64,
}

impl ImageFitResult {
    /// χ² per degree of freedom.
    pub fn reduced_chi_square(&self) -> f64 {
        self.chi_square / self.dof.max(1) as f64
    }
}

/// Fits `data` (the renderer's stamp shape) seen through `psf` with `noise`.
pub fn fit_image<'d>(
    renderer: &Renderer,
    psf: &Psf,
    data: ArrayView2<'d, f64>,
    noise: &'d PixelNoise,
    options: &ImageFitOptions,
) -> Result<ImageFitResult, FitError> {
    fit_image_from(renderer, psf, data, noise, options, None)
}

/// [`fit_image`] from a given start (flux, n, hlr, g1, g2, dx, dy, and the sky when it is fitted; e.g. a
/// network's estimate), clamped into the image's box: one solver run from there instead of the scouted
/// starts in n. `None` scouts as [`fit_image`] does.
pub fn fit_image_from<'d>(
    renderer: &Renderer,
    psf: &Psf,
    data: ArrayView2<'d, f64>,
    noise: &'d PixelNoise,
    options: &ImageFitOptions,
    given: Option<&[f64]>,
) -> Result<ImageFitResult, FitError> {
    let stamp = renderer.stamp();
    if data.dim() != stamp.dim() || noise.shape() != stamp.dim() {
        return Err(FitError::BadInput(format!(
            "image is {:?} and its noise {:?}, the renderer draws {:?} (rows, columns)",
            data.dim(),
            noise.shape(),
            stamp.dim()
        )));
    }
    if options.n_starts.is_empty() {
        return Err(FitError::BadInput(
            "at least one starting n is needed".into(),
        ));
    }
    let psf_image = renderer.render_psf(psf)?;
    let start = image_start(data, noise, psf_image.view(), stamp.scale, options.fit_sky)?;
    let problem = |lattice: Lattice| ScaledImageNll {
        nll: ImageNll::new(renderer, psf.clone(), data, noise, lattice),
        lower: start.lower.clone(),
        upper: start.upper.clone(),
    };
    let to_unit = |theta: &[f64]| -> Vec<f64> {
        theta
            .iter()
            .zip(start.lower.iter().zip(&start.upper))
            .map(|(t, (l, h))| (t - l) / (h - l))
            .collect()
    };
    let lattice_at =
        |theta: &[f64]| renderer.lattice_for_offset(&galaxy_of(theta), psf, [theta[5], theta[6]]);
    let mut iterations = 0;
    let (from, lattice) = match given {
        Some(given) => {
            if given.len() < 7 || given.iter().any(|v| !v.is_finite()) {
                return Err(FitError::BadInput(format!(
                    "a start needs 7 finite values (flux, n, hlr, g1, g2, dx, dy), got {given:?}"
                )));
            }
            // Inside the box by a hair, so that no parameter starts pinned to a bound.
            let theta: Vec<f64> = start
                .theta
                .iter()
                .enumerate()
                .map(|(j, &t)| {
                    let (lo, hi) = (start.lower[j], start.upper[j]);
                    let margin = 1e-6 * (hi - lo);
                    given
                        .get(j)
                        .copied()
                        .unwrap_or(t)
                        .clamp(lo + margin, hi - margin)
                })
                .collect();
            (to_unit(&theta), lattice_at(&theta)?)
        }
        None => solve::best_scout(&options.n_starts, &mut iterations, |&n| {
            let mut theta = start.theta.clone();
            theta[1] = n.clamp(start.lower[1], start.upper[1]);
            let lattice = lattice_at(&theta)?;
            let run = solve(
                problem(lattice),
                to_unit(&theta),
                options.scout_iterations,
                options,
            )?;
            Ok((run, lattice))
        })?,
    };
    let mut run = solve(problem(lattice), from, options.max_iterations, options)?;
    iterations += run.iterations;
    let mut lattice = lattice;
    // Runs on from `u` on another lattice (one the estimate needs, or a wider period).
    let polish = |lattice: Lattice, u: &[f64]| {
        solve(
            problem(lattice),
            u.to_vec(),
            options.max_iterations,
            options,
        )
    };
    let wanted = lattice_at(&problem(lattice).theta(&run.u))?;
    if wanted.period > lattice.period || wanted.k_max > lattice.k_max * (1.0 + 1e-12) {
        run = polish(wanted, &run.u)?;
        iterations += run.iterations;
        lattice = wanted;
    }
    // The period is sized for the start's galaxy to a tolerance relative to its flux; a large, high-n
    // galaxy at high SNR can still feel its own wings wrapping round from the neighbouring periods. Double
    // the period while the model on the doubled one differs by more than 0.1 in noise units
    // (sqrt Σ Δμ²/V, which bounds how far the estimate can move, in errors), and re-polish there. The
    // renderer's estimate of the wrapped light settles most galaxies without drawing the doubled period.
    for _ in 0..MAX_PERIOD_DOUBLINGS {
        let theta = problem(lattice).theta(&run.u);
        let (galaxy, offset) = (galaxy_of(&theta), [theta[5], theta[6]]);
        let sky = theta.get(7).copied().unwrap_or(0.0);
        let here = renderer.render_on(Some(lattice), &galaxy, psf, offset)? + sky;
        let wrapped =
            theta[0] * renderer.wrapped_light_per_pixel(Some(&galaxy), psf, offset, lattice.period);
        if wrapped * inverse_sigma_norm(noise, &here) <= WRAP_MOVE {
            break;
        }
        let wider = Lattice {
            period: 2 * lattice.period,
            k_max: lattice.k_max,
        };
        let there = renderer.render_on(Some(wider), &galaxy, psf, offset)? + sky;
        if model_change(noise, &here, &there) <= WRAP_MOVE {
            break;
        }
        run = polish(wider, &run.u)?;
        iterations += run.iterations;
        lattice = wider;
    }
    let scaled = problem(lattice);
    let params = scaled.theta(&run.u);
    let evaluation = scaled.nll.evaluate(&params)?;
    let errors = errors_from_fisher(&evaluation.fisher);
    let (chi_square, usable) = noise.chi_square(data, evaluation.model.view())?;
    let near = |value: f64, bound: f64, tolerance: f64| (value - bound).abs() <= tolerance;
    Ok(ImageFitResult {
        n_at_bound: near(params[1], start.lower[1], 1e-3) || near(params[1], start.upper[1], 1e-3),
        hlr_at_bound: near(params[2], start.lower[2], 1e-3 * start.lower[2])
            || near(params[2], start.upper[2], 1e-3 * start.upper[2]),
        masked_fraction: noise.masked_fraction(),
        dof: usable.saturating_sub(params.len()),
        params,
        errors,
        nll: evaluation.nll,
        chi_square,
        iterations,
        converged: run.converged(),
        message: run.message(options.max_iterations),
    })
}

fn galaxy_of(theta: &[f64]) -> GalaxyParams {
    GalaxyParams::new(theta[0], theta[1], theta[2], theta[3], theta[4])
}

/// Runs the solver from unit-box point `start`, with the Fisher matrix there as its initial Hessian.
fn solve(
    problem: ScaledImageNll<'_, '_>,
    start: Vec<f64>,
    iterations: u64,
    options: &ImageFitOptions,
) -> Result<Run, FitError> {
    let widths: Vec<f64> = problem
        .lower
        .iter()
        .zip(&problem.upper)
        .map(|(l, h)| h - l)
        .collect();
    let fisher = problem.nll.fisher(&problem.theta(&start))?;
    let hessian = unit_box_hessian(|i, j| fisher[i][j], &widths);
    let settings = RunSettings {
        iterations,
        pg_tolerance: options.pg_tolerance,
        f_tolerance: 1e-12,
        shorten_bent_steps: false,
    };
    solve::run(problem, start, hessian, settings)
}

/// How many times [`fit_image`] may double the period to keep the wrapped wings from moving the estimate.
pub(crate) const MAX_PERIOD_DOUBLINGS: usize = 3;

/// How far (in errors) the wrapped wings may move an estimate before the period is doubled.
pub(crate) const WRAP_MOVE: f64 = 0.1;

/// sqrt(Σ (Δμ)²/V) over the usable pixels between two models: by Cauchy–Schwarz no parameter's estimate
/// moves by more than this many errors when one model replaces the other.
pub(crate) fn model_change(
    noise: &PixelNoise,
    here: &ndarray::Array2<f64>,
    there: &ndarray::Array2<f64>,
) -> f64 {
    let usable = noise.usable();
    let mut total = 0.0;
    for ((r, c), &m) in here.indexed_iter() {
        if usable[[r, c]] {
            let d = there[[r, c]] - m;
            total += d * d / noise.variance(r, c, m).0;
        }
    }
    total.sqrt()
}

/// sqrt(Σ 1/V) over the usable pixels at `model`: a change of at most w in every pixel moves the model by
/// at most w times this in noise units.
fn inverse_sigma_norm(noise: &PixelNoise, model: &ndarray::Array2<f64>) -> f64 {
    let usable = noise.usable();
    model
        .indexed_iter()
        .filter(|(k, _)| usable[*k])
        .map(|((r, c), &m)| 1.0 / noise.variance(r, c, m).0)
        .sum::<f64>()
        .sqrt()
}

/// sqrt(diag F⁻¹), infinite everywhere when F cannot be inverted.
fn errors_from_fisher(fisher: &[Vec<f64>]) -> Vec<f64> {
    let dims = fisher.len();
    let matrix = nalgebra::DMatrix::from_fn(dims, dims, |i, j| fisher[i][j]);
    match matrix.try_inverse() {
        Some(inverse) => (0..dims)
            .map(|i| {
                let v = inverse[(i, i)];
                if v > 0.0 {
                    v.sqrt()
                } else {
                    f64::INFINITY
                }
            })
            .collect(),
        None => vec![f64::INFINITY; dims],
    }
}
