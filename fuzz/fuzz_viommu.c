/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the virtio-iommu device (src/virtio/viommu.c):
 * arbitrary request bytes and descriptors over guest memory and queue
 * state, mixed with translations, config writes and resets.
 *
 * Input layout:
 *   0   u8  setup: bit 0 page-table format (VT-d SS) instead of HOST,
 *           bit 1 config bypass = 1, bit 2 drop PROBE, bit 3 drop MMIO,
 *           bit 4 negotiate no BYPASS_CONFIG, bit 5 small event buffers
 *           (16 bytes), bit 6 DOMAIN_RANGE [0, 15], bit 7 input range
 *           [0, 2^32 - 1]
 *   then operations until the input ends, each an opcode byte:
 *     0 raw request: u8 rlen (<= 255), u8 wlen, rlen bytes; queued
 *     1 sync (publish + kick + collect)
 *     2 translate: u8 endpoint selector, le64 iova, u8 length, u8 access
 *     3 hostile descriptor: u8 index, le64 addr, le32 len, le16 flags,
 *       le16 next, then posted as a head and kicked
 *     4 hostile avail idx: le16
 *     5 reset (device or system), then the driver restarts
 *     6 config write: u8 offset, u8 len (<= 8), len bytes
 *     7 typed request with small fields: u8 type, u8 domain, u8 ep,
 *       u8 a, u8 b, u8 flags (MAP/UNMAP ranges [a, a + b] in pages)
 *     8 event queue: take the next event
 * The device must never crash, hang or leak (ASan); a translation it
 * answers must be sane (length within the access) and the endpoint's
 * cache (ioas_viommu_translate_cached) must give the same answer; the
 * queues stay usable after a reset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ioas/ioas.h>

#include "core/ctx.h"
#include "virtio/viommu_driver.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE 0x100000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ram[RAM_SIZE];

#define ENSURE(c)                         \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

struct in {
	const uint8_t *p;
	size_t n;
};

static bool take(struct in *in, void *out, size_t len)
{
	if (in->n < len) {
		memset(out, 0, len);
		in->n = 0;
		return false;
	}
	memcpy(out, in->p, len);
	in->p += len;
	in->n -= len;
	return true;
}

static uint8_t u8(struct in *in)
{
	uint8_t v = 0;

	(void)take(in, &v, 1);
	return v;
}

