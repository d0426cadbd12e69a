#!/usr/bin/env bash
# The downstream-user check: tests/downstream is a crate outside the workspace that depends by path on
# mle-fit alone. It must build and fit the image it renders, and its dependency tree must hold no network
# crate (candle), web server (axum, tokio) or plotting (plotters): a user of the fitter compiles none.
set -euo pipefail
cd "$(dirname "$0")/../tests/downstream"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/../../target}/downstream"
tree=$(cargo tree --locked --edges normal,build --prefix none)
heavy=$(printf '%s\n' "$tree" | grep -E '^(candle-[a-z-]+|axum|tokio|plotters) ' | sort -u || true)
if [ -n "$heavy" ]; then
  echo "tests/downstream pulls in what a user of mle-fit alone must not compile:"
  echo "$heavy"
  exit 1
fi
echo "dependency tree of a mle-fit user: $(printf '%s\n' "$tree" | sort -u | wc -l) crates, none of candle, axum, tokio, plotters"
cargo run --locked --release --quiet
