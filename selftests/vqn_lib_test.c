// SPDX-License-Identifier: GPL-2.0
/*
 * libvqnotify against the real module: every call's results and errors,
 * the library's view, event decoding (preemption, promotion, budget,
 * overflow with resynchronisation), save/load, and the name helpers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#include "vqn_lib_utils.h"
#include "vqn_nl_utils.h"
#include "vqn_api1_wrap.h"
#include "vqn_malloc_wrap.h"
#include "vqn_guard.h"

#define NQ		4

/*
 * This program is linked with --wrap=free (selftests/Makefile): every
 * block is filled before it is freed, libvqnotify's included, so that
 * the library reading memory it freed reads 0x5a, not what it left there
 * (glibc's M_PERTURB does not fill blocks freed to its thread cache).
 */
void __real_free(void *p);
void __wrap_free(void *p);

void __wrap_free(void *p)
{
	if (p)
		memset(p, 0x5a, malloc_usable_size(p));
	__real_free(p);
}

static bool have_module(void)
{
	return access(VQN_DEVICE_PATH, F_OK) == 0;
}

/* Every queue's module state equals the library's view. */
static bool view_agrees(struct vqn_guest *g, uint32_t dev, uint32_t nq)
{
	struct vqn_view v;
	uint32_t q;

	for (q = 0; q < nq; q++)
		if (vqn_queue_view(g, dev, q, &v) ||
		    v.state != state_of(g, dev, q))
			return false;
	return true;
}

static bool event_fd_readable(struct vqn_guest *g)
{
	struct pollfd p = { .fd = vqn_event_fd(g), .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

FIXTURE(lib) {
	struct vqn_guest *g;
	uint32_t dev;
	struct vqn_result res[VQNOTIFY_MAX_QUEUES];
};

FIXTURE_SETUP(lib)
{
	if (!have_module())
		SKIP(return, "no " VQN_DEVICE_PATH);
	ASSERT_EQ(0, vqn_open(&self->g, "libtest"));
	ASSERT_HOST_DEFAULTS(self->g);
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, NQ, "blk",
				 &self->dev));
}

FIXTURE_TEARDOWN(lib)
{
	vqn_wrap_reset();
	fail_malloc_size = 0;
	vqn_close(self->g);
}

TEST(open_missing_path)
{
	struct vqn_guest *g = (void *)1;

	EXPECT_EQ(-ENOENT, vqn_open_path(&g, "/nonexistent/vqnotify", NULL));
	EXPECT_EQ(NULL, g);
}

TEST(open_not_vqnotify)
{
	struct vqn_guest *g;

	/* /dev/null takes no vqnotify ioctl. */
	EXPECT_EQ(-ENOTTY, vqn_open_path(&g, "/dev/null", NULL));
}

TEST_F(lib, info_and_label)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_info info;

	ASSERT_EQ(0, vqn_get_info(self->g, &info));
	EXPECT_EQ(VQNOTIFY_API_VERSION, (int)info.api_version);
	EXPECT_EQ(sizeof(struct vqnotify_event), info.event_size);
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_STREQ("libtest", gi.label);
	EXPECT_EQ(1u, gi.nr_devices);
	ASSERT_EQ(0, vqn_set_label(self->g, "renamed"));
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_STREQ("renamed", gi.label);
}

/* API 2 names: 127 bytes fit, 128 do not. */
TEST_F(lib, label_too_long)
{
	char label[VQNOTIFY_NAME_LEN + 1];

	memset(label, 'x', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, vqn_set_label(self->g, label));
	label[VQNOTIFY_NAME_LEN - 1] = '\0';
	EXPECT_EQ(0, vqn_set_name(self->g, label));
	label[VQNOTIFY_NAME_LEN - 1] = 'x';
	EXPECT_EQ(-ENAMETOOLONG, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_PIO,
					     1, label, NULL));
}

TEST_F(lib, dev_add_bad_transport)
{
	EXPECT_EQ(-EINVAL, vqn_dev_add(self->g, 0, 1, "x", NULL));
	EXPECT_EQ(-EINVAL, vqn_dev_add(self->g, 4, 1, "x", NULL));
}

TEST_F(lib, dev_add_bad_queue_count)
{
	EXPECT_EQ(-EINVAL, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_PIO, 0,
				       "x", NULL));
	EXPECT_EQ(-EINVAL, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_PIO,
				       VQNOTIFY_MAX_QUEUES + 1, "x", NULL));
}

TEST_F(lib, dev_list)
{
	uint32_t ids[4], dev2;

	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_PIO, 1, "b",
				 &dev2));
	ASSERT_EQ(2, vqn_dev_list(self->g, ids, 4));
	EXPECT_EQ(self->dev, ids[0]);
	EXPECT_EQ(dev2, ids[1]);
	EXPECT_EQ(2, vqn_dev_list(self->g, ids, 1));
}

TEST_F(lib, driver_ok_results)
{
	struct vqn_view v;
	int i, n;

	n = vqn_set_status(self->g, self->dev, STATUS_OK, NULL, self->res,
			   VQNOTIFY_MAX_QUEUES);
	ASSERT_EQ(NQ, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(self->dev, self->res[i].dev_id);
		EXPECT_EQ((uint32_t)i, self->res[i].queue);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, self->res[i].old_state);
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, self->res[i].new_state);
		EXPECT_EQ(VQNOTIFY_LABEL_B, self->res[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_GRANTED, self->res[i].reason);
		EXPECT_EQ(0, self->res[i].kvm_err);
		ASSERT_EQ(0, vqn_queue_view(self->g, self->dev, i, &v));
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, v.state);
		EXPECT_FALSE(v.kvm_assigned);
	}
}

/* Fewer entries than queues changed: the count is still the whole. */
TEST_F(lib, results_capacity_smaller)
{
	EXPECT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     self->res, 1));
	EXPECT_EQ(0u, self->res[0].queue);
	EXPECT_EQ(NQ, vqn_dev_reset(self->g, self->dev, NULL, 0));
}

/* @res NULL, whatever @cap says: nothing written, the count returned. */
TEST_F(lib, results_null_with_capacity)
{
	struct vqn_view v;

	EXPECT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, NQ));
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev, NQ - 1, &v));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, v.state);
	EXPECT_EQ(NQ, vqn_dev_reset(self->g, self->dev, NULL, NQ));
}

TEST_F(lib, ready_bitmap)
{
	uint64_t ready = 0x5;	/* queues 0 and 2 */
	int n, i, granted = 0, refused = 0;

	n = vqn_set_status(self->g, self->dev, STATUS_OK, &ready, self->res,
			   VQNOTIFY_MAX_QUEUES);
	ASSERT_EQ(NQ, n);
	for (i = 0; i < n; i++) {
		if (self->res[i].label == VQNOTIFY_LABEL_B) {
			granted++;
			EXPECT_NE(0ULL, ready & (1ULL << self->res[i].queue));
		} else {
			refused++;
			EXPECT_EQ(VQNOTIFY_LABEL_NONE, self->res[i].label);
			EXPECT_EQ(VQNOTIFY_REASON_NOT_READY,
				  self->res[i].reason);
		}
	}
	EXPECT_EQ(2, granted);
	EXPECT_EQ(2, refused);
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

TEST_F(lib, ready_bitmap_bit_past_queues)
{
	uint64_t ready = 1ULL << NQ;

	EXPECT_EQ(-EINVAL, vqn_set_status(self->g, self->dev, STATUS_OK,
					  &ready, NULL, 0));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev, 0));
}

