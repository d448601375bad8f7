/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reference-model property test of the software IOMMU: random sequences of
 * map/unmap through two address spaces (each mirrored by domains of two
 * formats), group attach/replace/detach (with a device's MSI reservation),
 * PASID attach/detach, and translate at random addresses, lengths and
 * accesses. The model is a page array per space and a binding per
 * (device, PASID).
 *   strict:          every translate equals the model (address, length,
 *                    or fault reason);
 *   deferred (safe): the same, at every step (never stale);
 *   deferred stale:  the same after every sync; between syncs a result may
 *                    also be the old translation of a page unmapped since
 *                    the last sync and not mapped again (seed 004).
 * Five million steps at -O2 in total, about 2 s (IOAS_TEST_SCALE
 * multiplies), a tenth under sanitizers.
 */
#include "test.h"

#include <ioas/ioas.h>

#define PG 4096ull
#define RAM_BASE 0x10000000ull
#define RAM_PAGES 4096ull
#define U 512u           /* IOVA pages of each space the test uses */
#define MSI_PAGE 300u    /* device 2's reserved page */
#define NDEV 4
#define NPASID 4         /* PASIDs 1..3 attachable; 4..15 never */
#define RWP (IOAS_PROT_READ | IOAS_PROT_WRITE)

enum { D_VTD0, D_AMD0, D_ARM1, D_X861, D_ID, D_BLK, NDOM };
static const int dom_as[NDOM] = { 0, 0, 1, 1, -1, -1 };

struct mspace {
	uint64_t pa[U];     /* pa + 1 of each page, 0 = unmapped */
	uint32_t prot[U];
	uint64_t stale[U];  /* stale mode: old pa + 1 that may still serve */
	uint32_t stale_prot[U];
	uint32_t first[U];  /* first page of the mapping holding the page */
	uint32_t npages[U]; /* at first page: pages of the mapping */
};

struct model {
	struct mspace s[2];
	int grp_dom[3];            /* -1 = none */
	int pasid_dom[NDEV][NPASID];
};

static const int dev_grp[NDEV] = { 0, 0, 1, 2 }; /* dev index -> group */

struct world {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as[2];
	struct ioas_iommu *mmu;
	struct ioas_iommu_dev *dev[NDEV];
	struct ioas_iommu_group *grp[3];
	struct ioas_domain *dom[NDOM];
	/* caller-held translation caches: half the PASID-0 translates */
	struct ioas_iommu_tcache tc[NDEV];
};

static void world_init(struct world *w, uint32_t mode, uint32_t flags)
{
	static const uint32_t fmt[4] = { IOAS_PT_FMT_VTD_SS, IOAS_PT_FMT_AMD_V1,
					 IOAS_PT_FMT_ARM_S2, IOAS_PT_FMT_X86_64 };
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL };
	struct ioas_phys_region r = { .size = sizeof(r), .kind = IOAS_PHYS_RAM,
				      .base = RAM_BASE,
				      .length = RAM_PAGES * PG };
	struct ioas_iommu_config ic = { .size = sizeof(ic), .inv_mode = mode,
					.flags = flags, .iotlb_entries = 256,
					.iotlb_ways = 4, .inv_queue_len = 16 };
	struct ioas_range msi = { MSI_PAGE * PG, MSI_PAGE * PG + PG - 1 };

	memset(w, 0, sizeof(*w));
	CHECK_OK(ioas_ctx_create(NULL, &w->ctx));
	CHECK_OK(ioas_phys_create(w->ctx, &w->phys));
	CHECK_OK(ioas_phys_add(w->phys, &r));
	CHECK_OK(ioas_mm_create(w->ctx, w->phys, &w->mm));
	CHECK_OK(ioas_as_create(w->mm, &ac, &w->as[0]));
	CHECK_OK(ioas_as_create(w->mm, &ac, &w->as[1]));
	CHECK_OK(ioas_iommu_create(w->ctx, w->phys, &ic, &w->mmu));
	for (int i = 0; i < NDEV; i++) {
		struct ioas_iommu_dev_config dc = { .size = sizeof(dc),
						    .id = 0x100u + (uint32_t)i,
						    .group_id = (uint32_t)dev_grp[i],
						    .pasid_bits = 4 };

		if (i == 1) {
			dc.resv = &msi;
			dc.nr_resv = 1;
		}
		CHECK_OK(ioas_iommu_dev_add(w->mmu, &dc, &w->dev[i]));
		CHECK_OK(ioas_iommu_tcache_init(&w->tc[i], w->mmu, w->dev[i]));
		w->grp[dev_grp[i]] = ioas_iommu_dev_group(w->dev[i]);
	}
	for (int d = 0; d < NDOM; d++) {
		struct ioas_domain_config dc = { .size = sizeof(dc) };

		if (d < 4) {
			dc.type = IOAS_DOMAIN_PAGING;
			dc.pt.size = sizeof(dc.pt);
			dc.pt.format = fmt[d];
		} else {
			dc.type = d == D_ID ? IOAS_DOMAIN_IDENTITY
					    : IOAS_DOMAIN_BLOCKED;
		}
		CHECK_OK(ioas_domain_create(w->mmu, &dc, &w->dom[d]));
		if (dom_as[d] >= 0)
			CHECK_OK(ioas_domain_attach_as(w->dom[d],
						       w->as[dom_as[d]]));
	}
}

