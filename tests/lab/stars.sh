#!/usr/bin/env bash
# calico-stars in network namespaces: three probes and a collector on a
# bridge, their /status and /graph JSON, edges that follow an nft drop rule or
# a stopped probe, each service's profile rules read from the datastore (as
# calicoctl changes them), 404s, usage errors, clean shutdown without leaks,
# and the UI as headless Chromium renders it.
#
#   fabric ns: br0 172.30.0.1/24
#     ui 172.30.0.10        collector :9001 (services client, frontend, backend)
#     client 172.30.0.11    probe :9000 -> frontend, backend
#     frontend 172.30.0.12  probe :9000 -> client, backend
#     backend 172.30.0.13   probe :9000 -> client, frontend
#
# STARS_SCREENSHOT=FILE.png keeps a screenshot of the UI with the full graph.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
STARS=${CALICO_BUILD:-}/calico-stars
CTL=${CALICO_BUILD:-}/calicoctl
if [ "$(id -u)" -ne 0 ] || [ ! -x "$STARS" ] || [ ! -x "$CTL" ] || ! command -v nft >/dev/null || ! command -v jq >/dev/null ||
	! command -v curl >/dev/null || ! command -v perl >/dev/null; then
	echo "1..0 # SKIP needs root, nft, jq, curl, perl, calico-stars and calicoctl"
	exit 0
fi
. "$here/../lib/netns.sh"
. "$here/../lib/stars.sh"

UI=172.30.0.10
declare -A IP=([client]=172.30.0.11 [frontend]=172.30.0.12 [backend]=172.30.0.13)
declare -A PID=()
COLLECTOR=http://$UI:9001
# The datastore the collector reads the profiles from, and calicoctl writes.
unset ETCD_ENDPOINTS ETCD_AUTHORITY
export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
ALL_EDGES="backend->client backend->frontend client->backend client->frontend frontend->backend frontend->client management-ui->backend management-ui->client management-ui->frontend"

# ---- usage errors: exit 1 and one line naming the bad argument ----
# usage_error DESC WANT_PREFIX ARG...
usage_error() {
	local desc=$1 want=$2 err rc; shift 2
	err=$("$STARS" "$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" -eq 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ "$err" == "$want"* ]]; then
		ok "usage error: $desc"
	else
		fail "usage error: $desc"
		printf '#   rc=%s stderr: %s\n' "$rc" "$err"
	fi
}
usage_error "no command" "calico-stars: missing command" 
usage_error "unknown command" "calico-stars: bad command 'frob'" frob
usage_error "service without '='" "calico-stars: bad service 'client' (want NAME=" collect client
usage_error "service with an ftp url" "calico-stars: bad service 'client=ftp://x/'" collect client=ftp://x/
usage_error "service given twice" "calico-stars: bad service 'a=http://y/'" collect a=http://x/ a=http://y/
usage_error "bad --listen" "calico-stars: bad --listen 'nowhere'" collect --listen nowhere a=http://x/
usage_error "bad --interval" "calico-stars: bad --interval '0'" probe --name a --interval 0 http://x/
usage_error "unknown option" "calico-stars: bad option '--bogus'" collect --bogus a=http://x/
usage_error "probe without --name" "calico-stars: probe needs --name" probe http://x/
usage_error "bad --name" "calico-stars: bad name 'a b'" probe --name 'a b' http://x/
usage_error "bad target" "calico-stars: bad target 'not-a-url'" probe --name a not-a-url
check "--help exits 0 with the usage" bash -c "'$STARS' --help | grep -q '^usage: calico-stars probe'"

# ---- the lab ----
lab_fabric_add &&
	lab_host_add ui "$UI" &&
	for s in client frontend backend; do lab_host_add "$s" "${IP[$s]}" || exit 1; done ||
	{ fail "topology"; tap_done; exit 1; }

