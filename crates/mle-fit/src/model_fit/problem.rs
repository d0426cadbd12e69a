//! −ln L of an image under a model of several components, as a function of the model's free parameters,
//! with its exact gradient and Fisher matrix on a fixed lattice; and the same in the solver's unit box.

use std::rc::Rc;

use ndarray::{Array2, ArrayView2};
use noise_model::PixelNoise;
use sersic_render::{Convolution, GalaxyParams, Lattice, ModelPart, Psf, Renderer};

use super::spec::ComponentKind;
use crate::error::FitError;
use crate::unit_box::{
    finite_gradient, gradient_and_fisher, Evaluation, LastEvaluation, LastValue, UnitBox,
    ValueAndGradient, ValueAt,
};

/// Width of the bulge-inside prior ([`super::Priors::bulge_inside`]) in ln(radius ratio): a bulge 10%
/// larger than its disk costs 1.8 in −ln posterior, one twice as large about 96.
pub const INSIDE_SIGMA: f64 = 0.05;

/// One parameter of the model, free or fixed, with its box.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// Output name: `<component>_<parameter>`, or `dx`, `dy` for the shared centre.
    pub name: String,
    /// The value it is held at, when fixed.
    pub fixed: Option<f64>,
    /// Start.
    pub start: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// A Gaussian prior `[mean, sigma]`, if the fit is to maximise the posterior in this parameter.
    pub prior: Option<[f64; 2]>,
}

/// How the components read the parameter vector: per component its kind, and per plane of its Jacobian
/// (in [`ModelPart::plane_names`] order; a sky has the one plane "level") the slot it reads, or `None`
/// for an n its kind fixes.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The parameters.
    pub slots: Vec<Slot>,
    /// Per component: its kind and the slot of each plane.
    pub components: Vec<(ComponentKind, Vec<Option<usize>>)>,
    /// The component that is the bulge, with two or more components of light: the most concentrated by
    /// the model's own description (a point source, then the highest n its kind fixes or it starts from).
    pub bulge: Option<usize>,
    /// Pairs of half-light-radius slots [inner, outer] held in that order by the bulge-inside prior
    /// ([`super::Priors::bulge_inside`]).
    pub inside: Vec<[usize; 2]>,
}

