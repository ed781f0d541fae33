// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: per-user accounting and the admin's policies (vqn_user.h).
 *
 * A user's usage counters are atomics, charged and uncharged without a
 * lock on the hot path (a slot is one cmpxchg loop); objects are allocated
 * before vqn_users_lock is taken, only the table's own nodes under it. The
 * locks: "DOC: Locking" in vqnotify.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "vqn_user.h"

/* The table of users and the policies; see the top. */
DEFINE_MUTEX(vqn_users_lock);
DEFINE_XARRAY(vqn_users);
u32 vqn_user_defaults[VQN_NR_LIMITS];
/* The admin's defaults (0: the formula below), and what the formula uses. */
static u32 vqn_user_admin[VQN_NR_LIMITS];
static u32 vqn_user_max_guests, vqn_user_host_cap;
static LIST_HEAD(vqn_policies);
/*
 * The same policies by key: a lookup (each open of a new user's first
 * guest, each rename) walks a bucket (4 policies on average with
 * VQN_MAX_POLICIES), not every policy, under vqn_users_lock, which open()
 * takes under the misc core's lock of every misc device. Only the
 * admin's POLICY_GET, request or dump, walks them all.
 */
static DEFINE_HASHTABLE(vqn_policy_hash, 10);
static unsigned int vqn_nr_policies;
/* the last policy's seq */
static u64 vqn_policy_seq;
/* vqn_user.h */
atomic_t vqn_objects_gen = ATOMIC_INIT(1);
atomic_t vqn_users_gen = ATOMIC_INIT(1);
atomic_t vqn_policies_gen = ATOMIC_INIT(1);

/* One euid's generation, while it has open guests (vqn_user.h). */
struct vqn_uid_gen {
	refcount_t ref;		/* its guests */
	atomic_t gen;
	struct rcu_head rcu;
};

/* By euid in the initial namespace, as vqn_users. */
static DEFINE_XARRAY(vqn_uid_gens);

/* The next generation of @gen, which is returned; 0 is skipped. */
static u32 vqn_gen_next(atomic_t *gen)
{
	u32 v = atomic_inc_return(gen);

	if (unlikely(!v))
		v = atomic_inc_return(gen);
	return v;
}

void vqn_objects_changed_of(struct vqn_uid_gen *e)
{
	vqn_gen_next(&e->gen);
	vqn_gen_next(&vqn_objects_gen);
}

/*
 * Defaults that leave room for others: one user may take a quarter of the
 * host's guests and of its slots (of the host cap as it is now), so that
 * even three users exhausting their quotas leave a quarter for everyone
 * else. Devices and queues bound the kernel memory a user pins: 4096
 * devices and 65536 queues are 64 full (1024-queue) devices, about 1.3 MiB
 * of queue state.
 */
static void vqn_user_recompute(void)
{
	u32 formula[VQN_NR_LIMITS] = {
		[VQN_LIMIT_GUESTS] = max(vqn_user_max_guests / 4, 1U),
		[VQN_LIMIT_DEVICES] = 4096,
		[VQN_LIMIT_QUEUES] = 65536,
		[VQN_LIMIT_SLOTS] = max(vqn_user_host_cap / 4, 1U),
	};
	int l;

	for (l = 0; l < VQN_NR_LIMITS; l++)
		WRITE_ONCE(vqn_user_defaults[l],
			   vqn_user_admin[l] ? vqn_user_admin[l] : formula[l]);
}

void vqn_user_init_defaults(u32 max_guests, u32 host_cap)
{
	vqn_user_max_guests = max_guests;
	vqn_user_host_cap = host_cap;
	vqn_user_recompute();
}

/*
 * The admin's default for @l, 0 for the formula again; the caller
 * serialises settings changes.
 */
void vqn_user_set_default(enum vqn_limit l, u32 max)
{
	vqn_user_admin[l] = max;
	vqn_user_recompute();
}

/* The slot default follows the host cap, unless the admin set it. */
void vqn_user_host_cap_changed(u32 host_cap)
{
	vqn_user_host_cap = host_cap;
	vqn_user_recompute();
}

