/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-iommu device against the specification's device requirements
 * (docs/virtio-iommu-checklist.md points each one at a case here). Every
 * request is raw bytes in guest RAM, sent through real split virtqueues;
 * each case checks the status byte, the used length and the resulting
 * state through translate.
 */
#include "test_viommu_fx.h"

#if defined(__linux__) && __has_include(<linux/virtio_iommu.h>)
#include <stddef.h>
#include <linux/virtio_iommu.h>
_Static_assert(sizeof(struct virtio_iommu_req_attach) ==
		       VIOMMU_ATTACH_SIZE + VIOMMU_TAIL_SIZE, "attach");
_Static_assert(sizeof(struct virtio_iommu_req_detach) ==
		       VIOMMU_DETACH_SIZE + VIOMMU_TAIL_SIZE, "detach");
_Static_assert(sizeof(struct virtio_iommu_req_map) ==
		       VIOMMU_MAP_SIZE + VIOMMU_TAIL_SIZE, "map");
_Static_assert(sizeof(struct virtio_iommu_req_unmap) ==
		       VIOMMU_UNMAP_SIZE + VIOMMU_TAIL_SIZE, "unmap");
_Static_assert(sizeof(struct virtio_iommu_req_probe) == VIOMMU_PROBE_SIZE,
	       "probe");
_Static_assert(sizeof(struct virtio_iommu_probe_resv_mem) ==
		       VIOMMU_RESV_MEM_SIZE, "resv");
_Static_assert(sizeof(struct virtio_iommu_fault) == VIOMMU_FAULT_SIZE, "fault");
_Static_assert(sizeof(struct virtio_iommu_config) == VIOMMU_CFG_SIZE, "config");
_Static_assert(offsetof(struct virtio_iommu_config, bypass) == VIOMMU_CFG_BYPASS,
	       "bypass");
_Static_assert(offsetof(struct virtio_iommu_config, probe_size) ==
		       VIOMMU_CFG_PROBE_SIZE, "probe_size");
_Static_assert(VIRTIO_IOMMU_S_NOMEM == VIOMMU_S_NOMEM, "status");
#endif

static int map(struct fx *f, uint32_t dom, uint64_t vs, uint64_t ve,
	       uint64_t ps, uint32_t fl)
{
	return viod_map(f->d, dom, vs, ve, ps, fl);
}

/* ---- features and config ----------------------------------------------------- */

TEST(features_offered_by_config)
{
	struct fx f;

	fx_init(&f);
	CHECK(ioas_viommu_features(f.v) & IOAS_VIOMMU_F_MAP_UNMAP);
	CHECK(!(ioas_viommu_features(f.v) & IOAS_VIOMMU_F_BYPASS));
	CHECK(ioas_viommu_features(f.v) & IOAS_VIOMMU_F_BYPASS_CONFIG);
	CHECK_ERR(ioas_viommu_set_features(f.v, IOAS_VIOMMU_F_MAP_UNMAP), -EINVAL);
	CHECK_ERR(ioas_viommu_set_features(f.v, IOAS_VIRTIO_F_VERSION_1 |
							 IOAS_VIOMMU_F_BYPASS),
		  -EINVAL);
	fx_fini(&f);

	fx_prepare(&f);
	f.cfg.features = IOAS_VIOMMU_F_MAP_UNMAP | IOAS_VIOMMU_F_BYPASS |
			 IOAS_VIRTIO_F_VERSION_1;
	fx_start(&f);
	CHECK_EQ(ioas_viommu_features(f.v), f.cfg.features);
	fx_fini(&f);

	fx_prepare(&f);
	f.cfg.features = 1ull << 20 | IOAS_VIRTIO_F_VERSION_1;
	CHECK_ERR(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v), -EOPNOTSUPP);
	f.cfg.features = 0;
	f.cfg.page_size_mask = 0x800; /* below the context page */
	CHECK_ERR(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v), -EINVAL);
	f.cfg.page_size_mask = 0;
	f.cfg.bypass = 2;
	CHECK_ERR(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v), -EINVAL);
	f.cfg.bypass = 0;
	f.cfg.domain_format = 0x42;
	CHECK_ERR(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v), -EINVAL);
	f.cfg.domain_format = 0;
	f.cfg.reserved = 1;
	CHECK_ERR(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v), -EINVAL);
	f.cfg.reserved = 0;
	f.cfg.features = IOAS_VIOMMU_F_BYPASS | IOAS_VIOMMU_F_BYPASS_CONFIG |
			 IOAS_VIRTIO_F_VERSION_1;
	CHECK_ERR(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v), -EINVAL);
	f.v = NULL;
	fx_fini(&f);
}

TEST(config_layout)
{
	struct fx f;
	uint8_t c[VIOMMU_CFG_SIZE];

	fx_prepare(&f);
	f.cfg.page_size_mask = 0x1000 | 0x200000;
	f.cfg.input_range.start = 0x1000;
	f.cfg.input_range.last = 0xffffffff;
	f.cfg.domain_start = 1;
	f.cfg.domain_last = 100;
	f.cfg.probe_size = 256;
	f.cfg.bypass = 1;
	fx_start(&f);
	CHECK_OK(ioas_viommu_config_read(f.v, 0, c, sizeof(c)));
	CHECK_EQ(vq_ld64(c + 0), 0x201000);
	CHECK_EQ(vq_ld64(c + 8), 0x1000);
	CHECK_EQ(vq_ld64(c + 16), 0xffffffff);
	CHECK_EQ(vq_ld32(c + 24), 1);
	CHECK_EQ(vq_ld32(c + 28), 100);
	CHECK_EQ(vq_ld32(c + 32), 256);
	CHECK_EQ(c[36], 1);
	CHECK(!c[37] && !c[38] && !c[39]);
	CHECK_ERR(ioas_viommu_config_read(f.v, 38, c, 4), -EINVAL);
	CHECK_OK(ioas_viommu_config_read(f.v, 36, c, 4));
	fx_fini(&f);

	/* page_size_mask always has a bit, by default every 4 KiB multiple */
	fx_init(&f);
	CHECK_OK(ioas_viommu_config_read(f.v, 0, c, 8));
	CHECK_EQ(vq_ld64(c), ~0xfffull);
	fx_fini(&f);
}

TEST(config_write_only_bypass)
{
	struct fx f;
	uint8_t c[VIOMMU_CFG_SIZE], z[VIOMMU_CFG_SIZE], one = 1, two = 2;

	fx_init(&f);
	CHECK_OK(ioas_viommu_config_read(f.v, 0, c, sizeof(c)));
	memset(z, 0x55, sizeof(z));
	z[VIOMMU_CFG_BYPASS] = 1;
	CHECK_OK(ioas_viommu_config_write(f.v, 0, z, sizeof(z)));
	CHECK_OK(ioas_viommu_config_read(f.v, 0, z, sizeof(z)));
	c[VIOMMU_CFG_BYPASS] = 1;
	CHECK(!memcmp(c, z, sizeof(c))); /* only bypass changed */
	CHECK_EQ(fx_xl(&f, EP_PLAIN, 0x5000, R, NULL), 0);
	/* a value other than 0 or 1 is ignored: never presented */
	CHECK_OK(ioas_viommu_config_write(f.v, VIOMMU_CFG_BYPASS, &two, 1));
	CHECK_OK(ioas_viommu_config_read(f.v, VIOMMU_CFG_BYPASS, z, 1));
	CHECK_EQ(z[0], 1);
	CHECK_ERR(ioas_viommu_config_write(f.v, 40, &one, 1), -EINVAL);
	/* survives a device reset, restored by a system reset */
	ioas_viommu_reset(f.v);
	CHECK_OK(ioas_viommu_config_read(f.v, VIOMMU_CFG_BYPASS, z, 1));
	CHECK_EQ(z[0], 1);
	ioas_viommu_system_reset(f.v);
	CHECK_OK(ioas_viommu_config_read(f.v, VIOMMU_CFG_BYPASS, z, 1));
	CHECK_EQ(z[0], 0);
	/* not writable without BYPASS_CONFIG negotiated */
	CHECK_OK(ioas_viommu_set_features(f.v, IOAS_VIRTIO_F_VERSION_1 |
						       IOAS_VIOMMU_F_MAP_UNMAP));
	CHECK_OK(ioas_viommu_config_write(f.v, VIOMMU_CFG_BYPASS, &one, 1));
	CHECK_OK(ioas_viommu_config_read(f.v, VIOMMU_CFG_BYPASS, z, 1));
	CHECK_EQ(z[0], 0);
	fx_fini(&f);
}

