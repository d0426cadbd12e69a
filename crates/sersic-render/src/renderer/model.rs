//! Models of several components (bulge + disk, a point source, ...) drawn through one PSF on one lattice.
//!
//! Every part is summed into the same k-space columns, so a model's image costs one inverse FFT whatever
//! the number of parts; its Jacobian gives each part its own planes (a fitter ties shared parameters, such
//! as a common centre, by adding them).

use super::{DrawPlan, RenderError, Renderer, ONE};
use crate::lattice::{Lattice, Part, Shift};
use crate::params::GalaxyParams;
use crate::psf::Psf;
use crate::shear::QuadraticForm;
use ndarray::{Array2, Array3};

/// One component of a model, at its own offset (pixels from the stamp's true centre, as
/// [`Renderer::render_offset`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModelPart {
    /// A sheared Sérsic (an exponential disk is n = 1, a de Vaucouleurs bulge n = 4).
    Sersic {
        /// The profile.
        galaxy: GalaxyParams,
        /// Its centre offset (dx, dy), pixels.
        offset: [f64; 2],
    },
    /// A point source: the PSF alone, scaled to `flux`.
    Point {
        /// Total flux.
        flux: f64,
        /// Its centre offset (dx, dy), pixels.
        offset: [f64; 2],
    },
}

impl ModelPart {
    /// Names of the part's Jacobian planes: the seven of [`crate::params::PARAM_NAMES_WITH_CENTRE`] for a Sérsic,
    /// (flux, dx, dy) for a point source.
    pub fn plane_names(&self) -> &'static [&'static str] {
        match self {
            ModelPart::Sersic { .. } => &crate::params::PARAM_NAMES_WITH_CENTRE,
            ModelPart::Point { .. } => &["flux", "dx", "dy"],
        }
    }
}

/// A model's image and each part's derivatives.
#[derive(Clone, Debug)]
pub struct ModelWithJacobian {
    /// The sum of the parts, [height, width].
    pub image: Array2<f64>,
    /// Per part, ∂image/∂θ of that part's parameters ([`ModelPart::plane_names`] order), [planes,
    /// height, width].
    pub parts: Vec<Array3<f64>>,
}

impl Renderer {
    /// The lattice every part of `parts` is drawn on: the longest period and the widest k radius that
    /// any part alone would be drawn with.
    pub fn model_lattice(&self, parts: &[ModelPart], psf: &Psf) -> Result<Lattice, RenderError> {
        let mut lattice = Lattice {
            period: 0,
            k_max: 0.0,
        };
        for part in parts {
            let own = match part {
                ModelPart::Sersic { galaxy, offset } => {
                    self.lattice_for_offset(galaxy, psf, *offset)?
                }
                ModelPart::Point { offset, .. } => {
                    let psf = psf.clone().validated()?;
                    let period = self.choose_period(None, &psf, *offset);
                    Lattice {
                        period,
                        k_max: self.psf_grid(&psf, period).k_max,
                    }
                }
            };
            lattice.period = lattice.period.max(own.period);
            lattice.k_max = lattice.k_max.max(own.k_max);
        }
        if parts.is_empty() {
            let psf = psf.clone().validated()?;
            lattice.period = self.choose_period(None, &psf, [0.0, 0.0]);
            lattice.k_max = self.psf_grid(&psf, lattice.period).k_max;
        }
        Ok(lattice)
    }

    /// The model's image: the sum of its parts through `psf`, drawn with one inverse FFT on `lattice`
    /// (`None`, or one the renderer cannot use: [`Self::model_lattice`]).
    pub fn render_model(
        &self,
        lattice: Option<Lattice>,
        parts: &[ModelPart],
        psf: &Psf,
    ) -> Result<Array2<f64>, RenderError> {
        if self.convolution == crate::discrete::Convolution::Discrete {
            return self.render_model_discrete(parts, psf);
        }
        let lattice = self.usable_model_lattice(lattice, parts, psf)?;
        let plans = parts
            .iter()
            .map(|part| self.part_plan(part, psf, lattice, false))
            .collect::<Result<Vec<_>, _>>()?;
        let grid = self.psf_grid(psf, lattice.period);
        let list: Vec<Part<'_>> = plans
            .iter()
            .map(|(plan, flux)| {
                (
                    plan.k,
                    &plan.form,
                    &plan.transform.value,
                    plan.shift.as_ref(),
                    *flux,
                )
            })
            .collect();
        let planes = self.columns(lattice.period, &[ONE], &[], &mut |sink| {
            grid.accumulate_parts(&list, sink)
        });
        let image = self.rows(lattice.period, &planes[0], 1.0);
        Self::recycle(planes);
        Ok(image)
    }

