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

stop_pid() {
	local p keep=()
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in "${LAB_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	LAB_PIDS=("${keep[@]}")
}
until_ok() { local i; for ((i = 0; i < 400; i++)); do "$@" && return 0; sleep 0.05; done; return 1; }
ready() { [ "$(lab_exec h1 curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ]; }
etcd_up() { lab_exec h1 curl -s --max-time 1 http://127.0.0.1:23790/health | grep -q true; }

lab_fabric_add && lab_host_add h1 172.30.0.11 || { echo "bench_cni: cannot build the lab" >&2; exit 1; }
# The plugins' directory is CNI_PATH: calico finds calico-ipam next to itself.
mkdir -p "$LAB_TMP/bin"
ln -s "$build/calico" "$LAB_TMP/bin/calico"
ln -s "$build/calico-ipam" "$LAB_TMP/bin/calico-ipam"

bench_calico() {
	local b=$1 etcd_pid="" agent out ds conf
	if [ "$b" = etcd ]; then
		lab_spawn h1 etcd --name b1 --data-dir "$LAB_TMP/etcd" \
			--listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
			--listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
			--initial-cluster b1=http://127.0.0.1:23800 --log-level error >"$LAB_TMP/etcd.log" 2>&1
		etcd_pid=$LAB_LAST_PID
		until_ok etcd_up || { echo "bench_cni: etcd did not start" >&2; return 1; }
		export ETCD_ENDPOINTS=http://127.0.0.1:23790
		unset CALICO_DATASTORE
		ds='"etcd_endpoints":"http://127.0.0.1:23790"'
	else
		export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db"
		unset ETCD_ENDPOINTS
		ds="\"datastore\":\"sqlite:$LAB_TMP/calico.db\""
	fi
	conf="{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"calico\",\"nodename\":\"h1\",$ds,\"log_level\":\"error\",\"ipam\":{\"type\":\"calico-ipam\"}}"
	lab_exec h1 "$build/calicoctl" pool add 10.65.0.0/16 >/dev/null || return 1
	mkdir -p "$LAB_TMP/$b"
	lab_spawn h1 env CALICO_RUN_DIR="$LAB_TMP/$b" CALICO_LOG_DIR="$LAB_TMP/$b" CALICO_STATE_DIR="$LAB_TMP/$b" \
		HOSTNAME=h1 "$build/calico-node" --log-level warning >>"$LAB_TMP/$b/agent.log" 2>&1
	agent=$LAB_LAST_PID
	if until_ok ready; then
		out=$(lab_exec h1 "$build/bench_mesos" cni "$LAB_TMP/bin/calico" "$conf" "$N" "$PAR" 2>>"$LAB_TMP/$b/bench.log") &&
			echo "{\"variant\":\"calico+calico-ipam\",\"backend\":\"$b\",${out#\{}"
	else
		echo "bench_cni: calico-node not ready on $b" >&2
	fi
	stop_pid "$agent"
	[ -n "$etcd_pid" ] && stop_pid "$etcd_pid"
	[ -n "${out:-}" ] || { tail -n 5 "$LAB_TMP/$b/bench.log" "$LAB_TMP/$b/agent.log" >&2; return 1; }
}

bench_bridge() {
	local conf out
	conf="{\"cniVersion\":\"0.4.0\",\"name\":\"benchbr\",\"type\":\"bridge\",\"bridge\":\"cnibench0\",\"isGateway\":true,\"ipMasq\":false,\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.99.0.0/16\",\"dataDir\":\"$LAB_TMP/host-local\"}}"
	out=$(lab_exec h1 "$build/bench_mesos" cni /usr/lib/cni/bridge "$conf" "$N" "$PAR" 2>>"$LAB_TMP/bridge.log") ||
		{ tail -n 5 "$LAB_TMP/bridge.log" >&2; return 1; }
	echo "{\"variant\":\"bridge+host-local\",\"backend\":\"host-local\",${out#\{}"
}

rc=0
bench_bridge || rc=1
bench_calico sqlite || rc=1
bench_calico etcd || rc=1
exit $rc
