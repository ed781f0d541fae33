// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl replay: drive one or more guests through /dev/vqnotify (with
 * libvqnotify) from a line-based script, printing every transition.
 *
 * The whole script is read and checked first (syntax, names, numbers), so a
 * malformed line stops the replay before anything is done; then it runs
 * line by line and stops at the first failing step. The grammar is in
 * replay_usage() and vqnotifyctl(8).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vqnotifyctl.h"

#define MAX_ARGS	16
#define NAME_MAX_LEN	(VQNOTIFY_NAME_LEN - 1)
/* settle: quiet this long (at most the timeout) means settled. */
#define SETTLE_QUIET_MS		200
#define SETTLE_TIMEOUT_MS	2000
#define STATUS_DRIVER_UP	0x0f	/* ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK */
/* A step's check or run failed; its message has been printed. */
#define STEP_FAILED	(-100000)

struct r_guest {
	char *name;
	uint32_t id;		/* host-wide, once open */
	bool alive;
	struct vqn_guest *g;
};

struct r_dev {
	char *name;
	int guest;
	uint32_t nq;
	uint32_t transport;
	uint32_t id;
	bool alive;
};

struct r_var {
	char *name;
	bool set;
	void *blob;
	size_t len;
};

struct step {
	int line;
	char *text;
	int argc;
	char *argv[MAX_ARGS];
	int expect_err;		/* expect-error: the errno; argv is the command */
};

struct rctx {
	const char *file;
	struct step *cur;
	bool checking;		/* the first pass: names only, no ioctls */
	bool in_expect;		/* checking the command of an expect-error */
	bool autoshow;
	struct jw *jw;
	struct r_guest *guests;
	int nr_guests;
	struct r_dev *devs;
	int nr_devs;
	struct r_var *vars;
	int nr_vars;
	struct vqn_result *res;	/* VQNOTIFY_MAX_QUEUES entries */
};

void replay_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] replay FILE|-\n"
		"Runs a lifecycle script through /dev/vqnotify, one process, any\n"
		"number of guests, printing each transition. One command a line;\n"
		"'#' starts a comment. NAMEs: letters, digits, '_', '-', '.'.\n"
		"\n"
		"  guest NAME [budget N] [name TEXT]\n"
		"                                  open a guest (own budget N)\n"
		"  name GUEST TEXT                 the guest's name\n"
		"  budget GUEST N                  the guest's own budget (0: none)\n"
		"  run-state GUEST stopped|running the VM stops (slots parked)/runs\n"
		"  dev GUEST NAME pio|mmio|ccw QUEUES [name TEXT]\n"
		"                                  add a device\n"
		"  status DEV VALUE [ready LIST]   set the virtio status byte\n"
		"  driver-ok DEV [ready LIST]      status 0x0f (DRIVER_OK set)\n"
		"  vhost DEV Q|LIST on|off         vhost takes/returns queues\n"
		"  acquire DEV LIST                the VMM wants ioeventfds (q)\n"
		"  release DEV LIST [kvm-refused] [reset]\n"
		"                                  the VMM gives them up (x)\n"
		"  reset DEV                       device reset\n"
		"  remove DEV                      unplug the device\n"
		"  save DEV VAR                    keep its migration blob in VAR\n"
		"  load DEV VAR                    load VAR into a new device\n"
		"  close GUEST                     close the guest's file\n"
		"  host-cap N                      host-wide cap (CAP_NET_ADMIN)\n"
		"  settle [TIMEOUT_MS]             wait until no event comes\n"
		"  show [GUEST]                    the per-queue table\n"
		"  autoshow on|off                 a state grid after each step\n"
		"  expect DEV Q|LIST STATE [REASON] [FLAG=0|1]...\n"
		"                                  fail unless the queues are so\n"
		"  expect guest GUEST KEY=N...     fail unless the guest's totals\n"
		"  expect host KEY=N...            ... or the host's are so\n"
		"  expect-error ERRNO COMMAND...   fail unless COMMAND fails so\n"
		"  echo TEXT...                    print TEXT\n"
		"\n"
		"LIST: all | none | N[-M][,...]. STATE: deassigned | assigned |\n"
		"offlimits. FLAG: initialised | waiting | parked. Guest KEYs: used,\n"
		"assigned, offlimits, waiting, devices, budget, run-state=stopped|\n"
		"running, and a label letter (a..x) for its count. Host KEYs: used,\n"
		"cap, guests. TEXT: 1-%d printable characters (quote blanks).\n"
		"ERRNO: a name such as ENOSPC. settle: quiet for %d ms, at most\n"
		"TIMEOUT_MS (default %d).\n"
		"Exit status: 0 success, 1 a step failed, 2 malformed script or\n"
		"usage error (nothing was run).\n", prog, NAME_MAX_LEN,
		SETTLE_QUIET_MS, SETTLE_TIMEOUT_MS);
}

static int step_error(struct rctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "FILE:LINE: error: ..." for the step in hand. */
static int step_error(struct rctx *c, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: error: ", c->file, c->cur->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return STEP_FAILED;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > NAME_MAX_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return false;
	return true;
}

/* Symbols */

static int guest_find(struct rctx *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_guests; i++)
		if (!strcmp(c->guests[i].name, name))
			return i;
	return -1;
}

static int dev_find(struct rctx *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_devs; i++)
		if (!strcmp(c->devs[i].name, name))
			return i;
	return -1;
}

static int var_find(struct rctx *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_vars; i++)
		if (!strcmp(c->vars[i].name, name))
			return i;
	return -1;
}

static void *grow(void *p, int nr, size_t size)
{
	void *n = realloc(p, (nr + 1) * size);

	if (!n) {
		err_msg("out of memory");
		exit(EXIT_RUNTIME);
	}
	memset((char *)n + nr * size, 0, size);
	return n;
}

static int guest_get(struct rctx *c, const char *name, bool alive)
{
	int i = guest_find(c, name);

	if (i < 0)
		return step_error(c, "unknown guest '%s'", name);
	if (alive && !c->in_expect && !c->guests[i].alive)
		return step_error(c, "guest '%s' is closed", name);
	return i;
}

static int dev_get(struct rctx *c, const char *name)
{
	int i = dev_find(c, name);

	if (i < 0)
		return step_error(c, "unknown device '%s'", name);
	if (!c->in_expect && !c->devs[i].alive)
		return step_error(c, "device '%s' was removed", name);
	return i;
}

