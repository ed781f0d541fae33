// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: what is host-wide. The settings (module parameters, changed by
 * the admin over netlink), the table of guests, and the slot pool: the
 * host cap, and the lines of guests waiting for a slot the host cap or
 * their user's quota refused, served by the promotion work. Who may take
 * a slot and who is served next is vqn_pool_line.c's (pure, shared with
 * tools/sm); here are its locks, barriers, counters and work.
 *
 * Below the guests: the state machine takes and gives slots through
 * vqn_env_host_*(); nothing here calls up.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
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
		 "Event records per guest, the overflow record included (default 256)");

/* The locks and what they protect: "DOC: Locking" in vqnotify.h. */
DEFINE_MUTEX(vqn_guests_lock);
DEFINE_XARRAY_ALLOC1(vqn_guests);
static u32 vqn_next_guest_id;
atomic_t vqn_nr_guests = ATOMIC_INIT(0);
atomic_t vqn_host_used = ATOMIC_INIT(0);
/*
 * Guests waiting for a slot the host cap or their user's quota refused,
 * and who is served next: the policy is vqn_pool_line.c's, pure; here are
 * its locks, barriers, the counters of slots and the promotion work.
 */
static DEFINE_SPINLOCK(vqn_host_wait_lock);
static struct vqn_line vqn_host_line = {
	.users = LIST_HEAD_INIT(vqn_host_line.users),
};

static void vqn_host_promote_fn(struct work_struct *work);
static DECLARE_WORK(vqn_host_work, vqn_host_promote_fn);

static struct vqn_kguest *vqn_kguest_of_line(struct vqn_line_guest *lg)
{
	return container_of(lg, struct vqn_kguest, line);
}

/*
 * Up to @n units of @v below @max (any number unless @enforce), but none
 * rather than fewer than @least, in one atomic: returns how many were
 * taken, and in *@room how many @max allowed. One atomic on each counter
 * whatever @n (a DRIVER_OK of 1024 queues took 1024 cmpxchg loops on the
 * host-wide counter).
 */
static u32 vqn_take_upto(atomic_t *v, u32 n, u32 least, u32 max,
			 bool enforce, u32 *room)
{
	int used = atomic_read(v);
	u32 got;

	do {
		got = n;
		if (enforce && (u64)used + n > max)
			got = (u32)used < max ? max - used : 0;
		*room = got;
		if (!got || got < least)
			return 0;
	} while (!atomic_try_cmpxchg(v, &used, used + got));
	return got;
}

/* The counters of slots the pool's policy charges (vqn_pool_line.h). */
u32 vqn_line_env_charge(struct vqn_line_guest *lg, u32 n, u32 least)
{
	struct vqn_kguest *g = vqn_kguest_of_line(lg);
	struct vqn_user *u = g->user;
	u32 charged, room;

	charged = vqn_take_upto(&u->used[VQN_LIMIT_SLOTS], n, least,
				vqn_user_max(u, VQN_LIMIT_SLOTS),
				!g->quota_exempt, &room);
	/*
	 * As vqn_user_charge(): the slots the quota refused are counted,
	 * not those a call wanting @least gave up with them.
	 */
	if (room < n)
		atomic64_add(n - room, &u->nr_quota);
	return charged;
}

/*
 * The host refused what the quota allowed. A guest of the user refused
 * meanwhile may have found no room and not scheduled the promotion work:
 * as vqn_env_host_give_n(), whose barrier pairs with vqn_env_host_wait()'s.
 */
void vqn_line_env_uncharge(struct vqn_line_guest *lg, u32 n)
{
	vqn_user_uncharge(vqn_kguest_of_line(lg)->user, VQN_LIMIT_SLOTS, n);
	smp_mb__after_atomic(); /* pairs with vqn_env_host_wait() */
	if (READ_ONCE(vqn_host_line.nr_waiting))
		schedule_work(&vqn_host_work);
}

u32 vqn_line_env_take(struct vqn_line_guest *lg, u32 n, u32 least)
{
	u32 room;

	return vqn_take_upto(&vqn_host_used, n, least,
			     READ_ONCE(vqn_cfg.host_cap), true, &room);
}

bool vqn_line_env_room(struct vqn_line_guest *lg)
{
	struct vqn_kguest *g = vqn_kguest_of_line(lg);

	return g->quota_exempt ||
	       atomic_read(&g->user->used[VQN_LIMIT_SLOTS]) <
	       vqn_user_max(g->user, VQN_LIMIT_SLOTS);
}

/*
 * A guest in the line decides under the line's lock (vqn_line_may_take()):
 * whether it waits changes only under its own lock, held here, so this
 * test is exact.
 */
