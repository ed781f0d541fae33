/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
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
 * "DOC: General ioctl format" below has the rules every call follows. See
 * Documentation/vqnotify.rst for the state machine.
 */
#ifndef _UAPI_LINUX_VQNOTIFY_H
#define _UAPI_LINUX_VQNOTIFY_H

#include <linux/types.h>
#include <linux/ioctl.h>
/*
 * The generic netlink family "vqnotify", the host-wide view and control,
 * has a header of its own, generated from its specification
 * Documentation/netlink/specs/vqnotify.yaml (rendered in the documentation)
 * by the kernel's ynl-gen-c. API 1 and 2 had its constants here: they stay
 * reachable from this header.
 */
#include <linux/vqnotify_netlink.h>

#define VQNOTIFY_API_VERSION	2

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
#define VQNOTIFY_LABEL_LEN	32	/* the v1 name fields, see @name */
#define VQNOTIFY_NAME_LEN	128	/* names, NUL included (API 2) */
#define VQNOTIFY_SIZE_MAX	4096	/* a structure's size at most */

/**
 * DOC: General ioctl format
 *
 * Every command is ``_IO(VQNOTIFY_TYPE, nr)`` with ``nr`` from enum
 * vqnotify_ioctl_nr: like iommufd, the size of the structure travels in the
 * structure. Every structure starts with ``__u32 size; __u32 flags;`` and
 * every call follows the same rules:
 *
 * - ``size`` is the size of the structure as the caller knows it. Below the
 *   structure's first (API 1) size: EINVAL. Above the size the module
 *   knows: accepted when the unknown tail is zero, E2BIG otherwise. Above
 *   VQNOTIFY_SIZE_MAX (4096), which no structure will reach: E2BIG, the
 *   tail unread. The module reads and writes back only ``size`` bytes, so
 *   binaries built against an older header keep working.
 * - Unknown ``flags`` bits: EOPNOTSUPP. A reserved field that is not zero:
 *   EINVAL. A command the module does not know: ENOTTY.
 * - A call that changes state (every call but GET_INFO, GUEST_GET,
 *   QUEUE_GET, DEV_GET and DEV_SAVE) needs the file open for writing:
 *   EBADF otherwise. An O_RDONLY file is a guest of its own that can only
 *   look, which is what a monitoring tool wants.
 * - The structure or a buffer it points to cannot be read or written:
 *   EFAULT. Kernel memory cannot be had: ENOMEM. Every allocation a guest
 *   keeps (the guest, its devices and queues, its event ring, its held
 *   results and names) is charged to a memory cgroup: a call's to the
 *   caller's, the event ring's and held results' to the opener's; the
 *   netlink messages it causes and the nodes of the host-wide tables of
 *   guests and users are not.
 * - A call that fails changes nothing. Everything a call can fail on is
 *   checked before the state changes: the device, bitmaps, the caller's
 *   results buffer (a byte of each of its pages written first, to prove it
 *   writable) and kernel memory. Only a copy out that faults *after* the
 *   change (the caller unmapped its own results buffer or structure
 *   meanwhile: both were proven writable first) returns EFAULT with the
 *   change made, and the structure's out fields lost or partly written.
 *   DEV_ADD then removes its device again, unless another call of the
 *   guest has named its id meanwhile: the id is used up, listeners of
 *   the monitor group see the device added, then removed, and the guest's
 *   counts keep its queues' (a) (counts never fall). A call that
 *   succeeds writes all num_queues entries of the results buffer: its
 *   results, then zeros; after a call that fails, zero bytes may have been
 *   written into it.
 *
 * The errors particular to a call are under "Errors:" in the description
 * of its structure. open() of /dev/vqnotify fails with EDQUOT when the
 * opener's user has its quota of guests open, and with ENOSPC when the
 * host has max_guests guests open.
 */

