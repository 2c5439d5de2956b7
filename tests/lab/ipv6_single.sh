#!/usr/bin/env bash
# IPv6 and dual stack on one host: `calicoctl node --ip --ip6` (calico-node and
# BIRD), workloads attached with `calicoctl container add <ns> ipv6` (IPv6
# only) and `container add <ns> ipv4` + `container <ns> ip add ipv6` (dual
# stack), profiles through calicoctl's rule grammar. The connectivity matrix
# (ICMP, TCP, UDP, both directions, both families) gives the same verdicts in
# both families for rules without a family, and applies icmpv6 type/code and
# ipv4/ipv6 rules to their family only; DefaultEndpointToHostAction (RETURN,
# DROP, ACCEPT) holds for the host's IPv6 address as for its IPv4 one, and an
# endpoint's outbound rules apply to what it sends to the host.
#
#   fabric 172.30.0.0/24 + fd00:172:30::/64, h1 .11 / ::11
#   pools 10.65.0.0/16, fd00:65::/64
#   wa [pa] 46   wb [pa] 46   w6 [pa] 6   wc [pc] 46   wd [pd] 46
#   pa: Calico's default (inbound from tag pa, outbound allow)
#   pc: inbound from tag pc; icmpv6 type 128 code 0; icmp type 8 code 5 (never an
#       echo request); ipv6 tcp to port 8080; ipv4 udp
#   pd: inbound ipv4 from tag pa; icmpv6 type 128 code 1; outbound deny ipv6 tcp first
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v bird >/dev/null || [ ! -x "${CALICO_BUILD:-}/calico-node" ]; then
	echo "1..0 # SKIP needs root, bird and calico-node"
	exit 0
fi
. "$here/../lib/netns.sh"
. "$here/../lib/etcd.sh"
. "$here/../lib/multihost.sh"
. "$here/../lib/dualstack.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
bail() { fail "$1"; mh_dump_logs; tap_done; exit 1; }
quiet() { "$@" >/dev/null; }
ctl() { mh_ds "$MH_CTL" "$@" >/dev/null; }

mh_datastore_sqlite
ds_host_add h1 172.30.0.11 fd00:172:30::11 || bail "lab"
ctl pool add 10.65.0.0/16 fd00:65::/64 || bail "pools"
check "calicoctl node --ip --ip6 on h1" quiet ds_node_start h1 || bail "node"
ctl profile add pa && ctl profile add pc && ctl profile add pd &&
	ctl profile pc rule add inbound allow icmpv6 type 128 code 0 &&
	ctl profile pc rule add inbound allow icmp type 8 code 5 &&
	ctl profile pc rule add inbound allow ipv6 tcp to ports 8080 &&
	ctl profile pc rule add inbound allow ipv4 udp &&
	ctl profile pd rule remove inbound --at=1 &&
	ctl profile pd rule add inbound allow ipv4 from tag pa &&
	ctl profile pd rule add inbound allow icmpv6 type 128 code 1 &&
	ctl profile pd rule add outbound --at=1 deny ipv6 tcp || bail "profiles"
echo "# pd: $(mh_ds "$MH_CTL" profile pd rule show | tr '\n' ' ')"

ds_workload h1 wa 46 pa && ds_workload h1 wb 46 pa && ds_workload h1 w6 6 pa &&
	ds_workload h1 wc 46 pc && ds_workload h1 wd 46 pd || bail "workloads"
lab_tcp_server h1 8080 && lab_udp_echo h1 5005 || bail "host servers"
MH_WL_IP["h1.4"]=172.30.0.11 MH_WL_IP["h1.6"]=fd00:172:30::11

# ---- what the host and the workloads got ----
up_count() { mh_ctl h1 status 2>/dev/null | grep -q 'Endpoints: 5 on this host, 5 up'; }
check "status: the 5 endpoints are up" mh_wait 15 up_count
for w in wa wb wc wd; do
	expect_eq "$w has both families on eth0" \
		"$(ip -n "$(lab_ns "$w")" -o addr show dev eth0 scope global | awk '{ print $4 }' | sort | tr '\n' ' ')" \
		"${MH_WL_IP[$w.4]}/32 ${MH_WL_IP[$w.6]}/128 "
done
expect_eq "w6 has only an IPv6 address" \
	"$(ip -n "$(lab_ns w6)" -o addr show dev eth0 scope global | awk '{ print $4 }' | tr '\n' ' ')" "${MH_WL_IP[w6.6]}/128 "
check "w6 has no IPv4 default route" [ -z "$(ip -n "$(lab_ns w6)" -4 route)" ]
check "w6's IPv6 default route is the host veth's link-local address" \
	grep -q '^default via fe80::ecee:eeff:feee:eeee dev eth0' <<<"$(ip -n "$(lab_ns w6)" -6 route)"
