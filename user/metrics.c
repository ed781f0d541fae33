// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl metrics: the host's slots, guests, devices and counters in
 * the Prometheus text exposition format (0.0.4), or OpenMetrics 1.0, on
 * stdout or into a file replaced whole (for node_exporter's textfile
 * collector), or served over HTTP at /metrics for a scrape.
 *
 * The HTTP server is deliberately small and dependency-free (Debian has
 * libmicrohttpd and libprom, but one static binary that answers one GET
 * does not need them): up to MAX_CONNS connections in one ppoll() loop
 * (serve()), each with REQ_TIMEOUT_MS from its accept() for its request
 * (of at most REQ_MAX bytes) and as long for its answer, GET and HEAD of
 * /metrics only, and every answer closes the connection. The answers made
 * within BODY_MAX_AGE_MS of a snapshot share its body (struct body): the
 * module is dumped at most once a second per format, and connections that
 * hold their answers by reading slowly hold a few bodies between them, not
 * a copy each. What it shows is what netlink shows the caller: run it as
 * root (CAP_NET_ADMIN) to see every guest.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "vqnotifyctl.h"

#define REQ_MAX		8192
#define REQ_TIMEOUT_MS	5000

#define CT_PROMETHEUS	"text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS	"application/openmetrics-text; version=1.0.0; charset=utf-8"

void metrics_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s metrics [format { prometheus | openmetrics }] [file FILE]\n"
		"       %s metrics { listen | --listen } { ADDR:PORT | systemd } [count N]\n"
		"The host's notification slots, guests, devices and counters\n"
		"in the Prometheus text format (default) or OpenMetrics.\n"
		"file: into FILE (for node_exporter's textfile collector, a\n"
		"*.prom file), replaced whole by a rename; a failed run\n"
		"removes it, so no stale figures stay served.\n"
		"listen: serve GET /metrics over HTTP on ADDR:PORT (numeric,\n"
		"IPv6 in brackets: [::1]:9617), or on the socket systemd\n"
		"passes (a .socket unit), 64 connections at a time, in\n"
		"OpenMetrics when the scraper accepts it; count: exit after N\n"
		"answers. Run as root to see every guest. Metric names are in\n"
		"Documentation/admin-guide.rst.\n", prog, prog);
}

/* Writer */

struct mw {
	FILE *f;
	bool om;	/* OpenMetrics: counter families without _total */
	/*
	 * A write failed. A memstream out of memory fails the write without
	 * setting the stream's error flag (glibc): the writes are checked.
	 * The last write of each line is checked, and every write after a
	 * failure fails too.
	 */
	bool failed;
};

static void family(struct mw *w, const char *name, const char *type,
		   const char *help)
{
	size_t n = strlen(name);

	if (w->om && !strcmp(type, "counter") && n > 6 &&
	    !strcmp(name + n - 6, "_total"))
		n -= 6;
	if (fprintf(w->f, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name,
		    help, (int)n, name, type) < 0)
		w->failed = true;
}

/* One sample: NAME{k="v",...} VALUE; @nl (key, value) label pairs. */
static void sample(struct mw *w, const char *name, uint64_t v, int nl, ...)
{
	va_list ap;
	int i;

	fputs(name, w->f);
	va_start(ap, nl);
	for (i = 0; i < nl; i++) {
		const char *k = va_arg(ap, const char *);
		const char *val = va_arg(ap, const char *);

		fprintf(w->f, "%s%s=\"", i ? "," : "{", k);
		put_escaped(w->f, val, ESC_PROM);
		fputc('"', w->f);
	}
	va_end(ap);
	if (fprintf(w->f, "%s %llu\n", nl ? "}" : "",
		    (unsigned long long)v) < 0)
		w->failed = true;
}

struct snapshot {
	struct nl_config c;
	struct vec guests, devs, queues;
	struct nl_stats st;
};

static void snapshot_free(struct snapshot *s)
{
	free(s->guests.v);
	free(s->devs.v);
	free(s->queues.v);
}

static int snapshot_take(struct snapshot *s)
{
	struct nl n;
	int ret;

	memset(s, 0, sizeof(*s));
	if (ctl_nl_open(&n))
		return -ENOENT;
	ret = get_config(&n, &s->c);
	/* In this order, for dumps_prune() */
	if (!ret)
		ret = dump_queues(&n, -1, -1, &s->queues);
	if (!ret)
		ret = dump_devs(&n, -1, &s->devs);
	if (!ret)
		ret = dump_guests(&n, -1, &s->guests);
	/* A module without the counters: their families are left out. */
	if (!ret)
		ret = get_stats(&n, &s->st);
	ctl_nl_close(&n);
	if (ret)
		snapshot_free(s);
	else
		dumps_prune(&s->guests, &s->devs, &s->queues);
	return ret;
}

