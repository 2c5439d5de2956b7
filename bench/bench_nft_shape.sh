#!/usr/bin/env bash
# What one small transaction costs the kernel and libnftables on the table the
# compiler makes for N local endpoints, without the agent: `nodetool seed h1 N`
# (N endpoints, one profile each), `nodetool render h1` (the full script), loaded
# into a private namespace; then prof-in-p5 flushed and refilled with its own
# rules ROUNDS times (bench_nft_txn). One JSON line per size, with the load
# average beside it (the wall figures wait for a CPU on a busy machine; the
# CPU figures do not).
#   bench/bench_nft_shape.sh BUILDDIR [ROUNDS] N...     (needs root)
set -uo pipefail
build=$(cd "${1:?usage: bench_nft_shape.sh BUILDDIR [ROUNDS] N...}" && pwd)
shift
rounds=21
[ $# -gt 1 ] && { rounds=$1; shift; }
[ "$(id -u)" -eq 0 ] || { echo "bench_nft_shape: needs root" >&2; exit 1; }
ns="cb$$-nftshape"
tmp=$(mktemp -d /tmp/calico-bench-nftshape.XXXXXX)
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
ip netns add "$ns" || exit 1
unset ETCD_ENDPOINTS ETCD_AUTHORITY
for n in "$@"; do
	rm -f "$tmp"/calico.db*
	export CALICO_DATASTORE="sqlite:$tmp/calico.db"
	"$build/nodetool" seed h1 "$n" 70 >/dev/null && "$build/nodetool" render h1 >"$tmp/full.nft" || exit 1
	{
		echo "flush chain inet calico prof-in-p5"
		grep '^add rule inet calico prof-in-p5 ' "$tmp/full.nft"
	} >"$tmp/change.nft"
	ip netns exec "$ns" nft flush ruleset || exit 1
	out=$("$build/bench_nft_txn" "$ns" "$tmp/full.nft" "$tmp/change.nft" "$rounds") || exit 1
	chains=$(grep -c '^add chain ' "$tmp/full.nft")
	rules=$(grep -c '^add rule ' "$tmp/full.nft")
	load=$(cut -d' ' -f1 /proc/loadavg)
	printf '{"local":%d,"chains":%d,"rules":%d,%s,"loadavg":%s}\n' "$n" "$chains" "$rules" "${out#\{}" "$load" |
		sed 's/},"loadavg"/,"loadavg"/'
done
