// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: a guest, one open file of /dev/vqnotify (struct vqn_kguest).
 *
 * Its creation and destruction, the names of guests and devices, the
 * allocation of devices, the admin's policies applied to it, and what
 * GUEST_GET and the netlink family show of it. The misc device (vqn_misc.c)
 * and the netlink family call this; it calls down only: the slot pool
 * (vqn_pool.c), the event ring and the monitor hook (vqn_event.c), per-user
 * accounting and the state machine.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "vqnotify.h"

static const char vqn_empty_name[] = "";

/*
 * The opener's pid in @ns; 0 once its process is gone (the fd passed on,
 * or inherited): the kernel may give its number to any other process.
 */
pid_t vqn_kguest_pid(struct vqn_kguest *g, struct pid_namespace *ns)
{
	return pid_has_task(g->pid, PIDTYPE_TGID) ? pid_nr_ns(g->pid, ns) : 0;
}

void vqn_kguest_fill_info(struct vqn_kguest *g, struct vqnotify_guest_info *gi)
{
	const struct vqn_guest_sm *sm = &g->sm;

	lockdep_assert_held(&g->lock);
	gi->guest_id = g->id;
	gi->owner_pid = vqn_kguest_pid(g, task_active_pid_ns(current));
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
	strscpy_pad(gi->label, g->name, sizeof(gi->label));
	strscpy_pad(gi->name, g->name, sizeof(gi->name));
}

/*
 * Names are printable ASCII: whoever prints them cannot be deceived. The
 * name's length, or -EINVAL: not terminated, or not printable.
 */
int vqn_name_check(const char *src, size_t size)
{
	size_t len = strnlen(src, size), i;

	if (len == size)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if ((unsigned char)src[i] < 0x20 || (unsigned char)src[i] > 0x7e)
			return -EINVAL;
	return len;
}

int vqn_name_dup(const char *src, size_t size, const char **out)
{
	int len = vqn_name_check(src, size);

	if (len < 0)
		return len;
	if (!len) {
		*out = vqn_empty_name;
		return 0;
	}
	*out = kmemdup_nul(src, len, GFP_KERNEL_ACCOUNT);
	return *out ? 0 : -ENOMEM;
}

void vqn_name_free(const char *name)
{
	if (name != vqn_empty_name)
		kfree(name);
}

/*
 * A device and its queues are one allocation. Above a page, kmalloc rounds
 * up to a power of two: a device of 1024 queues, 16,416 B, would take
 * 32 KiB. Whole pages from vmalloc instead, when that saves at least one
 * (20 KiB).
 */
struct vqn_dev *vqn_kdev_alloc(u32 nq)
{
	struct vqn_dev *d;
	size_t size = struct_size(d, vqs, nq);

	if (size > PAGE_SIZE &&
	    kmalloc_size_roundup(size) >= PAGE_ALIGN(size) + PAGE_SIZE)
		return __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	return kvzalloc(size, GFP_KERNEL_ACCOUNT);
}

void vqn_kdev_free(struct vqn_kguest *g, struct vqn_dev *d)
{
	vqn_user_uncharge(g->user, VQN_LIMIT_QUEUES, d->num_queues);
	vqn_user_uncharge(g->user, VQN_LIMIT_DEVICES, 1);
	vqn_name_free(d->name);
	kvfree(d);
}

/* vqn_kdev_find() when the device is not the last one found */
struct vqn_dev *vqn_kdev_lookup(struct vqn_kguest *g, u32 dev_id)
{
	struct vqn_dev *d;

	lockdep_assert_held(&g->lock);
	d = xa_load(&g->devs, dev_id);
	if (d) {
		/* Named: a DEV_ADD that fails now leaves it (its undo). */
		d->unnamed = false;
		g->last_dev = d;
	}
	return d;
}

/* The device leaves the guest's table; the caller frees it. */
void vqn_kdev_erase(struct vqn_kguest *g, struct vqn_dev *d)
{
	lockdep_assert_held(&g->lock);
	xa_erase(&g->devs, d->id);
	WRITE_ONCE(g->nr_devices, g->nr_devices - 1);
	if (g->last_dev == d)
		g->last_dev = NULL;
}

/*
 * The admin's policies for the guest's name and user, if any: budget and
 * reserve follow the VM (its name) and the user, not the open file. The
 * admin's own word on this file (GUEST_SET over netlink) stands against
 * the tenant's renames, its name taken again included: a name's policy may
 * lower it, never raise it. The admin's next policy for the guest applies
 * in full.
 */
