// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvqnotify: the library's view of every queue, and the event queue.
 *
 * Order matters for the view: before a call, the events already queued by
 * the module are applied; after it, the call's results, then the events
 * the call caused. A result whose old state disagrees with the view (an
 * event raced with the call) marks the device for a resynchronisation
 * from VQNOTIFY_DEV_GET once the events are applied.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

struct vqn_view_dev *vqn_view_dev_find(struct vqn_guest *g, uint32_t id)
{
	struct vqn_view_dev *d;

	for (d = g->devs; d; d = d->next)
		if (d->id == id)
			return d;
	return NULL;
}

/*
 * The module put queue @qi in @state: the view follows it, and so does KVM
 * when the KVM binding is in use (it returns the negative errno of an
 * assign KVM refused).
 */
int vqn_view_set(struct vqn_guest *g, struct vqn_view_dev *d, uint32_t qi,
		 uint8_t state)
{
	if (g->binding)
		return g->binding->apply(g, d, qi, state);
	d->q[qi].state = state;
	return 0;
}

static int scratch_reserve(struct vqn_guest *g, uint32_t nq)
{
	unsigned int words = (nq + 63) / 64;
	struct vqnotify_vq_result *r;
	uint64_t *w;

	if (words > g->ready_words) {
		w = realloc(g->ready, words * sizeof(*w));
		if (!w)
			return -ENOMEM;
		g->ready = w;
		g->ready_words = words;
	}
	if (nq <= g->rbuf_cap)
		return 0;
	r = realloc(g->rbuf, nq * sizeof(*r));
	if (!r)
		return -ENOMEM;
	g->rbuf = r;
	g->rbuf_cap = nq;
	return 0;
}

struct vqn_view_dev *vqn_dev_track(struct vqn_guest *g, uint32_t id,
				   uint32_t nq)
{
	struct vqn_view_dev *d, **pp;

	if (scratch_reserve(g, nq))
		return NULL;
	d = calloc(1, sizeof(*d) + nq * sizeof(d->q[0]));
	if (!d)
		return NULL;
	d->id = id;
	d->num_queues = nq;
	for (pp = &g->devs; *pp && (*pp)->id < id; pp = &(*pp)->next)
		;
	d->next = *pp;
	*pp = d;
	return d;
}

