#!/usr/bin/env bash
# The policy compiler against the real kernel (nftables 1.0.6), inside a
# network namespace of this run only; the root namespace's ruleset is never
# touched (checked at the end).
#  1. every tests/golden/<case>/expected.nft loads with `nft -f`;
#  2. the kernel's JSON of that table reads back to a model whose diff to the
#     compiled state is empty (and matches the captured kernel.json);
#  3. full(A) + diff(A->B) leaves the kernel's table equal to full(B), for a
#     walk through every case and back;
#  4. full(A) + sync(kernel JSON -> B), the restart path, equals full(B).
# GOLDEN_CAPTURE=1 rewrites tests/golden/<case>/kernel.json from the kernel.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
golden="$here/../golden"
build=${CALICO_BUILD:-$here/../../build-san}
tool="$build/nft_policy_tool"

if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
	echo "ok 1 # SKIP needs root, nft and ip"
	echo "1..1"
	exit 0
fi
if [ ! -x "$tool" ]; then
	fail "nft_policy_tool built in $build"
	tap_done
	exit 1
fi

ns="calico-t-$$-nft"
work=$(mktemp -d)
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

root_before=$(nft list ruleset 2>&1 | sha256sum)
ip netns add "$ns" || { fail "create namespace $ns"; tap_done; exit 1; }
in_ns() { ip netns exec "$ns" "$@"; }
reset_table() { in_ns nft delete table inet calico 2>/dev/null; true; }
kernel_json() { in_ns nft -j list table inet calico; }
# canonical text of the kernel's table: no handles, sets/chains/elements sorted
kernel_canon() { kernel_json >"$work/k.json" && "$tool" canon "$work/k.json"; }

cases=()
for d in "$golden"/*/; do
	[ -f "$d/state.json" ] && cases+=("$(basename "$d")")
done

# 1 + 2: every golden file loads, reads back, and round-trips
for c in "${cases[@]}"; do
	reset_table
	if ! in_ns nft -f "$golden/$c/expected.nft" 2>"$work/err"; then
		fail "$c: expected.nft loads"
		sed 's/^/#   /' "$work/err" | head -5
		continue
	fi
	ok "$c: expected.nft loads"
	kernel_json >"$work/$c.json"
	if [ "${GOLDEN_CAPTURE:-0}" = 1 ]; then
		cp "$work/$c.json" "$golden/$c/kernel.json"
	fi
	"$tool" sync "$work/$c.json" "$golden/$c/state.json" >"$work/sync" 2>"$work/err"
	expect_eq "$c: read-back of the live table diffs empty against the state" "$(cat "$work/sync" "$work/err")" ""
	if [ -f "$golden/$c/kernel.json" ]; then
		"$tool" canon "$golden/$c/kernel.json" >"$work/canon.saved"
		"$tool" canon "$work/$c.json" >"$work/canon.live"
		check "$c: captured kernel.json still equals the live table" cmp -s "$work/canon.saved" "$work/canon.live"
	fi
done

# 3: a walk through every case and back to the start, by diffs only
walk=("${cases[@]}" "${cases[0]}")
reset_table
"$tool" render "$golden/${walk[0]}/state.json" >"$work/full" && in_ns nft -f "$work/full"
for ((i = 1; i < ${#walk[@]}; i++)); do
	a=${walk[i - 1]} b=${walk[i]}
	"$tool" diff "$golden/$a/state.json" "$golden/$b/state.json" >"$work/diff" || { fail "$a -> $b: diff renders"; continue; }
	if ! in_ns nft -f "$work/diff" 2>"$work/err"; then
		fail "$a -> $b: diff applies"
		sed 's/^/#   /' "$work/err" | head -5
		continue
	fi
	kernel_canon >"$work/after-diff"
	# the same state loaded from scratch, in a second table of the same name
	in_ns nft list table inet calico >/dev/null
	in_ns nft delete table inet calico
	"$tool" render "$golden/$b/state.json" >"$work/full" && in_ns nft -f "$work/full"
	kernel_canon >"$work/after-full"
	expect_same_file "$a -> $b: full + diff ($(wc -l <"$work/diff") lines) equals the full render" \
		"$work/after-diff" "$work/after-full"
done

# 4: the restart path: read the kernel back, fix only the difference
for pair in "two-endpoints-two-profiles rule-kinds" "rule-kinds missing-profile" "keyword-names no-endpoints" \
	"no-endpoints ipv6-endpoint" "host-action-return default-profile"; do
	set -- $pair
	reset_table
	"$tool" render "$golden/$1/state.json" >"$work/full" && in_ns nft -f "$work/full"
	kernel_json >"$work/k.json"
	"$tool" sync "$work/k.json" "$golden/$2/state.json" >"$work/sync"
	in_ns nft -f "$work/sync" 2>"$work/err" || sed 's/^/#   /' "$work/err" | head -5
	kernel_canon >"$work/after-sync"
	reset_table
	"$tool" render "$golden/$2/state.json" >"$work/full" && in_ns nft -f "$work/full"
	kernel_canon >"$work/after-full"
	expect_same_file "restart $1 -> $2: read-back + sync equals the full render" "$work/after-sync" "$work/after-full"
	kernel_json >"$work/k.json"
	"$tool" sync "$work/k.json" "$golden/$2/state.json" >"$work/sync"
	expect_eq "restart $1 -> $2: a second sync has nothing to do" "$(cat "$work/sync")" ""
done

# the diff of an unchanged state is empty and the kernel takes an empty file
"$tool" diff "$golden/rule-kinds/state.json" "$golden/rule-kinds/state.json" >"$work/diff"
expect_eq "unchanged state: empty diff" "$(cat "$work/diff")" ""

ip netns del "$ns"
root_after=$(nft list ruleset 2>&1 | sha256sum)
expect_eq "root namespace ruleset untouched" "$root_after" "$root_before"
tap_done
