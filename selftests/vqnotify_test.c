// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify_test: the /dev/vqnotify arbiter, ioctl by ioctl.
 *
 * Every transition of the state machine (a)-(g), (p), (r), (s) is checked
 * three ways: the per-queue results the call returns, the queue's state,
 * reason and label from VQNOTIFY_QUEUE_GET/DEV_GET, and the guest's counts
 * by label from VQNOTIFY_GUEST_GET. Then budgets, limited mode, migration,
 * events, every error path, isolation between guests, release on close and
 * concurrency.
 *
 * The module is shared by all tests (loaded once with default parameters):
 * host-wide figures are compared as deltas, and budgets are derived from
 * the threshold and vhost reserve the module reports. Each test opens its
 * own guest(s). Without /dev/vqnotify every test is skipped.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "vqn_test_util.h"
#include "kselftest_harness.h"

#define DEASS	VQN_S_DEASSIGNED
#define ASSIG	VQN_S_ASSIGNED
#define OFFL	VQN_S_OFFLIMITS
#define L(x)	VQNOTIFY_LABEL_##x
#define R(x)	VQNOTIFY_REASON_##x
#define INIT	VQNOTIFY_VQ_INITIALISED
#define WAIT	VQNOTIFY_VQ_WAITING

static const char *const label_names[VQNOTIFY_NR_COUNTERS] = {
	"NONE", "a", "b", "c", "d", "e", "f", "g", "p", "r", "s",
};

/* counts[] index of a label letter as used in check_counts() specs. */
static int label_index(char c)
{
	static const char letters[] = "abcdefgprs";
	const char *p = strchr(letters, c);

	return p && c ? L(A) + (int)(p - letters) : -1;
}

static unsigned long page_size(void)
{
	return (unsigned long)sysconf(_SC_PAGESIZE);
}

/*
 * The guest's counts[] must be exactly @fmt: "a4 b2" means four (a), two
 * (b) and zero of every other label.
 */
static void __attribute__((format(printf, 4, 5)))
check_counts(struct __test_metadata *_metadata, int line, int fd,
	     const char *fmt, ...)
{
	uint64_t want[VQNOTIFY_NR_COUNTERS] = {};
	struct vqnotify_guest_info gi;
	char spec[128], *p = spec;
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	while (*p) {
		char *end;

		if (*p == ' ') {
			p++;
			continue;
		}
		i = label_index(*p++);
		ASSERT_LE(0, i) TH_LOG("bad counts spec '%s'", spec);
		want[i] = strtoull(p, &end, 10);
		p = end;
	}
	ASSERT_EQ(0, vqn_guest_get(fd, &gi));
	for (i = 0; i < VQNOTIFY_NR_COUNTERS; i++)
		EXPECT_EQ(want[i], gi.counts[i])
			TH_LOG("line %d: counts[%s], want '%s'", line,
			       i < L(MAX) ? label_names[i] : "?", spec);
}

#define CHECK_COUNTS(fd, ...) \
	check_counts(_metadata, __LINE__, fd, __VA_ARGS__)

static void expect_res(struct __test_metadata *_metadata, int line,
		       const struct vqnotify_vq_result *r, unsigned int q,
		       unsigned int os, unsigned int ns, unsigned int lb,
		       unsigned int rs)
{
	EXPECT_EQ(q, r->queue) TH_LOG("line %d", line);
	EXPECT_EQ(os, (unsigned int)r->old_state)
		TH_LOG("line %d: queue %u old_state", line, q);
	EXPECT_EQ(ns, (unsigned int)r->new_state)
		TH_LOG("line %d: queue %u new_state", line, q);
	EXPECT_EQ(lb, (unsigned int)r->label)
		TH_LOG("line %d: queue %u label", line, q);
	EXPECT_EQ(rs, (unsigned int)r->reason)
		TH_LOG("line %d: queue %u reason", line, q);
}

/* A result: queue, old state, new state, label, reason. */
#define EXPECT_RES(r, q, os, ns, lb, rs) \
	expect_res(_metadata, __LINE__, &(r), q, os, ns, lb, rs)

static struct vqnotify_vq_info
expect_vq(struct __test_metadata *_metadata, int line, int fd, uint32_t id,
	  uint32_t q, unsigned int st, unsigned int rs, unsigned int lb)
{
	struct vqnotify_vq_info vi = {};

	EXPECT_EQ(0, vqn_queue_get(fd, id, q, &vi))
		TH_LOG("line %d: QUEUE_GET dev %u queue %u", line, id, q);
	EXPECT_EQ(st, (unsigned int)vi.state)
		TH_LOG("line %d: dev %u queue %u state", line, id, q);
	EXPECT_EQ(rs, (unsigned int)vi.reason)
		TH_LOG("line %d: dev %u queue %u reason", line, id, q);
	EXPECT_EQ(lb, (unsigned int)vi.label)
		TH_LOG("line %d: dev %u queue %u label", line, id, q);
	/* assign_seq is set exactly while ASSIGNED. */
	EXPECT_EQ(st == ASSIG, vi.assign_seq != 0)
		TH_LOG("line %d: dev %u queue %u assign_seq %u", line, id, q,
		       vi.assign_seq);
	return vi;
}

/* A queue from QUEUE_GET: state, reason, label; returns the info. */
#define EXPECT_VQ(fd, id, q, st, rs, lb) \
	expect_vq(_metadata, __LINE__, fd, id, q, st, rs, lb)

static void expect_ev(struct __test_metadata *_metadata, int line,
		      const struct vqnotify_event *e, uint32_t dev,
		      uint32_t q, unsigned int os, unsigned int ns,
		      unsigned int lb, unsigned int rs)
{
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, e->type)
		TH_LOG("line %d: event seq %llu", line,
		       (unsigned long long)e->seq);
	EXPECT_EQ(dev, e->dev_id) TH_LOG("line %d", line);
	EXPECT_EQ(q, e->queue) TH_LOG("line %d", line);
	EXPECT_EQ(os, (unsigned int)e->old_state) TH_LOG("line %d", line);
	EXPECT_EQ(ns, (unsigned int)e->new_state) TH_LOG("line %d", line);
	EXPECT_EQ(lb, (unsigned int)e->label) TH_LOG("line %d", line);
	EXPECT_EQ(rs, (unsigned int)e->reason) TH_LOG("line %d", line);
	EXPECT_EQ(0U, e->value) TH_LOG("line %d", line);
	EXPECT_EQ(0U, e->__reserved) TH_LOG("line %d", line);
}

/* An event: device, queue, old state, new state, label, reason. */
#define EXPECT_EV(e, dev, q, os, ns, lb, rs) \
	expect_ev(_metadata, __LINE__, &(e), dev, q, os, ns, lb, rs)

/* No event may be queued. */
#define EXPECT_NO_EVENTS(fd) do {					\
	struct vqnotify_event _e;					\
	EXPECT_EQ(0, vqn_read_events(fd, &_e, 1))			\
		TH_LOG("unexpected event seq %llu type %u label %u",	\
		       (unsigned long long)_e.seq, _e.type, _e.label);	\
} while (0)

#define ASSERT_GUEST_OK(fd, ids, n) do {				\
	char _why[256];							\
	ASSERT_EQ(0, vqn_check_guest(fd, ids, n, _why, sizeof(_why)))	\
		TH_LOG("invariant: %s", _why);				\
} while (0)

/* A queue holds a userspace grant iff this model says the slot fits. */
static bool user_fits(uint32_t reserve, uint32_t budget, uint32_t held,
		      uint32_t offlimits)
{
	uint32_t left = reserve > offlimits ? reserve - offlimits : 0;

	return (uint64_t)held + left <= budget;
}

/* A read-only page holding a copy of @len bytes of @src (zeroes else). */
static void *ro_copy(const void *src, size_t len)
{
	void *p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (len)
		memcpy(p, src, len);
	mprotect(p, page_size(), PROT_READ);
	return p;
}

#define ro_page() ro_copy(NULL, 0)

/* An address with nothing mapped at it. */
static void *unmapped_addr(void)
{
	void *p = mmap(NULL, page_size(), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, page_size());
	return p;
}

/* Two pages: the second one unmapped, so a struct can straddle into it. */
static void *page_before_hole(void)
{
	char *p = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + page_size(), page_size());
	memset(p, 0, page_size());
	return p;
}

/*
 * The tests adapt to the module's threshold, reserve and budget, but need
 * room: a default budget well above threshold + reserve, and host slots.
 * A host config left shrunk by an earlier program would make them fail
 * for no fault of the module; say so plainly instead.
 */
#define ASSERT_CONFIG_USABLE(i)						\
	ASSERT_TRUE((i)->default_budget >= (i)->threshold +		\
		    (i)->vhost_reserve + 128 &&				\
		    (i)->host_cap >= (i)->host_used + 2048)		\
		TH_LOG("host config unusable (left by an earlier test?): "	\
		       "threshold %u reserve %u default budget %u host cap %u used %u", \
		       (i)->threshold, (i)->vhost_reserve,		\
		       (i)->default_budget, (i)->host_cap, (i)->host_used)

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
	self->fd = -1;
	if (!vqn_present())
		SKIP(return, "%s not present (module not loaded)",
		     VQN_DEV_PATH);
	self->fd = vqn_open();
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(-self->fd));
	ASSERT_EQ(0, vqn_get_info(self->fd, &self->info));
	ASSERT_CONFIG_USABLE(&self->info);
	self->host0 = self->info.host_used;
}

FIXTURE_TEARDOWN(trans)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Slots this guest added host-wide since setup. */
#define HOST_DELTA() (vqn_host_used(self->fd) - self->host0)

/* (a): a new device's queues start DEASSIGNED. */
TEST_F(trans, a_dev_add)
{
	struct vqnotify_vq_info vi[5];
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	uint32_t id = 0, q;

	memset(vi, 0xa5, sizeof(vi));
	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 4, "dev-a",
				 &id));
	ASSERT_NE(0U, id);
	ASSERT_EQ(0, vqn_dev_get(self->fd, id, &dg, vi, 5));
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
	CHECK_COUNTS(self->fd, "a4");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(1U, gi.nr_devices);
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(0, HOST_DELTA());
}

/* (b): DRIVER_OK assigns every initialised queue, in queue order. */
TEST_F(trans, b_driver_ok)
{
	struct vqnotify_vq_result res[4];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 4, prev = 0;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 4, "b", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, res,
				    &nr));
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		EXPECT_RES(res[q], q, DEASS, ASSIG, L(B), R(GRANTED));
		vi = EXPECT_VQ(self->fd, id, q, ASSIG, R(GRANTED), L(B));
		EXPECT_EQ(INIT, vi.flags);
		EXPECT_LT(prev, vi.assign_seq);
		prev = vi.assign_seq;
	}
	CHECK_COUNTS(self->fd, "a4 b4");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(4U, gi.used);
	EXPECT_EQ(4U, gi.nr_assigned);
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(4, HOST_DELTA());

	/* DRIVER_OK again is not a new DRIVER_OK: nothing changes. */
	nr = 4;
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, res,
				    &nr));
	EXPECT_EQ(0U, nr);
	CHECK_COUNTS(self->fd, "a4 b4");
}

/* (b) with a ready bitmap: uninitialised queues are refused NOT_READY. */
TEST_F(trans, b_not_ready)
{
	struct vqnotify_vq_result res[4];
	uint64_t ready = 0x5;	/* queues 0 and 2 */
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 4;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 4, "b", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, &ready, res,
				    &nr));
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		if (q % 2 == 0) {
			EXPECT_RES(res[q], q, DEASS, ASSIG, L(B), R(GRANTED));
			vi = EXPECT_VQ(self->fd, id, q, ASSIG, R(GRANTED),
				       L(B));
			EXPECT_EQ(INIT, vi.flags);
		} else {
			EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE),
				   R(NOT_READY));
			vi = EXPECT_VQ(self->fd, id, q, DEASS, R(NOT_READY),
				       L(A));
			EXPECT_EQ(0, vi.flags);
		}
	}
	CHECK_COUNTS(self->fd, "a4 b2");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(2U, gi.used);
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(2, HOST_DELTA());
}

/* (c): vhost takes a DEASSIGNED queue. */
TEST_F(trans, c_vhost_on_deassigned)
{
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	uint32_t id;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 2, "c", &id));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 0, true, &r));
	EXPECT_RES(r, 0, DEASS, OFFL, L(C), R(VHOST));
	EXPECT_VQ(self->fd, id, 0, OFFL, R(VHOST), L(C));
	EXPECT_VQ(self->fd, id, 1, DEASS, R(NONE), L(A));
	CHECK_COUNTS(self->fd, "a2 c1");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(1U, gi.used);
	EXPECT_EQ(1U, gi.nr_offlimits);
	EXPECT_EQ(0U, gi.nr_assigned);
	EXPECT_EQ(1, HOST_DELTA());
	EXPECT_NO_EVENTS(self->fd);
}

/* (d): vhost takes an ASSIGNED queue; the slot passes to vhost. */
TEST_F(trans, d_vhost_on_assigned)
{
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	uint32_t id;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 2, "d", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 1, true, &r));
	EXPECT_RES(r, 1, ASSIG, OFFL, L(D), R(VHOST));
	EXPECT_VQ(self->fd, id, 1, OFFL, R(VHOST), L(D));
	EXPECT_VQ(self->fd, id, 0, ASSIG, R(GRANTED), L(B));
	CHECK_COUNTS(self->fd, "a2 b2 d1");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(2U, gi.used);
	EXPECT_EQ(1U, gi.nr_assigned);
	EXPECT_EQ(1U, gi.nr_offlimits);
	EXPECT_EQ(2, HOST_DELTA());
	EXPECT_NO_EVENTS(self->fd);
}

/* (e): vhost gives the queue back to a DRIVER_OK device: ASSIGNED again. */
TEST_F(trans, e_vhost_off_assigned)
{
	struct vqnotify_vq_info v0, v1;
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	uint32_t id;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 2, "e", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 1, true, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 1, false, &r));
	EXPECT_RES(r, 1, OFFL, ASSIG, L(E), R(VHOST_OFF));
	v1 = EXPECT_VQ(self->fd, id, 1, ASSIG, R(VHOST_OFF), L(E));
	v0 = EXPECT_VQ(self->fd, id, 0, ASSIG, R(GRANTED), L(B));
	/* A new grant: the newest, preempted first. */
	EXPECT_LT(v0.assign_seq, v1.assign_seq);
	CHECK_COUNTS(self->fd, "a2 b2 d1 e1");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(2U, gi.used);
	EXPECT_EQ(2U, gi.nr_assigned);
	EXPECT_EQ(0U, gi.nr_offlimits);
	EXPECT_EQ(2, HOST_DELTA());
}

/* (f): vhost gives back a queue of a device that is not DRIVER_OK. */
TEST_F(trans, f_vhost_off_not_driver_ok)
{
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t id;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 2, "f", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_FEATURES, NULL,
				    NULL, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 0, true, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 0, false, &r));
	EXPECT_RES(r, 0, OFFL, DEASS, L(F), R(VHOST_OFF));
	vi = EXPECT_VQ(self->fd, id, 0, DEASS, R(VHOST_OFF), L(F));
	EXPECT_EQ(0U, vi.flags & WAIT);
	CHECK_COUNTS(self->fd, "a2 c1 f1");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(0, HOST_DELTA());
	EXPECT_NO_EVENTS(self->fd);
}

/* (f) for a queue that was not initialised at DRIVER_OK: never (e). */
TEST_F(trans, f_vhost_off_uninitialised)
{
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint64_t ready = 0x1;	/* queue 1 not initialised */
	uint32_t id;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 2, "f", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, &ready,
				    NULL, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 1, true, &r));
	EXPECT_RES(r, 1, DEASS, OFFL, L(C), R(VHOST));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 1, false, &r));
	EXPECT_RES(r, 1, OFFL, DEASS, L(F), R(NOT_READY));
	vi = EXPECT_VQ(self->fd, id, 1, DEASS, R(NOT_READY), L(F));
	EXPECT_EQ(0, vi.flags);
	CHECK_COUNTS(self->fd, "a2 b1 c1 f1");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(1U, gi.used);
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(1, HOST_DELTA());
	EXPECT_NO_EVENTS(self->fd);
}

static void g_check(struct __test_metadata *_metadata,
		    FIXTURE_DATA(trans) *self, uint32_t id,
		    const struct vqnotify_vq_result *res, uint32_t nr,
		    unsigned int reason)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi;
	uint32_t q;

	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		/* OFFLIMITS too: the VMM learns vhost held queue 3. */
		EXPECT_RES(res[q], q, q == 3 ? OFFL : ASSIG, DEASS, L(G),
			   reason);
		vi = EXPECT_VQ(self->fd, id, q, DEASS, reason, L(G));
		EXPECT_EQ(0, vi.flags);
	}
	ASSERT_EQ(0, vqn_dev_get(self->fd, id, &dg, NULL, 0));
	EXPECT_EQ(0U, dg.status);
	CHECK_COUNTS(self->fd, "a4 b4 d1 g4");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(0U, gi.nr_offlimits);
	EXPECT_EQ(0, HOST_DELTA());
	EXPECT_NO_EVENTS(self->fd);
}

