#!/usr/bin/env bash
# Dual stack across three hosts: `calicoctl node --ip=<v4> --ip6=<v6>` on each,
# so BIRD runs IPv4 and IPv6 channels over a full mesh:
#   - `calicoctl status` shows both BGP sections with every other host
#     Established (IPv4 peers by IPv4 address, IPv6 peers by IPv6 address);
#   - each host has exactly one route per remote block in each family, learnt
#     by BIRD, via the owner's fabric address of that family; none per workload;
#   - the cross-host matrix (ICMP, TCP, UDP, both directions) gives the same
#     verdicts over IPv4 and IPv6: within a profile allowed, across denied;
#     an "ipv6" rule then opens IPv6 only, an "ipv4" rule IPv4 only;
#   - an IPv6-only workload talks to dual-stack ones on other hosts;
#   - an IPv6 address borrowed from another host's block is announced as a
#     /128 by the host that holds it, and reachable;
#   - `calicoctl node stop` on h3: its IPv6 (and IPv4) block routes stay on the
#     peers and traffic to it keeps flowing (graceful restart); it comes back;
#   - a workload removed: its addresses are released, its host still routes
#     its block, the others still reach the rest.
#
#   fabric 172.30.0.0/24 + fd00:172:30::/64: h1 .11 ::11, h2 .12 ::12, h3 .13 ::13
#   pools 10.65.0.0/16, fd00:65::/64 (one /26 and one /122 block per host)
#   h1: a1 [pa] b1 [pb]   h2: a2 [pa] b2 [pb]   h3: a3 [pa] b3 [pb] s3 [pa, IPv6 only]
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
HOSTS=(h1 h2 h3)
bail() { fail "$1"; mh_dump_logs; tap_done; exit 1; }
quiet() { "$@" >/dev/null; }
ctl() { mh_ds "$MH_CTL" "$@" >/dev/null; }

# ---- the lab ----
mh_datastore_sqlite
for i in 1 2 3; do ds_host_add "h$i" "172.30.0.1$i" "fd00:172:30::1$i" || bail "host h$i"; done
ctl pool add 10.65.0.0/16 fd00:65::/64 || bail "pools"
for h in "${HOSTS[@]}"; do
	check "calicoctl node --ip --ip6 on $h" quiet ds_node_start "$h" || bail "node $h"
done

# ---- BGP sessions in both families ----
# the lines of SECTION ("IPv4 BGP status" / "IPv6 BGP status") of H's status
status_section() {
	mh_ctl "$1" status 2>&1 | awk -v s="$2" '$0 == s { on = 1; next } /BGP status$/ { on = 0 } on'
}
mesh_established() {
	local h=$1 fam=$2 out g ip
	out=$(status_section "$h" "IPv$fam BGP status")
	for g in "${HOSTS[@]}"; do
		[ "$g" = "$h" ] && continue
		if [ "$fam" = 4 ]; then ip=${MH_IP[$g]}; else ip=${DS_IP6[$g]}; fi
		grep -E "\| *$ip *\|" <<<"$out" | grep 'node-to-node mesh' | grep -q Established || return 1
	done
}
for h in "${HOSTS[@]}"; do
	for fam in 4 6; do
		if mh_wait "${MESH_WAIT:-20}" mesh_established "$h" "$fam"; then
			ok "status on $h: IPv$fam section, both mesh peers Established"
		else
			fail "status on $h: IPv$fam section, both mesh peers Established"
			mh_ctl "$h" status 2>&1 | sed 's/^/#   /'
		fi
	done
done
v6_peers=$(status_section h1 "IPv6 BGP status" | grep -c 'node-to-node mesh')
expect_eq "h1's IPv6 section lists exactly its 2 IPv6 peers" "$v6_peers" 2
check "... and no IPv4 address in it" bash -c '! grep -q "172\.30\." <<<"$0"' "$(status_section h1 "IPv6 BGP status")"

# ---- workloads ----
ctl profile add pa && ctl profile add pb || bail "profiles"
for i in 1 2 3; do
	ds_workload "h$i" "a$i" 46 pa && ds_workload "h$i" "b$i" 46 pb || bail "workloads on h$i"
done
ds_workload h3 s3 6 pa || bail "IPv6-only workload"

# ---- routes: one per remote block and family, via the owner's address ----
# "BLOCK via OWNER_IP" for every block of every host but H, sorted
want_routes() {
	local h=$1 fam=$2 g b ip
	for g in "${HOSTS[@]}"; do
		[ "$g" = "$h" ] && continue
		if [ "$fam" = 4 ]; then ip=${MH_IP[$g]}; else ip=${DS_IP6[$g]}; fi
		for b in $(ds_blocks "$g" "$fam"); do echo "$b via $ip"; done
	done | sort
}
got_routes() { ds_bird_routes "$1" "$2" | awk '{ print $1, $2, $3 }' | sort; }
routes_match() { [ -n "$(want_routes "$1" "$2")" ] && [ "$(got_routes "$1" "$2")" = "$(want_routes "$1" "$2")" ]; }
for h in "${HOSTS[@]}"; do
	for fam in 4 6; do
		if mh_wait 15 routes_match "$h" "$fam"; then
			ok "$h: one IPv$fam BIRD route per remote block, via its owner ($(want_routes "$h" "$fam" | wc -l))"
		else
			fail "$h: one IPv$fam BIRD route per remote block, via its owner"
			printf '#   got:  %s\n#   want: %s\n' "$(got_routes "$h" "$fam" | tr '\n' ';')" "$(want_routes "$h" "$fam" | tr '\n' ';')"
		fi
	done
	expect_eq "$h: no BIRD route to a single IPv6 workload (/128)" \
		"$(ip -n "$(lab_ns "$h")" -6 route show proto bird | grep -c '/128')" 0
	check "$h: its own IPv6 block is a blackhole for BIRD to announce" \
		grep -q "^blackhole $(ds_blocks "$h" 6 | head -n 1)" <<<"$(ip -n "$(lab_ns "$h")" -6 route show proto bird)"
