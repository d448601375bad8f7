/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-device translation cache (ATC) in front of the IOTLB: it must
 * serve repeated translations, and every event that changes what a device
 * may reach must empty it at once: unmap (strict), sync (deferred), the
 * pending window of safe deferred mode, domain replace and detach. The
 * same for the cache a caller holds (ioas_iommu_translate_cached), which
 * also follows stopping the device.
 */
#include "test.h"

#include <ioas/ioas.h>

#define PG 4096ull
#define RAM 0x100000000ull

struct env {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as, *as2;
	struct ioas_iommu *mmu;
	struct ioas_iommu_dev *dev;
	struct ioas_domain *dom, *dom2;
};

static void env_init(struct env *e, uint32_t inv_mode, uint32_t flags)
{
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL };
	struct ioas_phys_region r = { .size = sizeof(r), .kind = IOAS_PHYS_RAM,
				      .base = RAM, .length = 16 * PG };
	struct ioas_iommu_config ic = { .size = sizeof(ic), .flags = flags,
					.inv_mode = inv_mode };
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 7 };
	struct ioas_domain_config dm = { .size = sizeof(dm),
					 .type = IOAS_DOMAIN_PAGING };

	memset(e, 0, sizeof(*e));
	dm.pt.size = sizeof(dm.pt);
	dm.pt.format = IOAS_PT_FMT_VTD_SS;
	CHECK_OK(ioas_ctx_create(NULL, &e->ctx));
	CHECK_OK(ioas_phys_create(e->ctx, &e->phys));
	CHECK_OK(ioas_phys_add(e->phys, &r));
	CHECK_OK(ioas_mm_create(e->ctx, e->phys, &e->mm));
	CHECK_OK(ioas_as_create(e->mm, &ac, &e->as));
	CHECK_OK(ioas_as_create(e->mm, &ac, &e->as2));
	CHECK_OK(ioas_iommu_create(e->ctx, e->phys, &ic, &e->mmu));
	CHECK_OK(ioas_iommu_dev_add(e->mmu, &dc, &e->dev));
	CHECK_OK(ioas_domain_create(e->mmu, &dm, &e->dom));
	CHECK_OK(ioas_domain_create(e->mmu, &dm, &e->dom2));
	CHECK_OK(ioas_domain_attach_as(e->dom, e->as));
	CHECK_OK(ioas_domain_attach_as(e->dom2, e->as2));
	CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(e->dev), e->dom));
}

static void env_fini(struct env *e)
{
	struct ioas_ctx_stats st;

	ioas_iommu_destroy(e->mmu);
	ioas_as_destroy(e->as2);
	ioas_as_destroy(e->as);
	ioas_mm_destroy(e->mm);
	ioas_phys_destroy(e->phys);
	ioas_ctx_get_stats(e->ctx, &st);
	CHECK_EQ(st.live_bytes, 0);
	ioas_ctx_destroy(e->ctx);
}

static void map(struct ioas_as *as, uint64_t iova, uint64_t pa)
{
	struct ioas_map m = { .size = sizeof(m),
			      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
			      .prot = IOAS_PROT_READ | IOAS_PROT_WRITE,
			      .iova = iova, .length = PG, .addr = pa };

	CHECK_OK(ioas_as_map(as, &m));
}

/* pa of iova, or UINT64_MAX when the access faults */
static uint64_t xl(struct env *e, uint64_t iova)
{
	struct ioas_iommu_xlate x;
	int ret = ioas_iommu_translate(e->mmu, e->dev, 0, iova, 8,
				       IOAS_PROT_READ, &x);

	if (ret == -EFAULT)
		return UINT64_MAX;
	CHECK_OK(ret);
	return x.pa;
}

static uint64_t atc_hits(struct env *e)
{
	struct ioas_iommu_stats st;

	ioas_iommu_get_stats(e->mmu, &st);
	return st.atc_hits;
}

