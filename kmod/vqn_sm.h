/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vqnotify state machine: pure logic, no locking, no allocation.
 *
 * The caller holds the guest's lock around every call. The environment
 * (the module, or a userspace test harness) provides the vqn_env_*()
 * functions declared at the end of this file.
 */
#ifndef _VQN_SM_H
#define _VQN_SM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/limits.h>
#include <linux/bug.h>
#include <linux/bitops.h>
#include <linux/minmax.h>
#else
#include "vqn_user_shim.h"
#endif
#include <uapi/linux/vqnotify.h>

/*
 * A queue is named within its guest by a u32: its device's slot in
 * vqn_guest_sm.devs, then its index. The lists of queues link such names,
 * which keeps a queue at 16 bytes (a struct list_head and a device pointer
 * alone took 24).
 */
#define VQN_QUEUE_BITS	10	/* VQNOTIFY_MAX_QUEUES == 1 << VQN_QUEUE_BITS */
#define VQN_MAX_DEV_SLOTS	(1U << (32 - VQN_QUEUE_BITS))
#define VQN_NIL		U32_MAX	/* no queue: the end of a list */

/**
 * struct vqn_vq - one virtqueue
 * @next: the next queue on its list (VQN_NIL at the end): on
 *        vqn_guest_sm.assigned when ASSIGNED, on vqn_guest_sm.waiting when
 *        waiting for promotion, else unused
 * @prev: the previous one (VQN_NIL at the start)
 * @assign_seq: guest-wide order of the last grant (0 unless ASSIGNED;
 *              wraps, see struct vqnotify_vq_info)
 * @state: enum vqnotify_vq_state
 * @reason: enum vqnotify_reason
 * @label: enum vqnotify_label of the last transition
 * @flags: VQNOTIFY_VQ_INITIALISED | VQNOTIFY_VQ_WAITING
 */
struct vqn_vq {
	u32 next;
	u32 prev;
	u32 assign_seq;
	u8 state;
	u8 reason;
	u8 label;
	u8 flags;
};

/**
 * struct vqn_dev - one virtio device
 * @id: id within the guest
 * @status: virtio device status byte
 * @transport: enum vqnotify_transport
 * @num_queues: number of entries in @vqs
 * @slot: its entry in vqn_guest_sm.devs
 * @unnamed: no call has named it by its id since it was added (the
 *           environment's; a DEV_ADD that cannot tell its caller the id
 *           takes back only such a device)
 * @name: NUL-terminated name, owned by the environment
 * @vqs: the queues
 */
struct vqn_dev {
	u32 id;
	u32 status;
	u32 transport;
	u32 num_queues;
	u32 slot;
	bool unnamed;
	const char *name;
	struct vqn_vq vqs[];
};

/**
 * struct vqn_queues - a list of queues, linked by their names
 * @first: the first queue, VQN_NIL when empty
 * @last: the last one
 */
struct vqn_queues {
	u32 first;
	u32 last;
};

/**
 * struct vqn_guest_sm - per-guest state and accounting
 * @admin_budget: budget set by the admin (or the default)
 * @own_budget: the VMM's own limit, 0 if none
 * @vhost_reserve: slots userspace queues may not take
 * @threshold: guests whose budget is below this are limited
 * @used: slots held: ASSIGNED + OFFLIMITS queues
 * @nr_assigned: ASSIGNED queues
 * @nr_offlimits: OFFLIMITS queues
 * @nr_waiting: entries on @waiting
 * @assign_seq: last grant number handed out
 * @run_state: enum vqnotify_run_state; slots stay reserved while stopped
 * @nr_dev_slots: entries of @devs
 * @assigned: ASSIGNED queues, oldest grant first
 * @waiting: DEASSIGNED queues waiting for a slot, FIFO: refused one (the
 *           budget, the host, the quota; the guest limited) or preempted
 * @host_wait: vqn_env_host_wait() was told since vqn_env_host_unwait()
 *             last was: the guest may be in the host's line (false: it
 *             is not)
 * @devs: the guest's devices by slot, NULL for a free slot: the
 *        environment's array (it grows it before vqn_sm_dev_init() with a
 *        slot past its end, and frees it)
 * @counts: transitions by enum vqnotify_label
 */
struct vqn_guest_sm {
	u32 admin_budget;
	u32 own_budget;
	u32 vhost_reserve;
	u32 threshold;
	u32 used;
	u32 nr_assigned;
	u32 nr_offlimits;
	u32 nr_waiting;
	u32 assign_seq;
	u32 run_state;
	u32 nr_dev_slots;
	struct vqn_queues assigned;
	struct vqn_queues waiting;
	bool host_wait;
	struct vqn_dev **devs;
	u64 counts[VQNOTIFY_NR_COUNTERS];
};

