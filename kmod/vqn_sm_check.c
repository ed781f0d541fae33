// SPDX-License-Identifier: GPL-2.0
/*
 * The state machine's accounting invariants, checked: for tests (the KUnit
 * and tools/sm suites, the fuzzer) and a guest's teardown (vqn_guest.c).
 * A checker of the state machine, not part of it: it reads, never changes.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#endif
#include "vqn_sm.h"

/*
 * A list's links agree both ways, and each queue on it is in the state the
 * list says. Returns its length, or U32_MAX when broken.
 */
static u32 queues_check(const struct vqn_guest_sm *g,
			const struct vqn_queues *l, bool waiting)
{
	u32 name, prev = VQN_NIL, n = 0;
	const struct vqn_dev *d;
	const struct vqn_vq *vq;

	for (name = l->first; name != VQN_NIL; name = vq->next) {
		if (name >> VQN_QUEUE_BITS >= g->nr_dev_slots)
			return U32_MAX;
		d = vqn_sm_name_dev(g, name);
		if (!d || vqn_sm_name_index(name) >= d->num_queues)
			return U32_MAX;
		vq = vqn_sm_queue(g, name);
		if (vq->prev != prev || n++ > g->used + g->nr_waiting)
			return U32_MAX;
		if (waiting ? vq->state != VQNOTIFY_VQ_DEASSIGNED ||
		    !(vq->flags & VQNOTIFY_VQ_WAITING) :
		    vq->state != VQNOTIFY_VQ_ASSIGNED)
			return U32_MAX;
		prev = name;
	}
	return l->last == prev ? n : U32_MAX;
}

/*
 * Accounting invariants, for tests: the counters agree with the lists and
 * every listed queue is in the state its list says. Returns 0 or -EUCLEAN.
 */
int vqn_sm_check(const struct vqn_guest_sm *g)
{
	if (queues_check(g, &g->assigned, false) != g->nr_assigned ||
	    queues_check(g, &g->waiting, true) != g->nr_waiting ||
	    g->used != g->nr_assigned + g->nr_offlimits)
		return -EUCLEAN;
	return 0;
}
