// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl: the host-wide commands, over the generic netlink family
 * "vqnotify" (Documentation/netlink/specs/vqnotify.yaml): guest, dev and
 * queue show, stats, monitor, config and guest set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "vqnotifyctl.h"

struct nl {
	struct nl_sock *sk;
	int family;
};

struct nl_guest {
	uint32_t id, pid, uid, budget, admin_budget, own_budget, reserve;
	uint32_t threshold, used, nr_assigned, nr_offlimits, nr_waiting;
	uint32_t nr_devices;
	bool limited, over_budget;
	uint64_t counts[VQNOTIFY_NR_COUNTERS];
	char label[VQNOTIFY_LABEL_LEN];
};

struct nl_dev {
	uint32_t guest_id, id, transport, status, num_queues;
	char label[VQNOTIFY_LABEL_LEN];
};

struct nl_queue {
	uint32_t guest_id, dev_id, index, state, reason, label, flags, seq;
};

/* Growing arrays filled by dump callbacks. */
struct vec {
	void *v;
	size_t nr, size;
};

static void *vec_add(struct vec *a)
{
	void *n = realloc(a->v, (a->nr + 1) * a->size);

	if (!n)
		return NULL;
	a->v = n;
	memset((char *)n + a->nr * a->size, 0, a->size);
	return (char *)n + a->nr++ * a->size;
}

static int ctl_nl_open(struct nl *n)
{
	int ret;

	n->sk = nl_socket_alloc();
	if (!n->sk) {
		err_msg("netlink: out of memory");
		return -ENOMEM;
	}
	ret = genl_connect(n->sk);
	if (!ret) {
		n->family = genl_ctrl_resolve(n->sk, VQNOTIFY_FAMILY_NAME);
		if (n->family < 0) {
			err_msg("generic netlink family '%s' not found: is the vqnotify module loaded?",
				VQNOTIFY_FAMILY_NAME);
			nl_socket_free(n->sk);
			return -ENOENT;
		}
		return 0;
	}
	err_msg("netlink: %s", nl_geterror(ret));
	nl_socket_free(n->sk);
	return -EIO;
}

static void ctl_nl_close(struct nl *n)
{
	nl_socket_free(n->sk);
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	*(int *)arg = e->error;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	*(int *)arg = 0;
	return NL_SKIP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	*(int *)arg = 0;
	return NL_STOP;
}

static struct nl_msg *nl_new(struct nl *n, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, n->family, 0,
				dump ? NLM_F_DUMP : 0, cmd,
				VQNOTIFY_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* Send @msg (consumed), feed every reply to @parse; 0 or negative errno. */
static int nl_request(struct nl *n, struct nl_msg *msg,
		      int (*parse)(struct nl_msg *, void *), void *arg)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err = 1, ret;

	if (!cb || !msg) {
		nl_cb_put(cb);
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = nl_send_auto(n->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	if (parse)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, parse, arg);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &err);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &err);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &err);
	while (err > 0) {
		ret = nl_recvmsgs(n->sk, cb);
		if (ret < 0 && err > 0)
			err = -EIO;
	}
	nl_cb_put(cb);
	return err;
}

static uint32_t get_u32(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u32(tb[a]) : 0;
}

static void get_str(struct nlattr **tb, int a, char *dst)
{
	dst[0] = '\0';
	if (tb[a])
		snprintf(dst, VQNOTIFY_LABEL_LEN, "%s", nla_get_string(tb[a]));
}

/* uint: 4 or 8 bytes, by length. */
static uint64_t get_uint(const struct nlattr *a)
{
	return nla_len(a) == 8 ? nla_get_u64((struct nlattr *)a) :
				 nla_get_u32((struct nlattr *)a);
}

