# TAP helpers for shell test suites. Source it; call ok/fail/check; end with tap_done.
TAP_N=0
TAP_FAILED=0
ok()   { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
# check "name" cmd args...  : passes when the command exits 0
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
# expect_eq "name" got want
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; printf '#   got:  %s\n#   want: %s\n' "$2" "$3"; fi
}
tap_done() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }
