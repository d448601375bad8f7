/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The software IOMMU, case by case: groups (EBUSY/EPERM, reservations,
 * replace that fails), domains of several formats on one address space,
 * strict and deferred invalidation (seed 004), faults and their queue,
 * SVA supervisor/user, nesting, page requests, the container path with
 * the SPAPR default window, and a fail-nth sweep.
 */
#include "test.h"

#include <ioas/ioas.h>

#define PG 4096ull
#define RAM_BASE 0x10000000ull
#define RAM_LEN (16ull << 20)
#define RWP (IOAS_PROT_READ | IOAS_PROT_WRITE)

struct fx {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as;
	struct ioas_iommu *mmu;
};

static void fx_init_cfg(struct fx *f, const struct ioas_iommu_config *ic)
{
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL,
				     .pin_mode = IOAS_PIN_PREREG };
	struct ioas_phys_region r = { .size = sizeof(r), .kind = IOAS_PHYS_RAM,
				      .base = RAM_BASE, .length = RAM_LEN };

	memset(f, 0, sizeof(*f));
	CHECK_OK(ioas_ctx_create(NULL, &f->ctx));
	CHECK_OK(ioas_phys_create(f->ctx, &f->phys));
	CHECK_OK(ioas_phys_add(f->phys, &r));
	CHECK_OK(ioas_mm_create(f->ctx, f->phys, &f->mm));
	CHECK_OK(ioas_as_create(f->mm, &ac, &f->as));
	CHECK_OK(ioas_iommu_create(f->ctx, f->phys, ic, &f->mmu));
}

static void fx_init(struct fx *f)
{
	fx_init_cfg(f, NULL);
}

static void fx_fini(struct fx *f)
{
	struct ioas_ctx_stats st;

	ioas_iommu_destroy(f->mmu);
	ioas_as_destroy(f->as);
	ioas_mm_destroy(f->mm);
	ioas_phys_destroy(f->phys);
	ioas_ctx_get_stats(f->ctx, &st);
	CHECK_EQ(st.live_bytes, 0);
	ioas_ctx_destroy(f->ctx);
}

static struct ioas_iommu_dev *dev_add(struct fx *f, uint32_t id, uint32_t grp,
				      uint32_t flags)
{
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .flags = flags,
					    .id = id, .group_id = grp,
					    .pasid_bits = 8 };
	struct ioas_iommu_dev *d;

	CHECK_OK(ioas_iommu_dev_add(f->mmu, &dc, &d));
	return d;
}

static struct ioas_domain *paging(struct fx *f, uint32_t format)
{
	struct ioas_domain_config dc = { .size = sizeof(dc),
					 .type = IOAS_DOMAIN_PAGING };
	struct ioas_domain *d;

	dc.pt.size = sizeof(dc.pt);
	dc.pt.format = format;
	CHECK_OK(ioas_domain_create(f->mmu, &dc, &d));
	return d;
}

static struct ioas_domain *simple(struct fx *f, uint32_t type)
{
	struct ioas_domain_config dc = { .size = sizeof(dc), .type = type };
	struct ioas_domain *d;

	CHECK_OK(ioas_domain_create(f->mmu, &dc, &d));
	return d;
}

static int map_phys(struct ioas_as *as, uint64_t iova, uint64_t len,
		    uint64_t pa, uint32_t prot)
{
	struct ioas_map m = { .size = sizeof(m),
			      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
			      .prot = prot, .iova = iova, .length = len,
			      .addr = pa };

	return ioas_as_map(as, &m);
}

/* translate; returns the fault reason (0 = translated) and *pa */
static uint32_t xl(struct fx *f, struct ioas_iommu_dev *d, uint32_t pasid,
		   uint64_t iova, uint32_t access, uint64_t *pa)
{
	struct ioas_iommu_xlate x;
	int r = ioas_iommu_translate(f->mmu, d, pasid, iova, 1, access, &x);

	if (r == 0) {
		if (pa)
			*pa = x.pa;
		return 0;
	}
	CHECK(r == -EFAULT || r == -EAGAIN);
	return x.fault.reason;
}