static int number(struct rctx *c, const char *s, const char *what,
		  uint32_t *v)
{
	if (parse_u32(s, v))
		return step_error(c, "%s: '%s' is not a number", what, s);
	return 0;
}

/* LIST: all | none | N[-M][,...], into (nq + 63) / 64 words. */
static int parse_list(struct rctx *c, const char *s, uint32_t nq,
		      uint64_t *bm, bool *all)
{
	char *copy, *tok, *save = NULL;
	int ret = 0;

	*all = false;
	memset(bm, 0, (VQNOTIFY_MAX_QUEUES / 64) * sizeof(*bm));
	if (!strcmp(s, "all")) {
		*all = true;
		return 0;
	}
	if (!strcmp(s, "none"))
		return 0;
	copy = strdup(s);
	if (!copy)
		return step_error(c, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint32_t lo, hi, i;

		if (dash)
			*dash = '\0';
		if (parse_u32(tok, &lo) || (dash && parse_u32(dash + 1, &hi))) {
			ret = step_error(c, "bad queue list '%s'", s);
			break;
		}
		if (!dash)
			hi = lo;
		if (lo > hi || (!c->in_expect && hi >= nq) ||
		    hi >= VQNOTIFY_MAX_QUEUES) {
			ret = step_error(c, "queue list '%s': out of range 0-%u",
					 s, nq - 1);
			break;
		}
		for (i = lo; i <= hi; i++)
			bm[i / 64] |= 1ULL << (i % 64);
	}
	free(copy);
	return ret;
}

