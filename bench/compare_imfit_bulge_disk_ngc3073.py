#!/usr/bin/env python3
"""NGC 3073 as a bulge (Sérsic, free n) + disk (exponential) with one shared centre, fitted by Imfit (pyimfit
1.1) and by `galaxy fit --model` in the same run, from the same starting values, on the same image, mask, PSF
image and noise (gain 4.725 e-/DN, read noise 4.3 e-, subtracted sky 154.33 DN).

    bench/compare_imfit_bulge_disk_ngc3073.sh [DATA_DIR] [--figure docs/img/ngc3073_bulge_disk.png]

The start, in Imfit's terms: centre (101, 97); bulge n 2.5, r_e 10 px, ell 0.2, PA 110, flux 7e5; disk
h 20 px, ell 0.2, PA 110, flux 7e5. It is written into a model file for ours (converted: our half-light
radius is sqrt(a b), h -> r_e = 1.678 h, |g| = (1 - q)/(1 + q), PA from +y) and set as Imfit's initial
values (its I_e and I_0 from the fluxes). Imfit runs Levenberg-Marquardt with its chi-square, with the
variance from the data (its default) and from the model (use_model_for_errors); its errors are its own.
Both final models are then scored with one chi-square: sum over the unmasked pixels of
(data - model)^2 / V(model), V = (model + sky)/gain + (read noise/gain)^2, the variance of the CCD noise at
the model, and with -2 ln L of that Gaussian likelihood (chi-square + sum ln V: what ours minimises; Imfit's
chi-square leaves out the ln V term). Ours runs three times: by maximum likelihood (its default), with
--statistic chi-square (Imfit's statistic with use_model_for_errors), and that with --convolution discrete
(Imfit's model without subsampling: the profiles sampled at the pixel centres, summed over the PSF image). Times are CPU seconds: ours the whole
command, Imfit's its fit alone.
"""
import math
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np
import pyimfit
from astropy.io import fits
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales

root = pathlib.Path(__file__).resolve().parent.parent
args = [a for a in sys.argv[1:]]
figure = None
if "--figure" in args:
    figure = args[args.index("--figure") + 1]
    del args[args.index("--figure"):args.index("--figure") + 2]
data = pathlib.Path(args[0]) if args else root.parent / "shared" / "real"
header = fits.getheader(data / "n3073rss_small.fits")
image = fits.getdata(data / "n3073rss_small.fits").astype(np.float64)
mask = fits.getdata(data / "n3073rss_small_mask.fits")
psf = fits.getdata(data / "psf_moffat_35_n4699z.fits").astype(np.float64)
scale = float(abs(proj_plane_pixel_scales(WCS(header).celestial)[0]) * 3600.0)
GAIN, READ, SKY = 4.725, 4.3, 154.33
rows, cols = image.shape

START = dict(x0=101.0, y0=97.0, b_n=2.5, b_re=10.0, b_ell=0.2, b_pa=110.0, b_flux=7e5,
             d_h=20.0, d_ell=0.2, d_pa=110.0, d_flux=7e5)


def b_of(n):
    return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n * n)


def sersic_ie(flux, n, r_e, q):
    """Imfit's I_e (intensity at the major-axis r_e) of a Sérsic of total flux `flux`."""
    b = b_of(n)
    return flux / (2 * math.pi * n * math.exp(b) * b ** (-2 * n) * math.gamma(2 * n) * q * r_e ** 2)


def shear(ell, pa):
    q = 1 - ell
    g = (1 - q) / (1 + q)
    angle = math.radians(pa + 90.0)  # major axis from +x
    return g * math.cos(2 * angle), g * math.sin(2 * angle)


def model_file(path):
    s = START
    bg1, bg2 = shear(s["b_ell"], s["b_pa"])
    dg1, dg2 = shear(s["d_ell"], s["d_pa"])
    b_hlr = s["b_re"] * math.sqrt(1 - s["b_ell"]) * scale
    d_hlr = 1.678347 * s["d_h"] * math.sqrt(1 - s["d_ell"]) * scale
    dx, dy = s["x0"] - (cols + 1) / 2, s["y0"] - (rows + 1) / 2
    path.write_text(f"""# NGC 3073 bulge + disk, started where Imfit is started (bench/compare_imfit_bulge_disk_ngc3073.py)
[[component]]
name = "bulge"
type = "sersic"
flux = {s['b_flux']}
sersic_index = {s['b_n']}
half_light_radius = {b_hlr}
g1 = {bg1}
g2 = {bg2}

[[component]]
name = "disk"
type = "exponential"
flux = {s['d_flux']}
half_light_radius = {d_hlr}
g1 = {dg1}
g2 = {dg2}

[centre]
dx = {dx}
dy = {dy}
""")


