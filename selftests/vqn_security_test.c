// SPDX-License-Identifier: GPL-2.0
/*
 * Security of /dev/vqnotify and of the vqnotify netlink family.
 *
 * perm:   the device node is mode 0660 (udev/60-vqnotify.rules adds group
 *         kvm; the test VM has no udev, so only the mode is checked), and
 *         nobody without capabilities cannot open it, yet keeps using a
 *         guest fd it inherited.
 * nl:     an unprivileged user (uid/gid 65534, no supplementary groups, no
 *         capabilities, empty bounding set, no_new_privs) cannot change
 *         budgets or the configuration (EPERM), cannot join the monitor
 *         group, and sees neither root's guests nor their devices and queues
 *         (do: ENOENT, dumps: absent), only the guest it opened itself; a
 *         socket root opened does not lend it root's rights.
 * scm:    a guest fd passed over a unix socket (SCM_RIGHTS) to an
 *         unprivileged process still only reaches its own guest: ids that
 *         exist only in another guest are ENOENT for every ioctl taking a
 *         device id, and the other guest does not change.
 * ovf:    integer overflow attempts in counts and sizes (nr_results,
 *         num_queues, size, len, nr_queues, queue, status, read count of
 *         0xffffffff) are refused with the documented errno and change
 *         nothing.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "vqn_hostile.h"

#define NOBODY		65534
#define CAP_DAC_BIT	(1ULL << CAP_DAC_OVERRIDE)

/* What an unprivileged child saw, for the parent to judge. */
struct vs_shared {
	int ret[16];
	uint32_t val[16];
	char why[512];
};

static struct vs_shared *vs_shared_new(void)
{
	struct vs_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sh == MAP_FAILED)
		return NULL;
	for (unsigned int i = 0; i < VH_ARRAY_SIZE(sh->ret); i++)
		sh->ret[i] = 1;	/* "never ran" */
	return sh;
}

static int vs_capset(uint64_t caps)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	d[0].effective = d[0].permitted = (uint32_t)caps;
	d[1].effective = d[1].permitted = caps >> 32;
	return syscall(SYS_capset, &h, d);
}

static int vs_capget(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d))
		return -1;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/*
 * Become uid/gid 65534 without supplementary groups, with only @keep among
 * the capabilities (effective and permitted), an empty bounding set except
 * @keep, no ambient capabilities, and no_new_privs.
 */
static int vs_become_nobody(uint64_t keep)
{
	uint64_t eff, perm;
	int last = 40;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = 40;
		fclose(f);
	}
	for (int c = 0; c <= last; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -1;
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	if (vs_capset(keep) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	if (vs_capget(&eff, &perm) || eff != keep || perm != keep ||
	    getuid() != NOBODY || geteuid() != NOBODY || getgid() != NOBODY ||
	    getgroups(0, NULL) != 0)
		return -1;
	return 0;
}

/*
 * Run @fn as nobody (keeping @keep) in a child; returns its exit status,
 * 100 when dropping privileges failed, -1 when it died.
 */
static int vs_run_as_nobody(uint64_t keep, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (vs_become_nobody(keep))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* SCM_RIGHTS */

static int vs_send_fd(int sock, int fd)
{
	char c = 'F';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int vs_recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* perm: the device node */

TEST(dev_node_mode_0660)
{
	struct stat st;

	if (access(VH_DEV, F_OK))
		SKIP(return, "no %s (module not loaded)", VH_DEV);
	ASSERT_EQ(0, stat(VH_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0660U, st.st_mode & 07777) {
		TH_LOG("%s has mode %04o", VH_DEV, st.st_mode & 07777);
	}
	EXPECT_EQ(0U, st.st_uid);
}

static int vs_try_open(void *arg)
{
	struct vs_shared *sh = arg;
	int fd = open(VH_DEV, O_RDWR);

	sh->ret[0] = fd < 0 ? -errno : 0;
	return 0;
}

TEST(nobody_cannot_open)
{
	struct vs_shared *sh = vs_shared_new();

	if (access(VH_DEV, F_OK))
		SKIP(return, "no %s (module not loaded)", VH_DEV);
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, vs_run_as_nobody(0, vs_try_open, sh));
	EXPECT_EQ(-EACCES, sh->ret[0]);
}

struct vs_inherit {
	struct vs_shared *sh;
	int fd;
};

/* The fd is the capability: it keeps working without any privilege. */
static int vs_use_inherited(void *arg)
{
	struct vs_inherit *in = arg;
	struct vqnotify_vq_result res[2];
	struct vqnotify_guest_info gi;
	uint32_t id, nr = 2;

	in->sh->ret[0] = vh_guest_get(in->fd, &gi);
	in->sh->ret[1] = vh_dev_add(in->fd, VQNOTIFY_TRANSPORT_PIO, 2, "inh",
				    &id);
	in->sh->ret[2] = vh_set_status(in->fd, id, VH_STATUS_OK, res, &nr);
	in->sh->val[0] = nr;
	in->sh->ret[3] = open(VH_DEV, O_RDWR) < 0 ? -errno : 0;
	return 0;
}

TEST(nobody_keeps_inherited_guest)
{
	struct vs_inherit in = { .sh = vs_shared_new() };
	struct vqnotify_guest_info gi;

	if (access(VH_DEV, F_OK))
		SKIP(return, "no %s (module not loaded)", VH_DEV);
	ASSERT_NE(NULL, in.sh);
	in.fd = vh_open();
	ASSERT_LE(0, in.fd);
	ASSERT_EQ(0, vs_run_as_nobody(0, vs_use_inherited, &in));
	EXPECT_EQ(0, in.sh->ret[0]);
	EXPECT_EQ(0, in.sh->ret[1]);
	EXPECT_EQ(0, in.sh->ret[2]);
	EXPECT_EQ(2U, in.sh->val[0]);
	EXPECT_EQ(-EACCES, in.sh->ret[3]);
	ASSERT_EQ(0, vh_guest_get(in.fd, &gi));
	EXPECT_EQ(1U, gi.nr_devices);
	close(in.fd);
}

/*
 * A tenant that stalls its own read() inside copy_to_user() (a buffer
 * whose page fault never resolves: userfaultfd here, a FUSE-backed mapping
 * for an unprivileged user) must hold up nothing but its own guest. With a
 * guest dump running meanwhile (the tenant's own, or the admin's), opening
 * another guest must still complete.
 */
struct vs_stall {
	int fd;
	void *buf;
	struct vh_nl nl;
	ssize_t read_ret;
	int dump_ret;
};

static void *vs_stall_reader(void *arg)
{
	struct vs_stall *st = arg;

	st->read_ret = read(st->fd, st->buf, sizeof(struct vqnotify_event));
	return NULL;
}

static void *vs_stall_dumper(void *arg)
{
	struct vs_stall *st = arg;
	struct vh_nl_ids *ids = malloc(sizeof(*ids));

	st->dump_ret = ids ? vh_nl_guest_ids(&st->nl, ids) : -ENOMEM;
	free(ids);
	return NULL;
}

/* Does open() + close() of another guest finish within @ms? */
static bool vs_open_completes(int ms, pid_t *pid)
{
	int status;

	*pid = fork();
	if (!*pid) {
		int fd = vh_open();

		_exit(fd < 0);
	}
	for (int t = 0; t < ms; t += 10) {
		if (waitpid(*pid, &status, WNOHANG) == *pid) {
			*pid = 0;
			return WIFEXITED(status) && !WEXITSTATUS(status);
		}
		usleep(10000);
	}
	return false;
}

TEST(stalled_read_holds_no_host_lock)
{
	struct vs_stall st = { .read_ret = -2, .dump_ret = 1 };
	size_t page = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = { 0 };
	struct pollfd p;
	struct uffd_msg msg;
	pthread_t reader, dumper;
	uint32_t nr = 0;
	bool completed;
	pid_t opener;
	int uffd;

	if (access(VH_DEV, F_OK))
		SKIP(return, "no %s (module not loaded)", VH_DEV);
	if (vh_nl_open(&st.nl, VQNOTIFY_FAMILY_NAME))
		SKIP(return, "no vqnotify netlink family");
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	st.buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st.buf);
	reg.range.start = (uintptr_t)st.buf;
	reg.range.len = page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	/* A guest with events queued: its queues preempted. */
	st.fd = vh_open();
	ASSERT_LE(0, st.fd);
	ASSERT_EQ(0, vh_dev_add(st.fd, VQNOTIFY_TRANSPORT_MMIO, 4, "s", NULL));
	ASSERT_EQ(0, vh_set_status(st.fd, 1, VH_STATUS_OK, NULL, &nr));
	ASSERT_EQ(0, vh_set_budget(st.fd, 1));

	/* The reader stalls in copy_to_user(). */
	ASSERT_EQ(0, pthread_create(&reader, NULL, vs_stall_reader, &st));
	p = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 5000));
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* A dump meanwhile, then someone else opens a guest. */
	ASSERT_EQ(0, pthread_create(&dumper, NULL, vs_stall_dumper, &st));
	usleep(200000);
	completed = vs_open_completes(3000, &opener);

	/* Let the fault resolve, whatever happened. */
	zp.range.start = (uintptr_t)st.buf;
	zp.range.len = page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	pthread_join(reader, NULL);
	pthread_join(dumper, NULL);
	if (opener)
		waitpid(opener, NULL, 0);

	EXPECT_TRUE(completed) {
		TH_LOG("open() of another guest waited for a read() stalled in another guest's page fault");
	}
	EXPECT_EQ((ssize_t)sizeof(struct vqnotify_event), st.read_ret);
	EXPECT_EQ(0, st.dump_ret);
	close(st.fd);
	close(uffd);
}

