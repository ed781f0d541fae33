// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl's printers against tenants: the names three tenants gave
 * their guests and devices (hostile ones where the kernel takes them,
 * tame ones with quotes, backslashes and markup where it takes printable
 * ASCII only) come out escaped in every table and JSON document; the real
 * output of every -j command, of replay -j and of metrics goes to the host
 * for its parsers (vqnotifyctl_cli.h); the demo prints its tables.
 *
 * The other vqnotifyctl_cli_*_test programs: cmdline (abbreviations,
 * "Error: <extack>", ENOENT), mon (the monitor), metrics (HTTP, host-wide
 * counters), policy (the admin's policies and per-user accounting).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "libvqnotify.h"
#include "vqnotifyctl_cli.h"

/* Tenants with hostile names */

/*
 * A newline that would forge a row, a terminal escape, a quote, a
 * backslash, DEL, invalid UTF-8, a bidi override, a line separator.
 */
static const char *const hostile_guests[] = {
	"evil\n1     prod-db",
	"\x1b[2J\"q\\\x7f\xff\xc3(",
	"caf\xc3\xa9\xe2\x80\xae!",
};
static const char *const hostile_devs[] = {
	"d\r\t\x01x", "blk", "net\xe2\x80\xa8",
};
/*
 * What a module that takes printable ASCII only (EINVAL otherwise, uAPI 2)
 * gets instead: still a quote and a backslash for JSON, a space-padded
 * fake id, markup.
 */
static const char *const tame_guests[] = {
	"evil 1     prod-db", "q\"uote\\back", "<b>&amp;'x",
};
static const char *const tame_devs[] = { "d x", "blk", "n\\e\"t" };

#define NR_TENANTS 3

FIXTURE(tenants) {
	struct vqn_guest *g[NR_TENANTS];
	uint32_t id[NR_TENANTS];
	uint32_t dev[NR_TENANTS];
	char ids[NR_TENANTS][16];
	bool hostile;		/* the kernel took the hostile names */
	char path[64];
};

/*
 * Guest i with device i: tenant 1 has its own budget 2 for a 4-queue
 * device, so two of its queues are refused and wait.
 */
static int tenant_open(FIXTURE_DATA(tenants) *self, int i, const char *name,
		       const char *dev)
{
	static const uint32_t nq[NR_TENANTS] = { 2, 4, 1 };
	struct vqn_result res[4];
	struct vqnotify_guest_info gi;
	int ret;

	ret = vqn_open(&self->g[i], name);
	if (ret)
		return ret;
	if (i == 1) {
		ret = vqn_set_budget(self->g[i], 2);
		if (ret)
			return ret;
	}
	ret = vqn_dev_add(self->g[i], VQNOTIFY_TRANSPORT_MMIO, nq[i], dev,
			  &self->dev[i]);
	if (!ret)
		ret = vqn_set_status(self->g[i], self->dev[i], 0x0f, NULL, res,
				     4);
	if (ret < 0)
		return ret;
	ret = vqn_guest_get(self->g[i], &gi);
	if (ret)
		return ret;
	self->id[i] = gi.guest_id;
	snprintf(self->ids[i], sizeof(self->ids[i]), "%u", gi.guest_id);
	return 0;
}

static void tenants_close(FIXTURE_DATA(tenants) *self)
{
	int i;

	for (i = 0; i < NR_TENANTS; i++) {
		vqn_close(self->g[i]);
		self->g[i] = NULL;
	}
}

/* The names in force, hex, one per line: the host checks them. */
static void record_names(FIXTURE_DATA(tenants) *self)
{
	const char *const *gs = self->hostile ? hostile_guests : tame_guests;
	const char *const *ds = self->hostile ? hostile_devs : tame_devs;
	char buf[1024] = "", *p = buf;
	const char *s;
	int i;

	for (i = 0; i < 2 * NR_TENANTS; i++) {
		for (s = i < NR_TENANTS ? gs[i] : ds[i - NR_TENANTS]; *s; s++)
			p += sprintf(p, "%02x", (unsigned char)*s);
		*p++ = '\n';
	}
	out_record("names", "tenants", buf, p - buf);
}

FIXTURE_SETUP(tenants)
{
	int i, ret;

	self->path[0] = '\0';
	if (!have_ctl() || !have_module())
		SKIP(return, "no vqnotifyctl or no /dev/vqnotify");
	self->hostile = true;
	for (i = 0; i < NR_TENANTS; i++) {
		ret = tenant_open(self, i, hostile_guests[i],
				  hostile_devs[i]);
		if (ret == -EINVAL)
			break;
		ASSERT_EQ(0, ret) TH_LOG("tenant %d: %s", i, strerror(-ret));
	}
	if (i < NR_TENANTS) {
		/* Names are checked by the kernel (issue 11): tame ones. */
		tenants_close(self);
		self->hostile = false;
		for (i = 0; i < NR_TENANTS; i++)
			ASSERT_EQ(0, tenant_open(self, i, tame_guests[i],
						 tame_devs[i]));
	}
}

FIXTURE_TEARDOWN(tenants)
{
	tenants_close(self);
	if (self->path[0])
		unlink(self->path);
}

/* ASCII only */
static bool ascii_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/*
 * Every table shows the names escaped; none can forge a row. In the C
 * locale (a terminal not in UTF-8, as the VM's), tables are ASCII: a
 * non-ASCII name's bytes 0x80-0x9f would be C1 controls there.
 */
TEST_F(tenants, text_escaped)
{
	static const char *const cmds[][3] = {
		{ "guest", "show", NULL }, { "dev", "show", NULL },
		{ "queue", "show", NULL }, { "stats", NULL, NULL },
		{ "metrics", NULL, NULL },
	};
	char why[128];
	unsigned int i;

	setenv("LC_ALL", "C", 1);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = run_as(0, NULL, (const char **)cmds[i]);

		EXPECT_EQ(0, r->status) TH_LOG("%s: %s", cmds[i][0], r->err);
		EXPECT_TRUE(clean_text(r->out, why, sizeof(why)))
			TH_LOG("%s: %s", cmds[i][0], why);
		/* Metrics are for programs: UTF-8 whatever the locale. */
		if (strcmp(cmds[i][0], "metrics"))
			EXPECT_TRUE(ascii_text(r->out))
				TH_LOG("%s: %s", cmds[i][0], r->out);
		EXPECT_FALSE(line_starts(r->out, "1     prod-db"))
			TH_LOG("%s: a forged row", cmds[i][0]);
		if (self->hostile && strcmp(cmds[i][0], "metrics")) {
			EXPECT_TRUE(has(r->out,
					"evil\\x0a1\\x20\\x20\\x20\\x20\\x20prod-db"))
				TH_LOG("%s", r->out);
			EXPECT_TRUE(has(r->out, "\\x1b[2J\"q\\\\\\x7f\\xff\\xc3("))
				TH_LOG("%s", r->out);
			EXPECT_TRUE(has(r->out, "caf\\u00e9\\u202e!"))
				TH_LOG("%s", r->out);
		}
		if (!self->hostile && strcmp(cmds[i][0], "metrics")) {
			EXPECT_TRUE(has(r->out, "q\"uote\\\\back"))
				TH_LOG("%s", r->out);
			/* One field: no word of it to forge a column with. */
			EXPECT_TRUE(has(r->out,
					"evil\\x201\\x20\\x20\\x20\\x20\\x20prod-db"))
				TH_LOG("%s", r->out);
		}
		if (self->hostile && !strcmp(cmds[i][0], "dev")) {
			EXPECT_TRUE(has(r->out, "d\\x0d\\x09\\x01x"));
			EXPECT_TRUE(has(r->out, "net\\u2028"));
		}
		free(r);
	}
}

