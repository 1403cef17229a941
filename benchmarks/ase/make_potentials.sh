#!/usr/bin/env bash
# The potentials of the ASE benchmark (potentials/mg-08.mtp, -16, -24): a
# small systematic Mg set labelled by the EAM potential Mg_mm.eam.fs
# (`mtp assyst`, as python/examples/md_mg.py makes it), and fits of levels
# 8, 16 and 24 (cutoff 5.5 A) with a few LM iterations each: enough for
# physical hcp dynamics at 300 K, which is all the timing needs.
#
#   benchmarks/ase/make_potentials.sh [MTP]     (default .build/release/mtp)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MTP="${1:-$ROOT/.build/release/mtp}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$MTP" assyst --element Mg --atomic-volume 22.87 --max-atoms 4 --space-groups 1-3,191-194,221-229 \
    --triax-count 2 --shear-count 2 --rattle-count 2 --seed 7 \
    --calculator "eam:$ROOT/Tests/ReferenceTests/Fixtures/Mg_mm.eam.fs" -o "$WORK/mg.h5" --quiet >/dev/null
mkdir -p "$HERE/potentials"
for spec in 8:60 16:30 24:12; do
    level=${spec%:*} iterations=${spec#*:}
    name=$(printf 'mg-%02d' "$level")
    "$MTP" basis --level "$level" --species-count 1 --min-dist 1.8 --max-dist 5.5 -o "$WORK/$name.initial.mtp" >/dev/null
    "$MTP" train "$WORK/$name.initial.mtp" "$WORK/mg.h5" -o "$WORK/$name.mtp" --max-iter "$iterations" > "$WORK/$name.log"
    cp "$WORK/$name.mtp" "$HERE/potentials/$name.mtp"
    echo "$name: $iterations iterations; $(grep '^(all)' "$WORK/$name.log")"
done
