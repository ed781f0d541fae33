/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the many-tenants tests (vqn_tenants_test.c and
 * vqn_tenants_load_test.c): users of the kvm group as a udev host has
 * them, processes that act as one of them step by step, and the admin's
 * netlink requests with their extack messages.
 *
 * Built on vqn_tenants_raw.h (raw ioctl and netlink helpers).
 */
#ifndef _VQN_TENANTS_H
#define _VQN_TENANTS_H

#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "vqn_tenants_raw.h"

/* The two tenants: a hostile one and a well-behaved VMM. */
#define TN_HOSTILE	65534
#define TN_VMM		65533
#define TN_FDS		16384

/* The kvm group of /etc/group (the rig's init has one), else 36. */
static inline gid_t tn_kvm_gid(void)
{
	char line[256];
	gid_t gid = 36;
	FILE *f = fopen("/etc/group", "r");

	if (!f)
		return gid;
	while (fgets(line, sizeof(line), f)) {
		unsigned int g;

		if (sscanf(line, "kvm:%*[^:]:%u:", &g) == 1 ||
		    sscanf(line, "kvm::%u:", &g) == 1) {
			gid = g;
			break;
		}
	}
	fclose(f);
	return gid;
}

/* As the udev rule leaves it: root:kvm 0660. */
static inline int tn_dev_setup(void)
{
	if (chown(VH_DEV, 0, tn_kvm_gid()) || chmod(VH_DEV, 0660))
		return -errno;
	return 0;
}

/*
 * Become @uid, group @uid, with kvm as the only supplementary group: a
 * VMM of the kvm group, without capabilities (setresuid from root to
 * non-root clears them). Many files may be open, as a VMM's can.
 */
