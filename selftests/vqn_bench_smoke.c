// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_bench_smoke: bench/vqn_bench.c in its smoke mode (VQN_BENCH_SMOKE=1:
 * every figure, a few trials, a few guests: seconds), so that `make check`
 * runs the bench program and it cannot rot. It fails when the program fails
 * (a call errs, a figure's transitions are not the expected ones), never
 * because a target is missed: smoke figures are not figures to quote.
 */
#define VQN_BENCH_SMOKE_DEFAULT 1
#include "../bench/vqn_bench.c"
