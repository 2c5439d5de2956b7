# shellcheck shell=bash
# A real dockerd inside a lab host namespace (LAB-NOTES §6), as docker.sh runs
# it, for labs that need Docker beside other doors. Source netns.sh first.
#
# dockerd looks for plugins only in /run/docker/plugins. To leave the machine
# alone it runs in a private mount namespace whose /run is a fresh tmpfs with
# $LAB_TMP/plugins bound on /run/docker/plugins: a driver listening on
# $LAB_TMP/plugins/calico.sock is Docker's driver "calico", and nothing outside
# $LAB_TMP is touched. Data root, exec root and pid file are under $LAB_TMP;
# vfs storage; no iptables, no bridge.
#
#   dk_setup                  exports DOCKER_HOST and CALICO_LIBNETWORK_SOCKET (call before
#                             `calicoctl node --libnetwork`, whose driver asks Docker for labels)
#   dk_start HOST             dockerd in HOST's network namespace; 0 once it answers (20 s)
#   dk ARGS...                /usr/bin/docker against it
#   dk_image                  imports lab/busybox (busybox-static, nc, sh, ...) from a tarball
#   dk_stop                   docker rm -f of every container, dockerd TERM, its shims ended
#   dk_cleanup                dk_stop if dockerd runs (for the EXIT trap, before the namespaces go)
# Processes are ended by pid only: dockerd's, and the shims whose command line
# names our containerd's address under $LAB_TMP.

DK="$LAB_TMP/dk"
DK_PID=""
DK_BIN=(/usr/bin/docker -H "unix://$DK/docker.sock")

dk_setup() {
	mkdir -p "$DK/root" "$DK/exec" "$LAB_TMP/plugins"
	export DOCKER_HOST="unix://$DK/docker.sock" CALICO_LIBNETWORK_SOCKET="$LAB_TMP/plugins/calico.sock"
}

dk() { "${DK_BIN[@]}" "$@"; }

_dk_retry() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done; }
_dk_alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }

# The pids whose command line contains $1.
_dk_pids_with() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "$1" && echo "${p#/proc/}"
	done
}

dk_start() {
	local h=$1
	dk_setup
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
	nsenter --net="$(lab_nspath "$h")" unshare -m --propagation private "$DK/dockerd.sh" >>"$DK/dockerd.log" 2>&1 &
	DK_PID=$!
	_dk_retry 20 dk version >/dev/null 2>&1
}

dk_image() {
	local r="$LAB_TMP/rootfs" a
	mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp"
	cp "$(command -v busybox)" "$r/bin/busybox" || return 1
	for a in sh ip ping cat echo sleep nc; do ln -sf busybox "$r/bin/$a"; done
	tar -C "$r" -cf "$LAB_TMP/busybox.tar" . && dk import "$LAB_TMP/busybox.tar" lab/busybox:latest >/dev/null
}

dk_stop() {
	local p
	[ -n "$DK_PID" ] || return 0
	# shellcheck disable=SC2046 # one id per word
	dk rm -f $(dk ps -aq) >/dev/null 2>&1
	kill "$DK_PID" 2>/dev/null
	_dk_retry 30 eval '! _dk_alive "$DK_PID"'
	wait "$DK_PID" 2>/dev/null
	DK_PID=""
	for p in $(_dk_pids_with "-address $DK/exec/"); do kill "$p" 2>/dev/null; done
	return 0
}

dk_cleanup() { dk_stop; }
