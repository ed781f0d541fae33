// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "vqnotify": the host-wide view of every guest's
 * notification slots, the admin's controls, and a monitor group.
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

#include "compat.h"
#include "vqnotify.h"
#include "vqnotify_trace.h"

static int vqnotify_nl_dump_start(struct netlink_callback *cb);
static int vqnotify_nl_guest_get_doit(struct sk_buff *skb,
				      struct genl_info *info);
static int vqnotify_nl_guest_get_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb);
static int vqnotify_nl_guest_set_doit(struct sk_buff *skb,
				      struct genl_info *info);
static int vqnotify_nl_dev_get_doit(struct sk_buff *skb,
				    struct genl_info *info);
static int vqnotify_nl_dev_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb);
static int vqnotify_nl_queue_get_doit(struct sk_buff *skb,
				      struct genl_info *info);
static int vqnotify_nl_queue_get_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb);
static int vqnotify_nl_config_get_doit(struct sk_buff *skb,
				       struct genl_info *info);
static int vqnotify_nl_config_set_doit(struct sk_buff *skb,
				       struct genl_info *info);
static int vqnotify_nl_user_get_doit(struct sk_buff *skb,
				     struct genl_info *info);
static int vqnotify_nl_user_get_dumpit(struct sk_buff *skb,
				       struct netlink_callback *cb);
static int vqnotify_nl_policy_set_doit(struct sk_buff *skb,
				       struct genl_info *info);
static int vqnotify_nl_policy_get_doit(struct sk_buff *skb,
				       struct genl_info *info);
static int vqnotify_nl_policy_get_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb);
static int vqnotify_nl_policy_del_doit(struct sk_buff *skb,
				       struct genl_info *info);

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
static struct genl_family vqnotify_nl_family __ro_after_init = {
	.name		= VQNOTIFY_FAMILY_NAME,
	.version	= VQNOTIFY_FAMILY_VERSION,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.mcgrps		= vqnotify_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vqnotify_nl_mcgrps),
};

/* Who asks: decides what is visible and in which namespaces ids are shown */

struct vqn_nl_viewer {
	bool admin;
	kuid_t euid;
	struct pid_namespace *pid_ns;
	struct user_namespace *user_ns;
};

/* A do request, in the context of the sender. */
static void vqn_nl_viewer_of(struct vqn_nl_viewer *v, struct sk_buff *skb)
{
	v->admin = netlink_capable(skb, CAP_NET_ADMIN);
	v->euid = current_euid();
	v->pid_ns = task_active_pid_ns(current);
	v->user_ns = current_user_ns();
}

/* Notifications go to CAP_NET_ADMIN listeners in the initial namespaces. */
static const struct vqn_nl_viewer vqn_nl_monitor = {
	.admin = true,
	.pid_ns = &init_pid_ns,
	.user_ns = &init_user_ns,
};

static bool vqn_nl_visible(const struct vqn_nl_viewer *v,
			   const struct vqn_guest *g)
{
	return v->admin || uid_eq(v->euid, g->uid);
}

/*
 * Host-wide counters, in the CONFIG_GET reply: they outlive the guests they
 * counted (a guest's own counters end with it) and reset only with the
 * module. Per CPU, so that every guest's hot path increments its own CPU's
 * copy; a reader sums them (on 32-bit a sum may see a torn increment).
 */
DEFINE_PER_CPU(struct vqn_nl_stats, vqn_nl_stats);

static void vqn_nl_stats_sum(struct vqn_nl_stats *sum)
{
	unsigned int i;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct vqn_nl_stats *s = per_cpu_ptr(&vqn_nl_stats, cpu);

		for (i = 0; i < VQNOTIFY_LABEL_MAX; i++)
			sum->transitions[i] += READ_ONCE(s->transitions[i]);
		for (i = 0; i < VQNOTIFY_REASON_MAX; i++)
			sum->refusals[i] += READ_ONCE(s->refusals[i]);
		sum->events_dropped += READ_ONCE(s->events_dropped);
		sum->guests_opened += READ_ONCE(s->guests_opened);
		sum->guests_closed += READ_ONCE(s->guests_closed);
	}
}

/* An event a guest's VMM will not read (its ring is full). */
void vqn_nl_event_dropped(void)
{
	this_cpu_inc(vqn_nl_stats.events_dropped);
}

