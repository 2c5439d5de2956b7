#!/usr/bin/env bash
# What a hostile workload cannot do, on two Calico hosts (calicoctl node,
# calico-node + BIRD, one SQLite datastore, a VXLAN pool so both hosts have a
# VTEP). The IPv6 side of spoofing is tests/lab/ipv6_spoof.sh; policy between
# hosts is tests/lab/multihost.sh.
#   - send with another workload's IPv4 address (ICMP, TCP, UDP): nothing
#     reaches the receiver (counted there, against a control from its own address);
#   - claim another workload's address, or 169.254.1.1, with ARP (requests,
#     gratuitous, unsolicited replies): the frames reach the host, which records
#     no neighbour entry for the claimed address on the attacker's veth (the
#     veth's rp_filter=1 is what refuses them: shown by turning it off once) and
#     the victim stays reachable;
#   - send VXLAN datagrams to its own host's and another host's VTEP, or IP-in-IP
#     packets, whose inner packet carries another workload's address: nothing
#     leaves the veth, nothing arrives (controls: the same VXLAN datagram sent
#     by the host is decapsulated and delivered; IP-in-IP from the host is
#     dropped by a kernel without ipip);
#   - reach its host except as DefaultEndpointToHostAction allows: DROP covers
#     every host address (the fabric one, one on lo) and BIRD's port 179, yet
#     the host's own connections to the workload work; RETURN leaves the verdict
#     to the host's own rules (a lab table that drops is obeyed).
#
#   fabric 172.30.0.0/24: h1 .11, h2 .12; pool 10.65.0.0/16 --vxlan; profile pa on all
#   h1: wa (attacker), wb (victim), wc (receiver)      h2: wd (receiver)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v bird >/dev/null || ! command -v python3 >/dev/null ||
	[ ! -x "${CALICO_BUILD:-}/calico-node" ] || [ ! -x "${CALICO_BUILD:-}/pkt_forge" ]; then
	echo "1..0 # SKIP needs root, bird, python3, calico-node and pkt_forge"
	exit 0
fi
. "$here/../lib/netns.sh"
. "$here/../lib/etcd.sh"
. "$here/../lib/multihost.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
bail() { fail "$1"; mh_dump_logs; tap_done; exit 1; }
ctl() { mh_ds "$MH_CTL" "$@" >/dev/null; }
FORGE=$CALICO_BUILD/pkt_forge
counter() { lab_exec "$1" nft list counter "$2" lab "$3" | sed -nE 's/.*packets ([0-9]+).*/\1/p'; }
mac_of() { ip -n "$(lab_ns "$1")" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
# send FROM_NS SRC DST PROTO: one probe from SRC (an address FROM holds); the answer does not matter
send_from() {
	if [ "$4" = icmp ]; then
		lab_exec "$1" busybox ping -c 1 -W 1 -I "$2" "$3" >/dev/null 2>&1
		return 0
	fi
	lab_exec "$1" timeout 3 python3 - "$2" "$3" "$4" <<'EOF' 2>/dev/null
import socket, sys
src, dst, proto = sys.argv[1:]
if proto == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5); s.bind((src, 0))
    try: s.connect((dst, 8080))
    except OSError: pass
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0)); s.sendto(b"x", (dst, 5005))
EOF
	return 0
}
denied() { local d=$1; shift; if "$@"; then fail "$d"; else ok "$d"; fi; }
# tcp_open FROM IP PORT: a TCP handshake completes within 1 s (what answers does not matter)
tcp_open() {
	lab_exec "$1" timeout 3 python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)' "$2" "$3" 2>/dev/null
}

# ---- the lab ----
mh_datastore_sqlite
mh_host_add h1 172.30.0.11 && mh_host_add h2 172.30.0.12 || bail "lab"
ctl pool add 10.65.0.0/16 --vxlan || bail "pool"
check "calicoctl node on h1" mh_node_start h1 >/dev/null || bail "node h1"
check "calicoctl node on h2" mh_node_start h2 >/dev/null || bail "node h2"
ctl profile add pa || bail "profile"
for w in wa wb wc; do mh_workload h1 "$w" || bail "workload $w"; done
mh_workload h2 wd || bail "workload wd"
for w in wa wb wc wd; do
	mh_ctl "${MH_WL_HOST[$w]}" container "$(lab_nspath "$w")" profile set pa >/dev/null || bail "profile set $w"
