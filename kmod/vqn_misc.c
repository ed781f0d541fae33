// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: the misc device /dev/vqnotify. One open file is one guest
 * (vqn_guest.c); its ioctls forward a guest's virtio device lifecycle to
 * the state machine (vqn_ioctl.c, vqn_migration.c); read() and poll()
 * deliver the changes the VMM did not cause itself (vqn_event.c).
 *
 * This file owns the file operations (vqn_fops_*) and the ioctl table:
 * which command, which structure and sizes, whether the file must be open
 * for writing, and the copies in and out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/poll.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "vqnotify.h"
#include "vqn_ioctl.h"
#include "vqn_misc.h"

/*
 * misc_open() calls this under the global misc_mtx, as it calls every misc
 * device's open (/dev/kvm's, vhost-net's, tun's): it takes no lock held
 * longer than the guest id allocation (the guest table's xarray lock) or
 * the GUEST_ADD_NTF to listeners ("DOC: Locking"). Its guest's
 * allocations are charged to the opener's memory cgroup and may reclaim
 * there, so a tenant at its cgroup's limit slows other opens of misc
 * devices while its own reclaim, as vhost-net's open, which allocates
 * more, may too. Not fixed here: that is the misc core's lock.
 */
static int vqn_fops_open(struct inode *inode, struct file *file)
{
	struct vqn_kguest *g = vqn_kguest_create();

	if (IS_ERR(g))
		return PTR_ERR(g);
	file->private_data = g;
	return 0;
}

static int vqn_fops_release(struct inode *inode, struct file *file)
{
	vqn_kguest_destroy(file->private_data);
	return 0;
}

static ssize_t vqn_fops_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	return vqn_event_read(file->private_data, buf, count,
			      file->f_flags & O_NONBLOCK);
}

static __poll_t vqn_fops_poll(struct file *file, poll_table *wait)
{
	return vqn_event_poll(file->private_data, file, wait);
}

/* ioctls */

union vqn_ioctl_buffer {
	u32 size;	/* every structure's first field */
	struct vqnotify_info info;
	struct vqnotify_guest_set guest_set;
	struct vqnotify_guest_info guest_info;
	struct vqnotify_dev_add dev_add;
	struct vqnotify_dev_op dev_op;
	struct vqnotify_host_notifier host_notifier;
	struct vqnotify_queue_get queue_get;
	struct vqnotify_dev_get dev_get;
	struct vqnotify_migration migration;
	struct vqnotify_queues queues;
};

/*
 * @min_size: the API 1 size of the structure (or its first size): smaller
 * is EINVAL. @write: the call changes state, so the file must be open for
 * writing (EBADF otherwise): an O_RDONLY fd may query, for monitoring.
 * @undo: takes back what @execute did when the structure cannot be written
 * back after it (NULL: the change stands, "DOC: General ioctl format").
 */
struct vqn_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	bool write;
	int (*execute)(struct vqn_kguest *g, void *arg);
	void (*undo)(struct vqn_kguest *g, void *arg);
};

#define VQN_IOCTL(_ioctl, _fn, _undo, _struct, _last, _write)		\
	[_IOC_NR(_ioctl) - VQNOTIFY_CMD_BASE] = {			\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union vqn_ioctl_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.write = _write,					\
		.execute = _fn,						\
		.undo = _undo,						\
	}
#define VQN_IOCTL_OP(_ioctl, _fn, _struct, _last)			\
	VQN_IOCTL(_ioctl, _fn, NULL, _struct, _last, true)
#define VQN_IOCTL_GET(_ioctl, _fn, _struct, _last)			\
	VQN_IOCTL(_ioctl, _fn, NULL, _struct, _last, false)

