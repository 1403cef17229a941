#!/usr/bin/env bash
# The single-core ceiling of the BLAS/LAPACK calls of the Jacobian pass
# (ceiling.c, with the machine's OpenBLAS): what the dense products and the
# streaming QR could reach at best, against which the pass's own GFLOP/s
# (`mtp bench jacobian`, benchmarks/jacobian/run.sh) are read.
# Shapes: the Cu set's level-24 pass (914 columns) and level 16 (126).
# OpenBLAS picks its kernels by itself unless OPENBLAS_CORETYPE is set; `mtp`
# sets it where the library does not know the CPU (`mtp --version` says so):
# run as OPENBLAS_CORETYPE=<that core> bash run.sh for the kernels mtp uses.
# Results: benchmarks/jacobian/ceiling/results.md.
set -euo pipefail
cd "$(dirname "$0")"
OUT=out; mkdir -p "$OUT"
gcc -O2 ceiling.c -o "$OUT/ceiling" -lopenblas -llapack
{
echo "# BLAS/LAPACK ceiling, one thread"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| call | CPU s (best of 3) | rate |"
echo "|---|---|---|"
"$OUT/ceiling" 914 914
"$OUT/ceiling" 126 256
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} > results.md.tmp
mv results.md.tmp results.md
cat results.md
