#!/bin/sh
# check-sizes.sh [MODULE_BUILD_DIR]: the structs whose size is memory per
# guest or per queue stay within the size make bench's targets were met
# with, as built against Debian's 6.1 (default: the sparse build,
# $BUILD/sparse-6.1/module), read with pahole from its DWARF:
#   struct vqn_kguest  <= 512 bytes: a kmalloc-512 object; 528 bytes made
#                      it a kmalloc-1k one, 500 B more per guest, unseen
#                      for a session (Documentation/performance.rst);
#   struct vqn_vq      <= 16 bytes: a queue's state (mem_per_queue_1024).
# Exits non-zero, saying which, when one is bigger.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
BUILD=${BUILD:-$TOP/build}
ko=${1:-$BUILD/sparse-6.1/module}/vqnotify.ko
[ -f "$ko" ] || die "$ko missing: build the module first (make sparse)"
command -v pahole >/dev/null || die "pahole missing: run scripts/deps.sh"

st=0
for limit in vqn_kguest:512 vqn_vq:16; do
	name=${limit%%:*} max=${limit#*:}
	size=$(pahole -F dwarf -C "$name" "$ko" 2>/dev/null |
		sed -n 's/.*\/\* size: \([0-9]*\),.*/\1/p' | head -n 1)
	if [ -z "$size" ]; then
		echo "check-sizes: no struct $name in $ko"
		st=1
	elif [ "$size" -gt "$max" ]; then
		echo "check-sizes: struct $name is $size bytes, more than $max"
		st=1
	else
		echo "  struct $name: $size bytes (at most $max)"
	fi
done
[ $st -eq 0 ] && echo "check-sizes: every struct within its size"
exit $st
