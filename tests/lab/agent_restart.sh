#!/usr/bin/env bash
# calico-node restarts: a TCP stream between two workloads keeps flowing (no
# reset, no stall over 2 s) while the agent is stopped, started again, and
# killed with -9 in the middle of a large update; after each start the
# kernel's table converges to the golden one, what the compiler renders for
# the datastore's state (compared in canonical form against the same script
# loaded into a scratch namespace).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || [ ! -x "${CALICO_BUILD:-}/calico-node" ]; then
	echo "1..0 # SKIP needs root, nft and calico-node"
	exit 0
fi
. "$here/../lib/netns.sh"
. "$here/../lib/agent.sh"
TOOL="$CALICO_BUILD/nft_policy_tool"

lab_host_add h1 172.30.0.11 && lab_ns_add gold || { fail "topology"; tap_done; exit 1; }
AGENT_HOST=h1
profile_put pa '["pa"]' '[{"action":"allow","src_tag":"pb"}]' '[{"action":"allow"}]' &&
	profile_put pb '["pb"]' '[{"action":"allow","protocol":"tcp","src_tag":"pa","dst_ports":[8000,8080]}]' \
		'[{"action":"allow"}]' || { fail "profiles"; tap_done; exit 1; }
wl_add wa 10.65.0.2 '["pa"]' && wl_add wb 10.65.0.3 '["pb"]' || { fail "workloads"; tap_done; exit 1; }
lab_spawn wb "$CALICO_BUILD/tcpstream" serve 8000 "$LAB_TMP/stream-ready" && lab_wait_file "$LAB_TMP/stream-ready"
lab_tcp_server wb 8080 && lab_tcp_server wb 9090

# golden: the compiler's full script for the datastore's state, loaded into
# the scratch namespace; both tables listed and put in canonical form
_golden_equal() {
	"$CALICO_BUILD/nodetool" render h1 >"$LAB_TMP/golden.nft" 2>/dev/null &&
		lab_exec gold nft -f "$LAB_TMP/golden.nft" &&
		lab_exec gold nft -j list table inet calico >"$LAB_TMP/g.json" &&
		lab_exec h1 nft -j list table inet calico >"$LAB_TMP/k.json" 2>/dev/null &&
		"$TOOL" canon "$LAB_TMP/g.json" >"$LAB_TMP/g.txt" && "$TOOL" canon "$LAB_TMP/k.json" >"$LAB_TMP/k.txt" &&
		cmp -s "$LAB_TMP/g.txt" "$LAB_TMP/k.txt"
}
golden() { agent_until "${1:-10}" _golden_equal; }

agent_start h1
check "agent ready" agent_wait_ready 10
check "ruleset is the golden one" golden
check "wa->wb tcp 8080 allowed" lab_tcp wa 10.65.0.3 8080
fails() { ! "$@"; }
check "wa->wb tcp 9090 denied" fails lab_tcp wa 10.65.0.3 9090

# the stream runs through everything below
lab_exec wa "$CALICO_BUILD/tcpstream" send 10.65.0.3 8000 8 >"$LAB_TMP/stream.out" 2>&1 &
STREAM=$!
sleep 0.5

check "SIGTERM: agent exits 0" agent_stop TERM
sleep 0.5
agent_start h1
check "restarted agent ready" agent_wait_ready 10
check "a restart with nothing changed writes no nft transaction" test "$(agent_metric calico_nft_applies_total)" = 0
check "ruleset still golden" golden

# a large update (300 endpoints and profiles), killed in the middle
"$CALICO_BUILD/nodetool" seed h1 300 71 &
SEED=$!
sleep 0.15
agent_stop KILL 2>/dev/null
wait $SEED
check "seed written" test $? = 0
# and a change the killed agent never saw
profile_put pb '["pb"]' '[{"action":"allow","protocol":"tcp","src_tag":"pa","dst_ports":[8000,8080,9090]}]' \
	'[{"action":"allow"}]'
agent_start h1
check "agent ready after kill -9" agent_wait_ready 15
check "ruleset converges to the golden one after kill -9" golden 15
check "the change made while it was down applies" lab_tcp wa 10.65.0.3 9090
check "metrics: 302 endpoints" test "$(agent_metric calico_endpoints)" = 302

r=$(agent_metric calico_resyncs_total)
kill -HUP "$AGENT_PID"
_resynced() { [ "$(agent_metric calico_resyncs_total)" -gt "$r" ]; }
check "SIGHUP re-reads the datastore" agent_until 5 _resynced
check "... and the agent stays ready" agent_wait_ready 5

wait $STREAM
rc=$?
echo "# $(cat "$LAB_TMP/stream.out")"
expect_eq "TCP stream kept flowing through stop, start, kill -9 (no reset, no stall)" "$rc" 0
check "agent exits 0 on SIGTERM" agent_stop TERM
if [ "$TAP_FAILED" -ne 0 ]; then
	diff "$LAB_TMP/g.txt" "$LAB_TMP/k.txt" | head -20 | sed 's/^/# /'
	sed 's/^/# /' "$AGENT_LOG" | tail -30
fi
tap_done
