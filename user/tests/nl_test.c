// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of how vqnotifyctl reads the end of a dump (user/nl.c):
 * a dump that fails part-way ends with an NLMSG_DONE whose int is the
 * error, the extended ack's attributes after it (the kernel's
 * netlink_dump_done()); libnl reads neither, and vqnotifyctl printed what
 * it had and exited 0; and how it dumps queues, from a module with
 * QUEUES_GET and from one without. Ends with "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>

#include "../vqnotifyctl.h"

#include "check.h"

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

/* What fail() prints for @err. */
static char *fail_text(int err)
{
	static char out[512];
	struct capture c;

	capture_begin(&c);
	fail("dump", err);
	return capture_end(&c, out, sizeof(out));
}

/*
 * A fake module behind the socket's send and recv: each GUEST_GET dump it
 * is asked gets one guest, whose id counts the requests, then its
 * NLMSG_DONE; the first @fake_intr dumps have NLM_F_DUMP_INTR on both.
 */
static int fake_sends, fake_intr;
static uint32_t fake_seq;

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	fake_sends++;
	fake_seq = nlmsg_hdr(msg)->nlmsg_seq;
	return 0;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	uint16_t flags = NLM_F_MULTI |
			 (fake_sends <= fake_intr ? NLM_F_DUMP_INTR : 0);
	struct nlmsghdr *h, *d;
	struct genlmsghdr *g;
	struct nlattr *a;
	uint32_t id = fake_sends;
	size_t len;

	len = NLMSG_SPACE(GENL_HDRLEN + NLA_HDRLEN + 4) +
	      NLMSG_SPACE(sizeof(int));
	*buf = calloc(1, len);
	if (!*buf)
		return -NLE_NOMEM;
	h = (struct nlmsghdr *)*buf;
	h->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_HDRLEN + 4);
	h->nlmsg_type = 42;	/* the family, as the test's socket has it */
	h->nlmsg_flags = flags;
	h->nlmsg_seq = fake_seq;
	g = NLMSG_DATA(h);
	g->cmd = VQNOTIFY_CMD_GUEST_GET;
	a = (struct nlattr *)((char *)g + GENL_HDRLEN);
	a->nla_type = VQNOTIFY_A_GUEST_ID;
	a->nla_len = NLA_HDRLEN + 4;
	memcpy((char *)a + NLA_HDRLEN, &id, 4);
	d = (struct nlmsghdr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	d->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	d->nlmsg_type = NLMSG_DONE;
	d->nlmsg_flags = flags;
	d->nlmsg_seq = fake_seq;
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	return len;
}

/* A socket whose sends and receives are the fake module's. */
static struct nl_sock *
fake_socket(int (*send)(struct nl_sock *, struct nl_msg *),
	    int (*recv)(struct nl_sock *, struct sockaddr_nl *,
			unsigned char **, struct ucred **))
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cb *cb = nl_socket_get_cb(sk);

	nl_cb_overwrite_send(cb, send);
	nl_cb_overwrite_recv(cb, recv);
	nl_cb_put(cb);
	fake_sends = 0;
	return sk;
}

/* A dump of guests through the fake, with @intr interrupted answers. */
static int fake_dump(int intr, struct vec *guests, char **err_text)
{
	struct nl n = { .family = 42 };
	static char out[512];
	struct capture c;
	int ret;

	n.sk = fake_socket(fake_send, fake_recv);
	fake_intr = intr;
	memset(guests, 0, sizeof(*guests));
	capture_begin(&c);
	ret = dump_guests(&n, -1, guests);
	*err_text = capture_end(&c, out, sizeof(out));
	nl_socket_free(n.sk);
	return ret;
}

/*
 * A dump that objects' changes interrupted (NLM_F_DUMP_INTR) is asked
 * again, up to three times, and only the last answer is kept; after
 * three, it is kept with a warning.
 */
static void check_dump_intr(void)
{
	struct vec v;
	char *err;
	int ret;

	ret = fake_dump(0, &v, &err);
	check(!ret && fake_sends == 1 && v.nr == 1 &&
	      ((struct nl_guest *)v.v)[0].id == 1 && !*err,
	      "a dump not interrupted: asked once");
	free(v.v);
	ret = fake_dump(2, &v, &err);
	check(!ret && fake_sends == 3 && v.nr == 1 &&
	      ((struct nl_guest *)v.v)[0].id == 3 && !*err,
	      "a dump interrupted twice: asked again twice, the third kept");
	free(v.v);
	ret = fake_dump(5, &v, &err);
	check(!ret && fake_sends == 3 && v.nr == 1 &&
	      ((struct nl_guest *)v.v)[0].id == 3 &&
	      strstr(err, "may be inconsistent"),
	      "a dump interrupted each time: three asked, a warning");
	free(v.v);
}

/*
 * A fake module for queue dumps. With @fake_packed, QUEUES_GET gets one
 * message of two packed states, of queues 4 and 5 of guest 7's device 3;
 * without, as a module older than QUEUES_GET, it is refused as the
 * kernel's generic netlink refuses a command a family lacks (an
 * NLMSG_ERROR of EOPNOTSUPP), and each QUEUE_GET gets queue 4 in a
 * message of its own. The commands asked are kept in @fake_cmds.
 */
static bool fake_packed;
static uint8_t fake_cmds[4];

static int fake_queues_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));

	if (fake_sends < (int)sizeof(fake_cmds))
		fake_cmds[fake_sends] = g->cmd;
	return fake_send(sk, msg);
}

