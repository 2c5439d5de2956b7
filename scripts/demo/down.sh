#!/usr/bin/env bash
# Removes whatever a stars demo left (`make demo-down`): its processes (by pid,
# from its pid files), namespaces (interfaces, routes and nftables tables live
# in them and go with them) and its state dir, $DEMO_DIR (/tmp/calico-demo).
# A demo still running in another terminal is asked to stop first (SIGTERM:
# it tears itself down); whatever remains is then removed from the records.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
DEMO_DIR=${DEMO_DIR:-/tmp/calico-demo}

if [ ! -e "$DEMO_DIR" ]; then
	echo "No demo state in $DEMO_DIR: nothing to remove."
	exit 0
fi
if [ ! -f "$DEMO_DIR/.calico-demo" ]; then
	demo_err "$DEMO_DIR is not a demo state dir; not touching it"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	demo_err "needs root (network namespaces); run it with sudo"
	exit 1
fi
owner=$(cat "$DEMO_DIR/owner.pid" 2>/dev/null)
if [ -n "$owner" ] && demo_pid_is "$owner" demo.sh; then
	echo "Stopping the running demo (pid $owner)..."
	kill -TERM "$owner" 2>/dev/null
	for _ in $(seq 1 300); do
		demo_pid_is "$owner" demo.sh || break
		sleep 0.1
	done
fi
if [ -f "$DEMO_DIR/.calico-demo" ]; then
	demo_teardown
fi
echo "Demo removed."
