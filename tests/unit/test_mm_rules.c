/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rules of the context, the physical address space and memory registration,
 * written from include/ioas/{base,ctx,phys,mm}.h: every documented errno,
 * and after every failing call a full snapshot (registrations, address
 * spaces, regions, locked/pinned bytes) must equal the one taken before.
 */
#include "mem_fixture.h"
#include "test.h"

#include <ioas/ioas.h>

/* ==== context =========================================================== */

TEST(ctx_create_defaults)
{
	struct ioas_ctx *ctx;
	struct ioas_ctx_stats st;

	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_EQ(ioas_ctx_page_size(ctx), 4096);
	CHECK_EQ(ioas_ctx_locked_bytes(ctx), 0);
	ioas_ctx_get_stats(ctx, &st);
	CHECK_EQ(st.live_bytes, 0);
	CHECK_EQ(st.failed, 0);
	ioas_ctx_destroy(ctx);
	ioas_ctx_destroy(NULL);
}

TEST(ctx_create_rules)
{
	struct {
		struct ioas_ctx_config c;
		uint64_t tail;
	} big;
	struct ioas_ctx_config c;
	struct ioas_ctx *ctx;
	struct ioas_user *user;
	uint32_t small[] = { 0, 4, 8, sizeof(c) - 4 };

	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.size = small[i];
		CHECK_ERR(ioas_ctx_create(&c, &ctx), -EINVAL);
	}
	memset(&big, 0, sizeof(big));
	big.c.size = sizeof(big);
	big.tail = 1;
	CHECK_ERR(ioas_ctx_create(&big.c, &ctx), -E2BIG);
	big.tail = 0;
	CHECK_OK(ioas_ctx_create(&big.c, &ctx));
	ioas_ctx_destroy(ctx);

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = 1;
	CHECK_ERR(ioas_ctx_create(&c, &ctx), -EOPNOTSUPP);
	c.flags = 0;
	c.reserved = 1;
	CHECK_ERR(ioas_ctx_create(&c, &ctx), -EINVAL);
	c.reserved = 0;
	c.page_size_lg2 = 11;
	CHECK_ERR(ioas_ctx_create(&c, &ctx), -EINVAL);
	c.page_size_lg2 = 31;
	CHECK_ERR(ioas_ctx_create(&c, &ctx), -EINVAL);
	c.page_size_lg2 = 16;
	CHECK_OK(ioas_ctx_create(&c, &ctx));
	CHECK_EQ(ioas_ctx_page_size(ctx), 1ull << 16);
	ioas_ctx_destroy(ctx);
	c.page_size_lg2 = 30;
	CHECK_OK(ioas_ctx_create(&c, &ctx));
	CHECK_EQ(ioas_ctx_page_size(ctx), 1ull << 30);
	ioas_ctx_destroy(ctx);
	c.page_size_lg2 = 0;

	c.account_mode = 2;
	CHECK_ERR(ioas_ctx_create(&c, &ctx), -EINVAL);
	c.account_mode = IOAS_ACCOUNT_USER; /* without a user */
	CHECK_ERR(ioas_ctx_create(&c, &ctx), -EINVAL);
	CHECK_OK(ioas_user_create(0, &user));
	c.user = user;
	c.account_mode = IOAS_ACCOUNT_CTX; /* a user with another mode */
	CHECK_ERR(ioas_ctx_create(&c, &ctx), -EINVAL);
	c.account_mode = IOAS_ACCOUNT_USER;
	CHECK_OK(ioas_ctx_create(&c, &ctx));
	ioas_user_put(user); /* the context keeps it alive */
	CHECK_EQ(ioas_ctx_locked_bytes(ctx), 0);
	ioas_ctx_destroy(ctx);
}

TEST(ctx_fail_nth_one_shot)
{
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_ctx_stats st;

	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK(!ioas_ctx_fail_nth_fired(ctx));
	ioas_ctx_fail_nth(ctx, 1);
	CHECK(!ioas_ctx_fail_nth_fired(ctx));
	CHECK_ERR(ioas_phys_create(ctx, &phys), -ENOMEM);
	CHECK(ioas_ctx_fail_nth_fired(ctx));
	ioas_ctx_get_stats(ctx, &st);
	CHECK_EQ(st.failed, 1);
	CHECK_EQ(st.live_bytes, 0);
	/* one-shot: the next allocation succeeds */
	CHECK_OK(ioas_phys_create(ctx, &phys));
	ioas_phys_destroy(phys);
	/* far away: does not fire */
	ioas_ctx_fail_nth(ctx, 1000);
	CHECK_OK(ioas_phys_create(ctx, &phys));
	CHECK(!ioas_ctx_fail_nth_fired(ctx));
	ioas_ctx_fail_nth(ctx, 0);
	ioas_phys_destroy(phys);
	ioas_ctx_get_stats(ctx, &st);
	CHECK_EQ(st.live_bytes, 0);
	CHECK_EQ(st.allocs, st.frees);
	ioas_ctx_destroy(ctx);
}

/* ==== physical address space ============================================ */

static int phys_add(struct ioas_phys *phys, uint32_t kind, uint32_t flags,
		    uint64_t base, uint64_t length, void *host)
{
	struct ioas_phys_region r = { .size = sizeof(r), .flags = flags,
				      .kind = kind, .base = base,
				      .length = length, .host = host };
	return ioas_phys_add(phys, &r);
}

