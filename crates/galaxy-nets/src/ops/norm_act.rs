//! Batch normalisation fused with its activation, as candle custom ops with a CPU forward and backward.
//!
//! candle-nn's training-mode batch norm transposes and copies the activation, then runs half a dozen
//! broadcast element-wise ops, each a fresh buffer and a pass over memory, and an activation adds more
//! (50–58 ms for BN and 25–29 ms for SELU on one 64x32x32x32 activation, forward + backward, in
//! ../shared/notes/candle-cpu-and-cuda.md). Here one op computes the per-channel batch statistics and
//! writes act(γ·x̂ + β) in two passes per channel plane, and the backward is the closed form
//! dx = (γ/σ)(dz − mean(dz) − x̂·mean(dz·x̂)) with dz = dy·act'(z), act'(z) recovered from the output y.

use candle_core::{CpuStorage, CustomOp1, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// The activation after the normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormActivation {
    /// None (plain batch norm).
    Identity,
    /// max(z, 0).
    Relu,
    /// λ z (z > 0) or λ α (e^z − 1).
    Selu,
}

const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;

impl NormActivation {
    #[inline]
    fn apply(&self, z: f64) -> f64 {
        match self {
            NormActivation::Identity => z,
            NormActivation::Relu => z.max(0.0),
            NormActivation::Selu => {
                if z > 0.0 {
                    SELU_LAMBDA * z
                } else {
                    SELU_LAMBDA * SELU_ALPHA * (z.exp() - 1.0)
                }
            }
        }
    }

    /// act'(z) from y = act(z).
    #[inline]
    fn slope_from_output(&self, y: f64) -> f64 {
        match self {
            NormActivation::Identity => 1.0,
            NormActivation::Relu => f64::from(u8::from(y > 0.0)),
            NormActivation::Selu => {
                if y > 0.0 {
                    SELU_LAMBDA
                } else {
                    y + SELU_LAMBDA * SELU_ALPHA
                }
            }
        }
    }
}

/// Elements of f32 or f64 storage as f64 (contiguous layouts only).
fn values(s: &CpuStorage, l: &Layout) -> Result<Vec<f64>> {
    let (a, b) = l
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg("norm-act needs contiguous tensors".into()))?;
    Ok(match s {
        CpuStorage::F32(v) => v[a..b].iter().map(|&x| f64::from(x)).collect(),
        CpuStorage::F64(v) => v[a..b].to_vec(),
        _ => candle_core::bail!("norm-act supports f32 and f64"),
    })
}

fn storage_like(s: &CpuStorage, v: Vec<f64>) -> CpuStorage {
    match s {
        CpuStorage::F32(_) => CpuStorage::F32(v.into_iter().map(|x| x as f32).collect()),
        _ => CpuStorage::F64(v),
    }
}

/// (N, C, plane) of an [N, C, ...] layout.
fn geometry(l: &Layout) -> Result<(usize, usize, usize)> {
    let d = l.dims();
    if d.len() < 2 {
        candle_core::bail!("norm-act needs [N, C, ...], got {d:?}");
    }
    Ok((d[0], d[1], d[2..].iter().product()))
}

/// Per-channel mean and biased variance over (N, spatial).
fn channel_stats(x: &[f64], n: usize, c: usize, p: usize) -> Vec<(f64, f64)> {
    (0..c)
        .into_par_iter()
        .map(|ch| {
            let (mut s, mut s2) = (0.0, 0.0);
            for b in 0..n {
                for &v in &x[(b * c + ch) * p..(b * c + ch + 1) * p] {
                    s += v;
                    s2 += v * v;
                }
            }
            let m = (n * p) as f64;
            let mean = s / m;
            (mean, (s2 / m - mean * mean).max(0.0))
        })
        .collect()
}

/// Training forward: (x, γ, β) → act(γ (x − μ_B)/sqrt(σ²_B + ε) + β).
struct NormActTrain {
    eps: f64,
    act: NormActivation,
}

impl CustomOp3 for NormActTrain {
    fn name(&self) -> &'static str {
        "batch-norm-act"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, p) = geometry(l1)?;
        let (x, gamma, beta) = (values(s1, l1)?, values(s2, l2)?, values(s3, l3)?);
        let stats = channel_stats(&x, n, c, p);
        let mut y = vec![0.0; x.len()];
        y.par_chunks_mut(p).enumerate().for_each(|(bc, out)| {
            let ch = bc % c;
            let (mean, var) = stats[ch];
            let a = gamma[ch] / (var + self.eps).sqrt();
            let b = beta[ch] - mean * a;
            for (o, &v) in out.iter_mut().zip(&x[bc * p..(bc + 1) * p]) {
                *o = self.act.apply(a * v + b);
            }
        });
        Ok((storage_like(s1, y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dz = grad
            .contiguous()?
            .apply_op2_no_bwd(&res.contiguous()?, &ActivationGrad { act: self.act })?;
        let sums = x.apply_op2_no_bwd(&dz, &NormGradSums { eps: self.eps })?; // [2, C]: Σdz·x̂, Σdz
        let coefficients = Tensor::cat(&[&gamma.unsqueeze(0)?, &sums], 0)?; // [3, C]: γ, Σdz·x̂, Σdz
        let dx = x.apply_op3_no_bwd(&dz, &coefficients, &NormGradInput { eps: self.eps })?;
        Ok((Some(dx), Some(sums.get(0)?), Some(sums.get(1)?)))
    }
}

/// dz = dy · act'(z), act' from the forward's output.
struct ActivationGrad {
    act: NormActivation,
}

impl candle_core::CustomOp2 for ActivationGrad {
    fn name(&self) -> &'static str {
        "norm-act-activation-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (dy, y) = (values(s1, l1)?, values(s2, l2)?);
        let dz = dy
            .par_iter()
            .zip(y.par_iter())
            .map(|(g, v)| g * self.act.slope_from_output(*v))
            .collect();
        Ok((storage_like(s1, dz), l1.shape().clone()))
    }
}