static void world_fini(struct world *w)
{
	struct ioas_ctx_stats st;

	ioas_iommu_destroy(w->mmu);
	ioas_as_destroy(w->as[0]);
	ioas_as_destroy(w->as[1]);
	ioas_mm_destroy(w->mm);
	ioas_phys_destroy(w->phys);
	ioas_ctx_get_stats(w->ctx, &st);
	CHECK_EQ(st.live_bytes, 0);
	ioas_ctx_destroy(w->ctx);
}

/* Is the MSI page reserved in space s by some group attachment? */
static bool msi_reserved(const struct model *m, int s)
{
	int d = m->grp_dom[0]; /* dev 1 is in group 0 */

	return d >= 0 && dom_as[d] == s;
}

static void op_map(struct world *w, struct model *m, struct test_rng *rng,
		   bool stale_mode)
{
	int s = (int)test_rng_below(rng, 2);
	uint32_t p = (uint32_t)test_rng_below(rng, U);
	uint32_t n = 1 + (uint32_t)test_rng_below(rng, 8);
	uint64_t pa = RAM_BASE + test_rng_below(rng, RAM_PAGES - 8) * PG;
	uint32_t prot = test_rng_below(rng, 3) ? RWP : IOAS_PROT_READ;
	struct ioas_map mp = { .size = sizeof(mp),
			       .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
			       .prot = prot, .iova = p * PG, .length = n * PG,
			       .addr = pa };
	int want = 0, got;

	if (p + n > U)
		n = U - p, mp.length = n * PG;
	if (msi_reserved(m, s) && p <= MSI_PAGE && MSI_PAGE < p + n)
		want = -EINVAL;
	for (uint32_t i = 0; i < n && !want; i++)
		if (m->s[s].pa[p + i])
			want = -EEXIST;
	got = ioas_as_map(w->as[s], &mp);
	CHECK_ERR(got, want);
	if (got)
		return;
	for (uint32_t i = 0; i < n; i++) {
		m->s[s].pa[p + i] = pa + i * PG + 1;
		m->s[s].prot[p + i] = prot;
		m->s[s].first[p + i] = p;
		if (stale_mode)
			m->s[s].stale[p + i] = 0; /* seed 004 */
	}
	m->s[s].npages[p] = n;
}

static void op_unmap(struct world *w, struct model *m, struct test_rng *rng,
		     bool stale_mode)
{
	int s = (int)test_rng_below(rng, 2);
	uint32_t p = (uint32_t)test_rng_below(rng, U);
	uint32_t n = 1 + (uint32_t)test_rng_below(rng, 16);
	int want = -ENOENT;

	if (p + n > U)
		n = U - p;
	/* ENOENT unless something is inside and nothing is cut */
	for (uint32_t i = 0; i < n; i++) {
		if (!m->s[s].pa[p + i])
			continue;
		want = 0;
		{
			uint32_t f = m->s[s].first[p + i];

			if (f < p || f + m->s[s].npages[f] > p + n) {
				want = -ENOENT;
				break;
			}
		}
	}
	CHECK_ERR(ioas_as_unmap(w->as[s], p * PG, (p + n) * PG - 1, NULL), want);
	if (want)
		return;
	for (uint32_t i = 0; i < n; i++) {
		if (stale_mode && m->s[s].pa[p + i]) {
			m->s[s].stale[p + i] = m->s[s].pa[p + i];
			m->s[s].stale_prot[p + i] = m->s[s].prot[p + i];
		}
		m->s[s].pa[p + i] = 0;
	}
}

static bool group_resv_conflict(const struct model *m, int g, int d)
{
	return g == 0 && dom_as[d] >= 0 && m->s[dom_as[d]].pa[MSI_PAGE];
}

