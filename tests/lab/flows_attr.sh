#!/usr/bin/env bash
# Flow logs, attribution case by case (DESIGN §12, issue 18): two hosts, one
# calico-node each, real traffic, and for every connection the record that
# `calicoctl flows -o json` must show on each host, known in advance and
# checked field by field: the verdict points of each side (policy rule, Deny,
# Pass, end of tier with its trigger, profile rule, profiles' final drop,
# fail-closed, anti-spoofing), TCP, UDP and ICMP, the source's host and the
# destination's host agreeing on the counts; 1,000 identical connections as
# one record, counts against what the client's interface sent; a restart of
# an agent between two batches of traffic.
#
# FLOWS_ATTR_DEBUG=DIR keeps batch 1's records and both rulesets in DIR (and
# FLOWS_ATTR_PAUSE=SECS then leaves the lab up that long, to look around).
#
#   h1 172.30.0.11                         h2 172.30.0.12
#     a1 10.65.1.2 app=client (ns shop)      b2 10.65.2.2 app=server (ns shop), profile pserv
#        profile open                        p2 10.65.2.3 app=legacy, profile legacy (2016 rules)
#     x1 10.65.1.3 app=legacy, profile open  u2 10.65.2.9 a cali* interface without an endpoint
#   static routes between the hosts for each other's /24; one SQLite datastore
#
#   tier sec (order 10)
#     sec.guard (app in {client, server})  ingress 0 Deny TCP 7070, 1 Allow ICMP,
#                                          2 Pass TCP 8080 9090, 3 Pass UDP; egress 0 Pass
#     sec.extra (app == server)            ingress 0 Allow TCP 6161: the tier's last policy
#                                          for b2, so the trigger of its end-of-tier deny
#   tier default
#     shop/client-out (app == client)      egress 0 Allow
#     shop/web-in (app == server)          ingress 0 Allow TCP 8080, 1 Pass TCP 9090, 2 Allow UDP 5005
#   profile pserv (v3)                     ingress 0 Allow TCP 9090; egress Allow
#   profile legacy (2016 rules)            inbound 0 allow tcp 8080; outbound allow
#   profile open (2016 rules)              inbound and outbound allow
#
# Intervals: the agent restarts its countdown when FlowLogsFlushInterval
# changes, so each batch of traffic runs under a 60 s interval set just
# before it, and a 1 s interval set after it closes the batch's interval on
# both hosts at once: each batch is in exactly one interval per host.
set -u
T_START=$SECONDS
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
tap_skip_unless "needs root, nft, jq, curl, busybox, calico-node and flowgen" root cmd:nft cmd:jq cmd:curl cmd:busybox \
	"exe:${CALICO_BUILD:-}/calico-node" "exe:${CALICO_BUILD:-}/flowgen"
. "$here/../lib/netns.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db" NO_DEFAULT_POOLS=1
unset ETCD_ENDPOINTS ETCD_AUTHORITY
. "$here/../lib/multiagent.sh"
CTL=$CALICO_BUILD/calicoctl
FLOWGEN=$CALICO_BUILD/flowgen
NLTOOL=$CALICO_BUILD/nltool
diag() { echo "# $*"; }
dump_logs() {
	local h
	for h in h1 h2; do
		echo "# ---- $h's agent ----"
		tail -n 15 "$(ma_log "$h")" 2>/dev/null | sed 's/^/#   /'
	done
}
bail() { fail "$1"; dump_logs; tap_done; exit 1; }

# ---- the lab ----
lab_host_add h1 172.30.0.11 && lab_host_add h2 172.30.0.12 || bail "hosts"
ip -n "$(lab_ns h1)" route add 10.65.2.0/24 via 172.30.0.12 &&
	ip -n "$(lab_ns h2)" route add 10.65.1.0/24 via 172.30.0.11 || bail "routes between the hosts"