impl Layout {
    /// Indices of the free slots, in order.
    pub fn free(&self) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&i| self.slots[i].fixed.is_none())
            .collect()
    }

    /// Each component's name: the prefix of its slots' names (`bulge` of `bulge_flux`; a sky's of
    /// `sky_level`).
    pub fn component_names(&self) -> Vec<String> {
        self.components
            .iter()
            .map(|(_, planes)| {
                let slot = planes[0].expect("a component's first plane is its flux or level");
                let name = &self.slots[slot].name;
                let prefix = name.strip_suffix("_flux").or(name.strip_suffix("_level"));
                prefix.unwrap_or(name).to_string()
            })
            .collect()
    }

    /// The box of the free parameters: (lower bounds, upper bounds), in [`Self::free`] order.
    pub fn free_bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let free = self.free();
        (
            free.iter().map(|&i| self.slots[i].lower).collect(),
            free.iter().map(|&i| self.slots[i].upper).collect(),
        )
    }

    /// What each free parameter reads, in the order a model's planes come: (its index in [`Self::free`],
    /// `Some((part, plane))` for plane `plane` of the model's `part`-th part of light, `None` for a sky's
    /// level, whose plane is 1 everywhere). A shared centre is read by every component without its own.
    fn free_reads(&self) -> Vec<(usize, Option<(usize, usize)>)> {
        let free_slots = self.free();
        let mut reads = Vec::new();
        let mut part = 0;
        for (kind, slots) in &self.components {
            for (plane, slot) in slots.iter().enumerate() {
                let Some(at) = slot.and_then(|s| free_slots.iter().position(|&f| f == s)) else {
                    continue;
                };
                reads.push((at, (*kind != ComponentKind::Sky).then_some((part, plane))));
            }
            if *kind != ComponentKind::Sky {
                part += 1;
            }
        }
        reads
    }

    /// Every slot's value from the free ones (`free` in [`Self::free`] order).
    pub fn values(&self, free: &[f64]) -> Vec<f64> {
        let mut values: Vec<f64> = self
            .slots
            .iter()
            .map(|s| s.fixed.unwrap_or(s.start))
            .collect();
        for (&i, &v) in self.free().iter().zip(free) {
            values[i] = v;
        }
        values
    }

    /// −ln of the priors at `values` (every slot's value), up to a constant, with its gradient and its
    /// Hessian (Gauss-Newton) in the free parameters, in [`Self::free`] order; zero without priors.
    pub fn prior_terms(&self, values: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        let free = self.free();
        let at = |slot: usize| free.iter().position(|&f| f == slot);
        let mut value = 0.0;
        let mut gradient = vec![0.0; free.len()];
        let mut curvature = vec![vec![0.0; free.len()]; free.len()];
        for (i, &slot) in free.iter().enumerate() {
            if let Some([mean, sigma]) = self.slots[slot].prior {
                let z = (values[slot] - mean) / sigma;
                value += 0.5 * z * z;
                gradient[i] = z / sigma;
                curvature[i][i] = 1.0 / (sigma * sigma);
            }
        }
        // One-sided: z = ln(inner / outer) / σ where positive. ∂z/∂r = ±1/(σ r).
        for &[inner, outer] in &self.inside {
            let (a, b) = (values[inner].max(1e-300), values[outer].max(1e-300));
            let z = (a / b).ln() / INSIDE_SIGMA;
            if z <= 0.0 {
                continue;
            }
            value += 0.5 * z * z;
            let dz = [
                (at(inner), 1.0 / (INSIDE_SIGMA * a)),
                (at(outer), -1.0 / (INSIDE_SIGMA * b)),
            ];
            for &(i, di) in &dz {
                let Some(i) = i else { continue };
                gradient[i] += z * di;
                for &(j, dj) in &dz {
                    if let Some(j) = j {
                        curvature[i][j] += di * dj;
                    }
                }
            }
        }
        (value, gradient, curvature)
    }

    /// The drawable parts (the sky aside) and the total sky level at `values`.
    pub fn parts(&self, values: &[f64]) -> (Vec<ModelPart>, f64) {
        let mut parts = Vec::new();
        let mut sky = 0.0;
        for (kind, slots) in &self.components {
            let v = |p: usize| slots[p].map(|s| values[s]);
            match kind {
                ComponentKind::Sky => sky += v(0).unwrap_or(0.0),
                ComponentKind::Point => parts.push(ModelPart::Point {
                    flux: v(0).unwrap_or(0.0),
                    offset: [v(1).unwrap_or(0.0), v(2).unwrap_or(0.0)],
                }),
                _ => parts.push(ModelPart::Sersic {
                    galaxy: GalaxyParams::new(
                        v(0).unwrap_or(0.0),
                        v(1).or(kind.fixed_index()).unwrap_or(1.0),
                        v(2).unwrap_or(1.0),
                        v(3).unwrap_or(0.0),
                        v(4).unwrap_or(0.0),
                    ),
                    offset: [v(5).unwrap_or(0.0), v(6).unwrap_or(0.0)],
                }),
            }
        }
        (parts, sky)
    }
}

/// −ln L of `data` under the model as a function of its free parameters, on a fixed lattice.
pub struct ModelNll<'r, 'd> {
    renderer: &'r Renderer,
    psf: Psf,
    data: ArrayView2<'d, f64>,
    noise: &'d PixelNoise,
    lattice: Lattice,
    layout: &'r Layout,
    /// The last evaluation with the Jacobian and Fisher matrix (see
    /// [`ImageNll`](crate::image_fit::ImageNll)).
    last: LastEvaluation,
    /// The last value alone, kept for the gradient there.
    last_value: LastValue,
}

impl<'r, 'd> ModelNll<'r, 'd> {
    /// The NLL of `data` seen through `psf` with `noise`, the model read through `layout`, drawn on
    /// `lattice`.
    pub fn new(
        renderer: &'r Renderer,
        psf: Psf,
        data: ArrayView2<'d, f64>,
        noise: &'d PixelNoise,
        lattice: Lattice,
        layout: &'r Layout,
    ) -> Self {
        ModelNll {
            renderer,
            psf,
            data,
            noise,
            lattice,
            layout,
            last: LastEvaluation::default(),
            last_value: LastValue::default(),
        }
    }

    /// −ln posterior at `free` from the image alone (no Jacobian), kept for the gradient there.
    fn value_at(&self, free: &[f64]) -> Result<Rc<ValueAt>, FitError> {
        if let Some(v) = self.last_value.at(free) {
            return Ok(v);
        }
        let values = self.layout.values(free);
        let (parts, sky) = self.layout.parts(&values);
        let image = self
            .renderer
            .render_model(Some(self.lattice), &parts, &self.psf)?;
        let model = image.mapv(|v| v + sky);
        let (log_l, d_model) = self
            .noise
            .log_likelihood_with_gradient(self.data, model.view())?;
        let (penalty, _, _) = self.layout.prior_terms(&values);
        let v = ValueAt::new(self.noise, free, log_l - penalty, &d_model, &values)?;
        Ok(self.last_value.keep(v))
    }

