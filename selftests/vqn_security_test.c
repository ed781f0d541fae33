// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_security_test: who may use /dev/vqnotify and the vqnotify netlink
 * family.
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
 *
 * The module is loaded afresh for each test binary. Written on the
 * toolkit vqn_utils.h (vqn_abuse_utils.h for the privilege drop).
 */
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <sys/stat.h>

#include "vqn_abuse_utils.h"
#include "vqn_nl_utils.h"

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
	struct tk_shared *sh = arg;
	int fd = open(TK_DEV_PATH, O_RDWR);

	sh->ret[0] = fd < 0 ? -errno : 0;
	return 0;
}

TEST(nobody_cannot_open)
{
	struct tk_shared *sh = tk_shared_new();

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, tk_run_as_nobody(0, vs_try_open, sh));
	EXPECT_EQ(-EACCES, sh->ret[0]);
}

struct vs_inherit {
	struct tk_shared *sh;
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
	struct vs_inherit in = { .sh = tk_shared_new() };
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
 * for an unprivileged user) must hold up nothing but its own reads. While
 * it stalls, a guest dump (the tenant's own, or the admin's: it takes
 * every guest's lock in turn, the stalled one's too) completes, opening
 * another guest completes, and a call on the stalled guest itself
 * (GUEST_GET, under its lock) completes; each within 3 s, before the
 * fault resolves.
 */
struct vs_dumper {
	struct tk_nl nl;
	int ret;
	bool done;
};

