#!/usr/bin/env bash
# Optimizers against each other (issue 15 item 3), release build, one thread
# per process: Levenberg-Marquardt (lm), BFGS (bfgs) and the matrix-free
# Gauss-Newton with conjugate gradients (gn-cg), from the same untrained
# potential (`mtp basis --level L --min-dist 2.0 --max-dist 5.0`) on the Cu
# set (../shared/data/mlip-reference/cubic/training.cfg):
#   level 16 on all 1001 configurations, level 24 on the first 200,
# each run stopped at the same budget of CPU seconds of its own process
# (BUDGET16, BUDGET24; default 240 and 480 s). All runs of the benchmark go
# at once: on a shared machine CPU seconds are the fair clock, and ratios
# measured in one run are the figures to compare. Every iteration line of
# `mtp train` is stamped with the process's CPU seconds when it appeared
# (polled every 0.5 s), so the loss and the energy and force RMSE are known
# against CPU time. Results: benchmarks/optimizers/results.md (the load
# average before and after is in it); logs in benchmarks/optimizers/out/.
# Usage: benchmarks/optimizers/run.sh   (MTP=path/to/mtp SKIP_BUILD=1 to reuse a build)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/mlip-reference}
OUT=$ROOT/benchmarks/optimizers/out
RES=$ROOT/benchmarks/optimizers/results.md
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product mtp --scratch-path .build-bench
MTP=${MTP:-$ROOT/.build-bench/release/mtp}
BUDGET16=${BUDGET16:-240}
BUDGET24=${BUDGET24:-480}
OPTIMIZERS=${OPTIMIZERS:-lm bfgs gn-cg}
TICK=$(getconf CLK_TCK)
cp "$DATA/cubic/training.cfg" "$OUT/cu-1001.cfg"
awk '/BEGIN_CFG/{n++} n<=200' "$DATA/cubic/training.cfg" > "$OUT/cu-200.cfg"
for L in 16 24; do "$MTP" basis --level $L --min-dist 2.0 --max-dist 5.0 -o "$OUT/basis-$L.mtp" > /dev/null; done

# run LEVEL OPTIMIZER DATA BUDGET: one fit, stamped and stopped by CPU time.
run() {
    local tag=$1-$2 budget=$4
    rm -f "$OUT/$tag.checkpoint.json" "$OUT/$tag.log" "$OUT/$tag.stamped"
    OPENBLAS_NUM_THREADS=1 "$MTP" train "$OUT/basis-$1.mtp" "$3" -o "$OUT/$tag.mtp" --optimizer "$2" \
        --max-iter 100000 --checkpoint-every 0 > "$OUT/$tag.log" 2>&1 &
    local pid=$! seen=0 cpu=0 n
    while kill -0 $pid 2>/dev/null; do
        cpu=$(awk -v t="$TICK" '{printf "%.1f", ($14 + $15) / t}' /proc/$pid/stat 2>/dev/null || echo "$cpu")
        n=$(wc -l < "$OUT/$tag.log")
        if [ "$n" -gt "$seen" ]; then
            sed -n "$((seen + 1)),${n}p" "$OUT/$tag.log" | sed "s/^/$cpu /" >> "$OUT/$tag.stamped"
            seen=$n
        fi
        if awk -v c="$cpu" -v b="$budget" 'BEGIN{exit !(c >= b)}'; then kill $pid 2>/dev/null || true; fi
        sleep 0.5
    done
    wait $pid 2>/dev/null || true
    n=$(wc -l < "$OUT/$tag.log")
    [ "$n" -gt "$seen" ] && sed -n "$((seen + 1)),${n}p" "$OUT/$tag.log" | sed "s/^/$cpu /" >> "$OUT/$tag.stamped"
    true
}

