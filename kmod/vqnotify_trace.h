/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of vqnotify, for perf, trace-cmd and bpftrace:
 *
 *   vqnotify:vq_transition  a queue changed state (labels (a)-(x))
 *   vqnotify:vq_refusal     a queue was refused a slot and stays DEASSIGNED
 *   vqnotify:vq_call        the results of one call on a device, in runs
 *
 * A call (SET_STATUS, SET_HOST_NOTIFIER(S), DEV_RESET, ...) reports the
 * transitions and refusals it made as one vq_call event: runs of
 * consecutive queues with the same change, struct vqn_trace_run each (a
 * DRIVER_OK of 1024 queues is one run, or two when the budget runs out;
 * 64 runs at most an event). vq_transition and vq_refusal, one event per
 * queue, come as before for who enables them: they make a DRIVER_OK of
 * 1024 queues far slower than vq_call alone does (make bench's
 * driver_ok_1024_trace_all and driver_ok_1024_trace).
 *
 * States, labels and reasons are printed with __print_symbolic() over the
 * uAPI's enums (their values reach the format file through
 * TRACE_DEFINE_ENUM), as include/trace/events/kvm.h does, so that
 * libtraceevent decodes them: an expression such as a string indexed by
 * a field is what it cannot parse. A reason added to the uAPI belongs in
 * vqn_show_reason() too (it prints as a number until then).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vqnotify

#if !defined(_VQNOTIFY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VQNOTIFY_TRACE_H

#include <linux/tracepoint.h>
#include <uapi/linux/vqnotify.h>

TRACE_DEFINE_ENUM(VQNOTIFY_VQ_DEASSIGNED);
TRACE_DEFINE_ENUM(VQNOTIFY_VQ_ASSIGNED);
TRACE_DEFINE_ENUM(VQNOTIFY_VQ_OFFLIMITS);

#define vqn_show_state(v)						\
	__print_symbolic(v,						\
			 { VQNOTIFY_VQ_DEASSIGNED, "deassigned" },	\
			 { VQNOTIFY_VQ_ASSIGNED, "assigned" },		\
			 { VQNOTIFY_VQ_OFFLIMITS, "offlimits" })

TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_NONE);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_A);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_B);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_C);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_D);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_E);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_F);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_G);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_P);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_R);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_S);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_Q);
TRACE_DEFINE_ENUM(VQNOTIFY_LABEL_X);

#define vqn_show_label(v)						\
	__print_symbolic(v,						\
			 { VQNOTIFY_LABEL_NONE, "-" },			\
			 { VQNOTIFY_LABEL_A, "a" },			\
			 { VQNOTIFY_LABEL_B, "b" },			\
			 { VQNOTIFY_LABEL_C, "c" },			\
			 { VQNOTIFY_LABEL_D, "d" },			\
			 { VQNOTIFY_LABEL_E, "e" },			\
			 { VQNOTIFY_LABEL_F, "f" },			\
			 { VQNOTIFY_LABEL_G, "g" },			\
			 { VQNOTIFY_LABEL_P, "p" },			\
			 { VQNOTIFY_LABEL_R, "r" },			\
			 { VQNOTIFY_LABEL_S, "s" },			\
			 { VQNOTIFY_LABEL_Q, "q" },			\
			 { VQNOTIFY_LABEL_X, "x" })

TRACE_DEFINE_ENUM(VQNOTIFY_REASON_NONE);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_GRANTED);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_LIMITED);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_NO_SLOT);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_HOST_CAP);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_NOT_READY);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_VHOST);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_VHOST_OFF);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_RESET);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_REMOVED);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_PREEMPT_VHOST);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_PREEMPT_BUDGET);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_STOPPED);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_PROMOTED);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_RELEASED);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_KVM_REFUSED);
TRACE_DEFINE_ENUM(VQNOTIFY_REASON_QUOTA);

/* A reason or label added to the uAPI gets its name here too. */
static_assert(VQNOTIFY_REASON_QUOTA + 1 == VQNOTIFY_REASON_MAX);
static_assert(VQNOTIFY_LABEL_X + 1 == VQNOTIFY_LABEL_MAX);

