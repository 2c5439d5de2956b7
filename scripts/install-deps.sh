#!/usr/bin/env bash
# Installs every Debian package calico-c needs to build, test and run.
# Idempotent: installs only what is missing, so `make` can call it every time.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev
  # libraries
  libjansson-dev libsqlite3-dev libcurl4-openssl-dev libmnl-dev libnftables-dev
  libnftnl-dev libmicrohttpd-dev
  # Calico's v3 resources are read and written as YAML (src/lib/resource/)
  libyaml-dev
  # real components the system drives and the tests run
  etcd-server etcd-client bird2 nftables iproute2 iputils-ping
  busybox-static iperf3 procps psmisc curl jq util-linux
  # the orchestrators the plugins are tested with, and the demo's browser
  docker.io podman runc containernetworking-plugins chromium
  # tests/lab/cni_libcni.sh builds a small client against libcni, the CNI library
  # containerd and CRI-O call plugins through (Debian ships its Go source)
  golang-go golang-github-appc-cni-dev
  # some lab suites send probes from a chosen source address with python3
  python3
  # tests/lab/load.sh reads calico-node's live heap exactly through gdb
  gdb
  # tests/ds/etcd_tls.sh makes its CA and certificates
  openssl
  # make deb: dpkg-shlibdeps (dpkg-dev) computes Depends, deb-systemd-helper
  # (init-system-helpers) runs in the maintainer scripts; tests/cli/install.sh
  # checks the package with lintian and the units with systemd-analyze (systemd)
  dpkg-dev init-system-helpers lintian systemd
  # tests/lab/bgp_tor.sh: a top-of-rack BGP router that is not BIRD (GoBGP)
  gobgpd
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package lists may be absent or stale on a fresh machine.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