/**
 * struct vqn_sink - where an entry point puts the results of its call
 * @res: the results, in the order the queues changed or were refused; NULL
 *       when the caller wants only the counts
 * @cap: entries of @res; results past it are counted, not written
 * @nr: results of the call (may exceed @cap)
 * @labels: transitions of the call by enum vqnotify_label
 * @refusals: refusals of the call (label NONE) by enum vqnotify_reason
 *
 * A result is a transition of one of the call's queues that the caller
 * asked for, or a refusal; changes it did not ask for (p, r) go to
 * vqn_env_report() as they happen. The caller zeroes the sink (but @res's
 * contents) before the call, and reads it after the state machine returns:
 * it can report the call as a whole, after dropping the guest's lock.
 */
struct vqn_sink {
	struct vqnotify_vq_result *res;
	u32 cap;
	u32 nr;
	u16 labels[VQNOTIFY_LABEL_MAX];
	u16 refusals[VQNOTIFY_REASON_MAX];
};

void vqn_sm_guest_init(struct vqn_guest_sm *g, u32 budget, u32 reserve,
		       u32 threshold);
void vqn_sm_set_limits(struct vqn_guest_sm *g, u32 admin_budget,
		       u32 own_budget, u32 reserve, u32 threshold);

/*
 * The entry points that are a call on one device put its results in @s
 * (NULL: vqn_env_report() gets them, as it gets the events: a closing
 * guest's resets).
 */
void vqn_sm_dev_init(struct vqn_guest_sm *g, struct vqn_dev *d, u32 slot);
bool vqn_sm_dev_uninit(struct vqn_guest_sm *g, struct vqn_dev *d);
void vqn_sm_set_status(struct vqn_guest_sm *g, struct vqn_dev *d,
		       u32 status, const unsigned long *ready,
		       struct vqn_sink *s);
void vqn_sm_dev_reset(struct vqn_guest_sm *g, struct vqn_dev *d,
		      struct vqn_sink *s);
void vqn_sm_dev_remove(struct vqn_guest_sm *g, struct vqn_dev *d,
		       struct vqn_sink *s);
void vqn_sm_reset(struct vqn_guest_sm *g, struct vqn_dev *d, u8 reason,
		  struct vqn_sink *s);
int vqn_sm_vhost_on(struct vqn_guest_sm *g, struct vqn_dev *d,
		    const unsigned long *queues, struct vqn_sink *s);
void vqn_sm_vhost_off(struct vqn_guest_sm *g, struct vqn_dev *d,
		      const unsigned long *queues, struct vqn_sink *s);
int vqn_sm_queues_acquire(struct vqn_guest_sm *g, struct vqn_dev *d,
			  const unsigned long *queues, struct vqn_sink *s);
int vqn_sm_queues_release(struct vqn_guest_sm *g, struct vqn_dev *d,
			  const unsigned long *queues, u8 reason,
			  bool reset, struct vqn_sink *s);
void vqn_sm_load(struct vqn_guest_sm *g, struct vqn_dev *d, u32 status,
		 const unsigned long *ready, struct vqn_sink *s);
bool vqn_sm_dev_quiescent(const struct vqn_dev *d);
void vqn_sm_promote(struct vqn_guest_sm *g);
/* vqn_sm_check.c: the invariants hold (0), or -EUCLEAN */
int vqn_sm_check(const struct vqn_guest_sm *g);

/*
 * Provided by the environment.
 *
 * vqn_env_report() is called for every transition the call did not ask
 * for (@async: (p) and (r)) and, when the entry point got no sink, for
 * every result: each transition and each queue that (b) or (q) refused
 * (then @label is VQNOTIFY_LABEL_NONE and the state did not change). The
 * queue is @d->vqs[@queue].
 *
 * vqn_env_host_take_n() takes up to @n host-wide slots at once, but none
 * rather than fewer than @least (<= @n), and returns how many it took; when
 * fewer than @n, *@reason says why the next was refused:
 * VQNOTIFY_REASON_HOST_CAP when the host cap is reached, or
 * VQNOTIFY_REASON_QUOTA when the guest's owner holds its quota of slots.
 * vqn_env_host_give_n() returns @n (> 0) at once. vqn_env_host_wait() tells
 * the environment the guest has queues waiting for a slot that @reason
 * (VQNOTIFY_REASON_HOST_CAP or VQNOTIFY_REASON_QUOTA) refused;
 * vqn_env_host_unwait() that none does any more (none waits, or what
 * they wait for is the guest's own budget, or it is limited), at the end
 * of a call of its own, or of its turn in the promotion work
 * (vqn_sm_promote()), that left it so: a guest left counted as waiting
 * for the cap would refuse other users' slots a host with room has.
 */
