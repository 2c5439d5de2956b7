#!/usr/bin/env bash
# Lab test of VXLAN between hosts on different subnets behind a plain router
# that knows nothing of container addresses, and of the workload MTU.
#
#   w1, b1, p1 -- h1 (eth0 172.31.1.2/24, MTU 1400) --r1-- rt --r2-- (eth0 172.31.2.2/24) h2 -- w2, w3, p2, m2
#   rt: forwarding on, 172.31.1.1 and 172.31.2.1, no route to any pool
#   pools: 10.65.0.0/16 --vxlan, 10.70.0.0/16 plain; one calico-node per host on one SQLite file
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
tap_skip_unless "needs root" root
tap_skip_unless "calico-node is not built" "exe:${CALICO_BUILD:?}/calico-node"

export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db" NO_DEFAULT_POOLS=1
unset ETCD_ENDPOINTS ETCD_AUTHORITY
. "$here/../lib/multiagent.sh"
CTL="$CALICO_BUILD/calicoctl"
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort)
not() { ! "$@"; }
H() { ip -n "$(lab_ns "$1")" "${@:2}"; }

# ---- topology: two subnets joined by a router ----
router_link() { # HOST HOST_IP ROUTER_PORT ROUTER_IP
  ip -n "$(lab_ns "$1")" link add eth0 type veth peer name "$3" netns "$(lab_ns rt)" &&
    H "$1" addr add "$2/24" dev eth0 && H "$1" link set eth0 up &&
    H rt addr add "$4/24" dev "$3" && H rt link set "$3" up &&
    H "$1" route add default via "$4" dev eth0 && lab_sysctl "$1" net.ipv4.ip_forward 1
}
lab_ns_add rt && lab_sysctl rt net.ipv4.ip_forward 1 && lab_ns_add h1 && lab_ns_add h2 &&
  router_link h1 172.31.1.2 r1 172.31.1.1 && router_link h2 172.31.2.2 r2 172.31.2.1 &&
  H h1 link set eth0 mtu 1400 && H rt link set r1 mtu 1400 || { echo "Bail out! cannot build the lab"; exit 1; }
for w in w1 b1 p1 w2 w3 p2 m1 m2; do lab_workload_ns $w || { echo "Bail out! cannot add $w"; exit 1; }; done
check "hosts reach each other through the router" lab_ping h1 172.31.2.2

# add HOST WORKLOAD IP|ipv4 [PROFILE]: calicoctl container add as HOST; prints the address
add() {
  local out
  out=$(ma_env "$1" "$CTL" container add "$(lab_nspath "$2")" "$3" 2>&1) || { echo "# add $2: $out" >&2; return 1; }
  [ -z "${4:-}" ] || ma_env "$1" "$CTL" container "$(lab_nspath "$2")" profile set "$4" >/dev/null || return 1
  echo "$out" | awk '{print $2}'
}
mtu() { ip -n "$(lab_ns "$1")" -o link show "$2" | sed 's/.* mtu \([0-9]*\) .*/\1/'; }

"$CTL" profile add web >/dev/null && "$CTL" profile add other >/dev/null
"$DSTOOL" put /calico/bgp/v1/host/h1/ip_addr_v4 172.31.1.2 >/dev/null
"$DSTOOL" put /calico/bgp/v1/host/h2/ip_addr_v4 172.31.2.2 >/dev/null

# ---- MTU of new workloads without a VXLAN pool: the host's ----
"$CTL" pool add 10.70.0.0/16 >/dev/null
P1=$(add h1 p1 10.70.0.0/16 web) && P2=$(add h2 p2 10.70.0.0/16 web) || echo "# plain workloads failed"
expect_eq "MTU without a VXLAN pool: h1's eth0 (1400)" "$(mtu p1 eth0)" 1400
expect_eq "... on both ends of the veth" "$(H h1 -o link | grep -c 'cali.* mtu 1400 ')" 1
expect_eq "MTU without a VXLAN pool on h2: 1500" "$(mtu p2 eth0)" 1500