/**
 * enum vqnotify_ioctl_nr - command numbers of the ioctls below
 * @VQNOTIFY_IOC_GET_INFO: VQNOTIFY_GET_INFO, struct vqnotify_info
 * @VQNOTIFY_IOC_GUEST_SET: VQNOTIFY_GUEST_SET, struct vqnotify_guest_set
 * @VQNOTIFY_IOC_GUEST_GET: VQNOTIFY_GUEST_GET, struct vqnotify_guest_info
 * @VQNOTIFY_IOC_DEV_ADD: VQNOTIFY_DEV_ADD, struct vqnotify_dev_add
 * @VQNOTIFY_IOC_SET_STATUS: VQNOTIFY_SET_STATUS, struct vqnotify_dev_op
 * @VQNOTIFY_IOC_DEV_RESET: VQNOTIFY_DEV_RESET, struct vqnotify_dev_op
 * @VQNOTIFY_IOC_DEV_REMOVE: VQNOTIFY_DEV_REMOVE, struct vqnotify_dev_op
 * @VQNOTIFY_IOC_SET_HOST_NOTIFIER: VQNOTIFY_SET_HOST_NOTIFIER,
 *                                  struct vqnotify_host_notifier
 * @VQNOTIFY_IOC_QUEUE_GET: VQNOTIFY_QUEUE_GET, struct vqnotify_queue_get
 * @VQNOTIFY_IOC_DEV_GET: VQNOTIFY_DEV_GET, struct vqnotify_dev_get
 * @VQNOTIFY_IOC_DEV_SAVE: VQNOTIFY_DEV_SAVE, struct vqnotify_migration
 * @VQNOTIFY_IOC_DEV_LOAD: VQNOTIFY_DEV_LOAD, struct vqnotify_migration
 * @VQNOTIFY_IOC_QUEUES_ACQUIRE: VQNOTIFY_QUEUES_ACQUIRE,
 *                               struct vqnotify_queues (API 2)
 * @VQNOTIFY_IOC_QUEUES_RELEASE: VQNOTIFY_QUEUES_RELEASE,
 *                               struct vqnotify_queues (API 2)
 * @VQNOTIFY_IOC_SET_HOST_NOTIFIERS: VQNOTIFY_SET_HOST_NOTIFIERS,
 *                                   struct vqnotify_queues (API 2)
 *
 * Every ioctl is _IO(VQNOTIFY_TYPE, nr): the size of its structure travels
 * in the structure's ``size`` field.
 */
