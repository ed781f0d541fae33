// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_module_test: the module as a whole: it cannot be unloaded while a
 * guest is open, and max_guests guests are the limit.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/syscall.h>

#include "vqn_utils.h"

/*
 * Last: the module cannot go while a guest is open (the rig checks that
 * it unloads cleanly after the run).
 */
FIXTURE(module) {
	int fd;
	struct vqnotify_info info;
	long host0;
};

FIXTURE_SETUP(module)
{
	tk_setup_guest(self);
}

FIXTURE_TEARDOWN(module)
{
	tk_teardown_guest(self);
}

TEST_F(module, no_unload_while_open)
{
	EXPECT_EQ(-1, syscall(SYS_delete_module, "vqnotify", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* Still there and working. */
	EXPECT_LE(0, tk_host_used(self->fd));
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
	test_cmd_get_info(&info);
	ASSERT_LE(info.nr_guests, max);
	before = info.nr_guests;
	rl.rlim_cur = rl.rlim_max = max + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		SKIP(return, "RLIMIT_NOFILE %u: %s", max + 64, strerror(errno));
	fds = calloc(max, sizeof(*fds));
	ASSERT_NE(NULL, fds);

	for (;;) {
		fd = tk_open(0);
		if (fd < 0)
			break;
		ASSERT_LT((unsigned int)n, max) close(fd);
		fds[n++] = fd;
	}
	EXPECT_EQ(-ENOSPC, fd);
	EXPECT_EQ(max - before, (unsigned int)n);
	test_cmd_get_info(&info);
	EXPECT_EQ(max, info.nr_guests);

	/* Room again once one closes; the rest still work. */
	close(fds[--n]);
	fd = tk_open(0);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		fds[n++] = fd;
	EXPECT_EQ(0, _test_ioctl_get_info(fds[0], &info));
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	test_cmd_get_info(&info);
	EXPECT_EQ(before, info.nr_guests);
}

TEST_HARNESS_MAIN
