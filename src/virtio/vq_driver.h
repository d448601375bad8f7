/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A split-virtqueue driver (the guest's side), for tests, the CLI and the
 * device's tests. It lays its rings out in guest RAM through ioas_phys,
 * adds buffer chains (device-readable segments, then device-writable ones;
 * directly chained or as one indirect table), publishes them (kick) and
 * collects used entries. Raw accessors let tests and fuzzers write any
 * descriptor or index a broken or hostile driver could.
 *
 * Layout from cfg.ring_base (16-byte aligned): descriptor table, then the
 * available ring, then the used ring at the next 4-byte boundary; sizes as
 * vq_{desc,avail,used}_bytes(). Indirect tables, when configured, use
 * `indirect_max` descriptors per head at indirect_base + head * 16 * max.
 */
#ifndef IOAS_VIRTIO_VQ_DRIVER_H
#define IOAS_VIRTIO_VQ_DRIVER_H

#include "virtio/virtqueue.h"

struct vqd;

struct vqd_config {
	uint32_t size;           /* power of two, 1 .. VQ_MAX_SIZE */
	uint64_t ring_base;      /* guest-physical, 16-byte aligned */
	uint64_t features;       /* VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX */
	uint64_t indirect_base;  /* guest RAM for indirect tables */
	uint32_t indirect_max;   /* descriptors per table; 0 = no indirect */
	uint16_t start_idx;      /* initial avail and used idx (wrap tests) */
};

/* A guest buffer. */
struct vqd_buf {
	uint64_t addr;
	uint32_t len;
};

/* Bytes of ring memory from ring_base, and the three part addresses. */
uint64_t vqd_ring_bytes(uint32_t size);
void vqd_layout(uint64_t ring_base, uint32_t size, uint64_t *desc,
		uint64_t *avail, uint64_t *used);

/*
 * Create a driver: zero its ring memory and set both ring indices to
 * start_idx. -EINVAL (bad size, alignment, indirect without memory),
 * -EFAULT/-EOVERFLOW/-EACCES from writing guest memory, -ENOMEM.
 */
int vqd_create(struct ioas_ctx *ctx, struct ioas_phys *phys,
	       const struct vqd_config *cfg, struct vqd **out);
void vqd_destroy(struct vqd *d);

/* The vq_config a device uses for this driver's queue. */
void vqd_vq_config(const struct vqd *d, struct vq_config *out);

/*
 * Add a chain: bufs[0 .. nr_read-1] device-readable, then nr_write
 * device-writable buffers, as one indirect table if `indirect`. The chain
 * becomes visible at the next vqd_kick. Returns the head descriptor index.
 * -EINVAL: no buffers, or indirect unconfigured / longer than indirect_max
 * -ENOSPC: not enough free descriptors; -EFAULT etc. from guest memory
 */
int vqd_add(struct vqd *d, const struct vqd_buf *bufs, unsigned nr_read,
	    unsigned nr_write, bool indirect, uint64_t token);

/* Publish added chains (avail idx). Returns true when the device asked to
 * be notified (avail_event, or no VIRTQ_USED_F_NO_NOTIFY). */
bool vqd_kick(struct vqd *d);

/*
 * Take the next used entry. Returns 1 with its id, len and token (the
 * chain's descriptors are free again), 0 when none, -EIO when the device
 * returned an id that is not in flight (the entry is consumed; id and len
 * are set, token is not) or moved used idx more than size ahead.
 */
int vqd_get_used(struct vqd *d, uint32_t *id, uint32_t *len, uint64_t *token);

unsigned vqd_num_free(const struct vqd *d);
/* The head the next vqd_add will use, or -ENOSPC. */
int vqd_next_head(const struct vqd *d);
uint32_t vqd_size(const struct vqd *d);
uint64_t vqd_desc_addr(const struct vqd *d);

/* ---- raw access (hostile drivers, tests) ------------------------------------ */

/* Write descriptor i of the ring's table (i < size) or of any table at pa. */
int vqd_write_desc(struct vqd *d, uint32_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next);
int vqd_write_desc_at(struct vqd *d, uint64_t pa, uint64_t addr, uint32_t len,
		      uint16_t flags, uint16_t next);
/* Put head into the next avail ring entry (published at vqd_kick) and mark
 * it in flight when it is < size, so vqd_get_used accepts it. */
int vqd_post_raw(struct vqd *d, uint16_t head, uint64_t token);
/* Write avail idx directly (the shadow follows). */
int vqd_set_avail_idx(struct vqd *d, uint16_t idx);
uint16_t vqd_avail_idx(const struct vqd *d);
int vqd_set_avail_flags(struct vqd *d, uint16_t flags);
int vqd_set_used_event(struct vqd *d, uint16_t v);
/* Ring fields the device writes. */
uint16_t vqd_used_idx(const struct vqd *d);
uint16_t vqd_used_flags(const struct vqd *d);
uint16_t vqd_avail_event(const struct vqd *d);
void vqd_used_elem(const struct vqd *d, uint16_t pos, uint32_t *id,
		   uint32_t *len);

#endif