done
up_count() { mh_ctl "$1" status 2>/dev/null | grep -q "Endpoints: $2 on this host, $2 up"; }
check "status: h1's 3 endpoints are up" mh_wait 15 up_count h1 3
check "status: h2's endpoint is up" mh_wait 15 up_count h2 1
A=${MH_WL_IP[wa]} B=${MH_WL_IP[wb]} C=${MH_WL_IP[wc]} D=${MH_WL_IP[wd]}
H1=$(lab_ns h1) H2=$(lab_ns h2)
ifa=$(ip -n "$H1" route show "$A" | awk '{ print $3 }')
ifb=$(ip -n "$H1" route show "$B" | awk '{ print $3 }')
vtep_ready() { [ -n "$(mac_of h1 vxlan.calico)" ] && [ -n "$(mac_of h2 vxlan.calico)" ]; }
check "both hosts have their VTEP vxlan.calico" mh_wait 10 vtep_ready
mh_matrix "before: all allowed in pa" <<EOF
wa wb allow
wa wc allow
wa wd allow
EOF

# ---- 1. forged IPv4 sources ----
lab_exec wc nft -f - <<EOF || bail "counter table in wc"
table inet lab {
	counter forged { }
	counter own { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip saddr $B counter name forged
		ip saddr $A counter name own
	}
}
EOF
ip -n "$(lab_ns wa)" addr add "$B/32" dev eth0 || bail "forged address on wa"
for p in icmp tcp udp; do
	send_from wa "$A" "$C" "$p"
	send_from wa "$B" "$C" "$p"
done
n=$(counter wc inet own)
check "control: wa's ICMP, TCP and UDP from its own address reach wc ($n)" [ "${n:-0}" -ge 3 ]
expect_eq "wa's ICMP, TCP and UDP from wb's address: none reaches wc" "$(counter wc inet forged)" 0
ip -n "$(lab_ns wa)" addr del "$B/32" dev eth0
lab_exec wc nft delete table inet lab

# ---- 2. forged ARP ----
# what reaches h1's ARP input from wa, by the address claimed
lab_exec h1 nft -f - <<EOF || bail "ARP counter table in h1"
table arp lab {
	counter victim { }
	counter gateway { }
	chain in {
		type filter hook input priority 0; policy accept;
		iifname "$ifa" arp saddr ip $B counter name victim
		iifname "$ifa" arp saddr ip 169.254.1.1 counter name gateway
	}
}
EOF
wa_mac=$(mac_of wa eth0)
neigh_on() { ip -n "$H1" -4 neigh show "$1" dev "$2"; }
forge_arp() { # claim ADDRESS every way: a request for the gateway, gratuitous request and reply
	lab_exec wa "$FORGE" arp eth0 request "$1" 169.254.1.1 &&
		lab_exec wa "$FORGE" arp eth0 request "$1" "$1" &&
		lab_exec wa "$FORGE" arp eth0 reply "$1" "$1"
}
echo "# rp_filter on wa's veth: $(lab_exec h1 cat "/proc/sys/net/ipv4/conf/$ifa/rp_filter"), all: $(lab_exec h1 cat /proc/sys/net/ipv4/conf/all/rp_filter)"
expect_eq "wa's veth has rp_filter=1 (set at attach)" "$(lab_exec h1 cat "/proc/sys/net/ipv4/conf/$ifa/rp_filter")" 1
check "wa sends ARP claiming wb's address (request, gratuitous, reply)" forge_arp "$B"
check "wa sends ARP claiming 169.254.1.1" forge_arp 169.254.1.1
check "wa sends ARP claiming a free pool address 10.65.255.254" forge_arp 10.65.255.254
check "wa sends ARP claiming h1's own address" forge_arp 172.30.0.11
sleep 0.3
arp_seen() { [ "$(counter h1 arp victim)" -ge 3 ] && [ "$(counter h1 arp gateway)" -ge 3 ]; }
check "the forged ARP frames reached h1 (victim: $(counter h1 arp victim), gateway: $(counter h1 arp gateway))" arp_seen
expect_eq "h1 has no neighbour entry for wb's address on wa's veth" "$(neigh_on "$B" "$ifa")" ""
expect_eq "... nor for 169.254.1.1 on any workload veth" "$(ip -n "$H1" -4 neigh show 169.254.1.1)" ""
expect_eq "... nor for the free pool address" "$(ip -n "$H1" -4 neigh show 10.65.255.254)" ""
check "h1's entry for wb's address (if any) is not wa's MAC" \
	bash -c '! grep -q "$0" <<<"$1"' "$wa_mac" "$(neigh_on "$B" "$ifb")"
