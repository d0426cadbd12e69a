//! A PSF given as a pixel image (PSFEx, Piff, a star, an HST/JWST model), as GalSim's `InterpolatedImage`
//! with the quintic interpolant sees it: the pixel values convolved with the quintic kernel.
//!
//! What it *is* lives here (its pixels, its scale, its Fourier transform); drawing galaxies through it is
//! the renderer's job: wrap it in [`Psf::Image`](crate::Psf::Image). [`PsfImage::kvalue`] is the exact
//! transform of the interpolated image at any k; the renderer keeps it within the image's Nyquist
//! frequency, as GalSim's drawing does (see the `psf_lattice` module's notes in docs/rendering.md).
//!
//! Conventions, as GalSim's:
//! * The image's centre is its true centre: pixel (i, j) (column, row) sits at
//!   ((i − (w − 1)/2)·s, (j − (h − 1)/2)·s), so an even-sized image is centred between its two middle
//!   pixels. x runs along a row (columns), y down the rows.
//! * The pixels are normalised to a unit sum on load: the PSF has unit flux.
//! * `oversampling` K means the PSF is sampled K times finer than the image it will be drawn on: its pixel
//!   scale is the image's scale / K.
//! * `includes_pixel`: an *effective* PSF (PSFEx, Piff, a star) already holds the detector pixel's
//!   response, so galaxies are drawn through it without a second pixel (GalSim's `method='no_pixel'`); an
//!   optical PSF does not, and the pixel is added as for the analytic PSFs.

use std::hash::{Hash, Hasher};

use ndarray::{Array2, ArrayView2};
use rustfft::num_complex::Complex64;

/// Why a pixel image cannot be a PSF.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PsfImageError {
    /// Smaller than 3 x 3: no interpolant can describe a PSF on it.
    #[error("the PSF image is {0} x {1} pixels; it must be at least 3 x 3")]
    TooSmall(usize, usize),
    /// A NaN or infinite pixel.
    #[error("the PSF image has the value {value} at pixel (column {column}, row {row})")]
    NonFinite {
        /// Its column.
        column: usize,
        /// Its row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// Empty or negative in total: it cannot be normalised to unit flux.
    #[error("the PSF image sums to {0}; it must be positive")]
    BadTotal(f64),
    /// A scale that is not a positive finite number, or an oversampling of 0.
    #[error("bad PSF sampling: image scale {scale} arcsec, oversampling {oversampling}")]
    BadSampling {
        /// The image's pixel scale given.
        scale: f64,
        /// The oversampling given.
        oversampling: usize,
    },
}

/// A PSF from a pixel image: its normalised pixels, their scale, and whether they hold the pixel response.
#[derive(Clone, Debug, PartialEq)]
pub struct PsfImage {
    pixels: Array2<f64>,
    psf_scale: f64,
    oversampling: usize,
    includes_pixel: bool,
    key: u64,
    /// (radius, largest |pixel| at that radius or beyond), by increasing radius: the wings' envelope.
    wings: Vec<(f64, f64)>,
}