start_probe() {
	local s=$1 t
	local -a targets=()
	for t in client frontend backend; do
		[ "$t" = "$s" ] || targets+=("http://${IP[$t]}:9000/status")
	done
	lab_spawn "$s" "$STARS" probe --name "$s" --interval 1 "${targets[@]}" 2>>"$LAB_TMP/$s.err"
	PID[$s]=$LAB_LAST_PID
}
# http_code NS URL [CURL_ARG...]
http_code() { local ns=$1 url=$2; shift 2; lab_exec "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url"; }
get() { lab_exec ui curl -sf --max-time 2 "$1"; }
# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
	local t=$1 i; shift
	for ((i = 0; i < t * 5; i++)); do "$@" && return 0; sleep 0.2; done
	return 1
}
edges() { get "$COLLECTOR/graph" | jq -r '.edges[] | "\(.from)->\(.to)"' | LC_ALL=C sort | paste -sd' '; }
nodes() { get "$COLLECTOR/graph" | jq -r '.nodes[] | select(.reachable) | .id' | LC_ALL=C sort | paste -sd' '; }
edges_are() { [ "$(edges)" = "$1" ]; }
# expect_edges DESC WANT [SECONDS]: waits for the edges, then compares
expect_edges() {
	wait_for "${3:-10}" edges_are "$2"
	expect_eq "$1" "$(edges)" "$2"
}
# stop_clean NAME PID: SIGTERM; exit 0 with no sanitizer report
stop_clean() {
	local name=$1 pid=$2 rc
	kill -TERM "$pid"; wait "$pid"; rc=$?
	expect_eq "$name exits 0 on SIGTERM" "$rc" 0
	if grep -qE 'LeakSanitizer|AddressSanitizer|runtime error' "$LAB_TMP/$name.err"; then
		fail "$name: no sanitizer report"; sed 's/^/#   /' "$LAB_TMP/$name.err" | head -n 30
	else
		ok "$name: no sanitizer report"
	fi
}

for s in client frontend backend; do start_probe "$s"; done
lab_spawn ui "$STARS" collect --listen 0.0.0.0:9001 --interval 1 --show-rules \
	client="http://${IP[client]}:9000/status" frontend="http://${IP[frontend]}:9000/status" \
	backend="http://${IP[backend]}:9000/status" 2>>"$LAB_TMP/collector.err"
PID[collector]=$LAB_LAST_PID
check "collector serves /graph" wait_for 5 lab_exec ui curl -sf -o /dev/null --max-time 2 "$COLLECTOR/graph"

# ---- a probe's /status ----
client_targets() { get "http://${IP[client]}:9000/status" | jq -c '[.targets[] | [.url, .reachable, .name]]'; }
WANT_T="[[\"http://${IP[frontend]}:9000/status\",true,\"frontend\"],[\"http://${IP[backend]}:9000/status\",true,\"backend\"]]"
wait_for 6 bash -c "[ \"\$(ip netns exec $(lab_ns ui) curl -sf http://${IP[client]}:9000/status | jq -c '[.targets[] | [.url, .reachable, .name]]')\" = '$WANT_T' ]"
expect_eq "client /status: both targets reachable, with the names they report" "$(client_targets)" "$WANT_T"
st=$(get "http://${IP[client]}:9000/status")
expect_eq "client /status names itself" "$(jq -r .name <<<"$st")" client
check "client /status updated is recent" test $(($(date +%s) - $(jq .updated <<<"$st"))) -le 3
expect_eq "/status is JSON" "$(lab_exec ui curl -s -o /dev/null -w '%{content_type}' "http://${IP[client]}:9000/status")" application/json

# ---- the collector's /graph ----
expect_edges "graph: management-ui reaches all, all probes reach each other" "$ALL_EDGES"
expect_eq "graph: every node reachable" "$(nodes)" "backend client frontend management-ui"
expect_eq "graph: node order and URLs" "$(get "$COLLECTOR/graph" | jq -c '[.nodes[] | [.id, .url]]')" \
	"[[\"management-ui\",null],[\"client\",\"http://${IP[client]}:9000/status\"],[\"frontend\",\"http://${IP[frontend]}:9000/status\"],[\"backend\",\"http://${IP[backend]}:9000/status\"]]"