static void parse_guest(struct nlattr **tb, struct nl_guest *g)
{
	struct nlattr *a;
	int rem;

	g->id = get_u32(tb, VQNOTIFY_A_GUEST_ID);
	get_str(tb, VQNOTIFY_A_GUEST_LABEL, g->label);
	g->pid = get_u32(tb, VQNOTIFY_A_GUEST_PID);
	g->uid = get_u32(tb, VQNOTIFY_A_GUEST_UID);
	g->budget = get_u32(tb, VQNOTIFY_A_GUEST_BUDGET);
	g->admin_budget = get_u32(tb, VQNOTIFY_A_GUEST_ADMIN_BUDGET);
	g->own_budget = get_u32(tb, VQNOTIFY_A_GUEST_OWN_BUDGET);
	g->reserve = get_u32(tb, VQNOTIFY_A_GUEST_VHOST_RESERVE);
	g->threshold = get_u32(tb, VQNOTIFY_A_GUEST_THRESHOLD);
	g->used = get_u32(tb, VQNOTIFY_A_GUEST_USED);
	g->nr_assigned = get_u32(tb, VQNOTIFY_A_GUEST_NR_ASSIGNED);
	g->nr_offlimits = get_u32(tb, VQNOTIFY_A_GUEST_NR_OFFLIMITS);
	g->nr_waiting = get_u32(tb, VQNOTIFY_A_GUEST_NR_WAITING);
	g->nr_devices = get_u32(tb, VQNOTIFY_A_GUEST_NR_DEVICES);
	g->limited = tb[VQNOTIFY_A_GUEST_LIMITED];
	g->over_budget = tb[VQNOTIFY_A_GUEST_OVER_BUDGET];
	if (tb[VQNOTIFY_A_GUEST_COUNTS])
		nla_for_each_nested(a, tb[VQNOTIFY_A_GUEST_COUNTS], rem)
			if (nla_type(a) < VQNOTIFY_NR_COUNTERS)
				g->counts[nla_type(a)] = get_uint(a);
}

static void parse_dev(struct nlattr **tb, struct nl_dev *d)
{
	d->guest_id = get_u32(tb, VQNOTIFY_A_DEV_GUEST_ID);
	d->id = get_u32(tb, VQNOTIFY_A_DEV_ID);
	get_str(tb, VQNOTIFY_A_DEV_LABEL, d->label);
	d->transport = get_u32(tb, VQNOTIFY_A_DEV_TRANSPORT);
	d->status = get_u32(tb, VQNOTIFY_A_DEV_STATUS);
	d->num_queues = get_u32(tb, VQNOTIFY_A_DEV_NUM_QUEUES);
}

static void parse_queue(struct nlattr **tb, struct nl_queue *q)
{
	q->guest_id = get_u32(tb, VQNOTIFY_A_QUEUE_GUEST_ID);
	q->dev_id = get_u32(tb, VQNOTIFY_A_QUEUE_DEV_ID);
	q->index = get_u32(tb, VQNOTIFY_A_QUEUE_INDEX);
	q->state = get_u32(tb, VQNOTIFY_A_QUEUE_STATE);
	q->reason = get_u32(tb, VQNOTIFY_A_QUEUE_REASON);
	q->label = get_u32(tb, VQNOTIFY_A_QUEUE_LABEL);
	q->flags = get_u32(tb, VQNOTIFY_A_QUEUE_FLAGS);
	q->seq = get_u32(tb, VQNOTIFY_A_QUEUE_ASSIGN_SEQ);
}

#define ATTR_MAX 32

static int cb_guest(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ATTR_MAX + 1];
	struct nl_guest *g;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_GUEST_MAX, NULL))
		return NL_SKIP;
	g = vec_add(arg);
	if (g)
		parse_guest(tb, g);
	return NL_OK;
}

static int cb_dev(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ATTR_MAX + 1];
	struct nl_dev *d;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_DEV_MAX, NULL))
		return NL_SKIP;
	d = vec_add(arg);
	if (d)
		parse_dev(tb, d);
	return NL_OK;
}

static int cb_queue(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ATTR_MAX + 1];
	struct nl_queue *q;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_QUEUE_MAX, NULL))
		return NL_SKIP;
	q = vec_add(arg);
	if (q)
		parse_queue(tb, q);
	return NL_OK;
}

