//! Operations candle lacks or runs slowly on the CPU.

mod depthwise;
mod pool;

pub use depthwise::{depthwise_conv2d, use_stock_depthwise};
pub use pool::max_pool_3x3_s2_same;
