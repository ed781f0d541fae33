// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl: the admin's policies and the per-user accounting, over the
 * generic netlink family (Documentation/admin-guide.rst, "Security model"):
 *
 *   policy show [ SEL ]
 *   policy set SEL KEY N [KEY N]...
 *   policy delete SEL
 *   SEL := { name NAME [uid UID] | uid UID [name NAME] }
 *   user show [ [uid] UID ]
 *
 * A policy's name is a tenant's string like any guest name: every printer
 * escapes it (put_escaped(), tname()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "vqnotifyctl.h"

/* The settings of a policy: word, JSON key, attribute; uid policies only. */
static const struct {
	const char *name, *key;
	int attr;
	bool uid_only;
} policy_keys[] = {
	{ "budget", "budget", VQNOTIFY_A_POLICY_BUDGET, false },
	{ "reserve", "vhost_reserve", VQNOTIFY_A_POLICY_VHOST_RESERVE, false },
	{ "max-guests", "max_guests", VQNOTIFY_A_POLICY_MAX_GUESTS, true },
	{ "max-devices", "max_devices", VQNOTIFY_A_POLICY_MAX_DEVICES, true },
	{ "max-queues", "max_queues", VQNOTIFY_A_POLICY_MAX_QUEUES, true },
	{ "max-slots", "max_slots", VQNOTIFY_A_POLICY_MAX_SLOTS, true },
};

#define NR_POLICY_KEYS (sizeof(policy_keys) / sizeof(policy_keys[0]))

/* A key by its word, its JSON key, or "vhost-reserve" as config says it. */
static int policy_key(const char *word)
{
	unsigned int k;

	if (!strcmp(word, "vhost-reserve"))
		word = "reserve";
	for (k = 0; k < NR_POLICY_KEYS; k++)
		if (!strcmp(word, policy_keys[k].name) ||
		    !strcmp(word, policy_keys[k].key))
			return k;
	return -1;
}

void policy_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] policy show [ SEL ]\n"
		"       %s policy set SEL KEY N [KEY N]...\n"
		"       %s policy delete SEL\n"
		"SEL := { name NAME [uid UID] | uid UID [name NAME] }\n"
		"KEY := { budget | reserve | max-guests | max-devices |\n"
		"         max-queues | max-slots }\n"
		"The admin's settings (CAP_NET_ADMIN) for every guest that takes\n"
		"the name NAME (GUEST_SET), or that user UID opens, or that user\n"
		"UID opens and names NAME (both: a name's policy for one user,\n"
		"which another user's guest of that name does not get): they\n"
		"outlive every open file, and apply at once to the open guests\n"
		"they match. budget and reserve: the admin budget and vhost reserve\n"
		"(with a name and a uid policy, the lower budget applies and\n"
		"the name's reserve); max-*: the user's own limits (uid only).\n"
		"set adds to a policy; delete removes it.\n", prog, prog, prog);
}

/* One policy, as the kernel reports it; a key's value -1 when unset. */
struct policy {
	char name[VQNOTIFY_NAME_LEN];
	bool by_name;
	bool has_uid;	/* a uid's, or a name's for that uid's guests */
	uint32_t uid;
	int64_t v[NR_POLICY_KEYS];
};

static int cb_policy(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VQNOTIFY_A_POLICY_MAX + 1];
	struct policy *p;
	unsigned int k;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_POLICY_MAX, NULL))
		return NL_SKIP;
	p = vec_add(arg);
	if (!p)
		return NL_SKIP;	/* the dump is read to its end, then fails */
	if (tb[VQNOTIFY_A_POLICY_NAME]) {
		p->by_name = true;
		snprintf(p->name, sizeof(p->name), "%.*s",
			 nla_len(tb[VQNOTIFY_A_POLICY_NAME]),
			 (char *)nla_data(tb[VQNOTIFY_A_POLICY_NAME]));
	}
	p->has_uid = tb[VQNOTIFY_A_POLICY_UID];
	p->uid = get_u32(tb, VQNOTIFY_A_POLICY_UID);
	for (k = 0; k < NR_POLICY_KEYS; k++)
		p->v[k] = tb[policy_keys[k].attr] ?
			  (int64_t)get_u32(tb, policy_keys[k].attr) : -1;
	return NL_OK;
}

