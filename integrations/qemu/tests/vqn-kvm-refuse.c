// SPDX-License-Identifier: GPL-2.0
/*
 * vqn-kvm-refuse.so: fault injection at QEMU's KVM boundary for
 * vqn_qemu_test, loaded with LD_PRELOAD.
 *
 * KVM refuses a KVM_IOEVENTFD assignment only in conditions a test cannot
 * set up cleanly (ENOMEM when the VM's memory cgroup is full, which the
 * memcg OOM killer answers first; EEXIST for an overlapping registration
 * QEMU never makes). This library makes the refusal happen where QEMU
 * sees it: while the file named by $VQN_KVM_REFUSE exists and holds
 * "LO HI" (hexadecimal guest-physical addresses), every KVM_IOEVENTFD
 * assignment with LO <= addr < HI fails with ENOMEM, without reaching KVM.
 * Everything else, deassignments included, goes to KVM unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

static int (*real_ioctl)(int fd, unsigned long req, ...);

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

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == KVM_IOEVENTFD && refused(arg)) {
		errno = ENOMEM;
		return -1;
	}
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT,
								     "ioctl");
	return real_ioctl(fd, req, arg);
}
