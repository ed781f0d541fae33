// SPDX-License-Identifier: GPL-2.0
/*
 * The vqnotify state machine. Labels (a)-(g), (p), (q), (r), (s) and (x) are
 * those of Documentation/vqnotify.rst:
 *
 *          (b) DRIVER_OK, (q) acquire, (r) promotion, (e) vhost off
 *   DEASSIGNED  ------------------------------------------->  ASSIGNED
 *       ^  ^    <-------------------------------------------     |
 *       |  |   (p) preemption, (s) DRIVER_OK cleared, (x) release,
 *       |  |        (g) reset                                    |
 *       |  | (f) vhost off                         (d) vhost on |
 *       |  +-------------------  OFFLIMITS  <--------------------+
 *       +-- (c) vhost on ------>  (g) reset -> DEASSIGNED
 *
 * A queue holds a slot when ASSIGNED or OFFLIMITS. Userspace queues may
 * only take a slot that leaves the guest's unused vhost reserve free and the
 * guest within its budget; vhost may take any slot of the budget and, when
 * none is left, preempts the newest ASSIGNED queue of the same guest.
 *
 * Everything here runs under the guest's lock and never fails half-way:
 * each entry point either changes nothing or completes. Each entry point is
 * a whole call of the uAPI, promotions (r) included: the glue only locks,
 * copies and reports.
 *
 * The guest's run state does not move queues: a stopped guest keeps its
 * slots reserved (its ASSIGNED queues are "parked": the VMM holds no
 * ioeventfd for them until the guest runs again).
 */
#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/string.h>
#endif
#include "vqn_sm.h"

static bool vq_holds_slot(u8 state)
{
	return state != VQNOTIFY_VQ_DEASSIGNED;
}

u32 vqn_sm_budget(const struct vqn_guest_sm *g)
{
	if (g->own_budget)
		return min(g->admin_budget, g->own_budget);
	return g->admin_budget;
}

/* The guest is limited: userspace queues never get a slot of their own. */
bool vqn_sm_limited(const struct vqn_guest_sm *g)
{
	return vqn_sm_budget(g) < g->threshold;
}

/*
 * Would userspace queues hold @held slots, with @offlimits queues in vhost's
 * hands, without eating into the vhost reserve or exceeding the budget?
 */
static bool user_fits(const struct vqn_guest_sm *g, u32 held, u32 offlimits)
{
	u32 reserve_left = 0;

	if (g->vhost_reserve > offlimits)
		reserve_left = g->vhost_reserve - offlimits;
	return (u64)held + reserve_left <= vqn_sm_budget(g);
}

/* Refusals of the environment: the host cap, or the owner's quota. */
static bool reason_host(u8 reason)
{
	return reason == VQNOTIFY_REASON_HOST_CAP ||
	       reason == VQNOTIFY_REASON_QUOTA;
}

static void waiting_del(struct vqn_guest_sm *g, struct vqn_vq *vq)
{
	if (!(vq->flags & VQNOTIFY_VQ_WAITING))
		return;
	list_del_init(&vq->node);
	vq->flags &= ~VQNOTIFY_VQ_WAITING;
	g->nr_waiting--;
}

static void waiting_add(struct vqn_guest_sm *g, struct vqn_vq *vq, u8 reason)
{
	vq->reason = reason;
	if (vq->flags & VQNOTIFY_VQ_WAITING)
		return;
	list_add_tail(&vq->node, &g->waiting);
	vq->flags |= VQNOTIFY_VQ_WAITING;
	g->nr_waiting++;
	if (reason_host(reason))
		vqn_env_host_wait(g);
}

/*
 * Move @vq to @state. Accounting of the guest follows; the host-wide slot
 * is returned when the queue stops holding one, unless @keep_host_slot (the
 * slot is handed to another queue of the same guest by the caller).
 */
