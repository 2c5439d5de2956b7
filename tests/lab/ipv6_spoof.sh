#!/usr/bin/env bash
# IPv6 anti-spoofing on one host (`calicoctl node --ip --ip6`, calico-node):
#   - a workload that puts another workload's IPv6 address on its eth0 and
#     sends from it (ICMPv6, TCP, UDP) gets nothing through: counted at the
#     receiver, against a control sent from its own address;
#   - a workload cannot claim another workload's IPv6 address with a neighbour
#     advertisement (tests/tools/na_forge: unsolicited, Override, hop limit
#     255): the NA does not reach the host's input (counted by a lab table
#     behind calico's) nor another workload, the host's neighbour table gets no
#     entry for the claimed address on the attacker's veth, even with
#     accept_untracked_na on, and the victim stays reachable; an NA for the
#     workload's own address, or a link-local one, still reaches the host.
#
#   fabric 172.30.0.0/24 + fd00:172:30::/64, h1 .11 / ::11, pools 10.65.0.0/16, fd00:65::/64
#   wa (attacker), wb (victim), wc (receiver): dual stack, one profile pa (all allowed)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v bird >/dev/null || ! command -v python3 >/dev/null ||
	[ ! -x "${CALICO_BUILD:-}/calico-node" ] || [ ! -x "${CALICO_BUILD:-}/na_forge" ]; then
	echo "1..0 # SKIP needs root, bird, python3, calico-node and na_forge"
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
# an IPv6 address as the 128-bit integer nft compares raw payloads with
hex6() { python3 -c 'import ipaddress, sys; print("0x%032x" % int(ipaddress.IPv6Address(sys.argv[1])))' "$1"; }
counter() { lab_exec "$1" nft list counter inet lab "$2" | sed -nE 's/.*packets ([0-9]+).*/\1/p'; }
# send FROM_NS SRC DST PROTO: one probe from SRC (an address FROM holds), by
# python so the source can be chosen; the answer does not matter
send_from() {
	lab_exec "$1" timeout 3 python3 - "$2" "$3" "$4" <<'EOF' 2>/dev/null
import socket, sys
src, dst, proto = sys.argv[1:]
if proto == "tcp":
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(0.5); s.bind((src, 0))
    try: s.connect((dst, 8080))
    except OSError: pass
elif proto == "udp":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((src, 0)); s.sendto(b"x", (dst, 5005))
EOF
	[ "$4" = icmp ] && lab_exec "$1" busybox ping -6 -c 1 -W 1 -I "$2" "$3" >/dev/null 2>&1
	return 0
}

mh_datastore_sqlite
ds_host_add h1 172.30.0.11 fd00:172:30::11 || bail "lab"
ctl pool add 10.65.0.0/16 fd00:65::/64 || bail "pools"
check "calicoctl node --ip --ip6 on h1" quiet ds_node_start h1 || bail "node"
ctl profile add pa || bail "profile"
ds_workload h1 wa 46 pa && ds_workload h1 wb 46 pa && ds_workload h1 wc 46 pa || bail "workloads"
up_count() { mh_ctl h1 status 2>/dev/null | grep -q 'Endpoints: 3 on this host, 3 up'; }
check "status: the 3 endpoints are up" mh_wait 15 up_count
A6=${MH_WL_IP[wa.6]} B6=${MH_WL_IP[wb.6]} C6=${MH_WL_IP[wc.6]}
ifa=$(ip -n "$(lab_ns h1)" -6 route show "$A6" | awk '{ print $3 }')
ifb=$(ip -n "$(lab_ns h1)" -6 route show "$B6" | awk '{ print $3 }')
ds_matrix "before: all allowed in pa" <<EOF
wa wb.6 allow
wa wc.6 allow
wb wc.6 allow
EOF

# ---- forged IPv6 sources ----
# the receiver counts what arrives from each source before anything else sees it
lab_exec wc nft -f - <<EOF || bail "counter table in wc"
table inet lab {
	counter forged { }
	counter own { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip6 saddr $B6 counter name forged
		ip6 saddr $A6 counter name own
	}
}
EOF
ip -n "$(lab_ns wa)" -6 addr add "$B6/128" dev eth0 nodad || bail "forged address on wa"
for p in icmp tcp udp; do
	send_from wa "$A6" "$C6" "$p"
	send_from wa "$B6" "$C6" "$p"
