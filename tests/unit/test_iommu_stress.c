/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * translate on several threads while one thread maps and unmaps through
 * the address space and another replaces the group's domain (two formats
 * mirroring the same space) and attaches/detaches a PASID. Every answer
 * must be a translation the slot has had (never another slot's memory,
 * never garbage); after the writers stop, every answer is exact. Half the
 * readers' PASID-0 requests go through a cache each reader holds
 * (ioas_iommu_translate_cached), and so do the mapping thread's own checks.
 * Run it under ThreadSanitizer: CC=clang cmake -DIOAS_TSAN=ON.
 */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>

#include <ioas/ioas.h>

#define PG 4096ull
#define RAM_BASE 0x10000000ull
#define SLOTS 64u
#define READERS 4

struct shared {
	struct ioas_iommu *mmu;
	struct ioas_iommu_dev *dev;
	_Atomic bool stop;
	_Atomic uint64_t ok, faults, cached_hits;
	_Atomic int bad;
};

/* slot i maps to RAM_BASE + (2 i + k) pages, k in {0, 1} */
static bool pa_valid(uint64_t iova, uint64_t pa)
{
	uint64_t slot = iova / PG, off = iova % PG;

	return pa == RAM_BASE + (2 * slot) * PG + off ||
	       pa == RAM_BASE + (2 * slot + 1) * PG + off;
}

static void *reader(void *arg)
{
	struct shared *sh = arg;
	uint64_t x = (uint64_t)(uintptr_t)&x | 1;
	struct ioas_iommu_tcache *tc = malloc(sizeof(*tc));

	CHECK(tc);
	CHECK_OK(ioas_iommu_tcache_init(tc, sh->mmu, sh->dev));
	while (!atomic_load(&sh->stop)) {
		struct ioas_iommu_xlate xl;
		uint64_t iova;
		uint32_t pasid;
		int r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		iova = (x >> 8) % (SLOTS * PG);
		pasid = (x >> 40) & 1;
		if (!pasid && (x >> 41 & 1))
			r = ioas_iommu_translate_cached(tc, iova, 8,
							IOAS_PROT_READ, &xl);
		else
			r = ioas_iommu_translate(sh->mmu, sh->dev, pasid, iova,
						 8, IOAS_PROT_READ, &xl);
		if (r == 0) {
			if (!pa_valid(iova, xl.pa) || !xl.length ||
			    xl.length > 8 ||
			    (xl.length < 8 && iova % PG + xl.length != PG))
				atomic_store(&sh->bad, 1);
			atomic_fetch_add_explicit(&sh->ok, 1,
						  memory_order_relaxed);
		} else if (r == -EFAULT) {
			atomic_fetch_add_explicit(&sh->faults, 1,
						  memory_order_relaxed);
		} else {
			atomic_store(&sh->bad, 2);
		}
		/* drain the fault queue now and then */
		if ((x & 0xff) == 0) {
			struct ioas_fault f;

			while (ioas_iommu_fault_pop(sh->mmu, &f) == 0)
				;
		}
	}
	atomic_fetch_add(&sh->cached_hits, tc->hits);
	free(tc);
	return NULL;
}

struct switcher {
	struct shared *sh;
	struct ioas_iommu_group *grp;
	struct ioas_domain *d[2];
	uint64_t rounds;
};

static void *switch_domains(void *arg)
{
	struct switcher *s = arg;

	for (uint64_t i = 0; i < s->rounds; i++) {
		CHECK_OK(ioas_iommu_group_replace(s->grp, s->d[i & 1]));
		if (i % 3 == 0)
			ioas_iommu_pasid_detach(s->sh->dev, 1);
		else
			CHECK_OK(ioas_iommu_pasid_attach(s->sh->dev, 1,
							 s->d[(i + 1) & 1], 0));
		if (i % 7 == 0)
			ioas_iommu_invalidate_all(s->sh->mmu);
	}
	return NULL;
}