static void vq_move(struct vqn_guest_sm *g, struct vqn_vq *vq, u8 state,
		    u8 label, u8 reason, bool async, bool keep_host_slot)
{
	u8 old = vq->state;

	waiting_del(g, vq);
	if (old == VQNOTIFY_VQ_ASSIGNED) {
		list_del_init(&vq->node);
		g->nr_assigned--;
	} else if (old == VQNOTIFY_VQ_OFFLIMITS) {
		g->nr_offlimits--;
	}

	vq->assign_seq = 0;
	if (state == VQNOTIFY_VQ_ASSIGNED) {
		list_add_tail(&vq->node, &g->assigned);
		g->nr_assigned++;
		vq->assign_seq = ++g->assign_seq;
	} else if (state == VQNOTIFY_VQ_OFFLIMITS) {
		g->nr_offlimits++;
	}

	if (vq_holds_slot(old) && !vq_holds_slot(state)) {
		g->used--;
		if (!keep_host_slot)
			vqn_env_host_give(g);
	} else if (!vq_holds_slot(old) && vq_holds_slot(state)) {
		g->used++;
	}

	vq->state = state;
	vq->label = label;
	vq->reason = reason;
	g->counts[label]++;
	vqn_env_report(g, vq, old, label, async);
}

/*
 * Try to give a DEASSIGNED userspace queue a slot. Returns
 * VQNOTIFY_REASON_GRANTED with the host slot taken, or why not.
 */
static u8 user_slot_take(struct vqn_guest_sm *g)
{
	if (vqn_sm_limited(g))
		return VQNOTIFY_REASON_LIMITED;
	if (!user_fits(g, g->used + 1, g->nr_offlimits))
		return VQNOTIFY_REASON_NO_SLOT;
	return vqn_env_host_take(g);
}

/*
 * Refusals that wait for promotion (r): lack of a slot, or a limited guest,
 * whose queues are promoted once its budget or the threshold lifts it.
 */
static bool reason_waits(u8 reason)
{
	return reason == VQNOTIFY_REASON_NO_SLOT ||
	       reason_host(reason) || reason == VQNOTIFY_REASON_LIMITED;
}

/* (p): take the newest grant away; its queue waits for promotion. */
static struct vqn_vq *preempt_newest(struct vqn_guest_sm *g, u8 reason,
				     bool keep_host_slot)
{
	struct vqn_vq *victim;

	if (list_empty(&g->assigned))
		return NULL;
	victim = list_last_entry(&g->assigned, struct vqn_vq, node);
	vq_move(g, victim, VQNOTIFY_VQ_DEASSIGNED, VQNOTIFY_LABEL_P, reason,
		true, keep_host_slot);
	if (victim->dev->status & VQNOTIFY_STATUS_DRIVER_OK)
		waiting_add(g, victim, reason);
	return victim;
}

void vqn_sm_set_run_state(struct vqn_guest_sm *g, u32 run_state)
{
	g->run_state = run_state;
}

/* The flags a queue shows: PARKED is derived from the run state. */
u8 vqn_sm_vq_flags(const struct vqn_guest_sm *g, const struct vqn_vq *vq)
{
	u8 flags = vq->flags;

	if (vq->state == VQNOTIFY_VQ_ASSIGNED &&
	    g->run_state == VQNOTIFY_RUN_STOPPED)
		flags |= VQNOTIFY_VQ_PARKED;
	return flags;
}

void vqn_sm_guest_init(struct vqn_guest_sm *g, u32 budget, u32 reserve,
		       u32 threshold)
{
	memset(g, 0, sizeof(*g));
	g->admin_budget = budget;
	g->vhost_reserve = reserve;
	g->threshold = threshold;
	INIT_LIST_HEAD(&g->assigned);
	INIT_LIST_HEAD(&g->waiting);
}

/* (a) a new device's queues start DEASSIGNED. */
void vqn_sm_dev_init(struct vqn_guest_sm *g, struct vqn_dev *d)
{
	u32 i;

	for (i = 0; i < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		INIT_LIST_HEAD(&vq->node);
		vq->dev = d;
		vq->state = VQNOTIFY_VQ_DEASSIGNED;
		vq->reason = VQNOTIFY_REASON_NONE;
		vq->label = VQNOTIFY_LABEL_A;
		g->counts[VQNOTIFY_LABEL_A]++;
	}
}

/*
 * (b) or (q) for one queue: try to get a slot, or say why not. A queue
 * that already waits keeps its place in the line.
 */