# REPORT_ONLY=1 rewrites results.md from the logs of an earlier run (its
# start time and load averages are kept in out/run.env).
if [ "${REPORT_ONLY:-0}" != 1 ]; then
    LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
    START=$(date -u '+%Y-%m-%d %H:%M UTC')
    for opt in $OPTIMIZERS; do
        run 16 "$opt" "$OUT/cu-1001.cfg" "$BUDGET16" &
        run 24 "$opt" "$OUT/cu-200.cfg" "$BUDGET24" &
    done
    wait
    LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
    printf 'START="%s"\nLOAD0="%s"\nLOAD1="%s"\n' "$START" "$LOAD0" "$LOAD1" > "$OUT/run.env"
fi
. "$OUT/run.env"

# The last iteration line at or before each CPU time: iteration, loss, E, F RMSE.
at() {  # at FILE SECONDS
    awk -v s="$2" '$2 ~ /^[0-9]+$/ && NF >= 6 && $1 <= s { line = sprintf("%d: %.3e, %.3f, %.4f", $2, $3, $4, $5) } END { print (line == "" ? "-" : line) }' "$1"
}
# The CPU seconds of the first iteration line with a loss at most TARGET.
reach() {  # reach FILE TARGET
    awk -v t="$2" '$2 ~ /^[0-9]+$/ && NF >= 6 && $3 + 0 <= t + 0 { printf "%.0f s (it. %d)", $1, $2; found = 1; exit } END { if (!found) print "not reached" }' "$1"
}
{
echo "# Optimizers at levels 16 and 24 (Cu set)"
echo
echo "$START; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores shared with other sessions;"
echo "load average $LOAD0 at the start, $LOAD1 at the end. All $(( $(echo $OPTIMIZERS | wc -w) * 2 )) runs at once, one thread each"
echo "(OPENBLAS_NUM_THREADS=1); each stopped at the same CPU-second budget of its own process."
echo "Start: \`mtp basis --level L --min-dist 2.0 --max-dist 5.0\` (MLIP's initial radial coefficients), default loss weights."
echo "First table: the last iteration finished by that many CPU seconds, as \"iteration: loss, energy RMSE meV/atom, force RMSE eV/A\"."
echo "Second table: CPU seconds until the loss first reached each target."
echo
for L in 16 24; do
    if [ $L = 16 ]; then B=$BUDGET16; D="all 1001 configurations"; else B=$BUDGET24; D="first 200 configurations"; fi
    echo "## Level $L, $D, budget $B CPU s"
    echo
    echo "| optimizer | at $((B / 8)) s | at $((B / 4)) s | at $((B / 2)) s | at $B s |"
    echo "|---|---|---|---|---|"
    for opt in $OPTIMIZERS; do
        f=$OUT/$L-$opt.stamped
        [ -f "$f" ] || continue
        echo "| $opt | $(at "$f" $((B / 8))) | $(at "$f" $((B / 4))) | $(at "$f" $((B / 2))) | $(at "$f" $B) |"
    done
    echo
    if [ $L = 16 ]; then TARGETS="1e-3 5e-4 1e-4 2e-5"; else TARGETS="2e-5 1.2e-5 1e-5 9e-6"; fi
    echo "| optimizer |$(for t in $TARGETS; do printf ' loss <= %s |' $t; done)"
    echo "|---|$(for t in $TARGETS; do printf -- '---|'; done)"
    for opt in $OPTIMIZERS; do
        f=$OUT/$L-$opt.stamped
        [ -f "$f" ] || continue
        echo "| $opt |$(for t in $TARGETS; do printf ' %s |' "$(reach "$f" $t)"; done)"
    done
    echo
    for opt in $OPTIMIZERS; do
        f=$OUT/$L-$opt.log
        [ -f "$f" ] || continue
        echo "- $opt: $(grep -c '^ *[0-9]' "$f") iterations logged; $(grep -m1 'time per pass' "$f" || echo 'stopped by the budget (no final summary)')"
    done
    echo
done
} > "$RES"
cat "$RES"