/* @msgs (freed) one after the other in *@buf, with the request's seq. */
static int fake_answer(unsigned char **buf, struct sockaddr_nl *nla,
		       struct nl_msg **msgs, int nr)
{
	size_t len = 0, off = 0;
	struct nlmsghdr *h;
	int i;

	for (i = 0; i < nr; i++)
		len += NLMSG_ALIGN(nlmsg_hdr(msgs[i])->nlmsg_len);
	*buf = calloc(1, len);
	for (i = 0; i < nr; i++) {
		h = nlmsg_hdr(msgs[i]);
		h->nlmsg_seq = fake_seq;
		if (*buf)
			memcpy(*buf + off, h, h->nlmsg_len);
		off += NLMSG_ALIGN(h->nlmsg_len);
		nlmsg_free(msgs[i]);
	}
	if (!*buf)
		return -NLE_NOMEM;
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	return len;
}

static int fake_queues_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
			    unsigned char **buf, struct ucred **creds)
{
	struct vqnotify_vq_info vi[2] = {
		{ .state = VQNOTIFY_VQ_ASSIGNED, .assign_seq = 11 },
		{ .state = VQNOTIFY_VQ_OFFLIMITS, .assign_seq = 12 },
	};
	uint8_t cmd = fake_cmds[(fake_sends - 1) % sizeof(fake_cmds)];
	struct nl_msg *m[2];
	struct nlmsgerr e;
	int zero = 0;

	if (cmd == VQNOTIFY_CMD_QUEUES_GET && !fake_packed) {
		memset(&e, 0, sizeof(e));
		e.error = -EOPNOTSUPP;
		e.msg.nlmsg_len = NLMSG_HDRLEN;
		m[0] = nlmsg_alloc_simple(NLMSG_ERROR, 0);
		nlmsg_append(m[0], &e, sizeof(e), NLMSG_ALIGNTO);
		return fake_answer(buf, nla, m, 1);
	}
	m[0] = nlmsg_alloc();
	genlmsg_put(m[0], 0, 0, 42, 0, NLM_F_MULTI, cmd,
		    VQNOTIFY_FAMILY_VERSION);
	if (cmd == VQNOTIFY_CMD_QUEUES_GET) {
		nla_put_u32(m[0], VQNOTIFY_A_QUEUE_STATES_GUEST_ID, 7);
		nla_put_u32(m[0], VQNOTIFY_A_QUEUE_STATES_DEV_ID, 3);
		nla_put_u32(m[0], VQNOTIFY_A_QUEUE_STATES_INDEX, 4);
		nla_put(m[0], VQNOTIFY_A_QUEUE_STATES_STATES, sizeof(vi), vi);
	} else {
		nla_put_u32(m[0], VQNOTIFY_A_QUEUE_GUEST_ID, 7);
		nla_put_u32(m[0], VQNOTIFY_A_QUEUE_DEV_ID, 3);
		nla_put_u32(m[0], VQNOTIFY_A_QUEUE_INDEX, 4);
		nla_put_u32(m[0], VQNOTIFY_A_QUEUE_STATE, vi[0].state);
		nla_put_u32(m[0], VQNOTIFY_A_QUEUE_ASSIGN_SEQ,
			    vi[0].assign_seq);
	}
	m[1] = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
	nlmsg_append(m[1], &zero, sizeof(zero), NLMSG_ALIGNTO);
	return fake_answer(buf, nla, m, 2);
}

/* A dump of queues through the fake, @packed or from an older module. */
static int fake_dump_queues(bool packed, struct vec *queues)
{
	struct nl n = { .family = 42 };
	int ret;

	n.sk = fake_socket(fake_queues_send, fake_queues_recv);
	fake_intr = 0;
	fake_packed = packed;
	memset(fake_cmds, 0, sizeof(fake_cmds));
	memset(queues, 0, sizeof(*queues));
	ret = dump_queues(&n, 7, 3, queues);
	nl_socket_free(n.sk);
	return ret;
}

/*
 * Queues are dumped with QUEUES_GET, a device's states packed, each
 * unpacked at its index; a module without it is asked with QUEUE_GET.
 */
static void check_dump_queues(void)
{
	struct nl_queue *q;
	struct vec v;
	int ret;

	ret = fake_dump_queues(true, &v);
	q = v.v;
	check(!ret && fake_sends == 1 &&
	      fake_cmds[0] == VQNOTIFY_CMD_QUEUES_GET && v.nr == 2 &&
	      q[0].guest_id == 7 && q[0].dev_id == 3 && q[0].index == 4 &&
	      q[0].state == VQNOTIFY_VQ_ASSIGNED && q[0].seq == 11 &&
	      q[1].guest_id == 7 && q[1].dev_id == 3 && q[1].index == 5 &&
	      q[1].state == VQNOTIFY_VQ_OFFLIMITS && q[1].seq == 12,
	      "queues dumped packed: two states, each at its index");
	free(v.v);
	ret = fake_dump_queues(false, &v);
	q = v.v;
	check(!ret && fake_sends == 2 &&
	      fake_cmds[0] == VQNOTIFY_CMD_QUEUES_GET &&
	      fake_cmds[1] == VQNOTIFY_CMD_QUEUE_GET && v.nr == 1 &&
	      q[0].guest_id == 7 && q[0].dev_id == 3 && q[0].index == 4 &&
	      q[0].state == VQNOTIFY_VQ_ASSIGNED && q[0].seq == 11,
	      "a module without QUEUES_GET: asked again with QUEUE_GET");
	free(v.v);
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
	check(!strstr(fail_text(-EIO), "Error:"),
	      "a cut extack: no message printed");
	check_dump_intr();
	check_dump_queues();
	return check_summary();
}