void vqn_env_report(struct vqn_guest_sm *g, struct vqn_dev *d, u32 queue,
		    u8 old, u8 label, bool async);
u32 vqn_env_host_take_n(struct vqn_guest_sm *g, u32 n, u32 least,
			u8 *reason);
void vqn_env_host_give_n(struct vqn_guest_sm *g, u32 n);
void vqn_env_host_wait(struct vqn_guest_sm *g, u8 reason);
void vqn_env_host_unwait(struct vqn_guest_sm *g);

/* vhost holds queue @i of @d: (c) or (d) put it there. */
static inline bool vqn_sm_vhost_holds(const struct vqn_dev *d, u32 i)
{
	return d->vqs[i].state == VQNOTIFY_VQ_OFFLIMITS;
}

/* The guest's queries and its run state, for the state machine and its glue */

static inline u32 vqn_sm_budget(const struct vqn_guest_sm *g)
{
	if (g->own_budget)
		return min(g->admin_budget, g->own_budget);
	return g->admin_budget;
}

/* The guest is limited: userspace queues never get a slot of their own. */
static inline bool vqn_sm_limited(const struct vqn_guest_sm *g)
{
	return vqn_sm_budget(g) < g->threshold;
}

/* The run state moves no queue (vqn_sm.c): see vqn_sm_vq_flags(). */
static inline void vqn_sm_set_run_state(struct vqn_guest_sm *g, u32 run_state)
{
	g->run_state = run_state;
}

/* The flags a queue shows: PARKED is derived from the run state. */
static inline u8 vqn_sm_vq_flags(const struct vqn_guest_sm *g,
				 const struct vqn_vq *vq)
{
	u8 flags = vq->flags;

	if (vq->state == VQNOTIFY_VQ_ASSIGNED &&
	    g->run_state == VQNOTIFY_RUN_STOPPED)
		flags |= VQNOTIFY_VQ_PARKED;
	return flags;
}

/* The name of queue @i of @d, and back (see VQN_QUEUE_BITS). */
static inline u32 vqn_sm_name(const struct vqn_dev *d, u32 i)
{
	return d->slot << VQN_QUEUE_BITS | i;
}

static inline struct vqn_dev *vqn_sm_name_dev(const struct vqn_guest_sm *g,
					      u32 name)
{
	return g->devs[name >> VQN_QUEUE_BITS];
}

static inline u32 vqn_sm_name_index(u32 name)
{
	return name & (VQNOTIFY_MAX_QUEUES - 1);
}

/* The queue named @name. */
static inline struct vqn_vq *vqn_sm_queue(const struct vqn_guest_sm *g,
					  u32 name)
{
	return &vqn_sm_name_dev(g, name)->vqs[vqn_sm_name_index(name)];
}

/*
 * The first queue of @d at or after @i in the bitmap @queues, or
 * @d->num_queues: a word at a time, inline (the kernel's for_each_set_bit()
 * is a call per bit).
 */
static inline u32 vqn_sm_next_queue(const struct vqn_dev *d,
				    const unsigned long *queues, u32 i)
{
	u32 n = d->num_queues;
	unsigned long bits;

	while (i < n) {
		bits = queues[i / BITS_PER_LONG] >> (i % BITS_PER_LONG);
		if (bits)
			return min(i + (u32)__ffs(bits), n);
		i = (i / BITS_PER_LONG + 1) * BITS_PER_LONG;
	}
	return n;
}

/* The lists of queues (struct vqn_queues), linked by the queues' names */

static inline void vqn_queues_init(struct vqn_queues *l)
{
	l->first = VQN_NIL;
	l->last = VQN_NIL;
}

static __always_inline void vqn_queues_add_tail(struct vqn_guest_sm *g,
						struct vqn_queues *l,
						struct vqn_vq *vq, u32 name)
{
	vq->next = VQN_NIL;
	vq->prev = l->last;
	if (l->last == VQN_NIL)
		l->first = name;
	else
		vqn_sm_queue(g, l->last)->next = name;
	l->last = name;
}

static __always_inline void vqn_queues_del(struct vqn_guest_sm *g,
					   struct vqn_queues *l,
					   struct vqn_vq *vq)
{
	if (vq->prev == VQN_NIL)
		l->first = vq->next;
	else
		vqn_sm_queue(g, vq->prev)->next = vq->next;
	if (vq->next == VQN_NIL)
		l->last = vq->prev;
	else
		vqn_sm_queue(g, vq->next)->prev = vq->prev;
	vq->next = VQN_NIL;
	vq->prev = VQN_NIL;
}

#endif /* _VQN_SM_H */
