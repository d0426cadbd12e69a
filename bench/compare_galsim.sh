#!/usr/bin/env bash
# Rendering speed against GalSim 2.8.5, measured in the same run on the same machine, single thread.
#
#   bench/compare_galsim.sh [seconds-per-galsim-case]
#
# Runs the criterion benchmark `render_64` (crates/sersic-render/benches/render.rs), then GalSim on the same
# kind of galaxies (bench/galsim_render_bench.py) straight after, and prints both with their ratios.
# GalSim is installed into a virtual environment ($GALSIM_VENV, default /tmp/galsim-venv) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
source bench/galsim_venv.sh
galsim_venv
export OMP_NUM_THREADS=1 RAYON_NUM_THREADS=1
cargo bench -q -p sersic-render --bench render -- render_64 >/dev/null 2>&1 || cargo bench -p sersic-render --bench render -- render_64
galsim_out=$("$venv/bin/python" bench/galsim_render_bench.py "$seconds")
ours() { python3 -c "import json,sys; print(json.load(open('target/criterion/render_64/$1/new/estimates.json'))['mean']['point_estimate']*1e-9)"; }
galsim() { echo "$galsim_out" | awk -v c="$1" '$1 == c { print $2 }'; }
gv=$(galsim varying_n); gr=$(galsim repeated_n)
ov=$(ours varying_n); orp=$(ours repeated_n); oj=$(ours jacobian_varying_n); op=$(ours varying_n_and_psf)
python3 - "$gv" "$gr" "$ov" "$orp" "$oj" "$op" <<'PY'
import sys
gv, gr, ov, orp, oj, op = map(float, sys.argv[1:])
print("64x64 Sersic x Moffat(beta=2) x pixel, one thread, seconds per image (images/s):")
print(f"  GalSim 2.8.5, n varies every image : {gv:.3e} ({1/gv:8.1f}/s)")
print(f"  GalSim 2.8.5, n repeats (cached)   : {gr:.3e} ({1/gr:8.1f}/s)")
print(f"  sersic-render, n varies            : {ov:.3e} ({1/ov:8.1f}/s)  speed-up vs GalSim varying n: {gv/ov:6.1f}x")
print(f"  sersic-render, n repeats           : {orp:.3e} ({1/orp:8.1f}/s)  speed-up vs GalSim cached n:  {gr/orp:6.1f}x")
print(f"  sersic-render, n and PSF vary      : {op:.3e} ({1/op:8.1f}/s)")
print(f"  sersic-render, image + Jacobian    : {oj:.3e}  = {oj/ov:.2f} x one image")
PY
