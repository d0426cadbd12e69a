//! Inference mode and the activation alone: running statistics folded into an affine map, then the
//! activation.

use candle_core::{CpuStorage, Result, Shape, Tensor};
use rayon::prelude::*;

use super::activation::NormActivation;
use super::common::*;
use crate::ops::storage::{Arg, Kernel1, Kernel3, Op1, Op2, Op3};

/// An activation alone as one op (candle's SELU would be six element-wise ops, each a fresh buffer, and
/// as many more in the backward).
struct ActivationOp {
    act: NormActivation,
}

impl Kernel1 for ActivationOp {
    const NAME: &'static str = "activation";

    fn cpu(&self, (s, l): Arg) -> Result<(CpuStorage, Shape)> {
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

    fn backward(&self, _x: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let dx = grad
            .contiguous()?
            .apply_op2_no_bwd(res, &Op2(ActivationGrad { act: self.act }))?;
        Ok(Some(dx))
    }
}

/// act(x) element-wise as one custom op with its backward (CPU).
pub fn activation(x: &Tensor, act: NormActivation) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Op1(ActivationOp { act }))
}

/// Inference: (x, a, b) → act(a·x + b) per channel, one pass.
struct AffineAct {
    act: NormActivation,
}

impl Kernel3 for AffineAct {
    const NAME: &'static str = "affine-act";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg, (s3, l3): Arg) -> Result<(CpuStorage, Shape)> {
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
    x.contiguous()?
        .apply_op3_no_bwd(&a, &b, &Op3(AffineAct { act }))
}
