//! The negative log-likelihood of an image as an argmin problem (cost + gradient), in unit-box coordinates.

use std::cell::RefCell;

use argmin::core::{CostFunction, Error, Gradient};
use ndarray::{ArrayView2, Axis};
use noise_model::likelihood::Likelihood;
use noise_model::CcdNoise;
use sersic_render::{GalaxyParams, Lattice, Psf, Renderer};

use crate::bounds::Bounds;
use crate::error::FitError;

#[derive(Clone, Copy)]
struct Evaluation {
    theta: [f64; 5],
    nll: f64,
    gradient: [f64; 5],
    fisher: [[f64; 5]; 5],
}

/// What was observed: an image, the PSF it was seen through, its noise, and the likelihood that models
/// that noise.
#[derive(Debug, Clone)]
pub struct Observed<'d> {
    /// The image.
    pub data: ArrayView2<'d, f64>,
    /// Its PSF.
    pub psf: Psf,
    /// Its noise.
    pub noise: CcdNoise,
    /// The likelihood of the data given a model image.
    pub likelihood: Likelihood,
}

/// −ln L(θ) of an observed image, θ = (flux, n, hlr, g1, g2), with its exact gradient from the renderer's
/// Jacobian, drawn on a fixed lattice so that it is a smooth function of θ.
pub struct Nll<'r, 'd> {
    renderer: &'r Renderer,
    observed: Observed<'d>,
    lattice: Lattice,
    /// The last evaluation: the line search's accepted trial is also where the gradient is wanted.
    cache: RefCell<Option<Evaluation>>,
}

impl<'r, 'd> Nll<'r, 'd> {
    /// The NLL of what was `observed` (an image of the stamp's shape), drawn on `lattice`.
    pub fn new(renderer: &'r Renderer, observed: Observed<'d>, lattice: Lattice) -> Self {
        Nll {
            renderer,
            observed,
            lattice,
            cache: RefCell::new(None),
        }
    }

    /// The lattice the model is drawn on.
    pub fn lattice(&self) -> Lattice {
        self.lattice
    }

    /// The Fisher matrix at θ for this noise (the expected Hessian of the NLL), on the NLL's lattice.
    pub fn fisher(&self, theta: [f64; 5]) -> Result<[[f64; 5]; 5], FitError> {
        Ok(self.evaluate(theta)?.fisher)
    }

    /// NLL and its gradient with respect to θ.
    pub fn value_and_gradient(&self, theta: [f64; 5]) -> Result<(f64, [f64; 5]), FitError> {
        let e = self.evaluate(theta)?;
        Ok((e.nll, e.gradient))
    }

    /// The NLL at θ and the model image there, from a render without the Jacobian (about a fifth of the
    /// cost): what a sampler that needs only the likelihood calls.
    pub fn value_and_model(
        &self,
        theta: [f64; 5],
    ) -> Result<(f64, ndarray::Array2<f64>), FitError> {
        let galaxy = GalaxyParams::from_array(theta);
        let model =
            self.renderer
                .render_on(Some(self.lattice), &galaxy, &self.observed.psf, [0.0, 0.0])?;
        let nll: f64 = self
            .observed
            .data
            .iter()
            .zip(model.iter())
            .map(|(&d, &m)| {
                -self
                    .observed
                    .likelihood
                    .pixel(&self.observed.noise, d, m)
                    .log_l
            })
            .sum();
        if !nll.is_finite() {
            return Err(FitError::Solver(format!(
                "the likelihood is not finite at {theta:?}"
            )));
        }
        Ok((nll, model))
    }

    /// One render with its Jacobian gives the NLL, its gradient and the Fisher matrix (the last costs a
    /// few percent of the render and saves a render wherever a solver run starts).
    fn evaluate(&self, theta: [f64; 5]) -> Result<Evaluation, FitError> {
        if let Some(e) = *self.cache.borrow() {
            if e.theta == theta {
                return Ok(e);
            }
        }
        let galaxy = GalaxyParams::from_array(theta);
        let model = self.renderer.render_with_jacobian_on(
            Some(self.lattice),
            &galaxy,
            &self.observed.psf,
            [0.0, 0.0],
        )?;
        let mut nll = 0.0;
        let mut weights = ndarray::Array2::<f64>::zeros(model.image.dim());
        for ((w, &d), &m) in weights
            .iter_mut()
            .zip(self.observed.data.iter())
            .zip(model.image.iter())
        {
            let term = self.observed.likelihood.pixel(&self.observed.noise, d, m);
            nll -= term.log_l;
            *w = -term.d_model;
        }
        let gradient: [f64; 5] = std::array::from_fn(|p| {
            model
                .jacobian
                .index_axis(Axis(0), p)
                .iter()
                .zip(weights.iter())
                .map(|(j, w)| j * w)
                .sum()
        });
        if !nll.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
            return Err(FitError::Solver(format!(
                "the likelihood is not finite at {theta:?}"
            )));
        }
        let fisher = crate::fisher::fisher_from_jacobian(
            &model.image,
            &model.jacobian,
            &self.observed.noise,
        );
        let e = Evaluation {
            theta,
            nll,
            gradient,
            fisher,
        };
        *self.cache.borrow_mut() = Some(e);
        Ok(e)
    }
}

/// The NLL seen through the unit-box scaling u ↦ θ = lower + u·(upper − lower).
pub struct ScaledNll<'r, 'd> {
    /// The NLL in natural units.
    pub nll: Nll<'r, 'd>,
    /// The box.
    pub bounds: Bounds,
}

impl CostFunction for ScaledNll<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, u: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.nll.value_and_gradient(self.bounds.from_unit(u))?.0)
    }
}

impl Gradient for ScaledNll<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, u: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let (_, g) = self.nll.value_and_gradient(self.bounds.from_unit(u))?;
        Ok((0..5).map(|i| g[i] * self.bounds.width(i)).collect())
    }
}
