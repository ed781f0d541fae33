// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl replay, run as a user would: scripts from a file and from
 * stdin, JSON, events, save/load, expect lines, API 2 commands, the QEMU
 * lifecycle example, settle, and malformed scripts (FILE:LINE: error, exit
 * 2, nothing run).
 */
#define _GNU_SOURCE
#include "vqnotifyctl_utils.h"

CTL_FIXTURE(ctl)

/* replay */

static const char good_script[] =
	"# a comment\n"
	"guest vm1            # trailing comment\n"
	"dev vm1 net pio 3\n"
	"\n"
	"driver-ok net ready 0-1\n"
	"expect net 0 assigned granted\n"
	"expect net 2 deassigned not-ready\n"
	"vhost net 2 on\n"
	"expect net 2 offlimits\n"
	"status net 0x0b\n"
	"expect net 0 deassigned stopped\n"
	"reset net\n"
	"show\n"
	"echo \"all  done\"\n";

TEST_F(ctl, replay_file)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path, good_script));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "DEASSIGNED -> ASSIGNED   (b) granted"));
	EXPECT_TRUE(has(r->out, "refused: not-ready"));
	EXPECT_TRUE(has(r->out, "DEASSIGNED -> OFFLIMITS  (c) vhost"));
	EXPECT_TRUE(has(r->out, "(s) stopped"));
	EXPECT_TRUE(has(r->out, "(g) reset"));
	EXPECT_TRUE(has(r->out, "GUEST"));
	EXPECT_TRUE(has(r->out, "all  done"));
	EXPECT_STREQ("", r->err);
	free(r);
}

TEST_F(ctl, replay_stdin)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = run_as(0, good_script, (const char *[]){ "replay", "-", NULL });
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "(b) granted"));
	free(r);
}

TEST_F(ctl, replay_json)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("-j", "replay", script(self->path, good_script));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(json_lines(r->out)) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "\"label\":\"b\""));
	EXPECT_TRUE(has(r->out, "\"queues\":["));
	free(r);
}

/*
 * echo prints its whole text, -j too (which cut it at 511 bytes, there in
 * the middle of a UTF-8 sequence): no module needed. On a terminal not in
 * UTF-8 (the VM has no other locale), as names, each non-ASCII character
 * as its escape; in UTF-8 as it is (user/tests/replay_test.c).
 */
TEST_F(ctl, replay_echo_whole)
{
	char text[1024], line[1100], want[2600];
	struct run *r;
	int i, n;

	n = sprintf(text, "xy");
	for (i = 0; i < 400; i++)
		n += sprintf(text + n, "\xc3\xa9");
	snprintf(line, sizeof(line), "echo \"%s\" end\n", text);
	r = RUN("-j", "replay", script(self->path, line));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(json_lines(r->out)) TH_LOG("%s", r->out);
	snprintf(want, sizeof(want), "\"echo\":\"%s end\"", text);
	EXPECT_TRUE(has(r->out, want)) TH_LOG("%s", r->out);
	free(r);
	setenv("LC_ALL", "C", 1);
	r = RUN("replay", self->path);
	unsetenv("LC_ALL");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	n = sprintf(want, "xy");
	for (i = 0; i < 400; i++)
		n += sprintf(want + n, "\\u00e9");
	sprintf(want + n, " end\n");
	EXPECT_TRUE(has(r->out, want)) TH_LOG("%s", r->out);
	free(r);
}

/* Preemption (p) and promotion (r) are printed as events. */
TEST_F(ctl, replay_events)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path,
		"guest vm budget 7\n"
		"dev vm blk mmio 4\n"
		"dev vm net mmio 4\n"
		"driver-ok blk\n"
		"driver-ok net\n"
		"expect net 3 deassigned no-slot\n"
		"vhost net 3 on\n"
		"expect net 2 deassigned preempt-vhost\n"
		"reset blk\n"
		"expect net 2 assigned promoted\n"));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "(p) preempt-vhost  [event]"));
	EXPECT_TRUE(has(r->out, "(r) promoted  [event]"));
	free(r);
}

TEST_F(ctl, replay_save_load)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path,
		"guest src\n"
		"guest dst\n"
		"dev src a mmio 2\n"
		"driver-ok a\n"
		"save a blob\n"
		"dev dst b mmio 2\n"
		"load b blob\n"
		"expect b 1 assigned\n"
		"expect-error EBUSY load b blob\n"
		"close src\n"
		"close dst\n"));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "saved"));
	free(r);
}

