//! The noise of a real image, pixel by pixel: where each pixel's variance comes from, and which pixels to
//! leave out.
//!
//! An astronomer's image comes with its noise described one of four ways, and with a bad-pixel mask:
//! * a **sigma map**, a **variance map** or an inverse-variance **weight map** (SExtractor, GALFIT's
//!   sigma image, AstroPhot, pysersic): the variance is fixed per pixel. A weight of 0 (or an infinite
//!   sigma or variance) marks a pixel as unusable, as those tools do.
//! * a **gain, read noise and subtracted sky** (Imfit's `--gain --readnoise --sky`, GalSim's `CCDNoise`):
//!   the variance follows the model, (model + sky)/gain + (read noise/gain)², as [`CcdNoise`] computes it.
//! * a **mask**: by default non-zero = bad (Imfit's convention), or zero = bad.
//! * pixels whose data are NaN or infinite are left out too, and counted, so that a fit can flag them.
//!
//! The likelihood is Gaussian with that variance, summed over the usable pixels; with a model-dependent
//! variance its gradient includes the variance's own derivative, as [`crate::likelihood::Likelihood::Gaussian`] does.

use ndarray::{Array2, ArrayView2, Zip};

use crate::ccd::CcdNoise;
use crate::error::{check_same_shape, NoiseError};

/// Where each pixel's variance comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum VarianceSource {
    /// From the model through a CCD's gain, read noise and subtracted sky.
    Ccd(CcdNoise),
    /// A fixed variance per pixel, ADU² (infinite where the pixel is unusable).
    Map(Array2<f64>),
}

/// Which mask values mark a bad pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaskPolarity {
    /// Non-zero = bad (Imfit, SExtractor flags).
    #[default]
    NonZeroIsBad,
    /// Zero = bad (a "good pixel" map).
    ZeroIsBad,
}

/// What a fit minimises over the usable pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Statistic {
    /// −ln L of the Gaussian likelihood: ½ Σ [(d − m)²/V + ln(2π V)]. With a variance that follows the
    /// model (CCD noise) the ln V term matters, and this is the maximum-likelihood fit.
    #[default]
    Likelihood,
    /// ½ χ² = ½ Σ (d − m)²/V alone, V still following the model where it does: the statistic Imfit
    /// (`--model-errors`) and GALFIT minimise. Its minimum differs from the likelihood's by the ln V term.
    ChiSquare,
}

/// The noise of one image: each pixel's variance and whether it is used.
#[derive(Debug, Clone, PartialEq)]
pub struct PixelNoise {
    source: VarianceSource,
    usable: Array2<bool>,
    masked: usize,
    non_finite: usize,
    statistic: Statistic,
}

impl PixelNoise {
    /// Noise from a CCD model for an image of `shape` (rows, columns), every pixel usable.
    pub fn from_ccd(noise: CcdNoise, shape: (usize, usize)) -> PixelNoise {
        PixelNoise::new(VarianceSource::Ccd(noise), Array2::from_elem(shape, true))
    }

    /// Noise from a sigma map (ADU): a pixel with an infinite sigma is unusable; a NaN, zero or negative
    /// sigma is refused.
    pub fn from_sigma_map(sigma: ArrayView2<'_, f64>) -> Result<PixelNoise, NoiseError> {
        let variance = map_checked("sigma map", sigma, |s| s > 0.0, |s| s * s)?;
        Ok(PixelNoise::from_variance(variance))
    }

    /// Noise from a variance map (ADU²): a pixel with an infinite variance is unusable; a NaN, zero or
    /// negative variance is refused.
    pub fn from_variance_map(variance: ArrayView2<'_, f64>) -> Result<PixelNoise, NoiseError> {
        let variance = map_checked("variance map", variance, |v| v > 0.0, |v| v)?;
        Ok(PixelNoise::from_variance(variance))
    }

