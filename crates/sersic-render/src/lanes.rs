//! Two f64 lanes for the inner loops: a complex number, or two reals computed alike (F and ∂F/∂n from
//! one Horner, the two shear forms from one recurrence).
//!
//! Those loops are bound by their count of floating-point instructions (taking two multiplications and two
//! additions out of a Jacobian point made it 4.5% faster), and the Jacobian has pairs of identical work that
//! one image does not: packed two to an instruction, its sums cost fewer. On x86_64 the lanes are SSE2,
//! which every x86_64 CPU has, so no dispatch is needed; elsewhere they are a plain pair. Both round
//! exactly like the scalar expressions they replace (no fused multiply-add), lane by lane. CI also builds
//! and tests the plain pair on x86_64 (`--cfg sersic_lanes_portable`).

use rustfft::num_complex::Complex64;

#[cfg(all(target_arch = "x86_64", not(sersic_lanes_portable)))]
mod imp {
    use rustfft::num_complex::Complex64;
    use std::arch::x86_64::*;

    /// Two f64 lanes, [lo, hi]; a complex number is [re, im].
    pub type V2 = __m128d;

    // SAFETY (every `unsafe` below): SSE2 is part of the x86_64 baseline, so its intrinsics are available
    // on every CPU this code runs on; the loads and stores read and write one Complex64 (repr(C) {re, im},
    // two f64s) or two consecutive f64s of a slice, unaligned.

    #[inline(always)]
    pub fn splat(v: f64) -> V2 {
        unsafe { _mm_set1_pd(v) }
    }

    #[inline(always)]
    pub fn pair(lo: f64, hi: f64) -> V2 {
        unsafe { _mm_set_pd(hi, lo) }
    }

    #[inline(always)]
    pub fn add(a: V2, b: V2) -> V2 {
        unsafe { _mm_add_pd(a, b) }
    }

    #[inline(always)]
    pub fn mul(a: V2, b: V2) -> V2 {
        unsafe { _mm_mul_pd(a, b) }
    }

    #[inline(always)]
    pub fn low(a: V2) -> V2 {
        unsafe { _mm_unpacklo_pd(a, a) }
    }

    #[inline(always)]
    pub fn high(a: V2) -> V2 {
        unsafe { _mm_unpackhi_pd(a, a) }
    }

    #[inline(always)]
    pub fn swap(a: V2) -> V2 {
        unsafe { _mm_shuffle_pd(a, a, 1) }
    }

    /// [a.lo, b.lo].
    #[inline(always)]
    pub fn unpack_low(a: V2, b: V2) -> V2 {
        unsafe { _mm_unpacklo_pd(a, b) }
    }

    /// The low lane (free: it is the register's scalar).
    #[inline(always)]
    pub fn first(a: V2) -> f64 {
        unsafe { _mm_cvtsd_f64(a) }
    }

    /// [−a.lo, a.hi].
    #[inline(always)]
    pub fn negate_low(a: V2) -> V2 {
        unsafe { _mm_xor_pd(a, _mm_set_pd(0.0, -0.0)) }
    }

    #[inline(always)]
    pub fn load(c: &Complex64) -> V2 {
        unsafe { _mm_loadu_pd(c as *const Complex64 as *const f64) }
    }

    #[inline(always)]
    pub fn store(c: &mut Complex64, v: V2) {
        unsafe { _mm_storeu_pd(c as *mut Complex64 as *mut f64, v) }
    }

    #[inline(always)]
    pub fn load_pair(values: &[f64], at: usize) -> V2 {
        let pair = &values[at..at + 2];
        unsafe { _mm_loadu_pd(pair.as_ptr()) }
    }
}

#[cfg(any(not(target_arch = "x86_64"), sersic_lanes_portable))]
mod imp {
    use rustfft::num_complex::Complex64;

    /// Two f64 lanes, [lo, hi]; a complex number is [re, im].
    #[derive(Clone, Copy, Debug)]
    pub struct V2([f64; 2]);

    #[inline(always)]
    pub fn splat(v: f64) -> V2 {
        V2([v, v])
    }

    #[inline(always)]
    pub fn pair(lo: f64, hi: f64) -> V2 {
        V2([lo, hi])
    }

    #[inline(always)]
    pub fn add(a: V2, b: V2) -> V2 {
        V2([a.0[0] + b.0[0], a.0[1] + b.0[1]])
    }

    #[inline(always)]
    pub fn mul(a: V2, b: V2) -> V2 {
        V2([a.0[0] * b.0[0], a.0[1] * b.0[1]])
    }

    #[inline(always)]
    pub fn low(a: V2) -> V2 {
        V2([a.0[0], a.0[0]])
    }

    #[inline(always)]
    pub fn high(a: V2) -> V2 {
        V2([a.0[1], a.0[1]])
    }

    #[inline(always)]
    pub fn swap(a: V2) -> V2 {
        V2([a.0[1], a.0[0]])
    }

    /// [a.lo, b.lo].
    #[inline(always)]
    pub fn unpack_low(a: V2, b: V2) -> V2 {
        V2([a.0[0], b.0[0]])
    }