TEST_F(ctl, replay_expect_error)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path,
		"guest vm budget 6\n"
		"dev vm net mmio 8\n"
		"vhost net 0 on\n"
		"expect-error EALREADY vhost net 0 on\n"
		"vhost net 1 on\nvhost net 2 on\nvhost net 3 on\n"
		"vhost net 4 on\nvhost net 5 on\n"
		"expect-error ENOSPC vhost net 6 on\n"
		"expect-error EINVAL vhost net 8 on\n"
		"remove net\n"
		"expect-error ENOENT reset net\n"));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "failed as expected: ENOSPC"));
	free(r);
}

TEST_F(ctl, replay_no_file_arg)
{
	struct run *r = RUN("replay");

	EXPECT_EQ(2, r->status);
	free(r);
}

TEST_F(ctl, replay_missing_file)
{
	struct run *r = RUN("replay", "/nonexistent.vqn");

	EXPECT_EQ(2, r->status);
	EXPECT_TRUE(has(r->err, "/nonexistent.vqn"));
	free(r);
}

/* A failing step: line number, exit 1, nothing after it runs. */
TEST_F(ctl, replay_expect_fails)
{
	struct run *r;
	char want[128];

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path,
		"guest vm\n"
		"dev vm d mmio 1\n"
		"expect d 0 assigned\n"
		"echo AFTER\n"));
	EXPECT_EQ(1, r->status);
	snprintf(want, sizeof(want), "%s:3: error: expected d q0 ASSIGNED",
		 self->path);
	EXPECT_TRUE(has(r->err, want)) TH_LOG("%s", r->err);
	EXPECT_FALSE(has(r->out, "AFTER"));
	free(r);
}

TEST_F(ctl, replay_expect_error_mismatch)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path,
		"guest vm\n"
		"dev vm d mmio 1\n"
		"expect-error ENOSPC vhost d 0 on\n"));
	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, ":3: error: 'vhost' succeeded, expected ENOSPC"))
		TH_LOG("%s", r->err);
	free(r);
}

/* API 2 in replay */

/* The example replay of a QEMU 7.2 lifecycle: its expect lines are a test. */
static const char *example(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("VQN_EXAMPLES");

	snprintf(buf, len, "%s/%s", dir && *dir ? dir : "/examples", name);
	return buf;
}

TEST_F(ctl, replay_qemu_lifecycle)
{
	char path[256];
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	example("qemu-lifecycle.vqn", path, sizeof(path));
	ASSERT_EQ(0, access(path, R_OK)) TH_LOG("%s: %s", path,
						strerror(errno));
	r = RUN("replay", path);
	EXPECT_EQ(0, r->status) TH_LOG("%s\n%s", r->out, r->err);
	EXPECT_STREQ("", r->err);
	EXPECT_TRUE(has(r->out, "(x) kvm-refused"));
	EXPECT_TRUE(has(r->out, "(x) released"));
	EXPECT_TRUE(has(r->out, "(q) granted"));
	EXPECT_TRUE(has(r->out, "ASSIGNED   -> OFFLIMITS  (d) vhost"));
	EXPECT_TRUE(has(r->out, "src: stopped, slots kept"));
	EXPECT_TRUE(has(r->out, "failed as expected: EBUSY"));
	EXPECT_TRUE(has(r->out, "dst \"vm1 8d2a5c1e-"));
	EXPECT_TRUE(has(r->out, "== 11. quit"));
	free(r);

	r = RUN("-j", "replay", path);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(json_lines(r->out)) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "\"run_state\":\"stopped\""));
	EXPECT_TRUE(has(r->out, "\"reason\":\"kvm-refused\""));
	free(r);
}