/*
 * Each call on a device the guest does not have: -ENOENT, the guest's own
 * device untouched.
 */
static void unknown_device_refused(struct __test_metadata *_metadata,
				   FIXTURE_DATA(lib) *self, int ret)
{
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev, 0));
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

TEST_F(lib, unknown_device_set_status)
{
	unknown_device_refused(_metadata, self,
			       vqn_set_status(self->g, 999, STATUS_OK, NULL,
					      NULL, 0));
}

TEST_F(lib, unknown_device_reset)
{
	unknown_device_refused(_metadata, self,
			       vqn_dev_reset(self->g, 999, NULL, 0));
}

TEST_F(lib, unknown_device_remove)
{
	unknown_device_refused(_metadata, self,
			       vqn_dev_remove(self->g, 999, NULL, 0));
}

TEST_F(lib, unknown_device_host_notifier)
{
	unknown_device_refused(_metadata, self,
			       vqn_host_notifier(self->g, 999, 0, true, NULL));
}

TEST_F(lib, unknown_device_queue_get)
{
	struct vqnotify_vq_info info;

	unknown_device_refused(_metadata, self,
			       vqn_queue_get(self->g, 999, 0, &info));
}

TEST_F(lib, unknown_device_dev_get)
{
	struct vqnotify_dev_get dg;

	unknown_device_refused(_metadata, self,
			       vqn_dev_get(self->g, 999, &dg, NULL, 0));
}

TEST_F(lib, unknown_device_save)
{
	size_t len = 0;

	unknown_device_refused(_metadata, self,
			       vqn_dev_save(self->g, 999, NULL, &len));
}

TEST_F(lib, queue_out_of_range)
{
	struct vqnotify_vq_info info;
	struct vqn_view v;

	EXPECT_EQ(-EINVAL, vqn_queue_get(self->g, self->dev, NQ, &info));
	EXPECT_EQ(-EINVAL, vqn_queue_view(self->g, self->dev, NQ, &v));
	EXPECT_EQ(-EINVAL, vqn_host_notifier(self->g, self->dev, NQ, true,
					     NULL));
}

TEST_F(lib, host_notifier_d_and_e)
{
	struct vqn_result r;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev, 1, true, &r));
	EXPECT_EQ(1u, r.queue);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, r.old_state);
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, r.new_state);
	EXPECT_EQ(VQNOTIFY_LABEL_D, r.label);
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev, 1, false, &r));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, r.new_state);
	EXPECT_EQ(VQNOTIFY_LABEL_E, r.label);
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

TEST_F(lib, host_notifier_already)
{
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev, 0, true, NULL));
	EXPECT_EQ(-EALREADY, vqn_host_notifier(self->g, self->dev, 0, true,
					       NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev, 0, false, NULL));
	EXPECT_EQ(-EALREADY, vqn_host_notifier(self->g, self->dev, 0, false,
					       NULL));
}

/* Limited guest (budget 6 < threshold 7) with all 6 slots held by vhost. */
TEST_F(lib, host_notifier_no_slot)
{
	uint32_t dev2, q;

	ASSERT_EQ(0, vqn_set_budget(self->g, 6));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 7, "net",
				 &dev2));
	for (q = 0; q < 6; q++)
		ASSERT_EQ(0, vqn_host_notifier(self->g, dev2, q, true, NULL));
	EXPECT_EQ(-ENOSPC, vqn_host_notifier(self->g, dev2, 6, true, NULL));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, dev2, 6));
}

static volatile int lib_ticks;

/* SIGALRM: 200 ticks, then the timer stops (an old library's wait ends). */
static void lib_tick(int sig)
{
	struct itimerval off = { 0 };

	if (++lib_ticks == 200)
		setitimer(ITIMER_REAL, &off, NULL);
}

/*
 * A signal every 5 ms while nothing happens: the wait still ends after
 * its 50 ms. (It restarted with the whole timeout after each, and ended
 * only when the signals stopped, after a second.)
 */
TEST_F(lib, wait_events_timeout_despite_signals)
{
	struct itimerval every = {
		.it_interval = { .tv_usec = 5000 },
		.it_value = { .tv_usec = 5000 },
	};
	struct itimerval off = { 0 };
	struct sigaction sa = { .sa_handler = lib_tick };
	struct timespec t0, t1;
	long ms;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	lib_ticks = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &every, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, vqn_wait_events(self->g, 50));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	TH_LOG("waited %ld ms, %d signals", ms, lib_ticks);
	EXPECT_LE(50, ms);
	EXPECT_GT(500, ms);
	EXPECT_LT(0, lib_ticks);
}

/*
 * vhost takes a slot from the newest grant: a (p) event. Giving the queue
 * back, the budget has room for it as ASSIGNED (e), and no event comes:
 * the preempted queue waits on. (f) and the promotion (r) after it are
 * kvm.refused_promotion_falls_back's and replay_events'.
 */
TEST_F(lib, events_preempt_and_promote)
{
	struct vqnotify_vq_info vi;
	struct vqn_event ev[8];
	uint32_t net;
	int n;

	/* Budget 7: the disk's 4 queues and 3 of the NIC's fill it. */
	ASSERT_EQ(0, vqn_set_budget(self->g, 7));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 4, "net",
				 &net));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(4, vqn_set_status(self->g, net, STATUS_OK, NULL, self->res,
				    VQNOTIFY_MAX_QUEUES));
	EXPECT_EQ(VQNOTIFY_REASON_NO_SLOT, self->res[3].reason);
	EXPECT_FALSE(event_fd_readable(self->g));
	EXPECT_EQ(0, vqn_read_events(self->g, ev, 8));

	/* vhost takes net q3 (waiting): the newest grant, net q2, goes. */
	ASSERT_EQ(0, vqn_host_notifier(self->g, net, 3, true, NULL));
	EXPECT_TRUE(event_fd_readable(self->g));
	EXPECT_EQ(1, vqn_wait_events(self->g, 0));
	n = vqn_read_events(self->g, ev, 8);
	ASSERT_EQ(1, n);
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[0].type);
	EXPECT_EQ(net, ev[0].dev_id);
	EXPECT_EQ(2u, ev[0].queue);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, ev[0].old_state);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[0].new_state);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[0].label);
	EXPECT_EQ(VQNOTIFY_REASON_PREEMPT_VHOST, ev[0].reason);
	EXPECT_EQ(0u, ev[0].lost);
	EXPECT_EQ(0u, ev[0].flags);
	EXPECT_FALSE(event_fd_readable(self->g));
	EXPECT_TRUE(view_agrees(self->g, net, 4));

	/* vhost gives q3 back: 7 slots held of 7, the reserve 0: (e). */
	ASSERT_EQ(0, vqn_host_notifier(self->g, net, 3, false, self->res));
	EXPECT_EQ(VQNOTIFY_LABEL_E, self->res[0].label);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, self->res[0].new_state);
	EXPECT_EQ(0, vqn_read_events(self->g, ev, 8));
	ASSERT_EQ(0, vqn_queue_get(self->g, net, 2, &vi));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, vi.state);
	EXPECT_TRUE(vi.flags & VQNOTIFY_VQ_WAITING);
	EXPECT_TRUE(view_agrees(self->g, net, 4));
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