/* A name given as TEXT: printable ASCII, as the module wants it. */
static int check_text(struct rctx *c, const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (c->in_expect)
		return 0;
	for (p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			break;
	if (!n || n > NAME_MAX_LEN || *p)
		return step_error(c, "bad name \"%s\": 1-%d printable characters",
				  s, NAME_MAX_LEN);
	return 0;
}

/*
 * Q or LIST of device @di into @bm. A plain number is one queue (*one,
 * else UINT32_MAX), checked as before lists existed; "all" is every queue.
 */
static int parse_queues(struct rctx *c, const char *s, int di, uint64_t *bm,
			uint32_t *one)
{
	const struct r_dev *d = &c->devs[di];
	uint32_t q;
	bool all;

	*one = UINT32_MAX;
	if (!parse_u32(s, &q)) {
		if (!c->in_expect && q >= d->nq)
			return step_error(c, "device '%s' has no queue %u",
					  d->name, q);
		memset(bm, 0, (VQNOTIFY_MAX_QUEUES / 64) * sizeof(*bm));
		if (q < VQNOTIFY_MAX_QUEUES)
			bm[q / 64] |= 1ULL << (q % 64);
		*one = q;
		return 0;
	}
	if (strcmp(s, "all") && strcmp(s, "none") && !strpbrk(s, ",-"))
		return step_error(c, "queue: '%s' is not a number", s);
	if (parse_list(c, s, d->nq, bm, &all))
		return STEP_FAILED;
	for (q = 0; all && q < d->nq; q++)
		bm[q / 64] |= 1ULL << (q % 64);
	return 0;
}

static bool bm_test(const uint64_t *bm, uint32_t q)
{
	return q < VQNOTIFY_MAX_QUEUES && bm[q / 64] & (1ULL << (q % 64));
}

/* Output */

static void print_result(struct rctx *c, const struct r_dev *d,
			 const struct vqn_result *r, bool event)
{
	const char *g = c->guests[d->guest].name;

	if (c->jw) {
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_str(c->jw, "type", event ? "event" : "result");
		jw_str(c->jw, "guest", g);
		jw_uint(c->jw, "guest_id", c->guests[d->guest].id);
		jw_str(c->jw, "dev", d->name);
		jw_uint(c->jw, "dev_id", d->id);
		jw_uint(c->jw, "queue", r->queue);
		jw_str(c->jw, "old", vqn_state_name(r->old_state));
		jw_str(c->jw, "new", vqn_state_name(r->new_state));
		jw_str(c->jw, "label", vqn_label_name(r->label));
		jw_str(c->jw, "reason", vqn_reason_name(r->reason));
		if (r->kvm_err)
			jw_str(c->jw, "kvm_error", errno_name(r->kvm_err));
		jw_obj_close(c->jw);
		jw_end(c->jw);
		return;
	}
	printf("  %-8s q%-3u ", d->name, r->queue);
	if (r->label == VQNOTIFY_LABEL_NONE && r->old_state == r->new_state)
		printf("%-10s    %-10s refused: %s", vqn_state_name(r->old_state),
		       "", vqn_reason_name(r->reason));
	else
		printf("%-10s -> %-10s (%s) %s", vqn_state_name(r->old_state),
		       vqn_state_name(r->new_state), vqn_label_name(r->label),
		       vqn_reason_name(r->reason));
	if (r->kvm_err)
		printf(", KVM refused: %s", errno_name(r->kvm_err));
	printf("%s\n", event ? "  [event]" : "");
}

static void print_results(struct rctx *c, const struct r_dev *d, int n)
{
	int i;

	for (i = 0; i < n && i < VQNOTIFY_MAX_QUEUES; i++)
		print_result(c, d, &c->res[i], false);
}

static const struct r_dev *dev_by_id(struct rctx *c, int guest, uint32_t id)
{
	int i;

	for (i = 0; i < c->nr_devs; i++)
		if (c->devs[i].alive && c->devs[i].guest == guest &&
		    c->devs[i].id == id)
			return &c->devs[i];
	return NULL;
}

/* Print the events every open guest has pending. */
static void print_events(struct rctx *c)
{
	struct vqn_event ev[32];
	int gi, n, i;

	for (gi = 0; gi < c->nr_guests; gi++) {
		struct r_guest *g = &c->guests[gi];

		if (!g->alive)
			continue;
		while ((n = vqn_read_events(g->g, ev, 32)) > 0) {
			for (i = 0; i < n; i++) {
				const struct r_dev *d;
				struct vqn_result r = {
					.queue = ev[i].queue,
					.old_state = ev[i].old_state,
					.new_state = ev[i].new_state,
					.label = ev[i].label,
					.reason = ev[i].reason,
					.kvm_err = ev[i].kvm_err,
				};

				if (ev[i].type == VQNOTIFY_EVENT_TRANSITION) {
					d = dev_by_id(c, gi, ev[i].dev_id);
					if (d)
						print_result(c, d, &r, true);
				} else if (c->jw) {
					jw_obj_open(c->jw, NULL);
					jw_uint(c->jw, "line", c->cur->line);
					jw_str(c->jw, "type", "event");
					jw_str(c->jw, "guest", g->name);
					jw_uint(c->jw, "guest_id", g->id);
					jw_str(c->jw, "event",
					       vqn_event_type_name(ev[i].type));
					jw_uint(c->jw, "value", ev[i].value);
					jw_obj_close(c->jw);
					jw_end(c->jw);
				} else if (ev[i].type == VQNOTIFY_EVENT_BUDGET) {
					printf("  %s: budget now %u  [event]\n",
					       g->name, ev[i].value);
				} else {
					printf("  %s: %s  [event]\n", g->name,
					       vqn_event_type_name(ev[i].type));
				}
			}
		}
	}
}

static void print_guest_line(struct rctx *c, int gi)
{
	struct vqnotify_guest_info info;

	if (vqn_guest_get(c->guests[gi].g, &info))
		return;
	printf("%s", c->guests[gi].name);
	if (info.name[0] && strcmp(info.name, c->guests[gi].name))
		printf(" \"%.*s\"", (int)sizeof(info.name), info.name);
	printf(": budget %u, used %u (%u assigned, %u offlimits), "
	       "%u waiting", info.budget, info.used,
	       info.nr_assigned, info.nr_offlimits, info.nr_waiting);
	if (info.out_flags & VQNOTIFY_GUEST_LIMITED)
		printf(", LIMITED (budget < threshold %u)", info.threshold);
	if (info.run_state == VQNOTIFY_RUN_STOPPED)
		printf(", STOPPED (slots parked)");
	printf("\n");
}

/* show: every queue of the guest(s), one row each. */
static int show_table(struct rctx *c, int only)
{
	static struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	bool header = false;
	int gi, di, n, q;

	if (c->jw) {
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_arr_open(c->jw, "queues");
	}
	for (gi = 0; gi < c->nr_guests; gi++) {
		if (!c->guests[gi].alive || (only >= 0 && gi != only))
			continue;
		if (!c->jw)
			print_guest_line(c, gi);
		for (di = 0; di < c->nr_devs; di++) {
			struct r_dev *d = &c->devs[di];
			struct vqnotify_dev_get dg;

			if (!d->alive || d->guest != gi)
				continue;
			n = vqn_dev_get(c->guests[gi].g, d->id, &dg, vi,
					VQNOTIFY_MAX_QUEUES);
			if (n < 0)
				return n;
			if (!c->jw && !header) {
				queue_table_header(stdout, false);
				header = true;
			}
			for (q = 0; q < n; q++) {
				struct queue_row r = {
					.guest = c->guests[gi].name,
					.guest_id = c->guests[gi].id,
					.dev = d->name,
					.dev_id = d->id,
					.transport = vqn_transport_name(
						d->transport),
					.queue = q,
					.state = vi[q].state,
					.label = vi[q].label,
					.reason = vi[q].reason,
					.flags = vi[q].flags,
					.kvm = -1,
				};

				if (c->jw)
					queue_json(c->jw, &r);
				else
					queue_table_row(stdout, &r, false);
			}
		}
		header = false;
	}
	if (c->jw) {
		jw_arr_close(c->jw);
		jw_obj_close(c->jw);
		jw_end(c->jw);
	}
	return 0;
}

/* autoshow: a compact grid, a row of queue states per device. */
static void show_grid(struct rctx *c)
{
	static struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	int gi, di, n, q;

	for (gi = 0; gi < c->nr_guests; gi++) {
		if (!c->guests[gi].alive)
			continue;
		print_guest_line(c, gi);
		for (di = 0; di < c->nr_devs; di++) {
			struct r_dev *d = &c->devs[di];
			struct vqnotify_dev_get dg;

			if (!d->alive || d->guest != gi)
				continue;
			n = vqn_dev_get(c->guests[gi].g, d->id, &dg, vi,
					VQNOTIFY_MAX_QUEUES);
			for (q = 0; q < n; q++) {
				if (q % 6 == 0)
					printf(q ? "\n  %-8s " : "  %-8s ",
					       q ? "" : d->name);
				printf(" %2d:%-*s", q,
				       q % 6 == 5 || q == n - 1 ? 0 : 10,
				       vqn_state_name(vi[q].state));
			}
			printf("\n");
		}
	}
}

/* Commands. Each checks its arguments (c->checking: and stops there) and
 * runs, returning 0, a negative errno from the library, or STEP_FAILED. */

/* The host-wide id of a guest (as netlink shows it), 0 if unknown. */
static uint32_t guest_id_of(struct vqn_guest *g)
{
	struct vqnotify_guest_info info;

	return vqn_guest_get(g, &info) ? 0 : info.guest_id;
}

static int c_guest(struct rctx *c, int argc, char **argv)
{
	const char *name = NULL;
	uint32_t budget = 0;
	struct r_guest *g;
	int i, ret;

	if (argc < 1 || argc % 2 == 0)
		return step_error(c, "usage: guest NAME [budget N] [name TEXT]");
	if (!valid_name(argv[0]))
		return step_error(c, "bad guest name '%s'", argv[0]);
	for (i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "budget")) {
			if (number(c, argv[i + 1], "budget", &budget))
				return STEP_FAILED;
		} else if (!strcmp(argv[i], "name")) {
			if (check_text(c, argv[i + 1]))
				return STEP_FAILED;
			name = argv[i + 1];
		} else {
			return step_error(c,
				"usage: guest NAME [budget N] [name TEXT]");
		}
	}
	i = guest_find(c, argv[0]);
	if (i < 0) {
		c->guests = grow(c->guests, c->nr_guests, sizeof(*c->guests));
		i = c->nr_guests++;
		c->guests[i].name = strdup(argv[0]);
	} else if (c->guests[i].alive) {
		return step_error(c, "guest '%s' is already open", argv[0]);
	}
	g = &c->guests[i];
	if (c->checking) {
		g->alive = !c->in_expect;
		return 0;
	}
	ret = vqn_open(&g->g, name ? name : argv[0]);
	if (ret == -ENOENT)
		return step_error(c, "%s: %s (is the vqnotify module loaded?)",
				  VQN_DEVICE_PATH, strerror(-ret));
	if (ret)
		return ret;
	if (budget) {
		ret = vqn_set_budget(g->g, budget);
		if (ret) {
			vqn_close(g->g);
			g->g = NULL;
			return ret;
		}
	}
	g->alive = true;
	g->id = guest_id_of(g->g);
	if (!c->jw && !c->autoshow)
		print_guest_line(c, i);
	return 0;
}