TEST(atc_serves_repeats_and_strict_unmap_empties_it)
{
	struct env e;
	uint64_t h0;

	env_init(&e, IOAS_INV_STRICT, 0);
	map(e.as, 0x10000, RAM);
	CHECK_EQ(xl(&e, 0x10008), RAM + 8); /* walk, IOTLB fill */
	CHECK_EQ(xl(&e, 0x10010), RAM + 0x10); /* IOTLB hit, ATC fill */
	h0 = atc_hits(&e);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(xl(&e, 0x10000 + (uint64_t)i * 8), RAM + (uint64_t)i * 8);
	CHECK_EQ(atc_hits(&e), h0 + 10);
	CHECK_OK(ioas_as_unmap(e.as, 0x10000, 0x10fff, NULL));
	CHECK_EQ(xl(&e, 0x10008), UINT64_MAX);
	map(e.as, 0x10000, RAM + 3 * PG);
	CHECK_EQ(xl(&e, 0x10008), RAM + 3 * PG + 8);
	CHECK_EQ(xl(&e, 0x10008), RAM + 3 * PG + 8);
	env_fini(&e);
}

TEST(atc_follows_replace_and_detach)
{
	struct env e;

	env_init(&e, IOAS_INV_STRICT, 0);
	map(e.as, 0x20000, RAM);
	map(e.as2, 0x20000, RAM + 5 * PG);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(xl(&e, 0x20000), RAM);
	CHECK_OK(ioas_iommu_group_replace(ioas_iommu_dev_group(e.dev), e.dom2));
	CHECK_EQ(xl(&e, 0x20000), RAM + 5 * PG);
	CHECK_OK(ioas_iommu_group_replace(ioas_iommu_dev_group(e.dev), e.dom));
	for (int i = 0; i < 3; i++)
		CHECK_EQ(xl(&e, 0x20000), RAM);
	ioas_iommu_group_detach(ioas_iommu_dev_group(e.dev));
	CHECK_EQ(xl(&e, 0x20000), UINT64_MAX);
	env_fini(&e);
}

TEST(atc_safe_deferred_never_serves_unmapped)
{
	struct env e;

	env_init(&e, IOAS_INV_DEFERRED, 0);
	map(e.as, 0x30000, RAM);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(xl(&e, 0x30000), RAM);
	CHECK_OK(ioas_as_unmap(e.as, 0x30000, 0x30fff, NULL));
	/* not synced yet: the safe default still refuses the old page */
	CHECK_EQ(xl(&e, 0x30000), UINT64_MAX);
	ioas_iommu_sync(e.mmu);
	CHECK_EQ(xl(&e, 0x30000), UINT64_MAX);
	env_fini(&e);
}

TEST(atc_stale_mode_serves_until_sync_only)
{
	struct env e;

	env_init(&e, IOAS_INV_DEFERRED, IOAS_IOMMU_F_STALE);
	map(e.as, 0x40000, RAM);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(xl(&e, 0x40000), RAM);
	CHECK_OK(ioas_as_unmap(e.as, 0x40000, 0x40fff, NULL));
	/* hardware-faithful: the cached translation may serve until sync */
	uint64_t before = xl(&e, 0x40000);
	CHECK(before == RAM || before == UINT64_MAX);
	ioas_iommu_sync(e.mmu);
	CHECK_EQ(xl(&e, 0x40000), UINT64_MAX);
	/* a map of the same IOVA processes the pending invalidation first
	 * (seed 004): the new mapping is never seen through the old one */
	map(e.as, 0x41000, RAM + PG);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(xl(&e, 0x41000), RAM + PG);
	CHECK_OK(ioas_as_unmap(e.as, 0x41000, 0x41fff, NULL));
	map(e.as, 0x41000, RAM + 2 * PG);
	CHECK_EQ(xl(&e, 0x41000), RAM + 2 * PG);
	env_fini(&e);
}

