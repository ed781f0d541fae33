// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl as the users of ip(8), devlink(8) and Prometheus use it:
 * abbreviations and -json, "Error: <extack>", ENOENT for a missing object
 * in every show, names beside ids in the monitor and its filters and
 * timestamps, metrics on stdout and over HTTP, and tenants' hostile names
 * escaped by every printer.
 *
 * What only a real parser can judge goes to the host: the output of every
 * -j command and of metrics is written, as records, to the guest's second
 * serial port ($VQN_OUT, default /dev/ttyS1; the rig puts it in
 * build/logs/KERNEL.out), where scripts/check-output.py validates the JSON
 * against Documentation/vqnotifyctl.schema.json and the metrics with
 * prometheus_client's parsers. A record is
 *
 *	VQN-OUT BEGIN <kind> <name> <bytes>\n<bytes>\nVQN-OUT END\n
 *
 * with kind json (one document), jsonl (one per line), prom, om
 * (OpenMetrics) or names (the tenants' names, hex, one per line).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libvqnotify.h"
#include "vqnotifyctl_utils.h"

#define HTTP_PORT	9617

/* Records for the host */

static int out_fd = -2;

static void out_record(const char *kind, const char *name, const char *buf,
		       size_t len)
{
	char hdr[160];

	if (out_fd == -2) {
		const char *p = getenv("VQN_OUT");
		struct termios t;

		out_fd = open(p && *p ? p : "/dev/ttyS1",
			      O_WRONLY | O_NOCTTY | O_APPEND | O_CLOEXEC);
		/* A serial port: raw, so the bytes arrive as written. */
		if (out_fd >= 0 && !tcgetattr(out_fd, &t)) {
			cfmakeraw(&t);
			tcsetattr(out_fd, TCSANOW, &t);
		}
	}
	if (out_fd < 0)
		return;
	snprintf(hdr, sizeof(hdr), "VQN-OUT BEGIN %s %s %zu\n", kind, name,
		 len);
	if (write(out_fd, hdr, strlen(hdr)) < 0 || write(out_fd, buf, len) < 0 ||
	    write(out_fd, "\nVQN-OUT END\n", 13) < 0)
		return;
	tcdrain(out_fd);
}

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

/* Text: no control byte but '\n', no DEL, valid UTF-8. */
static bool clean_text(const char *s, char *why, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		int n = 0, i;

		if ((*p < 0x20 && *p != '\n') || *p == 0x7f) {
			snprintf(why, len, "control byte 0x%02x at %zd", *p,
				 (const char *)p - s);
			return false;
		}
		if (*p < 0x80)
			continue;
		n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
		    (*p & 0xf8) == 0xf0 ? 3 : -1;
		for (i = 1; n > 0 && i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = -1;
		if (n < 0) {
			snprintf(why, len, "invalid UTF-8 at %zd",
				 (const char *)p - s);
			return false;
		}
		p += n;
	}
	return true;
}

static bool line_starts(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	for (; s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (!strncmp(s, prefix, n))
			return true;
	return false;
}

/* Every table shows the names escaped; none can forge a row. */
TEST_F(tenants, text_escaped)
{
	static const char *const cmds[][3] = {
		{ "guest", "show", NULL }, { "dev", "show", NULL },
		{ "queue", "show", NULL }, { "stats", NULL, NULL },
		{ "metrics", NULL, NULL },
	};
	char why[128];
	unsigned int i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run *r = run_as(0, NULL, (const char **)cmds[i]);

		EXPECT_EQ(0, r->status) TH_LOG("%s: %s", cmds[i][0], r->err);
		EXPECT_TRUE(clean_text(r->out, why, sizeof(why)))
			TH_LOG("%s: %s", cmds[i][0], why);
		EXPECT_FALSE(line_starts(r->out, "1     prod-db"))
			TH_LOG("%s: a forged row", cmds[i][0]);
		if (self->hostile && strcmp(cmds[i][0], "metrics")) {
			EXPECT_TRUE(has(r->out, "evil\\x0a1     prod-db"))
				TH_LOG("%s", r->out);
			EXPECT_TRUE(has(r->out, "\\x1b[2J\"q\\\\\\x7f\\xff\\xc3("))
				TH_LOG("%s", r->out);
			EXPECT_TRUE(has(r->out, "caf\xc3\xa9\\u202e!"))
				TH_LOG("%s", r->out);
		}
		if (!self->hostile && strcmp(cmds[i][0], "metrics"))
			EXPECT_TRUE(has(r->out, "q\"uote\\\\back"))
				TH_LOG("%s", r->out);
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

/* HTTP */

static int http_connect(void)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(HTTP_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @req, read the whole answer into @buf (OUT_MAX); its length. */
static ssize_t http(const char *req, size_t len, char *buf)
{
	ssize_t n, got = 0;
	int fd = http_connect();

	if (fd < 0)
		return -1;
	if (len && send(fd, req, len, MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	while (got < OUT_MAX - 1 &&
	       (n = recv(fd, buf + got, OUT_MAX - 1 - got, 0)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
	return got;
}

FIXTURE(http) {
	pid_t server;
	char *buf;
};

FIXTURE_SETUP(http)
{
	int i, fd;

	self->server = 0;
	self->buf = malloc(OUT_MAX);
	if (!have_ctl() || !have_module())
		SKIP(return, "no vqnotifyctl or no /dev/vqnotify");
	/* The debug kernel has no IPv4 (CONFIG_INET): nothing to listen on. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		const char *why = strerror(errno);

		/* Tell the host check why it gets no http records. */
		out_record("skip", "http", why, strlen(why));
		SKIP(return, "no IPv4 in this kernel: %s", why);
	}
	close(fd);
	self->server = fork();
	if (!self->server) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execlp(ctl(), ctl(), "metrics", "--listen", "127.0.0.1:9617",
		       NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		fd = http_connect();
		if (fd >= 0) {
			close(fd);
			break;
		}
		usleep(50000);
	}
	ASSERT_LT(i, 100) TH_LOG("the server never listened");
}

FIXTURE_TEARDOWN(http)
{
	int st;

	if (self->server > 0) {
		kill(self->server, SIGTERM);
		waitpid(self->server, &st, 0);
		EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st))
			TH_LOG("the server did not exit 0 on SIGTERM");
	}
	free(self->buf);
}

#define GET(path, extra) "GET " path " HTTP/1.1\r\nHost: x\r\n" extra "\r\n"

TEST_F(http, get_metrics)
{
	static const char req[] = GET("/metrics", "");
	char *body;

	ASSERT_LT(0, http(req, sizeof(req) - 1, self->buf));
	EXPECT_EQ(0, strncmp(self->buf, "HTTP/1.1 200 OK\r\n", 17))
		TH_LOG("%.200s", self->buf);
	EXPECT_TRUE(has(self->buf,
			"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	body = strstr(self->buf, "\r\n\r\n");
	ASSERT_NE(NULL, body);
	body += 4;
	EXPECT_TRUE(has(body, "# TYPE vqnotify_host_slots_cap gauge\n"));
	out_record("prom", "http", body, strlen(body));
}

TEST_F(http, get_openmetrics)
{
	static const char req[] = GET("/metrics",
		"Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n");
	char *body;

	ASSERT_LT(0, http(req, sizeof(req) - 1, self->buf));
	EXPECT_TRUE(has(self->buf, "Content-Type: application/openmetrics-text; version=1.0.0"));
	body = strstr(self->buf, "\r\n\r\n");
	ASSERT_NE(NULL, body);
	out_record("om", "http", body + 4, strlen(body + 4));
}

TEST_F(http, head_has_no_body)
{
	static const char req[] = "HEAD /metrics HTTP/1.0\r\n\r\n";
	char *end;

	ASSERT_LT(0, http(req, sizeof(req) - 1, self->buf));
	EXPECT_EQ(0, strncmp(self->buf, "HTTP/1.1 200 OK", 15));
	end = strstr(self->buf, "\r\n\r\n");
	ASSERT_NE(NULL, end);
	EXPECT_EQ('\0', end[4]);
}

TEST_F(http, errors)
{
	static const char nf[] = GET("/", ""), post[] = "POST /metrics HTTP/1.1\r\n\r\n";
	static const char junk[] = "\x16\x03\x01 hello\r\n\r\n";
	char *big = malloc(10000);

	ASSERT_LT(0, http(nf, sizeof(nf) - 1, self->buf));
	EXPECT_EQ(0, strncmp(self->buf, "HTTP/1.1 404 ", 13));
	ASSERT_LT(0, http(post, sizeof(post) - 1, self->buf));
	EXPECT_EQ(0, strncmp(self->buf, "HTTP/1.1 405 ", 13));
	EXPECT_TRUE(has(self->buf, "Allow: GET, HEAD\r\n"));
	ASSERT_LT(0, http(junk, sizeof(junk) - 1, self->buf));
	EXPECT_EQ(0, strncmp(self->buf, "HTTP/1.1 400 ", 13));
	/* A request head over 8 KiB is refused, not buffered. */
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', 10000 - 26);
	ASSERT_LT(0, http(big, 10000, self->buf));
	EXPECT_EQ(0, strncmp(self->buf, "HTTP/1.1 431 ", 13));
	free(big);
	/* And it still serves. */
	ASSERT_LT(0, http(GET("/metrics", ""), sizeof(GET("/metrics", "")) - 1,
			  self->buf));
	EXPECT_EQ(0, strncmp(self->buf, "HTTP/1.1 200 ", 13));
}

/* A client that says nothing holds the server 5 s at most. */
TEST_F(http, silent_client_times_out)
{
	struct timespec t0, t1;
	int idle = http_connect();
	double s;

	ASSERT_LE(0, idle);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_LT(0, http(GET("/metrics", ""), sizeof(GET("/metrics", "")) - 1,
			  self->buf));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	EXPECT_EQ(0, strncmp(self->buf, "HTTP/1.1 200 ", 13));
	EXPECT_LT(s, 9.0) TH_LOG("served after %.1f s", s);
	close(idle);
}

/* Errors and missing objects */

FIXTURE(errs) {
	int dummy;
};

FIXTURE_VARIANT(errs) {
	const char *argv[6];
	const char *msg;
};

FIXTURE_VARIANT_ADD(errs, guest_show) {
	.argv = { "guest", "show", "999999" }, .msg = "Error: no such guest.",
};
FIXTURE_VARIANT_ADD(errs, dev_show) {
	.argv = { "dev", "show", "999999" }, .msg = "Error: no such guest.",
};
FIXTURE_VARIANT_ADD(errs, queue_show) {
	.argv = { "queue", "show", "999999" }, .msg = "Error: no such guest.",
};
FIXTURE_VARIANT_ADD(errs, queue_show_dev) {
	.argv = { "-j", "q", "sh", "999999", "3" },
	.msg = "Error: no such guest.",
};

/* vqnotifyctl, and a module with its netlink family. */
static bool have_family(void)
{
	struct run *r;
	bool ok;

	if (!have_ctl() || !have_module())
		return false;
	r = RUN("config", "show");
	ok = !(r->status && has(r->err, "not found"));
	free(r);
	return ok;
}

FIXTURE_SETUP(errs)
{
	if (!have_family())
		SKIP(return, "no vqnotifyctl or module or its netlink family");
}

FIXTURE_TEARDOWN(errs)
{
}

/* Missing: ENOENT, exit 1, the kernel's message, nothing on stdout. */
TEST_F(errs, enoent)
{
	struct run *r = run_as(0, NULL, (const char **)variant->argv);

	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, variant->msg)) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->err, "ENOENT")) TH_LOG("%s", r->err);
	EXPECT_STREQ("", r->out);
	free(r);
}

/* A device that is not there, in a guest that is. */
TEST(enoent_device)
{
	struct vqn_guest *g;
	struct vqnotify_guest_info gi;
	char id[16];
	struct run *r;

	if (!have_family())
		SKIP(return, "no vqnotifyctl or module or its netlink family");
	ASSERT_EQ(0, vqn_open(&g, "errs"));
	ASSERT_EQ(0, vqn_guest_get(g, &gi));
	snprintf(id, sizeof(id), "%u", gi.guest_id);
	r = RUN("queue", "show", id, "77");
	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, "Error: no such device.")) TH_LOG("%s", r->err);
	free(r);
	vqn_close(g);
}

/* The kernel's extack message, as ip prints it. */
TEST(extack)
{
	struct run *r;

	if (!have_family())
		SKIP(return, "no vqnotifyctl or module or its netlink family");
	r = RUN("config", "set", "host-cap", "0");

	EXPECT_EQ(1, r->status);
	EXPECT_EQ(0, strncmp(r->err, "Error: ", 7)) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->err, "range")) TH_LOG("%s", r->err);
	free(r);
}

