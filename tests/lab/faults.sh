#!/usr/bin/env bash
# Crash faults (issue 8): kill -9 of the writers at random points, on both
# datastores, each time followed by `calicoctl ipam check` and `ipam gc`.
#
# One lab host h1 (its own namespace; on etcd, a private member runs inside
# h1 on its lo) with calico-node running, workload namespaces w1..w4 (calicoctl
# container), c1..c4 (CNI ADD/DEL through calico-ipam), tasks m1..m3 (Mesos
# allocate/isolate/cleanup/release). Each iteration picks one writer and kills
# it (the whole process group, so calico-ipam under calico too):
#   - after a random 0-30 ms, or
#   - exactly, with CALICO_FAULT_AT=<txn-before|txn-after|workload-attached>:<n>
#     (src/lib/util/fault.c: SIGKILL at the n-th pass through that point);
# or kills calico-node while an endpoint comes or goes, and restarts it.
# Then, per iteration:
#   1. `ipam check` (before gc): clean, or its problems are counted;
#   2. orphan interfaces (a kill between veth and record) are counted and
#      removed, as an operator would;
#   3. `ipam gc --grace=0` collects leaked addresses; every address an endpoint
#      held before gc must still be allocated to it after (ipam check: "not
#      allocated" = lost, "held by two endpoints" = duplicated), and check is clean.
# FAULT_ITERATIONS (default 30) per backend; `make soak` runs 1000.
# Last: SQLite disk full on a tiny tmpfs (inside `unshare -m`): one-line error,
# exit 1, integrity_check ok, earlier data intact, writes work once space is back.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
. "$here/../lib/etcd.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
tap_skip_unless "needs root, jq, etcd, calico_mesos, calico-node" root cmd:jq cmd:etcd \
	exe:"${CALICO_BUILD:-}/calico_mesos" exe:"${CALICO_BUILD:-}/calico-node"
trap 'etcd_stop; lab_cleanup' EXIT
trap 'exit 143' TERM INT

ITER=${FAULT_ITERATIONS:-30}
B="$CALICO_BUILD"
CTL="$B/calicoctl" DSTOOL="$B/dstool"
CNIBIN="$LAB_TMP/cni-bin"
SANLOG="$LAB_TMP/stderr.log" # stderr of every process that was not killed
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
mkdir -p "$CNIBIN" "$LAB_TMP/run" "$LAB_TMP/log" "$LAB_TMP/state"
ln -s "$B/calico" "$CNIBIN/calico"
ln -s "$B/calico-ipam" "$CNIBIN/calico-ipam"
export HOSTNAME=h1 CALICO_RUN_DIR="$LAB_TMP/run" CALICO_LOG_DIR="$LAB_TMP/log" CALICO_STATE_DIR="$LAB_TMP/state"

lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
for w in w1 w2 w3 w4 c1 c2 c3 c4; do lab_workload_ns $w || { echo "Bail out! cannot add $w"; exit 1; }; done
declare -A TPID
for t in m1 m2 m3; do
	lab_workload_ns "$t" && lab_spawn "$t" sleep 100000 && TPID[$t]=$LAB_LAST_PID
done

H1NS=$(lab_ns h1)
h1() { lab_exec h1 "$@"; }
ctl() { h1 "$CTL" "$@"; }
ds() { h1 "$DSTOOL" "$@"; }

