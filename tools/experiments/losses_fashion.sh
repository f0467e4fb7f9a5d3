#!/usr/bin/env bash
# The Fashion-MNIST table of the book's "Losses and regularisers" chapter: each preset's networks
# sized to 28x28, the same number of generator steps (400), batch 64 and seed; then domain FID,
# KID and IS against the test set with the Fashion-MNIST classifier (5,000 images each side).
#   bash tools/experiments/losses_fashion.sh [DATA_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${1:-../shared/data/fashion-mnist}"
out="${2:-runs/losses}"
mkdir -p "$out"
cargo build --release --quiet
for m in dcgan lsgan hinge wgan wgan-gp; do
  rm -rf "$out/$m"
  start=$(date +%s)
  target/release/burn-gan train "$m" --data "$data" --steps 400 --seed 1 --log-every 100 \
    --sample-every 400 --checkpoint-every 400 --out "$out/$m" > "$out/$m.log" 2>&1
  echo "$m trained in $(( $(date +%s) - start )) s"
done
for m in dcgan lsgan hinge wgan wgan-gp; do
  target/release/burn-gan eval --real "$data/t10k-images-idx3-ubyte.gz" --fake "$out/$m" \
    --features fashion --metrics fid,kid,is --n 5000 --json > "$out/$m.eval.json"
  echo "$m $(cat "$out/$m.eval.json")"
done
