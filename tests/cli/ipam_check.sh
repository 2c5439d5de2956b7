#!/usr/bin/env bash
# calicoctl ipam check: exit 0 and a summary on a clean datastore, exit 1 with
# one exact line per problem on a damaged one; ipam gc collects what a crash
# leaves (an address held by no endpoint) and never an endpoint's address.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/cli.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

mesos() { echo "$1" | "$CALICO_BUILD/calico_mesos" 2>/dev/null; }
EP=/calico/v1/host/testhost/workload/mesos/ctr1/endpoint/e1
ep_json() { printf '{"state":"active","name":"calie1","mac":"ee:ee:ee:ee:ee:ee","profile_ids":[],"ipv4_nets":[%s],"ipv6_nets":[],"labels":{}}' "$1"; }

expect_ok "empty datastore: clean" \
	"Checked 0 blocks, 0 handles, 0 affinity markers, 0 endpoints: 0 allocated addresses, 0 held by no endpoint; 0 problems." \
	"$CTL" ipam check
"$CTL" pool add 10.30.0.0/26 >/dev/null # one block: the addresses are 10.30.0.0 and .1
mesos '{"command":"allocate","args":{"hostname":"testhost","uid":"t1","num_ipv4":2,"num_ipv6":0}}' >/dev/null
"$DSTOOL" put "$EP" "$(ep_json '"10.30.0.0/32"')"
expect_ok "two allocated, one held by an endpoint: clean" \
	"Checked 1 block, 1 handle, 1 affinity marker, 1 endpoint: 2 allocated addresses, 1 held by no endpoint; 0 problems." \
	"$CTL" ipam check
expect_usage "ipam check takes no argument" "$CTL" ipam check extra
expect_usage "ipam check takes no gc option" "$CTL" ipam check --grace=1

# damage, one at a time, each undone after
HANDLE=$("$DSTOOL" get /calico/ipam/v2/handle/t1)
"$DSTOOL" put /calico/ipam/v2/handle/t1 '{"id":"t1","block":{"10.30.0.0/26":3}}'
run "$CTL" ipam check
expect_eq "handle count off: exit 1" "$RC" 1
expect_eq "... the line" "$(head -n 1 <<<"$OUT")" "handle t1 counts 3 addresses in block 10.30.0.0/26, the block holds 2"
expect_contains "... the summary" "$OUT" "; 1 problem."
"$DSTOOL" put /calico/ipam/v2/handle/t1 "$HANDLE"

"$DSTOOL" del /calico/ipam/v2/host/testhost/ipv4/block/10.30.0.0-26 >/dev/null
run "$CTL" ipam check
expect_eq "affinity marker missing" "$RC:$(head -n 1 <<<"$OUT")" \
	"1:block 10.30.0.0/26 is affine to host testhost, which has no affinity marker for it"
"$DSTOOL" put /calico/ipam/v2/host/testhost/ipv4/block/10.30.0.0-26 '{}'

"$DSTOOL" put "$EP" "$(ep_json '"10.30.0.0/32","10.30.0.9/32"')"
run "$CTL" ipam check
expect_eq "endpoint address not allocated" "$RC:$(head -n 1 <<<"$OUT")" \
	"1:endpoint testhost/mesos/ctr1/e1 holds 10.30.0.9, which is not allocated"
"$DSTOOL" put "$EP" "$(ep_json '"10.30.0.0/32"')"

"$DSTOOL" put /calico/v1/host/testhost/workload/calicoctl/w2/endpoint/e2 "$(ep_json '"10.30.0.0/32"')"
run "$CTL" ipam check
expect_contains "an address held twice" "$OUT" \
	"address 10.30.0.0 is held by two endpoints: testhost/calicoctl/w2/e2 and testhost/mesos/ctr1/e1"
expect_contains "... and under a handle that is not calicoctl's" "$OUT" \
	"endpoint testhost/calicoctl/w2/e2 holds 10.30.0.0, which is allocated to handle t1"
"$DSTOOL" del /calico/v1/host/testhost/workload/calicoctl/w2/endpoint/e2 >/dev/null

# gc after a "crash": the unused address goes, the endpoint's stays
expect_ok "gc --grace=0 releases only the address no endpoint holds" "Released 10.30.0.1 (handle t1)
Released 1 leaked address." "$CTL" ipam gc --grace=0
expect_ok "clean after gc, the endpoint's address still allocated" \
	"Checked 1 block, 1 handle, 1 affinity marker, 1 endpoint: 1 allocated address, 0 held by no endpoint; 0 problems." \
	"$CTL" ipam check

# a datastore it cannot read: one line, exit 1
expect_refused "unreachable etcd: one line, exit 1" \
	"Error: reading the datastore: cannot reach etcd at http://127.0.0.1:1: connection refused" env -u CALICO_DATASTORE ETCD_ENDPOINTS=http://127.0.0.1:1 "$CTL" ipam check
tap_done