# ---- the agent ----
AGENT_PID=""
agent_start() {
	lab_spawn h1 "$B/calico-node" >>"$LAB_TMP/calico-node.log" 2>&1
	AGENT_PID=$LAB_LAST_PID
}
agent_kill() { [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=""; }
agent_ready() {
	local i
	for i in $(seq 1 100); do
		[ "$(h1 curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- a writer, killed ----
# victim CMD...: runs CMD in h1 (stdin from $VICTIM_IN, default /dev/null) as
# its own process group, and kills it by one of the two methods. Started with
# `ip netns exec` directly, not through a shell function: then $! is the
# writer itself (ip and setsid exec), not a subshell whose kill would leave
# the writer running beside the "runtime's" next call. VICTIM_RC gets
# its exit status (137 = killed); KILLS counts the kills.
KILLS=0 KILL_DELAY=0 KILL_POINT=0 VICTIM_DESC=""
victim() {
	local pid point="" n delay=""
	if [ $((RANDOM % 2)) -eq 0 ]; then
		case $((RANDOM % 3)) in 0) point=txn-before ;; 1) point=txn-after ;; 2) point=workload-attached ;; esac
		n=$((RANDOM % 2 + 1))
		ip netns exec "$H1NS" env CALICO_FAULT_AT="$point:$n" setsid "$@" <"${VICTIM_IN:-/dev/null}" >"$LAB_TMP/out" \
			2>"$LAB_TMP/err" &
		pid=$!
	else
		ip netns exec "$H1NS" setsid "$@" <"${VICTIM_IN:-/dev/null}" >"$LAB_TMP/out" 2>"$LAB_TMP/err" &
		pid=$!
		printf -v delay '0.%03d' $((RANDOM % 31))
		sleep "$delay"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null # not yet its own group
	fi
	{ wait "$pid"; } 2>/dev/null # no "Killed" notice from the shell
	VICTIM_RC=$?
	VICTIM_DESC="${*##*/} ${point:-delay ${delay:-}} rc=$VICTIM_RC $(tail -n 1 "$LAB_TMP/err")"
	if [ "$VICTIM_RC" -eq 137 ]; then
		KILLS=$((KILLS + 1))
		if [ -n "$point" ]; then KILL_POINT=$((KILL_POINT + 1)); else KILL_DELAY=$((KILL_DELAY + 1)); fi
		kill -KILL -- "-$pid" 2>/dev/null # calico-ipam under a killed calico: the crash takes it too
	else
		cat "$LAB_TMP/err" >>"$SANLOG"
	fi
	VICTIM_IN=""
}
# quiet CMD...: a call that is not a victim (its stderr is kept for the sanitizer check)
quiet() { h1 "$@" >"$LAB_TMP/qout" 2>>"$SANLOG"; }

has_ep() { [ "$(ds count "/calico/v1/host/h1/workload/$1/$2/")" -gt 0 ]; }

# ---- the writers ----
op_container() {
	local w=w$((RANDOM % 4 + 1))
	if has_ep calicoctl "$(lab_ns $w)"; then
		victim "$CTL" container remove "$(lab_nspath $w)"
	else
		victim "$CTL" container add "$(lab_nspath $w)" ipv4
	fi
}

op_release() { # an address Mesos allocated, released by calicoctl while it is killed
	local uid="r$RANDOM$RANDOM" ip
	echo "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"$uid\",\"num_ipv4\":1,\"num_ipv6\":0}}" >"$LAB_TMP/req"
	h1 "$B/calico_mesos" <"$LAB_TMP/req" >"$LAB_TMP/qout" 2>>"$SANLOG"
	ip=$(jq -r '.ipv4[0] // empty' "$LAB_TMP/qout")
	[ -n "$ip" ] && victim "$CTL" ipam release "$ip"
}

op_profile() {
	local p=fp$((RANDOM % 3))
	case $((RANDOM % 3)) in
		0) victim "$CTL" profile add "$p" ;;
		1) victim "$CTL" profile "$p" rule add inbound allow tcp to ports $((RANDOM % 1000 + 1)) ;;
		2) victim "$CTL" profile remove "$p" --no-check ;;
	esac
}

cni_conf() {
	jq -nc '{cniVersion:"0.3.1",name:"fnet",type:"calico",nodename:"h1",policy_setup_timeout_seconds:0,
		ipam:{type:"calico-ipam"}}' >"$LAB_TMP/cni.json"
}
op_cni() {
	local c=c$((RANDOM % 4 + 1)) cmd=ADD
	has_ep cni "cid-$c" && cmd=DEL
	VICTIM_IN="$LAB_TMP/cni.json" victim env CNI_COMMAND=$cmd CNI_CONTAINERID="cid-$c" CNI_NETNS="$(lab_nspath $c)" \
		CNI_IFNAME=eth0 CNI_PATH="$CNIBIN" "$B/calico"
	if [ "$VICTIM_RC" -eq 137 ] && [ $cmd = ADD ]; then
		# the runtime sees the ADD fail and calls DEL, as the spec asks
		quiet env CNI_COMMAND=DEL CNI_CONTAINERID="cid-$c" CNI_NETNS="$(lab_nspath $c)" CNI_IFNAME=eth0 \
			CNI_PATH="$CNIBIN" "$B/calico" <"$LAB_TMP/cni.json"
	fi
}

