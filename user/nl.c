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
#include <time.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <linux/netlink.h>

#include "vqnotifyctl.h"

/* Growing arrays filled by dump callbacks. */
void *vec_add(struct vec *a)
{
	void *n = realloc(a->v, (a->nr + 1) * a->size);

	if (!n)
		return NULL;
	a->v = n;
	memset((char *)n + a->nr * a->size, 0, a->size);
	return (char *)n + a->nr++ * a->size;
}

/* The kernel's extack message of the last failed request, if any. */
static char nl_extack[256];

int ctl_nl_open(struct nl *n)
{
	int ret;

	n->sk = nl_socket_alloc();
	if (!n->sk) {
		err_msg("netlink: out of memory");
		return -ENOMEM;
	}
	ret = genl_connect(n->sk);
	if (!ret) {
		int one = 1, fd = nl_socket_get_fd(n->sk);

		/* Error messages (extack), without the request echoed. */
		setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
		setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
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

void ctl_nl_close(struct nl *n)
{
	nl_socket_free(n->sk);
}

/*
 * libnl hands over the nlmsgerr inside its message; the extended ack's
 * attributes follow it (and the echoed request, unless capped), as
 * iproute2's nl_dump_ext_ack() reads them.
 */
static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	char *end = (char *)h + h->nlmsg_len;
	char *start;

	*(int *)arg = e->error;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	start = (char *)e + NLMSG_ALIGN(off);
	if (start >= end ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)start,
		      end - start, NULL) || !tb[NLMSGERR_ATTR_MSG])
		return NL_STOP;
	snprintf(nl_extack, sizeof(nl_extack), "%.*s",
		 nla_len(tb[NLMSGERR_ATTR_MSG]),
		 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
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

struct nl_msg *nl_new(struct nl *n, uint8_t cmd, bool dump)
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
int nl_request(struct nl *n, struct nl_msg *msg,
	       int (*parse)(struct nl_msg *, void *), void *arg)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err = 1, ret;

	if (!cb || !msg) {
		nl_cb_put(cb);
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_extack[0] = '\0';
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

uint32_t get_u32(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u32(tb[a]) : 0;
}

static void get_str(struct nlattr **tb, int a, char *dst)
{
	dst[0] = '\0';
	if (tb[a])
		snprintf(dst, VQNOTIFY_NAME_LEN, "%s", nla_get_string(tb[a]));
}

/* uint: 4 or 8 bytes, by length. */
uint64_t get_uint(const struct nlattr *a)
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
int dump_guests(struct nl *n, int64_t id, struct vec *out)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_GUEST_GET, id < 0);

	out->size = sizeof(struct nl_guest);
	if (msg && id >= 0)
		nla_put_u32(msg, VQNOTIFY_A_GUEST_ID, id);
	return nl_request(n, msg, cb_guest, out);
}

int dump_devs(struct nl *n, int64_t guest, struct vec *out)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_DEV_GET, true);

	out->size = sizeof(struct nl_dev);
	if (msg && guest >= 0)
		nla_put_u32(msg, VQNOTIFY_A_DEV_GUEST_ID, guest);
	return nl_request(n, msg, cb_dev, out);
}

int dump_queues(struct nl *n, int64_t guest, int64_t dev,
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

int get_config(struct nl *n, struct nl_config *c)
{
	memset(c, 0, sizeof(*c));
	return nl_request(n, nl_new(n, VQNOTIFY_CMD_CONFIG_GET, false),
			  cb_config, c);
}

static int cb_stats(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ATTR_MAX + 1], *a;
	struct nl_stats *st = arg;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_CONFIG_MAX, NULL) ||
	    !tb[VQNOTIFY_A_CONFIG_TRANSITIONS])
		return NL_SKIP;
	st->valid = true;
	nla_for_each_nested(a, tb[VQNOTIFY_A_CONFIG_TRANSITIONS], rem)
		if (nla_type(a) < VQNOTIFY_LABEL_MAX)
			st->transitions[nla_type(a)] = get_uint(a);
	if (tb[VQNOTIFY_A_CONFIG_REFUSALS])
		nla_for_each_nested(a, tb[VQNOTIFY_A_CONFIG_REFUSALS], rem) {
			if (nla_type(a) >= VQNOTIFY_REASON_MAX)
				continue;
			st->refusals[nla_type(a)] = get_uint(a);
			st->refusal_valid[nla_type(a)] = true;
		}
	if (tb[VQNOTIFY_A_CONFIG_EVENTS_DROPPED])
		st->events_dropped = get_uint(tb[VQNOTIFY_A_CONFIG_EVENTS_DROPPED]);
	if (tb[VQNOTIFY_A_CONFIG_GUESTS_OPENED])
		st->guests_opened = get_uint(tb[VQNOTIFY_A_CONFIG_GUESTS_OPENED]);
	if (tb[VQNOTIFY_A_CONFIG_GUESTS_CLOSED])
		st->guests_closed = get_uint(tb[VQNOTIFY_A_CONFIG_GUESTS_CLOSED]);
	st->preemptions = st->transitions[VQNOTIFY_LABEL_P];
	st->promotions = st->transitions[VQNOTIFY_LABEL_R];
	return NL_OK;
}

