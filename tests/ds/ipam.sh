#!/usr/bin/env bash
# IPAM on both datastores: the scenarios, then the concurrency test (8 processes
# x 500 auto-assigns over 2 hosts on SQLite, 8 x 300 on etcd, then concurrent
# release) a few times each.
# IPAM_STRESS_RUNS (default 2) sets how many concurrency runs per backend. On
# etcd a run of 8 x 500 takes about 35 s of make check's 20 minutes under the
# sanitizers, so etcd runs 8 x 300 (IPAM_STRESS_ETCD_PER_PROCESS): 2,400
# assigns racing over 2 hosts' blocks still contend on every block.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/tap.sh"
source "$here/../lib/etcd.sh"
B=${CALICO_BUILD:?run through tests/run-all.sh or set CALICO_BUILD}
T=$(mktemp -d /tmp/calico-ds-ipam.XXXXXX)
RUNS=${IPAM_STRESS_RUNS:-2}
cleanup() {
  etcd_stop
  rm -rf "$T"
}
trap cleanup EXIT
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY ETCD_CA_CERT_FILE ETCD_CERT_FILE ETCD_KEY_FILE

# backend_suite NAME PER_PROCESS: the scenarios, then RUNS concurrency runs of
# 8 processes x PER_PROCESS auto-assigns
backend_suite() {
  local name=$1 per=$2 i
  pass_through "$name scenarios" "$B/ipam_stress" scenarios
  for ((i = 1; i <= RUNS; i++)); do
    pass_through "$name concurrency run $i" "$B/ipam_stress" stress 8 "$per" 2
  done
}

export CALICO_DATASTORE="sqlite:$T/calico.db"
backend_suite sqlite 500
unset CALICO_DATASTORE

if etcd_start E; then
  ok "etcd starts on $E_ENDPOINT"
  export ETCD_ENDPOINTS=$E_ENDPOINT
  backend_suite etcd "${IPAM_STRESS_ETCD_PER_PROCESS:-300}"
else
  fail "etcd starts"
fi
tap_done
