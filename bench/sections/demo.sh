# shellcheck shell=bash
# The stars demo (scripts/demo.sh): how long `DEMO=up` takes to bring the
# cluster up, how long each step takes from `calicoctl profile ... rule add`
# until the collector's /graph (read through the forwarder, as the browser
# does) shows it, and what the forwarder costs: GET /graph through
# 127.0.0.1:PORT (forwarder, then host1 -> fabric -> host2 -> management-ui)
# against the same GET made directly inside host1's namespace, interleaved,
# medians. Sourced by bench/run-all.sh (record, jnum, $build, $TMP, $root).

_demo_now() { date +%s.%N; }
_demo_graph() { curl -s --max-time 2 "http://127.0.0.1:$1/graph"; }

# _demo_until SECS PORT JQ_FILTER: polls /graph every 50 ms until the filter is true; prints the seconds taken
_demo_until() {
	local secs=$1 port=$2 filter=$3 t0 now
	t0=$(_demo_now)
	while :; do
		_demo_graph "$port" | jq -e "$filter" >/dev/null 2>&1 && break
		now=$(_demo_now)
		awk -v a="$t0" -v b="$now" -v s="$secs" 'BEGIN { exit !(b - a > s) }' && { echo -1; return 1; }
		sleep 0.05
	done
	awk -v a="$t0" -v b="$(_demo_now)" 'BEGIN { printf "%.3f\n", b - a }'
}

_demo_median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

section_demo() {
	local dir="$TMP/demo" port t0 up_s s s2 s3 s4 ns mgmt i fwd=() direct=() routing rc=0
	[ -x "$build/calico-stars" ] || { echo "# demo: $build/calico-stars is not built" >&2; return 1; }
	port=$((30000 + RANDOM % 20000))
	t0=$(_demo_now)
	if ! DEMO=up DEMO_DIR="$dir" DEMO_PORT=$port "$root/scripts/demo.sh" "$build" >"$TMP/demo.out" 2>&1 </dev/null; then
		echo "# demo: DEMO=up failed:" >&2
		tail -n 5 "$TMP/demo.out" >&2
		DEMO_DIR="$dir" "$root/scripts/demo/down.sh" >/dev/null 2>&1
		return 1
	fi
	up_s=$(awk -v a="$t0" -v b="$(_demo_now)" 'BEGIN { printf "%.3f", b - a }')
	routing=bgp
	grep -q 'WARNING: no BGP routes' "$TMP/demo.out" && routing=static-fallback
	export CALICO_DATASTORE="sqlite:$dir/calico.db"
	local ctl="$build/calicoctl"
	"$ctl" profile management-ui rule add inbound allow tcp to ports 9001 >/dev/null
	s2=$(_demo_until 30 "$port" '.nodes | map(select(.reachable)) | length == 1') || rc=1
	for s in client frontend backend; do
		"$ctl" profile "$s" rule add inbound allow tcp from tag management-ui to ports 9000 >/dev/null
	done
	s3=$(_demo_until 30 "$port" '(.nodes | map(select(.reachable)) | length == 4) and (.edges | length == 3)') || rc=1
	"$ctl" profile frontend rule add inbound allow tcp from tag client to ports 9000 >/dev/null
	"$ctl" profile backend rule add inbound allow tcp from tag frontend to ports 9000 >/dev/null
	s4=$(_demo_until 30 "$port" '.edges | length == 5') || rc=1
	unset CALICO_DATASTORE
	# The forwarder's cost, side by side with a direct GET from host1's namespace.
	ns="calico-demo-$(cat "$dir/id")-host1"
	mgmt=$(sed -nE 's/^ +management-ui +([0-9.]+) .*/\1/p' "$TMP/demo.out")
	for ((i = 0; i < 60; i++)); do
		fwd+=("$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/graph")")
		direct+=("$(ip netns exec "$ns" curl -s -o /dev/null -w '%{time_total}' "http://$mgmt:9001/graph")")
	done
	DEMO_DIR="$dir" "$root/scripts/demo/down.sh" >/dev/null 2>&1
	local f d
	f=$(printf '%s\n' "${fwd[@]}" | _demo_median)
	d=$(printf '%s\n' "${direct[@]}" | _demo_median)
	record demo "{\"build\":\"$(basename "$build")\",\"routing\":\"$routing\",\"up_s\":$up_s,\"step2_s\":$s2,\"step3_s\":$s3,\"step4_s\":$s4,\"graph_get_forwarded_ms\":$(awk -v x="$f" 'BEGIN { printf "%.3f", x * 1000 }'),\"graph_get_direct_ms\":$(awk -v x="$d" 'BEGIN { printf "%.3f", x * 1000 }')}"
	return $rc
}

table_demo() {
	local line
	printf '%-8s %-16s %8s %9s %9s %9s %14s %12s %7s\n' build routing up_s step2_s step3_s step4_s get_fwd_ms get_direct_ms ratio
	while IFS= read -r line; do
		printf '%-8s %-16s %8.2f %9.2f %9.2f %9.2f %14.3f %12.3f %7.2f\n' \
			"$(sed -nE 's/.*"build":"([^"]*)".*/\1/p' <<<"$line")" \
			"$(sed -nE 's/.*"routing":"([^"]*)".*/\1/p' <<<"$line")" \
			"$(jnum "$line" up_s)" "$(jnum "$line" step2_s)" "$(jnum "$line" step3_s)" "$(jnum "$line" step4_s)" \
			"$(jnum "$line" graph_get_forwarded_ms)" "$(jnum "$line" graph_get_direct_ms)" \
			"$(awk -v a="$(jnum "$line" graph_get_forwarded_ms)" -v b="$(jnum "$line" graph_get_direct_ms)" 'BEGIN { if (b > 0) print a / b; else print 0 }')"
	done < <(entries_of demo)
}

SECTIONS+=(demo)