# control: a claim for wa's own address is recorded, so the checks above could fail
ip -n "$H1" neigh flush dev "$ifa"
lab_exec wa "$FORGE" arp eth0 request "$A" 169.254.1.1
sleep 0.1
check "control: an ARP claim for wa's own address creates h1's entry on wa's veth" \
	grep -q "$wa_mac" <<<"$(neigh_on "$A" "$ifa")"
# what rp_filter prevents: with it off, the same claim for wb's address is recorded
lab_sysctl h1 "net.ipv4.conf.$ifa.rp_filter" 0
lab_exec wa "$FORGE" arp eth0 request "$B" 169.254.1.1
sleep 0.1
without=$(neigh_on "$B" "$ifa")
lab_sysctl h1 "net.ipv4.conf.$ifa.rp_filter" 1
ip -n "$H1" neigh flush dev "$ifa"
echo "# with rp_filter=0 on wa's veth, h1 recorded: ${without:-nothing}"
check "negative control: with rp_filter=0 h1 would record the claim for wb's address" grep -q "$wa_mac" <<<"$without"
lab_exec h1 nft delete table arp lab
mh_matrix "after the forged ARP: wb still reachable, from h1's workloads and from h2" <<EOF
wc wb allow
wd wb allow
wb wc allow
EOF

# ---- 3. VXLAN and IP-in-IP from a workload ----
m1=$(mac_of h1 vxlan.calico) m2=$(mac_of h2 vxlan.calico)
for w in wc wd; do
	lab_exec "$w" nft -f - <<EOF || bail "counter table in $w"
table inet lab {
	counter inner { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		udp sport 40000 udp dport 5005 counter name inner
	}
}
EOF
done
# what got out of h1 at all: h2's view of the outer packets from wa; h1's
# input behind calico's table
lab_exec h2 nft -f - <<EOF || bail "counter table in h2"
table inet lab {
	counter outer { }
	counter ipip { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip saddr $A udp dport 4789 counter name outer
		ip protocol 4 counter name ipip
	}
}
EOF
lab_exec h1 nft -f - <<EOF || bail "counter table in h1"
table inet lab {
	counter encap { }
	chain in {
		type filter hook input priority filter + 10; policy accept;
		iifname "$ifa" udp dport 4789 counter name encap
		iifname "$ifa" meta l4proto 4 counter name encap
	}
}
EOF
check "wa sends VXLAN to h2's VTEP: inner wb -> wd" lab_exec wa "$FORGE" vxlan 172.30.0.12 "$m2" "$B" "$D" 5005
check "wa sends VXLAN to h1's VTEP: inner wb -> wc" lab_exec wa "$FORGE" vxlan 172.30.0.11 "$m1" "$B" "$C" 5005
check "wa sends VXLAN to h2's VTEP: inner from its own address" lab_exec wa "$FORGE" vxlan 172.30.0.12 "$m2" "$A" "$D" 5005
check "wa sends IP-in-IP to h2: inner wb -> wd" lab_exec wa "$FORGE" ipip 172.30.0.12 "$B" "$D" 5005
check "wa sends IP-in-IP to h1: inner wb -> wc" lab_exec wa "$FORGE" ipip 172.30.0.11 "$B" "$C" 5005
sleep 0.3
expect_eq "no forged VXLAN or IP-in-IP reached h1's input" "$(counter h1 inet encap)" 0
expect_eq "none of wa's VXLAN datagrams reached h2" "$(counter h2 inet outer)" 0
expect_eq "no IP-in-IP packet reached h2" "$(counter h2 inet ipip)" 0
expect_eq "no inner packet reached wc" "$(counter wc inet inner)" 0
expect_eq "no inner packet reached wd" "$(counter wd inet inner)" 0
# controls: the datagram is well formed (h2 decapsulates and delivers it when
# the host sends it), and a kernel without ipip drops IP-in-IP anyway
check "control: the same VXLAN datagram sent by h1 is delivered to wd" \
	lab_exec h1 "$FORGE" vxlan 172.30.0.12 "$m2" "$B" "$D" 5005
