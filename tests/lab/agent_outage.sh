#!/usr/bin/env bash
# calico-node without its datastore: etcd runs in the fabric namespace; the
# host namespace is cut off from it by a test table (reject to/drop from
# etcd's port). While cut off, traffic between existing endpoints is
# unchanged and the agent reports not ready; changes made meanwhile apply
# once it is reachable again.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v etcd >/dev/null ||
	[ ! -x "${CALICO_BUILD:-}/calico-node" ]; then
	echo "1..0 # SKIP needs root, nft, etcd and calico-node"
	exit 0
fi
. "$here/../lib/netns.sh"
export ETCD_ENDPOINTS=http://172.30.0.1:2379
unset CALICO_DATASTORE
. "$here/../lib/agent.sh"
DS_NS=fab
fails() { ! "$@"; }

lab_host_add h1 172.30.0.11 || { fail "topology"; tap_done; exit 1; }
AGENT_HOST=h1
lab_spawn fab etcd --name n1 --data-dir "$LAB_TMP/etcd" \
	--listen-client-urls http://172.30.0.1:2379 --advertise-client-urls http://172.30.0.1:2379 \
	--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster n1=http://127.0.0.1:2380 >"$LAB_TMP/etcd.log" 2>&1
_etcd_up() { lab_exec fab curl -s --max-time 1 http://172.30.0.1:2379/health | grep -q true; }
check "etcd up in the fabric namespace" agent_until 10 _etcd_up

_ds "$DSTOOL" put /calico/v1/config/ReportingIntervalSecs 1
_ds "$DSTOOL" put /calico/v1/config/DatastoreRetryMaxSecs 1
profile_put pa '["pa"]' '[{"action":"allow","src_tag":"pb"}]' '[{"action":"allow"}]' &&
	profile_put pb '["pb"]' '[{"action":"allow","protocol":"tcp","src_tag":"pa","dst_ports":[8080]}]' \
		'[{"action":"allow"}]' || { fail "profiles"; tap_done; exit 1; }
wl_add wa 10.65.0.2 '["pa"]' && wl_add wb 10.65.0.3 '["pb"]' || { fail "workloads"; tap_done; exit 1; }
lab_tcp_server wb 8080 && lab_tcp_server wb 9090 && lab_tcp_server wa 8080

agent_start h1
check "agent ready on etcd" agent_wait_ready 10
check "status of wa is up" wl_wait_status wa up 5
check "wa->wb tcp 8080 allowed" lab_tcp wa 10.65.0.3 8080
check "wa->wb tcp 9090 denied" fails lab_tcp wa 10.65.0.3 9090
check "wb->wa tcp 8080 allowed" lab_tcp wb 10.65.0.2 8080

STATUS_REV0=$(_ds "$DSTOOL" modrev "$(wl_status_key wa)")
# cut the host off its datastore
lab_exec h1 nft -f - <<'NFT'
table inet labcut {
	chain out { type filter hook output priority 0; ip daddr 172.30.0.1 tcp dport 2379 reject with tcp reset; }
	chain in { type filter hook input priority 0; ip saddr 172.30.0.1 tcp sport 2379 drop; }
}
NFT
_unready() { [ "$(agent_http /readiness)" = 503 ]; }
check "readiness 503 while the datastore is unreachable" agent_until 10 _unready
check "liveness still 200" test "$(agent_http /liveness)" = 200
errs=$(agent_metric calico_datastore_errors_total)
check "datastore errors counted" test "${errs:-0}" -gt 0

# changes the agent cannot see yet
profile_put pb '["pb"]' '[{"action":"allow","protocol":"tcp","src_tag":"pa","dst_ports":[8080,9090]}]' \
	'[{"action":"allow"}]'
profile_put pa '["pa"]' '[]' '[{"action":"allow"}]'
sleep 1
check "during the outage: wa->wb tcp 8080 still allowed" lab_tcp wa 10.65.0.3 8080
check "during the outage: wa->wb tcp 9090 still denied" fails lab_tcp wa 10.65.0.3 9090
check "during the outage: wb->wa tcp 8080 still allowed" lab_tcp wb 10.65.0.2 8080

lab_exec h1 nft delete table inet labcut
check "ready again once the datastore is back" agent_wait_ready 10
_allowed_9090() { lab_tcp wa 10.65.0.3 9090; }
check "change made meanwhile applies: wa->wb tcp 9090 allowed" agent_until 5 _allowed_9090
check "change made meanwhile applies: wb->wa tcp 8080 denied" fails lab_tcp wb 10.65.0.2 8080
_hb() { _ds "$DSTOOL" get /calico/felix/v1/host/h1/status 2>/dev/null | grep -q uptime; }
check "heartbeat key written" agent_until 5 _hb
check "resyncs counted" test "$(agent_metric calico_resyncs_total)" -ge 2
# after the resync the agent finds wa's status already in the datastore
expect_eq "wa's status key not written again after the outage (its revision)" \
	"$(_ds "$DSTOOL" modrev "$(wl_status_key wa)")" "$STATUS_REV0"

# Outages again and again: the agent's connections to etcd (a kept plain-HTTP
# one for requests, libcurl's for the watch) are replaced, never piled up.
# Open fds at rest: the smallest of a few samples, so a connection being
# replaced at that instant does not count.
fds_at_rest() {
	local m="" f i
	for i in 1 2 3 4 5; do
		sleep 0.3
		f=$(ls "/proc/$AGENT_PID/fd" | wc -l)
		[ -z "$m" ] || [ "$f" -lt "$m" ] && m=$f
	done
	echo "$m"
}
FDS0=$(fds_at_rest)
for round in 1 2 3; do
	lab_exec h1 nft -f - <<'NFT'
table inet labcut {
	chain out { type filter hook output priority 0; ip daddr 172.30.0.1 tcp dport 2379 reject with tcp reset; }
	chain in { type filter hook input priority 0; ip saddr 172.30.0.1 tcp sport 2379 drop; }
}
NFT
	agent_until 10 _unready || echo "# round $round: the agent did not notice the outage"
	lab_exec h1 nft delete table inet labcut
	agent_wait_ready 10 || echo "# round $round: not ready again"
	_ds "$DSTOOL" put /calico/v1/config/ReportingIntervalSecs 1 # a write to watch
done
check "ready after three more outages" agent_wait_ready 10
FDS1=$(fds_at_rest)
check "open fds did not grow across the outages ($FDS0 -> $FDS1)" test "$FDS1" -le "$FDS0"
check "agent exits 0 on SIGTERM" agent_stop TERM
if [ "$TAP_FAILED" -ne 0 ]; then sed 's/^/# /' "$AGENT_LOG" | tail -30; fi
tap_done
