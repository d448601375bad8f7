/* SPDX-License-Identifier: BSD-2-Clause */
/* The IOTLB: hits, misses, page sizes, tags, eviction, every invalidation,
 * the generation protocol, fail-nth, and a randomised reference model. */
#include <ioas/ctx.h>

#include "iommu/iotlb.h"
#include "test.h"

#define RW (IOAS_PROT_READ | IOAS_PROT_WRITE)

static struct ioas_ctx *new_ctx(void)
{
	struct ioas_ctx *ctx = NULL;

	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	return ctx;
}

static struct iotlb *new_tlb(struct ioas_ctx *ctx, uint32_t entries,
			     uint32_t ways)
{
	struct iotlb_config cfg = { entries, ways };
	struct iotlb *tlb = NULL;

	CHECK_OK(iotlb_create(ctx, &cfg, &tlb));
	CHECK(tlb != NULL);
	return tlb;
}

/* Insert without a generation check. */
static void ins(struct iotlb *tlb, uint32_t dom, uint32_t pasid, uint64_t iova,
		uint64_t pa, uint32_t lg2)
{
	iotlb_insert(tlb, dom, pasid, iova, pa, lg2, RW, NULL, 0);
}

/* The hit for iova must be exactly this page. */
static void expect_hit(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		       uint64_t iova, uint64_t page_iova, uint64_t pa,
		       uint32_t lg2)
{
	struct iotlb_hit h;

	memset(&h, 0xa5, sizeof(h));
	if (!iotlb_lookup(tlb, dom, pasid, iova, &h))
		test_fail(__FILE__, __LINE__,
			  "miss: dom %u pasid %u iova 0x%" PRIx64, dom, pasid,
			  iova);
	CHECK_EQ(h.page_iova, page_iova);
	CHECK_EQ(h.page_pa, pa);
	CHECK_EQ(h.size_lg2, lg2);
	CHECK_EQ(h.prot, RW);
}

static bool hits(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		 uint64_t iova)
{
	struct iotlb_hit h;

	return iotlb_lookup(tlb, dom, pasid, iova, &h);
}

static struct iotlb_stats stats(struct iotlb *tlb)
{
	struct iotlb_stats s;

	iotlb_get_stats(tlb, &s);
	return s;
}

