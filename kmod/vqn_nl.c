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
 * Documentation/netlink/specs/vqnotify.yaml is the source of truth: the
 * policies and the ops table are netlink-gen.c, ynl-gen-c.py's output
 * (scripts/check-spec.sh regenerates it and fails when it is stale). The
 * family and its multicast group are defined here, not generated: the
 * family lives in the initial network namespace only, the monitor group is
 * restricted (which the 6.12 generator cannot express), and the module
 * registers its split ops on kernels that predate them (compat.h). The ops
 * table is handed down at init (vqn_nl_init()), so that nothing here names
 * what is above it.
 *
 * Visibility: a guest, its devices and queues are shown to CAP_NET_ADMIN and
 * to the effective uid that opened the guest; to anyone else they do not
 * exist (ENOENT, skipped by dumps). Admin ops are GENL_ADMIN_PERM; joining
 * the monitor or the calls group needs CAP_NET_ADMIN.
 *
 * Notifications are built and sent with the guest's lock held, only when
 * someone listens; the locks are in "DOC: Locking" (vqnotify.h). The
 * exception is a call's CALL_NTF, built after the guest is unlocked. The
 * calls group gets every guest and device notification too, and the
 * transitions no call asked for as CALL_NTF with async (vqn_event.c holds
 * them until what made them ends): all vqnotifyctl monitor shows, in a
 * message per call where the monitor group sends one per queue.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/gfp.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "vqn_nl.h"

/*
 * The spec's groups (netlink-gen.h numbers them) with its admin-perm flag,
 * rendered as newer ynl-gen-c versions do; check-spec.sh compares them.
 */
static const struct genl_multicast_group vqn_nl_mcgrps[] = {
	[VQNOTIFY_NLGRP_MONITOR] = {
		"monitor", .flags = GENL_MCAST_CAP_NET_ADMIN,
	},
	[VQNOTIFY_NLGRP_CALLS] = {
		"calls", .flags = GENL_MCAST_CAP_NET_ADMIN,
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
	.mcgrps		= vqn_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vqn_nl_mcgrps),
};

/* The ops table (netlink-gen.c), as registered: the dumps check by it. */
static const struct genl_split_ops *vqn_nl_ops;
static unsigned int vqn_nl_n_ops;

/* Who asks: decides what is visible and in which namespaces ids are shown */

/* A do request, in the context of the sender. */
void vqn_nl_viewer_of(struct vqn_nl_viewer *v, struct sk_buff *skb)
{
	v->admin = netlink_capable(skb, CAP_NET_ADMIN);
	v->euid = current_euid();
	v->charged = vqn_user_uid(current_cred());
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
			vqn_kguest_pid(g, v->pid_ns)) ||
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

/*
 * A message's header; in a dump, flagged NLM_F_DUMP_INTR when guests,
 * devices, users or policies came or went since the dump's part before.
 */
void *vqn_nl_msg_put(struct sk_buff *skb, const struct vqn_nl_msg *m)
{
	void *hdr = genlmsg_put(skb, m->portid, m->seq, &vqnotify_nl_family,
				m->flags, m->cmd);

	if (hdr && m->cb)
		genl_dump_check_consistent(m->cb, hdr);
	return hdr;
}

