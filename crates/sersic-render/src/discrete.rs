//! Discrete convolution: Imfit's and GALFIT's model (without their sub-pixel sampling), for comparing with them.
//!
//! The renderer's own drawing convolves the continuous profile with the interpolated PSF and samples the
//! result ([`Convolution::Continuous`], GalSim's way). Imfit and GALFIT instead sample each profile at the
//! pixel centres and convolve those samples with the PSF image as a discrete sum. The two agree for profiles
//! much wider than a pixel and differ at a cuspy core (a high-n bulge), where the discrete sum weights the
//! one sample nearest the centre by a whole PSF pixel. [`Convolution::Discrete`] draws the discrete model, so
//! a fit by it minimises the same statistic over the same model as Imfit's: that is the like-for-like test of
//! the two fitters (docs/real-images.md).
//!
//! The samples are exact (the Sérsic law at each pixel centre); so are their derivatives, taken in real
//! space before the convolution, which is linear. The convolution is an FFT of a grid padded by the PSF's
//! size, so no light wraps round; two real planes share one complex transform (as A + iB).

use crate::params::GalaxyParams;
use crate::sersic::unit_profile_constants;
use crate::shear::{QuadraticForm, Shear};
use ndarray::ArrayView2;
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// How a model's profiles meet the PSF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Convolution {
    /// The continuous profile convolved with the PSF (interpolated, if an image) and the pixel, then
    /// sampled: GalSim's drawing, and the default.
    #[default]
    Continuous,
    /// Each profile sampled at the pixel centres, then convolved with the PSF image as a discrete sum:
    /// Imfit's and GALFIT's model without sub-pixel sampling. Needs an effective PSF image (one that holds
    /// the pixel) at the stamp's pixel scale; models of Sérsic parts only.
    Discrete,
}

/// Why a model cannot be drawn by discrete convolution.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DiscreteError {
    /// The PSF is analytic.
    #[error("discrete convolution needs a PSF image, not an analytic PSF")]
    AnalyticPsf,
    /// The PSF image is oversampled or at another pixel scale.
    #[error(
        "discrete convolution needs a PSF image at the image's pixel scale ({stamp} arcsec), got one of \
         {psf} arcsec per pixel (oversampling {oversampling})"
    )]
    Sampling {
        /// The stamp's pixel scale.
        stamp: f64,
        /// The PSF image's pixel scale.
        psf: f64,
        /// Its oversampling factor.
        oversampling: usize,
    },
    /// The PSF image leaves the pixel out.
    #[error("discrete convolution needs an effective PSF image (one that includes the pixel's response)")]
    OpticalPsf,
    /// A point source.
    #[error("discrete convolution draws Sérsic components only, not a point source")]
    PointSource,
}

/// The PSF image's spectrum on a grid padded for the stamp, and that grid's plans.
pub(crate) struct Kernel {
    /// The PSF image's size (width, height).
    pub(crate) size: (usize, usize),
    /// The padded grid (width, height): at least the stamp plus the PSF less one, each way.
    grid: (usize, usize),
    /// The PSF's transform on the grid, divided by the grid's pixel count (the inverse's normalisation).
    spectrum: Vec<Complex64>,
    forward: (Arc<dyn Fft<f64>>, Arc<dyn Fft<f64>>),
    inverse: (Arc<dyn Fft<f64>>, Arc<dyn Fft<f64>>),
}

/// The smallest n' >= n whose only prime factors are 2, 3 and 5.
fn smooth_size(n: usize) -> usize {
    (n.max(1)..)
        .find(|&m| crate::fft::is_5_smooth(m))
        .expect("some size is 5-smooth")
}

