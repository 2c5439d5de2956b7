#!/usr/bin/env bash
# The cost of flow logs (DESIGN §12), side by side in one run, two hosts on
# one fabric, each with its own calico-node and SQLite datastore, both agents
# pinned to one core (taskset -c $FLOWS_AGENT_CPU, default the last CPU):
#   h1  flows on (the defaults: FlowLogsEnabled true, 15 s intervals),
#       workloads f1 10.65.1.2 -> f2 10.65.1.3
#   h2  FlowLogsEnabled false (no log statement in its ruleset, no collector),
#       workloads n1 10.65.2.2 -> n2 10.65.2.3
# Both pairs have the profile "allow" of `calicoctl profile add`, so each new
# connection meets two logged verdict points on h1 (f1's egress, f2's ingress).
# Three parts, one JSON line each ("part"):
#   throughput  iperf3 TCP f1->f2 and n1->n2 interleaved, ROUNDS x SECONDS,
#               medians and the ratio on/off (goal >= 0.97)
#   rss         both agents' VmRSS idle and with 10,000 TCP connections held
#               open between their workloads (connload hold), after an
#               interval closed with them all live
#   rate        on h1: new connections a second (connload rate: connect, 64
#               bytes, the server's close), FLOWS_STEP_S seconds per rate in
#               FLOWS_RATES; each rate on ports of its own, then two intervals'
#               wait, and the records counted: the highest rate whose every
#               connection has its records (connections_started on both
#               reporters >= connections made) with the collector's drop
#               counters unchanged, and the figures of the next rate;
#               extra_records: connections_started beyond those made, summed
#               over the rates (a known small overcount, see bench/README.md)
# For the rate part h1's conntrack keeps TIME_WAIT entries 10 s, not 120 s:
# at thousands of connections a second the default fills conntrack's table
# (the kernel then drops new connections, flows on or off) long before the
# collector is the limit; 10 s also makes DESTROY events arrive as fast as
# connections start, the collector's steady state. f1's ephemeral ports are
# 1024-65535, and each rate spreads over 4 server ports.
#   bench/bench_flows.sh BUILDDIR
# Environment: FLOWS_ROUNDS (5), FLOWS_SECONDS (3), FLOWS_RATES
# ("500 1000 2000 3000 4000 6000 8000"), FLOWS_STEP_S (15), FLOWS_HOLD
# (10000), FLOWS_AGENT_CPU, FLOWS_LOAD_CPU (the other core; the load
# generator runs there), FLOWS_PARTS ("throughput rss rate": the parts to run),
# FLOWS_KEEP (a directory: h1's flow log files are copied there at the end).
# Everything lives in run-unique namespaces (tests/lib/netns.sh) deleted on
# exit; only processes started here are stopped, by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:?usage: bench_flows.sh BUILDDIR}" && pwd)
ROUNDS=${FLOWS_ROUNDS:-5}
SECS=${FLOWS_SECONDS:-3}
RATES=${FLOWS_RATES:-"500 1000 2000 3000 4000 6000 8000"}
STEP_S=${FLOWS_STEP_S:-15}
HOLD=${FLOWS_HOLD:-10000}
NCPU=$(nproc)
AGENT_CPU=${FLOWS_AGENT_CPU:-$((NCPU - 1))}
LOAD_CPU=${FLOWS_LOAD_CPU:-0}
[ "$(id -u)" -eq 0 ] || { echo "bench_flows: needs root" >&2; exit 1; }
for t in iperf3 nft jq taskset curl; do
	command -v $t >/dev/null || { echo "bench_flows: $t is not installed" >&2; exit 1; }
done
for b in calico-node calicoctl dstool connload; do
	[ -x "$build/$b" ] || { echo "bench_flows: $build/$b is not built" >&2; exit 1; }
done
export CALICO_BUILD=$build
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY
. "$root/tests/lib/netns.sh"
. "$here/lib.sh"
say() { echo "# flows: $*" >&2; }
die() { say "$*"; exit 1; }
ROOT_LINKS=$(bench_root_links)
t_start=$(date +%s)
CONNLOAD=$build/connload
PARTS=" ${FLOWS_PARTS:-throughput rss rate} "
part() { [[ "$PARTS" == *" $1 "* ]]; }

