#!/bin/bash
# Build, or reuse from the cache, a minimal x86_64 QEMU from Debian's source
# of the installed qemu-system-x86, with the patches of integrations/qemu/
# (libvqnotify hooks) applied, linked against this tree's libvqnotify.a.
#
#   qemu=$(scripts/qemu.sh)          # prints the binary's path, nothing else
#   scripts/qemu.sh --unpatched      # the same build without our patches
#   scripts/qemu.sh --plain          # the patched tree built without
#                                    # libvqnotify (--disable-vqnotify)
#   scripts/qemu.sh --src            # prints the patched source tree's path
#   scripts/qemu.sh --checkpatch     # QEMU's checkpatch.pl on every patch
#
# Source: `apt-get source --download-only qemu=<version>` through a private
# APT_CONFIG (its own sources list with deb-src entries, lists and cache under
# the cache directory: /etc/apt and the host's apt state are never touched),
# then `dpkg-source -x` (Debian's own patches), then ours with `patch -p1` in
# the order of integrations/qemu/series.  Build deps: scripts/deps.sh.
#
# Cache: ${VQNOTIFY_CACHE:-${XDG_CACHE_HOME:-~/.cache}/vqnotify}/qemu/
#   apt/                          private apt state and downloaded source
#   <srcver>-<key>/src            the unpacked, patched tree
#   <srcver>-<key>/build          meson build tree; qemu-system-x86_64 there
#   <srcver>-<key>/build.log      configure and build log
#   <srcver>-<key>/build-plain    --plain's build tree, its log build-plain.log
#   ccache/                       compiler cache (a new key recompiles little)
# <key> is the first 12 hex digits of sha256 over this script, the patches,
# the series, the devices file and libvqnotify's sources: changing any of
# them builds again, and only the first run pays.
#
# Knobs: VQNOTIFY_JOBS (default nproc), VQNOTIFY_QEMU_VERBOSE=1 (stream the
# build log to stderr), VQNOTIFY_DEBIAN_MIRROR (default deb.debian.org).
set -eu -o pipefail

exec 3>&1 1>&2

# log, die and run: lib.sh's; progress to build.log too once there is one.
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
VQN_TAG=qemu VQN_VERBOSE=${VQNOTIFY_QEMU_VERBOSE:-0} VQN_BUILD_LOG=
. "$VQN_SCRIPTS/lib.sh"

here=$VQN_SCRIPTS
top=$(cd "$here/.." && pwd)
patchdir=$top/integrations/qemu
devices=$patchdir/vqnotify-devices.mak
jobs=${VQNOTIFY_JOBS:-$(nproc)}
mirror=${VQNOTIFY_DEBIAN_MIRROR:-http://deb.debian.org}

mode=patched
case ${1:-} in
--unpatched) mode=unpatched ;;
--plain) mode=plain ;;
--src) mode=src ;;
--checkpatch) mode=checkpatch ;;
"") ;;
*) die "usage: $0 [--unpatched|--plain|--src|--checkpatch]" ;;
esac

for tool in apt-get dpkg-source patch meson ninja gcc pkg-config flock sha256sum; do
	command -v "$tool" >/dev/null ||
		die "'$tool' not found: run scripts/deps.sh as root"
done
[ -r "$devices" ] || die "missing $devices"

# The source version of the installed binary (which may be a binNMU, +bN).
srcver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed: run scripts/deps.sh as root"
safever=$(printf '%s' "$srcver" | tr -c 'A-Za-z0-9._+-' '_')

patches=
if [ "$mode" != unpatched ] && [ -f "$patchdir/series" ]; then
	while read -r p _; do
		case $p in '' | '#'*) continue ;; esac
		[ -r "$patchdir/$p" ] || die "series names $p, which is missing"
		patches="$patches $patchdir/$p"
	done <"$patchdir/series"
fi