impl PsfImage {
    /// A PSF from `pixels` (rows = y), sampled `oversampling` times finer than images of `image_scale`
    /// arcsec per pixel; `includes_pixel` for an effective PSF. The pixels are normalised to a unit sum.
    pub fn new(
        pixels: ArrayView2<'_, f64>,
        image_scale: f64,
        oversampling: usize,
        includes_pixel: bool,
    ) -> Result<PsfImage, PsfImageError> {
        let (h, w) = pixels.dim();
        if h < 3 || w < 3 {
            return Err(PsfImageError::TooSmall(w, h));
        }
        if !(image_scale.is_finite() && image_scale > 0.0) || oversampling == 0 {
            return Err(PsfImageError::BadSampling {
                scale: image_scale,
                oversampling,
            });
        }
        if let Some(((row, column), &value)) = pixels.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(PsfImageError::NonFinite { column, row, value });
        }
        let total = pixels.sum();
        // The pixels are finite, so the total is too: anything not above zero cannot be normalised.
        if total <= 0.0 {
            return Err(PsfImageError::BadTotal(total));
        }
        let pixels = pixels.mapv(|v| v / total);
        // A content key for the renderer's caches: equal images share their transforms.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (h, w, image_scale.to_bits(), oversampling, includes_pixel).hash(&mut hasher);
        pixels.iter().for_each(|v| v.to_bits().hash(&mut hasher));
        Ok(PsfImage {
            pixels,
            psf_scale: image_scale / oversampling as f64,
            oversampling,
            includes_pixel,
            key: hasher.finish(),
            wings: Vec::new(),
        }
        .with_wings())
    }

    /// A hash of the pixels and sampling: the identity the renderer caches this PSF's transforms under.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The pixel scale of the images this PSF is drawn on, arcsec (the PSF's scale × oversampling).
    pub fn image_scale(&self) -> f64 {
        self.psf_scale * self.oversampling as f64
    }

    /// Fills the wings' envelope: each pixel's distance from the centre with the largest |value| of the
    /// pixels at least that far out.
    fn with_wings(mut self) -> PsfImage {
        let (h, w) = self.pixels.dim();
        let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
        let mut wings: Vec<(f64, f64)> = self
            .pixels
            .indexed_iter()
            .map(|((j, i), v)| {
                let r = (i as f64 - cx).hypot(j as f64 - cy) * self.psf_scale;
                (r, v.abs())
            })
            .collect();
        wings.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut beyond = 0f64;
        for entry in wings.iter_mut().rev() {
            beyond = beyond.max(entry.1);
            entry.1 = beyond;
        }
        self.wings = wings;
        self
    }

    /// An upper bound on the surface brightness (per arcsec²) anywhere at distance `r` arcsec or more from
    /// the centre: the largest pixel within the quintic kernel's reach (3 pixels along each axis) of that
    /// distance, times the kernel's largest gain, per PSF pixel area. Zero beyond the image's box.
    pub fn wing_bound(&self, r: f64) -> f64 {
        let reach = 3.0 * std::f64::consts::SQRT_2 * self.psf_scale;
        let first = self
            .wings
            .partition_point(|&(radius, _)| radius < r - reach);
        self.wings.get(first).map_or(0.0, |&(_, top)| {
            1.94 * top / (self.psf_scale * self.psf_scale)
        })
    }

    /// The full width at half maximum, estimated from the pixels: the diameter of the disc whose area is
    /// that of the pixels above half the largest (for reports and sizing, not for drawing).
    pub fn fwhm_estimate(&self) -> f64 {
        let top = self.pixels.iter().fold(f64::MIN, |m, &v| m.max(v));
        let above = self.pixels.iter().filter(|&&v| v >= 0.5 * top).count();
        2.0 * (above as f64 / std::f64::consts::PI).sqrt() * self.psf_scale
    }

    /// The normalised pixels (unit sum), rows = y.
    pub fn pixels(&self) -> ArrayView2<'_, f64> {
        self.pixels.view()
    }

    /// The PSF's pixel scale, arcsec (the image's scale / oversampling).
    pub fn psf_scale(&self) -> f64 {
        self.psf_scale
    }

    /// How many times finer than the image the PSF is sampled.
    pub fn oversampling(&self) -> usize {
        self.oversampling
    }

    /// Whether the pixels already hold the detector pixel's response (an effective PSF).
    pub fn includes_pixel(&self) -> bool {
        self.includes_pixel
    }

    /// The Fourier transform at (kx, ky), rad/arcsec: Q(kx·s) Q(ky·s) Σ v_ij e^{−i(kx x_i + ky y_j)}, Q
    /// the quintic kernel's transform, s the PSF's pixel scale. 1 at k = 0.
    pub fn kvalue(&self, kx: f64, ky: f64) -> Complex64 {
        let grid = self.kvalues(&[kx], &[ky]);
        grid[[0, 0]]
    }

    /// The transform on the grid `kys` x `kxs` (rows = ky), computed separably: each row of pixels is
    /// transformed along x once per kx, then the rows are summed along y.
    pub fn kvalues(&self, kxs: &[f64], kys: &[f64]) -> Array2<Complex64> {
        let (h, w) = self.pixels.dim();
        let s = self.psf_scale;
        let centre = |n: usize, i: usize| (i as f64 - (n as f64 - 1.0) / 2.0) * s;
        // The phases, computed once each (the sums below reuse every one many times): e^{−i kx_a x_i}
        // and e^{−i ky_b y_j}.
        let phases_x: Vec<Complex64> = kxs
            .iter()
            .flat_map(|&kx| (0..w).map(move |i| Complex64::from_polar(1.0, -kx * centre(w, i))))
            .collect();
        let phases_y: Vec<Complex64> = kys
            .iter()
            .flat_map(|&ky| (0..h).map(move |j| Complex64::from_polar(1.0, -ky * centre(h, j))))
            .collect();
        // rows[j][a] = Σ_i v[j, i] e^{−i kx_a x_i}
        let rows: Vec<Vec<Complex64>> = (0..h)
            .map(|j| {
                (0..kxs.len())
                    .map(|a| {
                        let phase = &phases_x[a * w..(a + 1) * w];
                        (0..w).map(|i| self.pixels[[j, i]] * phase[i]).sum()
                    })
                    .collect()
            })
            .collect();
        let qx: Vec<f64> = kxs.iter().map(|&k| quintic_kvalue(k * s)).collect();
        Array2::from_shape_fn((kys.len(), kxs.len()), |(b, a)| {
            let phase = &phases_y[b * h..(b + 1) * h];
            let sum: Complex64 = (0..h).map(|j| rows[j][a] * phase[j]).sum();
            sum * qx[a] * quintic_kvalue(kys[b] * s)
        })
    }
}

