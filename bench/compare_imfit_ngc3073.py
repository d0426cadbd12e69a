#!/usr/bin/env python3
"""NGC 3073 (SDSS r, Imfit's own test galaxy): a single Sérsic fitted by Imfit (pyimfit 1.1) and by this
project's `galaxy fit` (target/release/galaxy), in the same run, on the same image,
mask, PSF image and noise settings (gain 4.725 e-/DN, read noise 4.3 e-, subtracted sky 154.33 DN).

    bench/compare_imfit_ngc3073.py [DATA_DIR]   (default ../shared/real)

Imfit gets every advantage a careful user gives it: starts near the answer, its quoted errors; it is run with
each of its fit statistics: chi-square with the variance from the data (its default, and the set-up of its own
test of this galaxy), chi-square with the variance from the model, and its Poisson likelihood (PMLR). Its
model-variance chi-square leaves out the log-determinant term of the Gaussian likelihood, which favours a
brighter, larger model; ours is the full Gaussian likelihood with the model's variance. Imfit starts at centre
(101, 97), PA 110, ell 0.2, n 2.5, r_e 30 px, and runs Levenberg-Marquardt; its errors are its own (LM
covariance); for PMLR the printed statistic is its own, not a chi-square. Both models are the Sérsic sampled
at pixel centres convolved with the 35 x 35 PSF image (Imfit's convention; ours: the PSF image as an
effective PSF, no second pixel). Ours are converted to Imfit's conventions from the catalogue: r_e is the
major-axis half-light radius, ell = 1 - b/a, PA counter-clockwise from +y, pixel centres 1-based.
Prints both fits, the agreement (|ours - Imfit| against max(3 x Imfit's error, 2%)), chi-square and time.
Times are CPU seconds: ours the whole command (reading the files, the fit, writing the catalogue, the model
blocks), Imfit's its fit alone.
With --figure PATH, also draws data, model and residual (from `galaxy fit --save-models`) into PATH.
Run through bench/compare_imfit_ngc3073.sh, which sets up the Python modules and builds the binary.
"""
import pathlib
import subprocess
import sys
import time

import numpy as np
import pyimfit
from astropy.io import fits

root = pathlib.Path(__file__).resolve().parent.parent
data = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else root.parent / "shared" / "real")
image = fits.getdata(data / "n3073rss_small.fits").astype(np.float64)
mask = fits.getdata(data / "n3073rss_small_mask.fits")
psf = fits.getdata(data / "psf_moffat_35_n4699z.fits").astype(np.float64)

def imfit_fit(statistic):
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
    started = time.process_time()
    imfit.fit(image, mask=mask, gain=4.725, read_noise=4.3, original_sky=154.33,
              use_model_for_errors=(statistic == "model"), use_poisson_mlr=(statistic == "pmlr"))
    seconds = time.process_time() - started
    values = dict(zip(imfit.numberedParameterNames, imfit.getRawParameters()))
    errors = dict(zip(imfit.numberedParameterNames, imfit.getParameterErrors()))
    names = {"x0": "X0_1", "y0": "Y0_1", "pa": "PA_1", "ell": "ell_1", "n": "n_1", "r_e": "r_e_1"}
    fit = {k: (values[v], errors[v]) for k, v in names.items()}
    fit["flux"] = (float(imfit.getModelFluxes()[0]), None)
    return fit, imfit.fitStatistic, imfit.nValidPixels, seconds


out = root / "target" / "ngc3073"
out.mkdir(parents=True, exist_ok=True)
import resource
def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
started = child_cpu()
subprocess.run(
    [str(root / "target" / "release" / "galaxy"), "fit", str(data / "n3073rss_small.fits"),
     "--psf", str(data / "psf_moffat_35_n4699z.fits"), "--psf-includes-pixel",
     "--mask", str(data / "n3073rss_small_mask.fits"), "--gain", "4.725", "--read-noise", "4.3",
     "--sky-level", "154.33", "--threads", "1", "--save-models", str(out / "models"),
     "-o", str(out / "fit.fits")],
    check=True, capture_output=True, text=True)
ours_seconds = child_cpu() - started
with fits.open(out / "fit.fits") as hdus:
    scale = float(hdus[1].header["PIXSCALE"])
    row = hdus[1].data[0]
ell = float(row["ellipticity"])
ours = {"x0": row["x"], "y0": row["y"], "pa": row["position_angle"], "ell": ell, "n": row["sersic_index"],
        "r_e": row["half_light_radius_arcsec"] / scale / np.sqrt(1 - ell), "flux": row["flux"],
        "chi_square": row["chi_square"], "dof": row["dof"], "seconds": ours_seconds}

print("NGC 3073, single Sérsic; Imfit (pyimfit %s) and galaxy fit on the same data, same run" % pyimfit.__version__)
print(f"ours: chi-square {ours['chi_square']:.2f} ({ours['dof']} dof), {ours['seconds']:.2f} s")
for statistic, label in (("data", "Imfit's default: chi-square with the variance from the data"),
                         ("model", "Imfit, chi-square with the variance from the model (use_model_for_errors)"),
                         ("pmlr", "Imfit, Poisson maximum-likelihood ratio (use_poisson_mlr)")):
    theirs, chi2, pixels, seconds = imfit_fit(statistic)
    print(f"\n{label}: fit statistic {chi2:.2f} ({pixels} pixels), {seconds:.2f} s = {seconds / ours['seconds']:.1f}x ours")
    print(f"{'parameter':<10}{'Imfit':>14}{'± error':>11}{'ours':>14}{'|diff|':>11}{'allowed':>11}  agree")
    for name, (value, error) in theirs.items():
        mine = ours[name]
        diff = abs(mine - value)
        if name == "pa":
            diff = min(diff, 180 - diff)
        allowed = max(3 * error if error else 0.0, 0.02 * abs(value))
        err = f"{error:11.4g}" if error else f"{'':>11}"
        print(f"{name:<10}{value:14.6g}{err}{mine:14.6g}{diff:11.4g}{allowed:11.4g}  {'yes' if diff <= allowed else 'NO'}")

if "--figure" in sys.argv:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with fits.open(out / "models" / "n3073rss_small.fits") as block:
        panels = [block["DATA"].data, block["MODEL"].data, block["RESIDUAL"].data]
    masked = mask != 0
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 4.6))
    stretch = dict(vmin=-20, vmax=np.percentile(panels[0][~masked], 99.7))
    for ax, image, title in zip(axes, panels, ["data", "model (Sérsic ⊗ PSF image)", "residual (masked grey)"]):
        if title.startswith("residual"):
            sigma = np.sqrt(np.clip(panels[1], 0, None) + 154.33) / np.sqrt(4.725)
            shown = np.ma.masked_where(masked, image / sigma)
            im = ax.imshow(shown, origin="lower", cmap="RdBu_r", vmin=-5, vmax=5)
            fig.colorbar(im, ax=ax, fraction=0.046, label="(data - model) / sigma")
        else:
            ax.imshow(np.ma.masked_where(masked, np.arcsinh(image / 20)), origin="lower", cmap="gray_r",
                      vmin=np.arcsinh(stretch["vmin"] / 20), vmax=np.arcsinh(stretch["vmax"] / 20))
        ax.set_facecolor("0.75")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([]); ax.set_yticks([])
    fig.suptitle("NGC 3073, SDSS r: galaxy fit, single Sérsic with free centre")
    fig.tight_layout()
    path = sys.argv[sys.argv.index("--figure") + 1]
    fig.savefig(path, dpi=90)
    print(f"figure -> {path}")
