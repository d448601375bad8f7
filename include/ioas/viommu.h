/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-iommu device (virtio specification 1.2+, "IOMMU Device";
 * wire layouts of linux/virtio_iommu.h), for a VMM to embed.
 *
 * The embedder owns the transport (virtio-pci or virtio-mmio registers, the
 * status byte, feature negotiation words) and forwards to this device:
 * feature negotiation, config space reads and writes, queue setup, queue
 * kicks and resets. Guest memory is an ioas_phys the embedder fills with
 * its RAM (borrowed host memory) and MMIO; the device reads rings and
 * requests through it and never outside it. Notifications go back through
 * the ops callbacks. The device starts no threads: everything happens
 * inside the call that caused it (kick, translate).
 *
 * Queues: 0 = request queue, 1 = event queue.
 *
 * Other emulated devices of the VMM translate their DMA with
 * ioas_viommu_translate. Errors are negative errno values; virtio status
 * codes appear only inside the request buffers.
 *
 * Threads: kick, config, reset and endpoint setup are serialised by the
 * caller; ioas_viommu_translate may run concurrently with them on other
 * threads (the software IOMMU's scheme, docs/ARCHITECTURE.md).
 */
#ifndef IOAS_VIOMMU_H
#define IOAS_VIOMMU_H

#include "iommu.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ioas_viommu;

/* Device feature bits (virtio-iommu section; bit numbers of the spec). */
#define IOAS_VIOMMU_F_INPUT_RANGE   (1ull << 0)
#define IOAS_VIOMMU_F_DOMAIN_RANGE  (1ull << 1)
#define IOAS_VIOMMU_F_MAP_UNMAP     (1ull << 2)
#define IOAS_VIOMMU_F_BYPASS        (1ull << 3)
#define IOAS_VIOMMU_F_PROBE         (1ull << 4)
#define IOAS_VIOMMU_F_MMIO          (1ull << 5)
#define IOAS_VIOMMU_F_BYPASS_CONFIG (1ull << 6)
/* Transport features the device also offers (virtio "Reserved Feature
 * Bits"): VERSION_1 always; EVENT_IDX and INDIRECT_DESC when configured. */
#define IOAS_VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define IOAS_VIRTIO_F_EVENT_IDX     (1ull << 29)
#define IOAS_VIRTIO_F_VERSION_1     (1ull << 32)

/* Where each domain's mappings live. */
enum ioas_viommu_domain_format {
	/* A host-side interval structure: fastest, no table memory. */
	IOAS_VIOMMU_FMT_HOST = 0,
	/* Otherwise an enum ioas_pt_format + 0x100: real hardware tables
	 * built in table memory, walked on every IOTLB miss. */
	IOAS_VIOMMU_FMT_PT_BASE = 0x100,
};

struct ioas_viommu_ops {
	/* Raise the used-buffer notification (interrupt) of queue q. */
	void (*notify)(void *opaque, unsigned int q);
	/* Raise the configuration-change notification. May be NULL. */
	void (*config_changed)(void *opaque);
	/* Called once per processed request with its type, status and
	 * used length, for tracing. status is 0xff when the request was
	 * returned without a status (unknown type, no room for the tail,
	 * used length 0). May be NULL. */
	void (*request_done)(void *opaque, uint8_t type, uint8_t status,
			     uint32_t used_len);
};

struct ioas_viommu_config {
	uint32_t size;            /* sizeof(struct ioas_viommu_config) */
	uint32_t flags;           /* none defined: 0 */
	/* Device features offered; 0 = INPUT_RANGE | DOMAIN_RANGE |
	 * MAP_UNMAP | PROBE | MMIO | BYPASS_CONFIG (as QEMU 7.2 offers) plus
	 * the transport bits VERSION_1, EVENT_IDX and INDIRECT_DESC. */
	uint64_t features;
	uint64_t page_size_mask;  /* 0 = every multiple of 4 KiB (~0xfff) */
	struct ioas_range input_range; /* {0, 0} = the whole 64-bit space */
	uint32_t domain_start, domain_last; /* both 0 = 0 .. UINT32_MAX */
	uint32_t probe_size;      /* 0 = 512 */
	uint32_t bypass;          /* config bypass at reset: 0 or 1 */
	uint32_t domain_format;   /* enum ioas_viommu_domain_format */
	uint32_t queue_size_max;  /* 0 = 256; power of two <= 32768 */
	/* Caps on guest-driven growth; past one a request gets S_NOMEM. */
	uint32_t max_domains;     /* 0 = 4096 */
	uint32_t max_endpoints;   /* 0 = 4096 */
	uint64_t max_mappings;    /* per domain; 0 = 1 << 20 */
	const struct ioas_viommu_ops *ops;
	void *opaque;
	uint64_t reserved;        /* must be 0 */
};

/*
 * Create the device over guest memory. It is in the reset state.
 * -EINVAL: bad sizes or ranges, page_size_mask without a page size or
 *          with one below the context page size, input_range not aligned
 *          to the granule, probe_size not a multiple of 8 or above 64 KiB,
 *          bypass > 1, both BYPASS and BYPASS_CONFIG, VERSION_1 missing,
 *          reserved not 0, unknown domain format; -EOPNOTSUPP (unknown
 *          flag or feature bit); -E2BIG; -ENOMEM
 */
IOAS_EXPORT int ioas_viommu_create(struct ioas_ctx *ctx,
				   struct ioas_phys *guest,
				   const struct ioas_viommu_config *cfg,
				   struct ioas_viommu **out) IOAS_WARN_UNUSED;
IOAS_EXPORT void ioas_viommu_destroy(struct ioas_viommu *v);

/* Reserved-region subtypes reported by PROBE (the spec's values). */
enum ioas_viommu_resv_type {
	IOAS_VIOMMU_RESV_RESERVED = 0, /* accesses fault */
	IOAS_VIOMMU_RESV_MSI = 1,      /* accesses pass untranslated */
};

struct ioas_viommu_resv {
	struct ioas_range range;
	uint32_t type;            /* enum ioas_viommu_resv_type */
	uint32_t reserved;        /* must be 0 */
};

/*
 * Put an endpoint (PCI requester ID or platform stream ID) behind the
 * IOMMU, with its reserved regions (copied). Until a driver attaches it,
 * its DMA follows the bypass rules.
 * -EINVAL: bad region (start > last, unknown type, reserved not 0),
 *          regions that overlap each other, more than one MSI region,
 *          more than 64 regions or more than fit in probe_size (24 bytes
 *          each); -EEXIST (known id), -ENOSPC (max_endpoints), -ENOMEM
 */
IOAS_EXPORT int ioas_viommu_endpoint_add(struct ioas_viommu *v, uint32_t id,
					 const struct ioas_viommu_resv *resv,
					 size_t nresv) IOAS_WARN_UNUSED;

/* ---- transport side ---------------------------------------------------- */

/* The features the device offers (all 64 bits). */
IOAS_EXPORT uint64_t ioas_viommu_features(const struct ioas_viommu *v);

/* The driver's accepted features (the FEATURES_OK step). -EINVAL: a bit
 * the device did not offer, or VERSION_1 missing. Request semantics follow
 * the negotiated bits: MAP/UNMAP need MAP_UNMAP (else S_UNSUPP), the MAP
 * flag MMIO needs MMIO and ATTACH_F_BYPASS needs BYPASS_CONFIG (else
 * S_INVAL), the config bypass field is writable only with BYPASS_CONFIG,
 * BYPASS puts unattached endpoints in bypass; queues use EVENT_IDX and
 * INDIRECT_DESC as negotiated at queue setup. Call it before the queues
 * are set up, as a transport does. */
IOAS_EXPORT int ioas_viommu_set_features(struct ioas_viommu *v,
					 uint64_t driver_features);

/* Read / write len bytes of the device config space (struct
 * virtio_iommu_config, little endian) at offset. Writes change only the
 * fields the driver may write (bypass, with BYPASS_CONFIG negotiated);
 * others are ignored as the spec requires. -EINVAL: outside the space. */
IOAS_EXPORT int ioas_viommu_config_read(const struct ioas_viommu *v,
					uint32_t offset, void *buf,
					uint32_t len);
IOAS_EXPORT int ioas_viommu_config_write(struct ioas_viommu *v,
					 uint32_t offset, const void *buf,
					 uint32_t len);

struct ioas_viommu_queue {
	uint32_t size;            /* sizeof(struct ioas_viommu_queue) */
	uint32_t num;             /* queue size, power of two */
	uint64_t desc, avail, used; /* guest-physical ring addresses */
};

/* Enable queue q (0 request, 1 event) with the given rings.
 * -EINVAL: bad q or num, misaligned rings; -EFAULT: rings not in RAM */
IOAS_EXPORT int ioas_viommu_queue_setup(struct ioas_viommu *v, unsigned int q,
					const struct ioas_viommu_queue *qc)
	IOAS_WARN_UNUSED;

/* The driver notified queue q: process every available request (queue 0)
 * in order, or take note of new event buffers (queue 1). Returns the
 * number of requests completed, or -EIO when the queue is broken (the
 * embedder then sets DEVICE_NEEDS_RESET), -ENODEV when not set up. */
IOAS_EXPORT int ioas_viommu_kick(struct ioas_viommu *v, unsigned int q);

/* Device reset: domains, endpoints' attachments, queues and negotiated
 * features go back to their initial state (endpoints stay known). The
 * config field bypass keeps its value, as the spec asks of a device
 * reset. Never fails. */
IOAS_EXPORT void ioas_viommu_reset(struct ioas_viommu *v);
/* System reset: a device reset that also restores bypass to its
 * configured initial value. Never fails. */
IOAS_EXPORT void ioas_viommu_system_reset(struct ioas_viommu *v);

/* ---- DMA of other emulated devices ------------------------------------- */

/* ioas_viommu_dma.flags */
#define IOAS_VIOMMU_DMA_BYPASS (1u << 0) /* untranslated: bypass (global or
					  * domain) or an MSI region */