/* Ends the message at @hdr, or takes it out of @skb when filling it failed. */
static int vqn_nl_msg_end(struct sk_buff *skb, void *hdr, int err)
{
	if (err) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int vqn_nl_msg_guest(struct sk_buff *skb, const struct vqn_nl_msg *m,
		     struct vqn_kguest *g, const struct vqn_nl_viewer *v)
{
	void *hdr = vqn_nl_msg_put(skb, m);

	if (!hdr)
		return -EMSGSIZE;
	return vqn_nl_msg_end(skb, hdr, vqn_nl_put_guest(skb, g, v));
}

int vqn_nl_msg_dev(struct sk_buff *skb, const struct vqn_nl_msg *m,
		   struct vqn_kguest *g, struct vqn_dev *d)
{
	void *hdr = vqn_nl_msg_put(skb, m);

	if (!hdr)
		return -EMSGSIZE;
	return vqn_nl_msg_end(skb, hdr, vqn_nl_put_dev(skb, g, d));
}

int vqn_nl_msg_queue(struct sk_buff *skb, const struct vqn_nl_msg *m,
		     struct vqn_kguest *g, struct vqn_dev *d, u32 index)
{
	void *hdr = vqn_nl_msg_put(skb, m);

	if (!hdr)
		return -EMSGSIZE;
	return vqn_nl_msg_end(skb, hdr, vqn_nl_put_queue(skb, g, d, index));
}

/* QUEUES_GET: the states of queues @first .. @first + @n - 1 of @d. */
int vqn_nl_msg_states(struct sk_buff *skb, const struct vqn_nl_msg *m,
		      struct vqn_kguest *g, struct vqn_dev *d, u32 first,
		      u32 n)
{
	struct vqnotify_vq_info *vi;
	const struct vqn_vq *vq;
	struct nlattr *a;
	void *hdr;
	u32 i;

	lockdep_assert_held(&g->lock);
	hdr = vqn_nl_msg_put(skb, m);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VQNOTIFY_A_QUEUE_STATES_GUEST_ID, g->id) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_STATES_DEV_ID, d->id) ||
	    nla_put_u32(skb, VQNOTIFY_A_QUEUE_STATES_INDEX, first))
		goto cancel;
	a = nla_reserve(skb, VQNOTIFY_A_QUEUE_STATES_STATES, n * sizeof(*vi));
	if (!a)
		goto cancel;
	vi = nla_data(a);
	for (i = 0; i < n; i++) {
		vq = &d->vqs[first + i];
		vi[i].state = vq->state;
		vi[i].reason = vq->reason;
		vi[i].label = vq->label;
		vi[i].flags = vqn_sm_vq_flags(&g->sm, vq);
		vi[i].assign_seq = vq->assign_seq;
	}
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

void vqn_nl_msg_reply(struct vqn_nl_msg *m, struct genl_info *info)
{
	m->portid = info->snd_portid;
	m->seq = info->snd_seq;
	m->flags = 0;
	m->cmd = info->genlhdr->cmd;
	m->cb = NULL;
}

/* Lookups for do requests */

/* The guest @attr names, visible to @v, with a reference, or NULL. */
static struct vqn_kguest *vqn_nl_guest_find(struct genl_info *info,
					    const struct vqn_nl_viewer *v,
					    int attr)
{
	struct vqn_kguest *g;

	rcu_read_lock();
	g = xa_load(&vqn_guests, nla_get_u32(info->attrs[attr]));
	if (g && !refcount_inc_not_zero(&g->ref))
		g = NULL;
	rcu_read_unlock();
	if (g && !vqn_nl_visible(v, g)) {
		vqn_kguest_put(g);
		g = NULL;
	}
	if (!g)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr],
				    "no such guest");
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
 * The one lookup of every do request about a guest: the guest @guest_attr
 * names, visible to @v, and, when @dev_attr is not 0, its device @dev_attr
 * names, found and locked (the guest's lock, and a reference to the guest).
 * ENOENT, said in the extack, when there is no such thing; EINTR when the
 * caller was killed waiting for the lock (nobody reads the answer). On
 * success the caller ends with vqn_nl_unlock().
 */
int vqn_nl_lock(struct genl_info *info, const struct vqn_nl_viewer *v,
		int guest_attr, int dev_attr, struct vqn_nl_target *t)
{
	int ret;

	t->g = vqn_nl_guest_find(info, v, guest_attr);
	t->d = NULL;
	if (!t->g)
		return -ENOENT;
	ret = vqn_kguest_lock_live(t->g, true);
	if (ret) {
		vqn_kguest_put(t->g);
		if (ret == -ENOENT)
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[guest_attr],
					    "no such guest");
		return ret;
	}
	if (!dev_attr)
		return 0;
	t->d = vqn_nl_dev_find(info, t->g, dev_attr);
	if (t->d)
		return 0;
	mutex_unlock(&t->g->lock);
	vqn_kguest_put(t->g);
	return -ENOENT;
}

