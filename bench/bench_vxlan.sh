#!/usr/bin/env bash
# Cross-host TCP throughput (iperf3), three variants side by side in one run,
# interleaved (a n v a n v ...) so that a noisy minute on the 2-vCPU machine
# hurts each alike:
#   a  a direct veth pair between two namespaces: the anchor
#   n  native routing: workload -> host n1 -> fabric bridge -> host n2 -> workload,
#      plain pool, calico-node on both hosts (policy: one allow profile), the
#      remote block routed by a static `ip route add <block> via <host>` in
#      each host (BGP/BIRD is not used here)
#   v  VXLAN: the same path between hosts v1 and v2 on the same fabric, a
#      --vxlan pool, calico-node programming vxlan.calico (workload MTU 1450)
# Prints one JSON line: medians (min, max) in Gbit/s, n/a, v/a and v/n.
#   bench/bench_vxlan.sh BUILDDIR [ROUNDS] [SECONDS]
# Everything lives in run-unique namespaces (tests/lib/netns.sh) deleted on
# exit; only processes started here are stopped, by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:?usage: bench_vxlan.sh BUILDDIR [ROUNDS] [SECONDS]}" && pwd)
ROUNDS=${2:-5}
SECS=${3:-3}
[ "$(id -u)" -eq 0 ] || { echo "bench_vxlan: needs root" >&2; exit 1; }
for t in iperf3 jq; do command -v $t >/dev/null || { echo "bench_vxlan: $t is not installed" >&2; exit 1; }; done
for b in calico-node calicoctl dstool; do
	[ -x "$build/$b" ] || { echo "bench_vxlan: $build/$b is not built" >&2; exit 1; }
done
export CALICO_BUILD=$build
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY
. "$root/tests/lib/netns.sh"
. "$here/lib.sh"
say() { echo "# vxlan bench: $*" >&2; }
die() { say "$*"; exit 1; }
ROOT_LINKS=$(bench_root_links)
t_start=$(date +%s)

# ---- a: one veth pair ----
lab_ns_add pa && lab_ns_add pb || die "cannot create namespaces"
bench_veth_pair pa pb || die "veth pair"

# ---- n and v: four hosts on one fabric, two datastores ----
DB_N="sqlite:$LAB_TMP/n.db" DB_V="sqlite:$LAB_TMP/v.db"
lab_host_add n1 172.30.0.11 && lab_host_add n2 172.30.0.12 && lab_host_add v1 172.30.0.21 &&
	lab_host_add v2 172.30.0.22 || die "hosts"
db_of() { case $1 in n*) echo "$DB_N" ;; *) echo "$DB_V" ;; esac; }
ctl() { local h=$1; shift; lab_exec "$h" env HOSTNAME="$h" CALICO_DATASTORE="$(db_of "$h")" "$build/calicoctl" "$@"; }
ds() { CALICO_DATASTORE=$1 "$build/dstool" "${@:2}"; }
ctl n1 pool add 10.65.0.0/16 >/dev/null && ctl v1 pool add 10.75.0.0/16 --vxlan >/dev/null &&
	ctl n1 profile add allow >/dev/null && ctl v1 profile add allow >/dev/null || die "pools and profiles"
for h in n1:172.30.0.11 n2:172.30.0.12 v1:172.30.0.21 v2:172.30.0.22; do
	ds "$(db_of "${h%%:*}")" put "/calico/bgp/v1/host/${h%%:*}/ip_addr_v4" "${h#*:}" >/dev/null || die "host address"
done
for w in nw1:n1:10.65.1.2 nw2:n2:10.65.2.2 vw1:v1:10.75.1.2 vw2:v2:10.75.2.2; do
	IFS=: read -r wl h ip <<<"$w"
	lab_workload_ns "$wl" && ctl "$h" container add "$(lab_nspath "$wl")" "$ip" >/dev/null &&
		ctl "$h" container "$(lab_nspath "$wl")" profile append allow >/dev/null || die "workload $wl"
done
# native: the remote block by a static route (what BGP would install)
ip -n "$(lab_ns n1)" route add 10.65.2.0/26 via 172.30.0.12 && ip -n "$(lab_ns n2)" route add 10.65.1.0/26 via 172.30.0.11 ||
	die "static routes"
