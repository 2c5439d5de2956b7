#!/usr/bin/env bash
# The datastore conformance suite against a fresh SQLite file, plus what only
# the SQLite backend promises: a 0600 file in WAL mode whatever the umask, a
# parent directory made on demand, and clear one-line reasons when the file
# cannot be opened.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
build=${CALICO_BUILD:?CALICO_BUILD must name the build directory}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # so the unprivileged checks below can reach inside

# --- conformance, renumbered into this suite's TAP stream ---
db="$tmp/state/calico.db"
out=$(CALICO_DATASTORE="sqlite:$db" "$build/ds_conformance" 2>&1)
rc=$?
while IFS= read -r line; do
  case "$line" in
    "ok "*) ok "conformance: ${line#ok * - }" ;;
    "not ok "*) fail "conformance: ${line#not ok * - }" ;;
    "#"*) echo "$line" ;;
  esac
done <<<"$out"
expect_eq "conformance binary exits 0" "$rc" 0
case "$out" in
  *"# datastore sqlite:$db,"*) ok "describe string is sqlite:PATH" ;;
  *) fail "describe string is sqlite:PATH" ;;
esac

# --- the file ---
expect_eq "the parent directory was created" "$(test -d "$tmp/state" && echo yes)" yes
expect_eq "database file is mode 0600" "$(stat -c %a "$db")" 600
# Bytes 18 and 19 of the header are 2 in WAL mode.
expect_eq "database is in WAL mode" "$(od -An -tu1 -j18 -N2 "$db" | tr -s ' ')" " 2 2"

for mask in 000 022 0277; do
  f="$tmp/umask$mask/calico.db"
  (umask "$mask" && CALICO_DATASTORE="sqlite:$f" "$build/dstool" put /k v) >/dev/null 2>&1
  expect_eq "file is 0600 when created under umask $mask" "$(stat -c %a "$f" 2>/dev/null)" 600
done

# --- clear errors ---
# expect_err NAME PATTERN PATH [command prefix...]: opening sqlite:PATH fails with a message matching PATTERN.
expect_err() {
  local name=$1 pattern=$2 path=$3 msg rc
  shift 3
  msg=$(CALICO_DATASTORE="sqlite:$path" "$@" "$build/dstool" rev 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 0 ] && [[ "$msg" =~ $pattern ]] && [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ]; then
    ok "$name"
  else
    fail "$name"
    printf '#   exit %s, message: %s\n#   want: %s\n' "$rc" "$msg" "$pattern"
  fi
}

touch "$tmp/plainfile"
expect_err "a path under a regular file gives a clear error" \
  "^dstool: cannot (open datastore|create directory) .*plainfile.*: not a directory$" "$tmp/plainfile/sub/calico.db"
expect_err "a directory that cannot be made gives a clear error" \
  "^dstool: cannot create directory /proc/calico-test-.* for datastore .*: no such file or directory$" \
  "/proc/calico-test-$$/calico.db"
printf 'this is not an sqlite database, just some text padding it out to a page or so. %.0s' {1..20} >"$tmp/garbage.db"
expect_err "a file that is not a database gives a clear error" \
  "^dstool: datastore .*/garbage.db: file is not a database$" "$tmp/garbage.db"

mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
if [ "$(id -u)" -ne 0 ]; then
  expect_err "a non-writable directory gives a clear error" \
    "^dstool: cannot open datastore .*/ro/calico.db: permission denied$" "$tmp/ro/calico.db"
  chmod 000 "$db"
  expect_err "an unreadable database gives a clear error" \
    "^dstool: cannot open datastore $db: permission denied$" "$db"
  chmod 600 "$db"
elif setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
  # root bypasses permissions: check as an unprivileged user.
  as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  expect_err "a non-writable directory gives a clear error" \
    "^dstool: cannot open datastore .*/ro/calico.db: permission denied$" "$tmp/ro/calico.db" "${as_nobody[@]}"
  expect_err "another user cannot open the 0600 database" \
    "^dstool: cannot open datastore $db: permission denied$" "$db" "${as_nobody[@]}"
else
  ok "# SKIP permission checks need a non-root user"
fi

tap_done
