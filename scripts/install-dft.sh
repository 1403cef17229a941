#!/usr/bin/env bash
# Installs GPAW (real DFT for `--calculator ase:FILE.py`, docs/dft.md) with ASE
# into the project venv .venv: Debian libxc, FFTW, OpenBLAS; PyPI gpaw, gpaw-data.
set -euo pipefail
exec bash "$(dirname "$0")/python-env.sh" --dft