static void want_slot(struct vqn_guest_sm *g, struct vqn_vq *vq, u8 label)
{
	u8 reason;

	if (vq->state != VQNOTIFY_VQ_DEASSIGNED)
		return;
	if (!(vq->flags & VQNOTIFY_VQ_INITIALISED)) {
		vq->reason = VQNOTIFY_REASON_NOT_READY;
	} else if (!(vq->flags & VQNOTIFY_VQ_WAITING)) {
		reason = user_slot_take(g);
		if (reason == VQNOTIFY_REASON_GRANTED) {
			vq_move(g, vq, VQNOTIFY_VQ_ASSIGNED, label, reason,
				false, false);
			return;
		}
		if (reason_waits(reason))
			waiting_add(g, vq, reason);
		else
			vq->reason = reason;
	}
	vqn_env_report(g, vq, vq->state, VQNOTIFY_LABEL_NONE, false);
}

/*
 * The VMM says which queues are initialised; one that is not no longer
 * waits for a slot (it may have, after a per-queue acquire). A queue that
 * userspace holds a slot for stays initialised: only a reset takes that
 * back.
 */
static void set_initialised(struct vqn_guest_sm *g, struct vqn_dev *d,
			    const unsigned long *ready)
{
	u32 i;

	for (i = 0; i < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		if (!ready || test_bit(i, ready) ||
		    vq->state == VQNOTIFY_VQ_ASSIGNED) {
			vq->flags |= VQNOTIFY_VQ_INITIALISED;
		} else {
			waiting_del(g, vq);
			vq->flags &= ~VQNOTIFY_VQ_INITIALISED;
		}
	}
}

void vqn_sm_set_status(struct vqn_guest_sm *g, struct vqn_dev *d, u32 status,
		       const unsigned long *ready)
{
	bool was_ok = d->status & VQNOTIFY_STATUS_DRIVER_OK;
	bool is_ok = status & VQNOTIFY_STATUS_DRIVER_OK;
	u32 i;

	if (!status) {
		vqn_sm_dev_reset(g, d);
		return;
	}
	d->status = status;

	if (is_ok && !was_ok) {
		/* (b) each initialised queue tries to get a slot. */
		set_initialised(g, d, ready);
		for (i = 0; i < d->num_queues; i++)
			want_slot(g, &d->vqs[i], VQNOTIFY_LABEL_B);
	} else if (!is_ok && was_ok) {
		/* (s) userspace stops its ioeventfds; vhost keeps its own. */
		for (i = 0; i < d->num_queues; i++) {
			struct vqn_vq *vq = &d->vqs[i];

			/* NO_SLOT and HOST_CAP say the queue still waits. */
			if (vq->flags & VQNOTIFY_VQ_WAITING)
				vq->reason = VQNOTIFY_REASON_STOPPED;
			waiting_del(g, vq);
			if (vq->state == VQNOTIFY_VQ_ASSIGNED)
				vq_move(g, vq, VQNOTIFY_VQ_DEASSIGNED,
					VQNOTIFY_LABEL_S,
					VQNOTIFY_REASON_STOPPED, false, false);
		}
		vqn_sm_promote(g);
	}
}

/*
 * (c, d) vhost takes the host notifiers of @queues, all or none. Queues it
 * holds already are left alone. (d) hands an ASSIGNED queue's slot to
 * vhost; (c) needs a slot: a free one of the budget, else the newest
 * userspace grant of this guest outside the batch (p), whose host slot
 * passes straight to vhost: vhost has priority. Held by vhost, a slot
 * counts against the vhost reserve, which may leave one free for a waiting
 * queue (r).
 */
