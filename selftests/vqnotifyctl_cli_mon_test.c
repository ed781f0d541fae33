// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl monitor as ip monitor users use it: event kinds, filters by
 * guest name, names beside ids, -t and -ts timestamps, refusals, JSON
 * lines recorded for the host's schema check (vqnotifyctl_cli.h), bad
 * arguments; the same lines from the calls group (one message per call,
 * its default) as from the monitor group (one per queue).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

/*
 * A monitor on @group (VQNOTIFYCTL_MONITOR_GROUP; NULL: its choice), its
 * output into @out (m->fd).
 */
static void mon_start_out(struct mon_run *m, const char *group, int out,
			  const char **argv)
{
	const char *args[16] = { ctl() };
	int i;

	for (i = 0; argv[i] && i < 14; i++)
		args[i + 1] = argv[i];
	m->fd = out;
	m->pid = fork();
	if (!m->pid) {
		if (group)
			setenv("VQNOTIFYCTL_MONITOR_GROUP", group, 1);
		dup2(m->fd, 1);
		execvp(args[0], (char **)args);
		_exit(127);
	}
}

/* Its output in a memfd, which mon_peek() and mon_wait() read. */
static void mon_start_group(struct mon_run *m, const char *group,
			    const char **argv)
{
	mon_start_out(m, group, memfd_create("mon", 0), argv);
}

static void mon_start(struct mon_run *m, const char **argv)
{
	mon_start_group(m, NULL, argv);
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

/*
 * Guest @name, its own budget @budget (0: none set), a device @dname of
 * eight queues at DRIVER_OK, closed.
 */
static void mon_eight_queues(const char *name, uint32_t budget,
			     const char *dname)
{
	struct vqn_result res[8];
	struct vqn_guest *g;
	uint32_t dev;

	if (vqn_open(&g, name))
		return;
	if ((!budget || !vqn_set_budget(g, budget)) &&
	    !vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 8, dname, &dev))
		vqn_set_status(g, dev, 0x0f, NULL, res, 8);
	vqn_close(g);
}

/* A queue refused: budget 7 (not limited), eight queues at DRIVER_OK. */
static void mon_refuse(void)
{
	mon_eight_queues("mon-r", 7, "rdev");
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

/* The output so far (the monitor flushes each event); its length. */
static size_t mon_peek(const struct mon_run *m, char *buf)
{
	ssize_t n = pread(m->fd, buf, OUT_MAX - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? n : 0;
}

/* Has @out a guest_del line (text or JSON) of the guest named @name? */
static bool mon_saw_del(const char *out, const char *name)
{
	char text[48], json[48];
	const char *l, *e;

	snprintf(text, sizeof(text), "(%s) pid", name);
	snprintf(json, sizeof(json), "\"guest\":\"%s\"", name);
	for (l = out; *l; l = e + 1) {
		char line[512];

		e = strchr(l, '\n');
		if (!e)
			break;
		snprintf(line, sizeof(line), "%.*s", (int)(e - l), l);
		if ((has(line, "] del guest ") && has(line, text)) ||
		    (has(line, "\"guest_del\"") && has(line, json)))
			return true;
	}
	return false;
}

/* A guest opened, named and closed: three events. */
static void mon_probe(const char *name)
{
	struct vqn_guest *g;

	if (!vqn_open(&g, name))
		vqn_close(g);
}

/* Run @cmd of vqnotifyctl (config set, guest set) as root. */
static void mon_ctl(const char **argv)
{
	free(run_as(0, NULL, argv));
}

/*
 * Everything the monitor shows, once: a guest's add and rename, devices
 * added, DRIVER_OK (b), the admin's lower budget (p), a release (x) and the
 * promotion (r) it makes room for, the VMM's own budget down (p) and up
 * (r), refusals, vhost's preemption (p) of a grant and its (c), the
 * host-wide promotion work's (r) once the host cap is raised again, a
 * removal's (g) and the (r) it makes room for, the close's (g) and
 * removals.
 */
static void mon_everything(void)
{
	const uint64_t q0 = 1;
	struct vqnotify_guest_info gi;
	struct vqnotify_info info;
	struct vqn_result res[16];
	char cap[16], id[16];
	struct vqn_guest *g;
	uint32_t a, b;
	int i;

	if (vqn_open(&g, "mon-s"))
		return;
	if (vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 16, "sa", &a) ||
	    vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 4, "sb", &b) ||
	    vqn_guest_get(g, &gi))
		goto out;
	vqn_set_status(g, a, 0x0f, NULL, res, 16);
	snprintf(id, sizeof(id), "%u", gi.guest_id);
	mon_ctl((const char *[]){ "guest", "set", id, "budget", "10", NULL });
	vqn_queues_release(g, a, &q0, 16, 0, res, 16);
	vqn_set_budget(g, 8);
	vqn_set_budget(g, 9);
	vqn_set_status(g, b, 0x0f, NULL, res, 4);
	vqn_host_notifier(g, b, 0, true, res);

	/* The host cap at the slots in use: the next grant waits for it. */
	if (!vqn_get_info(g, &info)) {
		snprintf(cap, sizeof(cap), "%u", info.host_used);
		mon_ctl((const char *[]){ "config", "set", "host-cap", cap,
					  NULL });
		vqn_set_budget(g, 10);
		snprintf(cap, sizeof(cap), "%u", info.host_cap);
		mon_ctl((const char *[]){ "config", "set", "host-cap", cap,
					  NULL });
		/* The promotion work's turn: wait for it, 10 s at most. */
		for (i = 0; i < 500; i++) {
			if (vqn_guest_get(g, &gi) || gi.used >= 10)
				break;
			usleep(20000);
		}
	}
	vqn_dev_remove(g, a, res, 16);
out:
	vqn_close(g);
}