lab_host_add h1 172.30.0.11 && lab_host_add h2 172.30.0.12 || die "hosts"
DB_ON="sqlite:$LAB_TMP/on.db" DB_OFF="sqlite:$LAB_TMP/off.db"
ctl() {
	local h=$1 d=$2; shift 2
	lab_exec "$h" env HOSTNAME="$h" CALICO_DATASTORE="$d" "$build/calicoctl" "$@"
}
for hd in h1:"$DB_ON" h2:"$DB_OFF"; do
	h=${hd%%:*} d=${hd#*:}
	ctl "$h" "$d" pool add 10.65.0.0/16 >/dev/null && ctl "$h" "$d" profile add allow >/dev/null ||
		die "pool and profile on $h"
done
ctl h2 "$DB_OFF" config felix FlowLogsEnabled false >/dev/null || die "FlowLogsEnabled false on h2"
for w in f1:h1:10.65.1.2 f2:h1:10.65.1.3 n1:h2:10.65.2.2 n2:h2:10.65.2.3; do
	IFS=: read -r wl h ip <<<"$w"
	d=$DB_ON; [ "$h" = h2 ] && d=$DB_OFF
	lab_workload_ns "$wl" && ctl "$h" "$d" container add "$(lab_nspath "$wl")" "$ip" >/dev/null &&
		ctl "$h" "$d" container "$(lab_nspath "$wl")" profile append allow >/dev/null || die "workload $wl"
done
declare -A AGENT
for h in h1 h2; do
	d=$DB_ON; [ "$h" = h2 ] && d=$DB_OFF
	mkdir -p "$LAB_TMP/$h"
	lab_spawn "$h" taskset -c "$AGENT_CPU" env CALICO_DATASTORE="$d" CALICO_RUN_DIR="$LAB_TMP/$h" \
		CALICO_LOG_DIR="$LAB_TMP/$h" CALICO_STATE_DIR="$LAB_TMP/$h" HOSTNAME="$h" \
		"$build/calico-node" --log-level warning >>"$LAB_TMP/$h/agent.log" 2>&1
	AGENT[$h]=$LAB_LAST_PID
done

metrics() { lab_exec "$1" curl -s --max-time 2 http://127.0.0.1:9099/metrics 2>/dev/null; }
metric() { metrics "$1" | awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }'; }
ups() { CALICO_DATASTORE=$2 "$build/dstool" list "/calico/felix/v1/host/$1/" 2>/dev/null | grep -c '"up"'; }
logs_in() { lab_exec "$1" nft list table inet calico 2>/dev/null | grep -c 'log .*group 2'; }
programmed() {
	[ "$(ups h1 "$DB_ON")" -ge 2 ] && [ "$(ups h2 "$DB_OFF")" -ge 2 ] && [ "$(logs_in h1)" -ge 1 ] &&
		lab_exec h2 nft list chain inet calico prof-in-allow >/dev/null 2>&1
}
for ((i = 0; i < 600; i++)); do programmed && break; sleep 0.1; done
programmed || { tail -n 20 "$LAB_TMP"/h*/agent.log >&2; die "agents did not program within 60 s"; }
[ "$(logs_in h2)" -eq 0 ] || die "h2's ruleset logs verdicts although FlowLogsEnabled is false"
[ -S "$LAB_TMP/h1/flows.sock" ] && [ ! -e "$LAB_TMP/h2/flows.sock" ] ||
	die "flows socket: on h1 $(ls "$LAB_TMP/h1"), off h2 $(ls "$LAB_TMP/h2")"
say "programmed; h1 logs at $(logs_in h1) verdict points, h2 at none; agents on CPU $AGENT_CPU"
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
flushes() { metric h1 calico_flow_flushes_total; }
# until h1's collector closed N more intervals (each at most 15 s + slack)
wait_flushes() {
	local f0 i
	f0=$(flushes)
	for ((i = 0; i < 400; i++)); do [ "$(flushes)" -ge $((f0 + $1)) ] && return 0; sleep 0.1; done
	return 1
}
wait_flushes_long() { local k; for ((k = 0; k < $1; k++)); do wait_flushes 1 || wait_flushes 1 || return 1; done; }

# ---- throughput: iperf3, flows on and off interleaved ----
throughput() {
bench_iperf_servers f2:10.65.1.3 n2:10.65.2.3 || die "iperf3 server in $BENCH_FAILED"
bench_iperf_reach f1:10.65.1.3 n1:10.65.2.3 || die "no TCP path $BENCH_FAILED"
ON=() OFF=()
for ((r = 1; r <= ROUNDS; r++)); do
	ON+=("$(bench_iperf_gbps f1 10.65.1.3 "$SECS")") OFF+=("$(bench_iperf_gbps n1 10.65.2.3 "$SECS")")
	say "round $r: on ${ON[-1]} off ${OFF[-1]} Gbit/s"
done
read -r onm onmin onmax <<<"$(bench_stats "${ON[@]}")"
read -r offm offmin offmax <<<"$(bench_stats "${OFF[@]}")"
printf '{"part":"throughput","on_gbps":%s,"on_min":%s,"on_max":%s,"off_gbps":%s,"off_min":%s,"off_max":%s,"ratio":%s,"rounds":%d,"seconds":%d,"load":"%s","on_runs":"%s","off_runs":"%s"}\n' \
	"$onm" "$onmin" "$onmax" "$offm" "$offmin" "$offmax" "$(bench_ratio "$onm" "$offm")" "$ROUNDS" "$SECS" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "${ON[*]}" "${OFF[*]}"
}

# ---- rss: 10,000 live connections on each host ----
HOLD_PORT=7100
rss() {
lab_spawn f2 "$CONNLOAD" sink $HOLD_PORT "$LAB_TMP/sink-f2" && lab_wait_file "$LAB_TMP/sink-f2" &&
	lab_spawn n2 "$CONNLOAD" sink $HOLD_PORT "$LAB_TMP/sink-n2" && lab_wait_file "$LAB_TMP/sink-n2" ||
	die "sink servers"
wait_flushes 1
on_idle=$(rss_kb "${AGENT[h1]}") off_idle=$(rss_kb "${AGENT[h2]}")
lab_spawn f1 "$CONNLOAD" hold 10.65.1.3 $HOLD_PORT "$HOLD" "$LAB_TMP/held-f1"
HOLD_F1=$LAB_LAST_PID
lab_spawn n1 "$CONNLOAD" hold 10.65.2.3 $HOLD_PORT "$HOLD" "$LAB_TMP/held-n1"
HOLD_N1=$LAB_LAST_PID
for ((i = 0; i < 1200; i++)); do [ -e "$LAB_TMP/held-f1" ] && [ -e "$LAB_TMP/held-n1" ] && break; sleep 0.1; done
[ -e "$LAB_TMP/held-f1" ] && [ -e "$LAB_TMP/held-n1" ] || die "$HOLD connections not all open in 120 s"
# an interval that began with all of them open, closed
wait_flushes_long 2 || die "h1's collector closed no interval"
live=$(metric h1 calico_flow_connections)
ct_h1=$(lab_exec h1 cat /proc/sys/net/netfilter/nf_conntrack_count)
on_held=$(rss_kb "${AGENT[h1]}") off_held=$(rss_kb "${AGENT[h2]}")
say "RSS idle on $(mb "$on_idle") off $(mb "$off_idle") MB; $HOLD held: on $(mb "$on_held") off $(mb "$off_held") MB (collector tracks $live, conntrack $ct_h1)"
bench_stop_pid "$HOLD_F1"
bench_stop_pid "$HOLD_N1"
printf '{"part":"rss","connections":%d,"tracked":%s,"on_idle_mb":%s,"off_idle_mb":%s,"on_mb":%s,"off_mb":%s,"delta_mb":%s,"load":"%s"}\n' \
	"$HOLD" "$live" "$(mb "$on_idle")" "$(mb "$off_idle")" "$(mb "$on_held")" "$(mb "$off_held")" \
	"$(mb $((on_held - off_held)))" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---- rate: attributed new connections a second, h1's agent on one core ----
rate() {
lab_sysctl h1 net.netfilter.nf_conntrack_tcp_timeout_time_wait 10
lab_sysctl f1 net.ipv4.ip_local_port_range "1024 65535"
DROPS="calico_flow_nflog_overruns_total calico_flow_conntrack_overruns_total calico_flow_dropped_connections_total calico_flow_dropped_records_total"
drop_sum() { local m s=0 k; m=$(metrics h1); for k in $DROPS; do s=$((s + $(awk -v n="$k" '$1 == n { v = $2 } END { print v + 0 }' <<<"$m"))); done; echo $s; }
drop_detail() { local m; m=$(metrics h1); for k in $DROPS; do printf '%s=%s ' "${k#calico_flow_}" "$(awk -v n="$k" '$1 == n { v = $2 } END { print v + 0 }' <<<"$m")"; done; }
FLOWFILE_DIR=$LAB_TMP/h1/flows
# SYNs f1 sent again (a reused port's SYN that the server's TIME_WAIT refused first)
syn_retrans() { lab_exec f1 awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (k[i] == "TCPSynRetrans") print $i }' /proc/net/netstat; }
# started REPORTER PORTS_REGEX: connections_started summed over h1's records
started() { cat "$FLOWFILE_DIR"/flows.log* 2>/dev/null | jq -s --arg r "$1" --arg p "$2" \
	'[.[] | select(.reporter == $r and (.dest_port | tostring | test($p)))] | map(.connections_started) | add // 0'; }
extra_all=0 limit=none best=0 best_target=0 next_target=0 next_rate=0 next_drops=0 next_missing=0 next_detail="" steps=() step=0
for R in $RATES; do
	base=$((7200 + step * 4)) step=$((step + 1))
	ports="$base,$((base + 1)),$((base + 2)),$((base + 3))"
	lab_spawn f2 "$CONNLOAD" sink "$ports" "$LAB_TMP/sink-$base" && lab_wait_file "$LAB_TMP/sink-$base" || die "sink $ports"
	sink_pid=$LAB_LAST_PID
	wait_flushes 1
	d0=$(drop_sum) c0=$(cpu_ticks "${AGENT[h1]}") n0=$(metric h1 calico_flow_nflog_messages_total) y0=$(syn_retrans)
	out=$(lab_exec f1 taskset -c "$LOAD_CPU" "$CONNLOAD" rate 10.65.1.3 "$ports" "$R" "$STEP_S")
	c1=$(cpu_ticks "${AGENT[h1]}") y1=$(syn_retrans)
	read -r _ made _ done_ _ failed _ secs <<<"$out"
	wait_flushes_long 2 || die "h1's collector closed no interval"
	bench_stop_pid "$sink_pid"
	d1=$(drop_sum) n1=$(metric h1 calico_flow_nflog_messages_total)
	re="^($base|$((base + 1))|$((base + 2))|$((base + 3)))\$"
	s_dst=$(started dst "$re") s_src=$(started src "$re")
	achieved=$(awk -v n="$done_" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	cpu=$(awk -v t=$((c1 - c0)) -v s="$secs" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", 100 * t / hz / s }')
	# connections without a record on a side, and records of connections never made
	missing=$(( (done_ > s_dst ? done_ - s_dst : 0) + (done_ > s_src ? done_ - s_src : 0) ))
	extra=$(( (s_dst > done_ ? s_dst - done_ : 0) + (s_src > done_ ? s_src - done_ : 0) ))
	extra_all=$((extra_all + extra))
	drops=$((d1 - d0))
	line="rate $R/s: made $made completed $done_ failed $failed in ${secs}s ($achieved/s); records: dst $s_dst src $s_src; SYNs sent again $((y1 - y0)); nflog +$((n1 - n0)); drops +$drops; agent CPU ${cpu}%; load $(cut -d' ' -f1 /proc/loadavg)"
	say "$line"
	steps+=("$R:$achieved:$done_:$s_dst:$s_src:$drops:$failed:$cpu")
	if [ "$drops" -eq 0 ] && [ "$missing" -eq 0 ] && [ "$failed" -eq 0 ]; then
		best=$achieved best_target=$R
	else
		next_target=$R next_rate=$achieved next_drops=$drops next_missing=$missing next_detail=$(drop_detail)
		limit=collector
		if [ "$failed" -gt 0 ] && [ "$drops" -eq 0 ] && [ "$missing" -le 0 ]; then
			limit=generator
			say "the load generator could not make $R/s here: not the collector's limit"
		fi
		break
	fi
done
printf '{"part":"rate","attributed_per_s":%s,"attributed_target":%s,"next_target":%s,"next_per_s":%s,"next_drops":%s,"next_missing":%s,"next_counters":"%s","extra_records":%s,"limit":"%s","step_s":%s,"agent_cpu":%s,"load":"%s","elapsed_s":%d,"steps":"%s"}\n' \
	"$best" "$best_target" "$next_target" "$next_rate" "$next_drops" "$next_missing" "${next_detail% }" \
	"$extra_all" "$limit" "$STEP_S" "$AGENT_CPU" "$(cut -d' ' -f1-3 /proc/loadavg)" \
	$(($(date +%s) - t_start)) "${steps[*]}"
}

for p in throughput rss rate; do
	part $p && $p
done
[ -n "${FLOWS_KEEP:-}" ] && mkdir -p "$FLOWS_KEEP" && cp -r "$LAB_TMP/h1/flows" "$LAB_TMP/h1/agent.log" "$FLOWS_KEEP/"
[ "$(bench_root_links)" = "$ROOT_LINKS" ] || say "WARNING: the root namespace's links changed"
