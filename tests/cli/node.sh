# calicoctl node / node stop / node remove / node show / status with a stand-in
# agent (a script next to a copy of calicoctl, which looks there first): the
# registration keys, pid file, refusals, and what is left after each step.
# The real agent is exercised by tests/lab/node.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"
export CALICO_RUN_DIR="$CLI_TMP/run" CALICO_LOG_DIR="$CLI_TMP/log" CALICO_STATE_DIR="$CLI_TMP/state"
# This suite runs in the root namespace: no BIRD here (tests/lab/bgp.sh runs it in namespaces).
export CALICO_NETWORKING_BACKEND=none
mkdir -p "$CLI_TMP/bin"
cp "$CTL" "$CLI_TMP/bin/calicoctl"
CTL="$CLI_TMP/bin/calicoctl"
AGENT="$CLI_TMP/bin/calico-node"
PIDFILE="$CALICO_RUN_DIR/calico-node.pid"
stop_fake() { [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null; cli_cleanup; }
trap stop_fake EXIT
# alive PID: exists and is not a zombie (the agent is not our child; its reaper may be slow)
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }

fake_ready() {
  cat >"$AGENT" <<EOS
#!/bin/bash
echo "stand-in agent \$*"
"$DSTOOL" put /calico/felix/v1/host/\$2/status "{\"time\":\"\$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" >/dev/null
exec -a calico-node sleep 300
EOS
  chmod +x "$AGENT"
}
fake_dying() {
  printf '#!/bin/bash\necho "stand-in agent: cannot open the datastore" >&2\nexit 3\n' >"$AGENT"
  chmod +x "$AGENT"
}

# ---- refused before anything is written ----
expect_usage "node: unknown option" "$CTL" node --frob
expect_usage "node: extra word" "$CTL" node start
expect_usage "node stop: --ip does not fit" "$CTL" node stop --ip=1.2.3.4
expect_refused "node: bad --ip" "1.2.3 is not a valid IPv4 address." "$CTL" node --ip=1.2.3
expect_refused "node: IPv6 in --ip" "fd00::1 is not a valid IPv4 address." "$CTL" node --ip=fd00::1
expect_refused "node: bad --ip6" "10.0.0.1 is not a valid IPv6 address." "$CTL" node --ip=10.0.0.1 --ip6=10.0.0.1
expect_refused "node: bad --as" "abc is not a valid AS number." "$CTL" node --ip=10.0.0.1 --as=abc
expect_refused "node: bad --name" \
  "Invalid host name \"a/b\": 1-253 characters of letters, digits, '.', '-' and '_'." "$CTL" node --ip=10.0.0.1 --name=a/b
"$DSTOOL" put /calico/bgp/v1/host/h2/ip_addr_v4 10.0.0.1
expect_refused "node: IP used by another host" "Error: IP address 10.0.0.1 is already in use by host h2." \
  "$CTL" node --ip=10.0.0.1
check "... and no nodename file" [ ! -e "$CALICO_STATE_DIR/nodename" ]

# ---- an agent that dies at start ----
export NO_DEFAULT_POOLS=1
fake_dying
# Another agent's /readiness answering 200 on 127.0.0.1:9099 must not count as
# ours (calicoctl checks the X-Calico-Node-Pid header): a stand-in answers there.
mkdir -p "$CLI_TMP/www" && echo ready >"$CLI_TMP/www/readiness"
busybox httpd -f -p 127.0.0.1:9099 -h "$CLI_TMP/www" 2>/dev/null &
OTHER_HTTP=$!
run "$CTL" node --ip=10.0.0.5
kill "$OTHER_HTTP" 2>/dev/null; wait "$OTHER_HTTP" 2>/dev/null
expect_eq "dying agent: exit 1" "$RC" "1"
expect_eq "... says so" "$(printf '%s\n' "$ERR" | head -n 1)" "calico-node exited during start-up."
case $ERR in *"stand-in agent: cannot open the datastore"*) ok "... and shows the log's last lines" ;; *) fail "log tail ($ERR)" ;; esac

