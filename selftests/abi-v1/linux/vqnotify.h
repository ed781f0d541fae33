/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * A frozen copy of include/uapi/linux/vqnotify.h as API 1 released it
 * (commit d52eb93), for vqn_abi_v1_test.c: a program built against the
 * old header must keep working on every later module. Never edit.
 */
/*
 * vqnotify: host-wide arbitration of virtqueue notification slots
 * (KVM ioeventfds) between vhost and userspace virtqueues.
 *
 * One open file of /dev/vqnotify is one guest. A VMM registers each virtio
 * device of the guest and forwards its lifecycle (DRIVER_OK, vhost host
 * notifier on/off, reset, migration). For every queue the module decides
 * whether it holds a notification slot and reports the decision; changes the
 * VMM did not cause itself (preemption, promotion, admin changes) are read
 * from the file as struct vqnotify_event records.
 *
 * All ioctl structures start with __u32 size and __u32 flags. size is the
 * size of the structure as known to userspace; the kernel accepts smaller
 * (older) structures and larger ones whose unknown tail is zero (E2BIG
 * otherwise). Unknown flags fail with EOPNOTSUPP, non-zero reserved fields
 * with EINVAL. A call that fails changes nothing.
 *
 * See Documentation/vqnotify.rst for the state machine.
 */
#ifndef _UAPI_LINUX_VQNOTIFY_H
#define _UAPI_LINUX_VQNOTIFY_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VQNOTIFY_API_VERSION	1

/*
 * 0xBA: unused in Documentation/userspace-api/ioctl/ioctl-number.rst (6.12:
 * 0xB8 is the last taken before 0xC0), close to KVM (0xAE) and vhost (0xAF)
 * whose objects these calls shadow. Commands 0x80 and up, so even a future
 * user of the low numbers of 0xBA cannot collide. All commands use _IO()
 * with the command number only: like iommufd, the structure size travels in
 * the structure.
 */
#define VQNOTIFY_TYPE		0xBA
#define VQNOTIFY_CMD_BASE	0x80

#define VQNOTIFY_MAX_QUEUES	1024	/* VIRTIO_QUEUE_MAX */
#define VQNOTIFY_LABEL_LEN	32

/**
 * enum vqnotify_vq_state - state of one virtqueue's notification slot
 * @VQNOTIFY_VQ_DEASSIGNED: no ioeventfd; notifications trap to the VMM.
 * @VQNOTIFY_VQ_ASSIGNED: userspace (the VMM) owns the queue's ioeventfd.
 * @VQNOTIFY_VQ_OFFLIMITS: vhost owns the host notifier; the VMM must not
 *                         touch the queue's ioeventfd.
 */
enum vqnotify_vq_state {
	VQNOTIFY_VQ_DEASSIGNED = 0,
	VQNOTIFY_VQ_ASSIGNED = 1,
	VQNOTIFY_VQ_OFFLIMITS = 2,
};

/**
 * enum vqnotify_label - transition labels, as in Documentation/vqnotify.rst
 * @VQNOTIFY_LABEL_NONE: no transition yet.
 * @VQNOTIFY_LABEL_A: (a) device added: queue starts DEASSIGNED.
 * @VQNOTIFY_LABEL_B: (b) DRIVER_OK: DEASSIGNED -> ASSIGNED.
 * @VQNOTIFY_LABEL_C: (c) vhost on: DEASSIGNED -> OFFLIMITS.
 * @VQNOTIFY_LABEL_D: (d) vhost on: ASSIGNED -> OFFLIMITS.
 * @VQNOTIFY_LABEL_E: (e) vhost off: OFFLIMITS -> ASSIGNED.
 * @VQNOTIFY_LABEL_F: (f) vhost off: OFFLIMITS -> DEASSIGNED.
 * @VQNOTIFY_LABEL_G: (g) reset or device removal: any -> DEASSIGNED.
 * @VQNOTIFY_LABEL_P: (p) preemption: ASSIGNED -> DEASSIGNED, the slot goes
 *                    to vhost or a lowered budget took it.
 * @VQNOTIFY_LABEL_R: (r) promotion: DEASSIGNED -> ASSIGNED when a slot frees.
 * @VQNOTIFY_LABEL_S: (s) DRIVER_OK cleared without reset: ASSIGNED ->
 *                    DEASSIGNED (QEMU stops its ioeventfds; vhost keeps
 *                    its notifiers).
 * @VQNOTIFY_LABEL_MAX: number of labels.
 */
enum vqnotify_label {
	VQNOTIFY_LABEL_NONE = 0,
	VQNOTIFY_LABEL_A,
	VQNOTIFY_LABEL_B,
	VQNOTIFY_LABEL_C,
	VQNOTIFY_LABEL_D,
	VQNOTIFY_LABEL_E,
	VQNOTIFY_LABEL_F,
	VQNOTIFY_LABEL_G,
	VQNOTIFY_LABEL_P,
	VQNOTIFY_LABEL_R,
	VQNOTIFY_LABEL_S,
	VQNOTIFY_LABEL_MAX,
};

