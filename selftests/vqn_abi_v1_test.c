// SPDX-License-Identifier: GPL-2.0
/*
 * An API 1 VMM, built against the API 1 header (selftests/abi-v1), on
 * today's module: its structures are smaller than today's, its calls must
 * work as they did, and the module must never write past the sizes it
 * passes. Raw ioctls only: nothing here may know about later APIs.
 */
#define _GNU_SOURCE
#include "abi-v1/linux/vqnotify.h"	/* first: its guard wins */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vqn_guard.h"

#define NQ	4
#define OK	0x0f

/* Each structure sits in a buffer whose tail must stay VQN_GUARD. */
union v1_buf {
	struct vqnotify_info info;
	struct vqnotify_guest_set gs;
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_add da;
	struct vqnotify_dev_op op;
	struct vqnotify_host_notifier hn;
	struct vqnotify_dev_get dg;
	struct vqnotify_migration mg;
	uint8_t raw[1024];
};

static int v1_ioctl(int fd, unsigned long cmd, union v1_buf *b, size_t size)
{
	b->info.size = size;
	return ioctl(fd, cmd, b) ? -errno : 0;
}

static bool guard_intact(const union v1_buf *b, size_t size)
{
	return vqn_guard_written_past(b->raw, size, sizeof(b->raw)) ==
	       sizeof(b->raw);
}

static void v1_clear(union v1_buf *b, size_t size)
{
	memset(b->raw, VQN_GUARD, sizeof(b->raw));
	memset(b->raw, 0, size);
}

FIXTURE(v1) {
	int fd;
	union v1_buf b;
};

FIXTURE_SETUP(v1)
{
	self->fd = open("/dev/vqnotify", O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "/dev/vqnotify not present");
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(v1)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(v1, get_info_fits_the_v1_struct)
{
	union v1_buf *b = &self->b;

	v1_clear(b, sizeof(b->info));
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_GET_INFO, b,
			      sizeof(b->info)));
	EXPECT_LE(1U, b->info.api_version);
	EXPECT_TRUE(b->info.features & VQNOTIFY_FEATURE_SAVE_LOAD);
	EXPECT_TRUE(guard_intact(b, sizeof(b->info)));
}

/* The whole API 1 lifecycle, as its VMMs drive it. */
TEST_F(v1, lifecycle)
{
	struct vqnotify_vq_result res[NQ];
	struct vqnotify_vq_info vi[NQ];
	union v1_buf *b = &self->b;
	uint8_t blob[256];
	uint32_t id, id2;

	v1_clear(b, sizeof(b->gs));
	b->gs.flags = VQNOTIFY_GUEST_SET_LABEL | VQNOTIFY_GUEST_SET_BUDGET;
	b->gs.budget = 64;
	strcpy(b->gs.label, "vm-v1");
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_GUEST_SET, b,
			      sizeof(b->gs)));
	EXPECT_TRUE(guard_intact(b, sizeof(b->gs)));

	v1_clear(b, sizeof(b->da));
	b->da.transport = VQNOTIFY_TRANSPORT_PIO;
	b->da.num_queues = NQ;
	strcpy(b->da.label, "virtio-blk");
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_DEV_ADD, b, sizeof(b->da)));
	EXPECT_TRUE(guard_intact(b, sizeof(b->da)));
	id = b->da.out_dev_id;

	v1_clear(b, sizeof(b->op));
	b->op.dev_id = id;
	b->op.status = OK;
	b->op.results = (uintptr_t)res;
	b->op.nr_results = NQ;
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_SET_STATUS, b,
			      sizeof(b->op)));
	EXPECT_EQ((uint32_t)NQ, b->op.nr_results);
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(VQNOTIFY_LABEL_B, res[q].label);

	v1_clear(b, sizeof(b->hn));
	b->hn.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE;
	b->hn.dev_id = id;
	b->hn.queue = 1;
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIER, b,
			      sizeof(b->hn)));
	EXPECT_EQ(VQNOTIFY_LABEL_D, b->hn.result.label);
	EXPECT_EQ(-EALREADY, v1_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIER,
				      b, sizeof(b->hn)));

	v1_clear(b, sizeof(b->dg));
	b->dg.dev_id = id;
	b->dg.queues = (uintptr_t)vi;
	b->dg.nr_queues = NQ;
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_DEV_GET, b, sizeof(b->dg)));
	EXPECT_STREQ("virtio-blk", b->dg.label);
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, vi[1].state);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, vi[0].state);
	EXPECT_TRUE(guard_intact(b, sizeof(b->dg)));

	v1_clear(b, sizeof(b->gi));
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_GUEST_GET, b,
			      sizeof(b->gi)));
	EXPECT_STREQ("vm-v1", b->gi.label);
	EXPECT_EQ((uint32_t)NQ, b->gi.used);
	EXPECT_EQ(64U, b->gi.budget);
	EXPECT_TRUE(guard_intact(b, sizeof(b->gi)));

	/* Migration as API 1 did it: onto a device just added. */
	v1_clear(b, sizeof(b->da));
	b->da.transport = VQNOTIFY_TRANSPORT_PIO;
	b->da.num_queues = NQ;
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_DEV_ADD, b, sizeof(b->da)));
	id2 = b->da.out_dev_id;
	{
		uint32_t len = 0;

		v1_clear(b, sizeof(b->mg));
		b->mg.dev_id = id;
		b->mg.data = (uintptr_t)blob;
		b->mg.len = sizeof(blob);
		ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_DEV_SAVE, b,
				      sizeof(b->mg)));
		len = b->mg.len;
		v1_clear(b, sizeof(b->mg));
		b->mg.dev_id = id2;
		b->mg.data = (uintptr_t)blob;
		b->mg.len = len;
		ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_DEV_LOAD, b,
				      sizeof(b->mg)));
	}

	/* Reset and removal. */
	v1_clear(b, sizeof(b->op));
	b->op.dev_id = id;
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_DEV_RESET, b, sizeof(b->op)));
	v1_clear(b, sizeof(b->op));
	b->op.dev_id = id;
	ASSERT_EQ(0, v1_ioctl(self->fd, VQNOTIFY_DEV_REMOVE, b,
			      sizeof(b->op)));
}

/* API 1's errno rules still hold for API 1 structures. */
TEST_F(v1, errors)
{
	union v1_buf *b = &self->b;

	v1_clear(b, sizeof(b->gs));
	b->gs.flags = 1U << 30;
	EXPECT_EQ(-EOPNOTSUPP, v1_ioctl(self->fd, VQNOTIFY_GUEST_SET, b,
					sizeof(b->gs)));
	v1_clear(b, sizeof(b->gs));
	b->gs.__reserved = 1;
	EXPECT_EQ(-EINVAL, v1_ioctl(self->fd, VQNOTIFY_GUEST_SET, b,
				    sizeof(b->gs)));
	v1_clear(b, sizeof(b->op));
	b->op.dev_id = 12345;
	EXPECT_EQ(-ENOENT, v1_ioctl(self->fd, VQNOTIFY_SET_STATUS, b,
				    sizeof(b->op)));
	/* Larger than any structure, with a non-zero tail: E2BIG. */
	memset(b->raw, 0, sizeof(b->raw));
	b->raw[sizeof(b->raw) - 1] = 1;
	EXPECT_EQ(-E2BIG, v1_ioctl(self->fd, VQNOTIFY_GUEST_GET, b,
				   sizeof(b->raw)));
}

TEST_HARNESS_MAIN