static int c_name(struct rctx *c, int argc, char **argv)
{
	int gi;

	if (argc != 2)
		return step_error(c, "usage: name GUEST TEXT");
	gi = guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	if (check_text(c, argv[1]))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!c->guests[gi].g)
		return -EBADF;
	return vqn_set_name(c->guests[gi].g, argv[1]);
}

static int c_run_state(struct rctx *c, int argc, char **argv)
{
	bool stop;
	int gi, ret;

	if (argc != 2 ||
	    (strcmp(argv[1], "stopped") && strcmp(argv[1], "running")))
		return step_error(c, "usage: run-state GUEST stopped|running");
	gi = guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	stop = !strcmp(argv[1], "stopped");
	if (c->checking)
		return 0;
	if (!c->guests[gi].g)
		return -EBADF;
	ret = vqn_set_run_state(c->guests[gi].g, stop ? VQNOTIFY_RUN_STOPPED :
				VQNOTIFY_RUN_RUNNING);
	if (ret)
		return ret;
	if (c->jw) {
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_str(c->jw, "guest", argv[0]);
		jw_uint(c->jw, "guest_id", c->guests[gi].id);
		jw_str(c->jw, "run_state", argv[1]);
		jw_obj_close(c->jw);
		jw_end(c->jw);
	} else {
		printf("  %s: %s%s\n", argv[0], argv[1],
		       stop ? ", slots kept, no ioeventfd in KVM" : "");
	}
	return 0;
}

static int c_budget(struct rctx *c, int argc, char **argv)
{
	uint32_t budget;
	int gi;

	if (argc != 2)
		return step_error(c, "usage: budget GUEST N");
	gi = guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	if (number(c, argv[1], "budget", &budget))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!c->guests[gi].g)
		return -EBADF;
	return vqn_set_budget(c->guests[gi].g, budget);
}

static int c_dev(struct rctx *c, int argc, char **argv)
{
	uint32_t nq, id;
	int gi, t, di, ret;
	struct r_dev *d;

	if (argc != 4 && !(argc == 6 && !strcmp(argv[4], "name")))
		return step_error(c,
			"usage: dev GUEST NAME pio|mmio|ccw QUEUES [name TEXT]");
	gi = guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	if (!valid_name(argv[1]))
		return step_error(c, "bad device name '%s'", argv[1]);
	if (argc == 6 && check_text(c, argv[5]))
		return STEP_FAILED;
	t = vqn_transport_from_name(argv[2]);
	if (t < 0)
		return step_error(c, "bad transport '%s' (pio, mmio or ccw)",
				  argv[2]);
	if (number(c, argv[3], "queue count", &nq))
		return STEP_FAILED;
	if (!c->in_expect && (!nq || nq > VQNOTIFY_MAX_QUEUES))
		return step_error(c, "queue count %u not in 1-%u", nq,
				  VQNOTIFY_MAX_QUEUES);
	di = dev_find(c, argv[1]);
	if (di < 0) {
		c->devs = grow(c->devs, c->nr_devs, sizeof(*c->devs));
		di = c->nr_devs++;
		c->devs[di].name = strdup(argv[1]);
	} else if (c->devs[di].alive) {
		return step_error(c, "device '%s' already exists", argv[1]);
	}
	d = &c->devs[di];
	if (c->checking) {
		d->guest = gi;
		d->nq = nq;
		d->alive = !c->in_expect;
		return 0;
	}
	if (!c->guests[gi].g)
		return -EBADF;
	ret = vqn_dev_add(c->guests[gi].g, t, nq, argc == 6 ? argv[5] : argv[1],
			  &id);
	if (ret)
		return ret;
	d->guest = gi;
	d->nq = nq;
	d->transport = t;
	d->id = id;
	d->alive = true;
	return 0;
}

static struct vqn_guest *dev_guest(struct rctx *c, int di)
{
	return c->guests[c->devs[di].guest].g;
}

static int c_status(struct rctx *c, int argc, char **argv, bool driver_ok)
{
	static uint64_t ready[VQNOTIFY_MAX_QUEUES / 64];
	uint32_t status = STATUS_DRIVER_UP;
	int di, ret, rest = driver_ok ? 1 : 2;
	bool all = true;

	if (argc != rest && !(argc == rest + 2 && !strcmp(argv[rest], "ready")))
		return step_error(c, driver_ok ?
				  "usage: driver-ok DEV [ready LIST]" :
				  "usage: status DEV VALUE [ready LIST]");
	di = dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (!driver_ok) {
		if (number(c, argv[1], "status", &status))
			return STEP_FAILED;
		if (!c->in_expect && status > 0xff)
			return step_error(c, "status 0x%x is not a byte",
					  status);
	}
	if (argc == rest + 2 &&
	    parse_list(c, argv[rest + 1], c->devs[di].nq, ready, &all))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!dev_guest(c, di))
		return -EBADF;
	ret = vqn_set_status(dev_guest(c, di), c->devs[di].id, status,
			     all ? NULL : ready, c->res, VQNOTIFY_MAX_QUEUES);
	if (ret < 0)
		return ret;
	print_results(c, &c->devs[di], ret);
	return 0;
}

static int c_driver_ok(struct rctx *c, int argc, char **argv)
{
	return c_status(c, argc, argv, true);
}

static int c_set_status(struct rctx *c, int argc, char **argv)
{
	return c_status(c, argc, argv, false);
}

/*
 * vhost DEV Q on|off: one queue, API 1's SET_HOST_NOTIFIER; vhost DEV LIST
 * on|off: SET_HOST_NOTIFIERS, all or nothing, as QEMU batches them.
 */
static int c_vhost(struct rctx *c, int argc, char **argv)
{
	static uint64_t bm[VQNOTIFY_MAX_QUEUES / 64];
	struct vqn_result r;
	uint32_t q;
	bool on;
	int di, ret;

	if (argc != 3 || (strcmp(argv[2], "on") && strcmp(argv[2], "off")))
		return step_error(c, "usage: vhost DEV Q on|off");
	di = dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (parse_queues(c, argv[1], di, bm, &q))
		return STEP_FAILED;
	on = !strcmp(argv[2], "on");
	if (c->checking)
		return 0;
	if (!dev_guest(c, di))
		return -EBADF;
	if (q == UINT32_MAX) {
		ret = vqn_host_notifiers(dev_guest(c, di), c->devs[di].id, bm,
					 c->devs[di].nq, on, c->res,
					 VQNOTIFY_MAX_QUEUES);
		if (ret < 0)
			return ret;
		print_results(c, &c->devs[di], ret);
		return 0;
	}
	ret = vqn_host_notifier(dev_guest(c, di), c->devs[di].id, q, on, &r);
	if (ret)
		return ret;
	print_result(c, &c->devs[di], &r, false);
	return 0;
}