/* Room reserved for future labels in counter arrays. */
#define VQNOTIFY_NR_COUNTERS	16

/**
 * enum vqnotify_reason - why a queue is in its current state
 * @VQNOTIFY_REASON_NONE: initial state of a new device.
 * @VQNOTIFY_REASON_GRANTED: a slot was granted.
 * @VQNOTIFY_REASON_LIMITED: refused: the guest is limited (budget below
 *                           the many-ioeventfds threshold).
 * @VQNOTIFY_REASON_NO_SLOT: refused: no slot free in the guest's budget
 *                           beyond its vhost reserve. The queue waits for
 *                           promotion (r).
 * @VQNOTIFY_REASON_HOST_CAP: refused: the host-wide cap is reached. The
 *                            queue waits for promotion (r).
 * @VQNOTIFY_REASON_NOT_READY: not initialised (size 0) at DRIVER_OK.
 * @VQNOTIFY_REASON_VHOST: vhost holds the host notifier.
 * @VQNOTIFY_REASON_VHOST_OFF: vhost released the host notifier.
 * @VQNOTIFY_REASON_RESET: the device was reset.
 * @VQNOTIFY_REASON_REMOVED: the device was removed.
 * @VQNOTIFY_REASON_PREEMPT_VHOST: preempted to give the slot to vhost.
 * @VQNOTIFY_REASON_PREEMPT_BUDGET: preempted by a lowered budget.
 * @VQNOTIFY_REASON_STOPPED: DRIVER_OK was cleared.
 * @VQNOTIFY_REASON_PROMOTED: a freed slot was granted to a waiting queue.
 * @VQNOTIFY_REASON_MAX: number of reasons.
 */
enum vqnotify_reason {
	VQNOTIFY_REASON_NONE = 0,
	VQNOTIFY_REASON_GRANTED,
	VQNOTIFY_REASON_LIMITED,
	VQNOTIFY_REASON_NO_SLOT,
	VQNOTIFY_REASON_HOST_CAP,
	VQNOTIFY_REASON_NOT_READY,
	VQNOTIFY_REASON_VHOST,
	VQNOTIFY_REASON_VHOST_OFF,
	VQNOTIFY_REASON_RESET,
	VQNOTIFY_REASON_REMOVED,
	VQNOTIFY_REASON_PREEMPT_VHOST,
	VQNOTIFY_REASON_PREEMPT_BUDGET,
	VQNOTIFY_REASON_STOPPED,
	VQNOTIFY_REASON_PROMOTED,
	VQNOTIFY_REASON_MAX,
};

/**
 * enum vqnotify_transport - how the guest notifies a queue
 * @VQNOTIFY_TRANSPORT_PIO: port I/O (legacy virtio-pci, 2-byte datamatch).
 * @VQNOTIFY_TRANSPORT_MMIO: MMIO (modern virtio-pci, virtio-mmio).
 * @VQNOTIFY_TRANSPORT_CCW: virtio-ccw subchannel notification.
 */
enum vqnotify_transport {
	VQNOTIFY_TRANSPORT_PIO = 1,
	VQNOTIFY_TRANSPORT_MMIO = 2,
	VQNOTIFY_TRANSPORT_CCW = 3,
};

/* VIRTIO_CONFIG_S_DRIVER_OK, repeated so this header stands alone. */
#define VQNOTIFY_STATUS_DRIVER_OK	0x04

/**
 * struct vqnotify_vq_result - one queue changed by a lifecycle call
 * @queue: queue index.
 * @old_state: enum vqnotify_vq_state before the call.
 * @new_state: enum vqnotify_vq_state after the call.
 * @label: enum vqnotify_label of the transition.
 * @reason: enum vqnotify_reason of the new state (also set for a refusal,
 *          where old_state == new_state and @label is NONE).
 */
struct vqnotify_vq_result {
	__u32 queue;
	__u8 old_state;
	__u8 new_state;
	__u8 label;
	__u8 reason;
};

/**
 * struct vqnotify_info - VQNOTIFY_GET_INFO
 * @size: sizeof(struct vqnotify_info)
 * @flags: must be 0
 * @api_version: out: VQNOTIFY_API_VERSION
 * @max_queues: out: largest queue count of a device (1024)
 * @max_devices: out: devices one guest may add
 * @event_size: out: sizeof(struct vqnotify_event)
 * @event_depth: out: events queued per guest before an overflow
 * @default_budget: out: budget of a new guest
 * @threshold: out: a guest whose budget is below this is limited
 * @vhost_reserve: out: default vhost reserve of a new guest
 * @host_cap: out: host-wide slot cap
 * @host_used: out: slots in use host-wide
 * @nr_guests: out: open guests host-wide
 * @__reserved: must be 0
 * @features: out: VQNOTIFY_FEATURE_* bits
 */
struct vqnotify_info {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 max_queues;
	__u32 max_devices;
	__u32 event_size;
	__u32 event_depth;
	__u32 default_budget;
	__u32 threshold;
	__u32 vhost_reserve;
	__u32 host_cap;
	__u32 host_used;
	__u32 nr_guests;
	__u32 __reserved;
	__aligned_u64 features;
};

