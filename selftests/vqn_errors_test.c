// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_errors_test: the error paths of particular ioctls (DEV_ADD,
 * GUEST_SET, SET_STATUS, HOST_NOTIFIER, results and ready buffers, DEV_GET),
 * each checked to change nothing.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include "vqn_abuse_utils.h"

TK_GUEST_FIXTURE(guest)

/*
 * Error paths of particular ioctls. Each failing call is made under
 * EXPECT_NO_CHANGE over the devices involved.
 */
TEST_F(guest, unknown_cmd)
{
	unsigned long cmds[] = {
		_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_SET_HOST_NOTIFIERS + 1),
		_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 0x7f),
		_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE - 1),
		_IO(VQNOTIFY_TYPE, 0),
		_IO(VQNOTIFY_TYPE + 1, VQNOTIFY_CMD_BASE),
		_IO(VQNOTIFY_TYPE - 1, VQNOTIFY_CMD_BASE),
		TCGETS,
	};
	struct vqnotify_info info = { .size = sizeof(info) };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		unsigned long cmd = cmds[i];

		EXPECT_NO_CHANGE(self->fd, NULL, 0, -ENOTTY,
				 _test_ioctl(self->fd, cmd, &info));
	}
}

TEST_F(guest, get_info)
{
	struct vqnotify_info info;

	test_cmd_get_info(&info);
	EXPECT_EQ((uint32_t)VQNOTIFY_API_VERSION, info.api_version);
	EXPECT_EQ((uint32_t)VQNOTIFY_MAX_QUEUES, info.max_queues);
	EXPECT_EQ(sizeof(struct vqnotify_event), info.event_size);
	EXPECT_LE(2U, info.event_depth);
	EXPECT_LE(1U, info.max_devices);
	EXPECT_LE(info.host_used, info.host_cap);
	EXPECT_LE(1U, info.nr_guests);
	EXPECT_EQ(0U, info.__reserved);
	EXPECT_TRUE(!!(info.features & VQNOTIFY_FEATURE_SAVE_LOAD));
}

static int dev_add_raw(int fd, struct vqnotify_dev_add *da)
{
	return _test_ioctl(fd, VQNOTIFY_DEV_ADD, da);
}

#define DEV_ADD_INIT(da) do {					\
	memset(&(da), 0, sizeof(da));				\
	(da).size = sizeof(da);					\
	(da).transport = VQNOTIFY_TRANSPORT_MMIO;		\
	(da).num_queues = 2;					\
} while (0)

TEST_F(guest, dev_add_bad_transport)
{
	uint32_t bad[] = { 0, VQNOTIFY_TRANSPORT_CCW + 1, ~0U };
	struct vqnotify_dev_add da;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		DEV_ADD_INIT(da);
		da.transport = bad[i];
		EXPECT_NO_CHANGE(self->fd, NULL, 0, -EINVAL,
				 dev_add_raw(self->fd, &da));
	}
}

TEST_F(guest, dev_add_zero_queues)
{
	struct vqnotify_dev_add da;

	DEV_ADD_INIT(da);
	da.num_queues = 0;
	EXPECT_NO_CHANGE(self->fd, NULL, 0, -EINVAL,
			 dev_add_raw(self->fd, &da));
}

TEST_F(guest, dev_add_too_many_queues)
{
	struct vqnotify_dev_add da;

	DEV_ADD_INIT(da);
	da.num_queues = VQNOTIFY_MAX_QUEUES + 1;
	EXPECT_NO_CHANGE(self->fd, NULL, 0, -EINVAL,
			 dev_add_raw(self->fd, &da));
	da.num_queues = ~0U;
	EXPECT_NO_CHANGE(self->fd, NULL, 0, -EINVAL,
			 dev_add_raw(self->fd, &da));
	da.num_queues = VQNOTIFY_MAX_QUEUES;
	EXPECT_EQ(0, dev_add_raw(self->fd, &da));
}

