// SPDX-License-Identifier: GPL-2.0
/*
 * Many tenants on one host (issue 11), finding 1: the read path. A
 * tenant's reader stalled in copy_to_user() hangs no other reader of the
 * guest: O_NONBLOCK gets EAGAIN, and an edge-triggered poller hears of the
 * records left once the stalled reader is done; a blocking one sleeps
 * interruptibly and dies on SIGKILL. Everything runs as the tenant
 * (TN_HOSTILE, group kvm); skipped where the kernel has no userfaultfd.
 * The other findings are in vqn_tenants_test.c.
 */
#define _GNU_SOURCE

#include <sys/epoll.h>

#include "kselftest_harness.h"
#include "vqn_tenants.h"

#define TN_UFFD_SYSCTL	"/proc/sys/vm/unprivileged_userfaultfd"

FIXTURE(rd) {
	int uffd_sysctl;	/* to put back; -1: untouched */
};

FIXTURE_SETUP(rd)
{
	self->uffd_sysctl = -1;
	if (!tk_present())
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_EQ(0, tn_dev_setup());
}

FIXTURE_TEARDOWN(rd)
{
	FILE *f;

	if (self->uffd_sysctl < 0)
		return;
	f = fopen(TN_UFFD_SYSCTL, "w");
	if (f) {
		fprintf(f, "%d\n", self->uffd_sysctl);
		fclose(f);
	}
}

/*
 * The tenant's side of f1, run in an agent as TN_HOSTILE of group kvm: a
 * guest with events queued whose first reader is stuck in copy_to_user()
 * on a userfaultfd page that never resolves (a FUSE-backed page does the
 * same for any user; userfaultfd needs vm.unprivileged_userfaultfd=1,
 * which the test sets), then a second reader of the same open file. The
 * agent reports what it saw; the test judges.
 */
struct tn_f1 {
	bool blocking;		/* in: the second reader blocks */
	char skip[64];		/* out: why it could not run */
	char fail[64];		/* out: what went wrong setting it up */
	int status;		/* out: the second reader's wait status, or
				 * -1 while the stalled reader held on */
	char state;		/* out: blocking: its state before SIGKILL */
	ssize_t stalled;	/* out: what the stalled read() returned */
	/* out, tn_f1_epollet(): epoll_wait()'s counts, read()'s errno */
	int ready, again, spurious, after;
};

/* Wait up to @ms for @pid to end: its wait status, or -1 if it did not. */
static int tn_wait_ms(pid_t pid, int ms)
{
	int status;

	for (int t = 0; t <= ms; t += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	}
	return -1;
}

/*
 * Start the stalled reader for a tenant of f1: 0, or not (a skip, no
 * userfaultfd for a user, or a failure, said in @f) with nothing left.
 */
static int tn_f1_stall_start(struct tn_f1 *f, struct tk_stall *st)
{
	struct tk_why why;
	int ret = tk_stall_start(st, &why);

	if (ret) {
		snprintf(ret > 0 ? f->skip : f->fail, sizeof(f->fail), "%.63s",
			 why.msg);
		tk_stall_end(st);
	}
	return ret;
}

/*
 * The second reader, beside the stalled one: O_NONBLOCK must fail with
 * EAGAIN at once; a blocking one must sleep interruptibly (S) and end on
 * SIGKILL, both while the first still holds on.
 */
static int tn_f1_tenant(void *arg, int step)
{
	struct tn_f1 *f = arg;
	struct tk_stall st;
	pid_t pid;

	f->status = -1;
	if (tn_f1_stall_start(f, &st))
		return 0;
	if (!f->blocking)
		fcntl(st.fd, F_SETFL, O_NONBLOCK);	/* the same open file */
	pid = fork();
	if (!pid) {
		struct vqnotify_event ev;
		ssize_t r = read(st.fd, &ev, sizeof(ev));

		_exit(f->blocking ? r < 0 : !(r < 0 && errno == EAGAIN));
	}
	if (f->blocking) {
		f->state = tk_wait_asleep(pid, 5000);
		kill(pid, SIGKILL);
	}
	f->status = tn_wait_ms(pid, 3000);
	tk_stall_end(&st);
	if (f->status < 0)		/* it waited: collect it now */
		tn_wait_ms(pid, 10000);
	f->stalled = st.ret;
	return 0;
}

/*
 * An O_NONBLOCK reader that waits with EPOLLET beside the stalled one: the
 * file is ready (@ready 1), read() fails with EAGAIN (@again), no edge
 * comes while the stalled reader holds on (@spurious 0), and one comes
 * once it is done, records being left (@after 1). Its file descriptor is
 * a duplicate, which the stalled reader's close leaves open.
 */