/* Abbreviations and option spellings: the same output as the full form. */
FIXTURE(abbrev) {
	struct vqn_guest *g;
	char id[16];
};

FIXTURE_VARIANT(abbrev) {
	const char *full[6];
	const char *abbr[6];
	bool id;	/* append the guest's id to both */
};

FIXTURE_VARIANT_ADD(abbrev, g_ls) {
	.full = { "-j", "guest", "show" }, .abbr = { "-json", "g", "ls" },
};
FIXTURE_VARIANT_ADD(abbrev, g_list) {
	.full = { "-j", "guest", "show" }, .abbr = { "--json", "g", "list" },
};
FIXTURE_VARIANT_ADD(abbrev, gu_lst) {
	.full = { "-j", "guest", "show" }, .abbr = { "-js", "gu", "lst" },
};
FIXTURE_VARIANT_ADD(abbrev, default_show) {
	.full = { "guest", "show" }, .abbr = { "guest" },
};
FIXTURE_VARIANT_ADD(abbrev, q_sh) {
	.full = { "queue", "show" }, .abbr = { "q", "sh" }, .id = true,
};
FIXTURE_VARIANT_ADD(abbrev, d_s) {
	.full = { "-j", "-p", "dev", "show" }, .abbr = { "-jp", "d", "s" },
	.id = true,
};
FIXTURE_VARIANT_ADD(abbrev, c_s) {
	.full = { "-j", "config", "show" }, .abbr = { "-json", "c", "s" },
};
FIXTURE_VARIANT_ADD(abbrev, pretty) {
	.full = { "-j", "-p", "stats" }, .abbr = { "-json", "-pretty", "st" },
};
FIXTURE_VARIANT_ADD(abbrev, help) {
	.full = { "--help" }, .abbr = { "-h" },
};
FIXTURE_VARIANT_ADD(abbrev, version) {
	.full = { "-Version" }, .abbr = { "-V" },
};

