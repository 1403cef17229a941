#!/usr/bin/env bash
# The full fuzz run (issue 18): 2,400 seeded mutants of every format the tool
# reads (.cfg, .extxyz, trained and untrained .mtp, .h5, mlearn JSON,
# vasprun.xml, OUTCAR), each through one of the subcommands that read it,
# each bounded by a timeout; see scripts/fuzz/fuzz.py for the mutations and
# the classification. Writes fuzz/report.md and fuzz/report.json (every run).
#
#   benchmarks/fuzz/run.sh [--runs N] [--seed S] [--timeout SECONDS]
#
# Environment: SKIP_BUILD=1 to reuse .build-bench/release/mtp, MTP=/path/to/mtp
# for another binary. Exits non-zero when any run crashed, hung, printed inf/NaN
# or failed with a message that does not name the input file.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
if [[ -z "${MTP:-}" ]]; then
  if [[ -z "${SKIP_BUILD:-}" ]]; then
    echo "== swift build -c release --scratch-path .build-bench" >&2
    (cd "$ROOT" && swift build -c release --product mtp --scratch-path .build-bench >&2)
  fi
  MTP="$ROOT/.build-bench/release/mtp"
fi
[[ -x "$MTP" ]] || { echo "no mtp binary at $MTP" >&2; exit 1; }
RUNS=2400; SEED=18; TIMEOUT=30
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start" >&2
exec python3 "$ROOT/scripts/fuzz/fuzz.py" "$MTP" --runs "$RUNS" --seed "$SEED" --timeout "$TIMEOUT" \
    --work "${TMPDIR:-/tmp}/mtp-fuzz-full" --report "$HERE/report.md"
