// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "vqnotify": the host-wide view of every guest's
 * notification slots, the admin's controls, and a monitor group.
 *
 * This file has the family, what its messages say of a guest, a device and
 * a queue, the lookups and the dump cursor its handlers share, and the
 * monitor group's notifications, which the misc device's calls reach
 * through struct vqn_monitor_ops. The handlers are in vqn_nl_guest.c
 * (guests, devices, queues) and vqn_nl_admin.c (settings, users, policies).
 *
 * Documentation/netlink/specs/vqnotify.yaml is the source of truth. The
 * policies, the ops table and the multicast groups below are written as
 * tools/net/ynl/ynl-gen-c.py --mode kernel would generate them from it (same
 * names, same entries), and scripts/check-spec.sh compares them with that
 * output. They are not a generated file because this module builds on
 * kernels that predate split ops (compat.h) and restricts the monitor group,
 * which the 6.12 generator cannot express.
 *
 * Visibility: a guest, its devices and queues are shown to CAP_NET_ADMIN and
 * to the effective uid that opened the guest; to anyone else they do not
 * exist (ENOENT, skipped by dumps). Admin ops are GENL_ADMIN_PERM; joining
 * the monitor group needs CAP_NET_ADMIN.
 *
 * Locking: vqn_guests_lock, then a guest's lock. Dumps walk vqn_guests under
 * vqn_guests_lock, one guest lock at a time. Notifications are built and
 * sent by the core with the guest's lock held (never vqn_guests_lock taken
 * here), only when someone listens.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/percpu.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "vqn_nl.h"

/* Policies, ops and groups: as ynl-gen-c renders the spec (check-spec.sh) */

/* Integer value ranges */
static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_guest_admin_budget_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_guest_vhost_reserve_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_config_default_budget_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_config_threshold_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_config_vhost_reserve_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_config_host_cap_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_config_user_max_guests_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_config_user_max_devices_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_config_user_max_queues_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_config_user_max_slots_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_policy_budget_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_policy_vhost_reserve_range = {
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_policy_max_guests_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_policy_max_devices_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_policy_max_queues_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static VQN_NLA_RANGE_RO struct netlink_range_validation
vqnotify_a_policy_max_slots_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

/* VQNOTIFY_CMD_GUEST_GET - do */
static const struct nla_policy
vqnotify_guest_get_nl_policy[VQNOTIFY_A_GUEST_ID + 1] = {
	[VQNOTIFY_A_GUEST_ID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_GUEST_SET - do */
static const struct nla_policy
vqnotify_guest_set_nl_policy[VQNOTIFY_A_GUEST_VHOST_RESERVE + 1] = {
	[VQNOTIFY_A_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_GUEST_ADMIN_BUDGET] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_guest_admin_budget_range),
	[VQNOTIFY_A_GUEST_VHOST_RESERVE] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_guest_vhost_reserve_range),
};

/* VQNOTIFY_CMD_DEV_GET - do */
static const struct nla_policy
vqnotify_dev_get_do_nl_policy[VQNOTIFY_A_DEV_ID + 1] = {
	[VQNOTIFY_A_DEV_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_DEV_ID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_DEV_GET - dump */
static const struct nla_policy
vqnotify_dev_get_dump_nl_policy[VQNOTIFY_A_DEV_GUEST_ID + 1] = {
	[VQNOTIFY_A_DEV_GUEST_ID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_QUEUE_GET - do */
static const struct nla_policy
vqnotify_queue_get_do_nl_policy[VQNOTIFY_A_QUEUE_INDEX + 1] = {
	[VQNOTIFY_A_QUEUE_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_QUEUE_DEV_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_QUEUE_INDEX] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_QUEUE_GET - dump */
static const struct nla_policy
vqnotify_queue_get_dump_nl_policy[VQNOTIFY_A_QUEUE_DEV_ID + 1] = {
	[VQNOTIFY_A_QUEUE_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_QUEUE_DEV_ID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_CONFIG_SET - do */
static const struct nla_policy
vqnotify_config_set_nl_policy[VQNOTIFY_A_CONFIG_USER_MAX_SLOTS + 1] = {
	[VQNOTIFY_A_CONFIG_DEFAULT_BUDGET] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_config_default_budget_range),
	[VQNOTIFY_A_CONFIG_THRESHOLD] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_config_threshold_range),
	[VQNOTIFY_A_CONFIG_VHOST_RESERVE] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_config_vhost_reserve_range),
	[VQNOTIFY_A_CONFIG_HOST_CAP] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_config_host_cap_range),
	[VQNOTIFY_A_CONFIG_USER_MAX_GUESTS] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_config_user_max_guests_range),
	[VQNOTIFY_A_CONFIG_USER_MAX_DEVICES] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_config_user_max_devices_range),
	[VQNOTIFY_A_CONFIG_USER_MAX_QUEUES] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_config_user_max_queues_range),
	[VQNOTIFY_A_CONFIG_USER_MAX_SLOTS] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_config_user_max_slots_range),
};

