// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: what the state machine reports, and where it goes.
 *
 * A call's results (its sink, struct vqn_call) go to vqn_call_report()
 * after the state machine returns; vqn_env_report() gets the transitions
 * the VMM did not ask for. Both count them host-wide (struct vqn_stats),
 * trace them (the tracepoints of vqnotify_trace.h are defined here) and
 * hand them to the monitor (struct vqn_monitor_ops: the netlink family
 * registers itself at init, so that nothing here calls up into it);
 * vqn_env_report() then queues an event on the guest's ring, which the VMM
 * reads from its file, and holds the transitions for the calls group until
 * what made them ends (vqn_monitor_flush()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vqnotify.h"

#define CREATE_TRACE_POINTS
#include "vqnotify_trace.h"

/*
 * Host-wide counters, in the CONFIG_GET reply: they outlive the guests they
 * counted (a guest's own counters end with it) and reset only with the
 * module. Per CPU, so that every guest's hot path increments its own CPU's
 * copy; a reader sums them (on 32-bit a sum may see a torn increment).
 */
static DEFINE_PER_CPU(struct vqn_stats, vqn_stats);

void vqn_stats_sum(struct vqn_stats *sum)
{
	unsigned int i;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct vqn_stats *s = per_cpu_ptr(&vqn_stats, cpu);

		for (i = 0; i < VQNOTIFY_LABEL_MAX; i++)
			sum->transitions[i] += READ_ONCE(s->transitions[i]);
		for (i = 0; i < VQNOTIFY_REASON_MAX; i++)
			sum->refusals[i] += READ_ONCE(s->refusals[i]);
		sum->events_dropped += READ_ONCE(s->events_dropped);
		sum->guests_opened += READ_ONCE(s->guests_opened);
		sum->guests_closed += READ_ONCE(s->guests_closed);
	}
}

/* Set before the misc device exists, and never changed while it does. */
static const struct vqn_monitor_ops *vqn_monitor __read_mostly;

void vqn_monitor_set(const struct vqn_monitor_ops *ops)
{
	vqn_monitor = ops;
}

/*
 * The transitions no call asked for ((p), (r)) and a closing guest's
 * resets (g), held for the calls group: one CALL_NTF with async per device
 * for each call, promotion turn, change of limits or close that made them,
 * where that ends (vqn_monitor_flush()), instead of one message each (the
 * monitor group's). Under the guest's lock; allocated on first use.
 */
#define VQN_ASYNC_MAX	256	/* results a message: 2 KiB */

struct vqn_async {
	u32 dev_id;
	u32 nr;
	char dev_name[VQNOTIFY_NAME_LEN];
	struct vqnotify_vq_result res[VQN_ASYNC_MAX];
};

/*
 * One message of @g's to the calls group, under its ntf_lock: in its place
 * among the guest's messages ("Locking"). Results of a call sent after the
 * guest is unlocked go through vqn_monitor_call_begin() and
 * vqn_monitor_call() instead.
 */
static void vqn_calls_send(struct vqn_kguest *g, u32 dev_id,
			   const char *dev_name,
			   const struct vqnotify_vq_result *res, u32 nr,
			   bool async)
{
	/* The promotion work holds it through the guest's turn (vqn_pool.c). */
	bool turn = g->line.serving;

	if (turn)
		lockdep_assert_held(&g->ntf_lock);
	else
		mutex_lock(&g->ntf_lock);
	vqn_monitor->call(g->id, g->name, dev_id, dev_name, res, nr, async);
	if (!turn)
		mutex_unlock(&g->ntf_lock);
}

static noinline void vqn_async_send(struct vqn_kguest *g)
{
	struct vqn_async *a = g->async;

	vqn_calls_send(g, a->dev_id, a->dev_name, a->res, a->nr, true);
	a->nr = 0;
}

/*
 * What the guest holds for the calls group goes out, before whatever the
 * caller reports next: the order of the monitor group's messages. Called
 * where a call, a promotion turn or a change of limits ends, and before a
 * guest's or device's notification. Most find nothing held: the check is
 * inline in this file's callers (vqn_call_report() is on every call's path).
 */
