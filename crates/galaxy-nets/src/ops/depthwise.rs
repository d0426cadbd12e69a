//! Depthwise 2-D convolution as a candle custom op with a hand-written CPU forward and backward.
//!
//! candle's `conv2d` with `groups = C` runs C single-channel convolutions one after another and
//! concatenates them, and its backward is single-threaded: about 300 ms for one 64x32x32x32 activation,
//! forward and backward (../shared/notes/candle-cpu-and-cuda.md). Here each (image, channel) plane is one
//! rayon task with the K x K taps as the outer loops and a contiguous row as the inner loop, which the
//! compiler vectorises. The backward passes are two more custom ops of the same shape. On other devices
//! [`depthwise_conv2d`] falls back to candle's grouped convolution.

use super::geometry::ConvGeometry as Geometry;
use super::storage::{Arg, Kernel2, Op2};
use candle_core::{CpuStorage, Result, Shape, Tensor};
use rayon::prelude::*;

const OP: &str = "depthwise conv2d";

/// Calls `f(w_tap, oh, ih, kj, cols)` for every tap (ki, kj) of channel `c`'s kernel and every output
/// row oh whose input row ih = oh·s + ki − p lies inside the image; `cols` are the output columns whose
/// input columns do.
fn each_tap<T: Copy>(
    g: &Geometry,
    w: &[T],
    c: usize,
    mut f: impl FnMut(T, usize, usize, usize, std::ops::Range<usize>),
) {
    let k = g.kernel;
    for ki in 0..k {
        let rows = g.valid(ki, g.height, g.out_h);
        for kj in 0..k {
            let wv = w[c * k * k + ki * k + kj];
            let cols = g.valid(kj, g.width, g.out_w);
            for oh in rows.clone() {
                f(wv, oh, oh * g.stride + ki - g.padding, kj, cols.clone());
            }
        }
    }
}

/// out[n, c] = Σ_taps w[c, ki, kj] · x[n, c, oh·s + ki − p, ow·s + kj − p].
fn forward<T>(g: &Geometry, x: &[T], w: &[T]) -> Vec<T>
where
    T: Copy + Default + std::ops::Mul<Output = T> + std::ops::AddAssign + Send + Sync,
{
    let (plane_in, plane_out) = (g.height * g.width, g.out_h * g.out_w);
    let mut out = vec![T::default(); g.batch * g.c_in * plane_out];
    out.par_chunks_mut(plane_out)
        .enumerate()
        .for_each(|(nc, o)| {
            let c = nc % g.c_in;
            let xin = &x[nc * plane_in..(nc + 1) * plane_in];
            each_tap(g, w, c, |wv, oh, ih, kj, cols| {
                let orow = &mut o[oh * g.out_w..(oh + 1) * g.out_w];
                let xrow = &xin[ih * g.width..(ih + 1) * g.width];
                for ow in cols {
                    orow[ow] += wv * xrow[ow * g.stride + kj - g.padding];
                }
            });
        });
    out
}

/// grad_x[n, c, ih, iw] = Σ over the outputs that read it of w · grad_out.
fn backward_input<T>(g: &Geometry, grad: &[T], w: &[T]) -> Vec<T>
where
    T: Copy + Default + std::ops::Mul<Output = T> + std::ops::AddAssign + Send + Sync,
{
    let (plane_in, plane_out) = (g.height * g.width, g.out_h * g.out_w);
    let mut gx = vec![T::default(); g.batch * g.c_in * plane_in];
    gx.par_chunks_mut(plane_in)
        .enumerate()
        .for_each(|(nc, gxp)| {
            let c = nc % g.c_in;
            let gp = &grad[nc * plane_out..(nc + 1) * plane_out];
            each_tap(g, w, c, |wv, oh, ih, kj, cols| {
                let grow = &gp[oh * g.out_w..(oh + 1) * g.out_w];
                let xrow = &mut gxp[ih * g.width..(ih + 1) * g.width];
                for ow in cols {
                    xrow[ow * g.stride + kj - g.padding] += wv * grow[ow];
                }
            });
        });
    gx
}

/// grad_w[c, ki, kj] = Σ_n Σ_outputs grad_out · x at the tap.
fn backward_weight<T>(g: &Geometry, x: &[T], grad: &[T]) -> Vec<T>
where
    T: Copy + Default + std::ops::Mul<Output = T> + std::ops::AddAssign + Send + Sync,
{
    let (plane_in, plane_out, k) = (g.height * g.width, g.out_h * g.out_w, g.kernel);
    let mut gw = vec![T::default(); g.c_in * k * k];
    gw.par_chunks_mut(k * k).enumerate().for_each(|(c, gwc)| {
        for n in 0..g.batch {
            let nc = n * g.c_in + c;
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

impl Kernel2 for DepthwiseConv {
    const NAME: &'static str = "depthwise-conv2d";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(OP, l1.dims(), l2.dims(), self.stride, self.padding, true)?;
        let out = dispatch2!(OP, forward, &g, (s1, l1), (s2, l2));
        Ok((out, Shape::from((g.batch, g.c_in, g.out_h, g.out_w))))
    }

    fn backward(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let g = Geometry::new(OP, x.dims(), w.dims(), self.stride, self.padding, true)?;
        let gx = grad.apply_op2_no_bwd(w, &Op2(BackwardInput { g }))?;
        let gw = x.apply_op2_no_bwd(&grad, &Op2(BackwardWeight { g }))?;
        Ok((Some(gx), Some(gw)))
    }
}

/// (grad_out, w) → grad_x, for the geometry of the forward op.
struct BackwardInput {
    g: Geometry,
}

impl Kernel2 for BackwardInput {
    const NAME: &'static str = "depthwise-conv2d-backward-input";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg) -> Result<(CpuStorage, Shape)> {
        let g = &self.g;
        g.check_output(OP, l1.dims())?;
        let out = dispatch2!(OP, backward_input, g, (s1, l1), (s2, l2));
        Ok((out, Shape::from((g.batch, g.c_in, g.height, g.width))))
    }
}

/// (x, grad_out) → grad_w.
struct BackwardWeight {
    g: Geometry,
}

impl Kernel2 for BackwardWeight {
    const NAME: &'static str = "depthwise-conv2d-backward-weight";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg) -> Result<(CpuStorage, Shape)> {
        let g = &self.g;
        g.check_output(OP, l2.dims())?;
        let out = dispatch2!(OP, backward_weight, g, (s1, l1), (s2, l2));
        Ok((out, Shape::from((g.c_in, 1, g.kernel, g.kernel))))
    }
}

/// Depthwise convolution of x [N, C, H, W] with w [C, 1, K, K]: the custom op on the CPU, candle's
/// grouped `conv2d` elsewhere (identical results up to rounding).
pub fn depthwise_conv2d(x: &Tensor, w: &Tensor, stride: usize, padding: usize) -> Result<Tensor> {
    if x.device().is_cpu() && !super::storage::stock_ops() {
        x.contiguous()?
            .apply_op2(&w.contiguous()?, Op2(DepthwiseConv { stride, padding }))
    } else {
        x.conv2d(w, padding, stride, 1, x.dim(1)?)
    }
}
