#!/usr/bin/env bash
# Tests that need mpirun, on data bundled in the repository:
#  1. sharded reads of a training store: a mixed-size set of 1520
#     configurations (27, 32 and 53-54 atoms: Cu, Cu/Ag/Au and Mo) in one
#     .h5; for N = 1..4 `mtp data shards --check` has every rank read its
#     shard with MPI-IO and rank 0 verify that the shards, in rank order, are
#     exactly the file's configurations (no gap, no overlap, identical
#     contents) with cost imbalance <= 10 %; N = 5 on a 3-configuration file
#     (more ranks than configurations, empty shards);
#  2. `mtp train` prints the same loss, to 12 significant digits, at every
#     iteration under -np 1, 2 and 3;
#  3. a training run killed with SIGKILL and resumed from its checkpoint
#     ends with the same potential as an uninterrupted run;
#  4. `mtp sweep` of 2 levels x 2 cutoffs under -np 2: 4 rows in
#     summary.csv, plots' data written, a rerun skips all 4 fits and changes
#     no result, a deleted record is redone alone, and a fit's energy RMSE
#     equals that of `mtp basis` + `mtp train` run alone (10 digits);
#  5. a sweep killed with SIGKILL mid-fit continues from the fit's
#     checkpoint on the rerun and ends with the same potential;
#  6. `mtp label` with ASE's EMT gives the same labels under -np 1 and 2.
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

# kill_at_iteration CHECKPOINT PID: SIGKILL the run PID once its checkpoint
# records iteration 3 or later (waiting at most 30 s), and reap it.
kill_at_iteration() {
    for _ in $(seq 1 3000); do
        if [ -f "$1" ] && grep -q '"iteration" *: *[3-9]' "$1"; then break; fi
        sleep 0.01
    done
    kill -9 "$2" 2>/dev/null || true
    wait "$2" 2>/dev/null || true
}
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

awk '/BEGIN_CFG/{n++} n<=24' $REF/cubic/08/calc-efs.first100.cfg > "$WORK/t24.cfg"
POT=Tests/FittingTests/Fixtures/cu-06.mtp
for opt in lm bfgs; do
    echo "== mtp train --optimizer $opt: identical losses under -np 1, 2, 3"
    iters=$([ "$opt" = lm ] && echo 4 || echo 12)
    for n in 1 2 3; do
        "${MPIRUN[@]}" -np "$n" "$MTP" train "$POT" "$WORK/t24.cfg" -o "$WORK/np$n.mtp" --max-iter "$iters" --checkpoint-every 0 \
            --optimizer "$opt" | awk '$1 ~ /^[0-9]+$/ && NF >= 8 {print $1, $2}' > "$WORK/np$n.loss"
        [ -s "$WORK/np$n.loss" ] || { echo "no progress lines under -np $n"; exit 1; }
    done
    for n in 2 3; do
        # Same to 12 significant digits: |a - b| at most half a unit in the
        # 12th significant digit of a.
        if ! paste "$WORK/np1.loss" "$WORK/np$n.loss" | awk '
            function abs(x) { return x < 0 ? -x : x }
            { e = int(log(abs($2)) / log(10)); if (abs($2) < 10 ^ e) e -= 1
              if ($1 != $3 || abs($2 - $4) > 0.5 * 10 ^ (e - 11)) bad = 1; print }
            END { exit bad }'; then
            echo "losses differ beyond 12 significant digits between -np 1 and -np $n ($opt)"; exit 1
        fi
        lines=$(wc -l < "$WORK/np1.loss"); [ "$lines" -eq "$(wc -l < "$WORK/np$n.loss")" ] || { echo "iteration counts differ"; exit 1; }
    done
done

awk '/BEGIN_CFG/{n++} n<=100' $REF/cubic/08/calc-efs.first100.cfg > "$WORK/t100.cfg"
for opt in lm bfgs; do
    echo "== mtp train --optimizer $opt: SIGKILL and --resume end at the same potential"
    if [ "$opt" = lm ]; then data=$WORK/t24.cfg; iters=8; else data=$WORK/t100.cfg; iters=40; fi
    rm -f "$WORK/killed.mtp" "$WORK/killed.mtp.checkpoint.json"
    "$MTP" train "$POT" "$data" -o "$WORK/straight.mtp" --max-iter $iters --checkpoint-every 1 --optimizer $opt >/dev/null
    "$MTP" train "$POT" "$data" -o "$WORK/killed.mtp" --max-iter $iters --checkpoint-every 1 --optimizer $opt >/dev/null &
    kill_at_iteration "$WORK/killed.mtp.checkpoint.json" $!
    [ -f "$WORK/killed.mtp" ] && { echo "the run finished (or left its output) before it could be killed"; exit 1; }
    grep -o '"iteration" *: *[0-9]*' "$WORK/killed.mtp.checkpoint.json"
    "$MTP" train "$POT" "$data" -o "$WORK/killed.mtp" --max-iter $iters --checkpoint-every 1 --optimizer $opt --resume > "$WORK/resumed.log"
    head -1 "$WORK/resumed.log"
    cmp "$WORK/straight.mtp" "$WORK/killed.mtp"
