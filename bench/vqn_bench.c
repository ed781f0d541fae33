// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_bench: what vqnotify costs, as ratios measured in one run.
 *
 * Absolute times on these machines are noise (nested TCG); ratios of
 * operations timed back to back in one process are not. Every figure is
 * reported against a null ioctl (VQNOTIFY_GET_INFO) and, where /dev/kvm
 * exists, against the KVM_IOEVENTFD calls the decision is followed by.
 *
 * Output: one "bench: name value unit" line per figure, then a TAP line so
 * the rig can count the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vqnotify.h>

#define NQ	VQNOTIFY_MAX_QUEUES
/*
 * Every KVM_IOEVENTFD call copies the VM's bus and waits for SRCU; under
 * TCG that wait dominates, so a few calls give a stable figure.
 */
#define KVM_QUEUES	32

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int rounds(void)
{
	const char *s = getenv("VQN_BENCH_ROUNDS");

	return s ? atoi(s) : 20;
}

static void die(const char *what)
{
	printf("not ok 1 vqn_bench # %s: %s\n", what, strerror(errno));
	exit(1);
}

static int guest_open(void)
{
	int fd = open("/dev/vqnotify", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("ok 1 vqn_bench # SKIP /dev/vqnotify: %s\n",
		       strerror(errno));
		exit(0);
	}
	return fd;
}

static uint32_t dev_add(int fd, uint32_t nq)
{
	struct vqnotify_dev_add da = {
		.size = sizeof(da),
		.transport = VQNOTIFY_TRANSPORT_MMIO,
		.num_queues = nq,
		.label = "bench",
	};

	if (ioctl(fd, VQNOTIFY_DEV_ADD, &da))
		die("DEV_ADD");
	return da.out_dev_id;
}

static void dev_status(int fd, uint32_t dev, uint32_t status,
		       struct vqnotify_vq_result *res)
{
	struct vqnotify_dev_op op = {
		.size = sizeof(op),
		.dev_id = dev,
		.status = status,
		.results = (uintptr_t)res,
		.nr_results = res ? NQ : 0,
	};

	if (ioctl(fd, VQNOTIFY_SET_STATUS, &op))
		die("SET_STATUS");
}

static void host_notifier(int fd, uint32_t dev, uint32_t q, int on)
{
	struct vqnotify_host_notifier hn = {
		.size = sizeof(hn),
		.flags = on ? VQNOTIFY_HOST_NOTIFIER_ENABLE : 0,
		.dev_id = dev,
		.queue = q,
	};

	if (ioctl(fd, VQNOTIFY_SET_HOST_NOTIFIER, &hn))
		die("SET_HOST_NOTIFIER");
}

/* ns per null ioctl */
static double bench_null(int fd)
{
	struct vqnotify_info info = { .size = sizeof(info) };
	int i, n = 2000 * rounds();
	double t = now_ns();

	for (i = 0; i < n; i++)
		if (ioctl(fd, VQNOTIFY_GET_INFO, &info))
			die("GET_INFO");
	return (now_ns() - t) / n;
}

/* ns per queue decided by one DRIVER_OK + one reset of a NQ-queue device */
static double bench_driver_ok(int fd, struct vqnotify_vq_result *res)
{
	uint32_t dev = dev_add(fd, NQ);
	int i, n = rounds();
	double t = now_ns();

	for (i = 0; i < n; i++) {
		dev_status(fd, dev, 0x0f, res);
		dev_status(fd, dev, 0, res);
	}
	return (now_ns() - t) / (2.0 * n * NQ);
}

/*
 * ns per vhost on + off of a queue that has no slot: (c) preempting the
 * newest grant (p), then (e). Two such queues take turns, so every round
 * preempts the other's grant.
 */
static double bench_preempt(int fd)
{
	struct vqnotify_guest_set gs = {
		.size = sizeof(gs),
		.flags = VQNOTIFY_GUEST_SET_BUDGET,
		.budget = 8,
	};
	struct vqnotify_event ev[64];
	uint32_t dev = dev_add(fd, 16);
	int i, n = 200 * rounds();
	double t;

	if (ioctl(fd, VQNOTIFY_GUEST_SET, &gs))
		die("GUEST_SET");
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		die("O_NONBLOCK");
	dev_status(fd, dev, 0x0f, NULL);	/* 8 assigned, 8 waiting */
	t = now_ns();
	for (i = 0; i < n; i++) {
		host_notifier(fd, dev, 14 + (i & 1), 1);	/* (c) + (p) */
		host_notifier(fd, dev, 14 + (i & 1), 0);	/* (e) */
		while (read(fd, ev, sizeof(ev)) > 0)
			;
	}
	t = (now_ns() - t) / (2.0 * n);
	gs.budget = 0;
	if (ioctl(fd, VQNOTIFY_GUEST_SET, &gs))
		die("GUEST_SET");
	return t;
}

