// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace environment of the vqnotify state machine and of the slot
 * pool's policy (kmod/vqn_pool_line.c): the counters of slots, the
 * host-wide promotion "work" and report recording, shared by sm_unit and
 * sm_fuzz; their invariant checks are in sm_check.c.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "sm_env.h"

unsigned long vqn_shim_warnings;

static const char * const state_names[] = {
	[VQNOTIFY_VQ_DEASSIGNED] = "DEASSIGNED",
	[VQNOTIFY_VQ_ASSIGNED] = "ASSIGNED",
	[VQNOTIFY_VQ_OFFLIMITS] = "OFFLIMITS",
};

static const char * const label_names[] = {
	[VQNOTIFY_LABEL_NONE] = "none",
	[VQNOTIFY_LABEL_A] = "a", [VQNOTIFY_LABEL_B] = "b",
	[VQNOTIFY_LABEL_C] = "c", [VQNOTIFY_LABEL_D] = "d",
	[VQNOTIFY_LABEL_E] = "e", [VQNOTIFY_LABEL_F] = "f",
	[VQNOTIFY_LABEL_G] = "g", [VQNOTIFY_LABEL_P] = "p",
	[VQNOTIFY_LABEL_R] = "r", [VQNOTIFY_LABEL_S] = "s",
	[VQNOTIFY_LABEL_Q] = "q", [VQNOTIFY_LABEL_X] = "x",
};

static const char * const reason_names[] = {
	[VQNOTIFY_REASON_NONE] = "NONE",
	[VQNOTIFY_REASON_GRANTED] = "GRANTED",
	[VQNOTIFY_REASON_LIMITED] = "LIMITED",
	[VQNOTIFY_REASON_NO_SLOT] = "NO_SLOT",
	[VQNOTIFY_REASON_HOST_CAP] = "HOST_CAP",
	[VQNOTIFY_REASON_NOT_READY] = "NOT_READY",
	[VQNOTIFY_REASON_VHOST] = "VHOST",
	[VQNOTIFY_REASON_VHOST_OFF] = "VHOST_OFF",
	[VQNOTIFY_REASON_RESET] = "RESET",
	[VQNOTIFY_REASON_REMOVED] = "REMOVED",
	[VQNOTIFY_REASON_PREEMPT_VHOST] = "PREEMPT_VHOST",
	[VQNOTIFY_REASON_PREEMPT_BUDGET] = "PREEMPT_BUDGET",
	[VQNOTIFY_REASON_STOPPED] = "STOPPED",
	[VQNOTIFY_REASON_PROMOTED] = "PROMOTED",
	[VQNOTIFY_REASON_RELEASED] = "RELEASED",
	[VQNOTIFY_REASON_KVM_REFUSED] = "KVM_REFUSED",
	[VQNOTIFY_REASON_QUOTA] = "QUOTA",
};

static const char *name_of(const char * const *names, size_t n, unsigned int i)
{
	return i < n && names[i] ? names[i] : "?";
}

const char *sm_state_name(u8 state)
{
	return name_of(state_names, ARRAY_SIZE(state_names), state);
}

const char *sm_label_name(u8 label)
{
	return name_of(label_names, ARRAY_SIZE(label_names), label);
}

const char *sm_reason_name(u8 reason)
{
	return name_of(reason_names, ARRAY_SIZE(reason_names), reason);
}

static struct sm_guest *guest_of(struct vqn_guest_sm *sm)
{
	return container_of(sm, struct sm_guest, sm);
}

static void guest_error(struct sm_guest *g, const char *fmt, ...)
{
	va_list ap;

	if (!g->errors++) {
		va_start(ap, fmt);
		vsnprintf(g->err, sizeof(g->err), fmt, ap);
		va_end(ap);
	}
}

/*
 * The edges of the diagram in kmod/vqn_sm.c, and which of them are events
 * (async) rather than results. A report with label NONE is a refusal, or
 * a queue that QUEUES_RELEASE took out of the line: the queue stays
 * DEASSIGNED.
 */
