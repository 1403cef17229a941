#!/usr/bin/env bash
# Installs the Debian packages the engine builds against and runs with.
# Run as root (or with sudo) on Debian 12 or newer.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    pkg-config libopenmpi-dev openmpi-bin libopenblas-dev libscalapack-openmpi-dev \
    libhdf5-openmpi-dev hdf5-tools libsymspg-dev gnuplot-nox python3 >/dev/null
# The multi-host test (cluster/test-multihost.sh) makes its test hosts with
# network namespaces (ip netns, veth, bridge) and unshare.
$SUDO apt-get install -y -qq --no-install-recommends iproute2 util-linux >/dev/null
# The Python package's tests (scripts/test-python.sh) make a venv.
$SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
if ! command -v swift >/dev/null 2>&1; then
    for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$d/swift" ] && export PATH="$d:$PATH"
    done
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: Swift 6 is not on PATH; install a Swift toolchain (https://www.swift.org/install/linux/) and rerun." >&2
    exit 1
fi
echo "install-deps: Debian packages installed; $(swift --version 2>&1 | head -1)"
