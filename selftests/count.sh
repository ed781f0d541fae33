#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# count.sh [BUILD]: what the selftests check, to compare two trees (issue
# 14: no test may lose an assertion). After `make selftests`, run from the
# top of the tree: selftests/count.sh [build].
#
# cases    per binary, what the harness would run: per fixture, variants
#          x tests, from `BINARY -l` (the same as its TAP plan 1..N)
# asserts  per selftests/*.[ch], ASSERT_*/EXPECT_* uses and test_cmd_*/
#          test_err_* calls, #define lines left out
# checks   the same plus CHECK_COUNTS and test_check_guest, with the
#          toolkit's combined expectations weighted by what they check:
#          EXPECT_GUEST 7 (GUEST_GET, used, assigned, offlimits, waiting,
#          host delta, counts), EXPECT_WAITING 3, EXPECT_MOVED 2
# The last line sums them.
BUILD=${1:-build}
cases=0
for b in "$BUILD"/selftests/*; do
	[ -x "$b" ] || continue
	n=$("$b" -l 2>&1 | awk '
		function flush() { if (t) n += (v ? v : 1) * t; v = t = 0 }
		/^----/ { flush(); next }
		/^# FIXTURE/ { next }
		{
			var = substr($0, 22, 25); tst = substr($0, 48)
			gsub(/ /, "", var); gsub(/ /, "", tst)
			if (var != "") v++
			if (tst != "") t++
		}
		END { flush(); print n + 0 }')
	printf 'cases   %-28s %5s\n' "$(basename "$b")" "$n"
	cases=$((cases + n))
done
asserts=0 checks=0
for f in selftests/*.c selftests/*.h; do
	src=$(grep -vE '^[[:space:]]*#[[:space:]]*define' "$f")
	n=$(printf '%s\n' "$src" | grep -oE \
		'\b(ASSERT|EXPECT)_[A-Z0-9_]+\(|\btest_(cmd|err)_[a-z0-9_]+\(' |
		wc -l)
	c=$(printf '%s\n' "$src" | grep -oE \
		'\b(ASSERT|EXPECT)_[A-Z0-9_]+\(|\btest_(cmd|err)_[a-z0-9_]+\(|\bCHECK_COUNTS\(|\btest_check_guest\(' |
		awk '/^EXPECT_GUEST\(/ { n += 7; next }
		     /^EXPECT_WAITING\(/ { n += 3; next }
		     /^EXPECT_MOVED\(/ { n += 2; next }
		     { n++ } END { print n + 0 }')
	printf 'asserts %-28s %5s  checks %5s\n' "$(basename "$f")" "$n" "$c"
	asserts=$((asserts + n)) checks=$((checks + c))
done
echo "total: $cases cases, $asserts assertions, $checks checks"
