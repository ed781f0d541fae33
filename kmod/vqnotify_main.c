// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: host-wide arbitration of virtqueue notification slots.
 *
 * /dev/vqnotify: one open file is one guest. The ioctls forward a guest's
 * virtio device lifecycle to the state machine (vqn_sm.c); read() and poll()
 * deliver the changes the VMM did not cause itself.
 *
 * Locking: vqn_guests_lock (host-wide: the guest table, vqn_cfg) may be
 * taken before a guest's lock, never after it. A guest's lock covers its
 * devices and queues and is the only lock of the ioctl hot path; host-wide
 * and per-user slot accounting are lockless counters. ev_lock (a spinlock)
 * nests inside the guest's lock and protects only the event ring.
 * vqn_host_wait_lock (a spinlock) nests inside a guest's lock and protects
 * the lines of guests waiting for a slot. vqn_users_lock (vqn_user.c) is a
 * leaf: nothing is taken under it. vqn_open() takes no lock but the guest
 * table's own, for the id allocation.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/crc32.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "vqnotify.h"

#define CREATE_TRACE_POINTS
#include "vqnotify_trace.h"

struct vqn_config vqn_cfg = {
	.default_budget = 1024,
	.threshold = 7,
	.vhost_reserve = 0,
	.host_cap = 1 << 20,
};
module_param_named(default_budget, vqn_cfg.default_budget, uint, 0444);
MODULE_PARM_DESC(default_budget, "Slots a new guest may hold (default 1024)");
module_param_named(threshold, vqn_cfg.threshold, uint, 0444);
MODULE_PARM_DESC(threshold,
		 "Guests with a budget below this are limited (default 7)");
module_param_named(vhost_reserve, vqn_cfg.vhost_reserve, uint, 0444);
MODULE_PARM_DESC(vhost_reserve,
		 "Slots of a new guest kept for vhost (default 0)");
module_param_named(host_cap, vqn_cfg.host_cap, uint, 0444);
MODULE_PARM_DESC(host_cap, "Slots in use host-wide at most (default 1048576)");

unsigned int vqn_max_guests = 4096;
module_param_named(max_guests, vqn_max_guests, uint, 0444);
MODULE_PARM_DESC(max_guests, "Open guests host-wide at most (default 4096)");
static unsigned int max_devices = 256;
module_param(max_devices, uint, 0444);
MODULE_PARM_DESC(max_devices, "Devices per guest at most (default 256)");
static unsigned int event_depth = 256;
module_param(event_depth, uint, 0444);
MODULE_PARM_DESC(event_depth,
		 "Events queued per guest before an overflow (default 256)");

/*
 * Protects vqn_cfg and keeps the guests of vqn_guests alive for whoever
 * walks them (they leave the table under it); see the top. vqn_open()
 * does not take it: misc_open() calls it under the global misc_mtx, so it
 * takes nothing held longer than an id allocation (the xarray's lock).
 */
DEFINE_MUTEX(vqn_guests_lock);
DEFINE_XARRAY_ALLOC1(vqn_guests);
static u32 vqn_next_guest_id;
atomic_t vqn_nr_guests = ATOMIC_INIT(0);
atomic_t vqn_host_used = ATOMIC_INIT(0);
/*
 * Guests waiting for a slot the host cap or their user's quota refused:
 * each user's waiting guests in the order they started waiting (its
 * waitq), and the users with waiting guests in turn (vqn_host_users).
 * Counters read locklessly on the hot path: guests waiting for the host
 * cap (they stop others from overtaking them), and guests waiting at all.
 */
static DEFINE_SPINLOCK(vqn_host_wait_lock);
static LIST_HEAD(vqn_host_users);
static atomic_t vqn_host_waiters = ATOMIC_INIT(0);
static atomic_t vqn_host_nr_waiting = ATOMIC_INIT(0);

static const char vqn_empty_name[] = "";

/*
 * Results of the lifecycle call in progress on a guest. @nl: a monitor
 * listened when the call began; asked once per call, not per transition
 * (a DRIVER_OK of 1024 queues asked 1024 times: 40% of the call).
 */
struct vqn_call {
	bool nl;
	struct vqn_dev *dev;
	struct vqnotify_vq_result *res;
	u32 cap;
	u32 nr;
	struct vqnotify_vq_result small[8];
};

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
 * lock: the count read before ev_lock can only have dropped since. A failed
 * allocation keeps the ring as it is, which then overflows sooner: the
 * reader reads the overflow record, as with a full ring.
 */
static void vqn_event_grow(struct vqn_guest *g)
{
	u32 cap = min(2 * g->ev_cap, g->ev_depth), i;
	struct vqnotify_event *ev, *old;

	ev = kvmalloc_array(cap, sizeof(*ev),
			    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!ev)
		return;
	spin_lock(&g->ev_lock);
	for (i = 0; i < g->ev_count; i++)
		ev[i] = g->ev[(g->ev_head + i) % g->ev_cap];
	old = g->ev;
	g->ev = ev;
	g->ev_cap = cap;
	g->ev_head = 0;
	spin_unlock(&g->ev_lock);
	kvfree(old);
}

static void vqn_event_push(struct vqn_guest *g, struct vqnotify_event *ev)
{
	lockdep_assert_held(&g->lock);
	if (READ_ONCE(g->ev_count) >= g->ev_cap - 1 && g->ev_cap < g->ev_depth)
		vqn_event_grow(g);
	spin_lock(&g->ev_lock);
	ev->seq = g->ev_seq++;
	if (g->ev_overflow) {
		spin_unlock(&g->ev_lock);
		vqn_nl_event_dropped();
		return;
	}
	if (g->ev_count == g->ev_cap - 1) {
		vqn_nl_event_dropped();
		/* As inotify: the last free record says what was lost. */
		memset(ev, 0, sizeof(*ev));
		ev->seq = g->ev_seq - 1;
		ev->type = VQNOTIFY_EVENT_OVERFLOW;
		g->ev_overflow = true;
	}
	g->ev[(g->ev_head + g->ev_count) % g->ev_cap] = *ev;
	g->ev_count++;
	spin_unlock(&g->ev_lock);
	wake_up_interruptible_poll(&g->wq, EPOLLIN | EPOLLRDNORM);
}

void vqn_guest_event_budget(struct vqn_guest *g)
{
	struct vqnotify_event ev = {
		.type = VQNOTIFY_EVENT_BUDGET,
		.value = vqn_sm_budget(&g->sm),
	};

	lockdep_assert_held(&g->lock);
	vqn_event_push(g, &ev);
}

/* The state machine's environment */

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
 * call into vqnotify_nl.c it cost 42 ns per queue of a DRIVER_OK.
 */
static void vqn_observe(struct vqn_guest *g, struct vqn_vq *vq, u8 old,
			u8 label, bool listened)
{
	u32 queue = vqn_vq_index(vq);

	if (label != VQNOTIFY_LABEL_NONE) {
		if (label < VQNOTIFY_LABEL_MAX)
			this_cpu_inc(vqn_nl_stats.transitions[label]);
		trace_vq_transition(g->id, vq->dev->id, queue, old, vq->state,
				    label, vq->reason);
	} else if (vqn_refused(vq->reason)) {
		if (vq->reason < VQNOTIFY_REASON_MAX)
			this_cpu_inc(vqn_nl_stats.refusals[vq->reason]);
		trace_vq_refusal(g->id, vq->dev->id, queue, vq->state,
				 vq->reason);
	} else {
		return;
	}
	if (listened)
		vqn_nl_notify_queue(g, vq, old, label);
}

