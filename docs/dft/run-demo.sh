#!/usr/bin/env bash
# The real-DFT demonstration of docs/dft.md: a small Mg set (ASSYST structures,
# 1-2 atoms per cell, relaxed with the EAM stand-in), labelled with GPAW PBE,
# a level-8 MTP fitted to it and validated against GPAW (E-V curves). With
# ELASTIC=1 also a level-12 MTP, and the hcp elastic constants of both MTPs and
# the EAM stand-in against GPAW with the denser k mesh of gpaw_mg_k6.py (the
# k density 3.0 of gpaw_mg.py does not converge hcp's stresses; docs/dft.md).
# EV=0 skips the E-V validation. Needs `bash scripts/install-dft.sh` first.
# Usage: [THREADS=2] [ELASTIC=1] [EV=0] docs/dft/run-demo.sh [path/to/mtp] [OUTDIR]
#        (defaults: out/mtp, out/dft-demo)
set -euo pipefail
cd "$(dirname "$0")/../.."
MTP=${1:-out/mtp}
OUT=${2:-out/dft-demo}
THREADS=${THREADS:-2}
mkdir -p "$OUT"
EAM=Tests/ReferenceTests/Fixtures/Mg_mm.eam.fs
GPAW=docs/dft/gpaw_mg.py
"$MTP" assyst --element Mg --atomic-volume 22.87 --min-atoms 1 --max-atoms 2 --space-groups 191,194,225,229 \
    --triax-count 3 --shear-count 3 --rattle-count 3 --calculator "eam:$EAM" -o "$OUT/eam-set.h5" --threads "$THREADS" --quiet --overwrite \
    | sed -n '1,2p;/^total/p'
# Resumable: rerun with --resume after an interruption.
"$MTP" label "$OUT/eam-set.h5" --calculator "ase:$GPAW" -o "$OUT/gpaw-set.h5" --threads "$THREADS" --timeout 1800 \
    $( [ -d "$OUT/gpaw-set.h5.journal" ] && echo --resume )
"$MTP" basis --level 8 --species-count 1 --min-dist 1.9 --max-dist 6.0 -o "$OUT/init.mtp"
"$MTP" train "$OUT/init.mtp" "$OUT/gpaw-set.h5" -o "$OUT/mg-l08.mtp" --max-iter 300 | tail -12
if [ "${EV:-1}" = 1 ]; then
    "$MTP" validate "$OUT/mg-l08.mtp" --reference "ase:$GPAW" --element Mg --lattice hcp:3.19,1.62 --properties ev \
        --quick --threads "$THREADS" --timeout 1800 --out "$OUT/validate"
fi
if [ "${ELASTIC:-0}" = 1 ]; then
    "$MTP" basis --level 12 --species-count 1 --min-dist 1.9 --max-dist 6.0 -o "$OUT/init-l12.mtp"
    "$MTP" train "$OUT/init-l12.mtp" "$OUT/gpaw-set.h5" -o "$OUT/mg-l12.mtp" --max-iter 500 | tail -12
    # Only hcp is relaxed (the elastic property starts from hcp alone): GPAW
    # relaxes c/a and a, then the ions at each of the six +-0.5 % strains, to
    # 1e-3 eV/A: with the default 1e-4 eV/A, near GPAW's force noise, the run
    # had not finished after 1600 calculations in 42 min (docs/dft.md).
    "$MTP" validate "$OUT/mg-l08.mtp" "$OUT/mg-l12.mtp" "eam:$EAM" --reference "ase:docs/dft/gpaw_mg_k6.py" --element Mg \
        --lattice hcp:3.19,1.62 --properties elastic --elastic-force-tolerance 1e-3 --threads "$THREADS" --timeout 1800 \
        --out "$OUT/validate-elastic"
fi