#define VQNOTIFY_FEATURE_SAVE_LOAD	(1ULL << 0)
#define VQNOTIFY_FEATURE_NETLINK	(1ULL << 1)
#define VQNOTIFY_GET_INFO	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 0)

/**
 * struct vqnotify_guest_set - VQNOTIFY_GUEST_SET
 * @size: sizeof(struct vqnotify_guest_set)
 * @flags: which fields to apply: VQNOTIFY_GUEST_SET_LABEL and/or
 *         VQNOTIFY_GUEST_SET_BUDGET
 * @budget: the VMM's own limit on its budget. The effective budget is the
 *          smaller of this and the admin's budget; lowering it preempts
 *          ASSIGNED queues newest first (p). 0 means no own limit.
 * @__reserved: must be 0
 * @label: NUL-terminated name of the guest (e.g. the VM name)
 */
struct vqnotify_guest_set {
	__u32 size;
	__u32 flags;
	__u32 budget;
	__u32 __reserved;
	char label[VQNOTIFY_LABEL_LEN];
};

#define VQNOTIFY_GUEST_SET_LABEL	(1U << 0)
#define VQNOTIFY_GUEST_SET_BUDGET	(1U << 1)
#define VQNOTIFY_GUEST_SET	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 1)

/**
 * struct vqnotify_guest_info - VQNOTIFY_GUEST_GET
 * @size: sizeof(struct vqnotify_guest_info)
 * @flags: must be 0
 * @guest_id: out: host-wide id of this guest (as in netlink dumps)
 * @owner_pid: out: pid (in the caller's namespace) that opened the guest
 * @budget: out: effective budget (min of admin and own limit)
 * @vhost_reserve: out: slots kept free for vhost
 * @threshold: out: many-ioeventfds threshold in force
 * @used: out: slots held (ASSIGNED + OFFLIMITS)
 * @nr_assigned: out: ASSIGNED queues
 * @nr_offlimits: out: OFFLIMITS queues
 * @nr_waiting: out: DEASSIGNED queues waiting for promotion
 * @nr_devices: out: devices
 * @out_flags: out: VQNOTIFY_GUEST_LIMITED, VQNOTIFY_GUEST_OVER_BUDGET
 * @__reserved: must be 0
 * @counts: out: transitions counted by enum vqnotify_label
 * @label: out: the guest's label
 */
struct vqnotify_guest_info {
	__u32 size;
	__u32 flags;
	__u32 guest_id;
	__u32 owner_pid;
	__u32 budget;
	__u32 vhost_reserve;
	__u32 threshold;
	__u32 used;
	__u32 nr_assigned;
	__u32 nr_offlimits;
	__u32 nr_waiting;
	__u32 nr_devices;
	__u32 out_flags;
	__u32 __reserved;
	__aligned_u64 counts[VQNOTIFY_NR_COUNTERS];
	char label[VQNOTIFY_LABEL_LEN];
};

#define VQNOTIFY_GUEST_LIMITED		(1U << 0)
#define VQNOTIFY_GUEST_OVER_BUDGET	(1U << 1)
#define VQNOTIFY_GUEST_GET	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 2)

/**
 * struct vqnotify_dev_add - VQNOTIFY_DEV_ADD
 * @size: sizeof(struct vqnotify_dev_add)
 * @flags: must be 0
 * @transport: enum vqnotify_transport
 * @num_queues: 1..VQNOTIFY_MAX_QUEUES
 * @out_dev_id: out: id of the new device, unique within the guest
 * @__reserved: must be 0
 * @label: NUL-terminated name (e.g. "virtio-net-pci.0")
 *
 * Every queue starts DEASSIGNED (a). Errors: EINVAL (bad transport, queue
 * count, unterminated label), EMFILE (guest has max_devices devices),
 * ENOMEM.
 */
struct vqnotify_dev_add {
	__u32 size;
	__u32 flags;
	__u32 transport;
	__u32 num_queues;
	__u32 out_dev_id;
	__u32 __reserved;
	char label[VQNOTIFY_LABEL_LEN];
};

#define VQNOTIFY_DEV_ADD	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 3)

/**
 * struct vqnotify_dev_op - device-wide lifecycle calls
 * @size: sizeof(struct vqnotify_dev_op)
 * @flags: must be 0
 * @dev_id: the device
 * @status: VQNOTIFY_SET_STATUS only: the new virtio device status byte
 * @ready: VQNOTIFY_SET_STATUS only: user pointer to a bitmap of
 *         (num_queues + 63) / 64 __u64 words, bit n set when queue n is
 *         initialised (size != 0); 0 means every queue is initialised.
 * @results: user pointer to an array of @nr_results struct
 *           vqnotify_vq_result, or 0 for no results
 * @nr_results: in: capacity of @results (at least num_queues when
 *              @results is set); out: number of queues changed
 * @__reserved: must be 0
 *
 * VQNOTIFY_SET_STATUS: newly setting DRIVER_OK runs (b) for every
 * initialised queue; clearing it runs (s); status 0 is a reset (g).
 * VQNOTIFY_DEV_RESET: (g) on every queue, OFFLIMITS included.
 * VQNOTIFY_DEV_REMOVE: (g) on every queue, then the device is freed.
 *
 * Results list the queues the call changed, and the queues (b) refused.
 * Preemptions and promotions of other queues caused by the call arrive as
 * events. Errors: ENOENT (no such device), EINVAL, EFAULT, ENOMEM.
 */
