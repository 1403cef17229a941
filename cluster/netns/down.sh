#!/usr/bin/env bash
# Removes every test host made by up.sh (namespaces $MTPC_PREFIX-*, their
# veth pairs and the bridge go with them) and the state directory. Kills
# processes still running inside those namespaces first. Safe to run when
# nothing is left; exits 0 unless a namespace cannot be removed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
status=0
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$MTPC_PREFIX-(sw|h[0-9]+)$"); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
        kill -9 $pids 2>/dev/null || true
        sleep 0.2
    fi
    ip netns del "$ns" 2>/dev/null || { echo "down.sh: cannot remove namespace $ns" >&2; status=1; }
done
rm -rf "$MTPC_STATE"
exit $status
