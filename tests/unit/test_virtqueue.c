/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests for virtio/virtqueue (device side) and virtio/vq_driver: rings built
 * in guest RAM by the driver, well-formed chains (direct, chained, indirect,
 * mixed), every malformed case, index wrap, the event-index rule against the
 * specification's formula, and a randomised driver/device round trip whose
 * guest RAM is compared byte for byte with a model.
 */
#include "test.h"

#include <sys/mman.h>

#include <ioas/phys.h>

#include "core/ctx.h"
#include "virtio/virtqueue.h"
#include "virtio/vq_driver.h"

#if defined(__linux__) && __has_include(<linux/virtio_ring.h>)
#include <linux/virtio_ring.h>
_Static_assert(VIRTQ_DESC_F_NEXT == VRING_DESC_F_NEXT, "NEXT");
_Static_assert(VIRTQ_DESC_F_WRITE == VRING_DESC_F_WRITE, "WRITE");
_Static_assert(VIRTQ_DESC_F_INDIRECT == VRING_DESC_F_INDIRECT, "INDIRECT");
_Static_assert(VIRTQ_AVAIL_F_NO_INTERRUPT == VRING_AVAIL_F_NO_INTERRUPT, "NI");
_Static_assert(VIRTQ_USED_F_NO_NOTIFY == VRING_USED_F_NO_NOTIFY, "NN");
_Static_assert(VIRTIO_F_INDIRECT_DESC == VIRTIO_RING_F_INDIRECT_DESC, "ID");
_Static_assert(VIRTIO_F_EVENT_IDX == VIRTIO_RING_F_EVENT_IDX, "EI");
_Static_assert(sizeof(struct vring_desc) == VIRTQ_DESC_SIZE, "desc");
_Static_assert(sizeof(struct vring_used_elem) == VIRTQ_USED_ELEM_SIZE, "ue");
#endif

/* ---- fixture ---------------------------------------------------------------- */

#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x80000ull            /* 512 KiB, borrowed: we can look */
#define RAM_LAST (RAM_BASE + RAM_SIZE - 1)
#define ROM_BASE 0x200000ull           /* read-only RAM */
#define ROM_SIZE 0x1000ull
#define TOP_BASE 0xfffffffffffff000ull /* RAM up to the top of the space */
#define HUGE_BASE 0x100000000000ull    /* 8 GiB borrowed, never touched */
#define HUGE_SIZE 0x200000000ull

#define RING_BASE RAM_BASE             /* rings first */
#define IND_BASE (RAM_BASE + 0x20000)  /* indirect tables */
#define DATA_BASE (RAM_BASE + 0x40000) /* buffers */
#define FEAT_IND (1ull << VIRTIO_F_INDIRECT_DESC)
#define FEAT_EVT (1ull << VIRTIO_F_EVENT_IDX)

struct fx {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	uint8_t *ram, *rom;
	struct vqd *d;
	struct vq *vq;
	unsigned notifies;
	uint32_t size;
};

static void on_notify(void *opaque, struct vq *vq)
{
	struct fx *f = opaque;

	(void)vq;
	f->notifies++;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + 7);
}

static void add_ram(struct fx *f, uint64_t base, uint64_t len, void *host,
		    uint32_t flags)
{
	struct ioas_phys_region r = {
		.size = sizeof(r), .flags = flags, .kind = IOAS_PHYS_RAM,
		.base = base, .length = len, .host = host,
	};

	CHECK_OK(ioas_phys_add(f->phys, &r));
}

static void fx_phys(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	CHECK_OK(ioas_ctx_create(NULL, &f->ctx));
	CHECK_OK(ioas_phys_create(f->ctx, &f->phys));
	f->ram = malloc(RAM_SIZE);
	f->rom = malloc(ROM_SIZE);
	CHECK(f->ram && f->rom);
	for (uint64_t i = 0; i < RAM_SIZE; i++)
		f->ram[i] = pattern(i);
	memset(f->rom, 0xa5, ROM_SIZE);
	add_ram(f, RAM_BASE, RAM_SIZE, f->ram, 0);
	add_ram(f, ROM_BASE, ROM_SIZE, f->rom, IOAS_PHYS_F_READONLY);
	add_ram(f, TOP_BASE, 0x1000, NULL, 0);
	/* Only its bounds are ever looked at (chains over 4 GiB). */
	add_ram(f, HUGE_BASE, HUGE_SIZE, f->ram, 0);
}

static void fx_queue(struct fx *f, uint32_t size, uint64_t features,
		     uint16_t start)
{
	struct vqd_config dc = {
		.size = size, .ring_base = RING_BASE, .features = features,
		.indirect_base = IND_BASE,
		.indirect_max = (features & FEAT_IND) ? 16 : 0,
		.start_idx = start,
	};
	struct vq_config qc;

	f->size = size;
	CHECK_OK(vqd_create(f->ctx, f->phys, &dc, &f->d));
	CHECK_OK(vq_create(f->ctx, f->phys, on_notify, f, &f->vq));
	vqd_vq_config(f->d, &qc);
	CHECK_OK(vq_setup(f->vq, &qc));
}

static void fx_init(struct fx *f, uint32_t size, uint64_t features,
		    uint16_t start)
{
	fx_phys(f);
	fx_queue(f, size, features, start);
}

static void fx_fini(struct fx *f)
{
	vq_destroy(f->vq);
	vqd_destroy(f->d);
	ioas_phys_destroy(f->phys);
	ioas_ctx_destroy(f->ctx);
	free(f->ram);
	free(f->rom);
}

static uint8_t *host(struct fx *f, uint64_t pa)
{
	CHECK(pa >= RAM_BASE && pa <= RAM_LAST);
	return f->ram + (pa - RAM_BASE);
}

/* Bytes of RAM outside the rings and indirect tables (below DATA_BASE)
 * that differ from the pattern, `keep` ranges ([start, last] pairs)
 * excluded. */
static uint64_t dirty_outside(struct fx *f, const uint64_t *keep, unsigned n)
{
	uint64_t bad = 0, ring_last = DATA_BASE - 1;

	for (uint64_t i = 0; i < RAM_SIZE; i++) {
		uint64_t pa = RAM_BASE + i;
		bool skip = pa <= ring_last;

		for (unsigned k = 0; k < n && !skip; k++)
			skip = pa >= keep[2 * k] && pa <= keep[2 * k + 1];
		if (!skip && f->ram[i] != pattern(i))
			bad++;
	}
	return bad;
}

static void stats(struct fx *f, struct vq_stats *s)
{
	vq_get_stats(f->vq, s);
}

/* Take the one used entry that must be there. */
static void expect_used(struct fx *f, uint32_t id, uint32_t len)
{
	uint32_t gid, glen;
	uint64_t tok;
	int r = vqd_get_used(f->d, &gid, &glen, &tok);

	CHECK(r == 1 || r == -EIO);
	CHECK_EQ(gid, id);
	CHECK_EQ(glen, len);
}

/* ---- setup ------------------------------------------------------------------ */