/* nl: the netlink family, unprivileged */

struct vs_guest_attrs {
	bool found;
	uint32_t uid;
	uint32_t admin_budget;
	uint32_t reserve;
};

static void vs_guest_cb(struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[VQNOTIFY_A_GUEST_MAX + 1];
	struct vs_guest_attrs *ga = arg;

	vh_nl_parse(h, tb, VQNOTIFY_A_GUEST_MAX);
	ga->found = true;
	if (tb[VQNOTIFY_A_GUEST_UID])
		ga->uid = vh_nla_u32(tb[VQNOTIFY_A_GUEST_UID]);
	if (tb[VQNOTIFY_A_GUEST_ADMIN_BUDGET])
		ga->admin_budget =
			vh_nla_u32(tb[VQNOTIFY_A_GUEST_ADMIN_BUDGET]);
	if (tb[VQNOTIFY_A_GUEST_VHOST_RESERVE])
		ga->reserve = vh_nla_u32(tb[VQNOTIFY_A_GUEST_VHOST_RESERVE]);
}

static int vs_nl_guest(struct vh_nl *nl, uint32_t id,
		       struct vs_guest_attrs *ga)
{
	struct vh_nl_attr a = { VQNOTIFY_A_GUEST_ID, id };

	memset(ga, 0, sizeof(*ga));
	return vh_nl_call(nl, VQNOTIFY_CMD_GUEST_GET, false, &a, 1,
			  vs_guest_cb, ga);
}

/* Guest ids (attribute 1 of every reply) a dump returned. */
struct vs_dump {
	uint32_t n;
	uint32_t guest[256];
};

static void vs_dump_cb(struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[2];
	struct vs_dump *d = arg;

	vh_nl_parse(h, tb, 1);
	if (d->n < VH_ARRAY_SIZE(d->guest))
		d->guest[d->n] = tb[1] ? vh_nla_u32(tb[1]) : 0;
	d->n++;
}

FIXTURE(nl) {
	int root_fd;		/* guest opened by root */
	int own_fd;		/* guest opened by nobody */
	uint32_t root_id;
	uint32_t own_id;
	struct vh_nl nl;	/* root's socket */
	struct vs_shared *sh;
};

/* The child that opens a guest as nobody and hands it over. */
static int vs_open_as_nobody(void *arg)
{
	int sock = *(int *)arg, fd;
	uint64_t eff, perm;

	fd = vh_open();		/* CAP_DAC_OVERRIDE: the node is root's */
	if (fd < 0)
		return 1;
	if (vs_capset(0) || vs_capget(&eff, &perm) || eff || perm)
		return 2;
	if (vh_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 3, "own", NULL) ||
	    vh_set_label(fd, "nobody-vm"))
		return 3;
	return vs_send_fd(sock, fd) ? 4 : 0;
}

