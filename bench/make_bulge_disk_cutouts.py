#!/usr/bin/env python3
"""Simulated bulge + disk galaxies for the Imfit comparison (bench/compare_imfit_bulge_disk.sh), made with
GalSim 2.8.5.

    make_bulge_disk_cutouts.py OUT_DIR [COUNT] [SEED]

Each galaxy (COUNT, default 200) is a Sérsic bulge plus an exponential disk (n = 1) sharing a centre: the
bulge's n is 4 for the first half and U(1.5, 5) for the second; the disk's half-light radius U(0.5, 1.2)", the
bulge's U(0.15, 0.6) of it; each component its own ellipticity (|g| U(0, 0.15) for the bulge, U(0, 0.6) for
the disk) and position angle (uniform); B/T U(0.1, 0.9); the SNR (sqrt(sum I^2) / sigma) log-uniform in
[30, 300], which sets the total flux. Each sits on its own square stamp of side U{64..96} pixels of 0.2", off
the stamp's true centre by U(-1.5, 1.5) pixels, seen through the Kolmogorov (FWHM 0.7") x Airy (lambda/D
0.15") PSF of make_imfit_cutouts.py drawn with the pixel; a flat sky of 1.25e5 ADU is added, CCD noise
applied (gain 2 e-/ADU, read noise 8 e-) and the sky subtracted again (sigma about 250 ADU).

Writes field.fits (stamps laid in cells of 100 x 100 pixels, 20 per row), psf_effective.fits (41 x 41, with
the pixel), catalog.csv (id, x, y, size) and truth.csv (id, bulge_flux, bulge_sersic_index,
bulge_half_light_radius, bulge_g1, bulge_g2, disk_flux, disk_half_light_radius, disk_g1, disk_g2,
bulge_to_total, snr, x, y, c0, r0, size).
"""
import csv
import math
import pathlib
import sys

import galsim
import numpy as np
from astropy.io import fits

SCALE, SKY, GAIN, READ_NOISE, CELL, PER_ROW = 0.2, 1.25e5, 2.0, 8.0, 100, 20

out = pathlib.Path(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261130
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(seed)
grng = galsim.BaseDeviate(seed)
sigma = math.sqrt(SKY / GAIN + (READ_NOISE / GAIN) ** 2)

psf = galsim.Convolve(galsim.Kolmogorov(fwhm=0.7), galsim.Airy(lam_over_diam=0.15)).shear(g1=0.02, g2=-0.03)
psf_eff = psf.drawImage(nx=41, ny=41, scale=SCALE).array
big = galsim.GSParams(maximum_fft_size=16384)


def shear():
    return rng.uniform(0, math.pi)


rows_of_cells = (count + PER_ROW - 1) // PER_ROW
field = np.zeros((rows_of_cells * CELL, PER_ROW * CELL))
truth, catalog = [], []
for i in range(count):
    n_b = 4.0 if i < count // 2 else rng.uniform(1.5, 5.0)
    hlr_d = rng.uniform(0.5, 1.2)
    hlr_b = hlr_d * rng.uniform(0.15, 0.6)
    gb, ab = rng.uniform(0, 0.15), rng.uniform(0, math.pi)
    gd, ad = rng.uniform(0, 0.6), rng.uniform(0, math.pi)
    b_g1, b_g2 = gb * math.cos(2 * ab), gb * math.sin(2 * ab)
    d_g1, d_g2 = gd * math.cos(2 * ad), gd * math.sin(2 * ad)
    bt = rng.uniform(0.1, 0.9)
    snr = math.exp(rng.uniform(math.log(30), math.log(300)))
    size = int(rng.integers(64, 97))
    dx, dy = rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)
    bulge = galsim.Sersic(n=n_b, half_light_radius=hlr_b, flux=bt, gsparams=big).shear(g1=b_g1, g2=b_g2)
    disk = galsim.Exponential(half_light_radius=hlr_d, flux=1 - bt, gsparams=big).shear(g1=d_g1, g2=d_g2)
    unit = galsim.Convolve(bulge + disk, psf, gsparams=big).drawImage(nx=size, ny=size, scale=SCALE,
                                                                       offset=(dx, dy))
    flux = snr * sigma / math.sqrt((unit.array ** 2).sum())
    image = unit * flux
    image.addNoise(galsim.CCDNoise(grng, sky_level=SKY, gain=GAIN, read_noise=READ_NOISE))
    r0, c0 = (i // PER_ROW) * CELL + 2, (i % PER_ROW) * CELL + 2
    field[r0:r0 + size, c0:c0 + size] = image.array
    centre = (size + 1) / 2
    truth.append(dict(id=i + 1, bulge_flux=bt * flux, bulge_sersic_index=n_b, bulge_half_light_radius=hlr_b,
                      bulge_g1=b_g1, bulge_g2=b_g2, disk_flux=(1 - bt) * flux, disk_half_light_radius=hlr_d,
                      disk_g1=d_g1, disk_g2=d_g2, bulge_to_total=bt, snr=snr,
                      x=c0 + centre + dx, y=r0 + centre + dy, c0=c0, r0=r0, size=size))
    catalog.append(dict(id=i + 1, x=c0 + size // 2 + 1, y=r0 + size // 2 + 1, size=size))


def write_fits(path, array, scale=None):
    header = fits.Header()
    if scale:
        header.update(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CDELT1=-scale / 3600, CDELT2=scale / 3600)
    fits.PrimaryHDU(array.astype(np.float64), header=header).writeto(path, overwrite=True)


write_fits(out / "field.fits", field, SCALE)
write_fits(out / "psf_effective.fits", psf_eff)
for name, rows in (("truth.csv", truth), ("catalog.csv", catalog)):
    with open(out / name, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
print(f"{count} bulge + disk stamps in {out}/field.fits ({field.shape[1]} x {field.shape[0]} pixels)")