check "graph: updated is recent" test $(($(date +%s) - $(get "$COLLECTOR/graph" | jq .updated))) -le 3
expect_eq "graph: no profile yet, each says so in calicoctl's words" \
	"$(get "$COLLECTOR/graph" | jq -c '[.nodes[].rules]')" \
	'["Profile management-ui not found.","Profile client not found.","Profile frontend not found.","Profile backend not found."]'

# ---- rules: each service's profile as the datastore holds it now ----
rules_of() { get "$COLLECTOR/graph" | jq -r --arg id "$1" '.nodes[] | select(.id == $id) | .rules'; }
client_rules_are() { [ "$(rules_of client)" = "$1" ]; }
# as_shown ID: the panel holds what calicoctl profile ID rule show prints
as_shown() { [ "$(rules_of "$1")" = "$("$CTL" profile "$1" rule show 2>&1)" ]; }
all_as_shown() { as_shown management-ui && as_shown client && as_shown frontend && as_shown backend; }
for s in management-ui client frontend backend; do "$CTL" profile add "$s" >/dev/null || fail "calicoctl profile add $s"; done
check "rules: every panel is 'calicoctl profile ID rule show', word for word" wait_for 5 all_as_shown
CLIENT_RULES=$'Inbound rules:\n   1 allow from tag client\nOutbound rules:\n   1 allow'
expect_eq "rules: client's, Calico's default profile" "$(rules_of client)" "$CLIENT_RULES"
"$CTL" profile client rule add inbound allow tcp from tag management-ui to ports 9000 >/dev/null
CLIENT_RULES2=$'Inbound rules:\n   1 allow from tag client\n   2 allow tcp from tag management-ui to ports 9000\nOutbound rules:\n   1 allow'
check "rules: a rule calicoctl adds shows up within a round or two" wait_for 5 client_rules_are "$CLIENT_RULES2"
"$CTL" profile client rule remove inbound allow tcp from tag management-ui to ports 9000 >/dev/null
check "rules: ... and goes once removed" wait_for 5 client_rules_are "$CLIENT_RULES"
"$CTL" profile remove backend >/dev/null
check "rules: a removed profile: 'Profile backend not found.'" \
	wait_for 5 eval '[ "$(rules_of backend)" = "Profile backend not found." ]'
"$CTL" profile add backend >/dev/null
check "rules: ... and back" wait_for 5 as_shown backend

# A datastore the collector cannot open: the graph is still served, each
# panel says why, and the log says it once, not every round.
lab_spawn ui env CALICO_DATASTORE="sqlite:$LAB_TMP" "$STARS" collect --listen "$UI:9004" \
	--interval 0.2 --show-rules client="http://${IP[client]}:9000/status" 2>>"$LAB_TMP/collector-nods.err"
NODS_PID=$LAB_LAST_PID
nods_rules() { get "http://$UI:9004/graph" | jq -r '.nodes[] | select(.id == "client") | .rules'; }
wait_for 5 lab_exec ui curl -sf -o /dev/null --max-time 2 "http://$UI:9004/graph"
sleep 1
expect_eq "rules, datastore not openable (a directory): the panel says so" "$(nods_rules)" \
	"cannot open datastore $LAB_TMP: is a directory"
expect_eq "... logged once over several rounds" "$(grep -c "cannot show the profiles' rules: cannot open datastore" "$LAB_TMP/collector-nods.err")" 1
stop_clean collector-nods "$NODS_PID"

