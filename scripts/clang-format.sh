#!/usr/bin/env bash
# clang-format over native/ (`--check` for `npm run lint`, `--write` for `npm run format`),
# pinned to clang-format 14, Debian 12's: other major versions lay out the same code
# differently, so a check against another one would fail on formatted code.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=""
for c in clang-format-14 clang-format; do
  if command -v "$c" >/dev/null && "$c" --version | grep -q 'version 14\.'; then
    bin=$c
    break
  fi
done
if [ -z "$bin" ]; then
  echo "clang-format 14 is needed for native/ (Debian 12: apt-get install clang-format); found: $(clang-format --version 2>/dev/null || echo none)" >&2
  exit 1
fi
mapfile -t files < <(find native -name '*.cc' -o -name '*.h' -o -name '*.inc' | sort)
case "${1:-}" in
  --check) "$bin" --dry-run --Werror "${files[@]}" ;;
  --write) "$bin" -i "${files[@]}" ;;
  *)
    echo "usage: $0 --check | --write" >&2
    exit 2
    ;;
esac
