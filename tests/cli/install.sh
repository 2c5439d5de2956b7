# make install and make deb (issue 14, item 9): where the files land, that the
# systemd units verify, the package's file list and control fields, lintian,
# and that the package installs, removes and purges cleanly. Packages the
# build under test ($CALICO_BUILD) as it is: nothing is compiled here. The
# package is installed only into a private root (dpkg --root, maintainer
# scripts run outside a chroot and honour DPKG_ROOT); this machine's /usr,
# /opt, /etc and systemd are checked to be left as they were.
. "$(dirname "$0")/../lib/tap.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${CALICO_BUILD:?CALICO_BUILD must name the build to package}
tap_skip_unless "packaging needs dpkg-deb and the built binaries" cmd:dpkg-deb exe:"$BUILD/calicoctl"

TMP=$(mktemp -d /tmp/calico-install.XXXXXX)
trap '[ -n "${LINTIAN_PID:-}" ] && kill "$LINTIAN_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
UNITS="calico-bird.service calico-libnetwork.service calico-node.service"

# files under DIR, one per line, sorted (directories left out)
tree_files() { (cd "$1" && find . \( -type f -o -type l \) -printf '/%P\n' | sort); }

# ---- make install DESTDIR=... PREFIX=... ----
STAGE=$TMP/stage
out=$(make -C "$SRC" --no-print-directory install-built BUILD="$BUILD" DESTDIR="$STAGE" PREFIX=/usr/local 2>&1)
check "make install: exits 0" [ $? -eq 0 ]
[ -d "$STAGE" ] || echo "$out" | sed 's/^/#   /'
expect_eq "make install: the files and where they go" "$(tree_files "$STAGE" | tr '\n' ' ')" \
  "/etc/calico/calico.env /opt/cni/bin/calico /opt/cni/bin/calico-ipam /usr/local/bin/calico-libnetwork /usr/local/bin/calico-node /usr/local/bin/calico_mesos /usr/local/bin/calicoctl /usr/local/lib/systemd/system/calico-bird.service /usr/local/lib/systemd/system/calico-libnetwork.service /usr/local/lib/systemd/system/calico-node.service "
check "make install: the CNI plugins are executable" [ -x "$STAGE/opt/cni/bin/calico" -a -x "$STAGE/opt/cni/bin/calico-ipam" ]
units=$STAGE/usr/local/lib/systemd/system
expect_eq "make install: the units run the binaries of the prefix" \
  "$(grep -h '^ExecStart=' "$units/calico-node.service" "$units/calico-libnetwork.service" | tr '\n' ' ')" \
  "ExecStart=/usr/local/bin/calicoctl node \$CALICO_NODE_OPTS ExecStart=/usr/local/bin/calico-libnetwork \$CALICO_LIBNETWORK_OPTS "
expect_eq "make install: the units read /etc/calico/calico.env" \
  "$(grep -c '^EnvironmentFile=-/etc/calico/calico.env$' "$units"/*.service | cut -d: -f2 | tr '\n' ' ')" "1 1 1 "
check "make install: the unit files are not executable" [ ! -x "$units/calico-node.service" ]
echo "ETCD_ENDPOINTS=http://192.0.2.1:2379" >>"$STAGE/etc/calico/calico.env"
make -C "$SRC" --no-print-directory install-built BUILD="$BUILD" DESTDIR="$STAGE" PREFIX=/usr/local >/dev/null 2>&1
expect_eq "make install again: an edited calico.env is kept" "$(tail -n 1 "$STAGE/etc/calico/calico.env")" \
  "ETCD_ENDPOINTS=http://192.0.2.1:2379"

# CALICO_CNI_BIN_DIR moves the plugins (configured only: nothing is built)
cmake -S "$SRC" -B "$TMP/cfg" -DCALICO_CNI_BIN_DIR=/usr/lib/cni >/dev/null 2>&1
expect_eq "CALICO_CNI_BIN_DIR=/usr/lib/cni: the plugins' only destination" \
  "$(grep -o 'DESTINATION "[^"]*cni[^"]*"' "$TMP/cfg/cmake_install.cmake" 2>/dev/null | sort -u)" 'DESTINATION "/usr/lib/cni"'

# ---- systemd-analyze verify ----
# verify checks that every ExecStart= program exists: the copies it checks
# name the staged binaries instead of /usr/local/bin's (bird, birdc and kill
# are this machine's own).
if command -v systemd-analyze >/dev/null && [ -x /usr/sbin/bird ]; then
  V=$TMP/verify
  mkdir -p "$V"
  for u in $UNITS; do sed "s|=/usr/local/bin/|=$STAGE/usr/local/bin/|" "$units/$u" >"$V/$u"; done
  out=$(cd "$V" && systemd-analyze verify $UNITS 2>&1)
  rc=$?
  expect_eq "systemd-analyze verify: the installed units pass, with no complaint" "$rc:$out" "0:"
  # the same check fails on a unit whose program is missing
  sed "s|=$STAGE/usr/local/bin/calicoctl|=$STAGE/usr/local/bin/no-such-calicoctl|" "$V/calico-node.service" >"$V/calico-broken.service"
  out=$(cd "$V" && systemd-analyze verify calico-broken.service 2>&1)
  expect_contains "systemd-analyze verify: catches a missing ExecStart= program" "$out" "no-such-calicoctl is not executable"
else
  ok "# SKIP systemd-analyze or bird missing"; ok "# SKIP systemd-analyze or bird missing"
fi

