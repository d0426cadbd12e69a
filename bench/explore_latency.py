#!/usr/bin/env python3
"""Latency of `galaxy explore`'s render request, next to GalSim drawing the same three images.

Usage: python3 bench/explore_latency.py [--requests 500] [--galaxy target/release/galaxy]

Starts the server on a free loopback port, sends sequential POST /api/render requests (the seed's test
galaxy, a new noise seed each time; three 64 x 64 images come back as JSON) and prints p50 / p95 / p99 of
the round trip as the client sees it. When GalSim is importable it then times, in the same run, GalSim
drawing the same noiseless image, its noisy copy (Poisson + Gaussian) and the PSF: the work alone, with no
server, serialisation or network in it.
"""
import argparse
import json
import statistics
import subprocess
import time
import urllib.request


def percentiles(ms):
    ms = sorted(ms)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    return pick(0.5), pick(0.95), pick(0.99)


def time_server(binary, n):
    proc = subprocess.Popen([binary, "explore", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line[line.index("http://"):].split()[0].rstrip("/")
        def render(seed):
            body = json.dumps({"seed": seed}).encode()
            req = urllib.request.Request(url + "/api/render", data=body,
                                         headers={"content-type": "application/json"})
            with urllib.request.urlopen(req) as r:
                out = json.loads(r.read())
            assert len(out["images"]["noisy"]) == 64 * 64
        for i in range(20):
            render(i)
        ms = []
        for i in range(n):
            t = time.perf_counter()
            render(1000 + i)
            ms.append(1e3 * (time.perf_counter() - t))
        return ms
    finally:
        proc.terminate()
        proc.wait()


def time_galsim(n):
    import galsim
    gal = galsim.Sersic(n=3.0, half_light_radius=0.3).withFlux(1e5).shear(g1=-0.069, g2=0.15)
    psf = galsim.Moffat(beta=2.0, fwhm=0.5)
    ms = []
    for i in range(n):
        t = time.perf_counter()
        img = galsim.Convolve(gal, psf).drawImage(nx=64, ny=64, scale=0.23)
        noisy = img.copy()
        rng = galsim.BaseDeviate(1000 + i)
        noisy.addNoise(galsim.PoissonNoise(rng, sky_level=0.0))
        noisy.addNoise(galsim.GaussianNoise(rng, sigma=200.0))
        psf.drawImage(nx=64, ny=64, scale=0.23)
        ms.append(1e3 * (time.perf_counter() - t))
    return ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--galaxy", default="target/release/galaxy")
    args = ap.parse_args()
    server = time_server(args.galaxy, args.requests)
    p50, p95, p99 = percentiles(server)
    print(f"galaxy explore /api/render, {args.requests} sequential requests (client round trip): "
          f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, mean {statistics.mean(server):.2f} ms")
    try:
        gs = time_galsim(args.requests)
    except ImportError:
        print("GalSim not importable: no comparison")
        return
    g50, g95, g99 = percentiles(gs)
    print(f"GalSim drawing the same three images (no server): p50 {g50:.2f} ms, p95 {g95:.2f} ms, "
          f"p99 {g99:.2f} ms")
    print(f"ratio GalSim / explore at p50: {g50 / p50:.2f}, at p95: {g95 / p95:.2f}")


if __name__ == "__main__":
    main()
