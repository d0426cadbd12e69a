#!/usr/bin/env bash
# Ours against Imfit (pyimfit 1.1) on 200 GalSim-simulated stamps, in the same run, one core each.
#
#   bench/compare_imfit_cutouts.sh [COUNT] [SEED]
#
# make_imfit_cutouts.py draws the stamps with GalSim 2.8.5 into one field with a catalogue; `galaxy fit
# --catalog` measures them all in one command (one thread), then compare_imfit_cutouts.py fits every stamp
# with Imfit (two set-ups, see there) and prints the RMSE to the truth per parameter and the fits per second.
# GalSim, pyimfit and astropy go into a virtual environment on first use ($GALSIM_VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
seed=${2:-20261129}
source bench/galsim_venv.sh
galsim_venv pyimfit astropy
dir=target/imfit-cutouts-$count
"$venv/bin/python" bench/make_imfit_cutouts.py "$dir" "$count" "$seed" >/dev/null
cargo build -q --release -p galaxy-cli
OMP_NUM_THREADS=1 "$venv/bin/python" bench/compare_imfit_cutouts.py "$dir" target/release/galaxy