struct nl_config {
	uint32_t v[VQNOTIFY_A_CONFIG_MAX + 1];
};

static int cb_config(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ATTR_MAX + 1];
	struct nl_config *c = arg;
	int i;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_CONFIG_MAX, NULL))
		return NL_SKIP;
	for (i = 1; i <= VQNOTIFY_A_CONFIG_MAX; i++)
		c->v[i] = get_u32(tb, i);
	return NL_OK;
}

/* guest: -1 for all; dev: -1 for all of the guest. */
static int dump_guests(struct nl *n, int64_t id, struct vec *out)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_GUEST_GET, id < 0);

	out->size = sizeof(struct nl_guest);
	if (msg && id >= 0)
		nla_put_u32(msg, VQNOTIFY_A_GUEST_ID, id);
	return nl_request(n, msg, cb_guest, out);
}

static int dump_devs(struct nl *n, int64_t guest, struct vec *out)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_DEV_GET, true);

	out->size = sizeof(struct nl_dev);
	if (msg && guest >= 0)
		nla_put_u32(msg, VQNOTIFY_A_DEV_GUEST_ID, guest);
	return nl_request(n, msg, cb_dev, out);
}

static int dump_queues(struct nl *n, int64_t guest, int64_t dev,
		       struct vec *out)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_QUEUE_GET, true);

	out->size = sizeof(struct nl_queue);
	if (msg && guest >= 0)
		nla_put_u32(msg, VQNOTIFY_A_QUEUE_GUEST_ID, guest);
	if (msg && dev >= 0)
		nla_put_u32(msg, VQNOTIFY_A_QUEUE_DEV_ID, dev);
	return nl_request(n, msg, cb_queue, out);
}

static int get_config(struct nl *n, struct nl_config *c)
{
	memset(c, 0, sizeof(*c));
	return nl_request(n, nl_new(n, VQNOTIFY_CMD_CONFIG_GET, false),
			  cb_config, c);
}

static int fail(const char *what, int err)
{
	err_msg("%s: %s (%s)", what, strerror(-err), errno_name(err));
	return EXIT_RUNTIME;
}

/* Optional numeric arguments: at most @max of them, all u32. */
static int parse_ids(int argc, char **argv, int max, int64_t *ids,
		     void (*usage)(FILE *f))
{
	uint32_t v;
	int i;

	if (argc > max)
		return usage_error(usage, "unexpected '%s'", argv[max]);
	for (i = 0; i < max; i++)
		ids[i] = -1;
	for (i = 0; i < argc; i++) {
		if (parse_u32(argv[i], &v))
			return usage_error(usage, "'%s' is not an id",
					   argv[i]);
		ids[i] = v;
	}
	return 0;
}

/*
 * The command word, show by default. Returns 0, EXIT_USAGE, or -1 when
 * "help" anywhere made it print the usage.
 */
static int subcommand(int argc, char **argv, void (*usage)(FILE *f),
		      const char *const *allowed, const char **cmd)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			usage(stdout);
			return -1;
		}
	}
	*cmd = argc > 1 ? argv[1] : allowed[0];
	for (i = 0; allowed[i]; i++)
		if (!strcmp(*cmd, allowed[i]))
			return 0;
	return usage_error(usage, "%s: unknown command '%s'", argv[0], *cmd);
}

static const char *guest_label(struct vec *guests, uint32_t id)
{
	struct nl_guest *g = guests->v;
	size_t i;

	for (i = 0; i < guests->nr; i++)
		if (g[i].id == id)
			return g[i].label[0] ? g[i].label : "-";
	return "?";
}

