#!/usr/bin/env bash
# NGC 3073 (../shared/real): galaxy fit beside Imfit (pyimfit 1.1), same run; see compare_imfit_ngc3073.py.
#
#   bench/compare_imfit_ngc3073.sh [DATA_DIR] [--figure docs/img/ngc3073_fit.png]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/galsim_venv.sh
galsim_venv pyimfit astropy matplotlib
cargo build -q --release -p galaxy-cli
OMP_NUM_THREADS=1 "$venv/bin/python" bench/compare_imfit_ngc3073.py "$@"
