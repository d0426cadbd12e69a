#!/usr/bin/env python3
"""Times GalSim drawing 64x64 Sersic x Moffat(beta=2) stamps, one thread, as the Rust benchmark does.

Galaxies come from the seed's prior (continuous n in [0.5, 6], hlr in [0.1, 0.6], |g| < 0.67,
flux 3e4..4e5), PSF FWHM 0.5". Cases:
  varying_n   a new n for every image (GalSim builds a new Hankel table for each)
  repeated_n  n = 3 for every image (GalSim's cached case)
Prints one line per case: "<case> <seconds per image>".
"""
import sys, time, math
import numpy as np
import galsim

def prior(count, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        a = rng.uniform(0, 0.67); b = rng.uniform(0, math.pi)
        out.append((1e5 * rng.uniform(0.3, 4), rng.uniform(0.5, 6), rng.uniform(0.1, 0.6),
                    a * math.cos(2 * b), a * math.sin(2 * b)))
    return out

def draw(flux, n, hlr, g1, g2, psf):
    gal = galsim.Sersic(n, half_light_radius=hlr).withFlux(flux).shear(g1=g1, g2=g2)
    img = galsim.ImageF(64, 64, scale=0.23)
    galsim.Convolve([psf, gal]).drawImage(image=img)
    return img

def time_case(gals, psf, min_seconds):
    draw(*gals[0], psf)  # warm-up
    count, start = 0, time.perf_counter()
    while True:
        draw(*gals[count % len(gals)], psf)
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed > min_seconds and count >= 10:
            return elapsed / count

if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    psf = galsim.Moffat(beta=2, fwhm=0.5)
    gals = prior(2000, 1)
    print("varying_n %.6e" % time_case(gals, psf, seconds))
    fixed = [(f, 3.0, h, a, b) for (f, n, h, a, b) in gals]
    print("repeated_n %.6e" % time_case(fixed, psf, seconds))
