// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl policy and user (issue 11) as a host's admin and a tenant
 * use them:
 *
 *  - policy set, show (text and -j, all or one by name or uid), an update,
 *    delete, each checked against what the module itself says;
 *  - a name policy for a VM UUID reaches the guest that takes the name,
 *    and guest show prints the whole name;
 *  - a tenant (a user of group kvm) is refused every policy command (EPERM:
 *    GENL_ADMIN_PERM) and sees its own usage only;
 *  - a policy's name is a tenant's string: escaped in text and JSON; one
 *    the module refuses (a newline) prints "Error: <extack>";
 *  - user show: usage against limits, quota refusals (reason quota in
 *    queue show too), ENOENT with the kernel's message.
 *
 * The -j output goes to the host's schema check (vqnotifyctl_cli.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vqn_tenants.h"
#include "vqnotifyctl_cli.h"

/* A VM UUID, as libvirt names its domains' guests (36 bytes). */
#define PN_UUID		"4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
/* Printable ASCII the module takes, and the printers must escape. */
#define PN_HOSTILE	"q\"uote\\back <b>&amp;'x"
#define PN_UID		TN_VMM
/* A uid's column (24) and the budget's (7), less "65533" and "6". */
#define ROW_PAD		"                          "

FIXTURE(pol) {
	struct tk_nl nl;
	int fd;			/* a guest of the test's, or -1 */
	char backslashes[VQNOTIFY_NAME_LEN];
};

FIXTURE_SETUP(pol)
{
	self->nl.fd = self->fd = -1;
	memset(self->backslashes, '\\', sizeof(self->backslashes) - 1);
	self->backslashes[sizeof(self->backslashes) - 1] = '\0';
	if (!have_family())
		SKIP(return, "no vqnotifyctl or module or its netlink family");
	ASSERT_EQ(0, tk_nl_open(&self->nl));
	ASSERT_EQ(0, tn_dev_setup());
}

FIXTURE_TEARDOWN(pol)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->nl.fd < 0)
		return;
	_test_nl_policy_del(&self->nl, PN_UUID, 0);
	_test_nl_policy_del(&self->nl, "help", 0);
	_test_nl_policy_del(&self->nl, PN_HOSTILE, 0);
	_test_nl_policy_del(&self->nl, self->backslashes, 0);
	_test_nl_policy_del(&self->nl, NULL, PN_UID);
	_test_nl_policy_del_for(&self->nl, PN_UUID, PN_UID);
	tk_nl_close(&self->nl);
}

/* vqnotifyctl as TN_HOSTILE of group kvm: a tenant. */
static struct run *run_tenant_holding(const char **argv, bool guest)
{
	struct run *sh = tn_shared(sizeof(*sh)), *r = malloc(sizeof(*r));
	int st = 0;
	pid_t pid;

	if (!sh || !r)
		return NULL;
	pid = fork();
	if (!pid) {
		struct run *c;

		/* With @guest, a guest of the tenant's own, open meanwhile. */
		if (tn_become(TN_HOSTILE) || (guest && tk_open(0) < 0))
			_exit(1);
		c = run_as(0, NULL, argv);
		memcpy(sh, c, sizeof(*sh));
		_exit(0);
	}
	waitpid(pid, &st, 0);
	memcpy(r, sh, sizeof(*r));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		r->status = -1;
	munmap(sh, sizeof(*sh));
	return r;
}

static struct run *run_tenant(const char **argv)
{
	return run_tenant_holding(argv, false);
}

#define RUN_TENANT(...) run_tenant((const char *[]){ __VA_ARGS__, NULL })

/* Run, expect exit 0, and keep the -j output for the host as @record. */
static struct run *run_json(struct __test_metadata *_metadata,
			    const char *record, const char **argv)
{
	struct run *r = run_as(0, NULL, argv);

	EXPECT_EQ(0, r->status) TH_LOG("%s: %s", argv[1], r->err);
	EXPECT_TRUE(json_lines(r->out)) TH_LOG("%s", r->out);
	out_record("json", record, r->out, strlen(r->out));
	return r;
}

