/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rules of I/O address spaces, written from include/ioas/as.h (and mm.h for
 * the backing rules): windows, FULL mode, reserved and allowed ranges, fixed
 * and allocated maps, pinning, unmap, copy, query, iteration and lookup.
 * Every failing call is checked for its exact errno and for an unchanged
 * snapshot (query + mapping lists of every space, registrations with their
 * mapping counts, regions, locked and pinned bytes).
 */
#include "mem_fixture.h"
#include "test.h"

#include <ioas/ioas.h>

/* ---- helpers of this file (the shared fixture: mem_fixture.h) --------- */

#define RD IOAS_PROT_READ
#define WR IOAS_PROT_WRITE
#define EXPL IOAS_WINDOWS_EXPLICIT
#define FULL IOAS_WINDOWS_FULL
#define PREREG IOAS_PIN_PREREG
#define PINMAP IOAS_PIN_ON_MAP
#define TOP (UINT64_MAX - PG + 1)
/* a physical address with every low bit clear: never lowers alignment */
#define PA_ALIGNED 0x40000000ull

static struct ioas_as *space(struct fx *f, int slot, uint32_t wmode,
			     uint32_t pmode, uint64_t pgbm, uint64_t ap_start,
			     uint64_t ap_last, uint32_t maxw)
{
	struct ioas_as_config ac = { .size = sizeof(ac), .window_mode = wmode,
				     .pin_mode = pmode, .pgsize_bitmap = pgbm,
				     .aperture = { ap_start, ap_last },
				     .max_windows = maxw };

	CHECK_OK(ioas_as_create(f->mm, &ac, &f->as[slot]));
	return f->as[slot];
}

static int window(struct ioas_as *as, uint64_t base, uint64_t length,
		  uint64_t pgbm)
{
	struct ioas_window w = { .size = sizeof(w), .base = base,
				 .length = length, .pgsize_bitmap = pgbm };
	return ioas_as_window_create(as, &w);
}

/* Allocated map; the input iova is garbage on purpose (it is out-only). */
static int map_alloc(struct ioas_as *as, uint32_t flags, uint64_t length,
		     uint64_t addr, uint32_t prot, uint64_t *iova)
{
	struct ioas_map m = { .size = sizeof(m), .flags = flags, .prot = prot,
			      .iova = 0xdead0000ull, .length = length,
			      .addr = addr };
	int ret = ioas_as_map(as, &m);

	if (!ret)
		*iova = m.iova;
	return ret;
}

static int copy_fixed(struct ioas_as *dst, const struct ioas_as *src,
		      uint32_t prot, uint64_t dst_iova, uint64_t src_iova,
		      uint64_t length)
{
	struct ioas_copy c = { .size = sizeof(c), .flags = IOAS_MAP_FIXED_IOVA,
			       .prot = prot, .dst_iova = dst_iova,
			       .src_iova = src_iova, .length = length };
	return ioas_as_copy(dst, src, &c);
}

static int copy_alloc(struct ioas_as *dst, const struct ioas_as *src,
		      uint32_t prot, uint64_t src_iova, uint64_t length,
		      uint64_t *dst_iova)
{
	struct ioas_copy c = { .size = sizeof(c), .prot = prot,
			       .dst_iova = 0xbeef0000ull, .src_iova = src_iova,
			       .length = length };
	int ret = ioas_as_copy(dst, src, &c);

	if (!ret)
		*dst_iova = c.dst_iova;
	return ret;
}

struct q {
	struct ioas_as_info info;
	struct ioas_range u[SNAP_MAX], r[SNAP_MAX], w[SNAP_MAX], a[SNAP_MAX];
};
static struct q qa;

static void query(const struct ioas_as *as, struct q *q)
{
	memset(q, 0, sizeof(*q));
	q->info.size = sizeof(q->info);
	q->info.num_usable = q->info.num_reserved = SNAP_MAX;
	q->info.num_windows = q->info.num_allowed = SNAP_MAX;
	q->info.usable = q->u;
	q->info.reserved = q->r;
	q->info.windows = q->w;
	q->info.allowed = q->a;
	CHECK_OK(ioas_as_query(as, &q->info));
}

#define RANGE_IS(rg, s, l)                                                \
	do {                                                              \
		CHECK_EQ((rg).start, (s));                                \
		CHECK_EQ((rg).last, (l));                                 \
	} while (0)

static struct ioas_mapping_info maps_buf[SNAP_MAX];

static size_t list_maps(const struct ioas_as *as, uint64_t start, uint64_t last)
{
	struct collect c = { maps_buf, 0, SNAP_MAX, sizeof(maps_buf[0]) };

	CHECK_OK(ioas_as_for_each(as, start, last, collect_map, &c));
	return c.n;
}

#define MAP_IS(m, i, l, a, p, fl)                                         \
	do {                                                              \
		CHECK_EQ((m).iova, (i));                                  \
		CHECK_EQ((m).last, (l));                                  \
		CHECK_EQ((m).addr, (a));                                  \
		CHECK_EQ((m).prot, (p));                                  \
		CHECK_EQ((m).flags, (fl));                                \
	} while (0)

static struct ioas_range rg(uint64_t start, uint64_t last)
{
	struct ioas_range r = { start, last };
	return r;
}

/* ==== creation ========================================================== */

TEST(as_create_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as_config c;
	struct {
		struct ioas_as_config c;
		uint64_t tail;
	} big;
	struct ioas_as *as = NULL;
	uint32_t small[] = { 0, 4, 8, sizeof(c) - 4 };

	fx_init(&f, 0);
#define CFG_RESET()                                                       \
	do {                                                              \
		memset(&c, 0, sizeof(c));                                 \
		c.size = sizeof(c);                                       \
		c.window_mode = FULL;                                     \
	} while (0)
	CFG_RESET();
	c.window_mode = 2;
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	CFG_RESET();
	c.pin_mode = 2;
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	CFG_RESET();
	c.pgsize_bitmap = 0x800 | PG;
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	c.pgsize_bitmap = 0x800;
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	CFG_RESET();
	c.aperture = rg(0x2000, 0x1fff);
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	c.aperture = rg(0x800, 0xfff);
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	c.aperture = rg(0, 0x1ffe);
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	c.pgsize_bitmap = 0x10000;
	c.aperture = rg(0x1000, 0x10ffff);
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	c.aperture = rg(0x10000, 0x10ffff);
	CHECK_OK(ioas_as_create(f.mm, &c, &as));
	ioas_as_destroy(as);
	/* last = UINT64_MAX needs no alignment of last + 1 */
	c.aperture = rg(0x10000, UINT64_MAX);
	CHECK_OK(ioas_as_create(f.mm, &c, &as));
	ioas_as_destroy(as);
	CFG_RESET();
	c.window_mode = EXPL;
	c.max_windows = 65;
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	c.max_windows = 64;
	CHECK_OK(ioas_as_create(f.mm, &c, &as));
	ioas_as_destroy(as);
	CFG_RESET();
	c.reserved = 1;
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	CFG_RESET();
	c.flags = 1;
	FAILS(&f, ioas_as_create(f.mm, &c, &as), -EOPNOTSUPP);
	CFG_RESET();
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		c.size = small[i];
		FAILS(&f, ioas_as_create(f.mm, &c, &as), -EINVAL);
	}
	CFG_RESET();
	memset(&big, 0, sizeof(big));
	big.c = c;
	big.c.size = sizeof(big);
	big.tail = 0x100;
	FAILS(&f, ioas_as_create(f.mm, &big.c, &as), -E2BIG);
	big.tail = 0;
	CHECK_OK(ioas_as_create(f.mm, &big.c, &as));
	ioas_as_destroy(as);
	ioas_as_destroy(NULL);
#undef CFG_RESET
	fx_fini(&f);
}

/* ==== EXPLICIT windows ================================================== */

TEST(as_explicit_no_iova_until_window)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	struct ioas_range r = rg(0x100000, 0x100fff);
	uint64_t iova = 0;

	fx_init(&f, 0);
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 0);
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF), 16 * PG, 0));
	query(as, &qa);
	CHECK_EQ(qa.info.window_mode, EXPL);
	CHECK_EQ(qa.info.pin_mode, PREREG);
	CHECK_EQ(qa.info.max_windows, 2);
	CHECK_EQ(qa.info.windows_left, 2);
	CHECK_EQ(qa.info.num_windows, 0);
	CHECK_EQ(qa.info.num_usable, 0);
	CHECK_EQ(qa.info.num_reserved, 0);
	CHECK_EQ(qa.info.num_allowed, 0);
	CHECK_EQ(qa.info.mappings, 0);
	CHECK_EQ(qa.info.mapped_bytes, 0);
	CHECK_EQ(qa.info.pgsize_bitmap, 0);
	FAILS(&f, map_fixed(as, 0, 0, PG, HU(&f, R1_OFF), RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, HU(&f, R1_OFF), RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, TOP, PG, HU(&f, R1_OFF), RW), -EINVAL);
	FAILS(&f, map_fixed(as, IOAS_MAP_PHYS, 0x100000, PG, R1_PA, RW),
	      -EINVAL);
	FAILS(&f, map_alloc(as, 0, PG, HU(&f, R1_OFF), RW, &iova), -ENOSPC);
	FAILS(&f, ioas_as_allow(as, &r, 1), -EADDRINUSE);
	CHECK_OK(window(as, 0x100000, 0x100000, PG));
	CHECK_OK(map_fixed(as, 0, 0x100000, PG, HU(&f, R1_OFF), RW));
	query(as, &qa);
	CHECK_EQ(qa.info.windows_left, 1);
	CHECK_EQ(qa.info.num_windows, 1);
	RANGE_IS(qa.w[0], 0x100000, 0x1fffff);
	CHECK_EQ(qa.info.num_usable, 1);
	RANGE_IS(qa.u[0], 0x100000, 0x1fffff);
	CHECK_EQ(qa.info.pgsize_bitmap, PG);
	CHECK_EQ(qa.info.alignment, PG);
	CHECK_EQ(qa.info.mappings, 1);
	CHECK_EQ(qa.info.mapped_bytes, PG);
	fx_fini(&f);
}

