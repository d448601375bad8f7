/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueue, device side. See virtqueue.h for the rules towards a bad
 * driver. The three ring parts are pinned host pointers (each lies inside one
 * RAM region, checked at setup); descriptors are copied once and checked;
 * buffers are reached through ioas_phys_read/ioas_phys_write.
 */
#include "virtio/virtqueue.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "core/ctx.h"
#include "mem/phys.h"

struct vq {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	vq_notify_fn notify;
	void *opaque;

	bool ready;
	bool broken;
	bool indirect;         /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool event_idx;        /* VIRTIO_F_EVENT_IDX negotiated */
	bool pair_fast;        /* parse_pair first (tests turn it off) */
	uint32_t size;
	uint32_t mask;         /* size - 1 */
	uint8_t *desc_h;       /* host pointers of the three ring parts */
	uint8_t *avail_h;
	uint8_t *used_h;
	const struct phys_region *pin[3];

	uint16_t last_avail;   /* next avail ring position to read */
	uint16_t used_idx;     /* next used ring position to write (ours: the
				* value in guest memory is never read back) */
	uint16_t signal_idx;   /* used_idx at the last notification decision */

	struct vq_stats stats;
};

/* Why a chain was rejected; each has a counter. */
enum chain_err {
	CHAIN_OK = 0,
	CHAIN_INDEX,
	CHAIN_LOOP,
	CHAIN_INDIRECT,
	CHAIN_ADDR,
	CHAIN_WRAP,
	CHAIN_ORDER,
	CHAIN_SEGS,
	CHAIN_LEN,
};

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static void desc_decode(const uint8_t *p, struct desc *d)
{
	d->addr = vq_ld64(p);
	d->len = vq_ld32(p + 8);
	d->flags = vq_ld16(p + 12);
	d->next = vq_ld16(p + 14);
}

int vq_create(struct ioas_ctx *ctx, struct ioas_phys *phys, vq_notify_fn notify,
	      void *opaque, struct vq **out)
{
	struct vq *vq;

	if (!ctx || !phys || !out)
		return -EINVAL;
	vq = ctx_zalloc(ctx, sizeof(*vq));
	if (!vq)
		return -ENOMEM;
	ctx_get(ctx);
	vq->ctx = ctx;
	vq->phys = phys;
	vq->pair_fast = true;
	vq->notify = notify;
	vq->opaque = opaque;
	*out = vq;
	return 0;
}

void vq_reset(struct vq *vq)
{
	if (!vq)
		return;
	for (size_t i = 0; i < 3; i++) {
		if (vq->pin[i])
			phys_region_put(vq->pin[i]);
		vq->pin[i] = NULL;
	}
	vq->ready = false;
	vq->broken = false;
	vq->indirect = false;
	vq->event_idx = false;
	vq->size = vq->mask = 0;
	vq->desc_h = vq->avail_h = vq->used_h = NULL;
	vq->last_avail = vq->used_idx = vq->signal_idx = 0;
}

void vq_destroy(struct vq *vq)
{
	struct ioas_ctx *ctx;

	if (!vq)
		return;
	vq_reset(vq);
	ctx = vq->ctx;
	ctx_free(ctx, vq, sizeof(*vq));
	ctx_put(ctx);
}

/* One ring part: [pa, pa + len - 1] inside one RAM region. */
static int ring_part(const struct ioas_phys *phys, uint64_t pa, uint64_t len,
		     uint64_t align, bool write, const struct phys_region **reg,
		     uint8_t **host)
{
	const struct phys_region *r;
	uint64_t last;

	if (pa & (align - 1))
		return -EINVAL;
	if (__builtin_add_overflow(pa, len - 1, &last))
		return -EOVERFLOW;
	r = phys_find(phys, pa);
	if (!r || r->kind != IOAS_PHYS_RAM || last > r->last)
		return -EFAULT;
	if (write && (r->flags & IOAS_PHYS_F_READONLY))
		return -EACCES;
	*reg = r;
	*host = r->host + (pa - r->base);
	return 0;
}