/* The real output of every -j command, for the host's schema check. */
TEST_F(tenants, json_outputs)
{
	struct {
		const char *kind, *name;
		const char *argv[8];
	} cmds[] = {
		{ "json", "guest_show", { "-j", "guest", "show" } },
		{ "json", "guest_show", { "-j", "guest", "show",
					  self->ids[0] } },
		{ "json", "dev_show", { "-j", "dev", "show" } },
		{ "json", "dev_show", { "-j", "-p", "dev", "show",
					self->ids[1] } },
		{ "json", "queue_show", { "-j", "queue", "show" } },
		{ "json", "queue_show", { "-j", "queue", "show",
					  self->ids[1] } },
		{ "json", "stats", { "-j", "stats" } },
		{ "json", "stats", { "-j", "-p", "stats" } },
		{ "json", "config_show", { "-j", "config", "show" } },
		{ "json", "probe_kvm", { "-j", "probe-kvm" } },
	};
	unsigned int i;

	record_names(self);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r;

		if (!strcmp(cmds[i].argv[1], "probe-kvm") &&
		    access("/dev/kvm", R_OK))
			continue;	/* a kernel without kvm */
		r = run_as(0, NULL, cmds[i].argv);

		EXPECT_EQ(0, r->status) TH_LOG("%s: %s", cmds[i].name, r->err);
		out_record(cmds[i].kind, cmds[i].name, r->out, strlen(r->out));
		free(r);
	}
}

