#!/usr/bin/env bash
# The Fashion-MNIST table of the book's "Losses and regularisers" chapter: each preset's networks
# sized to 28x28, the same number of generator steps (400), batch 64 and seed, a moving average
# of the generator's weights (--ema 0.999, which does not change training); then domain FID, KID
# and IS against the test set with the Fashion-MNIST classifier (5,000 images each side), once
# for the average and once for the trained generator itself (--raw-generator). wgan and wgan-gp
# also evaluate every 50 steps (FID of the average, in metrics.jsonl next to the critic's
# Wasserstein estimate).
#   bash tools/experiments/losses_fashion.sh [DATA_DIR] [OUT_DIR]
#   BIN=path/to/burn-gan STEPS=400 bash tools/experiments/losses_fashion.sh
#   INCEPTION=1000 ...   # also Inception FID on 1,000 images a side (about 3 min a set on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${1:-../shared/data/fashion-mnist}"
out="${2:-runs/losses}"
STEPS=${STEPS:-400}
MODELS=${MODELS:-"dcgan lsgan hinge wgan wgan-gp"}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/burn-gan
fi
mkdir -p "$out"
for m in $MODELS; do
  rm -rf "${out:?}/$m"
  extra=()
  case $m in
    wgan | wgan-gp) extra=(--eval-every 50 --eval-features fashion --eval-samples 2000) ;;
  esac
  start=$(date +%s)
  "$BIN" train "$m" --data "$data" --steps "$STEPS" --seed 1 --ema 0.999 --log-every 50 \
    --sample-every "$STEPS" --checkpoint-every "$STEPS" "${extra[@]}" --out "$out/$m" > "$out/$m.log" 2>&1
  echo "$m trained in $(( $(date +%s) - start )) s"
  for g in ema raw; do
    flag=()
    [ "$g" = raw ] && flag=(--raw-generator)
    "$BIN" eval --real "$data/t10k-images-idx3-ubyte.gz" --fake "$out/$m" "${flag[@]}" \
      --features fashion --metrics fid,kid,is --n 5000 --json > "$out/$m.$g.eval.json"
    echo "$m $g $(cat "$out/$m.$g.eval.json")"
    if [ -n "${INCEPTION:-}" ]; then
      "$BIN" eval --real "$data/t10k-images-idx3-ubyte.gz" --fake "$out/$m" "${flag[@]}" \
        --features inception --metrics fid --n "$INCEPTION" --json > "$out/$m.$g.incep.json"
      echo "$m $g inception $(cat "$out/$m.$g.incep.json")"
    fi
  done
done
