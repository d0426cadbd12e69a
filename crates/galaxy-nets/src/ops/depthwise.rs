//! Depthwise 2-D convolution as a candle custom op with a hand-written CPU forward and backward.
//!
//! candle's `conv2d` with `groups = C` runs C single-channel convolutions one after another and
//! concatenates them, and its backward is single-threaded: about 300 ms for one 64x32x32x32 activation,
//! forward and backward (../shared/notes/candle-cpu-and-cuda.md). Here each (image, channel) plane is one
//! rayon task with the K x K taps as the outer loops and a contiguous row as the inner loop, which the
//! compiler vectorises. The backward passes are two more custom ops of the same shape. On other devices
//! [`depthwise_conv2d`] falls back to candle's grouped convolution.

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// Geometry shared by the forward and backward ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Geometry {
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    out_h: usize,
    out_w: usize,
}

impl Geometry {
    fn new(x: &[usize], w: &[usize], stride: usize, padding: usize) -> Result<Geometry> {
        let (&[batch, channels, height, width], &[wc, 1, kh, kw]) = (x, w) else {
            candle_core::bail!(
                "depthwise conv2d: input {x:?} must be [N, C, H, W] and weight {w:?} [C, 1, K, K]"
            );
        };
        if wc != channels
            || kh != kw
            || stride == 0
            || height + 2 * padding < kh
            || width + 2 * padding < kw
        {
            candle_core::bail!(
                "depthwise conv2d: input {x:?}, weight {w:?}, stride {stride}, padding {padding}"
            );
        }
        Ok(Geometry {
            batch,
            channels,
            height,
            width,
            kernel: kh,
            stride,
            padding,
            out_h: (height + 2 * padding - kh) / stride + 1,
            out_w: (width + 2 * padding - kw) / stride + 1,
        })
    }

    /// Output columns ow whose input column ow·s + kj − p lies inside the image, as a range.
    fn valid(&self, k: usize, size: usize, out: usize) -> std::ops::Range<usize> {
        let s = self.stride as isize;
        let off = k as isize - self.padding as isize;
        // ow·s + off >= 0  and  ow·s + off <= size − 1
        let lo = if off >= 0 { 0 } else { ((-off) + s - 1) / s } as usize;
        let hi_excl = ((size as isize - 1 - off).div_euclid(s) + 1).max(0) as usize;
        lo.min(out)..hi_excl.min(out).max(lo.min(out))
    }
}

const OP: &str = "depthwise conv2d";

/// out[n, c] = Σ_taps w[c, ki, kj] · x[n, c, oh·s + ki − p, ow·s + kj − p].
fn forward<T>(g: &Geometry, x: &[T], w: &[T]) -> Vec<T>
where
    T: Copy + Default + std::ops::Mul<Output = T> + std::ops::AddAssign + Send + Sync,
{
    let (plane_in, plane_out, k) = (g.height * g.width, g.out_h * g.out_w, g.kernel);
    let mut out = vec![T::default(); g.batch * g.channels * plane_out];
    out.par_chunks_mut(plane_out)
        .enumerate()
        .for_each(|(nc, o)| {
            let c = nc % g.channels;
            let xin = &x[nc * plane_in..(nc + 1) * plane_in];
            for ki in 0..k {
                let rows = g.valid(ki, g.height, g.out_h);
                for kj in 0..k {
                    let wv = w[c * k * k + ki * k + kj];
                    let cols = g.valid(kj, g.width, g.out_w);
                    for oh in rows.clone() {
                        let ih = oh * g.stride + ki - g.padding;
                        let orow = &mut o[oh * g.out_w..(oh + 1) * g.out_w];
                        let xrow = &xin[ih * g.width..(ih + 1) * g.width];
                        for ow in cols.clone() {
                            orow[ow] += wv * xrow[ow * g.stride + kj - g.padding];
                        }
                    }
                }
            }
        });
    out
}

/// grad_x[n, c, ih, iw] = Σ over the outputs that read it of w · grad_out.
fn backward_input<T>(g: &Geometry, grad: &[T], w: &[T]) -> Vec<T>
where
    T: Copy + Default + std::ops::Mul<Output = T> + std::ops::AddAssign + Send + Sync,
{
    let (plane_in, plane_out, k) = (g.height * g.width, g.out_h * g.out_w, g.kernel);
    let mut gx = vec![T::default(); g.batch * g.channels * plane_in];
    gx.par_chunks_mut(plane_in)
        .enumerate()
        .for_each(|(nc, gxp)| {
            let c = nc % g.channels;
            let gp = &grad[nc * plane_out..(nc + 1) * plane_out];
            for ki in 0..k {
                let rows = g.valid(ki, g.height, g.out_h);
                for kj in 0..k {
                    let wv = w[c * k * k + ki * k + kj];
                    let cols = g.valid(kj, g.width, g.out_w);
                    for oh in rows.clone() {
                        let ih = oh * g.stride + ki - g.padding;
                        let grow = &gp[oh * g.out_w..(oh + 1) * g.out_w];
                        let xrow = &mut gxp[ih * g.width..(ih + 1) * g.width];
                        for ow in cols.clone() {
                            xrow[ow * g.stride + kj - g.padding] += wv * grow[ow];
                        }
                    }
                }
            }
        });
    gx
}

