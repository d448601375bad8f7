/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-iommu driver side: see viommu_driver.h. */
#include <errno.h>
#include <string.h>

#include <ioas/phys.h>

#include "core/ctx.h"
#include "virtio/viommu_driver.h"

#define ALIGN4K(x) (((x) + 0xfffull) & ~0xfffull)

struct viod {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_viommu *dev;
	struct viod_config cfg;
	uint32_t probe_size;
	uint64_t rq_ring, eq_ring, slots, evbufs;
	uint32_t slot_len, wmax;
	struct vqd *rq, *eq;
	uint8_t *types;          /* per request head */
	uint32_t *wlens;
	viod_done_fn done;
	void *done_opaque;
	/* viod_send's capture */
	bool want;
	uint64_t want_token;
	struct viod_result got;
	bool have;
	uint8_t *out;
	uint32_t outlen;
	uint64_t next_token;
};

static void layout(const struct viod_config *c, uint32_t probe_size,
		   uint64_t *rq, uint64_t *eq, uint64_t *slots, uint64_t *ev,
		   uint32_t *slot_len, uint64_t *end)
{
	uint32_t wmax = probe_size + VIOMMU_TAIL_SIZE + VIOD_WRITE_EXTRA;

	*slot_len = (VIOD_REQ_MAX + wmax + 63u) & ~63u;
	*rq = c->ram_base;
	*eq = ALIGN4K(*rq + vqd_ring_bytes(c->rq_size));
	*slots = ALIGN4K(*eq + vqd_ring_bytes(c->eq_size));
	*ev = ALIGN4K(*slots + (uint64_t)*slot_len * c->rq_size);
	*end = *ev + (uint64_t)c->ev_len * c->eq_size;
}

static void defaults(struct viod_config *c)
{
	if (!c->rq_size)
		c->rq_size = 64;
	if (!c->eq_size)
		c->eq_size = 16;
	if (!c->ev_len)
		c->ev_len = VIOMMU_FAULT_SIZE;
}

uint64_t viod_ram_bytes(const struct viod_config *ucfg, uint32_t probe_size)
{
	struct viod_config c = *ucfg;
	uint64_t rq, eq, sl, ev, end;
	uint32_t slen;

	defaults(&c);
	layout(&c, probe_size, &rq, &eq, &sl, &ev, &slen, &end);
	return end - c.ram_base;
}

static int post_events(struct viod *d)
{
	while (vqd_num_free(d->eq)) {
		int h = vqd_next_head(d->eq);
		struct vqd_buf b;
		int ret;

		if (h < 0)
			break;
		b.addr = d->evbufs + (uint64_t)h * d->cfg.ev_len;
		b.len = d->cfg.ev_len;
		ret = vqd_add(d->eq, &b, 0, 1, false, (uint64_t)h);
		if (ret < 0)
			return ret;
	}
	vqd_kick(d->eq);
	return ioas_viommu_kick(d->dev, 1) < 0 ? -EIO : 0;
}

static int setup_queues(struct viod *d)
{
	struct vqd_config qc;
	struct ioas_viommu_queue q;
	uint64_t feat = d->cfg.features ? d->cfg.features
					: ioas_viommu_features(d->dev);
	int ret;

	vqd_destroy(d->rq);
	vqd_destroy(d->eq);
	d->rq = d->eq = NULL;
	ret = ioas_viommu_set_features(d->dev, feat);
	if (ret)
		return ret;
	memset(&qc, 0, sizeof(qc));
	qc.features = feat & (IOAS_VIRTIO_F_EVENT_IDX);
	qc.size = d->cfg.rq_size;
	qc.ring_base = d->rq_ring;
	ret = vqd_create(d->ctx, d->phys, &qc, &d->rq);
	if (ret)
		return ret;
	qc.size = d->cfg.eq_size;
	qc.ring_base = d->eq_ring;
	ret = vqd_create(d->ctx, d->phys, &qc, &d->eq);
	if (ret)
		return ret;
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.num = d->cfg.rq_size;
	vqd_layout(d->rq_ring, q.num, &q.desc, &q.avail, &q.used);
	ret = ioas_viommu_queue_setup(d->dev, 0, &q);
	if (ret)
		return ret;
	q.num = d->cfg.eq_size;
	vqd_layout(d->eq_ring, q.num, &q.desc, &q.avail, &q.used);
	ret = ioas_viommu_queue_setup(d->dev, 1, &q);
	if (ret)
		return ret;
	return d->cfg.no_event_fill ? 0 : post_events(d);
}