TEST(as_window_create_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as, *full;
	struct ioas_window w = { .size = sizeof(w), .base = 0x800000,
				 .length = 0x10000, .pgsize_bitmap = PG };
	struct {
		struct ioas_window w;
		uint64_t tail;
	} big;
	uint32_t small[] = { 0, 4, 8, sizeof(w) - 4 };

	fx_init(&f, 0);
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 8);
	full = space(&f, 1, FULL, PREREG, 0, 0, 0, 0);
	FAILS(&f, window(full, 0, 0x100000, PG), -EINVAL);
	FAILS(&f, window(as, 0x100000, 0x100000, 0x800), -EINVAL);
	FAILS(&f, window(as, 0x100000, 0x100000, 0x800 | PG), -EINVAL);
	FAILS(&f, window(as, 0x100000, 0, PG), -EINVAL);
	/* base and length aligned to the largest page size */
	FAILS(&f, window(as, 0x101000, 0x100000, PG | 0x10000), -EINVAL);
	FAILS(&f, window(as, 0x100000, 0x101000, PG | 0x10000), -EINVAL);
	FAILS(&f, window(as, 0x100800, 0x1000, PG), -EINVAL);
	FAILS(&f, window(as, 0x100000, 0x1800, PG), -EINVAL);
	FAILS(&f, window(as, UINT64_MAX - 0xffff, 0x20000, 0x10000),
	      -EOVERFLOW);
	CHECK_OK(window(as, 0x100000, 0x100000, PG));
	/* overlap in every way */
	FAILS(&f, window(as, 0x180000, 0x100000, PG), -EEXIST);
	FAILS(&f, window(as, 0x80000, 0x100000, PG), -EEXIST);
	FAILS(&f, window(as, 0x140000, 0x10000, PG), -EEXIST);
	FAILS(&f, window(as, 0, 0x400000, PG), -EEXIST);
	FAILS(&f, window(as, 0x100000, 0x100000, PG), -EEXIST);
	FAILS(&f, window(as, 0x1ff000, 0x1000, PG), -EEXIST);
	/* adjacent on both sides, and one ending at the top of the space */
	CHECK_OK(window(as, 0x200000, 0x100000, PG));
	CHECK_OK(window(as, 0xff000, 0x1000, PG));
	CHECK_OK(window(as, UINT64_MAX - 0xffff, 0x10000, 0x10000));
	/* size-prefixed struct rules */
	w.flags = 1;
	FAILS(&f, ioas_as_window_create(as, &w), -EOPNOTSUPP);
	w.flags = 0;
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		w.size = small[i];
		FAILS(&f, ioas_as_window_create(as, &w), -EINVAL);
	}
	w.size = sizeof(w);
	memset(&big, 0, sizeof(big));
	big.w = w;
	big.w.size = sizeof(big);
	big.tail = 1;
	FAILS(&f, ioas_as_window_create(as, &big.w), -E2BIG);
	query(as, &qa);
	CHECK_EQ(qa.info.num_windows, 4);
	RANGE_IS(qa.w[0], 0xff000, 0xfffff);
	RANGE_IS(qa.w[1], 0x100000, 0x1fffff);
	RANGE_IS(qa.w[2], 0x200000, 0x2fffff);
	RANGE_IS(qa.w[3], UINT64_MAX - 0xffff, UINT64_MAX);
	CHECK_EQ(qa.info.max_windows, 8);
	CHECK_EQ(qa.info.windows_left, 4);
	CHECK_EQ(qa.info.pgsize_bitmap, PG | 0x10000);
	CHECK_EQ(qa.info.alignment, PG);
	/* pieces of adjacent windows are not merged */
	CHECK_EQ(qa.info.num_usable, 4);
	RANGE_IS(qa.u[0], 0xff000, 0xfffff);
	RANGE_IS(qa.u[1], 0x100000, 0x1fffff);
	big.tail = 0;
	CHECK_OK(ioas_as_window_create(as, &big.w));
	fx_fini(&f);
}

TEST(as_window_enospc_past_max_windows)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as, *as64;

	fx_init(&f, 0);
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 0);
	CHECK_OK(window(as, 0x100000, 0x10000, PG));
	CHECK_OK(window(as, 0x200000, 0x10000, PG));
	FAILS(&f, window(as, 0x300000, 0x10000, PG), -ENOSPC);
	query(as, &qa);
	CHECK_EQ(qa.info.max_windows, 2);
	CHECK_EQ(qa.info.windows_left, 0);
	CHECK_OK(ioas_as_window_remove(as, 0x100000));
	CHECK_OK(window(as, 0x300000, 0x10000, PG));

	as64 = space(&f, 1, EXPL, PREREG, 0, 0, 0, 64);
	for (uint64_t i = 0; i < 64; i++)
		CHECK_OK(window(as64, i * 0x20000, 0x10000, PG));
	FAILS(&f, window(as64, 64 * 0x20000, 0x10000, PG), -ENOSPC);
	query(as64, &qa);
	CHECK_EQ(qa.info.num_windows, 64);
	CHECK_EQ(qa.info.windows_left, 0);
	fx_fini(&f);
}

TEST(as_window_maps_must_lie_inside_one)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	uint64_t u;

	fx_init(&f, 0);
	u = HU(&f, R1_OFF);
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 4);
	CHECK_OK(reg(&f, 0, u, R1_N * PG, 0));
	CHECK_OK(window(as, 0x100000, 0x100000, PG));
	CHECK_OK(window(as, 0x200000, 0x100000, PG));
	CHECK_OK(window(as, 0x400000, 0x100000, PG));
	CHECK_OK(map_fixed(as, 0, 0x100000, PG, u, RW));
	FAILS(&f, map_fixed(as, 0, 0x1ff000, 2 * PG, u + PG, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x300000, PG, u + PG, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x3ff000, 2 * PG, u + PG, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x4ff000, 2 * PG, u + PG, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0, PG, u + PG, RW), -EINVAL);
	FAILS(&f, map_fixed(as, IOAS_MAP_PHYS, 0x1ff000, 2 * PG, R1_PA, RW),
	      -EINVAL);
	CHECK_OK(map_fixed(as, 0, 0x2ff000, PG, u + 2 * PG, RW));
	CHECK_OK(map_fixed(as, 0, 0x200000, PG, u + 3 * PG, RW));
	CHECK_OK(map_fixed(as, 0, 0x1ff000, PG, u + 4 * PG, RW));
	CHECK_EQ(list_maps(as, 0, UINT64_MAX), 4);
	fx_fini(&f);
}

TEST(as_window_remove_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	struct ioas_range r = rg(0x210000, 0x21ffff);
	uint64_t u;

	fx_init(&f, 0);
	u = HU(&f, R1_OFF);
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 4);
	CHECK_OK(reg(&f, 0, u, 16 * PG, 0));
	CHECK_OK(window(as, 0x100000, 0x100000, PG));
	CHECK_OK(window(as, 0x200000, 0x100000, PG));
	FAILS(&f, ioas_as_window_remove(as, 0x300000), -ENOENT);
	FAILS(&f, ioas_as_window_remove(as, 0x100000 + PG), -ENOENT);
	FAILS(&f, ioas_as_window_remove(as, 0), -ENOENT);
	CHECK_OK(map_fixed(as, 0, 0x180000, PG, u, RW));
	FAILS(&f, ioas_as_window_remove(as, 0x100000), -EBUSY);
	CHECK_OK(ioas_as_allow(as, &r, 1));
	FAILS(&f, ioas_as_window_remove(as, 0x200000), -EADDRINUSE);
	CHECK_OK(ioas_as_unmap(as, 0x180000, 0x180fff, NULL));
	CHECK_OK(ioas_as_window_remove(as, 0x100000));
	query(as, &qa);
	CHECK_EQ(qa.info.windows_left, 3);
	CHECK_EQ(qa.info.num_windows, 1);
	FAILS(&f, map_fixed(as, 0, 0x180000, PG, u, RW), -EINVAL);
	CHECK_OK(ioas_as_allow(as, NULL, 0));
	CHECK_OK(ioas_as_window_remove(as, 0x200000));
	FAILS(&f, ioas_as_window_remove(as, 0x200000), -ENOENT);
	query(as, &qa);
	CHECK_EQ(qa.info.windows_left, 4);
	CHECK_EQ(qa.info.num_usable, 0);
	fx_fini(&f);
}

/* ==== query ============================================================= */