u32 vqn_env_host_take_n(struct vqn_guest_sm *sm, u32 n, u32 least,
			u8 *reason)
{
	struct vqn_kguest *g = vqn_kguest_of(sm);
	u32 got;

	lockdep_assert_held(&g->lock);
	if (!READ_ONCE(g->line.waiting))
		return vqn_line_take_n(&vqn_host_line, &g->user->line,
				       &g->line, n, least, reason);
	spin_lock(&vqn_host_wait_lock);
	got = vqn_line_take_n(&vqn_host_line, &g->user->line, &g->line, n,
			      least, reason);
	spin_unlock(&vqn_host_wait_lock);
	return got;
}

/* The barrier pairs with vqn_env_host_wait()'s ("DOC: Locking"). */
void vqn_env_host_give_n(struct vqn_guest_sm *sm, u32 n)
{
	struct vqn_kguest *g = vqn_kguest_of(sm);

	vqn_user_uncharge(g->user, VQN_LIMIT_SLOTS, n);
	atomic_sub(n, &vqn_host_used);
	smp_mb__after_atomic(); /* pairs with vqn_env_host_wait() */
	if (READ_ONCE(vqn_host_line.nr_waiting))
		schedule_work(&vqn_host_work);
}

/*
 * The guest joins the line (vqn_line_wait()); a slot freed before it was
 * counted there is not missed: the promotion work is scheduled if the host
 * and the user have room.
 */
void vqn_env_host_wait(struct vqn_guest_sm *sm, u8 reason)
{
	struct vqn_kguest *g = vqn_kguest_of(sm);
	bool changed;

	lockdep_assert_held(&g->lock);
	if (vqn_line_waits_for(&g->line, reason))
		return;
	spin_lock(&vqn_host_wait_lock);
	changed = vqn_line_wait(&vqn_host_line, &g->user->line, &g->line,
				reason);
	spin_unlock(&vqn_host_wait_lock);
	if (!changed)
		return;
	smp_mb(); /* pairs with vqn_env_host_give_n() */
	if (atomic_read(&vqn_host_used) < READ_ONCE(vqn_cfg.host_cap) &&
	    vqn_line_env_room(&g->line))
		schedule_work(&vqn_host_work);
}

/*
 * Its own call, or its turn in the promotion work (vqn_line_serve()), left
 * the guest no queue waiting for the host (none waits, or what they wait
 * for is its own budget, or it is limited): out of the line, under its
 * lock, as its close takes it out. Left in, it would count as waiting for
 * the cap, and every other user's call would be refused slots a host with
 * room has until the work came round to it, which a tenant keeping its
 * guest's lock busy puts off.
 */
void vqn_env_host_unwait(struct vqn_guest_sm *sm)
{
	struct vqn_kguest *g = vqn_kguest_of(sm);

	lockdep_assert_held(&g->lock);
	if (!READ_ONCE(g->line.waiting))
		return;
	spin_lock(&vqn_host_wait_lock);
	vqn_line_unwait(&vqn_host_line, &g->user->line, &g->line);
	spin_unlock(&vqn_host_wait_lock);
}

/*
 * A guest the promotion work found busy is tried again this long after
 * the work came round the line back to it without serving anyone.
 */
#define VQN_PROMOTE_RETRY	1	/* jiffies */

static void vqn_host_retry_fn(struct work_struct *work)
{
	schedule_work(&vqn_host_work);
}

static DECLARE_DELAYED_WORK(vqn_host_retry, vqn_host_retry_fn);

/*
 * The guest's lock and its ntf_lock, if both are free: 1 locked, 0 closed
 * (unlocked), -EBUSY. A turn may send the guest's message to the calls
 * group (vqn_event.c), under its ntf_lock, which a tenant's thread holds
 * without the guest's lock from the end of its call until its message is
 * sent ("Locking"): the work would wait for that thread as for a busy
 * guest lock.
 */
static int vqn_kguest_trylock_live(struct vqn_kguest *g)
{
	if (!mutex_trylock(&g->lock))
		return -EBUSY;
	if (g->gone) {
		mutex_unlock(&g->lock);
		return 0;
	}
	if (!mutex_trylock(&g->ntf_lock)) {
		mutex_unlock(&g->lock);
		return -EBUSY;
	}
	return 1;
}

static void vqn_kguest_unlock_turn(struct vqn_kguest *g)
{
	mutex_unlock(&g->ntf_lock);
	mutex_unlock(&g->lock);
}

/*
 * The guest the work found busy keeps waiting, behind its user's other
 * guests (vqn_line_pass()); not if it left the line meanwhile, under this
 * lock (it closed, or its call left it waiting for nothing).
 */
static void vqn_host_pass(struct vqn_kguest *g)
{
	spin_lock(&vqn_host_wait_lock);
	vqn_line_pass(&g->user->line, &g->line);
	spin_unlock(&vqn_host_wait_lock);
}

