#!/usr/bin/env bash
# Calico's v3 policy model in calico-node (docs/policy.md), in one run, side by
# side. Policy everywhere: NTIERS tiers bench-<k> (defaultAction Pass) holding
# NPOL GlobalNetworkPolicies, policy i selecting app == 'a<i % SPREAD>' with one
# ingress rule "Deny TCP from grp == 'g<i % 1000>' to port 20000 + i": 1,000
# rule selectors, each one nftables set (`nodetool seed-v3`). Endpoints carry
# app and grp labels in their records (`nodetool seed-labelled`); SQLite,
# release build, every agent in a run-unique namespace.
#
#   latency L:R   an agent of host h1 with L local endpoints (SPREAD 100: each
#                 in 10 policies; no interfaces) and R endpoints of host h2:
#     policy_median_ms  GlobalNetworkPolicy bench-0.p0's rule rewritten in the
#                       datastore -> calico_nft_applies_total grew (bench_agent gnp:)
#     label_median_ms   (R > 0) an endpoint of h2 moves from grp g<n> to g<n+1>
#                       -> applied (its address left one set, joined another)
#     cold_ms           start -> /readiness 200 (empty kernel)
#     rss_mb            the agent's VmRSS, the larger of "programmed" and "after the rounds"
#   throughput    iperf3 TCP between two workloads on one host, interleaved
#                 (b c b c ...), as bench_throughput.sh: b on host h1 with the
#                 allow profile only; c on host h2 whose workloads every policy
#                 selects (SPREAD 1), the first packet walking all 1,000 policy
#                 chains past their rules, with 100,000 endpoints of a third
#                 host in the 1,000 selector sets (100 each).
# Prints one JSON line per part: {"part":"latency",...} twice, {"part":"throughput",...}.
#   bench/bench_policy.sh BUILDDIR
# Knobs: POLICY_ROUNDS (latency rounds without remote endpoints, default 11),
# POLICY_ROUNDS_REMOTE (with them, default 11), POLICY_TP_ROUNDS and
# POLICY_TP_SECONDS (iperf3, default 5 and 3), POLICY_SHAPES (default
# "1000:0 100:100000"; empty: throughput only).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:?usage: bench_policy.sh BUILDDIR}" && pwd)
ROUNDS=${POLICY_ROUNDS:-11}
ROUNDS_REMOTE=${POLICY_ROUNDS_REMOTE:-11}
TP_ROUNDS=${POLICY_TP_ROUNDS:-5}
SECS=${POLICY_TP_SECONDS:-3}
SHAPES=${POLICY_SHAPES-"1000:0 100:100000"}
NPOL=1000 NTIERS=3 NSEL=1000 REMOTE_TP=100000
[ "$(id -u)" -eq 0 ] || { echo "bench_policy: needs root" >&2; exit 1; }
for t in iperf3 nft jq curl; do
	command -v $t >/dev/null || { echo "bench_policy: $t is not installed" >&2; exit 1; }
done
for b in calico-node calicoctl nodetool dstool bench_agent; do
	[ -x "$build/$b" ] || { echo "bench_policy: $build/$b is not built" >&2; exit 1; }
done
export CALICO_BUILD=$build
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY
. "$root/tests/lib/netns.sh"
. "$here/lib.sh"
say() { echo "# policy: $*" >&2; }
die() { say "$*"; exit 1; }
ROOT_LINKS=$(bench_root_links)
ms() { date +%s%3N; }
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
field() { sed -nE "s/.*\"$2\":([0-9.]+).*/\1/p" <<<"$1"; }
ready() { [ "$(lab_exec "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ]; }
# agent HOST NS DATASTORE: calico-node as HOST inside lab namespace NS (pid in $LAB_LAST_PID)
agent() {
	mkdir -p "$LAB_TMP/$2"
	lab_spawn "$2" env CALICO_DATASTORE="$3" CALICO_RUN_DIR="$LAB_TMP/$2" CALICO_LOG_DIR="$LAB_TMP/$2" \
		CALICO_STATE_DIR="$LAB_TMP/$2" HOSTNAME="$1" "$build/calico-node" --log-level warning \
		>>"$LAB_TMP/$2/agent.log" 2>&1
}

