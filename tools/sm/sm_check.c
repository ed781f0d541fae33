// SPDX-License-Identifier: GPL-2.0
/*
 * The invariants of the vqnotify state machine's userspace environment
 * (sm_env.c), checked by sm_unit after every test and by sm_fuzz after
 * every step: each queue's state, label and reason agree, each guest's
 * and user's counters agree with its queues, the host's with its guests;
 * and the line's with its waiting guests (sm_check_line(), which sm_fuzz
 * also checks inside a run of the promotion work).
 */
#include <stdarg.h>
#include <stdio.h>

#include "sm_env.h"

/* The state machine's user_fits(), restated for the checks. */
bool sm_user_fits(const struct vqn_guest_sm *sm, u32 held, u32 offlimits)
{
	u64 reserve_left = 0;

	if (sm->vhost_reserve > offlimits)
		reserve_left = sm->vhost_reserve - offlimits;
	return held + reserve_left <= vqn_sm_budget(sm);
}

/* Describe a broken invariant in @msg; returns -EUCLEAN. */
static int broken(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EUCLEAN;
}

static bool label_fits_state(u8 state, u8 label)
{
	switch (state) {
	case VQNOTIFY_VQ_ASSIGNED:
		return label == VQNOTIFY_LABEL_B || label == VQNOTIFY_LABEL_E ||
		       label == VQNOTIFY_LABEL_R || label == VQNOTIFY_LABEL_Q;
	case VQNOTIFY_VQ_OFFLIMITS:
		return label == VQNOTIFY_LABEL_C || label == VQNOTIFY_LABEL_D;
	case VQNOTIFY_VQ_DEASSIGNED:
		return label == VQNOTIFY_LABEL_A || label == VQNOTIFY_LABEL_F ||
		       label == VQNOTIFY_LABEL_G || label == VQNOTIFY_LABEL_P ||
		       label == VQNOTIFY_LABEL_S || label == VQNOTIFY_LABEL_X;
	}
	return false;
}

static bool reason_waits(u8 reason)
{
	return reason == VQNOTIFY_REASON_NO_SLOT ||
	       reason == VQNOTIFY_REASON_HOST_CAP ||
	       reason == VQNOTIFY_REASON_QUOTA ||
	       reason == VQNOTIFY_REASON_LIMITED ||
	       reason == VQNOTIFY_REASON_PREEMPT_VHOST ||
	       reason == VQNOTIFY_REASON_PREEMPT_BUDGET;
}

static int check_queue(const struct sm_guest *g, const struct vqn_dev *d,
		       const struct vqn_vq *vq, char *msg, size_t len)
{
	/* A per-queue acquire works in any device status. */
	bool driver_ok = d->status & VQNOTIFY_STATUS_DRIVER_OK ||
			 g->acquired[d->id - 1];
	bool waiting = vq->flags & VQNOTIFY_VQ_WAITING;
	bool assigned = vq->state == VQNOTIFY_VQ_ASSIGNED;
	u32 q = vq - d->vqs;

	if (g->sm.devs[d->slot] != d)
		return broken(msg, len, "dev %u: not in its slot %u", d->id,
			      d->slot);
	if (vq->state > VQNOTIFY_VQ_OFFLIMITS)
		return broken(msg, len, "dev %u q %u: state %u", d->id, q, vq->state);
	if (!label_fits_state(vq->state, vq->label))
		return broken(msg, len, "dev %u q %u: %s after (%s)", d->id, q,
			      sm_state_name(vq->state), sm_label_name(vq->label));
	/* 0 for an ASSIGNED queue once the count wrapped: sm_check_guest(). */
	if (!assigned && vq->assign_seq)
		return broken(msg, len, "dev %u q %u: %s with assign_seq %u", d->id, q,
			      sm_state_name(vq->state), vq->assign_seq);
	/*
	 * A grant's number is one handed out: compared as the uAPI says,
	 * across a wrap of the count.
	 */
	if (assigned && (s32)(vq->assign_seq - g->sm.assign_seq) > 0)
		return broken(msg, len, "dev %u q %u: assign_seq %u beyond %u", d->id, q,
			      vq->assign_seq, g->sm.assign_seq);
	if (vq->state == VQNOTIFY_VQ_ASSIGNED && !driver_ok)
		return broken(msg, len, "dev %u q %u: ASSIGNED on a device without DRIVER_OK or acquire",
			      d->id, q);
	if (vq->state == VQNOTIFY_VQ_ASSIGNED &&
	    !(vq->flags & VQNOTIFY_VQ_INITIALISED))
		return broken(msg, len, "dev %u q %u: ASSIGNED but not initialised", d->id, q);
	if (waiting && (vq->state != VQNOTIFY_VQ_DEASSIGNED || !driver_ok ||
			!(vq->flags & VQNOTIFY_VQ_INITIALISED)))
		return broken(msg, len, "dev %u q %u: waiting as %s on %s device, flags %#x",
			      d->id, q, sm_state_name(vq->state),
			      driver_ok ? "a DRIVER_OK" : "a stopped", vq->flags);
	if (waiting && !reason_waits(vq->reason))
		return broken(msg, len, "dev %u q %u: waiting with reason %s", d->id, q,
			      sm_reason_name(vq->reason));
	/*
	 * The uAPI: NO_SLOT, HOST_CAP, QUOTA, LIMITED mean "waits for
	 * promotion", and so does a preemption (p): the same reasons as
	 * above, both ways.
	 */
	if (!waiting && vq->state == VQNOTIFY_VQ_DEASSIGNED &&
	    reason_waits(vq->reason))
		return broken(msg, len, "dev %u q %u: reason %s but not waiting", d->id, q,
			      sm_reason_name(vq->reason));
	return 0;
}

