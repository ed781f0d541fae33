#!/bin/sh
# Print an include directory holding kselftest_harness.h and kselftest.h,
# taken from Debian's linux-source-6.12 (extracted once, then cached).
set -eu
VQN_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
. "$VQN_SCRIPTS/lib.sh"

dir=$(ksrc_files)
echo "$dir/tools/testing/selftests"