static __always_inline void vqn_async_flush(struct vqn_kguest *g)
{
	lockdep_assert_held(&g->lock);
	if (g->async && g->async->nr)
		vqn_async_send(g);
}

void vqn_monitor_flush(struct vqn_kguest *g)
{
	vqn_async_flush(g);
}

/*
 * Under @g's lock, before a change that another process (the admin) makes
 * to it: waits killably until @g's ntf_lock is free, 0, or -EINTR (nothing
 * changed). A tenant's thread holds it without the guest's lock from the
 * end of its call until the call's message to the calls group is sent,
 * and may be held up there as long as in its call; the change's own
 * messages take it, unkillably. Nobody takes it without the guest's lock:
 * once free, it stays free until the caller unlocks the guest.
 */
int vqn_monitor_wait(struct vqn_kguest *g)
{
	lockdep_assert_held(&g->lock);
	if (mutex_lock_killable(&g->ntf_lock))
		return -EINTR;
	mutex_unlock(&g->ntf_lock);
	return 0;
}

/*
 * A guest's own allocations made in another's context: its ring growing and
 * its held results, for events made by a process the file was passed to,
 * the admin's change of limits or the module's promotion work (a slot
 * another guest freed). They are charged to the
 * guest's opener (@memcg), as fsnotify charges a group's events to the
 * group's creator, not to whoever happened to cause them (or to nobody, from
 * a kworker).
 */