static int vqn_nl_put_stats(struct sk_buff *skb)
{
	struct vqn_nl_stats sum;
	struct nlattr *nest;
	unsigned int i;

	/* A counter's attribute type is its label's or reason's value. */
	BUILD_BUG_ON((int)VQNOTIFY_A_REASON_COUNTS_LIMITED !=
		     (int)VQNOTIFY_REASON_LIMITED);
	BUILD_BUG_ON((int)VQNOTIFY_A_REASON_COUNTS_NOT_READY !=
		     (int)VQNOTIFY_REASON_NOT_READY);

	vqn_nl_stats_sum(&sum);
	nest = nla_nest_start(skb, VQNOTIFY_A_CONFIG_TRANSITIONS);
	if (!nest)
		return -EMSGSIZE;
	for (i = VQNOTIFY_LABEL_A; i < VQNOTIFY_LABEL_MAX; i++)
		if (nla_put_uint(skb, i, sum.transitions[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	nest = nla_nest_start(skb, VQNOTIFY_A_CONFIG_REFUSALS);
	if (!nest)
		return -EMSGSIZE;
	for (i = VQNOTIFY_A_REASON_COUNTS_LIMITED;
	     i <= VQNOTIFY_A_REASON_COUNTS_MAX; i++)
		if (nla_put_uint(skb, i, sum.refusals[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	if (nla_put_uint(skb, VQNOTIFY_A_CONFIG_EVENTS_DROPPED,
			 sum.events_dropped) ||
	    nla_put_uint(skb, VQNOTIFY_A_CONFIG_GUESTS_OPENED,
			 sum.guests_opened) ||
	    nla_put_uint(skb, VQNOTIFY_A_CONFIG_GUESTS_CLOSED,
			 sum.guests_closed))
		return -EMSGSIZE;
	return 0;
}

/* Message fillers; the caller holds the guest's lock */

static int vqn_nl_put_guest(struct sk_buff *skb, struct vqn_guest *g,
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
	vqn_guest_fill_info(g, &gi);
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

static int vqn_nl_put_dev(struct sk_buff *skb, struct vqn_guest *g,
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

static int vqn_nl_put_queue(struct sk_buff *skb, struct vqn_guest *g,
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

/* One whole message; on error nothing of it is left in @skb. */
struct vqn_nl_msg {
	u32 portid;
	u32 seq;
	int flags;
	u8 cmd;
};

static int vqn_nl_msg_guest(struct sk_buff *skb, const struct vqn_nl_msg *m,
			    struct vqn_guest *g, const struct vqn_nl_viewer *v)
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

static int vqn_nl_msg_dev(struct sk_buff *skb, const struct vqn_nl_msg *m,
			  struct vqn_guest *g, struct vqn_dev *d)
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

static int vqn_nl_msg_queue(struct sk_buff *skb, const struct vqn_nl_msg *m,
			    struct vqn_guest *g, struct vqn_dev *d, u32 index)
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

static void vqn_nl_msg_reply(struct vqn_nl_msg *m, struct genl_info *info)
{
	m->portid = info->snd_portid;
	m->seq = info->snd_seq;
	m->flags = 0;
	m->cmd = info->genlhdr->cmd;
}

/* Lookups for do requests; the caller holds vqn_guests_lock */

static struct vqn_guest *vqn_nl_guest_find(struct genl_info *info,
					   const struct vqn_nl_viewer *v,
					   int attr)
{
	struct vqn_guest *g;

	lockdep_assert_held(&vqn_guests_lock);
	g = xa_load(&vqn_guests, nla_get_u32(info->attrs[attr]));
	if (!g || !vqn_nl_visible(v, g)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr],
				    "no such guest");
		return NULL;
	}
	return g;
}

static struct vqn_dev *vqn_nl_dev_find(struct genl_info *info,
				       struct vqn_guest *g, int attr)
{
	struct vqn_dev *d;

	lockdep_assert_held(&g->lock);
	d = xa_load(&g->devs, nla_get_u32(info->attrs[attr]));
	if (!d)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr],
				    "no such device");
	return d;
}

/* do: GUEST_GET, DEV_GET, QUEUE_GET */

static int vqnotify_nl_guest_get_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_guest *g;
	struct sk_buff *msg;
	int ret = -ENOENT;

	if (GENL_REQ_ATTR_CHECK(info, VQNOTIFY_A_GUEST_ID))
		return -EINVAL;
	vqn_nl_viewer_of(&v, skb);
	vqn_nl_msg_reply(&m, info);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&vqn_guests_lock);
	g = vqn_nl_guest_find(info, &v, VQNOTIFY_A_GUEST_ID);
	if (g) {
		mutex_lock(&g->lock);
		ret = vqn_nl_msg_guest(msg, &m, g, &v);
		mutex_unlock(&g->lock);
	}
	mutex_unlock(&vqn_guests_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int vqnotify_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_guest *g;
	struct vqn_dev *d;
	struct sk_buff *msg;
	int ret = -ENOENT;

	if (GENL_REQ_ATTR_CHECK(info, VQNOTIFY_A_DEV_GUEST_ID) ||
	    GENL_REQ_ATTR_CHECK(info, VQNOTIFY_A_DEV_ID))
		return -EINVAL;
	vqn_nl_viewer_of(&v, skb);
	vqn_nl_msg_reply(&m, info);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&vqn_guests_lock);
	g = vqn_nl_guest_find(info, &v, VQNOTIFY_A_DEV_GUEST_ID);
	if (g) {
		mutex_lock(&g->lock);
		d = vqn_nl_dev_find(info, g, VQNOTIFY_A_DEV_ID);
		if (d)
			ret = vqn_nl_msg_dev(msg, &m, g, d);
		mutex_unlock(&g->lock);
	}
	mutex_unlock(&vqn_guests_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int vqnotify_nl_queue_get_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct nlattr *index_attr = info->attrs[VQNOTIFY_A_QUEUE_INDEX];
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_guest *g;
	struct vqn_dev *d;
	struct sk_buff *msg;
	int ret = -ENOENT;
	u32 index;

	if (GENL_REQ_ATTR_CHECK(info, VQNOTIFY_A_QUEUE_GUEST_ID) ||
	    GENL_REQ_ATTR_CHECK(info, VQNOTIFY_A_QUEUE_DEV_ID) ||
	    GENL_REQ_ATTR_CHECK(info, VQNOTIFY_A_QUEUE_INDEX))
		return -EINVAL;
	index = nla_get_u32(index_attr);
	vqn_nl_viewer_of(&v, skb);
	vqn_nl_msg_reply(&m, info);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&vqn_guests_lock);
	g = vqn_nl_guest_find(info, &v, VQNOTIFY_A_QUEUE_GUEST_ID);
	if (g) {
		mutex_lock(&g->lock);
		d = vqn_nl_dev_find(info, g, VQNOTIFY_A_QUEUE_DEV_ID);
		if (d && index < d->num_queues)
			ret = vqn_nl_msg_queue(msg, &m, g, d, index);
		else if (d)
			NL_SET_ERR_MSG_ATTR(info->extack, index_attr,
					    "no such queue");
		mutex_unlock(&g->lock);
	}
	mutex_unlock(&vqn_guests_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* dump: GUEST_GET, DEV_GET, QUEUE_GET */

/*
 * Where a dump resumes: the guest, device and queue the next message is
 * about, and its filters. Dumps go by increasing ids; objects that appear
 * or go away between two skbs may be missed, never repeated.
 */
struct vqn_nl_dump_ctx {
	u32 guest_id;
	u32 dev_id;
	u32 index;
	u32 want_guest;
	u32 want_dev;
	bool guest_filter;
	bool dev_filter;
	bool admin;
	kuid_t euid;
};

static struct vqn_nl_dump_ctx *vqn_nl_dump_ctx(struct netlink_callback *cb)
{
	NL_ASSERT_DUMP_CTX_FITS(struct vqn_nl_dump_ctx);
	return (struct vqn_nl_dump_ctx *)cb->ctx;
}

/*
 * Runs in the requester's context: note who asks (later parts of the dump
 * may run in whoever reads the socket) and the filters.
 */
static int vqnotify_nl_dump_start(struct netlink_callback *cb)
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

/* Should the dump include guest @id? Moves the cursor to a new guest. */
static bool vqn_nl_dump_guest(struct vqn_nl_dump_ctx *ctx, unsigned long id,
			      struct vqn_guest *g)
{
	if (ctx->guest_filter && id != ctx->want_guest)
		return false;
	if (!ctx->admin && !uid_eq(ctx->euid, g->uid))
		return false;
	if (id != ctx->guest_id) {
		ctx->guest_id = id;
		ctx->dev_id = ctx->dev_filter ? ctx->want_dev : 0;
		ctx->index = 0;
	}
	return true;
}

static void vqn_nl_msg_dump(struct vqn_nl_msg *m, struct netlink_callback *cb)
{
	m->portid = NETLINK_CB(cb->skb).portid;
	m->seq = cb->nlh->nlmsg_seq;
	m->flags = NLM_F_MULTI;
	m->cmd = ((struct genlmsghdr *)nlmsg_data(cb->nlh))->cmd;
}

/* A full skb ends this part of the dump; the next part resumes. */
static int vqn_nl_dump_ret(struct sk_buff *skb, int ret)
{
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret;
}

static int vqnotify_nl_guest_get_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_viewer v = {
		.admin = ctx->admin,
		.euid = ctx->euid,
		.pid_ns = task_active_pid_ns(current),
		.user_ns = current_user_ns(),
	};
	struct vqn_nl_msg m;
	struct vqn_guest *g;
	unsigned long id;
	int ret = 0;

	vqn_nl_msg_dump(&m, cb);
	mutex_lock(&vqn_guests_lock);
	xa_for_each_start(&vqn_guests, id, g, ctx->guest_id) {
		if (!vqn_nl_dump_guest(ctx, id, g))
			continue;
		mutex_lock(&g->lock);
		ret = vqn_nl_msg_guest(skb, &m, g, &v);
		mutex_unlock(&g->lock);
		if (ret)
			break;
		ctx->guest_id = id + 1;
	}
	mutex_unlock(&vqn_guests_lock);
	return vqn_nl_dump_ret(skb, ret);
}

static int vqnotify_nl_dev_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_msg m;
	struct vqn_guest *g;
	struct vqn_dev *d;
	unsigned long id, dev_id;
	int ret = 0;

	vqn_nl_msg_dump(&m, cb);
	mutex_lock(&vqn_guests_lock);
	xa_for_each_start(&vqn_guests, id, g, ctx->guest_id) {
		if (!vqn_nl_dump_guest(ctx, id, g))
			continue;
		mutex_lock(&g->lock);
		xa_for_each_start(&g->devs, dev_id, d, ctx->dev_id) {
			ret = vqn_nl_msg_dev(skb, &m, g, d);
			if (ret)
				break;
			ctx->dev_id = dev_id + 1;
		}
		mutex_unlock(&g->lock);
		if (ret)
			break;
	}
	mutex_unlock(&vqn_guests_lock);
	return vqn_nl_dump_ret(skb, ret);
}

/*
 * One message per queue: a device of 1024 queues spans several skbs, so the
 * cursor is (guest, device, queue index).
 */
static int vqnotify_nl_queue_get_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_msg m;
	struct vqn_guest *g;
	struct vqn_dev *d;
	unsigned long id, dev_id;
	int ret = 0;

	vqn_nl_msg_dump(&m, cb);
	mutex_lock(&vqn_guests_lock);
	xa_for_each_start(&vqn_guests, id, g, ctx->guest_id) {
		if (!vqn_nl_dump_guest(ctx, id, g))
			continue;
		mutex_lock(&g->lock);
		xa_for_each_start(&g->devs, dev_id, d, ctx->dev_id) {
			if (ctx->dev_filter && dev_id != ctx->want_dev)
				break;
			if (dev_id != ctx->dev_id) {
				ctx->dev_id = dev_id;
				ctx->index = 0;
			}
			for (; ctx->index < d->num_queues; ctx->index++) {
				ret = vqn_nl_msg_queue(skb, &m, g, d,
						       ctx->index);
				if (ret)
					break;
			}
			if (ret)
				break;
		}
		mutex_unlock(&g->lock);
		if (ret)
			break;
	}
	mutex_unlock(&vqn_guests_lock);
	return vqn_nl_dump_ret(skb, ret);
}

/* Admin: GUEST_SET */

static int vqnotify_nl_guest_set_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct nlattr *budget = info->attrs[VQNOTIFY_A_GUEST_ADMIN_BUDGET];
	struct nlattr *reserve = info->attrs[VQNOTIFY_A_GUEST_VHOST_RESERVE];
	struct vqn_guest *g;

	if (GENL_REQ_ATTR_CHECK(info, VQNOTIFY_A_GUEST_ID))
		return -EINVAL;
	if (!budget && !reserve) {
		GENL_SET_ERR_MSG(info, "nothing to set");
		return -EINVAL;
	}

	mutex_lock(&vqn_guests_lock);
	g = vqn_nl_guest_find(info, &vqn_nl_monitor, VQNOTIFY_A_GUEST_ID);
	if (!g) {
		mutex_unlock(&vqn_guests_lock);
		return -ENOENT;
	}
	mutex_lock(&g->lock);
	if ((reserve ? nla_get_u32(reserve) : g->sm.vhost_reserve) >
	    (budget ? nla_get_u32(budget) : g->sm.admin_budget)) {
		NL_SET_ERR_MSG_ATTR(info->extack, reserve ? reserve : budget,
				    "the vhost reserve may not exceed the admin budget");
		mutex_unlock(&g->lock);
		mutex_unlock(&vqn_guests_lock);
		return -EINVAL;
	}
	if (budget)
		g->sm.admin_budget = nla_get_u32(budget);
	if (reserve)
		g->sm.vhost_reserve = nla_get_u32(reserve);
	vqn_sm_reconfigure(&g->sm);
	vqn_guest_event_budget(g);
	mutex_unlock(&g->lock);
	mutex_unlock(&vqn_guests_lock);
	return 0;
}

/* CONFIG_GET, CONFIG_SET */

/*
 * The four limits, by enum vqn_limit, as consecutive attributes from
 * @first (config and user attributes list them in that order).
 */
static int vqn_nl_put_limits(struct sk_buff *skb, int first, const u32 *max)
{
	int l;

	for (l = 0; l < VQN_NR_LIMITS; l++)
		if (nla_put_u32(skb, first + l, READ_ONCE(max[l])))
			return -EMSGSIZE;
	return 0;
}

static int vqnotify_nl_config_get_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct vqn_nl_msg m;
	struct sk_buff *msg;
	void *hdr;

	vqn_nl_msg_reply(&m, info);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, m.portid, m.seq, &vqnotify_nl_family, m.flags,
			  m.cmd);
	if (!hdr)
		goto err;

	mutex_lock(&vqn_guests_lock);
	if (nla_put_u32(msg, VQNOTIFY_A_CONFIG_DEFAULT_BUDGET,
			vqn_cfg.default_budget) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_THRESHOLD, vqn_cfg.threshold) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_VHOST_RESERVE,
			vqn_cfg.vhost_reserve) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_HOST_CAP, vqn_cfg.host_cap) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_HOST_USED,
			atomic_read(&vqn_host_used)) ||
	    nla_put_u32(msg, VQNOTIFY_A_CONFIG_NR_GUESTS,
			atomic_read(&vqn_nr_guests)) ||
	    vqn_nl_put_limits(msg, VQNOTIFY_A_CONFIG_USER_MAX_GUESTS,
			      vqn_user_defaults)) {
		mutex_unlock(&vqn_guests_lock);
		goto err;
	}
	mutex_unlock(&vqn_guests_lock);
	if (vqn_nl_put_stats(msg))
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int vqnotify_nl_config_set_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct nlattr *rsv = info->attrs[VQNOTIFY_A_CONFIG_VHOST_RESERVE];
	struct nlattr *bud = info->attrs[VQNOTIFY_A_CONFIG_DEFAULT_BUDGET];
	struct nlattr **tb = info->attrs;
	bool raised = false, any = false;
	struct vqn_guest *g;
	unsigned long id;
	u32 val;
	int a, l;

	for (a = VQNOTIFY_A_CONFIG_DEFAULT_BUDGET; a <= VQNOTIFY_A_CONFIG_MAX;
	     a++)
		any |= !!tb[a];
	if (!any) {
		GENL_SET_ERR_MSG(info, "nothing to set");
		return -EINVAL;
	}
	if (tb[VQNOTIFY_A_CONFIG_HOST_USED] || tb[VQNOTIFY_A_CONFIG_NR_GUESTS]) {
		GENL_SET_ERR_MSG(info, "host-used and nr-guests are read-only");
		return -EINVAL;
	}

	mutex_lock(&vqn_guests_lock);
	/* Checked as a whole before anything changes. */
	if ((rsv ? nla_get_u32(rsv) : vqn_cfg.vhost_reserve) >
	    (bud ? nla_get_u32(bud) : vqn_cfg.default_budget)) {
		NL_SET_ERR_MSG_ATTR(info->extack, rsv ? rsv : bud,
				    "the vhost reserve may not exceed the default budget");
		mutex_unlock(&vqn_guests_lock);
		return -EINVAL;
	}
	/* Read locklessly by vqn_open() and vqn_env_host_take(). */
	if (bud)
		WRITE_ONCE(vqn_cfg.default_budget, nla_get_u32(bud));
	if (rsv)
		WRITE_ONCE(vqn_cfg.vhost_reserve, nla_get_u32(rsv));
	if (tb[VQNOTIFY_A_CONFIG_HOST_CAP]) {
		val = nla_get_u32(tb[VQNOTIFY_A_CONFIG_HOST_CAP]);
		raised = val > vqn_cfg.host_cap;
		WRITE_ONCE(vqn_cfg.host_cap, val);
		vqn_user_host_cap_changed(val);
	}
	for (l = 0; l < VQN_NR_LIMITS; l++) {
		struct nlattr *lim = tb[VQNOTIFY_A_CONFIG_USER_MAX_GUESTS + l];

		if (!lim)
			continue;
		val = vqn_user_defaults[l];
		vqn_user_set_default(l, nla_get_u32(lim));
		raised |= vqn_user_defaults[l] > val;
	}
	if (tb[VQNOTIFY_A_CONFIG_THRESHOLD]) {
		val = nla_get_u32(tb[VQNOTIFY_A_CONFIG_THRESHOLD]);
		WRITE_ONCE(vqn_cfg.threshold, val);
		xa_for_each(&vqn_guests, id, g) {
			mutex_lock(&g->lock);
			if (g->sm.threshold != val) {
				g->sm.threshold = val;
				vqn_sm_reconfigure(&g->sm);
				vqn_guest_event_budget(g);
			}
			mutex_unlock(&g->lock);
		}
	}
	mutex_unlock(&vqn_guests_lock);
	if (raised)
		vqn_host_promote_all();
	return 0;
}

