/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vqnotify

#if !defined(_VQNOTIFY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VQNOTIFY_TRACE_H

#include <linux/tracepoint.h>

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
	    TP_printk("guest=%u dev=%u queue=%u %s -> %s (%c) reason=%u",
		      __entry->guest, __entry->dev, __entry->queue,
		      __print_symbolic(__entry->old, { 0, "deassigned" },
				       { 1, "assigned" }, { 2, "offlimits" }),
		      __print_symbolic(__entry->new, { 0, "deassigned" },
				       { 1, "assigned" }, { 2, "offlimits" }),
		      "-abcdefgprsqx"[__entry->label < 13 ? __entry->label : 0],
		      __entry->reason)
);

#endif /* _VQNOTIFY_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vqnotify_trace
#include <trace/define_trace.h>
