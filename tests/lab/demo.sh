#!/usr/bin/env bash
# The stars demo end to end (scripts/demo.sh with DEMO=auto, as `make demo`
# runs it, on a free port and a private DEMO_DIR): at each step headless
# Chromium loads the UI through the forwarder on 127.0.0.1 and the test reads
# the graph it rendered (tests/lib/stars.sh): step 1 refused, step 2 only
# management-ui, step 3 four nodes with edges from management-ui only, step 4
# plus client->frontend and frontend->backend and nothing else. Each rules
# panel shows the profile as the datastore holds it: a rule the demo never adds,
# typed with calicoctl after `. $DEMO_DIR/env`, appears on the page, and goes
# when removed. A second demo on the same state dir is refused. The final page is kept as a screenshot
# (tests/artifacts/demo-final.png). The demo is then removed the way
# `make demo-down` does (scripts/demo/down.sh stops the running demo), and the
# machine is compared with before: no namespace, root-namespace link, route or
# nftables table, and no process of the demo left.
#
# DEMO_TEST_POLICY=v3 (tests/lab/demo_v3.sh) runs the demo's v3 variant
# instead (DEMO_POLICY=v3): the steps apply scripts/demo/policies/*.yaml and
# the test checks the same graphs; instead of the rules panels (none in that
# variant), a policy the user applies (client -> backend) adds that edge, and
# deleting it takes the edge away again; a profile rule for the same path
# changes nothing (the demo tier decides first); and a guardrail tier ahead of
# it that denies client -> frontend and passes the rest removes exactly that
# edge.
set -u
POLICY=${DEMO_TEST_POLICY:-2016}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/../lib/tap.sh"
for b in calicoctl calico-node calico calico-ipam calico_mesos calico-stars; do
	[ -x "${CALICO_BUILD:-}/$b" ] || { echo "1..0 # SKIP needs $b in \$CALICO_BUILD"; exit 0; }
done
if [ "$(id -u)" -ne 0 ] || ! command -v chromium >/dev/null || ! command -v jq >/dev/null ||
	! command -v bird >/dev/null || ! command -v nft >/dev/null; then
	echo "1..0 # SKIP needs root, chromium, jq, bird and nft"
	exit 0
fi
. "$here/../lib/stars.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

# calico-stars forward refuses bad arguments with one line naming them.
fwd_err() { "$CALICO_BUILD/calico-stars" forward "$@" 2>&1 >/dev/null; echo "rc=$?"; }
expect_eq "forward: a bad --listen is named" "$(fwd_err --listen 127.0.0.1 --netns /proc/self/ns/net --to 127.0.0.1:1)" \
	"calico-stars forward: bad --listen '127.0.0.1' (want ADDR:PORT)
rc=1"
expect_eq "forward: a missing --to is named" "$(fwd_err --listen 127.0.0.1:1 --netns /proc/self/ns/net)" \
	"calico-stars forward: missing --to ADDR:PORT
rc=1"
expect_eq "forward: a namespace that does not exist is named" \
	"$(fwd_err --listen 127.0.0.1:1 --netns /var/run/netns/calico-demo-none --to 10.0.0.1:1)" \
	"calico-stars forward: cannot open namespace '/var/run/netns/calico-demo-none': No such file or directory
rc=1"

out=$(DEMO_POLICY=v2 DEMO_DIR=/nonexistent/calico-demo "$repo/scripts/demo.sh" "$CALICO_BUILD" 2>&1 </dev/null)
expect_eq "demo: an unknown DEMO_POLICY is refused with one line naming it" "$out (rc=$?)" \
	"calico-demo: DEMO_POLICY='v2' is not one of 2016, v3 (rc=1)"

TMP=$(mktemp -d /tmp/calico-demo-test.XXXXXX)
DEMO_DIR="$TMP/state" # not exported: the test's own processes must not carry it
ARTIFACT="$repo/tests/artifacts/demo-final.png"
[ "$POLICY" = v3 ] && ARTIFACT="$repo/tests/artifacts/demo-v3-final.png"
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/"

# What the root namespace looks like before (other suites may add and remove
# namespaces of their own meanwhile, so namespaces are compared by the demo's prefix).
snapshot() {
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	echo "-- routes"
	ip route show table all | sort
	ip -6 route show table all | sort
	echo "-- nft"
	nft list tables 2>/dev/null | sort
}
BEFORE=$(snapshot)