bool sm_edge_legal(u8 old, u8 new, u8 label, bool async)
{
	const u8 D = VQNOTIFY_VQ_DEASSIGNED;
	const u8 A = VQNOTIFY_VQ_ASSIGNED;
	const u8 O = VQNOTIFY_VQ_OFFLIMITS;

	if (async != (label == VQNOTIFY_LABEL_P || label == VQNOTIFY_LABEL_R))
		return false;
	switch (label) {
	case VQNOTIFY_LABEL_NONE:
		return old == D && new == D;
	case VQNOTIFY_LABEL_B:
	case VQNOTIFY_LABEL_Q:
	case VQNOTIFY_LABEL_R:
		return old == D && new == A;
	case VQNOTIFY_LABEL_C:
		return old == D && new == O;
	case VQNOTIFY_LABEL_D:
		return old == A && new == O;
	case VQNOTIFY_LABEL_E:
		return old == O && new == A;
	case VQNOTIFY_LABEL_F:
		return old == O && new == D;
	case VQNOTIFY_LABEL_G:
		return (old == A || old == O) && new == D;
	case VQNOTIFY_LABEL_P:
	case VQNOTIFY_LABEL_S:
		return old == A && new == D;
	case VQNOTIFY_LABEL_X:
		return (old == A || old == O) && new == D;
	default:
		return false;	/* (a) is never reported */
	}
}

/*
 * One report: @new_state and @reason are the queue's when it happened
 * (results reach us after the call, from the sink).
 */
static void record(struct sm_guest *g, struct vqn_dev *d, u32 q, u8 old,
		   u8 new_state, u8 label, u8 reason, bool async)
{
	struct vqn_vq *vq = &d->vqs[q];
	struct sm_report *r;
	unsigned int i;

	if (!sm_edge_legal(old, new_state, label, async))
		guest_error(g, "illegal report dev %u q %u: %s -> %s (%s)%s",
			    d->id, q, sm_state_name(old),
			    sm_state_name(new_state), sm_label_name(label),
			    async ? " async" : "");
	if (!async && !g->call_any) {
		/* A result: the module drops those of other devices. */
		if (d != g->call_dev)
			guest_error(g, "result for dev %u q %u outside a call on dev %d",
				    d->id, q,
				    g->call_dev ? (int)g->call_dev->id : -1);
		for (i = g->call_first; i < g->nr_reports; i++)
			if (g->reports[i].vq == vq && !g->reports[i].async)
				guest_error(g, "two results for dev %u q %u in one call",
					    d->id, q);
	}
	if (label != VQNOTIFY_LABEL_NONE)
		g->counts[label]++;

	if (g->nr_reports == g->max_reports) {
		unsigned int n = g->max_reports ? 2 * g->max_reports : 64;
		struct sm_report *p = realloc(g->reports, n * sizeof(*p));

		if (!p)
			abort();
		g->reports = p;
		g->max_reports = n;
	}
	r = &g->reports[g->nr_reports++];
	r->vq = vq;
	r->dev_id = d->id;
	r->queue = q;
	r->old_state = old;
	r->new_state = new_state;
	r->label = label;
	r->reason = reason;
	r->async = async;
}

/* The sink's results so far into @reports, in the order they came. */
static void sink_flush(struct sm_guest *g)
{
	struct vqn_sink *s = &g->sink;
	const struct vqnotify_vq_result *r;

	if (!g->call_dev)
		return;
	if (s->nr > s->cap) {
		guest_error(g, "%u results on dev %u of %u queues", s->nr,
			    g->call_dev->id, s->cap);
		return;
	}
	for (; g->sunk < s->nr; g->sunk++) {
		r = &s->res[g->sunk];
		if (r->queue >= g->call_dev->num_queues) {
			guest_error(g, "result for queue %u of dev %u", r->queue,
				    g->call_dev->id);
			return;
		}
		record(g, g->call_dev, r->queue, r->old_state, r->new_state,
		       r->label, r->reason, false);
	}
}