static void *vqn_kguest_alloc_array(struct vqn_kguest *g, size_t n,
				    size_t size)
{
	struct mem_cgroup *old;
	void *p;

	/*
	 * Without waiting for memory: not worth reclaim, let alone an OOM
	 * kill, in the opener's cgroup for another's call, made by the
	 * promotion work (which every waiting guest waits for) and the
	 * admin's walks (__GFP_RETRY_MAYFAIL would still reclaim there, up to
	 * 16 times, and keep every other guest waiting). A ring that cannot
	 * grow overflows sooner; held results go out one by one. kmalloc()
	 * only (kvmalloc() does not vmalloc without blocking): a ring of the
	 * default depth is 8 KiB at most.
	 */
	old = set_active_memcg(g->memcg);
	p = kvmalloc_array(n, size, GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	set_active_memcg(old);
	return p;
}

static void vqn_async_add(struct vqn_kguest *g, struct vqn_dev *d, u32 queue,
			  u8 old, u8 label)
{
	const struct vqn_vq *vq = &d->vqs[queue];
	struct vqnotify_vq_result r = {
		.queue = queue, .old_state = old, .new_state = vq->state,
		.label = label, .reason = vq->reason,
	};
	struct vqn_async *a = g->async;

	if (!a) {
		a = vqn_kguest_alloc_array(g, 1, sizeof(*a));
		if (!a) {
			/* Alone then (a failed message is an overrun). */
			vqn_calls_send(g, d->id, d->name, &r, 1, true);
			return;
		}
		a->nr = 0;
		g->async = a;
	}
	if (a->nr && (a->dev_id != d->id || a->nr == VQN_ASYNC_MAX))
		vqn_async_flush(g);
	if (!a->nr) {
		a->dev_id = d->id;
		strscpy(a->dev_name, d->name, sizeof(a->dev_name));
	}
	a->res[a->nr++] = r;
}

/* @cmd: GUEST_ADD_NTF, GUEST_DEL_NTF or GUEST_CHANGE_NTF */
void vqn_monitor_guest(struct vqn_kguest *g, u8 cmd)
{
	lockdep_assert_held(&g->lock);
	vqn_async_flush(g);
	/* Called once per open and once per close: counted here. */
	if (cmd == VQNOTIFY_CMD_GUEST_ADD_NTF)
		this_cpu_inc(vqn_stats.guests_opened);
	else if (cmd == VQNOTIFY_CMD_GUEST_DEL_NTF)
		this_cpu_inc(vqn_stats.guests_closed);
	/* After the guest is in the table, or gone and out of it. */
	if (cmd != VQNOTIFY_CMD_GUEST_CHANGE_NTF)
		vqn_objects_changed_of(g->uid_gen);
	mutex_lock(&g->ntf_lock);
	vqn_monitor->guest(g, cmd);
	mutex_unlock(&g->ntf_lock);
}

void vqn_monitor_dev(struct vqn_kguest *g, struct vqn_dev *d, bool add)
{
	lockdep_assert_held(&g->lock);
	vqn_async_flush(g);
	vqn_objects_changed_of(g->uid_gen);
	mutex_lock(&g->ntf_lock);
	vqn_monitor->dev(g, d, add);
	mutex_unlock(&g->ntf_lock);
}

/* Event ring */

/*
 * A guest's event ring starts with this many records and doubles, up to
 * event_depth, as events queue up: most guests never see one, and a ring
 * of event_depth records was 82 of the 143 bytes per queue of a guest with
 * 25 devices of 4 queues.
 */
#define VQN_EV_MIN	8

/*
 * Only pushers grow the ring or add records, and they hold the guest's
 * lock; readers only take records from its head. The count read before
 * ev_lock can only have dropped since. The records are copied outside
 * ev_lock (32768 of them, 1 MiB, when an event_depth of 65536 is reached:
 * readers of the guest would spin that long), then those a reader took
 * meanwhile are skipped. A failed allocation keeps the ring as it is,
 * which then overflows sooner: the reader reads the overflow record, as
 * with a full ring.
 */
static void vqn_event_grow(struct vqn_kguest *g)
{
	u32 cap = min(2 * g->ev_cap, g->ev_depth), head, count, i;
	struct vqnotify_event *ev, *old;

	ev = vqn_kguest_alloc_array(g, cap, sizeof(*ev));
	if (!ev)
		return;
	spin_lock(&g->ev_lock);
	head = g->ev_head;
	count = g->ev_count;
	spin_unlock(&g->ev_lock);
	for (i = 0; i < count; i++)
		ev[i] = g->ev[(head + i) % g->ev_cap];
	spin_lock(&g->ev_lock);
	old = g->ev;
	g->ev = ev;
	g->ev_cap = cap;
	/*
	 * A reader that took a record meanwhile, or takes the one it is
	 * copying out later, moves the head by one: it indexes the new ring
	 * from here.
	 */
	g->ev_head = count - g->ev_count;
	spin_unlock(&g->ev_lock);
	kvfree(old);
}

static void vqn_event_push(struct vqn_kguest *g, struct vqnotify_event *ev)
{
	lockdep_assert_held(&g->lock);
	if (READ_ONCE(g->ev_count) >= g->ev_cap - 1 && g->ev_cap < g->ev_depth)
		vqn_event_grow(g);
	spin_lock(&g->ev_lock);
	ev->seq = g->ev_seq++;
	if (g->ev_overflow) {
		spin_unlock(&g->ev_lock);
		this_cpu_inc(vqn_stats.events_dropped);
		return;
	}
	if (g->ev_count == g->ev_cap - 1) {
		this_cpu_inc(vqn_stats.events_dropped);
		/* As inotify: the last free record says what was lost. */
		memset(ev, 0, sizeof(*ev));
		ev->seq = g->ev_seq - 1;
		ev->type = VQNOTIFY_EVENT_OVERFLOW;
		g->ev_overflow = true;
	}
	g->ev[(g->ev_head + g->ev_count) % g->ev_cap] = *ev;
	WRITE_ONCE(g->ev_count, g->ev_count + 1);
	spin_unlock(&g->ev_lock);
	wake_up_interruptible_poll(&g->wq, EPOLLIN | EPOLLRDNORM);
}

/* After a change of the guest's limits: its (p) and (r) go out too. */
void vqn_event_budget(struct vqn_kguest *g)
{
	struct vqnotify_event ev = {
		.type = VQNOTIFY_EVENT_BUDGET,
		.value = vqn_sm_budget(&g->sm),
	};

	lockdep_assert_held(&g->lock);
	vqn_async_flush(g);
	vqn_event_push(g, &ev);
}

int vqn_event_init(struct vqn_kguest *g)
{
	g->ev_depth = vqn_event_depth;
	g->ev_cap = min_t(u32, VQN_EV_MIN, g->ev_depth);
	g->ev = kvcalloc(g->ev_cap, sizeof(*g->ev), GFP_KERNEL_ACCOUNT);
	if (!g->ev)
		return -ENOMEM;
	mutex_init(&g->read_lock);
	mutex_init(&g->ntf_lock);
	spin_lock_init(&g->ev_lock);
	init_waitqueue_head(&g->wq);
	return 0;
}

void vqn_event_free(struct vqn_kguest *g)
{
	mutex_destroy(&g->read_lock);
	mutex_destroy(&g->ntf_lock);
	kvfree(g->ev);
	kvfree(g->async);
}

/* read() of the guest's file: whole records, at least one. */
ssize_t vqn_event_read(struct vqn_kguest *g, char __user *buf, size_t count,
		       bool nonblock)
{
	struct vqnotify_event ev;
	ssize_t done = 0;
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;

again:
	while (!READ_ONCE(g->ev_count)) {
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(g->wq, READ_ONCE(g->ev_count));
		if (ret)
			return ret;
	}

	/*
	 * Readers are serialised by a mutex of their own, never the guest
	 * lock: a reader may stall in copy_to_user() as long as its buffer's
	 * page fault takes (userfaultfd, FUSE), and must not hold up the
	 * guest's other calls, nor the promotion work and the walks that
	 * wait for the guest's lock. Pushers only append. The other readers
	 * of the guest wait for the stalled one as they would for an empty
	 * ring: O_NONBLOCK gets EAGAIN, a blocking reader sleeps interruptibly
	 * (never in state D, and a signal ends the wait).
	 */
	if (nonblock) {
		if (!mutex_trylock(&g->read_lock))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&g->read_lock)) {
		return -ERESTARTSYS;
	}
	while (count - done >= sizeof(ev)) {
		spin_lock(&g->ev_lock);
		if (!g->ev_count) {
			spin_unlock(&g->ev_lock);
			break;
		}
		ev = g->ev[g->ev_head];
		spin_unlock(&g->ev_lock);

		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			if (!done)
				done = -EFAULT;
			break;
		}
		spin_lock(&g->ev_lock);
		g->ev_head = (g->ev_head + 1) % g->ev_cap;
		WRITE_ONCE(g->ev_count, g->ev_count - 1);
		if (ev.type == VQNOTIFY_EVENT_OVERFLOW)
			g->ev_overflow = false;
		spin_unlock(&g->ev_lock);
		done += sizeof(ev);
	}
	mutex_unlock(&g->read_lock);
	/*
	 * Records left (a short buffer, or pushed meanwhile): a reader turned
	 * away with EAGAIN while this one held the lock, which poll() had
	 * told of them, hears of them again (an edge for EPOLLET).
	 */
	if (READ_ONCE(g->ev_count))
		wake_up_interruptible_poll(&g->wq, EPOLLIN | EPOLLRDNORM);
	/* Another reader took the records that woke us: 0 would mean EOF. */
	if (!done)
		goto again;
	return done;
}