int vq_setup(struct vq *vq, const struct vq_config *cfg)
{
	const struct phys_region *r[3];
	uint8_t *h[3];
	int ret;

	if (!vq || !cfg)
		return -EINVAL;
	if (vq->ready)
		return -EBUSY;
	if (!cfg->size || cfg->size > VQ_MAX_SIZE || (cfg->size & (cfg->size - 1)))
		return -EINVAL;
	if ((cfg->desc & (VIRTQ_DESC_ALIGN - 1)) ||
	    (cfg->avail & (VIRTQ_AVAIL_ALIGN - 1)) ||
	    (cfg->used & (VIRTQ_USED_ALIGN - 1)))
		return -EINVAL;
	ret = ring_part(vq->phys, cfg->desc, vq_desc_bytes(cfg->size),
			VIRTQ_DESC_ALIGN, false, &r[0], &h[0]);
	if (!ret)
		ret = ring_part(vq->phys, cfg->avail, vq_avail_bytes(cfg->size),
				VIRTQ_AVAIL_ALIGN, false, &r[1], &h[1]);
	if (!ret)
		ret = ring_part(vq->phys, cfg->used, vq_used_bytes(cfg->size),
				VIRTQ_USED_ALIGN, true, &r[2], &h[2]);
	if (ret)
		return ret;
	for (size_t i = 0; i < 3; i++) {
		phys_region_get(r[i]);
		vq->pin[i] = r[i];
	}
	vq->desc_h = h[0];
	vq->avail_h = h[1];
	vq->used_h = h[2];
	vq->size = cfg->size;
	vq->mask = cfg->size - 1;
	vq->indirect = cfg->features & (1ull << VIRTIO_F_INDIRECT_DESC);
	vq->event_idx = cfg->features & (1ull << VIRTIO_F_EVENT_IDX);
	vq->last_avail = cfg->avail_base;
	vq->used_idx = cfg->used_base;
	vq->signal_idx = cfg->used_base;
	vq->broken = false;
	vq->ready = true;
	return 0;
}

void vq_set_pair_fast(struct vq *vq, bool on)
{
	vq->pair_fast = on;
}

bool vq_ready(const struct vq *vq)
{
	return vq->ready;
}

bool vq_broken(const struct vq *vq)
{
	return vq->broken;
}

uint32_t vq_size(const struct vq *vq)
{
	return vq->size;
}

uint16_t vq_last_avail(const struct vq *vq)
{
	return vq->last_avail;
}

uint16_t vq_used_idx(const struct vq *vq)
{
	return vq->used_idx;
}

void vq_get_stats(const struct vq *vq, struct vq_stats *out)
{
	*out = vq->stats;
}

/* ---- ring fields ---------------------------------------------------------- */

static uint16_t avail_flags(const struct vq *vq)
{
	return vq_ld16(vq->avail_h);
}

static uint16_t avail_idx(const struct vq *vq)
{
	return vq_ld16(vq->avail_h + 2);
}

static uint16_t avail_ring(const struct vq *vq, uint16_t pos)
{
	return vq_ld16(vq->avail_h + 4 + 2 * (size_t)(pos & vq->mask));
}

static uint16_t used_event(const struct vq *vq)
{
	return vq_ld16(vq->avail_h + 4 + 2 * (size_t)vq->size);
}

static void set_avail_event(struct vq *vq, uint16_t v)
{
	vq_st16(vq->used_h + 4 + VIRTQ_USED_ELEM_SIZE * (size_t)vq->size, v);
}

static void mark_broken(struct vq *vq, const char *why)
{
	if (!vq->broken)
		vq->stats.broken++;
	vq->broken = true;
	ctx_log(vq->ctx, IOAS_LOG_WARN, "virtqueue broken: %s", why);
}

/* Write one used entry and publish it. */
static void push_raw(struct vq *vq, uint32_t id, uint32_t len)
{
	uint8_t *e = vq->used_h + 4 +
		     VIRTQ_USED_ELEM_SIZE * (size_t)(vq->used_idx & vq->mask);

	vq_st32(e, id);
	vq_st32(e + 4, len);
	/* The entry must be visible before the index that exposes it. */
	atomic_thread_fence(memory_order_release);
	vq->used_idx++;
	vq_st16(vq->used_h + 2, vq->used_idx);
	vq->stats.pushed++;
}

/* ---- chain parsing ------------------------------------------------------------ */

/* Whether every byte of [addr, addr + len - 1] is RAM (writable RAM if
 * write). The range may span adjacent regions; *host is its host memory
 * when it lies in one, else NULL. len >= 1, no wrap. Buffers usually lie in
 * the RAM region of the descriptor table, which the queue pins (so it
 * cannot go away): that one is tried before the search. */