check "h1 routes each IPv6 address as a /128 to its cali veth" \
	[ "$(ip -n "$(lab_ns h1)" -6 route show proto 80 | grep -c '^fd00:65::.* dev cali')" = 5 ]
ifw6=$(ip -n "$(lab_ns h1)" -6 route show "${MH_WL_IP[w6.6]}" | awk '{ print $3 }')
expect_eq "accept_ra is 0 on w6's host veth" "$(lab_exec h1 cat "/proc/sys/net/ipv6/conf/$ifw6/accept_ra")" 0
expect_eq "proxy_ndp is 1 on w6's host veth" "$(lab_exec h1 cat "/proc/sys/net/ipv6/conf/$ifw6/proxy_ndp")" 1
tags=$(lab_exec h1 nft list set inet calico tag6-pa 2>/dev/null)
check "tag set tag6-pa holds the IPv6 addresses of wa, wb, w6" \
	bash -c 'for a in "$@"; do grep -q "$a" <<<"$0" || exit 1; done' "$tags" \
	"${MH_WL_IP[wa.6]}" "${MH_WL_IP[wb.6]}" "${MH_WL_IP[w6.6]}"

# ---- the matrix ----
ds_matrix "within a tag" <<EOF
wa wb.4 allow
wa wb.6 allow
wb wa.4 allow
wb wa.6 allow
wa w6.6 allow
w6 wa.6 allow
w6 wb.6 allow
EOF
ds_matrix "across tags" <<EOF
wc wa.4 deny
wc wa.6 deny
wc w6.6 deny
wa wd.6 deny
w6 wd.6 deny
EOF
ds_matrix "family rules" <<EOF
# pc: icmpv6 128/0 and ipv6 tcp for IPv6, ipv4 udp for IPv4; icmp 8/5 never matches
wa wc.6 110
wa wc.4 001
wb wc.6 110
wb wc.4 001
w6 wc.6 110
# pd: an ipv4 rule from tag pa lets all of IPv4 in, nothing of IPv6
wa wd.4 allow
wb wd.4 allow
# pd outbound: deny ipv6 tcp before the allow
wd wc.6 100
wd wc.4 001
EOF

# ---- DefaultEndpointToHostAction over both families ----
# calicoctl node leaves it at RETURN (the host's own rules decide: none here)
ds_matrix "to the host, RETURN (calicoctl node's setting)" <<EOF
wa h1.4 allow
wa h1.6 allow
w6 h1.6 allow
wd h1.4 allow
wd h1.6 101
EOF
host_action() {
	local want=$1
	ctl config felix DefaultEndpointToHostAction "$want" || { fail "config felix DefaultEndpointToHostAction $want"; return; }
	# programmed once wa -> h1 over IPv6 gives the new verdict
	if [ "$want" = DROP ]; then probe() { ! lab_tcp wa "${MH_WL_IP[h1.6]}" 8080; }; else probe() { lab_tcp wa "${MH_WL_IP[h1.6]}" 8080; }; fi
	check "DefaultEndpointToHostAction $want programmed" mh_wait 10 probe
}
host_action DROP
ds_matrix "to the host, DROP" <<EOF
wa h1.4 deny
wa h1.6 deny
w6 h1.6 deny
wd h1.4 deny
wd h1.6 deny
EOF
host_action ACCEPT
ds_matrix "to the host, ACCEPT" <<EOF
wa h1.4 allow
wa h1.6 allow
w6 h1.6 allow
wd h1.4 allow
wd h1.6 101
EOF

# ---- a rule change reaches IPv6 at once ----
ctl profile pc rule add inbound allow ipv6 udp || fail "rule add"
wc_udp6() { lab_udp wa "${MH_WL_IP[wc.6]}" 5005; }
check "ipv6 udp rule added to pc: wa -> wc.6 udp allowed" mh_wait 10 wc_udp6
ds_matrix "after the rule change" <<EOF
wa wc.6 111
wa wc.4 001
EOF

# ---- removal releases both families ----
mh_wl_remove wb >/dev/null
check "container remove: wb's IPv6 route is gone" \
	[ -z "$(ip -n "$(lab_ns h1)" -6 route show "${MH_WL_IP[wb.6]}")" ]
check "... and its IPv6 address is free in IPAM" \
	grep -q 'is not currently assigned' <<<"$(mh_ds "$MH_CTL" ipam info "${MH_WL_IP[wb.6]}" 2>&1)"
check "... and so is its IPv4 address" \
	grep -q 'is not currently assigned' <<<"$(mh_ds "$MH_CTL" ipam info "${MH_WL_IP[wb.4]}" 2>&1)"

mh_finish
[ "$TAP_FAILED" -eq 0 ] || mh_dump_logs 20
tap_done
