/* SPDX-License-Identifier: GPL-2.0 */
/*
 * malloc() and calloc() failed on demand, for the tests that link
 * libvqnotify in with -Wl,--wrap=malloc -Wl,--wrap=calloc
 * (selftests/Makefile): while fail_malloc_size is not 0, the first
 * malloc() of exactly that many bytes fails with ENOMEM (and clears it).
 * max_malloc_size records the largest block asked for since the test last
 * cleared it. While fail_calloc is set, every calloc() fails with ENOMEM;
 * calloc_calls counts them all.
 */
#ifndef VQN_MALLOC_WRAP_H
#define VQN_MALLOC_WRAP_H

#include <errno.h>
#include <stdbool.h>
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

static bool fail_calloc;
static unsigned int calloc_calls;
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

void *__wrap_calloc(size_t n, size_t size)
{
	calloc_calls++;
	if (fail_calloc) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

#endif /* VQN_MALLOC_WRAP_H */
