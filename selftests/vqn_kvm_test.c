// SPDX-License-Identifier: GPL-2.0
/*
 * libvqnotify's KVM binding against the guest's real /dev/kvm: a bound
 * queue has a KVM ioeventfd exactly while the module has it ASSIGNED.
 *
 * Proof, per queue: KVM refuses a second assign of the same address (and
 * datamatch) with EEXIST when the library holds one; deassigning the
 * queue's own eventfd fails with ENOENT when it does not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "vqn_lib_utils.h"
#include "vqn_api1_wrap.h"
#include "vqn_malloc_wrap.h"

#define NQ		4
#define MAX_Q		8

/* KVM_IOEVENTFD for @n with eventfd @fd; 0 or -errno. */
static int kvm_ioeventfd(int vm, const struct vqn_kvm_notify *n, int fd,
			 bool deassign)
{
	struct kvm_ioeventfd k = {
		.datamatch = n->datamatch,
		.addr = n->addr,
		.len = n->len,
		.fd = fd,
		.flags = n->flags | (deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0),
	};

	return ioctl(vm, KVM_IOEVENTFD, &k) ? -errno : 0;
}

/* 1: KVM has an ioeventfd at @n (EEXIST); 0: it has none; or -errno. */
static int kvm_has(int vm, const struct vqn_kvm_notify *n)
{
	int fd = eventfd(0, EFD_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = kvm_ioeventfd(vm, n, fd, false);
	if (!ret)
		kvm_ioeventfd(vm, n, fd, true);
	close(fd);
	if (ret == -EEXIST)
		return 1;
	return ret;
}

FIXTURE(kvm) {
	int kvm, vm;
	struct vqn_guest *g;
	uint32_t dev[2];
	uint32_t nq[2];
	struct vqn_kvm_notify n[2][MAX_Q];
	struct vqn_result res[MAX_Q];
};

FIXTURE_VARIANT(kvm) {
	bool pio;
};

/* Legacy virtio-pci: 2-byte PIO to QUEUE_NOTIFY with the queue index. */
FIXTURE_VARIANT_ADD(kvm, legacy_pio) {
	.pio = true,
};

/* Modern virtio-pci: zero-length MMIO, one address per queue. */
FIXTURE_VARIANT_ADD(kvm, modern_mmio) {
	.pio = false,
};

static void notify_init(struct vqn_kvm_notify *n, bool pio, int d, int q)
{
	memset(n, 0, sizeof(*n));
	if (pio) {
		n->addr = 0xc050 + d * 0x40;
		n->len = 2;
		n->datamatch = q;
		n->flags = VQN_KVM_PIO | VQN_KVM_DATAMATCH;
	} else {
		n->addr = 0xfe003000 + d * 0x1000 + q * 4;
		n->len = 0;
	}
	n->fd = eventfd(0, EFD_CLOEXEC);
}

/* Add device @d with @nq queues and bind each of them. */
static int add_bound_dev(struct __test_metadata *_metadata,
			 FIXTURE_DATA(kvm) *self, bool pio, int d, uint32_t nq)
{
	uint32_t q;

	self->nq[d] = nq;
	ASSERT_EQ(0, vqn_dev_add(self->g, pio ? VQNOTIFY_TRANSPORT_PIO :
				 VQNOTIFY_TRANSPORT_MMIO, nq, d ? "net" : "blk",
				 &self->dev[d]));
	for (q = 0; q < nq; q++) {
		notify_init(&self->n[d][q], pio, d, q);
		ASSERT_LE(0, self->n[d][q].fd);
		ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[d], q,
					  &self->n[d][q]));
	}
	return 0;
}

/* Exactly the ASSIGNED queues of device @d have KVM ioeventfds. */
#define EXPECT_EXACT(d) do {						\
	uint32_t _q;							\
	for (_q = 0; _q < self->nq[d]; _q++) {				\
		struct vqn_kvm_notify *_n = &self->n[d][_q];		\
		struct vqn_view _v;					\
									\
		ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[d], _q,	\
					    &_v));			\
		if (state_of(self->g, self->dev[d], _q) ==		\
		    VQNOTIFY_VQ_ASSIGNED) {				\
			EXPECT_EQ(1, kvm_has(self->vm, _n))		\
				TH_LOG("dev %d q%u: no ioeventfd", d, _q); \
			EXPECT_TRUE(_v.kvm_assigned);			\
		} else {						\
			EXPECT_EQ(-ENOENT, kvm_ioeventfd(self->vm, _n,	\
							 _n->fd, true)) \
				TH_LOG("dev %d q%u: ioeventfd", d, _q);	\
			EXPECT_FALSE(_v.kvm_assigned);			\
		}							\
	}								\
} while (0)

FIXTURE_SETUP(kvm)
{
	self->vm = -1;
	self->g = NULL;
	if (access(VQN_DEVICE_PATH, F_OK))
		SKIP(return, "no " VQN_DEVICE_PATH);
	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (self->kvm < 0)
		SKIP(return, "no /dev/kvm: %s", strerror(errno));
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	ASSERT_EQ(0, vqn_open(&self->g, "kvmtest"));
	ASSERT_HOST_DEFAULTS(self->g);
	ASSERT_EQ(0, vqn_kvm_attach(self->g, self->vm));
	add_bound_dev(_metadata, self, variant->pio, 0, NQ);
}

FIXTURE_TEARDOWN(kvm)
{
	int d, q;

	vqn_wrap_reset();
	fail_malloc_size = 0;
	fail_calloc = false;
	vqn_close(self->g);
	for (d = 0; d < 2; d++)
		for (q = 0; q < (int)self->nq[d]; q++)
			close(self->n[d][q].fd);
	if (self->vm >= 0) {
		close(self->vm);
		close(self->kvm);
	}
}

TEST_F(kvm, probe)
{
	struct vqn_kvm_caps caps;

	ASSERT_EQ(0, vqn_probe_kvm(-1, &caps));
	EXPECT_EQ(KVM_API_VERSION, caps.api_version);
	EXPECT_TRUE(caps.ioeventfd);
	EXPECT_TRUE(caps.no_length);
	/* /dev/kvm opened by the caller: KVM's misc device, asked. */
	ASSERT_EQ(0, vqn_probe_kvm(self->kvm, &caps));
	EXPECT_EQ(KVM_API_VERSION, caps.api_version);
	EXPECT_TRUE(caps.ioeventfd);
	ASSERT_EQ(0, vqn_probe_kvm(self->vm, &caps));
	EXPECT_TRUE(caps.ioeventfd);
}

TEST_F(kvm, attach_twice)
{
	EXPECT_EQ(-EBUSY, vqn_kvm_attach(self->g, self->vm));
}

/*
 * A second guest attached to @fd gets @err and stays unattached: it can
 * attach its VM after.
 */
static void test_err_attach(struct __test_metadata *_metadata,
			    FIXTURE_DATA(kvm) *self, int fd, int err)
{
	struct vqn_guest *g;

	ASSERT_EQ(0, vqn_open(&g, "kvmtest2"));
	EXPECT_EQ(err, vqn_kvm_attach(g, fd));
	EXPECT_EQ(0, vqn_kvm_attach(g, self->vm));
	vqn_close(g);
}

TEST_F(kvm, attach_dev_kvm)
{
	test_err_attach(_metadata, self, self->kvm, -EINVAL);
}

TEST_F(kvm, attach_vcpu)
{
	int vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);

	ASSERT_LE(0, vcpu);
	test_err_attach(_metadata, self, vcpu, -EINVAL);
	close(vcpu);
}

/* A vCPU looping in its guest, "jmp ." at address 0 in real mode. */
struct spin_vcpu {
	int fd;
	pthread_t thread, prober;
	bool running;
	bool done;
	bool probing;	/* the prober runs: its ioctl is next */
	bool probed;
};

static void on_stop(int sig)
{
	(void)sig;
}

