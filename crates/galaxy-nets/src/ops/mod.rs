//! Operations candle lacks or runs slowly on the CPU.

/// Runs the generic kernel `$f(geometry, &[T], &[T]) -> Vec<T>` on two storages of one float type (f32 or
/// f64) and wraps the result as a storage of that type.
macro_rules! dispatch2 {
    ($op:expr, $f:ident, $geom:expr, ($s1:expr, $l1:expr), ($s2:expr, $l2:expr)) => {
        match ($s1, $s2) {
            (CpuStorage::F32(_), CpuStorage::F32(_)) => CpuStorage::F32($f(
                $geom,
                $crate::ops::storage::contiguous::<f32>($s1, $l1, $op)?,
                $crate::ops::storage::contiguous::<f32>($s2, $l2, $op)?,
            )),
            (CpuStorage::F64(_), CpuStorage::F64(_)) => CpuStorage::F64($f(
                $geom,
                $crate::ops::storage::contiguous::<f64>($s1, $l1, $op)?,
                $crate::ops::storage::contiguous::<f64>($s2, $l2, $op)?,
            )),
            _ => candle_core::bail!("{} supports f32 and f64 tensors of one type", $op),
        }
    };
}

mod conv;
mod depthwise;
mod geometry;
mod norm_act;
mod pool;
mod storage;

pub use conv::conv2d;
pub use depthwise::depthwise_conv2d;
pub use storage::{stock_ops, use_stock_ops};

pub use norm_act::{activation, batch_norm_act_eval, batch_norm_act_train, NormActivation};
pub use pool::max_pool_3x3_s2_same;