# ---- 404, 405, the page ----
expect_eq "collector: unknown path is 404" "$(http_code ui "$COLLECTOR/nope")" 404
expect_eq "collector: /status is 404" "$(http_code ui "$COLLECTOR/status")" 404
expect_eq "probe: unknown path is 404" "$(http_code ui "http://${IP[client]}:9000/graph")" 404
expect_eq "probe: POST is 405" "$(http_code ui "http://${IP[client]}:9000/status" -X POST)" 405
expect_eq "collector: GET / is 200" "$(http_code ui "$COLLECTOR/")" 200
page=$(get "$COLLECTOR/")
expect_eq "UI: HTML" "$(lab_exec ui curl -s -o /dev/null -w '%{content_type}' "$COLLECTOR/")" "text/html; charset=utf-8"
check "UI: one SVG and an inline script" bash -c 'grep -q "<svg id=\"graph\"" <<<"$1" && grep -q "<script>" <<<"$1"' _ "$page"
expect_eq "UI: no external resources (src=, href=, URLs other than the SVG namespace)" \
	"$(grep -oE '(src|href)=|https?://[^ '\''")]*' <<<"$page" | grep -vx 'http://www.w3.org/2000/svg' | paste -sd' ')" ""

# ---- probes and the collector after an nft drop rule in backend ----
nft_backend() { lab_exec backend nft "$@"; }
nft_backend add table inet starstest &&
	nft_backend add chain inet starstest in '{ type filter hook input priority 0; }' &&
	nft_backend add rule inet starstest in ip saddr "${IP[client]}" tcp dport 9000 drop ||
	fail "nft rule in backend"
expect_edges "drop client->backend: that edge goes, the rest stay" \
	"backend->client backend->frontend client->frontend frontend->backend frontend->client management-ui->backend management-ui->client management-ui->frontend"
expect_eq "client /status: backend unreachable, no name" \
	"$(get "http://${IP[client]}:9000/status" | jq -c '[.targets[] | [.reachable, .name]]')" '[[true,"frontend"],[false,null]]'
u1=$(get "http://${IP[client]}:9000/status" | jq .updated)
sleep 3.2
u2=$(get "http://${IP[client]}:9000/status" | jq .updated)
check "probe rounds keep a 1 s pace while a target drops packets (updated $u1 -> $u2)" test $((u2 - u1)) -ge 2
t0=$(date +%s%N)
get "http://${IP[client]}:9000/status" >/dev/null
check "client /status answers at once while probing a dropping target" test $((($(date +%s%N) - t0) / 1000000)) -lt 500