void vqn_env_report(struct vqn_guest_sm *sm, struct vqn_vq *vq, u8 old,
		    u8 label, bool async)
{
	struct vqn_guest *g = vqn_guest_of(sm);
	u32 queue = vqn_vq_index(vq);
	struct vqn_call *call = g->call;

	lockdep_assert_held(&g->lock);
	vqn_observe(g, vq, old, label, call ? call->nl : vqn_nl_listened());

	if (async) {
		struct vqnotify_event ev = {
			.type = VQNOTIFY_EVENT_TRANSITION,
			.dev_id = vq->dev->id,
			.queue = queue,
			.old_state = old,
			.new_state = vq->state,
			.label = label,
			.reason = vq->reason,
		};

		vqn_event_push(g, &ev);
		return;
	}

	if (!call || call->dev != vq->dev)
		return;
	if (call->res && !WARN_ON_ONCE(call->nr >= call->cap)) {
		struct vqnotify_vq_result *r = &call->res[call->nr];

		r->queue = queue;
		r->old_state = old;
		r->new_state = vq->state;
		r->label = label;
		r->reason = vq->reason;
	}
	call->nr++;
}

/*
 * Fairness: while guests wait for a slot, freed slots go to them in turn
 * by vqn_host_promote_fn(): round-robin over the users whose guests wait,
 * then over each user's guests, one slot each. A guest that asks later
 * waits behind the guests of its own user, and behind every guest waiting
 * for the host cap; guests waiting for their user's quota hold up no other
 * user. A guest that is the only one waiting serves itself.
 *
 * Behind its own user's guests a guest waits for what they wait for: the
 * host cap if any of them does, else its user's quota, which holds up no
 * other user. A guest whose turn in the promotion work is over waits
 * again for what it waited for.
 */
static u8 vqn_host_may_take(struct vqn_guest *g)
{
	struct vqn_user *u = g->user;
	bool self = READ_ONCE(g->host_waiting);
	bool self_cap = self && g->host_wait_reason == VQNOTIFY_REASON_HOST_CAP;

	if (g->host_serving)
		return g->host_quota ? VQNOTIFY_REASON_GRANTED :
				       g->host_wait_reason;
	if (atomic_read(&u->nr_waiting) > self)
		return atomic_read(&u->nr_capped) ? VQNOTIFY_REASON_HOST_CAP :
						    VQNOTIFY_REASON_QUOTA;
	if (atomic_read(&vqn_host_waiters) > self_cap)
		return VQNOTIFY_REASON_HOST_CAP;
	return VQNOTIFY_REASON_GRANTED;
}

/* One slot, charged to the user and to the host. */
u8 vqn_env_host_take(struct vqn_guest_sm *sm)
{
	struct vqn_guest *g = vqn_guest_of(sm);
	int used = atomic_read(&vqn_host_used);
	u8 reason;

	lockdep_assert_held(&g->lock);
	reason = vqn_host_may_take(g);
	if (reason != VQNOTIFY_REASON_GRANTED)
		goto refused;
	if (!vqn_user_charge(g->user, VQN_LIMIT_SLOTS, 1, !g->quota_exempt)) {
		reason = VQNOTIFY_REASON_QUOTA;
		goto refused;
	}
	do {
		if (used >= READ_ONCE(vqn_cfg.host_cap)) {
			vqn_user_uncharge(g->user, VQN_LIMIT_SLOTS, 1);
			reason = VQNOTIFY_REASON_HOST_CAP;
			goto refused;
		}
	} while (!atomic_try_cmpxchg(&vqn_host_used, &used, used + 1));
	if (g->host_serving && g->host_quota)
		g->host_quota--;
	return VQNOTIFY_REASON_GRANTED;

refused:
	g->host_refused = reason;
	return reason;
}

static void vqn_host_promote_fn(struct work_struct *work);
static DECLARE_WORK(vqn_host_work, vqn_host_promote_fn);

/*
 * A giver decrements the counters then reads vqn_host_nr_waiting; a waiter
 * increments vqn_host_nr_waiting then reads the counters. With a full
 * barrier on both sides one of them sees the other, so no freed slot is
 * missed by a guest that failed to take one just before.
 */
void vqn_env_host_give(struct vqn_guest_sm *sm)
{
	struct vqn_guest *g = vqn_guest_of(sm);

	vqn_user_uncharge(g->user, VQN_LIMIT_SLOTS, 1);
	atomic_dec(&vqn_host_used);
	smp_mb__after_atomic(); /* pairs with vqn_env_host_wait() */
	if (atomic_read(&vqn_host_nr_waiting))
		schedule_work(&vqn_host_work);
}

/* May a guest of @u take a slot its quota allows, if the host has one? */
static bool vqn_host_user_room(struct vqn_user *u, struct vqn_guest *g)
{
	return g->quota_exempt || atomic_read(&u->used[VQN_LIMIT_SLOTS]) <
				  vqn_user_max(u, VQN_LIMIT_SLOTS);
}

/*
 * The guest has queues waiting for a slot (the last refusal says why): it
 * joins its user's line at the tail, and its user the host's line, or
 * keeps its place at the head when the cap stopped it during its own turn.
 */
void vqn_env_host_wait(struct vqn_guest_sm *sm)
{
	struct vqn_guest *g = vqn_guest_of(sm);
	struct vqn_user *u = g->user;
	u8 reason = g->host_refused;
	bool front;

	lockdep_assert_held(&g->lock);
	if (READ_ONCE(g->host_waiting) && g->host_wait_reason == reason)
		return;
	spin_lock(&vqn_host_wait_lock);
	if (g->host_waiting) {
		/* Still waiting, maybe now for the other reason. */
		if (g->host_wait_reason != reason &&
		    reason == VQNOTIFY_REASON_HOST_CAP) {
			atomic_inc(&vqn_host_waiters);
			atomic_inc(&u->nr_capped);
		} else if (g->host_wait_reason != reason) {
			atomic_dec(&vqn_host_waiters);
			atomic_dec(&u->nr_capped);
		}
	} else {
		front = g->host_serving && g->host_quota;
		if (front)
			list_add(&g->host_node, &u->waitq);
		else
			list_add_tail(&g->host_node, &u->waitq);
		if (front && reason == VQNOTIFY_REASON_HOST_CAP)
			list_move(&u->wait_node, &vqn_host_users);
		else if (list_empty(&u->wait_node))
			list_add_tail(&u->wait_node, &vqn_host_users);
		WRITE_ONCE(g->host_waiting, true);
		atomic_inc(&u->nr_waiting);
		if (reason == VQNOTIFY_REASON_HOST_CAP) {
			atomic_inc(&vqn_host_waiters);
			atomic_inc(&u->nr_capped);
		}
		atomic_inc(&vqn_host_nr_waiting);
	}
	g->host_wait_reason = reason;
	spin_unlock(&vqn_host_wait_lock);
	smp_mb__after_atomic(); /* pairs with vqn_env_host_give() */
	if (atomic_read(&vqn_host_used) < READ_ONCE(vqn_cfg.host_cap) &&
	    vqn_host_user_room(u, g))
		schedule_work(&vqn_host_work);
}

/* Take @g out of the line; the caller holds vqn_host_wait_lock. */
static void vqn_host_unwait(struct vqn_guest *g)
{
	struct vqn_user *u = g->user;

	lockdep_assert_held(&vqn_host_wait_lock);
	if (!g->host_waiting)
		return;
	list_del_init(&g->host_node);
	if (list_empty(&u->waitq))
		list_del_init(&u->wait_node);
	WRITE_ONCE(g->host_waiting, false);
	atomic_dec(&u->nr_waiting);
	if (g->host_wait_reason == VQNOTIFY_REASON_HOST_CAP) {
		atomic_dec(&vqn_host_waiters);
		atomic_dec(&u->nr_capped);
	}
	atomic_dec(&vqn_host_nr_waiting);
}

/*
 * The next guest to serve: the first waiting guest of the first user in
 * line with room in its quota; that user goes to the tail of the line.
 * O(users in line) per slot handed out.
 */
static struct vqn_guest *vqn_host_next(void)
{
	struct vqn_guest *g;
	struct vqn_user *u;