done

# ---- the matrix ----
matrix_lines() { # FAMILY: every cross-host pair of a*/b* workloads
	local f=$1 x y
	for x in a1 b1 a2 b2 a3 b3; do
		for y in a1 b1 a2 b2 a3 b3; do
			[ "${x#?}" = "${y#?}" ] && continue # same host
			if [ "${x:0:1}" = "${y:0:1}" ]; then echo "$x $y.$f allow"; else echo "$x $y.$f ${2:-deny}"; fi
		done
	done
}
ds_matrix "IPv4, profiles" < <(matrix_lines 4)
ds_matrix "IPv6, profiles" < <(matrix_lines 6)
ds_matrix "IPv6-only workload on h3" <<EOF
s3 a1.6 allow
a1 s3.6 allow
s3 a2.6 allow
a2 s3.6 allow
s3 b1.6 deny
b2 s3.6 deny
EOF

# an ipv6 rule opens IPv6 only, an ipv4 rule IPv4 only
ctl profile pb rule add inbound allow ipv6 from tag pa || fail "rule add"
b_from_a6() { lab_tcp a1 "${MH_WL_IP[b2.6]}" 8080; }
check "ipv6 rule in pb programmed on h2" mh_wait 10 b_from_a6
ds_matrix "pb allows ipv6 from tag pa" <<EOF
a1 b2.6 allow
a2 b3.6 allow
a3 b1.6 allow
s3 b1.6 allow
a1 b2.4 deny
a2 b3.4 deny
a3 b1.4 deny
b1 a2.6 deny
EOF
ctl profile pb rule remove inbound allow ipv6 from tag pa && ctl profile pb rule add inbound allow ipv4 udp from tag pa ||
	fail "rule change"
b_from_a4() { lab_udp a1 "${MH_WL_IP[b2.4]}" 5005; }
check "ipv4 udp rule in pb programmed on h2" mh_wait 10 b_from_a4
ds_matrix "pb allows ipv4 udp from tag pa" <<EOF
a1 b2.4 001
a3 b1.4 001
a1 b2.6 deny
a3 b1.6 deny
EOF

# ---- a borrowed IPv6 address: static, inside h3's block, taken on h1 ----
b3blk=$(ds_blocks h3 6 | head -n 1)
x1ip=$(python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Network(sys.argv[1])[50])' "$b3blk")
if mh_workload h1 x1 "$x1ip" >/dev/null && mh_ctl h1 container "$(lab_nspath x1)" profile set pa >/dev/null; then
	ok "x1 on h1 gets $x1ip from h3's block $b3blk"
else
	fail "x1 on h1 gets $x1ip from h3's block $b3blk"
fi
MH_WL_IP["x1.6"]=$x1ip
borrowed_route() { ds_bird_routes "$1" 6 | grep -q "^$x1ip via ${DS_IP6[h1]} "; }
check "h2 routes the borrowed $x1ip/128 via h1" mh_wait 15 borrowed_route h2
check "h3 (the block's owner) routes it via h1 too" mh_wait 15 borrowed_route h3
ds_matrix "the borrowed IPv6 address" <<EOF
a2 x1.6 allow
x1 a3.6 allow
a3 x1.6 allow
b3 x1.6 deny
EOF

# ---- calicoctl node stop on h3: its IPv6 routes stay on the peers (graceful restart) ----
GR_SECS=${GR_CHECK_SECS:-6}
B3_6=$(ds_blocks h3 6 | head -n 1)
mh_probe_loop to3v6 a1 a3.6
mh_probe_loop to3v4 a1 a3.4
sleep 0.5
stopped=$(mh_node_stop h3 --force 2>&1)
expect_eq "node stop on h3" "$stopped" "Node stopped"
sleep "$GR_SECS"
kept6() { ds_bird_routes "$1" 6 | grep -q "^$B3_6 via ${DS_IP6[h3]} "; }
check "h1 keeps h3's IPv6 block $B3_6 while h3's BIRD is down" kept6 h1
check "so does h2" kept6 h2
mh_probe_expect to3v6 "a1 -> a3 over IPv6 keeps flowing for ${GR_SECS} s" $((GR_SECS * 2))
mh_probe_expect to3v4 "a1 -> a3 over IPv4 too" $((GR_SECS * 2))
check "h3 starts again" quiet ds_node_start h3
check "... its IPv6 mesh sessions come back" mh_wait 20 mesh_established h3 6
check "... and h1 routes its IPv6 block as before" mh_wait 15 routes_match h1 6
ds_matrix "after h3's restart" <<EOF
a1 a3.6 allow
a3 a1.6 allow
s3 a2.6 allow
b1 a3.6 deny
EOF

# ---- a workload goes ----
mh_wl_remove b2 >/dev/null
check "b2 removed: its IPv6 address is released" \
	grep -q 'is not currently assigned' <<<"$(mh_ds "$MH_CTL" ipam info "${MH_WL_IP[b2.6]}" 2>&1)"
check "... so is its IPv4 address" \
	grep -q 'is not currently assigned' <<<"$(mh_ds "$MH_CTL" ipam info "${MH_WL_IP[b2.4]}" 2>&1)"
check "h1 still routes h2's IPv6 block (a2 lives there)" routes_match h1 6
ds_matrix "after b2 went" <<EOF
a1 a2.6 allow
a1 a2.4 allow
a3 b2.6 deny
EOF

mh_finish
[ "$TAP_FAILED" -eq 0 ] || mh_dump_logs 20
tap_done
