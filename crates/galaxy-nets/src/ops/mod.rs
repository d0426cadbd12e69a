//! Operations candle lacks or runs slowly on the CPU.

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