/* acquire DEV LIST; release DEV LIST [kvm-refused] [reset] */
static int c_queues(struct rctx *c, int argc, char **argv, bool acquire)
{
	static uint64_t bm[VQNOTIFY_MAX_QUEUES / 64];
	uint32_t flags = 0, one;
	int di, i, ret;

	if (argc < 2 || (acquire && argc != 2))
		return step_error(c, acquire ? "usage: acquire DEV LIST" :
			"usage: release DEV LIST [kvm-refused] [reset]");
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "kvm-refused"))
			flags |= VQNOTIFY_QUEUES_KVM_REFUSED;
		else if (!strcmp(argv[i], "reset"))
			flags |= VQNOTIFY_QUEUES_RESET;
		else
			return step_error(c,
				"usage: release DEV LIST [kvm-refused] [reset]");
	}
	di = dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (parse_queues(c, argv[1], di, bm, &one))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!dev_guest(c, di))
		return -EBADF;
	if (acquire)
		ret = vqn_queues_acquire(dev_guest(c, di), c->devs[di].id, bm,
					 c->devs[di].nq, c->res,
					 VQNOTIFY_MAX_QUEUES);
	else
		ret = vqn_queues_release(dev_guest(c, di), c->devs[di].id, bm,
					 c->devs[di].nq, flags, c->res,
					 VQNOTIFY_MAX_QUEUES);
	if (ret < 0)
		return ret;
	print_results(c, &c->devs[di], ret);
	return 0;
}

static int c_acquire(struct rctx *c, int argc, char **argv)
{
	return c_queues(c, argc, argv, true);
}

static int c_release(struct rctx *c, int argc, char **argv)
{
	return c_queues(c, argc, argv, false);
}

static int c_reset_remove(struct rctx *c, int argc, char **argv,
			  bool remove)
{
	int di, ret;

	if (argc != 1)
		return step_error(c, remove ? "usage: remove DEV" :
				  "usage: reset DEV");
	di = dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (c->checking) {
		if (remove && !c->in_expect)
			c->devs[di].alive = false;
		return 0;
	}
	if (!dev_guest(c, di))
		return -EBADF;
	if (remove)
		ret = vqn_dev_remove(dev_guest(c, di), c->devs[di].id, c->res,
				     VQNOTIFY_MAX_QUEUES);
	else
		ret = vqn_dev_reset(dev_guest(c, di), c->devs[di].id, c->res,
				    VQNOTIFY_MAX_QUEUES);
	if (ret < 0)
		return ret;
	print_results(c, &c->devs[di], ret);
	if (remove)
		c->devs[di].alive = false;
	return 0;
}

static int c_reset(struct rctx *c, int argc, char **argv)
{
	return c_reset_remove(c, argc, argv, false);
}

static int c_remove(struct rctx *c, int argc, char **argv)
{
	return c_reset_remove(c, argc, argv, true);
}

static int c_save(struct rctx *c, int argc, char **argv)
{
	struct r_var *v;
	size_t len = 0;
	int di, vi, ret;

	if (argc != 2)
		return step_error(c, "usage: save DEV VAR");
	di = dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (!valid_name(argv[1]))
		return step_error(c, "bad variable name '%s'", argv[1]);
	vi = var_find(c, argv[1]);
	if (vi < 0) {
		c->vars = grow(c->vars, c->nr_vars, sizeof(*c->vars));
		vi = c->nr_vars++;
		c->vars[vi].name = strdup(argv[1]);
	}
	v = &c->vars[vi];
	if (c->checking) {
		v->set |= !c->in_expect;
		return 0;
	}
	if (!dev_guest(c, di))
		return -EBADF;
	ret = vqn_dev_save(dev_guest(c, di), c->devs[di].id, NULL, &len);
	if (ret && ret != -EMSGSIZE)
		return ret;
	free(v->blob);
	v->blob = malloc(len);
	if (!v->blob)
		return -ENOMEM;
	ret = vqn_dev_save(dev_guest(c, di), c->devs[di].id, v->blob, &len);
	if (ret)
		return ret;
	v->len = len;
	v->set = true;
	if (!c->jw)
		printf("  %s: saved %zu bytes in %s\n", argv[0], len, argv[1]);
	return 0;
}

static int c_load(struct rctx *c, int argc, char **argv)
{
	int di, vi, ret;

	if (argc != 2)
		return step_error(c, "usage: load DEV VAR");
	di = dev_get(c, argv[0]);
	if (di < 0)
		return di;
	vi = var_find(c, argv[1]);
	if (vi < 0 || (!c->in_expect && !c->vars[vi].set))
		return step_error(c, "variable '%s' was never saved", argv[1]);
	if (c->checking)
		return 0;
	if (!dev_guest(c, di))
		return -EBADF;
	ret = vqn_dev_load(dev_guest(c, di), c->devs[di].id,
			   c->vars[vi].blob, c->vars[vi].len, c->res,
			   VQNOTIFY_MAX_QUEUES);
	if (ret < 0)
		return ret;
	print_results(c, &c->devs[di], ret);
	return 0;
}

static int c_close(struct rctx *c, int argc, char **argv)
{
	int gi, di;

	if (argc != 1)
		return step_error(c, "usage: close GUEST");
	gi = guest_get(c, argv[0], true);
	if (gi < 0)
		return gi;
	if (!c->checking) {
		if (!c->guests[gi].g)
			return -EBADF;
		vqn_close(c->guests[gi].g);
		c->guests[gi].g = NULL;
		if (!c->jw)
			printf("  %s: closed, every slot released\n", argv[0]);
	}
	if (c->in_expect)
		return 0;
	c->guests[gi].alive = false;
	for (di = 0; di < c->nr_devs; di++)
		if (c->devs[di].guest == gi)
			c->devs[di].alive = false;
	return 0;
}

static int c_show(struct rctx *c, int argc, char **argv)
{
	int gi = -1;

	if (argc > 1)
		return step_error(c, "usage: show [GUEST]");
	if (argc == 1) {
		gi = guest_get(c, argv[0], true);
		if (gi < 0)
			return gi;
	}
	return c->checking ? 0 : show_table(c, gi);
}

