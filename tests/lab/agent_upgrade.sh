#!/usr/bin/env bash
# calico-node restarted and upgraded under continuous traffic: six long-lived
# TCP streams (tcpstream: 64 bytes echoed every 10 ms, any reset or an echo
# later than 1 s ends the stream with an error), four between workloads on h1
# and two between h1 and h2, run through
#   1. SIGTERM of h1's agent, start of the same binary;
#   2. kill -9 of h1's agent, a policy change while it is down, start of a
#      "new" binary (a copy of calico-node elsewhere: an upgrade);
#   3. kill -9 of both agents at once, both started from the new binary;
#   4. SIGTERM of both, both started again.
# After each start: the agent reads the kernel's table back and programs only
# the difference (no transaction when nothing changed, one small one for the
# change of step 2), and policy is still enforced (allowed and denied probes).
#
#   fabric -- h1 (172.30.0.11): c1 10.65.0.2 [pc]  c2 10.65.0.3 [pc]
#          |                    s1 10.65.0.4 [ps]  s2 10.65.0.5 [ps]  x1 10.65.0.6 [px]
#          -- h2 (172.30.0.12): c3 10.65.1.2 [pc]  s3 10.65.1.3 [ps]
#   (static routes between the hosts: each host's /24 via its fabric address)
#   ps: inbound tcp from tag pc to 7001-7003 and 8080; pc, px: no inbound.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || [ ! -x "${CALICO_BUILD:-}/calico-node" ] ||
	[ ! -x "$CALICO_BUILD/tcpstream" ]; then
	echo "1..0 # SKIP needs root, nft, calico-node and tcpstream"
	exit 0
fi
. "$here/../lib/netns.sh"
. "$here/../lib/agent.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
MAX_GAP=${UPGRADE_MAX_GAP:-1}
DOWN_SECS=${UPGRADE_DOWN_SECS:-1}
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
OLD_BIN="$CALICO_BUILD/calico-node"
NEW_BIN="$LAB_TMP/upgrade/calico-node"
mkdir -p "$LAB_TMP/upgrade"
cp "$OLD_BIN" "$NEW_BIN"

declare -A NODE_PID=() NODE_BIN=()
node_log() { echo "$LAB_TMP/$1/agent.log"; }
# node_start HOST BINARY: calico-node in HOST's namespace with HOST's own dirs
node_start() {
	mkdir -p "$LAB_TMP/$1/run" "$LAB_TMP/$1/log" "$LAB_TMP/$1/state"
	lab_spawn "$1" env HOSTNAME="$1" CALICO_RUN_DIR="$LAB_TMP/$1/run" CALICO_LOG_DIR="$LAB_TMP/$1/log" \
		CALICO_STATE_DIR="$LAB_TMP/$1/state" "$2" >>"$(node_log "$1")" 2>&1
	NODE_PID[$1]=$LAB_LAST_PID NODE_BIN[$1]=$2
}
# node_signal HOST SIG: signal the agent and reap it; its exit status
node_signal() {
	local pid=${NODE_PID[$1]} rc
	kill -"$2" "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null # no "Killed" line from bash after a kill -9
	rc=$?
	NODE_PID[$1]=""
	return $rc
}
metric() {
	lab_exec "$1" curl -s --max-time 1 http://127.0.0.1:9099/metrics 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }'
}
_ready() { [ "$(lab_exec "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ]; }
ready() { agent_until "${2:-15}" _ready "$1"; }
# the full script the compiler makes for HOST: what a flush-and-reload would apply
full_bytes() { "$CALICO_BUILD/nodetool" render "$1" | wc -c; }
# wl HOST NAME IP PROFILES: a workload attached on HOST with its endpoint record
wl() { AGENT_HOST=$1 wl_add "$2" "$3" "$4"; }
allowed() { local d=$1 i; shift; for i in 1 2 3; do "$@" && { ok "$d"; return; }; done; fail "$d"; }
denied() { local d=$1; shift; if "$@"; then fail "$d"; else ok "$d"; fi; }
# the verdicts that must hold after every restart
policy_holds() {
	allowed "$1: c1 -> s1:8080 allowed (same host)" lab_tcp c1 10.65.0.4 8080
	allowed "$1: c3 -> s1:8080 allowed (across hosts)" lab_tcp c3 10.65.0.4 8080
	denied "$1: x1 -> s1:8080 denied" lab_tcp x1 10.65.0.4 8080
	denied "$1: c1 -> s1:9090 denied (port not allowed)" lab_tcp c1 10.65.0.4 9090
	denied "$1: s1 -> c1:8080 denied (pc has no inbound rule)" lab_tcp s1 10.65.0.2 8080
}