/* ---- general request rules ---------------------------------------------------- */

TEST(unknown_type_not_written)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX], out[8];
	static const uint8_t types[] = { 0, 6, 0x7f, 0xff };

	fx_init(&f);
	for (size_t i = 0; i < sizeof(types); i++) {
		struct viod_result r;

		memset(req, 0, sizeof(req));
		req[0] = types[i];
		r = fx_raw(&f, req, 20, 8, out);
		CHECK_EQ(r.used_len, 0);
		for (int k = 0; k < 8; k++)
			CHECK_EQ(out[k], 0xaa);
	}
	fx_fini(&f);
}

TEST(status_ok_and_tail_reserved_zero)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX], out[4];
	struct viod_result r;

	fx_init(&f);
	r = fx_raw(&f, req, viod_build_attach(req, 1, EP_PLAIN, 0), 4, out);
	CHECK_EQ(r.used_len, 4);
	CHECK_EQ(out[0], VIOMMU_S_OK);
	CHECK(!out[1] && !out[2] && !out[3]);
	/* an error status has a zero reserved part too */
	r = fx_raw(&f, req, viod_build_attach(req, 1, 77, 0), 4, out);
	CHECK_EQ(out[0], VIOMMU_S_NOENT);
	CHECK(!out[1] && !out[2] && !out[3]);
	CHECK(f.done_calls >= 2);
	fx_fini(&f);
}

TEST(head_reserved_ignored)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX];
	struct viod_result r;

	fx_init(&f);
	viod_build_attach(req, 1, EP_PLAIN, 0);
	req[1] = req[2] = req[3] = 0xff;
	r = fx_raw(&f, req, VIOMMU_ATTACH_SIZE, 4, NULL);
	CHECK_EQ(r.status, VIOMMU_S_OK);
	viod_build_map(req, 1, 0x4000, 0x4fff, 0x9000, MR);
	req[1] = 0x80;
	r = fx_raw(&f, req, VIOMMU_MAP_SIZE, 4, NULL);
	CHECK_EQ(r.status, VIOMMU_S_OK);
	fx_fini(&f);
}

TEST(malformed_buffers)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX + 8], out[16];
	struct viod_result r;
	uint64_t pa;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	/* readable part shorter than a head: nothing written */
	r = fx_raw(&f, req, 3, 4, out);
	CHECK_EQ(r.used_len, 0);
	CHECK_EQ(out[0], 0xaa);
	/* no writable part: no tail to write */
	viod_build_map(req, 1, 0x4000, 0x4fff, 0x9000, MR);
	r = fx_raw(&f, req, VIOMMU_MAP_SIZE, 0, NULL);
	CHECK_EQ(r.used_len, 0);
	/* writable part shorter than the tail */
	r = fx_raw(&f, req, VIOMMU_MAP_SIZE, 3, out);
	CHECK_EQ(r.used_len, 0);
	CHECK_EQ(out[0], 0xaa);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	/* short body: S_INVAL, nothing done */
	r = fx_raw(&f, req, VIOMMU_MAP_SIZE - 1, 4, out);
	CHECK_EQ(r.used_len, 4);
	CHECK_EQ(out[0], VIOMMU_S_INVAL);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	/* oversized body: S_INVAL, nothing done */
	memset(req + VIOMMU_MAP_SIZE, 0, 8);
	r = fx_raw(&f, req, VIOMMU_MAP_SIZE + 4, 4, out);
	CHECK_EQ(out[0], VIOMMU_S_INVAL);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	/* a larger writable part: the tail right after the body */
	r = fx_raw(&f, req, VIOMMU_MAP_SIZE, 16, out);
	CHECK_EQ(r.used_len, 4);
	CHECK_EQ(out[0], VIOMMU_S_OK);
	CHECK_EQ(out[4], 0xaa);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_EQ(pa, 0x9000);
	fx_fini(&f);
}

TEST(malformed_wrong_order)
{
	struct fx f;
	struct vqd *q;
	uint64_t slot;
	uint32_t id, len;
	uint64_t tok;
	int h;

	fx_init(&f);
	q = viod_rq(f.d);
	h = vqd_next_head(q);
	CHECK(h >= 0);
	slot = viod_slot_addr(f.d, (uint32_t)h);
	viod_build_attach(fx_ram(&f, slot), 1, EP_PLAIN, 0);
	/* writable tail first, then the readable request */
	CHECK_OK(vqd_write_desc(q, 0, slot + VIOD_REQ_MAX, 4,
				VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1));
	CHECK_OK(vqd_write_desc(q, 1, slot, VIOMMU_ATTACH_SIZE, 0, 0));
	CHECK_OK(vqd_post_raw(q, 0, 5));
	vqd_kick(q);
	CHECK_EQ(ioas_viommu_kick(f.v, 0), 0);
	CHECK_EQ(vqd_get_used(q, &id, &len, &tok), 1);
	CHECK_EQ(len, 0);
	/* nothing attached: EP_PLAIN still faults */
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	fx_fini(&f);
}

TEST(requests_in_order_batched)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX];
	uint64_t pa;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	/* deferred: map, unmap, map again the same range in one kick */
	CHECK_OK(viod_queue(f.d, req, viod_build_map(req, 1, 0x4000, 0x4fff,
						     0x9000, MR), 4, 1));
	CHECK_OK(viod_queue(f.d, req, viod_build_unmap(req, 1, 0x4000, 0x4fff),
			    4, 2));
	CHECK_OK(viod_queue(f.d, req, viod_build_map(req, 1, 0x4000, 0x4fff,
						     0xa000, MR), 4, 3));
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT); /* not yet */
	CHECK_EQ(viod_sync(f.d), 3);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_EQ(pa, 0xa000);
	CHECK(f.notifies[0] >= 1);
	fx_fini(&f);
}

/* ---- ATTACH ---------------------------------------------------------------------- */

TEST(attach_reserved_nonzero)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX];

	fx_init(&f);
	viod_build_attach(req, 1, EP_PLAIN, 0);
	req[19] = 1;
	CHECK_EQ(fx_raw(&f, req, VIOMMU_ATTACH_SIZE, 4, NULL).status,
		 VIOMMU_S_INVAL);
	CHECK_EQ(viod_map(f.d, 1, 0x4000, 0x4fff, 0, MR), VIOMMU_S_NOENT);
	fx_fini(&f);
}

TEST(attach_unknown_flag)
{
	struct fx f;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 2), VIOMMU_S_INVAL);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0x80000000u), VIOMMU_S_INVAL);
	CHECK_EQ(viod_map(f.d, 1, 0x4000, 0x4fff, 0, MR), VIOMMU_S_NOENT);
	fx_fini(&f);
}

TEST(attach_unknown_endpoint)
{
	struct fx f;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, 1234, 0), VIOMMU_S_NOENT);
	CHECK_EQ(viod_map(f.d, 1, 0x4000, 0x4fff, 0, MR), VIOMMU_S_NOENT);
	fx_fini(&f);
}

TEST(attach_creates_domain_shared)
{
	struct fx f;
	uint64_t pa;
	struct ioas_viommu_stats st;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 7, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 7, EP_MSI, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 7, 0x4000, 0x5fff, 0x20000, MR | MW), VIOMMU_S_OK);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x5123, W, &pa));
	CHECK_EQ(pa, 0x21123);
	CHECK_OK(fx_xl(&f, EP_MSI, 0x4000, R, &pa));
	CHECK_EQ(pa, 0x20000);
	/* attaching again to the same domain is fine */
	CHECK_EQ(viod_attach(f.d, 7, EP_PLAIN, 0), VIOMMU_S_OK);
	ioas_viommu_get_stats(f.v, &st);
	CHECK_EQ(st.domains, 1);
	CHECK_EQ(st.mappings, 1);
	fx_fini(&f);
}