void vqn_kguest_apply_policy(struct vqn_kguest *g, bool renamed)
{
	u32 budget = g->sm.admin_budget, reserve = g->sm.vhost_reserve;
	u32 found;

	lockdep_assert_held(&g->lock);
	found = vqn_policy_resolve(g->name, g->user->uid, &budget, &reserve);
	if (renamed && g->admin_set) {
		budget = min(budget, g->sm.admin_budget);
		reserve = min(reserve, g->sm.vhost_reserve);
	} else if (found) {
		g->admin_set = false;
	}
	/* A new name without a policy changes nothing: no escape by name. */
	if (!found || (renamed && !(found & VQN_POL_NAMED)) ||
	    (budget == g->sm.admin_budget && reserve == g->sm.vhost_reserve))
		return;
	vqn_sm_set_limits(&g->sm, budget, g->sm.own_budget, reserve,
			  g->sm.threshold);
	vqn_event_budget(g);
}

/* The host's threshold changed to @threshold: the guest's limits follow. */
void vqn_kguest_set_threshold(struct vqn_kguest *g, u32 threshold)
{
	lockdep_assert_held(&g->lock);
	if (g->sm.threshold == threshold)
		return;
	vqn_sm_set_limits(&g->sm, g->sm.admin_budget, g->sm.own_budget,
			  g->sm.vhost_reserve, threshold);
	vqn_event_budget(g);
}

/*
 * Bumped by an admin's change of what a new guest starts with (a policy,
 * the threshold) before its walk of the open guests: a guest opened
 * meanwhile, which the walk may miss, sees it and applies the change
 * itself (vqn_kguest_create()).
 */
static atomic_t vqn_limits_gen = ATOMIC_INIT(0);

/*
 * The admin's walks of the open guests (CONFIG_SET's threshold,
 * POLICY_SET's budget or reserve) run under vqn_guests_lock and wait for
 * each guest's lock, which its tenant may keep busy (its calls, stretched
 * by its cgroup's throttling): killably, for the admin may give up. The
 * change is stored by then, and every guest must get it: the rest of a
 * walk whose caller was killed is a work item's, which the admin's next
 * changes wait for (vqn_kguests_admin_lock(), vqn_kguests_walk_wait()).
 * Its arguments are kept in vqn_walk_rest meanwhile.
 */
struct vqn_walk {
	int (*fill)(void *arg, struct vqn_kguest *g);
	unsigned long id;	/* the next guest */
	const char *name;	/* a policy's, or NULL */
	kuid_t uid;		/* a policy's, or INVALID_UID */
	u32 threshold;
};

static void vqn_walk_rest_fn(struct work_struct *work);
static DECLARE_WORK(vqn_walk_work, vqn_walk_rest_fn);
static DECLARE_WAIT_QUEUE_HEAD(vqn_walk_wq);
/* Written under vqn_guests_lock, by a walk and by the work at its end. */
static bool vqn_walk_pending;
static struct vqn_walk vqn_walk_rest;
static char vqn_walk_name[VQNOTIFY_NAME_LEN];

static void vqn_walk_rest_fn(struct work_struct *work)
{
	/* Nobody to give up for: every guest, whatever the wait. */
	mutex_lock(&vqn_guests_lock);
	vqn_guests_each(&vqn_walk_rest.id, NULL, vqn_walk_rest.fill,
			&vqn_walk_rest, false);
	WRITE_ONCE(vqn_walk_pending, false);
	mutex_unlock(&vqn_guests_lock);
	wake_up_all(&vqn_walk_wq);
}

/*
 * Waits until no walk is left to the work, which would undo an admin's
 * later change on the guests it has not reached yet: for GUEST_SET, which
 * walks nothing. 0, or -EINTR when the caller was killed waiting (nothing
 * changed).
 */
int vqn_kguests_walk_wait(void)
{
	if (wait_event_killable(vqn_walk_wq, !READ_ONCE(vqn_walk_pending)))
		return -EINTR;
	return 0;
}

/*
 * Takes vqn_guests_lock for an admin's change that walks, once no walk is
 * left to the work: 0, or -EINTR (vqn_kguests_walk_wait()).
 */
int vqn_kguests_admin_lock(void)
{
	for (;;) {
		if (mutex_lock_killable(&vqn_guests_lock))
			return -EINTR;
		if (!vqn_walk_pending)
			return 0;
		mutex_unlock(&vqn_guests_lock);
		if (vqn_kguests_walk_wait())
			return -EINTR;
	}
}

