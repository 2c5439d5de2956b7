# Helpers for calicoctl test suites: a private SQLite datastore per run, and
# assertions on exit status, output and "nothing changed" for refused input.
# Source after tap.sh. Uses $CALICO_BUILD (exported by tests/run-all.sh).
CLI_TMP=$(mktemp -d /tmp/calico-cli.XXXXXX)
cli_cleanup() { rm -rf "$CLI_TMP"; }
trap cli_cleanup EXIT
export CALICO_DATASTORE="sqlite:$CLI_TMP/calico.db"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
export HOSTNAME=testhost
CTL="${CALICO_BUILD:?}/calicoctl"
DSTOOL="$CALICO_BUILD/dstool"

# run CMD...: sets OUT, ERR, RC
run() {
  OUT=$("$@" 2>"$CLI_TMP/stderr")
  RC=$?
  ERR=$(cat "$CLI_TMP/stderr")
}

rev() { "$DSTOOL" rev; }

# expect_ok NAME EXPECTED_STDOUT CMD...   (EXPECTED_STDOUT "-" = don't care)
expect_ok() {
  local name=$1 want=$2; shift 2
  run "$@"
  if [ "$RC" -eq 0 ] && { [ "$want" = "-" ] || [ "$OUT" = "$want" ]; }; then
    ok "$name"
  else
    fail "$name"
    printf '#   rc=%s\n#   stdout: %s\n#   stderr: %s\n#   want:   %s\n' "$RC" "$OUT" "$ERR" "$want"
  fi
}

# expect_refused NAME EXPECTED_FIRST_STDERR_LINE CMD...
# Exit 1, the first stderr line exact, nothing on stdout, datastore revision unchanged.
expect_refused() {
  local name=$1 want=$2; shift 2
  local before after first
  before=$(rev)
  run "$@"
  after=$(rev)
  first=$(printf '%s\n' "$ERR" | head -n 1)
  if [ "$RC" -eq 1 ] && [ "$first" = "$want" ] && [ -z "$OUT" ] && [ "$before" = "$after" ]; then
    ok "$name"
  else
    fail "$name"
    printf '#   rc=%s rev %s -> %s\n#   stdout: %s\n#   stderr: %s\n#   want:   %s\n' "$RC" "$before" "$after" \
      "$OUT" "$first" "$want"
  fi
}

# expect_usage NAME CMD...: exit 1, stderr shows a usage, datastore unchanged.
expect_usage() {
  local name=$1; shift
  local before after
  before=$(rev)
  run "$@"
  after=$(rev)
  if [ "$RC" -eq 1 ] && printf '%s\n' "$ERR" | grep -q '^Usage:' && [ "$before" = "$after" ]; then
    ok "$name"
  else
    fail "$name"
    printf '#   rc=%s rev %s -> %s\n#   stderr: %s\n' "$RC" "$before" "$after" "$ERR"
  fi
}