struct ioas_viommu_dma {
	uint64_t pa;        /* guest-physical address of iova */
	uint64_t length;    /* contiguous bytes from iova with the access */
	uint32_t prot;      /* IOAS_PROT_* granted */
	uint32_t flags;     /* IOAS_VIOMMU_DMA_* */
};

/*
 * Translate a DMA access of endpoint ep. 0 and *out filled, or -EFAULT:
 * the access faults; a fault record (reason DOMAIN or MAPPING, access
 * flags, address) goes to the event queue when a buffer is available.
 * -EINVAL: length 0, bad access (READ/WRITE/EXEC only). -EOVERFLOW:
 * iova + length - 1 wraps. -ENOENT: ep is not an endpoint of this IOMMU
 * (its DMA is not translated by it).
 * Order: an MSI region of the endpoint passes untranslated (length
 * clipped to the region); an unattached endpoint bypasses (global bypass)
 * or faults DOMAIN; a bypass domain is the identity; otherwise the
 * software IOMMU (ATC, IOTLB, walk): no mapping or no permission faults
 * MAPPING. out->length may be less than length (a physical
 * discontinuity, the end of an MSI region): translate the rest at
 * iova + out->length.
 */
IOAS_EXPORT int ioas_viommu_translate(struct ioas_viommu *v, uint32_t ep,
				      uint64_t iova, uint64_t length,
				      uint32_t access,
				      struct ioas_viommu_dma *out);

