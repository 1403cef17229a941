#!/usr/bin/env bash
# The main job on bundled data: evaluate MLIP-trained potentials (Cu, levels
# 8 and 16; Cu/Ag/Au, level 10) on 100 configurations each, compare with
# MLIP's own `mlp calc-efs` output, report the potentials' errors against the
# EMT labels, and generate an untrained level-16 potential for a new system.
set -euo pipefail
BIN="${1:-mtp}"
cd "$(dirname "$0")/.."
REF=Tests/MTPTests/Fixtures/mlip-reference
mkdir -p out
for case in cubic/08 cubic/16 multi/10; do
    out="out/calc-efs.${case/\//-}.cfg"
    echo "== $case: mtp calc-efs"
    "$BIN" calc-efs --timing "$REF/$case/pot.mtp" "$REF/$case/calc-efs.first100.cfg" "$out"
    echo "-- difference from MLIP's calc-efs output (MLIP prints 12/6/5 decimals)"
    "$BIN" compare "$REF/$case/calc-efs.first100.cfg" "$out"
done
echo "== untrained level-16 potential for two species, cutoff 6.5 A"
"$BIN" basis --level 16 --species-count 2 --min-dist 1.8 --max-dist 6.5 -o out/untrained-16.mtp
