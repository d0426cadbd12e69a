#!/usr/bin/env bash
# Maximum-likelihood fit speed against the seed's method (GalSim 2.8.5 + scipy L-BFGS-B, finite differences),
# one thread each, measured in the same run.
#
#   bench/compare_fit.sh [galsim-fits]
#
# Ours: the criterion benchmark `fit/snr60_test_galaxy` (crates/mle-fit/benches/fit.rs), median time per fit.
# GalSim + scipy: bench/galsim_scipy_fit.py on the first images of an snr60 set made by `galaxy generate`,
# median time per fit. GalSim and scipy go into $GALSIM_VENV (default /tmp/galsim-venv) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10}
source bench/galsim_venv.sh
galsim_venv scipy
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 RAYON_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build -q --release -p galaxy-cli
target/release/galaxy generate --preset snr60 --size "$count" --seed 3 -o "$tmp/snr60.npz" 2>/dev/null
cargo bench -q -p mle-fit --bench fit -- fit/snr60_test_galaxy >/dev/null 2>&1 || cargo bench -p mle-fit --bench fit -- fit/snr60_test_galaxy
ours=$(python3 -c "import json; print(json.load(open('target/criterion/fit/snr60_test_galaxy/new/estimates.json'))['median']['point_estimate']*1e-9)")
read -r galsim renders < <("$venv/bin/python" bench/galsim_scipy_fit.py "$tmp/snr60.npz" "$count" 2>"$tmp/galsim.log")
python3 - "$ours" "$galsim" "$renders" <<'PY'
import sys
ours, galsim, renders = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print("median time per fit of the seed's SNR-60 test galaxy, one thread:")
print(f"  GalSim 2.8.5 + scipy L-BFGS-B (finite differences, {renders:.0f} renders per fit): {galsim:8.3f} s")
print(f"  mle-fit (exact gradients, bounded L-BFGS, 3 starts in n):                {ours*1e3:8.2f} ms")
print(f"  speed-up: {galsim/ours:.0f}x")
PY