static void write_host(struct mw *w, struct snapshot *s)
{
	static const struct {
		const char *name;
		int attr;
		const char *help;
	} host[] = {
		{ "vqnotify_host_slots_used", VQNOTIFY_A_CONFIG_HOST_USED,
		  "Notification slots (KVM ioeventfds) in use host-wide." },
		{ "vqnotify_host_slots_cap", VQNOTIFY_A_CONFIG_HOST_CAP,
		  "Host-wide cap on notification slots in use." },
		{ "vqnotify_guests", VQNOTIFY_A_CONFIG_NR_GUESTS,
		  "Open guests host-wide." },
		{ "vqnotify_default_budget_slots",
		  VQNOTIFY_A_CONFIG_DEFAULT_BUDGET,
		  "Budget of a new guest." },
		{ "vqnotify_threshold_slots", VQNOTIFY_A_CONFIG_THRESHOLD,
		  "Many-ioeventfds threshold: a guest with a budget below it is limited." },
		{ "vqnotify_default_vhost_reserve_slots",
		  VQNOTIFY_A_CONFIG_VHOST_RESERVE,
		  "vhost reserve of a new guest." },
	};
	unsigned int i;

	for (i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		family(w, host[i].name, "gauge", host[i].help);
		sample(w, host[i].name, s->c.v[host[i].attr], 0);
	}
}

/* The host-wide counters, kept by the module across guests' lives. */
static void write_counters(struct mw *w, struct snapshot *s)
{
	const struct nl_stats *st = &s->st;
	const struct {
		const char *name;
		const uint64_t *v;
		const char *help;
	} scalars[] = {
		{ "vqnotify_preemptions_total", &st->preemptions,
		  "Slots taken back from userspace queues (p)." },
		{ "vqnotify_promotions_total", &st->promotions,
		  "Waiting queues granted a freed slot (r)." },
		{ "vqnotify_events_dropped_total", &st->events_dropped,
		  "Events a guest's VMM lost to a full event queue." },
		{ "vqnotify_guests_opened_total", &st->guests_opened,
		  "Guests opened since the module was loaded." },
		{ "vqnotify_guests_closed_total", &st->guests_closed,
		  "Guests closed since the module was loaded." },
	};
	unsigned int i;

	if (!s->st.valid)
		return;
	family(w, "vqnotify_transitions_total", "counter",
	       "Queue transitions host-wide since the module was loaded, by label.");
	for (i = VQNOTIFY_LABEL_A; i < VQNOTIFY_LABEL_MAX; i++)
		sample(w, "vqnotify_transitions_total", st->transitions[i], 2,
		       "label", vqn_label_name(i), "transition",
		       transition_key(i));
	family(w, "vqnotify_refusals_total", "counter",
	       "Queues refused a slot host-wide since the module was loaded, by reason.");
	for (i = 0; i < VQNOTIFY_REASON_MAX; i++)
		if (st->refusal_valid[i])
			sample(w, "vqnotify_refusals_total", st->refusals[i],
			       1, "reason", vqn_reason_name(i));
	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		family(w, scalars[i].name, "counter", scalars[i].help);
		sample(w, scalars[i].name, *scalars[i].v, 0);
	}
}

/*
 * A guest's name, which its tenant chooses and may change at any time, is
 * a label of vqnotify_guest_info only, as node_uname_info's are: on every
 * series it made a new series per rename (unbounded series for the
 * Prometheus server), and a tenant naming its guest like another's merged
 * their series in any query by name. Queries join on the guest's id.
 */
static void write_guests(struct mw *w, struct snapshot *s)
{
	static const struct {
		const char *name;
		size_t off;
		const char *help;
	} gauges[] = {
#define G(n, f, h) { n, offsetof(struct nl_guest, f), h }
		G("vqnotify_guest_budget_slots", budget,
		  "The guest's effective budget."),
		G("vqnotify_guest_vhost_reserve_slots", reserve,
		  "Slots of the guest kept for vhost."),
		G("vqnotify_guest_slots_used", used,
		  "Slots the guest holds (assigned and offlimits queues)."),
		G("vqnotify_guest_queues_assigned", nr_assigned,
		  "Queues of the guest with a slot for userspace (ASSIGNED)."),
		G("vqnotify_guest_queues_offlimits", nr_offlimits,
		  "Queues of the guest whose slot vhost holds (OFFLIMITS)."),
		G("vqnotify_guest_queues_waiting", nr_waiting,
		  "Queues of the guest refused a slot, waiting for one."),
		G("vqnotify_guest_devices", nr_devices,
		  "Devices of the guest."),
#undef G
	};
	struct nl_guest *g = s->guests.v;
	unsigned int k, l;
	char id[16], pid[16], uid[16];
	size_t i;

	family(w, "vqnotify_guest_info", "gauge",
	       "Always 1: the guest's name, opener's pid and uid.");
	for (i = 0; i < s->guests.nr; i++) {
		snprintf(id, sizeof(id), "%u", g[i].id);
		snprintf(pid, sizeof(pid), "%u", g[i].pid);
		snprintf(uid, sizeof(uid), "%u", g[i].uid);
		sample(w, "vqnotify_guest_info", 1, 4, "guest", id, "name",
		       g[i].name, "pid", pid, "uid", uid);
	}
	for (k = 0; k < sizeof(gauges) / sizeof(gauges[0]); k++) {
		family(w, gauges[k].name, "gauge", gauges[k].help);
		for (i = 0; i < s->guests.nr; i++) {
			snprintf(id, sizeof(id), "%u", g[i].id);
			sample(w, gauges[k].name,
			       *(uint32_t *)((char *)&g[i] + gauges[k].off), 1,
			       "guest", id);
		}
	}
	family(w, "vqnotify_guest_limited", "gauge",
	       "1 when the guest's budget is below the threshold.");
	for (i = 0; i < s->guests.nr; i++) {
		snprintf(id, sizeof(id), "%u", g[i].id);
		sample(w, "vqnotify_guest_limited", g[i].limited, 1, "guest",
		       id);
	}
	family(w, "vqnotify_guest_over_budget", "gauge",
	       "1 when vhost holds more slots than the guest's budget.");
	for (i = 0; i < s->guests.nr; i++) {
		snprintf(id, sizeof(id), "%u", g[i].id);
		sample(w, "vqnotify_guest_over_budget", g[i].over_budget, 1,
		       "guest", id);
	}
	family(w, "vqnotify_guest_transitions_total", "counter",
	       "Transitions of the guest's queues since it was opened, by label.");
	for (i = 0; i < s->guests.nr; i++) {
		snprintf(id, sizeof(id), "%u", g[i].id);
		for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
			sample(w, "vqnotify_guest_transitions_total",
			       g[i].counts[l], 3, "guest", id, "label",
			       vqn_label_name(l), "transition",
			       transition_key(l));
	}
}

