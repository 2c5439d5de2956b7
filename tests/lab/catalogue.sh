#!/usr/bin/env bash
# The bad-input catalogue (issue 8): every row of tests/catalogue/bad-input.tsv
# is one malformed input given to one entry point through its real binary,
# and the exact one-line error it must get. After every row the suite checks
# that nothing was left behind:
#   - the datastore revision is unchanged (dstool rev), so nothing was written:
#     when it moved, the message says whether the IPAM keys (blocks, handles,
#     affinities) changed too;
#   - the links of the lab host namespace and of the root namespace are unchanged.
# One TAP line per row. Everything runs in one lab host namespace h1, with a
# calico-node and a calico-libnetwork there, on one shared SQLite file, and a
# few things made first (a profile, a CNI container, a Mesos reservation) so
# that "in use" and "unchanged" mean something.
#
#   fabric -- h1 (172.30.0.11): calico-node, calico-libnetwork (socket in $LAB_TMP),
#             CNI container "keep", netns w1 (given to refused CNI ADDs)
#
# CATALOGUE_RECORD=1 prints "entry<TAB>name<TAB>actual message" for every row
# instead of asserting (to write or review the table); CATALOGUE_ONLY=ENTRY
# runs the rows of one entry point.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
tap_skip_unless "needs root, jq, curl, nft and the calico binaries" root cmd:jq cmd:curl cmd:nft \
	"exe:${CALICO_BUILD:-}/calico" "exe:${CALICO_BUILD:-}/calico-ipam" "exe:${CALICO_BUILD:-}/calico_mesos" \
	"exe:${CALICO_BUILD:-}/calico-libnetwork" "exe:${CALICO_BUILD:-}/calico-node"
. "$here/../lib/netns.sh"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db"
. "$here/../lib/agent.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export HOSTNAME=h1 CALICO_RUN_DIR="$LAB_TMP/run" CALICO_LOG_DIR="$LAB_TMP/log" CALICO_STATE_DIR="$LAB_TMP/state"
mkdir -p "$CALICO_RUN_DIR" "$CALICO_LOG_DIR" "$CALICO_STATE_DIR"
TABLE=${CATALOGUE_TABLE:-$here/../catalogue/bad-input.tsv}
RECORD=${CATALOGUE_RECORD:-}
ONLY=${CATALOGUE_ONLY:-}
CTL="$CALICO_BUILD/calicoctl"
CNIBIN="$LAB_TMP/cni-bin"
LNW_SOCK="$LAB_TMP/lnw.sock"
SANLOG="$LAB_TMP/stderr-all"
WORK="$LAB_TMP/row"
mkdir -p "$CNIBIN" "$WORK"
ln -s "$CALICO_BUILD/calico" "$CNIBIN/calico"
ln -s "$CALICO_BUILD/calico-ipam" "$CNIBIN/calico-ipam"

# ---- the good documents that jq: rows start from ----
GOOD_CNI='{"cniVersion":"1.0.0","name":"cat","type":"calico","nodename":"h1","policy_setup_timeout_seconds":5,"ipam":{"type":"calico-ipam"}}'
GOOD_IPAM='{"cniVersion":"1.0.0","name":"cat","type":"calico","nodename":"h1","ipam":{"type":"calico-ipam"}}'
GOOD_MESOS='{"command":"allocate","args":{"hostname":"h1","uid":"cat-uid","num_ipv4":1,"num_ipv6":0}}'
GOOD_LNW='{}'
# values the table's shell words may use
BIG=$(head -c 100000 /dev/zero | tr '\0' a) # argv strings stop at 128 KiB
LONG256=$(head -c 256 /dev/zero | tr '\0' x)

# ---- the lab ----
lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
lab_workload_ns w1 && lab_workload_ns keep || { echo "Bail out! cannot build the lab"; exit 1; }
W1=$(lab_nspath w1)
KEEP_NS=$(lab_nspath keep)
AGENT_HOST=h1
in_h1() { lab_exec h1 "$@"; }
"$CTL" pool add 10.80.0.0/16 fd00:80::/64 >/dev/null || echo "# pool add failed"
# no heartbeat: the agent writes to the datastore only when an endpoint changes
"$CTL" config felix ReportingIntervalSecs 0 >/dev/null || echo "# config failed"
"$CTL" profile add seed >/dev/null || echo "# profile add failed"
agent_start h1
check "calico-node ready in h1" agent_wait_ready 15
printf '%s' "$GOOD_CNI" | in_h1 env CNI_COMMAND=ADD CNI_CONTAINERID=keep CNI_NETNS="$(lab_nspath keep)" CNI_IFNAME=eth0 \
	CNI_PATH="$CNIBIN" "$CALICO_BUILD/calico" >"$WORK/keep.json" 2>>"$SANLOG"