def imfit_fit(statistic, subsampling=True):
    s = START
    model = pyimfit.SimpleModelDescription()
    model.x0.setValue(s["x0"], [90, 110])
    model.y0.setValue(s["y0"], [90, 110])
    bulge = pyimfit.make_imfit_function("Sersic", label="bulge")
    bulge.PA.setValue(s["b_pa"], [0, 180])
    bulge.ell.setValue(s["b_ell"], [0, 0.95])
    bulge.n.setValue(s["b_n"], [0.3, 6.2])
    bulge.I_e.setValue(sersic_ie(s["b_flux"], s["b_n"], s["b_re"], 1 - s["b_ell"]), [0, 1e6])
    bulge.r_e.setValue(s["b_re"], [0.1, 300])
    disk = pyimfit.make_imfit_function("Exponential", label="disk")
    disk.PA.setValue(s["d_pa"], [0, 180])
    disk.ell.setValue(s["d_ell"], [0, 0.95])
    disk.I_0.setValue(s["d_flux"] / (2 * math.pi * (1 - s["d_ell"]) * s["d_h"] ** 2), [0, 1e6])
    disk.h.setValue(s["d_h"], [0.1, 300])
    model.addFunction(bulge)
    model.addFunction(disk)
    imfit = pyimfit.Imfit(model, psf=psf, subsampling=subsampling)
    started = time.process_time()
    imfit.fit(image, mask=mask, gain=GAIN, read_noise=READ, original_sky=SKY,
              use_model_for_errors=(statistic == "model"))
    seconds = time.process_time() - started
    values = dict(zip(imfit.numberedParameterNames, imfit.getRawParameters()))
    errors = dict(zip(imfit.numberedParameterNames, imfit.getParameterErrors()))
    names = {"x0": "X0_1", "y0": "Y0_1", "bulge_pa": "PA_1", "bulge_ell": "ell_1", "bulge_n": "n_1",
             "bulge_r_e": "r_e_1", "disk_pa": "PA_2", "disk_ell": "ell_2", "disk_h": "h_2"}
    fit = {k: (values[v], errors[v]) for k, v in names.items()}
    fluxes = imfit.getModelFluxes()[1]
    fit["bulge_flux"] = (float(fluxes[0]), None)
    fit["disk_flux"] = (float(fluxes[1]), None)
    fit["b_t"] = (float(fluxes[0] / (fluxes[0] + fluxes[1])), None)
    return fit, imfit.getModelImage(), seconds


def chi_square(model):
    v = (np.clip(model, 0, None) + SKY) / GAIN + (READ / GAIN) ** 2
    good = mask == 0
    return float(np.sum(((image - model) ** 2 / v)[good])), int(good.sum())


def minus_two_log_l(model):
    """-2 ln L of the Gaussian likelihood with the model's variance (less a constant): chi-square plus
    sum ln V, the statistic ours minimises."""
    v = (np.clip(model, 0, None) + SKY) / GAIN + (READ / GAIN) ** 2
    good = mask == 0
    return float(np.sum(((image - model) ** 2 / v + np.log(v))[good]))


out = root / "target" / "ngc3073_bulge_disk"
out.mkdir(parents=True, exist_ok=True)
model_file(out / "model.toml")
usage = lambda: (lambda u: u.ru_utime + u.ru_stime)(resource.getrusage(resource.RUSAGE_CHILDREN))


def ours_fit(name, extra):
    """Runs `galaxy fit --model` (with the options `extra`) into out/<name>.fits and out/<name>/: its
    estimates in Imfit's terms, its model image, its image blocks and its CPU seconds."""
    started = usage()
    subprocess.run(
        [str(root / "target" / "release" / "galaxy"), "fit", str(data / "n3073rss_small.fits"),
         "--psf", str(data / "psf_moffat_35_n4699z.fits"), "--psf-includes-pixel",
         "--mask", str(data / "n3073rss_small_mask.fits"), "--gain", str(GAIN), "--read-noise", str(READ),
         "--sky-level", str(SKY), "--threads", "1", "--model", str(out / "model.toml"),
         "--save-models", str(out / name), "-o", str(out / f"{name}.fits")] + extra,
        check=True, capture_output=True, text=True)
    seconds = usage() - started
    with fits.open(out / f"{name}.fits") as hdus:
        row = hdus[1].data[0]
    with fits.open(out / name / "n3073rss_small.fits") as block:
        model = block["MODEL"].data.astype(np.float64)
        blocks = {n: block[n].data.astype(np.float64) for n in ("DATA", "MODEL", "BULGE", "DISK", "RESIDUAL")}
    b_ell, d_ell = float(row["bulge_ellipticity"]), float(row["disk_ellipticity"])
    est = {"x0": row["x"], "y0": row["y"], "bulge_pa": row["bulge_position_angle"], "bulge_ell": b_ell,
           "bulge_n": row["bulge_sersic_index"],
           "bulge_r_e": row["bulge_half_light_radius_arcsec"] / scale / math.sqrt(1 - b_ell),
           "disk_pa": row["disk_position_angle"], "disk_ell": d_ell,
           "disk_h": row["disk_half_light_radius_arcsec"] / scale / math.sqrt(1 - d_ell) / 1.678347,
           "bulge_flux": row["bulge_flux"], "disk_flux": row["disk_flux"], "b_t": row["bulge_to_total"]}
    return est, model, blocks, seconds, row


