#!/usr/bin/env bash
# Creates .venv-peers/ at the repository root with the peer tools the tests
# read our files with: motep (MLIP .cfg/.mtp reader, with ASE) and h5py.
# The tests that use them run only when this venv exists; CI creates it.
# Usage: bash scripts/peers/setup.sh   (idempotent; about a minute on a fresh machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv-peers
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import motep, h5py" 2>/dev/null; then
    echo "peers: $VENV ready"; exit 0
fi
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "peers: python3 not found (apt-get install python3 python3-venv)" >&2; exit 1; }
"$PY" -m venv "$VENV" 2>/dev/null || {
    echo "peers: python3 -m venv failed; installing python3-venv" >&2
    apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    "$PY" -m venv "$VENV"
}
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "motep==0.2.0" h5py
"$VENV/bin/python" -c "import motep, h5py; print('peers: motep and h5py', h5py.__version__, 'in $VENV')"
