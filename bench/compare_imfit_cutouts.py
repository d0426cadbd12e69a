#!/usr/bin/env python3
"""Imfit (pyimfit 1.1) on the simulated stamps of make_imfit_cutouts.py, beside `galaxy fit`'s catalogue of
the same field (ours.csv), in the same run: RMSE to the truth per parameter and fits per second per core.

    compare_imfit_cutouts.py DIR GALAXY_BINARY [--centre-sampling]

Imfit gets what a careful user would give it: starts measured from the stamp as SExtractor would (a
Gaussian-weighted centroid, adaptive second moments corrected for the PSF's for r_e, ell and PA, the flux
within three moment radii) and, as ours, three starting n (1, 2.5, 4.5), keeping the fit of lowest chi-square;
the optical PSF image with Imfit's pixel subsampling of the profile (its default, which integrates the steep
centre of a small Sérsic over the pixel); its model-based variance (use_model_for_errors: the same Poisson +
read-noise model as ours, gain 2, read noise 8 e-, subtracted sky 1.25e5 ADU); one thread (maxThreads=1, as
ours). For reference it is also run from the TRUE parameters ("oracle": no user has them; a local optimizer
started there stays near the truth in the flat likelihoods of faint galaxies), and with --centre-sampling in a
third set-up: the effective PSF, profile sampled at pixel centres, subsampling off.
Time is CPU time (core-seconds, so that neither side gains from a second thread): Imfit's fits alone (data
already loaded); ours the whole `galaxy fit --threads 1` command (reading the field, cutting the stamps,
fitting, writing the catalogue), run here first.
Conversions: r_e (major axis, pixels) = hlr / scale / sqrt(q); ell = 1 - q, |g| = (1 - q) / (1 + q);
PA (deg, counter-clockwise from +y) = atan2(g2, g1) / 2 + 90 deg; x0, y0 1-based in the stamp.
"""
import csv
import math
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np
import pyimfit
from astropy.io import fits

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from imfit_starts import from_imfit as _from_imfit, image_start as _image_start, sersic_i_e, to_imfit as _to_imfit

SCALE, SKY, GAIN, READ_NOISE = 0.2, 1.25e5, 2.0, 8.0
root = pathlib.Path(sys.argv[1])
binary = sys.argv[2]
centre_sampling = "--centre-sampling" in sys.argv
field = fits.getdata(root / "field.fits").astype(np.float64)
psfs = {"A": fits.getdata(root / "psf_effective.fits").astype(np.float64),
        "B": fits.getdata(root / "psf_optical.fits").astype(np.float64)}
truth = list(csv.DictReader(open(root / "truth.csv")))

def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

before = child_cpu()
subprocess.run([binary, "fit", str(root / "field.fits"), "--catalog", str(root / "catalog.csv"),
                "--psf", str(root / "psf_effective.fits"), "--psf-includes-pixel", "--gain", str(GAIN),
                "--read-noise", str(READ_NOISE), "--sky-level", str(SKY), "--threads", "1",
                "-o", str(root / "ours.csv")], check=True)
ours_seconds = child_cpu() - before
ours = {r["id"]: r for r in csv.DictReader(open(root / "ours.csv"))}

def to_imfit(flux, n, hlr, g1, g2):
    return _to_imfit(flux, n, hlr, g1, g2, SCALE)

def from_imfit(ell, pa, r_e):
    return _from_imfit(ell, pa, r_e, SCALE)

def image_start(stamp):
    return _image_start(stamp, psfs["B"], 1 / 12)

