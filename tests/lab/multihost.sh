#!/usr/bin/env bash
# Three Calico hosts on one fabric, a 3-member etcd cluster, BGP (BIRD) between
# the hosts, two workloads per host in two profiles:
#   - every mesh peer is Established in `calicoctl status`;
#   - each host has exactly one BIRD route per remote block, none per workload;
#   - the cross-host matrix (ICMP, TCP, UDP, both directions) holds with policy:
#     within a profile allowed, across denied, until a rule is added;
#   - borrowed addresses (a /26 pool whose only block h1 owns, and a static
#     address inside h3's block taken on h1) are announced as /32s and reachable.
#
#   fabric 172.30.0.0/24: h1 .11, h2 .12, h3 .13; etcd e1..e3 .21-.23
#   pools 10.65.0.0/16 (the workloads) and 10.66.0.0/26 (one block: borrowing)
#   h1: a1 [pa] b1 [pb]   h2: a2 [pa] b2 [pb]   h3: a3 [pa] b3 [pb]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
tap_skip_unless "needs root, bird, etcd and calico-node" root cmd:bird cmd:etcd "exe:${CALICO_BUILD:-}/calico-node"
. "$here/../lib/netns.sh"
. "$here/../lib/etcd.sh"
. "$here/../lib/multihost.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
HOSTS=(h1 h2 h3)
WLS=(a1 b1 a2 b2 a3 b3)
bail() { fail "$1"; mh_dump_logs; tap_done; exit 1; }
quiet() { "$@" >/dev/null; }

# ---- the lab ----
lab_fabric_add || bail "fabric"
check "etcd: a 3-member cluster in the lab" mh_datastore_etcd 3 || bail "etcd cluster"
for i in 1 2 3; do mh_host_add "h$i" "172.30.0.1$i" || bail "host h$i"; done
mh_ds "$MH_CTL" pool add 10.65.0.0/16 >/dev/null && mh_ds "$MH_CTL" pool add 10.66.0.0/26 >/dev/null ||
	bail "pools"
for h in "${HOSTS[@]}"; do
	check "calicoctl node on $h" quiet mh_node_start "$h" || bail "node $h"
done

# ---- BGP sessions ----
# every other host's address on a line with "node-to-node mesh" and "Established"
mesh_established() {
	local h=$1 out g
	out=$(mh_ctl "$h" status 2>&1)
	for g in "${HOSTS[@]}"; do
		[ "$g" = "$h" ] && continue
		grep -E "\| *${MH_IP[$g]} *\|" <<<"$out" | grep 'node-to-node mesh' | grep -q Established || return 1
	done
}
for h in "${HOSTS[@]}"; do
	if mh_wait "${MESH_WAIT:-20}" mesh_established "$h"; then
		ok "status on $h: both mesh peers Established"
	else
		fail "status on $h: both mesh peers Established"
		mh_ctl "$h" status 2>&1 | sed 's/^/#   /'
	fi
done

# ---- workloads and profiles ----
mh_ds "$MH_CTL" profile add pa >/dev/null && mh_ds "$MH_CTL" profile add pb >/dev/null || bail "profiles"
for w in "${WLS[@]}"; do
	h="h${w#?}"
	mh_workload "$h" "$w" 10.65.0.0/16 && mh_ctl "$h" container "$(lab_nspath "$w")" profile set "p${w%?}" >/dev/null ||
		bail "workload $w on $h"
done

# ---- routes: one per remote block, learnt by BIRD ----
# expected "block via ip" lines on H: every block of every other host
expected_routes() {
	local h=$1 g b
	for g in "${HOSTS[@]}"; do
		[ "$g" = "$h" ] && continue
		for b in $(mh_blocks "$g"); do echo "$b via ${MH_IP[$g]}"; done
	done | sort
}
actual_routes() { mh_bird_routes "$1" | awk '{ print $1, $2, $3 }' | sort; }
routes_match() { [ "$(actual_routes "$1")" = "$(expected_routes "$1")" ] && [ -n "$(expected_routes "$1")" ]; }
for h in "${HOSTS[@]}"; do
	mh_wait 20 routes_match "$h"
	expect_eq "routes on $h: exactly one BIRD route per remote block" "$(actual_routes "$h" | tr '\n' ';')" \
		"$(expected_routes "$h" | tr '\n' ';')"
	n32=$(mh_bird_routes "$h" | awk '$1 ~ /^10\.65\./ && ($1 ~ /\/32$/ || $1 !~ /\//)' | wc -l)
	expect_eq "routes on $h: no per-workload /32 from BIRD" "$n32" 0
