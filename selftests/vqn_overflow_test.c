// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_overflow_test: integer overflows in what the ioctls take.
 *
 * ovf:    integer overflow attempts in counts and sizes (nr_results,
 *         num_queues, size, len, nr_queues, queue, status, read count of
 *         0xffffffff) are refused with the documented errno and change
 *         nothing.
 *
 * The module is loaded afresh for each test binary. Written on the
 * toolkit vqn_utils.h (vqn_abuse_utils.h for the privilege drop).
 */
#define _GNU_SOURCE

#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

/* ovf: integer overflow in counts and sizes */

#define OVF_NQ	4

FIXTURE(ovf) {
	int fd;
	struct vqnotify_info info;
	long host0;
	uint32_t dev;		/* OVF_NQ queues, never used */
	uint32_t live;		/* OVF_NQ queues, DRIVER_OK */
	struct tk_mem mem;
	struct tk_snap before;
};

FIXTURE_SETUP(ovf)
{
	uint32_t nr = 0;

	tk_setup_guest(self);
	ASSERT_EQ(0, tk_mem_init(&self->mem));
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, OVF_NQ, "fresh", &self->dev);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, OVF_NQ, "live", &self->live);
	test_cmd_set_status(self->live, TK_STATUS_OK, NULL, NULL, &nr);
	ASSERT_EQ(0, tk_snap_take(self->fd, 8, &self->before));
}

FIXTURE_TEARDOWN(ovf)
{
	tk_teardown_guest(self);
}

/*
 * The guest of @fd is as it was in @before, to the last queue, and so is
 * the host's count of slots in use (each test binary has the module to
 * itself): a slot taken and not given back when a copy faults shows there
 * only.
 */
static void expect_unchanged(struct __test_metadata *_metadata, int fd,
			     const struct tk_snap *before)
{
	struct tk_snap after;
	struct tk_why w;

	ASSERT_EQ(0, tk_snap_take(fd, 8, &after));
	EXPECT_EQ(0, tk_snap_cmp_host(before, &after, true, &w)) {
		TH_LOG("changed: %s", w.msg);
	}
	tk_snap_free(&after);
}

#define ovf_unchanged(_metadata, self) \
	expect_unchanged(_metadata, (self)->fd, &(self)->before)

TEST_F(ovf, dev_add_num_queues_u32_max)
{
	test_err_dev_add(EINVAL, VQNOTIFY_TRANSPORT_MMIO, 0xffffffff, "huge",
			 NULL);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_add_num_queues_max_plus_one)
{
	test_err_dev_add(EINVAL, VQNOTIFY_TRANSPORT_MMIO,
			 VQNOTIFY_MAX_QUEUES + 1, "big", NULL);
	ovf_unchanged(_metadata, self);
}

/*
 * nr_results claims 0xffffffff records where there is room for one: the
 * buffer ends at an unmapped page, so the call must fault before changing
 * anything.
 */
static int ovf_short_results(FIXTURE_DATA(ovf) *self, unsigned long cmd,
			     uint32_t id, uint32_t status)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = id,
		.status = status,
		.results = (uintptr_t)tk_mem_edge(&self->mem,
					sizeof(struct vqnotify_vq_result)),
		.nr_results = 0xffffffff,
	};

	return _test_ioctl(self->fd, cmd, &op);
}

TEST_F(ovf, set_status_nr_results_u32_max_short_buffer)
{
	EXPECT_EQ(-EFAULT, ovf_short_results(self, VQNOTIFY_SET_STATUS,
					     self->dev, TK_STATUS_OK));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_reset_nr_results_u32_max_short_buffer)
{
	EXPECT_EQ(-EFAULT, ovf_short_results(self, VQNOTIFY_DEV_RESET,
					     self->live, 0));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_remove_nr_results_u32_max_short_buffer)
{
	EXPECT_EQ(-EFAULT, ovf_short_results(self, VQNOTIFY_DEV_REMOVE,
					     self->live, 0));
	ovf_unchanged(_metadata, self);
}