TEST(phys_add_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct {
		struct ioas_phys_region r;
		uint64_t tail;
	} big;
	struct ioas_phys_region r;
	uint32_t small[] = { 0, 4, 8, sizeof(r) - 4 };
	static uint8_t borrowed[3 * 4096];

	fx_init(&f, 0);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_HOLE, 0, 0x10000000, PG, NULL),
	      -EINVAL);
	FAILS(&f, phys_add(f.phys, 3, 0, 0x10000000, PG, NULL), -EINVAL);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_RAM, 0, 0x10000000, 0, NULL),
	      -EINVAL);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_MMIO, 0, 0x10000000, 0, NULL),
	      -EINVAL);
	/* owned RAM must be page aligned, base and length */
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_RAM, 0, 0x10000800, PG, NULL),
	      -EINVAL);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_RAM, 0, 0x10000000, PG + 1, NULL),
	      -EINVAL);
	/* borrowed RAM and MMIO need not be */
	CHECK_OK(phys_add(f.phys, IOAS_PHYS_RAM, 0, 0x10000800, 100, borrowed));
	CHECK_OK(phys_add(f.phys, IOAS_PHYS_MMIO, 0, 0x10001001, 3, NULL));
	/* reserved */
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.kind = IOAS_PHYS_MMIO;
	r.base = 0x20000000;
	r.length = PG;
	r.reserved = 1;
	FAILS(&f, ioas_phys_add(f.phys, &r), -EINVAL);
	r.reserved = 0;
	r.flags = 1u << 7;
	FAILS(&f, ioas_phys_add(f.phys, &r), -EOPNOTSUPP);
	r.flags = 0;
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		r.size = small[i];
		FAILS(&f, ioas_phys_add(f.phys, &r), -EINVAL);
	}
	memset(&big, 0, sizeof(big));
	big.r = r;
	big.r.size = sizeof(big);
	big.tail = 0xff;
	FAILS(&f, ioas_phys_add(f.phys, &big.r), -E2BIG);
	big.tail = 0;
	CHECK_OK(ioas_phys_add(f.phys, &big.r)); /* zero tail is fine */

	/* overflow */
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_MMIO, 0, UINT64_MAX, 2, NULL),
	      -EOVERFLOW);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_RAM, 0, UINT64_MAX - PG + 1,
			   2 * PG, NULL), -EOVERFLOW);
	/* ending exactly at the top is fine */
	CHECK_OK(phys_add(f.phys, IOAS_PHYS_MMIO, 0, UINT64_MAX - PG + 1, PG,
			  NULL));

	/* overlap with R1 = [R1_PA, R1_PA + 32 pages) in every way */
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_MMIO, 0, R1_PA - PG, 2 * PG, NULL),
	      -EEXIST);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_MMIO, 0, R1_PA + R1_N * PG - 1,
			   PG, NULL), -EEXIST);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_MMIO, 0, R1_PA + PG, PG, NULL),
	      -EEXIST);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_MMIO, 0, R1_PA - PG,
			   (R1_N + 2) * PG, NULL), -EEXIST);
	FAILS(&f, phys_add(f.phys, IOAS_PHYS_RAM, 0, R1_PA, R1_N * PG, NULL),
	      -EEXIST);
	/* adjacent on both sides is fine */
	CHECK_OK(phys_add(f.phys, IOAS_PHYS_MMIO, 0, R1_PA - PG, PG, NULL));
	CHECK_OK(phys_add(f.phys, IOAS_PHYS_RAM, 0, R1_PA + R1_N * PG, PG,
			  NULL));
	fx_fini(&f);
}

TEST(phys_remove_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_phys_info info;

	fx_init(&f, 0);
	FAILS(&f, ioas_phys_remove(f.phys, R1_PA + PG), -ENOENT);
	FAILS(&f, ioas_phys_remove(f.phys, 0x5000000), -ENOENT);
	/* registered memory keeps its region: resolved (R1) and linear (OWN) */
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF + 2), PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, PG, OWN_PA + 3 * PG));
	FAILS(&f, ioas_phys_remove(f.phys, R1_PA), -EBUSY);
	FAILS(&f, ioas_phys_remove(f.phys, OWN_PA), -EBUSY);
	/* other regions are free to go */
	CHECK_OK(ioas_phys_remove(f.phys, OWN2_PA));
	CHECK_OK(ioas_phys_remove(f.phys, MMIO_PA));
	ioas_phys_lookup(f.phys, MMIO_PA, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_HOLE);
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, R1_OFF + 2), PG));
	CHECK_OK(ioas_phys_remove(f.phys, R1_PA));
	FAILS(&f, ioas_phys_remove(f.phys, OWN_PA), -EBUSY);
	CHECK_OK(ioas_mm_unregister(f.mm, LU, PG));
	CHECK_OK(ioas_phys_remove(f.phys, OWN_PA));
	CHECK_ERR(ioas_phys_remove(f.phys, OWN_PA), -ENOENT);
	fx_fini(&f);
}

