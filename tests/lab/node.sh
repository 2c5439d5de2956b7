#!/usr/bin/env bash
# Lab test of calicoctl node / status / node stop with the real calico-node,
# inside a lab host namespace, with private run/log/state dirs and a private
# SQLite datastore. Every agent started here is stopped by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
tap_skip_unless "needs root" root
tap_skip_unless "calico-node is not built" "exe:${CALICO_BUILD:?}/calico-node"

export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db" HOSTNAME=h1 NO_DEFAULT_POOLS=1
export CALICO_RUN_DIR="$LAB_TMP/h1/run" CALICO_LOG_DIR="$LAB_TMP/h1/log" CALICO_STATE_DIR="$LAB_TMP/h1/state"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
CTL="$CALICO_BUILD/calicoctl"
DSTOOL="$CALICO_BUILD/dstool"
PIDFILE="$CALICO_RUN_DIR/calico-node.pid"
ctl() { lab_exec h1 "$CTL" "$@"; }
run() { OUT=$("$@" 2>"$LAB_TMP/err"); RC=$?; ERR=$(cat "$LAB_TMP/err"); }
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
# retry SECONDS CMD...
retry() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done; }

lab_fabric_add && lab_host_add h1 172.30.0.11 && lab_workload_ns wa || { echo "Bail out! cannot build the lab"; exit 1; }
"$CTL" pool add 10.65.0.0/16 >/dev/null

T0=$SECONDS
run ctl node
PID=$(cat "$PIDFILE" 2>/dev/null)
[ -n "$PID" ] && LAB_PIDS+=("$PID")
BIRD_PID=$(cat "$CALICO_RUN_DIR/bird.pid" 2>/dev/null)
[ -n "$BIRD_PID" ] && LAB_PIDS+=("$BIRD_PID")
expect_contains "node: the address is autodetected on h1's eth0" "$OUT" "Using detected IP: 172.30.0.11 (on eth0)"
expect_eq "node: started" "$(printf '%s\n' "$OUT" | grep '^calico-node started')" "calico-node started (pid $PID), host h1, IP 172.30.0.11"
expect_eq "node: ... and BIRD" "$(printf '%s\n' "$OUT" | tail -n 1)" "BIRD started (pid $BIRD_PID)"
[ "$RC" -eq 0 ] || { echo "# $ERR"; sed 's/^/# log: /' "$CALICO_LOG_DIR/calico-node.log" | tail -n 20; }
echo "# node became ready in $((SECONDS - T0)) s"
check "the agent runs" alive "$PID"
expect_eq "... as calico-node --name h1" "$(tr '\0' ' ' <"/proc/$PID/cmdline")" "calico-node --name h1 "
expect_eq "... inside h1's namespace" "$(ip netns identify "$PID")" "$(lab_ns h1)"
expect_eq "... in its own session" "$(ps -o sid= -p "$PID" | tr -d ' ')" "$PID"
check "... with its log" [ -s "$CALICO_LOG_DIR/calico-node.log" ]
expect_eq "host address registered" "$("$DSTOOL" get /calico/bgp/v1/host/h1/ip_addr_v4)" "172.30.0.11"
run ctl node
expect_eq "second start refused" "$ERR" "calico-node is already running (pid $PID)."

run ctl status
expect_eq "status: running" "$(printf '%s\n' "$OUT" | head -n 1)" "calico-node is running (pid $PID), host h1"
expect_contains "status: heartbeat" "$OUT" "Heartbeat: "
run ctl node show
expect_contains "node show: h1 alive" "$OUT" "| h1       | 172.30.0.11 |           | (64511) | alive |"

run ctl container add "$(lab_nspath wa)" ipv4
expect_contains "container add with the agent running" "$OUT" "added to $(lab_nspath wa)"
up1() { ctl status | grep -q "Endpoints: 1 on this host, 1 up"; }
check "status: the agent reports the endpoint up" retry 10 up1
run ctl node stop
expect_eq "node stop refused while an endpoint exists" "$ERR" \
  "Current host has active endpoints so can't be stopped. Force with --force"
check "... the agent still runs" alive "$PID"
ctl container remove "$(lab_nspath wa)" >/dev/null
run ctl node stop
expect_eq "node stop" "$OUT" "Node stopped"
check "... the agent is gone" retry 2 eval "! alive $PID"
check "... BIRD too" retry 2 eval "! alive ${BIRD_PID:-0}"
check "... and its pid file" [ ! -e "$PIDFILE" ]
run ctl status
expect_eq "status after stop" "$RC:$(printf '%s\n' "$OUT" | head -n 1)" "1:calico-node is not running, host h1"
run ctl node remove
# the host kept its emptied block (no early reuse): removing the node gives it back
expect_eq "node remove" "$OUT" "Removed node h1
Released the affinity of 1 IPAM block(s)."
tap_done
