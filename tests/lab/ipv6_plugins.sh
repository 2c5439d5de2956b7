#!/usr/bin/env bash
# IPv6 and dual stack through every plugin on one host: calicoctl container
# (ipv6, exact, pool CIDR, ip add), CNI calico + calico-ipam with
# assign_ipv4 + assign_ipv6 (0.2.0 ip4 + ip6, 1.0.0 ips[]; ipv6_pools), and
# the Mesos net-modules hook (allocate num_ipv4: 1, num_ipv6: 1, isolate,
# release, cleanup). Each with real traffic in both families between
# workloads of one profile and the same verdict (denied) in both families
# across profiles, and nothing left behind.
#
#   fabric -- h1 (172.30.0.11, fd00:172:30::11; calico-node) -- cali.. <-> workload namespaces / tasks
#
# What IPv6 needs in the host namespace (compare LAB-NOTES §3.4, where proxy
# ARP for 169.254.1.1 needed a host route covering it): nothing beyond
# forwarding (lab_host_add sets net.ipv6.conf.all.forwarding=1). The
# workloads' IPv6 gateway fe80::ecee:eeff:feee:eeee is not proxied: it is
# the host veth's own link-local address (EUI-64 of ee:ee:ee:ee:ee:ee), so the
# host answers the neighbour solicitation for it itself, and replies go back
# by the /128 route to cali*. No IPv6 default route and no global IPv6
# address are needed on the host (the suite checks that, before it gives h1
# fd00:172:30::11 for the Mesos host profile). proxy_ndp=1 on cali* is set as
# Calico sets it, but plays no part in same-host traffic.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v jq >/dev/null || ! command -v nft >/dev/null ||
	[ ! -x "${CALICO_BUILD:-}/calico" ] || [ ! -x "$CALICO_BUILD/calico-ipam" ] ||
	[ ! -x "$CALICO_BUILD/calico_mesos" ] || [ ! -x "$CALICO_BUILD/calico-node" ]; then
	echo "1..0 # SKIP needs root, jq, nft, calico-node and the plugins"
	exit 0
fi
. "$here/../lib/netns.sh"
export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db"
. "$here/../lib/agent.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
export HOSTNAME=h1
CTL="$CALICO_BUILD/calicoctl"
HOOK="$CALICO_BUILD/calico_mesos"
CALLER="$CALICO_BUILD/mesos_caller"
CNIBIN="$LAB_TMP/cni-bin"
GW6=fe80::ecee:eeff:feee:eeee
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
mkdir -p "$CNIBIN"
ln -s "$CALICO_BUILD/calico" "$CNIBIN/calico"
ln -s "$CALICO_BUILD/calico-ipam" "$CNIBIN/calico-ipam"

