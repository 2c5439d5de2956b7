#!/usr/bin/env bash
# Flow logs (DESIGN §12) on one host: calico-node's own ruleset logs each
# verdict point (flow/flow_id.h's forms, policy/nft_compile.h), the agent
# reads NFLOG and conntrack in its namespace and writes per-interval records:
# counts, bounds, files, restart, the socket. Attribution case by case is
# tests/lab/flows_attr.sh.
#
#   h1 (172.30.0.11), calico-node -- wa 10.65.0.2 (app=client) -- wb 10.65.0.3 (app=server)
#   NetworkPolicy shop/client-out: wa egress TCP 8080, 8081, 9090 allowed (rule 0)
#   NetworkPolicy shop/web-in: wb ingress TCP 8080-8081 allowed (rule 0);
#   wb:9090 denied at the end of tier default, triggered by web-in
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v jq >/dev/null ||
	[ ! -x "${CALICO_BUILD:-}/calico-node" ] || [ ! -x "${CALICO_BUILD:-}/flowgen" ]; then
	echo "1..0 # SKIP needs root, nft, jq, calico-node and flowgen"
	exit 0
fi
. "$here/../lib/netns.sh"
. "$here/../lib/agent.sh"
FLOWGEN=$CALICO_BUILD/flowgen
CTL=$CALICO_BUILD/calicoctl
export CALICO_RUN_DIR=$LAB_TMP/run
FLOWDIR=$LAB_TMP/log/flows
INTERVAL=3
diag() { echo "# $*"; }

lab_host_add h1 172.30.0.11 || { fail "topology"; tap_done; exit 1; }
AGENT_HOST=h1
profile_put pall '["pall"]' '[{"action":"allow"}]' '[{"action":"allow"}]' || { fail "profile"; tap_done; exit 1; }
wl_add wa 10.65.0.2 '["pall"]' && wl_add wb 10.65.0.3 '["pall"]' || { fail "workloads"; tap_done; exit 1; }
# labels on the records, as the agent's index has them
for w in wa:client wb:server; do
	IFS=: read -r name app <<<"$w"
	_ds "$DSTOOL" put "$(wl_key "$name")" "$(_ds "$DSTOOL" get "$(wl_key "$name")" |
		jq -c --arg app "$app" '.labels = {"app": $app, "projectcalico.org/namespace": "shop"}')"
done
for port in 8080 8081 9090; do
	lab_spawn wb "$FLOWGEN" serve $port "$LAB_TMP/ready-$port" && lab_wait_file "$LAB_TMP/ready-$port"
done

cat >"$LAB_TMP/policy.yaml" <<'YAML'
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: client-out, namespace: shop}
spec:
  selector: app == 'client'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination: {ports: ['8080:8081', 9090]}
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
    destination: {ports: ['8080:8081']}
YAML
check "policies applied" "$CTL" apply -f "$LAB_TMP/policy.yaml"
_ds "$DSTOOL" put /calico/v1/config/FlowLogsFlushInterval $INTERVAL
_ds "$DSTOOL" put /calico/v1/config/FlowLogsFileMaxSize 4096
_ds "$DSTOOL" put /calico/v1/config/FlowLogsFileMaxFiles 3

start_agent() {
	lab_spawn h1 env CALICO_RUN_DIR="$LAB_TMP/run" CALICO_LOG_DIR="$LAB_TMP/log" CALICO_STATE_DIR="$LAB_TMP/state" \
		HOSTNAME=h1 "$CALICO_BUILD/calico-node" >>"$AGENT_LOG" 2>&1
	AGENT_PID=$LAB_LAST_PID
}
mkdir -p "$LAB_TMP/run" "$LAB_TMP/log" "$LAB_TMP/state"
start_agent
check "agent ready" agent_wait_ready 10
check "the compiled ruleset logs verdict points to NFLOG group 2" agent_until 5 eval \
	'lab_exec h1 nft list table inet calico | grep "group 2" | grep -q "prefix \"A|I|"'
check "the flows socket is root's, mode 0600" agent_until 5 eval \
	'[ "$(stat -c %U:%a "$LAB_TMP/run/flows.sock" 2>/dev/null)" = root:600 ]'
check "conntrack accounting is on in the agent's namespace" \
	test "$(lab_exec h1 sysctl -n net.netfilter.nf_conntrack_acct)" = 1

flushes() { local v; v=$(agent_metric calico_flow_flushes_total); echo "${v:-0}"; }
# until the collector closed an interval that began after this call
next_interval() {
	local f0 f
	f0=$(flushes)
	agent_until $((INTERVAL * 3)) eval '[ "$(flushes)" -gt "$f0" ]' || return 1
	f=$(flushes)
	agent_until $((INTERVAL * 3)) eval '[ "$(flushes)" -gt "$f" ]'
}
flows_json() { "$CTL" flows -o json "$@"; }