# ---- the VXLAN pool ----
"$CTL" pool add 10.65.0.0/16 --vxlan >/dev/null
W1=$(add h1 w1 10.65.0.0/16 web) && W2=$(add h2 w2 10.65.0.0/16 web) && W3=$(add h2 w3 10.65.0.0/16 other) || echo "# vxlan workloads failed"
expect_eq "MTU with a VXLAN pool: h1's 1400 - 50" "$(mtu w1 eth0)" 1350
expect_eq "MTU with a VXLAN pool on h2: 1500 - 50" "$(mtu w2 eth0)" 1450
"$DSTOOL" put /calico/v1/host/h2/config/VethMtu 1300 >/dev/null
M2=$(add h2 m2 10.70.200.9 web)
expect_eq "VethMtu (per host) overrides: 1300" "$(mtu m2 eth0)" 1300
"$DSTOOL" put /calico/v1/config/VethMtu 1234 >/dev/null
M1=$(add h1 m1 10.70.200.10 web)
expect_eq "global VethMtu applies to a host without its own: 1234" "$(mtu m1 eth0)" 1234
"$DSTOOL" del /calico/v1/config/VethMtu >/dev/null; "$DSTOOL" del /calico/v1/host/h2/config/VethMtu >/dev/null
ma_env h1 "$CTL" container remove "$(lab_nspath m1)" >/dev/null; ma_env h2 "$CTL" container remove "$(lab_nspath m2)" >/dev/null
# a borrowed address: b1 lives on h1 with an address from a block affine to h2
B1=$(echo "$W2" | awk -F. '{print $1"."$2"."$3"."$4+7}')
B1=$(add h1 b1 "$B1" web)
echo "# w1=$W1 w2=$W2 w3=$W3 b1=$B1 (borrowed from h2's block) p1=$P1 p2=$P2"

# ---- agents ----
ma_start h1 172.31.1.2 && ma_start h2 172.31.2.2
check "agent on h1 ready" ma_wait_ready h1
check "agent on h2 ready" ma_wait_ready h2
has_dev() { [ -n "$(H "$1" -o link show vxlan.calico 2>/dev/null)" ]; }
check "h1 has vxlan.calico" ma_until 5 has_dev h1
check "h2 has vxlan.calico" ma_until 5 has_dev h2
D1=$(H h1 -d -o link show vxlan.calico)
expect_contains "... VNI 4096, port 4789, local = h1's address, on eth0, no learning" "$D1" \
  "vxlan id 4096 local 172.31.1.2 dev eth0 srcport 0 0 dstport 4789 nolearning"
expect_contains "... MAC derived from the address" "$D1" "link/ether 0e:ca:ac:1f:01:02"
expect_contains "... MTU = eth0's - 50" "$D1" "mtu 1350"
blk() { "$DSTOOL" list "/calico/ipam/v2/host/$1/ipv4/block/" | grep -o 'block/10\.65\.[0-9.]*-[0-9]*' | head -1 | sed 's|block/||; s|-|/|'; }
BLK1=$(blk h1) BLK2=$(blk h2)
routes() { H "$1" route show proto 80 dev vxlan.calico; }
has_route() { contains "$(routes "$1")" "$2"; }
check "h1: $BLK2 via h2's VTEP" ma_until 5 has_route h1 "$BLK2 via 172.31.2.2 onlink"
check "h2: $BLK1 via h1's VTEP" ma_until 5 has_route h2 "$BLK1 via 172.31.1.2 onlink"
check "h2: /32 to the borrowed $B1 via h1's VTEP" ma_until 5 has_route h2 "$B1 via 172.31.1.2 onlink"
expect_eq "h1: nothing else on vxlan.calico (its own borrowed-from block stays local)" "$(routes h1 | wc -l)" 1
expect_contains "h1: permanent neighbour for h2's VTEP" "$(H h1 neigh show dev vxlan.calico)" \
  "172.31.2.2 lladdr 0e:ca:ac:1f:02:02 PERMANENT"
expect_contains "h1: fdb entry for h2's VTEP" "$(bridge -n "$(lab_ns h1)" fdb show dev vxlan.calico)" \
  "0e:ca:ac:1f:02:02 dst 172.31.2.2 self permanent"
check "the router has no route to the VXLAN pool" not H rt route get "$W2" 2>/dev/null
check "... nor to the plain pool" not H rt route get "$P2" 2>/dev/null

# ---- the matrix over VXLAN ----
lab_tcp_server w1 8080 && lab_udp_echo w1 8081 && lab_tcp_server w2 8080 && lab_udp_echo w2 8081 &&
  lab_tcp_server w3 8080 && lab_tcp_server b1 8080 && lab_tcp_server p2 8080 && lab_tcp_server p1 8080 ||
  echo "# servers failed"
