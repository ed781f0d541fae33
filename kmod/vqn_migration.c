// SPDX-License-Identifier: GPL-2.0
/*
 * vqnotify: DEV_SAVE and DEV_LOAD, a device's state in a migration blob.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/crc32.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vqnotify.h"
#include "vqn_ioctl.h"

/*
 * Migration blob, little-endian: header, then the initialised-queues bitmap
 * and the vhost-held bitmap, each BITS_TO_U64(num_queues) words. The CRC
 * covers everything with the crc field zeroed.
 *
 * The envelope is the same in every version: magic, version, hdr_len,
 * total_len and crc where they are, and the CRC computed as here. So a
 * module can tell a blob of a version newer than its own (EOPNOTSUPP) from
 * a corrupt or foreign one (EINVAL), whatever follows the envelope, and
 * however short the blob (down to the envelope). No version's blob is
 * longer than VQN_BLOB_LIMIT, which LOAD reads.
 */
#define VQN_BLOB_MAGIC		0x534e5156	/* "VQNS" */
#define VQN_BLOB_VERSION	1

struct vqn_blob_hdr {
	__le32 magic;
	__le16 version;
	__le16 hdr_len;
	__le32 total_len;
	__le32 crc;
	__le32 status;
	__le32 transport;
	__le32 num_queues;
	__le32 reserved;
};

static u32 vqn_blob_len(u32 nq)
{
	return sizeof(struct vqn_blob_hdr) + 2 * BITS_TO_U64(nq) * sizeof(u64);
}

#define VQN_BLOB_MAX	(sizeof(struct vqn_blob_hdr) + \
			 2 * BITS_TO_U64(VQNOTIFY_MAX_QUEUES) * sizeof(u64))

#define VQN_BLOB_LIMIT	SZ_4K

/* The envelope: the header up to its crc, the same in every version. */
#define VQN_BLOB_ENVELOPE	offsetof(struct vqn_blob_hdr, status)

static u32 vqn_blob_crc(struct vqn_blob_hdr *h, u32 len)
{
	__le32 saved = h->crc;
	u32 crc;

	h->crc = 0;
	crc = crc32_le(~0, (const u8 *)h, len);
	h->crc = saved;
	return crc;
}

static void vqn_blob_put_bitmap(__le64 *dst, const struct vqn_dev *d, u8 flag,
				u8 state)
{
	u32 i;

	for (i = 0; i < d->num_queues; i++) {
		const struct vqn_vq *vq = &d->vqs[i];

		if ((flag && vq->flags & flag) || (!flag && vq->state == state))
			dst[i / 64] |= cpu_to_le64(1ULL << (i % 64));
	}
}

