// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl replay: what it prints (results, events, the per-queue table
 * and grid) and its checks (expect, echo).
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

#include "replay.h"

void rp_print_result(struct rctx *c, const struct r_dev *d,
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
	printf("  %-8s q%-3u ", tname(d->name), r->queue);
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

void rp_print_results(struct rctx *c, const struct r_dev *d, int n)
{
	int i;

	for (i = 0; i < n && i < VQNOTIFY_MAX_QUEUES; i++)
		rp_print_result(c, d, &c->res[i], false);
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

/*
 * Print the events every open guest has pending: 0, or the library's
 * failure (a failed settling, returned once), which fails the step.
 */
int rp_print_events(struct rctx *c)
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
						rp_print_result(c, d, &r, true);
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
					       tname(g->name), ev[i].value);
				} else {
					printf("  %s: %s  [event]\n",
					       tname(g->name),
					       vqn_event_type_name(ev[i].type));
				}
			}
		}
		if (n < 0)
			return n;
	}
	return 0;
}

void rp_print_guest_line(struct rctx *c, int gi)
{
	struct vqnotify_guest_info info;

	if (vqn_guest_get(c->guests[gi].g, &info))
		return;
	info.name[sizeof(info.name) - 1] = '\0';
	printf("%s", tname(c->guests[gi].name));
	/* The module's name for it, escaped as every printer has it. */
	if (info.name[0] && strcmp(info.name, c->guests[gi].name))
		printf(" \"%s\"", tquoted(info.name));
	printf(": budget %u, used %u (%u assigned, %u offlimits), "
	       "%u waiting", info.budget, info.used,
	       info.nr_assigned, info.nr_offlimits, info.nr_waiting);
	if (info.out_flags & VQNOTIFY_GUEST_LIMITED)
		printf(", LIMITED (budget < threshold %u)", info.threshold);
	if (info.run_state == VQNOTIFY_RUN_STOPPED)
		printf(", STOPPED (slots parked)");
	printf("\n");
}

/*
 * Call @fn for every live guest (only guest @only when >= 0) with @d NULL,
 * then for each of its live devices with the queues the module reports,
 * vi[0] to vi[n - 1] (n < 0: the module's error). Returns 0, or the first
 * negative value @fn returns.
 */