struct vqnotify_dev_op {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 status;
	__aligned_u64 ready;
	__aligned_u64 results;
	__u32 nr_results;
	__u32 __reserved;
};

#define VQNOTIFY_SET_STATUS	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 4)
#define VQNOTIFY_DEV_RESET	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 5)
#define VQNOTIFY_DEV_REMOVE	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 6)

/**
 * struct vqnotify_host_notifier - VQNOTIFY_SET_HOST_NOTIFIER
 * @size: sizeof(struct vqnotify_host_notifier)
 * @flags: VQNOTIFY_HOST_NOTIFIER_ENABLE to hand the queue to vhost
 *         (c, d); without it vhost gives the queue back (e, f)
 * @dev_id: the device
 * @queue: the queue index
 * @result: out: what happened to @queue
 * @__reserved: must be 0
 *
 * Enabling preempts an ASSIGNED queue of the same guest (p) when no slot is
 * free. Errors: ENOENT, EINVAL (queue out of range), ENOSPC (no slot and
 * nothing to preempt; nothing changed), EALREADY (already in that state).
 */
struct vqnotify_host_notifier {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 queue;
	struct vqnotify_vq_result result;
	__u32 __reserved;
	__u32 __reserved2;
};

#define VQNOTIFY_HOST_NOTIFIER_ENABLE	(1U << 0)
#define VQNOTIFY_SET_HOST_NOTIFIER	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 7)

/**
 * struct vqnotify_vq_info - state of one queue
 * @state: enum vqnotify_vq_state
 * @reason: enum vqnotify_reason of the last change or refusal
 * @label: enum vqnotify_label of the last transition
 * @flags: VQNOTIFY_VQ_INITIALISED, VQNOTIFY_VQ_WAITING
 * @assign_seq: order of the last slot grant within the guest (newest is
 *              preempted first); 0 when DEASSIGNED
 */
struct vqnotify_vq_info {
	__u8 state;
	__u8 reason;
	__u8 label;
	__u8 flags;
	__u32 assign_seq;
};

#define VQNOTIFY_VQ_INITIALISED	(1U << 0)
#define VQNOTIFY_VQ_WAITING	(1U << 1)

/**
 * struct vqnotify_queue_get - VQNOTIFY_QUEUE_GET
 * @size: sizeof(struct vqnotify_queue_get)
 * @flags: must be 0
 * @dev_id: the device
 * @queue: the queue index
 * @info: out: its state
 */
struct vqnotify_queue_get {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 queue;
	struct vqnotify_vq_info info;
};

#define VQNOTIFY_QUEUE_GET	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 8)

/**
 * struct vqnotify_dev_get - VQNOTIFY_DEV_GET
 * @size: sizeof(struct vqnotify_dev_get)
 * @flags: must be 0
 * @dev_id: the device
 * @status: out: device status byte
 * @transport: out: enum vqnotify_transport
 * @num_queues: out: number of queues
 * @queues: user pointer to @nr_queues struct vqnotify_vq_info, or 0
 * @nr_queues: in: capacity of @queues; out: entries written
 *             (min(capacity, num_queues))
 * @__reserved: must be 0
 * @label: out: the device's label
 */
struct vqnotify_dev_get {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 status;
	__u32 transport;
	__u32 num_queues;
	__aligned_u64 queues;
	__u32 nr_queues;
	__u32 __reserved;
	char label[VQNOTIFY_LABEL_LEN];
};

#define VQNOTIFY_DEV_GET	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 9)

/**
 * struct vqnotify_migration - VQNOTIFY_DEV_SAVE and VQNOTIFY_DEV_LOAD
 * @size: sizeof(struct vqnotify_migration)
 * @flags: must be 0
 * @dev_id: the device
 * @len: SAVE: in: capacity of @data; out: length of the blob (also on
 *       EMSGSIZE, so a caller can size its buffer). LOAD: in: blob length.
 * @data: user pointer to the blob
 * @results: LOAD only: as in struct vqnotify_dev_op
 * @nr_results: LOAD only: as in struct vqnotify_dev_op
 * @__reserved: must be 0
 *
 * The blob is versioned and self-describing (magic, version, length,
 * checksum): device status, queue count, initialised queues and the queues
 * vhost held. LOAD targets a device that was just added with the same
 * transport and queue count and never used (EBUSY otherwise); it validates
 * the whole blob first (EINVAL on corrupt, truncated or foreign data,
 * changing nothing), then derives the states: all DEASSIGNED (a), then (b)
 * if DRIVER_OK. vhost re-enables its notifiers itself after load.
 */
