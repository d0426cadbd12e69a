//! Calibrating a network's predicted uncertainties on held-out simulations.
//!
//! A network trained with the Gaussian NLL predicts a variance per parameter, but nothing makes those
//! variances honest on data it has not seen: NLL training under-fits the tails, and label clipping to the
//! prior box narrows the error distribution near its edges. Calibration measures, on simulations the network
//! never saw, the ratio |estimate − truth| / predicted error for each parameter and takes its 68.27%
//! quantile: multiplying the errors by that factor makes exactly 68.27% of that set fall within 1 sigma.
//! The factor is checked on a second, independent set (the coverage it reaches there is the honest figure).

use candle_core::Device;
use galaxy_data::{Dataset, PriorOptions, Simulator};

use crate::error::NetError;
use crate::estimator::{predict_dataset, predict_with_psf, LoadedModel, Prediction};
use crate::records::{CalibrationRecord, PriorRecord};

/// The fraction of a normal distribution within 1 sigma.
pub const ONE_SIGMA: f64 = 0.682_689_492_137_085_9;

fn errors_of(p: &Prediction) -> Result<[f64; 5], NetError> {
    p.errors.ok_or_else(|| {
        NetError::BadInput(
            "the model predicts no uncertainties (train it with --uncertainty)".into(),
        )
    })
}

/// Estimates, their errors and the truth, one row per image and one column per parameter (5, or 7 with
/// the offsets of a network that reads the PSF).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    /// The estimates.
    pub estimates: Vec<Vec<f64>>,
    /// Their 1-sigma errors.
    pub errors: Vec<Vec<f64>>,
    /// The true values.
    pub truth: Vec<Vec<f64>>,
}

impl Measured {
    /// Five-parameter predictions against their truth.
    pub fn from_predictions(preds: &[Prediction], truth: &[[f64; 5]]) -> Result<Self, NetError> {
        if preds.len() != truth.len() || preds.is_empty() {
            return Err(NetError::BadInput(format!(
                "{} predictions for {} true labels",
                preds.len(),
                truth.len()
            )));
        }
        Ok(Measured {
            estimates: preds.iter().map(|p| p.params.to_vec()).collect(),
            errors: preds
                .iter()
                .map(|p| errors_of(p).map(|e| e.to_vec()))
                .collect::<Result<_, _>>()?,
            truth: truth.iter().map(|t| t.to_vec()).collect(),
        })
    }

    fn parameters(&self) -> usize {
        self.estimates.first().map_or(0, Vec::len)
    }

    /// Per parameter, the fraction of estimates with |estimate − truth| < error × scale.
    pub fn coverage_with(&self, scales: &[f64]) -> Vec<f64> {
        let n = self.estimates.len().max(1) as f64;
        (0..self.parameters())
            .map(|j| {
                let inside = (0..self.estimates.len())
                    .filter(|&i| {
                        (self.estimates[i][j] - self.truth[i][j]).abs()
                            < self.errors[i][j] * scales.get(j).copied().unwrap_or(1.0)
                    })
                    .count();
                inside as f64 / n
            })
            .collect()
    }

    /// Per parameter, the factor that makes the coverage on this set equal [`ONE_SIGMA`]: the 68.27%
    /// quantile of |estimate − truth| / error (linear interpolation between order statistics).
    pub fn error_scales(&self) -> Result<Vec<f64>, NetError> {
        (0..self.parameters())
            .map(|j| {
                let mut r = Vec::with_capacity(self.estimates.len());
                for i in 0..self.estimates.len() {
                    let e = self.errors[i][j];
                    if !(e > 0.0 && e.is_finite()) {
                        return Err(NetError::BadInput(format!(
                            "predicted error {e} for parameter {j} is not positive"
                        )));
                    }
                    r.push((self.estimates[i][j] - self.truth[i][j]).abs() / e);
                }
                r.sort_by(f64::total_cmp);
                let pos = ONE_SIGMA * (r.len() - 1) as f64;
                let (lo, frac) = (pos.floor() as usize, pos.fract());
                let hi = (lo + 1).min(r.len() - 1);
                Ok(r[lo] + frac * (r[hi] - r[lo]))
            })
            .collect()
    }
}

/// Per parameter, the fraction of estimates with |estimate − truth| < error.
pub fn coverage(preds: &[Prediction], truth: &[[f64; 5]]) -> Result<[f64; 5], NetError> {
    let c = Measured::from_predictions(preds, truth)?.coverage_with(&[]);
    Ok(std::array::from_fn(|j| c[j]))
}

/// Per parameter, the factor that makes [`coverage`] on this set equal [`ONE_SIGMA`].
pub fn error_scales(preds: &[Prediction], truth: &[[f64; 5]]) -> Result<[f64; 5], NetError> {
    let s = Measured::from_predictions(preds, truth)?.error_scales()?;
    Ok(std::array::from_fn(|j| s[j]))
}

/// A calibration: held-out images to fit the scales on, and an independent set to check them.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// The preset the held-out images are simulated from (the model's training preset), by name.
    pub preset: galaxy_data::Preset,
    /// The prior options on top of it.
    pub prior: PriorOptions,
    /// Images in the calibration set, and again in the check set.
    pub count: u64,
    /// Seed of the calibration set; the check set uses seed + 1.
    pub seed: u64,
}