TEST_F(lib, events_budget_lowered)
{
	struct vqn_event ev[8];
	int n, i, preempted = 0;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	/* 6 < threshold 7: limited, every grant goes (p). */
	ASSERT_EQ(0, vqn_set_budget(self->g, 6));
	n = vqn_read_events(self->g, ev, 8);
	ASSERT_EQ(NQ, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[i].type);
		if (ev[i].label == VQNOTIFY_LABEL_P &&
		    ev[i].reason == VQNOTIFY_REASON_PREEMPT_BUDGET)
			preempted++;
	}
	EXPECT_EQ(NQ, preempted);
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

/*
 * A rename is a call like the others: the name's policy lowers the budget
 * below the threshold, every grant goes (p), and the view says so when
 * vqn_set_name() returns, no vqn_read_events() needed (a queue left
 * assigned in KVM while its slot went back to the host).
 */
TEST_F(lib, rename_into_a_policy_settles)
{
	static const char name[] = "libtest-rename-capped";
	struct tk_nl nl;

	if (geteuid())
		SKIP(return, "POLICY_SET needs CAP_NET_ADMIN");
	ASSERT_EQ(0, tk_nl_open(&nl));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, _test_nl_policy_set(&nl, name, 0, 2, -1));
	EXPECT_EQ(0, vqn_set_name(self->g, name));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev, 0));
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ)) {
		TH_LOG("the view missed what the rename's policy preempted");
	}
	EXPECT_EQ(0, _test_nl_policy_del(&nl, name, 0));
	tk_nl_close(&nl);
}

/*
 * Budget 7 for the fixture's device (4 queues) and a new one, @name (4
 * queues), so that one queue waits. Returns the new device.
 */
static uint32_t one_queue_waits(struct __test_metadata *_metadata,
				FIXTURE_DATA(lib) *self, const char *name)
{
	uint32_t d2 = 0;

	/* Budget 7: 4 + 3 grants, the 8th queue waits (NO_SLOT). */
	EXPECT_EQ(0, vqn_set_budget(self->g, 7));
	EXPECT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	EXPECT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 4, name,
				 &d2));
	EXPECT_EQ(4, vqn_set_status(self->g, d2, STATUS_OK, NULL, NULL, 0));
	return d2;
}

/*
 * Behind the library's back, raw budget changes promote the waiting queue
 * (r) and preempt it (p) @rounds times: 2 events a round, nobody reading.
 */
static void promote_preempt(struct __test_metadata *_metadata,
			    FIXTURE_DATA(lib) *self, unsigned int rounds)
{
	int fd = vqn_fd(self->g);
	unsigned int round;

	for (round = 0; round < rounds; round++) {
		EXPECT_EQ(0, _test_ioctl_set_budget(fd, 8));
		EXPECT_EQ(0, _test_ioctl_set_budget(fd, 7));
	}
}

/*
 * The module's event ring overflowed behind the library's back: one queue
 * waits (one_queue_waits()), and is promoted and preempted event_depth
 * times. Returns the new device.
 */
static uint32_t overflow_ring(struct __test_metadata *_metadata,
			      FIXTURE_DATA(lib) *self, const char *name)
{
	struct vqnotify_info info;
	uint32_t d2;

	EXPECT_EQ(0, vqn_get_info(self->g, &info));
	d2 = one_queue_waits(_metadata, self, name);
	promote_preempt(_metadata, self, info.event_depth);
	return d2;
}

/*
 * Read every event the library has now: whether one was OVERFLOW
 * (*@overflow), and its own (VQN_EVENT_F_LIBRARY: a resync's) into @lib,
 * at most @cap of them. The number of its own, or the read's -errno. A
 * library event's seq is the last the module's events had before it (a
 * library OVERFLOW's, its own: not counted among them).
 */
static int read_library_events(struct __test_metadata *_metadata,
			       struct vqn_guest *g, bool *overflow,
			       struct vqn_event *lib, int cap)
{
	struct vqn_event ev[64];
	uint64_t seen = 0;
	int n, i, nr = 0;

	*overflow = false;
	while ((n = vqn_read_events(g, ev, 64)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].type == (uint32_t)VQNOTIFY_EVENT_OVERFLOW)
				*overflow = true;
			/* A library OVERFLOW has a seq of its own. */
			if (!(ev[i].flags & VQN_EVENT_F_LIBRARY) ||
			    ev[i].type == (uint32_t)VQNOTIFY_EVENT_OVERFLOW) {
				seen = ev[i].seq;
				continue;
			}
			EXPECT_EQ(seen, ev[i].seq) {
				TH_LOG("library event %d: seq %llu after %llu",
				       nr, (unsigned long long)ev[i].seq,
				       (unsigned long long)seen);
			}
			if (nr < cap)
				lib[nr] = ev[i];
			nr++;
		}
	}
	return n < 0 ? n : nr;
}

/*
 * Raw ioctls overflow the module's event ring; the library reports
 * OVERFLOW, resynchronises its view, and the next event tells how many
 * were lost.
 */
TEST_F(lib, events_overflow_resync)
{
	struct vqn_event ev[64];
	bool overflow, lost = false;
	int n, i, fd = vqn_fd(self->g);
	uint32_t d2;

	d2 = overflow_ring(_metadata, self, "fill");
	/* Dropped: the ring is full. */
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 8));
	n = read_library_events(_metadata, self->g, &overflow, ev, 64);
	ASSERT_LE(0, n);
	ASSERT_GE(64, n);
	for (i = 0; i < n; i++) {
		/* The resync's own: a change it saw, or KVM's error. */
		EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[i].type);
		EXPECT_TRUE(ev[i].old_state != ev[i].new_state ||
			    ev[i].kvm_err);
	}
	ksft_print_msg("%d events made by the library's resync\n", n);
	EXPECT_TRUE(overflow);
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
	EXPECT_TRUE(view_agrees(self->g, d2, 4));
	/* The module dropped events after the overflow: a seq gap. */
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 7));
	n = vqn_read_events(self->g, ev, 64);
	ASSERT_EQ(1, n);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[0].label);
	lost = ev[0].lost > 0;
	EXPECT_TRUE(lost);
	EXPECT_TRUE(view_agrees(self->g, d2, 4));
}

/*
 * The ring overflowed, and a reset behind the library's back is among
 * the events dropped: the resync reports it, each event with the seq of
 * the OVERFLOW before it, the last the module's events had. They had the
 * one before (the OVERFLOW's seq is that of the first event lost, the
 * library's next expected): a seq going back.
 */
TEST_F(lib, events_overflow_library_seq)
{
	struct vqn_event ev[64];
	bool overflow;
	uint32_t d2;
	int n;

	d2 = overflow_ring(_metadata, self, "seq");
	ASSERT_EQ(0, _test_ioctl_dev_op(vqn_fd(self->g), VQNOTIFY_DEV_RESET, d2,
					0, NULL, NULL, NULL));
	n = read_library_events(_metadata, self->g, &overflow, ev, 64);
	EXPECT_TRUE(overflow);
	EXPECT_LT(0, n) TH_LOG("the resync found no change");
	EXPECT_TRUE(view_agrees(self->g, d2, 4));
}

/* What read_counting() saw: the seqs read, and those counted lost. */
struct seq_count {
	uint64_t next;		/* the seq after the last one read, 0 first */
	uint64_t seen;		/* the seq of the last one not a resync's */
	uint64_t lost;		/* the lost of the module's events */
	int nomem, got, dropped, resynced, overflows;
};

/*
 * Read every event the library has, each ENOMEM counted, checking that
 * every seq is read or counted lost once: a module's event's lost is the
 * gap since the last one read; a library OVERFLOW (@dropped) has the seq
 * of the first it counts; a module's OVERFLOW (@overflows) takes the
 * place of the event of its seq (lost too, in the next one's gap); a
 * resync's events, after one of those, have the seq of the one before.
 */
static void read_counting(struct __test_metadata *_metadata,
			  struct vqn_guest *g, struct seq_count *c)
{
	struct vqn_event ev[16];
	int n, i;

	while ((n = vqn_read_events(g, ev, 16)) != 0) {
		if (n == -ENOMEM) {
			c->nomem++;
			continue;
		}
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			bool overflow = ev[i].type == VQNOTIFY_EVENT_OVERFLOW;
			bool lib = ev[i].flags & VQN_EVENT_F_LIBRARY;

			if (lib && !overflow) {
				/* After what made the view stale. */
				EXPECT_LT(0, c->dropped + c->overflows);
				EXPECT_EQ(c->seen, ev[i].seq);
				c->resynced++;
				continue;
			}
			c->seen = ev[i].seq;
			if (overflow && lib) {
				EXPECT_EQ(c->next, ev[i].seq);
				c->next += ev[i].lost;
				c->dropped++;
				continue;
			}
			/* The first: the seq the checks start from. */
			EXPECT_EQ(c->next ? ev[i].seq - c->next : ev[i].lost,
				  ev[i].lost) {
				TH_LOG("event %llu after %llu: lost %llu",
				       (unsigned long long)ev[i].seq,
				       (unsigned long long)c->next - 1,
				       (unsigned long long)ev[i].lost);
			}
			c->lost += ev[i].lost;
			if (overflow) {
				c->next = ev[i].seq;
				c->overflows++;
				continue;
			}
			c->next = ev[i].seq + 1;
			c->got++;
		}
	}
}

/*
 * Every sequence number reaches the caller, as an event or counted in the
 * next one's lost, when the library has no memory to queue an event: the
 * queue of events it holds, full at 64, cannot grow (the first malloc() of
 * 128 events fails) while a batch of the module's is decoded. The event
 * that found it full was counted neither read nor lost: the next event's
 * lost was one short. The rest of that batch is counted at once, by an
 * OVERFLOW of the library's: it was counted only in the lost of the
 * module's next event, which a quiet guest may never send. The batch
 * dropped ends with a promotion: the resync reports it, after the
 * OVERFLOW, with its seq.
 */
TEST_F(lib, events_lost_without_memory)
{
	struct vqn_event ev[16];
	struct vqnotify_info info;
	struct seq_count c = { 0 };
	unsigned int rounds;
	int n, got, fd = vqn_fd(self->g);
	uint32_t d2;

	ASSERT_EQ(0, vqn_get_info(self->g, &info));
	d2 = one_queue_waits(_metadata, self, "d2");
	while ((n = vqn_read_events(self->g, ev, 16)) > 0)
		;
	ASSERT_EQ(0, n);
	/* (r) and (p) each round, not overflowing. */
	rounds = 60;
	ASSERT_LT(4 * rounds, info.event_depth);
	promote_preempt(_metadata, self, rounds);
	/* The last one dropped: the queue ASSIGNED, not as the view has it. */
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 8));
	fail_malloc_size = 128 * sizeof(struct vqn_event);
	read_counting(_metadata, self->g, &c);
	fail_malloc_size = 0;
	EXPECT_EQ(1, c.nomem);
	EXPECT_EQ(1, c.dropped) TH_LOG("no OVERFLOW counted the batch dropped");
	EXPECT_EQ(1, c.resynced);
	EXPECT_EQ(0, c.overflows);
	/* Then one more: the module's (p), nothing lost before it. */
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 7));
	got = c.got;
	c.lost = 0;
	read_counting(_metadata, self->g, &c);
	EXPECT_LT(got, c.got);
	EXPECT_EQ(0u, c.lost);
	ksft_print_msg("%d of the module's events read, then seq %llu\n",
		       c.got, (unsigned long long)c.next - 1);
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
	EXPECT_TRUE(view_agrees(self->g, d2, 4));
}

/*
 * As events_lost_without_memory, the batch dropped ending with the
 * module's own OVERFLOW: its ring (256 records) overflowed behind the
 * library's back, the library's queue grown to 256 (a ring's worth read
 * first) and a few events held in it, so that its growth to 512 fails in
 * the ring's last batch. The
 * OVERFLOW stood for its own seq and for the events the module dropped
 * after it: the library's OVERFLOW counts the batch up to it, the
 * module's next event the rest, nothing twice.
 */
TEST_F(lib, events_lost_without_memory_to_overflow)
{
	struct vqn_event ev[1];
	struct vqnotify_info info;
	struct seq_count c = { 0 };
	int fd = vqn_fd(self->g);
	uint32_t d2;

	ASSERT_EQ(0, vqn_get_info(self->g, &info));
	if (info.event_depth != 256)
		SKIP(return, "event_depth %u: the ring's batches are not those of 256",
		     info.event_depth);
	d2 = one_queue_waits(_metadata, self, "d2");
	/*
	 * The ring grown to its 256 records first (it grows without waiting
	 * for memory, and never shrinks): its OVERFLOW must be the last.
	 */
	promote_preempt(_metadata, self, info.event_depth / 4 - 1);
	read_counting(_metadata, self->g, &c);
	if (c.overflows)
		SKIP(return, "the module's ring did not grow to 256 records");
	/* Held: a round's events but the one read, fewer than 64. */
	promote_preempt(_metadata, self, 1);
	ASSERT_EQ(1, vqn_read_events(self->g, ev, 1));
	c.next = ev[0].seq + 1;
	promote_preempt(_metadata, self, info.event_depth);
	c.nomem = c.dropped = c.resynced = 0;
	fail_malloc_size = 512 * sizeof(struct vqn_event);
	read_counting(_metadata, self->g, &c);
	fail_malloc_size = 0;
	EXPECT_EQ(1, c.nomem);
	EXPECT_EQ(1, c.dropped) TH_LOG("no OVERFLOW counted the batch dropped");
	EXPECT_EQ(0, c.overflows) TH_LOG("the module's OVERFLOW was read");
	EXPECT_LT(0, c.resynced);
	/* Then one more: its lost, what the module dropped after its OVERFLOW. */
	c.lost = 0;
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 8));
	read_counting(_metadata, self->g, &c);
	EXPECT_LT(0u, c.lost);
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
	EXPECT_TRUE(view_agrees(self->g, d2, 4));
}

/*
 * A caller that reads no events (it lives on results and the view) while
 * other guests or the admin change its queues: the library holds 4096 of
 * them at most, the oldest going, counted in the next one's lost. They
 * piled up without bound, the caller's memory for anyone to grow.
 */
TEST_F(lib, events_held_are_bounded)
{
	unsigned int chunk, held = 0, lost = 0, got = 0;
	struct vqn_event ev[64];
	uint64_t next = 0;
	int n, i;

	one_queue_waits(_metadata, self, "d2");
	while ((n = vqn_read_events(self->g, ev, 64)) > 0)
		;
	ASSERT_EQ(0, n);
	max_malloc_size = 0;
	/*
	 * 25 x 200 events, each batch moved into the library by a call that
	 * settles (the budget it has already: no change).
	 */
	for (chunk = 0; chunk < 25; chunk++) {
		promote_preempt(_metadata, self, 100);
		ASSERT_EQ(0, vqn_set_budget(self->g, 7));
	}
	EXPECT_GE(4096 * sizeof(struct vqn_event), max_malloc_size);
	while ((n = vqn_read_events(self->g, ev, 64)) > 0) {
		for (i = 0; i < n; i++) {
			held++;
			if (ev[i].flags & VQN_EVENT_F_LIBRARY)
				continue;
			if (next)
				EXPECT_EQ(ev[i].seq - next, ev[i].lost);
			lost += ev[i].lost;
			next = ev[i].seq + 1;
			got++;
		}
	}
	ASSERT_EQ(0, n);
	ksft_print_msg("%u events held, %u of the module's read, %u lost\n",
		       held, got, lost);
	EXPECT_GE(4096u, held);
	EXPECT_LE(5000u, got + lost);
}

/*
 * An event the library cannot queue (no memory for its first queue of
 * events) is not applied either: the view keeps the queue's old state, so
 * the reread that follows finds the change and reports it. The event was
 * applied, then dropped: the reread found nothing to report, and the
 * caller never heard of that queue's preemption (a VMM kept its KVM
 * ioeventfd).
 */
TEST_F(lib, event_without_memory_is_reported_later)
{
	uint8_t seen[NQ] = { 0 };
	struct vqn_event ev[16];
	int n, i, fd = vqn_fd(self->g);
	uint32_t q;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	for (q = 0; q < NQ; q++)
		seen[q] = VQNOTIFY_VQ_ASSIGNED;
	/* Behind the library's back: limited, every grant goes (p). */
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 6));
	fail_malloc_size = 64 * sizeof(struct vqn_event);
	ASSERT_EQ(-ENOMEM, vqn_read_events(self->g, ev, 16));
	fail_malloc_size = 0;
	while ((n = vqn_read_events(self->g, ev, 16)) > 0)
		for (i = 0; i < n; i++)
			if (ev[i].type == VQNOTIFY_EVENT_TRANSITION &&
			    ev[i].dev_id == self->dev && ev[i].queue < NQ)
				seen[ev[i].queue] = ev[i].new_state;
	ASSERT_EQ(0, n);
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(state_of(self->g, self->dev, q), seen[q]) {
			TH_LOG("queue %u: the last state reported", q);
		}
	}
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

/*
 * A call drains the module's events first; when it then fails (its device
 * id gone stale, as in a hot-unplug race), the events it drained are still
 * announced: the event fd is readable and they are read. The failed call
 * kept them unannounced: a VMM that polls the fd never read them, nor fell
 * back for a queue KVM refused among them.
 */
TEST_F(lib, events_announced_after_a_failed_call)
{
	struct vqn_event ev[8];

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	/* Behind the library's back: limited, every grant goes (p). */
	ASSERT_EQ(0, _test_ioctl_set_budget(vqn_fd(self->g), 6));
	ASSERT_TRUE(event_fd_readable(self->g));
	EXPECT_EQ(-ENOENT, vqn_dev_reset(self->g, self->dev + 1000, NULL, 0));
	EXPECT_TRUE(event_fd_readable(self->g));
	EXPECT_EQ(NQ, vqn_read_events(self->g, ev, 8));
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

/*
 * Events another reader of the fd took, behind the library's back, leave
 * a gap in the sequence numbers: the library reads every device again, as
 * after an OVERFLOW. A queue preempted in a taken event stayed ASSIGNED
 * in the view (its ioeventfd kept, its slot another's) as long as no
 * later event was about it: here the later one promotes another queue,
 * which waited longer.
 */
/* The gap tests' devices: the fixture's, d2 and d3, and their queues. */
static const uint32_t gap_nqs[3] = { NQ, 4, 2 };

/*
 * Budget 9 for the fixture's device and two new ones, in @ids after it:
 * 4 + 4 + 2 queues, d3's second waits.
 */
static void gap_devices(struct __test_metadata *_metadata,
			FIXTURE_DATA(lib) *self, uint32_t ids[3])
{
	ids[0] = self->dev;
	ASSERT_EQ(0, vqn_set_budget(self->g, 9));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 4, "d2",
				 &ids[1]));
	ASSERT_EQ(4, vqn_set_status(self->g, ids[1], STATUS_OK, NULL, NULL,
				    0));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 2, "d3",
				 &ids[2]));
	ASSERT_EQ(2, vqn_set_status(self->g, ids[2], STATUS_OK, NULL, NULL,
				    0));
}

/*
 * Behind the library's back, one queue preempted, another reader taking
 * the event, then the slot back to the queue that waited longest, an
 * event the library reads after the gap.
 */
static void gap_left(struct __test_metadata *_metadata, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct vqnotify_event raw[8];

	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 8));
	ASSERT_EQ(1, poll(&p, 1, 1000));
	ASSERT_LT(0, read(fd, raw, sizeof(raw)));
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 9));
}

TEST_F(lib, events_gap_resync)
{
	struct vqn_event ev[16];
	uint32_t ids[3];
	int i;

	gap_devices(_metadata, self, ids);
	gap_left(_metadata, vqn_fd(self->g));
	while (vqn_read_events(self->g, ev, 16) > 0)
		;
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(view_agrees(self->g, ids[i], gap_nqs[i]));
}

/* The hook of the resync below: behind the library's back, budget 8. */
static int hook_fd;

static void preempt_one(void)
{
	_test_ioctl_set_budget(hook_fd, 8);
}

/*
 * A queue preempted while the library resynchronises, before its device's
 * snapshot (DEV_GET) is taken: the snapshot has it, and the module's event
 * is queued. It is reported once. The resync reported it from the
 * snapshot, and the event, drained later, again: a caller counting
 * preemptions counted two, and with two such events the view went back to
 * the older state in between.
 */
TEST_F(lib, event_during_resync_reported_once)
{
	const uint32_t *nqs = gap_nqs;
	int fd = vqn_fd(self->g), n, i;
	uint8_t last[3][NQ];
	struct vqn_event ev[16];
	uint32_t ids[3], q;

	gap_devices(_metadata, self, ids);
	while (vqn_read_events(self->g, ev, 16) > 0)
		;
	for (i = 0; i < 3; i++)
		for (q = 0; q < nqs[i]; q++)
			last[i][q] = state_of(self->g, ids[i], q);
	/* A gap another reader leaves makes the library resynchronise. */
	gap_left(_metadata, fd);
	/* Its first snapshot is taken after one more preemption. */
	hook_fd = fd;
	vqn_hook = preempt_one;
	vqn_hook_req = VQNOTIFY_DEV_GET;
	while ((n = vqn_read_events(self->g, ev, 16)) > 0) {
		for (i = 0; i < n; i++) {
			int d = ev[i].dev_id == ids[0] ? 0 :
				ev[i].dev_id == ids[1] ? 1 : 2;

			if (ev[i].type != VQNOTIFY_EVENT_TRANSITION ||
			    ev[i].queue >= nqs[d])
				continue;
			EXPECT_NE(last[d][ev[i].queue], ev[i].new_state) {
				TH_LOG("device %d queue %u reported %s again",
				       d, ev[i].queue,
				       vqn_state_name(ev[i].new_state));
			}
			last[d][ev[i].queue] = ev[i].new_state;
		}
	}
	ASSERT_EQ(0, n);
	ASSERT_EQ(0u, vqn_hook_req) TH_LOG("no resync");
	for (i = 0; i < 3; i++) {
		for (q = 0; q < nqs[i]; q++) {
			EXPECT_EQ(state_of(self->g, ids[i], q), last[i][q]) {
				TH_LOG("device %d queue %u", i, q);
			}
		}
	}
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(view_agrees(self->g, ids[i], nqs[i]));
}

/*
 * A call that succeeded returns its own result when what follows it fails
 * (here the resync after an overflow: DEV_GET fails); vqn_read_events()
 * returns that failure once, after the events before it, the event fd
 * readable until then, and the next settling resynchronises the device
 * left stale: budget 2 preempted two of the first device's queues among
 * the events the module dropped. (The call returned the resync's -EIO,
 * and the device stayed stale.)
 */
TEST_F(lib, settle_failure_after_a_call)
{
	struct vqn_event ev[64];
	int n, last = 0, fd = vqn_fd(self->g);
	uint32_t d2;

	d2 = overflow_ring(_metadata, self, "fill");
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 2));
	vqn_fail_errno = EIO;
	vqn_fail_req = VQNOTIFY_DEV_GET;
	EXPECT_EQ(0, vqn_set_budget(self->g, 2)) {
		TH_LOG("the call returned the resync's failure");
	}
	vqn_fail_req = 0;
	EXPECT_TRUE(event_fd_readable(self->g));
	while ((n = vqn_read_events(self->g, ev, 64)) > 0)
		;
	last = n;
	EXPECT_EQ(-EIO, last);
	EXPECT_EQ(0, vqn_read_events(self->g, ev, 64));
	EXPECT_FALSE(event_fd_readable(self->g));
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ)) {
		TH_LOG("a device stayed stale after its resync failed");
	}
	EXPECT_TRUE(view_agrees(self->g, d2, 4));
}

/*
 * vqn_read_events() with room for no event while events are pending
 * before a settling failure: nothing is returned, nothing is lost. It
 * returned the failure, and cleared it: the events were read after it,
 * and the failure never again.
 */
TEST_F(lib, read_events_none_keeps_settle_failure)
{
	struct vqn_event ev[64];
	int n, fd = vqn_fd(self->g), got = 0;

	overflow_ring(_metadata, self, "fill");
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, 2));
	vqn_fail_errno = EIO;
	vqn_fail_req = VQNOTIFY_DEV_GET;
	EXPECT_EQ(0, vqn_set_budget(self->g, 2));
	vqn_fail_req = 0;
	EXPECT_EQ(0, vqn_read_events(self->g, ev, 0));
	EXPECT_TRUE(event_fd_readable(self->g));
	while ((n = vqn_read_events(self->g, ev, 64)) > 0)
		got += n;
	EXPECT_LT(0, got);
	EXPECT_EQ(-EIO, n) TH_LOG("the failure was lost");
	EXPECT_EQ(0, vqn_read_events(self->g, ev, 64));
	EXPECT_FALSE(event_fd_readable(self->g));
}

/*
 * A call whose reading of the pending events fails first (no memory to
 * queue them) is still made, and returns its own result: the failure
 * goes to vqn_read_events(). The call returned -ENOMEM unmade.
 */
TEST_F(lib, call_made_when_draining_fails)
{
	struct vqn_event ev[16];
	int n, nomem = 0;
	uint32_t d2;

	d2 = one_queue_waits(_metadata, self, "d2");
	while ((n = vqn_read_events(self->g, ev, 16)) > 0)
		;
	ASSERT_EQ(0, n);
	/* 120 events pending: the library's queue cannot grow past 64. */
	promote_preempt(_metadata, self, 60);
	fail_malloc_size = 128 * sizeof(struct vqn_event);
	EXPECT_EQ(NQ, vqn_dev_reset(self->g, self->dev, NULL, 0));
	fail_malloc_size = 0;
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev, 0));
	EXPECT_TRUE(event_fd_readable(self->g));
	while ((n = vqn_read_events(self->g, ev, 16)) != 0) {
		if (n == -ENOMEM)
			nomem++;
		else
			ASSERT_LT(0, n);
	}
	EXPECT_EQ(1, nomem);
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
	EXPECT_TRUE(view_agrees(self->g, d2, 4));
}

/*
 * The entry points a program built against API 1's header was linked with
 * (vqn_guest_get@VQNOTIFY_1, vqn_dev_get@VQNOTIFY_1): their structs were
 * smaller then, and the library must fill no more of the caller's memory
 * than that, with the values of today's calls.
 */
int tk_guest_get_ver1(struct vqn_guest *g, void *gi);
int tk_dev_get_ver1(struct vqn_guest *g, uint32_t dev_id, void *dev,
		    struct vqnotify_vq_info *queues, unsigned int cap);
__asm__(".symver tk_guest_get_ver1, vqn_guest_get@VQNOTIFY_1");
__asm__(".symver tk_dev_get_ver1, vqn_dev_get@VQNOTIFY_1");