enum vqnotify_ioctl_nr {
	VQNOTIFY_IOC_GET_INFO = VQNOTIFY_CMD_BASE,
	VQNOTIFY_IOC_GUEST_SET,
	VQNOTIFY_IOC_GUEST_GET,
	VQNOTIFY_IOC_DEV_ADD,
	VQNOTIFY_IOC_SET_STATUS,
	VQNOTIFY_IOC_DEV_RESET,
	VQNOTIFY_IOC_DEV_REMOVE,
	VQNOTIFY_IOC_SET_HOST_NOTIFIER,
	VQNOTIFY_IOC_QUEUE_GET,
	VQNOTIFY_IOC_DEV_GET,
	VQNOTIFY_IOC_DEV_SAVE,
	VQNOTIFY_IOC_DEV_LOAD,
	VQNOTIFY_IOC_QUEUES_ACQUIRE,
	VQNOTIFY_IOC_QUEUES_RELEASE,
	VQNOTIFY_IOC_SET_HOST_NOTIFIERS,
};

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
 * @VQNOTIFY_LABEL_Q: (q) per-queue acquire (VQNOTIFY_QUEUES_ACQUIRE):
 *                    DEASSIGNED -> ASSIGNED. API 2.
 * @VQNOTIFY_LABEL_X: (x) per-queue release (VQNOTIFY_QUEUES_RELEASE):
 *                    ASSIGNED -> DEASSIGNED; OFFLIMITS -> DEASSIGNED when
 *                    KVM refused vhost's ioeventfd. API 2.
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
	VQNOTIFY_LABEL_Q,
	VQNOTIFY_LABEL_X,
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
 * @VQNOTIFY_REASON_HOST_CAP: refused: the host-wide cap is reached, or
 *                            guests already waiting for it come first
 *                            (the promotion work hands them the slots
 *                            freed, even while the host has room again).
 *                            The queue waits for promotion (r).
 * @VQNOTIFY_REASON_NOT_READY: not initialised (size 0) at DRIVER_OK.
 * @VQNOTIFY_REASON_VHOST: vhost holds the host notifier.
 * @VQNOTIFY_REASON_VHOST_OFF: vhost released the host notifier.
 * @VQNOTIFY_REASON_RESET: the device was reset.
 * @VQNOTIFY_REASON_REMOVED: the device was removed.
 * @VQNOTIFY_REASON_PREEMPT_VHOST: preempted to give the slot to vhost.
 * @VQNOTIFY_REASON_PREEMPT_BUDGET: preempted by a lowered budget.
 * @VQNOTIFY_REASON_STOPPED: DRIVER_OK was cleared.
 * @VQNOTIFY_REASON_PROMOTED: a freed slot was granted to a waiting queue.
 * @VQNOTIFY_REASON_RELEASED: the VMM released the queue
 *                            (VQNOTIFY_QUEUES_RELEASE). API 2.
 * @VQNOTIFY_REASON_KVM_REFUSED: KVM refused the queue's ioeventfd and the
 *                               VMM released it; it does not wait for
 *                               promotion. API 2.
 * @VQNOTIFY_REASON_QUOTA: refused: the user who opened the guest holds its
 *                         quota of slots (per-user accounting), or guests
 *                         of that user already waiting for it come first.
 *                         The queue waits for promotion (r). API 2.
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
	VQNOTIFY_REASON_RELEASED,
	VQNOTIFY_REASON_KVM_REFUSED,
	VQNOTIFY_REASON_QUOTA,
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
 *
 * A result with @label NONE is a refusal (the reason says why: for a queue
 * waiting already, the reason it waits with, a preemption's PREEMPT_VHOST
 * or PREEMPT_BUDGET included), or, from VQNOTIFY_QUEUES_RELEASE, a
 * DEASSIGNED queue that stopped waiting (reason RELEASED or KVM_REFUSED).
 *
 * Written by the lifecycle calls into the caller's results buffer. Errors:
 * those of the call (EFAULT when the buffer cannot be written).
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
 * @event_depth: out: records the guest's event queue holds, the OVERFLOW
 *               record included (it may overflow sooner when memory is
 *               short: the queue grows as it fills)
 * @default_budget: out: budget of a new guest
 * @threshold: out: a guest whose budget is below this is limited
 * @vhost_reserve: out: default vhost reserve of a new guest
 * @host_cap: out: host-wide slot cap
 * @host_used: out: slots in use host-wide
 * @nr_guests: out: open guests host-wide
 * @__reserved: must be 0
 * @features: out: VQNOTIFY_FEATURE_* bits
 *
 * Errors: EOPNOTSUPP (flags), EINVAL (@__reserved).
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
/* API 2: LOAD takes any quiescent device, vhost-held queues want slots */
#define VQNOTIFY_FEATURE_LOAD_QUIESCENT	(1ULL << 2)
/* API 2: VQNOTIFY_GUEST_SET_RUN_STATE */
#define VQNOTIFY_FEATURE_RUN_STATE	(1ULL << 3)
/* API 2: VQNOTIFY_QUEUES_ACQUIRE and VQNOTIFY_QUEUES_RELEASE */
#define VQNOTIFY_FEATURE_QUEUE_OPS	(1ULL << 4)
/* API 2: VQNOTIFY_SET_HOST_NOTIFIERS */
#define VQNOTIFY_FEATURE_HOST_NOTIFIERS	(1ULL << 5)
/* API 2: @name fields of VQNOTIFY_NAME_LEN, printable ASCII only */
#define VQNOTIFY_FEATURE_NAMES		(1ULL << 6)
/* API 2: freed host slots go round-robin to the guests waiting for them */
#define VQNOTIFY_FEATURE_FAIR		(1ULL << 7)
/* API 2: RELEASE with KVM_REFUSED alone takes vhost's queues too */
#define VQNOTIFY_FEATURE_RELEASE_VHOST	(1ULL << 8)
#define VQNOTIFY_GET_INFO	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_GET_INFO)

/**
 * enum vqnotify_run_state - whether the VM runs (VQNOTIFY_GUEST_SET)
 * @VQNOTIFY_RUN_RUNNING: the VM runs: the VMM holds an ioeventfd for every
 *                        ASSIGNED queue. A new guest runs.
 * @VQNOTIFY_RUN_STOPPED: the VM is stopped (QEMU's `stop`, a migration
 *                        source after the final pass, a destination before
 *                        `cont`): the VMM holds no ioeventfd, but every slot
 *                        stays reserved, so resuming never lacks a slot the
 *                        guest had. ASSIGNED queues carry
 *                        VQNOTIFY_VQ_PARKED.
 */
