//! Log-likelihood of an image given a model image, with its derivative with respect to the model.
//!
//! Two noise likelihoods are offered for [`CcdNoise`]:
//! * [`Likelihood::Gaussian`]: each pixel is Gaussian with the noise's variance at the model value,
//!   V = σ² + max(model, 0) for the seed's noise. This is what the seed's Cramér–Rao values assume, and
//!   what a fit uses by default: cheap and, at the seed's noise levels (σ ≥ 200 ADU, so ≥ 40,000 ADU² of
//!   read variance), indistinguishable from the exact one.
//! * [`Likelihood::PoissonGaussian`]: the exact density of "Poisson counts plus Gaussian read noise", a sum
//!   over the count k of Pois(k; λ)·N(data − k/gain; 0, σ_read²). The sum runs only over the counts that
//!   matter: its log-summand is concave in k, so the peak is found by bisection on the (closed-form)
//!   difference of consecutive terms and the sum walks outwards until terms drop by e⁻⁴⁰.
//!
//! Densities are per ADU; the log-likelihood of an image is the sum over its pixels.

use ndarray::{Array, ArrayBase, Data, Dimension, Zip};

use crate::ccd::CcdNoise;
use crate::error::{check_finite, check_same_shape, NoiseError};
use crate::pixel::Pixel;

/// Which noise likelihood to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Likelihood {
    /// Gaussian with the variance of the noise at the model value (σ² + max(model, 0) for the seed's noise).
    #[default]
    Gaussian,
    /// The exact Poisson-convolved-Gaussian density.
    PoissonGaussian,
}

/// One pixel's log-likelihood and its derivative with respect to the model value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelTerm {
    /// ln p(data | model).
    pub log_l: f64,
    /// ∂ ln p / ∂ model.
    pub d_model: f64,
}

/// Log-summand terms below the peak by more than this are dropped (e⁻⁴⁰ ≈ 4e-18).
const TERM_CUTOFF: f64 = 40.0;

impl Likelihood {
    /// One pixel's log-likelihood of `data` given `model` (both ADU) and its derivative in the model.
    pub fn pixel(&self, noise: &CcdNoise, data: f64, model: f64) -> PixelTerm {
        match self {
            Likelihood::Gaussian => gaussian_pixel(noise, data, model),
            Likelihood::PoissonGaussian => {
                if noise.gain() > 0.0 && noise.read_sigma_adu() > 0.0 {
                    poisson_gaussian_pixel(noise, data, model)
                } else if noise.gain() > 0.0 {
                    poisson_pixel(noise, data, model)
                } else {
                    gaussian_pixel(noise, data, model)
                }
            }
        }
    }

    /// Log-likelihood of an image given a model image of the same shape.
    pub fn log_likelihood<D: Dimension>(
        &self,
        noise: &CcdNoise,
        data: &ArrayBase<impl Data<Elem = impl Pixel>, D>,
        model: &ArrayBase<impl Data<Elem = impl Pixel>, D>,
    ) -> Result<f64, NoiseError> {
        self.log_likelihood_with_gradient(noise, data, model)
            .map(|(total, _)| total)
    }

    /// Log-likelihood and its gradient with respect to every model pixel.
    pub fn log_likelihood_with_gradient<D: Dimension>(
        &self,
        noise: &CcdNoise,
        data: &ArrayBase<impl Data<Elem = impl Pixel>, D>,
        model: &ArrayBase<impl Data<Elem = impl Pixel>, D>,
    ) -> Result<(f64, Array<f64, D>), NoiseError> {
        check_pair(data, model)?;
        let mut total = 0.0;
        let mut gradient = Array::zeros(data.raw_dim());
        Zip::from(&mut gradient)
            .and(data)
            .and(model)
            .for_each(|g, d, m| {
                let term = self.pixel(noise, d.to_f64(), m.to_f64());
                total += term.log_l;
                *g = term.d_model;
            });
        Ok((total, gradient))
    }
}

