#!/usr/bin/env python3
"""The seed's baseline fitter, for timing: GalSim 2.8.5 renders + scipy L-BFGS-B with finite differences.

Usage: galsim_scipy_fit.py FILE.npz COUNT

Fits the first COUNT images of a file in the seed's layout (PSF FWHM and sigma from the file) by minimising
the Gaussian negative log-likelihood with variance sigma^2 + max(model, 0) (the seed's objective, without its
bug of adding a fixed noise realisation to the model), over the seed's prior box scaled to [0, 1]^5, from
the centre of the box, with scipy's L-BFGS-B and finite-difference gradients (eps 5e-4, as the seed).
Prints "median_seconds mean_renders" and one line per fit to stderr.
"""
import sys, time
import numpy as np
import galsim
from scipy.optimize import minimize

LO = np.array([3e4, 0.5, 0.1, -0.67, -0.67])
HI = np.array([4e5, 6.0, 0.6, 0.67, 0.67])


def main(path, count):
    d = np.load(path)
    times, renders = [], []
    for i in range(count):
        data = d["img"][i].astype(np.float64)
        fwhm, sigma = float(d["psf_r"][i]), float(d["sigma"][i])
        psf = galsim.Moffat(beta=2, flux=1.0, fwhm=fwhm)
        calls = [0]

        def nll(u):
            calls[0] += 1
            flux, n, hlr, g1, g2 = LO + np.clip(u, 0, 1) * (HI - LO)
            if g1 * g1 + g2 * g2 >= 0.99:
                return 1e30
            gal = galsim.Sersic(n, half_light_radius=hlr).withFlux(flux).shear(g1=g1, g2=g2)
            img = galsim.ImageF(64, 64, scale=0.23)
            galsim.Convolve([psf, gal]).drawImage(image=img)
            m = img.array.astype(np.float64)
            v = sigma ** 2 + np.clip(m, 0, None)
            return 0.5 * np.sum((data - m) ** 2 / v + np.log(v))

        t = time.perf_counter()
        res = minimize(nll, np.full(5, 0.5), method="L-BFGS-B", bounds=[(0, 1)] * 5, options={"eps": 5e-4})
        times.append(time.perf_counter() - t)
        renders.append(calls[0])
        est = LO + res.x * (HI - LO)
        print(f"fit {i}: {times[-1]:.2f} s, {calls[0]} renders, estimate {np.round(est, 4).tolist()}", file=sys.stderr)
    print(f"{np.median(times):.4f} {np.mean(renders):.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