# ---- flow logs: a second collector joins the hosts' flow records ----
# Two stand-ins for calico-node's flows socket (tests/lib/fake_flows.pl): "a"
# the host of frontend and backend, "b" of client and management-ui. As an
# agent does, each names its own workloads and the others only as "pvt".
# rec REPORTER SRC DST PORT ACTION ENFORCED AGE: SRC/DST "wep:SERVICE" or "net:pvt".
# AGE counts back from REC_NOW, read once: records of equal age must end in the
# same second, or the newest-first order below depends on a clock tick.
REC_NOW=$(date +%s)
rec() {
	local end=$((REC_NOW - $7))
	jq -nc --arg rep "$1" --arg s "$2" --arg d "$3" --argjson port "$4" --arg act "$5" --argjson enf "$6" \
		--argjson e "$end" '
		def ep($x): ($x | split(":")) as $p |
			if $p[0] == "wep" then {kind: "wep", name: ("w-" + $p[1]), namespace: "lab", labels: {role: $p[1]}}
			else {kind: "net", name: $p[1], namespace: "", labels: {}} end;
		{start: ($e - 3), "end": $e, reporter: $rep, source: ep($s), dest: ep($d), proto: "tcp", dest_port: $port,
		 action: $act, policies: {enforced: $enf}, packets_in: 1, packets_out: 0, bytes_in: 60, bytes_out: 0,
		 connections_started: 2, connections_completed: 0, connections_live: 0}'
}
EOP='[{"kind":"end-of-profiles","tier":"","name":"backend","namespace":"","rule":-1,"action":"deny","trigger":"backend","id":"2a"}]'
ALLOW='[{"kind":"profile","tier":"","name":"backend","namespace":"","rule":1,"action":"allow","trigger":"","id":"2b"}]'
{
	rec dst net:pvt wep:backend 9000 deny "$EOP" 20
	rec dst net:pvt wep:backend 9000 deny "$EOP" 5
	rec dst wep:frontend wep:backend 9000 allow "$ALLOW" 5
	rec dst net:pvt wep:backend 9000 deny "$EOP" 300 # too old: the collector asked for the last minute only
} | jq -c "select(.end >= $REC_NOW - 60)" >"$LAB_TMP/flows-a.jsonl"
rec src wep:client net:pvt 9000 allow '[]' 5 >"$LAB_TMP/flows-b.jsonl"
lab_spawn ui perl "$here/../lib/fake_flows.pl" "$LAB_TMP/flows-a.sock" "$LAB_TMP/flows-a.jsonl"
lab_spawn ui perl "$here/../lib/fake_flows.pl" "$LAB_TMP/flows-b.sock" "$LAB_TMP/flows-b.jsonl"
wait_for 5 test -S "$LAB_TMP/flows-a.sock" -a -S "$LAB_TMP/flows-b.sock"
usage_error "--flows with an empty path" "calico-stars: bad --flows ''" collect --flows '' a=http://x/
usage_error "--flow-label with a space" "calico-stars: bad --flow-label 'a b'" collect --flow-label 'a b' a=http://x/
FLOWS_UI=http://$UI:9005
lab_spawn ui "$STARS" collect --listen "$UI:9005" --interval 0.5 --flows "$LAB_TMP/flows-a.sock" \
	--flows "$LAB_TMP/flows-b.sock" --flows "$LAB_TMP/none.sock" client="http://${IP[client]}:9000/status" \
	frontend="http://${IP[frontend]}:9000/status" backend="http://${IP[backend]}:9000/status" 2>>"$LAB_TMP/collector-flows.err"
FLOWS_PID=$LAB_LAST_PID
denied() { get "$FLOWS_UI/graph" | jq -r '.denied[]? | "\(.from)->\(.to) \(.label)"' | paste -sd'|'; }
check "flows: client->backend is denied, by the end of backend's profiles" \
	wait_for 10 eval '[ "$(denied)" = "client->backend end of profiles (backend)" ]'
expect_eq "flows: the only denied edge (a deny from pvt stands for the services of other hosts that failed)" \
	"$(denied)" "client->backend end of profiles (backend)"
expect_eq "flows: the denied edge carries the verdict point as the record has it" \
	"$(get "$FLOWS_UI/graph" | jq -c '.denied[0].by | [.kind, .name, .rule, .action]')" '["end-of-profiles","backend",-1,"deny"]'
expect_eq "flows: the green edges are the first collector's" \
	"$(get "$FLOWS_UI/graph" | jq -r '.edges[] | "\(.from)->\(.to)"' | LC_ALL=C sort | paste -sd' ')" "$(edges)"
expect_eq "flows: backend's last flows, newest first (the records of the last minute)" \
	"$(get "$FLOWS_UI/graph" | jq -r '.nodes[] | select(.id == "backend") | .flows[] | "\(.dir) \(.peer) \(.proto)/\(.port) \(.action) \(.policy)"' | paste -sd'|')" \
	"in pvt tcp/9000 deny end of profiles (backend)|in frontend tcp/9000 allow profile backend rule 1|in pvt tcp/9000 deny end of profiles (backend)"
expect_eq "flows: client's, from the other host's socket" \
	"$(get "$FLOWS_UI/graph" | jq -r '.nodes[] | select(.id == "client") | .flows[] | "\(.dir) \(.peer) \(.action)"' | paste -sd'|')" \
	"out pvt allow"
check "flows: the collector asks as calicoctl flows --since does ('flows since=UNIX')" \
	grep -qxE "flows since=($(($(date +%s) - 62))|$(($(date +%s) - 61))|$(($(date +%s) - 60))|$(($(date +%s) - 59)))" "$LAB_TMP/flows-a.sock.req"