void vqn_nl_unlock(struct vqn_nl_target *t)
{
	vqn_monitor_flush(t->g);	/* what the request changed, told */
	mutex_unlock(&t->g->lock);
	vqn_kguest_put(t->g);
}

/* A dump's filters, from its request's attributes, into @ctx. */
static int vqn_nl_dump_filters(struct netlink_callback *cb,
			       struct vqn_nl_dump_ctx *ctx)
{
	const struct genlmsghdr *hdr = nlmsg_data(cb->nlh);
	struct nlattr *guest = NULL, *dev = NULL;
	struct nlattr **attrs;

	attrs = vqn_genl_dump_attrs(cb);
	if (!attrs)	/* a dump without a policy (GUEST_GET) */
		return 0;
	if (hdr->cmd == VQNOTIFY_CMD_DEV_GET) {
		guest = attrs[VQNOTIFY_A_DEV_GUEST_ID];
	} else if (hdr->cmd == VQNOTIFY_CMD_QUEUE_GET) {
		guest = attrs[VQNOTIFY_A_QUEUE_GUEST_ID];
		dev = attrs[VQNOTIFY_A_QUEUE_DEV_ID];
	} else if (hdr->cmd == VQNOTIFY_CMD_QUEUES_GET) {
		guest = attrs[VQNOTIFY_A_QUEUE_STATES_GUEST_ID];
		dev = attrs[VQNOTIFY_A_QUEUE_STATES_DEV_ID];
	}
	if (dev && !guest) {
		NL_SET_ERR_MSG_ATTR(cb->extack, dev,
				    "a device filter needs a guest id");
		return -EINVAL;
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

/*
 * Runs in the requester's context: note who asks and in which namespaces
 * (later parts of the dump run in whoever reads the socket), and the
 * filters. The references to the namespaces are taken last, once nothing
 * can fail: the core calls no done callback when start fails.
 */
int vqnotify_nl_dump_start(struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	int ret;

	ret = vqn_genl_dump_check(cb, vqn_nl_ops, vqn_nl_n_ops);
	if (ret)
		return ret;

	memset(ctx, 0, sizeof(*ctx));
	ctx->admin = netlink_capable(cb->skb, CAP_NET_ADMIN);
	ctx->euid = current_euid();
	ctx->charged = vqn_user_uid(current_cred());
	ret = vqn_nl_dump_filters(cb, ctx);
	if (ret)
		return ret;
	ctx->pid_ns = get_pid_ns(task_active_pid_ns(current));
	ctx->user_ns = get_user_ns(current_user_ns());
	return 0;
}

/* Every dump that started ends here, however it ends. */
int vqnotify_nl_dump_done(struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);

	put_user_ns(ctx->user_ns);
	put_pid_ns(ctx->pid_ns);
	return 0;
}

/*
 * Each part of a dump starts here: the generation of the objects the
 * requester sees as it begins, the host's @gen (of what the dump lists)
 * for an admin, its own euid's for a tenant (vqn_user.h).
 */
void vqn_nl_msg_dump(struct vqn_nl_msg *m, struct netlink_callback *cb,
		     const atomic_t *gen)
{
	const struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);

	m->portid = NETLINK_CB(cb->skb).portid;
	m->seq = cb->nlh->nlmsg_seq;
	m->flags = NLM_F_MULTI;
	m->cmd = ((struct genlmsghdr *)nlmsg_data(cb->nlh))->cmd;
	m->cb = cb;
	cb->seq = ctx->admin ? vqn_gen_read(gen) : vqn_uid_gen_read(ctx->euid);
}

/* Notifications to the monitor group, called with the guest's lock held */

/*
 * A notification that cannot be built is not dropped silently: like
 * rtnetlink, every listener of @group gets ENOBUFS (an overrun) and
 * resynchronises with a dump.
 */
static void vqn_nl_lost_group(struct sk_buff *msg, unsigned int group)
{
	nlmsg_free(msg);
	genl_set_err(&vqnotify_nl_family, &init_net, 0, group, -ENOBUFS);
}