/* Every invariant of one guest; 0, or -EUCLEAN with @msg set. */
int sm_check_guest(const struct sm_guest *g, char *msg, size_t len)
{
	const struct vqn_guest_sm *sm = &g->sm;
	u32 nr_a = 0, nr_o = 0, nr_w = 0, last_seq = 0, nr_zero = 0, n;
	const struct vqn_vq *vq;
	unsigned int i, q;
	int ret;

	if (g->errors)
		return broken(msg, len, "%s%s", g->err, g->errors > 1 ? " (and more)" : "");
	if (vqn_sm_check(sm))
		return broken(msg, len, "vqn_sm_check(): used %u = %u A + %u O, %u waiting",
			      sm->used, sm->nr_assigned, sm->nr_offlimits,
			      sm->nr_waiting);
	for (i = 0; i < SM_MAX_DEVS; i++) {
		const struct vqn_dev *d = g->devs[i];

		if (!d)
			continue;
		for (q = 0; q < d->num_queues; q++) {
			vq = &d->vqs[q];
			ret = check_queue(g, d, vq, msg, len);
			if (ret)
				return ret;
			nr_a += vq->state == VQNOTIFY_VQ_ASSIGNED;
			nr_o += vq->state == VQNOTIFY_VQ_OFFLIMITS;
			nr_w += !!(vq->flags & VQNOTIFY_VQ_WAITING);
		}
	}
	if (nr_a != sm->nr_assigned || nr_o != sm->nr_offlimits ||
	    nr_a + nr_o != sm->used || nr_w != sm->nr_waiting)
		return broken(msg, len, "seen %u A + %u O, %u waiting; used %u = %u + %u, %u w",
			      nr_a, nr_o, nr_w, sm->used, sm->nr_assigned,
			      sm->nr_offlimits, sm->nr_waiting);
	/*
	 * Grants are listed oldest first: (p) takes the newest. Their
	 * assign_seq rise, compared across a wrap of the count, which gives
	 * one of them 0.
	 */
	for (n = sm->assigned.first; n != VQN_NIL; n = vq->next) {
		vq = vqn_sm_queue(sm, n);
		nr_zero += !vq->assign_seq;
		if (nr_zero > 1)
			return broken(msg, len, "two ASSIGNED queues with assign_seq 0");
		if (n != sm->assigned.first && (s32)(vq->assign_seq - last_seq) <= 0)
			return broken(msg, len, "assigned list out of grant order: %u after %u",
				      vq->assign_seq, last_seq);
		last_seq = vq->assign_seq;
	}
	if (vqn_sm_limited(sm) && sm->nr_assigned)
		return broken(msg, len, "limited (budget %u < threshold %u): %u A",
			      vqn_sm_budget(sm), sm->threshold, sm->nr_assigned);
	/* Only OFFLIMITS queues may put a guest over its budget. */
	if (sm->nr_assigned && !sm_user_fits(sm, sm->used, sm->nr_offlimits))
		return broken(msg, len, "over budget: used %u (%u A) reserve %u budget %u",
			      sm->used, sm->nr_assigned, sm->vhost_reserve,
			      vqn_sm_budget(sm));
	for (i = 0; i < VQNOTIFY_NR_COUNTERS; i++)
		if (sm->counts[i] != g->counts[i])
			return broken(msg, len, "counts[%s] is %llu, %llu transitions seen",
				      sm_label_name(i), (unsigned long long)sm->counts[i],
				      (unsigned long long)g->counts[i]);
	/*
	 * Work-conserving: a waiting queue that fits the budget is blocked by
	 * the host cap, and the guest is known to wait for a host slot.
	 */
	if (sm->nr_waiting && !vqn_sm_limited(sm) &&
	    sm_user_fits(sm, sm->used + 1, sm->nr_offlimits)) {
		if (!g->line.waiting)
			return broken(msg, len, "%u wait, budget %u/%u reserve %u, no host wait",
				      sm->nr_waiting, sm->used, vqn_sm_budget(sm),
				      sm->vhost_reserve);
		if (g->host->used < g->host->cap &&
		    g->host->users[g->user].used < g->host->users[g->user].max &&
		    !g->host->work_pending)
			return broken(msg, len, "%u wait, host used %u/%u, no promotion scheduled",
				      sm->nr_waiting, g->host->used, g->host->cap);
	}
	return 0;
}