static unsigned long vqn_uid_index(kuid_t uid)
{
	return from_kuid(&init_user_ns, uid);
}

static u32 vqn_policy_key(const char *name, kuid_t uid)
{
	u32 key = __kuid_val(uid);

	return name ? jhash(name, strlen(name), key) : key;
}

/*
 * The policy of exactly this key: a uid's (@name NULL), a name's for every
 * user (@uid INVALID_UID), or a name's for one user's guests.
 */
static struct vqn_policy *vqn_policy_find(const char *name, kuid_t uid)
{
	struct vqn_policy *p;

	lockdep_assert_held(&vqn_users_lock);
	hash_for_each_possible(vqn_policy_hash, p, hnode,
			       vqn_policy_key(name, uid)) {
		if ((name ? p->name && !strcmp(p->name, name) : !p->name) &&
		    uid_eq(p->uid, uid))
			return p;
	}
	return NULL;
}

/* A user's limits come from its uid policy, if any. */
static void vqn_user_apply_policy(struct vqn_user *u,
				  const struct vqn_policy *p)
{
	int l;

	lockdep_assert_held(&vqn_users_lock);
	for (l = 0; l < VQN_NR_LIMITS; l++)
		WRITE_ONCE(u->max[l], p && (p->set & VQN_POL_MAX(l)) ?
			   p->max[l] : 0);
}

/*
 * The lowest host uid other than root's that @ns maps; INVALID_UID when it
 * maps none (before its uid_map is written, too).
 */
static kuid_t vqn_ns_lowest_uid(const struct user_namespace *ns)
{
	const struct uid_gid_map *map = &ns->uid_map;
	const struct uid_gid_extent *e;
	u32 i, n = READ_ONCE(map->nr_extents);
	u32 low = (u32)-1;

	/*
	 * The map is written once, its extents before its count (the
	 * smp_wmb() of map_write()): read them after it, as
	 * map_id_range_down() does.
	 */
	smp_rmb();
	e = n <= UID_GID_MAP_MAX_BASE_EXTENTS ? map->extent : map->forward;
	for (i = 0; i < n; i++) {
		u32 first = e[i].lower_first;

		if (!first) {
			if (e[i].count < 2)
				continue;
			first = 1;
		}
		low = min(low, first);
	}
	return KUIDT_INIT(low);
}

/*
 * The user a guest of @cred's is charged to, for quotas and uid policies:
 * its effective uid; in a user namespace, the host user who made the
 * outermost namespace below the initial one, its owner (unless root made
 * it: below). Every uid of that namespace tree (a subordinate range mapped
 * with newuidmap(1), setresuid() inside it, namespaces nested in it) is one
 * user, as the kernel's per-user counts (ucounts) charge a namespace's
 * owner too. A namespace root made is a container manager's (LXD, a
 * Kubernetes pod without host users): its uid 0, as the host sees it, is
 * the user, one per container; where it maps no uid 0, or maps it to root
 * (systemd's PrivateUsers=yes, which maps root and the unit's user to
 * themselves), the lowest host uid other than root's it maps (else such
 * containers and units would all share root's quota and uid policy); root
 * itself while it maps none. One that maps uids 0 and 1 to themselves is
 * an identity map (PrivateUsers=identity, a container sharing the host's
 * users): its uids are the host's, each charged as in the initial
 * namespace (else they would all be uid 1's).
 */
kuid_t vqn_user_uid(const struct cred *cred)
{
	struct user_namespace *ns = cred->user_ns;
	kuid_t uid;

	if (ns == &init_user_ns)
		return cred->euid;
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
		return ns->owner;
	uid = make_kuid(ns, 0);
	if (uid_eq(uid, GLOBAL_ROOT_UID) &&
	    uid_eq(make_kuid(ns, 1), KUIDT_INIT(1)))
		return cred->euid;
	if (!uid_valid(uid) || uid_eq(uid, GLOBAL_ROOT_UID))
		uid = vqn_ns_lowest_uid(ns);
	return uid_valid(uid) ? uid : ns->owner;
}