TEST_F(guest, dev_add_label_unterminated)
{
	struct vqnotify_dev_add da;
	struct vqnotify_dev_get dg;

	DEV_ADD_INIT(da);
	memset(da.label, 'x', sizeof(da.label));
	EXPECT_NO_CHANGE(self->fd, NULL, 0, -EINVAL,
			 dev_add_raw(self->fd, &da));
	/* The longest label that fits with its NUL. */
	da.label[sizeof(da.label) - 1] = 0;
	ASSERT_EQ(0, dev_add_raw(self->fd, &da));
	test_cmd_dev_get(da.out_dev_id, &dg, NULL, 0);
	EXPECT_EQ(0, memcmp(dg.label, da.label, sizeof(da.label)));
}

/* out_dev_id is output only: it must come in as zero. */
TEST_F(guest, dev_add_out_dev_id_nonzero)
{
	struct vqnotify_dev_add da;

	DEV_ADD_INIT(da);
	da.out_dev_id = 1;
	EXPECT_NO_CHANGE(self->fd, NULL, 0, -EINVAL,
			 dev_add_raw(self->fd, &da));
}

/*
 * max_devices per guest, then EMFILE; removing one makes room. The refused
 * add took no id: ids come in turn, the next one is the last one's next.
 */
TEST_F(guest, dev_add_emfile)
{
	uint32_t i, id = 0, first = 0, last;
	struct vqnotify_dev_add da;

	for (i = 0; i < self->info.max_devices; i++) {
		test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 1, NULL, &id)
			TH_LOG("device %u of %u", i, self->info.max_devices);
		if (!first)
			first = id;
	}
	DEV_ADD_INIT(da);
	EXPECT_NO_CHANGE(self->fd, NULL, 0, -EMFILE,
			 dev_add_raw(self->fd, &da));
	/* Per guest: another guest still may add. */
	{
		int fd2 = tk_open(0);

		ASSERT_LE(0, fd2);
		EXPECT_EQ(0, _test_ioctl_dev_add(fd2, VQNOTIFY_TRANSPORT_PIO, 1, NULL,
					 NULL));
		close(fd2);
	}
	last = id;
	test_cmd_dev_remove(first, NULL, NULL);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 1, NULL, &id);
	/* Ids are not reused at once. */
	EXPECT_NE(first, id);
	EXPECT_EQ(last + 1, id);
}

TEST_F(guest, guest_set_label)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_LABEL,
	};
	struct vqnotify_guest_info gi;

	memset(gs.label, 'v', sizeof(gs.label));
	EXPECT_NO_CHANGE(self->fd, NULL, 0, -EINVAL,
			 _test_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	test_cmd_set_label("vm-one");
	test_cmd_guest_get(&gi);
	EXPECT_STREQ("vm-one", gi.label);
	/* Without its flag the label is not looked at, nor applied. */
	gs.flags = 0;
	EXPECT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	gs.flags = VQNOTIFY_GUEST_SET_BUDGET;
	gs.budget = 0;
	EXPECT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	test_cmd_guest_get(&gi);
	EXPECT_STREQ("vm-one", gi.label);
}

TEST_F(guest, guest_get)
{
	struct vqnotify_guest_info gi;

	test_cmd_guest_get(&gi);
	EXPECT_NE(0U, gi.guest_id);
	EXPECT_EQ((uint32_t)getpid(), gi.owner_pid);
	EXPECT_EQ(self->info.default_budget, gi.budget);
	EXPECT_EQ(self->info.vhost_reserve, gi.vhost_reserve);
	EXPECT_EQ(self->info.threshold, gi.threshold);
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(0U, gi.nr_devices);
	EXPECT_STREQ("", gi.label);
	CHECK_COUNTS(self->fd, "%s", "");
}

static int dev_op_raw(int fd, unsigned long cmd, uint32_t id,
		      uint32_t status, uint64_t ready, uint64_t results,
		      uint32_t nr)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = id,
		.status = status,
		.ready = ready,
		.results = results,
		.nr_results = nr,
	};

	return _test_ioctl(fd, cmd, &op);
}

