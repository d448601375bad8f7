/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A virtio-iommu driver (the guest's side) over vq_driver, for the tests,
 * the fuzz target and the CLI: request builders for every request type
 * (and raw bytes), a request queue and an event queue in guest RAM, and
 * the Linux driver's deferred flush: MAP/UNMAP requests are queued
 * (viod_queue) and the device is notified only at viod_sync, or when the
 * ring is full; ATTACH/DETACH/PROBE go through viod_send (queue + sync).
 *
 * It plays the transport too: viod_create negotiates features with the
 * device and sets both queues up; a kick of the request queue is a direct
 * ioas_viommu_kick.
 *
 * Guest RAM layout from cfg.ram_base (all inside one RAM region of phys):
 *   request ring (rq_size), event ring (eq_size), each 4 KiB aligned;
 *   per request head a slot: VIOD_REQ_MAX readable bytes then
 *   probe_size + VIOD_WRITE_EXTRA writable bytes; per event head a buffer
 *   of ev_len bytes. viod_ram_bytes() tells the total.
 */
#ifndef IOAS_VIRTIO_VIOMMU_DRIVER_H
#define IOAS_VIRTIO_VIOMMU_DRIVER_H

#include <ioas/viommu.h>

#include "virtio/viommu_wire.h"
#include "virtio/vq_driver.h"

/* Largest raw readable part a slot holds (oversized-request tests). */
#define VIOD_REQ_MAX 256u
/* Writable bytes beyond probe_size + tail a raw request may ask for. */
#define VIOD_WRITE_EXTRA 64u

struct viod;

struct viod_config {
	uint64_t ram_base;      /* guest-physical, 4 KiB aligned */
	uint64_t ram_size;
	uint32_t rq_size;       /* power of two; 0 = 64 */
	uint32_t eq_size;       /* power of two; 0 = 16 */
	uint32_t ev_len;        /* event buffer bytes; 0 = 24 (a fault) */
	uint64_t features;      /* to negotiate; 0 = everything offered */
	bool no_event_fill;     /* do not post event buffers at create */
};

/* A completed request. */
struct viod_result {
	uint64_t token;
	uint32_t used_len;
	uint8_t status;         /* last byte-quad's first byte: the tail's
				 * status; VIOMMU_S_NONE when used < 4 */
	uint8_t type;
};

typedef void (*viod_done_fn)(void *opaque, const struct viod_result *r);

uint64_t viod_ram_bytes(const struct viod_config *cfg, uint32_t probe_size);

/*
 * Negotiate, set up both queues, post event buffers. The device must be
 * fresh or reset. -EINVAL (sizes, RAM too small), the device's
 * set_features / queue_setup errors, -ENOMEM.
 */
int viod_create(struct ioas_ctx *ctx, struct ioas_phys *phys,
		struct ioas_viommu *dev, const struct viod_config *cfg,
		struct viod **out);
void viod_destroy(struct viod *d);
/* After ioas_viommu_reset: renegotiate and set the queues up again. */
int viod_restart(struct viod *d);

/* Completion callback for requests collected by viod_sync (may be NULL). */
void viod_set_done(struct viod *d, viod_done_fn fn, void *opaque);

/* ---- request builders: readable bytes into buf, returns their count ---- */
uint32_t viod_build_attach(uint8_t *buf, uint32_t domain, uint32_t ep,
			   uint32_t flags);
uint32_t viod_build_detach(uint8_t *buf, uint32_t domain, uint32_t ep);
uint32_t viod_build_map(uint8_t *buf, uint32_t domain, uint64_t virt_start,
			uint64_t virt_end, uint64_t phys_start, uint32_t flags);
uint32_t viod_build_unmap(uint8_t *buf, uint32_t domain, uint64_t virt_start,
			  uint64_t virt_end);
uint32_t viod_build_probe(uint8_t *buf, uint32_t ep);
/* The writable length a request of that type wants (tail, or properties
 * and tail for PROBE). */
uint32_t viod_write_len(const struct viod *d, uint8_t type);

/*
 * Queue a request: rlen readable bytes of req (0..VIOD_REQ_MAX), wlen
 * writable bytes (0..probe_size + 4 + VIOD_WRITE_EXTRA). Nothing reaches
 * the device until viod_sync; a full ring is synced first.
 * -EINVAL: lengths; errors of the ring.
 */
int viod_queue(struct viod *d, const void *req, uint32_t rlen, uint32_t wlen,
	       uint64_t token);
/* Publish, kick the device, collect every completion (done callback).
 * Returns the number collected or a negative errno (the device's -EIO). */
int viod_sync(struct viod *d);
/*
 * Queue one request, sync, and return its result; up to outlen bytes of
 * its writable part (as the device left them) are copied to out.
 */
int viod_send(struct viod *d, const void *req, uint32_t rlen, uint32_t wlen,
	      struct viod_result *res, void *out, uint32_t outlen);

/* Typed conveniences (synchronous): the status, or a negative errno. */
int viod_attach(struct viod *d, uint32_t domain, uint32_t ep, uint32_t flags);
int viod_detach(struct viod *d, uint32_t domain, uint32_t ep);
int viod_map(struct viod *d, uint32_t domain, uint64_t virt_start,
	     uint64_t virt_end, uint64_t phys_start, uint32_t flags);
int viod_unmap(struct viod *d, uint32_t domain, uint64_t virt_start,
	       uint64_t virt_end);
/* PROBE: properties copied to props (probe_size bytes). */
int viod_probe(struct viod *d, uint32_t ep, uint8_t *props);

/* ---- event queue ----------------------------------------------------------- */

/* Take the next event: 1 with up to 24 bytes in rec and the used length
 * in *len (the buffer is posted again), 0 when none. */
int viod_event_next(struct viod *d, uint8_t rec[VIOMMU_FAULT_SIZE],
		    uint32_t *len);

/* The raw queues (hostile-driver tests). */
struct vqd *viod_rq(struct viod *d);
struct vqd *viod_eq(struct viod *d);
/* Guest-physical address of the request slot of head (readable part). */
uint64_t viod_slot_addr(const struct viod *d, uint32_t head);

#endif
