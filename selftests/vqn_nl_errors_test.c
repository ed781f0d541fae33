// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vqnotify", refusing: what an unprivileged
 * user may not do or see, requests the policy rejects (each with its
 * errno) and unknown objects (ENOENT). The working paths are in
 * vqnotify_nl_test.
 */
#define _GNU_SOURCE

#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

TK_NL_FIXTURE(genl)

/* Unprivileged users: EPERM for admin ops, nothing of other users' guests */

static int nobody_guest_set(void *arg)
{
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	return -_test_nl_guest_set_one(&nl, *(uint32_t *)arg,
			   VQNOTIFY_A_GUEST_ADMIN_BUDGET, 1);
}

static int nobody_config_set(void *arg)
{
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	return -_test_nl_config_set_one(&nl, VQNOTIFY_A_CONFIG_THRESHOLD, 1);
}

static int nobody_monitor(void *arg)
{
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	return -tk_nl_join(&nl, nl.monitor);
}

static int nobody_guest_get(void *arg)
{
	struct tk_nl_guest g;
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	return -_test_nl_guest_get(&nl, *(uint32_t *)arg, &g);
}

static int nobody_config_get(void *arg)
{
	struct tk_nl_config c;
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	if (_test_nl_config_get(&nl, &c))
		return 1;
	return c.host_cap == ~0U || c.nr_guests == ~0U ? 2 : 0;
}

/* How many messages a filtered dev or queue dump of guest @arg returns. */
static int nobody_dumps(void *arg)
{
	struct tk_nl_queue q[8];
	struct tk_nl_queues qr = { .cap = 8, .q = q };
	struct tk_nl_devs dr = {};
	struct tk_nlreq r;
	struct tk_nl nl;

	if (tk_nl_open(&nl))
		return 254;
	tk_nl_req(&nl, &r, VQNOTIFY_CMD_DEV_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_DEV_GUEST_ID, *(uint32_t *)arg);
	if (tk_nl_talk(&nl, &r, tk_nl_devs_cb, &dr)) {
		tk_nl_close(&nl);
		return 253;
	}
	tk_nl_req(&nl, &r, VQNOTIFY_CMD_QUEUE_GET, true);
	tk_nlreq_u32(&r, VQNOTIFY_A_QUEUE_GUEST_ID, *(uint32_t *)arg);
	if (tk_nl_talk(&nl, &r, tk_nl_queues_cb, &qr)) {
		tk_nl_close(&nl);
		return 252;
	}
	tk_nl_close(&nl);
	return dr.n + qr.n;
}

/*
 * As nobody (with CAP_DAC_OVERRIDE only, to open /dev/vqnotify): its own
 * guest is in the dump and readable, root's guest @arg is neither.
 * Returns a bit per failed expectation.
 */
static int nobody_own_guest(void *arg)
{
	struct vqnotify_guest_info gi;
	struct tk_nl_guest g;
	struct tk_nl nl;
	int fd, ret = 0;

	if (tk_nl_open(&nl))
		return 254;
	fd = tk_open(O_NONBLOCK);
	if (fd < 0 || _test_ioctl_guest_get(fd, &gi))
		return 253;
	if (tk_nl_guest_visible(&nl, gi.guest_id, NULL) != 1)
		ret |= 1;
	if (tk_nl_guest_visible(&nl, *(uint32_t *)arg, NULL) != 0)
		ret |= 2;
	if (_test_nl_guest_get(&nl, gi.guest_id, &g) || g.uid != TK_NOBODY)
		ret |= 4;
	if (_test_nl_guest_get(&nl, *(uint32_t *)arg, &g) != -ENOENT)
		ret |= 8;
	if (_test_nl_guest_set_one(&nl, gi.guest_id,
		       VQNOTIFY_A_GUEST_ADMIN_BUDGET, 1) != -EPERM)
		ret |= 16;
	close(fd);
	return ret;
}

TEST_F(genl, nobody_guest_set_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, tk_run_as_nobody(0, nobody_guest_set, &self->guest));
}

TEST_F(genl, nobody_config_set_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, tk_run_as_nobody(0, nobody_config_set, NULL));
}

TEST_F(genl, nobody_monitor_eperm)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(EPERM, tk_run_as_nobody(0, nobody_monitor, NULL));
}

TEST_F(genl, nobody_guest_get_enoent)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(ENOENT, tk_run_as_nobody(0, nobody_guest_get, &self->guest));
}

TEST_F(genl, nobody_config_get_allowed)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(0, tk_run_as_nobody(0, nobody_config_get, NULL));
}

