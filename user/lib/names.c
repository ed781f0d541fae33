// SPDX-License-Identifier: LGPL-2.1-or-later
/* libvqnotify: names of the uAPI's enums, and their parsing. */
#define _GNU_SOURCE
#include <errno.h>
#include <strings.h>

#include "internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const states[] = {
	[VQNOTIFY_VQ_DEASSIGNED] = "DEASSIGNED",
	[VQNOTIFY_VQ_ASSIGNED] = "ASSIGNED",
	[VQNOTIFY_VQ_OFFLIMITS] = "OFFLIMITS",
};

static const char *const labels[] = {
	[VQNOTIFY_LABEL_NONE] = "-",
	[VQNOTIFY_LABEL_A] = "a",
	[VQNOTIFY_LABEL_B] = "b",
	[VQNOTIFY_LABEL_C] = "c",
	[VQNOTIFY_LABEL_D] = "d",
	[VQNOTIFY_LABEL_E] = "e",
	[VQNOTIFY_LABEL_F] = "f",
	[VQNOTIFY_LABEL_G] = "g",
	[VQNOTIFY_LABEL_P] = "p",
	[VQNOTIFY_LABEL_R] = "r",
	[VQNOTIFY_LABEL_S] = "s",
	[VQNOTIFY_LABEL_Q] = "q",
	[VQNOTIFY_LABEL_X] = "x",
};

static const char *const label_descs[] = {
	[VQNOTIFY_LABEL_NONE] = "none",
	[VQNOTIFY_LABEL_A] = "device added",
	[VQNOTIFY_LABEL_B] = "DRIVER_OK",
	[VQNOTIFY_LABEL_C] = "vhost on",
	[VQNOTIFY_LABEL_D] = "vhost on",
	[VQNOTIFY_LABEL_E] = "vhost off",
	[VQNOTIFY_LABEL_F] = "vhost off",
	[VQNOTIFY_LABEL_G] = "reset",
	[VQNOTIFY_LABEL_P] = "preemption",
	[VQNOTIFY_LABEL_R] = "promotion",
	[VQNOTIFY_LABEL_S] = "DRIVER_OK cleared",
	[VQNOTIFY_LABEL_Q] = "acquire",
	[VQNOTIFY_LABEL_X] = "release",
};

static const char *const reasons[] = {
	[VQNOTIFY_REASON_NONE] = "none",
	[VQNOTIFY_REASON_GRANTED] = "granted",
	[VQNOTIFY_REASON_LIMITED] = "limited",
	[VQNOTIFY_REASON_NO_SLOT] = "no-slot",
	[VQNOTIFY_REASON_HOST_CAP] = "host-cap",
	[VQNOTIFY_REASON_NOT_READY] = "not-ready",
	[VQNOTIFY_REASON_VHOST] = "vhost",
	[VQNOTIFY_REASON_VHOST_OFF] = "vhost-off",
	[VQNOTIFY_REASON_RESET] = "reset",
	[VQNOTIFY_REASON_REMOVED] = "removed",
	[VQNOTIFY_REASON_PREEMPT_VHOST] = "preempt-vhost",
	[VQNOTIFY_REASON_PREEMPT_BUDGET] = "preempt-budget",
	[VQNOTIFY_REASON_STOPPED] = "stopped",
	[VQNOTIFY_REASON_PROMOTED] = "promoted",
	[VQNOTIFY_REASON_RELEASED] = "released",
	[VQNOTIFY_REASON_KVM_REFUSED] = "kvm-refused",
	[VQNOTIFY_REASON_QUOTA] = "quota",
};

static const char *const transports[] = {
	[VQNOTIFY_TRANSPORT_PIO] = "pio",
	[VQNOTIFY_TRANSPORT_MMIO] = "mmio",
	[VQNOTIFY_TRANSPORT_CCW] = "ccw",
};

static const char *const event_types[] = {
	[VQNOTIFY_EVENT_TRANSITION] = "transition",
	[VQNOTIFY_EVENT_OVERFLOW] = "overflow",
	[VQNOTIFY_EVENT_BUDGET] = "budget",
};

_Static_assert(N(labels) == VQNOTIFY_LABEL_MAX, "a label has no name");
_Static_assert(N(reasons) == VQNOTIFY_REASON_MAX, "a reason has no name");

static const char *name(const char *const *t, unsigned int n, unsigned int v)
{
	return v < n && t[v] ? t[v] : "?";
}

static int lookup(const char *const *t, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (t[i] && !strcasecmp(t[i], s))
			return i;
	return -EINVAL;
}

VQN_EXPORT const char *vqn_state_name(unsigned int v)
{
	return name(states, N(states), v);
}

VQN_EXPORT const char *vqn_label_name(unsigned int v)
{
	return name(labels, N(labels), v);
}

VQN_EXPORT const char *vqn_label_desc(unsigned int v)
{
	return name(label_descs, N(label_descs), v);
}

VQN_EXPORT const char *vqn_reason_name(unsigned int v)
{
	return name(reasons, N(reasons), v);
}

VQN_EXPORT const char *vqn_transport_name(unsigned int v)
{
	return name(transports, N(transports), v);
}

VQN_EXPORT const char *vqn_event_type_name(unsigned int v)
{
	return name(event_types, N(event_types), v);
}

VQN_EXPORT int vqn_state_from_name(const char *s)
{
	return lookup(states, N(states), s);
}

VQN_EXPORT int vqn_transport_from_name(const char *s)
{
	return lookup(transports, N(transports), s);
}

VQN_EXPORT int vqn_reason_from_name(const char *s)
{
	return lookup(reasons, N(reasons), s);
}