TEST(iommu_group_rules)
{
	struct fx f;
	struct ioas_range msi = { 0xfee00000, 0xfeefffff };
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 3,
					    .group_id = 11,
					    .pgsize_bitmap = 1ull << 16 };
	struct ioas_iommu_dev *a, *b, *c, *e;
	struct ioas_domain *d1, *d2, *id, *blk;
	uint64_t pa = 0, pb = 0;

	fx_init(&f);
	a = dev_add(&f, 1, 10, 0);
	b = dev_add(&f, 2, 10, 0);
	CHECK_OK(ioas_iommu_dev_add(f.mmu, &dc, &c));
	dc.id = 1;
	CHECK_ERR(ioas_iommu_dev_add(f.mmu, &dc, &e), -EEXIST);
	CHECK(ioas_iommu_dev_find(f.mmu, 2) == b);
	CHECK(ioas_iommu_dev_group(a) == ioas_iommu_dev_group(b));
	d1 = paging(&f, IOAS_PT_FMT_VTD_SS);
	d2 = paging(&f, IOAS_PT_FMT_ARM_S2);
	id = simple(&f, IOAS_DOMAIN_IDENTITY);
	blk = simple(&f, IOAS_DOMAIN_BLOCKED);
	CHECK_OK(ioas_domain_attach_as(d1, f.as));
	CHECK_ERR(ioas_domain_attach_as(d1, f.as), -EBUSY);
	CHECK_OK(map_phys(f.as, 0x100000, 4 * PG, RAM_BASE, RWP));

	CHECK_EQ(xl(&f, a, 0, 0x100000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_NOT_ATTACHED);
	CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(a), d1));
	CHECK_ERR(ioas_iommu_group_attach(ioas_iommu_dev_group(a), d2), -EBUSY);
	/* c accepts only 64K pages: incompatible with a 4K table */
	CHECK_ERR(ioas_iommu_group_attach(ioas_iommu_dev_group(c), d1), -EPERM);
	/* a device cannot join an attached group */
	dc.id = 4;
	dc.group_id = 10;
	dc.pgsize_bitmap = 0;
	CHECK_ERR(ioas_iommu_dev_add(f.mmu, &dc, &e), -EBUSY);
	/* every device of the group sees the same domain */
	CHECK_EQ(xl(&f, a, 0, 0x101234, IOAS_PROT_WRITE, &pa), 0);
	CHECK_EQ(xl(&f, b, 0, 0x101234, IOAS_PROT_WRITE, &pb), 0);
	CHECK_EQ(pa, RAM_BASE + 0x1234);
	CHECK_EQ(pb, pa);
	CHECK_EQ(xl(&f, a, 0, 0x200000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_NO_MAPPING);
	/* identity, blocking, detach */
	CHECK_OK(ioas_iommu_group_replace(ioas_iommu_dev_group(a), id));
	CHECK_EQ(xl(&f, b, 0, 0x123456789, IOAS_PROT_READ, &pa), 0);
	CHECK_EQ(pa, 0x123456789);
	CHECK_OK(ioas_iommu_group_replace(ioas_iommu_dev_group(a), blk));
	CHECK_EQ(xl(&f, b, 0, 0x100000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_BLOCKED);
	ioas_iommu_group_detach(ioas_iommu_dev_group(a));
	CHECK_EQ(xl(&f, b, 0, 0x100000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_NOT_ATTACHED);
	CHECK(ioas_iommu_group_domain(ioas_iommu_dev_group(a)) == NULL);

	/* a 64K domain suits c */
	{
		struct ioas_domain_config cfg = { .size = sizeof(cfg),
						  .type = IOAS_DOMAIN_PAGING };
		struct ioas_domain *d64;

		cfg.pt.size = sizeof(cfg.pt);
		cfg.pt.format = IOAS_PT_FMT_ARM_S2;
		cfg.pt.granule_lg2 = 16;
		CHECK_OK(ioas_domain_create(f.mmu, &cfg, &d64));
		CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(c), d64));
		/* a 64K domain cannot mirror a 4K space */
		CHECK_ERR(ioas_domain_attach_as(d64, f.as), -EINVAL);
		ioas_domain_destroy(d64);
		CHECK(ioas_iommu_group_domain(ioas_iommu_dev_group(c)) == NULL);
	}
	(void)msi;
	fx_fini(&f);
}

TEST(iommu_reservations_and_failed_replace)
{
	struct fx f;
	struct ioas_range msi = { 0xfee00000, 0xfeefffff };
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 7,
					    .group_id = 7, .dma_bits = 32,
					    .resv = &msi, .nr_resv = 1 };
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL };
	struct ioas_iommu_dev *d;
	struct ioas_domain *d1, *d2;
	struct ioas_as *as2;
	uint64_t pa;

	fx_init(&f);
	CHECK_OK(ioas_as_create(f.mm, &ac, &as2));
	CHECK_OK(ioas_iommu_dev_add(f.mmu, &dc, &d));
	d1 = paging(&f, IOAS_PT_FMT_VTD_SS);
	d2 = paging(&f, IOAS_PT_FMT_AMD_V1);
	CHECK_OK(ioas_domain_attach_as(d1, f.as));
	CHECK_OK(ioas_domain_attach_as(d2, as2));
	CHECK_OK(map_phys(f.as, 0xfee00000, PG, RAM_BASE, RWP));
	/* the doorbell is mapped: no attach */
	CHECK_ERR(ioas_iommu_group_attach(ioas_iommu_dev_group(d), d1),
		  -EADDRINUSE);
	CHECK_OK(ioas_as_unmap(f.as, 0xfee00000, 0xfee00fff, NULL));
	CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(d), d1));
	/* now reserved: maps there, or above the DMA width, are refused */
	CHECK_ERR(map_phys(f.as, 0xfee00000, PG, RAM_BASE, RWP), -EINVAL);
	CHECK_ERR(map_phys(f.as, 1ull << 33, PG, RAM_BASE, RWP), -EINVAL);
	CHECK_OK(map_phys(f.as, 0x1000, PG, RAM_BASE + PG, RWP));
	CHECK_EQ(xl(&f, d, 0, 1ull << 33, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_OUTSIDE_APERTURE);
	/* replace into a space that maps the doorbell fails; the old domain
	 * keeps working */
	CHECK_OK(map_phys(as2, 0xfee00000, PG, RAM_BASE, RWP));
	CHECK_ERR(ioas_iommu_group_replace(ioas_iommu_dev_group(d), d2),
		  -EADDRINUSE);
	CHECK(ioas_iommu_group_domain(ioas_iommu_dev_group(d)) == d1);
	CHECK_EQ(xl(&f, d, 0, 0x1000, IOAS_PROT_READ, &pa), 0);
	CHECK_EQ(pa, RAM_BASE + PG);
	CHECK_OK(ioas_as_unmap(as2, 0xfee00000, 0xfee00fff, NULL));
	CHECK_OK(map_phys(as2, 0x1000, PG, RAM_BASE + 2 * PG, RWP));
	CHECK_OK(ioas_iommu_group_replace(ioas_iommu_dev_group(d), d2));
	CHECK_EQ(xl(&f, d, 0, 0x1000, IOAS_PROT_READ, &pa), 0);
	CHECK_EQ(pa, RAM_BASE + 2 * PG);
	/* the old space's reservations are gone */
	CHECK_OK(map_phys(f.as, 0xfee00000, PG, RAM_BASE, RWP));
	CHECK_ERR(map_phys(as2, 0xfee00000, PG, RAM_BASE, RWP), -EINVAL);
	ioas_iommu_destroy(f.mmu);
	f.mmu = NULL;
	/* everything undone by destroy */
	CHECK_OK(map_phys(as2, 0xfee00000, PG, RAM_BASE, RWP));
	ioas_as_destroy(as2);
	fx_fini(&f);
}

