// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify netlink: GUEST_GET, DEV_GET and QUEUE_GET (do and dump), and the
 * admin's GUEST_SET. The family and its messages are vqn_nl.c's.
 *
 * Every handler finds and locks what it is about the same way: a do request
 * with vqn_nl_lock() and vqn_nl_unlock(), a dump with vqn_nl_dump_guests().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/nospec.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>

#include "vqn_nl.h"

/* do: GUEST_GET, DEV_GET, QUEUE_GET */

/*
 * The reply to a GET: one message about the guest (and device) @info names,
 * of the command's kind; @index_attr names the queue of QUEUE_GET.
 */
static int vqn_nl_get_doit(struct sk_buff *skb, struct genl_info *info,
			   int guest_attr, int dev_attr,
			   struct nlattr *index_attr)
{
	struct vqn_nl_target t;
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct sk_buff *msg;
	u32 index;
	int ret;

	vqn_nl_viewer_of(&v, skb);
	vqn_nl_msg_reply(&m, info);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;

	ret = vqn_nl_lock(info, &v, guest_attr, dev_attr, &t);
	if (!ret) {
		if (!t.d) {
			ret = vqn_nl_msg_guest(msg, &m, t.g, &v);
		} else if (!index_attr) {
			ret = vqn_nl_msg_dev(msg, &m, t.g, t.d);
		} else {
			index = nla_get_u32(index_attr);
			if (index < t.d->num_queues) {
				index = array_index_nospec(index,
							   t.d->num_queues);
				ret = vqn_nl_msg_queue(msg, &m, t.g, t.d,
						       index);
			} else {
				NL_SET_ERR_MSG_ATTR(info->extack, index_attr,
						    "no such queue");
				ret = -ENOENT;
			}
		}
		vqn_nl_unlock(&t);
	}
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

int vqnotify_nl_guest_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (VQN_NL_MISSING(info, VQNOTIFY_A_GUEST_ID, "missing guest id"))
		return -EINVAL;
	return vqn_nl_get_doit(skb, info, VQNOTIFY_A_GUEST_ID, 0, NULL);
}

int vqnotify_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (VQN_NL_MISSING(info, VQNOTIFY_A_DEV_GUEST_ID, "missing guest id") ||
	    VQN_NL_MISSING(info, VQNOTIFY_A_DEV_ID, "missing device id"))
		return -EINVAL;
	return vqn_nl_get_doit(skb, info, VQNOTIFY_A_DEV_GUEST_ID,
			       VQNOTIFY_A_DEV_ID, NULL);
}

int vqnotify_nl_queue_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (VQN_NL_MISSING(info, VQNOTIFY_A_QUEUE_GUEST_ID, "missing guest id") ||
	    VQN_NL_MISSING(info, VQNOTIFY_A_QUEUE_DEV_ID, "missing device id") ||
	    VQN_NL_MISSING(info, VQNOTIFY_A_QUEUE_INDEX, "missing queue index"))
		return -EINVAL;
	return vqn_nl_get_doit(skb, info, VQNOTIFY_A_QUEUE_GUEST_ID,
			       VQNOTIFY_A_QUEUE_DEV_ID,
			       info->attrs[VQNOTIFY_A_QUEUE_INDEX]);
}

/* dump: GUEST_GET, DEV_GET, QUEUE_GET */

/*
 * Should the dump include guest @id (under RCU: only its uid is read)? Moves
 * the cursor to a new guest.
 */
static bool vqn_nl_dump_guest(struct vqn_nl_dump_ctx *ctx, unsigned long id,
			      struct vqn_kguest *g)
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

/*
 * @fill adds the messages about one guest, locked, from the cursor on, and
 * moves the cursor past what it added.
 */
typedef int (*vqn_nl_dump_fill_t)(struct sk_buff *skb,
				  struct vqn_nl_dump_ctx *ctx,
				  const struct vqn_nl_msg *m,
				  const struct vqn_nl_viewer *v,
				  struct vqn_kguest *g);

struct vqn_nl_dump_walk {
	struct sk_buff *skb;
	struct vqn_nl_dump_ctx *ctx;
	const struct vqn_nl_msg *m;
	const struct vqn_nl_viewer *v;
	vqn_nl_dump_fill_t fill;
};

static bool vqn_nl_dump_want(void *arg, unsigned long id,
			     struct vqn_kguest *g)
{
	struct vqn_nl_dump_walk *w = arg;

	return vqn_nl_dump_guest(w->ctx, id, g);
}

static int vqn_nl_dump_fill(void *arg, struct vqn_kguest *g)
{
	struct vqn_nl_dump_walk *w = arg;

	return w->fill(w->skb, w->ctx, w->m, w->v, g);
}

/* The requester's guests from the cursor on, one locked at a time. */
static int vqn_nl_dump_guests(struct sk_buff *skb, struct netlink_callback *cb,
			      vqn_nl_dump_fill_t fill)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_nl_dump_walk w = { skb, ctx, &m, &v, fill };
	unsigned long id = ctx->guest_id;

	vqn_nl_viewer_of_dump(&v, ctx);
	vqn_nl_msg_dump(&m, cb, &vqn_objects_gen);
	return vqn_nl_dump_ret(skb, vqn_guests_each(&id, vqn_nl_dump_want,
						     vqn_nl_dump_fill, &w,
						     true));
}