/* A DRIVER_OK device with queues 0-2 ASSIGNED and queue 3 OFFLIMITS. */
static uint32_t g_setup(struct __test_metadata *_metadata,
			FIXTURE_DATA(trans) *self, uint32_t transport)
{
	uint32_t id;

	ASSERT_EQ(0, vqn_dev_add(self->fd, transport, 4, "g", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 3, true, NULL));
	return id;
}

/* (g) by DEV_RESET: every queue DEASSIGNED, OFFLIMITS included. */
TEST_F(trans, g_dev_reset)
{
	struct vqnotify_vq_result res[4];
	uint32_t id, nr = 4;

	id = g_setup(_metadata, self, variant->transport);
	ASSERT_EQ(0, vqn_dev_reset(self->fd, id, res, &nr));
	g_check(_metadata, self, id, res, nr, R(RESET));
}

/* (g) by SET_STATUS 0. */
TEST_F(trans, g_status_zero)
{
	struct vqnotify_vq_result res[4];
	uint32_t id, nr = 4;

	id = g_setup(_metadata, self, variant->transport);
	ASSERT_EQ(0, vqn_set_status(self->fd, id, 0, NULL, res, &nr));
	g_check(_metadata, self, id, res, nr, R(RESET));
}

/* (g) by DEV_REMOVE: results, then the device is gone. */
TEST_F(trans, g_dev_remove)
{
	struct vqnotify_vq_result res[4];
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 4;

	id = g_setup(_metadata, self, variant->transport);
	ASSERT_EQ(4, HOST_DELTA());
	ASSERT_EQ(0, vqn_dev_remove(self->fd, id, res, &nr));
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++)
		EXPECT_RES(res[q], q, q == 3 ? OFFL : ASSIG, DEASS, L(G),
			   R(REMOVED));
	EXPECT_EQ(-ENOENT, vqn_dev_get(self->fd, id, &dg, NULL, 0));
	EXPECT_EQ(-ENOENT, vqn_queue_get(self->fd, id, 0, &vi));
	EXPECT_EQ(-ENOENT, vqn_dev_remove(self->fd, id, NULL, NULL));
	CHECK_COUNTS(self->fd, "a4 b4 d1 g4");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.nr_devices);
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(0, HOST_DELTA());
}

/* (s): DRIVER_OK cleared without reset; vhost keeps its queue. */
TEST_F(trans, s_driver_ok_cleared)
{
	struct vqnotify_vq_result res[3];
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 3;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 3, "s", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 2, true, NULL));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_FEATURES, NULL,
				    res, &nr));
	ASSERT_EQ(2U, nr);
	for (q = 0; q < 2; q++) {
		EXPECT_RES(res[q], q, ASSIG, DEASS, L(S), R(STOPPED));
		vi = EXPECT_VQ(self->fd, id, q, DEASS, R(STOPPED), L(S));
		EXPECT_EQ(0U, vi.flags & WAIT);
	}
	EXPECT_VQ(self->fd, id, 2, OFFL, R(VHOST), L(D));
	ASSERT_EQ(0, vqn_dev_get(self->fd, id, &dg, NULL, 0));
	EXPECT_EQ((uint32_t)VQN_STATUS_FEATURES, dg.status);
	CHECK_COUNTS(self->fd, "a3 b3 d1 s2");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(1U, gi.used);
	EXPECT_EQ(1, HOST_DELTA());

	/* DRIVER_OK again: (b) for the two queues, vhost's is left alone. */
	nr = 3;
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, res,
				    &nr));
	ASSERT_EQ(2U, nr);
	EXPECT_RES(res[0], 0, DEASS, ASSIG, L(B), R(GRANTED));
	EXPECT_RES(res[1], 1, DEASS, ASSIG, L(B), R(GRANTED));
	CHECK_COUNTS(self->fd, "a3 b5 d1 s2");
	EXPECT_EQ(3, HOST_DELTA());
}

/* A status without DRIVER_OK on a fresh device changes no queue. */
TEST_F(trans, status_without_driver_ok)
{
	struct vqnotify_vq_result res[2];
	struct vqnotify_dev_get dg;
	uint32_t id, nr = 2;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 2, "x", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_FEATURES, NULL,
				    res, &nr));
	EXPECT_EQ(0U, nr);
	ASSERT_EQ(0, vqn_dev_get(self->fd, id, &dg, NULL, 0));
	EXPECT_EQ((uint32_t)VQN_STATUS_FEATURES, dg.status);
	EXPECT_VQ(self->fd, id, 0, DEASS, R(NONE), L(A));
	CHECK_COUNTS(self->fd, "a2");
}

/* One DRIVER_OK call covers a whole 1024-queue device. */
TEST_F(trans, b_max_queues_one_call)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	uint32_t id, q, nr = VQNOTIFY_MAX_QUEUES, bad = 0;
	struct vqnotify_guest_info gi;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport,
				 VQNOTIFY_MAX_QUEUES, "big", &id));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	if (gi.budget < VQNOTIFY_MAX_QUEUES + gi.vhost_reserve)
		SKIP(return, "budget %u too small", gi.budget);
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, res,
				    &nr));
	ASSERT_EQ((uint32_t)VQNOTIFY_MAX_QUEUES, nr);
	for (q = 0; q < nr; q++)
		bad += res[q].queue != q || res[q].new_state != ASSIG ||
		       res[q].label != L(B);
	EXPECT_EQ(0U, bad);
	CHECK_COUNTS(self->fd, "a1024 b1024");
	EXPECT_EQ(VQNOTIFY_MAX_QUEUES, HOST_DELTA());
}

/*
 * Migration. The blob format is the module's business; the tests that
 * forge a blob with a valid CRC (to reach the checks behind the CRC) use
 * this header layout and first check that it still matches what SAVE
 * produced.
 */
#define BLOB_MAX	1024
#define BLOB_MAGIC	0
#define BLOB_VERSION	4
#define BLOB_CRC	12
#define BLOB_HDR_LEN	32

static uint32_t blob_crc(uint8_t *blob, uint32_t len)
{
	uint32_t saved, crc;

	memcpy(&saved, blob + BLOB_CRC, 4);
	memset(blob + BLOB_CRC, 0, 4);
	crc = vqn_crc32_le(~0U, blob, len);
	memcpy(blob + BLOB_CRC, &saved, 4);
	return crc;
}

static void blob_fix_crc(uint8_t *blob, uint32_t len)
{
	uint32_t crc = blob_crc(blob, len);

	memcpy(blob + BLOB_CRC, &crc, 4);
}

static uint32_t save_blob(struct __test_metadata *_metadata, int fd,
			  uint32_t id, uint8_t *blob)
{
	uint32_t len = BLOB_MAX;

	ASSERT_EQ(0, vqn_save(fd, id, blob, &len));
	ASSERT_LT((uint32_t)BLOB_HDR_LEN, len);
	ASSERT_GE((uint32_t)BLOB_MAX, len);
	return len;
}

/* Status and per-queue state, reason and flags of two devices agree. */
static void expect_same_dev(struct __test_metadata *_metadata, int fd1,
			    uint32_t id1, int fd2, uint32_t id2)
{
	static struct vqnotify_vq_info v1[VQNOTIFY_MAX_QUEUES],
		v2[VQNOTIFY_MAX_QUEUES];
	struct vqnotify_dev_get d1, d2;
	uint32_t q;

	ASSERT_EQ(0, vqn_dev_get(fd1, id1, &d1, v1, VQNOTIFY_MAX_QUEUES));
	ASSERT_EQ(0, vqn_dev_get(fd2, id2, &d2, v2, VQNOTIFY_MAX_QUEUES));
	EXPECT_EQ(d1.status, d2.status);
	EXPECT_EQ(d1.transport, d2.transport);
	ASSERT_EQ(d1.num_queues, d2.num_queues);
	for (q = 0; q < d1.num_queues; q++) {
		EXPECT_EQ(v1[q].state, v2[q].state) TH_LOG("queue %u", q);
		EXPECT_EQ(v1[q].reason, v2[q].reason) TH_LOG("queue %u", q);
		EXPECT_EQ(v1[q].flags, v2[q].flags) TH_LOG("queue %u", q);
	}
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
	uint8_t blob[BLOB_MAX];
	uint32_t src, dst, q, len, nr = 8;
	int fd2;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 8, "src",
				 &src));
	ASSERT_EQ(0, vqn_set_status(self->fd, src, VQN_STATUS_OK, &ready,
				    NULL, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, src, 6, true, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, src, 7, true, NULL));
	len = save_blob(_metadata, self->fd, src, blob);

	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vqn_dev_add(fd2, variant->transport, 8, "dst", &dst));
	ASSERT_EQ(0, vqn_load(fd2, dst, blob, len, res, &nr));
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
		ASSERT_EQ(0, vqn_host_notifier(fd2, dst, q, true, &r));
		EXPECT_RES(r, q, ASSIG, OFFL, L(D), R(VHOST));
	}
	expect_same_dev(_metadata, self->fd, src, fd2, dst);
	CHECK_COUNTS(fd2, "a8 b6 d2");
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gs));
	ASSERT_EQ(0, vqn_guest_get(fd2, &gd));
	EXPECT_EQ(gs.used, gd.used);
	EXPECT_EQ(gs.nr_assigned, gd.nr_assigned);
	EXPECT_EQ(gs.nr_offlimits, gd.nr_offlimits);
	close(fd2);
}

/* A device saved before DRIVER_OK loads without any (b). */
TEST_F(trans, save_load_before_driver_ok)
{
	struct vqnotify_vq_result res[4];
	uint8_t blob[BLOB_MAX];
	uint32_t src, dst, len, nr = 4;
	int fd2;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 4, "src",
				 &src));
	ASSERT_EQ(0, vqn_set_status(self->fd, src, VQN_STATUS_FEATURES, NULL,
				    NULL, NULL));
	len = save_blob(_metadata, self->fd, src, blob);
	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vqn_dev_add(fd2, variant->transport, 4, "dst", &dst));
	ASSERT_EQ(0, vqn_load(fd2, dst, blob, len, res, &nr));
	EXPECT_EQ(0U, nr);
	expect_same_dev(_metadata, self->fd, src, fd2, dst);
	CHECK_COUNTS(fd2, "a4");
	close(fd2);
}

/*
 * vhost may hold a queue the VMM did not mark initialised at DRIVER_OK
 * (QEMU enables the notifiers of all of a vhost device's queues). What
 * SAVE produces for such a device, LOAD must take.
 */
TEST_F(trans, save_load_vhost_on_uninitialised_queue)
{
	struct vqnotify_vq_result res[4];
	uint64_t ready = 0xd;	/* queue 1 not initialised */
	uint8_t blob[BLOB_MAX];
	uint32_t src, dst, len, nr = 4;
	int fd2;

	ASSERT_EQ(0, vqn_dev_add(self->fd, variant->transport, 4, "src",
				 &src));
	ASSERT_EQ(0, vqn_set_status(self->fd, src, VQN_STATUS_OK, &ready,
				    NULL, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, src, 1, true, NULL));
	len = save_blob(_metadata, self->fd, src, blob);
	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vqn_dev_add(fd2, variant->transport, 4, "dst", &dst));
	ASSERT_EQ(0, vqn_load(fd2, dst, blob, len, res, &nr));
	ASSERT_EQ(0, vqn_host_notifier(fd2, dst, 1, true, NULL));
	expect_same_dev(_metadata, self->fd, src, fd2, dst);
	close(fd2);
}

/*
 * Budgets, preemption (p) and promotion (r). The guest's own budget is
 * B = threshold + vhost_reserve + extra, so it is never limited here even
 * after lowering it by @cut. Userspace queues fill B - reserve slots.
 */
FIXTURE(budget) {
	int fd;
	struct vqnotify_info info;
	long host0;
	uint32_t budget;	/* B */
	uint32_t reserve;
	uint32_t nq;		/* B - reserve: what userspace may fill */
};

FIXTURE_VARIANT(budget) {
	uint32_t extra;
	uint32_t cut;
};

FIXTURE_VARIANT_ADD(budget, small) {
	.extra = 3,
	.cut = 1,
};

FIXTURE_VARIANT_ADD(budget, medium) {
	.extra = 9,
	.cut = 4,
};

FIXTURE_VARIANT_ADD(budget, large) {
	.extra = 120,
	.cut = 100,
};

FIXTURE_SETUP(budget)
{
	struct vqnotify_guest_info gi;

	self->fd = -1;
	if (!vqn_present())
		SKIP(return, "%s not present (module not loaded)",
		     VQN_DEV_PATH);
	self->fd = vqn_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqn_get_info(self->fd, &self->info));
	ASSERT_CONFIG_USABLE(&self->info);
	self->host0 = self->info.host_used;
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	/* A new guest gets the module's reserve and threshold. */
	ASSERT_EQ(self->info.vhost_reserve, gi.vhost_reserve);
	ASSERT_EQ(self->info.threshold, gi.threshold);
	self->reserve = gi.vhost_reserve;
	self->budget = vqn_budget_above(&self->info, variant->extra);
	if (self->budget > gi.budget)
		SKIP(return, "admin budget %u below %u", gi.budget,
		     self->budget);
	self->nq = self->budget - self->reserve;
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->budget));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	ASSERT_EQ(self->budget, gi.budget);
	ASSERT_EQ(0U, gi.out_flags);
}

FIXTURE_TEARDOWN(budget)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* A DRIVER_OK device whose queues fill every userspace slot. */
static uint32_t fill_user(struct __test_metadata *_metadata,
			  FIXTURE_DATA(budget) *self)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	uint32_t id, q, nr = self->nq;

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, self->nq,
				 "user", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, res,
				    &nr));
	ASSERT_EQ(self->nq, nr);
	for (q = 0; q < nr; q++)
		ASSERT_EQ(L(B), res[q].label) TH_LOG("queue %u", q);
	return id;
}

/*
 * (p) for vhost: with the budget full, vhost takes the slot of the newest
 * userspace grant; its owner gets an event and the queue waits.
 */
TEST_F(budget, p_vhost_preempts_newest)
{
	struct vqnotify_event ev[4];
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t user, vh, q, i;

	user = fill_user(_metadata, self);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO,
				 self->reserve + 2, "vhost", &vh));
	/* The reserve is free for vhost: no preemption. */
	for (q = 0; q < self->reserve; q++)
		ASSERT_EQ(0, vqn_host_notifier(self->fd, vh, q, true, NULL));
	EXPECT_NO_EVENTS(self->fd);

	for (i = 0; i < 2; i++) {
		q = self->reserve + i;
		ASSERT_EQ(0, vqn_host_notifier(self->fd, vh, q, true, &r));
		EXPECT_RES(r, q, DEASS, OFFL, L(C), R(VHOST));
		ASSERT_EQ(1, vqn_read_events(self->fd, ev, 4));
		EXPECT_EQ(i, ev[0].seq);
		/* Newest first: the last queue, then the one before. */
		EXPECT_EV(ev[0], user, self->nq - 1 - i, ASSIG, DEASS, L(P),
			  R(PREEMPT_VHOST));
		vi = EXPECT_VQ(self->fd, user, self->nq - 1 - i, DEASS,
			       R(PREEMPT_VHOST), L(P));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(self->budget, gi.used);
	EXPECT_EQ(self->nq - 2, gi.nr_assigned);
	EXPECT_EQ(self->reserve + 2, gi.nr_offlimits);
	EXPECT_EQ(2U, gi.nr_waiting);
	EXPECT_EQ(0U, gi.out_flags);
	CHECK_COUNTS(self->fd, "a%u b%u c%u p2", self->budget + 2, self->nq,
		     self->reserve + 2);
	/* The preempted slots passed straight to vhost. */
	EXPECT_EQ((long)self->budget, vqn_host_used(self->fd) - self->host0);
}