TEST(vq_setup_checks)
{
	struct fx f;
	struct vq_config c;
	struct vq_elem e;

	fx_phys(&f);
	CHECK_OK(vq_create(f.ctx, f.phys, NULL, NULL, &f.vq));
	CHECK_ERR(vq_pop(f.vq, &e), -ENODEV);
	CHECK_ERR(vq_push(f.vq, &e, 0), -ENODEV);
	memset(&c, 0, sizeof(c));
	c.desc = RAM_BASE;
	c.avail = RAM_BASE + 0x1000;
	c.used = RAM_BASE + 0x2000;
	for (uint32_t bad = 0; bad < 3; bad++) {
		c.size = bad == 0 ? 0 : bad == 1 ? 3 : 65536;
		CHECK_ERR(vq_setup(f.vq, &c), -EINVAL);
	}
	c.size = 32768;       /* largest: 512 KiB of descriptors don't fit */
	c.desc = RAM_BASE + 16;
	CHECK_ERR(vq_setup(f.vq, &c), -EFAULT);
	c.size = 16;
	c.desc = RAM_BASE + 8;
	CHECK_ERR(vq_setup(f.vq, &c), -EINVAL);
	c.desc = RAM_BASE;
	c.avail = RAM_BASE + 0x1001;
	CHECK_ERR(vq_setup(f.vq, &c), -EINVAL);
	c.avail = RAM_BASE + 0x1002;  /* 2-aligned is enough */
	c.used = RAM_BASE + 0x2002;
	CHECK_ERR(vq_setup(f.vq, &c), -EINVAL);
	c.used = 0x300000;            /* a hole */
	CHECK_ERR(vq_setup(f.vq, &c), -EFAULT);
	c.used = RAM_LAST - 8;        /* runs off the end of RAM */
	c.used &= ~3ull;
	CHECK_ERR(vq_setup(f.vq, &c), -EFAULT);
	c.used = ROM_BASE;            /* the device writes the used ring */
	CHECK_ERR(vq_setup(f.vq, &c), -EACCES);
	c.used = RAM_BASE + 0x2000;
	c.desc = ROM_BASE;            /* read-only descriptors are fine */
	c.avail = 0xfffffffffffffff0ull;
	CHECK_ERR(vq_setup(f.vq, &c), -EOVERFLOW);
	c.avail = RAM_BASE + 0x1002;
	CHECK_OK(vq_setup(f.vq, &c));
	CHECK(vq_ready(f.vq));
	CHECK_EQ(vq_size(f.vq), 16);
	CHECK_ERR(vq_setup(f.vq, &c), -EBUSY);
	/* The ring regions are pinned. */
	CHECK_ERR(ioas_phys_remove(f.phys, ROM_BASE), -EBUSY);
	CHECK_ERR(ioas_phys_remove(f.phys, RAM_BASE), -EBUSY);
	vq_reset(f.vq);
	CHECK(!vq_ready(f.vq));
	CHECK_OK(ioas_phys_remove(f.phys, ROM_BASE));
	add_ram(&f, ROM_BASE, ROM_SIZE, f.rom, IOAS_PHYS_F_READONLY);
	/* Queue size 1 and 32768 (in the huge region: never touched as
	 * nothing is popped). */
	c.size = 1;
	c.desc = RAM_BASE;
	c.avail = RAM_BASE + 0x1000;
	c.used = RAM_BASE + 0x2000;
	CHECK_OK(vq_setup(f.vq, &c));
	vq_reset(f.vq);
	c.size = 32768;
	c.desc = HUGE_BASE;
	c.avail = HUGE_BASE + 0x100000;
	c.used = HUGE_BASE + 0x200000;
	CHECK_OK(vq_setup(f.vq, &c));
	vq_reset(f.vq);
	fx_fini(&f);
}

TEST(vq_fail_nth)
{
	for (uint64_t n = 1;; n++) {
		struct fx f;
		struct vqd_config dc = { .size = 8, .ring_base = RING_BASE };
		struct vqd *d = NULL;
		struct vq *vq = NULL;
		int r1, r2;

		fx_phys(&f);
		ioas_ctx_fail_nth(f.ctx, n);
		r1 = vqd_create(f.ctx, f.phys, &dc, &d);
		r2 = vq_create(f.ctx, f.phys, NULL, NULL, &vq);
		CHECK(r1 == 0 || r1 == -ENOMEM);
		CHECK(r2 == 0 || r2 == -ENOMEM);
		CHECK((r1 == 0) == (d != NULL));
		CHECK((r2 == 0) == (vq != NULL));
		bool fired = ioas_ctx_fail_nth_fired(f.ctx);
		ioas_ctx_fail_nth(f.ctx, 0);
		vq_destroy(vq);
		vqd_destroy(d);
		{
			struct ioas_ctx_stats st;

			ioas_ctx_get_stats(f.ctx, &st);
			CHECK_EQ(st.live_bytes > 0, 1); /* phys still alive */
		}
		fx_fini(&f);
		if (!fired)
			break;
		CHECK(n < 100);
	}
}

/* ---- well-formed chains ----------------------------------------------------- */

TEST(vq_simple_chain)
{
	struct fx f;
	struct vq_elem e;
	struct vqd_buf b[2] = { { DATA_BASE, 24 }, { DATA_BASE + 0x100, 16 } };
	uint8_t req[24], out[32], reply[40];
	uint64_t keep[4] = { DATA_BASE + 0x100, DATA_BASE + 0x10f,
			     DATA_BASE, DATA_BASE + 23 };

	fx_init(&f, 16, 0, 0);
	for (unsigned i = 0; i < sizeof(req); i++)
		req[i] = (uint8_t)(0x40 + i);
	CHECK_OK(ioas_phys_write(f.phys, DATA_BASE, req, sizeof(req)));
	CHECK_EQ(vqd_add(f.d, b, 1, 1, false, 77), 0);
	CHECK_ERR(vq_pop(f.vq, &e), 0); /* not published yet */
	CHECK(vqd_kick(f.d));
	CHECK_ERR(vq_pop(f.vq, &e), 1);
	CHECK_EQ(e.head, 0);
	CHECK_EQ(e.nr_read, 1);
	CHECK_EQ(e.nr_write, 1);
	CHECK_EQ(e.read_len, 24);
	CHECK_EQ(e.write_len, 16);
	CHECK_EQ(e.seg[0].addr, DATA_BASE);
	CHECK_EQ(e.seg[1].addr, DATA_BASE + 0x100);
	CHECK_EQ(vq_elem_read(f.vq, &e, 0, out, sizeof(out)), 24);
	CHECK(!memcmp(out, req, 24));
	CHECK_EQ(vq_elem_read(f.vq, &e, 20, out, sizeof(out)), 4);
	CHECK_EQ(out[0], 0x40 + 20);
	CHECK_EQ(vq_elem_read(f.vq, &e, 24, out, sizeof(out)), 0);
	CHECK_EQ(vq_elem_read(f.vq, &e, ~0ull, out, sizeof(out)), 0);
	memset(reply, 0xee, sizeof(reply));
	/* Bounded: 40 bytes offered, 16 writable. */
	CHECK_EQ(vq_elem_write(f.vq, &e, 0, reply, sizeof(reply)), 16);
	CHECK_EQ(e.written, 16);
	CHECK_EQ(dirty_outside(&f, keep, 2), 0);
	CHECK_EQ(*host(&f, DATA_BASE + 0x10f), 0xee);
	CHECK_EQ(*host(&f, DATA_BASE + 0x110),
		 pattern(DATA_BASE + 0x110 - RAM_BASE));
	CHECK_OK(vq_push(f.vq, &e, 1000)); /* clamped to what was written */
	CHECK_ERR(vq_pop(f.vq, &e), 0);
	CHECK_EQ(vq_flush(f.vq), 1);
	CHECK_EQ(f.notifies, 1);
	CHECK_EQ(vq_flush(f.vq), 0);   /* nothing new */
	{
		uint32_t id, len;
		uint64_t tok;

		CHECK_EQ(vqd_get_used(f.d, &id, &len, &tok), 1);
		CHECK_EQ(id, 0);
		CHECK_EQ(len, 16);
		CHECK_EQ(tok, 77);
		CHECK_EQ(vqd_get_used(f.d, &id, &len, &tok), 0);
	}
	CHECK_EQ(vqd_num_free(f.d), 16);
	fx_fini(&f);
}

