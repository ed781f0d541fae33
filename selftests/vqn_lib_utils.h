/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqn_lib_utils.h: what the tests of libvqnotify (vqn_lib_test,
 * vqn_kvm_test) share. They test the library, so they reach the module
 * through it; only what they do behind the library's back goes through
 * the toolkit, whose names (tk_*, _test_ioctl_*, test_cmd_*) cannot clash
 * with the library's (vqn_*).
 */
#ifndef _VQN_LIB_UTILS_H
#define _VQN_LIB_UTILS_H

#include "kselftest_harness.h"
#include "../user/lib/libvqnotify.h"
#include "vqn_utils.h"

#define STATUS_OK	0x0f	/* ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK */

/*
 * The tests assume the module's defaults: threshold 7, no vhost reserve,
 * budget and host cap to spare. A test killed before restoring the
 * host-wide config (netlink CONFIG_SET) would fail every test here in
 * ways that point nowhere: say so instead.
 */
#define ASSERT_HOST_DEFAULTS(g) do {					\
	struct vqnotify_info _i;					\
									\
	ASSERT_EQ(0, vqn_get_info(g, &_i));				\
	ASSERT_TRUE(_i.threshold == 7 && !_i.vhost_reserve &&		\
		    _i.default_budget >= 64 &&				\
		    _i.host_cap >= _i.host_used + 64)			\
		TH_LOG("host config is not the module's defaults (left " \
		       "by an earlier test?): threshold %u reserve %u " \
		       "default budget %u host cap %u used %u",		\
		       _i.threshold, _i.vhost_reserve,			\
		       _i.default_budget, _i.host_cap, _i.host_used);	\
} while (0)

/* The module's state of queue @q of device @dev, or -errno. */
static inline int state_of(struct vqn_guest *g, uint32_t dev, uint32_t q)
{
	struct vqnotify_vq_info info;
	int ret = vqn_queue_get(g, dev, q, &info);

	return ret ? ret : info.state;
}

#endif /* _VQN_LIB_UTILS_H */