FIXTURE_SETUP(nl)
{
	struct vqnotify_guest_info gi;
	int sv[2];

	self->root_fd = self->own_fd = -1;
	self->nl.fd = -1;
	if (access(VH_DEV, F_OK))
		SKIP(return, "no %s (module not loaded)", VH_DEV);
	if (vh_nl_open(&self->nl, VQNOTIFY_FAMILY_NAME))
		SKIP(return, "no vqnotify netlink family");
	self->sh = vs_shared_new();
	ASSERT_NE(NULL, self->sh);

	self->root_fd = vh_open();
	ASSERT_LE(0, self->root_fd);
	ASSERT_EQ(0, vh_set_label(self->root_fd, "root-vm"));
	ASSERT_EQ(0, vh_dev_add(self->root_fd, VQNOTIFY_TRANSPORT_MMIO, 2,
				"root0", NULL));
	ASSERT_EQ(0, vh_dev_add(self->root_fd, VQNOTIFY_TRANSPORT_MMIO, 2,
				"root1", NULL));
	ASSERT_EQ(0, vh_guest_get(self->root_fd, &gi));
	self->root_id = gi.guest_id;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, vs_run_as_nobody(CAP_DAC_BIT, vs_open_as_nobody, &sv[1]));
	self->own_fd = vs_recv_fd(sv[0]);
	ASSERT_LE(0, self->own_fd);
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(0, vh_guest_get(self->own_fd, &gi));
	self->own_id = gi.guest_id;
}

FIXTURE_TEARDOWN(nl)
{
	if (self->root_fd >= 0)
		close(self->root_fd);
	if (self->own_fd >= 0)
		close(self->own_fd);
	if (self->nl.fd >= 0)
		close(self->nl.fd);
}

/* Runs as nobody with @nl its own fresh socket. */
struct vs_nl_ctx {
	FIXTURE_DATA(nl) *self;
	int (*fn)(struct vs_nl_ctx *c, struct vh_nl *nl);
	bool root_socket;
};

static int vs_nl_child(void *arg)
{
	struct vs_nl_ctx *c = arg;
	struct vh_nl nl;

	if (c->root_socket)
		nl = c->self->nl;
	else if (vh_nl_open(&nl, VQNOTIFY_FAMILY_NAME))
		return 10;
	return c->fn(c, &nl);
}

static int vs_nl_as_nobody(FIXTURE_DATA(nl) *self,
			   int (*fn)(struct vs_nl_ctx *, struct vh_nl *),
			   bool root_socket)
{
	struct vs_nl_ctx c = {
		.self = self, .fn = fn, .root_socket = root_socket,
	};

	return vs_run_as_nobody(0, vs_nl_child, &c);
}

TEST_F(nl, guest_uid_recorded)
{
	struct vs_guest_attrs ga;

	ASSERT_EQ(0, vs_nl_guest(&self->nl, self->root_id, &ga));
	EXPECT_EQ(0U, ga.uid);
	ASSERT_EQ(0, vs_nl_guest(&self->nl, self->own_id, &ga));
	EXPECT_EQ((uint32_t)NOBODY, ga.uid);
}

static int vs_guest_set(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	struct vh_nl_attr root[] = {
		{ VQNOTIFY_A_GUEST_ID, c->self->root_id },
		{ VQNOTIFY_A_GUEST_ADMIN_BUDGET, 3 },
	};
	struct vh_nl_attr own[] = {
		{ VQNOTIFY_A_GUEST_ID, c->self->own_id },
		{ VQNOTIFY_A_GUEST_ADMIN_BUDGET, 100000 },
		{ VQNOTIFY_A_GUEST_VHOST_RESERVE, 5 },
	};

	c->self->sh->ret[0] = vh_nl_call(nl, VQNOTIFY_CMD_GUEST_SET, false,
					 root, 2, NULL, NULL);
	c->self->sh->ret[1] = vh_nl_call(nl, VQNOTIFY_CMD_GUEST_SET, false,
					 own, 3, NULL, NULL);
	return 0;
}

TEST_F(nl, guest_set_eperm)
{
	struct vs_guest_attrs r0, o0, r1, o1;

	ASSERT_EQ(0, vs_nl_guest(&self->nl, self->root_id, &r0));
	ASSERT_EQ(0, vs_nl_guest(&self->nl, self->own_id, &o0));
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_guest_set, false));
	EXPECT_EQ(-EPERM, self->sh->ret[0]);
	EXPECT_EQ(-EPERM, self->sh->ret[1]);
	ASSERT_EQ(0, vs_nl_guest(&self->nl, self->root_id, &r1));
	ASSERT_EQ(0, vs_nl_guest(&self->nl, self->own_id, &o1));
	EXPECT_EQ(r0.admin_budget, r1.admin_budget);
	EXPECT_EQ(o0.admin_budget, o1.admin_budget);
	EXPECT_EQ(o0.reserve, o1.reserve);
}

static int vs_config_set(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	struct vh_nl_attr a[] = {
		{ VQNOTIFY_A_CONFIG_HOST_CAP, 1 },
		{ VQNOTIFY_A_CONFIG_THRESHOLD, 1000 },
	};

	c->self->sh->ret[0] = vh_nl_call(nl, VQNOTIFY_CMD_CONFIG_SET, false,
					 a, 1, NULL, NULL);
	c->self->sh->ret[1] = vh_nl_call(nl, VQNOTIFY_CMD_CONFIG_SET, false,
					 a + 1, 1, NULL, NULL);
	return 0;
}

TEST_F(nl, config_set_eperm)
{
	struct vh_nl_config c0, c1;

	ASSERT_EQ(0, vh_nl_config_get(&self->nl, &c0));
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_config_set, false));
	EXPECT_EQ(-EPERM, self->sh->ret[0]);
	EXPECT_EQ(-EPERM, self->sh->ret[1]);
	ASSERT_EQ(0, vh_nl_config_get(&self->nl, &c1));
	EXPECT_EQ(c0.v[VQNOTIFY_A_CONFIG_HOST_CAP],
		  c1.v[VQNOTIFY_A_CONFIG_HOST_CAP]);
	EXPECT_EQ(c0.v[VQNOTIFY_A_CONFIG_THRESHOLD],
		  c1.v[VQNOTIFY_A_CONFIG_THRESHOLD]);
}

/* A socket root opened lends nobody none of root's rights. */
TEST_F(nl, root_socket_after_drop_eperm)
{
	struct vh_nl_config c0, c1;

	ASSERT_EQ(0, vh_nl_config_get(&self->nl, &c0));
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_config_set, true));
	EXPECT_EQ(-EPERM, self->sh->ret[0]);
	EXPECT_EQ(-EPERM, self->sh->ret[1]);
	ASSERT_EQ(0, vh_nl_config_get(&self->nl, &c1));
	EXPECT_EQ(c0.v[VQNOTIFY_A_CONFIG_HOST_CAP],
		  c1.v[VQNOTIFY_A_CONFIG_HOST_CAP]);
}