static void write_devices(struct mw *w, struct snapshot *s)
{
	static const char *const states[] = { "deassigned", "assigned",
					      "offlimits" };
	struct nl_dev *d = s->devs.v;
	struct nl_queue *q = s->queues.v;
	char gid[16], did[16];
	size_t i, j;

	family(w, "vqnotify_device_queues", "gauge",
	       "Queues of the device, by state.");
	/* Both sorted, every queue of a device shown (dumps_prune()). */
	for (i = 0, j = 0; i < s->devs.nr; i++) {
		uint64_t n[3] = { 0 };
		unsigned int st;

		for (; j < s->queues.nr && q[j].guest_id == d[i].guest_id &&
		       q[j].dev_id == d[i].id; j++)
			if (q[j].state < 3)
				n[q[j].state]++;
		snprintf(gid, sizeof(gid), "%u", d[i].guest_id);
		snprintf(did, sizeof(did), "%u", d[i].id);
		for (st = 0; st < 3; st++)
			sample(w, "vqnotify_device_queues", n[st], 5, "guest",
			       gid, "dev", did, "device", d[i].name,
			       "transport", vqn_transport_name(d[i].transport),
			       "state", states[st]);
	}
}

/* @s in format @om into @f: false when a write failed. */
static bool write_snapshot(FILE *f, bool om, struct snapshot *s)
{
	struct mw w = { .f = f, .om = om };

	write_host(&w, s);
	write_counters(&w, s);
	write_guests(&w, s);
	write_devices(&w, s);
	if (om && fputs("# EOF\n", f) == EOF)
		w.failed = true;
	return !w.failed;
}

/*
 * The whole exposition into @f; 0 or a negative errno of the snapshot
 * (nothing written). *@failed: a write failed, what @f holds is a part.
 */
static int write_metrics(FILE *f, bool om, bool *failed)
{
	struct snapshot s;
	int ret;

	*failed = false;
	ret = snapshot_take(&s);
	if (ret)
		return ret;
	*failed = !write_snapshot(f, om, &s);
	snapshot_free(&s);
	return 0;
}

/* After write_metrics() into @f: 0, or -errno when @f holds a part. */
static int write_flush(FILE *f, bool failed)
{
	if (fflush(f))
		return -errno;
	return failed || ferror(f) ? -EIO : 0;	/* EIO: a write failed before */
}

/*
 * A failure of the run, not of a file (the snapshot): EXIT_RUNTIME, said
 * here, or already when there is no module.
 */
static int run_failed(int err)
{
	return err == -ENOENT ? EXIT_RUNTIME : fail("metrics", err);
}

/*
 * The group of @path's directory: the collector's (Debian's node_exporter
 * directory is its user's group's), which alone may read the file. Every
 * tenant's guest names, pids and uids are in it, which a user sees of no
 * other user over netlink. 0, or -errno. A caller that may not give its
 * file that group (not root, not a member) keeps its own.
 */
static int dir_gid(const char *path, gid_t *gid)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash - path + 1) : strdup(".");
	struct stat st;
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	if (stat(dir, &st))
		ret = -errno;
	else
		*gid = st.st_gid;
	free(dir);
	return ret;
}

/*
 * metrics file PATH: written to PATH.XXXXXX beside it, then renamed over
 * it, so that a reader (node_exporter's textfile collector, which reads
 * only *.prom) sees all of this run or all of the last, never a part. A
 * run that fails removes PATH as well: the series vanish rather than stay
 * served as current (absent() alerts on them). Mode 0640, the group the
 * directory's (dir_gid()).
 */
static int write_file(const char *path, bool om)
{
	const char *what = NULL;	/* @path when a file operation failed */
	bool failed, made = false;
	char *tmp = NULL;
	FILE *f = NULL;
	int fd = -1, ret;
	gid_t gid = -1;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		ret = -ENOMEM;
		goto out;
	}
	what = path;
	fd = mkostemp(tmp, O_CLOEXEC);
	made = fd >= 0;
	ret = made ? dir_gid(path, &gid) : -errno;
	if (ret)
		goto out;
	/* mkostemp() makes it 0600: the collector runs as another user. */
	if ((gid != getegid() && fchown(fd, -1, gid) && errno != EPERM) ||
	    fchmod(fd, 0640) || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		goto out;
	}
	fd = -1;
	what = NULL;
	ret = write_metrics(f, om, &failed);
	if (ret)
		goto out;
	what = path;
	ret = write_flush(f, failed);
	if (fclose(f) && !ret)
		ret = -errno;
	f = NULL;
	if (!ret && rename(tmp, path))
		ret = -errno;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (ret) {
		if (made)
			unlink(tmp);
		unlink(path);
	}
	free(tmp);
	if (!ret)
		return EXIT_OK;
	if (!what)
		return run_failed(ret);
	err_msg("metrics: %s: %s", what, strerror(-ret));
	return EXIT_RUNTIME;
}

