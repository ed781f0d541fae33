// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_ioctl_test: the rules every ioctl shares, once per ioctl: struct
 * size, flags, reserved fields, unknown devices, bad struct pointers. A
 * call that fails changes nothing.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include <stddef.h>

#include "vqn_abuse_utils.h"

/*
 * The generic checks, once per ioctl: the struct size rules, flags,
 * reserved fields, unknown devices and bad struct pointers. Each variant
 * fills a struct that succeeds as is (test "ok"); every other test breaks
 * one thing, expects the error and no change, then proves the guest still
 * takes the intact struct.
 */
FIXTURE(ioc) {
	int fd;
	struct vqnotify_info info;
	long host0;
	uint32_t ids[2];	/* busy: DRIVER_OK; idle: never used */
	uint32_t blob_len;
	uint8_t blob[TK_BLOB_BUF];
	uint8_t save[TK_BLOB_BUF];
	struct vqnotify_vq_result res[8];
	struct vqnotify_vq_info vi[8];
	uint64_t qbits;		/* the queues of a batch call */
	uint64_t buf[64];	/* struct under test, zero tail beyond it */
};

#define BUSY(self)	((self)->ids[0])
#define IDLE(self)	((self)->ids[1])

FIXTURE_VARIANT(ioc) {
	unsigned long cmd;
	uint32_t size;
	int reserved;	/* offset of a must-be-zero __u32, or -1 */
	bool dev_id;	/* __u32 dev_id at offset 8 */
	uint32_t bad_flag;
	void (*fill)(FIXTURE_DATA(ioc) *self, void *arg);
};

static void fill_info(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_info *p = arg;

	(void)self;
	p->size = sizeof(*p);
}

static void fill_guest_set(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_guest_set *p = arg;

	p->size = sizeof(*p);
	p->flags = VQNOTIFY_GUEST_SET_BUDGET | VQNOTIFY_GUEST_SET_LABEL;
	p->budget = self->info.threshold + self->info.vhost_reserve + 3;
	strcpy(p->label, "renamed");
}

static void fill_guest_get(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_guest_info *p = arg;

	(void)self;
	p->size = sizeof(*p);
}

static void fill_dev_add(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_dev_add *p = arg;

	(void)self;
	p->size = sizeof(*p);
	p->transport = VQNOTIFY_TRANSPORT_MMIO;
	p->num_queues = 2;
	strcpy(p->label, "added");
}

static void fill_dev_op(struct vqnotify_dev_op *p, uint32_t id,
			uint32_t status, struct vqnotify_vq_result *res)
{
	p->size = sizeof(*p);
	p->dev_id = id;
	p->status = status;
	p->results = (uintptr_t)res;
	p->nr_results = 8;
}

static void fill_set_status(FIXTURE_DATA(ioc) *self, void *arg)
{
	fill_dev_op(arg, IDLE(self), TK_STATUS_OK, self->res);
}

static void fill_dev_busy(FIXTURE_DATA(ioc) *self, void *arg)
{
	fill_dev_op(arg, BUSY(self), 0, self->res);
}

static void fill_host_notifier(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_host_notifier *p = arg;

	p->size = sizeof(*p);
	p->flags = VQNOTIFY_HOST_NOTIFIER_ENABLE;
	p->dev_id = BUSY(self);
	p->queue = 1;
}

static void fill_queue_get(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_queue_get *p = arg;

	p->size = sizeof(*p);
	p->dev_id = BUSY(self);
	p->queue = 1;
}

static void fill_dev_get(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_dev_get *p = arg;

	p->size = sizeof(*p);
	p->dev_id = BUSY(self);
	p->queues = (uintptr_t)self->vi;
	p->nr_queues = 8;
}

static void fill_save(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_migration *p = arg;

	p->size = sizeof(*p);
	p->dev_id = BUSY(self);
	p->len = sizeof(self->save);
	p->data = (uintptr_t)self->save;
}

static void fill_load(FIXTURE_DATA(ioc) *self, void *arg)
{
	struct vqnotify_migration *p = arg;

	p->size = sizeof(*p);
	p->dev_id = IDLE(self);
	p->len = self->blob_len;
	p->data = (uintptr_t)self->blob;
	p->results = (uintptr_t)self->res;
	p->nr_results = 8;
}

