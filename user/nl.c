// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl: the client of the generic netlink family "vqnotify"
 * (Documentation/netlink/specs/vqnotify.yaml) that every host-wide command
 * uses: requests, replies, dumps, errors with the kernel's extack; and the
 * command line helpers the commands share.
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

	if (!n) {
		a->err = -ENOMEM;
		return NULL;
	}
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
/* The extended ack's message, from its attributes at @start..@end. */
static void nl_extack_parse(char *start, char *end)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (start >= end ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)start,
		      end - start, NULL) || !tb[NLMSGERR_ATTR_MSG])
		return;
	snprintf(nl_extack, sizeof(nl_extack), "%.*s",
		 nla_len(tb[NLMSGERR_ATTR_MSG]),
		 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);

	*(int *)arg = e->error;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	nl_extack_parse((char *)e + NLMSG_ALIGN(off),
			(char *)h + h->nlmsg_len);
	return NL_STOP;
}

int nl_done_error(struct nlmsghdr *h)
{
	int err = 0;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
		return 0;
	memcpy(&err, NLMSG_DATA(h), sizeof(err));
	if (err >= 0)
		return 0;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS)
		nl_extack_parse((char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(err)),
				(char *)h + h->nlmsg_len);
	return err;
}

/* A dump's end: libnl reads neither its error nor its extended ack. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	*(int *)arg = nl_done_error(nlmsg_hdr(msg));
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
	struct nl_cb *s_cb = nl_socket_get_cb(n->sk);
	/* The socket's (NL_CB_DEFAULT), where a test may fake the kernel. */
	struct nl_cb *cb = nl_cb_clone(s_cb);
	int err = 1, ret;

	nl_cb_put(s_cb);
	if (!cb || !msg) {
		nl_cb_put(cb);
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_extack[0] = '\0';
	n->dump_intr = false;
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
		/*
		 * Objects came or went between two parts of a dump: libnl
		 * reads it to its end, then says so.
		 */
		if (ret == -NLE_DUMP_INTR)
			n->dump_intr = true;
		if (ret < 0 && err > 0)
			err = -EIO;
	}
	nl_cb_put(cb);
	return err;
}

/*
 * How many times a dump is asked again while guests, devices, users or
 * policies keep coming and going between its parts (NLM_F_DUMP_INTR).
 */
#define NL_DUMP_TRIES	3

/*
 * A request whose replies @parse adds to @out. A dump that changes
 * interrupted is asked again, from an empty @out; the last one is kept,
 * with a warning, as iproute2 does.
 */
int nl_request_vec(struct nl *n, struct nl_msg *msg,
		   int (*parse)(struct nl_msg *, void *), struct vec *out)
{
	int tries = 1, ret;

	if (!msg)
		return -ENOMEM;
	for (;;) {
		nlmsg_get(msg);	/* kept for asking again */
		ret = nl_request(n, msg, parse, out) ?: out->err;
		if (ret || !n->dump_intr || tries == NL_DUMP_TRIES)
			break;
		tries++;
		out->nr = 0;
		nlmsg_hdr(msg)->nlmsg_seq = NL_AUTO_SEQ;
	}
	nlmsg_free(msg);
	if (!ret && n->dump_intr)
		err_msg("warning: the module's objects changed during each of %d dumps: the last one may be inconsistent",
			NL_DUMP_TRIES);
	return ret;
}

/*
 * The attributes are parsed without a policy: their lengths are checked
 * here, and a short one reads as absent (0, ""), never past its end.
 */
uint32_t get_u32(struct nlattr **tb, int a)
{
	return tb[a] && nla_len(tb[a]) >= 4 ? nla_get_u32(tb[a]) : 0;
}

/* A name attribute into @dst (VQNOTIFY_NAME_LEN), NUL or not at its end. */
void get_name(const struct nlattr *a, char *dst)
{
	dst[0] = '\0';
	if (a && nla_len(a) > 0)
		snprintf(dst, VQNOTIFY_NAME_LEN, "%.*s", nla_len(a),
			 (const char *)nla_data(a));
}

static void get_str(struct nlattr **tb, int a, char *dst)
{
	get_name(tb[a], dst);
}

/* uint: 4 or 8 bytes, by length. */
uint64_t get_uint(const struct nlattr *a)
{
	if (nla_len(a) >= 8)
		return nla_get_u64((struct nlattr *)a);
	return nla_len(a) >= 4 ? nla_get_u32((struct nlattr *)a) : 0;
}

