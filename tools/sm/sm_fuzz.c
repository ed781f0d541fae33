// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzer of the vqnotify state machine (kmod/vqn_sm.c) in userspace.
 *
 * Each input builds a host with a few guests and devices, then applies the
 * event sequence it decodes to: devices added and removed, status changes
 * with random ready bitmaps, host notifiers on and off, resets, loads, the
 * VMM's and the admin's budgets, reserves and thresholds, host cap changes,
 * users' quotas (guests of a few users, some exempt from the quota as an
 * opener with CAP_SYS_RESOURCE is) and the host-wide promotion; in the
 * promotion work's run, up to three actions of other CPUs between its pick
 * of a guest and that guest's turn: calls, the admin's changes, closes,
 * the picked guest's own before the work tries its lock. After every step
 * every invariant of sm_check_host() must hold, and the call's results
 * must be what the uAPI promises (the line's, sm_check_line(), after every
 * action and turn in a run); after a promotion, nobody who could take a
 * slot still waits; a closed guest is never served, nor back in line; a
 * guest refused in its turn waits where it was (no guest ahead of it
 * that was not at the pick, unless it left the line since), by the quota
 * only when full; each user's no_room (its quota found full) and held
 * (found with room by the recheck of a full host) are what the model
 * derives wherever it can; any breach aborts with a trace of the last
 * steps.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined (libFuzzer), or with
 * -DSM_FUZZ_STANDALONE and sm_fuzz_standalone.c, a seeded random driver
 * taking the same options (-seed=, -runs=, -max_total_time=, files to
 * replay).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "sm_env.h"

#define FUZZ_GUESTS	3
#define FUZZ_DEVS	6	/* per guest */
#define FUZZ_USERS	2	/* of the host's SM_MAX_USERS */
#define FUZZ_STEPS	400
#define TRACE_LINES	48
#define TRACE_LEN	160

struct input {
	const uint8_t *p;
	size_t n;
};

/*
 * What the model knows of a user's vqn_line_user.no_room, which the
 * promotion work sets when it walks the user (vqn_line_next()) and which
 * lags until its next walk: known clear (the start, the user out of line,
 * or picked), known set (the last walk of a run found nobody with room),
 * or unknown (a walk may have passed over it, or stopped before it).
 * Likewise of its held, which the work's recheck sets with the host full
 * and a walk passing over the user clears.
 */
enum room_seen {
	ROOM_SEEN_CLEAR,
	ROOM_SEEN_SET,
	ROOM_SEEN_UNKNOWN,
};

struct world {
	struct sm_host host;
	struct sm_guest g[FUZZ_GUESTS];
	bool open[FUZZ_GUESTS];
	/* Closed in a window of the work's run, its devices not gone yet. */
	bool closing[FUZZ_GUESTS];
	unsigned int nr_guests;
	unsigned int step;
	/* The guest's grants before the step, oldest first. */
	struct vqn_vq *grants[FUZZ_DEVS * VQNOTIFY_MAX_QUEUES];
	unsigned int nr_grants;
	/* Each user's no_room and held as the model derives them. */
	u8 no_room[SM_MAX_USERS];
	u8 held[SM_MAX_USERS];
	/* Times each guest left the line by its own call or turn. */
	unsigned int left[FUZZ_GUESTS];
	char msg[SM_ERR_LEN];
};

enum op {
	OP_DEV_ADD,
	OP_DEV_REMOVE,
	OP_SET_STATUS,
	OP_SET_STATUS2,		/* status changes are the common case */
	OP_VHOST_ON,
	OP_VHOST_ON2,
	OP_VHOST_OFF,
	OP_RESET,
	OP_LOAD,
	OP_OWN_BUDGET,
	OP_ADMIN_BUDGET,
	OP_RESERVE,
	OP_THRESHOLD,
	OP_HOST_CAP,
	OP_HOST_PROMOTE,
	OP_REOPEN,
	OP_ACQUIRE,
	OP_RELEASE,
	OP_VHOST_BATCH,
	OP_RUN_STATE,
	OP_LOAD_AFTER_RESET,
	OP_USER_QUOTA,
	OP_MAX,
};

static const char * const op_names[OP_MAX] = {
	[OP_DEV_ADD] = "dev_add", [OP_DEV_REMOVE] = "dev_remove",
	[OP_SET_STATUS] = "set_status", [OP_SET_STATUS2] = "set_status",
	[OP_VHOST_ON] = "vhost_on", [OP_VHOST_ON2] = "vhost_on",
	[OP_VHOST_OFF] = "vhost_off", [OP_RESET] = "reset",
	[OP_LOAD] = "load", [OP_OWN_BUDGET] = "own_budget",
	[OP_ADMIN_BUDGET] = "admin_budget", [OP_RESERVE] = "reserve",
	[OP_THRESHOLD] = "threshold", [OP_HOST_CAP] = "host_cap",
	[OP_HOST_PROMOTE] = "host_promote", [OP_REOPEN] = "reopen",
	[OP_ACQUIRE] = "acquire", [OP_RELEASE] = "release",
	[OP_VHOST_BATCH] = "vhost_batch", [OP_RUN_STATE] = "run_state",
	[OP_LOAD_AFTER_RESET] = "load_after_reset",
	[OP_USER_QUOTA] = "user_quota",
};

static char trace_buf[TRACE_LINES][TRACE_LEN];
static unsigned int trace_next;
static bool verbose;
static unsigned long long seen_labels[VQNOTIFY_LABEL_MAX];
static unsigned long long seen_ops[OP_MAX];
static unsigned long long seen_enospc;
static unsigned long long seen_busy, seen_meanwhile;
/* Windows in a turn owed its slot (turn_owed()): for the cap, the hold. */
static unsigned long long seen_owed_cap, seen_owed_held;
/* Windows of a run by how many actions ran in them (window_len()). */
static unsigned long long seen_window[4];
/* The picked guest closed before the work tried its lock: let go, passed. */
static unsigned long long seen_closed_gone, seen_closed_busy;
/* ... let go with its devices still there (its close's second half later) */
static unsigned long long seen_closed_half;
/* Turns the user's quota refused: lowered by the admin, or filled. */
static unsigned long long seen_quota_turn, seen_quota_lowered;
static unsigned long long seen_quota_filled;
/* Refused turns whose place was checked, of a guest picked from behind. */
static unsigned long long seen_refused_behind;
static unsigned long long seen_no_room_model, seen_no_room_flag;
/* Guests refused for a held user's guest waiting; of those, on its flag. */
static unsigned long long seen_held, seen_held_flag;

static void trace(const char *fmt, ...)
{
	char *line = trace_buf[trace_next++ % TRACE_LINES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, TRACE_LEN, fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "%s\n", line);
}

#ifdef SM_FUZZ_STANDALONE
void save_input(void);		/* sm_fuzz_standalone.c */
#else
static inline void save_input(void) { }
#endif