static int vs_join_monitor(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	uint32_t grp = nl->mcgrp;

	c->self->sh->val[0] = grp;
	c->self->sh->ret[0] = setsockopt(nl->fd, SOL_NETLINK,
					 NETLINK_ADD_MEMBERSHIP, &grp,
					 sizeof(grp)) ? -errno : 0;
	return 0;
}

TEST_F(nl, monitor_join_eperm)
{
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_join_monitor, false));
	ASSERT_NE(0U, self->sh->val[0]);
	EXPECT_EQ(-EPERM, self->sh->ret[0]);
}

static int vs_guest_dump(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	struct vh_nl_ids *ids = malloc(sizeof(*ids));

	c->self->sh->ret[0] = vh_nl_guest_ids(nl, ids);
	c->self->sh->ret[1] = vh_nl_ids_has(ids, c->self->root_id);
	c->self->sh->ret[2] = vh_nl_ids_has(ids, c->self->own_id);
	c->self->sh->val[0] = ids->n;
	return 0;
}

TEST_F(nl, guest_dump_hides_others)
{
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_guest_dump, false));
	EXPECT_EQ(0, self->sh->ret[0]);
	EXPECT_FALSE(self->sh->ret[1]);
	EXPECT_TRUE(self->sh->ret[2]);
	EXPECT_EQ(1U, self->sh->val[0]);
}

/* Even over root's socket, a dump started by nobody shows nobody's view. */
TEST_F(nl, root_socket_dump_hides_others)
{
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_guest_dump, true));
	EXPECT_EQ(0, self->sh->ret[0]);
	EXPECT_FALSE(self->sh->ret[1]);
	EXPECT_TRUE(self->sh->ret[2]);
}

static int vs_guest_get(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	struct vs_guest_attrs ga;

	c->self->sh->ret[0] = vs_nl_guest(nl, c->self->root_id, &ga);
	c->self->sh->val[0] = ga.found;
	c->self->sh->ret[1] = vs_nl_guest(nl, c->self->own_id, &ga);
	return 0;
}

TEST_F(nl, guest_get_other_enoent)
{
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_guest_get, false));
	EXPECT_EQ(-ENOENT, self->sh->ret[0]);
	EXPECT_EQ(0U, self->sh->val[0]);
	EXPECT_EQ(0, self->sh->ret[1]);
}

static int vs_dev_get(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	struct vh_nl_attr root[] = {
		{ VQNOTIFY_A_DEV_GUEST_ID, c->self->root_id },
		{ VQNOTIFY_A_DEV_ID, 1 },
	};
	struct vh_nl_attr own[] = {
		{ VQNOTIFY_A_DEV_GUEST_ID, c->self->own_id },
		{ VQNOTIFY_A_DEV_ID, 1 },
	};
	struct vs_dump d = { 0 };

	c->self->sh->ret[0] = vh_nl_call(nl, VQNOTIFY_CMD_DEV_GET, false, root,
					 2, vs_dump_cb, &d);
	c->self->sh->val[0] = d.n;
	c->self->sh->ret[1] = vh_nl_call(nl, VQNOTIFY_CMD_DEV_GET, false, own,
					 2, NULL, NULL);
	return 0;
}

TEST_F(nl, dev_get_other_enoent)
{
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_dev_get, false));
	EXPECT_EQ(-ENOENT, self->sh->ret[0]);
	EXPECT_EQ(0U, self->sh->val[0]);
	EXPECT_EQ(0, self->sh->ret[1]);
}

static int vs_queue_get(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	struct vh_nl_attr root[] = {
		{ VQNOTIFY_A_QUEUE_GUEST_ID, c->self->root_id },
		{ VQNOTIFY_A_QUEUE_DEV_ID, 1 },
		{ VQNOTIFY_A_QUEUE_INDEX, 0 },
	};
	struct vh_nl_attr own[] = {
		{ VQNOTIFY_A_QUEUE_GUEST_ID, c->self->own_id },
		{ VQNOTIFY_A_QUEUE_DEV_ID, 1 },
		{ VQNOTIFY_A_QUEUE_INDEX, 0 },
	};
	struct vs_dump d = { 0 };

	c->self->sh->ret[0] = vh_nl_call(nl, VQNOTIFY_CMD_QUEUE_GET, false,
					 root, 3, vs_dump_cb, &d);
	c->self->sh->val[0] = d.n;
	c->self->sh->ret[1] = vh_nl_call(nl, VQNOTIFY_CMD_QUEUE_GET, false,
					 own, 3, NULL, NULL);
	return 0;
}

TEST_F(nl, queue_get_other_enoent)
{
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_queue_get, false));
	EXPECT_EQ(-ENOENT, self->sh->ret[0]);
	EXPECT_EQ(0U, self->sh->val[0]);
	EXPECT_EQ(0, self->sh->ret[1]);
}

/*
 * Dumps of devices and queues: unfiltered, only the own guest's objects;
 * filtered on root's guest, nothing.
 */
static int vs_dumps(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	static const uint8_t cmds[] = {
		VQNOTIFY_CMD_DEV_GET, VQNOTIFY_CMD_QUEUE_GET,
	};
	struct vs_shared *sh = c->self->sh;

	for (int i = 0; i < 2; i++) {
		struct vh_nl_attr root = { 1, c->self->root_id };
		struct vs_dump d = { 0 };
		uint32_t foreign = 0;

		sh->ret[4 * i] = vh_nl_call(nl, cmds[i], true, NULL, 0,
					    vs_dump_cb, &d);
		for (uint32_t k = 0; k < d.n && k < VH_ARRAY_SIZE(d.guest);
		     k++)
			foreign += d.guest[k] != c->self->own_id;
		sh->val[4 * i] = d.n;
		sh->val[4 * i + 1] = foreign;
		memset(&d, 0, sizeof(d));
		sh->ret[4 * i + 1] = vh_nl_call(nl, cmds[i], true, &root, 1,
						vs_dump_cb, &d);
		sh->val[4 * i + 2] = d.n;
	}
	return 0;
}