/* The host-wide counters of the CONFIG_GET reply. */
int get_stats(struct nl *n, struct nl_stats *st)
{
	int ret;

	memset(st, 0, sizeof(*st));
	ret = nl_request(n, nl_new(n, VQNOTIFY_CMD_CONFIG_GET, false),
			 cb_stats, st);
	return ret ? ret : st->valid ? 0 : -EOPNOTSUPP;
}

/*
 * The guest (and device) a show names must exist: ENOENT, with the
 * kernel's message, as for guest show ID, not an empty table.
 */
static int check_exists(struct nl *n, int64_t guest, int64_t dev)
{
	struct nl_msg *msg;

	if (guest < 0)
		return 0;
	msg = nl_new(n, dev < 0 ? VQNOTIFY_CMD_GUEST_GET :
			  VQNOTIFY_CMD_DEV_GET, false);
	if (msg && dev < 0)
		nla_put_u32(msg, VQNOTIFY_A_GUEST_ID, guest);
	if (msg && dev >= 0) {
		nla_put_u32(msg, VQNOTIFY_A_DEV_GUEST_ID, guest);
		nla_put_u32(msg, VQNOTIFY_A_DEV_ID, dev);
	}
	return nl_request(n, msg, NULL, NULL);
}

/*
 * A failed request, as ip(8) and devlink(8) say it: the kernel's own
 * message first ("Error: ..."), then what failed and the errno.
 */
int fail(const char *what, int err)
{
	if (nl_extack[0]) {
		fprintf(stderr, "Error: %s%s\n", nl_extack,
			nl_extack[strlen(nl_extack) - 1] == '.' ? "" : ".");
		nl_extack[0] = '\0';
	}
	err_msg("%s: %s (%s)", what, strerror(-err), errno_name(err));
	return EXIT_RUNTIME;
}

/* Optional numeric arguments: at most @max of them, all u32. */
int parse_ids(int argc, char **argv, int max, int64_t *ids,
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
 * The command word, as ip(8) reads it: show by default; "list", "lst",
 * "ls" and every prefix of "show" (s, sh) show; a prefix of "set" of at
 * least two letters sets. Returns 0 with *@cmd the full word, EXIT_USAGE,
 * or -1 when "help" anywhere made it print the usage.
 */
int subcommand(int argc, char **argv, void (*usage)(FILE *f),
	       const char *const *allowed, const char **cmd)
{
	const char *w;
	int i;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			usage(stdout);
			return -1;
		}
	}
	w = argc > 1 ? argv[1] : "show";
	if (!matches(w, "list") || !matches(w, "lst"))
		w = "show";
	for (i = 0; allowed[i]; i++) {
		if (!matches(w, allowed[i]) &&
		    (strlen(w) > 1 || !strcmp(allowed[i], "show"))) {
			*cmd = allowed[i];
			return 0;
		}
	}
	return usage_error(usage, "%s: unknown command '%s'", argv[0], w);
}

static const char *guest_label(struct vec *guests, uint32_t id)
{
	struct nl_guest *g = guests->v;
	size_t i;

	for (i = 0; i < guests->nr; i++)
		if (g[i].id == id)
			return g[i].label;
	return "";
}