TEST(phys_lookup_holes_and_regions)
{
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_phys_info info;
	static uint8_t buf[2 * 4096];

	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_OK(ioas_phys_create(ctx, &phys));
	ioas_phys_lookup(phys, 12345, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_HOLE);
	CHECK_EQ(info.range.start, 0);
	CHECK_EQ(info.range.last, UINT64_MAX);

	CHECK_OK(phys_add(phys, IOAS_PHYS_RAM, 0, 0x10000, 0x2000, NULL));
	CHECK_OK(phys_add(phys, IOAS_PHYS_RAM, IOAS_PHYS_F_READONLY, 0x40000,
			  sizeof(buf), buf));
	CHECK_OK(phys_add(phys, IOAS_PHYS_MMIO, 0, 0x42000, 0x1000, NULL));

	ioas_phys_lookup(phys, 0, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_HOLE);
	CHECK_EQ(info.range.start, 0);
	CHECK_EQ(info.range.last, 0xffff);
	ioas_phys_lookup(phys, 0x11fff, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_RAM);
	CHECK_EQ(info.flags, 0);
	CHECK_EQ(info.range.start, 0x10000);
	CHECK_EQ(info.range.last, 0x11fff);
	CHECK(info.host != NULL);
	/* owned RAM is zeroed */
	for (size_t i = 0; i < 0x2000; i++)
		CHECK_EQ(((const uint8_t *)info.host)[i], 0);
	ioas_phys_lookup(phys, 0x12000, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_HOLE);
	CHECK_EQ(info.range.start, 0x12000);
	CHECK_EQ(info.range.last, 0x3ffff);
	/* host is the pointer of range.start, not of pa */
	ioas_phys_lookup(phys, 0x41234, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_RAM);
	CHECK_EQ(info.flags, IOAS_PHYS_F_READONLY);
	CHECK(info.host == (void *)buf);
	ioas_phys_lookup(phys, 0x42fff, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_MMIO);
	CHECK_EQ(info.range.start, 0x42000);
	CHECK_EQ(info.range.last, 0x42fff);
	ioas_phys_lookup(phys, 0x43000, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_HOLE);
	CHECK_EQ(info.range.start, 0x43000);
	CHECK_EQ(info.range.last, UINT64_MAX);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
}

struct mmio_log {
	uint64_t pa;
	size_t len;
	int calls;
};

static int mmio_rd(void *opaque, uint64_t pa, void *buf, size_t len)
{
	struct mmio_log *l = opaque;

	l->pa = pa;
	l->len = len;
	l->calls++;
	memset(buf, 0xab, len);
	return 0;
}

static int mmio_wr(void *opaque, uint64_t pa, const void *buf, size_t len)
{
	struct mmio_log *l = opaque;

	(void)buf;
	l->pa = pa;
	l->len = len;
	l->calls++;
	return 0;
}

TEST(phys_read_write_rules)
{
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	static uint8_t b1[2 * 4096], ro[4096];
	uint8_t buf[3 * 4096], pat[3 * 4096];
	struct mmio_log log = { 0, 0, 0 };
	const struct ioas_mmio_ops rdonly = { mmio_rd, NULL };
	struct ioas_phys_region mr = { .size = sizeof(mr),
				       .kind = IOAS_PHYS_MMIO,
				       .base = 0x50000, .length = 0x1000,
				       .mmio = &rdonly, .mmio_opaque = &log };
	const struct ioas_mmio_ops both = { mmio_rd, mmio_wr };

	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_OK(ioas_phys_create(ctx, &phys));
	/* owned A [0x10000,0x12000), borrowed B adjacent [0x12000,0x14000),
	 * hole, read-only [0x20000, 0x21000) */
	CHECK_OK(phys_add(phys, IOAS_PHYS_RAM, 0, 0x10000, 0x2000, NULL));
	CHECK_OK(phys_add(phys, IOAS_PHYS_RAM, 0, 0x12000, sizeof(b1), b1));
	memset(ro, 0x77, sizeof(ro));
	CHECK_OK(phys_add(phys, IOAS_PHYS_RAM, IOAS_PHYS_F_READONLY, 0x20000,
			  sizeof(ro), ro));
	CHECK_OK(ioas_phys_add(phys, &mr));
	mr.base = 0x60000;
	mr.mmio = NULL;
	CHECK_OK(ioas_phys_add(phys, &mr));
	mr.base = 0x70000;
	mr.mmio = &both;
	CHECK_OK(ioas_phys_add(phys, &mr));

	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 1);
	/* spans the two adjacent RAM regions */
	CHECK_OK(ioas_phys_write(phys, 0x11800, pat, 0x1000));
	CHECK_EQ(b1[0x7ff], pat[0xfff]);
	memset(buf, 0, sizeof(buf));
	CHECK_OK(ioas_phys_read(phys, 0x11800, buf, 0x1000));
	CHECK(!memcmp(buf, pat, 0x1000));
	/* len 0 succeeds anywhere */
	CHECK_OK(ioas_phys_read(phys, 0x90000000, buf, 0));
	CHECK_OK(ioas_phys_write(phys, 0x90000000, buf, 0));
	/* a byte in the hole: nothing moves either way */
	memset(buf, 0x5a, sizeof(buf));
	CHECK_ERR(ioas_phys_read(phys, 0x13000, buf, 0x1001), -EFAULT);
	for (size_t i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0x5a);
	CHECK_ERR(ioas_phys_write(phys, 0x13800, pat, 0x1000), -EFAULT);
	CHECK_EQ(b1[0x1800], 0);
	CHECK_ERR(ioas_phys_read(phys, 0xffff, buf, 2), -EFAULT);
	/* overflow */
	CHECK_ERR(ioas_phys_read(phys, UINT64_MAX, buf, 2), -EOVERFLOW);
	CHECK_ERR(ioas_phys_write(phys, UINT64_MAX - 1, pat, 3), -EOVERFLOW);
	/* read-only RAM: reads fine, writes EACCES and write nothing */
	CHECK_OK(ioas_phys_read(phys, 0x20000, buf, 16));
	CHECK_EQ(buf[15], 0x77);
	CHECK_ERR(ioas_phys_write(phys, 0x20000, pat, 1), -EACCES);
	CHECK_EQ(ro[0], 0x77);
	/* MMIO: callbacks get the absolute pa */
	CHECK_OK(ioas_phys_read(phys, 0x50010, buf, 8));
	CHECK_EQ(log.pa, 0x50010);
	CHECK_EQ(log.len, 8);
	CHECK_EQ(buf[7], 0xab);
	CHECK_ERR(ioas_phys_write(phys, 0x50010, pat, 8), -EFAULT);
	CHECK_ERR(ioas_phys_read(phys, 0x60000, buf, 8), -EFAULT);
	CHECK_ERR(ioas_phys_write(phys, 0x60000, pat, 8), -EFAULT);
	log.calls = 0;
	CHECK_OK(ioas_phys_write(phys, 0x70ff8, pat, 8));
	CHECK_EQ(log.calls, 1);
	CHECK_EQ(log.pa, 0x70ff8);
	/* the MMIO byte past the region is a hole: no callback runs */
	log.calls = 0;
	CHECK_ERR(ioas_phys_write(phys, 0x70ff8, pat, 9), -EFAULT);
	CHECK_EQ(log.calls, 0);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
}

