/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host unit tests' count: check() each expectation, then end with
 * check_summary() ("N passed, N failed"; non-zero when any failed).
 */
#ifndef _VQN_TESTS_CHECK_H
#define _VQN_TESTS_CHECK_H

#include <stdbool.h>
#include <stdio.h>

static int passed, failed;

static inline void check(bool ok, const char *what)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s\n", what);
}

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}

#endif /* _VQN_TESTS_CHECK_H */