TEST_F(guest, set_status_too_big)
{
	uint32_t id[2];

	id[0] = tk_busy_dev(_metadata, self->fd);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 2, NULL, &id[1]);
	EXPECT_NO_CHANGE(self->fd, id, 2, -EINVAL,
			 dev_op_raw(self->fd, VQNOTIFY_SET_STATUS, id[1],
				    0x100 | TK_STATUS_OK, 0, 0, 0));
	EXPECT_NO_CHANGE(self->fd, id, 2, -EINVAL,
			 dev_op_raw(self->fd, VQNOTIFY_SET_STATUS, id[0],
				    0x100, 0, 0, 0));
}

/* DEV_RESET and DEV_REMOVE take no status and no ready bitmap. */
TEST_F(guest, reset_remove_status_ready)
{
	unsigned long cmds[] = { VQNOTIFY_DEV_RESET, VQNOTIFY_DEV_REMOVE };
	uint64_t ready = 1;
	unsigned int i;
	uint32_t id;

	id = tk_busy_dev(_metadata, self->fd);
	for (i = 0; i < 2; i++) {
		EXPECT_NO_CHANGE(self->fd, &id, 1, -EINVAL,
				 dev_op_raw(self->fd, cmds[i], id, 1, 0, 0, 0));
		EXPECT_NO_CHANGE(self->fd, &id, 1, -EINVAL,
				 dev_op_raw(self->fd, cmds[i], id, 0,
					    (uintptr_t)&ready, 0, 0));
	}
}

TEST_F(guest, queue_out_of_range)
{
	uint32_t bad[] = { 8, 9, 1024, ~0U }, id, i;
	struct vqnotify_vq_info vi;

	id = tk_busy_dev(_metadata, self->fd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_NO_CHANGE(self->fd, &id, 1, -EINVAL,
				 _test_ioctl_host_notifier(self->fd, id, bad[i], true,
						   NULL));
		EXPECT_NO_CHANGE(self->fd, &id, 1, -EINVAL,
				 _test_ioctl_host_notifier(self->fd, id, bad[i], false,
						   NULL));
		test_err_queue_get(EINVAL, id, bad[i], &vi);
	}
	test_cmd_queue_get(id, 7, &vi);
}

TEST_F(guest, host_notifier_reserved2)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE,
		.queue = 1,
		.__reserved2 = 1,
	};
	uint32_t id = tk_busy_dev(_metadata, self->fd);

	hn.dev_id = id;
	EXPECT_NO_CHANGE(self->fd, &id, 1, -EINVAL,
			 _test_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn));
	hn.__reserved2 = 0;
	EXPECT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn));
}

/* The host notifier is already in the requested state. */
TEST_F(guest, host_notifier_ealready)
{
	uint32_t id = tk_busy_dev(_metadata, self->fd);

	/* Queue 4 is OFFLIMITS, 0 ASSIGNED, 5 DEASSIGNED. */
	EXPECT_NO_CHANGE(self->fd, &id, 1, -EALREADY,
			 _test_ioctl_host_notifier(self->fd, id, 4, true, NULL));
	EXPECT_NO_CHANGE(self->fd, &id, 1, -EALREADY,
			 _test_ioctl_host_notifier(self->fd, id, 0, false, NULL));
	EXPECT_NO_CHANGE(self->fd, &id, 1, -EALREADY,
			 _test_ioctl_host_notifier(self->fd, id, 5, false, NULL));
}

/* No slot and no userspace grant to preempt: ENOSPC, nothing changes. */
TEST_F(guest, host_notifier_enospc)
{
	uint32_t id, q, b = self->info.threshold;

	test_cmd_set_budget(b);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, b + 1, NULL, &id);
	for (q = 0; q < b; q++)
		test_cmd_host_notifier(id, q, true, NULL);
	EXPECT_NO_CHANGE(self->fd, &id, 1, -ENOSPC,
			 _test_ioctl_host_notifier(self->fd, id, b, true, NULL));
	EXPECT_NO_EVENTS(self->fd);
	/* One given back, and it fits again. */
	test_cmd_host_notifier(id, 0, false, NULL);
	test_cmd_host_notifier(id, b, true, NULL);
}

