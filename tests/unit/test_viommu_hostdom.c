/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The software IOMMU's HOST domain (the virtio-iommu device's default
 * format): reads its address space's own mapping tree, translates
 * through the ATC/IOTLB and the tree (physically contiguous runs of
 * pinned host memory included), never serves a stale translation
 * after an unmap (strict and deferred), caches the largest aligned block,
 * rolls back a failed map (fail-nth), and stays consistent while other
 * threads translate (run under TSan by make test-tsan).
 */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>

#include <ioas/as.h>
#include <ioas/iommu.h>
#include <ioas/mm.h>
#include <ioas/phys.h>

struct hfx {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as;
	struct ioas_iommu *mmu;
	struct ioas_domain *dom;
	struct ioas_iommu_dev *dev;
};

static void hfx_init(struct hfx *f, uint32_t inv_mode)
{
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL,
				     .pin_mode = IOAS_PIN_ON_MAP };
	struct ioas_iommu_config ic = { .size = sizeof(ic),
					.inv_mode = inv_mode };
	struct ioas_domain_config dc = { .size = sizeof(dc),
					 .type = IOAS_DOMAIN_HOST };
	struct ioas_range rr = { 0xfee00000, 0xfeefffff };
	struct ioas_iommu_dev_config dv = { .size = sizeof(dv), .id = 5,
					    .group_id = 5, .resv = &rr,
					    .nr_resv = 1 };

	memset(f, 0, sizeof(*f));
	CHECK_OK(ioas_ctx_create(NULL, &f->ctx));
	CHECK_OK(ioas_phys_create(f->ctx, &f->phys));
	CHECK_OK(ioas_mm_create(f->ctx, f->phys, &f->mm));
	CHECK_OK(ioas_as_create(f->mm, &ac, &f->as));
	CHECK_OK(ioas_iommu_create(f->ctx, f->phys, &ic, &f->mmu));
	CHECK_OK(ioas_domain_create(f->mmu, &dc, &f->dom));
	CHECK(ioas_domain_pt(f->dom) == NULL);
	CHECK_OK(ioas_domain_attach_as(f->dom, f->as));
	CHECK_OK(ioas_iommu_dev_add(f->mmu, &dv, &f->dev));
	CHECK_OK(ioas_iommu_group_attach(ioas_iommu_dev_group(f->dev), f->dom));
}

static void hfx_fini(struct hfx *f)
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

static int hmap(struct hfx *f, uint64_t iova, uint64_t len, uint64_t pa,
		uint32_t prot)
{
	struct ioas_map m = { .size = sizeof(m),
			      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
			      .prot = prot, .iova = iova, .length = len,
			      .addr = pa };

	return ioas_as_map(f->as, &m);
}

static int hxl(struct hfx *f, uint64_t iova, uint64_t len, uint32_t acc,
	       struct ioas_iommu_xlate *x)
{
	return ioas_iommu_translate(f->mmu, f->dev, 0, iova, len, acc, x);
}

TEST(host_translate_and_faults)
{
	struct hfx f;
	struct ioas_iommu_xlate x;

	hfx_init(&f, IOAS_INV_STRICT);
	CHECK_OK(hmap(&f, 0x10000, 0x4000, 0x80000, IOAS_PROT_READ));
	CHECK_OK(hmap(&f, 0x14000, 0x1000, 0x84000, IOAS_PROT_READ |
							    IOAS_PROT_WRITE));
	for (int pass = 0; pass < 3; pass++) { /* walk, IOTLB, ATC */
		CHECK_OK(hxl(&f, 0x10123, 4, IOAS_PROT_READ, &x));
		CHECK_EQ(x.pa, 0x80123);
		CHECK_EQ(x.length, 4);
	}
	/* contiguous across the two runs */
	CHECK_OK(hxl(&f, 0x13000, 0x2000, IOAS_PROT_READ, &x));
	CHECK_EQ(x.pa, 0x83000);
	CHECK_EQ(x.length, 0x2000);
	CHECK_ERR(hxl(&f, 0x10000, 1, IOAS_PROT_WRITE, &x), -EFAULT);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_PERMISSION);
	CHECK_ERR(hxl(&f, 0x20000, 1, IOAS_PROT_READ, &x), -EFAULT);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_NO_MAPPING);
	/* the device's reserved region is reserved in the space */
	CHECK_ERR(hmap(&f, 0xfee00000, 0x1000, 0, IOAS_PROT_WRITE), -EINVAL);
	hfx_fini(&f);
}

