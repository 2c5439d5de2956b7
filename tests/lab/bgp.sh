#!/usr/bin/env bash
# Lab test of BGP between hosts with BIRD: two hosts on a fabric bridge, one
# SQLite datastore, `calicoctl node` per host (calico-node + BIRD, private
# run/log/state dirs), workloads made with `calicoctl container add`.
#   fab (br0 172.30.0.1) -- h1 (172.30.0.11): a1, a2, ab (borrowed address)
#                        -- h2 (172.30.0.12): b1, b2
# Checks: every golden BIRD config parses (bird -p); the rendered config
# parses; node --ip autodetection and refusal of another host's address;
# the mesh session Established in `calicoctl status`; one "proto bird" route
# per remote block, none per workload; traffic across; a borrowed address
# exported as a /32; global and per-node peers appear and disappear in the
# config and in status; node-mesh off withdraws the routes, on brings them
# back; node stop takes BIRD down gracefully so the peer keeps the routes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
tap_skip_unless "needs root" root
tap_skip_unless "calico-node is not built" "exe:${CALICO_BUILD:?}/calico-node"
BIRD=$(command -v bird || echo /usr/sbin/bird)
tap_skip_unless "bird (Debian bird2) is not installed" "exe:$BIRD"

export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db" NO_DEFAULT_POOLS=1
unset ETCD_ENDPOINTS ETCD_AUTHORITY HOSTNAME
CTL="$CALICO_BUILD/calicoctl"
DSTOOL="$CALICO_BUILD/dstool"
GOLDEN="$here/../golden/bird"
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')

# hctl HOST ARGS...: calicoctl as run on HOST (its namespace, its dirs, its name)
hctl() {
  local h=$1; shift
  lab_exec "$h" env HOSTNAME="$h" CALICO_RUN_DIR="$LAB_TMP/$h/run" CALICO_LOG_DIR="$LAB_TMP/$h/log" \
    CALICO_STATE_DIR="$LAB_TMP/$h/state" "$CTL" "$@"
}
run() { OUT=$("$@" 2>"$LAB_TMP/err"); RC=$?; ERR=$(head -n 1 "$LAB_TMP/err"); }
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
# retry SECONDS CMD...
retry() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done; }
cfg() { cat "$LAB_TMP/$1/run/bird.cfg" 2>/dev/null; }
cfg_has() { cfg "$1" | grep -q -- "$2"; }
status_has() { hctl "$1" status 2>/dev/null | grep -q -- "$2"; }
# bird routes of HOST via NEXT_HOP, one "dst" per line
routes_via() { ip -n "$(lab_ns "$1")" -4 route show proto bird | awk -v nh="$2" '$2 == "via" && $3 == nh {print $1}' | sort | tr '\n' ' '; }
no_routes_via() { [ -z "$(routes_via "$1" "$2")" ]; }
has_route_via() { contains " $(routes_via "$1" "$3")" " $2 "; }
record_pids() {
  local f
  for f in "$LAB_TMP/$1/run/calico-node.pid" "$LAB_TMP/$1/run/bird.pid"; do
    [ -s "$f" ] && LAB_PIDS+=("$(cat "$f")")
  done
}
wl_ip() { awk '/^IP / {print $2}' <<<"$1"; }