static const struct vqn_ioctl_op vqn_ioctl_ops[] = {
	VQN_IOCTL_GET(VQNOTIFY_GET_INFO, vqn_ioctl_get_info,
		      struct vqnotify_info, features),
	VQN_IOCTL_OP(VQNOTIFY_GUEST_SET, vqn_ioctl_guest_set,
		     struct vqnotify_guest_set, label),
	VQN_IOCTL_GET(VQNOTIFY_GUEST_GET, vqn_ioctl_guest_get,
		      struct vqnotify_guest_info, label),
	VQN_IOCTL(VQNOTIFY_DEV_ADD, vqn_ioctl_dev_add, vqn_ioctl_dev_add_undo,
		  struct vqnotify_dev_add, label, true),
	VQN_IOCTL_OP(VQNOTIFY_SET_STATUS, vqn_ioctl_set_status,
		     struct vqnotify_dev_op, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_DEV_RESET, vqn_ioctl_dev_reset,
		     struct vqnotify_dev_op, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_DEV_REMOVE, vqn_ioctl_dev_remove,
		     struct vqnotify_dev_op, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_SET_HOST_NOTIFIER, vqn_ioctl_host_notifier,
		     struct vqnotify_host_notifier, __reserved2),
	VQN_IOCTL_GET(VQNOTIFY_QUEUE_GET, vqn_ioctl_queue_get,
		      struct vqnotify_queue_get, info),
	VQN_IOCTL_GET(VQNOTIFY_DEV_GET, vqn_ioctl_dev_get,
		      struct vqnotify_dev_get, label),
	VQN_IOCTL_GET(VQNOTIFY_DEV_SAVE, vqn_ioctl_dev_save,
		      struct vqnotify_migration, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_DEV_LOAD, vqn_ioctl_dev_load,
		     struct vqnotify_migration, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_QUEUES_ACQUIRE, vqn_ioctl_queues_acquire,
		     struct vqnotify_queues, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_QUEUES_RELEASE, vqn_ioctl_queues_release,
		     struct vqnotify_queues, __reserved),
	VQN_IOCTL_OP(VQNOTIFY_SET_HOST_NOTIFIERS, vqn_ioctl_host_notifiers,
		     struct vqnotify_queues, __reserved),
};

/*
 * The struct is written back after the call: a read-only one fails now,
 * before the call changes anything, not after. A write-back that fails all
 * the same (another thread unmapped the struct meanwhile) takes the change
 * back where the op can (@undo). Always inlined, so that with
 * a constant @size every copy has a constant size, which hardened usercopy
 * checks at build time instead of walking the stack frame at run time.
 */
static __always_inline long vqn_ioctl_call(struct vqn_kguest *g,
					   const struct vqn_ioctl_op *op,
					   void __user *uarg,
					   union vqn_ioctl_buffer *buf,
					   u32 size)
{
	long ret;

	if (copy_to_user(uarg, buf, size))
		return -EFAULT;
	ret = op->execute(g, buf);
	if ((!ret || ret == -EMSGSIZE) && copy_to_user(uarg, buf, size)) {
		if (!ret && op->undo)
			op->undo(g, buf);
		ret = -EFAULT;
	}
	return ret;
}

/*
 * A struct of exactly the size this module knows (no tail to check), a
 * multiple of 8 bytes: the size, the struct and the probing write in one
 * user access, the write-back in another, a word at a time. A user access
 * through get_user() or a copy routine is a call, a stac/clac pair and, for
 * the copies, a string instruction, each dear under emulation: the four of
 * the general path cost about as much as the call's decision.
 *
 * Returns 1, having changed nothing, when the size is another: the general
 * path decides.
 */
static __always_inline long vqn_ioctl_exact(struct vqn_kguest *g,
					    const struct vqn_ioctl_op *op,
					    void __user *uarg,
					    union vqn_ioctl_buffer *buf,
					    u32 size)
{
	u64 __user *p = uarg;
	u64 *w = (u64 *)buf;
	u32 i, usize;
	long ret;

	BUILD_BUG_ON(size % sizeof(u64));
	if (!user_access_begin(p, size))
		return 1;
	unsafe_get_user(usize, (u32 __user *)p, efault);
	if (usize != size) {
		user_access_end();
		return 1;
	}
	for (i = 0; i < size / sizeof(u64); i++)
		unsafe_get_user(w[i], p + i, efault);
	for (i = 0; i < size / sizeof(u64); i++)
		unsafe_put_user(w[i], p + i, efault);
	user_access_end();
	/*
	 * The size checked, not the copy's (another thread of the caller
	 * may have changed it in between), as vqn_fops_ioctl() does.
	 */
	buf->size = size;

	ret = op->execute(g, buf);
	if (ret && ret != -EMSGSIZE)
		return ret;
	if (!user_access_begin(p, size))
		return -EFAULT;
	for (i = 0; i < size / sizeof(u64); i++)
		unsafe_put_user(w[i], p + i, efault);
	user_access_end();
	return ret;

efault:
	user_access_end();
	return -EFAULT;
}