lab_exec h1 "$FORGE" ipip 172.30.0.12 "$B" "$D" 5005
sleep 0.3
expect_eq "control: wd got the host's VXLAN inner packet" "$(counter wd inet inner)" 1
if ip -n "$H2" link add secipip type ipip 2>/dev/null; then
	ip -n "$H2" link del secipip
	echo "# this kernel has ipip: the IP-in-IP control below is not about a missing module"
fi
check "control: h1's IP-in-IP packet reached h2 ($(counter h2 inet ipip))" [ "$(counter h2 inet ipip)" -ge 1 ]
expect_eq "control: ... and its inner packet was not delivered to wd" "$(counter wd inet inner)" 1
for n in wc wd h1 h2; do lab_exec "$n" nft delete table inet lab; done

# ---- 4. the host, as DefaultEndpointToHostAction allows ----
lab_tcp_server h1 8080 && lab_udp_echo h1 5005 && lab_tcp_server h2 8080 && lab_udp_echo h2 5005 || bail "servers on the hosts"
host_action() {
	local want=$1
	ctl config felix DefaultEndpointToHostAction "$want" || { fail "config felix DefaultEndpointToHostAction $want"; return; }
	if [ "$want" = DROP ]; then probe() { ! lab_tcp wa 172.30.0.11 8080; }; else probe() { lab_tcp wa 172.30.0.11 8080; }; fi
	check "DefaultEndpointToHostAction $want programmed" mh_wait 10 probe
}
host_action DROP
mh_matrix "DROP" <<EOF
wa 172.30.0.11 deny
wd 172.30.0.12 deny
EOF
# an address on lo (a router id, a service address) is the host too; only for
# a while: h1's UDP replies would take it as their source
ip -n "$H1" addr add 10.99.0.1/32 dev lo || bail "address on h1's lo"
denied "DROP: wa -> h1's address on lo, icmp" lab_ping wa 10.99.0.1
denied "DROP: wa -> h1's address on lo, tcp" lab_tcp wa 10.99.0.1 8080
ip -n "$H1" addr del 10.99.0.1/32 dev lo
denied "DROP: wa cannot open a TCP connection to h1's BIRD (179)" tcp_open wa 172.30.0.11 179
check "DROP: h1 still pings wa (the replies are its own connection's)" lab_ping h1 "$A"
check "DROP: h1 still connects to wa's TCP server" lab_tcp h1 "$A" 8080
host_action RETURN
mh_matrix "RETURN, the host has no rules of its own" <<EOF
wa 172.30.0.11 allow
wd 172.30.0.12 allow
EOF
check "RETURN: wa reaches h1's BIRD port (BIRD itself refuses non-peers)" tcp_open wa 172.30.0.11 179
lab_exec h1 nft -f - <<EOF || bail "host rule in h1"
table inet lab {
	chain in {
		type filter hook input priority filter + 10; policy accept;
		iifname "cali*" tcp dport 8080 drop
	}
}
EOF
denied "RETURN: the host's own rule decides (its tcp 8080 drop is obeyed)" lab_tcp wa 172.30.0.11 8080
check "RETURN: ... and what it does not drop passes (udp)" lab_udp wa 172.30.0.11 5005
lab_exec h1 nft delete table inet lab

