//! Dense 2-D convolution (with bias) as a candle custom op: im2col + one matrix product per image, forward
//! and backward, on the CPU.
//!
//! candle 0.11's CPU `conv2d` already uses im2col, but tiles it per 512 output pixels with an index
//! computation per element, and its backward is the slow part: the input gradient goes through
//! `conv_transpose2d`, a direct loop of dot products, and the weight gradient through a second `conv2d` on
//! transposed copies of the input and the gradient (a profile of the 125k-parameter CNN's training step put
//! 45% of the time there). Here every image is one rayon task that builds its K x P column matrix row by row
//! (each row is a shifted, strided copy of one input plane) and calls `gemm` single-threaded:
//! forward Y = W·col, input gradient col2im(Wᵀ·dY), weight gradient Σₙ dYₙ·colₙᵀ accumulated per thread.
//! A 1 x 1, stride-1 convolution skips im2col: its column matrix is the image itself.

use candle_core::{CpuStorage, Result, Shape, Tensor};
use gemm::{gemm, Parallelism};

use super::geometry::ConvGeometry as Geometry;
use super::storage::{contiguous, Arg, Kernel2, Kernel3, Op2, Op3};
use rayon::prelude::*;

impl Geometry {
    /// Rows of the column matrix: C_in·K·K.
    fn k(&self) -> usize {
        self.c_in * self.kernel * self.kernel
    }

    /// Output pixels per channel.
    fn p(&self) -> usize {
        self.out_h * self.out_w
    }

    fn plane_in(&self) -> usize {
        self.height * self.width
    }

    /// Whether the column matrix is the input itself.
    fn is_pointwise(&self) -> bool {
        self.kernel == 1 && self.stride == 1 && self.padding == 0
    }
}

/// The element types the op supports: what `gemm` multiplies and the loops need.
trait Elem:
    Copy + Default + Send + Sync + 'static + std::ops::AddAssign + std::ops::Add<Output = Self>
{
    const ONE: Self;
}
impl Elem for f32 {
    const ONE: f32 = 1.0;
}
impl Elem for f64 {
    const ONE: f64 = 1.0;
}

/// col[(c, ki, kj), (oh, ow)] = x[c, oh·s + ki − p, ow·s + kj − p] (0 outside) for one image.
fn im2col<T: Elem>(g: &Geometry, x: &[T], col: &mut [T]) {
    let (k, p) = (g.kernel, g.p());
    col.fill(T::default());
    for c in 0..g.c_in {
        let plane = &x[c * g.plane_in()..(c + 1) * g.plane_in()];
        for ki in 0..k {
            let rows = g.valid(ki, g.height, g.out_h);
            for kj in 0..k {
                let cols = g.valid(kj, g.width, g.out_w);
                let row = &mut col[((c * k + ki) * k + kj) * p..][..p];
                for oh in rows.clone() {
                    let xrow = &plane[(oh * g.stride + ki - g.padding) * g.width..][..g.width];
                    let orow = &mut row[oh * g.out_w..(oh + 1) * g.out_w];
                    for ow in cols.clone() {
                        orow[ow] = xrow[ow * g.stride + kj - g.padding];
                    }
                }
            }
        }
    }
}

/// dx[c, ih, iw] = Σ over the column entries that copied it (the adjoint of [`im2col`]), for one image.
fn col2im<T: Elem>(g: &Geometry, col: &[T], dx: &mut [T]) {
    let (k, p) = (g.kernel, g.p());
    dx.fill(T::default());
    for c in 0..g.c_in {
        let plane = &mut dx[c * g.plane_in()..(c + 1) * g.plane_in()];
        for ki in 0..k {
            let rows = g.valid(ki, g.height, g.out_h);
            for kj in 0..k {
                let cols = g.valid(kj, g.width, g.out_w);
                let row = &col[((c * k + ki) * k + kj) * p..][..p];
                for oh in rows.clone() {
                    let ih = oh * g.stride + ki - g.padding;
                    let xrow = &mut plane[ih * g.width..(ih + 1) * g.width];
                    let crow = &row[oh * g.out_w..(oh + 1) * g.out_w];
                    for ow in cols.clone() {
                        xrow[ow * g.stride + kj - g.padding] += crow[ow];
                    }
                }
            }
        }
    }
}

