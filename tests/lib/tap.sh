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
# expect_same_file "name" GOT WANT: the two files are byte for byte the same;
# if not, the first lines of their difference (WANT's side first)
expect_same_file() {
  if cmp -s "$2" "$3"; then ok "$1"; else fail "$1"; diff "$3" "$2" | head -10 | sed 's/^/#   /'; fi
}
# pass_through NAME CMD...: runs a C suite and re-emits its TAP lines under our
# numbering; a non-zero exit without a failed check is one failure. The
# suite's stderr is shown (indented) whenever it exits non-zero.
pass_through() {
  local name=$1 out rc line errf; shift
  errf=$(mktemp)
  out=$("$@" 2>"$errf"); rc=$?
  while IFS= read -r line; do
    case "$line" in
      "ok "*) ok "$name: ${line#ok * - }" ;;
      "not ok "*) fail "$name: ${line#not ok * - }" ;;
      "#"*) echo "$line" ;;
    esac
  done <<<"$out"
  if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' <<<"$out"; then
    fail "$name exited $rc"
  fi
  [ "$rc" -ne 0 ] && sed 's/^/#   /' "$errf" | head -n 20
  rm -f "$errf"
}
tap_done() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }
# tap_skip_unless REASON CHECK...: skips the whole suite (TAP "1..0 # SKIP
# REASON", exit 0) unless every CHECK holds, tried in order: "root" (running
# as uid 0), "cmd:NAME" (NAME is on PATH), "exe:PATH" (an executable file).
tap_skip_unless() {
  local reason=$1 c; shift
  for c in "$@"; do
    case $c in
      root) [ "$(id -u)" -eq 0 ] ;;
      cmd:*) command -v "${c#cmd:}" >/dev/null ;;
      exe:*) [ -x "${c#exe:}" ] ;;
      *) echo "tap_skip_unless: unknown check '$c'" >&2; false ;;
    esac || { echo "1..0 # SKIP $reason"; exit 0; }
  done
}
# contains TEXT PART: TEXT has PART in it
contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
# expect_contains "name" got part
expect_contains() { if contains "$2" "$3"; then ok "$1"; else fail "$1"; printf '#   got:  %s\n#   want: *%s*\n' "$2" "$3"; fi; }