/* HTTP */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* "1.2.3.4:9617" or "[::1]:9617" (numeric only: no resolver). */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	uint32_t port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		n = colon - s - 1;
		s++;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		n = colon - s;
	}
	if (n >= sizeof(host) || parse_u32(colon + 1, &port) || port > 65535)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

/*
 * The listening socket systemd passes (a .socket unit: bound by PID 1 at
 * boot, before any tenant runs, so that no tenant can take the port
 * first), found as sd_listen_fds(3) finds it: LISTEN_PID is ours and
 * LISTEN_FDS 1, fd 3, a stream socket that listens. The variables are
 * unset, as sd_listen_fds(1) does. -errno, said, when there is none.
 */
#define LISTEN_FDS_START	3

static int systemd_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int fd = LISTEN_FDS_START, type = 0, acc = 0, fl, err;
	socklen_t len = sizeof(int);
	uint32_t v;

	if (!pid || !fds || parse_u32(pid, &v) || v != (uint32_t)getpid() ||
	    strcmp(fds, "1")) {
		err_msg("metrics: listen systemd: no socket passed (LISTEN_PID %s, LISTEN_FDS %s; one socket for this process wanted): run from a .socket unit",
			pid ? pid : "unset", fds ? fds : "unset");
		return -EBADF;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) || !acc) {
		err_msg("metrics: listen systemd: fd %d is not a listening stream socket",
			fd);
		return -ENOTSOCK;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		err = errno;
		err_msg("metrics: listen systemd: %s", strerror(err));
		return -err;
	}
	return fd;
}

/* A listening socket on @ss (@addr as given); -errno, said. */
static int listen_on(const char *addr, const struct sockaddr_storage *ss,
		     socklen_t len)
{
	int one = 1, fd, err;

	/* Non-blocking: a client gone between poll() and accept() blocks no one. */
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)ss, len) ||
	    listen(fd, SOMAXCONN)) {
		err = errno;
		err_msg("metrics: listen on %s: %s", addr, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	return fd;
}

/*
 * The server keeps up to MAX_CONNS connections in one ppoll() loop, so
 * that a client that says nothing, or reads its answer slowly, delays no
 * other. Each has REQ_TIMEOUT_MS from its accept() for its request head,
 * and as long from the answer's making for the answer (a client that
 * reads it slowly is given up on then, not held for as long as it keeps
 * reading). A connection is read as soon as it is accepted: a scraper's
 * request is usually there already, and answered at once. When every
 * place is taken, a new connection takes the place of one of the peer
 * holding the most places, if that holds more than the new one's peer,
 * else of one of its own peer's (conn_place()); where every peer holds
 * one, of the oldest, but only of one GRACE_MS old at least (else
 * accepting waits until one is). A flood of connections from one address
 * cannot keep a scrape from another out, nor one from many addresses
 * evict a scrape before its request came. Accepts that fail for lack of
 * files or memory pause accepting for PAUSE_MS.
 * A connection keeps only its answer's head (HEAD_MAX, with an error's
 * page); a 200's body is shared (struct body), so that the memory the
 * answers hold is bounded by the bodies alive, not by MAX_CONNS of them.
 */
#define MAX_CONNS	64
#define GRACE_MS	100
#define PAUSE_MS	100
#define HEAD_MAX	512

/*
 * A 200's body, shared by every connection answered with it. The body of
 * each format is made again only BODY_MAX_AGE_MS after the last was made:
 * a scrape may see figures that much older than the dump took, and a
 * flood of requests makes one dump of the module a second at most,
 * however long a dump takes (counted from its start, a dump of a second
 * or more would be made again for every request). A body is given to
 * answers for BODY_MAX_AGE_MS, and a connection holds it at most
 * REQ_TIMEOUT_MS after its answer: about REQ_TIMEOUT_MS / BODY_MAX_AGE_MS
 * + 1 bodies of a format (6) are alive at once at most, however many
 * clients read however slowly.
 */
#define BODY_MAX_AGE_MS	1000

struct body {
	unsigned int refs;	/* connections sending it, +1 while current */
	size_t len;
	char *buf;
};

/*
 * The last snapshot (one for both formats: a client alternating its Accept
 * header gets no more dumps than one that does not) and when it was made,
 * or its error (-errno: no snapshot), kept as long: a failure is not
 * retried more often than a success. Each format's body of it ([om]) is
 * made on the first request for that format, then current until the
 * next snapshot.
 */
static struct {
	bool tried;
	struct timespec at;
	int ret;
	struct snapshot s;
} shot;

static struct snap_cache {
	bool made;
	struct body *body;
	const char *status;
} cache[2];

/*
 * Whom a connection is from, for sharing the places: its IPv4 address,
 * its IPv6 address's /64 (one host may use any address of it; a
 * link-local address whole, every link's /64 being the same), loopback as
 * one (a local user may bind any address of 127.0.0.0/8), or a local
 * socket's peer's uid (a socket unit's ListenStream may be a path).
 * Zeroed, then compared whole.
 */
enum { PEER_UNKNOWN, PEER_LOOPBACK, PEER_IPV4, PEER_IPV6, PEER_UID };

struct peer {
	uint32_t kind;
	uint8_t addr[16];
};

struct conn {
	int fd;			/* -1: a free place */
	struct peer peer;
	struct timespec t0;	/* the deadline's start */
	size_t len;		/* of the request head read so far */
	bool answered;		/* the answer is made: being sent */
	struct body *body;	/* sent after head; NULL: none (error, HEAD) */
	size_t head_len;
	size_t out_off;		/* sent of head, then of body */
	char head[HEAD_MAX];	/* status line, headers, an error's page */
	char req[REQ_MAX + 1];
};

/* Answers made, for count N. */
static uint32_t answers;

/* count N: no new request is accepted or read once N answers are made. */
static bool answered_all(uint32_t count)
{
	return count && answers >= count;
}

/*
 * In 64 bits: the first pause is counted from 0, the whole uptime, which
 * passes a 32-bit long's milliseconds after 24.8 days (then the listening
 * socket was left alone for as long).
 */
static int64_t ms_since(const struct timespec *t, const struct timespec *now)
{
	return (int64_t)(now->tv_sec - t->tv_sec) * 1000 +
	       (now->tv_nsec - t->tv_nsec) / 1000000;
}

/* Milliseconds left of @c's REQ_TIMEOUT_MS at @now (<= 0: none). */
static long conn_left(const struct conn *c, const struct timespec *now)
{
	return REQ_TIMEOUT_MS - ms_since(&c->t0, now);
}

static void body_put(struct body *b)
{
	if (b && !--b->refs) {
		free(b->buf);
		free(b);
	}
}

/*
 * A new body of format @om of the current snapshot into *@bp, its one
 * reference the caller's: NULL, or the status line of the error.
 */
static const char *body_make(bool om, struct body **bp)
{
	struct body *b;
	bool ok;
	FILE *f;

	if (shot.ret)
		return "503 Service Unavailable";
	b = calloc(1, sizeof(*b));
	f = b ? open_memstream(&b->buf, &b->len) : NULL;
	if (!f) {
		free(b);
		return "500 Internal Server Error";
	}
	ok = write_snapshot(f, om, &shot.s);
	/* A stream out of memory has lost a part: not served as whole. */
	if (fclose(f) || !ok) {
		free(b->buf);
		free(b);
		return "503 Service Unavailable";
	}
	b->refs = 1;
	*bp = b;
	return NULL;
}

/* The snapshot and its bodies, dropped (when stale, and at the end). */
static void cache_clear(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		body_put(cache[i].body);
		cache[i] = (struct snap_cache){ 0 };
	}
	if (shot.tried && !shot.ret)
		snapshot_free(&shot.s);
	shot.tried = false;
}