static void vqn_nl_lost(struct sk_buff *msg)
{
	vqn_nl_lost_group(msg, VQNOTIFY_NLGRP_MONITOR);
}

static void vqn_nl_multicast(struct sk_buff *msg)
{
	genlmsg_multicast(&vqnotify_nl_family, msg, 0, VQNOTIFY_NLGRP_MONITOR,
			  GFP_KERNEL);
}

/* QUEUE_NTF for a transition, REFUSAL_NTF (no label) for a refusal. */
static void vqn_nl_notify_queue(struct vqn_kguest *g, struct vqn_dev *d,
				u32 queue, u8 old, u8 new, u8 label, u8 reason)
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
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_DEV_ID, d->id) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_QUEUE, queue) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_OLD_STATE, old) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_NEW_STATE, new) ||
	    (label != VQNOTIFY_LABEL_NONE &&
	     nla_put_u32(msg, VQNOTIFY_A_TRANSITION_LABEL, label)) ||
	    nla_put_u32(msg, VQNOTIFY_A_TRANSITION_REASON, reason) ||
	    nla_put_string(msg, VQNOTIFY_A_TRANSITION_GUEST_NAME, g->name) ||
	    nla_put_string(msg, VQNOTIFY_A_TRANSITION_DEV_NAME,
			   d->name)) {
		vqn_nl_lost(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	vqn_nl_multicast(msg);
}

/* Each group of @obs (VQN_OBS_*) loses a notification. */
static void vqn_nl_lost_obs(struct sk_buff *msg, unsigned int obs)
{
	if (obs & VQN_OBS_MONITOR)
		vqn_nl_lost(NULL);
	if (obs & VQN_OBS_CALLS)
		vqn_nl_lost_group(NULL, VQNOTIFY_NLGRP_CALLS);
	nlmsg_free(msg);
}

/*
 * Notification @cmd about @g, or about its device @d if not NULL, to the
 * monitor group and to the calls group (which tells everything the monitor
 * shows): one message, a clone of it for the second group.
 */
static void vqn_nl_notify(struct vqn_kguest *g, struct vqn_dev *d, u8 cmd)
{
	const struct vqn_nl_msg m = { .cmd = cmd };
	unsigned int obs = vqn_nl_listeners();
	struct sk_buff *msg, *calls = NULL;
	int ret;

	lockdep_assert_held(&g->lock);
	if (!obs)
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return vqn_nl_lost_obs(NULL, obs);
	ret = d ? vqn_nl_msg_dev(msg, &m, g, d) :
		  vqn_nl_msg_guest(msg, &m, g, &vqn_nl_monitor);
	if (ret)
		return vqn_nl_lost_obs(msg, obs);
	if ((obs & (VQN_OBS_MONITOR | VQN_OBS_CALLS)) ==
	    (VQN_OBS_MONITOR | VQN_OBS_CALLS)) {
		calls = skb_clone(msg, GFP_KERNEL);
		if (!calls)
			vqn_nl_lost_group(NULL, VQNOTIFY_NLGRP_CALLS);
	} else if (obs & VQN_OBS_CALLS) {
		swap(msg, calls);
	}
	if (msg)
		vqn_nl_multicast(msg);
	if (calls)
		genlmsg_multicast(&vqnotify_nl_family, calls, 0,
				  VQNOTIFY_NLGRP_CALLS, GFP_KERNEL);
}

/* @cmd: GUEST_ADD_NTF, GUEST_DEL_NTF or GUEST_CHANGE_NTF */
static void vqn_nl_notify_guest(struct vqn_kguest *g, u8 cmd)
{
	vqn_nl_notify(g, NULL, cmd);
}

static void vqn_nl_notify_dev(struct vqn_kguest *g, struct vqn_dev *d,
			      bool add)
{
	vqn_nl_notify(g, d, add ? VQNOTIFY_CMD_DEV_ADD_NTF :
				  VQNOTIFY_CMD_DEV_DEL_NTF);
}

/*
 * The memory of the calls group's big messages, kept for the next ones:
 * a call on more than about 950 queues (8 KiB of results for 1024) makes
 * a message that kmalloc() takes from the page allocator, 16 KiB, which
 * init_on_alloc (Debian's default) zeroes, for each message. Each CPU keeps
 * two such pages (a reset and the DRIVER_OK after it) and uses one again
 * once every listener has read the message in it: the page's only
 * reference is then the pool's own (the skb's head is a page fragment,
 * freed with page_frag_free()). A listener that has not read yet leaves
 * the page busy, and the message gets a new one, as before. Like every
 * message to listeners ("DOC: Locking"), the pages are charged to no
 * tenant's memory cgroup: 32 KiB for each CPU that sent such a message,
 * kept until the module is unloaded.
 */
#define VQN_NL_POOL_ORDER	2
#define VQN_NL_POOL_SIZE	(PAGE_SIZE << VQN_NL_POOL_ORDER)
#define VQN_NL_POOL_PAGES	2

struct vqn_nl_pool {
	local_lock_t lock;
	struct page *page[VQN_NL_POOL_PAGES];
	unsigned int next;	/* the slot a new page replaces */
};

static DEFINE_PER_CPU(struct vqn_nl_pool, vqn_nl_pool) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

/* A free page of the pool, with a reference for the message, or NULL. */
static void *vqn_nl_pool_get(void)
{
	struct vqn_nl_pool *pool;
	void *data = NULL;
	int i;

	local_lock(&vqn_nl_pool.lock);
	pool = this_cpu_ptr(&vqn_nl_pool);
	for (i = 0; i < VQN_NL_POOL_PAGES; i++) {
		struct page *page = pool->page[i];

		/*
		 * The last reader's put_page() is a fully ordered atomic,
		 * after its reads: the new message's writes, ordered after
		 * the count read here, come after them.
		 */
		if (page && page_count(page) == 1) {
			smp_acquire__after_ctrl_dep();
			get_page(page);
			data = page_address(page);
			break;
		}
	}
	local_unlock(&vqn_nl_pool.lock);
	return data;
}

/* @page, new, with the message's reference: the pool keeps it too. */
static void vqn_nl_pool_put_new(struct page *page)
{
	struct vqn_nl_pool *pool;
	struct page *old;

	local_lock(&vqn_nl_pool.lock);
	pool = this_cpu_ptr(&vqn_nl_pool);
	old = pool->page[pool->next];
	pool->page[pool->next] = page;
	pool->next = (pool->next + 1) % VQN_NL_POOL_PAGES;
	get_page(page);
	local_unlock(&vqn_nl_pool.lock);
	if (old)	/* freed now, or with the last message in it */
		page_frag_free(page_address(old));
}

/*
 * At the module's exit: nothing sends a big message any more (the
 * promotion work, which may still run, sends held transitions only, 2 KiB
 * at most). A page a listener has not read yet is freed with its message.
 */
static void vqn_nl_pool_drain(void)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct vqn_nl_pool *pool = per_cpu_ptr(&vqn_nl_pool, cpu);

		for (i = 0; i < VQN_NL_POOL_PAGES; i++) {
			if (pool->page[i])
				page_frag_free(page_address(pool->page[i]));
			pool->page[i] = NULL;
		}
	}
}