int vqn_sm_vhost_on(struct vqn_guest_sm *g, struct vqn_dev *d,
		    const unsigned long *queues)
{
	u32 i, need = 0, taken = 0, preemptible = g->nr_assigned;

	/*
	 * Count first, in one pass: ENOSPC must leave everything as it was.
	 * The batch's own ASSIGNED queues bring their slots, so they are
	 * not there to preempt.
	 */
	for (i = 0; i < d->num_queues; i++) {
		if (!test_bit(i, queues))
			continue;
		if (d->vqs[i].state == VQNOTIFY_VQ_DEASSIGNED)
			need++;
		else if (d->vqs[i].state == VQNOTIFY_VQ_ASSIGNED)
			preemptible--;
	}
	while (taken < need && g->used + taken < vqn_sm_budget(g) &&
	       vqn_env_host_take(g) == VQNOTIFY_REASON_GRANTED)
		taken++;
	if (need - taken > preemptible) {
		while (taken--)
			vqn_env_host_give(g);
		return -ENOSPC;
	}

	/* (d) first: what is left on the assigned list is outside the batch. */
	for (i = 0; i < d->num_queues; i++)
		if (test_bit(i, queues) &&
		    d->vqs[i].state == VQNOTIFY_VQ_ASSIGNED)
			vq_move(g, &d->vqs[i], VQNOTIFY_VQ_OFFLIMITS,
				VQNOTIFY_LABEL_D, VQNOTIFY_REASON_VHOST, false,
				false);
	for (i = 0; i < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		if (!test_bit(i, queues) || vq->state != VQNOTIFY_VQ_DEASSIGNED)
			continue;
		if (taken)
			taken--;
		else
			preempt_newest(g, VQNOTIFY_REASON_PREEMPT_VHOST, true);
		vq_move(g, vq, VQNOTIFY_VQ_OFFLIMITS, VQNOTIFY_LABEL_C,
			VQNOTIFY_REASON_VHOST, false, false);
	}
	/*
	 * A queue preempted because of the host cap waits for a host slot,
	 * and the reserve may have left a slot free: promote.
	 */
	vqn_sm_promote(g);
	return 0;
}

/*
 * (e) vhost gives a queue back to userspace, keeping the slot, if it may
 * hold one: as at (b), an initialised queue of a DRIVER_OK device. (f)
 * otherwise the slot is freed.
 */
static void vhost_off_queue(struct vqn_guest_sm *g, struct vqn_dev *d,
			    struct vqn_vq *vq)
{
	u8 reason;

	if (d->status & VQNOTIFY_STATUS_DRIVER_OK &&
	    vq->flags & VQNOTIFY_VQ_INITIALISED && !vqn_sm_limited(g) &&
	    user_fits(g, g->used, g->nr_offlimits - 1)) {
		vq_move(g, vq, VQNOTIFY_VQ_ASSIGNED, VQNOTIFY_LABEL_E,
			VQNOTIFY_REASON_VHOST_OFF, false, false);
		return;
	}
	reason = VQNOTIFY_REASON_VHOST_OFF;
	if (d->status & VQNOTIFY_STATUS_DRIVER_OK) {
		if (!(vq->flags & VQNOTIFY_VQ_INITIALISED))
			reason = VQNOTIFY_REASON_NOT_READY;
		else if (vqn_sm_limited(g))
			reason = VQNOTIFY_REASON_LIMITED;
		else
			reason = VQNOTIFY_REASON_NO_SLOT;
	}
	vq_move(g, vq, VQNOTIFY_VQ_DEASSIGNED, VQNOTIFY_LABEL_F, reason,
		false, false);
	if (reason_waits(reason))
		waiting_add(g, vq, reason);
}

/* (e, f) vhost gives back the host notifiers of @queues it holds. */
void vqn_sm_vhost_off(struct vqn_guest_sm *g, struct vqn_dev *d,
		      const unsigned long *queues)
{
	u32 i;

	for (i = 0; i < d->num_queues; i++)
		if (test_bit(i, queues) &&
		    d->vqs[i].state == VQNOTIFY_VQ_OFFLIMITS)
			vhost_off_queue(g, d, &d->vqs[i]);
	vqn_sm_promote(g);
}

/* API 1's single-queue call: EALREADY when there is nothing to do. */
int vqn_sm_host_notifier(struct vqn_guest_sm *g, struct vqn_dev *d,
			 struct vqn_vq *vq, bool enable)
{
	unsigned long one[BITS_TO_LONGS(VQNOTIFY_MAX_QUEUES)] = { 0 };
	bool vhost_holds = vq->state == VQNOTIFY_VQ_OFFLIMITS;

