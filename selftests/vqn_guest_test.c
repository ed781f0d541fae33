// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_guest_test: a guest is its open file. Guests cannot reach each
 * other's devices, a fork shares only its own guest, and close or SIGKILL
 * releases every slot.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "vqn_utils.h"

TK_GUEST_FIXTURE(guest)

/*
 * Isolation: a guest is its open file. Device ids are per guest and a
 * guest can reach only its own devices, from any process holding the fd.
 */
TEST_F(guest, guests_distinct)
{
	struct vqnotify_guest_info g1, g2;
	struct vqnotify_info i1, i2;
	int fd2;

	test_cmd_get_info(&i1);
	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	test_cmd_get_info(&i2);
	EXPECT_EQ(i1.nr_guests + 1, i2.nr_guests);
	test_cmd_guest_get(&g1);
	ASSERT_EQ(0, _test_ioctl_guest_get(fd2, &g2));
	EXPECT_NE(g1.guest_id, g2.guest_id);
	EXPECT_EQ((uint32_t)getpid(), g2.owner_pid);
	close(fd2);
	test_cmd_get_info(&i2);
	EXPECT_EQ(i1.nr_guests, i2.nr_guests);
}

/* Every device call of guest B on guest A's ids: ENOENT, A untouched. */
static void expect_no_access(struct __test_metadata *_metadata, int fd_a,
			     int fd_b, const uint32_t *ids, int n)
{
	struct vqnotify_vq_result res[8];
	struct vqnotify_vq_info vi;
	struct vqnotify_dev_get dg;
	uint8_t blob[TK_BLOB_BUF];
	uint32_t len;
	int i;

	for (i = 0; i < n; i++) {
		uint32_t id = ids[i], nr = 8;

		len = sizeof(blob);
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_dev_get(fd_b, id, &dg, NULL, 0));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_queue_get(fd_b, id, 0, &vi));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_set_status(fd_b, id, TK_STATUS_OK, NULL,
						res, &nr));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_set_status(fd_b, id, 0, NULL, NULL,
						NULL));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_dev_reset(fd_b, id, NULL, NULL));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_host_notifier(fd_b, id, 0, true, NULL));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_host_notifier(fd_b, id, 1, false, NULL));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_dev_save(fd_b, id, blob, &len));
		EXPECT_NO_CHANGE(fd_a, ids, n, -ENOENT,
				 _test_ioctl_dev_remove(fd_b, id, NULL, NULL));
	}
}

