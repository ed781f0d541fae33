// SPDX-License-Identifier: GPL-2.0
/*
 * vqn_migration_test: SAVE and LOAD refuse what they must (corrupt,
 * truncated, foreign blobs, wrong devices, bad buffers) and change nothing
 * when they do. Round trips are in vqn_transition_test.
 *
 * The module is loaded afresh for each test binary; host-wide figures are
 * still compared as deltas, and budgets derived from the threshold and vhost
 * reserve the module reports. Each test opens its own guest(s). Without
 * /dev/vqnotify every test is skipped. Written on the toolkit vqn_utils.h.
 */
#define _GNU_SOURCE
#include "vqn_abuse_utils.h"

TK_GUEST_FIXTURE(guest)

/*
 * Migration errors. The source is an 8-queue PIO device, DRIVER_OK, queue
 * 7 held by vhost; the target a fresh 8-queue PIO device of the same guest.
 */
struct mig {
	uint32_t src, dst, len;
	uint8_t blob[TK_BLOB_BUF];
};

static void mig_setup(struct __test_metadata *_metadata, int fd,
		      struct mig *m)
{
	ASSERT_EQ(0, _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_PIO, 8, "src",
				 &m->src));
	ASSERT_EQ(0, _test_ioctl_set_status(fd, m->src, TK_STATUS_OK, NULL, NULL,
				    NULL));
	ASSERT_EQ(0, _test_ioctl_host_notifier(fd, m->src, 7, true, NULL));
	m->len = tk_save_blob(_metadata, fd, m->src, m->blob);
	ASSERT_EQ(0, _test_ioctl_dev_add(fd, VQNOTIFY_TRANSPORT_PIO, 8, "dst",
				 &m->dst));
}

/*
 * LOAD of @len bytes at @buf into device @id fails with @_errno and changes
 * nothing: not the guest, not the source, not the target, not device @id
 * (every queue of each).
 */
#define mig_err_load(fd, m, _errno, id, buf, len, res, nr) do {		\
	const uint32_t _ids[] = { (m)->src, (m)->dst, (id) };		\
									\
	EXPECT_NO_CHANGE(fd, _ids, 3, -(_errno),			\
			 _test_ioctl_dev_load(fd, id, buf, len, res, nr)); \
} while (0)

/* After failed LOADs (each unchanged), the target still loads the blob. */
static void mig_check_loadable(struct __test_metadata *_metadata, int fd,
			       struct mig *m)
{
	uint32_t nr = 8;
	struct vqnotify_vq_result res[8];

	ASSERT_EQ(0, _test_ioctl_dev_load(fd, m->dst, m->blob, m->len, res, &nr));
	EXPECT_EQ(8U, nr);
	ASSERT_EQ(0, _test_ioctl_host_notifier(fd, m->dst, 7, true, NULL));
	tk_expect_same_dev(_metadata, fd, m->src, fd, m->dst);
}

/* Flipping any byte of the blob is caught (CRC): EINVAL, no change. */
TEST_F(guest, load_corrupt)
{
	struct mig m;
	uint32_t i;

	mig_setup(_metadata, self->fd, &m);
	for (i = 0; i < m.len; i++) {
		m.blob[i] ^= 0x10;
		mig_err_load(self->fd, &m, EINVAL, m.dst, m.blob, m.len, NULL,
			     NULL);
		m.blob[i] ^= 0x10;
		if (!__test_passed(_metadata)) {
			TH_LOG("byte %u flipped", i);
			break;
		}
	}
	CHECK_COUNTS(self->fd, "a16 b8 d1");
	mig_check_loadable(_metadata, self->fd, &m);
}

TEST_F(guest, load_truncated)
{
	uint32_t lens[] = { 0, 4, TK_BLOB_HDR_LEN - 1, TK_BLOB_HDR_LEN, 0, 0 };
	struct mig m;
	uint32_t i;

	mig_setup(_metadata, self->fd, &m);
	lens[4] = m.len - 1;
	lens[5] = m.len - 8;
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		uint32_t len = lens[i];

		mig_err_load(self->fd, &m, EINVAL, m.dst, m.blob, len, NULL,
			     NULL);
		if (!__test_passed(_metadata)) {
			TH_LOG("len %u of %u", len, m.len);
			break;
		}
	}
	/* Trailing garbage is no better. */
	memset(m.blob + m.len, 0, 8);
	mig_err_load(self->fd, &m, EINVAL, m.dst, m.blob, m.len + 8, NULL,
		     NULL);
	mig_check_loadable(_metadata, self->fd, &m);
}

