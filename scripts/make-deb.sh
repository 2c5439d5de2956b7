#!/usr/bin/env bash
# make-deb.sh BUILD [OUTDIR]: the Debian binary package calico-c_<version>_<arch>.deb
# of the binaries already built in BUILD (nothing is built or configured here),
# written to OUTDIR (default BUILD); prints the package's path. DEB_MAINTAINER
# sets the Maintainer field.
#
# The tree is what `cmake --install BUILD --prefix /usr` lays out (the CNI
# plugins in the build's CALICO_CNI_BIN_DIR), with the units moved to
# /lib/systemd/system, where Debian 12 packages ship them, the binaries stripped
# as Debian's tools do, and packaging/debian/ for the maintainer scripts,
# copyright and lintian overrides. Depends: the shared libraries the binaries
# link (dpkg-shlibdeps), libcurl which the library loads at run time, and the
# programs they run: bird/birdc (bird2), nft (nftables), ip (iproute2).
set -euo pipefail

die() { echo "make-deb: $*" >&2; exit 1; }
[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: make-deb.sh BUILD [OUTDIR]"
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory $1"
out=$(mkdir -p "${2:-$build}" && cd "${2:-$build}" && pwd)
[ -f "$build/CMakeCache.txt" ] || die "$build is not a CMake build directory"
[ -x "$build/calicoctl" ] || die "$build has no calicoctl: build it first (make build)"

pkg=calico-c
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || die "no project version in $build/CMakeCache.txt"
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-calico-c maintainers <calico-c@example.org>}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
DESTDIR=$root cmake --install "$build" --prefix /usr >"$work/install.log" || { cat "$work/install.log" >&2; die "cmake --install failed"; }
mkdir -p "$root/lib/systemd"
mv "$root/usr/lib/systemd/system" "$root/lib/systemd/system"
rmdir "$root/usr/lib/systemd" "$root/usr/lib" 2>/dev/null || true

mapfile -t binaries < <(find "$root" -type f -perm -u+x | sort)
[ ${#binaries[@]} -gt 0 ] || die "nothing was installed from $build"
for b in "${binaries[@]}"; do
	strip --remove-section=.comment --remove-section=.note --strip-unneeded "$b"
done

doc=$root/usr/share/doc/$pkg
install -d -m 0755 "$doc" "$root/usr/share/lintian/overrides"
install -m 0644 "$src/packaging/debian/copyright" "$doc/copyright"
install -m 0644 "$src/packaging/debian/lintian-overrides" "$root/usr/share/lintian/overrides/$pkg"
# A native package's changelog: this build, dated by the newest commit when
# there is one (the package is then the same for the same tree).
date=$(git -C "$src" log -1 --format=%aD 2>/dev/null || date -R)
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the source tree by make deb.\n\n -- %s  %s\n' \
	"$pkg" "$version" "$maintainer" "$date" | gzip -9n >"$doc/changelog.gz"

# dpkg-shlibdeps wants a debian/control naming the package; it reads nothing else from it.
mkdir -p "$work/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O "${binaries[@]}" 2>"$work/shlibdeps.log") ||
	{ cat "$work/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
shlibs=${shlibs#shlibs:Depends=}
# libcurl is loaded by name (curl_dl.c): no binary of every build links it.
curl_pkg=$(dpkg-query -S "$(pkg-config --variable=libdir libcurl)/libcurl.so.4" 2>/dev/null | cut -d: -f1 | head -n1)
case ", $shlibs" in *", $curl_pkg "* | *", $curl_pkg,"* | *", $curl_pkg") curl_pkg= ;; esac

mkdir -p "$root/DEBIAN"
for s in postinst prerm postrm; do
	install -m 0755 "$src/packaging/debian/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $shlibs${curl_pkg:+, $curl_pkg}, bird2, nftables, iproute2
Section: net
Priority: optional
Description: Calico networking for Mesos and CNI runtimes, in C
 Pure layer-3 container networking with network policy: every container
 gets its own routed address, hosts exchange routes over BGP (BIRD 2), and
 an agent on every host compiles profiles and policies into nftables.
 .
 This package holds calicoctl, the per-host agent calico-node, the Mesos
 net-modules hook calico_mesos, the CNI plugins calico and calico-ipam (in
 the CNI plugin directory), Docker's network driver calico-libnetwork, and
 systemd units for calico-node, BIRD and calico-libnetwork, which read
 /etc/calico/calico.env.
CONTROL

deb=$out/${pkg}_${version}_${arch}.deb
# DEB_COMPRESS (xz, gzip, zstd, none): the tests' sanitizer binaries are
# large, and xz spends most of the suite's time on them.
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$root" "$deb" >/dev/null
echo "$deb"
