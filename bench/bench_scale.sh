#!/usr/bin/env bash
# calico-node at cluster scale: one shape per run, SQLite, the agent in a
# private namespace (release build). Prints one JSON line:
#   local, remote      endpoints on this host / on other hosts (remote ones in 100 tags that
#                      a local profile's rules use: nodetool seed-tags)
#   change_median_ms   a profile's rules rewritten -> the kernel's next generation (bench_agent,
#                      25 rounds; from the write's start, as all bench_agent times)
#   change_applied_median_ms  the same change -> the agent's metric counts it applied (after
#                      libnftables has returned and freed what it read)
#   join_median_ms     an endpoint of another host joins a used tag -> its element in the
#                      kernel (remote shapes only, 25 rounds)
#   cold_ms, warm_ms   start -> /readiness 200, empty kernel / table already there
#   rss_mb             VmRSS once programmed and after the rounds (the larger)
#   warm_script_bytes  the transaction of the warm start (0: nothing changed in the kernel)
#   bench/bench_scale.sh BUILDDIR LOCAL REMOTE
set -uo pipefail
build=$(cd "${1:?usage: bench_scale.sh BUILDDIR LOCAL REMOTE}" && pwd)
L=${2:?}; R=${3:?}
[ "$(id -u)" -eq 0 ] || { echo "bench_scale: needs root" >&2; exit 1; }
ns="cb$$-scale"
tmp=$(mktemp -d /tmp/calico-bench-scale.XXXXXX)
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
"$build/nodetool" seed h1 "$L" 70 >/dev/null || exit 1
if [ "$R" -gt 0 ]; then
	# profile p0 (used by a local endpoint) gets 100 rules over tags t0..t99, each tag R/100 members on h2
	"$build/nodetool" seed-tags p0 100 100 $((R / 100)) h2 >/dev/null || exit 1
fi
ms() { date +%s%3N; }
start_agent() {
	ip netns exec "$ns" env CALICO_RUN_DIR="$tmp/run" CALICO_LOG_DIR="$tmp" CALICO_STATE_DIR="$tmp" HOSTNAME=h1 \
		"$build/calico-node" --log-level warning >>"$tmp/agent.log" 2>&1 &
	pid=$!
}
wait_ready() {
	local i
	for ((i = 0; i < 6000; i++)); do
		[ "$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ] && return 0
		sleep 0.005
	done
	return 1
}
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
metric() { ip netns exec "$ns" curl -s http://127.0.0.1:9099/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
med() { sed -nE 's/.*"median_ms":([0-9.]+).*/\1/p' <<<"$1"; }
applied() { sed -nE 's/.*"applied_median_ms":([0-9.]+).*/\1/p' <<<"$1"; }

t0=$(ms); start_agent; wait_ready || { echo "bench_scale: agent not ready" >&2; tail "$tmp/agent.log" >&2; exit 1; }
cold=$(($(ms) - t0))
rss1=$(rss_mb)
change=$(ip netns exec "$ns" "$build/bench_agent" p5 25) || exit 1
join='null'
if [ "$R" -gt 0 ]; then
	j=$(ip netns exec "$ns" "$build/bench_agent" join:t0 25) || exit 1
	join=$(med "$j")
fi
rss2=$(rss_mb)
kill "$pid"; wait "$pid"; pid=""
t0=$(ms); start_agent; wait_ready || exit 1
warm=$(($(ms) - t0))
warm_bytes=$(metric calico_nft_script_bytes_last)
rss=$(awk -v a="$rss1" -v b="$rss2" 'BEGIN { print (a > b ? a : b) }')
printf '{"local":%d,"remote":%d,"change_median_ms":%s,"change_applied_median_ms":%s,"join_median_ms":%s,"cold_ms":%d,"warm_ms":%d,"rss_mb":%s,"warm_script_bytes":%s}\n' \
	"$L" "$R" "$(med "$change")" "$(applied "$change")" "$join" "$cold" "$warm" "$rss" "${warm_bytes:-null}"