enum vqnotify_run_state {
	VQNOTIFY_RUN_RUNNING = 0,
	VQNOTIFY_RUN_STOPPED = 1,
};

/**
 * struct vqnotify_guest_set - VQNOTIFY_GUEST_SET
 * @size: sizeof(struct vqnotify_guest_set)
 * @flags: which fields to apply: VQNOTIFY_GUEST_SET_LABEL,
 *         VQNOTIFY_GUEST_SET_BUDGET, VQNOTIFY_GUEST_SET_NAME (API 2),
 *         VQNOTIFY_GUEST_SET_RUN_STATE (API 2)
 * @budget: with VQNOTIFY_GUEST_SET_BUDGET: the VMM's own limit on its
 *          budget. The effective budget is the smaller of this and the
 *          admin's budget; lowering it preempts ASSIGNED queues newest
 *          first (p). 0 means no own limit. It may be at or below the
 *          guest's vhost reserve (the admin's budget may not go below
 *          it): the budget is then all vhost's, and userspace queues are
 *          refused
 *          VQNOTIFY_REASON_NO_SLOT (LIMITED below the threshold).
 * @run_state: with VQNOTIFY_GUEST_SET_RUN_STATE: enum vqnotify_run_state;
 *             must be 0 otherwise (it was __reserved in API 1)
 * @label: with VQNOTIFY_GUEST_SET_LABEL: the guest's name, at most 31
 *         bytes (API 1; prefer @name)
 * @name: with VQNOTIFY_GUEST_SET_NAME: NUL-terminated name of the guest
 *        (e.g. a VM UUID or a QOM path), printable ASCII (0x20-0x7e)
 *
 * Fields without their flag are ignored, as API 1 did, except @run_state
 * (its __reserved). Setting a name or the run state sends a
 * GUEST_CHANGE_NTF to netlink monitors. Errors: EOPNOTSUPP (unknown flag),
 * EINVAL (both name flags, unterminated or non-printable name,
 * VQNOTIFY_GUEST_SET_NAME with @size short of @name, unknown run state,
 * @run_state set without its flag), EBADF (the file is not open for
 * writing), ENOMEM.
 */
struct vqnotify_guest_set {
	__u32 size;
	__u32 flags;
	__u32 budget;
	__u32 run_state;
	char label[VQNOTIFY_LABEL_LEN];
	char name[VQNOTIFY_NAME_LEN];
};

#define VQNOTIFY_GUEST_SET_LABEL	(1U << 0)
#define VQNOTIFY_GUEST_SET_BUDGET	(1U << 1)
#define VQNOTIFY_GUEST_SET_NAME		(1U << 2)
#define VQNOTIFY_GUEST_SET_RUN_STATE	(1U << 3)
#define VQNOTIFY_GUEST_SET	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_GUEST_SET)

/**
 * struct vqnotify_guest_info - VQNOTIFY_GUEST_GET
 * @size: sizeof(struct vqnotify_guest_info)
 * @flags: must be 0
 * @guest_id: out: host-wide id of this guest (as in netlink dumps)
 * @owner_pid: out: pid (in the caller's namespace) that opened the guest;
 *              0 once that process is gone, or not visible
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
 * @label: out: the guest's name, cut to 31 bytes (API 1)
 * @run_state: out: enum vqnotify_run_state (API 2)
 * @__reserved2: must be 0
 * @name: out: the guest's name (API 2)
 *
 * Errors: EOPNOTSUPP (flags), EINVAL (reserved fields).
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
	__u32 run_state;
	__u32 __reserved2;
	char name[VQNOTIFY_NAME_LEN];
};

#define VQNOTIFY_GUEST_LIMITED		(1U << 0)
#define VQNOTIFY_GUEST_OVER_BUDGET	(1U << 1)
#define VQNOTIFY_GUEST_GET	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_GUEST_GET)
/* The size API 1 had, up to @label: the module writes back no more. */
#define VQNOTIFY_GUEST_INFO_SIZE_VER1	216

