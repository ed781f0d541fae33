#!/bin/sh
# kernel.sh NAME: make kernel NAME available to the rig and print, for eval,
#   KVER=...     uname -r of that kernel
#   VMLINUZ=...  its bzImage
#   KDIR=...     the kbuild tree to build modules against
#   MODDIR=...   its /lib/modules/$KVER (kvm.ko etc.), unpacked in the cache
# NAME is 6.1, 6.12, 6.12-rt (stock Debian kernels) or debug (built by
# scripts/debug-kernel.sh). Progress goes to stderr.
#
# Stock kernels: the exact version comes from the installed headers meta
# package, the image is fetched with `apt-get download` at exactly the version
# of those headers and unpacked with `dpkg -x` into
# $VQNOTIFY_CACHE/kernels/<KVER>; nothing is installed on the host.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"

[ $# -eq 1 ] || die "usage: $0 6.1|6.12|6.12-rt|debug"

case $1 in
6.1) meta=linux-headers-amd64 ;;
6.12) meta=linux-headers-6.12-amd64 ;;
6.12-rt) meta=linux-headers-6.12-rt-amd64 ;;
debug)
	[ -x "$VQN_SCRIPTS/debug-kernel.sh" ] ||
		die "debug kernel unavailable: scripts/debug-kernel.sh does not exist yet"
	exec "$VQN_SCRIPTS/debug-kernel.sh"
	;;
*) die "unknown kernel '$1' (known: 6.1 6.12 6.12-rt debug)" ;;
esac

