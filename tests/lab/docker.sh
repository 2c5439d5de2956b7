#!/usr/bin/env bash
# calico-libnetwork with a real dockerd (LAB-NOTES §6): Docker's network and
# IPAM driver, policy between two Docker networks, cleanup after docker rm /
# network rm, a dockerd crash and a plugin restart.
#
#   fabric -- h1 (172.30.0.11): calico-node + calico-libnetwork (started by
#             `calicoctl node --libnetwork`) + dockerd, all in h1's namespace
#   containers: db1, db2 on network "databases"; app1 (later app2) on "apps"
#
# dockerd looks for plugins only in /run/docker/plugins. To leave the machine
# alone it runs in a private mount namespace whose /run is a fresh tmpfs with
# $LAB_TMP/plugins bound on /run/docker/plugins; the plugin listens on
# $LAB_TMP/plugins/calico.sock, so Docker sees the driver "calico" and nothing
# outside $LAB_TMP is touched. Its data root, exec root and pid file are under
# $LAB_TMP too; vfs storage; no iptables, no bridge.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
for need in /usr/sbin/dockerd /usr/bin/docker busybox unshare nsenter nft jq; do
	command -v "$need" >/dev/null || { echo "1..0 # SKIP needs $need"; exit 0; }
done
for b in calicoctl calico-node calico-libnetwork dstool; do
	[ -x "${CALICO_BUILD:?}/$b" ] || { echo "1..0 # SKIP $b is not built"; exit 0; }
done
. "$here/../lib/netns.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

unset ETCD_ENDPOINTS ETCD_AUTHORITY
export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db" HOSTNAME=h1 NO_DEFAULT_POOLS=1
export CALICO_RUN_DIR="$LAB_TMP/run" CALICO_LOG_DIR="$LAB_TMP/log" CALICO_STATE_DIR="$LAB_TMP/state"
DK="$LAB_TMP/dk"
export CALICO_LIBNETWORK_SOCKET="$LAB_TMP/plugins/calico.sock" DOCKER_HOST="unix://$DK/docker.sock"
CTL="$CALICO_BUILD/calicoctl"
DSTOOL="$CALICO_BUILD/dstool"
D=(/usr/bin/docker -H "unix://$DK/docker.sock")
PLOG="$CALICO_LOG_DIR/calico-libnetwork.log"
EP_PREFIX=/calico/v1/host/h1/workload/libnetwork/libnetwork/endpoint/
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
RUN_BEFORE=$(ls /run | tr '\n' ' ')