# ---- latency: one shape per agent ----
latency() {
	local L=$1 R=$2 tag="l$1r$2" pid t0 cold rss1 rss2 pol lab=null lab_p90=null lab_to=0 i n=$ROUNDS
	[ "$R" -gt 0 ] && n=$ROUNDS_REMOTE
	export CALICO_DATASTORE="sqlite:$LAB_TMP/$tag.db"
	t0=$(ms)
	"$build/nodetool" seed-labelled h1 "$L" 70 100 $NSEL && "$build/nodetool" seed-v3 $NPOL $NTIERS 100 $NSEL ||
		die "seeding $tag"
	if [ "$R" -gt 0 ]; then "$build/nodetool" seed-labelled h2 "$R" 128 100 $NSEL || die "seeding $tag"; fi
	say "$tag: seeded in $(($(ms) - t0)) ms"
	lab_ns_add "$tag" || die "namespace"
	t0=$(ms)
	agent h1 "$tag" "$CALICO_DATASTORE"
	pid=$LAB_LAST_PID
	for ((i = 0; i < 12000; i++)); do ready "$tag" && break; sleep 0.01; done
	ready "$tag" || { tail -n 5 "$LAB_TMP/$tag/agent.log" >&2; die "$tag: agent not ready"; }
	cold=$(($(ms) - t0))
	rss1=$(rss_mb "$pid")
	say "$tag: ready in $cold ms, $rss1 MB"
	pol=$(BENCH_AGENT_TIMEOUT_MS=60000 lab_exec "$tag" "$build/bench_agent" gnp:bench-0.p0 "$n") || die "$tag: bench_agent gnp"
	say "$tag: policy $pol"
	if [ "$R" -gt 0 ]; then
		i=$(BENCH_AGENT_TIMEOUT_MS=60000 lab_exec "$tag" "$build/bench_agent" label:h2:128:$NSEL "$n") ||
			die "$tag: bench_agent label"
		say "$tag: label $i"
		lab=$(field "$i" median_ms) lab_p90=$(field "$i" p90_ms) lab_to=$(field "$i" timeouts)
	fi
	rss2=$(rss_mb "$pid")
	bench_stop_pid "$pid"
	unset CALICO_DATASTORE
	printf '{"part":"latency","local":%d,"remote":%d,"policies":%d,"tiers":%d,"selectors":%d,"rounds":%d,"policy_median_ms":%s,"policy_p90_ms":%s,"policy_max_ms":%s,"label_median_ms":%s,"label_p90_ms":%s,"timeouts":%d,"cold_ms":%d,"rss_mb":%s}\n' \
		"$L" "$R" $NPOL $NTIERS $NSEL "$n" "$(field "$pol" median_ms)" "$(field "$pol" p90_ms)" \
		"$(field "$pol" max_ms)" "$lab" "$lab_p90" $(($(field "$pol" timeouts) + lab_to)) "$cold" \
		"$(awk -v a="$rss1" -v b="$rss2" 'BEGIN { print (a > b ? a : b) }')"
}

t_start=$(date +%s)
for shape in $SHAPES; do latency "${shape%%:*}" "${shape##*:}" || exit 1; done

# ---- throughput: allow-all (b, host h1) against 1,000 policies (c, host h2) ----
t_tp=$(date +%s)
lab_host_add h1 172.30.0.11 && lab_host_add h2 172.30.0.12 || die "hosts"
DB_B="sqlite:$LAB_TMP/b.db" DB_C="sqlite:$LAB_TMP/c.db"
ctl() {
	local h=$1 d=$2; shift 2
	lab_exec "$h" env HOSTNAME="$h" CALICO_DATASTORE="$d" "$build/calicoctl" "$@"
}
CALICO_DATASTORE=$DB_C "$build/nodetool" seed-labelled far $REMOTE_TP 128 1 $NSEL &&
	CALICO_DATASTORE=$DB_C "$build/nodetool" seed-v3 $NPOL $NTIERS 1 $NSEL || die "seeding (c)"
for d in "$DB_B" "$DB_C"; do
	ctl h1 "$d" pool add 10.65.0.0/16 >/dev/null && ctl h1 "$d" profile add allow >/dev/null || die "pools and profiles"