TEST_F(genl, nobody_dumps_hide_others)
{
	uint32_t dev;

	if (geteuid())
		SKIP(return, "needs root");
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "net0", &dev);
	EXPECT_EQ(0, tk_run_as_nobody(0, nobody_dumps, &self->guest));
	/* Root sees them: the filter is not what hides them. */
	EXPECT_EQ(5, nobody_dumps(&self->guest));
}

TEST_F(genl, nobody_sees_own_guest)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(0, tk_run_as_nobody(TK_CAP_DAC, nobody_own_guest, &self->guest));
}

/* Bad requests: each rejected, with the errno the policy gives */

/* A required attribute missing: refused naming it, with a message. */
TEST_F(genl, guest_get_no_id_einval)
{
	test_err_nl_missing(VQNOTIFY_A_GUEST_ID, "missing guest id",
			    VQNOTIFY_CMD_GUEST_GET);
}

TEST_F(genl, dev_get_no_guest_einval)
{
	test_err_nl_missing(VQNOTIFY_A_DEV_GUEST_ID, "missing guest id",
			    VQNOTIFY_CMD_DEV_GET, { VQNOTIFY_A_DEV_ID, 1 });
}

TEST_F(genl, dev_get_no_id_einval)
{
	test_err_nl_missing(VQNOTIFY_A_DEV_ID, "missing device id",
			    VQNOTIFY_CMD_DEV_GET,
			    { VQNOTIFY_A_DEV_GUEST_ID, self->guest });
}

TEST_F(genl, queue_get_no_guest_einval)
{
	test_err_nl_missing(VQNOTIFY_A_QUEUE_GUEST_ID, "missing guest id",
			    VQNOTIFY_CMD_QUEUE_GET,
			    { VQNOTIFY_A_QUEUE_DEV_ID, 1 },
			    { VQNOTIFY_A_QUEUE_INDEX, 0 });
}

TEST_F(genl, queue_get_no_dev_einval)
{
	test_err_nl_missing(VQNOTIFY_A_QUEUE_DEV_ID, "missing device id",
			    VQNOTIFY_CMD_QUEUE_GET,
			    { VQNOTIFY_A_QUEUE_GUEST_ID, self->guest },
			    { VQNOTIFY_A_QUEUE_INDEX, 0 });
}

TEST_F(genl, queue_get_no_index_einval)
{
	test_err_nl_missing(VQNOTIFY_A_QUEUE_INDEX, "missing queue index",
			    VQNOTIFY_CMD_QUEUE_GET,
			    { VQNOTIFY_A_QUEUE_GUEST_ID, self->guest },
			    { VQNOTIFY_A_QUEUE_DEV_ID, 1 });
}

TEST_F(genl, guest_set_no_id_einval)
{
	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_missing(VQNOTIFY_A_GUEST_ID, "missing guest id",
			    VQNOTIFY_CMD_GUEST_SET,
			    { VQNOTIFY_A_GUEST_ADMIN_BUDGET, 1 });
}

TEST_F(genl, user_get_no_uid_einval)
{
	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_missing(VQNOTIFY_A_USER_UID, "missing uid",
			    VQNOTIFY_CMD_USER_GET);
}

TEST_F(genl, guest_get_short_id_einval)
{
	uint16_t id = self->guest;
	struct tk_nlreq r;

	tk_nl_req(&self->nl, &r, VQNOTIFY_CMD_GUEST_GET, false);
	tk_nlreq_put(&r, VQNOTIFY_A_GUEST_ID, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, tk_nl_talk(&self->nl, &r, NULL, NULL));
}

TEST_F(genl, guest_get_unknown_attr_einval)
{
	test_err_nl_call(EINVAL, VQNOTIFY_CMD_GUEST_GET, false,
			 { VQNOTIFY_A_GUEST_ID, self->guest },
			 { VQNOTIFY_A_GUEST_MAX + 10, 1 });
}

/* config-get reads no attribute: one is refused, on 6.12 as on 6.1. */
TEST_F(genl, config_get_attr_einval)
{
	test_err_nl_call(EINVAL, VQNOTIFY_CMD_CONFIG_GET, false,
			 { VQNOTIFY_A_CONFIG_THRESHOLD, 1 });
}

/* An attribute of the set, but not of this request. */
TEST_F(genl, guest_get_foreign_attr_einval)
{
	test_err_nl_call(EINVAL, VQNOTIFY_CMD_GUEST_GET, false,
			 { VQNOTIFY_A_GUEST_ID, self->guest },
			 { VQNOTIFY_A_GUEST_BUDGET, 1 });
}

TEST_F(genl, guest_dump_attr_einval)
{
	test_err_nl_call(EINVAL, VQNOTIFY_CMD_GUEST_GET, true,
			 { VQNOTIFY_A_GUEST_ID, self->guest });
}