static void fill_queues(FIXTURE_DATA(ioc) *self, void *arg, uint32_t flags,
			uint32_t dev, unsigned int q)
{
	struct vqnotify_queues *p = arg;

	self->qbits = 1ULL << q;
	p->size = sizeof(*p);
	p->flags = flags;
	p->dev_id = dev;
	p->nr_queues = 8;
	p->queues = (uintptr_t)&self->qbits;
	p->results = (uintptr_t)self->res;
	p->nr_results = 8;
}

static void fill_acquire(FIXTURE_DATA(ioc) *self, void *arg)
{
	fill_queues(self, arg, 0, IDLE(self), 0);
}

static void fill_release(FIXTURE_DATA(ioc) *self, void *arg)
{
	fill_queues(self, arg, 0, BUSY(self), 0);
}

static void fill_host_notifiers(FIXTURE_DATA(ioc) *self, void *arg)
{
	fill_queues(self, arg, VQNOTIFY_HOST_NOTIFIER_ENABLE, BUSY(self), 1);
}

#define IOC_VARIANT(_name, _cmd, _struct, _rsv, _dev, _bad, _fill)	\
	FIXTURE_VARIANT_ADD(ioc, _name) {				\
		.cmd = _cmd,						\
		.size = sizeof(struct _struct),				\
		.reserved = _rsv,					\
		.dev_id = _dev,						\
		.bad_flag = _bad,					\
		.fill = _fill,						\
	}

#define RSV(_struct)	offsetof(struct _struct, __reserved)

IOC_VARIANT(get_info, VQNOTIFY_GET_INFO, vqnotify_info, RSV(vqnotify_info),
	    false, 1, fill_info);
IOC_VARIANT(guest_set, VQNOTIFY_GUEST_SET, vqnotify_guest_set,
	    offsetof(struct vqnotify_guest_set, run_state), false, 1 << 4,
	    fill_guest_set);
IOC_VARIANT(guest_get, VQNOTIFY_GUEST_GET, vqnotify_guest_info,
	    RSV(vqnotify_guest_info), false, 1, fill_guest_get);
IOC_VARIANT(guest_get_reserved2, VQNOTIFY_GUEST_GET, vqnotify_guest_info,
	    offsetof(struct vqnotify_guest_info, __reserved2), false, 1,
	    fill_guest_get);
IOC_VARIANT(dev_add, VQNOTIFY_DEV_ADD, vqnotify_dev_add,
	    RSV(vqnotify_dev_add), false, 1 << 1, fill_dev_add);
IOC_VARIANT(set_status, VQNOTIFY_SET_STATUS, vqnotify_dev_op,
	    RSV(vqnotify_dev_op), true, 1, fill_set_status);
IOC_VARIANT(dev_reset, VQNOTIFY_DEV_RESET, vqnotify_dev_op,
	    RSV(vqnotify_dev_op), true, 1, fill_dev_busy);
IOC_VARIANT(dev_remove, VQNOTIFY_DEV_REMOVE, vqnotify_dev_op,
	    RSV(vqnotify_dev_op), true, 1, fill_dev_busy);
IOC_VARIANT(host_notifier, VQNOTIFY_SET_HOST_NOTIFIER,
	    vqnotify_host_notifier, RSV(vqnotify_host_notifier), true, 1 << 1,
	    fill_host_notifier);
IOC_VARIANT(host_notifier_reserved2, VQNOTIFY_SET_HOST_NOTIFIER,
	    vqnotify_host_notifier,
	    offsetof(struct vqnotify_host_notifier, __reserved2), true, 1 << 1,
	    fill_host_notifier);
IOC_VARIANT(queue_get, VQNOTIFY_QUEUE_GET, vqnotify_queue_get, -1, true, 1,
	    fill_queue_get);
IOC_VARIANT(dev_get, VQNOTIFY_DEV_GET, vqnotify_dev_get,
	    RSV(vqnotify_dev_get), true, 1, fill_dev_get);
IOC_VARIANT(dev_save, VQNOTIFY_DEV_SAVE, vqnotify_migration,
	    RSV(vqnotify_migration), true, 1, fill_save);
IOC_VARIANT(dev_load, VQNOTIFY_DEV_LOAD, vqnotify_migration,
	    RSV(vqnotify_migration), true, 1, fill_load);