/* (r) when vhost gives its queues back (f): FIFO, with events. */
TEST_F(budget, r_promote_on_vhost_off)
{
	struct vqnotify_event ev[4];
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	uint32_t user, vh, q, i;
	uint32_t ids[2];

	user = fill_user(_metadata, self);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO,
				 self->reserve + 2, "vhost", &vh));
	for (q = 0; q < self->reserve + 2; q++)
		ASSERT_EQ(0, vqn_host_notifier(self->fd, vh, q, true, NULL));
	ASSERT_EQ(2, vqn_read_events(self->fd, ev, 4));

	for (i = 0; i < 2; i++) {
		q = self->reserve + i;
		ASSERT_EQ(0, vqn_host_notifier(self->fd, vh, q, false, &r));
		/* vh is not DRIVER_OK: (f), and the slot frees. */
		EXPECT_RES(r, q, OFFL, DEASS, L(F), R(VHOST_OFF));
		ASSERT_EQ(1, vqn_read_events(self->fd, ev, 4));
		EXPECT_EQ(2 + i, ev[0].seq);
		/* FIFO: the first preempted is the first promoted. */
		EXPECT_EV(ev[0], user, self->nq - 1 - i, DEASS, ASSIG, L(R),
			  R(PROMOTED));
		EXPECT_VQ(self->fd, user, self->nq - 1 - i, ASSIG,
			  R(PROMOTED), L(R));
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(self->nq, gi.nr_assigned);
	EXPECT_EQ(0U, gi.nr_waiting);
	CHECK_COUNTS(self->fd, "a%u b%u c%u f2 p2 r2", self->budget + 2,
		     self->nq, self->reserve + 2);
	ids[0] = user;
	ids[1] = vh;
	ASSERT_GUEST_OK(self->fd, ids, 2);
}

/* Queues refused NO_SLOT at DRIVER_OK wait, and (r) when a reset frees. */
TEST_F(budget, r_promote_on_reset)
{
	struct vqnotify_vq_result res[2];
	struct vqnotify_event ev[4];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t user, w, q, nr = 2;

	user = fill_user(_metadata, self);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 2, "wait",
				 &w));
	ASSERT_EQ(0, vqn_set_status(self->fd, w, VQN_STATUS_OK, NULL, res,
				    &nr));
	ASSERT_EQ(2U, nr);
	for (q = 0; q < 2; q++) {
		EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE), R(NO_SLOT));
		vi = EXPECT_VQ(self->fd, w, q, DEASS, R(NO_SLOT), L(A));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(2U, gi.nr_waiting);

	ASSERT_EQ(0, vqn_dev_reset(self->fd, user, NULL, NULL));
	ASSERT_EQ(2, vqn_read_events(self->fd, ev, 4));
	for (q = 0; q < 2; q++) {
		EXPECT_EQ(q, ev[q].seq);
		EXPECT_EV(ev[q], w, q, DEASS, ASSIG, L(R), R(PROMOTED));
		vi = EXPECT_VQ(self->fd, w, q, ASSIG, R(PROMOTED), L(R));
		EXPECT_EQ(INIT, vi.flags);
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(2U, gi.used);
	CHECK_COUNTS(self->fd, "a%u b%u g%u r2", self->nq + 2, self->nq,
		     self->nq);
}

/* Lowering the own budget preempts the newest grants first (p). */
TEST_F(budget, lower_preempts_newest_first)
{
	struct vqnotify_event ev[128];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t user, i, cut = variant->cut;

	user = fill_user(_metadata, self);
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->budget - cut));
	ASSERT_EQ((int)cut, vqn_read_events(self->fd, ev, 128));
	for (i = 0; i < cut; i++) {
		EXPECT_EQ(i, ev[i].seq);
		EXPECT_EV(ev[i], user, self->nq - 1 - i, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
		vi = EXPECT_VQ(self->fd, user, self->nq - 1 - i, DEASS,
			       R(PREEMPT_BUDGET), L(P));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	EXPECT_VQ(self->fd, user, self->nq - 1 - cut, ASSIG, R(GRANTED),
		  L(B));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(self->budget - cut, gi.budget);
	EXPECT_EQ(self->nq - cut, gi.used);
	EXPECT_EQ(cut, gi.nr_waiting);
	EXPECT_EQ(0U, gi.out_flags);
	CHECK_COUNTS(self->fd, "a%u b%u p%u", self->nq, self->nq, cut);
	EXPECT_EQ((long)(self->nq - cut),
		  vqn_host_used(self->fd) - self->host0);
}

/* Raising it again promotes the preempted queues, FIFO (r). */
TEST_F(budget, raise_promotes_fifo)
{
	struct vqnotify_event ev[128];
	struct vqnotify_guest_info gi;
	uint32_t user, i, cut = variant->cut;

	user = fill_user(_metadata, self);
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->budget - cut));
	ASSERT_EQ((int)cut, vqn_read_events(self->fd, ev, 128));
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->budget));
	ASSERT_EQ((int)cut, vqn_read_events(self->fd, ev, 128));
	for (i = 0; i < cut; i++) {
		EXPECT_EQ(cut + i, ev[i].seq);
		/* Preempted newest first, so promoted in that order. */
		EXPECT_EV(ev[i], user, self->nq - 1 - i, DEASS, ASSIG, L(R),
			  R(PROMOTED));
		EXPECT_VQ(self->fd, user, self->nq - 1 - i, ASSIG,
			  R(PROMOTED), L(R));
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(self->nq, gi.used);
	EXPECT_EQ(0U, gi.nr_waiting);
	CHECK_COUNTS(self->fd, "a%u b%u p%u r%u", self->nq, self->nq, cut,
		     cut);
	EXPECT_EQ((long)self->nq, vqn_host_used(self->fd) - self->host0);
}

/* Own budget 0 means no own limit: the admin's budget applies again. */
TEST_F(budget, own_budget_zero_lifts_limit)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_event ev[128];
	uint32_t cut = variant->cut;

	fill_user(_metadata, self);
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->budget - cut));
	ASSERT_EQ((int)cut, vqn_read_events(self->fd, ev, 128));
	ASSERT_EQ(0, vqn_set_budget(self->fd, 0));
	ASSERT_EQ((int)cut, vqn_read_events(self->fd, ev, 128));
	EXPECT_EQ(L(R), ev[0].label);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(self->info.default_budget, gi.budget);
	EXPECT_EQ(self->nq, gi.nr_assigned);
}

/*
 * OFFLIMITS queues are never revoked by a budget change: the guest is
 * reported over budget. vhost giving queues back frees slots (f, waiting
 * NO_SLOT) until the guest fits; from then on (e) keeps the slot.
 */
TEST_F(budget, offlimits_not_revoked)
{
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t id, q, low = self->info.threshold;
	uint32_t n = self->budget, e = 0, f = 0;

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, n, "vh",
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	for (q = 0; q < n; q++)
		ASSERT_EQ(0, vqn_host_notifier(self->fd, id, q, true, NULL));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	ASSERT_EQ(n, gi.nr_offlimits);
	EXPECT_NO_EVENTS(self->fd);

	ASSERT_EQ(0, vqn_set_budget(self->fd, low));
	EXPECT_NO_EVENTS(self->fd);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(low, gi.budget);
	EXPECT_EQ(n, gi.used);
	EXPECT_EQ(n, gi.nr_offlimits);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_OVER_BUDGET, gi.out_flags);
	for (q = 0; q < n; q++)
		EXPECT_VQ(self->fd, id, q, OFFL, R(VHOST),
			  q < self->nq ? L(D) : L(C));

	for (q = 0; q < n; q++) {
		bool fits;

		ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
		fits = user_fits(self->reserve, low, gi.used,
				 gi.nr_offlimits - 1);
		ASSERT_EQ(0, vqn_host_notifier(self->fd, id, q, false, &r));
		if (fits) {
			EXPECT_RES(r, q, OFFL, ASSIG, L(E), R(VHOST_OFF));
			e++;
		} else {
			EXPECT_RES(r, q, OFFL, DEASS, L(F), R(NO_SLOT));
			vi = EXPECT_VQ(self->fd, id, q, DEASS, R(NO_SLOT),
				       L(F));
			EXPECT_EQ(INIT | WAIT, vi.flags);
			f++;
		}
		ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
		EXPECT_EQ(gi.used > low,
			  !!(gi.out_flags & VQNOTIFY_GUEST_OVER_BUDGET))
			TH_LOG("used %u budget %u", gi.used, low);
		ASSERT_GUEST_OK(self->fd, &id, 1);
	}
	/* Both happened: over budget, (f); back within it, (e). */
	EXPECT_LT(0U, f);
	EXPECT_LT(0U, e);
	EXPECT_GE(low, gi.used);
	EXPECT_NO_EVENTS(self->fd);
}

/*
 * vhost reserve: userspace queues leave vhost_reserve slots free. The
 * module's default reserve is 0 and it cannot be changed from here (module
 * parameter, admin netlink): with reserve 0 this checks that userspace can
 * fill the whole budget; with a reserve it checks the reserved slots go to
 * vhost without preemption.
 */
TEST_F(budget, vhost_reserve)
{
	struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES], r;
	struct vqnotify_guest_info gi;
	uint32_t id, q, nr = self->budget, granted = 0, waiting = 0;

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO,
				 self->budget, "rsv", &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, res,
				    &nr));
	ASSERT_EQ(self->budget, nr);
	for (q = 0; q < nr; q++) {
		if (q < self->nq) {
			EXPECT_RES(res[q], q, DEASS, ASSIG, L(B), R(GRANTED));
			granted++;
		} else {
			EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE),
				   R(NO_SLOT));
			waiting++;
		}
	}
	EXPECT_EQ(self->reserve, waiting);
	if (!self->reserve)
		TH_LOG("vhost_reserve is 0: reserved slots not exercised");
	for (q = self->nq; q < self->budget; q++) {
		ASSERT_EQ(0, vqn_host_notifier(self->fd, id, q, true, &r));
		EXPECT_RES(r, q, DEASS, OFFL, L(C), R(VHOST));
	}
	EXPECT_NO_EVENTS(self->fd);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(self->budget, gi.used);
	EXPECT_EQ(granted, gi.nr_assigned);
	EXPECT_EQ(0U, gi.nr_waiting);
}

/*
 * Lowering below the threshold makes the guest limited: all preempted.
 * They wait, and get their slots back (r) once the budget is raised.
 */
TEST_F(budget, lower_to_limited_preempts_all)
{
	struct vqnotify_event ev[256];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t user, i;

	user = fill_user(_metadata, self);
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->info.threshold - 1));
	ASSERT_EQ((int)self->nq, vqn_read_events(self->fd, ev, 256));
	for (i = 0; i < self->nq; i++) {
		EXPECT_EV(ev[i], user, self->nq - 1 - i, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
		vi = EXPECT_VQ(self->fd, user, i, DEASS, R(PREEMPT_BUDGET),
			       L(P));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_LIMITED, gi.out_flags);
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(self->nq, gi.nr_waiting);
	EXPECT_EQ(0, vqn_host_used(self->fd) - self->host0);

	/* Out of limited mode: promoted in the order they were preempted. */
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->budget));
	ASSERT_EQ((int)self->nq, vqn_read_events(self->fd, ev, 256));
	for (i = 0; i < self->nq; i++) {
		EXPECT_EV(ev[i], user, self->nq - 1 - i, DEASS, ASSIG, L(R),
			  R(PROMOTED));
		EXPECT_VQ(self->fd, user, i, ASSIG, R(PROMOTED), L(R));
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.out_flags);
	EXPECT_EQ(self->nq, gi.used);
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ((long)self->nq, vqn_host_used(self->fd) - self->host0);
}

/*
 * Limited mode, the legacy 6-slot case: own budget threshold - 1 (6 with
 * the default threshold 7). vhost queues get slots, userspace queues
 * never auto-assign, and (e) becomes (f).
 */
FIXTURE(limited) {
	int fd;
	struct vqnotify_info info;
	long host0;
	uint32_t budget;
};

FIXTURE_SETUP(limited)
{
	self->fd = -1;
	if (!vqn_present())
		SKIP(return, "%s not present (module not loaded)",
		     VQN_DEV_PATH);
	self->fd = vqn_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqn_get_info(self->fd, &self->info));
	ASSERT_CONFIG_USABLE(&self->info);
	self->host0 = self->info.host_used;
	if (self->info.threshold < 2)
		SKIP(return, "threshold %u: no limited budget",
		     self->info.threshold);
	self->budget = self->info.threshold - 1;
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->budget));
}

FIXTURE_TEARDOWN(limited)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(limited, flags)
{
	struct vqnotify_guest_info gi;

	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(self->budget, gi.budget);
	EXPECT_EQ(self->info.threshold, gi.threshold);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_LIMITED, gi.out_flags);
	/* At the threshold the guest is no longer limited. */
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->info.threshold));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.out_flags);
}

/*
 * (b) refuses every queue LIMITED; they wait, and are promoted (r) when
 * the guest's budget reaches the threshold.
 */
TEST_F(limited, b_refused)
{
	struct vqnotify_vq_result res[4];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t id, q, nr = 4;

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 4, "l",
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, res,
				    &nr));
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE), R(LIMITED));
		vi = EXPECT_VQ(self->fd, id, q, DEASS, R(LIMITED), L(A));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(4U, gi.nr_waiting);
	CHECK_COUNTS(self->fd, "a4");
	/* A reset frees nothing and stops the waiting: nothing promoted. */
	ASSERT_EQ(0, vqn_dev_reset(self->fd, id, NULL, NULL));
	EXPECT_NO_EVENTS(self->fd);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(0, vqn_host_used(self->fd) - self->host0);
}

/* Leaving limited mode promotes the queues it refused, in order. */
TEST_F(limited, unlimited_again_promotes)
{
	struct vqnotify_event ev[4];
	struct vqnotify_guest_info gi;
	uint32_t id, q;

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 4, "l",
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	EXPECT_NO_EVENTS(self->fd);
	ASSERT_EQ(0, vqn_set_budget(self->fd, self->info.threshold));
	ASSERT_EQ(4, vqn_read_events(self->fd, ev, 4));
	for (q = 0; q < 4; q++) {
		EXPECT_EV(ev[q], id, q, DEASS, ASSIG, L(R), R(PROMOTED));
		EXPECT_VQ(self->fd, id, q, ASSIG, R(PROMOTED), L(R));
	}
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(4U, gi.used);
	EXPECT_EQ(0U, gi.nr_waiting);
	CHECK_COUNTS(self->fd, "a4 r4");
	EXPECT_EQ(4, vqn_host_used(self->fd) - self->host0);
}

/* vhost still gets every slot of the budget, then ENOSPC. */
TEST_F(limited, vhost_gets_slots)
{
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	uint32_t id, q, n = self->budget + 2;

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, n, "l",
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	for (q = 0; q < self->budget; q++) {
		ASSERT_EQ(0, vqn_host_notifier(self->fd, id, q, true, &r));
		EXPECT_RES(r, q, DEASS, OFFL, L(C), R(VHOST));
		EXPECT_VQ(self->fd, id, q, OFFL, R(VHOST), L(C));
	}
	EXPECT_EQ(-ENOSPC, vqn_host_notifier(self->fd, id, q, true, &r));
	EXPECT_VQ(self->fd, id, q, DEASS, R(LIMITED), L(A));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(self->budget, gi.used);
	EXPECT_EQ(self->budget, gi.nr_offlimits);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_LIMITED, gi.out_flags);
	CHECK_COUNTS(self->fd, "a%u c%u", n, self->budget);
	EXPECT_NO_EVENTS(self->fd);
	EXPECT_EQ((long)self->budget, vqn_host_used(self->fd) - self->host0);
}

/* vhost off on a DRIVER_OK device of a limited guest: (f), not (e). */
TEST_F(limited, e_becomes_f)
{
	struct vqnotify_vq_result r;
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t id;

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_CCW, 2, "l",
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 0, true, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 0, false, &r));
	EXPECT_RES(r, 0, OFFL, DEASS, L(F), R(LIMITED));
	vi = EXPECT_VQ(self->fd, id, 0, DEASS, R(LIMITED), L(F));
	EXPECT_EQ(INIT | WAIT, vi.flags);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.used);
	EXPECT_EQ(2U, gi.nr_waiting);
	CHECK_COUNTS(self->fd, "a2 c1 f1");
	EXPECT_EQ(0, vqn_host_used(self->fd) - self->host0);
}

/* A limited guest's migrated device loads with every queue refused. */
TEST_F(limited, load_refused)
{
	struct vqnotify_vq_result res[4];
	uint8_t blob[BLOB_MAX];
	uint32_t src, dst, q, len, nr = 4;
	int fd2;

	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vqn_dev_add(fd2, VQNOTIFY_TRANSPORT_MMIO, 4, "s", &src));
	ASSERT_EQ(0, vqn_set_status(fd2, src, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	len = save_blob(_metadata, fd2, src, blob);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 4, "d",
				 &dst));
	ASSERT_EQ(0, vqn_load(self->fd, dst, blob, len, res, &nr));
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++)
		EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE), R(LIMITED));
	CHECK_COUNTS(self->fd, "a4");
	close(fd2);
}

/* A guest of its own, for tests that need nothing else. */
FIXTURE(guest) {
	int fd;
	struct vqnotify_info info;
	long host0;
};

FIXTURE_SETUP(guest)
{
	self->fd = -1;
	if (!vqn_present())
		SKIP(return, "%s not present (module not loaded)",
		     VQN_DEV_PATH);
	self->fd = vqn_open();
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(-self->fd));
	ASSERT_EQ(0, vqn_get_info(self->fd, &self->info));
	ASSERT_CONFIG_USABLE(&self->info);
	self->host0 = self->info.host_used;
}