# ---- helpers ----
# every plugin's and calicoctl's stderr is kept in stderr.log for the sanitizer check at the end
run() { OUT=$("$@" 2>"$LAB_TMP/err"); RC=$?; ERR=$(head -n 1 "$LAB_TMP/err"); cat "$LAB_TMP/err" >>"$LAB_TMP/stderr.log"; }
ctl() { lab_exec h1 "$CTL" "$@"; }
q() { "$@" >/dev/null 2>&1; }
contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
expect_contains() { if contains "$2" "$3"; then ok "$1"; else fail "$1"; printf '#   got:  %s\n#   want: *%s*\n' "$2" "$3"; fi; }
cali_links() { ip -n "$(lab_ns h1)" -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^cali' | sort | tr '\n' ' '; }
assigned() { "$CTL" ipam info "$1" >/dev/null 2>&1; }
# none_assigned IP...: IPAM holds none of them
none_assigned() { local ip; for ip in "$@"; do ! assigned "$ip" || { echo "# $ip is still assigned"; return 1; }; done; }
# ns_addrs NS FAMILY: the global addresses on eth0, sorted (ADDR/PREFIX)
ns_addrs() { ip -n "$(lab_ns "$1")" "-$2" -o addr show dev eth0 scope global | awk '{print $4}' | LC_ALL=C sort | tr '\n' ' '; }
ns_default() { ip -n "$(lab_ns "$1")" "-$2" route show default | awk '{print $1, $2, $3, $4, $5}'; }
h1_route() { ip -n "$(lab_ns h1)" "-$1" route show "$2" proto 80; }
# ping (one echo) and TCP 8080, either family; a first packet may wait for neighbour discovery: 3 tries
reach() { lab_ping "$1" "$2" && lab_tcp "$1" "$2" 8080; }
allowed() { local d=$1 _; shift; for _ in 1 2 3; do "$@" && { ok "$d"; return; }; done; fail "$d"; }
denied() { local d=$1; shift; if "$@"; then fail "$d"; else ok "$d"; fi; }
# status_up ORCH WORKLOAD: calico-node reported the workload's endpoint programmed
status_up() { "$DSTOOL" list "/calico/felix/v1/host/h1/workload/$1/$2/" | grep -q '"up"'; }
# serve NAME: a TCP server on 8080 (both families) inside the workload namespace
serve() { lab_tcp_server "$1" 8080; }
# expect_refused NAME FIRST_STDERR_LINE CMD...: exit 1, that line, no datastore write, no new cali*
expect_refused() {
	local name=$1 want=$2 rev0 links0; shift 2
	rev0=$("$DSTOOL" rev); links0=$(cali_links)
	run "$@"
	if [ "$RC" -eq 1 ] && [ "$ERR" = "$want" ] && [ "$("$DSTOOL" rev)" = "$rev0" ] && [ "$(cali_links)" = "$links0" ]; then
		ok "$name"
	else
		fail "$name"; printf '#   rc=%s stderr: %s\n#   want: %s\n' "$RC" "$ERR" "$want"
	fi
}

# ---- the lab ----
lab_fabric_add && lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
AGENT_HOST=h1
"$DSTOOL" put /calico/v1/Ready true
"$CTL" pool add 10.75.0.0/16 >/dev/null || echo "# pool add failed"
# As Calico's node sets it for Mesos: a workload's traffic to its own host is
# up to its profiles (the Mesos tasks' default_h1 admits it).
"$DSTOOL" put /calico/v1/config/DefaultEndpointToHostAction RETURN
lab_workload_ns c0
expect_refused "calicoctl container add ipv6 without an IPv6 pool" \
	'No IPv6 pool is configured; add one with "calicoctl pool add".' ctl container add "$(lab_nspath c0)" ipv6
"$CTL" pool add fd00:75::/64 fd00:76::/122 >/dev/null || echo "# pool add failed"
expect_eq "h1 has no global IPv6 address and no IPv6 route but the kernel's" \
	"$(ip -n "$(lab_ns h1)" -6 -o addr show scope global | wc -l) $(ip -n "$(lab_ns h1)" -6 route show | grep -vc '^fe80::/64\|^multicast\|^ff00::/8')" "0 0"
agent_start h1
check "calico-node ready in h1" agent_wait_ready 15

# ============ calicoctl container ============
for c in c1 c2 c3; do lab_workload_ns $c && serve $c; done
C1=$(lab_nspath c1) C2=$(lab_nspath c2) C3=$(lab_nspath c3)
run ctl container add "$C1" ipv6
check "container add ipv6" contains "$OUT" "added to $C1"
C1_V6=$(awk '{print $2}' <<<"$OUT")
check "... an address of an IPv6 pool ($C1_V6)" contains "$C1_V6" "fd00:7"
expect_eq "... c1 has it as a /128 and no IPv4 address" "$(ns_addrs c1 6)|$(ns_addrs c1 4)" "$C1_V6/128 |"
expect_eq "... c1's IPv6 default route via the host veth's link-local" "$(ns_default c1 6)" "default via $GW6 dev eth0"
REC=$("$DSTOOL" list "/calico/v1/host/h1/workload/calicoctl/$(lab_ns c1)/endpoint/" | cut -f2)
IF1=$(jq -r .name <<<"$REC")
expect_eq "... the record: ipv6_nets only" "$(jq -c '[.ipv4_nets, .ipv6_nets]' <<<"$REC")" "[[],[\"$C1_V6/128\"]]"
expect_contains "... h1 routes the /128 to $IF1" "$(h1_route 6 "$C1_V6")" "$C1_V6 dev $IF1"
expect_eq "... $IF1: proxy_ndp 1, accept_ra 0, forwarding 1" \
	"$(lab_exec h1 cat /proc/sys/net/ipv6/conf/"$IF1"/{proxy_ndp,accept_ra,forwarding} | tr '\n' ' ')" "1 0 1 "
expect_contains "... $IF1 has the link-local that is c1's gateway" "$(ip -n "$(lab_ns h1)" -6 -o addr show dev "$IF1")" "$GW6/64"
run ctl container "$C1" ip add ipv4
check "container ip add ipv4 makes c1 dual stack" contains "$OUT" "added to $C1"
C1_V4=$(awk '{print $2}' <<<"$OUT")
expect_eq "... c1 has both" "$(ns_addrs c1 4)|$(ns_addrs c1 6)" "$C1_V4/32 |$C1_V6/128 "
expect_eq "... and both default routes" "$(ns_default c1 4)|$(ns_default c1 6)" "default via 169.254.1.1 dev eth0|default via $GW6 dev eth0"
run ctl container add "$C2" fd00:76::/122
check "container add with an IPv6 pool's CIDR" contains "$OUT" "added to $C2"
C2_V6=$(awk '{print $2}' <<<"$OUT")
check "... from that pool ($C2_V6)" contains "$C2_V6" "fd00:76::"
run ctl container "$C2" ip add 10.75.9.9
expect_eq "container ip add of an exact IPv4 address to an IPv6 container" "$OUT" "IP 10.75.9.9 added to $C2"
run ctl container add "$C3" fd00:75::3
expect_eq "container add with an exact IPv6 address" "$OUT" "IP fd00:75::3 added to $C3"
run ctl container "$C3" ip add fd00:75::33
expect_eq "container ip add of a second IPv6 address" "$OUT" "IP fd00:75::33 added to $C3"
expect_eq "... c3 has both /128s" "$(ns_addrs c3 6)" "fd00:75::3/128 fd00:75::33/128 "
expect_refused "IPv6 address outside every pool" "fd00:99::1 is not in any configured pool" \
	ctl container add "$(lab_nspath c0)" fd00:99::1
expect_refused "IPv6 address in use" "IP address fd00:75::3 is already in use." ctl container "$C1" ip add fd00:75::3
expect_refused "IPv6 address already on the container" "IP fd00:75::33 is already assigned to $C3." \
	ctl container "$C3" ip add fd00:75::33
run ctl container "$C3" ip remove fd00:75::33
expect_eq "container ip remove of an IPv6 address" "$OUT" "IP fd00:75::33 removed from $C3"
expect_eq "... gone from c3 and from h1's routes" "$(ns_addrs c3 6)|$(h1_route 6 fd00:75::33)" "fd00:75::3/128 |"
check "... released" none_assigned fd00:75::33
run ctl container "$C1" endpoint show
expect_contains "container endpoint show lists both families" "$OUT" "| $C1_V4/32,$C1_V6/128 |"
run "$CTL" endpoint show --detailed --orchestrator=calicoctl --workload="$(lab_ns c2)"
expect_contains "endpoint show --detailed: c2's IPv4 then IPv6 address" "$OUT" "| 10.75.9.9/32,$C2_V6/128 |"
run "$CTL" ipam info "$C1_V6"
expect_contains "ipam info of c1's IPv6 address" "$OUT" "IP $C1_V6 is in use with attributes: {"
"$CTL" profile add dual >/dev/null && "$CTL" profile add other >/dev/null
ctl container "$C1" profile set dual >/dev/null && ctl container "$C2" profile set dual >/dev/null &&
	ctl container "$C3" profile set other >/dev/null
for c in c1 c2 c3; do
	check "calico-node programmed $c" agent_until 10 status_up calicoctl "$(lab_ns $c)"
done
allowed "same profile, IPv6: c1 -> c2 at $C2_V6" reach c1 "$C2_V6"
allowed "same profile, IPv6: c2 -> c1 at $C1_V6" reach c2 "$C1_V6"
allowed "same profile, IPv4: c2 -> c1 at $C1_V4" reach c2 "$C1_V4"
allowed "same profile, IPv4: c1 -> c2 at 10.75.9.9" reach c1 10.75.9.9
denied "other profile, IPv6: c3 -> c1 (TCP)" lab_tcp c3 "$C1_V6" 8080
denied "other profile, IPv6: c3 -> c1 (ping)" lab_ping c3 "$C1_V6"
denied "other profile, IPv4: c3 -> c1 (TCP)" lab_tcp c3 "$C1_V4" 8080
denied "other profile, IPv6: c1 -> c3 (TCP)" lab_tcp c1 fd00:75::3 8080
for c in c1 c2 c3; do
	run ctl container remove "$(lab_nspath $c)"
	expect_eq "container remove $c" "$OUT" "Removed Calico from $(lab_nspath $c)"
done
check "... every address released (both families)" none_assigned "$C1_V6" "$C1_V4" "$C2_V6" 10.75.9.9 fd00:75::3
expect_eq "... no calicoctl endpoint, no cali*, no /128 route in h1" \
	"$("$DSTOOL" count /calico/v1/host/h1/workload/calicoctl/)|$(cali_links)|$(ip -n "$(lab_ns h1)" -6 route show proto 80)" "0||"

# ============ CNI: calico + calico-ipam, dual stack ============
# conf VERSION NETWORK [IPAM_EXTRA_JSON]: a dual-stack network config
conf() {
	jq -nc --arg v "$1" --arg n "$2" --argjson x "${3:-"{}"}" \
		'{cniVersion:$v,name:$n,type:"calico",nodename:"h1",policy_setup_timeout_seconds:10,
		  ipam:({type:"calico-ipam",assign_ipv4:"true",assign_ipv6:"true"} + $x)}'
}
# cni CMD NS CONFIG: the plugin inside h1, container id = NS's name
cni() {
	OUT=$(printf '%s' "$3" | lab_exec h1 env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$(lab_nspath "$2")" \
		CNI_IFNAME=eth0 CNI_PATH="$CNIBIN" "$CALICO_BUILD/calico" 2>"$LAB_TMP/err")
	RC=$?
	ERR=$(cat "$LAB_TMP/err")
	cat "$LAB_TMP/err" >>"$LAB_TMP/stderr.log"
}
jqo() { jq -r "$1" <<<"$OUT" 2>/dev/null; }
handle_count() { "$DSTOOL" count "/calico/ipam/v2/handle/$1.$2"; }

for k in k1 k2 k3 k4 k5; do lab_workload_ns $k && serve $k; done
cni ADD k1 "$(conf 0.2.0 dsnet)"
check "0.2.0 ADD dual stack exits 0" [ "$RC" -eq 0 ]
K1_V4=$(jqo .ip4.ip | sed 's#/.*##') K1_V6=$(jqo .ip6.ip | sed 's#/.*##')
check "0.2.0: ip4 = {ip /32, gateway 169.254.1.1, routes 0.0.0.0/0 via it}" q jq -e '
	(.ip4.ip | test("^10\\.75\\.[0-9.]+/32$")) and .ip4.gateway == "169.254.1.1"
	and .ip4.routes == [{"dst":"0.0.0.0/0","gw":"169.254.1.1"}]' <<<"$OUT"
check "0.2.0: ip6 = {ip /128, gateway $GW6, routes ::/0 via it}" q jq -e --arg gw "$GW6" '
	(.ip6.ip | test("^fd00:7[56]:[0-9a-f:]+/128$")) and .ip6.gateway == $gw and .ip6.routes == [{"dst":"::/0","gw":$gw}]' <<<"$OUT"
check "0.2.0: nothing of the later shapes (ips, interfaces)" q jq -e '(has("ips") or has("interfaces")) | not' <<<"$OUT"
# The host side's link-local is k1's IPv6 gateway: when ADD returns it must
# answer already, not be tentative (in duplicate address detection, ~1 s).
K1_IF=$(jq -r '.name' <<<"$("$DSTOOL" list /calico/v1/host/h1/workload/cni/k1/ | cut -f2)")
expect_eq "when ADD returns, $GW6 on $K1_IF is usable (not tentative)" \
	"$(ip -n "$(lab_ns h1)" -6 -o addr show dev "$K1_IF" | grep -o "$GW6/64 scope link[a-z ]*" | sed 's/ *$//')" "$GW6/64 scope link"
cni ADD k2 "$(conf 1.0.0 dsnet)"
check "1.0.0 ADD dual stack exits 0" [ "$RC" -eq 0 ]
K2_V4=$(jqo '.ips[] | select(.address | contains(".")) | .address' | sed 's#/.*##')
K2_V6=$(jqo '.ips[] | select(.address | contains(":")) | .address' | sed 's#/.*##')
check "1.0.0: ips[] holds one /32 and one /128, each on interface 1 = eth0 in the sandbox, with its gateway" q jq -e \
	--arg p "$(lab_nspath k2)" --arg gw "$GW6" '(.ips | length) == 2 and all(.ips[]; .interface == 1 and (has("version") | not))
	and ([.ips[] | select(.address | endswith("/32")) | .gateway] == ["169.254.1.1"])
	and ([.ips[] | select(.address | endswith("/128")) | .gateway] == [$gw])
	and .interfaces[1].name == "eth0" and .interfaces[1].sandbox == $p and (.interfaces[0].name | startswith("cali"))' <<<"$OUT"
check "right after ADD, with no retry, the first IPv6 packet k2 -> k1 passes" lab_tcp k2 "$K1_V6" 8080
check "1.0.0: routes 0.0.0.0/0 and ::/0" q jq -e --arg gw "$GW6" \
	'.routes == [{"dst":"0.0.0.0/0","gw":"169.254.1.1"},{"dst":"::/0","gw":$gw}]' <<<"$OUT"
for k in k1 k2; do
	v4=K${k#k}_V4 v6=K${k#k}_V6
	expect_eq "$k really has both addresses" "$(ns_addrs $k 4)|$(ns_addrs $k 6)" "${!v4}/32 |${!v6}/128 "
	expect_eq "$k has both default routes" "$(ns_default $k 4)|$(ns_default $k 6)" \
		"default via 169.254.1.1 dev eth0|default via $GW6 dev eth0"
	expect_eq "$k's endpoint record holds both" \
		"$("$DSTOOL" list "/calico/v1/host/h1/workload/cni/$k/" | cut -f2 | jq -c '[.ipv4_nets, .ipv6_nets]')" \
		"[[\"${!v4}/32\"],[\"${!v6}/128\"]]"
done
cni ADD k3 "$(conf 1.0.0 othernet)"
check "1.0.0 ADD on another network" [ "$RC" -eq 0 ]
K3_V4=$(jqo '.ips[0].address' | sed 's#/.*##') K3_V6=$(jqo '.ips[1].address' | sed 's#/.*##')
allowed "same network, IPv6: k1 -> k2" reach k1 "$K2_V6"
allowed "same network, IPv6: k2 -> k1" reach k2 "$K1_V6"
allowed "same network, IPv4: k1 -> k2" reach k1 "$K2_V4"
allowed "same network, IPv4: k2 -> k1" reach k2 "$K1_V4"
denied "other network, IPv6: k3 -> k1 (TCP)" lab_tcp k3 "$K1_V6" 8080
denied "other network, IPv6: k3 -> k1 (ping)" lab_ping k3 "$K1_V6"
denied "other network, IPv4: k3 -> k1 (TCP)" lab_tcp k3 "$K1_V4" 8080
denied "other network, IPv4: k3 -> k1 (ping)" lab_ping k3 "$K1_V4"
denied "other network, IPv6: k1 -> k3 (TCP)" lab_tcp k1 "$K3_V6" 8080
denied "other network, IPv4: k1 -> k3 (TCP)" lab_tcp k1 "$K3_V4" 8080
# a workload may not send with another's IPv6 address
denied "k3 cannot reach k2 with k1's IPv6 address as source (anti-spoofing)" \
	lab_exec k3 sh -c "ip -6 addr add $K1_V6/128 dev eth0 nodad && '$LABNET' tcp-probe '$K2_V6' 8080 1000 2>/dev/null"
lab_exec k3 ip -6 addr del "$K1_V6/128" dev eth0 2>/dev/null
cni ADD k4 "$(conf 1.0.0 dsnet '{"ipv6_pools":["fd00:76::/122"],"ipv4_pools":["10.75.0.0/16"]}')"
expect_eq "ipv6_pools picks the IPv6 pool" "$RC $(jqo '.ips[1].address' | grep -c '^fd00:76::')" "0 1"
cni ADD k5 "$(conf 1.0.0 dsnet '{"assign_ipv4":"false"}')"
check "assign_ipv4 false + assign_ipv6 true: one /128, one route ::/0" q jq -e --arg gw "$GW6" \
	'(.ips | length) == 1 and (.ips[0].address | endswith("/128")) and .routes == [{"dst":"::/0","gw":$gw}]' <<<"$OUT"
K5_V6=$(jqo '.ips[0].address' | sed 's#/.*##')
expect_eq "... k5 has no IPv4 address and no IPv4 route" "$(ns_addrs k5 4)|$(ip -n "$(lab_ns k5)" -4 route)" "|"
allowed "IPv6-only k5 -> dual-stack k1 on the same network" reach k5 "$K1_V6"
lab_workload_ns k0x
cni ADD k0x "$(conf 1.0.0 dsnet '{"ipv6_pools":["fd00:99::/64"]}')"
check "ipv6_pools naming no pool: refused ($(jqo .msg))" [ "$RC" -eq 1 ] && [ -n "$(jqo .msg)" ]
expect_eq "... no address kept for it (both families), no endpoint, no veth" \
	"$(handle_count dsnet k0x)|$("$DSTOOL" count /calico/v1/host/h1/workload/cni/k0x/)|$(ip -n "$(lab_ns k0x)" -o link | grep -c eth0)" "0|0|0"
for k in k1 k2 k3 k4 k5; do
	net=dsnet; [ $k = k3 ] && net=othernet
	links0=$(cali_links)
	cni DEL $k "$(conf 1.0.0 $net)"
	expect_eq "DEL $k: exit 0, handle $net.$k empty, no endpoint, one cali* fewer" \
		"$RC|$(handle_count $net $k)|$("$DSTOOL" count /calico/v1/host/h1/workload/cni/$k/)|$(($(wc -w <<<"$links0") - $(wc -w <<<"$(cali_links)")))" "0|0|0|1"
done
check "DEL released both families' addresses" none_assigned "$K1_V4" "$K1_V6" "$K2_V4" "$K2_V6" "$K3_V4" "$K3_V6" "$K5_V6"
expect_eq "... no cali*, no /128 route left in h1" "$(cali_links)|$(ip -n "$(lab_ns h1)" -6 route show proto 80)" "|"

# ============ Mesos net-modules: allocate num_ipv4 1 + num_ipv6 1 ============
# Now h1 gets an IPv6 address on the fabric: default_h1 (the host profile of
# Mesos tasks) must admit it beside the IPv4 one.
lab_fabric_v6 && lab_host_v6 h1 fd00:172:30::11 || echo "# cannot give h1 IPv6"
lab_tcp_server h1 7070
declare -A TPID T4 T6
hook() {
	ANSWER=$(lab_exec h1 "$CALLER" "$HOOK" "$1" 2>>"$LAB_TMP/hook.log")
	CALL_RC=$?
	MERR=$(jq -r 'if .error == null then "null" else .error end' <<<"$ANSWER" 2>/dev/null)
	# (mesos_caller exits non-zero when the hook broke the isolator's protocol)
	[ "$CALL_RC" -eq 0 ] || MERR="protocol broken (mesos_caller exit $CALL_RC): $ANSWER"
}
# task NAME NETGROUP: a task (own namespace, TCP 8080 on both families), allocated 1 + 1, isolated
task() {
	local ready="$LAB_TMP/ready-$1"
	lab_spawn h1 unshare -n sh -c "exec '$LABNET' tcp-serve 8080 '$ready'"
	TPID[$1]=$LAB_LAST_PID
	lab_wait_file "$ready" || return 1
	hook "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"uid-$1\",\"num_ipv4\":1,\"num_ipv6\":1,\"netgroups\":[\"$2\"],\"labels\":[]}}"
	[ "$MERR" = null ] || { echo "# allocate $1: $ANSWER"; return 1; }
	T4[$1]=$(jq -r '.ipv4[0]' <<<"$ANSWER") T6[$1]=$(jq -r '.ipv6[0]' <<<"$ANSWER")
	[ "$(jq '(.ipv4 | length) + (.ipv6 | length)' <<<"$ANSWER")" = 2 ] || { echo "# allocate $1: $ANSWER"; return 1; }
	hook "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"ctr-$1\",\"pid\":${TPID[$1]},\"ipv4_addrs\":[\"${T4[$1]}\"],\"ipv6_addrs\":[\"${T6[$1]}\"],\"netgroups\":[\"$2\"],\"labels\":[]}}"
	[ "$MERR" = null ] || { echo "# isolate $1: $ANSWER"; return 1; }
	agent_until 10 status_up mesos "ctr-$1" || { echo "# $1 never reported up"; return 1; }
}
in_task() { local t=$1; shift; nsenter --net="/proc/${TPID[$t]}/ns/net" "$@"; }
t_tcp() { in_task "$1" "$LABNET" tcp-probe "$2" "${3:-8080}" 1000 2>/dev/null; }
t_ping() {
	local fam=-4
	case $2 in *:*) fam=-6 ;; esac
	in_task "$1" timeout 2 busybox ping "$fam" -c 1 -W 1 "$2" >/dev/null 2>&1
}
t_reach() { t_ping "$1" "$2" && t_tcp "$1" "$2"; }
check "m1 [ng1]: allocate 1 + 1, isolate" task m1 ng1
check "m2 [ng1]: allocate 1 + 1, isolate" task m2 ng1
check "m3 [ng2]: allocate 1 + 1, isolate" task m3 ng2
expect_eq "allocate answered one address of each family (${T4[m1]}, ${T6[m1]})" \
	"$(grep -c '^10\.75\.' <<<"${T4[m1]}")$(grep -c '^fd00:7[56]:' <<<"${T6[m1]}")" 11
expect_eq "m1's eth0 holds exactly both" \
	"$(in_task m1 ip -o addr show dev eth0 scope global | awk '{print $4}' | LC_ALL=C sort | tr '\n' ' ')" \
	"${T4[m1]}/32 ${T6[m1]}/128 "
expect_eq "m1's default routes in both families" \
	"$(in_task m1 ip -4 route show default | awk '{print $3}')|$(in_task m1 ip -6 route show default | awk '{print $3}')" \
	"169.254.1.1|$GW6"
expect_eq "m1's endpoint record holds both" \
	"$("$DSTOOL" list /calico/v1/host/h1/workload/mesos/ctr-m1/ | cut -f2 | jq -c '[.ipv4_nets, .ipv6_nets]')" \
	"[[\"${T4[m1]}/32\"],[\"${T6[m1]}/128\"]]"
expect_eq "default_h1 admits h1's IPv4 and IPv6 addresses" \
	"$("$DSTOOL" get /calico/v1/policy/profile/default_h1/rules | jq -c '[.inbound_rules[].src_net] | sort')" \
	'["172.30.0.11/32","fd00:172:30::11/128"]'
allowed "same netgroup, IPv6: m1 -> m2" t_reach m1 "${T6[m2]}"
allowed "same netgroup, IPv6: m2 -> m1" t_reach m2 "${T6[m1]}"
allowed "same netgroup, IPv4: m1 -> m2" t_reach m1 "${T4[m2]}"
allowed "same netgroup, IPv4: m2 -> m1" t_reach m2 "${T4[m1]}"
denied "other netgroup, IPv6: m3 -> m1 (TCP)" t_tcp m3 "${T6[m1]}"
denied "other netgroup, IPv6: m3 -> m1 (ping)" t_ping m3 "${T6[m1]}"
denied "other netgroup, IPv4: m3 -> m1 (TCP)" t_tcp m3 "${T4[m1]}"
denied "other netgroup, IPv4: m3 -> m1 (ping)" t_ping m3 "${T4[m1]}"
denied "other netgroup, IPv6: m1 -> m3 (TCP)" t_tcp m1 "${T6[m3]}"
allowed "default_h1, IPv6: m3 -> its host at fd00:172:30::11" t_tcp m3 fd00:172:30::11 7070
allowed "default_h1, IPv6: its host -> m3" lab_tcp h1 "${T6[m3]}" 8080
# the isolator's teardown: release by ips then cleanup (m2), cleanup then release by uid (m1, m3)
hook "{\"command\":\"release\",\"args\":{\"ips\":[\"${T4[m2]}\",\"${T6[m2]}\"]}}"
expect_eq "release m2 by ips (both families)" "$MERR" null
hook '{"command":"cleanup","args":{"hostname":"h1","container_id":"ctr-m2"}}'
expect_eq "cleanup m2" "$MERR" null
for m in m1 m3; do
	hook "{\"command\":\"cleanup\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"ctr-$m\"}}"
	expect_eq "cleanup $m" "$MERR" null
	hook "{\"command\":\"release\",\"args\":{\"uid\":\"uid-$m\"}}"
	expect_eq "release $m by uid" "$MERR" null
done
check "both families' addresses released" none_assigned "${T4[m1]}" "${T6[m1]}" "${T4[m2]}" "${T6[m2]}" "${T4[m3]}" "${T6[m3]}"
expect_eq "no handle, no mesos endpoint, no cali*, no /128 route left" \
	"$("$DSTOOL" count /calico/ipam/v2/handle/uid-)|$("$DSTOOL" count /calico/v1/host/h1/workload/mesos/)|$(cali_links)|$(ip -n "$(lab_ns h1)" -6 route show proto 80)" \
	"0|0||"

# ============ nothing left behind ============
expect_eq "IPAM: no address in use" "$("$CTL" ipam show | awk -F'|' '$3 ~ /block/ {s += $5} END {print s + 0}')" 0
agent_stop
expect_eq "calico-node stopped cleanly" "$?" 0
if grep -q 'ERROR: \(Address\|Leak\|Undefined\)Sanitizer\|runtime error:' "$AGENT_LOG" "$LAB_TMP/hook.log" "$LAB_TMP/stderr.log" 2>/dev/null; then
	fail "no sanitizer report from the agent or the plugins"
else
	ok "no sanitizer report from the agent or the plugins"
fi
expect_eq "root namespace's links unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" "$ROOT_LINKS"

tap_done
