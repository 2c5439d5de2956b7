#!/usr/bin/env bash
# A top-of-rack router that is not BIRD: GoBGP (gobgpd) as an eBGP peer of two
# Calico hosts, beside their node-to-node mesh. Calico imports whatever its
# peers send; it exports only its own blocks (and borrowed /32s).
#
#   fabric 172.30.0.0/24: h1 .11 (no default route of its own), h2 .12,
#                         tor .254 (gobgpd, AS 65000; 203.0.113.1/24 on lo)
#   Calico AS 64511, tor a global peer; pool 10.65.0.0/16
#   h1: a1   h2: b1
# Checks: both sessions Established on the router; the router announces a
# default route and 203.0.113.0/24, and each host's kernel installs both
# (proto bird); a1 on h1, whose only default route is the router's, reaches
# 203.0.113.1 behind it; the router learns from each host exactly that host's
# block: never the default route or 203.0.113.0/24, never the block a host
# learned from the other by the mesh; a borrowed address goes out as a /32;
# the router announcing a1's /32 and h1's block: BIRD on h1 has both
# announcements but h1's kernel keeps its own routes (a1 through its cali
# interface, the block's blackhole), while h2, where they are not local,
# installs them; withdrawn, h2 is back to h1's block.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v bird >/dev/null || [ ! -x "${CALICO_BUILD:-}/calico-node" ]; then
	echo "1..0 # SKIP needs root, bird and calico-node"
	exit 0
fi
if ! command -v gobgpd >/dev/null || ! command -v gobgp >/dev/null; then
	echo "1..0 # SKIP gobgpd (Debian gobgpd) is not installed"
	exit 0
fi
. "$here/../lib/netns.sh"
. "$here/../lib/etcd.sh"
. "$here/../lib/multihost.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
bail() { fail "$1"; mh_dump_logs; tail -n 20 "$LAB_TMP/gobgpd.log" 2>/dev/null | sed 's/^/#   /'; tap_done; exit 1; }
quiet() { "$@" >/dev/null; }
ctl() { mh_ds "$MH_CTL" "$@" >/dev/null; }
hns() { lab_ns "$1"; }
TOR=172.30.0.254
TOR_AS=65000
OTHER_NET=203.0.113.0/24
# GoBGP's API listens on the router namespace's own loopback: no collision
# with another run's router, whatever the port.
gob() { lab_exec tor gobgp -u 127.0.0.1 -p 50051 "$@"; }

# ---- the lab ----
mh_datastore_sqlite
mh_host_add h1 172.30.0.11 && mh_host_add h2 172.30.0.12 || bail "hosts"
lab_host_add tor "$TOR" || bail "router namespace"
ip -n "$(hns h1)" route del default || bail "h1 without a default route"
ip -n "$(hns tor)" addr add 203.0.113.1/24 dev lo || bail "the router's other network"

