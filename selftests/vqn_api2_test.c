// SPDX-License-Identifier: GPL-2.0
/*
 * uAPI 2: what a real VMM's lifecycle needs beyond API 1, call by call,
 * transition by transition, errno by errno: LOAD after QEMU's reset at
 * machine init, the run state, per-queue acquire and release (with KVM
 * refusal), batched host notifiers, names, read-only files, and fair
 * promotion across guests waiting for the host cap.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

#define NQ	8
#define ST_OK	TK_STATUS_OK
#define ST_FEAT	TK_STATUS_FEATURES

static const uint64_t all_q = (1ULL << NQ) - 1;

static uint8_t q_state(int fd, uint32_t id, uint32_t q)
{
	struct vqnotify_vq_info vi;

	if (_test_ioctl_queue_get(fd, id, q, &vi))
		return 0xff;
	return vi.state;
}

static struct vqnotify_vq_info q_info(int fd, uint32_t id, uint32_t q)
{
	struct vqnotify_vq_info vi = { .state = 0xff };

	_test_ioctl_queue_get(fd, id, q, &vi);
	return vi;
}

static struct vqnotify_guest_info g_info(int fd)
{
	struct vqnotify_guest_info gi = { 0 };

	_test_ioctl_guest_get(fd, &gi);
	return gi;
}

/* Wait up to @ms for the guest's file to have events; read them. */
static int wait_events(int fd, struct vqnotify_event *ev, int max, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) < 0)
		return -errno;
	return tk_read_events(fd, ev, max);
}

FIXTURE(api2) {
	int fd;
	struct vqnotify_info info;
	long host0;
	uint32_t id;
};

FIXTURE_SETUP(api2)
{
	tk_setup_guest(self);
	if (self->info.api_version < 2)
		SKIP(return, "API %u module", self->info.api_version);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, NQ, "d", &self->id);
}

FIXTURE_TEARDOWN(api2)
{
	tk_teardown_guest(self);
}

TEST_F(api2, info_says_version_2_and_features)
{
	const uint64_t want = VQNOTIFY_FEATURE_LOAD_QUIESCENT |
			      VQNOTIFY_FEATURE_RUN_STATE |
			      VQNOTIFY_FEATURE_QUEUE_OPS |
			      VQNOTIFY_FEATURE_HOST_NOTIFIERS |
			      VQNOTIFY_FEATURE_NAMES | VQNOTIFY_FEATURE_FAIR |
			      VQNOTIFY_FEATURE_RELEASE_VHOST;

	EXPECT_EQ(2U, self->info.api_version);
	EXPECT_EQ(want, self->info.features & want);
}

/* QEMU: add, reset at machine init (twice with -incoming), then LOAD. */
TEST_F(api2, load_after_the_reset_qemu_always_does)
{
	struct vqnotify_vq_result res[NQ];
	uint32_t src, nr = NQ, len = 512;
	uint8_t blob[512];

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, NQ, "s", &src);
	test_cmd_set_status(src, ST_OK, NULL, NULL, NULL);
	test_cmd_dev_save(src, blob, &len);

	test_cmd_set_status(self->id, 0, NULL, NULL, NULL);
	test_cmd_set_status(self->id, 0, NULL, NULL, NULL);
	test_cmd_dev_load(self->id, blob, len, res, &nr);
	EXPECT_EQ((uint32_t)NQ, nr);
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(ASSIG, q_state(self->fd, self->id, q));
}

TEST_F(api2, load_after_a_used_device_was_reset)
{
	uint32_t len = 512;
	uint8_t blob[512];

	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	test_cmd_dev_save(self->id, blob, &len);
	test_cmd_dev_reset(self->id, NULL, NULL);
	test_cmd_dev_load(self->id, blob, len, NULL, NULL);
	EXPECT_EQ(ASSIG, q_state(self->fd, self->id, 0));
}

TEST_F(api2, load_refuses_a_device_with_a_status)
{
	uint32_t len = 512;
	uint8_t blob[512];

	test_cmd_dev_save(self->id, blob, &len);
	test_cmd_set_status(self->id, ST_FEAT, NULL, NULL, NULL);
	test_err_dev_load(EBUSY, self->id, blob, len, NULL, NULL);
}

TEST_F(api2, load_refuses_a_device_holding_a_slot)
{
	uint32_t len = 512;
	uint8_t blob[512];

	test_cmd_dev_save(self->id, blob, &len);
	test_cmd_host_notifier(self->id, 0, true, NULL);
	test_err_dev_load(EBUSY, self->id, blob, len, NULL, NULL);
	EXPECT_EQ(OFFL, q_state(self->fd, self->id, 0));
}

/*
 * The blob is checked before the device: a foreign one (another queue
 * count) is EINVAL on a busy device too, not EBUSY, which would send the
 * VMM to reset the device only to be refused again.
 */
TEST_F(api2, load_refuses_a_foreign_blob_before_a_busy_device)
{
	uint32_t other, len = 512;
	uint8_t blob[512];

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, NQ + 1, "o", &other);
	test_cmd_dev_save(other, blob, &len);
	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	test_err_dev_load(EINVAL, self->id, blob, len, NULL, NULL);
	EXPECT_EQ(ASSIG, q_state(self->fd, self->id, 0));
}

