#!/usr/bin/env bash
# Trains ten presets for 4 steps with two burn-gan binaries (e.g. the program before and after a
# refactor) and says, for each, whether metrics.jsonl and the sample grid are byte-identical.
# Checkpoint files are not compared: they hold random parameter ids that differ between any two
# runs. Usage: bench/compare-runs.sh OLD_BINARY NEW_BINARY [MNIST_IDX] [OUT_DIR]
set -u
OLD=$1; NEW=$2
M=${3:-../shared/data/mnist/t10k-images-idx3-ubyte.gz}
OUT=${4:-/tmp/burn-gan-compare}
rm -rf "$OUT"; mkdir -p "$OUT"
status=0
for spec in "dcgan28|--data $M" "wgan-gp|--data $M" "cgan|--data $M" \
    "acgan|--data $M --class-bn on --ema 0.99" "infogan|--data $M" "sgan|--data $M --labelled 100" \
    "hinge|--data $M" "gan|--data ring8" "gan-mnist|--data $M" \
    "dcgan|--data $M --orthogonal-init on --minibatch-kernels 8"; do
  model=${spec%%|*}; args=${spec#*|}
  for which in old new; do
    bin=$OLD; [ "$which" = new ] && bin=$NEW
    # shellcheck disable=SC2086
    "$bin" train "$model" $args --steps 4 --batch 32 --log-every 1 --out "$OUT/$which-$model" \
      > "$OUT/$which-$model.log" 2>&1 || { echo "$which $model failed: $(tail -1 "$OUT/$which-$model.log")"; status=1; }
  done
  grid=samples.png; [ -f "$OUT/new-$model/$grid" ] || grid=scatter.png
  if cmp -s "$OUT/old-$model/metrics.jsonl" "$OUT/new-$model/metrics.jsonl" \
      && cmp -s "$OUT/old-$model/$grid" "$OUT/new-$model/$grid"; then
    echo "$model: metrics.jsonl ($(wc -l < "$OUT/new-$model/metrics.jsonl") lines) and $grid identical"
  else
    echo "$model: DIFFERENT"; status=1
  fi
done
exit $status
