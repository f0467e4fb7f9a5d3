#!/usr/bin/env bash
# Larsen et al. 2016's comparison on Fashion-MNIST: `vae` and `vaegan` (same encoder and decoder,
# same optimizer, same steps), a few seeds. For each run: the pixel MSE and sharpness (Laplacian
# variance) of reconstructions of held-out images, the sharpness of samples, and the domain FID
# (the fashion classifier's features) of samples and of reconstructions against the held-out
# images. Prints one JSON line per run; the book's table (book/src/vaegan.md) comes from them.
# Usage: bench/vae-vs-vaegan.sh [STEPS] [SEEDS] [OUT_DIR]    (BURN_GAN: the binary to run)
set -eu
STEPS=${1:-2000}
SEEDS=${2:-"1 2"}
OUT=${3:-/tmp/vae-vs-vaegan}
BIN=${BURN_GAN:-target/release/burn-gan}
DATA=${FASHION:-../shared/data/fashion-mnist}
TEST=$DATA/t10k-images-idx3-ubyte.gz@0..2000
mkdir -p "$OUT"
for seed in $SEEDS; do
  for model in vae vaegan; do
    run=$OUT/$model-$seed
    [ -f "$run/samples.png" ] || "$BIN" train "$model" --data "$DATA" --steps "$STEPS" --seed "$seed" \
      --checkpoint-every "$STEPS" --out "$run" > "$run.log" 2>&1
    rec=$("$BIN" reconstruct --run "$run" --data "$TEST" --n 32 --measure 2000 --json --out "$run/reconstructions.png")
    fid_s=$("$BIN" eval --real "$TEST" --fake "$run" --features fashion --metrics fid --n 2000 --json)
    fid_r=$("$BIN" eval --real "$TEST" --fake "$run" --reconstruct --features fashion --metrics fid --json)
    secs=$(grep -o 'trained in [0-9.]* s' "$run.log" | grep -o '[0-9.]*' || echo null)
    echo "{\"model\":\"$model\",\"seed\":$seed,\"steps\":$STEPS,\"train_s\":$secs,\"reconstruct\":$rec,\"fid_samples\":$(echo "$fid_s" | grep -o '"fid":[^,}]*' | cut -d: -f2),\"fid_reconstructions\":$(echo "$fid_r" | grep -o '"fid":[^,}]*' | cut -d: -f2)}"
  done
done