done
n=$(counter wc own)
check "control: wa's packets from its own address reach wc ($n)" [ "${n:-0}" -ge 3 ]
expect_eq "wa's ICMPv6, TCP and UDP from wb's address: none reaches wc" "$(counter wc forged)" 0
ip -n "$(lab_ns wa)" -6 addr del "$B6/128" dev eth0

# ---- forged neighbour advertisements ----
# behind calico's table (priority filter + 10): what calico let in
lab_exec h1 nft -f - <<EOF || bail "counter table in h1"
table inet lab {
	counter foreign { }
	counter own { }
	counter linklocal { }
	chain in {
		type filter hook input priority filter + 10; policy accept;
		iifname "$ifa" icmpv6 type nd-neighbor-advert @th,64,128 $(hex6 "$B6") counter name foreign
		iifname "$ifa" icmpv6 type nd-neighbor-advert @th,64,128 $(hex6 "$A6") counter name own
		iifname "$ifa" icmpv6 type nd-neighbor-advert @th,64,16 0xfe80 counter name linklocal
	}
}
EOF
lab_exec wc nft -f - <<EOF || bail "NA counter in wc"
table inet lab {
	counter na { }
	chain na {
		type filter hook prerouting priority -300; policy accept;
		icmpv6 type nd-neighbor-advert counter name na
	}
}
EOF
# an unsolicited NA creates an entry (STALE) when accept_untracked_na allows it:
# the strictest test of "the host believes the claim"
lab_sysctl h1 "net.ipv6.conf.$ifa.accept_untracked_na" 1 || echo "# accept_untracked_na not settable"
neigh_b_before=$(ip -n "$(lab_ns h1)" -6 neigh show "$B6" dev "$ifb")
wa_ll=$(ip -n "$(lab_ns wa)" -6 -o addr show dev eth0 scope link | awk '{ print $4 }' | cut -d/ -f1)
wa_mac=$(ip -n "$(lab_ns wa)" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)

check "na_forge sends an NA claiming wb's address to ff02::1" lab_exec wa "$CALICO_BUILD/na_forge" eth0 "$B6"
check "... and to the host's link-local address" lab_exec wa "$CALICO_BUILD/na_forge" eth0 "$B6" fe80::ecee:eeff:feee:eeee
check "... and unicast to wc (forwarded)" lab_exec wa "$CALICO_BUILD/na_forge" eth0 "$B6" "$C6"
check "control: an NA for wa's own address" lab_exec wa "$CALICO_BUILD/na_forge" eth0 "$A6"
check "control: an NA for wa's link-local address" lab_exec wa "$CALICO_BUILD/na_forge" eth0 "$wa_ll"
sleep 0.3
expect_eq "no NA claiming wb's address reached h1's input" "$(counter h1 foreign)" 0
expect_eq "no NA from wa reached wc" "$(counter wc na)" 0
check "the NA for wa's own address reached h1 (legitimate NAs pass)" [ "$(counter h1 own)" -ge 1 ]
check "so did the one for its link-local address" [ "$(counter h1 linklocal)" -ge 1 ]
expect_eq "h1 has no neighbour entry for wb's address on wa's veth" \
	"$(ip -n "$(lab_ns h1)" -6 neigh show "$B6" dev "$ifa")" ""
check "h1's neighbour entry for wb's address on wb's veth is not wa's MAC" \
	bash -c '! grep -q "$1" <<<"$(ip -n "$0" -6 neigh show "$2" dev "$3")"' "$(lab_ns h1)" "$wa_mac" "$B6" "$ifb"
echo "# wb's entry before: ${neigh_b_before:-none}; after: $(ip -n "$(lab_ns h1)" -6 neigh show "$B6" dev "$ifb")"
ds_matrix "after the forged NAs: wb still reachable" <<EOF
wa wb.6 allow
wc wb.6 allow
wb wc.6 allow
EOF
lab_exec h1 nft delete table inet lab

mh_finish
[ "$TAP_FAILED" -eq 0 ] || mh_dump_logs 20
tap_done
