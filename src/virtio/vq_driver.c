/* SPDX-License-Identifier: BSD-2-Clause */
/* Split-virtqueue driver side: see vq_driver.h. */
#include "virtio/vq_driver.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "core/ctx.h"

struct vqd_slot {
	uint64_t token;
	uint16_t ndesc;        /* ring descriptors the chain holds */
	uint16_t last;         /* its last ring descriptor */
	bool busy;
};

struct vqd {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	uint32_t size;
	uint64_t features;
	uint64_t desc, avail, used;
	uint64_t indirect_base;
	uint32_t indirect_max;
	uint16_t avail_pub;    /* published avail idx */
	uint16_t added;        /* entries written after it */
	uint16_t last_used;    /* next used entry to take */
	uint16_t free_head;
	uint32_t nr_free;
	uint16_t *free_next;   /* free list through descriptor indices */
	struct vqd_slot *slot; /* per head */
};

void vqd_layout(uint64_t ring_base, uint32_t size, uint64_t *desc,
		uint64_t *avail, uint64_t *used)
{
	uint64_t a = ring_base + vq_desc_bytes(size);
	uint64_t u = a + vq_avail_bytes(size);

	u = (u + VIRTQ_USED_ALIGN - 1) & ~(uint64_t)(VIRTQ_USED_ALIGN - 1);
	*desc = ring_base;
	*avail = a;
	*used = u;
}

uint64_t vqd_ring_bytes(uint32_t size)
{
	uint64_t desc, avail, used;

	vqd_layout(0, size, &desc, &avail, &used);
	return used + vq_used_bytes(size);
}

static int wr16(struct vqd *d, uint64_t pa, uint16_t v)
{
	uint8_t b[2];

	vq_st16(b, v);
	return ioas_phys_write(d->phys, pa, b, 2);
}

static uint16_t rd16(const struct vqd *d, uint64_t pa)
{
	uint8_t b[2] = { 0, 0 };

	if (ioas_phys_read(d->phys, pa, b, 2))
		return 0;
	return vq_ld16(b);
}

static void vqd_free_mem(struct vqd *d)
{
	ctx_free(d->ctx, d->free_next, sizeof(*d->free_next) * d->size);
	ctx_free(d->ctx, d->slot, sizeof(*d->slot) * d->size);
}

