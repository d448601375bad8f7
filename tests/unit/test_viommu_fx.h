/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fixture shared by the virtio-iommu device tests: a context, guest RAM
 * (borrowed, so tests can look at every byte), the device, three
 * endpoints and the driver side over real virtqueues in that RAM.
 *   EP_MSI  (8)  MSI region [MSI_START, MSI_LAST]
 *   EP_PLAIN (9) no reserved region
 *   EP_RESV (10) RESERVED region [RESV_START, RESV_LAST]
 */
#ifndef TEST_VIOMMU_FX_H
#define TEST_VIOMMU_FX_H

#include "test.h"

#include <stdlib.h>

#include <ioas/phys.h>
#include <ioas/viommu.h>

#include "core/ctx.h"
#include "virtio/viommu_driver.h"
#include "virtio/viommu_wire.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE 0x400000ull
#define EP_MSI 8u
#define EP_PLAIN 9u
#define EP_RESV 10u
#define MSI_START 0xfee00000ull
#define MSI_LAST 0xfeefffffull
#define RESV_START 0x10000ull
#define RESV_LAST 0x1ffffull

#define F_ALL_VIOMMU                                                       \
	(IOAS_VIOMMU_F_INPUT_RANGE | IOAS_VIOMMU_F_DOMAIN_RANGE |           \
	 IOAS_VIOMMU_F_MAP_UNMAP | IOAS_VIOMMU_F_PROBE | IOAS_VIOMMU_F_MMIO | \
	 IOAS_VIOMMU_F_BYPASS_CONFIG | IOAS_VIRTIO_F_VERSION_1)

struct fx {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	uint8_t *ram;
	struct ioas_viommu *v;
	struct viod *d;
	struct ioas_viommu_config cfg;
	unsigned notifies[2];
	unsigned done_calls;
};

static inline void fx_notify(void *opaque, unsigned int q)
{
	struct fx *f = opaque;

	f->notifies[q & 1]++;
}

static inline void fx_req_done(void *opaque, uint8_t type, uint8_t status,
			uint32_t used)
{
	struct fx *f = opaque;

	(void)type;
	(void)status;
	(void)used;
	f->done_calls++;
}

static const struct ioas_viommu_ops fx_ops = { fx_notify, NULL, fx_req_done };

/* Default config; tests may change f->cfg before fx_start. */
static inline void fx_prepare(struct fx *f)
{
	struct ioas_phys_region r;

	memset(f, 0, sizeof(*f));
	CHECK_OK(ioas_ctx_create(NULL, &f->ctx));
	CHECK_OK(ioas_phys_create(f->ctx, &f->phys));
	f->ram = calloc(1, RAM_SIZE);
	CHECK(f->ram);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.kind = IOAS_PHYS_RAM;
	r.base = RAM_BASE;
	r.length = RAM_SIZE;
	r.host = f->ram;
	CHECK_OK(ioas_phys_add(f->phys, &r));
	f->cfg.size = sizeof(f->cfg);
	f->cfg.ops = &fx_ops;
	f->cfg.opaque = f;
}

static inline void fx_endpoints(struct fx *f)
{
	struct ioas_viommu_resv msi = { { MSI_START, MSI_LAST },
					IOAS_VIOMMU_RESV_MSI, 0 };
	struct ioas_viommu_resv rsv = { { RESV_START, RESV_LAST },
					IOAS_VIOMMU_RESV_RESERVED, 0 };

	CHECK_OK(ioas_viommu_endpoint_add(f->v, EP_MSI, &msi, 1));
	CHECK_OK(ioas_viommu_endpoint_add(f->v, EP_PLAIN, NULL, 0));
	CHECK_OK(ioas_viommu_endpoint_add(f->v, EP_RESV, &rsv, 1));
}

static inline void fx_driver(struct fx *f, uint64_t features, uint32_t ev_len)
{
	struct viod_config dc;

	memset(&dc, 0, sizeof(dc));
	dc.ram_base = RAM_BASE;
	dc.ram_size = RAM_SIZE;
	dc.features = features;
	dc.ev_len = ev_len;
	CHECK_OK(viod_create(f->ctx, f->phys, f->v, &dc, &f->d));
}

static inline void fx_start(struct fx *f)
{
	CHECK_OK(ioas_viommu_create(f->ctx, f->phys, &f->cfg, &f->v));
	fx_endpoints(f);
	fx_driver(f, 0, 0);
}

static inline void fx_init(struct fx *f)
{
	fx_prepare(f);
	fx_start(f);
}

static inline void fx_fini(struct fx *f)
{
	viod_destroy(f->d);
	ioas_viommu_destroy(f->v);
	ioas_phys_destroy(f->phys);
	ioas_ctx_destroy(f->ctx);
	free(f->ram);
}

/* Guest RAM bytes at a guest-physical address. */
static inline uint8_t *fx_ram(struct fx *f, uint64_t gpa)
{
	return f->ram + (gpa - RAM_BASE);
}

/*
 * A raw request through the ring: its writable part is first filled with
 * 0xaa so tests see exactly what the device wrote; out (may be NULL) gets
 * wlen bytes of it after completion.
 */
static inline struct viod_result fx_raw(struct fx *f, const void *req, uint32_t rlen,
				 uint32_t wlen, uint8_t *out)
{
	struct viod_result r;
	int h = vqd_next_head(viod_rq(f->d));

	CHECK(h >= 0);
	memset(fx_ram(f, viod_slot_addr(f->d, (uint32_t)h) + VIOD_REQ_MAX),
	       0xaa, wlen);
	CHECK_OK(viod_send(f->d, req, rlen, wlen, &r, out, wlen));
	return r;
}

/* Translate; returns 0 / -errno and the pa. */
static inline int fx_xl(struct fx *f, uint32_t ep, uint64_t iova, uint32_t access,
		 uint64_t *pa)
{
	struct ioas_viommu_dma dma;
	int ret = ioas_viommu_translate(f->v, ep, iova, 1, access, &dma);

	if (!ret && pa)
		*pa = dma.pa;
	return ret;
}

#define R IOAS_PROT_READ
#define W IOAS_PROT_WRITE
#define MR VIOMMU_MAP_F_READ
#define MW VIOMMU_MAP_F_WRITE

#endif