__poll_t vqn_event_poll(struct vqn_kguest *g, struct file *file,
			poll_table *wait)
{
	poll_wait(file, &g->wq, wait);
	return READ_ONCE(g->ev_count) ? EPOLLIN | EPOLLRDNORM : 0;
}

/* The state machine's environment */

/*
 * A report without a label is a refusal (limited, no-slot, host-cap,
 * not-ready, quota, and any refusal reason to come), unless the queue only
 * stays with vhost (a migration's load) or its VMM released it, itself or
 * because KVM refused it the ioeventfd.
 */
static bool vqn_refused(u8 reason)
{
	return reason != VQNOTIFY_REASON_VHOST &&
	       reason != VQNOTIFY_REASON_RELEASED &&
	       reason != VQNOTIFY_REASON_KVM_REFUSED;
}

/*
 * What the observers make of one report of the state machine: the
 * host-wide counters, a tracepoint and, when @listened, the monitor group's
 * notification. Here, beside its one caller, so that it is inlined: as a
 * call into another file it cost 42 ns per queue of a DRIVER_OK.
 */
static void vqn_observe(struct vqn_kguest *g, struct vqn_dev *d, u32 queue,
			u8 old, u8 label, bool listened)
{
	const struct vqn_vq *vq = &d->vqs[queue];

	if (label != VQNOTIFY_LABEL_NONE) {
		if (label < VQNOTIFY_LABEL_MAX)
			this_cpu_inc(vqn_stats.transitions[label]);
		trace_vq_transition(g->id, d->id, queue, old, vq->state,
				    label, vq->reason);
	} else if (vqn_refused(vq->reason)) {
		if (vq->reason < VQNOTIFY_REASON_MAX)
			this_cpu_inc(vqn_stats.refusals[vq->reason]);
		trace_vq_refusal(g->id, d->id, queue, vq->state, vq->reason);
	} else {
		return;
	}
	if (listened)
		vqn_monitor->queue(g, d, queue, old, vq->state, label,
				   vq->reason);
}

