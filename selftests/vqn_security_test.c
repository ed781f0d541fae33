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
#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

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
	for (unsigned int i = 0; i < TK_ARRAY_SIZE(sh->ret); i++)
		sh->ret[i] = 1;	/* "never ran" */
	return sh;
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

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_EQ(0, stat(TK_DEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0660U, st.st_mode & 07777) {
		TH_LOG("%s has mode %04o", TK_DEV_PATH, st.st_mode & 07777);
	}
	EXPECT_EQ(0U, st.st_uid);
}

static int vs_try_open(void *arg)
{
	struct vs_shared *sh = arg;
	int fd = open(TK_DEV_PATH, O_RDWR);

	sh->ret[0] = fd < 0 ? -errno : 0;
	return 0;
}

TEST(nobody_cannot_open)
{
	struct vs_shared *sh = vs_shared_new();

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, tk_run_as_nobody(0, vs_try_open, sh));
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
	uint32_t id = 0, nr = 2;

	in->sh->ret[0] = _test_ioctl_guest_get(in->fd, &gi);
	in->sh->ret[1] = _test_ioctl_dev_add(in->fd, VQNOTIFY_TRANSPORT_PIO, 2, "inh",
				    &id);
	in->sh->ret[2] = _test_ioctl_set_status(in->fd, id, TK_STATUS_OK, NULL, res, &nr);
	in->sh->val[0] = nr;
	in->sh->ret[3] = open(TK_DEV_PATH, O_RDWR) < 0 ? -errno : 0;
	return 0;
}

TEST(nobody_keeps_inherited_guest)
{
	struct vs_inherit in = { .sh = vs_shared_new() };
	struct vqnotify_guest_info gi;

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_NE(NULL, in.sh);
	in.fd = tk_open(0);
	ASSERT_LE(0, in.fd);
	ASSERT_EQ(0, tk_run_as_nobody(0, vs_use_inherited, &in));
	EXPECT_EQ(0, in.sh->ret[0]);
	EXPECT_EQ(0, in.sh->ret[1]);
	EXPECT_EQ(0, in.sh->ret[2]);
	EXPECT_EQ(2U, in.sh->val[0]);
	EXPECT_EQ(-EACCES, in.sh->ret[3]);
	ASSERT_EQ(0, _test_ioctl_guest_get(in.fd, &gi));
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
	struct tk_nl nl;
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
	struct tk_nl_guests *ids = malloc(sizeof(*ids));

	st->dump_ret = ids ? _test_nl_guest_dump(&st->nl, ids) : -ENOMEM;
	free(ids);
	return NULL;
}