# ---- 6. who can write the datastore file and the libnetwork socket ----
# A directory everyone may enter, so that only the files' own modes decide;
# the plugin and calicoctl run under umask 000, the worst a caller can give.
chmod 711 "$LAB_TMP" && SEC=$LAB_TMP/sec && mkdir -p "$SEC/state" "$SEC/run" "$SEC/log" "$SEC/pwn" && chmod -R 755 "$SEC" ||
	bail "directory for the file-mode checks"
chmod 777 "$SEC/pwn"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
SOCK=$SEC/plugins/calico.sock DB=$SEC/state/calico.db
SEC_ENV=(CALICO_DATASTORE="sqlite:$DB" CALICO_RUN_DIR="$SEC/run" CALICO_LOG_DIR="$SEC/log" CALICO_STATE_DIR="$SEC/state" HOSTNAME=h1)
lab_exec h1 env "${SEC_ENV[@]}" sh -c 'umask 000; exec "$@"' sh "$MH_CTL" profile add pb >/dev/null ||
	bail "calicoctl on a fresh datastore"
expect_eq "calicoctl under umask 000 creates the SQLite file 0600 root" "$(stat -c '%a %U' "$DB")" "600 root"
lab_spawn h1 env "${SEC_ENV[@]}" sh -c 'umask 000; log=$1; shift; exec "$@" 2>>"$log"' sh "$SEC/log/calico-libnetwork.err" \
	"$CALICO_BUILD/calico-libnetwork" \
	--socket "$SOCK" --docker-socket "$SEC/no-docker.sock"
LNW_PID=$LAB_LAST_PID
check "calico-libnetwork serves on its socket" mh_wait 10 test -S "$SOCK"
expect_eq "the libnetwork socket is 0660 root (umask 000)" "$(stat -c '%a %U' "$SOCK")" "660 root"
activate() { "$@" curl -sf --max-time 2 --unix-socket "$SOCK" -X POST http://plugin/Plugin.Activate 2>/dev/null; }
answers() { activate "$@" | grep -q NetworkDriver; }
check "control: root talks to the plugin" answers
wal_shm=""
for f in "$DB-wal" "$DB-shm"; do [ -e "$f" ] && wal_shm+=" ${f##*-}=$(stat -c %a "$f")"; done
echo "# while calico-libnetwork holds the datastore:${wal_shm:- no -wal/-shm file}"
expect_eq "the datastore's -wal and -shm files are 0600 too" "$(stat -c %a "$DB" "$DB-wal" "$DB-shm" 2>/dev/null | sort -u)" 600
echo readable >"$SEC/control" && chmod 644 "$SEC/control"
reads_control() { [ "$(nobody cat "$SEC/control")" = readable ]; }
check "control: user 65534 reaches files in that directory" reads_control
denied "user 65534 cannot connect to the libnetwork socket" answers nobody
denied "user 65534 cannot write the datastore file" nobody sh -c 'echo x 2>/dev/null >>"$0"' "$DB"
denied "... nor read it" nobody sh -c 'cat "$0" 2>/dev/null' "$DB"
denied "... nor write its -wal or -shm file" nobody sh -c '{ echo x >>"$0" || echo x >>"$1"; } 2>/dev/null' "$DB-wal" "$DB-shm"
check "control: user 65534 can run /usr/bin/python3 with sqlite3" nobody /usr/bin/python3 -c 'import sqlite3'
denied "... nor change it through SQLite" nobody /usr/bin/python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM kv"); c.commit()' "$DB" 2>/dev/null
check "the datastore still holds profile pb" bash -c "env ${SEC_ENV[*]} '$MH_CTL' profile show | grep -qw pb"

# ---- 7. no user-supplied string reaches a shell ----
# Every exec in the tree passes an argv (no system, popen or sh -c); these
# strings would each leave a file in $SEC/pwn if a shell ever saw them.
M=$SEC/pwn
# Every tool runs in $M, so the payloads need no '/' (which some names refuse
# for that reason alone).
PAYLOADS=('$(touch dollar)' '`touch backtick`' 'x;touch semicolon' 'x|touch pipe' 'x&&touch and' '$(touch${IFS}ifs)')
pwned() { ls -A "$M"; }
NOTES=$SEC/outcomes.txt
# note WHAT RC OUTPUT: one line per attempt in $NOTES, shown when a check fails
note() { if [ "$2" -eq 0 ]; then echo "# $1: taken literally"; else echo "# $1: refused: $(head -n 1 <<<"$3" | head -c 200)"; fi >>"$NOTES"; }
cd "$M" || bail "cd $M"
# the CNI plugin, IPAM plugins looked up in CNI_PATH only; a script one level up would be an escape
CNIBIN=$SEC/cni && mkdir -p "$CNIBIN" && ln -s "$CALICO_BUILD/calico-ipam" "$CNIBIN/calico-ipam"
printf '#!/bin/sh\ntouch %s/escaped\necho "{}"\n' "$M" >"$SEC/evil" && chmod 755 "$SEC/evil"
lab_workload_ns wcni || bail "namespace for CNI"
cni() { # CMD CONTAINERID IFNAME NAME IPAM_TYPE: RC and OUT
	local cfg
	cfg=$(jq -nc --arg n "$4" --arg t "$5" '{cniVersion:"0.4.0",name:$n,type:"calico",nodename:"h1",ipam:{type:$t}}')
	OUT=$(printf '%s' "$cfg" | lab_exec h1 env "${SEC_ENV[@]}" CNI_COMMAND="$1" CNI_CONTAINERID="$2" \
		CNI_NETNS="$(lab_nspath wcni)" CNI_IFNAME="$3" CNI_PATH="$CNIBIN" CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAME=$2" \
		"$CALICO_BUILD/calico" 2>&1)
	RC=$?
}
lab_exec h1 env "${SEC_ENV[@]}" "$MH_CTL" pool add 10.66.0.0/16 >/dev/null || bail "pool for CNI"
for p in "${PAYLOADS[@]}"; do
	for what in containerid ifname name ipam; do
		case $what in
		containerid) cni ADD "$p" eth0 net1 calico-ipam ;;
		ifname) cni ADD c1 "$p" net1 calico-ipam ;;
		name) cni ADD c1 eth0 "$p" calico-ipam ;;
		ipam) cni ADD c1 eth0 net1 "$p" ;;
		esac
		note "CNI $what='$p'" "$RC" "$OUT"
		[ "$RC" -eq 0 ] && case $what in
			containerid) cni DEL "$p" eth0 net1 calico-ipam ;;
			*) cni DEL c1 eth0 net1 calico-ipam ;;
			esac
	done