# Mesos: allocate -> isolate, or cleanup -> release; the killed call is one of the two.
op_mesos() {
	local t=m$((RANDOM % 3 + 1)) which=$((RANDOM % 2)) uid ips
	if has_ep mesos "ctr-$t"; then
		echo "{\"command\":\"cleanup\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"ctr-$t\"}}" >"$LAB_TMP/req1"
		echo "{\"command\":\"release\",\"args\":{\"uid\":\"$(cat "$LAB_TMP/uid-$t" 2>/dev/null)\"}}" >"$LAB_TMP/req2"
	else
		uid="$t-$RANDOM$RANDOM"
		echo "$uid" >"$LAB_TMP/uid-$t"
		echo "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"$uid\",\"num_ipv4\":1,\"num_ipv6\":0}}" >"$LAB_TMP/req1"
		echo "" >"$LAB_TMP/req2"
	fi
	if [ "$which" = 0 ]; then VICTIM_IN="$LAB_TMP/req1" victim "$B/calico_mesos"; else quiet "$B/calico_mesos" <"$LAB_TMP/req1"; fi
	cp "$LAB_TMP/out" "$LAB_TMP/mesos1" 2>/dev/null
	[ "$which" = 0 ] || cp "$LAB_TMP/qout" "$LAB_TMP/mesos1"
	if [ ! -s "$LAB_TMP/req2" ]; then # isolate with what allocate gave
		ips=$(jq -c '.ipv4 // empty' "$LAB_TMP/mesos1" 2>/dev/null)
		[ -n "$ips" ] || return 0
		echo "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"ctr-$t\",\"pid\":${TPID[$t]},\"ipv4_addrs\":$ips,\"ipv6_addrs\":[],\"netgroups\":[\"fng\"],\"labels\":[]}}" >"$LAB_TMP/req2"
	fi
	if [ "$which" = 1 ]; then VICTIM_IN="$LAB_TMP/req2" victim "$B/calico_mesos"; else quiet "$B/calico_mesos" <"$LAB_TMP/req2"; fi
}

# calico-node killed while an endpoint comes or goes, then restarted.
AGENT_KILLS=0
op_agent() {
	local w=w$((RANDOM % 4 + 1)) args pid
	args=(add "$(lab_nspath $w)" ipv4)
	has_ep calicoctl "$(lab_ns $w)" && args=(remove "$(lab_nspath $w)")
	ctl container "${args[@]}" >/dev/null 2>>"$SANLOG" &
	pid=$!
	sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	agent_kill
	AGENT_KILLS=$((AGENT_KILLS + 1))
	wait "$pid"
	agent_start
}