cat >"$LAB_TMP/gobgpd.toml" <<EOF
[global.config]
  as = $TOR_AS
  router-id = "$TOR"
  local-address-list = ["$TOR"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "172.30.0.11"
    peer-as = 64511
[[neighbors]]
  [neighbors.config]
    neighbor-address = "172.30.0.12"
    peer-as = 64511
EOF
lab_spawn tor sh -c "exec gobgpd -f '$LAB_TMP/gobgpd.toml' --api-hosts=127.0.0.1:50051 --pprof-disable -p >'$LAB_TMP/gobgpd.log' 2>&1"
mh_wait 10 quiet gob global || bail "gobgpd's API"

ctl pool add 10.65.0.0/16 || bail "pool"
ctl profile add web || bail "profile"
ctl bgp peer add "$TOR" as "$TOR_AS" || bail "global peer"
for h in h1 h2; do check "calicoctl node on $h" quiet mh_node_start "$h" || bail "node $h"; done
mh_workload h1 a1 && mh_ctl h1 container "$(lab_nspath a1)" profile set web >/dev/null || bail "a1"
mh_workload h2 b1 && mh_ctl h2 container "$(lab_nspath b1)" profile set web >/dev/null || bail "b1"
A1=${MH_WL_IP[a1]}
B1=${MH_WL_IP[b1]}
BLK1=$(mh_blocks h1 | head -n 1)
BLK2=$(mh_blocks h2 | head -n 1)

established() { gob neighbor | awk -v ip="$1" '$1 == ip && $4 == "Establ" { found = 1 } END { exit !found }'; }
check "router: session with h1 Established" mh_wait 30 established 172.30.0.11
check "router: session with h2 Established" mh_wait 30 established 172.30.0.12
check "h1: calicoctl status lists the router as a global peer" \
	mh_wait 10 eval 'mh_ctl h1 status | grep -F "| $TOR " | grep -F "| global " | grep -q Established'

# ---- what the router sends is installed ----
gob global rib add 0.0.0.0/0 nexthop "$TOR" -a ipv4 >/dev/null || bail "announce the default route"
gob global rib add "$OTHER_NET" nexthop "$TOR" -a ipv4 >/dev/null || bail "announce $OTHER_NET"
bird_route() { ip -n "$(hns "$1")" -4 route show "$2" proto bird; }
for h in h1 h2; do
	check "$h: the router's default route is in the kernel (proto bird)" \
		mh_wait 20 eval '[[ "$(bird_route $h default)" == "default via $TOR dev eth0 "* ]]'
	check "$h: ... and $OTHER_NET" \
		mh_wait 10 eval '[[ "$(bird_route $h $OTHER_NET)" == "$OTHER_NET via $TOR dev eth0 "* ]]'
done
expect_eq "h1: the router's is h1's only default route" "$(ip -n "$(hns h1)" -4 route show default | wc -l)" 1
check "h2: the mesh still brings h1's block $BLK1" mh_wait 10 eval '[ -n "$(bird_route h2 "$BLK1" | grep -F "via 172.30.0.11 ")" ]'
check "a1 -> b1 across the mesh" mh_wait 5 lab_ping a1 "$B1"
# GoBGP has no FIB: the router's way back to h1's block is set by hand
ip -n "$(hns tor)" route add "$BLK1" via 172.30.0.11 || fail "route back on the router"
check "a1 (on h1, default route from the router) -> 203.0.113.1 behind the router" mh_wait 5 lab_ping a1 203.0.113.1

# ---- what the router learns: each host's own blocks, nothing else ----
# adj-in NEIGHBOR: the prefixes NEIGHBOR sent the router, sorted, one line
adj_in() { gob neighbor "$1" adj-in -a ipv4 2>/dev/null | awk '$2 ~ /^[0-9]+\./ { print $2 }' | sort | tr '\n' ' '; }
check "router learns $BLK1 from h1" mh_wait 10 eval '[ "$(adj_in 172.30.0.11)" = "$BLK1 " ]'
expect_eq "... and nothing else from h1 (not the default, not $OTHER_NET, not h2's block)" "$(adj_in 172.30.0.11)" "$BLK1 "
expect_eq "router learns from h2 only $BLK2" "$(adj_in 172.30.0.12)" "$BLK2 "
rib=$(gob global rib -a ipv4)
check "router's rib: $BLK1 via h1" grep -qE "^\*> +$BLK1 +172\.30\.0\.11 " <<<"$rib"
check "... $BLK2 via h2" grep -qE "^\*> +$BLK2 +172\.30\.0\.12 " <<<"$rib"
# a borrowed address: h1's workload in h2's block goes out as a /32, from h1 only
BORROW=$(python3 -c "import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1])[40])" "$BLK2")
mh_workload h1 ab "$BORROW" >/dev/null || fail "borrowed workload"
check "router learns the borrowed $BORROW/32 from h1" \
	mh_wait 15 eval '[ "$(adj_in 172.30.0.11)" = "$(printf "%s\n" "$BLK1" "$BORROW/32" | sort | tr "\n" " ")" ]'
expect_eq "... h2 still sends only its block" "$(adj_in 172.30.0.12)" "$BLK2 "

# ---- the router announcing what is h1's own ----
gob global rib add "$A1/32" nexthop "$TOR" -a ipv4 >/dev/null || fail "announce a1's address"
gob global rib add "$BLK1" nexthop "$TOR" -a ipv4 >/dev/null || fail "announce h1's block"
BIRDC1="birdc -s $(mh_dir h1)/run/bird.ctl"
PEER=Global_${TOR//./_}
check "h1's BIRD has the router's $A1/32" mh_wait 15 eval '$BIRDC1 show route "$A1/32" protocol $PEER | grep -qF "$A1/32"'
check "... and the router's $BLK1" mh_wait 5 eval '$BIRDC1 show route "$BLK1" protocol $PEER | grep -qF "$BLK1"'
check "h2, where it is not local, installs the router's $A1/32" \
	mh_wait 10 eval '[ -n "$(bird_route h2 "$A1" | grep -F "via $TOR ")" ]'
sleep 2 # two kernel scans of h1's BIRD: time for a wrong route to show
expect_eq "h1: no BGP route for a1's address in the kernel" "$(bird_route h1 "$A1")" ""
check "h1: a1's address still goes through its cali interface" \
	eval '[[ "$(ip -n "$(hns h1)" -4 route get "$A1")" == "$A1 dev cali"* ]]'
expect_eq "h1: the block's blackhole is still the kernel's route" \
	"$(ip -n "$(hns h1)" -4 route show "$BLK1" | awk '{ print $1, $2 }')" "blackhole $BLK1"
check "a1 -> h1 still answers" lab_ping a1 172.30.0.11
check "h1 still exports its block, not the router's copy" eval '[[ "$(adj_in 172.30.0.11)" == *"$BLK1 "* ]]'
gob global rib del "$A1/32" -a ipv4 >/dev/null
gob global rib del "$BLK1" -a ipv4 >/dev/null
check "withdrawn: h2 forgets the router's $A1/32" mh_wait 10 eval '[ -z "$(bird_route h2 "$A1")" ]'
check "... b1 -> a1 across the mesh again" mh_wait 5 lab_ping b1 "$A1"

mh_finish
tap_done