/*
 * The current body of format @om, made again when the snapshot is
 * BODY_MAX_AGE_MS old (the old body freed once its last connection is
 * done); not referenced for the caller. NULL and the error's status line
 * in *@status when the snapshot or the body failed.
 */
static struct body *body_get(bool om, const char **status)
{
	struct snap_cache *sc = &cache[om];
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!shot.tried || ms_since(&shot.at, &now) >= BODY_MAX_AGE_MS) {
		cache_clear();
		shot.tried = true;
		shot.ret = snapshot_take(&shot.s);
		/* From the dump's end: the next waits a second, not less. */
		clock_gettime(CLOCK_MONOTONIC, &shot.at);
	}
	if (!sc->made) {
		sc->made = true;
		sc->status = body_make(om, &sc->body);
	}
	*status = sc->status;
	return sc->body;
}

/*
 * Unread input makes close() send a reset, which may cut the answer
 * short: only a client that sent more than its request head (pipelining,
 * or a head over REQ_MAX) sees that.
 */
static void conn_close(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	close(c->fd);
	body_put(c->body);
	c->fd = -1;
	c->body = NULL;
	c->answered = false;
}

/*
 * The answer's head into @c->head, for a body of @len bytes: @text (an
 * error's page) after it, or @c->body, or none (HEAD); sent by conn_send().
 */