TEST(iotlb_create_args)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = (struct iotlb *)1;
	struct iotlb_config bad[] = { { 3, 1 }, { 16, 3 }, { 8, 16 },
				      { 1u << 31, 8 } };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_ERR(iotlb_create(ctx, &bad[i], &tlb), -EINVAL);
		CHECK(tlb == NULL);
	}
	CHECK_OK(iotlb_create(ctx, NULL, &tlb)); /* 1024 x 8 */
	iotlb_destroy(tlb);
	tlb = new_tlb(ctx, 1, 1);
	ins(tlb, 1, 0, 0x1000, 0x5000, 12);
	expect_hit(tlb, 1, 0, 0x1fff, 0x1000, 0x5000, 12);
	iotlb_destroy(tlb);
	iotlb_destroy(NULL);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_create_fail_nth)
{
	struct ioas_ctx *ctx = new_ctx();
	struct ioas_ctx_stats before, after;
	bool fired = true;
	unsigned n;

	ioas_ctx_get_stats(ctx, &before);
	for (n = 1; fired; n++) {
		struct iotlb *tlb = (struct iotlb *)1;
		int ret;

		ioas_ctx_fail_nth(ctx, n);
		ret = iotlb_create(ctx, NULL, &tlb);
		fired = ioas_ctx_fail_nth_fired(ctx);
		ioas_ctx_fail_nth(ctx, 0);
		if (fired) {
			CHECK_ERR(ret, -ENOMEM);
			CHECK(tlb == NULL);
		} else {
			CHECK_OK(ret);
			ins(tlb, 1, 0, 0, 0x1000, 12);
			CHECK(hits(tlb, 1, 0, 0));
			iotlb_destroy(tlb);
		}
		ioas_ctx_get_stats(ctx, &after);
		CHECK_EQ(after.live_bytes, before.live_bytes);
	}
	CHECK(n > 2); /* at least two allocations were failed */
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_hit_miss_counts)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, 64, 4);
	struct iotlb_stats s;

	CHECK(!hits(tlb, 1, 0, 0x10000));
	ins(tlb, 1, 0, 0x10000, 0xabc000, 12);
	expect_hit(tlb, 1, 0, 0x10000, 0x10000, 0xabc000, 12);
	expect_hit(tlb, 1, 0, 0x10fff, 0x10000, 0xabc000, 12);
	CHECK(!hits(tlb, 1, 0, 0xffff));
	CHECK(!hits(tlb, 1, 0, 0x11000));
	/* Unaligned page_iova is aligned down. */
	ins(tlb, 1, 0, 0x20123, 0x7000, 12);
	expect_hit(tlb, 1, 0, 0x20000, 0x20000, 0x7000, 12);
	/* Re-insert of the same tag rewrites in place. */
	iotlb_insert(tlb, 1, 0, 0x10000, 0xdef000, 12, IOAS_PROT_READ, NULL, 0);
	{
		struct iotlb_hit h;

		CHECK(iotlb_lookup(tlb, 1, 0, 0x10008, &h));
		CHECK_EQ(h.page_pa, 0xdef000);
		CHECK_EQ(h.prot, IOAS_PROT_READ);
	}
	/* Out-of-range sizes and the PASID wildcard are not cached. */
	ins(tlb, 1, 0, 0x40000, 0x1000, 11);
	ins(tlb, 1, IOTLB_PASID_ANY, 0x50000, 0x1000, 12);
	CHECK(!hits(tlb, 1, 0, 0x40000));
	CHECK(!hits(tlb, 1, IOTLB_PASID_ANY, 0x50000));
	s = stats(tlb);
	CHECK_EQ(s.hits, 4);
	CHECK_EQ(s.misses, 5);
	CHECK_EQ(s.inserts, 3);
	CHECK_EQ(s.evictions, 0);
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_every_page_size)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, 1024, 8);

	/* All sizes 4K .. 2^39 at once in one domain, one page each at
	 * lg2 << 40 (aligned for every size), plus a second domain that only
	 * uses 4K pages at the same addresses. */
	for (uint32_t lg2 = 12; lg2 <= 39; lg2++) {
		ins(tlb, 7, 0, (uint64_t)lg2 << 40, (uint64_t)lg2 << 44, lg2);
		ins(tlb, 8, 0, (uint64_t)lg2 << 40, 0x1000ull * lg2, 12);
	}
	for (uint32_t lg2 = 12; lg2 <= 39; lg2++) {
		uint64_t base = (uint64_t)lg2 << 40, sz = 1ull << lg2;

		expect_hit(tlb, 7, 0, base, base, (uint64_t)lg2 << 44, lg2);
		expect_hit(tlb, 7, 0, base + sz - 1, base,
			   (uint64_t)lg2 << 44, lg2);
		expect_hit(tlb, 7, 0, base + sz / 2 + 8, base,
			   (uint64_t)lg2 << 44, lg2);
		CHECK(!hits(tlb, 7, 0, base - 1));
		CHECK(!hits(tlb, 7, 0, base + sz));
		expect_hit(tlb, 8, 0, base + 5, base, 0x1000ull * lg2, 12);
		CHECK(!hits(tlb, 8, 0, base + 0x1000));
	}
	CHECK_EQ(stats(tlb).evictions, 0);
	/* Sizes beyond what formats use still work (2^48, 2^63). */
	ins(tlb, 9, 0, 1ull << 48, 0, 48);
	ins(tlb, 9, 0, 1ull << 63, 1ull << 40, 63);
	expect_hit(tlb, 9, 0, (1ull << 49) - 1, 1ull << 48, 0, 48);
	expect_hit(tlb, 9, 0, UINT64_MAX, 1ull << 63, 1ull << 40, 63);
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_tag_isolation)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, 256, 4);
	uint64_t iova = 0x7f0000;

	ins(tlb, 1, 0, iova, 0x1000, 12);
	ins(tlb, 2, 0, iova, 0x2000, 12);
	ins(tlb, 1, 5, iova, 0x3000, 12);
	ins(tlb, 0xffffffffu, 0xfffff, iova, 0x4000, 12);
	expect_hit(tlb, 1, 0, iova, iova, 0x1000, 12);
	expect_hit(tlb, 2, 0, iova, iova, 0x2000, 12);
	expect_hit(tlb, 1, 5, iova, iova, 0x3000, 12);
	expect_hit(tlb, 0xffffffffu, 0xfffff, iova, iova, 0x4000, 12);
	CHECK(!hits(tlb, 3, 0, iova));
	CHECK(!hits(tlb, 2, 5, iova));
	CHECK(!hits(tlb, 1, 6, iova));
	CHECK(!hits(tlb, 0xffffffffu, 0, iova));
	/* Same page number, other size: a different tag. */
	CHECK(!hits(tlb, 1, 0, iova + 0x1000));
	ins(tlb, 1, 0, 0, 0x200000, 21);
	expect_hit(tlb, 1, 0, 0x1000, 0, 0x200000, 21);
	expect_hit(tlb, 1, 0, iova, iova, 0x1000, 12);
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