/* A vCPU ioctl: it returns only once KVM_RUN has. */
static void *probe(void *arg)
{
	struct spin_vcpu *v = arg;
	struct kvm_regs regs;

	__atomic_store_n(&v->probing, true, __ATOMIC_RELEASE);
	ioctl(v->fd, KVM_GET_REGS, &regs);
	__atomic_store_n(&v->probed, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *spin(void *arg)
{
	struct spin_vcpu *v = arg;

	__atomic_store_n(&v->running, true, __ATOMIC_RELEASE);
	ioctl(v->fd, KVM_RUN, 0);
	__atomic_store_n(&v->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Start @v's vCPU in its guest, looping, and return once it is in
 * KVM_RUN: a vCPU ioctl of another thread, still blocked, shows it.
 */
static void spin_vcpu_start(struct __test_metadata *_metadata,
			    FIXTURE_DATA(kvm) *self, struct spin_vcpu *v,
			    uint8_t **memp)
{
	struct kvm_userspace_memory_region mr = { .memory_size = 4096 };
	struct sigaction sa = { .sa_handler = on_stop };
	struct kvm_regs regs = { .rflags = 2 };
	struct kvm_sregs sregs;
	unsigned int tries;
	uint8_t *mem;

	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	*memp = mem;
	mem[0] = 0xeb;
	mem[1] = 0xfe;
	mr.userspace_addr = (uintptr_t)mem;
	ASSERT_EQ(0, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, &mr));
	v->fd = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, v->fd);
	ASSERT_EQ(0, ioctl(v->fd, KVM_GET_SREGS, &sregs));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ASSERT_EQ(0, ioctl(v->fd, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, ioctl(v->fd, KVM_SET_REGS, &regs));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&v->thread, NULL, spin, v));
	while (!__atomic_load_n(&v->running, __ATOMIC_ACQUIRE))
		usleep(1000);
	/*
	 * Into KVM_RUN, holding the vCPU: a probe still blocked 100 ms after
	 * its thread ran shows it (a thread not yet run would look the same).
	 * One that returned came before KVM_RUN (a slow machine's
	 * scheduler): probe again, for up to 5 s.
	 */
	usleep(200 * 1000);
	for (tries = 1;; tries++) {
		__atomic_store_n(&v->probed, false, __ATOMIC_RELEASE);
		__atomic_store_n(&v->probing, false, __ATOMIC_RELEASE);
		ASSERT_EQ(0, pthread_create(&v->prober, NULL, probe, v));
		while (!__atomic_load_n(&v->probing, __ATOMIC_ACQUIRE))
			usleep(1000);
		usleep(100 * 1000);
		if (!__atomic_load_n(&v->probed, __ATOMIC_ACQUIRE) ||
		    tries == 50)
			break;
		pthread_join(v->prober, NULL);
	}
	EXPECT_FALSE(__atomic_load_n(&v->probed, __ATOMIC_ACQUIRE))
		TH_LOG("the vCPU was not in KVM_RUN: nothing tested");
	EXPECT_FALSE(__atomic_load_n(&v->done, __ATOMIC_ACQUIRE));
}

/* Out of KVM_RUN (SIGUSR1), and gone. */
static void spin_vcpu_stop(struct spin_vcpu *v, uint8_t *mem)
{
	while (!__atomic_load_n(&v->done, __ATOMIC_ACQUIRE)) {
		pthread_kill(v->thread, SIGUSR1);
		usleep(10 * 1000);
	}
	pthread_join(v->thread, NULL);
	pthread_join(v->prober, NULL);
	close(v->fd);
	munmap(mem, 4096);
}

/*
 * A vCPU's ioctls wait for its KVM_RUN: asking the vCPU what it is would
 * block the VMM for as long as the guest runs. The harness's timeout fails
 * a library that asks.
 */
TEST_F(kvm, attach_running_vcpu)
{
	struct spin_vcpu v = { .fd = -1 };
	uint8_t *mem;

	spin_vcpu_start(_metadata, self, &v, &mem);
	test_err_attach(_metadata, self, v.fd, -EINVAL);
	spin_vcpu_stop(&v, mem);
}

/* vqn_probe_kvm() asks a running vCPU nothing either. */
TEST_F(kvm, probe_running_vcpu)
{
	struct spin_vcpu v = { .fd = -1 };
	struct vqn_kvm_caps caps;
	uint8_t *mem;

	spin_vcpu_start(_metadata, self, &v, &mem);
	EXPECT_EQ(-EINVAL, vqn_probe_kvm(v.fd, &caps));
	spin_vcpu_stop(&v, mem);
}

/* vqn_probe_kvm() of @fd (opened for it, closed after) fails with @err. */
static void test_err_probe(struct __test_metadata *_metadata, int fd,
			   int err)
{
	struct vqn_kvm_caps caps;

	ASSERT_LE(0, fd);
	EXPECT_EQ(err, vqn_probe_kvm(fd, &caps));
	close(fd);
}

TEST_F(kvm, probe_vcpu)
{
	test_err_probe(_metadata, ioctl(self->vm, KVM_CREATE_VCPU, 0), -EINVAL);
}

TEST_F(kvm, probe_eventfd)
{
	test_err_probe(_metadata, eventfd(0, EFD_CLOEXEC), -EINVAL);
}

/* A character device that is not /dev/kvm. */
TEST_F(kvm, probe_dev_null)
{
	test_err_probe(_metadata, open("/dev/null", O_RDONLY | O_CLOEXEC),
		       -EINVAL);
}

TEST_F(kvm, probe_closed_fd)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	struct vqn_kvm_caps caps;

	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-EBADF, vqn_probe_kvm(fd, &caps));
}

TEST_F(kvm, attach_eventfd)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, fd);
	test_err_attach(_metadata, self, fd, -EINVAL);
	close(fd);
}

/* Not the lowest free number: the second guest's own file would get it. */
TEST_F(kvm, attach_closed_fd)
{
	const int fd = 1000;

	ASSERT_EQ(-1, fcntl(fd, F_GETFD));
	ASSERT_EQ(EBADF, errno);
	test_err_attach(_metadata, self, fd, -EBADF);
}

/* KVM serves a VM's ioctls to the process that created it only. */
TEST_F(kvm, attach_other_process_vm)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		struct vqn_guest *g;
		int ret;

		if (vqn_open(&g, "kvmtest2"))
			_exit(100);
		ret = vqn_kvm_attach(g, self->vm);
		vqn_close(g);
		_exit(ret == -EIO ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(kvm, none_before_driver_ok)
{
	EXPECT_EXACT(0);
}

TEST_F(kvm, driver_ok_assigns_exactly)
{
	uint64_t ready = 0xb;	/* queue 2 not initialised */

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, &ready,
				     NULL, 0));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 2));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 3));
	EXPECT_EXACT(0);
}

TEST_F(kvm, bind_after_driver_ok)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 1, NULL));
	EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][1]));
	ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 1, &self->n[0][1]));
	EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][1]));
}

/* vhost takes an ASSIGNED queue (d): the library's ioeventfd goes. */
TEST_F(kvm, vhost_takes_and_returns)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[0], 0, true, NULL));
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, state_of(self->g, self->dev[0], 0));
	EXPECT_EXACT(0);
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[0], 0, false,
				       NULL));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 0));
	EXPECT_EXACT(0);
}

/*
 * Budget 7, and a second device ("net", 4 queues) beside the first (NQ):
 * both DRIVER_OK, the first device's queues and three of net's hold the
 * seven slots, and net's queue 3 waits for one.
 */
static void fill_budget(struct __test_metadata *_metadata,
			FIXTURE_DATA(kvm) *self, bool pio)
{
	ASSERT_EQ(0, vqn_set_budget(self->g, 7));
	add_bound_dev(_metadata, self, pio, 1, 4);
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(4, vqn_set_status(self->g, self->dev[1], STATUS_OK, NULL,
				    NULL, 0));
}

/* vhost needs a slot in a full budget: the newest grant's goes (p). */
TEST_F(kvm, preemption_removes)
{
	struct vqn_event ev[8];
	int n;

	fill_budget(_metadata, self, variant->pio);
	EXPECT_EXACT(0);
	EXPECT_EXACT(1);
	EXPECT_EQ(1, kvm_has(self->vm, &self->n[1][2]));

	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[1], 3, true, NULL));
	n = vqn_read_events(self->g, ev, 8);
	ASSERT_EQ(1, n);
	EXPECT_EQ(VQNOTIFY_LABEL_P, ev[0].label);
	EXPECT_EQ(2u, ev[0].queue);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[1], 2));
	EXPECT_EQ(-ENOENT, kvm_ioeventfd(self->vm, &self->n[1][2],
					 self->n[1][2].fd, true));
	EXPECT_EXACT(0);
	EXPECT_EXACT(1);
}

TEST_F(kvm, reset_removes)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	EXPECT_EXACT(0);
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], 0, NULL, NULL,
				     0));
	EXPECT_EXACT(0);
}

TEST_F(kvm, driver_ok_cleared_removes)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0],
				     STATUS_OK & ~VQNOTIFY_STATUS_DRIVER_OK,
				     NULL, NULL, 0));
	EXPECT_EXACT(0);
}

/*
 * Someone else holds queue 1's address: KVM refuses the library's assign
 * with EEXIST. The queue falls back to DEASSIGNED, the module is told
 * (it holds no slot for it), the other queues keep theirs, and the
 * process goes on: no abort().
 */