/* Foreign data with a valid CRC: bad magic, then version 0. */
TEST_F(guest, load_foreign)
{
	uint32_t crc;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	memcpy(&crc, m.blob + TK_BLOB_CRC, 4);
	ASSERT_EQ(crc, tk_blob_crc(m.blob, m.len))
		TH_LOG("blob layout changed: update the BLOB_* offsets");

	m.blob[TK_BLOB_MAGIC] ^= 0xff;
	tk_blob_reseal(m.blob, m.len);
	mig_err_load(self->fd, &m, EINVAL, m.dst, m.blob, m.len, NULL, NULL);
	m.blob[TK_BLOB_MAGIC] ^= 0xff;

	m.blob[TK_BLOB_VERSION] = 0;
	tk_blob_reseal(m.blob, m.len);
	mig_err_load(self->fd, &m, EINVAL, m.dst, m.blob, m.len, NULL, NULL);
	m.blob[TK_BLOB_VERSION] = 1;
	tk_blob_reseal(m.blob, m.len);
	mig_check_loadable(_metadata, self->fd, &m);
}

/*
 * A blob a newer module saved: the same envelope (magic, version, lengths,
 * CRC), a higher version and whatever that version puts behind it. It is
 * EOPNOTSUPP, told apart from a corrupt one (EINVAL), and changes nothing.
 */
TEST_F(guest, load_newer_version)
{
	uint8_t short_blob[24];
	uint32_t total;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	ASSERT_EQ(1, m.blob[TK_BLOB_VERSION])
		TH_LOG("blob version changed: update this test");

	m.blob[TK_BLOB_VERSION] = 2;
	tk_blob_reseal(m.blob, m.len);
	mig_err_load(self->fd, &m, EOPNOTSUPP, m.dst, m.blob, m.len, NULL,
		     NULL);

	/*
	 * With 8 more bytes of header (hdr_len: the __le16 after the
	 * version), 1 KiB long: longer than any blob of this version.
	 */
	total = TK_BLOB_BUF;
	ASSERT_LT(TK_BLOB_MAX, total);
	m.blob[TK_BLOB_VERSION + 2] += 8;
	memset(m.blob + m.len, 0x5a, total - m.len);
	tk_blob_seal_len(m.blob, total);
	mig_err_load(self->fd, &m, EOPNOTSUPP, m.dst, m.blob, total, NULL,
		     NULL);

	/* Corrupt, it is EINVAL like any other. */
	m.blob[total - 1] ^= 1;
	mig_err_load(self->fd, &m, EINVAL, m.dst, m.blob, total, NULL, NULL);
	CHECK_COUNTS(self->fd, "a16 b8 d1");

	/*
	 * Shorter than this version's header: the envelope alone (magic,
	 * version, lengths, CRC: 16 bytes) and 8 bytes of whatever.
	 */
	m.len = tk_save_blob(_metadata, self->fd, m.src, m.blob);
	memcpy(short_blob, m.blob, sizeof(short_blob));
	short_blob[TK_BLOB_VERSION] = 2;
	total = sizeof(short_blob);
	tk_blob_seal_len(short_blob, total);
	mig_err_load(self->fd, &m, EOPNOTSUPP, m.dst, short_blob, total, NULL,
		     NULL);

	/* The source's own blob, saved again, still loads. */
	mig_check_loadable(_metadata, self->fd, &m);
}

/*
 * One field of the source's blob set to @val (@width bytes at @off), the
 * blob resealed, so that only that field's check can refuse it: EINVAL,
 * nothing changed.
 */
static void mig_load_field(struct __test_metadata *_metadata, int fd,
			   uint32_t off, uint32_t val, uint32_t width)
{
	uint8_t b[TK_BLOB_BUF];
	struct mig m;

	mig_setup(_metadata, fd, &m);
	memcpy(b, m.blob, m.len);
	memcpy(b + off, &val, width);
	tk_blob_reseal(b, m.len);
	mig_err_load(fd, &m, EINVAL, m.dst, b, m.len, NULL, NULL);
	mig_check_loadable(_metadata, fd, &m);
}

