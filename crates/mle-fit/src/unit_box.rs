//! What both real-image likelihoods (one Sérsic, a model of several components) share: the gradient of
//! −ln L and the Fisher matrix summed over the usable pixels, and the unit-box view the solver moves in.

use std::cell::RefCell;
use std::rc::Rc;

use argmin::core::{CostFunction, Error, Gradient};
use ndarray::Array2;
use noise_model::PixelNoise;

use crate::error::FitError;

/// The gradient of −ln L and the Fisher matrix Σ (∂μ/∂θ_i)(∂μ/∂θ_j)(1/V + ½ (∂V/∂μ)²/V²) over the usable
/// pixels (the weight 1/V alone when the noise's statistic is χ²; see [`PixelNoise::fisher_weight`]), from `d_log_l` (∂ ln L/∂μ per pixel, at `model`) and `derivatives(pixel, d)`, which fills d
/// with ∂μ/∂θ at that pixel (`dims` values).
pub(crate) fn gradient_and_fisher(
    noise: &PixelNoise,
    model: &Array2<f64>,
    d_log_l: &Array2<f64>,
    dims: usize,
    derivatives: impl Fn((usize, usize), &mut [f64]),
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut gradient = vec![0.0; dims];
    let mut fisher = vec![vec![0.0; dims]; dims];
    let usable = noise.usable();
    let mut d = vec![0.0; dims];
    for (k, &g) in d_log_l.indexed_iter() {
        if !usable[k] {
            continue;
        }
        let (v, dv) = noise.variance(k.0, k.1, model[k]);
        let weight = noise.fisher_weight(v, dv);
        derivatives(k, &mut d);
        for (i, (di, row)) in d.iter().zip(fisher.iter_mut()).enumerate() {
            gradient[i] -= g * di;
            for (f, dj) in row.iter_mut().zip(&d).skip(i) {
                *f += di * dj * weight;
            }
        }
    }
    // Only the upper triangle was summed: mirror it.
    let upper = fisher.clone();
    for (i, row) in fisher.iter_mut().enumerate() {
        for (j, f) in row.iter_mut().enumerate().take(i) {
            *f = upper[j][i];
        }
    }
    (gradient, fisher)
}

/// One evaluation of a likelihood at a point: −ln L, its gradient, the Fisher matrix and the model image.
pub(crate) struct Evaluation {
    point: Vec<f64>,
    pub(crate) nll: f64,
    pub(crate) gradient: Vec<f64>,
    pub(crate) fisher: Vec<Vec<f64>>,
    pub(crate) model: Array2<f64>,
}

impl Evaluation {
    /// The evaluation at `point` from ln L and the sums of [`gradient_and_fisher`]; an error naming the
    /// parameters `shown` when −ln L or its gradient is not finite.
    pub(crate) fn new(
        point: &[f64],
        log_l: f64,
        (gradient, fisher): (Vec<f64>, Vec<Vec<f64>>),
        model: Array2<f64>,
        shown: &[f64],
    ) -> Result<Self, FitError> {
        let nll = -log_l;
        if !nll.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
            return Err(not_finite(shown));
        }
        Ok(Evaluation {
            point: point.to_vec(),
            nll,
            gradient,
            fisher,
            model,
        })
    }
}

/// The last evaluation of some kind, kept: the line search's accepted trial is also where the gradient is
/// wanted.
pub(crate) struct Last<T>(RefCell<Option<Rc<T>>>);

impl<T> Default for Last<T> {
    fn default() -> Self {
        Last(RefCell::new(None))
    }
}

/// What was evaluated at a point.
pub(crate) trait AtPoint {
    /// The point.
    fn point(&self) -> &[f64];
}

impl AtPoint for Evaluation {
    fn point(&self) -> &[f64] {
        &self.point
    }
}

impl AtPoint for ValueAt {
    fn point(&self) -> &[f64] {
        &self.point
    }
}

impl<T: AtPoint> Last<T> {
    /// The kept evaluation if it was made at `point`.
    pub(crate) fn at(&self, point: &[f64]) -> Option<Rc<T>> {
        self.0
            .borrow()
            .as_ref()
            .filter(|e| e.point() == point)
            .map(Rc::clone)
    }