static void respond(struct conn *c, const char *status, const char *type,
		    const char *extra, size_t len, const char *text)
{
	int n = snprintf(c->head, sizeof(c->head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\n%s"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 status, type, extra, len, text ? text : "");

	/* Never cut short (our own strings): nothing sent rather than a part. */
	c->head_len = n > 0 && n < (int)sizeof(c->head) ? n : 0;
	c->out_off = 0;
	c->answered = true;
	answers++;
	/* The whole answer in REQ_TIMEOUT_MS, however long it took to make. */
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
}

/* An error answer; to a HEAD request (@head), without its body. */
static void error_page(struct conn *c, const char *status, const char *extra,
		       bool head)
{
	char body[128];

	snprintf(body, sizeof(body), "%s\n", status);
	respond(c, status, "text/plain; charset=utf-8", extra, strlen(body),
		head ? NULL : body);
}
/*
 * "METHOD /target HTTP/1.x" and the end of the line, or -1. The method is
 * upper-case letters, the target a path without spaces or controls.
 */
static int parse_request_line(const char *req, char *method, char *target)
{
	size_t m = strspn(req, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), t;
	const char *p;

	if (!m || m > 7 || req[m] != ' ' || req[m + 1] != '/')
		return -1;
	p = req + m + 1;
	for (t = 0; p[t] > ' ' && p[t] < 0x7f; t++)
		;
	if (t > 255 || strncmp(p + t, " HTTP/1.", 8) ||
	    (p[t + 8] != '0' && p[t + 8] != '1') ||
	    (p[t + 9] != '\r' && p[t + 9] != '\n'))
		return -1;
	memcpy(method, req, m);
	method[m] = '\0';
	memcpy(target, p, t);
	target[t] = '\0';
	return 0;
}

/* A q value ("0.5"): in thousandths, 0 (refused) when it is no number. */
static int accept_q(const char *p)
{
	int q, i;

	if (*p != '0' && *p != '1')
		return 0;
	q = (*p++ - '0') * 1000;
	if (*p == '.')
		for (p++, i = 100; i && *p >= '0' && *p <= '9'; p++, i /= 10)
			q += (*p - '0') * i;
	return q < 1000 ? q : 1000;
}

/* Not the end of an Accept header's line: CR, LF or NUL. */
static bool in_line(char c)
{
	return c && c != '\r' && c != '\n';
}

/*
 * The media range of an Accept header at @p: its type in @type (of @len
 * bytes, not terminated), its q in thousandths (1000 unless said) in *@q.
 * Returns its end: ',' before the next one, or the end of the line.
 */
static const char *accept_range(const char *p, const char **type,
				size_t *len, int *q)
{
	p += strspn(p, " \t");
	*type = p;
	*len = strcspn(p, ",; \t\r\n");
	*q = 1000;
	for (p += *len; in_line(*p) && *p != ',';) {
		if (*p == ';') {
			p += 1 + strspn(p + 1, " \t");
			if ((*p == 'q' || *p == 'Q') && p[1] == '=')
				*q = accept_q(p + 2);
		} else if (*p++ == '"') {
			/* A quoted value may hold ',' and ';'. */
			while (in_line(*p) && *p != '"')
				p += *p == '\\' && in_line(p[1]) ? 2 : 1;
			if (*p == '"')
				p++;
		}
	}
	return p;
}

static bool is_type(const char *type, size_t len, const char *name)
{
	return len == strlen(name) && !strncasecmp(type, name, len);
}

/*
 * Does the request ask for OpenMetrics? Its Accept header must give
 * application/openmetrics-text a q above 0 and no lower than the best q
 * of the text format (served otherwise): that of text/plain or of the
 * wildcard ranges that cover it, text/any and any/any.
 */
static bool wants_openmetrics(const char *req)
{
	const char *p = req, *type;
	int om = 0, text = 0, q;
	size_t len;

	/* Each header line to the head's end: Accept may come twice. */
	while ((p = strchr(p, '\n')) && in_line(*++p)) {
		if (strncasecmp(p, "accept:", 7))
			continue;
		for (p += 7;; p++) {
			p = accept_range(p, &type, &len, &q);
			if (is_type(type, len,
				    "application/openmetrics-text")) {
				if (q > om)
					om = q;
			} else if (is_type(type, len, "text/plain") ||
				   is_type(type, len, "text/*") ||
				   is_type(type, len, "*/*")) {
				if (q > text)
					text = q;
			}
			if (*p != ',')
				break;
		}
	}
	return om && om >= text;
}

/* The answer to the request head in @c->req. */
static void answer(struct conn *c)
{
	char method[8], target[256];
	const char *status;
	struct body *b;
	bool head, om;

	if (parse_request_line(c->req, method, target)) {
		error_page(c, "400 Bad Request", "", false);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		error_page(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
			   false);
		return;
	}
	if (strcmp(target, "/metrics") && strncmp(target, "/metrics?", 9)) {
		error_page(c, "404 Not Found", "", head);
		return;
	}
	om = wants_openmetrics(c->req);
	b = body_get(om, &status);
	if (!b) {
		error_page(c, status, "", head);
		return;
	}
	/* HEAD: the body's length only, nothing of it held. */
	if (!head) {
		b->refs++;
		c->body = b;
	}
	respond(c, "200 OK", om ? CT_OPENMETRICS : CT_PROMETHEUS, "", b->len,
		NULL);
}

/*
 * Send what the socket takes of the answer: the rest of its head, then of
 * its body, in one call. 1: all of it is sent, or the connection is done
 * for; 0: more to send.
 */
static int conn_send(struct conn *c)
{
	size_t blen = c->body ? c->body->len : 0;

	/* No head (see respond()): no body either. */
	if (!c->head_len)
		return 1;
	while (c->out_off < c->head_len + blen) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };
		size_t off = c->out_off;
		ssize_t n;

		if (off < c->head_len) {
			iov[0].iov_base = c->head + off;
			iov[0].iov_len = c->head_len - off;
			m.msg_iovlen = 1;
			off = c->head_len;
		}
		if (blen) {
			iov[m.msg_iovlen].iov_base = c->body->buf +
						     (off - c->head_len);
			iov[m.msg_iovlen++].iov_len = c->head_len + blen - off;
		}
		n = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return 1;
		c->out_off += n;
	}
	return 1;
}

/*
 * Read what came of the request head; answer it once whole. 1: the
 * connection is done for (answered, closed by the client, or failed);
 * 0: more to read or to send.
 */
