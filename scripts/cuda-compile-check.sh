#!/usr/bin/env bash
# Compiles and links the addon against a CUDA libtorch when this machine's disk has one (the
# CUDA torch wheel and the nvidia-* header wheels kept next to the local pip wheels, and the
# CUDA toolkit headers), so the CUDA-only C++ (native/cuda.cc, fused optimizers, CUDA graphs)
# is compiled in CI without a GPU. Prints a notice and exits 0 when there is none.
# Usage: bash scripts/cuda-compile-check.sh   (after `npm ci`; builds into build-cuda/)
set -euo pipefail
cd "$(dirname "$0")/.."

wheel_dirs=(${TORCHTS_WHEEL_DIRS:-/opt/pypi-more/files /opt/pypi/files /opt/pypi /opt/wheels})
find_wheel() { for d in "${wheel_dirs[@]}"; do ls "$d"/$1 2>/dev/null || true; done | sort -V | tail -1; }

torch_whl=$(for d in "${wheel_dirs[@]}"; do ls "$d"/torch-2.1[1-4].*-manylinux*_x86_64.whl 2>/dev/null | grep -v '+cpu'; done | sort -V | tail -1 || true)
cuda_inc=""
for root in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda; do
  if [ -n "$root" ] && [ -f "$root/include/cuda_runtime_api.h" ]; then cuda_inc="$root/include"; break; fi
done
if [ -z "$torch_whl" ] || [ -z "$cuda_inc" ]; then
  echo "cuda-compile-check: skipped: no CUDA torch wheel (${wheel_dirs[*]}) or no CUDA toolkit headers on this machine"
  exit 0
fi

dest=.deps/cuda-libtorch
stamp="$dest/.from-$(basename "$torch_whl")"
if [ ! -f "$stamp" ]; then
  started=$(date +%s)
  rm -rf "$dest" && mkdir -p "$dest"
  # Only headers, CMake files and libraries are needed to compile and link.
  unzip -q -o "$torch_whl" 'torch/include/*' 'torch/share/*' 'torch/lib/*' 'torch/version.py' -d "$dest"
  for name in nvidia_cublas nvidia_cusparse- nvidia_cusolver nvidia_nccl nvidia_cudnn; do
    w=$(find_wheel "${name}*.whl")
    if [ -n "$w" ]; then unzip -q -o "$w" 'nvidia/*/include/*' -d "$dest"; fi
  done
  touch "$stamp"
  echo "cuda-compile-check: unpacked $(basename "$torch_whl") in $(( $(date +%s) - started )) s"
fi

started=$(date +%s)
LIBTORCH="$PWD/$dest/torch" node dist/cli/main.js build --out build-cuda
node=build-cuda/Release/torchts.node
# The CUDA backend registers itself from libtorch_cuda's static initialisers: it must be a
# direct dependency (the --as-needed pitfall), and the CUDA-only code must be in the binary.
# (Outputs are captured first: `grep -q` closing a pipe early would fail it under pipefail.)
needed=$(readelf -d "$node")
symbols=$(nm -DC --undefined-only "$node")
grep -q 'NEEDED.*libtorch_cuda.so' <<<"$needed" || { echo "cuda-compile-check: $node does not link libtorch_cuda.so"; exit 1; }
grep -q 'at::cuda::CUDAGraph::capture_begin' <<<"$symbols" || { echo "cuda-compile-check: CUDA graph code missing from $node"; exit 1; }
grep -q 'CUDACachingAllocator' <<<"$symbols" || { echo "cuda-compile-check: CUDA allocator code missing from $node"; exit 1; }
if grep -q 'c10d::ProcessGroupGloo' <<<"$symbols"; then
  # With Gloo's headers, distributed.cc is built, and with the NCCL wheel's headers its NCCL backend too.
  grep -q 'c10d::ProcessGroupNCCL' <<<"$symbols" || { echo "cuda-compile-check: the NCCL backend is missing from $node"; exit 1; }
else
  echo "cuda-compile-check: note: built without torch.distributed (no Gloo headers)"
fi
echo "cuda-compile-check: compiled and linked against $(basename "$torch_whl") in $(( $(date +%s) - started )) s"