static bool ram_ok(const struct vq *vq, uint64_t addr, uint64_t len,
		   bool write, uint8_t **host)
{
	const struct phys_region *d = vq->pin[0];
	uint64_t cur = addr, last = addr + (len - 1);

	if (addr >= d->base && last <= d->last &&
	    !(write && (d->flags & IOAS_PHYS_F_READONLY))) {
		*host = d->host + (addr - d->base);
		return true;
	}
	*host = NULL;
	for (;;) {
		const struct phys_region *r = phys_find(vq->phys, cur);

		if (!r || r->kind != IOAS_PHYS_RAM)
			return false;
		if (write && (r->flags & IOAS_PHYS_F_READONLY))
			return false;
		if (r->last >= last) {
			if (cur == addr)
				*host = r->host + (addr - r->base);
			return true;
		}
		cur = r->last + 1;
	}
}

/* Append a buffer to the element, merging with the previous segment when
 * contiguous and of the same direction. */
static enum chain_err add_seg(struct vq_elem *elem, uint64_t addr, uint32_t len,
			      bool write, uint8_t *host)
{
	unsigned n = elem->nr_read + elem->nr_write;
	uint64_t total = elem->read_len + elem->write_len + len;

	/* read_len + write_len <= 2^32 always holds, so no overflow here. */
	if (total > (1ull << 32))
		return CHAIN_LEN;
	if (n) {
		struct vq_seg *prev = &elem->seg[n - 1];
		bool prev_write = elem->nr_write != 0;
		uint64_t prev_last = prev->addr + (prev->len - 1);

		if (prev_write == write && prev_last != UINT64_MAX &&
		    prev_last + 1 == addr) {
			if (!host || !prev->host ||
			    prev->host + prev->len != host)
				prev->host = NULL; /* across regions */
			prev->len += len;
			goto counted;
		}
	}
	if (n >= VQ_ELEM_SEGS)
		return CHAIN_SEGS;
	elem->seg[n].addr = addr;
	elem->seg[n].len = len;
	elem->seg[n].host = host;
	if (write)
		elem->nr_write++;
	else
		elem->nr_read++;
counted:
	if (write)
		elem->write_len += len;
	else
		elem->read_len += len;
	return CHAIN_OK;
}

/* Where the descriptors of the table being walked come from. */
struct table {
	const uint8_t *host;   /* contiguous host memory, or NULL */
	uint64_t pa;           /* else read each descriptor from here */
	uint32_t count;        /* descriptors in the table */
};

static int table_get(const struct vq *vq, const struct table *t, uint32_t i,
		     struct desc *d)
{
	uint8_t raw[VIRTQ_DESC_SIZE];

	if (t->host) {
		desc_decode(t->host + (size_t)i * VIRTQ_DESC_SIZE, d);
		return 0;
	}
	if (ioas_phys_read(vq->phys, t->pa + (uint64_t)i * VIRTQ_DESC_SIZE, raw,
			   sizeof(raw)))
		return -1;
	desc_decode(raw, d);
	return 0;
}

static enum chain_err parse_chain(const struct vq *vq, uint16_t head,
				  struct vq_elem *elem)
{
	struct table t = { vq->desc_h, 0, vq->size };
	bool in_indirect = false, seen_write = false;
	uint32_t idx = head, visited = 0, ndesc = 0;
	uint8_t *host;

	elem->head = head;
	elem->nr_read = elem->nr_write = 0;
	elem->ndesc = 0;
	elem->read_len = elem->write_len = elem->written = 0;
	if (head >= vq->size)
		return CHAIN_INDEX;
	for (;;) {
		struct desc d;
		uint64_t last;

		/* A chain (or an indirect table's chain) visits each
		 * descriptor at most once: more visits means a loop. */
		if (++visited > t.count)
			return CHAIN_LOOP;
		ndesc++;
		if (table_get(vq, &t, idx, &d))
			return CHAIN_ADDR;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* The WRITE flag of this descriptor is ignored. */
			if (in_indirect || !vq->indirect ||
			    (d.flags & VIRTQ_DESC_F_NEXT))
				return CHAIN_INDIRECT;
			if (!d.len || d.len % VIRTQ_DESC_SIZE ||
			    d.len / VIRTQ_DESC_SIZE > VQ_MAX_SIZE)
				return CHAIN_INDIRECT;
			if (__builtin_add_overflow(d.addr, (uint64_t)d.len - 1,
						   &last))
				return CHAIN_WRAP;
			if (!ram_ok(vq, d.addr, d.len, false, &host))
				return CHAIN_ADDR;
			t.host = host;
			t.pa = d.addr;
			t.count = d.len / VIRTQ_DESC_SIZE;
			in_indirect = true;
			visited = 0;
			idx = 0;
			continue;
		}
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			seen_write = true;
		} else if (seen_write) {
			return CHAIN_ORDER;
		}
		if (d.len) {
			bool w = d.flags & VIRTQ_DESC_F_WRITE;
			enum chain_err e;

			if (__builtin_add_overflow(d.addr, (uint64_t)d.len - 1,
						   &last))
				return CHAIN_WRAP;
			if (!ram_ok(vq, d.addr, d.len, w, &host))
				return CHAIN_ADDR;
			e = add_seg(elem, d.addr, d.len, w, host);
			if (e)
				return e;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= t.count)
			return CHAIN_INDEX;
	}
	elem->ndesc = ndesc;
	return CHAIN_OK;
}