/*
 * The selector of a policy command at @argv: "name NAME", "uid UID", or
 * both (a name's policy for that user's guests), in either order. Puts it
 * into @msg (when not NULL). The words it took (2 or 4), or -EXIT_USAGE
 * with the message printed. Checked with @msg NULL first: a name too long
 * for the module is refused here, so that it always fits the message (a
 * name libnl dropped would leave the uid alone to select another policy).
 */
static int policy_selector(int argc, char **argv, struct nl_msg *msg)
{
	bool name = false, uid = false;
	uint32_t u;
	int i;

	for (i = 0; i + 1 < argc && i < 4; i += 2) {
		if (!strcmp(argv[i], "name") && !name) {
			name = true;
			if (strlen(argv[i + 1]) >= VQNOTIFY_NAME_LEN)
				return -usage_error(policy_usage,
						    "policy: a name is at most %d bytes",
						    VQNOTIFY_NAME_LEN - 1);
			if (msg)
				nla_put_string(msg, VQNOTIFY_A_POLICY_NAME,
					       argv[i + 1]);
		} else if (!strcmp(argv[i], "uid") && !uid) {
			uid = true;
			if (parse_u32(argv[i + 1], &u))
				return -usage_error(policy_usage,
						    "'%s' is not a uid",
						    argv[i + 1]);
			if (msg)
				nla_put_u32(msg, VQNOTIFY_A_POLICY_UID, u);
		} else {
			break;
		}
	}
	if (!i && argc < 2)
		return -usage_error(policy_usage,
				    "policy: expected name NAME or uid UID");
	if (!i)
		return -usage_error(policy_usage,
				    "policy: expected name or uid, not '%s'",
				    argv[0]);
	return i;
}

/* policy set SEL KEY N...: 0, or EXIT_USAGE with the message printed. */
static int policy_set_check(int argc, char **argv)
{
	int n = policy_selector(argc - 2, argv + 2, NULL);
	bool named = false;
	int i, ret;

	if (n < 0)
		return -n;
	ret = check_pairs(argc, argv, 2 + n, policy_key, policy_usage,
			  "policy set");
	if (ret)
		return ret;
	for (i = 2; i < 2 + n; i += 2)
		named |= !strcmp(argv[i], "name");
	/* The module refuses them too, but as a failure, not a misuse. */
	for (i = 2 + n; named && i < argc; i += 2)
		if (policy_keys[policy_key(argv[i])].uid_only)
			return usage_error(policy_usage,
					   "policy set: %s is a user's limit: a uid policy's, not a name's",
					   argv[i]);
	return 0;
}

static int policy_set(struct nl *n, int argc, char **argv)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_POLICY_SET, false);
	uint32_t v;
	int i, ret;

	if (!msg)
		return fail("policy set", -ENOMEM);
	for (i = 2 + policy_selector(argc - 2, argv + 2, msg); i < argc;
	     i += 2) {
		parse_u32(argv[i + 1], &v);
		nla_put_u32(msg, policy_keys[policy_key(argv[i])].attr, v);
	}
	ret = nl_request(n, msg, NULL, NULL);
	return ret ? fail("policy set", ret) : EXIT_OK;
}

static int policy_del(struct nl *n, int argc, char **argv)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_POLICY_DEL, false);
	int ret;

	if (!msg)
		return fail("policy delete", -ENOMEM);
	policy_selector(argc - 2, argv + 2, msg);
	ret = nl_request(n, msg, NULL, NULL);
	return ret ? fail("policy delete", ret) : EXIT_OK;
}

static void policy_json(struct jw *w, const struct policy *p)
{
	unsigned int k;

	jw_obj_open(w, NULL);
	if (p->by_name)
		jw_str(w, "name", p->name);
	if (p->has_uid)
		jw_uint(w, "uid", p->uid);
	for (k = 0; k < NR_POLICY_KEYS; k++)
		if (p->v[k] >= 0)
			jw_uint(w, policy_keys[k].key, p->v[k]);
	jw_obj_close(w);
}

/* A setting for the table: the number, or "-" when the policy has none. */
static const char *policy_cell(const struct policy *p, unsigned int k,
			       char *buf, size_t len)
{
	if (p->v[k] < 0)
		return "-";
	snprintf(buf, len, "%u", (uint32_t)p->v[k]);
	return buf;
}

/*
 * Uid policies first (by uid), then name policies (by name, the name's
 * for everyone before those for one user, by uid).
 */