/* One set of `ways` ways: the (ways+1)-th page evicts round robin. */
static void eviction_case(uint32_t ways)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, ways, ways);
	struct iotlb_stats s;
	uint32_t n = 0;

	for (uint32_t i = 0; i < ways; i++)
		ins(tlb, 1, 0, (uint64_t)i << 12, 0x100000 + i * 0x1000ull,
		    12);
	for (uint32_t i = 0; i < ways; i++)
		expect_hit(tlb, 1, 0, (uint64_t)i << 12, (uint64_t)i << 12,
			   0x100000 + i * 0x1000ull, 12);
	CHECK_EQ(stats(tlb).evictions, 0);
	ins(tlb, 1, 0, (uint64_t)ways << 12, 0x900000, 12);
	s = stats(tlb);
	CHECK_EQ(s.evictions, 1);
	/* Round robin: way 0 (the first page) went. */
	CHECK(!hits(tlb, 1, 0, 0));
	expect_hit(tlb, 1, 0, (uint64_t)ways << 12, (uint64_t)ways << 12,
		   0x900000, 12);
	for (uint32_t i = 0; i <= ways; i++)
		n += hits(tlb, 1, 0, (uint64_t)i << 12);
	CHECK_EQ(n, ways);
	/* An invalidated way is reused before evicting again. */
	iotlb_inv_range(tlb, 1, 0, (uint64_t)ways << 12, (uint64_t)ways << 12,
			NULL);
	ins(tlb, 1, 0, 0, 0x100000, 12);
	CHECK_EQ(stats(tlb).evictions, 1);
	iotlb_destroy(tlb);

	/* Many sets: never more resident than entries; evictions add up. */
	tlb = new_tlb(ctx, 16 * ways, ways);
	for (uint32_t i = 0; i < 64 * ways; i++)
		ins(tlb, 2, 0, (uint64_t)i << 21, (uint64_t)i << 21, 21);
	n = 0;
	for (uint32_t i = 0; i < 64 * ways; i++)
		n += hits(tlb, 2, 0, (uint64_t)i << 21);
	s = stats(tlb);
	CHECK(n <= 16 * ways);
	CHECK_EQ(s.inserts - s.evictions, n);
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_evict_ways1) { eviction_case(1); }
TEST(iotlb_evict_ways2) { eviction_case(2); }
TEST(iotlb_evict_ways8) { eviction_case(8); }

