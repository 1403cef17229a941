#!/usr/bin/env bash
# Scaling study of training (release build; not part of the tests). On the
# 1001-configuration Cu set (cutoff 5 A, ../shared/data/mlip-reference/cubic):
#  - strong scaling: the first STRONG configurations on 1, 2, 4, 8 ranks;
#  - weak scaling: WEAK configurations per rank (WEAK x ranks in all);
# each point is `mpirun -np N mtp bench phases`: input (read, neighbour
# lists), the Jacobian pass (loss+gradient: derivatives and the rank's QR),
# the allgather of the triangular factors, the replicated linear solve
# (TSQR combination and damped step) and a loss evaluation, split into
# compute, communication and waiting; plus one real `mtp train` iteration.
# `mtp bench mpi` measures latency, bandwidth and allgather times, and a
# 1-rank calibration at each level of MODEL_LEVELS gives the per-atom costs
# of larger bases. analyse.py turns it all into results.md (tables, model
# against measurements, predictions for 1-1024 ranks, memory limits) and
# scaling.svg (data and gnuplot script beside it).
# Ranks beyond the machine's cores are oversubscribed and marked so.
# Usage: benchmarks/scaling/run.sh     (SKIP_BUILD=1, MTP=..., LEVEL=08,
#        RANKS="1 2 4 8", STRONG=1000, WEAK=125, REPEATS=3, MODEL_LEVELS="16")
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/mlip-reference/cubic}
HERE=$ROOT/benchmarks/scaling
OUT=$HERE/out
LEVEL=${LEVEL:-08}
RANKS=${RANKS:-1 2 4 8}
STRONG=${STRONG:-1000}
WEAK=${WEAK:-125}
REPEATS=${REPEATS:-3}
MODEL_LEVELS=${MODEL_LEVELS:-16}
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product mtp --scratch-path .build-bench
MTP=${MTP:-$ROOT/.build-bench/release/mtp}
export HDF5_USE_FILE_LOCKING=FALSE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS)
rm -rf "$OUT"
mkdir -p "$OUT"
SET=$DATA/training.cfg
total=$(grep -c BEGIN_CFG "$SET")
maxr=$(echo $RANKS | tr ' ' '\n' | sort -n | tail -1)
[ "$STRONG" -le "$total" ] && [ $((WEAK * maxr)) -le "$total" ] || { echo "run.sh: $SET has $total configurations, fewer than asked"; exit 1; }

subset() {  # n -> out/cN.h5: the first n configurations as a training store
    [ -f "$OUT/c$1.h5" ] && return
    awk -v n="$1" '/BEGIN_CFG/{k++} k<=n' "$SET" > "$OUT/c$1.cfg"
    "$MTP" convert "$OUT/c$1.cfg" --species Cu -o "$OUT/c$1.h5" >/dev/null
    rm "$OUT/c$1.cfg"
}

echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== MPI: ping-pong and allgather"
for n in $RANKS; do
    [ "$n" -ge 2 ] || continue
    "${MPIRUN[@]}" -np "$n" "$MTP" bench mpi -o "$OUT/mpi-$n.json" | grep -E 'latency|allgather|oversub'
done
pot=$DATA/$LEVEL/initial.mtp
subset "$STRONG"
for n in $RANKS; do
    echo "== strong scaling: $STRONG configurations on $n ranks (level $LEVEL)"
    "${MPIRUN[@]}" -np "$n" "$MTP" bench phases "$pot" "$OUT/c$STRONG.h5" --repeats "$REPEATS" -o "$OUT/strong-$n.json"
done
for n in $RANKS; do
    c=$((WEAK * n))
    subset "$c"
    echo "== weak scaling: $c configurations on $n ranks (level $LEVEL)"
    "${MPIRUN[@]}" -np "$n" "$MTP" bench phases "$pot" "$OUT/c$c.h5" --repeats "$REPEATS" -o "$OUT/weak-$n.json"
done
for level in $MODEL_LEVELS; do
    subset "$WEAK"
    echo "== calibration: level $level, $WEAK configurations, 1 rank"
    "${MPIRUN[@]}" -np 1 "$MTP" bench phases "$DATA/$level/initial.mtp" "$OUT/c$WEAK.h5" --repeats 1 -o "$OUT/level-$level.json"
done
cat > "$OUT/machine.json" <<JSON
{"date": "$(date -u '+%Y-%m-%d %H:%M UTC')", "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)",
 "cores": $(getconf _NPROCESSORS_ONLN), "memoryBytes": $(awk '/MemTotal/ {print $2 * 1024}' /proc/meminfo),
 "loadAverage": "$(cut -d' ' -f1-3 /proc/loadavg)", "level": "$LEVEL", "strong": $STRONG, "weak": $WEAK,
 "ranks": [$(echo $RANKS | tr ' ' ',')], "modelLevels": [$(echo $MODEL_LEVELS | sed 's/\b0*\([0-9]\)/\1/g' | tr ' ' ',')],
 "mtp": "$("$MTP" --version | head -1)", "blas": "$("$MTP" --version | sed -n 's/^OpenBLAS kernels //p')", "compiled": "$("$MTP" --version | sed -n 's/^kernels compiled for //p')", "commit": "$(git -C "$ROOT" rev-parse --short HEAD)"}
JSON
python3 "$HERE/analyse.py" "$OUT" "$HERE"