TX0=$(ip -n "$(lab_ns h1)" -j -s link show vxlan.calico | grep -o '"tx":{"bytes":[0-9]*,"packets":[0-9]*' | grep -o '[0-9]*$')
ready() { lab_ping w1 "$W2"; }
check "w1 -> w2 ping (h1 -> h2 over VXLAN)" ma_until 10 ready
check "w2 -> w1 ping" lab_ping w2 "$W1"
check "w1 -> w2 tcp" lab_tcp w1 "$W2" 8080
check "w2 -> w1 tcp" lab_tcp w2 "$W1" 8080
check "w1 -> w2 udp" lab_udp w1 "$W2" 8081
check "w2 -> w1 udp" lab_udp w2 "$W1" 8081
check "w2 -> b1 (borrowed address on h1) tcp" lab_tcp w2 "$B1" 8080
check "b1 -> w2 ping" lab_ping b1 "$W2"
TX1=$(ip -n "$(lab_ns h1)" -j -s link show vxlan.calico | grep -o '"tx":{"bytes":[0-9]*,"packets":[0-9]*' | grep -o '[0-9]*$')
check "encapsulated: vxlan.calico on h1 sent packets ($TX0 -> $TX1)" [ "${TX1:-0}" -gt "$((${TX0:-0} + 5))" ]
check "policy across hosts: w1 (web) -> w3 (other) tcp denied" not lab_tcp w1 "$W3" 8080
check "... w3 (other) -> w1 (web) tcp denied" not lab_tcp w3 "$W1" 8080
check "... w3 (other) -> w1 ping denied" not lab_ping w3 "$W1"

# ---- without VXLAN: the plain pool does not cross the router ----
check "plain pool: p1 -> p2 ping does not pass" not lab_ping p1 "$P2"
check "plain pool: p2 -> p1 ping does not pass" not lab_ping p2 "$P1"
check "plain pool: p1 -> p2 tcp does not pass" not lab_tcp p1 "$P2" 8080
check "plain pool: p2 -> p1 tcp does not pass" not lab_tcp p2 "$P1" 8080
check "... and no VXLAN route for the plain pool" not has_route h1 "10.70."

# ---- a block gone: its route goes; its remaining address becomes a /32 ----
AFF2=$("$DSTOOL" list "/calico/ipam/v2/host/h2/ipv4/block/" | grep -o '/calico/ipam/v2/host/h2/ipv4/block/10\.65\.[0-9.]*-[0-9]*' | head -1)
"$DSTOOL" del "$AFF2" >/dev/null
no_route() { ! has_route "$1" "$2"; }
check "h2's block affinity deleted: h1 drops the $BLK2 route" ma_until 5 no_route h1 "$BLK2 via"
check "... and routes w2 ($W2) as a /32 via h2" ma_until 5 has_route h1 "$W2 via 172.31.2.2 onlink"
check "... which still carries traffic" lab_tcp w1 "$W2" 8080

# ---- a stale entry of ours is removed, others' are not touched ----
H h1 route add 10.65.250.0/26 via 172.31.2.9 dev vxlan.calico onlink proto 80
H h1 neigh add 172.31.9.9 lladdr 0e:ca:ac:1f:09:09 dev vxlan.calico nud permanent
bridge -n "$(lab_ns h1)" fdb append 0e:ca:ac:1f:09:09 dev vxlan.calico dst 172.31.9.9
H h1 route add 10.99.0.0/24 via 172.31.1.1 dev eth0
gone_stale() { ! has_route h1 10.65.250.0 && [ -z "$(H h1 neigh show 172.31.9.9 dev vxlan.calico)" ] &&
  ! contains "$(bridge -n "$(lab_ns h1)" fdb show dev vxlan.calico)" 172.31.9.9; }
check "stale route, neighbour and fdb entry on vxlan.calico removed at the next recheck" ma_until 5 gone_stale
check "... a route of another protocol elsewhere kept" [ -n "$(H h1 route show 10.99.0.0/24)" ]
H h1 route del 10.99.0.0/24

# ---- the VXLAN pool removed: everything goes ----
"$DSTOOL" del /calico/v1/ipam/v4/pool/10.65.0.0-16 >/dev/null
no_dev() { ! has_dev "$1"; }
check "pool removed: vxlan.calico gone from h1 (with its routes, neighbours, fdb)" ma_until 5 no_dev h1
check "... and from h2" ma_until 5 no_dev h2
check "... no proto-80 route via a VTEP left on h1" [ -z "$(H h1 route show proto 80 | grep via)" ]
check "... cross-host traffic stops" not lab_ping w1 "$W2"
"$CTL" pool add 10.65.0.0/16 --vxlan >/dev/null
check "pool back: the device returns" ma_until 5 has_dev h1
check "... and traffic flows again" ma_until 10 lab_tcp w1 "$W2" 8080

# ---- agents stop cleanly (sanitizers) ----
ma_stop h1; R1=$?; ma_stop h2; R2=$?
expect_eq "agent h1 exits 0" "$R1" 0
expect_eq "agent h2 exits 0" "$R2" 0
if grep -q "ERROR: \(Address\|Leak\)Sanitizer\|runtime error" "$(ma_log h1)" "$(ma_log h2)"; then
  fail "agents are sanitizer-clean"; grep -h -m3 "Sanitizer\|runtime error" "$(ma_log h1)" "$(ma_log h2)" | sed 's/^/# /'
else ok "agents are sanitizer-clean"; fi
lab_cleanup
expect_eq "root namespace links unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort)" "$ROOT_LINKS"
tap_done