static int rp_walk_devs(struct rctx *c, int only,
			int (*fn)(struct rctx *c, int gi, const struct r_dev *d,
				  const struct vqnotify_vq_info *vi, int n,
				  void *arg),
			void *arg)
{
	static struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	int gi, di, n, ret;

	for (gi = 0; gi < c->nr_guests; gi++) {
		if (!c->guests[gi].alive || (only >= 0 && gi != only))
			continue;
		ret = fn(c, gi, NULL, NULL, 0, arg);
		if (ret < 0)
			return ret;
		for (di = 0; di < c->nr_devs; di++) {
			const struct r_dev *d = &c->devs[di];
			struct vqnotify_dev_get dg;

			if (!d->alive || d->guest != gi)
				continue;
			n = vqn_dev_get(c->guests[gi].g, d->id, &dg, vi,
					VQNOTIFY_MAX_QUEUES);
			ret = fn(c, gi, d, vi, n, arg);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/* show's rows: @header says whether the guest's table has its header. */
static int show_rows(struct rctx *c, int gi, const struct r_dev *d,
		     const struct vqnotify_vq_info *vi, int n, void *header)
{
	int q;

	if (!d) {
		if (!c->jw)
			rp_print_guest_line(c, gi);
		*(bool *)header = false;
		return 0;
	}
	if (n < 0)
		return n;
	if (!c->jw && !*(bool *)header) {
		queue_table_header(stdout, false);
		*(bool *)header = true;
	}
	for (q = 0; q < n; q++) {
		struct queue_row r = {
			.guest = c->guests[gi].name,
			.guest_id = c->guests[gi].id,
			.dev = d->name,
			.dev_id = d->id,
			.transport = vqn_transport_name(d->transport),
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
	return 0;
}

/* show: every queue of the guest(s), one row each. */
int rp_show_table(struct rctx *c, int only)
{
	bool header = false;
	int ret;

	if (c->jw) {
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_arr_open(c->jw, "queues");
	}
	ret = rp_walk_devs(c, only, show_rows, &header);
	/* Closed on a failure too: each JSON line stays whole. */
	if (c->jw) {
		jw_arr_close(c->jw);
		jw_obj_close(c->jw);
		jw_end(c->jw);
	}
	return ret < 0 ? ret : 0;
}

/* autoshow's grid: the guest's line, then a row of states per device. */
static int grid_row(struct rctx *c, int gi, const struct r_dev *d,
		    const struct vqnotify_vq_info *vi, int n, void *arg)
{
	int q;

	if (!d) {
		rp_print_guest_line(c, gi);
		return 0;
	}
	for (q = 0; q < n; q++) {
		if (q % 6 == 0)
			printf(q ? "\n  %-8s " : "  %-8s ",
			       q ? "" : tname(d->name));
		printf(" %2d:%-*s", q, q % 6 == 5 || q == n - 1 ? 0 : 10,
		       vqn_state_name(vi[q].state));
	}
	printf("\n");
	return 0;
}

/* autoshow: a compact grid, a row of queue states per device. */
void rp_show_grid(struct rctx *c)
{
	rp_walk_devs(c, -1, grid_row, NULL);
}

int c_show(struct rctx *c, int argc, char **argv)
{
	int gi = -1;

	if (argc > 1)
		return rp_step_error(c, "usage: show [GUEST]");
	if (argc == 1) {
		gi = rp_guest_get(c, argv[0], true);
		if (gi < 0)
			return gi;
	}
	return c->checking ? 0 : rp_show_table(c, gi);
}

int c_autoshow(struct rctx *c, int argc, char **argv)
{
	if (argc != 1 || (strcmp(argv[0], "on") && strcmp(argv[0], "off")))
		return rp_step_error(c, "usage: autoshow on|off");
	if (!c->checking)
		c->autoshow = !strcmp(argv[0], "on");
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
		return rp_step_error(c, "expected KEY=N, not '%s'", arg);
	*eq = '\0';
	*k = host ? host_key(arg) : guest_key(arg);
	if (*k < 0)
		ret = rp_step_error(c, "unknown %s key '%s'",
				 host ? "host" : "guest", arg);
	else if (!host && !strcmp(arg, "run-state"))
		ret = !strcmp(eq + 1, "running") ?
			(*v = VQNOTIFY_RUN_RUNNING, 0) :
		      !strcmp(eq + 1, "stopped") ?
			(*v = VQNOTIFY_RUN_STOPPED, 0) :
			rp_step_error(c, "run-state: running or stopped, not '%s'",
				   eq + 1);
	else
		ret = rp_number(c, eq + 1, arg, v);
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
		return rp_step_error(c, host ? "usage: expect host KEY=N..." :
				  "usage: expect guest GUEST KEY=N...");
	if (!host) {
		g = rp_guest_get(c, argv[0], true);
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
			return rp_step_error(c, "expected %s %s, it is %u", what,
					  argv[i], is);
	}
	if (!c->jw) {
		printf("  ok: %s", what);
		for (i = first; i < argc; i++)
			rp_put_word(" ", argv[i], false);
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
	return rp_step_error(c, "bad flag '%s' (initialised, waiting or "
			  "parked =0 or =1)", arg);
}

int c_expect(struct rctx *c, int argc, char **argv)
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
		return rp_step_error(c, "usage: expect DEV Q|LIST STATE [REASON] "
				  "[FLAG=0|1]...");
	di = rp_dev_get(c, argv[0]);
	if (di < 0)
		return di;
	if (rp_parse_queues(c, argv[1], di, bm, &one))
		return STEP_FAILED;
	state = vqn_state_from_name(argv[2]);
	if (state < 0)
		return rp_step_error(c, "bad state '%s'", argv[2]);
	for (i = 3; i < argc; i++) {
		if (i == 3 && !strchr(argv[i], '=')) {
			reason = vqn_reason_from_name(argv[3]);
			if (reason < 0)
				return rp_step_error(c, "bad reason '%s'",
						  argv[3]);
		} else if (nf == 4) {
			return rp_step_error(c, "too many flags");
		} else {
			f[nf] = vq_flag(c, argv[i]);
			if (f[nf++] < 0)
				return STEP_FAILED;
		}
	}
	if (c->checking)
		return 0;
	for (q = 0; q < c->devs[di].nq; q++) {
		if (!rp_bm_test(bm, q))
			continue;
		ret = vqn_queue_get(rp_dev_guest(c, di), c->devs[di].id, q,
				    &info);
		if (ret)
			return ret;
		if (info.state != state ||
		    (reason >= 0 && info.reason != reason))
			return rp_step_error(c,
				"expected %s q%u %s%s%s, it is %s (%s)",
				argv[0], q, vqn_state_name(state),
				reason >= 0 ? " " : "",
				reason >= 0 ? vqn_reason_name(reason) : "",
				vqn_state_name(info.state),
				vqn_reason_name(info.reason));
		for (i = 0; i < nf; i++)
			if (!(info.flags & (f[i] & 0xff)) != !(f[i] >> 8))
				return rp_step_error(c,
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

int c_echo(struct rctx *c, int argc, char **argv)
{
	int i;

	if (c->checking)
		return 0;
	if (c->jw) {
		size_t len = 1;
		char *buf, *p;

		/* The whole text, words joined by a space, as without -j. */
		for (i = 0; i < argc; i++)
			len += strlen(argv[i]) + 1;
		buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		p = buf;
		*p = '\0';
		for (i = 0; i < argc; i++)
			p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
		jw_obj_open(c->jw, NULL);
		jw_uint(c->jw, "line", c->cur->line);
		jw_str(c->jw, "echo", buf);
		jw_obj_close(c->jw);
		jw_end(c->jw);
		free(buf);
		return 0;
	}
	for (i = 0; i < argc; i++)
		rp_put_word(i ? " " : "", argv[i], false);
	printf("\n");
	return 0;
}