TEST(host_large_blocks)
{
	struct hfx f;
	struct ioas_iommu_xlate x;
	struct ioas_iommu_stats st;

	hfx_init(&f, IOAS_INV_STRICT);
	/* 4 MiB at a 2 MiB aligned IOVA and pa: one 2 MiB block per half */
	CHECK_OK(hmap(&f, 0x40000000, 0x400000, 0x200000, IOAS_PROT_READ));
	CHECK_OK(hxl(&f, 0x40000000, 1, IOAS_PROT_READ, &x));
	ioas_iommu_get_stats(f.mmu, &st);
	CHECK_EQ(st.walks, 1);
	for (uint64_t off = 0; off < 0x200000; off += 0x1000) {
		CHECK_OK(hxl(&f, 0x40000000 + off, 1, IOAS_PROT_READ, &x));
		CHECK_EQ(x.pa, 0x200000 + off);
	}
	ioas_iommu_get_stats(f.mmu, &st);
	CHECK_EQ(st.walks, 1);
	/* pa offset not aligned beyond 4 KiB: 4 KiB blocks, still right */
	CHECK_OK(hmap(&f, 0x50000000, 0x10000, 0x301000, IOAS_PROT_READ));
	for (uint64_t off = 0; off < 0x10000; off += 0x800) {
		CHECK_OK(hxl(&f, 0x50000000 + off, 1, IOAS_PROT_READ, &x));
		CHECK_EQ(x.pa, 0x301000 + off);
	}
	hfx_fini(&f);
}

/* Pinned host memory across two RAM regions adjacent in host memory but
 * not physically: the walk resolves each page through the pin and stops a
 * translation at the physical edge, whichever page it starts from. */
TEST(host_pinned_runs)
{
	const uint64_t pg = 0x1000;
	uint8_t *mem = aligned_alloc(pg, 32 * pg);
	struct hfx f;
	struct ioas_iommu_xlate x;

	CHECK(mem);
	hfx_init(&f, IOAS_INV_STRICT);
	struct ioas_phys_region a = { .size = sizeof(a), .kind = IOAS_PHYS_RAM,
				      .base = 0x100000, .length = 16 * pg,
				      .host = mem };
	struct ioas_phys_region b = { .size = sizeof(b), .kind = IOAS_PHYS_RAM,
				      .base = 0x900000, .length = 16 * pg,
				      .host = mem + 16 * pg };
	CHECK_OK(ioas_phys_add(f.phys, &a));
	CHECK_OK(ioas_phys_add(f.phys, &b));
	struct ioas_map m = { .size = sizeof(m), .flags = IOAS_MAP_FIXED_IOVA,
			      .prot = IOAS_PROT_READ, .iova = 0x40000,
			      .length = 6 * pg,
			      .addr = (uint64_t)(uintptr_t)mem + 12 * pg };
	CHECK_OK(ioas_as_map(f.as, &m));
	for (int pass = 0; pass < 2; pass++) { /* last page first, then first */
		for (int k = 0; k < 6; k++) {
			int p = pass ? k : 5 - k;
			uint64_t want = p < 4 ? 0x100000 + (12 + (uint64_t)p) * pg
					      : 0x900000 + (uint64_t)(p - 4) * pg;

			CHECK_OK(hxl(&f, 0x40000 + (uint64_t)p * pg + 0x10,
				     6 * pg - (uint64_t)p * pg - 0x10,
				     IOAS_PROT_READ, &x));
			CHECK_EQ(x.pa, want + 0x10);
			CHECK_EQ(x.length, (p < 4 ? 4 * pg : 6 * pg) -
						   (uint64_t)p * pg - 0x10);
		}
		ioas_iommu_invalidate_all(f.mmu);
	}
	CHECK_OK(ioas_as_unmap(f.as, 0x40000, 0x40000 + 6 * pg - 1, NULL));
	CHECK_ERR(hxl(&f, 0x43000, 1, IOAS_PROT_READ, &x), -EFAULT);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_NO_MAPPING);
	hfx_fini(&f);
	free(mem);
}

static void no_stale(uint32_t mode)
{
	struct hfx f;
	struct ioas_iommu_xlate x;

	hfx_init(&f, mode);
	for (int i = 0; i < 50; i++) {
		uint64_t pa = 0x100000 + (uint64_t)i * 0x1000;

		CHECK_OK(hmap(&f, 0x10000, 0x1000, pa, IOAS_PROT_READ));
		CHECK_OK(hxl(&f, 0x10010, 1, IOAS_PROT_READ, &x));
		CHECK_OK(hxl(&f, 0x10010, 1, IOAS_PROT_READ, &x));
		CHECK_EQ(x.pa, pa + 0x10);
		CHECK_OK(ioas_as_unmap(f.as, 0x10000, 0x10fff, NULL));
		CHECK_ERR(hxl(&f, 0x10010, 1, IOAS_PROT_READ, &x), -EFAULT);
	}
	hfx_fini(&f);
}