    /// The low lane.
    #[inline(always)]
    pub fn first(a: V2) -> f64 {
        a.0[0]
    }

    /// [−a.lo, a.hi].
    #[inline(always)]
    pub fn negate_low(a: V2) -> V2 {
        V2([-a.0[0], a.0[1]])
    }

    #[inline(always)]
    pub fn load(c: &Complex64) -> V2 {
        V2([c.re, c.im])
    }

    #[inline(always)]
    pub fn store(c: &mut Complex64, v: V2) {
        *c = Complex64::new(v.0[0], v.0[1]);
    }

    #[inline(always)]
    pub fn load_pair(values: &[f64], at: usize) -> V2 {
        V2([values[at], values[at + 1]])
    }
}

pub(crate) use imp::*;

/// a·b for complex a, b, as `num_complex` computes it: (a.re·b.re − a.im·b.im, a.re·b.im + a.im·b.re).
#[inline(always)]
pub(crate) fn complex_mul(a: V2, b: V2) -> V2 {
    add(mul(low(a), b), negate_low(mul(high(a), swap(b))))
}

/// A complex factor used many times, split for [`ComplexFactor::times`]: [a.re, a.re] and [−a.im, a.im].
#[derive(Clone, Copy)]
pub(crate) struct ComplexFactor(V2, V2);

impl ComplexFactor {
    /// The factor a.
    #[inline(always)]
    pub fn new(a: V2) -> Self {
        ComplexFactor(low(a), negate_low(high(a)))
    }

    /// a·b, rounded as [`complex_mul`] rounds it ((−x)·y is −(x·y) exactly), in four instructions
    /// instead of seven.
    #[inline(always)]
    pub fn times(self, b: V2) -> V2 {
        add(mul(self.0, b), mul(self.1, swap(b)))
    }

    /// `to[i] = a·from[i]` for every cell the two share.
    #[inline]
    pub fn scale(self, to: &mut [Complex64], from: &[Complex64]) {
        for (d, v) in to.iter_mut().zip(from) {
            store(d, self.times(load(v)));
        }
    }
}

/// The two lanes, [lo, hi].
#[inline(always)]
pub(crate) fn lanes_of(v: V2) -> [f64; 2] {
    let mut c = Complex64::default();
    store(&mut c, v);
    [c.re, c.im]
}

/// i·v for complex v: [−im, re].
#[inline(always)]
pub(crate) fn times_i(v: V2) -> V2 {
    negate_low(swap(v))
}

/// The complex conjugate, [re, −im].
#[inline(always)]
pub(crate) fn conj(v: V2) -> V2 {
    swap(negate_low(swap(v)))
}

/// Writes v into `cell` (`WRITE`) or adds it.
#[inline(always)]
pub(crate) fn put<const WRITE: bool>(cell: &mut Complex64, v: V2) {
    if WRITE {
        store(cell, v);
    } else {
        store(cell, add(load(cell), v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpack(v: V2) -> Complex64 {
        let mut c = Complex64::default();
        store(&mut c, v);
        c
    }

    #[test]
    fn lanes_round_as_the_scalar_expressions_do() {
        let values = [
            Complex64::new(0.1, -3.7e-5),
            Complex64::new(-2.5e3, 7.0 / 3.0),
            Complex64::new(1.0 / 7.0, 1e-300),
        ];
        for a in values {
            for b in values {
                let product = unpack(complex_mul(load(&a), load(&b)));
                assert_eq!(product, a * b);
                assert_eq!(unpack(ComplexFactor::new(load(&a)).times(load(&b))), a * b);
                assert_eq!(unpack(complex_mul(load(&a), conj(load(&b)))), a * b.conj());
                let i = Complex64::new(0.0, 1.0);
                assert_eq!(
                    unpack(add(load(&a), times_i(load(&b)))),
                    Complex64::new(a.re - b.im, a.im + b.re)
                );
                assert_eq!(
                    unpack(add(conj(load(&a)), swap(load(&b)))),
                    a.conj() + i * b.conj()
                );
                let scaled = unpack(mul(load(&a), splat(b.re)));
                assert_eq!(scaled, a * b.re);
                let sum = unpack(add(load(&a), load(&b)));
                assert_eq!(sum, a + b);
            }
        }
        let v = pair(1.5, -2.0);
        assert_eq!(unpack(low(v)), Complex64::new(1.5, 1.5));
        assert_eq!(unpack(high(v)), Complex64::new(-2.0, -2.0));
        assert_eq!(
            unpack(load_pair(&[9.0, 1.0, 2.0], 1)),
            Complex64::new(1.0, 2.0)
        );
        let mut cell = Complex64::new(1.0, 1.0);
        put::<false>(&mut cell, pair(0.5, 0.25));
        assert_eq!(cell, Complex64::new(1.5, 1.25));
        put::<true>(&mut cell, pair(0.5, 0.25));
        assert_eq!(cell, Complex64::new(0.5, 0.25));
    }
}
