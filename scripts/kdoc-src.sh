#!/bin/sh
# kdoc-src.sh: print a directory holding the kernel's kernel-doc tooling,
# extracted once from Debian's linux-source-6.12 into the cache:
# scripts/kernel-doc and the Sphinx extension Documentation/sphinx/
# kerneldoc.py (with kernellog.py). Documentation/conf.py runs it, so that
# `make docs` renders the kernel-doc of the uAPI header and of the module
# (`.. kernel-doc::` directives) with the kernel's own tools; nothing of the
# kernel is copied into this tree.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"

ver=$(pkg_version linux-source-6.12)
[ -n "$ver" ] || die "linux-source-6.12 is not installed: run scripts/deps.sh"
dir=$VQN_CACHE/kdoc/$(printf '%s' "$ver" | tr -c 'A-Za-z0-9._+-' '_')
if [ ! -e "$dir/.complete" ]; then
	with_lock "$VQN_CACHE/kdoc.lock" sh -c '
		. "$0"
		[ -e "$1/.complete" ] && exit 0
		ksrc_extract "$1" scripts/kernel-doc \
			Documentation/sphinx/kerneldoc.py \
			Documentation/sphinx/kernellog.py
		touch "$1/.complete"
	' "$VQN_LIB" "$dir" >&2 || exit 1
fi
echo "$dir"