/*
 * Slots came free while guests wait for them: serve the waiting guests in
 * turn (vqn_line_next(), vqn_line_serve(), vqn_line_served()) until the cap
 * stops us or no user with room in its quota waits, a batch a run. The work
 * never waits for a guest's lock or ntf_lock: that guest's tenant may keep
 * them busy (its own calls, its holder preempted, or throttled inside the
 * kernel by its cgroup's cpu.max for most of a second), and the work serves
 * every other user. A busy guest stays in line, passed over
 * (vqn_host_pass()); when the work comes round to the first guest it found
 * busy having served nobody since, or a whole batch found only busy guests,
 * it tries again a jiffy later. A reference keeps the guest; one that
 * closed meanwhile is gone, and out of the line. A guest stays in the line,
 * counted, through its turn (vqn_line_serve()): no other guest's call takes
 * the slot freed for it meanwhile, and its own calls, which decide under
 * its lock whether it waits (vqn_env_host_take_n()), never see it half
 * moved; after its turn it takes its new place in the line
 * (vqn_line_served()). Ending with the host full, it walks nobody: it
 * rechecks the users in line (vqn_line_recheck()) as a walk would, and
 * holds those with room.
 */
static void vqn_host_promote_fn(struct work_struct *work)
{
	struct vqn_kguest *g, *busy = NULL;
	struct vqn_line_guest *lg;
	unsigned int turns = 0;
	bool stop = false, served = false, progress = false;
	int locked;

	while (!stop &&
	       atomic_read(&vqn_host_used) < READ_ONCE(vqn_cfg.host_cap)) {
		/*
		 * A batch of busy guests only (more than a batch of them):
		 * try later, as when the work came round to the first one.
		 */
		if (turns++ == VQN_PROMOTE_BATCH) {
			if (progress)
				schedule_work(&vqn_host_work);
			else
				schedule_delayed_work(&vqn_host_retry,
						      VQN_PROMOTE_RETRY);
			break;
		}
		spin_lock(&vqn_host_wait_lock);
		lg = vqn_line_next(&vqn_host_line);
		g = lg ? vqn_kguest_of_line(lg) : NULL;
		/* In the line, not closed yet: its file holds a reference. */
		if (g)
			refcount_inc(&g->ref);
		spin_unlock(&vqn_host_wait_lock);
		if (!g)
			break;

		locked = vqn_kguest_trylock_live(g);
		if (locked >= 0)
			progress = true;
		if (locked > 0) {
			vqn_line_serve(lg, &g->sm);
			/* Exact under its lock: a guest out of line stays out. */
			if (READ_ONCE(lg->waiting)) {
				spin_lock(&vqn_host_wait_lock);
				stop = vqn_line_served(&vqn_host_line,
						       &g->user->line, lg);
				spin_unlock(&vqn_host_wait_lock);
			}
			vqn_kguest_unlock_turn(g);
			served = true;
		} else if (locked < 0) {
			vqn_host_pass(g);
			/*
			 * @busy: the first guest found busy since a guest was
			 * served. Round to it again, nobody served: try later
			 * (not in a loop, however many guests are busy).
			 */
			if (g == busy && !served) {
				schedule_delayed_work(&vqn_host_retry,
						      VQN_PROMOTE_RETRY);
				stop = true;
			} else if (!busy || served) {
				if (busy)
					vqn_kguest_put(busy);
				refcount_inc(&g->ref);
				busy = g;
				served = false;
			}
		}
		vqn_kguest_put(g);
		cond_resched();
	}
	if (busy)
		vqn_kguest_put(busy);
	/* No walk while the host is full: each user in line looked at. */
	if (atomic_read(&vqn_host_used) >= READ_ONCE(vqn_cfg.host_cap)) {
		spin_lock(&vqn_host_wait_lock);
		vqn_line_recheck(&vqn_host_line);
		spin_unlock(&vqn_host_wait_lock);
	}
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

/*
 * A closing guest, already gone, leaves the table and the line, under its
 * lock. No walk serves it any more: the promotion work and the walks that
 * found it before hold a reference and see it gone
 * (vqn_kguest_trylock_live(), vqn_kguest_lock_live()); the work passes it
 * over in line only if it is still there (vqn_host_pass()), which, its
 * lock having been busy, it may be no longer.
 */
void vqn_pool_guest_del(struct vqn_kguest *g)
{
	lockdep_assert_held(&g->lock);
	xa_erase(&vqn_guests, g->id);
	spin_lock(&vqn_host_wait_lock);
	vqn_line_unwait(&vqn_host_line, &g->user->line, &g->line);
	spin_unlock(&vqn_host_wait_lock);
}

/*
 * The first guest of the table from @*id on (moving @*id to it) for which
 * @want, when not NULL, says yes, found under RCU, with a reference; NULL
 * when there is none. Whoever found it then waits for its lock holding
 * nothing a close needs: a tenant keeps its own guest's lock busy as long
 * as it likes (its calls). Netlink requests about a guest that found it,
 * and waited for its lock, under vqn_guests_lock held up every close
 * behind them (1.4 s behind 16 of them in the rig's VM; selftests,
 * f3_nl_requests_hold_up_no_close).
 */
struct vqn_kguest *vqn_guests_get(unsigned long *id,
				  bool (*want)(void *arg, unsigned long id,
					       struct vqn_kguest *g),
				  void *arg)
{
	struct vqn_kguest *g;

	/* @want reads what never changes (the uid): no reference for it. */
	rcu_read_lock();
	xa_for_each_start(&vqn_guests, *id, g, *id)
		if ((!want || want(arg, *id, g)) &&
		    refcount_inc_not_zero(&g->ref))
			break;
	rcu_read_unlock();
	return g;
}

/*
 * Locks a guest found with a reference: 0, or -ENOENT, unlocked, when it
 * closed. @killable: a netlink request's or dump's wait, which its caller
 * may give up by dying (-EINTR, unlocked): the lock may be a tenant's,
 * held as long as its cgroup throttles it inside a call. The rest of an
 * admin's walk, which must reach every guest, waits whatever comes
 * (vqn_walk_rest_fn()).
 */
int vqn_kguest_lock_live(struct vqn_kguest *g, bool killable)
{
	if (!killable)
		mutex_lock(&g->lock);
	else if (mutex_lock_killable(&g->lock))
		return -EINTR;
	if (!g->gone)
		return 0;
	mutex_unlock(&g->lock);
	return -ENOENT;
}

/*
 * The guests from @*id on for which @want (may be NULL) says yes, each
 * locked in turn for @fill, which returns non-zero to stop (a dump's part
 * is full). @*id moves past each guest @fill is done with. @killable:
 * as vqn_kguest_lock_live()'s; -EINTR when the caller was killed waiting.
 */
int vqn_guests_each(unsigned long *id,
		    bool (*want)(void *arg, unsigned long id,
				 struct vqn_kguest *g),
		    int (*fill)(void *arg, struct vqn_kguest *g), void *arg,
		    bool killable)
{
	struct vqn_kguest *g;
	int ret = 0;

	while (!ret && (g = vqn_guests_get(id, want, arg))) {
		ret = vqn_kguest_lock_live(g, killable);
		if (!ret) {
			ret = fill(arg, g);
			mutex_unlock(&g->lock);
		} else if (ret == -ENOENT) {
			ret = 0;
		}
		vqn_kguest_put(g);
		if (!ret)
			(*id)++;
		cond_resched();	/* a host of many guests */
	}
	return ret;
}

/*
 * The struct, its lock and what netlink reads to decide whether a guest is
 * visible (@uid, @pid) outlive the close while a netlink request that found
 * the guest still holds it (it then sees @gone); the struct, a grace period
 * more, for lookups under RCU.
 */
void vqn_kguest_put(struct vqn_kguest *g)
{
	if (refcount_dec_and_test(&g->ref)) {
		put_pid(g->pid);
		mutex_destroy(&g->lock);
		kfree_rcu(g, rcu);
	}
}

int vqn_pool_init(void)
{
	/* The rules CONFIG_SET applies (vqn_nl_admin.c), and the sizes. */
	if (vqn_event_depth < 2 || vqn_event_depth > 65536 ||
	    !vqn_max_devices || !vqn_max_guests || vqn_max_guests > S32_MAX ||
	    vqn_cfg.default_budget > S32_MAX || !vqn_cfg.threshold ||
	    vqn_cfg.threshold > S32_MAX || !vqn_cfg.host_cap ||
	    vqn_cfg.host_cap > S32_MAX ||
	    vqn_cfg.vhost_reserve > vqn_cfg.default_budget ||
	    vqn_max_devices > VQN_MAX_DEV_SLOTS / 2) {
		pr_err("invalid module parameters\n");
		return -EINVAL;
	}
	vqn_user_init_defaults(vqn_max_guests, vqn_cfg.host_cap);
	return 0;
}

/* After the last guest is gone. */
void vqn_pool_exit(void)
{
	/*
	 * The work may still run, holding closed guests, and arm the retry
	 * as it ends; the retry queues the work. With no guest left, neither
	 * does so again after this.
	 */
	cancel_work_sync(&vqn_host_work);
	cancel_delayed_work_sync(&vqn_host_retry);
	cancel_work_sync(&vqn_host_work);
	WARN_ON(atomic_read(&vqn_host_used));
}
