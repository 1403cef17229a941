#!/usr/bin/env bash
# Creates N test hosts on this machine (default 3): network namespaces joined
# by veth pairs to a bridge, see common.sh. Removes leftovers of an earlier
# run first, so it can be rerun after a crash. Writes $MTPC_STATE/hostfile
# (one address per line, `slots=S`) and $MTPC_STATE/hosts.map (address,
# namespace, host name) for the launch agent. Needs root and iproute2.
# Usage: cluster/netns/up.sh [N] [SLOTS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
N=${1:-3}
SLOTS=${2:-2}
[[ "$N" =~ ^[1-9][0-9]?$ ]] && [ "$N" -le 200 ] || { echo "up.sh: N must be 1..200, got '$N'" >&2; exit 2; }
bash "$here/down.sh"
mkdir -p "$MTPC_STATE"
no_ipv6() {
    # IPv4 only: without IPv6 no interface gets a link-local address, so
    # the test subnet's addresses are the only ones MPI can use.
    if [ -e /proc/sys/net/ipv6/conf/default/disable_ipv6 ]; then
        ip netns exec "$1" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
    fi
}
ip netns add "$MTPC_SWITCH"
no_ipv6 "$MTPC_SWITCH"
ip -n "$MTPC_SWITCH" link set lo up
ip -n "$MTPC_SWITCH" link add br0 type bridge
ip -n "$MTPC_SWITCH" link set br0 up
: > "$MTPC_STATE/hostfile.tmp"
: > "$MTPC_STATE/hosts.map.tmp"
for i in $(seq 0 $((N - 1))); do
    ns=$(mtpc_ns "$i"); ip=$(mtpc_ip "$i")
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    no_ipv6 "$ns"
    # Created inside the host's namespace, the switch end is then moved
    # away: no interface ever appears in the machine's own namespace.
    ip -n "$ns" link add eth0 type veth peer name "p$i"
    ip -n "$ns" link set "p$i" netns "$MTPC_SWITCH"
    ip -n "$MTPC_SWITCH" link set "p$i" master br0
    ip -n "$MTPC_SWITCH" link set "p$i" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    echo "$ip slots=$SLOTS" >> "$MTPC_STATE/hostfile.tmp"
    echo "$ip $ns $ns" >> "$MTPC_STATE/hosts.map.tmp"
done
mv "$MTPC_STATE/hostfile.tmp" "$MTPC_STATE/hostfile"
mv "$MTPC_STATE/hosts.map.tmp" "$MTPC_STATE/hosts.map"
# Every host must reach every other before MPI starts (the bridge may take
# a moment to forward).
for i in $(seq 0 $((N - 1))); do
    for j in $(seq 0 $((N - 1))); do
        [ "$i" = "$j" ] && continue
        # A TCP connection to a closed port is refused at once by a host
        # that is reachable (no ping needed); silence means no route.
        ok=
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            reply=$(ip netns exec "$(mtpc_ns "$i")" timeout 2 bash -c "exec 3<>/dev/tcp/$(mtpc_ip "$j")/9" 2>&1 || true)
            case "$reply" in *refused*) ok=1; break ;; esac
            sleep 0.2
        done
        [ -n "$ok" ] || { echo "up.sh: host $i cannot reach $(mtpc_ip "$j")" >&2; exit 1; }
    done
done
echo "up.sh: $N hosts ($(cut -d' ' -f1 "$MTPC_STATE/hostfile" | tr '\n' ' ')) on bridge br0 in namespace $MTPC_SWITCH; hostfile $MTPC_STATE/hostfile"
