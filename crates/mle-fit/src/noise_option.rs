//! Which noise model a fit or a bound assumes.

use noise_model::likelihood::Likelihood;
use noise_model::CcdNoise;
use std::fmt;
use std::str::FromStr;

use crate::error::FitError;

/// The noise model behind a likelihood, a Fisher matrix or a Cramér–Rao bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoiseOption {
    /// Gaussian with the read-noise variance sigma² alone: the seed's baseline objective and the
    /// "sigma² alone" bounds of the reference (`--noise gaussian`).
    Gaussian,
    /// Gaussian with variance sigma² + max(model, 0), the source's Poisson noise included, and its
    /// variance-derivative term in the Fisher matrix (`--noise poisson`, the default).
    #[default]
    Poisson,
    /// The exact Poisson ⊛ Gaussian likelihood for fits (its Fisher matrix is taken as `Poisson`'s, which
    /// it equals to the accuracy of the Gaussian approximation: at sigma ≥ 200 ADU, far better than 1%).
    ExactPoisson,
}

impl NoiseOption {
    /// The noise (in `noise-model`'s terms) for a read-noise sigma.
    pub fn noise(&self, sigma: f64) -> Result<CcdNoise, FitError> {
        Ok(match self {
            NoiseOption::Gaussian => CcdNoise::gaussian(sigma)?,
            NoiseOption::Poisson | NoiseOption::ExactPoisson => CcdNoise::poisson_gaussian(sigma)?,
        })
    }

    /// The likelihood a fit maximises.
    pub fn likelihood(&self) -> Likelihood {
        match self {
            NoiseOption::ExactPoisson => Likelihood::PoissonGaussian,
            _ => Likelihood::Gaussian,
        }
    }

    /// The name on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            NoiseOption::Gaussian => "gaussian",
            NoiseOption::Poisson => "poisson",
            NoiseOption::ExactPoisson => "exact",
        }
    }
}

impl fmt::Display for NoiseOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NoiseOption {
    type Err = FitError;
    fn from_str(s: &str) -> Result<Self, FitError> {
        match s {
            "gaussian" => Ok(NoiseOption::Gaussian),
            "poisson" => Ok(NoiseOption::Poisson),
            "exact" => Ok(NoiseOption::ExactPoisson),
            other => Err(FitError::BadInput(format!(
                "unknown noise '{other}'; expected gaussian, poisson or exact"
            ))),
        }
    }
}
