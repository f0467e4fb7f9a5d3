#!/usr/bin/env bash
# ProGAN against DCGAN at (about) equal time on twemoji-64 (3,781 64x64 RGB emoji, composited
# onto white): `progan` grown 4x4 -> 64x64 with 12,500 images per fade-in and per stable stage
# (1,758 steps of 64, 112,500 images), against `dcgan64` for DCGAN_STEPS steps (default 1,500,
# the number that took the same CPU time on the 2-core machine; see book/src/progan.md). For each
# run: Inception FID and precision/recall (TF-FID protocol) of 3,781 samples against all 3,781
# images (the real features are cached after the first run). One JSON line per run.
# Usage: bench/progan-vs-dcgan64.sh [OUT_DIR]
#   (BURN_GAN: the binary to run; TWEMOJI: the data; DCGAN_STEPS)
set -eu
OUT=${1:-/tmp/progan-vs-dcgan64}
BIN=${BURN_GAN:-target/release/burn-gan}
DATA=${TWEMOJI:-../shared/data/twemoji-64}
DCGAN_STEPS=${DCGAN_STEPS:-1500}
mkdir -p "$OUT"
for model in progan dcgan64; do
  run=$OUT/$model-twemoji64
  if [ "$model" = progan ]; then
    args=(--image-size 64 --set fade_images=12500 --set stable_images=12500 --sample-every 250)
  else
    args=(--steps "$DCGAN_STEPS" --sample-every 250)
  fi
  [ -f "$run/samples.png" ] || /usr/bin/time -f "cpu %U user %S sys" "$BIN" train "$model" \
    --data "$DATA" --seed 1 --log-every 50 "${args[@]}" --out "$run" > "$run.log" 2>&1
  inception=$("$BIN" eval --real "$DATA" --fake "$run" --features inception --metrics fid,pr --json)
  secs=$(grep -o 'trained in [0-9.]* s' "$run.log" | grep -o '[0-9.]*' || echo null)
  echo "{\"model\":\"$model\",\"train_s\":$secs,\"inception\":$inception}"
done