static int policy_cmp(const void *a, const void *b)
{
	const struct policy *x = a, *y = b;
	int c;

	if (x->by_name != y->by_name)
		return x->by_name - y->by_name;
	if (x->by_name && (c = strcmp(x->name, y->name)))
		return c;
	if (x->has_uid != y->has_uid)
		return x->has_uid - y->has_uid;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int policy_show(struct nl *n, int argc, char **argv)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_POLICY_GET, argc < 4);
	struct vec pols = { .size = sizeof(struct policy) };
	char cell[NR_POLICY_KEYS][16];
	struct policy *p;
	size_t i;
	int ret;

	if (msg && argc >= 4)
		policy_selector(argc - 2, argv + 2, msg);
	ret = nl_request_vec(n, msg, cb_policy, &pols);
	if (ret) {
		free(pols.v);
		return fail("policy show", ret);
	}
	p = pols.v;
	if (pols.nr)
		qsort(p, pols.nr, sizeof(*p), policy_cmp);
	if (opts.json) {
		struct jw *w = jw_new(stdout, opts.pretty);

		jw_arr_open(w, NULL);
		for (i = 0; i < pols.nr; i++)
			policy_json(w, &p[i]);
		jw_arr_close(w);
		jw_end(w);
		jw_free(w);
		free(pols.v);
		return EXIT_OK;
	}
	printf("%-4s %-24s %7s %7s %10s %11s %10s %9s\n", "TYPE", "MATCH",
	       "BUDGET", "RESERVE", "MAX-GUESTS", "MAX-DEVICES", "MAX-QUEUES",
	       "MAX-SLOTS");
	for (i = 0; i < pols.nr; i++) {
		char match[800];

		/* A name's policy for one user: "NAME uid UID", type both. */
		if (p[i].by_name && p[i].has_uid)
			snprintf(match, sizeof(match), "%s uid %u",
				 tname(p[i].name), p[i].uid);
		else if (p[i].by_name)
			snprintf(match, sizeof(match), "%s", tname(p[i].name));
		else
			snprintf(match, sizeof(match), "%u", p[i].uid);
		printf("%-4s %-24s %7s %7s %10s %11s %10s %9s\n",
		       !p[i].by_name ? "uid" : p[i].has_uid ? "both" : "name",
		       match,
		       policy_cell(&p[i], 0, cell[0], sizeof(cell[0])),
		       policy_cell(&p[i], 1, cell[1], sizeof(cell[1])),
		       policy_cell(&p[i], 2, cell[2], sizeof(cell[2])),
		       policy_cell(&p[i], 3, cell[3], sizeof(cell[3])),
		       policy_cell(&p[i], 4, cell[4], sizeof(cell[4])),
		       policy_cell(&p[i], 5, cell[5], sizeof(cell[5])));
	}
	free(pols.v);
	return EXIT_OK;
}

int cmd_policy(int argc, char **argv)
{
	static const char *const cmds[] = { "show", "set", "delete", NULL };
	const char *cmd;
	struct nl n;
	int ret;

	ret = subcommand(argc, argv, policy_usage, cmds, &cmd);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!strcmp(cmd, "set")) {
		ret = policy_set_check(argc, argv);
	} else if (argc > 2 || !strcmp(cmd, "delete")) {
		int used = policy_selector(argc - 2, argv + 2, NULL);

		if (used < 0)
			ret = -used;
		else if (2 + used < argc)
			ret = usage_error(policy_usage,
					  "policy %s: unexpected '%s'", cmd,
					  argv[2 + used]);
	}
	if (ret)
		return ret;
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	if (!strcmp(cmd, "set"))
		ret = policy_set(&n, argc, argv);
	else if (!strcmp(cmd, "delete"))
		ret = policy_del(&n, argc, argv);
	else
		ret = policy_show(&n, argc, argv);
	ctl_nl_close(&n);
	return ret;
}

/* user */

void user_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-j] [-p] user show [ [uid] UID ]\n"
		"Per-user accounting: what each user with open guests holds\n"
		"(guests, devices, queues, slots) against its limits, and how\n"
		"often a limit refused it. Other users than your own are shown\n"
		"to CAP_NET_ADMIN only.\n", prog);
}