/* Is @g one of @h's open guests (the module's table of guests)? */
static bool guest_open(const struct sm_host *h, const struct sm_guest *g)
{
	unsigned int i;

	for (i = 0; i < SM_MAX_GUESTS; i++)
		if (h->guests[i] == g)
			return true;
	return false;
}

/*
 * The line of waiting guests, against the guests and against itself: each
 * user's waitq holds exactly its waiting guests, open ones only, and the
 * host's line the users with a guest waiting; the counters count them.
 * True whenever the line's lock is free, in a run of the promotion work
 * too: a closing guest leaves the line at once (sm_guest_close_begin()),
 * and a guest in its turn stays in it, counted. A closed guest left on a
 * waitq, uncounted, would be picked after it is freed.
 */
int sm_check_line(const struct sm_host *h, char *msg, size_t len)
{
	u32 waiters = 0, capped = 0, nr_users = 0, held = 0, n;
	u32 uwait[SM_MAX_USERS] = { 0 }, ucapped[SM_MAX_USERS] = { 0 };
	u32 uexempt[SM_MAX_USERS] = { 0 };
	const struct list_head *p;
	unsigned int i;

	for (i = 0; i < SM_MAX_GUESTS; i++) {
		const struct sm_guest *g = h->guests[i];
		const char *idle;

		if (!g)
			continue;
		if (g->line.waiting == list_empty(&g->line.node))
			return broken(msg, len, "guest %u %s, %s its user's line",
				      i, g->line.waiting ? "waits" : "waits not",
				      g->line.waiting ? "out of" : "in");
		/*
		 * In line only while some queue of its waits for the host:
		 * its own calls take it out when none does (promote()).
		 */
		idle = !g->sm.nr_waiting ? "nothing waiting" :
		       vqn_sm_limited(&g->sm) ? "limited" :
		       !sm_user_fits(&g->sm, g->sm.used + 1,
				     g->sm.nr_offlimits) ? "its budget full" :
		       NULL;
		if (g->line.waiting && idle)
			return broken(msg, len, "guest %u in line, %s", i,
				      idle);
		waiters += g->line.waiting;
		if (g->line.waiting &&
		    g->line.wait_reason == VQNOTIFY_REASON_HOST_CAP) {
			ucapped[g->user]++;
			/* A user without room waits for its quota first. */
			capped += !h->users[g->user].line.no_room;
		}
		uwait[g->user] += g->line.waiting;
		uexempt[g->user] += g->line.waiting && g->line.exempt;
	}
	for (i = 0; i < SM_MAX_USERS; i++) {
		const struct vqn_line_user *lu = &h->users[i].line;

		n = 0;
		for (p = lu->waitq.next; p != &lu->waitq; p = p->next) {
			const struct sm_guest *g =
				container_of(p, struct sm_guest, line.node);

			if (n++ == SM_MAX_GUESTS)
				return broken(msg, len,
					      "user %u: its line loops", i);
			if (!guest_open(h, g) || !g->line.waiting ||
			    g->user != i)
				return broken(msg, len,
					      "user %u: its line holds a guest %s",
					      i, !guest_open(h, g) ? "closed" :
					      !g->line.waiting ? "not waiting" :
					      "of another user");
		}
		if (n != uwait[i] || uwait[i] != lu->nr_waiting ||
		    !uwait[i] == !list_empty(&lu->node))
			return broken(msg, len,
				      "user %u: %u waiting, %u in its line, %u guests wait",
				      i, lu->nr_waiting, n, uwait[i]);
		nr_users += !!uwait[i];
		if (ucapped[i] != lu->nr_capped)
			return broken(msg, len, "user %u: %u wait for the cap, %u counted",
				      i, ucapped[i], lu->nr_capped);
		if (uexempt[i] != lu->nr_exempt)
			return broken(msg, len,
				      "user %u: %u exempt wait, %u counted", i,
				      uexempt[i], lu->nr_exempt);
		if (lu->no_room && !uwait[i])
			return broken(msg, len, "user %u out of line without room",
				      i);
		/* Found with room by the work's recheck; its line empty, not. */
		if (lu->held && (!uwait[i] || lu->no_room))
			return broken(msg, len, "user %u held %s", i,
				      lu->no_room ? "without room" :
				      "out of line");
		held += lu->held;
	}
	n = 0;
	for (p = h->line.users.next; p != &h->line.users; p = p->next) {
		const struct sm_user *u =
			container_of(p, struct sm_user, line.node);

		if (n++ == SM_MAX_USERS || u < h->users ||
		    u >= h->users + SM_MAX_USERS)
			return broken(msg, len,
				      "the host's line holds no user");
	}
	if (n != nr_users)
		return broken(msg, len, "%u users in the host's line, %u wait",
			      n, nr_users);
	if (capped != h->line.nr_capped)
		return broken(msg, len, "%u wait for the host cap, %u counted",
			      capped, h->line.nr_capped);
	if (held != h->line.nr_held)
		return broken(msg, len, "%u users held, %u counted", held,
			      h->line.nr_held);
	if (waiters != h->line.nr_waiting)
		return broken(msg, len, "host waiters %u, %u guests wait",
			      h->line.nr_waiting, waiters);
	return 0;
}