#define RUN_JSON(record, ...) \
	run_json(_metadata, record, (const char *[]){ __VA_ARGS__, NULL })

/*
 * A guest may be named "help" (or "-h"): a policy for that name is set,
 * shown and deleted, not answered with the usage. "help" printed the
 * usage wherever it stood, exit 0: such a guest was out of reach of name
 * policies, and the admin's script saw success.
 */
TEST_F(pol, name_help_is_a_name)
{
	struct tk_nl_policy p;
	struct run *r;

	r = RUN("policy", "set", "name", "help", "budget", "3");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(NULL, strstr(r->out, "Usage")) TH_LOG("%s", r->out);
	free(r);
	test_cmd_nl_policy_get("help", 0, &p);
	EXPECT_EQ(3, p.budget);
	r = RUN("-j", "policy", "show", "name", "help");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "\"name\":\"help\"")) TH_LOG("%s", r->out);
	free(r);
	r = RUN("policy", "delete", "name", "help");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	test_err_nl_policy_get(ENOENT, "help", 0, NULL);
	/* Still the usage where a command word stands. */
	r = RUN("policy", "set", "help");
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "policy")) TH_LOG("%s", r->out);
	free(r);
}

TEST_F(pol, set_show_delete_round_trip)
{
	struct tk_nl_policy p;
	struct run *r;

	r = RUN("policy", "set", "name", PN_UUID, "budget", "4", "reserve",
		"1");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	r = RUN("policy", "set", "uid", "65533", "budget", "6", "max-guests",
		"3", "max-slots", "9");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);

	/* What the module has is what was said. */
	test_cmd_nl_policy_get(PN_UUID, 0, &p);
	EXPECT_EQ(4, p.budget);
	EXPECT_EQ(1, p.reserve);
	test_cmd_nl_policy_get(NULL, PN_UID, &p);
	EXPECT_EQ(6, p.budget);
	EXPECT_EQ(3, p.max_guests);
	EXPECT_EQ(9, p.max_slots);
	EXPECT_EQ(~0U, p.max_queues);

	/* Text: uid policies first, "-" for what a policy does not set. */
	r = RUN("policy", "show");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(line_starts(r->out, "TYPE MATCH")) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "\nuid  65533" ROW_PAD
			"6       -          3           -          -         9\n"))
		TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "\nname " PN_UUID
			"       4       1          -           -          -         -\n"))
		TH_LOG("%s", r->out);
	free(r);

	/* JSON: every policy, only the settings it has. */
	r = RUN_JSON("policy_show", "-j", "policy", "show");
	EXPECT_TRUE(has(r->out, "{\"uid\":65533,\"budget\":6,"
			"\"max_guests\":3,\"max_slots\":9}")) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "{\"name\":\"" PN_UUID "\",\"budget\":4,"
			"\"vhost_reserve\":1}")) TH_LOG("%s", r->out);
	free(r);

	/* One by name, after an update that keeps the reserve. */
	r = RUN("policy", "set", "name", PN_UUID, "budget", "5");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	r = RUN_JSON("policy_show", "-j", "policy", "show", "name", PN_UUID);
	EXPECT_STREQ("[{\"name\":\"" PN_UUID "\",\"budget\":5,"
		     "\"vhost_reserve\":1}]\n", r->out);
	free(r);

	/* Deleted (abbreviated): gone, and saying so as ip would. */
	r = RUN("policy", "del", "name", PN_UUID);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	test_err_nl_policy_get(ENOENT, PN_UUID, 0, NULL);
	r = RUN("policy", "show", "name", PN_UUID);
	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, "Error: no such policy.")) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->err, "ENOENT")) TH_LOG("%s", r->err);
	EXPECT_STREQ("", r->out);
	free(r);
	r = RUN("policy", "delete", "uid", "65533");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	r = RUN("-j", "policy", "show");
	EXPECT_STREQ("[]\n", r->out);
	free(r);
}

/*
 * A name's policy for one user's guests: set, shown ("both", the name and
 * the uid; JSON with both keys) and deleted by both, in either order.
 */
