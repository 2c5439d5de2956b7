#!/usr/bin/env bash
# Dataplane throughput between workloads, iperf3 TCP, three variants side by
# side in one run (LAB-NOTES §5):
#   a  a direct veth pair between two namespaces: the anchor (no routing, no policy)
#   b  two workloads on host h1 (calico-node, SQLite datastore of its own),
#      attached with `calicoctl container add`, one profile "allow" made by
#      `calicoctl profile add` (inbound allow from its own tag, outbound allow):
#      workload -> cali veth -> h1 forwarding + nftables -> cali veth -> workload
#   c  the same path on host h2 (its own agent and datastore) through profile
#      "big": 10,000 inbound deny rules over 1,000 tags placed BEFORE the allow
#      rule, so a connection's first packet walks them all; each tag has 100
#      members (100,000 addresses), endpoints of host "far" seeded straight
#      into the datastore (`nodetool seed-tags`), so no veths are needed.
# The variants are interleaved (a b c a b c ...) because the 2-vCPU machine is
# noisy: a slow minute then hurts every variant alike. Prints one JSON line:
# each variant's median Gbit/s with min and max, b/a and c/b.
#   bench/bench_throughput.sh BUILDDIR [ROUNDS] [SECONDS]
# Everything lives in run-unique namespaces (tests/lib/netns.sh) deleted on
# exit; only processes started here are stopped, by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:?usage: bench_throughput.sh BUILDDIR [ROUNDS] [SECONDS]}" && pwd)
ROUNDS=${2:-5}
SECS=${3:-3}
NRULES=10000 NTAGS=1000 MEMBERS=100
[ "$(id -u)" -eq 0 ] || { echo "bench_throughput: needs root" >&2; exit 1; }
for t in iperf3 nft jq; do
	command -v $t >/dev/null || { echo "bench_throughput: $t is not installed" >&2; exit 1; }
done
for b in calico-node calicoctl nodetool dstool; do
	[ -x "$build/$b" ] || { echo "bench_throughput: $build/$b is not built" >&2; exit 1; }
done
export CALICO_BUILD=$build
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY
# netns.sh: run-unique names ct<pid>-*, and the EXIT trap that kills our pids
# and deletes our namespaces.
. "$root/tests/lib/netns.sh"
. "$here/lib.sh"
say() { echo "# throughput: $*" >&2; }
die() { say "$*"; exit 1; }
ROOT_LINKS=$(bench_root_links)
t_start=$(date +%s)

# ---- a: the anchor, one veth pair (both ends born inside lab namespaces) ----
lab_ns_add pa && lab_ns_add pb || die "cannot create namespaces"
bench_veth_pair pa pb || die "veth pair"

# ---- b and c: two hosts on one fabric. The hosts need a default route:
# proxy ARP for 169.254.1.1 only answers for targets the host can route
# (LAB-NOTES §3.4); lab_host_add sets it. Each host has its own datastore, so
# (b)'s agent never sees (c)'s 100,000 endpoints. ----
lab_host_add h1 172.30.0.11 && lab_host_add h2 172.30.0.12 || die "hosts"
DB_B="sqlite:$LAB_TMP/b.db" DB_C="sqlite:$LAB_TMP/c.db"
# ctl HOST DATASTORE ARGS...: calicoctl inside HOST so the veths land there
ctl() {
	local h=$1 d=$2; shift 2
	lab_exec "$h" env HOSTNAME="$h" CALICO_DATASTORE="$d" "$build/calicoctl" "$@"
}
CALICO_DATASTORE=$DB_C "$build/nodetool" seed-tags big $NRULES $NTAGS $MEMBERS far || die "seeding (c)"
ctl h1 "$DB_B" pool add 10.65.0.0/16 >/dev/null && ctl h2 "$DB_C" pool add 10.65.0.0/16 >/dev/null &&
	ctl h1 "$DB_B" profile add allow >/dev/null || die "pools and profiles"
for w in b1:h1:10.65.1.2:allow b2:h1:10.65.1.3:allow c1:h2:10.65.2.2:big c2:h2:10.65.2.3:big; do
	IFS=: read -r wl h ip prof <<<"$w"
	d=$DB_B; [ "$h" = h2 ] && d=$DB_C
	lab_workload_ns "$wl" && ctl "$h" "$d" container add "$(lab_nspath "$wl")" "$ip" >/dev/null &&
		ctl "$h" "$d" container "$(lab_nspath "$wl")" profile append "$prof" >/dev/null || die "workload $wl"
done