TEST_F(guest, guests_cannot_reach_each_other)
{
	struct vqnotify_guest_info gi;
	uint32_t ids[3], mine;
	int fd2, i;

	for (i = 0; i < 3; i++)
		ids[i] = tk_busy_dev(_metadata, self->fd);
	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	expect_no_access(_metadata, self->fd, fd2, ids, 3);

	/* B's own device may get an id A also uses: still B's own. */
	ASSERT_EQ(0, _test_ioctl_dev_add(fd2, VQNOTIFY_TRANSPORT_PIO, 8, NULL, &mine));
	EXPECT_GUEST_UNCHANGED(self->fd, ids, 3, 0,
			       _test_ioctl_dev_reset(fd2, mine, NULL, NULL));
	EXPECT_GUEST_UNCHANGED(self->fd, ids, 3, 0,
			       _test_ioctl_set_status(fd2, mine, TK_STATUS_OK, NULL,
					      NULL, NULL));
	EXPECT_GUEST_UNCHANGED(self->fd, ids, 3, 0, _test_ioctl_set_budget(fd2, 1));
	test_cmd_guest_get(&gi);
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
	uint32_t a_dev, b_dev[2] = { 0 };
	int pfd[2], done[2], status;
	pid_t pid;
	char c;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_CCW, 4, "a", &a_dev);
	test_cmd_guest_get(&ga);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vqnotify_guest_info gi, gb;
		int fdb, code = 0;

		close(pfd[0]);
		close(done[1]);
		if (_test_ioctl_set_status(self->fd, a_dev, TK_STATUS_OK, NULL, NULL,
				   NULL))
			code |= 1;
		if (_test_ioctl_guest_get(self->fd, &gi) ||
		    gi.guest_id != ga.guest_id ||
		    gi.owner_pid != (uint32_t)getppid())
			code |= 2;
		fdb = tk_open(0);
		if (fdb < 0 || _test_ioctl_guest_get(fdb, &gb) ||
		    gb.guest_id == ga.guest_id ||
		    gb.owner_pid != (uint32_t)getpid())
			code |= 4;
		/*
		 * B cannot reach A's device; A cannot reach B's. Ids are the
		 * guest's own: B's first device has A's device's id, its
		 * second one A has none of.
		 */
		if (_test_ioctl_dev_get(fdb, a_dev, &dg, NULL, 0) != -ENOENT)
			code |= 8;
		if (_test_ioctl_dev_add(fdb, VQNOTIFY_TRANSPORT_PIO, 2, "b",
					&b_dev[0]) ||
		    _test_ioctl_dev_add(fdb, VQNOTIFY_TRANSPORT_PIO, 2, "b2",
					&b_dev[1]) ||
		    write(pfd[1], b_dev, sizeof(b_dev)) != sizeof(b_dev))
			code |= 16;
		/* Hold B open until the parent has looked (it closes done). */
		close(pfd[1]);
		if (read(done[0], &c, 1) != 0)
			code |= 32;
		_exit(code);
	}
	close(pfd[1]);
	close(done[0]);
	ASSERT_EQ((ssize_t)sizeof(b_dev), read(pfd[0], b_dev, sizeof(b_dev)));
	close(pfd[0]);
	EXPECT_EQ(a_dev, b_dev[0]);
	ASSERT_NE(a_dev, b_dev[1]);
	test_err_dev_get(ENOENT, b_dev[1], &dg, NULL, 0);
	/* A's id is A's device still, with B's device of that id open. */
	test_cmd_dev_get(a_dev, &dg, NULL, 0);
	EXPECT_EQ((uint32_t)VQNOTIFY_TRANSPORT_CCW, dg.transport);
	EXPECT_EQ(4U, dg.num_queues);
	EXPECT_STREQ("a", dg.name);
	close(done[1]);		/* looked: B may close */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* What the child did through the inherited fd is A's. */
	test_cmd_dev_get(a_dev, &dg, NULL, 0);
	EXPECT_EQ((uint32_t)TK_STATUS_OK, dg.status);
	test_cmd_guest_get(&ga);
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

	ASSERT_EQ(0, _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 16, NULL, &id));
	ASSERT_EQ(0, _test_ioctl_set_status(fd, id, TK_STATUS_OK, NULL, NULL, NULL));
	for (q = 12; q < 16; q++)
		ASSERT_EQ(0, _test_ioctl_host_notifier(fd, id, q, true, NULL));
	ASSERT_EQ(0, _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_PIO, 4, NULL, &id));
	ASSERT_EQ(0, _test_ioctl_host_notifier(fd, id, 0, true, NULL));
	ASSERT_EQ(0, _test_ioctl_guest_get(fd, &gi));
	ASSERT_EQ(17U, gi.used);
	return gi.used;
}

TEST_F(guest, close_releases_all)
{
	struct vqnotify_info info, after;
	long base = tk_host_used(self->fd);
	int fd2;

	test_cmd_get_info(&info);
	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	hold_slots(_metadata, fd2);
	EXPECT_EQ(base + 17, tk_host_used(self->fd));
	close(fd2);
	EXPECT_EQ(base, tk_host_used(self->fd));
	test_cmd_get_info(&after);
	EXPECT_EQ(info.nr_guests, after.nr_guests);
}

static void *poll_forever(void *arg)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };

	for (;;)
		poll(&p, 1, -1);
	return NULL;
}

/*
 * A child that holds slots on @fd (on a guest of its own, filled by
 * hold_slots(), when @fd < 0), lowers its own budget to @budget first when
 * that is not 0 (one (p): an event left unread), tells the slots it uses
 * in *@used and sleeps in poll() on the guest; with @thread a second
 * thread polls while the child pauses, as a VMM's main loop would.
 */
