/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueues (virtio 1.x, "Split Virtqueues"), device side.
 *
 * The rings live in guest RAM and are reached through the physical address
 * space only. The guest is untrusted: every index read from guest memory is
 * reduced modulo the queue size, every descriptor is copied once and then
 * checked, and nothing the guest writes can make the device loop, crash or
 * write outside the writable part of a chain.
 *
 * Wire layouts (little-endian, from the specification / linux/virtio_ring.h):
 *   descriptor  16 bytes: le64 addr, le32 len, le16 flags, le16 next
 *   avail ring  le16 flags, le16 idx, le16 ring[size], le16 used_event
 *   used ring   le16 flags, le16 idx, {le32 id, le32 len} ring[size],
 *               le16 avail_event
 *
 * What the device does with a bad guest (the specification leaves most of
 * it open; where it does not, it is followed):
 *   - avail idx more than `size` ahead of the last index the device used:
 *     the queue is broken. Every later pop and push fails with -EIO and
 *     touches no guest memory until vq_reset()/vq_setup().
 *   - a malformed chain (head or next out of range, a loop or more than
 *     `size` descriptors, an indirect table that is empty, not a multiple
 *     of 16, longer than VQ_MAX_SIZE entries, nested, combined with NEXT,
 *     or used without VIRTIO_F_INDIRECT_DESC; a buffer outside RAM, wrapping
 *     addr + len, a writable buffer in read-only RAM; a device-readable
 *     descriptor after a device-writable one; more than VQ_ELEM_SEGS
 *     segments; more than 2^32 bytes in total): the chain is returned to the
 *     driver at once with used length 0, counted in the queue's statistics,
 *     and vq_pop() goes on to the next chain. Nothing of the chain's buffers
 *     is read or written.
 *   - The WRITE flag of a descriptor that refers to an indirect table is
 *     ignored (the specification's device requirement).
 *
 * Threads: one queue is used by one thread at a time; no locks, no threads.
 * The driver (guest) may run concurrently: fences order the ring accesses.
 */
#ifndef IOAS_VIRTIO_VIRTQUEUE_H
#define IOAS_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <ioas/phys.h>

/* ---- wire constants (virtio 1.x; same values as linux/virtio_ring.h) ---- */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTQ_DESC_SIZE 16u
#define VIRTQ_USED_ELEM_SIZE 8u
#define VIRTQ_DESC_ALIGN 16u
#define VIRTQ_AVAIL_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u

/* Largest queue size the specification allows. */
#define VQ_MAX_SIZE 32768u

/* Bytes of each ring part for a queue of `size` entries, including the
 * event-index field (present in memory whether or not it is negotiated). */
static inline uint64_t vq_desc_bytes(uint32_t size)
{
	return (uint64_t)VIRTQ_DESC_SIZE * size;
}
static inline uint64_t vq_avail_bytes(uint32_t size)
{
	return 6 + 2 * (uint64_t)size;
}
static inline uint64_t vq_used_bytes(uint32_t size)
{
	return 6 + (uint64_t)VIRTQ_USED_ELEM_SIZE * size;
}

/* Little-endian loads and stores at any alignment. */
static inline uint16_t vq_ld16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | (unsigned)b[1] << 8);
}
static inline uint32_t vq_ld32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}
static inline uint64_t vq_ld64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)vq_ld32(b) | (uint64_t)vq_ld32(b + 4) << 32;
}
static inline void vq_st16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void vq_st32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}
static inline void vq_st64(void *p, uint64_t v)
{
	vq_st32(p, (uint32_t)v);
	vq_st32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/*
 * The event-index rule ("Used Buffer Notification Suppression"): after the
 * ring index moved from old_idx to new_idx (entries were written at
 * positions old_idx .. new_idx - 1, modulo 2^16), a notification is due
 * when one of those positions equals `event`, i.e. when `event` lies in
 * the window [old_idx, new_idx - 1] of the 16-bit index space. Used both
 * ways: device (used_event) and driver (avail_event).
 */
static inline bool vq_need_event(uint16_t event, uint16_t new_idx,
				 uint16_t old_idx)
{
	return (uint16_t)(event - old_idx) < (uint16_t)(new_idx - old_idx);
}

/* ---- the device-side queue ------------------------------------------------- */

struct vq;

/* Notification to the driver (an interrupt): supplied by the embedder. */
typedef void (*vq_notify_fn)(void *opaque, struct vq *vq);

struct vq_config {
	uint32_t size;       /* entries: a power of two, 1 .. VQ_MAX_SIZE */
	uint64_t desc;       /* guest-physical, 16-byte aligned */
	uint64_t avail;      /* guest-physical, 2-byte aligned */
	uint64_t used;       /* guest-physical, 4-byte aligned */
	uint64_t features;   /* negotiated bits; this layer looks at
			      * VIRTIO_F_INDIRECT_DESC and VIRTIO_F_EVENT_IDX */
	uint16_t avail_base; /* first avail index to use (0 after reset) */
	uint16_t used_base;  /* first used index to write (0 after reset) */
};

/*
 * Segments of a popped chain. Readable segments come first, then writable
 * ones; physically contiguous descriptors of one direction are merged.
 * A chain that needs more than VQ_ELEM_SEGS segments is rejected as
 * malformed (the specification lets a device limit chain length); 64 is
 * far more than virtio-iommu needs (its driver uses two).
 */
#define VQ_ELEM_SEGS 64

struct vq_seg {
	uint64_t addr;       /* guest-physical, [addr, addr + len - 1] is RAM */
	uint64_t len;        /* >= 1 */
	uint8_t *host;       /* its host memory when it lies in one RAM region
			      * (valid until the next pop: regions change only
			      * between the device's calls), else NULL */
};

struct vq_elem {
	uint16_t head;       /* descriptor index: the used ring's id */
	uint16_t nr_read;    /* seg[0 .. nr_read - 1] are device-readable */
	uint16_t nr_write;   /* seg[nr_read .. nr_read + nr_write - 1] writable */
	uint16_t pad;
	uint32_t ndesc;      /* descriptors the chain used (indirect: table
			      * entries plus the referring descriptors) */
	uint64_t read_len;   /* readable bytes in total */
	uint64_t write_len;  /* writable bytes in total */
	uint64_t written;    /* writable bytes written from its start on
			      * (vq_elem_write keeps it; push never reports more) */
	struct vq_seg seg[VQ_ELEM_SEGS];
};

/* Per-queue counters. err_* count chains returned with used length 0. */
struct vq_stats {
	uint64_t popped;         /* well-formed chains handed to the device */
	uint64_t pushed;         /* used entries written (including rejects) */
	uint64_t notified;       /* notifications sent */
	uint64_t suppressed;     /* flushes with new used entries but no notify */
	uint64_t err_index;      /* head or next >= size */
	uint64_t err_chain;      /* loop / more than size (or table) descriptors */
	uint64_t err_indirect;   /* bad table length, nested, INDIRECT|NEXT,
				  * not negotiated */
	uint64_t err_addr;       /* buffer or table not RAM, or read-only RAM
				  * for a writable buffer */
	uint64_t err_wrap;       /* addr + len - 1 wraps */
	uint64_t err_order;      /* readable descriptor after a writable one */
	uint64_t err_segs;       /* more than VQ_ELEM_SEGS segments */
	uint64_t err_len;        /* more than 2^32 bytes in the chain */
	uint64_t broken;         /* times the queue was marked broken */
};

/* Create a queue (not set up: pop/push give -ENODEV). notify may be NULL.
 * -ENOMEM. The queue does not hold a reference on phys: destroy it first. */
int vq_create(struct ioas_ctx *ctx, struct ioas_phys *phys, vq_notify_fn notify,
	      void *opaque, struct vq **out);
/* Release the rings and free. Never fails; NULL is ignored. */
void vq_destroy(struct vq *vq);

/*
 * Set the queue up (the driver wrote the addresses and enabled it). Each
 * ring part must lie in one RAM region, which is pinned against
 * ioas_phys_remove (-EBUSY there) until reset or destroy.
 * -EINVAL: size not a power of two in 1..VQ_MAX_SIZE, misaligned address
 * -EOVERFLOW: a ring part wraps the 64-bit space
 * -EFAULT: a ring part is not inside one RAM region
 * -EACCES: the used ring is in read-only RAM
 * -EBUSY: already set up (reset first)
 */
int vq_setup(struct vq *vq, const struct vq_config *cfg);
/* Forget the rings, indices, broken state and pins (device reset). The
 * statistics survive. Never fails. */
void vq_reset(struct vq *vq);

/* Whether vq_pop parses the common chain (a readable then a writable
 * buffer in the descriptor table's region) in its one-pass fast path
 * first (on by default). Off: every chain takes the general parser; the
 * tests compare the two. */
void vq_set_pair_fast(struct vq *vq, bool on);

bool vq_ready(const struct vq *vq);
bool vq_broken(const struct vq *vq);
uint32_t vq_size(const struct vq *vq);
void vq_get_stats(const struct vq *vq, struct vq_stats *out);
/* The device's view of the indices: next avail to read, next used to write. */
uint16_t vq_last_avail(const struct vq *vq);
uint16_t vq_used_idx(const struct vq *vq);

/*
 * Take the next available chain into *elem (caller storage; nothing is
 * allocated). Malformed chains on the way are completed with length 0 and
 * counted (see the top of this file); at most `size` are looked at per call.
 * Returns 1 with *elem filled, 0 when the ring is empty, -EIO when the queue
 * is (or just became) broken, -ENODEV when it is not set up.
 * With VIRTIO_F_EVENT_IDX, avail_event is kept at the next index to read,
 * so the driver notifies for the first buffer it adds after that.
 */
int vq_pop(struct vq *vq, struct vq_elem *elem);

/* The general case of the two below (any segments, guest memory through
 * phys). */
int64_t vq_elem_read_segs(const struct vq *vq, const struct vq_elem *elem,
			  uint64_t offset, void *buf, size_t len);
int64_t vq_elem_write_segs(const struct vq *vq, struct vq_elem *elem,
			   uint64_t offset, const void *buf, size_t len);

/* n bytes were written from offset on: elem->written grows when the
 * write starts at or before its end. */
static inline void vq_elem_wrote(struct vq_elem *elem, uint64_t offset,
				 uint64_t n)
{
	if (offset <= elem->written && offset + n > elem->written)
		elem->written = offset + n;
}

/* Whether [offset, offset + len - 1] lies in segment s, in RAM (len 0:
 * no): the common case (a request's head, its status), one memcpy
 * inline. */
static inline bool vq_seg_holds(const struct vq_seg *s, uint64_t offset,
				size_t len)
{
	return s->host && len && offset < s->len && len <= s->len - offset;
}

/*
 * Copy up to len bytes of the readable part, from offset on, into buf.
 * Returns the bytes copied (less than len at the end of the readable part,
 * 0 when offset >= read_len) or -EFAULT if memory vanished.
 */
static inline int64_t vq_elem_read(const struct vq *vq,
				   const struct vq_elem *elem, uint64_t offset,
				   void *buf, size_t len)
{
	if (elem->nr_read && vq_seg_holds(&elem->seg[0], offset, len)) {
		memcpy(buf, elem->seg[0].host + offset, len);
		return (int64_t)len;
	}
	return vq_elem_read_segs(vq, elem, offset, buf, len);
}

/*
 * Copy up to len bytes from buf into the writable part, from offset on;
 * never past its end. Returns the bytes copied or -EFAULT/-EACCES.
 * elem->written grows when the copy starts at or before it.
 */
static inline int64_t vq_elem_write(const struct vq *vq, struct vq_elem *elem,
				    uint64_t offset, const void *buf,
				    size_t len)
{
	const struct vq_seg *s = &elem->seg[elem->nr_read];

	if (elem->nr_write && vq_seg_holds(s, offset, len)) {
		memcpy(s->host + offset, buf, len);
		vq_elem_wrote(elem, offset, len);
		return (int64_t)len;
	}
	return vq_elem_write_segs(vq, elem, offset, buf, len);
}

/*
 * Return the chain to the driver with used length min(len, elem->written)
 * (the device never reports bytes it did not write). The entry and then
 * the used idx are written; no notification is sent (see vq_flush).
 * -EIO: the queue is broken; -ENODEV: not set up.
 */
int vq_push(struct vq *vq, const struct vq_elem *elem, uint32_t len);

/*
 * Decide whether the driver wants a notification for the used entries
 * written since the last decision: with VIRTIO_F_EVENT_IDX when used_event
 * lies among them (vq_need_event), without it when there are any and the
 * driver did not set VIRTQ_AVAIL_F_NO_INTERRUPT. Consumes the decision.
 */
bool vq_need_notify(struct vq *vq);
/* vq_need_notify() and, when due, the notify callback. Returns 1 if it
 * notified, 0 if not. */
int vq_flush(struct vq *vq);

/*
 * Ask the driver to (not) notify the device about new buffers: without
 * VIRTIO_F_EVENT_IDX sets/clears VIRTQ_USED_F_NO_NOTIFY; with it, enabling
 * writes avail_event = last avail (disabling leaves it: the flag is 0).
 * Returns 0, -EIO when broken, -ENODEV when not set up.
 */
int vq_set_kick_enabled(struct vq *vq, bool enable);

#endif
