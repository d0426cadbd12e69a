#!/usr/bin/env python3
"""Simulated cutouts for the Imfit comparison (bench/compare_imfit_cutouts.sh), made with GalSim 2.8.5.

    make_imfit_cutouts.py OUT_DIR [COUNT] [SEED]

COUNT (default 200) galaxies from the seed's prior (flux 1e5 x U(0.3, 4), n U(0.5, 6), hlr U(0.1, 0.6)",
|g| U(0, 0.67) at a uniform angle), each on its own square stamp of side U{48..96} pixels of 0.2", off the
stamp's true centre by U(-2, 2) pixels in x and y, seen through a Kolmogorov (FWHM 0.7") x Airy
(lambda/D 0.15") PSF sheared by (0.02, -0.03), drawn by GalSim with the pixel response; then a flat sky of
1.25e5 ADU is added, CCD noise applied (gain 2 e-/ADU, read noise 8 e-: GalSim's CCDNoise, Poisson on sky +
galaxy) and the sky subtracted again (noise sigma about 250 ADU, the seed's range; SNR about 10-150).

The stamps are laid into one field (cells of 100 x 100 pixels, 20 per row) so that one `galaxy fit --catalog`
measures them all; Imfit gets each stamp as its own array, cut from the same field. Writes:
  field.fits            the field (float64, WCS CDELT 0.2"), zeros between stamps
  psf_effective.fits    41 x 41 PSF with the pixel response (what GalSim's drawImage convolves with)
  psf_optical.fits      41 x 41 PSF without it (method='no_pixel'), for Imfit's pixel-subsampled model
  catalog.csv           id, x, y, size: each stamp's centre pixel (1-based) and side, so the stamp cut
                        around it is exactly the simulated one
  truth.csv             id, flux, sersic_index, half_light_radius (arcsec), g1, g2, x, y (1-based, field),
                        c0, r0 (0-based field column/row of the stamp's first pixel), size
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
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261129
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(seed)
grng = galsim.BaseDeviate(seed)

psf = galsim.Convolve(galsim.Kolmogorov(fwhm=0.7), galsim.Airy(lam_over_diam=0.15)).shear(g1=0.02, g2=-0.03)
psf_eff = psf.drawImage(nx=41, ny=41, scale=SCALE).array
psf_opt = psf.drawImage(nx=41, ny=41, scale=SCALE, method="no_pixel").array

rows_of_cells = (count + PER_ROW - 1) // PER_ROW
field = np.zeros((rows_of_cells * CELL, PER_ROW * CELL))
truth, catalog = [], []
big = galsim.GSParams(maximum_fft_size=16384)
for i in range(count):
    flux = 1e5 * rng.uniform(0.3, 4.0)
    n = rng.uniform(0.5, 6.0)
    hlr = rng.uniform(0.1, 0.6)
    g, beta = rng.uniform(0, 0.67), rng.uniform(0, math.pi)
    g1, g2 = g * math.cos(2 * beta), g * math.sin(2 * beta)
    size = int(rng.integers(48, 97))
    dx, dy = rng.uniform(-2, 2), rng.uniform(-2, 2)
    gal = galsim.Sersic(n=n, half_light_radius=hlr, flux=flux, gsparams=big).shear(g1=g1, g2=g2)
    image = galsim.Convolve(gal, psf, gsparams=big).drawImage(nx=size, ny=size, scale=SCALE, offset=(dx, dy))
    image.addNoise(galsim.CCDNoise(grng, sky_level=SKY, gain=GAIN, read_noise=READ_NOISE))
    r0, c0 = (i // PER_ROW) * CELL + 2, (i % PER_ROW) * CELL + 2
    field[r0:r0 + size, c0:c0 + size] = image.array
    centre = (size + 1) / 2  # GalSim's true centre, 1-based
    truth.append(dict(id=i + 1, flux=flux, sersic_index=n, half_light_radius=hlr, g1=g1, g2=g2,
                      x=c0 + centre + dx, y=r0 + centre + dy, c0=c0, r0=r0, size=size))
    catalog.append(dict(id=i + 1, x=c0 + size // 2 + 1, y=r0 + size // 2 + 1, size=size))

def write_fits(path, array, scale=None):
    """A float64 primary image, with a CDELT WCS when scale is given."""
    header = fits.Header()
    if scale:
        header.update(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CDELT1=-scale / 3600, CDELT2=scale / 3600)
    fits.PrimaryHDU(array.astype(np.float64), header=header).writeto(path, overwrite=True)

write_fits(out / "field.fits", field, SCALE)
write_fits(out / "psf_effective.fits", psf_eff)
write_fits(out / "psf_optical.fits", psf_opt)
for name, rows in (("truth.csv", truth), ("catalog.csv", catalog)):
    with open(out / name, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
print(f"{count} stamps in {out}/field.fits ({field.shape[1]} x {field.shape[0]} pixels)")