/* ns per KVM_IOEVENTFD assign+deassign pair, or 0 without /dev/kvm */
static double bench_kvm(int nq)
{
	int kvm, vm, i, r, n = 2;
	struct kvm_ioeventfd io = { .len = 4 };
	int *efd;
	double t;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 0;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		close(kvm);
		return 0;
	}
	efd = calloc(nq, sizeof(*efd));
	for (i = 0; i < nq; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		if (efd[i] < 0)
			die("eventfd");
	}
	t = now_ns();
	for (r = 0; r < n; r++) {
		for (i = 0; i < nq; i++) {
			io.fd = efd[i];
			io.addr = 0xfe000000 + 4 * i;
			io.flags = 0;
			if (ioctl(vm, KVM_IOEVENTFD, &io))
				die("KVM_IOEVENTFD assign");
		}
		for (i = 0; i < nq; i++) {
			io.fd = efd[i];
			io.addr = 0xfe000000 + 4 * i;
			io.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
			if (ioctl(vm, KVM_IOEVENTFD, &io))
				die("KVM_IOEVENTFD deassign");
		}
	}
	t = (now_ns() - t) / (2.0 * n * nq);
	for (i = 0; i < nq; i++)
		close(efd[i]);
	free(efd);
	close(vm);
	close(kvm);
	return t;
}

/* Queue decisions per second, @procs processes, each its own guest. */
static double bench_scale(int procs)
{
	int pfd[2], i, n = rounds();
	double t, total = 0;

	if (pipe(pfd))
		die("pipe");
	t = now_ns();
	for (i = 0; i < procs; i++) {
		if (!fork()) {
			int fd = guest_open();
			uint32_t dev = dev_add(fd, NQ);
			int r;

			for (r = 0; r < n; r++) {
				dev_status(fd, dev, 0x0f, NULL);
				dev_status(fd, dev, 0, NULL);
			}
			_exit(0);
		}
	}
	for (i = 0; i < procs; i++)
		wait(NULL);
	t = now_ns() - t;
	close(pfd[0]);
	close(pfd[1]);
	total = 2.0 * n * NQ * procs;
	return total / (t / 1e9);
}

int main(void)
{
	static struct vqnotify_vq_result res[NQ];
	struct rlimit rl = { 4096, 4096 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double null_ns, ok_ns, pre_ns, kvm_ns, s1, s2;
	int fd = guest_open();

	/* Each figure as soon as it is measured: a slow step names itself. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setrlimit(RLIMIT_NOFILE, &rl);
	printf("TAP version 13\n1..1\n");

	null_ns = bench_null(fd);
	printf("bench: null_ioctl %.0f ns\n", null_ns);

	ok_ns = bench_driver_ok(fd, res);
	printf("bench: driver_ok_per_queue %.0f ns (%.3f null ioctls)\n",
	       ok_ns, ok_ns / null_ns);
	printf("bench: driver_ok_1024_queues_one_call %.1f null ioctls "
	       "(vs 1024 calls for per-queue arbitration: %.1fx fewer)\n",
	       ok_ns * NQ / null_ns, NQ * null_ns / (ok_ns * NQ));

	pre_ns = bench_preempt(fd);
	printf("bench: vhost_on_off_with_preempt %.0f ns (%.2f null ioctls)\n",
	       pre_ns, pre_ns / null_ns);

	kvm_ns = bench_kvm(KVM_QUEUES);
	if (kvm_ns > 0)
		printf("bench: kvm_ioeventfd_call %.0f ns; the vqnotify decision "
		       "adds %.4f%% to the KVM call it precedes\n",
		       kvm_ns, 100.0 * ok_ns / kvm_ns);
	else
		printf("bench: kvm_ioeventfd_call unavailable (no /dev/kvm)\n");

	s1 = bench_scale(1);
	s2 = bench_scale(ncpu > 1 ? ncpu : 2);
	printf("bench: scale %ld procs/1 proc throughput %.2fx "
	       "(%.0f vs %.0f decisions/s)\n",
	       ncpu > 1 ? ncpu : 2L, s2 / s1, s2, s1);
	close(fd);
	printf("ok 1 vqn_bench\n");
	return 0;
}
