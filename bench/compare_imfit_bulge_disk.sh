#!/usr/bin/env bash
# Bulge + disk: ours against Imfit (pyimfit 1.1) on GalSim-simulated galaxies, in the same run, one core each.
#
#   bench/compare_imfit_bulge_disk.sh [COUNT] [SEED] [--reuse-imfit] [--all-splits]
#
# make_bulge_disk_cutouts.py draws COUNT (default 200) bulge + disk galaxies with GalSim 2.8.5 into one field
# with a catalogue; `galaxy fit --catalog --model sersic+exponential` measures them all in one command (one
# thread), then compare_imfit_bulge_disk.py fits every stamp with Imfit as a careful user would and prints
# the RMSE to the truth of B/T, sizes and shapes, and the fits per CPU second.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
seed=${2:-20261130}
shift $(( $# < 2 ? $# : 2 ))
source bench/galsim_venv.sh
galsim_venv pyimfit astropy
dir=target/bulge-disk-$count
"$venv/bin/python" bench/make_bulge_disk_cutouts.py "$dir" "$count" "$seed" >/dev/null
cargo build -q --release -p galaxy-cli
OMP_NUM_THREADS=1 "$venv/bin/python" bench/compare_imfit_bulge_disk.py "$dir" target/release/galaxy "$@"
