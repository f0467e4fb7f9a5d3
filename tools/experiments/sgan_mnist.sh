#!/bin/bash
# The SGAN table (Odena 2016) on MNIST: test accuracy of the semi-supervised GAN and of the same
# classifier trained on the labelled examples alone, for 25, 50, 100 and 1000 labels, three seeds
# each, mean and standard deviation.
#
# Data: labelled = N training images, class-balanced (N/10 per class, the first N % 10 classes one
# more), drawn with the run seed from ../shared/data/mnist/train-images-idx3-ubyte.gz (60,000);
# unlabelled = all 60,000 training images (their labels unused); held out = the 10,000 t10k images.
#
#   bash tools/experiments/sgan_mnist.sh            # STEPS=2000 MODELS="sgan-supervised sgan"
#   STEPS=1000 LABELS="100" SEEDS="1" bash tools/experiments/sgan_mnist.sh
#   BIN=path/to/burn-gan bash tools/experiments/sgan_mnist.sh   # a prebuilt binary
#   NETWORKS=mlp MODELS="sgan-supervised sgan-fm" STEPS=3000 LABELS="25 50 100" \
#     bash tools/experiments/sgan_mnist.sh   # Salimans et al.'s networks (runs in runs/sgan-mnist-mlp)
#   TABLE_ONLY=1 ...                          # print the table of finished runs only
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/mnist}
STEPS=${STEPS:-2000}
LABELS=${LABELS:-"25 50 100 1000"}
SEEDS=${SEEDS:-"1 2 3"}
MODELS=${MODELS:-"sgan-supervised sgan"}
NETWORKS=${NETWORKS:-dcgan}
if [ "$NETWORKS" = dcgan ]; then OUT=${OUT:-runs/sgan-mnist}; else OUT=${OUT:-runs/sgan-mnist-$NETWORKS}; fi
if [ -n "${TABLE_ONLY:-}" ]; then
  BIN=true
elif [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=target/release/burn-gan
fi
mkdir -p "$OUT"
for n in $LABELS; do
  for model in $MODELS; do
    for seed in $SEEDS; do
      run="$OUT/$model-$n-s$seed"
      [ -f "$run/metrics.jsonl" ] && grep -q test_accuracy "$run/metrics.jsonl" && continue
      [ -n "${TABLE_ONLY:-}" ] && continue
      rm -rf "$run"
      "$BIN" train "$model" --networks "$NETWORKS" --data "$DATA/train-images-idx3-ubyte.gz" --labelled "$n" \
        --test-data "$DATA/t10k-images-idx3-ubyte.gz" --steps "$STEPS" --seed "$seed" \
        --log-every 100 --out "$run" > "$run.log" 2>&1
    done
  done
done
python3 - "$OUT" "$LABELS" "$MODELS" "$SEEDS" <<'PY'
import json, statistics, sys
out, labels, models, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split()
paper = {"25": (0.750, 0.802), "50": (0.859, 0.883), "100": (0.895, 0.928), "1000": (0.965, 0.964)}
print("| labels | " + " | ".join(models) + " | paper CNN | paper SGAN |")
print("| --- |" + " --- |" * (len(models) + 2))
for n in labels:
    cells = []
    for m in models:
        accs = []
        for s in seeds:
            try:
                for line in open(f"{out}/{m}-{n}-s{s}/metrics.jsonl"):
                    r = json.loads(line)
                    if "test_accuracy" in r:
                        accs.append(r["test_accuracy"])
            except FileNotFoundError:
                pass
        if not accs:
            cells.append("-")
            continue
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        runs = ", ".join(f"{a:.3f}" for a in accs)
        cells.append(f"{statistics.mean(accs):.3f} ± {sd:.3f} ({runs})")
    p = paper.get(n, ("", ""))
    print(f"| {n} | " + " | ".join(cells) + f" | {p[0]} | {p[1]} |")
PY