void vqn_env_report(struct vqn_guest_sm *sm, struct vqn_dev *d, u32 q,
		    u8 old, u8 label, bool async)
{
	struct sm_guest *g = guest_of(sm);
	struct vqn_vq *vq = &d->vqs[q];

	if (q >= d->num_queues || sm->devs[d->slot] != d)
		guest_error(g, "report for dev %u q %u of %u, slot %u",
			    d->id, q, d->num_queues, d->slot);
	if (label != VQNOTIFY_LABEL_NONE && vq->label != label)
		guest_error(g, "dev %u q %u reported (%s) but its label is (%s)",
			    d->id, q, sm_label_name(label),
			    sm_label_name(vq->label));
	if (!async && g->call_dev && !g->call_any)
		guest_error(g, "result for dev %u q %u not in the call's sink",
			    d->id, q);
	/* The results before this event came before it. */
	sink_flush(g);
	record(g, d, q, old, vq->state, label, vq->reason, async);
}

static struct sm_user *user_of(const struct sm_guest *g)
{
	return &g->host->users[g->user];
}

static struct sm_guest *guest_of_line(struct vqn_line_guest *lg)
{
	return container_of(lg, struct sm_guest, line);
}

/*
 * The counters of slots the pool's policy (kmod/vqn_pool_line.c) charges,
 * as the module's vqn_line_env_*(): a guest whose line says exempt is
 * charged without its quota, as an opener with CAP_SYS_RESOURCE is.
 */
u32 vqn_line_env_charge(struct vqn_line_guest *lg, u32 n, u32 least)
{
	struct sm_user *u = user_of(guest_of_line(lg));
	u32 got = lg->exempt ? n :
		  u->used < u->max ? min(n, u->max - u->used) : 0;

	if (got < least)
		got = 0;
	u->used += got;
	u->charged += got;
	return got;
}

void vqn_line_env_uncharge(struct vqn_line_guest *lg, u32 n)
{
	struct sm_guest *g = guest_of_line(lg);

	if (user_of(g)->used < n)
		guest_error(g, "%u slots uncharged while the user holds %u",
			    n, user_of(g)->used);
	else
		user_of(g)->used -= n;
}

u32 vqn_line_env_take(struct vqn_line_guest *lg, u32 n, u32 least)
{
	struct sm_host *h = guest_of_line(lg)->host;
	u32 got = h->used < h->cap ? min(n, h->cap - h->used) : 0;

	if (got < least)
		got = 0;
	h->used += got;
	h->took += got;
	return got;
}

bool vqn_line_env_room(struct vqn_line_guest *lg)
{
	const struct sm_user *u = user_of(guest_of_line(lg));

	guest_of_line(lg)->host->room_asked++;
	return lg->exempt || u->used < u->max;
}

u32 vqn_env_host_take_n(struct vqn_guest_sm *sm, u32 n, u32 least,
			u8 *reason)
{
	struct sm_guest *g = guest_of(sm);

	if (!n || least > n)
		guest_error(g, "%u host slots asked for, at least %u", n,
			    least);
	/*
	 * Closing, it only gives slots back (vqn_kguest_destroy()): no call
	 * of its own is left, and the promotion work, or anyone who found it,
	 * sees it gone and does not serve it.
	 */
	if (g->gone)
		guest_error(g, "closing, asks for %u host slots", n);
	return vqn_line_take_n(&g->host->line, &user_of(g)->line, &g->line, n,
			       least, reason);
}

void vqn_env_host_give_n(struct vqn_guest_sm *sm, u32 n)
{
	struct sm_guest *g = guest_of(sm);
	struct sm_host *h = g->host;
	struct sm_user *u = user_of(g);

	if (!n || h->used < n || u->used < n) {
		guest_error(g, "%u host slots given back while %u are taken",
			    n, u->used);
		return;
	}
	h->used -= n;
	u->used -= n;
	if (h->line.nr_waiting)
		h->work_pending = true;
}

