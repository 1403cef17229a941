#!/usr/bin/env bash
# Default loss weights on real DFT data (issue 15 item 5): level-16 fits of
# the four mlearn sets (Mo, Si, Ge, Li; ../shared/data/mlearn, VASP PBE,
# Zuo et al. 2020), each with the default weights (`--weights balanced`,
# docs/training.md "Default loss weights") and with MLIP's (`--weights mlip`),
# the same iteration budget, one rank, in sequence; then the EMT Cu set
# (../shared/data/mlip-reference/cubic/training.cfg) from MLIP's level-CU_LEVEL
# template, with the default and with the energy weight the variance rule
# would give without its premise check (100). Training energy and force RMSE
# are compared with the qSNAP figures of ../shared/data/README.md.
#
# Potentials start from `mtp basis --level 16 --min-dist 1.5 --max-dist 5.0`.
# Every fit keeps a checkpoint and its summary JSON: a rerun skips finished
# fits and resumes an interrupted one. Results: benchmarks/mlearn/results.md
# (also printed); scratch in benchmarks/mlearn/out/ (git-ignored).
#
# Iteration budgets: ITER (default 30) for every set, ITER_Mo etc. per set
# (default ITER_Mo=50: Mo needs the longest), the same for both weights.
# Sets run in sequence; to use more cores on a shared machine, run parts in
# separate shells (SETS=..., CU=0) and then once more with everything: the
# last run only collects the finished fits into the table.
#
#   benchmarks/mlearn/run.sh                     # build .build-rel, everything
#   SKIP_BUILD=1 benchmarks/mlearn/run.sh
#   SETS="Mo Li" CU=0 benchmarks/mlearn/run.sh   # a part
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SHARED=${SHARED:-$ROOT/../shared/data}
OUT=$ROOT/benchmarks/mlearn/out
RES=$ROOT/benchmarks/mlearn/results.md
ITER=${ITER:-30}
ITER_Mo=${ITER_Mo:-50}
iters() { local v="ITER_$1"; echo "${!v:-$ITER}"; }
SETS=${SETS:-Mo Si Ge Li}
CU=${CU:-1}
CU_LEVEL=${CU_LEVEL:-08}
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product mtp --scratch-path .build-rel
MTP=${MTP:-$ROOT/.build-rel/release/mtp}

# qSNAP's training errors (../shared/data/README.md): meV/atom, eV/A.
qsnap() { case $1 in Mo) echo "4.73 0.323";; Si) echo "7.07 0.166";; Ge) echo "10.55 0.196";; Li) echo "1.10 0.042";; *) echo "- -";; esac; }

# fit NAME ITERATIONS POT DATA ARGS...: one fit, skipped when its summary
# exists, resumed from its checkpoint when one is there.
fit() {
    local name=$1 budget=$2 pot=$3 data=$4; shift 4
    local json=$OUT/$name.mtp.json
    [ -s "$json" ] && return 0
    local resume=()
    [ -s "$OUT/$name.mtp.checkpoint.json" ] && resume=(--resume)
    echo "== $name: mtp train $(basename "$pot") $(basename "$data") --max-iter $budget $* ${resume[*]}"
    /usr/bin/time -f "%U %S %e" -o "$OUT/$name.time" \
        "$MTP" train "$pot" "$data" -o "$OUT/$name.mtp" --max-iter "$budget" --checkpoint-every 5 "${resume[@]}" "$@" \
        > "$OUT/$name.log"
    head -1 "$OUT/$name.log"
    tail -n 4 "$OUT/$name.log" | head -n 1
}