/*
 * Changes the VMM did not ask for ((p), (r)): counted, traced, told to the
 * monitor group and queued on the guest's ring as they happen, held for
 * the calls group. A closing guest's resets come here too, without a
 * sink: they are observed, and nobody reads events any more.
 */
void vqn_env_report(struct vqn_guest_sm *sm, struct vqn_dev *d, u32 queue,
		    u8 old, u8 label, bool async)
{
	struct vqn_kguest *g = vqn_kguest_of(sm);
	const struct vqn_vq *vq = &d->vqs[queue];
	struct vqnotify_event ev = {
		.type = VQNOTIFY_EVENT_TRANSITION,
		.dev_id = d->id,
		.queue = queue,
		.old_state = old,
		.new_state = vq->state,
		.label = label,
		.reason = vq->reason,
	};
	unsigned int obs = vqn_monitor->listeners();

	lockdep_assert_held(&g->lock);
	vqn_observe(g, d, queue, old, label, obs & VQN_OBS_MONITOR);
	if (obs & VQN_OBS_CALLS &&
	    (label != VQNOTIFY_LABEL_NONE || vqn_refused(vq->reason))) {
		vqn_async_add(g, d, queue, old, label);
		/*
		 * A turn of the host-wide promotion work (vqn_pool.c, below
		 * us: it cannot call vqn_monitor_flush()) is one (r).
		 */
		if (g->line.serving)
			vqn_async_flush(g);
	}
	if (async)
		vqn_event_push(g, &ev);
}

/*
 * A call's results in one message, built and sent after the guest is
 * unlocked, in their place among the guest's messages to the calls group:
 * vqn_monitor_call_begin() takes @g's ntf_lock under its lock, before the
 * unlock, and vqn_monitor_call() drops it once the message is sent, so a
 * change made by the next holder of the guest's lock is told after it.
 */
void vqn_monitor_call_begin(struct vqn_kguest *g)
{
	lockdep_assert_held(&g->lock);
	mutex_lock(&g->ntf_lock);
}

void vqn_monitor_call(struct vqn_kguest *g, const char *guest_name,
		      u32 dev_id, const char *dev_name,
		      const struct vqnotify_vq_result *res, u32 nr)
{
	vqn_monitor->call(g->id, guest_name, dev_id, dev_name, res, nr, false);
	mutex_unlock(&g->ntf_lock);
}

#define VQN_TRACE_RUNS	64	/* per vq_call event: 512 bytes */

/*
 * A call's results as vq_call events: runs of consecutive queues changed
 * alike, 64 runs an event (a DRIVER_OK of 1024 queues is one run; 1024
 * vq_transition events took 4.5x the call's time).
 */
