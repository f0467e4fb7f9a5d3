#!/usr/bin/env bash
# GPU speed on an NVIDIA machine: burn-gan on the cuda and wgpu backends and PyTorch CUDA eager,
# the same networks and batches, printed as ratios (ours / PyTorch). The issue's target is
# >= 1.0x PyTorch eager for the 64x64 DCGAN at batch 256.
#
#   bash bench/gpu.sh                 # builds both backends (cuda builds without a GPU; wgpu needs Vulkan)
#   SKIP_WGPU=1 bash bench/gpu.sh
#   BIN_CUDA=/path/to/burn-gan-cuda bash bench/gpu.sh    # a binary built elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
export MODELS="${MODELS:-dcgan28,dcgan64}" BATCH="${BATCH:-256}" SAMPLE_BATCH="${SAMPLE_BATCH:-256}"
export SECONDS_PER="${SECONDS_PER:-10}" DEVICE=cuda
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || {
  echo "error: no NVIDIA GPU visible (nvidia-smi failed); run this on a GPU machine" >&2; exit 1; }

run_backend() { # name, cargo features, target dir
  local name=$1 features=$2 dir=$3
  echo "=== burn-gan on $name vs PyTorch CUDA eager (batch $BATCH)"
  CARGO_TARGET_DIR="$dir" FEATURES="$features" bash bench/compare-pytorch.sh | tee "bench/results/gpu-$name.txt"
}
if [ -n "${BIN_CUDA:-}" ]; then
  mkdir -p bench/results
  "$BIN_CUDA" bench --models "$MODELS" --batch "$BATCH" --sample-batch "$SAMPLE_BATCH" --seconds "$SECONDS_PER" --json > bench/results/burn-gan-cuda.json
  cat bench/results/burn-gan-cuda.json
else
  run_backend cuda "--features cuda" target-cuda
fi
if [ -z "${SKIP_WGPU:-}" ]; then
  run_backend wgpu "--features wgpu" target-wgpu
fi