/*
 * ENOSPC changes nothing, not even the device's "used" mark: a fresh
 * device that only saw a refused vhost request still takes a LOAD.
 */
TEST_F(guest, host_notifier_enospc_device_still_fresh)
{
	uint32_t id, fresh, q, b = self->info.threshold, len;
	uint8_t blob[TK_BLOB_BUF];

	test_cmd_set_budget(b);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, b, NULL, &id);
	len = tk_save_blob(_metadata, self->fd, id, blob);
	for (q = 0; q < b; q++)
		test_cmd_host_notifier(id, q, true, NULL);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, b, NULL, &fresh);
	test_err_host_notifier(ENOSPC, fresh, 0, true, NULL);
	test_cmd_dev_load(fresh, blob, len, NULL, NULL);
}

/* A results array shorter than the device: EINVAL up front. */
TEST_F(guest, results_capacity_short)
{
	unsigned long cmds[] = {
		VQNOTIFY_SET_STATUS, VQNOTIFY_DEV_RESET, VQNOTIFY_DEV_REMOVE,
	};
	struct vqnotify_vq_result res[8];
	uint32_t id[2], i;

	id[0] = tk_busy_dev(_metadata, self->fd);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 8, NULL, &id[1]);
	for (i = 0; i < 3; i++) {
		uint32_t dev = id[i == 0 ? 1 : 0];
		uint32_t st = i == 0 ? TK_STATUS_OK : 0;

		EXPECT_NO_CHANGE(self->fd, id, 2, -EINVAL,
				 dev_op_raw(self->fd, cmds[i], dev, st, 0,
					    (uintptr_t)res, 7));
		EXPECT_NO_CHANGE(self->fd, id, 2, -EINVAL,
				 dev_op_raw(self->fd, cmds[i], dev, st, 0,
					    (uintptr_t)res, 0));
	}
	/* Capacity is not checked without a results pointer. */
	EXPECT_EQ(0, dev_op_raw(self->fd, VQNOTIFY_SET_STATUS, id[1],
				TK_STATUS_OK, 0, 0, 7));
}

/* A bad results pointer fails before the call changes anything. */
TEST_F(guest, results_efault)
{
	unsigned long cmds[] = {
		VQNOTIFY_SET_STATUS, VQNOTIFY_DEV_RESET, VQNOTIFY_DEV_REMOVE,
	};
	uint64_t bad[3];
	uint32_t id[2], i, j;

	bad[0] = (uintptr_t)tk_unmapped_addr();
	bad[1] = (uintptr_t)tk_ro_page();
	/* Writable for 7 records, not for the 8th. */
	bad[2] = (uintptr_t)tk_page_before_hole() + tk_page_size() -
		 7 * sizeof(struct vqnotify_vq_result);
	id[0] = tk_busy_dev(_metadata, self->fd);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 8, NULL, &id[1]);
	for (i = 0; i < 3; i++) {
		uint32_t dev = id[i == 0 ? 1 : 0];
		uint32_t st = i == 0 ? TK_STATUS_OK : 0;

		for (j = 0; j < 3; j++)
			EXPECT_NO_CHANGE(self->fd, id, 2, -EFAULT,
					 dev_op_raw(self->fd, cmds[i], dev, st,
						    0, bad[j], 8));
	}
}

/*
 * A call that succeeds writes every entry of its device in the results
 * buffer, the results then zeros: the module proves the buffer writable
 * with a byte a page, not by zeroing it first. A device of 8 queues (the
 * results on the stack) and one of 100 (the guest's results array).
 */
