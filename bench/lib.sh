# bench/lib.sh: what the lab benches share. Source it after
# tests/lib/netns.sh; it uses $build (the build directory) and $LAB_TMP.
# Nothing here runs on its own; each function says what it needs.

# bench_stop_pid PID: end a process this script started, and forget it (so
# the lab's cleanup never signals a pid that may have been reused).
bench_stop_pid() {
	local p keep=()
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in "${LAB_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	LAB_PIDS=("${keep[@]}")
}

# bench_until_ok CMD...: CMD succeeds within 20 s (tried every 50 ms).
bench_until_ok() { local i; for ((i = 0; i < 400; i++)); do "$@" && return 0; sleep 0.05; done; return 1; }

# ---- one Calico host h1 with a fresh datastore (bench_cni, bench_mesos) ----

bench_h1_ready() { [ "$(lab_exec h1 curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ]; }
bench_h1_etcd_up() { lab_exec h1 curl -s --max-time 1 http://127.0.0.1:23790/health | grep -q true; }

# bench_calico_start NAME BACKEND: on h1 a fresh datastore (BACKEND sqlite: a
# file in $LAB_TMP, exported as CALICO_DATASTORE; etcd: an etcd on h1's own
# 127.0.0.1:23790, exported as ETCD_ENDPOINTS), the pool 10.65.0.0/16 and a
# calico-node logging to $LAB_TMP/BACKEND/agent.log. Sets BENCH_AGENT and
# BENCH_ETCD (pids or "", for bench_calico_stop). Returns 1 when etcd or the
# pool fails (nothing to stop but etcd), 2 when the agent is not ready in
# 20 s; NAME prefixes the messages.
bench_calico_start() {
	local name=$1 b=$2
	BENCH_AGENT="" BENCH_ETCD=""
	if [ "$b" = etcd ]; then
		lab_spawn h1 etcd --name b1 --data-dir "$LAB_TMP/etcd" \
			--listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
			--listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
			--initial-cluster b1=http://127.0.0.1:23800 --log-level error >"$LAB_TMP/etcd.log" 2>&1
		BENCH_ETCD=$LAB_LAST_PID
		bench_until_ok bench_h1_etcd_up || { echo "$name: etcd did not start" >&2; return 1; }
		export ETCD_ENDPOINTS=http://127.0.0.1:23790
		unset CALICO_DATASTORE
	else
		export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db"
		unset ETCD_ENDPOINTS
	fi
	lab_exec h1 "$build/calicoctl" pool add 10.65.0.0/16 >/dev/null || return 1
	mkdir -p "$LAB_TMP/$b"
	lab_spawn h1 env CALICO_RUN_DIR="$LAB_TMP/$b" CALICO_LOG_DIR="$LAB_TMP/$b" CALICO_STATE_DIR="$LAB_TMP/$b" \
		HOSTNAME=h1 "$build/calico-node" --log-level warning >>"$LAB_TMP/$b/agent.log" 2>&1
	BENCH_AGENT=$LAB_LAST_PID
	bench_until_ok bench_h1_ready || { echo "$name: calico-node not ready on $b" >&2; return 2; }
}

# bench_calico_stop: stops what bench_calico_start started.
bench_calico_stop() {
	[ -n "$BENCH_AGENT" ] && bench_stop_pid "$BENCH_AGENT"
	[ -n "$BENCH_ETCD" ] && bench_stop_pid "$BENCH_ETCD"
	BENCH_AGENT="" BENCH_ETCD=""
}

# bench_cni_bridge VARIANT LOG: the reference, Debian's bridge + host-local
# ADDed by bench_mesos's "cni" mode on h1 ($N, $PAR), one JSON line with
# "variant":VARIANT; LOG gets bench_mesos's stderr.
bench_cni_bridge() {
	local variant=$1 log=$2 conf out
	conf="{\"cniVersion\":\"0.4.0\",\"name\":\"benchbr\",\"type\":\"bridge\",\"bridge\":\"cnibench0\",\"isGateway\":true,\"ipMasq\":false,\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.99.0.0/16\",\"dataDir\":\"$LAB_TMP/host-local\"}}"
	out=$(lab_exec h1 "$build/bench_mesos" cni /usr/lib/cni/bridge "$conf" "$N" "$PAR" 2>>"$log") ||
		{ tail -n 5 "$log" >&2; return 1; }
	echo "{\"variant\":\"$variant\",\"backend\":\"host-local\",${out#\{}"
}

# ---- iperf3 between namespaces (bench_throughput, bench_vxlan) ----

# bench_veth_pair A B: the anchor, eth0 10.66.0.1/24 in lab namespace A
# linked straight to eth0 10.66.0.2/24 in B (both ends born inside the lab).
bench_veth_pair() {
	ip -n "$(lab_ns "$1")" link add eth0 type veth peer name eth0 netns "$(lab_ns "$2")" &&
		ip -n "$(lab_ns "$1")" addr add 10.66.0.1/24 dev eth0 && ip -n "$(lab_ns "$1")" link set eth0 up &&
		ip -n "$(lab_ns "$2")" addr add 10.66.0.2/24 dev eth0 && ip -n "$(lab_ns "$2")" link set eth0 up
}

bench_iperf_listening() { lab_exec "$1" ss -ltn 2>/dev/null | grep -q ":5201 "; }

# bench_iperf_servers NS:IP...: a persistent iperf3 server bound to IP in
# each NS (started, and later killed, by pid through lab_spawn), waited for
# until it listens. On failure BENCH_FAILED is the namespace.
bench_iperf_servers() {
	local s ns ip i
	for s in "$@"; do
		IFS=: read -r ns ip <<<"$s"
		lab_spawn "$ns" iperf3 -s -B "$ip" >/dev/null 2>&1
	done
	for s in "$@"; do
		ns=${s%%:*}
		for ((i = 0; i < 100; i++)); do bench_iperf_listening "$ns" && break; sleep 0.05; done
		bench_iperf_listening "$ns" || { BENCH_FAILED=$ns; return 1; }
	done
}

# bench_iperf_reach NS:IP...: one second of TCP from each NS to IP, so that
# first contact (ARP for 169.254.1.1 and the neighbour) is outside the
# measurement. On failure BENCH_FAILED is "NS -> IP".
bench_iperf_reach() {
	local p ns ip
	for p in "$@"; do
		IFS=: read -r ns ip <<<"$p"
		lab_exec "$ns" iperf3 -c "$ip" -t 1 >/dev/null 2>&1 || { BENCH_FAILED="$ns -> $ip"; return 1; }
	done
}

# bench_iperf_gbps CLIENT_NS SERVER_IP SECONDS: Gbit/s received, one run.
bench_iperf_gbps() {
	lab_exec "$1" iperf3 -c "$2" -t "$3" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100'
}

# bench_stats V...: "median min max" (median of an even count: mean of the middle two)
bench_stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f", m, v[1], v[NR] }'; }

# bench_ratio X Y: X/Y to three places, 0 when Y is 0.
bench_ratio() { awk -v x="$1" -v y="$2" 'BEGIN { if (y > 0) printf "%.3f", x / y; else print 0 }'; }

# bench_root_links: the root namespace's link names, to compare before and after.
bench_root_links() { ip -o link | awk -F': ' '{print $2}' | sort; }