/// (x, dz) → [2, C]: Σ dz·x̂ (dγ) and Σ dz (dβ) per channel.
struct NormGradSums {
    eps: f64,
}

impl candle_core::CustomOp2 for NormGradSums {
    fn name(&self) -> &'static str {
        "norm-act-grad-sums"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, p) = geometry(l1)?;
        let (x, dz) = (values(s1, l1)?, values(s2, l2)?);
        let stats = channel_stats(&x, n, c, p);
        let sums: Vec<(f64, f64)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let (mean, var) = stats[ch];
                let inv = 1.0 / (var + self.eps).sqrt();
                let (mut gx, mut g) = (0.0, 0.0);
                for b in 0..n {
                    let r = (b * c + ch) * p..(b * c + ch + 1) * p;
                    for (&v, &d) in x[r.clone()].iter().zip(&dz[r]) {
                        gx += d * (v - mean) * inv;
                        g += d;
                    }
                }
                (gx, g)
            })
            .collect();
        let mut out: Vec<f64> = sums.iter().map(|s| s.0).collect();
        out.extend(sums.iter().map(|s| s.1));
        Ok((storage_like(s1, out), Shape::from((2, c))))
    }
}

/// (x, dz, [γ; Σdz·x̂; Σdz]) → dx = (γ/σ)(dz − mean(dz) − x̂·mean(dz·x̂)).
struct NormGradInput {
    eps: f64,
}

impl CustomOp3 for NormGradInput {
    fn name(&self) -> &'static str {
        "norm-act-grad-input"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, p) = geometry(l1)?;
        let (x, dz, k) = (values(s1, l1)?, values(s2, l2)?, values(s3, l3)?);
        let (gamma, sum_gx, sum_g) = (&k[..c], &k[c..2 * c], &k[2 * c..]);
        let stats = channel_stats(&x, n, c, p);
        let m = (n * p) as f64;
        let mut dx = vec![0.0; x.len()];
        dx.par_chunks_mut(p).enumerate().for_each(|(bc, out)| {
            let ch = bc % c;
            let (mean, var) = stats[ch];
            let inv = 1.0 / (var + self.eps).sqrt();
            let (mg, mgx) = (sum_g[ch] / m, sum_gx[ch] / m);
            let r = bc * p..(bc + 1) * p;
            for ((o, &v), &d) in out.iter_mut().zip(&x[r.clone()]).zip(&dz[r]) {
                *o = gamma[ch] * inv * (d - mg - (v - mean) * inv * mgx);
            }
        });
        Ok((storage_like(s1, dx), l1.shape().clone()))
    }
}

/// Per-channel batch mean and unbiased variance [2, C] (for the running statistics; no gradient).
struct BatchStats;

impl CustomOp1 for BatchStats {
    fn name(&self) -> &'static str {
        "batch-stats"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, c, p) = geometry(l)?;
        let stats = channel_stats(&values(s, l)?, n, c, p);
        let m = (n * p) as f64;
        let mut out: Vec<f64> = stats.iter().map(|s| s.0).collect();
        out.extend(stats.iter().map(|s| s.1 * m / (m - 1.0).max(1.0)));
        Ok((storage_like(s, out), Shape::from((2, c))))
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
        NormActTrain { eps, act },
    )?;
    let stats = x.apply_op1_no_bwd(&BatchStats)?;
    Ok((y, stats))
}

/// Inference: (x, a, b) → act(a·x + b) per channel, one pass.
struct AffineAct {
    act: NormActivation,
}

impl CustomOp3 for AffineAct {
    fn name(&self) -> &'static str {
        "affine-act"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (_, c, p) = geometry(l1)?;
        let (a, b) = (values(s2, l2)?, values(s3, l3)?);
        let (start, end) = l1
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("affine-act needs contiguous input".into()))?;
        let act = self.act;
        // f32 stays f32 here: this is the inference hot path.
        let out = match s1 {
            CpuStorage::F32(v) => {
                let x = &v[start..end];
                let mut y = vec![0f32; x.len()];
                y.par_chunks_mut(p).enumerate().for_each(|(bc, o)| {
                    let (sa, sb) = (a[bc % c] as f32, b[bc % c] as f32);
                    for (oi, &xi) in o.iter_mut().zip(&x[bc * p..(bc + 1) * p]) {
                        *oi = act.apply(f64::from(sa * xi + sb)) as f32;
                    }
                });
                CpuStorage::F32(y)
            }
            CpuStorage::F64(v) => {
                let x = &v[start..end];
                let mut y = vec![0f64; x.len()];
                y.par_chunks_mut(p).enumerate().for_each(|(bc, o)| {
                    let (sa, sb) = (a[bc % c], b[bc % c]);
                    for (oi, &xi) in o.iter_mut().zip(&x[bc * p..(bc + 1) * p]) {
                        *oi = act.apply(sa * xi + sb);
                    }
                });
                CpuStorage::F64(y)
            }
            _ => candle_core::bail!("affine-act supports f32 and f64"),
        };
        Ok((out, l1.shape().clone()))
    }
}

/// Inference-mode batch norm + activation with the running statistics, in one pass (no gradient).
pub fn batch_norm_act_eval(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    running_mean: &Tensor,
    running_var: &Tensor,
    eps: f64,
    act: NormActivation,
) -> Result<Tensor> {
    let a = (gamma / (running_var + eps)?.sqrt()?)?;
    let b = (beta - (running_mean * &a)?)?;
    x.contiguous()?.apply_op3_no_bwd(&a, &b, &AffineAct { act })
}
