// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl: the guest, dev, queue, stats and config commands: what the
 * module holds, host-wide, over netlink (nl.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <linux/netlink.h>

#include "vqnotifyctl.h"

/* A lookup in the dumps of show_fetch() (sorted by dumps_prune()) */
static const char *dev_name_of(const struct vec *devs, uint32_t guest,
			       uint32_t id, uint32_t *transport)
{
	const struct nl_dev *d = find_dev(devs, guest, id);

	*transport = d ? d->transport : 0;
	return d ? d->name : "";
}

/* guest */

void guest_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] guest show [ID]\n"
		"       %s guest set ID { budget N | reserve N } ...\n"
		"show: every guest visible to you (all with CAP_NET_ADMIN).\n"
		"set (CAP_NET_ADMIN): the admin budget (lowering it preempts\n"
		"the guest's newest grants) and the vhost reserve.\n", prog,
		prog);
}

static void guest_json(struct jw *w, const struct nl_guest *g)
{
	unsigned int l;

	jw_obj_open(w, NULL);
	jw_uint(w, "id", g->id);
	jw_str(w, "name", g->name);
	jw_uint(w, "pid", g->pid);
	jw_uint(w, "uid", g->uid);
	jw_uint(w, "budget", g->budget);
	jw_uint(w, "admin_budget", g->admin_budget);
	jw_uint(w, "own_budget", g->own_budget);
	jw_uint(w, "vhost_reserve", g->reserve);
	jw_uint(w, "threshold", g->threshold);
	jw_uint(w, "used", g->used);
	jw_uint(w, "assigned", g->nr_assigned);
	jw_uint(w, "offlimits", g->nr_offlimits);
	jw_uint(w, "waiting", g->nr_waiting);
	jw_uint(w, "devices", g->nr_devices);
	jw_bool(w, "limited", g->limited);
	jw_bool(w, "over_budget", g->over_budget);
	jw_obj_open(w, "transitions");
	for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
		jw_uint(w, transition_key(l), g->counts[l]);
	jw_obj_close(w);
	jw_obj_close(w);
}

static int guest_show(struct nl *n, int64_t id)
{
	struct vec guests = { 0 };
	struct nl_guest *g;
	size_t i;
	int ret;

	ret = dump_guests(n, id, &guests);
	if (ret) {
		free(guests.v);
		return fail("guest show", ret);
	}
	g = guests.v;
	if (opts.json) {
		struct jw *w = jw_new(stdout, opts.pretty);

		jw_arr_open(w, NULL);
		for (i = 0; i < guests.nr; i++)
			guest_json(w, &g[i]);
		jw_arr_close(w);
		jw_end(w);
		jw_free(w);
	} else {
		printf("%-5s %-16s %7s %7s %7s %5s %5s %5s %5s %4s %s\n", "ID",
		       "LABEL", "PID", "BUDGET", "RESERVE", "USED", "ASSGN",
		       "OFFL", "WAIT", "DEVS", "FLAGS");
		for (i = 0; i < guests.nr; i++)
			printf("%-5u %-16s %7u %7u %7u %5u %5u %5u %5u %4u %s%s\n",
			       g[i].id, tname(g[i].name),
			       g[i].pid, g[i].budget, g[i].reserve, g[i].used,
			       g[i].nr_assigned, g[i].nr_offlimits,
			       g[i].nr_waiting, g[i].nr_devices,
			       g[i].limited ? "limited " : "",
			       g[i].over_budget ? "over-budget" : "");
	}
	free(guests.v);
	return EXIT_OK;
}

/*
 * KEY N pairs from argv[@first] on, at least one: each KEY one @key_of
 * knows (its index, below 64; -1 for none), once, each N a u32. 0, or
 * EXIT_USAGE with the message printed (@what: the command, as "guest
 * set"). A key given once bounds the request the command builds: it fits
 * its netlink message, where libnl would drop what does not.
 */
int check_pairs(int argc, char **argv, int first, int (*key_of)(const char *),
		void (*usage)(FILE *f), const char *what)
{
	uint64_t seen = 0;
	uint32_t v;
	int i, k;

	if (argc <= first || (argc - first) % 2)
		return usage_error(usage, "%s: expected KEY N", what);
	for (i = first; i < argc; i += 2) {
		k = key_of(argv[i]);
		if (k < 0)
			return usage_error(usage, "%s: unknown key '%s'", what,
					   argv[i]);
		if (seen & (1ULL << k))
			return usage_error(usage, "%s: '%s' given twice", what,
					   argv[i]);
		seen |= 1ULL << k;
		if (parse_u32(argv[i + 1], &v))
			return usage_error(usage, "%s: '%s' is not a number",
					   what, argv[i + 1]);
	}
	return 0;
}