# ---- every golden config parses ----
for d in "$GOLDEN"/*/; do
  name=$(basename "$d")
  check "bird -p accepts golden config $name" "$BIRD" -p -c "$d/expected.cfg"
done

lab_fabric_add && lab_host_add h1 172.30.0.11 && lab_host_add h2 172.30.0.12 || { echo "Bail out! cannot build the lab"; exit 1; }
for w in a1 a2 ab b1 b2; do lab_workload_ns "$w" || { echo "Bail out! cannot add $w"; exit 1; }; done
"$CTL" pool add 10.65.0.0/16 >/dev/null || echo "# pool add failed"
"$CTL" profile add web >/dev/null || echo "# profile add failed"

# ---- calicoctl node on both hosts ----
run hctl h1 node --ip=172.30.0.11
record_pids h1
expect_contains "h1: node starts calico-node" "$OUT" "calico-node started (pid "
expect_contains "h1: ... and BIRD" "$OUT" "BIRD started (pid "
[ "$RC" -eq 0 ] || { echo "# $ERR"; tail -n 5 "$LAB_TMP/h1/log/"*.log | sed 's/^/# /'; }
BPID1=$(cat "$LAB_TMP/h1/run/bird.pid" 2>/dev/null)
check "h1: bird runs" alive "${BPID1:-0}"
expect_eq "h1: ... inside h1's namespace" "$(ip netns identify "${BPID1:-0}" 2>/dev/null)" "$(lab_ns h1)"
expect_eq "h1: ... with Calico's paths" "$(tr '\0' ' ' <"/proc/${BPID1:-0}/cmdline" 2>/dev/null)" \
  "bird -c $LAB_TMP/h1/run/bird.cfg -s $LAB_TMP/h1/run/bird.ctl -P $LAB_TMP/h1/run/bird.pid "
check "h1: the rendered bird.cfg parses" "$BIRD" -p -c "$LAB_TMP/h1/run/bird.cfg"
check "h1: BIRD logs to CALICO_LOG_DIR/bird.log" retry 5 test -s "$LAB_TMP/h1/log/bird.log"

run hctl h2 node
record_pids h2
expect_contains "h2: node without --ip autodetects eth0's address" "$OUT" "Using detected IP: 172.30.0.12 (on eth0)"
expect_contains "h2: ... and starts BIRD" "$OUT" "BIRD started (pid "
expect_eq "h2: address registered" "$("$DSTOOL" get /calico/bgp/v1/host/h2/ip_addr_v4)" "172.30.0.12"

# another host claiming h1's address is refused before anything is written
rev0=$("$DSTOOL" rev)
run lab_exec h2 env HOSTNAME=h3 CALICO_RUN_DIR="$LAB_TMP/h3/run" CALICO_LOG_DIR="$LAB_TMP/h3/log" \
  CALICO_STATE_DIR="$LAB_TMP/h3/state" "$CTL" node --ip=172.30.0.11
expect_eq "node --ip with h1's address is refused" "$RC:$ERR" "1:Error: IP address 172.30.0.11 is already in use by host h1."
expect_eq "... writing nothing" "$("$DSTOOL" rev)" "$rev0"
check "... starting nothing" [ ! -e "$LAB_TMP/h3/run/calico-node.pid" ]
run lab_exec h2 env HOSTNAME=h3 CALICO_NETWORKING_BACKEND=gobgp CALICO_RUN_DIR="$LAB_TMP/h3/run" \
  CALICO_LOG_DIR="$LAB_TMP/h3/log" CALICO_STATE_DIR="$LAB_TMP/h3/state" "$CTL" node --ip=172.30.0.13
expect_eq "an unknown CALICO_NETWORKING_BACKEND is refused" "$RC:$ERR" \
  '1:Error: CALICO_NETWORKING_BACKEND must be "bird" or "none", not "gobgp".'
expect_eq "... writing nothing" "$("$DSTOOL" rev)" "$rev0"

# ---- the mesh session ----
T0=$SECONDS
check "h1: status shows h2 as an Established mesh peer" retry 20 status_has h1 "| 172.30.0.12  | node-to-node mesh | up    |"
echo "# session up after $((SECONDS - T0)) s"
check "h2: status shows h1 Established" retry 10 status_has h2 "Established"
run hctl h1 status
expect_contains "status: IPv4 table header" "$OUT" "| Peer address |     Peer type     | State |    Since     |     Info    |"
expect_contains "status: no IPv6 peers" "$OUT" "IPv6 BGP status
No IPv6 peers found."
check "mesh: exactly one side is passive" [ "$(cat "$LAB_TMP"/h*/run/bird.cfg | grep -c 'passive on')" = 1 ]
check "... the higher address (h2)" cfg_has h2 "passive on"

# ---- workloads, one block per host, routes per block ----
add_wl() { # HOST NS ADDR -> WL_IP
  run hctl "$1" container add "$(lab_nspath "$2")" "$3"
  WL_IP=$(wl_ip "$OUT")
  [ -n "$WL_IP" ] && hctl "$1" container "$(lab_nspath "$2")" profile set web >/dev/null
}
add_wl h1 a1 10.65.0.0/16; A1=$WL_IP
add_wl h1 a2 10.65.0.0/16; A2=$WL_IP
add_wl h2 b1 10.65.0.0/16; B1=$WL_IP
add_wl h2 b2 10.65.0.0/16; B2=$WL_IP
check "four workloads got addresses ($A1 $A2 $B1 $B2)" [ -n "$A1" -a -n "$A2" -a -n "$B1" -a -n "$B2" ]
BLK1=$(ip -n "$(lab_ns h1)" route show proto bird | awk '$1 == "blackhole" {print $2}' | head -n 1)
BLK2=$(ip -n "$(lab_ns h2)" route show proto bird | awk '$1 == "blackhole" {print $2}' | head -n 1)
retry 10 cfg_has h2 "route $BLK2 blackhole" >/dev/null
BLK2=$(cfg h2 | awk '/^\troute .* blackhole;/ {print $2}' | head -n 1)
BLK1=$(cfg h1 | awk '/^\troute .* blackhole;/ {print $2}' | head -n 1)
check "each host has a block blackhole in its config ($BLK1, $BLK2)" [ -n "$BLK1" -a -n "$BLK2" -a "$BLK1" != "$BLK2" ]
T0=$SECONDS
check "h1: route to h2's block $BLK2 from BIRD" retry 15 has_route_via h1 "$BLK2" 172.30.0.12
check "h2: route to h1's block $BLK1 from BIRD" retry 15 has_route_via h2 "$BLK1" 172.30.0.11
echo "# block routes installed $((SECONDS - T0)) s after the workloads"
expect_eq "h1: one route per remote block, none per workload" "$(routes_via h1 172.30.0.12)" "$BLK2 "
expect_eq "h2: the same" "$(routes_via h2 172.30.0.11)" "$BLK1 "
check "ping a1 -> b1 across the hosts" retry 10 lab_ping a1 "$B1"
check "ping b2 -> a2" retry 5 lab_ping b2 "$A2"
lab_tcp_server b1 8080 && check "tcp a2 -> b1:8080" lab_tcp a2 "$B1" 8080