TEST_F(pol, name_policy_for_one_user)
{
	struct run *r;

	r = RUN("policy", "set", "name", PN_UUID, "uid", "65533", "budget",
		"5");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	r = RUN_JSON("policy_show", "-j", "policy", "show", "uid", "65533",
		     "name", PN_UUID);
	EXPECT_STREQ("[{\"name\":\"" PN_UUID "\",\"uid\":65533,"
		     "\"budget\":5}]\n", r->out);
	free(r);
	r = RUN("policy", "show");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "\nboth " PN_UUID " uid 65533 ")) TH_LOG("%s",
								     r->out);
	free(r);
	/* Not the name's policy for everyone. */
	r = RUN("policy", "show", "name", PN_UUID);
	EXPECT_EQ(1, r->status);
	free(r);
	r = RUN("policy", "delete", "name", PN_UUID, "uid", "65533");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	r = RUN("-j", "policy", "show");
	EXPECT_STREQ("[]\n", r->out);
	free(r);
}

/*
 * Refused as usage errors (exit 2), before any request: one variant per
 * mistake. A regression here would send them as root: the names are the
 * one the teardown deletes, the guest one no guest has, the threshold
 * ("THR") the host's own.
 */
FIXTURE(usage) {
	struct tk_nl nl;
};

FIXTURE_VARIANT(usage) {
	const char *argv[9];
};

FIXTURE_VARIANT_ADD(usage, set_nothing_to_set) {
	.argv = { "policy", "set", "name", PN_UUID },
};

FIXTURE_VARIANT_ADD(usage, set_without_selector) {
	.argv = { "policy", "set", "budget", "4" },
};

FIXTURE_VARIANT_ADD(usage, set_uid_not_a_number) {
	.argv = { "policy", "set", "uid", "x", "budget", "4" },
};

FIXTURE_VARIANT_ADD(usage, set_unknown_key) {
	.argv = { "policy", "set", "name", PN_UUID, "colour", "4" },
};

FIXTURE_VARIANT_ADD(usage, set_negative_budget) {
	.argv = { "policy", "set", "name", PN_UUID, "budget", "-1" },
};

FIXTURE_VARIANT_ADD(usage, delete_without_selector) {
	.argv = { "policy", "delete" },
};

FIXTURE_VARIANT_ADD(usage, show_name_without_value) {
	.argv = { "policy", "show", "name" },
};

FIXTURE_VARIANT_ADD(usage, show_two_uids) {
	.argv = { "policy", "show", "uid", "1", "uid", "2" },
};

FIXTURE_VARIANT_ADD(usage, delete_uid_not_a_number) {
	.argv = { "policy", "delete", "name", PN_UUID, "uid", "x" },
};

FIXTURE_VARIANT_ADD(usage, user_show_uid_without_value) {
	.argv = { "user", "show", "uid" },
};

FIXTURE_VARIANT_ADD(usage, user_show_unknown_word) {
	.argv = { "user", "show", "x" },
};

/* A key twice: refused, not the last one taken. */
FIXTURE_VARIANT_ADD(usage, policy_key_twice) {
	.argv = { "policy", "set", "name", PN_UUID, "budget", "4", "budget",
		  "5" },
};

FIXTURE_VARIANT_ADD(usage, guest_key_twice) {
	.argv = { "guest", "set", "4294967295", "budget", "1", "budget", "2" },
};

FIXTURE_VARIANT_ADD(usage, config_key_twice) {
	.argv = { "config", "set", "threshold", "THR", "threshold", "THR" },
};

/* A user's limits in a name's policy: the module refuses it. */
FIXTURE_VARIANT_ADD(usage, name_policy_user_limit) {
	.argv = { "policy", "set", "name", PN_UUID, "max-guests", "1" },
};

FIXTURE_VARIANT_ADD(usage, both_policy_user_limit) {
	.argv = { "policy", "set", "uid", "0", "name", PN_UUID, "max-slots",
		  "1" },
};

FIXTURE_SETUP(usage)
{
	self->nl.fd = -1;
	if (!have_family())
		SKIP(return, "no vqnotifyctl or module or its netlink family");
	ASSERT_EQ(0, tk_nl_open(&self->nl));
}

