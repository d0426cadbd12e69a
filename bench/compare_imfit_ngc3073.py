#!/usr/bin/env python3
"""NGC 3073 (SDSS r, Imfit's own test galaxy): a single Sérsic fitted by Imfit (pyimfit 1.1) and by this
project's `mle_fit::fit_image` (through `xtask --bin fit_fits_image`), in the same run, on the same image,
mask, PSF image and noise settings (gain 4.725 e-/DN, read noise 4.3 e-, subtracted sky 154.33 DN).

    bench/compare_imfit_ngc3073.py [DATA_DIR]   (default ../shared/real)

Imfit gets every advantage a careful user gives it: starts near the answer, its quoted errors; it is run twice,
with its default variance (from the data) and with a model-based one (as ours)
(centre 101, 97; PA 110; ell
0.2; n 2.5; r_e 30 px), Levenberg-Marquardt with its model-based errors. Both models are the Sérsic sampled
at pixel centres convolved with the 35 x 35 PSF image (Imfit's convention; ours: the PSF image as an
effective PSF, no second pixel). Ours are converted to Imfit's conventions (xtask fit_fits_image): r_e is the
major-axis half-light radius, ell = 1 - b/a, PA counter-clockwise from +y, pixel centres 1-based.
Prints both fits, the agreement (|ours - Imfit| against max(3 x Imfit's error, 2%)), chi-square and time.
pip install pyimfit astropy numpy
"""
import json
import pathlib
import subprocess
import sys
import time

import numpy as np
import pyimfit
from astropy.io import fits

root = pathlib.Path(__file__).resolve().parent.parent
data = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else root.parent / "shared" / "real")
image = fits.getdata(data / "n3073rss_small.fits").astype(np.float64)
mask = fits.getdata(data / "n3073rss_small_mask.fits")
psf = fits.getdata(data / "psf_moffat_35_n4699z.fits").astype(np.float64)

def imfit_fit(use_model_for_errors):
    """Imfit's single-Sérsic fit, its values and errors in its own conventions, its chi-square and time."""
    model = pyimfit.SimpleModelDescription()
    model.x0.setValue(101, [90, 110])
    model.y0.setValue(97, [90, 110])
    sersic = pyimfit.make_imfit_function("Sersic")
    sersic.PA.setValue(110, [0, 180])
    sersic.ell.setValue(0.2, [0, 1])
    sersic.n.setValue(2.5, [0.3, 6.2])
    sersic.I_e.setValue(100, [0, 2000])
    sersic.r_e.setValue(30, [0, 300])
    model.addFunction(sersic)
    imfit = pyimfit.Imfit(model, psf=psf)
    started = time.perf_counter()
    imfit.fit(image, mask=mask, gain=4.725, read_noise=4.3, original_sky=154.33,
              use_model_for_errors=use_model_for_errors)
    seconds = time.perf_counter() - started
    values = dict(zip(imfit.numberedParameterNames, imfit.getRawParameters()))
    errors = dict(zip(imfit.numberedParameterNames, imfit.getParameterErrors()))
    names = {"x0": "X0_1", "y0": "Y0_1", "pa": "PA_1", "ell": "ell_1", "n": "n_1", "r_e": "r_e_1"}
    fit = {k: (values[v], errors[v]) for k, v in names.items()}
    fit["flux"] = (float(imfit.getModelFluxes()[0]), None)
    return fit, imfit.fitStatistic, imfit.nValidPixels, seconds


run = subprocess.run(
    ["cargo", "run", "-q", "--release", "-p", "xtask", "--bin", "fit_fits_image", "--",
     str(data / "n3073rss_small.fits"), "--psf", str(data / "psf_moffat_35_n4699z.fits"),
     "--mask", str(data / "n3073rss_small_mask.fits"), "--gain", "4.725", "--read-noise", "4.3",
     "--sky", "154.33", "--psf-includes-pixel"],
    cwd=root, capture_output=True, text=True, check=True)
ours = json.loads(run.stdout)

print("NGC 3073, single Sérsic; Imfit (pyimfit %s) and mle_fit::fit_image on the same data, same run" % pyimfit.__version__)
print(f"ours: chi-square {ours['chi_square']:.2f} ({ours['dof']} dof), {ours['seconds']:.2f} s")
for use_model, label in ((False, "Imfit's default: variance from the data"),
                         (True, "Imfit with model-based variance (use_model_for_errors)")):
    theirs, chi2, pixels, seconds = imfit_fit(use_model)
    print(f"\n{label}: chi-square {chi2:.2f} ({pixels} pixels), {seconds:.2f} s = {seconds / ours['seconds']:.1f}x ours")
    print(f"{'parameter':<10}{'Imfit':>14}{'± error':>11}{'ours':>14}{'|diff|':>11}{'allowed':>11}  agree")
    for name, (value, error) in theirs.items():
        mine = ours[name]
        diff = abs(mine - value)
        if name == "pa":
            diff = min(diff, 180 - diff)
        allowed = max(3 * error if error else 0.0, 0.02 * abs(value))
        err = f"{error:11.4g}" if error else f"{'':>11}"
        print(f"{name:<10}{value:14.6g}{err}{mine:14.6g}{diff:11.4g}{allowed:11.4g}  {'yes' if diff <= allowed else 'NO'}")
