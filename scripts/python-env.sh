#!/usr/bin/env bash
# Creates the project's Python environment for `--calculator ase:FILE.py`:
# a venv at .venv (or $MTP_VENV) with ASE from PyPI; with --dft also GPAW
# (built against Debian's libxc, FFTW and OpenBLAS) and its PAW setups.
# The `mtp` tool finds .venv beside its checkout; MTP_PYTHON overrides it.
#
#   bash scripts/python-env.sh          # ASE only (EMT, Lennard-Jones, ... for tests)
#   bash scripts/python-env.sh --dft    # plus GPAW and gpaw-data
set -euo pipefail
cd "$(dirname "$0")/.."
DFT=0
for a in "$@"; do
    case "$a" in
        --dft) DFT=1 ;;
        *) echo "python-env: unknown option $a (use --dft)" >&2; exit 2 ;;
    esac
done
VENV="${MTP_VENV:-$PWD/.venv}"
PY="${PYTHON:-python3}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv python3-dev >/dev/null
    PY=python3
fi
if [ "$DFT" = 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends libxc-dev libfftw3-dev libopenblas-dev build-essential >/dev/null
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q --disable-pip-version-check 'ase>=3.22'
if [ "$DFT" = 1 ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check gpaw gpaw-data
    "$VENV/bin/python" -c 'import gpaw, gpaw_data' 2>/dev/null || "$VENV/bin/python" -c 'import gpaw'
fi
echo "python-env: $("$VENV/bin/python" -c 'import ase, sys; print("Python", sys.version.split()[0], "ASE", ase.__version__)')$([ "$DFT" = 1 ] && "$VENV/bin/python" -c 'import gpaw; print(", GPAW", gpaw.__version__)' | tr -d '\n') in $VENV"
