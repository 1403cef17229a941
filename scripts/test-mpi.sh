#!/usr/bin/env bash
# Tests that need mpirun, on data bundled in the repository:
#  1. sharded reads of a training store: a mixed-size set of 1520
#     configurations (27, 32 and 53-54 atoms: Cu, Cu/Ag/Au and Mo) in one
#     .h5; for N = 1..4 `mtp data shards --check` has every rank read its
#     shard with MPI-IO and rank 0 verify that the shards, in rank order, are
#     exactly the file's configurations (no gap, no overlap, identical
#     contents) with cost imbalance <= 10 %; N = 5 on a 3-configuration file
#     (more ranks than configurations, empty shards);
#  2. `mtp train` prints the same loss, to 13 significant digits, at every
#     iteration under -np 1, 2 and 3;
#  3. a training run killed with SIGKILL and resumed from its checkpoint
#     ends with the same potential as an uninterrupted run.
# Usage: scripts/test-mpi.sh [path/to/mtp]. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
MTP=${1:-}
if [ -z "$MTP" ]; then
    swift build -c release --product mtp --scratch-path .build-test
    MTP=.build-test/release/mtp
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HDF5_USE_FILE_LOCKING=${HDF5_USE_FILE_LOCKING:-FALSE}
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
REF=Tests/MTPTests/Fixtures/mlip-reference

"$MTP" convert $REF/cubic/*/calc-efs.first100.cfg --species Cu -o "$WORK/cu.h5" >/dev/null
"$MTP" convert "$WORK/cu.h5" $REF/multi/*/calc-efs.first100.cfg --species Cu,Ag,Au \
    Tests/TrainingStoreTests/Fixtures/mlearn/Mo-20.json -o "$WORK/mixed.h5" >/dev/null
"$MTP" convert Tests/TrainingStoreTests/Fixtures/mlip/calc-efs-multi10-first3.cfg -o "$WORK/small.h5" >/dev/null

for n in 1 2 3 4; do
    echo "== mpirun -np $n: sharded read of mixed.h5"
    "${MPIRUN[@]}" -np "$n" "$MTP" data shards "$WORK/mixed.h5" --check --max-imbalance 0.10
done
echo "== mpirun -np 5: small.h5 (3 configurations, empty shards)"
"${MPIRUN[@]}" -np 5 "$MTP" data shards "$WORK/small.h5" --check

echo "== mtp train: identical losses under -np 1, 2, 3"
awk '/BEGIN_CFG/{n++} n<=24' $REF/cubic/08/calc-efs.first100.cfg > "$WORK/t24.cfg"
POT=Tests/FittingTests/Fixtures/cu-06.mtp
for n in 1 2 3; do
    "${MPIRUN[@]}" -np "$n" "$MTP" train "$POT" "$WORK/t24.cfg" -o "$WORK/np$n.mtp" --max-iter 4 --checkpoint-every 0 \
        | awk '$1 ~ /^[0-9]+$/ && NF >= 8 {print $1, $2}' > "$WORK/np$n.loss"
    [ -s "$WORK/np$n.loss" ] || { echo "no progress lines under -np $n"; exit 1; }
done
for n in 2 3; do
    if ! paste "$WORK/np1.loss" "$WORK/np$n.loss" | awk -v n="$n" '
        { d = $2 - $4; if (d < 0) d = -d; if ($1 != $3 || d > 1e-12 * ($2 < 0 ? -$2 : $2)) bad = 1; print }
        END { exit bad }'; then
        echo "losses differ beyond 12 significant digits between -np 1 and -np $n"; exit 1
    fi
    lines=$(wc -l < "$WORK/np1.loss"); [ "$lines" -eq "$(wc -l < "$WORK/np$n.loss")" ] || { echo "iteration counts differ"; exit 1; }
done

echo "== mtp train: SIGKILL and --resume end at the same potential"
"$MTP" train "$POT" "$WORK/t24.cfg" -o "$WORK/straight.mtp" --max-iter 8 --checkpoint-every 1 >/dev/null
"$MTP" train "$POT" "$WORK/t24.cfg" -o "$WORK/killed.mtp" --max-iter 8 --checkpoint-every 1 >/dev/null &
pid=$!
for _ in $(seq 1 600); do
    if [ -f "$WORK/killed.mtp.checkpoint.json" ] && grep -q '"iteration":[3-9]' "$WORK/killed.mtp.checkpoint.json"; then break; fi
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[ -f "$WORK/killed.mtp" ] && { echo "a killed run left its output behind"; exit 1; }
grep -o '"iteration":[0-9]*' "$WORK/killed.mtp.checkpoint.json"
"$MTP" train "$POT" "$WORK/t24.cfg" -o "$WORK/killed.mtp" --max-iter 8 --checkpoint-every 1 --resume > "$WORK/resumed.log"
head -1 "$WORK/resumed.log"
cmp "$WORK/straight.mtp" "$WORK/killed.mtp"
echo "test-mpi: all checks passed"
