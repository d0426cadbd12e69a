#!/usr/bin/env python3
"""Times GalSim drawing 64x64 Sersic galaxies through a 41x41 effective PSF image, one thread, as the Rust
benchmark `pixel_psf_64` (crates/sersic-render/benches/pixel_psf.rs) does, and writes that PSF image.

    galsim_pixel_psf_bench.py PSF.npy [seconds-per-case]

The PSF is GalSim's Kolmogorov (FWHM 0.7") convolved with an Airy (lambda/D 0.08"), sheared by g1 = 0.03,
drawn with the pixel on 41 x 41 pixels of 0.23" (an effective PSF, as PSFEx or Piff give), float32, unit
sum: it is written to PSF.npy for the Rust benchmark, which reads the very same pixels. GalSim is handed
it as a careful user would: InterpolatedImage(quintic), built once and reused, default GSParams. Galaxies
follow the seed's prior (n in [0.5, 6] changing every image, hlr in [0.1, 0.6], |g| < 0.67, flux
3e4..4e5), each off centre by U(-1.5, 1.5) pixels, drawn with method='no_pixel'. Cases:
  interpolated_varying_n  through the PSF image
  moffat_varying_n        through a Moffat(beta = 2, FWHM 0.7") with the pixel, for reference
Prints one line per case: "<case> <seconds per image>".
"""
import math
import sys
import time

import galsim
import numpy as np


def prior(count, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        a, b = rng.uniform(0, 0.67), rng.uniform(0, math.pi)
        out.append((1e5 * rng.uniform(0.3, 4), rng.uniform(0.5, 6), rng.uniform(0.1, 0.6),
                    a * math.cos(2 * b), a * math.sin(2 * b), rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)))
    return out


def draw(params, psf, method):
    flux, n, hlr, g1, g2, dx, dy = params
    gal = galsim.Sersic(n, half_light_radius=hlr).withFlux(flux).shear(g1=g1, g2=g2)
    img = galsim.ImageF(64, 64, scale=0.23)
    galsim.Convolve([gal, psf]).drawImage(image=img, method=method, offset=(dx, dy))
    return img


def time_case(gals, psf, method, min_seconds):
    draw(gals[0], psf, method)  # warm-up
    count, start = 0, time.perf_counter()
    while True:
        draw(gals[count % len(gals)], psf, method)
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed > min_seconds and count >= 10:
            return elapsed / count


def main():
    out = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    profile = galsim.Convolve(galsim.Kolmogorov(fwhm=0.7), galsim.Airy(lam_over_diam=0.08)).shear(g1=0.03)
    image = galsim.ImageD(41, 41, scale=0.23)
    profile.drawImage(image=image)
    pixels = (image.array / image.array.sum()).astype(np.float32)
    np.save(out, pixels)
    ii = galsim.InterpolatedImage(galsim.ImageD(pixels.astype(np.float64), scale=0.23), x_interpolant="quintic")
    gals = prior(2000, 19)
    print("interpolated_varying_n %.6e" % time_case(gals, ii, "no_pixel", seconds))
    print("moffat_varying_n %.6e" % time_case(gals, galsim.Moffat(beta=2, fwhm=0.7), "auto", seconds))


if __name__ == "__main__":
    main()