/* dev-id belongs to dev-get's do request, not to its dump. */
TEST_F(genl, dev_dump_dev_id_einval)
{
	test_err_nl_call(EINVAL, VQNOTIFY_CMD_DEV_GET, true,
			 { VQNOTIFY_A_DEV_GUEST_ID, self->guest },
			 { VQNOTIFY_A_DEV_ID, 1 });
}

TEST_F(genl, queue_dump_dev_without_guest_einval)
{
	test_err_nl_call(EINVAL, VQNOTIFY_CMD_QUEUE_GET, true,
			 { VQNOTIFY_A_QUEUE_DEV_ID, 1 });
}

TEST_F(genl, config_set_empty_einval)
{
	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_call(EINVAL, VQNOTIFY_CMD_CONFIG_SET, false);
}

TEST_F(genl, config_set_host_cap_zero_erange)
{
	struct tk_nl_config c;

	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_config_set_one(ERANGE, VQNOTIFY_A_CONFIG_HOST_CAP, 0);
	test_cmd_nl_config_get(&c);
	EXPECT_EQ(self->start.host_cap, c.host_cap);
}

TEST_F(genl, config_set_threshold_too_big_erange)
{
	struct tk_nl_config c;

	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_config_set_one(ERANGE, VQNOTIFY_A_CONFIG_THRESHOLD,
				   0x80000000U);
	test_cmd_nl_config_get(&c);
	EXPECT_EQ(self->start.threshold, c.threshold);
}

/* A request that fails on its last attribute changes nothing. */
TEST_F(genl, config_set_partly_bad_changes_nothing)
{
	struct tk_nl_config c;

	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_call(ERANGE, VQNOTIFY_CMD_CONFIG_SET, false,
			 { VQNOTIFY_A_CONFIG_DEFAULT_BUDGET,
			   self->start.default_budget + 1 },
			 { VQNOTIFY_A_CONFIG_HOST_CAP, 0 });
	test_cmd_nl_config_get(&c);
	EXPECT_EQ(self->start.default_budget, c.default_budget);
}

TEST_F(genl, guest_set_nothing_einval)
{
	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_call(EINVAL, VQNOTIFY_CMD_GUEST_SET, false,
			 { VQNOTIFY_A_GUEST_ID, self->guest });
}

TEST_F(genl, guest_set_budget_too_big_erange)
{
	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_guest_set_one(ERANGE, self->guest,
				  VQNOTIFY_A_GUEST_ADMIN_BUDGET, 0x80000000U);
}

TEST_F(genl, unknown_cmd_eopnotsupp)
{
	test_err_nl_call(EOPNOTSUPP, VQNOTIFY_CMD_QUEUE_NTF, false);
}

/* Unknown objects: ENOENT */

#define NO_GUEST	0x7ffffff0U

TEST_F(genl, guest_get_unknown_enoent)
{
	struct tk_nl_guest g;

	test_err_nl_guest_get(ENOENT, NO_GUEST, &g);
	EXPECT_STREQ("no such guest", self->nl.ext_msg);
}

TEST_F(genl, dev_get_unknown_guest_enoent)
{
	test_err_nl_call(ENOENT, VQNOTIFY_CMD_DEV_GET, false,
			 { VQNOTIFY_A_DEV_GUEST_ID, NO_GUEST },
			 { VQNOTIFY_A_DEV_ID, 1 });
}

TEST_F(genl, dev_get_unknown_dev_enoent)
{
	test_err_nl_call(ENOENT, VQNOTIFY_CMD_DEV_GET, false,
			 { VQNOTIFY_A_DEV_GUEST_ID, self->guest },
			 { VQNOTIFY_A_DEV_ID, 12345 });
	EXPECT_STREQ("no such device", self->nl.ext_msg);
}

TEST_F(genl, queue_get_unknown_index_enoent)
{
	uint32_t dev;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, "net0", &dev);
	test_err_nl_call(ENOENT, VQNOTIFY_CMD_QUEUE_GET, false,
			 { VQNOTIFY_A_QUEUE_GUEST_ID, self->guest },
			 { VQNOTIFY_A_QUEUE_DEV_ID, dev },
			 { VQNOTIFY_A_QUEUE_INDEX, 4 });
	EXPECT_STREQ("no such queue", self->nl.ext_msg);
}

TEST_F(genl, guest_set_unknown_enoent)
{
	if (geteuid())
		SKIP(return, "needs root");
	test_err_nl_guest_set_one(ENOENT, NO_GUEST,
				  VQNOTIFY_A_GUEST_ADMIN_BUDGET, 8);
}

/* A filtered dump of an unknown guest is empty, not an error. */
TEST_F(genl, dump_unknown_guest_empty)
{
	EXPECT_EQ(0, nobody_dumps(&(uint32_t){ NO_GUEST }));
}

TEST_HARNESS_MAIN
