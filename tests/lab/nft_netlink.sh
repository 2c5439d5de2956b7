#!/usr/bin/env bash
# The agent's own nf_tables batches (policy/nft_nl_batch.h) against
# libnftables, in network namespaces of this run only:
#  1. for every golden ruleset and for rulesets of the benchmarks' shapes, the
#     rules' expressions are byte for byte those `nft --debug=netlink -f`
#     sends, and the table the batch makes lists exactly as the one nft makes;
#  2. diffs (a walk through every golden case and back) and restart syncs
#     applied as our batches leave the table equal to the full render;
#  3. a form the encoder does not know sends nothing (exit 2), and a batch the
#     kernel refuses changes nothing (one transaction);
#  4. the agent programs through its own batches (calico_nft_netlink_*
#     metrics), and its table equals `nodetool render`'s after changes; its
#     netlink read-back sees exactly what its model holds (a restart sends
#     nothing), over its own table, one nft made, and the v3 shape's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
golden="$here/../golden"
build=${CALICO_BUILD:-$here/../../build-san}
tool="$build/nft_policy_tool"
nlbatch="$build/nlbatch"
nodetool="$build/nodetool"

if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
	echo "ok 1 # SKIP needs root, nft and ip"
	echo "1..1"
	exit 0
fi

ref="calico-t-$$-nlref" own="calico-t-$$-nlown"
work=$(mktemp -d)
agent_pid=""
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	ip netns del "$ref" 2>/dev/null
	ip netns del "$own" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
root_before=$(nft list ruleset 2>&1 | sha256sum)
ip netns add "$ref" && ip netns add "$own" || { fail "create namespaces"; tap_done; exit 1; }

reset() { ip netns exec "$1" nft delete table inet calico 2>/dev/null; true; }
# canonical text of a namespace's table: no handles, sorted (nft_policy_tool canon)
canon() { ip netns exec "$1" nft -j list table inet calico >"$work/k.json" && "$tool" canon "$work/k.json"; }
# the rules' expressions of a script, as nft sends them and as our batch holds them
nft_bytecode() {
	reset "$ref"
	ip netns exec "$ref" nft --debug=netlink -f "$1" | awk '/^inet calico /{p=1} /^[^ \t]/ && !/^inet calico /{p=0} p' | grep -v '^$'
}
own_bytecode() { "$nlbatch" -d "$1" | grep -v '^$'; }

# both ways from scratch: same expressions, same listing
same_both_ways() { # NAME SCRIPT
	local name=$1 script=$2
	nft_bytecode "$script" >"$work/bc.nft"
	own_bytecode "$script" >"$work/bc.own"
	local rules
	rules=$(grep -c '^inet calico ' "$work/bc.own")
	if [ "$rules" -gt 0 ] && cmp -s "$work/bc.nft" "$work/bc.own"; then
		ok "$name: the $rules rules' expressions are those nft sends"
	else
		fail "$name: the rules' expressions are those nft sends"
		diff "$work/bc.nft" "$work/bc.own" | head -8 | sed 's/^/#   /'
	fi
	reset "$ref"
	reset "$own"
	ip netns exec "$ref" nft -f "$script"
	if ! ip netns exec "$own" "$nlbatch" "$script" 2>"$work/err"; then
		fail "$name: our batch is committed"
		sed 's/^/#   /' "$work/err" | head -5
		return
	fi
	if cmp -s <(ip netns exec "$ref" nft list table inet calico) <(ip netns exec "$own" nft list table inet calico); then
		ok "$name: the table lists as nft's does"
	else
		fail "$name: the table lists as nft's does"
		diff <(ip netns exec "$ref" nft list table inet calico) <(ip netns exec "$own" nft list table inet calico) |
			head -8 | sed 's/^/#   /'
	fi
}