impl Kernel {
    /// The kernel of the PSF image `psf` (rows = y) for stamps of `stamp` = (width, height).
    pub(crate) fn new(psf: ArrayView2<'_, f64>, stamp: (usize, usize)) -> Kernel {
        let (kh, kw) = psf.dim();
        let grid = (smooth_size(stamp.0 + kw - 1), smooth_size(stamp.1 + kh - 1));
        let mut planner = FftPlanner::new();
        let forward = (
            planner.plan_fft_forward(grid.0),
            planner.plan_fft_forward(grid.1),
        );
        let inverse = (
            planner.plan_fft_inverse(grid.0),
            planner.plan_fft_inverse(grid.1),
        );
        let mut kernel = Kernel {
            size: (kw, kh),
            grid,
            spectrum: vec![Complex64::default(); grid.0 * grid.1],
            forward,
            inverse,
        };
        let norm = 1.0 / (grid.0 * grid.1) as f64;
        let mut spectrum = vec![Complex64::default(); grid.0 * grid.1];
        for ((row, column), &v) in psf.indexed_iter() {
            spectrum[row * grid.0 + column] = Complex64::new(v * norm, 0.0);
        }
        kernel.transform(&mut spectrum, true);
        kernel.spectrum = spectrum;
        kernel
    }

    /// The 2-D transform of `cells` (rows of `grid.0`), in place.
    fn transform(&self, cells: &mut [Complex64], forward: bool) {
        let (w, h) = self.grid;
        let (rows, columns) = if forward {
            (&self.forward.0, &self.forward.1)
        } else {
            (&self.inverse.0, &self.inverse.1)
        };
        rows.process(cells);
        let mut transposed = vec![Complex64::default(); w * h];
        for (r, row) in cells.chunks_exact(w).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                transposed[c * h + r] = v;
            }
        }
        columns.process(&mut transposed);
        for (c, column) in transposed.chunks_exact(h).enumerate() {
            for (r, &v) in column.iter().enumerate() {
                cells[r * w + c] = v;
            }
        }
    }

    /// Convolves two sample planes at once (`b` may be absent) and writes the stamp's pixels of each.
    /// Planes are the padded samples, row-major, (stamp width + PSF width - 1) per row.
    pub(crate) fn convolve_pair(
        &self,
        a: &[f64],
        b: Option<&[f64]>,
        stamp: (usize, usize),
        out_a: &mut [f64],
        out_b: Option<&mut [f64]>,
    ) {
        let (w, h) = self.grid;
        let (kw, kh) = self.size;
        let ext_w = stamp.0 + kw - 1;
        // Each plane is scaled to a unit peak first: the transform's rounding is relative to the larger
        // of the two, and planes of a Jacobian differ by orders of magnitude.
        let unit = |plane: &[f64]| {
            let top = plane.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if top > 0.0 {
                top
            } else {
                1.0
            }
        };
        let (scale_a, scale_b) = (unit(a), b.map_or(1.0, unit));
        let mut cells = vec![Complex64::default(); w * h];
        for (r, row) in a.chunks_exact(ext_w).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                cells[r * w + c].re = v / scale_a;
            }
        }
        if let Some(b) = b {
            for (r, row) in b.chunks_exact(ext_w).enumerate() {
                for (c, &v) in row.iter().enumerate() {
                    cells[r * w + c].im = v / scale_b;
                }
            }
        }
        self.transform(&mut cells, true);
        cells
            .iter_mut()
            .zip(&self.spectrum)
            .for_each(|(c, k)| *c *= k);
        self.transform(&mut cells, false);
        // Stamp pixel (r, c) is the full convolution's sample (r + kh - 1, c + kw - 1): every PSF pixel
        // then meets a sample of the padded grid, none wrapped.
        let mut out_b = out_b;
        for r in 0..stamp.1 {
            let from = &cells[(r + kh - 1) * w + kw - 1..][..stamp.0];
            let to = r * stamp.0..(r + 1) * stamp.0;
            out_a[to.clone()]
                .iter_mut()
                .zip(from)
                .for_each(|(o, v)| *o = v.re * scale_a);
            if let Some(out_b) = out_b.as_deref_mut() {
                out_b[to]
                    .iter_mut()
                    .zip(from)
                    .for_each(|(o, v)| *o = v.im * scale_b);
            }
        }
    }
}