# wl HOST NAME IP PROFILES_JSON LABELS_JSON: a workload namespace on a veth
# cali<...> of HOST and its endpoint record (PROFILES "none": no record, so
# the agent never programs the interface)
wl() {
	local id
	id=$(printf 'ep%s0000000000000000' "$2" | cut -c1-16)
	lab_workload_ns "$2" && lab_exec "$1" "$NLTOOL" attach "$(lab_nspath "$2")" "cali${id:0:11}" eth0 0 "$3" || return 1
	[ "$4" = none ] && return 0
	"$DSTOOL" put "/calico/v1/host/$1/workload/lab/$2/endpoint/$id" \
		"{\"state\":\"active\",\"name\":\"cali${id:0:11}\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":$4,\"ipv4_nets\":[\"$3/32\"],\"ipv6_nets\":[],\"labels\":$5}" >/dev/null
}
v1_profile() { # NAME INBOUND_JSON OUTBOUND_JSON: a profile in the 2016 form
	"$DSTOOL" put "/calico/v1/policy/profile/$1/tags" '[]' >/dev/null &&
		"$DSTOOL" put "/calico/v1/policy/profile/$1/rules" "{\"inbound_rules\":$2,\"outbound_rules\":$3}" >/dev/null
}
v1_profile open '[{"action":"allow"}]' '[{"action":"allow"}]' &&
	v1_profile legacy '[{"action":"allow","protocol":"tcp","dst_ports":[8080]}]' '[{"action":"allow"}]' || bail "profiles"
wl h1 a1 10.65.1.2 '["open"]' '{"app":"client","projectcalico.org/namespace":"shop"}' &&
	wl h1 x1 10.65.1.3 '["open"]' '{"app":"legacy"}' &&
	wl h2 b2 10.65.2.2 '["pserv"]' '{"app":"server","projectcalico.org/namespace":"shop"}' &&
	wl h2 p2 10.65.2.3 '["legacy"]' '{"app":"legacy"}' &&
	wl h2 u2 10.65.2.9 none '' || bail "workloads"
for port in 8080 9090; do
	lab_spawn b2 "$FLOWGEN" serve $port "$LAB_TMP/ready-b2-$port" && lab_wait_file "$LAB_TMP/ready-b2-$port" &&
		lab_spawn p2 "$FLOWGEN" serve $port "$LAB_TMP/ready-p2-$port" && lab_wait_file "$LAB_TMP/ready-p2-$port" ||
		bail "servers"
done
lab_udp_echo b2 5005 && lab_udp_echo b2 5006 || bail "UDP servers"

cat >"$LAB_TMP/policy.yaml" <<'YAML'
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: sec}
spec: {order: 10}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: sec.guard}
spec:
  tier: sec
  order: 10
  selector: app in {'client', 'server'}
  types: [Ingress, Egress]
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [7070]}
  - action: Allow
    protocol: ICMP
  - action: Pass
    protocol: TCP
    destination: {ports: [8080, 9090]}
  - action: Pass
    protocol: UDP
  egress:
  - action: Pass
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: sec.extra}
spec:
  tier: sec
  order: 20
  selector: app == 'server'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [6161]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: client-out, namespace: shop}
spec:
  selector: app == 'client'
  types: [Egress]
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  selector: app == 'server'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [8080]}
  - action: Pass
    protocol: TCP
    destination: {ports: [9090]}
  - action: Allow
    protocol: UDP
    destination: {ports: [5005]}
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: pserv}
spec:
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [9090]}
  egress:
  - action: Allow
YAML
check "policies and profiles applied" sh -c "'$CTL' apply -f '$LAB_TMP/policy.yaml' >/dev/null" || bail "policy"
"$DSTOOL" put /calico/v1/config/FlowLogsFlushInterval 1 >/dev/null

