//! Fitting one image: robust start, bounded L-BFGS, errors from the Fisher matrix at the estimate.

use ndarray::ArrayView2;
use sersic_render::{GalaxyParams, Psf, Renderer};

use crate::bounds::Bounds;
use crate::error::FitError;
use crate::fisher::{crb_from_fisher, fisher_from_jacobian};
use crate::noise_option::NoiseOption;
use crate::objective::{Nll, Observed, ScaledNll};
use crate::solve::{self, unit_box_hessian, Run, RunSettings};
use crate::start::initial_guess;

/// How fits are made.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// The box searched (default: the seed's prior box).
    pub bounds: Bounds,
    /// The noise model of the likelihood (default: sigma² + max(model, 0)).
    pub noise: NoiseOption,
    /// Starting values of n: each start runs `scout_iterations`, the best continues.
    pub n_starts: Vec<f64>,
    /// Iterations of each start before the best is chosen.
    pub scout_iterations: u64,
    /// Iteration cap of the final run.
    pub max_iterations: u64,
    /// Convergence: largest projected-gradient component, in NLL units per unit-box width.
    pub pg_tolerance: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            bounds: Bounds::SEED,
            noise: NoiseOption::Poisson,
            n_starts: vec![1.0, 2.5, 4.5],
            scout_iterations: 4,
            max_iterations: 200,
            pg_tolerance: 1e-2,
        }
    }
}

/// The outcome of one fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitResult {
    /// The estimate (flux, n, hlr, g1, g2).
    pub params: [f64; 5],
    /// 1-sigma errors: sqrt(diag F⁻¹) at the estimate (infinite when F is singular there).
    pub errors: [f64; 5],
    /// F⁻¹ at the estimate (infinite entries when singular).
    pub covariance: [[f64; 5]; 5],
    /// −ln L at the estimate.
    pub nll: f64,
    /// Solver iterations, all starts included.
    pub iterations: u64,
    /// Whether the solver met its convergence test.
    pub converged: bool,
    /// Why the solver stopped.
    pub message: String,
}

/// Fits Sérsic galaxies by maximum likelihood with a shared renderer.
pub struct Fitter<'r> {
    renderer: &'r Renderer,
    options: FitOptions,
}

impl<'r> Fitter<'r> {
    /// A fitter; the options' n starts are clamped into the bounds.
    pub fn new(renderer: &'r Renderer, options: FitOptions) -> Result<Self, FitError> {
        Bounds::new(options.bounds.lower, options.bounds.upper)?;
        if options.n_starts.is_empty() {
            return Err(FitError::BadInput(
                "at least one starting n is needed".into(),
            ));
        }
        Ok(Fitter { renderer, options })
    }

    /// The options.
    pub fn options(&self) -> &FitOptions {
        &self.options
    }

    /// Runs the solver from `start` (unit box) with the Fisher matrix there as its initial Hessian.
    fn run(&self, nll: Nll<'_, '_>, start: Vec<f64>, iterations: u64) -> Result<Run, FitError> {
        let bounds = self.options.bounds;
        let fisher = nll.fisher(bounds.from_unit(&start))?;
        let widths: Vec<f64> = (0..5).map(|i| bounds.width(i)).collect();
        let hessian = unit_box_hessian(|i, j| fisher[i][j], &widths);
        let settings = RunSettings {
            iterations,
            pg_tolerance: self.options.pg_tolerance,
            f_tolerance: 1e-10,
            shorten_bent_steps: false,
        };
        solve::run(ScaledNll { nll, bounds }, start, hessian, settings)
    }

    /// Fits one image (the renderer's stamp shape) seen through `psf` with read-noise `sigma`.
    pub fn fit(
        &self,
        data: ArrayView2<'_, f64>,
        psf: &Psf,
        sigma: f64,
    ) -> Result<FitResult, FitError> {
        self.fit_with_start(data, psf, sigma, None)
    }

