/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-user accounting and the admin's policies.
 *
 * Every guest is charged to the user that opened it (its effective uid,
 * or in a user namespace its owner, which for one root made is a uid the
 * namespace maps: vqn_user_uid()):
 * guests, devices, queues and slots, each with a per-user limit (the
 * host-wide default, or the user's uid policy). Policies are the admin's
 * budgets by guest name or by uid; they outlive every open file.
 *
 * This file knows nothing of guests: the files above it (vqn_pool.c,
 * vqn_guest.c, the netlink family) use it, never the other way round.
 */
#ifndef _VQN_USER_H
#define _VQN_USER_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "vqn_pool_line.h"

struct cred;

enum vqn_limit {
	VQN_LIMIT_GUESTS,
	VQN_LIMIT_DEVICES,
	VQN_LIMIT_QUEUES,
	VQN_LIMIT_SLOTS,
	VQN_NR_LIMITS,
};

/**
 * struct vqn_user - one user's guests, and what they hold
 * @uid: the user, as the initial user namespace sees it
 * @ref: one per guest, one per lookup in progress
 * @used: what the user's guests hold, by enum vqn_limit
 * @max: the user's limits from its uid policy, by enum vqn_limit; 0 means
 *       the host-wide default (vqn_user_defaults)
 * @nr_quota: refusals because a limit was reached
 * @line: this user's guests waiting for a slot, its place on the
 *        host-wide line of users (vqn_pool_line.h; owned by vqn_pool.c,
 *        under its wait lock)
 */
struct vqn_user {
	kuid_t uid;
	refcount_t ref;
	atomic_t used[VQN_NR_LIMITS];
	u32 max[VQN_NR_LIMITS];
	atomic64_t nr_quota;
	struct vqn_line_user line;
};

/* Protects vqn_users and the policies ("DOC: Locking", vqnotify.h). */
extern struct mutex vqn_users_lock;
/* Users with at least one open guest, by uid in the initial namespace. */
extern struct xarray vqn_users;
/* Host-wide default limits per user, by enum vqn_limit ("DOC: Locking"). */
extern u32 vqn_user_defaults[VQN_NR_LIMITS];

void vqn_user_init_defaults(u32 max_guests, u32 host_cap);
void vqn_user_set_default(enum vqn_limit l, u32 max);
void vqn_user_host_cap_changed(u32 host_cap);
kuid_t vqn_user_uid(const struct cred *cred);
struct vqn_user *vqn_user_get(kuid_t uid);
void vqn_user_put(struct vqn_user *u);
u32 vqn_user_max(const struct vqn_user *u, enum vqn_limit l);
bool vqn_user_charge(struct vqn_user *u, enum vqn_limit l, u32 n,
		     bool enforce);
void vqn_user_uncharge(struct vqn_user *u, enum vqn_limit l, u32 n);

/* Fields a policy sets */
#define VQN_POL_BUDGET		BIT(0)
#define VQN_POL_RESERVE		BIT(1)
#define VQN_POL_MAX(l)		BIT(2 + (l))
#define VQN_POL_ALL		(BIT(2 + VQN_NR_LIMITS) - 1)
/* vqn_policy_resolve(): a policy for the name contributed */
#define VQN_POL_NAMED		BIT(31)

/**
 * struct vqn_policy - the admin's settings for a guest name or a uid
 * @node: on the list of policies
 * @hnode: in the hash of policies by key (name and uid)
 * @name: the guest name it applies to (printable), or NULL: a uid policy
 * @uid: the user it applies to, for a uid policy
 * @set: VQN_POL_* fields set below
 * @budget: admin budget of the guests it applies to
 * @reserve: vhost reserve of those guests
 * @max: a uid policy's per-user limits, by enum vqn_limit
 */
struct vqn_policy {
	struct list_head node;
	struct hlist_node hnode;
	/* order of creation, increasing along vqn_policies: a dump's cursor */
	u64 seq;
	const char *name;
	kuid_t uid;
	u32 set;
	u32 budget;
	u32 reserve;
	u32 max[VQN_NR_LIMITS];
};

#define VQN_MAX_POLICIES	4096

int vqn_policy_set(const struct vqn_policy *p);
int vqn_policy_del(const char *name, kuid_t uid);
u32 vqn_policy_resolve(const char *name, kuid_t uid, u32 *budget,
		       u32 *reserve);
int vqn_policy_walk(u64 *from,
		    int (*fn)(const struct vqn_policy *p, void *arg),
		    void *arg);

void vqn_user_exit(void);

/*
 * The generations of the module's objects, for netlink dumps
 * (NLM_F_DUMP_INTR); never 0, which is "not tracked" to the netlink core.
 * An admin's dump follows the host's generation of what it lists:
 * vqn_objects_gen, moved by vqn_objects_changed_of() after a guest or
 * device came or went; vqn_users_gen after a user did; vqn_policies_gen
 * after a policy did. No tenant's churn of devices marks a listing of
 * users or policies interrupted. A tenant's dump, which shows only its own
 * euid's guests, follows that euid's generation (vqn_uid_gen_read()),
 * which only vqn_objects_changed_of() of its guests moves: no other user's
 * churn, whatever its uids, marks it interrupted. An euid has a struct
 * vqn_uid_gen while it has open guests (vqn_uid_gen_get(), _put(), under
 * vqn_users_lock; freed after RCU); each starts at the host's next
 * generation of guests, so none repeats an earlier one's.
 */
struct vqn_uid_gen;

extern atomic_t vqn_objects_gen;
extern atomic_t vqn_users_gen;
extern atomic_t vqn_policies_gen;
void vqn_objects_changed_of(struct vqn_uid_gen *e);
struct vqn_uid_gen *vqn_uid_gen_get(kuid_t uid);
void vqn_uid_gen_put(kuid_t uid, struct vqn_uid_gen *e);
u32 vqn_uid_gen_read(kuid_t uid);

static inline u32 vqn_gen_read(const atomic_t *gen)
{
	return atomic_read(gen) ?: 1;
}

#endif /* _VQN_USER_H */
