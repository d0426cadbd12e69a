//! An estimator's training objective: the loss on scaled labels and the validation metrics.

use candle_core::{Device, Tensor, D};
use galaxy_data::Dataset;
use serde::{Deserialize, Serialize};

use super::network::Estimator;
use crate::error::NetError;
use crate::scaling::Scaling;
use crate::train::{LossKind, Objective};

/// An estimator's validation metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean loss.
    pub loss: f64,
    /// RMSE per parameter, physical units: (flux, n, hlr, g1, g2), then (dx, dy) in pixels for a network
    /// that estimates the offsets (0 otherwise).
    pub rmse: [f64; 7],
}

/// An estimator's objective: scaled labels, the MSE or one of the [`LossKind`]s.
pub struct EstimatorObjective<'a> {
    /// The network.
    pub net: &'a Estimator,
    /// Its input and label scaling.
    pub scaling: &'a Scaling,
    /// The loss with error outputs.
    pub kind: LossKind,
    /// A frozen denoiser applied to the inputs first (training the second stage of a two-stage estimator).
    pub denoiser: Option<&'a crate::denoiser::network::Denoiser>,
}

impl<'a> EstimatorObjective<'a> {
    /// The objective of `net` on raw images (no denoiser in front).
    pub fn new(net: &'a Estimator, scaling: &'a Scaling, kind: LossKind) -> Self {
        EstimatorObjective {
            net,
            scaling,
            kind,
            denoiser: None,
        }
    }

    /// The network's inputs: images / sigma, through the denoiser if there is one (no gradient to it).
    fn inputs(
        &self,
        data: &Dataset,
        range: std::ops::Range<usize>,
        device: &Device,
    ) -> Result<(Tensor, Tensor), NetError> {
        let (x, c) = self
            .scaling
            .inputs_for(self.net.config().psf_channel, data, range, device)?;
        let x = match self.denoiser {
            Some(d) => candle_core::Module::forward(d, &x)?.detach(),
            None => x,
        };
        Ok((x, c))
    }
}

impl std::fmt::Display for Metrics {
    /// "loss 0.1234, RMSE flux 5000 n 0.700 hlr 0.0400 g1 0.0500 g2 0.0500".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.rmse;
        write!(
            f,
            "loss {:.4}, RMSE flux {:.0} n {:.3} hlr {:.4} g1 {:.4} g2 {:.4}",
            self.loss, r[0], r[1], r[2], r[3], r[4]
        )?;
        if r[5] != 0.0 || r[6] != 0.0 {
            write!(f, " dx {:.4} dy {:.4}", r[5], r[6])?;
        }
        Ok(())
    }
}

impl Objective for EstimatorObjective<'_> {
    type Metrics = Metrics;
    fn batch_loss(&self, data: &Dataset, device: &Device) -> Result<Tensor, NetError> {
        let (x, c) = self.inputs(data, 0..data.len(), device)?;
        let offsets = self.net.config().offsets;
        let y = self
            .scaling
            .targets_for(offsets, data, 0..data.len(), device)?;
        let out = self.net.forward_t(&x, Some(&c), true)?;
        Ok(loss(&out, &y, self.net.config().uncertainty, self.kind)?)
    }
    fn validate(&self, data: &Dataset, device: &Device) -> Result<Metrics, NetError> {
        let n = data.len();
        let (mut total, mut sq) = (0.0, [0.0f64; 7]);
        let (offsets, params) = (self.net.config().offsets, self.net.config().parameters());
        let mut start = 0;
        while start < n {
            let end = (start + 256).min(n);
            let (x, c) = self.inputs(data, start..end, device)?;
            let y = self
                .scaling
                .targets_for(offsets, data, start..end, device)?;
            let out = self.net.forward_t(&x, Some(&c), false)?;
            total += loss(&out, &y, self.net.config().uncertainty, self.kind)?.to_scalar::<f32>()?
                as f64
                * (end - start) as f64;
            let pred: Vec<Vec<f32>> = out.narrow(D::Minus1, 0, params)?.to_vec2()?;
            for (k, row) in pred.iter().enumerate() {
                for j in 0..params {
                    let est = self.scaling.unscale_parameter(j, f64::from(row[j]));
                    let truth = if j < 5 {
                        f64::from(data.label[[start + k, j]])
                    } else {
                        data.offset
                            .as_ref()
                            .map_or(0.0, |o| f64::from(o[[start + k, j - 5]]))
                    };
                    sq[j] += (est - truth).powi(2);
                }
            }
            start = end;
        }
        Ok(Metrics {
            loss: total / n as f64,
            rmse: sq.map(|s| (s / n as f64).sqrt()),
        })
    }
    fn score(metrics: &Metrics) -> f64 {
        metrics.loss
    }
}

