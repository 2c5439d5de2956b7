#!/usr/bin/env bash
# The compiled policy with real packets: workloads on one host namespace,
# every policy change applied as an incremental diff (nft_policy_tool diff),
# so the diff path is what carries the traffic.
#
#   fabric br0 172.30.0.1 -- h1 172.30.0.11 -- caliaaaaaaaaaaa <-> wa 10.65.0.2 fd00:65::2
#                                           -- calibbbbbbbbbbb <-> wb 10.65.0.3 fd00:65::3
#                                           -- caliccccccccccc <-> wc 10.65.0.4  (never programmed)
# The fabric has no route to 10.65.0.0/16: a workload reaches 172.30.0.1 only
# through nat-outgoing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null; then
	echo "1..0 # SKIP needs root and nft"
	exit 0
fi
. "$here/../lib/netns.sh"
TOOL="${CALICO_BUILD:?}/nft_policy_tool"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

retry() { local n=$1 i; shift; for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.2; done; return 1; }
fails() { ! "$@"; }

lab_host_add h1 172.30.0.11 || { fail "topology"; tap_done; exit 1; }
H1=$(lab_ns h1)
lab_sysctl h1 net.ipv6.conf.all.forwarding 1
attach() { # name ifname ipv4 [ipv6]
	local ws ifn=$2
	lab_workload_ns "$1" && ws=$(lab_ns "$1") || return 1
	ip -n "$H1" link add "$ifn" type veth peer name eth0 netns "$ws" || return 1
	ip -n "$H1" link set "$ifn" address ee:ee:ee:ee:ee:ee
	lab_sysctl h1 "net.ipv6.conf.$ifn.accept_dad" 0
	lab_sysctl h1 "net.ipv4.conf.$ifn.proxy_arp" 1
	lab_sysctl h1 "net.ipv4.neigh.$ifn.proxy_delay" 0
	ip -n "$H1" link set "$ifn" up
	ip -n "$H1" route add "$3/32" dev "$ifn" scope link
	ip -n "$ws" addr add "$3/32" dev eth0
	ip -n "$ws" link set eth0 up
	ip -n "$ws" route add 169.254.1.1 dev eth0 scope link
	ip -n "$ws" route add default via 169.254.1.1 dev eth0
	if [ -n "${4:-}" ]; then
		ip -n "$ws" addr add "$4/128" dev eth0 nodad
		ip -n "$ws" -6 route add default via fe80::ecee:eeff:feee:eeee dev eth0
		ip -n "$H1" -6 route add "$4/128" dev "$ifn"
	fi
}
attach wa caliaaaaaaaaaaa 10.65.0.2 fd00:65::2 && attach wb calibbbbbbbbbbb 10.65.0.3 fd00:65::3 &&
	attach wc caliccccccccccc 10.65.0.4 || { fail "workloads attached"; tap_done; exit 1; }
for w in wa wb wc; do lab_tcp_server "$w" 8080 && lab_tcp_server "$w" 9090 && lab_udp_echo "$w" 5353; done

# state ACTION PA_OUT PB_IN WA_NETS WB_PROFILES MASQ
state() {
	cat <<EOF
{"config": {"DefaultEndpointToHostAction": "$1"},
 "endpoints": [
  {"state": "active", "name": "caliaaaaaaaaaaa", "profile_ids": ["pa"], "ipv4_nets": [$4], "ipv6_nets": ["fd00:65::2/128"]},
  {"state": "active", "name": "calibbbbbbbbbbb", "profile_ids": [$5], "ipv4_nets": ["10.65.0.3/32"], "ipv6_nets": ["fd00:65::3/128"]}],
 "profiles": [
  {"name": "pa", "tags": ["pa"], "rules": {"id": "pa",
    "inbound_rules": [{"action": "allow", "protocol": "tcp", "src_tag": "pb", "dst_ports": [8080]}],
    "outbound_rules": [$2]}},
  {"name": "pb", "tags": ["pb"], "rules": {"id": "pb",
    "inbound_rules": [$3],
    "outbound_rules": [{"action": "allow"}]}}],
 "tags": {"pa": ["10.65.0.2", "10.65.0.99", "fd00:65::2"], "pb": ["10.65.0.3", "fd00:65::3"]},
 "pools": [{"cidr": "10.65.0.0/16", "masquerade": $6}]}
EOF
}
PA_OUT='{"action": "deny", "protocol": "udp"}, {"action": "allow"}'
PB_IN='{"action": "deny", "protocol": "tcp", "dst_ports": [9090]}, {"action": "allow", "src_tag": "pa"}'
N=0
prev=""
# apply ARGS...: the state for ARGS, as a diff from the previous one (full the first time)
apply() {
	N=$((N + 1))
	state "$@" >"$LAB_TMP/s$N.json"
	if [ -z "$prev" ]; then
		"$TOOL" render "$LAB_TMP/s$N.json" >"$LAB_TMP/script"
	else
		"$TOOL" diff "$prev" "$LAB_TMP/s$N.json" >"$LAB_TMP/script"
	fi
	prev="$LAB_TMP/s$N.json"
	lab_exec h1 nft -f "$LAB_TMP/script"
}