# ---- a borrowed address: h1's workload inside h2's block ----
BORROW=$(python3 -c "import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1])[50])" "$BLK2")
add_wl h1 ab "$BORROW"
expect_eq "h1 takes $BORROW from h2's block" "$WL_IP" "$BORROW"
check "h1's config exports it as a /32" retry 10 cfg_has h1 "net ~ \[ $BORROW/32 \] then accept"
check "h2 learns $BORROW/32 via h1" retry 15 has_route_via h2 "$BORROW" 172.30.0.11
check "ping b1 -> the borrowed address" retry 10 lab_ping b1 "$BORROW"
check "ping the borrowed address -> b2" lab_ping ab "$B2"

# ---- explicit peers ----
"$CTL" bgp peer add 172.30.0.99 as 64512 >/dev/null
check "global peer: both configs get Global_172_30_0_99" retry 10 eval 'cfg_has h1 "protocol bgp Global_172_30_0_99 " && cfg_has h2 "protocol bgp Global_172_30_0_99 "'
check "... status lists it as global" retry 10 status_has h1 "| 172.30.0.99  | global "
check "... the reloaded configs still parse" "$BIRD" -p -c "$LAB_TMP/h1/run/bird.cfg"
"$CTL" bgp peer remove 172.30.0.99 >/dev/null
check "global peer removed: gone from the config" retry 10 eval '! cfg_has h1 Global_172_30_0_99'
check "... and from status" retry 10 eval '! status_has h1 172.30.0.99'
hctl h1 node bgp peer add 172.30.0.98 as 64513 >/dev/null
check "node peer: h1's config gets Node_172_30_0_98" retry 10 cfg_has h1 "protocol bgp Node_172_30_0_98 "
check "... not h2's" eval '! cfg_has h2 Node_172_30_0_98'
check "... status lists it as node specific" retry 10 status_has h1 "| 172.30.0.98  | node specific "
hctl h1 node bgp peer remove 172.30.0.98 >/dev/null
check "node peer removed" retry 10 eval '! status_has h1 172.30.0.98'
check "the mesh session stayed up through the reloads" status_has h1 "| 172.30.0.12  | node-to-node mesh | up    |"

# ---- node-to-node mesh off and on ----
"$CTL" bgp node-mesh off >/dev/null
check "mesh off: h1 withdraws h2's routes" retry 15 no_routes_via h1 172.30.0.12
check "... h2 withdraws h1's" retry 15 no_routes_via h2 172.30.0.11
check "... no IPv4 peers in status" retry 10 status_has h1 "No IPv4 peers found."
check "... a1 -> b1 no longer routes" eval '! lab_ping a1 "$B1"'
"$CTL" bgp node-mesh on >/dev/null
check "mesh on: the session is back" retry 20 status_has h1 "| 172.30.0.12  | node-to-node mesh | up    |"
check "... h1 has h2's block again" retry 15 has_route_via h1 "$BLK2" 172.30.0.12
check "... and h2 the borrowed /32" retry 15 has_route_via h2 "$BORROW" 172.30.0.11
check "... ping a1 -> b1 again" retry 10 lab_ping a1 "$B1"
check "the agent reloaded BIRD (its log says so)" grep -q "bird: reloaded" "$LAB_TMP/h1/log/calico-node.log"

# ---- node stop: BIRD leaves gracefully, the peer keeps forwarding ----
BPID2=$(cat "$LAB_TMP/h2/run/bird.pid" 2>/dev/null)
run hctl h2 node stop --force
expect_eq "h2: node stop" "$RC:$OUT" "0:Node stopped"
check "h2: BIRD is gone" retry 5 eval "! alive ${BPID2:-0}"
check "... with its pid file and socket" [ ! -e "$LAB_TMP/h2/run/bird.pid" -a ! -e "$LAB_TMP/h2/run/bird.ctl" ]
run hctl h2 status
expect_contains "h2: status says BIRD is not running" "$OUT" "BIRD is not running."
sleep 2
check "h1 keeps h2's block route (graceful restart)" has_route_via h1 "$BLK2" 172.30.0.12
check "... and a1 -> b1 still flows" lab_ping a1 "$B1"
check "h1's status shows the session down" retry 10 eval '! status_has h1 "| 172.30.0.12  | node-to-node mesh | up "'

hctl h1 node stop --force >/dev/null
check "h1: BIRD stopped too" retry 5 eval "! alive ${BPID1:-0}"
check "no sanitizer report in the agents' logs" eval '! grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$LAB_TMP"/h*/log/calico-node.log'
expect_eq "the root namespace's links are unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" "$ROOT_LINKS"
tap_done