TEST(as_query_fields_and_emsgsize)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	struct ioas_range allow[2] = { { 0x20000, 0x2ffff },
				       { 0x10000, 0x10fff } };
	struct ioas_range su[2], sr[4], sw[4], sa[4];
	struct ioas_as_info info;
	uint64_t u;

	fx_init(&f, 0);
	u = HU(&f, R1_OFF); /* 64 KiB aligned */
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 4);
	CHECK_OK(reg(&f, 0, u, (R1_N + R2_N) * PG, 0));
	CHECK_OK(window(as, 0, 0x100000, PG | 0x10000));
	CHECK_OK(window(as, 0x100000, 0x100000, 0x10000));
	/* overlapping and adjacent reservations merge in the report */
	CHECK_OK(ioas_as_reserve(as, 0x80000, 0x8ffff));
	CHECK_OK(ioas_as_reserve(as, 0x88000, 0x97fff));
	CHECK_OK(ioas_as_reserve(as, 0x98000, 0x98fff));
	CHECK_OK(ioas_as_reserve(as, 0xff000, 0x100fff));
	CHECK_OK(ioas_as_reserve(as, 0x500000, 0x500fff));
	CHECK_OK(ioas_as_allow(as, allow, 2));
	CHECK_OK(map_fixed(as, 0, 0x40000, 0x10000, u, RW));
	CHECK_OK(map_fixed(as, 0, 0x110000, 0x10000, u + 0x20000, RD));

	query(as, &qa);
	CHECK_EQ(qa.info.window_mode, EXPL);
	CHECK_EQ(qa.info.pin_mode, PREREG);
	CHECK_EQ(qa.info.max_windows, 4);
	CHECK_EQ(qa.info.windows_left, 2);
	CHECK_EQ(qa.info.pgsize_bitmap, PG | 0x10000);
	CHECK_EQ(qa.info.alignment, PG);
	CHECK_EQ(qa.info.mappings, 2);
	CHECK_EQ(qa.info.mapped_bytes, 0x20000);
	CHECK_EQ(qa.info.num_windows, 2);
	RANGE_IS(qa.w[0], 0, 0xfffff);
	RANGE_IS(qa.w[1], 0x100000, 0x1fffff);
	CHECK_EQ(qa.info.num_reserved, 3);
	RANGE_IS(qa.r[0], 0x80000, 0x98fff);
	RANGE_IS(qa.r[1], 0xff000, 0x100fff);
	RANGE_IS(qa.r[2], 0x500000, 0x500fff);
	CHECK_EQ(qa.info.num_usable, 3);
	RANGE_IS(qa.u[0], 0, 0x7ffff);
	RANGE_IS(qa.u[1], 0x99000, 0xfefff);
	RANGE_IS(qa.u[2], 0x101000, 0x1fffff);
	CHECK_EQ(qa.info.num_allowed, 2);
	RANGE_IS(qa.a[0], 0x20000, 0x2ffff);
	RANGE_IS(qa.a[1], 0x10000, 0x10fff);

	/* one array too small: EMSGSIZE, every count needed, scalars
	 * filled, no array written */
	memset(su, 0xee, sizeof(su));
	memset(sr, 0xee, sizeof(sr));
	memset(sw, 0xee, sizeof(sw));
	memset(sa, 0xee, sizeof(sa));
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.num_usable = 2;
	info.num_reserved = info.num_windows = info.num_allowed = 4;
	info.usable = su;
	info.reserved = sr;
	info.windows = sw;
	info.allowed = sa;
	CHECK_ERR(ioas_as_query(as, &info), -EMSGSIZE);
	CHECK_EQ(info.num_usable, 3);
	CHECK_EQ(info.num_reserved, 3);
	CHECK_EQ(info.num_windows, 2);
	CHECK_EQ(info.num_allowed, 2);
	CHECK_EQ(info.mappings, 2);
	CHECK_EQ(info.mapped_bytes, 0x20000);
	CHECK_EQ(info.alignment, PG);
	CHECK_EQ(info.pgsize_bitmap, PG | 0x10000);
	CHECK_EQ(info.max_windows, 4);
	CHECK_EQ(info.windows_left, 2);
	CHECK_EQ(info.window_mode, EXPL);
	for (size_t i = 0; i < sizeof(su); i++)
		CHECK_EQ(((const uint8_t *)su)[i], 0xee);
	for (size_t i = 0; i < sizeof(sr); i++) {
		CHECK_EQ(((const uint8_t *)sr)[i], 0xee);
		CHECK_EQ(((const uint8_t *)sw)[i], 0xee);
		CHECK_EQ(((const uint8_t *)sa)[i], 0xee);
	}
	/* all NULL with capacity 0: counts only */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	CHECK_ERR(ioas_as_query(as, &info), -EMSGSIZE);
	CHECK_EQ(info.num_usable, 3);
	CHECK_EQ(info.num_reserved, 3);
	CHECK_EQ(info.num_windows, 2);
	CHECK_EQ(info.num_allowed, 2);
	/* exactly enough is enough */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.num_usable = 3;
	info.num_reserved = 3;
	info.num_windows = 2;
	info.num_allowed = 2;
	info.usable = qa.u;
	info.reserved = qa.r;
	info.windows = qa.w;
	info.allowed = qa.a;
	CHECK_OK(ioas_as_query(as, &info));

	/* dropping the reservation over the window edge leaves two pieces:
	 * adjacent windows are not merged */
	CHECK_OK(ioas_as_unreserve(as, 0xff000, 0x100fff));
	query(as, &qa);
	CHECK_EQ(qa.info.num_usable, 3);
	RANGE_IS(qa.u[1], 0x99000, 0xfffff);
	RANGE_IS(qa.u[2], 0x100000, 0x1fffff);

	/* size-prefixed rules apply to the query struct too */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = 1;
	CHECK_ERR(ioas_as_query(as, &info), -EOPNOTSUPP);
	info.flags = 0;
	info.size = 4;
	CHECK_ERR(ioas_as_query(as, &info), -EINVAL);

	/* a space needing nothing: NULL arrays succeed */
	as = space(&f, 1, EXPL, PINMAP, 0, 0, 0, 0);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	CHECK_OK(ioas_as_query(as, &info));
	CHECK_EQ(info.pin_mode, PINMAP);
	CHECK_EQ(info.num_usable + info.num_reserved + info.num_windows +
		 info.num_allowed, 0);
	fx_fini(&f);
}

/* ==== FULL mode ========================================================= */

TEST(as_full_mode)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as, *small;
	uint64_t pa = 0;
	uint32_t prot = 0;
	struct ioas_range r = rg(0x200000, 0x200fff);

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PREREG, 0, 0, 0, 0);
	query(as, &qa);
	CHECK_EQ(qa.info.window_mode, FULL);
	CHECK_EQ(qa.info.max_windows, 1);
	CHECK_EQ(qa.info.windows_left, 0);
	CHECK_EQ(qa.info.num_windows, 1);
	RANGE_IS(qa.w[0], 0, UINT64_MAX);
	CHECK_EQ(qa.info.num_usable, 1);
	RANGE_IS(qa.u[0], 0, UINT64_MAX);
	CHECK_EQ(qa.info.pgsize_bitmap, PG);
	CHECK_EQ(qa.info.alignment, PG);
	/* everything is valid: the very top and IOVA 0 (fixed) */
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, TOP - PG, 2 * PG, R1_PA, RW));
	CHECK_EQ(ioas_as_lookup(as, UINT64_MAX, &pa, &prot), 1);
	CHECK_EQ(pa, R1_PA + 2 * PG - 1);
	CHECK_EQ(prot, RW);
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0, PG, R1_PA, RD));
	FAILS(&f, window(as, 0x100000, 0x100000, PG), -EINVAL);

	/* a narrower aperture with 64 KiB pages */
	small = space(&f, 1, FULL, PREREG, 0x10000, 0x100000, 0x1fffff, 0);
	query(small, &qa);
	RANGE_IS(qa.w[0], 0x100000, 0x1fffff);
	CHECK_EQ(qa.info.pgsize_bitmap, 0x10000);
	CHECK_EQ(qa.info.alignment, 0x10000);
	FAILS(&f, map_fixed(small, IOAS_MAP_PHYS, 0xf0000, 0x10000, R1_PA, RW),
	      -EINVAL);
	FAILS(&f, map_fixed(small, IOAS_MAP_PHYS, 0x1f0000, 0x20000, R1_PA, RW),
	      -EINVAL);
	FAILS(&f, map_fixed(small, IOAS_MAP_PHYS, 0x200000, 0x10000, R1_PA, RW),
	      -EINVAL);
	FAILS(&f, map_fixed(small, IOAS_MAP_PHYS, 0x100000, PG, R1_PA, RW),
	      -EINVAL);
	FAILS(&f, map_fixed(small, IOAS_MAP_PHYS, 0x101000, 0x10000, R1_PA, RW),
	      -EINVAL);
	FAILS(&f, map_fixed(small, IOAS_MAP_PHYS, 0x100000, 0x10000,
			    R1_PA + PG, RW), -EINVAL);
	CHECK_OK(map_fixed(small, IOAS_MAP_PHYS, 0x1f0000, 0x10000, R1_PA, RW));
	FAILS(&f, ioas_as_allow(small, &r, 1), -EADDRINUSE);
	CHECK_OK(ioas_as_reserve(small, 0x180000, 0x18ffff));
	query(small, &qa);
	CHECK_EQ(qa.info.num_usable, 2);
	RANGE_IS(qa.u[0], 0x100000, 0x17ffff);
	RANGE_IS(qa.u[1], 0x190000, 0x1fffff);
	fx_fini(&f);
}

/* ==== reserved and allowed ranges ======================================= */