TEST(iommu_multi_format_identical)
{
	static const uint32_t fmts[] = { IOAS_PT_FMT_VTD_SS, IOAS_PT_FMT_ARM_S2,
					 IOAS_PT_FMT_AMD_V1, IOAS_PT_FMT_X86_64,
					 IOAS_PT_FMT_ARM_S1 };
	enum { NF = 5 };
	struct ioas_iommu_dev *dev[NF + 1];
	struct ioas_domain *dom[NF + 1];
	struct test_rng rng;
	struct fx f;
	uint64_t seed = test_seed();

	test_set_seed(seed);
	test_rng_seed(&rng, seed);
	fx_init(&f);
	for (int i = 0; i < NF; i++) {
		dev[i] = dev_add(&f, (uint32_t)i + 1, (uint32_t)i + 1, 0);
		dom[i] = paging(&f, fmts[i]);
		CHECK_OK(ioas_domain_attach_as(dom[i], f.as));
		CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(dev[i]),
						 dom[i]));
	}
	/* random maps of 4K..4M with aligned pa so large pages appear */
	for (int round = 0; round < 400; round++) {
		uint64_t lg2 = 12 + test_rng_below(&rng, 11);
		uint64_t len = 1ull << lg2;
		uint64_t iova = test_rng_below(&rng, (1ull << 30) >> lg2) << lg2;
		uint64_t pa = RAM_BASE + (test_rng_below(&rng, RAM_LEN >> lg2) << lg2);
		uint32_t prot = test_rng_below(&rng, 2) ? RWP : IOAS_PROT_READ;


		if (test_rng_below(&rng, 4) == 0)
			(void)ioas_as_unmap(f.as, iova, iova + (len << 2) - 1,
					    NULL);
		else
			(void)map_phys(f.as, iova, len, pa, prot);
	}
	/* a domain attached to the populated space is filled */
	dev[NF] = dev_add(&f, 99, 99, 0);
	dom[NF] = paging(&f, IOAS_PT_FMT_VTD_SS);
	CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(dev[NF]), dom[NF]));
	CHECK_OK(ioas_domain_attach_as(dom[NF], f.as));
	for (int i = 0; i < 20000; i++) {
		uint64_t iova = test_rng_below(&rng, 1ull << 30);
		uint64_t len = 1 + test_rng_below(&rng, 1ull << 22);
		uint32_t acc = test_rng_below(&rng, 2) ? IOAS_PROT_WRITE
						       : IOAS_PROT_READ;
		struct ioas_iommu_xlate x0, x;
		int r0 = ioas_iommu_translate(f.mmu, dev[0], 0, iova, len, acc,
					      &x0);
		uint64_t pa;
		uint32_t prot;
		int64_t n = ioas_as_lookup(f.as, iova, &pa, &prot);

		/* against the address space's own truth */
		if (n < 0) {
			CHECK_ERR(r0, -EFAULT);
			CHECK_EQ(x0.fault.reason, IOAS_FAULT_NO_MAPPING);
		} else if (!(prot & acc)) {
			CHECK_ERR(r0, -EFAULT);
			CHECK_EQ(x0.fault.reason, IOAS_FAULT_PERMISSION);
		} else {
			CHECK_OK(r0);
			CHECK_EQ(x0.pa, pa);
		}
		for (int k = 1; k <= NF; k++) {
			int r = ioas_iommu_translate(f.mmu, dev[k], 0, iova, len,
						     acc, &x);

			CHECK_EQ(r, r0);
			if (!r) {
				CHECK_EQ(x.pa, x0.pa);
				CHECK_EQ(x.length, x0.length);
			} else {
				CHECK_EQ(x.fault.reason, x0.fault.reason);
			}
		}
	}
	while (ioas_iommu_fault_pop(f.mmu, &(struct ioas_fault){ 0 }) == 0)
		;
	fx_fini(&f);
}

