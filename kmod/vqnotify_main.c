// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: host-wide arbitration of virtqueue notification slots.
 *
 * Module init and exit only: the settings are checked (vqn_pool.c), the
 * netlink family is registered (vqn_nl.c) with its ops table
 * (netlink-gen.c), then the misc device (vqn_misc.c), which makes guests
 * possible; exit undoes that in reverse. "DOC: Layout" in vqnotify.h says
 * which file does what.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "vqnotify.h"
#include "vqn_misc.h"
#include "vqn_nl.h"

static int __init vqn_init(void)
{
	int ret;

	ret = vqn_pool_init();
	if (ret)
		return ret;
	ret = vqn_nl_init(vqnotify_nl_ops, ARRAY_SIZE(vqnotify_nl_ops));
	if (ret)
		return ret;
	ret = vqn_misc_init();
	if (ret)
		goto err_nl;
	return 0;

err_nl:
	/* The family was up: an admin may have set policies meanwhile. */
	vqn_nl_exit();
	vqn_kguests_exit();
	vqn_pool_exit();
	vqn_user_exit();
	return ret;
}

static void __exit vqn_exit(void)
{
	vqn_misc_exit();
	vqn_nl_exit();
	vqn_kguests_exit();
	vqn_pool_exit();
	vqn_user_exit();
}

module_init(vqn_init);
module_exit(vqn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Host-wide arbitration of virtqueue notification slots");
MODULE_AUTHOR("vqnotify developers");
MODULE_VERSION("1.2.0");
