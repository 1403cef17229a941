#!/usr/bin/env bash
# The main job on bundled data:
#  1. evaluate MLIP-trained potentials (Cu levels 8 and 16, Cu/Ag/Au level
#     10) on 100 configurations each and compare with MLIP's own
#     `mlp calc-efs` output;
#  2. a small sweep under mpirun: levels 4-10 x cutoffs 4.0 and 5.0 A fitted
#     side by side on 2 ranks to 100 Cu configurations (30 iterations each),
#     ending with the summary table and the cost-error (Pareto) plot.
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
echo
echo "== mtp sweep: levels 4-10 x cutoffs 4.0, 5.0 A on 2 ranks (resumable: rerunning skips finished fits)"
mpirun --allow-run-as-root --oversubscribe -np 2 "$BIN" sweep "$REF/cubic/08/calc-efs.first100.cfg" \
    --levels 4:10:2 --cutoffs 4.0,5.0 --min-dist 0.5 --max-iter 30 --format png --out out/sweep
echo
echo "Plots: out/sweep/cost-vs-error.png (Pareto front), out/sweep/rmse-vs-level.png; tables: out/sweep/summary.{md,csv}"
