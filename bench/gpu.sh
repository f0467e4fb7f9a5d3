#!/usr/bin/env bash
# GPU speed and memory on an NVIDIA machine: burn-gan on the cuda backend and PyTorch CUDA eager,
# the same networks and batches, side by side, printed as ratios (ours / PyTorch; above 1 means
# burn-gan is faster), with each run's peak GPU memory (nvidia-smi's memory.used, sampled every
# 50 ms, minus what was in use before the run). The issue's target is >= 1.0x PyTorch eager for
# the 64x64 DCGAN at batch 256.
#
#   bash bench/gpu.sh                                   # builds the cuda binary (no GPU needed to build)
#   BIN_CUDA=/path/to/burn-gan bash bench/gpu.sh        # a binary built elsewhere (offline)
#   MODELS=dcgan64 BATCHES="256" SECONDS_PER=20 bash bench/gpu.sh
#   PYTHON=/usr/bin/python3 bash bench/gpu.sh           # the interpreter with torch (default: python3)
#
# Models: the DCGANs and the newest zoo models; PyTorch runs the ones bench/pytorch_bench.py
# writes (the others get burn-gan's numbers alone). Results: bench/results/gpu-*.json and
# bench/results/gpu.md. torch.compile (TorchInductor, each network compiled) is measured for
# COMPILE_MODELS at COMPILE_BATCHES (default dcgan64 at 256, the issue's target row; compiling
# takes about a minute a model); a failure there leaves its cells "-".
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS="${MODELS:-dcgan28,dcgan64,vaegan28,progan32,pix2pix28,cyclegan28,srgan28}"
TORCH_KNOWN="dcgan28 dcgan32 dcgan64 gan-mnist pix2pix28 cyclegan28 srgan28"
BATCHES="${BATCHES:-64 256}"
SAMPLE_BATCH="${SAMPLE_BATCH:-256}"
SECONDS_PER="${SECONDS_PER:-5}"  # 7 models x 2 batches x 2 tools: about 7 minutes in all
COMPILE_MODELS="${COMPILE_MODELS:-dcgan64}"
COMPILE_BATCHES="${COMPILE_BATCHES:-256}"
out=bench/results
mkdir -p "$out"

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || {
  echo "error: no NVIDIA GPU visible (nvidia-smi failed); run this on a GPU machine" >&2; exit 1; }

bin="${BIN_CUDA:-}"
if [ -z "$bin" ]; then
  echo "== building burn-gan with --features cuda (target-cuda/)"
  CARGO_TARGET_DIR=target-cuda cargo build --release -p burn-gan-zoo --features cuda --quiet
  bin=target-cuda/release/burn-gan
fi
"$bin" --version

# The machine's own PyTorch: $PYTHON, else bench/.venv, else python3 (nothing is installed here).
python="${PYTHON:-}"
if [ -z "$python" ] && [ -x bench/.venv/bin/python ]; then python=bench/.venv/bin/python; fi
if [ -z "$python" ]; then python=python3; fi
if [ -z "$python" ] || ! "$python" -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  echo "warning: no Python with CUDA torch ($python; set PYTHON to one); measuring burn-gan alone" >&2
  python=""
fi

used_mib() { nvidia-smi -i 0 --query-gpu=memory.used --format=csv,noheader,nounits | head -1; }

# Runs "$@" with stdout to $json while sampling GPU memory; prints the peak above the idle level.
with_peak() {
  local json=$1 samples
  shift
  samples=$(mktemp)
  local idle
  idle=$(used_mib)
  nvidia-smi -i 0 --query-gpu=memory.used --format=csv,noheader,nounits -lms 50 > "$samples" &
  local poll=$!
  local status=0
  "$@" > "$json" || status=$?
  kill "$poll" 2>/dev/null || true
  wait "$poll" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "error: $* failed (exit $status)" >&2
    rm -f "$samples"
    return "$status"
  fi
  sort -n "$samples" | tail -1 | awk -v idle="$idle" '{ print $1 - idle }'
  rm -f "$samples"
}

rows=()
for batch in $BATCHES; do
  for model in ${MODELS//,/ }; do
    ours="$out/gpu-burn-gan-$model-b$batch.json"
    echo "== burn-gan cuda: $model, batch $batch"
    mem_ours=$(with_peak "$ours" "$bin" bench --models "$model" --batch "$batch" \
      --sample-batch "$SAMPLE_BATCH" --seconds "$SECONDS_PER" --json) || exit 1
    theirs="" mem_theirs=""
    if [ -n "$python" ] && [[ " $TORCH_KNOWN " == *" $model "* ]]; then
      theirs="$out/gpu-pytorch-$model-b$batch.json"
      echo "== PyTorch CUDA eager: $model, batch $batch"
      mem_theirs=$(with_peak "$theirs" "$python" bench/pytorch_bench.py --models "$model" \
        --batch "$batch" --sample-batch "$SAMPLE_BATCH" --seconds "$SECONDS_PER" --device cuda) \
        || { echo "warning: PyTorch failed on $model at batch $batch; burn-gan's numbers alone" >&2; theirs=""; mem_theirs=""; }
    fi
    compiled=""
    if [ -n "$theirs" ] && [[ " $COMPILE_MODELS " == *" $model "* ]] && [[ " $COMPILE_BATCHES " == *" $batch "* ]]; then
      compiled="$out/gpu-pytorch-compile-$model-b$batch.json"
      echo "== PyTorch CUDA torch.compile: $model, batch $batch"
      with_peak "$compiled" "$python" bench/pytorch_bench.py --models "$model" --compile --warmup 3 \
        --batch "$batch" --sample-batch "$SAMPLE_BATCH" --seconds "$SECONDS_PER" --device cuda > /dev/null \
        || { echo "warning: torch.compile failed on $model at batch $batch" >&2; compiled=""; }
    fi
    rows+=("$model $batch $ours ${theirs:--} $mem_ours ${mem_theirs:--} ${compiled:--}")
  done
done

printf '%s\n' "${rows[@]}" | python3 -c '
import json, sys
print("| model | batch | train img/s: burn-gan | PyTorch eager | ratio | torch.compile | ratio | sample img/s: burn-gan | PyTorch | ratio | peak GPU MiB: burn-gan | PyTorch |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for line in sys.stdin:
    model, batch, ours, theirs, mem_ours, mem_theirs, compiled = line.split()
    a = json.load(open(ours))[model]
    b = json.load(open(theirs))[model] if theirs != "-" else None
    c = json.load(open(compiled))[model] if compiled != "-" else None
    cell = lambda key, o: (f"{o[key]:.0f}", f"{a[key] / o[key]:.2f}x") if o else ("-", "-")
    t, s, tc = cell("train_images_per_s", b), cell("sample_images_per_s", b), cell("train_images_per_s", c)
    train, sample = a["train_images_per_s"], a["sample_images_per_s"]
    print(f"| {model} | {batch} | {train:.0f} | {t[0]} | {t[1]} | {tc[0]} | {tc[1]} | {sample:.0f} | {s[0]} | {s[1]} | {mem_ours} | {mem_theirs} |")
' | tee "$out/gpu.md"