/* (7) vhost's queues come back wanting a slot; vhost then takes them (d). */
TEST_F(api2, load_gives_vhost_queues_a_slot)
{
	struct vqnotify_vq_result r;
	uint32_t src, dst, len = 512;
	uint8_t blob[512];

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 2, "s", &src);
	test_cmd_set_status(src, ST_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(src, 1, true, NULL);
	test_cmd_dev_save(src, blob, &len);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 2, "t", &dst);
	test_cmd_dev_load(dst, blob, len, NULL, NULL);
	EXPECT_EQ(ASSIG, q_state(self->fd, dst, 1));
	test_cmd_host_notifier(dst, 1, true, &r);
	EXPECT_EQ(VQNOTIFY_LABEL_D, r.label);
	EXPECT_EQ(OFFL, q_state(self->fd, dst, 1));
}

/* Run state: slots stay reserved while stopped, queues show PARKED. */
TEST_F(api2, run_state_stopped_keeps_slots_parked)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;

	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(self->id, 1, true, NULL);
	test_cmd_set_run_state(VQNOTIFY_RUN_STOPPED);
	gi = g_info(self->fd);
	EXPECT_EQ((uint32_t)VQNOTIFY_RUN_STOPPED, gi.run_state);
	EXPECT_EQ((uint32_t)NQ, gi.used);
	vi = q_info(self->fd, self->id, 0);
	EXPECT_EQ(ASSIG, vi.state);
	EXPECT_TRUE(vi.flags & VQNOTIFY_VQ_PARKED);
	vi = q_info(self->fd, self->id, 1);
	EXPECT_FALSE(vi.flags & VQNOTIFY_VQ_PARKED);	/* vhost's */

	test_cmd_set_run_state(VQNOTIFY_RUN_RUNNING);
	gi = g_info(self->fd);
	EXPECT_EQ((uint32_t)VQNOTIFY_RUN_RUNNING, gi.run_state);
	EXPECT_EQ((uint32_t)NQ, gi.used);
	vi = q_info(self->fd, self->id, 0);
	EXPECT_FALSE(vi.flags & VQNOTIFY_VQ_PARKED);
}

/* A migration destination: DRIVER_OK at LOAD while stopped, parked. */
TEST_F(api2, run_state_stopped_guest_still_decides)
{
	test_cmd_set_run_state(VQNOTIFY_RUN_STOPPED);
	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	EXPECT_EQ(ASSIG, q_state(self->fd, self->id, 0));
	EXPECT_TRUE(q_info(self->fd, self->id, 0).flags & VQNOTIFY_VQ_PARKED);
}

TEST_F(api2, run_state_errors)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_RUN_STATE,
		.run_state = 2,
	};

	test_err_ioctl(EINVAL, VQNOTIFY_GUEST_SET, &gs);
	gs.flags = VQNOTIFY_GUEST_SET_BUDGET;
	gs.run_state = VQNOTIFY_RUN_STOPPED;
	test_err_ioctl(EINVAL, VQNOTIFY_GUEST_SET, &gs);
	EXPECT_EQ((uint32_t)VQNOTIFY_RUN_RUNNING, g_info(self->fd).run_state);
}

/* (q) in any status: virtio-blk's dataplane at status 11. */
TEST_F(api2, acquire_q_before_driver_ok)
{
	struct vqnotify_vq_result res[NQ];
	uint64_t bm = 0x3;
	uint32_t nr = NQ;

	test_cmd_set_status(self->id, ST_FEAT, NULL, NULL, NULL);
	test_cmd_queues_acquire(self->id, &bm, NQ, res, &nr);
	ASSERT_EQ(2U, nr);
	for (uint32_t i = 0; i < nr; i++) {
		EXPECT_EQ(i, res[i].queue);
		EXPECT_EQ(VQNOTIFY_LABEL_Q, res[i].label);
		EXPECT_EQ(ASSIG, res[i].new_state);
		EXPECT_EQ(VQNOTIFY_REASON_GRANTED, res[i].reason);
	}
	EXPECT_TRUE(q_info(self->fd, self->id, 0).flags &
		    VQNOTIFY_VQ_INITIALISED);
	EXPECT_EQ(DEASS, q_state(self->fd, self->id, 2));
	EXPECT_EQ(2U, g_info(self->fd).used);
}

TEST_F(api2, acquire_refused_waits_then_promoted)
{
	struct vqnotify_vq_result res[NQ];
	struct vqnotify_event ev[4];
	uint64_t one = 0x1, two = 0x2;
	uint32_t nr = NQ, budget, other;

	budget = self->info.threshold + self->info.vhost_reserve + 1;
	test_cmd_set_budget(budget);
	/* Fill the budget with another device's queues. */
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, budget, "o", &other);
	test_cmd_set_status(other, ST_OK, NULL, NULL, NULL);
	ASSERT_EQ(budget - self->info.vhost_reserve,
		  g_info(self->fd).nr_assigned);
	test_cmd_queues_acquire(self->id, &two, NQ, res, &nr);
	ASSERT_EQ(1U, nr);
	EXPECT_EQ(VQNOTIFY_LABEL_NONE, res[0].label);
	EXPECT_EQ(VQNOTIFY_REASON_NO_SLOT, res[0].reason);
	EXPECT_TRUE(q_info(self->fd, self->id, 1).flags &
		    VQNOTIFY_VQ_WAITING);
	/* Freeing one slot of the other device promotes it (r). */
	nr = NQ;
	test_cmd_queues_release(0, other, &one, budget, res, &nr);
	ASSERT_EQ(1, wait_events(self->fd, ev, 4, 1000));
	EXPECT_EQ(VQNOTIFY_LABEL_R, ev[0].label);
	EXPECT_EQ(self->id, ev[0].dev_id);
	EXPECT_EQ(1U, ev[0].queue);
}