static int c_autoshow(struct rctx *c, int argc, char **argv)
{
	if (argc != 1 || (strcmp(argv[0], "on") && strcmp(argv[0], "off")))
		return step_error(c, "usage: autoshow on|off");
	if (!c->checking)
		c->autoshow = !strcmp(argv[0], "on");
	return 0;
}

static int c_host_cap(struct rctx *c, int argc, char **argv)
{
	uint32_t cap;
	int ret;

	if (argc != 1)
		return step_error(c, "usage: host-cap N");
	if (number(c, argv[0], "host cap", &cap))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	ret = config_set_u32(VQNOTIFY_A_CONFIG_HOST_CAP, cap);
	if (ret)
		return ret;
	if (c->jw) {
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_uint(c->jw, "host_cap", cap);
		jw_obj_close(c->jw);
		jw_end(c->jw);
	} else {
		printf("  host cap now %u\n", cap);
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * settle [TIMEOUT_MS]: promotions that free host slots cause in other
 * guests run asynchronously in the module. Print events as they come until
 * no guest has had one for SETTLE_QUIET_MS (or TIMEOUT_MS if shorter); fail
 * with ETIMEDOUT if they still come at TIMEOUT_MS.
 */
static int c_settle(struct rctx *c, int argc, char **argv)
{
	uint32_t timeout = SETTLE_TIMEOUT_MS, quiet;
	int64_t start, last, now, wait;
	struct pollfd *pfd;
	int gi, n, ret = 0;

	if (argc > 1)
		return step_error(c, "usage: settle [TIMEOUT_MS]");
	if (argc == 1 && number(c, argv[0], "timeout", &timeout))
		return STEP_FAILED;
	if (c->checking)
		return 0;
	quiet = timeout < SETTLE_QUIET_MS ? timeout : SETTLE_QUIET_MS;
	pfd = calloc(c->nr_guests + 1, sizeof(*pfd));
	if (!pfd)
		return -ENOMEM;
	/* Whoever reads a pipe sees what we wait for. */
	fflush(stdout);
	start = last = now_ms();
	for (;;) {
		print_events(c);
		now = now_ms();
		if (now - last >= quiet)
			break;
		if (now - start >= timeout) {
			ret = -ETIMEDOUT;
			break;
		}
		for (gi = 0, n = 0; gi < c->nr_guests; gi++) {
			if (!c->guests[gi].alive || !c->guests[gi].g)
				continue;
			pfd[n].fd = vqn_event_fd(c->guests[gi].g);
			pfd[n++].events = POLLIN;
		}
		wait = quiet - (now - last);
		if (wait > timeout - (now - start))
			wait = timeout - (now - start);
		n = poll(pfd, n, (int)wait);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (n > 0)
			last = now_ms();
	}
	free(pfd);
	if (ret)
		return ret;
	if (!c->jw)
		printf("  settled: no event for %u ms (%lld ms in all)\n", quiet,
		       (long long)(now - start));
	return 0;
}

/* expect guest GUEST KEY=N... and expect host KEY=N... */
static const struct {
	const char *key;
	size_t off;
} guest_keys[] = {
	{ "used", offsetof(struct vqnotify_guest_info, used) },
	{ "assigned", offsetof(struct vqnotify_guest_info, nr_assigned) },
	{ "offlimits", offsetof(struct vqnotify_guest_info, nr_offlimits) },
	{ "waiting", offsetof(struct vqnotify_guest_info, nr_waiting) },
	{ "devices", offsetof(struct vqnotify_guest_info, nr_devices) },
	{ "budget", offsetof(struct vqnotify_guest_info, budget) },
	{ "run-state", offsetof(struct vqnotify_guest_info, run_state) },
}, host_keys[] = {
	{ "used", offsetof(struct vqnotify_info, host_used) },
	{ "cap", offsetof(struct vqnotify_info, host_cap) },
	{ "guests", offsetof(struct vqnotify_info, nr_guests) },
};

#define NR_GUEST_KEYS	(sizeof(guest_keys) / sizeof(guest_keys[0]))
#define NR_HOST_KEYS	(sizeof(host_keys) / sizeof(host_keys[0]))

/* Label counters follow the fields: index NR_GUEST_KEYS + label. */
static int guest_key(const char *key)
{
	unsigned int i;

	for (i = 0; i < NR_GUEST_KEYS; i++)
		if (!strcmp(key, guest_keys[i].key))
			return i;
	for (i = VQNOTIFY_LABEL_A; i < VQNOTIFY_LABEL_MAX; i++)
		if (!strcmp(key, vqn_label_name(i)))
			return NR_GUEST_KEYS + i;
	return -1;
}

static int host_key(const char *key)
{
	unsigned int i;

	for (i = 0; i < NR_HOST_KEYS; i++)
		if (!strcmp(key, host_keys[i].key))
			return i;
	return -1;
}

/* KEY=VALUE; run-state takes stopped|running. */
static int key_value(struct rctx *c, char *arg, bool host, int *k,
		     uint32_t *v)
{
	char *eq = strchr(arg, '=');
	int ret;

	if (!eq)
		return step_error(c, "expected KEY=N, not '%s'", arg);
	*eq = '\0';
	*k = host ? host_key(arg) : guest_key(arg);
	if (*k < 0)
		ret = step_error(c, "unknown %s key '%s'",
				 host ? "host" : "guest", arg);
	else if (!host && !strcmp(arg, "run-state"))
		ret = !strcmp(eq + 1, "running") ?
			(*v = VQNOTIFY_RUN_RUNNING, 0) :
		      !strcmp(eq + 1, "stopped") ?
			(*v = VQNOTIFY_RUN_STOPPED, 0) :
			step_error(c, "run-state: running or stopped, not '%s'",
				   eq + 1);
	else
		ret = number(c, eq + 1, arg, v);
	*eq = '=';
	return ret;
}

static int expect_totals(struct rctx *c, int argc, char **argv, bool host)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_info info;
	int i, k, first = host ? 0 : 1, g = -1, ret;
	const char *what = host ? "host" : argv[0];
	bool probe = false;
	uint32_t want, is;

	if (argc <= first)
		return step_error(c, host ? "usage: expect host KEY=N..." :
				  "usage: expect guest GUEST KEY=N...");
	if (!host) {
		g = guest_get(c, argv[0], true);
		if (g < 0)
			return g;
	}
	for (i = first; i < argc; i++)
		if (key_value(c, argv[i], host, &k, &want))
			return STEP_FAILED;
	if (c->checking)
		return 0;
	if (!host) {
		ret = vqn_guest_get(c->guests[g].g, &gi);
	} else {
		/* Any open guest of ours can ask; else a probe of our own. */
		for (i = 0; i < c->nr_guests; i++)
			if (c->guests[i].alive && c->guests[i].g)
				break;
		if (i < c->nr_guests) {
			ret = vqn_get_info(c->guests[i].g, &info);
		} else {
			struct vqn_guest *pg;

			ret = vqn_open(&pg, NULL);
			if (!ret) {
				ret = vqn_get_info(pg, &info);
				vqn_close(pg);
				probe = true;
			}
		}
		info.nr_guests -= probe;
	}
	if (ret)
		return ret;
	for (i = first; i < argc; i++) {
		key_value(c, argv[i], host, &k, &want);
		if (host)
			is = *(uint32_t *)((char *)&info + host_keys[k].off);
		else if (k >= (int)NR_GUEST_KEYS)
			is = gi.counts[k - NR_GUEST_KEYS];
		else
			is = *(uint32_t *)((char *)&gi + guest_keys[k].off);
		if (is != want)
			return step_error(c, "expected %s %s, it is %u", what,
					  argv[i], is);
	}
	if (!c->jw) {
		printf("  ok: %s", what);
		for (i = first; i < argc; i++)
			printf(" %s", argv[i]);
		printf("\n");
	}
	return 0;
}

static const struct {
	const char *key;
	uint8_t flag;
} vq_flags[] = {
	{ "initialised", VQNOTIFY_VQ_INITIALISED },
	{ "waiting", VQNOTIFY_VQ_WAITING },
	{ "parked", VQNOTIFY_VQ_PARKED },
};

/* FLAG=0|1: bit 8 of the return says set, the low byte is the flag. */
static int vq_flag(struct rctx *c, const char *arg)
{
	size_t n = strcspn(arg, "=");
	unsigned int i;

	for (i = 0; i < sizeof(vq_flags) / sizeof(vq_flags[0]); i++)
		if (strlen(vq_flags[i].key) == n &&
		    !strncmp(arg, vq_flags[i].key, n) &&
		    (!strcmp(arg + n, "=0") || !strcmp(arg + n, "=1")))
			return vq_flags[i].flag | (arg[n + 1] == '1') << 8;
	return step_error(c, "bad flag '%s' (initialised, waiting or "
			  "parked =0 or =1)", arg);
}

static int c_expect(struct rctx *c, int argc, char **argv)
{
	static uint64_t bm[VQNOTIFY_MAX_QUEUES / 64];
	int di, state, reason = -1, ret, i, f[4], nf = 0;
	struct vqnotify_vq_info info;
	uint32_t one, q;

	if (argc >= 2 && !strcmp(argv[0], "host") && strchr(argv[1], '='))
		return expect_totals(c, argc - 1, argv + 1, true);
	if (argc >= 3 && !strcmp(argv[0], "guest") && strchr(argv[2], '='))
		return expect_totals(c, argc - 1, argv + 1, false);
	if (argc < 3)
		return step_error(c, "usage: expect DEV Q|LIST STATE [REASON] "
				  "[FLAG=0|1]...");
	di = dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (parse_queues(c, argv[1], di, bm, &one))
		return STEP_FAILED;
	state = vqn_state_from_name(argv[2]);
	if (state < 0)
		return step_error(c, "bad state '%s'", argv[2]);
	for (i = 3; i < argc; i++) {
		if (i == 3 && !strchr(argv[i], '=')) {
			reason = vqn_reason_from_name(argv[3]);
			if (reason < 0)
				return step_error(c, "bad reason '%s'",
						  argv[3]);
		} else if (nf == 4) {
			return step_error(c, "too many flags");
		} else {
			f[nf] = vq_flag(c, argv[i]);
			if (f[nf++] < 0)
				return STEP_FAILED;
		}
	}
	if (c->checking)
		return 0;
	for (q = 0; q < c->devs[di].nq; q++) {
		if (!bm_test(bm, q))
			continue;
		ret = vqn_queue_get(dev_guest(c, di), c->devs[di].id, q,
				    &info);
		if (ret)
			return ret;
		if (info.state != state ||
		    (reason >= 0 && info.reason != reason))
			return step_error(c,
				"expected %s q%u %s%s%s, it is %s (%s)",
				argv[0], q, vqn_state_name(state),
				reason >= 0 ? " " : "",
				reason >= 0 ? vqn_reason_name(reason) : "",
				vqn_state_name(info.state),
				vqn_reason_name(info.reason));
		for (i = 0; i < nf; i++)
			if (!(info.flags & (f[i] & 0xff)) != !(f[i] >> 8))
				return step_error(c,
					"expected %s q%u %s, it is not (flags 0x%x)",
					argv[0], q, argv[3 + (reason >= 0) + i],
					info.flags);
		if (!c->jw)
			printf("  ok: %s q%u is %s (%s)\n", argv[0], q,
			       vqn_state_name(info.state),
			       vqn_reason_name(info.reason));
	}
	return 0;
}

static int c_echo(struct rctx *c, int argc, char **argv)
{
	int i;

	if (c->checking)
		return 0;
	if (c->jw) {
		char buf[512] = "";

		for (i = 0; i < argc; i++) {
			if (i)
				strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, argv[i], sizeof(buf) - strlen(buf) - 1);
		}
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_str(c->jw, "echo", buf);
		jw_obj_close(c->jw);
		jw_end(c->jw);
		return 0;
	}
	for (i = 0; i < argc; i++)
		printf("%s%s", i ? " " : "", argv[i]);
	printf("\n");
	return 0;
}

