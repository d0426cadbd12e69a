#!/usr/bin/env bash
# Dataset generation speed against GalSim 2.8.5 doing the seed's generator work, per core, same run.
#
#   bench/compare_generate.sh [galsim-count] [our-count]
#
# One thread each: GalSim (bench/galsim_generate_bench.py) and `galaxy generate --threads 1`, on data_v3-style
# samples with continuous n (n, PSF and sigma vary every image) and on data_v1 (the seed's 1000 n values).
# Both include rejection sampling on the SNR, Poisson + Gaussian noise and the PSF image; ours also
# writes the .npz. Prints images/s of each and the ratio. GalSim goes into $GALSIM_VENV (default
# /tmp/galsim-venv) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
galsim_count=${1:-150}
our_count=${2:-4000}
source bench/galsim_venv.sh
galsim_venv
export OMP_NUM_THREADS=1
cargo build -q --release -p galaxy-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ours() { # preset, extra flags
  target/release/galaxy generate --preset "$1" ${2:-} --threads 1 --size "$our_count" --seed 1 -o "$tmp/o.npz" 2>&1 |
    sed -n 's/.* \([0-9.]*\) images\/s in .*/\1/p'
}
for case in data_v3_continuous data_v1; do
  g=$("$venv/bin/python" bench/galsim_generate_bench.py "$case" "$galsim_count" | awk '{print $5}')
  if [ "$case" = data_v3_continuous ]; then o=$(ours data_v3 --continuous-n); else o=$(ours data_v1); fi
  python3 -c "import sys; g, o = map(float, sys.argv[2:]); print(f'{sys.argv[1]:20s} one core: GalSim 2.8.5 {g:8.2f} images/s, galaxy generate {o:8.1f} images/s, ratio {o/g:6.1f}x')" "$case" "$g" "$o"
done