static uint64_t le(struct in *in, unsigned bytes)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	(void)take(in, b, bytes);
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static const uint32_t eps[4] = { 8, 9, 10, 12345 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_viommu *v;
	/* the translations of endpoints 0..2 also go through a cache each */
	struct ioas_viommu_tcache tc[3];
	struct viod *d = NULL;
	struct ioas_viommu_config cfg;
	struct viod_config dc;
	struct ioas_phys_region r;
	struct ioas_viommu_resv msi = { { 0xfee00000, 0xfeefffff },
					IOAS_VIOMMU_RESV_MSI, 0 };
	struct ioas_viommu_resv rsv = { { 0x10000, 0x1ffff },
					IOAS_VIOMMU_RESV_RESERVED, 0 };
	uint8_t setup = u8(&in);
	uint64_t feat;
	unsigned ops = 0;

	memset(ram, 0, sizeof(ram));
	if (ioas_ctx_create(NULL, &ctx))
		return 0;
	ENSURE(!ioas_phys_create(ctx, &phys));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.kind = IOAS_PHYS_RAM;
	r.base = RAM_BASE;
	r.length = RAM_SIZE;
	r.host = ram;
	ENSURE(!ioas_phys_add(phys, &r));

	memset(&cfg, 0, sizeof(cfg));
	cfg.size = sizeof(cfg);
	cfg.bypass = (setup >> 1) & 1;
	cfg.domain_format = (setup & 1) ? IOAS_VIOMMU_FMT_PT_BASE +
						  IOAS_PT_FMT_VTD_SS
					: IOAS_VIOMMU_FMT_HOST;
	cfg.features = IOAS_VIOMMU_F_INPUT_RANGE | IOAS_VIOMMU_F_DOMAIN_RANGE |
		       IOAS_VIOMMU_F_MAP_UNMAP | IOAS_VIOMMU_F_PROBE |
		       IOAS_VIOMMU_F_MMIO | IOAS_VIOMMU_F_BYPASS_CONFIG |
		       IOAS_VIRTIO_F_VERSION_1 | IOAS_VIRTIO_F_EVENT_IDX |
		       IOAS_VIRTIO_F_INDIRECT_DESC;
	if (setup & 4)
		cfg.features &= ~IOAS_VIOMMU_F_PROBE;
	if (setup & 8)
		cfg.features &= ~IOAS_VIOMMU_F_MMIO;
	if (setup & 0x40)
		cfg.domain_last = 15;
	if (setup & 0x80)
		cfg.input_range.last = 0xffffffffull;
	cfg.max_domains = 8;
	cfg.max_mappings = 64;
	cfg.probe_size = 64;
	ENSURE(!ioas_viommu_create(ctx, phys, &cfg, &v));
	ENSURE(!ioas_viommu_endpoint_add(v, eps[0], &msi, 1));
	ENSURE(!ioas_viommu_endpoint_add(v, eps[1], NULL, 0));
	ENSURE(!ioas_viommu_endpoint_add(v, eps[2], &rsv, 1));
	for (int i = 0; i < 3; i++)
		ENSURE(!ioas_viommu_tcache_init(&tc[i], v, eps[i]));

	feat = cfg.features;
	if (setup & 0x10)
		feat &= ~IOAS_VIOMMU_F_BYPASS_CONFIG;
	memset(&dc, 0, sizeof(dc));
	dc.ram_base = RAM_BASE;
	dc.ram_size = RAM_SIZE;
	dc.rq_size = 16;
	dc.eq_size = 4;
	dc.ev_len = (setup & 0x20) ? 16 : 24;
	dc.features = feat;
	ENSURE(!viod_create(ctx, phys, v, &dc, &d));

	while (in.n && ops++ < 512) {
		uint8_t op = u8(&in) % 9;

		switch (op) {
		case 0: {
			uint8_t req[VIOD_REQ_MAX];
			uint32_t rl = u8(&in), wl = u8(&in);

			(void)take(&in, req, rl);
			if (!rl && !wl)
				wl = 4;
			(void)viod_queue(d, req, rl, wl, 0);
			break;
		}
		case 1:
			(void)viod_sync(d);
			break;
		case 2: {
			struct ioas_viommu_dma dma, cd;
			uint32_t sel = u8(&in) & 3, ep = eps[sel];
			uint64_t iova = le(&in, 8);
			uint64_t len = (uint64_t)u8(&in) + 1;
			uint32_t acc = u8(&in) & 7;
			int ret = ioas_viommu_translate(v, ep, iova, len, acc,
							&dma);

			if (!ret)
				ENSURE(dma.length >= 1 && dma.length <= len);
			else
				ENSURE(ret == -EFAULT || ret == -EINVAL ||
				       ret == -ENOENT || ret == -EOVERFLOW);
			/* the endpoint's cache answers exactly the same */
			if (sel < 3) {
				int cret = ioas_viommu_translate_cached(
					&tc[sel], iova, len, acc, &cd);

				ENSURE(cret == ret);
				if (!ret)
					ENSURE(cd.pa == dma.pa &&
					       cd.length == dma.length &&
					       cd.prot == dma.prot &&
					       cd.flags == dma.flags);
			}
			break;
		}
		case 3: {
			struct vqd *q = viod_rq(d);
			uint32_t idx = u8(&in) % 16;
			uint64_t addr = le(&in, 8);
			uint32_t len = (uint32_t)le(&in, 4);
			uint16_t fl = (uint16_t)le(&in, 2);
			uint16_t nx = (uint16_t)le(&in, 2);

			/* aim mostly inside RAM */
			if (!(addr >> 63))
				addr = RAM_BASE + (addr % RAM_SIZE);
			(void)vqd_write_desc(q, idx, addr, len, fl, nx);
			(void)vqd_post_raw(q, (uint16_t)idx, 0);
			(void)viod_sync(d);
			break;
		}
		case 4:
			(void)vqd_set_avail_idx(viod_rq(d), (uint16_t)le(&in, 2));
			(void)viod_sync(d);
			break;
		case 5:
			if (u8(&in) & 1)
				ioas_viommu_system_reset(v);
			else
				ioas_viommu_reset(v);
			ENSURE(!viod_restart(d));
			break;
		case 6: {
			uint8_t b[8];
			uint32_t off = u8(&in), len = u8(&in) % 9;

			(void)take(&in, b, len);
			(void)ioas_viommu_config_write(v, off, b, len);
			break;
		}
		case 7: {
			uint8_t req[VIOMMU_REQ_MAX];
			uint8_t t = u8(&in) % 6, dom = u8(&in) % 16;
			uint32_t ep = eps[u8(&in) & 3];
			uint64_t a = (uint64_t)u8(&in) << 12;
			uint64_t b = (uint64_t)u8(&in) << 12;
			uint8_t fl = u8(&in);
			uint32_t rl;

			switch (t) {
			case 1:
				rl = viod_build_attach(req, dom, ep, fl & 1);
				break;
			case 2:
				rl = viod_build_detach(req, dom, ep);
				break;
			case 3:
				rl = viod_build_map(req, dom, a, a + b + 0xfff,
						    RAM_BASE + a, fl & 7);
				break;
			case 4:
				rl = viod_build_unmap(req, dom, a, a + b + 0xfff);
				break;
			default:
				rl = viod_build_probe(req, ep);
				break;
			}
			(void)viod_queue(d, req, rl, viod_write_len(d, req[0]), 0);
			break;
		}
		default: {
			uint8_t rec[VIOMMU_FAULT_SIZE];
			uint32_t len;

			(void)viod_event_next(d, rec, &len);
			break;
		}
		}
	}
	(void)viod_sync(d);
	{
		struct ioas_viommu_stats st;

		ioas_viommu_get_stats(v, &st);
		ENSURE(st.domains <= 8);
		ENSURE(st.mappings <= st.mappings_peak);
	}
	/* after a reset the device works again */
	ioas_viommu_reset(v);
	ENSURE(!viod_restart(d));
	ENSURE(viod_attach(d, 1, eps[1], 0) == VIOMMU_S_OK);
	viod_destroy(d);
	ioas_viommu_destroy(v);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
	return 0;
}
