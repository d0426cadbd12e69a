"""Stamps whose PSFs come from a family no network of ours was trained on: GalSim OpticalPSF with random
low-order aberrations convolved with Kolmogorov seeing, galaxies off centre, Poisson + Gaussian noise.

    make_psf_family_stamps.py OUT_DIR [COUNT (default 2000)] [SEED (default 23)] [--float32]

Galaxies follow the seed's prior (n ~ U(0.5, 6), hlr ~ U(0.1, 0.6)", |g| ~ U(0, 0.67) at a uniform angle,
flux 1e5 x U(0.3, 4)), each offset by U(-2, 2) pixels in x and in y from the stamp's true centre. The PSF is
Kolmogorov(fwhm ~ U(0.35, 1.0)") convolved with OpticalPSF(lam_over_diam ~ U(0.04, 0.1)", obscuration 0.3,
defocus, astigmatism, coma and trefoil each ~ N(0, 0.15) waves), sheared by |g_psf| ~ U(0, 0.05); its
effective image (pixel included) is drawn on the stamp's grid. Noise: Poisson on the drawn counts, then
Gaussian with sigma ~ U(100, 600); draws outside the seed's window 10 <= SNR <= 100 are redrawn.

Writes, in OUT_DIR:
  stamps.npz   the seed's layout (img, img_nonoise, label [N, 5], psf_r, psf_img [N, 64, 64], snr, sigma) plus
               offset [N, 2] (dx, dy in pixels, GalSim's drawImage(offset=...)); psf_r is the PSF's FWHM as
               GalSim measures it on its drawn image.
  cube.fits    the noisy stamps as a FITS cube (CDELT = 0.23"), for `galaxy fit`;
  psfs.fits    the effective PSF images, one plane per stamp (`--psf psfs.fits --psf-includes-pixel`);
  variance.fits the exact variance of each pixel, sigma^2 + the noiseless counts (`--variance`).
The FITS files hold float64, or float32 with --float32 (half the size: the test fixtures).
"""
import pathlib
import sys

import galsim
import numpy as np
from astropy.io import fits

SIZE, SCALE = 64, 0.23


def main():
    args = [a for a in sys.argv[1:] if a != "--float32"]
    real = np.float32 if "--float32" in sys.argv else np.float64
    out = pathlib.Path(args[0])
    count = int(args[1]) if len(args) > 1 else 2000
    seed = int(args[2]) if len(args) > 2 else 23
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {k: [] for k in ["img", "img_nonoise", "label", "psf_r", "psf_img", "snr", "sigma", "offset"]}
    tries = 0
    while len(arrays["img"]) < count:
        tries += 1
        n = rng.uniform(0.5, 6.0)
        hlr = rng.uniform(0.1, 0.6)
        a, angle = rng.uniform(0, 0.67), rng.uniform(0, np.pi)
        g1, g2 = a * np.cos(2 * angle), a * np.sin(2 * angle)
        flux = 1e5 * rng.uniform(0.3, 4.0)
        dx, dy = rng.uniform(-2, 2, size=2)
        sigma = rng.uniform(100, 600)
        aberrations = rng.normal(0, 0.15, size=8)
        optical = galsim.OpticalPSF(
            lam_over_diam=rng.uniform(0.04, 0.1),
            obscuration=0.3,
            defocus=aberrations[0],
            astig1=aberrations[1],
            astig2=aberrations[2],
            coma1=aberrations[3],
            coma2=aberrations[4],
            trefoil1=aberrations[5],
            trefoil2=aberrations[6],
            spher=aberrations[7] / 3,
        )
        psf_g, psf_angle = rng.uniform(0, 0.05), rng.uniform(0, np.pi)
        psf = galsim.Convolve(galsim.Kolmogorov(fwhm=rng.uniform(0.35, 1.0)), optical).shear(
            g1=psf_g * np.cos(2 * psf_angle), g2=psf_g * np.sin(2 * psf_angle)
        )
        galaxy = galsim.Sersic(n=n, half_light_radius=hlr, flux=flux).shear(g1=g1, g2=g2)
        clean = galsim.Convolve(galaxy, psf).drawImage(nx=SIZE, ny=SIZE, scale=SCALE, offset=(dx, dy)).array
        snr = np.sqrt(np.sum(clean**2)) / sigma
        if not 10 <= snr <= 100:
            continue
        noise_rng = np.random.default_rng(rng.integers(2**63))
        noisy = noise_rng.poisson(np.clip(clean, 0, None)).astype(np.float64) + noise_rng.normal(0, sigma, clean.shape)
        psf_image = psf.drawImage(nx=SIZE, ny=SIZE, scale=SCALE)
        arrays["img"].append(noisy)
        arrays["img_nonoise"].append(clean)
        arrays["label"].append([flux, n, hlr, g1, g2])
        arrays["psf_r"].append(psf_image.calculateFWHM())
        arrays["psf_img"].append(psf_image.array / psf_image.array.sum())
        arrays["snr"].append(snr)
        arrays["sigma"].append(sigma)
        arrays["offset"].append([dx, dy])
        if len(arrays["img"]) % 200 == 0:
            print(f"{len(arrays['img'])} stamps ({tries} draws)", file=sys.stderr)
    data = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
    np.savez(out / "stamps.npz", **data)
    wcs = fits.Header()
    wcs["CDELT1"], wcs["CDELT2"] = -SCALE / 3600, SCALE / 3600
    fits.writeto(out / "cube.fits", data["img"].astype(real), wcs, overwrite=True)
    fits.writeto(out / "psfs.fits", data["psf_img"].astype(real), overwrite=True)
    variance = data["sigma"][:, None, None].astype(np.float64) ** 2 + np.clip(data["img_nonoise"], 0, None)
    fits.writeto(out / "variance.fits", variance.astype(real), wcs, overwrite=True)
    print(
        f"{count} stamps ({tries} draws, {tries - count} outside 10 <= SNR <= 100) -> {out}; "
        f"PSF FWHM {data['psf_r'].min():.2f}-{data['psf_r'].max():.2f}\", median {np.median(data['psf_r']):.2f}\""
    )


if __name__ == "__main__":
    main()
