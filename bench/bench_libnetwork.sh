#!/usr/bin/env bash
# bench/bench_libnetwork.sh BUILDDIR [N]: `docker run -d` and `docker rm -f`
# wall times against a real dockerd, on a network of calico-libnetwork
# (driver + IPAM), on a network of Docker's own bridge driver (default IPAM),
# and with --net none, interleaved round by round so the three see the same
# machine. One JSON line per variant. Needs root; everything lives in a lab
# namespace and a private dockerd as in tests/lab/docker.sh.
set -u
build=$(cd "${1:?usage: bench_libnetwork.sh BUILDDIR [N]}" && pwd)
N=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
export CALICO_BUILD=$build
. "$here/../tests/lib/netns.sh"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db" HOSTNAME=h1
export CALICO_RUN_DIR="$LAB_TMP/run" CALICO_LOG_DIR="$LAB_TMP/log" CALICO_STATE_DIR="$LAB_TMP/state"
DK="$LAB_TMP/dk"
D=(/usr/bin/docker -H "unix://$DK/docker.sock")
dk() { "${D[@]}" "$@"; }
retry() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done; }
now_ns() { date +%s%N; }
DOCKERD_PID=""
finish() {
	if [ -n "$DOCKERD_PID" ]; then
		dk rm -f $(dk ps -aq) >/dev/null 2>&1
		kill "$DOCKERD_PID" 2>/dev/null
		retry 30 eval '! kill -0 "$DOCKERD_PID" 2>/dev/null'
	fi
	lab_cleanup
}
trap finish EXIT

lab_ns_add h1 || exit 1
"$build/calicoctl" pool add 10.65.0.0/16 >/dev/null || exit 1
mkdir -p "$DK/root" "$DK/exec" "$LAB_TMP/plugins" "$LAB_TMP/log"
lab_spawn h1 "$build/calico-libnetwork" --name h1 --socket "$LAB_TMP/plugins/calico.sock" \
	--docker-socket "$DK/docker.sock" --log-level warning >>"$LAB_TMP/log/calico-libnetwork.log" 2>&1
cat >"$DK/dockerd.sh" <<EOS
#!/bin/sh
mount -n -t tmpfs -o mode=755 lab-run /run || exit 1
mkdir -p /run/docker/plugins && mount -n --bind "$LAB_TMP/plugins" /run/docker/plugins || exit 1
exec /usr/sbin/dockerd -H "unix://$DK/docker.sock" --data-root "$DK/root" --exec-root "$DK/exec" \\
  --pidfile "$DK/dockerd.pid" --storage-driver=vfs --iptables=false --ip6tables=false --ip-forward=false \\
  --ip-masq=false --bridge=none
EOS
chmod +x "$DK/dockerd.sh"
nsenter --net="$(lab_nspath h1)" unshare -m --propagation private "$DK/dockerd.sh" >>"$DK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
retry 20 dk version >/dev/null 2>&1 || { echo "dockerd did not start" >&2; exit 1; }
R="$LAB_TMP/rootfs"
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
cp "$(command -v busybox)" "$R/bin/busybox" && ln -sf busybox "$R/bin/sleep"
tar -C "$R" -cf "$LAB_TMP/bb.tar" . && dk import "$LAB_TMP/bb.tar" bench/busybox >/dev/null || exit 1
dk network create --driver calico --ipam-driver calico calnet >/dev/null &&
	dk network create --driver bridge --subnet 10.77.0.0/16 brnet >/dev/null || exit 1

declare -A RUN RM FAILS
for v in calico bridge none; do RUN[$v]=""; RM[$v]=""; FAILS[$v]=0; done
net_of() { case $1 in calico) echo calnet ;; bridge) echo brnet ;; none) echo none ;; esac; }
for ((i = 0; i < N; i++)); do
	for v in calico bridge none; do
		t0=$(now_ns)
		if dk run -d --name "b-$v-$i" --net "$(net_of $v)" bench/busybox sleep 600 >/dev/null 2>&1; then
			t1=$(now_ns)
			RUN[$v]+="$(((t1 - t0) / 1000)) "
			dk rm -f "b-$v-$i" >/dev/null 2>&1
			RM[$v]+="$((($(now_ns) - t1) / 1000)) "
		else
			FAILS[$v]=$((FAILS[$v] + 1))
			dk rm -f "b-$v-$i" >/dev/null 2>&1
		fi
	done
done
# median and p90 in ms of a list of microseconds
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END {
	if (NR == 0) { printf "null,null"; exit }
	m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	p = a[int(NR * 0.9 + 0.999999)]; printf "%.2f,%.2f", m / 1000, p / 1000 }'; }
for v in calico bridge none; do
	IFS=, read -r rm_med rm_p90 <<<"$(stats "${RM[$v]}")"
	IFS=, read -r run_med run_p90 <<<"$(stats "${RUN[$v]}")"
	printf '{"variant":"%s","n":%d,"run_median_ms":%s,"run_p90_ms":%s,"rm_median_ms":%s,"rm_p90_ms":%s,"failures":%d}\n' \
		"$v" "$N" "$run_med" "$run_p90" "$rm_med" "$rm_p90" "${FAILS[$v]}"
done
