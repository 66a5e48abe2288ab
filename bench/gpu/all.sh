#!/usr/bin/env bash
# One call on a lent GPU machine: the packed Node WebGPU bench (run.sh, at most $WEBGPU_S seconds; it saves
# after every section, so a timeout keeps the finished ones), then the PyTorch twin's real step
# (python/infomax_lab/bench.py) on tiny/demo/paper where the machine has torch with CUDA, for scale.
# Results under $OUT: gpu.json, env.txt, log.txt, twin.jsonl.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/bench/gpu/out}; mkdir -p "$OUT"; export OUT
timeout "${WEBGPU_S:-400}" bash bench/gpu/run.sh "$@"
echo "webgpu bench exit $?"
if python3 -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  for p in tiny demo paper; do
    (cd python && timeout "${TWIN_S:-45}" python3 -m infomax_lab.bench --preset "$p" --steps 20 --reps 3) >> "$OUT/twin.jsonl" 2>> "$OUT/twin.err"
  done
  cat "$OUT/twin.jsonl"
else
  echo "no torch with CUDA here: twin bench skipped" | tee "$OUT/twin.err"
fi