	lockdep_assert_held(&vqn_host_wait_lock);
	list_for_each_entry(u, &vqn_host_users, wait_node) {
		g = list_first_entry(&u->waitq, struct vqn_guest, host_node);
		if (vqn_host_user_room(u, g)) {
			list_move_tail(&u->wait_node, &vqn_host_users);
			vqn_host_unwait(g);
			return g;
		}
	}
	return NULL;
}

/*
 * Slots came free while guests wait for them: serve the waiting guests in
 * turn, one slot each (a guest with more waiting queues goes back to the
 * tail of its user's line), until the cap stops us or no user with room
 * in its quota waits. vqn_guests_lock keeps the guests alive.
 */
static void vqn_host_promote_fn(struct work_struct *work)
{
	struct vqn_guest *g;
	bool stop = false;

	mutex_lock(&vqn_guests_lock);
	while (!stop &&
	       atomic_read(&vqn_host_used) < READ_ONCE(vqn_cfg.host_cap)) {
		spin_lock(&vqn_host_wait_lock);
		g = vqn_host_next();
		spin_unlock(&vqn_host_wait_lock);
		if (!g)
			break;

		mutex_lock(&g->lock);
		g->host_serving = true;
		g->host_quota = 1;
		vqn_sm_promote(&g->sm);
		/* The cap stopped it before it took its slot: stop too. */
		stop = g->host_quota && g->host_waiting &&
		       g->host_wait_reason == VQNOTIFY_REASON_HOST_CAP;
		g->host_serving = false;
		mutex_unlock(&g->lock);
		cond_resched();
	}
	mutex_unlock(&vqn_guests_lock);
}

void vqn_host_promote_all(void)
{
	schedule_work(&vqn_host_work);
}

/* Guests */

void vqn_guest_fill_info(struct vqn_guest *g, struct vqnotify_guest_info *gi)
{
	const struct vqn_guest_sm *sm = &g->sm;

	lockdep_assert_held(&g->lock);
	gi->guest_id = g->id;
	gi->owner_pid = pid_vnr(g->pid);
	gi->budget = vqn_sm_budget(sm);
	gi->vhost_reserve = sm->vhost_reserve;
	gi->threshold = sm->threshold;
	gi->used = sm->used;
	gi->nr_assigned = sm->nr_assigned;
	gi->nr_offlimits = sm->nr_offlimits;
	gi->nr_waiting = sm->nr_waiting;
	gi->nr_devices = g->nr_devices;
	gi->run_state = sm->run_state;
	gi->out_flags = 0;
	if (vqn_sm_limited(sm))
		gi->out_flags |= VQNOTIFY_GUEST_LIMITED;
	if (sm->used > vqn_sm_budget(sm))
		gi->out_flags |= VQNOTIFY_GUEST_OVER_BUDGET;
	BUILD_BUG_ON(sizeof(gi->counts) != sizeof(sm->counts));
	memcpy(gi->counts, sm->counts, sizeof(gi->counts));
	strscpy(gi->label, g->name, sizeof(gi->label));
	strscpy(gi->name, g->name, sizeof(gi->name));
}

/* Names are printable ASCII: whoever prints them cannot be deceived. */
static int vqn_name_dup(const char *src, size_t size, const char **out)
{
	size_t len = strnlen(src, size), i;

	if (len == size)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if ((unsigned char)src[i] < 0x20 || (unsigned char)src[i] > 0x7e)
			return -EINVAL;
	if (!len) {
		*out = vqn_empty_name;
		return 0;
	}
	*out = kmemdup_nul(src, len, GFP_KERNEL_ACCOUNT);
	return *out ? 0 : -ENOMEM;
}

static void vqn_name_free(const char *name)
{
	if (name != vqn_empty_name)
		kfree(name);
}

static void vqn_dev_free(struct vqn_guest *g, struct vqn_dev *d)
{
	vqn_user_uncharge(g->user, VQN_LIMIT_QUEUES, d->num_queues);
	vqn_user_uncharge(g->user, VQN_LIMIT_DEVICES, 1);
	vqn_name_free(d->name);
	kvfree(d);
}

/*
 * The admin's policies for the guest's name and user, if any: budget and
 * reserve follow the VM (its name) and the user, not the open file.
 */
static void vqn_guest_apply_policy(struct vqn_guest *g, bool renamed)
{
	u32 budget = g->sm.admin_budget, reserve = g->sm.vhost_reserve;
	u32 found;

	lockdep_assert_held(&g->lock);
	found = vqn_policy_resolve(g->name, g->uid, &budget, &reserve);
	/* A new name without a policy changes nothing: no escape by name. */
	if (!found || (renamed && !(found & VQN_POL_NAMED)) ||
	    (budget == g->sm.admin_budget && reserve == g->sm.vhost_reserve))
		return;
	vqn_sm_set_limits(&g->sm, budget, g->sm.own_budget, reserve,
			  g->sm.threshold);
	vqn_guest_event_budget(g);
}

/* A policy for @name (or for @uid if @name is NULL) changed: apply it. */
void vqn_guests_apply_policy(const char *name, kuid_t uid)
{
	struct vqn_guest *g;
	unsigned long id;

	mutex_lock(&vqn_guests_lock);
	xa_for_each(&vqn_guests, id, g) {
		mutex_lock(&g->lock);
		if (name ? !strcmp(g->name, name) : uid_eq(g->uid, uid))
			vqn_guest_apply_policy(g, false);
		mutex_unlock(&g->lock);
	}
	mutex_unlock(&vqn_guests_lock);
}