struct rcmd {
	const char *name;
	int (*fn)(struct rctx *c, int argc, char **argv);
	bool changes;		/* worth a grid with autoshow */
	bool may_fail;		/* may stand after expect-error */
};

static const struct rcmd rcmds[] = {
	{ "guest", c_guest, true, true },
	{ "name", c_name, false, true },
	{ "budget", c_budget, true, true },
	{ "run-state", c_run_state, true, true },
	{ "dev", c_dev, true, true },
	{ "status", c_set_status, true, true },
	{ "driver-ok", c_driver_ok, true, true },
	{ "vhost", c_vhost, true, true },
	{ "acquire", c_acquire, true, true },
	{ "release", c_release, true, true },
	{ "reset", c_reset, true, true },
	{ "remove", c_remove, true, true },
	{ "save", c_save, false, true },
	{ "load", c_load, true, true },
	{ "close", c_close, true, true },
	{ "host-cap", c_host_cap, true, true },
	{ "settle", c_settle, true, false },
	{ "show", c_show, false, false },
	{ "autoshow", c_autoshow, false, false },
	{ "expect", c_expect, false, false },
	{ "echo", c_echo, false, false },
};

static const struct rcmd *rcmd_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(rcmds) / sizeof(rcmds[0]); i++)
		if (!strcmp(rcmds[i].name, name))
			return &rcmds[i];
	return NULL;
}

