#!/usr/bin/env bash
# The small study (`mtp study --scale small`) under `mpirun -np 2` with the
# EAM reference of the tests: wall time per stage (the study's own
# study.md), CPU time and load average around the run. Target (issue 20):
# under 20 minutes on this 2-core machine.
# Results: benchmarks/study/results/ (study.md, the figures as SVG with
# their data and gnuplot scripts, run.txt with the command, load and times).
# Environment: MTP (a built binary; else a release build into .build-bench),
# RANKS (2), SCALE (small), OUT (the study directory, default a fresh temporary one).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
RANKS=${RANKS:-2}
SCALE=${SCALE:-small}
OUT=${OUT:-${TMPDIR:-/tmp}/mtp-study-benchmark}
rm -rf "$OUT"
if [ -z "${MTP:-}" ]; then
    swift build -c release --product mtp --scratch-path .build-bench
    MTP=$ROOT/.build-bench/release/mtp
fi
CMD=(mpirun --allow-run-as-root --oversubscribe -np "$RANKS" "$MTP" study --element Mg --atomic-volume 22.87
     --calculator "eam:$ROOT/Tests/ReferenceTests/Fixtures/Mg_mm.eam.fs" --out "$OUT" --scale "$SCALE")
start=$(date -u +%FT%TZ); load0=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -f "%e s wall, %U s user, %S s system CPU" -o "$OUT.time" "${CMD[@]}" > "$OUT.log" 2>&1 \
    || { tail -20 "$OUT.log"; echo "study failed"; exit 1; }
end=$(date -u +%FT%TZ); load1=$(cut -d' ' -f1-3 /proc/loadavg)
R=benchmarks/study/results
rm -rf "$R" && mkdir -p "$R/figures"
cp "$OUT/study.md" "$R/"
cp "$OUT"/figures/*.svg "$OUT"/figures/*.dat "$OUT"/figures/*.gp "$R/figures/"
{
    echo "command: ${CMD[*]}"
    echo "from $start (load average $load0) to $end (load average $load1)"
    echo "$(cat "$OUT.time") (mpirun and its ranks)"
    echo "cores: $(nproc)"
} > "$R/run.txt"
cat "$R/run.txt"
sed -n '/^## Wall time/,/^| total/p' "$R/study.md"