KEEP_IP=$(jq -r '.ips[0].address' "$WORK/keep.json" 2>/dev/null)
KEEP_IP=${KEEP_IP%/*}
check "a CNI container to keep ($KEEP_IP)" [ -n "$KEEP_IP" -a "$KEEP_IP" != null ]
MESOS_IP=10.80.200.1
out=$(printf '{"command":"reserve","args":{"hostname":"h1","uid":"cat-keep","ipv4_addrs":["%s"]}}' \
	"$MESOS_IP" | in_h1 "$CALICO_BUILD/calico_mesos" 2>>"$SANLOG")
expect_eq "a Mesos reservation to keep ($MESOS_IP)" "$out" '{"error":null}'
lab_spawn h1 "$CALICO_BUILD/calico-libnetwork" --socket "$LNW_SOCK" --docker-socket "$LAB_TMP/no-docker.sock" \
	--name h1 >>"$LAB_TMP/lnw.log" 2>&1
LNW_PID=$LAB_LAST_PID
check "calico-libnetwork serves on its socket" agent_until 10 test -S "$LNW_SOCK"
# the agent reports "keep" up once; wait for that write before the first snapshot
keep_up() { "$DSTOOL" list /calico/felix/v1/host/h1/workload/cni/keep/ | grep -q '"up"'; }
check "the agent reported keep up" agent_until 10 keep_up

# ---- invariants ----
# dstool is the test's own probe, read three times a row: without the leak
# check at its exit, which halves its cost (the binaries under test keep it)
ds() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$DSTOOL" "$@"; }
links() { ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' '; echo; ip -n "$(lab_ns h1)" -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' '; }
ipam_sum() { ds list /calico/ipam/ | md5sum | cut -c1-12; }
snapshot() { REV0=$(ds rev); IPAM0=$(ipam_sum); LINKS0=$(links); }
# sets WHAT_CHANGED ("" when nothing did). Every write moves the revision, so
# the IPAM keys are read again only to say what a write changed.
changed() {
	local w=() rev
	rev=$(ds rev)
	if [ "$rev" != "$REV0" ]; then
		w+=("datastore revision $REV0 -> $rev")
		[ "$(ipam_sum)" = "$IPAM0" ] || w+=("IPAM keys changed")
	fi
	[ "$(links)" = "$LINKS0" ] || w+=("links changed: $(diff <(echo "$LINKS0") <(links) | grep '^[<>]' | tr '\n' ' ')")
	WHAT_CHANGED="${w[*]}"
}

# ---- input materialising ----
# data SPEC GOOD > file: "-" nothing; "jq:FILTER" the GOOD document through jq;
# "gen:NAME" a generated input; anything else literally, with printf %b escapes
# (\x00, \xff, \n) and {{W1}} / {{KEEP_IP}} / {{MESOS_IP}} substituted.
data() {
	local spec=$1 good=$2
	case $spec in
	-) ;;
	jq:*) jq -c "${spec#jq:}" <<<"$good" | tr -d '\n' ;;
	gen:big) head -c 1048576 /dev/zero | tr '\0' a ;;
	gen:100k) head -c 100000 /dev/zero | tr '\0' a ;;
	jqbig:*) jq -c --rawfile big <(head -c 1048576 /dev/zero | tr '\0' a) "${spec#jqbig:}" <<<"$good" | tr -d '\n' ;;
	gen:bigjson) jq -c --rawfile pad <(head -c 1048576 /dev/zero | tr '\0' a) '. + {pad: $pad}' <<<"$good" | tr -d '\n' ;;
	gen:deep) head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']' ;;
	gen:deepobj) for _ in $(seq 2000); do printf '{"a":'; done; printf 1; for _ in $(seq 2000); do printf '}'; done ;;
	gen:manykeys) jq -c '. + ([range(0;50000)] | map({key: "k\(.)", value: .}) | from_entries)' <<<"$good" | tr -d '\n' ;;
	*) printf '%b' "$(placeholders "$spec")" ;;
	esac
}
# placeholders TEXT: the run's own paths and addresses in place of {{W1}},
# {{KEEP_NS}}, {{KEEP_IP}}, {{MESOS_IP}}, {{CNIBIN}}
placeholders() {
	local t=$1
	t=${t//\{\{W1\}\}/$W1}; t=${t//\{\{KEEP_NS\}\}/$KEEP_NS}; t=${t//\{\{KEEP_IP\}\}/$KEEP_IP}
	t=${t//\{\{MESOS_IP\}\}/$MESOS_IP}; t=${t//\{\{CNIBIN\}\}/$CNIBIN}
	printf '%s' "$t"
}
# words ARGS: the table's shell words as the array WORDS (the table is ours:
# eval only expands its quoting and $BIG / $LONG256 / $W1 / $KEEP_NS / $KEEP_IP)
words() { eval "WORDS=($1)"; }

# ---- one runner per entry point: each sets GOT (the one-line message, or a
# description of what broke the protocol) ----
run_ctl() { # ARGS STDIN
	local rc lines
	words "$1"
	data "$2" "" >"$WORK/in"
	in_h1 "$CTL" "${WORDS[@]}" <"$WORK/in" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	tee -a "$SANLOG" <"$WORK/err" >/dev/null
	GOT=$(head -n 1 "$WORK/err")
	lines=$(wc -l <"$WORK/err")
	# a usage error may follow its one line with the usage text, nothing else may
	if [ "$rc" -ne 1 ]; then GOT="exit $rc: $GOT"
	elif [ -s "$WORK/out" ]; then GOT="stdout: $(head -c 200 "$WORK/out")"
	elif [ "$lines" -gt 1 ] && ! sed -n 2p "$WORK/err" | grep -q '^calicoctl: Calico networking'; then
		GOT="$lines lines: $(head -c 300 "$WORK/err" | tr '\n' '|')"
	fi
}
_run_cni() { # BINARY ARGS STDIN GOOD
	local bin=$1 rc v d env=() unset=() defaults=(CNI_COMMAND=ADD "CNI_CONTAINERID=cat$ROW" "CNI_NETNS=$W1" CNI_IFNAME=eth0 "CNI_PATH=$CNIBIN")
	words "$2"
	for v in "${WORDS[@]}"; do
		case $v in
		-*) unset+=("${v#-}") ;;
		*) env+=("$v") ;;
		esac
	done
	# a default stays unless the row sets or unsets that variable
	for d in "${defaults[@]}"; do
		for v in "${env[@]}" "${unset[@]}"; do [ "${v%%=*}" = "${d%%=*}" ] && continue 2; done
		env=("$d" "${env[@]}")
	done
	unset=("${unset[@]/#/-u}")
	data "$3" "$4" >"$WORK/in"
	in_h1 env "${unset[@]}" "${env[@]}" "$CALICO_BUILD/$bin" <"$WORK/in" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	cat "$WORK/err" >>"$SANLOG"
	if [ "$rc" -ne 1 ]; then GOT="exit $rc: $(head -c 200 "$WORK/out")"; return; fi
	if ! jq -e 'type == "object" and has("cniVersion") and has("code") and has("msg") and has("details")' \
		"$WORK/out" >/dev/null 2>&1; then
		GOT="not a CNI error object: $(head -c 200 "$WORK/out")"; return
	fi
	GOT=$(jq -r '"\(.code) \(.msg)"' "$WORK/out")
}
run_cni() { _run_cni calico "$1" "$2" "$GOOD_CNI"; }
run_ipam() { _run_cni calico-ipam "$1" "$2" "$GOOD_IPAM"; }
run_mesos() { # - STDIN
	data "$2" "$GOOD_MESOS" >"$WORK/in"
	in_h1 "$CALICO_BUILD/calico_mesos" <"$WORK/in" >"$WORK/out" 2>"$WORK/err"
	cat "$WORK/err" >>"$SANLOG"
	# exactly one JSON object with a string "error", as the isolator reads it
	if [ "$(jq -s 'length' "$WORK/out" 2>/dev/null)" != 1 ] ||
		! jq -e '.error | type == "string"' "$WORK/out" >/dev/null 2>&1; then
		GOT="not one error object: $(head -c 200 "$WORK/out")"; return
	fi
	GOT=$(jq -r .error "$WORK/out")
}
run_lnw() { # PATH BODY: GOT = "<HTTP status> <Err>"
	local code
	data "$2" "$GOOD_LNW" >"$WORK/in"
	words "$1"
	code=$(curl -s --max-time 5 --unix-socket "$LNW_SOCK" -o "$WORK/out" -w '%{http_code}' \
		-H 'Content-Type: application/vnd.docker.plugins.v1.2+json' --data-binary @"$WORK/in" "http://calico${WORDS[0]}")
	if ! jq -e '.Err | type == "string"' "$WORK/out" >/dev/null 2>&1; then
		GOT="$code, no Err: $(head -c 200 "$WORK/out")"; return
	fi
	GOT="$code $(jq -r .Err "$WORK/out")"
}
# agent KEY VALUE: written straight to the datastore (as another tool or an
# older calicoctl could); the agent must keep running on its previous config
# and log one line naming the key and the value. GOT = that line without its
# timestamp and level. The write itself changes the datastore, so this runner
# takes its own snapshot after the write and removes the key at the end.
run_agent() {
	local key="/calico/v1/$1" value n0 i line=""
	value=$(data "$2" "")
	n0=$(wc -l <"$AGENT_LOG")
	"$DSTOOL" put "$key" "$value" >/dev/null || { GOT="cannot write $key"; return; }
	snapshot
	for ((i = 0; i < 60; i++)); do
		line=$(tail -n +$((n0 + 1)) "$AGENT_LOG" | grep -a -m1 'keeping the previous configuration') && break
		sleep 0.05
	done
	GOT=$(LC_ALL=C sed -E 's/^[0-9T:.-]+Z [A-Z]+ //' <<<"$line")
	[ -n "$GOT" ] || GOT="no log line: $(tail -n +$((n0 + 1)) "$AGENT_LOG" | head -n 3 | tr '\n' '|')"
	kill -0 "$AGENT_PID" 2>/dev/null || GOT="calico-node exited: $GOT"
	[ "$(agent_http /readiness)" = 200 ] || GOT="calico-node not ready: $GOT"
	changed
	"$DSTOOL" del "$key" >/dev/null
	# the agent takes the key's removal (and logs nothing) before the next row
	n0=$(wc -l <"$AGENT_LOG")
	sleep 0.1
	snapshot
}

# ---- the table ----
ROW=0
declare -A SEEN
while IFS=$'\t' read -r entry name args input want; do
	case $entry in '' | '#'*) continue ;; esac
	[ -z "$ONLY" ] || [ "$ONLY" = "$entry" ] || continue
	ROW=$((ROW + 1))
	[ -z "${SEEN[$entry:$name]:-}" ] || echo "# duplicate row name: $entry: $name"
	SEEN[$entry:$name]=1
	[ "$args" = - ] && args=""
	# the state after one row is the state before the next: one snapshot
	# per row is enough, taken again only when a row changed something
	[ -n "${REV0:-}" ] || snapshot
	GOT="" WHAT_CHANGED=""
	case $entry in
	ctl) run_ctl "$args" "$input" ;;
	cni) run_cni "$args" "$input" ;;
	ipam) run_ipam "$args" "$input" ;;
	mesos) run_mesos "$args" "$input" ;;
	lnw) run_lnw "$args" "$input" ;;
	agent) run_agent "$args" "$input" ;;
	*) GOT="unknown entry point '$entry'" ;;
	esac
	[ "$entry" = agent ] || changed
	[ -z "$WHAT_CHANGED" ] || snapshot
	want=$(placeholders "$want")
	if [ -n "$RECORD" ]; then
		GOT=${GOT//"$CNIBIN"/\{\{CNIBIN\}\}}; GOT=${GOT//"$KEEP_NS"/\{\{KEEP_NS\}\}}; GOT=${GOT//"$W1"/\{\{W1\}\}}
		printf '%s\t%s\t%s\t%s\n' "$entry" "$name" "$GOT" "${WHAT_CHANGED:+LEFT: $WHAT_CHANGED}"
		continue
	fi
	if [ "$GOT" = "$want" ] && [ -z "$WHAT_CHANGED" ]; then
		ok "$entry: $name: $want"
	else
		fail "$entry: $name"
		printf '#   got:  %s\n#   want: %s\n' "$GOT" "$want"
		if [ -n "$WHAT_CHANGED" ]; then
			printf '#   left behind: %s\n' "$WHAT_CHANGED"
			# who wrote it: the agent's last words
			tail -n 6 "$AGENT_LOG" | sed 's/^/#   agent: /'
		fi
	fi
done <"$TABLE"
[ -n "$RECORD" ] && exit 0
check "the table has at least 150 rows ($ROW)" [ "$ROW" -ge 150 -o -n "$ONLY" ]

# ---- afterwards ----
check "calico-node still running" kill -0 "$AGENT_PID"
check "calico-libnetwork still running" kill -0 "$LNW_PID"
check "calico-node never crashed or restarted its loop" bash -c "! grep -qiE 'panic|assert|sanitizer' '$AGENT_LOG'"
printf '%s' "$GOOD_CNI" | in_h1 env CNI_COMMAND=DEL CNI_CONTAINERID=keep CNI_NETNS="$(lab_nspath keep)" CNI_IFNAME=eth0 \
	CNI_PATH="$CNIBIN" "$CALICO_BUILD/calico" 2>>"$SANLOG"
printf '{"command":"release","args":{"uid":"cat-keep"}}' | in_h1 "$CALICO_BUILD/calico_mesos" >/dev/null 2>>"$SANLOG"
expect_eq "no address left allocated after the kept ones are released" \
	"$("$DSTOOL" list /calico/ipam/v2/handle/ | wc -l)" 0
expect_eq "no cali interface left in h1" "$(ip -n "$(lab_ns h1)" -o link | grep -c ': cali')" 0
check "no sanitizer report from any binary" bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$SANLOG' '$AGENT_LOG' '$LAB_TMP/lnw.log'"
agent_stop
tap_done