TEST(iommu_strict_and_deferred)
{
	for (int mode = 0; mode < 3; mode++) {
		struct ioas_iommu_config ic = { .size = sizeof(ic),
						.inv_queue_len = 4 };
		struct ioas_iommu_stats st;
		struct ioas_iommu_dev *d;
		struct ioas_domain *dom;
		struct fx f;
		uint64_t pa;

		ic.inv_mode = mode ? IOAS_INV_DEFERRED : IOAS_INV_STRICT;
		ic.flags = mode == 2 ? IOAS_IOMMU_F_STALE : 0;
		fx_init_cfg(&f, &ic);
		d = dev_add(&f, 1, 1, 0);
		dom = paging(&f, IOAS_PT_FMT_VTD_SS);
		CHECK_OK(ioas_domain_attach_as(dom, f.as));
		CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(d), dom));
		CHECK_OK(map_phys(f.as, 0x100000, PG, RAM_BASE, RWP));
		CHECK_EQ(xl(&f, d, 0, 0x100000, IOAS_PROT_READ, &pa), 0);
		CHECK_EQ(xl(&f, d, 0, 0x100000, IOAS_PROT_READ, &pa), 0);
		ioas_iommu_get_stats(f.mmu, &st);
		CHECK(st.iotlb_hits + st.atc_hits >= 1); /* cached on the walk */
		CHECK_OK(ioas_as_unmap(f.as, 0x100000, 0x100fff, NULL));
		if (mode == 2) {
			/* hardware-faithful: the stale entry serves */
			CHECK_EQ(xl(&f, d, 0, 0x100000, IOAS_PROT_READ, &pa), 0);
			CHECK_EQ(pa, RAM_BASE);
		} else {
			CHECK_EQ(xl(&f, d, 0, 0x100000, IOAS_PROT_READ, NULL),
				 IOAS_FAULT_NO_MAPPING);
		}
		ioas_iommu_sync(f.mmu);
		CHECK_EQ(xl(&f, d, 0, 0x100000, IOAS_PROT_READ, NULL),
			 IOAS_FAULT_NO_MAPPING);
		/* seed 004: a map after an unsynced unmap never serves the old
		 * translation through the new mapping */
		CHECK_OK(map_phys(f.as, 0x200000, PG, RAM_BASE, RWP));
		CHECK_EQ(xl(&f, d, 0, 0x200000, IOAS_PROT_READ, &pa), 0);
		CHECK_OK(ioas_as_unmap(f.as, 0x200000, 0x200fff, NULL));
		CHECK_OK(map_phys(f.as, 0x200000, PG, RAM_BASE + 5 * PG, RWP));
		CHECK_EQ(xl(&f, d, 0, 0x200000, IOAS_PROT_READ, &pa), 0);
		CHECK_EQ(pa, RAM_BASE + 5 * PG);
		/* a full queue is processed */
		for (uint64_t i = 0; i < 6; i++)
			CHECK_OK(map_phys(f.as, 0x400000 + i * PG, PG,
					  RAM_BASE + i * PG, RWP));
		for (uint64_t i = 0; i < 6; i++)
			CHECK_OK(ioas_as_unmap(f.as, 0x400000 + i * PG,
					       0x400fff + i * PG, NULL));
		ioas_iommu_get_stats(f.mmu, &st);
		if (mode) {
			CHECK(st.syncs >= 2);
			CHECK(st.inv_pending <= 4);
		} else {
			CHECK_EQ(st.inv_pending, 0);
		}
		fx_fini(&f);
	}
}

static int cb_calls;
static void fault_cb(void *opaque, const struct ioas_fault *fr)
{
	(void)opaque;
	(void)fr;
	cb_calls++;
}

TEST(iommu_fault_queue_overflow_and_stop)
{
	struct ioas_iommu_config ic = { .size = sizeof(ic),
					.fault_queue_len = 4,
					.fault_cb = fault_cb };
	struct ioas_iommu_dev *d, *s;
	struct ioas_iommu_stats st;
	struct ioas_iommu_xlate x;
	struct ioas_fault fr;
	struct fx f;

	fx_init_cfg(&f, &ic);
	cb_calls = 0;
	d = dev_add(&f, 1, 1, 0);
	s = dev_add(&f, 2, 2, IOAS_DEV_F_STOP_ON_FAULT);
	for (uint64_t i = 0; i < 10; i++)
		CHECK_ERR(ioas_iommu_translate(f.mmu, d, 0, i * PG, 8,
					       IOAS_PROT_WRITE, &x),
			  -EFAULT);
	ioas_iommu_get_stats(f.mmu, &st);
	CHECK_EQ(st.faults, 10);
	CHECK_EQ(st.faults_queued, 4);
	CHECK_EQ(st.fault_overflow, 6);
	CHECK_EQ(cb_calls, 10);
	for (uint64_t i = 0; i < 4; i++) {
		CHECK_OK(ioas_iommu_fault_pop(f.mmu, &fr));
		CHECK_EQ(fr.addr, i * PG);
		CHECK_EQ(fr.dev_id, 1);
		CHECK_EQ(fr.access, IOAS_PROT_WRITE);
		CHECK_EQ(fr.reason, IOAS_FAULT_NOT_ATTACHED);
	}
	CHECK_ERR(ioas_iommu_fault_pop(f.mmu, &fr), -ENOENT);
	/* stop on fault: one record, then STOPPED without records */
	CHECK_EQ(xl(&f, s, 0, 0, IOAS_PROT_READ, NULL), IOAS_FAULT_NOT_ATTACHED);
	CHECK(ioas_iommu_dev_stopped(s));
	CHECK_EQ(xl(&f, s, 0, 0, IOAS_PROT_READ, NULL), IOAS_FAULT_STOPPED);
	CHECK_EQ(xl(&f, s, 0, 0, IOAS_PROT_READ, NULL), IOAS_FAULT_STOPPED);
	ioas_iommu_get_stats(f.mmu, &st);
	CHECK_EQ(st.faults, 11);
	ioas_iommu_dev_clear_stop(s);
	CHECK(!ioas_iommu_dev_stopped(s));
	CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(s),
					 simple(&f, IOAS_DOMAIN_IDENTITY)));
	CHECK_EQ(xl(&f, s, 0, 0x5000, IOAS_PROT_READ, NULL), 0);
	/* argument errors are not faults */
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 0, 0, 0, IOAS_PROT_READ, &x),
		  -EINVAL);
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 0, UINT64_MAX, 2,
				       IOAS_PROT_READ, &x),
		  -EOVERFLOW);
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 0, 0, 1, IOAS_PROT_MMIO, &x),
		  -EINVAL);
	fx_fini(&f);
}

