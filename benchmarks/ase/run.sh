#!/usr/bin/env bash
# MD steps per second in ASE on 6x6x6 hcp Mg, levels 8, 16, 24: this
# engine's ASE calculator (python/, mtp_engine) against motep's, in the same
# run. See ../README.md ("ase/").
#
#   benchmarks/ase/run.sh [bench.py options]       e.g. --levels 16 --steps 100
#
# Builds libMTPC.so (release, .build-bench; SKIP_BUILD=1 to reuse;
# BUILD_DIR=DIR to take it from another release build, e.g. .build/release),
# makes a venv (.build-python/bench-venv) with ASE, motep and the package,
# and runs bench.py pinned to one core (taskset -c 0, single-threaded BLAS).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
BUILD="${BUILD_DIR:-$ROOT/.build-bench/release}"
if [[ -z "${SKIP_BUILD:-}" && -z "${BUILD_DIR:-}" ]]; then
  (cd "$ROOT" && swift build -c release --scratch-path .build-bench --product MTPC >&2)
fi
BUILD="$(cd "$BUILD" && pwd)"
VENV="${MTP_BENCH_VENV:-$ROOT/.build-python/bench-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q "ase>=3.22" motep
MTP_BUILD_DIR="$BUILD" "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$ROOT/python"
rm -rf "$ROOT/python/build" "$ROOT"/python/*.egg-info
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
exec "${PIN[@]}" "$VENV/bin/python" "$HERE/bench.py" "$@"