# ---- make deb ----
out=$(DEB_COMPRESS=gzip make -C "$SRC" --no-print-directory deb-built BUILD="$BUILD" DEB_DIR="$TMP/deb" 2>&1)
DEB=$(printf '%s\n' "$out" | tail -n 1)
check "make deb: writes calico-c_<version>_<arch>.deb" [ -f "$DEB" ]
[ -f "$DEB" ] || echo "$out" | sed 's/^/#   /'
field() { dpkg-deb -f "$DEB" "$1" 2>/dev/null; }
expect_eq "deb: Package, Architecture" "$(field Package) $(field Architecture)" "calico-c $(dpkg --print-architecture)"
expect_eq "deb: Version is the project's" "$(field Version)" \
  "$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")"
deps=$(field Depends | tr -d ' ' | tr ',' '\n' | sed 's/(.*//' | sort -u | tr '\n' ' ')
for d in libc6 libjansson4 libsqlite3-0 libmnl0 libnftables1 libmicrohttpd12 libcurl4 bird2 nftables iproute2; do
  expect_contains "deb: Depends on $d" " $deps" " $d "
done
files=$(dpkg-deb --fsys-tarfile "$DEB" | tar -t | sed 's|^\./|/|' | grep -v '/$' | sort | tr '\n' ' ')
expect_eq "deb: the file list" "$files" \
  "/etc/calico/calico.env /lib/systemd/system/calico-bird.service /lib/systemd/system/calico-libnetwork.service /lib/systemd/system/calico-node.service /opt/cni/bin/calico /opt/cni/bin/calico-ipam /usr/bin/calico-libnetwork /usr/bin/calico-node /usr/bin/calico_mesos /usr/bin/calicoctl /usr/share/doc/calico-c/changelog.gz /usr/share/doc/calico-c/copyright /usr/share/lintian/overrides/calico-c "
expect_eq "deb: /etc/calico/calico.env is a conffile" "$(dpkg-deb -I "$DEB" conffiles 2>/dev/null)" "/etc/calico/calico.env"
expect_eq "deb: files owned by root, binaries 0755, the rest 0644" \
  "$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {print $1, $2}' | sort -u | tr '\n' ' ')" "-rw-r--r-- root/root -rwxr-xr-x root/root "
check "deb: the units run /usr/bin's binaries" \
  grep -q '^ExecStart=/usr/bin/calicoctl node ' <(dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./lib/systemd/system/calico-node.service)

# ---- lintian (in the background while dpkg runs; it takes the longest) ----
LINTIAN_PID=
if command -v lintian >/dev/null && [ -f "$DEB" ]; then
  lintian --fail-on error,warning "$DEB" >"$TMP/lintian.out" 2>&1 &
  LINTIAN_PID=$!
fi

# ---- dpkg -i, -r, -P into a private root ----
# Nothing of ours is on this machine before, and nothing after.
host_paths="/etc/calico /opt/cni/bin/calico /usr/bin/calicoctl /lib/systemd/system/calico-node.service
  /etc/systemd/system/calico-node.service /var/lib/systemd/deb-systemd-helper-enabled/calico-node.service.dsh-also
  /var/lib/systemd/deb-systemd-helper-masked/calico-node.service"
host_state() { for p in $host_paths; do [ -e "$p" ] || [ -L "$p" ] && echo "$p"; done; dpkg-query -W calico-c 2>/dev/null; }
before=$(host_state)
R=$TMP/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
dpkg_r() { dpkg --root="$R" --force-script-chrootless --force-depends --force-not-root "$@" >"$TMP/dpkg.log" 2>&1; }
dpkg_r -i "$DEB"
rc=$?
expect_eq "dpkg -i: installs" "$rc:$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' calico-c 2>/dev/null)" \
  "0:install ok installed"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$TMP/dpkg.log" | head -n 20
check "dpkg -i: the binaries and units are in place" \
  [ -x "$R/usr/bin/calicoctl" -a -x "$R/opt/cni/bin/calico-ipam" -a -f "$R/lib/systemd/system/calico-node.service" -a -f "$R/etc/calico/calico.env" ]
check "dpkg -i: the units are not enabled" [ ! -e "$R/etc/systemd/system/multi-user.target.wants/calico-node.service" ]
"$R/usr/bin/calicoctl" version >/dev/null 2>&1
check "dpkg -i: the installed calicoctl runs" [ $? -eq 0 ]
dpkg_r -r calico-c
rc=$?
expect_eq "dpkg -r: removes the binaries and units, keeps calico.env" \
  "$rc:$(tree_files "$R" | grep -v '^/var/lib/dpkg/\|^/var/lib/systemd/\|^/etc/systemd/system/' | tr '\n' ' ')" \
  "0:/etc/calico/calico.env "
check "dpkg -r: the units are masked until purge" [ -L "$R/etc/systemd/system/calico-node.service" ]
dpkg_r -P calico-c
rc=$?
# What may stay: dpkg's database and the empty directories of systemd that
# deb-systemd-helper made in this empty root (every real system has them).
left=$(tree_files "$R" | grep -v '^/var/lib/dpkg/'
  cd "$R" && find . -mindepth 1 -type d -empty -printf '/%P\n' | grep -vx '/etc/systemd/system\|/var/lib/systemd\|/var/lib/dpkg/.*')
expect_eq "dpkg -P: leaves nothing behind" "$rc:$left" "0:"
expect_eq "dpkg: this machine's own paths and package database untouched" "$(host_state)" "$before"

if [ -n "$LINTIAN_PID" ]; then
  wait "$LINTIAN_PID"; rc=$?; LINTIAN_PID=
  expect_eq "lintian: no error or warning" "$rc" "0"
  [ "$rc" -eq 0 ] || grep -v '^running with root' "$TMP/lintian.out" | head -n 20 | sed 's/^/#   /'
else
  ok "# SKIP lintian is not installed"
fi

tap_done
