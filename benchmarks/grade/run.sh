#!/usr/bin/env bash
# Extrapolation-grade benchmark (release build), on the Cu set
# ../shared/data/mlip-reference/cubic (1001 training configurations, 32 atoms, one 7.22 A cubic cell):
#  1. level 10 (MLIP's pot.mtp): grades of the training configurations and of strained variants
#     (isotropic 0.80-1.20, 10 % shear, dimers at 1.5 and 2.0 A), configuration and neighbourhood
#     rows; the active set and the output files under mpirun -np 1 and -np 3 must be identical;
#  2. level 16: time to build the active set and to grade 10,000 configurations (the training
#     configurations perturbed: random strain sigma 1.5 %, displacements sigma 0.04 A), on 1 and 2 ranks.
# Results: benchmarks/grade/results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/mlip-reference/cubic}
OUT=$ROOT/benchmarks/grade/out
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product mtp --scratch-path .build-bench
MTP=${MTP:-$ROOT/.build-bench/release/mtp}
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
RES=$ROOT/benchmarks/grade/results.md
SET=$DATA/training.cfg
export HDF5_USE_FILE_LOCKING=${HDF5_USE_FILE_LOCKING:-FALSE}

python3 benchmarks/grade/variants.py strained "$SET" "$OUT/strained.cfg"
[ -s "$OUT/perturbed-10000.cfg" ] || python3 benchmarks/grade/variants.py perturbed "$SET" 10000 "$OUT/perturbed-10000.cfg"
cp "$DATA/10/pot.mtp" "$OUT/pot10.mtp"
cp "$DATA/16/pot.mtp" "$OUT/pot16.mtp"

grades() {  # cfg -> "label grade" lines
    awk '/^ Feature   variant/ {v = $3} /MV_grade/ {print v, $3}' "$1"
}
maxgrade() { awk '/MV_grade/ { if ($3 > m) m = $3 } END { printf "%.6f", m }' "$1"; }
seconds() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", e - s }'; }

{
echo "# Extrapolation-grade benchmark"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Level 10 (MLIP's pot.mtp, 41 parameters): training set and strained variants"
echo
} > "$RES"

for mode in cfg nbh; do
    flags=(); [ $mode = nbh ] && flags=(--per-atom)
    for n in 1 3; do
        rm -f "$OUT/l10-$mode-np$n.activeset"
        "${MPIRUN[@]}" -np $n "$MTP" grade "$OUT/pot10.mtp" "$SET" "$SET" "$OUT/l10-$mode-train-np$n.cfg" "${flags[@]}" \
            --active-set "$OUT/l10-$mode-np$n.activeset" > "$OUT/l10-$mode-train-np$n.log"
        "${MPIRUN[@]}" -np $n "$MTP" grade "$OUT/pot10.mtp" "$SET" "$OUT/strained.cfg" "$OUT/l10-$mode-strained-np$n.cfg" "${flags[@]}" \
            --active-set "$OUT/l10-$mode-np$n.activeset" > "$OUT/l10-$mode-strained-np$n.log"
    done
    same=identical
    cmp -s "$OUT/l10-$mode-np1.activeset" "$OUT/l10-$mode-np3.activeset" || same="DIFFERENT active sets"
    cmp -s "$OUT/l10-$mode-train-np1.cfg" "$OUT/l10-$mode-train-np3.cfg" || same="DIFFERENT training grades"
    cmp -s "$OUT/l10-$mode-strained-np1.cfg" "$OUT/l10-$mode-strained-np3.cfg" || same="DIFFERENT strained grades"
    rank=$(awk '/^rank / {print $2}' "$OUT/l10-$mode-np1.activeset")
    {
    echo "### $([ $mode = cfg ] && echo 'Configuration rows (dE/dtheta / N)' || echo 'Neighbourhood rows (dV_i/dtheta), per-atom grades')"
    echo
    echo "Active set: $rank rows; $(grep -m1 'parameters' "$OUT/l10-$mode-train-np1.log" | sed 's/^ *//')."
    echo "Training set (1001 configurations): max grade $(maxgrade "$OUT/l10-$mode-train-np1.cfg"); $(grep 'grade min' "$OUT/l10-$mode-train-np1.log" | sed 's/^ *//')."
    echo "mpirun -np 1 vs -np 3: active-set file and both output files $same (byte comparison)."
    echo
    echo "| variant | grades (training configurations 1, 101, ..., 901) |"
    echo "|---|---|"
    grades "$OUT/l10-$mode-strained-np1.cfg" | awk '{ split($1, a, "_"); k = a[1]; if (!(k in seen)) { order[++n] = k; seen[k] = 1 } g[k] = g[k] (g[k] == "" ? "" : ", ") sprintf("%.4g", $2) }
        END { for (i = 1; i <= n; i++) print "| " order[i] " | " g[order[i]] " |" }'
    echo
    } >> "$RES"
done

{
echo "## Level 16 (MLIP's pot.mtp, 125 parameters): grading 10,000 configurations"
echo
echo "| rows | ranks | active set build s | grading wall s | wall ms / configuration | CPU ms / configuration (all ranks) | max training coefficient | identical to 1 rank |"
echo "|---|---|---|---|---|---|---|---|"
} >> "$RES"
for mode in cfg nbh; do
    flags=(); [ $mode = nbh ] && flags=(--per-atom)
    for n in 1 2; do
        rm -f "$OUT/l16-$mode-np$n.activeset"
        log=$OUT/l16-$mode-np$n.log
        "${MPIRUN[@]}" -np $n "$MTP" grade "$OUT/pot16.mtp" "$SET" "$OUT/perturbed-10000.cfg" "$OUT/l16-$mode-np$n.cfg" "${flags[@]}" \
            --active-set "$OUT/l16-$mode-np$n.activeset" > "$log"
        build=$(awk '/chosen by MaxVol/ { for (i = 1; i <= NF; i++) if ($i == "in") print $(i + 1) }' "$log")
        grade=$(awk '/^graded/ { for (i = 1; i <= NF; i++) if ($i == "in") { print $(i + 1); exit } }' "$log")
        per=$(awk -v g="$grade" 'BEGIN { printf "%.3f", g / 10000 * 1000 }')
        cpu=$(awk '/^graded/ { match($0, /over all ranks, [0-9.]+ ms/); print substr($0, RSTART + 16, RLENGTH - 19) }' "$log")
        coef=$(awk '/^max_training_coefficient/ {print $2}' "$OUT/l16-$mode-np$n.activeset")
        same=-
        [ $n -gt 1 ] && { cmp -s "$OUT/l16-$mode-np1.cfg" "$OUT/l16-$mode-np$n.cfg" && same=yes || same=NO; }
        echo "| $mode | $n | $build | $grade | $per | $cpu | $coef | $same |" >> "$RES"
    done
done
{
echo
echo "Grading time is that of the grading loop (rows, projection; reading and writing excluded), on a"
echo "2-core machine shared with other jobs: wall time counts waiting for a core, CPU time (summed over"
echo "ranks) is the work. Summary lines of the 1-rank runs:"
echo
echo '```'
grep -h -A1 '^graded' "$OUT/l16-cfg-np1.log" "$OUT/l16-nbh-np1.log"
echo '```'
} >> "$RES"
cat "$RES"