TEST(attach_moves_endpoint)
{
	struct fx f;
	uint64_t pa;
	struct ioas_viommu_stats st;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 2, EP_PLAIN, 0), VIOMMU_S_OK);
	/* as if DETACH(1) then ATTACH(2): domain 1 is gone with its map */
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_NOENT);
	CHECK_EQ(map(&f, 2, 0x4000, 0x4fff, 0x30000, MR), VIOMMU_S_OK);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_EQ(pa, 0x30000);
	ioas_viommu_get_stats(f.v, &st);
	CHECK_EQ(st.domains, 1);
	/* domain id 1 can be reused, empty */
	CHECK_EQ(viod_attach(f.d, 1, EP_MSI, 0), VIOMMU_S_OK);
	CHECK_ERR(fx_xl(&f, EP_MSI, 0x4000, R, NULL), -EFAULT);
	fx_fini(&f);
}

TEST(attach_incompatible_endpoint)
{
	struct fx f;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	/* a mapping over EP_RESV's reserved region: it cannot join */
	CHECK_EQ(map(&f, 1, RESV_START, RESV_LAST, 0x20000, MR), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 1, EP_RESV, 0), VIOMMU_S_UNSUPP);
	CHECK_EQ(fx_xl(&f, EP_RESV, RESV_START, R, NULL), -EFAULT);
	CHECK_EQ(fx_xl(&f, EP_PLAIN, RESV_START, R, NULL), 0);
	fx_fini(&f);
}

TEST(attach_bypass_domain)
{
	struct fx f;
	uint64_t pa;
	struct ioas_viommu_dma dma;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 3, EP_PLAIN, VIOMMU_ATTACH_F_BYPASS),
		 VIOMMU_S_OK);
	CHECK_OK(ioas_viommu_translate(f.v, EP_PLAIN, 0x123456, 8, W, &dma));
	CHECK_EQ(dma.pa, 0x123456);
	CHECK_EQ(dma.length, 8);
	CHECK(dma.flags & IOAS_VIOMMU_DMA_BYPASS);
	/* flag inconsistent with the existing domain */
	CHECK_EQ(viod_attach(f.d, 3, EP_MSI, 0), VIOMMU_S_INVAL);
	CHECK_EQ(viod_attach(f.d, 4, EP_MSI, 0), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 4, EP_RESV, VIOMMU_ATTACH_F_BYPASS),
		 VIOMMU_S_INVAL);
	/* MAP / UNMAP on a bypass domain */
	CHECK_EQ(map(&f, 3, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_INVAL);
	CHECK_EQ(viod_unmap(f.d, 3, 0x4000, 0x4fff), VIOMMU_S_INVAL);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_EQ(pa, 0x4000);
	fx_fini(&f);

	/* without BYPASS_CONFIG negotiated the flag is unknown */
	fx_prepare(&f);
	CHECK_OK(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v));
	fx_endpoints(&f);
	fx_driver(&f, IOAS_VIRTIO_F_VERSION_1 | IOAS_VIOMMU_F_MAP_UNMAP, 0);
	CHECK_EQ(viod_attach(f.d, 3, EP_PLAIN, VIOMMU_ATTACH_F_BYPASS),
		 VIOMMU_S_INVAL);
	fx_fini(&f);
}

TEST(attach_domain_range)
{
	struct fx f;

	fx_prepare(&f);
	f.cfg.domain_start = 10;
	f.cfg.domain_last = 20;
	fx_start(&f);
	CHECK_EQ(viod_attach(f.d, 9, EP_PLAIN, 0), VIOMMU_S_RANGE);
	CHECK_EQ(viod_attach(f.d, 21, EP_PLAIN, 0), VIOMMU_S_RANGE);
	CHECK_EQ(viod_attach(f.d, 20, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 21, 0x4000, 0x4fff, 0, MR), VIOMMU_S_RANGE);
	fx_fini(&f);

	/* DOMAIN_RANGE not offered: every id is valid */
	fx_prepare(&f);
	f.cfg.domain_start = 10;
	f.cfg.domain_last = 20;
	f.cfg.features = F_ALL_VIOMMU & ~IOAS_VIOMMU_F_DOMAIN_RANGE;
	fx_start(&f);
	CHECK_EQ(viod_attach(f.d, 0xffffffffu, EP_PLAIN, 0), VIOMMU_S_OK);
	fx_fini(&f);
}

/* ---- DETACH ------------------------------------------------------------------------ */

TEST(detach_rules)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX];

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_OK);
	CHECK_EQ(viod_detach(f.d, 1, 999), VIOMMU_S_NOENT);
	CHECK_EQ(viod_detach(f.d, 2, EP_PLAIN), VIOMMU_S_INVAL);
	CHECK_EQ(viod_detach(f.d, 1, EP_MSI), VIOMMU_S_INVAL);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL));
	/* reserved ignored */
	viod_build_detach(req, 1, EP_PLAIN);
	memset(req + 12, 0xee, 8);
	CHECK_EQ(fx_raw(&f, req, VIOMMU_DETACH_SIZE, 4, NULL).status,
		 VIOMMU_S_OK);
	/* no access to the domain's mappings afterwards */
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	/* the last detach destroyed the domain */
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_NOENT);
	fx_fini(&f);
}

TEST(detach_to_bypass)
{
	struct fx f;
	uint64_t pa;

	fx_prepare(&f);
	f.cfg.bypass = 1;
	fx_start(&f);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa)); /* unattached: bypass */
	CHECK_EQ(pa, 0x4000);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_OK);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_EQ(pa, 0x20000);
	CHECK_EQ(viod_detach(f.d, 1, EP_PLAIN), VIOMMU_S_OK);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_EQ(pa, 0x4000); /* never the old mapping */
	fx_fini(&f);
}

/* ---- MAP ----------------------------------------------------------------------------- */

TEST(map_alignment_and_ranges)
{
	struct fx f;

	fx_prepare(&f);
	f.cfg.input_range.start = 0x10000;
	f.cfg.input_range.last = 0xffffffff;
	fx_start(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x10800, 0x10fff, 0x20000, MR), VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 1, 0x10000, 0x10fff, 0x20800, MR), VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 1, 0x10000, 0x10ffe, 0x20000, MR), VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 1, 0xf000, 0xffff, 0x20000, MR), VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 1, 0xfffff000, 0x100000fff, 0x20000, MR),
		 VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 1, 0x20000, 0x1ffff, 0x20000, MR), VIOMMU_S_INVAL);
	CHECK_EQ(map(&f, 1, 0x10000, 0x10fff, 0xfffffffffffff000ull, MR),
		 VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x20000, 0x21fff, 0xfffffffffffff000ull, MR),
		 VIOMMU_S_RANGE); /* phys wraps */
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x20000, R, NULL), -EFAULT);
	fx_fini(&f);
}

TEST(map_overlap_and_flags)
{
	struct fx f;
	uint64_t pa;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x7fff, 0x20000, MR), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x7000, 0x8fff, 0x30000, MR), VIOMMU_S_INVAL);
	CHECK_EQ(map(&f, 1, 0x2000, 0x4fff, 0x30000, MR), VIOMMU_S_INVAL);
	CHECK_EQ(map(&f, 1, 0x9000, 0x9fff, 0x30000, MR | 8), VIOMMU_S_INVAL);
	CHECK_EQ(map(&f, 1, 0x9000, 0x9fff, 0x30000, 0x80000000u),
		 VIOMMU_S_INVAL);
	CHECK_EQ(map(&f, 99, 0x9000, 0x9fff, 0x30000, MR), VIOMMU_S_NOENT);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x7fff, R, &pa));
	CHECK_EQ(pa, 0x23fff);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x8000, R, NULL), -EFAULT);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x9000, R, NULL), -EFAULT);
	/* MMIO is available with the feature */
	CHECK_EQ(map(&f, 1, 0x9000, 0x9fff, 0x30000, MR | MW | VIOMMU_MAP_F_MMIO),
		 VIOMMU_S_OK);
	fx_fini(&f);

	fx_prepare(&f);
	f.cfg.features = F_ALL_VIOMMU & ~IOAS_VIOMMU_F_MMIO;
	fx_start(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x9000, 0x9fff, 0x30000, MR | VIOMMU_MAP_F_MMIO),
		 VIOMMU_S_INVAL);
	fx_fini(&f);
}