/* Does open() + close() of another guest finish within @ms? */
static bool vs_open_completes(int ms, pid_t *pid)
{
	int status;

	*pid = fork();
	if (!*pid) {
		int fd = tk_open(0);

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

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	if (tk_nl_open(&st.nl))
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
	st.fd = tk_open(0);
	ASSERT_LE(0, st.fd);
	ASSERT_EQ(0, _test_ioctl_dev_add(st.fd, VQNOTIFY_TRANSPORT_MMIO, 4, "s", NULL));
	ASSERT_EQ(0, _test_ioctl_set_status(st.fd, 1, TK_STATUS_OK, NULL, NULL, &nr));
	ASSERT_EQ(0, _test_ioctl_set_budget(st.fd, 1));

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

static void vs_guest_cb(const struct nlmsghdr *h, void *arg)
{
	struct tk_nl_attrs at;
	struct vs_guest_attrs *ga = arg;

	tk_nl_parse_msg(&at, h);
	ga->found = true;
	if (at.tb[VQNOTIFY_A_GUEST_UID])
		ga->uid = tk_nla_u32(at.tb[VQNOTIFY_A_GUEST_UID]);
	if (at.tb[VQNOTIFY_A_GUEST_ADMIN_BUDGET])
		ga->admin_budget =
			tk_nla_u32(at.tb[VQNOTIFY_A_GUEST_ADMIN_BUDGET]);
	if (at.tb[VQNOTIFY_A_GUEST_VHOST_RESERVE])
		ga->reserve = tk_nla_u32(at.tb[VQNOTIFY_A_GUEST_VHOST_RESERVE]);
}

static int vs_nl_guest(struct tk_nl *nl, uint32_t id,
		       struct vs_guest_attrs *ga)
{
	struct tk_nl_attr a = { VQNOTIFY_A_GUEST_ID, id };

	memset(ga, 0, sizeof(*ga));
	return tk_nl_call(nl, VQNOTIFY_CMD_GUEST_GET, false, &a, 1,
			  vs_guest_cb, ga);
}

/* Guest ids (attribute 1 of every reply) a dump returned. */
struct vs_dump {
	uint32_t n;
	uint32_t guest[256];
};

static void vs_dump_cb(const struct nlmsghdr *h, void *arg)
{
	struct tk_nl_attrs at;
	struct vs_dump *d = arg;

	tk_nl_parse_msg(&at, h);
	if (d->n < TK_ARRAY_SIZE(d->guest))
		d->guest[d->n] = at.tb[1] ? tk_nla_u32(at.tb[1]) : 0;
	d->n++;
}

FIXTURE(nl) {
	int root_fd;		/* guest opened by root */
	int own_fd;		/* guest opened by nobody */
	uint32_t root_id;
	uint32_t own_id;
	struct tk_nl nl;	/* root's socket */
	struct vs_shared *sh;
};

/* The child that opens a guest as nobody and hands it over. */
static int vs_open_as_nobody(void *arg)
{
	int sock = *(int *)arg, fd;
	uint64_t eff, perm;

	fd = tk_open(0);		/* CAP_DAC_OVERRIDE: the node is root's */
	if (fd < 0)
		return 1;
	if (tk_capset(0) || tk_capget(&eff, &perm) || eff || perm)
		return 2;
	if (_test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_MMIO, 3, "own", NULL) ||
	    _test_ioctl_set_name(fd, "nobody-vm"))
		return 3;
	return vs_send_fd(sock, fd) ? 4 : 0;
}

FIXTURE_SETUP(nl)
{
	struct vqnotify_guest_info gi;
	int sv[2];

	self->root_fd = self->own_fd = -1;
	self->nl.fd = -1;
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	if (tk_nl_open(&self->nl))
		SKIP(return, "no vqnotify netlink family");
	self->sh = vs_shared_new();
	ASSERT_NE(NULL, self->sh);

	self->root_fd = tk_open(0);
	ASSERT_LE(0, self->root_fd);
	ASSERT_EQ(0, _test_ioctl_set_name(self->root_fd, "root-vm"));
	ASSERT_EQ(0, _test_ioctl_dev_add(self->root_fd, VQNOTIFY_TRANSPORT_MMIO, 2,
				"root0", NULL));
	ASSERT_EQ(0, _test_ioctl_dev_add(self->root_fd, VQNOTIFY_TRANSPORT_MMIO, 2,
				"root1", NULL));
	ASSERT_EQ(0, _test_ioctl_guest_get(self->root_fd, &gi));
	self->root_id = gi.guest_id;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, tk_run_as_nobody(TK_CAP_DAC, vs_open_as_nobody, &sv[1]));
	self->own_fd = vs_recv_fd(sv[0]);
	ASSERT_LE(0, self->own_fd);
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(0, _test_ioctl_guest_get(self->own_fd, &gi));
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
	int (*fn)(struct vs_nl_ctx *c, struct tk_nl *nl);
	bool root_socket;
};

static int vs_nl_child(void *arg)
{
	struct vs_nl_ctx *c = arg;
	struct tk_nl nl;

	if (c->root_socket)
		nl = c->self->nl;
	else if (tk_nl_open(&nl))
		return 10;
	return c->fn(c, &nl);
}