/* acquire, release (kvm-refused, reset) and batched vhost, each errno. */
TEST_F(ctl, replay_queue_ops)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path,
		"guest vm budget 8\n"
		"dev vm blk mmio 4\n"
		"dev vm net mmio 10\n"
		"status blk 0x0b\n"
		"acquire blk 0,2\n"
		"expect blk 0,2 assigned granted initialised=1\n"
		"expect blk 1 deassigned initialised=0\n"
		"release blk 0 kvm-refused\n"
		"expect blk 0 deassigned kvm-refused\n"
		"release blk 2 reset\n"
		"expect blk 2 deassigned released initialised=0\n"
		"expect guest vm used=0 s=0 q=2 x=2\n"
		"expect-error ENOSPC vhost net all on\n"
		"expect guest vm used=0 offlimits=0\n"
		"driver-ok blk\n"
		"expect guest vm used=4 assigned=4 b=4\n"
		"vhost net 0-5 on\n"
		"expect net 0-5 offlimits vhost\n"
		"expect blk 2-3 deassigned preempt-vhost waiting=1\n"
		"expect guest vm used=8 offlimits=6 assigned=2 waiting=2 p=2\n"
		"expect-error EBUSY release net 0-1\n"
		"expect-error EBUSY acquire net 3\n"
		"vhost net 0-5 off\n"
		"expect-error EALREADY vhost net 0 off\n"
		"expect blk all assigned\n"
		"expect guest vm used=4 waiting=0 r=2\n"
		"expect-error EINVAL acquire blk none\n"
		"expect-error EINVAL release blk 4\n"
		"release blk 2-3\n"
		"expect blk 2-3 deassigned released waiting=0\n"
		"expect guest vm used=2 waiting=0\n"
		"close vm\n"));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "(q) granted"));
	EXPECT_TRUE(has(r->out, "(x) kvm-refused"));
	EXPECT_TRUE(has(r->out, "failed as expected: ENOSPC"));
	free(r);
}

/*
 * autoshow: after each step that changes queues, each guest's line and a
 * grid of its devices' queue states, six queues a row.
 */
TEST_F(ctl, replay_autoshow)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path,
		"autoshow on\n"
		"guest vm1 budget 16\n"
		"guest vm2 budget 16\n"
		"dev vm1 net mmio 8\n"
		"dev vm1 blk pio 1\n"
		"dev vm2 rng mmio 2\n"
		"driver-ok net ready 0-6\n"
		"vhost rng 1 on\n"));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "vm1: budget 16, used 7 (7 assigned, 0 offlimits)"))
		TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "  net        0:ASSIGNED    1:ASSIGNED "))
		TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "  5:ASSIGNED\n"
				"             6:ASSIGNED    7:DEASSIGNED\n"
				"  blk        0:DEASSIGNED\n"))
		TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "vm2: budget 16, used 1 (0 assigned, 1 offlimits)"))
		TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "  rng        0:DEASSIGNED  1:OFFLIMITS\n"))
		TH_LOG("%s", r->out);
	free(r);
}

/* run-state: PARKED slots while stopped, the guest line says so. */
TEST_F(ctl, replay_run_state)
{
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	r = RUN("replay", script(self->path,
		"guest vm\n"
		"dev vm d mmio 3\n"
		"driver-ok d ready 0-1\n"
		"vhost d 1 on\n"
		"run-state vm stopped\n"
		"expect d 0 assigned parked=1\n"
		"expect d 1 offlimits parked=0\n"
		"expect d 2 deassigned parked=0\n"
		"expect guest vm used=2 run-state=stopped\n"
		"show\n"
		"run-state vm running\n"
		"expect d 0 assigned parked=0\n"
		"expect guest vm run-state=running\n"));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "STOPPED (slots parked)"));
	EXPECT_TRUE(has(r->out, "vm: running"));
	free(r);

	/* An expectation that does not hold fails the step. */
	r = RUN("replay", script(self->path,
		"guest vm\n"
		"dev vm d mmio 1\n"
		"driver-ok d\n"
		"expect d 0 assigned parked=1\n"));
	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, ":4: error: expected d q0 parked=1, it is not"))
		TH_LOG("%s", r->err);
	free(r);
}