# ---- after each iteration ----
# Interfaces in h1 named by no endpoint record: a kill between the veth and the
# record. Counted, then deleted (the peer in the workload goes with it).
ORPHANS=0
sweep_orphans() {
	local names link
	names=$(ds list /calico/v1/host/h1/workload/ | grep -o '"name":"cali[0-9a-f]*"' | cut -d'"' -f4)
	# (ip may say "Peer netns reference is invalid" for a veth whose peer went with a kill)
	for link in $(ip -n "$(lab_ns h1)" -o link 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^cali'); do
		grep -qx "$link" <<<"$names" && continue
		ORPHANS=$((ORPHANS + 1))
		ip -n "$(lab_ns h1)" link del "$link" 2>/dev/null
	done
}

# held: every endpoint address (sorted, one a line)
held() { ds list /calico/v1/host/ | grep -o '"ipv[46]_nets":\[[^]]*\]' | grep -o '"[^"]*/[0-9]*"' | tr -d '"' | sort; }

run_loop() { # BACKEND
	local be=$1 i op before after lost=0 dup=0 dirty=0 unclean_after=0 survived=0 gc_rel=0 heldb out
	KILLS=0 KILL_DELAY=0 KILL_POINT=0 ORPHANS=0 AGENT_KILLS=0
	for ((i = 1; i <= ITER; i++)); do
		VICTIM_DESC=""
		case ${FAULT_OPS:-$((RANDOM % 7))} in
			0 | 1) op=container; op_container ;;
			2) op=release; op_release ;;
			3) op=profile; op_profile ;;
			4) op=cni; op_cni ;;
			5) op=mesos; op_mesos ;;
			6) op=agent; op_agent ;;
		esac
		before=$(ctl ipam check 2>&1) || { dirty=$((dirty + 1)); echo "# $be iteration $i ($op: $VICTIM_DESC): before gc: $(grep -v '^Checked' <<<"$before" | head -n 3)"; }
		sweep_orphans
		heldb=$(held)
		out=$(ctl ipam gc --grace=0 2>&1) || echo "# $be iteration $i: ipam gc failed: $out"
		gc_rel=$((gc_rel + $(grep -c '^Released [0-9a-f.:]* (handle' <<<"$out")))
		after=$(ctl ipam check 2>&1)
		local rc=$?
		local l d
		l=$(grep -c 'which is not allocated' <<<"$after")
		d=$(grep -c 'held by two endpoints' <<<"$after")
		# every address held before gc is held and allocated after (gc took none)
		[ "$heldb" = "$(held)" ] || { l=$((l + 1)); echo "# $be iteration $i: endpoint addresses changed across gc"; }
		lost=$((lost + l)); dup=$((dup + d))
		if [ $rc -ne 0 ]; then
			unclean_after=$((unclean_after + 1))
			echo "# $be iteration $i ($op): after gc: $(grep -v '^Checked' <<<"$after" | head -n 3)"
		fi
		[ $rc -eq 0 ] && [ "$l" -eq 0 ] && [ "$d" -eq 0 ] && survived=$((survived + 1))
		ctl profile show >/dev/null 2>&1 || echo "# $be iteration $i: profile show fails"
	done
	echo "# $be: $ITER iterations, $KILLS writers killed ($KILL_DELAY by delay, $KILL_POINT at a fault point), $AGENT_KILLS agent kills; check unclean before gc $dirty, after gc $unclean_after; gc released $gc_rel leaked addresses; $ORPHANS orphan interfaces; lost $lost, duplicated $dup; $survived/$ITER iterations with zero lost or duplicated and a clean check"
	check "$be: writers were killed ($KILLS of $ITER iterations)" [ "$KILLS" -gt 0 ]
	expect_eq "$be: every iteration ends with a clean ipam check after gc" "$unclean_after" 0
	expect_eq "$be: no live address lost ($ITER iterations)" "$lost" 0
	expect_eq "$be: no address held twice ($ITER iterations)" "$dup" 0
	expect_eq "$be: iterations survived with zero lost or duplicated addresses" "$survived" "$ITER"
	check "$be: calico-node still answers /readiness after $AGENT_KILLS kills" agent_ready
	# Records whose interface is gone: a remove killed between detaching and
	# deleting the record (the interface goes first, so that no interface is
	# ever without policy); running the remove again finishes it.
	local names missing=0 n
	names=$(ds list /calico/v1/host/h1/workload/ | grep -o '"name":"cali[0-9a-f]*"' | cut -d'"' -f4)
	for n in $names; do ip -n "$(lab_ns h1)" link show "$n" >/dev/null 2>&1 || missing=$((missing + 1)); done
	echo "# $be: $missing endpoint records without their interface (a remove killed half way)"
	teardown "$be"
}