int sm_check_host(const struct sm_host *h, char *msg, size_t len)
{
	u32 used = 0, uused[SM_MAX_USERS] = { 0 };
	unsigned int i;
	int ret;

	for (i = 0; i < SM_MAX_GUESTS; i++) {
		const struct sm_guest *g = h->guests[i];

		if (!g)
			continue;
		ret = sm_check_guest(g, msg, len);
		if (ret) {
			size_t n = strlen(msg);

			snprintf(msg + n, len - n, " [guest %u]", i);
			return ret;
		}
		used += g->sm.used;
		uused[g->user] += g->sm.used;
	}
	/* After it, each user's nr_exempt counts its exempt guests waiting. */
	ret = sm_check_line(h, msg, len);
	if (ret)
		return ret;
	for (i = 0; i < SM_MAX_USERS; i++) {
		const struct vqn_line_user *lu = &h->users[i].line;

		if (uused[i] != h->users[i].used)
			return broken(msg, len, "user %u used %u, its guests hold %u",
				      i, h->users[i].used, uused[i]);
		/*
		 * no_room is what the promotion work last found
		 * (vqn_line_next(), or vqn_line_recheck() with the host
		 * full: neither a slot in the quota nor an exempt guest in
		 * line), never with an exempt guest in line
		 * (vqn_line_wait()), and lags until the work looks at the
		 * user again; but room comes back only with the work
		 * scheduled (the quota raised, a slot given back while
		 * guests wait). Else the flag was set on a user with room,
		 * outside the work, or left stale by a run: the first call
		 * of any other user would take each slot freed. (sm_fuzz.c
		 * follows the walks and rechecks for the rest.)
		 */
		if (lu->no_room &&
		    (lu->nr_exempt || (h->users[i].used < h->users[i].max &&
				       !h->work_pending)))
			return broken(msg, len,
				      "user %u: no_room, but quota %u/%u, %u exempt wait; host %u/%u, promotion %sscheduled",
				      i, h->users[i].used, h->users[i].max,
				      lu->nr_exempt, h->used, h->cap,
				      h->work_pending ? "" : "not ");
		/*
		 * held is set with the host full; whatever gives the host
		 * room again (a slot given back while guests wait, the cap
		 * raised) schedules the work, which serves the user or,
		 * walking it without room, clears it. Else it would refuse
		 * every other user's slots of a host with room.
		 */
		if (lu->held && h->used < h->cap && !h->work_pending)
			return broken(msg, len,
				      "user %u held, host %u/%u, promotion not scheduled",
				      i, h->used, h->cap);
	}
	if (used != h->used)
		return broken(msg, len, "host used %u, guests hold %u", h->used, used);
	return 0;
}
