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

ksrc_cached kdoc scripts/kernel-doc Documentation/sphinx/kerneldoc.py \
	Documentation/sphinx/kernellog.py
