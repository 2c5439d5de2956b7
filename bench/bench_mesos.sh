#!/usr/bin/env bash
# calico_mesos at work: the time from allocate + isolate to a task whose
# traffic passes (address, routes, the agent's policy), on SQLite and on etcd,
# and Debian's reference CNI plugins (bridge + host-local ADD) in the same run,
# all driven by bench_mesos inside one lab host namespace:
#   fabric -- h1 (172.30.0.11; calico-node; etcd on h1's own 127.0.0.1)
# Prints one JSON line per variant (see bench_mesos.c for the fields).
#   bench/bench_mesos.sh BUILDDIR [N] [PARALLEL]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench_mesos.sh BUILDDIR [N] [PARALLEL]}" && pwd)
N=${2:-200}
PAR=${3:-8}
[ "$(id -u)" -eq 0 ] || { echo "bench_mesos: needs root" >&2; exit 1; }
export CALICO_BUILD=$build
. "$root/tests/lib/netns.sh"
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY HOSTNAME

. "$root/bench/lib.sh"

lab_fabric_add && lab_host_add h1 172.30.0.11 || { echo "bench_mesos: cannot build the lab" >&2; exit 1; }

# bench_calico BACKEND: a fresh datastore, an agent, the measurement
bench_calico() {
	local b=$1 out="" st
	bench_calico_start bench_mesos "$b"
	st=$?
	if [ $st -eq 0 ]; then
		out=$(lab_exec h1 "$build/bench_mesos" mesos "$build/calico_mesos" "$N" "$PAR" 2>>"$LAB_TMP/$b/bench.log") &&
			echo "{\"variant\":\"calico_mesos\",\"backend\":\"$b\",${out#\{}"
	fi
	bench_calico_stop
	[ $st -ne 1 ] || return 1
	[ -n "$out" ] || { tail -n 5 "$LAB_TMP/$b/bench.log" "$LAB_TMP/$b/agent.log" >&2; return 1; }
}

# The reference, Debian's bridge + host-local, is driven by hand (LAB-NOTES §8.2):
# bench_cni_bridge in bench/lib.sh.
rc=0
bench_cni_bridge "cni bridge+host-local" "$LAB_TMP/cni.log" || rc=1
bench_calico sqlite || rc=1
bench_calico etcd || rc=1
exit $rc