# Every workload removed the way its orchestrator does it, then gc: nothing
# may be left allocated, no record, no interface.
teardown() {
	local be=$1 w c t out fails=0
	for w in w1 w2 w3 w4; do
		has_ep calicoctl "$(lab_ns $w)" && { quiet "$CTL" container remove "$(lab_nspath $w)" || fails=$((fails + 1)); }
	done
	for c in c1 c2 c3 c4; do
		quiet env CNI_COMMAND=DEL CNI_CONTAINERID="cid-$c" CNI_NETNS="$(lab_nspath $c)" CNI_IFNAME=eth0 \
			CNI_PATH="$CNIBIN" "$B/calico" <"$LAB_TMP/cni.json" || fails=$((fails + 1))
	done
	for t in m1 m2 m3; do
		echo "{\"command\":\"cleanup\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"ctr-$t\"}}" >"$LAB_TMP/req"
		has_ep mesos "ctr-$t" && quiet "$B/calico_mesos" <"$LAB_TMP/req"
		echo "{\"command\":\"release\",\"args\":{\"uid\":\"$(cat "$LAB_TMP/uid-$t" 2>/dev/null || echo none)\"}}" >"$LAB_TMP/req"
		quiet "$B/calico_mesos" <"$LAB_TMP/req"
	done
	expect_eq "$be: every workload's own remove works after the kills" "$fails" 0
	ctl ipam gc --grace=0 >/dev/null 2>>"$SANLOG"
	out=$(ctl ipam check 2>&1)
	expect_contains "$be: after removing everything and gc: nothing allocated, check clean" "$out" \
		" 0 endpoints: 0 allocated addresses, 0 held by no endpoint; 0 problems."
	expect_eq "$be: ... and no cali interface left in h1" \
		"$(ip -n "$(lab_ns h1)" -o link | grep -c ': cali')" 0
}