void parse_guest(struct nlattr **tb, struct nl_guest *g)
{
	struct nlattr *a;
	int rem;

	g->id = get_u32(tb, VQNOTIFY_A_GUEST_ID);
	get_str(tb, VQNOTIFY_A_GUEST_NAME, g->name);
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

void parse_dev(struct nlattr **tb, struct nl_dev *d)
{
	d->guest_id = get_u32(tb, VQNOTIFY_A_DEV_GUEST_ID);
	d->id = get_u32(tb, VQNOTIFY_A_DEV_ID);
	get_str(tb, VQNOTIFY_A_DEV_NAME, d->name);
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
	/* The u32s (a flag, as calls-monitor, has no value to read). */
	for (i = 1; i <= VQNOTIFY_A_CONFIG_MAX; i++) {
		c->has[i] = tb[i] && nla_len(tb[i]) >= 4;
		c->v[i] = c->has[i] ? get_u32(tb, i) : 0;
	}
	return NL_OK;
}

/* guest: -1 for all; dev: -1 for all of the guest. */
int dump_guests(struct nl *n, int64_t id, struct vec *out)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_GUEST_GET, id < 0);

	out->size = sizeof(struct nl_guest);
	if (msg && id >= 0)
		nla_put_u32(msg, VQNOTIFY_A_GUEST_ID, id);
	return nl_request_vec(n, msg, cb_guest, out);
}

int dump_devs(struct nl *n, int64_t guest, struct vec *out)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_DEV_GET, true);

	out->size = sizeof(struct nl_dev);
	if (msg && guest >= 0)
		nla_put_u32(msg, VQNOTIFY_A_DEV_GUEST_ID, guest);
	return nl_request_vec(n, msg, cb_dev, out);
}

/*
 * QUEUES_GET's messages: a device's queues from an index on, their states
 * packed (struct vqnotify_vq_info each), one message where QUEUE_GET
 * sends one a queue.
 */
static int cb_queue_states(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ATTR_MAX + 1], *states;
	struct vqnotify_vq_info vi;
	uint32_t guest, dev, index, i, nr;
	struct nl_queue *q;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_QUEUE_STATES_MAX,
			  NULL))
		return NL_SKIP;
	states = tb[VQNOTIFY_A_QUEUE_STATES_STATES];
	if (!states)
		return NL_SKIP;
	guest = get_u32(tb, VQNOTIFY_A_QUEUE_STATES_GUEST_ID);
	dev = get_u32(tb, VQNOTIFY_A_QUEUE_STATES_DEV_ID);
	index = get_u32(tb, VQNOTIFY_A_QUEUE_STATES_INDEX);
	nr = nla_len(states) / sizeof(vi);
	for (i = 0; i < nr; i++) {
		q = vec_add(arg);
		if (!q)
			break;
		memcpy(&vi, (const char *)nla_data(states) + i * sizeof(vi),
		       sizeof(vi));
		*q = (struct nl_queue){
			.guest_id = guest, .dev_id = dev, .index = index + i,
			.state = vi.state, .reason = vi.reason,
			.label = vi.label, .flags = vi.flags,
			.seq = vi.assign_seq,
		};
	}
	return NL_OK;
}

/* A dump request of @cmd, filtered by @guest and @dev where not -1. */
static struct nl_msg *queues_msg(struct nl *n, int cmd, int guest_attr,
				 int dev_attr, int64_t guest, int64_t dev)
{
	struct nl_msg *msg = nl_new(n, cmd, true);

	if (msg && guest >= 0)
		nla_put_u32(msg, guest_attr, guest);
	if (msg && dev >= 0)
		nla_put_u32(msg, dev_attr, dev);
	return msg;
}

/*
 * The queues, a device's states packed in a message (QUEUES_GET: 3.54M
 * queues/s against QUEUE_GET's 0.75M in Documentation/performance.rst's
 * Results); a module without it (EOPNOTSUPP) is asked for a message a
 * queue.
 */