#define vqn_show_reason(v)						\
	__print_symbolic(v,						\
			 { VQNOTIFY_REASON_NONE, "none" },		\
			 { VQNOTIFY_REASON_GRANTED, "granted" },	\
			 { VQNOTIFY_REASON_LIMITED, "limited" },	\
			 { VQNOTIFY_REASON_NO_SLOT, "no-slot" },	\
			 { VQNOTIFY_REASON_HOST_CAP, "host-cap" },	\
			 { VQNOTIFY_REASON_NOT_READY, "not-ready" },	\
			 { VQNOTIFY_REASON_VHOST, "vhost" },		\
			 { VQNOTIFY_REASON_VHOST_OFF, "vhost-off" },	\
			 { VQNOTIFY_REASON_RESET, "reset" },		\
			 { VQNOTIFY_REASON_REMOVED, "removed" },	\
			 { VQNOTIFY_REASON_PREEMPT_VHOST, "preempt-vhost" }, \
			 { VQNOTIFY_REASON_PREEMPT_BUDGET, "preempt-budget" }, \
			 { VQNOTIFY_REASON_STOPPED, "stopped" },	\
			 { VQNOTIFY_REASON_PROMOTED, "promoted" },	\
			 { VQNOTIFY_REASON_RELEASED, "released" },	\
			 { VQNOTIFY_REASON_KVM_REFUSED, "kvm-refused" }, \
			 { VQNOTIFY_REASON_QUOTA, "quota" })

TRACE_EVENT(vq_transition,
	    TP_PROTO(u32 guest, u32 dev, u32 queue, u8 old, u8 new, u8 label,
		     u8 reason),
	    TP_ARGS(guest, dev, queue, old, new, label, reason),
	    TP_STRUCT__entry(__field(u32, guest)
			     __field(u32, dev)
			     __field(u32, queue)
			     __field(u8, old)
			     __field(u8, new)
			     __field(u8, label)
			     __field(u8, reason)),
	    TP_fast_assign(__entry->guest = guest;
			   __entry->dev = dev;
			   __entry->queue = queue;
			   __entry->old = old;
			   __entry->new = new;
			   __entry->label = label;
			   __entry->reason = reason;),
	    TP_printk("guest=%u dev=%u queue=%u old=%s new=%s label=%s reason=%s",
		      __entry->guest, __entry->dev, __entry->queue,
		      vqn_show_state(__entry->old),
		      vqn_show_state(__entry->new),
		      vqn_show_label(__entry->label),
		      vqn_show_reason(__entry->reason))
);

#ifndef VQN_TRACE_RUN_DEFINED
#define VQN_TRACE_RUN_DEFINED
/**
 * struct vqn_trace_run - queues @first .. @first + @count - 1 changed alike
 * @first: the first queue
 * @count: how many
 * @old_state: enum vqnotify_vq_state before
 * @new_state: after
 * @label: enum vqnotify_label, NONE for a refusal
 * @reason: enum vqnotify_reason
 */
struct vqn_trace_run {
	u16 first;
	u16 count;
	u8 old_state;
	u8 new_state;
	u8 label;
	u8 reason;
};
#endif

TRACE_EVENT(vq_call,
	    TP_PROTO(u32 guest, u32 dev, u32 nr_results,
		     const struct vqn_trace_run *runs, u32 nr_runs),
	    TP_ARGS(guest, dev, nr_results, runs, nr_runs),
	    TP_STRUCT__entry(__field(u32, guest)
			     __field(u32, dev)
			     __field(u32, nr_results)
			     __dynamic_array(u8, runs,
					     nr_runs * sizeof(*runs))),
	    TP_fast_assign(__entry->guest = guest;
			   __entry->dev = dev;
			   __entry->nr_results = nr_results;
			   memcpy(__get_dynamic_array(runs), runs,
				  nr_runs * sizeof(*runs));),
	    TP_printk("guest=%u dev=%u results=%u runs=%s",
		      __entry->guest, __entry->dev, __entry->nr_results,
		      __print_hex(__get_dynamic_array(runs),
				  __get_dynamic_array_len(runs)))
);

TRACE_EVENT(vq_refusal,
	    TP_PROTO(u32 guest, u32 dev, u32 queue, u8 state, u8 reason),
	    TP_ARGS(guest, dev, queue, state, reason),
	    TP_STRUCT__entry(__field(u32, guest)
			     __field(u32, dev)
			     __field(u32, queue)
			     __field(u8, state)
			     __field(u8, reason)),
	    TP_fast_assign(__entry->guest = guest;
			   __entry->dev = dev;
			   __entry->queue = queue;
			   __entry->state = state;
			   __entry->reason = reason;),
	    TP_printk("guest=%u dev=%u queue=%u state=%s reason=%s",
		      __entry->guest, __entry->dev, __entry->queue,
		      vqn_show_state(__entry->state),
		      vqn_show_reason(__entry->reason))
);

#endif /* _VQNOTIFY_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vqnotify_trace
#include <trace/define_trace.h>