/* The header's offsets in version 1 (kmod/vqn_migration.c). */
#define MIG_HDR_LEN	6
#define MIG_STATUS	16
#define MIG_TRANSPORT	20
#define MIG_NUM_QUEUES	24
#define MIG_RESERVED	28
#define MIG_READY	32	/* the source's 8 queues: one word each */
#define MIG_VHOST	40

TEST_F(guest, load_header_length_wrong)
{
	mig_load_field(_metadata, self->fd, MIG_HDR_LEN, 40, 2);
}

TEST_F(guest, load_reserved_set)
{
	mig_load_field(_metadata, self->fd, MIG_RESERVED, 1, 4);
}

TEST_F(guest, load_status_over_a_byte)
{
	mig_load_field(_metadata, self->fd, MIG_STATUS, 0x100 | TK_STATUS_OK,
		       4);
}

/* The source's queues are all ready: bit 8 is one too many. */
TEST_F(guest, load_ready_bit_past_the_queues)
{
	mig_load_field(_metadata, self->fd, MIG_READY, 0x1ff, 4);
}

/* vhost held queue 7 on the source: bit 8 is one too many. */
TEST_F(guest, load_vhost_bit_past_the_queues)
{
	mig_load_field(_metadata, self->fd, MIG_VHOST, 0x180, 4);
}

/* The blob's lengths agree, but are 8 bytes more than its queues need. */
TEST_F(guest, load_length_past_the_queues)
{
	uint8_t b[TK_BLOB_BUF] = { 0 };
	struct mig m;
	uint32_t len;

	mig_setup(_metadata, self->fd, &m);
	memcpy(b, m.blob, m.len);
	len = m.len + 8;
	tk_blob_seal_len(b, len);
	mig_err_load(self->fd, &m, EINVAL, m.dst, b, len, NULL, NULL);
	mig_check_loadable(_metadata, self->fd, &m);
}

/*
 * More queues than a device may have, with the length they would need:
 * the module must not copy their bitmap onto its stack, which has room
 * for 1024 bits (the debug kernel's KASAN sees the overflow).
 */
TEST_F(guest, load_queues_over_the_maximum)
{
	uint8_t b[TK_BLOB_BUF] = { 0 };
	uint32_t nq = VQNOTIFY_MAX_QUEUES + 1;
	uint32_t len = TK_BLOB_HDR_LEN + 2 * ((nq + 63) / 64) * 8;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	ASSERT_GE(sizeof(b), len);
	memcpy(b, m.blob, TK_BLOB_HDR_LEN);
	memcpy(b + MIG_NUM_QUEUES, &nq, 4);
	tk_blob_seal_len(b, len);
	mig_err_load(self->fd, &m, EINVAL, m.dst, b, len, NULL, NULL);
	mig_check_loadable(_metadata, self->fd, &m);
}

/*
 * A blob of a header alone, which says 1024 queues, on a device of 1024:
 * the module must not read their bitmaps past the blob (the debug kernel's
 * KASAN sees it, and their bits would make the device's queues ready).
 */
TEST_F(guest, load_queues_without_their_bitmaps)
{
	uint32_t nq = VQNOTIFY_MAX_QUEUES, len = TK_BLOB_HDR_LEN, big;
	uint8_t b[TK_BLOB_HDR_LEN];
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, nq, "big", &big);
	memcpy(b, m.blob, sizeof(b));
	memcpy(b + MIG_NUM_QUEUES, &nq, 4);
	tk_blob_seal_len(b, len);
	mig_err_load(self->fd, &m, EINVAL, big, b, len, NULL, NULL);
	EXPECT_VQ(self->fd, big, 0, DEASS, R(NONE), L(A));
	EXPECT_VQ(self->fd, big, nq - 1, DEASS, R(NONE), L(A));
	mig_check_loadable(_metadata, self->fd, &m);
}

/* A foreign blob is EINVAL on a busy device too, not EBUSY. */
TEST_F(guest, load_foreign_on_a_busy_device)
{
	uint32_t mmio = VQNOTIFY_TRANSPORT_MMIO;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	memcpy(m.blob + MIG_TRANSPORT, &mmio, 4);
	tk_blob_reseal(m.blob, m.len);
	mig_err_load(self->fd, &m, EINVAL, m.src, m.blob, m.len, NULL, NULL);
	mig_err_load(self->fd, &m, EINVAL, m.dst, m.blob, m.len, NULL, NULL);
	CHECK_COUNTS(self->fd, "a16 b8 d1");
}