int dump_queues(struct nl *n, int64_t guest, int64_t dev, struct vec *out)
{
	int ret;

	out->size = sizeof(struct nl_queue);
	ret = nl_request_vec(n, queues_msg(n, VQNOTIFY_CMD_QUEUES_GET,
					   VQNOTIFY_A_QUEUE_STATES_GUEST_ID,
					   VQNOTIFY_A_QUEUE_STATES_DEV_ID,
					   guest, dev),
			     cb_queue_states, out);
	if (ret != -EOPNOTSUPP)
		return ret;
	free(out->v);
	*out = (struct vec){ .size = sizeof(struct nl_queue) };
	return nl_request_vec(n, queues_msg(n, VQNOTIFY_CMD_QUEUE_GET,
					    VQNOTIFY_A_QUEUE_GUEST_ID,
					    VQNOTIFY_A_QUEUE_DEV_ID,
					    guest, dev),
			      cb_queue, out);
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_guest(const void *a, const void *b)
{
	return cmp_u32(((const struct nl_guest *)a)->id,
		       ((const struct nl_guest *)b)->id);
}

/* Devices and queues by (guest, device): a queue's key is a device's. */
static int cmp_dev(const void *a, const void *b)
{
	const struct nl_dev *x = a, *y = b;

	return cmp_u32(x->guest_id, y->guest_id) ?: cmp_u32(x->id, y->id);
}

static int cmp_queue(const void *a, const void *b)
{
	const struct nl_queue *x = a, *y = b;

	return cmp_u32(x->guest_id, y->guest_id) ?:
	       cmp_u32(x->dev_id, y->dev_id) ?: cmp_u32(x->index, y->index);
}

static int cmp_queue_dev(const void *key, const void *elt)
{
	const struct nl_dev *d = key;
	const struct nl_queue *q = elt;

	return cmp_u32(d->guest_id, q->guest_id) ?: cmp_u32(d->id, q->dev_id);
}

static void vec_sort(struct vec *v, int (*cmp)(const void *, const void *))
{
	if (v->nr > 1)
		qsort(v->v, v->nr, v->size, cmp);
}

static void *vec_find(const struct vec *v, const void *key,
		      int (*cmp)(const void *, const void *))
{
	return v->nr ? bsearch(key, v->v, v->nr, v->size, cmp) : NULL;
}

const struct nl_guest *find_guest(const struct vec *guests, uint32_t id)
{
	struct nl_guest key = { .id = id };

	return vec_find(guests, &key, cmp_guest);
}

const char *guest_name_of(const struct vec *guests, uint32_t id)
{
	const struct nl_guest *g = find_guest(guests, id);

	return g ? g->name : "";
}

const struct nl_dev *find_dev(const struct vec *devs, uint32_t guest,
			      uint32_t id)
{
	struct nl_dev key = { .guest_id = guest, .id = id };

	return vec_find(devs, &key, cmp_dev);
}

/*
 * Sorted (the kernel dumps in this order already), then looked up by
 * binary search: O(n log n) for a host of many guests.
 */
void dumps_prune(struct vec *guests, struct vec *devs, struct vec *queues)
{
	struct nl_dev *d = devs->v;
	struct nl_queue *q;
	size_t i, n = 0;

	vec_sort(guests, cmp_guest);
	vec_sort(devs, cmp_dev);
	if (queues)
		vec_sort(queues, cmp_queue);
	for (i = 0; i < devs->nr; i++) {
		if (!find_guest(guests, d[i].guest_id) ||
		    (queues && !vec_find(queues, &d[i], cmp_queue_dev)))
			continue;
		d[n++] = d[i];
	}
	devs->nr = n;
	if (!queues)
		return;
	q = queues->v;
	for (i = 0, n = 0; i < queues->nr; i++)
		if (find_dev(devs, q[i].guest_id, q[i].dev_id))
			q[n++] = q[i];
	queues->nr = n;
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

/*
 * The host-wide counters of the CONFIG_GET reply; a module without them is
 * no error: @st->valid false.
 */
int get_stats(struct nl *n, struct nl_stats *st)
{
	memset(st, 0, sizeof(*st));
	return nl_request(n, nl_new(n, VQNOTIFY_CMD_CONFIG_GET, false),
			  cb_stats, st);
}

/*
 * The guest (and device) a show names must exist: ENOENT, with the
 * kernel's message, as for guest show ID, not an empty table.
 */
int check_exists(struct nl *n, int64_t guest, int64_t dev)
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
 * message first ("Error: ..."), then what failed and the errno. The
 * message is escaped as any string the kernel sends: no module of ours
 * puts a tenant's bytes in one, but a terminal trusts none.
 */
int fail(const char *what, int err)
{
	if (nl_extack[0]) {
		fputs("Error: ", stderr);
		put_escaped(stderr, nl_extack, ESC_QUOTED);
		fputs(nl_extack[strlen(nl_extack) - 1] == '.' ? "\n" : ".\n",
		      stderr);
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
 * or -1 when "help" made it print the usage: as the command word, or
 * right after it at the end ("policy set help"). Not further on, where it
 * is a value: a guest may be named "help", and "policy set name help
 * budget 3" must set that name's policy, not print the usage.
 */
int subcommand(int argc, char **argv, void (*usage)(FILE *f),
	       const char *const *allowed, const char **cmd)
{
	const char *w;
	int i;

	if ((argc > 1 && is_help(argv[1])) || (argc == 3 && is_help(argv[2]))) {
		usage(stdout);
		return -1;
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