ma_start h1 172.30.0.11 && ma_start h2 172.30.0.12 || bail "agents"
check "agent on h1 ready" ma_wait_ready h1 || bail "h1"
check "agent on h2 ready" ma_wait_ready h2 || bail "h2"
metric() { lab_exec "$1" curl -s --max-time 1 http://127.0.0.1:9099/metrics 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }'; }
flushes() { local v; v=$(metric "$1" calico_flow_flushes_total); echo "${v:-0}"; }
programmed() { lab_exec "$1" nft list table inet calico 2>/dev/null | grep -q "$2"; }
check "h1's ruleset logs its verdict points" ma_until 10 programmed h1 'log prefix "A|E|'
check "h2's ruleset has web-in's rules, logged" ma_until 10 programmed h2 'log prefix "P|I|'
reaches() { lab_exec "$1" "$FLOWGEN" send "$2" "$3" 10 1 >/dev/null 2>&1; }
check "a1 reaches b2 across the hosts" ma_until 10 reaches a1 10.65.2.2 8080
# until CMD succeeds, by the clock, for up to MS milliseconds
within_ms() {
	local end=$(($(date +%s%N) / 1000000 + $1)); shift
	while :; do
		"$@" && return 0
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.02
	done
}
more_verdicts() { [ "$(metric h2 calico_flow_nflog_messages_total)" -gt "$1" ]; }
sleep 0.5
n0=$(metric h2 calico_flow_nflog_messages_total)
reaches a1 10.65.2.2 8080
check "h2's agent has the connection's verdicts within 300 ms (the kernel holds no NFLOG message back)" \
	within_ms 300 more_verdicts "${n0:-0}"

# ---- batches of traffic, each closed in one interval per host ----
# until neither agent flushed for 1.3 s: the 60 s countdown is on both
quiet_flushes() {
	local a b
	a="$(flushes h1) $(flushes h2)"
	sleep 1.3
	b="$(flushes h1) $(flushes h2)"
	[ "$a" = "$b" ]
}
batch_begin() {
	local f1 f2
	# what came before is in an interval of its own, closed on both hosts
	# shellcheck disable=SC2034 # read by the eval'd test
	f1=$(flushes h1) f2=$(flushes h2)
	ma_until 10 eval '[ "$(flushes h1)" -gt "$f1" ] && [ "$(flushes h2)" -gt "$f2" ]' || return 1
	"$DSTOOL" put /calico/v1/config/FlowLogsFlushInterval 60 >/dev/null
	ma_until 10 quiet_flushes || return 1
	diag "batch begins: intervals closed so far: h1 $(flushes h1), h2 $(flushes h2)"
}
# closes the batch's interval on both hosts; keeps each host's records of it
# (the interval that ended last) in $LAB_TMP/<host>.json
batch_end() {
	local f1 f2 h
	# shellcheck disable=SC2034 # read by the eval'd test
	f1=$(flushes h1) f2=$(flushes h2)
	"$DSTOOL" put /calico/v1/config/FlowLogsFlushInterval 1 >/dev/null
	ma_until 10 eval '[ "$(flushes h1)" -gt "$f1" ] && [ "$(flushes h2)" -gt "$f2" ]' || return 1
	for h in h1 h2; do
		ma_env "$h" "$CTL" flows -o json --since 10m >"$LAB_TMP/$h.all.json" || return 1
		# the batch's interval: the one with the most connections started since the batch began
		jq -c -s --argjson t0 "$BATCH_T0" 'map(select(.end >= $t0 and .connections_started > 0))
			| group_by(.end) | max_by(map(.connections_started) | add) // [] | .[]' "$LAB_TMP/$h.all.json" \
			>"$LAB_TMP/$h.json"
	done
}
# rec HOST JQ_FILTER: the records of the batch on HOST that the filter selects
rec() { jq -c "select($2)" "$LAB_TMP/$1.json"; }
n_rec() { rec "$@" | grep -c .; }
# trace HOST FILTER: the enforced trace of the one selected record,
# kind:tier:namespace:name:rule:action:trigger per point
trace() {
	rec "$1" "$2" | jq -r '.policies.enforced | map([.kind, .tier, .namespace, .name, (.rule | tostring), .action, .trigger] | join(":")) | join(" ")'
}
fields() { rec "$1" "$2" | jq -r "$3"; }

# ---- batch 1: one connection per case ----
batch_begin || bail "batch 1 begins"
BATCH_T0=$(date +%s)
s=$(lab_exec a1 "$FLOWGEN" send 10.65.2.2 8080 5000 1) && diag "a1 -> b2 tcp 8080: $s"
lab_exec a1 "$FLOWGEN" syn 10.65.2.2 7070 1 >/dev/null
lab_exec a1 "$FLOWGEN" syn 10.65.2.2 6060 1 >/dev/null
s=$(lab_exec a1 "$FLOWGEN" send 10.65.2.2 9090 3000 1) && diag "a1 -> b2 tcp 9090: $s"
s=$(lab_exec a1 "$FLOWGEN" udp 10.65.2.2 5005 300 10) && diag "a1 -> b2 udp 5005: $s"
lab_exec a1 "$FLOWGEN" udp 10.65.2.2 5006 300 1 >/dev/null
lab_exec a1 busybox ping -c 3 -i 0.2 -W 1 10.65.2.2 >/dev/null
s=$(lab_exec x1 "$FLOWGEN" send 10.65.2.3 8080 2000 1) && diag "x1 -> p2 tcp 8080: $s"
lab_exec x1 "$FLOWGEN" syn 10.65.2.3 9090 1 >/dev/null
# the agent keeps no route to an interface it does not program: the lab's own
# (proxy ARP for u2's gateway needs it too, through the reverse-path filter)
ip -n "$(lab_ns h2)" route add 10.65.2.9 dev caliepu20000000 proto static
lab_exec a1 "$FLOWGEN" syn 10.65.2.9 8181 1 >/dev/null
lab_exec u2 "$FLOWGEN" syn 10.65.2.2 8282 1 >/dev/null
# x1 sends from an address that is not its own. The kernel's reverse-path
# filter, which calico-node turns on for workload interfaces, would drop it
# before nftables; off for x1's, the ruleset's anti-spoofing rule is what
# drops it (for IPv6, which has no such filter, it always is)
ip -n "$(lab_ns x1)" addr add 10.65.1.99/32 dev eth0
lab_sysctl h1 net.ipv4.conf.caliepx10000000.rp_filter 0
lab_exec x1 busybox ping -c 1 -W 1 -I 10.65.1.99 10.65.2.3 >/dev/null
check "batch 1's interval closes on both hosts" batch_end || bail "batch 1 ends"
diag "h1: $(wc -l <"$LAB_TMP/h1.json") records, h2: $(wc -l <"$LAB_TMP/h2.json")"
if [ -n "${FLOWS_ATTR_DEBUG:-}" ]; then mkdir -p "$FLOWS_ATTR_DEBUG"; cp "$LAB_TMP"/*.json "$FLOWS_ATTR_DEBUG"/; for h in h1 h2; do lab_exec $h nft list table inet calico >"$FLOWS_ATTR_DEBUG/$h.nft"; done; echo "$LAB_ID" >"$FLOWS_ATTR_DEBUG/id"; [ -z "${FLOWS_ATTR_PAUSE:-}" ] || sleep "$FLOWS_ATTR_PAUSE"; fi

A1_OUT="policy:sec::sec.guard:0:pass: policy:default:shop:client-out:0:allow:"
SRC_A1='.reporter == "src" and .source.name == "a1"'
DST_B2='.reporter == "dst" and .dest.name == "b2"'
# case DESC HOST FILTER ACTION TRACE: one record, its action and its trace
case_is() {
	local n
	n=$(n_rec "$2" "$3")
	if [ "$n" != 1 ]; then
		fail "$1: one record on $2 (got $n)"
		return
	fi
	expect_eq "$1: on $2, $4 by $5" "$(fields "$2" "$3" .action) $(trace "$2" "$3")" "$4 $5"
}

# allowed by rule 0 of shop/web-in in tier default, after sec.guard's Pass
case_is "tcp 8080 allowed" h1 "$SRC_A1 and .proto == \"tcp\" and .dest_port == 8080" allow "$A1_OUT"
case_is "tcp 8080 allowed" h2 "$DST_B2 and .proto == \"tcp\" and .dest_port == 8080" allow \
	"policy:sec::sec.guard:2:pass: policy:default:shop:web-in:0:allow:"
r=$(rec h1 "$SRC_A1 and .dest_port == 8080")
# each agent names the other host's workload too, from its own cache
expect_eq "the source's record names a1 and, on the other host, b2, with namespaces and labels" \
	"$(jq -r '[.source.kind, .source.namespace, .source.name, .source.labels.app, .dest.kind, .dest.namespace, .dest.name, .dest.labels.app] | join(" ")' <<<"$r")" \
	"wep shop a1 client wep shop b2 server"
r=$(rec h2 "$DST_B2 and .dest_port == 8080")
expect_eq "the destination's record names b2 and, on the other host, a1, with namespaces and labels" \
	"$(jq -r '[.dest.kind, .dest.namespace, .dest.name, .dest.labels.app, .source.kind, .source.namespace, .source.name, .source.labels.app] | join(" ")' <<<"$r")" \
	"wep shop b2 server wep shop a1 client"
expect_eq "tcp 8080: one connection started and completed on each side" \
	"$(fields h1 "$SRC_A1 and .dest_port == 8080" '[.connections_started, .connections_completed, .connections_live] | join(" ")') $(fields h2 "$DST_B2 and .dest_port == 8080" '[.connections_started, .connections_completed, .connections_live] | join(" ")')" \
	"1 1 0 1 1 0"

# denied by a Deny rule
case_is "tcp 7070 denied by a Deny rule" h2 "$DST_B2 and .dest_port == 7070" deny "policy:sec::sec.guard:0:deny:"
case_is "tcp 7070: the source's side allowed it" h1 "$SRC_A1 and .dest_port == 7070" allow "$A1_OUT"
# denied at the end of tier sec: the trigger is the tier's last policy for b2
case_is "tcp 6060 denied at the end of tier sec" h2 "$DST_B2 and .dest_port == 6060" deny \
	"end-of-tier:sec::sec.extra:-1:deny:sec.extra"
# passed twice, allowed by a profile
case_is "tcp 9090 passed to the profiles" h2 "$DST_B2 and .dest_port == 9090" allow \
	"policy:sec::sec.guard:2:pass: policy:default:shop:web-in:1:pass: profile:::pserv:0:allow:"
# UDP and ICMP
case_is "udp 5005 allowed" h2 "$DST_B2 and .proto == \"udp\" and .dest_port == 5005" allow \
	"policy:sec::sec.guard:3:pass: policy:default:shop:web-in:2:allow:"
case_is "udp 5005" h1 "$SRC_A1 and .proto == \"udp\" and .dest_port == 5005" allow "$A1_OUT"
case_is "udp 5006 denied at the end of tier default" h2 "$DST_B2 and .proto == \"udp\" and .dest_port == 5006" deny \
	"policy:sec::sec.guard:3:pass: end-of-tier:default:shop:web-in:-1:deny:web-in"
case_is "icmp allowed by sec.guard rule 1" h2 "$DST_B2 and .proto == \"icmp\"" allow "policy:sec::sec.guard:1:allow:"
case_is "icmp" h1 "$SRC_A1 and .proto == \"icmp\"" allow "$A1_OUT"
# profiles only: the 2016 rules
X1_OUT="profile:::open:0:allow:"
SRC_X1='.reporter == "src" and .source.name == "x1"'
DST_P2='.reporter == "dst" and .dest.name == "p2"'
case_is "x1 -> p2 tcp 8080 (profiles only)" h1 "$SRC_X1 and .dest_port == 8080" allow "$X1_OUT"
case_is "x1 -> p2 tcp 8080: a 2016 profile's allow" h2 "$DST_P2 and .dest_port == 8080" allow "profile:::legacy:0:allow:"
case_is "x1 -> p2 tcp 9090: the profiles' final drop" h2 "$DST_P2 and .dest_port == 9090" deny \
	"end-of-profiles:::legacy:-1:deny:legacy"
# fail-closed: u2's interface is not programmed, both ways
case_is "a1 -> u2: the source's side" h1 "$SRC_A1 and .dest_port == 8181" allow "$A1_OUT"
case_is "a1 -> u2 tcp 8181: fail-closed (ingress)" h2 ".dest_port == 8181" deny "fail-closed::::-1:deny:"
case_is "u2 -> b2 tcp 8282: fail-closed (egress)" h2 ".dest_port == 8282" deny "fail-closed::::-1:deny:"
expect_eq "the fail-closed records: reporters and directions" \
	"$(fields h2 '.dest_port == 8181' .reporter) $(fields h2 '.dest_port == 8282' .reporter)" "dst src"
# anti-spoofing
case_is "x1 from 10.65.1.99: anti-spoofing" h1 '.proto == "icmp" and .action == "deny"' deny "anti-spoof::::-1:deny:"
expect_eq "the spoofed record: reporter src, the source a network, no packet reached h2" \
	"$(fields h1 '.proto == "icmp" and .action == "deny"' '[.reporter, .source.kind, .source.name] | join(" ")') $(n_rec h2 '.proto == "icmp" and .dest.name == "p2"')" \
	"src net pvt 0"
deny_ids() {
	lab_exec "$1" nft list table inet calico | grep -o "log prefix \"D|[IE]|[0-9a-f]*\"" | sed 's/.*|//; s/"//' | sort -u
}
ids=$(fields h2 '.action == "deny"' '.policies.enforced[-1].id' | sort -u)
missing=$(comm -23 <(echo "$ids") <(deny_ids h2))
expect_eq "every deny's id on h2 is one of h2's ruleset's deny log prefixes" "$missing" ""

# both reporters, one connection
agree() { # DESC FILTER_ON_H1 FILTER_ON_H2
	local s d
	s=$(fields h1 "$2" '[.proto, .dest_port, .connections_started, .packets_out, .bytes_out, .packets_in, .bytes_in] | join(" ")')
	d=$(fields h2 "$3" '[.proto, .dest_port, .connections_started, .packets_in, .bytes_in, .packets_out, .bytes_out] | join(" ")')
	if [ -n "$s" ] && [ "$s" = "$d" ]; then ok "both reporters agree: $1 ($s)"; else
		fail "both reporters agree: $1"
		printf '#   src on h1: %s\n#   dst on h2: %s\n' "$s" "$d"
	fi
}
agree "a1 -> b2 tcp 8080" "$SRC_A1 and .dest_port == 8080" "$DST_B2 and .dest_port == 8080"
agree "a1 -> b2 tcp 9090" "$SRC_A1 and .dest_port == 9090" "$DST_B2 and .dest_port == 9090"
agree "a1 -> b2 udp 5005" "$SRC_A1 and .dest_port == 5005" "$DST_B2 and .dest_port == 5005"
agree "a1 -> b2 icmp" "$SRC_A1 and .proto == \"icmp\"" "$DST_B2 and .proto == \"icmp\""
agree "x1 -> p2 tcp 8080" "$SRC_X1 and .dest_port == 8080" "$DST_P2 and .dest_port == 8080"
expect_eq "udp 5005: 10 datagrams of 300 bytes out, 10 echoes in" \
	"$(fields h1 "$SRC_A1 and .dest_port == 5005" '[.packets_out, .bytes_out, .packets_in, .bytes_in] | join(" ")')" \
	"10 3280 10 3280"
expect_eq "icmp: 3 echo requests of 84 bytes, 3 replies" \
	"$(fields h1 "$SRC_A1 and .proto == \"icmp\"" '[.connections_started, .packets_out, .bytes_out, .packets_in, .bytes_in] | join(" ")')" \
	"1 3 252 3 252"

# ---- batch 2: 1,000 identical connections; counts against the client's interface ----
link_stats() { ip -n "$(lab_ns a1)" -j -s link show eth0 | jq -r '.[0].stats64 | "\(.tx.packets) \(.tx.bytes) \(.rx.packets) \(.rx.bytes)"'; }
within1() { awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(w > 0 && d * 100 <= w) }'; }
batch_begin || bail "batch 2 begins"
BATCH_T0=$(date +%s)
read -r tp0 tb0 rp0 rb0 < <(link_stats)
t0=$(date +%s%N)
check "1,000 connections of 100 bytes from a1 to b2:8080" sh -c "ip netns exec $(lab_ns a1) '$FLOWGEN' send 10.65.2.2 8080 100 1000 >/dev/null"
t1=$(date +%s%N)
read -r tp1 tb1 rp1 rb1 < <(link_stats)
diag "1,000 connections took $(((t1 - t0) / 1000000)) ms"
check "batch 2's interval closes on both hosts" batch_end || bail "batch 2 ends"
for side in "h1 $SRC_A1" "h2 $DST_B2"; do
	read -r h f <<<"$side"
	expect_eq "$h: one record for the 1,000 connections" "$(n_rec "$h" "$f and .dest_port == 8080")" 1
	expect_eq "$h: connections_started 1000, completed 1000" \
		"$(fields "$h" "$f and .dest_port == 8080" '[.connections_started, .connections_completed] | join(" ")')" "1000 1000"
done
# what a1's eth0 sent and received, less the Ethernet header: conntrack counts IP packets
tp=$((tp1 - tp0)) tb=$((tb1 - tb0 - 14 * (tp1 - tp0))) rp=$((rp1 - rp0)) rb=$((rb1 - rb0 - 14 * (rp1 - rp0)))
read -r po bo pi bi < <(fields h1 "$SRC_A1 and .dest_port == 8080" '[.packets_out, .bytes_out, .packets_in, .bytes_in] | join(" ")')
diag "a1's eth0: out $tp packets $tb bytes, in $rp packets $rb bytes; the record: out $po/$bo, in $pi/$bi"
check "packets out within 1 % of what a1 sent ($po ~ $tp)" within1 "${po:-0}" "$tp"
check "bytes out within 1 % of what a1 sent ($bo ~ $tb)" within1 "${bo:-0}" "$tb"
check "packets in within 1 % of what a1 received ($pi ~ $rp)" within1 "${pi:-0}" "$rp"
check "bytes in within 1 % of what a1 received ($bi ~ $rb)" within1 "${bi:-0}" "$rb"
agree "1,000 connections" "$SRC_A1 and .dest_port == 8080" "$DST_B2 and .dest_port == 8080"

# ---- batch 3: h2's agent restarts between two batches of connections ----
# a steady 2 s interval now; the stop comes half a second into one
"$DSTOOL" put /calico/v1/config/FlowLogsFlushInterval 2 >/dev/null
f=$(flushes h2)
ma_until 10 eval '[ "$(flushes h2)" -gt "$f" ]'
f=$(flushes h2)
ma_until 10 eval '[ "$(flushes h2)" -gt "$f" ]'
BATCH_T0=$(date +%s)
lab_exec a1 "$FLOWGEN" send 10.65.2.2 9090 100 30 >/dev/null
sleep 0.4
check "h2's agent stops on TERM, mid-interval" ma_stop h2
stopped=$(date +%s)
ma_start h2 172.30.0.12
check "h2's agent ready again" ma_wait_ready h2
check "h2 programs its ruleset again" ma_until 10 programmed h2 'log prefix "P|I|'
lab_exec a1 "$FLOWGEN" send 10.65.2.2 9090 100 20 >/dev/null
f=$(flushes h2)
check "an interval closes after the restart" ma_until 10 eval '[ "$(flushes h2)" -gt "$f" ]'
cat "$LAB_TMP/h2/log/flows/"flows.log* >"$LAB_TMP/h2.files.json"
restart_recs() { jq -c --argjson t0 "$BATCH_T0" "select(.start >= \$t0 - 2 and $DST_B2 and .dest_port == 9090)" "$LAB_TMP/h2.files.json"; }
sum_started() { jq -s 'map(.connections_started) | add // 0'; }
before=$(restart_recs | jq -c --argjson s "$stopped" 'select(.end <= $s)' | sum_started)
after=$(restart_recs | jq -c --argjson s "$stopped" 'select(.end > $s)' | sum_started)
expect_eq "h2's files: 30 connections before the restart, 20 after" "$before $after" "30 20"
dups=$(jq -r '"\(.start) \(.end) \(.reporter) \(.source.name) \(.dest.name) \(.proto) \(.dest_port) \(.action) \(.policies.enforced | map(.id) | join(","))"' \
	"$LAB_TMP/h2.files.json" | sort | uniq -d)
expect_eq "no record written twice" "$dups" ""
overlaps=$(jq -r '"\(.start) \(.end)"' "$LAB_TMP/h2.files.json" | sort -n -u |
	awk 'NR > 1 && $1 < prev_end { n++ } { prev_end = $2 } END { print n + 0 }')
expect_eq "no two of h2's intervals overlap across the restart" "$overlaps" 0

check "h1's agent stops cleanly" ma_stop h1
check "h2's agent stops cleanly" ma_stop h2
# flow logs off in the datastore from the start: an agent never starts the
# collector (no flows directory, no socket, conntrack accounting left off)
"$DSTOOL" put /calico/v1/config/FlowLogsEnabled false >/dev/null
lab_host_add h3 172.30.0.13 || bail "h3"
ma_start h3 172.30.0.13
check "agent on h3 (FlowLogsEnabled=false) ready" ma_wait_ready h3
sleep 0.5
check "h3: no flows directory, no socket, conntrack accounting off" sh -c \
	"[ ! -e '$LAB_TMP/h3/log/flows' ] && [ ! -e '$LAB_TMP/h3/run/flows.sock' ] &&
	 [ \"\$(ip netns exec $(lab_ns h3) sysctl -n net.netfilter.nf_conntrack_acct)\" = 0 ]"
check "h3's agent stops cleanly" ma_stop h3
check "no sanitizer report" sh -c "! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '$(ma_log h1)' '$(ma_log h2)' '$(ma_log h3)'"
[ "$TAP_FAILED" -eq 0 ] || dump_logs
diag "duration: $((SECONDS - T_START)) s"
tap_done
