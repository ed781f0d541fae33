/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An API 1 module, as libvqnotify sees it while vqn_api1 is set
 * (vqn_api1.h: API 2's calls refused, GET_INFO, GUEST_GET and DEV_GET
 * answered as API 1's). For
 * the tests that link the library in (libvqnotify.a) with
 * -Wl,--wrap=ioctl (selftests/Makefile); the library reads the features
 * once, in vqn_open(). While vqn_fail_req is set, that request fails
 * with vqn_fail_errno instead, whatever vqn_api1 says, once
 * vqn_fail_skip of them have gone through (counted down). The first
 * vqn_hook_req request made once vqn_hook_skip of them have gone through
 * calls vqn_hook() first, once. Every request
 * vqn_count_req made (failed or not) is counted in vqn_count.
 */
#ifndef VQN_API1_WRAP_H
#define VQN_API1_WRAP_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <linux/vqnotify.h>

#include "vqn_api1.h"

static bool vqn_api1;
static unsigned long vqn_fail_req;
static int vqn_fail_errno;
static unsigned int vqn_fail_skip;
static unsigned long vqn_hook_req;
static void (*vqn_hook)(void);
static unsigned int vqn_hook_skip;
static unsigned long vqn_count_req;
static unsigned int vqn_count;

int __real_ioctl(int fd, unsigned long req, void *arg);
int __wrap_ioctl(int fd, unsigned long req, void *arg);

int __wrap_ioctl(int fd, unsigned long req, void *arg)
{
	int ret, err;

	if (vqn_count_req && req == vqn_count_req)
		vqn_count++;
	if (vqn_hook_req && req == vqn_hook_req && vqn_hook_skip) {
		vqn_hook_skip--;
	} else if (vqn_hook_req && req == vqn_hook_req) {
		vqn_hook_req = 0;
		vqn_hook();
	}
	if (vqn_fail_req && req == vqn_fail_req && !vqn_fail_skip) {
		errno = vqn_fail_errno;
		return -1;
	}
	if (vqn_fail_req && req == vqn_fail_req)
		vqn_fail_skip--;
	err = vqn_api1 ? vqn_api1_refused(req, arg) : 0;
	if (err) {
		errno = err;
		return -1;
	}
	ret = __real_ioctl(fd, req, arg);
	if (vqn_api1 && !ret)
		vqn_api1_answer(req, arg);
	return ret;
}

/*
 * Nothing emulated or injected any more: for a fixture's teardown, after
 * a test that may have bailed out with one armed.
 */
static inline void vqn_wrap_reset(void)
{
	vqn_api1 = false;
	vqn_fail_req = 0;
	vqn_fail_skip = 0;
	vqn_hook_req = 0;
	vqn_hook_skip = 0;
	vqn_count_req = 0;
}

#endif /* VQN_API1_WRAP_H */
