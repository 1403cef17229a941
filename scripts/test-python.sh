#!/usr/bin/env bash
# The Python package's tests (python/tests, pytest): a venv with ASE and
# pytest from PyPI, the package installed from python/ against the Swift
# build in BUILD_DIR (its libMTPC.so is copied into the package, its `mtp`
# runs the train/grade wrappers and the `calc-efs` the tests compare with).
#
#   bash scripts/test-python.sh [BUILD_DIR]    (default .build/release)
#
# The venv is kept in .build-python/venv (MTP_PYTHON_VENV to move it).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-.build/release}"
[ -f "$BUILD/libMTPC.so" ] && [ -x "$BUILD/mtp" ] || {
    echo "test-python: $BUILD has no libMTPC.so and mtp; build them first (swift build -c release)" >&2; exit 1; }
BUILD="$(cd "$BUILD" && pwd)"
VENV="${MTP_PYTHON_VENV:-.build-python/venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
VENV="$(cd "$VENV" && pwd)"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q "ase>=3.22" "pytest>=7"
MTP_BUILD_DIR="$BUILD" "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps ./python
rm -rf python/build python/*.egg-info
cd python/tests
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider .
