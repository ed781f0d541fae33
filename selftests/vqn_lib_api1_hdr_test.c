// SPDX-License-Identifier: GPL-2.0
/*
 * A VMM that includes its own API 1 <linux/vqnotify.h> (selftests/abi-v1)
 * before libvqnotify.h, as a VMM with a copy of the uAPI may: the header
 * binds its vqn_guest_get() and vqn_dev_get() to their VQNOTIFY_1
 * versions, which fill the API 1 structs the program has, not a byte past
 * them. Before they did, the library zeroed and filled today's sizes: 136
 * bytes past a guest_info, 128 past a dev_get.
 */
#define _GNU_SOURCE
#include "abi-v1/linux/vqnotify.h"	/* first: its guard wins */

#include <string.h>

#include "libvqnotify.h"
#include "kselftest_harness.h"
#include "vqn_guard.h"

#define NQ	4

TEST(api1_header_structs_not_overrun)
{
	union {
		struct vqnotify_guest_info gi;
		unsigned char b[sizeof(struct vqnotify_guest_info) + 256];
	} g;
	union {
		struct vqnotify_dev_get dg;
		unsigned char b[sizeof(struct vqnotify_dev_get) + 256];
	} d;
	struct vqnotify_vq_info vi[NQ];
	struct vqn_guest *vg;
	uint32_t dev;

	ASSERT_EQ(1, VQNOTIFY_API_VERSION);
	ASSERT_EQ(0, vqn_open(&vg, "api1-vmm"));
	ASSERT_EQ(0, vqn_dev_add(vg, VQNOTIFY_TRANSPORT_MMIO, NQ, "blk", &dev));

	memset(&g, VQN_GUARD, sizeof(g));
	ASSERT_EQ(0, vqn_guest_get(vg, &g.gi));
	EXPECT_EQ(sizeof(g),
		  vqn_guard_written_past(g.b, sizeof(g.gi), sizeof(g))) {
		TH_LOG("vqn_guest_get() wrote past API 1's %zu bytes",
		       sizeof(g.gi));
	}
	EXPECT_EQ(sizeof(g.gi), g.gi.size);
	EXPECT_EQ(1U, g.gi.nr_devices);

	memset(&d, VQN_GUARD, sizeof(d));
	ASSERT_EQ(NQ, vqn_dev_get(vg, dev, &d.dg, vi, NQ));
	EXPECT_EQ(sizeof(d),
		  vqn_guard_written_past(d.b, sizeof(d.dg), sizeof(d))) {
		TH_LOG("vqn_dev_get() wrote past API 1's %zu bytes",
		       sizeof(d.dg));
	}
	EXPECT_EQ(sizeof(d.dg), d.dg.size);
	EXPECT_EQ((uint32_t)NQ, d.dg.num_queues);
	EXPECT_STREQ("blk", d.dg.label);
	vqn_close(vg);
}

TEST_HARNESS_MAIN
