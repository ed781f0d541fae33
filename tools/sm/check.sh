#!/bin/sh
# check.sh check|fuzz: run by tools/sm/Makefile (which sets OUT, ENGINE,
# SEED and FUZZ_SECONDS).
#
# check: the unit tests, then a short fuzz run without a corpus, so that
#        the seed alone reproduces it; prints TAP and ends with
#        "N passed, N failed" (each unit test, plus the fuzz run).
# fuzz:  a longer run that keeps its corpus in $OUT/corpus.
# Exits non-zero when anything failed.
set -u
mode=${1:-check}
OUT=${OUT:?}
ENGINE=${ENGINE:-libfuzzer}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
if [ -z "${SEED:-}" ]; then
	SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	SEED=$((SEED % 2147483647 + 1))
fi
mkdir -p "$OUT/artifacts"

indent() { sed 's/^/    /'; }

# stat NAME FILE: a libFuzzer final statistic (-print_final_stats=1)
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

# libFuzzer feeds the operands of comparisons back into its mutations, and
# the state machine compares pointers (list_empty()), whose values vary
# from run to run (address randomisation, libFuzzer's own threads): without
# that feedback, a seed replays the same run.
FUZZ="$OUT/sm_fuzz -use_cmp=0"

# run_fuzz LOG [CORPUS]: returns the fuzzer's exit status
run_fuzz() {
	_log=$1
	shift
	echo "# sm_fuzz ($ENGINE): seed=$SEED, ${FUZZ_SECONDS}s$([ $# -gt 0 ] && echo ", corpus $1")"
	[ "$ENGINE" = libfuzzer ] ||
		echo "# no libFuzzer (clang, libclang-rt-14-dev): seeded random inputs, same checks"
	$FUZZ -seed="$SEED" -max_total_time="$FUZZ_SECONDS" \
		-print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$OUT/artifacts/" "$@" >"$_log" 2>&1
}

# fuzz_report LOG STATUS NUMBER: one TAP line and how to reproduce
fuzz_report() {
	_runs=$(stat number_of_executed_units "$1")
	_rate=$(stat average_exec_per_sec "$1")
	_what="sm_fuzz: $ENGINE seed=$SEED ${FUZZ_SECONDS}s ${_runs:-?} runs ${_rate:-?} exec/s"
	if [ "$2" -eq 0 ] && [ -n "$_runs" ]; then
		echo "ok $3 $_what"
		# Replays only from the same starting corpus: none in check.
		[ "$mode" = check ] &&
			echo "# reproduce: $FUZZ -seed=$SEED -runs=$_runs"
		return 0
	fi
	tail -n 60 "$1" | indent
	echo "not ok $3 $_what"
	_crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$1" | tail -n 1)
	if [ -n "$_crash" ]; then
		echo "# reproduce: SM_FUZZ_VERBOSE=1 $OUT/sm_fuzz $_crash"
	else
		echo "# reproduce: $FUZZ -seed=$SEED -max_total_time=$FUZZ_SECONDS"
	fi
	echo "# log: $1"
	return 1
}

case $mode in
check)
	echo "TAP version 13"
	echo "1..2"
	"$OUT/sm_unit" >"$OUT/sm_unit.log" 2>&1
	ust=$?
	indent <"$OUT/sm_unit.log"
	# kselftest.h: "# Totals: pass:N fail:N xfail:N xpass:N skip:N error:N"
	totals=$(sed -n 's/^# Totals: //p' "$OUT/sm_unit.log" | tail -n 1)
	up=$(echo "$totals" | sed -n 's/^pass:\([0-9]*\) .*/\1/p')
	uf=$(echo "$totals" | sed -n 's/^pass:[0-9]* fail:\([0-9]*\) .*/\1/p')
	up=${up:-0} uf=${uf:-0}
	# No totals, or none passed: the run ended early, whatever its status.
	[ "$up" -eq 0 ] && [ "$ust" -eq 0 ] && ust=1
	[ "$ust" -ne 0 ] && [ "$uf" -eq 0 ] && uf=1
	if [ "$ust" -eq 0 ]; then
		echo "ok 1 sm_unit: $up passed, $uf failed"
	else
		echo "not ok 1 sm_unit: $up passed, $uf failed"
	fi

	run_fuzz "$OUT/sm_fuzz-check.log"
	fst=$?
	fuzz_report "$OUT/sm_fuzz-check.log" "$fst" 2
	fp=0 ff=0
	if [ "$fst" -eq 0 ]; then fp=1; else ff=1; fi

	echo "$((up + fp)) passed, $((uf + ff)) failed"
	[ "$ust" -eq 0 ] && [ "$fst" -eq 0 ]
	;;
fuzz)
	mkdir -p "$OUT/corpus"
	run_fuzz "$OUT/sm_fuzz-fuzz.log" "$OUT/corpus"
	fst=$?
	fuzz_report "$OUT/sm_fuzz-fuzz.log" "$fst" 1
	echo "# corpus: $(find "$OUT/corpus" -type f | wc -l) inputs in $OUT/corpus"
	[ "$fst" -eq 0 ]
	;;
*)
	echo "usage: $0 check|fuzz" >&2
	exit 2
	;;
esac