static void stress(uint32_t mode)
{
	struct ioas_iommu_config ic = { .size = sizeof(ic), .inv_mode = mode,
					.iotlb_entries = 64, .iotlb_ways = 4,
					.inv_queue_len = 8 };
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL };
	struct ioas_phys_region r = { .size = sizeof(r), .kind = IOAS_PHYS_RAM,
				      .base = RAM_BASE,
				      .length = 2 * SLOTS * PG };
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 1,
					    .pasid_bits = 4 };
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as;
	struct shared sh;
	struct switcher sw;
	struct ioas_iommu_tcache *tc;
	pthread_t th[READERS], swt;
	bool mapped[SLOTS] = { false };
	uint64_t rounds = TEST_SANITIZED ? 20000 : 200000, x = 88172645463325252ull;

	rounds *= test_scale();
	memset(&sh, 0, sizeof(sh));
	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_OK(ioas_phys_create(ctx, &phys));
	CHECK_OK(ioas_phys_add(phys, &r));
	CHECK_OK(ioas_mm_create(ctx, phys, &mm));
	CHECK_OK(ioas_as_create(mm, &ac, &as));
	CHECK_OK(ioas_iommu_create(ctx, phys, &ic, &sh.mmu));
	CHECK_OK(ioas_iommu_dev_add(sh.mmu, &dc, &sh.dev));
	tc = malloc(sizeof(*tc));
	CHECK(tc);
	CHECK_OK(ioas_iommu_tcache_init(tc, sh.mmu, sh.dev));
	sw.sh = &sh;
	sw.grp = ioas_iommu_dev_group(sh.dev);
	sw.rounds = rounds / 20;
	for (int i = 0; i < 2; i++) {
		struct ioas_domain_config c = { .size = sizeof(c),
						.type = IOAS_DOMAIN_PAGING };

		c.pt.size = sizeof(c.pt);
		c.pt.format = i ? IOAS_PT_FMT_ARM_S2 : IOAS_PT_FMT_VTD_SS;
		CHECK_OK(ioas_domain_create(sh.mmu, &c, &sw.d[i]));
		CHECK_OK(ioas_domain_attach_as(sw.d[i], as));
	}
	CHECK_OK(ioas_iommu_group_attach(sw.grp, sw.d[0]));
	for (int i = 0; i < READERS; i++)
		CHECK(pthread_create(&th[i], NULL, reader, &sh) == 0);
	CHECK(pthread_create(&swt, NULL, switch_domains, &sw) == 0);
	for (uint64_t i = 0; i < rounds; i++) {
		uint64_t slot;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		slot = x % SLOTS;
		if (mapped[slot]) {
			CHECK_OK(ioas_as_unmap(as, slot * PG, slot * PG + PG - 1,
					       NULL));
			mapped[slot] = false;
		} else {
			struct ioas_map m = { .size = sizeof(m),
					      .flags = IOAS_MAP_FIXED_IOVA |
						       IOAS_MAP_PHYS,
					      .prot = IOAS_PROT_READ |
						      IOAS_PROT_WRITE,
					      .iova = slot * PG, .length = PG,
					      .addr = RAM_BASE +
						      (2 * slot + (x >> 32 & 1)) *
							      PG };

			CHECK_OK(ioas_as_map(as, &m));
			mapped[slot] = true;
		}
		/* this thread's own cache: what it just unmapped is gone */
		{
			struct ioas_iommu_xlate xl;
			int cr = ioas_iommu_translate_cached(tc, slot * PG + 8,
							     8, IOAS_PROT_READ,
							     &xl);

			if (mapped[slot])
				CHECK(cr == -EFAULT ||
				      (cr == 0 &&
				       pa_valid(slot * PG + 8, xl.pa)));
			else
				CHECK_ERR(cr, -EFAULT);
		}
		if (mode == IOAS_INV_DEFERRED && (x >> 20) % 16 == 0)
			ioas_iommu_sync(sh.mmu);
	}
	CHECK(pthread_join(swt, NULL) == 0);
	atomic_store(&sh.stop, true);
	for (int i = 0; i < READERS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	CHECK_EQ(atomic_load(&sh.bad), 0);
	CHECK(atomic_load(&sh.ok) > 0);
	test_note("%llu translations (%llu from readers' caches), %llu faults",
		  (unsigned long long)atomic_load(&sh.ok),
		  (unsigned long long)atomic_load(&sh.cached_hits),
		  (unsigned long long)atomic_load(&sh.faults));
	/* quiescent: exact */
	ioas_iommu_sync(sh.mmu);
	for (uint64_t slot = 0; slot < SLOTS; slot++) {
		struct ioas_iommu_xlate xl;
		uint64_t pa;
		int rr = ioas_iommu_translate(sh.mmu, sh.dev, 0, slot * PG, 1,
					      IOAS_PROT_READ, &xl);
		struct ioas_iommu_xlate cx;
		int cr = ioas_iommu_translate_cached(tc, slot * PG, 1,
						     IOAS_PROT_READ, &cx);

		if (mapped[slot]) {
			CHECK_OK(rr);
			CHECK_OK(cr);
			CHECK_EQ(ioas_as_lookup(as, slot * PG, &pa, NULL), PG);
			CHECK_EQ(xl.pa, pa);
			CHECK_EQ(cx.pa, pa);
		} else {
			CHECK_ERR(rr, -EFAULT);
			CHECK_ERR(cr, -EFAULT);
		}
	}
	free(tc);
	ioas_iommu_destroy(sh.mmu);
	ioas_as_destroy(as);
	ioas_mm_destroy(mm);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
}

TEST(iommu_stress_strict)
{
	stress(IOAS_INV_STRICT);
}

TEST(iommu_stress_deferred)
{
	stress(IOAS_INV_DEFERRED);
}