static inline int tn_become(uid_t uid)
{
	struct rlimit rl = { TN_FDS, TN_FDS };
	gid_t kvm = tn_kvm_gid();

	if (setrlimit(RLIMIT_NOFILE, &rl) || setgroups(1, &kvm) ||
	    setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	return geteuid() == uid ? 0 : -1;
}

/*
 * A process acting as one user, step by step: tn_step() sends it a step
 * number, it runs @fn(@arg, step) and answers with the result (0..255);
 * its files stay open between steps. Step 0 ends it.
 */
struct tn_agent {
	pid_t pid;
	int cmd;
	int res;
};

static inline int tn_agent_start(struct tn_agent *a, uid_t uid,
				 int (*fn)(void *arg, int step), void *arg)
{
	int c[2], r[2];

	if (pipe(c) || pipe(r))
		return -1;
	a->pid = fork();
	if (a->pid < 0)
		return -1;
	if (!a->pid) {
		unsigned char step, ret;

		close(c[1]);
		close(r[0]);
		if (tn_become(uid))
			_exit(100);
		while (read(c[0], &step, 1) == 1 && step) {
			ret = fn(arg, step);
			if (write(r[1], &ret, 1) != 1)
				break;
		}
		_exit(0);
	}
	close(c[0]);
	close(r[1]);
	a->cmd = c[1];
	a->res = r[0];
	return 0;
}

/* Run step @step: its result, or -1 when the agent died. */
static inline int tn_step(struct tn_agent *a, int step)
{
	unsigned char s = step, ret;

	if (write(a->cmd, &s, 1) != 1 || read(a->res, &ret, 1) != 1)
		return -1;
	return ret;
}

static inline void tn_agent_stop(struct tn_agent *a)
{
	if (a->pid <= 0)
		return;
	close(a->cmd);
	close(a->res);
	waitpid(a->pid, NULL, 0);
	a->pid = 0;
}

/* Run @fn(@arg, 1) as @uid in a child and return its result. */
static inline int tn_run_as(uid_t uid, int (*fn)(void *arg, int step),
			    void *arg)
{
	struct tn_agent a;
	int ret;

	if (tn_agent_start(&a, uid, fn, arg))
		return -1;
	ret = tn_step(&a, 1);
	tn_agent_stop(&a);
	return ret;
}

/* Memory the agents write their findings to. */
static inline void *tn_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Netlink, with the kernel's extack message */

struct tn_req {
	uint8_t cmd;
	bool dump;
	int n;
	struct vh_nl_attr a[12];
	uint16_t str_type;	/* 0: no string attribute */
	const char *str;
	void (*cb)(struct nlmsghdr *h, void *arg);
	void *arg;
	char extack[256];	/* out: the error's message, or "" */
};

static inline void tn_req_u32(struct tn_req *r, uint16_t type, uint32_t val)
{
	r->a[r->n++] = (struct vh_nl_attr){ type, val };
}

static inline void tn_extack(struct nlmsghdr *h, char *out, size_t len)
{
	struct nlmsgerr *e = NLMSG_DATA(h);
	struct nlattr *a;
	int off = sizeof(*e), alen;

	out[0] = 0;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	a = (struct nlattr *)((char *)e + NLMSG_ALIGN(off));
	alen = (int)h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(off);
	for (; VH_NLA_OK(a, alen); a = VH_NLA_NEXT(a, alen))
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(out, len, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
				 (char *)VH_NLA_DATA(a));
}

/* Send @r on @nl: 0 or -errno; r->extack holds the error's message. */
static inline int tn_nl(struct vh_nl *nl, struct tn_req *r)
{
	static char buf[65536];
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char attrs[512];
	} req = { 0 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	size_t off = 0;
	ssize_t len;

	r->extack[0] = 0;
	for (int i = 0; i < r->n; i++)
		vh_nla_put(req.attrs, &off, r->a[i].type, &r->a[i].val, 4);
	if (r->str_type)
		vh_nla_put(req.attrs, &off, r->str_type, r->str,
			   strlen(r->str) + 1);
	req.n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + off;
	req.n.nlmsg_type = nl->family;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
			    (r->dump ? NLM_F_DUMP : 0);
	req.n.nlmsg_seq = ++nl->seq;
	req.g.cmd = r->cmd;
	req.g.version = VQNOTIFY_FAMILY_VERSION;
	if (sendto(nl->fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;

		len = recv(nl->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != nl->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				tn_extack(h, r->extack, sizeof(r->extack));
				if (e->error || !r->dump)
					return e->error;
				continue;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (r->cb)
				r->cb(h, r->arg);
		}
	}
}

/* One host-wide setting. */
static inline int tn_config_set(struct vh_nl *nl, uint16_t attr, uint32_t val,
				char *extack, size_t len)
{
	struct tn_req r = { .cmd = VQNOTIFY_CMD_CONFIG_SET };
	int ret;

	tn_req_u32(&r, attr, val);
	ret = tn_nl(nl, &r);
	if (extack)
		snprintf(extack, len, "%s", r.extack);
	return ret;
}

/* Put the settings of @c back, and the per-user limits to their defaults. */
static inline int tn_config_restore(struct vh_nl *nl,
				    const struct vh_nl_config *c)
{
	struct tn_req r = { .cmd = VQNOTIFY_CMD_CONFIG_SET };
	static const uint16_t attrs[] = {
		VQNOTIFY_A_CONFIG_DEFAULT_BUDGET, VQNOTIFY_A_CONFIG_THRESHOLD,
		VQNOTIFY_A_CONFIG_VHOST_RESERVE, VQNOTIFY_A_CONFIG_HOST_CAP,
	};

	for (size_t i = 0; i < VH_ARRAY_SIZE(attrs); i++)
		tn_req_u32(&r, attrs[i], c->v[attrs[i]]);
	for (int a = VQNOTIFY_A_CONFIG_USER_MAX_GUESTS;
	     a <= VQNOTIFY_A_CONFIG_USER_MAX_SLOTS; a++)
		tn_req_u32(&r, a, 0);
	return tn_nl(nl, &r);
}

/* One user's usage and limits, by enum vqnotify_user_attrs. */
struct tn_user {
	bool found;
	uint64_t v[VQNOTIFY_A_USER_MAX + 1];
};

static inline void tn_user_cb(struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[VQNOTIFY_A_USER_MAX + 1];
	struct tn_user *u = arg;

	vh_nl_parse(h, tb, VQNOTIFY_A_USER_MAX);
	u->found = true;
	for (int i = 1; i <= VQNOTIFY_A_USER_MAX; i++) {
		if (!tb[i])
			continue;
		if (tb[i]->nla_len == NLA_HDRLEN + 8)
			memcpy(&u->v[i], VH_NLA_DATA(tb[i]), 8);
		else
			u->v[i] = vh_nla_u32(tb[i]);
	}
}

static inline int tn_user_get(struct vh_nl *nl, uid_t uid, struct tn_user *u)
{
	struct tn_req r = { .cmd = VQNOTIFY_CMD_USER_GET, .cb = tn_user_cb,
			    .arg = u };

	memset(u, 0, sizeof(*u));
	tn_req_u32(&r, VQNOTIFY_A_USER_UID, uid);
	return tn_nl(nl, &r);
}

/* The guests of one uid, as a dump shows them to the admin. */
struct tn_guests {
	uint32_t uid;
	uint32_t n;
	uint32_t nr_assigned;	/* summed */
	uint32_t nr_waiting;	/* summed */
	uint32_t budget;	/* of the last one */
};

static inline void tn_guests_cb(struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[VQNOTIFY_A_GUEST_MAX + 1];
	struct tn_guests *g = arg;

	vh_nl_parse(h, tb, VQNOTIFY_A_GUEST_MAX);
	if (!tb[VQNOTIFY_A_GUEST_UID] ||
	    vh_nla_u32(tb[VQNOTIFY_A_GUEST_UID]) != g->uid)
		return;
	g->n++;
	g->nr_assigned += vh_nla_u32(tb[VQNOTIFY_A_GUEST_NR_ASSIGNED]);
	g->nr_waiting += vh_nla_u32(tb[VQNOTIFY_A_GUEST_NR_WAITING]);
	g->budget = vh_nla_u32(tb[VQNOTIFY_A_GUEST_BUDGET]);
}

static inline int tn_guests_of(struct vh_nl *nl, uid_t uid,
			       struct tn_guests *g)
{
	struct tn_req r = { .cmd = VQNOTIFY_CMD_GUEST_GET, .dump = true,
			    .cb = tn_guests_cb, .arg = g };

	memset(g, 0, sizeof(*g));
	g->uid = uid;
	return tn_nl(nl, &r);
}

/* Policies: by name (@name non-NULL) or by uid. */
static inline int tn_policy(struct vh_nl *nl, uint8_t cmd, const char *name,
			    uid_t uid, long budget, long reserve,
			    char *extack, size_t len)
{
	struct tn_req r = { .cmd = cmd };
	int ret;

	if (name) {
		r.str_type = VQNOTIFY_A_POLICY_NAME;
		r.str = name;
	} else {
		tn_req_u32(&r, VQNOTIFY_A_POLICY_UID, uid);
	}
	if (budget >= 0)
		tn_req_u32(&r, VQNOTIFY_A_POLICY_BUDGET, budget);
	if (reserve >= 0)
		tn_req_u32(&r, VQNOTIFY_A_POLICY_VHOST_RESERVE, reserve);
	ret = tn_nl(nl, &r);
	if (extack)
		snprintf(extack, len, "%s", r.extack);
	return ret;
}

static inline int tn_set_name(int fd, const char *name)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_NAME,
	};

	snprintf(gs.name, sizeof(gs.name), "%s", name);
	return vh_io(fd, VQNOTIFY_GUEST_SET, &gs);
}

/* A DRIVER_OK device of @nq queues: 0 or -errno; counts by reason. */
static inline int tn_dev_up(int fd, uint32_t nq, uint32_t *id,
			    uint32_t *granted, uint32_t *quota,
			    uint32_t *host_cap)
{
	struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	uint32_t nr = nq, dev;
	int ret;

	ret = vh_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, nq, "t", &dev);
	if (ret)
		return ret;
	if (id)
		*id = dev;
	ret = vh_set_status(fd, dev, VH_STATUS_OK, res, &nr);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < nr; i++) {
		if (res[i].new_state == VQNOTIFY_VQ_ASSIGNED && granted)
			(*granted)++;
		if (res[i].reason == VQNOTIFY_REASON_QUOTA && quota)
			(*quota)++;
		if (res[i].reason == VQNOTIFY_REASON_HOST_CAP && host_cap)
			(*host_cap)++;
	}
	return 0;
}

#endif /* _VQN_TENANTS_H */