lab_host_add h1 172.30.0.11 && lab_host_add h2 172.30.0.12 &&
	ip -n "$(lab_ns h1)" route add 10.65.1.0/24 via 172.30.0.12 &&
	ip -n "$(lab_ns h2)" route add 10.65.0.0/24 via 172.30.0.11 || { echo "Bail out! topology"; exit 1; }
profile_put ps '["ps"]' '[{"action":"allow","protocol":"tcp","src_tag":"pc","dst_ports":["7001:7003",8080]}]' \
	'[{"action":"allow"}]' &&
	profile_put pc '["pc"]' '[]' '[{"action":"allow"}]' &&
	profile_put px '["px"]' '[]' '[{"action":"allow"}]' || { echo "Bail out! profiles"; exit 1; }
wl h1 c1 10.65.0.2 '["pc"]' && wl h1 c2 10.65.0.3 '["pc"]' && wl h1 s1 10.65.0.4 '["ps"]' &&
	wl h1 s2 10.65.0.5 '["ps"]' && wl h1 x1 10.65.0.6 '["px"]' &&
	wl h2 c3 10.65.1.2 '["pc"]' && wl h2 s3 10.65.1.3 '["ps"]' || { echo "Bail out! workloads"; exit 1; }
for s in s1:7001 s1:7002 s1:7003 s2:7001 s2:7002 s3:7001; do
	lab_spawn "${s%:*}" "$CALICO_BUILD/tcpstream" serve "${s#*:}" "$LAB_TMP/ready-$s" &&
		lab_wait_file "$LAB_TMP/ready-$s" || { echo "Bail out! stream server $s"; exit 1; }
done
lab_tcp_server s1 8080 && lab_tcp_server s1 9090 && lab_tcp_server c1 8080 || { echo "Bail out! tcp servers"; exit 1; }

node_start h1 "$OLD_BIN"
node_start h2 "$OLD_BIN"
check "both agents ready" eval 'ready h1 && ready h2'
policy_holds "start"
FULL=$(full_bytes h1)

# ---- the streams: client -> server:port, until told to stop ----
STREAMS=(c1:10.65.0.4:7001 c2:10.65.0.4:7002 c1:10.65.0.5:7001 c2:10.65.0.5:7002 c1:10.65.1.3:7001 c3:10.65.0.4:7003)
declare -A SPID=()
for s in "${STREAMS[@]}"; do
	IFS=: read -r from ip port <<<"$s"
	# not through a shell function: $! must be tcpstream itself (ip netns exec execs it)
	ip netns exec "$(lab_ns "$from")" "$CALICO_BUILD/tcpstream" send "$ip" "$port" 3600 "$MAX_GAP" \
		>"$LAB_TMP/stream-$s.out" 2>&1 &
	SPID[$s]=$!
	LAB_PIDS+=("$!")
done
T0=$(date +%s%3N)
sleep 1
alive=0
for s in "${STREAMS[@]}"; do kill -0 "${SPID[$s]}" 2>/dev/null && alive=$((alive + 1)); done
expect_eq "all ${#STREAMS[@]} streams connected and flowing" "$alive" "${#STREAMS[@]}"

# ---- 1. SIGTERM, same binary ----
check "1. SIGTERM: h1's agent exits 0" node_signal h1 TERM
sleep "$DOWN_SECS"
node_start h1 "$OLD_BIN"
check "1. h1's agent ready again" ready h1
expect_eq "1. nothing changed: no nft transaction after the read-back" "$(metric h1 calico_nft_applies_total)" 0
policy_holds "1. restart"

# ---- 2. kill -9, a change while down, the new binary ----
node_signal h1 KILL
profile_put ps '["ps"]' '[{"action":"allow","protocol":"tcp","src_tag":"pc","dst_ports":["7001:7003",8080]},
	{"action":"allow","protocol":"tcp","src_tag":"px","dst_ports":[8080]}]' '[{"action":"allow"}]'
