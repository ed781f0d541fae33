// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_transition_test: every transition of one device, on each transport.
 *
 * Each of (a)-(g) and (s) is checked three ways: the per-queue results the
 * call returns, the queue's state, reason and label from QUEUE_GET, and the
 * guest's counts by label from GUEST_GET. Then SAVE/LOAD round trips, whose
 * LOAD derives (a) and (b) again.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include "vqn_utils.h"

/*
 * Transitions (a)-(g), (s) and migration, once per transport.
 */
FIXTURE(trans) {
	int fd;
	struct vqnotify_info info;
	long host0;
};

FIXTURE_VARIANT(trans) {
	uint32_t transport;
};

FIXTURE_VARIANT_ADD(trans, pio) {
	.transport = VQNOTIFY_TRANSPORT_PIO,
};

FIXTURE_VARIANT_ADD(trans, mmio) {
	.transport = VQNOTIFY_TRANSPORT_MMIO,
};

FIXTURE_VARIANT_ADD(trans, ccw) {
	.transport = VQNOTIFY_TRANSPORT_CCW,
};

FIXTURE_SETUP(trans)
{
	tk_setup_guest(self);
}

FIXTURE_TEARDOWN(trans)
{
	tk_teardown_guest(self);
}

/* (a): a new device's queues start DEASSIGNED. */
TEST_F(trans, a_dev_add)
{
	struct vqnotify_vq_info vi[5];
	struct vqnotify_dev_get dg;
	uint32_t id = 0, q;

	memset(vi, 0xa5, sizeof(vi));
	test_cmd_dev_add(variant->transport, 4, "dev-a", &id);
	ASSERT_NE(0U, id);
	test_cmd_dev_get(id, &dg, vi, 5);
	EXPECT_EQ(0U, dg.status);
	EXPECT_EQ(variant->transport, dg.transport);
	EXPECT_EQ(4U, dg.num_queues);
	EXPECT_EQ(4U, dg.nr_queues);
	EXPECT_STREQ("dev-a", dg.label);
	for (q = 0; q < 4; q++) {
		EXPECT_EQ(DEASS, vi[q].state);
		EXPECT_EQ(R(NONE), vi[q].reason);
		EXPECT_EQ(L(A), vi[q].label);
		EXPECT_EQ(0, vi[q].flags);
		EXPECT_EQ(0U, vi[q].assign_seq);
		EXPECT_VQ(self->fd, id, q, DEASS, R(NONE), L(A));
	}
	/* Only min(capacity, num_queues) records are written. */
	EXPECT_EQ(0xa5, vi[4].state);
	EXPECT_GUEST(0, 0, 0, "a4");
	test_check_guest(self->fd, &id, 1);	/* one device */
}

/* (b): DRIVER_OK assigns every initialised queue, in queue order. */
TEST_F(trans, b_driver_ok)
{
	struct vqnotify_vq_result res[4];
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 4, prev = 0;

	test_cmd_dev_add(variant->transport, 4, "b", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		vi = EXPECT_MOVED(self->fd, res[q], id, q, DEASS, ASSIG, L(B),
				  R(GRANTED));
		EXPECT_EQ(INIT, vi.flags);
		EXPECT_LT(prev, vi.assign_seq);
		prev = vi.assign_seq;
	}
	EXPECT_GUEST(4, 0, 0, "a4 b4");

	/* DRIVER_OK again is not a new DRIVER_OK: nothing changes. */
	nr = 4;
	test_cmd_set_status(id, TK_STATUS_OK, NULL, res, &nr);
	EXPECT_EQ(0U, nr);
	CHECK_COUNTS(self->fd, "a4 b4");
}

/* (b) with a ready bitmap: uninitialised queues are refused NOT_READY. */
TEST_F(trans, b_not_ready)
{
	struct vqnotify_vq_result res[4];
	uint64_t ready = 0x5;	/* queues 0 and 2 */
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 4;

	test_cmd_dev_add(variant->transport, 4, "b", &id);
	test_cmd_set_status(id, TK_STATUS_OK, &ready, res, &nr);
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		if (q % 2 == 0) {
			vi = EXPECT_MOVED(self->fd, res[q], id, q, DEASS,
					  ASSIG, L(B), R(GRANTED));
			EXPECT_EQ(INIT, vi.flags);
		} else {
			EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE),
				   R(NOT_READY));
			vi = EXPECT_VQ(self->fd, id, q, DEASS, R(NOT_READY),
				       L(A));
			EXPECT_EQ(0, vi.flags);
		}
	}
	EXPECT_GUEST(2, 0, 0, "a4 b2");
}

