#!/usr/bin/env python3
"""GalSim 2.8.5 doing the seed's generator work, one thread: the competitor of `galaxy generate`.

Usage: galsim_generate_bench.py PRESET COUNT [SEED]    PRESET: data_v1 | data_v3 | data_v3_continuous

Per accepted sample, as the seed's script did: draw the labels from the prior, draw Sersic x Moffat(beta=2)
with drawImage defaults, compute SNR = sqrt(sum img^2)/sigma and reject outside [10, 100], add
PoissonNoise(sky_level=0) then GaussianNoise(sigma), and draw the PSF image (per sample when it varies,
once otherwise). Arrays are kept in memory (the seed saved them with np.savez at the end; not timed).
Prints one line: "<preset> <accepted> <rejected> <seconds> <images/s>".
"""
import sys, time
import numpy as np
import galsim

SIZE, SCALE = 64, 0.23


def main(preset, count, seed):
    rng = np.random.default_rng(seed)
    ns = np.linspace(0.5, 6, 1000)
    n_values = np.tile(ns, count // 1000 + 1)
    rng.shuffle(n_values)  # tiled then shuffled, as the seed's sets; then the first `count`
    n_values = n_values[:count]
    varying_psf = preset.startswith("data_v3")
    fixed_psf_img = None
    imgs, cleans, psfs, labels, snrs = [], [], [], [], []
    accepted = rejected = 0
    t0 = time.perf_counter()
    while accepted < count:
        n = rng.uniform(0.5, 6) if preset == "data_v3_continuous" else n_values[accepted]
        hlr = rng.uniform(0.1, 0.6)
        a = rng.uniform(0, 0.67); beta = rng.uniform(0, 3.14)
        g1, g2 = a * np.cos(2 * beta), a * np.sin(2 * beta)
        flux = 1e5 * rng.uniform(0.3, 4)
        fwhm = rng.uniform(0.5, 1.0) if varying_psf else 0.5
        sigma = float(rng.integers(200, 401)) if preset != "data_v1" else 200.0
        gal = galsim.Sersic(n, half_light_radius=hlr).withFlux(flux).shear(g1=g1, g2=g2)
        psf = galsim.Moffat(beta=2, flux=1.0, fwhm=fwhm)
        img = galsim.ImageF(SIZE, SIZE, scale=SCALE)
        galsim.Convolve([psf, gal]).drawImage(image=img)
        snr = np.sqrt((img.array.astype(np.float64) ** 2).sum()) / sigma
        if not (10 <= snr <= 100):
            rejected += 1
            continue
        cleans.append(img.array.copy())
        dev = galsim.BaseDeviate(int(rng.integers(1, 2**31)))
        img.addNoise(galsim.PoissonNoise(dev, sky_level=0.0))
        img.addNoise(galsim.GaussianNoise(dev, sigma=sigma))
        imgs.append(img.array.copy())
        if varying_psf or fixed_psf_img is None:
            p = galsim.ImageF(SIZE, SIZE, scale=SCALE)
            psf.drawImage(image=p)
            fixed_psf_img = p.array.copy()
            psfs.append(fixed_psf_img)
        labels.append((flux, n, hlr, g1, g2)); snrs.append(snr)
        accepted += 1
    seconds = time.perf_counter() - t0
    print(f"{preset} {accepted} {rejected} {seconds:.3f} {accepted / seconds:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