/* The user @uid, created on first use; NULL when out of memory. */
struct vqn_user *vqn_user_get(kuid_t uid)
{
	unsigned long idx = vqn_uid_index(uid);
	struct vqn_user *u, *old;

	mutex_lock(&vqn_users_lock);
	u = xa_load(&vqn_users, idx);
	if (u)
		refcount_inc(&u->ref);
	mutex_unlock(&vqn_users_lock);
	if (u)
		return u;

	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return NULL;
	u->uid = uid;
	refcount_set(&u->ref, 1);
	vqn_line_user_init(&u->line);

	mutex_lock(&vqn_users_lock);
	old = xa_load(&vqn_users, idx);
	if (old) {
		refcount_inc(&old->ref);
		mutex_unlock(&vqn_users_lock);
		kfree(u);
		return old;
	}
	vqn_user_apply_policy(u, vqn_policy_find(NULL, uid));
	if (xa_err(xa_store(&vqn_users, idx, u, GFP_KERNEL))) {
		mutex_unlock(&vqn_users_lock);
		kfree(u);
		return NULL;
	}
	vqn_gen_next(&vqn_users_gen);
	mutex_unlock(&vqn_users_lock);
	return u;
}

void vqn_user_put(struct vqn_user *u)
{
	if (!refcount_dec_and_mutex_lock(&u->ref, &vqn_users_lock))
		return;
	xa_erase(&vqn_users, vqn_uid_index(u->uid));
	vqn_gen_next(&vqn_users_gen);
	mutex_unlock(&vqn_users_lock);
	WARN_ON(!list_empty(&u->line.node) || !list_empty(&u->line.waitq));
	kfree(u);
}

/*
 * A guest of @uid more: its generation, created on first use, as
 * vqn_user_get() creates a user; NULL when out of memory.
 */
struct vqn_uid_gen *vqn_uid_gen_get(kuid_t uid)
{
	unsigned long idx = vqn_uid_index(uid);
	struct vqn_uid_gen *e, *old;

	mutex_lock(&vqn_users_lock);
	e = xa_load(&vqn_uid_gens, idx);
	if (e)
		refcount_inc(&e->ref);
	mutex_unlock(&vqn_users_lock);
	if (e)
		return e;

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return NULL;
	refcount_set(&e->ref, 1);

	mutex_lock(&vqn_users_lock);
	old = xa_load(&vqn_uid_gens, idx);
	if (old) {
		refcount_inc(&old->ref);
		mutex_unlock(&vqn_users_lock);
		kfree(e);
		return old;
	}
	atomic_set(&e->gen, vqn_gen_next(&vqn_objects_gen));
	/*
	 * The table is shared, and this is under vqn_users_lock, which other
	 * tenants' calls wait for: its node is not charged to the opener's
	 * cgroup, where a tenant at its limit would reclaim holding it (as
	 * vqn_users' nodes, and the guest table's, are not).
	 */
	if (xa_err(xa_store(&vqn_uid_gens, idx, e, GFP_KERNEL))) {
		mutex_unlock(&vqn_users_lock);
		kfree(e);
		return NULL;
	}
	mutex_unlock(&vqn_users_lock);
	return e;
}

/* A guest of @uid less; its last takes @e away, as vqn_user_put(). */
void vqn_uid_gen_put(kuid_t uid, struct vqn_uid_gen *e)
{
	if (!refcount_dec_and_mutex_lock(&e->ref, &vqn_users_lock))
		return;
	xa_erase(&vqn_uid_gens, vqn_uid_index(uid));
	mutex_unlock(&vqn_users_lock);
	kfree_rcu(e, rcu);
}

/* @uid's generation: 1 while it has no guest (no generation is 1 then). */
u32 vqn_uid_gen_read(kuid_t uid)
{
	struct vqn_uid_gen *e;
	u32 gen = 1;

	rcu_read_lock();
	e = xa_load(&vqn_uid_gens, vqn_uid_index(uid));
	if (e)
		gen = atomic_read(&e->gen) ?: 1;
	rcu_read_unlock();
	return gen;
}