# What the build depends on besides the Debian source.
libsrc=
[ -z "$patches" ] ||
	libsrc=$(ls "$top"/user/lib/*.[ch] "$top"/include/uapi/linux/*.h)
# shellcheck disable=SC2086
# --src, --checkpatch and --plain name the patched build's tree.
keymode=patched
[ "$mode" = unpatched ] && keymode=unpatched
key=$( { echo "$keymode"; cat "$0" "$devices" $patches $libsrc; } |
	sha256sum | cut -c1-12)

cache=$VQN_CACHE
base=$cache/qemu
mkdir -p "$base" || die "cannot create $base"
base=$(cd "$base" && pwd)
dir=$base/$safever-$key
src=$dir/src
build=$dir/build
bin=$build/qemu-system-x86_64
plain=$dir/build-plain

exec 9>"$base/.lock"
if ! flock -n 9; then
	log "another build holds $base/.lock, waiting"
	flock 9
fi

# Only what the rig needs (see the .mak file); with or without libvqnotify.
configure() { # configure BUILD-DIR [OPTION]
	mkdir -p "$1"
	run "configure${2:+ $2}" sh -c 'cd "$1" && shift && exec "$@"' sh "$1" \
		"$src/configure" --target-list=x86_64-softmmu \
		--without-default-features --without-default-devices \
		--with-devices-x86_64=vqnotify \
		--enable-kvm --enable-tcg --enable-vhost-kernel \
		--enable-vhost-net --enable-fdt=system --enable-slirp \
		--enable-trace-backends=log --disable-docs --disable-werror \
		${2:+"$2"}
}

# --plain: the patched tree as a build without libvqnotify makes it, from
# the same source next to the patched build; ccache hits every object the
# library does not change, so it takes a few minutes of one core. The
# nested test migrates into it (a vqnotify source's stream must load).
build_plain() {
	[ -f "$dir/.complete-plain" ] && [ -x "$plain/qemu-system-x86_64" ] &&
		return
	rm -rf "$plain"
	VQN_BUILD_LOG=$dir/build-plain.log
	: >"$VQN_BUILD_LOG"
	_t0=$(date +%s)
	configure "$plain" --disable-vqnotify
	run "ninja -j$jobs (plain)" ninja -C "$plain" -j"$jobs" \
		qemu-system-x86_64
	[ -x "$plain/qemu-system-x86_64" ] ||
		die "no $plain/qemu-system-x86_64 after the build"
	touch "$dir/.complete-plain"
	log "built $plain/qemu-system-x86_64 in $(($(date +%s) - _t0)) s"
}

# The answer: the binary's path, the tree's, or QEMU's checkpatch.pl (run
# from the top of the patched tree, as it insists) on each patch.
finish() {
	case $mode in
	src) echo "$src" >&3 ;;
	plain)
		build_plain
		echo "$plain/qemu-system-x86_64" >&3 ;;
	checkpatch)
		_st=0
		for _p in $patches; do
			_ok=1
			_out=$(cd "$src" && perl scripts/checkpatch.pl "$_p" 2>&1) ||
				_ok=0 _st=1
			printf '%s: %s\n' "${_p##*/}" "$(printf '%s\n' "$_out" |
				grep '^total:')" >&3
			# The whole report of a patch that failed, and only of it.
			[ $_ok = 1 ] || printf '%s\n' "$_out" >&3
		done
		exit $_st ;;
	*) echo "$bin" >&3 ;;
	esac
	exit 0
}

if command -v ccache >/dev/null; then
	export CCACHE_DIR=$base/ccache CCACHE_BASEDIR=$base CCACHE_NOHASHDIR=1
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}
	export PATH=/usr/lib/ccache:$PATH
fi
unset MAKEFLAGS MFLAGS MAKELEVEL

if [ -f "$dir/.complete" ] && [ -x "$bin" ]; then
	touch "$dir/.used"
	log "reusing $dir"
	finish
fi

rm -rf "$dir"
mkdir -p "$dir"
VQN_BUILD_LOG=$dir/build.log
: >"$VQN_BUILD_LOG"
t0=$(date +%s)
[ -z "${CCACHE_DIR:-}" ] || log "using ccache in $CCACHE_DIR"

# 1. Debian's source package, once per version, with a private apt config.
apt=$base/apt
dsc=$apt/src/qemu_${srcver#*:}.dsc
if [ ! -f "$apt/src/.complete-$safever" ]; then
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/src"
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	cat >"$apt/sources.list" <<-EOF
	deb-src $mirror/debian $suite main
	deb-src $mirror/debian $suite-updates main
	deb-src $mirror/debian-security $suite-security main
	EOF
	cat >"$apt/apt.conf" <<-EOF
	Dir::Etc::SourceList "$apt/sources.list";
	Dir::Etc::SourceParts "/dev/null";
	Dir::State::Lists "$apt/lists";
	Dir::Cache "$apt/cache";
	Dir::Cache::pkgcache "";
	Dir::Cache::srcpkgcache "";
	APT::Sandbox::User "root";
	EOF
	export APT_CONFIG=$apt/apt.conf
	run "apt-get update (private lists in $apt)" apt-get update
	run "apt-get source qemu=$srcver" sh -c \
		'cd "$1" && apt-get source --download-only -qq "qemu=$2"' \
		sh "$apt/src" "$srcver"
	unset APT_CONFIG
	[ -f "$dsc" ] || die "no $dsc after apt-get source"
	touch "$apt/src/.complete-$safever"
fi

# 2. Unpack (Debian's patches are applied by dpkg-source), then ours.
run "dpkg-source -x $(basename "$dsc")" dpkg-source --no-check -x "$dsc" "$src"
for p in $patches; do
	run "patch $(basename "$p")" patch -d "$src" -p1 --batch --forward \
		-i "$p"
done
cp "$devices" "$src/configs/devices/x86_64-softmmu/vqnotify.mak"

# 3. libvqnotify, static, installed into the cache (the tree's build/ is the
# caller's); QEMU finds it with pkg-config. Without the .so, -lvqnotify is
# the static library and the binary needs nothing more at run time.
vqnopt=
if [ -n "$patches" ]; then
	run "libvqnotify" make -C "$top/user" O="$dir/user" PREFIX="$dir/vqn" \
		LIBDIR="$dir/vqn/lib" install
	rm -f "$dir/vqn/lib"/libvqnotify.so*
	export PKG_CONFIG_PATH=$dir/vqn/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	vqnopt=--enable-vqnotify
fi

# 4. Configure and build.
configure "$build" "$vqnopt"
run "ninja -j$jobs" ninja -C "$build" -j"$jobs" qemu-system-x86_64
[ -x "$bin" ] || die "no $bin after the build"
touch "$dir/.complete" "$dir/.used"
log "built $bin in $(($(date +%s) - t0)) s"

# Drop other builds nobody used for 14 days (~0.7 GiB each).
find "$base" -mindepth 2 -maxdepth 2 -name .used -mtime +14 -printf '%h\n' \
	2>/dev/null | while IFS= read -r old; do
	[ "$old" = "$dir" ] && continue
	log "removing unused $old"
	rm -rf -- "$old"
done

finish