TEST(iotlb_inv_all_domain_pasid)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, 512, 8);
	_Atomic uint64_t gen1 = 10, gen2 = 20;
	struct iotlb_stats s;

	for (uint32_t d = 1; d <= 2; d++)
		for (uint32_t p = 0; p < 3; p++)
			for (uint64_t i = 0; i < 4; i++)
				ins(tlb, d, p, i << 21, (d * 16 + p) << 24, 21);
	iotlb_inv_pasid(tlb, 1, 1, &gen1);
	CHECK_EQ(gen1, 11);
	CHECK(!hits(tlb, 1, 1, 0));
	CHECK(!hits(tlb, 1, 1, 3ull << 21));
	CHECK(hits(tlb, 1, 0, 0));
	CHECK(hits(tlb, 1, 2, 0));
	CHECK(hits(tlb, 2, 1, 0));
	s = stats(tlb);
	CHECK_EQ(s.inv_pasid, 1);
	CHECK_EQ(s.entries_invalidated, 4);

	iotlb_inv_domain(tlb, 1, &gen1);
	CHECK_EQ(gen1, 12);
	for (uint32_t p = 0; p < 3; p++)
		CHECK(!hits(tlb, 1, p, 1ull << 21));
	CHECK(hits(tlb, 2, 0, 1ull << 21));
	s = stats(tlb);
	CHECK_EQ(s.inv_domain, 1);
	CHECK_EQ(s.entries_invalidated, 12);

	/* PASID wildcard in inv_pasid = whole domain. */
	iotlb_inv_pasid(tlb, 2, IOTLB_PASID_ANY, NULL);
	CHECK(!hits(tlb, 2, 2, 0));
	CHECK_EQ(stats(tlb).entries_invalidated, 24);

	ins(tlb, 3, 0, 0, 0, 12);
	ins(tlb, 4, 9, 1ull << 30, 0, 30);
	gen2++; /* inv_all: the caller bumps every generation */
	iotlb_inv_all(tlb);
	CHECK(!hits(tlb, 3, 0, 0));
	CHECK(!hits(tlb, 4, 9, 1ull << 30));
	s = stats(tlb);
	CHECK_EQ(s.inv_all, 1);
	CHECK_EQ(s.entries_invalidated, 26);
	/* Works again afterwards, sizes are re-learned. */
	iotlb_insert(tlb, 4, 9, 1ull << 30, 0x40000000, 30, RW, &gen2, 21);
	expect_hit(tlb, 4, 9, (1ull << 30) + 5, 1ull << 30, 0x40000000, 30);
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_inv_range_basic)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, 1024, 8);
	_Atomic uint64_t gen = 0;

	/* 4K pages 0..15 at 1 MiB, pasids 0 and 1; a 2M page at 4M; a 1G
	 * page at 1G; a 16K page. */
	for (uint64_t i = 0; i < 16; i++) {
		ins(tlb, 1, 0, 0x100000 + (i << 12), i << 12, 12);
		ins(tlb, 1, 1, 0x100000 + (i << 12), i << 12, 12);
	}
	ins(tlb, 1, 0, 4ull << 20, 0, 21);
	ins(tlb, 1, 0, 1ull << 30, 0, 30);
	ins(tlb, 1, 0, 0x30000, 0, 14);
	ins(tlb, 2, 0, 0x100000, 0, 12);

	/* One byte in page 3, pasid 0 only. */
	iotlb_inv_range(tlb, 1, 0, 0x103fff, 0x103fff, &gen);
	CHECK_EQ(gen, 1);
	CHECK(!hits(tlb, 1, 0, 0x103000));
	CHECK(hits(tlb, 1, 1, 0x103000));
	CHECK(hits(tlb, 1, 0, 0x102000));
	CHECK(hits(tlb, 1, 0, 0x104000));
	/* Pages 5..7 (unaligned edges), every pasid. */
	iotlb_inv_range(tlb, 1, IOTLB_PASID_ANY, 0x105800, 0x107001, &gen);
	for (uint64_t i = 5; i <= 7; i++) {
		CHECK(!hits(tlb, 1, 0, 0x100000 + (i << 12)));
		CHECK(!hits(tlb, 1, 1, 0x100000 + (i << 12)));
	}
	CHECK(hits(tlb, 1, 1, 0x104000));
	CHECK(hits(tlb, 1, 1, 0x108000));
	CHECK(hits(tlb, 2, 0, 0x100000));
	/* Large pages partly covered: one byte at the end of the 2M page,
	 * one 4K page in the middle of the 1G page, the last byte of the
	 * 16K page. */
	iotlb_inv_range(tlb, 1, 0, (6ull << 20) - 1, (6ull << 20) + 0x1000,
			&gen);
	CHECK(!hits(tlb, 1, 0, 4ull << 20));
	iotlb_inv_range(tlb, 1, 0, (1ull << 30) + (77ull << 12),
			(1ull << 30) + (78ull << 12) - 1, &gen);
	CHECK(!hits(tlb, 1, 0, 1ull << 30));
	CHECK(hits(tlb, 1, 0, 0x30000));
	iotlb_inv_range(tlb, 1, 0, 0x33fff, 0x34000, &gen);
	CHECK(!hits(tlb, 1, 0, 0x30000));
	/* start > last: nothing (but the generation still moves). */
	iotlb_inv_range(tlb, 1, 1, 0x108000, 0x100000, &gen);
	CHECK(hits(tlb, 1, 1, 0x108000));
	CHECK_EQ(gen, 6);
	CHECK_EQ(stats(tlb).inv_range, 6);
	/* A range far larger than the cache: the full-scan path. */
	iotlb_inv_range(tlb, 1, 1, 0, 1ull << 40, &gen);
	for (uint64_t i = 0; i < 16; i++)
		CHECK(!hits(tlb, 1, 1, 0x100000 + (i << 12)));
	CHECK(hits(tlb, 1, 0, 0x10f000));
	CHECK(hits(tlb, 2, 0, 0x100000));
	CHECK_EQ(stats(tlb).entries_invalidated, 1 + 6 + 3 + 13);
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_inv_range_edges)
{
	struct ioas_ctx *ctx = new_ctx();
	const uint64_t top4k = UINT64_MAX & ~0xfffull;
	const uint64_t top1g = UINT64_MAX & ~((1ull << 30) - 1);

	for (int big = 0; big < 2; big++) {
		/* big: 1 set, so every range probes (probes < nsets never)
		 * or scans; small: many sets so small ranges probe. */
		struct iotlb *tlb = big ? new_tlb(ctx, 16, 16)
					: new_tlb(ctx, 4096, 4);

		ins(tlb, 1, 0, 0, 0xa000, 12);
		ins(tlb, 1, 0, top4k, 0xb000, 12);
		ins(tlb, 2, 0, top1g, 0xc0000000, 30);
		ins(tlb, 2, 0, 0, 0, 30);
		expect_hit(tlb, 1, 0, UINT64_MAX, top4k, 0xb000, 12);
		expect_hit(tlb, 2, 0, UINT64_MAX - 5, top1g, 0xc0000000, 30);

		iotlb_inv_range(tlb, 1, 0, 0, 0, NULL);
		CHECK(!hits(tlb, 1, 0, 0));
		CHECK(hits(tlb, 1, 0, top4k));
		iotlb_inv_range(tlb, 1, 0, UINT64_MAX, UINT64_MAX, NULL);
		CHECK(!hits(tlb, 1, 0, top4k));
		/* The last byte only, 1G page at the top. */
		iotlb_inv_range(tlb, 2, IOTLB_PASID_ANY, UINT64_MAX,
				UINT64_MAX, NULL);
		CHECK(!hits(tlb, 2, 0, top1g));
		CHECK(hits(tlb, 2, 0, 0));
		/* Everything. */
		ins(tlb, 1, 0, top4k, 0xb000, 12);
		ins(tlb, 1, 3, 0x5000, 0xb000, 12);
		iotlb_inv_range(tlb, 1, IOTLB_PASID_ANY, 0, UINT64_MAX, NULL);
		CHECK(!hits(tlb, 1, 0, top4k));
		CHECK(!hits(tlb, 1, 3, 0x5000));
		CHECK(hits(tlb, 2, 0, 0x3fffffff));
		iotlb_inv_range(tlb, 2, 0, 0x3fffffff, UINT64_MAX, NULL);
		CHECK(!hits(tlb, 2, 0, 0));
		CHECK_EQ(stats(tlb).entries_invalidated, 6);
		iotlb_destroy(tlb);
	}
	ioas_ctx_destroy(ctx);
}

