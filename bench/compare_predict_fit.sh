#!/usr/bin/env bash
# The built-in network against the maximum-likelihood fit on the same 10,000 images, same run, same threads.
#
#   bench/compare_predict_fit.sh [count] [preset]
#
# Generates `count` images (default 10000) of `preset` (default data_v1, the seed's prior), then times
# `galaxy predict` (built-in model) and `galaxy fit` on them with RAYON_NUM_THREADS threads (default: all
# cores), and prints images/s of each and their ratio; `galaxy predict --symmetrize` (eight views per
# image) is timed in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
preset=${2:-data_v1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build -q --release -p galaxy-cli
g=target/release/galaxy
$g generate --preset "$preset" --size "$count" --seed 5 -o "$tmp/data.npz" 2>/dev/null
seconds() { local s e; s=$EPOCHREALTIME; "$@" >/dev/null 2>"$tmp/log"; e=$EPOCHREALTIME; python3 -c "print($e - $s)"; }
tp=$(seconds $g predict "$tmp/data.npz" -o "$tmp/p.csv")
ts=$(seconds $g predict "$tmp/data.npz" --symmetrize -o "$tmp/s.csv")
tf=$(seconds $g fit "$tmp/data.npz" -o "$tmp/f.csv")
python3 - "$count" "$tp" "$tf" "$preset" "$ts" <<'PY'
import sys, os
n, tp, tf, preset, ts = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
print(f"{n} {preset} images, {os.cpu_count()} cores, whole commands (reading the file, writing the CSV):")
print(f"  galaxy predict (built-in network): {tp:7.2f} s  {n/tp:9.0f} images/s")
print(f"  galaxy predict --symmetrize:       {ts:7.2f} s  {n/ts:9.0f} images/s")
print(f"  galaxy fit (maximum likelihood):   {tf:7.2f} s  {n/tf:9.1f} images/s")
print(f"  ratio: {tf/tp:.0f}x (--symmetrize: {tf/ts:.1f}x)")
PY
