/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host unit tests' count: check() each expectation, then end with
 * check_summary() ("N passed, N failed"; non-zero when any failed).
 */
#ifndef _VQN_TESTS_CHECK_H
#define _VQN_TESTS_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

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

/*
 * stdout and stderr into one file from capture_begin() to capture_end(),
 * which puts their text in @out (at most @size - 1 bytes, NUL-terminated):
 * 0, or -1 when the file could not be made (capture_end() is still owed).
 */
struct capture {
	FILE *f;
	int saved[2];
};

static inline int capture_begin(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	c->f = tmpfile();
	c->saved[0] = dup(1);
	c->saved[1] = dup(2);
	if (!c->f || c->saved[0] < 0 || c->saved[1] < 0 ||
	    dup2(fileno(c->f), 1) < 0 || dup2(fileno(c->f), 2) < 0)
		return -1;
	return 0;
}

static inline char *capture_end(struct capture *c, char *out, size_t size)
{
	size_t n = 0;

	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++) {
		if (c->saved[i] >= 0) {
			dup2(c->saved[i], i + 1);
			close(c->saved[i]);
		}
	}
	if (c->f) {
		rewind(c->f);
		n = fread(out, 1, size - 1, c->f);
		fclose(c->f);
	}
	out[n] = '\0';
	return out;
}

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}

#endif /* _VQN_TESTS_CHECK_H */