/* (c): vhost takes a DEASSIGNED queue. */
TEST_F(trans, c_vhost_on_deassigned)
{
	struct vqnotify_vq_result r;
	uint32_t id;

	test_cmd_dev_add(variant->transport, 2, "c", &id);
	test_cmd_host_notifier(id, 0, true, &r);
	EXPECT_MOVED(self->fd, r, id, 0, DEASS, OFFL, L(C), R(VHOST));
	EXPECT_VQ(self->fd, id, 1, DEASS, R(NONE), L(A));
	EXPECT_GUEST(0, 1, 0, "a2 c1");
	EXPECT_NO_EVENTS(self->fd);
}

/* (d): vhost takes an ASSIGNED queue; the slot passes to vhost. */
TEST_F(trans, d_vhost_on_assigned)
{
	struct vqnotify_vq_result r;
	uint32_t id;

	test_cmd_dev_add(variant->transport, 2, "d", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(id, 1, true, &r);
	EXPECT_MOVED(self->fd, r, id, 1, ASSIG, OFFL, L(D), R(VHOST));
	EXPECT_VQ(self->fd, id, 0, ASSIG, R(GRANTED), L(B));
	EXPECT_GUEST(1, 1, 0, "a2 b2 d1");
	EXPECT_NO_EVENTS(self->fd);
}

/* (e): vhost gives the queue back to a DRIVER_OK device: ASSIGNED again. */
TEST_F(trans, e_vhost_off_assigned)
{
	struct vqnotify_vq_info v0, v1;
	struct vqnotify_vq_result r;
	uint32_t id;

	test_cmd_dev_add(variant->transport, 2, "e", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(id, 1, true, NULL);
	test_cmd_host_notifier(id, 1, false, &r);
	v1 = EXPECT_MOVED(self->fd, r, id, 1, OFFL, ASSIG, L(E), R(VHOST_OFF));
	v0 = EXPECT_VQ(self->fd, id, 0, ASSIG, R(GRANTED), L(B));
	/* A new grant: the newest, preempted first. */
	EXPECT_LT(v0.assign_seq, v1.assign_seq);
	EXPECT_GUEST(2, 0, 0, "a2 b2 d1 e1");
}

/* (f): vhost gives back a queue of a device that is not DRIVER_OK. */
TEST_F(trans, f_vhost_off_not_driver_ok)
{
	struct vqnotify_vq_result r;
	struct vqnotify_vq_info vi;
	uint32_t id;

	test_cmd_dev_add(variant->transport, 2, "f", &id);
	test_cmd_set_status(id, TK_STATUS_FEATURES, NULL, NULL, NULL);
	test_cmd_host_notifier(id, 0, true, NULL);
	test_cmd_host_notifier(id, 0, false, &r);
	vi = EXPECT_MOVED(self->fd, r, id, 0, OFFL, DEASS, L(F), R(VHOST_OFF));
	EXPECT_EQ(0U, vi.flags & WAIT);
	EXPECT_GUEST(0, 0, 0, "a2 c1 f1");
	EXPECT_NO_EVENTS(self->fd);
}

/* (f) for a queue that was not initialised at DRIVER_OK: never (e). */
TEST_F(trans, f_vhost_off_uninitialised)
{
	struct vqnotify_vq_result r;
	struct vqnotify_vq_info vi;
	uint64_t ready = 0x1;	/* queue 1 not initialised */
	uint32_t id;

	test_cmd_dev_add(variant->transport, 2, "f", &id);
	test_cmd_set_status(id, TK_STATUS_OK, &ready, NULL, NULL);
	test_cmd_host_notifier(id, 1, true, &r);
	EXPECT_RES(r, 1, DEASS, OFFL, L(C), R(VHOST));
	test_cmd_host_notifier(id, 1, false, &r);
	vi = EXPECT_MOVED(self->fd, r, id, 1, OFFL, DEASS, L(F), R(NOT_READY));
	EXPECT_EQ(0, vi.flags);
	EXPECT_GUEST(1, 0, 0, "a2 b1 c1 f1");
	EXPECT_NO_EVENTS(self->fd);
}

static void g_check(struct __test_metadata *_metadata,
		    FIXTURE_DATA(trans) *self, uint32_t id,
		    const struct vqnotify_vq_result *res, uint32_t nr,
		    unsigned int reason)
{
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi;
	uint32_t q;

	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		/* OFFLIMITS too: the VMM learns vhost held queue 3. */
		vi = EXPECT_MOVED(self->fd, res[q], id, q,
				  q == 3 ? OFFL : ASSIG, DEASS, L(G), reason);
		EXPECT_EQ(0, vi.flags);
	}
	test_cmd_dev_get(id, &dg, NULL, 0);
	EXPECT_EQ(0U, dg.status);
	EXPECT_GUEST(0, 0, 0, "a4 b4 d1 g4");
	EXPECT_NO_EVENTS(self->fd);
}

/* A DRIVER_OK device with queues 0-2 ASSIGNED and queue 3 OFFLIMITS. */
static uint32_t g_setup(struct __test_metadata *_metadata,
			FIXTURE_DATA(trans) *self, uint32_t transport)
{
	uint32_t id;

	test_cmd_dev_add(transport, 4, "g", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(id, 3, true, NULL);
	return id;
}

/* (g) by DEV_RESET: every queue DEASSIGNED, OFFLIMITS included. */
TEST_F(trans, g_dev_reset)
{
	struct vqnotify_vq_result res[4];
	uint32_t id, nr = 4;

	id = g_setup(_metadata, self, variant->transport);
	test_cmd_dev_reset(id, res, &nr);
	g_check(_metadata, self, id, res, nr, R(RESET));
}

/* (g) by SET_STATUS 0. */
TEST_F(trans, g_status_zero)
{
	struct vqnotify_vq_result res[4];
	uint32_t id, nr = 4;

	id = g_setup(_metadata, self, variant->transport);
	test_cmd_set_status(id, 0, NULL, res, &nr);
	g_check(_metadata, self, id, res, nr, R(RESET));
}

/* (g) by DEV_REMOVE: results, then the device is gone. */
TEST_F(trans, g_dev_remove)
{
	struct vqnotify_vq_result res[4];
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 4;

	id = g_setup(_metadata, self, variant->transport);
	ASSERT_EQ(4, HOST_DELTA());
	test_cmd_dev_remove(id, res, &nr);
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++)
		EXPECT_RES(res[q], q, q == 3 ? OFFL : ASSIG, DEASS, L(G),
			   R(REMOVED));
	test_err_dev_get(ENOENT, id, &dg, NULL, 0);
	test_err_queue_get(ENOENT, id, 0, &vi);
	test_err_dev_remove(ENOENT, id, NULL, NULL);
	EXPECT_GUEST(0, 0, 0, "a4 b4 d1 g4");
	test_check_guest(self->fd, NULL, 0);	/* no device */
}

/* (s): DRIVER_OK cleared without reset; vhost keeps its queue. */
TEST_F(trans, s_driver_ok_cleared)
{
	struct vqnotify_vq_result res[3];
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 3;

	test_cmd_dev_add(variant->transport, 3, "s", &id);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_host_notifier(id, 2, true, NULL);
	test_cmd_set_status(id, TK_STATUS_FEATURES, NULL, res, &nr);
	ASSERT_EQ(2U, nr);
	for (q = 0; q < 2; q++) {
		vi = EXPECT_MOVED(self->fd, res[q], id, q, ASSIG, DEASS, L(S),
				  R(STOPPED));
		EXPECT_EQ(0U, vi.flags & WAIT);
	}
	EXPECT_VQ(self->fd, id, 2, OFFL, R(VHOST), L(D));
	test_cmd_dev_get(id, &dg, NULL, 0);
	EXPECT_EQ((uint32_t)TK_STATUS_FEATURES, dg.status);
	EXPECT_GUEST(0, 1, 0, "a3 b3 d1 s2");

	/* DRIVER_OK again: (b) for the two queues, vhost's is left alone. */
	nr = 3;
	test_cmd_set_status(id, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ(2U, nr);
	EXPECT_RES(res[0], 0, DEASS, ASSIG, L(B), R(GRANTED));
	EXPECT_RES(res[1], 1, DEASS, ASSIG, L(B), R(GRANTED));
	EXPECT_GUEST(2, 1, 0, "a3 b5 d1 s2");
}

/* A status without DRIVER_OK on a fresh device changes no queue. */
TEST_F(trans, status_without_driver_ok)
{
	struct vqnotify_vq_result res[2];
	struct vqnotify_dev_get dg;
	uint32_t id, nr = 2;

	test_cmd_dev_add(variant->transport, 2, "x", &id);
	test_cmd_set_status(id, TK_STATUS_FEATURES, NULL, res, &nr);
	EXPECT_EQ(0U, nr);
	test_cmd_dev_get(id, &dg, NULL, 0);
	EXPECT_EQ((uint32_t)TK_STATUS_FEATURES, dg.status);
	EXPECT_VQ(self->fd, id, 0, DEASS, R(NONE), L(A));
	EXPECT_GUEST(0, 0, 0, "a2");
}

/* One DRIVER_OK call covers a whole 1024-queue device. */
TEST_F(trans, b_max_queues_one_call)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	uint32_t id, q, nr = VQNOTIFY_MAX_QUEUES, bad = 0;
	struct vqnotify_guest_info gi;

	test_cmd_dev_add(variant->transport, VQNOTIFY_MAX_QUEUES, "big", &id);
	test_cmd_guest_get(&gi);
	if (gi.budget < VQNOTIFY_MAX_QUEUES + gi.vhost_reserve)
		SKIP(return, "budget %u too small", gi.budget);
	test_cmd_set_status(id, TK_STATUS_OK, NULL, res, &nr);
	ASSERT_EQ((uint32_t)VQNOTIFY_MAX_QUEUES, nr);
	for (q = 0; q < nr; q++)
		bad += res[q].queue != q || res[q].new_state != ASSIG ||
		       res[q].label != L(B);
	EXPECT_EQ(0U, bad);
	EXPECT_GUEST(VQNOTIFY_MAX_QUEUES, 0, 0, "a1024 b1024");
}

/*
 * Round trip: DRIVER_OK, queues 2 and 5 not initialised, 6 and 7 held by
 * vhost. LOAD into a fresh device of a second guest derives (a) then (b),
 * vhost's queues included; vhost re-enables its queues (d); the result
 * equals the source, counts included.
 */
TEST_F(trans, save_load_round_trip)
{
	struct vqnotify_vq_result res[8], r;
	struct vqnotify_guest_info gs, gd;
	uint64_t ready = 0xdb;	/* all but 2 and 5 */
	uint8_t blob[TK_BLOB_BUF];
	uint32_t src, dst, q, len, nr = 8;
	int fd2;

	test_cmd_dev_add(variant->transport, 8, "src", &src);
	test_cmd_set_status(src, TK_STATUS_OK, &ready, NULL, NULL);
	test_cmd_host_notifier(src, 6, true, NULL);
	test_cmd_host_notifier(src, 7, true, NULL);
	len = tk_save_blob(_metadata, self->fd, src, blob);

	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_dev_add(fd2, variant->transport, 8, "dst", &dst));
	ASSERT_EQ(0, _test_ioctl_dev_load(fd2, dst, blob, len, res, &nr));
	ASSERT_EQ(8U, nr);
	for (q = 0; q < 8; q++) {
		if (q == 2 || q == 5)
			EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE),
				   R(NOT_READY));
		else	/* API 2: vhost's queues want a slot too */
			EXPECT_RES(res[q], q, DEASS, ASSIG, L(B), R(GRANTED));
	}
	EXPECT_VQ(fd2, dst, 6, ASSIG, R(GRANTED), L(B));
	CHECK_COUNTS(fd2, "a8 b6");

	/* vhost re-enables its notifiers itself, as QEMU does: (d). */
	for (q = 6; q < 8; q++) {
		ASSERT_EQ(0, _test_ioctl_host_notifier(fd2, dst, q, true, &r));
		EXPECT_RES(r, q, ASSIG, OFFL, L(D), R(VHOST));
	}
	tk_expect_same_dev(_metadata, self->fd, src, fd2, dst);
	CHECK_COUNTS(fd2, "a8 b6 d2");
	test_cmd_guest_get(&gs);
	ASSERT_EQ(0, _test_ioctl_guest_get(fd2, &gd));
	EXPECT_EQ(gs.used, gd.used);
	EXPECT_EQ(gs.nr_assigned, gd.nr_assigned);
	EXPECT_EQ(gs.nr_offlimits, gd.nr_offlimits);
	close(fd2);
}