    /// Keeps `evaluation` (replacing the last) and returns it.
    pub(crate) fn keep(&self, evaluation: T) -> Rc<T> {
        let e = Rc::new(evaluation);
        *self.0.borrow_mut() = Some(Rc::clone(&e));
        e
    }
}

/// The last whole evaluation (with the Jacobian and the Fisher matrix).
pub(crate) type LastEvaluation = Last<Evaluation>;

/// The last value alone.
pub(crate) type LastValue = Last<ValueAt>;

/// A function with a gradient, in natural units.
pub trait ValueAndGradient {
    /// The value and gradient at θ.
    fn value_and_gradient(&self, theta: &[f64]) -> Result<(f64, Vec<f64>), FitError>;

    /// The value alone (what a line search's trial needs); by default from [`Self::value_and_gradient`].
    fn value(&self, theta: &[f64]) -> Result<f64, FitError> {
        Ok(self.value_and_gradient(theta)?.0)
    }

    /// The gradient alone; by default from [`Self::value_and_gradient`].
    fn gradient(&self, theta: &[f64]) -> Result<Vec<f64>, FitError> {
        Ok(self.value_and_gradient(theta)?.1)
    }
}

/// −ln L at a point without its gradient or Fisher matrix, and what its gradient is made from: the weights
/// ∂(−ln L)/∂pixel (zero on the pixels left out), which the renderer contracts with the model's Jacobian
/// without drawing it ([`sersic_render::Renderer::jacobian_dot`]).
pub(crate) struct ValueAt {
    point: Vec<f64>,
    pub(crate) nll: f64,
    pub(crate) weights: Array2<f64>,
}

impl ValueAt {
    /// The value at `point` from ln L and ∂ ln L/∂μ at `model`; an error naming the parameters `shown` when
    /// −ln L is not finite.
    pub(crate) fn new(
        noise: &PixelNoise,
        point: &[f64],
        log_l: f64,
        d_log_l: &Array2<f64>,
        shown: &[f64],
    ) -> Result<Self, FitError> {
        let nll = -log_l;
        if !nll.is_finite() {
            return Err(not_finite(shown));
        }
        let usable = noise.usable();
        let weights = ndarray::Zip::from(d_log_l)
            .and(usable)
            .map_collect(|&g, &ok| if ok { -g } else { 0.0 });
        Ok(ValueAt {
            point: point.to_vec(),
            nll,
            weights,
        })
    }
}

/// The error for a likelihood or gradient that is not finite at the parameters `shown`.
pub(crate) fn not_finite(shown: &[f64]) -> FitError {
    FitError::Solver(format!("the likelihood is not finite at {shown:?}"))
}

/// Checks a gradient made from a [`ValueAt`].
pub(crate) fn finite_gradient(gradient: Vec<f64>, shown: &[f64]) -> Result<Vec<f64>, FitError> {
    if gradient.iter().all(|g| g.is_finite()) {
        Ok(gradient)
    } else {
        Err(not_finite(shown))
    }
}

/// A likelihood seen through the unit-box scaling u ↦ θ = lower + u·(upper − lower), which the solver
/// moves in.
pub struct UnitBox<N> {
    /// The NLL in natural units.
    pub nll: N,
    /// Lower bounds.
    pub lower: Vec<f64>,
    /// Upper bounds.
    pub upper: Vec<f64>,
}

impl<N> UnitBox<N> {
    /// θ at unit-box point u.
    pub fn theta(&self, u: &[f64]) -> Vec<f64> {
        from_unit(u, &self.lower, &self.upper)
    }
}

/// θ = lower + u·(upper − lower) at unit-box point u.
pub(crate) fn from_unit(u: &[f64], lower: &[f64], upper: &[f64]) -> Vec<f64> {
    u.iter()
        .zip(lower.iter().zip(upper))
        .map(|(u, (l, h))| l + u * (h - l))
        .collect()
}

impl<N: ValueAndGradient> CostFunction for UnitBox<N> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, u: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.nll.value(&self.theta(u))?)
    }
}

impl<N: ValueAndGradient> Gradient for UnitBox<N> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, u: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let g = self.nll.gradient(&self.theta(u))?;
        Ok(g.iter()
            .zip(self.lower.iter().zip(&self.upper))
            .map(|(g, (l, h))| g * (h - l))
            .collect())
    }
}
