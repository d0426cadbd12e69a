"""Accuracy of catalogues against the truth of a stamps file: RMSE, bias and 1-sigma coverage per parameter.

    psf_network_table.py STAMPS.npz NAME=CATALOG.csv [NAME=CATALOG.csv ...]

STAMPS.npz holds the truth (label [N, 5]: flux, n, hlr, g1, g2; offset [N, 2]: dx, dy in pixels), as
bench/make_psf_family_stamps.py writes it. Each CATALOG is a `galaxy predict` or `galaxy fit` catalogue of a
FITS cube of those stamps (columns x, y in FITS pixels, flux, sersic_index, half_light_radius_arcsec, g1,
g2 and their *_err), or a `galaxy predict` table of the .npz (flux ... g2, dx_pixels, dy_pixels and errors).
Prints one table per parameter (flux in units of 1e5), then, for catalogues with `iterations` and
`converged` columns (fits), the mean iterations, and for every pair of fits the largest and median
|difference| / error over the galaxies both fits converged on.
"""
import csv
import sys

import numpy as np

PARAMS = [
    ("flux/1e5", "flux", 1e-5),
    ("n", "sersic_index", 1.0),
    ("hlr", "half_light_radius_arcsec", 1.0),
    ("g1", "g1", 1.0),
    ("g2", "g2", 1.0),
    ("dx px", "dx", 1.0),
    ("dy px", "dy", 1.0),
]


def read(path, size):
    with open(path) as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))]
    header, body = rows[0], rows[1:]
    def number(cell):
        if cell in ("true", "false"):
            return float(cell == "true")
        try:
            return float(cell)
        except ValueError:  # text columns (id, status)
            return float("nan")

    cols = {name: np.array([number(r[k]) for r in body]) for k, name in enumerate(header)}
    if "half_light_radius_arcsec" not in cols and "half_light_radius" in cols:
        cols["half_light_radius_arcsec"] = cols["half_light_radius"]
        cols["half_light_radius_arcsec_err"] = cols.get("half_light_radius_err")
    centre = (size - 1) / 2 + 1  # FITS pixel coordinates of a stamp's true centre
    if "x" in cols:
        cols["dx"], cols["dy"] = cols["x"] - centre, cols["y"] - centre
        cols["dx_err"], cols["dy_err"] = cols["x_err"], cols["y_err"]
    elif "dx_pixels" in cols:
        cols["dx"], cols["dy"] = cols["dx_pixels"], cols["dy_pixels"]
        cols["dx_err"], cols["dy_err"] = cols["dx_pixels_err"], cols["dy_pixels_err"]
    return cols


def main():
    stamps = np.load(sys.argv[1])
    label, offset = stamps["label"].astype(float), stamps["offset"].astype(float)
    size = stamps["img"].shape[1]
    truth = {"flux": label[:, 0], "sersic_index": label[:, 1], "half_light_radius_arcsec": label[:, 2],
             "g1": label[:, 3], "g2": label[:, 4], "dx": offset[:, 0], "dy": offset[:, 1]}
    cats = [(arg.split("=", 1)[0], read(arg.split("=", 1)[1], size)) for arg in sys.argv[2:]]
    n = len(label)
    print(f"{n} stamps; RMSE / bias / fraction within 1 sigma (all stamps)")
    print(f"{'parameter':<10}" + "".join(f"{name:>32}" for name, _ in cats))
    for shown, key, unit in PARAMS:
        line = f"{shown:<10}"
        for _, c in cats:
            if key not in c:
                line += f"{'-':>32}"
                continue
            d = (c[key] - truth[key]) * unit
            rmse, bias = np.sqrt(np.mean(d**2)), np.mean(d)
            err = c.get(key + "_err")
            cover = np.mean(np.abs(d) < err * unit) if err is not None else float("nan")
            line += f"{rmse:>12.4f} {bias:>+9.4f} {cover:>9.3f}"
        print(line)
    if len(cats) > 1:
        base = cats[-1]
        for name, c in cats[:-1]:
            ratios = []
            for shown, key, unit in PARAMS[:5]:
                if key in c and key in base[1]:
                    r = np.sqrt(np.mean((c[key] - truth[key]) ** 2)) / np.sqrt(np.mean((base[1][key] - truth[key]) ** 2))
                    ratios.append(f"{shown} {r:.3f}")
            print(f"RMSE of {name} / {base[0]}: " + ", ".join(ratios))
    fits = [(name, c) for name, c in cats if "iterations" in c]
    for name, c in fits:
        print(f"{name}: mean iterations {np.mean(c['iterations']):.2f}, converged {int(np.sum(c['converged']))}/{n}")
    for i in range(len(fits)):
        for j in range(i + 1, len(fits)):
            (a, ca), (b, cb) = fits[i], fits[j]
            both = (ca["converged"] > 0) & (cb["converged"] > 0)
            worst = []
            for shown, key, _ in PARAMS:
                err = np.minimum(ca[key + "_err"], cb[key + "_err"])
                z = np.abs(ca[key] - cb[key])[both] / err[both]
                worst.append(f"{shown} max {np.max(z):.4f} median {np.median(z):.5f}")
            print(f"{a} vs {b}, {int(both.sum())} converged in both, |difference| / error: " + "; ".join(worst))


if __name__ == "__main__":
    main()