TEST(vq_chained_segments)
{
	struct fx f;
	struct vq_elem e;
	/* three readable pieces, three writable pieces, not contiguous */
	struct vqd_buf b[6] = {
		{ DATA_BASE + 0x000, 5 }, { DATA_BASE + 0x010, 7 },
		{ DATA_BASE + 0x030, 3 }, { DATA_BASE + 0x100, 4 },
		{ DATA_BASE + 0x110, 6 }, { DATA_BASE + 0x120, 2 },
	};
	uint64_t keep[6] = { DATA_BASE + 0x100, DATA_BASE + 0x103,
			     DATA_BASE + 0x110, DATA_BASE + 0x115,
			     DATA_BASE + 0x120, DATA_BASE + 0x121 };
	uint8_t buf[64], w[64];

	fx_init(&f, 8, 0, 0);
	CHECK_EQ(vqd_add(f.d, b, 3, 3, false, 1), 0);
	vqd_kick(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), 1);
	CHECK_EQ(e.nr_read, 3);
	CHECK_EQ(e.nr_write, 3);
	CHECK_EQ(e.ndesc, 6);
	CHECK_EQ(e.read_len, 15);
	CHECK_EQ(e.write_len, 12);
	/* read across segment boundaries from an offset */
	CHECK_EQ(vq_elem_read(f.vq, &e, 3, buf, 6), 6);
	CHECK_EQ(buf[0], *host(&f, DATA_BASE + 3));
	CHECK_EQ(buf[2], *host(&f, DATA_BASE + 0x10));
	CHECK_EQ(buf[5], *host(&f, DATA_BASE + 0x13));
	/* shorter than the first segment, yet past its end from the offset */
	CHECK_EQ(vq_elem_read(f.vq, &e, 3, buf, 4), 4);
	CHECK_EQ(buf[1], *host(&f, DATA_BASE + 4));
	CHECK_EQ(buf[2], *host(&f, DATA_BASE + 0x10));
	for (unsigned i = 0; i < sizeof(w); i++)
		w[i] = (uint8_t)(0xc0 + i);
	CHECK_EQ(vq_elem_write(f.vq, &e, 2, w, 3), 3);
	CHECK_EQ(*host(&f, DATA_BASE + 0x103), 0xc1);
	CHECK_EQ(*host(&f, DATA_BASE + 0x110), 0xc2);
	CHECK_EQ(dirty_outside(&f, keep, 3), 0);
	/* a write at an offset past `written` does not count as written */
	CHECK_EQ(vq_elem_write(f.vq, &e, 6, w, 3), 3);
	CHECK_EQ(e.written, 0);
	CHECK_EQ(*host(&f, DATA_BASE + 0x112), 0xc0);
	CHECK_EQ(vq_elem_write(f.vq, &e, 0, w, 64), 12);
	CHECK_EQ(e.written, 12);
	CHECK_EQ(*host(&f, DATA_BASE + 0x103), 0xc3);
	CHECK_EQ(*host(&f, DATA_BASE + 0x110), 0xc4);
	CHECK_EQ(*host(&f, DATA_BASE + 0x121), 0xcb);
	CHECK_EQ(dirty_outside(&f, keep, 3), 0);
	CHECK_EQ(vq_elem_write(f.vq, &e, 12, w, 64), 0);
	CHECK_OK(vq_push(f.vq, &e, 9));
	expect_used(&f, 0, 9);
	fx_fini(&f);
}

/* Buffers across two RAM regions adjacent in guest-physical space but
 * not in host memory: one buffer over the edge, and two descriptors that
 * merge into one segment over it, read and written byte-exactly. */
TEST(vq_buffers_across_regions)
{
	struct fx f;
	struct vq_elem e;
	uint8_t *next = malloc(0x1000), buf[16], w[16];
	struct vqd_buf b[4] = {
		{ RAM_LAST - 7, 16 },                   /* over the edge */
		{ RAM_LAST - 3, 4 }, { RAM_LAST + 1, 4 }, /* merge over it */
		{ RAM_LAST + 5, 4 },                    /* and on past it */
	};

	CHECK(next);
	for (unsigned i = 0; i < 0x1000; i++)
		next[i] = (uint8_t)(0x40 + i);
	fx_init(&f, 8, 0, 0);
	add_ram(&f, RAM_LAST + 1, 0x1000, next, 0);
	CHECK(vqd_add(f.d, b, 1, 3, false, 1) >= 0);
	vqd_kick(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), 1);
	CHECK_EQ(e.nr_read, 1);
	CHECK_EQ(e.nr_write, 1);
	CHECK_EQ(e.seg[1].len, 12);
	CHECK_EQ(vq_elem_read(f.vq, &e, 0, buf, sizeof(buf)), 16);
	for (unsigned i = 0; i < 8; i++) {
		CHECK_EQ(buf[i], f.ram[RAM_SIZE - 8 + i]);
		CHECK_EQ(buf[8 + i], next[i]);
	}
	for (unsigned i = 0; i < sizeof(w); i++)
		w[i] = (uint8_t)(0xd0 + i);
	CHECK_EQ(vq_elem_write(f.vq, &e, 0, w, sizeof(w)), 12);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(f.ram[RAM_SIZE - 4 + i], 0xd0 + i);
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(next[i], 0xd4 + i);
	CHECK_EQ(next[8], 0x48);
	CHECK_OK(vq_push(f.vq, &e, 12));
	fx_fini(&f);
	free(next);
}

/* Buffers in the descriptor table's own region, which the device looks
 * at first: here read-only RAM, so a readable buffer there is served from
 * it, a writable one is refused, and one running off its end is refused
 * too (a hole follows). The rings are written by hand: the test driver
 * cannot write ROM. */
TEST(vq_buffers_in_the_descriptor_tables_region)
{
	struct fx f;
	struct vq_elem e;
	struct vq_stats s;
	struct vq_config c = { .size = 4, .desc = ROM_BASE,
			       .avail = RAM_BASE + 0x1000,
			       .used = RAM_BASE + 0x2000 };
	uint8_t *avail, buf[8];

	fx_phys(&f);
	avail = f.ram + 0x1000;
	CHECK_OK(vq_create(f.ctx, f.phys, on_notify, &f, &f.vq));
	/* desc 0: readable in ROM; 1: writable in ROM; 2: off ROM's end */
	memset(f.rom, 0, 3 * VIRTQ_DESC_SIZE);
	vq_st64(f.rom, ROM_BASE + 0x100);
	vq_st32(f.rom + 8, 8);
	vq_st64(f.rom + 16, ROM_BASE + 0x100);
	vq_st32(f.rom + 24, 8);
	vq_st16(f.rom + 28, VIRTQ_DESC_F_WRITE);
	vq_st64(f.rom + 32, ROM_BASE + ROM_SIZE - 4);
	vq_st32(f.rom + 40, 8);
	for (uint16_t i = 0; i < 3; i++)
		vq_st16(avail + 4 + 2 * i, i);
	vq_st16(avail + 2, 3);
	CHECK_OK(vq_setup(f.vq, &c));
	CHECK_ERR(vq_pop(f.vq, &e), 1);
	CHECK_EQ(e.head, 0);
	CHECK(e.seg[0].host == f.rom + 0x100);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(vq_elem_read(f.vq, &e, 0, buf, sizeof(buf)), 8);
	for (unsigned i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xa5);
	CHECK_OK(vq_push(f.vq, &e, 0));
	CHECK_ERR(vq_pop(f.vq, &e), 0);
	vq_get_stats(f.vq, &s);
	CHECK_EQ(s.err_addr, 2);
	CHECK_EQ(s.pushed, 3);
	fx_fini(&f);
}

TEST(vq_contiguous_merge)
{
	struct fx f;
	struct vq_elem e;
	struct vqd_buf b[4] = {
		{ DATA_BASE, 8 }, { DATA_BASE + 8, 8 },
		{ DATA_BASE + 16, 8 }, { DATA_BASE + 24, 8 },
	};
	struct vqd_buf top[2] = { { TOP_BASE + 0xff0, 0x10 }, { 0, 0x10 } };

	fx_init(&f, 8, 0, 0);
	/* two readable + two writable, all adjacent: one segment each way */
	CHECK(vqd_add(f.d, b, 2, 2, false, 1) >= 0);
	vqd_kick(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), 1);
	CHECK_EQ(e.nr_read, 1);
	CHECK_EQ(e.nr_write, 1);
	CHECK_EQ(e.seg[0].len, 16);
	CHECK_EQ(e.seg[1].addr, DATA_BASE + 16);
	CHECK_EQ(e.seg[1].len, 16);
	CHECK_OK(vq_push(f.vq, &e, 0));
	expect_used(&f, e.head, 0);
	/* a buffer ending at the top of the space is valid and is not merged
	 * with one at address 0 (which is not RAM: rejected) */
	int h = vqd_add(f.d, top, 2, 0, false, 2);
	CHECK(h >= 0);
	vqd_kick(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), 0);
	{
		struct vq_stats s;

		stats(&f, &s);
		CHECK_EQ(s.err_addr, 1);
	}
	expect_used(&f, (uint32_t)h, 0);
	top[1].len = 0;   /* zero-length descriptors carry nothing */
	CHECK(vqd_add(f.d, top, 2, 0, false, 3) >= 0);
	vqd_kick(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), 1);
	CHECK_EQ(e.nr_read, 1);
	CHECK_EQ(e.read_len, 0x10);
	CHECK_EQ(e.ndesc, 2);
	fx_fini(&f);
}