DPID=""
cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	[ -e "$DEMO_DIR" ] && DEMO_DIR=$DEMO_DIR "$repo/scripts/demo/down.sh" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DEMO=auto DEMO_POLICY=$POLICY DEMO_DIR=$DEMO_DIR DEMO_PORT=$PORT DEMO_GATE="$TMP/gate" DEMO_KEEP_LOGS="$TMP/logs" \
	"$repo/scripts/demo.sh" "$CALICO_BUILD" </dev/null >"$TMP/demo.out" 2>&1 &
DPID=$!

# wait_step N SECS: the demo printed "DEMO STEP N DONE"
wait_step() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q "^DEMO STEP $1 DONE" "$TMP/demo.out" && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# the demo did not reach step $1; its output:"
	sed 's/^/#   /' "$TMP/demo.out" | tail -n 30
	return 1
}
gate() { touch "$TMP/gate.$1"; }
# calicoctl as a user of the demo runs it, after `. $DEMO_DIR/env`
user_ctl() { (. "$DEMO_DIR/env" && calicoctl "$@"); }

# graph_is DESC SECS WANT: the graph Chromium renders equals WANT (node ids
# sorted, then edges sorted) within SECS, and still does one probe round later
# (no late edge sneaks in).
GOT=""
graph_is() {
	local desc=$1 secs=$2 want=$3 end
	end=$((SECONDS + secs))
	while :; do
		GOT=$(stars_graph_from_dom "$URL" 2>/dev/null)
		[ "$GOT" = "$want" ] && break
		[ $SECONDS -ge $end ] && break
		sleep 0.5
	done
	if [ "$GOT" = "$want" ]; then
		sleep 2.5
		GOT=$(stars_graph_from_dom "$URL" 2>/dev/null)
	fi
	expect_eq "$desc" "$(tr '\n' ' ' <<<"$GOT")" "$(tr '\n' ' ' <<<"$want")"
}

if ! wait_step 1 150; then
	fail "the demo comes up and reaches step 1"
	tap_done
	exit 1
fi
ok "the demo comes up (two hosts, four workloads, forwarder on 127.0.0.1:$PORT) and reaches step 1"
ID=$(cat "$DEMO_DIR/id")
echo "# demo namespaces: $(ip netns list | awk '{print $1}' | grep "^calico-demo-$ID-" | tr '\n' ' ')"
grep -E '^    (management-ui|client|frontend|backend) ' "$TMP/demo.out" | sed 's/^ */# /'
if grep -q 'BGP routes in place' "$TMP/demo.out" && ! grep -q 'WARNING: no BGP routes' "$TMP/demo.out"; then
	ok "the hosts exchange their blocks over BGP (BIRD, started by calicoctl node)"
else
	fail "the hosts exchange their blocks over BGP (BIRD, started by calicoctl node)"
	sed -n '/Waiting for BGP/,/stars demo is up/p' "$TMP/demo.out" | sed 's/^/#   /'
fi
check "calicoctl status on host1 shows the mesh session Established" \
	grep -qE '172\.30\.0\.12 +\| node-to-node mesh \| up .*Established' "$TMP/demo.out"
check "both containerizer paths ran: 2 endpoints from mesos, 2 from cni" \
	test "$(CALICO_DATASTORE="sqlite:$DEMO_DIR/calico.db" "$CALICO_BUILD/calicoctl" endpoint show |
		awk -F'|' '$3 ~ /mesos/ {m += $5} $3 ~ /cni/ {c += $5} END {print m + 0, c + 0}')" = "2 2"

# Step 1: the UI is refused.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 "$URL")
expect_eq "step 1: curl gets no HTTP answer from the UI (refused by management-ui's policy)" "$code" "000"
check "step 1: the demo showed the refusal with curl" grep -qE 'curl: \((7|52|56)\)' "$TMP/demo.out"
if stars_graph_from_dom "$URL" >/dev/null 2>&1; then
	fail "step 1: Chromium renders no graph"
else
	ok "step 1: Chromium renders no graph"
fi
if [ "$POLICY" = 2016 ]; then
	out=$(DEMO=up DEMO_DIR=$DEMO_DIR DEMO_PORT=$(free_port) "$repo/scripts/demo.sh" "$CALICO_BUILD" 2>&1 </dev/null)
	rc=$?
	check "a second demo on the same state dir is refused (exit 1, clear message)" \
		test "$rc" = 1 -a -n "$(grep 'a demo is already running' <<<"$out")"
	[ "$rc" = 1 ] || echo "$out" | sed 's/^/#   /' | tail -n 5