FIXTURE_TEARDOWN(guest)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Migration errors. The source is an 8-queue PIO device, DRIVER_OK, queue
 * 7 held by vhost; the target a fresh 8-queue PIO device of the same guest.
 */
struct mig {
	uint32_t src, dst, len;
	uint8_t blob[BLOB_MAX];
};

static void mig_setup(struct __test_metadata *_metadata, int fd,
		      struct mig *m)
{
	ASSERT_EQ(0, vqn_dev_add(fd, VQNOTIFY_TRANSPORT_PIO, 8, "src",
				 &m->src));
	ASSERT_EQ(0, vqn_set_status(fd, m->src, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_host_notifier(fd, m->src, 7, true, NULL));
	m->len = save_blob(_metadata, fd, m->src, m->blob);
	ASSERT_EQ(0, vqn_dev_add(fd, VQNOTIFY_TRANSPORT_PIO, 8, "dst",
				 &m->dst));
}

/* The failed LOAD changed nothing: the target is fresh and loadable. */
static void mig_check_untouched(struct __test_metadata *_metadata, int fd,
				struct mig *m)
{
	struct vqnotify_vq_info vi[8];
	struct vqnotify_dev_get dg;
	uint32_t q, nr = 8;
	struct vqnotify_vq_result res[8];

	ASSERT_EQ(0, vqn_dev_get(fd, m->dst, &dg, vi, 8));
	EXPECT_EQ(0U, dg.status);
	for (q = 0; q < 8; q++) {
		EXPECT_EQ(DEASS, vi[q].state);
		EXPECT_EQ(L(A), vi[q].label);
		EXPECT_EQ(R(NONE), vi[q].reason);
		EXPECT_EQ(0, vi[q].flags);
	}
	ASSERT_EQ(0, vqn_load(fd, m->dst, m->blob, m->len, res, &nr));
	EXPECT_EQ(8U, nr);
	ASSERT_EQ(0, vqn_host_notifier(fd, m->dst, 7, true, NULL));
	expect_same_dev(_metadata, fd, m->src, fd, m->dst);
}

/* Flipping any byte of the blob is caught (CRC): EINVAL, no change. */
TEST_F(guest, load_corrupt)
{
	struct mig m;
	uint32_t i;

	mig_setup(_metadata, self->fd, &m);
	for (i = 0; i < m.len; i++) {
		m.blob[i] ^= 0x10;
		EXPECT_EQ(-EINVAL, vqn_load(self->fd, m.dst, m.blob, m.len,
					    NULL, NULL))
			TH_LOG("byte %u flipped", i);
		m.blob[i] ^= 0x10;
	}
	CHECK_COUNTS(self->fd, "a16 b8 d1");
	mig_check_untouched(_metadata, self->fd, &m);
}

TEST_F(guest, load_truncated)
{
	uint32_t lens[] = { 0, 4, BLOB_HDR_LEN - 1, BLOB_HDR_LEN, 0, 0 };
	struct mig m;
	uint32_t i;

	mig_setup(_metadata, self->fd, &m);
	lens[4] = m.len - 1;
	lens[5] = m.len - 8;
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		uint32_t len = lens[i];

		EXPECT_EQ(-EINVAL, vqn_load(self->fd, m.dst, m.blob, len,
					    NULL, NULL))
			TH_LOG("len %u of %u", len, m.len);
	}
	/* Trailing garbage is no better. */
	memset(m.blob + m.len, 0, 8);
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, m.dst, m.blob, m.len + 8, NULL,
				    NULL));
	mig_check_untouched(_metadata, self->fd, &m);
}

/* Foreign data with a valid CRC: bad magic, then a bad version. */
TEST_F(guest, load_foreign)
{
	uint32_t crc;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	memcpy(&crc, m.blob + BLOB_CRC, 4);
	ASSERT_EQ(crc, blob_crc(m.blob, m.len))
		TH_LOG("blob layout changed: update the BLOB_* offsets");

	m.blob[BLOB_MAGIC] ^= 0xff;
	blob_fix_crc(m.blob, m.len);
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, m.dst, m.blob, m.len, NULL,
				    NULL));
	m.blob[BLOB_MAGIC] ^= 0xff;

	m.blob[BLOB_VERSION] += 1;
	blob_fix_crc(m.blob, m.len);
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, m.dst, m.blob, m.len, NULL,
				    NULL));
	m.blob[BLOB_VERSION] -= 1;
	blob_fix_crc(m.blob, m.len);
	mig_check_untouched(_metadata, self->fd, &m);
}

TEST_F(guest, load_wrong_queue_count)
{
	uint32_t d4, d16;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 4, "4",
				 &d4));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 16, "16",
				 &d16));
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, d4, m.blob, m.len, NULL, NULL));
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, d16, m.blob, m.len, NULL,
				    NULL));
	EXPECT_VQ(self->fd, d4, 0, DEASS, R(NONE), L(A));
	EXPECT_VQ(self->fd, d16, 0, DEASS, R(NONE), L(A));
	mig_check_untouched(_metadata, self->fd, &m);
}

TEST_F(guest, load_wrong_transport)
{
	struct mig m;
	uint32_t d;

	mig_setup(_metadata, self->fd, &m);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 8, "mmio",
				 &d));
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, d, m.blob, m.len, NULL, NULL));
	EXPECT_VQ(self->fd, d, 0, DEASS, R(NONE), L(A));
	mig_check_untouched(_metadata, self->fd, &m);
}

/* LOAD wants a device that never saw a lifecycle call: EBUSY otherwise. */
TEST_F(guest, load_ebusy)
{
	struct vqnotify_dev_get dg;
	uint32_t d[4], i;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 8,
					 "busy", &d[i]));
	ASSERT_EQ(0, vqn_set_status(self->fd, d[0], VQN_STATUS_FEATURES,
				    NULL, NULL, NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, d[1], 0, true, NULL));
	ASSERT_EQ(0, vqn_dev_reset(self->fd, d[2], NULL, NULL));
	ASSERT_EQ(0, vqn_load(self->fd, d[3], m.blob, m.len, NULL, NULL));
	/* API 2: a reset leaves a quiescent device, which LOAD takes. */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(i == 2 ? 0 : -EBUSY,
			  vqn_load(self->fd, d[i], m.blob, m.len, NULL, NULL))
			TH_LOG("device %u", i);
	EXPECT_VQ(self->fd, d[1], 0, OFFL, R(VHOST), L(C));
	/* Queries do not count as use. */
	ASSERT_EQ(0, vqn_dev_get(self->fd, m.dst, &dg, NULL, 0));
	mig_check_untouched(_metadata, self->fd, &m);
}

/* SAVE into a short buffer: EMSGSIZE with the needed length, no write. */
TEST_F(guest, save_emsgsize)
{
	uint8_t buf[BLOB_MAX];
	uint32_t len, i, bad = 0;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	memset(buf, 0xaa, sizeof(buf));
	len = 0;
	EXPECT_EQ(-EMSGSIZE, vqn_save(self->fd, m.src, buf, &len));
	EXPECT_EQ(m.len, len);
	len = m.len - 1;
	EXPECT_EQ(-EMSGSIZE, vqn_save(self->fd, m.src, buf, &len));
	EXPECT_EQ(m.len, len);
	for (i = 0; i < sizeof(buf); i++)
		bad += buf[i] != 0xaa;
	EXPECT_EQ(0U, bad);
	/* A larger buffer is fine; len says what was written. */
	len = sizeof(buf);
	EXPECT_EQ(0, vqn_save(self->fd, m.src, buf, &len));
	EXPECT_EQ(m.len, len);
	EXPECT_EQ(0, memcmp(buf, m.blob, m.len));
	EXPECT_EQ(0xaa, buf[m.len]);
}

TEST_F(guest, save_data_efault)
{
	uint32_t len;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	len = m.len;
	EXPECT_EQ(-EFAULT, vqn_save(self->fd, m.src, NULL, &len));
	len = m.len;
	EXPECT_EQ(-EFAULT, vqn_save(self->fd, m.src, unmapped_addr(), &len));
	len = m.len;
	EXPECT_EQ(-EFAULT, vqn_save(self->fd, m.src, ro_page(), &len));
}

/* SAVE has no results: the fields must be zero. */
TEST_F(guest, save_results_nonzero)
{
	struct vqnotify_migration mg;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	memset(&mg, 0, sizeof(mg));
	mg.size = sizeof(mg);
	mg.dev_id = m.src;
	mg.len = BLOB_MAX;
	mg.data = (uintptr_t)m.blob;
	mg.results = (uintptr_t)m.blob;
	EXPECT_EQ(-EINVAL, vqn_ioctl(self->fd, VQNOTIFY_DEV_SAVE, &mg));
	mg.results = 0;
	mg.nr_results = 8;
	EXPECT_EQ(-EINVAL, vqn_ioctl(self->fd, VQNOTIFY_DEV_SAVE, &mg));
	mg.nr_results = 0;
	EXPECT_EQ(0, vqn_ioctl(self->fd, VQNOTIFY_DEV_SAVE, &mg));
}

TEST_F(guest, load_data_efault)
{
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	EXPECT_EQ(-EFAULT, vqn_load(self->fd, m.dst, NULL, m.len, NULL,
				    NULL));
	EXPECT_EQ(-EFAULT, vqn_load(self->fd, m.dst, unmapped_addr(), m.len,
				    NULL, NULL));
	mig_check_untouched(_metadata, self->fd, &m);
}

TEST_F(guest, load_len_too_big)
{
	static uint8_t big[1 << 16];
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	memcpy(big, m.blob, m.len);
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, m.dst, big, sizeof(big), NULL,
				    NULL));
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, m.dst, big, ~0U, NULL, NULL));
	mig_check_untouched(_metadata, self->fd, &m);
}

TEST_F(guest, load_results_short)
{
	struct vqnotify_vq_result res[8];
	uint32_t nr = 7;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	EXPECT_EQ(-EINVAL, vqn_load(self->fd, m.dst, m.blob, m.len, res,
				    &nr));
	mig_check_untouched(_metadata, self->fd, &m);
}

TEST_F(guest, load_results_efault)
{
	uint32_t nr = 8;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	EXPECT_EQ(-EFAULT, vqn_load(self->fd, m.dst, m.blob, m.len,
				    unmapped_addr(), &nr));
	EXPECT_EQ(-EFAULT, vqn_load(self->fd, m.dst, m.blob, m.len,
				    ro_page(), &nr));
	mig_check_untouched(_metadata, self->fd, &m);
}

/*
 * What a failed call must not change: the guest (counters, budget, label)
 * and every queue of the devices listed, plus the host-wide count.
 */
#define SNAP_DEVS	4
#define SNAP_QUEUES	16

struct snap {
	struct vqnotify_guest_info gi;
	int ret[SNAP_DEVS];
	struct vqnotify_dev_get dg[SNAP_DEVS];
	struct vqnotify_vq_info vi[SNAP_DEVS][SNAP_QUEUES];
	long host_used;
};

static void take_snap(struct __test_metadata *_metadata, int fd,
		      const uint32_t *ids, int n, struct snap *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	ASSERT_GE(SNAP_DEVS, n);
	ASSERT_EQ(0, vqn_guest_get(fd, &s->gi));
	for (i = 0; i < n; i++) {
		s->ret[i] = vqn_dev_get(fd, ids[i], &s->dg[i], s->vi[i],
					SNAP_QUEUES);
		s->dg[i].queues = 0;
	}
	s->host_used = vqn_host_used(fd);
}

/* @host: the host-wide count must not change either. */
static void expect_same_snap(struct __test_metadata *_metadata, int line,
			     const struct snap *a, const struct snap *b,
			     bool host)
{
	int i;

	if (!memcmp(&a->gi, &b->gi, sizeof(a->gi)) &&
	    !memcmp(a->ret, b->ret, sizeof(a->ret)) &&
	    !memcmp(a->dg, b->dg, sizeof(a->dg)) &&
	    !memcmp(a->vi, b->vi, sizeof(a->vi)) &&
	    (!host || a->host_used == b->host_used))
		return;
	TH_LOG("line %d: state changed by a failed call", line);
	TH_LOG("guest: used %u->%u devices %u->%u budget %u->%u label '%s'->'%s'",
	       a->gi.used, b->gi.used, a->gi.nr_devices, b->gi.nr_devices,
	       a->gi.budget, b->gi.budget, a->gi.label, b->gi.label);
	for (i = 0; i < VQNOTIFY_NR_COUNTERS; i++)
		if (a->gi.counts[i] != b->gi.counts[i])
			TH_LOG("counts[%d] %llu->%llu", i,
			       (unsigned long long)a->gi.counts[i],
			       (unsigned long long)b->gi.counts[i]);
	for (i = 0; i < SNAP_DEVS; i++)
		if (a->ret[i] != b->ret[i] ||
		    memcmp(&a->dg[i], &b->dg[i], sizeof(a->dg[i])) ||
		    memcmp(a->vi[i], b->vi[i], sizeof(a->vi[i])))
			TH_LOG("device %d: ret %d->%d status %#x->%#x", i,
			       a->ret[i], b->ret[i], a->dg[i].status,
			       b->dg[i].status);
	TH_LOG("host_used %ld->%ld", a->host_used, b->host_used);
	_metadata->exit_code = KSFT_FAIL;
}

#define __EXPECT_SAME(fd, ids, n, err, call, host) do {			\
	struct snap _a, _b;						\
	take_snap(_metadata, fd, ids, n, &_a);				\
	EXPECT_EQ(err, (call));						\
	take_snap(_metadata, fd, ids, n, &_b);				\
	expect_same_snap(_metadata, __LINE__, &_a, &_b, host);		\
} while (0)

/*
 * Run @call; it must return @err and leave guest @fd, its devices @ids and
 * the host-wide count untouched.
 */
#define EXPECT_NO_CHANGE(fd, ids, n, err, call) \
	__EXPECT_SAME(fd, ids, n, err, call, true)

/* The same, for a call on another guest that may change the host count. */
#define EXPECT_GUEST_UNCHANGED(fd, ids, n, err, call) \
	__EXPECT_SAME(fd, ids, n, err, call, false)

/*
 * The generic checks, once per ioctl: the struct size rules, flags,
 * reserved fields, unknown devices and bad struct pointers. Each variant
 * fills a struct that succeeds as is (test "ok"); every other test breaks
 * one thing, expects the error and no change, then proves the guest still
 * takes the intact struct.
 */
FIXTURE(ioc) {
	int fd;
	struct vqnotify_info info;
	uint32_t ids[2];	/* busy: DRIVER_OK; idle: never used */
	uint32_t blob_len;
	uint8_t blob[BLOB_MAX];
	uint8_t save[BLOB_MAX];
	struct vqnotify_vq_result res[8];
	struct vqnotify_vq_info vi[8];
	uint64_t buf[64];	/* struct under test, zero tail beyond it */
};

#define BUSY(self)	((self)->ids[0])
#define IDLE(self)	((self)->ids[1])

FIXTURE_VARIANT(ioc) {
	unsigned long cmd;
	uint32_t size;
	int reserved;	/* offset of a must-be-zero __u32, or -1 */
	bool dev_id;	/* __u32 dev_id at offset 8 */
	uint32_t bad_flag;
	void (*fill)(FIXTURE_DATA(ioc) *self, void *arg);
};

static void fill_info(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_info *p = arg;

	(void)self;
	p->size = sizeof(*p);
}

static void fill_guest_set(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_guest_set *p = arg;

	p->size = sizeof(*p);
	p->flags = VQNOTIFY_GUEST_SET_BUDGET | VQNOTIFY_GUEST_SET_LABEL;
	p->budget = self->info.threshold + self->info.vhost_reserve + 3;
	strcpy(p->label, "renamed");
}

static void fill_guest_get(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_guest_info *p = arg;

	(void)self;
	p->size = sizeof(*p);
}

static void fill_dev_add(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_dev_add *p = arg;

	(void)self;
	p->size = sizeof(*p);
	p->transport = VQNOTIFY_TRANSPORT_MMIO;
	p->num_queues = 2;
	strcpy(p->label, "added");
}

static void fill_dev_op(struct vqnotify_dev_op *p, uint32_t id,
			uint32_t status, struct vqnotify_vq_result *res)
{
	p->size = sizeof(*p);
	p->dev_id = id;
	p->status = status;
	p->results = (uintptr_t)res;
	p->nr_results = 8;
}

static void fill_set_status(FIXTURE_DATA(ioc) *self, void *arg)
{
	fill_dev_op(arg, IDLE(self), VQN_STATUS_OK, self->res);
}

static void fill_dev_busy(FIXTURE_DATA(ioc) *self, void *arg)
{
	fill_dev_op(arg, BUSY(self), 0, self->res);
}

static void fill_host_notifier(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_host_notifier *p = arg;

	p->size = sizeof(*p);
	p->flags = VQNOTIFY_HOST_NOTIFIER_ENABLE;
	p->dev_id = BUSY(self);
	p->queue = 1;
}