TEST(vq_indirect_and_mixed)
{
	struct fx f;
	struct vq_elem e;
	struct vqd_buf b[5] = {
		{ DATA_BASE, 10 }, { DATA_BASE + 0x40, 10 },
		{ DATA_BASE + 0x100, 8 }, { DATA_BASE + 0x140, 8 },
		{ DATA_BASE + 0x180, 8 },
	};
	uint8_t w[32];
	uint64_t keep[6] = { DATA_BASE + 0x100, DATA_BASE + 0x107,
			     DATA_BASE + 0x140, DATA_BASE + 0x147,
			     DATA_BASE + 0x180, DATA_BASE + 0x187 };
	uint64_t tbl = IND_BASE + 0x8000;

	fx_init(&f, 8, FEAT_IND, 0);
	int head = vqd_add(f.d, b, 2, 3, true, 5);
	CHECK(head >= 0);
	CHECK_EQ(vqd_num_free(f.d), 7);
	vqd_kick(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), 1);
	CHECK_EQ(e.head, head);
	CHECK_EQ(e.nr_read, 2);
	CHECK_EQ(e.nr_write, 3);
	CHECK_EQ(e.ndesc, 6);
	memset(w, 0x5a, sizeof(w));
	CHECK_EQ(vq_elem_write(f.vq, &e, 0, w, sizeof(w)), 24);
	CHECK_EQ(dirty_outside(&f, keep, 3), 0);
	CHECK_OK(vq_push(f.vq, &e, 24));
	expect_used(&f, (uint32_t)head, 24);
	CHECK_EQ(vqd_num_free(f.d), 8);

	/* Mixed (valid per the spec): two direct descriptors, then one
	 * INDIRECT (its WRITE flag must be ignored) holding a readable and a
	 * writable buffer. Chain: 3 -> 5 -> 6(indirect). */
	CHECK_OK(vqd_write_desc(f.d, 3, DATA_BASE, 4, VIRTQ_DESC_F_NEXT, 5));
	CHECK_OK(vqd_write_desc(f.d, 5, DATA_BASE + 0x40, 4,
				VIRTQ_DESC_F_NEXT, 6));
	CHECK_OK(vqd_write_desc(f.d, 6, tbl, 32,
				VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0));
	CHECK_OK(vqd_write_desc_at(f.d, tbl, DATA_BASE + 0x80, 4,
				   VIRTQ_DESC_F_NEXT, 1));
	CHECK_OK(vqd_write_desc_at(f.d, tbl + 16, DATA_BASE + 0x100, 8,
				   VIRTQ_DESC_F_WRITE, 0));
	CHECK_OK(vqd_post_raw(f.d, 3, 9));
	vqd_kick(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), 1);
	CHECK_EQ(e.head, 3);
	CHECK_EQ(e.nr_read, 3);
	CHECK_EQ(e.nr_write, 1);
	CHECK_EQ(e.read_len, 12);
	CHECK_EQ(e.write_len, 8);
	CHECK_EQ(e.ndesc, 5);
	CHECK_OK(vq_push(f.vq, &e, 0));
	expect_used(&f, 3, 0);
	{
		struct vq_stats s;

		stats(&f, &s);
		CHECK_EQ(s.popped, 2);
		CHECK_EQ(s.pushed, 2);
		CHECK_EQ(s.err_indirect + s.err_index + s.err_chain +
				 s.err_addr + s.err_wrap + s.err_order,
			 0);
	}
	fx_fini(&f);
}

/* ---- malformed chains ----------------------------------------------------------- */

/* Post one raw chain at `head`, pop, expect it returned with length 0 and
 * the counter `which` (offset in struct vq_stats) raised by one; no byte
 * outside the ring and tables changed; then a good chain still works. */
static void expect_reject(struct fx *f, uint16_t head, size_t which,
			  const char *what)
{
	struct vq_stats s0, s1;
	struct vq_elem e;
	struct vqd_buf good = { DATA_BASE + 0x3000, 8 };
	uint64_t keep[2] = { 0, 0 };
	uint64_t c0, c1;
	int r;

	test_note("reject case: %s", what);
	stats(f, &s0);
	CHECK_OK(vqd_post_raw(f->d, head, 0));
	vqd_kick(f->d);
	CHECK_ERR(vq_pop(f->vq, &e), 0);
	stats(f, &s1);
	memcpy(&c0, (const uint8_t *)&s0 + which, 8);
	memcpy(&c1, (const uint8_t *)&s1 + which, 8);
	CHECK_EQ(c1, c0 + 1);
	CHECK_EQ(s1.pushed, s0.pushed + 1);
	CHECK_EQ(s1.popped, s0.popped);
	expect_used(f, head, 0);
	CHECK_EQ(dirty_outside(f, keep, 1), 0);
	CHECK(!vq_broken(f->vq));
	/* the queue goes on */
	r = vqd_add(f->d, &good, 0, 1, false, 1);
	CHECK(r >= 0);
	vqd_kick(f->d);
	CHECK_ERR(vq_pop(f->vq, &e), 1);
	CHECK_EQ(e.head, r);
	CHECK_OK(vq_push(f->vq, &e, 0));
	expect_used(f, (uint32_t)r, 0);
}

#define ST(field) offsetof(struct vq_stats, field)

