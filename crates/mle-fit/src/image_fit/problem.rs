//! −ln L of a real image as a function of (flux, n, hlr, g1, g2, dx, dy[, sky]), with its exact gradient
//! and Fisher matrix, drawn on a fixed lattice; and the same in unit-box coordinates for the solver.

use std::rc::Rc;

use ndarray::{Array2, ArrayView2};
use noise_model::PixelNoise;
use sersic_render::{GalaxyParams, Lattice, Psf, Renderer, PARAM_NAMES_WITH_CENTRE};

use crate::error::FitError;
use crate::unit_box::{
    finite_gradient, gradient_and_fisher, Evaluation, LastEvaluation, LastValue, UnitBox,
    ValueAndGradient, ValueAt,
};

/// The parameters of a real-image fit, in order: the renderer's seven ([`PARAM_NAMES_WITH_CENTRE`]: the
/// galaxy's five and its centre offset (dx, dy) in pixels from the stamp's true centre), then a flat sky
/// (ADU per pixel) when it is fitted.
pub const IMAGE_PARAM_NAMES: [&str; 8] = {
    let mut names = ["sky"; 8];
    let mut i = 0;
    while i < PARAM_NAMES_WITH_CENTRE.len() {
        names[i] = PARAM_NAMES_WITH_CENTRE[i];
        i += 1;
    }
    names
};

/// −ln L(θ) of an image with per-pixel noise, θ in [`IMAGE_PARAM_NAMES`] order (7 values, or 8 with the
/// sky), drawn on a fixed lattice so that it is a smooth function of θ.
pub struct ImageNll<'r, 'd> {
    renderer: &'r Renderer,
    psf: Psf,
    data: ArrayView2<'d, f64>,
    noise: &'d PixelNoise,
    lattice: Lattice,
    /// The last evaluation with the Jacobian and Fisher matrix (the start's and the estimate's).
    last: LastEvaluation,
    /// The last value alone: the line search's accepted trial is also where the gradient is wanted.
    last_value: LastValue,
}

impl<'r, 'd> ImageNll<'r, 'd> {
    /// The NLL of `data` (the renderer's stamp shape; left-out pixels may hold anything) seen through `psf`
    /// with `noise`, drawn on `lattice`.
    pub fn new(
        renderer: &'r Renderer,
        psf: Psf,
        data: ArrayView2<'d, f64>,
        noise: &'d PixelNoise,
        lattice: Lattice,
    ) -> Self {
        ImageNll {
            renderer,
            psf,
            data,
            noise,
            lattice,
            last: LastEvaluation::default(),
            last_value: LastValue::default(),
        }
    }

    /// θ's galaxy, offset and sky.
    fn read(theta: &[f64]) -> (GalaxyParams, [f64; 2], f64) {
        let galaxy = GalaxyParams::new(theta[0], theta[1], theta[2], theta[3], theta[4]);
        let sky = if theta.len() == 8 { theta[7] } else { 0.0 };
        (galaxy, [theta[5], theta[6]], sky)
    }

    /// −ln L at θ from the image alone (no Jacobian), kept for the gradient there.
    fn value_at(&self, theta: &[f64]) -> Result<Rc<ValueAt>, FitError> {
        if let Some(v) = self.last_value.at(theta) {
            return Ok(v);
        }
        let (galaxy, offset, sky) = Self::read(theta);
        let image = self
            .renderer
            .render_on(Some(self.lattice), &galaxy, &self.psf, offset)?;
        let model = image.mapv(|v| v + sky);
        let (log_l, d_model) = self
            .noise
            .log_likelihood_with_gradient(self.data, model.view())?;
        let v = ValueAt::new(self.noise, theta, log_l, &d_model, theta)?;
        Ok(self.last_value.keep(v))
    }

    /// NLL and its gradient at θ.
    pub fn value_and_gradient(&self, theta: &[f64]) -> Result<(f64, Vec<f64>), FitError> {
        let e = self.evaluate(theta)?;
        Ok((e.nll, e.gradient.clone()))
    }

    /// The Fisher matrix at θ: Σ over the usable pixels of (∂μ/∂θ_i)(∂μ/∂θ_j)(1/V + ½ (∂V/∂μ)²/V²).
    pub fn fisher(&self, theta: &[f64]) -> Result<Vec<Vec<f64>>, FitError> {
        Ok(self.evaluate(theta)?.fisher.clone())
    }

    /// The model image at θ (galaxy plus sky).
    pub fn model(&self, theta: &[f64]) -> Result<Array2<f64>, FitError> {
        Ok(self.evaluate(theta)?.model.clone())
    }

    pub(crate) fn evaluate(&self, theta: &[f64]) -> Result<Rc<Evaluation>, FitError> {
        if let Some(e) = self.last.at(theta) {
            return Ok(e);
        }
        let dims = theta.len();
        let (galaxy, offset, sky) = Self::read(theta);
        let drawn = self.renderer.render_with_centre_jacobian(
            Some(self.lattice),
            &galaxy,
            &self.psf,
            offset,
        )?;
        let model = drawn.image.mapv(|v| v + sky);
        let (log_l, d_model) = self
            .noise
            .log_likelihood_with_gradient(self.data, model.view())?;
        // ∂μ/∂θ: the seven rendered planes, and 1 everywhere for the sky.
        let (gradient, fisher) =
            gradient_and_fisher(self.noise, &model, &d_model, dims, |(r, c), d| {
                for (p, v) in d.iter_mut().enumerate() {
                    *v = if p < 7 {
                        drawn.jacobian[[p, r, c]]
                    } else {
                        1.0
                    };
                }
            });
        let e = Evaluation::new(theta, log_l, (gradient, fisher), model, theta)?;
        Ok(self.last.keep(e))
    }
}

impl ValueAndGradient for ImageNll<'_, '_> {
    fn value_and_gradient(&self, theta: &[f64]) -> Result<(f64, Vec<f64>), FitError> {
        ImageNll::value_and_gradient(self, theta)
    }

    /// −ln L from the image alone.
    fn value(&self, theta: &[f64]) -> Result<f64, FitError> {
        if let Some(e) = self.last.at(theta) {
            return Ok(e.nll);
        }
        Ok(self.value_at(theta)?.nll)
    }

    /// The gradient as the Jacobian's transpose applied to ∂(−ln L)/∂pixel, without the Jacobian's planes
    /// (the sky's component is the weights' sum): the same sums as [`Self::value_and_gradient`]'s, in
    /// another order.
    fn gradient(&self, theta: &[f64]) -> Result<Vec<f64>, FitError> {
        if let Some(e) = self.last.at(theta) {
            return Ok(e.gradient.clone());
        }
        let v = self.value_at(theta)?;
        let (galaxy, offset, _) = Self::read(theta);
        let dot = self.renderer.jacobian_dot(
            Some(self.lattice),
            &galaxy,
            &self.psf,
            offset,
            v.weights.view(),
        )?;
        let mut gradient = dot.to_vec();
        if theta.len() == 8 {
            gradient.push(v.weights.sum());
        }
        finite_gradient(gradient, theta)
    }
}

/// The NLL seen through the unit-box scaling u ↦ θ = lower + u·(upper − lower).
pub type ScaledImageNll<'r, 'd> = UnitBox<ImageNll<'r, 'd>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_the_renderers_seven_then_the_sky() {
        assert_eq!(
            IMAGE_PARAM_NAMES,
            [
                "flux",
                "sersic_index",
                "half_light_radius",
                "g1",
                "g2",
                "dx",
                "dy",
                "sky"
            ]
        );
    }
}