static const char *dev_label(struct vec *devs, uint32_t guest, uint32_t id,
			     uint32_t *transport)
{
	struct nl_dev *d = devs->v;
	size_t i;

	for (i = 0; i < devs->nr; i++) {
		if (d[i].guest_id == guest && d[i].id == id) {
			*transport = d[i].transport;
			return d[i].label[0] ? d[i].label : "-";
		}
	}
	*transport = 0;
	return "?";
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
	static const char *const names[] = { "", "a", "b", "c", "d", "e",
					     "f", "g", "p", "r", "s", "q", "x" };
	unsigned int l;

	jw_obj_open(w, NULL);
	jw_uint(w, "id", g->id);
	jw_str(w, "label", g->label);
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
		jw_uint(w, names[l], g->counts[l]);
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
	if (ret)
		return fail("guest show", ret);
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
			       g[i].id, g[i].label[0] ? g[i].label : "-",
			       g[i].pid, g[i].budget, g[i].reserve, g[i].used,
			       g[i].nr_assigned, g[i].nr_offlimits,
			       g[i].nr_waiting, g[i].nr_devices,
			       g[i].limited ? "limited " : "",
			       g[i].over_budget ? "over-budget" : "");
	}
	free(guests.v);
	return EXIT_OK;
}

/* guest set ID KEY N...: 0, or EXIT_USAGE with the message printed. */
static int guest_set_check(int argc, char **argv)
{
	uint32_t v;
	int i;

	if (argc < 5 || !(argc % 2))
		return usage_error(guest_usage, "guest set: expected ID and "
				   "budget N and/or reserve N");
	if (parse_u32(argv[2], &v))
		return usage_error(guest_usage, "'%s' is not an id", argv[2]);
	for (i = 3; i < argc; i += 2) {
		if (strcmp(argv[i], "budget") && strcmp(argv[i], "reserve"))
			return usage_error(guest_usage,
					   "guest set: unknown key '%s'",
					   argv[i]);
		if (parse_u32(argv[i + 1], &v))
			return usage_error(guest_usage,
					   "guest set: '%s' is not a number",
					   argv[i + 1]);
	}
	return 0;
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

/* dev */

void dev_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] dev show [GUEST_ID]\n"
		"The devices of every visible guest, or of one.\n", prog);
}

int cmd_dev(int argc, char **argv)
{
	static const char *const cmds[] = { "show", NULL };
	struct vec guests = { 0 }, devs = { 0 };
	struct nl_dev *d;
	const char *cmd;
	int64_t id[1];
	struct nl n;
	size_t i;
	int ret;

	ret = subcommand(argc, argv, dev_usage, cmds, &cmd);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = parse_ids(argc > 2 ? argc - 2 : 0, argv + 2, 1, id, dev_usage);
	if (ret)
		return ret;
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	ret = dump_guests(&n, -1, &guests);
	if (!ret)
		ret = dump_devs(&n, id[0], &devs);
	ctl_nl_close(&n);
	if (ret) {
		free(guests.v);
		free(devs.v);
		return fail("dev show", ret);
	}
	d = devs.v;
	if (opts.json) {
		struct jw *w = jw_new(stdout, opts.pretty);

		jw_arr_open(w, NULL);
		for (i = 0; i < devs.nr; i++) {
			jw_obj_open(w, NULL);
			jw_uint(w, "guest_id", d[i].guest_id);
			jw_str(w, "guest", guest_label(&guests, d[i].guest_id));
			jw_uint(w, "id", d[i].id);
			jw_str(w, "label", d[i].label);
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
		for (i = 0; i < devs.nr; i++)
			printf("%-5u %-12s %-5u %-16s %-4s 0x%02x%s %u\n",
			       d[i].guest_id, guest_label(&guests,
							  d[i].guest_id),
			       d[i].id, d[i].label[0] ? d[i].label : "-",
			       vqn_transport_name(d[i].transport),
			       d[i].status,
			       d[i].status & VQNOTIFY_STATUS_DRIVER_OK ?
			       " ok" : "   ", d[i].num_queues);
	}
	free(guests.v);
	free(devs.v);
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
	static const char *const cmds[] = { "show", NULL };
	struct vec guests = { 0 }, devs = { 0 }, queues = { 0 };
	struct nl_queue *q;
	struct jw *w = NULL;
	const char *cmd;
	int64_t id[2];
	struct nl n;
	size_t i;
	int ret;

	ret = subcommand(argc, argv, queue_usage, cmds, &cmd);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = parse_ids(argc > 2 ? argc - 2 : 0, argv + 2, 2, id, queue_usage);
	if (ret)
		return ret;
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	ret = dump_guests(&n, -1, &guests);
	if (!ret)
		ret = dump_devs(&n, id[0], &devs);
	if (!ret)
		ret = dump_queues(&n, id[0], id[1], &queues);
	ctl_nl_close(&n);
	if (ret) {
		free(guests.v);
		free(devs.v);
		free(queues.v);
		return fail("queue show", ret);
	}
	q = queues.v;
	if (opts.json) {
		w = jw_new(stdout, opts.pretty);
		jw_arr_open(w, NULL);
	} else {
		queue_table_header(stdout, false);
	}
	for (i = 0; i < queues.nr; i++) {
		uint32_t t;
		struct queue_row r = {
			.guest = guest_label(&guests, q[i].guest_id),
			.guest_id = q[i].guest_id,
			.dev = dev_label(&devs, q[i].guest_id, q[i].dev_id, &t),
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
	free(guests.v);
	free(devs.v);
	free(queues.v);
	return EXIT_OK;
}

/* stats */

void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] stats\n"
		"Host-wide slot usage and settings, and each visible guest's\n"
		"transitions counted by label (a)-(s).\n", prog);
}