static int vqn_open(struct inode *inode, struct file *file)
{
	u32 budget, reserve;
	struct vqn_guest *g;
	int ret;

	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return -ENOMEM;
	g->uid = current_euid();
	g->quota_exempt = ns_capable_noaudit(&init_user_ns, CAP_SYS_RESOURCE);
	g->user = vqn_user_get(g->uid);
	if (!g->user) {
		ret = -ENOMEM;
		goto err_free;
	}
	/* The user's quota, then the host's table: EDQUOT, then ENOSPC. */
	if (!vqn_user_charge(g->user, VQN_LIMIT_GUESTS, 1, !g->quota_exempt)) {
		ret = -EDQUOT;
		goto err_user;
	}
	if (!atomic_add_unless(&vqn_nr_guests, 1, vqn_max_guests)) {
		ret = -ENOSPC;
		goto err_charged;
	}
	g->ev_depth = event_depth;
	g->ev_cap = min_t(u32, VQN_EV_MIN, g->ev_depth);
	g->ev = kvcalloc(g->ev_cap, sizeof(*g->ev), GFP_KERNEL_ACCOUNT);
	if (!g->ev) {
		ret = -ENOMEM;
		goto err_counted;
	}
	mutex_init(&g->lock);
	mutex_init(&g->read_lock);
	INIT_LIST_HEAD(&g->host_node);
	g->name = vqn_empty_name;
	xa_init_flags(&g->devs, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	spin_lock_init(&g->ev_lock);
	init_waitqueue_head(&g->wq);
	g->pid = get_pid(task_tgid(current));

	/* Settings change under vqn_guests_lock: a snapshot is enough. */
	budget = READ_ONCE(vqn_cfg.default_budget);
	reserve = READ_ONCE(vqn_cfg.vhost_reserve);
	vqn_policy_resolve(NULL, g->uid, &budget, &reserve);
	vqn_sm_guest_init(&g->sm, budget, reserve, READ_ONCE(vqn_cfg.threshold));
	/*
	 * Visible to walkers from here on, complete. The guest table is
	 * shared: not charged to this guest's cgroup.
	 */
	ret = xa_alloc_cyclic(&vqn_guests, &g->id, g, xa_limit_31b,
			      &vqn_next_guest_id, GFP_KERNEL);
	if (ret < 0)
		goto err_pid;
	mutex_lock(&g->lock);
	vqn_nl_notify_guest(g, VQNOTIFY_CMD_GUEST_ADD_NTF);
	mutex_unlock(&g->lock);

	file->private_data = g;
	return 0;

err_pid:
	put_pid(g->pid);
	kvfree(g->ev);
err_counted:
	atomic_dec(&vqn_nr_guests);
err_charged:
	vqn_user_uncharge(g->user, VQN_LIMIT_GUESTS, 1);
err_user:
	vqn_user_put(g->user);
err_free:
	kfree(g);
	return ret;
}

/* Closing the file, or the VMM dying, releases every slot the guest held. */
static int vqn_release(struct inode *inode, struct file *file)
{
	struct vqn_guest *g = file->private_data;
	struct vqn_dev *d;
	unsigned long id;

	/* Under vqn_guests_lock: the promotion work is not serving @g. */
	mutex_lock(&vqn_guests_lock);
	xa_erase(&vqn_guests, g->id);
	spin_lock(&vqn_host_wait_lock);
	vqn_host_unwait(g);
	spin_unlock(&vqn_host_wait_lock);
	mutex_unlock(&vqn_guests_lock);

	mutex_lock(&g->lock);
	xa_for_each(&g->devs, id, d) {
		vqn_sm_reset(&g->sm, d, VQNOTIFY_REASON_REMOVED);
		xa_erase(&g->devs, id);
		g->nr_devices--;
		vqn_nl_notify_dev(g, d, false);
		vqn_dev_free(g, d);
	}
	WARN_ON(vqn_sm_check(&g->sm) || g->sm.used || g->host_waiting);
	vqn_nl_notify_guest(g, VQNOTIFY_CMD_GUEST_DEL_NTF);
	mutex_unlock(&g->lock);

	xa_destroy(&g->devs);
	mutex_destroy(&g->read_lock);
	mutex_destroy(&g->lock);
	put_pid(g->pid);
	vqn_name_free(g->name);
	kvfree(g->ev);
	atomic_dec(&vqn_nr_guests);
	vqn_user_uncharge(g->user, VQN_LIMIT_GUESTS, 1);
	vqn_user_put(g->user);
	kfree(g);
	return 0;
}

static ssize_t vqn_read(struct file *file, char __user *buf, size_t count,
			loff_t *ppos)
{
	struct vqn_guest *g = file->private_data;
	struct vqnotify_event ev;
	ssize_t done = 0;
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;

again:
	while (!READ_ONCE(g->ev_count)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(g->wq, READ_ONCE(g->ev_count));
		if (ret)
			return ret;
	}

	/*
	 * Readers are serialised by a mutex of their own, never the guest
	 * lock: a reader may stall in copy_to_user() as long as its buffer's
	 * page fault takes (userfaultfd, FUSE), and must not hold up the
	 * guest's other calls, nor whoever walks the guests under
	 * vqn_guests_lock. Pushers only append. The other readers of the
	 * guest wait for the stalled one as they would for an empty ring:
	 * O_NONBLOCK gets EAGAIN, a blocking reader sleeps interruptibly
	 * (never in state D, and a signal ends the wait).
	 */
	if (file->f_flags & O_NONBLOCK) {
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
		g->ev_count--;
		if (ev.type == VQNOTIFY_EVENT_OVERFLOW)
			g->ev_overflow = false;
		spin_unlock(&g->ev_lock);
		done += sizeof(ev);
	}
	mutex_unlock(&g->read_lock);
	/* Another reader took the records that woke us: 0 would mean EOF. */
	if (!done)
		goto again;
	return done;
}

static __poll_t vqn_poll(struct file *file, poll_table *wait)
{
	struct vqn_guest *g = file->private_data;

	poll_wait(file, &g->wq, wait);
	return READ_ONCE(g->ev_count) ? EPOLLIN | EPOLLRDNORM : 0;
}

/* ioctls */

static struct vqn_dev *vqn_dev_find(struct vqn_guest *g, u32 dev_id)
{
	lockdep_assert_held(&g->lock);
	return xa_load(&g->devs, dev_id);
}

static int vqn_ioctl_get_info(struct vqn_guest *g, void *arg)
{
	struct vqnotify_info *info = arg;

	if (info->flags)
		return -EOPNOTSUPP;
	if (info->__reserved)
		return -EINVAL;
	info->api_version = VQNOTIFY_API_VERSION;
	info->max_queues = VQNOTIFY_MAX_QUEUES;
	info->max_devices = max_devices;
	info->event_size = sizeof(struct vqnotify_event);
	info->event_depth = g->ev_depth;
	/*
	 * No global lock for a VMM's call: each value as it was at some
	 * moment of the call (the writers hold vqn_guests_lock).
	 */
	info->default_budget = READ_ONCE(vqn_cfg.default_budget);
	info->threshold = READ_ONCE(vqn_cfg.threshold);
	info->vhost_reserve = READ_ONCE(vqn_cfg.vhost_reserve);
	info->host_cap = READ_ONCE(vqn_cfg.host_cap);
	info->nr_guests = atomic_read(&vqn_nr_guests);
	info->host_used = atomic_read(&vqn_host_used);
	info->features = VQNOTIFY_FEATURE_SAVE_LOAD | VQNOTIFY_FEATURE_NETLINK |
			 VQNOTIFY_FEATURE_LOAD_QUIESCENT |
			 VQNOTIFY_FEATURE_RUN_STATE | VQNOTIFY_FEATURE_QUEUE_OPS |
			 VQNOTIFY_FEATURE_HOST_NOTIFIERS |
			 VQNOTIFY_FEATURE_NAMES | VQNOTIFY_FEATURE_FAIR;
	return 0;
}

static int vqn_ioctl_guest_set(struct vqn_guest *g, void *arg)
{
	struct vqnotify_guest_set *gs = arg;
	const char *name = NULL;
	const struct vqn_guest_sm *sm = &g->sm;
	int ret;

	if (gs->flags & ~(VQNOTIFY_GUEST_SET_LABEL | VQNOTIFY_GUEST_SET_BUDGET |
			  VQNOTIFY_GUEST_SET_NAME |
			  VQNOTIFY_GUEST_SET_RUN_STATE))
		return -EOPNOTSUPP;
	if ((gs->flags & VQNOTIFY_GUEST_SET_LABEL) &&
	    (gs->flags & VQNOTIFY_GUEST_SET_NAME))
		return -EINVAL;
	if (gs->flags & VQNOTIFY_GUEST_SET_RUN_STATE) {
		if (gs->run_state > VQNOTIFY_RUN_STOPPED)
			return -EINVAL;
	} else if (gs->run_state) {
		return -EINVAL;
	}
	if (gs->flags & VQNOTIFY_GUEST_SET_LABEL)
		ret = vqn_name_dup(gs->label, sizeof(gs->label), &name);
	else if (gs->flags & VQNOTIFY_GUEST_SET_NAME)
		ret = vqn_name_dup(gs->name, sizeof(gs->name), &name);
	else
		ret = 0;
	if (ret)
		return ret;

	mutex_lock(&g->lock);
	if (name) {
		swap(g->name, name);
		vqn_guest_apply_policy(g, true);
	}
	if (gs->flags & VQNOTIFY_GUEST_SET_RUN_STATE)
		vqn_sm_set_run_state(&g->sm, gs->run_state);
	if (gs->flags & VQNOTIFY_GUEST_SET_BUDGET)
		vqn_sm_set_limits(&g->sm, sm->admin_budget, gs->budget,
				  sm->vhost_reserve, sm->threshold);
	if (gs->flags & (VQNOTIFY_GUEST_SET_LABEL | VQNOTIFY_GUEST_SET_NAME |
			 VQNOTIFY_GUEST_SET_RUN_STATE))
		vqn_nl_notify_guest(g, VQNOTIFY_CMD_GUEST_CHANGE_NTF);
	mutex_unlock(&g->lock);
	if (name)
		vqn_name_free(name);
	return 0;
}

static int vqn_ioctl_guest_get(struct vqn_guest *g, void *arg)
{
	struct vqnotify_guest_info *gi = arg;

	if (gi->flags)
		return -EOPNOTSUPP;
	if (gi->__reserved)
		return -EINVAL;
	mutex_lock(&g->lock);
	vqn_guest_fill_info(g, gi);
	mutex_unlock(&g->lock);
	return 0;
}

/*
 * A device and its queues are one allocation. Above a page, kmalloc rounds
 * up to a power of two: a device of 1024 queues, 32,824 B, took 64 KiB.
 * Whole pages from vmalloc instead, when that saves at least one (36 KiB).
 */
static struct vqn_dev *vqn_dev_alloc(u32 nq)
{
	struct vqn_dev *d;
	size_t size = struct_size(d, vqs, nq);

	if (size > PAGE_SIZE &&
	    kmalloc_size_roundup(size) >= PAGE_ALIGN(size) + PAGE_SIZE)
		return __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	return kvzalloc(size, GFP_KERNEL_ACCOUNT);
}

static int vqn_ioctl_dev_add(struct vqn_guest *g, void *arg)
{
	struct vqnotify_dev_add *da = arg;
	struct vqn_dev *d;
	u32 id;
	int ret;

	if (da->flags & ~VQNOTIFY_DEV_ADD_NAME)
		return -EOPNOTSUPP;
	if (da->__reserved || da->out_dev_id)
		return -EINVAL;
	if (da->transport < VQNOTIFY_TRANSPORT_PIO ||
	    da->transport > VQNOTIFY_TRANSPORT_CCW)
		return -EINVAL;
	if (!da->num_queues || da->num_queues > VQNOTIFY_MAX_QUEUES)
		return -EINVAL;

	/* Charged before anything is allocated: EDQUOT costs the host nothing. */
	if (!vqn_user_charge(g->user, VQN_LIMIT_DEVICES, 1, !g->quota_exempt))
		return -EDQUOT;
	if (!vqn_user_charge(g->user, VQN_LIMIT_QUEUES, da->num_queues,
			     !g->quota_exempt)) {
		vqn_user_uncharge(g->user, VQN_LIMIT_DEVICES, 1);
		return -EDQUOT;
	}
	d = vqn_dev_alloc(da->num_queues);
	if (!d) {
		vqn_user_uncharge(g->user, VQN_LIMIT_QUEUES, da->num_queues);
		vqn_user_uncharge(g->user, VQN_LIMIT_DEVICES, 1);
		return -ENOMEM;
	}
	d->transport = da->transport;
	d->num_queues = da->num_queues;
	if (da->flags & VQNOTIFY_DEV_ADD_NAME)
		ret = vqn_name_dup(da->name, sizeof(da->name), &d->name);
	else
		ret = vqn_name_dup(da->label, sizeof(da->label), &d->name);
	if (ret) {
		d->name = vqn_empty_name;
		vqn_dev_free(g, d);
		return ret;
	}

	mutex_lock(&g->lock);
	if (g->nr_devices >= max_devices) {
		ret = -EMFILE;
		goto err_unlock;
	}
	ret = xa_alloc_cyclic(&g->devs, &id, d, xa_limit_31b, &g->next_dev_id,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_unlock;
	d->id = id;
	g->nr_devices++;
	vqn_sm_dev_init(&g->sm, d);
	vqn_nl_notify_dev(g, d, true);
	mutex_unlock(&g->lock);

	da->out_dev_id = id;
	return 0;

err_unlock:
	mutex_unlock(&g->lock);
	vqn_dev_free(g, d);
	return ret;
}

/*
 * Everything a device-wide call may fail on is checked before any state
 * changes: the device, the caller's results buffer (zeroed to prove it is
 * writable) and the kernel's results array.
 */
static int vqn_call_prepare(struct vqn_guest *g, u32 dev_id, u64 ures,
			    u32 cap, struct vqn_call *call, u32 *nq)
{
	struct vqn_dev *d;

	mutex_lock(&g->lock);
	d = vqn_dev_find(g, dev_id);
	*nq = d ? d->num_queues : 0;
	mutex_unlock(&g->lock);
	if (!d)
		return -ENOENT;

	memset(call, 0, sizeof(*call));
	if (!ures)
		return 0;
	if (cap < *nq)
		return -EINVAL;
	if (clear_user(u64_to_user_ptr(ures), *nq * sizeof(*call->res)))
		return -EFAULT;
	/* A device of a few queues needs no allocation for its results. */
	if (*nq <= ARRAY_SIZE(call->small))
		call->res = call->small;
	else
		call->res = kvcalloc(*nq, sizeof(*call->res),
				     GFP_KERNEL_ACCOUNT);
	if (!call->res)
		return -ENOMEM;
	call->cap = *nq;
	return 0;
}

/* Look the device up again under the lock: it may have gone meanwhile. */
static struct vqn_dev *vqn_call_begin(struct vqn_guest *g, u32 dev_id, u32 nq,
				      struct vqn_call *call)
{
	struct vqn_dev *d;

	mutex_lock(&g->lock);
	d = vqn_dev_find(g, dev_id);
	if (!d || d->num_queues != nq) {
		mutex_unlock(&g->lock);
		return NULL;
	}
	call->dev = d;
	call->nl = vqn_nl_listened();
	g->call = call;
	return d;
}

static void vqn_call_end(struct vqn_guest *g)
{
	g->call = NULL;
	mutex_unlock(&g->lock);
}

static void vqn_call_free(struct vqn_call *call)
{
	if (call->res != call->small)
		kvfree(call->res);
}

static int vqn_call_finish(struct vqn_call *call, u64 ures, u32 *nr_results)
{
	int ret = 0;

	*nr_results = call->nr;
	if (ures && call->nr &&
	    copy_to_user(u64_to_user_ptr(ures), call->res,
			 call->nr * sizeof(*call->res)))
		ret = -EFAULT;
	vqn_call_free(call);
	return ret;
}

/* Copy a user bitmap of @nbits bits in __u64 words; no bit past @nbits. */
static int vqn_get_bitmap(unsigned long *dst, u64 uptr, u32 nbits)
{
	u64 words[BITS_TO_U64(VQNOTIFY_MAX_QUEUES)];
	u32 n = BITS_TO_U64(nbits);

	if (copy_from_user(words, u64_to_user_ptr(uptr), n * sizeof(u64)))
		return -EFAULT;
	if (nbits % 64 && words[n - 1] >> (nbits % 64))
		return -EINVAL;
	bitmap_from_arr64(dst, words, nbits);
	return 0;
}

static int vqn_ioctl_dev_op(struct vqn_guest *g, void *arg, unsigned int cmd)
{
	DECLARE_BITMAP(ready, VQNOTIFY_MAX_QUEUES);
	struct vqnotify_dev_op *op = arg;
	bool have_ready = false;
	struct vqn_call call;
	struct vqn_dev *d;
	u32 nq;
	int ret;

	if (op->flags)
		return -EOPNOTSUPP;
	if (op->__reserved)
		return -EINVAL;
	if (cmd == VQNOTIFY_SET_STATUS) {
		if (op->status > 0xff)
			return -EINVAL;
	} else if (op->status || op->ready) {
		return -EINVAL;
	}

	ret = vqn_call_prepare(g, op->dev_id, op->results, op->nr_results,
			       &call, &nq);
	if (ret)
		return ret;
	if (op->ready) {
		ret = vqn_get_bitmap(ready, op->ready, nq);
		if (ret)
			goto out;
		have_ready = true;
	}

	d = vqn_call_begin(g, op->dev_id, nq, &call);
	if (!d) {
		ret = -ENOENT;
		goto out;
	}
	switch (cmd) {
	case VQNOTIFY_SET_STATUS:
		vqn_sm_set_status(&g->sm, d, op->status,
				  have_ready ? ready : NULL);
		break;
	case VQNOTIFY_DEV_RESET:
		vqn_sm_dev_reset(&g->sm, d);
		break;
	case VQNOTIFY_DEV_REMOVE:
		vqn_sm_dev_remove(&g->sm, d);
		xa_erase(&g->devs, d->id);
		g->nr_devices--;
		vqn_nl_notify_dev(g, d, false);
		break;
	}
	vqn_call_end(g);
	if (cmd == VQNOTIFY_DEV_REMOVE)
		vqn_dev_free(g, d);
out:
	if (ret) {
		vqn_call_free(&call);
		return ret;
	}
	return vqn_call_finish(&call, op->results, &op->nr_results);
}

static int vqn_ioctl_set_status(struct vqn_guest *g, void *arg)
{
	return vqn_ioctl_dev_op(g, arg, VQNOTIFY_SET_STATUS);
}

static int vqn_ioctl_dev_reset(struct vqn_guest *g, void *arg)
{
	return vqn_ioctl_dev_op(g, arg, VQNOTIFY_DEV_RESET);
}

static int vqn_ioctl_dev_remove(struct vqn_guest *g, void *arg)
{
	return vqn_ioctl_dev_op(g, arg, VQNOTIFY_DEV_REMOVE);
}

/* ACQUIRE, RELEASE and SET_HOST_NOTIFIERS: a call on a set of queues. */
static int vqn_ioctl_queues(struct vqn_guest *g, void *arg, unsigned int cmd)
{
	DECLARE_BITMAP(queues, VQNOTIFY_MAX_QUEUES);
	struct vqnotify_queues *q = arg;
	struct vqn_call call;
	struct vqn_dev *d;
	u32 allowed, nq;
	u8 reason;
	int ret;

	switch (cmd) {
	case VQNOTIFY_QUEUES_RELEASE:
		allowed = VQNOTIFY_QUEUES_KVM_REFUSED | VQNOTIFY_QUEUES_RESET;
		break;
	case VQNOTIFY_SET_HOST_NOTIFIERS:
		allowed = VQNOTIFY_HOST_NOTIFIER_ENABLE;
		break;
	default:
		allowed = 0;
	}
	if (q->flags & ~allowed)
		return -EOPNOTSUPP;
	if (q->__reserved || !q->nr_queues ||
	    q->nr_queues > VQNOTIFY_MAX_QUEUES)
		return -EINVAL;

	ret = vqn_call_prepare(g, q->dev_id, q->results, q->nr_results, &call,
			       &nq);
	if (ret)
		return ret;
	bitmap_zero(queues, VQNOTIFY_MAX_QUEUES);
	if (q->nr_queues > nq)
		ret = -EINVAL;
	else
		ret = vqn_get_bitmap(queues, q->queues, q->nr_queues);
	if (!ret && bitmap_empty(queues, q->nr_queues))
		ret = -EINVAL;
	if (ret)
		goto out;

	d = vqn_call_begin(g, q->dev_id, nq, &call);
	if (!d) {
		ret = -ENOENT;
		goto out;
	}
	switch (cmd) {
	case VQNOTIFY_QUEUES_ACQUIRE:
		ret = vqn_sm_queues_acquire(&g->sm, d, queues);
		break;
	case VQNOTIFY_QUEUES_RELEASE:
		reason = q->flags & VQNOTIFY_QUEUES_KVM_REFUSED ?
			 VQNOTIFY_REASON_KVM_REFUSED :
			 VQNOTIFY_REASON_RELEASED;
		ret = vqn_sm_queues_release(&g->sm, d, queues, reason,
					    q->flags & VQNOTIFY_QUEUES_RESET);
		break;
	case VQNOTIFY_SET_HOST_NOTIFIERS:
		if (q->flags & VQNOTIFY_HOST_NOTIFIER_ENABLE)
			ret = vqn_sm_vhost_on(&g->sm, d, queues);
		else
			vqn_sm_vhost_off(&g->sm, d, queues);
		break;
	}
	vqn_call_end(g);
out:
	if (ret) {
		vqn_call_free(&call);
		return ret;
	}
	return vqn_call_finish(&call, q->results, &q->nr_results);
}

static int vqn_ioctl_queues_acquire(struct vqn_guest *g, void *arg)
{
	return vqn_ioctl_queues(g, arg, VQNOTIFY_QUEUES_ACQUIRE);
}

static int vqn_ioctl_queues_release(struct vqn_guest *g, void *arg)
{
	return vqn_ioctl_queues(g, arg, VQNOTIFY_QUEUES_RELEASE);
}

static int vqn_ioctl_host_notifiers(struct vqn_guest *g, void *arg)
{
	return vqn_ioctl_queues(g, arg, VQNOTIFY_SET_HOST_NOTIFIERS);
}

static int vqn_ioctl_host_notifier(struct vqn_guest *g, void *arg)
{
	struct vqnotify_host_notifier *hn = arg;
	struct vqn_call call = { .res = &hn->result, .cap = 1 };
	struct vqn_vq *vq;
	struct vqn_dev *d;
	int ret;

	if (hn->flags & ~VQNOTIFY_HOST_NOTIFIER_ENABLE)
		return -EOPNOTSUPP;
	if (hn->__reserved || hn->__reserved2)
		return -EINVAL;
	memset(&hn->result, 0, sizeof(hn->result));

	mutex_lock(&g->lock);
	d = vqn_dev_find(g, hn->dev_id);
	if (!d) {
		ret = -ENOENT;
		goto out;
	}
	if (hn->queue >= d->num_queues) {
		ret = -EINVAL;
		goto out;
	}
	vq = &d->vqs[hn->queue];
	call.dev = d;
	call.nl = vqn_nl_listened();
	g->call = &call;
	ret = vqn_sm_host_notifier(&g->sm, d, vq,
				   hn->flags & VQNOTIFY_HOST_NOTIFIER_ENABLE);
	g->call = NULL;
out:
	mutex_unlock(&g->lock);
	return ret;
}

static void vqn_fill_vq_info(struct vqnotify_vq_info *vi,
			     const struct vqn_guest *g, const struct vqn_vq *vq)
{
	vi->state = vq->state;
	vi->reason = vq->reason;
	vi->label = vq->label;
	vi->flags = vqn_sm_vq_flags(&g->sm, vq);
	vi->assign_seq = vq->assign_seq;
}

static int vqn_ioctl_queue_get(struct vqn_guest *g, void *arg)
{
	struct vqnotify_queue_get *qg = arg;
	struct vqn_dev *d;
	int ret = 0;

	if (qg->flags)
		return -EOPNOTSUPP;
	mutex_lock(&g->lock);
	d = vqn_dev_find(g, qg->dev_id);
	if (!d)
		ret = -ENOENT;
	else if (qg->queue >= d->num_queues)
		ret = -EINVAL;
	else
		vqn_fill_vq_info(&qg->info, g, &d->vqs[qg->queue]);
	mutex_unlock(&g->lock);
	return ret;
}

static int vqn_ioctl_dev_get(struct vqn_guest *g, void *arg)
{
	struct vqnotify_dev_get *dg = arg;
	struct vqnotify_vq_info *vi = NULL;
	struct vqn_dev *d;
	u32 i, n = 0;
	int ret = 0;

	if (dg->flags)
		return -EOPNOTSUPP;
	if (dg->__reserved)
		return -EINVAL;
	if (dg->queues && dg->nr_queues) {
		n = min_t(u32, dg->nr_queues, VQNOTIFY_MAX_QUEUES);
		vi = kvcalloc(n, sizeof(*vi), GFP_KERNEL_ACCOUNT);
		if (!vi)
			return -ENOMEM;
	}

	mutex_lock(&g->lock);
	d = vqn_dev_find(g, dg->dev_id);
	if (!d) {
		mutex_unlock(&g->lock);
		ret = -ENOENT;
		goto out;
	}
	dg->status = d->status;
	dg->transport = d->transport;
	dg->num_queues = d->num_queues;
	strscpy(dg->label, d->name, sizeof(dg->label));
	strscpy(dg->name, d->name, sizeof(dg->name));
	n = min(n, d->num_queues);
	for (i = 0; i < n; i++)
		vqn_fill_vq_info(&vi[i], g, &d->vqs[i]);
	mutex_unlock(&g->lock);

	dg->nr_queues = n;
	if (n && copy_to_user(u64_to_user_ptr(dg->queues), vi, n * sizeof(*vi)))
		ret = -EFAULT;
out:
	kvfree(vi);
	return ret;
}

/*
 * Migration blob, little-endian: header, then the initialised-queues bitmap
 * and the vhost-held bitmap, each BITS_TO_U64(num_queues) words. The CRC
 * covers everything with the crc field zeroed.
 */
#define VQN_BLOB_MAGIC		0x534e5156	/* "VQNS" */
#define VQN_BLOB_VERSION	1

struct vqn_blob_hdr {
	__le32 magic;
	__le16 version;
	__le16 hdr_len;
	__le32 total_len;
	__le32 crc;
	__le32 status;
	__le32 transport;
	__le32 num_queues;
	__le32 reserved;
};

static u32 vqn_blob_len(u32 nq)
{
	return sizeof(struct vqn_blob_hdr) + 2 * BITS_TO_U64(nq) * sizeof(u64);
}

#define VQN_BLOB_MAX	(sizeof(struct vqn_blob_hdr) + \
			 2 * BITS_TO_U64(VQNOTIFY_MAX_QUEUES) * sizeof(u64))

static u32 vqn_blob_crc(struct vqn_blob_hdr *h, u32 len)
{
	__le32 saved = h->crc;
	u32 crc;

	h->crc = 0;
	crc = crc32_le(~0, (const u8 *)h, len);
	h->crc = saved;
	return crc;
}

static void vqn_blob_put_bitmap(__le64 *dst, const struct vqn_dev *d, u8 flag,
				u8 state)
{
	u32 i;

	for (i = 0; i < d->num_queues; i++) {
		const struct vqn_vq *vq = &d->vqs[i];

		if ((flag && vq->flags & flag) || (!flag && vq->state == state))
			dst[i / 64] |= cpu_to_le64(1ULL << (i % 64));
	}
}

static int vqn_ioctl_dev_save(struct vqn_guest *g, void *arg)
{
	struct vqnotify_migration *m = arg;
	struct vqn_blob_hdr *h;
	struct vqn_dev *d;
	__le64 *words;
	u32 len, n;
	int ret = 0;

	if (m->flags)
		return -EOPNOTSUPP;
	if (m->__reserved || m->results || m->nr_results)
		return -EINVAL;
	h = kzalloc(VQN_BLOB_MAX, GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;

	mutex_lock(&g->lock);
	d = vqn_dev_find(g, m->dev_id);
	if (!d) {
		mutex_unlock(&g->lock);
		ret = -ENOENT;
		goto out;
	}
	len = vqn_blob_len(d->num_queues);
	n = BITS_TO_U64(d->num_queues);
	h->magic = cpu_to_le32(VQN_BLOB_MAGIC);
	h->version = cpu_to_le16(VQN_BLOB_VERSION);
	h->hdr_len = cpu_to_le16(sizeof(*h));
	h->total_len = cpu_to_le32(len);
	h->status = cpu_to_le32(d->status);
	h->transport = cpu_to_le32(d->transport);
	h->num_queues = cpu_to_le32(d->num_queues);
	words = (__le64 *)(h + 1);
	vqn_blob_put_bitmap(words, d, VQNOTIFY_VQ_INITIALISED, 0);
	vqn_blob_put_bitmap(words + n, d, 0, VQNOTIFY_VQ_OFFLIMITS);
	mutex_unlock(&g->lock);
	h->crc = cpu_to_le32(vqn_blob_crc(h, len));

	if (m->len < len)
		ret = -EMSGSIZE;
	else if (copy_to_user(u64_to_user_ptr(m->data), h, len))
		ret = -EFAULT;
	m->len = len;
out:
	kfree(h);
	return ret;
}

static int vqn_blob_parse(struct vqn_blob_hdr *h, u32 len,
			  unsigned long *ready, unsigned long *vhost)
{
	u32 nq = le32_to_cpu(h->num_queues);
	u64 words[2 * BITS_TO_U64(VQNOTIFY_MAX_QUEUES)];
	u32 n, i;

	if (le32_to_cpu(h->magic) != VQN_BLOB_MAGIC ||
	    le16_to_cpu(h->version) != VQN_BLOB_VERSION ||
	    le16_to_cpu(h->hdr_len) != sizeof(*h) ||
	    le32_to_cpu(h->total_len) != len || h->reserved ||
	    !nq || nq > VQNOTIFY_MAX_QUEUES || vqn_blob_len(nq) != len ||
	    le32_to_cpu(h->crc) != vqn_blob_crc(h, len) ||
	    le32_to_cpu(h->status) > 0xff)
		return -EINVAL;
	n = BITS_TO_U64(nq);
	for (i = 0; i < 2 * n; i++)
		words[i] = le64_to_cpu(((__le64 *)(h + 1))[i]);
	/*
	 * No bits past num_queues. vhost may hold a queue that was not
	 * initialised at DRIVER_OK: SAVE records that, so LOAD takes it.
	 */
	if (nq % 64 && (words[n - 1] >> (nq % 64) ||
			words[2 * n - 1] >> (nq % 64)))
		return -EINVAL;
	bitmap_from_arr64(ready, words, nq);
	bitmap_from_arr64(vhost, words + n, nq);
	return 0;
}

static int vqn_ioctl_dev_load(struct vqn_guest *g, void *arg)
{
	DECLARE_BITMAP(ready, VQNOTIFY_MAX_QUEUES);
	DECLARE_BITMAP(vhost, VQNOTIFY_MAX_QUEUES);
	struct vqnotify_migration *m = arg;
	struct vqn_blob_hdr *h;
	struct vqn_call call;
	struct vqn_dev *d;
	u32 nq;
	int ret;

	if (m->flags)
		return -EOPNOTSUPP;
	if (m->__reserved)
		return -EINVAL;
	if (m->len < sizeof(*h) || m->len > VQN_BLOB_MAX)
		return -EINVAL;
	h = kmalloc(m->len, GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	if (copy_from_user(h, u64_to_user_ptr(m->data), m->len)) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = vqn_blob_parse(h, m->len, ready, vhost);
	if (ret)
		goto out_free;

	ret = vqn_call_prepare(g, m->dev_id, m->results, m->nr_results, &call,
			       &nq);
	if (ret)
		goto out_free;
	d = vqn_call_begin(g, m->dev_id, nq, &call);
	if (!d) {
		ret = -ENOENT;
	} else {
		if (!vqn_sm_dev_quiescent(d))
			ret = -EBUSY;
		else if (d->num_queues != le32_to_cpu(h->num_queues) ||
			 d->transport != le32_to_cpu(h->transport))
			ret = -EINVAL;
		else
			vqn_sm_load(&g->sm, d, le32_to_cpu(h->status), ready);
		vqn_call_end(g);
	}
	if (ret)
		vqn_call_free(&call);
	else
		ret = vqn_call_finish(&call, m->results, &m->nr_results);
out_free:
	kfree(h);
	return ret;
}

union vqn_ioctl_buffer {
	struct vqnotify_info info;
	struct vqnotify_guest_set guest_set;
	struct vqnotify_guest_info guest_info;
	struct vqnotify_dev_add dev_add;
	struct vqnotify_dev_op dev_op;
	struct vqnotify_host_notifier host_notifier;
	struct vqnotify_queue_get queue_get;
	struct vqnotify_dev_get dev_get;
	struct vqnotify_migration migration;
	struct vqnotify_queues queues;
};

/*
 * @min_size: the API 1 size of the structure (or its first size): smaller
 * is EINVAL. @write: the call changes state, so the file must be open for
 * writing (EBADF otherwise): an O_RDONLY fd may query, for monitoring.
 */
struct vqn_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	bool write;
	int (*execute)(struct vqn_guest *g, void *arg);
};

#define VQN_IOCTL(_ioctl, _fn, _struct, _last, _write)			\
	[_IOC_NR(_ioctl) - VQNOTIFY_CMD_BASE] = {			\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union vqn_ioctl_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.write = _write,					\
		.execute = _fn,						\
	}
#define VQN_IOCTL_OP(_ioctl, _fn, _struct, _last)			\
	VQN_IOCTL(_ioctl, _fn, _struct, _last, true)
#define VQN_IOCTL_GET(_ioctl, _fn, _struct, _last)			\
	VQN_IOCTL(_ioctl, _fn, _struct, _last, false)

static const struct vqn_ioctl_op vqn_ioctl_ops[] = {
	VQN_IOCTL_GET(VQNOTIFY_GET_INFO, vqn_ioctl_get_info,
		      struct vqnotify_info, features),
	VQN_IOCTL_OP(VQNOTIFY_GUEST_SET, vqn_ioctl_guest_set,
		     struct vqnotify_guest_set, label),
	VQN_IOCTL_GET(VQNOTIFY_GUEST_GET, vqn_ioctl_guest_get,
		      struct vqnotify_guest_info, label),
	VQN_IOCTL_OP(VQNOTIFY_DEV_ADD, vqn_ioctl_dev_add,
		     struct vqnotify_dev_add, label),
	VQN_IOCTL_OP(VQNOTIFY_SET_STATUS, vqn_ioctl_set_status,
		     struct vqnotify_dev_op, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_DEV_RESET, vqn_ioctl_dev_reset,
		     struct vqnotify_dev_op, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_DEV_REMOVE, vqn_ioctl_dev_remove,
		     struct vqnotify_dev_op, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_SET_HOST_NOTIFIER, vqn_ioctl_host_notifier,
		     struct vqnotify_host_notifier, __reserved2),
	VQN_IOCTL_GET(VQNOTIFY_QUEUE_GET, vqn_ioctl_queue_get,
		      struct vqnotify_queue_get, info),
	VQN_IOCTL_GET(VQNOTIFY_DEV_GET, vqn_ioctl_dev_get,
		      struct vqnotify_dev_get, label),
	VQN_IOCTL_GET(VQNOTIFY_DEV_SAVE, vqn_ioctl_dev_save,
		      struct vqnotify_migration, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_DEV_LOAD, vqn_ioctl_dev_load,
		     struct vqnotify_migration, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_QUEUES_ACQUIRE, vqn_ioctl_queues_acquire,
		     struct vqnotify_queues, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_QUEUES_RELEASE, vqn_ioctl_queues_release,
		     struct vqnotify_queues, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_SET_HOST_NOTIFIERS, vqn_ioctl_host_notifiers,
		     struct vqnotify_queues, __reserved),
};

/*
 * The struct is written back after the call: a read-only one fails now,
 * before the call changes anything, not after. Always inlined, so that with
 * a constant @size every copy has a constant size, which hardened usercopy
 * checks at build time instead of walking the stack frame at run time.
 */
static __always_inline long vqn_ioctl_call(struct vqn_guest *g,
					   const struct vqn_ioctl_op *op,
					   void __user *uarg,
					   union vqn_ioctl_buffer *buf,
					   u32 size)
{
	long ret;

	if (copy_to_user(uarg, buf, size))
		return -EFAULT;
	ret = op->execute(g, buf);
	if ((!ret || ret == -EMSGSIZE) && copy_to_user(uarg, buf, size))
		ret = -EFAULT;
	return ret;
}

/* A struct of exactly the size this module knows: no tail to check. */
static __always_inline long vqn_ioctl_exact(struct vqn_guest *g,
					    const struct vqn_ioctl_op *op,
					    void __user *uarg,
					    union vqn_ioctl_buffer *buf,
					    u32 size)
{
	if (copy_from_user(buf, uarg, size))
		return -EFAULT;
	return vqn_ioctl_call(g, op, uarg, buf, size);
}

static long vqn_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vqn_guest *g = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct vqn_ioctl_op *op;
	union vqn_ioctl_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int ret;

	if (cmd != _IO(VQNOTIFY_TYPE, nr) || nr < VQNOTIFY_CMD_BASE ||
	    nr - VQNOTIFY_CMD_BASE >= ARRAY_SIZE(vqn_ioctl_ops))
		return -ENOTTY;
	op = &vqn_ioctl_ops[nr - VQNOTIFY_CMD_BASE];
	if (!op->execute)
		return -ENOTTY;
	if (op->write && !(file->f_mode & FMODE_WRITE))
		return -EBADF;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;

	/* The calls of a VMM's hot path, as this module knows them. */
	switch (cmd) {
	case VQNOTIFY_SET_HOST_NOTIFIER:
		if (usize == sizeof(buf.host_notifier))
			return vqn_ioctl_exact(g, op, uarg, &buf,
					       sizeof(buf.host_notifier));
		break;
	case VQNOTIFY_SET_STATUS:
	case VQNOTIFY_DEV_RESET:
		if (usize == sizeof(buf.dev_op))
			return vqn_ioctl_exact(g, op, uarg, &buf,
					       sizeof(buf.dev_op));
		break;
	case VQNOTIFY_SET_HOST_NOTIFIERS:
	case VQNOTIFY_QUEUES_ACQUIRE:
	case VQNOTIFY_QUEUES_RELEASE:
		if (usize == sizeof(buf.queues))
			return vqn_ioctl_exact(g, op, uarg, &buf,
					       sizeof(buf.queues));
		break;
	}

	if (usize < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&buf, op->size, uarg, usize);
	if (ret)
		return ret;
	return vqn_ioctl_call(g, op, uarg, &buf, min_t(u32, op->size, usize));
}

static const struct file_operations vqn_fops = {
	.owner = THIS_MODULE,
	.open = vqn_open,
	.release = vqn_release,
	.read = vqn_read,
	.poll = vqn_poll,
	.unlocked_ioctl = vqn_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vqn_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vqnotify",
	.fops = &vqn_fops,
	.mode = 0660,
};

static int __init vqn_init(void)
{
	int ret;

	/* The rules CONFIG_SET applies (vqnotify_nl.c), and the sizes. */
	if (event_depth < 2 || event_depth > 65536 || !max_devices ||
	    !vqn_max_guests || vqn_max_guests > S32_MAX ||
	    vqn_cfg.default_budget > S32_MAX || !vqn_cfg.threshold ||
	    vqn_cfg.threshold > S32_MAX || !vqn_cfg.host_cap ||
	    vqn_cfg.host_cap > S32_MAX ||
	    vqn_cfg.vhost_reserve > vqn_cfg.default_budget) {
		pr_err("invalid module parameters\n");
		return -EINVAL;
	}
	vqn_user_init_defaults(vqn_max_guests, vqn_cfg.host_cap);
	ret = vqn_nl_init();
	if (ret)
		return ret;
	ret = misc_register(&vqn_misc);
	if (ret) {
		vqn_nl_exit();
		return ret;
	}
	return 0;
}

static void __exit vqn_exit(void)
{
	misc_deregister(&vqn_misc);
	vqn_nl_exit();
	cancel_work_sync(&vqn_host_work);
	WARN_ON(atomic_read(&vqn_host_used));
	vqn_user_exit();
}

module_init(vqn_init);
module_exit(vqn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Host-wide arbitration of virtqueue notification slots");
MODULE_AUTHOR("vqnotify developers");
MODULE_VERSION("1.0.0");
