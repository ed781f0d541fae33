/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_fuzz_netlink.h: the netlink messages of vqn_fuzz_test to the
 * vqnotify family: requests it accepts, with values that stress the guests
 * (host cap, threshold, admin budgets of the fuzzers' guests), and random
 * ones with lying lengths; the monitor group drained as a flood.
 */
#ifndef _VQN_FUZZ_NETLINK_H
#define _VQN_FUZZ_NETLINK_H

#include "vqn_fuzz.h"

static void fz_nl_drain(struct fz *f)
{
	tk_nl_drain(&f->nl, NULL, NULL, NULL);
	/* Overruns are expected: it is a flood. */
	if (f->have_mon)
		tk_nl_drain(&f->mon, NULL, NULL, NULL);
}

/* A guest id some fuzzer may hold, or a random one. */
static uint32_t fz_nl_guest_id(struct fz *f)
{
	uint32_t n = TK_ARRAY_SIZE(f->sh->guest_ids);

	if (tk_chance(&f->rng, 20))
		return tk_chance(&f->rng, 50) ? f->sh->shared_id :
						fz_u32_edge(f);
	return __atomic_load_n(&f->sh->guest_ids[tk_below(&f->rng, n)],
			       __ATOMIC_RELAXED);
}

/* A request the family accepts, with values that stress the guests. */
static void fz_nl_valid(struct fz *f)
{
	struct tk_rng *r = &f->rng;
	struct tk_nl_attr a[4];
	int n = 0, ret;
	uint8_t cmd = 1 + tk_below(r, VQNOTIFY_CMD_CONFIG_SET);
	bool dump = false;

	switch (cmd) {
	case VQNOTIFY_CMD_GUEST_GET:
		dump = tk_chance(r, 50);
		if (!dump)
			a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_GUEST_ID,
						      fz_nl_guest_id(f) };
		break;
	case VQNOTIFY_CMD_GUEST_SET:
		a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_GUEST_ID,
					      fz_nl_guest_id(f) };
		if (tk_chance(r, 70))
			a[n++] = (struct tk_nl_attr){
				VQNOTIFY_A_GUEST_ADMIN_BUDGET,
				tk_chance(r, 50) ? tk_below(r, 40) : 1024 };
		if (!n || tk_chance(r, 40))
			a[n++] = (struct tk_nl_attr){
				VQNOTIFY_A_GUEST_VHOST_RESERVE,
				tk_below(r, 8) };
		break;
	case VQNOTIFY_CMD_DEV_GET:
	case VQNOTIFY_CMD_QUEUE_GET:
		dump = tk_chance(r, 50);
		if (!dump || tk_chance(r, 50))
			a[n++] = (struct tk_nl_attr){ 1, fz_nl_guest_id(f) };
		if (!dump || tk_chance(r, 30))
			a[n++] = (struct tk_nl_attr){ 2,
						      1 + tk_below(r, 64) };
		if (cmd == VQNOTIFY_CMD_QUEUE_GET && !dump)
			a[n++] = (struct tk_nl_attr){ VQNOTIFY_A_QUEUE_INDEX,
						      tk_below(r, 24) };
		break;
	case VQNOTIFY_CMD_CONFIG_GET:
		break;
	case VQNOTIFY_CMD_CONFIG_SET:
		/* Host cap and threshold at values that bite. */
		a[n++] = (struct tk_nl_attr){
			1 + tk_below(r, VQNOTIFY_A_CONFIG_HOST_CAP),
			tk_chance(r, 50) ? 1 + tk_below(r, 64) :
					   1 + tk_below(r, 4096) };
		break;
	}
	f->rep->nl_msgs++;
	ret = tk_nl_call(&f->nl, cmd, dump, a, n, NULL, NULL);
	fz_trace(f, 0x4e4c0000 | cmd, n, -1, ret);
	if (ret && ret != -ENOENT && ret != -EINVAL && ret != -ENOMEM &&
	    ret != -ENOBUFS)
		fz_fail(f, "netlink cmd %u (%d attrs%s): %s", cmd, n,
			dump ? ", dump" : "", strerror(-ret));
}

static void fz_netlink(struct fz *f)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		uint8_t attrs[1024];
	} *req = (void *)(f->mem.rw + FZ_NLBUF);
	struct tk_rng *r = &f->rng;
	size_t off = 0;
	unsigned int nattr = tk_below(r, 6);
	uint32_t v;
	int ret;

	if (tk_chance(r, 50)) {
		fz_nl_valid(f);
		return;
	}
	memset(req, 0, sizeof(*req));
	req->n.nlmsg_type = f->nl.family;
	req->n.nlmsg_flags = NLM_F_REQUEST | (tk_chance(r, 30) ? NLM_F_DUMP : 0) |
			     (tk_chance(r, 50) ? NLM_F_ACK : 0);
	req->n.nlmsg_seq = tk_below(r, 1000);
	req->g.cmd = tk_chance(r, 90) ? 1 + tk_below(r, VQNOTIFY_CMD_MAX + 1) :
					tk_below(r, 256);
	req->g.version = tk_chance(r, 90) ? 1 : tk_below(r, 256);
	for (unsigned int i = 0; i < nattr && off < 900; i++) {
		uint16_t type = tk_chance(r, 85) ? 1 + tk_below(r, 17) :
						   tk_below(r, 0x10000);
		uint8_t data[40];
		uint16_t len;

		if (tk_chance(r, 60)) {
			/* u32 with an interesting value. */
			v = tk_chance(r, 50) ? tk_below(r, 2000) :
					       fz_u32_edge(f);
			len = tk_chance(r, 90) ? 4 : tk_below(r, 9);
			memset(data, 0, sizeof(data));
			memcpy(data, &v, 4);
		} else {
			len = tk_below(r, sizeof(data));
			for (uint16_t k = 0; k < len; k++)
				data[k] = tk_rand(r);
		}
		tk_nla_put(req->attrs, &off, type, data, len);
		if (tk_chance(r, 5)) {
			/* A lying attribute length. */
			struct nlattr *last = (struct nlattr *)
				(req->attrs + off - NLA_ALIGN(NLA_HDRLEN + len));

			last->nla_len = tk_below(r, 0x10000);
		}
	}
	req->n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + off;
	if (tk_chance(r, 3))
		req->n.nlmsg_len = tk_below(r, req->n.nlmsg_len + 8);
	f->rep->nl_msgs++;
	/* Garbage may be refused by send() itself: any errno will do. */
	ret = send(f->nl.fd, req, req->n.nlmsg_len, MSG_DONTWAIT);
	fz_trace(f, 0x4e4c0000 | req->g.cmd, req->n.nlmsg_len, -1,
		 ret < 0 ? -errno : 0);
	fz_nl_drain(f);
}

#endif /* _VQN_FUZZ_NETLINK_H */
