//! What the custom operations share: typed views of CPU storage, and the switch back to candle's own
//! operations.

/// The contiguous elements of a CPU storage as a typed slice; `op` names the operation in the error.
pub(crate) fn contiguous<'a, T: candle_core::WithDType>(
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