/* Module exit: no admin is left to start a walk, no guest to wait for. */
void vqn_kguests_exit(void)
{
	flush_work(&vqn_walk_work);
}

/*
 * Every open guest gets the change @w says, stored already: by this walk,
 * or, its caller killed waiting for a guest, by the work from that guest
 * on, once the caller drops vqn_guests_lock.
 */
static void vqn_kguests_walk(struct vqn_walk *w)
{
	lockdep_assert_held(&vqn_guests_lock);
	/* Fully ordered: pairs with vqn_kguest_create()'s acquire, smp_mb(). */
	atomic_inc_return(&vqn_limits_gen);
	if (vqn_guests_each(&w->id, NULL, w->fill, w, true) != -EINTR)
		return;
	vqn_walk_rest = *w;
	if (w->name) {
		strscpy(vqn_walk_name, w->name, sizeof(vqn_walk_name));
		vqn_walk_rest.name = vqn_walk_name;
	}
	WRITE_ONCE(vqn_walk_pending, true);
	/* It may wait as long as the guest's lock is held. */
	queue_work(system_long_wq, &vqn_walk_work);
}

/*
 * The walks' steps, each guest locked. One the walk changes gets its
 * change once its ntf_lock is free, which a tenant's thread may hold as
 * long as its guest's lock (vqn_monitor_wait()): the walk, killed waiting
 * for it, leaves this guest on to the work.
 */
static int vqn_kguest_threshold_changed(void *arg, struct vqn_kguest *g)
{
	const struct vqn_walk *w = arg;

	if (g->sm.threshold == w->threshold)
		return 0;
	if (vqn_monitor_wait(g))
		return -EINTR;
	vqn_kguest_set_threshold(g, w->threshold);
	return 0;
}

/* CONFIG_SET stored @threshold, under vqn_kguests_admin_lock(). */
void vqn_kguests_set_threshold(u32 threshold)
{
	struct vqn_walk w = {
		.fill = vqn_kguest_threshold_changed,
		.uid = INVALID_UID,
		.threshold = threshold,
	};

	vqn_kguests_walk(&w);
}

static int vqn_kguest_policy_changed(void *arg, struct vqn_kguest *g)
{
	const struct vqn_walk *w = arg;
	bool match = uid_eq(g->user->uid, w->uid);

	if (w->name)
		match = !strcmp(g->name, w->name) &&
			(!uid_valid(w->uid) || match);
	if (!match)
		return 0;
	if (vqn_monitor_wait(g))
		return -EINTR;
	vqn_kguest_apply_policy(g, false);
	return 0;
}

/*
 * A policy for @name (for @uid's guests of that name only, when @uid is
 * valid), or for @uid if @name is NULL, changed its budget or reserve,
 * under vqn_kguests_admin_lock(): the admin's next word on the guests'
 * budgets, applied. A change of its quota limits alone leaves them (and a
 * budget the admin set with GUEST_SET) as they are, and walks nothing.
 */
void vqn_kguests_apply_policy(const char *name, kuid_t uid)
{
	struct vqn_walk w = {
		.fill = vqn_kguest_policy_changed,
		.name = name,
		.uid = uid,
	};

	vqn_kguests_walk(&w);
}