done

echo "== mtp sweep: 2 levels x 2 cutoffs under -np 2, rerun, equality with mtp train"
awk '/BEGIN_CFG/{n++} n<=12' $REF/cubic/08/calc-efs.first100.cfg > "$WORK/t12.cfg"
SWEEP=("$MTP" sweep "$WORK/t12.cfg" --levels 2,4 --cutoffs 4.0,5.0 --max-iter 3 --min-dist 0.5 --out "$WORK/sweep")
"${MPIRUN[@]}" -np 2 "${SWEEP[@]}" > "$WORK/sweep1.log"
rows=$(tail -n +2 "$WORK/sweep/summary.csv" | grep -c .)
[ "$rows" -eq 4 ] || { echo "summary.csv has $rows rows, expected 4"; cat "$WORK/sweep1.log"; exit 1; }
for f in summary.md rmse-vs-level.dat cost-vs-error.dat; do
    [ -s "$WORK/sweep/$f" ] || { echo "sweep wrote no $f"; exit 1; }
done
grep -q "to run on 2 ranks" "$WORK/sweep1.log" || { echo "sweep did not plan on 2 ranks"; exit 1; }
sums() { (cd "$WORK/sweep/fits" && md5sum ./*.json ./*.mtp); }
sums > "$WORK/sweep1.sums"
"${MPIRUN[@]}" -np 2 "${SWEEP[@]}" > "$WORK/sweep2.log"
grep -q "4 already finished, 0 to run" "$WORK/sweep2.log" || { echo "the rerun did not skip all 4 fits"; head -3 "$WORK/sweep2.log"; exit 1; }
sums | cmp - "$WORK/sweep1.sums" || { echo "the rerun changed finished results"; exit 1; }
rm "$WORK/sweep/fits/L02-c4.00.json"
"${MPIRUN[@]}" -np 2 "${SWEEP[@]}" > "$WORK/sweep3.log"
grep -q "3 already finished, 1 to run" "$WORK/sweep3.log" || { echo "a deleted record was not redone alone"; head -3 "$WORK/sweep3.log"; exit 1; }
[ "$(grep -c 'start L' "$WORK/sweep3.log")" -eq 1 ] || { echo "the resumed sweep started more than one fit"; exit 1; }
"$MTP" basis --level 4 --species-count 1 --min-dist 0.5 --max-dist 5.0 -o "$WORK/alone.untrained.mtp" >/dev/null
"$MTP" train "$WORK/alone.untrained.mtp" "$WORK/t12.cfg" -o "$WORK/alone.mtp" --max-iter 3 --checkpoint-every 0 >/dev/null
rmse() { grep -m1 '"energyRMSE"' "$1" | tr -d ' ,' | cut -d: -f2; }
a=$(rmse "$WORK/alone.mtp.json"); b=$(rmse "$WORK/sweep/fits/L04-c5.00.json")
awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; s = a < 0 ? -a : a;
    if (a == "" || d > 1e-10 * s) { print "energy RMSE of the sweep fit " b " differs from mtp train " a; exit 1 }
    print "L04-c5.00 energy RMSE: sweep " b ", mtp train " a }'

echo "== mtp sweep: SIGKILL mid-fit, the rerun continues from the fit's checkpoint to the same potential"
SW=("$MTP" sweep "$WORK/t24.cfg" --levels 6 --cutoffs 5.0 --max-iter 16 --tolerance 0 --min-dist 0.5 --checkpoint-every 1)
"${SW[@]}" --out "$WORK/sw-straight" >/dev/null
CK="$WORK/sw-killed/fits/L06-c5.00.checkpoint.json"
"${SW[@]}" --out "$WORK/sw-killed" >/dev/null &
kill_at_iteration "$CK" $!
[ -f "$WORK/sw-killed/fits/L06-c5.00.json" ] && { echo "a killed sweep left a record behind"; exit 1; }
"${SW[@]}" --out "$WORK/sw-killed" >/dev/null
grep -q "^resuming at iteration [3-9]" "$WORK/sw-killed/fits/L06-c5.00.log" || { echo "the rerun did not resume the fit"; exit 1; }
[ -f "$CK" ] && { echo "the finished fit kept its checkpoint"; exit 1; }
cmp "$WORK/sw-straight/fits/L06-c5.00.mtp" "$WORK/sw-killed/fits/L06-c5.00.mtp"

echo "== mtp grade / select-add: the same active set, grades and selection under -np 1, 2, 3"
# Training: 60 Cu configurations read from a .h5 store shard by shard; graded: the first
# 100 of the same set (40 of them not in the training set), per configuration and per atom.
AL=Tests/ActiveLearningTests/Fixtures
"$MTP" convert $AL/cubic-60.cfg --species Cu -o "$WORK/al-train.h5" >/dev/null
CAND=$REF/cubic/10/calc-efs.first100.cfg
for n in 1 2 3; do
    "${MPIRUN[@]}" -np "$n" "$MTP" grade $AL/cubic-10.mtp "$WORK/al-train.h5" "$CAND" "$WORK/al-cfg-np$n.cfg" \
        --active-set "$WORK/al-cfg-np$n.activeset" > "$WORK/al-cfg-np$n.log"
    "${MPIRUN[@]}" -np "$n" "$MTP" grade $AL/cubic-10.mtp "$WORK/al-train.h5" "$CAND" "$WORK/al-nbh-np$n.cfg" --per-atom \
        --active-set "$WORK/al-nbh-np$n.activeset" > "$WORK/al-nbh-np$n.log"
    "${MPIRUN[@]}" -np "$n" "$MTP" select-add $AL/cubic-10.mtp "$WORK/al-train.h5" "$CAND" -o "$WORK/al-new-np$n.cfg" \
        --active-set "$WORK/al-cfg-np$n.activeset" > "$WORK/al-sel-np$n.log"
    grep -q "(current:" "$WORK/al-sel-np$n.log" || { echo "select-add did not reuse the saved active set"; exit 1; }
done
head -2 "$WORK/al-cfg-np1.log"
tail -2 "$WORK/al-cfg-np1.log" | tail -1
tail -1 "$WORK/al-sel-np1.log"
# Training configurations (the first 60) grade at most 1; the selection is not empty.
awk '/MV_grade/ { n++; if (n <= 60 && $3 > 1.000001) bad = 1 } END { exit bad }' "$WORK/al-cfg-np1.cfg" \
    || { echo "a training configuration grades above 1"; exit 1; }
grep -q BEGIN_CFG "$WORK/al-new-np1.cfg" || { echo "select-add chose nothing"; exit 1; }
for n in 2 3; do
    for f in al-cfg-np%s.activeset al-nbh-np%s.activeset al-cfg-np%s.cfg al-nbh-np%s.cfg al-new-np%s.cfg; do
        cmp "$WORK/$(printf "$f" 1)" "$WORK/$(printf "$f" "$n")" || { echo "$(printf "$f" "$n") differs from -np 1"; exit 1; }
    done
done

# 6. mtp label with ASE's EMT (when the project's Python has ASE; CI installs
#    it with scripts/python-env.sh): the same labels under -np 1 and -np 2 x 2
#    threads, and every structure labelled once in the journals.
PY="${MTP_PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
if "$PY" -c 'import ase' 2>/dev/null; then
    echo "== mtp label (ase:EMT): the same labels under -np 1 and -np 2 x 2 threads"
    printf 'from ase.calculators.emt import EMT\ndef calculator():\n    return EMT()\n' > "$WORK/emt.py"
    awk '/BEGIN_CFG/{n++} n<=30' $REF/cubic/08/calc-efs.first100.cfg > "$WORK/l30.cfg"
    "$MTP" label "$WORK/l30.cfg" --species Cu --calculator "ase:$WORK/emt.py" -o "$WORK/label-np1.h5" --quiet | tail -1
    "${MPIRUN[@]}" -np 2 "$MTP" label "$WORK/l30.cfg" --species Cu --calculator "ase:$WORK/emt.py" -o "$WORK/label-np2.h5" --threads 2 --quiet | head -1
    "$MTP" convert "$WORK/label-np1.h5" -o "$WORK/label-np1.extxyz" >/dev/null
    "$MTP" convert "$WORK/label-np2.h5" -o "$WORK/label-np2.extxyz" >/dev/null
    # EMT's neighbour list depends on the structures a worker saw before, so
    # sums may differ in the last bits: numbers agree to 1e-10 (relative, absolute below 1).
    paste -d' ' <(tr -s ' "=' '\n' < "$WORK/label-np1.extxyz") <(tr -s ' "=' '\n' < "$WORK/label-np2.extxyz") | awk '
        $1 == $2 { next }
        ($1 + 0 == $1) && ($2 + 0 == $2) { d = $1 - $2; d = d < 0 ? -d : d; m = ($1 < 0 ? -$1 : $1) + 1; if (d / m < 1e-10) next }
        { bad++; print "differ: " $1 " " $2 } END { exit bad > 0 }' | head -5
    [ "${PIPESTATUS[2]}" = 0 ] || { echo "mtp label: -np 2 labels differ from -np 1"; exit 1; }
    [ "$(grep -c BEGIN_CFG "$WORK/l30.cfg")" = "$(cat "$WORK"/label-np2.h5.journal/rank-*.jsonl | wc -l)" ] \
        || { echo "mtp label: the journals do not hold one record per structure"; exit 1; }
    [ -s "$WORK/label-np2.h5.journal/rank-1.jsonl" ] || { echo "mtp label: rank 1 labelled nothing"; exit 1; }
else
    echo "== mtp label under MPI: skipped ($PY has no ASE; run scripts/python-env.sh)"
    [ "${CI:-}" != true ] || { echo "CI must have ASE"; exit 1; }
fi

echo "test-mpi: all checks passed"