static void fill_queue_get(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_queue_get *p = arg;

	p->size = sizeof(*p);
	p->dev_id = BUSY(self);
	p->queue = 1;
}

static void fill_dev_get(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_dev_get *p = arg;

	p->size = sizeof(*p);
	p->dev_id = BUSY(self);
	p->queues = (uintptr_t)self->vi;
	p->nr_queues = 8;
}

static void fill_save(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_migration *p = arg;

	p->size = sizeof(*p);
	p->dev_id = BUSY(self);
	p->len = sizeof(self->save);
	p->data = (uintptr_t)self->save;
}

static void fill_load(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_migration *p = arg;

	p->size = sizeof(*p);
	p->dev_id = IDLE(self);
	p->len = self->blob_len;
	p->data = (uintptr_t)self->blob;
	p->results = (uintptr_t)self->res;
	p->nr_results = 8;
}

#define IOC_VARIANT(_name, _cmd, _struct, _rsv, _dev, _bad, _fill)	\
	FIXTURE_VARIANT_ADD(ioc, _name) {				\
		.cmd = _cmd,						\
		.size = sizeof(struct _struct),				\
		.reserved = _rsv,					\
		.dev_id = _dev,						\
		.bad_flag = _bad,					\
		.fill = _fill,						\
	}

#define RSV(_struct)	offsetof(struct _struct, __reserved)

IOC_VARIANT(get_info, VQNOTIFY_GET_INFO, vqnotify_info, RSV(vqnotify_info),
	    false, 1, fill_info);
IOC_VARIANT(guest_set, VQNOTIFY_GUEST_SET, vqnotify_guest_set,
	    offsetof(struct vqnotify_guest_set, run_state), false, 1 << 4,
	    fill_guest_set);
IOC_VARIANT(guest_get, VQNOTIFY_GUEST_GET, vqnotify_guest_info,
	    RSV(vqnotify_guest_info), false, 1, fill_guest_get);
IOC_VARIANT(dev_add, VQNOTIFY_DEV_ADD, vqnotify_dev_add,
	    RSV(vqnotify_dev_add), false, 1 << 1, fill_dev_add);
IOC_VARIANT(set_status, VQNOTIFY_SET_STATUS, vqnotify_dev_op,
	    RSV(vqnotify_dev_op), true, 1, fill_set_status);
IOC_VARIANT(dev_reset, VQNOTIFY_DEV_RESET, vqnotify_dev_op,
	    RSV(vqnotify_dev_op), true, 1, fill_dev_busy);
IOC_VARIANT(dev_remove, VQNOTIFY_DEV_REMOVE, vqnotify_dev_op,
	    RSV(vqnotify_dev_op), true, 1, fill_dev_busy);
IOC_VARIANT(host_notifier, VQNOTIFY_SET_HOST_NOTIFIER,
	    vqnotify_host_notifier, RSV(vqnotify_host_notifier), true, 1 << 1,
	    fill_host_notifier);
IOC_VARIANT(queue_get, VQNOTIFY_QUEUE_GET, vqnotify_queue_get, -1, true, 1,
	    fill_queue_get);
IOC_VARIANT(dev_get, VQNOTIFY_DEV_GET, vqnotify_dev_get,
	    RSV(vqnotify_dev_get), true, 1, fill_dev_get);
IOC_VARIANT(dev_save, VQNOTIFY_DEV_SAVE, vqnotify_migration,
	    RSV(vqnotify_migration), true, 1, fill_save);
IOC_VARIANT(dev_load, VQNOTIFY_DEV_LOAD, vqnotify_migration,
	    RSV(vqnotify_migration), true, 1, fill_load);

FIXTURE_SETUP(ioc)
{
	uint32_t src;

	self->fd = -1;
	if (!vqn_present())
		SKIP(return, "%s not present (module not loaded)",
		     VQN_DEV_PATH);
	self->fd = vqn_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqn_get_info(self->fd, &self->info));
	ASSERT_CONFIG_USABLE(&self->info);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 8, "busy",
				 &BUSY(self)));
	ASSERT_EQ(0, vqn_set_status(self->fd, BUSY(self), VQN_STATUS_OK, NULL,
				    NULL, NULL));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 8, "src",
				 &src));
	ASSERT_EQ(0, vqn_set_status(self->fd, src, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	self->blob_len = save_blob(_metadata, self->fd, src, self->blob);
	ASSERT_EQ(0, vqn_dev_remove(self->fd, src, NULL, NULL));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 8, "idle",
				 &IDLE(self)));
	memset(self->buf, 0, sizeof(self->buf));
	variant->fill(self, self->buf);
}

FIXTURE_TEARDOWN(ioc)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* @arg must fail with @err and change nothing. */
static void ioc_expect(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ioc) *self, int line, unsigned long cmd,
		       void *arg, int err)
{
	struct snap a, b;

	take_snap(_metadata, self->fd, self->ids, 2, &a);
	EXPECT_EQ(err, vqn_ioctl(self->fd, cmd, arg)) TH_LOG("line %d", line);
	take_snap(_metadata, self->fd, self->ids, 2, &b);
	expect_same_snap(_metadata, line, &a, &b, true);
}

#define IOC_EXPECT(cmd, arg, err) \
	ioc_expect(_metadata, self, __LINE__, cmd, arg, err)

/* The error was the broken field's: the intact struct still works. */
static void ioc_intact(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ioc) *self,
		       const FIXTURE_VARIANT(ioc) *variant)
{
	memset(self->buf, 0, sizeof(self->buf));
	variant->fill(self, self->buf);
	EXPECT_EQ(0, vqn_ioctl(self->fd, variant->cmd, self->buf))
		TH_LOG("the intact struct failed after the error");
}

#define IOC_INTACT() ioc_intact(_metadata, self, variant)

static uint32_t get32(const void *buf, int off)
{
	uint32_t v;

	memcpy(&v, (const char *)buf + off, sizeof(v));
	return v;
}

static void set32(void *buf, int off, uint32_t v)
{
	memcpy((char *)buf + off, &v, sizeof(v));
}

TEST_F(ioc, ok)
{
	ASSERT_EQ(0, vqn_ioctl(self->fd, variant->cmd, self->buf));
	/* The size field is left as the caller wrote it. */
	EXPECT_EQ(variant->size, get32(self->buf, 0));
}

/* A larger struct whose tail is zero is accepted; the tail is kept. */
TEST_F(ioc, oversized_zero_tail)
{
	uint8_t *tail = (uint8_t *)self->buf + variant->size;

	set32(self->buf, 0, variant->size + 64);
	ASSERT_EQ(0, vqn_ioctl(self->fd, variant->cmd, self->buf));
	EXPECT_EQ(0, tail[0]);
	EXPECT_EQ(0, tail[63]);
}

TEST_F(ioc, oversized_nonzero_tail)
{
	uint8_t *tail = (uint8_t *)self->buf + variant->size;

	set32(self->buf, 0, variant->size + 64);
	tail[63] = 1;
	IOC_EXPECT(variant->cmd, self->buf, -E2BIG);
	IOC_INTACT();
}

TEST_F(ioc, size_zero)
{
	set32(self->buf, 0, 0);
	IOC_EXPECT(variant->cmd, self->buf, -EINVAL);
	IOC_INTACT();
}

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/* The size of a structure's first version: less is EINVAL. */
static uint32_t ioc_first_size(unsigned long cmd, uint32_t size)
{
	switch (cmd) {
	case VQNOTIFY_GUEST_SET:
		return offsetofend(struct vqnotify_guest_set, label);
	case VQNOTIFY_GUEST_GET:
		return offsetofend(struct vqnotify_guest_info, label);
	case VQNOTIFY_DEV_ADD:
		return offsetofend(struct vqnotify_dev_add, label);
	case VQNOTIFY_DEV_GET:
		return offsetofend(struct vqnotify_dev_get, label);
	}
	return size;
}

TEST_F(ioc, size_short)
{
	set32(self->buf, 0, ioc_first_size(variant->cmd, variant->size) - 1);
	IOC_EXPECT(variant->cmd, self->buf, -EINVAL);
	IOC_INTACT();
}

TEST_F(ioc, size_header_only)
{
	set32(self->buf, 0, 8);
	IOC_EXPECT(variant->cmd, self->buf, -EINVAL);
	IOC_INTACT();
}

TEST_F(ioc, unknown_flag)
{
	set32(self->buf, 4, get32(self->buf, 4) | variant->bad_flag);
	IOC_EXPECT(variant->cmd, self->buf, -EOPNOTSUPP);
	IOC_INTACT();
}

TEST_F(ioc, unknown_flag_high)
{
	set32(self->buf, 4, get32(self->buf, 4) | 1U << 31);
	IOC_EXPECT(variant->cmd, self->buf, -EOPNOTSUPP);
	IOC_INTACT();
}

TEST_F(ioc, reserved_nonzero)
{
	if (variant->reserved < 0)
		SKIP(return, "no reserved field");
	set32(self->buf, variant->reserved, 1);
	IOC_EXPECT(variant->cmd, self->buf, -EINVAL);
	IOC_INTACT();
}

TEST_F(ioc, unknown_dev)
{
	if (!variant->dev_id)
		SKIP(return, "no device id");
	set32(self->buf, 8, 0x7fff1234);
	IOC_EXPECT(variant->cmd, self->buf, -ENOENT);
	set32(self->buf, 8, 0);
	IOC_EXPECT(variant->cmd, self->buf, -ENOENT);
	set32(self->buf, 8, ~0U);
	IOC_EXPECT(variant->cmd, self->buf, -ENOENT);
	IOC_INTACT();
}

/* The same command number with a direction or size encoded: ENOTTY. */
TEST_F(ioc, encoded_cmd)
{
	unsigned int nr = _IOC_NR(variant->cmd);
	unsigned long cmds[] = {
		_IOC(_IOC_READ | _IOC_WRITE, VQNOTIFY_TYPE, nr, variant->size),
		_IOC(_IOC_WRITE, VQNOTIFY_TYPE, nr, variant->size),
		_IOC(_IOC_READ, VQNOTIFY_TYPE, nr, variant->size),
		_IOC(_IOC_NONE, VQNOTIFY_TYPE, nr, variant->size),
		_IOC(_IOC_NONE, VQNOTIFY_TYPE + 1, nr, 0),
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		unsigned long cmd = cmds[i];

		IOC_EXPECT(cmd, self->buf, -ENOTTY);
	}
	IOC_INTACT();
}

TEST_F(ioc, null_arg)
{
	IOC_EXPECT(variant->cmd, NULL, -EFAULT);
	IOC_INTACT();
}

TEST_F(ioc, unmapped_arg)
{
	IOC_EXPECT(variant->cmd, unmapped_addr(), -EFAULT);
	IOC_INTACT();
}

/* The size field is readable, the rest of the struct is not mapped. */
TEST_F(ioc, straddling_arg)
{
	char *p = page_before_hole();

	ASSERT_NE(NULL, p);
	p += page_size() - 8;
	memcpy(p, self->buf, 8);
	IOC_EXPECT(variant->cmd, p, -EFAULT);
	IOC_INTACT();
}

/*
 * A struct the kernel can read but not write back: the call must fail
 * before changing anything, not after.
 */
TEST_F(ioc, readonly_arg)
{
	void *p = ro_copy(self->buf, variant->size);

	ASSERT_NE(NULL, p);
	IOC_EXPECT(variant->cmd, p, -EFAULT);
	IOC_INTACT();
}

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
				 vqn_ioctl(self->fd, cmd, &info));
	}
}

TEST_F(guest, get_info)
{
	struct vqnotify_info info;

	ASSERT_EQ(0, vqn_get_info(self->fd, &info));
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
	return vqn_ioctl(fd, VQNOTIFY_DEV_ADD, da);
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
	ASSERT_EQ(0, vqn_dev_get(self->fd, da.out_dev_id, &dg, NULL, 0));
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

/* max_devices per guest, then EMFILE; removing one makes room. */
TEST_F(guest, dev_add_emfile)
{
	uint32_t i, id = 0, first = 0;
	struct vqnotify_dev_add da;

	for (i = 0; i < self->info.max_devices; i++) {
		ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 1,
					 NULL, &id))
			TH_LOG("device %u of %u", i, self->info.max_devices);
		if (!first)
			first = id;
	}
	DEV_ADD_INIT(da);
	EXPECT_NO_CHANGE(self->fd, NULL, 0, -EMFILE,
			 dev_add_raw(self->fd, &da));
	/* Per guest: another guest still may add. */
	{
		int fd2 = vqn_open();

		ASSERT_LE(0, fd2);
		EXPECT_EQ(0, vqn_dev_add(fd2, VQNOTIFY_TRANSPORT_PIO, 1, NULL,
					 NULL));
		close(fd2);
	}
	ASSERT_EQ(0, vqn_dev_remove(self->fd, first, NULL, NULL));
	EXPECT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, 1, NULL,
				 &id));
	/* Ids are not reused at once. */
	EXPECT_NE(first, id);
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
			 vqn_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	ASSERT_EQ(0, vqn_set_label(self->fd, "vm-one"));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_STREQ("vm-one", gi.label);
	/* Without its flag the label is not looked at, nor applied. */
	gs.flags = 0;
	EXPECT_EQ(0, vqn_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	gs.flags = VQNOTIFY_GUEST_SET_BUDGET;
	gs.budget = 0;
	EXPECT_EQ(0, vqn_ioctl(self->fd, VQNOTIFY_GUEST_SET, &gs));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_STREQ("vm-one", gi.label);
}

TEST_F(guest, guest_get)
{
	struct vqnotify_guest_info gi;

	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
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

	return vqn_ioctl(fd, cmd, &op);
}

/* A device with queues 0-3 ASSIGNED and 4 OFFLIMITS; 8 queues. */
static uint32_t busy_dev(struct __test_metadata *_metadata, int fd)
{
	uint32_t id;

	ASSERT_EQ(0, vqn_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 8, "busy", &id));
	ASSERT_EQ(0, vqn_set_status(fd, id, VQN_STATUS_OK,
				    (uint64_t []){ 0x1f }, NULL, NULL));
	ASSERT_EQ(0, vqn_host_notifier(fd, id, 4, true, NULL));
	return id;
}

TEST_F(guest, set_status_too_big)
{
	uint32_t id[2];

	id[0] = busy_dev(_metadata, self->fd);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 2, NULL,
				 &id[1]));
	EXPECT_NO_CHANGE(self->fd, id, 2, -EINVAL,
			 dev_op_raw(self->fd, VQNOTIFY_SET_STATUS, id[1],
				    0x100 | VQN_STATUS_OK, 0, 0, 0));
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

	id = busy_dev(_metadata, self->fd);
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

	id = busy_dev(_metadata, self->fd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_NO_CHANGE(self->fd, &id, 1, -EINVAL,
				 vqn_host_notifier(self->fd, id, bad[i], true,
						   NULL));
		EXPECT_NO_CHANGE(self->fd, &id, 1, -EINVAL,
				 vqn_host_notifier(self->fd, id, bad[i], false,
						   NULL));
		EXPECT_EQ(-EINVAL, vqn_queue_get(self->fd, id, bad[i], &vi));
	}
	EXPECT_EQ(0, vqn_queue_get(self->fd, id, 7, &vi));
}

TEST_F(guest, host_notifier_reserved2)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE,
		.queue = 1,
		.__reserved2 = 1,
	};
	uint32_t id = busy_dev(_metadata, self->fd);

	hn.dev_id = id;
	EXPECT_NO_CHANGE(self->fd, &id, 1, -EINVAL,
			 vqn_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn));
	hn.__reserved2 = 0;
	EXPECT_EQ(0, vqn_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn));
}

/* The host notifier is already in the requested state. */
TEST_F(guest, host_notifier_ealready)
{
	uint32_t id = busy_dev(_metadata, self->fd);

	/* Queue 4 is OFFLIMITS, 0 ASSIGNED, 5 DEASSIGNED. */
	EXPECT_NO_CHANGE(self->fd, &id, 1, -EALREADY,
			 vqn_host_notifier(self->fd, id, 4, true, NULL));
	EXPECT_NO_CHANGE(self->fd, &id, 1, -EALREADY,
			 vqn_host_notifier(self->fd, id, 0, false, NULL));
	EXPECT_NO_CHANGE(self->fd, &id, 1, -EALREADY,
			 vqn_host_notifier(self->fd, id, 5, false, NULL));
}

/* No slot and no userspace grant to preempt: ENOSPC, nothing changes. */
TEST_F(guest, host_notifier_enospc)
{
	uint32_t id, q, b = self->info.threshold;

	ASSERT_EQ(0, vqn_set_budget(self->fd, b));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, b + 1,
				 NULL, &id));
	for (q = 0; q < b; q++)
		ASSERT_EQ(0, vqn_host_notifier(self->fd, id, q, true, NULL));
	EXPECT_NO_CHANGE(self->fd, &id, 1, -ENOSPC,
			 vqn_host_notifier(self->fd, id, b, true, NULL));
	EXPECT_NO_EVENTS(self->fd);
	/* One given back, and it fits again. */
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 0, false, NULL));
	EXPECT_EQ(0, vqn_host_notifier(self->fd, id, b, true, NULL));
}