# ---- start ----
fake_ready
run "$CTL" node --ip=10.0.0.5 --ip6=fd00::5 --as=65001
expect_eq "node starts the agent" "$(printf '%s\n' "$OUT" | tail -n 1)" \
  "calico-node started (pid $(cat "$PIDFILE" 2>/dev/null)), host testhost, IP 10.0.0.5"
expect_eq "Ready" "$("$DSTOOL" get /calico/v1/Ready)" "true"
expect_eq "global AS default" "$("$DSTOOL" get /calico/bgp/v1/global/as_num)" "64511"
expect_eq "node mesh default" "$("$DSTOOL" get /calico/bgp/v1/global/node_mesh)" '{"enabled":true}'
expect_eq "host ip_addr_v4" "$("$DSTOOL" get /calico/bgp/v1/host/testhost/ip_addr_v4)" "10.0.0.5"
expect_eq "host ip_addr_v6" "$("$DSTOOL" get /calico/bgp/v1/host/testhost/ip_addr_v6)" "fd00::5"
expect_eq "host as_num" "$("$DSTOOL" get /calico/bgp/v1/host/testhost/as_num)" "65001"
expect_eq "nodename file" "$(cat "$CALICO_STATE_DIR/nodename")" "testhost"
expect_eq "NO_DEFAULT_POOLS: no pools" "$("$DSTOOL" count /calico/v1/ipam/)" "0"
expect_eq "agent got --name, log appended" "$(grep -c 'stand-in agent' "$CALICO_LOG_DIR/calico-node.log")$(tail -n 1 "$CALICO_LOG_DIR/calico-node.log")" \
  "2stand-in agent --name testhost"
expect_refused "second start refused" "calico-node is already running (pid $(cat "$PIDFILE"))." "$CTL" node --ip=10.0.0.5
run "$CTL" status
expect_eq "status: running" "$(printf '%s\n' "$OUT" | head -n 1)" "calico-node is running (pid $(cat "$PIDFILE")), host testhost"
case $OUT in *"Heartbeat: "[0-9]*" s ago"*) ok "status: heartbeat age" ;; *) fail "status heartbeat ($OUT)" ;; esac
run "$CTL" node show
case $OUT in *"| testhost | 10.0.0.5  | fd00::5   | 65001   | alive        |"*) ok "node show" ;; *) fail "node show ($OUT)" ;; esac
case $OUT in *"| h2       | 10.0.0.1  |           | (64511) | no heartbeat |"*) ok "node show: inherited AS in parentheses" ;;
  *) fail "node show h2 ($OUT)" ;; esac

# ---- stop and remove ----
"$DSTOOL" put /calico/v1/host/testhost/workload/calicoctl/w1/endpoint/e1 \
  '{"state":"active","name":"calie1","profile_ids":[],"ipv4_nets":["10.0.0.9/32"],"ipv6_nets":[],"labels":{}}'
"$DSTOOL" put /calico/felix/v1/host/testhost/workload/calicoctl/w1/endpoint/e1 '{"status":"up"}'
run "$CTL" status
case $OUT in *"Endpoints: 1 on this host, 1 up, 0 down, 0 error, 0 not reported"*) ok "status: endpoints up" ;; *) fail "status endpoints ($OUT)" ;; esac
expect_refused "stop refused with endpoints" "Current host has active endpoints so can't be stopped. Force with --force" \
  "$CTL" node stop
expect_refused "remove refused while the agent runs" \
  "calico-node is running on this host (pid $(cat "$PIDFILE")); stop it first with \"calicoctl node stop\"." "$CTL" node remove
PID=$(cat "$PIDFILE")
expect_ok "stop --force" "Node stopped" "$CTL" node stop --force
if alive "$PID"; then fail "... the agent is gone"; else ok "... the agent is gone"; fi
check "... and its pid file" [ ! -e "$PIDFILE" ]
expect_ok "stop again is harmless" "calico-node is not running." "$CTL" node stop
run "$CTL" status
expect_eq "status when stopped exits 1" "$RC" "1"
expect_refused "remove refused with endpoints" \
  "Host testhost has active endpoints so can't be removed. Use --remove-endpoints to remove them." "$CTL" node remove