static void op_group(struct world *w, struct model *m, struct test_rng *rng)
{
	int g = (int)test_rng_below(rng, 3);
	int d = (int)test_rng_below(rng, NDOM);
	uint64_t k = test_rng_below(rng, 3);

	if (k == 0) {
		int want = m->grp_dom[g] >= 0 ? -EBUSY
			   : group_resv_conflict(m, g, d) ? -EADDRINUSE
							  : 0;

		CHECK_ERR(ioas_iommu_group_attach(w->grp[g], w->dom[d]), want);
		if (!want)
			m->grp_dom[g] = d;
	} else if (k == 1) {
		int want = m->grp_dom[g] == d		  ? 0
			   : group_resv_conflict(m, g, d) ? -EADDRINUSE
							  : 0;

		CHECK_ERR(ioas_iommu_group_replace(w->grp[g], w->dom[d]), want);
		if (!want)
			m->grp_dom[g] = d;
	} else {
		ioas_iommu_group_detach(w->grp[g]);
		m->grp_dom[g] = -1;
	}
}

static void op_pasid(struct world *w, struct model *m, struct test_rng *rng)
{
	int i = (int)test_rng_below(rng, NDEV);
	uint32_t p = 1 + (uint32_t)test_rng_below(rng, NPASID - 1);
	int d = (int)test_rng_below(rng, NDOM);

	if (test_rng_below(rng, 3)) {
		CHECK_OK(ioas_iommu_pasid_attach(w->dev[i], p, w->dom[d], 0));
		m->pasid_dom[i][p] = d;
	} else {
		ioas_iommu_pasid_detach(w->dev[i], p);
		m->pasid_dom[i][p] = -1;
	}
}

static uint64_t n_ok, n_fault, n_stale;

static void op_translate(struct world *w, struct model *m, struct test_rng *rng,
			 bool stale_mode)
{
	int i = (int)test_rng_below(rng, NDEV);
	uint32_t pasid = (uint32_t)test_rng_below(rng, 6);
	uint64_t iova = test_rng_below(rng, (U + 16) * PG);
	uint64_t len = 1 + test_rng_below(rng, 3 * PG);
	uint32_t acc = test_rng_below(rng, 4) == 0 ? IOAS_PROT_WRITE
		       : test_rng_below(rng, 2) ? IOAS_PROT_READ
						: RWP;
	struct ioas_iommu_xlate x;
	uint32_t want_reason = 0;
	uint64_t want_pa = 0, want_len = 0;
	int d, r, s;

	d = pasid == 0 ? m->grp_dom[dev_grp[i]]
	    : pasid < NPASID ? m->pasid_dom[i][pasid]
			     : -1;
	/* the cache serves single pages, and hits pages used again before
	 * they change: a hot set of 32 pages (one per entry), which plain
	 * translates share (what they leave in the device's ATC refills the
	 * cache on its misses) */
	if (test_rng_below(rng, 2))
		len = 1 + test_rng_below(rng, PG - iova % PG);
	if (pasid == 0 && test_rng_below(rng, 4))
		iova %= IOAS_IOMMU_TCACHE_ENTRIES * PG;
	if (pasid == 0 && test_rng_below(rng, 2)) {
		r = ioas_iommu_translate_cached(&w->tc[i], iova, len, acc, &x);
	} else
		r = ioas_iommu_translate(w->mmu, w->dev[i], pasid, iova, len,
					 acc, &x);
	if (d < 0) {
		want_reason = pasid ? IOAS_FAULT_PASID_NOT_PRESENT
				    : IOAS_FAULT_NOT_ATTACHED;
	} else if (d == D_BLK) {
		want_reason = IOAS_FAULT_BLOCKED;
	} else if (d == D_ID) {
		want_pa = iova;
		want_len = len;
	} else {
		const struct mspace *sp = &m->s[dom_as[d]];
		uint64_t p = iova / PG;

		s = dom_as[d];
		(void)s;
		if (p >= U || !sp->pa[p]) {
			want_reason = IOAS_FAULT_NO_MAPPING;
		} else if (acc & ~sp->prot[p]) {
			want_reason = IOAS_FAULT_PERMISSION;
		} else {
			want_pa = sp->pa[p] - 1 + iova % PG;
			want_len = PG - iova % PG;
			for (uint64_t q = p + 1; want_len < len && q < U; q++) {
				if (!sp->pa[q] || (acc & ~sp->prot[q]) ||
				    sp->pa[q] - 1 != want_pa + want_len)
					break;
				want_len += PG;
			}
			if (want_len > len)
				want_len = len;
		}
		/* hardware-faithful: the old translation may still serve */
		if (stale_mode && p < U && sp->stale[p] && r == 0 &&
		    x.pa == sp->stale[p] - 1 + iova % PG &&
		    !(acc & ~sp->stale_prot[p])) {
			n_stale++;
			return;
		}
	}
	if (want_reason)
		n_fault++;
	else
		n_ok++;
	if (want_reason) {
		if (r != -EFAULT)
			test_fail(__FILE__, __LINE__,
				  "dev %d pasid %u iova %#llx: got %d pa %#llx, "
				  "want fault %u",
				  i, pasid, (unsigned long long)iova, r,
				  (unsigned long long)x.pa, want_reason);
		CHECK_EQ(x.fault.reason, want_reason);
		CHECK_EQ(x.fault.addr, iova);
		CHECK_EQ(x.fault.dev_id, 0x100u + (uint32_t)i);
	} else {
		if (r != 0)
			test_fail(__FILE__, __LINE__,
				  "dev %d pasid %u iova %#llx acc %u: got %d "
				  "reason %u, want pa %#llx",
				  i, pasid, (unsigned long long)iova, acc, r,
				  x.fault.reason, (unsigned long long)want_pa);
		CHECK_EQ(x.pa, want_pa);
		CHECK_EQ(x.length, want_len);
	}
}

