#!/usr/bin/env bash
# Workloads on hosts WITHOUT a default route. A host whose default route comes
# by BGP (or that has none) holds only its connected subnet; the kernel then
# had no route covering 169.254.1.1, so proxy ARP left the workloads' ARP for
# their gateway unanswered and nothing left them. The agent now holds
# "169.254.1.1/32 dev lo proto 80" itself (src/node/routes.c).
#
#   fabric 172.30.0.0/24 + fd00:172:30::/64: h1 .11 ::11, h2 .12 ::12,
#   each with its connected subnets only (the default routes lab_host_add
#   gives are removed); pools 10.65.0.0/16, fd00:65::/64; BIRD mesh.
#   h1: a1 [web]   h2: b1 [web]     (dual stack, `calicoctl container add`)
# Checks: no default route in either host, in either family; the agent's
# gateway route is there (on h2, which has one of its own, it adds none); a1 resolves 169.254.1.1 to ee:ee:ee:ee:ee:ee;
# a1 reaches its host (IPv4 and IPv6) and b1 across the hosts over the
# routes BIRD installed (ICMP, TCP, UDP, both directions, both families);
# an agent restart leaves one gateway route.
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
hns() { lab_ns "$1"; }

mh_datastore_sqlite
for i in 1 2; do ds_host_add "h$i" "172.30.0.1$i" "fd00:172:30::1$i" || bail "host h$i"; done
for h in h1 h2; do
	ip -n "$(hns "$h")" -4 route del default && ip -n "$(hns "$h")" -6 route del default || bail "no default route on $h"
done
expect_eq "h1 and h2 have no IPv4 default route" \
	"$(ip -n "$(hns h1)" -4 route show default)$(ip -n "$(hns h2)" -4 route show default)" ""
expect_eq "... and no IPv6 one" "$(ip -n "$(hns h1)" -6 route show default)$(ip -n "$(hns h2)" -6 route show default)" ""
check "... nothing in h1 covers 169.254.1.1 yet" eval '! ip -n "$(hns h1)" route get 169.254.1.1 >/dev/null 2>&1'

ctl pool add 10.65.0.0/16 fd00:65::/64 || bail "pools"
ctl profile add web || bail "profile"
# workloads may talk to their own host (the default is DROP)
ctl config felix DefaultEndpointToHostAction ACCEPT || bail "config"
# h2's administrator routes 169.254.1.1 already: the agent leaves that alone
ip -n "$(hns h2)" route add 169.254.1.1/32 dev eth0 proto static || bail "h2's own gateway route"
for h in h1 h2; do check "calicoctl node on $h" quiet ds_node_start "$h" || bail "node $h"; done
ds_workload h1 a1 46 web || bail "a1"
ds_workload h2 b1 46 web || bail "b1"

gw_routes() { ip -n "$(hns "$1")" -4 route show 169.254.1.1/32 proto 80; }
check "h1: the agent holds its route for the gateway" mh_wait 10 eval '[ "$(gw_routes h1)" = "169.254.1.1 dev lo scope link " ]'
expect_eq "h2: the administrator's route to it is left as it was, and none added" \
	"$(ip -n "$(hns h2)" -4 route show 169.254.1.1/32 | sed 's/ *$//')" "169.254.1.1 dev eth0 proto static scope link"
has_block_route() { [ -n "$(mh_bird_routes "$1" | grep -F "$2 via")" ]; }
B2=$(mh_blocks h2 | head -n 1)
check "h1 learns h2's block $B2 by BGP" mh_wait 20 has_block_route h1 "$B2"

check "a1 -> h1 (its own host, IPv4)" mh_wait 5 lab_ping a1 172.30.0.11
gw_neigh=$(ip -n "$(hns a1)" neigh show 169.254.1.1 | grep -o 'lladdr [0-9a-f:]*')
expect_eq "a1 resolved 169.254.1.1 to the host veth's MAC" "$gw_neigh" "lladdr ee:ee:ee:ee:ee:ee"
check "a1 -> h1 (IPv6: its gateway is the veth's link-local address)" mh_wait 5 lab_ping a1 fd00:172:30::11
check "b1 -> h2" mh_wait 5 lab_ping b1 172.30.0.12
check "a1 -> h2 across the fabric" mh_wait 5 lab_ping a1 172.30.0.12
ds_matrix "across hosts without default routes" <<EOF
a1 b1.4 allow
b1 a1.4 allow
a1 b1.6 allow
b1 a1.6 allow
EOF

# an agent restart reads the route back instead of adding a second one
mh_ctl h1 node stop --force >/dev/null
check "h1: node restarts" quiet ds_node_start h1
check "h1: still exactly one gateway route after the restart" \
	mh_wait 10 eval '[ "$(gw_routes h1)" = "169.254.1.1 dev lo scope link " ]'
check "a1 -> b1 after the restart" mh_wait 10 lab_ping a1 "${MH_WL_IP[b1.4]}"

mh_finish
tap_done
