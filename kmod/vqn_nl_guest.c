// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify netlink: GUEST_GET, DEV_GET and QUEUE_GET (do and dump), and the
 * admin's GUEST_SET. The family and its messages are vqn_nl.c's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>

#include "vqn_nl.h"

/* do: GUEST_GET, DEV_GET, QUEUE_GET */

int vqnotify_nl_guest_get_doit(struct sk_buff *skb,
			       struct genl_info *info)
{
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_kguest *g;
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

int vqnotify_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_kguest *g;
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

int vqnotify_nl_queue_get_doit(struct sk_buff *skb,
			       struct genl_info *info)
{
	struct nlattr *index_attr = info->attrs[VQNOTIFY_A_QUEUE_INDEX];
	struct vqn_nl_viewer v;
	struct vqn_nl_msg m;
	struct vqn_kguest *g;
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

/* Should the dump include guest @id? Moves the cursor to a new guest. */
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

int vqnotify_nl_guest_get_dumpit(struct sk_buff *skb,
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
	struct vqn_kguest *g;
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

int vqnotify_nl_dev_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_msg m;
	struct vqn_kguest *g;
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
int vqnotify_nl_queue_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct vqn_nl_dump_ctx *ctx = vqn_nl_dump_ctx(cb);
	struct vqn_nl_msg m;
	struct vqn_kguest *g;
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

int vqnotify_nl_guest_set_doit(struct sk_buff *skb,
			       struct genl_info *info)
{
	struct nlattr *budget = info->attrs[VQNOTIFY_A_GUEST_ADMIN_BUDGET];
	struct nlattr *reserve = info->attrs[VQNOTIFY_A_GUEST_VHOST_RESERVE];
	struct vqn_kguest *g;

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
	vqn_event_budget(g);
	mutex_unlock(&g->lock);
	mutex_unlock(&vqn_guests_lock);
	return 0;
}