def imfit_once(stamp, size, psf, subsampling, x, y, ell, pa, r_e, n, i_e):
    model = pyimfit.SimpleModelDescription()
    model.x0.setValue(x, [x - 5, x + 5])
    model.y0.setValue(y, [y - 5, y + 5])
    sersic = pyimfit.make_imfit_function("Sersic")
    sersic.PA.setValue(pa, [pa - 90, pa + 90])
    sersic.ell.setValue(min(ell, 0.94), [0, 0.95])
    sersic.n.setValue(n, [0.3, 6.2])
    sersic.I_e.setValue(i_e, [0, 1000 * i_e])
    sersic.r_e.setValue(min(max(r_e, 0.1), size), [0.05, 2 * size])
    model.addFunction(sersic)
    imfit = pyimfit.Imfit(model, psf=psf, maxThreads=1, subsampling=subsampling)
    try:
        imfit.fit(stamp, gain=GAIN, read_noise=READ_NOISE, original_sky=SKY, use_model_for_errors=True)
    except Exception:  # a fit Imfit cannot start or finish counts as failed
        return None
    return imfit if imfit.fitConverged else None

def imfit_one(t, setup):
    size, c0, r0 = int(t["size"]), int(t["c0"]), int(t["r0"])
    stamp = field[r0:r0 + size, c0:c0 + size]
    started = time.process_time()
    if setup == "user":
        x, y, ell, pa, r_e, flux = image_start(stamp)
        tries = [(x, y, ell, pa, r_e, n, sersic_i_e(flux, n, r_e, 1 - ell)) for n in (1.0, 2.5, 4.5)]
    else:
        flux, n, hlr, g1, g2 = (float(t[k]) for k in ("flux", "sersic_index", "half_light_radius", "g1", "g2"))
        ell, pa, r_e, i_e = to_imfit(flux, n, hlr, g1, g2)
        tries = [(float(t["x"]) - c0, float(t["y"]) - r0, ell, pa, r_e, n, i_e)]
    psf, subsampling = (psfs["A"], False) if setup == "centre" else (psfs["B"], True)
    done = [f for f in (imfit_once(stamp, size, psf, subsampling, *a) for a in tries) if f is not None]
    seconds = time.process_time() - started
    if not done:
        return None, seconds
    imfit = min(done, key=lambda f: f.fitStatistic)
    p = dict(zip(imfit.numberedParameterNames, imfit.getRawParameters()))
    hlr_f, g1_f, g2_f = from_imfit(p["ell_1"], p["PA_1"], p["r_e_1"])
    est = dict(flux=float(imfit.getModelFluxes()[0]), sersic_index=p["n_1"], half_light_radius=hlr_f,
               g1=g1_f, g2=g2_f, x=p["X0_1"] + c0, y=p["Y0_1"] + r0)
    return est, seconds

NAMES = ["flux", "sersic_index", "half_light_radius", "g1", "g2", "x", "y"]
results = {}
SETUPS = [("user", "Imfit, careful user: starts from the image, 3 n, optical PSF + subsampling"),
          ("oracle", "Imfit, oracle: started at the truth, optical PSF + subsampling")]
if centre_sampling:
    SETUPS.append(("centre", "Imfit, centre sampling: effective PSF, no subsampling, started at the truth"))
for setup, _ in SETUPS:
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
      f"{count / ours_seconds:.1f} fits per CPU second ({1e3 * ours_seconds / count:.1f} ms per stamp, whole command)")
for setup, label in SETUPS:
    fits_, total = results[setup]
    print(f"  {label}: {len(fits_)} converged of {count}; "
          f"{count / total:.2f} fits per CPU second ({1e3 * total / count:.1f} ms per stamp, fit alone); "
          f"ours {total / ours_seconds:.1f}x faster")
truth_by = {t["id"]: t for t in truth}
for setup, label in SETUPS:
    fits_, _ = results[setup]
    common = sorted(set(fits_) & set(ours_ok), key=int)
    print(f"\nRMSE to the truth over the {len(common)} stamps both fitted, ours vs {label}:")
    print(f"  {'parameter':<18} {'ours':>12} {'Imfit':>12}  ours/Imfit")
    for name in NAMES:
        def rmse(est):
            d = [est[i][name] - float(truth_by[i][name]) for i in common]
            return math.sqrt(sum(v * v for v in d) / len(d))
        a, b = rmse(ours_ok), rmse(fits_)
        print(f"  {name:<18} {a:12.5g} {b:12.5g}  {a / b:8.3f}")