static void map_len(struct ioas_as *as, uint64_t iova, uint64_t len,
		    uint64_t pa)
{
	struct ioas_map m = { .size = sizeof(m),
			      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
			      .prot = IOAS_PROT_READ | IOAS_PROT_WRITE,
			      .iova = iova, .length = len, .addr = pa };

	CHECK_OK(ioas_as_map(as, &m));
}

/* Warm iova into the ATC (walk, then IOTLB hit -> fill) and check the next
 * translation of it is an ATC hit. */
static void warm(struct env *e, uint64_t iova, uint64_t pa)
{
	uint64_t h0;

	CHECK_EQ(xl(e, iova), pa);
	CHECK_EQ(xl(e, iova), pa);
	h0 = atc_hits(e);
	CHECK_EQ(xl(e, iova), pa);
	CHECK_EQ(atc_hits(e), h0 + 1);
}

/* An unmap empties the ATC entries of its own pages only: a device's other
 * cached pages keep serving (the invalidation filter, atc.h). */
TEST(atc_unmap_is_targeted)
{
	struct env e;
	uint64_t h0;

	env_init(&e, IOAS_INV_STRICT, 0);
	map(e.as, 0x50000, RAM);
	map(e.as, 0x51000, RAM + PG);
	warm(&e, 0x50000, RAM);
	warm(&e, 0x51000, RAM + PG);
	CHECK_OK(ioas_as_unmap(e.as, 0x50000, 0x50fff, NULL));
	h0 = atc_hits(&e);
	CHECK_EQ(xl(&e, 0x51000), RAM + PG);
	CHECK_EQ(atc_hits(&e), h0 + 1);
	CHECK_EQ(xl(&e, 0x50000), UINT64_MAX);
	/* the page comes back elsewhere: never the old translation */
	map(e.as, 0x50000, RAM + 2 * PG);
	CHECK_EQ(xl(&e, 0x50000), RAM + 2 * PG);
	CHECK_EQ(xl(&e, 0x50000), RAM + 2 * PG);
	env_fini(&e);
}

/* An unmap of more pages than the filter takes per call bumps the epoch:
 * every entry goes, including pages outside the range. */
TEST(atc_large_unmap_empties_everything)
{
	struct env e;
	uint64_t h0;

	env_init(&e, IOAS_INV_STRICT, 0);
	map_len(e.as, 0x1000000, 128 * PG, RAM);
	map(e.as, 0x60000, RAM + PG);
	warm(&e, 0x1000000 + 5 * PG, RAM + 5 * PG);
	warm(&e, 0x60000, RAM + PG);
	CHECK_OK(ioas_as_unmap(e.as, 0x1000000, 0x1000000 + 128 * PG - 1, NULL));
	h0 = atc_hits(&e);
	CHECK_EQ(xl(&e, 0x60000), RAM + PG); /* walked again, not cached */
	CHECK_EQ(atc_hits(&e), h0);
	CHECK_EQ(xl(&e, 0x1000000 + 5 * PG), UINT64_MAX);
	env_fini(&e);
}

/* An explicit invalidation of one 4 KiB page inside a larger IOTLB page
 * empties that page's ATC entry; the others, still mapped the same, keep
 * serving. */
TEST(atc_invalidate_names_pages_not_iotlb_entries)
{
	struct env e;
	uint64_t h0, base = 0x40000000;

	env_init(&e, IOAS_INV_STRICT, 0);
	map_len(e.as, base, 2ull << 20, 0); /* one 2 MiB block */
	warm(&e, base + 3 * PG, 3 * PG);
	warm(&e, base + 9 * PG, 9 * PG);
	ioas_domain_invalidate(e.dom, IOAS_PASID_ANY, base + 3 * PG,
			       base + 3 * PG + 7);
	h0 = atc_hits(&e);
	CHECK_EQ(xl(&e, base + 9 * PG), 9 * PG);
	CHECK_EQ(atc_hits(&e), h0 + 1);
	CHECK_EQ(xl(&e, base + 3 * PG), 3 * PG);
	CHECK_EQ(atc_hits(&e), h0 + 1); /* a miss: walked again */
	env_fini(&e);
}

