/* SPDX-License-Identifier: GPL-2.0 */
/*
 * malloc() failed on demand, for the tests that link libvqnotify in with
 * -Wl,--wrap=malloc (selftests/Makefile): while fail_malloc_size is not 0,
 * the first malloc() of exactly that many bytes fails with ENOMEM (and
 * clears it). max_malloc_size records the largest block asked for since
 * the test last cleared it.
 */
#ifndef VQN_MALLOC_WRAP_H
#define VQN_MALLOC_WRAP_H

#include <errno.h>
#include <stddef.h>

static size_t fail_malloc_size, max_malloc_size;
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);

void *__wrap_malloc(size_t n)
{
	if (n > max_malloc_size)
		max_malloc_size = n;
	if (fail_malloc_size && n == fail_malloc_size) {
		fail_malloc_size = 0;
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

#endif /* VQN_MALLOC_WRAP_H */
