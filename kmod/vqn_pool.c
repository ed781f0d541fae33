// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: what is host-wide. The settings (module parameters, changed by
 * the admin over netlink), the table of guests, and the slot pool: the
 * host cap, and the lines of guests waiting for a slot the host cap or
 * their user's quota refused, served by the promotion work.
 *
 * Below the guests: the state machine takes and gives slots through
 * vqn_env_host_*(); nothing here calls up but vqn_sm_promote().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "vqnotify.h"

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
unsigned int vqn_max_devices = 256;
module_param_named(max_devices, vqn_max_devices, uint, 0444);
MODULE_PARM_DESC(max_devices, "Devices per guest at most (default 256)");
unsigned int vqn_event_depth = 256;
module_param_named(event_depth, vqn_event_depth, uint, 0444);
MODULE_PARM_DESC(event_depth,
		 "Events queued per guest before an overflow (default 256)");

/* The locks and what they protect: "DOC: Locking" in vqnotify.h. */
DEFINE_MUTEX(vqn_guests_lock);
DEFINE_XARRAY_ALLOC1(vqn_guests);
static u32 vqn_next_guest_id;
atomic_t vqn_nr_guests = ATOMIC_INIT(0);
atomic_t vqn_host_used = ATOMIC_INIT(0);
/*
 * Guests waiting for a slot the host cap or their user's quota refused:
 * each user's waiting guests in the order they started waiting (its
 * waitq), and the users with waiting guests in turn (vqn_host_users).
 * Counters: guests waiting for the host cap (they stop others from
 * overtaking them), and guests waiting at all.
 */
static DEFINE_SPINLOCK(vqn_host_wait_lock);
static LIST_HEAD(vqn_host_users);
static atomic_t vqn_host_waiters = ATOMIC_INIT(0);
static atomic_t vqn_host_nr_waiting = ATOMIC_INIT(0);

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
static u8 vqn_host_may_take(struct vqn_kguest *g)
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

/*
 * Up to @n units of @v below @max (any number unless @enforce), in one
 * atomic: returns how many were taken.
 */
static u32 vqn_take_upto(atomic_t *v, u32 n, u32 max, bool enforce)
{
	int used = atomic_read(v);
	u32 got;

	do {
		got = n;
		if (enforce && (u64)used + n > max)
			got = (u32)used < max ? max - used : 0;
		if (!got)
			return 0;
	} while (!atomic_try_cmpxchg(v, &used, used + got));
	return got;
}

/*
 * Up to @n slots, charged to the user and to the host: as many as the
 * user's quota and then the host cap leave, one atomic on each counter
 * whatever @n (a DRIVER_OK of 1024 queues took 1024 cmpxchg loops on the
 * host-wide counter). In its turn of the promotion work a guest takes at
 * most its turn's quota. What one slot at a time would give: the quota
 * and the cap refuse alike every slot after the first they refuse.
 */
u32 vqn_env_host_take_n(struct vqn_guest_sm *sm, u32 n, u8 *reason)
{
	struct vqn_kguest *g = vqn_kguest_of(sm);
	struct vqn_user *u = g->user;
	u32 want = n, got = 0, charged;

	lockdep_assert_held(&g->lock);
	*reason = vqn_host_may_take(g);
	if (*reason != VQNOTIFY_REASON_GRANTED)
		goto refused;
	if (g->host_serving) {
		n = min(n, g->host_quota);
		*reason = g->host_wait_reason;
	}
	charged = vqn_take_upto(&u->used[VQN_LIMIT_SLOTS], n,
				vqn_user_max(u, VQN_LIMIT_SLOTS),
				!g->quota_exempt);
	if (charged < n) {
		/* As vqn_user_charge(): a refusal by the quota is counted. */
		atomic64_add(n - charged, &u->nr_quota);
		*reason = VQNOTIFY_REASON_QUOTA;
	}
	if (charged)
		got = vqn_take_upto(&vqn_host_used, charged,
				    READ_ONCE(vqn_cfg.host_cap), true);
	if (got < charged) {
		vqn_user_uncharge(u, VQN_LIMIT_SLOTS, charged - got);
		*reason = VQNOTIFY_REASON_HOST_CAP;
	}
	if (g->host_serving)
		g->host_quota -= got;
	if (got == want)
		return got;
refused:
	g->host_refused = *reason;
	return got;
}

