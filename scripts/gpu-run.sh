#!/usr/bin/env bash
# Runs on the GPU machine, copied there as .gpu-kit/run.sh by scripts/gpu-prepare.sh; from
# the project root: `OUT=<dir> bash .gpu-kit/run.sh [command...]`. Unpacks the kit's Node.js,
# points the build at the machine's own PyTorch (CUDA) and the NVIDIA headers its C++ headers
# include, prints the environment (also to $OUT/gpu-env.txt when OUT is set), then runs the
# command (default: bash scripts/gpu-check.sh). Needs no Node.js and no network there.
set -uo pipefail
kit=$(cd "$(dirname "$0")" && pwd)
bin=/tmp/gpu-kit-bin
mkdir -p "$bin"
[ -x "$bin/node" ] || { xz -dc "$kit/node.xz" > "$bin/node" && chmod +x "$bin/node"; }
export PATH="$bin:$PATH"
py=${TORCHTS_PYTHON:-python3}
export TORCHTS_PYTHON="$py"
# Headers of the NVIDIA wheels (cuDNN, cuBLAS, NCCL, ...) that libtorch's CUDA headers include.
nv=$("$py" - <<'PY' 2>/dev/null
import glob, os, site
dirs = set()
for sp in site.getsitepackages():
    dirs.update(glob.glob(os.path.join(sp, "nvidia", "*", "include")))
print(":".join(sorted(dirs)))
PY
)
[ -n "$nv" ] && export CPATH="$nv${CPATH:+:$CPATH}"
[ -d /usr/local/cuda/include ] && export CPATH="${CPATH:+$CPATH:}/usr/local/cuda/include"
env_report() {
  echo "== gpu:    $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1)"
  echo "== node:   $(node --version)"
  echo "== torch:  $("$py" -c 'import torch;print(torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "available", torch.cuda.is_available())' 2>&1 | tail -1)"
  echo "== cmake:  $(cmake --version 2>&1 | head -1)   nvcc: $(nvcc --version 2>&1 | tail -1)"
  echo "== cores:  $(nproc)"
  echo "== CPATH:  ${CPATH:-}"
}
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  env_report | tee "$OUT/gpu-env.txt"
else
  env_report
fi
[ $# -gt 0 ] || set -- bash scripts/gpu-check.sh
"$@"