IOC_VARIANT(queues_acquire, VQNOTIFY_QUEUES_ACQUIRE, vqnotify_queues,
	    RSV(vqnotify_queues), true, VQNOTIFY_QUEUES_KVM_REFUSED,
	    fill_acquire);
IOC_VARIANT(queues_release, VQNOTIFY_QUEUES_RELEASE, vqnotify_queues,
	    RSV(vqnotify_queues), true, 1 << 2, fill_release);
IOC_VARIANT(host_notifiers, VQNOTIFY_SET_HOST_NOTIFIERS, vqnotify_queues,
	    RSV(vqnotify_queues), true, 1 << 1, fill_host_notifiers);

FIXTURE_SETUP(ioc)
{
	uint32_t src;

	tk_setup_guest(self);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 8, "busy", &BUSY(self));
	test_cmd_set_status(BUSY(self), TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 8, "src", &src);
	test_cmd_set_status(src, TK_STATUS_OK, NULL, NULL, NULL);
	self->blob_len = tk_save_blob(_metadata, self->fd, src, self->blob);
	test_cmd_dev_remove(src, NULL, NULL);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 8, "idle", &IDLE(self));
	memset(self->buf, 0, sizeof(self->buf));
	variant->fill(self, self->buf);
}

FIXTURE_TEARDOWN(ioc)
{
	tk_teardown_guest(self);
}

/* @arg must fail with @err and change nothing. */
static void ioc_expect(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ioc) *self, int line, unsigned long cmd,
		       void *arg, int err)
{
	struct tk_snap a, b;

	ASSERT_EQ(0, tk_snap_take_ids(self->fd, self->ids, 2, &a));
	EXPECT_EQ(err, _test_ioctl(self->fd, cmd, arg)) TH_LOG("line %d", line);
	ASSERT_EQ(0, tk_snap_take_ids(self->fd, self->ids, 2, &b));
	tk_expect_same_snap(_metadata, line, &a, &b, true);
	tk_snap_free(&a);
	tk_snap_free(&b);
}

#define IOC_EXPECT(cmd, arg, err) \
	ioc_expect(_metadata, self, __LINE__, cmd, arg, err)

/* The error was the broken field's: the intact struct still works. */
static void ioc_intact(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ioc) *self,
		       const FIXTURE_VARIANT(ioc) *variant)
{
	memset(self->buf, 0, sizeof(self->buf));
	variant->fill(self, self->buf);
	EXPECT_EQ(0, _test_ioctl(self->fd, variant->cmd, self->buf))
		TH_LOG("the intact struct failed after the error");
}

#define IOC_INTACT() ioc_intact(_metadata, self, variant)

static uint32_t get32(const void *buf, int off)
{
	uint32_t v;

	memcpy(&v, (const char *)buf + off, sizeof(v));
	return v;
}

static void set32(void *buf, int off, uint32_t v)
{
	memcpy((char *)buf + off, &v, sizeof(v));
}

TEST_F(ioc, ok)
{
	ASSERT_EQ(0, _test_ioctl(self->fd, variant->cmd, self->buf));
	/* The size field is left as the caller wrote it. */
	EXPECT_EQ(variant->size, get32(self->buf, 0));
}

/* A larger struct whose tail is zero is accepted; the tail is kept. */
TEST_F(ioc, oversized_zero_tail)
{
	uint8_t *tail = (uint8_t *)self->buf + variant->size;

	set32(self->buf, 0, variant->size + 64);
	ASSERT_EQ(0, _test_ioctl(self->fd, variant->cmd, self->buf));
	EXPECT_EQ(0, tail[0]);
	EXPECT_EQ(0, tail[63]);
}

TEST_F(ioc, oversized_nonzero_tail)
{
	uint8_t *tail = (uint8_t *)self->buf + variant->size;

	set32(self->buf, 0, variant->size + 64);
	tail[63] = 1;
	IOC_EXPECT(variant->cmd, self->buf, -E2BIG);
	IOC_INTACT();
}