static int tn_f1_epollet(void *arg, int step)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLET };
	struct vqnotify_event ev;
	struct tn_f1 *f = arg;
	struct tk_stall st;
	int fd, ep;

	if (tn_f1_stall_start(f, &st))
		return 0;
	fd = dup(st.fd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || ep < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e)) {
		snprintf(f->fail, sizeof(f->fail), "epoll: %s",
			 strerror(errno));
	} else {
		f->ready = epoll_wait(ep, &e, 1, 0);
		f->again = read(fd, &ev, sizeof(ev)) < 0 ? errno : 0;
		f->spurious = epoll_wait(ep, &e, 1, 100);
	}
	tk_stall_end(&st);
	f->stalled = st.ret;
	if (!f->fail[0])
		f->after = epoll_wait(ep, &e, 1, 3000);
	if (ep >= 0)
		close(ep);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Run @tenant as a tenant, userfaultfd allowed to users for it. */
static struct tn_f1 *tn_f1_run(struct __test_metadata *_metadata,
			       FIXTURE_DATA(rd) *self, bool blocking,
			       int (*tenant)(void *arg, int step))
{
	struct tn_f1 *f = tn_shared(sizeof(*f));
	FILE *uffd;

	if (!f)
		return NULL;
	f->blocking = blocking;
	uffd = fopen(TN_UFFD_SYSCTL, "r+");
	if (uffd) {
		if (fscanf(uffd, "%d", &self->uffd_sysctl) != 1)
			self->uffd_sysctl = -1;
		rewind(uffd);
		fputs("1\n", uffd);
		fclose(uffd);
	}
	EXPECT_EQ(0, tn_run_as(TN_HOSTILE, tenant, f));
	EXPECT_STREQ("", f->fail);
	return f;
}

TEST_F(rd, f1_nonblocking_reader_gets_eagain_beside_a_stalled_one)
{
	struct tn_f1 *f = tn_f1_run(_metadata, self, false, tn_f1_tenant);

	ASSERT_NE(NULL, f);
	if (f->skip[0])
		SKIP(return, "%s", f->skip);
	EXPECT_NE(-1, f->status) {
		TH_LOG("an O_NONBLOCK read() waited for another reader's page fault");
	}
	EXPECT_TRUE(WIFEXITED(f->status) && !WEXITSTATUS(f->status)) {
		TH_LOG("O_NONBLOCK read() did not fail with EAGAIN");
	}
	EXPECT_EQ((ssize_t)sizeof(struct vqnotify_event), f->stalled);
}

TEST_F(rd, f1_blocked_reader_sleeps_interruptibly_and_dies_on_sigkill)
{
	struct tn_f1 *f = tn_f1_run(_metadata, self, true, tn_f1_tenant);

	ASSERT_NE(NULL, f);
	if (f->skip[0])
		SKIP(return, "%s", f->skip);
	EXPECT_EQ('S', f->state) {
		TH_LOG("the second reader sleeps in state %c", f->state);
	}
	EXPECT_NE(-1, f->status) {
		TH_LOG("SIGKILL did not end a reader waiting for a stalled one");
	}
	EXPECT_TRUE(WIFSIGNALED(f->status) && WTERMSIG(f->status) == SIGKILL);
	EXPECT_EQ((ssize_t)sizeof(struct vqnotify_event), f->stalled);
}

/*
 * A reader turned away with EAGAIN while another held the records is told
 * again when that one is done: without it, an EPOLLET loop slept with
 * records queued until the guest's next event, which may never come.
 */
TEST_F(rd, f1_epollet_reader_hears_of_records_left_by_a_stalled_one)
{
	struct tn_f1 *f = tn_f1_run(_metadata, self, false, tn_f1_epollet);

	ASSERT_NE(NULL, f);
	if (f->skip[0])
		SKIP(return, "%s", f->skip);
	EXPECT_EQ(1, f->ready);
	EXPECT_EQ(EAGAIN, f->again);
	EXPECT_EQ(0, f->spurious) {
		TH_LOG("an edge came while the stalled reader held on: nothing tested");
	}
	EXPECT_EQ((ssize_t)sizeof(struct vqnotify_event), f->stalled);
	EXPECT_EQ(1, f->after) {
		TH_LOG("no edge for the records the stalled reader left");
	}
}

TEST_HARNESS_MAIN