# ---- one allowed connection ----
next_interval
check "one connection of 1 MB from wa to wb:8080" lab_exec wa "$FLOWGEN" send 10.65.0.3 8080 1000000 1
check "the interval closes" next_interval
flows_json >"$LAB_TMP/all.json"
src=$(jq -c 'select(.dest_port == 8080 and .reporter == "src")' "$LAB_TMP/all.json")
dst=$(jq -c 'select(.dest_port == 8080 and .reporter == "dst")' "$LAB_TMP/all.json")
expect_eq "one record from the source's side" "$(echo "$src" | grep -c .)" 1
expect_eq "one record from the destination's side" "$(echo "$dst" | grep -c .)" 1
expect_eq "source record: endpoints, proto, port, action" \
	"$(echo "$src" | jq -r '[.source.kind, .source.namespace, .source.name, .source.labels.app, .dest.name, .proto, .dest_port, .action] | join(" ")')" \
	"wep shop wa client wb tcp 8080 allow"
expect_eq "source record: the egress verdict point, named" \
	"$(echo "$src" | jq -r '.policies.enforced | map([.kind, .tier, .namespace, .name, (.rule | tostring), .action] | join(":")) | join(",")')" \
	"policy:default:shop:client-out:0:allow"
expect_eq "destination record: the ingress verdict point" \
	"$(echo "$dst" | jq -r '.policies.enforced | map(.namespace + "/" + .name + ":" + (.rule | tostring)) | join(",")')" "shop/web-in:0"
id=$(echo "$dst" | jq -r '.policies.enforced[0].id')
check "its id is the one on the kernel's allow rule ($id)" \
	sh -c "ip netns exec $(lab_ns h1) nft list table inet calico | grep -F '\"A|I|$id\"' | grep -q 'meta mark set'"
expect_eq "one connection started and completed" \
	"$(echo "$src" | jq -r '[.connections_started, .connections_completed, .connections_live] | map(tostring) | join(" ")')" "1 1 0"
out=$(echo "$src" | jq -r .bytes_out)
inb=$(echo "$dst" | jq -r .bytes_in)
check "bytes the source sent: 1 MB within 1 % (conntrack counts headers too: $out)" \
	test "${out:-0}" -ge 1000000 -a "${out:-0}" -le 1010000
expect_eq "the destination counts the same bytes in" "$inb" "$out"

# ---- 1,000 identical connections: one record ----
next_interval
t0=$(date +%s%N)
check "1,000 connections from wa to wb:8081" lab_exec wa "$FLOWGEN" send 10.65.0.3 8081 100 1000
t1=$(date +%s%N)
diag "1,000 connections took $(((t1 - t0) / 1000000)) ms"
check "the interval closes" next_interval
flows_json >"$LAB_TMP/all.json"
dst=$(jq -c 'select(.dest_port == 8081 and .reporter == "dst")' "$LAB_TMP/all.json")
expect_eq "the destination's side of 1,000 connections: records" "$(echo "$dst" | grep -c .)" 1
expect_eq "connections_started 1000, completed 1000" \
	"$(echo "$dst" | jq -r '[.connections_started, .connections_completed] | map(tostring) | join(" ")')" "1000 1000"
check "bytes in: 1,000 x 100 bytes and their headers" test "$(echo "$dst" | jq -r .bytes_in)" -ge 100000

# ---- a denied flood: rate-limited in the kernel, bounded in the agent ----
rss() { awk '/VmRSS/ { print $2 }' /proc/"$AGENT_PID"/status; }
rss0=$(rss)
n0=$(agent_metric calico_flow_nflog_messages_total)
t0=$(date +%s%N)
check "3,000 connection attempts to wb:9090" lab_exec wa "$FLOWGEN" syn 10.65.0.3 9090 3000
check "none gets through" sh -c "! timeout 2 ip netns exec $(lab_ns wa) '$FLOWGEN' send 10.65.0.3 9090 10 1 2>/dev/null"
next_interval
t1=$(date +%s%N)
n1=$(agent_metric calico_flow_nflog_messages_total)
logged=$((n1 - n0))
secs=$(((t1 - t0) / 1000000000 + 1))
diag "denied flood: $logged verdicts logged over ${secs}s; agent RSS ${rss0} -> $(rss) kB"
# wa's egress allow logs each attempt once (an allow logs per connection, and
# each dropped SYN is a new one); wb's ingress deny is rate-limited
check "the kernel logged at most one allow per attempt + burst + rate x time ($logged <= 3000 + 100 + 50 x $secs + 50)" \
	test "$logged" -le $((3000 + 100 + 50 * secs + 50))