TEST_F(lib, api1_symbols_fill_api1_sizes)
{
	union {
		struct vqnotify_guest_info gi;
		unsigned char b[sizeof(struct vqnotify_guest_info) + 64];
	} g1;
	union {
		struct vqnotify_dev_get dg;
		unsigned char b[sizeof(struct vqnotify_dev_get) + 64];
	} d1;
	struct vqnotify_vq_info vi[NQ];
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;

	memset(&g1, VQN_GUARD, sizeof(g1));
	ASSERT_EQ(0, tk_guest_get_ver1(self->g, &g1));
	EXPECT_EQ(sizeof(g1),
		  vqn_guard_written_past(g1.b, VQNOTIFY_GUEST_INFO_SIZE_VER1,
					 sizeof(g1)));
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_INFO_SIZE_VER1, g1.gi.size);
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_EQ(gi.guest_id, g1.gi.guest_id);
	EXPECT_EQ(1U, g1.gi.nr_devices);
	/* Today's symbol fills today's struct: the name is API 2's. */
	EXPECT_STREQ("libtest", gi.name);

	memset(&d1, VQN_GUARD, sizeof(d1));
	ASSERT_EQ(NQ, tk_dev_get_ver1(self->g, self->dev, &d1, vi, NQ));
	EXPECT_EQ(sizeof(d1),
		  vqn_guard_written_past(d1.b, VQNOTIFY_DEV_GET_SIZE_VER1,
					 sizeof(d1)));
	EXPECT_EQ((uint32_t)VQNOTIFY_DEV_GET_SIZE_VER1, d1.dg.size);
	EXPECT_EQ((uint32_t)NQ, d1.dg.num_queues);
	EXPECT_STREQ("blk", d1.dg.label);
	ASSERT_EQ(NQ, vqn_dev_get(self->g, self->dev, &dg, vi, NQ));
	EXPECT_STREQ("blk", dg.name);
}

/*
 * On an API 1 module, which writes back no name, today's vqn_guest_get()
 * and vqn_dev_get() give the label (the name, cut to 31 bytes) as the
 * name: "" would say "unnamed".
 */
TEST_F(lib, api1_module_names_from_labels)
{
	struct vqnotify_vq_info vi[NQ];
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	struct vqn_guest *g;
	uint32_t dev;

	vqn_api1 = true;
	ASSERT_EQ(0, vqn_open(&g, "api1-guest"));
	vqn_api1 = false;
	ASSERT_EQ(0, vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, NQ, "api1-blk",
				 &dev));
	vqn_api1 = true;
	EXPECT_EQ(0, vqn_guest_get(g, &gi));
	EXPECT_STREQ("api1-guest", gi.label);
	EXPECT_STREQ("api1-guest", gi.name);
	EXPECT_EQ(NQ, vqn_dev_get(g, dev, &dg, vi, NQ));
	EXPECT_STREQ("api1-blk", dg.label);
	EXPECT_STREQ("api1-blk", dg.name);
	vqn_api1 = false;
	vqn_close(g);
}

/*
 * A device removed behind the library's back (a raw DEV_REMOVE, which
 * libvqnotify(3) allows) while the view is stale: the resync finds it gone
 * and forgets it, and reports nothing of it. Freed memory is filled
 * (__wrap_free(), below) so that a view used after it was freed shows, as
 * library events of queues with states nobody set, or as a crash.
 */
TEST_F(lib, events_overflow_resync_removed_device)
{
	struct vqn_event ev[64];
	struct vqn_view view;
	int n, i, fd = vqn_fd(self->g);
	bool overflow;
	uint32_t d2;

	d2 = overflow_ring(_metadata, self, "gone");
	ASSERT_EQ(0, _test_ioctl_dev_op(fd, VQNOTIFY_DEV_REMOVE, d2, 0, NULL,
					NULL, NULL));
	n = read_library_events(_metadata, self->g, &overflow, ev, 64);
	ASSERT_LE(0, n);
	ASSERT_GE(64, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(self->dev, ev[i].dev_id) {
			TH_LOG("library event of device %#x, queue %u: %u -> %u",
			       ev[i].dev_id, ev[i].queue, ev[i].old_state,
			       ev[i].new_state);
		}
	}
	ksft_print_msg("%d events made by the library's resync\n", n);
	EXPECT_TRUE(overflow);
	EXPECT_EQ(-ENOENT, vqn_queue_view(self->g, d2, 0, &view));
	EXPECT_EQ(1, vqn_dev_list(self->g, NULL, 0));
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

/*
 * A device added and started behind the library's back (raw ioctls) is
 * adopted at the first library call that names it: the resync reports
 * each queue it finds granted as an event of its own (F_LIBRARY), from
 * the view's DEASSIGNED to the module's ASSIGNED, with the module's label
 * and reason.
 */
TEST_F(lib, adopted_device_library_events)
{
	int i, n, fd = vqn_fd(self->g);
	uint32_t id = 0, nr = 0;
	struct vqn_event ev[8];

	ASSERT_EQ(0, _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 3,
					 "raw", &id));
	ASSERT_EQ(0, _test_ioctl_set_status(fd, id, STATUS_OK, NULL, NULL,
					    &nr));
	ASSERT_EQ(3U, nr);
	ASSERT_LE(0, vqn_set_status(self->g, id, STATUS_OK, NULL, NULL, 0));
	n = vqn_read_events(self->g, ev, 8);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(VQN_EVENT_F_LIBRARY, ev[i].flags);
		EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[i].type);
		EXPECT_EQ(id, ev[i].dev_id);
		EXPECT_EQ((uint32_t)i, ev[i].queue);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[i].old_state);
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, ev[i].new_state);
		EXPECT_EQ(VQNOTIFY_LABEL_B, ev[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_GRANTED, ev[i].reason);
		EXPECT_EQ(0, ev[i].kvm_err);
	}
	EXPECT_TRUE(view_agrees(self->g, id, 3));
}

TEST_F(lib, reset_results)
{
	int n, i;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	n = vqn_dev_reset(self->g, self->dev, self->res, VQNOTIFY_MAX_QUEUES);
	ASSERT_EQ(NQ, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(VQNOTIFY_LABEL_G, self->res[i].label);
		EXPECT_EQ(VQNOTIFY_REASON_RESET, self->res[i].reason);
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, self->res[i].new_state);
	}
	EXPECT_TRUE(view_agrees(self->g, self->dev, NQ));
}

TEST_F(lib, remove_then_gone)
{
	struct vqn_view v;
	uint32_t ids[2];
	int n;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	n = vqn_dev_remove(self->g, self->dev, self->res,
			   VQNOTIFY_MAX_QUEUES);
	ASSERT_EQ(NQ, n);
	EXPECT_EQ(VQNOTIFY_REASON_REMOVED, self->res[0].reason);
	EXPECT_EQ(0, vqn_dev_list(self->g, ids, 2));
	EXPECT_EQ(-ENOENT, vqn_queue_view(self->g, self->dev, 0, &v));
	EXPECT_EQ(-ENOENT, vqn_dev_reset(self->g, self->dev, NULL, 0));
}

TEST_F(lib, dev_get)
{
	struct vqnotify_vq_info vi[NQ];
	struct vqnotify_dev_get dg;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(2, vqn_dev_get(self->g, self->dev, &dg, vi, 2));
	EXPECT_EQ((uint32_t)NQ, dg.num_queues);
	EXPECT_EQ((uint32_t)STATUS_OK, dg.status);
	EXPECT_EQ((uint32_t)VQNOTIFY_TRANSPORT_MMIO, dg.transport);
	EXPECT_STREQ("blk", dg.label);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, vi[1].state);
}

TEST_F(lib, save_buffer_too_small)
{
	char small[4];
	size_t len = sizeof(small);

	EXPECT_EQ(-EMSGSIZE, vqn_dev_save(self->g, self->dev, small, &len));
	EXPECT_GT(len, sizeof(small));
}

