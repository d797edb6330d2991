#!/usr/bin/env bash
# GPU benchmark (fits in 10 minutes on one H200): onnxruntime-node on the CUDA execution provider and
# PyTorch CUDA eager (fp32 and fp16 autocast), batch sweep 1..64, default and FFHQ256 architectures,
# matmul peak. Run from the repository root:  bash bench/gpu/run.sh   (results: $OUT or bench/results/gpu)
#
# The repository installs onnxruntime-node without the CUDA EP (install scripts are off). This script
# fetches it with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`; a machine without
# internet cannot, and then only PyTorch CUDA eager is measured (status.json says so).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-bench/results/gpu}"
mkdir -p "$OUT"
BUDGET_S="${BUDGET_S:-220}"   # per runtime; export + install + both sweeps stay under 10 minutes
status() { printf '%s\n' "$1" >> "$OUT/status.lines"; echo "[gpu] $1"; }
: > "$OUT/status.lines"

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv > "$OUT/nvidia-smi.csv" 2>&1 \
  || status "nvidia-smi failed"
uptime > "$OUT/uptime.txt"; git rev-parse HEAD > "$OUT/commit.txt" 2>/dev/null || true

# 1. onnxruntime-node with the CUDA EP (needs internet for the download).
ORT_CUDA=0
# npm rebuild runs the package's install script; with allowScripts off (package.json) run it directly.
ONNXRUNTIME_NODE_INSTALL=cuda12 timeout 240 npm rebuild onnxruntime-node > "$OUT/ort-install.log" 2>&1
if ! timeout 120 node --import tsx bench/gpu/ort-cuda.ts --probe >> "$OUT/ort-install.log" 2>&1; then
  (cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 timeout 240 node script/install.js) >> "$OUT/ort-install.log" 2>&1
fi
if timeout 120 node --import tsx bench/gpu/ort-cuda.ts --probe >> "$OUT/ort-install.log" 2>&1; then
  ORT_CUDA=1; status "onnxruntime-node CUDA EP: available"
else
  status "onnxruntime-node CUDA EP: unavailable (see ort-install.log); PyTorch CUDA eager only"
fi

# 2. PyTorch CUDA eager: the first python whose torch sees a GPU.
PY=""
for cand in ${DIFFAE_GPU_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    PY="$cand"; break
  fi
done
if [ -n "$PY" ]; then
  status "torch CUDA: $PY"
  PYTHONPATH=models timeout $((BUDGET_S + 60)) "$PY" bench/gpu/torch_cuda.py --out "$OUT/torch-cuda.json" --budget-s "$BUDGET_S" \
    > "$OUT/torch-cuda.log" 2>&1 || status "torch CUDA sweep failed (see torch-cuda.log)"
else
  status "torch CUDA: no python with a CUDA-enabled torch (set DIFFAE_GPU_PYTHON)"
fi

# 3. onnxruntime-node CUDA sweep.
if [ "$ORT_CUDA" = 1 ]; then
  timeout $((BUDGET_S + 60)) node --import tsx bench/gpu/ort-cuda.ts --out "$OUT/ort-cuda.json" --budget-s "$BUDGET_S" \
    > "$OUT/ort-cuda.log" 2>&1 || status "onnxruntime CUDA sweep failed (see ort-cuda.log)"
fi

node -e 'const fs=require("fs");const d=process.argv[1];fs.writeFileSync(d+"/status.json",JSON.stringify(fs.readFileSync(d+"/status.lines","utf8").trim().split("\n")))' "$OUT"
node --import tsx bench/gpu/summary.ts "$OUT"