int cmd_stats(int argc, char **argv)
{
	struct vec guests = { 0 };
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
		jw_uint(w, "guests", c.v[VQNOTIFY_A_CONFIG_NR_GUESTS]);
		jw_arr_open(w, "guest");
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
	printf("%-5s %-16s", "ID", "LABEL");
	for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
		printf(" %6s", vqn_label_name(l));
	printf("\n");
	for (i = 0; i < guests.nr; i++) {
		printf("%-5u %-16s", g[i].id, g[i].label[0] ? g[i].label : "-");
		for (l = VQNOTIFY_LABEL_A; l < VQNOTIFY_LABEL_MAX; l++)
			printf(" %6llu", (unsigned long long)g[i].counts[l]);
		printf("\n");
	}
	free(guests.v);
	return EXIT_OK;
}

/* config */

static const struct {
	const char *name;
	int attr;
	bool settable;
} config_keys[] = {
	{ "default-budget", VQNOTIFY_A_CONFIG_DEFAULT_BUDGET, true },
	{ "threshold", VQNOTIFY_A_CONFIG_THRESHOLD, true },
	{ "vhost-reserve", VQNOTIFY_A_CONFIG_VHOST_RESERVE, true },
	{ "host-cap", VQNOTIFY_A_CONFIG_HOST_CAP, true },
	{ "host-used", VQNOTIFY_A_CONFIG_HOST_USED, false },
	{ "guests", VQNOTIFY_A_CONFIG_NR_GUESTS, false },
};

#define NR_CONFIG_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

void config_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] config show\n"
		"       %s config set KEY N [KEY N]...\n"
		"KEY := { default-budget | threshold | vhost-reserve | host-cap }\n"
		"set needs CAP_NET_ADMIN. A threshold change applies to every\n"
		"guest at once; default-budget and vhost-reserve to guests\n"
		"opened later.\n", prog, prog);
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
		for (k = 0; k < NR_CONFIG_KEYS; k++)
			if (config_keys[k].settable &&
			    !strcmp(argv[i], config_keys[k].name))
				break;
		parse_u32(argv[i + 1], &v);
		nla_put_u32(msg, config_keys[k].attr, v);
	}
	ret = nl_request(n, msg, NULL, NULL);
	return ret ? fail("config set", ret) : EXIT_OK;
}