/* A good blob for self->dev: SAVE of the live device. */
static uint32_t ovf_blob(FIXTURE_DATA(ovf) *self, uint8_t *blob)
{
	uint32_t len = TK_BLOB_MAX;

	if (_test_ioctl_dev_save(self->fd, self->live, blob, &len))
		return 0;
	return len;
}

TEST_F(ovf, load_nr_results_u32_max_short_buffer)
{
	uint8_t blob[TK_BLOB_MAX];
	struct vqnotify_vq_result res[OVF_NQ];
	uint32_t len = ovf_blob(self, blob), nr = OVF_NQ;
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = self->dev,
		.len = len,
		.data = (uintptr_t)blob,
		.results = (uintptr_t)tk_mem_edge(&self->mem, sizeof(res[0])),
		.nr_results = 0xffffffff,
	};

	ASSERT_NE(0U, len);
	test_err_ioctl(EFAULT, VQNOTIFY_DEV_LOAD, &m);
	ovf_unchanged(_metadata, self);
	/* Still never used: the same LOAD with room succeeds. */
	test_cmd_dev_load(self->dev, blob, len, res, &nr);
}

TEST_F(ovf, load_len_u32_max)
{
	uint8_t blob[TK_BLOB_MAX];
	uint32_t len = ovf_blob(self, blob);

	ASSERT_NE(0U, len);
	test_err_dev_load(EINVAL, self->dev, blob, 0xffffffff, NULL, NULL);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, save_len_u32_max_short_buffer)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = self->live,
		.len = 0xffffffff,
		.data = (uintptr_t)tk_mem_edge(&self->mem, 8),
	};

	test_err_ioctl(EFAULT, VQNOTIFY_DEV_SAVE, &m);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_get_nr_queues_u32_max_short_buffer)
{
	struct vqnotify_dev_get dg = {
		.size = sizeof(dg),
		.dev_id = self->live,
		.queues = (uintptr_t)tk_mem_edge(&self->mem,
					sizeof(struct vqnotify_vq_info)),
		.nr_queues = 0xffffffff,
	};

	test_err_ioctl(EFAULT, VQNOTIFY_DEV_GET, &dg);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, host_notifier_queue_u32_max)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE,
		.dev_id = self->live,
		.queue = 0xffffffff,
	};

	test_err_ioctl(EINVAL, VQNOTIFY_SET_HOST_NOTIFIER, &hn);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, queue_get_queue_u32_max)
{
	test_err_queue_get(EINVAL, self->live, 0xffffffff, NULL);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, set_status_status_u32_max)
{
	uint32_t nr = 0;

	test_err_set_status(EINVAL, self->dev, 0xffffffff, NULL, NULL, &nr);
	ovf_unchanged(_metadata, self);
}

/* An own limit of 0xffffffff is no limit: min() with the admin budget. */
TEST_F(ovf, guest_set_budget_u32_max)
{
	struct vqnotify_guest_info gi;

	test_cmd_set_budget(0xffffffff);
	test_cmd_guest_get(&gi);
	EXPECT_EQ(self->before.gi.budget, gi.budget);
	EXPECT_EQ(self->before.gi.out_flags, gi.out_flags);
	ovf_unchanged(_metadata, self);
}

/*
 * read() of 0xffffffff bytes into room for one record and a half: one
 * record, and the next stays queued.
 */
TEST_F(ovf, read_count_u32_max_short_buffer)
{
	struct vqnotify_event ev[2];
	uint8_t *buf = tk_mem_edge(&self->mem, sizeof(ev[0]) * 3 / 2);
	ssize_t n;

	/* Four events: the live queues preempted as the guest is limited. */
	test_cmd_set_budget(2);
	n = read(self->fd, buf, 0xffffffff);
	EXPECT_EQ((ssize_t)sizeof(ev[0]), n) {
		TH_LOG("read: %zd (%s)", n, n < 0 ? strerror(errno) : "");
	}
	fcntl(self->fd, F_SETFL, O_NONBLOCK);
	n = read(self->fd, ev, sizeof(ev));
	EXPECT_LE((ssize_t)sizeof(ev[0]), n);
	if (n >= (ssize_t)sizeof(ev[0]))
		EXPECT_EQ(((struct vqnotify_event *)buf)->seq + 1, ev[0].seq);
}

