// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_module_test: the module as a whole: it cannot be unloaded while a
 * guest is open, max_guests guests are the limit, and it refuses to load
 * with parameters it cannot work with.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

/*
 * insmod with a parameter vqn_pool_init() refuses: EINVAL and no module,
 * one variant per rule; the bounds themselves load. The module is unloaded
 * for each and loaded again after with the parameters it had (read back
 * from /sys/module/vqnotify/parameters), from the rig's /vqnotify.ko.
 */
#define TK_MODULE_KO	"/vqnotify.ko"
#define TK_MODULE_PARAMS	"/sys/module/vqnotify/parameters"

static bool tk_module_loaded(void)
{
	return access("/sys/module/vqnotify", F_OK) == 0;
}

FIXTURE(params) {
	char saved[1024];
	int ko;
};

FIXTURE_VARIANT(params) {
	const char *args;
	int err;	/* 0: it loads */
};

FIXTURE_VARIANT_ADD(params, default_budget_above_s32) {
	.args = "default_budget=2147483648", .err = EINVAL,
};
FIXTURE_VARIANT_ADD(params, threshold_0) {
	.args = "threshold=0", .err = EINVAL,
};
FIXTURE_VARIANT_ADD(params, vhost_reserve_above_budget) {
	.args = "default_budget=4 vhost_reserve=5", .err = EINVAL,
};
FIXTURE_VARIANT_ADD(params, vhost_reserve_at_budget) {
	.args = "default_budget=4 vhost_reserve=4",
};
FIXTURE_VARIANT_ADD(params, host_cap_0) {
	.args = "host_cap=0", .err = EINVAL,
};
FIXTURE_VARIANT_ADD(params, max_guests_0) {
	.args = "max_guests=0", .err = EINVAL,
};
FIXTURE_VARIANT_ADD(params, max_devices_0) {
	.args = "max_devices=0", .err = EINVAL,
};
/* Slot 2^22 - 1 would name its queue 1023 as the end of a list. */
FIXTURE_VARIANT_ADD(params, max_devices_above_2097152) {
	.args = "max_devices=2097153", .err = EINVAL,
};
FIXTURE_VARIANT_ADD(params, max_devices_2097152) {
	.args = "max_devices=2097152",
};
FIXTURE_VARIANT_ADD(params, event_depth_1) {
	.args = "event_depth=1", .err = EINVAL,
};
FIXTURE_VARIANT_ADD(params, event_depth_above_65536) {
	.args = "event_depth=65537", .err = EINVAL,
};
FIXTURE_VARIANT_ADD(params, event_depth_65536) {
	.args = "event_depth=65536",
};

FIXTURE_SETUP(params)
{
	size_t len = 0;
	struct dirent *e;
	char path[512];
	DIR *d;
	FILE *f;

	self->ko = open(TK_MODULE_KO, O_RDONLY | O_CLOEXEC);
	if (self->ko >= 0 && !tk_module_loaded()) {
		close(self->ko);
		self->ko = -1;
	}
	if (self->ko < 0)
		SKIP(return, "no %s or module not loaded", TK_MODULE_KO);
	d = opendir(TK_MODULE_PARAMS);
	ASSERT_NE(NULL, d);
	while ((e = readdir(d))) {
		char val[64];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", TK_MODULE_PARAMS,
			 e->d_name);
		f = fopen(path, "r");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(1, fscanf(f, "%63s", val));
		fclose(f);
		len += snprintf(self->saved + len, sizeof(self->saved) - len,
				"%s%s=%s", len ? " " : "", e->d_name, val);
		ASSERT_GT(sizeof(self->saved), len);
	}
	closedir(d);
	ASSERT_EQ(0, syscall(SYS_delete_module, "vqnotify", O_NONBLOCK)) {
		TH_LOG("unload: %s", strerror(errno));
	}
}

FIXTURE_TEARDOWN(params)
{
	if (self->ko < 0)
		return;
	if (!tk_module_loaded())
		EXPECT_EQ(0, syscall(SYS_finit_module, self->ko, self->saved, 0)) {
			TH_LOG("loading again with \"%s\": %s", self->saved,
			       strerror(errno));
		}
	close(self->ko);
}

TEST_F(params, load)
{
	int ret = syscall(SYS_finit_module, self->ko, variant->args, 0);

	if (variant->err) {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(variant->err, errno);
		EXPECT_FALSE(tk_module_loaded());
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", variant->args, strerror(errno));
	EXPECT_TRUE(tk_module_loaded());
	EXPECT_EQ(0, syscall(SYS_delete_module, "vqnotify", O_NONBLOCK));
}

TEST_HARNESS_MAIN
