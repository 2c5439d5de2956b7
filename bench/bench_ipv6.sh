#!/usr/bin/env bash
# Cross-host TCP throughput (iperf3) over IPv6 against IPv4 on the same path,
# three variants interleaved in one run (a 4 6 a 4 6 ...) so that a noisy
# minute on the 2-vCPU machine hurts each alike:
#   a  a direct veth pair between two namespaces (IPv4): the anchor
#   4  workload w1 on h1 -> h1 -> fabric bridge -> h2 -> workload w2, IPv4
#   6  the same two workloads, the same veths and hosts, over IPv6 (iperf3 -6)
# h1 and h2 run `calicoctl node --ip=<v4> --ip6=<v6>` (calico-node and BIRD,
# routes learnt over BGP in both families), one SQLite datastore, both
# workloads dual stack (`container add ipv4` + `container ip add ipv6`) in one
# profile made by `calicoctl profile add`, so policy runs in both families.
# Prints one JSON line: medians (min, max) in Gbit/s, 6/4, 4/a and 6/a.
#   bench/bench_ipv6.sh BUILDDIR [ROUNDS] [SECONDS]
# Everything lives in run-unique namespaces (tests/lib/netns.sh) deleted on
# exit; only processes started here are stopped, by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:?usage: bench_ipv6.sh BUILDDIR [ROUNDS] [SECONDS]}" && pwd)
ROUNDS=${2:-5}
SECS=${3:-3}
[ "$(id -u)" -eq 0 ] || { echo "bench_ipv6: needs root" >&2; exit 1; }
for t in iperf3 jq bird; do command -v $t >/dev/null || { echo "bench_ipv6: $t is not installed" >&2; exit 1; }; done
for b in calico-node calicoctl dstool labnet; do
	[ -x "$build/$b" ] || { echo "bench_ipv6: $build/$b is not built" >&2; exit 1; }
done
export CALICO_BUILD=$build
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY
# netns.sh: run-unique namespaces and the cleanup; multihost.sh: calicoctl node
# per host, stopped (node stop, then by pid file) on exit; dualstack.sh: the
# IPv6 fabric and dual-stack workloads.
. "$root/tests/lib/netns.sh"
. "$root/tests/lib/etcd.sh"
. "$root/tests/lib/multihost.sh"
. "$root/tests/lib/dualstack.sh"
say() { echo "# ipv6 bench: $*" >&2; }
die() { say "$*"; mh_dump_logs 10 >&2; exit 1; }
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort)
t_start=$(date +%s)

# ---- a: one veth pair ----
lab_ns_add pa && lab_ns_add pb || die "cannot create namespaces"
ip -n "$(lab_ns pa)" link add eth0 type veth peer name eth0 netns "$(lab_ns pb)" &&
	ip -n "$(lab_ns pa)" addr add 10.66.0.1/24 dev eth0 && ip -n "$(lab_ns pa)" link set eth0 up &&
	ip -n "$(lab_ns pb)" addr add 10.66.0.2/24 dev eth0 && ip -n "$(lab_ns pb)" link set eth0 up || die "veth pair"

# ---- 4 and 6: two dual-stack hosts, BGP in both families ----
mh_datastore_sqlite
ds_host_add h1 172.30.0.11 fd00:172:30::11 && ds_host_add h2 172.30.0.12 fd00:172:30::12 || die "hosts"
mh_ds "$build/calicoctl" pool add 10.65.0.0/16 fd00:65::/64 >/dev/null &&
	mh_ds "$build/calicoctl" profile add allow >/dev/null || die "pools and profile"