TEST(map_write_permission)
{
	struct fx f;
	uint64_t pa;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x5000, 0x5fff, 0x30000, MW), VIOMMU_S_OK);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, W, NULL), -EFAULT);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x5000, W, &pa));
	CHECK_EQ(pa, 0x30000);
	/* HOST domains can do write-only: reads fault */
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x5000, R, NULL), -EFAULT);
	fx_fini(&f);
}

TEST(map_reserved_region_refused)
{
	struct fx f;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_MSI, 0), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 2, EP_RESV, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, MSI_START, MSI_START + 0xfff, 0x20000, MW),
		 VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 1, MSI_START - 0x1000, MSI_START + 0x1fff, 0x20000, MW),
		 VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 2, RESV_LAST - 0xfff, RESV_LAST + 0x1000, 0x20000, MR),
		 VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 2, RESV_LAST + 1, RESV_LAST + 0x1000, 0x20000, MR),
		 VIOMMU_S_OK);
	/* accesses to a RESERVED region fault, reach nothing */
	CHECK_ERR(fx_xl(&f, EP_RESV, RESV_START, R, NULL), -EFAULT);
	/* an endpoint's regions bind only the domain it is attached to */
	CHECK_EQ(map(&f, 1, RESV_START, RESV_LAST, 0x20000, MR), VIOMMU_S_OK);
	fx_fini(&f);
}

TEST(map_without_map_unmap_feature)
{
	struct fx f;

	fx_prepare(&f);
	CHECK_OK(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v));
	fx_endpoints(&f);
	fx_driver(&f, IOAS_VIRTIO_F_VERSION_1 | IOAS_VIOMMU_F_PROBE, 0);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_UNSUPP);
	CHECK_EQ(viod_unmap(f.d, 1, 0x4000, 0x4fff), VIOMMU_S_UNSUPP);
	fx_fini(&f);
}

/* ---- UNMAP ------------------------------------------------------------------------------ */

/* The specification's example, with 4 KiB pages: unit u = [u*4K, u*4K+4K-1]. */
#define U(x) ((uint64_t)(x) << 12)
#define UE(x) (U((x) + 1) - 1)

static void unmap_case(struct fx *f, int n)
{
	uint32_t dom = (uint32_t)n;

	CHECK_EQ(viod_attach(f->d, dom, EP_PLAIN, 0), VIOMMU_S_OK);
	switch (n) {
	case 1:
		CHECK_EQ(viod_unmap(f->d, dom, U(0), UE(4)), VIOMMU_S_OK);
		break;
	case 2:
		CHECK_EQ(map(f, dom, U(0), UE(9), 0x100000, MR), VIOMMU_S_OK);
		CHECK_EQ(viod_unmap(f->d, dom, U(0), UE(9)), VIOMMU_S_OK);
		CHECK_ERR(fx_xl(f, EP_PLAIN, U(0), R, NULL), -EFAULT);
		break;
	case 3:
		CHECK_EQ(map(f, dom, U(0), UE(4), 0x100000, MR), VIOMMU_S_OK);
		CHECK_EQ(map(f, dom, U(5), UE(9), 0x200000, MR), VIOMMU_S_OK);
		CHECK_EQ(viod_unmap(f->d, dom, U(0), UE(9)), VIOMMU_S_OK);
		CHECK_ERR(fx_xl(f, EP_PLAIN, U(0), R, NULL), -EFAULT);
		CHECK_ERR(fx_xl(f, EP_PLAIN, U(5), R, NULL), -EFAULT);
		break;
	case 4:
		CHECK_EQ(map(f, dom, U(0), UE(9), 0x100000, MR), VIOMMU_S_OK);
		CHECK_EQ(viod_unmap(f->d, dom, U(0), UE(4)), VIOMMU_S_RANGE);
		CHECK_OK(fx_xl(f, EP_PLAIN, U(0), R, NULL));
		CHECK_OK(fx_xl(f, EP_PLAIN, U(9), R, NULL));
		break;
	case 5:
		CHECK_EQ(map(f, dom, U(0), UE(4), 0x100000, MR), VIOMMU_S_OK);
		CHECK_EQ(map(f, dom, U(5), UE(9), 0x200000, MR), VIOMMU_S_OK);
		CHECK_EQ(viod_unmap(f->d, dom, U(0), UE(4)), VIOMMU_S_OK);
		CHECK_ERR(fx_xl(f, EP_PLAIN, U(0), R, NULL), -EFAULT);
		CHECK_OK(fx_xl(f, EP_PLAIN, U(5), R, NULL));
		break;
	case 6:
		CHECK_EQ(map(f, dom, U(0), UE(4), 0x100000, MR), VIOMMU_S_OK);
		CHECK_EQ(viod_unmap(f->d, dom, U(0), UE(9)), VIOMMU_S_OK);
		CHECK_ERR(fx_xl(f, EP_PLAIN, U(0), R, NULL), -EFAULT);
		break;
	case 7:
		CHECK_EQ(map(f, dom, U(0), UE(4), 0x100000, MR), VIOMMU_S_OK);
		CHECK_EQ(map(f, dom, U(10), UE(14), 0x200000, MR), VIOMMU_S_OK);
		CHECK_EQ(viod_unmap(f->d, dom, U(0), UE(14)), VIOMMU_S_OK);
		CHECK_ERR(fx_xl(f, EP_PLAIN, U(0), R, NULL), -EFAULT);
		CHECK_ERR(fx_xl(f, EP_PLAIN, U(10), R, NULL), -EFAULT);
		break;
	}
	CHECK_EQ(viod_detach(f->d, dom, EP_PLAIN), VIOMMU_S_OK);
}

TEST(unmap_spec_example)
{
	for (int n = 1; n <= 7; n++) {
		struct fx f;

		fx_init(&f);
		unmap_case(&f, n);
		fx_fini(&f);
	}
}

TEST(unmap_never_splits)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX];
	struct ioas_viommu_stats st;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, U(0), UE(1), 0x100000, MR), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, U(2), UE(3), 0x200000, MR), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, U(4), UE(5), 0x300000, MR), VIOMMU_S_OK);
	/* whole first two, half of the third: nothing removed */
	CHECK_EQ(viod_unmap(f.d, 1, U(0), UE(4)), VIOMMU_S_RANGE);
	CHECK_EQ(viod_unmap(f.d, 1, U(1), UE(5)), VIOMMU_S_RANGE);
	CHECK_OK(fx_xl(&f, EP_PLAIN, U(0), R, NULL));
	CHECK_OK(fx_xl(&f, EP_PLAIN, U(2), R, NULL));
	CHECK_OK(fx_xl(&f, EP_PLAIN, U(5), R, NULL));
	ioas_viommu_get_stats(f.v, &st);
	CHECK_EQ(st.mappings, 3);
	/* reserved field ignored; unknown domain; bad order */
	viod_build_unmap(req, 1, U(0), UE(3));
	req[24] = 0x5a;
	CHECK_EQ(fx_raw(&f, req, VIOMMU_UNMAP_SIZE, 4, NULL).status,
		 VIOMMU_S_OK);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, U(2), R, NULL), -EFAULT);
	CHECK_EQ(viod_unmap(f.d, 42, U(0), UE(3)), VIOMMU_S_NOENT);
	CHECK_EQ(viod_unmap(f.d, 1, U(5), U(4)), VIOMMU_S_INVAL);
	CHECK_EQ(viod_unmap(f.d, 1, 0, UINT64_MAX), VIOMMU_S_OK);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, U(5), R, NULL), -EFAULT);
	ioas_viommu_get_stats(f.v, &st);
	CHECK_EQ(st.mappings, 0);
	fx_fini(&f);
}