/* As the module: a slot freed just before the guest waits is not missed. */
void vqn_env_host_wait(struct vqn_guest_sm *sm, u8 reason)
{
	struct sm_guest *g = guest_of(sm);
	struct sm_host *h = g->host;

	if (reason != VQNOTIFY_REASON_HOST_CAP &&
	    reason != VQNOTIFY_REASON_QUOTA)
		guest_error(g, "waits for a host slot refused %u", reason);
	/* Back in the line, it would be picked after it is freed. */
	if (g->gone)
		guest_error(g, "closing, waits for a host slot");
	if (!vqn_line_wait(&h->line, &user_of(g)->line, &g->line, reason))
		return;
	if (h->used < h->cap && vqn_line_env_room(&g->line))
		h->work_pending = true;
}

/* As the module: out of the line, nothing waiting for the host. */
void vqn_env_host_unwait(struct vqn_guest_sm *sm)
{
	struct sm_guest *g = guest_of(sm);
	struct sm_host *h = g->host;

	if (!g->line.waiting)
		return;
	vqn_line_unwait(&h->line, &user_of(g)->line, &g->line);
	if (h->left_line)
		h->left_line(h, g, h->left_arg);
}

static void call_begin(struct sm_guest *g, struct vqn_dev *d)
{
	g->call_dev = d;
	g->call_first = g->nr_reports;
	memset(&g->sink, 0, sizeof(g->sink));
	g->sink.res = g->res;
	g->sink.cap = d ? d->num_queues : 0;
	g->sunk = 0;
}

/* The sink's counts agree with its results. */
static void sink_check(struct sm_guest *g)
{
	const struct vqn_sink *s = &g->sink;
	unsigned int i, n = 0, labels[VQNOTIFY_LABEL_MAX] = { 0 };
	unsigned int refusals[VQNOTIFY_REASON_MAX] = { 0 };

	for (i = 0; i < s->nr && i < s->cap; i++) {
		if (s->res[i].label)
			labels[s->res[i].label]++;
		else
			refusals[s->res[i].reason]++;
	}
	for (i = 0; i < VQNOTIFY_LABEL_MAX; i++) {
		n += s->labels[i];
		if (labels[i] != s->labels[i])
			n = UINT_MAX / 2;
	}
	for (i = 0; i < VQNOTIFY_REASON_MAX; i++) {
		n += s->refusals[i];
		if (refusals[i] != s->refusals[i])
			n = UINT_MAX / 2;
	}
	if (n != s->nr || s->labels[VQNOTIFY_LABEL_NONE])
		guest_error(g, "the sink counts %u results of %u", n, s->nr);
}

static void call_end(struct sm_guest *g)
{
	if (g->call_dev) {
		sink_flush(g);
		sink_check(g);
	}
	g->call_dev = NULL;
	g->call_any = false;
	g->call_first = g->nr_reports;
}

void sm_host_init(struct sm_host *h, u32 cap)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->cap = cap;
	vqn_line_init(&h->line);
	for (i = 0; i < SM_MAX_USERS; i++) {
		h->users[i].max = UINT32_MAX;
		vqn_line_user_init(&h->users[i].line);
	}
}

/* As the admin changing a user's slot limit. */
void sm_host_set_quota(struct sm_host *h, unsigned int user, u32 max)
{
	h->users[user].max = max;
	h->work_pending = true;
}

/* As the admin changing host_cap: schedule a host-wide promotion. */
void sm_host_set_cap(struct sm_host *h, u32 cap)
{
	h->cap = cap;
	h->work_pending = true;
}