TEST_F(nl, dev_and_queue_dumps_hide_others)
{
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_dumps, false));
	/* Devices: nobody's guest has one device of 3 queues. */
	EXPECT_EQ(0, self->sh->ret[0]);
	EXPECT_EQ(1U, self->sh->val[0]);
	EXPECT_EQ(0U, self->sh->val[1]);
	EXPECT_EQ(0, self->sh->ret[1]);
	EXPECT_EQ(0U, self->sh->val[2]);
	/* Queues. */
	EXPECT_EQ(0, self->sh->ret[4]);
	EXPECT_EQ(3U, self->sh->val[4]);
	EXPECT_EQ(0U, self->sh->val[5]);
	EXPECT_EQ(0, self->sh->ret[5]);
	EXPECT_EQ(0U, self->sh->val[6]);
}

static int vs_config_get(struct vs_nl_ctx *c, struct vh_nl *nl)
{
	struct vh_nl_config cfg;

	c->self->sh->ret[0] = vh_nl_config_get(nl, &cfg);
	c->self->sh->val[0] = cfg.v[VQNOTIFY_A_CONFIG_HOST_CAP];
	return 0;
}

TEST_F(nl, config_get_allowed)
{
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_config_get, false));
	EXPECT_EQ(0, self->sh->ret[0]);
	EXPECT_NE(0U, self->sh->val[0]);
}

/* scm: a guest fd passed to an unprivileged process */

#define SCM_OTHER_DEVS	5

struct scm_data {
	int a;			/* passed over the socket: one device */
	int b;			/* not passed: SCM_OTHER_DEVS devices */
	uint32_t a_id;
	struct vs_shared *sh;
	struct vh_snap snap_a;
	struct vh_snap snap_b;
};

static void scm_data_setup(struct __test_metadata *_metadata, struct scm_data *d)
{
	struct vqnotify_guest_info gi;

	d->a = d->b = -1;
	if (access(VH_DEV, F_OK))
		SKIP(return, "no %s (module not loaded)", VH_DEV);
	d->sh = vs_shared_new();
	ASSERT_NE(NULL, d->sh);
	d->a = vh_open();
	d->b = vh_open();
	ASSERT_LE(0, d->a);
	ASSERT_LE(0, d->b);
	ASSERT_EQ(0, vh_dev_add(d->a, VQNOTIFY_TRANSPORT_PIO, 4, "a0", NULL));
	for (int i = 0; i < SCM_OTHER_DEVS; i++) {
		uint32_t id, nr = 0;

		ASSERT_EQ(0, vh_dev_add(d->b, VQNOTIFY_TRANSPORT_MMIO, 4, "b",
					&id));
		ASSERT_EQ(0, vh_set_status(d->b, id, VH_STATUS_OK, NULL, &nr));
	}
	ASSERT_EQ(0, vh_guest_get(d->a, &gi));
	d->a_id = gi.guest_id;
	ASSERT_EQ(0, vh_snap_take(d->a, 16, &d->snap_a));
	ASSERT_EQ(0, vh_snap_take(d->b, 16, &d->snap_b));
}

static void scm_data_teardown(struct scm_data *d)
{
	if (d->a >= 0)
		close(d->a);
	if (d->b >= 0)
		close(d->b);
}

FIXTURE(scm) {
	struct scm_data d;
};

FIXTURE_SETUP(scm)
{
	scm_data_setup(_metadata, &self->d);
}

FIXTURE_TEARDOWN(scm)
{
	scm_data_teardown(&self->d);
}

FIXTURE(scm_foreign) {
	struct scm_data d;
};

FIXTURE_VARIANT(scm_foreign) {
	unsigned long cmd;
};

FIXTURE_VARIANT_ADD(scm_foreign, set_status) { .cmd = VQNOTIFY_SET_STATUS };
FIXTURE_VARIANT_ADD(scm_foreign, dev_reset) { .cmd = VQNOTIFY_DEV_RESET };
FIXTURE_VARIANT_ADD(scm_foreign, dev_remove) { .cmd = VQNOTIFY_DEV_REMOVE };
FIXTURE_VARIANT_ADD(scm_foreign, host_notifier) {
	.cmd = VQNOTIFY_SET_HOST_NOTIFIER
};
FIXTURE_VARIANT_ADD(scm_foreign, queue_get) { .cmd = VQNOTIFY_QUEUE_GET };
FIXTURE_VARIANT_ADD(scm_foreign, dev_get) { .cmd = VQNOTIFY_DEV_GET };
FIXTURE_VARIANT_ADD(scm_foreign, dev_save) { .cmd = VQNOTIFY_DEV_SAVE };
FIXTURE_VARIANT_ADD(scm_foreign, dev_load) { .cmd = VQNOTIFY_DEV_LOAD };

FIXTURE_SETUP(scm_foreign)
{
	scm_data_setup(_metadata, &self->d);
}

FIXTURE_TEARDOWN(scm_foreign)
{
	scm_data_teardown(&self->d);
}

/* One call of @cmd naming device @id, well formed otherwise. */
static int vs_call_dev(int fd, unsigned long cmd, uint32_t id)
{
	static struct vqnotify_vq_result res[VQNOTIFY_MAX_QUEUES];
	static struct vqnotify_vq_info vi[VQNOTIFY_MAX_QUEUES];
	static uint8_t blob[VH_BLOB_MAX];
	struct vqnotify_dev_get dg;
	uint32_t nr = VQNOTIFY_MAX_QUEUES, len = sizeof(blob);

	switch (cmd) {
	case VQNOTIFY_SET_STATUS:
		return vh_set_status(fd, id, VH_STATUS_OK, res, &nr);
	case VQNOTIFY_DEV_RESET:
	case VQNOTIFY_DEV_REMOVE:
		return vh_dev_op(fd, cmd, id, 0, NULL, res, &nr);
	case VQNOTIFY_SET_HOST_NOTIFIER:
		return vh_host_notifier(fd, id, 0, true, NULL);
	case VQNOTIFY_QUEUE_GET:
		return vh_queue_get(fd, id, 0, NULL);
	case VQNOTIFY_DEV_GET:
		return vh_dev_get(fd, id, &dg, vi, VQNOTIFY_MAX_QUEUES);
	case VQNOTIFY_DEV_SAVE:
		return vh_save(fd, id, blob, &len);
	case VQNOTIFY_DEV_LOAD:
		/* A blob that would load into a fresh 4-queue MMIO device. */
		if (vh_save(fd, 1, blob, &len))
			return -EIO;
		blob[16] = VH_STATUS_OK;
		blob[20] = VQNOTIFY_TRANSPORT_MMIO;
		vh_blob_reseal(blob, len);
		return vh_load(fd, id, blob, len, res, &nr);
	}
	return -EIO;
}