/* A range invalidation looks only where the IOTLB holds pages of its
 * domain (live counts by 64 KiB region, pages larger than a region
 * counted apart): an entry in the second region of a range, entries moved
 * by evictions and large pages are still found. */
TEST(iotlb_inv_range_live_regions)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, 8, 8); /* one set: evictions */

	/* the range's first region is empty, its second holds the page */
	ins(tlb, 1, 0, 0x10000, 0xa000, 12);
	iotlb_inv_range(tlb, 1, 0, 0xf000, 0x10fff, NULL);
	CHECK(!hits(tlb, 1, 0, 0x10000));
	/* eight pages of one region fill the set; a ninth, in another
	 * region, evicts one of them and must still be found */
	for (uint64_t i = 0; i < 8; i++)
		ins(tlb, 1, 0, 0x100000 + (i << 12), i << 12, 12);
	ins(tlb, 1, 0, 0x500000, 0xb000, 12);
	CHECK_EQ(stats(tlb).evictions, 1);
	expect_hit(tlb, 1, 0, 0x500000, 0x500000, 0xb000, 12);
	iotlb_inv_range(tlb, 1, 0, 0x500000, 0x500fff, NULL);
	CHECK(!hits(tlb, 1, 0, 0x500000));
	iotlb_inv_range(tlb, 1, 0, 0x100000, 0x10ffff, NULL);
	for (uint64_t i = 0; i < 8; i++)
		CHECK(!hits(tlb, 1, 0, 0x100000 + (i << 12)));
	/* a 2M page, invalidated by one page in its last region */
	ins(tlb, 1, 0, 0x200000, 0, 21);
	iotlb_inv_range(tlb, 1, 0, 0x3ff000, 0x3fffff, NULL);
	CHECK(!hits(tlb, 1, 0, 0x200000));
	/* a range over more regions than are looked at one by one */
	ins(tlb, 1, 0, 0x7ff000, 0, 12);
	iotlb_inv_range(tlb, 1, 0, 0x400000, 0x7fffff, NULL);
	CHECK(!hits(tlb, 1, 0, 0x7ff000));
	CHECK_EQ(stats(tlb).entries_invalidated, 1 + 1 + 7 + 1 + 1);
	iotlb_destroy(tlb);
	/* one entry: a page evicting its neighbour in the same region (the
	 * count stays as it was) and then the same page again (replaced in
	 * place) is still found */
	tlb = new_tlb(ctx, 1, 1);
	ins(tlb, 1, 0, 0x10000, 0xa000, 12);
	ins(tlb, 1, 0, 0x11000, 0xb000, 12);
	ins(tlb, 1, 0, 0x11000, 0xc000, 12);
	expect_hit(tlb, 1, 0, 0x11000, 0x11000, 0xc000, 12);
	iotlb_inv_range(tlb, 1, 0, 0x11000, 0x11fff, NULL);
	CHECK(!hits(tlb, 1, 0, 0x11000));
	/* and one from another region in its place, then back */
	ins(tlb, 1, 0, 0x10000, 0xa000, 12);
	ins(tlb, 1, 0, 0x90000, 0xd000, 12);
	ins(tlb, 1, 0, 0x10000, 0xa000, 12);
	iotlb_inv_range(tlb, 1, 0, 0x10000, 0x10fff, NULL);
	CHECK(!hits(tlb, 1, 0, 0x10000));
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_stale_insert_refused)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, 64, 4);
	_Atomic uint64_t gen = 100;
	uint64_t seen;

	/* A translate reads the generation, walks, and meanwhile an unmap
	 * invalidates: the insert must be refused. */
	seen = atomic_load(&gen);
	iotlb_inv_range(tlb, 1, 0, 0x4000, 0x4fff, &gen);
	iotlb_insert(tlb, 1, 0, 0x4000, 0xdead000, 12, RW, &gen, seen);
	CHECK(!hits(tlb, 1, 0, 0x4000));
	CHECK_EQ(stats(tlb).stale_inserts_refused, 1);
	/* Any invalidation kind bumps it. */
	seen = atomic_load(&gen);
	iotlb_inv_domain(tlb, 1, &gen);
	iotlb_insert(tlb, 1, 0, 0x4000, 0xdead000, 12, RW, &gen, seen);
	seen = atomic_load(&gen);
	iotlb_inv_pasid(tlb, 1, 0, &gen);
	iotlb_insert(tlb, 1, 0, 0x4000, 0xdead000, 12, RW, &gen, seen);
	CHECK(!hits(tlb, 1, 0, 0x4000));
	CHECK_EQ(stats(tlb).stale_inserts_refused, 3);
	/* With the current generation it goes in. */
	seen = atomic_load(&gen);
	iotlb_insert(tlb, 1, 0, 0x4000, 0xbeef000, 12, RW, &gen, seen);
	expect_hit(tlb, 1, 0, 0x4000, 0x4000, 0xbeef000, 12);
	CHECK_EQ(stats(tlb).inserts, 1);
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

