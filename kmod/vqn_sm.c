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
 *       |  | (f) vhost off, (x) KVM refused        (d) vhost on |
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
#include <linux/bitmap.h>
#include <linux/string.h>
#endif
#include "vqn_sm.h"

static bool vq_holds_slot(u8 state)
{
	return state != VQNOTIFY_VQ_DEASSIGNED;
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

static __always_inline void waiting_del(struct vqn_guest_sm *g,
					struct vqn_vq *vq)
{
	if (!(vq->flags & VQNOTIFY_VQ_WAITING))
		return;
	vqn_queues_del(g, &g->waiting, vq);
	vq->flags &= ~VQNOTIFY_VQ_WAITING;
	g->nr_waiting--;
}

/* Queue @i of @d waits for promotion; returns whether it joined now. */
static bool waiting_add_quiet(struct vqn_guest_sm *g, struct vqn_dev *d,
			      u32 i, u8 reason)
{
	struct vqn_vq *vq = &d->vqs[i];

	vq->reason = reason;
	if (vq->flags & VQNOTIFY_VQ_WAITING)
		return false;
	vqn_queues_add_tail(g, &g->waiting, vq, vqn_sm_name(d, i));
	vq->flags |= VQNOTIFY_VQ_WAITING;
	g->nr_waiting++;
	return true;
}

/* The guest waits for a host slot @reason (reason_host()) refused. */
static void host_wait(struct vqn_guest_sm *g, u8 reason)
{
	g->host_wait = true;
	vqn_env_host_wait(g, reason);
}

/* ... and tells the environment when it waits for a host slot. */
static void waiting_add(struct vqn_guest_sm *g, struct vqn_dev *d, u32 i,
			u8 reason)
{
	if (waiting_add_quiet(g, d, i, reason) && reason_host(reason))
		host_wait(g, reason);
}

/*
 * Move queue @i of @d to @state. Accounting of the guest follows; the
 * host-wide slot is returned when the queue stops holding one, if @give
 * (else the caller hands it to another queue of the same guest, or returns
 * it with others at once). The caller reports the move. Returns the old
 * state.
 */
static __always_inline u8 vq_move(struct vqn_guest_sm *g, struct vqn_dev *d,
				  u32 i, u8 state, u8 label, u8 reason,
				  bool give)
{
	struct vqn_vq *vq = &d->vqs[i];
	u8 old = vq->state;

	waiting_del(g, vq);
	if (old == VQNOTIFY_VQ_ASSIGNED) {
		vqn_queues_del(g, &g->assigned, vq);
		g->nr_assigned--;
	} else if (old == VQNOTIFY_VQ_OFFLIMITS) {
		g->nr_offlimits--;
	}

	vq->assign_seq = 0;
	if (state == VQNOTIFY_VQ_ASSIGNED) {
		vqn_queues_add_tail(g, &g->assigned, vq, vqn_sm_name(d, i));
		g->nr_assigned++;
		vq->assign_seq = ++g->assign_seq;
	} else if (state == VQNOTIFY_VQ_OFFLIMITS) {
		g->nr_offlimits++;
	}

	g->used += vq_holds_slot(state) - vq_holds_slot(old);
	if (give && vq_holds_slot(old) && !vq_holds_slot(state))
		vqn_env_host_give_n(g, 1);

	vq->state = state;
	vq->label = label;
	vq->reason = reason;
	g->counts[label]++;
	return old;
}

/*
 * A result of the call for queue @queue of @d: a transition from @old
 * (@label), or a refusal (label NONE). Into the sink, or without one to
 * the environment.
 */
static __always_inline void put_result(struct vqn_guest_sm *g,
				       struct vqn_sink *s, struct vqn_dev *d,
				       u32 queue, u8 old, u8 label)
{
	struct vqn_vq *vq = &d->vqs[queue];

	if (!s) {
		vqn_env_report(g, d, queue, old, label, false);
		return;
	}
	if (label != VQNOTIFY_LABEL_NONE)
		s->labels[label]++;
	else
		s->refusals[vq->reason]++;
	if (s->res && s->nr < s->cap)
		s->res[s->nr] = (struct vqnotify_vq_result){
			.queue = queue, .old_state = old,
			.new_state = vq->state, .label = label,
			.reason = vq->reason,
		};
	s->nr++;
}

/*
 * A result that is a transition of queue @i of @d. Returns 1 when it freed
 * a slot, which the caller returns to the host with the others of the call.
 */
static __always_inline u32 move_result(struct vqn_guest_sm *g,
				       struct vqn_dev *d, u32 i, u8 state,
				       u8 label, u8 reason, struct vqn_sink *s)
{
	u8 old = vq_move(g, d, i, state, label, reason, false);

	put_result(g, s, d, i, old, label);
	return vq_holds_slot(old) && !vq_holds_slot(state);
}

/* The slots the call's transitions freed go back to the host at once. */
static void give_back(struct vqn_guest_sm *g, u32 freed)
{
	if (freed)
		vqn_env_host_give_n(g, freed);
}

/* A transition the call did not ask for: (p) or (r). */
static void move_async(struct vqn_guest_sm *g, struct vqn_dev *d, u32 i,
		       u8 state, u8 label, u8 reason, bool give)
{
	u8 old = vq_move(g, d, i, state, label, reason, give);

	vqn_env_report(g, d, i, old, label, true);
}

static u8 promote_waiting(struct vqn_guest_sm *g);

/*
 * (r) when a queue waits: most calls find none. As promote_waiting(); every
 * call that may leave the guest's queues no longer waiting for the host
 * ends with it (or begins, when its own queues then want slots), so the
 * guest then leaves the host's line: a guest counted there as waiting for
 * the cap refuses other users' slots.
 */
static __always_inline u8 promote(struct vqn_guest_sm *g)
{
	u8 why = VQNOTIFY_REASON_GRANTED;

	if (g->waiting.first != VQN_NIL)
		why = promote_waiting(g);
	if (g->host_wait && !reason_host(why)) {
		g->host_wait = false;
		vqn_env_host_unwait(g);
	}
	return why;
}

/*
 * How many more slots userspace queues may hold: the most that leaves the
 * guest's unused vhost reserve free and the guest within its budget.
 */
static u32 user_room(const struct vqn_guest_sm *g)
{
	u32 budget = vqn_sm_budget(g);
	u32 reserve_left = 0;

	if (g->vhost_reserve > g->nr_offlimits)
		reserve_left = g->vhost_reserve - g->nr_offlimits;
	if ((u64)g->used + reserve_left >= budget)
		return 0;
	return budget - reserve_left - g->used;
}

/*
 * The name of the newest grant of the guest: (p) takes it away. Queues of
 * @d in @batch are passed over: a vhost call brings their slots itself.
 * The caller knows there is one.
 */
static u32 newest_grant(const struct vqn_guest_sm *g, const struct vqn_dev *d,
			const unsigned long *batch)
{
	u32 name;

	for (name = g->assigned.last; name != VQN_NIL;
	     name = vqn_sm_queue(g, name)->prev)
		if (!batch || vqn_sm_name_dev(g, name) != d ||
		    !test_bit(vqn_sm_name_index(name), batch))
			break;
	return name;
}

/*
 * (p): take the grant of queue @victim away; it waits for promotion, in
 * any device status: a queue acquired before DRIVER_OK (q) is preempted
 * like any other, and the VMM that removed its ioeventfd waits for (r).
 * Its host slot is returned, unless @keep: vhost takes it over.
 */
static void preempt(struct vqn_guest_sm *g, u32 victim, u8 reason, bool keep)
{
	struct vqn_dev *d = vqn_sm_name_dev(g, victim);
	u32 i = vqn_sm_name_index(victim);

	move_async(g, d, i, VQNOTIFY_VQ_DEASSIGNED, VQNOTIFY_LABEL_P, reason,
		   !keep);
	waiting_add(g, d, i, reason);
}

void vqn_sm_guest_init(struct vqn_guest_sm *g, u32 budget, u32 reserve,
		       u32 threshold)
{
	memset(g, 0, sizeof(*g));
	g->admin_budget = budget;
	g->vhost_reserve = reserve;
	g->threshold = threshold;
	vqn_queues_init(&g->assigned);
	vqn_queues_init(&g->waiting);
}

/*
 * (a) a new device's queues start DEASSIGNED. It takes @slot of the
 * guest's devices, which the environment found free.
 */
void vqn_sm_dev_init(struct vqn_guest_sm *g, struct vqn_dev *d, u32 slot)
{
	u32 i;

	WARN_ON(slot >= g->nr_dev_slots || slot >= VQN_MAX_DEV_SLOTS ||
		g->devs[slot]);
	d->slot = slot;
	g->devs[slot] = d;
	for (i = 0; i < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		vq->next = VQN_NIL;
		vq->prev = VQN_NIL;
		vq->state = VQNOTIFY_VQ_DEASSIGNED;
		vq->reason = VQNOTIFY_REASON_NONE;
		vq->label = VQNOTIFY_LABEL_A;
	}
	g->counts[VQNOTIFY_LABEL_A] += d->num_queues;
}

/*
 * vqn_sm_dev_init() undone, for a device no call has changed since: status
 * 0, every queue still as (a) left it (a reset of such a device leaves
 * its reason). Returns false, changing nothing, for any other device. Its
 * (a) stay counted: the counts only grow (observers saw the device come
 * and go, and a counter that fell would read as a reset to a scraper).
 */
bool vqn_sm_dev_uninit(struct vqn_guest_sm *g, struct vqn_dev *d)
{
	u32 i;

	if (d->status)
		return false;
	for (i = 0; i < d->num_queues; i++) {
		const struct vqn_vq *vq = &d->vqs[i];

		if (vq->state != VQNOTIFY_VQ_DEASSIGNED || vq->flags ||
		    vq->label != VQNOTIFY_LABEL_A ||
		    vq->reason != VQNOTIFY_REASON_NONE)
			return false;
	}
	g->devs[d->slot] = NULL;
	return true;
}

/* A queue that wants a slot at (b) or (q), and has not asked yet. */
static bool wants_slot(const struct vqn_vq *vq)
{
	return vq->state == VQNOTIFY_VQ_DEASSIGNED &&
	       (vq->flags & (VQNOTIFY_VQ_INITIALISED | VQNOTIFY_VQ_WAITING)) ==
	       VQNOTIFY_VQ_INITIALISED;
}

/*
 * (b) or (q) for a batch of queues, decided for the whole call at once:
 * want_begin() with the number of queues that want a slot (wants_slot())
 * computes the room the budget leaves and takes the host slots for it in
 * one go; want_queue() for each queue of the batch in order gives the
 * first ones the slots and has the others wait for promotion, with the
 * reason the first refused one got; want_end() tells the environment once
 * when they wait for the host. A DEASSIGNED queue that cannot have a slot
 * says why; one that already waits keeps its place in the line. The
 * guest's waiting queues go first: want_begin() promotes (r) them, in line
 * order, into what is free (a slot the host freed may be theirs before the
 * promotion work ran), and while some still wait, the batch takes no slot
 * and waits behind them. A queue of the batch is thus told once: granted,
 * or refused and left waiting, never refused and then promoted by the same
 * call (its result and a later (r) would reach listeners in the wrong
 * order).
 */

/**
 * struct want - a batch of (b) or (q) in progress
 * @got: host slots taken and not yet handed to a queue
 * @granted: queues given a slot so far
 * @seq: the guest's last grant number
 * @last: the last queue of vqn_guest_sm.assigned
 * @link: where the next grant is linked: the last grant's @next (written
 *        by the next grant, or want_end()), or the list's first
 * @label: the batch's transition, VQNOTIFY_LABEL_B or VQNOTIFY_LABEL_Q
 * @why: why the queues past those wait
 * @host_wait: some wait for the host
 *
 * The guest's counters, grant number and list end are written back once,
 * by want_end(): per queue a grant writes the queue and its result only.
 */
struct want {
	u32 got;
	u32 granted;
	u32 seq;
	u32 last;
	u32 *link;
	u8 label;
	u8 why;
	bool host_wait;
};

static __always_inline void want_begin(struct vqn_guest_sm *g, u32 want,
				       u8 label, struct want *w)
{
	u8 why = VQNOTIFY_REASON_NO_SLOT, line = promote(g);
	u32 n;

	w->got = 0;
	w->granted = 0;
	w->seq = g->assign_seq;
	w->last = g->assigned.last;
	w->link = w->last == VQN_NIL ? &g->assigned.first :
		  &vqn_sm_queue(g, w->last)->next;
	w->label = label;
	w->host_wait = false;
	if (vqn_sm_limited(g)) {
		w->why = VQNOTIFY_REASON_LIMITED;
		return;
	}
	if (g->waiting.first != VQN_NIL) {
		/*
		 * FIFO within the guest: queues still wait after the
		 * promotion, for what it found now (the host's reason, or
		 * the budget full), not what refused the oldest earlier;
		 * the batch waits behind them, and want_end() tells the line
		 * that same reason last.
		 */
		w->why = reason_host(line) ? line : VQNOTIFY_REASON_NO_SLOT;
		return;
	}
	n = min(want, user_room(g));
	if (n)
		w->got = vqn_env_host_take_n(g, n, 0, &why);
	if (w->got == n && n < want)
		why = VQNOTIFY_REASON_NO_SLOT;
	w->why = why;
}

/*
 * The common case, once per queue of a DRIVER_OK: a slot taken already
 * goes to a queue that wants one. @room: sink_room() for the whole batch,
 * a constant in each copy of the caller's loop: under QEMU's TCG each
 * branch ends a block, and the sink's three checks were three of the
 * eight blocks of a grant.
 */
static __always_inline void want_grant(struct vqn_guest_sm *g,
				       struct vqn_dev *d, u32 i, struct want *w,
				       struct vqn_sink *s, bool room)
{
	struct vqn_vq *vq = &d->vqs[i];
	u32 name = vqn_sm_name(d, i);

	vq->prev = w->last;
	vq->assign_seq = ++w->seq;
	vq->state = VQNOTIFY_VQ_ASSIGNED;
	vq->reason = VQNOTIFY_REASON_GRANTED;
	vq->label = w->label;
	*w->link = name;
	w->link = &vq->next;
	w->last = name;
	w->got--;
	w->granted++;
	if (!room && !s) {
		vqn_env_report(g, d, i, VQNOTIFY_VQ_DEASSIGNED, w->label,
			       false);
		return;
	}
	/* @room is a constant: that copy of the loop writes unchecked. */
	if (room || (s->res && s->nr < s->cap))
		s->res[s->nr] = (struct vqnotify_vq_result){
			.queue = i,
			.old_state = VQNOTIFY_VQ_DEASSIGNED,
			.new_state = VQNOTIFY_VQ_ASSIGNED,
			.label = w->label,
			.reason = VQNOTIFY_REASON_GRANTED,
		};
	s->nr++;
}

static __always_inline void want_queue(struct vqn_guest_sm *g,
				       struct vqn_dev *d, u32 i, struct want *w,
				       struct vqn_sink *s, bool room)
{
	struct vqn_vq *vq = &d->vqs[i];

	if (w->got && wants_slot(vq)) {
		want_grant(g, d, i, w, s, room);
		return;
	}
	if (vq->state != VQNOTIFY_VQ_DEASSIGNED)
		return;
	if (!(vq->flags & VQNOTIFY_VQ_INITIALISED)) {
		vq->reason = VQNOTIFY_REASON_NOT_READY;
	} else if (!(vq->flags & VQNOTIFY_VQ_WAITING)) {
		waiting_add_quiet(g, d, i, w->why);
		w->host_wait |= reason_host(w->why);
	}
	put_result(g, s, d, i, vq->state, VQNOTIFY_LABEL_NONE);
}

static __always_inline void want_end(struct vqn_guest_sm *g, struct want *w,
				     struct vqn_sink *s)
{
	*w->link = VQN_NIL;	/* the last grant's next, or the old end's */
	g->assign_seq = w->seq;
	g->assigned.last = w->last;
	g->used += w->granted;
	g->nr_assigned += w->granted;
	g->counts[w->label] += w->granted;
	if (s)
		s->labels[w->label] += w->granted;
	if (w->host_wait)
		host_wait(g, w->why);
}

/*
 * The VMM says which queues are initialised; one that is not no longer
 * waits for a slot (it may have, after a per-queue acquire). A queue that
 * userspace holds a slot for stays initialised: only a reset takes that
 * back. Returns how many queues want a slot.
 */
static u32 set_initialised(struct vqn_guest_sm *g, struct vqn_dev *d,
			   const unsigned long *ready)
{
	u32 i, want = 0;

	for (i = 0; i < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		if (!ready || test_bit(i, ready) ||
		    vq->state == VQNOTIFY_VQ_ASSIGNED) {
			vq->flags |= VQNOTIFY_VQ_INITIALISED;
			want += wants_slot(vq);
		} else {
			waiting_del(g, vq);
			vq->flags &= ~VQNOTIFY_VQ_INITIALISED;
		}
	}
	return want;
}

/*
 * @s has room for a result of each of @n more queues: a grant writes its
 * result without a check. The module's calls that want results size their
 * array for the device (vqn_call_results()).
 */
static __always_inline bool sink_room(const struct vqn_sink *s, u32 n)
{
	return s && s->res && s->nr <= s->cap && s->cap - s->nr >= n;
}

/* (b) for every queue of @d, @want of them wanting a slot. */
static void want_all(struct vqn_guest_sm *g, struct vqn_dev *d, u32 want,
		     struct vqn_sink *s)
{
	struct want w;
	u32 i;

	want_begin(g, want, VQNOTIFY_LABEL_B, &w);
	/* Two copies of the loop: a DRIVER_OK's grants without a check. */
	if (sink_room(s, d->num_queues)) {
		for (i = 0; i < d->num_queues; i++)
			want_queue(g, d, i, &w, s, true);
	} else {
		for (i = 0; i < d->num_queues; i++)
			want_queue(g, d, i, &w, s, false);
	}
	want_end(g, &w, s);
}

void vqn_sm_set_status(struct vqn_guest_sm *g, struct vqn_dev *d,
		       u32 status, const unsigned long *ready,
		       struct vqn_sink *s)
{
	bool was_ok = d->status & VQNOTIFY_STATUS_DRIVER_OK;
	bool is_ok = status & VQNOTIFY_STATUS_DRIVER_OK;
	u32 i, freed = 0;

	if (!status) {
		vqn_sm_dev_reset(g, d, s);
		return;
	}
	d->status = status;

	if (is_ok && !was_ok) {
		/* (b) each initialised queue tries to get a slot. */
		want_all(g, d, set_initialised(g, d, ready), s);
	} else if (!is_ok && was_ok) {
		/* (s) userspace stops its ioeventfds; vhost keeps its own. */
		for (i = 0; i < d->num_queues; i++) {
			struct vqn_vq *vq = &d->vqs[i];

			/* NO_SLOT and HOST_CAP say the queue still waits. */
			if (vq->flags & VQNOTIFY_VQ_WAITING)
				vq->reason = VQNOTIFY_REASON_STOPPED;
			waiting_del(g, vq);
			if (vq->state == VQNOTIFY_VQ_ASSIGNED)
				freed += move_result(g, d, i,
						     VQNOTIFY_VQ_DEASSIGNED,
						     VQNOTIFY_LABEL_S,
						     VQNOTIFY_REASON_STOPPED, s);
		}
		give_back(g, freed);
		promote(g);
	}
}

/*
 * (c, d) vhost takes the host notifiers of @queues, all or none. Queues it
 * holds already are left alone. (d) hands an ASSIGNED queue's slot to
 * vhost; (c) needs a slot: a free one of the budget, else the newest
 * userspace grant of this guest outside the batch (p), whose host slot
 * passes straight to vhost: vhost has priority. Held by vhost, a slot
 * counts against the vhost reserve, which may leave one free for a waiting
 * queue (r). O(words of @queues + queues in it), not O(queues of @d).
 *
 * Counted first: ENOSPC must leave everything as it was, and takes no host
 * slot even for a moment (another guest could be refused it meanwhile).
 * The batch's own ASSIGNED queues bring their slots, so they are not there
 * to preempt.
 */
int vqn_sm_vhost_on(struct vqn_guest_sm *g, struct vqn_dev *d,
		    const unsigned long *queues, struct vqn_sink *s)
{
	u32 i, need = 0, taken = 0, preemptible = g->nr_assigned;
	u32 budget = vqn_sm_budget(g), room, least;
	struct vqn_vq *vq;
	u8 why;

	for (i = 0; (i = vqn_sm_next_queue(d, queues, i)) < d->num_queues; i++)
		if (d->vqs[i].state == VQNOTIFY_VQ_DEASSIGNED)
			need++;
		else if (d->vqs[i].state == VQNOTIFY_VQ_ASSIGNED)
			preemptible--;
	/*
	 * The free slots of the budget first, then preemption (p): at least
	 * the queues preemption cannot cover must get one. (d) needs none.
	 */
	if (need) {
		room = g->used < budget ? min(need, budget - g->used) : 0;
		least = need > preemptible ? need - preemptible : 0;
		if (least > room)
			return -ENOSPC;
		if (room)
			taken = vqn_env_host_take_n(g, room, least, &why);
		if (taken < least) {
			give_back(g, taken);	/* none, from the pool */
			return -ENOSPC;
		}
	}
	for (i = 0; (i = vqn_sm_next_queue(d, queues, i)) < d->num_queues;
	     i++) {
		vq = &d->vqs[i];
		if (vq->state == VQNOTIFY_VQ_ASSIGNED) {
			move_result(g, d, i, VQNOTIFY_VQ_OFFLIMITS,
				    VQNOTIFY_LABEL_D, VQNOTIFY_REASON_VHOST, s);
			continue;
		}
		if (vq->state != VQNOTIFY_VQ_DEASSIGNED)
			continue;
		if (taken)
			taken--;
		else
			preempt(g, newest_grant(g, d, queues),
				VQNOTIFY_REASON_PREEMPT_VHOST, true);
		move_result(g, d, i, VQNOTIFY_VQ_OFFLIMITS, VQNOTIFY_LABEL_C,
			    VQNOTIFY_REASON_VHOST, s);
	}
	/*
	 * A queue preempted because of the host cap waits for a host slot,
	 * and the reserve may have left a slot free: promote.
	 */
	promote(g);
	return 0;
}

/*
 * (e) vhost gives queue @i back to userspace, keeping the slot, if it may
 * hold one: as at (b), an initialised queue of a DRIVER_OK device. (f)
 * otherwise the slot is freed: returns 1 then. @later queues of the call
 * after it, vhost's still, leave vhost too: whether it may hold a slot is
 * decided as if they all freed theirs. Decided on the slots they hold yet,
 * a queue refused (f) would be promoted (r) at the call's end, by the
 * slots they free, after its result said DEASSIGNED.
 */
static u32 vhost_off_queue(struct vqn_guest_sm *g, struct vqn_dev *d, u32 i,
			   u32 later, struct vqn_sink *s)
{
	struct vqn_vq *vq = &d->vqs[i];
	u8 reason;

	if (d->status & VQNOTIFY_STATUS_DRIVER_OK &&
	    vq->flags & VQNOTIFY_VQ_INITIALISED && !vqn_sm_limited(g) &&
	    user_fits(g, g->used - later, g->nr_offlimits - 1 - later)) {
		return move_result(g, d, i, VQNOTIFY_VQ_ASSIGNED,
				   VQNOTIFY_LABEL_E, VQNOTIFY_REASON_VHOST_OFF,
				   s);
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
	move_result(g, d, i, VQNOTIFY_VQ_DEASSIGNED, VQNOTIFY_LABEL_F, reason,
		    s);
	/* Waits for (r): a slot, or the budget or threshold to lift it. */
	if (reason == VQNOTIFY_REASON_NO_SLOT ||
	    reason == VQNOTIFY_REASON_LIMITED)
		waiting_add_quiet(g, d, i, reason);
	return 1;
}

/* (e, f) vhost gives back the host notifiers of @queues it holds. */
void vqn_sm_vhost_off(struct vqn_guest_sm *g, struct vqn_dev *d,
		      const unsigned long *queues, struct vqn_sink *s)
{
	u32 i, freed = 0, left = 0;

	for (i = 0; (i = vqn_sm_next_queue(d, queues, i)) < d->num_queues; i++)
		left += d->vqs[i].state == VQNOTIFY_VQ_OFFLIMITS;
	for (i = 0; (i = vqn_sm_next_queue(d, queues, i)) < d->num_queues; i++)
		if (d->vqs[i].state == VQNOTIFY_VQ_OFFLIMITS)
			freed += vhost_off_queue(g, d, i, --left, s);
	give_back(g, freed);
	promote(g);
}

/* ACQUIRE and RELEASE, KVM's refusal aside, leave vhost's queues alone. */
static int check_not_vhost(const struct vqn_dev *d,
			   const unsigned long *queues)
{
	u32 i;

	for (i = 0; (i = vqn_sm_next_queue(d, queues, i)) < d->num_queues; i++)
		if (d->vqs[i].state == VQNOTIFY_VQ_OFFLIMITS)
			return -EBUSY;
	return 0;
}

/*
 * (q) the VMM wants ioeventfds for @queues, in any device status (QEMU's
 * virtio-blk dataplane restarts them at status 11 after a bus-master
 * clear): each is initialised from now on and wants a slot as at (b).
 */
int vqn_sm_queues_acquire(struct vqn_guest_sm *g, struct vqn_dev *d,
			  const unsigned long *queues, struct vqn_sink *s)
{
	u32 i, want = 0;
	struct want w;
	int ret;

	ret = check_not_vhost(d, queues);
	if (ret)
		return ret;
	for (i = 0; (i = vqn_sm_next_queue(d, queues, i)) < d->num_queues; i++) {
		d->vqs[i].flags |= VQNOTIFY_VQ_INITIALISED;
		want += wants_slot(&d->vqs[i]);
	}
	want_begin(g, want, VQNOTIFY_LABEL_Q, &w);
	for (i = 0; (i = vqn_sm_next_queue(d, queues, i)) < d->num_queues; i++)
		want_queue(g, d, i, &w, s, false);
	want_end(g, &w, s);
	return 0;
}

/*
 * (x) the VMM gives up the ioeventfds of @queues (dataplane stop,
 * ioeventfd=off, KVM refused one: @reason RELEASED or KVM_REFUSED). They do
 * not wait for promotion; those that waited stop. @reset: a per-queue reset
 * also makes them uninitialised. The freed slots go to waiting queues (r).
 * A vhost queue (OFFLIMITS) is given up only when KVM refused its
 * ioeventfd: vhost keeps its host notifier and runs on trapped
 * notifications, and giving that back later (e, f) changes nothing.
 */
int vqn_sm_queues_release(struct vqn_guest_sm *g, struct vqn_dev *d,
			  const unsigned long *queues, u8 reason,
			  bool reset, struct vqn_sink *s)
{
	u32 i, freed = 0;
	int ret;

	if (reason != VQNOTIFY_REASON_KVM_REFUSED || reset) {
		ret = check_not_vhost(d, queues);
		if (ret)
			return ret;
	}
	for (i = 0; (i = vqn_sm_next_queue(d, queues, i)) < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		if (reset)
			vq->flags &= ~VQNOTIFY_VQ_INITIALISED;
		if (vq_holds_slot(vq->state)) {
			freed += move_result(g, d, i, VQNOTIFY_VQ_DEASSIGNED,
					     VQNOTIFY_LABEL_X, reason, s);
		} else if (vq->flags & VQNOTIFY_VQ_WAITING) {
			waiting_del(g, vq);
			vq->reason = reason;
			put_result(g, s, d, i, vq->state, VQNOTIFY_LABEL_NONE);
		}
	}
	give_back(g, freed);
	promote(g);
	return 0;
}

/*
 * (g) every queue of the device to DEASSIGNED, OFFLIMITS included, and
 * nothing else: this alone is what a closing guest does to its devices.
 * vqn_sm_dev_reset() and vqn_sm_dev_remove() also promote (r).
 */
void vqn_sm_reset(struct vqn_guest_sm *g, struct vqn_dev *d, u8 reason,
		  struct vqn_sink *s)
{
	u32 i, freed = 0;

	d->status = 0;
	for (i = 0; i < d->num_queues; i++) {
		struct vqn_vq *vq = &d->vqs[i];

		waiting_del(g, vq);
		vq->flags &= ~VQNOTIFY_VQ_INITIALISED;
		if (vq->state != VQNOTIFY_VQ_DEASSIGNED)
			freed += move_result(g, d, i, VQNOTIFY_VQ_DEASSIGNED,
					     VQNOTIFY_LABEL_G, reason, s);
		else
			vq->reason = reason;
	}
	give_back(g, freed);
}

/* (g) then (r): VQNOTIFY_DEV_RESET, and SET_STATUS with status 0. */
void vqn_sm_dev_reset(struct vqn_guest_sm *g, struct vqn_dev *d,
		      struct vqn_sink *s)
{
	vqn_sm_reset(g, d, VQNOTIFY_REASON_RESET, s);
	promote(g);
}

/* (g) then (r): the device goes, its slot is free; the caller frees it. */
void vqn_sm_dev_remove(struct vqn_guest_sm *g, struct vqn_dev *d,
		       struct vqn_sink *s)
{
	vqn_sm_reset(g, d, VQNOTIFY_REASON_REMOVED, s);
	g->devs[d->slot] = NULL;
	promote(g);
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
 * ASSIGNED (d). Without vhost there, they simply keep their slot. A queue
 * vhost held that was never initialised stays DEASSIGNED, as (f) on the
 * source would leave it. (The blob's vhost bitmap says what vhost held;
 * the states need it no more.)
 */
void vqn_sm_load(struct vqn_guest_sm *g, struct vqn_dev *d, u32 status,
		 const unsigned long *ready, struct vqn_sink *s)
{
	u32 want;

	d->status = status;
	want = set_initialised(g, d, ready);
	if (status & VQNOTIFY_STATUS_DRIVER_OK)
		want_all(g, d, want, s);
}

/*
 * The admin's or the VMM's limits changed (budget, reserve, threshold):
 * preempt (p) userspace grants newest first until the guest fits (all of
 * them when it became limited); they wait for promotion. Then promote (r)
 * waiting queues into whatever is free, which a limited guest never does.
 * OFFLIMITS queues are never revoked here; a guest they put over budget is
 * reported as such.
 */
void vqn_sm_set_limits(struct vqn_guest_sm *g, u32 admin_budget,
		       u32 own_budget, u32 reserve, u32 threshold)
{
	g->admin_budget = admin_budget;
	g->own_budget = own_budget;
	g->vhost_reserve = reserve;
	g->threshold = threshold;
	while (g->assigned.first != VQN_NIL &&
	       (vqn_sm_limited(g) || !user_fits(g, g->used, g->nr_offlimits)))
		preempt(g, newest_grant(g, NULL, NULL),
			VQNOTIFY_REASON_PREEMPT_BUDGET, false);
	promote(g);
}

/*
 * (r) work-conserving: hand free slots to waiting queues, FIFO; the host
 * slots for as many as the budget has room for taken in one go. Returns
 * why queues still wait: the host's reason (HOST_CAP, QUOTA), NO_SLOT
 * (the budget), or GRANTED when none does (or, limited, none may).
 */
static u8 promote_waiting(struct vqn_guest_sm *g)
{
	u32 i, n, got;
	u8 why;

	if (g->waiting.first == VQN_NIL || vqn_sm_limited(g))
		return VQNOTIFY_REASON_GRANTED;
	n = min(g->nr_waiting, user_room(g));
	if (!n)
		return VQNOTIFY_REASON_NO_SLOT;
	got = vqn_env_host_take_n(g, n, 0, &why);
	for (i = 0; i < got; i++)
		move_async(g, vqn_sm_name_dev(g, g->waiting.first),
			   vqn_sm_name_index(g->waiting.first), VQNOTIFY_VQ_ASSIGNED,
			   VQNOTIFY_LABEL_R, VQNOTIFY_REASON_PROMOTED, true);
	if (got < n && reason_host(why)) {
		host_wait(g, why);
		return why;
	}
	return g->waiting.first == VQN_NIL ? VQNOTIFY_REASON_GRANTED :
					     VQNOTIFY_REASON_NO_SLOT;
}

/*
 * The promotion work's turn for the guest (vqn_line_serve()): (r) as every
 * call ends, the guest leaving the host's line when none of its queues
 * waits for the host any more.
 */
void vqn_sm_promote(struct vqn_guest_sm *g)
{
	promote(g);
}
