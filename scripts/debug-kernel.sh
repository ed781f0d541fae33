#!/bin/bash
# Build, or reuse from the cache, the small debug kernel (KASAN, lockdep,
# kmemleak, UBSAN, KUnit, failslab) that the VM rig boots as its debug kernel.
#
#   eval "$(scripts/debug-kernel.sh)"
#
# stdout is exactly one line of shell assignments:
#   KVER=<kernelrelease> VMLINUZ=<bzImage> KDIR=<tree for make -C $KDIR M=...>
#   MODDIR=<installed lib/modules/$KVER>
# Everything else goes to stderr and to build.log in the cache directory.
#
# Source: Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz, from
# scripts/deps.sh), extracted once per package version.  Config: allnoconfig
# + scripts/debug.config, every requested option checked after olddefconfig.
# Cache: ${VQNOTIFY_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vqnotify}/debug-kernel/
#   src/<source-version>/                  the extracted tree (shared)
#   <source-version>-<key>/build/          O= build tree, i.e. KDIR
#   <source-version>-<key>/mods/lib/modules/<KVER>/   MODDIR
#   <source-version>-<key>/build.log, env  log, and the line printed above
#   ccache/                                compiler cache, if ccache is there
# <key> is the first 12 hex digits of sha256(debug.config + this script), so
# editing either builds a new kernel and only the first run pays.
#
# Knobs: VQNOTIFY_DEBUG_KERNEL_SERIES (default 6.12; 6.1 stops at the option
# check: its x86_64 has no FAULT_INJECTION_STACKTRACE_FILTER),
# VQNOTIFY_DEBUG_KERNEL_VERBOSE=1 (stream the kernel build log to stderr),
# VQNOTIFY_JOBS (default: nproc).
set -eu -o pipefail

# stdout is reserved for the final assignments: everything else to stderr.
exec 3>&1 1>&2

# log, die and run: lib.sh's; progress to build.log too once there is one.
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
VQN_TAG=debug-kernel VQN_VERBOSE=${VQNOTIFY_DEBUG_KERNEL_VERBOSE:-0} VQN_BUILD_LOG=
. "$VQN_SCRIPTS/lib.sh"

here=$VQN_SCRIPTS
fragment=$here/debug.config
script=$here/$(basename "$0")
series=${VQNOTIFY_DEBUG_KERNEL_SERIES:-6.12}
tarball=/usr/src/linux-source-$series.tar.xz
jobs=${VQNOTIFY_JOBS:-$(nproc)}

[ -r "$fragment" ] || die "missing config fragment $fragment"
[ -r "$tarball" ] ||
	die "$tarball not found: install linux-source-$series (scripts/deps.sh installs 6.12's)"
for tool in make gcc tar xz flock depmod bc flex bison sha256sum; do
	command -v "$tool" >/dev/null ||
		die "'$tool' not found: run scripts/deps.sh as root"
done

# The source version names the extracted tree; keep it make- and path-safe
# (Debian versions carry '~' and may carry ':').
if pkgver=$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null) &&
	[ -n "$pkgver" ]; then
	srcver=$(printf '%s' "$pkgver" | tr -c 'A-Za-z0-9._+-' '_')
else
	srcver=$series-$(sha256sum "$tarball" | cut -c1-12)
fi
key=$(cat "$fragment" "$script" | sha256sum | cut -c1-12)

cache=$VQN_CACHE
base=$cache/debug-kernel
src=$base/src/$srcver
dir=$base/$srcver-$key
build=$dir/build
mods=$dir/mods
VQN_BUILD_LOG=$dir/build.log

mkdir -p "$base/src" "$dir" || die "cannot create $dir"
base=$(cd "$base" && pwd)
src=$base/src/$srcver dir=$base/$srcver-$key
build=$dir/build mods=$dir/mods VQN_BUILD_LOG=$dir/build.log

# One builder at a time (parallel `make check` runs, other worktrees).
exec 9>"$base/.lock"
if ! flock -n 9; then
	log "another build holds $base/.lock, waiting"
	flock 9
fi

# Fast path: a finished build for this source version and key, with the
# source tree it points into (KDIR's Makefile includes $src/Makefile).
if [ -f "$dir/env" ]; then
	# shellcheck disable=SC1091,SC2153
	if [ -f "$src/.extracted" ] && (. "$dir/env" && [ -f "$VMLINUZ" ] &&
		[ -f "$KDIR/Module.symvers" ] && [ -d "$MODDIR" ]); then
		touch "$dir/.used" "$src/.used"
		log "reusing $dir"
		cat "$dir/env" >&3
		exit 0
	fi
	log "$dir is incomplete (files removed?): building again"
	rm -f "$dir/env"
fi

t0=$(date +%s)
: >>"$VQN_BUILD_LOG"
log "building the debug kernel from linux-source-$series $pkgver into $dir"
log "(first run only: ~10 CPU-minutes of compiling, ~2 min when ccache has" \
	"this .config already; log: $VQN_BUILD_LOG)"

