#!/bin/bash
# The tables of the book's chapter "Do generated images help a classifier?": three
# class-conditional runs per dataset (cgan, cgan with the projection term, acgan; 2,000 generator
# steps, EMA 0.999, seed 1), the Classification Accuracy Score of each, and the augmentation
# experiment of each dataset's three runs together (real-only classifiers shared).
#
#   bash tools/experiments/cas.sh                       # DATASETS="mnist fashion-mnist"
#   DATASETS=mnist SEEDS=2 bash tools/experiments/cas.sh
#   BIN=path/to/burn-gan bash tools/experiments/cas.sh  # a prebuilt binary
#   AUGMENT=0 bash tools/experiments/cas.sh             # CAS only
#
# The named sets are read from $BURN_GAN_DATA (default ../shared/data, which holds mnist/ and
# fashion-mnist/ in their IDX names); `burn-gan data get NAME` fetches them elsewhere.
set -euo pipefail
cd "$(dirname "$0")/../.."
export BURN_GAN_DATA=${BURN_GAN_DATA:-$(cd ../shared/data 2>/dev/null && pwd || echo "")}
DATASETS=${DATASETS:-"mnist fashion-mnist"}
STEPS=${STEPS:-2000}
SEEDS=${SEEDS:-2}
AUGMENT=${AUGMENT:-1}
OUT=${OUT:-runs/cas}
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=target/release/burn-gan
fi
mkdir -p "$OUT"
for d in $DATASETS; do
  runs=()
  for m in cgan cgan-proj acgan; do
    run="$OUT/$m-$d"
    model=${m%-proj}
    extra=()
    [ "$m" = cgan-proj ] && extra=(--projection on)
    if [ ! -f "$run/config.json" ]; then
      "$BIN" train "$model" --data "$d" --steps "$STEPS" --ema 0.999 --seed 1 "${extra[@]}" --out "$run"
    fi
    [ -f "$run/cas.json" ] || "$BIN" cas --run "$run"
    runs+=(--run "$run")
  done
  if [ "$AUGMENT" = 1 ]; then
    "$BIN" augment "${runs[@]}" --seeds "$SEEDS"
  fi
done
