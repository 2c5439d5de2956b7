# Network-namespace lab library for shell tests. Source it (bash).
#
# Every namespace gets a run-unique name "ct<pid>-<short name>" and is
# recorded; lab_cleanup (installed as the EXIT trap) kills the processes this
# library started and deletes the namespaces it made, nothing else. Nothing
# here adds an address or a route to the root namespace: every `ip` call
# names its namespace (-n), veths are created with both ends placed directly
# in lab namespaces, and traffic only flows between them.
#
# Topology helpers (LAB-NOTES §5):
#   workload ns <-veth-> host ns <-veth-> fabric ns (bridge br0 = 172.30.0.1/24)
# A host gets forwarding on and "default via 172.30.0.1": proxy ARP for
# 169.254.1.1 only answers for targets the host can route (LAB-NOTES §3.4).
#
#   lab_ns NAME                 full name of a lab namespace
#   lab_nspath NAME             /var/run/netns/<full name>
#   lab_ns_add NAME             new namespace, lo up, IPv4/IPv6 forwarding off (the kernel default)
#   lab_exec NAME CMD...        run CMD inside (ip netns exec)
#   lab_sysctl NAME KEY VALUE   KEY like net.ipv4.ip_forward, written inside NAME
#   lab_fabric_add [NAME]       the fabric namespace with bridge br0 (default name "fab")
#   lab_host_add NAME FABRIC_IP host on the fabric (FABRIC_IP/24 on eth0), forwarding on, default route
#   lab_fabric_v6               IPv6 on the fabric too: $LAB_FABRIC_GW6/64 on br0 (call after lab_fabric_add)
#   lab_host_v6 NAME FABRIC_IP6 IPv6 beside a host's IPv4: FABRIC_IP6/64 on eth0 (no DAD), default via
#                               $LAB_FABRIC_GW6 (lab_host_add first)
#   lab_workload_ns NAME        empty namespace for a workload (lo up)
#   lab_spawn NAME CMD...       start CMD in the background inside NAME; pid recorded; sets LAB_LAST_PID
#   lab_tcp_server NAME PORT    persistent TCP server answering "ok" (labnet), waits until bound
#   lab_udp_echo NAME PORT      persistent UDP echo (labnet), waits until bound
#   lab_ping FROM IP            one ICMP echo, 1 s timeout (IPv4 or IPv6)
#   lab_tcp FROM IP PORT        TCP connect + answer within 1 s
#   lab_udp FROM IP PORT        UDP datagram echoed within 1 s
#   lab_cleanup                 kill recorded pids, delete recorded namespaces
#
# Needs root, iproute2, busybox (ping) and $CALICO_BUILD/labnet (or labnet on PATH).

LAB_ID="ct$$"
LAB_NAMESPACES=()
LAB_PIDS=()
LAB_FABRIC=""
LAB_FABRIC_GW=172.30.0.1
LAB_FABRIC_GW6=fd00:172:30::1
LAB_PORTS=0
LAB_TIMEOUT=${LAB_TIMEOUT:-1}
LAB_TMP=$(mktemp -d /tmp/calico-lab.XXXXXX)
LABNET=${CALICO_BUILD:+$CALICO_BUILD/}labnet

lab_ns() { printf '%s-%s\n' "$LAB_ID" "$1"; }
lab_nspath() { printf '/var/run/netns/%s\n' "$(lab_ns "$1")"; }

lab_ns_add() {
  local full
  full=$(lab_ns "$1")
  if [ -e "/var/run/netns/$full" ]; then
    echo "lab: namespace $full exists already (left from another run?)" >&2
    return 1
  fi
  ip netns add "$full" || return 1
  LAB_NAMESPACES+=("$full")
  ip -n "$full" link set lo up
}

lab_exec() {
  local name=$1; shift
  ip netns exec "$(lab_ns "$name")" "$@"
}

# /proc/sys/net shows the namespace of the process that opens it.
lab_sysctl() {
  lab_exec "$1" sh -c "echo '$3' > /proc/sys/$(echo "$2" | tr . /)"
}