TEST(as_reserved_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	struct ioas_range al = rg(0x30000, 0x3ffff);
	uint64_t u;

	fx_init(&f, 0);
	u = HU(&f, R1_OFF);
	as = space(&f, 0, FULL, PREREG, 0, 0, 0, 0);
	CHECK_OK(reg(&f, 0, u, R1_N * PG, 0));
	CHECK_OK(ioas_as_reserve(as, 0x10000, 0x13fff));
	/* maps touching it: first byte, last byte, inside, covering */
	FAILS(&f, map_fixed(as, 0, 0xf000, 2 * PG, u, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x13000, 2 * PG, u, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x11000, PG, u, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0xc000, 0x10000, u, RW), -EINVAL);
	FAILS(&f, map_fixed(as, IOAS_MAP_PHYS, 0x12000, PG, R1_PA, RW),
	      -EINVAL);
	CHECK_OK(map_fixed(as, 0, 0xf000, PG, u, RW));
	CHECK_OK(map_fixed(as, 0, 0x14000, PG, u + PG, RW));
	/* reserving over a mapping, even one byte of it */
	FAILS(&f, ioas_as_reserve(as, 0x14fff, 0x14fff), -EADDRINUSE);
	FAILS(&f, ioas_as_reserve(as, 0xe000, 0xf000), -EADDRINUSE);
	FAILS(&f, ioas_as_reserve(as, 0, UINT64_MAX), -EADDRINUSE);
	CHECK_OK(ioas_as_reserve(as, 0x15000, 0x15000));
	FAILS(&f, ioas_as_reserve(as, 0x20, 0x10), -EINVAL);
	/* reserving over an allowed range */
	CHECK_OK(ioas_as_allow(as, &al, 1));
	FAILS(&f, ioas_as_reserve(as, 0x3ffff, 0x40000), -EADDRINUSE);
	FAILS(&f, ioas_as_reserve(as, 0x20000, 0x50000), -EADDRINUSE);
	CHECK_OK(ioas_as_allow(as, NULL, 0));
	CHECK_OK(ioas_as_reserve(as, 0x3ffff, 0x40000));
	CHECK_OK(ioas_as_unreserve(as, 0x3ffff, 0x40000));
	/* reservations may overlap each other; the report merges them */
	CHECK_OK(ioas_as_unmap(as, 0x14000, 0x14fff, NULL));
	CHECK_OK(ioas_as_reserve(as, 0x12000, 0x17fff));
	CHECK_OK(ioas_as_reserve(as, 0x18000, 0x18fff));
	query(as, &qa);
	CHECK_EQ(qa.info.num_reserved, 1);
	RANGE_IS(qa.r[0], 0x10000, 0x18fff);
	CHECK_EQ(qa.info.num_usable, 2);
	RANGE_IS(qa.u[0], 0, 0xffff);
	RANGE_IS(qa.u[1], 0x19000, UINT64_MAX);
	/* unreserve wants exactly one reservation */
	FAILS(&f, ioas_as_unreserve(as, 0x10000, 0x18fff), -ENOENT);
	FAILS(&f, ioas_as_unreserve(as, 0x10000, 0x10fff), -ENOENT);
	FAILS(&f, ioas_as_unreserve(as, 0x12000, 0x17ffe), -ENOENT);
	CHECK_OK(ioas_as_unreserve(as, 0x12000, 0x17fff));
	query(as, &qa);
	CHECK_EQ(qa.info.num_reserved, 3);
	RANGE_IS(qa.r[0], 0x10000, 0x13fff);
	RANGE_IS(qa.r[1], 0x15000, 0x15000);
	RANGE_IS(qa.r[2], 0x18000, 0x18fff);
	FAILS(&f, map_fixed(as, 0, 0x15000, PG, u, RW), -EINVAL);
	CHECK_OK(ioas_as_unreserve(as, 0x10000, 0x13fff));
	CHECK_OK(ioas_as_unreserve(as, 0x15000, 0x15000));
	CHECK_OK(ioas_as_unreserve(as, 0x18000, 0x18fff));
	CHECK_OK(map_fixed(as, 0, 0x11000, PG, u, RW));
	/* byte granular */
	CHECK_OK(ioas_as_reserve(as, 0x50001, 0x50001));
	FAILS(&f, map_fixed(as, 0, 0x50000, PG, u, RW), -EINVAL);
	CHECK_OK(map_fixed(as, 0, 0x51000, PG, u, RW));
	/* EXPLICIT: reservations need no window */
	as = space(&f, 1, EXPL, PREREG, 0, 0, 0, 0);
	CHECK_OK(ioas_as_reserve(as, 0x1000, 0x1fff));
	fx_fini(&f);
}

TEST(as_allow_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as, *full;
	struct ioas_range r[2];
	uint64_t iova = 0;

	fx_init(&f, 0);
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 4);
	CHECK_OK(window(as, 0x100000, 0x100000, PG));
	CHECK_OK(window(as, 0x400000, 0x100000, PG));
	CHECK_OK(ioas_as_reserve(as, 0x180000, 0x18ffff));
	r[0] = rg(0x120000, 0x110000);
	FAILS(&f, ioas_as_allow(as, r, 1), -EINVAL);
	r[0] = rg(0x110000, 0x11ffff);
	r[1] = rg(0x130000, 0x12ffff);
	FAILS(&f, ioas_as_allow(as, r, 2), -EINVAL);
	r[0] = rg(0x300000, 0x300fff); /* outside every window */
	FAILS(&f, ioas_as_allow(as, r, 1), -EADDRINUSE);
	r[0] = rg(0x1ff000, 0x200fff); /* runs out of the window */
	FAILS(&f, ioas_as_allow(as, r, 1), -EADDRINUSE);
	r[0] = rg(0x170000, 0x180000); /* reaches a reservation */
	FAILS(&f, ioas_as_allow(as, r, 1), -EADDRINUSE);
	r[0] = rg(0x110000, 0x11ffff);
	r[1] = rg(0x300000, 0x300fff);
	FAILS(&f, ioas_as_allow(as, r, 2), -EADDRINUSE);
	query(as, &qa);
	CHECK_EQ(qa.info.num_allowed, 0);

	/* a mapping inside an allowed range is fine */
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x451000, PG, R1_PA, RW));
	CHECK_OK(ioas_as_unmap(as, 0x451000, 0x451fff, NULL));
	r[0] = rg(0x450000, 0x451fff);
	r[1] = rg(0x120000, 0x120fff);
	CHECK_OK(ioas_as_allow(as, r, 2));
	query(as, &qa);
	CHECK_EQ(qa.info.num_allowed, 2);
	RANGE_IS(qa.a[0], 0x450000, 0x451fff);
	RANGE_IS(qa.a[1], 0x120000, 0x120fff);
	/* allocation only inside them, in address order */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x120000);
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x450000);
	FAILS(&f, map_alloc(as, IOAS_MAP_PHYS, 2 * PG, PA_ALIGNED, RW, &iova),
	      -ENOSPC);
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x451000);
	FAILS(&f, map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova),
	      -ENOSPC);
	/* fixed maps are not limited to them */
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x100000, PG, R1_PA, RW));
	/* clearing them opens the windows again */
	CHECK_OK(ioas_as_allow(as, NULL, 0));
	query(as, &qa);
	CHECK_EQ(qa.info.num_allowed, 0);
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x101000);

	full = space(&f, 1, FULL, PREREG, 0, 0x100000, 0x1fffff, 0);
	r[0] = rg(0xff000, 0x100fff);
	FAILS(&f, ioas_as_allow(full, r, 1), -EADDRINUSE);
	r[0] = rg(0x1ff000, 0x200000);
	FAILS(&f, ioas_as_allow(full, r, 1), -EADDRINUSE);
	r[0] = rg(0x100000, 0x1fffff);
	CHECK_OK(ioas_as_allow(full, r, 1));
	fx_fini(&f);
}

/* ==== map at a fixed IOVA =============================================== */

TEST(as_map_fixed_argument_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as, *full;
	struct ioas_map m;
	struct {
		struct ioas_map m;
		uint64_t tail;
	} big;
	uint32_t small[] = { 0, 4, 8, sizeof(m) - 4 };
	uint64_t u;

	fx_init(&f, 0);
	u = HU(&f, R1_OFF); /* 64 KiB aligned */
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 4);
	CHECK_OK(reg(&f, 0, u, R1_N * PG, 0));
	CHECK_OK(window(as, 0x1000000, 0x1000000, 0x10000));
	CHECK_OK(window(as, 0x100000, 0x100000, PG));
	/* alignment to the smallest page size of the window */
	FAILS(&f, map_fixed(as, 0, 0x1001000, 0x10000, u, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x1000000, PG, u, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x1000000, 0x10000, u + PG, RW), -EINVAL);
	CHECK_OK(map_fixed(as, 0, 0x1000000, 0x10000, u, RW));
	FAILS(&f, map_fixed(as, 0, 0x100800, PG, u, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x100000, 0x800, u, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, u + 0x800, RW), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x100000, 0, u, RW), -EINVAL);
	/* prot must have READ or WRITE; unknown bits are EOPNOTSUPP */
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, u, 0), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, u, IOAS_PROT_EXEC), -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, u,
			    IOAS_PROT_EXEC | IOAS_PROT_PRIV | IOAS_PROT_MMIO),
	      -EINVAL);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, u, RD | (1u << 5)),
	      -EOPNOTSUPP);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, u, RD | (1u << 31)),
	      -EOPNOTSUPP);
	FAILS(&f, map_fixed(as, 1u << 5, 0x100000, PG, u, RW), -EOPNOTSUPP);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOAS_MAP_FIXED_IOVA;
	m.prot = RW;
	m.iova = 0x100000;
	m.length = PG;
	m.addr = u;
	m.reserved = 1;
	FAILS(&f, ioas_as_map(as, &m), -EINVAL);
	m.reserved = 0;
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		m.size = small[i];
		FAILS(&f, ioas_as_map(as, &m), -EINVAL);
	}
	m.size = sizeof(m);
	memset(&big, 0, sizeof(big));
	big.m = m;
	big.m.size = sizeof(big);
	big.tail = 1;
	FAILS(&f, ioas_as_map(as, &big.m), -E2BIG);
	big.tail = 0;
	CHECK_OK(ioas_as_map(as, &big.m));
	/* the extra prot bits are kept */
	CHECK_OK(map_fixed(as, 0, 0x101000, PG, u,
			   RW | IOAS_PROT_EXEC | IOAS_PROT_PRIV));
	CHECK_EQ(list_maps(as, 0x101000, 0x101000), 1);
	MAP_IS(maps_buf[0], 0x101000, 0x101fff, u,
	       RW | IOAS_PROT_EXEC | IOAS_PROT_PRIV, 0);

	/* overlap with [0x110000, 0x113fff] in every way */
	CHECK_OK(map_fixed(as, 0, 0x110000, 4 * PG, u, RW));
	FAILS(&f, map_fixed(as, 0, 0x10f000, 2 * PG, u, RW), -EEXIST);
	FAILS(&f, map_fixed(as, 0, 0x113000, 2 * PG, u, RW), -EEXIST);
	FAILS(&f, map_fixed(as, 0, 0x111000, PG, u, RW), -EEXIST);
	FAILS(&f, map_fixed(as, 0, 0x10f000, 6 * PG, u, RW), -EEXIST);
	FAILS(&f, map_fixed(as, 0, 0x110000, 4 * PG, u, RW), -EEXIST);
	FAILS(&f, map_fixed(as, IOAS_MAP_PHYS, 0x113000, PG, R1_PA, RW),
	      -EEXIST);
	CHECK_OK(map_fixed(as, 0, 0x10f000, PG, u, RW));
	CHECK_OK(map_fixed(as, 0, 0x114000, PG, u, RW));

	/* overflow of iova and of addr */
	full = space(&f, 1, FULL, PREREG, 0, 0, 0, 0);
	FAILS(&f, map_fixed(full, IOAS_MAP_PHYS, TOP, 2 * PG, R1_PA, RW),
	      -EOVERFLOW);
	FAILS(&f, map_fixed(full, IOAS_MAP_PHYS, 0x10000, 2 * PG, TOP, RW),
	      -EOVERFLOW);
	CHECK_OK(map_fixed(full, IOAS_MAP_PHYS, TOP, PG, TOP, RW));
	fx_fini(&f);
}