FIXTURE_TEARDOWN(usage)
{
	if (self->nl.fd < 0)
		return;
	_test_nl_policy_del(&self->nl, PN_UUID, 0);
	_test_nl_policy_del_for(&self->nl, PN_UUID, 0);
	tk_nl_close(&self->nl);
}

/*
 * Exit 2; no policy made, the config unchanged (what a set or config set
 * sent by mistake could show; the others change nothing anyway).
 */
TEST_F(usage, exit_2)
{
	const char *argv[TK_ARRAY_SIZE(variant->argv)];
	struct tk_nl_policies before, now;
	struct tk_nl_config c, after;
	struct run *r;
	char thr[16];

	test_cmd_nl_config_get(&c);
	snprintf(thr, sizeof(thr), "%lld", (long long)c.threshold);
	for (size_t i = 0; i < TK_ARRAY_SIZE(argv); i++)
		argv[i] = variant->argv[i] && !strcmp(variant->argv[i], "THR") ?
			  thr : variant->argv[i];
	test_cmd_nl_policy_dump(&before);
	r = run_as(0, NULL, argv);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(2, r->status) TH_LOG("%s", r->err);
	free(r);
	test_cmd_nl_policy_dump(&now);
	EXPECT_EQ(before.n, now.n);
	test_cmd_nl_config_get(&after);
	EXPECT_EQ(0, memcmp(&after, &c, sizeof(c)));
}

/*
 * A name longer than the module takes is refused before any request is
 * sent. At 5000 bytes libnl dropped it from the message, and the uid left
 * alone in it deleted (or set) that user's policy instead.
 */
TEST_F(pol, long_name_refused_before_sending)
{
	char name[5000], uid[16];
	struct tk_nl_policy p;
	struct run *r;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(uid, sizeof(uid), "%u", PN_UID);
	r = RUN("policy", "set", "uid", uid, "budget", "6");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);

	r = RUN("policy", "delete", "name", name, "uid", uid);
	EXPECT_EQ(2, r->status);
	EXPECT_TRUE(has(r->err, "a name is at most 127 bytes"))
		TH_LOG("%s", r->err);
	free(r);
	r = RUN("policy", "set", "uid", uid, "name", name, "budget", "1");
	EXPECT_EQ(2, r->status);
	free(r);
	test_cmd_nl_policy_get(NULL, PN_UID, &p);
	EXPECT_EQ(6, p.budget);

	/* 127 bytes, the most a name has, are taken. */
	name[VQNOTIFY_NAME_LEN - 1] = '\0';
	r = RUN("policy", "set", "name", name, "budget", "1");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	test_cmd_nl_policy_get(name, 0, &p);
	EXPECT_EQ(1, p.budget);
	test_cmd_nl_policy_del(name, 0);
}

/* A name policy reaches the guest that takes the (whole, long) name. */
TEST_F(pol, name_policy_reaches_the_guest)
{
	struct vqnotify_guest_info gi;
	char id[16], want[96];
	struct run *r;

	r = RUN("policy", "set", "name", PN_UUID, "budget", "4");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	self->fd = tk_open(0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, _test_ioctl_set_name(self->fd, PN_UUID));
	ASSERT_EQ(0, _test_ioctl_guest_get(self->fd, &gi));
	EXPECT_EQ(4, gi.budget);
	snprintf(id, sizeof(id), "%u", gi.guest_id);
	r = RUN("-j", "guest", "show", id);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "\"name\":\"" PN_UUID "\"")) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, "\"admin_budget\":4,")) TH_LOG("%s", r->out);
	free(r);
	r = RUN("guest", "show", id);
	snprintf(want, sizeof(want), "\n%-5s %s ", id, PN_UUID);
	EXPECT_TRUE(has(r->out, want)) TH_LOG("%s", r->out);
	free(r);
}