/* ---- PROBE -------------------------------------------------------------------------------- */

TEST(probe_properties)
{
	struct fx f;
	uint8_t props[512 + 4];
	struct ioas_viommu_resv two[2] = {
		{ { 0x1000, 0x1fff }, IOAS_VIOMMU_RESV_RESERVED, 0 },
		{ { 0x8000000, 0x80fffff }, IOAS_VIOMMU_RESV_MSI, 0 },
	};
	uint8_t req[VIOMMU_REQ_MAX];
	struct viod_result r;

	fx_init(&f);
	CHECK_OK(ioas_viommu_endpoint_add(f.v, 77, two, 2));
	memset(props, 0xaa, sizeof(props));
	CHECK_EQ(viod_probe(f.d, 77, props), VIOMMU_S_OK);
	CHECK_EQ(vq_ld16(props), VIOMMU_PROBE_T_RESV_MEM);
	CHECK_EQ(vq_ld16(props + 2), 20); /* size without the header */
	CHECK_EQ(props[4], VIOMMU_RESV_MEM_T_RESERVED);
	CHECK(!props[5] && !props[6] && !props[7]);
	CHECK_EQ(vq_ld64(props + 8), 0x1000);
	CHECK_EQ(vq_ld64(props + 16), 0x1fff);
	/* the next one exactly length + 4 bytes later */
	CHECK_EQ(vq_ld16(props + 24), VIOMMU_PROBE_T_RESV_MEM);
	CHECK_EQ(props[28], VIOMMU_RESV_MEM_T_MSI);
	CHECK_EQ(vq_ld64(props + 32), 0x8000000);
	CHECK_EQ(vq_ld64(props + 40), 0x80fffff);
	for (int i = 48; i < 512; i++)
		CHECK_EQ(props[i], 0); /* zero fill: a NONE terminator */
	/* the used length is properties + tail */
	r = fx_raw(&f, req, viod_build_probe(req, 77), 512 + 4, props);
	CHECK_EQ(r.used_len, 516);
	CHECK_EQ(props[512], VIOMMU_S_OK);
	/* reserved ignored */
	viod_build_probe(req, EP_MSI);
	memset(req + 8, 0xff, 64);
	r = fx_raw(&f, req, VIOMMU_PROBE_SIZE, 516, props);
	CHECK_EQ(props[512], VIOMMU_S_OK);
	CHECK_EQ(props[4], VIOMMU_RESV_MEM_T_MSI);
	CHECK_EQ(vq_ld64(props + 8), MSI_START);
	/* unknown endpoint */
	r = fx_raw(&f, req, viod_build_probe(req, 4321), 516, props);
	CHECK_EQ(props[512], VIOMMU_S_NOENT);
	CHECK_EQ(vq_ld16(props), 0);
	/* endpoint without regions: all zero */
	CHECK_EQ(viod_probe(f.d, EP_PLAIN, props), VIOMMU_S_OK);
	CHECK_EQ(vq_ld16(props), 0);
	fx_fini(&f);
}

TEST(probe_buffer_too_small)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX], out[516];
	struct viod_result r;

	fx_init(&f);
	r = fx_raw(&f, req, viod_build_probe(req, EP_MSI), 100, out);
	CHECK_EQ(r.used_len, 100);
	CHECK_EQ(out[96], VIOMMU_S_INVAL);
	for (int i = 0; i < 96; i++)
		CHECK_EQ(out[i], 0); /* no property written */
	fx_fini(&f);
}

TEST(probe_not_offered)
{
	struct fx f;
	uint8_t req[VIOMMU_REQ_MAX], out[516];
	struct viod_result r;
	uint8_t c[4];

	fx_prepare(&f);
	f.cfg.features = F_ALL_VIOMMU & ~IOAS_VIOMMU_F_PROBE;
	CHECK_OK(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v));
	fx_endpoints(&f);
	CHECK_OK(ioas_viommu_config_read(f.v, VIOMMU_CFG_PROBE_SIZE, c, 4));
	CHECK_EQ(vq_ld32(c), 0);
	fx_driver(&f, 0, 0);
	r = fx_raw(&f, req, viod_build_probe(req, EP_MSI), 4, out);
	CHECK_EQ(r.used_len, 0);
	CHECK_EQ(out[0], 0xaa);
	fx_fini(&f);
}

TEST(endpoint_add_rules)
{
	struct fx f;
	struct ioas_viommu_resv r[3] = {
		{ { 0x1000, 0x1fff }, IOAS_VIOMMU_RESV_MSI, 0 },
		{ { 0x1800, 0x2fff }, IOAS_VIOMMU_RESV_RESERVED, 0 },
		{ { 0x9000, 0x9fff }, IOAS_VIOMMU_RESV_MSI, 0 },
	};

	fx_init(&f);
	CHECK_ERR(ioas_viommu_endpoint_add(f.v, 50, r, 2), -EINVAL); /* overlap */
	CHECK_ERR(ioas_viommu_endpoint_add(f.v, 50, r + 0, 1), 0);
	CHECK_ERR(ioas_viommu_endpoint_add(f.v, 50, NULL, 0), -EEXIST);
	r[1].range.start = 0x3000;
	CHECK_ERR(ioas_viommu_endpoint_add(f.v, 51, r, 3), -EINVAL); /* 2 MSI */
	r[2].type = 7;
	CHECK_ERR(ioas_viommu_endpoint_add(f.v, 51, r + 2, 1), -EINVAL);
	r[2].type = 0;
	r[2].reserved = 1;
	CHECK_ERR(ioas_viommu_endpoint_add(f.v, 51, r + 2, 1), -EINVAL);
	fx_fini(&f);
}

/* ---- translate and bypass ------------------------------------------------------------------ */

TEST(translate_bypass_rules)
{
	struct fx f;
	uint64_t pa;
	struct ioas_viommu_dma dma;

	/* bypass = 0: unattached endpoints fault (DOMAIN) */
	fx_init(&f);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	CHECK_ERR(fx_xl(&f, 5555, 0x4000, R, NULL), -ENOENT);
	CHECK_ERR(ioas_viommu_translate(f.v, EP_PLAIN, 0, 0, R, &dma), -EINVAL);
	CHECK_ERR(ioas_viommu_translate(f.v, EP_PLAIN, 0, 1, 0, &dma), -EINVAL);
	CHECK_ERR(ioas_viommu_translate(f.v, EP_PLAIN, ~0ull, 2, R, &dma),
		  -EOVERFLOW);
	/* MSI doorbells pass untranslated, attached or not */
	CHECK_OK(ioas_viommu_translate(f.v, EP_MSI, MSI_LAST - 3, 16, W, &dma));
	CHECK_EQ(dma.pa, MSI_LAST - 3);
	CHECK_EQ(dma.length, 4);
	CHECK(dma.flags & IOAS_VIOMMU_DMA_BYPASS);
	CHECK_EQ(viod_attach(f.d, 1, EP_MSI, 0), VIOMMU_S_OK);
	CHECK_OK(fx_xl(&f, EP_MSI, MSI_START, W, &pa));
	CHECK_EQ(pa, MSI_START);
	CHECK_ERR(fx_xl(&f, EP_MSI, 0x4000, W, NULL), -EFAULT);
	fx_fini(&f);

	/* legacy BYPASS feature negotiated: unattached endpoints bypass */
	fx_prepare(&f);
	f.cfg.features = IOAS_VIOMMU_F_MAP_UNMAP | IOAS_VIOMMU_F_BYPASS |
			 IOAS_VIRTIO_F_VERSION_1;
	fx_start(&f);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_EQ(pa, 0x4000);
	CHECK_OK(ioas_viommu_set_features(f.v, IOAS_VIRTIO_F_VERSION_1));
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	fx_fini(&f);

	/* BYPASS_CONFIG offered with bypass = 1 applies even if the driver
	 * does not accept the feature */
	fx_prepare(&f);
	f.cfg.bypass = 1;
	CHECK_OK(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v));
	fx_endpoints(&f);
	fx_driver(&f, IOAS_VIRTIO_F_VERSION_1 | IOAS_VIOMMU_F_MAP_UNMAP, 0);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	fx_fini(&f);
}

