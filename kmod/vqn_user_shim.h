/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's headers for the pure files, vqn_sm.c and
 * vqn_pool_line.c, to build, unchanged, in userspace (unit tests and
 * fuzzing under tools/sm/). vqn_sm.h and vqn_pool_line.h include it when
 * __KERNEL__ is not defined.
 *
 * Build with -I <top>/include -I <top>/include/uapi so that
 * <uapi/linux/vqnotify.h> and the <linux/vqnotify_netlink.h> it includes
 * resolve; it takes <linux/types.h> and <linux/ioctl.h> from linux-libc-dev.
 */
#ifndef _VQN_USER_SHIM_H
#define _VQN_USER_SHIM_H

#ifdef __KERNEL__
#error "vqn_user_shim.h is for userspace builds only"
#endif

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#define U32_MAX		((u32)~0U)

/* errno values the state machine returns; glibc's errno.h has them all. */
#ifndef EUCLEAN
#define EUCLEAN		117
#endif

#define BITS_PER_LONG		(sizeof(long) * CHAR_BIT)
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)		(1UL << ((nr) % BITS_PER_LONG))
#define BITS_TO_LONGS(nr)	(((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[BIT_WORD(nr)] & BIT_MASK(nr);
}

static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

/* The lowest set bit of @word, which is not 0. */
static inline unsigned long __ffs(unsigned long word)
{
	return __builtin_ctzl(word);
}

/* The first set bit of @addr at or after @start, or @size. */
static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long start)
{
	unsigned long w;

	if (start >= size)
		return size;
	w = addr[BIT_WORD(start)] & (~0UL << (start % BITS_PER_LONG));
	for (;;) {
		if (w) {
			start = BIT_WORD(start) * BITS_PER_LONG +
				__builtin_ctzl(w);
			return start < size ? start : size;
		}
		start = (BIT_WORD(start) + 1) * BITS_PER_LONG;
		if (start >= size)
			return size;
		w = addr[BIT_WORD(start)];
	}
}

/* for_each_set_bit() over a u32 @bit, naming each argument once. */
struct vqn_bit_iter {
	const unsigned long *addr;
	unsigned long size;
	unsigned long next;
	u32 *bit;
};

static inline struct vqn_bit_iter
vqn_bit_iter_init(const unsigned long *addr, unsigned long size, u32 *bit)
{
	struct vqn_bit_iter it = { .addr = addr, .size = size, .bit = bit };

	return it;
}

static inline bool vqn_bit_iter_next(struct vqn_bit_iter *it)
{
	it->next = find_next_bit(it->addr, it->size, it->next);
	if (it->next >= it->size)
		return false;
	*it->bit = it->next++;
	return true;
}

#define for_each_set_bit(bit, addr, size)				\
	for (struct vqn_bit_iter __bit =				\
		vqn_bit_iter_init((addr), (size), &(bit));		\
	     vqn_bit_iter_next(&__bit);)

/* Type-checked like the kernel's: comparing different types warns. */
#define min(x, y) ({				\
	typeof(x) _min1 = (x);			\
	typeof(y) _min2 = (y);			\
	(void)(&_min1 == &_min2);		\
	_min1 < _min2 ? _min1 : _min2; })

#define max(x, y) ({				\
	typeof(x) _max1 = (x);			\
	typeof(y) _max2 = (y);			\
	(void)(&_max1 == &_max2);		\
	_max1 > _max2 ? _max1 : _max2; })

/* A warning the tests can see: counted, and printed once per site. */
extern unsigned long vqn_shim_warnings;

#define WARN_ON(cond) ({						\
	int _ret = !!(cond);						\
	if (_ret) {							\
		vqn_shim_warnings++;					\
		fprintf(stderr, "WARNING: %s:%d: %s\n",			\
			__FILE__, __LINE__, #cond);			\
	}								\
	_ret; })
#define WARN_ON_ONCE(cond)	WARN_ON(cond)

/* One thread, nothing to read concurrently: plain accesses. */
#define READ_ONCE(x)		(x)
#define WRITE_ONCE(x, val)	((x) = (val))

/* Without the kernel's type check, which checkpatch would flag here. */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	prev->next = new;
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void list_del_init(struct list_head *entry)
{
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
	INIT_LIST_HEAD(entry);
}

static inline void list_move(struct list_head *entry, struct list_head *head)
{
	list_del_init(entry);
	list_add(entry, head);
}

static inline void list_move_tail(struct list_head *entry,
				  struct list_head *head)
{
	list_del_init(entry);
	list_add_tail(entry, head);
}

static inline int list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)

#define list_first_entry(ptr, type, member) \
	list_entry((ptr)->next, type, member)

#define list_last_entry(ptr, type, member) \
	list_entry((ptr)->prev, type, member)

/*
 * list_for_each_entry() walks with an iterator that stores each entry
 * through a pointer to @pos, so that the macro names each argument once.
 */
struct vqn_list_iter {
	const struct list_head *head;
	const struct list_head *cur;
	size_t offset;
	void **pos;
	bool reverse;
};

static inline struct vqn_list_iter
vqn_list_iter_init(const struct list_head *head, void **pos, size_t offset,
		   bool reverse)
{
	struct vqn_list_iter it = {
		.head = head,
		.cur = head,
		.offset = offset,
		.pos = pos,
		.reverse = reverse,
	};

	return it;
}

static inline bool vqn_list_iter_next(struct vqn_list_iter *it)
{
	it->cur = it->reverse ? it->cur->prev : it->cur->next;
	if (it->cur == it->head)
		return false;
	*it->pos = (char *)it->cur - it->offset;
	return true;
}

#define vqn_list_for_each(pos, head, member, reverse)			\
	for (struct vqn_list_iter __it =				\
		vqn_list_iter_init((head), (void **)&(pos),		\
				   offsetof(typeof(*(typeof(pos))0), member), \
				   (reverse));				\
	     vqn_list_iter_next(&__it);)

#define list_for_each_entry(pos, head, member)				\
	vqn_list_for_each(pos, head, member, false)

#define list_for_each_entry_reverse(pos, head, member)			\
	vqn_list_for_each(pos, head, member, true)

#endif /* _VQN_USER_SHIM_H */