int viod_create(struct ioas_ctx *ctx, struct ioas_phys *phys,
		struct ioas_viommu *dev, const struct viod_config *cfg,
		struct viod **out)
{
	struct viod *d;
	uint8_t c[4];
	uint64_t end;
	int ret;

	if (!ctx || !phys || !dev || !cfg || !out || (cfg->ram_base & 0xfff))
		return -EINVAL;
	d = ctx_zalloc(ctx, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ctx = ctx;
	d->phys = phys;
	d->dev = dev;
	d->cfg = *cfg;
	defaults(&d->cfg);
	ret = ioas_viommu_config_read(dev, VIOMMU_CFG_PROBE_SIZE, c, 4);
	if (ret)
		goto err;
	d->probe_size = vq_ld32(c);
	d->wmax = d->probe_size + VIOMMU_TAIL_SIZE + VIOD_WRITE_EXTRA;
	layout(&d->cfg, d->probe_size, &d->rq_ring, &d->eq_ring, &d->slots,
	       &d->evbufs, &d->slot_len, &end);
	ret = -EINVAL;
	if (end - d->cfg.ram_base > d->cfg.ram_size)
		goto err;
	ret = -ENOMEM;
	d->types = ctx_zalloc(ctx, d->cfg.rq_size);
	d->wlens = ctx_zalloc(ctx, d->cfg.rq_size * sizeof(*d->wlens));
	if (!d->types || !d->wlens)
		goto err;
	ret = setup_queues(d);
	if (ret)
		goto err;
	*out = d;
	return 0;
err:
	viod_destroy(d);
	return ret;
}

void viod_destroy(struct viod *d)
{
	if (!d)
		return;
	vqd_destroy(d->rq);
	vqd_destroy(d->eq);
	ctx_free(d->ctx, d->types, d->cfg.rq_size);
	ctx_free(d->ctx, d->wlens, d->cfg.rq_size * sizeof(*d->wlens));
	ctx_free(d->ctx, d, sizeof(*d));
}

int viod_restart(struct viod *d)
{
	return setup_queues(d);
}

void viod_set_done(struct viod *d, viod_done_fn fn, void *opaque)
{
	d->done = fn;
	d->done_opaque = opaque;
}

/* ---- builders ------------------------------------------------------------------- */

static void head(uint8_t *b, uint8_t type)
{
	b[0] = type;
	b[1] = b[2] = b[3] = 0;
}

uint32_t viod_build_attach(uint8_t *b, uint32_t domain, uint32_t ep,
			   uint32_t flags)
{
	head(b, VIOMMU_T_ATTACH);
	vq_st32(b + 4, domain);
	vq_st32(b + 8, ep);
	vq_st32(b + 12, flags);
	vq_st32(b + 16, 0);
	return VIOMMU_ATTACH_SIZE;
}

uint32_t viod_build_detach(uint8_t *b, uint32_t domain, uint32_t ep)
{
	head(b, VIOMMU_T_DETACH);
	vq_st32(b + 4, domain);
	vq_st32(b + 8, ep);
	memset(b + 12, 0, 8);
	return VIOMMU_DETACH_SIZE;
}

uint32_t viod_build_map(uint8_t *b, uint32_t domain, uint64_t vs, uint64_t ve,
			uint64_t ps, uint32_t flags)
{
	head(b, VIOMMU_T_MAP);
	vq_st32(b + 4, domain);
	vq_st64(b + 8, vs);
	vq_st64(b + 16, ve);
	vq_st64(b + 24, ps);
	vq_st32(b + 32, flags);
	return VIOMMU_MAP_SIZE;
}

uint32_t viod_build_unmap(uint8_t *b, uint32_t domain, uint64_t vs,
			  uint64_t ve)
{
	head(b, VIOMMU_T_UNMAP);
	vq_st32(b + 4, domain);
	vq_st64(b + 8, vs);
	vq_st64(b + 16, ve);
	vq_st32(b + 24, 0);
	return VIOMMU_UNMAP_SIZE;
}

uint32_t viod_build_probe(uint8_t *b, uint32_t ep)
{
	head(b, VIOMMU_T_PROBE);
	vq_st32(b + 4, ep);
	memset(b + 8, 0, 64);
	return VIOMMU_PROBE_SIZE;
}

uint32_t viod_write_len(const struct viod *d, uint8_t type)
{
	return type == VIOMMU_T_PROBE ? d->probe_size + VIOMMU_TAIL_SIZE
				      : VIOMMU_TAIL_SIZE;
}

/* ---- request queue ------------------------------------------------------------ */

uint64_t viod_slot_addr(const struct viod *d, uint32_t h)
{
	return d->slots + (uint64_t)h * d->slot_len;
}

static void complete(struct viod *d, uint32_t id, uint32_t len, uint64_t token)
{
	struct viod_result r;
	uint64_t w = viod_slot_addr(d, id) + VIOD_REQ_MAX;
	uint8_t st = VIOMMU_S_NONE;

	if (len >= VIOMMU_TAIL_SIZE && len <= d->wlens[id])
		(void)ioas_phys_read(d->phys, w + len - VIOMMU_TAIL_SIZE, &st, 1);
	r.token = token;
	r.used_len = len;
	r.status = st;
	r.type = d->types[id];
	if (d->want && token == d->want_token) {
		d->got = r;
		d->have = true;
		if (d->out && d->outlen)
			(void)ioas_phys_read(d->phys, w, d->out,
					     d->outlen < d->wlens[id]
						     ? d->outlen
						     : d->wlens[id]);
	}
	if (d->done)
		d->done(d->done_opaque, &r);
}

int viod_sync(struct viod *d)
{
	uint32_t id, len;
	uint64_t token;
	int n = 0, ret, kr;

	vqd_kick(d->rq);
	kr = ioas_viommu_kick(d->dev, 0);
	while ((ret = vqd_get_used(d->rq, &id, &len, &token)) != 0) {
		if (ret < 0)
			return ret;
		complete(d, id, len, token);
		n++;
	}
	return kr < 0 ? kr : n;
}

int viod_queue(struct viod *d, const void *req, uint32_t rlen, uint32_t wlen,
	       uint64_t token)
{
	struct vqd_buf b[2];
	unsigned nr = 0, nw = 0;
	uint64_t a;
	int h, ret;

	if (rlen > VIOD_REQ_MAX || wlen > d->wmax || (!rlen && !wlen))
		return -EINVAL;
	if (vqd_num_free(d->rq) < 2) {
		ret = viod_sync(d);
		if (ret < 0)
			return ret;
	}
	h = vqd_next_head(d->rq);
	if (h < 0)
		return h;
	a = viod_slot_addr(d, (uint32_t)h);
	if (rlen) {
		ret = ioas_phys_write(d->phys, a, req, rlen);
		if (ret)
			return ret;
		b[nr].addr = a;
		b[nr++].len = rlen;
	}
	if (wlen) {
		b[nr + nw].addr = a + VIOD_REQ_MAX;
		b[nr + nw++].len = wlen;
	}
	d->types[h] = rlen ? ((const uint8_t *)req)[0] : 0;
	d->wlens[h] = wlen;
	ret = vqd_add(d->rq, b, nr, nw, false, token);
	return ret < 0 ? ret : 0;
}

int viod_send(struct viod *d, const void *req, uint32_t rlen, uint32_t wlen,
	      struct viod_result *res, void *out, uint32_t outlen)
{
	uint64_t tok = (1ull << 63) | d->next_token++;
	int ret;

