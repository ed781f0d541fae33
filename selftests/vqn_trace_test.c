// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints as a tracer decodes them: trace-cmd (libtraceevent,
 * reading the event formats the kernel exports) records vqnotify:* while
 * a guest is granted, refused and reset, and its report must show every
 * field by name (states, labels and reasons as words), never
 * "[FAILED TO PARSE]" nor a raw number where a name belongs.
 *
 * trace-cmd is /bin/trace-cmd in the rig's VM (scripts/vm-test.sh copies
 * Debian's with its libraries); $TRACE_CMD overrides it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libvqnotify.h"

#define REPORT_MAX	(1 << 20)
#define TRACE_DAT	"/tmp/vqn-trace.dat"

static const char *trace_cmd(void)
{
	const char *p = getenv("TRACE_CMD");

	return p && *p ? p : "/bin/trace-cmd";
}

/* Run trace-cmd with @args; its stdout into @out (REPORT_MAX) if given. */
static int run(char *out, const char *const *args)
{
	const char *argv[16] = { trace_cmd() };
	int fd = -1, st, i;
	ssize_t n, got = 0;
	pid_t pid;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	if (out)
		fd = memfd_create("report", 0);
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(out ? fd : null, 1);
		dup2(null, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	if (out) {
		lseek(fd, 0, SEEK_SET);
		while (got < REPORT_MAX - 1 &&
		       (n = read(fd, out + got, REPORT_MAX - 1 - got)) > 0)
			got += n;
		out[got] = '\0';
		close(fd);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define TRACE(out, ...) run(out, (const char *const[]){ __VA_ARGS__, NULL })

/* The report's line of @event holding @fields, or NULL. */
static const char *find_line(const char *report, const char *event,
			     const char *fields)
{
	const char *l;

	for (l = report; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *e = strchr(l, '\n');
		const char *ev = strstr(l, event);
		const char *f = strstr(l, fields);

		if (ev && f && (!e || f < e) && ev < f)
			return l;
	}
	return NULL;
}

FIXTURE(trace) {
	char *report;
	struct vqn_guest *g;
};

FIXTURE_SETUP(trace)
{
	struct stat st;

	self->g = NULL;
	self->report = malloc(REPORT_MAX);
	ASSERT_NE(NULL, self->report);
	if (access(trace_cmd(), X_OK))
		SKIP(return, "no %s", trace_cmd());
	if (access("/dev/vqnotify", F_OK))
		SKIP(return, "no /dev/vqnotify");
	/* As a tracer finds it; debugfs alone may not show it. */
	if (stat("/sys/kernel/tracing/events", &st))
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (access("/sys/kernel/tracing/events", F_OK))
		SKIP(return, "no tracefs events (kernel without tracing)");
	/* Events, but not the module's: they are gone or renamed. */
	ASSERT_EQ(0, access("/sys/kernel/tracing/events/vqnotify", F_OK));
	TRACE(NULL, "reset");
}

FIXTURE_TEARDOWN(trace)
{
	vqn_close(self->g);
	if (self->report)
		TRACE(NULL, "reset");
	unlink(TRACE_DAT);
	free(self->report);
}

/*
 * trace-cmd reads every event format of the kernel to extract and report:
 * under TCG that takes 20-40 s, so more than the harness's default 30.
 */
TEST_F_TIMEOUT(trace, report_decodes_every_field, 240)
{
	struct timespec t0, t1;
	struct vqnotify_guest_info gi;
	struct vqn_result res[8];
	char want[160];
	const char *l;
	uint32_t dev;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, TRACE(NULL, "start", "-e", "vqnotify"));
	/*
	 * Budget 7 (the threshold: not limited), eight queues: seven granted
	 * (b), the last refused (no-slot), then a reset (g).
	 */
	ASSERT_EQ(0, vqn_open(&self->g, "traced"));
	ASSERT_EQ(0, vqn_set_budget(self->g, 7));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 8, "tdev",
				 &dev));
	ASSERT_EQ(8, vqn_set_status(self->g, dev, 0x0f, NULL, res, 8));
	ASSERT_LE(0, vqn_dev_reset(self->g, dev, res, 8));
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	ASSERT_EQ(0, TRACE(NULL, "stop"));
	ASSERT_EQ(0, TRACE(NULL, "extract", "-o", TRACE_DAT));
	ASSERT_EQ(0, TRACE(self->report, "report", "-i", TRACE_DAT));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ksft_print_msg("trace-cmd start to report: %ld s\n",
		       (long)(t1.tv_sec - t0.tv_sec));

	EXPECT_EQ(NULL, strstr(self->report, "FAILED TO PARSE"))
		TH_LOG("%s", self->report);
	snprintf(want, sizeof(want),
		 "guest=%u dev=%u queue=0 old=deassigned new=assigned label=b reason=granted",
		 gi.guest_id, dev);
	EXPECT_NE(NULL, find_line(self->report, "vq_transition:", want))
		TH_LOG("no '%s' in:\n%s", want, self->report);
	snprintf(want, sizeof(want),
		 "guest=%u dev=%u queue=7 state=deassigned reason=no-slot",
		 gi.guest_id, dev);
	EXPECT_NE(NULL, find_line(self->report, "vq_refusal:", want))
		TH_LOG("no '%s' in:\n%s", want, self->report);
	snprintf(want, sizeof(want),
		 "guest=%u dev=%u queue=0 old=assigned new=deassigned label=g reason=reset",
		 gi.guest_id, dev);
	EXPECT_NE(NULL, find_line(self->report, "vq_transition:", want))
		TH_LOG("no '%s' in:\n%s", want, self->report);
	/* One vq_call a call: DRIVER_OK's eight results, the reset's seven. */
	snprintf(want, sizeof(want), "guest=%u dev=%u results=8 runs=",
		 gi.guest_id, dev);
	EXPECT_NE(NULL, find_line(self->report, "vq_call:", want))
		TH_LOG("no '%s' in:\n%s", want, self->report);
	snprintf(want, sizeof(want), "guest=%u dev=%u results=7 runs=",
		 gi.guest_id, dev);
	EXPECT_NE(NULL, find_line(self->report, "vq_call:", want))
		TH_LOG("no '%s' in:\n%s", want, self->report);
	/* A value __print_symbolic() does not know is printed in hex. */
	for (l = self->report; (l = strstr(l, "vq_")); l++) {
		const char *e = strchr(l, '\n');
		const char *x = strstr(l, "=0x");

		EXPECT_TRUE(!x || (e && x > e)) TH_LOG("%.120s", l);
	}
}

TEST_HARNESS_MAIN