struct vs_scm_ctx {
	struct scm_data *d;
	unsigned long cmd;
	int sock;
};

/* Pass guest a to an unprivileged child running @fn. */
static int vs_scm_pass(struct scm_data *d, unsigned long cmd,
		       int (*fn)(void *))
{
	struct vs_scm_ctx c = { .d = d, .cmd = cmd };
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	c.sock = sv[1];
	ret = vs_send_fd(sv[0], d->a);
	if (!ret)
		ret = vs_run_as_nobody(0, fn, &c);
	close(sv[0]);
	close(sv[1]);
	return ret;
}

static int vs_scm_receiver(void *arg)
{
	struct vs_scm_ctx *c = arg;
	struct vs_shared *sh = c->d->sh;
	struct vqnotify_guest_info gi;
	int fd = vs_recv_fd(c->sock);

	if (fd < 0)
		return 10;
	sh->ret[0] = vh_guest_get(fd, &gi);
	sh->val[0] = gi.guest_id;
	sh->val[1] = gi.owner_pid;
	/* Ids 2..: devices of guest b only. */
	for (uint32_t id = 2; id <= SCM_OTHER_DEVS; id++)
		sh->ret[id] = vs_call_dev(fd, c->cmd, id);
	return 0;
}

TEST_F(scm_foreign, foreign_dev_id_enoent)
{
	struct scm_data *d = &self->d;
	struct vh_snap a, b;
	struct vh_why w;

	ASSERT_EQ(0, vs_scm_pass(d, variant->cmd, vs_scm_receiver));
	EXPECT_EQ(0, d->sh->ret[0]);
	EXPECT_EQ(d->a_id, d->sh->val[0]);
	EXPECT_EQ(getpid(), (pid_t)d->sh->val[1]);
	for (uint32_t id = 2; id <= SCM_OTHER_DEVS; id++) {
		EXPECT_EQ(-ENOENT, d->sh->ret[id]) {
			TH_LOG("device id %u", id);
		}
	}
	ASSERT_EQ(0, vh_snap_take(d->a, 16, &a));
	ASSERT_EQ(0, vh_snap_take(d->b, 16, &b));
	EXPECT_EQ(0, vh_snap_cmp(&d->snap_a, &a, &w)) {
		TH_LOG("guest a: %s", w.msg);
	}
	EXPECT_EQ(0, vh_snap_cmp(&d->snap_b, &b, &w)) {
		TH_LOG("guest b: %s", w.msg);
	}
}

/* What the receiver does reaches guest a, never b. */
static int vs_scm_use(void *arg)
{
	struct vs_scm_ctx *c = arg;
	int fd = vs_recv_fd(c->sock);

	if (fd < 0)
		return 10;
	c->d->sh->ret[0] = vh_dev_add(fd, VQNOTIFY_TRANSPORT_CCW, 2,
				      "passed", NULL);
	c->d->sh->ret[1] = vs_call_dev(fd, VQNOTIFY_SET_STATUS, 1);
	return 0;
}

TEST_F(scm, passed_fd_changes_own_guest_only)
{
	struct scm_data *d = &self->d;
	struct vqnotify_guest_info gi;
	struct vh_snap b;
	struct vh_why w;

	ASSERT_EQ(0, vs_scm_pass(d, 0, vs_scm_use));
	EXPECT_EQ(0, d->sh->ret[0]);
	EXPECT_EQ(0, d->sh->ret[1]);
	ASSERT_EQ(0, vh_guest_get(d->a, &gi));
	EXPECT_EQ(2U, gi.nr_devices);
	EXPECT_EQ(4U, gi.nr_assigned);
	ASSERT_EQ(0, vh_snap_take(d->b, 16, &b));
	EXPECT_EQ(0, vh_snap_cmp(&d->snap_b, &b, &w)) {
		TH_LOG("guest b: %s", w.msg);
	}
}

/* Events of guest a reach the receiver; b's stay with b. */
static int vs_scm_events(void *arg)
{
	struct vs_scm_ctx *c = arg;
	struct vqnotify_event ev[8];
	int fd = vs_recv_fd(c->sock);
	ssize_t n;

	if (fd < 0)
		return 10;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, ev, sizeof(ev));
	c->d->sh->ret[0] = n < 0 ? -errno : (int)n;
	c->d->sh->val[0] = n > 0 ? ev[0].type : 0;
	return 0;
}

TEST_F(scm, passed_fd_reads_own_events_only)
{
	struct scm_data *d = &self->d;
	struct vqnotify_event ev[32];
	uint32_t nr = 0;

	/*
	 * Own limits below the threshold: guest b's 20 queues and guest a's
	 * 4 are all preempted, an event each.
	 */
	ASSERT_EQ(0, vh_set_budget(d->b, 1));
	ASSERT_EQ(0, vh_set_status(d->a, 1, VH_STATUS_OK, NULL, &nr));
	ASSERT_EQ(0, vh_set_budget(d->a, 3));
	ASSERT_EQ(0, vs_scm_pass(d, 0, vs_scm_events));
	EXPECT_EQ((int)(4 * sizeof(ev[0])), d->sh->ret[0]);
	EXPECT_EQ((uint32_t)VQNOTIFY_EVENT_TRANSITION, d->sh->val[0]);
	fcntl(d->b, F_SETFL, O_NONBLOCK);
	EXPECT_EQ((ssize_t)(20 * sizeof(ev[0])), read(d->b, ev, sizeof(ev)));
}

/* ovf: integer overflow in counts and sizes */

#define OVF_NQ	4

FIXTURE(ovf) {
	int fd;
	uint32_t dev;		/* OVF_NQ queues, never used */
	uint32_t live;		/* OVF_NQ queues, DRIVER_OK */
	struct vh_mem mem;
	struct vh_snap before;
};

FIXTURE_SETUP(ovf)
{
	uint32_t nr = 0;

	self->fd = -1;
	if (access(VH_DEV, F_OK))
		SKIP(return, "no %s (module not loaded)", VH_DEV);
	ASSERT_EQ(0, vh_mem_init(&self->mem));
	self->fd = vh_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vh_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, OVF_NQ,
				"fresh", &self->dev));
	ASSERT_EQ(0, vh_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, OVF_NQ,
				"live", &self->live));
	ASSERT_EQ(0, vh_set_status(self->fd, self->live, VH_STATUS_OK, NULL,
				   &nr));
	ASSERT_EQ(0, vh_snap_take(self->fd, 8, &self->before));
}