/// GalSim's quintic interpolation kernel at x (in pixels): a piecewise quintic on |x| < 3 that
/// reproduces polynomials to fourth order (its transform vanishes to high order at the aliasing
/// frequencies 2πn).
pub fn quintic_kernel(x: f64) -> f64 {
    // Coefficients of x^5 .. x^0 on [0, 1), [1, 2), [2, 3).
    const PIECES: [[f64; 6]; 3] = [
        [-55.0 / 12.0, 23.0 / 2.0, -95.0 / 12.0, 0.0, 0.0, 1.0],
        [
            55.0 / 24.0,
            -69.0 / 4.0,
            1205.0 / 24.0,
            -70.0,
            185.0 / 4.0,
            -23.0 / 2.0,
        ],
        [
            -11.0 / 24.0,
            23.0 / 4.0,
            -685.0 / 24.0,
            70.0,
            -339.0 / 4.0,
            81.0 / 2.0,
        ],
    ];
    let x = x.abs();
    if x >= 3.0 {
        return 0.0;
    }
    PIECES[x as usize].iter().fold(0.0, |acc, c| acc * x + c)
}

/// The quintic kernel's Fourier transform ∫ K(x) e^{−iux} dx at u (radians per pixel), in closed form
/// (a pixel PSF's set-up evaluates it for every lattice row and column, so it must be cheap).
pub fn quintic_kvalue(u: f64) -> f64 {
    // GalSim's closed form (`Quintic::uval`), in cycles per pixel f = u / 2π: with s = sinc(f) and
    // p = π f, s⁵ (s (55 − 19 p²) + 2 cos(p) (p² − 27)). The test below checks it against the integral.
    let p = 0.5 * u.abs();
    let s = if p < 1e-8 {
        1.0 - p * p / 6.0
    } else {
        p.sin() / p
    };
    let (s2, p2) = (s * s, p * p);
    s * s2 * s2 * (s * (55.0 - 19.0 * p2) + 2.0 * p.cos() * (p2 - 27.0))
}

