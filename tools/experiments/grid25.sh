#!/usr/bin/env bash
# The mode-coverage table of book/src/improved-techniques.md: the original GAN on grid25 (3,000
# steps, the preset's defaults) plain, with minibatch discrimination (B = 8 kernels, C = 5) and
# with feature matching, five seeds each (SEEDS="1 2 3 4 5"). Prints one markdown row per variant and keeps each
# run's folder (scatter.png) under OUT.
# Usage: tools/experiments/grid25.sh [OUT_DIR]     (BURN_GAN: the binary to run)
# Took about 30 minutes on the 2-core machine (2026-12-08), alongside other training runs; the
# minibatch runs take most of it.
set -eu
OUT=${1:-/tmp/grid25-table}
BIN=${BURN_GAN:-target/release/burn-gan}
SEEDS=${SEEDS:-1 2 3 4 5}
mkdir -p "$OUT"
row() {
  local name=$1
  shift
  local cells=""
  for s in $SEEDS; do
    local run=$OUT/$name-s$s
    rm -rf "$run"
    local line
    line=$("$BIN" train gan --data grid25 --seed "$s" "$@" --out "$run" 2>&1 | grep 'modes covered')
    # "grid25: 13 of 25 modes covered, 13.4% of 2500 samples within ..."
    local modes pct
    modes=$(echo "$line" | sed -E 's/.*grid25: ([0-9]+) of 25.*/\1/')
    pct=$(echo "$line" | sed -E 's/.*covered, ([0-9.]+%).*/\1/')
    cells="$cells | $modes ($pct)"
  done
  echo "| $name$cells |"
}
echo "| variant |$(for s in $SEEDS; do printf " seed %s |" "$s"; done)"
echo "| --- |$(for s in $SEEDS; do printf " --- |"; done)"
row plain
row minibatch --minibatch-kernels 8
row feature-matching --feature-matching on