static int guest_key(const char *word)
{
	return !strcmp(word, "budget") ? 0 : !strcmp(word, "reserve") ? 1 : -1;
}

/* guest set ID KEY N...: 0, or EXIT_USAGE with the message printed. */
static int guest_set_check(int argc, char **argv)
{
	uint32_t v;

	if (argc < 5 || !(argc % 2))
		return usage_error(guest_usage, "guest set: expected ID and "
				   "budget N and/or reserve N");
	if (parse_u32(argv[2], &v))
		return usage_error(guest_usage, "'%s' is not an id", argv[2]);
	return check_pairs(argc, argv, 3, guest_key, guest_usage, "guest set");
}

static int guest_set(struct nl *n, int argc, char **argv)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_GUEST_SET, false);
	uint32_t v;
	int i, ret;

	if (!msg)
		return fail("guest set", -ENOMEM);
	parse_u32(argv[2], &v);
	nla_put_u32(msg, VQNOTIFY_A_GUEST_ID, v);
	for (i = 3; i < argc; i += 2) {
		parse_u32(argv[i + 1], &v);
		nla_put_u32(msg, !strcmp(argv[i], "budget") ?
			    VQNOTIFY_A_GUEST_ADMIN_BUDGET :
			    VQNOTIFY_A_GUEST_VHOST_RESERVE, v);
	}
	ret = nl_request(n, msg, NULL, NULL);
	return ret ? fail("guest set", ret) : EXIT_OK;
}

int cmd_guest(int argc, char **argv)
{
	static const char *const cmds[] = { "show", "set", NULL };
	const char *cmd;
	int64_t id[1];
	struct nl n;
	int ret;

	ret = subcommand(argc, argv, guest_usage, cmds, &cmd);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!strcmp(cmd, "show")) {
		ret = parse_ids(argc > 2 ? argc - 2 : 0, argv + 2, 1, id,
				guest_usage);
		if (ret)
			return ret;
	} else {
		ret = guest_set_check(argc, argv);
		if (ret)
			return ret;
	}
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	ret = !strcmp(cmd, "show") ? guest_show(&n, id[0]) :
				     guest_set(&n, argc, argv);
	ctl_nl_close(&n);
	return ret;
}

/* dev and queue */

/* What dev show and queue show print, and the guests and devices named. */
struct shown {
	struct vec guests, devs, queues;
};

static void shown_free(struct shown *o)
{
	free(o->guests.v);
	free(o->devs.v);
	free(o->queues.v);
}

/*
 * dev show [GUEST_ID] (@nr_ids 1) and queue show [GUEST_ID [DEV_ID]]
 * (@nr_ids 2), up to the printing: the command line, then, for queue show,
 * the queues of the guest or device, the devices of the guest and the
 * guests into @o, in that order for dumps_prune(). Returns 0, -1 when
 * "help" printed the usage, or an exit code (@o freed).
 */
static int show_fetch(int argc, char **argv, void (*usage)(FILE *f),
		      int nr_ids, const char *what, struct shown *o)
{
	static const char *const cmds[] = { "show", NULL };
	int64_t id[2] = { -1, -1 };
	const char *cmd;
	struct nl n;
	int ret;

	ret = subcommand(argc, argv, usage, cmds, &cmd);
	if (ret)
		return ret;
	ret = parse_ids(argc > 2 ? argc - 2 : 0, argv + 2, nr_ids, id, usage);
	if (ret)
		return ret;
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	ret = check_exists(&n, id[0], id[1]);
	if (!ret && nr_ids == 2)
		ret = dump_queues(&n, id[0], id[1], &o->queues);
	if (!ret)
		ret = dump_devs(&n, id[0], &o->devs);
	if (!ret)
		ret = dump_guests(&n, -1, &o->guests);
	ctl_nl_close(&n);
	if (ret) {
		shown_free(o);
		return fail(what, ret);
	}
	dumps_prune(&o->guests, &o->devs, nr_ids == 2 ? &o->queues : NULL);
	return 0;
}