done

# ---- the matrix with policy ----
pairs() { # pairs RULE: every ordered pair of workloads with RULE's verdict
	local a b
	for a in "${WLS[@]}"; do
		for b in "${WLS[@]}"; do
			[ "$a" = "$b" ] || echo "$a $b $("$1" "$a" "$b")"
		done
	done
}
same_profile() { [ "${1%?}" = "${2%?}" ] && echo allow || echo deny; }
mh_wait 15 eval '[ "$(mh_probe a1 a3)" = "1 1 1" ]'
mh_matrix "profiles only" < <(pairs same_profile)

# pb accepts pa: pa -> pb allowed; pb -> pa still denied
mh_ds "$MH_CTL" profile pb rule add inbound allow from tag pa >/dev/null || bail "rule add"
check "rule add reaches every host" mh_wait 15 eval '[ "$(mh_probe a1 b3)" = "1 1 1" ] && [ "$(mh_probe a3 b2)" = "1 1 1" ]'
with_rule() {
	if [ "${1%?}" = "${2%?}" ]; then echo allow
	elif [ "${1%?}" = a ] && [ "${2%?}" = b ]; then echo allow
	else echo deny; fi
}
mh_matrix "pb accepts pa" < <(pairs with_rule)

# ---- borrowed addresses ----
# c1 on h1 takes 10.66.0.0/26's only block; c2 on h2 must borrow from it.
mh_workload h1 c1 10.66.0.0/26 && mh_workload h2 c2 10.66.0.0/26 || bail "workloads in the small pool"
mh_ctl h1 container "$(lab_nspath c1)" profile set pa >/dev/null && mh_ctl h2 container "$(lab_nspath c2)" profile set pa >/dev/null
expect_eq "borrow: h1 owns the small pool's only block" "$(mh_blocks h1 | grep -c '^10\.66\.0\.0/26$')" 1
case "${MH_WL_IP[c2]}" in 10.66.0.*) ok "borrow: c2 on h2 got ${MH_WL_IP[c2]} from h1's block" ;;
*) fail "borrow: c2 on h2 got ${MH_WL_IP[c2]} from h1's block" ;; esac
expect_eq "borrow: h2 has no affinity to it" "$(mh_blocks h2 | grep -c '^10\.66\.')" 0
# d1 on h1: a static address inside one of h3's blocks
B3=$(mh_blocks h3 | grep '^10\.65\.' | head -n 1)
D1=$(awk -F'[./]' '{ printf "%d.%d.%d.%d", $1, $2, $3, $4 + 60 }' <<<"$B3")
mh_workload h1 d1 "$D1" && mh_ctl h1 container "$(lab_nspath d1)" profile set pa >/dev/null || bail "d1 with $D1"
has_route() { mh_bird_routes "$1" | grep -q "^$2 via $3 "; }
for h in h1 h3; do
	check "borrow: $h learns ${MH_WL_IP[c2]}/32 via h2" mh_wait 15 has_route "$h" "${MH_WL_IP[c2]}" "${MH_IP[h2]}"
done
for h in h2 h3; do
	check "borrow: $h learns $D1/32 (in h3's block $B3) via h1" mh_wait 15 has_route "$h" "$D1" "${MH_IP[h1]}"
done
check "borrow: h3 learns the small pool's block via h1" mh_wait 15 has_route h3 10.66.0.0/26 "${MH_IP[h1]}"
mh_wait 10 eval '[ "$(mh_probe a3 c2)" = "1 1 1" ]'
mh_matrix "borrowed" <<EOF
a3 c2 allow
c2 a3 allow
a1 c2 allow
c2 c1 allow
c1 c2 allow
a3 d1 allow
d1 a3 allow
a2 d1 allow
b3 c2 deny
b2 d1 deny
EOF

for h in "${HOSTS[@]}"; do
	check "after all this, $h's mesh peers are still Established" mesh_established "$h"
done

# ---- teardown checks ----
mh_finish
[ "$TAP_FAILED" -eq 0 ] || mh_dump_logs 20
tap_done