check "and at least the burst" test "$logged" -ge 100
flows_json --action deny >"$LAB_TMP/deny.json"
expect_eq "--action deny shows only denials" "$(jq -r .action "$LAB_TMP/deny.json" | sort -u | tr '\n' ' ')" "deny "
expect_eq "the deny names the end of tier and the policy that triggered it" \
	"$(jq -r '.policies.enforced[-1] | [.kind, .tier, .trigger, .action] | join(":")' "$LAB_TMP/deny.json" | sort -u)" \
	"end-of-tier:default:web-in:deny"
check "the agent's memory stayed bounded (RSS grew by under 64 MB)" test $(($(rss) - rss0)) -lt 65536
next_interval
check "the collector holds no denied connection an interval later" \
	test "$(agent_metric calico_flow_connections)" -lt 100
expect_eq "--policy client-out shows only its records" \
	"$(flows_json --policy client-out | jq -r '.policies.enforced[].name' | sort -u)" "client-out"
check "the table form prints a header and rows" sh -c "'$CTL' flows --since 5m | grep -q '^START .*POLICY'"
rule_metric() {
	agent_metrics | grep -q 'calico_rule_packets_total{tier="default",policy="shop/web-in",rule="0",action="allow",direction="ingress"} [1-9]'
}
check "per-rule packets on /metrics" rule_metric

# ---- the files: JSON lines, rotated and bounded ----
# every record is over 400 bytes: 40 of them fill more than three 4 KiB files
records() { local v; v=$(agent_metric calico_flow_records_total); echo "${v:-0}"; }
for i in $(seq 1 15); do
	[ "$(records)" -ge 40 ] && break
	lab_exec wa "$FLOWGEN" send 10.65.0.3 8080 1000 1 >/dev/null
	lab_exec wa "$FLOWGEN" send 10.65.0.3 8081 1000 1 >/dev/null
	lab_exec wa "$FLOWGEN" syn 10.65.0.3 9090 1 >/dev/null
	next_interval
done
check "40 records written ($(records))" test "$(records)" -ge 40
check "each record is over 400 bytes" sh -c "cat '$FLOWDIR'/* | awk 'length(\$0) <= 400 { exit 1 }'"
diag "flow files: $(ls -l "$FLOWDIR" | tail -n +2 | awk '{ print $5, $9 }' | tr '\n' ' ')"
check "at most 3 files (FlowLogsFileMaxFiles)" test "$(ls "$FLOWDIR" | wc -l)" -le 3
check "rotation happened (flows.log.2 exists)" test -f "$FLOWDIR/flows.log.2"
check "the oldest went: fewer lines kept than written" test "$(cat "$FLOWDIR"/* | wc -l)" -lt "$(records)"
check "each file within FlowLogsFileMaxSize and a line" \
	sh -c "for f in '$FLOWDIR'/*; do [ \$(stat -c %s \"\$f\") -le 6000 ] || exit 1; done"
check "every line is one JSON record" sh -c "cat '$FLOWDIR'/* | jq -e -c 'has(\"connections_started\")' >/dev/null"
check "the files are 0600" test "$(stat -c %a "$FLOWDIR/flows.log")" = 600

# ---- restart: no interval written twice ----
lines0=$(cat "$FLOWDIR"/* | wc -l)
check "agent stops on TERM" agent_stop
lab_exec wa "$FLOWGEN" send 10.65.0.3 8080 1000 1 >/dev/null
start_agent
check "agent ready again" agent_wait_ready 10
lab_exec wa "$FLOWGEN" send 10.65.0.3 8080 1000 1 >/dev/null
check "an interval closes after the restart" next_interval
# every distinct interval, in order of start: each begins at or after the previous one's end
overlaps=$(cat "$FLOWDIR"/* | jq -r '"\(.start) \(.end)"' | sort -n -u |
	awk 'NR > 1 && $1 < prev_end { n++ } { prev_end = $2 } END { print n + 0 }')
expect_eq "no two intervals overlap across the restart" "$overlaps" 0
timeout $((INTERVAL * 4)) "$CTL" flows --follow -o json --since 1s >"$LAB_TMP/follow.json" &
follow=$!
sleep 0.5
lab_exec wa "$FLOWGEN" send 10.65.0.3 8080 1000 1 >/dev/null
wait $follow
check "--follow streams the new records" sh -c "jq -e -s 'length > 0 and all(.end > 0)' '$LAB_TMP/follow.json' >/dev/null"

# ---- off by config ----
_ds "$DSTOOL" put /calico/v1/config/FlowLogsEnabled false
check "FlowLogsEnabled=false removes the socket" agent_until 5 eval '[ ! -e "$LAB_TMP/run/flows.sock" ]'
check "agent stops cleanly" agent_stop
check "no sanitizer report" sh -c "! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error' '$AGENT_LOG'"
tap_done
