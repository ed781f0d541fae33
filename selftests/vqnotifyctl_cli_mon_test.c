// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl monitor as ip monitor users use it: event kinds, filters by
 * guest name, names beside ids, -t and -ts timestamps, refusals, JSON
 * lines recorded for the host's schema check (vqnotifyctl_cli.h), bad
 * arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libvqnotify.h"
#include "vqnotifyctl_cli.h"

/* Monitor */

struct mon_run {
	pid_t pid;
	int fd;
};

static void mon_start(struct mon_run *m, const char **argv)
{
	const char *args[16] = { ctl() };
	int i;

	for (i = 0; argv[i] && i < 14; i++)
		args[i + 1] = argv[i];
	m->fd = memfd_create("mon", 0);
	m->pid = fork();
	if (!m->pid) {
		dup2(m->fd, 1);
		execvp(args[0], (char **)args);
		_exit(127);
	}
}

/*
 * Repeat @act until the monitor exits (it joins its group at some point
 * after it starts: events before are not seen), at most 100 times; its
 * exit status, its output in @out.
 */
static int mon_wait(struct mon_run *m, void (*act)(void), char *out)
{
	int st, i;

	for (i = 0; i < 100; i++) {
		act();
		usleep(50000);
		if (waitpid(m->pid, &st, WNOHANG) == m->pid)
			break;
	}
	if (i == 100) {
		kill(m->pid, SIGINT);
		waitpid(m->pid, &st, 0);
	}
	slurp(m->fd, out);
	return WIFEXITED(st) && i < 100 ? WEXITSTATUS(st) : -1;
}

/* A guest the filter must hide, then one it shows, with a device. */
static void mon_act(void)
{
	struct vqn_result res[2];
	struct vqn_guest *g;
	uint32_t dev;

	if (!vqn_open(&g, "mon-b"))
		vqn_close(g);
	if (vqn_open(&g, "mon-a"))
		return;
	if (!vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 2, "mdev", &dev))
		vqn_set_status(g, dev, 0x0f, NULL, res, 2);
	vqn_close(g);
}

/* A queue refused: budget 7 (not limited), eight queues at DRIVER_OK. */
static void mon_refuse(void)
{
	struct vqn_result res[8];
	struct vqn_guest *g;
	uint32_t dev;

	if (vqn_open(&g, "mon-r"))
		return;
	if (!vqn_set_budget(g, 7) &&
	    !vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 8, "rdev", &dev))
		vqn_set_status(g, dev, 0x0f, NULL, res, 8);
	vqn_close(g);
}

FIXTURE(mon) {
	char *out;
};

FIXTURE_SETUP(mon)
{
	self->out = malloc(OUT_MAX);
	if (!have_ctl() || !have_module())
		SKIP(return, "no vqnotifyctl or no /dev/vqnotify");
}

FIXTURE_TEARDOWN(mon)
{
	free(self->out);
}

/*
 * -ts, a guest filter by name, names beside ids. (The guest's add event
 * has no name yet: libvqnotify names a guest after opening it.) The
 * monitor joins its group at any point of a mon_act() cycle, which has at
 * most 9 events of mon-a (guest add and change, dev add, two queues' (b),
 * their (g), dev and guest del): 16 in a row hold a whole cycle.
 */
TEST_F(mon, filter_names_timestamps)
{
	struct mon_run m;
	char *l;

	mon_start(&m, (const char *[]){ "-ts", "monitor", "guest", "mon-a",
					"count", "16", NULL });
	ASSERT_EQ(0, mon_wait(&m, mon_act, self->out)) TH_LOG("%s", self->out);
	EXPECT_FALSE(has(self->out, "mon-b")) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "[dev] add guest ")) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "] [queue] guest ")) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "(mon-a) dev ")) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "(mdev)")) TH_LOG("%s", self->out);
	/* Every line: [YYYY-MM-DDTHH:MM:SS.uuuuuu] [kind] */
	for (l = self->out; *l; l = strchr(l, '\n') + 1) {
		EXPECT_TRUE(l[0] == '[' && l[5] == '-' && l[11] == 'T' &&
			    l[27] == ']') TH_LOG("%.60s", l);
		if (!strchr(l, '\n'))
			break;
	}
}

/* events: only the kinds asked for; -t -j: a timestamp member. */
TEST_F(mon, events_json)
{
	struct mon_run m;

	mon_start(&m, (const char *[]){ "-t", "-j", "monitor", "events",
					"dev,queue", "count", "6", NULL });
	ASSERT_EQ(0, mon_wait(&m, mon_act, self->out)) TH_LOG("%s", self->out);
	EXPECT_FALSE(has(self->out, "\"guest_add\""));
	EXPECT_TRUE(has(self->out, "\"event\":\"dev_add\""));
	EXPECT_TRUE(has(self->out, "\"event\":\"transition\""));
	EXPECT_TRUE(has(self->out, "\"timestamp\":"));
	EXPECT_TRUE(json_lines(self->out));
	out_record("jsonl", "monitor", self->out, strlen(self->out));
}

/* Everything, as JSON lines, for the schema. */
TEST_F(mon, all_json)
{
	struct mon_run m;

	mon_start(&m, (const char *[]){ "-j", "monitor", "count", "12", NULL });
	ASSERT_EQ(0, mon_wait(&m, mon_act, self->out)) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "\"event\":\"guest_del\""));
	out_record("jsonl", "monitor", self->out, strlen(self->out));
}

TEST_F(mon, refusals)
{
	struct mon_run m;

	mon_start(&m, (const char *[]){ "-timestamp", "monitor", "events",
					"refusal", "count", "1", NULL });
	ASSERT_EQ(0, mon_wait(&m, mon_refuse, self->out))
		TH_LOG("no refusal seen: %s", self->out);
	/* -t: a line "Timestamp: Wed Dec  2 02:38:55 2026 496241 usec" first. */
	EXPECT_EQ(0, strncmp(self->out, "Timestamp: ", 11)) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, " usec\n[refusal] ")) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "[refusal] guest ")) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "(mon-r) dev ")) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "(rdev) q7 DEASSIGNED refused: no-slot"))
		TH_LOG("%s", self->out);
}

/* A refusal as JSON, for the schema. */
TEST_F(mon, refusals_json)
{
	struct mon_run m;

	mon_start(&m, (const char *[]){ "-j", "monitor", "events", "refusal",
					"guest", "mon-r", "count", "1", NULL });
	ASSERT_EQ(0, mon_wait(&m, mon_refuse, self->out))
		TH_LOG("no refusal seen: %s", self->out);
	EXPECT_TRUE(has(self->out, "\"event\":\"refusal\"")) TH_LOG("%s", self->out);
	EXPECT_TRUE(has(self->out, "\"reason\":\"no-slot\"")) TH_LOG("%s", self->out);
	out_record("jsonl", "monitor", self->out, strlen(self->out));
}

TEST(monitor_bad_args)
{
	static const char *const bad[][4] = {
		{ "monitor", "events", "frobs" },
		{ "monitor", "dev", "1" },	/* dev needs guest */
		{ "monitor", "guest" },
		{ "monitor", "colour", "red" },
	};
	unsigned int i;

	if (!have_ctl())
		SKIP(return, "no vqnotifyctl");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run *r = run_as(0, NULL, (const char **)bad[i]);

		EXPECT_EQ(2, r->status) TH_LOG("%s %s", bad[i][1], bad[i][2]);
		free(r);
	}
}

TEST_HARNESS_MAIN
