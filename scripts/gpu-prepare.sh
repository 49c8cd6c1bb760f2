#!/usr/bin/env bash
# On this (CPU) machine: everything a GPU check needs that the GPU machine cannot make itself.
# Builds the TypeScript (dist/, dist-scripts/), packs ../shared/gpu's kit (.gpu-kit/ with a
# Node.js runtime and run.sh), and adds the node_modules the GPU machine needs (cmake-js and
# node-addon-api for the native build, vitest for the CUDA tests: ~50 MB, xz-compressed) and
# torchvision's resnet.py for the PyTorch side of the benchmark.
# Then run there, from the project root, carrying .gpu-kit, dist and dist-scripts:
#     OUT=<dir> bash .gpu-kit/run.sh          # runs scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
npx tsc -p tsconfig.scripts.json
bash ../shared/gpu/pack.sh
list=$(npm query '#vitest, #vitest *, #cmake-js, #cmake-js *, #node-addon-api, #node-gyp-build' |
  node -e "const a = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log([...new Set(a.map((x) => x.location))].join('\n'))")
echo "$list" | tar -cf - -T - | xz -T0 -6 > .gpu-kit/node_modules.tar.xz
# bench/gpu.py's PyTorch side runs torchvision's resnet.py; the GPU machine may have no
# torchvision, so the file travels too (used through TORCHVISION_MODELS_DIR).
mkdir -p .gpu-kit/torchvision-models
cp /usr/lib/python3/dist-packages/torchvision/models/resnet.py .gpu-kit/torchvision-models/
du -sh .gpu-kit/node_modules.tar.xz .gpu-kit/node.xz dist dist-scripts
