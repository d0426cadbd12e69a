#!/usr/bin/env bash
# What sharding costs: `galaxy fit` and `galaxy predict` on one simulated file, run (A) as 2 shards at once
# with one thread each (what two tasks of a Slurm array do on a 2-core node), then `galaxy merge`, and (B) as
# one run with 2 threads; in turn (A, B, A, B, ...) in the same session. Prints each wall time, the
# throughput per core, and (A + merge) / B - 1, the overhead of sharding; checks that the merged catalogue
# equals the single run's byte for byte.
#
#   bench/shard_overhead.sh [images (default 100000)] [rounds (default 1)] [commands (default "predict fit")]
#
# The file (data_v3, about 49 KB per galaxy) is kept in target/shard-bench/ for the next call.
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-100000}
rounds=${2:-1}
commands=${3:-predict fit}
cargo build -q --release -p galaxy-cli
galaxy=$PWD/target/release/galaxy
work=$PWD/target/shard-bench
mkdir -p "$work"
data=$work/d_$images.npz
[ -f "$data" ] || "$galaxy" generate --preset data_v3 --size "$images" --seed 21 -o "$data" 2>&1 | tail -n 1
cores=2

now() { python3 -c 'import time; print(time.monotonic())'; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

echo "$(date -u +%FT%TZ) $(nproc) cores; $images galaxies (data_v3); $rounds round(s)"
for command in $commands; do
  for round in $(seq "$rounds"); do
    rm -f "$work/$command"_*.csv
    t0=$(now)
    RAYON_NUM_THREADS=1 "$galaxy" "$command" "$data" -o "$work/${command}_{shard}.csv" --shard 0/2 \
      >/dev/null 2>"$work/${command}_0.log" &
    first=$!
    RAYON_NUM_THREADS=1 "$galaxy" "$command" "$data" -o "$work/${command}_{shard}.csv" --shard 1/2 \
      >/dev/null 2>"$work/${command}_1.log" &
    second=$!
    wait "$first" "$second"
    t1=$(now)
    "$galaxy" merge "$work/${command}_0.csv" "$work/${command}_1.csv" -o "$work/${command}_merged.csv" 2>/dev/null
    t2=$(now)
    RAYON_NUM_THREADS=2 "$galaxy" "$command" "$data" -o "$work/${command}_single.csv" \
      >/dev/null 2>"$work/${command}_single.log"
    t3=$(now)
    cmp -s "$work/${command}_merged.csv" "$work/${command}_single.csv" && same="identical" || same="DIFFERENT"
    a=$(elapsed "$t0" "$t1")
    m=$(elapsed "$t1" "$t2")
    b=$(elapsed "$t2" "$t3")
    python3 - "$command" "$round" "$images" "$cores" "$a" "$m" "$b" "$same" <<'PY'
import sys
command, rnd, n, cores = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
a, m, b = map(float, sys.argv[5:8])
same = sys.argv[8]
print(f"{command:8s} round {rnd}: 2 shards x 1 thread {a:8.1f} s + merge {m:5.2f} s | 1 run x 2 threads {b:8.1f} s"
      f" | per core: sharded {n / ((a + m) * cores):8.1f}/s, single {n / (b * cores):8.1f}/s"
      f" | overhead {100 * ((a + m) / b - 1):+.1f}% | merged vs single: {same}")
PY
  done
done
