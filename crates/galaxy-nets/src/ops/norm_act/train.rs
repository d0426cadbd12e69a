//! Training mode: batch statistics, the fused forward, and its closed-form backward.

use candle_core::{CpuStorage, Result, Shape, Tensor};
use rayon::prelude::*;

use super::activation::NormActivation;
use super::common::*;
use crate::ops::storage::{Arg, Kernel1, Kernel2, Kernel3, Op1, Op2, Op3};

/// Training forward: (x, γ, β) → act(γ (x − μ_B)/sqrt(σ²_B + ε) + β).
struct NormActTrain {
    eps: f64,
    act: NormActivation,
}

impl Kernel3 for NormActTrain {
    const NAME: &'static str = "batch-norm-act";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg, (s3, l3): Arg) -> Result<(CpuStorage, Shape)> {
        let geom = geometry(l1)?;
        let (gamma, beta) = (small(s2, l2)?, small(s3, l3)?);
        let y = typed!(s1, |T| train_forward::<T>(
            slice(s1, l1)?,
            &gamma,
            &beta,
            geom,
            self.eps,
            self.act
        ));
        Ok((y, l1.shape().clone()))
    }

    fn backward(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dz = grad
            .contiguous()?
            .apply_op2_no_bwd(&res.contiguous()?, &Op2(ActivationGrad { act: self.act }))?;
        let sums = x.apply_op2_no_bwd(&dz, &Op2(NormGradSums { eps: self.eps }))?; // [2, C]: Σdz·x̂, Σdz
        let coefficients = Tensor::cat(&[&gamma.unsqueeze(0)?, &sums], 0)?; // [3, C]: γ, Σdz·x̂, Σdz
        let dx = x.apply_op3_no_bwd(&dz, &coefficients, &Op3(NormGradInput { eps: self.eps }))?;
        Ok((Some(dx), Some(sums.get(0)?), Some(sums.get(1)?)))
    }
}

/// y = act(γ (x − μ_B)/sqrt(σ²_B + ε) + β) with the batch statistics.
fn train_forward<T: Float>(
    x: &[T],
    gamma: &[f64],
    beta: &[f64],
    (n, c, p): (usize, usize, usize),
    eps: f64,
    act: NormActivation,
) -> Vec<T> {
    let stats = channel_stats(x, n, c, p);
    let mut y = vec![T::of(0.0); x.len()];
    y.par_chunks_mut(p).enumerate().for_each(|(bc, out)| {
        let ch = bc % c;
        let (mean, var) = stats[ch];
        let a = gamma[ch] / (var + eps).sqrt();
        let b = beta[ch] - mean * a;
        for (o, &v) in out.iter_mut().zip(&x[bc * p..(bc + 1) * p]) {
            *o = T::of(act.apply(a * v.f() + b));
        }
    });
    y
}

/// (x, dz) → [2, C]: Σ dz·x̂ (dγ) and Σ dz (dβ) per channel.
struct NormGradSums {
    eps: f64,
}

impl Kernel2 for NormGradSums {
    const NAME: &'static str = "norm-act-grad-sums";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg) -> Result<(CpuStorage, Shape)> {
        let (n, c, p) = geometry(l1)?;
        let sums = match s1 {
            CpuStorage::F32(_) => {
                grad_sums::<f32>(slice(s1, l1)?, slice(s2, l2)?, (n, c, p), self.eps)
            }
            CpuStorage::F64(_) => {
                grad_sums::<f64>(slice(s1, l1)?, slice(s2, l2)?, (n, c, p), self.eps)
            }
            _ => candle_core::bail!("norm-act supports f32 and f64"),
        };
        let mut out: Vec<f64> = sums.iter().map(|s| s.0).collect();
        out.extend(sums.iter().map(|s| s.1));
        Ok((small_like(s1, out), Shape::from((2, c))))
    }
}