/// A Sérsic part's constants for sampling: the pixel values' scale, the law's b and their n-derivatives.
pub(crate) struct Sampler {
    /// I₀ / hlr² · pixel area: the pixel value at the centre per unit flux.
    unit_peak: f64,
    flux: f64,
    n: f64,
    b: f64,
    hlr: f64,
    /// ∂ln I₀/∂n and ∂b/∂n.
    dln_i0: f64,
    db: f64,
    /// |S⁻¹d|² as a form in d (arcsec), and its derivatives with respect to g1 and g2.
    form: QuadraticForm,
    dforms: (QuadraticForm, QuadraticForm),
    centre: (f64, f64),
}

/// ∂f/∂n by the fourth-order central difference (b and ln I₀ are smooth in n; the step keeps the
/// difference's rounding near 1e-12 while its truncation error is far smaller).
fn d_dn(f: impl Fn(f64) -> f64, n: f64) -> f64 {
    let h = 1e-3;
    (8.0 * (f(n + h) - f(n - h)) - (f(n + 2.0 * h) - f(n - 2.0 * h))) / (12.0 * h)
}

impl Sampler {
    /// The sampler of `galaxy` at `offset` pixels from the stamp's true centre, pixels of `scale` arcsec.
    pub(crate) fn new(galaxy: &GalaxyParams, offset: [f64; 2], scale: f64) -> Sampler {
        let n = galaxy.sersic_index;
        let (b, i0) = unit_profile_constants(n);
        let hlr = galaxy.half_light_radius;
        // The profile at x is f(S⁻¹(x − c)), and S⁻¹ is the shear of −g: its form in x is the k-form of −g.
        let inverse = Shear::new(-galaxy.g1, -galaxy.g2);
        let (d1, d2) = inverse.k_form_derivatives();
        Sampler {
            unit_peak: i0 / (hlr * hlr) * scale * scale,
            flux: galaxy.flux,
            n,
            b,
            hlr,
            dln_i0: d_dn(|m| unit_profile_constants(m).1.ln(), n),
            db: d_dn(|m| unit_profile_constants(m).0, n),
            form: inverse.k_form(),
            dforms: (d1.scaled(-1.0), d2.scaled(-1.0)),
            centre: (offset[0] * scale, offset[1] * scale),
        }
    }

    /// The sample at (x, y) arcsec from the stamp's true centre, and, with `planes`, its seven
    /// derivatives (flux, n, hlr, g1, g2, dx, dy; the centre's per pixel of offset, `scale` arcsec).
    #[inline]
    pub(crate) fn at(&self, x: f64, y: f64, scale: f64, planes: Option<&mut [f64; 7]>) -> f64 {
        let (dx, dy) = (x - self.centre.0, y - self.centre.1);
        let q = self.form.at(dx, dy);
        let t2 = q / (self.hlr * self.hlr);
        let u = t2.powf(0.5 / self.n);
        let unit = self.unit_peak * (-self.b * u).exp();
        let value = self.flux * unit;
        if let Some(p) = planes {
            p[0] = unit;
            // ln t = ½ ln t²; u ln t → 0 at the centre.
            let u_ln_t = if t2 > 0.0 { u * 0.5 * t2.ln() } else { 0.0 };
            p[1] = value * (self.dln_i0 - self.db * u + self.b * u_ln_t / (self.n * self.n));
            p[2] = value * (-2.0 + self.b * u / self.n) / self.hlr;
            // ∂value/∂q; at the centre the q-derivatives meet a zero ∂q (the cusp's symmetric value).
            let dq = if q > 0.0 {
                -value * self.b * u / (2.0 * self.n * q)
            } else {
                0.0
            };
            p[3] = dq * self.dforms.0.at(dx, dy);
            p[4] = dq * self.dforms.1.at(dx, dy);
            // ∂q/∂(centre x) = −2 (a dx + b dy), and one pixel of offset moves the centre `scale` arcsec.
            p[5] = dq * -2.0 * (self.form.a * dx + self.form.b * dy) * scale;
            p[6] = dq * -2.0 * (self.form.b * dx + self.form.c * dy) * scale;
        }
        value
    }
}
