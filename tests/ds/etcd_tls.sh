#!/usr/bin/env bash
# The datastore on an etcd that speaks only TLS and wants a client certificate
# (--client-cert-auth): a throw-away CA, server and client certificates made
# with openssl (tests/lib/etcd.sh etcd_tls_certs), then the conformance suite,
# calicoctl profile add/show and an IPAM assignment through calico-ipam over
# ETCD_CA_CERT_FILE/ETCD_CERT_FILE/ETCD_KEY_FILE; a client certificate from
# another CA, none at all, an untrusted server and plain http are each refused
# with one clear line and leave no key behind.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/tap.sh"
source "$here/../lib/etcd.sh"
B=${CALICO_BUILD:?run through tests/run-all.sh or set CALICO_BUILD}
if ! command -v openssl >/dev/null || ! command -v "$ETCD_BIN" >/dev/null; then
  echo "1..0 # SKIP needs openssl and etcd"
  exit 0
fi
T=$(mktemp -d /tmp/calico-ds-etcd-tls.XXXXXX)
cleanup() {
  etcd_stop
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
unset CALICO_DATASTORE ETCD_AUTHORITY
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" HOSTNAME=tls-h1 CALICO_STATE_DIR=$T/state CALICO_LOG_DIR=$T/log \
  CALICO_RUN_DIR=$T/run NO_DEFAULT_POOLS=1

check "openssl makes a CA, server and client certificates" etcd_tls_certs "$T"
if ! etcd_tls_start E "$T"; then
  fail "etcd starts with --client-cert-auth"; tap_done; exit 1
fi
ok "etcd starts with TLS and --client-cert-auth on $E_ENDPOINT"
export ETCD_ENDPOINTS=$E_ENDPOINT ETCD_CA_CERT_FILE=$T/ca.crt ETCD_CERT_FILE=$T/client.crt ETCD_KEY_FILE=$T/client.key

# ---- the conformance suite, shared with SQLite and plain etcd ----
if [ -x "$B/ds_conformance" ]; then
  pass_through conformance "$B/ds_conformance"
else
  fail "conformance: $B/ds_conformance is not built"
fi

# ---- the CLI and IPAM over TLS ----
"$B/calicoctl" profile add tlsprof >"$T/out" 2>&1
expect_eq "calicoctl profile add over TLS" "$?/$(cat "$T/out")" "0/Created profile tlsprof"
check "calicoctl profile show lists it" grep -qw tlsprof <<<"$("$B/calicoctl" profile show 2>&1)"
"$B/calicoctl" pool add 10.77.0.0/24 >/dev/null 2>&1
expect_eq "calicoctl pool add over TLS" "$?" 0
out=$(printf '{"cniVersion":"1.0.0","name":"tlsnet","type":"calico","ipam":{"type":"calico-ipam"}}' |
  CNI_COMMAND=ADD CNI_CONTAINERID=tls1 CNI_NETNS=/var/run/netns/none CNI_IFNAME=eth0 CNI_PATH="$B" "$B/calico-ipam" 2>&1)
ip=$(jq -r '.ips[0].address // empty' <<<"$out" 2>/dev/null)
check "calico-ipam assigns an address over TLS (${ip:-$out})" grep -q '^10\.77\.0\.[0-9]*/' <<<"$ip"
info=$("$B/calicoctl" ipam info "${ip%/*}" 2>&1)
check "calicoctl ipam info sees it assigned" grep -q "${ip%/*}" <<<"$info"

# ---- refusals: one line, exit 1, nothing written ----
rev0=$("$B/dstool" rev)
refused() { # DESC WANT_SUBSTRING ENV...
  local desc=$1 want=$2 err rc
  shift 2
  env "$@" "$B/calicoctl" profile add refusedprof >/dev/null 2>"$T/err"; rc=$?
  err=$(cat "$T/err")
  if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF -- "$want" <<<"$err"; then
    ok "$desc: $err"
  else
    fail "$desc"
    echo "#   rc=$rc, want one line with '$want', got: $err"
  fi
}
refused "a client certificate from another CA" "does it trust the client certificate in ETCD_CERT_FILE" \
  ETCD_CERT_FILE="$T/rogue.crt" ETCD_KEY_FILE="$T/rogue.key"
refused "no client certificate" "does it trust the client certificate in ETCD_CERT_FILE" -u ETCD_CERT_FILE -u ETCD_KEY_FILE
refused "a server certificate ETCD_CA_CERT_FILE does not vouch for" "not signed by ETCD_CA_CERT_FILE's CA" \
  ETCD_CA_CERT_FILE="$T/rogue-ca.crt"
refused "a client certificate file that does not exist" "check ETCD_CERT_FILE and ETCD_KEY_FILE" \
  ETCD_CERT_FILE="$T/missing.crt"
refused "plain http to a TLS-only etcd" "etcd at http://" ETCD_ENDPOINTS="${E_ENDPOINT/https:/http:}"
expect_eq "the refusals wrote nothing" "$("$B/dstool" rev)" "$rev0"
denied_prof() { ! "$B/calicoctl" profile show 2>/dev/null | grep -qw refusedprof; }
check "no profile refusedprof" denied_prof
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T"/err "$T"/log/* 2>/dev/null | grep -q .; then
  fail "no sanitizer report"
else
  ok "no sanitizer report"
fi
tap_done