TEST_F(kvm, refused_falls_back)
{
	struct vqnotify_guest_info gi;
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqnotify_vq_info info;
	struct vqn_view v;
	int n, i;

	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	n = vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL, self->res,
			   MAX_Q);
	ASSERT_EQ(NQ, n);
	for (i = 0; i < n; i++) {
		if (self->res[i].queue != 1) {
			EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED,
				  self->res[i].new_state);
			EXPECT_EQ(0, self->res[i].kvm_err);
			continue;
		}
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, self->res[i].new_state);
		EXPECT_EQ(-EEXIST, self->res[i].kvm_err);
	}
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 1, &v));
	EXPECT_TRUE(v.refused);
	EXPECT_FALSE(v.kvm_assigned);
	EXPECT_EQ(-EEXIST, v.kvm_err);
	ASSERT_EQ(0, vqn_queue_get(self->g, self->dev[0], 1, &info));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, info.state);
	/* API 2: released alone (x), not by a DRIVER_OK restart. */
	EXPECT_EQ(VQNOTIFY_REASON_KVM_REFUSED, info.reason);
	EXPECT_EQ(VQNOTIFY_LABEL_X, info.label);
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_EQ(3u, gi.used);
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_S]);
	for (i = 0; i < NQ; i++)
		if (i != 1)
			EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][i]));
	/* The foreign ioeventfd is still the only one at that address. */
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][1]));

	/* Bound again, the queue gets its slot at the next DRIVER_OK. */
	ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 1, &self->n[0][1]));
	ASSERT_EQ(NQ - 1, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 1));
	EXPECT_EXACT(0);
	close(foreign);
}

/*
 * A reset asks KVM again: the queue KVM refused (its address someone
 * else's, for a while) is left out of the DRIVER_OKs that follow, until
 * the device is reset. It stayed out for the VM's life unless bound again:
 * a refusal for the moment (ENOMEM, KVM's bus full) trapped it for good.
 */
TEST_F(kvm, refused_asked_again_after_reset)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqn_view v;

	ASSERT_LE(0, foreign);
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 1));
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));

	/* DRIVER_OK cleared and set again, no reset: still left out. */
	ASSERT_LE(0, vqn_set_status(self->g, self->dev[0], 1, NULL, NULL, 0));
	ASSERT_LE(0, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				    NULL, 0));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 1));
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 1, &v));
	EXPECT_TRUE(v.refused);

	/* Reset, then DRIVER_OK: asked again, and KVM takes it now. */
	ASSERT_LE(0, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 1));
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 1, &v));
	EXPECT_FALSE(v.refused);
	EXPECT_EXACT(0);
	close(foreign);
}

/*
 * The ready bitmap vqn_set_status() passes on, less the queues KVM
 * refused, is the library's from the device's add: clearing DRIVER_OK,
 * setting it again (the caller's bitmap filtered) and the reset ask for no
 * memory. It was allocated per call: with a queue refused, a reset could
 * fail ENOMEM before reaching the module, the device left running.
 */
TEST_F(kvm, refused_set_status_needs_no_memory)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	uint64_t ready = 0x7;	/* queues 0-2; 3 not initialised */
	struct vqn_view v;
	uint32_t q;

	ASSERT_LE(0, foreign);
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 1, &v));
	ASSERT_TRUE(v.refused);
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));

	fail_calloc = true;
	calloc_calls = 0;
	EXPECT_LE(0, vqn_set_status(self->g, self->dev[0], 1, NULL, NULL, 0));
	EXPECT_LE(0, vqn_set_status(self->g, self->dev[0], STATUS_OK, &ready,
				    NULL, 0));
	fail_calloc = false;
	EXPECT_EQ(0u, calloc_calls);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 0));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 1));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 2));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 3));
	/* The caller's bitmap is left as it was. */
	EXPECT_EQ(0x7u, ready);
	EXPECT_EXACT(0);

	fail_calloc = true;
	calloc_calls = 0;
	EXPECT_LE(0, vqn_set_status(self->g, self->dev[0], 0, NULL, NULL, 0));
	fail_calloc = false;
	EXPECT_EQ(0u, calloc_calls);
	for (q = 0; q < NQ; q++)
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED,
			  state_of(self->g, self->dev[0], q));
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 1, &v));
	EXPECT_FALSE(v.refused);
	EXPECT_EXACT(0);
	close(foreign);
}

/* The same on an asynchronous promotion (r). */
TEST_F(kvm, refused_promotion_falls_back)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqn_event ev[16];
	bool seen = false;
	int n, i;

	fill_budget(_metadata, self, variant->pio);
	/* net q3 waits for a slot; its address is taken meanwhile. */
	ASSERT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[1], 3));
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[1][3], foreign, false));
	/* The disk's reset frees 4 slots: net q3 is promoted (r). */
	ASSERT_EQ(NQ, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	while ((n = vqn_read_events(self->g, ev, 16)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].dev_id != self->dev[1] || ev[i].queue != 3)
				continue;
			EXPECT_EQ(VQNOTIFY_LABEL_R, ev[i].label);
			EXPECT_EQ(-EEXIST, ev[i].kvm_err);
			EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[i].new_state);
			seen = true;
		}
	}
	EXPECT_TRUE(seen);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[1], 3));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED,
			  state_of(self->g, self->dev[1], i));
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[1][3], foreign, true));
	self->nq[1] = 3;	/* q3's address was someone else's */
	EXPECT_EXACT(0);
	EXPECT_EXACT(1);
	self->nq[1] = 4;
	close(foreign);
}

/*
 * A queue promoted behind the library (a raw GUEST_SET: the event unread)
 * at an address KVM has taken, then bound elsewhere: the bind reads the
 * promotion first, KVM refuses it under the old binding, and the module,
 * not told yet, keeps the queue ASSIGNED. The new binding gets the
 * ioeventfd; before, the bind forgot the refusal and the queue trapped
 * with its slot held, the view DEASSIGNED against the module's ASSIGNED.
 */
TEST_F(kvm, rebind_after_an_unreported_refusal)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqn_kvm_notify alt;
	struct vqn_event ev[16];
	struct vqn_view v;

	ASSERT_LE(0, foreign);
	fill_budget(_metadata, self, variant->pio);
	ASSERT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[1], 3));
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[1][3], foreign, false));
	ASSERT_EQ(0, _test_ioctl_set_budget(vqn_fd(self->g), 8));
	alt = self->n[1][3];
	if (variant->pio)
		alt.datamatch += MAX_Q;
	else
		alt.addr += 0x800;
	alt.fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, alt.fd);
	EXPECT_EQ(0, vqn_kvm_bind(self->g, self->dev[1], 3, &alt));
	while (vqn_read_events(self->g, ev, 16) > 0)
		;
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[1], 3));
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[1], 3, &v));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, v.state);
	EXPECT_TRUE(v.kvm_assigned);
	EXPECT_EQ(1, kvm_has(self->vm, &alt)) {
		TH_LOG("the module's ASSIGNED queue has no ioeventfd in KVM");
	}
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[1][3], foreign, true));
	close(alt.fd);
	close(foreign);
}

/*
 * The admin's view (VQNOTIFY_DEV_GET) of device @d agrees with KVM: a
 * queue the module has ASSIGNED has the library's ioeventfd (EEXIST on a
 * second assign, its own eventfd deassigns), any other has none of the
 * library's (ENOENT). The ioeventfd found is put back.
 */
#define EXPECT_ADMIN_VIEW(d) do {					\
	struct vqnotify_vq_info _vi[MAX_Q];				\
	struct vqnotify_dev_get _dg;					\
	int _n, _q;							\
									\
	_n = vqn_dev_get(self->g, self->dev[d], &_dg, _vi, MAX_Q);	\
	ASSERT_EQ((int)self->nq[d], _n);				\
	for (_q = 0; _q < _n; _q++) {					\
		struct vqn_kvm_notify *_k = &self->n[d][_q];		\
		int _r = kvm_ioeventfd(self->vm, _k, _k->fd, true);	\
									\
		if (_vi[_q].state == VQNOTIFY_VQ_ASSIGNED &&		\
		    !(_vi[_q].flags & VQNOTIFY_VQ_PARKED)) {		\
			EXPECT_EQ(0, _r) TH_LOG("dev %d q%d: module "	\
				"ASSIGNED, KVM has none", d, _q);	\
			if (!_r)					\
				ASSERT_EQ(0, kvm_ioeventfd(self->vm, _k, \
							   _k->fd, false)); \
		} else {						\
			EXPECT_EQ(-ENOENT, _r) TH_LOG("dev %d q%d: "	\
				"module %s, KVM has one", d, _q,	\
				vqn_state_name(_vi[_q].state));		\
		}							\
	}								\
} while (0)

/* The counter of transition @label in the guest's counts. */
static uint64_t count_of(struct vqn_guest *g, unsigned int label)
{
	struct vqnotify_guest_info gi;

	return vqn_guest_get(g, &gi) ? ~0ULL : gi.counts[label];
}

/*
 * Issue 8 item 4: KVM refuses one queue's KVM_IOEVENTFD at DRIVER_OK.
 * Only that queue is released (x, KVM_REFUSED, not waiting); the
 * device's other queues keep the slot (b) gave them, no (s) is counted
 * (API 1's fallback cleared and set DRIVER_OK), another device is not
 * touched, and the admin view agrees with what KVM holds.
 */