/* @r is queue @q's (x) from @old because KVM refused it. */
static void expect_x_refused(struct __test_metadata *_metadata,
			     const struct vqnotify_vq_result *r, uint32_t q,
			     uint8_t old)
{
	EXPECT_EQ(q, r->queue);
	EXPECT_EQ(old, r->old_state);
	EXPECT_EQ(DEASS, r->new_state);
	EXPECT_EQ(VQNOTIFY_LABEL_X, r->label);
	EXPECT_EQ(VQNOTIFY_REASON_KVM_REFUSED, r->reason);
}

/* (x): only the listed queues move; nothing like (s) elsewhere. */
TEST_F(api2, release_x_touches_nothing_else)
{
	struct vqnotify_vq_result res[NQ];
	struct vqnotify_guest_info gi;
	uint64_t bm = 0x4;
	uint32_t nr = NQ;

	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	gi = g_info(self->fd);
	test_cmd_queues_release(VQNOTIFY_QUEUES_KVM_REFUSED, self->id, &bm, NQ,
				res, &nr);
	ASSERT_EQ(1U, nr);
	expect_x_refused(_metadata, &res[0], 2, ASSIG);
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(q == 2 ? DEASS : ASSIG,
			  q_state(self->fd, self->id, q));
	EXPECT_FALSE(q_info(self->fd, self->id, 2).flags &
		     VQNOTIFY_VQ_WAITING);
	EXPECT_EQ(gi.counts[VQNOTIFY_LABEL_S],
		  g_info(self->fd).counts[VQNOTIFY_LABEL_S]);
	EXPECT_EQ(gi.used - 1, g_info(self->fd).used);
}

TEST_F(api2, release_reason_released_and_reset_flag)
{
	struct vqnotify_vq_result res[NQ];
	uint64_t bm = 0x1;
	uint32_t nr = NQ;

	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	test_cmd_queues_release(VQNOTIFY_QUEUES_RESET, self->id, &bm, NQ, res,
				&nr);
	ASSERT_EQ(1U, nr);
	EXPECT_EQ(VQNOTIFY_REASON_RELEASED, res[0].reason);
	EXPECT_FALSE(q_info(self->fd, self->id, 0).flags &
		     VQNOTIFY_VQ_INITIALISED);
	/* Acquire brings it back (q). */
	nr = NQ;
	test_cmd_queues_acquire(self->id, &bm, NQ, res, &nr);
	ASSERT_EQ(1U, nr);
	EXPECT_EQ(VQNOTIFY_LABEL_Q, res[0].label);
}

/*
 * KVM refused the ioeventfd of vhost's host notifier: RELEASE with
 * KVM_REFUSED takes the OFFLIMITS queue too (x), its slot goes back; vhost
 * giving it back later changes nothing, taking it again is (c).
 */
TEST_F(api2, release_kvm_refused_takes_a_vhost_queue)
{
	struct vqnotify_vq_result res[NQ];
	struct vqnotify_guest_info gi, gi2;
	struct vqnotify_info info;
	uint64_t bm = 0x6;
	uint32_t nr = NQ, host;

	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(self->id, 1, true, NULL);
	gi = g_info(self->fd);
	test_cmd_get_info(&info);
	host = info.host_used;
	test_cmd_queues_release(VQNOTIFY_QUEUES_KVM_REFUSED, self->id, &bm, NQ,
				res, &nr);
	ASSERT_EQ(2U, nr);
	expect_x_refused(_metadata, &res[0], 1, OFFL);
	expect_x_refused(_metadata, &res[1], 2, ASSIG);
	gi2 = g_info(self->fd);
	EXPECT_EQ(gi.used - 2, gi2.used);
	EXPECT_EQ(0U, gi2.nr_offlimits);
	test_cmd_get_info(&info);
	EXPECT_EQ(host - 2, info.host_used);
	/* Two (x), and no (e) or (f): vhost did not stop. */
	EXPECT_EQ(gi.counts[VQNOTIFY_LABEL_X] + 2,
		  gi2.counts[VQNOTIFY_LABEL_X]);
	EXPECT_EQ(gi.counts[VQNOTIFY_LABEL_E], gi2.counts[VQNOTIFY_LABEL_E]);
	EXPECT_EQ(gi.counts[VQNOTIFY_LABEL_F], gi2.counts[VQNOTIFY_LABEL_F]);
	/* vhost stops: nothing left to give back */
	bm = 0x2;
	nr = NQ;
	test_cmd_host_notifiers(self->id, &bm, NQ, false, res, &nr);
	EXPECT_EQ(0U, nr);
	EXPECT_EQ(DEASS, q_state(self->fd, self->id, 1));
	/* vhost starts again: (c) */
	nr = NQ;
	test_cmd_host_notifiers(self->id, &bm, NQ, true, res, &nr);
	ASSERT_EQ(1U, nr);
	EXPECT_EQ(VQNOTIFY_LABEL_C, res[0].label);
	EXPECT_EQ(OFFL, q_state(self->fd, self->id, 1));
}