/* A tenant may not set, list or remove policies; it sees its own usage. */
TEST_F(pol, tenant_refused)
{
	static const char *const cmds[][7] = {
		{ "policy", "set", "name", PN_UUID, "budget", "1000" },
		{ "policy", "set", "uid", "65534", "max-slots", "1000000" },
		{ "policy", "show" },
		{ "policy", "show", "uid", "65534" },
		{ "policy", "delete", "uid", "65533" },
	};
	struct run *r;
	unsigned int i;

	r = RUN("policy", "set", "uid", "65533", "budget", "6");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	for (i = 0; i < TK_ARRAY_SIZE(cmds); i++) {
		r = run_tenant((const char **)cmds[i]);
		ASSERT_NE(NULL, r);
		EXPECT_EQ(1, r->status) TH_LOG("%s %s: %s", cmds[i][1],
					       cmds[i][2], r->out);
		EXPECT_TRUE(has(r->err, "(EPERM)")) TH_LOG("%s", r->err);
		EXPECT_STREQ("", r->out);
		free(r);
	}
	test_err_nl_policy_get(ENOENT, PN_UUID, 0, NULL);
	test_err_nl_policy_get(ENOENT, NULL, TN_HOSTILE, NULL);
	test_cmd_nl_policy_get(NULL, PN_UID, NULL);

	/* user show: allowed, and nothing of other users. */
	self->fd = tk_open(0);
	ASSERT_LE(0, self->fd);
	r = RUN_TENANT("-j", "user", "show");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("[]\n", r->out);
	free(r);
	r = RUN_TENANT("user", "show", "uid", "0");
	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, "ENOENT")) TH_LOG("%s", r->err);
	free(r);
	/* Its own row, once it holds a guest: that only. */
	r = run_tenant_holding((const char *[]){ "-j", "user", "show", NULL },
			       true);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->out, "[{\"uid\":65534,\"guests\":1,"))
		TH_LOG("%s", r->out);
	EXPECT_EQ(NULL, strstr(r->out, "},{")) TH_LOG("%s", r->out);
	free(r);
}

/* The names of the policies, hex, one per line: the host checks them. */
static void record_policy_names(const char *const *names, int n)
{
	char buf[1024] = "", *p = buf;
	const char *s;
	int i;

	for (i = 0; i < n; i++) {
		for (s = names[i]; *s; s++)
			p += sprintf(p, "%02x", (unsigned char)*s);
		*p++ = '\n';
	}
	out_record("names", "policy", buf, p - buf);
}

TEST_F(pol, names_escaped)
{
	const char *names[] = { PN_HOSTILE, self->backslashes };
	char why[128], esc[2 * VQNOTIFY_NAME_LEN];
	unsigned int i;
	struct run *r;

	for (i = 0; i < TK_ARRAY_SIZE(names); i++) {
		r = RUN("policy", "set", "name", names[i], "budget", "3");
		EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
		free(r);
	}
	memset(esc, '\\', sizeof(esc) - 2);
	esc[sizeof(esc) - 2] = '\0';

	/* Text: a backslash doubled, a space escaped, the whole name. */
	r = RUN("policy", "show");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(clean_text(r->out, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_TRUE(has(r->out, "\nname q\"uote\\\\back\\x20<b>&amp;'x "))
		TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, esc)) TH_LOG("%s", r->out);
	free(r);

	/* JSON: what a parser gives back is the name (on the host too). */
	record_policy_names(names, TK_ARRAY_SIZE(names));
	r = RUN_JSON("policy_show", "-j", "policy", "show");
	EXPECT_TRUE(has(r->out, "{\"name\":\"q\\\"uote\\\\back <b>&amp;'x\","))
		TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, esc)) TH_LOG("%s", r->out);
	free(r);

	/* A name that would forge a row: the module says why, nothing set. */
	r = RUN("policy", "set", "name", "evil\n1     prod-db", "budget", "1");
	EXPECT_EQ(1, r->status);
	EXPECT_EQ(0, strncmp(r->err, "Error: ", 7)) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->err, "printable")) TH_LOG("%s", r->err);
	EXPECT_TRUE(has(r->err, "(EINVAL)")) TH_LOG("%s", r->err);
	EXPECT_STREQ("", r->out);
	free(r);
	r = RUN("policy", "show");
	EXPECT_FALSE(line_starts(r->out, "1     prod-db")) TH_LOG("%s", r->out);
	free(r);
}