# 1: golden rulesets
cases=()
for d in "$golden"/*/; do
	[ -f "$d/state.json" ] && cases+=("$(basename "$d")")
done
for c in "${cases[@]}"; do
	same_both_ways "$c" "$golden/$c/expected.nft"
done

# 1: the benchmarks' shapes, rendered from a datastore
export CALICO_DATASTORE="sqlite:$work/shapes.db"
"$nodetool" seed h1 300 70 >/dev/null &&
	"$nodetool" seed-tags p0 100 20 10 h2 >/dev/null &&
	"$nodetool" render h1 >"$work/v1.nft" && same_both_ways "300 endpoints, tags of another host" "$work/v1.nft"
export CALICO_DATASTORE="sqlite:$work/v3.db"
"$nodetool" seed-v3 200 4 20 10 >/dev/null &&
	"$nodetool" seed-labelled h1 100 71 20 10 >/dev/null &&
	"$nodetool" render h1 >"$work/v3.nft" && same_both_ways "v3: 200 policies in 4 tiers, 100 labelled endpoints" "$work/v3.nft"

# 2: a walk through every case and back, by diffs applied as our batches
walk=("${cases[@]}" "${cases[0]}")
reset "$own"
"$tool" render "$golden/${walk[0]}/state.json" >"$work/full" && ip netns exec "$own" "$nlbatch" "$work/full"
for ((i = 1; i < ${#walk[@]}; i++)); do
	a=${walk[i - 1]} b=${walk[i]}
	"$tool" diff "$golden/$a/state.json" "$golden/$b/state.json" >"$work/diff" || { fail "$a -> $b: diff renders"; continue; }
	"$tool" render "$golden/$b/state.json" >"$work/full"
	[ -s "$work/diff" ] || { ok "$a -> $b: nothing to change"; continue; }
	if ! ip netns exec "$own" "$nlbatch" -s "$work/full" "$work/diff" 2>"$work/err"; then
		fail "$a -> $b: the diff as our batch is committed"
		sed 's/^/#   /' "$work/err" | head -5
		continue
	fi
	canon "$own" >"$work/after-diff"
	reset "$ref"
	ip netns exec "$ref" nft -f "$work/full"
	canon "$ref" >"$work/after-full"
	expect_same_file "$a -> $b: full + diff ($(wc -l <"$work/diff") lines) as our batches equals the full render" \
		"$work/after-diff" "$work/after-full"
done

# 2: the restart path: the kernel read back, only the difference sent
for pair in "two-endpoints-two-profiles rule-kinds" "keyword-names no-endpoints" "v3-unselected v3-tiers"; do
	set -- $pair
	reset "$own"
	"$tool" render "$golden/$1/state.json" >"$work/full" && ip netns exec "$own" "$nlbatch" "$work/full"
	ip netns exec "$own" nft -j list table inet calico >"$work/k.json"
	"$tool" sync "$work/k.json" "$golden/$2/state.json" >"$work/sync"
	"$tool" render "$golden/$2/state.json" >"$work/full"
	ip netns exec "$own" "$nlbatch" -s "$work/full" "$work/sync" 2>"$work/err" || sed 's/^/#   /' "$work/err" | head -5
	canon "$own" >"$work/after-sync"
	reset "$ref"
	ip netns exec "$ref" nft -f "$work/full"
	canon "$ref" >"$work/after-full"
	expect_same_file "restart $1 -> $2: read-back + sync as our batch equals the full render" \
		"$work/after-sync" "$work/after-full"
done

# 3: what the encoder does not know is not sent; what the kernel refuses changes nothing
canon "$own" >"$work/before"
printf 'add rule inet calico cali-forward counter accept\n' >"$work/unknown"
ip netns exec "$own" "$nlbatch" "$work/unknown" 2>/dev/null
expect_eq "a rule with a form the encoder does not know: exit 2, nothing sent" "$?" "2"
printf 'add table inet calico\nadd chain inet calico extra\nadd rule inet calico extra jump no-such-chain\n' >"$work/refused"
ip netns exec "$own" "$nlbatch" "$work/refused" 2>"$work/err"
expect_eq "a batch the kernel refuses (a jump to no chain): exit 1" "$?" "1"
check "the kernel's refusal names the missing chain's error" grep -q 'No such file or directory' "$work/err"
canon "$own" >"$work/after"
check "a refused batch changes nothing (no chain 'extra')" cmp -s "$work/before" "$work/after"

# 4: the agent programs through its own batches
export CALICO_DATASTORE="sqlite:$work/agent.db"
ip -n "$own" link set lo up
reset "$own"
"$nodetool" seed h1 50 72 >/dev/null
ip netns exec "$own" env CALICO_RUN_DIR="$work/run" CALICO_LOG_DIR="$work" CALICO_STATE_DIR="$work" HOSTNAME=h1 \
	"$build/calico-node" --log-level info >>"$work/agent.log" 2>&1 &
agent_pid=$!
metric() { ip netns exec "$own" curl -s --max-time 1 http://127.0.0.1:9099/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
ready=""
for _ in $(seq 200); do
	[ "$(ip netns exec "$own" curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ] &&
		ready=1 && break
	sleep 0.1
done
check "agent: ready with 50 endpoints" [ -n "$ready" ]
agent_matches_render() {
	"$nodetool" render h1 >"$work/want.nft" && reset "$ref" && ip netns exec "$ref" nft -f "$work/want.nft" &&
		canon "$ref" >"$work/want" && canon "$own" >"$work/have" && cmp -s "$work/want" "$work/have"
}
wait_matches() { for _ in $(seq 100); do agent_matches_render && return 0; sleep 0.1; done; return 1; }
check "agent: the first program equals nodetool's render" wait_matches
"$build/dstool" put /calico/v1/policy/profile/p7/rules \
	'{"inbound_rules":[{"action":"deny","protocol":"udp","dst_ports":[53,"1000:2000"]},{"action":"allow","src_net":"10.9.0.0/20"}],"outbound_rules":[{"action":"allow"}]}' >/dev/null
check "agent: after a profile's rules change, equals the render" wait_matches
"$nodetool" del /calico/v1/host/h1/workload/bench/w3/endpoint/72x3 >/dev/null
check "agent: after an endpoint goes, equals the render" wait_matches
batches=$(metric calico_nft_netlink_batches_total)
refused=$(metric calico_nft_netlink_refused_total)
check "agent: its programs went as its own batches (calico_nft_netlink_batches_total=$batches)" [ "${batches:-0}" -ge 3 ]
expect_eq "agent: the kernel refused none of them" "${refused:-x}" "0"
kill "$agent_pid" && wait "$agent_pid"
agent_pid=""

# 4: the read-back (netlink dumps, policy/nft_nl_read.h) sees what the model
# holds: a restart over the agent's own table, over one nft made from the
# render, and over the v3 shape's interval sets sends nothing
start_agent() {
	ip netns exec "$own" env CALICO_RUN_DIR="$work/run" CALICO_LOG_DIR="$work" CALICO_STATE_DIR="$work" HOSTNAME=h1 \
		"$build/calico-node" --log-level info >>"$work/agent.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 300); do
		[ "$(ip netns exec "$own" curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ] &&
			return 0
		sleep 0.1
	done
	return 1
}
stop_agent() { kill "$agent_pid" && wait "$agent_pid"; agent_pid=""; }
restart_sends_nothing() { # NAME
	canon "$own" >"$work/before-restart"
	start_agent || { fail "$1: agent ready"; return; }
	expect_eq "$1: the restart's transaction is empty" "$(metric calico_nft_script_bytes_last)" "0"
	stop_agent
	canon "$own" >"$work/after-restart"
	check "$1: the table is as it was" cmp -s "$work/before-restart" "$work/after-restart"
}
restart_sends_nothing "restart over the agent's own table"
"$nodetool" render h1 >"$work/want.nft" && reset "$own" && ip netns exec "$own" nft -f "$work/want.nft"
restart_sends_nothing "restart over the same table made by nft"
export CALICO_DATASTORE="sqlite:$work/v3.db"
start_agent && stop_agent
if agent_matches_render; then
	ok "v3 shape: the agent's table equals the render"
else
	fail "v3 shape: the agent's table equals the render"
	diff "$work/want" "$work/have" | head -10 | cut -c1-300 | sed 's/^/#   /'
fi
restart_sends_nothing "v3 shape: restart over selector, net and port sets"

ip netns del "$ref"
ip netns del "$own"
root_after=$(nft list ruleset 2>&1 | sha256sum)
expect_eq "root namespace ruleset untouched" "$root_after" "$root_before"
tap_done
