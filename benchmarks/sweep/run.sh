#!/usr/bin/env bash
# Sweep benchmark (release build): levels 8-16 x cutoffs 4.0 and 5.0 A on the
# first SUBSET configurations of the Cu set (../shared/data/mlip-reference/
# cubic/training.cfg), ITER Levenberg-Marquardt iterations per fit (tolerance
# 0, so every fit does the same work whatever the schedule), under -np 2 and
# -np 4, with the three schedules of `mtp sweep --schedule` in one run:
#   dynamic  one queue, longest predicted first, groups take the next fit;
#   static   each group's fits fixed at the start (the former driver);
#   serial   every fit on all ranks, one after the other.
# Per run: wall time of the training and the idle share of rank time, from
# the sweep's own DIR/sweep.json (busy time measured per rank inside the
# driver, see docs/sweep.md), and the schedule's predicted idle share.
# Results: benchmarks/sweep/results.md and results.json.
# Environment: SUBSET (100), ITER (10), RANKS ("2 4"), MTP (a built binary;
# else a release build into .build-bench), DATA (the cubic directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/mlip-reference/cubic}
SUBSET=${SUBSET:-100}
ITER=${ITER:-10}
RANKS=${RANKS:-"2 4"}
OUT=${OUT:-${TMPDIR:-/tmp}/mtp-sweep-benchmark}
rm -rf "$OUT"
mkdir -p "$OUT"
if [ -z "${MTP:-}" ]; then
    swift build -c release --product mtp --scratch-path .build-bench
    MTP=$ROOT/.build-bench/release/mtp
fi
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
awk -v n="$SUBSET" '/BEGIN_CFG/{c++} c<=n' "$DATA/training.cfg" > "$OUT/subset.cfg"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for np in $RANKS; do
    for schedule in dynamic static serial; do
        echo "== -np $np --schedule $schedule"
        "${MPIRUN[@]}" -np "$np" "$MTP" sweep "$OUT/subset.cfg" --levels 8:16 --cutoffs 4.0,5.0 --min-dist 1.8 \
            --max-iter "$ITER" --tolerance 0 --checkpoint-every 1000 --schedule "$schedule" \
            --out "$OUT/np$np-$schedule" > "$OUT/np$np-$schedule.log"
        grep "schedule, " "$OUT/np$np-$schedule.log"
    done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$OUT" "$ROOT/benchmarks/sweep" "$SUBSET" "$ITER" "$RANKS" "$load0" "$load1" <<'PY'
import json, os, sys, subprocess, datetime
out, dest, subset, iters, ranks, load0, load1 = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rows = []
for np_ in ranks.split():
    for s in ["dynamic", "static", "serial"]:
        u = json.load(open(os.path.join(out, f"np{np_}-{s}", "sweep.json")))
        rows.append({"ranks": int(np_), "schedule": s, "groups": [g["ranks"] for g in u["groups"]],
                     "fits": u["fitsRun"], "wall_s": u["trainingWallSeconds"], "idle_share": u["idleShare"],
                     "predicted_idle_share": u["predictedIdleShare"], "busy_s": u["busySeconds"],
                     "cpu_s": u["cpuSeconds"], "group_fits": [g["fits"] for g in u["groups"]]})
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
json.dump({"date": when, "cpu": cpu, "cores": os.cpu_count(), "subset": int(subset), "iterations": int(iters),
           "load_start": load0, "load_end": load1, "runs": rows}, open(os.path.join(dest, "results.json"), "w"), indent=1)
L = ["# Sweep benchmark", "",
     f"{when}; {cpu}; {os.cpu_count()} cores; load average at start {load0}, at end {load1}", "",
     f"Levels 8-16 x cutoffs 4.0, 5.0 A (10 fits), first {subset} configurations of the Cu set, {iters} LM iterations per fit",
     "(tolerance 0). Wall: the training phase (split into groups to the end of the last fit; cost measurement",
     "and plots excluded). Idle share: 1 - sum of the ranks' busy seconds / (ranks x wall), measured inside the",
     "driver (`DIR/sweep.json`). Runs with more ranks than cores are oversubscribed: ranks then also wait for a",
     "core, which counts as busy time.", "",
     "| ranks | schedule | groups (ranks each) | wall s | idle share | predicted idle | CPU s (all ranks) | vs serial wall |",
     "|---:|---|---|---:|---:|---:|---:|---:|"]
for r in rows:
    serial = next(x for x in rows if x["ranks"] == r["ranks"] and x["schedule"] == "serial")
    over = " (oversubscribed)" if r["ranks"] > (os.cpu_count() or 1) else ""
    L.append(f"| {r['ranks']}{over} | {r['schedule']} | {'+'.join(map(str, r['groups']))} | {r['wall_s']:.1f} | "
             f"{100 * r['idle_share']:.1f} % | {100 * r['predicted_idle_share']:.1f} % | {sum(r['cpu_s']):.1f} | "
             f"{r['wall_s'] / serial['wall_s']:.2f} |")
L += ["", "Fits per group, in the order they ran:", ""]
for r in rows:
    L.append(f"- {r['ranks']} ranks, {r['schedule']}: " + "; ".join(
        f"[{g}] " + " ".join(f) for g, f in zip(r["groups"], r["group_fits"])))
open(os.path.join(dest, "results.md"), "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