expect_eq "flows: a socket that is not there is logged once, the rest still served" \
	"$(grep -c "flows socket $LAB_TMP/none.sock: cannot connect: No such file or directory" "$LAB_TMP/collector-flows.err")" 1
echo "error: too many clients" >"$LAB_TMP/flows-b.jsonl"
check "flows: an agent's refusal is logged, in its words" wait_for 5 \
	grep -q "flows socket $LAB_TMP/flows-b.sock: calico-node refused the query: too many clients" "$LAB_TMP/collector-flows.err"
rec src wep:client net:pvt 9000 allow '[]' 5 >"$LAB_TMP/flows-b.jsonl"
if command -v chromium >/dev/null; then
	export STARS_NETNS
	STARS_NETNS=$(lab_ns ui)
	dom=$(stars_dom "$FLOWS_UI/#backend")
	expect_eq "Chromium: the denied edge is a red dashed line labelled with the rule" \
		"$(stars_denied_from_html <<<"$dom")" "$(printf 'client->backend\tend of profiles (backend)\t#f85149\t10 7')"
	check "Chromium: ... and its text says so on the page" grep -q '>denied: end of profiles (backend)<' <<<"$dom"
	expect_eq "Chromium: the green edges are unchanged (a denied edge is no edge)" \
		"$(stars_graph_from_html <<<"$dom" | sed -n '/->/p' | paste -sd' ')" "$(edges)"
	expect_eq "Chromium: #backend opens backend's panel: its last flows" \
		"$(stars_flows_from_html backend <<<"$dom" | sed -E 's/^[^ ]+ \| //')" \
		"$(printf '%s\n' '← pvt | tcp/9000 | deny | end of profiles (backend)' '← frontend | tcp/9000 | allow | profile backend rule 1' \
			'← pvt | tcp/9000 | deny | end of profiles (backend)')"
	expect_eq "Chromium: each row starts with the interval, HH:MM:SS-HH:MM:SS" \
		"$(stars_flows_from_html backend <<<"$dom" | grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2}[^ ]+[0-9]{2}:[0-9]{2}:[0-9]{2} \| ')" 3
	if stars_flows_from_html backend <<<"$(stars_dom "$FLOWS_UI/")" >/dev/null; then
		fail "Chromium: no panel without a selection"
	else
		ok "Chromium: no panel without a selection"
	fi
else
	ok "# SKIP chromium not installed"
fi
nft_backend add rule inet starstest in ip saddr "$UI" tcp dport 9000 drop
expect_edges "drop management-ui->backend too: backend and its edges go" \
	"client->frontend frontend->client management-ui->client management-ui->frontend"
expect_eq "graph: backend listed, not reachable" "$(nodes)" "client frontend management-ui"
expect_eq "graph: backend node reachable=false" \
	"$(get "$COLLECTOR/graph" | jq -c '.nodes[] | select(.id == "backend") | .reachable')" false
nft_backend delete table inet starstest
expect_edges "nft table gone: every edge back" "$ALL_EDGES"
check "flows: once the probe gets through, its edge is green, not red (the older deny is ignored)" \
	wait_for 10 eval '[ -z "$(denied)" ]'
stop_clean collector-flows "$FLOWS_PID"

# ---- a stopped probe ----
stop_clean frontend "${PID[frontend]}"
FRONTEND_DOWN="backend->client client->backend management-ui->backend management-ui->client"
expect_edges "frontend stopped: its node and edges go" "$FRONTEND_DOWN"

# ---- the UI in headless Chromium (in the collector's namespace) ----
export STARS_NETNS
STARS_NETNS=$(lab_ns ui)
if ! command -v chromium >/dev/null; then
	ok "# SKIP chromium not installed"