else
	check "v3 step 1: the demo printed 'calicoctl apply -f' of its policy file" \
		grep -qE '^  \$ calicoctl apply -f .*/scripts/demo/policies/1-default-deny\.yaml$' "$TMP/demo.out"
	check "v3 step 1: ... and the file itself, before applying it" \
		grep -qE '^    (  name: demo\.default-deny|kind: Tier)$' "$TMP/demo.out"
	check "v3 step 1: calicoctl applied it (2 resources)" grep -q 'Successfully applied 2 resource(s)' "$TMP/demo.out"
	echo "# what the demo printed at step 1:"
	sed -n '/^---- Step 1/,/^DEMO STEP 1 DONE/p' "$TMP/demo.out" | sed 's/^/#   /'
	check "v3: every workload carries role=<service> (two through net-modules, two through CNI)" \
		test "$(user_ctl get wep -A -l "has(role)" -o json | jq -r '[.items[].metadata.labels.role] | sort | join(" ")')" \
		= "backend client frontend management-ui"
fi
gate 1

wait_step 2 30 || fail "the demo reaches step 2"
graph_is "step 2: the page loads and shows only management-ui, no edges" 20 "management-ui"
gate 2

wait_step 3 30 || fail "the demo reaches step 3"
graph_is "step 3: four services, edges only from management-ui" 30 "$(printf '%s\n' backend client frontend \
	management-ui management-ui-\>backend management-ui-\>client management-ui-\>frontend)"
gate 3

wait_step 4 30 || fail "the demo reaches step 4"
graph_is "step 4: plus client->frontend and frontend->backend, nothing else (no client->backend)" 30 \
	"$(printf '%s\n' backend client frontend management-ui client-\>frontend frontend-\>backend \
		management-ui-\>backend management-ui-\>client management-ui-\>frontend)"
mkdir -p "$(dirname "$ARTIFACT")"
rm -f "$ARTIFACT"
stars_screenshot "$URL" "$ARTIFACT"
check "step 4: screenshot of the final page" test -s "$ARTIFACT"
echo "# screenshot: $ARTIFACT"

# Flow logs on the page: the collector reads each host's records from its
# calico-node (the flows socket). backend's panel (#backend) lists its last
# flows; the frontend's probe, allowed, is among them, its source named
# (same host). Every denied probe is a red dashed edge naming the verdict
# point: 2016, the end of the destination's profiles (it has no rule for
# that source); v3, the end of the demo tier, its trigger the tier's last
# policy, demo.default-deny.
PANEL_ROWS=""
panel_has() { # SECS ID PATTERN: ID's panel has a row matching PATTERN (ERE) within SECS
	local end=$((SECONDS + $1))
	while :; do
		PANEL_ROWS=$(stars_dom "$URL#$2" 2>/dev/null | stars_flows_from_html "$2")
		grep -qE "$3" <<<"$PANEL_ROWS" && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 1
	done
}
if panel_has 40 backend '^[0-9:]{8}[^ ]+ \| ← frontend \| tcp/9000 \| allow \| '; then
	ok "flows: backend's panel (#backend) lists its last flows, frontend's probe allowed among them"
else
	fail "flows: backend's panel (#backend) lists its last flows, frontend's probe allowed among them"
	sed 's/^/#   /' <<<"$PANEL_ROWS" | head -n 12
fi
if [ "$POLICY" = 2016 ]; then
	WANT_DENIED=$(printf '%s\n' "backend->client	end of profiles (client)" "backend->frontend	end of profiles (frontend)" \
		"client->backend	end of profiles (backend)" "frontend->client	end of profiles (client)")
	WANT_ALLOW='profile backend rule 2'
else
	WANT_DENIED=$(printf '%s\n' "backend->client" "backend->frontend" "client->backend" "frontend->client" |
		sed 's/$/	end of tier demo (demo.default-deny)/')
	WANT_ALLOW='policy demo/demo.backend-from-frontend rule 0'
fi
# Attribution needs the ruleset's NFLOG statements (docs/flows.md); the demo
# runs with flow logs on, so a ruleset without them is a failure, not a skip.
if ! ip netns exec "calico-demo-$ID-host1" nft list ruleset 2>/dev/null | grep -q 'log .*group 2'; then
	fail "flows: the ruleset logs verdicts for attribution (log ... group 2)"