u32 vqn_user_max(const struct vqn_user *u, enum vqn_limit l)
{
	u32 max = READ_ONCE(u->max[l]);

	return max ? max : READ_ONCE(vqn_user_defaults[l]);
}

/*
 * Charge @n of @l to @u: false, with nothing charged, when that would take
 * the user past its limit and the limit is enforced on this guest.
 */
bool vqn_user_charge(struct vqn_user *u, enum vqn_limit l, u32 n,
		     bool enforce)
{
	int used = atomic_read(&u->used[l]);

	do {
		if (enforce && (u64)used + n > vqn_user_max(u, l)) {
			atomic64_inc(&u->nr_quota);
			return false;
		}
	} while (!atomic_try_cmpxchg(&u->used[l], &used, used + n));
	return true;
}

void vqn_user_uncharge(struct vqn_user *u, enum vqn_limit l, u32 n)
{
	WARN_ON_ONCE(atomic_sub_return(n, &u->used[l]) < 0);
}

/* Policies */

static void vqn_policy_free(struct vqn_policy *p)
{
	kfree(p->name);
	kfree(p);
}

/* @p with @tmpl's fields set over it has a reserve above its budget. */
static bool vqn_policy_reserve_above_budget(const struct vqn_policy *p,
					    const struct vqn_policy *tmpl)
{
	u32 set = p->set | tmpl->set;
	u32 budget = tmpl->set & VQN_POL_BUDGET ? tmpl->budget : p->budget;
	u32 reserve = tmpl->set & VQN_POL_RESERVE ? tmpl->reserve : p->reserve;

	return (set & VQN_POL_BUDGET) && (set & VQN_POL_RESERVE) &&
	       reserve > budget;
}

/*
 * Create or update the policy for @tmpl's name or uid with the fields
 * @tmpl sets; a uid policy's limits apply to the user at once. ERANGE,
 * changing nothing, when the policy would then hold a vhost reserve above
 * its budget (set by an earlier call), as GUEST_SET and CONFIG_SET refuse.
 */
int vqn_policy_set(const struct vqn_policy *tmpl)
{
	struct vqn_policy *p, *new = NULL;
	struct vqn_user *u;
	int l;

	/* Allocated beforehand: the lock is not held across reclaim. */
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	if (tmpl->name) {
		new->name = kstrdup(tmpl->name, GFP_KERNEL_ACCOUNT);
		if (!new->name) {
			kfree(new);
			return -ENOMEM;
		}
	}
	new->uid = tmpl->uid;

	mutex_lock(&vqn_users_lock);
	p = vqn_policy_find(tmpl->name, tmpl->uid);
	if (p && vqn_policy_reserve_above_budget(p, tmpl)) {
		mutex_unlock(&vqn_users_lock);
		vqn_policy_free(new);
		return -ERANGE;
	}
	if (!p) {
		if (vqn_nr_policies >= VQN_MAX_POLICIES) {
			mutex_unlock(&vqn_users_lock);
			vqn_policy_free(new);
			return -ENOSPC;
		}
		p = new;
		new = NULL;
		p->seq = ++vqn_policy_seq;
		list_add_tail(&p->node, &vqn_policies);
		hash_add(vqn_policy_hash, &p->hnode,
			 vqn_policy_key(p->name, p->uid));
		vqn_nr_policies++;
		vqn_gen_next(&vqn_policies_gen);
	}
	if (tmpl->set & VQN_POL_BUDGET)
		p->budget = tmpl->budget;
	if (tmpl->set & VQN_POL_RESERVE)
		p->reserve = tmpl->reserve;
	for (l = 0; l < VQN_NR_LIMITS; l++)
		if (tmpl->set & VQN_POL_MAX(l))
			p->max[l] = tmpl->max[l];
	p->set |= tmpl->set;
	if (!p->name) {
		u = xa_load(&vqn_users, vqn_uid_index(p->uid));
		if (u)
			vqn_user_apply_policy(u, p);
	}
	mutex_unlock(&vqn_users_lock);
	if (new)
		vqn_policy_free(new);
	return 0;
}

