#!/usr/bin/env bash
# Checks the job scripts of cluster/slurm and cluster/pbs the way a new user
# meets them: a copy of each, edited on exactly its two marked lines (DATA
# and GRID, or DATA and POT), runs under an emulated batch environment on
# this machine (Slurm: SLURM_NTASKS=2, SLURM_SUBMIT_DIR and an `srun` that
# hands --mpi=pmix jobs to mpirun; PBS: PBS_NODEFILE with 2 slots,
# PBS_O_WORKDIR) on bundled data. Each sweep must write its 4 fits and
# summary, each training run its potential; a resubmitted sweep must skip
# its finished fits and a resubmitted training run resume from its checkpoint.
# The study scripts (DATA: the EAM reference, STUDY: a tiny study) must end
# with study.md and the figures on 2 ranks, and a resubmission must find
# nothing left to do.
# Usage: cluster/check-jobs.sh [path/to/mtp]
set -euo pipefail
cd "$(dirname "$0")/.."
MTP=${1:-.build-test/release/mtp}
[ -x "$MTP" ] || { echo "check-jobs: no mtp at $MTP"; exit 1; }
MTP=$(cd "$(dirname "$MTP")" && pwd)/$(basename "$MTP")
REPO=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for f in cluster/slurm/*.sbatch cluster/pbs/*.pbs; do bash -n "$f"; done
echo "check-jobs: bash -n passes for $(ls cluster/slurm/*.sbatch cluster/pbs/*.pbs | wc -l) job scripts"

mkdir -p "$WORK/bin" "$WORK/data"
# srun stand-in: the same ranks, started by mpirun (root needs the flags).
cat > "$WORK/bin/srun" <<'EOF'
#!/bin/bash
[ "$1" = "--mpi=pmix" ] || { echo "srun stand-in: expected --mpi=pmix first, got $1" >&2; exit 2; }
shift
exec mpirun --allow-run-as-root --oversubscribe -np "$SLURM_NTASKS" "$@"
EOF
chmod +x "$WORK/bin/srun"
REF=Tests/MTPTests/Fixtures/mlip-reference
awk '/BEGIN_CFG/{n++} n<=12' $REF/cubic/08/calc-efs.first100.cfg > "$WORK/data/t12.cfg"
"$MTP" convert "$WORK/data/t12.cfg" --species Cu -o "$WORK/data/t12.h5" >/dev/null
cp Tests/FittingTests/Fixtures/cu-06.mtp "$WORK/data/start.mtp"
printf 'localhost\nlocalhost\n' > "$WORK/nodefile"

# A copy of $1 with the two marked lines replaced; fails unless exactly
# those two lines changed.
edit() {
    local src=$1 dst=$2 second=$3
    sed -e "s|^DATA=.*|DATA=$WORK/data/t12.h5|" -e "$second" "$src" > "$dst"
    local changed
    changed=$(diff "$src" "$dst" | grep -c '^>' || true)
    [ "$changed" -eq 2 ] || { echo "$src: editing DATA and the second marked line changed $changed lines"; exit 1; }
}

run_job() {  # kind script workdir
    local kind=$1 script=$2 dir=$3
    mkdir -p "$dir"
    (
        cd "$dir"
        export PATH="$WORK/bin:$PATH" MTP OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
        export MPIRUN_FLAGS="--allow-run-as-root --oversubscribe --bind-to none"
        if [ "$kind" = slurm ]; then
            SLURM_NTASKS=2 SLURM_JOB_NUM_NODES=1 SLURM_SUBMIT_DIR="$dir" bash "$script"
        else
            PBS_NODEFILE="$WORK/nodefile" PBS_O_WORKDIR="$dir" bash "$script"
        fi
    ) > "$dir/job.out" 2>&1 || { cat "$dir/job.out"; echo "$script failed"; exit 1; }
}

for src in cluster/slurm/sweep-srun.sbatch cluster/slurm/sweep-mpirun.sbatch cluster/pbs/sweep.pbs; do
    kind=slurm; [[ "$src" == *.pbs ]] && kind=pbs
    name=$(basename "$src")
    dir="$WORK/run-$name"
    edit "$src" "$WORK/$name" 's|^GRID=.*|GRID="--levels 2,4 --cutoffs 4.0,5.0 --max-iter 2 --min-dist 0.5"|'
    run_job $kind "$WORK/$name" "$dir"
    rows=$(tail -n +2 "$dir/sweep-t12/summary.csv" 2>/dev/null | grep -c . || true)
    [ "$rows" -eq 4 ] || { cat "$dir/job.out"; echo "$name: summary.csv has $rows rows, expected 4"; exit 1; }
    grep -q "to run on 2 ranks" "$dir/job.out" || { cat "$dir/job.out"; echo "$name: the sweep did not run on 2 ranks"; exit 1; }
    run_job $kind "$WORK/$name" "$dir"
    grep -q "4 already finished, 0 to run" "$dir/job.out" || { cat "$dir/job.out"; echo "$name: the resubmitted sweep redid fits"; exit 1; }
    echo "check-jobs: $name: 4 fits and summary on 2 ranks; resubmitted, skips them"
done

for src in cluster/slurm/train-srun.sbatch cluster/slurm/train-mpirun.sbatch cluster/pbs/train.pbs; do
    kind=slurm; [[ "$src" == *.pbs ]] && kind=pbs
    name=$(basename "$src")
    dir="$WORK/run-$name"
    edit "$src" "$WORK/$name" "s|^POT=.*|POT=$WORK/data/start.mtp|"
    OPTIONS="--max-iter 3 --checkpoint-every 1" run_job $kind "$WORK/$name" "$dir"
    [ -s "$dir/start.trained.mtp" ] || { cat "$dir/job.out"; echo "$name: no trained potential"; exit 1; }
    grep -q "2 ranks" "$dir/job.out" || { cat "$dir/job.out"; echo "$name: training did not run on 2 ranks"; exit 1; }
    OPTIONS="--max-iter 3 --checkpoint-every 1" run_job $kind "$WORK/$name" "$dir"
    grep -q "^resuming at iteration 3" "$dir/job.out" || { cat "$dir/job.out"; echo "$name: the resubmitted job did not resume"; exit 1; }
    echo "check-jobs: $name: trained on 2 ranks; resubmitted, resumes from its checkpoint"
done
# The study scripts: the reference on the DATA line, a tiny study on the STUDY line.
cp Tests/ReferenceTests/Fixtures/Mg_mm.eam.fs "$WORK/data/Mg_mm.eam.fs"
for src in cluster/slurm/study-mpirun.sbatch cluster/pbs/study.pbs; do
    kind=slurm; [[ "$src" == *.pbs ]] && kind=pbs
    name=$(basename "$src")
    dir="$WORK/run-$name"
    sed -e "s|^DATA=.*|DATA=$WORK/data/Mg_mm.eam.fs|" \
        -e 's|^STUDY=.*|STUDY="--element Mg --atomic-volume 22.87 --max-atoms 1 --space-groups 225,229 --perturbations 1 --subsets VOLMIN,EVERYTHING --levels 4 --cutoffs 5.0 --max-iter 3 --properties ev --figure-levels 4"|' \
        "$src" > "$WORK/$name"
    changed=$(diff "$src" "$WORK/$name" | grep -c '^>' || true)
    [ "$changed" -eq 2 ] || { echo "$src: editing DATA and STUDY changed $changed lines"; exit 1; }
    run_job $kind "$WORK/$name" "$dir"
    [ -s "$dir/study-Mg_mm/study.md" ] && [ -s "$dir/study-Mg_mm/figures/fig5-cost-vs-error.dat" ] \
        || { cat "$dir/job.out"; echo "$name: no study.md or figures"; exit 1; }
    grep -q "2 ranks ->" "$dir/job.out" || { cat "$dir/job.out"; echo "$name: the study did not run on 2 ranks"; exit 1; }
    run_job $kind "$WORK/$name" "$dir"
    grep -q "2 already validated, 0 to validate" "$dir/job.out" || { cat "$dir/job.out"; echo "$name: the resubmitted study redid work"; exit 1; }
    echo "check-jobs: $name: a tiny study on 2 ranks; resubmitted, continues with nothing left to do"
done
echo "check-jobs: all job scripts pass"
