// SPDX-License-Identifier: GPL-2.0
/*
 * libvqnotify's KVM binding against the guest's real /dev/kvm: a bound
 * queue has a KVM ioeventfd exactly while the module has it ASSIGNED.
 *
 * Proof, per queue: KVM refuses a second assign of the same address (and
 * datamatch) with EEXIST when the library holds one; deassigning the
 * queue's own eventfd fails with ENOENT when it does not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "../user/lib/libvqnotify.h"

#define STATUS_OK	0x0f	/* ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK */
#define NQ		4
#define MAX_Q		8

/* KVM_IOEVENTFD for @n with eventfd @fd; 0 or -errno. */
static int kvm_ioeventfd(int vm, const struct vqn_kvm_notify *n, int fd,
			 bool deassign)
{
	struct kvm_ioeventfd k = {
		.datamatch = n->datamatch,
		.addr = n->addr,
		.len = n->len,
		.fd = fd,
		.flags = n->flags | (deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0),
	};

	return ioctl(vm, KVM_IOEVENTFD, &k) ? -errno : 0;
}

/* 1: KVM has an ioeventfd at @n (EEXIST); 0: it has none; or -errno. */
static int kvm_has(int vm, const struct vqn_kvm_notify *n)
{
	int fd = eventfd(0, EFD_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = kvm_ioeventfd(vm, n, fd, false);
	if (!ret)
		kvm_ioeventfd(vm, n, fd, true);
	close(fd);
	if (ret == -EEXIST)
		return 1;
	return ret;
}

/*
 * The tests assume the module's defaults: threshold 7, no vhost reserve,
 * budget and host cap to spare. A test killed before restoring the
 * host-wide config (netlink CONFIG_SET) would fail every test here in
 * ways that point nowhere: say so instead.
 */
#define ASSERT_HOST_DEFAULTS(g) do {					\
	struct vqnotify_info _i;					\
									\
	ASSERT_EQ(0, vqn_get_info(g, &_i));				\
	ASSERT_TRUE(_i.threshold == 7 && !_i.vhost_reserve &&		\
		    _i.default_budget >= 64 &&				\
		    _i.host_cap >= _i.host_used + 64)			\
		TH_LOG("host config is not the module's defaults (left " \
		       "by an earlier test?): threshold %u reserve %u " \
		       "default budget %u host cap %u used %u",		\
		       _i.threshold, _i.vhost_reserve,			\
		       _i.default_budget, _i.host_cap, _i.host_used);	\
} while (0)

FIXTURE(kvm) {
	int kvm, vm;
	struct vqn_guest *g;
	uint32_t dev[2];
	uint32_t nq[2];
	struct vqn_kvm_notify n[2][MAX_Q];
	struct vqn_result res[MAX_Q];
};

FIXTURE_VARIANT(kvm) {
	bool pio;
};

/* Legacy virtio-pci: 2-byte PIO to QUEUE_NOTIFY with the queue index. */
FIXTURE_VARIANT_ADD(kvm, legacy_pio) {
	.pio = true,
};

/* Modern virtio-pci: zero-length MMIO, one address per queue. */
FIXTURE_VARIANT_ADD(kvm, modern_mmio) {
	.pio = false,
};

static void notify_init(struct vqn_kvm_notify *n, bool pio, int d, int q)
{
	memset(n, 0, sizeof(*n));
	if (pio) {
		n->addr = 0xc050 + d * 0x40;
		n->len = 2;
		n->datamatch = q;
		n->flags = VQN_KVM_PIO | VQN_KVM_DATAMATCH;
	} else {
		n->addr = 0xfe003000 + d * 0x1000 + q * 4;
		n->len = 0;
	}
	n->fd = eventfd(0, EFD_CLOEXEC);
}

/* Add device @d with @nq queues and bind each of them. */
static int add_bound_dev(struct __test_metadata *_metadata,
			 FIXTURE_DATA(kvm) *self, bool pio, int d, uint32_t nq)
{
	uint32_t q;

	self->nq[d] = nq;
	ASSERT_EQ(0, vqn_dev_add(self->g, pio ? VQNOTIFY_TRANSPORT_PIO :
				 VQNOTIFY_TRANSPORT_MMIO, nq, d ? "net" : "blk",
				 &self->dev[d]));
	for (q = 0; q < nq; q++) {
		notify_init(&self->n[d][q], pio, d, q);
		ASSERT_LE(0, self->n[d][q].fd);
		ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[d], q,
					  &self->n[d][q]));
	}
	return 0;
}

static int state_of(struct vqn_guest *g, uint32_t dev, uint32_t q)
{
	struct vqnotify_vq_info info;
	int ret = vqn_queue_get(g, dev, q, &info);

	return ret ? ret : info.state;
}

