#!/usr/bin/env bash
# The combination of the Jacobian's triangular factors, old against new, in
# one run (release build; not part of the tests). For each level and rank
# count, `mtp bench phases` times on the same data and ranks
#  - the former path: every rank's streaming QR of its rows, MPI_Allgatherv
#    of all p factors (8 n^2 bytes each) and the QR of the p n x n stack
#    on every rank ("gathered");
#  - the fixed block tree (Trainer.treeFactor): fixed blocks of
#    configurations factored by their owners, combined in a fixed binary
#    tree over block index with point-to-point messages, R broadcast
#    ("tree");
# both including the derivatives, which are the same work. Levels 16
# (n = 126) and 24 (n = 914, an untrained `mtp basis` potential: the cost
# of an iteration does not depend on the parameters' values), 1, 2 and 4
# ranks; ranks beyond the machine's cores are oversubscribed and marked.
# Then the damped step at n = 126, 914 and 2000: replicated LAPACK against
# ScaLAPACK on every process grid (`mtp bench step`). Then the factor tree
# alone on synthetic rows at n = 3000 (`mtp bench tree`: blocks of 30
# configurations of 103 rows, straddling ranks): time and each rank's peak
# resident memory against the bound of FactorTree (docs/performance-model.md),
# on TREE_RANKS, and the former path (allgather + stack QR) beside it on
# GATHER_RANKS (its stack QR grows as p n^3 on every rank: hours at 8 ranks
# on 2 cores).
# Writes out/*.json (the records), results.json and results.md.
# Usage: benchmarks/solve/run.sh   (SKIP_BUILD=1, MTP=..., RANKS="1 2 4 8",
#        C16=200, C24=40, REPEATS=2, PARTS="phases step tree",
#        TREE_N=3000, TREE_C=470, TREE_RANKS="2 4 8", GATHER_C=230, GATHER_RANKS="2")
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/mlip-reference/cubic}
HERE=$ROOT/benchmarks/solve
OUT=$HERE/out
RANKS=${RANKS:-1 2 4 8}
PARTS=${PARTS:-phases step tree}
TREE_N=${TREE_N:-3000}
TREE_C=${TREE_C:-470}
TREE_RANKS=${TREE_RANKS:-2 4 8}
GATHER_C=${GATHER_C:-230}
GATHER_RANKS=${GATHER_RANKS:-2}
C16=${C16:-200}
C24=${C24:-40}
REPEATS=${REPEATS:-2}
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product mtp --scratch-path .build-bench
MTP=${MTP:-$ROOT/.build-bench/release/mtp}
export HDF5_USE_FILE_LOCKING=FALSE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS)
[ "${KEEP_OUT:-0}" = 1 ] || rm -rf "$OUT"
mkdir -p "$OUT"
SET=$DATA/training.cfg

subset() {  # n -> out/cN.h5: the first n configurations as a training store
    [ -f "$OUT/c$1.h5" ] && return
    awk -v n="$1" '/BEGIN_CFG/{k++} k<=n' "$SET" > "$OUT/c$1.cfg"
    "$MTP" convert "$OUT/c$1.cfg" --species Cu -o "$OUT/c$1.h5" >/dev/null
    rm "$OUT/c$1.cfg"
}
"$MTP" basis --level 24 --species-count 1 --min-dist 0.5 --max-dist 5.0 -o "$OUT/level24.mtp" >/dev/null
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
if [[ " $PARTS " == *" phases "* ]]; then
    for level in 16 24; do
        if [ $level = 16 ]; then pot=$DATA/16/initial.mtp; c=$C16; else pot=$OUT/level24.mtp; c=$C24; fi
        subset "$c"
        for n in $RANKS; do
            echo "== level $level, $c configurations, $n ranks"
            "${MPIRUN[@]}" -np "$n" "$MTP" bench phases "$pot" "$OUT/c$c.h5" --repeats "$REPEATS" -o "$OUT/L$level-np$n.json" \
                | grep -E 'ranks?|factor of|linear solve'
        done
    done
fi
if [[ " $PARTS " == *" step "* ]]; then
    for n in 126 914 2000; do
        for r in $RANKS; do
            echo "== damped step, n = $n, $r ranks: replicated against ScaLAPACK grids"
            "${MPIRUN[@]}" -np "$r" "$MTP" bench step --n "$n" --repeats "$REPEATS" -o "$OUT/n$n-np$r.json"
        done
    done
fi
if [[ " $PARTS " == *" tree "* ]]; then
    for r in $TREE_RANKS; do
        echo "== factor tree, n = $TREE_N, $TREE_C configurations, $r ranks: time and peak memory per rank"
        "${MPIRUN[@]}" -np "$r" "$MTP" bench tree --n "$TREE_N" --configurations "$TREE_C" -o "$OUT/T$TREE_N-c$TREE_C-np$r.json"
    done
    for r in $GATHER_RANKS; do
        echo "== factor tree and former path, n = $TREE_N, $GATHER_C configurations, $r ranks"
        "${MPIRUN[@]}" -np "$r" "$MTP" bench tree --n "$TREE_N" --configurations "$GATHER_C" --gathered -o "$OUT/T$TREE_N-c$GATHER_C-np$r.json"
    done
fi
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
python3 "$HERE/summarise.py" "$OUT" "$HERE"
