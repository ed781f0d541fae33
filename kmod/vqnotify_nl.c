// SPDX-License-Identifier: GPL-2.0
/* Generic netlink family "vqnotify": placeholder until the family lands. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vqnotify.h"

int vqn_nl_init(void)
{
	return 0;
}

void vqn_nl_exit(void)
{
}

void vqn_nl_notify_transition(struct vqn_guest *g, struct vqn_vq *vq, u8 old,
			      u8 label)
{
}

void vqn_nl_notify_guest(struct vqn_guest *g, bool add)
{
}

void vqn_nl_notify_dev(struct vqn_guest *g, struct vqn_dev *d, bool add)
{
}