/* atc_entries: a power of two up to 65536; 0 is the default. */
TEST(atc_size_is_configurable_and_checked)
{
	struct env e;
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 100,
					    .group_id = 100 };
	struct ioas_iommu_dev *d = NULL;

	env_init(&e, IOAS_INV_STRICT, 0);
	dc.atc_entries = 3;
	CHECK_EQ(ioas_iommu_dev_add(e.mmu, &dc, &d), -EINVAL);
	dc.atc_entries = 131072;
	CHECK_EQ(ioas_iommu_dev_add(e.mmu, &dc, &d), -EINVAL);
	dc.atc_entries = 1;
	CHECK_OK(ioas_iommu_dev_add(e.mmu, &dc, &d));
	ioas_iommu_dev_remove(d);
	dc.atc_entries = 65536;
	CHECK_OK(ioas_iommu_dev_add(e.mmu, &dc, &d));
	ioas_iommu_dev_remove(d);
	env_fini(&e);
}

/* ---- the caller-held cache (ioas_iommu_translate_cached) ---------------- */

/* pa of iova through c, or UINT64_MAX when the access faults */
static uint64_t cxl(struct ioas_iommu_tcache *c, uint64_t iova, uint32_t acc)
{
	struct ioas_iommu_xlate x;
	int ret = ioas_iommu_translate_cached(c, iova, 8, acc, &x);

	if (ret == -EFAULT)
		return UINT64_MAX;
	CHECK_OK(ret);
	CHECK_EQ(x.length, 8);
	return x.pa;
}

TEST(tcache_serves_repeats_and_follows_unmap_replace_detach)
{
	struct ioas_iommu_tcache c;
	struct ioas_iommu_group *g;
	struct env e;

	env_init(&e, IOAS_INV_STRICT, 0);
	g = ioas_iommu_dev_group(e.dev);
	CHECK_OK(ioas_iommu_tcache_init(&c, e.mmu, e.dev));
	map(e.as, 0x10000, RAM);
	map(e.as, 0x11000, RAM + PG);
	map(e.as2, 0x10000, RAM + 5 * PG);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), RAM + 8);
	CHECK_EQ(cxl(&c, 0x11008, IOAS_PROT_WRITE), RAM + PG + 8);
	CHECK_EQ(c.hits, 0);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(cxl(&c, 0x10000 + (uint64_t)i * 8, IOAS_PROT_READ),
			 RAM + (uint64_t)i * 8);
	CHECK_EQ(c.hits, 10);
	/* unmap: this page faults at once, the other still hits */
	CHECK_OK(ioas_as_unmap(e.as, 0x10000, 0x10fff, NULL));
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), UINT64_MAX);
	CHECK_EQ(cxl(&c, 0x11010, IOAS_PROT_READ), RAM + PG + 0x10);
	CHECK_EQ(c.hits, 11);
	/* replace: the other space's translation, never the old one */
	CHECK_OK(ioas_iommu_group_replace(g, e.dom2));
	CHECK_EQ(cxl(&c, 0x11010, IOAS_PROT_READ), UINT64_MAX);
	CHECK_EQ(cxl(&c, 0x10010, IOAS_PROT_READ), RAM + 5 * PG + 0x10);
	CHECK_EQ(cxl(&c, 0x10010, IOAS_PROT_READ), RAM + 5 * PG + 0x10);
	CHECK_EQ(c.hits, 12);
	ioas_iommu_group_detach(g);
	CHECK_EQ(cxl(&c, 0x10010, IOAS_PROT_READ), UINT64_MAX);
	env_fini(&e);
}

/* A cache miss on a page the device's ATC holds is answered from the ATC
 * (counted there) and refills the entry under that page's own counter: an
 * unmap of the page alone ends the entry, its neighbour's stays. */