/* ovf_size: size 0xffffffff on every ioctl */

FIXTURE(ovf_size) {
	int fd;
	struct vqnotify_info info;
	long host0;
	uint32_t dev;
	struct tk_mem mem;
	struct tk_snap before;
};

FIXTURE_VARIANT(ovf_size) {
	unsigned long cmd;
	uint32_t size;
};

#define OVF_SIZE(name, c, type) \
	FIXTURE_VARIANT_ADD(ovf_size, name) { .cmd = c, .size = sizeof(type) }

OVF_SIZE(get_info, VQNOTIFY_GET_INFO, struct vqnotify_info);
OVF_SIZE(guest_set, VQNOTIFY_GUEST_SET, struct vqnotify_guest_set);
OVF_SIZE(guest_get, VQNOTIFY_GUEST_GET, struct vqnotify_guest_info);
OVF_SIZE(dev_add, VQNOTIFY_DEV_ADD, struct vqnotify_dev_add);
OVF_SIZE(set_status, VQNOTIFY_SET_STATUS, struct vqnotify_dev_op);
OVF_SIZE(dev_reset, VQNOTIFY_DEV_RESET, struct vqnotify_dev_op);
OVF_SIZE(dev_remove, VQNOTIFY_DEV_REMOVE, struct vqnotify_dev_op);
OVF_SIZE(host_notifier, VQNOTIFY_SET_HOST_NOTIFIER,
	 struct vqnotify_host_notifier);
OVF_SIZE(queue_get, VQNOTIFY_QUEUE_GET, struct vqnotify_queue_get);
OVF_SIZE(dev_get, VQNOTIFY_DEV_GET, struct vqnotify_dev_get);
OVF_SIZE(dev_save, VQNOTIFY_DEV_SAVE, struct vqnotify_migration);
OVF_SIZE(dev_load, VQNOTIFY_DEV_LOAD, struct vqnotify_migration);
OVF_SIZE(queues_acquire, VQNOTIFY_QUEUES_ACQUIRE, struct vqnotify_queues);
OVF_SIZE(queues_release, VQNOTIFY_QUEUES_RELEASE, struct vqnotify_queues);
OVF_SIZE(host_notifiers, VQNOTIFY_SET_HOST_NOTIFIERS,
	 struct vqnotify_queues);

FIXTURE_SETUP(ovf_size)
{
	uint32_t nr = 0;

	tk_setup_guest(self);
	ASSERT_EQ(0, tk_mem_init(&self->mem));
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, OVF_NQ, "d", &self->dev);
	test_cmd_set_status(self->dev, TK_STATUS_OK, NULL, NULL, &nr);
	ASSERT_EQ(0, tk_snap_take(self->fd, 8, &self->before));
}

FIXTURE_TEARDOWN(ovf_size)
{
	tk_teardown_guest(self);
}

/*
 * A structure that would change state (or at least succeed) if its size
 * were taken at face value, in @p, size field @size.
 */