TEST_F(guest, results_zero_past_nr)
{
	static struct vqnotify_vq_result res[100], zero[100];
	uint32_t nq[2] = { 8, 100 }, id, i;
	uint64_t ready[2] = { 0x1, 0 };
	struct vqnotify_dev_op op;

	for (i = 0; i < 2; i++) {
		test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, nq[i], NULL, &id);
		ASSERT_EQ(0, dev_op_raw(self->fd, VQNOTIFY_SET_STATUS, id,
					TK_STATUS_OK, (uintptr_t)ready, 0, 0));
		/* Only queue 0 holds a slot: a reset has one result. */
		memset(res, 0xa5, sizeof(res));
		op = (struct vqnotify_dev_op){
			.size = sizeof(op), .dev_id = id,
			.results = (uintptr_t)res, .nr_results = nq[i],
		};
		ASSERT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_DEV_RESET, &op));
		ASSERT_EQ(1U, op.nr_results);
		EXPECT_EQ(0U, res[0].queue);
		EXPECT_EQ(VQNOTIFY_LABEL_G, res[0].label);
		EXPECT_EQ(0, memcmp(&res[1], zero,
				    (nq[i] - 1) * sizeof(res[0])));
		/* Past the device's entries the buffer is the caller's. */
		if (nq[i] < 100)
			EXPECT_EQ(0xa5a5U, res[nq[i]].queue & 0xffff);
	}
}

TEST_F(guest, ready_efault)
{
	uint32_t id[2];

	id[0] = tk_busy_dev(_metadata, self->fd);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 8, NULL, &id[1]);
	EXPECT_NO_CHANGE(self->fd, id, 2, -EFAULT,
			 dev_op_raw(self->fd, VQNOTIFY_SET_STATUS, id[1],
				    TK_STATUS_OK,
				    (uintptr_t)tk_unmapped_addr(), 0, 0));
}

/* Bits of the ready bitmap beyond num_queues: EINVAL. */
TEST_F(guest, ready_bits_beyond)
{
	uint64_t ready[2] = { 0x10, 0 };
	uint32_t id[3];

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 4, NULL, &id[0]);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 65, NULL, &id[1]);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 64, NULL, &id[2]);
	EXPECT_NO_CHANGE(self->fd, id, 3, -EINVAL,
			 _test_ioctl_set_status(self->fd, id[0], TK_STATUS_OK, ready,
					NULL, NULL));
	ready[0] = ~0ULL;
	ready[1] = 0x2;	/* queue 65 */
	EXPECT_NO_CHANGE(self->fd, id, 3, -EINVAL,
			 _test_ioctl_set_status(self->fd, id[1], TK_STATUS_OK, ready,
					NULL, NULL));
	/* All 64 bits of a 64-queue device are queues. */
	test_cmd_set_status(id[2], TK_STATUS_OK, ready, NULL, NULL);
	ready[1] = 0x1;
	test_cmd_set_status(id[1], TK_STATUS_OK, ready, NULL, NULL);
	CHECK_COUNTS(self->fd, "a133 b129");
}

/* DEV_GET writes min(capacity, num_queues) records, and says so. */
TEST_F(guest, dev_get_capacity)
{
	struct vqnotify_vq_info vi[4];
	struct vqnotify_dev_get dg;
	uint32_t id = tk_busy_dev(_metadata, self->fd);

	memset(vi, 0xa5, sizeof(vi));
	test_cmd_dev_get(id, &dg, vi, 2);
	EXPECT_EQ(2U, dg.nr_queues);
	EXPECT_EQ(8U, dg.num_queues);
	EXPECT_EQ(ASSIG, vi[1].state);
	EXPECT_EQ(0xa5, vi[2].state);
	test_cmd_dev_get(id, &dg, NULL, 0);
	EXPECT_EQ(0U, dg.nr_queues);
	EXPECT_EQ(8U, dg.num_queues);
	EXPECT_EQ((uint32_t)TK_STATUS_OK, dg.status);
	EXPECT_EQ((uint32_t)VQNOTIFY_TRANSPORT_MMIO, dg.transport);
	EXPECT_STREQ("busy", dg.label);
}

TEST_F(guest, dev_get_queues_efault)
{
	struct vqnotify_dev_get dg;
	uint32_t id = tk_busy_dev(_metadata, self->fd);

	test_err_dev_get(EFAULT, id, &dg, tk_unmapped_addr(), 8);
	test_err_dev_get(EFAULT, id, &dg, tk_ro_page(), 8);
}

TEST_HARNESS_MAIN