/*
 * ENOSPC changes nothing, not even the device's "used" mark: a fresh
 * device that only saw a refused vhost request still takes a LOAD.
 */
TEST_F(guest, host_notifier_enospc_device_still_fresh)
{
	uint32_t id, fresh, q, b = self->info.threshold, len;
	uint8_t blob[BLOB_MAX];

	ASSERT_EQ(0, vqn_set_budget(self->fd, b));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, b, NULL,
				 &id));
	len = save_blob(_metadata, self->fd, id, blob);
	for (q = 0; q < b; q++)
		ASSERT_EQ(0, vqn_host_notifier(self->fd, id, q, true, NULL));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, b, NULL,
				 &fresh));
	ASSERT_EQ(-ENOSPC, vqn_host_notifier(self->fd, fresh, 0, true, NULL));
	EXPECT_EQ(0, vqn_load(self->fd, fresh, blob, len, NULL, NULL));
}

/* A results array shorter than the device: EINVAL up front. */
TEST_F(guest, results_capacity_short)
{
	unsigned long cmds[] = {
		VQNOTIFY_SET_STATUS, VQNOTIFY_DEV_RESET, VQNOTIFY_DEV_REMOVE,
	};
	struct vqnotify_vq_result res[8];
	uint32_t id[2], i;

	id[0] = busy_dev(_metadata, self->fd);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 8, NULL,
				 &id[1]));
	for (i = 0; i < 3; i++) {
		uint32_t dev = id[i == 0 ? 1 : 0];
		uint32_t st = i == 0 ? VQN_STATUS_OK : 0;

		EXPECT_NO_CHANGE(self->fd, id, 2, -EINVAL,
				 dev_op_raw(self->fd, cmds[i], dev, st, 0,
					    (uintptr_t)res, 7));
		EXPECT_NO_CHANGE(self->fd, id, 2, -EINVAL,
				 dev_op_raw(self->fd, cmds[i], dev, st, 0,
					    (uintptr_t)res, 0));
	}
	/* Capacity is not checked without a results pointer. */
	EXPECT_EQ(0, dev_op_raw(self->fd, VQNOTIFY_SET_STATUS, id[1],
				VQN_STATUS_OK, 0, 0, 7));
}

/* A bad results pointer fails before the call changes anything. */
TEST_F(guest, results_efault)
{
	unsigned long cmds[] = {
		VQNOTIFY_SET_STATUS, VQNOTIFY_DEV_RESET, VQNOTIFY_DEV_REMOVE,
	};
	uint64_t bad[3];
	uint32_t id[2], i, j;

	bad[0] = (uintptr_t)unmapped_addr();
	bad[1] = (uintptr_t)ro_page();
	/* Writable for 7 records, not for the 8th. */
	bad[2] = (uintptr_t)page_before_hole() + page_size() -
		 7 * sizeof(struct vqnotify_vq_result);
	id[0] = busy_dev(_metadata, self->fd);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 8, NULL,
				 &id[1]));
	for (i = 0; i < 3; i++) {
		uint32_t dev = id[i == 0 ? 1 : 0];
		uint32_t st = i == 0 ? VQN_STATUS_OK : 0;

		for (j = 0; j < 3; j++)
			EXPECT_NO_CHANGE(self->fd, id, 2, -EFAULT,
					 dev_op_raw(self->fd, cmds[i], dev, st,
						    0, bad[j], 8));
	}
}

TEST_F(guest, ready_efault)
{
	uint32_t id[2];

	id[0] = busy_dev(_metadata, self->fd);
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 8, NULL,
				 &id[1]));
	EXPECT_NO_CHANGE(self->fd, id, 2, -EFAULT,
			 dev_op_raw(self->fd, VQNOTIFY_SET_STATUS, id[1],
				    VQN_STATUS_OK,
				    (uintptr_t)unmapped_addr(), 0, 0));
}

/* Bits of the ready bitmap beyond num_queues: EINVAL. */
TEST_F(guest, ready_bits_beyond)
{
	uint64_t ready[2] = { 0x10, 0 };
	uint32_t id[3];

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 4, NULL,
				 &id[0]));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 65, NULL,
				 &id[1]));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 64, NULL,
				 &id[2]));
	EXPECT_NO_CHANGE(self->fd, id, 3, -EINVAL,
			 vqn_set_status(self->fd, id[0], VQN_STATUS_OK, ready,
					NULL, NULL));
	ready[0] = ~0ULL;
	ready[1] = 0x2;	/* queue 65 */
	EXPECT_NO_CHANGE(self->fd, id, 3, -EINVAL,
			 vqn_set_status(self->fd, id[1], VQN_STATUS_OK, ready,
					NULL, NULL));
	/* All 64 bits of a 64-queue device are queues. */
	EXPECT_EQ(0, vqn_set_status(self->fd, id[2], VQN_STATUS_OK, ready,
				    NULL, NULL));
	ready[1] = 0x1;
	EXPECT_EQ(0, vqn_set_status(self->fd, id[1], VQN_STATUS_OK, ready,
				    NULL, NULL));
	CHECK_COUNTS(self->fd, "a133 b129");
}

/* DEV_GET writes min(capacity, num_queues) records, and says so. */
TEST_F(guest, dev_get_capacity)
{
	struct vqnotify_vq_info vi[4];
	struct vqnotify_dev_get dg;
	uint32_t id = busy_dev(_metadata, self->fd);

	memset(vi, 0xa5, sizeof(vi));
	ASSERT_EQ(0, vqn_dev_get(self->fd, id, &dg, vi, 2));
	EXPECT_EQ(2U, dg.nr_queues);
	EXPECT_EQ(8U, dg.num_queues);
	EXPECT_EQ(ASSIG, vi[1].state);
	EXPECT_EQ(0xa5, vi[2].state);
	ASSERT_EQ(0, vqn_dev_get(self->fd, id, &dg, NULL, 0));
	EXPECT_EQ(0U, dg.nr_queues);
	EXPECT_EQ(8U, dg.num_queues);
	EXPECT_EQ((uint32_t)VQN_STATUS_OK, dg.status);
	EXPECT_EQ((uint32_t)VQNOTIFY_TRANSPORT_MMIO, dg.transport);
	EXPECT_STREQ("busy", dg.label);
}

TEST_F(guest, dev_get_queues_efault)
{
	struct vqnotify_dev_get dg;
	uint32_t id = busy_dev(_metadata, self->fd);

	EXPECT_EQ(-EFAULT, vqn_dev_get(self->fd, id, &dg, unmapped_addr(), 8));
	EXPECT_EQ(-EFAULT, vqn_dev_get(self->fd, id, &dg, ro_page(), 8));
}

/*
 * Events. gen_setup() gives the guest a budget that user queues fill and
 * a vhost device; each gen_toggle() then makes exactly one event: vhost
 * on preempts the newest grant (p), vhost off promotes it back (r).
 */
struct gen {
	uint32_t user, vh, nq, q;
	bool on;
};

static void gen_setup(struct __test_metadata *_metadata, int fd,
		      const struct vqnotify_info *info, struct gen *g)
{
	uint32_t b = vqn_budget_above(info, 1), q;

	memset(g, 0, sizeof(*g));
	g->nq = b - info->vhost_reserve;
	g->q = info->vhost_reserve;
	ASSERT_EQ(0, vqn_set_budget(fd, b));
	ASSERT_EQ(0, vqn_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, g->nq, "user",
				 &g->user));
	ASSERT_EQ(0, vqn_set_status(fd, g->user, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, g->q + 1, "vh",
				 &g->vh));
	for (q = 0; q < g->q; q++)
		ASSERT_EQ(0, vqn_host_notifier(fd, g->vh, q, true, NULL));
}

static void gen_toggle(struct __test_metadata *_metadata, int fd,
		       struct gen *g)
{
	g->on = !g->on;
	ASSERT_EQ(0, vqn_host_notifier(fd, g->vh, g->q, g->on, NULL));
}

/* The fields of a (p) and an (r) record, with consecutive seq. */
TEST_F(guest, event_records)
{
	struct vqnotify_event ev[4];
	struct gen g;

	gen_setup(_metadata, self->fd, &self->info, &g);
	EXPECT_NO_EVENTS(self->fd);
	gen_toggle(_metadata, self->fd, &g);
	gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(2, vqn_read_events(self->fd, ev, 4));
	EXPECT_EQ(0U, ev[0].seq);
	EXPECT_EV(ev[0], g.user, g.nq - 1, ASSIG, DEASS, L(P),
		  R(PREEMPT_VHOST));
	EXPECT_EQ(1U, ev[1].seq);
	EXPECT_EV(ev[1], g.user, g.nq - 1, DEASS, ASSIG, L(R), R(PROMOTED));
	EXPECT_NO_EVENTS(self->fd);
}

TEST_F(guest, event_seq_consecutive)
{
	struct vqnotify_event ev[64];
	struct gen g;
	int i;

	gen_setup(_metadata, self->fd, &self->info, &g);
	for (i = 0; i < 50; i++)
		gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(50, vqn_read_events(self->fd, ev, 64));
	for (i = 0; i < 50; i++) {
		EXPECT_EQ((uint64_t)i, ev[i].seq);
		EXPECT_EQ(i % 2 ? L(R) : L(P), ev[i].label);
	}
}

/* read() returns whole records only, as many as fit. */
TEST_F(guest, event_read_whole_records)
{
	struct vqnotify_event ev[4];
	struct gen g;
	ssize_t r;
	int i;

	gen_setup(_metadata, self->fd, &self->info, &g);
	for (i = 0; i < 3; i++)
		gen_toggle(_metadata, self->fd, &g);
	r = read(self->fd, ev, 2 * sizeof(ev[0]) + sizeof(ev[0]) / 2);
	ASSERT_EQ((ssize_t)(2 * sizeof(ev[0])), r);
	EXPECT_EQ(1U, ev[1].seq);
	r = read(self->fd, ev, sizeof(ev));
	ASSERT_EQ((ssize_t)sizeof(ev[0]), r);
	EXPECT_EQ(2U, ev[0].seq);
}

/* A buffer smaller than one record: EINVAL, and the record stays. */
TEST_F(guest, event_read_small_buffer)
{
	struct vqnotify_event ev[2];
	struct gen g;

	EXPECT_EQ(-1, read(self->fd, ev, sizeof(ev[0]) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->fd, ev, 0));
	EXPECT_EQ(EINVAL, errno);
	gen_setup(_metadata, self->fd, &self->info, &g);
	gen_toggle(_metadata, self->fd, &g);
	EXPECT_EQ(-1, read(self->fd, ev, sizeof(ev[0]) - 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(1, vqn_read_events(self->fd, ev, 2));
	EXPECT_EQ(0U, ev[0].seq);
}

/* A bad buffer: EFAULT, and the record is not lost. */
TEST_F(guest, event_read_efault)
{
	struct vqnotify_event ev[2];
	struct gen g;

	gen_setup(_metadata, self->fd, &self->info, &g);
	gen_toggle(_metadata, self->fd, &g);
	EXPECT_EQ(-1, read(self->fd, unmapped_addr(), sizeof(ev)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, read(self->fd, ro_page(), sizeof(ev)));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(1, vqn_read_events(self->fd, ev, 2));
	EXPECT_EQ(0U, ev[0].seq);
}

TEST_F(guest, event_nonblock_eagain)
{
	struct vqnotify_event ev;
	int fd2 = vqn_open_flags(O_NONBLOCK);

	ASSERT_LE(0, fd2);
	EXPECT_EQ(-1, read(fd2, &ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	close(fd2);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(guest, event_poll)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct vqnotify_event ev;
	struct gen g;

	gen_setup(_metadata, self->fd, &self->info, &g);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents & (POLLIN | POLLERR | POLLHUP));
	ASSERT_EQ((ssize_t)sizeof(ev), read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(guest, event_epoll)
{
	struct epoll_event ee = { .events = EPOLLIN }, out[2];
	struct vqnotify_event ev;
	struct gen g;
	int ep;

	gen_setup(_metadata, self->fd, &self->info, &g);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ee.data.u32 = 42;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ee));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));
	gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(1, epoll_wait(ep, out, 2, 1000));
	EXPECT_EQ(42U, out[0].data.u32);
	EXPECT_TRUE(!!(out[0].events & EPOLLIN));
	ASSERT_EQ((ssize_t)sizeof(ev), read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));
	close(ep);
}

struct waiter {
	int fd;
	bool use_read;
	int ret;
	struct vqnotify_event ev;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };

	if (w->use_read)
		w->ret = read(w->fd, &w->ev, sizeof(w->ev));
	else
		w->ret = poll(&pfd, 1, 10000) == 1 ? pfd.revents : -1;
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A thread blocked in poll() or read() wakes up for a new event. */
static void blocked_waiter(struct __test_metadata *_metadata,
			   FIXTURE_DATA(guest) *self, bool use_read)
{
	struct waiter w = { .fd = self->fd, .use_read = use_read };
	pthread_t t;
	struct gen g;
	double t0;

	gen_setup(_metadata, self->fd, &self->info, &g);
	ASSERT_EQ(0, pthread_create(&t, NULL, waiter_fn, &w));
	usleep(200000);
	t0 = now();
	gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_GT(5.0, now() - t0);
	if (use_read) {
		EXPECT_EQ((int)sizeof(w.ev), w.ret);
		EXPECT_EQ(L(P), w.ev.label);
	} else {
		EXPECT_EQ(POLLIN, w.ret);
	}
}

TEST_F(guest, event_poll_wakes)
{
	blocked_waiter(_metadata, self, false);
}

TEST_F(guest, event_read_blocks)
{
	blocked_waiter(_metadata, self, true);
}

/*
 * More than event_depth events unread: the queue ends with an OVERFLOW
 * record, later events are dropped until it is read, and seq then shows
 * the gap. The state is still consistent for a resynchronisation.
 */
TEST_F(guest, event_overflow)
{
	uint32_t depth = self->info.event_depth, i, n, total, trans = 0;
	struct vqnotify_event *ev;
	struct gen g;
	uint32_t ids[2];

	ev = calloc(depth + 8, sizeof(*ev));
	ASSERT_NE(NULL, ev);
	gen_setup(_metadata, self->fd, &self->info, &g);
	total = depth + depth / 2 + 1;
	for (i = 0; i < total; i++)
		gen_toggle(_metadata, self->fd, &g);
	n = vqn_read_events(self->fd, ev, depth + 8);
	ASSERT_GE(depth, n);
	ASSERT_LT(1U, n);
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_OVERFLOW, ev[n - 1].type);
	for (i = 0; i + 1 < n; i++) {
		EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[i].type);
		EXPECT_EQ((uint64_t)i, ev[i].seq);
		trans++;
	}
	/* The queue held depth records, or depth - 1 and the overflow. */
	EXPECT_LE(depth - 1, trans);
	EXPECT_NO_EVENTS(self->fd);

	/* Events flow again, with the lost ones counted in seq. */
	gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(1U, (uint32_t)vqn_read_events(self->fd, ev, 2));
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[0].type);
	EXPECT_EQ((uint64_t)total, ev[0].seq);
	ids[0] = g.user;
	ids[1] = g.vh;
	ASSERT_GUEST_OK(self->fd, ids, 2);
	free(ev);
}

/*
 * Isolation: a guest is its open file. Device ids are per guest and a
 * guest can reach only its own devices, from any process holding the fd.
 */
TEST_F(guest, guests_distinct)
{
	struct vqnotify_guest_info g1, g2;
	struct vqnotify_info i1, i2;
	int fd2;

	ASSERT_EQ(0, vqn_get_info(self->fd, &i1));
	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vqn_get_info(self->fd, &i2));
	EXPECT_EQ(i1.nr_guests + 1, i2.nr_guests);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &g1));
	ASSERT_EQ(0, vqn_guest_get(fd2, &g2));
	EXPECT_NE(g1.guest_id, g2.guest_id);
	EXPECT_EQ((uint32_t)getpid(), g2.owner_pid);
	close(fd2);
	ASSERT_EQ(0, vqn_get_info(self->fd, &i2));
	EXPECT_EQ(i1.nr_guests, i2.nr_guests);
}