TEST(as_map_prereg_backing_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	const uint64_t b = R1_OFF;

	fx_init(&f, 0);
	as = prereg_space(&f, 0);
	CHECK_OK(reg(&f, 0, HU(&f, b), 4 * PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_READONLY, HU(&f, b + 4), 4 * PG, 0));
	/* outside registered memory */
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, HU(&f, b + 10), RD), -EFAULT);
	FAILS(&f, map_fixed(as, 0, 0x100000, 2 * PG, HU(&f, b - 1), RD),
	      -EFAULT);
	FAILS(&f, map_fixed(as, 0, 0x100000, 2 * PG, HU(&f, b + 7), RD),
	      -EFAULT);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, LU, RD), -EFAULT);
	/* two adjacent registrations are not one */
	FAILS(&f, map_fixed(as, 0, 0x100000, 2 * PG, HU(&f, b + 3), RD),
	      -EFAULT);
	/* writing read-only registered memory */
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, HU(&f, b + 4), RW), -EPERM);
	FAILS(&f, map_fixed(as, 0, 0x100000, 4 * PG, HU(&f, b + 4), WR),
	      -EPERM);
	CHECK_OK(map_fixed(as, 0, 0x100000, 4 * PG, HU(&f, b + 4), RD));
	CHECK_OK(map_fixed(as, 0, 0x200000, 4 * PG, HU(&f, b), RW));
	/* PREREG maps pin nothing */
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	/* one-sided maps need no registration and are not checked */
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x300000, PG, 0x5000000, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x301000, PG, RO_PA, RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	CHECK_EQ(list_regs(f.mm), 2);
	CHECK_EQ(regs_buf[0].mappings, 1);
	CHECK_EQ(regs_buf[1].mappings, 1);
	fx_fini(&f);
}

TEST(as_prereg_uses_lowest_then_shortest_registration)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	const uint64_t b = R1_OFF;

	fx_init(&f, 0);
	as = prereg_space(&f, 0);
	CHECK_OK(reg(&f, 0, HU(&f, b), 8 * PG, 0));     /* A */
	CHECK_OK(reg(&f, 0, HU(&f, b), 4 * PG, 0));     /* B */
	CHECK_OK(reg(&f, 0, HU(&f, b + 2), 4 * PG, 0)); /* C */
	CHECK_OK(reg(&f, 0, HU(&f, b + 1), 2 * PG, 0)); /* D */
	/* page b+2 is in all four: lowest uaddr (A, B), then shortest: B */
	CHECK_OK(map_fixed(as, 0, 0x100000, PG, HU(&f, b + 2), RW));
	/* page b+5 is in A and C: A */
	CHECK_OK(map_fixed(as, 0, 0x200000, PG, HU(&f, b + 5), RW));
	CHECK_EQ(list_regs(f.mm), 4);
	/* uaddr order; B and A share a uaddr, so find them by length */
	for (size_t i = 0; i < 4; i++) {
		const struct ioas_reg_info *ri = &regs_buf[i];

		if (ri->uaddr == HU(&f, b) && ri->length == 8 * PG)
			CHECK_EQ(ri->mappings, 1);
		else if (ri->uaddr == HU(&f, b))
			CHECK_EQ(ri->mappings, 1);
		else
			CHECK_EQ(ri->mappings, 0);
	}
	CHECK_EQ(regs_buf[3].uaddr, HU(&f, b + 2));
	/* held busy until unmapped */
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b), 4 * PG), -EBUSY);
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b), 8 * PG), -EBUSY);
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b + 1), 2 * PG));
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b + 2), 4 * PG));
	CHECK_OK(ioas_as_unmap(as, 0x100000, 0x100fff, NULL));
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b), 4 * PG));
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b), 8 * PG), -EBUSY);
	fx_fini(&f);
}

TEST(as_prereg_readonly_choice_follows_rule)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	const uint64_t b = R1_OFF;

	/* The map uses the lowest-uaddr, then shortest, registration; when
	 * that one is READONLY a write map is EPERM even though a longer
	 * writable registration also contains the range. */
	fx_init(&f, 0);
	as = prereg_space(&f, 0);
	CHECK_OK(reg(&f, 0, HU(&f, b), 8 * PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_READONLY, HU(&f, b), 4 * PG, 0));
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, HU(&f, b), RW), -EPERM);
	/* past the READONLY one, the writable one is the only container */
	CHECK_OK(map_fixed(as, 0, 0x100000, PG, HU(&f, b + 4), RW));
	fx_fini(&f);
}

/* ==== pinning =========================================================== */

TEST(as_pin_on_map_charges_and_unpins)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as, *pre;
	uint64_t u;

	fx_init(&f, 8 * PG);
	u = HU(&f, R1_OFF);
	as = space(&f, 0, FULL, PINMAP, 0, 0, 0, 0);
	CHECK_OK(map_fixed(as, 0, 0x100000, 4 * PG, u, RW)); /* pages 0-3 */
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 4 * PG);
	CHECK_EQ(ioas_mm_pinned_bytes(f.mm), 4 * PG);
	CHECK_OK(map_fixed(as, 0, 0x200000, 4 * PG, u + 2 * PG, RW)); /* 2-5 */
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 6 * PG);
	/* a registration of pages 4-7: only 6, 7 are new */
	CHECK_OK(reg(&f, 0, u + 4 * PG, 4 * PG, 0));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	FAILS(&f, map_fixed(as, 0, 0x300000, PG, u + 8 * PG, RW), -ENOMEM);
	FAILS(&f, map_fixed(as, 0, 0x300000, 4 * PG, u + 6 * PG, RW), -ENOMEM);
	/* pinned already (registered): nothing new */
	CHECK_OK(map_fixed(as, 0, 0x300000, 2 * PG, u + 6 * PG, RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	/* PREREG maps of the same registry pin nothing */
	pre = prereg_space(&f, 1);
	CHECK_OK(map_fixed(pre, 0, 0x100000, 4 * PG, u + 4 * PG, RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	CHECK_OK(ioas_as_unmap(pre, 0x100000, 0x103fff, NULL));
	/* unmap unpins what nothing else holds: pages 0, 1 */
	CHECK_OK(ioas_as_unmap(as, 0x100000, 0x103fff, NULL));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 6 * PG);
	CHECK_OK(ioas_mm_unregister(f.mm, u + 4 * PG, 4 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 6 * PG);
	CHECK_OK(ioas_as_unmap(as, 0x200000, 0x203fff, NULL));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 2 * PG);
	CHECK_EQ(ioas_as_unmap_all(as), 2 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	CHECK_EQ(ioas_mm_pinned_bytes(f.mm), 0);
	fx_fini(&f);
}

TEST(as_pin_on_map_backing_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PINMAP, 0, 0, 0, 0);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, HU(&f, 0), RW), -EFAULT);
	FAILS(&f, map_fixed(as, 0, 0x100000, 2 * PG, HU(&f, R1_OFF - 1), RW),
	      -EFAULT);
	FAILS(&f, map_fixed(as, 0, 0x100000, 2 * PG, HU(&f, RO_OFF + RO_N - 1),
			    RD), -EFAULT);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, HU(&f, RO_OFF), RW), -EPERM);
	FAILS(&f, map_fixed(as, 0, 0x100000, PG, HU(&f, RO_OFF), WR), -EPERM);
	FAILS(&f, map_fixed(as, 0, 0x100000, 2 * PG, HU(&f, RO_OFF - 1), RW),
	      -EPERM);
	CHECK_OK(map_fixed(as, 0, 0x100000, 2 * PG, HU(&f, RO_OFF - 1), RD));
	/* several regions in one map */
	CHECK_OK(map_fixed(as, 0, 0x200000, 4 * PG,
			   HU(&f, R1_OFF + R1_N - 2), RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 6 * PG);
	fx_fini(&f);
}

