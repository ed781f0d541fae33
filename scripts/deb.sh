#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# deb.sh: the body of `make deb`. Builds the Debian packages of debian/
# (dpkg-buildpackage -b -us -uc) in a copy of the tree under $BUILD/deb
# (dpkg-buildpackage writes its output next to the source directory, and
# its clean step must not touch the work tree), then runs lintian on them:
# errors fail, warnings and the rest are printed. The packages end up in
# $BUILD/deb/*.deb, the logs in $BUILD/deb/{build,lintian}.log.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
BUILD=${BUILD:-$TOP/build}

command -v dpkg-buildpackage >/dev/null && command -v lintian >/dev/null &&
	command -v dh_dkms >/dev/null ||
	die "missing: the build dependencies (apt-get build-dep ./) and lintian"
ver=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
out=$BUILD/deb
src=$out/vqnotify-$ver
lock_or_wait "$BUILD/deb.lock" "package build"
rm -rf "$out"
mkdir -p "$src"
# The tree as git would export it, uncommitted changes included, without
# build output (.gitignore) or the build directory.
tar -C "$TOP" --exclude-vcs --exclude-vcs-ignores --exclude=./build \
	--exclude="./${BUILD#"$TOP"/}" -cf - . | tar -C "$src" -xf -

echo "deb: dpkg-buildpackage -b -us -uc in $src (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log"
	die "dpkg-buildpackage failed (log: $out/build.log)"
fi
ls "$out"/*.deb | sed "s|^$out/|deb: built |"

# The module's package alone makes a usable /dev/vqnotify: the udev rule
# that gives it to group kvm and the modules-load.d file come with it
# (vqnotify-utils is only recommended).
dpkg-deb -c "$out"/vqnotify-dkms_"$ver"_all.deb >"$out/dkms.contents"
for f in ./lib/udev/rules.d/60-vqnotify.rules \
	./usr/lib/modules-load.d/vqnotify.conf; do
	grep -q " $f\$" "$out/dkms.contents" || die "vqnotify-dkms lacks $f"
done

# --fail-on error: warnings are listed, not fatal. Overrides in debian/
# say why a tag does not apply.
st=0
lintian --fail-on error --info --display-level '>=warning' \
	"$out"/vqnotify_"$ver"_*.changes >"$out/lintian.log" 2>&1 || st=$?
sed 's/^/lintian: /' "$out/lintian.log"
[ "$st" -eq 0 ] || die "lintian found errors (log: $out/lintian.log)"
echo "deb: lintian: $(grep -c '^E:' "$out/lintian.log") errors," \
	"$(grep -c '^W:' "$out/lintian.log") warnings"
