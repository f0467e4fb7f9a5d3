#!/usr/bin/env bash
# Side-by-side speed of burn-gan and PyTorch on this machine: the same networks (dcgan28, dcgan64
# by default; MODELS also takes dcgan32, gan-mnist and the image-to-image pix2pix28, cyclegan28
# and srgan28, whose PyTorch twins are in bench/pytorch_bench.py), the same batch, the same thread
# count, measured in the same invocation, printed as ratios (ours / PyTorch; above 1 means burn-gan
# is faster).
#
#   bash bench/compare-pytorch.sh                  # CPU: the default backend vs PyTorch eager
#   FEATURES="--no-default-features --features ndarray" bash bench/compare-pytorch.sh
#   THREADS=1 SECONDS_PER=20 bash bench/compare-pytorch.sh
#   MODELS=pix2pix28,cyclegan28,srgan28 bash bench/compare-pytorch.sh
#   DEVICE=cuda FEATURES="--features cuda" bash bench/compare-pytorch.sh   # on an NVIDIA GPU
#
# PyTorch is installed from PyPI into bench/.venv (once; later runs reuse it). Set PYTHON to an
# interpreter that already has torch to skip the install. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS="${THREADS:-$(nproc)}"
SECONDS_PER="${SECONDS_PER:-10}"
MODELS="${MODELS:-dcgan28,dcgan64}"
DEVICE="${DEVICE:-cpu}"
FEATURES="${FEATURES:-}"
SAMPLE_BATCH="${SAMPLE_BATCH:-256}"
BATCH="${BATCH:-64}"
out=bench/results
mkdir -p "$out"

if [ -z "${PYTHON:-}" ]; then
  if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c "import torch" 2>/dev/null; then
    echo "== installing PyTorch into bench/.venv (once)"
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet --upgrade pip
    bench/.venv/bin/pip install --quiet torch
  fi
  PYTHON=bench/.venv/bin/python
fi

common=(--models "$MODELS" --batch "$BATCH" --sample-batch "$SAMPLE_BATCH" --seconds "$SECONDS_PER" --threads "$THREADS")

echo "== building burn-gan (release ${FEATURES:-default features})"
# shellcheck disable=SC2086
cargo build --release -p burn-gan-zoo $FEATURES --quiet
bin=target/release/burn-gan
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/release/burn-gan"

echo "== burn-gan bench (${THREADS} threads)"
"$bin" bench "${common[@]}" --json > "$out/burn-gan.json"
echo "== PyTorch eager on $DEVICE (${THREADS} threads)"
"$PYTHON" bench/pytorch_bench.py "${common[@]}" --device "$DEVICE" > "$out/pytorch.json"

python3 - "$out/burn-gan.json" "$out/pytorch.json" "$MODELS" <<'EOF'
import json, sys
ours, torch_, models = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3].split(",")
print(f"burn-gan {ours['burn_gan']} backend {ours['backend']} ({ours['threads']} threads, burn {ours['burn']}, {ours['rustc']})")
print(f"PyTorch {torch_['torch']} {torch_['backend']} ({torch_['threads']} threads, {torch_['device']})")
print(f"CPU: {ours.get('cpu', '?')}")
head = f"{'model':<9} {'':>14} {'burn-gan':>10} {'PyTorch':>10} {'ratio':>7}"
print(head)
print("-" * len(head))
for m in models:
    a, b = ours[m], torch_[m]
    rows = [("train img/s", a["train_images_per_s"], b["train_images_per_s"]),
            ("sample img/s", a["sample_images_per_s"], b["sample_images_per_s"])]
    for name, x, y in rows:
        print(f"{m:<9} {name:>14} {x:>10.1f} {y:>10.1f} {x / y:>6.2f}x")
    ra, rb = a.get("train_peak_rss_mib"), b.get("train_peak_rss_mib")
    if ra and rb:
        print(f"{m:<9} {'train RSS MiB':>14} {ra:>10.0f} {rb:>10.0f} {ra / rb:>6.2f}x")
EOF