ctl() { lab_exec h1 "$CTL" "$@"; }
dk() { "${D[@]}" "$@"; }
run() { OUT=$("$@" 2>"$LAB_TMP/err"); RC=$?; ERR=$(cat "$LAB_TMP/err"); }
contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
expect_contains() { if contains "$2" "$3"; then ok "$1"; else fail "$1"; printf '#   got:  %s\n#   want: *%s*\n' "$2" "$3"; fi; }
retry() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done; }
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
cali_links() { ip -n "$(lab_ns h1)" -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^cali' | sort | tr '\n' ' '; }
used() { "$CTL" ipam show | awk -F'|' '$3 ~ /block/ {s += $5} END {print s + 0}'; }
n_endpoints() { "$DSTOOL" count "$EP_PREFIX"; }
eid() { dk inspect -f "{{(index .NetworkSettings.Networks \"$2\").EndpointID}}" "$1"; }
cip() { dk inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }
# allowed/denied DESC FROM IP: ICMP and TCP (busybox httpd on 8080 answers "ok")
ping_from() { dk exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
# (busybox-static's wget crashes without a resolver set-up; nc is enough)
tcp_from() { [ "$(dk exec "$1" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 $2 8080" 2>/dev/null | tail -n 1)" = ok ]; }
allowed() { local i; for i in 1 2 3; do ping_from "$2" "$3" && tcp_from "$2" "$3" && { ok "$1"; return; }; done; fail "$1"; }
denied() { if ping_from "$2" "$3" || tcp_from "$2" "$3"; then fail "$1"; else ok "$1"; fi; }

# ---- dockerd ----
DOCKERD_PID=""
dockerd_start() {
	mkdir -p "$DK/root" "$DK/exec" "$LAB_TMP/plugins"
	# A killed dockerd's pid file stays, and its pid may not be reaped yet:
	# dockerd would refuse to start. The file is ours, in our dir.
	rm -f "$DK/dockerd.pid"
	# and its containerd must have let go of the state dir first
	# and its containerd must be gone, its pid file too (the pid of an
	# unreaped zombie looks alive to dockerd, which then waits for nothing)
	retry 15 eval '[ -z "$(our_pids "--config $DK/exec/containerd/")" ]'
	rm -f "$DK/exec/containerd/containerd.pid"
	cat >"$DK/dockerd.sh" <<EOF
#!/bin/sh
# In a private mount namespace: a fresh /run whose docker/plugins is ours.
mount -n -t tmpfs -o mode=755 lab-run /run || exit 1
mkdir -p /run/docker/plugins && mount -n --bind "$LAB_TMP/plugins" /run/docker/plugins || exit 1
exec /usr/sbin/dockerd -H "unix://$DK/docker.sock" --data-root "$DK/root" --exec-root "$DK/exec" \\
  --pidfile "$DK/dockerd.pid" --storage-driver=vfs --iptables=false --ip6tables=false --ip-forward=false \\
  --ip-masq=false --bridge=none
EOF
	chmod +x "$DK/dockerd.sh"
	# unshare and sh exec: $! is dockerd's own pid.
	nsenter --net="$(lab_nspath h1)" unshare -m --propagation private "$DK/dockerd.sh" >>"$DK/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	retry 20 dk version >/dev/null 2>&1
}
# The shims of containers that a killed dockerd left behind (they carry our
# containerd's address, under $LAB_TMP): ended by pid.
our_pids() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "$1" && echo "${p#/proc/}"
	done
}
kill_our_shims() {
	local p
	for p in $(our_pids "-address $DK/exec/"); do kill "$p" 2>/dev/null; done
	return 0
}
dockerd_stop() {
	[ -n "$DOCKERD_PID" ] || return 0
	kill "$DOCKERD_PID" 2>/dev/null
	retry 30 eval '! alive "$DOCKERD_PID"'
	wait "$DOCKERD_PID" 2>/dev/null
	DOCKERD_PID=""
	kill_our_shims
}
docker_cleanup() {
	if [ -n "$DOCKERD_PID" ]; then
		dk rm -f $(dk ps -aq) >/dev/null 2>&1
		dockerd_stop
	fi
	kill_our_shims
	ctl node stop --force >/dev/null 2>&1
	lab_cleanup
}
trap docker_cleanup EXIT

lab_fabric_add && lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
"$CTL" pool add 10.65.0.0/16 >/dev/null || echo "# pool add failed"

# ---- calicoctl node --libnetwork ----
run ctl node --ip=172.30.0.11 --libnetwork
NODE_PID=$(cat "$CALICO_RUN_DIR/calico-node.pid" 2>/dev/null)
PLUGIN_PID=$(cat "$CALICO_RUN_DIR/calico-libnetwork.pid" 2>/dev/null)
[ -n "$NODE_PID" ] && LAB_PIDS+=("$NODE_PID")
[ -n "$PLUGIN_PID" ] && LAB_PIDS+=("$PLUGIN_PID")
[ "$RC" -eq 0 ] || echo "# $ERR"
expect_eq "node --libnetwork: last line says the driver serves" "$(printf '%s\n' "$OUT" | tail -n 1)" \
	"calico-libnetwork started (pid $PLUGIN_PID), serving on $CALICO_LIBNETWORK_SOCKET"
check "calico-libnetwork runs" alive "${PLUGIN_PID:-0}"
expect_eq "... as calico-libnetwork --name h1" "$(tr '\0' ' ' <"/proc/${PLUGIN_PID:-0}/cmdline" 2>/dev/null)" \
	"calico-libnetwork --name h1 "
expect_eq "... inside h1's namespace" "$(ip netns identify "${PLUGIN_PID:-0}" 2>/dev/null)" "$(lab_ns h1)"
check "... listening on its socket" [ -S "$CALICO_LIBNETWORK_SOCKET" ]
check "calico-node runs too" alive "${NODE_PID:-0}"
run ctl node --libnetwork
expect_eq "a second node --libnetwork is refused" "$ERR" "calico-node is already running (pid $NODE_PID)."

# ---- dockerd and a busybox image from a tarball ----
T0=$SECONDS
check "dockerd starts in h1 (private /run, data under the test's dir)" dockerd_start
echo "# dockerd up in $((SECONDS - T0)) s"
check "dockerd's /run is private: the machine's /run is unchanged" \
	[ "$(ls /run | tr '\n' ' ')" = "$RUN_BEFORE" ]
R="$LAB_TMP/rootfs"
mkdir -p "$R/bin" "$R/etc" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/www"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh ls ip ping cat echo sleep wget httpd nc; do ln -sf busybox "$R/bin/$a"; done
echo ok >"$R/www/index.html"
tar -C "$R" -cf "$LAB_TMP/busybox.tar" . && dk import "$LAB_TMP/busybox.tar" lab/busybox:latest >/dev/null
check "busybox image imported" eval 'dk image inspect lab/busybox:latest >/dev/null' 

# ---- networks ----
run dk network create --driver calico --ipam-driver calico databases
check "network create databases" [ "$RC" -eq 0 ]
DB_NID=$OUT
expect_eq "... Docker's IPAM config is Calico's marker pool" \
	"$(dk network inspect databases -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}')" "0.0.0.0/0 0.0.0.0"
has_profile() { "$CTL" profile show | grep -q "| $1 "; }
check "... the profile databases appears (named by Docker's network name)" retry 5 has_profile databases
expect_eq "... the driver maps the network id to it" "$("$DSTOOL" get "/calico/libnetwork/v1/network/$DB_NID")" \
	'{"name":"databases"}'
run dk network create --driver calico --ipam-driver calico apps
check "network create apps" [ "$RC" -eq 0 ]
check "... profile apps" retry 5 has_profile apps
run "$CTL" profile databases rule show
expect_contains "calicoctl profile NAME takes the network name: default inbound rule" "$OUT" "allow from tag databases"

rev0=$("$DSTOOL" rev)
run dk network create --driver calico --ipam-driver calico --subnet 10.99.0.0/16 nopool
expect_contains "--subnet that is no Calico pool is refused" "$ERR" \
	"The requested subnet must match the CIDR of a configured Calico IP Pool."
run dk network create --driver calico --ipam-driver calico -o foo=bar withopt
expect_contains "driver options are refused, naming them" "$ERR" "Calico driver does not support the flag foo."
run dk network create --driver calico --internal internal
expect_contains "--internal is refused" "$ERR" "Calico driver does not support the flag --internal."
run dk network create --driver calico otheripam
expect_contains "a network on Docker's own IPAM is refused" "$ERR" "Non-Calico IPAM driver is used"
expect_eq "... none of them wrote to the datastore" "$("$DSTOOL" rev)" "$rev0"

# ---- containers ----
# db1 and db2 carry labels for Calico (and one that is no label value, and one
# of another tool's): their records get role=db, nothing else of them.
for c in db1:databases db2:databases app1:apps; do
	lbl=()
	[ "${c#*:}" = databases ] && lbl=(--label org.projectcalico.label.role=db --label "org.projectcalico.label.note=free text"
		--label com.example.owner=ops)
	run dk run -d --name "${c%%:*}" --net "${c#*:}" "${lbl[@]}" lab/busybox httpd -f -p 8080 -h /www
	check "docker run ${c%%:*} on ${c#*:}" [ "$RC" -eq 0 ]
done
IP_DB1=$(cip db1 databases) IP_DB2=$(cip db2 databases) IP_APP1=$(cip app1 apps)
EID_DB1=$(eid db1 databases)
check "db1 got an address from the Calico pool ($IP_DB1)" contains "$IP_DB1" 10.65.
# Docker names the interface DstPrefix + a number: Calico's drivers said
# "cali", so a container on a Calico network has cali0 (and lo), no eth0.
expect_eq "db1's interfaces are lo and cali0 (Docker adds no eth0)" \
	"$(dk exec db1 ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')" "cali0 lo "
expect_contains "... a /32 on cali0" "$(dk exec db1 ip -4 addr show cali0 2>&1)" "inet $IP_DB1/32 scope global cali0"
ROUTES=$(dk exec db1 ip route)
expect_contains "... default via 169.254.1.1 on cali0" "$ROUTES" "default via 169.254.1.1 dev cali0"
expect_contains "... 169.254.1.1 on link" "$ROUTES" "169.254.1.1 dev cali0"
expect_eq "three endpoint records (orchestrator libnetwork, workload libnetwork)" "$(n_endpoints)" 3
REC=$("$DSTOOL" get "$EP_PREFIX$EID_DB1")
expect_contains "db1's record: its address" "$REC" "\"ipv4_nets\":[\"$IP_DB1/32\"]"
expect_contains "db1's record: profile databases" "$REC" '"profile_ids":["databases"]'
check "db1's host side cali${EID_DB1:0:11} is in h1" [ -n "$(ip -n "$(lab_ns h1)" -o link show "cali${EID_DB1:0:11}")" ]
check "... and not in the root namespace" [ -z "$(ip -o link show "cali${EID_DB1:0:11}" 2>/dev/null)" ]
expect_contains "h1 routes $IP_DB1 to it" "$(ip -n "$(lab_ns h1)" route show "$IP_DB1")" "dev cali${EID_DB1:0:11}"
expect_eq "IPAM holds three addresses" "$(used)" 3
up() { "$DSTOOL" get "/calico/felix/v1/host/h1/workload/libnetwork/libnetwork/endpoint/$1" 2>/dev/null | grep -q '"up"'; }
check "calico-node reports db1's endpoint up" retry 10 up "$EID_DB1"
ep_labels() { "$DSTOOL" get "$EP_PREFIX$1" | jq -c .labels; }
has_role() { [ "$("$DSTOOL" get "$EP_PREFIX$1" | jq -r .labels.role)" = "$2" ]; }
check "db1's record gets its container's label role=db (learnt from Docker after Join)" retry 10 has_role "$EID_DB1" db
expect_eq "... its labels: role, Calico's orchestrator and namespace, nothing else" "$(ep_labels "$EID_DB1")" \
	'{"projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"libnetwork","role":"db"}'
expect_contains "... the driver's log names the label it skipped" "$(grep skipped "$PLOG")" \
	"label org.projectcalico.label.note of container $(dk inspect -f '{{.Id}}' db1 | cut -c1-12) skipped: 'note'='free text'"
expect_eq "app1 (no labels): Calico's two only" "$(ep_labels "$(eid app1 apps)")" \
	'{"projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"libnetwork"}'

# ---- policy: one profile per network ----
allowed "db2 -> db1 (same network)" db2 "$IP_DB1"
allowed "db1 -> db2 (same network)" db1 "$IP_DB2"
denied "app1 -> db1 (other network)" app1 "$IP_DB1"
denied "db1 -> app1 (other network)" db1 "$IP_APP1"
run "$CTL" profile databases rule add inbound allow from tag apps
check "calicoctl profile databases rule add inbound allow from tag apps" [ "$RC" -eq 0 ]
allowed "app1 -> db1 once databases admits apps" app1 "$IP_DB1"
denied "db1 -> app1 still denied (apps unchanged)" db1 "$IP_APP1"

# ---- static address on a network with a Calico pool as subnet ----
run dk network create --driver calico --ipam-driver calico --subnet 10.65.0.0/16 fixed
check "network create with --subnet of a Calico pool" [ "$RC" -eq 0 ]
run dk run -d --name fix1 --net fixed --ip 10.65.77.7 lab/busybox sleep 600
check "docker run --ip 10.65.77.7" [ "$RC" -eq 0 ]
expect_contains "... has it" "$(dk exec fix1 ip -4 addr show cali0 2>&1)" "inet 10.65.77.7/32"
expect_contains "... so does its endpoint record (not the subnet's network address)" \
	"$("$DSTOOL" get "$EP_PREFIX$(eid fix1 fixed)")" '"ipv4_nets":["10.65.77.7/32"]'
expect_contains "... and h1's route" "$(ip -n "$(lab_ns h1)" route show 10.65.77.7)" "dev cali"
links0=$(cali_links) used0=$(used) eps0=$(n_endpoints)
run dk run -d --name fix2 --net fixed --ip 10.65.77.7 lab/busybox sleep 600
check "a second container with the same --ip fails" [ "$RC" -ne 0 ]
expect_contains "... saying why" "$ERR" "IP '10.65.77.7' already in use."
expect_eq "... no interface left" "$(cali_links)" "$links0"
expect_eq "... no address left" "$(used)" "$used0"
expect_eq "... no endpoint record left" "$(n_endpoints)" "$eps0"
dk rm -f fix1 fix2 >/dev/null 2>&1

# ---- docker rm -f leaves nothing ----
EID_DB2=$(eid db2 databases)
run dk rm -f db2
check "docker rm -f db2" [ "$RC" -eq 0 ]
expect_eq "... its endpoint record is gone" "$("$DSTOOL" count "$EP_PREFIX$EID_DB2")" 0
expect_eq "... and the driver's state" "$("$DSTOOL" count "/calico/libnetwork/v1/host/h1/endpoint/$EID_DB2")" 0
check "... and cali${EID_DB2:0:11}" [ -z "$(ip -n "$(lab_ns h1)" -o link show "cali${EID_DB2:0:11}" 2>/dev/null)" ]
expect_eq "... and its address (IPAM holds 2)" "$(used)" 2

# ---- the plugin restarts; Docker keeps using it ----
run dk run -d --name orphan --net fixed --ip 10.65.88.8 lab/busybox sleep 600
check "docker run orphan --ip 10.65.88.8" [ "$RC" -eq 0 ]
EID_ORPHAN=$(eid orphan fixed)
kill "$PLUGIN_PID"
retry 5 eval '! alive "$PLUGIN_PID"'
check "SIGTERM stops calico-libnetwork" eval '! alive "$PLUGIN_PID"'
check "... and removes its socket" [ ! -e "$CALICO_LIBNETWORK_SOCKET" ]
# While it is down, orphan's interface goes away and nobody tells the driver
# (as when a container dies while the plugin is not running).
ip -n "$(lab_ns h1)" link del "cali${EID_ORPHAN:0:11}"
lab_spawn h1 "$CALICO_BUILD/calico-libnetwork" --name h1 >>"$PLOG" 2>&1
PLUGIN_PID=$LAB_LAST_PID
check "calico-libnetwork serves again" retry 5 test -S "$CALICO_LIBNETWORK_SOCKET"
expect_eq "on start it removed orphan's endpoint record (its interface was gone)" \
	"$("$DSTOOL" count "$EP_PREFIX$EID_ORPHAN")" 0
expect_eq "... and released its address" "$(used)" 2
expect_contains "... saying so in its log" "$(grep "$EID_ORPHAN" "$PLOG")" "is gone; removing the endpoint"
run dk run -d --name app2 --net apps lab/busybox httpd -f -p 8080 -h /www
check "docker run app2 after the plugin restart" [ "$RC" -eq 0 ]
IP_APP2=$(cip app2 apps)
run dk run -d --name reuse --net fixed --ip 10.65.88.8 lab/busybox sleep 600
check "a new container can take orphan's address" [ "$RC" -eq 0 ]
EID_REUSE=$(eid reuse fixed)
run dk rm -f orphan
check "docker rm -f orphan (Docker releases the old address)" [ "$RC" -eq 0 ]
expect_contains "... which stays with the new container" "$("$CTL" ipam info 10.65.88.8 2>&1)" "libnetwork.h1"
expect_eq "... IPAM holds app1, db1, app2 and reuse" "$(used)" 4
expect_contains "... the driver said why it kept it" "$(grep 10.65.88.8 "$PLOG")" "endpoint $EID_REUSE holds it now"
run dk rm -f reuse
check "docker rm -f reuse" [ "$RC" -eq 0 ]
expect_eq "... its address goes" "$(used)" 3
allowed "app2 -> app1 (same network)" app2 "$IP_APP1"
allowed "app2 -> db1 (databases admits apps)" app2 "$IP_DB1"

# ---- dockerd is killed and started again: no orphan endpoint ----
OLD_DOCKERD=$DOCKERD_PID
kill -9 "$DOCKERD_PID"
wait "$DOCKERD_PID" 2>/dev/null
retry 10 eval '! alive "$OLD_DOCKERD"'
expect_eq "with dockerd killed, the containers' endpoints are still there" "$(n_endpoints)" 3
if dockerd_start; then ok "dockerd starts again"; else fail "dockerd starts again"; tail -n 5 "$DK/dockerd.log" | sed 's/^/#   /'; fi
kill_our_shims # the killed dockerd's containers are dead; their shims linger
expect_eq "after the restart no endpoint record is left" "$(retry 10 eval '[ "$(n_endpoints)" = 0 ]'; n_endpoints)" 0
expect_eq "... no cali interface" "$(cali_links)" ""
expect_eq "... no driver state" "$("$DSTOOL" count /calico/libnetwork/v1/host/h1/)" 0
expect_eq "... no address" "$(used)" 0
run dk start db1
check "docker start db1 after the restart" [ "$RC" -eq 0 ]
IP_DB1=$(cip db1 databases)
run dk start app1
allowed "app1 -> db1 after the restart" app1 "$IP_DB1"

# ---- docker rm, network rm ----
run dk rm -f db1 app1 app2
check "docker rm -f every container" [ "$RC" -eq 0 ]
run dk network rm databases apps fixed
check "docker network rm databases apps fixed" [ "$RC" -eq 0 ]
expect_eq "no endpoint record left" "$(n_endpoints)" 0
expect_eq "no address left" "$(used)" 0
expect_eq "no cali interface left" "$(cali_links)" ""
expect_eq "no driver record left" "$("$DSTOOL" count /calico/libnetwork/)" 0
check "the profiles stay (they may carry rules; calicoctl profile remove removes them)" has_profile databases

# ---- the end ----
dockerd_stop
check "dockerd stopped" [ -z "$DOCKERD_PID" ]
run ctl node stop
expect_contains "node stop stops calico-node" "$OUT" "Node stopped"
expect_contains "... and calico-libnetwork (restarted by hand, found by its pid file)" "$OUT" "calico-libnetwork stopped"
check "calico-libnetwork has exited" eval '! alive "$PLUGIN_PID"'
check "... its socket is gone" [ ! -e "$CALICO_LIBNETWORK_SOCKET" ]
check "no sanitizer report in the driver's log" eval '! grep -q Sanitizer "$PLOG"'
grep Sanitizer -A 12 "$PLOG" | head -n 30 | sed 's/^/#   /'
expect_eq "the root namespace's links are unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" \
	"$ROOT_LINKS"
expect_eq "the machine's /run is unchanged" "$(ls /run | tr '\n' ' ')" "$RUN_BEFORE"
tap_done