/*
 * A VMM's guest (the user PN_UID: root's guests are exempt from quotas),
 * one device of two queues at DRIVER_OK; kept open until the agent stops.
 */
struct pol_guest {
	uint32_t id;
	uint32_t reason[2];
};

static int pol_vmm_guest(void *arg, int step)
{
	struct vqnotify_vq_result res[2];
	struct vqnotify_guest_info gi;
	struct pol_guest *pg = arg;
	uint32_t dev, nr = 2;
	int fd = tk_open(0);

	if (fd < 0 ||
	    _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 2, "q", &dev) ||
	    _test_ioctl_set_status(fd, dev, TK_STATUS_OK, NULL, res, &nr) ||
	    nr != 2 || _test_ioctl_guest_get(fd, &gi))
		return 1;
	pg->id = gi.guest_id;
	pg->reason[0] = res[0].reason;
	pg->reason[1] = res[1].reason;
	return 0;		/* fd stays open: the agent lives on */
}

/* Usage against limits, with a slot limit of one. */
TEST_F(pol, user_show_usage_and_quota)
{
	struct pol_guest *pg = tn_shared(sizeof(*pg));
	struct tn_agent vmm;
	char id[16];
	struct run *r;

	ASSERT_NE(NULL, pg);
	r = RUN("policy", "set", "uid", "65533", "max-slots", "1");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	free(r);
	ASSERT_EQ(0, tn_agent_start(&vmm, PN_UID, pol_vmm_guest, pg));
	ASSERT_EQ(0, tn_step(&vmm, 1));
	EXPECT_EQ(VQNOTIFY_REASON_GRANTED, pg->reason[0]);
	EXPECT_EQ(VQNOTIFY_REASON_QUOTA, pg->reason[1]);
	snprintf(id, sizeof(id), "%u", pg->id);

	r = RUN_JSON("user_show", "-j", "user", "show", "uid", "65533");
	EXPECT_EQ(0, strncmp(r->out, "[{\"uid\":65533,\"guests\":1,\"max_guests\":",
			     38)) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, ",\"devices\":1,")) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, ",\"queues\":2,")) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, ",\"slots\":1,\"max_slots\":1,"
			"\"quota_refusals\":")) TH_LOG("%s", r->out);
	EXPECT_FALSE(has(r->out, "\"quota_refusals\":0}")) TH_LOG("%s", r->out);
	free(r);
	r = RUN_JSON("user_show", "-j", "user", "show");
	EXPECT_TRUE(has(r->out, "{\"uid\":65533,")) TH_LOG("%s", r->out);
	free(r);
	r = RUN("user", "show", "65533");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_TRUE(line_starts(r->out, "UID ")) TH_LOG("%s", r->out);
	EXPECT_TRUE(line_starts(r->out, "65533      ")) TH_LOG("%s", r->out);
	EXPECT_TRUE(has(r->out, " 1/1 ")) TH_LOG("%s", r->out);
	free(r);

	/* Host-wide: the quota refusal is counted by reason. */
	r = RUN("-j", "stats");
	EXPECT_TRUE(has(r->out, "\"quota\":1,") || has(r->out, "\"quota\":1}"))
		TH_LOG("%s", r->out);
	free(r);
	r = RUN("metrics");
	EXPECT_TRUE(has(r->out, "vqnotify_refusals_total{reason=\"quota\"} 1\n"))
		TH_LOG("%s", r->out);
	free(r);

	/* The refused queue says why, in the schema's words. */
	r = RUN_JSON("queue_show", "-j", "queue", "show", id);
	EXPECT_TRUE(has(r->out, "\"reason\":\"quota\"")) TH_LOG("%s", r->out);
	free(r);
	tn_agent_stop(&vmm);

	/* A user without guests: the kernel's message. */
	r = RUN("user", "show", "uid", "65533");
	EXPECT_EQ(1, r->status);
	EXPECT_TRUE(has(r->err, "Error: no such user with open guests."))
		TH_LOG("%s", r->err);
	free(r);
}

TEST_HARNESS_MAIN
