#!/usr/bin/env bash
# The CNI plugins at work: the time from ADD to a container whose traffic
# passes (address, routes and the agent's policy in place), for calico +
# calico-ipam on SQLite and on etcd, and for Debian's reference plugins
# bridge + host-local in the same run. bench_mesos's "cni" mode does the
# driving (a task per container, a client task on the same network probing
# the new address every millisecond; see bench_mesos.c): 200 ADDs one after
# the other, then 200 as 8 at a time. It runs the plugins the way Mesos
# does, with only the CNI_* variables, so the calico config names the
# datastore and the node.
#   fabric -- h1 (172.30.0.11; calico-node; etcd on h1's own 127.0.0.1)
# Prints one JSON line per variant.   bench/bench_cni.sh BUILDDIR [N] [PARALLEL]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench_cni.sh BUILDDIR [N] [PARALLEL]}" && pwd)
N=${2:-200}
PAR=${3:-8}
[ "$(id -u)" -eq 0 ] || { echo "bench_cni: needs root" >&2; exit 1; }
export CALICO_BUILD=$build
. "$root/tests/lib/netns.sh"
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY HOSTNAME

. "$root/bench/lib.sh"

lab_fabric_add && lab_host_add h1 172.30.0.11 || { echo "bench_cni: cannot build the lab" >&2; exit 1; }
# The plugins' directory is CNI_PATH: calico finds calico-ipam next to itself.
mkdir -p "$LAB_TMP/bin"
ln -s "$build/calico" "$LAB_TMP/bin/calico"
ln -s "$build/calico-ipam" "$LAB_TMP/bin/calico-ipam"

bench_calico() {
	local b=$1 out="" ds conf st
	bench_calico_start bench_cni "$b"
	st=$?
	if [ "$b" = etcd ]; then
		ds='"etcd_endpoints":"http://127.0.0.1:23790"'
	else
		ds="\"datastore\":\"sqlite:$LAB_TMP/calico.db\""
	fi
	conf="{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"calico\",\"nodename\":\"h1\",$ds,\"log_level\":\"error\",\"ipam\":{\"type\":\"calico-ipam\"}}"
	if [ $st -eq 0 ]; then
		out=$(lab_exec h1 "$build/bench_mesos" cni "$LAB_TMP/bin/calico" "$conf" "$N" "$PAR" 2>>"$LAB_TMP/$b/bench.log") &&
			echo "{\"variant\":\"calico+calico-ipam\",\"backend\":\"$b\",${out#\{}"
	fi
	bench_calico_stop
	[ $st -ne 1 ] || return 1
	[ -n "$out" ] || { tail -n 5 "$LAB_TMP/$b/bench.log" "$LAB_TMP/$b/agent.log" >&2; return 1; }
}

rc=0
bench_cni_bridge bridge+host-local "$LAB_TMP/bridge.log" || rc=1
bench_calico sqlite || rc=1
bench_calico etcd || rc=1
exit $rc