/* A per-queue reset of a queue vhost holds: EBUSY, KVM refused or not. */
TEST_F(api2, release_reset_of_a_vhost_queue_is_busy)
{
	uint64_t bm = 0x3;
	struct vqnotify_queues q = {
		.size = sizeof(q),
		.flags = VQNOTIFY_QUEUES_KVM_REFUSED | VQNOTIFY_QUEUES_RESET,
		.dev_id = self->id,
		.nr_queues = NQ,
		.queues = (uintptr_t)&bm,
	};

	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(self->id, 1, true, NULL);
	EXPECT_NO_CHANGE(self->fd, &self->id, 1, -EBUSY,
			 _test_ioctl(self->fd, VQNOTIFY_QUEUES_RELEASE, &q));
	EXPECT_EQ(ASSIG, q_state(self->fd, self->id, 0));
	EXPECT_EQ(OFFL, q_state(self->fd, self->id, 1));
	EXPECT_TRUE(q_info(self->fd, self->id, 1).flags &
		    VQNOTIFY_VQ_INITIALISED);
}

/* Errors: each one changes nothing. */
FIXTURE(qerr) {
	int fd;
	uint32_t id;
};

FIXTURE_VARIANT(qerr) {
	unsigned long cmd;
	uint32_t good_flags;
};

FIXTURE_VARIANT_ADD(qerr, acquire) {
	.cmd = VQNOTIFY_QUEUES_ACQUIRE,
	.good_flags = 0,
};

FIXTURE_VARIANT_ADD(qerr, release) {
	.cmd = VQNOTIFY_QUEUES_RELEASE,
	.good_flags = VQNOTIFY_QUEUES_KVM_REFUSED | VQNOTIFY_QUEUES_RESET,
};

FIXTURE_VARIANT_ADD(qerr, host_notifiers) {
	.cmd = VQNOTIFY_SET_HOST_NOTIFIERS,
	.good_flags = VQNOTIFY_HOST_NOTIFIER_ENABLE,
};

FIXTURE_SETUP(qerr)
{
	struct vqnotify_info info;

	self->fd = -1;
	if (!tk_present())
		SKIP(return, "%s not present", TK_DEV_PATH);
	self->fd = tk_open(0);
	ASSERT_LE(0, self->fd);
	test_cmd_get_info(&info);
	if (info.api_version < 2)
		SKIP(return, "API %u module", info.api_version);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 70, "e", &self->id);
	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
}

FIXTURE_TEARDOWN(qerr)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define QERR(_field, _val, _err) do {					\
	struct vqnotify_queues _q = base;				\
	_q._field = _val;						\
	EXPECT_NO_CHANGE(self->fd, &self->id, 1, _err,			\
			 _test_ioctl(self->fd, variant->cmd, &_q));	\
} while (0)

TEST_F(qerr, each_error)
{
	uint64_t bm[2] = { 0x1, 0 };
	struct vqnotify_vq_result res[70];
	const struct vqnotify_queues base = {
		.size = sizeof(base),
		.flags = variant->good_flags & VQNOTIFY_QUEUES_KVM_REFUSED,
		.dev_id = self->id,
		.nr_queues = 70,
		.queues = (uintptr_t)bm,
		.results = (uintptr_t)res,
		.nr_results = 70,
	};

	QERR(dev_id, self->id + 100, -ENOENT);
	QERR(flags, variant->good_flags ? variant->good_flags << 2 : 1,
	     -EOPNOTSUPP);
	QERR(flags, 1U << 31, -EOPNOTSUPP);
	QERR(__reserved, 1, -EINVAL);
	QERR(nr_queues, 0, -EINVAL);
	QERR(nr_queues, 71, -EINVAL);
	QERR(nr_queues, VQNOTIFY_MAX_QUEUES + 1, -EINVAL);
	QERR(nr_results, 69, -EINVAL);
	QERR(queues, 0, -EFAULT);
	QERR(queues, (uintptr_t)-4096, -EFAULT);
	QERR(results, (uintptr_t)-4096, -EFAULT);
	/* A bit past nr_queues. */
	bm[0] = 0x1 | 1ULL << 40;
	QERR(nr_queues, 40, -EINVAL);
	/* No bit at all. */
	bm[0] = 0;
	QERR(nr_queues, 70, -EINVAL);
	QERR(size, 8, -EINVAL);
}

/*
 * ACQUIRE and RELEASE leave vhost's queues alone: EBUSY, nothing moves
 * (RELEASE with KVM_REFUSED alone takes them; with a reset too, it does
 * not: above).
 */
TEST_F(qerr, vhost_queue_is_busy)
{
	uint64_t bm[2] = { 0x3, 0 };
	const struct vqnotify_queues base = {
		.size = sizeof(base),
		.dev_id = self->id,
		.nr_queues = 70,
		.queues = (uintptr_t)bm,
	};
	struct vqnotify_queues q = base;

	if (variant->cmd == VQNOTIFY_SET_HOST_NOTIFIERS)
		SKIP(return, "not applicable");
	test_cmd_host_notifier(self->id, 1, true, NULL);
	EXPECT_NO_CHANGE(self->fd, &self->id, 1, -EBUSY,
			 _test_ioctl(self->fd, variant->cmd, &q));
	EXPECT_EQ(ASSIG, q_state(self->fd, self->id, 0));
	EXPECT_EQ(OFFL, q_state(self->fd, self->id, 1));
}