check "full render loads" apply DROP "$PA_OUT" "$PB_IN" '"10.65.0.2/32"' '"pb"' true
check "wa -> wb ping: pa out allows, pb in allows from tag pa" retry 5 lab_ping wa 10.65.0.3
check "wa -> wb ping6 (neighbour discovery through cali-input)" retry 10 lab_ping wa fd00:65::3
check "wa -> wb tcp 8080" lab_tcp wa 10.65.0.3 8080
check "wa -> wb tcp 9090 refused: deny before allow" fails lab_tcp wa 10.65.0.3 9090
check "wa -> wb udp refused by wa's outbound policy" fails lab_udp wa 10.65.0.3 5353
check "wb -> wa tcp 8080: pa in allows from tag pb" lab_tcp wb 10.65.0.2 8080
check "wb -> wa tcp6 8080" lab_tcp wb fd00:65::2 8080
check "wb -> wa tcp 9090 refused: no rule, end of profiles" fails lab_tcp wb 10.65.0.2 9090
check "wb -> wa ping refused" fails lab_ping wb 10.65.0.2
check "wc (not programmed) -> wb refused: fail closed" fails lab_ping wc 10.65.0.3
check "wb -> wc refused: fail closed on the way out too" fails lab_tcp wb 10.65.0.4 8080
check "wc -> host refused" fails lab_ping wc 172.30.0.11
check "wa -> host refused (DefaultEndpointToHostAction DROP)" fails lab_ping wa 172.30.0.11
check "wa -> 172.30.0.1 outside the pools: masqueraded" retry 3 lab_ping wa 172.30.0.1

# anti-spoofing: wa sends from an address it does not own (routed back to it;
# tag pa lists it, so only anti-spoofing stands in the way)
ip -n "$(lab_ns wa)" addr add 10.65.0.99/32 dev eth0
ip -n "$H1" route add 10.65.0.99/32 dev caliaaaaaaaaaaa
spoof() { lab_exec wa timeout 2 busybox ping -c 1 -W 1 -I 10.65.0.99 10.65.0.3 >/dev/null 2>&1; }
check "spoofed source from wa dropped" fails spoof
check "diff: 10.65.0.99 becomes wa's" apply DROP "$PA_OUT" "$PB_IN" '"10.65.0.2/32", "10.65.0.99/32"' '"pb"' true
check "the same packet passes once the address is wa's" retry 3 spoof

check "diff: host action ACCEPT" apply ACCEPT "$PA_OUT" "$PB_IN" '"10.65.0.2/32"' '"pb"' true
check "wa -> host ping accepted" retry 3 lab_ping wa 172.30.0.11
check "wa -> host udp still refused by wa's outbound policy" fails lab_udp wa 172.30.0.11 5353
check "wc -> host still refused" fails lab_ping wc 172.30.0.11
check "diff: host action RETURN" apply RETURN "$PA_OUT" "$PB_IN" '"10.65.0.2/32"' '"pb"' true
check "wa -> host ping accepted (RETURN)" retry 3 lab_ping wa 172.30.0.11

check "diff: pb references a deleted profile" apply RETURN "$PA_OUT" "$PB_IN" '"10.65.0.2/32"' '"pb", "gone"' true
check "wa -> wb refused: wb gets nothing" fails lab_tcp wa 10.65.0.3 8080
check "wb -> host refused: wb gets nothing" fails lab_ping wb 172.30.0.11
check "wb -> wa refused too" fails lab_tcp wb 10.65.0.2 8080
check "diff: profile back" apply RETURN "$PA_OUT" "$PB_IN" '"10.65.0.2/32"' '"pb"' true
check "wa -> wb tcp 8080 again" retry 3 lab_tcp wa 10.65.0.3 8080

check "diff: pb in allows everything, pa out allows udp" apply RETURN '{"action": "allow"}' '{"action": "allow"}' '"10.65.0.2/32"' '"pb"' true
check "wa -> wb tcp 9090 now" retry 3 lab_tcp wa 10.65.0.3 9090
check "wa -> wb udp now" lab_udp wa 10.65.0.3 5353
check "diff: no masquerade" apply RETURN '{"action": "allow"}' '{"action": "allow"}' '"10.65.0.2/32"' '"pb"' false
# a new ping is a new flow (new ICMP id), so no old NAT mapping applies
check "wa -> 172.30.0.1 without masquerade gets no answer" fails lab_ping wa 172.30.0.1

lab_exec h1 nft -j list table inet calico >"$LAB_TMP/k.json"
"$TOOL" sync "$LAB_TMP/k.json" "$prev" >"$LAB_TMP/sync"
expect_eq "after all those diffs the kernel reads back equal to the last state" "$(cat "$LAB_TMP/sync")" ""
tap_done