/* A device saved before DRIVER_OK loads without any (b). */
TEST_F(trans, save_load_before_driver_ok)
{
	struct vqnotify_vq_result res[4];
	uint8_t blob[TK_BLOB_BUF];
	uint32_t src, dst, len, nr = 4;
	int fd2;

	test_cmd_dev_add(variant->transport, 4, "src", &src);
	test_cmd_set_status(src, TK_STATUS_FEATURES, NULL, NULL, NULL);
	len = tk_save_blob(_metadata, self->fd, src, blob);
	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_dev_add(fd2, variant->transport, 4, "dst", &dst));
	ASSERT_EQ(0, _test_ioctl_dev_load(fd2, dst, blob, len, res, &nr));
	EXPECT_EQ(0U, nr);
	tk_expect_same_dev(_metadata, self->fd, src, fd2, dst);
	CHECK_COUNTS(fd2, "a4");
	close(fd2);
}

/*
 * vhost may hold a queue the VMM did not mark initialised at DRIVER_OK
 * (QEMU enables the notifiers of all of a vhost device's queues): queue 1
 * of four here. The device saved, loaded into a new device (*@dst) of a
 * second guest, whose fd is returned; *@src is the source.
 */
static int load_vhost_uninitialised(struct __test_metadata *_metadata,
				    FIXTURE_DATA(trans) *self,
				    const FIXTURE_VARIANT(trans) *variant,
				    uint32_t *src, uint32_t *dst)
{
	struct vqnotify_vq_result res[4];
	uint64_t ready = 0xd;	/* queue 1 not initialised */
	uint8_t blob[TK_BLOB_BUF];
	uint32_t len, nr = 4;
	int fd2;

	test_cmd_dev_add(variant->transport, 4, "src", src);
	test_cmd_set_status(*src, TK_STATUS_OK, &ready, NULL, NULL);
	test_cmd_host_notifier(*src, 1, true, NULL);
	len = tk_save_blob(_metadata, self->fd, *src, blob);
	fd2 = tk_open(0);
	EXPECT_LE(0, fd2);
	EXPECT_EQ(0, _test_ioctl_dev_add(fd2, variant->transport, 4, "dst",
					 dst));
	EXPECT_EQ(0, _test_ioctl_dev_load(fd2, *dst, blob, len, res, &nr));
	return fd2;
}

/* What SAVE produces for such a device, LOAD must take. */
TEST_F(trans, save_load_vhost_on_uninitialised_queue)
{
	uint32_t src, dst;
	int fd2 = load_vhost_uninitialised(_metadata, self, variant, &src,
					   &dst);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, _test_ioctl_host_notifier(fd2, dst, 1, true, NULL));
	tk_expect_same_dev(_metadata, self->fd, src, fd2, dst);
	close(fd2);
}

/*
 * Loaded where vhost does not start: each queue as vhost giving it back
 * on the source leaves it, the uninitialised one DEASSIGNED (not ready,
 * (f)), not holding a slot nobody will use.
 */
TEST_F(trans, save_load_vhost_on_uninitialised_queue_without_vhost)
{
	uint32_t src, dst;
	int fd2 = load_vhost_uninitialised(_metadata, self, variant, &src,
					   &dst);

	ASSERT_LE(0, fd2);
	test_cmd_host_notifier(src, 1, false, NULL);
	tk_expect_same_dev(_metadata, self->fd, src, fd2, dst);
	EXPECT_VQ(fd2, dst, 1, DEASS, R(NOT_READY), L(A));
	close(fd2);
}

TEST_HARNESS_MAIN
