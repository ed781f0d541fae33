#!/bin/sh
# kernel-doc-strict.sh ARGS...: the kernel's scripts/kernel-doc (from
# $VQN_KERNEL_DOC, which Documentation/conf.py sets), failing when it warns,
# so that `make docs` (sphinx-build -W) fails on an undocumented member or a
# `.. kernel-doc::` directive that names nothing, as it does on its own
# warnings.
set -u
err=$(mktemp "${TMPDIR:-/tmp}/vqn-kdoc.XXXXXX")
trap 'rm -f "$err"' EXIT
perl "$VQN_KERNEL_DOC" "$@" 2>"$err"
st=$?
if [ -s "$err" ]; then
	cat "$err" >&2
	exit 1
fi
exit $st