else
	errf=$LAB_TMP/chromium-fn.err
	dom_graph=$(stars_graph_from_dom "$COLLECTOR/" 2>"$errf"); rc=$?
	expect_eq "Chromium, frontend stopped: nodes and edges rendered" "$rc $(paste -sd' ' <<<"$dom_graph")" \
		"0 backend client management-ui $FRONTEND_DOWN"
	start_probe frontend
	expect_edges "frontend restarted: every edge back" "$ALL_EDGES"
	"$CTL" profile client rule add inbound allow tcp from tag management-ui to ports 9000 >/dev/null
	wait_for 5 client_rules_are "$CLIENT_RULES2"
	dom_graph=$(stars_graph_from_dom "$COLLECTOR/" 2>>"$errf"); rc=$?
	expect_eq "Chromium, all up: nodes and edges rendered" "$rc $(paste -sd' ' <<<"$dom_graph")" \
		"0 backend client frontend management-ui $ALL_EDGES"
	expect_eq "Chromium graph equals /graph" "$(sed -n '/->/p' <<<"$dom_graph" | paste -sd' ')" "$(edges)"
	check "stars_graph_from_dom prints only graph lines (wrapper/dbus noise dropped)" \
		bash -c '[ -n "$1" ] && ! grep -vqE "^[a-z-]+(->[a-z-]+)?$" <<<"$1"' _ "$dom_graph"
	check "stars_graph_from_dom writes nothing on stderr" test ! -s "$errf"
	STARS_CHROMIUM_LOG=$LAB_TMP/chromium.log stars_dom "$COLLECTOR/" >/dev/null
	printf '# chromium stderr that stars_chromium drops: %s\n' "$(head -n 2 "$LAB_TMP/chromium.log" | tr '\n' ' ' | cut -c1-150)"
	dom=$(stars_dom "$COLLECTOR/")
	check "UI: status line says 'updated N s ago'" grep -qE 'id="status"[^>]*>updated [0-9]+ s ago' <<<"$dom"
	expect_eq "UI: client's panel is 'calicoctl profile client rule show', word for word" \
		"$(stars_rules_from_html client <<<"$dom")" \
		"$(echo calicoctl profile client rule show "$("$CTL" profile client rule show)" | tr -s ' \n' ' ' | sed 's/ $//')"
	dom_graph=$(stars_graph_from_dom "http://$UI:9002/"); rc=$?
	expect_eq "Chromium, nothing listening: exit 1, no graph" "$rc:$dom_graph" "1:"
	# the page served without a collector behind it (busybox httpd: /graph is 404)
	mkdir -p "$LAB_TMP/www" && get "$COLLECTOR/" >"$LAB_TMP/www/index.html"
	lab_spawn ui busybox httpd -f -p "$UI:9003" -h "$LAB_TMP/www"
	check "static copy of the page served" wait_for 5 lab_exec ui curl -sf -o /dev/null "http://$UI:9003/"
	dom=$(stars_dom "http://$UI:9003/")
	check "UI without a collector: status says 'collector unreachable'" \
		grep -qE 'id="status" class="bad">collector unreachable<' <<<"$dom"
	dom_graph=$(stars_graph_from_html <<<"$dom"); rc=$?
	expect_eq "UI without a collector: no graph rendered" "$rc:$dom_graph" "1:"
	kill "$LAB_LAST_PID"
	if [ -n "${STARS_SCREENSHOT:-}" ]; then
		rm -f "$STARS_SCREENSHOT"
		stars_screenshot "$COLLECTOR/" "$(realpath -m "$STARS_SCREENSHOT")"
		check "screenshot saved to $STARS_SCREENSHOT" bash -c '[ "$(head -c 4 "$1" | tail -c 3)" = PNG ]' _ "$STARS_SCREENSHOT"
	fi
fi

# ---- cannot listen, clean shutdown ----
err=$(lab_exec client timeout 5 "$STARS" probe --name dup http://x/ 2>&1 >/dev/null); rc=$?
expect_eq "second probe on a port in use: exit 1, one line" "$rc $err" "1 calico-stars: cannot listen on 0.0.0.0:9000"
stop_clean collector "${PID[collector]}"
for s in client frontend backend; do stop_clean "$s" "${PID[$s]}"; done
tap_done
