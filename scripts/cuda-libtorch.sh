#!/usr/bin/env bash
# Unpacks the CUDA libtorch that the CUDA prebuilt binary is built against, when this
# machine's disk has it: the headers, CMake files and libraries of the CUDA torch wheel kept
# next to the local pip wheels, and the nvidia-* wheels' headers (about 9 s, once). Compiling
# and linking need no GPU. Prints the libtorch folder on stdout, or nothing (with a notice on
# stderr) when there is no CUDA wheel or no CUDA toolkit headers.
# With --with-libs it also unpacks the nvidia-* wheels' libraries next to it (about 45 s and
# 3.2 GB, once), where torch's RPATH finds them as in a pip install: then the CUDA libtorch
# loads (and runs on the CPU) on a machine without a GPU, so the CUDA prebuilt binary can be
# loaded by the tests.
# Usage: libtorch=$(bash scripts/cuda-libtorch.sh [--with-libs])
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
  echo "cuda-libtorch: none: no CUDA torch wheel (${wheel_dirs[*]}) or no CUDA toolkit headers on this machine" >&2
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
  echo "cuda-libtorch: unpacked $(basename "$torch_whl") in $(( $(date +%s) - started )) s" >&2
fi
if [ "${1:-}" = "--with-libs" ] && [ ! -f "$dest/.libs-$(basename "$torch_whl")" ]; then
  started=$(date +%s)
  # The libraries libtorch_cuda.so needs (not the compiler's: nvcc, nvvm, cccl).
  for name in cublas cuda_cupti cuda_nvrtc cuda_runtime cudnn cufft cufile curand cusolver cusparse cusparselt nccl nvjitlink nvshmem nvtx; do
    w=$(find_wheel "nvidia_${name}[-_]*.whl")
    if [ -n "$w" ]; then unzip -q -o "$w" 'nvidia/*/lib/*' -d "$dest" 2>/dev/null || true; fi
  done
  touch "$dest/.libs-$(basename "$torch_whl")"
  echo "cuda-libtorch: unpacked the nvidia-* libraries in $(( $(date +%s) - started )) s" >&2
fi
echo "$PWD/$dest/torch"