static int conn_recv(struct conn *c)
{
	const char *from;

	for (;;) {
		ssize_t n = recv(c->fd, c->req + c->len, REQ_MAX - c->len,
				 MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return 1;
		/*
		 * No NUL in a request: the string functions stop at one, so
		 * the head's end after it would go unseen (the connection
		 * held until its timeout), and so would headers.
		 */
		if (memchr(c->req + c->len, '\0', n)) {
			error_page(c, "400 Bad Request", "", false);
			return conn_send(c);
		}
		/* The head's end, looked for in what came and 3 bytes before. */
		from = c->req + (c->len > 3 ? c->len - 3 : 0);
		c->len += n;
		c->req[c->len] = '\0';
		if (strstr(from, "\r\n\r\n") || strstr(from, "\n\n") ||
		    strstr(from, "\n\r\n"))
			break;
		if (c->len == REQ_MAX) {
			error_page(c, "431 Request Header Fields Too Large",
				   "", false);
			return conn_send(c);
		}
	}
	answer(c);
	return conn_send(c);
}

/* @fd's peer, of address @ss (accept()'s). */
static void peer_of(int fd, const struct sockaddr_storage *ss,
		    struct peer *p)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uint32_t a4;

	memset(p, 0, sizeof(*p));
	switch (ss->ss_family) {
	case AF_INET:
		a4 = s4->sin_addr.s_addr;
		break;
	case AF_INET6:
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) {
			p->kind = PEER_LOOPBACK;
			return;
		}
		if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			p->kind = PEER_IPV6;
			memcpy(p->addr, &s6->sin6_addr,
			       IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) ? 16 : 8);
			return;
		}
		memcpy(&a4, &s6->sin6_addr.s6_addr[12], sizeof(a4));
		break;
	case AF_UNIX:
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
			p->kind = PEER_UID;
			memcpy(p->addr, &cred.uid, sizeof(cred.uid));
		}
		return;
	default:
		return;
	}
	if (ntohl(a4) >> 24 == IN_LOOPBACKNET) {
		p->kind = PEER_LOOPBACK;
		return;
	}
	p->kind = PEER_IPV4;
	memcpy(p->addr, &a4, sizeof(a4));
}

static bool peer_eq(const struct peer *a, const struct peer *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/*
 * The connection to give up among @p's (everyone's when NULL): one still
 * waiting for its request first, then the oldest; with @grace, only one
 * GRACE_MS old at least, else NULL and in *@wait_ms when one will be.
 */
static struct conn *conn_victim(struct conn *conns, const struct peer *p,
				const struct timespec *now, bool grace,
				long *wait_ms)
{
	struct conn *victim = NULL;
	long age, oldest = -1;
	int i;

	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &conns[i];

		if (p && !peer_eq(&c->peer, p))
			continue;
		age = ms_since(&c->t0, now);
		if (age > oldest)
			oldest = age;
		if (grace && age < GRACE_MS)
			continue;
		if (!victim || (!c->answered && victim->answered) ||
		    (c->answered == victim->answered &&
		     age > ms_since(&victim->t0, now)))
			victim = c;
	}
	if (!victim)
		*wait_ms = GRACE_MS - oldest;
	return victim;
}

/*
 * A place for a new connection from @p: a free one, else the one to give
 * up (not closed yet), else NULL and in *@wait_ms when one will be. Peers
 * share the places: the one holding the most (two at least), if more
 * than @p holds, gives up one of its own at once, and so does @p when it
 * holds the most; a flood from one address drains as fast as it comes,
 * and a scrape from another takes a place of the flood's. Only among
 * peers holding one each does the oldest give way, and only when
 * GRACE_MS old: a flood from many addresses cannot evict a scrape before
 * its request came. @p NULL, before accept(): whether any peer could
 * have a place now (the one @p then gets, when one could, is not NULL).
 */
static struct conn *conn_place(struct conn *conns, const struct peer *p,
			       const struct timespec *now, long *wait_ms)
{
	const struct peer *most = NULL;
	bool counted[MAX_CONNS] = { false };
	int i, j, n, top = 0, own = 0;

	for (i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd < 0)
			return &conns[i];
		if (counted[i])
			continue;
		for (j = i, n = 0; j < MAX_CONNS; j++) {
			if (!counted[j] &&
			    peer_eq(&conns[j].peer, &conns[i].peer)) {
				counted[j] = true;
				n++;
			}
		}
		if (n > top) {
			top = n;
			most = &conns[i].peer;
		}
		if (p && peer_eq(&conns[i].peer, p))
			own = n;
	}
	if (top >= 2 && top > own)
		return conn_victim(conns, most, now, false, wait_ms);
	if (own >= 2)
		return conn_victim(conns, p, now, false, wait_ms);
	return conn_victim(conns, NULL, now, true, wait_ms);
}

/*
 * Accept what waits on @lfd, as many as there are places at most (a
 * client connecting without end keeps no other waiting). Returns 0, or
 * how long to leave @lfd alone: no place to give up yet, or no file or
 * memory for another connection.
 */
static long conn_accept(int lfd, struct conn *conns,
			const struct timespec *now, uint32_t count)
{
	struct sockaddr_storage ss;
	long wait_ms = 0;
	struct peer peer;
	socklen_t len;
	int fd, n;

	for (n = 0; n < MAX_CONNS && !answered_all(count); n++) {
		struct conn *c = conn_place(conns, NULL, now, &wait_ms);

		if (!c)
			return wait_ms;
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EMFILE && errno != ENFILE &&
			    errno != ENOBUFS && errno != ENOMEM)
				return 0;
			/* A file freed for the next try, and a pause. */
			if (c->fd >= 0)
				conn_close(c);
			return PAUSE_MS;
		}
		peer_of(fd, &ss, &peer);
		c = conn_place(conns, &peer, now, &wait_ms);
		if (!c) {
			/* Cannot be: one could be had before accept(). */
			close(fd);
			return wait_ms;
		}
		if (c->fd >= 0)
			conn_close(c);
		c->fd = fd;
		c->peer = peer;
		c->len = 0;
		c->req[0] = '\0';
		clock_gettime(CLOCK_MONOTONIC, &c->t0);
		if (conn_recv(c))
			conn_close(c);
	}
	return 0;
}

