//! Operations candle lacks or runs slowly on the CPU.

/// The contiguous elements of a CPU storage as a typed slice; `op` names the operation in the error.
fn contiguous<'a, T: candle_core::WithDType>(
    s: &'a candle_core::CpuStorage,
    l: &candle_core::Layout,
    op: &str,
) -> candle_core::Result<&'a [T]> {
    let data = s.as_slice::<T>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => candle_core::bail!("{op} needs contiguous tensors"),
    }
}

/// Runs the generic kernel `$f(geometry, &[T], &[T]) -> Vec<T>` on two storages of one float type (f32 or
/// f64) and wraps the result as a storage of that type.
macro_rules! dispatch2 {
    ($op:expr, $f:ident, $geom:expr, ($s1:expr, $l1:expr), ($s2:expr, $l2:expr)) => {
        match ($s1, $s2) {
            (CpuStorage::F32(_), CpuStorage::F32(_)) => CpuStorage::F32($f(
                $geom,
                super::contiguous::<f32>($s1, $l1, $op)?,
                super::contiguous::<f32>($s2, $l2, $op)?,
            )),
            (CpuStorage::F64(_), CpuStorage::F64(_)) => CpuStorage::F64($f(
                $geom,
                super::contiguous::<f64>($s1, $l1, $op)?,
                super::contiguous::<f64>($s2, $l2, $op)?,
            )),
            _ => candle_core::bail!("{} supports f32 and f64 tensors of one type", $op),
        }
    };
}

mod conv;
mod depthwise;
mod norm_act;
mod pool;

pub use conv::conv2d;
pub use depthwise::depthwise_conv2d;

static STOCK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Use candle's own operations instead of this module's custom CPU ops everywhere (grouped conv2d for
/// depthwise convolutions, candle-nn's batch norm then the activation): for benchmarks that measure the
/// custom ops' gain, and for checking them.
pub fn use_stock_ops(stock: bool) {
    STOCK.store(stock, std::sync::atomic::Ordering::Relaxed);
}

/// Whether [`use_stock_ops`] is on.
pub fn stock_ops() -> bool {
    STOCK.load(std::sync::atomic::Ordering::Relaxed)
}
pub use norm_act::{activation, batch_norm_act_eval, batch_norm_act_train, NormActivation};
pub use pool::max_pool_3x3_s2_same;