TEST(tcache_miss_refills_from_the_atc)
{
	struct ioas_iommu_tcache c;
	struct env e;
	uint64_t h0;

	env_init(&e, IOAS_INV_STRICT, 0);
	CHECK_OK(ioas_iommu_tcache_init(&c, e.mmu, e.dev));
	map(e.as, 0x20000, RAM);
	map(e.as, 0x21000, RAM + PG);
	warm(&e, 0x20000, RAM);
	warm(&e, 0x21000, RAM + PG);
	h0 = atc_hits(&e);
	CHECK_EQ(cxl(&c, 0x20010, IOAS_PROT_WRITE), RAM + 0x10);
	CHECK_EQ(cxl(&c, 0x21010, IOAS_PROT_READ), RAM + PG + 0x10);
	CHECK_EQ(atc_hits(&e), h0 + 2);
	CHECK_EQ(c.misses, 2);
	CHECK_EQ(cxl(&c, 0x20018, IOAS_PROT_READ), RAM + 0x18);
	CHECK_EQ(cxl(&c, 0x21018, IOAS_PROT_WRITE), RAM + PG + 0x18);
	CHECK_EQ(c.hits, 2);
	CHECK_EQ(atc_hits(&e), h0 + 2);
	CHECK_OK(ioas_as_unmap(e.as, 0x21000, 0x21fff, NULL));
	CHECK_EQ(cxl(&c, 0x21018, IOAS_PROT_READ), UINT64_MAX);
	CHECK_EQ(cxl(&c, 0x20018, IOAS_PROT_READ), RAM + 0x18);
	CHECK_EQ(c.hits, 3);
	/* a privileged access is not the cache's: translate judges it */
	{
		struct ioas_iommu_xlate x;

		CHECK_ERR(ioas_iommu_translate_cached(&c, 0x20000, 8,
						      IOAS_PROT_READ |
							      IOAS_PROT_PRIV,
						      &x),
			  ioas_iommu_translate(e.mmu, e.dev, 0, 0x20000, 8,
					       IOAS_PROT_READ | IOAS_PROT_PRIV,
					       &x));
	}
	CHECK_EQ(c.hits, 3);
	env_fini(&e);
}

/* Whatever the cache cannot judge goes to ioas_iommu_translate: the same
 * returns, and no hit. */
TEST(tcache_leaves_the_rest_to_translate)
{
	struct ioas_iommu_tcache c;
	struct ioas_iommu_xlate x, y;
	struct ioas_map m = { .size = sizeof(m),
			      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
			      .prot = IOAS_PROT_READ, .iova = 0x20000,
			      .length = 2 * PG, .addr = RAM + 2 * PG };
	static const uint32_t acc[] = { 0, IOAS_PROT_PRIV,
					IOAS_PROT_READ | IOAS_PROT_PRIV,
					IOAS_PROT_READ | IOAS_PROT_MMIO, 1u << 7,
					IOAS_PROT_WRITE };
	struct env e, e2;

	env_init(&e, IOAS_INV_STRICT, 0);
	env_init(&e2, IOAS_INV_STRICT, 0);
	CHECK_EQ(ioas_iommu_tcache_init(NULL, e.mmu, e.dev), -EINVAL);
	CHECK_EQ(ioas_iommu_tcache_init(&c, e.mmu, NULL), -EINVAL);
	CHECK_EQ(ioas_iommu_tcache_init(&c, e2.mmu, e.dev), -EINVAL);
	CHECK_OK(ioas_iommu_tcache_init(&c, e.mmu, e.dev));
	CHECK_OK(ioas_as_map(e.as, &m));
	CHECK_EQ(cxl(&c, 0x20008, IOAS_PROT_READ), RAM + 2 * PG + 8);
	CHECK_EQ(cxl(&c, 0x20008, IOAS_PROT_READ), RAM + 2 * PG + 8);
	CHECK_EQ(c.hits, 1);
	for (size_t i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		int r1 = ioas_iommu_translate_cached(&c, 0x20008, 8, acc[i], &x);
		int r2 = ioas_iommu_translate(e.mmu, e.dev, 0, 0x20008, 8,
					      acc[i], &y);

		CHECK_EQ(r1, r2);
		if (r1 == 0)
			CHECK_EQ(x.pa, y.pa);
		if (r1 == -EFAULT)
			CHECK_EQ(x.fault.reason, y.fault.reason);
	}
	CHECK_EQ(c.hits, 1);
	/* length 0, across the page: the general answer */
	CHECK_EQ(ioas_iommu_translate_cached(&c, 0x20008, 0, IOAS_PROT_READ, &x),
		 -EINVAL);
	CHECK_OK(ioas_iommu_translate_cached(&c, 0x20ff8, 16, IOAS_PROT_READ,
					     &x));
	CHECK_EQ(x.pa, RAM + 2 * PG + 0xff8);
	CHECK_EQ(x.length, 16);
	CHECK_EQ(c.hits, 1);
	env_fini(&e2);
	env_fini(&e);
}

