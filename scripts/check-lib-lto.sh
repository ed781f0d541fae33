#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check-lib-lto.sh: libvqnotify built with link-time optimisation, in as
# many partitions as it has functions (the most a distribution's LTO build
# flags could split it into), into $BUILD/lib-lto: it links, and exports
# every symbol version of libvqnotify.map. Its versions were once set by
# a .symver in a top-level asm, which LTO puts into one partition, away
# from the function it names: GCC then failed to assemble it. A program's
# side (libvqnotify.h with API 1's uAPI header) is vqn_lib_api1_hdr_test's,
# built so too. Host only.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
BUILD=${BUILD:-$TOP/build}
out=$BUILD/lib-lto
so=$out/libvqnotify.so.1

rm -rf "$out"
make -s --no-print-directory -C "$TOP/user" O="$out" \
	CFLAGS="-O2 -flto=auto -flto-partition=max" "$so" ||
	{ echo "lib-lto: FAIL: libvqnotify.so.1 did not build with -flto"; exit 1; }
missing=$(lib_versions_missing "$so" "$TOP/user/lib/libvqnotify.map") ||
	{ echo "lib-lto: FAIL: no symbols read from libvqnotify.map"; exit 1; }
if [ -n "$missing" ]; then
	echo "lib-lto: FAIL: libvqnotify.so.1 built with -flto does not export:" $missing
	exit 1
fi
echo "lib-lto: libvqnotify.so.1 built with -flto exports the symbol versions of libvqnotify.map"