TEST_F(qerr, read_only_file_is_ebadf)
{
	uint64_t bm[2] = { 0x1, 0 };
	struct vqnotify_queues q = {
		.size = sizeof(q),
		.dev_id = self->id,
		.nr_queues = 70,
		.queues = (uintptr_t)bm,
	};
	int ro = open(TK_DEV_PATH, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, _test_ioctl(ro, variant->cmd, &q));
	close(ro);
}

/* (c, d) at once; (e, f) at once. */
TEST_F(api2, host_notifiers_batch_on_and_off)
{
	struct vqnotify_vq_result res[NQ];
	uint64_t bm = 0x6;	/* 1 ASSIGNED, 2 ASSIGNED after DRIVER_OK */
	uint32_t nr = NQ, id2;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, NQ, "v", &id2);
	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	test_cmd_host_notifiers(self->id, &bm, NQ, true, res, &nr);
	ASSERT_EQ(2U, nr);
	EXPECT_EQ(VQNOTIFY_LABEL_D, res[0].label);
	EXPECT_EQ(VQNOTIFY_LABEL_D, res[1].label);
	/* Before DRIVER_OK: (c). */
	nr = NQ;
	test_cmd_host_notifiers(id2, &bm, NQ, true, res, &nr);
	ASSERT_EQ(2U, nr);
	EXPECT_EQ(VQNOTIFY_LABEL_C, res[0].label);
	/* Already OFFLIMITS: left alone. */
	nr = NQ;
	test_cmd_host_notifiers(id2, &bm, NQ, true, res, &nr);
	EXPECT_EQ(0U, nr);
	/* Off: (e) on the DRIVER_OK device, (f) on the other. */
	nr = NQ;
	test_cmd_host_notifiers(self->id, &bm, NQ, false, res, &nr);
	ASSERT_EQ(2U, nr);
	EXPECT_EQ(VQNOTIFY_LABEL_E, res[0].label);
	nr = NQ;
	test_cmd_host_notifiers(id2, &bm, NQ, false, res, &nr);
	ASSERT_EQ(2U, nr);
	EXPECT_EQ(VQNOTIFY_LABEL_F, res[0].label);
}

/* All or nothing: the batch that does not fit changes nothing. */
TEST_F(api2, host_notifiers_batch_enospc_changes_nothing)
{
	struct vqnotify_guest_info a, b;
	uint64_t bm = all_q;
	uint32_t v;

	test_cmd_set_budget(4);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, NQ, "v", &v);
	a = g_info(self->fd);
	test_err_host_notifiers(ENOSPC, v, &bm, NQ, true, NULL, NULL);
	b = g_info(self->fd);
	EXPECT_EQ(a.used, b.used);
	EXPECT_EQ(0, memcmp(a.counts, b.counts, sizeof(a.counts)));
	/* Four fit. */
	bm = 0xf;
	test_cmd_host_notifiers(v, &bm, NQ, true, NULL, NULL);
	EXPECT_EQ(4U, g_info(self->fd).nr_offlimits);
}

/*
 * vhost has priority: the batch takes the reserve kept free for it, then
 * preempts (p) the newest userspace queues, one for each queue it lacks;
 * the guest stays within its budget.
 */
TEST_F(api2, host_notifiers_batch_preempts)
{
	uint32_t rsv = self->info.vhost_reserve, nv = rsv + 2, want_p = 2;
	struct vqnotify_vq_result res[NQ];
	struct vqnotify_guest_info gi;
	struct vqnotify_event ev[NQ];
	uint32_t v, budget, nr = NQ;
	uint64_t bm;
	int n;

	budget = self->info.threshold + rsv + 1;
	if (budget > NQ || nv > NQ)
		SKIP(return, "threshold or reserve too high for this test");
	bm = (1ULL << nv) - 1;
	test_cmd_set_budget(budget);
	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	EXPECT_EQ(budget - rsv, g_info(self->fd).nr_assigned);
	/* The reserve's queues, and two more. */
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, nv, "v", &v);
	test_cmd_host_notifiers(v, &bm, nv, true, res, &nr);
	ASSERT_EQ(nv, nr);
	for (uint32_t i = 0; i < nv; i++) {
		EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, res[i].new_state);
		EXPECT_EQ(VQNOTIFY_LABEL_C, res[i].label);
	}
	n = tk_read_events(self->fd, ev, NQ);
	ASSERT_EQ((int)want_p, n);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(VQNOTIFY_LABEL_P, ev[i].label);
		EXPECT_EQ(self->id, ev[i].dev_id);
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, ev[i].old_state);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[i].new_state);
	}
	gi = g_info(self->fd);
	EXPECT_EQ(nv, gi.nr_offlimits);
	EXPECT_EQ(budget - rsv - want_p, gi.nr_assigned);
	EXPECT_EQ(gi.nr_assigned + gi.nr_offlimits, gi.used);
	EXPECT_GE(budget, gi.used);
}

/*
 * A device of up to 8 queues: the call's user accesses happen under the
 * guest's lock with page faults disabled. Each error as on a big device
 * (qerr), nothing changed.
 */