void vqn_dev_forget(struct vqn_guest *g, struct vqn_view_dev *d)
{
	struct vqn_view_dev **pp;
	uint32_t i;

	/*
	 * The module has dropped the device: drop its ioeventfds too. One
	 * KVM fails to remove is reported as a failure of settling.
	 */
	for (i = 0; i < d->num_queues; i++)
		vqn_settle_failed(g, vqn_view_set(g, d, i,
						  VQNOTIFY_VQ_DEASSIGNED));
	if (g->binding)
		g->binding->release(g, d);
	for (pp = &g->devs; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	free(d);
}

/*
 * Does the module's old state of a queue disagree with the view? A queue
 * KVM refused is DEASSIGNED in the view while the module, until the
 * fallback, still has it ASSIGNED: that is no disagreement.
 */
bool vqn_view_stale(const struct vqn_q *q, uint8_t old)
{
	if (q->state == old)
		return false;
	return !(q->refused && old == VQNOTIFY_VQ_ASSIGNED);
}

/* Pending events */

void vqn_notify_update(struct vqn_guest *g)
{
	uint64_t v = 1;

	bool pending = g->pend_nr || g->dropped || g->settle_err;

	if (pending && !g->notified) {
		if (write(g->notify, &v, sizeof(v)) == sizeof(v))
			g->notified = true;
	} else if (!pending && g->notified) {
		if (read(g->notify, &v, sizeof(v)) == sizeof(v))
			g->notified = false;
	}
}

_Static_assert(!(VQN_PEND_MAX & (VQN_PEND_MAX - 1)) && VQN_PEND_MAX >= 64,
	       "the queue doubles from 64 to exactly VQN_PEND_MAX");

/*
 * Room for @n more events in the queue, and for the OVERFLOW owed before
 * them (vqn_batch_dropped()): 0, or -ENOMEM with nothing changed. Taken
 * before the view changes: a change whose event could not be queued would
 * be in the view, and a reread would find nothing to report. A queue at
 * its most (VQN_PEND_MAX) has room: the push drops the oldest event then,
 * and only then (vqn_pend_put()).
 */
int vqn_pend_reserve_n(struct vqn_guest *g, unsigned int n)
{
	/* Doubled at least once: 64 events first, then twice as many. */
	unsigned int cap = g->pend_cap ? g->pend_cap : 32;
	struct vqn_event *p;
	unsigned int i;

	n += !!g->dropped;
	if (g->pend_cap - g->pend_nr >= n || g->pend_cap == VQN_PEND_MAX)
		return 0;
	do {
		cap *= 2;
	} while (cap - g->pend_nr < n && cap < VQN_PEND_MAX);
	p = malloc(cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (i = 0; i < g->pend_nr; i++)
		p[i] = g->pend[(g->pend_head + i) % g->pend_cap];
	free(g->pend);
	g->pend = p;
	g->pend_cap = cap;
	g->pend_head = 0;
	return 0;
}

/* Room for one more event: vqn_pend_reserve_n(). */
int vqn_pend_reserve(struct vqn_guest *g)
{
	return vqn_pend_reserve_n(g, 1);
}

/* Queue @ev where vqn_pend_reserve_n() made room. */
static void vqn_pend_put(struct vqn_guest *g, const struct vqn_event *ev)
{
	if (g->pend_nr == g->pend_cap) {
		/*
		 * Full, the caller reading none of it (a VMM that lives on
		 * results and the view): the oldest goes, counted in the lost
		 * of the one after it, a library event too (a caller that
		 * resynchronises on lost must hear of it). Other guests' and
		 * the admin's changes make events: unbounded, they were the
		 * caller's memory.
		 */
		const struct vqn_event *old = &g->pend[g->pend_head];
		uint64_t n = old->lost + 1;

		g->pend_head = (g->pend_head + 1) % g->pend_cap;
		g->pend_nr--;
		g->pend[g->pend_head].lost += n;
	}
	g->pend[(g->pend_head + g->pend_nr) % g->pend_cap] = *ev;
	g->pend_nr++;
}

/*
 * The OVERFLOW owed for the events of a batch the library read and could
 * not queue (vqn_batch_dropped()), where room was made: with the seq of
 * the first of them, as the module's own OVERFLOW, and their number.
 */
static void vqn_pend_put_dropped(struct vqn_guest *g)
{
	struct vqn_event ev = {
		.seq = g->dropped_seq,
		.type = VQNOTIFY_EVENT_OVERFLOW,
		.flags = VQN_EVENT_F_LIBRARY,
		.lost = g->dropped,
	};

	if (!g->dropped)
		return;
	vqn_pend_put(g, &ev);
	g->dropped = 0;
}

/* Queue @ev, after the OVERFLOW owed if any: 0, or -ENOMEM. */
static int vqn_pend_push(struct vqn_guest *g, const struct vqn_event *ev)
{
	int ret = vqn_pend_reserve(g);

	if (ret)
		return ret;
	vqn_pend_put_dropped(g);
	vqn_pend_put(g, ev);
	return 0;
}

/*
 * Queue a TRANSITION event the library made, not the module: queue @qi of
 * @d went from @old to the state the view holds now, for the module's
 * @label and @reason; @kvm_err is KVM's refusal of the ioeventfd, or 0.
 */
int vqn_pend_library_transition(struct vqn_guest *g,
				const struct vqn_view_dev *d, uint32_t qi,
				uint8_t old, uint8_t label, uint8_t reason,
				int kvm_err)
{
	struct vqn_event ev = {
		.seq = g->last_seq,
		.type = VQNOTIFY_EVENT_TRANSITION,
		.flags = VQN_EVENT_F_LIBRARY,
		.dev_id = d->id,
		.queue = qi,
		.old_state = old,
		.new_state = d->q[qi].state,
		.label = label,
		.reason = reason,
		.kvm_err = kvm_err,
	};

	return vqn_pend_push(g, &ev);
}

/* Has the module queued events the library has not read? */
static bool vqn_events_queued(struct vqn_guest *g)
{
	struct pollfd p = { .fd = g->fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && p.revents & POLLIN;
}

/*
 * Bring a device's view (and its ioeventfds) to what the module says,
 * reporting each queue that changed as a library event. Returns 0, 1 when
 * the module no longer has the device (removed behind the library's back,
 * with a raw DEV_REMOVE: the view forgot it, @d is freed), or -errno.
 */
int vqn_resync_dev(struct vqn_guest *g, struct vqn_view_dev *d)
{
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info *vi;
	unsigned int tries;
	uint32_t i;
	int ret;

	vi = calloc(d->num_queues, sizeof(*vi));
	if (!vi)
		return -ENOMEM;
	for (tries = 0;; tries++) {
		dg = (struct vqnotify_dev_get) {
			.size = sizeof(dg),
			.dev_id = d->id,
			.nr_queues = d->num_queues,
			.queues = (uintptr_t)vi,
		};
		ret = vqn_xioctl(g->fd, VQNOTIFY_DEV_GET, &dg);
		if (ret || tries == VQN_RESYNC_TRIES || !vqn_events_queued(g))
			break;
		/*
		 * An event queued before the snapshot is in it: reported as
		 * the resync's change, it would be reported again when
		 * drained (and, the view taken back to its older state, undo
		 * the snapshot's newer one meanwhile). Events first, then the
		 * snapshot again; one queued after the snapshot starts from
		 * its state, and is applied when drained.
		 */
		ret = vqn_drain(g);
		if (ret)
			break;
	}
	if (ret == -ENOENT) {
		vqn_dev_forget(g, d);
		free(vi);
		return 1;
	}
	for (i = 0; !ret && i < dg.nr_queues; i++) {
		struct vqn_q *q = &d->q[i];
		uint8_t old = q->state;
		/* The module moved the queue from where the view has it. */
		bool moved = vqn_view_stale(q, vi[i].state);
		int kvm_err;

		if (q->refused && q->state == VQNOTIFY_VQ_DEASSIGNED &&
		    vi[i].state == VQNOTIFY_VQ_ASSIGNED) {
			/*
			 * KVM refused it, and the module, not told (a
			 * fallback that failed), still has it ASSIGNED: the
			 * fallback comes again. Neither is KVM asked again nor
			 * the view taken to ASSIGNED where the binding wants
			 * no ioeventfd (stopped, detached), which reported
			 * the refusal a second time when KVM was asked.
			 */
			d->fallback = true;
			g->fallback = true;
			continue;
		}
		ret = vqn_pend_reserve(g);
		if (ret)
			break;
		kvm_err = vqn_view_set(g, d, i, vi[i].state);
		/*
		 * A change of the view, or KVM's refusal of the module's move
		 * (DEASSIGNED -> DEASSIGNED, as decode_event() says one). A
		 * deassign that fails again is settling's, as
		 * vqn_kvm_apply_one() says one.
		 */
		if (q->state != old || (kvm_err && moved))
			ret = vqn_pend_library_transition(g, d, i, old,
							  vi[i].label,
							  vi[i].reason,
							  kvm_err);
		else if (kvm_err && q->kvm_on)
			vqn_settle_failed(g, kvm_err);
	}
	free(vi);
	/* Stale until a resync went through: the next settling tries again. */
	d->resync = ret < 0;
	return ret;
}

/* Every device's view is stale: the next settling reads them again. */
static void vqn_resync_all(struct vqn_guest *g)
{
	struct vqn_view_dev *d;

	for (d = g->devs; d; d = d->next)
		d->resync = true;
}

static int decode_event(struct vqn_guest *g, const struct vqnotify_event *k)
{
	struct vqn_event ev = {
		.seq = k->seq,
		.type = k->type,
		.dev_id = k->dev_id,
		.queue = k->queue,
		.old_state = k->old_state,
		.new_state = k->new_state,
		.label = k->label,
		.reason = k->reason,
		.value = k->value,
	};
	struct vqn_view_dev *d;

	/*
	 * Not queued (no memory): not applied either, counted lost with the
	 * rest of its batch (vqn_batch_dropped()); the devices are read
	 * again, which reports the change.
	 */
	if (vqn_pend_reserve(g))
		return -ENOMEM;
	/*
	 * Events the library never saw (another reader of the fd, or a batch
	 * it could not decode whole): about any queue. An OVERFLOW says so
	 * itself, its seq being the first event lost.
	 */
	if (k->seq > g->next_seq) {
		ev.lost = k->seq - g->next_seq;
		vqn_resync_all(g);
	}
	g->next_seq = k->seq + 1;
	g->last_seq = k->seq;

	switch (k->type) {
	case VQNOTIFY_EVENT_TRANSITION:
		d = vqn_view_dev_find(g, k->dev_id);
		if (!d || k->queue >= d->num_queues)
			break;
		if (vqn_view_stale(&d->q[k->queue], k->old_state))
			d->resync = true;
		ev.kvm_err = vqn_view_set(g, d, k->queue, k->new_state);
		ev.new_state = d->q[k->queue].state;
		break;
	case VQNOTIFY_EVENT_OVERFLOW:
		/* The record took the seq of the first event lost. */
		g->next_seq = k->seq;
		vqn_resync_all(g);
		break;
	default:
		break;
	}
	return vqn_pend_push(g, &ev);	/* room was made above */
}

/*
 * The records of a batch from the one decode_event() could not queue to
 * @last were read from the module and are gone: counted lost at once, in
 * an OVERFLOW of the library's queued before any later event
 * (vqn_pend_put_dropped()), not in the gap before the module's next
 * event, which a quiet guest may never send. A module OVERFLOW record
 * among them took the place of the event of its seq, lost too (the next
 * event's gap counts the others it stands for when it is @last). None is
 * owed yet: vqn_drain() queues it before it reads.
 */
static void vqn_batch_dropped(struct vqn_guest *g,
			      const struct vqnotify_event *last)
{
	if (last->seq < g->next_seq)
		return;
	g->dropped_seq = g->next_seq;
	g->dropped = last->seq + 1 - g->next_seq;
	g->next_seq = last->seq + 1;
	/* The library events after the OVERFLOW carry its seq. */
	g->last_seq = g->dropped_seq;
}

/* Queue the OVERFLOW vqn_batch_dropped() owes: 0, or -ENOMEM. */
static int vqn_pend_dropped(struct vqn_guest *g)
{
	int ret;

	if (!g->dropped)
		return 0;
	ret = vqn_pend_reserve_n(g, 0);
	if (!ret)
		vqn_pend_put_dropped(g);
	return ret;
}

/*
 * Apply every event the module has queued, without blocking. An OVERFLOW
 * owed for a batch dropped goes first: until it is queued, no later event
 * is read.
 */
int vqn_drain(struct vqn_guest *g)
{
	int ret = vqn_pend_dropped(g);

	if (ret)
		return ret;
	for (;;) {
		ssize_t n = read(g->fd, g->evbuf, g->event_size * VQN_EV_BATCH);
		ssize_t off, end;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		if (!n)
			return 0;
		end = n - n % g->event_size;
		for (off = 0; off < end; off += g->event_size) {
			ret = decode_event(g, (void *)((char *)g->evbuf + off));
			if (ret) {
				/* The rest of the batch is read, not applied. */
				vqn_batch_dropped(g, (void *)((char *)g->evbuf +
						      end - g->event_size));
				vqn_resync_all(g);
				return ret;
			}
		}
	}
}

/*
 * After a call: apply the events it caused, tell the module about queues
 * KVM refused, resynchronise devices whose view was found stale.
 */
int vqn_settle(struct vqn_guest *g)
{
	struct vqn_view_dev *d, *next;
	int ret = 0, i;

	for (i = 0; i < 64; i++) {
		ret = vqn_drain(g);
		if (ret)
			break;
		if (g->fallback) {
			ret = g->binding->fallback(g);
			if (ret)
				break;
			continue;
		}
		for (d = g->devs; d; d = next) {
			next = d->next;
			if (d->resync) {
				ret = vqn_resync_dev(g, d);
				if (ret < 0)
					goto out;
				ret = 0;
			}
		}
		if (!g->fallback)
			break;
	}
out:
	vqn_notify_update(g);
	return ret;
}

/* A failure of settling, kept for vqn_read_events() (the first one). */
void vqn_settle_failed(struct vqn_guest *g, int err)
{
	if (err < 0 && !g->settle_err)
		g->settle_err = err;
}

/*
 * The start of a call: the events pending read first. Failing to (no
 * memory to queue them), the library has marked every device stale, and
 * the call is made all the same: the failure is settling's, for
 * vqn_read_events().
 */
void vqn_call_begin(struct vqn_guest *g)
{
	vqn_settle_failed(g, vqn_drain(g));
}

/*
 * The end of a call that returned @ret: what it changed settled (events
 * read, KVM's refusals fallen back, stale devices resynchronised). @ret,
 * the call's own result whatever settling did: a call that succeeded
 * changed the module's state. A failure of settling makes the event fd
 * readable and is returned by vqn_read_events().
 */
int vqn_call_end(struct vqn_guest *g, int ret)
{
	vqn_settle_failed(g, vqn_settle(g));
	vqn_notify_update(g);
	return ret;
}