TEST_F(guest, load_wrong_queue_count)
{
	uint32_t d4, d16;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 4, "4", &d4);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 16, "16", &d16);
	mig_err_load(self->fd, &m, EINVAL, d4, m.blob, m.len, NULL, NULL);
	mig_err_load(self->fd, &m, EINVAL, d16, m.blob, m.len, NULL, NULL);
	EXPECT_VQ(self->fd, d4, 0, DEASS, R(NONE), L(A));
	EXPECT_VQ(self->fd, d16, 0, DEASS, R(NONE), L(A));
	mig_check_loadable(_metadata, self->fd, &m);
}

TEST_F(guest, load_wrong_transport)
{
	struct mig m;
	uint32_t d;

	mig_setup(_metadata, self->fd, &m);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_MMIO, 8, "mmio", &d);
	mig_err_load(self->fd, &m, EINVAL, d, m.blob, m.len, NULL, NULL);
	EXPECT_VQ(self->fd, d, 0, DEASS, R(NONE), L(A));
	mig_check_loadable(_metadata, self->fd, &m);
}

/*
 * LOAD wants a quiescent device (status 0, no queue holding or waiting for
 * a slot), as after DEV_ADD or a reset: EBUSY otherwise.
 */
TEST_F(guest, load_ebusy)
{
	struct vqnotify_dev_get dg;
	uint32_t d[4], i;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	for (i = 0; i < 4; i++)
		test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 8, "busy", &d[i]);
	test_cmd_set_status(d[0], TK_STATUS_FEATURES, NULL, NULL, NULL);
	test_cmd_host_notifier(d[1], 0, true, NULL);
	test_cmd_dev_reset(d[2], NULL, NULL);
	test_cmd_dev_load(d[3], m.blob, m.len, NULL, NULL);
	/* Refused, each changes nothing; */
	for (i = 0; i < 4; i++)
		if (i != 2)
			mig_err_load(self->fd, &m, EBUSY, d[i], m.blob, m.len,
				     NULL, NULL);
	/* API 2: a reset leaves a quiescent device, which LOAD takes. */
	EXPECT_EQ(0, _test_ioctl_dev_load(self->fd, d[2], m.blob, m.len, NULL,
					  NULL));
	EXPECT_VQ(self->fd, d[1], 0, OFFL, R(VHOST), L(C));
	/* Queries do not count as use. */
	test_cmd_dev_get(m.dst, &dg, NULL, 0);
	mig_check_loadable(_metadata, self->fd, &m);
}

/*
 * LOAD of a blob without DRIVER_OK leaves each queue of the target as the
 * quiescent device had it: label and reason (a) after DEV_ADD, (g) after
 * a reset. LOAD reapplies no (a).
 */
TEST_F(guest, load_keeps_the_quiescent_labels)
{
	uint8_t blob[TK_BLOB_BUF];
	uint32_t src, fresh, reset, len, q;

	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 2, "src", &src);
	test_cmd_set_status(src, TK_STATUS_FEATURES, NULL, NULL, NULL);
	len = tk_save_blob(_metadata, self->fd, src, blob);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 2, "fresh", &fresh);
	test_cmd_dev_add(VQNOTIFY_TRANSPORT_PIO, 2, "reset", &reset);
	test_cmd_set_status(reset, TK_STATUS_OK, NULL, NULL, NULL);
	test_cmd_dev_reset(reset, NULL, NULL);

	test_cmd_dev_load(fresh, blob, len, NULL, NULL);
	test_cmd_dev_load(reset, blob, len, NULL, NULL);
	for (q = 0; q < 2; q++) {
		EXPECT_VQ(self->fd, fresh, q, DEASS, R(NONE), L(A));
		EXPECT_VQ(self->fd, reset, q, DEASS, R(RESET), L(G));
	}
}

