#!/usr/bin/env bash
# Real Podman (Debian's 4.3, runc, CNI backend) with the `calico` conflist:
# `podman run --network <net>` of a busybox image imported from a tarball
# gets a Calico address, policy applies between such containers, and
# `podman rm -f` leaves nothing behind. LAB-NOTES §7: private containers.conf
# and storage.conf, podman under `nsenter --net=<lab host namespace>`, so the
# host sides of the veths land in h1. Podman's own state (storage, run dir,
# tmp dir, events log) lives in the test's tmp dir.
#   fabric -- h1 (172.30.0.11, calico-node) -- podman containers on pblue, pred
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
tap_skip_unless "needs root, podman, runc, jq, nft and the calico plugins" root cmd:podman cmd:runc cmd:jq cmd:nft \
	"exe:${CALICO_BUILD:-}/calico"
. "$here/../lib/netns.sh"
. "$here/../lib/agent.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
CTL="$CALICO_BUILD/calicoctl"
PM="$LAB_TMP/pm"
IMAGE=localhost/calico-test/busybox:latest
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
# What podman leaves outside our dirs even so (its image blob cache, libcni's
# result cache): afterwards, files are removed only when they were not there
# before, our networks' cache entries always, and directories only when they
# are empty and were not there before.
LEFT_FILES=(/var/lib/containers/cache/blob-info-cache-v1.boltdb)
LEFT_DIRS=(/var/lib/cni/results /var/lib/cni /var/lib/containers/cache /var/lib/containers /run/libpod /run/containers)
PRE_EXISTING=()
for p in "${LEFT_FILES[@]}" "${LEFT_DIRS[@]}"; do [ -e "$p" ] && PRE_EXISTING+=("$p"); done
pre_existing() { local m; for m in "${PRE_EXISTING[@]}"; do [ "$m" = "$1" ] && return 0; done; return 1; }
CIDS=()

mkdir -p "$PM/net.d" "$PM/bin" "$PM/root" "$PM/run" "$PM/tmp" "$PM/rootfs/bin" "$PM/rootfs/etc" "$PM/rootfs/proc" \
	"$PM/rootfs/sys" "$PM/rootfs/dev" "$PM/rootfs/tmp"
ln -s "$CALICO_BUILD/calico" "$PM/bin/calico"
ln -s "$CALICO_BUILD/calico-ipam" "$PM/bin/calico-ipam"
cat >"$PM/containers.conf" <<CONF
[network]
network_backend = "cni"
network_config_dir = "$PM/net.d"
cni_plugin_dirs = ["$PM/bin", "/usr/lib/cni"]
default_network = "pblue"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM/events.log"
runtime = "runc"
tmp_dir = "$PM/tmp"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
CONF
cat >"$PM/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$PM/run"
graphroot = "$PM/root"
CONF
export CONTAINERS_CONF="$PM/containers.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf"
for net in pblue pred; do
	cat >"$PM/net.d/$net.conflist" <<CONF
{ "cniVersion": "1.0.0", "name": "$net",
  "plugins": [ { "type": "calico", "nodename": "h1", "datastore": "sqlite:$LAB_TMP/calico.db",
                 "policy_setup_timeout_seconds": 10, "ipam": { "type": "calico-ipam" } } ] }
CONF
done

P() { nsenter --net="$(lab_nspath h1)" podman --root "$PM/root" --runroot "$PM/run" --tmpdir "$PM/tmp" \
	--cgroup-manager cgroupfs --events-backend file "$@"; }