/* A new guest, for a new open file of the misc device. */
struct vqn_kguest *vqn_kguest_create(void)
{
	u32 budget, reserve;
	struct vqn_kguest *g;
	int ret, gen;

	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return ERR_PTR(-ENOMEM);
	g->memcg = get_mem_cgroup_from_mm(current->mm);
	g->uid = current_euid();
	g->quota_exempt = ns_capable_noaudit(&init_user_ns, CAP_SYS_RESOURCE);
	g->line.exempt = g->quota_exempt;
	g->user = vqn_user_get(vqn_user_uid(current_cred()));
	if (!g->user) {
		ret = -ENOMEM;
		goto err_free;
	}
	g->uid_gen = vqn_uid_gen_get(g->uid);
	if (!g->uid_gen) {
		ret = -ENOMEM;
		goto err_user;
	}
	/*
	 * The allocation the opener's memory cgroup may refuse first: a
	 * failed open() holds no count another user's guest could be refused
	 * for meanwhile. Then the user's quota and the host's table: EDQUOT,
	 * then ENOSPC.
	 */
	ret = vqn_event_init(g);
	if (ret)
		goto err_gen;
	if (!vqn_user_charge(g->user, VQN_LIMIT_GUESTS, 1, !g->quota_exempt)) {
		ret = -EDQUOT;
		goto err_event;
	}
	if (!atomic_add_unless(&vqn_nr_guests, 1, vqn_max_guests)) {
		ret = -ENOSPC;
		goto err_charged;
	}
	mutex_init(&g->lock);
	refcount_set(&g->ref, 1);
	INIT_LIST_HEAD(&g->line.node);
	g->name = vqn_empty_name;
	xa_init_flags(&g->devs, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	g->pid = get_pid(task_tgid(current));

	/*
	 * Settings change under vqn_guests_lock, which open() does not take
	 * (misc_open() holds the misc devices' lock): a snapshot, and a
	 * change made before the guest was in the table, which the change's
	 * walk may have missed, applied once it is (vqn_limits_gen).
	 */
	gen = atomic_read_acquire(&vqn_limits_gen);
	budget = READ_ONCE(vqn_cfg.default_budget);
	reserve = READ_ONCE(vqn_cfg.vhost_reserve);
	vqn_policy_resolve(NULL, g->user->uid, &budget, &reserve);
	vqn_sm_guest_init(&g->sm, budget, reserve, READ_ONCE(vqn_cfg.threshold));
	ret = vqn_pool_guest_add(g);
	if (ret)
		goto err_pid;
	smp_mb(); /* pairs with vqn_kguests_walk() */
	mutex_lock(&g->lock);
	if (atomic_read(&vqn_limits_gen) != gen) {
		vqn_kguest_apply_policy(g, false);
		vqn_kguest_set_threshold(g, READ_ONCE(vqn_cfg.threshold));
	}
	vqn_monitor_guest(g, VQNOTIFY_CMD_GUEST_ADD_NTF);
	mutex_unlock(&g->lock);
	return g;

err_pid:
	put_pid(g->pid);
	atomic_dec(&vqn_nr_guests);
err_charged:
	vqn_user_uncharge(g->user, VQN_LIMIT_GUESTS, 1);
err_event:
	vqn_event_free(g);
err_gen:
	vqn_uid_gen_put(g->uid, g->uid_gen);
err_user:
	vqn_user_put(g->user);
err_free:
	mem_cgroup_put(g->memcg);
	kfree(g);
	return ERR_PTR(ret);
}

/* Closing the file, or the VMM dying, releases every slot the guest held. */
void vqn_results_free(struct vqn_results *r)
{
	if (r) {
		kvfree(r->res);
		kfree(r);
	}
}

void vqn_kguest_destroy(struct vqn_kguest *g)
{
	struct vqn_dev *d;
	unsigned long id;

	/*
	 * Gone, and out of the table and the line, under its lock: a netlink
	 * request that found it (an admin's GUEST_SET raising its limits)
	 * sees it gone and does not put it back in the line, which would
	 * keep a freed guest; and the promotion work, which serves a guest
	 * it picked only under its lock, never finds a closed guest still
	 * there (it would pick it again and again).
	 */
	mutex_lock(&g->lock);
	WRITE_ONCE(g->gone, true);
	vqn_pool_guest_del(g);
	mutex_unlock(&g->lock);

	/*
	 * One device a hold: whoever waits for the lock meanwhile (a netlink
	 * request that found the guest, under genetlink's cb_lock) sees it
	 * gone after a device's queues or two, not after the tens of
	 * thousands a user's quota allows on one guest, which a tenant could
	 * stretch, throttled, into minutes. Nobody else changes the table of
	 * a gone guest.
	 */
	xa_for_each(&g->devs, id, d) {
		mutex_lock(&g->lock);
		vqn_sm_reset(&g->sm, d, VQNOTIFY_REASON_REMOVED, NULL);
		vqn_kdev_erase(g, d);
		vqn_monitor_dev(g, d, false);
		mutex_unlock(&g->lock);
		vqn_kdev_free(g, d);
		cond_resched();
	}
	mutex_lock(&g->lock);
	WARN_ON(vqn_sm_check(&g->sm) || g->sm.used || g->line.waiting);
	vqn_monitor_guest(g, VQNOTIFY_CMD_GUEST_DEL_NTF);
	mutex_unlock(&g->lock);

	xa_destroy(&g->devs);
	kvfree(g->sm.devs);
	vqn_results_free(g->res_cache);
	vqn_name_free(g->name);
	vqn_event_free(g);
	atomic_dec(&vqn_nr_guests);
	vqn_user_uncharge(g->user, VQN_LIMIT_GUESTS, 1);
	vqn_uid_gen_put(g->uid, g->uid_gen);
	vqn_user_put(g->user);
	mem_cgroup_put(g->memcg);
	vqn_kguest_put(g);
}