/**
 * struct vqnotify_dev_add - VQNOTIFY_DEV_ADD
 * @size: sizeof(struct vqnotify_dev_add)
 * @flags: 0, or VQNOTIFY_DEV_ADD_NAME (API 2) to take the name from @name
 * @transport: enum vqnotify_transport
 * @num_queues: 1..VQNOTIFY_MAX_QUEUES. A device whose queue count grows
 *              after it exists (virtio-net multiqueue) is added with its
 *              largest count: queues never initialised never hold a slot.
 * @out_dev_id: out: id of the new device, unique within the guest; 0 on
 *              input
 * @__reserved: must be 0
 * @label: without VQNOTIFY_DEV_ADD_NAME: NUL-terminated name, at most 31
 *         bytes (API 1)
 * @name: with VQNOTIFY_DEV_ADD_NAME: NUL-terminated name (e.g. the QOM
 *        path "/machine/peripheral/net0/virtio-backend")
 *
 * Every queue starts DEASSIGNED (a). Names are printable ASCII. Errors:
 * EOPNOTSUPP (flags), EINVAL (@out_dev_id or @__reserved not 0, bad
 * transport, queue count, unterminated or non-printable name,
 * VQNOTIFY_DEV_ADD_NAME with @size short of @name), EMFILE (guest has
 * max_devices devices), EDQUOT (the opener's user has its quota of devices
 * or queues), EBADF (not open for writing), ENOMEM.
 */
struct vqnotify_dev_add {
	__u32 size;
	__u32 flags;
	__u32 transport;
	__u32 num_queues;
	__u32 out_dev_id;
	__u32 __reserved;
	char label[VQNOTIFY_LABEL_LEN];
	char name[VQNOTIFY_NAME_LEN];
};

#define VQNOTIFY_DEV_ADD_NAME	(1U << 0)
#define VQNOTIFY_DEV_ADD	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_DEV_ADD)

/**
 * struct vqnotify_dev_op - device-wide lifecycle calls
 * @size: sizeof(struct vqnotify_dev_op)
 * @flags: must be 0
 * @dev_id: the device
 * @status: VQNOTIFY_SET_STATUS only (0 otherwise: EINVAL): the new
 *          virtio device status byte
 * @ready: VQNOTIFY_SET_STATUS only (0 otherwise: EINVAL): user pointer to
 *         a bitmap of (num_queues + 63) / 64 __u64 words, bit n set when
 *         queue n is initialised (size != 0); 0 means every queue is
 *         initialised. Read and checked (no bit at or past num_queues) by
 *         every SET_STATUS, used only by the one that sets DRIVER_OK (b).
 * @results: user pointer to an array of @nr_results struct
 *           vqnotify_vq_result, or 0 for no results; its first
 *           num_queues entries are scratch to the call (they are proved
 *           writable before anything changes): undefined after an error
 * @nr_results: in: capacity of @results (at least num_queues when
 *              @results is set); out: number of results: queues changed
 *              or refused
 * @__reserved: must be 0
 *
 * VQNOTIFY_SET_STATUS: newly setting DRIVER_OK runs (b) for every
 * initialised queue; clearing it runs (s); status 0 is a reset (g).
 * VQNOTIFY_DEV_RESET: (g) on every queue, OFFLIMITS included.
 * VQNOTIFY_DEV_REMOVE: (g) on every queue, then the device is freed.
 *
 * Results list the queues the call changed, and the queues (b) refused.
 * Preemptions and promotions caused by the call arrive as events: of other
 * queues, and of the guest's queues waiting already, the device's
 * included, which (b) promotes first, in line order (while some still
 * wait, (b) waits behind them). A queue's result is where the call left
 * it. Errors: EOPNOTSUPP (flags), ENOENT (no such device), EINVAL
 * (status above 0xff, @nr_results below num_queues, a bit set past
 * num_queues, reserved fields), EFAULT, EBADF (not open for writing),
 * ENOMEM.
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

#define VQNOTIFY_SET_STATUS	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_SET_STATUS)
#define VQNOTIFY_DEV_RESET	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_DEV_RESET)
#define VQNOTIFY_DEV_REMOVE	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_DEV_REMOVE)

/**
 * struct vqnotify_host_notifier - VQNOTIFY_SET_HOST_NOTIFIER
 * @size: sizeof(struct vqnotify_host_notifier)
 * @flags: VQNOTIFY_HOST_NOTIFIER_ENABLE to hand the queue to vhost
 *         (c, d); without it vhost gives the queue back (e, f)
 * @dev_id: the device
 * @queue: the queue index
 * @result: out: what happened to @queue
 * @__reserved: must be 0
 * @__reserved2: must be 0
 *
 * Enabling preempts an ASSIGNED queue of the same guest (p) when no slot is
 * free. VQNOTIFY_SET_HOST_NOTIFIERS (API 2) does the same for many queues
 * in one call. Errors: EOPNOTSUPP (flags), ENOENT, EINVAL (queue out of
 * range, reserved fields), ENOSPC (no slot and nothing to preempt; nothing
 * changed), EALREADY (already in that state: also when vhost gives back a
 * queue released because KVM refused its ioeventfd, see struct
 * vqnotify_queues), EBADF (not open for writing).
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
#define VQNOTIFY_SET_HOST_NOTIFIER	_IO(VQNOTIFY_TYPE, \
					    VQNOTIFY_IOC_SET_HOST_NOTIFIER)

/**
 * struct vqnotify_vq_info - state of one queue
 * @state: enum vqnotify_vq_state
 * @reason: enum vqnotify_reason of the last change or refusal
 * @label: enum vqnotify_label of the last transition
 * @flags: VQNOTIFY_VQ_INITIALISED, VQNOTIFY_VQ_WAITING, VQNOTIFY_VQ_PARKED
 * @assign_seq: order of the last slot grant within the guest (newest is
 *              preempted first); 0 unless ASSIGNED. It wraps after 2^32
 *              grants (then it is 0 once for an ASSIGNED queue too):
 *              compare two as (__s32)(a - b), which orders grants fewer
 *              than 2^31 apart
 *
 * Part of VQNOTIFY_QUEUE_GET and VQNOTIFY_DEV_GET. Errors: those of the
 * call.
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
/* API 2: ASSIGNED in a stopped guest: slot reserved, no ioeventfd held */
#define VQNOTIFY_VQ_PARKED	(1U << 2)