TEST_F(api2, queues_errors_small_device)
{
	struct vqnotify_vq_result res[NQ + 1], zero[NQ] = {};
	char *hole = tk_page_before_hole();
	uint64_t bm = 0x1;
	const struct vqnotify_queues base = {
		.size = sizeof(base),
		.dev_id = self->id,
		.nr_queues = NQ,
		.queues = (uintptr_t)&bm,
		.results = (uintptr_t)res,
		.nr_results = NQ,
	};
	const unsigned long cmd = VQNOTIFY_QUEUES_ACQUIRE;
	struct vqnotify_queues q;

#define QERR_SMALL(_field, _val, _err) do {				\
	q = base;							\
	q._field = _val;						\
	EXPECT_NO_CHANGE(self->fd, &self->id, 1, _err,			\
			 _test_ioctl(self->fd, cmd, &q));			\
} while (0)
	QERR_SMALL(dev_id, self->id + 100, -ENOENT);
	QERR_SMALL(nr_results, NQ - 1, -EINVAL);
	QERR_SMALL(nr_queues, NQ + 1, -EINVAL);
	QERR_SMALL(queues, 0, -EFAULT);
	QERR_SMALL(queues, (uintptr_t)-4096, -EFAULT);
	QERR_SMALL(results, (uintptr_t)-4096, -EFAULT);
	QERR_SMALL(results, (uintptr_t)tk_ro_page(), -EFAULT);
	/* Writable for NQ - 1 results, not for the last. */
	ASSERT_NE(NULL, hole);
	QERR_SMALL(results, (uintptr_t)hole + tk_page_size() -
		   (NQ - 1) * sizeof(res[0]), -EFAULT);
	bm = 0x1 | 1ULL << 5;
	QERR_SMALL(nr_queues, 5, -EINVAL);
	bm = 0;
	QERR_SMALL(nr_queues, NQ, -EINVAL);
#undef QERR_SMALL
	/*
	 * And the call itself: the device's NQ entries written, its result
	 * then zeros, and not the entry past them.
	 */
	bm = 0x1;
	q = base;
	memset(res, 0xa5, sizeof(res));
	ASSERT_EQ(0, _test_ioctl(self->fd, cmd, &q));
	ASSERT_EQ(1U, q.nr_results);
	EXPECT_EQ(VQNOTIFY_LABEL_Q, res[0].label);
	EXPECT_EQ(0, memcmp(&res[1], zero, (NQ - 1) * sizeof(res[0])));
	EXPECT_EQ(0xa5a5a5a5U, res[NQ].queue);
}

/*
 * The results buffer and the bitmap in pages not mapped yet: a small
 * device's call cannot take the fault under the guest's lock, so it goes
 * the two-round way and succeeds, as on a big device.
 */
TEST_F(api2, queues_small_device_pages_not_mapped_yet)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t one = 0x1;
	struct vqnotify_vq_result *res;
	struct vqnotify_queues q = {
		.size = sizeof(q),
		.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE,
		.dev_id = self->id,
		.nr_queues = NQ,
		.queues = (uintptr_t)&one,
		.nr_results = NQ,
	};
	uint64_t *bm;
	int mfd;

	test_cmd_set_status(self->id, ST_OK, NULL, NULL, NULL);
	/* Results: an anonymous page never touched. */
	res = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	q.results = (uintptr_t)res;
	ASSERT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIERS, &q));
	ASSERT_EQ(1U, q.nr_results);
	EXPECT_EQ(VQNOTIFY_LABEL_D, res[0].label);
	EXPECT_EQ(0U, res[0].queue);
	/* The bitmap: a page of a memfd, written, not mapped in yet. */
	mfd = memfd_create("vqn-bitmap", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	one = 0x2;
	ASSERT_EQ((ssize_t)sizeof(one), pwrite(mfd, &one, sizeof(one), 0));
	ASSERT_EQ(0, ftruncate(mfd, pg));
	bm = mmap(NULL, pg, PROT_READ, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, bm);
	q.queues = (uintptr_t)bm;
	q.nr_results = NQ;
	ASSERT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIERS, &q));
	ASSERT_EQ(1U, q.nr_results);
	EXPECT_EQ(VQNOTIFY_LABEL_D, res[0].label);
	EXPECT_EQ(1U, res[0].queue);
	EXPECT_EQ(OFFL, q_state(self->fd, self->id, 1));
	munmap(bm, pg);
	munmap(res, pg);
	close(mfd);
}

/* Names: 127 bytes, printable only. */
TEST_F(api2, names_long_and_printable)
{
	char name[VQNOTIFY_NAME_LEN] = "";
	struct vqnotify_dev_get dg;
	struct vqnotify_guest_info gi;
	uint32_t id;

	memset(name, 'n', sizeof(name) - 1);
	test_cmd_set_name(name);
	gi = g_info(self->fd);
	EXPECT_EQ(127U, strlen(gi.name));
	EXPECT_EQ(31U, strlen(gi.label));

	test_cmd_dev_add_flags(VQNOTIFY_DEV_ADD_NAME, VQNOTIFY_TRANSPORT_PIO, 1,
			       "/machine/peripheral/net0/virtio-backend", &id);
	test_cmd_dev_get(id, &dg, NULL, 0);
	EXPECT_STREQ("/machine/peripheral/net0/virtio-backend", dg.name);
	EXPECT_EQ(0, strncmp(dg.label, dg.name, 31));

	/* Names are padded with zeros: none of the caller's bytes is left. */
	memset(&dg, 0, sizeof(dg));
	memset(dg.label, 0xff, sizeof(dg.label));
	memset(dg.name, 0xff, sizeof(dg.name));
	dg.size = sizeof(dg);
	dg.dev_id = id;
	ASSERT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_DEV_GET, &dg));
	for (size_t i = strlen(dg.label); i < sizeof(dg.label); i++)
		EXPECT_EQ(0, dg.label[i]);
	for (size_t i = strlen(dg.name); i < sizeof(dg.name); i++)
		EXPECT_EQ(0, dg.name[i]);
	test_cmd_set_name("short");
	memset(&gi, 0xff, sizeof(gi));
	gi.size = sizeof(gi);
	gi.flags = gi.__reserved = gi.__reserved2 = 0;
	ASSERT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_GUEST_GET, &gi));
	for (size_t i = strlen(gi.name); i < sizeof(gi.name); i++)
		EXPECT_EQ(0, gi.name[i]);
	for (size_t i = strlen(gi.label); i < sizeof(gi.label); i++)
		EXPECT_EQ(0, gi.label[i]);
}