expect_ok "remove --remove-endpoints" "Removed node testhost" "$CTL" node remove --remove-endpoints
expect_eq "... host keys gone" "$("$DSTOOL" count /calico/v1/host/testhost/)$("$DSTOOL" count /calico/bgp/v1/host/testhost/)$("$DSTOOL" count /calico/felix/v1/host/testhost/)" "000"
expect_ok "remove another host by name" "Removed node h2" "$CTL" node remove --hostname=h2
expect_refused "remove: bad host name" "Invalid host name \"a b\"." "$CTL" node remove --hostname="a b"

# A removed host lets go of its IPAM blocks: a block still holding an address
# keeps the address but loses its affinity (others may use it), and the marker goes.
nulls() { local n=$1 t="" i; for ((i = 0; i < n; i++)); do t+="${t:+,}null"; done; printf %s "$t"; }
"$DSTOOL" put /calico/ipam/v2/assignment/ipv4/block/10.77.0.0-26 \
  "{\"cidr\":\"10.77.0.0/26\",\"affinity\":\"host:h3\",\"strictAffinity\":false,\"allocations\":[0,$(nulls 63)],\"unallocated\":[$(seq -s, 1 63)],\"attributes\":[{\"handle_id\":\"k1\",\"secondary\":{\"host\":\"h3\"}}]}"
"$DSTOOL" put /calico/ipam/v2/host/h3/ipv4/block/10.77.0.0-26 '{}'
"$DSTOOL" put /calico/ipam/v2/handle/k1 '{"block":{"10.77.0.0/26":1},"id":"k1"}'
expect_ok "remove releases the host's block affinities" "Removed node h3
Released the affinity of 1 IPAM block(s)." "$CTL" node remove --hostname=h3
block=$("$DSTOOL" get /calico/ipam/v2/assignment/ipv4/block/10.77.0.0-26)
case "$block" in *'"affinity":null'*'"allocations":[0,'*) ok "... the block keeps its address, without affinity";; *) fail "... block after remove: $block";; esac
expect_eq "... the affinity marker is gone" "$("$DSTOOL" count /calico/ipam/v2/host/h3/)" 0
expect_ok "... its last release" "Address successfully released" "$CTL" ipam release 10.77.0.0
expect_eq "... frees the block, which has no affinity any more" "$("$DSTOOL" count /calico/ipam/v2/assignment/ipv4/block/10.77.)" 0
# An empty block stays with its host (a release does not free it); node remove
# gives it back. This one is an older record, without "unallocated".
"$DSTOOL" put /calico/ipam/v2/assignment/ipv4/block/10.78.0.0-26 \
  "{\"cidr\":\"10.78.0.0/26\",\"affinity\":\"host:h4\",\"strictAffinity\":false,\"allocations\":[$(nulls 64)],\"attributes\":[]}"
"$DSTOOL" put /calico/ipam/v2/host/h4/ipv4/block/10.78.0.0-26 '{}'
expect_ok "remove gives back the host's empty block" "Removed node h4
Released the affinity of 1 IPAM block(s)." "$CTL" node remove --hostname=h4
expect_eq "... block and marker gone" "$("$DSTOOL" count /calico/ipam/v2/assignment/ipv4/block/10.78.)$("$DSTOOL" count /calico/ipam/v2/host/h4/)" "00"

# ---- default pools ----
unset NO_DEFAULT_POOLS
"$CTL" pool add 10.65.0.0/16 >/dev/null
run "$CTL" node --ip=10.0.0.5
expect_eq "default pools: only the family without pools" "$(printf '%s\n' "$OUT" | grep 'default pool')" \
  "Added default pool fd80:24e2:f998:72d6::/64"
"$CTL" node stop >/dev/null
tap_done