/*
 * The calls group (the default) and the monitor group give the same
 * lines, text and JSON, for everything the monitor shows. Four monitors
 * at once; the events compared are those after every monitor has shown a
 * probe guest's removal (each joins its group at some point after it
 * starts), up to a last guest's removal.
 */
TEST_F(mon, calls_group_same_lines)
{
	static const char *const group[2] = { "monitor", "calls" };
	struct mon_run m[4];
	char *out[4], name[32], why[256];
	bool ready = false, done = false;
	size_t off[4];
	int i, k, n;

	/* The module answers (the fixture skipped otherwise): it must. */
	ASSERT_TRUE(host_defaults(why, sizeof(why))) TH_LOG("%s", why);
	for (i = 0; i < 4; i++) {
		out[i] = malloc(OUT_MAX);
		mon_start_group(&m[i], group[i % 2], i < 2 ?
				(const char *[]){ "monitor", NULL } :
				(const char *[]){ "-j", "monitor", NULL });
	}
	for (k = 0; k < 50 && !ready; k++) {
		snprintf(name, sizeof(name), "mon-p%d", k);
		mon_probe(name);
		for (n = 0; n < 10 && !ready; n++) {
			usleep(50000);
			for (i = 0, ready = true; i < 4; i++) {
				mon_peek(&m[i], out[i]);
				ready = ready && mon_saw_del(out[i], name);
			}
		}
	}
	if (ready) {
		for (i = 0; i < 4; i++)
			off[i] = mon_peek(&m[i], out[i]);
		mon_everything();
		mon_probe("mon-end");
		for (n = 0; n < 100 && !done; n++) {
			usleep(50000);
			for (i = 0, done = true; i < 4; i++) {
				mon_peek(&m[i], out[i]);
				done = done && mon_saw_del(out[i], "mon-end");
			}
		}
	}
	for (i = 0; i < 4; i++) {
		kill(m[i].pid, SIGINT);
		waitpid(m[i].pid, NULL, 0);
		mon_peek(&m[i], out[i]);
		close(m[i].fd);
	}
	ASSERT_TRUE(ready) TH_LOG("the monitors did not all join");
	ASSERT_TRUE(done) TH_LOG("the last guest's removal not seen");
	EXPECT_STREQ(out[0] + off[0], out[1] + off[1]);
	EXPECT_STREQ(out[2] + off[2], out[3] + off[3]);
	/* And the lines are there: every kind of transition. */
	EXPECT_TRUE(has(out[1], "(b) granted")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(has(out[1], "(p) preempt-budget")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(has(out[1], "(p) preempt-vhost")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(has(out[1], "(r) promoted")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(has(out[1], "(x) released")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(has(out[1], "(c) vhost")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(has(out[1], "(g) removed")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(has(out[1], "refused: no-slot")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(has(out[1], "[dev] del guest ")) TH_LOG("%s", out[1]);
	EXPECT_TRUE(json_lines(out[3]));
	out_record("jsonl", "monitor", out[3] + off[3], strlen(out[3] + off[3]));
	for (i = 0; i < 4; i++)
		free(out[i]);
}

/* DRIVER_OK of eight queues: one CALL_NTF of eight results. */
static void mon_eight(void)
{
	mon_eight_queues("mon-c", 0, "cdev");
}

/*
 * count N shows N events, even when they came in one message (a call's
 * results) or in one receive (a queue's each), from either group.
 */
TEST_F(mon, count_within_a_message)
{
	static const char *const group[2] = { "monitor", "calls" };
	struct mon_run m;
	int i, lines;
	char *l;

	for (i = 0; i < 2; i++) {
		mon_start_group(&m, group[i], (const char *[]){ "monitor",
				"events", "queue", "guest", "mon-c", "count",
				"3", NULL });
		ASSERT_EQ(0, mon_wait(&m, mon_eight, self->out))
			TH_LOG("%s: %s", group[i], self->out);
		for (lines = 0, l = self->out; (l = strchr(l, '\n')); l++)
			lines++;
		EXPECT_EQ(3, lines) TH_LOG("%s: %s", group[i], self->out);
		EXPECT_TRUE(line_starts(self->out, "[queue] guest "))
			TH_LOG("%s: %s", group[i], self->out);
	}
}

/*
 * An unnamed guest's device of 1024 queues, ten DRIVER_OKs and resets in
 * a burst: twenty messages of 1024 results.
 */
static void mon_unnamed_burst(void)
{
	struct vqn_guest *g;
	uint32_t dev;
	int i;

	if (vqn_open(&g, NULL))
		return;
	if (!vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 1024, NULL, &dev)) {
		for (i = 0; i < 10; i++) {
			vqn_set_status(g, dev, 0x0f, NULL, NULL, 0);
			vqn_dev_reset(g, dev, NULL, 0);
		}
	}
	vqn_close(g);
}

/*
 * The monitor keeps up with unnamed guests and devices: the name a
 * notification carries ("" here) is the name, not a reason to dump every
 * guest and device of the host for each result line, which left the
 * burst to overflow the socket; and an overflow is reported, not the end
 * of the monitor ("Out of memory", exit 1).
 */
TEST_F(mon, unnamed_burst_keeps_up)
{
	struct mon_run m;

	mon_start(&m, (const char *[]){ "monitor", "events", "queue",
		  "count", "2048", NULL });
	EXPECT_EQ(0, mon_wait(&m, mon_unnamed_burst, self->out))
		TH_LOG("%.300s", self->out);
	EXPECT_TRUE(line_starts(self->out, "[queue] guest "))
		TH_LOG("%.300s", self->out);
}

static void mon_noop(void)
{
}

/* The kernel function @pid sleeps in ("" when running or unknown). */
static void proc_wchan(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

/*
 * ^C while the monitor is blocked writing to a pipe its consumer stopped
 * reading ends it with status 0, as ^C at any other time: the write it
 * interrupted is not an output error (it said "stdout: Interrupted system
 * call" and exited 1).
 */
TEST_F(mon, sigint_while_output_blocked)
{
	struct mon_run m;
	char wchan[64] = "";
	int p[2], st, i;

	ASSERT_EQ(0, pipe(p));
	ASSERT_LE(0, fcntl(p[1], F_SETPIPE_SZ, 4096));
	mon_start_out(&m, NULL, p[1], (const char *[]){ "-j", "monitor", NULL });
	ASSERT_LE(0, m.pid);
	close(p[1]);
	for (i = 0; i < 200; i++) {
		mon_act();
		usleep(20000);
		proc_wchan(m.pid, wchan, sizeof(wchan));
		if (!strcmp(wchan, "pipe_write"))
			break;
	}
	if (i == 200)
		kill(m.pid, SIGKILL);
	ASSERT_GT(200, i) TH_LOG("the monitor never blocked on its output");
	ASSERT_EQ(0, kill(m.pid, SIGINT));
	usleep(100000);
	while (read(p[0], self->out, OUT_MAX) > 0)
		;
	close(p[0]);
	ASSERT_EQ(m.pid, waitpid(m.pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

/*
 * A monitor whose output cannot be written (a full disk, here /dev/full)
 * fails, also when it stops at its count: only a signal's stop forgives
 * the write it interrupted.
 */
TEST_F(mon, count_with_write_error_fails)
{
	int full = open("/dev/full", O_WRONLY);
	struct mon_run m;

	ASSERT_LE(0, full);
	mon_start_out(&m, NULL, full,
		      (const char *[]){ "-j", "monitor", "count", "1", NULL });
	ASSERT_LE(0, m.pid);
	EXPECT_EQ(1, mon_wait(&m, mon_act, self->out));
}

/*
 * 64 DRIVER_OKs and resets of 1024 queues: 128 messages of 8 KiB. The
 * calls that succeeded, -errno of the first that failed.
 */
static int mon_flood(void)
{
	struct vqn_guest *g;
	uint32_t dev;
	int n = 0, ret;

	ret = vqn_open(&g, "mon-flood");
	if (ret)
		return ret;
	ret = vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, VQNOTIFY_MAX_QUEUES,
			  "fdev", &dev);
	for (int i = 0; !ret && i < 64; i++) {
		ret = vqn_set_status(g, dev, 0x0f, NULL, NULL, 0);
		if (ret >= 0)
			ret = vqn_dev_reset(g, dev, NULL, 0);
		ret = ret < 0 ? ret : 0;
		n += !ret;
	}
	vqn_close(g);
	return ret ? ret : n;
}

/*
 * A monitor that falls behind (stopped here) loses what overflows its
 * socket's buffer (net.core.rmem_max, 208 KiB in the rig's VM): it says so
 * in its output, a "lost" line a JSON consumer reads (it was a message on
 * stderr), whatever its filter (guest events only here, which keeps the
 * output small), and goes on.
 */
TEST_F(mon, lost_when_behind)
{
	const char *lost = "{\"event\":\"lost\"}";
	struct mon_run m;
	const char *l;
	int i;

	mon_start(&m, (const char *[]){ "-j", "monitor", "events", "guest",
					NULL });
	for (i = 0; i < 100 && !mon_peek(&m, self->out); i++) {
		mon_act();
		usleep(50000);
	}
	ASSERT_GT(100, i) TH_LOG("the monitor showed nothing");
	kill(m.pid, SIGSTOP);
	EXPECT_EQ(64, mon_flood());
	kill(m.pid, SIGCONT);
	/* Then it goes on: the next guest shows. */
	for (i = 0; i < 100; i++) {
		mon_act();
		usleep(50000);
		mon_peek(&m, self->out);
		l = strstr(self->out, lost);
		if (l && strstr(l, "\"guest\":\"mon-a\""))
			break;
	}
	kill(m.pid, SIGINT);
	EXPECT_EQ(0, mon_wait(&m, mon_noop, self->out));
	l = strstr(self->out, lost);
	ASSERT_NE(NULL, l) TH_LOG("no lost line in %zu bytes", strlen(self->out));
	EXPECT_NE(NULL, strstr(l, "\"guest\":\"mon-a\"")) TH_LOG("%s", l);
	out_record("jsonl", "monitor", l, strlen(lost) + 1);
}

/* A bad VQNOTIFYCTL_MONITOR_GROUP: an error, not a guess. */
TEST(monitor_bad_group)
{
	struct run *r;

	if (!have_ctl())
		SKIP(return, "no vqnotifyctl");
	setenv("VQNOTIFYCTL_MONITOR_GROUP", "frobs", 1);
	r = RUN("monitor", "count", "1");
	unsetenv("VQNOTIFYCTL_MONITOR_GROUP");
	EXPECT_NE(0, r->status);
	EXPECT_TRUE(has(r->err, "VQNOTIFYCTL_MONITOR_GROUP")) TH_LOG("%s", r->err);
	free(r);
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