static pid_t spawn_poller(struct __test_metadata *_metadata, int fd,
			  uint32_t budget, bool thread, uint32_t *used)
{
	int pfd[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vqnotify_guest_info gi;
		struct pollfd p = { .events = POLLIN };
		pthread_t t;

		close(pfd[0]);
		if (fd < 0) {
			fd = tk_open(0);
			if (fd < 0)
				_exit(1);
			hold_slots(_metadata, fd);
		}
		if ((budget && _test_ioctl_set_budget(fd, budget)) ||
		    (thread && pthread_create(&t, NULL, poll_forever, &fd)) ||
		    _test_ioctl_guest_get(fd, &gi) ||
		    write(pfd[1], &gi.used, sizeof(gi.used)) != 4)
			_exit(1);
		close(pfd[1]);
		if (thread)
			for (;;)
				pause();
		p.fd = fd;
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
	long base = tk_host_used(self->fd);
	uint32_t child_used;
	pid_t pid;
	int fd2;

	pid = spawn_poller(_metadata, -1, 0, false, &child_used);
	EXPECT_EQ(17U, child_used);
	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	hold_slots(_metadata, fd2);
	EXPECT_EQ(base + child_used + 17, tk_host_used(self->fd));
	close(fd2);
	EXPECT_EQ(base + child_used, tk_host_used(self->fd));
	/* The poller is still asleep, its guest intact. */
	EXPECT_EQ(pid, waitpid(pid, NULL, WNOHANG) == 0 ? pid : -1);
	kill_reap(_metadata, pid);
	EXPECT_EQ(base, tk_host_used(self->fd));
}

/*
 * The fd is shared with a child sleeping in poll() on it: the parent's
 * close does not end the guest, the child's death does.
 */
TEST_F(guest, close_shared_fd_with_poller)
{
	long base = tk_host_used(self->fd);
	uint32_t used;
	pid_t pid;
	int fd2;

	fd2 = tk_open(0);
	ASSERT_LE(0, fd2);
	hold_slots(_metadata, fd2);
	pid = spawn_poller(_metadata, fd2, 0, false, &used);
	EXPECT_EQ(17U, used);
	close(fd2);
	EXPECT_EQ(base + 17, tk_host_used(self->fd));
	kill_reap(_metadata, pid);
	EXPECT_EQ(base, tk_host_used(self->fd));
}

/*
 * A VMM killed with SIGKILL: slots held, a second thread in poll(),
 * events queued. Once reaped, the host count is back where it was.
 */
TEST_F(guest, sigkill_releases)
{
	long base = tk_host_used(self->fd);
	uint32_t used = 0;
	pid_t pid;

	/* Budget 16 under the 17 slots held: one (p), its event unread. */
	pid = spawn_poller(_metadata, -1, 16, true, &used);
	EXPECT_EQ(16U, used);
	EXPECT_EQ(base + used, tk_host_used(self->fd));
	kill_reap(_metadata, pid);
	EXPECT_EQ(base, tk_host_used(self->fd));
}

/* SIGKILL in the middle of a burst of lifecycle calls, at random times. */
TEST_F(guest, sigkill_mid_burst)
{
	long base = tk_host_used(self->fd);
	int round, i, in_burst = 0;
	int *bursting = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, bursting);
	srand(getpid());
	for (round = 0; round < 20; round++) {
		pid_t pid;

		__atomic_store_n(bursting, 0, __ATOMIC_SEQ_CST);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd = tk_open(0);
			uint32_t id, q = 0;

			if (fd < 0 ||
			    _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 64, NULL,
					&id))
				_exit(1);
			__atomic_store_n(bursting, 1, __ATOMIC_SEQ_CST);
			for (;;) {
				_test_ioctl_set_status(fd, id, TK_STATUS_OK, NULL,
					       NULL, NULL);
				_test_ioctl_host_notifier(fd, id, q++ % 64, true,
						  NULL);
				_test_ioctl_set_budget(fd, q % 2 ? 8 : 0);
				_test_ioctl_dev_reset(fd, id, NULL, NULL);
			}
		}
		/*
		 * Every other round, from the burst's start: a slow machine's
		 * fork and setup may outlast every sleep counted from fork.
		 */
		for (i = 0; round % 2 && i < 5000 &&
		     !__atomic_load_n(bursting, __ATOMIC_SEQ_CST); i++)
			usleep(1000);
		usleep(1000 + rand() % 20000);
		in_burst += __atomic_load_n(bursting, __ATOMIC_SEQ_CST);
		kill_reap(_metadata, pid);
		ASSERT_EQ(base, tk_host_used(self->fd))
			TH_LOG("round %d", round);
	}
	/* Some kills must land in the burst: else none cut a call short. */
	EXPECT_LT(0, in_burst);
	munmap(bursting, sizeof(int));
}

TEST_HARNESS_MAIN