struct vqnotify_migration {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 len;
	__aligned_u64 data;
	__aligned_u64 results;
	__u32 nr_results;
	__u32 __reserved;
};

#define VQNOTIFY_DEV_SAVE	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 10)
#define VQNOTIFY_DEV_LOAD	_IO(VQNOTIFY_TYPE, VQNOTIFY_CMD_BASE + 11)

/**
 * enum vqnotify_event_type - kind of a struct vqnotify_event
 * @VQNOTIFY_EVENT_TRANSITION: a queue changed state without the owner
 *                             asking: preemption (p) or promotion (r).
 * @VQNOTIFY_EVENT_OVERFLOW: the event queue overflowed; events were lost.
 *                           Resynchronise with VQNOTIFY_DEV_GET.
 * @VQNOTIFY_EVENT_BUDGET: the admin changed the guest's budget, reserve or
 *                         threshold; @value is the new effective budget.
 */
enum vqnotify_event_type {
	VQNOTIFY_EVENT_TRANSITION = 1,
	VQNOTIFY_EVENT_OVERFLOW = 2,
	VQNOTIFY_EVENT_BUDGET = 3,
};

/**
 * struct vqnotify_event - a record read() from the guest's file
 * @seq: sequence number; consecutive unless events were lost
 * @type: enum vqnotify_event_type
 * @dev_id: device (TRANSITION)
 * @queue: queue index (TRANSITION)
 * @old_state: enum vqnotify_vq_state before (TRANSITION)
 * @new_state: enum vqnotify_vq_state after (TRANSITION)
 * @label: enum vqnotify_label (TRANSITION)
 * @reason: enum vqnotify_reason (TRANSITION)
 * @value: BUDGET: the new effective budget
 * @__reserved: 0
 *
 * read() returns whole records only: EINVAL if the buffer is smaller than
 * one record, EAGAIN with O_NONBLOCK when none is queued.
 */
struct vqnotify_event {
	__aligned_u64 seq;
	__u32 type;
	__u32 dev_id;
	__u32 queue;
	__u8 old_state;
	__u8 new_state;
	__u8 label;
	__u8 reason;
	__u32 value;
	__u32 __reserved;
};

/*
 * Generic netlink family "vqnotify": the host-wide view and control.
 *
 * Everything between YNL-GEN BEGIN and END is the output of the kernel's
 * tools/net/ynl/ynl-gen-c.py --mode uapi for the family's specification,
 * Documentation/netlink/specs/vqnotify.yaml (the source of truth), with
 * kernel-doc added; scripts/check-spec.sh fails when they disagree.
 *
 * Visibility: guests, devices and queues of a guest are visible to
 * requesters with CAP_NET_ADMIN, and to those whose effective uid is the
 * one that opened the guest; others see neither them nor their ids (a do
 * request gets ENOENT, dumps skip them). Config get is open to everyone.
 * GUEST_SET, CONFIG_SET and joining the monitor group need CAP_NET_ADMIN
 * (EPERM otherwise). The family exists in the initial network namespace.
 */
/* YNL-GEN BEGIN */
#define VQNOTIFY_FAMILY_NAME	"vqnotify"
#define VQNOTIFY_FAMILY_VERSION	1

/**
 * enum vqnotify_label_counts_attrs - transitions by label
 *
 * A nest in VQNOTIFY_A_GUEST_COUNTS. The type of each counter equals the
 * value of its enum vqnotify_label (VQNOTIFY_A_LABEL_COUNTS_A ==
 * VQNOTIFY_LABEL_A...). Counters are uint: 4 or 8 bytes, by length.
 * @VQNOTIFY_A_LABEL_COUNTS_A: (a) device added, one per queue
 * @VQNOTIFY_A_LABEL_COUNTS_B: (b) DRIVER_OK granted a slot
 * @VQNOTIFY_A_LABEL_COUNTS_C: (c) vhost on, from DEASSIGNED
 * @VQNOTIFY_A_LABEL_COUNTS_D: (d) vhost on, from ASSIGNED
 * @VQNOTIFY_A_LABEL_COUNTS_E: (e) vhost off, back to ASSIGNED
 * @VQNOTIFY_A_LABEL_COUNTS_F: (f) vhost off, to DEASSIGNED
 * @VQNOTIFY_A_LABEL_COUNTS_G: (g) reset or device removal
 * @VQNOTIFY_A_LABEL_COUNTS_P: (p) preemption
 * @VQNOTIFY_A_LABEL_COUNTS_R: (r) promotion
 * @VQNOTIFY_A_LABEL_COUNTS_S: (s) DRIVER_OK cleared
 * @__VQNOTIFY_A_LABEL_COUNTS_MAX: highest attribute plus one
 * @VQNOTIFY_A_LABEL_COUNTS_MAX: highest attribute
 */
