/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guard bytes after a structure the module or libvqnotify fills: the
 * buffer is filled with VQN_GUARD first, and no byte past the size the
 * caller passed may change. No uAPI header: the tests built against API
 * 1's (selftests/abi-v1) use it too.
 */
#ifndef VQN_GUARD_H
#define VQN_GUARD_H

#include <stddef.h>

#define VQN_GUARD	0xa5

/* The first byte of @buf from @from on that is not VQN_GUARD, or @len. */
static inline size_t vqn_guard_written_past(const void *buf, size_t from,
					    size_t len)
{
	const unsigned char *b = buf;

	while (from < len && b[from] == VQN_GUARD)
		from++;
	return from;
}

#endif /* VQN_GUARD_H */