static void fail(struct world *w, const char *fmt, ...)
{
	unsigned int i, n = trace_next < TRACE_LINES ? trace_next : TRACE_LINES;
	va_list ap;

	fprintf(stderr, "sm_fuzz: last %u steps:\n", n);
	for (i = trace_next - n; i != trace_next; i++)
		fprintf(stderr, "  %s\n", trace_buf[i % TRACE_LINES]);
	fprintf(stderr, "sm_fuzz: invariant broken after step %u: ", w->step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	save_input();
	abort();
}

static u8 take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static u32 take_queues(struct input *in)
{
	u8 b = take(in);

	/* Mostly small devices; sometimes more than one bitmap word. */
	if (b & 0x80)
		return 1 + take(in) % 130;
	return 1 + b % 8;
}

static u32 take_budget(struct input *in)
{
	return take(in) % 20;
}

static u32 take_cap(struct input *in)
{
	u8 b = take(in);

	return b < 16 ? 1U << 20 : b % 40;
}

/* A user's quota: none (the default) a quarter of the time. */
static u32 take_quota(struct input *in)
{
	u8 b = take(in);

	return b < 64 ? UINT32_MAX : b % 24;
}

/* A bitmap of @nq queues: all, or bits from the input; or NULL for all. */
static unsigned long *take_bitmap(struct input *in, unsigned long *bm, u32 nq,
				  bool may_be_null)
{
	u8 mode = take(in) % 4;
	u32 i, j;

	memset(bm, 0, SM_BITMAP_LONGS * sizeof(*bm));
	if (mode == 0 && may_be_null)
		return NULL;
	for (i = 0; i < nq; i += 8) {
		u8 bits = mode < 2 ? 0xff : take(in);

		for (j = 0; j < 8 && i + j < nq; j++)
			if (bits & (1U << j))
				__set_bit(i + j, bm);
	}
	return bm;
}

static u32 take_status(struct input *in)
{
	switch (take(in) % 4) {
	case 0:
		return 0;
	case 1:
		return 0x0f;	/* DRIVER_OK */
	case 2:
		return 0x0b;	/* everything but DRIVER_OK */
	default:
		return take(in);
	}
}

static struct sm_guest *pick_guest(struct world *w, struct input *in,
				   unsigned int *idx)
{
	unsigned int i = take(in) % w->nr_guests;

	*idx = i;
	return &w->g[i];
}

static unsigned int nr_devs(struct sm_guest *g)
{
	unsigned int i, n = 0;

	for (i = 0; i < SM_MAX_DEVS; i++)
		n += !!g->devs[i];
	return n;
}

/* Some device of @g, NULL if it has none. */
static struct vqn_dev *pick_dev(struct sm_guest *g, struct input *in)
{
	unsigned int i, start = take(in) % SM_MAX_DEVS;

	for (i = 0; i < SM_MAX_DEVS; i++) {
		struct vqn_dev *d = g->devs[(start + i) % SM_MAX_DEVS];

		if (d)
			return d;
	}
	return NULL;
}

static void snapshot_grants(struct world *w, struct sm_guest *g)
{
	u32 n;

	w->nr_grants = 0;
	for (n = g->sm.assigned.first; n != VQN_NIL;
	     n = vqn_sm_queue(&g->sm, n)->next)
		w->grants[w->nr_grants++] = vqn_sm_queue(&g->sm, n);
}

/* (p) takes the newest grants: the victims are the newest before the call. */
static void check_preemption_order(struct world *w, struct sm_guest *g,
				   unsigned int first)
{
	unsigned int i, nth = w->nr_grants;

	for (i = first; i < g->nr_reports; i++) {
		const struct sm_report *r = &g->reports[i];

		if (r->label != VQNOTIFY_LABEL_P)
			continue;
		if (!nth || w->grants[--nth] != r->vq)
			fail(w, "(p) of dev %u q %u is not the newest grant",
			     r->dev_id, r->queue);
	}
}

static unsigned int count_label(struct sm_guest *g, unsigned int first,
				u8 label)
{
	unsigned int i, n = 0;

	for (i = first; i < g->nr_reports; i++)
		n += g->reports[i].label == label;
	return n;
}

/* Reports since @first about @vq that are results, i.e. not events. */
static unsigned int results_for(struct sm_guest *g, unsigned int first,
				const struct vqn_vq *vq)
{
	unsigned int i, n = 0;

	for (i = first; i < g->nr_reports; i++)
		n += g->reports[i].vq == vq && !g->reports[i].async;
	return n;
}

static const struct sm_report *result_of(struct sm_guest *g,
					 unsigned int first,
					 const struct vqn_vq *vq)
{
	unsigned int i;

	for (i = first; i < g->nr_reports; i++)
		if (g->reports[i].vq == vq && !g->reports[i].async)
			return &g->reports[i];
	return NULL;
}

/*
 * A call's results say where each queue ended: none is changed again by
 * the same call after its result (a promotion (r) of a queue the call had
 * just refused would reach the calls group's listeners before the result,
 * which they would take as its final state).
 */
static void check_results_final(struct world *w, struct sm_guest *g,
				unsigned int first, const char *what)
{
	unsigned int i;

	for (i = first; i < g->nr_reports; i++) {
		const struct sm_report *r = &g->reports[i];

		if (!r->async && r->vq->state != r->new_state)
			fail(w, "%s: dev %u q %u is %s, its result says %s",
			     what, r->dev_id, r->queue,
			     sm_state_name(r->vq->state),
			     sm_state_name(r->new_state));
	}
}

/*
 * Did the call promote queue @i of @d, waiting already (@was_waiting)
 * before it began? Then by exactly one event (r), and it is ASSIGNED.
 */
static bool promoted_first(struct world *w, struct sm_guest *g,
			   unsigned int first, const struct vqn_dev *d, u32 i,
			   bool was_waiting)
{
	const struct vqn_vq *vq = &d->vqs[i];
	unsigned int r, n = 0;

	for (r = first; r < g->nr_reports; r++)
		n += g->reports[r].vq == vq && g->reports[r].async &&
		     g->reports[r].label == VQNOTIFY_LABEL_R;
	if (!was_waiting)
		return false;
	if (n > 1 || (n && vq->state != VQNOTIFY_VQ_ASSIGNED))
		fail(w, "dev %u q %u: promoted %u times, now %s", d->id, i, n,
		     sm_state_name(vq->state));
	return n == 1;
}

static void op_set_status(struct world *w, struct sm_guest *g,
			  struct vqn_dev *d, struct input *in)
{
	unsigned long bm[SM_BITMAP_LONGS];
	u8 old[VQNOTIFY_MAX_QUEUES];
	bool was_waiting[VQNOTIFY_MAX_QUEUES];
	u32 status = take_status(in), i;
	unsigned long *ready = take_bitmap(in, bm, d->num_queues, true);
	bool was_ok = d->status & VQNOTIFY_STATUS_DRIVER_OK;
	bool is_ok = status & VQNOTIFY_STATUS_DRIVER_OK;
	unsigned int first = g->nr_reports;

	trace("set_status dev %u status %#x ready %s%#lx", d->id, status,
	      ready ? "" : "all ", ready ? bm[0] : 0UL);
	for (i = 0; i < d->num_queues; i++) {
		old[i] = d->vqs[i].state;
		was_waiting[i] = d->vqs[i].flags & VQNOTIFY_VQ_WAITING;
	}
	sm_set_status(g, d, status, ready);
	if (d->status != status)
		fail(w, "dev %u status %#x after set_status(%#x)", d->id,
		     d->status, status);

	/* The results list each queue the call changed, and refusals. */
	for (i = 0; i < d->num_queues; i++) {
		unsigned int n = results_for(g, first, &d->vqs[i]);
		unsigned int want;

		if (!status)
			want = old[i] != VQNOTIFY_VQ_DEASSIGNED;
		else if (is_ok && !was_ok)
			/*
			 * But for a queue waiting already that the call
			 * promoted (r) first: one event, as promotions are,
			 * not a result.
			 */
			want = old[i] == VQNOTIFY_VQ_DEASSIGNED &&
			       !promoted_first(w, g, first, d, i,
					       was_waiting[i]);
		else if (!is_ok && was_ok)
			want = old[i] == VQNOTIFY_VQ_ASSIGNED;
		else
			want = 0;
		if (n != want)
			fail(w, "set_status(%#x) dev %u q %u (was %s): %u results, want %u",
			     status, d->id, i, sm_state_name(old[i]), n, want);
		if (status && is_ok && !was_ok && want && ready &&
		    !test_bit(i, ready) &&
		    result_of(g, first, &d->vqs[i])->reason !=
		    VQNOTIFY_REASON_NOT_READY)
			fail(w, "dev %u q %u not ready but not refused as such",
			     d->id, i);
		/*
		 * Initialised: after a reset none; at DRIVER_OK the ready
		 * ones, and those userspace holds a slot for (only a reset
		 * takes that back); vhost's queues as the VMM says.
		 */
		if ((!status || (is_ok && !was_ok)) &&
		    !!(d->vqs[i].flags & VQNOTIFY_VQ_INITIALISED) !=
		    (status && (!ready || test_bit(i, ready) ||
				old[i] == VQNOTIFY_VQ_ASSIGNED)))
			fail(w, "set_status(%#x) dev %u q %u (was %s, %sready): initialised %d",
			     status, d->id, i, sm_state_name(old[i]),
			     !ready || test_bit(i, ready) ? "" : "not ",
			     !!(d->vqs[i].flags & VQNOTIFY_VQ_INITIALISED));
	}
}

/*
 * Does a guest of user @u wait in the line (an exempt one, if @exempt)?
 * From the guests, not from the line's counters.
 */
static bool user_waits(const struct sm_host *h, unsigned int u, bool exempt)
{
	unsigned int i;

	for (i = 0; i < SM_MAX_GUESTS; i++)
		if (h->guests[i] && h->guests[i]->user == u &&
		    h->guests[i]->line.waiting &&
		    (!exempt || h->guests[i]->line.exempt))
			return true;
	return false;
}

/*
 * Has user @u room for the line (vqn_line_first())? A slot in its quota,
 * or an exempt guest of it in line, which the walk finds behind the
 * others. From the users' counters and the guests, not from the line.
 */
static bool user_room(const struct sm_host *h, unsigned int u)
{
	return h->users[u].used < h->users[u].max || user_waits(h, u, true);
}

/*
 * The line's no_room and held agree with the model wherever the model
 * knows them.
 */
static void room_seen_check(struct world *w, const char *when)
{
	const struct sm_host *h = &w->host;
	unsigned int u;

	for (u = 0; u < SM_MAX_USERS; u++) {
		const struct vqn_line_user *lu = &h->users[u].line;
		bool want = w->no_room[u] == ROOM_SEEN_SET;
		bool held = w->held[u] == ROOM_SEEN_SET;

		if (w->no_room[u] != ROOM_SEEN_UNKNOWN && lu->no_room != want)
			fail(w, "%s: user %u (quota %u/%u%s) no_room %d, want %d",
			     when, u, h->users[u].used, h->users[u].max,
			     user_waits(h, u, false) ? ", in line" : "",
			     lu->no_room, want);
		if (w->held[u] != ROOM_SEEN_UNKNOWN && lu->held != held)
			fail(w, "%s: user %u (quota %u/%u%s, host %u/%u) held %d, want %d",
			     when, u, h->users[u].used, h->users[u].max,
			     user_waits(h, u, false) ? ", in line" : "",
			     h->used, h->cap, lu->held, held);
	}
}

/*
 * A user out of line has no_room and held clear: vqn_line_unwait()
 * clears them as its last guest leaves. Known after every step and every
 * vqn_line_unwait(), the only way out of the line (a guest's close, its
 * turn, and its own call leaving it nothing waiting for the host, which
 * may wait again in the same call): no user leaves and comes back unseen.
 * So does a user with an exempt guest in line: room, from the moment it
 * joins (vqn_line_wait()).
 */
static void room_seen_forget(struct world *w)
{
	unsigned int u;

	for (u = 0; u < SM_MAX_USERS; u++) {
		if (!user_waits(&w->host, u, false))
			w->held[u] = ROOM_SEEN_CLEAR;
		if (!user_waits(&w->host, u, false) ||
		    user_waits(&w->host, u, true))
			w->no_room[u] = ROOM_SEEN_CLEAR;
	}
}

/* A guest's call or turn took it out of the line (sm_host.left_line). */
static void room_seen_call_left(struct sm_host *h, struct sm_guest *g,
				void *arg)
{
	struct world *w = arg;

	w->left[g - w->g]++;
	room_seen_forget(w);
}

/* As room_seen_forget(); then the line must agree (@when: after what). */
static void room_seen_left(struct world *w, const char *when)
{
	room_seen_forget(w);
	room_seen_check(w, when);
}

/*
 * The work's vqn_line_next() picked @g: the first user from the line's
 * head with room, which it clears and sends to the tail; each user ahead
 * of it had none, and is set. A user with room now is behind the picked
 * one, not walked; a user set stays set; one clear without room may have
 * been walked (the model does not keep the line's order): unknown. Each
 * user passed over is no longer held: one held without room is unknown;
 * the picked one stays as it was.
 */
static void room_seen_picked(struct world *w, const struct sm_guest *g)
{
	const struct sm_host *h = &w->host;
	const struct sm_user *pu = &h->users[g->user];
	unsigned int u;

	if (!g->line.waiting)
		fail(w, "the work picked a guest of user %u out of line",
		     g->user);
	if (!g->line.exempt && pu->used >= pu->max)
		fail(w, "the work picked a guest of user %u, quota %u/%u",
		     g->user, pu->used, pu->max);
	for (u = 0; u < SM_MAX_USERS; u++) {
		if (u == g->user) {
			w->no_room[u] = ROOM_SEEN_CLEAR;
			continue;
		}
		if (!user_waits(h, u, false) || user_room(h, u))
			continue;
		if (w->no_room[u] == ROOM_SEEN_CLEAR)
			w->no_room[u] = ROOM_SEEN_UNKNOWN;
		if (w->held[u] == ROOM_SEEN_SET)
			w->held[u] = ROOM_SEEN_UNKNOWN;
	}
	room_seen_check(w, "vqn_line_next()");
}

/*
 * After a run of the work of @picks turns: when the host still has room
 * and the work is not a batch short, its last vqn_line_next() walked the
 * whole line and found nobody with room (the cap stops a turn only with
 * the host full: the work takes with least 0). Every user in line is set,
 * and has indeed no room, and none is held. With the host full, its
 * recheck set exactly the users in line without room, and held those
 * with room.
 */
static void room_seen_run(struct world *w, unsigned int picks)
{
	const struct sm_host *h = &w->host;
	unsigned int u;

	if (h->used >= h->cap) {
		/* vqn_line_recheck(): who has room is clear and held. */
		for (u = 0; u < SM_MAX_USERS; u++) {
			bool room;

			if (!user_waits(h, u, false))
				continue;
			room = user_room(h, u);
			w->held[u] = room ? ROOM_SEEN_SET : ROOM_SEEN_CLEAR;
			w->no_room[u] = room ? ROOM_SEEN_CLEAR : ROOM_SEEN_SET;
		}
		room_seen_check(w, "vqn_line_recheck()");
		return;
	}
	if (picks >= VQN_PROMOTE_BATCH)
		return;
	for (u = 0; u < SM_MAX_USERS; u++) {
		if (!user_waits(h, u, false))
			continue;
		if (user_room(h, u))
			fail(w, "the work ended with user %u in line with room (quota %u/%u), host %u/%u",
			     u, h->users[u].used, h->users[u].max, h->used,
			     h->cap);
		w->no_room[u] = ROOM_SEEN_SET;
		w->held[u] = ROOM_SEEN_CLEAR;
	}
	room_seen_check(w, "the work's last walk");
}

/*
 * Is user @u's quota full for the line, for the oracle below: the model's
 * no_room where it knows it, else the line's own flag.
 */
static bool user_no_room(const struct world *w, unsigned int u)
{
	if (w->no_room[u] == ROOM_SEEN_UNKNOWN) {
		seen_no_room_flag++;
		return w->host.users[u].line.no_room;
	}
	seen_no_room_model++;
	return w->no_room[u] == ROOM_SEEN_SET;
}

/* Is user @u held: the model's where it knows, else the line's flag. */
static bool user_held(const struct world *w, unsigned int u)
{
	bool held = w->held[u] == ROOM_SEEN_SET;

	if (w->held[u] == ROOM_SEEN_UNKNOWN) {
		held = w->host.users[u].line.held;
		seen_held_flag += held;
	}
	seen_held += held;
	return held;
}

/*
 * Does the line of waiting guests refuse @g a slot now (kmod/vqn_pool_line.c,
 * from the guests rather than the line's counters)? Others of its user wait
 * before it, unless it is exempt from the quota they wait for; any other
 * guest waits for the host cap, unless the promotion work last found its
 * user's quota full (no_room: it waits for that first, and holds up no
 * other user). That flag is the model's (user_no_room()) where the model
 * knows it; else the line's own, which the model only bounds
 * (sm_check_host()). A guest of a held user (user_held(), the same way)
 * waits for the cap, whatever refused it: it refuses every guest but
 * itself, and but an exempt guest of its user waiting too.
 */
static bool line_refuses(const struct world *w, const struct sm_guest *g)
{
	const struct sm_host *h = &w->host;
	unsigned int i;

	for (i = 0; i < SM_MAX_GUESTS; i++) {
		const struct sm_guest *o = h->guests[i];

		if (!o || o == g || !o->line.waiting)
			continue;
		if (o->user == g->user && !g->line.exempt)
			return true;
		if (o->line.wait_reason == VQNOTIFY_REASON_HOST_CAP &&
		    !user_no_room(w, o->user))
			return true;
		if (user_held(w, o->user) &&
		    !(o->user == g->user && g->line.exempt && g->line.waiting))
			return true;
	}
	return false;
}

/* @g's user has no slot left for it: its quota is full, unless exempt. */
static bool quota_full(const struct world *w, const struct sm_guest *g)
{
	const struct sm_user *u = &w->host.users[g->user];

	return !g->line.exempt && u->used >= u->max;
}

/*
 * No slot for @g from the host: the cap, its user's quota, or others
 * waiting before it (fairness).
 */
static bool host_refuses(const struct world *w, const struct sm_guest *g)
{
	return w->host.used >= w->host.cap || quota_full(w, g) ||
	       line_refuses(w, g);
}

/*
 * A slot taken by the step was within the quota (unless exempt) and the
 * host cap: what a user or the host holds grows only below its limit (the
 * admin may lower a limit below what is held).
 */
static void check_limits_kept(struct world *w, const struct sm_guest *g,
			      u32 user_used, u32 host_used, const char *what)
{
	const struct sm_user *u = &w->host.users[g->user];

	if (u->used > user_used && u->used > u->max && !g->line.exempt)
		fail(w, "%s: user %u holds %u, quota %u (was %u)", what,
		     g->user, u->used, u->max, user_used);
	if (w->host.used > host_used && w->host.used > w->host.cap)
		fail(w, "%s: host holds %u, cap %u (was %u)", what,
		     w->host.used, w->host.cap, host_used);
}

static void op_vhost(struct world *w, struct sm_guest *g, struct vqn_dev *d,
		     struct input *in, bool enable)
{
	u32 q = take(in) % d->num_queues;
	struct vqn_vq *vq = &d->vqs[q];
	u8 old = vq->state;
	u32 used = g->sm.used, host_used = w->host.used;
	u32 user_used = w->host.users[g->user].used;
	u64 host_took = w->host.took;
	u32 budget = vqn_sm_budget(&g->sm);
	bool host_full = host_refuses(w, g);
	bool had_grants = g->sm.assigned.first != VQN_NIL;
	bool dev_quiescent = vqn_sm_dev_quiescent(d);
	bool e_wanted = d->status & VQNOTIFY_STATUS_DRIVER_OK &&
			vq->flags & VQNOTIFY_VQ_INITIALISED &&
			!vqn_sm_limited(&g->sm) && g->sm.nr_offlimits &&
			sm_user_fits(&g->sm, g->sm.used,
				     g->sm.nr_offlimits - 1);
	u64 counts[VQNOTIFY_NR_COUNTERS];
	unsigned int first = g->nr_reports;
	int ret, want = 0;

	memcpy(counts, g->sm.counts, sizeof(counts));
	snapshot_grants(w, g);
	ret = sm_host_notifier(g, d, q, enable);
	trace("vhost_%s dev %u q %u (%s, used %u/%u, user %u %u/%u%s, host %u/%u) = %d",
	      enable ? "on" : "off", d->id, q, sm_state_name(old), used,
	      budget, g->user, user_used, w->host.users[g->user].max,
	      g->line.exempt ? " exempt" : "", host_used, w->host.cap, ret);

	if (enable && old == VQNOTIFY_VQ_OFFLIMITS)
		want = -EALREADY;
	else if (!enable && old != VQNOTIFY_VQ_OFFLIMITS)
		want = -EALREADY;
	else if (enable && old == VQNOTIFY_VQ_DEASSIGNED && !had_grants &&
		 (used >= budget || host_full))
		want = -ENOSPC;
	if (ret != want)
		fail(w, "vhost_%s dev %u q %u returned %d, want %d",
		     enable ? "on" : "off", d->id, q, ret, want);
	if (ret) {
		/* A call that fails changes nothing. */
		seen_enospc += ret == -ENOSPC;
		if (g->nr_reports != first || g->sm.used != used ||
		    w->host.used != host_used || vq->state != old ||
		    w->host.users[g->user].used != user_used ||
		    w->host.took != host_took ||
		    vqn_sm_dev_quiescent(d) != dev_quiescent ||
		    memcmp(counts, g->sm.counts, sizeof(counts)))
			fail(w, "failed host notifier call changed something");
		return;
	}
	if (enable && vq->state != VQNOTIFY_VQ_OFFLIMITS)
		fail(w, "vhost_on left dev %u q %u %s", d->id, q,
		     sm_state_name(vq->state));
	if (!enable && vq->state == VQNOTIFY_VQ_OFFLIMITS)
		fail(w, "vhost_off left dev %u q %u OFFLIMITS", d->id, q);
	/*
	 * (e) keeps the slot for userspace where (b) would have given it:
	 * an initialised queue of a DRIVER_OK device, the guest not limited,
	 * its user's slots within the budget once vhost's is not vhost's;
	 * (f) frees it otherwise.
	 */
	if (!enable && (vq->state == VQNOTIFY_VQ_ASSIGNED) != e_wanted)
		fail(w, "vhost_off dev %u q %u: %s (%s), want %s", d->id, q,
		     sm_state_name(vq->state), sm_label_name(vq->label),
		     e_wanted ? "(e)" : "(f)");
	/* vhost's slot comes from the budget, or from a grant it preempted. */
	if (enable && old == VQNOTIFY_VQ_DEASSIGNED &&
	    g->sm.used > used && used >= budget)
		fail(w, "vhost took slot %u beyond budget %u", used + 1,
		     budget);
	check_limits_kept(w, g, user_used, host_used, "vhost");
	if (count_label(g, first, VQNOTIFY_LABEL_P) > !!(used >= budget ||
							 host_full))
		fail(w, "vhost preempted with a free slot (used %u/%u, host %u/%u)",
		     used, budget, host_used, w->host.cap);
	check_preemption_order(w, g, first);
}

/*
 * LOAD onto a new device, or (@d set) onto a device QEMU-style: reset at
 * machine init, then loaded. Either is quiescent.
 */
static void op_load(struct world *w, struct sm_guest *g, struct input *in,
		    struct vqn_dev *d)
{
	unsigned long rbm[SM_BITMAP_LONGS], vbm[SM_BITMAP_LONGS];
	u32 nq = take_queues(in), status = take_status(in), i;
	unsigned long *ready, *vhost;
	unsigned int first;

	if (d) {
		sm_set_status(g, d, 0, NULL);
		sm_set_status(g, d, 0, NULL);
		nq = d->num_queues;
	} else {
		if (nr_devs(g) >= FUZZ_DEVS)
			return;
		d = sm_dev_add(g, nq);
		if (!d)
			fail(w, "dev_add failed");
	}
	if (!vqn_sm_dev_quiescent(d))
		fail(w, "dev %u not quiescent for LOAD", d->id);
	ready = take_bitmap(in, rbm, nq, false);
	/* vhost may hold a queue never initialised: the module loads it. */
	vhost = take_bitmap(in, vbm, nq, false);
	trace("load dev %u (%u queues) status %#x ready %#lx vhost %#lx",
	      d->id, nq, status, rbm[0], vbm[0]);
	first = g->nr_reports;
	sm_load(g, d, status, ready, vhost);
	check_results_final(w, g, first, "load");
	for (i = 0; i < nq; i++) {
		unsigned int n = results_for(g, first, &d->vqs[i]);
		unsigned int want = !!(status & VQNOTIFY_STATUS_DRIVER_OK);
		const struct sm_report *r = result_of(g, first, &d->vqs[i]);

		if (n != want)
			fail(w, "load dev %u q %u: %u results, want %u",
			     d->id, i, n, want);
		/* Ready or not as the blob says, whatever vhost held. */
		if (r && (r->reason == VQNOTIFY_REASON_NOT_READY) ==
			 !!test_bit(i, ready))
			fail(w, "load dev %u q %u: %s, %sready in the blob",
			     d->id, i, sm_reason_name(r->reason),
			     test_bit(i, ready) ? "" : "not ");
	}
}

static bool any_offlimits(const struct vqn_dev *d, const unsigned long *bm)
{
	u32 i;

	for (i = 0; i < d->num_queues; i++)
		if (test_bit(i, bm) && d->vqs[i].state == VQNOTIFY_VQ_OFFLIMITS)
			return true;
	return false;
}

/*
 * ACQUIRE (q) and RELEASE (x): EBUSY on vhost's queues, else as asked; but
 * for a release because KVM refused (not a reset), which takes them too.
 */
static void op_queues(struct world *w, struct sm_guest *g, struct vqn_dev *d,
		      struct input *in, bool acquire)
{
	unsigned long bm[SM_BITMAP_LONGS];
	u8 old[VQNOTIFY_MAX_QUEUES];
	bool was_waiting[VQNOTIFY_MAX_QUEUES];
	u8 how = take(in);
	u8 reason = how & 1 ? VQNOTIFY_REASON_KVM_REFUSED :
			      VQNOTIFY_REASON_RELEASED;
	bool busy, reset = how & 2;
	unsigned int first = g->nr_reports;
	u32 i, used = g->sm.used;
	int ret;

	take_bitmap(in, bm, d->num_queues, false);
	busy = any_offlimits(d, bm) &&
	       (acquire || reason != VQNOTIFY_REASON_KVM_REFUSED || reset);
	for (i = 0; i < d->num_queues; i++) {
		old[i] = d->vqs[i].state;
		was_waiting[i] = d->vqs[i].flags & VQNOTIFY_VQ_WAITING;
	}
	if (acquire)
		ret = sm_queues_acquire(g, d, bm);
	else
		ret = sm_queues_release(g, d, bm, reason, reset);
	trace("%s dev %u bm %#lx%s = %d", acquire ? "acquire" : "release",
	      d->id, bm[0], reset ? " reset" : "", ret);
	if (ret != (busy ? -EBUSY : 0))
		fail(w, "%s dev %u returned %d, busy %d",
		     acquire ? "acquire" : "release", d->id, ret, busy);
	if (ret) {
		if (g->nr_reports != first || g->sm.used != used)
			fail(w, "failed acquire/release changed something");
		return;
	}
	for (i = 0; i < d->num_queues; i++) {
		const struct vqn_vq *vq = &d->vqs[i];

		if (!test_bit(i, bm)) {
			/* Only promotions (r) may touch the others. */
			if (old[i] != vq->state &&
			    !(old[i] == VQNOTIFY_VQ_DEASSIGNED &&
			      vq->label == VQNOTIFY_LABEL_R))
				fail(w, "%s moved unlisted dev %u q %u",
				     acquire ? "acquire" : "release", d->id, i);
			continue;
		}
		if (!acquire && vq->state != VQNOTIFY_VQ_DEASSIGNED &&
		    vq->label != VQNOTIFY_LABEL_R)
			fail(w, "release left dev %u q %u %s", d->id, i,
			     sm_state_name(vq->state));
		if (!acquire && old[i] != VQNOTIFY_VQ_DEASSIGNED &&
		    vq->reason != reason && vq->label != VQNOTIFY_LABEL_R)
			fail(w, "release dev %u q %u: reason %s", d->id, i,
			     sm_reason_name(vq->reason));
		if (acquire && !(vq->flags & VQNOTIFY_VQ_INITIALISED))
			fail(w, "acquire left dev %u q %u uninitialised",
			     d->id, i);
		/*
		 * (q): a result for each listed queue without a slot, but
		 * one waiting already that the call promoted first (an event).
		 */
		if (acquire &&
		    results_for(g, first, vq) !=
		    (old[i] == VQNOTIFY_VQ_DEASSIGNED &&
		     !promoted_first(w, g, first, d, i, was_waiting[i])))
			fail(w, "acquire dev %u q %u (was %s): %u results",
			     d->id, i, sm_state_name(old[i]),
			     results_for(g, first, vq));
	}
}

/*
 * SET_HOST_NOTIFIERS: all or nothing. ENOSPC exactly when the queues the
 * batch needs slots for (its DEASSIGNED ones) cannot all get one, from
 * the budget's free slots (taken from the host) or by preempting the
 * guest's grants outside the batch (the newest first): as for one queue
 * (op_vhost()), with counts. A host that could give some of the slots
 * the budget leaves room for but fewer than needed is left to the other
 * checks.
 */
static void op_vhost_batch(struct world *w, struct sm_guest *g,
			   struct vqn_dev *d, struct input *in)
{
	unsigned long bm[SM_BITMAP_LONGS];
	bool enable = take(in) & 1;
	unsigned int first = g->nr_reports;
	u32 i, used = g->sm.used, host_used = w->host.used;
	const struct sm_user *u = &w->host.users[g->user];
	u32 user_used = u->used, budget = vqn_sm_budget(&g->sm);
	u32 need = 0, preemptible = g->sm.nr_assigned, room, least, give;
	bool host_full = host_refuses(w, g);
	u32 host_room = host_full ? 0 : w->host.cap - w->host.used;
	u64 host_took = w->host.took;
	u64 counts[VQNOTIFY_NR_COUNTERS];
	unsigned int kept = 0, j;
	int ret, want;

	take_bitmap(in, bm, d->num_queues, false);
	for (i = 0; i < d->num_queues; i++) {
		if (!test_bit(i, bm))
			continue;
		if (d->vqs[i].state == VQNOTIFY_VQ_DEASSIGNED)
			need++;
		else if (d->vqs[i].state == VQNOTIFY_VQ_ASSIGNED)
			preemptible--;
	}
	if (!g->line.exempt && !host_full && u->max - u->used < host_room)
		host_room = u->max - u->used;
	room = used < budget ? budget - used : 0;
	least = need > preemptible ? need - preemptible : 0;
	give = min(need, min(room, host_room));
	if (!enable || !least)
		want = 0;
	else if (least > room || host_full)
		want = -ENOSPC;
	else if (least <= host_room)
		want = 0;
	else
		want = 1;	/* not decided here */
	/* The grants (p) may take: the batch's own bring their slots. */
	snapshot_grants(w, g);
	for (j = 0; j < w->nr_grants; j++) {
		const struct vqn_vq *vq = w->grants[j];

		if (vq >= d->vqs && vq < d->vqs + d->num_queues &&
		    test_bit(vq - d->vqs, bm))
			continue;
		w->grants[kept++] = w->grants[j];
	}
	w->nr_grants = kept;
	memcpy(counts, g->sm.counts, sizeof(counts));
	ret = sm_host_notifiers(g, d, bm, enable);
	trace("vhost_batch_%s dev %u bm %#lx (need %u, preemptible %u, used %u/%u, host room %u%s) = %d",
	      enable ? "on" : "off", d->id, bm[0], need, preemptible, used,
	      budget, host_room, host_full ? ", host full" : "", ret);
	if (ret && (ret != -ENOSPC || !enable))
		fail(w, "vhost batch returned %d", ret);
	if (want != 1 && ret != want)
		fail(w, "vhost batch %s dev %u (need %u, preemptible %u, used %u/%u, host room %u%s) returned %d, want %d",
		     enable ? "on" : "off", d->id, need, preemptible, used,
		     budget, host_room, host_full ? ", host full" : "", ret,
		     want);
	if (ret) {
		seen_enospc++;
		if (g->nr_reports != first || g->sm.used != used ||
		    w->host.used != host_used || w->host.took != host_took ||
		    w->host.users[g->user].used != user_used ||
		    memcmp(counts, g->sm.counts, sizeof(counts)))
			fail(w, "failed vhost batch changed something");
		return;
	}
	check_limits_kept(w, g, user_used, host_used, "vhost batch");
	for (i = 0; i < d->num_queues; i++)
		if (test_bit(i, bm) &&
		    (d->vqs[i].state == VQNOTIFY_VQ_OFFLIMITS) != enable)
			fail(w, "vhost batch %s left dev %u q %u %s",
			     enable ? "on" : "off", d->id, i,
			     sm_state_name(d->vqs[i].state));
	/* The free slots first: (p) only for what they do not cover. */
	if (enable && want == 0 &&
	    count_label(g, first, VQNOTIFY_LABEL_P) != need - give)
		fail(w, "vhost batch on dev %u preempted %u, want %u (need %u, free %u)",
		     d->id, count_label(g, first, VQNOTIFY_LABEL_P),
		     need - give, need, give);
	check_preemption_order(w, g, first);
}

static void op_reconfigure(struct world *w, struct sm_guest *g,
			   enum op op, u32 value)
{
	unsigned int first = g->nr_reports;

	trace("%s %u (budget %u reserve %u threshold %u used %u)",
	      op_names[op], value, vqn_sm_budget(&g->sm),
	      g->sm.vhost_reserve, g->sm.threshold, g->sm.used);
	snapshot_grants(w, g);
	switch (op) {
	case OP_OWN_BUDGET:
		sm_set_own_budget(g, value);
		break;
	case OP_ADMIN_BUDGET:
		sm_set_admin_budget(g, value);
		break;
	case OP_RESERVE:
		sm_set_reserve(g, value);
		break;
	default:
		sm_set_threshold(g, value);
		break;
	}
	check_preemption_order(w, g, first);
	/* Preempted down to the budget, not below: one more would not fit. */
	if (count_label(g, first, VQNOTIFY_LABEL_P) && !vqn_sm_limited(&g->sm) &&
	    sm_user_fits(&g->sm, g->sm.used + 1, g->sm.nr_offlimits))
		fail(w, "%s %u preempted more than needed (used %u budget %u)",
		     op_names[op], value, g->sm.used, vqn_sm_budget(&g->sm));
}

/* A guest of one of FUZZ_USERS users, exempt from its quota one in eight. */
static void guest_open(struct world *w, unsigned int i, struct input *in)
{
	u32 budget = take_budget(in);
	u32 reserve = take(in) % 5;
	u32 threshold = take(in) % 9;
	u8 who = take(in);

	if (sm_guest_open(&w->host, &w->g[i], budget, reserve, threshold))
		fail(w, "cannot open guest %u", i);
	/* As the module's open(): before any device, its user and privilege. */
	w->g[i].user = who % FUZZ_USERS;
	w->g[i].line.exempt = (who >> 4) % 8 == 0;
	w->open[i] = true;
	trace("open guest %u user %u%s budget %u reserve %u threshold %u", i,
	      w->g[i].user, w->g[i].line.exempt ? " exempt" : "", budget,
	      reserve, threshold);
}

/*
 * After a whole promotion (the cap stopped it, or nobody with room was
 * left), nobody waits who could take a slot: a guest with a waiting queue
 * its budget has room for waits only while the host is full or its user's
 * quota is (exempt guests: the host only).
 */
static void check_promoted(struct world *w)
{
	const struct sm_host *h = &w->host;
	unsigned int i;

	for (i = 0; i < SM_MAX_GUESTS; i++) {
		const struct sm_guest *g = h->guests[i];

		if (!g || !g->sm.nr_waiting || vqn_sm_limited(&g->sm) ||
		    !sm_user_fits(&g->sm, g->sm.used + 1, g->sm.nr_offlimits))
			continue;
		if (h->used < h->cap && !quota_full(w, g))
			fail(w, "after the promotion guest %u (user %u%s) waits with %u, host %u/%u, user %u/%u",
			     i, g->user, g->line.exempt ? " exempt" : "",
			     g->sm.nr_waiting, h->used, h->cap,
			     h->users[g->user].used, h->users[g->user].max);
	}
}

/* The line agrees with the guests, at any moment (sm_check_line()). */
static void line_check(struct world *w, const char *when)
{
	if (sm_check_line(&w->host, w->msg, sizeof(w->msg)))
		fail(w, "%s: %s", when, w->msg);
}

/*
 * vqn_kguest_destroy()'s first hold of the guest's lock: gone, out of the
 * table and the line. Its devices and slots go with the next holds, one a
 * device, taken here as one (between them the guest is gone with fewer
 * devices, which nobody serves or changes).
 */
static void guest_close_begin(struct world *w, unsigned int i)
{
	trace("close guest %u begins (used %u)", i, w->g[i].sm.used);
	sm_guest_close_begin(&w->g[i]);
	w->open[i] = false;
	w->closing[i] = true;
}

static void guest_close_end(struct world *w, unsigned int i)
{
	struct sm_guest *g = &w->g[i];
	u32 host_used = w->host.used, used = g->sm.used;
	u32 user_used = w->host.users[g->user].used;

	trace("close guest %u ends (used %u)", i, used);
	sm_guest_close_end(g);
	w->closing[i] = false;
	if (g->errors)
		fail(w, "guest %u: %s", i, g->err);
	if (w->host.used != host_used - used ||
	    w->host.users[g->user].used != user_used - used)
		fail(w, "closing guest %u with %u slots: host used %u -> %u, user %u used %u -> %u",
		     i, used, host_used, w->host.used, g->user, user_used,
		     w->host.users[g->user].used);
}

static void guest_close(struct world *w, unsigned int i)
{
	guest_close_begin(w, i);
	guest_close_end(w, i);
}

static void step(struct world *w, struct input *in, bool meanwhile);

/* What the promotion work's run meets (sm_host_run_work_between()). */
struct run_ctx {
	struct world *w;
	struct input *in;
	unsigned int picks;
	/* The picked guest's user's slots and quota at the pick. */
	u32 pick_used;
	u32 pick_max;
	/*
	 * The guests ahead of it in its user's line then (a bit each), and
	 * how often it had left the line.
	 */
	unsigned int pick_ahead;
	unsigned int pick_left;
	/* turn_owed() when the work took the guest's lock */
	u8 owed;
};

/* The guest whose lock the promotion work holds: its calls wait. */
static struct sm_guest *turn_guest;

/*
 * How many actions a window holds: none 10 times in 16, else up to 3.
 * Each takes input that steps outside the work's runs would have had.
 */
static unsigned int window_len(u8 b)
{
	static const u8 len[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3,
	};

	return len[b % 16];
}

/*
 * One thing another CPU does in a window of the work's run, about @g, the
 * guest picked: mostly a step (any guest's call, the admin's); or the
 * admin sets the quota of @g's user to about what it holds (a step's
 * quota seldom comes so near: the turn then meets a full quota); or a
 * close. @g may close only before the work tries its lock (@picked): the
 * close takes that lock (vqn_kguest_destroy()). Another guest may close in
 * either window, but not the guest whose lock the work holds. A close is
 * a hold of the guest's lock, then one a device: its second half (its
 * devices go, as one here) runs at once, or in a later window, or after
 * the run: the work, trying the lock in between, finds the guest gone
 * with its devices still there.
 */
static void window_action(struct run_ctx *c, struct sm_guest *g, bool picked)
{
	struct world *w = c->w;
	unsigned int gi = g - w->g, i;
	u8 a = take(c->in);
	u32 v;

	if (a % 16 == 12) {
		v = w->host.users[g->user].used + (a >> 4) % 3;
		v = v ? v - 1 : 0;
		trace("user %u quota %u (used %u)", g->user, v,
		      w->host.users[g->user].used);
		sm_host_set_quota(&w->host, g->user, v);
		room_seen_check(w, "user_quota");
		line_check(w, "user_quota");
		return;
	}
	if (a % 16 == 15 && picked && w->open[gi]) {
		i = gi;
	} else if (a % 16 == 14) {
		i = take(c->in) % w->nr_guests;
		if (!w->open[i] || &w->g[i] == turn_guest)
			return;
	} else if (a % 16 == 13) {
		for (i = 0; i < w->nr_guests; i++)
			if (w->closing[i])
				break;
		if (i < w->nr_guests) {
			guest_close_end(w, i);
			line_check(w, "a close's end");
		}
		return;
	} else {
		step(w, c->in, true);
		return;
	}
	guest_close_begin(w, i);
	if (a & 0x10)
		guest_close_end(w, i);
	/* Its user may have left the line with it. */
	room_seen_left(w, "a close");
	line_check(w, "a close");
}

/* Up to 3 actions of other CPUs in a window (@b: how many). */
static void window(struct run_ctx *c, struct sm_guest *g, u8 b, bool picked)
{
	unsigned int i, n = window_len(b);

	for (i = 0; i < n; i++)
		window_action(c, g, picked);
	seen_window[n]++;
}

/* The guests ahead of @g in its user's line, a bit each. */
static unsigned int guests_ahead(struct world *w, struct sm_guest *g)
{
	const struct sm_user *u = &w->host.users[g->user];
	const struct vqn_line_guest *lg;
	unsigned int ahead = 0;

	list_for_each_entry(lg, &u->line.waitq, node) {
		if (lg == &g->line)
			break;
		ahead |= 1u << (container_of(lg, struct sm_guest, line) - w->g);
	}
	return ahead;
}

/*
 * A turn ended. Refused in its turn (its turn's slot not taken: by its
 * user's quota, the admin having lowered it or another guest of the user
 * having taken the room, in a window; or by the cap), the guest waits
 * again where it was: if its own call did not take it out of the line
 * since the pick, no guest is ahead of it that was not then (a guest
 * joins at the tail; nothing else puts one ahead of another), whether it
 * was first of its user or, exempt, picked from behind. Refused by the
 * quota, the quota is indeed full, and the guest not exempt; by the cap,
 * its user is first in the host's line.
 */
static void turn_served(struct run_ctx *c, struct sm_guest *g)
{
	struct world *w = c->w;
	const struct sm_user *u = &w->host.users[g->user];
	unsigned int gi = g - w->g, ahead;
	bool stayed = w->left[gi] == c->pick_left;

	if (g->gone)
		fail(w, "the work served guest %u, closed", gi);
	line_check(w, "a turn");
	if (!g->line.quota || !g->line.waiting)
		return;
	ahead = guests_ahead(w, g);
	if (stayed && ahead & ~c->pick_ahead)
		fail(w, "guest %u refused in its turn (%s): guests %#x of user %u ahead of it, %#x at the pick",
		     gi, sm_reason_name(g->line.wait_reason), ahead, g->user,
		     c->pick_ahead);
	seen_refused_behind += stayed && c->pick_ahead;
	if (g->line.wait_reason == VQNOTIFY_REASON_HOST_CAP) {
		if (list_first_entry(&w->host.line.users, struct vqn_line_user,
				     node) != &u->line)
			fail(w, "guest %u capped in its turn: user %u not first",
			     gi, g->user);
		return;
	}
	seen_quota_turn++;
	trace("  g%u refused in its turn by user %u's quota %u/%u (at the pick %u/%u)",
	      gi, g->user, u->used, u->max, c->pick_used, c->pick_max);
	if (g->line.exempt || u->used < u->max)
		fail(w, "guest %u%s refused in its turn by user %u's quota %u/%u",
		     gi, g->line.exempt ? " (exempt)" : "", g->user, u->used,
		     u->max);
	if (u->max < c->pick_max)
		seen_quota_lowered++;
	else
		seen_quota_filled++;
}

/*
 * Is the slot of @g's turn owed to it, whatever other guests' calls ask
 * before the turn takes it? When the work takes its lock, it waits for the
 * cap, its user with room (counted in vqn_line.nr_capped), or its user is
 * held and has no exempt guest (a hold does not hold up its own user's
 * exempt guests): then the reason, else 0. In the window, @g, locked,
 * neither leaves the line nor changes what it waits for, so its user
 * stays in line: held changes only in the work's walks and rechecks, and
 * no_room there too, or cleared when an exempt guest joins the line
 * (vqn_line_wait()), which counts more guests waiting for the cap.
 */
static u8 turn_owed(const struct sm_host *h, const struct sm_guest *g)
{
	const struct vqn_line_user *lu = &h->users[g->user].line;
	unsigned int i;

	if (!g->line.waiting)
		return 0;
	if (g->line.wait_reason == VQNOTIFY_REASON_HOST_CAP && !lu->no_room)
		return VQNOTIFY_REASON_HOST_CAP;
	if (!lu->held)
		return 0;
	for (i = 0; i < SM_MAX_GUESTS; i++)
		if (h->guests[i] && h->guests[i]->user == g->user &&
		    h->guests[i]->line.exempt)
			return 0;
	return VQNOTIFY_REASON_QUOTA;
}

/*
 * The moments of a turn of the work (enum sm_work_moment). Between the
 * work's pick of a guest and its try of the guest's lock, other CPUs act
 * (window()): calls, closes, the picked guest's own, the admin's; then the
 * lock is found busy, or not. Once the work holds its lock, before its
 * turn takes a slot: other guests' calls and closes, or the admin's.
 */
static bool meanwhile(struct sm_host *h, struct sm_guest *g,
		      enum sm_work_moment when, void *arg)
{
	struct run_ctx *c = arg;
	struct world *w = c->w;
	unsigned int gi = g - w->g;
	bool busy;
	u64 took;
	u8 owed;
	u8 b;

	switch (when) {
	case SM_WORK_SERVED:
		turn_served(c, g);
		return false;
	case SM_WORK_TAKEN:
		if (g->gone)
			fail(w, "the work took guest %u's turn, closed", gi);
		b = take(c->in);
		if (!window_len(b))
			return false;
		trace("  meanwhile, g%u in its turn, locked:", gi);
		seen_meanwhile++;
		owed = c->owed;
		seen_owed_cap += owed == VQNOTIFY_REASON_HOST_CAP;
		seen_owed_held += owed == VQNOTIFY_REASON_QUOTA;
		took = h->took;
		turn_guest = g;
		window(c, g, b, false);
		turn_guest = NULL;
		if (owed && h->took != took)
			fail(w, "%llu slots taken by others in guest %u's turn, which waits for %s",
			     (unsigned long long)(h->took - took), gi,
			     owed == VQNOTIFY_REASON_HOST_CAP ? "the cap" :
			     "its quota, its user held");
		return false;
	default:
		break;
	}

	c->picks++;
	if (g->gone)
		fail(w, "the work picked guest %u, closed", gi);
	room_seen_picked(w, g);
	c->pick_used = h->users[g->user].used;
	c->pick_max = h->users[g->user].max;
	c->pick_ahead = guests_ahead(w, g);
	c->pick_left = w->left[gi];
	b = take(c->in);
	if (window_len(b)) {
		trace("  meanwhile, g%u picked:", gi);
		seen_meanwhile++;
	}
	window(c, g, b, true);
	/* Busy 2 times in 5; not when the input ran out. */
	busy = (b >> 4) % 5 >= 3;
	if (busy) {
		trace("  g%u busy%s", gi, g->gone ? ", closed" : "");
		seen_busy++;
	} else if (g->gone) {
		trace("  g%u gone%s", gi,
		      w->closing[gi] ? ", its devices not yet" : "");
	}
	if (g->gone) {
		seen_closed_busy += busy;
		seen_closed_gone += !busy;
		seen_closed_half += !busy && w->closing[gi];
	}
	/* Nothing happens between the try of its lock and its turn. */
	c->owed = busy ? 0 : turn_owed(h, g);
	return busy;
}

/*
 * After a run: the closes begun in it end (their devices go), and their
 * guests are opened again, so that every step meets nr_guests open guests.
 */
static void run_closed(struct world *w, struct input *in)
{
	unsigned int i;

	for (i = 0; i < w->nr_guests; i++)
		if (w->closing[i])
			guest_close_end(w, i);
	for (i = 0; i < w->nr_guests; i++)
		if (!w->open[i])
			guest_open(w, i, in);
}

/*
 * One step. @meanwhile: in a window of the promotion work's run: no second
 * run, no guest opens (closes are window_action()'s), none of a guest
 * closed in the run nor of the guest whose turn it is, and of the host's
 * invariants only the line's before the run's end (guests wait for slots
 * the running work is about to hand out, with no promotion pending; a
 * guest closing holds slots until its close ends).
 */
static void step(struct world *w, struct input *in, bool meanwhile_)
{
	enum op op = take(in) % OP_MAX;
	unsigned int gi;
	struct sm_guest *g = pick_guest(w, in, &gi);
	struct vqn_dev *d = NULL;
	struct run_ctx ctx = { .w = w, .in = in };
	unsigned int first = g->nr_reports;
	u32 v;

	/* The admin's cap and quotas need no guest's lock, nor a guest. */
	if (meanwhile_ && (op == OP_REOPEN || op == OP_HOST_PROMOTE ||
			   ((g == turn_guest || !w->open[gi]) &&
			    op != OP_HOST_CAP && op != OP_USER_QUOTA)))
		return;
	seen_ops[op]++;
	switch (op) {
	case OP_DEV_ADD:
		v = take_queues(in);
		if (nr_devs(g) >= FUZZ_DEVS)
			break;
		d = sm_dev_add(g, v);
		trace("g%u dev_add %u queues = dev %u", gi, v, d ? d->id : 0);
		break;
	case OP_DEV_REMOVE:
		d = pick_dev(g, in);
		if (!d)
			break;
		trace("g%u dev_remove dev %u", gi, d->id);
		sm_dev_remove(g, d);
		break;
	case OP_SET_STATUS:
	case OP_SET_STATUS2:
		d = pick_dev(g, in);
		if (d)
			op_set_status(w, g, d, in);
		break;
	case OP_VHOST_ON:
	case OP_VHOST_ON2:
	case OP_VHOST_OFF:
		d = pick_dev(g, in);
		if (d)
			op_vhost(w, g, d, in, op != OP_VHOST_OFF);
		break;
	case OP_RESET:
		d = pick_dev(g, in);
		if (!d)
			break;
		trace("g%u reset dev %u", gi, d->id);
		sm_dev_reset(g, d);
		break;
	case OP_LOAD:
		op_load(w, g, in, NULL);
		break;
	case OP_LOAD_AFTER_RESET:
		d = pick_dev(g, in);
		if (d)
			op_load(w, g, in, d);
		break;
	case OP_ACQUIRE:
	case OP_RELEASE:
		d = pick_dev(g, in);
		if (d)
			op_queues(w, g, d, in, op == OP_ACQUIRE);
		break;
	case OP_VHOST_BATCH:
		d = pick_dev(g, in);
		if (d)
			op_vhost_batch(w, g, d, in);
		break;
	case OP_RUN_STATE:
		v = take(in) % 2;
		trace("g%u run_state %u", gi, v);
		sm_set_run_state(g, v);
		break;
	case OP_OWN_BUDGET:
	case OP_ADMIN_BUDGET:
		op_reconfigure(w, g, op, take_budget(in));
		break;
	case OP_RESERVE:
		op_reconfigure(w, g, op, take(in) % 6);
		break;
	case OP_THRESHOLD:
		op_reconfigure(w, g, op, take(in) % 10);
		break;
	case OP_HOST_CAP:
		v = take_cap(in);
		trace("host_cap %u (used %u)", v, w->host.used);
		sm_host_set_cap(&w->host, v);
		break;
	case OP_HOST_PROMOTE:
		trace("host_promote (pending %d, used %u/%u)",
		      w->host.work_pending, w->host.used, w->host.cap);
		if (!sm_host_run_work_between(&w->host, meanwhile, &ctx))
			break;
		/* A guest passed over after its close is not back in line. */
		line_check(w, "the work's run");
		room_seen_run(w, ctx.picks);
		if (!w->host.work_pending)
			check_promoted(w);
		run_closed(w, in);
		break;
	case OP_USER_QUOTA:
		gi = take(in) % FUZZ_USERS;
		v = take_quota(in);
		trace("user %u quota %u (used %u)", gi, v,
		      w->host.users[gi].used);
		sm_host_set_quota(&w->host, gi, v);
		break;
	case OP_REOPEN:
		guest_close(w, gi);
		guest_open(w, gi, in);
		break;
	default:
		break;
	}
	switch (op) {
	case OP_SET_STATUS:
	case OP_SET_STATUS2:
	case OP_VHOST_ON:
	case OP_VHOST_ON2:
	case OP_VHOST_OFF:
	case OP_RESET:
	case OP_ACQUIRE:
	case OP_RELEASE:
	case OP_VHOST_BATCH:
		/* LOAD's, of its own call: op_load() resets first. */
		check_results_final(w, g, first, op_names[op]);
		break;
	default:
		break;
	}
	/*
	 * Only the work's walks, followed above, change no_room, and a
	 * user's leaving the line: it must still be what the model knows.
	 */
	room_seen_left(w, op_names[op]);
	if (meanwhile_) {
		line_check(w, op_names[op]);
		return;
	}
	if (sm_check_host(&w->host, w->msg, sizeof(w->msg)))
		fail(w, "%s", w->msg);
	if (vqn_shim_warnings)
		fail(w, "the state machine warned");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .p = data, .n = size };
	static struct world w;
	unsigned int i, j;

	memset(&w, 0, sizeof(w));
	trace_next = 0;
	sm_host_init(&w.host, take_cap(&in));
	w.host.left_line = room_seen_call_left;
	w.host.left_arg = &w;
	trace("host cap %u", w.host.cap);
	for (i = 0; i < FUZZ_USERS; i++) {
		sm_host_set_quota(&w.host, i, take_quota(&in));
		trace("user %u quota %u", i, w.host.users[i].max);
	}
	w.nr_guests = 1 + take(&in) % FUZZ_GUESTS;
	for (i = 0; i < w.nr_guests; i++)
		guest_open(&w, i, &in);

	for (w.step = 1; in.n && w.step <= FUZZ_STEPS; w.step++) {
		step(&w, &in, false);
		for (i = 0; i < w.nr_guests; i++) {
			struct sm_guest *g = &w.g[i];

			for (j = 0; j < g->nr_reports; j++)
				seen_labels[g->reports[j].label]++;
			sm_reports_clear(g);
		}
	}

	for (i = 0; i < w.nr_guests; i++)
		guest_close(&w, i);
	if (w.host.used || w.host.line.nr_waiting)
		fail(&w, "all guests closed, host used %u waiters %u",
		     w.host.used, w.host.line.nr_waiting);
	return 0;
}