TEST(phys_ptr_rules)
{
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	static uint8_t b1[2 * 4096];
	void *p = NULL;

	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_OK(ioas_phys_create(ctx, &phys));
	CHECK_OK(phys_add(phys, IOAS_PHYS_RAM, 0, 0x10000, 0x2000, NULL));
	CHECK_OK(phys_add(phys, IOAS_PHYS_RAM, 0, 0x12000, sizeof(b1), b1));
	CHECK_OK(phys_add(phys, IOAS_PHYS_MMIO, 0, 0x14000, 0x1000, NULL));
	CHECK_OK(ioas_phys_ptr(phys, 0x12010, 0x13fff, &p));
	CHECK(p == (void *)(b1 + 0x10));
	CHECK_OK(ioas_phys_ptr(phys, 0x12000, 0x12000, &p));
	CHECK(p == (void *)b1);
	/* two adjacent regions are not one region */
	CHECK_ERR(ioas_phys_ptr(phys, 0x11fff, 0x12000, &p), -EFAULT);
	CHECK_ERR(ioas_phys_ptr(phys, 0x13fff, 0x14000, &p), -EFAULT);
	CHECK_ERR(ioas_phys_ptr(phys, 0x14000, 0x14000, &p), -EFAULT);
	CHECK_ERR(ioas_phys_ptr(phys, 0x20000, 0x20000, &p), -EFAULT);
	CHECK_ERR(ioas_phys_ptr(phys, 0x12001, 0x12000, &p), -EINVAL);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
}

static int count_stop2(void *opaque, const struct ioas_phys_info *info)
{
	int *n = opaque;

	(void)info;
	return ++*n == 2 ? 42 : 0;
}

TEST(phys_for_each_order)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	int n = 0;

	fx_init(&f, 0);
	fx_snap(&f, &snap_before);
	CHECK_EQ(snap_before.nphys, 7);
	for (size_t i = 1; i < snap_before.nphys; i++)
		CHECK(snap_before.phys[i].range.start >
		      snap_before.phys[i - 1].range.last);
	CHECK_EQ(snap_before.phys[0].range.start, R1_PA);
	CHECK_EQ(snap_before.phys[0].range.last, R1_PA + R1_N * PG - 1);
	CHECK(snap_before.phys[0].host == (void *)(f.hb + R1_OFF * PG));
	CHECK_EQ(snap_before.phys[2].flags, IOAS_PHYS_F_READONLY);
	CHECK_EQ(snap_before.phys[5].kind, IOAS_PHYS_MMIO);
	CHECK_EQ(ioas_phys_for_each(f.phys, count_stop2, &n), 42);
	CHECK_EQ(n, 2);
	fx_fini(&f);
}

/* ==== registration ====================================================== */

