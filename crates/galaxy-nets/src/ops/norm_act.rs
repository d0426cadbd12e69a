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

/// The float types the ops run on natively (no copy to f64; sums are accumulated in f64).
pub(crate) trait Float: candle_core::WithDType + Copy + Send + Sync {
    fn f(self) -> f64;
    fn of(v: f64) -> Self;
}
impl Float for f32 {
    #[inline]
    fn f(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn of(v: f64) -> f32 {
        v as f32
    }
}
impl Float for f64 {
    #[inline]
    fn f(self) -> f64 {
        self
    }
    #[inline]
    fn of(v: f64) -> f64 {
        v
    }
}

/// The contiguous elements of a storage as a typed slice, borrowed.
fn slice<'a, T: Float>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [T]> {
    super::storage::contiguous(s, l, "norm-act")
}

/// Small per-channel vectors (γ, β, sums) as f64.
fn small(s: &CpuStorage, l: &Layout) -> Result<Vec<f64>> {
    Ok(match s {
        CpuStorage::F32(_) => slice::<f32>(s, l)?.iter().map(|v| v.f()).collect(),
        CpuStorage::F64(_) => slice::<f64>(s, l)?.to_vec(),
        _ => candle_core::bail!("norm-act supports f32 and f64"),
    })
}

/// Per-channel f64 results in the storage type of `like`.
fn small_like(like: &CpuStorage, v: Vec<f64>) -> CpuStorage {
    match like {
        CpuStorage::F32(_) => CpuStorage::F32(v.into_iter().map(|x| x as f32).collect()),
        _ => CpuStorage::F64(v),
    }
}

/// Runs `$f::<T>` on the storages' typed slices for T = f32 or f64 and wraps the Vec<T> it returns.
macro_rules! typed {
    ($first:expr, |$t:ident| $body:expr) => {
        match $first {
            CpuStorage::F32(_) => {
                type $t = f32;
                CpuStorage::F32($body)
            }
            CpuStorage::F64(_) => {
                type $t = f64;
                CpuStorage::F64($body)
            }
            _ => candle_core::bail!("norm-act supports f32 and f64"),
        }
    };
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
fn channel_stats<T: Float>(x: &[T], n: usize, c: usize, p: usize) -> Vec<(f64, f64)> {
    (0..c)
        .into_par_iter()
        .map(|ch| {
            let (mut s, mut s2) = (0.0, 0.0);
            for b in 0..n {
                for &v in &x[(b * c + ch) * p..(b * c + ch + 1) * p] {
                    let v = v.f();
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
        if l1.dims() != l2.dims() {
            candle_core::bail!("activation grad: {:?} vs {:?}", l1.dims(), l2.dims());
        }
        let act = self.act;
        let dz = typed!(s1, |T| {
            let (dy, y) = (slice::<T>(s1, l1)?, slice::<T>(s2, l2)?);
            let mut dz = Vec::with_capacity(dy.len());
            dy.par_iter()
                .zip(y.par_iter())
                .map(|(g, v)| T::of(g.f() * act.slope_from_output(v.f())))
                .collect_into_vec(&mut dz);
            dz
        });
        Ok((dz, l1.shape().clone()))
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

impl CustomOp1 for BatchStats {
    fn name(&self) -> &'static str {
        "batch-stats"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
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
        NormActTrain { eps, act },
    )?;
    let stats = x.apply_op1_no_bwd(&BatchStats)?;
    Ok((y, stats))
}

/// An activation alone as one op (candle's SELU would be six element-wise ops, each a fresh buffer, and
/// as many more in the backward).
struct ActivationOp {
    act: NormActivation,
}

impl CustomOp1 for ActivationOp {
    fn name(&self) -> &'static str {
        "activation"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let act = self.act;
        let y = typed!(s, |T| {
            let x = slice::<T>(s, l)?;
            let mut y = Vec::with_capacity(x.len());
            x.par_iter()
                .map(|v| T::of(act.apply(v.f())))
                .collect_into_vec(&mut y);
            y
        });
        Ok((y, l.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let dx = grad
            .contiguous()?
            .apply_op2_no_bwd(res, &ActivationGrad { act: self.act })?;
        Ok(Some(dx))
    }
}

/// act(x) element-wise as one custom op with its backward (CPU).
pub fn activation(x: &Tensor, act: NormActivation) -> Result<Tensor> {
    x.contiguous()?.apply_op1(ActivationOp { act })
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
        let (a, b) = (small(s2, l2)?, small(s3, l3)?);
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