TEST_F(kvm, kvm_refused_only_that_queue)
{
	struct vqnotify_vq_info before[MAX_Q], after[MAX_Q], info;
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	struct vqn_view v;
	int n, i;

	add_bound_dev(_metadata, self, variant->pio, 1, 4);
	ASSERT_EQ(4, vqn_set_status(self->g, self->dev[1], STATUS_OK, NULL,
				    NULL, 0));
	ASSERT_EQ(4, vqn_dev_get(self->g, self->dev[1], &dg, before, MAX_Q));

	/* Someone else holds blk q2's address: KVM says EEXIST. */
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][2], foreign, false));
	n = vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL, self->res,
			   MAX_Q);
	ASSERT_EQ(NQ, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(self->res[i].queue == 2 ? -EEXIST : 0,
			  self->res[i].kvm_err) TH_LOG("q%u",
						       self->res[i].queue);

	for (i = 0; i < NQ; i++) {
		ASSERT_EQ(0, vqn_queue_get(self->g, self->dev[0], i, &info));
		if (i == 2) {
			EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, info.state);
			EXPECT_EQ(VQNOTIFY_REASON_KVM_REFUSED, info.reason);
			EXPECT_EQ(VQNOTIFY_LABEL_X, info.label);
			EXPECT_FALSE(!!(info.flags & VQNOTIFY_VQ_WAITING));
			continue;
		}
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, info.state) TH_LOG("q%d", i);
		EXPECT_EQ(VQNOTIFY_LABEL_B, info.label) TH_LOG("q%d", i);
		EXPECT_EQ(VQNOTIFY_REASON_GRANTED, info.reason);
	}
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 2, &v));
	EXPECT_TRUE(v.refused);
	EXPECT_EQ(-EEXIST, v.kvm_err);

	/* The other device: same states, same grants (assign_seq). */
	ASSERT_EQ(4, vqn_dev_get(self->g, self->dev[1], &dg, after, MAX_Q));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(before[i].state, after[i].state);
		EXPECT_EQ(before[i].label, after[i].label);
		EXPECT_EQ(before[i].reason, after[i].reason);
		EXPECT_EQ(before[i].assign_seq, after[i].assign_seq);
	}

	/* What the guest did, counted: 8 x (b), one (x), nothing else. */
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_S]);
	EXPECT_EQ(1u, gi.counts[VQNOTIFY_LABEL_X]);
	EXPECT_EQ(8u, gi.counts[VQNOTIFY_LABEL_B]);
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_G]);
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_P]);
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_R]);
	EXPECT_EQ(7u, gi.used);
	EXPECT_EQ(7u, gi.nr_assigned);
	EXPECT_EQ(0u, gi.nr_waiting);

	/* The foreign ioeventfd is the only one at q2's address. */
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][2], foreign, true));
	EXPECT_ADMIN_VIEW(0);
	EXPECT_ADMIN_VIEW(1);
	close(foreign);
}

/*
 * The same when KVM refuses a queue acquired later (the dataplane starts
 * it, VQNOTIFY_QUEUES_ACQUIRE): the device's running queues keep the
 * very grants they had (assign_seq), no (s), no (b) again.
 */
TEST_F(kvm, kvm_refused_on_acquire)
{
	struct vqnotify_vq_info before[MAX_Q], after[MAX_Q];
	int foreign = eventfd(0, EFD_CLOEXEC);
	uint64_t ready = 0xb, q2 = 1ULL << 2;	/* q2 starts later */
	struct vqnotify_dev_get dg;
	int n, i;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, &ready,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_dev_get(self->g, self->dev[0], &dg, before, MAX_Q));
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][2], foreign, false));

	n = vqn_queues_acquire(self->g, self->dev[0], &q2, NQ, self->res,
			       MAX_Q);
	ASSERT_EQ(1, n);
	EXPECT_EQ(2u, self->res[0].queue);
	EXPECT_EQ(VQNOTIFY_LABEL_Q, self->res[0].label);
	EXPECT_EQ(-EEXIST, self->res[0].kvm_err);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, self->res[0].new_state);

	ASSERT_EQ(NQ, vqn_dev_get(self->g, self->dev[0], &dg, after, MAX_Q));
	EXPECT_EQ((uint32_t)STATUS_OK, dg.status);
	for (i = 0; i < NQ; i++) {
		if (i == 2)
			continue;
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, after[i].state);
		EXPECT_EQ(before[i].assign_seq, after[i].assign_seq)
			TH_LOG("q%d lost and got back its slot", i);
		EXPECT_EQ(VQNOTIFY_LABEL_B, after[i].label);
	}
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, after[2].state);
	EXPECT_EQ(VQNOTIFY_REASON_KVM_REFUSED, after[2].reason);
	EXPECT_FALSE(!!(after[2].flags & VQNOTIFY_VQ_WAITING));
	EXPECT_EQ(0u, count_of(self->g, VQNOTIFY_LABEL_S));
	EXPECT_EQ(3u, count_of(self->g, VQNOTIFY_LABEL_B));
	EXPECT_EQ(1u, count_of(self->g, VQNOTIFY_LABEL_Q));
	EXPECT_EQ(1u, count_of(self->g, VQNOTIFY_LABEL_X));
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][2], foreign, true));
	EXPECT_ADMIN_VIEW(0);
	close(foreign);
}

/*
 * The fixture's guest and device 0 again, on an API 1 module (no
 * per-queue calls): a queue KVM refuses is left out by restarting the
 * device, DRIVER_OK cleared (s) and set again (b).
 */
static void reopen_api1(struct __test_metadata *_metadata,
			FIXTURE_DATA(kvm) *self, bool pio)
{
	struct vqnotify_info info;
	uint32_t q;

	vqn_close(self->g);
	for (q = 0; q < self->nq[0]; q++)
		close(self->n[0][q].fd);
	self->nq[0] = 0;
	vqn_api1 = true;
	ASSERT_EQ(0, vqn_open(&self->g, "kvmtest-api1"));
	ASSERT_EQ(0, vqn_get_info(self->g, &info));
	ASSERT_EQ(1u, info.api_version);
	ASSERT_EQ(0, vqn_kvm_attach(self->g, self->vm));
	add_bound_dev(_metadata, self, pio, 0, NQ);
}

/*
 * API 1: KVM refuses queue 1 at DRIVER_OK. The device is restarted
 * without it: one (s), the others' slots given again (b), queue 1
 * DEASSIGNED and no longer initialised, the process goes on.
 */
TEST_F(kvm, api1_refused_restarts_device)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi[MAX_Q];
	int i;

	reopen_api1(_metadata, self, variant->pio);
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     self->res, MAX_Q));
	ASSERT_EQ(NQ, vqn_dev_get(self->g, self->dev[0], &dg, vi, MAX_Q));
	EXPECT_EQ((uint32_t)STATUS_OK, dg.status);
	for (i = 0; i < NQ; i++) {
		if (i == 1) {
			EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, vi[i].state);
			EXPECT_FALSE(!!(vi[i].flags & VQNOTIFY_VQ_INITIALISED));
			continue;
		}
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, vi[i].state) TH_LOG("q%d", i);
		EXPECT_EQ(VQNOTIFY_LABEL_B, vi[i].label) TH_LOG("q%d", i);
	}
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_EQ(3u, gi.used);
	/* (s) of the four (b) gave, then (b) again for three. */
	EXPECT_EQ(4u, gi.counts[VQNOTIFY_LABEL_S]);
	EXPECT_EQ(7u, gi.counts[VQNOTIFY_LABEL_B]);
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_G]);
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_X]);
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EXACT(0);
	close(foreign);
}

/*
 * API 1, a device whose status is DRIVER_OK alone: clearing DRIVER_OK
 * leaves 0, a reset (g). The restart must stop the device's ioeventfds
 * (s) all the same, leaving vhost's queue with vhost.
 */
TEST_F(kvm, api1_refused_driver_ok_alone_keeps_vhost)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqnotify_guest_info gi;
	struct vqnotify_dev_get dg;
	struct vqnotify_vq_info vi[MAX_Q];

	reopen_api1(_metadata, self, variant->pio);
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[0], 3, true, NULL));
	ASSERT_EQ(VQNOTIFY_VQ_OFFLIMITS, state_of(self->g, self->dev[0], 3));
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	ASSERT_LE(0, vqn_set_status(self->g, self->dev[0],
				    VQNOTIFY_STATUS_DRIVER_OK, NULL, self->res,
				    MAX_Q));
	ASSERT_EQ(NQ, vqn_dev_get(self->g, self->dev[0], &dg, vi, MAX_Q));
	EXPECT_EQ((uint32_t)VQNOTIFY_STATUS_DRIVER_OK, dg.status);
	EXPECT_EQ(VQNOTIFY_VQ_OFFLIMITS, vi[3].state)
		TH_LOG("vhost's queue %s, label %u",
		       vqn_state_name(vi[3].state), vi[3].label);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, vi[1].state);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, vi[0].state);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, vi[2].state);
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_G]);
	EXPECT_EQ(3u, gi.used);
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EXACT(0);
	close(foreign);
}