/* Names of 127 bytes (API 2); 128 is ENAMETOOLONG. */
TEST_F(ctl, replay_long_names)
{
	char text[2048], n127[128], n128[129];
	struct run *r;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	memset(n127, 'n', 127);
	n127[127] = '\0';
	memcpy(n127, "/machine/peripheral/net0 ", 25);
	memset(n128, 'x', 128);
	n128[128] = '\0';
	snprintf(text, sizeof(text),
		 "guest vm name \"%s\"\n"
		 "show\n"
		 "dev vm d mmio 1 name \"%s\"\n"
		 "expect-error ENAMETOOLONG name vm \"%s\"\n"
		 "expect-error ENAMETOOLONG dev vm e mmio 1 name \"%s\"\n"
		 "guest %.127s\n"
		 "name vm \"uuid 8d2a5c1e\"\n"
		 "show\n", n127, n127, n128, n128, n128);
	r = RUN("replay", script(self->path, text));
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	snprintf(text, sizeof(text), "vm \"%s\": budget", n127);
	EXPECT_TRUE(has(r->out, text)) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "vm \"uuid 8d2a5c1e\": budget"));
	free(r);
}

/* The module's defaults again, whatever a test left. */
static void restore_host_cap(uint32_t cap)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", cap);
	free(RUN("config", "set", "host-cap", v));
}

/*
 * Replay @text from stdin, its output read from a pipe as it comes; close
 * @fd 100 ms after the output holds @when (inside a settle's 2 s of quiet,
 * with 1.9 s left for the close's promotions to reach it, a loaded
 * machine's reading of the pipe included; after a settle that does not
 * wait has returned, at once). stderr goes with stdout.
 */
static struct run *run_closing(const char *text, const char *when, int fd)
{
	struct run *r = calloc(1, sizeof(*r));
	int in = memfd_create("in", 0), out[2], st;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (write(in, text, strlen(text)) < 0 || pipe(out))
		return r;
	lseek(in, 0, SEEK_SET);
	pid = fork();
	if (!pid) {
		dup2(in, 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execlp(ctl(), ctl(), "replay", "-", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(in);
	while (len < OUT_MAX - 1 &&
	       (n = read(out[0], r->out + len, OUT_MAX - 1 - len)) > 0) {
		len += n;
		r->out[len] = '\0';
		if (fd >= 0 && strstr(r->out, when)) {
			usleep(100 * 1000);
			close(fd);
			fd = -1;
		}
	}
	close(out[0]);
	if (fd >= 0)
		close(fd);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return r;
}

/*
 * host-cap, guest and host totals, settle: a guest closing frees host
 * slots, and the module's work item promotes another guest's queues.
 */
TEST_F(ctl, replay_host_cap_settle)
{
	struct vqnotify_info i;
	char text[2048], *settled, *p;
	struct run *r;
	int fd, n;

	if (!have_module())
		SKIP(return, "no /dev/vqnotify");
	fd = tk_open(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, _test_ioctl_get_info(fd, &i));
	close(fd);
	i.nr_guests--;		/* that was us */
	/*
	 * 16 host slots held by a, 24 queues of b, c, d waiting for them: a
	 * closes, the work item hands the 16 out round-robin in the order the
	 * guests started waiting (6, 5, 5) while the replay goes on.
	 */
	snprintf(text, sizeof(text),
		 "expect host used=%u cap=%u guests=%u\n"
		 "host-cap %u\n"
		 "guest a\n"
		 "dev a x mmio 16\n"
		 "driver-ok x\n"
		 "guest b\nguest c\nguest d\n"
		 "dev b yb mmio 8\ndev c yc mmio 8\ndev d yd mmio 8\n"
		 "driver-ok yb\ndriver-ok yc\ndriver-ok yd\n"
		 "expect yb all deassigned host-cap waiting=1\n"
		 "expect guest b used=0 waiting=8\n"
		 "expect host used=%u guests=%u\n"
		 "close a\n"
		 "settle 10000 2000\n"
		 "expect guest b used=6 assigned=6 waiting=2 r=6\n"
		 "expect guest c used=5 waiting=3 r=5\n"
		 "expect guest d used=5 waiting=3 r=5\n"
		 "expect yb 0-5 assigned promoted\n"
		 "expect host used=%u guests=%u\n"
		 "host-cap %u\n"
		 "expect host cap=%u\n",
		 i.host_used, i.host_cap, i.nr_guests, i.host_used + 16,
		 i.host_used + 16, i.nr_guests + 4, i.host_used + 16,
		 i.nr_guests + 3, i.host_cap, i.host_cap);
	r = RUN("replay", script(self->path, text));
	restore_host_cap(i.host_cap);
	EXPECT_EQ(0, r->status) TH_LOG("%s\n%s", r->out, r->err);
	EXPECT_TRUE(has(r->out, "host cap now"));
	/* settle printed all 16 promotions before it returned. */
	settled = strstr(r->out, "settled: no event for 2000 ms");
	ASSERT_TRUE(settled != NULL) TH_LOG("%s", r->out);
	for (p = r->out, n = 0; (p = strstr(p, "(r) promoted  [event]")) &&
	     p < settled; p++)
		n++;
	EXPECT_EQ(16, n) TH_LOG("%s", r->out);
	free(r);

	/*
	 * Another process frees the host slots while the replay is in
	 * settle: settle must wait for the promotions it did not cause
	 * itself, or the next line finds the queues still waiting.
	 */
	snprintf(text, sizeof(text), "%u", i.host_used + 16);
	free(RUN("config", "set", "host-cap", text));
	fd = ctl_open_guest(NULL, 16, NULL);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	r = run_closing("guest b\n"
			"dev b y mmio 8\n"
			"driver-ok y\n"
			"expect y all deassigned host-cap waiting=1\n"
			"settle 5000 2000\n"
			"expect guest b used=8 assigned=8 waiting=0 r=8\n",
			"> settle", fd);
	restore_host_cap(i.host_cap);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->out);
	ASSERT_TRUE(has(r->out, "settled:")) TH_LOG("%s", r->out);
	/* The margin: the promotions came some 100 ms in, quiet is 2 s. */
	TH_LOG("%.*s", (int)strcspn(strstr(r->out, "settled:"), "\n"),
	       strstr(r->out, "settled:"));
	free(r);

	/* Totals that do not hold fail the step; the host cap is admin's. */
	r = RUN("replay", script(self->path,
		"guest vm\n"
		"expect guest vm used=1\n"));
	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, ":2: error: expected vm used=1, it is 0"))
		TH_LOG("%s", r->err);
	free(r);
	r = run_as(NOBODY, "expect-error EPERM host-cap 1\n",
		   (const char *[]){ "replay", "-", NULL });
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "failed as expected: EPERM"));
	free(r);
}