/*
 * The module's vqn_host_promote_fn(): serve the waiting guests in turn
 * until the cap stops a guest in its turn or no user with room waits, at
 * most VQN_PROMOTE_BATCH turns a run (then the work is pending again).
 *
 * @between, if set, is what other CPUs do at the moments of a turn
 * (enum sm_work_moment). SM_WORK_PICKED: the work has picked a guest
 * (vqn_line_next()) and not yet tried its lock: the guest's own calls and
 * its close, other guests' calls and closes, the admin's changes. It
 * returns true when the guest's lock is then found busy: the guest stays
 * in line, passed over (vqn_host_pass()), unless it left it meanwhile (it
 * closed, or its call left it waiting for nothing: a guest picked and not
 * in line when locked is not served). Else the work holds the lock, and
 * lets a guest found gone go unserved (vqn_kguest_trylock_live()): its
 * close took it out of the line under that lock. A live one stays in the
 * line, counted, through its turn, and @between is called again
 * (SM_WORK_TAKEN) for what other guests' calls and closes and the admin
 * do before its turn takes its slot, the line's lock dropped; and once
 * more (SM_WORK_SERVED) after its turn and its new place in the line.
 * Returns whether the work was pending.
 */
bool sm_host_run_work_between(struct sm_host *h, sm_between_fn between,
			      void *arg)
{
	struct vqn_line_guest *lg;
	unsigned int turns = 0;
	struct sm_guest *g;
	struct sm_user *u;
	bool stop = false;

	if (!h->work_pending)
		return false;
	h->work_pending = false;
	while (!stop && h->used < h->cap) {
		if (turns++ == VQN_PROMOTE_BATCH) {
			h->work_pending = true;
			break;
		}
		lg = vqn_line_next(&h->line);
		if (!lg)
			break;
		g = guest_of_line(lg);
		/* Not user_of(g): a guest closed meanwhile has no host. */
		u = &h->users[g->user];
		if (between && between(h, g, SM_WORK_PICKED, arg)) {
			vqn_line_pass(&u->line, lg);
			continue;
		}
		if (g->gone)
			continue;
		if (between)
			between(h, g, SM_WORK_TAKEN, arg);
		call_begin(g, NULL);
		vqn_line_serve(lg, &g->sm);
		stop = vqn_line_served(&h->line, &u->line, lg);
		call_end(g);
		if (between)
			between(h, g, SM_WORK_SERVED, arg);
	}
	/* As vqn_host_promote_fn(): no walk while the host is full. */
	if (h->used >= h->cap)
		vqn_line_recheck(&h->line);
	return true;
}

bool sm_host_run_work(struct sm_host *h)
{
	return sm_host_run_work_between(h, NULL, NULL);
}

int sm_guest_open(struct sm_host *h, struct sm_guest *g, u32 budget,
		  u32 reserve, u32 threshold)
{
	unsigned int i;

	for (i = 0; i < SM_MAX_GUESTS; i++)
		if (!h->guests[i])
			break;
	if (i == SM_MAX_GUESTS)
		return -ENOSPC;
	memset(g, 0, sizeof(*g));
	vqn_sm_guest_init(&g->sm, budget, reserve, threshold);
	g->sm.devs = g->devs;
	g->sm.nr_dev_slots = SM_MAX_DEVS;
	INIT_LIST_HEAD(&g->line.node);
	g->host = h;
	h->guests[i] = g;
	return 0;
}

/*
 * As vqn_kguest_destroy()'s first hold of the guest's lock: gone, out of
 * the table and of the line. Until sm_guest_close_end(), its second hold,
 * the guest keeps its devices and slots; nobody but the promotion work,
 * which finds it gone, reaches it meanwhile.
 */
void sm_guest_close_begin(struct sm_guest *g)
{
	struct sm_host *h = g->host;
	unsigned int i;

	g->gone = true;
	for (i = 0; i < SM_MAX_GUESTS; i++)
		if (h->guests[i] == g)
			h->guests[i] = NULL;
	vqn_line_unwait(&h->line, &user_of(g)->line, &g->line);
}