static const char *dev_label(struct vec *devs, uint32_t guest, uint32_t id,
			     uint32_t *transport)
{
	struct nl_dev *d = devs->v;
	size_t i;

	for (i = 0; i < devs->nr; i++) {
		if (d[i].guest_id == guest && d[i].id == id) {
			*transport = d[i].transport;
			return d[i].label;
		}
	}
	*transport = 0;
	return "";
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
	jw_str(w, "name", g->label);
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
			       g[i].id, tname(g[i].label),
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
 * knows (its index; -1 for none), each N a u32. 0, or EXIT_USAGE with
 * the message printed (@what: the command, as "guest set").
 */
int check_pairs(int argc, char **argv, int first, int (*key_of)(const char *),
		void (*usage)(FILE *f), const char *what)
{
	uint32_t v;
	int i;

	if (argc <= first || (argc - first) % 2)
		return usage_error(usage, "%s: expected KEY N", what);
	for (i = first; i < argc; i += 2) {
		if (key_of(argv[i]) < 0)
			return usage_error(usage, "%s: unknown key '%s'", what,
					   argv[i]);
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
	ret = check_exists(&n, id[0], -1);
	if (!ret)
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
			jw_str(w, "name", d[i].label);
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
			       d[i].guest_id,
			       tname(guest_label(&guests, d[i].guest_id)),
			       d[i].id, tname(d[i].label),
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
	ret = check_exists(&n, id[0], id[1]);
	if (!ret)
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
		"transitions counted by label (a)-(s).\n", prog);
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
	if (!ret)
		get_stats(&n, &st);
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
		printf("%-5u %-16s", g[i].id, tname(g[i].label));
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
			jw_uint(w, config_keys[k].key,
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
		"Usage: %s [-j] [-t|-ts] monitor [events LIST] [guest G] [dev D]\n"
		"                                [count N]\n"
		"LIST := { all | guest | dev | queue | refusal }[,...]\n"
		"Prints one line (with -j one JSON object) per guest or device\n"
		"added or removed, per queue transition and per refused queue,\n"
		"host-wide, with the guest's and device's names beside their\n"
		"ids, until interrupted or, with count, after N events shown.\n"
		"events: only these kinds; guest G: only the guest of id or name\n"
		"G; dev D: only its device of id or name D. -t: a Timestamp:\n"
		"line before each event, -ts: a short [timestamp] prefix (as\n"
		"ip -t monitor). Needs CAP_NET_ADMIN.\n", prog);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

enum {
	EV_GUEST = 1,
	EV_DEV = 2,
	EV_QUEUE = 4,
	EV_REFUSAL = 8,
	EV_ALL = 15,
};

/* A guest's or device's name, as the monitor knows it. */
struct mon_name {
	uint32_t guest, dev;	/* dev: UINT32_MAX for the guest itself */
	bool dumped;		/* from a dump: the newest name there was */
	char name[VQNOTIFY_NAME_LEN];
};

struct mon {
	struct jw *w;
	uint32_t left;		/* events to go; 0: no limit */
	unsigned int events;	/* EV_* shown */
	const char *guest_sel;	/* id or name; NULL: any */
	const char *dev_sel;
	struct nl lookup;	/* a second socket, for names */
	struct vec names;	/* struct mon_name */
};

#define MON_GUEST UINT32_MAX

static struct mon_name *mon_find(struct mon *m, uint32_t guest, uint32_t dev)
{
	struct mon_name *n = m->names.v;
	size_t i;

	for (i = 0; i < m->names.nr; i++)
		if (n[i].guest == guest && n[i].dev == dev)
			return &n[i];
	return NULL;
}

/* Remember a name (from a notification, or a dump when @dumped). */
static struct mon_name *mon_set(struct mon *m, uint32_t guest, uint32_t dev,
				const char *name, bool dumped)
{
	struct mon_name *n = mon_find(m, guest, dev);

	if (!n) {
		m->names.size = sizeof(*n);
		n = vec_add(&m->names);
		if (!n)
			return NULL;
		n->guest = guest;
		n->dev = dev;
	}
	n->dumped = dumped;
	snprintf(n->name, sizeof(n->name), "%s", name);
	return n;
}

static void mon_dump_names(struct mon *m)
{
	struct vec guests = { 0 }, devs = { 0 };
	struct nl_guest *g;
	struct nl_dev *d;
	size_t i;

	dump_guests(&m->lookup, -1, &guests);
	dump_devs(&m->lookup, -1, &devs);
	for (i = 0, g = guests.v; i < guests.nr; i++)
		mon_set(m, g[i].id, MON_GUEST, g[i].label, true);
	for (i = 0, d = devs.v; i < devs.nr; i++)
		mon_set(m, d[i].guest_id, d[i].id, d[i].label, true);
	free(guests.v);
	free(devs.v);
}

/*
 * The name of a guest (@dev MON_GUEST) or device: from the notifications
 * seen, else from a dump, for an object opened before the monitor or
 * named after it was added (a VMM sets its guest's name after the open).
 * An object the dump does not name either is not looked up again.
 */
static const char *mon_name(struct mon *m, uint32_t guest, uint32_t dev)
{
	struct mon_name *n = mon_find(m, guest, dev);

	if (!n || (!n->name[0] && !n->dumped)) {
		mon_dump_names(m);
		n = mon_find(m, guest, dev);
		if (!n)
			n = mon_set(m, guest, dev, "", true);
		else if (!n->name[0])
			n->dumped = true;
	}
	return n ? n->name : "";
}

/* Does an id and name match a selector (an id, or a name)? */
static bool selected(const char *sel, uint32_t id, const char *name)
{
	uint32_t v;

	if (!sel)
		return true;
	if (!parse_u32(sel, &v))
		return v == id;
	return !strcmp(sel, name);
}

static void mon_timestamp(struct mon *m)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	if (!opts.timestamp)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (m->w) {
		jw_double(m->w, "timestamp", ts.tv_sec + ts.tv_nsec / 1e9);
		return;
	}
	localtime_r(&ts.tv_sec, &tm);
	if (opts.timestamp == TS_SHORT) {
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		printf("[%s.%06ld] ", buf, ts.tv_nsec / 1000);
	} else {
		strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
		printf("Timestamp: %s %06ld usec\n", buf, ts.tv_nsec / 1000);
	}
}

/* The start of one event: its timestamp and kind. */
static void mon_begin(struct mon *m, const char *event, const char *tag)
{
	if (m->w) {
		jw_obj_open(m->w, NULL);
		jw_str(m->w, "event", event);
		mon_timestamp(m);
	} else {
		mon_timestamp(m);
		printf("[%s] ", tag);
	}
}

static void mon_end(struct mon *m)
{
	if (m->w) {
		jw_obj_close(m->w);
		jw_end(m->w);
	} else {
		putchar('\n');
	}
}

/* @what: add, del or change (its name or run state). */
static bool mon_guest_event(struct mon *m, struct nlattr **tb,
			    const char *what)
{
	char event[16];

	struct nl_guest g = { 0 };

	parse_guest(tb, &g);
	mon_set(m, g.id, MON_GUEST, g.label, false);
	if (!(m->events & EV_GUEST) || !selected(m->guest_sel, g.id, g.label) ||
	    m->dev_sel)
		return false;
	snprintf(event, sizeof(event), "guest_%s", what);
	mon_begin(m, event, "guest");
	if (m->w) {
		jw_uint(m->w, "guest_id", g.id);
		jw_str(m->w, "guest", g.label);
		jw_uint(m->w, "pid", g.pid);
		jw_uint(m->w, "uid", g.uid);
	} else {
		printf("%s guest %u (%s) pid %u uid %u", what, g.id,
		       tname(g.label), g.pid, g.uid);
	}
	mon_end(m);
	return true;
}

static bool mon_dev_event(struct mon *m, struct nlattr **tb, bool add)
{
	struct nl_dev d = { 0 };
	const char *gname;

	parse_dev(tb, &d);
	mon_set(m, d.guest_id, d.id, d.label, false);
	if (tb[VQNOTIFY_A_DEV_GUEST_NAME])
		mon_set(m, d.guest_id, MON_GUEST,
			nla_get_string(tb[VQNOTIFY_A_DEV_GUEST_NAME]), false);
	gname = mon_name(m, d.guest_id, MON_GUEST);
	if (!(m->events & EV_DEV) ||
	    !selected(m->guest_sel, d.guest_id, gname) ||
	    !selected(m->dev_sel, d.id, d.label))
		return false;
	mon_begin(m, add ? "dev_add" : "dev_del", "dev");
	if (m->w) {
		jw_uint(m->w, "guest_id", d.guest_id);
		jw_str(m->w, "guest", gname);
		jw_uint(m->w, "dev_id", d.id);
		jw_str(m->w, "dev", d.label);
		jw_str(m->w, "transport", vqn_transport_name(d.transport));
		jw_uint(m->w, "queues", d.num_queues);
	} else {
		printf("%s guest %u (%s) dev %u (%s) %s %u queues",
		       add ? "add" : "del", d.guest_id, tname(gname), d.id,
		       tname(d.label), vqn_transport_name(d.transport),
		       d.num_queues);
	}
	mon_end(m);
	return true;
}

/* A transition, or (@refusal) a queue refused a slot. */
static bool mon_queue_event(struct mon *m, struct nlattr **tb, bool refusal)
{
	uint32_t guest = get_u32(tb, VQNOTIFY_A_TRANSITION_GUEST_ID);
	uint32_t dev = get_u32(tb, VQNOTIFY_A_TRANSITION_DEV_ID);
	uint32_t q = get_u32(tb, VQNOTIFY_A_TRANSITION_QUEUE);
	const char *old = vqn_state_name(get_u32(tb,
				VQNOTIFY_A_TRANSITION_OLD_STATE));
	const char *new = vqn_state_name(get_u32(tb,
				VQNOTIFY_A_TRANSITION_NEW_STATE));
	unsigned int label = get_u32(tb, VQNOTIFY_A_TRANSITION_LABEL);
	const char *reason = vqn_reason_name(get_u32(tb,
				VQNOTIFY_A_TRANSITION_REASON));
	const char *gname, *dname;

	if (!(m->events & (refusal ? EV_REFUSAL : EV_QUEUE)))
		return false;
	/* Modules that send the names with the event: as they were then. */
	if (tb[VQNOTIFY_A_TRANSITION_GUEST_NAME])
		mon_set(m, guest, MON_GUEST,
			nla_get_string(tb[VQNOTIFY_A_TRANSITION_GUEST_NAME]),
			false);
	if (tb[VQNOTIFY_A_TRANSITION_DEV_NAME])
		mon_set(m, guest, dev,
			nla_get_string(tb[VQNOTIFY_A_TRANSITION_DEV_NAME]),
			false);
	gname = mon_name(m, guest, MON_GUEST);
	dname = mon_name(m, guest, dev);
	if (!selected(m->guest_sel, guest, gname) ||
	    !selected(m->dev_sel, dev, dname))
		return false;
	mon_begin(m, refusal ? "refusal" : "transition",
		  refusal ? "refusal" : "queue");
	if (m->w) {
		jw_uint(m->w, "guest_id", guest);
		jw_str(m->w, "guest", gname);
		jw_uint(m->w, "dev_id", dev);
		jw_str(m->w, "dev", dname);
		jw_uint(m->w, "queue", q);
		if (refusal) {
			jw_str(m->w, "state", old);
		} else {
			jw_str(m->w, "old", old);
			jw_str(m->w, "new", new);
			jw_str(m->w, "label", vqn_label_name(label));
			jw_str(m->w, "transition", transition_key(label));
		}
		jw_str(m->w, "reason", reason);
	} else if (refusal) {
		printf("guest %u (%s) dev %u (%s) q%u %s refused: %s", guest,
		       tname(gname), dev, tname(dname), q, old, reason);
	} else {
		printf("guest %u (%s) dev %u (%s) q%u %s -> %s (%s) %s", guest,
		       tname(gname), dev, tname(dname), q, old, new,
		       vqn_label_name(label), reason);
	}
	mon_end(m);
	return true;
}

static int cb_monitor(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[ATTR_MAX + 1];
	struct mon *m = arg;
	int max = VQNOTIFY_A_TRANSITION_MAX;
	bool shown;

	if (gh->cmd == VQNOTIFY_CMD_GUEST_ADD_NTF ||
	    gh->cmd == VQNOTIFY_CMD_GUEST_DEL_NTF ||
	    gh->cmd == VQNOTIFY_CMD_GUEST_CHANGE_NTF)
		max = VQNOTIFY_A_GUEST_MAX;
	else if (gh->cmd == VQNOTIFY_CMD_DEV_ADD_NTF ||
		 gh->cmd == VQNOTIFY_CMD_DEV_DEL_NTF)
		max = VQNOTIFY_A_DEV_MAX;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, max, NULL))
		return NL_SKIP;
	switch (gh->cmd) {
	case VQNOTIFY_CMD_GUEST_ADD_NTF:
		shown = mon_guest_event(m, tb, "add");
		break;
	case VQNOTIFY_CMD_GUEST_DEL_NTF:
		shown = mon_guest_event(m, tb, "del");
		break;
	case VQNOTIFY_CMD_GUEST_CHANGE_NTF:
		shown = mon_guest_event(m, tb, "change");
		break;
	case VQNOTIFY_CMD_DEV_ADD_NTF:
	case VQNOTIFY_CMD_DEV_DEL_NTF:
		shown = mon_dev_event(m, tb,
				      gh->cmd == VQNOTIFY_CMD_DEV_ADD_NTF);
		break;
	case VQNOTIFY_CMD_QUEUE_NTF:
		shown = mon_queue_event(m, tb, false);
		break;
	case VQNOTIFY_CMD_REFUSAL_NTF:
		shown = mon_queue_event(m, tb, true);
		break;
	default:
		return NL_SKIP;
	}
	fflush(stdout);
	if (shown && m->left && !--m->left)
		stop = 1;
	return NL_OK;
}