enum vqnotify_label_counts_attrs {
	VQNOTIFY_A_LABEL_COUNTS_A = 1,
	VQNOTIFY_A_LABEL_COUNTS_B,
	VQNOTIFY_A_LABEL_COUNTS_C,
	VQNOTIFY_A_LABEL_COUNTS_D,
	VQNOTIFY_A_LABEL_COUNTS_E,
	VQNOTIFY_A_LABEL_COUNTS_F,
	VQNOTIFY_A_LABEL_COUNTS_G,
	VQNOTIFY_A_LABEL_COUNTS_P,
	VQNOTIFY_A_LABEL_COUNTS_R,
	VQNOTIFY_A_LABEL_COUNTS_S,

	__VQNOTIFY_A_LABEL_COUNTS_MAX,
	VQNOTIFY_A_LABEL_COUNTS_MAX = (__VQNOTIFY_A_LABEL_COUNTS_MAX - 1)
};

/**
 * enum vqnotify_guest_attrs - a guest (GUEST_GET, GUEST_SET, GUEST_*_NTF)
 * @VQNOTIFY_A_GUEST_ID: u32: host-wide id, as guest_id of
 *                       struct vqnotify_guest_info
 * @VQNOTIFY_A_GUEST_LABEL: string: the name the VMM gave the guest
 * @VQNOTIFY_A_GUEST_PID: u32: the opener, in the requester's pid namespace
 *                        (the initial one in notifications); 0 if not
 *                        visible there
 * @VQNOTIFY_A_GUEST_UID: u32: effective uid of the opener, in the
 *                        requester's user namespace (the initial one in
 *                        notifications)
 * @VQNOTIFY_A_GUEST_BUDGET: u32: effective budget, the smaller of the admin
 *                           budget and the VMM's own limit
 * @VQNOTIFY_A_GUEST_ADMIN_BUDGET: u32: budget set by the admin (GUEST_SET;
 *                                 at most S32_MAX) or the default budget
 * @VQNOTIFY_A_GUEST_OWN_BUDGET: u32: the VMM's own limit, 0 if none
 * @VQNOTIFY_A_GUEST_VHOST_RESERVE: u32: slots userspace queues may not take
 *                                  (GUEST_SET; at most S32_MAX)
 * @VQNOTIFY_A_GUEST_THRESHOLD: u32: many-ioeventfds threshold in force
 * @VQNOTIFY_A_GUEST_USED: u32: slots held (ASSIGNED + OFFLIMITS queues)
 * @VQNOTIFY_A_GUEST_NR_ASSIGNED: u32: ASSIGNED queues
 * @VQNOTIFY_A_GUEST_NR_OFFLIMITS: u32: OFFLIMITS queues
 * @VQNOTIFY_A_GUEST_NR_WAITING: u32: DEASSIGNED queues waiting for
 *                               promotion
 * @VQNOTIFY_A_GUEST_NR_DEVICES: u32: devices
 * @VQNOTIFY_A_GUEST_LIMITED: flag: the budget is below the threshold
 * @VQNOTIFY_A_GUEST_OVER_BUDGET: flag: vhost holds more slots than the
 *                                budget
 * @VQNOTIFY_A_GUEST_COUNTS: nest of enum vqnotify_label_counts_attrs
 * @__VQNOTIFY_A_GUEST_MAX: highest attribute plus one
 * @VQNOTIFY_A_GUEST_MAX: highest attribute
 */
enum vqnotify_guest_attrs {
	VQNOTIFY_A_GUEST_ID = 1,
	VQNOTIFY_A_GUEST_LABEL,
	VQNOTIFY_A_GUEST_PID,
	VQNOTIFY_A_GUEST_UID,
	VQNOTIFY_A_GUEST_BUDGET,
	VQNOTIFY_A_GUEST_ADMIN_BUDGET,
	VQNOTIFY_A_GUEST_OWN_BUDGET,
	VQNOTIFY_A_GUEST_VHOST_RESERVE,
	VQNOTIFY_A_GUEST_THRESHOLD,
	VQNOTIFY_A_GUEST_USED,
	VQNOTIFY_A_GUEST_NR_ASSIGNED,
	VQNOTIFY_A_GUEST_NR_OFFLIMITS,
	VQNOTIFY_A_GUEST_NR_WAITING,
	VQNOTIFY_A_GUEST_NR_DEVICES,
	VQNOTIFY_A_GUEST_LIMITED,
	VQNOTIFY_A_GUEST_OVER_BUDGET,
	VQNOTIFY_A_GUEST_COUNTS,

	__VQNOTIFY_A_GUEST_MAX,
	VQNOTIFY_A_GUEST_MAX = (__VQNOTIFY_A_GUEST_MAX - 1)
};