void dev_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] dev show [GUEST_ID]\n"
		"The devices of every visible guest, or of one.\n", prog);
}

int cmd_dev(int argc, char **argv)
{
	struct shown o = { 0 };
	struct vec *guests = &o.guests, *devs = &o.devs;
	struct nl_dev *d;
	size_t i;
	int ret;

	ret = show_fetch(argc, argv, dev_usage, 1, "dev show", &o);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	d = devs->v;
	if (opts.json) {
		struct jw *w = jw_new(stdout, opts.pretty);

		jw_arr_open(w, NULL);
		for (i = 0; i < devs->nr; i++) {
			jw_obj_open(w, NULL);
			jw_uint(w, "guest_id", d[i].guest_id);
			jw_str(w, "guest", guest_name_of(guests, d[i].guest_id));
			jw_uint(w, "id", d[i].id);
			jw_str(w, "name", d[i].name);
			jw_str(w, "transport",
			       vqn_transport_name(d[i].transport));
			jw_uint(w, "status", d[i].status);
			jw_bool(w, "driver_ok",
				d[i].status & VQNOTIFY_STATUS_DRIVER_OK);
			jw_uint(w, "queues", d[i].num_queues);
			jw_obj_close(w);
		}
		jw_arr_close(w);
		jw_end(w);
		jw_free(w);
	} else {
		printf("%-5s %-12s %-5s %-16s %-4s %-6s %s\n", "GUEST",
		       "LABEL", "DEV", "DEVICE", "TRAN", "STATUS", "QUEUES");
		for (i = 0; i < devs->nr; i++)
			printf("%-5u %-12s %-5u %-16s %-4s 0x%02x%s %u\n",
			       d[i].guest_id,
			       tname(guest_name_of(guests, d[i].guest_id)),
			       d[i].id, tname(d[i].name),
			       vqn_transport_name(d[i].transport),
			       d[i].status,
			       d[i].status & VQNOTIFY_STATUS_DRIVER_OK ?
			       " ok" : "   ", d[i].num_queues);
	}
	shown_free(&o);
	return EXIT_OK;
}

/* queue */

void queue_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] queue show [GUEST_ID [DEV_ID]]\n"
		"Every visible queue, of one guest, or of one device: its\n"
		"state, the label of its last transition and the reason.\n",
		prog);
}

int cmd_queue(int argc, char **argv)
{
	struct shown o = { 0 };
	struct nl_queue *q;
	struct jw *w = NULL;
	size_t i;
	int ret;

	ret = show_fetch(argc, argv, queue_usage, 2, "queue show", &o);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	q = o.queues.v;
	if (opts.json) {
		w = jw_new(stdout, opts.pretty);
		jw_arr_open(w, NULL);
	} else {
		queue_table_header(stdout, false);
	}
	for (i = 0; i < o.queues.nr; i++) {
		uint32_t t;
		struct queue_row r = {
			.guest = guest_name_of(&o.guests, q[i].guest_id),
			.guest_id = q[i].guest_id,
			.dev = dev_name_of(&o.devs, q[i].guest_id, q[i].dev_id,
					   &t),
			.dev_id = q[i].dev_id,
			.queue = q[i].index,
			.state = q[i].state,
			.label = q[i].label,
			.reason = q[i].reason,
			.flags = q[i].flags,
			.kvm = -1,
		};

		r.transport = vqn_transport_name(t);
		if (w)
			queue_json(w, &r);
		else
			queue_table_row(stdout, &r, false);
	}
	if (w) {
		jw_arr_close(w);
		jw_end(w);
		jw_free(w);
	}
	shown_free(&o);
	return EXIT_OK;
}

/* stats */

/* The host-wide counters, as "counters" of stats -j. */
static void stats_json(struct jw *w, const struct nl_stats *st)
{
	unsigned int i;

	jw_obj_open(w, "counters");
	jw_obj_open(w, "transitions");
	for (i = VQNOTIFY_LABEL_A; i < VQNOTIFY_LABEL_MAX; i++)
		jw_uint(w, transition_key(i), st->transitions[i]);
	jw_obj_close(w);
	jw_obj_open(w, "refusals");
	for (i = 0; i < VQNOTIFY_REASON_MAX; i++)
		if (st->refusal_valid[i])
			jw_uint(w, vqn_reason_name(i), st->refusals[i]);
	jw_obj_close(w);
	jw_uint(w, "preemptions", st->preemptions);
	jw_uint(w, "promotions", st->promotions);
	jw_uint(w, "events_dropped", st->events_dropped);
	jw_uint(w, "guests_opened", st->guests_opened);
	jw_uint(w, "guests_closed", st->guests_closed);
	jw_obj_close(w);
}