static int serve(const char *addr, uint32_t count)
{
	struct pollfd p[MAX_CONNS + 1];
	struct timespec paused_at = { 0 };
	long pause_ms = 0;
	sigset_t block, waiting;
	struct conn *conns, *of[MAX_CONNS + 1];
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int fd, i, ret = EXIT_OK;

	if (strcmp(addr, "systemd") && parse_listen(addr, &ss, &len))
		return usage_error(metrics_usage,
				   "metrics: bad listen address '%s' (ADDR:PORT or systemd)",
				   addr);
	conns = calloc(MAX_CONNS, sizeof(*conns));
	if (!conns) {
		err_msg("metrics: %s", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	for (i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	fd = len ? listen_on(addr, &ss, len) : systemd_socket();
	if (fd < 0) {
		free(conns);
		return EXIT_RUNTIME;
	}
	stop_signals(on_signal, &block);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, &waiting);
	fprintf(stderr, "%s: serving /metrics on %s\n", prog,
		len ? addr : "the socket systemd passed");
	while (!stop) {
		bool done = answered_all(count);
		struct timespec now, wait;
		long timeout = -1;
		int64_t left;
		int n = 0;

		clock_gettime(CLOCK_MONOTONIC, &now);
		/* Only the open files: ppoll() takes no more than RLIMIT_NOFILE. */
		left = pause_ms - ms_since(&paused_at, &now);
		if (!done && left <= 0) {
			p[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
			of[n++] = NULL;
		} else if (!done) {
			timeout = left;
		}
		for (i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			if (c->fd < 0)
				continue;
			left = conn_left(c, &now);
			if (left <= 0 || (done && !c->answered)) {
				conn_close(c);
				continue;
			}
			if (timeout < 0 || left < timeout)
				timeout = left;
			p[n] = (struct pollfd){
				.fd = c->fd,
				.events = c->answered ? POLLOUT : POLLIN,
			};
			of[n++] = c;
		}
		if (done && !n)
			break;
		/*
		 * The snapshot and its bodies go when a second old, scraped
		 * or not (a body being sent stays until it is): a dump of
		 * many guests is not held from one scrape to the next.
		 */
		if (shot.tried) {
			left = BODY_MAX_AGE_MS - ms_since(&shot.at, &now);
			if (left <= 0)
				cache_clear();
			else if (timeout < 0 || left < timeout)
				timeout = left;
		}
		wait.tv_sec = timeout / 1000;
		wait.tv_nsec = timeout % 1000 * 1000000;
		if (ppoll(p, n, timeout < 0 ? NULL : &wait, &waiting) < 0) {
			if (errno == EINTR)
				continue;
			err_msg("metrics: ppoll: %s", strerror(errno));
			ret = EXIT_RUNTIME;
			break;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = of[i];

			if (!c || !p[i].revents)
				continue;
			/* N answers made this round: no new request read. */
			if (!c->answered && answered_all(count))
				conn_close(c);
			else if (c->answered ? conn_send(c) : conn_recv(c))
				conn_close(c);
		}
		if (n && !of[0] && p[0].revents) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			pause_ms = conn_accept(fd, conns, &now, count);
			paused_at = now;
		}
	}
	sigprocmask(SIG_SETMASK, &waiting, NULL);
	for (i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	cache_clear();
	free(conns);
	close(fd);
	return ret;
}

int cmd_metrics(int argc, char **argv)
{
	const char *listen_at = NULL, *file = NULL;
	bool om = false, format_given = false, failed;
	uint32_t count = 0;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (is_help(a)) {
			metrics_usage(stdout);
			return EXIT_OK;
		}
		if (i + 1 == argc)
			return usage_error(metrics_usage,
					   "metrics: '%s' without a value", a);
		if (!strcmp(a, "--listen") || !matches(a, "listen")) {
			listen_at = argv[++i];
		} else if (!matches(a, "count")) {
			if (parse_u32(argv[++i], &count) || !count)
				return usage_error(metrics_usage,
						   "metrics: bad count '%s'",
						   argv[i]);
		} else if (!matches(a, "format")) {
			format_given = true;
			a = argv[++i];
			if (!strcmp(a, "openmetrics"))
				om = true;
			else if (strcmp(a, "prometheus"))
				return usage_error(metrics_usage,
						   "metrics: unknown format '%s'",
						   a);
		} else if (!matches(a, "file")) {
			/* After format: "f" stays format's, as before. */
			file = argv[++i];
		} else {
			return usage_error(metrics_usage,
					   "metrics: unexpected '%s'", a);
		}
	}
	if (listen_at && file)
		return usage_error(metrics_usage,
				   "metrics: listen or file, not both");
	if (listen_at && format_given)
		return usage_error(metrics_usage,
				   "metrics: listen takes no format: each scraper's Accept header chooses");
	if (listen_at)
		return serve(listen_at, count);
	if (count)
		return usage_error(metrics_usage, "metrics: count needs listen");
	if (file)
		return write_file(file, om);
	ret = write_metrics(stdout, om, &failed);
	if (ret)
		return run_failed(ret);
	return write_flush(stdout, failed) ? EXIT_RUNTIME : EXIT_OK;
}