	if (enable == vhost_holds)
		return -EALREADY;
	__set_bit(vqn_vq_index(vq), one);
	if (enable)
		return vqn_sm_vhost_on(g, d, one);
	vqn_sm_vhost_off(g, d, one);
	return 0;
}

/* ACQUIRE and RELEASE leave vhost's queues to vhost. */
static int check_not_vhost(const struct vqn_dev *d,
			   const unsigned long *queues)
{
	u32 i;

	for (i = 0; i < d->num_queues; i++)
		if (test_bit(i, queues) &&
		    d->vqs[i].state == VQNOTIFY_VQ_OFFLIMITS)
			return -EBUSY;
	return 0;
}

/*
 * (q) the VMM wants ioeventfds for @queues, in any device status (QEMU's
 * virtio-blk dataplane restarts them at status 11 after a bus-master
 * clear): each is initialised from now on and wants a slot as at (b).
 */
int vqn_sm_queues_acquire(struct vqn_guest_sm *g, struct vqn_dev *d,
			  const unsigned long *queues)
{
	u32 i;
	int ret;

	ret = check_not_vhost(d, queues);
	if (ret)
		return ret;
	for (i = 0; i < d->num_queues; i++) {
		if (!test_bit(i, queues))
			continue;
		d->vqs[i].flags |= VQNOTIFY_VQ_INITIALISED;
		want_slot(g, &d->vqs[i], VQNOTIFY_LABEL_Q);
	}
	return 0;
}

/*
 * (x) the VMM gives up the ioeventfds of @queues (dataplane stop,
 * ioeventfd=off, KVM refused one: @reason RELEASED or KVM_REFUSED). They do
 * not wait for promotion; those that waited stop. @reset: a per-queue reset
 * also makes them uninitialised. The freed slots go to waiting queues (r).
 */
int vqn_sm_queues_release(struct vqn_guest_sm *g, struct vqn_dev *d,
			  const unsigned long *queues, u8 reason, bool reset)
{
	u32 i;
	int ret;

	ret = check_not_vhost(d, queues);
	if (ret)
		return ret;
	for (i = 0; i < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		if (!test_bit(i, queues))
			continue;
		if (reset)
			vq->flags &= ~VQNOTIFY_VQ_INITIALISED;
		if (vq->state == VQNOTIFY_VQ_ASSIGNED) {
			vq_move(g, vq, VQNOTIFY_VQ_DEASSIGNED, VQNOTIFY_LABEL_X,
				reason, false, false);
		} else if (vq->flags & VQNOTIFY_VQ_WAITING) {
			waiting_del(g, vq);
			vq->reason = reason;
			vqn_env_report(g, vq, vq->state, VQNOTIFY_LABEL_NONE,
				       false);
		}
	}
	vqn_sm_promote(g);
	return 0;
}

/*
 * (g) every queue of the device to DEASSIGNED, OFFLIMITS included, and
 * nothing else: this alone is what a closing guest does to its devices.
 * vqn_sm_dev_reset() and vqn_sm_dev_remove() also promote (r).
 */
void vqn_sm_reset(struct vqn_guest_sm *g, struct vqn_dev *d, u8 reason)
{
	u32 i;

	d->status = 0;
	for (i = 0; i < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		waiting_del(g, vq);
		vq->flags &= ~VQNOTIFY_VQ_INITIALISED;
		if (vq->state != VQNOTIFY_VQ_DEASSIGNED)
			vq_move(g, vq, VQNOTIFY_VQ_DEASSIGNED, VQNOTIFY_LABEL_G,
				reason, false, false);
		else
			vq->reason = reason;
	}
}

/* (g) then (r): VQNOTIFY_DEV_RESET, and SET_STATUS with status 0. */
void vqn_sm_dev_reset(struct vqn_guest_sm *g, struct vqn_dev *d)
{
	vqn_sm_reset(g, d, VQNOTIFY_REASON_RESET);
	vqn_sm_promote(g);
}

/* (g) then (r): the device goes; the caller frees it. */
void vqn_sm_dev_remove(struct vqn_guest_sm *g, struct vqn_dev *d)
{
	vqn_sm_reset(g, d, VQNOTIFY_REASON_REMOVED);
	vqn_sm_promote(g);
}