static long vqn_fops_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct vqn_kguest *g = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct vqn_ioctl_op *op;
	/*
	 * Not zeroed on entry (CONFIG_INIT_STACK_ALL_ZERO clears all 352 bytes
	 * before the command is checked, ENOTTY included): the call's struct
	 * is copied in, the bytes of its size, and no more is read or copied
	 * out.
	 */
	union vqn_ioctl_buffer buf __uninitialized;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	long ret;

	if (cmd != _IO(VQNOTIFY_TYPE, nr) || nr < VQNOTIFY_CMD_BASE ||
	    nr - VQNOTIFY_CMD_BASE >= ARRAY_SIZE(vqn_ioctl_ops))
		return -ENOTTY;
	/* The index picks a function pointer: no speculation past the table. */
	op = &vqn_ioctl_ops[array_index_nospec(nr - VQNOTIFY_CMD_BASE,
					       ARRAY_SIZE(vqn_ioctl_ops))];
	if (!op->execute)
		return -ENOTTY;
	if (op->write && !(file->f_mode & FMODE_WRITE))
		return -EBADF;

	/*
	 * The calls of a VMM's hot path, as this module knows them. None
	 * has an @undo: vqn_ioctl_exact() calls none.
	 */
	switch (cmd) {
	case VQNOTIFY_SET_HOST_NOTIFIER:
		ret = vqn_ioctl_exact(g, op, uarg, &buf,
				      sizeof(buf.host_notifier));
		break;
	case VQNOTIFY_SET_STATUS:
	case VQNOTIFY_DEV_RESET:
		ret = vqn_ioctl_exact(g, op, uarg, &buf, sizeof(buf.dev_op));
		break;
	case VQNOTIFY_SET_HOST_NOTIFIERS:
	case VQNOTIFY_QUEUES_ACQUIRE:
	case VQNOTIFY_QUEUES_RELEASE:
		ret = vqn_ioctl_exact(g, op, uarg, &buf, sizeof(buf.queues));
		break;
	default:
		ret = 1;
	}
	if (ret <= 0)
		return ret;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	/*
	 * No structure will be that big, and its tail would be checked for
	 * zeros (copy_struct_from_user()) without a reschedule: a GiB of
	 * mapped zero pages held a CPU of the rig's VM for 0.28 s, and a size
	 * may ask for 4 GiB. openat2 and clone3 refuse above a page too.
	 */
	if (usize > VQNOTIFY_SIZE_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(&buf, op->size, uarg, usize);
	if (ret)
		return ret;
	/*
	 * The size checked above, not the second read of the copy, which
	 * another thread of the caller may have changed in between: the
	 * handlers' checks of the size (a struct too short for a name) must
	 * see what was checked here.
	 */
	buf.size = usize;
	return vqn_ioctl_call(g, op, uarg, &buf, min_t(u32, op->size, usize));
}

static const struct file_operations vqn_fops = {
	.owner = THIS_MODULE,
	.open = vqn_fops_open,
	.release = vqn_fops_release,
	.read = vqn_fops_read,
	.poll = vqn_fops_poll,
	.unlocked_ioctl = vqn_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vqn_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vqnotify",
	.fops = &vqn_fops,
	.mode = 0660,
};

int vqn_misc_init(void)
{
	return misc_register(&vqn_misc);
}

void vqn_misc_exit(void)
{
	misc_deregister(&vqn_misc);
}
