/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CLI's guest: a virtio-iommu device (include/ioas/viommu.h) over its
 * own physical address space, driven from the driver side the way a guest
 * does it. Requests are written as virtio-iommu request bytes into guest
 * RAM, posted on the request virtqueue (src/virtio/vq_driver.h), the device
 * is kicked, and the status comes back from the used ring and the request's
 * tail. Fault records come from buffers posted on the event queue.
 *
 * The driver side is the shared one (src/virtio/viommu_driver.h); its
 * memory (rings, request slots, event buffers) is a RAM region at
 * VDEV_CTL_BASE, away from any RAM a script or trace uses.
 */
#ifndef IOAS_TOOLS_VDEV_H
#define IOAS_TOOLS_VDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioas/ioas.h>
#include <ioas/viommu.h>

#define VDEV_CTL_BASE 0x7ff000000000ull

/* Wire values (virtio specification; src/virtio/viommu_wire.h). */
#define VIRTIO_IOMMU_T_ATTACH 1
#define VIRTIO_IOMMU_T_DETACH 2
#define VIRTIO_IOMMU_T_MAP 3
#define VIRTIO_IOMMU_T_UNMAP 4
#define VIRTIO_IOMMU_T_PROBE 5
#define VIRTIO_IOMMU_ATTACH_F_BYPASS 1u
#define VIRTIO_IOMMU_S_OK 0
#define VIRTIO_IOMMU_S_RANGE 5

/* "OK", "IOERR", ... "NOMEM"; NULL for an unknown code. */
const char *vdev_status_name(unsigned status);
const char *vdev_type_name(unsigned type);
const char *vdev_fault_reason_name(unsigned reason);

struct vdev_fault {
	uint8_t reason;
	uint32_t flags, endpoint;
	uint64_t address;
	uint32_t len;            /* used length of the event buffer */
};

struct vdev;
struct viod;

/* Create the device (cfg->ops/opaque are replaced by the harness's). */
int vdev_create(const struct ioas_viommu_config *cfg, struct vdev **out);
void vdev_destroy(struct vdev *d);
struct ioas_viommu *vdev_dev(const struct vdev *d);
struct ioas_phys *vdev_phys(const struct vdev *d);
/* The driver side (after vdev_driver_init), for callers that queue
 * requests themselves (benchmarks batching requests per kick). */
struct viod *vdev_driver(const struct vdev *d);

/* Feature negotiation (everything offered that the driver knows), queue
 * setup, event buffers. Done on the first request when not done before. */
int vdev_driver_init(struct vdev *d);
bool vdev_driver_ready(const struct vdev *d);

/* Device reset; the driver side starts over (re-initialised on the next
 * request, or now with reinit). A system reset also restores the config
 * bypass field. */
void vdev_reset(struct vdev *d, bool reinit);
void vdev_system_reset(struct vdev *d);
/* Largest writable part a raw request may have. */
uint32_t vdev_max_write(const struct vdev *d);

/*
 * One request: rlen device-readable bytes, then a device-writable buffer
 * of wlen bytes whose content (up to the used length) lands in reply
 * (may be NULL). 0 with *used, or -errno from the queue/device.
 */
int vdev_request(struct vdev *d, const void *req, uint32_t rlen, void *reply,
		 uint32_t wlen, uint32_t *used);

/* Typed requests: 0 with *status (0xff when the used length is short), or
 * -errno. */
int vdev_attach(struct vdev *d, uint32_t dom, uint32_t ep, uint32_t flags,
		uint8_t *status);
int vdev_detach(struct vdev *d, uint32_t dom, uint32_t ep, uint8_t *status);
int vdev_map(struct vdev *d, uint32_t dom, uint64_t start, uint64_t last,
	     uint64_t pa, uint32_t flags, uint8_t *status);
int vdev_unmap(struct vdev *d, uint32_t dom, uint64_t start, uint64_t last,
	       uint8_t *status);
/* PROBE: props gets the properties (size must be the probe_size); *used
 * as returned. */
int vdev_probe(struct vdev *d, uint32_t ep, uint8_t *props, uint32_t size,
	       uint32_t *used, uint8_t *status);

/* Decoded RESV_MEM properties of a PROBE reply: returns their count (up
 * to max stored), or -EINVAL for a malformed property list. */
int vdev_probe_resv(const uint8_t *props, uint32_t size,
		    struct ioas_viommu_resv *out, int max);

/* Driver write of the config bypass field. */
int vdev_set_bypass(struct vdev *d, uint8_t bypass);

/* Take every used event buffer, report it, post it again. Returns the
 * number of fault records, or -errno. */
int vdev_poll_events(struct vdev *d,
		     void (*fn)(void *opaque, const struct vdev_fault *f),
		     void *opaque);

#endif