/// What a calibration found: the scales and the coverage on the check set before and after them, one
/// value per parameter (5, or 7 with the offsets).
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationResult {
    /// The factor per parameter now in the card.
    pub scales: Vec<f64>,
    /// Fraction within ±1 error on the check set with the network's own errors.
    pub before: Vec<f64>,
    /// The same with the scaled errors.
    pub after: Vec<f64>,
}

impl Calibration {
    /// Scales `model`'s errors so that 68.27% of held-out estimates fall within them, checks the scales
    /// on an independent set, and writes scales and record into `model.card` (the caller saves it).
    pub fn run(
        &self,
        model: &mut LoadedModel,
        device: &Device,
    ) -> Result<CalibrationResult, NetError> {
        if self.count < 100 {
            return Err(NetError::BadInput("--count must be at least 100".into()));
        }
        if !model.card.estimator.uncertainty {
            return Err(NetError::BadInput(
                "the model predicts no uncertainties (train it with --uncertainty)".into(),
            ));
        }
        if model.card.estimator.psf_channel != self.prior.psf_family {
            return Err(NetError::BadInput(if self.prior.psf_family {
                "this model does not read the PSF: calibrate it without --psf-family".into()
            } else {
                "this model reads the PSF: calibrate it on its data, with --psf-family".into()
            }));
        }
        model.card.error_scale = vec![1.0; model.card.estimator.parameters()];
        let settings = self.prior.apply(self.preset.settings());
        let simulate =
            |seed: u64| Simulator::new(settings, seed).and_then(|s| s.batch(0..self.count));
        let scales = measure_set(model, &simulate(self.seed)?, device)?.error_scales()?;
        let check_seed = self.seed.wrapping_add(1);
        let check = measure_set(model, &simulate(check_seed)?, device)?;
        let before = check.coverage_with(&[]);
        let after = check.coverage_with(&scales);
        model.card.error_scale = scales.clone();
        model.card.training.calibration = Some(CalibrationRecord {
            preset: self.preset.to_string(),
            continuous_n: self.prior.continuous(),
            prior: Some(PriorRecord::from(self.prior)),
            count: self.count,
            seed: self.seed,
            check_seed,
            coverage_before: before.clone(),
            coverage_after: after.clone(),
        });
        Ok(CalibrationResult {
            scales,
            before,
            after,
        })
    }
}

/// Estimates of `model` (its errors as the card scales them) on `data`, against the true values: the five
/// labels, and the offsets for a network that reads the PSF.
pub fn measure_set(
    model: &LoadedModel,
    data: &Dataset,
    device: &Device,
) -> Result<Measured, NetError> {
    if !model.card.estimator.psf_channel {
        let preds = predict_dataset(model, data, 256, device)?;
        return Measured::from_predictions(&preds, &data.truth());
    }
    let preds = predict_with_psf(
        model,
        data.img.view(),
        data.psf_img.view(),
        &data.sigma.to_vec(),
        256,
        device,
        &mut |_| {},
    )?;
    let offsets = model.card.estimator.offsets;
    let mut measured = Measured::default();
    for (i, p) in preds.iter().enumerate() {
        let mut est = p.estimate.params.to_vec();
        let mut err = errors_of(&p.estimate)?.to_vec();
        let mut truth: Vec<f64> = (0..5).map(|j| f64::from(data.label[[i, j]])).collect();
        if offsets {
            est.extend(p.offset);
            err.extend(p.offset_errors.unwrap_or([f64::NAN; 2]));
            truth
                .extend((0..2).map(|j| data.offset.as_ref().map_or(0.0, |o| f64::from(o[[i, j]]))));
        }
        measured.estimates.push(est);
        measured.errors.push(err);
        measured.truth.push(truth);
    }
    Ok(measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(x: f64, err: f64) -> Prediction {
        Prediction {
            params: [x; 5],
            errors: Some([err; 5]),
        }
    }

    #[test]
    fn scales_make_the_coverage_one_sigma() {
        // Residuals 1..=1000 with a claimed error of 100: 10% covered; the scale puts 68.27% inside.
        let preds: Vec<_> = (1..=1000).map(|k| pred(k as f64, 100.0)).collect();
        let truth = vec![[0.0; 5]; 1000];
        assert!((coverage(&preds, &truth).unwrap()[0] - 0.099).abs() < 1e-12);
        let s = error_scales(&preds, &truth).unwrap();
        assert!((s[2] - 6.8268).abs() < 0.01, "{s:?}");
        let scaled: Vec<_> = preds
            .iter()
            .map(|p| pred(p.params[0], 100.0 * s[0] + 1e-9))
            .collect();
        assert!((coverage(&scaled, &truth).unwrap()[4] - 0.683).abs() < 0.002);
    }

    #[test]
    fn missing_errors_and_lengths_are_errors() {
        let no_err = Prediction {
            params: [0.0; 5],
            errors: None,
        };
        assert!(coverage(&[no_err], &[[0.0; 5]]).is_err());
        assert!(error_scales(&[pred(0.0, 1.0)], &[]).is_err());
        assert!(error_scales(&[pred(0.0, 0.0)], &[[0.0; 5]]).is_err());
    }
}