	ret = viod_queue(d, req, rlen, wlen, tok);
	if (ret)
		return ret;
	d->want = true;
	d->want_token = tok;
	d->have = false;
	d->out = out;
	d->outlen = outlen;
	ret = viod_sync(d);
	d->want = false;
	d->out = NULL;
	if (ret < 0)
		return ret;
	if (!d->have)
		return -EIO;
	if (res)
		*res = d->got;
	return 0;
}

static int send_typed(struct viod *d, const uint8_t *req, uint32_t rlen,
		      void *out, uint32_t outlen)
{
	struct viod_result r;
	int ret = viod_send(d, req, rlen, viod_write_len(d, req[0]), &r, out,
			    outlen);

	return ret ? ret : r.status;
}

int viod_attach(struct viod *d, uint32_t domain, uint32_t ep, uint32_t flags)
{
	uint8_t b[VIOMMU_REQ_MAX];

	return send_typed(d, b, viod_build_attach(b, domain, ep, flags), NULL, 0);
}

int viod_detach(struct viod *d, uint32_t domain, uint32_t ep)
{
	uint8_t b[VIOMMU_REQ_MAX];

	return send_typed(d, b, viod_build_detach(b, domain, ep), NULL, 0);
}

int viod_map(struct viod *d, uint32_t domain, uint64_t vs, uint64_t ve,
	     uint64_t ps, uint32_t flags)
{
	uint8_t b[VIOMMU_REQ_MAX];

	return send_typed(d, b, viod_build_map(b, domain, vs, ve, ps, flags),
			  NULL, 0);
}

int viod_unmap(struct viod *d, uint32_t domain, uint64_t vs, uint64_t ve)
{
	uint8_t b[VIOMMU_REQ_MAX];

	return send_typed(d, b, viod_build_unmap(b, domain, vs, ve), NULL, 0);
}

int viod_probe(struct viod *d, uint32_t ep, uint8_t *props)
{
	uint8_t b[VIOMMU_REQ_MAX];

	return send_typed(d, b, viod_build_probe(b, ep), props,
			  props ? d->probe_size : 0);
}

/* ---- event queue ------------------------------------------------------------------ */

int viod_event_next(struct viod *d, uint8_t rec[VIOMMU_FAULT_SIZE],
		    uint32_t *len)
{
	uint32_t id, l;
	uint64_t token;
	struct vqd_buf b;
	int ret = vqd_get_used(d->eq, &id, &l, &token);

	if (ret <= 0)
		return ret;
	memset(rec, 0, VIOMMU_FAULT_SIZE);
	(void)ioas_phys_read(d->phys, d->evbufs + (uint64_t)id * d->cfg.ev_len,
			     rec, l < VIOMMU_FAULT_SIZE ? l : VIOMMU_FAULT_SIZE);
	*len = l;
	/* post the buffer again */
	b.addr = d->evbufs + (uint64_t)(uint32_t)vqd_next_head(d->eq) *
				      d->cfg.ev_len;
	b.len = d->cfg.ev_len;
	if (vqd_add(d->eq, &b, 0, 1, false, 0) >= 0) {
		vqd_kick(d->eq);
		(void)ioas_viommu_kick(d->dev, 1);
	}
	return 1;
}

struct vqd *viod_rq(struct viod *d)
{
	return d->rq;
}

struct vqd *viod_eq(struct viod *d)
{
	return d->eq;
}
