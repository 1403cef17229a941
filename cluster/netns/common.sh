# Shared settings of the network-namespace test hosts (sourced, not run).
#
# N test hosts are network namespaces mtpc-h0 .. mtpc-h(N-1), each with a
# loopback and one veth interface (eth0) addressed in $MTPC_NET.0/24. The
# other ends of the veth pairs are enslaved to a bridge that lives in a
# namespace of its own (mtpc-sw), so the machine's own network namespace
# gets no interface, address or route: nothing the hosts send can leave
# them. The subnet is from the private 10/8 range and is only ever
# configured inside these namespaces.
MTPC_PREFIX=${MTPC_PREFIX:-mtpc}
MTPC_NET=${MTPC_NET:-10.231.97}
MTPC_SUBNET="$MTPC_NET.0/24"
MTPC_SWITCH="$MTPC_PREFIX-sw"
MTPC_STATE=${MTPC_STATE:-/run/$MTPC_PREFIX}

# Host i: namespace, host name (set per process with a UTS namespace) and address.
mtpc_ns() { echo "$MTPC_PREFIX-h$1"; }
mtpc_ip() { echo "$MTPC_NET.$((10 + $1))"; }