TEST(mm_register_struct_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct {
		struct ioas_reg r;
		uint64_t tail;
	} big;
	struct ioas_reg r = mkreg(0, 0, PG, 0);
	uint32_t small[] = { 0, 4, 8, sizeof(r) - 4 };

	fx_init(&f, 0);
	r.uaddr = HU(&f, R1_OFF);
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		r.size = small[i];
		FAILS(&f, ioas_mm_register(f.mm, &r), -EINVAL);
	}
	r.size = sizeof(r);
	r.flags = 1u << 9;
	FAILS(&f, ioas_mm_register(f.mm, &r), -EOPNOTSUPP);
	r.flags = 0;
	memset(&big, 0, sizeof(big));
	big.r = r;
	big.r.size = sizeof(big);
	big.tail = 1ull << 63;
	FAILS(&f, ioas_mm_register(f.mm, &big.r), -E2BIG);
	big.tail = 0;
	CHECK_OK(ioas_mm_register(f.mm, &big.r));
	CHECK_EQ(list_regs(f.mm), 1);
	CHECK_EQ(regs_buf[0].uaddr, r.uaddr);
	CHECK_EQ(regs_buf[0].length, PG);
	fx_fini(&f);
}

TEST(mm_register_alignment_einval)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	uint64_t u;

	fx_init(&f, 0);
	u = HU(&f, R1_OFF);
	FAILS(&f, reg(&f, 0, u + 8, PG, 0), -EINVAL);
	FAILS(&f, reg(&f, 0, u, PG + 8, 0), -EINVAL);
	FAILS(&f, reg(&f, 0, u, PG - 1, 0), -EINVAL);
	FAILS(&f, reg(&f, 0, u, 0, 0), -EINVAL);
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, 0, OWN_PA), -EINVAL);
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, PG, OWN_PA + 8), -EINVAL);
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU + 8, PG, OWN_PA), -EINVAL);
	/* phys set without LINEAR */
	FAILS(&f, reg(&f, 0, u, PG, R1_PA), -EINVAL);
	FAILS(&f, reg(&f, IOAS_REG_READONLY, u, PG, R1_PA), -EINVAL);
	CHECK_EQ(list_regs(f.mm), 0);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	fx_fini(&f);
}

TEST(mm_register_overflow)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	const uint64_t top = UINT64_MAX - PG + 1;

	fx_init(&f, 0);
	/* uaddr wraps; linear so nothing else is wrong with it */
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, top, 2 * PG, OWN_PA), -EOVERFLOW);
	/* phys wraps: RAM at the top page and at page 0, so every page that
	 * exists is RAM and only the wrap is wrong */
	CHECK_OK(phys_add(f.phys, IOAS_PHYS_RAM, 0, top, PG, NULL));
	CHECK_OK(phys_add(f.phys, IOAS_PHYS_RAM, 0, 0, PG, NULL));
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, 2 * PG, top), -EOVERFLOW);
	/* the last page alone is fine, for both */
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, PG, top));
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, top, PG, 0));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 2 * PG);
	fx_fini(&f);
}

TEST(mm_register_eexist_exact_only)
{
	static struct fx f; /* reachable, not leaked, if the case fails */

	fx_init(&f, 0);
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF + 4), 4 * PG, 0));
	FAILS(&f, reg(&f, 0, HU(&f, R1_OFF + 4), 4 * PG, 0), -EEXIST);
	/* same range, other flags: still the same range */
	FAILS(&f, reg(&f, IOAS_REG_READONLY, HU(&f, R1_OFF + 4), 4 * PG, 0),
	      -EEXIST);
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, 2 * PG, OWN_PA));
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, 2 * PG, OWN_PA + 4 * PG),
	      -EEXIST);
	/* overlapping but different ranges are separate registrations */
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF + 4), 2 * PG, 0));
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF + 2), 8 * PG, 0));
	CHECK_EQ(list_regs(f.mm), 4);
	fx_fini(&f);
}

TEST(mm_register_efault)
{
	static struct fx f; /* reachable, not leaked, if the case fails */

	fx_init(&f, 0);
	/* resolved: no region's host memory holds the page */
	FAILS(&f, reg(&f, 0, 0x1000, PG, 0), -EFAULT);
	FAILS(&f, reg(&f, 0, HU(&f, 0), PG, 0), -EFAULT);
	FAILS(&f, reg(&f, 0, HU(&f, R1_OFF - 1), 2 * PG, 0), -EFAULT);
	FAILS(&f, reg(&f, IOAS_REG_READONLY, HU(&f, RO_OFF + RO_N - 1), 2 * PG,
		      0), -EFAULT);
	/* resolved across two regions (R1, R2: host-adjacent) is fine */
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF + R1_N - 1), 2 * PG, 0));
	/* linear: the physical range must be all RAM */
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, PG, 0x5000000), -EFAULT);
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, PG, MMIO_PA), -EFAULT);
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, 2 * PG, MMIO_PA - PG), -EFAULT);
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, 2 * PG, OWN2_PA - PG), -EFAULT);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 2 * PG);
	fx_fini(&f);
}

TEST(mm_register_linear_across_adjacent_ram)
{
	static struct fx f; /* reachable, not leaked, if the case fails */

	/* EFAULT is "[phys, ...] is not all RAM": two adjacent RAM regions
	 * (OWN2 then OWN) are all RAM */
	fx_init(&f, 0);
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, 2 * PG, OWN_PA - PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 2 * PG);
	fx_fini(&f);
}