/* events LIST, guest G, dev D, count N: 0 or EXIT_USAGE. */
static int monitor_args(struct mon *m, int argc, char **argv)
{
	int i;

	m->events = EV_ALL;
	for (i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return usage_error(monitor_usage,
					   "monitor: '%s' needs a value",
					   argv[i]);
		if (!matches(argv[i], "count")) {
			if (parse_u32(v, &m->left) || !m->left)
				return usage_error(monitor_usage,
						   "monitor: bad count '%s'",
						   v);
		} else if (!matches(argv[i], "guest")) {
			m->guest_sel = v;
		} else if (!matches(argv[i], "dev")) {
			m->dev_sel = v;
		} else if (!matches(argv[i], "events")) {
			char *copy = strdup(v), *tok, *save = NULL;

			m->events = 0;
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (!strcmp(tok, "all"))
					m->events |= EV_ALL;
				else if (!strcmp(tok, "guest"))
					m->events |= EV_GUEST;
				else if (!strcmp(tok, "dev"))
					m->events |= EV_DEV;
				else if (!strcmp(tok, "queue"))
					m->events |= EV_QUEUE;
				else if (!strcmp(tok, "refusal"))
					m->events |= EV_REFUSAL;
				else
					break;
			}
			free(copy);
			if (tok || !m->events)
				return usage_error(monitor_usage,
						   "monitor: bad events '%s'",
						   v);
		} else {
			return usage_error(monitor_usage,
					   "monitor: unexpected '%s'", argv[i]);
		}
	}
	if (m->dev_sel && !m->guest_sel)
		return usage_error(monitor_usage,
				   "monitor: dev needs guest");
	return 0;
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
	ret = monitor_args(&m, argc, argv);
	if (ret)
		return ret;
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	if (ctl_nl_open(&m.lookup)) {
		ctl_nl_close(&n);
		return EXIT_RUNTIME;
	}
	grp = genl_ctrl_resolve_grp(n.sk, VQNOTIFY_FAMILY_NAME,
				    VQNOTIFY_MCGRP_MONITOR);
	if (grp < 0) {
		err_msg("monitor: no multicast group '%s'",
			VQNOTIFY_MCGRP_MONITOR);
		ret = -ENOENT;
		goto out;
	}
	ret = nl_socket_add_membership(n.sk, grp);
	if (ret) {
		err_msg("monitor: cannot join '%s': %s",
			VQNOTIFY_MCGRP_MONITOR, nl_geterror(ret));
		goto out;
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
out:
	jw_free(m.w);
	free(m.names.v);
	ctl_nl_close(&m.lookup);
	ctl_nl_close(&n);
	return ret ? EXIT_RUNTIME : EXIT_OK;
}