/* Which transitions the run reached, printed at exit. */
static void print_coverage(void)
{
	unsigned int i;

	fprintf(stderr, "sm_fuzz: reports by label:");
	for (i = 0; i < VQNOTIFY_LABEL_MAX; i++)
		fprintf(stderr, " %s=%llu", sm_label_name(i), seen_labels[i]);
	fprintf(stderr, "; ENOSPC=%llu; in a promotion: busy=%llu meanwhile=%llu; no_room of a capped user: model=%llu flag=%llu; held refuses: %llu (flag %llu)\n",
		seen_enospc, seen_busy, seen_meanwhile, seen_no_room_model,
		seen_no_room_flag, seen_held, seen_held_flag);
	fprintf(stderr, "sm_fuzz: in a promotion: windows of 1/2/3 actions=%llu/%llu/%llu (in a turn owed its slot, by the cap/the hold: %llu/%llu); picked guest closed: gone=%llu (half=%llu) busy=%llu; turn refused by the quota=%llu (lowered=%llu filled=%llu), refused picked from behind=%llu\nsm_fuzz: steps by op:",
		seen_window[1], seen_window[2], seen_window[3], seen_owed_cap,
		seen_owed_held,
		seen_closed_gone, seen_closed_half, seen_closed_busy,
		seen_quota_turn, seen_quota_lowered, seen_quota_filled,
		seen_refused_behind);
	for (i = 0; i < OP_MAX; i++)
		if (i != OP_SET_STATUS2 && i != OP_VHOST_ON2)
			fprintf(stderr, " %s=%llu", op_names[i],
				seen_ops[i] + (i == OP_SET_STATUS ?
					       seen_ops[OP_SET_STATUS2] :
					       i == OP_VHOST_ON ?
					       seen_ops[OP_VHOST_ON2] : 0));
	fputc('\n', stderr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *v = getenv("SM_FUZZ_VERBOSE");

	verbose = v && *v && *v != '0';
	atexit(print_coverage);
	return 0;
}
