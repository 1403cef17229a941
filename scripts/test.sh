#!/usr/bin/env bash
# The test suite. Release build with testing enabled: the exactness tests
# evaluate hundreds of configurations and are slow in debug builds.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release -Xswiftc -enable-testing --build-tests --scratch-path .build-test
swift test -c release -Xswiftc -enable-testing --skip-build --scratch-path .build-test "$@"
python3 scripts/fuzz/regressions.py .build-test/release/mtp
python3 scripts/fuzz/fuzz.py .build-test/release/mtp --runs 300 --seed 7 --timeout 20 > /tmp/mtp-fuzz-ci.md \
    || { cat /tmp/mtp-fuzz-ci.md; exit 1; }
sed -n 5,12p /tmp/mtp-fuzz-ci.md
bash scripts/test-mpi.sh .build-test/release/mtp
bash scripts/test-python.sh .build-test/release
bash cluster/test-multihost.sh .build-test/release/mtp
bash cluster/check-jobs.sh .build-test/release/mtp