/* USER_GET */

static bool vqn_nl_user_visible(const struct vqn_nl_viewer *v,
				const struct vqn_user *u)
{
	return v->admin || uid_eq(v->euid, u->uid);
}

static int vqn_nl_msg_user(struct sk_buff *skb, const struct vqn_nl_msg *m,
			   struct vqn_user *u, struct user_namespace *ns)
{
	u32 max[VQN_NR_LIMITS];
	void *hdr;
	int l;

	lockdep_assert_held(&vqn_users_lock);
	for (l = 0; l < VQN_NR_LIMITS; l++)
		max[l] = vqn_user_max(u, l);
	hdr = genlmsg_put(skb, m->portid, m->seq, &vqnotify_nl_family,
			  m->flags, m->cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VQNOTIFY_A_USER_UID,
			from_kuid_munged(ns, u->uid)) ||
	    nla_put_u32(skb, VQNOTIFY_A_USER_NR_GUESTS,
			atomic_read(&u->used[VQN_LIMIT_GUESTS])) ||
	    nla_put_u32(skb, VQNOTIFY_A_USER_NR_DEVICES,
			atomic_read(&u->used[VQN_LIMIT_DEVICES])) ||
	    nla_put_u32(skb, VQNOTIFY_A_USER_NR_QUEUES,
			atomic_read(&u->used[VQN_LIMIT_QUEUES])) ||
	    nla_put_u32(skb, VQNOTIFY_A_USER_NR_SLOTS,
			atomic_read(&u->used[VQN_LIMIT_SLOTS])) ||
	    vqn_nl_put_limits(skb, VQNOTIFY_A_USER_MAX_GUESTS, max) ||
	    nla_put_uint(skb, VQNOTIFY_A_USER_NR_QUOTA,
			 atomic64_read(&u->nr_quota))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int vqnotify_nl_user_get_doit(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct nlattr *attr = info->attrs[VQNOTIFY_A_USER_UID];
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_user *u;
	struct sk_buff *msg;
	int ret = -ENOENT;
	kuid_t uid;

	if (GENL_REQ_ATTR_CHECK(info, VQNOTIFY_A_USER_UID))
		return -EINVAL;
	vqn_nl_viewer_of(&v, skb);
	vqn_nl_msg_reply(&m, info);
	uid = make_kuid(v.user_ns, nla_get_u32(attr));
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&vqn_users_lock);
	u = uid_valid(uid) ? xa_load(&vqn_users, from_kuid(&init_user_ns, uid)) :
			     NULL;
	if (u && vqn_nl_user_visible(&v, u))
		ret = vqn_nl_msg_user(msg, &m, u, v.user_ns);
	else
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no such user with open guests");
	mutex_unlock(&vqn_users_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int vqnotify_nl_user_get_dumpit(struct sk_buff *skb,
				       struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_viewer v = { .admin = ctx->admin, .euid = ctx->euid };
	unsigned long idx = ctx->index;
	struct vqn_nl_msg m;
	struct vqn_user *u;
	int ret = 0;

	/* ctx->index: the next uid; ctx->dev_filter: the last one is done */
	if (ctx->dev_filter)
		return 0;
	vqn_nl_msg_dump(&m, cb);
	mutex_lock(&vqn_users_lock);
	xa_for_each_start(&vqn_users, idx, u, ctx->index) {
		if (!vqn_nl_user_visible(&v, u))
			continue;
		ret = vqn_nl_msg_user(skb, &m, u, current_user_ns());
		if (ret)
			break;
		if (idx == U32_MAX)
			ctx->dev_filter = true;
		ctx->index = idx + 1;
	}
	mutex_unlock(&vqn_users_lock);
	return vqn_nl_dump_ret(skb, ret);
}

/* POLICY_SET, POLICY_GET, POLICY_DEL */

/* Which policy a request is about: a name or a uid, exactly one. */
static int vqn_nl_policy_key(struct genl_info *info, const char **name,
			     kuid_t *uid)
{
	struct nlattr *n = info->attrs[VQNOTIFY_A_POLICY_NAME];
	struct nlattr *u = info->attrs[VQNOTIFY_A_POLICY_UID];
	const char *s;

	*name = NULL;
	*uid = INVALID_UID;
	if (!n == !u) {
		GENL_SET_ERR_MSG(info, "give exactly one of a name and a uid");
		return -EINVAL;
	}
	if (u) {
		*uid = make_kuid(current_user_ns(), nla_get_u32(u));
		if (!uid_valid(*uid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, u,
					    "no such uid in this user namespace");
			return -EINVAL;
		}
		return 0;
	}
	s = nla_data(n);
	if (!*s) {
		NL_SET_ERR_MSG_ATTR(info->extack, n, "the name is empty");
		return -EINVAL;
	}
	for (*name = s; *s; s++) {
		if (*s < 0x20 || *s > 0x7e) {
			NL_SET_ERR_MSG_ATTR(info->extack, n,
					    "names are printable ASCII");
			return -EINVAL;
		}
	}
	return 0;
}

static int vqnotify_nl_policy_set_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct nlattr *bud = info->attrs[VQNOTIFY_A_POLICY_BUDGET];
	struct nlattr *rsv = info->attrs[VQNOTIFY_A_POLICY_VHOST_RESERVE];
	struct vqn_policy p = { };
	int ret, l;

	ret = vqn_nl_policy_key(info, &p.name, &p.uid);
	if (ret)
		return ret;
	if (bud) {
		p.budget = nla_get_u32(bud);
		p.set |= VQN_POL_BUDGET;
	}
	if (rsv) {
		p.reserve = nla_get_u32(rsv);
		p.set |= VQN_POL_RESERVE;
	}
	if (bud && rsv && p.reserve > p.budget) {
		NL_SET_ERR_MSG_ATTR(info->extack, rsv,
				    "the vhost reserve may not exceed the budget");
		return -EINVAL;
	}
	for (l = 0; l < VQN_NR_LIMITS; l++) {
		struct nlattr *lim =
			info->attrs[VQNOTIFY_A_POLICY_MAX_GUESTS + l];

		if (!lim)
			continue;
		if (p.name) {
			NL_SET_ERR_MSG_ATTR(info->extack, lim,
					    "per-user limits belong in a uid policy");
			return -EINVAL;
		}
		p.max[l] = nla_get_u32(lim);
		p.set |= VQN_POL_MAX(l);
	}
	if (!p.set) {
		GENL_SET_ERR_MSG(info, "nothing to set");
		return -EINVAL;
	}
	ret = vqn_policy_set(&p);
	if (ret == -ENOSPC)
		GENL_SET_ERR_MSG(info, "too many policies");
	if (ret)
		return ret;
	vqn_guests_apply_policy(p.name, p.uid);
	/* A raised slot limit may let waiting queues in. */
	if (!p.name)
		vqn_host_promote_all();
	return 0;
}

static int vqn_nl_put_policy(struct sk_buff *skb, const struct vqn_policy *p)
{
	int l;

	if (p->name ? nla_put_string(skb, VQNOTIFY_A_POLICY_NAME, p->name) :
	    nla_put_u32(skb, VQNOTIFY_A_POLICY_UID,
			from_kuid_munged(current_user_ns(), p->uid)))
		return -EMSGSIZE;
	if ((p->set & VQN_POL_BUDGET) &&
	    nla_put_u32(skb, VQNOTIFY_A_POLICY_BUDGET, p->budget))
		return -EMSGSIZE;
	if ((p->set & VQN_POL_RESERVE) &&
	    nla_put_u32(skb, VQNOTIFY_A_POLICY_VHOST_RESERVE, p->reserve))
		return -EMSGSIZE;
	for (l = 0; l < VQN_NR_LIMITS; l++)
		if ((p->set & VQN_POL_MAX(l)) &&
		    nla_put_u32(skb, VQNOTIFY_A_POLICY_MAX_GUESTS + l,
				p->max[l]))
			return -EMSGSIZE;
	return 0;
}

struct vqn_nl_policy_arg {
	struct sk_buff *skb;
	struct vqn_nl_msg m;
	const char *name;	/* do: the one wanted */
	kuid_t uid;
	bool found;
};

static int vqn_nl_policy_fill(const struct vqn_policy *p, void *arg)
{
	struct vqn_nl_policy_arg *a = arg;
	void *hdr;

	if (a->name && (!p->name || strcmp(a->name, p->name)))
		return 0;
	if (!a->name && uid_valid(a->uid) &&
	    (p->name || !uid_eq(a->uid, p->uid)))
		return 0;
	hdr = genlmsg_put(a->skb, a->m.portid, a->m.seq, &vqnotify_nl_family,
			  a->m.flags, a->m.cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (vqn_nl_put_policy(a->skb, p)) {
		genlmsg_cancel(a->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(a->skb, hdr);
	a->found = true;
	return 0;
}

static int vqnotify_nl_policy_get_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct vqn_nl_policy_arg a = { };
	unsigned int pos = 0;
	int ret;

	ret = vqn_nl_policy_key(info, &a.name, &a.uid);
	if (ret)
		return ret;
	vqn_nl_msg_reply(&a.m, info);
	a.skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!a.skb)
		return -ENOMEM;
	ret = vqn_policy_walk(&pos, vqn_nl_policy_fill, &a);
	if (!ret && !a.found) {
		GENL_SET_ERR_MSG(info, "no such policy");
		ret = -ENOENT;
	}
	if (ret) {
		nlmsg_free(a.skb);
		return ret;
	}
	return genlmsg_reply(a.skb, info);
}

static int vqnotify_nl_policy_get_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_policy_arg a = { .skb = skb, .uid = INVALID_UID };
	int ret;

	vqn_nl_msg_dump(&a.m, cb);
	ret = vqn_policy_walk(&ctx->index, vqn_nl_policy_fill, &a);
	return vqn_nl_dump_ret(skb, ret);
}

static int vqnotify_nl_policy_del_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	const char *name;
	kuid_t uid;
	int ret;

