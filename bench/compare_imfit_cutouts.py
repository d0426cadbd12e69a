#!/usr/bin/env python3
"""Imfit (pyimfit 1.1) on the simulated stamps of make_imfit_cutouts.py, beside `galaxy fit`'s catalogue of
the same field (ours.csv), in the same run: RMSE to the truth per parameter and fits per second per core.

    compare_imfit_cutouts.py DIR OURS_SECONDS

Imfit gets every advantage a careful user would give it: it starts from the TRUE parameters (converted to its
own: x0, y0, PA, ell, n, I_e, r_e), one thread (maxThreads=1, as ours), its model-based variance
(use_model_for_errors, the same Poisson + read-noise model as ours: gain 2, read noise 8 e-, subtracted sky
1.25e5 ADU). It runs in two set-ups and both are reported:
  A. the effective PSF image (with the pixel), the profile sampled at pixel centres (subsampling off);
  B. the optical PSF image, Imfit's pixel subsampling of the profile on (its default), which integrates the
     steep centre of a small Sérsic over the pixel.
Time is Imfit's fit alone (data already loaded); ours is the whole command (reading the field, cutting the
stamps, fitting, writing the catalogue) divided by the number of stamps.
Conversions: r_e (major axis, pixels) = hlr / scale / sqrt(q); ell = 1 - q, |g| = (1 - q) / (1 + q);
PA (deg, counter-clockwise from +y) = atan2(g2, g1) / 2 + 90 deg; x0, y0 1-based in the stamp.
"""
import csv
import math
import pathlib
import sys
import time

import numpy as np
import pyimfit
from astropy.io import fits

SCALE, SKY, GAIN, READ_NOISE = 0.2, 1.25e5, 2.0, 8.0
root = pathlib.Path(sys.argv[1])
ours_seconds = float(sys.argv[2])
field = fits.getdata(root / "field.fits").astype(np.float64)
psfs = {"A": fits.getdata(root / "psf_effective.fits").astype(np.float64),
        "B": fits.getdata(root / "psf_optical.fits").astype(np.float64)}
truth = list(csv.DictReader(open(root / "truth.csv")))
ours = {r["id"]: r for r in csv.DictReader(open(root / "ours.csv"))}

def b_n(n):
    return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n * n)

def to_imfit(flux, n, hlr, g1, g2):
    g = math.hypot(g1, g2)
    q = (1 - g) / (1 + g)
    r_e = hlr / SCALE / math.sqrt(q)
    b = b_n(n)
    i_e = flux / (2 * math.pi * n * math.exp(b) * b ** (-2 * n) * math.gamma(2 * n) * q * r_e ** 2)
    pa = (0.5 * math.degrees(math.atan2(g2, g1)) + 90) % 180
    return 1 - q, pa, r_e, i_e

def from_imfit(ell, pa, r_e):
    q = 1 - ell
    g = (1 - q) / (1 + q)
    angle = 2 * math.radians(pa - 90)
    return r_e * math.sqrt(q) * SCALE, g * math.cos(angle), g * math.sin(angle)

def imfit_one(t, setup):
    size, c0, r0 = int(t["size"]), int(t["c0"]), int(t["r0"])
    stamp = field[r0:r0 + size, c0:c0 + size]
    flux, n, hlr, g1, g2 = (float(t[k]) for k in ("flux", "sersic_index", "half_light_radius", "g1", "g2"))
    x, y = float(t["x"]) - c0, float(t["y"]) - r0
    ell, pa, r_e, i_e = to_imfit(flux, n, hlr, g1, g2)
    model = pyimfit.SimpleModelDescription()
    model.x0.setValue(x, [x - 3, x + 3])
    model.y0.setValue(y, [y - 3, y + 3])
    sersic = pyimfit.make_imfit_function("Sersic")
    sersic.PA.setValue(pa, [pa - 90, pa + 90])
    sersic.ell.setValue(min(ell, 0.94), [0, 0.95])
    sersic.n.setValue(n, [0.3, 6.2])
    sersic.I_e.setValue(i_e, [0, 1000 * i_e])
    sersic.r_e.setValue(r_e, [0.05, 2 * size])
    model.addFunction(sersic)
    imfit = pyimfit.Imfit(model, psf=psfs[setup], maxThreads=1, subsampling=(setup == "B"))
    started = time.perf_counter()
    try:
        imfit.fit(stamp, gain=GAIN, read_noise=READ_NOISE, original_sky=SKY, use_model_for_errors=True)
    except Exception as e:  # a fit Imfit cannot start or finish counts as failed
        return None, time.perf_counter() - started
    seconds = time.perf_counter() - started
    if not imfit.fitConverged:
        return None, seconds
    p = dict(zip(imfit.numberedParameterNames, imfit.getRawParameters()))
    hlr_f, g1_f, g2_f = from_imfit(p["ell_1"], p["PA_1"], p["r_e_1"])
    est = dict(flux=float(imfit.getModelFluxes()[0]), sersic_index=p["n_1"], half_light_radius=hlr_f,
               g1=g1_f, g2=g2_f, x=p["X0_1"] + c0, y=p["Y0_1"] + r0)
    return est, seconds

NAMES = ["flux", "sersic_index", "half_light_radius", "g1", "g2", "x", "y"]
results = {}
for setup in ("A", "B"):
    fits_, total = {}, 0.0
    for t in truth:
        est, seconds = imfit_one(t, setup)
        total += seconds
        if est is not None:
            fits_[t["id"]] = est
    results[setup] = (fits_, total)

def ours_est(r):
    return dict(flux=float(r["flux"]), sersic_index=float(r["sersic_index"]),
                half_light_radius=float(r["half_light_radius_arcsec"]), g1=float(r["g1"]),
                g2=float(r["g2"]), x=float(r["x"]), y=float(r["y"]))

ours_ok = {i: ours_est(r) for i, r in ours.items() if r["status"] == "ok"}
count = len(truth)
print(f"{count} GalSim stamps (48-96 px at 0.2\", offsets up to 2 px, subtracted sky 1.25e5 ADU, gain 2, "
      f"read noise 8 e-, Kolmogorov x Airy PSF image), one core each")
print(f"  ours: {len(ours_ok)} converged of {count} (from the image, no truth); "
      f"{count / ours_seconds:.1f} fits/s ({1e3 * ours_seconds / count:.1f} ms per stamp, whole command)")
for setup, label in (("A", "Imfit A: effective PSF, centre sampling"), ("B", "Imfit B: optical PSF, subsampling")):
    fits_, total = results[setup]
    print(f"  {label}: {len(fits_)} converged of {count} (started at the truth); "
          f"{count / total:.2f} fits/s ({1e3 * total / count:.1f} ms per stamp, fit alone); "
          f"ours {total / ours_seconds:.1f}x faster")
truth_by = {t["id"]: t for t in truth}
for setup in ("A", "B"):
    fits_, _ = results[setup]
    common = sorted(set(fits_) & set(ours_ok), key=int)
    print(f"\nRMSE to the truth over the {len(common)} stamps both fitted (ours vs Imfit {setup}):")
    print(f"  {'parameter':<18} {'ours':>12} {'Imfit ' + setup:>12}  ours/Imfit")
    for name in NAMES:
        def rmse(est):
            d = [est[i][name] - float(truth_by[i][name]) for i in common]
            return math.sqrt(sum(v * v for v in d) / len(d))
        a, b = rmse(ours_ok), rmse(fits_)
        print(f"  {name:<18} {a:12.5g} {b:12.5g}  {a / b:8.3f}")
