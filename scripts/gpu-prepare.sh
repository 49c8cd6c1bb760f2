#!/usr/bin/env bash
# On a machine with Node.js: everything a GPU check needs that a GPU machine without Node.js
# cannot make itself (README.md, "GPU: CUDA, ..."). Builds the TypeScript (dist/, dist-scripts/) and fills
# .gpu-kit/ (git-ignored) with this machine's Node.js runtime (xz-compressed), run.sh (a copy
# of scripts/gpu-run.sh), the node_modules the GPU machine needs (cmake-js and node-addon-api
# for the native build, node-gyp-build for the loader, vitest for the CUDA tests; xz-compressed) and torchvision's resnet.py
# for the PyTorch side of the benchmark.
# Then run there, from the project root, carrying .gpu-kit, dist and dist-scripts:
#     OUT=<dir> bash .gpu-kit/run.sh          # runs scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
npx tsc -p tsconfig.scripts.json
mkdir -p .gpu-kit
node_bin=$(command -v node)
stamp="$(node --version) $(stat -c %s "$node_bin")"
if [ ! -f .gpu-kit/node.xz ] || [ "$(cat .gpu-kit/node.stamp 2>/dev/null)" != "$stamp" ]; then
  echo "compressing the $(node --version) runtime (about 20 s)..."
  xz -T0 -6 -c "$node_bin" > .gpu-kit/node.xz.tmp && mv .gpu-kit/node.xz.tmp .gpu-kit/node.xz
  echo "$stamp" > .gpu-kit/node.stamp
fi
cp scripts/gpu-run.sh .gpu-kit/run.sh
list=$(npm query '#vitest, #vitest *, #cmake-js, #cmake-js *, #node-addon-api, #node-gyp-build' |
  node -e "const a = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log([...new Set(a.map((x) => x.location))].join('\n'))")
echo "$list" | tar -cf - -T - | xz -T0 -6 > .gpu-kit/node_modules.tar.xz
# bench/gpu.py's PyTorch side runs torchvision's resnet.py; the GPU machine may have no
# torchvision, so the file travels too (used through TORCHVISION_MODELS_DIR).
mkdir -p .gpu-kit/torchvision-models
cp /usr/lib/python3/dist-packages/torchvision/models/resnet.py .gpu-kit/torchvision-models/
du -sh .gpu-kit/node_modules.tar.xz .gpu-kit/node.xz dist dist-scripts
