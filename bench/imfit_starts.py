"""What the Imfit comparisons share: Sérsic normalisation, conversions between Imfit's conventions and ours,
and a careful user's starting values measured from a stamp (SExtractor-like moments).

Imported by compare_imfit_cutouts.py and compare_imfit_bulge_disk.py.
"""
import math

import numpy as np


def b_n(n):
    """The Sérsic b_n (Ciotti & Bertin's expansion)."""
    return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n * n)


def sersic_i_e(flux, n, r_e, q):
    """Imfit's I_e (intensity at the major-axis r_e) of a Sérsic of total flux `flux` and axis ratio q."""
    b = b_n(n)
    return flux / (2 * math.pi * n * math.exp(b) * b ** (-2 * n) * math.gamma(2 * n) * q * r_e ** 2)


def to_imfit(flux, n, hlr, g1, g2, scale):
    """(ell, PA, r_e in pixels, I_e) of our (flux, n, hlr in arcsec, g1, g2)."""
    g = math.hypot(g1, g2)
    q = (1 - g) / (1 + g)
    r_e = hlr / scale / math.sqrt(q)
    pa = (0.5 * math.degrees(math.atan2(g2, g1)) + 90) % 180
    return 1 - q, pa, r_e, sersic_i_e(flux, n, r_e, q)


def from_imfit(ell, pa, r_major, scale):
    """Our (circularised half-light radius in arcsec, g1, g2) from a major-axis radius in pixels."""
    q = 1 - ell
    g = (1 - q) / (1 + q)
    angle = 2 * math.radians(pa - 90)
    return r_major * math.sqrt(q) * scale, g * math.cos(angle), g * math.sin(angle)


def image_start(stamp, psf, pixel_variance):
    """x, y (1-based), ell, PA, r_e (pixels), flux from the stamp alone, as SExtractor-like moments: a
    Gaussian-weighted centroid, adaptive second moments less the PSF's (`psf` an image; `pixel_variance`
    the pixel's 1/12 when the PSF image lacks it, else 0), the flux within three moment radii."""
    rows, cols = stamp.shape
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    box = sum(np.roll(np.roll(stamp, i, 0), j, 1) for i in (-1, 0, 1) for j in (-1, 0, 1))
    r, c = np.unravel_index(np.argmax(box), box.shape)
    cx, cy = float(c), float(r)
    for _ in range(10):
        w = np.clip(stamp, 0, None) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 2.5 ** 2))
        if w.sum() <= 0:
            break
        cx, cy = (w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()
    mxx, myy, mxy = 4.0, 4.0, 0.0
    for _ in range(20):
        det = mxx * myy - mxy * mxy
        dx, dy = xx - cx, yy - cy
        q = (myy * dx * dx - 2 * mxy * dx * dy + mxx * dy * dy) / det
        w = stamp * np.exp(-0.5 * q)
        s = w.sum()
        if s <= 0:
            break
        nxx, nyy, nxy = 2 * (w * dx * dx).sum() / s, 2 * (w * dy * dy).sum() / s, 2 * (w * dx * dy).sum() / s
        if not (nxx > 0.1 and nyy > 0.1 and nxx * nyy - nxy * nxy > 0.01):
            break
        mxx, myy, mxy = nxx, nyy, nxy
    psf = psf / psf.sum()
    py, px = np.mgrid[0:psf.shape[0], 0:psf.shape[1]].astype(float)
    pc = (psf.shape[0] - 1) / 2
    psf_var = (psf * ((px - pc) ** 2 + (py - pc) ** 2)).sum() / 2 + pixel_variance
    half = 0.5 * (mxx + myy)
    diff = math.hypot(0.5 * (mxx - myy), mxy)
    a2, b2 = max(half + diff - psf_var, 0.25), max(half - diff - psf_var, 0.25)
    ell = min(1 - math.sqrt(b2 / a2), 0.9)
    pa = (math.degrees(0.5 * math.atan2(2 * mxy, mxx - myy)) + 90) % 180
    r_e = 1.1774 * math.sqrt(a2)
    radius = max(3 * math.sqrt(half), 4)
    aperture = stamp[(xx - cx) ** 2 + (yy - cy) ** 2 <= radius ** 2].sum()
    return cx + 1, cy + 1, ell, pa, r_e, max(aperture, stamp.max())