podman_cleanup() {
	local p m
	P rm -f -t 0 "${CIDS[@]}" >/dev/null 2>&1
	P rmi -f "$IMAGE" >/dev/null 2>&1
	# anything podman still has mounted under our dirs
	for m in $(awk -v d="$PM" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
	rm -f /var/lib/cni/results/pblue-* /var/lib/cni/results/pred-*
	for p in "${LEFT_FILES[@]}"; do pre_existing "$p" || rm -f "$p"; done
	for p in "${LEFT_DIRS[@]}"; do pre_existing "$p" || rmdir "$p" 2>/dev/null; done
	lab_cleanup
}
trap podman_cleanup EXIT

lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
AGENT_HOST=h1
"$CTL" pool add 10.73.0.0/16 >/dev/null
agent_start h1
check "calico-node ready" agent_wait_ready 15

# busybox image from busybox-static (LAB-NOTES §6.2)
cp "$(command -v busybox)" "$PM/rootfs/bin/busybox"
for a in sh ls ip ping cat echo sleep hostname nc; do ln -sf busybox "$PM/rootfs/bin/$a"; done
tar -C "$PM/rootfs" -cf "$PM/busybox.tar" .
P import "$PM/busybox.tar" "$IMAGE" >/dev/null 2>"$PM/import.err"
check "busybox image imported from a tarball" P image exists "$IMAGE"

run_ctr() { # NAME NETWORK
	local id
	id=$(P run -d --name "$1-$$" --network "$2" "$IMAGE" sleep 600 2>"$PM/run-$1.err")
	[ -n "$id" ] && CIDS+=("$id")
	[ -n "$id" ]
}
ctr_ip() { P exec "$1-$$" ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
ctr_ping() { P exec "$1-$$" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
q() { "$@" >/dev/null 2>&1; }
allowed() { local d=$1 i; shift; for i in 1 2 3; do "$@" && { ok "$d"; return; }; done; fail "$d"; }
denied() { local d=$1; shift; if "$@"; then fail "$d"; else ok "$d"; fi; }

check "podman run -d --network pblue (a)" run_ctr a pblue || sed 's/^/#   /' "$PM/run-a.err" | head -n 5
check "podman run -d --network pblue (b)" run_ctr b pblue
check "podman run -d --network pred (c)" run_ctr c pred
A=$(ctr_ip a) B=$(ctr_ip b) C=$(ctr_ip c)
check "a has a Calico address on eth0 ($A)" grep -Eq '^10\.73\.' <<<"$A"
check "b has a Calico address on eth0 ($B)" grep -Eq '^10\.73\.' <<<"$B"
check "c has a Calico address on eth0 ($C)" grep -Eq '^10\.73\.' <<<"$C"
expect_eq "a's routes" "$(P exec "a-$$" ip route | sort | tr '\n' ';')" "169.254.1.1 dev eth0 scope link ;default via 169.254.1.1 dev eth0 ;"
expect_eq "three endpoints under orchestrator cni on h1" "$("$DSTOOL" count /calico/v1/host/h1/workload/cni/)" 3
check "each endpoint reported up by calico-node" [ "$("$DSTOOL" list /calico/felix/v1/host/h1/workload/cni/ | grep -c '"up"')" = 3 ]

allowed "a -> b ping (same network)" ctr_ping a "$B"
allowed "b -> a ping" ctr_ping b "$A"
denied "c (pred) -> a (pblue) refused" ctr_ping c "$A"
denied "a (pblue) -> c (pred) refused" ctr_ping a "$C"
n=$(agent_metric calico_nft_applies_total)
"$CTL" profile pblue rule add inbound allow from tag pred >/dev/null
check "rule programmed" agent_wait_applied "${n:-0}"
allowed "c -> a allowed once pblue allows tag pred" ctr_ping c "$A"
denied "a -> c still refused" ctr_ping a "$C"

check "podman rm -f of all three" q P rm -f -t 0 "a-$$" "b-$$" "c-$$"
CIDS=()
expect_eq "... no endpoint left" "$("$DSTOOL" count /calico/v1/host/h1/workload/cni/)" 0
expect_eq "... no IPAM handle left" "$("$DSTOOL" count /calico/ipam/v2/handle/)" 0
for ip in "$A" "$B" "$C"; do
	check "... $ip released" bash -c "! '$CTL' ipam info '$ip' >/dev/null 2>&1"
done
expect_eq "... no cali interface left in h1" "$(ip -n "$(lab_ns h1)" -o link | grep -c ': cali')" 0
expect_eq "root namespace links unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" "$ROOT_LINKS"
tap_done