done
# label HOST DATASTORE IP: the endpoint record of IP gets app=a0 (every policy of (c) selects it)
label() {
	local key val
	key=$(CALICO_DATASTORE=$2 "$build/dstool" list "/calico/v1/host/$1/workload/" | grep -F "\"$3/32\"" | cut -f1)
	[ -n "$key" ] && val=$(CALICO_DATASTORE=$2 "$build/dstool" get "$key") &&
		CALICO_DATASTORE=$2 "$build/dstool" put "$key" "$(jq -c '.labels = {"app":"a0"}' <<<"$val")" >/dev/null
}
for w in b1:h1:10.65.1.2 b2:h1:10.65.1.3 c1:h2:10.65.2.2 c2:h2:10.65.2.3; do
	IFS=: read -r wl h ip <<<"$w"
	d=$DB_B; [ "$h" = h2 ] && d=$DB_C
	lab_workload_ns "$wl" && ctl "$h" "$d" container add "$(lab_nspath "$wl")" "$ip" >/dev/null &&
		ctl "$h" "$d" container "$(lab_nspath "$wl")" profile append allow >/dev/null &&
		label "$h" "$d" "$ip" || die "workload $wl"
done
agent h1 h1 "$DB_B"
agent h2 h2 "$DB_C"
# Programmed: both endpoint status keys "up" on each host, and on h2 every
# policy chain and each workload's three tier chains in the kernel.
ups() { CALICO_DATASTORE=$2 "$build/dstool" list "/calico/felix/v1/host/$1/" 2>/dev/null | grep -c '"up"'; }
chains() { lab_exec h2 nft list chains inet 2>/dev/null | grep -c "chain $1"; }
programmed() {
	[ "$(ups h1 "$DB_B")" -ge 2 ] && [ "$(ups h2 "$DB_C")" -ge 2 ] && [ "$(chains pi-)" -ge $NPOL ] &&
		[ "$(chains ti-)" -ge $((2 * NTIERS)) ]
}
t0=$(ms)
for ((i = 0; i < ${POLICY_TP_WAIT:-1200}; i++)); do programmed && break; sleep 0.1; done
programmed || { say "up: h1 $(ups h1 "$DB_B") h2 $(ups h2 "$DB_C"); chains pi- $(chains pi-) ti- $(chains ti-)"
	lab_exec h2 nft list chains inet 2>&1 | head -n 20 >&2
	tail -n 20 "$LAB_TMP"/h*/agent.log >&2; die "agents did not program within 120 s"; }
ready_ms=$(($(ms) - t0))
# the selector sets must hold their members, or the walk would be past empty sets
sets=$(lab_exec h2 nft list sets inet 2>/dev/null | grep -o 'set sel4-[a-z0-9]*' | cut -d' ' -f2)
one=$(head -n 1 <<<"$sets")
members=$(lab_exec h2 nft list set inet calico "$one" 2>/dev/null | grep -o '10\.[0-9.]*' | wc -l)
say "programmed in $ready_ms ms; $(wc -l <<<"$sets") IPv4 selector sets on h2, $one holds $members addresses"
[ "$members" -ge 1 ] || die "selector set $one is empty"
bench_iperf_servers b2:10.65.1.3 c2:10.65.2.3 || die "iperf3 server in $BENCH_FAILED"
bench_iperf_reach b1:10.65.1.3 c1:10.65.2.3 || die "no TCP path $BENCH_FAILED (policy or routing)"
B=() C=()
for ((r = 1; r <= TP_ROUNDS; r++)); do
	B+=("$(bench_iperf_gbps b1 10.65.1.3 "$SECS")") C+=("$(bench_iperf_gbps c1 10.65.2.3 "$SECS")")
	say "round $r: allow-all ${B[-1]} policies ${C[-1]} Gbit/s"
done
read -r bm bmin bmax <<<"$(bench_stats "${B[@]}")"
read -r cm cmin cmax <<<"$(bench_stats "${C[@]}")"
[ "$(bench_root_links)" = "$ROOT_LINKS" ] || say "WARNING: the root namespace's links changed"
printf '{"part":"throughput","policies":%d,"tiers":%d,"selectors":%d,"members":%d,"rounds":%d,"seconds":%d,"allow_gbps":%s,"allow_min":%s,"allow_max":%s,"policy_gbps":%s,"policy_min":%s,"policy_max":%s,"ratio":%s,"programmed_ms":%d,"elapsed_s":%d,"allow_runs":"%s","policy_runs":"%s"}\n' \
	$NPOL $NTIERS $NSEL $REMOTE_TP "$TP_ROUNDS" "$SECS" "$bm" "$bmin" "$bmax" "$cm" "$cmin" "$cmax" \
	"$(bench_ratio "$cm" "$bm")" "$ready_ms" $(($(date +%s) - t_tp)) "${B[*]}" "${C[*]}"
say "section took $(($(date +%s) - t_start)) s"
