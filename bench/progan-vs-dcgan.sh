#!/usr/bin/env bash
# ProGAN against DCGAN at (about) equal wall time on Fashion-MNIST padded to 32x32: `progan`'s
# default schedule (2,735 steps of 64, 175,000 images) against `dcgan` for 6,500 steps, the
# number that took the same time on this 2-core machine (book/src/progan.md, the `shapes`
# comparison). For each run: domain FID and precision/recall with the Fashion-MNIST classifier's
# features (the centre 28x28 of the padded images) on 2,000 held-out t10k images, and Inception
# FID and precision/recall of 5,000 samples against 5,000 t10k images. One JSON line per run.
# Usage: bench/progan-vs-dcgan.sh [OUT_DIR]    (BURN_GAN: the binary to run; FASHION: the data)
set -eu
OUT=${1:-/tmp/progan-vs-dcgan}
BIN=${BURN_GAN:-target/release/burn-gan}
DATA=${FASHION:-../shared/data/fashion-mnist}
TRAIN=$DATA/train-images-idx3-ubyte.gz
TEST=$DATA/t10k-images-idx3-ubyte.gz
mkdir -p "$OUT"
for model in dcgan progan; do
  run=$OUT/$model-fashion32
  steps=""
  [ "$model" = dcgan ] && steps="--steps 6500"
  # shellcheck disable=SC2086
  [ -f "$run/samples.png" ] || "$BIN" train "$model" --data "$TRAIN" --image-size 32 $steps \
    --sample-every 500 --out "$run" > "$run.log" 2>&1
  domain=$("$BIN" eval --real "$TEST@0..2000" --image-size 32 --fake "$run" --features fashion \
    --metrics fid,pr --n 2000 --json)
  inception=$("$BIN" eval --real "$TEST@0..5000" --image-size 32 --fake "$run" --features inception \
    --metrics fid,pr --n 5000 --json)
  secs=$(grep -o 'trained in [0-9.]* s' "$run.log" | grep -o '[0-9.]*' || echo null)
  echo "{\"model\":\"$model\",\"train_s\":$secs,\"domain\":$domain,\"inception\":$inception}"
done