FIXTURE_SETUP(abbrev)
{
	struct vqnotify_guest_info gi;
	uint32_t dev;

	self->g = NULL;
	if (!have_ctl() || !have_module())
		SKIP(return, "no vqnotifyctl or no /dev/vqnotify");
	ASSERT_EQ(0, vqn_open(&self->g, "abbrev"));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_PIO, 2, "d",
				 &dev));
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	snprintf(self->id, sizeof(self->id), "%u", gi.guest_id);
}

FIXTURE_TEARDOWN(abbrev)
{
	vqn_close(self->g);
}

TEST_F(abbrev, same_output)
{
	const char *full[8] = { 0 }, *abbr[8] = { 0 };
	struct run *a, *b;
	int i, nf = 0, na = 0;

	for (i = 0; variant->full[i]; i++)
		full[nf++] = variant->full[i];
	for (i = 0; variant->abbr[i]; i++)
		abbr[na++] = variant->abbr[i];
	if (variant->id) {
		full[nf] = self->id;
		abbr[na] = self->id;
	}
	a = run_as(0, NULL, full);
	b = run_as(0, NULL, abbr);
	EXPECT_EQ(0, a->status) TH_LOG("%s", a->err);
	EXPECT_EQ(0, b->status) TH_LOG("%s", b->err);
	EXPECT_STREQ(a->out, b->out);
	EXPECT_NE(0UL, strlen(a->out));
	free(a);
	free(b);
}

