//! Where a fit of a real image starts, and the box it searches, both from the image itself (never from a
//! truth): the centre from the smoothed peak refined by a weighted centroid, flux from the usable pixels'
//! sum, size and shape from adaptive moments about that centre less the PSF's, the sky from the border.

use ndarray::{Array2, ArrayView2};
use noise_model::PixelNoise;
use sersic_render::sersic::{N_MAX, N_MIN};

use crate::error::FitError;
use crate::start::{psf_corrected_shape, Moments};

/// A starting point and the box around it, in [`IMAGE_PARAM_NAMES`](super::IMAGE_PARAM_NAMES) order.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageStart {
    /// The start.
    pub theta: Vec<f64>,
    /// Lower bounds.
    pub lower: Vec<f64>,
    /// Upper bounds.
    pub upper: Vec<f64>,
}

/// Largest |g1|, |g2| searched: every corner of the box has |g| < 1.
const SHEAR_BOUND: f64 = 0.7;

/// The start and box for `data` (pixels left out by `noise` are ignored) seen through a PSF whose image on
/// the stamp is `psf_image`, pixels of `scale` arcsec; with a sky parameter if `fit_sky`.
pub fn image_start(
    data: ArrayView2<'_, f64>,
    noise: &PixelNoise,
    psf_image: ArrayView2<'_, f64>,
    scale: f64,
    fit_sky: bool,
) -> Result<ImageStart, FitError> {
    let (rows, cols) = data.dim();
    let usable = noise.usable();
    let (sky, sky_spread) = if fit_sky {
        border_level(data, usable)
    } else {
        (0.0, 0.0)
    };
    let clean = Array2::from_shape_fn(
        (rows, cols),
        |k| {
            if usable[k] {
                data[k] - sky
            } else {
                0.0
            }
        },
    );
    let peak = clean.iter().fold(0f64, |m, &v| m.max(v));
    if peak <= 0.0 {
        return Err(FitError::BadInput(
            "no source: no usable pixel is above the sky".into(),
        ));
    }
    let centre = centroid(&clean, smoothed_peak(&clean));
    let object = Moments::adaptive_about(&clean.view(), centre).unwrap_or(Moments {
        xx: 4.0,
        yy: 4.0,
        xy: 0.0,
    });
    // The whole stamp's sum carries the noise of every pixel: on a large stamp of a faint galaxy it can be
    // negative. The sum within three moment radii of the centre (at least 4 pixels) is the start; the box
    // reaches 10x the largest of the two.
    let radius = (3.0 * ((object.xx + object.yy) / 2.0).max(0.0).sqrt()).max(4.0);
    let aperture: f64 = clean
        .indexed_iter()
        .filter(|((r, c), _)| (*c as f64 - centre[0]).hypot(*r as f64 - centre[1]) <= radius)
        .map(|(_, v)| v)
        .sum();
    let flux = if aperture > 0.0 { aperture } else { peak };
    let flux_reach = 10.0 * flux.max(clean.sum());
    let [hlr, g1, g2] = psf_corrected_shape(object, &psf_image, scale);
    let (half_w, half_h) = ((cols as f64 - 1.0) / 2.0, (rows as f64 - 1.0) / 2.0);
    let mut lower = vec![
        1e-3 * flux,
        N_MIN,
        0.05 * scale,
        -SHEAR_BOUND,
        -SHEAR_BOUND,
        -half_w,
        -half_h,
    ];
    let mut upper = vec![
        flux_reach,
        N_MAX,
        rows.max(cols) as f64 * scale,
        SHEAR_BOUND,
        SHEAR_BOUND,
        half_w,
        half_h,
    ];
    let mut theta = vec![
        flux,
        2.0,
        hlr,
        g1,
        g2,
        centre[0] - half_w,
        centre[1] - half_h,
    ];
    if fit_sky {
        let reach = 0.1 * peak + 5.0 * sky_spread + sky.abs();
        lower.push(sky - reach);
        upper.push(sky + reach);
        theta.push(sky);
    }
    for ((t, l), h) in theta.iter_mut().zip(&lower).zip(&upper) {
        *t = t.clamp(*l, *h);
    }
    Ok(ImageStart {
        theta,
        lower,
        upper,
    })
}

/// The median of the usable pixels in the outer two rows and columns, and their median absolute deviation
/// scaled to a Gaussian sigma.
fn border_level(data: ArrayView2<'_, f64>, usable: ArrayView2<'_, bool>) -> (f64, f64) {
    let (rows, cols) = data.dim();
    let mut values: Vec<f64> = data
        .indexed_iter()
        .filter(|((r, c), _)| {
            (*r < 2 || *c < 2 || *r + 2 >= rows || *c + 2 >= cols) && usable[[*r, *c]]
        })
        .map(|(_, v)| *v)
        .collect();
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let level = median(&mut values);
    let mut deviations: Vec<f64> = values.iter().map(|v| (v - level).abs()).collect();
    (level, 1.4826 * median(&mut deviations))
}

/// The pixel (x, y) where the 3 x 3 box sum is largest.
fn smoothed_peak(image: &Array2<f64>) -> [f64; 2] {
    let (rows, cols) = image.dim();
    let mut best = (
        f64::MIN,
        [(cols as f64 - 1.0) / 2.0, (rows as f64 - 1.0) / 2.0],
    );
    for r in 0..rows {
        for c in 0..cols {
            let mut sum = 0.0;
            for rr in r.saturating_sub(1)..(r + 2).min(rows) {
                for cc in c.saturating_sub(1)..(c + 2).min(cols) {
                    sum += image[[rr, cc]];
                }
            }
            if sum > best.0 {
                best = (sum, [c as f64, r as f64]);
            }
        }
    }
    best.1
}

/// A centroid refined from `start` with a Gaussian weight of 2.5 pixels, positive pixels only.
fn centroid(image: &Array2<f64>, start: [f64; 2]) -> [f64; 2] {
    let mut centre = start;
    for _ in 0..10 {
        let (mut s, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for ((r, c), &v) in image.indexed_iter() {
            let (dx, dy) = (c as f64 - centre[0], r as f64 - centre[1]);
            let w = v.max(0.0) * (-(dx * dx + dy * dy) / (2.0 * 2.5 * 2.5)).exp();
            s += w;
            sx += w * c as f64;
            sy += w * r as f64;
        }
        if s <= 0.0 {
            break;
        }
        centre = [sx / s, sy / s];
    }
    centre
}