static void run(uint32_t mode, uint32_t flags, uint64_t steps, uint64_t seed)
{
	bool stale_mode = (flags & IOAS_IOMMU_F_STALE) != 0;
	uint64_t tc_hits = 0, tc_misses = 0;
	struct test_rng rng;
	struct world w;
	struct model *m = calloc(1, sizeof(*m));

	CHECK(m);
	test_set_seed(seed);
	test_rng_seed(&rng, seed);
	world_init(&w, mode, flags);
	for (int g = 0; g < 3; g++)
		m->grp_dom[g] = -1;
	for (int i = 0; i < NDEV; i++)
		for (int p = 0; p < NPASID; p++)
			m->pasid_dom[i][p] = -1;
	/* the last translates' requests (their generator states), asked
	 * again after every change: what a cache kept must still be right */
	struct test_rng recent[8];
	unsigned nrecent = 0;

	for (uint64_t step = 0; step < steps; step++) {
		uint64_t k = test_rng_below(&rng, 100);

		if (k < 20)
			op_map(&w, m, &rng, stale_mode);
		else if (k < 32)
			op_unmap(&w, m, &rng, stale_mode);
		else if (k < 35)
			op_group(&w, m, &rng);
		else if (k < 38)
			op_pasid(&w, m, &rng);
		else if (k < 40 && mode == IOAS_INV_DEFERRED) {
			ioas_iommu_sync(w.mmu);
			for (int s = 0; s < 2; s++)
				memset(m->s[s].stale, 0, sizeof(m->s[s].stale));
		} else if (k < 70) {
			recent[nrecent++ % 8] = rng;
			op_translate(&w, m, &rng, stale_mode);
			continue;
		} else {
			/* the same request twice, as devices repeat theirs:
			 * the second one is what a cache hit must get right */
			struct test_rng again = rng;

			recent[nrecent++ % 8] = rng;
			op_translate(&w, m, &rng, stale_mode);
			op_translate(&w, m, &again, stale_mode);
			continue;
		}
		for (unsigned j = 0; j < nrecent && j < 8; j++) {
			struct test_rng again = recent[j];

			op_translate(&w, m, &again, stale_mode);
		}
	}
	for (int i = 0; i < NDEV; i++) {
		tc_hits += w.tc[i].hits;
		tc_misses += w.tc[i].misses;
	}
	world_fini(&w);
	free(m);
	test_note("%llu steps: %llu translated, %llu faults, %llu stale served; "
		  "caller caches %llu hits, %llu misses",
		  (unsigned long long)steps, (unsigned long long)n_ok,
		  (unsigned long long)n_fault, (unsigned long long)n_stale,
		  (unsigned long long)tc_hits, (unsigned long long)tc_misses);
	/* the caches did serve (most translates fault, and every attach or
	 * replace empties them) */
	CHECK(tc_hits > steps / 1000);
	/* the mix reaches every outcome */
	CHECK(n_ok > steps / 20 && n_fault > steps / 20);
	if (stale_mode && steps >= 10000)
		CHECK(n_stale > 0);
	n_ok = n_fault = n_stale = 0;
}

static uint64_t steps(uint64_t base)
{
	return base * test_scale() / (TEST_SANITIZED ? 10 : 1);
}

TEST(iommu_model_strict)
{
	run(IOAS_INV_STRICT, 0, steps(3000000), test_seed());
}

TEST(iommu_model_deferred_safe)
{
	run(IOAS_INV_DEFERRED, 0, steps(1000000), test_seed() + 1);
}

TEST(iommu_model_deferred_stale)
{
	run(IOAS_INV_DEFERRED, IOAS_IOMMU_F_STALE, steps(1000000),
	    test_seed() + 2);
}