lab_fabric_add() {
  local name=${1:-fab}
  lab_ns_add "$name" || return 1
  ip -n "$(lab_ns "$name")" link add br0 type bridge &&
    ip -n "$(lab_ns "$name")" addr add "$LAB_FABRIC_GW/24" dev br0 &&
    ip -n "$(lab_ns "$name")" link set br0 up || return 1
  LAB_FABRIC=$name
}

lab_host_add() {
  local name=$1 ip=$2 fab port
  [ -n "$LAB_FABRIC" ] || lab_fabric_add || return 1
  fab=$(lab_ns "$LAB_FABRIC")
  lab_ns_add "$name" || return 1
  LAB_PORTS=$((LAB_PORTS + 1))
  port="p$LAB_PORTS"
  # Created inside the host namespace, peer born inside the fabric: the root
  # namespace never holds either end.
  ip -n "$(lab_ns "$name")" link add eth0 type veth peer name "$port" netns "$fab" &&
    ip -n "$fab" link set "$port" master br0 up &&
    ip -n "$(lab_ns "$name")" addr add "$ip/24" dev eth0 &&
    ip -n "$(lab_ns "$name")" link set eth0 up &&
    ip -n "$(lab_ns "$name")" route add default via "$LAB_FABRIC_GW" dev eth0 &&
    lab_sysctl "$name" net.ipv4.ip_forward 1 &&
    lab_sysctl "$name" net.ipv6.conf.all.forwarding 1
}

# No DAD on the fabric's addresses: they are usable at once, and the lab
# gives every host a distinct one.
lab_fabric_v6() {
  [ -n "$LAB_FABRIC" ] || lab_fabric_add || return 1
  ip -n "$(lab_ns "$LAB_FABRIC")" -6 addr add "$LAB_FABRIC_GW6/64" dev br0 nodad
}

lab_host_v6() {
  ip -n "$(lab_ns "$1")" -6 addr add "$2/64" dev eth0 nodad &&
    ip -n "$(lab_ns "$1")" -6 route add default via "$LAB_FABRIC_GW6" dev eth0
}

lab_workload_ns() { lab_ns_add "$1"; }

lab_spawn() {
  local name=$1; shift
  # ip netns exec execs the command, so $! is the command's own pid.
  ip netns exec "$(lab_ns "$name")" "$@" &
  LAB_LAST_PID=$!
  LAB_PIDS+=("$LAB_LAST_PID")
}

# Waits up to 2 s for FILE to appear.
lab_wait_file() {
  local i
  for i in $(seq 1 100); do
    [ -e "$1" ] && return 0
    sleep 0.02
  done
  echo "lab: timed out waiting for $1" >&2
  return 1
}

lab_tcp_server() {
  local ready="$LAB_TMP/tcp-$1-$2"
  lab_spawn "$1" "$LABNET" tcp-serve "$2" "$ready" && lab_wait_file "$ready"
}

lab_udp_echo() {
  local ready="$LAB_TMP/udp-$1-$2"
  lab_spawn "$1" "$LABNET" udp-echo "$2" "$ready" && lab_wait_file "$ready"
}

lab_ping() {
  local fam=-4
  case $2 in *:*) fam=-6 ;; esac
  lab_exec "$1" timeout $((LAB_TIMEOUT + 1)) busybox ping "$fam" -c 1 -W "$LAB_TIMEOUT" "$2" >/dev/null 2>&1
}

lab_tcp() { lab_exec "$1" "$LABNET" tcp-probe "$2" "$3" $((LAB_TIMEOUT * 1000)) 2>/dev/null; }
lab_udp() { lab_exec "$1" "$LABNET" udp-probe "$2" "$3" $((LAB_TIMEOUT * 1000)) 2>/dev/null; }

lab_cleanup() {
  local pid ns i
  for pid in "${LAB_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${LAB_PIDS[@]}"; do
    wait "$pid" 2>/dev/null
  done
  LAB_PIDS=()
  # Reverse order: workloads and hosts before the fabric they hang off.
  for ((i = ${#LAB_NAMESPACES[@]} - 1; i >= 0; i--)); do
    ns=${LAB_NAMESPACES[$i]}
    ip netns del "$ns" 2>/dev/null || echo "lab: cannot delete namespace $ns" >&2
  done
  LAB_NAMESPACES=()
  rm -rf "$LAB_TMP"
}

trap lab_cleanup EXIT
trap 'exit 130' INT TERM