/*
 * The chain a request queue sees almost always, in one pass: two direct
 * descriptors, a device-readable buffer then a device-writable one, both
 * non-empty and inside the descriptor table's RAM region. true with *elem
 * filled exactly as parse_chain would; false (nothing written) for every
 * other chain, which parse_chain then takes, errors included.
 */
static bool parse_pair(const struct vq *vq, uint16_t head,
		       struct vq_elem *elem)
{
	const uint16_t kind = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE |
			      VIRTQ_DESC_F_INDIRECT;
	const struct phys_region *r = vq->pin[0];
	struct desc a, b;

	if (!vq->pair_fast || head >= vq->size)
		return false;
	desc_decode(vq->desc_h + (size_t)head * VIRTQ_DESC_SIZE, &a);
	/* (a next naming head itself fails b's test: its flags are a's) */
	if ((a.flags & kind) != VIRTQ_DESC_F_NEXT || !a.len ||
	    a.next >= vq->size)
		return false;
	desc_decode(vq->desc_h + (size_t)a.next * VIRTQ_DESC_SIZE, &b);
	if ((b.flags & kind) != VIRTQ_DESC_F_WRITE || !b.len ||
	    (r->flags & IOAS_PHYS_F_READONLY) ||
	    (uint64_t)a.len + b.len > (1ull << 32))
		return false;
	/* each buffer inside [base, last], without computing a wrapping end */
	if (a.addr < r->base || a.addr > r->last ||
	    a.len - 1 > r->last - a.addr || b.addr < r->base ||
	    b.addr > r->last || b.len - 1 > r->last - b.addr)
		return false;
	elem->head = head;
	elem->nr_read = elem->nr_write = 1;
	elem->ndesc = 2;
	elem->read_len = a.len;
	elem->write_len = b.len;
	elem->written = 0;
	elem->seg[0].addr = a.addr;
	elem->seg[0].len = a.len;
	elem->seg[0].host = r->host + (a.addr - r->base);
	elem->seg[1].addr = b.addr;
	elem->seg[1].len = b.len;
	elem->seg[1].host = r->host + (b.addr - r->base);
	return true;
}

static void count_err(struct vq *vq, enum chain_err e)
{
	struct vq_stats *s = &vq->stats;

	switch (e) {
	case CHAIN_INDEX: s->err_index++; break;
	case CHAIN_LOOP: s->err_chain++; break;
	case CHAIN_INDIRECT: s->err_indirect++; break;
	case CHAIN_ADDR: s->err_addr++; break;
	case CHAIN_WRAP: s->err_wrap++; break;
	case CHAIN_ORDER: s->err_order++; break;
	case CHAIN_SEGS: s->err_segs++; break;
	case CHAIN_LEN: s->err_len++; break;
	case CHAIN_OK: break;
	}
}

int vq_pop(struct vq *vq, struct vq_elem *elem)
{
	uint32_t rejected = 0;

	if (!vq->ready)
		return -ENODEV;
	if (vq->broken)
		return -EIO;
	/* Each round consumes one avail entry. At most `size` rejected chains
	 * are handled per call, so a guest that keeps feeding bad chains
	 * cannot hold the device here. */
	while (rejected < vq->size) {
		uint16_t idx = avail_idx(vq), head;
		uint16_t pending = (uint16_t)(idx - vq->last_avail);
		enum chain_err e;

		if (pending > vq->size) {
			mark_broken(vq, "avail idx ahead by more than queue size");
			return -EIO;
		}
		if (!pending) {
			if (!vq->event_idx)
				return 0;
			/* Ask for a kick at the next entry, then look again:
			 * the driver may have added one before it saw that. */
			set_avail_event(vq, vq->last_avail);
			atomic_thread_fence(memory_order_seq_cst);
			if (avail_idx(vq) == idx)
				return 0;
			continue;
		}
		/* Ring entries and descriptors after the index. */
		atomic_thread_fence(memory_order_acquire);
		head = avail_ring(vq, vq->last_avail);
		vq->last_avail++;
		e = parse_pair(vq, head, elem) ? CHAIN_OK
					       : parse_chain(vq, head, elem);
		if (e == CHAIN_OK) {
			if (vq->event_idx)
				set_avail_event(vq, vq->last_avail);
			vq->stats.popped++;
			return 1;
		}
		count_err(vq, e);
		ctx_log(vq->ctx, IOAS_LOG_DEBUG,
			"virtqueue: chain %u rejected (%d)", head, (int)e);
		push_raw(vq, head, 0);
		rejected++;
	}
	if (vq->event_idx)
		set_avail_event(vq, vq->last_avail);
	return 0;
}