    /// Noise from an inverse-variance weight map (1/ADU²): a weight of 0 marks an unusable pixel; a NaN,
    /// infinite or negative weight is refused, and so is a map with no positive weight.
    pub fn from_weight_map(weight: ArrayView2<'_, f64>) -> Result<PixelNoise, NoiseError> {
        if let Some((index, &value)) = weight
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            return Err(NoiseError::BadMap {
                what: "weight map",
                index,
                value,
                requirement: "finite and >= 0",
            });
        }
        if weight.iter().all(|&w| w == 0.0) {
            return Err(NoiseError::NoUsablePixel(
                "the weight map is zero everywhere",
            ));
        }
        Ok(PixelNoise::from_variance(weight.mapv(|w| {
            if w > 0.0 {
                1.0 / w
            } else {
                f64::INFINITY
            }
        })))
    }

    fn from_variance(variance: Array2<f64>) -> PixelNoise {
        let usable = variance.mapv(f64::is_finite);
        PixelNoise::new(VarianceSource::Map(variance), usable)
    }

    fn new(source: VarianceSource, usable: Array2<bool>) -> PixelNoise {
        let masked = usable.iter().filter(|u| !**u).count();
        PixelNoise {
            source,
            usable,
            masked,
            non_finite: 0,
            statistic: Statistic::default(),
        }
    }

    /// The same noise, fitted by minimising `statistic` (the likelihood by default).
    pub fn with_statistic(mut self, statistic: Statistic) -> PixelNoise {
        self.statistic = statistic;
        self
    }

    /// What a fit with this noise minimises.
    pub fn statistic(&self) -> Statistic {
        self.statistic
    }

    /// A pixel's weight in the Fisher matrix Σ (∂μ/∂θ_i)(∂μ/∂θ_j)·w, from its variance V and dV/dμ: the
    /// likelihood's 1/V + ½ (dV/dμ)²/V², or χ²'s 1/V (whose inverse gives Imfit's model-based errors).
    #[inline]
    pub fn fisher_weight(&self, variance: f64, d_variance: f64) -> f64 {
        match self.statistic {
            Statistic::Likelihood => {
                1.0 / variance + 0.5 * d_variance * d_variance / (variance * variance)
            }
            Statistic::ChiSquare => 1.0 / variance,
        }
    }

    /// Leaves out the pixels that `mask` marks as bad (its shape must be the image's).
    pub fn with_mask(
        mut self,
        mask: ArrayView2<'_, f64>,
        polarity: MaskPolarity,
    ) -> Result<PixelNoise, NoiseError> {
        check_same_shape("mask", mask.shape(), self.usable.shape())?;
        Zip::from(&mut self.usable).and(mask).for_each(|u, &m| {
            let bad = match polarity {
                MaskPolarity::NonZeroIsBad => m != 0.0,
                MaskPolarity::ZeroIsBad => m == 0.0,
            };
            *u &= !bad;
        });
        self.masked = self.usable.iter().filter(|u| !**u).count();
        self.check_some_usable()
    }

    /// Leaves out (and counts) the pixels whose data are NaN or infinite.
    pub fn excluding_non_finite(
        mut self,
        data: ArrayView2<'_, f64>,
    ) -> Result<PixelNoise, NoiseError> {
        check_same_shape("data", data.shape(), self.usable.shape())?;
        let mut count = 0;
        Zip::from(&mut self.usable).and(data).for_each(|u, d| {
            if !d.is_finite() {
                count += usize::from(*u);
                *u = false;
            }
        });
        self.non_finite += count;
        self.masked = self.usable.iter().filter(|u| !**u).count();
        self.check_some_usable()
    }

    fn check_some_usable(self) -> Result<PixelNoise, NoiseError> {
        if self.usable.iter().any(|&u| u) {
            Ok(self)
        } else {
            Err(NoiseError::NoUsablePixel("every pixel is masked"))
        }
    }

    /// The image's shape (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        self.usable.dim()
    }

    /// Whether each pixel is used.
    pub fn usable(&self) -> ArrayView2<'_, bool> {
        self.usable.view()
    }

    /// How many pixels are left out (masked, zero weight, non-finite data).
    pub fn masked(&self) -> usize {
        self.masked
    }

    /// The fraction of pixels left out.
    pub fn masked_fraction(&self) -> f64 {
        self.masked as f64 / self.usable.len() as f64
    }

    /// How many usable pixels were left out because their data were NaN or infinite.
    pub fn non_finite(&self) -> usize {
        self.non_finite
    }

    /// Where the variance comes from.
    pub fn source(&self) -> &VarianceSource {
        &self.source
    }

    /// The variance of pixel (row, column) when the model there is `model`, and its derivative in the model.
    #[inline]
    pub fn variance(&self, row: usize, column: usize, model: f64) -> (f64, f64) {
        match &self.source {
            VarianceSource::Ccd(noise) => (
                noise.pixel_variance(model),
                noise.pixel_variance_derivative(model),
            ),
            VarianceSource::Map(map) => (map[[row, column]], 0.0),
        }
    }

    /// The Gaussian log-likelihood of `data` given `model` over the usable pixels, and its gradient with
    /// respect to every model pixel (0 at the pixels left out). Left-out pixels may hold anything. With
    /// [`Statistic::ChiSquare`] it is −½ χ² instead (no ln V term), with its gradient.
    pub fn log_likelihood_with_gradient(
        &self,
        data: ArrayView2<'_, f64>,
        model: ArrayView2<'_, f64>,
    ) -> Result<(f64, Array2<f64>), NoiseError> {
        self.check_images(data, model)?;
        let mut total = 0.0;
        let mut gradient = Array2::zeros(self.shape());
        for ((row, column), g) in gradient.indexed_iter_mut() {
            if !self.usable[[row, column]] {
                continue;
            }
            let (d, m) = (data[[row, column]], model[[row, column]]);
            let (v, dv) = self.variance(row, column, m);
            let r = d - m;
            match self.statistic {
                Statistic::Likelihood => {
                    total += -0.5 * (r * r / v + (2.0 * std::f64::consts::PI * v).ln());
                    *g = r / v + 0.5 * dv * (r * r / (v * v) - 1.0 / v);
                }
                Statistic::ChiSquare => {
                    total += -0.5 * r * r / v;
                    *g = r / v + 0.5 * dv * r * r / (v * v);
                }
            }
        }
        Ok((total, gradient))
    }

    /// χ² = Σ (data − model)² / variance over the usable pixels, and the number of those pixels.
    pub fn chi_square(
        &self,
        data: ArrayView2<'_, f64>,
        model: ArrayView2<'_, f64>,
    ) -> Result<(f64, usize), NoiseError> {
        self.check_images(data, model)?;
        let mut chi2 = 0.0;
        for ((row, column), &usable) in self.usable.indexed_iter() {
            if usable {
                let (d, m) = (data[[row, column]], model[[row, column]]);
                chi2 += (d - m).powi(2) / self.variance(row, column, m).0;
            }
        }
        Ok((chi2, self.usable.len() - self.masked))
    }

    fn check_images(
        &self,
        data: ArrayView2<'_, f64>,
        model: ArrayView2<'_, f64>,
    ) -> Result<(), NoiseError> {
        check_same_shape("data", data.shape(), self.usable.shape())?;
        check_same_shape("model", model.shape(), self.usable.shape())?;
        self.check_finite("data", data)?;
        self.check_finite("model", model)
    }

    /// The first usable pixel of `image` that is NaN or infinite, as an error naming `what`.
    fn check_finite(
        &self,
        what: &'static str,
        image: ArrayView2<'_, f64>,
    ) -> Result<(), NoiseError> {
        match image
            .indexed_iter()
            .find(|((r, c), v)| self.usable[[*r, *c]] && !v.is_finite())
        {
            Some(((row, column), &value)) => Err(NoiseError::NonFinite {
                what,
                index: row * image.ncols() + column,
                value,
            }),
            None => Ok(()),
        }
    }
}

/// Checks a sigma or variance map: every value positive (`ok`) or +infinity; maps it with `to_variance`.
fn map_checked(
    what: &'static str,
    map: ArrayView2<'_, f64>,
    ok: impl Fn(f64) -> bool,
    to_variance: impl Fn(f64) -> f64,
) -> Result<Array2<f64>, NoiseError> {
    if let Some((index, &value)) = map
        .iter()
        .enumerate()
        .find(|(_, v)| !(**v == f64::INFINITY || (v.is_finite() && ok(**v))))
    {
        return Err(NoiseError::BadMap {
            what,
            index,
            value,
            requirement: "> 0 (or +inf for an unusable pixel)",
        });
    }
    if map.iter().all(|v| v.is_infinite()) {
        return Err(NoiseError::NoUsablePixel(
            "the map marks every pixel unusable",
        ));
    }
    Ok(map.mapv(to_variance))
}