static int vs_nl_as_nobody(FIXTURE_DATA(nl) *self,
			   int (*fn)(struct vs_nl_ctx *, struct tk_nl *),
			   bool root_socket)
{
	struct vs_nl_ctx c = {
		.self = self, .fn = fn, .root_socket = root_socket,
	};

	return tk_run_as_nobody(0, vs_nl_child, &c);
}

TEST_F(nl, guest_uid_recorded)
{
	struct vs_guest_attrs ga;

	ASSERT_EQ(0, vs_nl_guest(&self->nl, self->root_id, &ga));
	EXPECT_EQ(0U, ga.uid);
	ASSERT_EQ(0, vs_nl_guest(&self->nl, self->own_id, &ga));
	EXPECT_EQ((uint32_t)TK_NOBODY, ga.uid);
}

static int vs_guest_set(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	struct tk_nl_attr root[] = {
		{ VQNOTIFY_A_GUEST_ID, c->self->root_id },
		{ VQNOTIFY_A_GUEST_ADMIN_BUDGET, 3 },
	};
	struct tk_nl_attr own[] = {
		{ VQNOTIFY_A_GUEST_ID, c->self->own_id },
		{ VQNOTIFY_A_GUEST_ADMIN_BUDGET, 100000 },
		{ VQNOTIFY_A_GUEST_VHOST_RESERVE, 5 },
	};

	c->self->sh->ret[0] = tk_nl_call(nl, VQNOTIFY_CMD_GUEST_SET, false,
					 root, 2, NULL, NULL);
	c->self->sh->ret[1] = tk_nl_call(nl, VQNOTIFY_CMD_GUEST_SET, false,
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

static int vs_config_set(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	struct tk_nl_attr a[] = {
		{ VQNOTIFY_A_CONFIG_HOST_CAP, 1 },
		{ VQNOTIFY_A_CONFIG_THRESHOLD, 1000 },
	};

	c->self->sh->ret[0] = tk_nl_call(nl, VQNOTIFY_CMD_CONFIG_SET, false,
					 a, 1, NULL, NULL);
	c->self->sh->ret[1] = tk_nl_call(nl, VQNOTIFY_CMD_CONFIG_SET, false,
					 a + 1, 1, NULL, NULL);
	return 0;
}

TEST_F(nl, config_set_eperm)
{
	struct tk_nl_config c0, c1;

	test_cmd_nl_config_get(&c0);
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_config_set, false));
	EXPECT_EQ(-EPERM, self->sh->ret[0]);
	EXPECT_EQ(-EPERM, self->sh->ret[1]);
	test_cmd_nl_config_get(&c1);
	EXPECT_EQ(c0.host_cap,
		  c1.host_cap);
	EXPECT_EQ(c0.threshold,
		  c1.threshold);
}

/* A socket root opened lends nobody none of root's rights. */
TEST_F(nl, root_socket_after_drop_eperm)
{
	struct tk_nl_config c0, c1;

	test_cmd_nl_config_get(&c0);
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_config_set, true));
	EXPECT_EQ(-EPERM, self->sh->ret[0]);
	EXPECT_EQ(-EPERM, self->sh->ret[1]);
	test_cmd_nl_config_get(&c1);
	EXPECT_EQ(c0.host_cap,
		  c1.host_cap);
}