/* Its second hold: every device goes, nothing is promoted. */
void sm_guest_close_end(struct sm_guest *g)
{
	unsigned int i;

	g->call_any = true;
	for (i = 0; i < SM_MAX_DEVS; i++) {
		if (!g->devs[i])
			continue;
		vqn_sm_reset(&g->sm, g->devs[i], VQNOTIFY_REASON_REMOVED, NULL);
		free(g->devs[i]);
		g->devs[i] = NULL;
	}
	call_end(g);
	if (vqn_sm_check(&g->sm) || g->sm.used || g->sm.nr_waiting ||
	    g->line.waiting)
		guest_error(g, "guest closed with used %u waiting %u%s",
			    g->sm.used, g->sm.nr_waiting,
			    g->line.waiting ? ", in line" : "");
	free(g->reports);
	g->reports = NULL;
	g->nr_reports = 0;
	g->max_reports = 0;
	g->host = NULL;
}

void sm_guest_close(struct sm_guest *g)
{
	sm_guest_close_begin(g);
	sm_guest_close_end(g);
}

static void set_limits(struct sm_guest *g, u32 admin, u32 own, u32 reserve,
		       u32 threshold)
{
	call_begin(g, NULL);
	vqn_sm_set_limits(&g->sm, admin, own, reserve, threshold);
	call_end(g);
}

void sm_set_own_budget(struct sm_guest *g, u32 budget)
{
	const struct vqn_guest_sm *sm = &g->sm;

	set_limits(g, sm->admin_budget, budget, sm->vhost_reserve,
		   sm->threshold);
}

void sm_set_admin_budget(struct sm_guest *g, u32 budget)
{
	const struct vqn_guest_sm *sm = &g->sm;

	set_limits(g, budget, sm->own_budget, sm->vhost_reserve,
		   sm->threshold);
}

void sm_set_reserve(struct sm_guest *g, u32 reserve)
{
	const struct vqn_guest_sm *sm = &g->sm;

	set_limits(g, sm->admin_budget, sm->own_budget, reserve,
		   sm->threshold);
}

void sm_set_threshold(struct sm_guest *g, u32 threshold)
{
	const struct vqn_guest_sm *sm = &g->sm;

	set_limits(g, sm->admin_budget, sm->own_budget, sm->vhost_reserve,
		   threshold);
}

void sm_set_run_state(struct sm_guest *g, u32 run_state)
{
	vqn_sm_set_run_state(&g->sm, run_state);
}

/* Device ids are the slot + 1; a freed slot is reused. */
struct vqn_dev *sm_dev_add(struct sm_guest *g, u32 num_queues)
{
	struct vqn_dev *d;
	unsigned int i;

	if (!num_queues || num_queues > VQNOTIFY_MAX_QUEUES)
		return NULL;
	for (i = 0; i < SM_MAX_DEVS; i++)
		if (!g->devs[i])
			break;
	if (i == SM_MAX_DEVS)
		return NULL;
	/* Zeroed, as the module's kvzalloc(): vqn_sm_dev_init() relies on it. */
	d = calloc(1, sizeof(*d) + num_queues * sizeof(d->vqs[0]));
	if (!d)
		abort();
	d->id = i + 1;
	d->transport = VQNOTIFY_TRANSPORT_MMIO;
	d->num_queues = num_queues;
	d->name = "dev";
	vqn_sm_dev_init(&g->sm, d, i);
	g->counts[VQNOTIFY_LABEL_A] += num_queues;
	if (g->devs[i] != d)
		guest_error(g, "dev %u not in its slot %u", d->id, i);
	g->acquired[i] = false;
	return d;
}

struct vqn_dev *sm_dev_find(struct sm_guest *g, u32 id)
{
	if (!id || id > SM_MAX_DEVS)
		return NULL;
	return g->devs[id - 1];
}

void sm_dev_remove(struct sm_guest *g, struct vqn_dev *d)
{
	call_begin(g, d);
	vqn_sm_dev_remove(&g->sm, d, &g->sink);
	g->devs[d->id - 1] = NULL;
	call_end(g);
	free(d);
}