/* Every device call of guest B on guest A's ids: ENOENT, A untouched. */
static void expect_no_access(struct __test_metadata *_metadata, int fd_a,
			     int fd_b, const uint32_t *ids, int n)
{
	struct vqnotify_vq_result res[8];
	struct vqnotify_vq_info vi;
	struct vqnotify_dev_get dg;
	uint8_t blob[BLOB_MAX];
	uint32_t len;
	int i;

	for (i = 0; i < n; i++) {
		uint32_t id = ids[i], nr = 8;

		len = sizeof(blob);
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_dev_get(fd_b, id, &dg, NULL, 0));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_queue_get(fd_b, id, 0, &vi));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_set_status(fd_b, id, VQN_STATUS_OK, NULL,
						res, &nr));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_set_status(fd_b, id, 0, NULL, NULL,
						NULL));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_dev_reset(fd_b, id, NULL, NULL));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_host_notifier(fd_b, id, 0, true, NULL));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_host_notifier(fd_b, id, 1, false, NULL));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_save(fd_b, id, blob, &len));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 vqn_dev_remove(fd_b, id, NULL, NULL));
	}
}

TEST_F(guest, guests_cannot_reach_each_other)
{
	struct vqnotify_guest_info gi;
	uint32_t ids[3], mine;
	int fd2, i;

	for (i = 0; i < 3; i++)
		ids[i] = busy_dev(_metadata, self->fd);
	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	expect_no_access(_metadata, self->fd, fd2, ids, 3);

	/* B's own device may get an id A also uses: still B's own. */
	ASSERT_EQ(0, vqn_dev_add(fd2, VQNOTIFY_TRANSPORT_PIO, 8, NULL, &mine));
	EXPECT_GUEST_UNCHANGED(self->fd, ids, 3, 0,
			       vqn_dev_reset(fd2, mine, NULL, NULL));
	EXPECT_GUEST_UNCHANGED(self->fd, ids, 3, 0,
			       vqn_set_status(fd2, mine, VQN_STATUS_OK, NULL,
					      NULL, NULL));
	EXPECT_GUEST_UNCHANGED(self->fd, ids, 3, 0, vqn_set_budget(fd2, 1));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(3U, gi.nr_devices);
	EXPECT_EQ(self->info.default_budget, gi.budget);
	EXPECT_NO_EVENTS(self->fd);
	close(fd2);
}

/*
 * A guest fd inherited by a child process still is that guest: the child
 * drives it, sees its owner as the parent, and a guest the child opens
 * is a different one that the first cannot reach.
 */
TEST_F(guest, fork_shares_only_own_guest)
{
	struct vqnotify_guest_info ga;
	struct vqnotify_dev_get dg;
	uint32_t a_dev, b_dev = 0;
	int pfd[2], status;
	pid_t pid;

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_CCW, 4, "a",
				 &a_dev));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &ga));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vqnotify_guest_info gi, gb;
		int fdb, code = 0;

		close(pfd[0]);
		if (vqn_set_status(self->fd, a_dev, VQN_STATUS_OK, NULL, NULL,
				   NULL))
			code |= 1;
		if (vqn_guest_get(self->fd, &gi) ||
		    gi.guest_id != ga.guest_id ||
		    gi.owner_pid != (uint32_t)getppid())
			code |= 2;
		fdb = vqn_open();
		if (fdb < 0 || vqn_guest_get(fdb, &gb) ||
		    gb.guest_id == ga.guest_id ||
		    gb.owner_pid != (uint32_t)getpid())
			code |= 4;
		/* B cannot reach A's device; A cannot reach B's. */
		if (vqn_dev_get(fdb, a_dev, &dg, NULL, 0) != -ENOENT)
			code |= 8;
		if (vqn_dev_add(fdb, VQNOTIFY_TRANSPORT_PIO, 2, "b", &b_dev) ||
		    write(pfd[1], &b_dev, sizeof(b_dev)) != sizeof(b_dev))
			code |= 16;
		/* Hold B open until the parent has looked. */
		close(pfd[1]);
		usleep(300000);
		_exit(code);
	}
	close(pfd[1]);
	ASSERT_EQ((ssize_t)sizeof(b_dev), read(pfd[0], &b_dev, sizeof(b_dev)));
	close(pfd[0]);
	if (b_dev != a_dev)
		EXPECT_EQ(-ENOENT, vqn_dev_get(self->fd, b_dev, &dg, NULL, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* What the child did through the inherited fd is A's. */
	ASSERT_EQ(0, vqn_dev_get(self->fd, a_dev, &dg, NULL, 0));
	EXPECT_EQ((uint32_t)VQN_STATUS_OK, dg.status);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &ga));
	EXPECT_EQ(1U, ga.nr_devices);
	EXPECT_EQ(4U, ga.nr_assigned);
}

/*
 * Release: closing the guest (or its owner dying) frees every slot at
 * once. Checked on the host-wide count, which is shared with every other
 * guest: compared as a delta.
 */
static uint32_t hold_slots(struct __test_metadata *_metadata, int fd)
{
	struct vqnotify_guest_info gi;
	uint32_t id, q;

	ASSERT_EQ(0, vqn_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 16, NULL, &id));
	ASSERT_EQ(0, vqn_set_status(fd, id, VQN_STATUS_OK, NULL, NULL, NULL));
	for (q = 12; q < 16; q++)
		ASSERT_EQ(0, vqn_host_notifier(fd, id, q, true, NULL));
	ASSERT_EQ(0, vqn_dev_add(fd, VQNOTIFY_TRANSPORT_PIO, 4, NULL, &id));
	ASSERT_EQ(0, vqn_host_notifier(fd, id, 0, true, NULL));
	ASSERT_EQ(0, vqn_guest_get(fd, &gi));
	ASSERT_EQ(17U, gi.used);
	return gi.used;
}

TEST_F(guest, close_releases_all)
{
	struct vqnotify_info info, after;
	long base = vqn_host_used(self->fd);
	int fd2;

	ASSERT_EQ(0, vqn_get_info(self->fd, &info));
	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	hold_slots(_metadata, fd2);
	EXPECT_EQ(base + 17, vqn_host_used(self->fd));
	close(fd2);
	EXPECT_EQ(base, vqn_host_used(self->fd));
	ASSERT_EQ(0, vqn_get_info(self->fd, &after));
	EXPECT_EQ(info.nr_guests, after.nr_guests);
}

/* A child that holds slots and sleeps in poll() on its guest. */
static pid_t spawn_poller(struct __test_metadata *_metadata, int fd,
			  uint32_t *used)
{
	int pfd[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vqnotify_guest_info gi;
		struct pollfd p = { .events = POLLIN };

		close(pfd[0]);
		if (fd < 0) {
			fd = vqn_open();
			if (fd < 0)
				_exit(1);
			hold_slots(_metadata, fd);
		}
		if (vqn_guest_get(fd, &gi))
			_exit(1);
		p.fd = fd;
		if (write(pfd[1], &gi.used, sizeof(gi.used)) != 4)
			_exit(1);
		close(pfd[1]);
		poll(&p, 1, 30000);
		_exit(2);
	}
	close(pfd[1]);
	ASSERT_EQ(4, read(pfd[0], used, 4));
	close(pfd[0]);
	usleep(100000);		/* let it reach poll() */
	return pid;
}

static void kill_reap(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
}

/* Closing one guest while another process sleeps in poll() on its own. */
TEST_F(guest, close_with_other_guest_polling)
{
	long base = vqn_host_used(self->fd);
	uint32_t child_used;
	pid_t pid;
	int fd2;

	pid = spawn_poller(_metadata, -1, &child_used);
	EXPECT_EQ(17U, child_used);
	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	hold_slots(_metadata, fd2);
	EXPECT_EQ(base + child_used + 17, vqn_host_used(self->fd));
	close(fd2);
	EXPECT_EQ(base + child_used, vqn_host_used(self->fd));
	/* The poller is still asleep, its guest intact. */
	EXPECT_EQ(pid, waitpid(pid, NULL, WNOHANG) == 0 ? pid : -1);
	kill_reap(_metadata, pid);
	EXPECT_EQ(base, vqn_host_used(self->fd));
}

/*
 * The fd is shared with a child sleeping in poll() on it: the parent's
 * close does not end the guest, the child's death does.
 */
TEST_F(guest, close_shared_fd_with_poller)
{
	long base = vqn_host_used(self->fd);
	uint32_t used;
	pid_t pid;
	int fd2;

	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	hold_slots(_metadata, fd2);
	pid = spawn_poller(_metadata, fd2, &used);
	EXPECT_EQ(17U, used);
	close(fd2);
	EXPECT_EQ(base + 17, vqn_host_used(self->fd));
	kill_reap(_metadata, pid);
	EXPECT_EQ(base, vqn_host_used(self->fd));
}

static void *poll_forever(void *arg)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };

	for (;;)
		poll(&p, 1, -1);
	return NULL;
}

/*
 * A VMM killed with SIGKILL: slots held, a second thread in poll(),
 * events queued. Once reaped, the host count is back where it was.
 */
TEST_F(guest, sigkill_releases)
{
	long base = vqn_host_used(self->fd);
	uint32_t used = 0;
	int pfd[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vqnotify_guest_info gi;
		pthread_t t;
		int fd = vqn_open();

		close(pfd[0]);
		if (fd < 0)
			_exit(1);
		hold_slots(_metadata, fd);
		/* One preemption (p): an event left unread. */
		if (vqn_set_budget(fd, 16) ||
		    pthread_create(&t, NULL, poll_forever, &fd) ||
		    vqn_guest_get(fd, &gi) ||
		    write(pfd[1], &gi.used, 4) != 4)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ASSERT_EQ(4, read(pfd[0], &used, 4));
	close(pfd[0]);
	EXPECT_EQ(16U, used);
	EXPECT_EQ(base + used, vqn_host_used(self->fd));
	kill_reap(_metadata, pid);
	EXPECT_EQ(base, vqn_host_used(self->fd));
}

/* SIGKILL in the middle of a burst of lifecycle calls, at random times. */
TEST_F(guest, sigkill_mid_burst)
{
	long base = vqn_host_used(self->fd);
	int round;

	srand(getpid());
	for (round = 0; round < 20; round++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd = vqn_open();
			uint32_t id, q = 0;

			if (fd < 0 ||
			    vqn_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 64, NULL,
					&id))
				_exit(1);
			for (;;) {
				vqn_set_status(fd, id, VQN_STATUS_OK, NULL,
					       NULL, NULL);
				vqn_host_notifier(fd, id, q++ % 64, true,
						  NULL);
				vqn_set_budget(fd, q % 2 ? 8 : 0);
				vqn_dev_reset(fd, id, NULL, NULL);
			}
		}
		usleep(1000 + rand() % 20000);
		kill_reap(_metadata, pid);
		ASSERT_EQ(base, vqn_host_used(self->fd))
			TH_LOG("round %d", round);
	}
}

/*
 * Concurrency on one fd: threads drive their own devices, one changes the
 * budget, one drains events, one adds and removes devices whose ids the
 * others also poke at. Only the documented errors may come back, and the
 * accounting must hold afterwards.
 */
#define CONC_THREADS	4
#define CONC_ITERS	1500

struct conc {
	int fd;
	uint32_t threshold;
	volatile bool stop;
	uint32_t dev[CONC_THREADS];
	volatile uint32_t churn_id;
	int bad_ret;
	const char *bad_op;
	pthread_mutex_t lock;
};

static void conc_bad(struct conc *c, const char *op, int ret)
{
	pthread_mutex_lock(&c->lock);
	if (!c->bad_op) {
		c->bad_op = op;
		c->bad_ret = ret;
	}
	pthread_mutex_unlock(&c->lock);
}

struct conc_arg {
	struct conc *c;
	int idx;
};

static void *conc_worker(void *arg)
{
	struct conc_arg *a = arg;
	struct conc *c = a->c;
	uint32_t id = c->dev[a->idx], x = 2463534242U + a->idx;
	struct vqnotify_vq_result res[16];
	struct vqnotify_vq_info vi;
	int i, ret;

	for (i = 0; i < CONC_ITERS; i++) {
		uint32_t nr = 16, other = c->churn_id;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		switch (x % 6) {
		case 0:
			ret = vqn_set_status(c->fd, id, x & 8 ? VQN_STATUS_OK :
					     VQN_STATUS_FEATURES, NULL, res,
					     &nr);
			if (ret)
				conc_bad(c, "set_status", ret);
			break;
		case 1:
			ret = vqn_host_notifier(c->fd, id, (x >> 8) % 16,
						x & 16, NULL);
			if (ret && ret != -EALREADY && ret != -ENOSPC)
				conc_bad(c, "host_notifier", ret);
			break;
		case 2:
			ret = vqn_dev_reset(c->fd, id, res, &nr);
			if (ret)
				conc_bad(c, "reset", ret);
			break;
		case 3:
			ret = vqn_queue_get(c->fd, id, (x >> 8) % 16, &vi);
			if (ret)
				conc_bad(c, "queue_get", ret);
			break;
		case 4:
			/* A device that may be removed under us. */
			ret = vqn_set_status(c->fd, other, VQN_STATUS_OK, NULL,
					     res, &nr);
			if (ret && ret != -ENOENT)
				conc_bad(c, "set_status(churn)", ret);
			ret = vqn_host_notifier(c->fd, other, 0, true, NULL);
			if (ret && ret != -ENOENT && ret != -EALREADY &&
			    ret != -ENOSPC)
				conc_bad(c, "host_notifier(churn)", ret);
			break;
		case 5:
			ret = vqn_dev_reset(c->fd, other, res, &nr);
			if (ret && ret != -ENOENT)
				conc_bad(c, "reset(churn)", ret);
			break;
		}
	}
	return NULL;
}

static void *conc_budget(void *arg)
{
	struct conc *c = arg;
	uint32_t i = 0;

	while (!c->stop) {
		uint32_t b[] = { 0, c->threshold - 1, c->threshold,
				 c->threshold + 9, 30 };
		int ret = vqn_set_budget(c->fd, b[i++ % 5]);

		if (ret)
			conc_bad(c, "set_budget", ret);
	}
	return NULL;
}

static void *conc_reader(void *arg)
{
	struct conc *c = arg;
	struct vqnotify_event ev[32];

	while (!c->stop) {
		int n = vqn_read_events(c->fd, ev, 32);

		if (n < 0)
			conc_bad(c, "read", n);
		if (!n)
			sched_yield();
	}
	return NULL;
}

static void *conc_churn(void *arg)
{
	struct conc *c = arg;
	uint32_t id;

	while (!c->stop) {
		int ret = vqn_dev_add(c->fd, VQNOTIFY_TRANSPORT_PIO, 4, "churn",
				      &id);

		if (ret) {
			conc_bad(c, "dev_add", ret);
			break;
		}
		c->churn_id = id;
		sched_yield();
		ret = vqn_dev_remove(c->fd, id, NULL, NULL);
		if (ret)
			conc_bad(c, "dev_remove", ret);
	}
	return NULL;
}

TEST_F_TIMEOUT(guest, threads_one_fd, 120)
{
	pthread_t w[CONC_THREADS], extra[3];
	struct conc_arg args[CONC_THREADS];
	long base = vqn_host_used(self->fd);
	struct conc c = {
		.fd = vqn_open(),
		.threshold = self->info.threshold,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	int i;

	ASSERT_LE(0, c.fd);
	for (i = 0; i < CONC_THREADS; i++) {
		ASSERT_EQ(0, vqn_dev_add(c.fd, VQNOTIFY_TRANSPORT_MMIO, 16,
					 NULL, &c.dev[i]));
		args[i].c = &c;
		args[i].idx = i;
	}
	ASSERT_EQ(0, pthread_create(&extra[0], NULL, conc_budget, &c));
	ASSERT_EQ(0, pthread_create(&extra[1], NULL, conc_reader, &c));
	ASSERT_EQ(0, pthread_create(&extra[2], NULL, conc_churn, &c));
	for (i = 0; i < CONC_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&w[i], NULL, conc_worker,
					    &args[i]));
	for (i = 0; i < CONC_THREADS; i++)
		pthread_join(w[i], NULL);
	c.stop = true;
	for (i = 0; i < 3; i++)
		pthread_join(extra[i], NULL);
	EXPECT_EQ(NULL, c.bad_op)
		TH_LOG("%s: %s", c.bad_op, strerror(-c.bad_ret));
	ASSERT_GUEST_OK(c.fd, c.dev, CONC_THREADS);
	close(c.fd);
	EXPECT_EQ(base, vqn_host_used(self->fd));
}

/* Many guests in many threads at once: each one's accounting holds. */
static void *guest_thread(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg, ids[2], i;
	struct vqnotify_vq_result res[32];
	char why[256];
	int fd = vqn_open();

	if (fd < 0)
		return "open";
	for (i = 0; i < 2; i++)
		if (vqn_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 32, NULL, &ids[i]))
			return "dev_add";
	for (i = 0; i < 400; i++) {
		uint32_t nr = 32, id = ids[i % 2];

		seed = seed * 1103515245 + 12345;
		switch ((seed >> 16) % 4) {
		case 0:
			vqn_set_status(fd, id, VQN_STATUS_OK, NULL, res, &nr);
			break;
		case 1:
			vqn_host_notifier(fd, id, (seed >> 8) % 32, true, NULL);
			break;
		case 2:
			vqn_host_notifier(fd, id, (seed >> 8) % 32, false,
					  NULL);
			break;
		case 3:
			vqn_set_budget(fd, (seed >> 4) % 40);
			break;
		}
	}
	if (vqn_check_guest(fd, ids, 2, why, sizeof(why))) {
		close(fd);
		return strdup(why);
	}
	close(fd);
	return NULL;
}