    /// [`fit`](Self::fit) from a given start (flux, n, hlr, g1, g2; clamped into the bounds), e.g. a
    /// network's estimate: the moments' guess and the scouting of several n are skipped, and the solver
    /// runs from there to convergence (then, as always, polishes on a finer lattice if the estimate wants
    /// one).
    pub fn fit_from(
        &self,
        data: ArrayView2<'_, f64>,
        psf: &Psf,
        sigma: f64,
        start: [f64; 5],
    ) -> Result<FitResult, FitError> {
        if start.iter().any(|v| !v.is_finite()) {
            return Err(FitError::BadInput(format!(
                "the start {start:?} is not finite"
            )));
        }
        self.fit_with_start(data, psf, sigma, Some(start))
    }

    fn fit_with_start(
        &self,
        data: ArrayView2<'_, f64>,
        psf: &Psf,
        sigma: f64,
        start: Option<[f64; 5]>,
    ) -> Result<FitResult, FitError> {
        let stamp = self.renderer.stamp();
        if data.dim() != stamp.dim() {
            return Err(FitError::BadInput(format!(
                "image is {:?}, the renderer draws {} x {}",
                data.dim(),
                stamp.width,
                stamp.height
            )));
        }
        if let Some((k, v)) = data.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(FitError::BadInput(format!("pixel {} has the value {v}", k)));
        }
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(FitError::BadInput(format!(
                "sigma must be a finite number > 0, got {sigma}"
            )));
        }
        let bounds = self.options.bounds;
        let noise = self.options.noise.noise(sigma)?;
        let likelihood = self.options.noise.likelihood();
        let renderer: &Renderer = self.renderer;
        let observed = Observed {
            data,
            psf: psf.clone(),
            noise,
            likelihood,
        };
        let nll = |lattice| Nll::new(renderer, observed.clone(), lattice);
        // From the given start; or from the moments' guess at each of the options' n, each scouted for a
        // few iterations, the best continuing.
        let mut iterations = 0;
        let (start, lattice) = match start {
            Some(theta) => {
                let theta = bounds.clamp(theta);
                let lattice = self
                    .renderer
                    .lattice_for(&GalaxyParams::from_array(theta), psf)?;
                (bounds.to_unit(theta).to_vec(), lattice)
            }
            None => {
                let psf_image = self.renderer.render_psf(psf)?;
                let [flux, hlr, g1, g2] = initial_guess(&data, &psf_image.view(), stamp.scale)
                    .unwrap_or([data.sum(), 0.3, 0.0, 0.0]);
                solve::best_scout(&self.options.n_starts, &mut iterations, |&n| {
                    let theta = bounds.clamp([flux, n, hlr, g1, g2]);
                    let lattice = self
                        .renderer
                        .lattice_for(&GalaxyParams::from_array(theta), psf)?;
                    let run = self.run(
                        nll(lattice),
                        bounds.to_unit(theta).to_vec(),
                        self.options.scout_iterations,
                    )?;
                    Ok((run, lattice))
                })?
            }
        };
        let mut run = self.run(nll(lattice), start, self.options.max_iterations)?;
        iterations += run.iterations;
        // The lattice was chosen at the start; if the estimate wants a finer one, polish there.
        let theta = bounds.from_unit(&run.u);
        let wanted = self
            .renderer
            .lattice_for(&GalaxyParams::from_array(theta), psf)?;
        if wanted.period > lattice.period || wanted.k_max > lattice.k_max * (1.0 + 1e-12) {
            let polish = self.run(nll(wanted), run.u.clone(), self.options.max_iterations)?;
            iterations += polish.iterations;
            run = polish;
        }
        let params = bounds.clamp(bounds.from_unit(&run.u));
        let converged = run.converged();
        let message = run.message(self.options.max_iterations);
        // Errors from the Fisher matrix at the estimate, with the fit's noise model.
        let galaxy = GalaxyParams::from_array(params);
        let model = self.renderer.render_with_jacobian(&galaxy, psf)?;
        let fisher = fisher_from_jacobian(&model.image, &model.jacobian, &noise);
        let (errors, covariance) = match crb_from_fisher(fisher) {
            Ok(c) => (c.sigma, c.covariance),
            Err(_) => ([f64::INFINITY; 5], [[f64::INFINITY; 5]; 5]),
        };
        Ok(FitResult {
            params,
            errors,
            covariance,
            nll: run.nll,
            iterations,
            converged,
            message,
        })
    }
}
