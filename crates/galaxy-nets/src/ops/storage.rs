//! What the custom operations share: kernels of one, two or three tensors wrapped into candle's custom
//! ops ([`Op1`], [`Op2`], [`Op3`]), typed views of CPU storage, and the switch back to candle's own
//! operations.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

/// One tensor argument of a kernel: its CPU storage and layout.
pub(crate) type Arg<'a> = (&'a CpuStorage, &'a Layout);

/// A CPU kernel of one tensor and, optionally, its backward; [`Op1`] makes it a candle op.
pub(crate) trait Kernel1: Send + Sync {
    /// The op's name in candle's errors.
    const NAME: &'static str;
    /// The output and its shape.
    fn cpu(&self, x: Arg) -> Result<(CpuStorage, Shape)>;
    /// The gradient with respect to the input (none by default: such ops run with `_no_bwd`).
    fn backward(&self, _x: &Tensor, _res: &Tensor, _grad: &Tensor) -> Result<Option<Tensor>> {
        candle_core::bail!("{} has no backward", Self::NAME)
    }
}

/// A CPU kernel of two tensors; [`Op2`] makes it a candle op.
pub(crate) trait Kernel2: Send + Sync {
    /// The op's name in candle's errors.
    const NAME: &'static str;
    /// The output and its shape.
    fn cpu(&self, a: Arg, b: Arg) -> Result<(CpuStorage, Shape)>;
    /// The gradients with respect to both inputs.
    fn backward(
        &self,
        _a: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        _grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        candle_core::bail!("{} has no backward", Self::NAME)
    }
}

/// A CPU kernel of three tensors; [`Op3`] makes it a candle op.
pub(crate) trait Kernel3: Send + Sync {
    /// The op's name in candle's errors.
    const NAME: &'static str;
    /// The output and its shape.
    fn cpu(&self, a: Arg, b: Arg, c: Arg) -> Result<(CpuStorage, Shape)>;
    /// The gradients with respect to the three inputs.
    #[allow(clippy::type_complexity)]
    fn backward(
        &self,
        _a: &Tensor,
        _b: &Tensor,
        _c: &Tensor,
        _res: &Tensor,
        _grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        candle_core::bail!("{} has no backward", Self::NAME)
    }
}

/// A [`Kernel1`] as a candle op.
pub(crate) struct Op1<K>(pub(crate) K);
/// A [`Kernel2`] as a candle op.
pub(crate) struct Op2<K>(pub(crate) K);
/// A [`Kernel3`] as a candle op.
pub(crate) struct Op3<K>(pub(crate) K);

impl<K: Kernel1> CustomOp1 for Op1<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        self.0.cpu((s, l))
    }
    fn bwd(&self, x: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        self.0.backward(x, res, grad)
    }
}

impl<K: Kernel2> CustomOp2 for Op2<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        self.0.cpu((s1, l1), (s2, l2))
    }
    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        self.0.backward(a, b, res, grad)
    }
}

impl<K: Kernel3> CustomOp3 for Op3<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn cpu_fwd(
        &self,
        first: &CpuStorage,
        first_layout: &Layout,
        second: &CpuStorage,
        second_layout: &Layout,
        third: &CpuStorage,
        third_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let args = [
            (first, first_layout),
            (second, second_layout),
            (third, third_layout),
        ];
        self.0.cpu(args[0], args[1], args[2])
    }
    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        c: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        self.0.backward(a, b, c, res, grad)
    }
}

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
