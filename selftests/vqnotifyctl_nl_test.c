// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl's netlink commands (guest, dev, queue, stats, config,
 * monitor), run as a user would, against a guest of the test's own: each
 * once as it should be used and once with a bad input. They skip while
 * the module has no netlink family.
 */
#define _GNU_SOURCE
#include "vqnotifyctl_utils.h"

/* Netlink commands */

FIXTURE(nl) {
	int fd;			/* a guest of our own, to be seen */
	uint32_t guest_id;
	char id[16];
};

FIXTURE_SETUP(nl)
{
	struct run *r;

	self->fd = -1;
	if (!have_ctl() || !have_module())
		SKIP(return, "no vqnotifyctl or no /dev/vqnotify");
	/* The module is loaded: its family must answer. */
	r = RUN("config", "show");
	EXPECT_EQ(0, r->status) TH_LOG("config show: %s", r->err);
	free(r);
	self->fd = ctl_open_guest("ctltest", 2, &self->guest_id);
	ASSERT_LE(0, self->fd);
	snprintf(self->id, sizeof(self->id), "%u", self->guest_id);
}

FIXTURE_TEARDOWN(nl)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(nl, guest_show)
{
	struct run *r = RUN("guest", "show");

	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "ctltest"));
	free(r);
	r = RUN("-j", "guest", "show", self->id);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(json_lines(r->out));
	EXPECT_TRUE(has(r->out, "\"name\":\"ctltest\""));
	EXPECT_TRUE(has(r->out, "\"assigned\":2"));
	free(r);
}

TEST_F(nl, guest_show_bad_id)
{
	struct run *r = RUN("guest", "show", "abc");

	EXPECT_EQ(2, r->status);
	free(r);
}

TEST_F(nl, guest_show_unknown_id)
{
	struct run *r = RUN("guest", "show", "2147483000");

	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, "ENOENT")) TH_LOG("%s", r->err);
	free(r);
}

TEST_F(nl, guest_set)
{
	struct run *r = RUN("guest", "set", self->id, "budget", "100",
			    "reserve", "1");

	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	r = RUN("-j", "guest", "show", self->id);
	EXPECT_TRUE(has(r->out, "\"admin_budget\":100"));
	EXPECT_TRUE(has(r->out, "\"vhost_reserve\":1"));
	free(r);
}

TEST_F(nl, guest_set_bad_key)
{
	struct run *r = RUN("guest", "set", self->id, "colour", "1");

	EXPECT_EQ(2, r->status);
	free(r);
}

TEST_F(nl, guest_set_unprivileged)
{
	struct run *r = run_as(NOBODY, NULL, (const char *[]){
		"guest", "set", self->id, "budget", "1", NULL });

	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, "EPERM")) TH_LOG("%s", r->err);
	free(r);
}

TEST_F(nl, dev_show)
{
	struct run *r = RUN("dev", "show", self->id);

	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "ctl-dev"));
	free(r);
	r = RUN("-j", "-p", "dev", "show");
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(has(r->out, "\"name\": \"ctl-dev\""));
	free(r);
}

TEST_F(nl, dev_show_bad)
{
	struct run *r = RUN("dev", "show", "1", "2");

	EXPECT_EQ(2, r->status);
	free(r);
}

TEST_F(nl, queue_show)
{
	struct run *r = RUN("queue", "show", self->id);

	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "ctltest"));
	EXPECT_TRUE(has(r->out, "ASSIGNED"));
	free(r);
	r = RUN("-j", "queue", "show", self->id, "1");
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(has(r->out, "\"state\":\"ASSIGNED\""));
	free(r);
}

TEST_F(nl, queue_show_bad)
{
	struct run *r = RUN("queue", "show", "1", "2", "3");

	EXPECT_EQ(2, r->status);
	free(r);
}

TEST_F(nl, stats)
{
	struct run *r = RUN("stats");

	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "slots in use"));
	EXPECT_TRUE(has(r->out, "ctltest"));
	free(r);
	r = RUN("-j", "stats");
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(json_lines(r->out));
	free(r);
}

TEST_F(nl, stats_extra_arg)
{
	struct run *r = RUN("stats", "all");

	EXPECT_EQ(2, r->status);
	free(r);
}

TEST_F(nl, config_show_and_set)
{
	struct run *r = RUN("-j", "config", "show");
	char *p, val[16];

	EXPECT_EQ(0, r->status);
	p = strstr(r->out, "\"threshold\":");
	ASSERT_NE(NULL, p);
	snprintf(val, sizeof(val), "%u", (unsigned int)atoi(p + 12));
	free(r);
	/* Set it to what it is: nothing changes for other tests. */
	r = RUN("config", "set", "threshold", val);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
}

TEST_F(nl, config_set_bad_key)
{
	struct run *r = RUN("config", "set", "colour", "1");

	EXPECT_EQ(2, r->status);
	EXPECT_TRUE(has(r->err, "unknown key 'colour'"));
	free(r);
}

TEST_F(nl, config_set_unprivileged)
{
	struct run *r = run_as(NOBODY, NULL, (const char *[]){
		"config", "set", "host-cap", "5", NULL });

	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, "EPERM")) TH_LOG("%s", r->err);
	free(r);
}

/* monitor count 2 exits after two events: a guest added and removed. */
TEST_F(nl, monitor)
{
	char out[OUT_MAX];
	int fd = memfd_create("mon", 0), st, i;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(fd, 1);
		execlp(ctl(), ctl(), "monitor", "count", "2", NULL);
		_exit(127);
	}
	/* Until it has joined the group, events go unseen: repeat. */
	for (i = 0; i < 100; i++) {
		uint32_t id;
		int g = ctl_open_guest("mon", 2, &id);

		if (g >= 0)
			close(g);
		usleep(50000);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	if (i == 100) {
		kill(pid, SIGINT);
		waitpid(pid, &st, 0);
	}
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	slurp(fd, out);
	EXPECT_TRUE(has(out, "[guest]") || has(out, "[dev]") ||
		    has(out, "[queue]")) TH_LOG("%s", out);
	EXPECT_LT(i, 100);
}

/* Without count, it runs until SIGINT, then exits 0. */
TEST_F(nl, monitor_until_sigint)
{
	int st, i;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execlp(ctl(), ctl(), "monitor", NULL);
		_exit(127);
	}
	ASSERT_TRUE(ctl_wait_catches(pid, SIGINT, 10000)) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		TH_LOG("monitor never caught SIGINT");
	}
	ASSERT_EQ(0, kill(pid, SIGINT));
	for (i = 0; i < 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (i == 50) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	EXPECT_LT(i, 50) TH_LOG("monitor ignored SIGINT");
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(nl, monitor_bad_count)
{
	struct run *r = RUN("monitor", "count", "x");

	EXPECT_EQ(2, r->status);
	free(r);
}

TEST_F(nl, monitor_unprivileged)
{
	struct run *r = run_as(NOBODY, NULL, (const char *[]){
		"monitor", NULL });

	EXPECT_EQ(1, r->status);
	free(r);
}

TEST_HARNESS_MAIN