/* ---- randomised against a reference model ------------------------------ */

struct ment {
	uint32_t dom, pasid, lg2, prot;
	uint64_t iova, pa;
};

struct model {
	struct ment *e;
	size_t n, cap;
};

static void model_del(struct model *m, size_t i)
{
	m->e[i] = m->e[--m->n];
}

static void model_insert(struct model *m, const struct ment *x)
{
	for (size_t i = 0; i < m->n; i++) {
		struct ment *e = &m->e[i];

		if (e->dom == x->dom && e->pasid == x->pasid &&
		    e->lg2 == x->lg2 && e->iova == x->iova) {
			*e = *x;
			return;
		}
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->e = realloc(m->e, m->cap * sizeof(*m->e));
		CHECK(m->e != NULL);
	}
	m->e[m->n++] = *x;
}

/* kind: 0 all, 1 domain, 2 pasid (or ANY), 3 range */
static void model_inv(struct model *m, int kind, uint32_t dom, uint32_t pasid,
		      uint64_t start, uint64_t last)
{
	for (size_t i = 0; i < m->n;) {
		struct ment *e = &m->e[i];
		uint64_t elast = e->iova + ((1ull << e->lg2) - 1);
		bool hit = kind == 0 ||
			   (e->dom == dom &&
			    (kind == 1 || pasid == IOTLB_PASID_ANY ||
			     e->pasid == pasid) &&
			    (kind != 3 || (e->iova <= last && elast >= start)));

		if (hit)
			model_del(m, i);
		else
			i++;
	}
}

