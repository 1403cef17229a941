#!/usr/bin/env bash
# Training benchmark (release build): on the 1001-configuration Cu set
# (cutoff 5 A, ../shared/data/mlip-reference/cubic),
#  1. time per iteration of `mtp train` (one Jacobian pass: loss, gradient and
#     Gauss-Newton factor, plus the trial losses of that iteration) at levels
#     8, 16 and 24, on 1 and 2 ranks;
#  2. iterations, evaluations and wall time until the training errors reach
#     those of MLIP's trained pot.mtp (level 8, and level 16 with FULL=1).
# Results: benchmarks/train/results.md. MLIP's reference on this kind of
# machine: 1.1 s per loss+gradient evaluation at level 8, 10.7 s at level 16;
# 1000 BFGS iterations (several evaluations each) by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/mlip-reference/cubic}
OUT=$ROOT/benchmarks/train/out
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product mtp --scratch-path .build-bench
MTP=${MTP:-$ROOT/.build-bench/release/mtp}
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
RES=$ROOT/benchmarks/train/results.md
SET=$DATA/training.cfg
"$MTP" basis --level 24 --min-dist 0.5 --max-dist 5.0 -o "$OUT/initial-24.mtp" >/dev/null

seconds_per_iteration() {  # log -> mean seconds of the iterations after the first
    awk '$1 ~ /^[0-9]+$/ && NF >= 8 { n++; if (n > 1) { s += $8; m++ } } END { if (m) printf "%.2f", s / m; else print "-" }' "$1"
}

{
echo "# Training benchmark"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Time per iteration (one Jacobian pass + its trial losses), 1001 configurations, 32032 atoms"
echo
echo "| level | parameters | ranks | s / iteration | MLIP s / evaluation (1 rank) |"
echo "|---|---|---|---|---|"
} > "$RES"
for level in 08 16 24; do
    pot=$DATA/$level/initial.mtp
    [ "$level" = 24 ] && pot=$OUT/initial-24.mtp
    iters=3; data=$SET; note=""
    if [ "$level" = 24 ]; then
        # A level-24 Jacobian pass over the whole set takes minutes: 100 configurations, scaled.
        awk '/BEGIN_CFG/{n++} n<=100' "$SET" > "$OUT/first100.cfg"; data=$OUT/first100.cfg; iters=2; note=" (100 configurations, x10.01)"
    fi
    for ranks in 1 2; do
        log=$OUT/iter-$level-np$ranks.log
        "${MPIRUN[@]}" -np $ranks "$MTP" train "$pot" "$data" -o "$OUT/iter-$level.mtp" --max-iter $iters --checkpoint-every 0 > "$log"
        t=$(seconds_per_iteration "$log")
        [ "$level" = 24 ] && t=$(awk -v t="$t" 'BEGIN { printf "%.1f", t * 10.01 }')
        params=$(awk '/^training/ {print $2}' "$log")
        ref=$( [ "$level" = 08 ] && echo 1.1 || ([ "$level" = 16 ] && echo 10.7 || echo -))
        echo "| $level | $params | $ranks | $t$note | $ref |" >> "$RES"
    done
done

to_mlip_error() {  # level -> a table row
    level=$1
    "$MTP" check-errors "$DATA/$level/pot.mtp" "$SET" > "$OUT/mlip-$level.txt"
    read -r e f s < <(awk '/^energy/ {e=$2} /^forces/ {f=$2} /^stress/ {s=$2} END {print e, f, s}' "$OUT/mlip-$level.txt")
    log=$OUT/full-$level.log
    start=$(date +%s.%N)
    "$MTP" train "$DATA/$level/initial.mtp" "$SET" -o "$OUT/full-$level.mtp" --max-iter 600 --checkpoint-every 0 --tolerance 1e-10 \
        | tee "$log" | awk -v e="$e" -v f="$f" -v s="$s" '$1 ~ /^[0-9]+$/ && NF >= 8 && $3 <= e && $4 <= f && $5 <= s { print; exit }' > "$OUT/reached-$level.txt" || true
    wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
    it=$(awk '{print $1}' "$OUT/reached-$level.txt")
    echo "| $level | $e / $f / $s | ${it:-not reached} | $(awk '{print $3 " / " $4 " / " $5}' "$OUT/reached-$level.txt") | $wall |" >> "$RES"
}
{
echo
echo "## Iterations to MLIP's training errors (energy meV/atom / forces eV/A / stress GPa), 1 rank"
echo
echo "Each iteration is one Jacobian pass plus about 0.8 trial loss evaluations on average; MLIP's default is 1000 BFGS iterations."
echo
echo "| level | MLIP pot.mtp errors | first iteration at or below all three | errors there | wall s (stopped there) |"
echo "|---|---|---|---|---|"
} >> "$RES"
to_mlip_error 08
[ "${FULL:-0}" = 1 ] && to_mlip_error 16
cat "$RES"