    /// The gradient at `free` as the model's Jacobian transposed onto ∂(−ln L)/∂pixel, without drawing its
    /// planes, mapped to the free parameters as [`Self::evaluate`] maps the planes, plus the priors'.
    fn gradient_at(&self, free: &[f64]) -> Result<Vec<f64>, FitError> {
        let v = self.value_at(free)?;
        let layout = self.layout;
        let values = layout.values(free);
        let (parts, _) = layout.parts(&values);
        let dots = self.renderer.model_jacobian_dot(
            Some(self.lattice),
            &parts,
            &self.psf,
            v.weights.view(),
        )?;
        let mut gradient = vec![0.0; layout.free().len()];
        for (at, read) in layout.free_reads() {
            gradient[at] += match read {
                Some((part, plane)) => dots[part][plane],
                None => v.weights.sum(),
            };
        }
        let (_, prior_gradient, _) = layout.prior_terms(&values);
        for (g, pg) in gradient.iter_mut().zip(&prior_gradient) {
            *g += pg;
        }
        finite_gradient(gradient, &values)
    }

    /// NLL and gradient at the free parameters `free`.
    pub fn value_and_gradient(&self, free: &[f64]) -> Result<(f64, Vec<f64>), FitError> {
        let e = self.evaluate(free)?;
        Ok((e.nll, e.gradient.clone()))
    }

    pub(crate) fn evaluate(&self, free: &[f64]) -> Result<Rc<Evaluation>, FitError> {
        if let Some(e) = self.last.at(free) {
            return Ok(e);
        }
        let layout = self.layout;
        let values = layout.values(free);
        let (parts, sky) = layout.parts(&values);
        let drawn =
            self.renderer
                .render_model_with_jacobian(Some(self.lattice), &parts, &self.psf)?;
        let model = drawn.image.mapv(|v| v + sky);
        let (log_l, d_model) = self
            .noise
            .log_likelihood_with_gradient(self.data, model.view())?;
        // ∂μ/∂(free parameter): the sum of the planes that read it (a shared centre is read by every
        // component that has no centre of its own); a sky level's plane is 1.
        let free_count = layout.free().len();
        let mut planes = vec![Array2::<f64>::zeros(model.dim()); free_count];
        for (at, read) in layout.free_reads() {
            match read {
                Some((part, plane)) => {
                    planes[at] += &drawn.parts[part].index_axis(ndarray::Axis(0), plane)
                }
                None => planes[at] += 1.0,
            }
        }
        let (mut gradient, mut fisher) =
            gradient_and_fisher(self.noise, &model, &d_model, free_count, |k, d| {
                for (v, plane) in d.iter_mut().zip(&planes) {
                    *v = plane[k];
                }
            });
        // With priors the solver minimises −ln L − ln prior, and the Fisher matrix becomes the
        // posterior's curvature (its inverse the Laplace approximation's covariance).
        let (penalty, prior_gradient, prior_curvature) = layout.prior_terms(&values);
        for ((g, row), (pg, prow)) in gradient
            .iter_mut()
            .zip(fisher.iter_mut())
            .zip(prior_gradient.iter().zip(&prior_curvature))
        {
            *g += pg;
            for (f, c) in row.iter_mut().zip(prow) {
                *f += c;
            }
        }
        let e = Evaluation::new(free, log_l - penalty, (gradient, fisher), model, &values)?;
        Ok(self.last.keep(e))
    }
}

impl ValueAndGradient for ModelNll<'_, '_> {
    fn value_and_gradient(&self, free: &[f64]) -> Result<(f64, Vec<f64>), FitError> {
        ModelNll::value_and_gradient(self, free)
    }

    /// −ln posterior from the image alone. (By discrete convolution the gradient needs the planes
    /// anyway, so every evaluation is whole, as it always was.)
    fn value(&self, free: &[f64]) -> Result<f64, FitError> {
        if let Some(e) = self.last.at(free) {
            return Ok(e.nll);
        }
        if self.renderer.convolution() == Convolution::Discrete {
            return Ok(self.evaluate(free)?.nll);
        }
        Ok(self.value_at(free)?.nll)
    }

    /// The gradient as the model's Jacobian transposed onto ∂(−ln L)/∂pixel, without its planes.
    fn gradient(&self, free: &[f64]) -> Result<Vec<f64>, FitError> {
        if let Some(e) = self.last.at(free) {
            return Ok(e.gradient.clone());
        }
        if self.renderer.convolution() == Convolution::Discrete {
            return Ok(self.evaluate(free)?.gradient.clone());
        }
        self.gradient_at(free)
    }
}

/// The NLL seen through the unit-box scaling of the free parameters.
pub type ScaledModelNll<'r, 'd> = UnitBox<ModelNll<'r, 'd>>;
