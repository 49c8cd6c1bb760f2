#!/usr/bin/env bash
# The GPU check, run on a GPU machine by .gpu-kit/run.sh (scripts/gpu-run.sh, packed by
# scripts/gpu-prepare.sh on a machine with Node.js): builds the addon against that machine's
# CUDA torch with every core, checks that CUDA is available, runs the CUDA tests
# (test/cuda.test.ts), then benchmarks ResNet-50 against PyTorch eager on the same GPU
# (bench/gpu.ts). Logs and a JSON report go to $OUT (default
# gpu-out/); exits non-zero if a step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
started=$(date +%s)
status=0
step() { # name, command...: runs and logs one step, records its result
  local name=$1; shift
  local t0=$(date +%s)
  echo "== $name: $*"
  "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  tail -40 "$OUT/$name.log"
  echo "== $name: exit $rc in $(( $(date +%s) - t0 )) s"
  echo "{\"step\": \"$name\", \"exit\": $rc, \"seconds\": $(( $(date +%s) - t0 ))}" >> "$OUT/steps.jsonl"
  [ $rc -eq 0 ] || status=1
  return $rc
}

[ -d node_modules ] || { echo "== unpacking node_modules"; xz -dc .gpu-kit/node_modules.tar.xz | tar -xf -; }
[ -f dist/index.js ] && [ -f dist-scripts/bench/gpu.js ] || { echo "dist/ and dist-scripts/ must be built first (scripts/gpu-prepare.sh)"; exit 2; }

finish() {
  echo "{\"seconds\": $(( $(date +%s) - started )), \"ok\": $([ $status -eq 0 ] && echo true || echo false)}" > "$OUT/report.json"
  echo "gpu-check: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - started )) s"
  exit $status
}

# The benchmark's PyTorch side needs torchvision's resnet.py: the machine's torchvision, or the copy in the kit.
"${TORCHTS_PYTHON:-python3}" -c 'import torchvision' 2>/dev/null || export TORCHVISION_MODELS_DIR=${TORCHVISION_MODELS_DIR:-$PWD/.gpu-kit/torchvision-models}

step build node dist/cli/main.js build || finish
step cuda-available node -e "
  const { torch } = require('./dist');
  console.log(JSON.stringify(torch.info(), null, 1));
  if (!torch.cuda.isAvailable()) { console.error('cuda.isAvailable() is false'); process.exit(1); }
  console.log('device:', torch.cuda.getDeviceName());" || finish
step cuda-tests node node_modules/vitest/vitest.mjs run test/cuda.test.ts --reporter verbose --reporter json --outputFile.json "$OUT/cuda-tests.json"
step bench node dist-scripts/bench/gpu.js --out "$OUT/bench-gpu.json"

finish
