#!/usr/bin/env bash
# The restoration GAN and its L1-only twin on every task but sr2 (which the book's x2 section
# runs): 3,000 steps, seed 1, Fashion-MNIST; each run scored on 1,000 test images, the GAN with
# the task's classical baselines. Writes runs/restore{,-l1}-TASK and prints the tables.
#   bash tools/experiments/restore-tasks.sh        (from the repository root; about 35 minutes)
set -euo pipefail
B="${BIN:-cargo run --release --quiet --}"
for task in sr4 denoise deblur inpaint; do
  for m in restore restore-l1; do
    $B train $m --task "$task" --data fashion-mnist --steps 3000 --seed 1 --out "runs/$m-$task"
  done
  $B score --run "runs/restore-$task" --data fashion-mnist:test --n 1000 --baselines
  $B score --run "runs/restore-l1-$task" --data fashion-mnist:test --n 1000
done