/* Split a line into words; '#' starts a comment, "..." keeps spaces. */
static int tokenize(struct rctx *c, struct step *s, char *p)
{
	s->argc = 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return 0;
		if (s->argc == MAX_ARGS)
			return step_error(c, "too many words (at most %d)",
					  MAX_ARGS);
		if (*p == '"') {
			s->argv[s->argc++] = ++p;
			p = strchr(p, '"');
			if (!p)
				return step_error(c, "unterminated quote");
		} else {
			s->argv[s->argc++] = p;
			while (*p && !isspace((unsigned char)*p) && *p != '#')
				p++;
			if (*p == '#') {
				*p = '\0';
				return 0;
			}
			if (!*p)
				return 0;
		}
		*p++ = '\0';
	}
}

/* Check (c->checking) or run one step. */
static int do_step(struct rctx *c, struct step *s)
{
	const struct rcmd *cmd;
	char **argv = s->argv;
	int argc = s->argc, ret;

	c->cur = s;
	c->in_expect = false;
	if (!strcmp(argv[0], "expect-error")) {
		if (argc < 3)
			return step_error(c,
				"usage: expect-error ERRNO COMMAND...");
		ret = errno_from_name(argv[1]);
		if (ret < 0)
			return step_error(c, "unknown errno name '%s'",
					  argv[1]);
		s->expect_err = ret;
		argv += 2;
		argc -= 2;
		c->in_expect = true;
	}
	cmd = rcmd_find(argv[0]);
	if (!cmd)
		return step_error(c, "unknown command '%s'", argv[0]);
	if (c->in_expect && !cmd->may_fail)
		return step_error(c, "'%s' cannot follow expect-error",
				  argv[0]);
	ret = cmd->fn(c, argc - 1, argv + 1);
	if (c->checking || ret == STEP_FAILED)
		return ret;

	if (s->expect_err) {
		if (!ret)
			return step_error(c, "'%s' succeeded, expected %s",
					  argv[0], errno_name(s->expect_err));
		if (ret != -s->expect_err)
			return step_error(c, "'%s' failed with %s, expected %s",
					  argv[0], errno_name(ret),
					  errno_name(s->expect_err));
		if (!c->jw)
			printf("  failed as expected: %s\n", errno_name(ret));
		ret = 0;
	} else if (ret) {
		return step_error(c, "%s: %s (%s)", argv[0], strerror(-ret),
				  errno_name(ret));
	}
	print_events(c);
	if (c->autoshow && cmd->changes && !c->jw)
		show_grid(c);
	return 0;
}

static char *read_all(FILE *f)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);

	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
		if (len == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void rctx_reset_symbols(struct rctx *c)
{
	int i;

	for (i = 0; i < c->nr_guests; i++)
		c->guests[i].alive = false;
	for (i = 0; i < c->nr_devs; i++)
		c->devs[i].alive = false;
	for (i = 0; i < c->nr_vars; i++)
		c->vars[i].set = false;
}

static void rctx_free(struct rctx *c)
{
	int i;

	for (i = 0; i < c->nr_guests; i++) {
		vqn_close(c->guests[i].g);
		free(c->guests[i].name);
	}
	for (i = 0; i < c->nr_devs; i++)
		free(c->devs[i].name);
	for (i = 0; i < c->nr_vars; i++) {
		free(c->vars[i].name);
		free(c->vars[i].blob);
	}
	free(c->guests);
	free(c->devs);
	free(c->vars);
	free(c->res);
	jw_free(c->jw);
}

int cmd_replay(int argc, char **argv)
{
	struct rctx c = { 0 };
	struct step *steps = NULL;
	int nr = 0, line = 0, i, ret = EXIT_OK;
	char *text, *p, *nl;
	FILE *f;

	if (argc > 1 && is_help(argv[1])) {
		replay_usage(stdout);
		return EXIT_OK;
	}
	if (argc != 2)
		return usage_error(replay_usage, "replay: expected FILE or -");
	c.file = argv[1];
	if (!strcmp(argv[1], "-")) {
		c.file = "<stdin>";
		f = stdin;
	} else {
		f = fopen(argv[1], "r");
		if (!f) {
			err_msg("replay: %s: %s", argv[1], strerror(errno));
			return EXIT_USAGE;
		}
	}
	text = read_all(f);
	if (f != stdin)
		fclose(f);
	c.res = calloc(VQNOTIFY_MAX_QUEUES, sizeof(*c.res));
	if (!text || !c.res) {
		err_msg("replay: out of memory");
		free(text);
		free(c.res);
		return EXIT_RUNTIME;
	}

	/* Pass 1: split and check every line; run nothing. */
	c.checking = true;
	for (p = text; p && *p; p = nl) {
		struct step s = { .line = ++line };

		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		s.text = p;
		c.cur = &s;
		if (tokenize(&c, &s, p)) {
			ret = EXIT_USAGE;
			goto out;
		}
		if (!s.argc)
			continue;
		steps = grow(steps, nr, sizeof(*steps));
		steps[nr] = s;
		if (do_step(&c, &steps[nr++])) {
			ret = EXIT_USAGE;
			goto out;
		}
	}

	/* Pass 2: run. */
	rctx_reset_symbols(&c);
	c.checking = false;
	if (opts.json)
		c.jw = jw_new(stdout, opts.pretty);
	for (i = 0; i < nr; i++) {
		if (!c.jw && strcmp(steps[i].argv[0], "echo")) {
			int j;

			printf("%4d>", steps[i].line);
			for (j = 0; j < steps[i].argc; j++)
				printf(strchr(steps[i].argv[j], ' ') ?
				       " \"%s\"" : " %s", steps[i].argv[j]);
			printf("\n");
		}
		if (do_step(&c, &steps[i])) {
			ret = EXIT_RUNTIME;
			break;
		}
	}
out:
	fflush(stdout);
	rctx_free(&c);
	free(steps);
	free(text);
	return ret;
}
