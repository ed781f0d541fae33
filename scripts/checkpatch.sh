#!/bin/sh
# checkpatch.sh FILE...: run the kernel's checkpatch.pl (from Debian's
# linux-source-6.12, extracted once into the cache with its data files)
# with --strict over whole files. Prints every finding; exits non-zero when
# there is any.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"

[ $# -ge 1 ] || die "usage: $0 FILE..."
dir=$(ksrc_files)
# checkpatch judges by path (e.g. BIT() is not asked of include/uapi/):
# name files relative to the top of the repo.
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)
for f in "$@"; do
	f=$(realpath -ms -- "$f")
	shift
	set -- "$@" "${f#"$TOP"/}"
done
cd "$TOP"
# GIT_DIR: else checkpatch leaves a .checkpatch-camelcase.git.* cache here.
out=$(GIT_DIR=/nonexistent perl "$dir/scripts/checkpatch.pl" --strict --no-tree --show-types -q \
	--file "$@" 2>&1) && st=0 || st=$?
[ -z "$out" ] && [ $st -eq 0 ] && exit 0
printf '%s\n' "$out"
exit 1