TEST(vq_malformed_chains)
{
	struct fx f;
	uint64_t t = IND_BASE + 0x8000;    /* a scratch indirect table */
	const uint16_t N = VIRTQ_DESC_F_NEXT, W = VIRTQ_DESC_F_WRITE,
		       I = VIRTQ_DESC_F_INDIRECT;

	fx_init(&f, 8, FEAT_IND, 0);
	/* Descriptors 8.. don't exist; raw chains use 4..7, good ones
	 * come from the free list (0..7 too, but each raw chain is written
	 * right before it is used). */
	expect_reject(&f, 8, ST(err_index), "head >= size");
	expect_reject(&f, 0xffff, ST(err_index), "head 0xffff");

	vqd_write_desc(f.d, 4, DATA_BASE, 8, N, 9);
	expect_reject(&f, 4, ST(err_index), "next >= size");

	vqd_write_desc(f.d, 4, DATA_BASE, 8, N, 5);
	vqd_write_desc(f.d, 5, DATA_BASE, 8, N, 4);
	expect_reject(&f, 4, ST(err_chain), "loop of two");
	vqd_write_desc(f.d, 4, DATA_BASE, 8, N, 4);
	expect_reject(&f, 4, ST(err_chain), "self loop");
	/* a chain visiting every descriptor and then one more */
	for (uint16_t i = 0; i < 8; i++)
		vqd_write_desc(f.d, i, DATA_BASE + 16 * i, 8, N,
			       (uint16_t)((i + 1) % 8));
	expect_reject(&f, 0, ST(err_chain), "longer than queue size");

	vqd_write_desc(f.d, 4, 0x300000, 8, 0, 0);
	expect_reject(&f, 4, ST(err_addr), "buffer in a hole");
	vqd_write_desc(f.d, 4, RAM_LAST - 3, 8, 0, 0);
	expect_reject(&f, 4, ST(err_addr), "buffer running off RAM");
	vqd_write_desc(f.d, 4, ROM_BASE, 8, W, 0);
	expect_reject(&f, 4, ST(err_addr), "writable buffer in ROM");
	vqd_write_desc(f.d, 4, 0xfffffffffffffff0ull, 0x20, 0, 0);
	expect_reject(&f, 4, ST(err_wrap), "addr + len wraps");
	vqd_write_desc(f.d, 4, 0xffffffffffffffffull, 2, W, 0);
	expect_reject(&f, 4, ST(err_wrap), "addr + len wraps by one");

	vqd_write_desc(f.d, 4, DATA_BASE, 8, W | N, 5);
	vqd_write_desc(f.d, 5, DATA_BASE + 0x100, 8, 0, 0);
	expect_reject(&f, 4, ST(err_order), "readable after writable");
	vqd_write_desc(f.d, 4, DATA_BASE, 0, W | N, 5);
	expect_reject(&f, 4, ST(err_order), "readable after empty writable");

	/* indirect tables */
	vqd_write_desc_at(f.d, t, DATA_BASE, 8, 0, 0);
	vqd_write_desc(f.d, 4, t, 16, I | N, 5);
	vqd_write_desc(f.d, 5, DATA_BASE, 8, 0, 0);
	expect_reject(&f, 4, ST(err_indirect), "INDIRECT with NEXT");
	vqd_write_desc(f.d, 4, t, 0, I, 0);
	expect_reject(&f, 4, ST(err_indirect), "empty table");
	vqd_write_desc(f.d, 4, t, 15, I, 0);
	expect_reject(&f, 4, ST(err_indirect), "table length 15");
	vqd_write_desc(f.d, 4, t, 17, I, 0);
	expect_reject(&f, 4, ST(err_indirect), "table length 17");
	vqd_write_desc(f.d, 4, HUGE_BASE, (VQ_MAX_SIZE + 1) * 16, I, 0);
	expect_reject(&f, 4, ST(err_indirect), "table over 32768 entries");
	vqd_write_desc(f.d, 4, 0x300000, 32, I, 0);
	expect_reject(&f, 4, ST(err_addr), "table in a hole");
	vqd_write_desc(f.d, 4, 0xfffffffffffffff0ull, 32, I, 0);
	expect_reject(&f, 4, ST(err_wrap), "table wraps");
	vqd_write_desc_at(f.d, t, t + 32, 16, I, 0);
	vqd_write_desc(f.d, 4, t, 16, I, 0);
	expect_reject(&f, 4, ST(err_indirect), "nested indirect");
	vqd_write_desc_at(f.d, t, DATA_BASE, 8, N, 1);
	vqd_write_desc_at(f.d, t + 16, DATA_BASE, 8, N, 0);
	vqd_write_desc(f.d, 4, t, 32, I, 0);
	expect_reject(&f, 4, ST(err_chain), "loop inside a table");
	vqd_write_desc_at(f.d, t, DATA_BASE, 8, N, 2);
	vqd_write_desc(f.d, 4, t, 32, I, 0);
	expect_reject(&f, 4, ST(err_index), "next past the table");
	vqd_write_desc_at(f.d, t, DATA_BASE, 8, W | N, 1);
	vqd_write_desc_at(f.d, t + 16, DATA_BASE + 0x100, 8, 0, 0);
	vqd_write_desc(f.d, 4, t, 32, I, 0);
	expect_reject(&f, 4, ST(err_order), "order inside a table");
	/* a readable direct descriptor after a writable one, then indirect
	 * holding readable data */
	vqd_write_desc_at(f.d, t, DATA_BASE, 8, 0, 0);
	vqd_write_desc(f.d, 4, DATA_BASE + 0x100, 8, W | N, 5);
	vqd_write_desc(f.d, 5, t, 16, I, 0);
	expect_reject(&f, 4, ST(err_order), "writable then indirect readable");

	/* more segments than an element holds: 65 separate pieces */
	for (uint16_t i = 0; i < 65; i++)
		vqd_write_desc_at(f.d, t + 16 * (uint64_t)i,
				  DATA_BASE + 32 * (uint64_t)i, 8,
				  (uint16_t)(i < 64 ? N : 0), (uint16_t)(i + 1));
	vqd_write_desc(f.d, 4, t, 65 * 16, I, 0);
	expect_reject(&f, 4, ST(err_segs), "65 segments");
	/* 64 pieces are fine */
	vqd_write_desc_at(f.d, t + 16 * 63, DATA_BASE + 32 * 63, 8, 0, 0);
	vqd_write_desc(f.d, 4, t, 64 * 16, I, 0);
	{
		struct vq_elem e;

		CHECK_OK(vqd_post_raw(f.d, 4, 0));
		vqd_kick(f.d);
		CHECK_ERR(vq_pop(f.vq, &e), 1);
		CHECK_EQ(e.nr_read, 64);
		CHECK_OK(vq_push(f.vq, &e, 0));
		expect_used(&f, 4, 0);
	}
	/* more than 2^32 bytes in a chain (in memory never touched) */
	vqd_write_desc(f.d, 4, HUGE_BASE, 0x80000000u, N, 5);
	vqd_write_desc(f.d, 5, HUGE_BASE + 0x100000000ull, 0x80000001u, W, 0);
	expect_reject(&f, 4, ST(err_len), "over 2^32 bytes");
	vqd_write_desc(f.d, 5, HUGE_BASE + 0x100000000ull, 0x80000000u, W, 0);
	{
		struct vq_elem e;

		CHECK_OK(vqd_post_raw(f.d, 4, 0));
		vqd_kick(f.d);
		CHECK_ERR(vq_pop(f.vq, &e), 1);  /* exactly 2^32 is allowed */
		CHECK_EQ(e.read_len + e.write_len, 1ull << 32);
		CHECK_OK(vq_push(f.vq, &e, 0));
		expect_used(&f, 4, 0);
	}
	fx_fini(&f);

	/* INDIRECT without VIRTIO_F_INDIRECT_DESC */
	fx_init(&f, 8, 0, 0);
	vqd_write_desc_at(f.d, t, DATA_BASE, 8, 0, 0);
	vqd_write_desc(f.d, 4, t, 16, I, 0);
	expect_reject(&f, 4, ST(err_indirect), "indirect not negotiated");
	fx_fini(&f);
}

TEST(vq_many_rejects_bounded)
{
	/* A full ring of bad chains: one pop call returns them all, then 0. */
	struct fx f;
	struct vq_elem e;
	struct vq_stats s;

	fx_init(&f, 16, 0, 0);
	for (unsigned i = 0; i < 16; i++)
		vqd_post_raw(f.d, 0x8000, 0);
	vqd_kick(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), 0);
	stats(&f, &s);
	CHECK_EQ(s.err_index, 16);
	CHECK_EQ(vqd_used_idx(f.d), 16);
	CHECK_ERR(vq_pop(f.vq, &e), 0);
	fx_fini(&f);
}

TEST(vq_avail_idx_jump)
{
	struct fx f;
	struct vq_elem e;
	struct vq_stats s;
	struct vq_config c;
	struct vqd_buf b = { DATA_BASE, 8 };

	fx_init(&f, 8, 0, 0xfffe);
	/* exactly `size` ahead is a full ring: fine */
	for (unsigned i = 0; i < 8; i++)
		CHECK(vqd_add(f.d, &b, 1, 0, false, i) >= 0);
	vqd_kick(f.d);
	for (unsigned i = 0; i < 8; i++) {
		CHECK_ERR(vq_pop(f.vq, &e), 1);
		CHECK_OK(vq_push(f.vq, &e, 0));
	}
	CHECK_ERR(vq_pop(f.vq, &e), 0);
	CHECK_EQ(vq_last_avail(f.vq), 6);
	/* size + 1 ahead: broken, and nothing is written */
	CHECK_OK(vqd_set_avail_idx(f.d, (uint16_t)(6 + 9)));
	uint16_t used_before = vqd_used_idx(f.d);
	CHECK_ERR(vq_pop(f.vq, &e), -EIO);
	CHECK(vq_broken(f.vq));
	CHECK_ERR(vq_pop(f.vq, &e), -EIO);
	CHECK_ERR(vq_push(f.vq, &e, 0), -EIO);
	CHECK(!vq_need_notify(f.vq));
	CHECK_ERR(vq_set_kick_enabled(f.vq, false), -EIO);
	CHECK_EQ(vqd_used_idx(f.d), used_before);
	stats(&f, &s);
	CHECK_EQ(s.broken, 1);
	/* going backwards (idx - last = 0xffff) is as broken */
	vq_reset(f.vq);
	vqd_vq_config(f.d, &c);
	c.avail_base = 6;
	c.used_base = 6;
	CHECK_OK(vq_setup(f.vq, &c));
	CHECK_OK(vqd_set_avail_idx(f.d, 5));
	CHECK_ERR(vq_pop(f.vq, &e), -EIO);
	/* reset and set up again: works */
	vq_reset(f.vq);
	CHECK_OK(vq_setup(f.vq, &c));
	CHECK_OK(vqd_set_avail_idx(f.d, 6));
	CHECK_ERR(vq_pop(f.vq, &e), 0);
	CHECK(!vq_broken(f.vq));
	CHECK_EQ(dirty_outside(&f, NULL, 0), 0);
	fx_fini(&f);
}