/* Malformed scripts: FILE:LINE: error, exit 2, nothing run at all. */
FIXTURE(malformed) {
	char path[64];
};

FIXTURE_VARIANT(malformed) {
	const char *line;	/* becomes line 4 */
	const char *msg;
};

FIXTURE_VARIANT_ADD(malformed, unknown_command) {
	.line = "frobnicate d", .msg = "unknown command 'frobnicate'",
};
FIXTURE_VARIANT_ADD(malformed, unknown_device) {
	.line = "reset nope", .msg = "unknown device 'nope'",
};
FIXTURE_VARIANT_ADD(malformed, unknown_guest) {
	.line = "budget nope 3", .msg = "unknown guest 'nope'",
};
FIXTURE_VARIANT_ADD(malformed, bad_transport) {
	.line = "dev vm e usb 1", .msg = "bad transport 'usb'",
};
FIXTURE_VARIANT_ADD(malformed, zero_queues) {
	.line = "dev vm e mmio 0", .msg = "queue count 0 not in 1-1024",
};
FIXTURE_VARIANT_ADD(malformed, duplicate_device) {
	.line = "dev vm d mmio 1", .msg = "device 'd' already exists",
};
FIXTURE_VARIANT_ADD(malformed, not_a_number) {
	.line = "vhost d x on", .msg = "queue: 'x' is not a number",
};
FIXTURE_VARIANT_ADD(malformed, queue_out_of_range) {
	.line = "vhost d 2 on", .msg = "device 'd' has no queue 2",
};
FIXTURE_VARIANT_ADD(malformed, on_or_off) {
	.line = "vhost d 0 maybe", .msg = "usage: vhost DEV Q on|off",
};
FIXTURE_VARIANT_ADD(malformed, status_not_a_byte) {
	.line = "status d 0x100", .msg = "status 0x100 is not a byte",
};
FIXTURE_VARIANT_ADD(malformed, ready_list) {
	.line = "driver-ok d ready 0-5",
	.msg = "queue list '0-5': out of range 0-1",
};
FIXTURE_VARIANT_ADD(malformed, bad_state) {
	.line = "expect d 0 sideways", .msg = "bad state 'sideways'",
};
FIXTURE_VARIANT_ADD(malformed, bad_errno) {
	.line = "expect-error ENOTANERRNO reset d",
	.msg = "unknown errno name 'ENOTANERRNO'",
};
FIXTURE_VARIANT_ADD(malformed, expect_error_show) {
	.line = "expect-error ENOENT show",
	.msg = "'show' cannot follow expect-error",
};
FIXTURE_VARIANT_ADD(malformed, load_unsaved) {
	.line = "load d nothing", .msg = "variable 'nothing' was never saved",
};
FIXTURE_VARIANT_ADD(malformed, bad_name) {
	.line = "guest a/b", .msg = "bad guest name 'a/b'",
};
FIXTURE_VARIANT_ADD(malformed, open_twice) {
	.line = "guest vm", .msg = "guest 'vm' is already open",
};
FIXTURE_VARIANT_ADD(malformed, unterminated_quote) {
	.line = "echo \"oops", .msg = "unterminated quote",
};
FIXTURE_VARIANT_ADD(malformed, too_few_args) {
	.line = "dev vm", .msg = "usage: dev GUEST NAME",
};
FIXTURE_VARIANT_ADD(malformed, run_state_value) {
	.line = "run-state vm paused",
	.msg = "usage: run-state GUEST stopped|running",
};
FIXTURE_VARIANT_ADD(malformed, release_word) {
	.line = "release d 0 later",
	.msg = "usage: release DEV LIST [kvm-refused] [reset]",
};
FIXTURE_VARIANT_ADD(malformed, acquire_range) {
	.line = "acquire d 0-2", .msg = "queue list '0-2': out of range 0-1",
};
FIXTURE_VARIANT_ADD(malformed, vhost_list) {
	.line = "vhost d 1,x on", .msg = "bad queue list '1,x'",
};
FIXTURE_VARIANT_ADD(malformed, guest_key) {
	.line = "expect guest vm slots=1", .msg = "unknown guest key 'slots'",
};
FIXTURE_VARIANT_ADD(malformed, host_key) {
	.line = "expect host slots=1", .msg = "unknown host key 'slots'",
};
FIXTURE_VARIANT_ADD(malformed, run_state_key) {
	.line = "expect guest vm run-state=paused",
	.msg = "run-state: running or stopped, not 'paused'",
};
FIXTURE_VARIANT_ADD(malformed, vq_flag) {
	.line = "expect d 0 assigned parked=2", .msg = "bad flag 'parked=2'",
};
FIXTURE_VARIANT_ADD(malformed, long_name) {
	.line = "name vm \"" "0123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789" "01234567\"",
	.msg = "bad name '0123456789",
};
FIXTURE_VARIANT_ADD(malformed, host_cap_number) {
	.line = "host-cap lots", .msg = "host cap: 'lots' is not a number",
};
FIXTURE_VARIANT_ADD(malformed, settle_args) {
	.line = "settle 1 2 3",
	.msg = "usage: settle [TIMEOUT_MS [QUIET_MS]]",
};
FIXTURE_VARIANT_ADD(malformed, settle_quiet_number) {
	.line = "settle 1000 soon", .msg = "quiet time: 'soon' is not a number",
};

FIXTURE_SETUP(malformed)
{
	self->path[0] = '\0';
	if (!have_ctl())
		SKIP(return, "no vqnotifyctl");
}

FIXTURE_TEARDOWN(malformed)
{
	if (self->path[0])
		unlink(self->path);
}

TEST_F(malformed, line_number_and_nothing_run)
{
	char text[256], want[256];
	struct run *r;

	/* Line 5 would open the second guest and print: it must not. */
	snprintf(text, sizeof(text),
		 "guest vm\ndev vm d mmio 2\necho BEFORE\n%s\necho AFTER\n",
		 variant->line);
	r = RUN("replay", script(self->path, text));
	EXPECT_EQ(2, r->status);
	snprintf(want, sizeof(want), "%s:4: error: %s", self->path,
		 variant->msg);
	EXPECT_TRUE(has(r->err, want)) TH_LOG("stderr: %s", r->err);
	EXPECT_FALSE(has(r->out, "BEFORE"));
	EXPECT_FALSE(has(r->out, "AFTER"));
	free(r);
}

TEST_HARNESS_MAIN