TEST_F(lib, save_load)
{
	char blob[512];
	size_t len = sizeof(blob);
	uint32_t dst;
	int n, i;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev, 0, true, NULL));
	ASSERT_EQ(0, vqn_dev_save(self->g, self->dev, blob, &len));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, NQ, "dst",
				 &dst));
	n = vqn_dev_load(self->g, dst, blob, len, self->res,
			 VQNOTIFY_MAX_QUEUES);
	ASSERT_EQ(n, NQ);
	for (i = 0; i < n; i++)
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, self->res[i].new_state);
	/* API 2: vhost's queue wants a slot; vhost takes it back (d). */
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, dst, 0));
	ASSERT_EQ(0, vqn_host_notifier(self->g, dst, 0, true, NULL));
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, state_of(self->g, dst, 0));
	EXPECT_TRUE(view_agrees(self->g, dst, NQ));
}

TEST_F(lib, load_into_used_device)
{
	char blob[512];
	size_t len = sizeof(blob);

	ASSERT_EQ(0, vqn_dev_save(self->g, self->dev, blob, &len));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev, STATUS_OK, NULL,
				     NULL, 0));
	EXPECT_EQ(-EBUSY, vqn_dev_load(self->g, self->dev, blob, len, NULL,
				       0));
}

TEST_F(lib, load_corrupt)
{
	char blob[512];
	size_t len = sizeof(blob);
	uint32_t dst;

	ASSERT_EQ(0, vqn_dev_save(self->g, self->dev, blob, &len));
	blob[len - 1] ^= 0x40;
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, NQ, "dst",
				 &dst));
	EXPECT_EQ(-EINVAL, vqn_dev_load(self->g, dst, blob, len, NULL, 0));
}

/* A device added with raw ioctls is adopted on first use. */
TEST_F(lib, adopt_raw_device)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = VQNOTIFY_TRANSPORT_PIO,
		.num_queues = 2,
	};

	ASSERT_EQ(0, ioctl(vqn_fd(self->g), VQNOTIFY_DEV_ADD, &da));
	EXPECT_EQ(2, vqn_set_status(self->g, da.out_dev_id, STATUS_OK, NULL,
				    NULL, 0));
	EXPECT_TRUE(view_agrees(self->g, da.out_dev_id, 2));
}

/*
 * A bind the library refuses (no KVM attached: binding only records)
 * leaves queue 0 bound and not refused. @gone, unless -1, is closed
 * once that binding is made (the library's duplicate of its eventfd took
 * another number).
 */
static void bind_refused(struct __test_metadata *_metadata,
			 FIXTURE_DATA(lib) *self, uint32_t dev, uint32_t queue,
			 const struct vqn_kvm_notify *n, int gone, int err)
{
	struct vqn_kvm_notify good = { .addr = 0x1000 };
	struct vqn_view v;

	good.fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, good.fd);
	ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev, 0, &good));
	close(good.fd);
	if (gone >= 0)
		ASSERT_EQ(0, close(gone));
	EXPECT_EQ(err, vqn_kvm_bind(self->g, dev, queue, n));
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev, 0, &v));
	EXPECT_TRUE(v.bound);
	EXPECT_FALSE(v.refused);
}

TEST_F(lib, kvm_bind_odd_length)
{
	struct vqn_kvm_notify n = { .addr = 0x1000, .len = 3, .fd = 0 };

	bind_refused(_metadata, self, self->dev, 0, &n, -1, -EINVAL);
}

TEST_F(lib, kvm_bind_datamatch_without_length)
{
	struct vqn_kvm_notify n = { .addr = 0x1000,
				    .flags = VQN_KVM_DATAMATCH, .fd = 0 };

	bind_refused(_metadata, self, self->dev, 0, &n, -1, -EINVAL);
}

TEST_F(lib, kvm_bind_unknown_flag)
{
	struct vqn_kvm_notify n = { .addr = 0x1000, .flags = 1U << 7,
				    .fd = 0 };

	bind_refused(_metadata, self, self->dev, 0, &n, -1, -EINVAL);
}

TEST_F(lib, kvm_bind_pio_with_ccw)
{
	struct vqn_kvm_notify n = { .addr = 0x1000, .len = 2,
				    .flags = VQN_KVM_PIO | VQN_KVM_CCW,
				    .fd = 0 };

	bind_refused(_metadata, self, self->dev, 0, &n, -1, -EINVAL);
}

TEST_F(lib, kvm_bind_negative_fd)
{
	struct vqn_kvm_notify n = { .addr = 0x1000, .fd = -1 };

	bind_refused(_metadata, self, self->dev, 0, &n, -1, -EINVAL);
}

TEST_F(lib, kvm_bind_closed_fd)
{
	struct vqn_kvm_notify n = { .addr = 0x1000 };

	n.fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, n.fd);
	bind_refused(_metadata, self, self->dev, 0, &n, n.fd, -EBADF);
}

TEST_F(lib, kvm_bind_queue_past_range)
{
	struct vqn_kvm_notify n = { .addr = 0x1000, .fd = 0 };

	bind_refused(_metadata, self, self->dev, NQ, &n, -1, -EINVAL);
}

TEST_F(lib, kvm_bind_unknown_device)
{
	struct vqn_kvm_notify n = { .addr = 0x1000, .fd = 0 };

	bind_refused(_metadata, self, 999, 0, &n, -1, -ENOENT);
}

TEST_F(lib, kvm_attach_bad_fd)
{
	EXPECT_EQ(-EBADF, vqn_kvm_attach(self->g, -1));
}

TEST(names)
{
	EXPECT_STREQ("ASSIGNED", vqn_state_name(VQNOTIFY_VQ_ASSIGNED));
	EXPECT_STREQ("?", vqn_state_name(99));
	EXPECT_STREQ("b", vqn_label_name(VQNOTIFY_LABEL_B));
	EXPECT_STREQ("-", vqn_label_name(VQNOTIFY_LABEL_NONE));
	EXPECT_STREQ("?", vqn_label_name(VQNOTIFY_LABEL_MAX));
	EXPECT_STREQ("preemption", vqn_label_desc(VQNOTIFY_LABEL_P));
	EXPECT_STREQ("no-slot", vqn_reason_name(VQNOTIFY_REASON_NO_SLOT));
	EXPECT_STREQ("?", vqn_reason_name(VQNOTIFY_REASON_MAX));
	EXPECT_STREQ("mmio", vqn_transport_name(VQNOTIFY_TRANSPORT_MMIO));
	EXPECT_STREQ("?", vqn_transport_name(0));
	EXPECT_STREQ("overflow", vqn_event_type_name(VQNOTIFY_EVENT_OVERFLOW));
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, vqn_state_from_name("offlimits"));
	EXPECT_EQ(VQNOTIFY_TRANSPORT_PIO, vqn_transport_from_name("PIO"));
	EXPECT_EQ(VQNOTIFY_REASON_PROMOTED, vqn_reason_from_name("promoted"));
	EXPECT_EQ(-EINVAL, vqn_state_from_name("bogus"));
	EXPECT_EQ(-EINVAL, vqn_transport_from_name(""));
	EXPECT_EQ(-EINVAL, vqn_reason_from_name("?"));
}

TEST_HARNESS_MAIN