void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] stats\n"
		"Host-wide slot usage and settings, and each visible guest's\n"
		"transitions counted by label (a)-(x).\n", prog);
}

int cmd_stats(int argc, char **argv)
{
	struct vec guests = { 0 };
	struct nl_stats st;
	struct nl_config c;
	struct nl_guest *g;
	struct nl n;
	size_t i;
	int ret, l;

	if (argc > 1 && is_help(argv[1])) {
		stats_usage(stdout);
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error(stats_usage, "stats: unexpected '%s'",
				   argv[1]);
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	ret = get_config(&n, &c);
	if (!ret)
		ret = dump_guests(&n, -1, &guests);
	/* A module without the counters: they are printed as absent. */
	if (!ret)
		ret = get_stats(&n, &st);
	ctl_nl_close(&n);
	if (ret) {
		free(guests.v);
		return fail("stats", ret);
	}
	g = guests.v;
	if (opts.json) {
		struct jw *w = jw_new(stdout, opts.pretty);

		jw_obj_open(w, NULL);
		jw_uint(w, "host_used", c.v[VQNOTIFY_A_CONFIG_HOST_USED]);
		jw_uint(w, "host_cap", c.v[VQNOTIFY_A_CONFIG_HOST_CAP]);
		jw_uint(w, "nr_guests", c.v[VQNOTIFY_A_CONFIG_NR_GUESTS]);
		if (st.valid)
			stats_json(w, &st);
		jw_arr_open(w, "guests");
		for (i = 0; i < guests.nr; i++)
			guest_json(w, &g[i]);
		jw_arr_close(w);
		jw_obj_close(w);
		jw_end(w);
		jw_free(w);
		free(guests.v);
		return EXIT_OK;
	}
	printf("slots in use %u of host cap %u, %u guests\n",
	       c.v[VQNOTIFY_A_CONFIG_HOST_USED], c.v[VQNOTIFY_A_CONFIG_HOST_CAP],
	       c.v[VQNOTIFY_A_CONFIG_NR_GUESTS]);
	if (st.valid) {
		printf("since the module was loaded: %llu guests opened, %llu closed, %llu events dropped\n",
		       (unsigned long long)st.guests_opened,
		       (unsigned long long)st.guests_closed,
		       (unsigned long long)st.events_dropped);
		printf("refused:");
		for (l = 0; l < VQNOTIFY_REASON_MAX; l++)
			if (st.refusal_valid[l])
				printf(" %s %llu", vqn_reason_name(l),
				       (unsigned long long)st.refusals[l]);
		printf("\n");
	}
	printf("%-5s %-16s", "ID", "LABEL");
	for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
		printf(" %6s", vqn_label_name(l));
	printf("\n");
	if (st.valid) {
		printf("%-5s %-16s", "host", "(all, ever)");
		for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
			printf(" %6llu", (unsigned long long)st.transitions[l]);
		printf("\n");
	}
	for (i = 0; i < guests.nr; i++) {
		printf("%-5u %-16s", g[i].id, tname(g[i].name));
		for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
			printf(" %6llu", (unsigned long long)g[i].counts[l]);
		printf("\n");
	}
	free(guests.v);
	return EXIT_OK;
}

/* config */

/* The words of config set and show; the JSON keys are snake_case. */
static const struct {
	const char *name;
	const char *key;
	int attr;
	bool settable;
} config_keys[] = {
	{ "default-budget", "default_budget",
	  VQNOTIFY_A_CONFIG_DEFAULT_BUDGET, true },
	{ "threshold", "threshold", VQNOTIFY_A_CONFIG_THRESHOLD, true },
	{ "vhost-reserve", "vhost_reserve", VQNOTIFY_A_CONFIG_VHOST_RESERVE,
	  true },
	{ "host-cap", "host_cap", VQNOTIFY_A_CONFIG_HOST_CAP, true },
	{ "host-used", "host_used", VQNOTIFY_A_CONFIG_HOST_USED, false },
	{ "guests", "nr_guests", VQNOTIFY_A_CONFIG_NR_GUESTS, false },
	{ "user-max-guests", "user_max_guests",
	  VQNOTIFY_A_CONFIG_USER_MAX_GUESTS, true },
	{ "user-max-devices", "user_max_devices",
	  VQNOTIFY_A_CONFIG_USER_MAX_DEVICES, true },
	{ "user-max-queues", "user_max_queues",
	  VQNOTIFY_A_CONFIG_USER_MAX_QUEUES, true },
	{ "user-max-slots", "user_max_slots",
	  VQNOTIFY_A_CONFIG_USER_MAX_SLOTS, true },
};

#define NR_CONFIG_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* A settable key by its word, or its JSON key (host_cap as host-cap). */
static int config_key(const char *word)
{
	unsigned int k;

	for (k = 0; k < NR_CONFIG_KEYS; k++)
		if (config_keys[k].settable &&
		    (!strcmp(word, config_keys[k].name) ||
		     !strcmp(word, config_keys[k].key)))
			return k;
	return -1;
}

void config_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] config show\n"
		"       %s config set KEY N [KEY N]...\n"
		"KEY := { default-budget | threshold | vhost-reserve | host-cap |\n"
		"         user-max-guests | user-max-devices | user-max-queues |\n"
		"         user-max-slots }\n"
		"set needs CAP_NET_ADMIN. A threshold change applies to every\n"
		"guest at once; default-budget and vhost-reserve to guests\n"
		"opened later; user-max-* (per-user limits, 0: the default) at\n"
		"once.\n", prog, prog);
}