int vqd_create(struct ioas_ctx *ctx, struct ioas_phys *phys,
	       const struct vqd_config *cfg, struct vqd **out)
{
	struct vqd *d;
	uint64_t bytes, last;
	uint8_t zero[256];
	int ret;

	if (!ctx || !phys || !cfg || !out)
		return -EINVAL;
	if (!cfg->size || cfg->size > VQ_MAX_SIZE ||
	    (cfg->size & (cfg->size - 1)) ||
	    (cfg->ring_base & (VIRTQ_DESC_ALIGN - 1)))
		return -EINVAL;
	if (cfg->indirect_max && (cfg->indirect_max > VQ_MAX_SIZE ||
				  !(cfg->features &
				    (1ull << VIRTIO_F_INDIRECT_DESC))))
		return -EINVAL;
	bytes = vqd_ring_bytes(cfg->size);
	if (__builtin_add_overflow(cfg->ring_base, bytes - 1, &last))
		return -EOVERFLOW;
	d = ctx_zalloc(ctx, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ctx = ctx;
	d->phys = phys;
	d->size = cfg->size;
	d->features = cfg->features;
	d->indirect_base = cfg->indirect_base;
	d->indirect_max = cfg->indirect_max;
	vqd_layout(cfg->ring_base, cfg->size, &d->desc, &d->avail, &d->used);
	d->free_next = ctx_alloc(ctx, sizeof(*d->free_next) * d->size, 16);
	d->slot = ctx_alloc(ctx, sizeof(*d->slot) * d->size, 16);
	if (!d->free_next || !d->slot) {
		ret = -ENOMEM;
		goto fail;
	}
	memset(zero, 0, sizeof(zero));
	for (uint64_t off = 0; off < bytes; off += sizeof(zero)) {
		uint64_t n = bytes - off < sizeof(zero) ? bytes - off
							: sizeof(zero);

		ret = ioas_phys_write(phys, cfg->ring_base + off, zero,
				      (size_t)n);
		if (ret)
			goto fail;
	}
	for (uint32_t i = 0; i < d->size; i++)
		d->free_next[i] = (uint16_t)(i + 1);
	d->free_head = 0;
	d->nr_free = d->size;
	d->avail_pub = d->last_used = cfg->start_idx;
	ret = wr16(d, d->avail + 2, cfg->start_idx);
	if (!ret)
		ret = wr16(d, d->used + 2, cfg->start_idx);
	if (ret)
		goto fail;
	*out = d;
	return 0;
fail:
	vqd_free_mem(d);
	ctx_free(ctx, d, sizeof(*d));
	return ret;
}

void vqd_destroy(struct vqd *d)
{
	if (!d)
		return;
	vqd_free_mem(d);
	ctx_free(d->ctx, d, sizeof(*d));
}

void vqd_vq_config(const struct vqd *d, struct vq_config *out)
{
	memset(out, 0, sizeof(*out));
	out->size = d->size;
	out->desc = d->desc;
	out->avail = d->avail;
	out->used = d->used;
	out->features = d->features;
	out->avail_base = d->avail_pub;
	out->used_base = d->last_used;
}

unsigned vqd_num_free(const struct vqd *d)
{
	return d->nr_free;
}

int vqd_next_head(const struct vqd *d)
{
	return d->nr_free ? d->free_head : -ENOSPC;
}

uint32_t vqd_size(const struct vqd *d)
{
	return d->size;
}

uint64_t vqd_desc_addr(const struct vqd *d)
{
	return d->desc;
}

int vqd_write_desc_at(struct vqd *d, uint64_t pa, uint64_t addr, uint32_t len,
		      uint16_t flags, uint16_t next)
{
	uint8_t b[VIRTQ_DESC_SIZE];

	vq_st64(b, addr);
	vq_st32(b + 8, len);
	vq_st16(b + 12, flags);
	vq_st16(b + 14, next);
	return ioas_phys_write(d->phys, pa, b, sizeof(b));
}

int vqd_write_desc(struct vqd *d, uint32_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	if (i >= d->size)
		return -EINVAL;
	return vqd_write_desc_at(d, d->desc + (uint64_t)i * VIRTQ_DESC_SIZE,
				 addr, len, flags, next);
}

static int post(struct vqd *d, uint16_t head)
{
	uint16_t pos = (uint16_t)(d->avail_pub + d->added);
	int ret = wr16(d, d->avail + 4 + 2 * (uint64_t)(pos & (d->size - 1)),
		       head);

	if (!ret)
		d->added++;
	return ret;
}

int vqd_add(struct vqd *d, const struct vqd_buf *bufs, unsigned nr_read,
	    unsigned nr_write, bool indirect, uint64_t token)
{
	unsigned n = nr_read + nr_write, need = indirect ? 1 : n;
	uint16_t head, cur;
	int ret = 0;

	if (!n || n < nr_read)
		return -EINVAL;
	if (indirect && (!d->indirect_max || n > d->indirect_max))
		return -EINVAL;
	if (need > d->nr_free)
		return -ENOSPC;
	head = d->free_head;
	if (indirect) {
		uint64_t table = d->indirect_base + (uint64_t)head *
				 VIRTQ_DESC_SIZE * d->indirect_max;

		for (unsigned i = 0; i < n && !ret; i++) {
			uint16_t fl = (uint16_t)((i >= nr_read ? VIRTQ_DESC_F_WRITE
							       : 0) |
						 (i + 1 < n ? VIRTQ_DESC_F_NEXT
							    : 0));

			ret = vqd_write_desc_at(d, table + (uint64_t)i *
							       VIRTQ_DESC_SIZE,
						bufs[i].addr, bufs[i].len, fl,
						(uint16_t)(i + 1));
		}
		if (!ret)
			ret = vqd_write_desc(d, head, table,
					     n * VIRTQ_DESC_SIZE,
					     VIRTQ_DESC_F_INDIRECT, 0);
		if (ret)
			return ret;
		cur = head;
	} else {
		cur = head;
		for (unsigned i = 0; i < n; i++) {
			uint16_t nx = d->free_next[cur];
			uint16_t fl = (uint16_t)((i >= nr_read ? VIRTQ_DESC_F_WRITE
							       : 0) |
						 (i + 1 < n ? VIRTQ_DESC_F_NEXT
							    : 0));

			ret = vqd_write_desc(d, cur, bufs[i].addr, bufs[i].len,
					     fl, i + 1 < n ? nx : 0);
			if (ret)
				return ret;
			if (i + 1 < n)
				cur = nx;
		}
	}
	ret = post(d, head);
	if (ret)
		return ret;
	d->free_head = d->free_next[cur];
	d->nr_free -= need;
	d->slot[head].busy = true;
	d->slot[head].token = token;
	d->slot[head].ndesc = (uint16_t)need;
	d->slot[head].last = cur;
	return head;
}

int vqd_post_raw(struct vqd *d, uint16_t head, uint64_t token)
{
	int ret = post(d, head);

	if (ret)
		return ret;
	if (head < d->size && !d->slot[head].busy) {
		d->slot[head].busy = true;
		d->slot[head].token = token;
		d->slot[head].ndesc = 0;   /* not from the free list */
		d->slot[head].last = head;
	}
	return 0;
}

bool vqd_kick(struct vqd *d)
{
	uint16_t old = d->avail_pub, now = (uint16_t)(old + d->added);

	if (!d->added)
		return false;
	/* Entries before the index that exposes them. */
	atomic_thread_fence(memory_order_release);
	if (wr16(d, d->avail + 2, now))
		return false;
	d->avail_pub = now;
	d->added = 0;
	atomic_thread_fence(memory_order_seq_cst);
	if (d->features & (1ull << VIRTIO_F_EVENT_IDX))
		return vq_need_event(vqd_avail_event(d), now, old);
	return !(vqd_used_flags(d) & VIRTQ_USED_F_NO_NOTIFY);
}

int vqd_get_used(struct vqd *d, uint32_t *id, uint32_t *len, uint64_t *token)
{
	uint16_t idx = vqd_used_idx(d);
	uint16_t pending = (uint16_t)(idx - d->last_used);
	struct vqd_slot *s;

	if (!pending)
		return 0;
	if (pending > d->size)
		return -EIO;
	atomic_thread_fence(memory_order_acquire);
	vqd_used_elem(d, d->last_used, id, len);
	d->last_used++;
	if (*id >= d->size || !d->slot[*id].busy)
		return -EIO;
	s = &d->slot[*id];
	if (token)
		*token = s->token;
	s->busy = false;
	if (s->ndesc) {
		d->free_next[s->last] = d->free_head;
		d->free_head = (uint16_t)*id;
		d->nr_free += s->ndesc;
	}
	return 1;
}

int vqd_set_avail_idx(struct vqd *d, uint16_t idx)
{
	int ret;

	atomic_thread_fence(memory_order_release);
	ret = wr16(d, d->avail + 2, idx);
	if (!ret) {
		d->avail_pub = idx;
		d->added = 0;
	}
	return ret;
}

uint16_t vqd_avail_idx(const struct vqd *d)
{
	return d->avail_pub;
}

int vqd_set_avail_flags(struct vqd *d, uint16_t flags)
{
	return wr16(d, d->avail, flags);
}

int vqd_set_used_event(struct vqd *d, uint16_t v)
{
	return wr16(d, d->avail + 4 + 2 * (uint64_t)d->size, v);
}

uint16_t vqd_used_idx(const struct vqd *d)
{
	return rd16(d, d->used + 2);
}

uint16_t vqd_used_flags(const struct vqd *d)
{
	return rd16(d, d->used);
}

uint16_t vqd_avail_event(const struct vqd *d)
{
	return rd16(d, d->used + 4 + VIRTQ_USED_ELEM_SIZE * (uint64_t)d->size);
}

void vqd_used_elem(const struct vqd *d, uint16_t pos, uint32_t *id,
		   uint32_t *len)
{
	uint8_t b[VIRTQ_USED_ELEM_SIZE];
	uint64_t pa = d->used + 4 + VIRTQ_USED_ELEM_SIZE *
				    (uint64_t)(pos & (d->size - 1));

	if (ioas_phys_read(d->phys, pa, b, sizeof(b))) {
		*id = UINT32_MAX;
		*len = 0;
		return;
	}
	*id = vq_ld32(b);
	*len = vq_ld32(b + 4);
}
