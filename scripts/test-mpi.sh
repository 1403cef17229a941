#!/usr/bin/env bash
# Sharded parallel reads of a training store under mpirun -np 1..4.
#
# Builds mtp, converts a mixed-size set of 1637 configurations (2-140 atoms:
# the three-species mlip-reference set plus the mlearn Mo, Si and Ge sets)
# into one .h5 file, then for N = 1, 2, 3, 4 runs `mtp data shards --check`,
# in which every rank reads its shard with MPI-IO and rank 0 verifies that
# the shards, in rank order, are exactly the file's configurations (no gap,
# no overlap, identical contents) with cost imbalance <= 10 %. Also N = 5
# on a 3-configuration file (more ranks than configurations, empty shards).
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-h5}
DATA=../shared/data
swift build --scratch-path "$SCRATCH" --product mtp
MTP="$SCRATCH/debug/mtp"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HDF5_USE_FILE_LOCKING=${HDF5_USE_FILE_LOCKING:-FALSE}
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)

"$MTP" convert "$DATA/mlip-reference/multi/training.cfg" --species Cu,Ag,Au \
    "$DATA/mlearn/Mo/training.json" "$DATA/mlearn/Si/training.json" "$DATA/mlearn/Ge/training.json" \
    -o "$WORK/mixed.h5" 2>/dev/null
"$MTP" convert Tests/TrainingStoreTests/Fixtures/mlip/calc-efs-multi10-first3.cfg -o "$WORK/small.h5"

for n in 1 2 3 4; do
    echo "== mpirun -np $n: mixed.h5"
    "${MPIRUN[@]}" -np "$n" "$MTP" data shards "$WORK/mixed.h5" --check --max-imbalance 0.10
done
echo "== mpirun -np 5: small.h5 (3 configurations, empty shards)"
"${MPIRUN[@]}" -np 5 "$MTP" data shards "$WORK/small.h5" --check
echo "test-mpi: all shard checks passed"
