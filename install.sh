#!/usr/bin/env bash
# One command on a fresh Debian machine: install the dependencies, build the
# `mtp` tool (release) and run the main job on the data bundled in the
# repository. The kernels are compiled for this machine's CPU; set
# MTP_TARGET_CPU=portable for a binary that runs on any x86-64 CPU.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product mtp
swift build -c release --product MTPC   # libMTPC.so, for the Python package: pip install ./python
BIN="$(swift build -c release --show-bin-path)/mtp"
mkdir -p out
ln -sf "$BIN" out/mtp
ln -sf "$(dirname "$BIN")/libMTPC.so" out/libMTPC.so
echo
echo "== $("$BIN" --version)"
bash scripts/main-job.sh "$BIN"