/* Exactly the ASSIGNED queues of device @d have KVM ioeventfds. */
#define EXPECT_EXACT(d) do {						\
	uint32_t _q;							\
	for (_q = 0; _q < self->nq[d]; _q++) {				\
		struct vqn_kvm_notify *_n = &self->n[d][_q];		\
		struct vqn_view _v;					\
									\
		ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[d], _q,	\
					    &_v));			\
		if (state_of(self->g, self->dev[d], _q) ==		\
		    VQNOTIFY_VQ_ASSIGNED) {				\
			EXPECT_EQ(1, kvm_has(self->vm, _n))		\
				TH_LOG("dev %d q%u: no ioeventfd", d, _q); \
			EXPECT_TRUE(_v.kvm_assigned);			\
		} else {						\
			EXPECT_EQ(-ENOENT, kvm_ioeventfd(self->vm, _n,	\
							 _n->fd, true)) \
				TH_LOG("dev %d q%u: ioeventfd", d, _q);	\
			EXPECT_FALSE(_v.kvm_assigned);			\
		}							\
	}								\
} while (0)

FIXTURE_SETUP(kvm)
{
	self->vm = -1;
	self->g = NULL;
	if (access(VQN_DEVICE_PATH, F_OK))
		SKIP(return, "no " VQN_DEVICE_PATH);
	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (self->kvm < 0)
		SKIP(return, "no /dev/kvm: %s", strerror(errno));
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	ASSERT_EQ(0, vqn_open(&self->g, "kvmtest"));
	ASSERT_HOST_DEFAULTS(self->g);
	ASSERT_EQ(0, vqn_kvm_attach(self->g, self->vm));
	add_bound_dev(_metadata, self, variant->pio, 0, NQ);
}

FIXTURE_TEARDOWN(kvm)
{
	int d, q;

	vqn_close(self->g);
	for (d = 0; d < 2; d++)
		for (q = 0; q < (int)self->nq[d]; q++)
			close(self->n[d][q].fd);
	if (self->vm >= 0) {
		close(self->vm);
		close(self->kvm);
	}
}

TEST_F(kvm, probe)
{
	struct vqn_kvm_caps caps;

	ASSERT_EQ(0, vqn_probe_kvm(-1, &caps));
	EXPECT_EQ(KVM_API_VERSION, caps.api_version);
	EXPECT_TRUE(caps.ioeventfd);
	EXPECT_TRUE(caps.no_length);
	ASSERT_EQ(0, vqn_probe_kvm(self->vm, &caps));
	EXPECT_TRUE(caps.ioeventfd);
}

TEST_F(kvm, attach_twice)
{
	EXPECT_EQ(-EBUSY, vqn_kvm_attach(self->g, self->vm));
}

TEST_F(kvm, none_before_driver_ok)
{
	EXPECT_EXACT(0);
}

TEST_F(kvm, driver_ok_assigns_exactly)
{
	uint64_t ready = 0xb;	/* queue 2 not initialised */

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, &ready,
				     NULL, 0));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 2));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 3));
	EXPECT_EXACT(0);
}

TEST_F(kvm, bind_after_driver_ok)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 1, NULL));
	EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][1]));
	ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 1, &self->n[0][1]));
	EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][1]));
}

/* vhost takes an ASSIGNED queue (d): the library's ioeventfd goes. */
TEST_F(kvm, vhost_takes_and_returns)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[0], 0, true, NULL));
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, state_of(self->g, self->dev[0], 0));
	EXPECT_EXACT(0);
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[0], 0, false,
				       NULL));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 0));
	EXPECT_EXACT(0);
}

/* vhost needs a slot in a full budget: the newest grant's goes (p). */
TEST_F(kvm, preemption_removes)
{
	struct vqn_event ev[8];
	int n;

	ASSERT_EQ(0, vqn_set_budget(self->g, 7));
	add_bound_dev(_metadata, self, variant->pio, 1, 4);
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(4, vqn_set_status(self->g, self->dev[1], STATUS_OK, NULL,
				    NULL, 0));
	EXPECT_EXACT(0);
	EXPECT_EXACT(1);
	EXPECT_EQ(1, kvm_has(self->vm, &self->n[1][2]));

	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[1], 3, true, NULL));
	n = vqn_read_events(self->g, ev, 8);
	ASSERT_EQ(1, n);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[0].label);
	EXPECT_EQ(2u, ev[0].queue);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[1], 2));
	EXPECT_EQ(-ENOENT, kvm_ioeventfd(self->vm, &self->n[1][2],
					 self->n[1][2].fd, true));
	EXPECT_EXACT(0);
	EXPECT_EXACT(1);
}

