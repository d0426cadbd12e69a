//! Fisher matrices and Cramér–Rao bounds for any galaxy, PSF and noise.

use nalgebra::Matrix5;
use noise_model::CcdNoise;
use sersic_render::{GalaxyParams, Psf, Renderer};

use crate::error::FitError;

/// The Fisher information of an image about (flux, n, hlr, g1, g2) and what it bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crb {
    /// Fisher matrix F_ij.
    pub fisher: [[f64; 5]; 5],
    /// F⁻¹: the smallest covariance an unbiased estimator can have.
    pub covariance: [[f64; 5]; 5],
    /// sqrt(diag F⁻¹): the 1-sigma Cramér–Rao bounds, each in its parameter's unit (flux in counts).
    pub sigma: [f64; 5],
}

/// F_ij = Σ (∂μ/∂θ_i)(∂μ/∂θ_j)/V + ½ Σ (∂V/∂θ_i)(∂V/∂θ_j)/V², V the noise's variance at the model μ.
///
/// The second term is what a variance that grows with the source (Poisson noise) adds; it vanishes for
/// sky-only noise. The derivatives are the renderer's exact Jacobian.
pub fn fisher_matrix(
    renderer: &Renderer,
    galaxy: &GalaxyParams,
    psf: &Psf,
    noise: &CcdNoise,
) -> Result<[[f64; 5]; 5], FitError> {
    let model = renderer.render_with_jacobian(galaxy, psf)?;
    Ok(fisher_from_jacobian(&model.image, &model.jacobian, noise))
}

/// The Fisher matrix from a model image and its Jacobian [5, S, S].
pub fn fisher_from_jacobian(
    image: &ndarray::Array2<f64>,
    jacobian: &ndarray::Array3<f64>,
    noise: &CcdNoise,
) -> [[f64; 5]; 5] {
    let mut f = [[0.0; 5]; 5];
    let planes: Vec<&[f64]> = (0..5)
        .map(|p| {
            jacobian
                .index_axis(ndarray::Axis(0), p)
                .to_slice()
                .expect("Jacobian planes are contiguous")
        })
        .collect();
    for (k, &mu) in image.iter().enumerate() {
        let v = noise.pixel_variance(mu);
        let dv = noise.pixel_variance_derivative(mu);
        let d: [f64; 5] = std::array::from_fn(|p| planes[p][k]);
        let w_mean = 1.0 / v;
        let w_var = 0.5 * dv * dv / (v * v);
        for i in 0..5 {
            for j in i..5 {
                f[i][j] += d[i] * d[j] * (w_mean + w_var);
            }
        }
    }
    // Mirror the upper triangle.
    std::array::from_fn(|i| std::array::from_fn(|j| if j < i { f[j][i] } else { f[i][j] }))
}

/// Inverts a Fisher matrix into the Cramér–Rao covariance and bounds.
pub fn crb_from_fisher(fisher: [[f64; 5]; 5]) -> Result<Crb, FitError> {
    let m = Matrix5::from_fn(|i, j| fisher[i][j]);
    // Scale to unit diagonal first: the entries span many decades (flux in counts, shears of order 1).
    let d = Matrix5::from_diagonal(
        &m.diagonal()
            .map(|v| if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 }),
    );
    let scaled = d * m * d;
    let inv = scaled.cholesky().ok_or(FitError::SingularFisher)?.inverse();
    let cov = d * inv * d;
    let covariance: [[f64; 5]; 5] = std::array::from_fn(|i| std::array::from_fn(|j| cov[(i, j)]));
    let sigma: [f64; 5] = std::array::from_fn(|i| covariance[i][i].sqrt());
    if sigma.iter().any(|s| !s.is_finite()) {
        return Err(FitError::SingularFisher);
    }
    Ok(Crb {
        fisher,
        covariance,
        sigma,
    })
}

/// The Cramér–Rao bound for a galaxy seen through a PSF with this noise.
pub fn crb(
    renderer: &Renderer,
    galaxy: &GalaxyParams,
    psf: &Psf,
    noise: &CcdNoise,
) -> Result<Crb, FitError> {
    crb_from_fisher(fisher_matrix(renderer, galaxy, psf, noise)?)
}