# A stray kernel-build variable from a calling make or the environment would
# change what is built (ARCH, LOCALVERSION, O=, M=...): start clean.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS ARCH SRCARCH \
	CROSS_COMPILE LOCALVERSION KBUILD_OUTPUT KBUILD_EXTMOD KCONFIG_CONFIG \
	KCFLAGS KCPPFLAGS KAFLAGS KRUSTFLAGS INSTALL_MOD_PATH O M V W C
export KBUILD_BUILD_USER=vqnotify KBUILD_BUILD_HOST=debug-kernel

kmake=(make -C "$src" O="$build")
if command -v ccache >/dev/null; then
	# base_dir makes paths relative, so a new <key> directory with the same
	# .config still hits the cache.
	export CCACHE_DIR=$base/ccache CCACHE_BASEDIR=$base CCACHE_NOHASHDIR=1
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}
	kmake+=(CC="ccache gcc" HOSTCC="ccache gcc")
	log "using ccache in $CCACHE_DIR"
fi

# 1. Extract the source once per package version (1.3 GiB unpacked).
if [ ! -f "$src/.extracted" ]; then
	tmp=$base/src/.$srcver.tmp.$$
	rm -rf "$tmp" "$src"
	mkdir -p "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	run "extracting $tarball" tar -I 'xz -T0' -xf "$tarball" -C "$tmp"
	top=$(find "$tmp" -mindepth 1 -maxdepth 1)
	if [ "$(printf '%s\n' "$top" | wc -l)" != 1 ] || [ ! -f "$top/Makefile" ]; then
		die "unexpected layout in $tarball"
	fi
	mv "$top" "$src"
	rm -rf "$tmp"
	trap - EXIT
	touch "$src/.extracted"
fi
touch "$src/.used"

# 2. Configure: allnoconfig + fragment, then prove every request stuck.
if [ ! -f "$dir/.configured" ]; then
	mkdir -p "$build"
	extra=$dir/extra.config
	: >"$extra"
	# Before 6.9 allnoconfig leaves UBSAN_SANITIZE_ALL off and UBSAN then
	# instruments nothing; 6.9 removed the option (always on).
	if grep -q '^config UBSAN_SANITIZE_ALL' "$src/lib/Kconfig.ubsan" 2>/dev/null; then
		echo 'CONFIG_UBSAN_SANITIZE_ALL=y' >>"$extra"
	fi
	run "make allnoconfig" "${kmake[@]}" allnoconfig
	run "merging $fragment" "$src/scripts/kconfig/merge_config.sh" -m \
		-O "$build" "$build/.config" "$fragment" "$extra"
	run "make olddefconfig" "${kmake[@]}" olddefconfig

	bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			sym=${line%%=*}
			grep -qxF -- "$line" "$build/.config" && continue
			got=$(grep -E "^(# )?${sym}[= ]" "$build/.config" || echo "absent")
			log "requested $line, got: $got"
			bad=1
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			grep -qE "^$sym=" "$build/.config" || continue
			log "requested $line, got: $(grep -E "^$sym=" "$build/.config")"
			bad=1
			;;
		esac
	done < <(cat "$fragment" "$extra")
	[ "$bad" = 0 ] || die "options in $fragment did not stick (unmet dependency" \
		"or renamed symbol in $srcver); see $build/.config"
	touch "$dir/.configured"
fi

# 3. Build.  `modules` too: Module.symvers is what M= builds link against.
avail=$(df -Pk "$base" | awk 'NR == 2 { print int($4 / 1048576) }')
[ "$avail" -ge 3 ] || log "warning: only ${avail} GiB free under $base"
run "make -j$jobs bzImage modules" "${kmake[@]}" -j"$jobs" bzImage modules
kver=$(cat "$build/include/config/kernel.release")
[ -n "$kver" ] || die "empty kernel release in $build"
rm -rf "$mods"
run "make modules_install" "${kmake[@]}" modules_install INSTALL_MOD_PATH="$mods"

vmlinuz=$build/arch/x86/boot/bzImage
moddir=$mods/lib/modules/$kver
[ -f "$vmlinuz" ] || die "no $vmlinuz after the build"
[ -f "$build/Module.symvers" ] || die "no Module.symvers after the build"
[ -d "$moddir" ] || die "no $moddir after modules_install"

# 4. Record the result; env is written last and marks the build complete.
printf 'KVER=%q VMLINUZ=%q KDIR=%q MODDIR=%q\n' \
	"$kver" "$vmlinuz" "$build" "$moddir" >"$dir/env.tmp"
mv "$dir/env.tmp" "$dir/env"
touch "$dir/.used"
log "built $kver in $(($(date +%s) - t0)) s"

# Drop other builds and sources nobody used for 14 days (~1 GiB each).
find "$base" "$base/src" -mindepth 2 -maxdepth 2 -name .used -mtime +14 \
	-printf '%h\n' 2>/dev/null | while IFS= read -r old; do
	[ "$old" = "$dir" ] || [ "$old" = "$src" ] && continue
	log "removing unused $old"
	rm -rf -- "$old"
done

cat "$dir/env" >&3