TEST_F(api2, names_errors)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_NAME,
	};
	struct vqnotify_dev_add da = {
		.size = offsetof(struct vqnotify_dev_add, name),
		.flags = VQNOTIFY_DEV_ADD_NAME,
		.transport = VQNOTIFY_TRANSPORT_PIO,
		.num_queues = 1,
	};

	memset(gs.name, 'n', sizeof(gs.name));	/* unterminated */
	test_err_ioctl(EINVAL, VQNOTIFY_GUEST_SET, &gs);
	strcpy(gs.name, "a\n1     prod-db");	/* a forged row */
	test_err_ioctl(EINVAL, VQNOTIFY_GUEST_SET, &gs);
	strcpy(gs.name, "caf\xc3\xa9");
	test_err_ioctl(EINVAL, VQNOTIFY_GUEST_SET, &gs);
	strcpy(gs.name, "ok");
	gs.flags |= VQNOTIFY_GUEST_SET_LABEL;
	test_err_ioctl(EINVAL, VQNOTIFY_GUEST_SET, &gs);
	EXPECT_STREQ("", g_info(self->fd).name);
	test_err_dev_add_flags(EINVAL, VQNOTIFY_DEV_ADD_NAME,
			       VQNOTIFY_TRANSPORT_PIO, 1, "tab\there", NULL);
	/* A name flag in a struct too short for the name: not named "". */
	strcpy(gs.name, "ok");
	gs.flags = VQNOTIFY_GUEST_SET_NAME;
	gs.size = offsetof(struct vqnotify_guest_set, name);
	test_err_ioctl(EINVAL, VQNOTIFY_GUEST_SET, &gs);
	gs.flags = VQNOTIFY_GUEST_SET_LABEL;
	strcpy(gs.label, "short");
	EXPECT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	EXPECT_STREQ("short", g_info(self->fd).name);
	test_err_ioctl(EINVAL, VQNOTIFY_DEV_ADD, &da);
	EXPECT_EQ(1U, g_info(self->fd).nr_devices);
	/* The v1 label, printable too; the API 2 name left empty. */
	test_err_dev_add(EINVAL, VQNOTIFY_TRANSPORT_PIO, 1, "x\x7f", NULL);
}

/* An O_RDONLY file may look, for monitoring tools, but not change. */
TEST_F(api2, read_only_file_queries_only)
{
	struct vqnotify_guest_info gi, gi0;
	struct vqnotify_info info;
	int ro = open(TK_DEV_PATH, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, ro);
	EXPECT_EQ(0, _test_ioctl_get_info(ro, &info));
	ASSERT_EQ(0, _test_ioctl_guest_get(ro, &gi0));
	EXPECT_EQ(-EBADF, _test_ioctl_dev_add(ro, VQNOTIFY_TRANSPORT_PIO, 1,
					      NULL, NULL));
	EXPECT_EQ(-EBADF, _test_ioctl_set_budget(ro, 5));
	EXPECT_EQ(-EBADF, _test_ioctl_set_run_state(ro, VQNOTIFY_RUN_STOPPED));
	EXPECT_EQ(-EBADF, _test_ioctl_set_name(ro, "ro"));
	EXPECT_EQ(-EBADF, _test_ioctl_set_label(ro, "ro"));
	/* Before the device is looked up: EBADF, not ENOENT. */
	EXPECT_EQ(-EBADF, _test_ioctl_set_status(ro, 1, ST_OK, NULL, NULL,
						 NULL));
	EXPECT_EQ(-EBADF, _test_ioctl_dev_reset(ro, 1, NULL, NULL));
	EXPECT_EQ(-EBADF, _test_ioctl_dev_remove(ro, 1, NULL, NULL));
	EXPECT_EQ(-EBADF, _test_ioctl_host_notifier(ro, 1, 0, true, NULL));
	EXPECT_EQ(-EBADF, _test_ioctl_dev_load(ro, 1, &info, sizeof(info),
					       NULL, NULL));
	ASSERT_EQ(0, _test_ioctl_guest_get(ro, &gi));
	EXPECT_EQ(0U, gi.nr_devices);
	EXPECT_EQ(gi0.budget, gi.budget);
	EXPECT_EQ(gi0.run_state, gi.run_state);
	EXPECT_STREQ(gi0.name, gi.name);
	EXPECT_STREQ(gi0.label, gi.label);
	close(ro);
}

/*
 * Fairness between guests waiting for the host cap. The fixture puts the
 * host cap back, whatever the test did; fair_fill_host_cap() sets it to
 * what the host uses now, so that the next queue to ask waits.
 */