TEST(as_map_phys_charges_nothing)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *pin, *pre;
	uint64_t pa = 0;
	uint32_t prot = 0;

	fx_init(&f, PG);
	pin = space(&f, 0, FULL, PINMAP, 0, 0, 0, 0);
	pre = space(&f, 1, FULL, PREREG, 0, 0, 0, 0);
	CHECK_OK(map_fixed(pin, IOAS_MAP_PHYS, 0x100000, 16 * PG, R1_PA, RW));
	CHECK_OK(map_fixed(pre, IOAS_MAP_PHYS, 0x100000, 16 * PG, 0x5000000,
			   RW));
	CHECK_OK(map_fixed(pin, IOAS_MAP_PHYS, 0x200000, PG, RO_PA, RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	CHECK_EQ(ioas_mm_pinned_bytes(f.mm), 0);
	CHECK_EQ(list_maps(pin, 0, UINT64_MAX), 2);
	MAP_IS(maps_buf[0], 0x100000, 0x10ffff, R1_PA, RW, IOAS_MAP_PHYS);
	MAP_IS(maps_buf[1], 0x200000, 0x200fff, RO_PA, RW, IOAS_MAP_PHYS);
	CHECK_EQ(ioas_as_lookup(pin, 0x101234, &pa, &prot), 16 * PG - 0x1234);
	CHECK_EQ(pa, R1_PA + 0x1234);
	CHECK_EQ(prot, RW);
	/* the whole (one-page) limit is still free */
	CHECK_OK(map_fixed(pin, 0, 0x300000, PG, HU(&f, R1_OFF), RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), PG);
	FAILS(&f, map_fixed(pin, 0, 0x301000, PG, HU(&f, R1_OFF + 1), RW),
	      -ENOMEM);
	CHECK_EQ(ioas_as_unmap_all(pin), 18 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	fx_fini(&f);
}

/* ==== IOVA allocation =================================================== */

TEST(as_alloc_never_iova_zero)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *full, *ex;
	uint64_t iova = 0;

	fx_init(&f, 0);
	full = space(&f, 0, FULL, PREREG, 0, 0, 0xfffff, 0);
	/* candidate [1, 0xfffff]: the lowest page multiple in it is 0x1000 */
	CHECK_OK(map_alloc(full, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x1000);
	ex = space(&f, 1, EXPL, PREREG, 0, 0, 0, 0);
	CHECK_OK(window(ex, 0, 0x10000, PG));
	CHECK_OK(map_alloc(ex, IOAS_MAP_PHYS, 2 * PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x2000);
	CHECK_OK(map_alloc(ex, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x1000);
	/* fill the window: page 0 is never handed out */
	for (uint64_t i = 4; i < 16; i++) {
		CHECK_OK(map_alloc(ex, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW,
				   &iova));
		CHECK_EQ(iova, i * PG);
	}
	FAILS(&f, map_alloc(ex, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova),
	      -ENOSPC);
	CHECK_OK(map_fixed(ex, IOAS_MAP_PHYS, 0, PG, PA_ALIGNED, RW));
	fx_fini(&f);
}

TEST(as_alloc_alignment_from_size_and_addr)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	uint64_t iova = 0;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PREREG, 0, 0, 0xffffff, 0);
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x1000);
	/* 0x3000: align 0x2000; addr 0 does not lower it. Holes [1,0xfff]
	 * and [0x2000, ...]: the second surely fits */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x3000, 0, RW, &iova));
	CHECK_EQ(iova, 0x2000);
	/* 0x10000: align 0x10000; hole [0x5000, ...] -> 0x10000 */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x10000, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x10000);
	/* 0x8000 at an addr with bit 12 set: align lowered to 0x1000, and
	 * hole [0x5000, 0xffff] (0xb000 >= 0x8fff) takes it at 0x5000; with
	 * align 0x8000 it would have gone to 0x20000 */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x8000, PA_ALIGNED + PG, RW,
			   &iova));
	CHECK_EQ(iova, 0x5000);
	/* holes now [1,0xfff], [0xd000,0xffff], [0x20000, ...].
	 * 0x3000 (align 0x2000) needs a hole of 0x4fff to surely fit */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x3000, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x20000);
	/* 0x2000 (align 0x2000) would fit exactly at 0xe000, but the first
	 * hole that surely fits (>= 0x3fff) is [0x23000, ...]: 0x24000 */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x2000, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x24000);
	/* 0x4000 at an addr whose lowest set bit is 0x2000: align 0x2000,
	 * needs 0x5fff: [0x26000, ...] */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x4000, PA_ALIGNED + 0x2000, RW,
			   &iova));
	CHECK_EQ(iova, 0x26000);
	fx_fini(&f);
}

TEST(as_alloc_sure_fit_then_exact_fit)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	uint64_t iova = 0;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PREREG, 0, 0, 0xfffff, 0);
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0, PG, PA_ALIGNED, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x2000, 0xe000, PA_ALIGNED, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x20000, 0xe0000, PA_ALIGNED,
			   RW));
	/* holes [0x1000,0x1fff] and [0x10000,0x1ffff]: one page surely fits
	 * only in the second (needs 0x1fff) */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x10000);
	/* holes [0x1000,0x1fff], [0x11000,0x1ffff]: 0x10000 aligned 0x10000
	 * fits nowhere */
	FAILS(&f, map_alloc(as, IOAS_MAP_PHYS, 0x10000, PA_ALIGNED, RW, &iova),
	      -ENOSPC);
	/* 0xf000 lowered to align 0x1000: no sure fit (needs 0xffff), exact
	 * fit at 0x11000 */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0xf000, PA_ALIGNED + PG, RW,
			   &iova));
	CHECK_EQ(iova, 0x11000);
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x1000);
	FAILS(&f, map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova),
	      -ENOSPC);
	query(as, &qa);
	CHECK_EQ(qa.info.mapped_bytes, 0x100000);
	fx_fini(&f);
}

TEST(as_alloc_enospc_when_full)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	uint64_t iova = 0;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PREREG, 0, 0, 0x7fff, 0);
	for (uint64_t i = 1; i < 8; i++) {
		CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW,
				   &iova));
		CHECK_EQ(iova, i * PG);
	}
	FAILS(&f, map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova),
	      -ENOSPC);
	CHECK_OK(ioas_as_unmap(as, 0x3000, 0x4fff, NULL));
	FAILS(&f, map_alloc(as, IOAS_MAP_PHYS, 0x3000, PA_ALIGNED, RW, &iova),
	      -ENOSPC);
	/* holes [1,0xfff], [0x3000,0x4fff]: 0x2000 aligned 0x2000 fits in
	 * neither; lowered to 0x1000 by addr it fits exactly at 0x3000 */
	FAILS(&f, map_alloc(as, IOAS_MAP_PHYS, 0x2000, PA_ALIGNED, RW, &iova),
	      -ENOSPC);
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x2000, PA_ALIGNED + PG, RW,
			   &iova));
	CHECK_EQ(iova, 0x3000);
	fx_fini(&f);
}

TEST(as_alloc_inside_windows_by_page_size)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	uint64_t iova = 0;

	fx_init(&f, 0);
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 4);
	CHECK_OK(window(as, 0x100000, 0x10000, 0x10000));
	CHECK_OK(window(as, 0x200000, 0x20000, PG));
	/* one page: 64 KiB does not divide it, so only the 4 KiB window */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x200000);
	/* 64 KiB at a 64 KiB addr: the lower window qualifies and wins */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x10000, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x100000);
	/* lower window full: the 4 KiB one, aligned 0x10000 (exact fit) */
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x10000, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x210000);
	CHECK_OK(ioas_as_unmap(as, 0x100000, 0x10ffff, NULL));
	/* addr only 4 KiB aligned: the 64 KiB window is no candidate */
	FAILS(&f, map_alloc(as, IOAS_MAP_PHYS, 0x10000, PA_ALIGNED + PG, RW,
			    &iova), -ENOSPC);
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, 0x8000, PA_ALIGNED + PG, RW,
			   &iova));
	CHECK_EQ(iova, 0x201000);
	/* never outside the windows */
	CHECK_EQ(list_maps(as, 0, UINT64_MAX), 3);
	for (size_t i = 0; i < 3; i++)
		CHECK(maps_buf[i].iova >= 0x200000 &&
		      maps_buf[i].last <= 0x21ffff);
	fx_fini(&f);
}

TEST(as_alloc_skips_reserved)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	uint64_t iova = 0;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PREREG, 0, 0, 0xfffff, 0);
	CHECK_OK(ioas_as_reserve(as, 0x1000, 0x4fff));
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x5000);
	/* byte-granular reservation: the candidate starts mid-page */
	CHECK_OK(ioas_as_reserve(as, 0x6000, 0x6800));
	CHECK_OK(map_alloc(as, IOAS_MAP_PHYS, PG, PA_ALIGNED, RW, &iova));
	CHECK_EQ(iova, 0x7000);
	fx_fini(&f);
}

/* ==== unmap ============================================================= */

TEST(as_unmap_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	uint64_t n = 0;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PREREG, 0, 0, 0, 0);
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x10000, PG, R1_PA, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x11000, 2 * PG, R1_PA, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x20000, PG, R1_PA, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, TOP, PG, R1_PA, RW));
	/* partial cover: nothing removed */
	FAILS(&f, ioas_as_unmap(as, 0x10000, 0x11fff, &n), -ENOENT);
	FAILS(&f, ioas_as_unmap(as, 0x10800, 0x10fff, &n), -ENOENT);
	FAILS(&f, ioas_as_unmap(as, 0x10000, 0x20ffe, &n), -ENOENT);
	FAILS(&f, ioas_as_unmap(as, 0x12fff, 0x20fff, &n), -ENOENT);
	FAILS(&f, ioas_as_unmap(as, 0x30000, UINT64_MAX - 1, &n), -ENOENT);
	/* nothing covered */
	FAILS(&f, ioas_as_unmap(as, 0x13000, 0x1ffff, &n), -ENOENT);
	FAILS(&f, ioas_as_unmap(as, 0, 0xffff, &n), -ENOENT);
	FAILS(&f, ioas_as_unmap(as, 0x11000, 0x10000, &n), -EINVAL);
	/* whole cover, with room around */
	CHECK_OK(ioas_as_unmap(as, 0xf000, 0x12fff, &n));
	CHECK_EQ(n, 3 * PG);
	CHECK_EQ(list_maps(as, 0, UINT64_MAX), 2);
	/* [0, UINT64_MAX] takes everything, the top page included */
	CHECK_OK(ioas_as_unmap(as, 0, UINT64_MAX, &n));
	CHECK_EQ(n, 2 * PG);
	query(as, &qa);
	CHECK_EQ(qa.info.mappings, 0);
	CHECK_EQ(qa.info.mapped_bytes, 0);
	FAILS(&f, ioas_as_unmap(as, 0, UINT64_MAX, &n), -ENOENT);
	/* gaps inside the range are fine; unmapped may be NULL */
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x10000, PG, R1_PA, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x30000, PG, R1_PA, RW));
	CHECK_OK(ioas_as_unmap(as, 0x10000, 0x30fff, NULL));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x10000, PG, R1_PA, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x11000, 2 * PG, R1_PA, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, TOP, PG, R1_PA, RW));
	CHECK_EQ(ioas_as_unmap_all(as), 4 * PG);
	CHECK_EQ(ioas_as_unmap_all(as), 0);
	CHECK_EQ(list_maps(as, 0, UINT64_MAX), 0);
	fx_fini(&f);
}