# Tears a backend's state down: every endpoint's interface, the agent.
reset_lab() {
	agent_kill
	local link
	for link in $(ip -n "$(lab_ns h1)" -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^cali'); do
		ip -n "$(lab_ns h1)" link del "$link" 2>/dev/null
	done
}

setup_backend() {
	quiet "$CTL" pool add 10.70.0.0/22 || echo "# pool add failed: $(tail -n 1 "$SANLOG")"
	cni_conf
	agent_start
	agent_ready || echo "# calico-node not ready: $(tail -n 3 "$LAB_TMP/calico-node.log")"
}

# ---- SQLite ----
export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
setup_backend
run_loop sqlite
reset_lab

# ---- etcd: a private member inside h1, on its lo ----
if etcd_cluster_start_ns E "$(lab_ns h1):127.0.0.1"; then
	unset CALICO_DATASTORE
	export ETCD_ENDPOINTS="$E_ENDPOINTS"
	setup_backend
	run_loop etcd
	reset_lab
	etcd_stop
	unset ETCD_ENDPOINTS
else
	fail "etcd: a private member starts in h1"
fi

# ---- SQLite disk full ----
# Inside `unshare -m` (private mounts, the machine's untouched): a 1 MiB tmpfs,
# a datastore with a profile and an allocation, then a filler file takes every
# byte left. Writes must fail with one line and exit 1 (calicoctl) or a JSON
# error (calico_mesos), the file must stay intact.
DF="$LAB_TMP/full"
mkdir -p "$DF"
cat >"$LAB_TMP/full.sh" <<'EOF'
set -u
D=$1 B=$2
mount -t tmpfs -o size=1m tmpfs "$D" || { echo "MOUNT_FAILED"; exit 0; }
export CALICO_DATASTORE="sqlite:$D/calico.db" HOSTNAME=h1
unset ETCD_ENDPOINTS ETCD_AUTHORITY
"$B/calicoctl" pool add 10.71.0.0/24 >/dev/null && "$B/calicoctl" profile add before >/dev/null || echo "SETUP_FAILED"
echo '{"command":"allocate","args":{"hostname":"h1","uid":"before","num_ipv4":1,"num_ipv6":0}}' |
	"$B/calico_mesos" 2>/dev/null | jq -r '.ipv4[0]' >"$D.ip"
dd if=/dev/zero of="$D/fill" bs=4k >/dev/null 2>&1
# a few writes: the WAL may still have room for the first ones
rc=0
for i in $(seq 1 50); do
	"$B/calicoctl" profile add "big$i" >"$D.out" 2>"$D.err"
	rc=$?
	[ $rc -ne 0 ] && break
done
echo "CTL_RC=$rc"
echo "CTL_LINES=$(wc -l <"$D.err")"
echo "CTL_ERR=$(head -n 1 "$D.err")"
echo "CTL_OK_BEFORE_FULL=$((i - 1))"
echo '{"command":"allocate","args":{"hostname":"h1","uid":"after","num_ipv4":1,"num_ipv6":0}}' |
	"$B/calico_mesos" 2>/dev/null >"$D.mesos"
echo "MESOS=$(cat "$D.mesos")"
# reads while full: SQLite must make its -wal/-shm files to open the file
"$B/calicoctl" profile show >"$D.out" 2>"$D.err"
echo "READ_RC=$?"
echo "READ_ERR=$(head -n 1 "$D.err")"
rm -f "$D/fill"
echo "INTEGRITY=$(sqlite3 "$D/calico.db" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ')"
echo "PROFILES=$("$B/calicoctl" profile show 2>&1 | grep -c '| before ')"
echo "ALLOC=$("$B/calicoctl" ipam info "$(cat "$D.ip")" 2>&1 | grep -c '"handle_id":"before"')"
"$B/calicoctl" ipam check >/dev/null 2>&1
echo "CHECK=$?"
"$B/calicoctl" profile add afterwards >/dev/null 2>&1
echo "WRITE_AGAIN=$?"
umount "$D"
EOF
FULL=$(unshare -m --propagation private bash "$LAB_TMP/full.sh" "$DF" "$B" 2>>"$SANLOG")
fv() { sed -n "s/^$1=//p" <<<"$FULL"; }
if contains "$FULL" MOUNT_FAILED; then
	fail "disk full: tmpfs mount in a private mount namespace"
else
	set_up() { [ -n "$FULL" ] && ! contains "$FULL" SETUP_FAILED; }
	check "disk full: set-up on the tiny tmpfs" set_up
	expect_eq "disk full: calicoctl profile add exits 1" "$(fv CTL_RC)" 1
	expect_eq "disk full: ... with one line on stderr" "$(fv CTL_LINES)" 1
	echo "# disk full: calicoctl said: $(fv CTL_ERR) (after $(fv CTL_OK_BEFORE_FULL) writes that still fit)"
	check "disk full: ... which names the disk ($(fv CTL_ERR))" grep -qiE 'full|space' <<<"$(fv CTL_ERR)"
	echo "# disk full: calico_mesos allocate said: $(fv MESOS)"
	json_error() { jq -e '(.error | type) == "string" and (.error | length) > 0' <<<"$(fv MESOS)" >/dev/null; }
	check "disk full: calico_mesos allocate answers a JSON error" json_error
	echo "# disk full: a read while full: exit $(fv READ_RC): $(fv READ_ERR)"
	expect_eq "disk full (space freed): PRAGMA integrity_check" "$(fv INTEGRITY)" "ok "
	expect_eq "disk full (space freed): the profile written before is intact" "$(fv PROFILES)" 1
	expect_eq "disk full (space freed): the address allocated before is still allocated" "$(fv ALLOC)" 1
	expect_eq "disk full (space freed): ipam check is clean" "$(fv CHECK)" 0
	expect_eq "disk full (space freed): writes work again" "$(fv WRITE_AGAIN)" 0
fi
check "disk full: the tmpfs is gone with its mount namespace" [ -z "$(grep " $DF " /proc/mounts)" ]

# ---- sanitizers, root namespace ----
check "no sanitizer report from a process that was not killed" \
	[ -z "$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$SANLOG" "$LAB_TMP/calico-node.log")" ]
grep -E -A5 'ERROR: (Address|Leak)Sanitizer|runtime error' "$SANLOG" | head -n 20 | sed 's/^/#   /'
expect_eq "the root namespace's links are unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" "$ROOT_LINKS"
tap_done
