#!/usr/bin/env bash
# mpirun across the test hosts of up.sh: mpirun itself runs on the first
# host (its namespace and host name), starts its daemons on the others
# through agent.sh instead of ssh, and the ranks talk over TCP on the test
# subnet only (no shared memory, no other interface). Arguments are passed
# to mpirun, e.g.
#   cluster/netns/mpirun.sh -np 3 --map-by node mtp train ...
# Works with Open MPI 4 (ORTE) and 5 (PRRTE: the launcher settings are prte
# parameters there).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
[ -f "$MTPC_STATE/hostfile" ] || { echo "mpirun.sh: no test hosts; run cluster/netns/up.sh first" >&2; exit 2; }
major=$(mpirun --version 2>/dev/null | sed -n 's/.*(Open MPI) \([0-9]*\).*/\1/p' | head -1)
case "$major" in
    4) launch=(--mca plm_rsh_agent "$here/agent.sh" --mca plm_rsh_no_tree_spawn 1
               --mca oob_tcp_if_include "$MTPC_SUBNET") ;;
    5) launch=(--prtemca plm_ssh_agent "$here/agent.sh" --prtemca plm_ssh_no_tree_spawn 1
               --prtemca oob_tcp_if_include "$MTPC_SUBNET") ;;
    *) echo "mpirun.sh: needs Open MPI 4 or 5 (mpirun --version: '$(mpirun --version 2>&1 | head -1)')" >&2; exit 2 ;;
esac
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export MTPC_STATE
read -r ns name < <(head -1 "$MTPC_STATE/hosts.map" | awk '{print $2, $3}')
exec ip netns exec "$ns" unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' "$name" \
    mpirun --allow-run-as-root --oversubscribe --hostfile "$MTPC_STATE/hostfile" "${launch[@]}" \
    --mca btl tcp,self --mca btl_tcp_if_include "$MTPC_SUBNET" "$@"