/* SAVE into a short buffer: EMSGSIZE with the needed length, no write. */
TEST_F(guest, save_emsgsize)
{
	uint8_t buf[TK_BLOB_BUF];
	uint32_t len, i, bad = 0;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	memset(buf, 0xaa, sizeof(buf));
	len = 0;
	test_err_dev_save(EMSGSIZE, m.src, buf, &len);
	EXPECT_EQ(m.len, len);
	len = m.len - 1;
	test_err_dev_save(EMSGSIZE, m.src, buf, &len);
	EXPECT_EQ(m.len, len);
	for (i = 0; i < sizeof(buf); i++)
		bad += buf[i] != 0xaa;
	EXPECT_EQ(0U, bad);
	/* A larger buffer is fine; len says what was written. */
	len = sizeof(buf);
	test_cmd_dev_save(m.src, buf, &len);
	EXPECT_EQ(m.len, len);
	EXPECT_EQ(0, memcmp(buf, m.blob, m.len));
	EXPECT_EQ(0xaa, buf[m.len]);
}

TEST_F(guest, save_data_efault)
{
	uint32_t len;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	len = m.len;
	test_err_dev_save(EFAULT, m.src, NULL, &len);
	len = m.len;
	test_err_dev_save(EFAULT, m.src, tk_unmapped_addr(), &len);
	len = m.len;
	test_err_dev_save(EFAULT, m.src, tk_ro_page(), &len);
}

/* SAVE has no results: the fields must be zero. */
TEST_F(guest, save_results_nonzero)
{
	struct vqnotify_migration mg;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	memset(&mg, 0, sizeof(mg));
	mg.size = sizeof(mg);
	mg.dev_id = m.src;
	mg.len = TK_BLOB_BUF;
	mg.data = (uintptr_t)m.blob;
	mg.results = (uintptr_t)m.blob;
	test_err_ioctl(EINVAL, VQNOTIFY_DEV_SAVE, &mg);
	mg.results = 0;
	mg.nr_results = 8;
	test_err_ioctl(EINVAL, VQNOTIFY_DEV_SAVE, &mg);
	mg.nr_results = 0;
	EXPECT_EQ(0, _test_ioctl(self->fd, VQNOTIFY_DEV_SAVE, &mg));
}

TEST_F(guest, load_data_efault)
{
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	mig_err_load(self->fd, &m, EFAULT, m.dst, NULL, m.len, NULL, NULL);
	mig_err_load(self->fd, &m, EFAULT, m.dst, tk_unmapped_addr(), m.len,
		     NULL, NULL);
	mig_check_loadable(_metadata, self->fd, &m);
}

/*
 * A blob is at most 4096 bytes: a longer @len is refused before anything
 * is read. The 4097 bytes given end one byte into an unmapped page, so a
 * LOAD that read them would fault (EFAULT) rather than refuse (EINVAL);
 * 64 KiB and ~0U are refused alike.
 */
TEST_F(guest, load_len_too_big)
{
	static uint8_t big[1 << 16];
	struct tk_mem mem;
	uint8_t *edge;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	ASSERT_EQ(0, tk_mem_init(&mem));
	edge = tk_mem_edge(&mem, 4096);
	memcpy(edge, m.blob, m.len);
	mig_err_load(self->fd, &m, EINVAL, m.dst, edge, 4097, NULL, NULL);
	memcpy(big, m.blob, m.len);
	mig_err_load(self->fd, &m, EINVAL, m.dst, big, sizeof(big), NULL, NULL);
	mig_err_load(self->fd, &m, EINVAL, m.dst, big, ~0U, NULL, NULL);
	mig_check_loadable(_metadata, self->fd, &m);
}

TEST_F(guest, load_results_short)
{
	struct vqnotify_vq_result res[8];
	uint32_t nr = 7;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	mig_err_load(self->fd, &m, EINVAL, m.dst, m.blob, m.len, res, &nr);
	mig_check_loadable(_metadata, self->fd, &m);
}

TEST_F(guest, load_results_efault)
{
	uint32_t nr = 8;
	struct mig m;

	mig_setup(_metadata, self->fd, &m);
	mig_err_load(self->fd, &m, EFAULT, m.dst, m.blob, m.len,
		     tk_unmapped_addr(), &nr);
	mig_err_load(self->fd, &m, EFAULT, m.dst, m.blob, m.len, tk_ro_page(),
		     &nr);
	mig_check_loadable(_metadata, self->fd, &m);
}

TEST_HARNESS_MAIN