void sm_dev_reset(struct sm_guest *g, struct vqn_dev *d)
{
	call_begin(g, d);
	vqn_sm_dev_reset(&g->sm, d, &g->sink);
	g->acquired[d->id - 1] = false;
	call_end(g);
}

void sm_set_status(struct sm_guest *g, struct vqn_dev *d, u32 status,
		   const unsigned long *ready)
{
	call_begin(g, d);
	vqn_sm_set_status(&g->sm, d, status, ready, &g->sink);
	if (!status)
		g->acquired[d->id - 1] = false;
	call_end(g);
}

int sm_host_notifiers(struct sm_guest *g, struct vqn_dev *d,
		      const unsigned long *queues, bool enable)
{
	int ret = 0;

	call_begin(g, d);
	if (enable)
		ret = vqn_sm_vhost_on(&g->sm, d, queues, &g->sink);
	else
		vqn_sm_vhost_off(&g->sm, d, queues, &g->sink);
	call_end(g);
	return ret;
}

int sm_queues_acquire(struct sm_guest *g, struct vqn_dev *d,
		      const unsigned long *queues)
{
	int ret;

	call_begin(g, d);
	ret = vqn_sm_queues_acquire(&g->sm, d, queues, &g->sink);
	if (!ret)
		g->acquired[d->id - 1] = true;
	call_end(g);
	return ret;
}

int sm_queues_release(struct sm_guest *g, struct vqn_dev *d,
		      const unsigned long *queues, u8 reason, bool reset)
{
	int ret;

	call_begin(g, d);
	ret = vqn_sm_queues_release(&g->sm, d, queues, reason, reset,
				    &g->sink);
	call_end(g);
	return ret;
}

int sm_host_notifier(struct sm_guest *g, struct vqn_dev *d, u32 queue,
		     bool enable)
{
	unsigned long one[BITS_TO_LONGS(VQNOTIFY_MAX_QUEUES)] = { 0 };
	unsigned int first = g->nr_reports, i, results = 0;
	int ret = 0;

	if (queue >= d->num_queues)
		return -EINVAL;
	/* As the module's ioctl: API 1's EALREADY, then a bitmap of one. */
	if (enable == vqn_sm_vhost_holds(d, queue))
		return -EALREADY;
	__set_bit(queue, one);
	call_begin(g, d);
	if (enable)
		ret = vqn_sm_vhost_on(&g->sm, d, one, &g->sink);
	else
		vqn_sm_vhost_off(&g->sm, d, one, &g->sink);
	call_end(g);
	/* One result at most: the module has room for exactly one. */
	for (i = first; i < g->nr_reports; i++)
		if (!g->reports[i].async)
			results++;
	if (results != !ret)
		guest_error(g, "host notifier dev %u q %u returned %d with %u results",
			    d->id, queue, ret, results);
	return ret;
}

void sm_load(struct sm_guest *g, struct vqn_dev *d, u32 status,
	     const unsigned long *ready, const unsigned long *vhost)
{
	call_begin(g, d);
	vqn_sm_load(&g->sm, d, status, ready, &g->sink);
	call_end(g);
}

void sm_reports_clear(struct sm_guest *g)
{
	g->nr_reports = 0;
	g->call_first = 0;
}

/* The @nth (from 0) report about @vq since the last clear, or NULL. */
const struct sm_report *sm_report_find(const struct sm_guest *g,
				       const struct vqn_vq *vq,
				       unsigned int nth)
{
	unsigned int i;

	for (i = 0; i < g->nr_reports; i++)
		if (g->reports[i].vq == vq && !nth--)
			return &g->reports[i];
	return NULL;
}

unsigned int sm_reports_count(const struct sm_guest *g, u8 label, bool async)
{
	unsigned int i, n = 0;

	for (i = 0; i < g->nr_reports; i++)
		if (g->reports[i].label == label &&
		    g->reports[i].async == async)
			n++;
	return n;
}