TEST(mm_register_eacces_readonly_ram)
{
	static struct fx f; /* reachable, not leaked, if the case fails */

	fx_init(&f, 0);
	FAILS(&f, reg(&f, 0, HU(&f, RO_OFF), PG, 0), -EACCES);
	/* writable range reaching into read-only RAM */
	FAILS(&f, reg(&f, 0, HU(&f, RO_OFF - 1), 2 * PG, 0), -EACCES);
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, PG, OWNRO_PA), -EACCES);
	CHECK_OK(reg(&f, IOAS_REG_READONLY, HU(&f, RO_OFF - 1), 2 * PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_LINEAR | IOAS_REG_READONLY, LU, PG,
		     OWNRO_PA));
	CHECK_EQ(list_regs(f.mm), 2);
	CHECK_EQ(regs_buf[0].flags, IOAS_REG_READONLY);
	CHECK_EQ(regs_buf[1].flags, IOAS_REG_LINEAR | IOAS_REG_READONLY);
	fx_fini(&f);
}

TEST(mm_register_enomem_limit_nothing_charged)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	const uint64_t b = R1_OFF;

	fx_init(&f, 8 * PG);
	CHECK_OK(reg(&f, 0, HU(&f, b), 6 * PG, 0));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 6 * PG);
	/* 4 new pages: 10 > 8 */
	FAILS(&f, reg(&f, 0, HU(&f, b + 10), 4 * PG, 0), -ENOMEM);
	/* linear too */
	FAILS(&f, reg(&f, IOAS_REG_LINEAR, LU, 3 * PG, OWN_PA), -ENOMEM);
	/* pages 4,5 are shared: only 6,7 are new, exactly the limit */
	CHECK_OK(reg(&f, 0, HU(&f, b + 4), 4 * PG, 0));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	CHECK_EQ(ioas_mm_pinned_bytes(f.mm), 8 * PG);
	/* all shared: nothing new */
	CHECK_OK(reg(&f, 0, HU(&f, b), 8 * PG, 0));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	FAILS(&f, reg(&f, 0, HU(&f, b + 8), PG, 0), -ENOMEM);
	FAILS(&f, reg(&f, 0, HU(&f, b), 9 * PG, 0), -ENOMEM);
	/* unregistering keeps pages still covered by another registration */
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b), 6 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b), 8 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 4 * PG);
	CHECK_EQ(ioas_mm_pinned_bytes(f.mm), 4 * PG);
	CHECK_OK(reg(&f, 0, HU(&f, b + 10), 4 * PG, 0));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b + 4), 4 * PG));
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b + 10), 4 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	CHECK_EQ(ioas_mm_pinned_bytes(f.mm), 0);
	fx_fini(&f);
}

TEST(mm_register_shared_pages_once)
{
	static struct fx f; /* reachable, not leaked, if the case fails */

	fx_init(&f, 0);
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF), 8 * PG, 0));
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF + 4), 8 * PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_READONLY, HU(&f, R1_OFF + 2), 2 * PG, 0));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 12 * PG);
	CHECK_EQ(ioas_mm_pinned_bytes(f.mm), 12 * PG);
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, 4 * PG, OWN_PA));
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU + 2 * PG, 4 * PG,
		     OWN_PA + 2 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 18 * PG);
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, R1_OFF + 4), 8 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 14 * PG);
	fx_fini(&f);
}

TEST(mm_unregister_exact_match_only)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	const uint64_t b = R1_OFF;

	fx_init(&f, 0);
	CHECK_OK(reg(&f, 0, HU(&f, b + 2), 4 * PG, 0));
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b + 2), 2 * PG), -ENOENT);
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b), 8 * PG), -ENOENT);
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b + 2), 5 * PG), -ENOENT);
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b + 3), 3 * PG), -ENOENT);
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b + 2) + 1, 4 * PG), -ENOENT);
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b + 2), 0), -ENOENT);
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b + 20), PG), -ENOENT);
	/* the seed-001 bug: with an outer and an inner registration, the
	 * inner one is removed, not "the first overlapping" outer one */
	CHECK_OK(reg(&f, 0, HU(&f, b), 8 * PG, 0));
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b + 2), 4 * PG));
	CHECK_EQ(list_regs(f.mm), 1);
	CHECK_EQ(regs_buf[0].uaddr, HU(&f, b));
	CHECK_EQ(regs_buf[0].length, 8 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, b + 2), 4 * PG), -ENOENT);
	/* and the other way round: the outer of two */
	CHECK_OK(reg(&f, 0, HU(&f, b + 2), 4 * PG, 0));
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b), 8 * PG));
	CHECK_EQ(list_regs(f.mm), 1);
	CHECK_EQ(regs_buf[0].uaddr, HU(&f, b + 2));
	CHECK_EQ(regs_buf[0].length, 4 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 4 * PG);
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, b + 2), 4 * PG));
	CHECK_ERR(ioas_mm_unregister(f.mm, HU(&f, b + 2), 4 * PG), -ENOENT);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	fx_fini(&f);
}

