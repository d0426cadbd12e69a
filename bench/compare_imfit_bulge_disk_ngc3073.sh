#!/usr/bin/env bash
# NGC 3073 (../shared/real): bulge + disk fitted by galaxy fit --model beside Imfit (pyimfit 1.1), same run, same start.
#
#   bench/compare_imfit_bulge_disk_ngc3073.sh [DATA_DIR] [--figure docs/img/ngc3073_bulge_disk.png]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/galsim_venv.sh
galsim_venv pyimfit astropy matplotlib
cargo build -q --release -p galaxy-cli
OMP_NUM_THREADS=1 "$venv/bin/python" bench/compare_imfit_bulge_disk_ngc3073.py "$@"