/*
 * Read every pending event; @seen[q], when not NULL, takes the last state
 * reported for device 0's queue q. Returns how many failures of settling
 * (-ENOMEM, after the events before it) came instead of events: one at
 * most, or the read fails the test.
 */
static int read_all_events(struct __test_metadata *_metadata,
			   FIXTURE_DATA(kvm) *self, uint8_t *seen)
{
	struct vqn_event ev[16];
	int n, i, failed = 0;

	for (;;) {
		n = vqn_read_events(self->g, ev, 16);
		if (n == -ENOMEM && !failed++)
			continue;
		if (n <= 0)
			break;
		for (i = 0; seen && i < n; i++)
			if (ev[i].type == VQNOTIFY_EVENT_TRANSITION &&
			    ev[i].dev_id == self->dev[0] && ev[i].queue < NQ)
				seen[ev[i].queue] = ev[i].new_state;
	}
	EXPECT_EQ(0, n);
	return failed;
}

/*
 * The library's queue of events, empty, then full: its first 64 events,
 * unread (a growth would take 128 * sizeof(struct vqn_event)). They are
 * a device's with the budget's eight slots, one queue preempted (p) and
 * promoted (r) in turn; the budget is left at 8, all eight held.
 */
static void fill_events(struct __test_metadata *_metadata,
			FIXTURE_DATA(kvm) *self)
{
	struct vqn_event ev[16];
	uint32_t filler;
	int i;

	ASSERT_EQ(0, vqn_set_budget(self->g, 8));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 8, "fill",
				 &filler));
	ASSERT_EQ(8, vqn_set_status(self->g, filler, STATUS_OK, NULL, NULL,
				    0));
	while (vqn_read_events(self->g, ev, 16) > 0)
		;
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, vqn_set_budget(self->g, i % 2 ? 8 : 7));
}

/*
 * API 1: the restart that leaves a refused queue out moves the device's
 * other queues, and those that end up elsewhere are reported as library
 * events (the module reports none of the caller's own calls). Here the
 * guest's budget left queue 3 without a slot, and the restart gives it
 * queue 1's. With no room to queue that event (the library's queue of 64
 * events full, and no memory to grow it), the restart must not happen
 * either: made and unreported, its change was in the view, and the resync
 * after it found nothing to report.
 */
TEST_F(kvm, api1_restart_without_memory_reported_later)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	uint8_t seen[NQ] = { 0 };

	ASSERT_LE(0, foreign);
	reopen_api1(_metadata, self, variant->pio);
	fill_events(_metadata, self);
	/* Three slots for device 0's four queues. */
	ASSERT_EQ(0, vqn_set_budget(self->g, 11));
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	fail_malloc_size = 128 * sizeof(struct vqn_event);
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     self->res, MAX_Q));
	ASSERT_EQ(0u, fail_malloc_size)
		TH_LOG("the queue of events never had to grow: not filled");
	EXPECT_EQ(1, read_all_events(_metadata, self, seen));
	ASSERT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 3));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, seen[3]);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 1));
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EXACT(0);
	close(foreign);
}

/*
 * Queue 1's address taken by @foreign, DRIVER_OK with ioctl @req failing
 * (ENOMEM, through the ioctl wrapper) once @skip of them went through
 * (the caller's SET_STATUS is the first). The number of its results.
 */
static int driver_ok_failing(struct __test_metadata *_metadata,
			     FIXTURE_DATA(kvm) *self, int foreign,
			     unsigned long req, unsigned int skip)
{
	int n;

	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	vqn_fail_req = req;
	vqn_fail_errno = ENOMEM;
	vqn_fail_skip = skip;
	n = vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL, self->res,
			   MAX_Q);
	vqn_fail_req = 0;
	ASSERT_EQ(NQ, n);
	ASSERT_EQ(0u, vqn_fail_skip) TH_LOG("no failure made");
	return n;
}

/* The same on an API 1 module: SET_STATUS fails in the restart. */
static int api1_restart_failing(struct __test_metadata *_metadata,
				FIXTURE_DATA(kvm) *self, bool pio, int foreign,
				unsigned int skip)
{
	reopen_api1(_metadata, self, pio);
	return driver_ok_failing(_metadata, self, foreign, VQNOTIFY_SET_STATUS,
				 skip);
}

/* Device 0's queues were last reported (@seen) in the module's state. */
static void expect_last_reported(struct __test_metadata *_metadata,
				 FIXTURE_DATA(kvm) *self, const uint8_t *seen)
{
	uint32_t q;

	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(state_of(self->g, self->dev[0], q), seen[q]) {
			TH_LOG("queue %u: the last state reported", q);
		}
	}
}

/*
 * API 1: the restart's second call fails (the module out of memory, say)
 * after its first stopped the device (s). The queues the first call moved
 * are reported all the same: the resync after the failure finds them in
 * the view already, and reports nothing.
 */
TEST_F(kvm, api1_restart_failed_reports_what_it_moved)
{
	int foreign = eventfd(0, EFD_CLOEXEC), n, i;
	uint8_t seen[NQ];

	ASSERT_LE(0, foreign);
	/* The caller's DRIVER_OK and the restart's (s) go through. */
	n = api1_restart_failing(_metadata, self, variant->pio, foreign, 2);
	for (i = 0; i < n; i++)
		seen[self->res[i].queue] = self->res[i].new_state;
	EXPECT_EQ(1, read_all_events(_metadata, self, seen));
	expect_last_reported(_metadata, self, seen);
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EXACT(0);
	close(foreign);
}

/*
 * API 1: KVM refuses queue 1 at DRIVER_OK, and the restart's first call
 * fails: the module keeps queue 1 ASSIGNED. The resync at the next
 * settling finds it so and asks for the restart again, which goes
 * through then. The caller heard of the refusal once, in the DRIVER_OK's
 * result. The resync asked KVM again, and reported the second refusal
 * (DEASSIGNED -> DEASSIGNED with kvm_err) though nothing it sees moved.
 */
TEST_F(kvm, api1_refused_again_in_the_resync_reported_once)
{
	int foreign = eventfd(0, EFD_CLOEXEC), refusals = 0, n, i;
	struct vqn_event ev[16];
	uint8_t seen[NQ];

	ASSERT_LE(0, foreign);
	/* The caller's DRIVER_OK goes through, the restart's (s) fails. */
	n = api1_restart_failing(_metadata, self, variant->pio, foreign, 1);
	for (i = 0; i < n; i++) {
		seen[self->res[i].queue] = self->res[i].new_state;
		if (!self->res[i].kvm_err)
			continue;
		refusals++;
		EXPECT_EQ(1u, self->res[i].queue);
		EXPECT_EQ(-EEXIST, self->res[i].kvm_err);
	}
	ASSERT_EQ(1, refusals);
	ASSERT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 1));
	/* The settling of the reads: the resync, then the restart. */
	while ((n = vqn_read_events(self->g, ev, 16)) > 0 || n == -ENOMEM) {
		for (i = 0; i < n; i++) {
			if (ev[i].type != VQNOTIFY_EVENT_TRANSITION ||
			    ev[i].dev_id != self->dev[0] || ev[i].queue >= NQ)
				continue;
			seen[ev[i].queue] = ev[i].new_state;
			EXPECT_EQ(0, ev[i].kvm_err) {
				TH_LOG("queue %u: %s -> %s, refused again",
				       ev[i].queue,
				       vqn_state_name(ev[i].old_state),
				       vqn_state_name(ev[i].new_state));
			}
		}
	}
	ASSERT_EQ(0, n);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 1)) {
		TH_LOG("no restart after the resync");
	}
	expect_last_reported(_metadata, self, seen);
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EXACT(0);
	close(foreign);
}

/*
 * KVM refuses queue 1 at DRIVER_OK and the release that tells the module
 * fails (ENOMEM, injected): the module keeps it ASSIGNED, and the device
 * is resynchronised at the next settling, here that of the guest
 * stopping, when the library wants no ioeventfd. The resync tells the
 * module again. It took the queue ASSIGNED in the view (no KVM asked,
 * stopped), then running again KVM refused it again: one refusal reported
 * three times (in the result, DEASSIGNED -> ASSIGNED, ASSIGNED ->
 * DEASSIGNED), the module told only then.
 */