TEST(mm_unregister_ebusy_while_mapped)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as, *as2;
	uint64_t bytes = 0;

	fx_init(&f, 0);
	as = prereg_space(&f, 0);
	as2 = prereg_space(&f, 1);
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF), 4 * PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, 4 * PG, OWN_PA));
	CHECK_OK(map_fixed(as, 0, 0x10000, PG, HU(&f, R1_OFF + 1), RW));
	CHECK_OK(map_fixed(as2, 0, 0x10000, 2 * PG, LU + 2 * PG, RW));
	CHECK_OK(map_fixed(as2, 0, 0x20000, PG, LU, IOAS_PROT_READ));
	FAILS(&f, ioas_mm_unregister(f.mm, HU(&f, R1_OFF), 4 * PG), -EBUSY);
	FAILS(&f, ioas_mm_unregister(f.mm, LU, 4 * PG), -EBUSY);
	CHECK_EQ(list_regs(f.mm), 2);
	CHECK_EQ(regs_buf[0].mappings, 1);
	CHECK_EQ(regs_buf[1].mappings, 2);
	CHECK_OK(ioas_as_unmap(as, 0x10000, 0x10fff, &bytes));
	CHECK_EQ(bytes, PG);
	CHECK_OK(ioas_mm_unregister(f.mm, HU(&f, R1_OFF), 4 * PG));
	CHECK_OK(ioas_as_unmap(as2, 0x10000, 0x11fff, NULL));
	FAILS(&f, ioas_mm_unregister(f.mm, LU, 4 * PG), -EBUSY);
	CHECK_OK(ioas_as_unmap(as2, 0x20000, 0x20fff, NULL));
	CHECK_OK(ioas_mm_unregister(f.mm, LU, 4 * PG));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	fx_fini(&f);
}

TEST(mm_user_shared_accounting)
{
	struct ioas_user *user;
	struct ioas_ctx_config cc = { .size = sizeof(cc),
				      .account_mode = IOAS_ACCOUNT_USER };
	struct ioas_ctx *ca, *cb;
	struct ioas_phys *pa, *pb;
	struct ioas_mm *ma, *mb;
	struct ioas_reg r = mkreg(0, 0, 0, 0);
	struct ioas_phys_info info;
	uint64_t ha, hbs;

	CHECK_OK(ioas_user_create(6 * PG, &user));
	cc.user = user;
	CHECK_OK(ioas_ctx_create(&cc, &ca));
	CHECK_OK(ioas_ctx_create(&cc, &cb));
	CHECK_OK(ioas_phys_create(ca, &pa));
	CHECK_OK(ioas_phys_create(cb, &pb));
	CHECK_OK(phys_add(pa, IOAS_PHYS_RAM, 0, 0x100000, 16 * PG, NULL));
	CHECK_OK(phys_add(pb, IOAS_PHYS_RAM, 0, 0x100000, 16 * PG, NULL));
	ioas_phys_lookup(pa, 0x100000, &info);
	ha = (uint64_t)(uintptr_t)info.host;
	ioas_phys_lookup(pb, 0x100000, &info);
	hbs = (uint64_t)(uintptr_t)info.host;
	CHECK_OK(ioas_mm_create(ca, pa, &ma));
	CHECK_OK(ioas_mm_create(cb, pb, &mb));

	r = mkreg(0, ha, 4 * PG, 0);
	CHECK_OK(ioas_mm_register(ma, &r));
	CHECK_EQ(ioas_user_locked_bytes(user), 4 * PG);
	/* 4 + 3 > 6: the other context is refused, nothing charged */
	r = mkreg(0, hbs, 3 * PG, 0);
	CHECK_ERR(ioas_mm_register(mb, &r), -ENOMEM);
	CHECK_EQ(ioas_user_locked_bytes(user), 4 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(cb), 0);
	CHECK_EQ(ioas_mm_pinned_bytes(mb), 0);
	r = mkreg(0, hbs, 2 * PG, 0);
	CHECK_OK(ioas_mm_register(mb, &r));
	CHECK_EQ(ioas_user_locked_bytes(user), 6 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(ca), 4 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(cb), 2 * PG);
	r = mkreg(0, ha + 4 * PG, PG, 0);
	CHECK_ERR(ioas_mm_register(ma, &r), -ENOMEM);
	CHECK_OK(ioas_mm_unregister(ma, ha, 4 * PG));
	CHECK_EQ(ioas_user_locked_bytes(user), 2 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(ca), 0);
	r = mkreg(0, hbs + 4 * PG, 4 * PG, 0);
	CHECK_OK(ioas_mm_register(mb, &r));
	CHECK_EQ(ioas_user_locked_bytes(user), 6 * PG);
	CHECK_EQ(ioas_ctx_locked_bytes(cb), 6 * PG);
	/* destroying the registry unregisters and uncharges */
	ioas_mm_destroy(mb);
	CHECK_EQ(ioas_user_locked_bytes(user), 0);
	CHECK_EQ(ioas_ctx_locked_bytes(cb), 0);
	ioas_mm_destroy(ma);
	ioas_phys_destroy(pa);
	ioas_phys_destroy(pb);
	ioas_ctx_destroy(ca);
	ioas_ctx_destroy(cb);
	ioas_user_put(user);
}

static int reg_stop_at_second(void *opaque, const struct ioas_reg_info *r)
{
	int *n = opaque;

	(void)r;
	return ++*n == 2 ? -77 : 0;
}