/* Remove the policy of @name (or of @uid when @name is NULL). */
int vqn_policy_del(const char *name, kuid_t uid)
{
	struct vqn_policy *p;
	struct vqn_user *u;

	mutex_lock(&vqn_users_lock);
	p = vqn_policy_find(name, uid);
	if (p) {
		list_del(&p->node);
		hash_del(&p->hnode);
		vqn_nr_policies--;
		vqn_gen_next(&vqn_policies_gen);
		if (!name) {
			u = xa_load(&vqn_users, vqn_uid_index(uid));
			if (u)
				vqn_user_apply_policy(u, NULL);
		}
	}
	mutex_unlock(&vqn_users_lock);
	if (!p)
		return -ENOENT;
	vqn_policy_free(p);
	return 0;
}

/*
 * The budget and reserve the admin set for a guest named @name (may be
 * NULL or empty) opened by @uid. Returns the VQN_POL_BUDGET/RESERVE fields
 * found: where both policies set a budget the lower one applies, so that
 * a VMM cannot leave its user's budget behind by choosing a name; the name
 * policy's reserve wins, being the more specific. The reserve is part of
 * the budget: one policy's reserve above another's (or the default) budget
 * is cut to that budget, so that it cannot starve the guest's userspace
 * queues of every slot.
 */
u32 vqn_policy_resolve(const char *name, kuid_t uid, u32 *budget,
		       u32 *reserve)
{
	struct vqn_policy *by_name = NULL, *by_uid;
	u32 found = 0;

	mutex_lock(&vqn_users_lock);
	/* The name's policy for this user's guests, else for everyone's. */
	if (name && *name)
		by_name = vqn_policy_find(name, uid) ?:
			  vqn_policy_find(name, INVALID_UID);
	by_uid = vqn_policy_find(NULL, uid);
	if (by_uid && (by_uid->set & VQN_POL_BUDGET)) {
		*budget = by_uid->budget;
		found |= VQN_POL_BUDGET;
	}
	if (by_name && (by_name->set & VQN_POL_BUDGET)) {
		*budget = found ? min(*budget, by_name->budget) :
			  by_name->budget;
		found |= VQN_POL_BUDGET | VQN_POL_NAMED;
	}
	if (by_name && (by_name->set & VQN_POL_RESERVE)) {
		*reserve = by_name->reserve;
		found |= VQN_POL_RESERVE | VQN_POL_NAMED;
	} else if (by_uid && (by_uid->set & VQN_POL_RESERVE)) {
		*reserve = by_uid->reserve;
		found |= VQN_POL_RESERVE;
	}
	mutex_unlock(&vqn_users_lock);
	if (*reserve > *budget)
		*reserve = *budget;
	return found;
}

/*
 * Call @fn on the policies created as *@from or later (a dump resumes
 * there: a policy deleted meanwhile moves none of the others past the
 * cursor), under the lock; stops at @fn's first error, with *@from at that
 * policy.
 */
int vqn_policy_walk(u64 *from,
		    int (*fn)(const struct vqn_policy *p, void *arg),
		    void *arg)
{
	struct vqn_policy *p;
	int ret = 0;

	mutex_lock(&vqn_users_lock);
	list_for_each_entry(p, &vqn_policies, node) {
		if (p->seq < *from)
			continue;
		ret = fn(p, arg);
		if (ret)
			break;
		*from = p->seq + 1;
	}
	mutex_unlock(&vqn_users_lock);
	return ret;
}

void vqn_user_exit(void)
{
	struct vqn_policy *p, *tmp;

	list_for_each_entry_safe(p, tmp, &vqn_policies, node)
		vqn_policy_free(p);
	WARN_ON(!xa_empty(&vqn_users));
	xa_destroy(&vqn_users);
	WARN_ON(!xa_empty(&vqn_uid_gens));
	xa_destroy(&vqn_uid_gens);
}