FIXTURE(fair) {
	struct tk_nl nl;
	struct tk_nl_config cfg;	/* as found: put back */
	int filler_fd;
};

FIXTURE_SETUP(fair)
{
	self->nl.fd = self->filler_fd = -1;
	if (!tk_present())
		SKIP(return, "%s not present", TK_DEV_PATH);
	if (geteuid())
		SKIP(return, "needs CAP_NET_ADMIN for the host cap");
	ASSERT_EQ(0, tk_nl_open(&self->nl));
	ASSERT_EQ(0, _test_nl_config_get(&self->nl, &self->cfg));
}

FIXTURE_TEARDOWN(fair)
{
	if (self->nl.fd >= 0) {
		EXPECT_EQ(0, _test_nl_config_set_one(&self->nl,
						     VQNOTIFY_A_CONFIG_HOST_CAP,
						     self->cfg.host_cap));
	}
	if (self->filler_fd >= 0)
		close(self->filler_fd);
	tk_nl_close(&self->nl);
}

/*
 * The host cap at the slots the host uses now, at least one: when none is
 * used, a guest of the fixture's own fills the one slot the cap allows.
 * Returns the cap set.
 */
static uint32_t fair_fill_host_cap(struct __test_metadata *_metadata,
				   FIXTURE_DATA(fair) *self)
{
	struct vqnotify_info info;
	uint32_t filler, used;
	int fd = tk_open(0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, _test_ioctl_get_info(fd, &info));
	close(fd);
	used = info.host_used;
	ASSERT_EQ(0, _test_nl_config_set_one(&self->nl,
					     VQNOTIFY_A_CONFIG_HOST_CAP,
					     used ? used : 1));
	if (used)
		return used;
	self->filler_fd = tk_open(0);
	ASSERT_LE(0, self->filler_fd);
	ASSERT_EQ(0, _test_ioctl_dev_add(self->filler_fd,
					 VQNOTIFY_TRANSPORT_MMIO, 1, "x",
					 &filler));
	ASSERT_EQ(0, _test_ioctl_set_status(self->filler_fd, filler, ST_OK,
					    NULL, NULL, NULL));
	EXPECT_EQ(1U, g_info(self->filler_fd).nr_assigned);
	return 1;
}

/*
 * Three guests wait for the host cap, A first, then B, then C, two queues
 * each. Three freed slots go one to each, not two to A.
 */
TEST_F(fair, round_robin_across_guests)
{
	int fd[3], i;
	uint32_t id[3], used;
	struct vqnotify_event ev[8];

	for (i = 0; i < 3; i++) {
		fd[i] = tk_open(0);
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, _test_ioctl_dev_add(fd[i], VQNOTIFY_TRANSPORT_MMIO, 2,
					 "f", &id[i]));
	}
	used = fair_fill_host_cap(_metadata, self);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, _test_ioctl_set_status(fd[i], id[i], ST_OK, NULL, NULL,
					    NULL));
		EXPECT_EQ(2U, g_info(fd[i]).nr_waiting);
	}
	ASSERT_EQ(0, _test_nl_config_set_one(&self->nl,
					     VQNOTIFY_A_CONFIG_HOST_CAP,
					     used + 3));
	for (i = 0; i < 3; i++) {
		int n = wait_events(fd[i], ev, 8, 10000);

		EXPECT_EQ(1, n) TH_LOG("guest %d got %d promotions", i, n);
		EXPECT_EQ(1U, g_info(fd[i]).nr_assigned);
		EXPECT_EQ(1U, g_info(fd[i]).nr_waiting);
	}
	for (i = 0; i < 3; i++)
		close(fd[i]);
}

/* A guest that asks later waits behind the guests already waiting. */
TEST_F(fair, no_overtaking)
{
	int a, b, n;
	uint32_t ida, idb, idb2;
	struct vqnotify_event ev[4];

	a = tk_open(0);
	b = tk_open(0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, _test_ioctl_dev_add(a, VQNOTIFY_TRANSPORT_MMIO, 1, "a", &ida));
	ASSERT_EQ(0, _test_ioctl_dev_add(b, VQNOTIFY_TRANSPORT_MMIO, 1, "b", &idb));
	ASSERT_EQ(0, _test_ioctl_dev_add(b, VQNOTIFY_TRANSPORT_MMIO, 1, "b2", &idb2));
	ASSERT_EQ(0, _test_ioctl_set_status(b, idb, ST_OK, NULL, NULL, NULL));
	EXPECT_EQ(1U, g_info(b).nr_assigned);
	fair_fill_host_cap(_metadata, self);
	/* A waits for the host cap. */
	ASSERT_EQ(0, _test_ioctl_set_status(a, ida, ST_OK, NULL, NULL, NULL));
	EXPECT_EQ(1U, g_info(a).nr_waiting);
	/* B frees a slot and asks for one at once: A was first. */
	ASSERT_EQ(0, _test_ioctl_dev_reset(b, idb, NULL, NULL));
	ASSERT_EQ(0, _test_ioctl_set_status(b, idb2, ST_OK, NULL, NULL, NULL));
	n = wait_events(a, ev, 4, 10000);
	EXPECT_EQ(1, n);
	EXPECT_EQ(1U, g_info(a).nr_assigned);
	EXPECT_EQ(1U, g_info(b).nr_waiting);
	EXPECT_EQ(0U, g_info(b).nr_assigned);
	close(a);
	close(b);
}

TEST_HARNESS_MAIN