/* VQNOTIFY_CMD_USER_GET - do */
static const struct nla_policy
vqnotify_user_get_nl_policy[VQNOTIFY_A_USER_UID + 1] = {
	[VQNOTIFY_A_USER_UID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_POLICY_SET - do */
static const struct nla_policy
vqnotify_policy_set_nl_policy[VQNOTIFY_A_POLICY_MAX_SLOTS + 1] = {
	[VQNOTIFY_A_POLICY_NAME] = { .type = NLA_NUL_STRING, .len = 127, },
	[VQNOTIFY_A_POLICY_UID] = { .type = NLA_U32, },
	[VQNOTIFY_A_POLICY_BUDGET] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_policy_budget_range),
	[VQNOTIFY_A_POLICY_VHOST_RESERVE] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_policy_vhost_reserve_range),
	[VQNOTIFY_A_POLICY_MAX_GUESTS] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_policy_max_guests_range),
	[VQNOTIFY_A_POLICY_MAX_DEVICES] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_policy_max_devices_range),
	[VQNOTIFY_A_POLICY_MAX_QUEUES] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_policy_max_queues_range),
	[VQNOTIFY_A_POLICY_MAX_SLOTS] =
		NLA_POLICY_FULL_RANGE(NLA_U32,
				      &vqnotify_a_policy_max_slots_range),
};

