// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl's command line as ip(8) and devlink(8) users expect it:
 * ENOENT with the kernel's message for a missing object in every show,
 * "Error: <extack>" on a refusal, ids in decimal or hexadecimal, a failed
 * write to stdout as a failure, abbreviations and option spellings that
 * print what the full forms print, and bad abbreviations refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libvqnotify.h"
#include "vqnotifyctl_cli.h"

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

/*
 * Ids are decimal or 0x hexadecimal, as the man page says: "0N" is N, not
 * an octal number (strtoull's base 0 read "010" as guest 8). A guest id of
 * at least 8 shows it: "0N" in octal is another number, or no number.
 */
TEST(ids_decimal_or_hex)
{
	struct vqn_guest *g[9] = { 0 };
	struct vqnotify_guest_info gi = { 0 };
	char id[24], want[32];
	struct run *r;
	int i;

	if (!have_family())
		SKIP(return, "no vqnotifyctl or module or its netlink family");
	for (i = 0; i < 9 && gi.guest_id < 8; i++) {
		ASSERT_EQ(0, vqn_open(&g[i], "ids"));
		ASSERT_EQ(0, vqn_guest_get(g[i], &gi));
	}
	ASSERT_LE(8U, gi.guest_id);
	snprintf(want, sizeof(want), "\"id\":%u,", gi.guest_id);
	snprintf(id, sizeof(id), "00%u", gi.guest_id);
	r = RUN("-j", "guest", "show", id);
	EXPECT_EQ(0, r->status) TH_LOG("%s: %s", id, r->err);
	EXPECT_TRUE(has(r->out, want)) TH_LOG("%s: %s", id, r->out);
	free(r);
	snprintf(id, sizeof(id), "0x%x", gi.guest_id);
	r = RUN("-j", "guest", "show", id);
	EXPECT_EQ(0, r->status) TH_LOG("%s: %s", id, r->err);
	EXPECT_TRUE(has(r->out, want)) TH_LOG("%s: %s", id, r->out);
	free(r);
	r = RUN("guest", "show", "0x");
	EXPECT_EQ(2, r->status);
	free(r);
	for (i = 0; i < 9; i++)
		if (g[i])
			vqn_close(g[i]);
}

/* Output that cannot be written (a full disk, here /dev/full) fails. */
TEST(stdout_write_error_fails)
{
	int st, fd;
	pid_t pid;

	if (!have_family())
		SKIP(return, "no vqnotifyctl or module or its netlink family");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = open("/dev/full", O_WRONLY);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(100);
		execlp(ctl(), ctl(), "-j", "config", "show", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, WEXITSTATUS(st));
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

TEST_HARNESS_MAIN