/* A process page table (x86-64) for SVA, in the IOMMU's phys. */
TEST(iommu_sva_supervisor_user)
{
	struct ioas_pt_config pc = { .size = sizeof(pc),
				     .format = IOAS_PT_FMT_X86_64 };
	struct ioas_domain_config dc = { .size = sizeof(dc),
					 .type = IOAS_DOMAIN_SVA };
	struct ioas_domain *user, *sup;
	struct ioas_iommu_dev *plain, *priv;
	struct ioas_domain *bad;
	struct ioas_pt *cpu;
	struct fx f;
	uint64_t pa;

	fx_init(&f);
	CHECK_OK(ioas_pt_create(f.phys, &pc, &cpu));
	/* user page and supervisor (kernel) page */
	CHECK_OK(ioas_pt_map(cpu, 0x400000, 0x400fff, RAM_BASE, RWP));
	CHECK_OK(ioas_pt_map(cpu, 0x800000, 0x800fff, RAM_BASE + PG,
			     RWP | IOAS_PROT_PRIV));
	dc.hw.size = sizeof(dc.hw);
	CHECK_OK(ioas_pt_get_hw(cpu, &dc.hw));
	CHECK_OK(ioas_domain_create(f.mmu, &dc, &user));
	dc.flags = IOAS_DOMAIN_F_SUPERVISOR;
	CHECK_OK(ioas_domain_create(f.mmu, &dc, &sup));
	dc.type = IOAS_DOMAIN_PAGING;
	CHECK_ERR(ioas_domain_create(f.mmu, &dc, &bad), -EINVAL);
	plain = dev_add(&f, 1, 1, 0);
	priv = dev_add(&f, 2, 2, IOAS_DEV_F_PRIV);
	/* SVA is PASID only; a supervisor bind needs privileged requests */
	CHECK_ERR(ioas_iommu_group_attach(ioas_iommu_dev_group(plain), user),
		  -EINVAL);
	CHECK_ERR(ioas_iommu_pasid_attach(plain, 1, sup, 0), -EOPNOTSUPP);
	CHECK_ERR(ioas_iommu_pasid_attach(plain, 0, user, 0), -EINVAL);
	CHECK_ERR(ioas_iommu_pasid_attach(plain, 256, user, 0), -EINVAL);
	CHECK_OK(ioas_iommu_pasid_attach(plain, 1, user, 0));
	CHECK_OK(ioas_iommu_pasid_attach(priv, 1, user, 0));
	CHECK_OK(ioas_iommu_pasid_attach(priv, 2, sup, 0));

	/* user bind: user pages only, no privileged requests */
	CHECK_EQ(xl(&f, plain, 1, 0x400010, IOAS_PROT_WRITE, &pa), 0);
	CHECK_EQ(pa, RAM_BASE + 0x10);
	CHECK_EQ(xl(&f, plain, 1, 0x800000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_PRIV_REQUIRED);
	CHECK_EQ(xl(&f, priv, 1, 0x400000,
		    IOAS_PROT_READ | IOAS_PROT_PRIV, NULL),
		 IOAS_FAULT_PERMISSION);
	/* supervisor bind: privileged requests reach kernel pages, user
	 * requests still do not (U/S enforced) */
	CHECK_EQ(xl(&f, priv, 2, 0x800008, IOAS_PROT_READ | IOAS_PROT_PRIV,
		    &pa), 0);
	CHECK_EQ(pa, RAM_BASE + PG + 8);
	CHECK_EQ(xl(&f, priv, 2, 0x800008, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_PRIV_REQUIRED);
	CHECK_EQ(xl(&f, priv, 2, 0x400000, IOAS_PROT_READ, &pa), 0);
	/* PASID errors */
	CHECK_EQ(xl(&f, priv, 3, 0x400000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_PASID_NOT_PRESENT);
	CHECK_EQ(xl(&f, priv, 1000, 0x400000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_PASID_NOT_PRESENT);
	CHECK_EQ(xl(&f, priv, 0, 0x400000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_NOT_ATTACHED);
	/* the process changes its table: cached until invalidated */
	CHECK_EQ(xl(&f, plain, 1, 0x400000, IOAS_PROT_READ, NULL), 0);
	CHECK_OK(ioas_pt_unmap(cpu, 0x400000, 0x400fff, NULL));
	CHECK_EQ(xl(&f, plain, 1, 0x400000, IOAS_PROT_READ, NULL), 0);
	ioas_domain_invalidate(user, 1, 0x400000, 0x400fff);
	CHECK_EQ(xl(&f, plain, 1, 0x400000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_NO_MAPPING);
	ioas_iommu_pasid_detach(plain, 1);
	CHECK_EQ(xl(&f, plain, 1, 0x400000, IOAS_PROT_READ, NULL),
		 IOAS_FAULT_PASID_NOT_PRESENT);
	ioas_iommu_destroy(f.mmu);
	f.mmu = NULL;
	ioas_pt_destroy(cpu);
	fx_fini(&f);
}

/*
 * Nesting: guest RAM is host RAM at HPA GUEST_HPA, seen by the guest at
 * GPA 0. The guest builds its stage-1 table (x86-64 / VT-d first stage) in
 * guest memory at GPA 0 .. 1M; stage 2 maps GPA [0, 2M) only.
 */
#define GUEST_HPA 0x40000000ull
#define GUEST_LEN (4ull << 20)
TEST(iommu_nesting)
{
	struct ioas_phys_region gr = { .size = sizeof(gr), .kind = IOAS_PHYS_RAM,
				       .base = GUEST_HPA, .length = GUEST_LEN };
	struct ioas_domain_config dc = { .size = sizeof(dc),
					 .type = IOAS_DOMAIN_NESTED };
	struct ioas_pt_config pc = { .size = sizeof(pc),
				     .flags = IOAS_PT_F_TABLES_IN_REGION,
				     .format = IOAS_PT_FMT_X86_64,
				     .table_base = 0 };
	struct ioas_phys *gphys;
	struct ioas_pt *s1;
	struct ioas_domain *s2, *nest;
	struct ioas_iommu_dev *d;
	struct ioas_iommu_xlate x;
	uint8_t *host;
	struct fx f;

	fx_init(&f);
	CHECK_OK(ioas_phys_add(f.phys, &gr));
	CHECK_OK(ioas_phys_ptr(f.phys, GUEST_HPA, GUEST_HPA + GUEST_LEN - 1,
			       (void **)&host));
	/* the guest's view of the same memory */
	CHECK_OK(ioas_phys_create(f.ctx, &gphys));
	{
		struct ioas_phys_region a = { .size = sizeof(a),
					      .kind = IOAS_PHYS_RAM, .base = 0,
					      .length = 1ull << 20,
					      .host = host };
		struct ioas_phys_region b = { .size = sizeof(b),
					      .kind = IOAS_PHYS_RAM,
					      .base = 1ull << 20,
					      .length = GUEST_LEN - (1ull << 20),
					      .host = host + (1ull << 20) };

		CHECK_OK(ioas_phys_add(gphys, &a));
		CHECK_OK(ioas_phys_add(gphys, &b));
	}
	CHECK_OK(ioas_pt_create(gphys, &pc, &s1));
	CHECK_OK(ioas_pt_map(s1, 0x10000000, 0x10000fff, 0x100000, RWP));
	CHECK_OK(ioas_pt_map(s1, 0x20000000, 0x20000fff, 0x300000, RWP));
	CHECK_OK(ioas_pt_map(s1, 0x30000000, 0x30000fff, 0x101000,
			     IOAS_PROT_READ));

	s2 = paging(&f, IOAS_PT_FMT_VTD_SS);
	CHECK_OK(ioas_domain_attach_as(s2, f.as));
	CHECK_OK(map_phys(f.as, 0, 2ull << 20, GUEST_HPA, RWP));
	dc.parent = s2;
	dc.hw.size = sizeof(dc.hw);
	CHECK_OK(ioas_pt_get_hw(s1, &dc.hw));
	CHECK_OK(ioas_domain_create(f.mmu, &dc, &nest));
	d = dev_add(&f, 1, 1, 0);
	CHECK_OK(ioas_iommu_pasid_attach(d, 5, nest, 0));

	CHECK_OK(ioas_iommu_translate(f.mmu, d, 5, 0x10000010, 64,
				      IOAS_PROT_WRITE, &x));
	CHECK_EQ(x.pa, GUEST_HPA + 0x100010);
	CHECK_EQ(x.length, 64);
	/* stage-1 miss */
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 5, 0x50000000, 1,
				       IOAS_PROT_READ, &x), -EFAULT);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_NO_MAPPING);
	CHECK_EQ(x.fault.stage, 1);
	CHECK_EQ(x.fault.pasid, 5);
	/* stage 1 permission */
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 5, 0x30000000, 1,
				       IOAS_PROT_WRITE, &x), -EFAULT);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_PERMISSION);
	CHECK_EQ(x.fault.stage, 1);
	/* the output GPA is not mapped by stage 2 */
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 5, 0x20000000, 1,
				       IOAS_PROT_READ, &x), -EFAULT);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_NO_MAPPING);
	CHECK_EQ(x.fault.stage, 2);
	CHECK_EQ(x.fault.stage_addr, 0x300000);
	CHECK(!(x.fault.flags & IOAS_FAULT_F_TABLE_WALK));
	/* the guest changes stage 1: cached until it invalidates */
	CHECK_OK(ioas_pt_unmap(s1, 0x10000000, 0x10000fff, NULL));
	CHECK_OK(ioas_pt_map(s1, 0x10000000, 0x10000fff, 0x102000, RWP));
	CHECK_OK(ioas_iommu_translate(f.mmu, d, 5, 0x10000000, 1,
				      IOAS_PROT_READ, &x));
	CHECK_EQ(x.pa, GUEST_HPA + 0x100000);
	ioas_domain_invalidate(nest, 5, 0x10000000, 0x10000fff);
	CHECK_OK(ioas_iommu_translate(f.mmu, d, 5, 0x10000000, 1,
				      IOAS_PROT_READ, &x));
	CHECK_EQ(x.pa, GUEST_HPA + 0x102000);
	/* stage 2 loses the guest memory with the tables: the cached
	 * combined translation goes with it and the walk faults at stage 2
	 * while reading a stage-1 table */
	CHECK_OK(ioas_as_unmap(f.as, 0, (2ull << 20) - 1, NULL));
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 5, 0x10000000, 1,
				       IOAS_PROT_READ, &x), -EFAULT);
	CHECK_EQ(x.fault.stage, 2);
	CHECK(x.fault.flags & IOAS_FAULT_F_TABLE_WALK);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_NO_MAPPING);
	/* parent gone: children fault at stage 2 */
	CHECK_OK(map_phys(f.as, 0, 2ull << 20, GUEST_HPA, RWP));
	CHECK_OK(ioas_iommu_translate(f.mmu, d, 5, 0x10000000, 1,
				      IOAS_PROT_READ, &x));
	ioas_domain_destroy(s2);
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 5, 0x10000000, 1,
				       IOAS_PROT_READ, &x), -EFAULT);
	CHECK_EQ(x.fault.stage, 2);
	ioas_iommu_destroy(f.mmu);
	f.mmu = NULL;
	ioas_pt_destroy(s1);
	ioas_phys_destroy(gphys);
	fx_fini(&f);
}

