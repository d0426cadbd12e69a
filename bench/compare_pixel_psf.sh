#!/usr/bin/env bash
# Drawing through a PSF image against GalSim 2.8.5, measured in the same run on the same machine, one thread.
#
#   bench/compare_pixel_psf.sh [seconds-per-galsim-case]
#
# GalSim (bench/galsim_pixel_psf_bench.py) writes a 41 x 41 effective PSF image (Kolmogorov ⊗ Airy) and
# times its InterpolatedImage path on 64 x 64 stamps of the seed's prior with offsets; the criterion
# benchmark `pixel_psf_64` (crates/sersic-render/benches/pixel_psf.rs) then draws the same kind of galaxies
# through the very same pixels, and beside them the analytic Moffat path and the 7-column Jacobians.
# GalSim is installed into a virtual environment ($GALSIM_VENV, default /tmp/galsim-venv) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
source bench/galsim_venv.sh
galsim_venv
export OMP_NUM_THREADS=1 RAYON_NUM_THREADS=1
mkdir -p target
psf=$PWD/target/bench_pixel_psf.npy
galsim_out=$("$venv/bin/python" bench/galsim_pixel_psf_bench.py "$psf" "$seconds")
PIXEL_PSF=$psf cargo bench -q -p sersic-render --bench pixel_psf >/dev/null 2>&1 \
  || PIXEL_PSF=$psf cargo bench -p sersic-render --bench pixel_psf
ours() { python3 -c "import json,sys; print(json.load(open('target/criterion/pixel_psf_64/$1/new/estimates.json'))['mean']['point_estimate']*1e-9)"; }
galsim() { echo "$galsim_out" | awk -v c="$1" '$1 == c { print $2 }'; }
python3 - "$(galsim interpolated_varying_n)" "$(galsim moffat_varying_n)" "$(ours image_varying_n)" \
  "$(ours image_jacobian7_varying_n)" "$(ours moffat_varying_n)" "$(ours moffat_jacobian7_varying_n)" \
  "$(ours image_jacobian_dot_varying_n)" <<'PY'
import sys
gi, gm, oi, oj, om, omj, od = map(float, sys.argv[1:])
print("64x64 Sersic (n varies every image, offsets up to 1.5 px), one thread, seconds per image (images/s):")
print(f"  GalSim 2.8.5, 41x41 PSF image (InterpolatedImage)  : {gi:.3e} ({1/gi:8.1f}/s)")
print(f"  GalSim 2.8.5, Moffat(2, 0.7\") x pixel              : {gm:.3e} ({1/gm:8.1f}/s)")
print(f"  sersic-render, 41x41 PSF image                      : {oi:.3e} ({1/oi:8.1f}/s)  {gi/oi:6.1f}x GalSim's InterpolatedImage path")
print(f"  sersic-render, Moffat(2, 0.7\") x pixel             : {om:.3e} ({1/om:8.1f}/s)  {gm/om:6.1f}x GalSim's Moffat path")
print(f"  sersic-render, PSF image / Moffat                   : {oi/om:.2f}")
print(f"  sersic-render, PSF image, image + 7-column Jacobian : {oj:.3e}  = {oj/oi:.2f} x one image")
print(f"  sersic-render, Moffat, image + 7-column Jacobian    : {omj:.3e}  = {omj/om:.2f} x one image")
print(f"  sersic-render, PSF image, image + J^T w (a fit step): {od:.3e}  = {od/oi:.2f} x one image")
PY
