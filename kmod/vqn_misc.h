/* SPDX-License-Identifier: GPL-2.0 */
/* The misc device /dev/vqnotify (vqn_misc.c), for module init and exit. */
#ifndef _VQN_MISC_H
#define _VQN_MISC_H

int vqn_misc_init(void);
void vqn_misc_exit(void);

#endif /* _VQN_MISC_H */
