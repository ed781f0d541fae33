/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A module of API 1 as libvqnotify sees it, for the doubles that stand
 * between the library and the real module: vqn_api1_wrap.h (the selftests
 * that link the library in) and integrations/qemu/tests/vqn-kvm-shim.c
 * (the nested QEMU's LD_PRELOAD). vqn_api1_refused(): what such a module
 * refuses that this one takes, as its errno (ENOTTY for API 2's ioctls,
 * EOPNOTSUPP for API 2's flags of GUEST_SET and DEV_ADD), or 0.
 * vqn_api1_answer(): this module's answer to @req, which succeeded, made
 * API 1's: GET_INFO says version 1 and offers no feature of API 2 (no
 * per-queue calls, no names, no run state), GUEST_GET and DEV_GET write
 * back no more than API 1's structs.
 */
#ifndef VQN_API1_H
#define VQN_API1_H

#include <errno.h>
#include <string.h>

#include <linux/vqnotify.h>

static inline int vqn_api1_refused(unsigned long req, const void *arg)
{
	switch (req) {
	case VQNOTIFY_QUEUES_ACQUIRE:
	case VQNOTIFY_QUEUES_RELEASE:
	case VQNOTIFY_SET_HOST_NOTIFIERS:
		return ENOTTY;
	case VQNOTIFY_GUEST_SET:
		return ((const struct vqnotify_guest_set *)arg)->flags &
		       (VQNOTIFY_GUEST_SET_NAME |
			VQNOTIFY_GUEST_SET_RUN_STATE) ? EOPNOTSUPP : 0;
	case VQNOTIFY_DEV_ADD:
		return ((const struct vqnotify_dev_add *)arg)->flags &
		       VQNOTIFY_DEV_ADD_NAME ? EOPNOTSUPP : 0;
	}
	return 0;
}

static inline void vqn_api1_answer(unsigned long req, void *arg)
{
	size_t from, to;

	switch (req) {
	case VQNOTIFY_GET_INFO:
		((struct vqnotify_info *)arg)->api_version = 1;
		((struct vqnotify_info *)arg)->features &=
			VQNOTIFY_FEATURE_SAVE_LOAD | VQNOTIFY_FEATURE_NETLINK;
		return;
	case VQNOTIFY_GUEST_GET:
		from = VQNOTIFY_GUEST_INFO_SIZE_VER1;
		to = ((struct vqnotify_guest_info *)arg)->size;
		break;
	case VQNOTIFY_DEV_GET:
		from = VQNOTIFY_DEV_GET_SIZE_VER1;
		to = ((struct vqnotify_dev_get *)arg)->size;
		break;
	default:
		return;
	}
	if (to > from)
		memset((char *)arg + from, 0, to - from);
}

#endif /* VQN_API1_H */