/// grad_w[c, ki, kj] = Σ_n Σ_outputs grad_out · x at the tap.
fn backward_weight<T>(g: &Geometry, x: &[T], grad: &[T]) -> Vec<T>
where
    T: Copy + Default + std::ops::Mul<Output = T> + std::ops::AddAssign + Send + Sync,
{
    let (plane_in, plane_out, k) = (g.height * g.width, g.out_h * g.out_w, g.kernel);
    let mut gw = vec![T::default(); g.channels * k * k];
    gw.par_chunks_mut(k * k).enumerate().for_each(|(c, gwc)| {
        for n in 0..g.batch {
            let nc = n * g.channels + c;
            let xin = &x[nc * plane_in..(nc + 1) * plane_in];
            let gp = &grad[nc * plane_out..(nc + 1) * plane_out];
            for ki in 0..k {
                let rows = g.valid(ki, g.height, g.out_h);
                for kj in 0..k {
                    let cols = g.valid(kj, g.width, g.out_w);
                    let mut acc = T::default();
                    for oh in rows.clone() {
                        let ih = oh * g.stride + ki - g.padding;
                        let grow = &gp[oh * g.out_w..(oh + 1) * g.out_w];
                        let xrow = &xin[ih * g.width..(ih + 1) * g.width];
                        for ow in cols.clone() {
                            acc += grow[ow] * xrow[ow * g.stride + kj - g.padding];
                        }
                    }
                    gwc[ki * k + kj] += acc;
                }
            }
        }
    });
    gw
}

/// Forward op: (x [N, C, H, W], w [C, 1, K, K]) → [N, C, H', W'].
struct DepthwiseConv {
    stride: usize,
    padding: usize,
}

impl CustomOp2 for DepthwiseConv {
    fn name(&self) -> &'static str {
        "depthwise-conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(l1.dims(), l2.dims(), self.stride, self.padding)?;
        let out = dispatch2!(OP, forward, &g, (s1, l1), (s2, l2));
        Ok((out, Shape::from((g.batch, g.channels, g.out_h, g.out_w))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let gx = grad.apply_op2_no_bwd(
            w,
            &BackwardInput {
                stride: self.stride,
                padding: self.padding,
                input: x.dims4()?,
            },
        )?;
        let gw = x.apply_op2_no_bwd(
            &grad,
            &BackwardWeight {
                stride: self.stride,
                padding: self.padding,
                kernel: w.dim(2)?,
            },
        )?;
        Ok((Some(gx), Some(gw)))
    }
}

/// (grad_out, w) → grad_x.
struct BackwardInput {
    stride: usize,
    padding: usize,
    input: (usize, usize, usize, usize),
}

impl CustomOp2 for BackwardInput {
    fn name(&self) -> &'static str {
        "depthwise-conv2d-backward-input"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = self.input;
        let g = Geometry::new(&[n, c, h, w], l2.dims(), self.stride, self.padding)?;
        if l1.dims() != [n, c, g.out_h, g.out_w] {
            candle_core::bail!(
                "depthwise backward: gradient {:?} does not match the output shape",
                l1.dims()
            );
        }
        let out = dispatch2!(OP, backward_input, &g, (s1, l1), (s2, l2));
        Ok((out, Shape::from((n, c, h, w))))
    }
}

/// (x, grad_out) → grad_w.
struct BackwardWeight {
    stride: usize,
    padding: usize,
    kernel: usize,
}

impl CustomOp2 for BackwardWeight {
    fn name(&self) -> &'static str {
        "depthwise-conv2d-backward-weight"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let c = l1.dims()[1];
        let g = Geometry::new(
            l1.dims(),
            &[c, 1, self.kernel, self.kernel],
            self.stride,
            self.padding,
        )?;
        if l2.dims() != [g.batch, c, g.out_h, g.out_w] {
            candle_core::bail!(
                "depthwise backward: gradient {:?} does not match the output shape",
                l2.dims()
            );
        }
        let out = dispatch2!(OP, backward_weight, &g, (s1, l1), (s2, l2));
        Ok((out, Shape::from((c, 1, self.kernel, self.kernel))))
    }
}

/// Depthwise convolution of x [N, C, H, W] with w [C, 1, K, K]: the custom op on the CPU, candle's
/// grouped `conv2d` elsewhere (identical results up to rounding).
pub fn depthwise_conv2d(x: &Tensor, w: &Tensor, stride: usize, padding: usize) -> Result<Tensor> {
    if x.device().is_cpu() && !super::storage::stock_ops() {
        x.contiguous()?
            .apply_op2(&w.contiguous()?, DepthwiseConv { stride, padding })
    } else {
        x.conv2d(w, padding, stride, 1, x.dim(1)?)
    }
}