/* replay -j: every line names the guest by its real host-wide id. */
TEST_F(tenants, json_replay_guest_id)
{
	struct run *r;
	char want[48];
	const char *p;
	unsigned long id = 0;

	r = RUN("-j", "replay", script(self->path,
		"guest vmx budget 1\n"
		"dev vmx d mmio 2\n"
		"driver-ok d\n"
		"vhost d 1 on\n"
		"run-state vmx stopped\n"
		"show\n"
		"run-state vmx running\n"
		"host-cap 1048576\n"
		"echo done\n"
		"close vmx\n"));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	out_record("jsonl", "replay", r->out, strlen(r->out));
	p = strstr(r->out, "\"guest_id\":");
	ASSERT_NE(NULL, p) TH_LOG("%s", r->out);
	id = strtoul(p + 11, NULL, 10);
	EXPECT_NE(0UL, id);
	/* Higher than the tenants': ids are allocated upwards. */
	EXPECT_GT(id, self->id[NR_TENANTS - 1]);
	snprintf(want, sizeof(want), "\"guest_id\":%lu", id);
	for (p = r->out; (p = strstr(p, "\"guest_id\":")); p++)
		EXPECT_EQ(0, strncmp(p, want, strlen(want)));
	free(r);
}

/* The QEMU lifecycle example, as JSON: every kind of replay line. */
TEST_F(tenants, json_replay_qemu_lifecycle)
{
	struct run *r;

	if (access("/examples/qemu-lifecycle.vqn", R_OK))
		SKIP(return, "no /examples/qemu-lifecycle.vqn");
	r = RUN("-j", "replay", "/examples/qemu-lifecycle.vqn");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	out_record("jsonl", "replay", r->out, strlen(r->out));
	free(r);
}

/* Metrics: the text format and OpenMetrics, for the host's parsers. */
TEST_F(tenants, metrics_stdout)
{
	struct run *r = RUN("metrics");

	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "# TYPE vqnotify_host_slots_used gauge\n"));
	EXPECT_TRUE(has(r->out, "vqnotify_guest_queues_waiting{guest=\""));
	out_record("prom", "metrics", r->out, strlen(r->out));
	free(r);
	r = RUN("metrics", "format", "openmetrics");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(strlen(r->out) > 6 &&
		    !strcmp(r->out + strlen(r->out) - 6, "# EOF\n"));
	out_record("om", "metrics", r->out, strlen(r->out));
	free(r);
}

/* make demo: the per-queue tables, not only the summaries. */
/*
 * queue show, dev show and metrics are three dumps (queues, devices,
 * guests): a guest and its device that come and go between them are shown
 * whole or not at all, never without their names or transport ("?"), nor
 * as a device of no queue. Two children
 * on the other CPU keep rings going while the parent asks: one removes
 * its guest's oldest device and adds a new one, the other closes its
 * oldest guest and opens a new one with a device. This test's binary runs
 * with no other guest, so every row is theirs.
 */
#define CHURN_RING	4

static void churn_pin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* one CPU: no matter */
}

static void churn_devs(void)
{
	uint32_t dev[CHURN_RING];
	struct vqn_guest *g;
	unsigned int i;

	churn_pin();
	if (vqn_open(&g, "churn-g"))
		_exit(1);
	for (i = 0; i < CHURN_RING; i++)
		if (vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 2, "churn", &dev[i]))
			_exit(1);
	for (i = 0;; i = (i + 1) % CHURN_RING) {
		vqn_dev_remove(g, dev[i], NULL, 0);
		if (vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 2, "churn", &dev[i]))
			_exit(1);
	}
}