static int config_set(struct nl *n, int argc, char **argv)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_CONFIG_SET, false);
	unsigned int k;
	uint32_t v;
	int i, ret;

	if (!msg)
		return fail("config set", -ENOMEM);
	for (i = 2; i < argc; i += 2) {
		k = config_key(argv[i]);
		parse_u32(argv[i + 1], &v);
		nla_put_u32(msg, config_keys[k].attr, v);
	}
	ret = nl_request(n, msg, NULL, NULL);
	return ret ? fail("config set", ret) : EXIT_OK;
}

static int config_check(int argc, char **argv)
{
	return check_pairs(argc, argv, 2, config_key, config_usage,
			   "config set");
}

static int config_show(struct nl *n)
{
	struct nl_config c;
	unsigned int k;
	int ret;

	ret = get_config(n, &c);
	if (ret)
		return fail("config show", ret);
	if (opts.json) {
		struct jw *w = jw_new(stdout, opts.pretty);

		jw_obj_open(w, NULL);
		for (k = 0; k < NR_CONFIG_KEYS; k++)
			if (c.has[config_keys[k].attr])
				jw_uint(w, config_keys[k].key,
					c.v[config_keys[k].attr]);
		jw_obj_close(w);
		jw_end(w);
		jw_free(w);
		return EXIT_OK;
	}
	/* An older module lacks the newer settings: "-", not a false 0. */
	for (k = 0; k < NR_CONFIG_KEYS; k++)
		if (c.has[config_keys[k].attr])
			printf("%-15s %u\n", config_keys[k].name,
			       c.v[config_keys[k].attr]);
		else
			printf("%-15s -\n", config_keys[k].name);
	return EXIT_OK;
}

/* One host-wide setting, for replay's host-cap: 0 or a negative errno. */
int config_set_u32(int attr, uint32_t v)
{
	struct nl_msg *msg;
	struct nl n;
	int ret;

	ret = ctl_nl_open(&n);
	if (ret)
		return ret;
	msg = nl_new(&n, VQNOTIFY_CMD_CONFIG_SET, false);
	if (msg && nla_put_u32(msg, attr, v)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	ret = nl_request(&n, msg, NULL, NULL);
	ctl_nl_close(&n);
	return ret;
}

int cmd_config(int argc, char **argv)
{
	static const char *const cmds[] = { "show", "set", NULL };
	const char *cmd;
	struct nl n;
	int ret;

	ret = subcommand(argc, argv, config_usage, cmds, &cmd);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!strcmp(cmd, "set")) {
		ret = config_check(argc, argv);
		if (ret)
			return ret;
	} else if (argc > 2) {
		return usage_error(config_usage, "config show: unexpected '%s'",
				   argv[2]);
	}
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	ret = !strcmp(cmd, "set") ? config_set(&n, argc, argv) :
				    config_show(&n);
	ctl_nl_close(&n);
	return ret;
}