/*
 * A message of @payload bytes for the calls group, exactly: genlmsg_new()'s,
 * or for one too big for the slab, from the pool.
 */
static struct sk_buff *vqn_nl_call_msg_new(size_t payload)
{
	size_t shinfo = SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	size_t len = nlmsg_total_size(genlmsg_total_size(payload));
	size_t end = VQN_NL_POOL_SIZE - shinfo;
	struct sk_buff *msg;
	struct page *page;
	void *data;

	/*
	 * Only if netlink_trim() leaves it in the page: it copies a message
	 * whose tailroom is half its truesize or more into a smaller head,
	 * which would cost what the pool saves. On x86-64 every message too
	 * big for the slab passes, sized exactly.
	 */
	if (SKB_DATA_ALIGN(len) + shinfo <= KMALLOC_MAX_CACHE_SIZE ||
	    len > end || 2 * (end - len) >= SKB_TRUESIZE(end))
		return genlmsg_new(payload, GFP_KERNEL);
	data = vqn_nl_pool_get();
	if (!data) {
		/*
		 * Not from the reserves: a pfmemalloc page would mark every
		 * message built on it for sockets of memory reclaim only.
		 */
		page = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_NOWARN |
				   __GFP_NORETRY | __GFP_NOMEMALLOC,
				   VQN_NL_POOL_ORDER);
		if (!page)
			return genlmsg_new(payload, GFP_KERNEL);
		vqn_nl_pool_put_new(page);
		data = page_address(page);
	}
	msg = build_skb(data, VQN_NL_POOL_SIZE);
	if (!msg)
		page_frag_free(data);
	return msg;
}

