#!/usr/bin/env bash
# Builds the CUDA prebuilt binary against the CUDA libtorch on this machine's disk
# (scripts/cuda-libtorch.sh), so the CUDA-only C++ (native/cuda.cc, fused optimizers, CUDA
# graphs) is compiled and linked in CI without a GPU, and checks what it links. Prints a
# notice and exits 0 when there is no CUDA wheel. `npm pack` (prepack) runs the same build.
# Usage: bash scripts/cuda-compile-check.sh   (after `npm ci`; builds into build-torch-<version>-cu<xy>/)
set -euo pipefail
cd "$(dirname "$0")/.."

libtorch=$(bash scripts/cuda-libtorch.sh)
if [ -z "$libtorch" ]; then
  echo "cuda-compile-check: skipped (no CUDA libtorch on this machine)"
  exit 0
fi
started=$(date +%s)
LIBTORCH="$libtorch" node dist/cli/main.js build --prebuild
version=$(sed -n "s/^__version__ = '\([0-9]*\.[0-9]*\).*+cu\([0-9]*\)'.*/\1-cu\2/p" "$libtorch/version.py")
node=$(ls prebuilds/torch-"$version"/linux-x64/*.node)
# The CUDA backend registers itself from libtorch_cuda's static initialisers: it must be a
# direct dependency (the --as-needed pitfall), and the CUDA-only code must be in the binary.
# (Outputs are captured first: `grep -q` closing a pipe early would fail it under pipefail.)
needed=$(readelf -d "$node")
symbols=$(nm -DC --undefined-only "$node")
grep -q 'NEEDED.*libtorch_cuda.so' <<<"$needed" || { echo "cuda-compile-check: $node does not link libtorch_cuda.so"; exit 1; }
if grep -q 'RUNPATH.*/' <<<"$needed"; then echo "cuda-compile-check: $node records an absolute RUNPATH"; exit 1; fi
grep -q 'at::cuda::CUDAGraph::capture_begin' <<<"$symbols" || { echo "cuda-compile-check: CUDA graph code missing from $node"; exit 1; }
grep -q 'CUDACachingAllocator' <<<"$symbols" || { echo "cuda-compile-check: CUDA allocator code missing from $node"; exit 1; }
if grep -q 'c10d::ProcessGroupGloo' <<<"$symbols"; then
  # With Gloo's headers, distributed.cc is built, and with the NCCL wheel's headers its NCCL backend too.
  grep -q 'c10d::ProcessGroupNCCL' <<<"$symbols" || { echo "cuda-compile-check: the NCCL backend is missing from $node"; exit 1; }
else
  echo "cuda-compile-check: note: built without torch.distributed (no Gloo headers)"
fi
echo "cuda-compile-check: $node compiled and linked against $libtorch in $(( $(date +%s) - started )) s"