static int vs_join_monitor(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	uint32_t grp = nl->monitor;

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

static int vs_guest_dump(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	struct tk_nl_guests *ids = malloc(sizeof(*ids));

	c->self->sh->ret[0] = _test_nl_guest_dump(nl, ids);
	c->self->sh->ret[1] = tk_nl_guests_has(ids, c->self->root_id);
	c->self->sh->ret[2] = tk_nl_guests_has(ids, c->self->own_id);
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

static int vs_guest_get(struct vs_nl_ctx *c, struct tk_nl *nl)
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

static int vs_dev_get(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	struct tk_nl_attr root[] = {
		{ VQNOTIFY_A_DEV_GUEST_ID, c->self->root_id },
		{ VQNOTIFY_A_DEV_ID, 1 },
	};
	struct tk_nl_attr own[] = {
		{ VQNOTIFY_A_DEV_GUEST_ID, c->self->own_id },
		{ VQNOTIFY_A_DEV_ID, 1 },
	};
	struct vs_dump d = { 0 };

	c->self->sh->ret[0] = tk_nl_call(nl, VQNOTIFY_CMD_DEV_GET, false, root,
					 2, vs_dump_cb, &d);
	c->self->sh->val[0] = d.n;
	c->self->sh->ret[1] = tk_nl_call(nl, VQNOTIFY_CMD_DEV_GET, false, own,
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

static int vs_queue_get(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	struct tk_nl_attr root[] = {
		{ VQNOTIFY_A_QUEUE_GUEST_ID, c->self->root_id },
		{ VQNOTIFY_A_QUEUE_DEV_ID, 1 },
		{ VQNOTIFY_A_QUEUE_INDEX, 0 },
	};
	struct tk_nl_attr own[] = {
		{ VQNOTIFY_A_QUEUE_GUEST_ID, c->self->own_id },
		{ VQNOTIFY_A_QUEUE_DEV_ID, 1 },
		{ VQNOTIFY_A_QUEUE_INDEX, 0 },
	};
	struct vs_dump d = { 0 };

	c->self->sh->ret[0] = tk_nl_call(nl, VQNOTIFY_CMD_QUEUE_GET, false,
					 root, 3, vs_dump_cb, &d);
	c->self->sh->val[0] = d.n;
	c->self->sh->ret[1] = tk_nl_call(nl, VQNOTIFY_CMD_QUEUE_GET, false,
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
static int vs_dumps(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	static const uint8_t cmds[] = {
		VQNOTIFY_CMD_DEV_GET, VQNOTIFY_CMD_QUEUE_GET,
	};
	struct vs_shared *sh = c->self->sh;

	for (int i = 0; i < 2; i++) {
		struct tk_nl_attr root = { 1, c->self->root_id };
		struct vs_dump d = { 0 };
		uint32_t foreign = 0;

		sh->ret[4 * i] = tk_nl_call(nl, cmds[i], true, NULL, 0,
					    vs_dump_cb, &d);
		for (uint32_t k = 0; k < d.n && k < TK_ARRAY_SIZE(d.guest);
		     k++)
			foreign += d.guest[k] != c->self->own_id;
		sh->val[4 * i] = d.n;
		sh->val[4 * i + 1] = foreign;
		memset(&d, 0, sizeof(d));
		sh->ret[4 * i + 1] = tk_nl_call(nl, cmds[i], true, &root, 1,
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

static int vs_config_get(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	struct tk_nl_config cfg;

	c->self->sh->ret[0] = _test_nl_config_get(nl, &cfg);
	c->self->sh->val[0] = cfg.host_cap;
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
	struct tk_snap snap_a;
	struct tk_snap snap_b;
};

static void scm_data_setup(struct __test_metadata *_metadata, struct scm_data *d)
{
	struct vqnotify_guest_info gi;

	d->a = d->b = -1;
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	d->sh = vs_shared_new();
	ASSERT_NE(NULL, d->sh);
	d->a = tk_open(0);
	d->b = tk_open(0);
	ASSERT_LE(0, d->a);
	ASSERT_LE(0, d->b);
	ASSERT_EQ(0, _test_ioctl_dev_add(d->a, VQNOTIFY_TRANSPORT_PIO, 4, "a0", NULL));
	for (int i = 0; i < SCM_OTHER_DEVS; i++) {
		uint32_t id, nr = 0;

		ASSERT_EQ(0, _test_ioctl_dev_add(d->b, VQNOTIFY_TRANSPORT_MMIO, 4, "b",
					&id));
		ASSERT_EQ(0, _test_ioctl_set_status(d->b, id, TK_STATUS_OK, NULL, NULL, &nr));
	}
	ASSERT_EQ(0, _test_ioctl_guest_get(d->a, &gi));
	d->a_id = gi.guest_id;
	ASSERT_EQ(0, tk_snap_take(d->a, 16, &d->snap_a));
	ASSERT_EQ(0, tk_snap_take(d->b, 16, &d->snap_b));
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
	static uint8_t blob[TK_BLOB_MAX];
	struct vqnotify_dev_get dg;
	uint32_t nr = VQNOTIFY_MAX_QUEUES, len = sizeof(blob);

	switch (cmd) {
	case VQNOTIFY_SET_STATUS:
		return _test_ioctl_set_status(fd, id, TK_STATUS_OK, NULL, res, &nr);
	case VQNOTIFY_DEV_RESET:
	case VQNOTIFY_DEV_REMOVE:
		return _test_ioctl_dev_op(fd, cmd, id, 0, NULL, res, &nr);
	case VQNOTIFY_SET_HOST_NOTIFIER:
		return _test_ioctl_host_notifier(fd, id, 0, true, NULL);
	case VQNOTIFY_QUEUE_GET:
		return _test_ioctl_queue_get(fd, id, 0, NULL);
	case VQNOTIFY_DEV_GET:
		return _test_ioctl_dev_get(fd, id, &dg, vi, VQNOTIFY_MAX_QUEUES);
	case VQNOTIFY_DEV_SAVE:
		return _test_ioctl_dev_save(fd, id, blob, &len);
	case VQNOTIFY_DEV_LOAD:
		/* A blob that would load into a fresh 4-queue MMIO device. */
		if (_test_ioctl_dev_save(fd, 1, blob, &len))
			return -EIO;
		blob[16] = TK_STATUS_OK;
		blob[20] = VQNOTIFY_TRANSPORT_MMIO;
		tk_blob_reseal(blob, len);
		return _test_ioctl_dev_load(fd, id, blob, len, res, &nr);
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
		ret = tk_run_as_nobody(0, fn, &c);
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
	sh->ret[0] = _test_ioctl_guest_get(fd, &gi);
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
	struct tk_snap a, b;
	struct tk_why w;

	ASSERT_EQ(0, vs_scm_pass(d, variant->cmd, vs_scm_receiver));
	EXPECT_EQ(0, d->sh->ret[0]);
	EXPECT_EQ(d->a_id, d->sh->val[0]);
	EXPECT_EQ(getpid(), (pid_t)d->sh->val[1]);
	for (uint32_t id = 2; id <= SCM_OTHER_DEVS; id++) {
		EXPECT_EQ(-ENOENT, d->sh->ret[id]) {
			TH_LOG("device id %u", id);
		}
	}
	ASSERT_EQ(0, tk_snap_take(d->a, 16, &a));
	ASSERT_EQ(0, tk_snap_take(d->b, 16, &b));
	EXPECT_EQ(0, tk_snap_cmp(&d->snap_a, &a, &w)) {
		TH_LOG("guest a: %s", w.msg);
	}
	EXPECT_EQ(0, tk_snap_cmp(&d->snap_b, &b, &w)) {
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
	c->d->sh->ret[0] = _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_CCW, 2,
				      "passed", NULL);
	c->d->sh->ret[1] = vs_call_dev(fd, VQNOTIFY_SET_STATUS, 1);
	return 0;
}

TEST_F(scm, passed_fd_changes_own_guest_only)
{
	struct scm_data *d = &self->d;
	struct vqnotify_guest_info gi;
	struct tk_snap b;
	struct tk_why w;

	ASSERT_EQ(0, vs_scm_pass(d, 0, vs_scm_use));
	EXPECT_EQ(0, d->sh->ret[0]);
	EXPECT_EQ(0, d->sh->ret[1]);
	ASSERT_EQ(0, _test_ioctl_guest_get(d->a, &gi));
	EXPECT_EQ(2U, gi.nr_devices);
	EXPECT_EQ(4U, gi.nr_assigned);
	ASSERT_EQ(0, tk_snap_take(d->b, 16, &b));
	EXPECT_EQ(0, tk_snap_cmp(&d->snap_b, &b, &w)) {
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
	ASSERT_EQ(0, _test_ioctl_set_budget(d->b, 1));
	ASSERT_EQ(0, _test_ioctl_set_status(d->a, 1, TK_STATUS_OK, NULL, NULL, &nr));
	ASSERT_EQ(0, _test_ioctl_set_budget(d->a, 3));
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
	struct tk_mem mem;
	struct tk_snap before;
};

FIXTURE_SETUP(ovf)
{
	uint32_t nr = 0;

	self->fd = -1;
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_EQ(0, tk_mem_init(&self->mem));
	self->fd = tk_open(0);
	ASSERT_LE(0, self->fd);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, OVF_NQ, "fresh", &self->dev);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, OVF_NQ, "live", &self->live);
	test_cmd_set_status(self->live, TK_STATUS_OK, NULL, NULL, &nr);
	ASSERT_EQ(0, tk_snap_take(self->fd, 8, &self->before));
}

FIXTURE_TEARDOWN(ovf)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void ovf_unchanged(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ovf) *self)
{
	struct tk_snap after;
	struct tk_why w;

	ASSERT_EQ(0, tk_snap_take(self->fd, 8, &after));
	EXPECT_EQ(0, tk_snap_cmp(&self->before, &after, &w)) {
		TH_LOG("changed: %s", w.msg);
	}
	tk_snap_free(&after);
}

TEST_F(ovf, dev_add_num_queues_u32_max)
{
	test_err_dev_add(EINVAL, VQNOTIFY_TRANSPORT_MMIO, 0xffffffff, "huge",
			 NULL);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_add_num_queues_max_plus_one)
{
	test_err_dev_add(EINVAL, VQNOTIFY_TRANSPORT_MMIO,
			 VQNOTIFY_MAX_QUEUES + 1, "big", NULL);
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
		.results = (uintptr_t)tk_mem_edge(&self->mem,
					sizeof(struct vqnotify_vq_result)),
		.nr_results = 0xffffffff,
	};

	return _test_ioctl(self->fd, cmd, &op);
}

TEST_F(ovf, set_status_nr_results_u32_max_short_buffer)
{
	EXPECT_EQ(-EFAULT, ovf_short_results(self, VQNOTIFY_SET_STATUS,
					     self->dev, TK_STATUS_OK));
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
	uint32_t len = TK_BLOB_MAX;

	if (_test_ioctl_dev_save(self->fd, self->live, blob, &len))
		return 0;
	return len;
}

TEST_F(ovf, load_nr_results_u32_max_short_buffer)
{
	uint8_t blob[TK_BLOB_MAX];
	struct vqnotify_vq_result res[OVF_NQ];
	uint32_t len = ovf_blob(self, blob), nr = OVF_NQ;
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = self->dev,
		.len = len,
		.data = (uintptr_t)blob,
		.results = (uintptr_t)tk_mem_edge(&self->mem, sizeof(res[0])),
		.nr_results = 0xffffffff,
	};

	ASSERT_NE(0U, len);
	EXPECT_EQ(-EFAULT, _test_ioctl(self->fd, VQNOTIFY_DEV_LOAD, &m));
	ovf_unchanged(_metadata, self);
	/* Still never used: the same LOAD with room succeeds. */
	test_cmd_dev_load(self->dev, blob, len, res, &nr);
}

TEST_F(ovf, load_len_u32_max)
{
	uint8_t blob[TK_BLOB_MAX];
	uint32_t len = ovf_blob(self, blob);

	ASSERT_NE(0U, len);
	test_err_dev_load(EINVAL, self->dev, blob, 0xffffffff, NULL, NULL);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, save_len_u32_max_short_buffer)
{
	struct vqnotify_migration m = {
		.size = sizeof(m),
		.dev_id = self->live,
		.len = 0xffffffff,
		.data = (uintptr_t)tk_mem_edge(&self->mem, 8),
	};

	EXPECT_EQ(-EFAULT, _test_ioctl(self->fd, VQNOTIFY_DEV_SAVE, &m));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, dev_get_nr_queues_u32_max_short_buffer)
{
	struct vqnotify_dev_get dg = {
		.size = sizeof(dg),
		.dev_id = self->live,
		.queues = (uintptr_t)tk_mem_edge(&self->mem,
					sizeof(struct vqnotify_vq_info)),
		.nr_queues = 0xffffffff,
	};

	EXPECT_EQ(-EFAULT, _test_ioctl(self->fd, VQNOTIFY_DEV_GET, &dg));
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

	EXPECT_EQ(-EINVAL, _test_ioctl(self->fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn));
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, queue_get_queue_u32_max)
{
	test_err_queue_get(EINVAL, self->live, 0xffffffff, NULL);
	ovf_unchanged(_metadata, self);
}

TEST_F(ovf, set_status_status_u32_max)
{
	uint32_t nr = 0;

	test_err_set_status(EINVAL, self->dev, 0xffffffff, NULL, NULL, &nr);
	ovf_unchanged(_metadata, self);
}

/* An own limit of 0xffffffff is no limit: min() with the admin budget. */
TEST_F(ovf, guest_set_budget_u32_max)
{
	struct vqnotify_guest_info gi;

	test_cmd_set_budget(0xffffffff);
	test_cmd_guest_get(&gi);
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
	uint8_t *buf = tk_mem_edge(&self->mem, sizeof(ev[0]) * 3 / 2);
	ssize_t n;

	/* Four events: the live queues preempted as the guest is limited. */
	test_cmd_set_budget(2);
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
	struct tk_mem mem;
	struct tk_snap before;
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
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_EQ(0, tk_mem_init(&self->mem));
	self->fd = tk_open(0);
	ASSERT_LE(0, self->fd);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, OVF_NQ, "d", &self->dev);
	test_cmd_set_status(self->dev, TK_STATUS_OK, NULL, NULL, &nr);
	ASSERT_EQ(0, tk_snap_take(self->fd, 8, &self->before));
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
	static uint8_t blob[TK_BLOB_MAX];
	union {
		TK_IOCTL_ARG_MEMBERS;
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
		_test_ioctl_dev_save(self->fd, self->dev, blob, &len);
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
	struct tk_snap after;
	struct tk_why w;

	ASSERT_EQ(0, tk_snap_take(self->fd, 8, &after));
	EXPECT_EQ(0, tk_snap_cmp(&self->before, &after, &w)) {
		TH_LOG("changed: %s", w.msg);
	}
	tk_snap_free(&after);
}

/* Right after the structure, a non-zero byte: E2BIG, nothing changed. */
TEST_F(ovf_size, size_u32_max_dirty_tail)
{
	uint8_t *p = self->mem.rw;

	memset(p, 0, 2 * variant->size);
	ovf_size_build(self, variant, p);
	p[variant->size + 3] = 1;
	EXPECT_EQ(-E2BIG, _test_ioctl(self->fd, variant->cmd, p));
	ovf_size_unchanged(_metadata, self);
}

/* The structure ends where the mapping ends: EFAULT, nothing changed. */
TEST_F(ovf_size, size_u32_max_end_of_mapping)
{
	uint8_t *p = tk_mem_edge(&self->mem, variant->size);

	ovf_size_build(self, variant, p);
	EXPECT_EQ(-EFAULT, _test_ioctl(self->fd, variant->cmd, p));
	ovf_size_unchanged(_metadata, self);
}

TEST_HARNESS_MAIN
