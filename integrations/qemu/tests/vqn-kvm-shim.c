// SPDX-License-Identifier: GPL-2.0
/*
 * vqn-kvm-shim.so: QEMU's KVM_IOEVENTFD calls, seen and refused at the
 * ioctl boundary, vqnotify refusing a migrated device's state, vhost
 * without a device IOTLB, and an eventfd() that fails on demand, for
 * vqn_qemu_test (LD_PRELOAD).
 *
 * $VQN_KVM_LOG: every KVM_IOEVENTFD call is appended there as one line
 *   "mmio|pio ADDR DATAMATCH|- 1|0 ERRNO" (1: assign, 0: deassign; ERRNO 0
 *   when KVM accepted it): what KVM really holds, independent of QEMU's
 *   own trace events, which are emitted before the call.
 * $VQN_KVM_REFUSE: while that file exists and holds "LO HI" (hexadecimal
 *   guest-physical addresses), every assignment with LO <= addr < HI fails
 *   with ENOMEM without reaching KVM. KVM refuses an ioeventfd only where a
 *   test cannot set it up cleanly (ENOMEM when the VM's memory cgroup is
 *   full, which the memcg OOM killer answers first; EEXIST for an
 *   overlapping registration QEMU never makes).
 * $VQN_LOAD_FAIL: while that file exists, VQNOTIFY_DEV_LOAD fails with
 *   EINVAL without reaching the module, as a module answers a blob of a
 *   device of another shape or of a format it does not know.
 * $VQN_ADD_FAIL: while that file exists and holds a device's label (one of
 *   its lines), VQNOTIFY_DEV_ADD of that device fails with EDQUOT without
 *   reaching the module, as the module answers a user at its quota of
 *   devices or queues (which root, exempt from quotas, never meets); with
 *   $VQN_API1, EMFILE, as a module of API 1 (no quotas) answers a guest at
 *   its device limit.
 * $VQN_SAVE_FAIL: while that file exists, VQNOTIFY_DEV_SAVE fails with
 *   ENOMEM without reaching the module, as a module out of memory answers.
 * $VQN_EVENTFD_FAIL: while that file exists and holds N, the Nth call of
 *   eventfd() from then fails with EMFILE (a full file table) and the file
 *   goes; each call before it writes the count back, less one. That is how
 *   a host notifier's event_notifier_init() fails, the one error
 *   vhost_dev_enable_notifiers() meets on virtio-pci after vqnotify granted
 *   vhost's queues.
 * $VQN_API1: while that file exists, the module is one of API 1 as
 *   libvqnotify sees it (selftests/vqn_api1.h, which the selftests'
 *   wrapper uses too): VQNOTIFY_GET_INFO says version 1 and no feature of API 2,
 *   VQNOTIFY_GUEST_GET and VQNOTIFY_DEV_GET write back API 1's structs
 *   only, API 2's calls are refused without reaching the module (ENOTTY
 *   for its ioctls, EOPNOTSUPP for its flags of GUEST_SET and DEV_ADD);
 *   each GET_INFO so answered appends a line to the file.
 * $VQN_VHOST_NO_IOTLB: while that file exists, vhost's answer to
 *   VHOST_GET_FEATURES lacks VIRTIO_F_ACCESS_PLATFORM, as a backend without
 *   a device IOTLB answers. A vhost-net device with iommu_platform=on
 *   on virtio-pci then fails its realize after the transport plugged it.
 * Every other call goes to KVM, the module or libc unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/vqnotify.h>

#include "vqn_api1.h"	/* selftests/: the module of API 1 */

static int (*real_ioctl)(int fd, unsigned long req, ...);
static int (*real_eventfd)(unsigned int initval, int flags);

static int refused(const struct kvm_ioeventfd *e)
{
	const char *path = getenv("VQN_KVM_REFUSE");
	uint64_t lo, hi;
	FILE *f;
	int n;

	if (!path || (e->flags & KVM_IOEVENTFD_FLAG_DEASSIGN))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "%" SCNx64 " %" SCNx64, &lo, &hi);
	fclose(f);
	return n == 2 && e->addr >= lo && e->addr < hi;
}

static int exists(const char *var)
{
	const char *path = getenv(var);

	return path && !access(path, F_OK);
}

