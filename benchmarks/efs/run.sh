#!/usr/bin/env bash
# Single-core energy+forces+virial benchmark: `mtp calc-efs` against MLIP's
# reference figures and against motep. See ../README.md.
#
#   benchmarks/efs/run.sh [bench.py options]     e.g. --sets cubic --levels 16
#
# Environment: PYTHON (default python3), SKIP_BUILD=1 to reuse the binary,
# MTP=/path/to/mtp to use another binary (implies SKIP_BUILD).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3}"

if [[ -z "${MTP:-}" ]]; then
  if [[ -z "${SKIP_BUILD:-}" ]]; then
    echo "== swift build -c release --scratch-path .build-bench" >&2
    (cd "$ROOT" && swift build -c release --scratch-path .build-bench >&2)
  fi
  MTP="$ROOT/.build-bench/release/mtp"
fi
[[ -x "$MTP" ]] || { echo "no mtp binary at $MTP" >&2; exit 1; }

"$PYTHON" -c "import motep" 2>/dev/null || {
  echo "motep is not installed (pip install motep); running without it" >&2
  set -- --no-motep "$@"
}

mkdir -p "$HERE/out"
exec "$PYTHON" "$HERE/bench.py" --mtp "$MTP" --out "$HERE/out" "$@"