static int config_check(int argc, char **argv)
{
	unsigned int k;
	uint32_t v;
	int i;

	if (argc < 4 || argc % 2)
		return usage_error(config_usage, "config set: expected KEY N");
	for (i = 2; i < argc; i += 2) {
		for (k = 0; k < NR_CONFIG_KEYS; k++)
			if (config_keys[k].settable &&
			    !strcmp(argv[i], config_keys[k].name))
				break;
		if (k == NR_CONFIG_KEYS)
			return usage_error(config_usage,
					   "config set: unknown key '%s'",
					   argv[i]);
		if (parse_u32(argv[i + 1], &v))
			return usage_error(config_usage,
					   "config set: '%s' is not a number",
					   argv[i + 1]);
	}
	return 0;
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
			jw_uint(w, config_keys[k].name,
				c.v[config_keys[k].attr]);
		jw_obj_close(w);
		jw_end(w);
		jw_free(w);
		return EXIT_OK;
	}
	for (k = 0; k < NR_CONFIG_KEYS; k++)
		printf("%-15s %u\n", config_keys[k].name,
		       c.v[config_keys[k].attr]);
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

/* monitor */

void monitor_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] monitor [count N]\n"
		"Prints one line (with -j one JSON object) per guest or device\n"
		"added or removed and per queue transition, host-wide, until\n"
		"interrupted or, with count, after N events. Needs\n"
		"CAP_NET_ADMIN.\n", prog);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct mon {
	struct jw *w;
	uint32_t left;		/* events to go; 0: no limit */
};

static int cb_monitor(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[ATTR_MAX + 1];
	struct mon *m = arg;
	struct nl_guest g = { 0 };
	struct nl_dev d = { 0 };
	bool add;

	switch (gh->cmd) {
	case VQNOTIFY_CMD_GUEST_ADD_NTF:
	case VQNOTIFY_CMD_GUEST_DEL_NTF:
		add = gh->cmd == VQNOTIFY_CMD_GUEST_ADD_NTF;
		if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_GUEST_MAX,
				  NULL))
			return NL_SKIP;
		parse_guest(tb, &g);
		if (m->w) {
			jw_obj_open(m->w, NULL);
			jw_str(m->w, "event", add ? "guest-add" : "guest-del");
			jw_uint(m->w, "guest_id", g.id);
			jw_str(m->w, "label", g.label);
			jw_uint(m->w, "pid", g.pid);
			jw_obj_close(m->w);
			jw_end(m->w);
		} else {
			printf("[guest] %s %u %s pid %u\n", add ? "add" : "del",
			       g.id, g.label[0] ? g.label : "-", g.pid);
		}
		break;
	case VQNOTIFY_CMD_DEV_ADD_NTF:
	case VQNOTIFY_CMD_DEV_DEL_NTF:
		add = gh->cmd == VQNOTIFY_CMD_DEV_ADD_NTF;
		if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_DEV_MAX,
				  NULL))
			return NL_SKIP;
		parse_dev(tb, &d);
		if (m->w) {
			jw_obj_open(m->w, NULL);
			jw_str(m->w, "event", add ? "dev-add" : "dev-del");
			jw_uint(m->w, "guest_id", d.guest_id);
			jw_uint(m->w, "dev_id", d.id);
			jw_str(m->w, "label", d.label);
			jw_str(m->w, "transport",
			       vqn_transport_name(d.transport));
			jw_uint(m->w, "queues", d.num_queues);
			jw_obj_close(m->w);
			jw_end(m->w);
		} else {
			printf("[dev] %s guest %u dev %u %s %s %u queues\n",
			       add ? "add" : "del", d.guest_id, d.id,
			       d.label[0] ? d.label : "-",
			       vqn_transport_name(d.transport), d.num_queues);
		}
		break;
	case VQNOTIFY_CMD_QUEUE_NTF:
		if (genlmsg_parse(nlmsg_hdr(msg), 0, tb,
				  VQNOTIFY_A_TRANSITION_MAX, NULL))
			return NL_SKIP;
		if (m->w) {
			jw_obj_open(m->w, NULL);
			jw_str(m->w, "event", "transition");
			jw_uint(m->w, "guest_id",
				get_u32(tb, VQNOTIFY_A_TRANSITION_GUEST_ID));
			jw_uint(m->w, "dev_id",
				get_u32(tb, VQNOTIFY_A_TRANSITION_DEV_ID));
			jw_uint(m->w, "queue",
				get_u32(tb, VQNOTIFY_A_TRANSITION_QUEUE));
			jw_str(m->w, "old", vqn_state_name(get_u32(tb,
			       VQNOTIFY_A_TRANSITION_OLD_STATE)));
			jw_str(m->w, "new", vqn_state_name(get_u32(tb,
			       VQNOTIFY_A_TRANSITION_NEW_STATE)));
			jw_str(m->w, "label", vqn_label_name(get_u32(tb,
			       VQNOTIFY_A_TRANSITION_LABEL)));
			jw_str(m->w, "reason", vqn_reason_name(get_u32(tb,
			       VQNOTIFY_A_TRANSITION_REASON)));
			jw_obj_close(m->w);
			jw_end(m->w);
		} else {
			printf("[queue] guest %u dev %u q%u %s -> %s (%s) %s\n",
			       get_u32(tb, VQNOTIFY_A_TRANSITION_GUEST_ID),
			       get_u32(tb, VQNOTIFY_A_TRANSITION_DEV_ID),
			       get_u32(tb, VQNOTIFY_A_TRANSITION_QUEUE),
			       vqn_state_name(get_u32(tb,
					VQNOTIFY_A_TRANSITION_OLD_STATE)),
			       vqn_state_name(get_u32(tb,
					VQNOTIFY_A_TRANSITION_NEW_STATE)),
			       vqn_label_name(get_u32(tb,
					VQNOTIFY_A_TRANSITION_LABEL)),
			       vqn_reason_name(get_u32(tb,
					VQNOTIFY_A_TRANSITION_REASON)));
		}
		break;
	default:
		return NL_SKIP;
	}
	fflush(stdout);
	if (m->left && !--m->left)
		stop = 1;
	return NL_OK;
}