/**
 * struct vqnotify_queue_get - VQNOTIFY_QUEUE_GET
 * @size: sizeof(struct vqnotify_queue_get)
 * @flags: must be 0
 * @dev_id: the device
 * @queue: the queue index
 * @info: out: its state
 *
 * Errors: EOPNOTSUPP (flags), ENOENT, EINVAL (queue out of range).
 */
struct vqnotify_queue_get {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 queue;
	struct vqnotify_vq_info info;
};

#define VQNOTIFY_QUEUE_GET	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_QUEUE_GET)

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
 *             (min(capacity, num_queues); 0 when @queues is 0)
 * @__reserved: must be 0
 * @label: out: the device's name, cut to 31 bytes (API 1)
 * @name: out: the device's name (API 2)
 *
 * Errors: EOPNOTSUPP (flags), EINVAL (reserved fields), ENOENT, EFAULT,
 * ENOMEM.
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
	char name[VQNOTIFY_NAME_LEN];
};

#define VQNOTIFY_DEV_GET	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_DEV_GET)
/* The size API 1 had, up to @label: the module writes back no more. */
#define VQNOTIFY_DEV_GET_SIZE_VER1	72

/**
 * struct vqnotify_migration - VQNOTIFY_DEV_SAVE and VQNOTIFY_DEV_LOAD
 * @size: sizeof(struct vqnotify_migration)
 * @flags: must be 0
 * @dev_id: the device
 * @len: SAVE: in: capacity of @data; out: length of the blob (also on
 *       EMSGSIZE, so a caller can size its buffer). LOAD: in: blob length.
 * @data: user pointer to the blob
 * @results: LOAD only (0 for SAVE: EINVAL): as in struct vqnotify_dev_op
 * @nr_results: LOAD only (0 for SAVE: EINVAL): as in struct
 *              vqnotify_dev_op
 * @__reserved: must be 0
 *
 * The blob is versioned and self-describing (magic, version, length,
 * checksum): device status, queue count, initialised queues and the queues
 * vhost held. A blob of any version is at most 4096 bytes and at least 16
 * (the envelope every version shares: magic, version, lengths, checksum):
 * LOAD refuses another @len with EINVAL before it reads the blob. LOAD
 * targets a quiescent device of the same transport and queue count:
 * status 0, no queue holding a slot or waiting for one, as right after
 * DEV_ADD or any reset (API 1 wanted a device that never saw a call, which
 * QEMU's reset at machine init defeats). It validates the whole blob before
 * it changes anything (EINVAL on corrupt, truncated or foreign data;
 * EOPNOTSUPP on an intact blob of a newer version, from a newer module;
 * whether it fits the device, after the device is found and the results
 * buffer checked: EINVAL for another transport or queue count), then
 * derives the states: every queue DEASSIGNED as the quiescent device has
 * it (its label and reason stay as they are: (a) after DEV_ADD; after a
 * reset, reason RESET, and label (g) if the queue held a slot then), then
 * (b) if DRIVER_OK for every initialised queue, those vhost held included:
 * vhost on the destination takes them back with its notifiers (d); without
 * vhost they keep their slot. A queue vhost held that was not initialised
 * stays DEASSIGNED (not ready), where vhost giving it back on the source
 * (f) would have left it.
 * Once vhost took its queues back the states are the source's, but for
 * the per-queue calls, which the blob does not carry: a queue released
 * (x) on the source gets a slot at (b) like any other (KVM on the
 * destination decides again; its VMM releases it again if refused), and
 * one acquired (q) before DRIVER_OK is DEASSIGNED until its VMM acquires
 * it again. The labels may differ too: with a vhost reserve, vhost's
 * queues take userspace slots at (b), others wait, and (d) frees room
 * for them: (r) where the source had (b). Errors: EOPNOTSUPP (flags;
 * LOAD: a newer blob version), EINVAL, ENOENT, EBUSY (LOAD: not quiescent),
 * EMSGSIZE (SAVE: @len too small; @len says the size), EFAULT, EBADF
 * (LOAD: not open for writing), ENOMEM.
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

#define VQNOTIFY_DEV_SAVE	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_DEV_SAVE)
#define VQNOTIFY_DEV_LOAD	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_DEV_LOAD)

/**
 * struct vqnotify_queues - per-queue calls on a set of queues (API 2)
 * @size: sizeof(struct vqnotify_queues)
 * @flags: VQNOTIFY_QUEUES_ACQUIRE: must be 0. VQNOTIFY_QUEUES_RELEASE:
 *         VQNOTIFY_QUEUES_KVM_REFUSED, VQNOTIFY_QUEUES_RESET.
 *         VQNOTIFY_SET_HOST_NOTIFIERS: VQNOTIFY_HOST_NOTIFIER_ENABLE.
 * @dev_id: the device
 * @nr_queues: bits in @queues: 1..num_queues of the device
 * @queues: user pointer to a bitmap of (@nr_queues + 63) / 64 __u64 words,
 *          bit n set for queue n; no bit at or past @nr_queues
 * @results: user pointer to an array of @nr_results struct
 *           vqnotify_vq_result, or 0 for no results; undefined after an
 *           error, as in struct vqnotify_dev_op
 * @nr_results: in: capacity of @results (at least the device's num_queues
 *              when @results is set: that many entries are written, the
 *              results then zeros); out: number of results: queues
 *              changed, refused, or (RELEASE) no longer waiting
 * @__reserved: must be 0
 *
 * VQNOTIFY_QUEUES_ACQUIRE: the VMM wants an ioeventfd for these queues
 * (QEMU's virtio_bus_set_host_notifier(true) outside vhost: dataplane
 * start, a queue enabled after a per-queue reset). Each listed DEASSIGNED
 * queue is marked initialised and tries to get a slot (q), in any device
 * status; a refusal (LIMITED, NO_SLOT, HOST_CAP, QUOTA) waits for promotion
 * (r), by a later event. The guest's queues waiting already are promoted
 * first, by event (as at (b)).
 * ASSIGNED queues are left as they are.
 *
 * VQNOTIFY_QUEUES_RELEASE: the VMM gives the queues' ioeventfds up (x):
 * ASSIGNED -> DEASSIGNED with reason RELEASED, or KVM_REFUSED with that
 * flag (KVM refused the KVM_IOEVENTFD: the queue does not wait for a
 * promotion that KVM would refuse again). DEASSIGNED queues stop waiting.
 * With VQNOTIFY_QUEUES_KVM_REFUSED alone, vhost's queues are released too,
 * OFFLIMITS -> DEASSIGNED (VQNOTIFY_FEATURE_RELEASE_VHOST; EBUSY before):
 * KVM refused the ioeventfd of vhost's host notifier, vhost runs on trapped
 * notifications, and its giving the queue back later changes nothing.
 * With VQNOTIFY_QUEUES_RESET (virtio 1.2 per-queue reset) the queues are
 * no longer initialised. Nothing but the listed queues changes, except
 * that the freed slots go to waiting queues (r).
 *
 * VQNOTIFY_SET_HOST_NOTIFIERS: vhost takes (c, d) or gives back (e, f) the
 * host notifiers of the listed queues at once, as QEMU's
 * vhost_dev_enable_notifiers() does in one memory transaction. Enabling
 * is all-or-nothing: when the batch cannot get its slots, even by
 * preempting (p) the guest's ASSIGNED queues outside the batch, the call
 * fails with ENOSPC and changes nothing: those of its queues that wait for
 * a slot go on waiting, and a promotion (r) makes them ASSIGNED, which a
 * VMM whose vhost holds them hands over with another call (d). Queues
 * already in the wanted state are left as they are.
 *
 * Errors: EOPNOTSUPP (flags), EINVAL (@nr_queues, bits past it, empty
 * bitmap, @nr_results too small, reserved fields), ENOENT (no such
 * device), EBUSY (ACQUIRE; RELEASE unless VQNOTIFY_QUEUES_KVM_REFUSED is
 * its only flag: a listed queue is OFFLIMITS, vhost holds it; nothing
 * changed), ENOSPC (SET_HOST_NOTIFIERS), EFAULT, EBADF (not open for
 * writing), ENOMEM.
 */