/* A hit must be a live model translation that covers iova. */
static void model_check_hit(const struct model *m, uint32_t dom,
			    uint32_t pasid, uint64_t iova,
			    const struct iotlb_hit *h)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ment *e = &m->e[i];

		if (e->dom == dom && e->pasid == pasid && e->lg2 == h->size_lg2 &&
		    e->iova == h->page_iova && e->pa == h->page_pa &&
		    e->prot == h->prot && iova >= e->iova &&
		    iova - e->iova < (1ull << e->lg2))
			return;
	}
	test_fail(__FILE__, __LINE__,
		  "stale or wrong hit: dom %u pasid %u iova 0x%" PRIx64
		  " -> page 0x%" PRIx64 " pa 0x%" PRIx64 " lg2 %u",
		  dom, pasid, iova, h->page_iova, h->page_pa, h->size_lg2);
}

static const uint32_t model_sizes[] = { 12, 12, 12, 14, 16, 21, 21, 25, 29,
					30 };

static uint64_t rand_iova(struct test_rng *r)
{
	uint64_t v = test_rng_next(r);

	switch (test_rng_below(r, 4)) {
	case 0:
		return v & ((1ull << 24) - 1);       /* dense, low */
	case 1:
		return v & ((1ull << 32) - 1);
	case 2:
		return UINT64_MAX - (v & ((1ull << 31) - 1)); /* the top */
	default:
		return v;
	}
}