sleep "$DOWN_SECS"
node_start h1 "$NEW_BIN"
check "2. kill -9, then the new binary: h1's agent ready" ready h1
applies=$(metric h1 calico_nft_applies_total) bytes=$(metric h1 calico_nft_script_bytes_last)
echo "# 2. after the upgrade: $applies nft transaction(s), last $bytes bytes; a full load would be $FULL bytes"
expect_eq "2. one nft transaction for the change made while the agent was down" "$applies" 1
check "2. ... a small one: under a quarter of the full script ($bytes of $FULL bytes)" \
	test -n "$bytes" -a "${bytes:-0}" -gt 0 -a "$((${bytes:-0} * 4))" -lt "$FULL"
allowed "2. the change applies: x1 -> s1:8080 allowed now" lab_tcp x1 10.65.0.4 8080
denied "2. x1 -> s1:7001 still denied" lab_tcp x1 10.65.0.4 7001
# back to the first policy, while it runs: one more small transaction
profile_put ps '["ps"]' '[{"action":"allow","protocol":"tcp","src_tag":"pc","dst_ports":["7001:7003",8080]}]' \
	'[{"action":"allow"}]'
_reverted() { ! lab_tcp x1 10.65.0.4 8080; }
check "2. the change reverted while the new agent runs" agent_until 10 _reverted

# ---- 3. kill -9 of both agents, both upgraded ----
node_signal h1 KILL
node_signal h2 KILL
sleep "$DOWN_SECS"
node_start h1 "$NEW_BIN"
node_start h2 "$NEW_BIN"
check "3. kill -9 of both, new binary on both: ready" eval 'ready h1 && ready h2'
expect_eq "3. nothing changed: no nft transaction on either host" "$(metric h1 calico_nft_applies_total) $(metric h2 calico_nft_applies_total)" "0 0"
policy_holds "3. both upgraded"

# ---- 4. SIGTERM of both, both started again ----
check "4. SIGTERM: both agents exit 0" eval 'node_signal h1 TERM && node_signal h2 TERM'
sleep "$DOWN_SECS"
node_start h1 "$NEW_BIN"
node_start h2 "$NEW_BIN"
check "4. both ready again" eval 'ready h1 && ready h2'
expect_eq "4. nothing changed: no nft transaction on either host" "$(metric h1 calico_nft_applies_total) $(metric h2 calico_nft_applies_total)" "0 0"
policy_holds "4. restart"

# ---- the streams ----
sleep 1
T1=$(date +%s%3N)
kept=0
for s in "${STREAMS[@]}"; do
	kill -TERM "${SPID[$s]}" 2>/dev/null
	wait "${SPID[$s]}"
	rc=$?
	out=$(tr '\n' ' ' <"$LAB_TMP/stream-$s.out")
	rounds=$(awk '/^rounds/ { print $2 }' "$LAB_TMP/stream-$s.out")
	echo "# stream ${s%%:*} -> ${s#*:}: $out"
	# flowing all along: at least a fifth of the nominal 100 rounds per second
	if [ "$rc" -eq 0 ] && [ -n "$rounds" ] && [ "$rounds" -ge $(((T1 - T0) / 50)) ]; then
		kept=$((kept + 1))
		ok "stream ${s%%:*} -> ${s#*:} never reset, never stalled over ${MAX_GAP} s"
	else
		fail "stream ${s%%:*} -> ${s#*:} never reset, never stalled over ${MAX_GAP} s (exit $rc)"
	fi
done
echo "# connections kept across 6 agent restarts (2 on h2) in $(((T1 - T0) / 1000)) s: $kept of ${#STREAMS[@]}"

check "both agents exit 0 on SIGTERM (LeakSanitizer clean)" eval 'node_signal h1 TERM && node_signal h2 TERM'
check "no sanitizer report in the agents' logs" bash -c "! grep -qE 'Sanitizer|runtime error' '$(node_log h1)' '$(node_log h2)'"
expect_eq "root namespace links unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" "$ROOT_LINKS"
if [ "$TAP_FAILED" -ne 0 ]; then
	for h in h1 h2; do tail -n 15 "$(node_log $h)" | sed "s/^/# $h: /"; done
fi
tap_done
