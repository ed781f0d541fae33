// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_events_test: the event records read from a guest's file: content,
 * sequence, whole records, poll/epoll/blocking reads, a read a signal
 * interrupts, and overflow.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/time.h>

#include "vqn_abuse_utils.h"

TK_GUEST_FIXTURE(guest)

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
	uint32_t b = tk_budget_above(info, 1), q;

	memset(g, 0, sizeof(*g));
	g->nq = b - info->vhost_reserve;
	g->q = info->vhost_reserve;
	ASSERT_EQ(0, _test_ioctl_set_budget(fd, b));
	ASSERT_EQ(0, _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, g->nq, "user",
				 &g->user));
	ASSERT_EQ(0, _test_ioctl_set_status(fd, g->user, TK_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, g->q + 1, "vh",
				 &g->vh));
	for (q = 0; q < g->q; q++)
		ASSERT_EQ(0, _test_ioctl_host_notifier(fd, g->vh, q, true, NULL));
}

static void gen_toggle(struct __test_metadata *_metadata, int fd,
		       struct gen *g)
{
	g->on = !g->on;
	ASSERT_EQ(0, _test_ioctl_host_notifier(fd, g->vh, g->q, g->on, NULL));
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
	ASSERT_EQ(2, tk_read_events(self->fd, ev, 4));
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
	ASSERT_EQ(50, tk_read_events(self->fd, ev, 64));
	for (i = 0; i < 50; i++) {
		EXPECT_EQ((uint64_t)i, ev[i].seq);
		EXPECT_EQ(i % 2 ? L(R) : L(P), ev[i].label);
	}
}

/*
 * The ring starts small and grows as events queue up: growing while the
 * oldest record is not at the start of the ring (some were read, the ring
 * wrapped) keeps every record, in order.
 */
TEST_F(guest, event_ring_grows_across_wrap)
{
	struct vqnotify_event ev[64];
	uint64_t next = 0;
	struct gen g;
	int i, n;

	gen_setup(_metadata, self->fd, &self->info, &g);
	for (i = 0; i < 6; i++)
		gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(5, tk_read_events(self->fd, ev, 5));
	next = 5;
	for (i = 0; i < 40; i++)
		gen_toggle(_metadata, self->fd, &g);
	n = tk_read_events(self->fd, ev, 64);
	ASSERT_EQ(41, n);
	for (i = 0; i < n; i++, next++) {
		EXPECT_EQ(next, ev[i].seq);
		EXPECT_EQ(next % 2 ? L(R) : L(P), ev[i].label);
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
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 2));
	EXPECT_EQ(0U, ev[0].seq);
}

/* A bad buffer: EFAULT, and the record is not lost. */
TEST_F(guest, event_read_efault)
{
	struct vqnotify_event ev[2];
	struct gen g;

	gen_setup(_metadata, self->fd, &self->info, &g);
	gen_toggle(_metadata, self->fd, &g);
	EXPECT_EQ(-1, read(self->fd, tk_unmapped_addr(), sizeof(ev)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, read(self->fd, tk_ro_page(), sizeof(ev)));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(1, tk_read_events(self->fd, ev, 2));
	EXPECT_EQ(0U, ev[0].seq);
}

TEST_F(guest, event_nonblock_eagain)
{
	struct vqnotify_event ev;
	int fd2 = tk_open(O_NONBLOCK);

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
	pid_t tid;
	int done;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (w->use_read)
		w->ret = read(w->fd, &w->ev, sizeof(w->ev));
	else
		w->ret = poll(&pfd, 1, 10000) == 1 ? pfd.revents : -1;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A thread blocked in poll() or read() wakes up for a new event. */
static void blocked_waiter(struct __test_metadata *_metadata,
			   FIXTURE_DATA(guest) *self, bool use_read)
{
	struct waiter w = { .fd = self->fd, .use_read = use_read };
	pthread_t t;
	struct gen g;
	double t0;
	pid_t tid;

	gen_setup(_metadata, self->fd, &self->info, &g);
	ASSERT_EQ(0, pthread_create(&t, NULL, waiter_fn, &w));
	tid = tk_wait_tid(&w.tid);
	/*
	 * Asleep in the call before the event comes: a waiter that had not
	 * got there yet would find it queued, and a missing wake-up pass.
	 */
	ASSERT_NE(0, tid);
	EXPECT_EQ('S', tk_wait_asleep(tid, 5000));
	/* Still blocked: nothing was there to return at once. */
	EXPECT_EQ(0, __atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
	t0 = tk_now();
	gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_GT(5.0, tk_now() - t0);
	if (use_read) {
		EXPECT_EQ((int)sizeof(w.ev), w.ret);
		EXPECT_EQ(L(P), w.ev.label);
	} else {
		EXPECT_EQ(POLLIN, w.ret);
	}
}

static void eintr_handler(int sig)
{
	(void)sig;
}

/*
 * A blocking read() of an empty queue ended by a signal whose handler does
 * not restart it: -1 with EINTR, and the interrupted read consumed no
 * sequence number: the next event read has seq 0. The timer fires every
 * 200 ms, so a signal that lands before read() has blocked (the process
 * descheduled) is followed by another.
 */
TEST_F(guest, event_read_eintr)
{
	struct itimerval every = { { 0, 200000 }, { 0, 200000 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = eintr_handler }, old;
	struct vqnotify_event ev;
	struct gen g;
	ssize_t r;
	int err;

	gen_setup(_metadata, self->fd, &self->info, &g);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, &old));	/* no SA_RESTART */
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &every, NULL));
	r = read(self->fd, &ev, sizeof(ev));
	err = errno;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &old, NULL));
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EINTR, err);
	gen_toggle(_metadata, self->fd, &g);
	ASSERT_EQ(1, tk_read_events(self->fd, &ev, 1));
	EXPECT_EQ(0U, ev.seq);
	EXPECT_EQ(L(P), ev.label);
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
	n = tk_read_events(self->fd, ev, depth + 8);
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
	ASSERT_EQ(1U, (uint32_t)tk_read_events(self->fd, ev, 2));
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, ev[0].type);
	EXPECT_EQ((uint64_t)total, ev[0].seq);
	ids[0] = g.user;
	ids[1] = g.vh;
	test_check_guest(self->fd, ids, 2);
	free(ev);
}

TEST_HARNESS_MAIN