/* big: cache holds everything (every model entry must hit). */
static void model_run(uint64_t seed, uint32_t entries, uint32_t ways,
		      size_t max_live, bool big)
{
	struct ioas_ctx *ctx = new_ctx();
	struct iotlb *tlb = new_tlb(ctx, entries, ways);
	struct model m = { NULL, 0, 0 };
	_Atomic uint64_t gen[4] = { 0, 0, 0, 0 };
	struct test_rng r;
	unsigned steps = 60000 * test_scale();
	uint64_t nhits = 0;

	test_set_seed(seed);
	test_rng_seed(&r, seed);
	for (unsigned step = 0; step < steps; step++) {
		uint32_t dom = (uint32_t)test_rng_below(&r, 4);
		uint32_t pasid = (uint32_t)test_rng_below(&r, 3);
		unsigned op = (unsigned)test_rng_below(&r, 100);

		if (op < 40) {
			struct ment x;

			if (m.n >= max_live)
				continue;
			x.dom = dom;
			x.pasid = pasid;
			x.lg2 = model_sizes[test_rng_below(
				&r, sizeof(model_sizes) / sizeof(model_sizes[0]))];
			x.iova = rand_iova(&r) & ~((1ull << x.lg2) - 1);
			x.pa = test_rng_next(&r) & ~0xfffull;
			x.prot = (uint32_t)test_rng_below(&r, 32);
			if (test_rng_below(&r, 10) == 0) {
				/* A walk that raced an invalidation. */
				uint64_t seen = atomic_load(&gen[dom]);

				iotlb_inv_range(tlb, dom, pasid, x.iova,
						x.iova + 1, &gen[dom]);
				model_inv(&m, 3, dom, pasid, x.iova, x.iova + 1);
				iotlb_insert(tlb, dom, pasid, x.iova, x.pa,
					     x.lg2, x.prot, &gen[dom], seen);
				continue;
			}
			iotlb_insert(tlb, dom, pasid, x.iova, x.pa, x.lg2,
				     x.prot, &gen[dom], atomic_load(&gen[dom]));
			model_insert(&m, &x);
		} else if (op < 86) {
			struct iotlb_hit h;
			uint64_t iova;

			if (m.n && test_rng_below(&r, 3)) {
				const struct ment *e =
					&m.e[test_rng_below(&r, m.n)];

				dom = e->dom;
				pasid = e->pasid;
				iova = e->iova + test_rng_below(&r, 1ull
								       << e->lg2);
			} else {
				iova = rand_iova(&r);
			}
			if (iotlb_lookup(tlb, dom, pasid, iova, &h)) {
				model_check_hit(&m, dom, pasid, iova, &h);
				nhits++;
			}
		} else if (op < 96) {
			uint64_t start = rand_iova(&r), len, last;

			len = test_rng_below(&r, 10) ? test_rng_below(&r, 1u << 22)
						     : test_rng_next(&r);
			last = start + len < start ? UINT64_MAX : start + len;
			if (test_rng_below(&r, 4) == 0)
				pasid = IOTLB_PASID_ANY;
			iotlb_inv_range(tlb, dom, pasid, start, last, &gen[dom]);
			model_inv(&m, 3, dom, pasid, start, last);
		} else if (op < 98) {
			if (test_rng_below(&r, 4) == 0)
				pasid = IOTLB_PASID_ANY;
			iotlb_inv_pasid(tlb, dom, pasid, &gen[dom]);
			model_inv(&m, 2, dom, pasid, 0, 0);
		} else if (op < 99 && test_rng_below(&r, 2)) {
			iotlb_inv_domain(tlb, dom, &gen[dom]);
			model_inv(&m, 1, dom, 0, 0, 0);
		} else if (test_rng_below(&r, 10) == 0) {
			for (int d = 0; d < 4; d++)
				atomic_fetch_add(&gen[d], 1);
			iotlb_inv_all(tlb);
			model_inv(&m, 0, 0, 0, 0, 0);
		}
		if (big && step % 512 == 0) {
			/* Every live translation must hit (some overlapping
			 * live translation of the same tag may answer). */
			for (size_t i = 0; i < m.n; i++) {
				const struct ment *e = &m.e[i];
				uint64_t iova = e->iova + test_rng_below(
							     &r, 1ull << e->lg2);
				struct iotlb_hit h;

				if (!iotlb_lookup(tlb, e->dom, e->pasid, iova,
						  &h))
					test_fail(__FILE__, __LINE__,
						  "model entry %zu missed "
						  "(step %u)", i, step);
				model_check_hit(&m, e->dom, e->pasid, iova, &h);
			}
		}
	}
	if (big)
		CHECK_EQ(stats(tlb).evictions, 0);
	CHECK(nhits > 100);
	test_note("seed %" PRIu64 ": %" PRIu64 " hits, %zu live", seed, nhits,
		  m.n);
	free(m.e);
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_model_small_cache)
{
	model_run(test_seed(), 64, 4, 400, false);
	model_run(test_seed() + 1, 32, 1, 400, false);
}

TEST(iotlb_model_fully_associative)
{
	/* One set of 256 ways holds up to 256 translations. */
	model_run(test_seed() + 2, 256, 256, 250, true);
}

TEST(iotlb_model_large_cache)
{
	/* 64 live translations never overflow a 64-way set. */
	model_run(test_seed() + 3, 4096, 64, 64, true);
}