# row SET NAME LABEL: a results row from a fit's summary JSON.
row() {
    python3 - "$OUT/$2.mtp.json" "$OUT/$2.time" "$1" "$3" "$(qsnap "$1")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read().split() if sys.argv[2] else []
cpu = float(t[0]) + float(t[1]) if len(t) >= 2 else float('nan')
g = [r for r in d['groups'] if r['group'] == '(all)'] or d['groups'][-1:]
g = g[0]
w = d.get('weights') or {}
q = sys.argv[5].split()
def mark(x, ref):
    return '' if ref == '-' else (' (below)' if x < float(ref) else ' (above)')
print(f"| {sys.argv[3]} | {sys.argv[4]} | {w.get('energy', float('nan')):.4g} / {w.get('force', float('nan')):.4g} / {w.get('stress', float('nan')):.4g} "
      f"| {d['iterations']} | {g['energyRMSE']:.3f}{mark(g['energyRMSE'], q[0])} | {g['forceRMSE']:.4f}{mark(g['forceRMSE'], q[1])} "
      f"| {g['stressRMSE']:.3f} | {q[0]} / {q[1]} | {cpu:.0f} |")
PY
}

for s in $SETS; do
    [ -s "$OUT/$s.h5" ] || "$MTP" convert "$SHARED/mlearn/$s/training.json" -o "$OUT/$s.h5" > /dev/null 2>&1
done
[ -s "$OUT/l16.mtp" ] || "$MTP" basis --level 16 --species-count 1 --min-dist 1.5 --max-dist 5.0 -o "$OUT/l16.mtp" > /dev/null
for s in $SETS; do
    fit "$s-default" "$(iters "$s")" "$OUT/l16.mtp" "$OUT/$s.h5"
    fit "$s-mlip" "$(iters "$s")" "$OUT/l16.mtp" "$OUT/$s.h5" --weights mlip
done
CUSET=$SHARED/mlip-reference/cubic/training.cfg
if [ "$CU" = 1 ]; then
    fit "Cu-default" "$(iters Cu)" "$SHARED/mlip-reference/cubic/$CU_LEVEL/initial.mtp" "$CUSET"
    fit "Cu-e100" "$(iters Cu)" "$SHARED/mlip-reference/cubic/$CU_LEVEL/initial.mtp" "$CUSET" --energy-weight 100
fi

{
echo "# Default loss weights on the mlearn sets (level 16) and the EMT Cu set"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other sessions' work included). \`benchmarks/mlearn/run.sh\`: Levenberg-Marquardt, one rank per fit, at most $(for s in $SETS; do printf "%s %s, " "$s" "$(iters "$s")"; done)$([ "$CU" = 1 ] && echo "Cu $(iters Cu) ")iterations (the same for both weights of a set)."
echo
echo "Training errors of the whole set. Weights: energy / force / stress as the fit printed and recorded them"
echo "(default: \`--weights balanced\`; mlip: \`--weights mlip\`). \"below\"/\"above\": against qSNAP's figure."
echo "CPU s: user + system seconds of the whole \`mtp train\` run."
echo
echo "| set | weights | w_E / w_F / w_S | iterations | energy RMSE meV/atom | force RMSE eV/A | stress RMSE GPa | qSNAP E / F | CPU s |"
echo "|---|---|---|---|---|---|---|---|---|"
for s in $SETS; do
    row "$s" "$s-default" default
    row "$s" "$s-mlip" "\`--weights mlip\`"
done
if [ "$CU" = 1 ]; then
    row Cu Cu-default "default (level $CU_LEVEL, MLIP's template)"
    row Cu Cu-e100 "\`--energy-weight 100\` (the rule without its premise check)"
    echo
    echo "MLIP's own level-$CU_LEVEL fit (\`cubic/$CU_LEVEL/pot.mtp\`) on the same set: $("$MTP" check-errors "$SHARED/mlip-reference/cubic/$CU_LEVEL/pot.mtp" "$CUSET" | awk '/^energy/ {e=$2} /^forces/ {f=$2} /^stress/ {s=$2} END {print e " meV/atom, " f " eV/A, " s " GPa"}')."
fi
echo
echo "The weights line each fit printed:"
echo
for s in $SETS; do for w in default mlip; do echo "- $s $w: \`$(head -1 "$OUT/$s-$w.log")\`"; done; done
if [ "$CU" = 1 ]; then for w in default e100; do echo "- Cu $w: \`$(head -1 "$OUT/Cu-$w.log")\`"; done; fi
} > "$RES"
cat "$RES"