static void vqn_call_trace(struct vqn_kguest *g, const struct vqn_call *call)
{
	const struct vqn_sink *s = &call->sink;
	struct vqn_trace_run runs[VQN_TRACE_RUNS], *run = NULL;
	u32 i, n = 0, nr = min(s->nr, s->cap), first = 0;

	for (i = 0; i < nr; i++) {
		const struct vqnotify_vq_result *r = &s->res[i];

		if (run && r->queue == run->first + run->count &&
		    r->old_state == run->old_state &&
		    r->new_state == run->new_state &&
		    r->label == run->label && r->reason == run->reason) {
			run->count++;
			continue;
		}
		if (n == VQN_TRACE_RUNS) {
			trace_vq_call(g->id, call->dev->id, i - first, runs, n);
			first = i;
			n = 0;
		}
		run = &runs[n++];
		run->first = r->queue;
		run->count = 1;
		run->old_state = r->old_state;
		run->new_state = r->new_state;
		run->label = r->label;
		run->reason = r->reason;
	}
	if (n)
		trace_vq_call(g->id, call->dev->id, nr - first, runs, n);
}

/*
 * The results of a call, from its sink, under the guest's lock: counted
 * host-wide, and when an observer wants them, traced (as vq_call events,
 * and one by one for who enabled vq_transition or vq_refusal) and told to
 * the monitor one by one. The calls group gets first what the call did
 * that it did not ask for; its results are vqn_call_end()'s, after the
 * guest is unlocked, but those of a removed device go now, before its
 * DEV_DEL_NTF, as the monitor group's do.
 */
void vqn_call_report(struct vqn_kguest *g, struct vqn_call *call)
{
	const struct vqn_sink *s = &call->sink;
	const struct vqnotify_vq_result *r;
	struct vqn_dev *d = call->dev;
	u32 i;

	lockdep_assert_held(&g->lock);
	vqn_async_flush(g);
	if (call->reported || !s->nr)
		return;
	call->reported = true;
	if (s->res && s->nr <= 2) {
		/* A call on a queue or two: count its results. */
		for (r = s->res; r < s->res + min(s->nr, s->cap); r++)
			if (r->label != VQNOTIFY_LABEL_NONE)
				this_cpu_inc(vqn_stats.transitions[r->label]);
			else if (vqn_refused(r->reason))
				this_cpu_inc(vqn_stats.refusals[r->reason]);
	} else {
		for (i = 1; i < VQNOTIFY_LABEL_MAX; i++)
			if (s->labels[i])
				this_cpu_add(vqn_stats.transitions[i],
					     s->labels[i]);
		for (i = 0; i < VQNOTIFY_REASON_MAX; i++)
			if (s->refusals[i] && vqn_refused(i))
				this_cpu_add(vqn_stats.refusals[i],
					     s->refusals[i]);
	}
	if (!s->res)
		return;
	/* Removed: out of the state machine's table (vqn_sm_dev_remove()). */
	if (call->obs & VQN_OBS_CALLS && g->sm.devs[d->slot] != d) {
		vqn_calls_send(g, d->id, d->name, s->res, min(s->nr, s->cap),
			       false);
		call->obs &= ~VQN_OBS_CALLS;	/* vqn_call_end(): sent */
	}
	if (trace_vq_call_enabled())
		vqn_call_trace(g, call);
	if (!(call->obs & VQN_OBS_MONITOR) && !trace_vq_transition_enabled() &&
	    !trace_vq_refusal_enabled())
		return;
	for (r = s->res; r < s->res + min(s->nr, s->cap); r++) {
		if (r->label != VQNOTIFY_LABEL_NONE)
			trace_vq_transition(g->id, d->id, r->queue,
					    r->old_state, r->new_state,
					    r->label, r->reason);
		else if (vqn_refused(r->reason))
			trace_vq_refusal(g->id, d->id, r->queue, r->new_state,
					 r->reason);
		else
			continue;
		if (call->obs & VQN_OBS_MONITOR)
			vqn_monitor->queue(g, d, r->queue, r->old_state,
					   r->new_state, r->label, r->reason);
	}
}
