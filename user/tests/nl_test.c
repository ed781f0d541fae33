// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of how vqnotifyctl reads the end of a dump (user/nl.c):
 * a dump that fails part-way ends with an NLMSG_DONE whose int is the
 * error, the extended ack's attributes after it (the kernel's
 * netlink_dump_done()); libnl reads neither, and vqnotifyctl printed what
 * it had and exited 0. Ends with "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "../vqnotifyctl.h"

static int passed, failed;

static void check(bool ok, const char *what)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s\n", what);
}

/* An NLMSG_DONE of @err, with the extack message @msg when not NULL. */
static struct nlmsghdr *done_msg(void *buf, int err, const char *msg)
{
	struct nlmsghdr *h = buf;
	struct nlattr *a;
	size_t len = msg ? strlen(msg) + 1 : 0;

	memset(buf, 0, 512);
	h->nlmsg_type = NLMSG_DONE;
	h->nlmsg_flags = NLM_F_MULTI | (msg ? NLM_F_ACK_TLVS : 0);
	h->nlmsg_len = NLMSG_LENGTH(sizeof(err));
	memcpy(NLMSG_DATA(h), &err, sizeof(err));
	if (msg) {
		a = (struct nlattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = NLA_HDRLEN + len;
		memcpy((char *)a + NLA_HDRLEN, msg, len);
		h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + NLA_ALIGN(a->nla_len);
	}
	return h;
}

/* What fail() prints for @err: its stderr, through a file. */
static char *fail_text(int err)
{
	static char out[256];
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	fflush(stderr);
	dup2(fileno(f), 2);
	fail("dump", err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

int main(void)
{
	static char buf[512];
	struct nlmsghdr *h;

	check(nl_done_error(done_msg(buf, 0, NULL)) == 0, "a dump that ended");
	check(nl_done_error(done_msg(buf, -EMSGSIZE, NULL)) == -EMSGSIZE,
	      "a dump that failed: its error");
	h = done_msg(buf, -ENOMEM, "no memory for the dump");
	check(nl_done_error(h) == -ENOMEM, "a failed dump with an extack");
	check(strstr(fail_text(-ENOMEM), "Error: no memory for the dump.") !=
	      NULL, "the failed dump's extack message is printed");
	h = done_msg(buf, 0, NULL);
	h->nlmsg_len = NLMSG_HDRLEN;	/* an old kernel's: no int */
	check(nl_done_error(h) == 0, "an NLMSG_DONE without its int");
	/* A message attribute running past the end reads as none. */
	h = done_msg(buf, -EIO, "cut");
	h->nlmsg_len -= 4;
	check(nl_done_error(h) == -EIO, "a cut extack: the error still");
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