/* The user attributes, as shown: what is used, then its limit. */
static const struct {
	const char *key, *max_key, *head;
	int attr, max_attr;
} user_cols[] = {
	{ "guests", "max_guests", "GUESTS", VQNOTIFY_A_USER_NR_GUESTS,
	  VQNOTIFY_A_USER_MAX_GUESTS },
	{ "devices", "max_devices", "DEVICES", VQNOTIFY_A_USER_NR_DEVICES,
	  VQNOTIFY_A_USER_MAX_DEVICES },
	{ "queues", "max_queues", "QUEUES", VQNOTIFY_A_USER_NR_QUEUES,
	  VQNOTIFY_A_USER_MAX_QUEUES },
	{ "slots", "max_slots", "SLOTS", VQNOTIFY_A_USER_NR_SLOTS,
	  VQNOTIFY_A_USER_MAX_SLOTS },
};

#define NR_USER_COLS (sizeof(user_cols) / sizeof(user_cols[0]))

struct user {
	uint32_t uid;
	uint32_t used[NR_USER_COLS], max[NR_USER_COLS];
	uint64_t nr_quota;
};

static int cb_user(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VQNOTIFY_A_USER_MAX + 1];
	struct user *u;
	unsigned int c;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VQNOTIFY_A_USER_MAX, NULL))
		return NL_SKIP;
	u = vec_add(arg);
	if (!u)
		return NL_SKIP;	/* the dump is read to its end, then fails */
	u->uid = get_u32(tb, VQNOTIFY_A_USER_UID);
	for (c = 0; c < NR_USER_COLS; c++) {
		u->used[c] = get_u32(tb, user_cols[c].attr);
		u->max[c] = get_u32(tb, user_cols[c].max_attr);
	}
	if (tb[VQNOTIFY_A_USER_NR_QUOTA])
		u->nr_quota = get_uint(tb[VQNOTIFY_A_USER_NR_QUOTA]);
	return NL_OK;
}

static int user_show(struct nl *n, int64_t uid)
{
	struct nl_msg *msg = nl_new(n, VQNOTIFY_CMD_USER_GET, uid < 0);
	struct vec users = { .size = sizeof(struct user) };
	struct user *u;
	unsigned int c;
	size_t i;
	int ret;

	if (msg && uid >= 0)
		nla_put_u32(msg, VQNOTIFY_A_USER_UID, uid);
	ret = nl_request_vec(n, msg, cb_user, &users);
	if (ret) {
		free(users.v);
		return fail("user show", ret);
	}
	u = users.v;
	if (opts.json) {
		struct jw *w = jw_new(stdout, opts.pretty);

		jw_arr_open(w, NULL);
		for (i = 0; i < users.nr; i++) {
			jw_obj_open(w, NULL);
			jw_uint(w, "uid", u[i].uid);
			for (c = 0; c < NR_USER_COLS; c++) {
				jw_uint(w, user_cols[c].key, u[i].used[c]);
				jw_uint(w, user_cols[c].max_key, u[i].max[c]);
			}
			jw_uint(w, "quota_refusals", u[i].nr_quota);
			jw_obj_close(w);
		}
		jw_arr_close(w);
		jw_end(w);
		jw_free(w);
		free(users.v);
		return EXIT_OK;
	}
	printf("%-10s", "UID");
	for (c = 0; c < NR_USER_COLS; c++)
		printf(" %17s", user_cols[c].head);
	printf(" %14s\n", "QUOTA-REFUSALS");
	for (i = 0; i < users.nr; i++) {
		printf("%-10u", u[i].uid);
		for (c = 0; c < NR_USER_COLS; c++) {
			char cell[24];

			snprintf(cell, sizeof(cell), "%u/%u", u[i].used[c],
				 u[i].max[c]);
			printf(" %17s", cell);
		}
		printf(" %14llu\n", (unsigned long long)u[i].nr_quota);
	}
	free(users.v);
	return EXIT_OK;
}

int cmd_user(int argc, char **argv)
{
	static const char *const cmds[] = { "show", NULL };
	const char *cmd;
	int64_t uid[1];
	struct nl n;
	int ret, skip;

	ret = subcommand(argc, argv, user_usage, cmds, &cmd);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	/* user show uid 0, as ip says it; user show 0 as guest show 0. */
	skip = argc > 3 && !strcmp(argv[2], "uid") ? 3 : 2;
	if (argc == 3 && !strcmp(argv[2], "uid"))
		return usage_error(user_usage, "user show uid: expected UID");
	ret = parse_ids(argc > skip ? argc - skip : 0, argv + skip, 1, uid,
			user_usage);
	if (ret)
		return ret;
	if (ctl_nl_open(&n))
		return EXIT_RUNTIME;
	ret = user_show(&n, uid[0]);
	ctl_nl_close(&n);
	return ret;
}
