//! Where a fit starts: flux from the pixel sum, size and shape from adaptive second moments.

use ndarray::ArrayView2;

/// Second moments (pixels²) of a stamp about its true centre, with an elliptical Gaussian weight matched to
/// the object (adaptive moments, as in Bernstein & Jarvis 2002): finite for any profile, Moffat wings included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Covariance (xx, yy, xy), x along columns and y along rows.
    pub xx: f64,
    /// See `xx`.
    pub yy: f64,
    /// See `xx`.
    pub xy: f64,
}

impl Moments {
    /// Adaptive moments of `image` about its true centre, or `None` when the weighted flux is not positive
    /// (no source).
    pub fn adaptive(image: &ArrayView2<'_, f64>) -> Option<Moments> {
        let (rows, cols) = image.dim();
        Moments::adaptive_about(
            image,
            [(cols as f64 - 1.0) / 2.0, (rows as f64 - 1.0) / 2.0],
        )
    }

    /// Adaptive moments of `image` about `centre` = (x, y) in pixels (x along columns, zero-based), or
    /// `None` when the weighted flux is not positive.
    pub fn adaptive_about(image: &ArrayView2<'_, f64>, centre: [f64; 2]) -> Option<Moments> {
        let (rows, cols) = image.dim();
        let [cx, cy] = centre;
        let mut m = Moments {
            xx: 4.0,
            yy: 4.0,
            xy: 0.0,
        };
        for _ in 0..40 {
            let det = m.xx * m.yy - m.xy * m.xy;
            if det.is_nan() || det <= 0.0 {
                return None;
            }
            let (ixx, iyy, ixy) = (m.yy / det, m.xx / det, -m.xy / det);
            let (mut s, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0);
            for ((r, c), &v) in image.indexed_iter() {
                let (dy, dx) = (r as f64 - cy, c as f64 - cx);
                let q = ixx * dx * dx + iyy * dy * dy + 2.0 * ixy * dx * dy;
                if q > 40.0 {
                    continue;
                }
                let w = v * (-0.5 * q).exp();
                s += w;
                sxx += w * dx * dx;
                syy += w * dy * dy;
                sxy += w * dx * dy;
            }
            if s.is_nan() || s <= 0.0 {
                return None;
            }
            // For a Gaussian source of covariance C under a weight of covariance M the weighted moments are
            // (C⁻¹ + M⁻¹)⁻¹, which is M/2 exactly when M = C: the fixed point M ← 2 Q.
            let next = Moments {
                xx: 2.0 * sxx / s,
                yy: 2.0 * syy / s,
                xy: 2.0 * sxy / s,
            };
            let change = (next.xx - m.xx).abs() + (next.yy - m.yy).abs() + (next.xy - m.xy).abs();
            // Keep the weight from collapsing onto a noise spike or spreading beyond the stamp.
            let cap = (rows.min(cols) as f64 / 2.0).powi(2);
            m = Moments {
                xx: next.xx.clamp(0.25, cap),
                yy: next.yy.clamp(0.25, cap),
                xy: next.xy,
            };
            if change < 1e-6 * (m.xx + m.yy) {
                break;
            }
        }
        Some(m)
    }

    /// Size sqrt(sqrt(det)) (pixels) and reduced shear (g1, g2) of the moments' ellipse.
    pub fn size_and_shear(&self) -> (f64, f64, f64) {
        let det = (self.xx * self.yy - self.xy * self.xy).max(1e-12);
        let denom = self.xx + self.yy + 2.0 * det.sqrt();
        (
            det.sqrt().sqrt(),
            (self.xx - self.yy) / denom,
            2.0 * self.xy / denom,
        )
    }
}

/// The galaxy's (hlr in arcsec, g1, g2) from the adaptive moments of the object and of the PSF's image on
/// the stamp (pixels of `scale` arcsec).
///
/// The galaxy's moments are the object's minus the PSF's (exact for Gaussians, a fair start otherwise);
/// for a Gaussian, hlr = sqrt(2 ln 2)·σ. A PSF without moments counts as one pixel wide; an object barely
/// resolved gets a small round start.
pub fn psf_corrected_shape(
    object: Moments,
    psf_image: &ArrayView2<'_, f64>,
    scale: f64,
) -> [f64; 3] {
    let psf = Moments::adaptive(psf_image).unwrap_or(Moments {
        xx: 1.0,
        yy: 1.0,
        xy: 0.0,
    });
    let mut galaxy = Moments {
        xx: object.xx - psf.xx,
        yy: object.yy - psf.yy,
        xy: object.xy - psf.xy,
    };
    let resolved =
        galaxy.xx > 0.0 && galaxy.yy > 0.0 && galaxy.xx * galaxy.yy > galaxy.xy * galaxy.xy;
    if !resolved {
        galaxy = Moments {
            xx: 0.25 * object.xx,
            yy: 0.25 * object.xx,
            xy: 0.0,
        };
    }
    let (sigma, g1, g2) = galaxy.size_and_shear();
    let hlr = (2.0 * std::f64::consts::LN_2).sqrt() * sigma * scale;
    [hlr, g1, g2]
}

/// A starting point (flux, hlr, g1, g2) from the pixel sum and PSF-corrected adaptive moments
/// ([`psf_corrected_shape`]). Returns `None` when the image has no positive source.
pub fn initial_guess(
    image: &ArrayView2<'_, f64>,
    psf_image: &ArrayView2<'_, f64>,
    scale: f64,
) -> Option<[f64; 4]> {
    let flux = image.sum();
    let object = Moments::adaptive(image)?;
    let [hlr, g1, g2] = psf_corrected_shape(object, psf_image, scale);
    Some([flux, hlr, g1, g2])
}