TEST(as_unmap_never_allocates)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	uint64_t n = 0;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PINMAP, 0, 0, 0, 0);
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF + 2), 4 * PG, 0));
	for (uint64_t i = 0; i < 8; i++)
		CHECK_OK(map_fixed(as, 0, 0x100000 + i * 0x10000, 3 * PG,
				   HU(&f, R1_OFF + i), RW));
	ioas_ctx_fail_nth(f.ctx, 1);
	CHECK_OK(ioas_as_unmap(as, 0x120000, 0x14ffff, &n));
	CHECK_EQ(n, 9 * PG);
	CHECK(!ioas_ctx_fail_nth_fired(f.ctx));
	CHECK_EQ(ioas_as_unmap_all(as), 15 * PG);
	CHECK(!ioas_ctx_fail_nth_fired(f.ctx));
	ioas_ctx_fail_nth(f.ctx, 0);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 4 * PG);
	fx_fini(&f);
}

/* Unmapped mappings are kept (at most 64) for the next maps, which then
 * allocate nothing, and still fail when an allocation is made to fail. */
TEST(as_unmapped_mappings_are_reused)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_ctx_stats a, b;
	struct ioas_as *as;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PINMAP, 0, 0, 0, 0);
	for (uint64_t i = 0; i < 100; i++)
		CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x100000 + i * PG, PG,
				   R1_PA, RW));
	ioas_ctx_get_stats(f.ctx, &a);
	CHECK_EQ(ioas_as_unmap_all(as), 100 * PG);
	ioas_ctx_get_stats(f.ctx, &b);
	CHECK_EQ(b.frees - a.frees, 100 - 64);
	for (uint64_t i = 0; i < 64; i++)
		CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x200000 + i * PG, PG,
				   R1_PA, RW));
	ioas_ctx_get_stats(f.ctx, &a);
	CHECK_EQ(a.allocs, b.allocs);
	CHECK_OK(ioas_as_unmap(as, 0x200000, 0x200fff, NULL));
	ioas_ctx_fail_nth(f.ctx, 1);
	FAILS(&f, map_fixed(as, IOAS_MAP_PHYS, 0x300000, PG, R1_PA, RW),
	      -ENOMEM);
	CHECK(ioas_ctx_fail_nth_fired(f.ctx));
	ioas_ctx_fail_nth(f.ctx, 0);
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x300000, PG, R1_PA, RW));
	ioas_ctx_get_stats(f.ctx, &b);
	CHECK_EQ(b.allocs, a.allocs);
	CHECK_EQ(list_maps(as, 0, UINT64_MAX), 64);
	fx_fini(&f);
}

/* ==== copy ============================================================== */

TEST(as_copy_shares_registration)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *s, *d;
	uint64_t u;

	fx_init(&f, 0);
	u = HU(&f, R1_OFF);
	s = prereg_space(&f, 0);
	d = prereg_space(&f, 1);
	CHECK_OK(reg(&f, 0, u, 8 * PG, 0));
	CHECK_OK(map_fixed(s, 0, 0x10000, 4 * PG, u, RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	CHECK_OK(copy_fixed(d, s, RW, 0x50000, 0x10000, 4 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	CHECK_EQ(ioas_mm_pinned_bytes(f.mm), 8 * PG);
	CHECK_EQ(list_regs(f.mm), 1);
	CHECK_EQ(regs_buf[0].mappings, 2);
	CHECK_EQ(list_maps(d, 0, UINT64_MAX), 1);
	MAP_IS(maps_buf[0], 0x50000, 0x53fff, u, RW, 0);
	FAILS(&f, ioas_mm_unregister(f.mm, u, 8 * PG), -EBUSY);
	CHECK_OK(ioas_as_unmap(s, 0x10000, 0x13fff, NULL));
	FAILS(&f, ioas_mm_unregister(f.mm, u, 8 * PG), -EBUSY);
	CHECK_OK(ioas_as_unmap(d, 0x50000, 0x53fff, NULL));
	CHECK_OK(ioas_mm_unregister(f.mm, u, 8 * PG));
	fx_fini(&f);
}

TEST(as_copy_partial_source_and_pieces)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *s, *d;
	const uint64_t b = R1_OFF;
	uint64_t pa = 0;
	uint32_t prot = 0;

	fx_init(&f, 0);
	s = prereg_space(&f, 0);
	d = prereg_space(&f, 1);
	CHECK_OK(reg(&f, 0, HU(&f, b), 4 * PG, 0));
	CHECK_OK(reg(&f, 0, HU(&f, b + 8), 4 * PG, 0));
	CHECK_OK(map_fixed(s, 0, 0x10000, 2 * PG, HU(&f, b), RW));
	CHECK_OK(map_fixed(s, 0, 0x12000, 2 * PG, HU(&f, b + 8), RW));
	/* starts inside the first mapping, ends inside the second */
	CHECK_OK(copy_fixed(d, s, RD, 0x80000, 0x11000, 2 * PG));
	CHECK_EQ(list_maps(d, 0, UINT64_MAX), 2);
	MAP_IS(maps_buf[0], 0x80000, 0x80fff, HU(&f, b + 1), RD, 0);
	MAP_IS(maps_buf[1], 0x81000, 0x81fff, HU(&f, b + 8), RD, 0);
	CHECK_EQ(ioas_as_lookup(d, 0x80010, &pa, &prot), PG - 0x10);
	CHECK_EQ(pa, R1_PA + PG + 0x10);
	CHECK_EQ(prot, RD);
	/* the whole source: one piece per source mapping */
	CHECK_OK(copy_fixed(d, s, RW, 0x90000, 0x10000, 4 * PG));
	CHECK_EQ(list_maps(d, 0x90000, 0x9ffff), 2);
	MAP_IS(maps_buf[0], 0x90000, 0x91fff, HU(&f, b), RW, 0);
	MAP_IS(maps_buf[1], 0x92000, 0x93fff, HU(&f, b + 8), RW, 0);
	CHECK_EQ(list_regs(f.mm), 2);
	CHECK_EQ(regs_buf[0].mappings, 3);
	CHECK_EQ(regs_buf[1].mappings, 3);
	/* copying within one space */
	CHECK_OK(copy_fixed(s, s, RW, 0x20000, 0x10000, PG));
	CHECK_EQ(list_maps(s, 0x20000, 0x20000), 1);
	MAP_IS(maps_buf[0], 0x20000, 0x20fff, HU(&f, b), RW, 0);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	fx_fini(&f);
}

TEST(as_copy_error_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *s, *d, *x;
	struct ioas_copy c;
	struct ioas_window w = { .size = sizeof(w), .base = 0,
				 .length = 16ull << 20, .pgsize_bitmap = PG };
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = EXPL,
				     .pin_mode = PREREG };
	const uint64_t b = R1_OFF;
	uint64_t iova = 0;

	fx_init(&f, 0);
	s = prereg_space(&f, 0);
	d = prereg_space(&f, 1);
	CHECK_OK(ioas_mm_create(f.ctx, f.phys, &f.mm2));
	CHECK_OK(ioas_as_create(f.mm2, &ac, &f.as[2]));
	x = f.as[2];
	CHECK_OK(ioas_as_window_create(x, &w));
	CHECK_OK(reg(&f, 0, HU(&f, b), 8 * PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_READONLY, HU(&f, RO_OFF), 4 * PG, 0));
	CHECK_OK(map_fixed(s, 0, 0x10000, 2 * PG, HU(&f, b), RW));
	CHECK_OK(map_fixed(s, 0, 0x14000, 2 * PG, HU(&f, b + 4), RW));
	CHECK_OK(map_fixed(s, 0, 0x20000, PG, HU(&f, RO_OFF), RD));
	CHECK_OK(map_fixed(x, IOAS_MAP_PHYS, 0x10000, PG, R1_PA, RW));
	/* different registries */
	FAILS(&f, copy_fixed(x, s, RD, 0x50000, 0x10000, PG), -EXDEV);
	FAILS(&f, copy_fixed(d, x, RD, 0x50000, 0x10000, PG), -EXDEV);
	/* holes in the source */
	FAILS(&f, copy_fixed(d, s, RD, 0x50000, 0x10000, 6 * PG), -ENOENT);
	FAILS(&f, copy_fixed(d, s, RD, 0x50000, 0x11000, 2 * PG), -ENOENT);
	FAILS(&f, copy_fixed(d, s, RD, 0x50000, 0x30000, PG), -ENOENT);
	FAILS(&f, copy_fixed(d, s, RD, 0x50000, 0xf000, 2 * PG), -ENOENT);
	/* read-only source memory */
	FAILS(&f, copy_fixed(d, s, RW, 0x50000, 0x20000, PG), -EPERM);
	FAILS(&f, copy_fixed(d, s, WR, 0x50000, 0x20000, PG), -EPERM);
	/* destination rules as for a map */
	FAILS(&f, copy_fixed(d, s, RD, 0x50000, 0x10000, 0), -EINVAL);
	FAILS(&f, copy_fixed(d, s, 0, 0x50000, 0x10000, PG), -EINVAL);
	FAILS(&f, copy_fixed(d, s, RD, 0x50800, 0x10000, PG), -EINVAL);
	FAILS(&f, copy_fixed(d, s, RD, 0x1000000, 0x10000, PG), -EINVAL);
	FAILS(&f, copy_fixed(d, s, RD, 0xfff000, 0x10000, 2 * PG), -EINVAL);
	FAILS(&f, copy_fixed(d, s, RD | (1u << 6), 0x50000, 0x10000, PG),
	      -EOPNOTSUPP);
	CHECK_OK(ioas_as_reserve(d, 0x60000, 0x60fff));
	FAILS(&f, copy_fixed(d, s, RD, 0x5f000, 0x10000, 2 * PG), -EINVAL);
	CHECK_OK(copy_fixed(d, s, RD, 0x50000, 0x20000, PG));
	FAILS(&f, copy_fixed(d, s, RD, 0x50000, 0x10000, PG), -EEXIST);
	FAILS(&f, copy_fixed(d, s, RD, 0x4f000, 0x10000, 2 * PG), -EEXIST);
	/* within one space the source itself is in the way */
	FAILS(&f, copy_fixed(s, s, RD, 0x11000, 0x10000, PG), -EEXIST);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = IOAS_MAP_FIXED_IOVA;
	c.prot = RD;
	c.dst_iova = 0x70000;
	c.src_iova = 0x10000;
	c.length = PG;
	c.reserved = 1;
	FAILS(&f, ioas_as_copy(d, s, &c), -EINVAL);
	c.reserved = 0;
	c.flags |= 1u << 7;
	FAILS(&f, ioas_as_copy(d, s, &c), -EOPNOTSUPP);
	c.flags = IOAS_MAP_FIXED_IOVA;
	c.size = 4;
	FAILS(&f, ioas_as_copy(d, s, &c), -EINVAL);
	c.size = sizeof(c);
	CHECK_OK(ioas_as_copy(d, s, &c));
	/* allocated destination, written back */
	/* align 0x2000 (length; addr and src_iova are 0x4000 aligned): the
	 * lowest hole [1, 0x4ffff] surely fits -> 0x2000 */
	CHECK_OK(copy_alloc(d, s, RW, 0x14000, 2 * PG, &iova));
	CHECK_EQ(iova, 0x2000);
	CHECK_EQ(list_maps(d, iova, iova), 1);
	MAP_IS(maps_buf[0], iova, iova + 2 * PG - 1, HU(&f, b + 4), RW, 0);
	fx_fini(&f);
}

TEST(as_copy_alloc_policy)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *s, *d;
	uint64_t iova = 0;

	/* src_iova and the backing address are both 64 KiB aligned, so the
	 * alignment is pow2(length) = 0x4000 whichever addr is meant */
	fx_init(&f, 0);
	s = space(&f, 0, FULL, PREREG, 0, 0, 0, 0);
	d = space(&f, 1, FULL, PREREG, 0, 0, 0xfffff, 0);
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF), 8 * PG, 0));
	CHECK_OK(map_fixed(s, 0, 0x40000, 4 * PG, HU(&f, R1_OFF), RW));
	CHECK_OK(copy_alloc(d, s, RW, 0x40000, 4 * PG, &iova));
	CHECK_EQ(iova, 0x4000);
	CHECK_OK(copy_alloc(d, s, RW, 0x40000, 4 * PG, &iova));
	CHECK_EQ(iova, 0x8000);
	fx_fini(&f);
}