done
expect_eq "CNI: container id, CNI_IFNAME, network name, ipam.type with shell metacharacters: no file appeared" "$(pwned)" ""
for t in ../evil "$SEC/evil" .. . "evil/../calico-ipam"; do
	cni ADD c2 eth0 net1 "$t"
	if [ "$RC" -ne 0 ] && [ -z "$(pwned)" ]; then ok "CNI: ipam.type '$t' does not escape CNI_PATH ($(jq -r .msg <<<"$OUT"))"
	else fail "CNI: ipam.type '$t' does not escape CNI_PATH"; echo "#   rc=$RC out=$OUT pwn: $(pwned)"; fi
done
expect_eq "CNI: nothing left on h1 (no cali link)" "$(ip -n "$H1" -o link | grep -c ": cali")" 3
# calicoctl
for p in "${PAYLOADS[@]}"; do
	for args in "profile add" "pool add" "container add $(lab_nspath wcni)"; do
		# shellcheck disable=SC2086 # args is words on purpose
		out=$(lab_exec h1 env "${SEC_ENV[@]}" "$MH_CTL" $args "$p" 2>&1); rc=$?
		note "calicoctl $args '$p'" "$rc" "$out"
	done
	out=$(lab_exec h1 env "${SEC_ENV[@]}" "$MH_CTL" diags --log-dir="$p" 2>&1); rc=$?
	rm -f "$(sed -nE 's/^Diags saved to ([^ ]+\.tar\.gz).*/\1/p' <<<"$out")"
	note "calicoctl diags --log-dir='$p'" "$rc" "$out"
	out=$(lab_exec h1 env "${SEC_ENV[@]}" HOSTNAME="$p" "$MH_CTL" container add "$(lab_nspath wcni)" ipv4 2>&1); rc=$?
	note "calicoctl container add with HOSTNAME='$p'" "$rc" "$out"
	[ "$rc" -eq 0 ] && lab_exec h1 env "${SEC_ENV[@]}" HOSTNAME="$p" "$MH_CTL" container remove "$(lab_nspath wcni)" >/dev/null