TEST(translate_lengths)
{
	struct fx f;
	struct ioas_viommu_dma dma;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x7fff, 0x20000, MR | MW), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x8000, 0x8fff, 0x90000, MR | MW), VIOMMU_S_OK);
	CHECK_OK(ioas_viommu_translate(f.v, EP_PLAIN, 0x4800, 0x10000, R, &dma));
	CHECK_EQ(dma.pa, 0x20800);
	CHECK_EQ(dma.length, 0x3800); /* up to the physical discontinuity */
	CHECK_EQ(dma.prot, R | W);
	CHECK_EQ(dma.flags, 0);
	fx_fini(&f);
}

/* MAP warms the endpoints' translation caches: the first DMA to every page
 * of a new mapping (up to the prefetch bound) is served from the ATC, and
 * an UNMAP takes exactly its pages away again. */
TEST(map_prefetches_translations)
{
	struct fx f;
	struct ioas_viommu_dma dma;
	struct ioas_iommu_stats st0, st1;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x10000, 0x17fff, 0x40000, MR | MW), VIOMMU_S_OK);
	ioas_iommu_get_stats(ioas_viommu_iommu(f.v), &st0);
	for (uint64_t p = 0; p < 8; p++) {
		CHECK_OK(ioas_viommu_translate(f.v, EP_PLAIN,
					       0x10000 + p * 0x1000 + 0x10, 8,
					       W, &dma));
		CHECK_EQ(dma.pa, 0x40000 + p * 0x1000 + 0x10);
	}
	ioas_iommu_get_stats(ioas_viommu_iommu(f.v), &st1);
	CHECK_EQ(st1.atc_hits - st0.atc_hits, 8);
	CHECK_EQ(st1.walks, st0.walks);
	CHECK_EQ(viod_unmap(f.d, 1, 0x10000, 0x17fff), VIOMMU_S_OK);
	CHECK_EQ(ioas_viommu_translate(f.v, EP_PLAIN, 0x13000, 8, R, &dma),
		 -EFAULT);
	fx_fini(&f);
}

/* The cache an emulated device holds: hits on domain mappings and MSI
 * pages (never a bypass domain), and unmap, detach and reset end the
 * mappings' hits at once. */
TEST(translate_cached_follows_the_device)
{
	struct fx f;
	struct ioas_viommu_tcache c, c2;
	struct ioas_viommu_dma dma, plain;

	fx_init(&f);
	CHECK_ERR(ioas_viommu_tcache_init(&c, f.v, 12345), -ENOENT);
	CHECK_ERR(ioas_viommu_tcache_init(NULL, f.v, EP_MSI), -EINVAL);
	CHECK_OK(ioas_viommu_tcache_init(&c, f.v, EP_MSI));
	CHECK_OK(ioas_viommu_tcache_init(&c2, f.v, EP_PLAIN));
	CHECK_EQ(viod_attach(f.d, 2, EP_MSI, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 2, 0x10000, 0x10fff, 0x50000, MR), VIOMMU_S_OK);
	for (int i = 0; i < 3; i++) {
		CHECK_OK(ioas_viommu_translate_cached(&c, 0x10010, 8, R, &dma));
		CHECK_EQ(dma.pa, 0x50010);
		CHECK_EQ(dma.flags, 0);
		CHECK_EQ(dma.prot, R);
	}
	CHECK_EQ(c.c.hits, 2);
	/* no write permission: the device's answer (a fault), no hit */
	CHECK_ERR(ioas_viommu_translate_cached(&c, 0x10010, 8, W, &dma),
		  -EFAULT);
	/* the MSI window passes through, and its pages are cached as such */
	for (int i = 0; i < 2; i++) {
		CHECK_OK(ioas_viommu_translate_cached(&c, MSI_START + 4, 4, W,
						      &dma));
		CHECK_EQ(dma.pa, MSI_START + 4);
		CHECK_EQ(dma.length, 4);
		CHECK_EQ(dma.prot, R | W | IOAS_PROT_EXEC);
		CHECK_EQ(dma.flags, IOAS_VIOMMU_DMA_BYPASS);
	}
	CHECK_EQ(c.c.hits, 3);
	/* unmap: faults at once */
	CHECK_EQ(viod_unmap(f.d, 2, 0x10000, 0x10fff), VIOMMU_S_OK);
	CHECK_ERR(ioas_viommu_translate_cached(&c, 0x10010, 8, R, &dma),
		  -EFAULT);
	/* detach: the unattached answer, not the old mapping */
	CHECK_EQ(map(&f, 2, 0x10000, 0x10fff, 0x60000, MR), VIOMMU_S_OK);
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x10010, 8, R, &dma));
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x10010, 8, R, &dma));
	CHECK_EQ(dma.pa, 0x60010);
	CHECK_EQ(c.c.hits, 4);
	CHECK_EQ(viod_detach(f.d, 2, EP_MSI), VIOMMU_S_OK);
	{
		int r1 = ioas_viommu_translate_cached(&c, 0x10010, 8, R, &dma);
		int r2 = ioas_viommu_translate(f.v, EP_MSI, 0x10010, 8, R,
					       &plain);

		CHECK_EQ(r1, r2);
		CHECK(r1 != 0 || dma.pa == 0x10010);
	}
	CHECK_EQ(c.c.hits, 4);
	/* a bypass domain is never cached */
	CHECK_EQ(viod_attach(f.d, 3, EP_PLAIN, VIOMMU_ATTACH_F_BYPASS),
		 VIOMMU_S_OK);
	for (int i = 0; i < 2; i++) {
		CHECK_OK(ioas_viommu_translate_cached(&c2, 0x20000, 8, R, &dma));
		CHECK_EQ(dma.pa, 0x20000);
		CHECK_EQ(dma.flags, IOAS_VIOMMU_DMA_BYPASS);
	}
	CHECK_EQ(c2.c.hits, 0);
	/* reset: every attachment goes, and so do the cached pages */
	CHECK_EQ(viod_attach(f.d, 4, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 4, 0x30000, 0x30fff, 0x70000, MR | MW), VIOMMU_S_OK);
	CHECK_OK(ioas_viommu_translate_cached(&c2, 0x30000, 8, W, &dma));
	CHECK_OK(ioas_viommu_translate_cached(&c2, 0x30000, 8, W, &dma));
	CHECK_EQ(c2.c.hits, 1);
	ioas_viommu_reset(f.v);
	{
		int r1 = ioas_viommu_translate_cached(&c2, 0x30000, 8, W, &dma);

		CHECK(r1 != 0 || dma.pa != 0x70000);
	}
	CHECK_EQ(c2.c.hits, 1);
	fx_fini(&f);
}

/* A MAP's whole run is one entry of an endpoint's cache: one miss for a
 * buffer of many pages, accesses across its pages served too; an
 * invalidation in the domain of more than one page ends it (one inside a
 * page cannot be of the run's mapping), and only a later MAP's run can
 * take its place. */