# The meta package depends on exactly one linux-headers-<KVER>. An installed
# meta package (6.1: linux-headers-amd64, from scripts/deps.sh) gives the
# installed tree. The 6.12 headers packages hard-depend on their kernel
# image, so they are never installed: the version comes from the archive
# and the headers are unpacked into the cache (unpack_headers).
resolve() {
	if [ -n "$(pkg_version "$meta")" ]; then
		hdrpkg=$(dpkg-query -W -f='${Depends}' "$meta" | tr ',|' '\n\n' |
			sed -n 's/^ *\(linux-headers-[^ ]*\).*/\1/p' | head -n 1)
		[ -n "$hdrpkg" ] ||
			die "cannot find the headers package $meta depends on"
		KVER=${hdrpkg#linux-headers-}
		hdrver=$(pkg_version "$hdrpkg")
		[ -n "$hdrver" ] ||
			die "$hdrpkg is not installed: run scripts/deps.sh"
		KDIR=/usr/src/linux-headers-$KVER
		[ -f "$KDIR/Makefile" ] || die "$KDIR is missing"
		return 0
	fi
	hdrpkg=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-[^ ]*\).*/\1/p' | head -n 1)
	[ -n "$hdrpkg" ] ||
		die "cannot resolve $meta in the archive (apt-get update?)"
	KVER=${hdrpkg#linux-headers-}
	hdrver=$(apt-cache policy "$hdrpkg" | sed -n 's/^ *Candidate: //p')
	[ -n "$hdrver" ] && [ "$hdrver" != "(none)" ] ||
		die "no candidate version of $hdrpkg"
	KDIR=$VQN_CACHE/headers/$KVER/usr/src/linux-headers-$KVER
}

# Unpack linux-headers-$KVER, its -common tree and its linux-kbuild into
# $VQN_CACHE/headers/$KVER, usable as KDIR without installing anything.
unpack_headers() {
	dest=$VQN_CACHE/headers/$KVER
	[ -e "$dest/.complete" ] && return 0
	mkdir -p "$VQN_CACHE/headers" &&
		tmp=$(mktemp -d "$VQN_CACHE/headers/.tmp.XXXXXX") &&
		chmod 755 "$tmp" || die "cannot make a directory in $VQN_CACHE/headers"
	deps=$(apt-cache depends "$hdrpkg" | sed -n \
		's/^ *Depends: \(linux-headers-[^ ]*-common[^ ]*\|linux-kbuild-[^ ]*\).*/\1/p' |
		sort -u)
	# Both trees, or the lists do not know the package (stale): retried.
	case $deps in
	*-common*kbuild* | *kbuild*-common*) ;;
	*)
		rm -rf "$tmp"
		return 1
		;;
	esac
	log "unpacking $hdrpkg=$hdrver and" $deps
	# shellcheck disable=SC2086 # $deps is a list of package names
	if ! (cd "$tmp" && apt-get download -q=2 "$hdrpkg=$hdrver" $deps) \
		>/dev/null 2>&1; then
		rm -rf "$tmp"
		return 1
	fi
	mkdir "$tmp/root" || die "cannot make $tmp/root"
	for deb in "$tmp"/*.deb; do
		dpkg -x "$deb" "$tmp/root" || die "cannot unpack $deb"
	done
	# The flavour's Makefile includes the common tree by absolute path.
	mk=$tmp/root/usr/src/linux-headers-$KVER/Makefile
	sed -i "s|^include /usr/src/|include $dest/usr/src/|" "$mk" ||
		die "no Makefile in $hdrpkg"
	# What it includes came with it.
	for inc in $(sed -n "s|^include $dest/||p" "$mk"); do
		[ -e "$tmp/root/$inc" ] || die "$hdrpkg includes /$inc: not unpacked"
	done
	rm -rf "$dest" && mv "$tmp/root" "$dest" && rm -rf "$tmp" &&
		touch "$dest/.complete" || die "cannot move the headers to $dest"
}

# The archive may have moved on (new ABI) since the lists were read or the
# headers installed: refresh the lists once, upgrade 6.1's meta package if
# installed (scripts/deps.sh installs it; it pulls headers, never an image),
# and resolve again. A 6.12 meta package hard-depends on its kernel image,
# which must not land on the host: never installed or upgraded here (a host
# that installed one itself, to build for its own 6.12, upgrades it itself).
refresh() {
	[ "$(id -u)" -eq 0 ] ||
		die "$1; as root, run apt-get update (and upgrade $meta if installed)"
	if [ "$meta" != linux-headers-amd64 ] && [ -n "$(pkg_version "$meta")" ]; then
		die "$1; $meta is installed: upgrade it (and its kernel) yourself"
	fi
	log "$1; refreshing the package lists"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
	if [ -n "$(pkg_version "$meta")" ]; then
		log "upgrading $meta"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "$meta" >/dev/null ||
			die "cannot upgrade $meta"
	fi
	resolve
}

# Download linux-image-$KVER (or its -unsigned twin) at exactly $hdrver.
fetch() {
	dl=$1
	for img in "linux-image-$KVER" "linux-image-$KVER-unsigned"; do
		(cd "$dl" && apt-get download -q=2 "$img=$hdrver") >/dev/null 2>&1 &&
			return 0
	done
	return 1
}

unpack() {
	dest=$VQN_CACHE/kernels/$KVER
	[ -e "$dest/.complete" ] && return 0
	# apt's _apt user must be able to write where it downloads.
	tmp=$(mktemp -d "$VQN_CACHE/kernels/.tmp.XXXXXX") && chmod 755 "$tmp" ||
		die "cannot make a directory in $VQN_CACHE/kernels"
	if ! fetch "$tmp"; then
		rm -rf "$tmp"
		return 1
	fi
	log "unpacking $(basename "$tmp"/*.deb)"
	mkdir "$tmp/root" && dpkg -x "$tmp"/*.deb "$tmp/root" ||
		die "cannot unpack $(basename "$tmp"/*.deb)"
	[ -f "$tmp/root/boot/vmlinuz-$KVER" ] && [ -d "$tmp/root/lib/modules/$KVER" ] ||
		die "$(basename "$tmp"/*.deb) lacks vmlinuz-$KVER or its modules"
	# modules.dep, for `modprobe --show-depends` when building initramfs.
	depmod -b "$tmp/root" "$KVER" || die "depmod failed for $KVER"
	rm -rf "$dest" && mv "$tmp/root" "$dest" && rm -rf "$tmp" &&
		touch "$dest/.complete" || die "cannot move the image to $dest"
}

# Are $KVER's headers unpacked into the cache (6.12's), not installed?
cached_headers() {
	case $KDIR in
	"$VQN_CACHE"/*) return 0 ;;
	esac
	return 1
}

# The headers (where they are not installed) and the image, for $KVER.
# Returns 1 when a download failed, to be retried after refresh(); any
# other failure dies in unpack_headers() or unpack(), each step checked:
# set -e does not hold in a function whose status is tested.
obtain() {
	if cached_headers; then
		unpack_headers || return 1
	fi
	unpack
}

# Is anything of $KVER's not in the cache yet?
missing() {
	[ ! -e "$VQN_CACHE/kernels/$KVER/.complete" ] ||
		{ cached_headers && [ ! -e "$VQN_CACHE/headers/$KVER/.complete" ]; }
}

resolve
mkdir -p "$VQN_CACHE/kernels"
if missing; then
	# One download/unpack at a time per cache (concurrent runs wait).
	exec 9>"$VQN_CACHE/kernels/.lock"
	flock 9
	log "fetching linux-image-$KVER=$hdrver"
	if ! obtain; then
		refresh "linux-image-$KVER=$hdrver or its headers not downloadable"
		obtain || die "cannot download linux-image-$KVER=$hdrver or its headers"
	fi
	exec 9>&-
fi

MODDIR=$VQN_CACHE/kernels/$KVER/lib/modules/$KVER
VMLINUZ=$VQN_CACHE/kernels/$KVER/boot/vmlinuz-$KVER
[ -f "$VMLINUZ" ] || die "$VMLINUZ missing from the unpacked image"
[ -d "$MODDIR" ] || die "$MODDIR missing from the unpacked image"
printf "KVER='%s'\nVMLINUZ='%s'\nKDIR='%s'\nMODDIR='%s'\n" \
	"$KVER" "$VMLINUZ" "$KDIR" "$MODDIR"