struct vqnotify_queues {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 nr_queues;
	__aligned_u64 queues;
	__aligned_u64 results;
	__u32 nr_results;
	__u32 __reserved;
};

#define VQNOTIFY_QUEUES_KVM_REFUSED	(1U << 0)
#define VQNOTIFY_QUEUES_RESET		(1U << 1)
#define VQNOTIFY_QUEUES_ACQUIRE	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_QUEUES_ACQUIRE)
#define VQNOTIFY_QUEUES_RELEASE	_IO(VQNOTIFY_TYPE, VQNOTIFY_IOC_QUEUES_RELEASE)
#define VQNOTIFY_SET_HOST_NOTIFIERS	_IO(VQNOTIFY_TYPE, \
					    VQNOTIFY_IOC_SET_HOST_NOTIFIERS)

/**
 * enum vqnotify_event_type - kind of a struct vqnotify_event
 * @VQNOTIFY_EVENT_TRANSITION: a queue changed state without the owner
 *                             asking: preemption (p) or promotion (r),
 *                             of the queues that waited already that a
 *                             call promotes first included.
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
 * read() returns whole records only. Errors: EINVAL (the buffer is smaller
 * than one record), EAGAIN (O_NONBLOCK: none is queued, or another reader
 * of the guest is copying records out; poll() says EPOLLIN again, an edge
 * for EPOLLET, when that reader is done and records are left), EINTR or a
 * restart (a signal ended
 * the wait for records or for the other reader), EFAULT (the buffer cannot
 * be written; records already copied are returned).
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
 * API 1 names of constants of the netlink family (<linux/vqnotify_netlink.h>):
 * the name attributes, the family name and version.
 */
#define VQNOTIFY_A_GUEST_LABEL	VQNOTIFY_A_GUEST_NAME
#define VQNOTIFY_A_DEV_LABEL	VQNOTIFY_A_DEV_NAME
#define VQNOTIFY_GENL_NAME	VQNOTIFY_FAMILY_NAME
#define VQNOTIFY_GENL_VERSION	VQNOTIFY_FAMILY_VERSION

#endif /* _UAPI_LINUX_VQNOTIFY_H */