TEST_F(kvm, reset_removes)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	EXPECT_EXACT(0);
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], 0, NULL, NULL,
				     0));
	EXPECT_EXACT(0);
}

TEST_F(kvm, driver_ok_cleared_removes)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0],
				     STATUS_OK & ~VQNOTIFY_STATUS_DRIVER_OK,
				     NULL, NULL, 0));
	EXPECT_EXACT(0);
}

/*
 * Someone else holds queue 1's address: KVM refuses the library's assign
 * with EEXIST. The queue falls back to DEASSIGNED, the module is told
 * (it holds no slot for it), the other queues keep theirs, and the
 * process goes on: no abort().
 */
TEST_F(kvm, refused_falls_back)
{
	struct vqnotify_guest_info gi;
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqnotify_vq_info info;
	struct vqn_view v;
	int n, i;

	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	n = vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL, self->res,
			   MAX_Q);
	ASSERT_EQ(NQ, n);
	for (i = 0; i < n; i++) {
		if (self->res[i].queue != 1) {
			EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED,
				  self->res[i].new_state);
			EXPECT_EQ(0, self->res[i].kvm_err);
			continue;
		}
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, self->res[i].new_state);
		EXPECT_EQ(-EEXIST, self->res[i].kvm_err);
	}
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 1, &v));
	EXPECT_TRUE(v.refused);
	EXPECT_FALSE(v.kvm_assigned);
	EXPECT_EQ(-EEXIST, v.kvm_err);
	ASSERT_EQ(0, vqn_queue_get(self->g, self->dev[0], 1, &info));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, info.state);
	/* API 2: released alone (x), not by a DRIVER_OK restart. */
	EXPECT_EQ(VQNOTIFY_REASON_KVM_REFUSED, info.reason);
	EXPECT_EQ(VQNOTIFY_LABEL_X, info.label);
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_EQ(3u, gi.used);
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_S]);
	for (i = 0; i < NQ; i++)
		if (i != 1)
			EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][i]));
	/* The foreign ioeventfd is still the only one at that address. */
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][1]));

	/* Bound again, the queue gets its slot at the next DRIVER_OK. */
	ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 1, &self->n[0][1]));
	ASSERT_EQ(NQ - 1, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 1));
	EXPECT_EXACT(0);
	close(foreign);
}

/* The same on an asynchronous promotion (r). */
TEST_F(kvm, refused_promotion_falls_back)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqn_event ev[16];
	bool seen = false;
	int n, i;

	ASSERT_EQ(0, vqn_set_budget(self->g, 7));
	add_bound_dev(_metadata, self, variant->pio, 1, 4);
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(4, vqn_set_status(self->g, self->dev[1], STATUS_OK, NULL,
				    NULL, 0));
	/* net q3 waits for a slot; its address is taken meanwhile. */
	ASSERT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[1], 3));
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[1][3], foreign, false));
	/* The disk's reset frees 4 slots: net q3 is promoted (r). */
	ASSERT_EQ(NQ, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	while ((n = vqn_read_events(self->g, ev, 16)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].dev_id != self->dev[1] || ev[i].queue != 3)
				continue;
			EXPECT_EQ(VQNOTIFY_LABEL_R, ev[i].label);
			EXPECT_EQ(-EEXIST, ev[i].kvm_err);
			EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[i].new_state);
			seen = true;
		}
	}
	EXPECT_TRUE(seen);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[1], 3));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED,
			  state_of(self->g, self->dev[1], i));
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[1][3], foreign, true));
	self->nq[1] = 3;	/* q3's address was someone else's */
	EXPECT_EXACT(0);
	EXPECT_EXACT(1);
	self->nq[1] = 4;
	close(foreign);
}

TEST_F(kvm, detach_and_attach)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	vqn_kvm_detach(self->g);
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][q]));
	ASSERT_EQ(0, vqn_kvm_attach(self->g, self->vm));
	EXPECT_EXACT(0);
}

TEST_F(kvm, remove_removes)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_dev_remove(self->g, self->dev[0], NULL, 0));
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(-ENOENT, kvm_ioeventfd(self->vm, &self->n[0][q],
						 self->n[0][q].fd, true));
}

TEST_F(kvm, close_leaves_none)
{
	/* vhost's queue is not the library's: 3 results, not 4. */
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[0], 3, true, NULL));
	ASSERT_EQ(NQ - 1, vqn_set_status(self->g, self->dev[0], STATUS_OK,
					 NULL, NULL, 0));
	vqn_close(self->g);
	self->g = NULL;
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(-ENOENT, kvm_ioeventfd(self->vm, &self->n[0][q],
						 self->n[0][q].fd, true));
}

TEST_HARNESS_MAIN