else
	GOT_DENIED=""
	for _ in $(seq 1 40); do
		GOT_DENIED=$(stars_dom "$URL" 2>/dev/null | stars_denied_from_html | awk -F'\t' -v OFS='\t' \
			'{ print $1, $2 ($3 == "#f85149" && $4 == "10 7" ? "" : " (not red dashed: " $3 " " $4 ")") }')
		[ "$GOT_DENIED" = "$WANT_DENIED" ] && break
		sleep 1
	done
	expect_eq "flows: the denied probes are red dashed edges naming the rule" "$GOT_DENIED" "$WANT_DENIED"
	panel_has 20 backend "← frontend \\| tcp/9000 \\| allow \\| $WANT_ALLOW\$"
	check "flows: backend's panel names the rule that allowed frontend ($WANT_ALLOW)" \
		grep -qE "← frontend \\| tcp/9000 \\| allow \\| $WANT_ALLOW\$" <<<"$PANEL_ROWS"
fi

if [ "$POLICY" = 2016 ]; then
	# The rules panels tell what the datastore holds now, not only the demo's steps.
	# the panel as calicoctl would print it: header, then rule show, white space collapsed
	want_panel() { echo "calicoctl profile $1 rule show $(user_ctl profile "$1" rule show)" | tr -s ' \n' ' ' | sed 's/ $//'; }
	PANEL=""
	# panel_is DESC ID WANT SECS: Chromium renders ID's panel as WANT within SECS
	panel_is() {
		local end=$((SECONDS + $4))
		while :; do
			PANEL=$(stars_dom "$URL" 2>/dev/null | stars_rules_from_html "$2")
			[ "$PANEL" = "$3" ] || [ $SECONDS -ge $end ] && break
			sleep 0.5
		done
		expect_eq "$1" "$PANEL" "$3"
	}
	panel_is "rules: client's panel is 'calicoctl profile client rule show' after step 4" client "$(want_panel client)" 15
	run_user=$(user_ctl profile client rule add outbound deny udp to ports 5999 2>&1)
	check "a user's own rule: calicoctl profile client rule add outbound deny udp to ports 5999" test -z "$run_user"
	WANT=$(want_panel client)
	check "... calicoctl shows it as outbound rule 2" grep -q 'Outbound rules: 1 allow 2 deny udp to ports 5999$' <<<"$WANT"
	panel_is "... the page shows it in client's panel" client "$WANT" 20
	user_ctl profile client rule remove outbound deny udp to ports 5999 >/dev/null 2>&1
	WANT=$(want_panel client)
	panel_is "... and no longer once calicoctl removed it" client "$WANT" 20
	check "... (the panel has no port 5999)" eval '! grep -q 5999 <<<"$PANEL"'
else
	expect_eq "v3 step 4: the demo's tier holds its five policies" \
		"$(user_ctl get gnp -o json | jq -r '[.items[] | select(.spec.tier == "demo") | .metadata.name] | sort | join(" ")')" \
		"demo.allow-collector demo.allow-ui demo.backend-from-frontend demo.default-deny demo.frontend-from-client"
	if stars_dom "$URL" 2>/dev/null | stars_rules_from_html client >/dev/null; then
		fail "v3: the page shows no profile rules panel"
	else
		ok "v3: the page shows no profile rules panel"
	fi
	cat >"$TMP/client-backend.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: demo.backend-from-client
spec:
  tier: demo
  order: 30
  selector: role == 'backend'
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: role == 'client'
    destination:
      ports: [9000]
EOF
	check "a user's own policy: calicoctl apply -f (client -> backend)" \
		eval 'user_ctl apply -f "$TMP/client-backend.yaml" >/dev/null'
	graph_is "... the page shows the third edge, client->backend" 30 \
		"$(printf '%s\n' backend client frontend management-ui client-\>backend client-\>frontend frontend-\>backend \
			management-ui-\>backend management-ui-\>client management-ui-\>frontend)"
	check "... calicoctl delete -f removes it" eval 'user_ctl delete -f "$TMP/client-backend.yaml" >/dev/null'
	graph_is "... and the edge goes again" 30 \
		"$(printf '%s\n' backend client frontend management-ui client-\>frontend frontend-\>backend \
			management-ui-\>backend management-ui-\>client management-ui-\>frontend)"
	# Profiles come after the tiers: the demo tier selects backend and ends in
	# Deny, so a profile rule letting the client in never gets a say.
	check "a profile rule for client -> backend (calicoctl profile backend rule add ...)" \
		eval 'user_ctl profile backend rule add inbound allow tcp from tag client to ports 9000 >/dev/null'
	sleep 4
	graph_is "... changes nothing: the demo tier's deny comes first" 5 \
		"$(printf '%s\n' backend client frontend management-ui client-\>frontend frontend-\>backend \
			management-ui-\>backend management-ui-\>client management-ui-\>frontend)"
	# A guardrail tier as docs/policy.md writes one: deny one egress path,
	# pass the rest on (to the demo tier, then the profiles).
	cat >"$TMP/guardrail.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: platform