/*
 * A translation cache an emulated device holds for its endpoint: the
 * caller-held cache of the software IOMMU (ioas_iommu_translate_cached in
 * iommu.h) in front of ioas_viommu_translate. Hits are inline; they never
 * fault and are counted in c->c.hits, not in the device's statistics.
 * Served from it: single-page accesses through the endpoint's domain
 * mappings, any access inside the one mapping it keeps whole (made since
 * the domain's last UNMAP, until its next one), and pages wholly inside
 * the endpoint's MSI region (bypass domains and global bypass never);
 * everything else and every
 * miss is ioas_viommu_translate, whose answer refills the entry. One
 * thread at a time; valid until the device is destroyed (attach, detach,
 * unmap and reset empty it as they must).
 */
struct ioas_viommu_tcache {
	struct ioas_iommu_tcache c;
	struct ioas_viommu *v;
	const void *priv;       /* private: the endpoint */
	uint32_t ep;
	uint32_t reserved;
};

/* In an entry's low bits: the page lies in an MSI region of the endpoint
 * and passes untranslated (IOAS_VIOMMU_DMA_BYPASS). Private. */
#define IOAS_VIOMMU_TCACHE_BYPASS (1u << 11)

/* -EINVAL: NULL argument; -ENOENT: ep is not an endpoint of v. */
IOAS_EXPORT int ioas_viommu_tcache_init(struct ioas_viommu_tcache *c,
					struct ioas_viommu *v, uint32_t ep)
	IOAS_WARN_UNUSED;
/* The miss side: the run (a hit), else ioas_viommu_translate, then the
 * refill. Its returns. */
IOAS_EXPORT int ioas_viommu_tcache_miss(struct ioas_viommu_tcache *c,
					uint64_t iova, uint64_t length,
					uint32_t access,
					struct ioas_viommu_dma *out);

/* ioas_viommu_translate(c's device, c's endpoint, ...), answered from c
 * when it can be. Same returns. */
static inline int ioas_viommu_translate_cached(struct ioas_viommu_tcache *c,
					       uint64_t iova, uint64_t length,
					       uint32_t access,
					       struct ioas_viommu_dma *out)
{
	const struct ioas_iommu_tcache_entry *e =
		ioas_iommu_tcache_lookup(&c->c, iova, length, access);

	if (e) {
		out->pa = iova + e->delta;
		out->length = length;
		out->prot = e->page_prot & (IOAS_PROT_READ | IOAS_PROT_WRITE |
					    IOAS_PROT_EXEC);
		out->flags = e->page_prot & IOAS_VIOMMU_TCACHE_BYPASS
				     ? IOAS_VIOMMU_DMA_BYPASS
				     : 0;
		return 0;
	}
	return ioas_viommu_tcache_miss(c, iova, length, access, out);
}

struct ioas_viommu_stats {
	uint64_t requests[6];     /* by type: [0] unknown, [1..5] ATTACH..PROBE */
	uint64_t status[9];       /* by status code S_OK .. S_NOMEM */
	uint64_t malformed;       /* chains without a head or room for the
				   * tail (used length 0), bodies of the
				   * wrong size and PROBE buffers smaller
				   * than probe_size (S_INVAL) */
	uint64_t faults_reported, faults_dropped; /* event queue */
	uint64_t domains, endpoints, mappings, mappings_peak;
	uint64_t translations, translation_faults;
};
IOAS_EXPORT void ioas_viommu_get_stats(const struct ioas_viommu *v,
				       struct ioas_viommu_stats *out);

/* The software IOMMU behind the device, for inspection (domains' page
 * tables, IOTLB statistics). */
IOAS_EXPORT struct ioas_iommu *ioas_viommu_iommu(const struct ioas_viommu *v);

#ifdef __cplusplus
}
#endif

#endif