for h in n1 n2 v1 v2; do
	mkdir -p "$LAB_TMP/$h"
	lab_spawn "$h" env CALICO_DATASTORE="$(db_of "$h")" CALICO_RUN_DIR="$LAB_TMP/$h" CALICO_LOG_DIR="$LAB_TMP/$h" \
		CALICO_STATE_DIR="$LAB_TMP/$h" HOSTNAME="$h" "$build/calico-node" --log-level warning >>"$LAB_TMP/$h/agent.log" 2>&1
done
ups() { ds "$(db_of "$1")" list "/calico/felix/v1/host/$1/" 2>/dev/null | grep -c '"up"'; }
vroute() { ip -n "$(lab_ns "$1")" route show proto 80 dev vxlan.calico 2>/dev/null | grep -q "$2"; }
programmed() {
	for h in n1 n2 v1 v2; do [ "$(ups $h)" -ge 1 ] || return 1; done
	vroute v1 10.75.2.0/26 && vroute v2 10.75.1.0/26
}
t0=$(date +%s%3N)
for ((i = 0; i < 600; i++)); do programmed && break; sleep 0.1; done
programmed || { tail -n 20 "$LAB_TMP"/*/agent.log >&2; die "agents did not program within 60 s"; }
ready_ms=$(($(date +%s%3N) - t0))
mtu_v=$(ip -n "$(lab_ns vw1)" -o link show eth0 | sed 's/.* mtu \([0-9]*\) .*/\1/')
say "programmed in ${ready_ms} ms; VXLAN workload MTU ${mtu_v}"

bench_iperf_servers pb:10.66.0.2 nw2:10.65.2.2 vw2:10.75.2.2 || die "iperf3 server in $BENCH_FAILED"
bench_iperf_reach pa:10.66.0.2 nw1:10.65.2.2 vw1:10.75.2.2 || die "no TCP path $BENCH_FAILED"
tx0=$(ip -n "$(lab_ns v1)" -j -s link show vxlan.calico | jq '.[0].stats64.tx.packets')

run() { bench_iperf_gbps "$1" "$2" "$SECS"; }
A=() N=() V=()
for ((r = 1; r <= ROUNDS; r++)); do
	A+=("$(run pa 10.66.0.2)") N+=("$(run nw1 10.65.2.2)") V+=("$(run vw1 10.75.2.2)")
	say "round $r: a ${A[-1]} n ${N[-1]} v ${V[-1]} Gbit/s"
done
tx1=$(ip -n "$(lab_ns v1)" -j -s link show vxlan.calico | jq '.[0].stats64.tx.packets')
say "vxlan.calico on v1 sent $((tx1 - tx0)) packets during the VXLAN runs (encapsulated)"

read -r am amin amax <<<"$(bench_stats "${A[@]}")"
read -r nm nmin nmax <<<"$(bench_stats "${N[@]}")"
read -r vm vmin vmax <<<"$(bench_stats "${V[@]}")"
[ "$(bench_root_links)" = "$ROOT_LINKS" ] || say "WARNING: the root namespace's links changed"
printf '{"a_gbps":%s,"a_min":%s,"a_max":%s,"native_gbps":%s,"native_min":%s,"native_max":%s,"vxlan_gbps":%s,"vxlan_min":%s,"vxlan_max":%s,"ratio_native_a":%s,"ratio_vxlan_a":%s,"ratio_vxlan_native":%s,"vxlan_mtu":%s,"vxlan_tx_packets":%d,"rounds":%d,"seconds":%d,"programmed_ms":%d,"elapsed_s":%d,"a_runs":"%s","native_runs":"%s","vxlan_runs":"%s"}\n' \
	"$am" "$amin" "$amax" "$nm" "$nmin" "$nmax" "$vm" "$vmin" "$vmax" "$(bench_ratio "$nm" "$am")" "$(bench_ratio "$vm" "$am")" \
	"$(bench_ratio "$vm" "$nm")" "${mtu_v:-0}" "$((tx1 - tx0))" "$ROUNDS" "$SECS" "$ready_ms" $(($(date +%s) - t_start)) \
	"${A[*]}" "${N[*]}" "${V[*]}"
