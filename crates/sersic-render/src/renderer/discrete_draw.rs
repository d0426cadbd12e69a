//! Models drawn by discrete convolution ([`crate::discrete`]): each Sérsic part sampled at the centres of a grid
//! padded by the PSF's size, then convolved with the PSF image.

use super::model::{ModelPart, ModelWithJacobian};
use super::{RenderError, Renderer};
use crate::discrete::{DiscreteError, Kernel, Sampler};
use crate::params::GalaxyParams;
use crate::psf::Psf;
use ndarray::{Array2, Array3};
use std::sync::Arc;

impl Renderer {
    /// The PSF image's kernel for this stamp, after checking that discrete convolution can use it.
    fn discrete_kernel(&self, psf: &Psf) -> Result<Arc<Kernel>, RenderError> {
        let image = psf.as_image().ok_or(DiscreteError::AnalyticPsf)?;
        let scale = self.stamp.scale;
        if image.oversampling() != 1 || (image.psf_scale() - scale).abs() > 1e-9 * scale {
            return Err(DiscreteError::Sampling {
                stamp: scale,
                psf: image.psf_scale(),
                oversampling: image.oversampling(),
            }
            .into());
        }
        if !image.includes_pixel() {
            return Err(DiscreteError::OpticalPsf.into());
        }
        let mut cache = self.discrete.lock().expect("kernel cache lock");
        if let Some((key, kernel)) = cache.as_ref() {
            if *key == image.key() {
                return Ok(kernel.clone());
            }
        }
        let kernel = Arc::new(Kernel::new(
            image.pixels(),
            (self.stamp.width, self.stamp.height),
        ));
        *cache = Some((image.key(), kernel.clone()));
        Ok(kernel)
    }

    /// The padded grid's sample positions: columns then rows, arcsec from the stamp's true centre.
    fn padded_positions(&self, kernel: &Kernel) -> (Vec<f64>, Vec<f64>) {
        let (width, height) = (self.stamp.width, self.stamp.height);
        let s = self.stamp.scale;
        let axis = |n: usize| {
            let centre = (n as f64 - 1.0) / 2.0;
            (0..n).map(|i| (i as f64 - centre) * s).collect::<Vec<_>>()
        };
        (
            axis(width + kernel.size.0 - 1),
            axis(height + kernel.size.1 - 1),
        )
    }

    /// The parts' Sérsic parameters, checked.
    fn discrete_parts(parts: &[ModelPart]) -> Result<Vec<(GalaxyParams, [f64; 2])>, RenderError> {
        parts
            .iter()
            .map(|part| match part {
                ModelPart::Sersic { galaxy, offset } => {
                    galaxy.validate()?;
                    if !(offset[0].is_finite() && offset[1].is_finite()) {
                        return Err(RenderError::Offset(offset[0], offset[1]));
                    }
                    Ok((*galaxy, *offset))
                }
                ModelPart::Point { .. } => Err(DiscreteError::PointSource.into()),
            })
            .collect()
    }

    /// The model's image by discrete convolution ([`Convolution::Discrete`]).
    pub(super) fn render_model_discrete(
        &self,
        parts: &[ModelPart],
        psf: &Psf,
    ) -> Result<Array2<f64>, RenderError> {
        let kernel = self.discrete_kernel(psf)?;
        let parts = Self::discrete_parts(parts)?;
        let (xs, ys) = self.padded_positions(&kernel);
        let s = self.stamp.scale;
        let mut samples = vec![0.0; xs.len() * ys.len()];
        for (galaxy, offset) in &parts {
            let sampler = Sampler::new(galaxy, *offset, s);
            for (row, &y) in samples.chunks_exact_mut(xs.len()).zip(&ys) {
                for (v, &x) in row.iter_mut().zip(&xs) {
                    *v += sampler.at(x, y, s, None);
                }
            }
        }
        let (width, height) = (self.stamp.width, self.stamp.height);
        let mut image = vec![0.0; width * height];
        kernel.convolve_pair(&samples, None, (width, height), &mut image, None);
        Ok(Array2::from_shape_vec((height, width), image).expect("stamp-sized image"))
    }

    /// The model's image and each part's seven planes by discrete convolution.
    pub(super) fn render_model_discrete_with_jacobian(
        &self,
        parts: &[ModelPart],
        psf: &Psf,
    ) -> Result<ModelWithJacobian, RenderError> {
        let kernel = self.discrete_kernel(psf)?;
        let parts = Self::discrete_parts(parts)?;
        let (xs, ys) = self.padded_positions(&kernel);
        let s = self.stamp.scale;
        let (width, height) = (self.stamp.width, self.stamp.height);
        let pixels = width * height;
        let mut image = Array2::zeros((height, width));
        let mut planes = Vec::with_capacity(parts.len());
        for (galaxy, offset) in &parts {
            let sampler = Sampler::new(galaxy, *offset, s);
            let mut sampled = vec![vec![0.0; xs.len() * ys.len()]; 7];
            let mut p = [0.0; 7];
            let mut at = 0;
            for &y in &ys {
                for &x in &xs {
                    sampler.at(x, y, s, Some(&mut p));
                    for (plane, v) in sampled.iter_mut().zip(p) {
                        plane[at] = v;
                    }
                    at += 1;
                }
            }
            let mut drawn = vec![0.0; 7 * pixels];
            for pair in 0..4 {
                let (first, rest) = drawn[2 * pair * pixels..].split_at_mut(pixels);
                let second = (2 * pair + 1 < 7).then(|| &mut rest[..pixels]);
                kernel.convolve_pair(
                    &sampled[2 * pair],
                    sampled.get(2 * pair + 1).map(|v| v.as_slice()),
                    (width, height),
                    first,
                    second,
                );
            }
            let drawn =
                Array3::from_shape_vec((7, height, width), drawn).expect("seven stamp planes");
            image.scaled_add(galaxy.flux, &drawn.index_axis(ndarray::Axis(0), 0));
            planes.push(drawn);
        }
        Ok(ModelWithJacobian {
            image,
            parts: planes,
        })
    }
}