/// dst[m, n] (row-major, `read`: dst + …) = a[m, k] · b[k, n], single-threaded. Strides are (row, column).
#[allow(clippy::too_many_arguments)]
fn matmul<T: Elem>(
    (m, n, k): (usize, usize, usize),
    dst: &mut [T],
    read: bool,
    a: &[T],
    (a_rs, a_cs): (usize, usize),
    b: &[T],
    (b_rs, b_cs): (usize, usize),
) {
    debug_assert!(dst.len() >= m * n);
    debug_assert!(m == 0 || k == 0 || a.len() > (m - 1) * a_rs + (k - 1) * a_cs);
    debug_assert!(k == 0 || n == 0 || b.len() > (k - 1) * b_rs + (n - 1) * b_cs);
    // SAFETY: the slices cover every element the strides address (checked above in debug builds, and by
    // construction from the geometry), and dst does not alias a or b.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            read,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// y[n] = W·col(x[n]) + b.
fn forward<T: Elem>(g: &Geometry, x: &[T], w: &[T], b: &[T]) -> Vec<T> {
    let (k, p, n_in) = (g.k(), g.p(), g.c_in * g.plane_in());
    let mut y = vec![T::default(); g.batch * g.c_out * p];
    y.par_chunks_mut(g.c_out * p).enumerate().for_each_init(
        || vec![T::default(); if g.is_pointwise() { 0 } else { k * p }],
        |col, (n, out)| {
            let xn = &x[n * n_in..(n + 1) * n_in];
            for (row, &bias) in out.chunks_mut(p).zip(b) {
                row.fill(bias);
            }
            let cols: &[T] = if g.is_pointwise() {
                xn
            } else {
                im2col(g, xn, col);
                col
            };
            matmul((g.c_out, p, k), out, true, w, (k, 1), cols, (p, 1));
        },
    );
    y
}

/// dx[n] = col2im(Wᵀ·dy[n]).
fn backward_input<T: Elem>(g: &Geometry, dy: &[T], w: &[T]) -> Vec<T> {
    let (k, p, n_in) = (g.k(), g.p(), g.c_in * g.plane_in());
    let mut dx = vec![T::default(); g.batch * n_in];
    dx.par_chunks_mut(n_in).enumerate().for_each_init(
        || vec![T::default(); if g.is_pointwise() { 0 } else { k * p }],
        |dcol, (n, dxn)| {
            let dyn_ = &dy[n * g.c_out * p..(n + 1) * g.c_out * p];
            if g.is_pointwise() {
                matmul((k, p, g.c_out), dxn, false, w, (1, k), dyn_, (p, 1));
            } else {
                matmul((k, p, g.c_out), dcol, false, w, (1, k), dyn_, (p, 1));
                col2im(g, dcol, dxn);
            }
        },
    );
    dx
}

/// [dW | db]: dW = Σₙ dy[n]·col(x[n])ᵀ as [C_out, K], then db = Σ dy per channel, in one [C_out·K + C_out].
fn backward_weight<T: Elem>(g: &Geometry, x: &[T], dy: &[T]) -> Vec<T> {
    let (k, p, n_in, co) = (g.k(), g.p(), g.c_in * g.plane_in(), g.c_out);
    let zero = || (vec![T::default(); co * k + co], vec![T::default(); k * p]);
    let (sum, _) = (0..g.batch)
        .into_par_iter()
        .fold(zero, |(mut acc, mut col), n| {
            let xn = &x[n * n_in..(n + 1) * n_in];
            let dyn_ = &dy[n * co * p..(n + 1) * co * p];
            let cols: &[T] = if g.is_pointwise() {
                xn
            } else {
                im2col(g, xn, &mut col);
                &col
            };
            // Column matrix transposed: element (pixel, row) sits at row·P + pixel.
            matmul(
                (co, k, p),
                &mut acc[..co * k],
                true,
                dyn_,
                (p, 1),
                cols,
                (1, p),
            );
            for (db, row) in acc[co * k..].iter_mut().zip(dyn_.chunks(p)) {
                *db += row.iter().fold(T::default(), |s, &v| s + v);
            }
            (acc, col)
        })
        .reduce(zero, |(mut a, c), (b, _)| {
            a.iter_mut().zip(&b).for_each(|(s, &v)| *s += v);
            (a, c)
        });
    sum
}

const OP: &str = "conv2d";

/// Forward op: (x [N, C, H, W], w [C_out, C, K, K], b [C_out]) → [N, C_out, H', W'].
struct Conv {
    stride: usize,
    padding: usize,
}

impl Kernel3 for Conv {
    const NAME: &'static str = "conv2d-im2col";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg, (s3, l3): Arg) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(OP, l1.dims(), l2.dims(), self.stride, self.padding, false)?;
        if l3.dims() != [g.c_out] {
            candle_core::bail!("conv2d: bias {:?} must be [{}]", l3.dims(), g.c_out);
        }
        let y = match (s1, s2, s3) {
            (CpuStorage::F32(_), CpuStorage::F32(_), CpuStorage::F32(_)) => {
                CpuStorage::F32(forward(
                    &g,
                    contiguous::<f32>(s1, l1, OP)?,
                    contiguous::<f32>(s2, l2, OP)?,
                    contiguous::<f32>(s3, l3, OP)?,
                ))
            }
            (CpuStorage::F64(_), CpuStorage::F64(_), CpuStorage::F64(_)) => {
                CpuStorage::F64(forward(
                    &g,
                    contiguous::<f64>(s1, l1, OP)?,
                    contiguous::<f64>(s2, l2, OP)?,
                    contiguous::<f64>(s3, l3, OP)?,
                ))
            }
            _ => candle_core::bail!("conv2d supports f32 and f64 tensors of one type"),
        };
        Ok((y, Shape::from((g.batch, g.c_out, g.out_h, g.out_w))))
    }

    fn backward(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let g = Geometry::new(OP, x.dims(), w.dims(), self.stride, self.padding, false)?;
        let dx = grad.apply_op2_no_bwd(w, &Op2(BackwardInput { g }))?;
        let dwb = x.apply_op2_no_bwd(&grad, &Op2(BackwardWeight { g }))?;
        let (c_out, c_in, k) = (g.c_out, g.c_in, g.kernel);
        let dw = dwb.narrow(0, 0, c_out * c_in * k * k)?.reshape(w.shape())?;
        let db = dwb.narrow(0, c_out * c_in * k * k, c_out)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// (dy, w) → dx, for the geometry of the forward op.
struct BackwardInput {
    g: Geometry,
}

impl Kernel2 for BackwardInput {
    const NAME: &'static str = "conv2d-im2col-backward-input";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg) -> Result<(CpuStorage, Shape)> {
        let g = &self.g;
        g.check_output(OP, l1.dims())?;
        let dx = dispatch2!(OP, backward_input, g, (s1, l1), (s2, l2));
        Ok((dx, Shape::from((g.batch, g.c_in, g.height, g.width))))
    }
}

/// (x, dy) → [dW | db] flattened.
struct BackwardWeight {
    g: Geometry,
}

impl Kernel2 for BackwardWeight {
    const NAME: &'static str = "conv2d-im2col-backward-weight";

    fn cpu(&self, (s1, l1): Arg, (s2, l2): Arg) -> Result<(CpuStorage, Shape)> {
        let g = &self.g;
        g.check_output(OP, l2.dims())?;
        let out = dispatch2!(OP, backward_weight, g, (s1, l1), (s2, l2));
        Ok((out, Shape::from(g.c_out * g.k() + g.c_out)))
    }
}

/// 2-D convolution of x \[N, C, H, W\] with w \[C_out, C, K, K\] and an optional bias \[C_out\], symmetric
/// zero padding: the im2col custom op on the CPU, candle's `conv2d` elsewhere or with
/// [`super::use_stock_ops`] (identical results up to rounding).
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    if x.device().is_cpu() && !super::storage::stock_ops() {
        // Without a bias the op adds zeros (not a variable, so no gradient reaches anything).
        let b = match bias {
            Some(b) => b.contiguous()?,
            None => Tensor::zeros(w.dim(0)?, w.dtype(), w.device())?,
        };
        x.contiguous()?
            .apply_op3(&w.contiguous()?, &b, Op3(Conv { stride, padding }))
    } else {
        let y = x.conv2d(w, padding, stride, 1, 1)?;
        match bias {
            Some(b) => y.broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?),
            None => Ok(y),
        }
    }
}
