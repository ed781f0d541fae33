// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotifyctl, run as a user would: every command once as it should be
 * used and once with a bad input, checking exit codes (0 ok, 1 runtime
 * failure, 2 usage error) and what it prints.
 *
 * The binary is $VQNOTIFYCTL, else vqnotifyctl from $PATH (/bin in the
 * test VM). Here: global options, help, probe-kvm. replay is
 * vqnotifyctl_replay_test, the netlink commands vqnotifyctl_nl_test.
 */
#define _GNU_SOURCE
#include "vqnotifyctl_utils.h"

CTL_FIXTURE(ctl)

/* Global options and objects */

TEST_F(ctl, no_args)
{
	struct run *r = RUN(NULL);

	EXPECT_EQ(2, r->status);
	EXPECT_TRUE(has(r->err, "no OBJECT"));
	free(r);
}

TEST_F(ctl, help)
{
	struct run *r = RUN("--help");

	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(has(r->out, "Usage:"));
	EXPECT_TRUE(has(r->out, "Exit status"));
	free(r);
}

TEST_F(ctl, version)
{
	struct run *r = RUN("-V");

	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(has(r->out, "vqnotifyctl "));
	free(r);
}

TEST_F(ctl, bad_option)
{
	struct run *r = RUN("--frobnicate", "guest", "show");

	EXPECT_EQ(2, r->status);
	EXPECT_TRUE(has(r->err, "unknown option"));
	free(r);
}

TEST_F(ctl, unknown_object)
{
	struct run *r = RUN("frobnicate");

	EXPECT_EQ(2, r->status);
	EXPECT_TRUE(has(r->err, "unknown object"));
	free(r);
}

FIXTURE(help) {
};

FIXTURE_VARIANT(help) {
	const char *object;
};

FIXTURE_VARIANT_ADD(help, guest) { .object = "guest" };
FIXTURE_VARIANT_ADD(help, dev) { .object = "dev" };
FIXTURE_VARIANT_ADD(help, queue) { .object = "queue" };
FIXTURE_VARIANT_ADD(help, stats) { .object = "stats" };
FIXTURE_VARIANT_ADD(help, monitor) { .object = "monitor" };
FIXTURE_VARIANT_ADD(help, config) { .object = "config" };
FIXTURE_VARIANT_ADD(help, replay) { .object = "replay" };
FIXTURE_VARIANT_ADD(help, probe_kvm) { .object = "probe-kvm" };

FIXTURE_SETUP(help)
{
	if (!have_ctl())
		SKIP(return, "no vqnotifyctl");
}

FIXTURE_TEARDOWN(help)
{
}

/* OBJECT help, OBJECT --help: usage on stdout, exit 0, no netlink. */
TEST_F(help, object_help)
{
	struct run *r = RUN(variant->object, "help");

	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(has(r->out, "Usage:"));
	EXPECT_TRUE(has(r->out, variant->object));
	free(r);
	r = RUN(variant->object, "--help");
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(has(r->out, "Usage:"));
	free(r);
}

/* probe-kvm */

TEST_F(ctl, probe_kvm)
{
	struct run *r = RUN("probe-kvm");

	if (access("/dev/kvm", R_OK)) {
		EXPECT_EQ(1, r->status);
	} else {
		EXPECT_EQ(0, r->status);
		EXPECT_TRUE(has(r->out, "KVM_CAP_IOEVENTFD:            yes"));
	}
	free(r);
}

TEST_F(ctl, probe_kvm_json)
{
	struct run *r = RUN("-j", "probe-kvm");

	if (access("/dev/kvm", R_OK))
		SKIP(free(r); return, "no /dev/kvm");
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(json_lines(r->out));
	EXPECT_TRUE(has(r->out, "\"ioeventfd\":1"));
	free(r);
}

TEST_F(ctl, probe_kvm_extra_arg)
{
	struct run *r = RUN("probe-kvm", "now");

	EXPECT_EQ(2, r->status);
	free(r);
}

TEST_HARNESS_MAIN