/// The transform of a pixel's response (a top hat of width `scale`) at (kx, ky): the sincs that the
/// renderer applies to optical PSFs and omits for effective ones.
pub fn pixel_response(kx: f64, ky: f64, scale: f64) -> f64 {
    let sinc = |u: f64| {
        if u.abs() < 1e-8 {
            1.0 - u * u / 6.0
        } else {
            u.sin() / u
        }
    };
    sinc(kx * scale / 2.0) * sinc(ky * scale / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use std::f64::consts::PI;

    #[test]
    fn the_quintic_kernel_interpolates_and_sums_to_one() {
        assert_eq!(quintic_kernel(0.0), 1.0);
        for j in 1..4 {
            assert!(quintic_kernel(j as f64).abs() < 1e-12, "K({j})");
        }
        for x in [0.1, 0.3, 0.5, 0.77] {
            let total: f64 = (-4..=4).map(|j| quintic_kernel(x - j as f64)).sum();
            assert!(
                (total - 1.0).abs() < 1e-12,
                "partition of unity at {x}: {total}"
            );
        }
        // Its transform is 1 at 0 and nearly vanishes at the first aliasing frequency 2π.
        assert!((quintic_kvalue(0.0) - 1.0).abs() < 1e-13);
        assert!(quintic_kvalue(2.0 * PI).abs() < 1e-3);
        // GalSim 2.8.5's Quintic().kval at these u (printed by GalSim).
        for (u, galsim) in [
            (0.5, 0.999_968_879_666_174_8),
            (1.0, 0.998_217_847_577_951_4),
            (2.0, 0.926_984_225_535_041_3),
            (PI, 0.540_509_780_577_362_1),
            (5.0, 0.014_140_488_105_256_59),
        ] {
            assert!((quintic_kvalue(u) - galsim).abs() < 1e-12, "u = {u}");
        }
        // The closed form is the kernel's transform: Gauss–Legendre on each polynomial piece.
        let rule = gauss_quad::GaussLegendre::new(48).unwrap();
        for u in [1e-9, 0.01, 0.7, 3.3, 9.0, 17.5, 40.0, 60.0] {
            let integral: f64 = 2.0
                * (0..3)
                    .map(|a| {
                        let a = a as f64;
                        rule.integrate(a, a + 1.0, |x| quintic_kernel(x) * (u * x).cos())
                    })
                    .sum::<f64>();
            assert!(
                (quintic_kvalue(u) - integral).abs() < 1e-13,
                "u = {u}: {integral}"
            );
        }
    }

    #[test]
    fn bad_images_are_refused_and_good_ones_normalised() {
        let small = Array2::from_elem((2, 5), 1.0);
        assert_eq!(
            PsfImage::new(small.view(), 0.2, 1, true),
            Err(PsfImageError::TooSmall(5, 2))
        );
        let mut nan = Array2::from_elem((3, 3), 1.0);
        nan[[1, 2]] = f64::NAN;
        assert!(matches!(
            PsfImage::new(nan.view(), 0.2, 1, true),
            Err(PsfImageError::NonFinite {
                column: 2,
                row: 1,
                ..
            })
        ));
        let negative = Array2::from_elem((3, 3), -1.0);
        assert!(matches!(
            PsfImage::new(negative.view(), 0.2, 1, true),
            Err(PsfImageError::BadTotal(_))
        ));
        let ok = PsfImage::new(Array2::from_elem((4, 5), 2.0).view(), 0.2, 2, false).unwrap();
        assert!((ok.pixels().sum() - 1.0).abs() < 1e-15);
        assert!((ok.psf_scale() - 0.1).abs() < 1e-15);
        assert!((ok.kvalue(0.0, 0.0) - Complex64::new(1.0, 0.0)).norm() < 1e-13);
    }

    #[test]
    fn the_centre_is_the_true_centre_for_odd_and_even_sizes() {
        let s = 0.2;
        // One bright pixel at the centre of an odd image: the kernel's transform alone, real.
        let mut odd = Array2::zeros((5, 5));
        odd[[2, 2]] = 1.0;
        let odd = PsfImage::new(odd.view(), s, 1, true).unwrap();
        // Four equal pixels around the centre of an even image: the same times cos(k s / 2) per axis.
        let mut even = Array2::zeros((4, 4));
        for (j, i) in [(1, 1), (1, 2), (2, 1), (2, 2)] {
            even[[j, i]] = 1.0;
        }
        let even = PsfImage::new(even.view(), s, 1, true).unwrap();
        for (kx, ky) in [(3.0, 0.0), (0.0, 7.5), (4.2, -9.1), (12.0, 5.0)] {
            let q = quintic_kvalue(kx * s) * quintic_kvalue(ky * s);
            let a = odd.kvalue(kx, ky);
            assert!((a.re - q).abs() < 1e-13 && a.im.abs() < 1e-13, "{a} vs {q}");
            let b = even.kvalue(kx, ky);
            let expected = q * (kx * s / 2.0).cos() * (ky * s / 2.0).cos();
            assert!((b.re - expected).abs() < 1e-13 && b.im.abs() < 1e-13, "{b}");
        }
        // Moving the pixel one column right multiplies the transform by e^{−i kx s}.
        let mut right = Array2::zeros((5, 5));
        right[[2, 3]] = 1.0;
        let right = PsfImage::new(right.view(), s, 1, true).unwrap();
        let (kx, ky) = (4.0, 1.5);
        let shifted = odd.kvalue(kx, ky) * Complex64::from_polar(1.0, -kx * s);
        assert!((right.kvalue(kx, ky) - shifted).norm() < 1e-13);
    }

    #[test]
    fn a_well_sampled_gaussian_image_has_the_gaussian_transform_at_low_k() {
        // sigma = 0.3" sampled at 0.05": the quintic interpolation of its samples is the Gaussian to
        // well below 1e-4 where its transform matters.
        let (sigma, s, n) = (0.3, 0.05, 81usize);
        let c = (n as f64 - 1.0) / 2.0;
        let img = Array2::from_shape_fn((n, n), |(j, i)| {
            let (x, y) = ((i as f64 - c) * s, (j as f64 - c) * s);
            (-(x * x + y * y) / (2.0 * sigma * sigma)).exp()
        });
        let psf = PsfImage::new(img.view(), 0.2, 4, false).unwrap();
        assert_eq!(psf.psf_scale(), 0.05);
        for (kx, ky) in [(0.0, 0.0), (2.0, 1.0), (5.0, -3.0), (8.0, 0.0)] {
            let exact = (-0.5 * sigma * sigma * (kx * kx + ky * ky)).exp();
            let got = psf.kvalue(kx, ky);
            assert!(
                (got.re - exact).abs() < 1e-6 && got.im.abs() < 1e-12,
                "{kx} {ky}: {got} vs {exact}"
            );
        }
    }
}
