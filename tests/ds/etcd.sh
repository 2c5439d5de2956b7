#!/usr/bin/env bash
# The datastore on etcd v3: the conformance suite against a private etcd, then
# etcd-specific behaviour: unreachable endpoints, ETCD_AUTHORITY, failover, and
# a watch that survives an etcd restart. Uses $CALICO_BUILD (tests/run-all.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/tap.sh"
source "$here/../lib/etcd.sh"
B=${CALICO_BUILD:?run through tests/run-all.sh or set CALICO_BUILD}
T=$(mktemp -d /tmp/calico-ds-etcd.XXXXXX)
WATCHER=
cleanup() {
  [ -n "$WATCHER" ] && kill "$WATCHER" 2>/dev/null && wait "$WATCHER" 2>/dev/null
  etcd_stop
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
unset CALICO_DATASTORE ETCD_AUTHORITY ETCD_CA_CERT_FILE ETCD_CERT_FILE ETCD_KEY_FILE

if ! etcd_start E; then
  fail "etcd starts"; tap_done; exit 1
fi
ok "etcd starts on $E_ENDPOINT"
export ETCD_ENDPOINTS=$E_ENDPOINT

# ---- the conformance suite, shared with SQLite ----
if [ -x "$B/ds_conformance" ]; then
  pass_through conformance "$B/ds_conformance"
else
  fail "conformance: $B/ds_conformance is not built"
fi

# ---- etcd-specific: paging, txn outcomes, leases, compaction ----
pass_through etcd "$B/etcd_faults" checks

# ---- an unreachable endpoint: exit 1, one clear line ----
dead=$(_etcd_free_port)
ETCD_ENDPOINTS=http://127.0.0.1:$dead "$B/dstool" rev >"$T/out" 2>"$T/err"; rc=$?
expect_eq "unreachable etcd: exit 1" "$rc" 1
expect_eq "unreachable etcd: one-line reason naming the URL" "$(cat "$T/err")" \
  "dstool: cannot reach etcd at http://127.0.0.1:$dead: connection refused"

# ---- ETCD_AUTHORITY=host:port ----
( unset ETCD_ENDPOINTS; export ETCD_AUTHORITY=127.0.0.1:$E_CPORT
  "$B/dstool" put /t/authority yes && "$B/dstool" get /t/authority ) >"$T/out" 2>"$T/err"
expect_eq "ETCD_AUTHORITY=127.0.0.1:port works" "$(cat "$T/out")" yes

# ---- failover: a dead endpoint first, the live one second ----
ETCD_ENDPOINTS="http://127.0.0.1:$dead,$E_ENDPOINT" "$B/dstool" put /t/failover yes 2>"$T/err"
expect_eq "failover: write through the second endpoint" "$?" 0
expect_eq "failover: read it back" \
  "$(ETCD_ENDPOINTS="http://127.0.0.1:$dead,$E_ENDPOINT" "$B/dstool" get /t/failover 2>&1)" yes

# ---- a watch survives an etcd crash and restart ----
"$B/etcd_faults" watch /t/restart/ 7 30000 >"$T/watch" 2>"$T/watch.err" &
WATCHER=$!
for _ in $(seq 1 250); do grep -q '^ready' "$T/watch" 2>/dev/null && break; sleep 0.02; done
check "watcher is ready" grep -q '^ready' "$T/watch"
"$B/dstool" put /t/restart/k1 v1
"$B/dstool" put /t/outside nope
etcd_kill E
sleep 2.5   # the watcher's 1 s waits run out while etcd is down
etcd_resume E
expect_eq "etcd is back on the same data dir and port" "$("$B/dstool" get /t/restart/k1 2>&1)" v1
for i in 2 3 4 5 6; do "$B/dstool" put /t/restart/k$i v$i; done
"$B/dstool" put /t/restart/k1 v1b
wait "$WATCHER"; rc=$?; WATCHER=
expect_eq "watcher got all 7 events before its deadline" "$rc" 0
expect_eq "events in order, none missing, none twice" \
  "$(awk '/^PUT|^DELETE/ {print $1, $2, $3}' "$T/watch" | tr '\n' ' ')" \
  "PUT /t/restart/k1 v1 PUT /t/restart/k2 v2 PUT /t/restart/k3 v3 PUT /t/restart/k4 v4 PUT /t/restart/k5 v5 PUT /t/restart/k6 v6 PUT /t/restart/k1 v1b "
expect_eq "event revisions strictly increase" \
  "$(awk '/^PUT|^DELETE/ { if ($4 <= last) bad = 1; last = $4 } END { print bad ? "no" : "yes" }' "$T/watch")" yes
check "while etcd was down the watch said why (not a hang)" grep -q "^# watch on /t/restart/: cannot reach etcd at $E_ENDPOINT" "$T/watch"
if [ "$TAP_FAILED" -ne 0 ]; then sed 's/^/#   watch: /' "$T/watch" "$T/watch.err"; fi

tap_done