# Ours three ways, each timed alone: by maximum likelihood (its default); minimising chi-square with the
# model's variance (Imfit's statistic with use_model_for_errors); and that again on Imfit's own model
# (--convolution discrete: each profile sampled at the pixel centres and summed over the PSF image's pixels,
# what Imfit computes without subsampling), the like-for-like test of the two fitters.
RUNS = [("ML", "ours", []),
        ("chi2", "ours_chi2", ["--statistic", "chi-square"]),
        ("chi2, discrete", "ours_discrete", ["--statistic", "chi-square", "--convolution", "discrete"])]
fits_of = {}
for label, name, extra in RUNS:
    est, model, blocks, seconds, row = ours_fit(name, extra)
    chi2, pixels = chi_square(model)
    fits_of[label] = dict(est=est, model=model, blocks=blocks, seconds=seconds, row=row, chi2=chi2)
ours, panels, row = fits_of["ML"]["est"], fits_of["ML"]["blocks"], fits_of["ML"]["row"]
print(f"NGC 3073, bulge (Sersic) + disk (exponential), shared centre; pyimfit {pyimfit.__version__}; same start; "
      f"{pixels} unmasked pixels")
for label, run in fits_of.items():
    print(f"ours ({label}): chi-square {run['chi2']:.4f}, -2 ln L {minus_two_log_l(run['model']):.2f}, "
          f"{run['seconds']:.2f} CPU s, status {run['row']['status']}, degenerate {bool(run['row']['degenerate'])}")
for statistic, subsampling, label in (
        ("data", True, "Imfit's default (chi-square, variance from the data)"),
        ("model", True, "Imfit, chi-square with the variance from the model"),
        ("model", False, "Imfit, chi-square with the variance from the model, no pixel subsampling "
                         "(every profile sampled at the pixel centres: the model of ours' --convolution discrete)")):
    theirs, their_model, seconds = imfit_fit(statistic, subsampling)
    their_chi2, _ = chi_square(their_model)
    print(f"\n{label}: chi-square {their_chi2:.4f}, -2 ln L {minus_two_log_l(their_model):.2f}, {seconds:.2f} CPU s")
    for run_label, run in fits_of.items():
        verdict = "equal or lower" if run["chi2"] <= their_chi2 * (1 + 1e-9) else "HIGHER"
        print(f"  ours ({run_label}): chi-square {run['chi2']:.4f} ({run['chi2'] - their_chi2:+.6f}: {verdict}); "
              f"Imfit's time {seconds / run['seconds']:.2f}x ours'")
    print(f"{'parameter':<11}{'Imfit':>13}{'± error':>11}{'allowed':>11}" +
          "".join(f"{'ours, ' + l:>17}{'|diff|':>10}" for l in fits_of) + "  agree")
    for name, (value, error) in theirs.items():
        allowed = max(3 * error if error else 0.0, 0.02 * abs(value))
        cells, agree = "", []
        for run in fits_of.values():
            mine = float(run["est"][name])
            diff = abs(mine - value)
            if name.endswith("_pa"):
                diff = min(diff, 180 - diff)
            cells += f"{mine:17.6g}{diff:10.3g}"
            agree.append("yes" if diff <= allowed else "NO")
        err = f"{error:11.4g}" if error else f"{'':>11}"
        print(f"{name:<11}{value:13.6g}{err}{allowed:11.4g}{cells}  {', '.join(agree)}")

if figure:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    masked = mask != 0
    fig, axes = plt.subplots(1, 5, figsize=(16, 4.4))
    top = np.percentile(panels["DATA"][~masked], 99.7)
    for ax, name, title in zip(axes, ["DATA", "MODEL", "BULGE", "DISK", "RESIDUAL"],
                               ["data", "model (bulge + disk) ⊗ PSF", f"bulge: n = {ours['bulge_n']:.2f}",
                                "disk (exponential)", "residual (masked grey)"]):
        shown = panels[name]
        if name == "RESIDUAL":
            sigma = np.sqrt((np.clip(panels["MODEL"], 0, None) + SKY) / GAIN + (READ / GAIN) ** 2)
            im = ax.imshow(np.ma.masked_where(masked, shown / sigma), origin="lower", cmap="RdBu_r", vmin=-5, vmax=5)
            fig.colorbar(im, ax=ax, fraction=0.046, label="(data - model) / sigma")
        else:
            ax.imshow(np.ma.masked_where(masked, np.arcsinh(shown / 20)), origin="lower", cmap="gray_r",
                      vmin=np.arcsinh(-1), vmax=np.arcsinh(top / 20))
        ax.set_facecolor("0.75")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([]); ax.set_yticks([])
    fig.suptitle(f"NGC 3073, SDSS r: galaxy fit --model, bulge + disk, B/T = {ours['b_t']:.3f}")
    fig.tight_layout()
    fig.savefig(figure, dpi=80)
    print(f"figure -> {figure}")
