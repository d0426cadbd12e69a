#!/usr/bin/env python3
"""Imfit (pyimfit 1.1) on the bulge + disk stamps of make_bulge_disk_cutouts.py, beside `galaxy fit --model
sersic+exponential`'s catalogue of the same field, in the same run: RMSE to the truth of B/T, each size and
each shape, and fits per CPU second. Ours runs twice: maximum likelihood (its default; DIR/ours.csv) and
with weak priors, `--shape-prior 0.3 --bulge-inside` (DIR/ours_priors.csv).

    compare_imfit_bulge_disk.py DIR GALAXY_BINARY [--reuse-imfit] [--all-splits]

Imfit is set up as a careful user would, the same way ours works: a single Sérsic first (started from the
stamp's moments as SExtractor would: centroid, PSF-corrected adaptive moments for r_e, ell and PA, the flux
within three moment radii; n = 2.5), then Sérsic bulge + exponential disk with a shared centre started from it
split by n (the bulge takes a share (n - 1)/3 of the flux, clamped to [0.1, 0.9], half the radius and half the
ellipticity; the disk the rest at 1.2 times the radius). With --all-splits Imfit is also started from the
splits 0.2, 0.5 and 0.8 and the fit of lowest chi-square is kept, as ours scouts those four splits (8
iterations each) before the best runs on; that costs Imfit about 4x its time. Imfit gets the effective PSF image, subsampling
off (the profile sampled at pixel centres through a PSF that holds the pixel: the exact model of these
stamps, and ours), its model-based variance (use_model_for_errors: gain 2, read noise 8 e-, subtracted sky
1.25e5 ADU) and one thread. Time is CPU time: Imfit's fits alone (two worker processes share the stamps, each
fit timed in its own process), ours each whole `galaxy fit --threads 1`, run after Imfit. Imfit's estimates and
times go to DIR/imfit.csv; --reuse-imfit reads them from there instead of fitting again (the run then says so).
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
from imfit_starts import from_imfit as _from_imfit, image_start as _image_start, sersic_i_e  # noqa: E402
SCALE, SKY, GAIN, READ_NOISE = 0.2, 1.25e5, 2.0, 8.0
root = pathlib.Path(sys.argv[1])
binary = sys.argv[2]
field = fits.getdata(root / "field.fits").astype(np.float64)
psf = fits.getdata(root / "psf_effective.fits").astype(np.float64)
truth = list(csv.DictReader(open(root / "truth.csv")))
# Imfit from the split by n alone (the recipe for a start), or --all-splits: also from 0.2, 0.5, 0.8,
# keeping the lowest chi-square (as ours scouts them; about 4x Imfit's time).
ALL_SPLITS = "--all-splits" in sys.argv


def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def from_imfit(ell, pa, r_major):
    return _from_imfit(ell, pa, r_major, SCALE)


def image_start(stamp):
    return _image_start(stamp, psf, 0.0)


def run(model, stamp):
    imfit = pyimfit.Imfit(model, psf=psf, maxThreads=1, subsampling=False)
    try:
        imfit.fit(stamp, gain=GAIN, read_noise=READ_NOISE, original_sky=SKY, use_model_for_errors=True)
    except Exception:
        return None
    return imfit if imfit.fitConverged else None


def single(stamp, size):
    x, y, ell, pa, r_e, flux = image_start(stamp)
    model = pyimfit.SimpleModelDescription()
    model.x0.setValue(x, [x - 5, x + 5])
    model.y0.setValue(y, [y - 5, y + 5])
    s = pyimfit.make_imfit_function("Sersic")
    s.PA.setValue(pa, [pa - 90, pa + 90])
    s.ell.setValue(min(ell, 0.9), [0, 0.95])
    s.n.setValue(2.5, [0.3, 6.2])
    r_e = min(max(r_e, 0.5), size)
    s.I_e.setValue(sersic_i_e(flux, 2.5, r_e, 1 - min(ell, 0.9)), [0, 1e4 * flux])
    s.r_e.setValue(r_e, [0.05, 2 * size])
    model.addFunction(s)
    return run(model, stamp)


def bulge_disk(stamp, size, p, flux, share):
    x, y = p["X0_1"], p["Y0_1"]
    n, r_e, ell, pa = p["n_1"], p["r_e_1"], p["ell_1"], p["PA_1"]
    model = pyimfit.SimpleModelDescription()
    model.x0.setValue(x, [x - 5, x + 5])
    model.y0.setValue(y, [y - 5, y + 5])
    bulge = pyimfit.make_imfit_function("Sersic", label="bulge")
    b_ell, b_re = min(0.5 * ell, 0.9), max(0.5 * r_e, 0.1)
    bulge.PA.setValue(pa, [pa - 90, pa + 90])
    bulge.ell.setValue(b_ell, [0, 0.95])
    bulge.n.setValue(4.0, [0.3, 6.2])
    bulge.I_e.setValue(sersic_i_e(share * flux, 4.0, b_re, 1 - b_ell), [0, 1e6 * flux])
    bulge.r_e.setValue(b_re, [0.05, 2 * size])
    disk = pyimfit.make_imfit_function("Exponential", label="disk")
    d_ell, h = min(ell, 0.9), max(1.2 * r_e / 1.678347, 0.1)
    disk.PA.setValue(pa, [pa - 90, pa + 90])
    disk.ell.setValue(d_ell, [0, 0.95])
    disk.I_0.setValue((1 - share) * flux / (2 * math.pi * (1 - d_ell) * h * h), [0, 1e6 * flux])
    disk.h.setValue(h, [0.05, 2 * size])
    model.addFunction(bulge)
    model.addFunction(disk)
    return run(model, stamp)


def imfit_one(t):
    size, c0, r0 = int(t["size"]), int(t["c0"]), int(t["r0"])
    stamp = field[r0:r0 + size, c0:c0 + size]
    started = time.process_time()
    first = single(stamp, size)
    if first is None:
        return None, time.process_time() - started
    p = dict(zip(first.numberedParameterNames, first.getRawParameters()))
    flux = float(first.getModelFluxes()[0])
    split = min(max((p["n_1"] - 1) / 3, 0.1), 0.9)
    shares = [split] + [f for f in (0.2, 0.5, 0.8) if abs(f - split) > 0.05] if ALL_SPLITS else [split]
    done = [f for f in (bulge_disk(stamp, size, p, flux, s) for s in shares) if f is not None]
    seconds = time.process_time() - started
    if not done:
        return None, seconds
    best = min(done, key=lambda f: f.fitStatistic)
    q = dict(zip(best.numberedParameterNames, best.getRawParameters()))
    fluxes = best.getModelFluxes()[1]
    b_hlr, b_g1, b_g2 = from_imfit(q["ell_1"], q["PA_1"], q["r_e_1"])
    d_hlr, d_g1, d_g2 = from_imfit(q["ell_2"], q["PA_2"], 1.678347 * q["h_2"])
    return dict(bulge_to_total=float(fluxes[0] / (fluxes[0] + fluxes[1])), bulge_sersic_index=q["n_1"],
                bulge_half_light_radius=b_hlr, bulge_g1=b_g1, bulge_g2=b_g2, disk_half_light_radius=d_hlr,
                disk_g1=d_g1, disk_g2=d_g2, flux=float(fluxes[0] + fluxes[1])), seconds


FIELDS = ["id", "seconds", "bulge_to_total", "bulge_sersic_index", "bulge_half_light_radius", "bulge_g1",
          "bulge_g2", "disk_half_light_radius", "disk_g1", "disk_g2", "flux"]
cache = root / "imfit.csv"
if "--reuse-imfit" in sys.argv and cache.exists():
    print(f"(Imfit's fits and CPU times read from {cache}, made by an earlier run of this script)")
else:
    import multiprocessing
    # Two worker processes (the machine's two cores); each fit's CPU time is its own process's.
    with multiprocessing.Pool(2) as pool, open(cache, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for t, (est, seconds) in zip(truth, pool.imap(imfit_one, truth)):
            w.writerow(dict(id=t["id"], seconds=seconds, **(est or {})))
            f.flush()
imfit_fits, imfit_seconds = {}, 0.0
for r in csv.DictReader(open(cache)):
    imfit_seconds += float(r["seconds"])
    if r["bulge_to_total"]:
        imfit_fits[r["id"]] = {k: float(v) for k, v in r.items() if k not in ("id", "seconds")}
if len(list(csv.DictReader(open(cache)))) != len(truth):
    sys.exit(f"{cache} does not hold one row per galaxy: run without --reuse-imfit")

# Ours twice, each timed alone: maximum likelihood (the default), and with the weak priors
# (--shape-prior 0.3 --bulge-inside) that keep what the image cannot constrain near round and the bulge
# inside its disk.
VARIANTS = [("ours (ML)", "ours.csv", []),
            ("ours (priors)", "ours_priors.csv", ["--shape-prior", "0.3", "--bulge-inside"])]


def ours_est(r):
    return dict(bulge_to_total=float(r["bulge_to_total"]), bulge_sersic_index=float(r["bulge_sersic_index"]),
                bulge_half_light_radius=float(r["bulge_half_light_radius_arcsec"]), bulge_g1=float(r["bulge_g1"]),
                bulge_g2=float(r["bulge_g2"]), disk_half_light_radius=float(r["disk_half_light_radius_arcsec"]),
                disk_g1=float(r["disk_g1"]), disk_g2=float(r["disk_g2"]), flux=float(r["flux"]))


count = len(truth)
print(f"{count} GalSim bulge + disk stamps (64-96 px at 0.2\", B/T 0.1-0.9, SNR 30-300, offsets up to 1.5 px, "
      f"Kolmogorov x Airy PSF image), one core each")
print(f"  Imfit: {len(imfit_fits)} converged of {count}; {count / imfit_seconds:.3f} fits per CPU second "
      f"({1e3 * imfit_seconds / count:.0f} ms per galaxy, fits alone)")
runs = []
for label, out, extra in VARIANTS:
    before = child_cpu()
    subprocess.run([binary, "fit", str(root / "field.fits"), "--catalog", str(root / "catalog.csv"),
                    "--psf", str(root / "psf_effective.fits"), "--psf-includes-pixel", "--gain", str(GAIN),
                    "--read-noise", str(READ_NOISE), "--sky-level", str(SKY), "--threads", "1",
                    "--model", "sersic+exponential", "-o", str(root / out)] + extra, check=True)
    seconds = child_cpu() - before
    rows = {r["id"]: r for r in csv.DictReader(open(root / out))}
    ok = {i: ours_est(r) for i, r in rows.items() if r["converged"] == "true"}
    degenerate = sum(1 for r in rows.values() if r["degenerate"] == "true")
    print(f"  {label}: {len(ok)} converged of {count} ({degenerate} flagged degenerate); "
          f"{count / seconds:.2f} fits per CPU second ({1e3 * seconds / count:.0f} ms per galaxy, whole command); "
          f"{imfit_seconds / seconds:.1f}x faster per core than Imfit")
    runs.append((label, ok))
truth_by = {t["id"]: t for t in truth}
for t in truth:
    t["flux"] = float(t["bulge_flux"]) + float(t["disk_flux"])
common = sorted(set(imfit_fits).intersection(*[set(ok) for _, ok in runs]), key=int)
print(f"\nRMSE to the truth over the {len(common)} galaxies all fitted:")
print(f"  {'parameter':<26}" + "".join(f" {label:>14}" for label, _ in runs) + f" {'Imfit':>12}"
      + "".join(f"  {label + '/Imfit':>20}" for label, _ in runs))
for name in ["bulge_to_total", "bulge_half_light_radius", "disk_half_light_radius", "bulge_g1", "bulge_g2",
             "disk_g1", "disk_g2", "flux", "bulge_sersic_index"]:
    def rmse(est):
        d = [est[i][name] - float(truth_by[i][name]) for i in common]
        return math.sqrt(sum(v * v for v in d) / len(d))
    ours_rmse = [rmse(ok) for _, ok in runs]
    b = rmse(imfit_fits)
    print(f"  {name:<26}" + "".join(f" {a:14.5g}" for a in ours_rmse) + f" {b:12.5g}"
          + "".join(f"  {a / b:20.3f}" for a in ours_rmse))