TEST(iommu_page_request)
{
	struct ioas_iommu_dev *d, *np;
	struct ioas_domain *dom;
	struct ioas_page_request pr;
	struct ioas_iommu_xlate x;
	struct ioas_iommu_stats st;
	struct fx f;

	fx_init(&f);
	d = dev_add(&f, 1, 1, IOAS_DEV_F_PRI);
	np = dev_add(&f, 2, 2, 0);
	dom = paging(&f, IOAS_PT_FMT_VTD_SS);
	CHECK_OK(ioas_domain_attach_as(dom, f.as));
	CHECK_ERR(ioas_iommu_pasid_attach(np, 3, dom, IOAS_PASID_F_PRI),
		  -EOPNOTSUPP);
	CHECK_OK(ioas_iommu_pasid_attach(d, 3, dom, IOAS_PASID_F_PRI));
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 3, 0x7000123, 4,
				       IOAS_PROT_WRITE, &x), -EAGAIN);
	CHECK(x.fault.flags & IOAS_FAULT_F_PAGE_REQ);
	/* the retry before the answer asks nothing new */
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 3, 0x7000456, 4,
				       IOAS_PROT_WRITE, &x), -EAGAIN);
	CHECK_OK(ioas_iommu_page_request_next(f.mmu, &pr));
	CHECK_ERR(ioas_iommu_page_request_next(f.mmu, &pr), -ENOENT);
	CHECK_EQ(pr.addr, 0x7000000);
	CHECK_EQ(pr.pasid, 3);
	CHECK_EQ(pr.dev_id, 1);
	CHECK_EQ(pr.access, IOAS_PROT_WRITE);
	/* the handler maps and answers; the access is retried */
	CHECK_OK(map_phys(f.as, 0x7000000, PG, RAM_BASE + 3 * PG, RWP));
	CHECK_OK(ioas_iommu_page_respond(f.mmu, pr.id, IOAS_PAGE_RESP_SUCCESS));
	CHECK_ERR(ioas_iommu_page_respond(f.mmu, pr.id, IOAS_PAGE_RESP_SUCCESS),
		  -ENOENT);
	CHECK_OK(ioas_iommu_translate(f.mmu, d, 3, 0x7000123, 4,
				      IOAS_PROT_WRITE, &x));
	CHECK_EQ(x.pa, RAM_BASE + 3 * PG + 0x123);
	/* invalid: the retry faults for good, once */
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 3, 0x9000000, 1,
				       IOAS_PROT_READ, &x), -EAGAIN);
	CHECK_OK(ioas_iommu_page_request_next(f.mmu, &pr));
	CHECK_OK(ioas_iommu_page_respond(f.mmu, pr.id, IOAS_PAGE_RESP_INVALID));
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 3, 0x9000000, 1,
				       IOAS_PROT_READ, &x), -EFAULT);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_NO_MAPPING);
	ioas_iommu_get_stats(f.mmu, &st);
	CHECK_EQ(st.page_requests, 2);
	CHECK_EQ(st.faults, 1);
	/* without PRI on the PASID: an ordinary fault */
	CHECK_OK(ioas_iommu_pasid_attach(d, 4, dom, 0));
	CHECK_ERR(ioas_iommu_translate(f.mmu, d, 4, 0x9000000, 1,
				       IOAS_PROT_READ, &x), -EFAULT);
	fx_fini(&f);
}