TEST(translate_cached_takes_a_mapping_as_one_run)
{
	struct ioas_viommu_tcache c;
	struct ioas_viommu_dma dma;
	struct fx f;

	fx_init(&f);
	CHECK_OK(ioas_viommu_tcache_init(&c, f.v, EP_PLAIN));
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x100000, 0x10ffff, 0x400000, MR), VIOMMU_S_OK);
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x100010, 8, R, &dma));
	CHECK_EQ(dma.pa, 0x400010);
	CHECK_EQ(c.c.misses, 1);
	for (uint64_t p = 1; p < 16; p++) {
		CHECK_OK(ioas_viommu_translate_cached(&c, 0x100008 + p * 0x1000,
						      8, R, &dma));
		CHECK_EQ(dma.pa, 0x400008 + p * 0x1000);
		CHECK_EQ(dma.length, 8);
		CHECK_EQ(dma.prot, R);
		CHECK_EQ(dma.flags, 0);
	}
	CHECK_EQ(c.c.hits, 15);
	/* an UNMAP of one page elsewhere in the domain leaves the run */
	CHECK_EQ(map(&f, 1, 0x200000, 0x200fff, 0x500000, MR), VIOMMU_S_OK);
	CHECK_EQ(viod_unmap(f.d, 1, 0x200000, 0x200fff), VIOMMU_S_OK);
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x10a000, 8, R, &dma));
	CHECK_EQ(dma.pa, 0x40a000);
	CHECK_EQ(c.c.misses, 1);
	CHECK_EQ(c.c.hits, 16);
	/* one of two pages elsewhere ends it; what the MAP left in the ATC
	 * still answers, page by page */
	CHECK_EQ(map(&f, 1, 0x200000, 0x201fff, 0x500000, MR), VIOMMU_S_OK);
	CHECK_EQ(viod_unmap(f.d, 1, 0x200000, 0x201fff), VIOMMU_S_OK);
	c.c.misses = 0;
	c.c.hits = 0;
	for (uint64_t p = 3; p < 6; p++) {
		CHECK_OK(ioas_viommu_translate_cached(&c, 0x100000 + p * 0x1000,
						      8, R, &dma));
		CHECK_EQ(dma.pa, 0x400000 + p * 0x1000);
	}
	CHECK_EQ(c.c.misses, 3);
	CHECK_EQ(c.c.hits, 0);
	/* a new MAP's run is taken again */
	CHECK_EQ(map(&f, 1, 0x300000, 0x303fff, 0x600000, MR | MW),
		 VIOMMU_S_OK);
	for (uint64_t p = 0; p < 4; p++)
		CHECK_OK(ioas_viommu_translate_cached(&c, 0x300000 + p * 0x1000,
						      8, W, &dma));
	CHECK_EQ(dma.pa, 0x603000);
	CHECK_EQ(c.c.misses, 4);
	CHECK_EQ(c.c.hits, 3);
	/* across pages, to the run's last byte */
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x300ff8, 0x3008, R, &dma));
	CHECK_EQ(dma.pa, 0x600ff8);
	CHECK_EQ(dma.length, 0x3008);
	CHECK_EQ(c.c.hits, 4);
	CHECK_EQ(c.c.misses, 4);
	/* one byte or a page past it: the device's answer, no hit */
	CHECK_ERR(ioas_viommu_translate_cached(&c, 0x300ff8, 0x3009, R, &dma),
		  ioas_viommu_translate(f.v, EP_PLAIN, 0x300ff8, 0x3009, R,
					&dma));
	CHECK_ERR(ioas_viommu_translate_cached(&c, 0x304000, 8, W, &dma),
		  -EFAULT);
	CHECK_EQ(c.c.hits, 4);
	/* and its own UNMAP ends it at once */
	CHECK_EQ(viod_unmap(f.d, 1, 0x300000, 0x303fff), VIOMMU_S_OK);
	CHECK_ERR(ioas_viommu_translate_cached(&c, 0x302000, 8, R, &dma),
		  -EFAULT);
	fx_fini(&f);
}

/* A page only partly in an MSI region answers differently on each side of
 * the region's edge: never cached; a page wholly inside is. */
TEST(translate_cached_msi_pages)
{
	const struct ioas_viommu_resv msi = { { 0x90000800, 0x900027ff },
					      IOAS_VIOMMU_RESV_MSI, 0 };
	struct ioas_viommu_tcache c;
	struct ioas_viommu_dma dma;
	struct fx f;

	fx_init(&f);
	CHECK_OK(ioas_viommu_endpoint_add(f.v, 77, &msi, 1));
	CHECK_OK(ioas_viommu_tcache_init(&c, f.v, 77));
	CHECK_EQ(viod_attach(f.d, 1, 77, 0), VIOMMU_S_OK);
	for (int i = 0; i < 2; i++) {
		/* first and last page: partly in */
		CHECK_OK(ioas_viommu_translate_cached(&c, 0x90000900, 8, W, &dma));
		CHECK_EQ(dma.pa, 0x90000900);
		CHECK_EQ(dma.flags, IOAS_VIOMMU_DMA_BYPASS);
		CHECK_ERR(ioas_viommu_translate_cached(&c, 0x90000100, 8, W, &dma),
			  -EFAULT);
		CHECK_OK(ioas_viommu_translate_cached(&c, 0x900027f8, 8, R, &dma));
		CHECK_EQ(dma.flags, IOAS_VIOMMU_DMA_BYPASS);
		CHECK_ERR(ioas_viommu_translate_cached(&c, 0x90002800, 8, R, &dma),
			  -EFAULT);
	}
	CHECK_EQ(c.c.hits, 0);
	/* the middle page: wholly in, whatever the access */
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x90001000, 8, R, &dma));
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x90001ff8, 8, W, &dma));
	CHECK_EQ(dma.pa, 0x90001ff8);
	CHECK_EQ(dma.flags, IOAS_VIOMMU_DMA_BYPASS);
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x90001000, 8, IOAS_PROT_EXEC,
					      &dma));
	CHECK_EQ(c.c.hits, 2);
	/* a bypass domain leaves the window as it was */
	CHECK_EQ(viod_attach(f.d, 2, 77, VIOMMU_ATTACH_F_BYPASS), VIOMMU_S_OK);
	CHECK_OK(ioas_viommu_translate_cached(&c, 0x90001010, 8, W, &dma));
	CHECK_EQ(dma.pa, 0x90001010);
	CHECK_EQ(dma.flags, IOAS_VIOMMU_DMA_BYPASS);
	fx_fini(&f);
}

/* What lets a cache miss ask the device's ATC before the endpoint's MSI
 * regions: an endpoint never shares a domain with a mapping in its window.
 * Another endpoint's cached (and ATC-held) page there leaves the MSI
 * endpoint's answer a pass-through, before and after it joins the domain. */
TEST(translate_cached_msi_window_never_mapped_for_it)
{
	struct ioas_viommu_tcache cp, cm;
	struct ioas_viommu_dma dma;
	struct ioas_iommu_stats st0, st1;
	struct fx f;

	fx_init(&f);
	CHECK_OK(ioas_viommu_tcache_init(&cp, f.v, EP_PLAIN));
	CHECK_OK(ioas_viommu_tcache_init(&cm, f.v, EP_MSI));
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 2, EP_MSI, 0), VIOMMU_S_OK);
	/* domain 1 may map the window: its endpoint has none there */
	CHECK_EQ(map(&f, 1, MSI_START, MSI_START + 0xfff, 0x20000, MR | MW),
		 VIOMMU_S_OK);
	for (int i = 0; i < 2; i++) {
		CHECK_OK(ioas_viommu_translate_cached(&cp, MSI_START + 8, 8, W,
						      &dma));
		CHECK_EQ(dma.pa, 0x20008);
		CHECK_EQ(dma.flags, 0);
	}
	/* the MSI endpoint cannot join it while that mapping lives */
	CHECK_EQ(viod_attach(f.d, 1, EP_MSI, 0), VIOMMU_S_UNSUPP);
	for (int i = 0; i < 2; i++) {
		CHECK_OK(ioas_viommu_translate_cached(&cm, MSI_START + 8, 8, W,
						      &dma));
		CHECK_EQ(dma.pa, MSI_START + 8);
		CHECK_EQ(dma.flags, IOAS_VIOMMU_DMA_BYPASS);
	}
	/* once it is gone it can, and the window stays unmappable */
	CHECK_EQ(viod_unmap(f.d, 1, MSI_START, MSI_START + 0xfff), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 1, EP_MSI, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, MSI_START, MSI_START + 0xfff, 0x20000, MR | MW),
		 VIOMMU_S_RANGE);
	CHECK_EQ(map(&f, 1, MSI_START - 0x1000, MSI_START - 1, 0x20000, MR),
		 VIOMMU_S_OK);
	/* a page next to the window: the MAP prefetched it into the ATC of
	 * each endpoint of the domain, and the cache's miss takes it there */
	ioas_iommu_get_stats(ioas_viommu_iommu(f.v), &st0);
	CHECK_OK(ioas_viommu_translate_cached(&cm, MSI_START - 8, 8, R, &dma));
	CHECK_EQ(dma.pa, 0x20ff8);
	CHECK_EQ(dma.flags, 0);
	ioas_iommu_get_stats(ioas_viommu_iommu(f.v), &st1);
	CHECK_EQ(st1.atc_hits, st0.atc_hits + 1);
	CHECK_OK(ioas_viommu_translate_cached(&cm, MSI_START + 8, 8, W, &dma));
	CHECK_EQ(dma.pa, MSI_START + 8);
	CHECK_EQ(dma.flags, IOAS_VIOMMU_DMA_BYPASS);
	/* the other endpoint's cached page died with its mapping */
	CHECK_ERR(ioas_viommu_translate_cached(&cp, MSI_START + 8, 8, W, &dma),
		  -EFAULT);
	fx_fini(&f);
}

