#!/usr/bin/env bash
# Training benchmark (release build) on the 1001-configuration Cu set
# (32032 atoms, cutoff 5 A, ../shared/data/mlip-reference/cubic):
#  1. time per loss+gradient evaluation (the BFGS optimiser's unit of work,
#     MLIP's too) and per Jacobian pass (Levenberg-Marquardt's), levels 8, 16
#     and 24, on 1 and 2 ranks, with the parallel efficiency at 2 ranks;
#  2. iterations, evaluations and wall time until the training errors reach
#     those of MLIP's trained pot.mtp (level 8; level 16 too with FULL=1, level 20 with LEVEL20=1).
# Times come from `mtp train`'s JSON summary (rank 0, wall and CPU seconds
# per pass). Results: benchmarks/train/results.md. MLIP's reference on this
# kind of machine: 1.1 s per loss+gradient evaluation at level 8, 10.7 s at
# level 16, several evaluations per BFGS iteration, 1000 iterations by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/mlip-reference/cubic}
OUT=$ROOT/benchmarks/train/out
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product mtp --scratch-path .build-bench
MTP=${MTP:-$ROOT/.build-bench/release/mtp}
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
REPEATS=${REPEATS:-3}
RES=$ROOT/benchmarks/train/results.md
SET=$DATA/training.cfg
"$MTP" basis --level 24 --min-dist 0.5 --max-dist 5.0 -o "$OUT/initial-24.mtp" >/dev/null
awk '/BEGIN_CFG/{n++} n<=100' "$SET" > "$OUT/first100.cfg"

