#!/usr/bin/env bash
# calico-node at scale: N endpoints on this host and N profiles (default 1000),
# on SQLite, the agent inside a private namespace. Prints one JSON line:
#   resync_cold_ms  start -> /readiness 200 with an empty kernel (list, compile, one full transaction)
#   resync_warm_ms  the same with the table already in the kernel (read-back + empty diff)
#   rss_mb          the agent's resident memory once programmed
#   change_*_ms     bench_agent: profile change in the datastore -> kernel has it (30 rounds)
# The endpoints have no interfaces (creating 1000 veths measures the kernel, not
# the agent): nftables carries all of them, routes none.
#   bench/bench_agent.sh BUILDDIR [N]
set -uo pipefail
build=$(cd "${1:?usage: bench_agent.sh BUILDDIR [N]}" && pwd)
N=${2:-1000}
[ "$(id -u)" -eq 0 ] || { echo "bench_agent: needs root" >&2; exit 1; }
ns="cb$$-agent"
tmp=$(mktemp -d /tmp/calico-bench-agent.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
ip netns add "$ns" && ip -n "$ns" link set lo up || exit 1
export CALICO_DATASTORE="sqlite:$tmp/calico.db"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
"$build/nodetool" seed h1 "$N" 70 || exit 1

ms() { date +%s%3N; }
start_agent() {
	ip netns exec "$ns" env CALICO_RUN_DIR="$tmp/run" CALICO_LOG_DIR="$tmp" CALICO_STATE_DIR="$tmp" HOSTNAME=h1 \
		"$build/calico-node" --log-level warning >>"$tmp/agent.log" 2>&1 &
	pid=$!
}
wait_ready() {
	local i
	for ((i = 0; i < 3000; i++)); do
		[ "$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ] && return 0
		sleep 0.005
	done
	return 1
}
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }

t0=$(ms); start_agent; wait_ready || { echo "bench_agent: agent not ready" >&2; cat "$tmp/agent.log" >&2; exit 1; }
cold=$(($(ms) - t0))
rss=$(rss_mb)
change=$(ip netns exec "$ns" "$build/bench_agent" p5 30) || exit 1
rss_after=$(rss_mb)
kill "$pid"; wait "$pid"; pid=""
t0=$(ms); start_agent; wait_ready || exit 1
warm=$(($(ms) - t0))
rules=$(ip netns exec "$ns" nft list table inet calico | grep -c ';\|accept\|drop\|jump\|goto\|return')
printf '{"endpoints":%d,"profiles":%d,"resync_cold_ms":%d,"resync_warm_ms":%d,"rss_mb":%s,"rss_after_changes_mb":%s,"change_median_ms":%s,"change_p90_ms":%s,"change_max_ms":%s,"nft_lines":%d}\n' \
	"$N" "$N" "$cold" "$warm" "$rss" "$rss_after" \
	"$(sed -nE 's/.*"median_ms":([0-9.]+).*/\1/p' <<<"$change")" \
	"$(sed -nE 's/.*"p90_ms":([0-9.]+).*/\1/p' <<<"$change")" \
	"$(sed -nE 's/.*"max_ms":([0-9.]+).*/\1/p' <<<"$change")" "$rules"
