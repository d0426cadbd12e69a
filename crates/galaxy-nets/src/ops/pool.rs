//! Keras' MaxPool2D(3, strides=2, padding="same"), built from differentiable candle ops.
//!
//! candle's `max_pool2d` has no backward when the kernel differs from the stride. For an even side H,
//! Keras pads one row at the end, so output row i is the max of input rows 2i, 2i+1, 2i+2. Padding by
//! replicating the last row leaves every window's maximum unchanged (the copy is already in the window),
//! and reshaping the padded rows into pairs turns the three taps into two narrowed views and a shifted one.

use candle_core::{Result, Tensor};

fn pool_axis(x: &Tensor, axis: usize) -> Result<Tensor> {
    let n = x.dim(axis)?;
    if n % 2 != 0 {
        candle_core::bail!("max_pool_3x3_s2_same needs even sides, got {n}");
    }
    let half = n / 2;
    // Rows 0..n+2 (two replicated at the end) as (half + 1) pairs.
    let padded = x.pad_with_same(axis, 0, 2)?;
    let mut dims = padded.dims().to_vec();
    dims[axis] = half + 1;
    dims.insert(axis + 1, 2);
    let pairs = padded.reshape(dims)?;
    let even = pairs.narrow(axis + 1, 0, 1)?.squeeze(axis + 1)?; // rows 0, 2, …, n
    let odd = pairs.narrow(axis + 1, 1, 1)?.squeeze(axis + 1)?; // rows 1, 3, …, n+1
    let a = even.narrow(axis, 0, half)?;
    let b = odd.narrow(axis, 0, half)?;
    let c = even.narrow(axis, 1, half)?;
    a.maximum(&b)?.maximum(&c)
}

/// 3 x 3 max pooling with stride 2 and "same" padding on [N, C, H, W] (H and W even).
pub fn max_pool_3x3_s2_same(x: &Tensor) -> Result<Tensor> {
    pool_axis(&pool_axis(x, 2)?, 3)
}