TEST(bad_abbreviations)
{
	struct run *r;

	if (!have_ctl())
		SKIP(return, "no vqnotifyctl");
	r = RUN("guest", "s", "1", "budget", "2");	/* s is show */
	EXPECT_EQ(2, r->status);
	free(r);
	r = RUN("-x", "guest");
	EXPECT_EQ(2, r->status);
	EXPECT_TRUE(has(r->err, "unknown option '-x'"));
	free(r);
	r = RUN("zz");
	EXPECT_EQ(2, r->status);
	free(r);
}

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
 * has no name yet: libvqnotify names a guest after opening it.)
 */
TEST_F(mon, filter_names_timestamps)
{
	struct mon_run m;
	char *l;

	mon_start(&m, (const char *[]){ "-ts", "monitor", "guest", "mon-a",
					"count", "4", NULL });
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

/* Host-wide counters */

/* The value of the sample @name (with its labels) in metrics @text. */
static long long metric(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *l;

	for (l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ' ')
			return atoll(l + n + 1);
	return -1;
}

#define M_OPENED	"vqnotify_guests_opened_total"
#define M_CLOSED	"vqnotify_guests_closed_total"
#define M_DRIVER_OK	"vqnotify_transitions_total{label=\"b\",transition=\"driver_ok\"}"
#define M_NO_SLOT	"vqnotify_refusals_total{reason=\"no-slot\"}"
#define M_PREEMPT	"vqnotify_preemptions_total"
#define M_DROPPED	"vqnotify_events_dropped_total"

/*
 * They outlive the guest they counted: seven grants, a refusal, and
 * preemptions enough to overflow its event queue (the budget changed
 * behind libvqnotify's back, so nobody reads the events), then a close.
 */
TEST(host_counters_outlive_guests)
{
	static const char *const names[] = { M_OPENED, M_CLOSED, M_DRIVER_OK,
					     M_NO_SLOT, M_PREEMPT, M_DROPPED };
	long long before[6], after[6];
	struct vqn_result res[8];
	struct vqn_guest *g;
	struct run *r;
	uint32_t dev;
	int i;

	if (!have_ctl() || !have_module())
		SKIP(return, "no vqnotifyctl or no /dev/vqnotify");
	r = RUN("metrics");
	ASSERT_EQ(0, r->status);
	for (i = 0; i < 6; i++) {
		before[i] = metric(r->out, names[i]);
		ASSERT_LE(0, before[i]) TH_LOG("no %s in:\n%s", names[i], r->out);
	}
	free(r);
	ASSERT_EQ(0, vqn_open(&g, "counted"));
	ASSERT_EQ(0, vqn_set_budget(g, 7));
	ASSERT_EQ(0, vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 8, "cdev", &dev));
	ASSERT_EQ(8, vqn_set_status(g, dev, 0x0f, NULL, res, 8));
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, _test_ioctl_set_budget(vqn_fd(g), i % 2 ? 7 : 1));
	vqn_close(g);
	r = RUN("metrics");
	ASSERT_EQ(0, r->status);
	for (i = 0; i < 6; i++)
		after[i] = metric(r->out, names[i]);
	free(r);
	EXPECT_EQ(before[0] + 1, after[0]);
	EXPECT_EQ(before[1] + 1, after[1]);
	EXPECT_EQ(before[2] + 7, after[2]);
	EXPECT_EQ(before[3] + 1, after[3]);
	EXPECT_LE(before[4] + 7 * 20, after[4]);
	EXPECT_LT(before[5], after[5]);
}

/* make demo: the per-queue tables, not only the summaries. */
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