/* VQNOTIFY_CMD_POLICY_GET - do */
static const struct nla_policy
vqnotify_policy_get_nl_policy[VQNOTIFY_A_POLICY_UID + 1] = {
	[VQNOTIFY_A_POLICY_NAME] = { .type = NLA_NUL_STRING, .len = 127, },
	[VQNOTIFY_A_POLICY_UID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_POLICY_DEL - do */
static const struct nla_policy
vqnotify_policy_del_nl_policy[VQNOTIFY_A_POLICY_UID + 1] = {
	[VQNOTIFY_A_POLICY_NAME] = { .type = NLA_NUL_STRING, .len = 127, },
	[VQNOTIFY_A_POLICY_UID] = { .type = NLA_U32, },
};

/* Ops table for vqnotify */
static const struct genl_split_ops vqnotify_nl_ops[] = {
	{
		.cmd		= VQNOTIFY_CMD_GUEST_GET,
		.doit		= vqnotify_nl_guest_get_doit,
		.policy		= vqnotify_guest_get_nl_policy,
		.maxattr	= VQNOTIFY_A_GUEST_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= VQNOTIFY_CMD_GUEST_GET,
		.start	= vqnotify_nl_dump_start,
		.dumpit	= vqnotify_nl_guest_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VQNOTIFY_CMD_GUEST_SET,
		.doit		= vqnotify_nl_guest_set_doit,
		.policy		= vqnotify_guest_set_nl_policy,
		.maxattr	= VQNOTIFY_A_GUEST_VHOST_RESERVE,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VQNOTIFY_CMD_DEV_GET,
		.doit		= vqnotify_nl_dev_get_doit,
		.policy		= vqnotify_dev_get_do_nl_policy,
		.maxattr	= VQNOTIFY_A_DEV_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VQNOTIFY_CMD_DEV_GET,
		.start		= vqnotify_nl_dump_start,
		.dumpit		= vqnotify_nl_dev_get_dumpit,
		.policy		= vqnotify_dev_get_dump_nl_policy,
		.maxattr	= VQNOTIFY_A_DEV_GUEST_ID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VQNOTIFY_CMD_QUEUE_GET,
		.doit		= vqnotify_nl_queue_get_doit,
		.policy		= vqnotify_queue_get_do_nl_policy,
		.maxattr	= VQNOTIFY_A_QUEUE_INDEX,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VQNOTIFY_CMD_QUEUE_GET,
		.start		= vqnotify_nl_dump_start,
		.dumpit		= vqnotify_nl_queue_get_dumpit,
		.policy		= vqnotify_queue_get_dump_nl_policy,
		.maxattr	= VQNOTIFY_A_QUEUE_DEV_ID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= VQNOTIFY_CMD_CONFIG_GET,
		.doit	= vqnotify_nl_config_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VQNOTIFY_CMD_CONFIG_SET,
		.doit		= vqnotify_nl_config_set_doit,
		.policy		= vqnotify_config_set_nl_policy,
		.maxattr	= VQNOTIFY_A_CONFIG_USER_MAX_SLOTS,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VQNOTIFY_CMD_USER_GET,
		.doit		= vqnotify_nl_user_get_doit,
		.policy		= vqnotify_user_get_nl_policy,
		.maxattr	= VQNOTIFY_A_USER_UID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= VQNOTIFY_CMD_USER_GET,
		.start	= vqnotify_nl_dump_start,
		.dumpit	= vqnotify_nl_user_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VQNOTIFY_CMD_POLICY_SET,
		.doit		= vqnotify_nl_policy_set_doit,
		.policy		= vqnotify_policy_set_nl_policy,
		.maxattr	= VQNOTIFY_A_POLICY_MAX_SLOTS,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VQNOTIFY_CMD_POLICY_GET,
		.doit		= vqnotify_nl_policy_get_doit,
		.policy		= vqnotify_policy_get_nl_policy,
		.maxattr	= VQNOTIFY_A_POLICY_UID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= VQNOTIFY_CMD_POLICY_GET,
		.start	= vqnotify_nl_dump_start,
		.dumpit	= vqnotify_nl_policy_get_dumpit,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VQNOTIFY_CMD_POLICY_DEL,
		.doit		= vqnotify_nl_policy_del_doit,
		.policy		= vqnotify_policy_del_nl_policy,
		.maxattr	= VQNOTIFY_A_POLICY_UID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

enum {
	VQNOTIFY_NLGRP_MONITOR,
};

/* The spec's admin-perm flag, rendered as newer ynl-gen-c versions do. */
static const struct genl_multicast_group vqnotify_nl_mcgrps[] = {
	[VQNOTIFY_NLGRP_MONITOR] = {
		"monitor", .flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * Not netnsok: guests are host-wide and the family lives in the initial
 * network namespace only, where the monitor group is multicast.
 */
struct genl_family vqnotify_nl_family __ro_after_init = {
	.name		= VQNOTIFY_FAMILY_NAME,
	.version	= VQNOTIFY_FAMILY_VERSION,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.mcgrps		= vqnotify_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vqnotify_nl_mcgrps),
};

/* Who asks: decides what is visible and in which namespaces ids are shown */

/* A do request, in the context of the sender. */
void vqn_nl_viewer_of(struct vqn_nl_viewer *v, struct sk_buff *skb)
{
	v->admin = netlink_capable(skb, CAP_NET_ADMIN);
	v->euid = current_euid();
	v->pid_ns = task_active_pid_ns(current);
	v->user_ns = current_user_ns();
}

/* Notifications go to CAP_NET_ADMIN listeners in the initial namespaces. */
const struct vqn_nl_viewer vqn_nl_monitor = {
	.admin = true,
	.pid_ns = &init_pid_ns,
	.user_ns = &init_user_ns,
};

bool vqn_nl_visible(const struct vqn_nl_viewer *v,
		    const struct vqn_kguest *g)
{
	return v->admin || uid_eq(v->euid, g->uid);
}

/* Message fillers; the caller holds the guest's lock */

static int vqn_nl_put_guest(struct sk_buff *skb, struct vqn_kguest *g,
			    const struct vqn_nl_viewer *v)
{
	struct vqnotify_guest_info gi;
	struct nlattr *nest;
	unsigned int l;

	/* A label's counter has the label's value as attribute type. */
	BUILD_BUG_ON((int)VQNOTIFY_A_LABEL_COUNTS_A != (int)VQNOTIFY_LABEL_A);
	BUILD_BUG_ON((int)VQNOTIFY_A_LABEL_COUNTS_X != (int)VQNOTIFY_LABEL_X);
	BUILD_BUG_ON((int)VQNOTIFY_A_LABEL_COUNTS_MAX !=
		     (int)VQNOTIFY_LABEL_MAX - 1);

	/* The same numbers and flags as VQNOTIFY_GUEST_GET. */
	vqn_kguest_fill_info(g, &gi);
	if (nla_put_u32(skb, VQNOTIFY_A_GUEST_ID, g->id) ||
	    nla_put_string(skb, VQNOTIFY_A_GUEST_NAME, g->name) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_RUN_STATE, gi.run_state) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_PID,
			pid_nr_ns(g->pid, v->pid_ns)) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_UID,
			from_kuid_munged(v->user_ns, g->uid)) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_BUDGET, gi.budget) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_ADMIN_BUDGET,
			g->sm.admin_budget) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_OWN_BUDGET, g->sm.own_budget) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_VHOST_RESERVE,
			gi.vhost_reserve) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_THRESHOLD, gi.threshold) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_USED, gi.used) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_NR_ASSIGNED, gi.nr_assigned) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_NR_OFFLIMITS, gi.nr_offlimits) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_NR_WAITING, gi.nr_waiting) ||
	    nla_put_u32(skb, VQNOTIFY_A_GUEST_NR_DEVICES, gi.nr_devices))
		return -EMSGSIZE;
	if ((gi.out_flags & VQNOTIFY_GUEST_LIMITED) &&
	    nla_put_flag(skb, VQNOTIFY_A_GUEST_LIMITED))
		return -EMSGSIZE;
	if ((gi.out_flags & VQNOTIFY_GUEST_OVER_BUDGET) &&
	    nla_put_flag(skb, VQNOTIFY_A_GUEST_OVER_BUDGET))
		return -EMSGSIZE;

	nest = nla_nest_start(skb, VQNOTIFY_A_GUEST_COUNTS);
	if (!nest)
		return -EMSGSIZE;
	for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++) {
		if (nla_put_uint(skb, l, gi.counts[l])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vqn_nl_put_dev(struct sk_buff *skb, struct vqn_kguest *g,
			  struct vqn_dev *d)
{
	lockdep_assert_held(&g->lock);
	if (nla_put_u32(skb, VQNOTIFY_A_DEV_GUEST_ID, g->id) ||
	    nla_put_u32(skb, VQNOTIFY_A_DEV_ID, d->id) ||
	    nla_put_string(skb, VQNOTIFY_A_DEV_NAME, d->name) ||
	    nla_put_u32(skb, VQNOTIFY_A_DEV_TRANSPORT, d->transport) ||
	    nla_put_u32(skb, VQNOTIFY_A_DEV_STATUS, d->status) ||
	    nla_put_u32(skb, VQNOTIFY_A_DEV_NUM_QUEUES, d->num_queues) ||
	    nla_put_string(skb, VQNOTIFY_A_DEV_GUEST_NAME, g->name))
		return -EMSGSIZE;
	return 0;
}

static int vqn_nl_put_queue(struct sk_buff *skb, struct vqn_kguest *g,
			    struct vqn_dev *d, u32 index)
{
	const struct vqn_vq *vq = &d->vqs[index];

	lockdep_assert_held(&g->lock);
	if (nla_put_u32(skb, VQNOTIFY_A_QUEUE_GUEST_ID, g->id) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_DEV_ID, d->id) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_INDEX, index) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_STATE, vq->state) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_REASON, vq->reason) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_LABEL, vq->label) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_FLAGS,
			vqn_sm_vq_flags(&g->sm, vq)) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_ASSIGN_SEQ, vq->assign_seq))
		return -EMSGSIZE;
	return 0;
}