/*
 * LOAD wants a device in the state of one just added: status 0, no queue
 * holding a slot or waiting for one. A reset gives exactly that, so QEMU's
 * reset at machine init (also with -incoming) does not stand in the way.
 */
bool vqn_sm_dev_quiescent(const struct vqn_dev *d)
{
	u32 i;

	if (d->status)
		return false;
	for (i = 0; i < d->num_queues; i++)
		if (d->vqs[i].state != VQNOTIFY_VQ_DEASSIGNED ||
		    d->vqs[i].flags & VQNOTIFY_VQ_WAITING)
			return false;
	return true;
}

/*
 * Migration onto a quiescent device: apply the saved status, then (b) if
 * DRIVER_OK for every initialised queue, vhost's included: they want a
 * slot like any other, and vhost on the destination takes them back from
 * ASSIGNED (d). Without vhost there, they simply keep their slot. (The
 * blob's vhost bitmap says what vhost held; the states need it no more.)
 */
void vqn_sm_load(struct vqn_guest_sm *g, struct vqn_dev *d, u32 status,
		 const unsigned long *ready)
{
	u32 i;

	d->status = status;
	set_initialised(g, d, ready);
	if (!(status & VQNOTIFY_STATUS_DRIVER_OK))
		return;
	for (i = 0; i < d->num_queues; i++)
		want_slot(g, &d->vqs[i], VQNOTIFY_LABEL_B);
}

/* The admin's or the VMM's limits changed: apply them (p, r). */
void vqn_sm_set_limits(struct vqn_guest_sm *g, u32 admin_budget,
		       u32 own_budget, u32 reserve, u32 threshold)
{
	g->admin_budget = admin_budget;
	g->own_budget = own_budget;
	g->vhost_reserve = reserve;
	g->threshold = threshold;
	vqn_sm_reconfigure(g);
}

/*
 * The budget, reserve or threshold changed: preempt userspace grants newest
 * first until the guest fits (all of them when it became limited); they
 * wait for promotion. Then promote waiting queues into whatever is free,
 * which a limited guest never does. OFFLIMITS queues are never revoked
 * here; a guest they put over budget is reported as such.
 */
void vqn_sm_reconfigure(struct vqn_guest_sm *g)
{
	while (!list_empty(&g->assigned) &&
	       (vqn_sm_limited(g) || !user_fits(g, g->used, g->nr_offlimits)))
		preempt_newest(g, VQNOTIFY_REASON_PREEMPT_BUDGET, false);
	vqn_sm_promote(g);
}

/* (r) work-conserving: hand free slots to waiting queues, FIFO. */
void vqn_sm_promote(struct vqn_guest_sm *g)
{
	while (!list_empty(&g->waiting)) {
		struct vqn_vq *vq = list_first_entry(&g->waiting,
						     struct vqn_vq, node);
		u8 reason = user_slot_take(g);

		if (reason != VQNOTIFY_REASON_GRANTED) {
			if (reason_host(reason))
				vqn_env_host_wait(g);
			return;
		}
		vq_move(g, vq, VQNOTIFY_VQ_ASSIGNED, VQNOTIFY_LABEL_R,
			VQNOTIFY_REASON_PROMOTED, true, false);
	}
}

/*
 * Accounting invariants, for tests: the counters agree with the lists and
 * every listed queue is in the state its list says. Returns 0 or -EUCLEAN.
 */
int vqn_sm_check(const struct vqn_guest_sm *g)
{
	const struct vqn_vq *vq;
	u32 n = 0, w = 0;

	list_for_each_entry(vq, &g->assigned, node) {
		if (vq->state != VQNOTIFY_VQ_ASSIGNED)
			return -EUCLEAN;
		n++;
	}
	list_for_each_entry(vq, &g->waiting, node) {
		if (vq->state != VQNOTIFY_VQ_DEASSIGNED ||
		    !(vq->flags & VQNOTIFY_VQ_WAITING))
			return -EUCLEAN;
		w++;
	}
	if (n != g->nr_assigned || w != g->nr_waiting ||
	    g->used != g->nr_assigned + g->nr_offlimits)
		return -EUCLEAN;
	return 0;
}