/// Per channel (Σ dz·x̂, Σ dz).
fn grad_sums<T: Float>(
    x: &[T],
    dz: &[T],
    (n, c, p): (usize, usize, usize),
    eps: f64,
) -> Vec<(f64, f64)> {
    let stats = channel_stats(x, n, c, p);
    (0..c)
        .into_par_iter()
        .map(|ch| {
            let (mean, var) = stats[ch];
            let inv = 1.0 / (var + eps).sqrt();
            let (mut gx, mut g) = (0.0, 0.0);
            for b in 0..n {
                let r = (b * c + ch) * p..(b * c + ch + 1) * p;
                for (&v, &d) in x[r.clone()].iter().zip(&dz[r]) {
                    let d = d.f();
                    gx += d * (v.f() - mean);
                    g += d;
                }
            }
            (gx * inv, g)
        })
        .collect()
}

/// (x, dz, [γ; Σdz·x̂; Σdz]) → dx = (γ/σ)(dz − mean(dz) − x̂·mean(dz·x̂)).
struct NormGradInput {
    eps: f64,
}

impl Kernel3 for NormGradInput {
    const NAME: &'static str = "norm-act-grad-input";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg, (s3, l3): Arg) -> Result<(CpuStorage, Shape)> {
        let geom = geometry(l1)?;
        let k = small(s3, l3)?;
        let dx = typed!(s1, |T| grad_input::<T>(
            slice(s1, l1)?,
            slice(s2, l2)?,
            &k,
            geom,
            self.eps
        ));
        Ok((dx, l1.shape().clone()))
    }
}

/// dx = (γ/σ)(dz − mean(dz) − x̂·mean(dz·x̂)), k = [γ; Σdz·x̂; Σdz].
fn grad_input<T: Float>(
    x: &[T],
    dz: &[T],
    k: &[f64],
    (n, c, p): (usize, usize, usize),
    eps: f64,
) -> Vec<T> {
    let (gamma, sum_gx, sum_g) = (&k[..c], &k[c..2 * c], &k[2 * c..]);
    let stats = channel_stats(x, n, c, p);
    let m = (n * p) as f64;
    let mut dx = vec![T::of(0.0); x.len()];
    dx.par_chunks_mut(p).enumerate().for_each(|(bc, out)| {
        let ch = bc % c;
        let (mean, var) = stats[ch];
        let inv = 1.0 / (var + eps).sqrt();
        let (mg, mgx) = (sum_g[ch] / m, sum_gx[ch] / m);
        // dx = a·dz + b·x + c0 per channel.
        let a = gamma[ch] * inv;
        let b = -a * inv * mgx;
        let c0 = -a * mg + a * inv * mgx * mean;
        let r = bc * p..(bc + 1) * p;
        for ((o, &v), &d) in out.iter_mut().zip(&x[r.clone()]).zip(&dz[r]) {
            *o = T::of(a * d.f() + b * v.f() + c0);
        }
    });
    dx
}

/// Per-channel batch mean and unbiased variance [2, C] (for the running statistics; no gradient).
struct BatchStats;

impl Kernel1 for BatchStats {
    const NAME: &'static str = "batch-stats";

    fn cpu(&self, (s, l): Arg) -> Result<(CpuStorage, Shape)> {
        let (n, c, p) = geometry(l)?;
        let stats = match s {
            CpuStorage::F32(_) => channel_stats(slice::<f32>(s, l)?, n, c, p),
            CpuStorage::F64(_) => channel_stats(slice::<f64>(s, l)?, n, c, p),
            _ => candle_core::bail!("norm-act supports f32 and f64"),
        };
        let m = (n * p) as f64;
        let mut out: Vec<f64> = stats.iter().map(|s| s.0).collect();
        out.extend(stats.iter().map(|s| s.1 * m / (m - 1.0).max(1.0)));
        Ok((small_like(s, out), Shape::from((2, c))))
    }
}

/// Training-mode batch norm + activation on [N, C, ...]; also returns the batch's per-channel mean and
/// unbiased variance [2, C] for the running statistics.
pub fn batch_norm_act_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    act: NormActivation,
) -> Result<(Tensor, Tensor)> {
    let x = x.contiguous()?;
    let y = x.apply_op3(
        &gamma.contiguous()?,
        &beta.contiguous()?,
        Op3(NormActTrain { eps, act }),
    )?;
    let stats = x.apply_op1_no_bwd(&Op1(BatchStats))?;
    Ok((y, stats))
}