TEST(mm_for_each_order_and_counts)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as *as;
	int n = 0;

	fx_init(&f, 0);
	as = prereg_space(&f, 0);
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, 4 * PG, OWN_PA));
	CHECK_OK(reg(&f, IOAS_REG_READONLY, HU(&f, R2_OFF), 2 * PG, 0));
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF), 2 * PG, 0));
	CHECK_OK(map_fixed(as, 0, 0x1000, PG, HU(&f, R2_OFF), IOAS_PROT_READ));
	CHECK_OK(map_fixed(as, 0, 0x2000, PG, HU(&f, R2_OFF + 1),
			   IOAS_PROT_READ));
	CHECK_EQ(list_regs(f.mm), 3);
	CHECK_EQ(regs_buf[0].uaddr, HU(&f, R1_OFF));
	CHECK_EQ(regs_buf[0].flags, 0);
	CHECK_EQ(regs_buf[0].mappings, 0);
	CHECK_EQ(regs_buf[1].uaddr, HU(&f, R2_OFF));
	CHECK_EQ(regs_buf[1].length, 2 * PG);
	CHECK_EQ(regs_buf[1].flags, IOAS_REG_READONLY);
	CHECK_EQ(regs_buf[1].mappings, 2);
	CHECK_EQ(regs_buf[2].uaddr, LU);
	CHECK_EQ(regs_buf[2].flags, IOAS_REG_LINEAR);
	CHECK_EQ(ioas_mm_for_each(f.mm, reg_stop_at_second, &n), -77);
	CHECK_EQ(n, 2);
	fx_fini(&f);
}

TEST(mm_resolve_rules)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	uint64_t pa = 0;

	fx_init(&f, 0);
	CHECK_EQ(ioas_mm_resolve(f.mm, HU(&f, R1_OFF + 3), PG, &pa), PG);
	CHECK_EQ(pa, R1_PA + 3 * PG);
	/* R1 -> R2 is host-contiguous but not physically: stops at the edge */
	CHECK_EQ(ioas_mm_resolve(f.mm, HU(&f, R1_OFF + R1_N - 2), 8 * PG, &pa),
		 2 * PG);
	CHECK_EQ(pa, R1_PA + (R1_N - 2) * PG);
	/* R2 -> RO is contiguous in both: runs to length */
	CHECK_EQ(ioas_mm_resolve(f.mm, HU(&f, R2_OFF + R2_N - 1), 4 * PG, &pa),
		 4 * PG);
	CHECK_EQ(pa, RO_PA - PG);
	CHECK_EQ(ioas_mm_resolve(f.mm, HU(&f, R2_OFF), (R2_N + RO_N) * PG, &pa),
		 (R2_N + RO_N) * PG);
	/* resolving pins nothing */
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	CHECK_ERR(ioas_mm_resolve(f.mm, HU(&f, 0), PG, &pa), -EFAULT);
	CHECK_ERR(ioas_mm_resolve(f.mm, HU(&f, RO_OFF + RO_N - 1), 2 * PG, &pa),
		  -EFAULT);
	CHECK_ERR(ioas_mm_resolve(f.mm, HU(&f, R1_OFF) + 1, PG, &pa), -EINVAL);
	CHECK_ERR(ioas_mm_resolve(f.mm, HU(&f, R1_OFF), PG + 1, &pa), -EINVAL);
	CHECK_ERR(ioas_mm_resolve(f.mm, HU(&f, R1_OFF), 0, &pa), -EINVAL);
	/* wraps, and is no RAM either: both errnos are documented */
	{
		int64_t r = ioas_mm_resolve(f.mm, UINT64_MAX - PG + 1, 2 * PG,
					    &pa);
		CHECK(r == -EOVERFLOW || r == -EFAULT);
	}
	fx_fini(&f);
}

TEST(mm_destroy_unregisters_everything)
{
	static struct fx f; /* reachable, not leaked, if the case fails */

	fx_init(&f, 0);
	CHECK_OK(reg(&f, 0, HU(&f, R1_OFF), 4 * PG, 0));
	CHECK_OK(reg(&f, IOAS_REG_LINEAR, LU, 4 * PG, OWN_PA));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 8 * PG);
	ioas_mm_destroy(f.mm);
	f.mm = NULL;
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	/* the pins are gone with it */
	CHECK_OK(ioas_phys_remove(f.phys, R1_PA));
	CHECK_OK(ioas_phys_remove(f.phys, OWN_PA));
	ioas_mm_destroy(NULL);
	fx_fini(&f);
}

TEST(mm_pin_on_map_pins_region)
{
	static struct fx f; /* reachable, not leaked, if the case fails */
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL,
				     .pin_mode = IOAS_PIN_ON_MAP };

	fx_init(&f, 0);
	CHECK_OK(ioas_as_create(f.mm, &ac, &f.as[0]));
	CHECK_OK(map_fixed(f.as[0], 0, 0x100000, 2 * PG, HU(&f, R2_OFF), RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 2 * PG);
	FAILS(&f, ioas_phys_remove(f.phys, R2_PA), -EBUSY);
	/* a one-sided map pins nothing, so its region may go */
	CHECK_OK(map_fixed(f.as[0], IOAS_MAP_PHYS, 0x200000, PG, OWN2_PA, RW));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 2 * PG);
	CHECK_OK(ioas_phys_remove(f.phys, OWN2_PA));
	CHECK_OK(ioas_as_unmap(f.as[0], 0x100000, 0x101fff, NULL));
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), 0);
	CHECK_OK(ioas_phys_remove(f.phys, R2_PA));
	fx_fini(&f);
}