    /// The model's image and each part's exact Jacobian, all on one lattice (`None`, or one the
    /// renderer cannot use: [`Self::model_lattice`]).
    pub fn render_model_with_jacobian(
        &self,
        lattice: Option<Lattice>,
        parts: &[ModelPart],
        psf: &Psf,
    ) -> Result<ModelWithJacobian, RenderError> {
        if self.convolution == crate::discrete::Convolution::Discrete {
            return self.render_model_discrete_with_jacobian(parts, psf);
        }
        let lattice = self.usable_model_lattice(lattice, parts, psf)?;
        let mut image = Array2::zeros(self.stamp.dim());
        let mut planes = Vec::with_capacity(parts.len());
        for part in parts {
            let (plan, flux) = self.part_plan(part, psf, lattice, true)?;
            let drawn = match part {
                ModelPart::Sersic { galaxy, .. } => {
                    let [dg1, dg2] = super::shape_forms(galaxy);
                    self.draw_jacobian(&plan, [&dg1, &dg2], flux, galaxy.half_light_radius, true)
                }
                ModelPart::Point { .. } => {
                    // Flux and centre only: the shape's planes are neither transformed nor drawn.
                    let zero = QuadraticForm::zero();
                    self.draw_jacobian_planes(&plan, [&zero, &zero], flux, 1.0, &[0, 5, 6])
                }
            };
            image += &drawn.image;
            planes.push(drawn.jacobian);
        }
        Ok(ModelWithJacobian {
            image,
            parts: planes,
        })
    }

    /// `lattice` if the renderer can draw on it (an even period longer than the stamp by 2), else the
    /// model's own.
    pub(super) fn usable_model_lattice(
        &self,
        lattice: Option<Lattice>,
        parts: &[ModelPart],
        psf: &Psf,
    ) -> Result<Lattice, RenderError> {
        match lattice {
            Some(l)
                if l.period >= self.stamp.longest_side() + 2
                    && l.period % 2 == 0
                    && l.k_max.is_finite()
                    && l.k_max > 0.0 =>
            {
                Ok(l)
            }
            _ => self.model_lattice(parts, psf),
        }
    }

    /// A part's draw plan on `lattice`, and its flux.
    pub(super) fn part_plan(
        &self,
        part: &ModelPart,
        psf: &Psf,
        lattice: Lattice,
        with_dn: bool,
    ) -> Result<(DrawPlan, f64), RenderError> {
        match part {
            ModelPart::Sersic { galaxy, offset } => Ok((
                self.plan(galaxy, psf, *offset, with_dn, Some(lattice))?,
                galaxy.flux,
            )),
            ModelPart::Point { flux, offset } => {
                if !flux.is_finite() {
                    return Err(RenderError::PointFlux(*flux));
                }
                if !(offset[0].is_finite() && offset[1].is_finite()) {
                    return Err(RenderError::Offset(offset[0], offset[1]));
                }
                let psf = psf.clone().validated()?;
                let grid = self.psf_grid(&psf, lattice.period);
                let k = lattice.k_max.min(grid.k_max);
                let shift = Shift::new(
                    *offset,
                    lattice.period,
                    (grid.k_max / grid.dk).floor() as i64 + 1,
                );
                let plan = DrawPlan {
                    grid,
                    transform: self.table.constant_transform(),
                    k,
                    form: QuadraticForm::zero(),
                    shift,
                };
                Ok((plan, *flux))
            }
        }
    }
}