TEST_F(kvm, refused_then_stopped_stays_refused)
{
	int foreign = eventfd(0, EFD_CLOEXEC), n, i, refusals = 0, seen = 0;
	struct vqn_event ev[16];

	ASSERT_LE(0, foreign);
	n = driver_ok_failing(_metadata, self, foreign, VQNOTIFY_QUEUES_RELEASE,
			      0);
	for (i = 0; i < n; i++)
		refusals += !!self->res[i].kvm_err;
	ASSERT_EQ(1, refusals);
	ASSERT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 1))
		TH_LOG("the release went through");
	ASSERT_EQ(0, vqn_set_run_state(self->g, VQNOTIFY_RUN_STOPPED));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 1))
		TH_LOG("the module not told at the resync");
	ASSERT_EQ(0, vqn_set_run_state(self->g, VQNOTIFY_RUN_RUNNING));
	while ((n = vqn_read_events(self->g, ev, 16)) > 0 || n == -ENOMEM) {
		for (i = 0; i < n; i++) {
			if (ev[i].type != VQNOTIFY_EVENT_TRANSITION ||
			    ev[i].dev_id != self->dev[0] || ev[i].queue != 1)
				continue;
			TH_LOG("queue 1: %s -> %s, kvm_err %d",
			       vqn_state_name(ev[i].old_state),
			       vqn_state_name(ev[i].new_state), ev[i].kvm_err);
			seen++;
		}
	}
	ASSERT_EQ(0, n);
	/*
	 * Reported once, in the result: the release (x) is the library's
	 * own call, and moved no queue of the view.
	 */
	EXPECT_EQ(0, seen);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 1));
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EXACT(0);
	close(foreign);
}

/*
 * KVM fails to remove the ioeventfds of a reset device (EIO, injected):
 * the reset's results say so, and the view keeps them. A resync (here
 * after events taken by another reader of the fd) tries the removes
 * again, and they fail again: one failure of settling, which
 * vqn_read_events() returns, as vqn_kvm_apply_one() reports one. It was
 * a DEASSIGNED -> DEASSIGNED event per queue at every resync.
 */
TEST_F(kvm, deassign_failed_again_in_the_resync_is_settling)
{
	struct pollfd p = { .fd = vqn_fd(self->g), .events = POLLIN };
	struct vqnotify_event raw[8];
	struct vqn_event ev[16];
	int n, i, failed = 0;
	struct vqn_view v;
	uint32_t other, q;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	vqn_fail_req = KVM_IOEVENTFD;
	vqn_fail_errno = EIO;
	ASSERT_EQ(NQ, vqn_dev_reset(self->g, self->dev[0], self->res, MAX_Q));
	for (i = 0; i < NQ; i++)
		EXPECT_EQ(-EIO, self->res[i].kvm_err);
	/*
	 * The events' device, unbound (its queues make no KVM call): budget
	 * 8 (the threshold is 7) for its 9 queues, the ninth waits.
	 */
	ASSERT_EQ(0, vqn_set_budget(self->g, 8));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 9, "other",
				 &other));
	ASSERT_EQ(9, vqn_set_status(self->g, other, STATUS_OK, NULL, NULL, 0));
	/*
	 * A preemption taken by another reader, then the slot to the queue
	 * that waited longest: a gap.
	 */
	ASSERT_EQ(0, _test_ioctl_set_budget(p.fd, 7));
	ASSERT_EQ(1, poll(&p, 1, 1000));
	ASSERT_LT(0, read(p.fd, raw, sizeof(raw)));
	ASSERT_EQ(0, _test_ioctl_set_budget(p.fd, 8));
	vqn_count_req = KVM_IOEVENTFD;
	vqn_count = 0;
	while ((n = vqn_read_events(self->g, ev, 16)) > 0 || n == -EIO) {
		failed += n == -EIO;
		for (i = 0; i < n; i++) {
			EXPECT_NE(self->dev[0], ev[i].dev_id) {
				TH_LOG("queue %u: %s -> %s, kvm_err %d",
				       ev[i].queue,
				       vqn_state_name(ev[i].old_state),
				       vqn_state_name(ev[i].new_state),
				       ev[i].kvm_err);
			}
		}
	}
	vqn_fail_req = 0;
	ASSERT_EQ(0, n);
	EXPECT_EQ((unsigned int)NQ, vqn_count) TH_LOG("no resync");
	EXPECT_EQ(1, failed);
	for (q = 0; q < NQ; q++) {
		ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], q, &v));
		EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, v.state);
		EXPECT_TRUE(v.kvm_assigned);
		EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][q]));
	}
}

/* The hook of the restart below: another ioeventfd at a queue's address. */
static const struct vqn_kvm_notify *hook_n;
static int hook_vm, hook_fd, hook_ret = 1;

static void take_address(void)
{
	hook_ret = kvm_ioeventfd(hook_vm, hook_n, hook_fd, false);
}

/*
 * API 1: KVM refuses queue 1 at DRIVER_OK, and queue 0 in the restart:
 * between its (s) and its (b), another ioeventfd took queue 0's address.
 * Queue 0 is reported as KVM's refusal (kvm-refused, EEXIST), as
 * vqn_kvm_apply_one() reports one, not as the module's "not ready" of the
 * round that left it out, which hid it from the caller.
 */
TEST_F(kvm, api1_refused_in_the_restart_says_so)
{
	int foreign = eventfd(0, EFD_CLOEXEC), other = eventfd(0, EFD_CLOEXEC);
	int n, i, reported = 0;
	struct vqn_event ev[16];

	ASSERT_LE(0, foreign);
	ASSERT_LE(0, other);
	reopen_api1(_metadata, self, variant->pio);
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	hook_vm = self->vm;
	hook_n = &self->n[0][0];
	hook_fd = other;
	vqn_hook = take_address;
	/* The caller's DRIVER_OK and the restart's (s) go through first. */
	vqn_hook_skip = 2;
	vqn_hook_req = VQNOTIFY_SET_STATUS;
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     self->res, MAX_Q));
	ASSERT_EQ(0u, vqn_hook_req) TH_LOG("no restart");
	ASSERT_EQ(0, hook_ret);
	while ((n = vqn_read_events(self->g, ev, 16)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].type != VQNOTIFY_EVENT_TRANSITION ||
			    ev[i].dev_id != self->dev[0] || ev[i].queue)
				continue;
			reported++;
			EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, ev[i].old_state);
			EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[i].new_state);
			EXPECT_EQ(VQNOTIFY_REASON_KVM_REFUSED, ev[i].reason);
			EXPECT_EQ(-EEXIST, ev[i].kvm_err);
		}
	}
	ASSERT_EQ(0, n);
	EXPECT_EQ(1, reported);
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, state_of(self->g, self->dev[0], 0));
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][0], other, true));
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_EXACT(0);
	close(other);
	close(foreign);
}

/*
 * Run state: stopped, the library removes every ioeventfd from KVM (a
 * second VMM could now register the very same ones: no EEXIST) while the
 * module keeps the slots (ASSIGNED, PARKED); a device that reaches
 * DRIVER_OK meanwhile gets slots but no ioeventfd. Running again puts
 * them all in KVM.
 */
TEST_F(kvm, run_state_stopped_removes_running_restores)
{
	struct vqnotify_guest_info gi;
	struct vqnotify_vq_info info;
	struct vqn_view v;
	int q;

	add_bound_dev(_metadata, self, variant->pio, 1, 3);
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	for (q = 0; q < NQ; q++)
		ASSERT_EQ(1, kvm_has(self->vm, &self->n[0][q]));

	ASSERT_EQ(0, vqn_set_run_state(self->g, VQNOTIFY_RUN_STOPPED));
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_EQ((uint32_t)VQNOTIFY_RUN_STOPPED, gi.run_state);
	EXPECT_EQ((uint32_t)NQ, gi.used);
	for (q = 0; q < NQ; q++) {
		/* Registering the same ioeventfd now succeeds: none there. */
		EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][q]))
			TH_LOG("q%d still in KVM while stopped", q);
		ASSERT_EQ(0, vqn_queue_get(self->g, self->dev[0], q, &info));
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, info.state);
		EXPECT_TRUE(!!(info.flags & VQNOTIFY_VQ_PARKED));
		ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], q, &v));
		EXPECT_FALSE(v.kvm_assigned);
	}
	ASSERT_EQ(3, vqn_set_status(self->g, self->dev[1], STATUS_OK, NULL,
				    NULL, 0));
	for (q = 0; q < 3; q++) {
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED,
			  state_of(self->g, self->dev[1], q));
		EXPECT_EQ(0, kvm_has(self->vm, &self->n[1][q]));
	}
	EXPECT_ADMIN_VIEW(0);
	EXPECT_ADMIN_VIEW(1);

	ASSERT_EQ(0, vqn_set_run_state(self->g, VQNOTIFY_RUN_RUNNING));
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][q]))
			TH_LOG("q%d not back in KVM", q);
		ASSERT_EQ(0, vqn_queue_get(self->g, self->dev[0], q, &info));
		EXPECT_FALSE(!!(info.flags & VQNOTIFY_VQ_PARKED));
	}
	for (q = 0; q < 3; q++)
		EXPECT_EQ(1, kvm_has(self->vm, &self->n[1][q]));
	EXPECT_EXACT(0);
	EXPECT_EXACT(1);
	EXPECT_ADMIN_VIEW(0);
	EXPECT_ADMIN_VIEW(1);
	ASSERT_EQ(0, vqn_guest_get(self->g, &gi));
	EXPECT_EQ((uint32_t)VQNOTIFY_RUN_RUNNING, gi.run_state);
	EXPECT_EQ(0u, gi.counts[VQNOTIFY_LABEL_S]);
}

