//! What the fused operations share: the float types, typed views of storages, per-channel statistics.

use candle_core::{CpuStorage, Layout, Result, Shape};
use rayon::prelude::*;

use super::activation::NormActivation;
use crate::ops::storage::{Arg, Kernel2};

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
pub(super) fn slice<'a, T: Float>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [T]> {
    crate::ops::storage::contiguous(s, l, "norm-act")
}

/// Small per-channel vectors (γ, β, sums) as f64.
pub(super) fn small(s: &CpuStorage, l: &Layout) -> Result<Vec<f64>> {
    Ok(match s {
        CpuStorage::F32(_) => slice::<f32>(s, l)?.iter().map(|v| v.f()).collect(),
        CpuStorage::F64(_) => slice::<f64>(s, l)?.to_vec(),
        _ => candle_core::bail!("norm-act supports f32 and f64"),
    })
}

/// Per-channel f64 results in the storage type of `like`.
pub(super) fn small_like(like: &CpuStorage, v: Vec<f64>) -> CpuStorage {
    match like {
        CpuStorage::F32(_) => CpuStorage::F32(v.into_iter().map(|x| x as f32).collect()),
        _ => CpuStorage::F64(v),
    }
}

/// (N, C, plane) of an [N, C, ...] layout.
pub(super) fn geometry(l: &Layout) -> Result<(usize, usize, usize)> {
    let d = l.dims();
    if d.len() < 2 {
        candle_core::bail!("norm-act needs [N, C, ...], got {d:?}");
    }
    Ok((d[0], d[1], d[2..].iter().product()))
}

/// Per-channel mean and biased variance over (N, spatial).
pub(super) fn channel_stats<T: Float>(x: &[T], n: usize, c: usize, p: usize) -> Vec<(f64, f64)> {
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

/// dz = dy · act'(z), act' from the forward's output.
pub(super) struct ActivationGrad {
    pub(super) act: NormActivation,
}

impl Kernel2 for ActivationGrad {
    const NAME: &'static str = "norm-act-activation-grad";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg) -> Result<(CpuStorage, Shape)> {
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
