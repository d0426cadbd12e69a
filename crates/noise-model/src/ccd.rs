//! GalSim's `CCDNoise`: Poisson noise in electrons plus Gaussian read noise.

use ndarray::{Array, ArrayBase, Data, DataMut, Dimension};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Poisson, StandardNormal};

use crate::error::{check_finite, check_setting, NoiseError};
use crate::pixel::Pixel;

/// Below this many expected electrons a Poisson deviate is drawn by inversion (one uniform, one
/// exponential, about λ + 1 multiplications). `rand_distr::Poisson` is exact too, but builds its sampler
/// per call with a log-gamma, and a fresh λ per pixel made that 60% of a dataset's generation time; most
/// pixels of a galaxy stamp expect a few counts or fewer.
const INVERSION_MAX_LAMBDA: f64 = 12.0;

/// Above this many expected electrons GalSim draws a normal N(mu, sqrt(mu)) instead of a Poisson deviate;
/// we do the same so that bright pixels cost no more than faint ones.
const POISSON_NORMAL_SWITCH: f64 = (1u64 << 30) as f64;

/// Noise of a CCD pixel, in GalSim's `CCDNoise` semantics.
///
/// Images are in ADU. For each pixel the sky level (ADU) is added, the result is converted to electrons with
/// the gain (e⁻/ADU), clipped at 0 (a negative expectation counts as 0, so such a pixel gets no Poisson
/// noise), replaced by a Poisson deviate, converted back to ADU; Gaussian read noise of `read_noise`
/// electrons (`read_noise / gain` ADU) is added and the sky subtracted again. A gain of 0 switches the
/// Poisson part off and makes `read_noise` a sigma in ADU, as in GalSim.
///
/// The seed's noise, `PoissonNoise(sky_level=0)` then `GaussianNoise(sigma)`, is
/// [`CcdNoise::poisson_gaussian`]: sky 0, gain 1, read noise sigma.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CcdNoise {
    sky_level: f64,
    gain: f64,
    read_noise: f64,
}

impl CcdNoise {
    /// Noise with a sky level (ADU per pixel, ≥ 0), a gain (e⁻/ADU, ≥ 0; 0 = no Poisson noise) and a read
    /// noise (electrons, ≥ 0). Every value must be finite.
    pub fn new(sky_level: f64, gain: f64, read_noise: f64) -> Result<Self, NoiseError> {
        let nonneg = "a finite number >= 0";
        Ok(CcdNoise {
            sky_level: check_setting("sky_level", sky_level, nonneg, |v| v >= 0.0)?,
            gain: check_setting("gain", gain, nonneg, |v| v >= 0.0)?,
            read_noise: check_setting("read_noise", read_noise, nonneg, |v| v >= 0.0)?,
        })
    }

    /// The seed's noise: Poisson on the image's counts (gain 1, no sky) plus Gaussian noise of `sigma` ADU.
    pub fn poisson_gaussian(sigma: f64) -> Result<Self, NoiseError> {
        check_setting("sigma", sigma, "a finite number >= 0", |v| v >= 0.0)?;
        Self::new(0.0, 1.0, sigma)
    }

    /// Gaussian noise of `sigma` ADU alone (GalSim's `GaussianNoise`).
    pub fn gaussian(sigma: f64) -> Result<Self, NoiseError> {
        check_setting("sigma", sigma, "a finite number >= 0", |v| v >= 0.0)?;
        Self::new(0.0, 0.0, sigma)
    }

    /// Sky level in ADU per pixel.
    pub fn sky_level(&self) -> f64 {
        self.sky_level
    }

    /// Gain in electrons per ADU (0: no Poisson noise).
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// Read noise in electrons (in ADU when the gain is 0).
    pub fn read_noise(&self) -> f64 {
        self.read_noise
    }

    /// The Gaussian read-noise sigma in ADU.
    pub fn read_sigma_adu(&self) -> f64 {
        if self.gain > 0.0 {
            self.read_noise / self.gain
        } else {
            self.read_noise
        }
    }

    /// Variance (ADU²) of a pixel whose expected value is `model` ADU: `max(model + sky, 0) / gain` from
    /// the Poisson part plus the read-noise variance. With the seed's noise this is `sigma² + max(model, 0)`.
    #[inline]
    pub fn pixel_variance(&self, model: f64) -> f64 {
        let read = self.read_sigma_adu();
        let poisson = if self.gain > 0.0 {
            (model + self.sky_level).max(0.0) / self.gain
        } else {
            0.0
        };
        poisson + read * read
    }

    /// Derivative of [`pixel_variance`](Self::pixel_variance) with respect to the model value.
    #[inline]
    pub fn pixel_variance_derivative(&self, model: f64) -> f64 {
        if self.gain > 0.0 && model + self.sky_level > 0.0 {
            1.0 / self.gain
        } else {
            0.0
        }
    }

    /// The per-pixel variance map of a model image (any shape, `f32` or `f64`), in `f64`.
    pub fn variance<P: Pixel, S: Data<Elem = P>, D: Dimension>(
        &self,
        model: &ArrayBase<S, D>,
    ) -> Result<Array<f64, D>, NoiseError> {
        check_finite("model", model.iter())?;
        Ok(model.map(|m| self.pixel_variance(m.to_f64())))
    }

    /// Draws one noisy value for a pixel whose expected value is `expected` ADU.
    #[inline]
    pub fn sample_pixel<R: Rng + ?Sized>(&self, expected: f64, rng: &mut R) -> f64 {
        let mut x = expected + self.sky_level;
        if self.gain > 0.0 {
            let electrons = (x * self.gain).max(0.0);
            let counts = if electrons == 0.0 {
                0.0
            } else if electrons < INVERSION_MAX_LAMBDA {
                poisson_by_inversion(electrons, rng)
            } else if electrons > POISSON_NORMAL_SWITCH {
                let z: f64 = StandardNormal.sample(rng);
                electrons + electrons.sqrt() * z
            } else {
                // `electrons` is finite and > 0 here, which is all Poisson::new asks for.
                Poisson::new(electrons)
                    .map(|p| p.sample(rng))
                    .unwrap_or(electrons)
            };
            x = counts / self.gain;
        }
        let read = self.read_sigma_adu();
        if read > 0.0 {
            let z: f64 = StandardNormal.sample(rng);
            x += read * z;
        }
        x - self.sky_level
    }

    /// Replaces every pixel of `image` (its expected value, ADU) by a noisy draw, in row-major order.
    ///
    /// The image is checked first: a NaN or infinite pixel is an error and leaves the image untouched.
    pub fn apply<P: Pixel, S: DataMut<Elem = P>, D: Dimension, R: Rng + ?Sized>(
        &self,
        image: &mut ArrayBase<S, D>,
        rng: &mut R,
    ) -> Result<(), NoiseError> {
        check_finite("image", image.iter())?;
        for p in image.iter_mut() {
            *p = P::from_f64(self.sample_pixel(p.to_f64(), rng));
        }
        Ok(())
    }
}

/// A Poisson(λ) deviate by sequential search of the cumulative distribution, for small λ > 0.
#[inline]
fn poisson_by_inversion<R: Rng + ?Sized>(lambda: f64, rng: &mut R) -> f64 {
    let u: f64 = rng.random();
    let mut p = (-lambda).exp();
    let mut cumulative = p;
    let mut k = 0.0;
    // The cap only guards against rounding leaving the sum a hair below u ≈ 1; the tail beyond
    // λ + 60 has probability far below 1e-30 for λ < 12.
    while u > cumulative && k < lambda + 60.0 {
        k += 1.0;
        p *= lambda / k;
        cumulative += p;
    }
    k
}