FIXTURE_TEARDOWN(ovf)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void ovf_unchanged(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ovf) *self)
{
	struct vh_snap after;
	struct vh_why w;

	ASSERT_EQ(0, vh_snap_take(self->fd, 8, &after));
	EXPECT_EQ(0, vh_snap_cmp(&self->before, &after, &w)) {
		TH_LOG("changed: %s", w.msg);
	}
	vh_snap_free(&after);
}

TEST_F(ovf, dev_add_num_queues_u32_max)
{
	EXPECT_EQ(-EINVAL, vh_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO,
				      0xffffffff, "huge", NULL));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_add_num_queues_max_plus_one)
{
	EXPECT_EQ(-EINVAL, vh_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO,
				      VQNOTIFY_MAX_QUEUES + 1, "big", NULL));
	ovf_unchanged(_metadata, self);
}

/*
 * nr_results claims 0xffffffff records where there is room for one: the
 * buffer ends at an unmapped page, so the call must fault before changing
 * anything.
 */
static int ovf_short_results(FIXTURE_DATA(ovf) *self, unsigned long cmd,
			     uint32_t id, uint32_t status)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = id,
		.status = status,
		.results = (uintptr_t)vh_mem_edge(&self->mem,
					sizeof(struct vqnotify_vq_result)),
		.nr_results = 0xffffffff,
	};

	return vh_io(self->fd, cmd, &op);
}

TEST_F(ovf, set_status_nr_results_u32_max_short_buffer)
{
	EXPECT_EQ(-EFAULT, ovf_short_results(self, VQNOTIFY_SET_STATUS,
					     self->dev, VH_STATUS_OK));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_reset_nr_results_u32_max_short_buffer)
{
	EXPECT_EQ(-EFAULT, ovf_short_results(self, VQNOTIFY_DEV_RESET,
					     self->live, 0));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_remove_nr_results_u32_max_short_buffer)
{
	EXPECT_EQ(-EFAULT, ovf_short_results(self, VQNOTIFY_DEV_REMOVE,
					     self->live, 0));
	ovf_unchanged(_metadata, self);
}

/* A good blob for self->dev: SAVE of the live device. */
static uint32_t ovf_blob(FIXTURE_DATA(ovf) *self, uint8_t *blob)
{
	uint32_t len = VH_BLOB_MAX;

	if (vh_save(self->fd, self->live, blob, &len))
		return 0;
	return len;
}

TEST_F(ovf, load_nr_results_u32_max_short_buffer)
{
	uint8_t blob[VH_BLOB_MAX];
	struct vqnotify_vq_result res[OVF_NQ];
	uint32_t len = ovf_blob(self, blob), nr = OVF_NQ;
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = self->dev,
		.len = len,
		.data = (uintptr_t)blob,
		.results = (uintptr_t)vh_mem_edge(&self->mem, sizeof(res[0])),
		.nr_results = 0xffffffff,
	};

	ASSERT_NE(0U, len);
	EXPECT_EQ(-EFAULT, vh_io(self->fd, VQNOTIFY_DEV_LOAD, &m));
	ovf_unchanged(_metadata, self);
	/* Still never used: the same LOAD with room succeeds. */
	EXPECT_EQ(0, vh_load(self->fd, self->dev, blob, len, res, &nr));
}

TEST_F(ovf, load_len_u32_max)
{
	uint8_t blob[VH_BLOB_MAX];
	uint32_t len = ovf_blob(self, blob);

	ASSERT_NE(0U, len);
	EXPECT_EQ(-EINVAL, vh_load(self->fd, self->dev, blob, 0xffffffff,
				   NULL, NULL));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, save_len_u32_max_short_buffer)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = self->live,
		.len = 0xffffffff,
		.data = (uintptr_t)vh_mem_edge(&self->mem, 8),
	};

	EXPECT_EQ(-EFAULT, vh_io(self->fd, VQNOTIFY_DEV_SAVE, &m));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_get_nr_queues_u32_max_short_buffer)
{
	struct vqnotify_dev_get dg = {
		.size = sizeof(dg),
		.dev_id = self->live,
		.queues = (uintptr_t)vh_mem_edge(&self->mem,
					sizeof(struct vqnotify_vq_info)),
		.nr_queues = 0xffffffff,
	};

	EXPECT_EQ(-EFAULT, vh_io(self->fd, VQNOTIFY_DEV_GET, &dg));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, host_notifier_queue_u32_max)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE,
		.dev_id = self->live,
		.queue = 0xffffffff,
	};

	EXPECT_EQ(-EINVAL, vh_io(self->fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, queue_get_queue_u32_max)
{
	EXPECT_EQ(-EINVAL, vh_queue_get(self->fd, self->live, 0xffffffff,
					NULL));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, set_status_status_u32_max)
{
	uint32_t nr = 0;

	EXPECT_EQ(-EINVAL, vh_set_status(self->fd, self->dev, 0xffffffff,
					 NULL, &nr));
	ovf_unchanged(_metadata, self);
}

/* An own limit of 0xffffffff is no limit: min() with the admin budget. */
TEST_F(ovf, guest_set_budget_u32_max)
{
	struct vqnotify_guest_info gi;

	ASSERT_EQ(0, vh_set_budget(self->fd, 0xffffffff));
	ASSERT_EQ(0, vh_guest_get(self->fd, &gi));
	EXPECT_EQ(self->before.gi.budget, gi.budget);
	EXPECT_EQ(self->before.gi.out_flags, gi.out_flags);
	ovf_unchanged(_metadata, self);
}

/*
 * read() of 0xffffffff bytes into room for one record and a half: one
 * record, and the next stays queued.
 */
TEST_F(ovf, read_count_u32_max_short_buffer)
{
	struct vqnotify_event ev[2];
	uint8_t *buf = vh_mem_edge(&self->mem, sizeof(ev[0]) * 3 / 2);
	ssize_t n;

	/* Four events: the live queues preempted as the guest is limited. */
	ASSERT_EQ(0, vh_set_budget(self->fd, 2));
	n = read(self->fd, buf, 0xffffffff);
	EXPECT_EQ((ssize_t)sizeof(ev[0]), n) {
		TH_LOG("read: %zd (%s)", n, n < 0 ? strerror(errno) : "");
	}
	fcntl(self->fd, F_SETFL, O_NONBLOCK);
	n = read(self->fd, ev, sizeof(ev));
	EXPECT_LE((ssize_t)sizeof(ev[0]), n);
	if (n >= (ssize_t)sizeof(ev[0]))
		EXPECT_EQ(((struct vqnotify_event *)buf)->seq + 1, ev[0].seq);
}

/* ovf_size: size 0xffffffff on every ioctl */

FIXTURE(ovf_size) {
	int fd;
	uint32_t dev;
	struct vh_mem mem;
	struct vh_snap before;
};

FIXTURE_VARIANT(ovf_size) {
	unsigned long cmd;
	uint32_t size;
};

#define OVF_SIZE(name, c, type) \
	FIXTURE_VARIANT_ADD(ovf_size, name) { .cmd = c, .size = sizeof(type) }

OVF_SIZE(get_info, VQNOTIFY_GET_INFO, struct vqnotify_info);
OVF_SIZE(guest_set, VQNOTIFY_GUEST_SET, struct vqnotify_guest_set);
OVF_SIZE(guest_get, VQNOTIFY_GUEST_GET, struct vqnotify_guest_info);
OVF_SIZE(dev_add, VQNOTIFY_DEV_ADD, struct vqnotify_dev_add);
OVF_SIZE(set_status, VQNOTIFY_SET_STATUS, struct vqnotify_dev_op);
OVF_SIZE(dev_reset, VQNOTIFY_DEV_RESET, struct vqnotify_dev_op);
OVF_SIZE(dev_remove, VQNOTIFY_DEV_REMOVE, struct vqnotify_dev_op);
OVF_SIZE(host_notifier, VQNOTIFY_SET_HOST_NOTIFIER,
	 struct vqnotify_host_notifier);
OVF_SIZE(queue_get, VQNOTIFY_QUEUE_GET, struct vqnotify_queue_get);
OVF_SIZE(dev_get, VQNOTIFY_DEV_GET, struct vqnotify_dev_get);
OVF_SIZE(dev_save, VQNOTIFY_DEV_SAVE, struct vqnotify_migration);
OVF_SIZE(dev_load, VQNOTIFY_DEV_LOAD, struct vqnotify_migration);

FIXTURE_SETUP(ovf_size)
{
	uint32_t nr = 0;

	self->fd = -1;
	if (access(VH_DEV, F_OK))
		SKIP(return, "no %s (module not loaded)", VH_DEV);
	ASSERT_EQ(0, vh_mem_init(&self->mem));
	self->fd = vh_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vh_dev_add(self->fd, VQNOTIFY_TRANSPORT_MMIO, OVF_NQ,
				"d", &self->dev));
	ASSERT_EQ(0, vh_set_status(self->fd, self->dev, VH_STATUS_OK, NULL,
				   &nr));
	ASSERT_EQ(0, vh_snap_take(self->fd, 8, &self->before));
}