/* ---- the event queue ------------------------------------------------------------------------ */

TEST(fault_records)
{
	struct fx f;
	uint8_t rec[VIOMMU_FAULT_SIZE];
	uint32_t len;
	struct ioas_viommu_stats st;

	fx_init(&f);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4567, R, NULL), -EFAULT);
	CHECK_EQ(viod_event_next(f.d, rec, &len), 1);
	CHECK_EQ(len, VIOMMU_FAULT_SIZE);
	CHECK_EQ(rec[0], VIOMMU_FAULT_R_DOMAIN);
	CHECK(!rec[1] && !rec[2] && !rec[3]);
	CHECK_EQ(vq_ld32(rec + 4), VIOMMU_FAULT_F_READ | VIOMMU_FAULT_F_ADDRESS);
	CHECK_EQ(vq_ld32(rec + 8), EP_PLAIN);
	CHECK_EQ(vq_ld32(rec + 12), 0);
	CHECK_EQ(vq_ld64(rec + 16), 0x4567);
	CHECK(f.notifies[1] >= 1);

	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_OK);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4010, W, NULL), -EFAULT); /* perm */
	CHECK_EQ(viod_event_next(f.d, rec, &len), 1);
	CHECK_EQ(rec[0], VIOMMU_FAULT_R_MAPPING);
	CHECK_EQ(vq_ld32(rec + 4), VIOMMU_FAULT_F_WRITE | VIOMMU_FAULT_F_ADDRESS);
	CHECK_EQ(vq_ld64(rec + 16), 0x4010);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x9000, IOAS_PROT_EXEC, NULL), -EFAULT);
	CHECK_EQ(viod_event_next(f.d, rec, &len), 1);
	CHECK_EQ(rec[0], VIOMMU_FAULT_R_MAPPING);
	CHECK_EQ(vq_ld32(rec + 4), VIOMMU_FAULT_F_EXEC | VIOMMU_FAULT_F_ADDRESS);
	CHECK_EQ(viod_event_next(f.d, rec, &len), 0);
	ioas_viommu_get_stats(f.v, &st);
	CHECK_EQ(st.faults_reported, 3);
	CHECK_EQ(st.faults_dropped, 0);
	CHECK_EQ(st.translation_faults, 3);
	fx_fini(&f);
}

TEST(fault_buffers_too_small_or_none)
{
	struct fx f;
	uint8_t rec[VIOMMU_FAULT_SIZE];
	uint32_t len;
	struct ioas_viommu_stats st;
	unsigned got = 0;

	/* every event buffer is 16 bytes: none fits, none is split */
	fx_prepare(&f);
	CHECK_OK(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v));
	fx_endpoints(&f);
	fx_driver(&f, 0, 16);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	while (viod_event_next(f.d, rec, &len) == 1) {
		CHECK_EQ(len, 0); /* returned unused */
		got++;
		if (got > 64)
			break;
	}
	CHECK(got >= 1);
	ioas_viommu_get_stats(f.v, &st);
	CHECK_EQ(st.faults_reported, 0);
	CHECK_EQ(st.faults_dropped, 1);
	fx_fini(&f);

	/* no event buffer at all: dropped */
	fx_prepare(&f);
	CHECK_OK(ioas_viommu_create(f.ctx, f.phys, &f.cfg, &f.v));
	fx_endpoints(&f);
	{
		struct viod_config dc;

		memset(&dc, 0, sizeof(dc));
		dc.ram_base = RAM_BASE;
		dc.ram_size = RAM_SIZE;
		dc.no_event_fill = true;
		CHECK_OK(viod_create(f.ctx, f.phys, f.v, &dc, &f.d));
	}
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x5000, R, NULL), -EFAULT);
	ioas_viommu_get_stats(f.v, &st);
	CHECK_EQ(st.faults_dropped, 2);
	fx_fini(&f);
}

/* ---- caps, reset ------------------------------------------------------------------------------- */

TEST(caps_nomem_then_working)
{
	struct fx f;

	fx_prepare(&f);
	f.cfg.max_domains = 2;
	f.cfg.max_mappings = 3;
	f.cfg.max_endpoints = 4;
	fx_start(&f);
	CHECK_OK(ioas_viommu_endpoint_add(f.v, 100, NULL, 0));
	CHECK_ERR(ioas_viommu_endpoint_add(f.v, 101, NULL, 0), -ENOSPC);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 2, EP_MSI, 0), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 3, EP_RESV, 0), VIOMMU_S_NOMEM);
	CHECK_ERR(fx_xl(&f, EP_RESV, 0x4000, R, NULL), -EFAULT);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(map(&f, 1, U(i), UE(i), 0x100000, MR), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, U(5), UE(5), 0x100000, MR), VIOMMU_S_NOMEM);
	CHECK_ERR(fx_xl(&f, EP_PLAIN, U(5), R, NULL), -EFAULT);
	/* keeps working */
	CHECK_EQ(viod_unmap(f.d, 1, U(0), UE(0)), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, U(5), UE(5), 0x100000, MR), VIOMMU_S_OK);
	CHECK_EQ(viod_detach(f.d, 2, EP_MSI), VIOMMU_S_OK);
	CHECK_EQ(viod_attach(f.d, 3, EP_RESV, 0), VIOMMU_S_OK);
	fx_fini(&f);
}

TEST(reset_detaches_everything)
{
	struct fx f;
	struct ioas_viommu_stats st;
	uint64_t pa;

	fx_init(&f);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_OK);
	ioas_viommu_reset(f.v);
	ioas_viommu_get_stats(f.v, &st);
	CHECK_EQ(st.domains, 0);
	CHECK_EQ(st.mappings, 0);
	CHECK_EQ(st.endpoints, 3);
	/* endpoints are not attached after reset */
	CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
	CHECK_ERR(ioas_viommu_kick(f.v, 0), -ENODEV);
	CHECK_OK(viod_restart(f.d));
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x20000, MR), VIOMMU_S_NOENT);
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	CHECK_EQ(map(&f, 1, 0x4000, 0x4fff, 0x30000, MR), VIOMMU_S_OK);
	CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
	CHECK_EQ(pa, 0x30000);
	fx_fini(&f);
}

TEST(broken_queue_reports_eio)
{
	struct fx f;

	fx_init(&f);
	CHECK_OK(vqd_set_avail_idx(viod_rq(f.d), 1000));
	CHECK_ERR(ioas_viommu_kick(f.v, 0), -EIO);
	ioas_viommu_reset(f.v);
	CHECK_OK(viod_restart(f.d));
	CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
	fx_fini(&f);
}
