#!/usr/bin/env bash
# Feature extraction and training on CUDA: the CPU harnesses (bench_features.py, bench_train.py) run
# with --device cuda and print the same JSON fields, plus the GPU's name and peak CUDA memory.
#
# Usage (from anywhere; a GPU machine with the repo set up by scripts/setup.sh):
#   benchmarks/gpu.sh                     # TMALL shape, full-batch and mini-batch, float32 and bfloat16
#   OUT=/tmp/gpu benchmarks/gpu.sh        # where the JSON files go (default benchmarks/out)
#   TRAIN_ARGS="--videos 2000 --epochs 1" benchmarks/gpu.sh   # a smaller training shape
#   MISHON_BENCH_DEVICE=cpu benchmarks/gpu.sh                 # the same script on CPU (a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
DEVICE=${MISHON_BENCH_DEVICE:-cuda}
OUT=${OUT:-benchmarks/out}
if [ "$DEVICE" = cuda ] && ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "benchmarks/gpu.sh: torch sees no CUDA device here; run it on a GPU machine" >&2
  exit 2
fi
mkdir -p "$OUT"
"$PY" benchmarks/bench_features.py --profile "${FEATURE_PROFILE:-offline}" --device "$DEVICE" \
  --out "$OUT/features-$DEVICE.json" ${FEATURE_ARGS:-}
# shellcheck disable=SC2086  # TRAIN_ARGS is a list of flags
"$PY" benchmarks/bench_train.py --device "$DEVICE" --modes full,mini --dtypes float32,bfloat16 \
  --json-out "$OUT/train-$DEVICE.json" ${TRAIN_ARGS:-}
echo "benchmarks/gpu.sh: JSON in $OUT/features-$DEVICE.json and $OUT/train-$DEVICE.json"