	ret = vqn_nl_policy_key(info, &name, &uid);
	if (ret)
		return ret;
	ret = vqn_policy_del(name, uid);
	if (ret) {
		GENL_SET_ERR_MSG(info, "no such policy");
		return ret;
	}
	/* The user's limits are the defaults again: maybe higher. */
	if (!name)
		vqn_host_promote_all();
	return 0;
}

/* Notifications to the monitor group, called with the guest's lock held */

bool vqn_nl_listened(void)
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
void vqn_nl_notify_queue(struct vqn_guest *g, struct vqn_vq *vq, u8 old,
			 u8 label)
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
void vqn_nl_notify_guest(struct vqn_guest *g, u8 cmd)
{
	const struct vqn_nl_msg m = { .cmd = cmd };
	struct sk_buff *msg;

	lockdep_assert_held(&g->lock);
	/* Called once per open and once per close: counted here. */
	if (cmd == VQNOTIFY_CMD_GUEST_ADD_NTF)
		this_cpu_inc(vqn_nl_stats.guests_opened);
	else if (cmd == VQNOTIFY_CMD_GUEST_DEL_NTF)
		this_cpu_inc(vqn_nl_stats.guests_closed);
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

void vqn_nl_notify_dev(struct vqn_guest *g, struct vqn_dev *d, bool add)
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

int vqn_nl_init(void)
{
	return vqn_genl_register_family(&vqnotify_nl_family, vqnotify_nl_ops,
					ARRAY_SIZE(vqnotify_nl_ops));
}

void vqn_nl_exit(void)
{
	vqn_genl_unregister_family(&vqnotify_nl_family);
}

MODULE_ALIAS_GENL_FAMILY(VQNOTIFY_FAMILY_NAME);