int vqn_ioctl_dev_save(struct vqn_kguest *g, void *arg)
{
	struct vqnotify_migration *m = arg;
	struct vqn_blob_hdr *h;
	struct vqn_dev *d;
	__le64 *words;
	u32 len, n;
	int ret = 0;

	if (m->flags)
		return -EOPNOTSUPP;
	if (m->__reserved || m->results || m->nr_results)
		return -EINVAL;
	h = kzalloc(VQN_BLOB_MAX, GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;

	mutex_lock(&g->lock);
	d = vqn_kdev_find(g, m->dev_id);
	if (!d) {
		mutex_unlock(&g->lock);
		ret = -ENOENT;
		goto out;
	}
	len = vqn_blob_len(d->num_queues);
	n = BITS_TO_U64(d->num_queues);
	h->magic = cpu_to_le32(VQN_BLOB_MAGIC);
	h->version = cpu_to_le16(VQN_BLOB_VERSION);
	h->hdr_len = cpu_to_le16(sizeof(*h));
	h->total_len = cpu_to_le32(len);
	h->status = cpu_to_le32(d->status);
	h->transport = cpu_to_le32(d->transport);
	h->num_queues = cpu_to_le32(d->num_queues);
	words = (__le64 *)(h + 1);
	vqn_blob_put_bitmap(words, d, VQNOTIFY_VQ_INITIALISED, 0);
	vqn_blob_put_bitmap(words + n, d, 0, VQNOTIFY_VQ_OFFLIMITS);
	mutex_unlock(&g->lock);
	h->crc = cpu_to_le32(vqn_blob_crc(h, len));

	if (m->len < len)
		ret = -EMSGSIZE;
	else if (copy_to_user(u64_to_user_ptr(m->data), h, len))
		ret = -EFAULT;
	m->len = len;
out:
	kfree(h);
	return ret;
}

/*
 * A blob of @len bytes (at least its envelope): its initialised queues in
 * @ready. Of the vhost bitmap only the bits past num_queues are checked
 * (refused); the rest is not used: the states need it no more
 * (vqn_sm_load()).
 */
static int vqn_blob_parse(struct vqn_blob_hdr *h, u32 len,
			  unsigned long *ready)
{
	u64 words[BITS_TO_U64(VQNOTIFY_MAX_QUEUES)];
	const __le64 *src = (const __le64 *)(h + 1);
	u32 nq, n, i;

	/* The envelope, first (see the top of the file). */
	if (le32_to_cpu(h->magic) != VQN_BLOB_MAGIC ||
	    le32_to_cpu(h->total_len) != len ||
	    le32_to_cpu(h->crc) != vqn_blob_crc(h, len))
		return -EINVAL;
	if (le16_to_cpu(h->version) > VQN_BLOB_VERSION)
		return -EOPNOTSUPP;
	if (le16_to_cpu(h->version) != VQN_BLOB_VERSION || len < sizeof(*h))
		return -EINVAL;
	nq = le32_to_cpu(h->num_queues);
	if (le16_to_cpu(h->hdr_len) != sizeof(*h) || h->reserved ||
	    !nq || nq > VQNOTIFY_MAX_QUEUES || vqn_blob_len(nq) != len ||
	    le32_to_cpu(h->status) > 0xff)
		return -EINVAL;
	n = BITS_TO_U64(nq);
	for (i = 0; i < n; i++)
		words[i] = le64_to_cpu(src[i]);
	/*
	 * No bits past num_queues. vhost may hold a queue that was not
	 * initialised at DRIVER_OK: SAVE records that, so LOAD takes it.
	 */
	if (nq % 64 && (words[n - 1] >> (nq % 64) ||
			le64_to_cpu(src[2 * n - 1]) >> (nq % 64)))
		return -EINVAL;
	bitmap_from_arr64(ready, words, nq);
	return 0;
}

int vqn_ioctl_dev_load(struct vqn_kguest *g, void *arg)
{
	DECLARE_BITMAP(ready, VQNOTIFY_MAX_QUEUES);
	struct vqnotify_migration *m = arg;
	struct vqn_blob_hdr *h;
	struct vqn_call call;
	struct vqn_dev *d;
	u32 nq;
	int ret;

	if (m->flags)
		return -EOPNOTSUPP;
	if (m->__reserved)
		return -EINVAL;
	if (m->len < VQN_BLOB_ENVELOPE || m->len > VQN_BLOB_LIMIT)
		return -EINVAL;
	h = kmalloc(m->len, GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	if (copy_from_user(h, u64_to_user_ptr(m->data), m->len)) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = vqn_blob_parse(h, m->len, ready);
	if (ret)
		goto out_free;

	ret = vqn_call_prepare(g, m->dev_id, m->results, m->nr_results, &call,
			       &nq);
	if (ret)
		goto out_free;
	d = vqn_call_begin(g, m->dev_id, nq, &call);
	if (!d) {
		ret = -ENOENT;
	} else {
		/* The whole blob first: a foreign one is EINVAL, busy or not. */
		if (d->num_queues != le32_to_cpu(h->num_queues) ||
		    d->transport != le32_to_cpu(h->transport))
			ret = -EINVAL;
		else if (!vqn_sm_dev_quiescent(d))
			ret = -EBUSY;
		else
			vqn_sm_load(&g->sm, d, le32_to_cpu(h->status), ready,
				    &call.sink);
		vqn_call_end(g, &call);
	}
	if (ret)
		vqn_call_free(&call);
	else
		ret = vqn_call_finish(&call, m->results, &m->nr_results);
out_free:
	kfree(h);
	return ret;
}