int cmd_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd = { .events = POLLIN };
	struct mon m = { 0 };
	struct nl n;
	int grp, ret;

	if (argc > 1 && is_help(argv[1])) {
		monitor_usage(stdout);
		return EXIT_OK;
	}
	if (argc == 3 && !strcmp(argv[1], "count")) {
		if (parse_u32(argv[2], &m.left) || !m.left)
			return usage_error(monitor_usage,
					   "monitor: bad count '%s'", argv[2]);
	} else if (argc > 1) {
		return usage_error(monitor_usage, "monitor: unexpected '%s'",
				   argv[1]);
	}
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	grp = genl_ctrl_resolve_grp(n.sk, VQNOTIFY_FAMILY_NAME,
				    VQNOTIFY_MCGRP_MONITOR);
	if (grp < 0) {
		ctl_nl_close(&n);
		err_msg("monitor: no multicast group '%s'",
			VQNOTIFY_MCGRP_MONITOR);
		return EXIT_RUNTIME;
	}
	ret = nl_socket_add_membership(n.sk, grp);
	if (ret) {
		ctl_nl_close(&n);
		err_msg("monitor: cannot join '%s': %s",
			VQNOTIFY_MCGRP_MONITOR, nl_geterror(ret));
		return EXIT_RUNTIME;
	}
	nl_socket_disable_seq_check(n.sk);
	nl_socket_modify_cb(n.sk, NL_CB_VALID, NL_CB_CUSTOM, cb_monitor, &m);
	if (opts.json)
		m.w = jw_new(stdout, false);
	/*
	 * libnl retries a receive interrupted by a signal: wait in poll(),
	 * which ^C does interrupt, and receive without blocking.
	 */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	nl_socket_set_nonblocking(n.sk);
	pfd.fd = nl_socket_get_fd(n.sk);
	ret = 0;
	while (!stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			err_msg("monitor: poll: %s", strerror(errno));
			break;
		}
		ret = nl_recvmsgs_default(n.sk);
		if (ret < 0 && ret != -NLE_AGAIN && ret != -NLE_INTR) {
			err_msg("monitor: %s", nl_geterror(ret));
			break;
		}
		ret = 0;
	}
	jw_free(m.w);
	ctl_nl_close(&n);
	return ret ? EXIT_RUNTIME : EXIT_OK;
}