/* Is @da a device whose label $VQN_ADD_FAIL holds? */
static int add_refused(const struct vqnotify_dev_add *da)
{
	const char *path = getenv("VQN_ADD_FAIL");
	char want[VQNOTIFY_NAME_LEN];
	const char *label;
	size_t len, max;
	int found = 0;
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	label = da->label;
	max = sizeof(da->label);
	if (da->flags & VQNOTIFY_DEV_ADD_NAME) {
		label = da->name;
		max = sizeof(da->name);
	}
	while (!found && fgets(want, sizeof(want), f)) {
		len = strcspn(want, "\n");
		want[len] = 0;
		found = len && len < max && !strncmp(label, want, max);
	}
	fclose(f);
	return found;
}

/* One line, one write(2) with O_APPEND: lines of threads do not mix. */
static void log_call(const struct kvm_ioeventfd *e, int err)
{
	const char *path = getenv("VQN_KVM_LOG");
	char line[128], match[24] = "-";
	int fd, len;

	if (!path)
		return;
	if (e->flags & KVM_IOEVENTFD_FLAG_DATAMATCH)
		snprintf(match, sizeof(match), "0x%" PRIx64,
			 (uint64_t)e->datamatch);
	len = snprintf(line, sizeof(line), "%s 0x%" PRIx64 " %s %d %d\n",
		       e->flags & KVM_IOEVENTFD_FLAG_PIO ? "pio" : "mmio",
		       (uint64_t)e->addr, match,
		       !(e->flags & KVM_IOEVENTFD_FLAG_DEASSIGN), err);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, len) != len)
		len = 0;
	close(fd);
}

/* An API 1 module's answer to the request @req that @ret answered. */
static void api1(unsigned long req, void *arg, int ret)
{
	static const char line[] = "GET_INFO as API 1\n";
	int fd;

	if (ret || !exists("VQN_API1"))
		return;
	vqn_api1_answer(req, arg);
	if (req != VQNOTIFY_GET_INFO)
		return;
	/* Not made again once the test removed it. */
	fd = open(getenv("VQN_API1"), O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return;
	/* A note lost: the test wants at least one. */
	if (write(fd, line, sizeof(line) - 1) < 0)
		ret = -1;
	close(fd);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret, err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT,
								     "ioctl");
	if (req == VQNOTIFY_DEV_LOAD && exists("VQN_LOAD_FAIL")) {
		errno = EINVAL;
		return -1;
	}
	if (req == VQNOTIFY_DEV_SAVE && exists("VQN_SAVE_FAIL")) {
		errno = ENOMEM;
		return -1;
	}
	if (req == VQNOTIFY_DEV_ADD && add_refused(arg)) {
		errno = exists("VQN_API1") ? EMFILE : EDQUOT;
		return -1;
	}
	/* The request first: no access(2) for every KVM_RUN. */
	err = vqn_api1_refused(req, arg);
	if (err && exists("VQN_API1")) {
		errno = err;
		return -1;
	}
	if (req == VQNOTIFY_GET_INFO || req == VQNOTIFY_GUEST_GET ||
	    req == VQNOTIFY_DEV_GET) {
		ret = real_ioctl(fd, req, arg);
		api1(req, arg, ret);
		return ret;
	}
	if (req == VHOST_GET_FEATURES) {
		ret = real_ioctl(fd, req, arg);
		if (!ret && exists("VQN_VHOST_NO_IOTLB"))
			*(__u64 *)arg &= ~(1ULL << VIRTIO_F_ACCESS_PLATFORM);
		return ret;
	}
	if (req != KVM_IOEVENTFD)
		return real_ioctl(fd, req, arg);
	if (refused(arg)) {
		ret = -1;
		err = ENOMEM;
	} else {
		ret = real_ioctl(fd, req, arg);
		err = ret < 0 ? errno : 0;
	}
	log_call(arg, err);
	if (ret < 0)
		errno = err;
	return ret;
}

/* Is this eventfd() the one $VQN_EVENTFD_FAIL counts down to? */
static int eventfd_fails(void)
{
	const char *path = getenv("VQN_EVENTFD_FAIL");
	FILE *f;
	int n;

	if (!path)
		return 0;
	f = fopen(path, "r+e");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &n) != 1 || n < 1) {
		fclose(f);
		return 0;
	}
	if (n == 1) {
		fclose(f);
		unlink(path);
		return 1;
	}
	rewind(f);
	if (ftruncate(fileno(f), 0) == 0)
		fprintf(f, "%d\n", n - 1);
	fclose(f);
	return 0;
}

int eventfd(unsigned int initval, int flags)
{
	if (!real_eventfd)
		real_eventfd = (int (*)(unsigned int, int))dlsym(RTLD_NEXT,
								 "eventfd");
	if (eventfd_fails()) {
		errno = EMFILE;
		return -1;
	}
	return real_eventfd(initval, flags);
}