/*
 * CALL_NTF: a call's results in one message, without the guest's lock; or
 * (@async) transitions no call asked for, under it.
 */
static void vqn_nl_notify_call(u32 guest_id, const char *guest_name,
			       u32 dev_id, const char *dev_name,
			       const struct vqnotify_vq_result *res, u32 nr,
			       bool async)
{
	size_t len = nr * sizeof(*res);
	struct sk_buff *msg;
	void *hdr;

	/* Its exact size: see vqn_nl_call_msg_new(). */
	msg = vqn_nl_call_msg_new(2 * nla_total_size(sizeof(u32)) +
				  nla_total_size(strlen(guest_name) + 1) +
				  nla_total_size(strlen(dev_name) + 1) +
				  nla_total_size(len) +
				  (async ? nla_total_size(0) : 0));
	if (!msg)
		return vqn_nl_lost_group(NULL, VQNOTIFY_NLGRP_CALLS);
	hdr = genlmsg_put(msg, 0, 0, &vqnotify_nl_family, 0,
			  VQNOTIFY_CMD_CALL_NTF);
	if (!hdr ||
	    nla_put_u32(msg, VQNOTIFY_A_CALL_GUEST_ID, guest_id) ||
	    nla_put_u32(msg, VQNOTIFY_A_CALL_DEV_ID, dev_id) ||
	    nla_put_string(msg, VQNOTIFY_A_CALL_GUEST_NAME, guest_name) ||
	    nla_put_string(msg, VQNOTIFY_A_CALL_DEV_NAME, dev_name) ||
	    nla_put(msg, VQNOTIFY_A_CALL_RESULTS, len, res) ||
	    (async && nla_put_flag(msg, VQNOTIFY_A_CALL_ASYNC))) {
		vqn_nl_lost_group(msg, VQNOTIFY_NLGRP_CALLS);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&vqnotify_nl_family, msg, 0, VQNOTIFY_NLGRP_CALLS,
			  GFP_KERNEL);
}

/* The misc device's reports reach the monitor groups through these. */
static const struct vqn_monitor_ops vqn_nl_monitor_ops = {
	.listeners = vqn_nl_listeners,	/* its copy, for vqn_event.c */
	.queue = vqn_nl_notify_queue,
	.call = vqn_nl_notify_call,
	.guest = vqn_nl_notify_guest,
	.dev = vqn_nl_notify_dev,
};

/*
 * @ops: the family's ops table (netlink-gen.c), from the module's init:
 * registered with the family, and the misc device's reports reach the
 * monitor group from then on.
 */
int vqn_nl_init(const struct genl_split_ops *ops, unsigned int n_ops)
{
	int ret;

	vqn_nl_ops = ops;
	vqn_nl_n_ops = n_ops;
	ret = vqn_genl_register_family(&vqnotify_nl_family, ops, n_ops);
	if (!ret)
		vqn_monitor_set(&vqn_nl_monitor_ops);
	return ret;
}

void vqn_nl_exit(void)
{
	vqn_genl_unregister_family(&vqnotify_nl_family);
	vqn_nl_pool_drain();
}

MODULE_ALIAS_GENL_FAMILY(VQNOTIFY_FAMILY_NAME);
