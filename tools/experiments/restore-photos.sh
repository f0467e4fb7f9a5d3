#!/usr/bin/env bash
# The restoration GAN and its L1-only twin on every task, trained on 32x32 tiles of the
# photographs (`tiles:DIR`: everywhere but the held-out region of each photograph) and scored on
# the 48 held-out 128x128 tiles (`tiles:DIR:test`), the GAN with the task's classical baselines:
# 3,000 steps, seed 1. Writes runs/photo-restore{,-l1}-TASK and prints the tables.
#   bash tools/experiments/restore-photos.sh [PHOTOS]   (from the repository root; about 85 minutes on two cores)
# PHOTOS defaults to ../shared/data/photos; any folder of photographs of at least 128x128 works.
set -euo pipefail
B="${BIN:-cargo run --release --quiet --}"
PHOTOS="${1:-../shared/data/photos}"
TASKS="${TASKS:-sr2 sr4 denoise deblur inpaint}"
for task in $TASKS; do
  for m in restore restore-l1; do
    $B train $m --task "$task" --data "tiles:$PHOTOS" --steps 3000 --seed 1 --out "runs/photo-$m-$task"
  done
  $B score --run "runs/photo-restore-$task" --data "tiles:$PHOTOS:test" --baselines \
    --strip "runs/photo-restore-$task/strip.png"
  $B score --run "runs/photo-restore-l1-$task" --data "tiles:$PHOTOS:test"
done