TEST(iommu_container_spapr_window)
{
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_EXPLICIT };
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 3,
					    .group_id = 3,
					    .pgsize_bitmap = 1ull << 16 };
	struct ioas_range wins[4], usable[8], resv[8];
	struct ioas_as_info info = { .size = sizeof(info), .num_windows = 4,
				     .windows = wins, .num_usable = 8,
				     .usable = usable, .num_reserved = 8,
				     .reserved = resv };
	struct ioas_window big = { .size = sizeof(big), .base = 1ull << 40,
				   .length = 1ull << 30,
				   .pgsize_bitmap = PG | (1ull << 21) };
	struct ioas_iommu_dev *a, *b, *c;
	struct ioas_iommu_stats st;
	struct ioas_as *ex;
	struct fx f;
	uint64_t pa;

	fx_init(&f);
	CHECK_OK(ioas_as_create(f.mm, &ac, &ex));
	a = dev_add(&f, 1, 1, 0);
	b = dev_add(&f, 2, 2, 0);
	CHECK_OK(ioas_iommu_dev_add(f.mmu, &dc, &c));
	CHECK_OK(ioas_iommu_group_attach_as(ioas_iommu_dev_group(a), ex));
	CHECK_OK(ioas_as_query(ex, &info));
	CHECK_EQ(info.num_windows, 1);
	CHECK_EQ(wins[0].start, 0);
	CHECK_EQ(wins[0].last, 0xffffffffull);
	CHECK_ERR(ioas_iommu_group_attach_as(ioas_iommu_dev_group(a), ex),
		  -EBUSY);
	CHECK_OK(ioas_iommu_group_attach_as(ioas_iommu_dev_group(b), ex));
	CHECK(ioas_iommu_group_domain(ioas_iommu_dev_group(a)) ==
	      ioas_iommu_group_domain(ioas_iommu_dev_group(b)));
	CHECK_ERR(ioas_iommu_group_attach_as(ioas_iommu_dev_group(c), ex),
		  -EPERM);
	CHECK_OK(map_phys(ex, 0x10000, PG, RAM_BASE, RWP));
	CHECK_EQ(xl(&f, b, 0, 0x10010, IOAS_PROT_READ, &pa), 0);
	CHECK_EQ(pa, RAM_BASE + 0x10);
	/* a large window afterwards */
	CHECK_OK(ioas_as_window_create(ex, &big));
	CHECK_OK(map_phys(ex, 1ull << 40, 1ull << 21, RAM_BASE, RWP));
	CHECK_EQ(xl(&f, a, 0, (1ull << 40) + 0x1234, IOAS_PROT_READ, &pa), 0);
	CHECK_EQ(pa, RAM_BASE + 0x1234);
	ioas_iommu_group_detach(ioas_iommu_dev_group(a));
	ioas_iommu_get_stats(f.mmu, &st);
	CHECK_EQ(st.domains, 1);
	ioas_iommu_group_detach(ioas_iommu_dev_group(b));
	ioas_iommu_get_stats(f.mmu, &st);
	CHECK_EQ(st.domains, 0); /* the shared domain went with its last group */
	ioas_iommu_destroy(f.mmu);
	f.mmu = NULL;
	ioas_as_destroy(ex);
	fx_fini(&f);
}