fn check_pair<D: Dimension>(
    data: &ArrayBase<impl Data<Elem = impl Pixel>, D>,
    model: &ArrayBase<impl Data<Elem = impl Pixel>, D>,
) -> Result<(), NoiseError> {
    check_same_shape("model", model.shape(), data.shape())?;
    check_finite("data", data.iter())?;
    check_finite("model", model.iter())
}

fn gaussian_pixel(noise: &CcdNoise, data: f64, model: f64) -> PixelTerm {
    let v = noise.pixel_variance(model);
    let dv = noise.pixel_variance_derivative(model);
    let r = data - model;
    let log_l = -0.5 * (r * r / v + (2.0 * std::f64::consts::PI * v).ln());
    let d_model = r / v + 0.5 * dv * (r * r / (v * v) - 1.0 / v);
    PixelTerm { log_l, d_model }
}

/// Without read noise the data are counts/gain: the Poisson probability of the nearest count.
fn poisson_pixel(noise: &CcdNoise, data: f64, model: f64) -> PixelTerm {
    let g = noise.gain();
    let lambda = (g * (model + noise.sky_level())).max(0.0);
    let k = (g * (data + noise.sky_level())).round().max(0.0);
    if lambda == 0.0 {
        let log_l = if k == 0.0 { 0.0 } else { f64::NEG_INFINITY };
        return PixelTerm {
            log_l,
            d_model: 0.0,
        };
    }
    let log_l = k * lambda.ln() - lambda - puruspe::ln_gamma(k + 1.0);
    PixelTerm {
        log_l,
        d_model: g * (k / lambda - 1.0),
    }
}

fn poisson_gaussian_pixel(noise: &CcdNoise, data: f64, model: f64) -> PixelTerm {
    let g = noise.gain();
    let s = noise.read_sigma_adu();
    let y = data + noise.sky_level();
    let lambda = (g * (model + noise.sky_level())).max(0.0);
    let norm = -0.5 * (2.0 * std::f64::consts::PI * s * s).ln();
    if lambda == 0.0 {
        // Only k = 0 is possible; the model has no influence while it stays clipped.
        return PixelTerm {
            log_l: norm - 0.5 * (y / s).powi(2),
            d_model: 0.0,
        };
    }
    let ln_lambda = lambda.ln();
    // f(k+1) − f(k) for the log-summand f(k) = k ln λ − λ − lnΓ(k+1) − (y − k/g)²/(2s²); decreasing in k.
    let step =
        |k: f64| ln_lambda - (k + 1.0).ln() + (2.0 * y - (2.0 * k + 1.0) / g) / (2.0 * g * s * s);
    let mut hi = (lambda.max(g * y) + 50.0 * (lambda.sqrt() + g * s) + 100.0).ceil();
    let mut lo = 0.0;
    if step(0.0) <= 0.0 {
        hi = 0.0;
    }
    // Bisection for the first k with step(k) <= 0: the peak of the summand.
    while hi - lo > 1.0 {
        let mid = ((lo + hi) * 0.5).floor();
        if step(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let peak = hi;
    let f_peak = peak * ln_lambda
        - lambda
        - puruspe::ln_gamma(peak + 1.0)
        - 0.5 * ((y - peak / g) / s).powi(2);
    // Sum w_k = exp(f(k) − f(peak)) and w_k·(k/λ − 1) outwards from the peak.
    let mut sum = 1.0;
    let mut dsum = peak / lambda - 1.0;
    let (mut k, mut f) = (peak, 0.0);
    loop {
        f += step(k);
        k += 1.0;
        if f < -TERM_CUTOFF {
            break;
        }
        let w = f.exp();
        sum += w;
        dsum += w * (k / lambda - 1.0);
    }
    let (mut k, mut f) = (peak, 0.0);
    while k > 0.0 {
        k -= 1.0;
        f -= step(k);
        if f < -TERM_CUTOFF {
            break;
        }
        let w = f.exp();
        sum += w;
        dsum += w * (k / lambda - 1.0);
    }
    PixelTerm {
        log_l: norm + f_peak + sum.ln(),
        d_model: g * dsum / sum,
    }
}