t0=$(date +%s%3N)
ds_node_start h1 >/dev/null && ds_node_start h2 >/dev/null || die "calicoctl node"
ds_workload h1 w1 46 allow >/dev/null && ds_workload h2 w2 46 allow >/dev/null || die "workloads"
W2_4=${MH_WL_IP[w2.4]} W2_6=${MH_WL_IP[w2.6]}
# ready: both families' block routes learnt by BIRD on h1, and TCP through
reach() { lab_tcp w1 "$W2_4" 8080 && lab_tcp w1 "$W2_6" 8080; }
mh_wait 60 reach || die "no TCP path w1 -> w2 in both families within 60 s"
ready_ms=$(($(date +%s%3N) - t0))
mtu=$(ip -n "$(lab_ns w1)" -o link show eth0 | sed 's/.* mtu \([0-9]*\) .*/\1/')
routes6=$(ds_bird_routes h1 6 | wc -l)
say "nodes, workloads and routes in ${ready_ms} ms; workload MTU ${mtu}; h1 has ${routes6} IPv6 BIRD route(s)"

lab_spawn pb iperf3 -s -B 10.66.0.2 >/dev/null 2>&1
lab_spawn w2 iperf3 -s >/dev/null 2>&1 # [::], both families
listening() { lab_exec "$1" ss -ltn 2>/dev/null | grep -q ":5201 "; }
for ns in pb w2; do
	for ((i = 0; i < 100; i++)); do listening $ns && break; sleep 0.05; done
	listening $ns || die "iperf3 server in $ns"
done
# first contact (neighbour discovery) outside the measurement
lab_exec pa iperf3 -4 -c 10.66.0.2 -t 1 >/dev/null 2>&1 || die "no iperf3 path pa -> pb"
lab_exec w1 iperf3 -4 -c "$W2_4" -t 1 >/dev/null 2>&1 || die "no iperf3 path w1 -> $W2_4"
lab_exec w1 iperf3 -6 -c "$W2_6" -t 1 >/dev/null 2>&1 || die "no iperf3 path w1 -> $W2_6"

# run CLIENT_NS FAMILY SERVER_IP: Gbit/s received, one iperf3 run
run() {
	lab_exec "$1" iperf3 "$2" -c "$3" -t "$SECS" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100'
}
A=() F=() S=()
for ((r = 1; r <= ROUNDS; r++)); do
	A+=("$(run pa -4 10.66.0.2)") F+=("$(run w1 -4 "$W2_4")") S+=("$(run w1 -6 "$W2_6")")
	say "round $r: a ${A[-1]} ipv4 ${F[-1]} ipv6 ${S[-1]} Gbit/s"
done

stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f", m, v[1], v[NR] }'; }
read -r am amin amax <<<"$(stats "${A[@]}")"
read -r fm fmin fmax <<<"$(stats "${F[@]}")"
read -r sm smin smax <<<"$(stats "${S[@]}")"
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { if (y > 0) printf "%.3f", x / y; else print 0 }'; }
mh_stop_all >/dev/null 2>&1
[ "$(ip -o link | awk -F': ' '{print $2}' | sort)" = "$ROOT_LINKS" ] || say "WARNING: the root namespace's links changed"
printf '{"a_gbps":%s,"a_min":%s,"a_max":%s,"ipv4_gbps":%s,"ipv4_min":%s,"ipv4_max":%s,"ipv6_gbps":%s,"ipv6_min":%s,"ipv6_max":%s,"ratio_ipv6_ipv4":%s,"ratio_ipv4_a":%s,"ratio_ipv6_a":%s,"mtu":%s,"rounds":%d,"seconds":%d,"ready_ms":%d,"elapsed_s":%d,"a_runs":"%s","ipv4_runs":"%s","ipv6_runs":"%s"}\n' \
	"$am" "$amin" "$amax" "$fm" "$fmin" "$fmax" "$sm" "$smin" "$smax" "$(ratio "$sm" "$fm")" "$(ratio "$fm" "$am")" \
	"$(ratio "$sm" "$am")" "${mtu:-0}" "$ROUNDS" "$SECS" "$ready_ms" $(($(date +%s) - t_start)) \
	"${A[*]}" "${F[*]}" "${S[*]}"
