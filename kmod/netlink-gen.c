// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vqnotify.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/vqnotify_netlink.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>
#include <linux/vqnotify.h>

/* Integer value ranges */
static const struct netlink_range_validation vqnotify_a_guest_admin_budget_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_guest_vhost_reserve_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_config_default_budget_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_config_threshold_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_config_vhost_reserve_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_config_host_cap_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_config_user_max_guests_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_config_user_max_devices_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_config_user_max_queues_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_config_user_max_slots_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_policy_budget_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_policy_vhost_reserve_range = {
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_policy_max_guests_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_policy_max_devices_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_policy_max_queues_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

static const struct netlink_range_validation vqnotify_a_policy_max_slots_range = {
	.min	= 1ULL,
	.max	= S32_MAX,
};

/* VQNOTIFY_CMD_GUEST_GET - do */
static const struct nla_policy vqnotify_guest_get_nl_policy[VQNOTIFY_A_GUEST_ID + 1] = {
	[VQNOTIFY_A_GUEST_ID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_GUEST_SET - do */
static const struct nla_policy vqnotify_guest_set_nl_policy[VQNOTIFY_A_GUEST_VHOST_RESERVE + 1] = {
	[VQNOTIFY_A_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_GUEST_ADMIN_BUDGET] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_guest_admin_budget_range),
	[VQNOTIFY_A_GUEST_VHOST_RESERVE] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_guest_vhost_reserve_range),
};

/* VQNOTIFY_CMD_DEV_GET - do */
static const struct nla_policy vqnotify_dev_get_do_nl_policy[VQNOTIFY_A_DEV_ID + 1] = {
	[VQNOTIFY_A_DEV_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_DEV_ID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_DEV_GET - dump */
static const struct nla_policy vqnotify_dev_get_dump_nl_policy[VQNOTIFY_A_DEV_GUEST_ID + 1] = {
	[VQNOTIFY_A_DEV_GUEST_ID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_QUEUE_GET - do */
static const struct nla_policy vqnotify_queue_get_do_nl_policy[VQNOTIFY_A_QUEUE_INDEX + 1] = {
	[VQNOTIFY_A_QUEUE_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_QUEUE_DEV_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_QUEUE_INDEX] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_QUEUE_GET - dump */
static const struct nla_policy vqnotify_queue_get_dump_nl_policy[VQNOTIFY_A_QUEUE_DEV_ID + 1] = {
	[VQNOTIFY_A_QUEUE_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_QUEUE_DEV_ID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_CONFIG_SET - do */
static const struct nla_policy vqnotify_config_set_nl_policy[VQNOTIFY_A_CONFIG_USER_MAX_SLOTS + 1] = {
	[VQNOTIFY_A_CONFIG_DEFAULT_BUDGET] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_config_default_budget_range),
	[VQNOTIFY_A_CONFIG_THRESHOLD] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_config_threshold_range),
	[VQNOTIFY_A_CONFIG_VHOST_RESERVE] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_config_vhost_reserve_range),
	[VQNOTIFY_A_CONFIG_HOST_CAP] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_config_host_cap_range),
	[VQNOTIFY_A_CONFIG_USER_MAX_GUESTS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_config_user_max_guests_range),
	[VQNOTIFY_A_CONFIG_USER_MAX_DEVICES] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_config_user_max_devices_range),
	[VQNOTIFY_A_CONFIG_USER_MAX_QUEUES] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_config_user_max_queues_range),
	[VQNOTIFY_A_CONFIG_USER_MAX_SLOTS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_config_user_max_slots_range),
};

/* VQNOTIFY_CMD_USER_GET - do */
static const struct nla_policy vqnotify_user_get_nl_policy[VQNOTIFY_A_USER_UID + 1] = {
	[VQNOTIFY_A_USER_UID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_POLICY_SET - do */
static const struct nla_policy vqnotify_policy_set_nl_policy[VQNOTIFY_A_POLICY_MAX_SLOTS + 1] = {
	[VQNOTIFY_A_POLICY_NAME] = { .type = NLA_NUL_STRING, .len = 127, },
	[VQNOTIFY_A_POLICY_UID] = { .type = NLA_U32, },
	[VQNOTIFY_A_POLICY_BUDGET] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_policy_budget_range),
	[VQNOTIFY_A_POLICY_VHOST_RESERVE] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_policy_vhost_reserve_range),
	[VQNOTIFY_A_POLICY_MAX_GUESTS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_policy_max_guests_range),
	[VQNOTIFY_A_POLICY_MAX_DEVICES] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_policy_max_devices_range),
	[VQNOTIFY_A_POLICY_MAX_QUEUES] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_policy_max_queues_range),
	[VQNOTIFY_A_POLICY_MAX_SLOTS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vqnotify_a_policy_max_slots_range),
};

/* VQNOTIFY_CMD_POLICY_GET - do */
static const struct nla_policy vqnotify_policy_get_nl_policy[VQNOTIFY_A_POLICY_UID + 1] = {
	[VQNOTIFY_A_POLICY_NAME] = { .type = NLA_NUL_STRING, .len = 127, },
	[VQNOTIFY_A_POLICY_UID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_POLICY_DEL - do */
static const struct nla_policy vqnotify_policy_del_nl_policy[VQNOTIFY_A_POLICY_UID + 1] = {
	[VQNOTIFY_A_POLICY_NAME] = { .type = NLA_NUL_STRING, .len = 127, },
	[VQNOTIFY_A_POLICY_UID] = { .type = NLA_U32, },
};

/* VQNOTIFY_CMD_QUEUES_GET - dump */
static const struct nla_policy vqnotify_queues_get_nl_policy[VQNOTIFY_A_QUEUE_STATES_DEV_ID + 1] = {
	[VQNOTIFY_A_QUEUE_STATES_GUEST_ID] = { .type = NLA_U32, },
	[VQNOTIFY_A_QUEUE_STATES_DEV_ID] = { .type = NLA_U32, },
};

/* Ops table for vqnotify */
const struct genl_split_ops vqnotify_nl_ops[16] = {
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
		.done	= vqnotify_nl_dump_done,
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
		.done		= vqnotify_nl_dump_done,
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
		.done		= vqnotify_nl_dump_done,
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
		.done	= vqnotify_nl_dump_done,
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
		.done	= vqnotify_nl_dump_done,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VQNOTIFY_CMD_POLICY_DEL,
		.doit		= vqnotify_nl_policy_del_doit,
		.policy		= vqnotify_policy_del_nl_policy,
		.maxattr	= VQNOTIFY_A_POLICY_UID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VQNOTIFY_CMD_QUEUES_GET,
		.start		= vqnotify_nl_dump_start,
		.dumpit		= vqnotify_nl_queues_get_dumpit,
		.done		= vqnotify_nl_dump_done,
		.policy		= vqnotify_queues_get_nl_policy,
		.maxattr	= VQNOTIFY_A_QUEUE_STATES_DEV_ID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
};

static const struct genl_multicast_group vqnotify_nl_mcgrps[] = {
	[VQNOTIFY_NLGRP_MONITOR] = { "monitor", },
	[VQNOTIFY_NLGRP_CALLS] = { "calls", },
};