static void *vs_stall_dumper(void *arg)
{
	struct vs_dumper *dump = arg;
	struct tk_nl_guests *ids = malloc(sizeof(*ids));

	dump->ret = ids ? _test_nl_guest_dump(&dump->nl, ids) : -ENOMEM;
	free(ids);
	__atomic_store_n(&dump->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Is @done set within @ms? */
static bool vs_done_within(const bool *done, int ms)
{
	for (int t = 0; t < ms; t += 10) {
		if (__atomic_load_n(done, __ATOMIC_ACQUIRE))
			return true;
		usleep(10000);
	}
	return __atomic_load_n(done, __ATOMIC_ACQUIRE);
}

/*
 * Does a child's open() + close() of another guest (@fd < 0), or its
 * GUEST_GET on guest @fd, finish and succeed within @ms?
 */
static bool vs_child_completes(int ms, pid_t *pid, int fd)
{
	int status;

	*pid = fork();
	if (!*pid) {
		struct vqnotify_guest_info gi;

		if (fd >= 0)
			_exit(_test_ioctl_guest_get(fd, &gi) != 0);
		fd = tk_open(0);
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

/*
 * A guest with events queued whose reader stalls in copy_to_user(): true
 * once it faulted; else false, the test skipped (no userfaultfd for the
 * caller) or failed.
 */
static bool vs_stall_begin(struct __test_metadata *_metadata,
			   struct tk_stall *st)
{
	struct tk_why why;
	int ret = tk_stall_start(st, &why);

	if (!ret)
		return true;
	tk_stall_end(st);
	if (ret > 0)
		SKIP(return false, "%s", why.msg);
	EXPECT_EQ(0, ret) TH_LOG("%s", why.msg);
	return false;
}

TEST(stalled_read_holds_no_host_lock)
{
	struct vs_dumper dump = { .ret = 1 };
	bool opened, got, dumped;
	pid_t opener, getter;
	struct tk_stall st;
	pthread_t dumper;

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_EQ(0, tk_nl_open(&dump.nl));
	if (!vs_stall_begin(_metadata, &st))
		return;

	/*
	 * A dump meanwhile, someone else opening a guest, and a call on the
	 * stalled guest.
	 */
	ASSERT_EQ(0, pthread_create(&dumper, NULL, vs_stall_dumper, &dump));
	usleep(200000);
	opened = vs_child_completes(3000, &opener, -1);
	got = vs_child_completes(3000, &getter, st.fd);
	dumped = vs_done_within(&dump.done, 3000);

	/* Let the fault resolve, whatever happened. */
	EXPECT_EQ(0, tk_stall_end(&st));
	pthread_join(dumper, NULL);
	if (opener)
		waitpid(opener, NULL, 0);
	if (getter)
		waitpid(getter, NULL, 0);

	EXPECT_TRUE(opened) {
		TH_LOG("open() of another guest waited for a read() stalled in another guest's page fault");
	}
	EXPECT_TRUE(got) {
		TH_LOG("GUEST_GET waited for its guest's read() stalled in a page fault");
	}
	EXPECT_TRUE(dumped) {
		TH_LOG("a guest dump waited for a read() stalled in a page fault");
	}
	EXPECT_EQ((ssize_t)sizeof(struct vqnotify_event), st.ret);
	EXPECT_EQ(0, dump.ret);
	tk_nl_close(&dump.nl);
}

/*
 * A blocking reader queued behind the stalled one (it waits for the
 * guest's read lock, records queued) and ended by a signal whose handler
 * does not restart it: -1 with EINTR, and it took nothing. Once the fault
 * resolves, the stalled reader has the first record and a reader after it
 * the rest, each seq following the one before, no OVERFLOW: the records
 * queued while it waited are all there, once.
 */
struct vs_waiter {
	int fd;
	pid_t tid;
	ssize_t ret;
	int err;
	bool done;
	struct vqnotify_event ev[8];
};

static void *vs_waiter_read(void *arg)
{
	struct vs_waiter *w = arg;

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	w->ret = read(w->fd, w->ev, sizeof(w->ev));
	w->err = errno;
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void vs_signal_handler(int sig)
{
	(void)sig;
}

TEST(stalled_read_interrupted_reader_takes_nothing)
{
	struct sigaction sa = { .sa_handler = vs_signal_handler }, old;
	struct vqnotify_event first, rest[16];
	struct vs_waiter w = { .ret = -2 };
	struct tk_seq seq = { 0 };
	bool returned;
	struct tk_stall st;
	struct tk_why why;
	pthread_t waiter;
	int n, i;
	pid_t tid;

	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	if (!vs_stall_begin(_metadata, &st))
		return;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, &old));	/* no SA_RESTART */
	w.fd = st.fd;
	ASSERT_EQ(0, pthread_create(&waiter, NULL, vs_waiter_read, &w));
	tid = tk_wait_tid(&w.tid);
	/* Asleep in read(), behind the stalled reader, records queued. */
	EXPECT_EQ('S', tk_wait_asleep(tid, 5000));
	EXPECT_FALSE(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, pthread_kill(waiter, SIGUSR1));
	returned = vs_done_within(&w.done, 3000);

	/* Let the fault resolve, whatever happened: the waiter then ends. */
	EXPECT_EQ(0, tk_stall_resolve(&st));
	pthread_join(waiter, NULL);
	ASSERT_EQ(0, sigaction(SIGUSR1, &old, NULL));
	EXPECT_TRUE(returned) {
		TH_LOG("a signal did not end a read() waiting behind a stalled one");
	}
	EXPECT_EQ(-1, w.ret);
	EXPECT_EQ(EINTR, w.err);

	ASSERT_EQ((ssize_t)sizeof(first), st.ret);
	memcpy(&first, st.page, sizeof(first));
	n = tk_read_events(st.fd, rest, TK_ARRAY_SIZE(rest));
	ASSERT_LE(1, n) TH_LOG("no record left after the stalled reader's: %d", n);
	EXPECT_EQ(0U, first.seq);
	EXPECT_EQ(0, tk_seq_check(&seq, &first, &why));
	for (i = 0; i < n; i++) {
		EXPECT_NE(VQNOTIFY_EVENT_OVERFLOW, rest[i].type);
		EXPECT_EQ(0, tk_seq_check(&seq, &rest[i], &why)) {
			TH_LOG("record %d after the stalled reader's: %s", i, why.msg);
		}
	}
	tk_stall_end(&st);
}

/* nl: the netlink family, unprivileged */

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
	struct tk_shared *sh;
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
	    _test_ioctl_set_label(fd, "nobody-vm"))
		return 3;
	return tk_send_fd(sock, fd) ? 4 : 0;
}

FIXTURE_SETUP(nl)
{
	struct vqnotify_guest_info gi;
	int sv[2];

	self->root_fd = self->own_fd = -1;
	self->nl.fd = -1;
	if (access(TK_DEV_PATH, F_OK))
		SKIP(return, "no %s (module not loaded)", TK_DEV_PATH);
	ASSERT_EQ(0, tk_nl_open(&self->nl));
	self->sh = tk_shared_new();
	ASSERT_NE(NULL, self->sh);

	self->root_fd = tk_open(0);
	ASSERT_LE(0, self->root_fd);
	ASSERT_EQ(0, _test_ioctl_set_label(self->root_fd, "root-vm"));
	ASSERT_EQ(0, _test_ioctl_dev_add(self->root_fd, VQNOTIFY_TRANSPORT_MMIO, 2,
				"root0", NULL));
	ASSERT_EQ(0, _test_ioctl_dev_add(self->root_fd, VQNOTIFY_TRANSPORT_MMIO, 2,
				"root1", NULL));
	ASSERT_EQ(0, _test_ioctl_guest_get(self->root_fd, &gi));
	self->root_id = gi.guest_id;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, tk_run_as_nobody(TK_CAP_DAC, vs_open_as_nobody, &sv[1]));
	self->own_fd = tk_recv_fd(sv[0]);
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
	struct tk_nl_guest g;

	test_cmd_nl_guest_get(self->root_id, &g);
	EXPECT_EQ(0, g.uid);
	test_cmd_nl_guest_get(self->own_id, &g);
	EXPECT_EQ(TK_NOBODY, g.uid);
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
	struct tk_nl_guest r0, o0, r1, o1;

	test_cmd_nl_guest_get(self->root_id, &r0);
	test_cmd_nl_guest_get(self->own_id, &o0);
	ASSERT_EQ(0, vs_nl_as_nobody(self, vs_guest_set, false));
	EXPECT_EQ(-EPERM, self->sh->ret[0]);
	EXPECT_EQ(-EPERM, self->sh->ret[1]);
	test_cmd_nl_guest_get(self->root_id, &r1);
	test_cmd_nl_guest_get(self->own_id, &o1);
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
	EXPECT_EQ(c0.threshold,
		  c1.threshold);
}

static int vs_join_monitor(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	c->self->sh->val[0] = nl->monitor;
	c->self->sh->ret[0] = tk_nl_join_buf(nl, nl->monitor, 0);
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
	EXPECT_EQ(1U, self->sh->val[0]);
}

/* Root's guest: no record at all, before the error or with it. */
static int vs_guest_get(struct vs_nl_ctx *c, struct tk_nl *nl)
{
	struct tk_nl_attr root = { VQNOTIFY_A_GUEST_ID, c->self->root_id };
	struct vs_dump d = { 0 };

	c->self->sh->ret[0] = tk_nl_call(nl, VQNOTIFY_CMD_GUEST_GET, false,
					 &root, 1, vs_dump_cb, &d);
	c->self->sh->val[0] = d.n;
	c->self->sh->ret[1] = _test_nl_guest_get(nl, c->self->own_id, NULL);
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
	struct tk_shared *sh = c->self->sh;

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

TEST_HARNESS_MAIN