int vqn_nl_msg_guest(struct sk_buff *skb, const struct vqn_nl_msg *m,
		     struct vqn_kguest *g, const struct vqn_nl_viewer *v)
{
	void *hdr;

	hdr = genlmsg_put(skb, m->portid, m->seq, &vqnotify_nl_family,
			  m->flags, m->cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (vqn_nl_put_guest(skb, g, v)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int vqn_nl_msg_dev(struct sk_buff *skb, const struct vqn_nl_msg *m,
		   struct vqn_kguest *g, struct vqn_dev *d)
{
	void *hdr;

	hdr = genlmsg_put(skb, m->portid, m->seq, &vqnotify_nl_family,
			  m->flags, m->cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (vqn_nl_put_dev(skb, g, d)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int vqn_nl_msg_queue(struct sk_buff *skb, const struct vqn_nl_msg *m,
		     struct vqn_kguest *g, struct vqn_dev *d, u32 index)
{
	void *hdr;

	hdr = genlmsg_put(skb, m->portid, m->seq, &vqnotify_nl_family,
			  m->flags, m->cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (vqn_nl_put_queue(skb, g, d, index)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

void vqn_nl_msg_reply(struct vqn_nl_msg *m, struct genl_info *info)
{
	m->portid = info->snd_portid;
	m->seq = info->snd_seq;
	m->flags = 0;
	m->cmd = info->genlhdr->cmd;
}

/* Lookups for do requests; the caller holds vqn_guests_lock */

struct vqn_kguest *vqn_nl_guest_find(struct genl_info *info,
				     const struct vqn_nl_viewer *v, int attr)
{
	struct vqn_kguest *g;

	lockdep_assert_held(&vqn_guests_lock);
	g = xa_load(&vqn_guests, nla_get_u32(info->attrs[attr]));
	if (!g || !vqn_nl_visible(v, g)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr],
				    "no such guest");
		return NULL;
	}
	return g;
}

struct vqn_dev *vqn_nl_dev_find(struct genl_info *info, struct vqn_kguest *g,
				int attr)
{
	struct vqn_dev *d;

	lockdep_assert_held(&g->lock);
	d = xa_load(&g->devs, nla_get_u32(info->attrs[attr]));
	if (!d)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr],
				    "no such device");
	return d;
}

/*
 * Runs in the requester's context: note who asks (later parts of the dump
 * may run in whoever reads the socket) and the filters.
 */
int vqnotify_nl_dump_start(struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	const struct genlmsghdr *hdr = nlmsg_data(cb->nlh);
	struct nlattr *guest = NULL, *dev = NULL;
	struct nlattr **attrs;
	int ret;

	ret = vqn_genl_dump_check(cb, vqnotify_nl_ops,
				  ARRAY_SIZE(vqnotify_nl_ops));
	if (ret)
		return ret;

	memset(ctx, 0, sizeof(*ctx));
	ctx->admin = netlink_capable(cb->skb, CAP_NET_ADMIN);
	ctx->euid = current_euid();

	attrs = vqn_genl_dump_attrs(cb);
	if (!attrs)	/* a dump without a policy (GUEST_GET) */
		return 0;
	if (hdr->cmd == VQNOTIFY_CMD_DEV_GET) {
		guest = attrs[VQNOTIFY_A_DEV_GUEST_ID];
	} else if (hdr->cmd == VQNOTIFY_CMD_QUEUE_GET) {
		guest = attrs[VQNOTIFY_A_QUEUE_GUEST_ID];
		dev = attrs[VQNOTIFY_A_QUEUE_DEV_ID];
		if (dev && !guest) {
			NL_SET_ERR_MSG_ATTR(cb->extack, dev,
					    "a device filter needs a guest id");
			return -EINVAL;
		}
	}
	if (guest) {
		ctx->guest_filter = true;
		ctx->want_guest = nla_get_u32(guest);
		ctx->guest_id = ctx->want_guest;
	}
	if (dev) {
		ctx->dev_filter = true;
		ctx->want_dev = nla_get_u32(dev);
		ctx->dev_id = ctx->want_dev;
	}
	return 0;
}

void vqn_nl_msg_dump(struct vqn_nl_msg *m, struct netlink_callback *cb)
{
	m->portid = NETLINK_CB(cb->skb).portid;
	m->seq = cb->nlh->nlmsg_seq;
	m->flags = NLM_F_MULTI;
	m->cmd = ((struct genlmsghdr *)nlmsg_data(cb->nlh))->cmd;
}

/* Notifications to the monitor group, called with the guest's lock held */

static bool vqn_nl_listened(void)
{
	return genl_has_listeners(&vqnotify_nl_family, &init_net,
				  VQNOTIFY_NLGRP_MONITOR);
}

/*
 * A notification that cannot be built is not dropped silently: like
 * rtnetlink, every listener gets ENOBUFS (an overrun) and resynchronises
 * with a dump.
 */
static void vqn_nl_lost(struct sk_buff *msg)
{
	nlmsg_free(msg);
	genl_set_err(&vqnotify_nl_family, &init_net, 0,
		     VQNOTIFY_NLGRP_MONITOR, -ENOBUFS);
}

static void vqn_nl_multicast(struct sk_buff *msg)
{
	genlmsg_multicast(&vqnotify_nl_family, msg, 0, VQNOTIFY_NLGRP_MONITOR,
			  GFP_KERNEL);
}

/* QUEUE_NTF for a transition, REFUSAL_NTF (no label) for a refusal. */
static void vqn_nl_notify_queue(struct vqn_kguest *g, struct vqn_vq *vq,
				u8 old, u8 label)
{
	u8 cmd = label != VQNOTIFY_LABEL_NONE ? VQNOTIFY_CMD_QUEUE_NTF :
						VQNOTIFY_CMD_REFUSAL_NTF;
	struct sk_buff *msg;
	void *hdr;

	lockdep_assert_held(&g->lock);
	/* The names too, as they are now: the guest may be gone when read. */
	msg = genlmsg_new(7 * nla_total_size(sizeof(u32)) +
			  2 * nla_total_size(VQNOTIFY_NAME_LEN), GFP_KERNEL);
	if (!msg)
		return vqn_nl_lost(NULL);
	hdr = genlmsg_put(msg, 0, 0, &vqnotify_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_GUEST_ID, g->id) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_DEV_ID, vq->dev->id) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_QUEUE, vqn_vq_index(vq)) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_OLD_STATE, old) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_NEW_STATE, vq->state) ||
	    (label != VQNOTIFY_LABEL_NONE &&
	     nla_put_u32(msg, VQNOTIFY_A_TRANSITION_LABEL, label)) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_REASON, vq->reason) ||
	    nla_put_string(msg, VQNOTIFY_A_TRANSITION_GUEST_NAME, g->name) ||
	    nla_put_string(msg, VQNOTIFY_A_TRANSITION_DEV_NAME,
			   vq->dev->name)) {
		vqn_nl_lost(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	vqn_nl_multicast(msg);
}

/*
 * A report without a label is a refusal (limited, no-slot, host-cap,
 * not-ready, and any refusal reason to come), unless the queue only stays
 * with vhost (a migration's load) or its VMM released it while it waited.
 */

/* @cmd: GUEST_ADD_NTF, GUEST_DEL_NTF or GUEST_CHANGE_NTF */
static void vqn_nl_notify_guest(struct vqn_kguest *g, u8 cmd)
{
	const struct vqn_nl_msg m = { .cmd = cmd };
	struct sk_buff *msg;

	lockdep_assert_held(&g->lock);
	if (!vqn_nl_listened())
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return vqn_nl_lost(NULL);
	if (vqn_nl_msg_guest(msg, &m, g, &vqn_nl_monitor)) {
		vqn_nl_lost(msg);
		return;
	}
	vqn_nl_multicast(msg);
}

static void vqn_nl_notify_dev(struct vqn_kguest *g, struct vqn_dev *d,
			      bool add)
{
	const struct vqn_nl_msg m = {
		.cmd = add ? VQNOTIFY_CMD_DEV_ADD_NTF : VQNOTIFY_CMD_DEV_DEL_NTF,
	};
	struct sk_buff *msg;

	lockdep_assert_held(&g->lock);
	if (!vqn_nl_listened())
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return vqn_nl_lost(NULL);
	if (vqn_nl_msg_dev(msg, &m, g, d)) {
		vqn_nl_lost(msg);
		return;
	}
	vqn_nl_multicast(msg);
}

/* The misc device's reports reach the monitor group through these. */
static const struct vqn_monitor_ops vqn_nl_monitor_ops = {
	.listened = vqn_nl_listened,
	.queue = vqn_nl_notify_queue,
	.guest = vqn_nl_notify_guest,
	.dev = vqn_nl_notify_dev,
};

int vqn_nl_init(void)
{
	int ret;

	ret = vqn_genl_register_family(&vqnotify_nl_family, vqnotify_nl_ops,
				       ARRAY_SIZE(vqnotify_nl_ops));
	if (!ret)
		vqn_monitor_set(&vqn_nl_monitor_ops);
	return ret;
}

void vqn_nl_exit(void)
{
	vqn_genl_unregister_family(&vqnotify_nl_family);
}

MODULE_ALIAS_GENL_FAMILY(VQNOTIFY_FAMILY_NAME);