static void ovf_size_build(FIXTURE_DATA(ovf_size) *self,
			   const FIXTURE_VARIANT(ovf_size) *v, uint8_t *p,
			   uint32_t size)
{
	static uint8_t blob[TK_BLOB_MAX];
	static uint64_t queue0 = 1;
	union {
		TK_IOCTL_ARG_MEMBERS;
		uint8_t b[sizeof(struct vqnotify_guest_info)];
	} u = { 0 };
	uint32_t len = sizeof(blob);

	switch (v->cmd) {
	case VQNOTIFY_GUEST_SET:
		u.gs.flags = VQNOTIFY_GUEST_SET_BUDGET;
		u.gs.budget = 1;
		break;
	case VQNOTIFY_DEV_ADD:
		u.da.transport = VQNOTIFY_TRANSPORT_PIO;
		u.da.num_queues = 1;
		break;
	case VQNOTIFY_SET_STATUS:
	case VQNOTIFY_DEV_RESET:
	case VQNOTIFY_DEV_REMOVE:
		u.op.dev_id = self->dev;
		break;
	case VQNOTIFY_SET_HOST_NOTIFIER:
		u.hn.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE;
		u.hn.dev_id = self->dev;
		break;
	case VQNOTIFY_QUEUE_GET:
		u.qg.dev_id = self->dev;
		break;
	case VQNOTIFY_DEV_GET:
		u.dg.dev_id = self->dev;
		break;
	case VQNOTIFY_DEV_SAVE:
		u.mg.dev_id = self->dev;
		u.mg.len = sizeof(blob);
		u.mg.data = (uintptr_t)blob;
		break;
	case VQNOTIFY_DEV_LOAD:
		_test_ioctl_dev_save(self->fd, self->dev, blob, &len);
		u.mg.dev_id = self->dev;
		u.mg.len = len;
		u.mg.data = (uintptr_t)blob;
		break;
	case VQNOTIFY_SET_HOST_NOTIFIERS:
		u.qs.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE;
		/* fall through */
	case VQNOTIFY_QUEUES_ACQUIRE:
	case VQNOTIFY_QUEUES_RELEASE:
		u.qs.dev_id = self->dev;
		u.qs.nr_queues = OVF_NQ;
		u.qs.queues = (uintptr_t)&queue0;
		break;
	}
	memcpy(p, &u, v->size);
	memcpy(p, &size, sizeof(size));
}

/*
 * A size 8 bytes past the structure, a non-zero byte among them: E2BIG
 * (the tail is read, and not zero), nothing changed. A size of ~0U is
 * refused for itself, dirty tail or not.
 */
TEST_F(ovf_size, size_past_dirty_tail)
{
	uint8_t *p = self->mem.rw;

	memset(p, 0, 2 * variant->size);
	ovf_size_build(self, variant, p, variant->size + 8);
	p[variant->size + 3] = 1;
	test_err_ioctl(E2BIG, variant->cmd, p);
	ovf_unchanged(_metadata, self);
	ovf_size_build(self, variant, p, UINT32_MAX);
	test_err_ioctl(E2BIG, variant->cmd, p);
	ovf_unchanged(_metadata, self);
}

/*
 * Above 4096 bytes, a zero tail too: E2BIG before the tail is read, nothing
 * changed. The tail was checked for zeros whatever its size, without a
 * reschedule: a GiB of mapped zero pages took 0.28 s (6.1, the rig's VM),
 * and the size may say 4 GiB.
 */
TEST_F(ovf_size, size_4097_zero_tail)
{
	uint8_t *p = self->mem.rw;

	memset(p, 0, 4097);
	ovf_size_build(self, variant, p, 4097);
	test_err_ioctl(E2BIG, variant->cmd, p);
	ovf_unchanged(_metadata, self);
}

/*
 * At 4096 bytes with a zero tail, the call is made (LOAD onto the running
 * device fails its own check, EBUSY).
 */
TEST_F(ovf_size, size_4096_zero_tail)
{
	uint8_t *p = self->mem.rw;

	memset(p, 0, 4096);
	ovf_size_build(self, variant, p, 4096);
	EXPECT_EQ(variant->cmd == VQNOTIFY_DEV_LOAD ? -EBUSY : 0,
		  _test_ioctl(self->fd, variant->cmd, p));
}

/* 0xffffffff at the end of the mapping: E2BIG, before a read faults. */
TEST_F(ovf_size, size_u32_max_end_of_mapping)
{
	uint8_t *p = tk_mem_edge(&self->mem, variant->size);

	ovf_size_build(self, variant, p, UINT32_MAX);
	test_err_ioctl(E2BIG, variant->cmd, p);
	ovf_unchanged(_metadata, self);
}

/* A 4096-byte structure whose tail crosses into the hole: EFAULT. */
TEST_F(ovf_size, size_4096_end_of_mapping)
{
	uint8_t *p = tk_mem_edge(&self->mem, variant->size);

	ovf_size_build(self, variant, p, 4096);
	test_err_ioctl(EFAULT, variant->cmd, p);
	ovf_unchanged(_metadata, self);
}

TEST_HARNESS_MAIN