/* ---- buffer access ---------------------------------------------------------- */

/* Copy between buf and the segments seg[0 .. n-1] (a byte stream), from
 * offset on, at most len bytes. Returns bytes copied or -errno. */
static int64_t seg_copy(const struct vq *vq, const struct vq_seg *seg,
			unsigned n, uint64_t total, uint64_t offset, void *buf,
			size_t len, bool write)
{
	uint8_t *p = buf;
	uint64_t want, done = 0;

	if (offset >= total || !len)
		return 0;
	want = total - offset;
	if ((uint64_t)len < want)
		want = len;
	for (unsigned i = 0; i < n && done < want; i++) {
		uint64_t chunk;
		int ret;

		if (offset >= seg[i].len) {
			offset -= seg[i].len;
			continue;
		}
		chunk = seg[i].len - offset;
		if (chunk > want - done)
			chunk = want - done;
		if (seg[i].host) { /* RAM, checked at pop */
			if (write)
				memcpy(seg[i].host + offset, p + done,
				       (size_t)chunk);
			else
				memcpy(p + done, seg[i].host + offset,
				       (size_t)chunk);
		} else {
			ret = write ? ioas_phys_write(vq->phys,
						      seg[i].addr + offset,
						      p + done, (size_t)chunk)
				    : ioas_phys_read(vq->phys,
						     seg[i].addr + offset,
						     p + done, (size_t)chunk);
			if (ret)
				return ret;
		}
		done += chunk;
		offset = 0;
	}
	return (int64_t)done;
}

int64_t vq_elem_read_segs(const struct vq *vq, const struct vq_elem *elem,
			  uint64_t offset, void *buf, size_t len)
{
	return seg_copy(vq, elem->seg, elem->nr_read, elem->read_len, offset,
			buf, len, false);
}

int64_t vq_elem_write_segs(const struct vq *vq, struct vq_elem *elem,
			   uint64_t offset, const void *buf, size_t len)
{
	int64_t n = seg_copy(vq, elem->seg + elem->nr_read, elem->nr_write,
			     elem->write_len, offset, (void *)(uintptr_t)buf,
			     len, true);

	if (n > 0)
		vq_elem_wrote(elem, offset, (uint64_t)n);
	return n;
}

/* ---- completion and notification ----------------------------------------------- */

int vq_push(struct vq *vq, const struct vq_elem *elem, uint32_t len)
{
	if (!vq->ready)
		return -ENODEV;
	if (vq->broken)
		return -EIO;
	if (elem->head >= vq->size)
		return -EINVAL;
	if (len > elem->written)
		len = (uint32_t)elem->written;
	push_raw(vq, elem->head, len);
	return 0;
}

bool vq_need_notify(struct vq *vq)
{
	uint16_t old, now;
	bool need;

	if (!vq->ready || vq->broken)
		return false;
	old = vq->signal_idx;
	now = vq->used_idx;
	vq->signal_idx = now;
	if (old == now)
		return false;
	/* The used idx store must be visible before we read the driver's
	 * suppression state, or a notification can be lost. */
	atomic_thread_fence(memory_order_seq_cst);
	if (vq->event_idx)
		need = vq_need_event(used_event(vq), now, old);
	else
		need = !(avail_flags(vq) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (need)
		vq->stats.notified++;
	else
		vq->stats.suppressed++;
	return need;
}

int vq_flush(struct vq *vq)
{
	if (!vq_need_notify(vq))
		return 0;
	if (vq->notify)
		vq->notify(vq->opaque, vq);
	return 1;
}

int vq_set_kick_enabled(struct vq *vq, bool enable)
{
	if (!vq->ready)
		return -ENODEV;
	if (vq->broken)
		return -EIO;
	if (vq->event_idx) {
		if (enable)
			set_avail_event(vq, vq->last_avail);
	} else {
		vq_st16(vq->used_h,
			(uint16_t)(enable ? 0 : VIRTQ_USED_F_NO_NOTIFY));
	}
	atomic_thread_fence(memory_order_seq_cst);
	return 0;
}