# one agent per host, each with its own run/log/state directories
for h in h1 h2; do
	d=$DB_B; [ "$h" = h2 ] && d=$DB_C
	mkdir -p "$LAB_TMP/$h"
	lab_spawn "$h" env CALICO_DATASTORE="$d" CALICO_RUN_DIR="$LAB_TMP/$h" CALICO_LOG_DIR="$LAB_TMP/$h" \
		CALICO_STATE_DIR="$LAB_TMP/$h" HOSTNAME="$h" "$build/calico-node" --log-level warning \
		>>"$LAB_TMP/$h/agent.log" 2>&1
done

# Programmed = both endpoint status keys say "up" (the agent writes them after
# its nftables transaction) and the kernel has the profile chain with all its
# rules; for (c) also the last tag's set with its members.
ups() { CALICO_DATASTORE=$2 "$build/dstool" list "/calico/felix/v1/host/$1/" 2>/dev/null | grep -c '"up"'; }
chain_rules() { lab_exec "$1" nft list chain inet calico "prof-in-$2" 2>/dev/null | grep -c 'accept\|drop\|return\|jump\|goto'; }
programmed() {
	[ "$(ups h1 "$DB_B")" -ge 2 ] && [ "$(ups h2 "$DB_C")" -ge 2 ] &&
		[ "$(chain_rules h1 allow)" -ge 1 ] && [ "$(chain_rules h2 big)" -ge $((NRULES + 1)) ]
}
t0=$(date +%s%3N)
for ((i = 0; i < ${TP_WAIT:-600}; i++)); do programmed && break; sleep 0.1; done
programmed || { say "status up: h1 $(ups h1 "$DB_B") h2 $(ups h2 "$DB_C"); rules: allow $(chain_rules h1 allow) big $(chain_rules h2 big)"
	CALICO_DATASTORE=$DB_B "$build/dstool" list /calico/felix/v1/host/h1/ >&2
	lab_exec h1 nft list table inet calico 2>&1 | grep chain >&2
	tail -n 20 "$LAB_TMP"/h*/agent.log >&2; die "agents did not program within 60 s"; }
ready_ms=$(($(date +%s%3N) - t0))
# one tag set of (c) must hold its 100 members: the sets are named after the tag
set_members=$(lab_exec h2 nft -j list table inet calico 2>/dev/null |
	jq '[.nftables[] | select(.set != null and (.set.name | test("t999"))) | (.set.elem // []) | length] | max // 0')
say "programmed in ${ready_ms} ms; a set of tag t999 holds ${set_members} members"

# ---- servers: persistent iperf3 in the server namespaces, started (and later
# killed) by pid through lab_spawn; wait until each listens ----
bench_iperf_servers pb:10.66.0.2 b2:10.65.1.3 c2:10.65.2.3 || die "iperf3 server in $BENCH_FAILED"
# first contact (ARP for 169.254.1.1 and the neighbour) outside the measurement
bench_iperf_reach pa:10.66.0.2 b1:10.65.1.3 c1:10.65.2.3 || die "no TCP path $BENCH_FAILED (policy or routing)"

# run CLIENT_NS SERVER_IP: Gbit/s received, one iperf3 run
run() { bench_iperf_gbps "$1" "$2" "$SECS"; }
A=() B=() C=()
for ((r = 1; r <= ROUNDS; r++)); do
	A+=("$(run pa 10.66.0.2)") B+=("$(run b1 10.65.1.3)") C+=("$(run c1 10.65.2.3)")
	say "round $r: a ${A[-1]} b ${B[-1]} c ${C[-1]} Gbit/s"
done

read -r am amin amax <<<"$(bench_stats "${A[@]}")"
read -r bm bmin bmax <<<"$(bench_stats "${B[@]}")"
read -r cm cmin cmax <<<"$(bench_stats "${C[@]}")"
[ "$(bench_root_links)" = "$ROOT_LINKS" ] || say "WARNING: the root namespace's links changed"
printf '{"a_gbps":%s,"a_min":%s,"a_max":%s,"b_gbps":%s,"b_min":%s,"b_max":%s,"c_gbps":%s,"c_min":%s,"c_max":%s,"ratio_b_a":%s,"ratio_c_b":%s,"rounds":%d,"seconds":%d,"rules":%d,"tags":%d,"members":%d,"programmed_ms":%d,"elapsed_s":%d,"a_runs":"%s","b_runs":"%s","c_runs":"%s"}\n' \
	"$am" "$amin" "$amax" "$bm" "$bmin" "$bmax" "$cm" "$cmin" "$cmax" "$(bench_ratio "$bm" "$am")" "$(bench_ratio "$cm" "$bm")" \
	"$ROUNDS" "$SECS" $NRULES $NTAGS $((NTAGS * MEMBERS)) "$ready_ms" $(($(date +%s) - t_start)) \
	"${A[*]}" "${B[*]}" "${C[*]}"