/* Stopping the device (by hand or by a fault with STOP_ON_FAULT) ends
 * every cached translation of it. */
TEST(tcache_follows_stop)
{
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 9,
					    .group_id = 9,
					    .flags = IOAS_DEV_F_STOP_ON_FAULT };
	struct ioas_iommu_tcache c, c2;
	struct ioas_iommu_dev *d2;
	struct env e;

	env_init(&e, IOAS_INV_STRICT, 0);
	CHECK_OK(ioas_iommu_dev_add(e.mmu, &dc, &d2));
	CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(d2), e.dom));
	CHECK_OK(ioas_iommu_tcache_init(&c, e.mmu, e.dev));
	CHECK_OK(ioas_iommu_tcache_init(&c2, e.mmu, d2));
	map(e.as, 0x10000, RAM);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), RAM + 8);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), RAM + 8);
	CHECK_EQ(c.hits, 1);
	ioas_iommu_dev_stop(e.dev);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), UINT64_MAX);
	ioas_iommu_dev_clear_stop(e.dev);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), RAM + 8);
	/* d2 faults elsewhere: stopped, its cached page no longer served */
	CHECK_EQ(cxl(&c2, 0x10008, IOAS_PROT_READ), RAM + 8);
	CHECK_EQ(cxl(&c2, 0x30000, IOAS_PROT_READ), UINT64_MAX);
	CHECK(ioas_iommu_dev_stopped(d2));
	CHECK_EQ(cxl(&c2, 0x10008, IOAS_PROT_READ), UINT64_MAX);
	CHECK_EQ(c2.hits, 0);
	env_fini(&e);
}

/* Safe deferred mode: an unmapped page is not served before the sync;
 * STALE mode serves it until the sync, as its IOTLB does, and never after. */
TEST(tcache_deferred_modes)
{
	struct ioas_iommu_tcache c;
	struct env e;

	env_init(&e, IOAS_INV_DEFERRED, 0);
	CHECK_OK(ioas_iommu_tcache_init(&c, e.mmu, e.dev));
	map(e.as, 0x10000, RAM);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), RAM + 8);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), RAM + 8);
	CHECK_EQ(c.hits, 1);
	CHECK_OK(ioas_as_unmap(e.as, 0x10000, 0x10fff, NULL));
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), UINT64_MAX);
	ioas_iommu_sync(e.mmu);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), UINT64_MAX);
	env_fini(&e);

	env_init(&e, IOAS_INV_DEFERRED, IOAS_IOMMU_F_STALE);
	CHECK_OK(ioas_iommu_tcache_init(&c, e.mmu, e.dev));
	map(e.as, 0x10000, RAM);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), RAM + 8);
	CHECK_OK(ioas_as_unmap(e.as, 0x10000, 0x10fff, NULL));
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), RAM + 8); /* stale */
	CHECK_EQ(c.hits, 1);
	ioas_iommu_sync(e.mmu);
	CHECK_EQ(cxl(&c, 0x10008, IOAS_PROT_READ), UINT64_MAX);
	env_fini(&e);
}