spec:
  order: 50
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: platform.no-client-to-frontend
spec:
  tier: platform
  selector: all()
  types:
  - Egress
  egress:
  - action: Deny
    source:
      selector: role == 'client'
    destination:
      selector: role == 'frontend'
  - action: Pass
EOF
	check "a guardrail tier ahead of demo: deny client -> frontend on egress, pass the rest" \
		eval 'user_ctl apply -f "$TMP/guardrail.yaml" >/dev/null'
	graph_is "... takes exactly that edge away; Pass leaves every other path to the tiers after it" 30 \
		"$(printf '%s\n' backend client frontend management-ui frontend-\>backend \
			management-ui-\>backend management-ui-\>client management-ui-\>frontend)"
	# (its policy first: a tier that still holds one is not deleted)
	check "... calicoctl delete removes the guardrail" \
		eval 'user_ctl delete gnp platform.no-client-to-frontend >/dev/null && user_ctl delete tier platform >/dev/null'
	graph_is "... and the edge is back" 30 \
		"$(printf '%s\n' backend client frontend management-ui client-\>frontend frontend-\>backend \
			management-ui-\>backend management-ui-\>client management-ui-\>frontend)"
fi

# Everything of the demo, recorded before the teardown: its pids, and its dir
# in the environment or command line of the processes it started.
PIDS=$(awk '{print $1}' "$DEMO_DIR/pids"; cat "$DEMO_DIR"/hosts/*/run/*.pid 2>/dev/null)
# The patterns come from a file so that grep's own command line holds none of them.
printf '%s\n' "$DEMO_DIR/" "calico-demo-$ID-" >"$TMP/patterns"
demo_procs() {
	local f pid
	for f in /proc/[0-9]*; do
		pid=${f#/proc/}
		if grep -qaF -f "$TMP/patterns" "$f/environ" "$f/cmdline" 2>/dev/null; then
			tr '\0' ' ' <"$f/cmdline" 2>/dev/null
			echo " (pid $pid)"
		fi
	done
}
check "while running: the demo's processes are found by its state dir" test -n "$(demo_procs)"

# Teardown as `make demo-down` does it, while the demo still runs.
out=$(DEMO_DIR=$DEMO_DIR timeout 60 "$repo/scripts/demo/down.sh" 2>&1)
check "demo-down stops the running demo and removes it" grep -q 'Demo removed' <<<"$out"
for _ in $(seq 1 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DPID" 2>/dev/null; then
	fail "the demo exited after demo-down"
else
	wait "$DPID"
	rc=$?
	ok "the demo exited after demo-down (status $rc)"
fi
DPID=""
check "the demo's own teardown ran (its trap)" grep -q '^Demo removed' "$TMP/demo.out"

check "no namespace of the demo is left" test -z "$(ip netns list | grep "calico-demo-$ID-")"
left=""
for pid in $PIDS; do
	[ -d "/proc/$pid" ] && [ -n "$(tr -d '\0' <"/proc/$pid/cmdline" 2>/dev/null)" ] && left="$left $pid"
done
expect_eq "no process the demo recorded is left" "$left" ""
expect_eq "no process carrying the demo's dir or namespaces is left" "$(demo_procs)" ""
AFTER=$(snapshot)
expect_eq "root namespace: links, routes and nftables tables as before" "$AFTER" "$BEFORE"
[ "$AFTER" = "$BEFORE" ] && : || diff <(echo "$BEFORE") <(echo "$AFTER") | sed 's/^/#   /' | head -n 20
check "the state dir is gone" test ! -e "$DEMO_DIR"
check "nothing listens on the UI port any more" test -z "$(ss -Hltn "sport = :$PORT")"

hits=$(grep -rlE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP/logs" 2>/dev/null)
expect_eq "no sanitizer report in the demo's logs" "$hits" ""
[ -n "$hits" ] && for f in $hits; do grep -A5 -E 'ERROR|runtime error' "$f" | head -n 12 | sed 's/^/#   /'; done
tap_done
