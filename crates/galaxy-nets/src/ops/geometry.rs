//! The shapes of one 2-D convolution, dense or depthwise, checked once for its forward and backward
//! kernels.

use candle_core::Result;

/// Shapes of one convolution (a depthwise one has as many output channels as input channels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvGeometry {
    pub(crate) batch: usize,
    pub(crate) c_in: usize,
    pub(crate) c_out: usize,
    pub(crate) height: usize,
    pub(crate) width: usize,
    pub(crate) kernel: usize,
    pub(crate) stride: usize,
    pub(crate) padding: usize,
    pub(crate) out_h: usize,
    pub(crate) out_w: usize,
}

impl ConvGeometry {
    /// The geometry of input `x` [N, C, H, W] and weight `w` ([C_out, C, K, K], or [C, 1, K, K] when
    /// `depthwise`), or an error naming `op` when they do not fit (square kernels only, stride >= 1, the
    /// kernel inside the padded image).
    pub(crate) fn new(
        op: &str,
        x: &[usize],
        w: &[usize],
        stride: usize,
        padding: usize,
        depthwise: bool,
    ) -> Result<ConvGeometry> {
        let layout = if depthwise {
            "[C, 1, K, K]"
        } else {
            "[C_out, C, K, K]"
        };
        let (&[batch, c_in, height, width], &[wo, wi, kh, kw]) = (x, w) else {
            candle_core::bail!("{op}: input {x:?} must be [N, C, H, W] and weight {w:?} {layout}");
        };
        let (c_out, wc) = if depthwise { (wo, wo) } else { (wo, wi) };
        if wc != c_in
            || (depthwise && wi != 1)
            || kh != kw
            || stride == 0
            || height + 2 * padding < kh
            || width + 2 * padding < kw
        {
            candle_core::bail!(
                "{op}: input {x:?}, weight {w:?}, stride {stride}, padding {padding} do not fit"
            );
        }
        Ok(ConvGeometry {
            batch,
            c_in,
            c_out,
            height,
            width,
            kernel: kh,
            stride,
            padding,
            out_h: (height + 2 * padding - kh) / stride + 1,
            out_w: (width + 2 * padding - kw) / stride + 1,
        })
    }

    /// An error naming `op` unless `dims` are those of the output, [N, C_out, H', W'] (a gradient
    /// handed to a backward kernel must be).
    pub(crate) fn check_output(&self, op: &str, dims: &[usize]) -> Result<()> {
        if dims != [self.batch, self.c_out, self.out_h, self.out_w] {
            candle_core::bail!("{op} backward: gradient {dims:?} is not the output's shape");
        }
        Ok(())
    }

    /// Outputs o (along an axis of `out` outputs over `size` inputs) whose input o·s + k − p is inside.
    pub(crate) fn valid(&self, k: usize, size: usize, out: usize) -> std::ops::Range<usize> {
        let s = self.stride as isize;
        let off = k as isize - self.padding as isize;
        let lo = if off >= 0 { 0 } else { ((-off) + s - 1) / s } as usize;
        let hi_excl = ((size as isize - 1 - off).div_euclid(s) + 1).max(0) as usize;
        lo.min(out)..hi_excl.min(out).max(lo.min(out))
    }
}