done
expect_eq "calicoctl: profile, pool, container add, diags --log-dir, HOSTNAME with shell metacharacters: no file appeared" "$(pwned)" ""
# the net-modules hook and the libnetwork plugin
for p in "${PAYLOADS[@]}"; do
	req=$(jq -nc --arg p "$p" '{command:"allocate",args:{hostname:"h1",uid:$p,num_ipv4:1,netgroups:["pb"],labels:[]}}')
	ans=$(lab_exec h1 env "${SEC_ENV[@]}" "$CALICO_BUILD/mesos_caller" -e "$CALICO_BUILD/calico_mesos" "$req" 2>/dev/null)
	echo "# calico_mesos allocate uid='$p': error $ans" >>"$NOTES"
	lab_exec h1 env "${SEC_ENV[@]}" "$CALICO_BUILD/mesos_caller" "$CALICO_BUILD/calico_mesos" \
		"$(jq -nc --arg p "$p" '{command:"release",args:{uid:$p}}')" >/dev/null 2>&1
	for req in "$(jq -nc --arg p "$p" '{command:"allocate",args:{hostname:$p,uid:"u1",num_ipv4:1,netgroups:[$p]}}')" \
		"$(jq -nc --arg p "$p" '{command:"isolate",args:{hostname:"h1",container_id:$p,pid:1,ipv4_addrs:["10.66.0.9"],netgroups:["pb"]}}')"; do
		ans=$(lab_exec h1 env "${SEC_ENV[@]}" "$CALICO_BUILD/mesos_caller" -e "$CALICO_BUILD/calico_mesos" "$req" 2>/dev/null)
		echo "# calico_mesos $(jq -r .command <<<"$req") '$p': error $ans" >>"$NOTES"
	done
	for call in "NetworkDriver.CreateNetwork:{\"NetworkID\":$(jq -n --arg p "$p" '$p'),\"Options\":{},\"IPv4Data\":[]}" \
		"IpamDriver.RequestPool:{\"AddressSpace\":$(jq -n --arg p "$p" '$p'),\"Pool\":\"\",\"Options\":{},\"V6\":false}" \
		"NetworkDriver.CreateEndpoint:{\"NetworkID\":\"n1\",\"EndpointID\":$(jq -n --arg p "$p" '$p'),\"Interface\":{\"Address\":\"10.66.0.7/32\"}}"; do
		ans=$(curl -s --max-time 5 --unix-socket "$SOCK" -X POST "http://plugin/${call%%:*}" -d "${call#*:}")
		echo "# libnetwork ${call%%:*} with '$p': $(head -c 200 <<<"$ans")" >>"$NOTES"
	done
done
expect_eq "calico_mesos (uid, hostname, netgroups, container_id) and calico-libnetwork (NetworkID, AddressSpace, EndpointID): no file appeared" "$(pwned)" ""
check "calico-libnetwork still serves" answers
cd "$here" || true
echo "# $(grep -c refused "$NOTES") attempts refused, $(grep -c 'taken literally' "$NOTES") taken literally, $(grep -c 'error null' "$NOTES") hook answers without error (all in $NOTES while running)"
[ "$TAP_FAILED" -eq 0 ] && [ -z "${SEC_VERBOSE:-}" ] || cat "$NOTES"
kill "$LNW_PID" 2>/dev/null && wait "$LNW_PID" 2>/dev/null
check "no sanitizer report from the plugins and calicoctl" bash -c "! grep -rlE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '$SEC/log' 2>/dev/null | grep -q ."

mh_finish
[ "$TAP_FAILED" -eq 0 ] || mh_dump_logs 20
tap_done
