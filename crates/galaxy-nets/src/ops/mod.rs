//! Operations candle lacks or runs slowly on the CPU.

mod depthwise;
mod norm_act;
mod pool;

pub use depthwise::{depthwise_conv2d, use_stock_depthwise};
pub use norm_act::{batch_norm_act_eval, batch_norm_act_train, NormActivation};
pub use pool::max_pool_3x3_s2_same;