TEST(as_copy_pin_on_map_shares_pins)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *s, *d;
	uint64_t u, iova = 0;

	fx_init(&f, 4 * PG);
	u = HU(&f, R1_OFF);
	s = space(&f, 0, FULL, PINMAP, 0, 0, 0, 0);
	d = space(&f, 1, FULL, PINMAP, 0, 0, 0, 0);
	CHECK_OK(map_fixed(s, 0, 0x10000, 4 * PG, u, RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 4 * PG);
	/* at the limit, and the copy charges nothing */
	CHECK_OK(copy_fixed(d, s, RW, 0x50000, 0x10000, 4 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 4 * PG);
	CHECK_OK(ioas_as_unmap(s, 0x10000, 0x13fff, NULL));
	/* d still holds the pins */
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 4 * PG);
	FAILS(&f, ioas_phys_remove(f.phys, R1_PA), -EBUSY);
	CHECK_OK(ioas_as_unmap(d, 0x50000, 0x53fff, NULL));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	/* one-sided source: the copy is one-sided too */
	CHECK_OK(map_fixed(s, IOAS_MAP_PHYS, 0x30000, 2 * PG, OWN_PA, RW));
	CHECK_OK(copy_alloc(d, s, RD, 0x31000, PG, &iova));
	CHECK_EQ(list_maps(d, 0, UINT64_MAX), 1);
	MAP_IS(maps_buf[0], iova, iova + PG - 1, OWN_PA + PG, RD,
	       IOAS_MAP_PHYS);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	fx_fini(&f);
}

/* ==== lookup and iteration ============================================== */

TEST(as_lookup_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *s, *p;
	uint64_t pa = 0;
	uint32_t prot = 0;
	const uint64_t b = R1_OFF + R1_N - 4;

	fx_init(&f, 0);
	s = space(&f, 0, FULL, PREREG, 0, 0, 0, 0);
	p = space(&f, 1, FULL, PINMAP, 0, 0, 0, 0);
	CHECK_OK(reg(&f, 0, HU(&f, b), 8 * PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, 4 * PG, OWN_PA));
	/* a resolved mapping over R1 -> R2 (not physically contiguous) */
	CHECK_OK(map_fixed(s, 0, 0x100000, 8 * PG, HU(&f, b), RW));
	CHECK_EQ(ioas_as_lookup(s, 0x100000, &pa, &prot), 4 * PG);
	CHECK_EQ(pa, R1_PA + (R1_N - 4) * PG);
	CHECK_EQ(prot, RW);
	CHECK_EQ(ioas_as_lookup(s, 0x101234, &pa, &prot), 3 * PG - 0x234);
	CHECK_EQ(pa, R1_PA + (R1_N - 3) * PG + 0x234);
	CHECK_EQ(ioas_as_lookup(s, 0x104000, &pa, &prot), 4 * PG);
	CHECK_EQ(pa, R2_PA);
	CHECK_EQ(ioas_as_lookup(s, 0x107fff, &pa, &prot), 1);
	CHECK_EQ(pa, R2_PA + 4 * PG - 1);
	/* linear */
	CHECK_OK(map_fixed(s, 0, 0x200000, 4 * PG, LU, RD));
	CHECK_EQ(ioas_as_lookup(s, 0x200800, &pa, &prot), 4 * PG - 0x800);
	CHECK_EQ(pa, OWN_PA + 0x800);
	CHECK_EQ(prot, RD);
	/* pin-on-map over R2 -> RO (contiguous in both) */
	CHECK_OK(map_fixed(p, 0, 0x300000, 4 * PG, HU(&f, R2_OFF + R2_N - 2),
			   RD));
	CHECK_EQ(ioas_as_lookup(p, 0x300000, &pa, &prot), 4 * PG);
	CHECK_EQ(pa, R2_PA + (R2_N - 2) * PG);
	CHECK_ERR(ioas_as_lookup(s, 0x108000, &pa, &prot), -ENOENT);
	CHECK_ERR(ioas_as_lookup(s, 0xfffff, &pa, &prot), -ENOENT);
	CHECK_ERR(ioas_as_lookup(s, 0, &pa, &prot), -ENOENT);
	CHECK_ERR(ioas_as_lookup(p, 0x100000, &pa, &prot), -ENOENT);
	fx_fini(&f);
}

static int stop_after_two(void *opaque, const struct ioas_mapping_info *m)
{
	int *n = opaque;

	(void)m;
	return ++*n == 2 ? 9 : 0;
}

TEST(as_for_each_ranges)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	int n = 0;

	fx_init(&f, 0);
	as = space(&f, 0, FULL, PREREG, 0, 0, 0, 0);
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x20000, PG, OWN_PA, RD));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x10000, PG, R1_PA, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x12000, 2 * PG, R2_PA, WR));
	CHECK_EQ(list_maps(as, 0, UINT64_MAX), 3);
	MAP_IS(maps_buf[0], 0x10000, 0x10fff, R1_PA, RW, IOAS_MAP_PHYS);
	MAP_IS(maps_buf[1], 0x12000, 0x13fff, R2_PA, WR, IOAS_MAP_PHYS);
	MAP_IS(maps_buf[2], 0x20000, 0x20fff, OWN_PA, RD, IOAS_MAP_PHYS);
	CHECK_EQ(list_maps(as, 0x10fff, 0x12000), 2);
	CHECK_EQ(maps_buf[0].iova, 0x10000);
	CHECK_EQ(maps_buf[1].iova, 0x12000);
	CHECK_EQ(list_maps(as, 0x11000, 0x11fff), 0);
	CHECK_EQ(list_maps(as, 0x13fff, 0x13fff), 1);
	CHECK_EQ(maps_buf[0].iova, 0x12000);
	CHECK_EQ(list_maps(as, 0x20fff, UINT64_MAX), 1);
	CHECK_EQ(ioas_as_for_each(as, 0, UINT64_MAX, stop_after_two, &n), 9);
	CHECK_EQ(n, 2);
	fx_fini(&f);
}

TEST(as_destroy_releases_everything)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *s, *p;

	fx_init(&f, 0);
	s = prereg_space(&f, 0);
	p = space(&f, 1, FULL, PINMAP, 0, 0, 0, 0);
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF), 4 * PG, 0));
	CHECK_OK(map_fixed(s, 0, 0x10000, 4 * PG, HU(&f, R1_OFF), RW));
	CHECK_OK(map_fixed(p, 0, 0x10000, 4 * PG, HU(&f, R2_OFF), RW));
	CHECK_OK(copy_fixed(p, s, RW, 0x20000, 0x10000, 4 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	ioas_as_destroy(s);
	f.as[0] = NULL;
	CHECK_EQ(list_regs(f.mm), 1);
	CHECK_EQ(regs_buf[0].mappings, 1); /* p's copy still uses it */
	ioas_as_destroy(p);
	f.as[1] = NULL;
	CHECK_EQ(list_regs(f.mm), 1);
	CHECK_EQ(regs_buf[0].mappings, 0);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 4 * PG);
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, R1_OFF), 4 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	fx_fini(&f);
}

TEST(as_copy_dst_must_lie_inside_one_window)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;

	/* "otherwise as ioas_as_map for the destination": the destination
	 * range may not cross a window edge, even between adjacent windows
	 * and even when the pieces would each fit one */
	fx_init(&f, 0);
	as = space(&f, 0, EXPL, PREREG, 0, 0, 0, 0);
	CHECK_OK(window(as, 0x10000, 0x10000, PG));
	CHECK_OK(window(as, 0x20000, 0x10000, PG));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x10000, PG, R1_PA, RW));
	CHECK_OK(map_fixed(as, IOAS_MAP_PHYS, 0x11000, PG, R2_PA, RW));
	FAILS(&f, map_fixed(as, IOAS_MAP_PHYS, 0x1f000, 2 * PG, R1_PA, RW),
	      -EINVAL);
	FAILS(&f, copy_fixed(as, as, RD, 0x1f000, 0x10000, 2 * PG), -EINVAL);
	CHECK_OK(copy_fixed(as, as, RD, 0x1e000, 0x10000, 2 * PG));
	fx_fini(&f);
}
