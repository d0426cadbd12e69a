//! Batch normalisation fused with its activation, as candle custom ops with a CPU forward and backward.
//!
//! candle-nn's training-mode batch norm transposes and copies the activation, then runs half a dozen
//! broadcast element-wise ops, each a fresh buffer and a pass over memory, and an activation adds more
//! (50–58 ms for BN and 25–29 ms for SELU on one 64x32x32x32 activation, forward + backward, in
//! ../shared/notes/candle-cpu-and-cuda.md). Here one op computes the per-channel batch statistics and
//! writes act(γ·x̂ + β) in two passes per channel plane, and the backward is the closed form
//! dx = (γ/σ)(dz − mean(dz) − x̂·mean(dz·x̂)) with dz = dy·act'(z), act'(z) recovered from the output y.

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

mod activation;
mod common;
mod eval;
mod train;

pub use activation::NormActivation;
pub use eval::{activation, batch_norm_act_eval};
pub use train::batch_norm_act_train;