/**
 * enum vqnotify_dev_attrs - a device (DEV_GET, DEV_*_NTF)
 * @VQNOTIFY_A_DEV_GUEST_ID: u32: the device's guest
 * @VQNOTIFY_A_DEV_ID: u32: id within the guest
 * @VQNOTIFY_A_DEV_LABEL: string: the name the VMM gave the device
 * @VQNOTIFY_A_DEV_TRANSPORT: u32: enum vqnotify_transport
 * @VQNOTIFY_A_DEV_STATUS: u32: virtio device status byte
 * @VQNOTIFY_A_DEV_NUM_QUEUES: u32: number of queues
 * @__VQNOTIFY_A_DEV_MAX: highest attribute plus one
 * @VQNOTIFY_A_DEV_MAX: highest attribute
 */
enum vqnotify_dev_attrs {
	VQNOTIFY_A_DEV_GUEST_ID = 1,
	VQNOTIFY_A_DEV_ID,
	VQNOTIFY_A_DEV_LABEL,
	VQNOTIFY_A_DEV_TRANSPORT,
	VQNOTIFY_A_DEV_STATUS,
	VQNOTIFY_A_DEV_NUM_QUEUES,

	__VQNOTIFY_A_DEV_MAX,
	VQNOTIFY_A_DEV_MAX = (__VQNOTIFY_A_DEV_MAX - 1)
};

/**
 * enum vqnotify_queue_attrs - a queue (QUEUE_GET)
 * @VQNOTIFY_A_QUEUE_GUEST_ID: u32: the queue's guest
 * @VQNOTIFY_A_QUEUE_DEV_ID: u32: the queue's device
 * @VQNOTIFY_A_QUEUE_INDEX: u32: index within the device
 * @VQNOTIFY_A_QUEUE_STATE: u32: enum vqnotify_vq_state
 * @VQNOTIFY_A_QUEUE_REASON: u32: enum vqnotify_reason of the last change
 *                           or refusal
 * @VQNOTIFY_A_QUEUE_LABEL: u32: enum vqnotify_label of the last transition
 * @VQNOTIFY_A_QUEUE_FLAGS: u32: VQNOTIFY_VQ_INITIALISED, VQNOTIFY_VQ_WAITING
 * @VQNOTIFY_A_QUEUE_ASSIGN_SEQ: u32: order of the last grant within the
 *                               guest (newest is preempted first); 0
 *                               unless ASSIGNED
 * @__VQNOTIFY_A_QUEUE_MAX: highest attribute plus one
 * @VQNOTIFY_A_QUEUE_MAX: highest attribute
 */
enum vqnotify_queue_attrs {
	VQNOTIFY_A_QUEUE_GUEST_ID = 1,
	VQNOTIFY_A_QUEUE_DEV_ID,
	VQNOTIFY_A_QUEUE_INDEX,
	VQNOTIFY_A_QUEUE_STATE,
	VQNOTIFY_A_QUEUE_REASON,
	VQNOTIFY_A_QUEUE_LABEL,
	VQNOTIFY_A_QUEUE_FLAGS,
	VQNOTIFY_A_QUEUE_ASSIGN_SEQ,

	__VQNOTIFY_A_QUEUE_MAX,
	VQNOTIFY_A_QUEUE_MAX = (__VQNOTIFY_A_QUEUE_MAX - 1)
};

/**
 * enum vqnotify_config_attrs - host-wide settings (CONFIG_GET, CONFIG_SET)
 * @VQNOTIFY_A_CONFIG_DEFAULT_BUDGET: u32: budget of guests opened later
 *                                    (at most S32_MAX)
 * @VQNOTIFY_A_CONFIG_THRESHOLD: u32: many-ioeventfds threshold; a guest
 *                               whose budget is below it is limited.
 *                               Setting it applies to every guest at once
 *                               (at most S32_MAX)
 * @VQNOTIFY_A_CONFIG_VHOST_RESERVE: u32: vhost reserve of guests opened
 *                                   later (at most S32_MAX)
 * @VQNOTIFY_A_CONFIG_HOST_CAP: u32: host-wide cap on slots in use, 1 to
 *                              S32_MAX. Raising it promotes waiting
 *                              queues; lowering it revokes nothing
 * @VQNOTIFY_A_CONFIG_HOST_USED: u32: slots in use host-wide (get only)
 * @VQNOTIFY_A_CONFIG_NR_GUESTS: u32: open guests host-wide (get only)
 * @__VQNOTIFY_A_CONFIG_MAX: highest attribute plus one
 * @VQNOTIFY_A_CONFIG_MAX: highest attribute
 */
enum vqnotify_config_attrs {
	VQNOTIFY_A_CONFIG_DEFAULT_BUDGET = 1,
	VQNOTIFY_A_CONFIG_THRESHOLD,
	VQNOTIFY_A_CONFIG_VHOST_RESERVE,
	VQNOTIFY_A_CONFIG_HOST_CAP,
	VQNOTIFY_A_CONFIG_HOST_USED,
	VQNOTIFY_A_CONFIG_NR_GUESTS,

	__VQNOTIFY_A_CONFIG_MAX,
	VQNOTIFY_A_CONFIG_MAX = (__VQNOTIFY_A_CONFIG_MAX - 1)
};

