#!/usr/bin/env bash
# Open MPI's launch agent for the test hosts, in place of ssh:
#   agent.sh [ssh-style options] HOST COMMAND...
# runs COMMAND (a shell command line, joined as ssh joins it) in HOST's
# network namespace, with HOST's name as host name (own UTS namespace), so
# that MPI sees one node per test host. HOST is an address or name listed in
# $MTPC_STATE/hosts.map.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
    case "$1" in -o|-l|-p|-i|-F) shift 2 ;; *) shift ;; esac
done
[ $# -ge 2 ] || { echo "agent.sh: usage: agent.sh HOST COMMAND..." >&2; exit 2; }
host=$1; shift
read -r ns name < <(awk -v h="$host" '$1 == h || $3 == h {print $2, $3; exit}' "$MTPC_STATE/hosts.map")
[ -n "${ns:-}" ] || { echo "agent.sh: $host is not a test host (see $MTPC_STATE/hosts.map)" >&2; exit 255; }
exec ip netns exec "$ns" unshare --uts /bin/sh -c 'hostname "$0" && exec /bin/sh -c "$1"' "$name" "$*"