TEST(host_no_stale_strict)
{
	no_stale(IOAS_INV_STRICT);
}

TEST(host_no_stale_deferred)
{
	no_stale(IOAS_INV_DEFERRED);
}

TEST(host_failnth_map_rolls_back)
{
	for (uint64_t n = 1;; n++) {
		struct hfx f;
		struct ioas_iommu_xlate x;
		bool fired;
		int ret;

		hfx_init(&f, IOAS_INV_STRICT);
		ioas_ctx_fail_nth(f.ctx, n);
		ret = hmap(&f, 0x10000, 0x4000, 0x80000, IOAS_PROT_READ);
		fired = ioas_ctx_fail_nth_fired(f.ctx);
		ioas_ctx_fail_nth(f.ctx, 0);
		if (ret) {
			CHECK_ERR(ret, -ENOMEM);
			CHECK_ERR(hxl(&f, 0x10000, 1, IOAS_PROT_READ, &x),
				  -EFAULT);
		} else {
			CHECK_OK(hxl(&f, 0x10000, 1, IOAS_PROT_READ, &x));
		}
		hfx_fini(&f);
		if (!fired)
			break;
	}
}

TEST(host_detach_and_destroy)
{
	struct hfx f;
	struct ioas_iommu_xlate x;

	hfx_init(&f, IOAS_INV_STRICT);
	CHECK_OK(hmap(&f, 0x10000, 0x4000, 0x80000, IOAS_PROT_READ));
	CHECK_OK(hxl(&f, 0x10000, 1, IOAS_PROT_READ, &x));
	ioas_domain_detach_as(f.dom);
	CHECK_ERR(hxl(&f, 0x10000, 1, IOAS_PROT_READ, &x), -EFAULT);
	CHECK_OK(ioas_domain_attach_as(f.dom, f.as)); /* refilled */
	CHECK_OK(hxl(&f, 0x10000, 1, IOAS_PROT_READ, &x));
	ioas_domain_destroy(f.dom);
	CHECK_ERR(hxl(&f, 0x10000, 1, IOAS_PROT_READ, &x), -EFAULT);
	CHECK_EQ(x.fault.reason, IOAS_FAULT_NOT_ATTACHED);
	hfx_fini(&f);
}

/* Translating threads while one maps and unmaps: a translation is either
 * a fault or the one pa ever mapped at that IOVA. */
struct stress {
	struct hfx *f;
	atomic_bool stop;
	atomic_uint bad;
};

static void *xl_thread(void *arg)
{
	struct stress *s = arg;
	struct ioas_iommu_xlate x;
	unsigned i = 0;

	while (!atomic_load(&s->stop)) {
		uint64_t page = (i++ * 7) % 64;
		int r = hxl(s->f, 0x1000000 + page * 0x1000 + 8, 1,
			    IOAS_PROT_READ, &x);

		if (r == 0 && x.pa != 0x8000000 + page * 0x1000 + 8)
			atomic_fetch_add(&s->bad, 1);
		else if (r && r != -EFAULT)
			atomic_fetch_add(&s->bad, 1);
	}
	return NULL;
}

TEST(host_concurrent_translate)
{
	struct hfx f;
	struct stress s;
	pthread_t t[3];

	hfx_init(&f, IOAS_INV_STRICT);
	s.f = &f;
	atomic_init(&s.stop, false);
	atomic_init(&s.bad, 0);
	for (int i = 0; i < 3; i++)
		CHECK(!pthread_create(&t[i], NULL, xl_thread, &s));
	for (unsigned it = 0; it < 3000 * test_scale(); it++) {
		uint64_t page = it % 64;

		CHECK_OK(hmap(&f, 0x1000000 + page * 0x1000, 0x1000,
			      0x8000000 + page * 0x1000, IOAS_PROT_READ));
		if (it >= 32) {
			uint64_t old = (it - 32) % 64;

			CHECK_OK(ioas_as_unmap(f.as, 0x1000000 + old * 0x1000,
					       0x1000000 + old * 0x1000 + 0xfff,
					       NULL));
		}
	}
	atomic_store(&s.stop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(atomic_load(&s.bad), 0);
	hfx_fini(&f);
}