/**
 * enum vqnotify_transition_attrs - one queue transition (QUEUE_NTF)
 * @VQNOTIFY_A_TRANSITION_GUEST_ID: u32: the queue's guest
 * @VQNOTIFY_A_TRANSITION_DEV_ID: u32: the queue's device
 * @VQNOTIFY_A_TRANSITION_QUEUE: u32: queue index within the device
 * @VQNOTIFY_A_TRANSITION_OLD_STATE: u32: enum vqnotify_vq_state before
 * @VQNOTIFY_A_TRANSITION_NEW_STATE: u32: enum vqnotify_vq_state after
 * @VQNOTIFY_A_TRANSITION_LABEL: u32: enum vqnotify_label
 * @VQNOTIFY_A_TRANSITION_REASON: u32: enum vqnotify_reason
 * @__VQNOTIFY_A_TRANSITION_MAX: highest attribute plus one
 * @VQNOTIFY_A_TRANSITION_MAX: highest attribute
 */
enum vqnotify_transition_attrs {
	VQNOTIFY_A_TRANSITION_GUEST_ID = 1,
	VQNOTIFY_A_TRANSITION_DEV_ID,
	VQNOTIFY_A_TRANSITION_QUEUE,
	VQNOTIFY_A_TRANSITION_OLD_STATE,
	VQNOTIFY_A_TRANSITION_NEW_STATE,
	VQNOTIFY_A_TRANSITION_LABEL,
	VQNOTIFY_A_TRANSITION_REASON,

	__VQNOTIFY_A_TRANSITION_MAX,
	VQNOTIFY_A_TRANSITION_MAX = (__VQNOTIFY_A_TRANSITION_MAX - 1)
};

/**
 * enum vqnotify_cmd - commands and notifications
 * @VQNOTIFY_CMD_GUEST_GET: do: one guest by VQNOTIFY_A_GUEST_ID (ENOENT
 *                          if absent or not visible); dump: every visible
 *                          guest
 * @VQNOTIFY_CMD_GUEST_SET: do, CAP_NET_ADMIN: set a guest's admin budget
 *                          and/or vhost reserve (at least one). Lowering
 *                          them preempts the guest's newest grants; the
 *                          guest reads a VQNOTIFY_EVENT_BUDGET event
 * @VQNOTIFY_CMD_DEV_GET: do: one device by guest id and id; dump: the
 *                        devices of every visible guest, or of the guest
 *                        VQNOTIFY_A_DEV_GUEST_ID
 * @VQNOTIFY_CMD_QUEUE_GET: do: one queue by guest id, device id and index;
 *                          dump, one message per queue: every visible
 *                          guest's queues, one guest's, or one device's
 *                          (VQNOTIFY_A_QUEUE_DEV_ID needs the guest id)
 * @VQNOTIFY_CMD_CONFIG_GET: do: host-wide settings and usage
 * @VQNOTIFY_CMD_CONFIG_SET: do, CAP_NET_ADMIN: change host-wide settings
 *                           (at least one attribute); a threshold change
 *                           reconfigures every guest and each reads a
 *                           VQNOTIFY_EVENT_BUDGET event
 * @VQNOTIFY_CMD_GUEST_ADD_NTF: monitor: a guest was opened
 * @VQNOTIFY_CMD_GUEST_DEL_NTF: monitor: a guest was closed (final counts)
 * @VQNOTIFY_CMD_DEV_ADD_NTF: monitor: a device was added
 * @VQNOTIFY_CMD_DEV_DEL_NTF: monitor: a device was removed, also when its
 *                            guest closed
 * @VQNOTIFY_CMD_QUEUE_NTF: monitor: a queue transition, one per transition
 *                          (enum vqnotify_transition_attrs)
 * @__VQNOTIFY_CMD_MAX: highest command plus one
 * @VQNOTIFY_CMD_MAX: highest command
 */
enum vqnotify_cmd {
	VQNOTIFY_CMD_GUEST_GET = 1,
	VQNOTIFY_CMD_GUEST_SET,
	VQNOTIFY_CMD_DEV_GET,
	VQNOTIFY_CMD_QUEUE_GET,
	VQNOTIFY_CMD_CONFIG_GET,
	VQNOTIFY_CMD_CONFIG_SET,
	VQNOTIFY_CMD_GUEST_ADD_NTF,
	VQNOTIFY_CMD_GUEST_DEL_NTF,
	VQNOTIFY_CMD_DEV_ADD_NTF,
	VQNOTIFY_CMD_DEV_DEL_NTF,
	VQNOTIFY_CMD_QUEUE_NTF,

	__VQNOTIFY_CMD_MAX,
	VQNOTIFY_CMD_MAX = (__VQNOTIFY_CMD_MAX - 1)
};

#define VQNOTIFY_MCGRP_MONITOR	"monitor"
/* YNL-GEN END */

/* Aliases of the family name and version. */
#define VQNOTIFY_GENL_NAME	VQNOTIFY_FAMILY_NAME
#define VQNOTIFY_GENL_VERSION	VQNOTIFY_FAMILY_VERSION

#endif /* _UAPI_LINUX_VQNOTIFY_H */