/*
 * Running again with no room for a refusal's event (the library's queue
 * of events full, no memory to grow it): the queue whose assign had to
 * wait gets its ioeventfd at the device's resync, in the same call's
 * settling. It waited for the queue's next change, which may never come:
 * an ASSIGNED queue holding its slot and trapping.
 */
TEST_F(kvm, run_state_running_without_memory_assigns_later)
{
	fill_events(_metadata, self);
	ASSERT_EQ(0, vqn_set_budget(self->g, 8 + NQ));
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     self->res, MAX_Q));
	ASSERT_EQ(0, vqn_set_run_state(self->g, VQNOTIFY_RUN_STOPPED));
	fail_malloc_size = 128 * sizeof(struct vqn_event);
	ASSERT_EQ(0, vqn_set_run_state(self->g, VQNOTIFY_RUN_RUNNING));
	ASSERT_EQ(0u, fail_malloc_size)
		TH_LOG("the queue of events never had to grow: not filled");
	EXPECT_EXACT(0);
	EXPECT_EQ(1, read_all_events(_metadata, self, NULL));
}

/*
 * KVM refused queue @q of device @d an assign no module decision asked for:
 * one event of the library's own says so (ASSIGNED -> DEASSIGNED, no
 * label, kvm-refused, EEXIST), the module released the queue (x), and
 * the device's other queues are in KVM.
 */
static void expect_library_refusal(struct __test_metadata *_metadata,
				   FIXTURE_DATA(kvm) *self, int d, uint32_t q)
{
	struct vqnotify_vq_info info;
	struct vqn_event ev[16];
	int n, i, seen = 0;

	while ((n = vqn_read_events(self->g, ev, 16)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].dev_id != self->dev[d] || ev[i].queue != q)
				continue;
			EXPECT_EQ(VQN_EVENT_F_LIBRARY, ev[i].flags);
			EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, ev[i].old_state);
			EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, ev[i].new_state);
			EXPECT_EQ(VQNOTIFY_LABEL_NONE, ev[i].label);
			EXPECT_EQ(VQNOTIFY_REASON_KVM_REFUSED, ev[i].reason);
			EXPECT_EQ(-EEXIST, ev[i].kvm_err);
			seen++;
		}
	}
	EXPECT_EQ(0, n);
	EXPECT_EQ(1, seen);
	ASSERT_EQ(0, vqn_queue_get(self->g, self->dev[d], q, &info));
	EXPECT_EQ(VQNOTIFY_VQ_DEASSIGNED, info.state);
	EXPECT_EQ(VQNOTIFY_LABEL_X, info.label);
	EXPECT_EQ(VQNOTIFY_REASON_KVM_REFUSED, info.reason);
	EXPECT_FALSE(!!(info.flags & VQNOTIFY_VQ_WAITING));
	for (i = 0; i < (int)self->nq[d]; i++)
		if ((uint32_t)i != q)
			EXPECT_EQ(1, kvm_has(self->vm, &self->n[d][i]))
				TH_LOG("q%d not in KVM", i);
}

/*
 * While the guest is stopped someone else takes queue 1's address: the
 * library's assign when it runs again is refused. The call succeeds and
 * an event of the library's says what KVM did (no module decision carries
 * it), as results and events do when KVM refuses at DRIVER_OK.
 */
TEST_F(kvm, run_state_running_refused_reports)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqn_event ev[16];

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_set_run_state(self->g, VQNOTIFY_RUN_STOPPED));
	while (vqn_read_events(self->g, ev, 16) > 0)
		;
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	ASSERT_EQ(0, vqn_set_run_state(self->g, VQNOTIFY_RUN_RUNNING));
	expect_library_refusal(_metadata, self, 0, 1);
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_ADMIN_VIEW(0);
	close(foreign);
}

/* The same for the assigns of an attach. */
TEST_F(kvm, attach_refused_reports)
{
	int foreign = eventfd(0, EFD_CLOEXEC);
	struct vqn_event ev[16];

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	vqn_kvm_detach(self->g);
	while (vqn_read_events(self->g, ev, 16) > 0)
		;
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, false));
	ASSERT_EQ(0, vqn_kvm_attach(self->g, self->vm));
	expect_library_refusal(_metadata, self, 0, 1);
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][1], foreign, true));
	EXPECT_ADMIN_VIEW(0);
	close(foreign);
}

TEST_F(kvm, detach_and_attach)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	vqn_kvm_detach(self->g);
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][q]));
	ASSERT_EQ(0, vqn_kvm_attach(self->g, self->vm));
	EXPECT_EXACT(0);
}

/*
 * Queue @q of device 0, preempted behind the library's back (a raw budget
 * below the threshold takes every grant, (p)) with the event unread, and
 * another ioeventfd at the queue's address, KVM's refusal if asked: the
 * library's next step must read the module's news before it asks KVM.
 * Returns the other ioeventfd's eventfd.
 */
static int preempted_unread(struct __test_metadata *_metadata,
			    FIXTURE_DATA(kvm) *self, uint32_t q)
{
	int other = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, _test_ioctl_set_budget(vqn_fd(self->g), 6));
	ASSERT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][q], other, false));
	return other;
}

/* Queue @q was reported once: preempted (p), no refusal of KVM's. */
static void expect_preempted_once(struct __test_metadata *_metadata,
				  FIXTURE_DATA(kvm) *self, uint32_t q)
{
	struct vqn_event ev[16];
	int n, i, reported = 0;

	while ((n = vqn_read_events(self->g, ev, 16)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].type != VQNOTIFY_EVENT_TRANSITION ||
			    ev[i].dev_id != self->dev[0] || ev[i].queue != q)
				continue;
			reported++;
			EXPECT_EQ(VQNOTIFY_LABEL_P, ev[i].label);
			EXPECT_EQ(0, ev[i].kvm_err);
		}
	}
	EXPECT_EQ(0, n);
	EXPECT_EQ(1, reported);
}

TEST_F(kvm, bind_reads_events_first)
{
	int other;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 3, NULL));
	other = preempted_unread(_metadata, self, 3);
	EXPECT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 3, &self->n[0][3]));
	expect_preempted_once(_metadata, self, 3);
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][3], other, true));
	EXPECT_EXACT(0);
	close(other);
}

TEST_F(kvm, attach_reads_events_first)
{
	int other;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	vqn_kvm_detach(self->g);
	other = preempted_unread(_metadata, self, 0);
	EXPECT_EQ(0, vqn_kvm_attach(self->g, self->vm));
	expect_preempted_once(_metadata, self, 0);
	EXPECT_EQ(0, kvm_ioeventfd(self->vm, &self->n[0][0], other, true));
	EXPECT_EXACT(0);
	close(other);
}

/*
 * vqn_kvm_bind() on a queue whose ioeventfd KVM fails to remove (EIO,
 * injected) returns the error and keeps the previous binding. The
 * module's event it read first (a promotion on an unbound device, made
 * behind the library's back) is announced all the same: the event fd is
 * readable. It was not: the call returned before its end.
 */
TEST_F(kvm, bind_failed_announces_the_events_it_read)
{
	struct pollfd p = { .fd = vqn_event_fd(self->g), .events = POLLIN };
	struct vqn_kvm_notify n = self->n[0][0];
	int promoted = 0, ret, i;
	struct vqn_event ev[16];
	uint32_t other;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	/* Budget 8 for 4 + 5 queues: the other device's fifth waits. */
	ASSERT_EQ(0, vqn_set_budget(self->g, 8));
	ASSERT_EQ(0, vqn_dev_add(self->g, VQNOTIFY_TRANSPORT_MMIO, 5, "other",
				 &other));
	ASSERT_EQ(5, vqn_set_status(self->g, other, STATUS_OK, NULL, NULL, 0));
	while (vqn_read_events(self->g, ev, 16) > 0)
		;
	ASSERT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, _test_ioctl_set_budget(vqn_fd(self->g), 9));
	n.fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, n.fd);
	vqn_fail_req = KVM_IOEVENTFD;
	vqn_fail_errno = EIO;
	ret = vqn_kvm_bind(self->g, self->dev[0], 0, &n);
	vqn_fail_req = 0;
	close(n.fd);
	ASSERT_EQ(-EIO, ret);
	EXPECT_EQ(1, poll(&p, 1, 0)) TH_LOG("the promotion read, not announced");
	while ((ret = vqn_read_events(self->g, ev, 16)) > 0)
		for (i = 0; i < ret; i++)
			promoted += ev[i].type == VQNOTIFY_EVENT_TRANSITION &&
				    ev[i].dev_id == other &&
				    ev[i].new_state == VQNOTIFY_VQ_ASSIGNED;
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1, promoted);
	EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][0]));
	EXPECT_EXACT(0);
}