field() {  # json-file python-expression-on-d
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

{
echo "# Training benchmark"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Time per pass over the whole set (1001 configurations, 32032 atoms), rank 0"
echo
echo "loss+gradient: one evaluation of energies, forces and stresses plus one directional derivative"
echo "(what BFGS needs, and what MLIP's 1.1 s / 10.7 s are). Jacobian pass: every row of the Jacobian,"
echo "factored by streaming QR (what Levenberg-Marquardt needs). Level 24 runs on the first 100"
echo "configurations, scaled by 10.01. Each point is the best of $REPEATS runs (level 24: one). CPU seconds are the process's own; wall seconds include waiting"
echo "for the other rank and for the machine."
echo
echo "| level | parameters | ranks | loss+gradient s (wall / CPU) | x MLIP | 2-rank efficiency | Jacobian pass s (wall / CPU) |"
echo "|---|---|---|---|---|---|---|"
} > "$RES"
for level in 08 16 24; do
    pot=$DATA/$level/initial.mtp; data=$SET; scale=1
    if [ "$level" = 24 ]; then pot=$OUT/initial-24.mtp; data=$OUT/first100.cfg; scale=10.01; fi
    ref=$( [ "$level" = 08 ] && echo 1.1 || ([ "$level" = 16 ] && echo 10.7 || echo -))
    one=""
    for ranks in 1 2; do
        # Best of REPEATS runs (the level-24 point once): on a shared or
        # virtualised machine the slowest runs measure the neighbours.
        best=""
        reps=$REPEATS; [ "$level" = 24 ] && reps=1
        for rep in $(seq "$reps"); do
            json=$OUT/eval-$level-np$ranks-$rep.json
            "${MPIRUN[@]}" -np $ranks "$MTP" train "$pot" "$data" -o "$OUT/eval-$level.mtp" --optimizer bfgs --max-iter 6 \
                --checkpoint-every 0 --summary "$json" > "$OUT/eval-$level-np$ranks-$rep.log"
            t=$(field "$json" "d['timings']['gradient']['wall'] / d['timings']['gradient']['count']")
            if [ -z "$best" ] || awk -v a="$t" -v b="$(field "$best" "d['timings']['gradient']['wall'] / d['timings']['gradient']['count']")" 'BEGIN { exit !(a < b) }'; then best=$json; fi
        done
        json=$best
        gw=$(field "$json" "'%.3f' % (d['timings']['gradient']['wall'] / d['timings']['gradient']['count'] * $scale)")
        gc=$(field "$json" "'%.3f' % (d['timings']['gradient']['cpu'] / d['timings']['gradient']['count'] * $scale)")
        jw=$(field "$json" "'%.2f' % (d['timings']['jacobian']['wall'] / d['timings']['jacobian']['count'] * $scale)")
        jc=$(field "$json" "'%.2f' % (d['timings']['jacobian']['cpu'] / d['timings']['jacobian']['count'] * $scale)")
        params=$(field "$json" "d['parameters']")
        speed=$( [ "$ref" = - ] && echo - || awk -v r="$ref" -v t="$gw" 'BEGIN { printf "%.1fx", r / t }')
        eff=-
        if [ "$ranks" = 1 ]; then one=$gw; else eff=$(awk -v a="$one" -v b="$gw" 'BEGIN { printf "%.0f%%", 100 * a / (2 * b) }'); fi
        echo "| $level | $params | $ranks | $gw / $gc | $speed | $eff | $jw / $jc |" >> "$RES"
    done
done

to_mlip_error() {  # level optimiser max-iter -> a table row
    level=$1; opt=$2; iters=$3
    "$MTP" check-errors "$DATA/$level/pot.mtp" "$SET" > "$OUT/mlip-$level.txt"
    read -r e f s < <(awk '/^energy/ {e=$2} /^forces/ {f=$2} /^stress/ {s=$2} END {print e, f, s}' "$OUT/mlip-$level.txt")
    log=$OUT/full-$level-$opt.log
    start=$(date +%s.%N)
    "$MTP" train "$DATA/$level/initial.mtp" "$SET" -o "$OUT/full-$level-$opt.mtp" --optimizer "$opt" --max-iter "$iters" \
        --checkpoint-every 0 --tolerance 1e-12 --weights mlip \
        | tee "$log" | awk -v e="$e" -v f="$f" -v s="$s" '$1 ~ /^[0-9]+$/ && NF >= 8 && $3 <= e && $4 <= f && $5 <= s { print; exit }' > "$OUT/reached-$level-$opt.txt" || true
    wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
    it=$(awk '{print $1}' "$OUT/reached-$level-$opt.txt")
    # The run stops a few iterations after the pipe above closes; the time to
    # the reaching iteration is the sum of the iteration times it printed.
    reach=$(awk -v it="${it:-0}" '$1 ~ /^[0-9]+$/ && NF >= 8 {s += $NF} $1 == it {printf "%.0f", s; exit}' "$log")
    echo "| $level | $opt | $e / $f / $s | ${it:-not reached in $iters} | $(awk '{print $3 " / " $4 " / " $5}' "$OUT/reached-$level-$opt.txt") | ${reach:--} | $wall |" >> "$RES"
}
{
echo
echo "## Iterations to MLIP's training errors (energy meV/atom / forces eV/A / stress GPa), 1 rank"
echo
echo "lm: each iteration is one Jacobian pass plus about one trial loss. bfgs: each iteration is one or a few"
echo "loss+gradient evaluations, after one Jacobian pass for the exact linear start. MLIP's default is 1000 BFGS"
echo "iterations of several evaluations each (about 75 s per iteration at level 16)."
echo
echo "| level | optimiser | MLIP pot.mtp errors | first iteration at or below all three | errors there | s to that iteration (sum of iteration times) | wall s of the run |"
echo "|---|---|---|---|---|---|---|"
} >> "$RES"
to_mlip_error 08 lm 600
to_mlip_error 08 bfgs 1000
[ "${FULL:-0}" = 1 ] && to_mlip_error 16 lm 300
# Issue 15's target: level 20 from MLIP's initial.mtp to MLIP's errors within 10 minutes on one core
# (about 35 iterations of 15-17 s with geodesic acceleration).
[ "${LEVEL20:-0}" = 1 ] && to_mlip_error 20 lm 60
cat "$RES"
