#!/bin/sh
# sparse.sh [NAME]: build the module with C=2 (sparse over every file)
# against kernel NAME's headers (default 6.1, see kernel.sh), in
# $BUILD/sparse-NAME. Fails on any sparse (or compiler) warning or error.
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"
TOP=$(cd "$VQN_SCRIPTS/.." && pwd)

name=${1:-6.1}
BUILD=${BUILD:-$TOP/build}
KMOD=${KMOD:-$TOP/kmod}
export KMOD
command -v sparse >/dev/null || die "sparse missing: run scripts/deps.sh"
kenv=$("$VQN_SCRIPTS/kernel.sh" "$name") || exit 1
eval "$kenv"

work=$BUILD/sparse-$name
rm -rf "$work"
mkdir -p "$work"

st=0
VQN_WERROR=1 "$VQN_SCRIPTS/kbuild.sh" "$KDIR" "$work/module" C=2 modules \
	>"$work/sparse.log" 2>&1 || st=$?
if [ $st -ne 0 ] || grep -qE '(warning|error):' "$work/sparse.log"; then
	grep -E '(warning|error):' "$work/sparse.log" || tail -n 30 "$work/sparse.log"
	echo "sparse: FAIL against $KVER (log: $work/sparse.log)"
	exit 1
fi
echo "sparse: clean against $KVER"