static void vqn_host_promote_fn(struct work_struct *work);
static DECLARE_WORK(vqn_host_work, vqn_host_promote_fn);

/* The barrier pairs with vqn_env_host_wait()'s ("DOC: Locking"). */
void vqn_env_host_give_n(struct vqn_guest_sm *sm, u32 n)
{
	struct vqn_kguest *g = vqn_kguest_of(sm);

	vqn_user_uncharge(g->user, VQN_LIMIT_SLOTS, n);
	atomic_sub(n, &vqn_host_used);
	smp_mb__after_atomic(); /* pairs with vqn_env_host_wait() */
	if (atomic_read(&vqn_host_nr_waiting))
		schedule_work(&vqn_host_work);
}

/* May a guest of @u take a slot its quota allows, if the host has one? */
static bool vqn_host_user_room(struct vqn_user *u, struct vqn_kguest *g)
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
	struct vqn_kguest *g = vqn_kguest_of(sm);
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
	smp_mb__after_atomic(); /* pairs with vqn_env_host_give_n() */
	if (atomic_read(&vqn_host_used) < READ_ONCE(vqn_cfg.host_cap) &&
	    vqn_host_user_room(u, g))
		schedule_work(&vqn_host_work);
}

/* Take @g out of the line; the caller holds vqn_host_wait_lock. */
static void vqn_host_unwait(struct vqn_kguest *g)
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
static struct vqn_kguest *vqn_host_next(void)
{
	struct vqn_kguest *g;
	struct vqn_user *u;

	lockdep_assert_held(&vqn_host_wait_lock);
	list_for_each_entry(u, &vqn_host_users, wait_node) {
		g = list_first_entry(&u->waitq, struct vqn_kguest, host_node);
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
	struct vqn_kguest *g;
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

/*
 * Visible to walkers from here on, complete. The guest table is shared:
 * not charged to the guest's cgroup.
 */
int vqn_pool_guest_add(struct vqn_kguest *g)
{
	int ret;

	ret = xa_alloc_cyclic(&vqn_guests, &g->id, g, xa_limit_31b,
			      &vqn_next_guest_id, GFP_KERNEL);
	return ret < 0 ? ret : 0;
}

/* Under vqn_guests_lock: the promotion work is not serving @g. */
void vqn_pool_guest_del(struct vqn_kguest *g)
{
	mutex_lock(&vqn_guests_lock);
	xa_erase(&vqn_guests, g->id);
	spin_lock(&vqn_host_wait_lock);
	vqn_host_unwait(g);
	spin_unlock(&vqn_host_wait_lock);
	mutex_unlock(&vqn_guests_lock);
}

int vqn_pool_init(void)
{
	/* The rules CONFIG_SET applies (vqn_nl_admin.c), and the sizes. */
	if (vqn_event_depth < 2 || vqn_event_depth > 65536 ||
	    !vqn_max_devices || !vqn_max_guests || vqn_max_guests > S32_MAX ||
	    vqn_cfg.default_budget > S32_MAX || !vqn_cfg.threshold ||
	    vqn_cfg.threshold > S32_MAX || !vqn_cfg.host_cap ||
	    vqn_cfg.host_cap > S32_MAX ||
	    vqn_cfg.vhost_reserve > vqn_cfg.default_budget) {
		pr_err("invalid module parameters\n");
		return -EINVAL;
	}
	vqn_user_init_defaults(vqn_max_guests, vqn_cfg.host_cap);
	return 0;
}

/* After the last guest is gone. */
void vqn_pool_exit(void)
{
	cancel_work_sync(&vqn_host_work);
	WARN_ON(atomic_read(&vqn_host_used));
}
