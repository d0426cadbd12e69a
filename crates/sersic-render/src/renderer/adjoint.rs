//! The Jacobian's transpose applied to a stamp of weights (a fitter's gradient), without the planes: see
//! [`crate::lattice`]'s `adjoint` for how.

use super::model::ModelPart;
use super::{plane_factors, shape_forms, DrawPlan, RenderError, Renderer};
use crate::discrete::Convolution;
use crate::lattice::Lattice;
use crate::params::GalaxyParams;
use crate::psf::Psf;
use crate::shear::QuadraticForm;
use ndarray::{ArrayView2, Axis};
use rustfft::num_complex::Complex64;

impl Renderer {
    /// Σ over the stamp's pixels of `weights` × ∂image/∂θ, for θ the seven parameters
    /// [`crate::PARAM_NAMES_WITH_CENTRE`] (flux, n, hlr, g1, g2, and the offset dx, dy in pixels): the
    /// contraction of [`Self::render_with_centre_jacobian`]'s planes with `weights`, computed with one
    /// forward transform and one pass over the lattice instead of seven planes. With `weights` =
    /// ∂(−ln L)/∂pixel it is the gradient of −ln L. `lattice`: as for
    /// [`Self::render_with_centre_jacobian`] (`None`: the one the galaxy needs).
    pub fn jacobian_dot(
        &self,
        lattice: Option<Lattice>,
        galaxy: &GalaxyParams,
        psf: &Psf,
        offset: [f64; 2],
        weights: ArrayView2<'_, f64>,
    ) -> Result<[f64; 7], RenderError> {
        self.check_weights(weights)?;
        let plan = self.plan(galaxy, psf, offset, true, lattice)?;
        let spectrum = self.weights_spectrum(plan.grid.period, weights);
        Ok(self.plan_dot(&plan, Some(galaxy), galaxy.flux, &spectrum))
    }

    /// For each part of a model, Σ `weights` × ∂image/∂θ over its own parameters, in
    /// [`ModelPart::plane_names`] order: the contraction of [`Self::render_model_with_jacobian`]'s planes
    /// with `weights`, on the same lattice, without drawing them (by discrete convolution, the planes are
    /// drawn and contracted).
    pub fn model_jacobian_dot(
        &self,
        lattice: Option<Lattice>,
        parts: &[ModelPart],
        psf: &Psf,
        weights: ArrayView2<'_, f64>,
    ) -> Result<Vec<Vec<f64>>, RenderError> {
        self.check_weights(weights)?;
        if self.convolution == Convolution::Discrete {
            let drawn = self.render_model_with_jacobian(lattice, parts, psf)?;
            return Ok(drawn
                .parts
                .iter()
                .map(|planes| {
                    planes
                        .axis_iter(Axis(0))
                        .map(|plane| (&plane * &weights).sum())
                        .collect()
                })
                .collect());
        }
        let lattice = self.usable_model_lattice(lattice, parts, psf)?;
        let spectrum = self.weights_spectrum(lattice.period, weights);
        parts
            .iter()
            .map(|part| {
                let (plan, flux) = self.part_plan(part, psf, lattice, true)?;
                Ok(match part {
                    ModelPart::Sersic { galaxy, .. } => {
                        self.plan_dot(&plan, Some(galaxy), flux, &spectrum).to_vec()
                    }
                    ModelPart::Point { .. } => {
                        let dot = self.plan_dot(&plan, None, flux, &spectrum);
                        vec![dot[0], dot[5], dot[6]]
                    }
                })
            })
            .collect()
    }

    fn check_weights(&self, weights: ArrayView2<'_, f64>) -> Result<(), RenderError> {
        let (height, width) = self.stamp.dim();
        if weights.dim() != (height, width) {
            return Err(RenderError::WeightsShape {
                height,
                width,
                got_height: weights.nrows(),
                got_width: weights.ncols(),
            });
        }
        Ok(())
    }

    /// The weights' forward transform on a lattice of `period`.
    fn weights_spectrum(&self, period: usize, weights: ArrayView2<'_, f64>) -> Vec<Complex64> {
        let (height, width) = self.stamp.dim();
        let mut spectrum = Vec::new();
        let weights = weights.as_standard_layout();
        self.fft_plans(period).stamp_spectrum(
            weights.as_slice().expect("standard layout"),
            (width, height),
            &mut spectrum,
        );
        spectrum
    }

    /// The seven contractions of one plan (`galaxy`: its shape's derivatives; `None`: a point source,
    /// whose shape planes are zero) with the weights' `spectrum`.
    fn plan_dot(
        &self,
        plan: &DrawPlan,
        galaxy: Option<&GalaxyParams>,
        flux: f64,
        spectrum: &[Complex64],
    ) -> [f64; 7] {
        let (hlr, [dg1, dg2]) = match galaxy {
            Some(g) => (g.half_light_radius, shape_forms(g)),
            None => (1.0, [QuadraticForm::zero(), QuadraticForm::zero()]),
        };
        let sums = plan.grid.dot_with_derivatives(
            plan.k,
            &plan.form,
            [&dg1, &dg2],
            plan.transform
                .derivative_tables()
                .expect("derivative tables requested"),
            plan.shift.as_ref(),
            spectrum,
        );
        // The planes' own factors, as the Jacobian's draw applies them; the centre's −i·s leaves s·Im,
        // summed as such.
        let s = self.stamp.scale;
        let mut factors = plane_factors(flux, hlr);
        factors[5] *= s;
        factors[6] *= s;
        std::array::from_fn(|i| sums[i] * factors[i])
    }
}