TEST_F(ioc, size_zero)
{
	set32(self->buf, 0, 0);
	IOC_EXPECT(variant->cmd, self->buf, -EINVAL);
	IOC_INTACT();
}

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/* The size of a structure's first version: less is EINVAL. */
static uint32_t ioc_first_size(unsigned long cmd, uint32_t size)
{
	switch (cmd) {
	case VQNOTIFY_GUEST_SET:
		return offsetofend(struct vqnotify_guest_set, label);
	case VQNOTIFY_GUEST_GET:
		return offsetofend(struct vqnotify_guest_info, label);
	case VQNOTIFY_DEV_ADD:
		return offsetofend(struct vqnotify_dev_add, label);
	case VQNOTIFY_DEV_GET:
		return offsetofend(struct vqnotify_dev_get, label);
	}
	return size;
}

TEST_F(ioc, size_short)
{
	set32(self->buf, 0, ioc_first_size(variant->cmd, variant->size) - 1);
	IOC_EXPECT(variant->cmd, self->buf, -EINVAL);
	IOC_INTACT();
}

TEST_F(ioc, size_header_only)
{
	set32(self->buf, 0, 8);
	IOC_EXPECT(variant->cmd, self->buf, -EINVAL);
	IOC_INTACT();
}

TEST_F(ioc, unknown_flag)
{
	set32(self->buf, 4, get32(self->buf, 4) | variant->bad_flag);
	IOC_EXPECT(variant->cmd, self->buf, -EOPNOTSUPP);
	IOC_INTACT();
}

TEST_F(ioc, unknown_flag_high)
{
	set32(self->buf, 4, get32(self->buf, 4) | 1U << 31);
	IOC_EXPECT(variant->cmd, self->buf, -EOPNOTSUPP);
	IOC_INTACT();
}

TEST_F(ioc, reserved_nonzero)
{
	if (variant->reserved < 0)
		SKIP(return, "no reserved field");
	set32(self->buf, variant->reserved, 1);
	IOC_EXPECT(variant->cmd, self->buf, -EINVAL);
	IOC_INTACT();
}

TEST_F(ioc, unknown_dev)
{
	if (!variant->dev_id)
		SKIP(return, "no device id");
	set32(self->buf, 8, 0x7fff1234);
	IOC_EXPECT(variant->cmd, self->buf, -ENOENT);
	set32(self->buf, 8, 0);
	IOC_EXPECT(variant->cmd, self->buf, -ENOENT);
	set32(self->buf, 8, ~0U);
	IOC_EXPECT(variant->cmd, self->buf, -ENOENT);
	IOC_INTACT();
}

/* The same command number with a direction or size encoded: ENOTTY. */
TEST_F(ioc, encoded_cmd)
{
	unsigned int nr = _IOC_NR(variant->cmd);
	unsigned long cmds[] = {
		_IOC(_IOC_READ | _IOC_WRITE, VQNOTIFY_TYPE, nr, variant->size),
		_IOC(_IOC_WRITE, VQNOTIFY_TYPE, nr, variant->size),
		_IOC(_IOC_READ, VQNOTIFY_TYPE, nr, variant->size),
		_IOC(_IOC_NONE, VQNOTIFY_TYPE, nr, variant->size),
		_IOC(_IOC_NONE, VQNOTIFY_TYPE + 1, nr, 0),
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		unsigned long cmd = cmds[i];

		IOC_EXPECT(cmd, self->buf, -ENOTTY);
	}
	IOC_INTACT();
}

TEST_F(ioc, null_arg)
{
	IOC_EXPECT(variant->cmd, NULL, -EFAULT);
	IOC_INTACT();
}

TEST_F(ioc, unmapped_arg)
{
	IOC_EXPECT(variant->cmd, tk_unmapped_addr(), -EFAULT);
	IOC_INTACT();
}

/* The size field is readable, the rest of the struct is not mapped. */
TEST_F(ioc, straddling_arg)
{
	char *p = tk_page_before_hole();

	ASSERT_NE(NULL, p);
	p += tk_page_size() - 8;
	memcpy(p, self->buf, 8);
	IOC_EXPECT(variant->cmd, p, -EFAULT);
	IOC_INTACT();
}

/*
 * A struct the kernel can read but not write back: the call must fail
 * before changing anything, not after.
 */
TEST_F(ioc, readonly_arg)
{
	void *p = tk_ro_copy(self->buf, variant->size);

	ASSERT_NE(NULL, p);
	IOC_EXPECT(variant->cmd, p, -EFAULT);
	IOC_INTACT();
}

TEST_HARNESS_MAIN