/// The loss: MSE on scaled labels, or with log-variance outputs s the Gaussian NLL ½(e^{−s}(y − μ)² + s)
/// (`LossKind::Nll`), or (y − μ)² (`MseNll`) or |y − μ| (`MaeNll`) plus ½(e^{−s}(y − μ)² + s) with μ held
/// fixed in that second term.
pub fn loss(
    output: &Tensor,
    target: &Tensor,
    uncertainty: bool,
    kind: LossKind,
) -> candle_core::Result<Tensor> {
    if !uncertainty {
        return (output - target)?.sqr()?.mean_all();
    }
    let p = target.dim(D::Minus1)?;
    let mu = output.narrow(D::Minus1, 0, p)?;
    let s = output.narrow(D::Minus1, p, p)?.clamp(-12.0, 12.0)?;
    let diff = (mu - target)?;
    let r2 = diff.sqr()?;
    match kind {
        LossKind::Nll => ((s.neg()?.exp()? * r2)? + s)?.affine(0.5, 0.0)?.mean_all(),
        LossKind::MseNll => {
            let nll = ((s.neg()?.exp()? * r2.detach())? + s)?.affine(0.5, 0.0)?;
            (r2 + nll)?.mean_all()
        }
        LossKind::MaeNll => {
            let nll = ((s.neg()?.exp()? * r2.detach())? + s)?.affine(0.5, 0.0)?;
            (diff.abs()? + nll)?.mean_all()
        }
    }
}

/// Loss and per-parameter RMSE of a network on a dataset (inference mode).
pub fn evaluate(
    net: &Estimator,
    scaling: &Scaling,
    data: &Dataset,
    kind: LossKind,
    device: &Device,
) -> Result<Metrics, NetError> {
    EstimatorObjective::new(net, scaling, kind).validate(data, device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// Gradients of the loss with respect to the outputs (5 estimates, 5 log-variances) of one sample.
    fn gradients(kind: LossKind, mu: f64, s: f64, y: f64) -> (f64, f64) {
        let dev = Device::Cpu;
        let out = Var::from_vec([[mu; 5], [s; 5]].concat(), (1, 10), &dev).unwrap();
        let target = Tensor::from_vec(vec![y; 5], (1, 5), &dev).unwrap();
        let grads = loss(out.as_tensor(), &target, true, kind)
            .unwrap()
            .backward()
            .unwrap();
        let g: Vec<f64> = grads
            .get(&out)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        (g[0], g[5])
    }

    #[test]
    fn mse_nll_trains_the_estimate_by_mse_and_the_variance_by_nll() {
        let (mu, s, y) = (0.3, -1.2, -0.1);
        let (g_mu, g_s) = gradients(LossKind::MseNll, mu, s, y);
        // d/dμ of (y − μ)²/5 (mean over 5 outputs): the predicted variance plays no part.
        assert!((g_mu - 2.0 * (mu - y) / 5.0).abs() < 1e-12, "{g_mu}");
        let (nll_mu, nll_s) = gradients(LossKind::Nll, mu, s, y);
        assert!((g_s - nll_s).abs() < 1e-12, "{g_s} vs {nll_s}");
        // The MAE's estimate gradient is the residual's sign, whatever its size.
        let (mae_mu, mae_s) = gradients(LossKind::MaeNll, mu, s, y);
        assert!((mae_mu - 1.0 / 5.0).abs() < 1e-12, "{mae_mu}");
        assert!((mae_s - nll_s).abs() < 1e-12);
        // The NLL's estimate gradient is the residual weighted by e^{−s}.
        assert!(
            (nll_mu - (-s).exp() * (mu - y) / 5.0).abs() < 1e-12,
            "{nll_mu}"
        );
    }

    #[test]
    fn loss_kinds_parse_by_name() {
        assert_eq!("mse-nll".parse::<LossKind>(), Ok(LossKind::MseNll));
        assert_eq!("nll".parse::<LossKind>(), Ok(LossKind::Nll));
        assert_eq!("mae-nll".parse::<LossKind>(), Ok(LossKind::MaeNll));
        assert!("mae".parse::<LossKind>().unwrap_err().contains("mae"));
    }
}