TEST(vq_index_wrap)
{
	struct fx f;
	struct vq_elem e;

	fx_init(&f, 4, FEAT_IND, 65533);
	for (unsigned round = 0; round < 40; round++) {
		struct vqd_buf b[2] = { { DATA_BASE + 64 * round, 4 },
					{ DATA_BASE + 0x4000 + 64 * round, 4 } };
		uint32_t id, len;
		uint64_t tok;
		int h = vqd_add(f.d, b, 1, 1, round & 1, round);

		CHECK(h >= 0);
		vqd_kick(f.d);
		CHECK_ERR(vq_pop(f.vq, &e), 1);
		CHECK_EQ(e.head, h);
		CHECK_EQ(vq_elem_write(f.vq, &e, 0, &round, 4), 4);
		CHECK_OK(vq_push(f.vq, &e, 4));
		CHECK_EQ(vqd_get_used(f.d, &id, &len, &tok), 1);
		CHECK_EQ(tok, round);
		CHECK_EQ(len, 4);
	}
	CHECK_EQ(vq_last_avail(f.vq), (uint16_t)(65533 + 40));
	CHECK_EQ(vq_used_idx(f.vq), (uint16_t)(65533 + 40));
	fx_fini(&f);
}

/* ---- notifications ------------------------------------------------------------ */

/* The specification's formula, as written in its virtio_queue.h listing. */
static bool spec_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

TEST(vq_need_event_formula)
{
	static const uint16_t edge[] = { 0, 1, 2, 3, 0x7fff, 0x8000, 0x8001,
					 65532, 65533, 65534, 65535 };
	const unsigned ne = sizeof(edge) / sizeof(edge[0]);
	struct test_rng r;

	for (unsigned a = 0; a < ne; a++)
		for (unsigned b = 0; b < ne; b++)
			for (unsigned c = 0; c < ne; c++)
				CHECK_EQ(vq_need_event(edge[a], edge[b], edge[c]),
					 spec_need_event(edge[a], edge[b],
							 edge[c]));
	/* every event for old = 65530, new = old + 0..12 (wrapping) */
	for (unsigned n = 0; n <= 12; n++)
		for (uint32_t ev = 0; ev < 65536; ev++) {
			uint16_t old = 65530, nw = (uint16_t)(old + n);
			bool in = (uint16_t)(ev - old) < n;

			CHECK_EQ(vq_need_event((uint16_t)ev, nw, old), in);
			CHECK_EQ(spec_need_event((uint16_t)ev, nw, old), in);
		}
	test_rng_seed(&r, test_seed());
	test_set_seed(test_seed());
	for (unsigned i = 0; i < 200000; i++) {
		uint16_t e = (uint16_t)test_rng_next(&r),
			 n = (uint16_t)test_rng_next(&r),
			 o = (uint16_t)test_rng_next(&r);

		CHECK_EQ(vq_need_event(e, n, o), spec_need_event(e, n, o));
	}
}

/* Push k chains and flush; returns whether the device notified. */
static bool push_k(struct fx *f, unsigned k)
{
	struct vq_elem e;
	struct vqd_buf b = { DATA_BASE, 4 };
	unsigned before = f->notifies;
	uint32_t id, len;

	for (unsigned i = 0; i < k; i++)
		CHECK(vqd_add(f->d, &b, 1, 0, false, 0) >= 0);
	vqd_kick(f->d);
	for (unsigned i = 0; i < k; i++) {
		CHECK_ERR(vq_pop(f->vq, &e), 1);
		CHECK_OK(vq_push(f->vq, &e, 0));
	}
	vq_flush(f->vq);
	for (unsigned i = 0; i < k; i++)
		CHECK_EQ(vqd_get_used(f->d, &id, &len, NULL), 1);
	return f->notifies != before;
}

TEST(vq_event_idx_notify)
{
	struct fx f;
	struct test_rng r;

	/* Start so that the used index wraps during the test. */
	fx_init(&f, 8, FEAT_EVT, 65520);
	test_rng_seed(&r, test_seed() ^ 1);
	test_set_seed(test_seed() ^ 1);
	for (unsigned round = 0; round < 400; round++) {
		uint16_t old = vq_used_idx(f.vq);
		unsigned k = 1 + (unsigned)test_rng_below(&r, 8);
		uint16_t ev = (uint16_t)(old + test_rng_below(&r, 12) - 2);

		/* the lower bit of flags must be ignored with EVENT_IDX */
		vqd_set_avail_flags(f.d, (uint16_t)(round & 1));
		vqd_set_used_event(f.d, ev);
		CHECK_EQ(push_k(&f, k),
			 spec_need_event(ev, (uint16_t)(old + k), old));
		/* the device asks to be kicked for the next entry */
		CHECK_EQ(vqd_avail_event(f.d), vq_last_avail(f.vq));
		CHECK_EQ(vqd_used_flags(f.d), 0);
	}
	CHECK(vq_used_idx(f.vq) < 65520);  /* it wrapped */
	/* the driver's kick decision follows avail_event */
	{
		struct vqd_buf b = { DATA_BASE, 4 };
		struct vq_elem e;

		CHECK(vqd_add(f.d, &b, 1, 0, false, 0) >= 0);
		CHECK(vqd_kick(f.d));        /* avail_event == old idx */
		CHECK(vqd_add(f.d, &b, 1, 0, false, 0) >= 0);
		CHECK(!vqd_kick(f.d));       /* device has not caught up */
		CHECK_ERR(vq_pop(f.vq, &e), 1);
		CHECK_OK(vq_push(f.vq, &e, 0));
		CHECK_ERR(vq_pop(f.vq, &e), 1);
		CHECK_OK(vq_push(f.vq, &e, 0));
		CHECK_ERR(vq_pop(f.vq, &e), 0);
		CHECK(vqd_add(f.d, &b, 1, 0, false, 0) >= 0);
		CHECK(vqd_kick(f.d));
	}
	fx_fini(&f);
}

