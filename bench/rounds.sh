#!/usr/bin/env bash
# Before/after speed of two burn-gan binaries next to PyTorch: ROUNDS rounds of
# [PyTorch, BEFORE, AFTER] one after the other, medians and ratios. For a shared (noisy)
# machine, where one run of each is not enough. The figures of book/src/performance.md's
# results table came from this script.
#
#   BEFORE=path/to/old/burn-gan AFTER=target/release/burn-gan PYTHON=venv/bin/python bash bench/rounds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BEFORE:?set BEFORE to the burn-gan binary to compare against}"
AFTER="${AFTER:-target/release/burn-gan}"
PYTHON="${PYTHON:-bench/.venv/bin/python}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-$(nproc)}"
out=bench/results/rounds
mkdir -p "$out"
common=(--models dcgan28,dcgan64 --batch 64 --sample-batch 256 --seconds "${SECONDS_PER:-8}" --threads "$THREADS")
for r in $(seq "$ROUNDS"); do
  echo "== round $r"
  "$PYTHON" bench/pytorch_bench.py "${common[@]}" --device cpu > "$out/torch-$r.json"
  "$BEFORE" bench "${common[@]}" --json > "$out/before-$r.json"
  "$AFTER" bench "${common[@]}" --json > "$out/after-$r.json"
done
python3 - "$out" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
print(f"{'model':<8} {'measure':<20} {'PyTorch':>9} {'before':>9} {'after':>9} {'before/PT':>10} {'after/PT':>9} {'after/before':>13}")
for m in ["dcgan28", "dcgan64"]:
    for key in ["train_images_per_s", "sample_images_per_s", "train_peak_rss_mib"]:
        med = {k: statistics.median(json.load(open(f"{out}/{k}-{r}.json"))[m][key] for r in range(1, rounds + 1))
               for k in ("torch", "before", "after")}
        print(f"{m:<8} {key:<20} {med['torch']:>9.1f} {med['before']:>9.1f} {med['after']:>9.1f} "
              f"{med['before'] / med['torch']:>9.2f}x {med['after'] / med['torch']:>8.2f}x {med['after'] / med['before']:>12.2f}x")
PY
