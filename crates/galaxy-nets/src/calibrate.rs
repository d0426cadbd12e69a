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
use crate::estimator::{predict_dataset, LoadedModel, Prediction};
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

fn check_lengths(preds: &[Prediction], truth: &[[f64; 5]]) -> Result<(), NetError> {
    if preds.len() != truth.len() || preds.is_empty() {
        return Err(NetError::BadInput(format!(
            "{} predictions for {} true labels",
            preds.len(),
            truth.len()
        )));
    }
    Ok(())
}

/// Per parameter, the fraction of estimates with |estimate − truth| < error.
pub fn coverage(preds: &[Prediction], truth: &[[f64; 5]]) -> Result<[f64; 5], NetError> {
    check_lengths(preds, truth)?;
    let mut inside = [0usize; 5];
    for (p, t) in preds.iter().zip(truth) {
        let e = errors_of(p)?;
        for j in 0..5 {
            inside[j] += usize::from((p.params[j] - t[j]).abs() < e[j]);
        }
    }
    Ok(inside.map(|k| k as f64 / preds.len() as f64))
}

/// Per parameter, the factor that makes [`coverage`] on this set equal [`ONE_SIGMA`]: the 68.27% quantile
/// of |estimate − truth| / error (linear interpolation between order statistics).
pub fn error_scales(preds: &[Prediction], truth: &[[f64; 5]]) -> Result<[f64; 5], NetError> {
    check_lengths(preds, truth)?;
    let mut ratios: [Vec<f64>; 5] = Default::default();
    for (p, t) in preds.iter().zip(truth) {
        let e = errors_of(p)?;
        for j in 0..5 {
            if !(e[j] > 0.0 && e[j].is_finite()) {
                return Err(NetError::BadInput(format!(
                    "predicted error {} for parameter {j} is not positive",
                    e[j]
                )));
            }
            ratios[j].push((p.params[j] - t[j]).abs() / e[j]);
        }
    }
    Ok(ratios.map(|mut r| {
        r.sort_by(f64::total_cmp);
        let pos = ONE_SIGMA * (r.len() - 1) as f64;
        let (lo, frac) = (pos.floor() as usize, pos.fract());
        let hi = (lo + 1).min(r.len() - 1);
        r[lo] + frac * (r[hi] - r[lo])
    }))
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

/// What a calibration found: the scales and the coverage on the check set before and after them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationResult {
    /// The factor per parameter now in the card.
    pub scales: [f64; 5],
    /// Fraction within ±1 error on the check set with the network's own errors.
    pub before: [f64; 5],
    /// The same with the scaled errors.
    pub after: [f64; 5],
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
        model.card.error_scale = [1.0; 5];
        let settings = self.prior.apply(self.preset.settings());
        let simulate =
            |seed: u64| Simulator::new(settings, seed).and_then(|s| s.batch(0..self.count));
        let (preds, truth) = predict_set(model, &simulate(self.seed)?, device)?;
        let scales = error_scales(&preds, &truth)?;
        let check_seed = self.seed.wrapping_add(1);
        let (check, check_truth) = predict_set(model, &simulate(check_seed)?, device)?;
        let before = coverage(&check, &check_truth)?;
        let scaled: Vec<Prediction> = check
            .iter()
            .map(|p| Prediction {
                params: p.params,
                errors: p.errors.map(|e| std::array::from_fn(|j| e[j] * scales[j])),
            })
            .collect();
        let after = coverage(&scaled, &check_truth)?;
        model.card.error_scale = scales;
        model.card.training.calibration = Some(CalibrationRecord {
            preset: self.preset.to_string(),
            continuous_n: self.prior.continuous(),
            prior: Some(PriorRecord::from(self.prior)),
            count: self.count,
            seed: self.seed,
            check_seed,
            coverage_before: before,
            coverage_after: after,
        });
        Ok(CalibrationResult {
            scales,
            before,
            after,
        })
    }
}

/// Predictions of `model` (its errors as the card scales them) on `data`, and the true labels.
fn predict_set(
    model: &LoadedModel,
    data: &Dataset,
    device: &Device,
) -> Result<(Vec<Prediction>, Vec<[f64; 5]>), NetError> {
    let preds = predict_dataset(model, data, 256, device)?;
    Ok((preds, data.truth()))
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
