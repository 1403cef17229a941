#!/usr/bin/env bash
# Jacobian-pass benchmark (issue 15), release build, one core:
#  1. on the Cu set (1001 configurations, 32032 atoms, cutoff 5 A,
#     ../shared/data/mlip-reference/cubic): the Jacobian pass (derivatives of
#     every labelled quantity + streaming QR of the rows) at levels 16, 20, 24
#     and 28, beside a loss+gradient evaluation of the same run, their ratio
#     and the GFLOP/s of the kernel's dense products (`mtp bench jacobian`);
#  2. the reference kernel (forward tangents through the whole graph, the
#     kernel before this one) on the first 100 configurations, in the same
#     run, for the speed-up;
#  3. the three-species set (Cu/Ag/Au) at level 24: the pass on one rank and
#     a 2-rank `mtp train` of 2 iterations (time per iteration, peak memory);
#  4. baselines in the same run: level 16 with the OpenBLAS kernels the library
#     picked by itself where mtp overrode them (BLASCore), levels 16 and 24
#     of the default build (kernels for this CPU) against MTP_TARGET_CPU=portable,
#     and blocks of eight atoms against whole cells (BLOCKS=0 to skip; the
#     mlearn Mo set from ../shared/data/mlearn);
#  5. the kernel before the last change to it (BASELINE_REV, built into
#     .build-baseline; BASELINE=0 to skip), alternated with this one on the
#     whole set at levels 16 and 24;
#  6. where the environment sets OPENBLAS_CORETYPE to kernels narrower than
#     the CPU runs (mtp then leaves OpenBLAS alone), levels 16 and 24 with the
#     CPU's widest kernels as well.
# Results: benchmarks/jacobian/results.md. LEVELS=... to choose levels.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${DATA:-$ROOT/../shared/data/mlip-reference}
OUT=$ROOT/benchmarks/jacobian/out
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product mtp --scratch-path .build-bench
# The same sources built for any x86-64 (MTP_TARGET_CPU=portable), for the
# portable rows at the end (PORTABLE=0 to skip them).
if [ "${PORTABLE:-1}" = 1 ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
    MTP_TARGET_CPU=portable swift build -c release --product mtp --scratch-path .build-portable
fi
MTP=${MTP:-$ROOT/.build-bench/release/mtp}
MTP_PORTABLE=${MTP_PORTABLE:-$ROOT/.build-portable/release/mtp}
# The kernel before the fused group products (2026-12-07): the baseline.
BASELINE_REV=${BASELINE_REV:-58fec47}
MTP_BASELINE=$ROOT/.build-baseline/release/mtp
if [ "${BASELINE:-1}" = 1 ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
    rm -rf "$OUT/baseline-src"
    git -C "$ROOT" worktree prune
    git -C "$ROOT" worktree add --detach "$OUT/baseline-src" "$BASELINE_REV" >/dev/null
    (cd "$OUT/baseline-src" && swift build -c release --product mtp --scratch-path "$ROOT/.build-baseline")
    git -C "$ROOT" worktree remove --force "$OUT/baseline-src"
fi
LEVELS=${LEVELS:-16 20 24 28}
RES=$ROOT/benchmarks/jacobian/results.md
SET=$DATA/cubic/training.cfg
awk '/BEGIN_CFG/{n++} n<=100' "$SET" > "$OUT/cubic-first100.cfg"
awk '/BEGIN_CFG/{n++} n<=100' "$DATA/multi/training.cfg" > "$OUT/multi-first100.cfg"
# The starting potential of a level: MLIP's initial.mtp where the set has one,
# else `mtp basis` (min 0.5, max 5.0 A, as MLIP's templates), made once.
potential_for() {
    local pot=$DATA/cubic/$1/initial.mtp
    if [ ! -f "$pot" ]; then
        pot=$OUT/basis-$1.mtp
        [ -f "$pot" ] || "$MTP" basis --level "$1" --min-dist 0.5 --max-dist 5.0 -o "$pot" >/dev/null
    fi
    echo "$pot"
}
VERSION=$("$MTP" --version)
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
{
echo "# Jacobian pass benchmark"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "$(grep '^kernels compiled' <<< "$VERSION"); $(grep '^OpenBLAS' <<< "$VERSION")${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE set by the environment)}"
echo
echo "CPU seconds of one process (best of 2 runs; the machine is shared, so ratios measured in one run"
echo "are the figures to compare). Jacobian pass = derivatives of every energy, force and stress row"
echo "+ streaming QR of the rows, as one Levenberg-Marquardt iteration needs. GFLOP/s: the kernel's"
echo "dense products (BLAS dgemm), over their own time and over the whole kernel."
echo
echo "## Cu set, 1001 configurations, one species"
echo
echo "| level | parameters | Jacobian pass s | of which QR s | loss+gradient s | pass / loss+gradient | products GFLOP/s (own / whole kernel) | reference kernel s, first 100 configurations | this kernel s, same 100 | speed-up |"
echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$RES"
for level in $LEVELS; do
    pot=$(potential_for "$level")
    set_for_level=$SET; tag=""
    # Level 28's pass takes minutes on the whole set: its first 100 configurations stand for it.
    if [ "$level" = 28 ]; then set_for_level=$OUT/cubic-first100.cfg; tag=" (first 100)"; fi
    "$MTP" bench jacobian "$pot" "$set_for_level" --repeats 2 -o "$OUT/cubic-$level.json" | tee "$OUT/cubic-$level.txt"
    "$MTP" bench jacobian "$pot" "$OUT/cubic-first100.cfg" --repeats 1 --reference -o "$OUT/cubic-$level-ref.json" | tee "$OUT/cubic-$level-ref.txt"
    j=$OUT/cubic-$level.json; r=$OUT/cubic-$level-ref.json
    echo "| $level$tag | $(field "$j" "d['parameters']") | $(field "$j" "'%.2f' % d['passCPU']") | $(field "$j" "'%.2f' % d['passQRCPU']") | $(field "$j" "'%.3f' % d['lossGradientCPU']") | $(field "$j" "'%.1f' % d['ratio']") | $(field "$j" "'%.1f / %.1f' % (d['productGFLOPs'], d['kernelGFLOPs'])") | $(field "$r" "'%.2f' % d['referenceCPU']") | $(field "$r" "'%.2f' % d['derivativesCPU']") | $(field "$r" "'%.1fx' % d['speedup']") |" >> "$RES"
done
# When OpenBLAS did not know this CPU, mtp relaunched itself with wider kernels
# (BLASCore): the library's own choice, level 16, same run, is the baseline.
detected=$(sed -n 's/.*the library detected \([A-Za-z0-9]*\) on this CPU.*/\1/p' <<< "$VERSION")
if [ -n "$detected" ]; then
    pot=$(potential_for 16)
    OPENBLAS_CORETYPE=$detected "$MTP" bench jacobian "$pot" "$SET" --repeats 2 -o "$OUT/cubic-16-$detected.json" | tee "$OUT/cubic-16-$detected.txt"
    j=$OUT/cubic-16-$detected.json
    echo >> "$RES"
    echo "The same level-16 pass with the kernels OpenBLAS chose by itself on this CPU ($detected, OPENBLAS_CORETYPE=$detected): pass $(field "$j" "'%.2f' % d['passCPU']") s (QR $(field "$j" "'%.2f' % d['passQRCPU']") s), loss+gradient $(field "$j" "'%.3f' % d['lossGradientCPU']") s, ratio $(field "$j" "'%.1f' % d['ratio']"), products $(field "$j" "'%.1f' % d['productGFLOPs']") GFLOP/s." >> "$RES"
fi
# The default build (kernels for this CPU) against the portable one (SSE2
# kernels of our own code), alternated in the same run.
if [ "${PORTABLE:-1}" = 1 ] && [ -x "$MTP_PORTABLE" ]; then
    {
    echo
    echo "The default build ($(grep '^kernels compiled' <<< "$VERSION")) against \`MTP_TARGET_CPU=portable\` (same sources, same OpenBLAS kernels), whole set, alternated:"
    echo
    echo "| level | build | Jacobian pass s | of which QR s | loss+gradient s | pass / loss+gradient | products GFLOP/s |"
    echo "|---|---|---|---|---|---|---|"
    } >> "$RES"
    for level in 16 24; do
        pot=$(potential_for "$level")
        for build in portable default; do
            bin=$MTP; [ "$build" = portable ] && bin=$MTP_PORTABLE
            "$bin" bench jacobian "$pot" "$SET" --repeats 1 -o "$OUT/cubic-$level-$build.json" | tee "$OUT/cubic-$level-$build.txt"
            j=$OUT/cubic-$level-$build.json
            echo "| $level | $build | $(field "$j" "'%.2f' % d['passCPU']") | $(field "$j" "'%.2f' % d['passQRCPU']") | $(field "$j" "'%.3f' % d['lossGradientCPU']") | $(field "$j" "'%.1f' % d['ratio']") | $(field "$j" "'%.1f' % d['productGFLOPs']") |" >> "$RES"
        done
    done
fi
# Blocks of at most eight atoms (one per SIMD lane, the default since
# 2026-12-07) against blocks of up to 64 (the whole cell for these sets: the
# kernel before), alternated twice: the Cu set at levels 16 and 24 and the
# mlearn Mo set (194 configurations, up to 54 atoms a cell) at level 24.
if [ "${BLOCKS:-1}" = 1 ]; then
    MO=${MLEARN:-$ROOT/../shared/data/mlearn}/Mo/training.json
    [ -f "$OUT/mo-24.mtp" ] || "$MTP" basis --level 24 --min-dist 1.5 --max-dist 5.2 -o "$OUT/mo-24.mtp" >/dev/null
    {
    echo
    echo "## Atoms per block of the kernel's products"
    echo
    echo "Blocks of at most 8 atoms (the default) against up to 64 (whole cells here, the kernel before), \`mtp bench jacobian ... --block-atoms N\`, alternated twice, best of the two:"
    echo
    echo "| set | level | atoms per block | Jacobian pass s | of which QR s | kernel alone s | products GFLOP/s | kernel workspace MB |"
    echo "|---|---|---|---|---|---|---|---|"
    } >> "$RES"
    for case in "Cu 16" "Cu 24" "Mo 24"; do
        read -r name level <<< "$case"
        if [ "$name" = Cu ]; then pot=$(potential_for "$level"); set_for=$SET; else pot=$OUT/mo-24.mtp; set_for=$MO; fi
        for rep in 1 2; do
            for ba in 64 8; do
                "$MTP" bench jacobian "$pot" "$set_for" --repeats 1 --block-atoms "$ba" -o "$OUT/blocks-$name-$level-$ba-$rep.json" | tee "$OUT/blocks-$name-$level-$ba-$rep.txt"
            done
        done
        for ba in 64 8; do
            # The faster of the two runs.
            j=$(python3 -c "import json,sys; print(min(sys.argv[1:], key=lambda f: json.load(open(f))['passCPU']))" "$OUT/blocks-$name-$level-$ba-1.json" "$OUT/blocks-$name-$level-$ba-2.json")
            echo "| $name | $level | $ba | $(field "$j" "'%.2f' % d['passCPU']") | $(field "$j" "'%.2f' % d['passQRCPU']") | $(field "$j" "'%.2f' % d['derivativesCPU']") | $(field "$j" "'%.1f' % d['productGFLOPs']") | $(field "$j" "'%.0f' % d['workspaceMB']") |" >> "$RES"
        done
    done
fi
# The kernel before (BASELINE_REV) against this one, alternated twice.
if [ "${BASELINE:-1}" = 1 ] && [ -x "$MTP_BASELINE" ]; then
    {
    echo
    echo "## Against the kernel before (revision $BASELINE_REV)"
    echo
    echo "Whole Cu set, \`mtp bench jacobian\` of each build alternated twice, best of the two; load average at start $(cut -d' ' -f1-3 /proc/loadavg):"
    echo
    echo "| level | build | Jacobian pass s | of which QR s | kernel alone s | products GFLOP/s | loss+gradient s | pass / loss+gradient |"
    echo "|---|---|---|---|---|---|---|---|"
    } >> "$RES"
    for level in 16 24; do
        pot=$(potential_for "$level")
        for rep in 1 2; do
            for build in baseline current; do
                bin=$MTP; [ "$build" = baseline ] && bin=$MTP_BASELINE
                "$bin" bench jacobian "$pot" "$SET" --repeats 1 -o "$OUT/vs-$level-$build-$rep.json" | tee "$OUT/vs-$level-$build-$rep.txt"
            done
        done
        for build in baseline current; do
            j=$(python3 -c "import json,sys; print(min(sys.argv[1:], key=lambda f: json.load(open(f))['passCPU']))" "$OUT/vs-$level-$build-1.json" "$OUT/vs-$level-$build-2.json")
            echo "| $level | $build | $(field "$j" "'%.2f' % d['passCPU']") | $(field "$j" "'%.2f' % d['passQRCPU']") | $(field "$j" "'%.2f' % d['derivativesCPU']") | $(field "$j" "'%.1f' % d['productGFLOPs']") | $(field "$j" "'%.3f' % d['lossGradientCPU']") | $(field "$j" "'%.1f' % d['ratio']") |" >> "$RES"
        done
    done
fi
# Kernels the environment chose: when OPENBLAS_CORETYPE names narrower
# kernels than the CPU runs, the same levels with the widest as well.
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
widest=""
has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
if has avx512f avx512cd avx512bw avx512dq avx512vl; then widest=SkylakeX; elif has avx2 fma; then widest=Haswell; fi
if [ -n "${OPENBLAS_CORETYPE:-}" ] && [ -n "$widest" ] && [ "${OPENBLAS_CORETYPE,,}" != "${widest,,}" ]; then
    {
    echo
    echo "## OpenBLAS kernels: the environment's ($OPENBLAS_CORETYPE) against the CPU's widest ($widest)"
    echo
    echo "| level | OPENBLAS_CORETYPE | Jacobian pass s | of which QR s | products GFLOP/s | loss+gradient s | pass / loss+gradient |"
    echo "|---|---|---|---|---|---|---|"
    } >> "$RES"
    for level in 16 24; do
        pot=$(potential_for "$level")
        for core in "$OPENBLAS_CORETYPE" "$widest"; do
            OPENBLAS_CORETYPE=$core "$MTP" bench jacobian "$pot" "$SET" --repeats 1 -o "$OUT/core-$level-$core.json" | tee "$OUT/core-$level-$core.txt"
            j=$OUT/core-$level-$core.json
            echo "| $level | $core | $(field "$j" "'%.2f' % d['passCPU']") | $(field "$j" "'%.2f' % d['passQRCPU']") | $(field "$j" "'%.1f' % d['productGFLOPs']") | $(field "$j" "'%.3f' % d['lossGradientCPU']") | $(field "$j" "'%.1f' % d['ratio']") |" >> "$RES"
        done
    done
fi
{
echo
echo "## Three species (Cu/Ag/Au), level 24 from \`mtp basis --species-count 3\`"
echo
} >> "$RES"
"$MTP" basis --level 24 --species-count 3 --min-dist 0.5 --max-dist 5.0 -o "$OUT/multi-24.mtp" >/dev/null
"$MTP" bench jacobian "$OUT/multi-24.mtp" "$OUT/multi-first100.cfg" --repeats 1 -o "$OUT/multi-24.json" | tee "$OUT/multi-24.txt"
j=$OUT/multi-24.json
echo "- one rank, first 100 configurations: $(field "$j" "d['parameters']") parameters; Jacobian pass $(field "$j" "'%.2f' % d['passCPU']") s (QR $(field "$j" "'%.2f' % d['passQRCPU']") s), loss+gradient $(field "$j" "'%.3f' % d['lossGradientCPU']") s, ratio $(field "$j" "'%.1f' % d['ratio']"), products $(field "$j" "'%.1f' % d['productGFLOPs']") GFLOP/s, kernel workspace $(field "$j" "'%.0f' % d['workspaceMB']") MB" >> "$RES"
/usr/bin/time -v mpirun --allow-run-as-root --oversubscribe -np 2 "$MTP" train "$OUT/multi-24.mtp" "$DATA/multi/training.cfg" \
    -o "$OUT/multi-24-trained.mtp" --max-iter 2 --summary "$OUT/multi-24-train.json" > "$OUT/multi-24-train.txt" 2> "$OUT/multi-24-time.txt"
peak=$(awk -F: '/Maximum resident set size/{gsub(/ /,"",$2); print $2}' "$OUT/multi-24-time.txt")
echo "- \`mpirun -np 2 mtp train\` on all 1001 configurations, 2 iterations: $(grep -E '^ +[12] ' "$OUT/multi-24-train.txt" | awk '{print $NF}' | paste -sd/ -) s per iteration (wall, as printed), peak resident memory of the largest process (mpirun's view) $((peak / 1024)) MB" >> "$RES"
echo >> "$RES"
echo "Reproduce: \`bash benchmarks/jacobian/run.sh\` (LEVELS=\"16 24\" for a subset)." >> "$RES"
echo "wrote $RES"