static int vqn_nl_dump_fill_guest(struct sk_buff *skb,
				  struct vqn_nl_dump_ctx *ctx,
				  const struct vqn_nl_msg *m,
				  const struct vqn_nl_viewer *v,
				  struct vqn_kguest *g)
{
	int ret = vqn_nl_msg_guest(skb, m, g, v);

	if (!ret)
		ctx->guest_id = g->id + 1;
	return ret;
}

int vqnotify_nl_guest_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	return vqn_nl_dump_guests(skb, cb, vqn_nl_dump_fill_guest);
}

static int vqn_nl_dump_fill_devs(struct sk_buff *skb,
				 struct vqn_nl_dump_ctx *ctx,
				 const struct vqn_nl_msg *m,
				 const struct vqn_nl_viewer *v,
				 struct vqn_kguest *g)
{
	unsigned long dev_id;
	struct vqn_dev *d;
	int ret;

	xa_for_each_start(&g->devs, dev_id, d, ctx->dev_id) {
		ret = vqn_nl_msg_dev(skb, m, g, d);
		if (ret)
			return ret;
		ctx->dev_id = dev_id + 1;
	}
	return 0;
}

int vqnotify_nl_dev_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	return vqn_nl_dump_guests(skb, cb, vqn_nl_dump_fill_devs);
}

/*
 * QUEUE_GET: one message per queue; QUEUES_GET (@packed): one per device,
 * per 256 queues of a bigger one (2 KiB of states). A device of 1024
 * queues spans several skbs, so the cursor is (guest, device, index of
 * the next message's first queue).
 */
#define VQN_NL_STATES	256

static int vqn_nl_dump_fill_devq(struct sk_buff *skb,
				 struct vqn_nl_dump_ctx *ctx,
				 const struct vqn_nl_msg *m,
				 struct vqn_kguest *g, bool packed)
{
	unsigned long dev_id;
	struct vqn_dev *d;
	u32 n = 1;
	int ret;

	xa_for_each_start(&g->devs, dev_id, d, ctx->dev_id) {
		if (ctx->dev_filter && dev_id != ctx->want_dev)
			break;
		if (dev_id != ctx->dev_id) {
			ctx->dev_id = dev_id;
			ctx->index = 0;
		}
		while (ctx->index < d->num_queues) {
			if (packed) {
				n = min_t(u32, d->num_queues - ctx->index,
					  VQN_NL_STATES);
				ret = vqn_nl_msg_states(skb, m, g, d,
							ctx->index, n);
			} else {
				ret = vqn_nl_msg_queue(skb, m, g, d,
						       ctx->index);
			}
			if (ret)
				return ret;
			ctx->index += n;
		}
	}
	return 0;
}

static int vqn_nl_dump_fill_queues(struct sk_buff *skb,
				   struct vqn_nl_dump_ctx *ctx,
				   const struct vqn_nl_msg *m,
				   const struct vqn_nl_viewer *v,
				   struct vqn_kguest *g)
{
	return vqn_nl_dump_fill_devq(skb, ctx, m, g, false);
}

int vqnotify_nl_queue_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	return vqn_nl_dump_guests(skb, cb, vqn_nl_dump_fill_queues);
}

static int vqn_nl_dump_fill_states(struct sk_buff *skb,
				   struct vqn_nl_dump_ctx *ctx,
				   const struct vqn_nl_msg *m,
				   const struct vqn_nl_viewer *v,
				   struct vqn_kguest *g)
{
	return vqn_nl_dump_fill_devq(skb, ctx, m, g, true);
}

int vqnotify_nl_queues_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	return vqn_nl_dump_guests(skb, cb, vqn_nl_dump_fill_states);
}

/* Admin: GUEST_SET */

int vqnotify_nl_guest_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *budget = info->attrs[VQNOTIFY_A_GUEST_ADMIN_BUDGET];
	struct nlattr *reserve = info->attrs[VQNOTIFY_A_GUEST_VHOST_RESERVE];
	struct vqn_nl_target t;
	struct vqn_kguest *g;
	int ret;

	if (VQN_NL_MISSING(info, VQNOTIFY_A_GUEST_ID, "missing guest id"))
		return -EINVAL;
	if (!budget && !reserve) {
		GENL_SET_ERR_MSG(info, "nothing to set");
		return -EINVAL;
	}
	/* After a killed policy change's walk, which would undo it. */
	ret = vqn_kguests_walk_wait();
	if (ret)
		return ret;

	ret = vqn_nl_lock(info, &vqn_nl_monitor, VQNOTIFY_A_GUEST_ID, 0, &t);
	if (ret)
		return ret;
	g = t.g;
	if ((reserve ? nla_get_u32(reserve) : g->sm.vhost_reserve) >
	    (budget ? nla_get_u32(budget) : g->sm.admin_budget)) {
		NL_SET_ERR_MSG_ATTR(info->extack, reserve ? reserve : budget,
				    "the vhost reserve may not exceed the admin budget");
		ret = -EINVAL;
	} else if (vqn_monitor_wait(g)) {
		/* Killed waiting for the guest's ntf_lock: nothing changed. */
		ret = -EINTR;
	} else {
		vqn_sm_set_limits(&g->sm,
				  budget ? nla_get_u32(budget) :
					   g->sm.admin_budget,
				  g->sm.own_budget,
				  reserve ? nla_get_u32(reserve) :
					    g->sm.vhost_reserve,
				  g->sm.threshold);
		g->admin_set = true;
		vqn_event_budget(g);
	}
	vqn_nl_unlock(&t);
	return ret;
}
