#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kbuild.sh KDIR OUT [MAKE ARGS...]: build the module against the kernel
# build tree KDIR in OUT, a copy of the module's sources (Kbuild, Kconfig,
# $KMOD/*.[ch] as OUT/kmod, the uAPI header), so that no object is ever
# written into the source tree. Kernels before 6.13 have no MO= (a separate
# output directory for external modules) and the rig builds for 6.1 and
# 6.12: a copy works with every kernel. Files are copied only when they
# differ, so Kbuild rebuilds only what changed; OUT/vqnotify.ko is the
# result. MAKE ARGS go to kbuild (default: modules), e.g. C=2.
# Environment: KMOD (default kmod/), VQN_WERROR=1 (the project's checks:
# warnings are errors), MAKE (default make).
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)

[ $# -ge 2 ] || die "usage: $0 KDIR OUT [MAKE ARGS...]"
kdir=$1 out=$2
shift 2
[ $# -gt 0 ] || set -- modules
KMOD=${KMOD:-$TOP/kmod}
[ -f "$kdir/Makefile" ] || die "$kdir is not a kernel build tree (no Makefile)"

# copy_if_changed SRC DST: copy SRC to DST unless DST already has the same content.
copy_if_changed() {
	cmp -s "$1" "$2" 2>/dev/null && return 0
	mkdir -p "$(dirname "$2")"
	cp "$1" "$2"
}
mkdir -p "$out/kmod"
for f in Kbuild Kconfig include/uapi/linux/vqnotify.h \
	include/uapi/linux/vqnotify_netlink.h; do
	copy_if_changed "$TOP/$f" "$out/$f"
done
for f in "$KMOD"/*.[ch]; do
	[ -e "$f" ] && copy_if_changed "$f" "$out/kmod/${f##*/}"
done
# Sources removed from $KMOD go from the copy too.
for f in "$out"/kmod/*.[ch]; do
	[ -e "$f" ] && [ ! -e "$KMOD/${f##*/}" ] && [ "${f%.mod.c}" = "$f" ] && rm -f "$f"
done
exec ${MAKE:-make} -C "$kdir" M="$out" "$@"