TEST(vq_no_interrupt_flag)
{
	struct fx f;
	struct vq_stats s;

	fx_init(&f, 8, 0, 0);
	CHECK(push_k(&f, 1));
	CHECK(push_k(&f, 3));
	vqd_set_avail_flags(f.d, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(!push_k(&f, 1));
	CHECK(!push_k(&f, 2));
	vqd_set_used_event(f.d, 0);   /* ignored without EVENT_IDX */
	CHECK(!push_k(&f, 1));
	vqd_set_avail_flags(f.d, 0);
	CHECK(push_k(&f, 1));
	stats(&f, &s);
	CHECK_EQ(s.notified, 3);
	CHECK_EQ(s.suppressed, 3);
	/* device-side kick suppression */
	{
		struct vqd_buf b = { DATA_BASE, 4 };

		CHECK_OK(vq_set_kick_enabled(f.vq, false));
		CHECK_EQ(vqd_used_flags(f.d), VIRTQ_USED_F_NO_NOTIFY);
		CHECK(vqd_add(f.d, &b, 1, 0, false, 0) >= 0);
		CHECK(!vqd_kick(f.d));
		CHECK_OK(vq_set_kick_enabled(f.vq, true));
		CHECK(vqd_add(f.d, &b, 1, 0, false, 0) >= 0);
		CHECK(vqd_kick(f.d));
	}
	fx_fini(&f);
}

/* ---- randomised round trip ------------------------------------------------------ */

#define RT_SLOT 0x800     /* guest bytes per head for its buffers */
#define RT_MAXB 6

struct rt_chain {
	bool live;
	uint64_t token;
	unsigned nr, nw;
	struct vqd_buf b[RT_MAXB];
	uint32_t expect_len;
};

TEST(vq_roundtrip_property)
{
	struct test_rng r;
	uint64_t seed = test_seed() ^ 0x5eed;
	unsigned rounds = 1000 * test_scale();

	test_rng_seed(&r, seed);
	test_set_seed(seed);
	for (unsigned q = 0; q < 4; q++) {
		uint32_t size = 1u << (1 + test_rng_below(&r, 6)); /* 2..64 */
		uint64_t feat = (q & 1 ? FEAT_IND : 0) | (q & 2 ? FEAT_EVT : 0);
		uint16_t start = (uint16_t)(65536 - test_rng_below(&r, 300));
		struct fx f;
		struct rt_chain *ch;
		struct vq_elem *pend;
		unsigned npend = 0;
		uint8_t *model;
		uint64_t tokens = 0, done = 0;

		fx_init(&f, size, feat, start);
		ch = calloc(size, sizeof(*ch));
		pend = calloc(size, sizeof(*pend));
		model = malloc(RAM_SIZE);
		CHECK(ch && pend && model);
		memcpy(model, f.ram, RAM_SIZE);
		for (unsigned round = 0; round < rounds; round++) {
			/* driver: add a random batch */
			unsigned add = (unsigned)test_rng_below(&r, size + 1);

			for (unsigned i = 0; i < add; i++) {
				struct rt_chain c = { .live = true };
				unsigned n;
				bool ind = (feat & FEAT_IND) &&
					   test_rng_below(&r, 2);
				uint8_t data[256];
				int h;

				c.nr = (unsigned)test_rng_below(&r, 4);
				c.nw = (unsigned)test_rng_below(&r, 3);
				if (!c.nr && !c.nw)
					c.nw = 1;
				n = c.nr + c.nw;
				if (!ind && n > vqd_num_free(f.d))
					break;
				if (ind && !vqd_num_free(f.d))
					break;
				c.token = ++tokens;
				h = vqd_next_head(f.d);
				CHECK(h >= 0);
				{
					uint64_t slot = DATA_BASE +
							(uint64_t)h * RT_SLOT,
						 off = 0;

					for (unsigned k = 0; k < n; k++) {
						c.b[k].len = 1 + (uint32_t)test_rng_below(&r, 200);
						off += test_rng_below(&r, 2) ? 0 : 8;
						c.b[k].addr = slot + off;
						off += c.b[k].len;
					}
					CHECK(off <= RT_SLOT);
				}
				CHECK_EQ(vqd_add(f.d, c.b, c.nr, c.nw, ind, c.token), h);
				for (unsigned k = 0; k < c.nr; k++) {
					for (unsigned j = 0; j < c.b[k].len; j++)
						data[j] = (uint8_t)test_rng_next(&r);
					CHECK_OK(ioas_phys_write(f.phys, c.b[k].addr, data, c.b[k].len));
					memcpy(model + (c.b[k].addr - RAM_BASE), data, c.b[k].len);
				}
				ch[h] = c;
			}
			vqd_kick(f.d);
			/* device: pop everything */
			for (;;) {
				int p = vq_pop(f.vq, &pend[npend]);

				CHECK(p == 0 || p == 1);
				if (!p)
					break;
				npend++;
				CHECK(npend <= size);
			}
			/* device: complete a random subset in random order */
			unsigned ncomp = npend ? (unsigned)test_rng_below(&r, npend + 1) : 0;
			for (unsigned i = 0; i < ncomp; i++) {
				unsigned pick = (unsigned)test_rng_below(&r, npend);
				struct vq_elem *e = &pend[pick];
				struct rt_chain *c = &ch[e->head];
				uint8_t in[1024], out[1300];
				uint64_t rl = 0, wl = 0, off = 0;
				uint32_t want, plen;
				int64_t got;

				CHECK(c->live);
				for (unsigned k = 0; k < c->nr; k++)
					rl += c->b[k].len;
				for (unsigned k = c->nr; k < c->nr + c->nw; k++)
					wl += c->b[k].len;
				CHECK_EQ(e->read_len, rl);
				CHECK_EQ(e->write_len, wl);
				/* readable bytes are what the driver wrote */
				CHECK_EQ(vq_elem_read(f.vq, e, 0, in, sizeof(in)), rl);
				for (unsigned k = 0; k < c->nr; k++) {
					CHECK(!memcmp(in + off, model + (c->b[k].addr - RAM_BASE), c->b[k].len));
					off += c->b[k].len;
				}
				/* write a random amount, maybe more than fits */
				want = (uint32_t)test_rng_below(&r, (uint32_t)wl + 20);
				for (unsigned j = 0; j < want; j++)
					out[j] = (uint8_t)test_rng_next(&r);
				got = vq_elem_write(f.vq, e, 0, out, want);
				CHECK_EQ(got, want < wl ? want : wl);
				off = 0;
				for (unsigned k = c->nr; k < c->nr + c->nw && off < (uint64_t)got; k++) {
					uint64_t n = c->b[k].len;

					if (n > (uint64_t)got - off)
						n = (uint64_t)got - off;
					memcpy(model + (c->b[k].addr - RAM_BASE), out + off, n);
					off += n;
				}
				plen = (uint32_t)test_rng_below(&r, (uint32_t)wl + 20);
				c->expect_len = plen < (uint32_t)got ? plen : (uint32_t)got;
				CHECK_OK(vq_push(f.vq, e, plen));
				pend[pick] = pend[--npend];
			}
			vq_flush(f.vq);
			/* driver: collect */
			for (;;) {
				uint32_t id, len;
				uint64_t tok;
				int g = vqd_get_used(f.d, &id, &len, &tok);

				CHECK(g == 0 || g == 1);
				if (!g)
					break;
				CHECK(ch[id].live);
				CHECK_EQ(tok, ch[id].token);
				CHECK_EQ(len, ch[id].expect_len);
				ch[id].live = false;
				done++;
			}
			/* RAM = model outside the rings and indirect tables */
			{
				uint64_t ring_end = RING_BASE + vqd_ring_bytes(size) - RAM_BASE;

				memcpy(model, f.ram, DATA_BASE - RAM_BASE);
				CHECK(ring_end <= IND_BASE - RAM_BASE);
				CHECK(!memcmp(model + (DATA_BASE - RAM_BASE), f.ram + (DATA_BASE - RAM_BASE), RAM_SIZE - (DATA_BASE - RAM_BASE)));
			}
		}
		{
			struct vq_stats s;

			stats(&f, &s);
			CHECK_EQ(s.err_index + s.err_chain + s.err_indirect + s.err_addr +
					 s.err_wrap + s.err_order + s.err_segs + s.err_len + s.broken,
				 0);
			CHECK(done > rounds / 4);
		}
		free(ch);
		free(pend);
		free(model);
		fx_fini(&f);
	}
}

/* ---- the two-descriptor fast path against the general parser ------------------- */

/* One pop of head: its return, the element (when popped) and the
 * statistics after it. A popped chain goes back with length 0; a rejected
 * one the device returned itself. */
struct pop_result {
	int ret;
	struct vq_elem e;
	struct vq_stats s;
};

static void pop_once(struct fx *f, uint16_t head, bool fast,
		     struct pop_result *out)
{
	uint32_t id, len;
	uint64_t tok;

	vq_set_pair_fast(f->vq, fast);
	memset(&out->e, 0, sizeof(out->e));
	CHECK_OK(vqd_post_raw(f->d, head, 0));
	vqd_kick(f->d);
	out->ret = vq_pop(f->vq, &out->e);
	if (out->ret == 1)
		CHECK_OK(vq_push(f->vq, &out->e, 0));
	stats(f, &out->s);
	/* the one used entry: the chain, whichever way it went */
	CHECK_ERR(vqd_get_used(f->d, &id, &len, &tok), head < f->size ? 1 : -EIO);
}

static uint64_t pick_addr(struct test_rng *r, uint32_t len)
{
	const uint64_t l = len ? len : 1;

	switch (test_rng_below(r, 16)) {
	case 0: return RAM_BASE - 1 - test_rng_below(r, 4);
	case 1: return RAM_LAST - (l - 1) + test_rng_below(r, 3); /* the end */
	case 2: return RAM_BASE + test_rng_below(r, 3);
	case 3: return ROM_BASE + test_rng_below(r, ROM_SIZE);
	case 4: return 0x300000 + test_rng_below(r, 0x1000);    /* a hole */
	case 5: return TOP_BASE + test_rng_below(r, 0x1000);
	case 6: return ~0ull - test_rng_below(r, 64);           /* wraps */
	case 7: return HUGE_BASE + test_rng_below(r, 0x1000);
	default: return DATA_BASE + test_rng_below(r, 0x10000); /* fits */
	}
}

static uint32_t pick_len(struct test_rng *r)
{
	switch (test_rng_below(r, 16)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return (uint32_t)RAM_SIZE;
	case 3: return 0x80000000u + (uint32_t)test_rng_below(r, 2);
	case 4: return 0xffffffffu;
	default: return 1 + (uint32_t)test_rng_below(r, 0x400);
	}
}

static uint16_t pick_flags(struct test_rng *r)
{
	static const uint16_t f[] = {
		VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0,
		VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT,
	};
	uint16_t v = f[test_rng_below(r, 6)];

	if (!test_rng_below(r, 8))
		v |= 0x8; /* a bit the specification does not define */
	return v;
}

/* Descriptor head (when it exists) and the one its next names (when
 * that exists and is another). */
static void write_pair(struct fx *f, uint16_t head, uint64_t aa, uint32_t la,
		       uint16_t fa, uint16_t next, uint64_t ab, uint32_t lb,
		       uint16_t fb, uint16_t nn)
{
	if (head >= f->size)
		return;
	vqd_write_desc(f->d, head, aa, la, fa, next);
	if (next < f->size && next != head)
		vqd_write_desc(f->d, next, ab, lb, fb, nn);
}

/* s1 - s0 == s2 - s1, counter by counter. */
static void same_delta(const struct vq_stats *s0, const struct vq_stats *s1,
		       const struct vq_stats *s2)
{
	const uint64_t *a = (const uint64_t *)s0, *b = (const uint64_t *)s1,
		       *c = (const uint64_t *)s2;

	_Static_assert(sizeof(struct vq_stats) % sizeof(uint64_t) == 0,
		       "vq_stats is a row of counters");
	for (size_t i = 0; i < sizeof(*s0) / sizeof(uint64_t); i++)
		CHECK_EQ(b[i] - a[i], c[i] - b[i]);
}

/* Random chains of two (or more, or broken) descriptors, mostly the
 * fast path's shape and near its every edge: popped with the fast path
 * and again with the general parser only, the element, the return and the
 * statistics must be the same. */
TEST(vq_pair_fast_path_equals_general_parser)
{
	const unsigned rounds = TEST_SANITIZED ? 4000 : 40000;
	struct test_rng r;
	struct fx f;
	unsigned fast_taken = 0;

	test_rng_seed(&r, test_seed());
	fx_init(&f, 8, FEAT_IND, 0);
	for (unsigned i = 0; i < rounds; i++) {
		struct pop_result a, b;
		struct vq_stats s0;
		uint8_t table[8 * VIRTQ_DESC_SIZE];
		uint16_t head = (uint16_t)test_rng_below(&r, 9); /* 8: bad */
		uint16_t next = (uint16_t)test_rng_below(&r, 10);
		uint32_t la = pick_len(&r), lb = pick_len(&r);
		uint16_t fa = pick_flags(&r), fb = pick_flags(&r);
		uint64_t aa = pick_addr(&r, la), ab = pick_addr(&r, lb);
		uint16_t nn = (uint16_t)test_rng_below(&r, 10);

		/* the common shape half the time */
		if (test_rng_below(&r, 2)) {
			fa = VIRTQ_DESC_F_NEXT;
			fb = VIRTQ_DESC_F_WRITE;
		}
		/* an indirect table is read: never one over the rings, which
		 * the first pop changes (the second must see the same bytes) */
		if ((fa & VIRTQ_DESC_F_INDIRECT) && aa < DATA_BASE)
			aa = IND_BASE + (aa & 0xff0);
		if ((fb & VIRTQ_DESC_F_INDIRECT) && ab < DATA_BASE)
			ab = IND_BASE + (ab & 0xff0);
		stats(&f, &s0);
		write_pair(&f, head, aa, la, fa, next, ab, lb, fb, nn);
		/* the second pop sees the table as the first did (the
		 * driver's reaping may rewrite descriptors) */
		memcpy(table, host(&f, RING_BASE), sizeof(table));
		pop_once(&f, head, true, &a);
		memcpy(host(&f, RING_BASE), table, sizeof(table));
		pop_once(&f, head, false, &b);
		CHECK_EQ(a.ret, b.ret);
		/* each pop moved the statistics alike */
		same_delta(&s0, &a.s, &b.s);
		if (a.ret != 1)
			continue;
		fast_taken += a.e.ndesc == 2 && a.e.nr_read == 1 &&
			      a.e.nr_write == 1;
		CHECK_EQ(a.e.head, b.e.head);
		CHECK_EQ(a.e.nr_read, b.e.nr_read);
		CHECK_EQ(a.e.nr_write, b.e.nr_write);
		CHECK_EQ(a.e.ndesc, b.e.ndesc);
		CHECK_EQ(a.e.read_len, b.e.read_len);
		CHECK_EQ(a.e.write_len, b.e.write_len);
		CHECK_EQ(a.e.written, b.e.written);
		for (unsigned k = 0; k < (unsigned)a.e.nr_read + a.e.nr_write;
		     k++) {
			CHECK_EQ(a.e.seg[k].addr, b.e.seg[k].addr);
			CHECK_EQ(a.e.seg[k].len, b.e.seg[k].len);
			CHECK(a.e.seg[k].host == b.e.seg[k].host);
		}
	}
	/* the fast path's shape came up often enough to mean something */
	test_note("%u of %u chains were a readable and a writable buffer",
		  fast_taken, rounds);
	CHECK(fast_taken > rounds / 20);
	fx_fini(&f);
}

/* The fast path's own length rule, where it can matter: rings and buffers
 * in one RAM region of 8 GiB (reserved, never touched but for the rings
 * and the two descriptors), a readable and a writable buffer of more than
 * 2^32 bytes together: rejected, as the general parser does; exactly 2^32
 * is a chain. */
TEST(vq_pair_fast_path_over_4gib)
{
	const uint64_t base = 0x100000000ull, size = 0x200000000ull;
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct vqd *d;
	struct vq *vq;
	struct vq_config qc;
	struct vq_stats s;
	struct vq_elem e;
	uint32_t id, len;
	uint64_t tok;
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct vqd_config dc = { .size = 8, .ring_base = base };
	struct ioas_phys_region r = {
		.size = sizeof(r), .kind = IOAS_PHYS_RAM, .base = base,
		.length = size, .host = mem,
	};

	if (mem == MAP_FAILED) {
		test_note("no 8 GiB of address space to reserve: skipped");
		return;
	}
	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_OK(ioas_phys_create(ctx, &phys));
	CHECK_OK(ioas_phys_add(phys, &r));
	CHECK_OK(vqd_create(ctx, phys, &dc, &d));
	CHECK_OK(vq_create(ctx, phys, NULL, NULL, &vq));
	vqd_vq_config(d, &qc);
	CHECK_OK(vq_setup(vq, &qc));
	for (int round = 0; round < 2; round++) {
		vqd_write_desc(d, 0, base + 0x100000, 0x80000000u,
			       VIRTQ_DESC_F_NEXT, 1);
		vqd_write_desc(d, 1, base + 0x100000000ull,
			       0x80000000u + (round ? 0 : 1),
			       VIRTQ_DESC_F_WRITE, 0);
		CHECK_OK(vqd_post_raw(d, 0, 0));
		vqd_kick(d);
		if (round == 0) {
			CHECK_ERR(vq_pop(vq, &e), 0); /* rejected, returned */
			vq_get_stats(vq, &s);
			CHECK_EQ(s.err_len, 1);
		} else {
			CHECK_ERR(vq_pop(vq, &e), 1);
			CHECK_EQ(e.read_len + e.write_len, 1ull << 32);
			CHECK_EQ(e.nr_read, 1);
			CHECK_EQ(e.nr_write, 1);
			CHECK(e.seg[1].host ==
			      (uint8_t *)mem + 0x100000000ull);
			CHECK_OK(vq_push(vq, &e, 0));
		}
		CHECK_ERR(vqd_get_used(d, &id, &len, &tok), 1);
		CHECK_EQ(id, 0);
		CHECK_EQ(len, 0);
	}
	vq_destroy(vq);
	vqd_destroy(d);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
	munmap(mem, size);
}
