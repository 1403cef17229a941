#!/usr/bin/env bash
# Collective failure under MPI (issue 18): a training store with one bad
# configuration in the shard of rank 0, 1 and 2 in turn (a NaN position, or a
# species the potential does not know), under `mpirun -np 3` for train, sweep
# and grade (and as the validation set of train and sweep). Each run must end within 60 s with a non-zero exit and exactly
# one error line naming the file and the configuration (no deadlock, no
# message per rank).
# Usage: scripts/test-mpi-failure.sh path/to/mtp
set -euo pipefail
cd "$(dirname "$0")/.."
MTP=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
MPIRUN=(mpirun --allow-run-as-root --oversubscribe -np 3)
REF=Tests/MTPTests/Fixtures/mlip-reference/cubic/08/calc-efs.first100.cfg
POT=Tests/FittingTests/Fixtures/cu-06.mtp
TRAINED=Tests/ActiveLearningTests/Fixtures/cubic-10.mtp
# Six configurations of 32 atoms: equal costs, so rank r holds 2r+1 and 2r+2.
awk '/BEGIN_CFG/{n++} n<=6' $REF > "$WORK/six.cfg"

# bad_store KIND CONFIG OUT: six.cfg as a store with configuration CONFIG
# (1-based) made bad: KIND nan (atom 1's x is NaN) or species (atom 1 has
# species 1, which the 1-species potentials do not know).
bad_store() {
    local kind=$1 k=$2 out=$3
    awk -v k="$k" -v kind="$kind" '
        /BEGIN_CFG/ { n++; atom = 0 }
        /AtomData/ { inatoms = 1; print; next }
        /^ *(Energy|PlusStress|END_CFG|Feature)/ { inatoms = 0 }
        inatoms && n == k && atom == 0 {
            atom = 1
            if (kind == "nan") $3 = "0.123456789012345"; else $2 = "1"
            print; next }
        { print }' "$WORK/six.cfg" > "$WORK/bad.cfg"
    "$MTP" convert "$WORK/bad.cfg" --species Cu,Ag -o "$out" > /dev/null
    if [ "$kind" = nan ]; then
        python3 - "$out" <<'PY'
import struct, sys
p = sys.argv[1]
b = open(p, "rb").read()
marker = struct.pack("<d", 0.123456789012345)
assert b.count(marker) == 1, "marker not found once"
open(p, "wb").write(b.replace(marker, struct.pack("<d", float("nan"))))
PY
    fi
}

# expect_failure NAME FILE CONFIG COMMAND...: within 60 s, non-zero exit and
# one error line naming FILE and configuration CONFIG.
expect_failure() {
    local name=$1 file=$2 k=$3; shift 3
    local start=$SECONDS rc=0
    timeout 60 "${MPIRUN[@]}" "$@" > "$WORK/out.log" 2> "$WORK/err.log" || rc=$?
    local took=$((SECONDS - start))
    [ "$rc" -ne 124 ] || { echo "$name: still running after 60 s (deadlock?)"; cat "$WORK/err.log"; exit 1; }
    [ "$rc" -ne 0 ] || { echo "$name: exit 0 on a bad store"; cat "$WORK/out.log"; exit 1; }
    # The sweep adds its summary line ("1 fit did not finish ...; rerun").
    grep "mtp: error" "$WORK/err.log" | grep -v "did not finish" > "$WORK/errors" || true
    local errors
    errors=$(grep -c . "$WORK/errors" || true)
    [ "$errors" -eq 1 ] || { echo "$name: $errors error lines, expected 1"; cat "$WORK/err.log"; exit 1; }
    grep -q "$(basename "$file")" "$WORK/errors" || { echo "$name: the message does not name the file"; cat "$WORK/err.log"; exit 1; }
    grep -q "configuration $k\b" "$WORK/errors" || { echo "$name: the message does not name configuration $k"; cat "$WORK/err.log"; exit 1; }
    echo "$name: exit $rc after ${took} s: $(cut -c1-150 "$WORK/errors")"
}

for kind in nan species; do
    for rank in 0 1 2; do
        k=$((2 * rank + 1))
        store="$WORK/bad-$kind-rank$rank.h5"
        bad_store "$kind" "$k" "$store"
        expect_failure "train, $kind in rank $rank's shard" "$store" "$k" \
            "$MTP" train $POT "$store" -o "$WORK/t.mtp" --max-iter 2
        expect_failure "train --valid, $kind in rank $rank's validation shard" "$store" "$k" \
            "$MTP" train $POT "$WORK/six.cfg" -o "$WORK/t.mtp" --max-iter 2 --valid "$store"
        rm -rf "$WORK/sweep"
        expect_failure "sweep --valid, $kind in rank $rank's validation shard" "$store" "$k" \
            "$MTP" sweep "$WORK/six.cfg" --levels 2 --cutoffs 4.0 --max-iter 2 --min-dist 0.5 --species-count 1 --out "$WORK/sweep" --valid "$store"
        rm -rf "$WORK/sweep"
        expect_failure "sweep, $kind in rank $rank's shard" "$store" "$k" \
            "$MTP" sweep "$store" --levels 2 --cutoffs 4.0 --max-iter 2 --min-dist 0.5 --species-count 1 --out "$WORK/sweep"
        expect_failure "grade, $kind in rank $rank's shard" "$store" "$k" \
            "$MTP" grade $TRAINED "$WORK/six.cfg" "$store" "$WORK/g.cfg" --active-set "$WORK/g.activeset"
    done
done
echo "test-mpi-failure: all checks passed"
