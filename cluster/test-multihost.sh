#!/usr/bin/env bash
# The multi-host test: the engine across several hosts on the real MPI
# transport, on one machine.
#
# cluster/netns/up.sh makes 3 test hosts (network namespaces on a private
# bridge, 10.231.97.10-12, nothing else reachable); Open MPI starts its
# daemons on them through cluster/netns/agent.sh instead of ssh and the
# ranks talk TCP only (btl tcp,self: no shared memory). Checked:
#  1. `mtp bench mpi` on 3 ranks, one per host: every rank reports a
#     different host, Open MPI's TCP transport logs its connections between
#     the hosts' addresses, and payloads sent between the hosts arrive intact
#     (byte counts printed, and the hosts' interface counters);
#  2. `mtp train` on 3 ranks, one per host, prints the same losses and
#     writes the same potential (byte for byte) as `mpirun -np 3` on this
#     machine alone, and as one rank;
#  3. a small `mtp sweep` (2 levels x 2 cutoffs) on 4 ranks over the 3 hosts
#     writes the same potentials and the same records (timings aside) as
#     `mpirun -np 4` alone.
# The hosts are removed on exit, failure or interrupt included; leftovers
# of an earlier run are removed first. Needs root, iproute2, util-linux
# (unshare) and Open MPI 4 or 5.
# Usage: cluster/test-multihost.sh [path/to/mtp]
set -euo pipefail
cd "$(dirname "$0")/.."
NETNS=cluster/netns
MTP=${1:-}
if [ -z "$MTP" ]; then
    [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
    swift build -c release --product mtp --scratch-path .build-test
    MTP=.build-test/release/mtp
fi
MTP=$(cd "$(dirname "$MTP")" && pwd)/$(basename "$MTP")
[ "$(id -u)" -eq 0 ] || { echo "test-multihost: needs root (network namespaces)"; exit 1; }
for tool in ip unshare mpirun timeout; do
    command -v "$tool" >/dev/null || { echo "test-multihost: $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done

WORK=$(mktemp -d)
cleanup() {
    status=$?
    bash $NETNS/down.sh || status=1
    rm -rf "$WORK"
    if ip netns list 2>/dev/null | grep -q '^mtpc-'; then echo "test-multihost: namespaces left behind"; status=1; fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash $NETNS/up.sh 3 2
LOCAL=(mpirun --allow-run-as-root --oversubscribe --mca btl tcp,self)
HOSTS=(bash $NETNS/mpirun.sh --map-by node)

echo "== 1. three hosts, one rank each: who runs where, TCP connections, verified payloads"
read_counters() {
    for i in 0 1 2; do
        ip netns exec "mtpc-h$i" cat /sys/class/net/eth0/statistics/rx_bytes /sys/class/net/eth0/statistics/tx_bytes | tr '\n' ' '
        echo
    done
}
before=$(read_counters)
"${HOSTS[@]}" -np 3 --mca btl_base_verbose 100 "$MTP" bench mpi --max-bytes 262144 --repeats 4 > "$WORK/mpi.log" 2>&1 \
    || { cat "$WORK/mpi.log"; echo "bench mpi across hosts failed"; exit 1; }
after=$(read_counters)
grep -E '^(rank [0-9]|ping-pong|[0-9]+ ranks on|bench mpi)' "$WORK/mpi.log"
hosts=$(grep -E '^rank [0-9]+ on host' "$WORK/mpi.log" | awk '{print $5}' | sort -u | wc -l)
[ "$hosts" -eq 3 ] || { echo "expected ranks on 3 different hosts, saw $hosts"; exit 1; }
grep -q 'bench mpi: all messages verified' "$WORK/mpi.log" || { echo "payloads were not verified"; exit 1; }
echo "Open MPI's TCP transport between the hosts (btl_base_verbose):"
grep -E 'btl:tcp: now connected to|Using tcp btl for send' "$WORK/mpi.log" | sed 's/^/  /' | sort | head -20
for i in 0 1 2; do
    for j in 0 1 2; do
        [ "$i" = "$j" ] && continue
        grep -q "^\[mtpc-h$i:[0-9]*\] btl:tcp: now connected to 10.231.97.1$j," "$WORK/mpi.log" \
            || grep -q "^\[mtpc-h$j:[0-9]*\] btl:tcp: now connected to 10.231.97.1$i," "$WORK/mpi.log" \
            || { echo "no TCP connection logged between mtpc-h$i and mtpc-h$j"; exit 1; }
    done
done
if grep -q 'vader\|btl:sm\|shared memory' "$WORK/mpi.log"; then echo "a shared-memory transport was used"; exit 1; fi
echo "interface byte counters (eth0 of each host) before -> after:"
paste <(echo "$before") <(echo "$after") | awk '{printf "  mtpc-h%d: received %d bytes, sent %d bytes\n", NR - 1, $3 - $1, $4 - $2; if ($3 - $1 < 100000 || $4 - $2 < 100000) bad = 1} END {exit bad}' \
    || { echo "a host's interface carried less than the payloads"; exit 1; }

REF=Tests/MTPTests/Fixtures/mlip-reference
POT=Tests/FittingTests/Fixtures/cu-06.mtp
awk '/BEGIN_CFG/{n++} n<=24' $REF/cubic/08/calc-efs.first100.cfg > "$WORK/t24.cfg"
awk '/BEGIN_CFG/{n++} n<=12' $REF/cubic/08/calc-efs.first100.cfg > "$WORK/t12.cfg"

echo "== 2. mtp train: 3 hosts against one machine, -np 3"
TRAIN=(train "$POT" "$WORK/t24.cfg" --max-iter 4 --checkpoint-every 0)
"${HOSTS[@]}" -np 3 "$MTP" "${TRAIN[@]}" -o "$WORK/hosts.mtp" > "$WORK/train-hosts.log" \
    || { cat "$WORK/train-hosts.log"; echo "mtp train across hosts failed"; exit 1; }
"${LOCAL[@]}" -np 3 "$MTP" "${TRAIN[@]}" -o "$WORK/local.mtp" > "$WORK/train-local.log"
progress() { awk '$1 ~ /^[0-9]+$/ && NF >= 8 {print $1, $2, $3, $4, $5}' "$1"; }
progress "$WORK/train-hosts.log" > "$WORK/hosts.loss"
progress "$WORK/train-local.log" > "$WORK/local.loss"
grep -m1 '^training' "$WORK/train-hosts.log"
[ "$(wc -l < "$WORK/hosts.loss")" -ge 2 ] || { cat "$WORK/train-hosts.log"; echo "too few progress lines"; exit 1; }
paste -d'|' "$WORK/hosts.loss" "$WORK/local.loss" | sed 's/|/   <3 hosts | 1 machine>   /'
cmp "$WORK/hosts.loss" "$WORK/local.loss" || { echo "losses differ between the multi-host and the single-host run"; exit 1; }
cmp "$WORK/hosts.mtp" "$WORK/local.mtp" || { echo "trained potentials differ"; exit 1; }
echo "identical losses and potential ($(md5sum < "$WORK/hosts.mtp" | cut -c1-12))"
"$MTP" "${TRAIN[@]}" -o "$WORK/one.mtp" > /dev/null
cmp "$WORK/hosts.mtp" "$WORK/one.mtp" || { echo "the 3-host potential differs from the 1-rank one"; exit 1; }
echo "and the same potential as one rank alone (fixed-order trees)"

echo "== 3. mtp sweep: 2 levels x 2 cutoffs, 4 ranks over 3 hosts against -np 4 on one machine"
SWEEP=(sweep "$WORK/t12.cfg" --levels 2,4 --cutoffs 4.0,5.0 --max-iter 3 --min-dist 0.5)
"${HOSTS[@]}" -np 4 "$MTP" "${SWEEP[@]}" --out "$WORK/sweep-hosts" > "$WORK/sweep-hosts.log" \
    || { cat "$WORK/sweep-hosts.log"; echo "mtp sweep across hosts failed"; exit 1; }
"${LOCAL[@]}" -np 4 "$MTP" "${SWEEP[@]}" --out "$WORK/sweep-local" > "$WORK/sweep-local.log"
grep -E 'to run on 4 ranks' "$WORK/sweep-hosts.log" || { cat "$WORK/sweep-hosts.log"; echo "the sweep did not plan on 4 ranks"; exit 1; }
# Records without what differs by nature: timings and output paths.
strip() { grep -v -E '"(wallSeconds|microsecondsPerAtom|calls|potential|log)"' "$1"; }
n=0
for f in "$WORK"/sweep-local/fits/*.json; do
    case "$f" in *.checkpoint.json) continue ;; esac   # kept by fits that stopped at their iteration limit
    name=$(basename "$f" .json)
    cmp "$WORK/sweep-local/fits/$name.mtp" "$WORK/sweep-hosts/fits/$name.mtp" || { echo "$name: potentials differ"; exit 1; }
    diff <(strip "$f") <(strip "$WORK/sweep-hosts/fits/$name.json") || { echo "$name: records differ"; exit 1; }
    rmse=$(grep -m1 '"energyRMSE"' "$f" | tr -d ' ,' | cut -d: -f2)
    echo "  $name: same potential and record on 3 hosts and on one machine (energy RMSE $rmse meV/atom)"
    n=$((n + 1))
done
[ "$n" -eq 4 ] || { echo "expected 4 fits, compared $n"; exit 1; }
echo "test-multihost: all checks passed"