FIXTURE_TEARDOWN(ovf_size)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * A structure that would change state (or at least succeed) if its size
 * were taken at face value, in @p, size field 0xffffffff.
 */
static void ovf_size_build(FIXTURE_DATA(ovf_size) *self,
			   const FIXTURE_VARIANT(ovf_size) *v, uint8_t *p)
{
	static uint8_t blob[VH_BLOB_MAX];
	union {
		struct vqnotify_guest_set gs;
		struct vqnotify_dev_add da;
		struct vqnotify_dev_op op;
		struct vqnotify_host_notifier hn;
		struct vqnotify_queue_get qg;
		struct vqnotify_dev_get dg;
		struct vqnotify_migration mg;
		uint8_t b[sizeof(struct vqnotify_guest_info)];
	} u = { 0 };
	uint32_t len = sizeof(blob);

	switch (v->cmd) {
	case VQNOTIFY_GUEST_SET:
		u.gs.flags = VQNOTIFY_GUEST_SET_BUDGET;
		u.gs.budget = 1;
		break;
	case VQNOTIFY_DEV_ADD:
		u.da.transport = VQNOTIFY_TRANSPORT_PIO;
		u.da.num_queues = 1;
		break;
	case VQNOTIFY_SET_STATUS:
	case VQNOTIFY_DEV_RESET:
	case VQNOTIFY_DEV_REMOVE:
		u.op.dev_id = self->dev;
		break;
	case VQNOTIFY_SET_HOST_NOTIFIER:
		u.hn.flags = VQNOTIFY_HOST_NOTIFIER_ENABLE;
		u.hn.dev_id = self->dev;
		break;
	case VQNOTIFY_QUEUE_GET:
		u.qg.dev_id = self->dev;
		break;
	case VQNOTIFY_DEV_GET:
		u.dg.dev_id = self->dev;
		break;
	case VQNOTIFY_DEV_SAVE:
		u.mg.dev_id = self->dev;
		u.mg.len = sizeof(blob);
		u.mg.data = (uintptr_t)blob;
		break;
	case VQNOTIFY_DEV_LOAD:
		vh_save(self->fd, self->dev, blob, &len);
		u.mg.dev_id = self->dev;
		u.mg.len = len;
		u.mg.data = (uintptr_t)blob;
		break;
	}
	memcpy(p, &u, v->size);
	memset(p, 0xff, 4);	/* size = 0xffffffff */
}

static void ovf_size_unchanged(struct __test_metadata *_metadata,
			       FIXTURE_DATA(ovf_size) *self)
{
	struct vh_snap after;
	struct vh_why w;

	ASSERT_EQ(0, vh_snap_take(self->fd, 8, &after));
	EXPECT_EQ(0, vh_snap_cmp(&self->before, &after, &w)) {
		TH_LOG("changed: %s", w.msg);
	}
	vh_snap_free(&after);
}

/* Right after the structure, a non-zero byte: E2BIG, nothing changed. */
TEST_F(ovf_size, size_u32_max_dirty_tail)
{
	uint8_t *p = self->mem.rw;

	memset(p, 0, 2 * variant->size);
	ovf_size_build(self, variant, p);
	p[variant->size + 3] = 1;
	EXPECT_EQ(-E2BIG, vh_io(self->fd, variant->cmd, p));
	ovf_size_unchanged(_metadata, self);
}

/* The structure ends where the mapping ends: EFAULT, nothing changed. */
TEST_F(ovf_size, size_u32_max_end_of_mapping)
{
	uint8_t *p = vh_mem_edge(&self->mem, variant->size);

	ovf_size_build(self, variant, p);
	EXPECT_EQ(-EFAULT, vh_io(self->fd, variant->cmd, p));
	ovf_size_unchanged(_metadata, self);
}

TEST_HARNESS_MAIN