/* Every allocation of a typical setup can fail; nothing leaks, and a
 * failed call leaves things as they were. */
TEST(iommu_fail_nth)
{
	struct fx f;

	for (uint64_t n = 1;; n++) {
		struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 1,
						    .group_id = 1,
						    .pasid_bits = 12 };
		struct ioas_domain_config pc = { .size = sizeof(pc),
						 .type = IOAS_DOMAIN_PAGING };
		struct ioas_iommu_dev *d = NULL;
		struct ioas_domain *dom = NULL;
		struct ioas_iommu_xlate x;
		bool fired;
		int r;

		fx_init(&f);
		CHECK_OK(map_phys(f.as, 0x100000, 16 * PG, RAM_BASE, RWP));
		ioas_iommu_destroy(f.mmu);
		f.mmu = NULL;
		ioas_ctx_fail_nth(f.ctx, n);
		pc.pt.size = sizeof(pc.pt);
		pc.pt.format = IOAS_PT_FMT_AMD_V1;
		r = ioas_iommu_create(f.ctx, f.phys, NULL, &f.mmu);
		if (!r)
			r = ioas_iommu_dev_add(f.mmu, &dc, &d);
		if (!r)
			r = ioas_domain_create(f.mmu, &pc, &dom);
		if (!r)
			r = ioas_domain_attach_as(dom, f.as);
		if (!r)
			r = ioas_iommu_group_attach(ioas_iommu_dev_group(d), dom);
		if (!r)
			r = ioas_iommu_pasid_attach(d, 1000, dom, 0);
		if (!r)
			r = map_phys(f.as, 0x400000, PG, RAM_BASE, RWP);
		fired = ioas_ctx_fail_nth_fired(f.ctx);
		ioas_ctx_fail_nth(f.ctx, 0);
		if (r) {
			CHECK_ERR(r, -ENOMEM);
			CHECK(fired);
		} else {
			CHECK_OK(ioas_iommu_translate(f.mmu, d, 1000, 0x100000,
						      1, IOAS_PROT_READ, &x));
			CHECK_OK(ioas_iommu_translate(f.mmu, d, 0, 0x400000, 1,
						      IOAS_PROT_READ, &x));
		}
		if (f.mmu && d && dom && r) {
			/* the space still maps and unmaps */
			CHECK_OK(ioas_as_unmap(f.as, 0x100000, 0x10ffff, NULL));
		}
		fx_fini(&f);
		if (!fired)
			break;
	}
}