static void churn_guests(void)
{
	struct vqn_guest *g[CHURN_RING] = { NULL };
	unsigned int i;
	uint32_t dev;

	churn_pin();
	for (i = 0;; i = (i + 1) % CHURN_RING) {
		if (g[i])
			vqn_close(g[i]);
		if (vqn_open(&g[i], "churn-h"))
			_exit(1);
		vqn_dev_add(g[i], VQNOTIFY_TRANSPORT_PIO, 1, "churn", &dev);
	}
}

/*
 * What is wrong in the metrics of devices: a device without its guest's
 * id, its name or its transport, or one counted with no queue (each
 * device is three samples in a row, by state, which add up to its queue
 * count). NULL when nothing is.
 */
static const char *churn_bad_metrics(const char *out)
{
	static const char prefix[] = "vqnotify_device_queues{";
	const char *line, *end, *v;
	unsigned long sum = 0;
	unsigned int n = 0;

	for (line = out; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (strncmp(line, prefix, sizeof(prefix) - 1))
			continue;
		if (memmem(line, end - line, "guest=\"\"", 8))
			return "guest=\"\"";
		if (memmem(line, end - line, "device=\"\"", 9))
			return "device=\"\"";
		if (memmem(line, end - line, "transport=\"?\"", 13))
			return "transport=\"?\"";
		v = memmem(line, end - line, "} ", 2);
		if (!v)
			return "a sample without a value";
		sum += strtoul(v + 2, NULL, 10);
		if (++n % 3)
			continue;
		if (!sum)
			return "a device of no queue";
		sum = 0;
	}
	return NULL;
}

TEST(show_during_churn)
{
	static const char *const bad[] = {
		"\"transport\":\"?\"", "\"dev\":\"\"", "\"name\":\"\"",
		"\"guest\":\"\"",
	};
	static const char *const cmd[][3] = {
		{ "-j", "queue", "show" }, { "-j", "dev", "show" },
		{ "metrics" },
	};
	unsigned int i, b, rows = 0, runs = 0;
	const char *found = NULL;
	struct timespec t0, t;
	pid_t pid[2];

	if (!have_ctl() || !have_module())
		SKIP(return, "no vqnotifyctl or module");
	pid[0] = fork();
	ASSERT_LE(0, pid[0]);
	if (!pid[0])
		churn_devs();
	pid[1] = fork();
	ASSERT_LE(0, pid[1]);
	if (!pid[1])
		churn_guests();
	/* 300 runs, or what fits in 12 s of the harness's 30 (debug kernels) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 300 && !found; i++) {
		const char *const *c = cmd[i % 3];
		struct run *r = c[1] ? RUN(c[0], c[1], c[2]) : RUN(c[0]);

		EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
		if (!c[1])
			found = churn_bad_metrics(r->out);
		for (b = 0; c[1] && b < sizeof(bad) / sizeof(bad[0]); b++)
			if (has(r->out, bad[b]))
				found = bad[b];
		EXPECT_EQ(NULL, found)
			TH_LOG("run %u: %s in %s", i, found, r->out);
		rows += has(r->out, "\"churn\"") ||
			has(r->out, "device=\"churn\"");
		free(r);
		runs++;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 12)
			break;
	}
	for (b = 0; b < 2; b++) {
		kill(pid[b], SIGKILL);
		waitpid(pid[b], NULL, 0);
	}
	/* The children's devices were caught in the dumps. */
	EXPECT_LT(0U, rows);
	ksft_print_msg("%u of %u runs showed the children's devices\n", rows,
		       runs);
}

TEST(demo)
{
	struct run *r;

	if (!have_ctl() || !have_module() || access("/examples/demo.vqn", R_OK))
		SKIP(return, "no vqnotifyctl, module or /examples/demo.vqn");
	r = RUN("replay", "/examples/demo.vqn");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "GUEST        DEVICE")) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "(r) promoted")) TH_LOG("%s", r->out);
	free(r);
}

TEST_HARNESS_MAIN