TEST_F(kvm, remove_removes)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(NQ, vqn_dev_remove(self->g, self->dev[0], NULL, 0));
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(-ENOENT, kvm_ioeventfd(self->vm, &self->n[0][q],
						 self->n[0][q].fd, true));
}

TEST_F(kvm, close_leaves_none)
{
	/* vhost's queue is not the library's: 3 results, not 4. */
	ASSERT_EQ(0, vqn_host_notifier(self->g, self->dev[0], 3, true, NULL));
	ASSERT_EQ(NQ - 1, vqn_set_status(self->g, self->dev[0], STATUS_OK,
					 NULL, NULL, 0));
	vqn_close(self->g);
	self->g = NULL;
	for (int q = 0; q < NQ; q++)
		EXPECT_EQ(-ENOENT, kvm_ioeventfd(self->vm, &self->n[0][q],
						 self->n[0][q].fd, true));
}

/*
 * The caller's eventfd is closed (or replaced, the same number given to
 * a new eventfd) while the library holds the queue's ioeventfd. KVM
 * removes an ioeventfd only for its own eventfd, which it finds from the
 * fd: with the caller's number, the library's deassign failed (EBADF,
 * ENOENT), was ignored, and KVM kept the address. The library holds its
 * own duplicate of the eventfd from vqn_kvm_bind() on.
 */
static void close_caller_fd(FIXTURE_DATA(kvm) *self, int d, int q)
{
	close(self->n[d][q].fd);
	self->n[d][q].fd = -1;
}

TEST_F(kvm, unbind_after_caller_closed_fd)
{
	struct vqn_view v;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	close_caller_fd(self, 0, 1);
	EXPECT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 1, NULL));
	EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][1]))
		TH_LOG("unbound, KVM still has the ioeventfd");
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 1, &v));
	EXPECT_FALSE(v.kvm_assigned);

	/* Bound again with a new eventfd: registered, not refused. */
	self->n[0][1].fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->n[0][1].fd);
	EXPECT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 1, &self->n[0][1]));
	ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], 1, &v));
	EXPECT_FALSE(v.refused);
	EXPECT_TRUE(v.kvm_assigned);
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 1));
	EXPECT_EXACT(0);
}

/* A new eventfd, most likely under the old one's number, bound at once. */
TEST_F(kvm, rebind_after_caller_replaced_fd)
{
	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	close_caller_fd(self, 0, 2);
	self->n[0][2].fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->n[0][2].fd);
	EXPECT_EQ(0, vqn_kvm_bind(self->g, self->dev[0], 2, &self->n[0][2]));
	EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, state_of(self->g, self->dev[0], 2));
	EXPECT_EXACT(0);
	/* KVM's ioeventfd is the new eventfd's, not the closed one's. */
	EXPECT_ADMIN_VIEW(0);
}

TEST_F(kvm, remove_after_caller_closed_fd)
{
	int q;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	for (q = 0; q < NQ; q++)
		close_caller_fd(self, 0, q);
	ASSERT_EQ(NQ, vqn_dev_remove(self->g, self->dev[0], NULL, 0));
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][q]))
			TH_LOG("q%d: removed, KVM still has it", q);
	}
}

/* The caller may close its eventfd once bound: the library has its own. */
TEST_F(kvm, caller_closes_fd_after_bind)
{
	int q, n, i;

	for (q = 0; q < NQ; q++)
		close_caller_fd(self, 0, q);
	n = vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL, self->res,
			   MAX_Q);
	ASSERT_EQ(NQ, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, self->res[i].kvm_err);
		EXPECT_EQ(VQNOTIFY_VQ_ASSIGNED, self->res[i].new_state);
	}
	for (q = 0; q < NQ; q++)
		EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][q]));
	ASSERT_EQ(NQ, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	for (q = 0; q < NQ; q++)
		EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][q]));
}

/*
 * A forked process (crosvm's device processes) closes its copy of the
 * guest: the library frees its memory and fds there, but the ioeventfds
 * are the parent's, in the VM they share: no KVM_IOEVENTFD is made. (Real
 * KVM refuses a VM's ioctls from another mm with EIO; the child's
 * deassigns were made all the same, and honoured by a KVM that does not.)
 */
TEST_F(kvm, forked_child_close_keeps_ioeventfds)
{
	struct vqn_view v;
	int q, status;
	pid_t pid;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		vqn_count_req = KVM_IOEVENTFD;
		vqn_count = 0;
		vqn_close(self->g);
		_exit(vqn_count > 100 ? 100 : vqn_count);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the child's vqn_close() made %d KVM_IOEVENTFD calls",
		       WEXITSTATUS(status));
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(1, kvm_has(self->vm, &self->n[0][q]));
		ASSERT_EQ(0, vqn_queue_view(self->g, self->dev[0], q, &v));
		EXPECT_TRUE(v.kvm_assigned);
	}
	EXPECT_EXACT(0);
}

/*
 * The other way round: the guest opened, then a fork (a VMM opening it
 * before it daemonizes), and the child creates and attaches the VM. The
 * ioeventfds are the child's, and its vqn_close() removes them. It made no
 * KVM_IOEVENTFD call: the process that opened the guest was taken for
 * theirs.
 */
TEST(attached_after_fork_close_removes_ioeventfds)
{
	struct vqn_guest *g;
	int status;
	pid_t pid;

	if (access(VQN_DEVICE_PATH, F_OK) || access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "no " VQN_DEVICE_PATH " or /dev/kvm");
	ASSERT_EQ(0, vqn_open(&g, "kvmfork"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;
		struct vqn_kvm_notify n;
		uint32_t dev;

		vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
		notify_init(&n, false, 0, 0);
		if (vm < 0 || n.fd < 0 || vqn_kvm_attach(g, vm) ||
		    vqn_dev_add(g, VQNOTIFY_TRANSPORT_MMIO, 1, "blk", &dev) ||
		    vqn_kvm_bind(g, dev, 0, &n) ||
		    vqn_set_status(g, dev, STATUS_OK, NULL, NULL, 0) != 1 ||
		    kvm_has(vm, &n) != 1)
			_exit(2);
		vqn_close(g);
		_exit(kvm_has(vm, &n) != 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("%s", WEXITSTATUS(status) == 1 ?
		       "the child's vqn_close() left its ioeventfd" :
		       "the child could not set its VM up");
	vqn_close(g);
}

/*
 * The VM's number closed and reused by the caller while attached: the
 * library's calls go to its own duplicate, not to whatever file took the
 * number. They went to /dev/null (ENOTTY), taken for KVM's refusals.
 */
TEST_F(kvm, attached_vm_fd_reused_by_the_caller)
{
	int keep = dup(self->vm), nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	uint32_t q;

	ASSERT_LE(0, keep);
	ASSERT_LE(0, nul);
	ASSERT_EQ(self->vm, dup2(nul, self->vm));
	close(nul);
	EXPECT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	for (q = 0; q < NQ; q++)
		EXPECT_EQ(1, kvm_has(keep, &self->n[0][q]));
	close(self->vm);
	self->vm = keep;
	EXPECT_EXACT(0);
}

/*
 * A device removed with a raw ioctl on vqn_fd() behind the library's
 * back: the next call naming it gets ENOENT, and the library forgets it,
 * its ioeventfds with it. It stayed in the view, every call ENOENT, and
 * KVM kept its addresses (the guest's notifications to nobody).
 */
TEST_F(kvm, raw_remove_forgets_device)
{
	struct vqn_view v;
	int q;

	ASSERT_EQ(NQ, vqn_set_status(self->g, self->dev[0], STATUS_OK, NULL,
				     NULL, 0));
	ASSERT_EQ(0, _test_ioctl_dev_op(vqn_fd(self->g), VQNOTIFY_DEV_REMOVE,
					self->dev[0], 0, NULL, NULL, NULL));
	EXPECT_EQ(-ENOENT, vqn_dev_reset(self->g, self->dev[0], NULL, 0));
	EXPECT_EQ(0, vqn_dev_list(self->g, NULL, 0));
	EXPECT_EQ(-ENOENT, vqn_queue_view(self->g, self->dev[0], 0, &v));
	for (q = 0; q < NQ; q++) {
		EXPECT_EQ(0, kvm_has(self->vm, &self->n[0][q]))
			TH_LOG("q%d: device gone, KVM still has it", q);
	}
}

TEST_HARNESS_MAIN
