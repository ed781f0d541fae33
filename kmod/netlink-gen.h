/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vqnotify.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_VQNOTIFY_GEN_H
#define _LINUX_VQNOTIFY_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/vqnotify_netlink.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>

/* Ops table for vqnotify */
extern const struct genl_split_ops vqnotify_nl_ops[16];

int vqnotify_nl_dump_start(struct netlink_callback *cb);
int vqnotify_nl_dump_done(struct netlink_callback *cb);

int vqnotify_nl_guest_get_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_guest_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int vqnotify_nl_guest_set_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_dev_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int vqnotify_nl_queue_get_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_queue_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int vqnotify_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_user_get_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_user_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int vqnotify_nl_policy_set_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_policy_get_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_policy_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int vqnotify_nl_policy_del_doit(struct sk_buff *skb, struct genl_info *info);
int vqnotify_nl_queues_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);

enum {
	VQNOTIFY_NLGRP_MONITOR,
	VQNOTIFY_NLGRP_CALLS,
};

#endif /* _LINUX_VQNOTIFY_GEN_H */