TEST_F_TIMEOUT(guest, threads_many_guests, 120)
{
	long base = vqn_host_used(self->fd);
	pthread_t t[8];
	void *ret;
	int i;

	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, guest_thread,
					    (void *)(uintptr_t)(i + 1)));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_join(t[i], &ret));
		EXPECT_EQ(NULL, ret) TH_LOG("guest %d: %s", i, (char *)ret);
	}
	EXPECT_EQ(base, vqn_host_used(self->fd));
}

/*
 * What only the admin can change, through the generic netlink family:
 * a guest's admin budget (with its BUDGET event), a vhost reserve, the
 * threshold and the host-wide cap. Host-wide settings are put back in
 * teardown. Skipped when the family or CAP_NET_ADMIN is missing.
 */
FIXTURE(admin) {
	int fd;
	struct vqnotify_info info;
	struct vqnotify_guest_info gi;
	struct vqn_nl nl;
};

FIXTURE_SETUP(admin)
{
	int ret;

	self->fd = -1;
	self->nl.fd = -1;
	if (!vqn_present())
		SKIP(return, "%s not present (module not loaded)",
		     VQN_DEV_PATH);
	self->fd = vqn_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqn_get_info(self->fd, &self->info));
	ASSERT_CONFIG_USABLE(&self->info);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &self->gi));
	ret = vqn_nl_open(&self->nl);
	if (ret)
		SKIP(return, "genetlink family %s: %s", VQNOTIFY_FAMILY_NAME,
		     strerror(-ret));
	/* A no-op admin request tells whether we may. */
	ret = vqn_nl_guest_set(&self->nl, self->gi.guest_id,
			       self->gi.budget, -1);
	if (ret == -EPERM)
		SKIP(return, "no CAP_NET_ADMIN");
	ASSERT_EQ(0, ret);
	/* It was announced: drop that BUDGET event. */
	ASSERT_EQ(1, vqn_read_events(self->fd,
				     (struct vqnotify_event[2]){}, 2));
}

FIXTURE_TEARDOWN(admin)
{
	struct vqnotify_info now;

	if (self->nl.fd >= 0 && !vqn_get_info(self->fd, &now)) {
		if (now.host_cap != self->info.host_cap)
			vqn_nl_config_set(&self->nl, VQNOTIFY_A_CONFIG_HOST_CAP,
					  self->info.host_cap);
		if (now.threshold != self->info.threshold)
			vqn_nl_config_set(&self->nl,
					  VQNOTIFY_A_CONFIG_THRESHOLD,
					  self->info.threshold);
	}
	vqn_nl_close(&self->nl);
	if (self->fd >= 0)
		close(self->fd);
}

static void expect_budget_ev(struct __test_metadata *_metadata, int line,
			     const struct vqnotify_event *e, uint32_t value)
{
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_BUDGET, e->type)
		TH_LOG("line %d: event type", line);
	EXPECT_EQ(value, e->value) TH_LOG("line %d: budget", line);
	EXPECT_EQ(0U, e->dev_id) TH_LOG("line %d", line);
	EXPECT_EQ(0U, e->label) TH_LOG("line %d", line);
}

#define EXPECT_BUDGET_EV(e, v) expect_budget_ev(_metadata, __LINE__, &(e), v)

/*
 * The admin's budget and the VMM's own limit: the smaller applies. An
 * admin change preempts like an own one, and is announced by an event.
 */
TEST_F(admin, guest_budget)
{
	uint32_t n = vqn_budget_above(&self->info, 5), b = n - 3, id, i;
	uint32_t gid = self->gi.guest_id;
	struct vqnotify_event ev[16];
	struct vqnotify_guest_info gi;

	ASSERT_EQ(0, vqn_nl_guest_set(&self->nl, gid, -1, 0));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, n, NULL,
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	ASSERT_EQ(n, gi.nr_assigned);
	/* The reserve setting above sent its BUDGET event. */
	ASSERT_EQ(1, vqn_read_events(self->fd, ev, 16));
	EXPECT_BUDGET_EV(ev[0], self->gi.budget);

	/* Admin lowers: (p) newest first, then the BUDGET event. */
	ASSERT_EQ(0, vqn_nl_guest_set(&self->nl, gid, b, -1));
	ASSERT_EQ(4, vqn_read_events(self->fd, ev, 16));
	for (i = 0; i < 3; i++)
		EXPECT_EV(ev[i], id, n - 1 - i, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
	EXPECT_BUDGET_EV(ev[3], b);
	EXPECT_EQ(ev[0].seq + 3, ev[3].seq);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(b, gi.budget);
	EXPECT_EQ(b, gi.used);

	/* The own limit below the admin's wins. */
	ASSERT_EQ(0, vqn_set_budget(self->fd, b - 1));
	ASSERT_EQ(1, vqn_read_events(self->fd, ev, 16));
	EXPECT_EV(ev[0], id, n - 4, ASSIG, DEASS, L(P), R(PREEMPT_BUDGET));
	/* Admin raises, but the own limit still holds: no promotion. */
	ASSERT_EQ(0, vqn_nl_guest_set(&self->nl, gid, 1000, -1));
	ASSERT_EQ(1, vqn_read_events(self->fd, ev, 16));
	EXPECT_BUDGET_EV(ev[0], b - 1);
	/* Own limit lifted: the admin's budget, and FIFO promotion. */
	ASSERT_EQ(0, vqn_set_budget(self->fd, 0));
	ASSERT_EQ(4, vqn_read_events(self->fd, ev, 16));
	for (i = 0; i < 4; i++)
		EXPECT_EV(ev[i], id, n - 1 - i, DEASS, ASSIG, L(R),
			  R(PROMOTED));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(1000U, gi.budget);
	EXPECT_EQ(n, gi.nr_assigned);
	CHECK_COUNTS(self->fd, "a%u b%u p4 r4", n, n);
}

/*
 * A vhost reserve: userspace leaves it free, vhost takes it without
 * preempting, and vhost holding queues shrinks what is left of it.
 */
TEST_F(admin, vhost_reserve)
{
	uint32_t n = self->info.threshold + 5, id, q, rsv = 3;
	struct vqnotify_vq_result r;
	struct vqnotify_event ev[8];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;

	ASSERT_EQ(0, vqn_set_budget(self->fd, n));
	ASSERT_EQ(0, vqn_nl_guest_set(&self->nl, self->gi.guest_id, -1, 0));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_PIO, n, NULL,
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	(void)vqn_read_events(self->fd, ev, 8);

	/* Setting the reserve preempts userspace to make room for it. */
	ASSERT_EQ(0, vqn_nl_guest_set(&self->nl, self->gi.guest_id, -1, rsv));
	ASSERT_EQ((int)rsv + 1, vqn_read_events(self->fd, ev, 8));
	for (q = 0; q < rsv; q++)
		EXPECT_EV(ev[q], id, n - 1 - q, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
	EXPECT_BUDGET_EV(ev[rsv], n);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(rsv, gi.vhost_reserve);
	EXPECT_EQ(n - rsv, gi.used);
	EXPECT_EQ(rsv, gi.nr_waiting);

	/* vhost takes a reserved slot: (c), no preemption, no promotion. */
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, n - 1, true, &r));
	EXPECT_RES(r, n - 1, DEASS, OFFL, L(C), R(VHOST));
	EXPECT_NO_EVENTS(self->fd);

	/*
	 * (d) on a userspace queue: one more slot in vhost's hands, so one
	 * less reserved, and the oldest waiting queue is promoted (r).
	 */
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 0, true, &r));
	EXPECT_RES(r, 0, ASSIG, OFFL, L(D), R(VHOST));
	ASSERT_EQ(1, vqn_read_events(self->fd, ev, 8));
	EXPECT_EV(ev[0], id, n - 2, DEASS, ASSIG, L(R), R(PROMOTED));
	vi = EXPECT_VQ(self->fd, id, n - 3, DEASS, R(PREEMPT_BUDGET), L(P));
	EXPECT_EQ(INIT | WAIT, vi.flags);

	/* The last reserved slot is vhost's too. */
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, n - 3, true, &r));
	EXPECT_RES(r, n - 3, DEASS, OFFL, L(C), R(VHOST));
	EXPECT_NO_EVENTS(self->fd);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(n, gi.used);
	EXPECT_EQ(3U, gi.nr_offlimits);
	EXPECT_EQ(0U, gi.nr_waiting);
	ASSERT_GUEST_OK(self->fd, &id, 1);
}

/*
 * The host-wide cap: (b) refuses HOST_CAP and the queues wait; vhost still
 * gets a slot by preempting its own guest, else ENOSPC; a slot freed by
 * another guest, and a raised cap, promote the waiting queues (r) from the
 * module's worker, asynchronously.
 */
TEST_F(admin, host_cap)
{
	struct vqnotify_vq_result res[4];
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct vqnotify_event ev[8];
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info vi;
	uint32_t id, vh, other, q, nr = 4;
	long base = vqn_host_used(self->fd);
	int fd2, fd3;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, vqn_nl_config_set(&self->nl, VQNOTIFY_A_CONFIG_HOST_CAP,
				       base + 3));
	fd2 = vqn_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vqn_dev_add(fd2, VQNOTIFY_TRANSPORT_MMIO, 1, NULL,
				 &other));
	ASSERT_EQ(0, vqn_set_status(fd2, other, VQN_STATUS_OK, NULL, NULL,
				    NULL));

	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 4, NULL,
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, res,
				    &nr));
	ASSERT_EQ(4U, nr);
	for (q = 0; q < 4; q++) {
		if (q < 2) {
			EXPECT_RES(res[q], q, DEASS, ASSIG, L(B), R(GRANTED));
			continue;
		}
		EXPECT_RES(res[q], q, DEASS, DEASS, L(NONE), R(HOST_CAP));
		vi = EXPECT_VQ(self->fd, id, q, DEASS, R(HOST_CAP), L(A));
		EXPECT_EQ(INIT | WAIT, vi.flags);
	}
	EXPECT_EQ(base + 3, vqn_host_used(self->fd));

	/* vhost at the cap: the guest's own newest grant makes room. */
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, 1, NULL,
				 &vh));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, vh, 0, true, NULL));
	ASSERT_EQ(1, vqn_read_events(self->fd, ev, 8));
	EXPECT_EV(ev[0], id, 1, ASSIG, DEASS, L(P), R(PREEMPT_VHOST));
	/* ...and a guest with nothing to preempt gets ENOSPC. */
	fd3 = vqn_open();
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, vqn_dev_add(fd3, VQNOTIFY_TRANSPORT_MMIO, 1, NULL, &q));
	EXPECT_NO_CHANGE(fd3, &q, 1, -ENOSPC,
			 vqn_host_notifier(fd3, q, 0, true, NULL));
	close(fd3);

	/* Another guest frees a slot: the oldest waiting queue gets it. */
	close(fd2);
	ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("no promotion after close");
	ASSERT_EQ(1, vqn_read_events(self->fd, ev, 8));
	EXPECT_EV(ev[0], id, 2, DEASS, ASSIG, L(R), R(PROMOTED));

	/* The cap is raised: the rest follow, FIFO. */
	ASSERT_EQ(0, vqn_nl_config_set(&self->nl, VQNOTIFY_A_CONFIG_HOST_CAP,
				       self->info.host_cap));
	for (q = 0; q < 2; ) {
		int n;

		ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("promotion %u", q);
		n = vqn_read_events(self->fd, ev + q, 2 - q);
		ASSERT_LT(0, n);
		q += n;
	}
	EXPECT_EV(ev[0], id, 3, DEASS, ASSIG, L(R), R(PROMOTED));
	EXPECT_EV(ev[1], id, 1, DEASS, ASSIG, L(R), R(PROMOTED));
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(4U, gi.nr_assigned);
	EXPECT_EQ(0U, gi.nr_waiting);
	EXPECT_EQ(base + 5, vqn_host_used(self->fd));
}

/* The admin raises the threshold above the budget: limited at once. */
TEST_F(admin, threshold)
{
	struct vqnotify_event ev[16];
	struct vqnotify_guest_info gi;
	uint32_t id, q, thr = self->info.threshold;

	ASSERT_EQ(0, vqn_set_budget(self->fd, thr + 2));
	ASSERT_EQ(0, vqn_dev_add(self->fd, VQNOTIFY_TRANSPORT_CCW, 4, NULL,
				 &id));
	ASSERT_EQ(0, vqn_set_status(self->fd, id, VQN_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, vqn_host_notifier(self->fd, id, 0, true, NULL));
	ASSERT_EQ(0, vqn_nl_config_set(&self->nl, VQNOTIFY_A_CONFIG_THRESHOLD,
				       thr + 3));
	ASSERT_EQ(4, vqn_read_events(self->fd, ev, 16));
	for (q = 0; q < 3; q++)
		EXPECT_EV(ev[q], id, 3 - q, ASSIG, DEASS, L(P),
			  R(PREEMPT_BUDGET));
	EXPECT_BUDGET_EV(ev[3], thr + 2);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(thr + 3, gi.threshold);
	EXPECT_EQ((uint32_t)VQNOTIFY_GUEST_LIMITED, gi.out_flags);
	/* vhost's queue is not touched; the preempted ones wait. */
	EXPECT_VQ(self->fd, id, 0, OFFL, R(VHOST), L(D));
	EXPECT_EQ(1U, gi.used);
	EXPECT_EQ(3U, gi.nr_waiting);

	/* The threshold back: promoted in the order they were preempted. */
	ASSERT_EQ(0, vqn_nl_config_set(&self->nl, VQNOTIFY_A_CONFIG_THRESHOLD,
				       thr));
	ASSERT_EQ(4, vqn_read_events(self->fd, ev, 16));
	for (q = 0; q < 3; q++)
		EXPECT_EV(ev[q], id, 3 - q, DEASS, ASSIG, L(R), R(PROMOTED));
	EXPECT_BUDGET_EV(ev[3], thr + 2);
	ASSERT_EQ(0, vqn_guest_get(self->fd, &gi));
	EXPECT_EQ(0U, gi.out_flags);
	EXPECT_EQ(4U, gi.used);
	EXPECT_EQ(0U, gi.nr_waiting);
}

/*
 * Last: the module cannot go while a guest is open (the rig checks that
 * it unloads cleanly after the run).
 */
FIXTURE(module) {
	int fd;
};

FIXTURE_SETUP(module)
{
	self->fd = -1;
	if (!vqn_present())
		SKIP(return, "%s not present (module not loaded)",
		     VQN_DEV_PATH);
	self->fd = vqn_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(module)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(module, no_unload_while_open)
{
	EXPECT_EQ(-1, syscall(SYS_delete_module, "vqnotify", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* Still there and working. */
	EXPECT_LE(0, vqn_host_used(self->fd));
}

/*
 * max_guests open guests host-wide, then open() fails ENOSPC (not an OOM),
 * and closing one makes room for the next.
 */
TEST_F_TIMEOUT(module, max_guests_enospc, 120)
{
	struct vqnotify_info info;
	unsigned int max = 0, before;
	struct rlimit rl;
	int *fds, n = 0, fd, i;
	FILE *f;

	f = fopen("/sys/module/vqnotify/parameters/max_guests", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%u", &max));
	fclose(f);
	ASSERT_EQ(0, vqn_get_info(self->fd, &info));
	ASSERT_LE(info.nr_guests, max);
	before = info.nr_guests;
	rl.rlim_cur = rl.rlim_max = max + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		SKIP(return, "RLIMIT_NOFILE %u: %s", max + 64, strerror(errno));
	fds = calloc(max, sizeof(*fds));
	ASSERT_NE(NULL, fds);

	for (;;) {
		fd = vqn_open();
		if (fd < 0)
			break;
		ASSERT_LT((unsigned int)n, max) close(fd);
		fds[n++] = fd;
	}
	EXPECT_EQ(-ENOSPC, fd);
	EXPECT_EQ(max - before, (unsigned int)n);
	ASSERT_EQ(0, vqn_get_info(self->fd, &info));
	EXPECT_EQ(max, info.nr_guests);

	/* Room again once one closes; the rest still work. */
	close(fds[--n]);
	fd = vqn_open();
	EXPECT_LE(0, fd);
	if (fd >= 0)
		fds[n++] = fd;
	EXPECT_EQ(0, vqn_get_info(fds[0], &info));
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	ASSERT_EQ(0, vqn_get_info(self->fd, &info));
	EXPECT_EQ(before, info.nr_guests);
}

TEST_HARNESS_MAIN
