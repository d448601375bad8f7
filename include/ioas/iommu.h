/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The software IOMMU: devices, groups, domains, PASIDs, nesting, an IOTLB,
 * invalidation, faults, and translate (the DMA hot path).
 *
 * Objects
 *   ioas_iommu        one IOMMU instance in a context, over a physical
 *                     address space (where its page tables live and what
 *                     translations point into), with one IOTLB.
 *   ioas_iommu_dev    an endpoint: ID (PCI requester ID / stream ID), group,
 *                     PASID width, DMA address width, reserved regions (MSI
 *                     doorbell), page sizes it can work with.
 *   ioas_iommu_group  the unit of isolation: all its devices share the
 *                     domain their requests without PASID (PASID 0) use.
 *                     Created with its first device, freed with its last.
 *   ioas_domain       what a request is translated by:
 *     PAGING    one page table (ioas_pt) of a format, fed by the address
 *               space it is attached to: it mirrors the space's mappings,
 *               whatever other domains of other formats mirror the same
 *               space. Attaching to a populated space fills it.
 *     IDENTITY  bypass: pa = iova.
 *     BLOCKED   every request faults.
 *     NESTED    a stage-1 table in a hardware format (x86-64 / VT-d first
 *               stage, ARM stage 1) whose tables live in guest-physical
 *               memory, over a PAGING parent (stage 2: guest physical ->
 *               host physical). Every stage-1 table read goes through
 *               stage 2.
 *     SVA       a PASID bound to a process (CPU) page table: x86-64 format,
 *               root given by the caller, in host physical memory.
 *
 * Usable IOVA: attaching a domain to an address space reserves in the
 * space what lies outside the domain's aperture; attaching a group to a
 * domain that mirrors a space reserves each device's reserved regions and
 * the IOVA above its DMA width. So the space's usable ranges are the
 * intersection of what its domains and devices allow. Detach undoes it.
 * These calls change the space's reservations: serialise them with the
 * other calls on that space (as.h).
 *
 * Threads: ioas_iommu_translate may run on any number of threads while
 * other threads map and unmap through address spaces, attach, detach,
 * replace, invalidate and sync. Everything else of one ioas_iommu must be
 * serialised by the caller, except that calls on different address spaces
 * may run in parallel. A device must not be removed while a translate on
 * it runs. Creating or destroying a PAGING domain adds or removes a RAM
 * region of the physical address space (its table memory), which phys.h
 * requires exclusive access for: the IOMMU takes its own translate paths
 * out of the way, but other users of that phys (another IOMMU, a
 * virtqueue) must not be running then.
 *
 * Errors are negative errno; a failed call changes nothing; destroy,
 * remove, detach never fail. Ranges are [start, last].
 */
#ifndef IOAS_IOMMU_H
#define IOAS_IOMMU_H

#include <stdbool.h>

#include "as.h"
#include "pt.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ioas_iommu;
struct ioas_iommu_dev;
struct ioas_iommu_group;
struct ioas_domain;

/* ---- faults ---------------------------------------------------------------- */

enum ioas_fault_reason {
	IOAS_FAULT_NONE = 0,
	IOAS_FAULT_NOT_ATTACHED = 1,   /* no domain for the RID */
	IOAS_FAULT_NO_MAPPING = 2,     /* the page table has no translation */
	IOAS_FAULT_PERMISSION = 3,     /* read/write/exec not granted, or a
					* privileged request on a user bind */
	IOAS_FAULT_OUTSIDE_APERTURE = 4, /* beyond the domain's input range or
					  * the device's DMA width */
	IOAS_FAULT_PASID_NOT_PRESENT = 5, /* no domain for (device, PASID), or
					   * PASID beyond the device's width */
	IOAS_FAULT_PRIV_REQUIRED = 6,  /* supervisor page, user request */
	IOAS_FAULT_BLOCKED = 7,        /* a BLOCKED domain is attached */
	IOAS_FAULT_STOPPED = 8,        /* the device is faulting-stopped */
	IOAS_FAULT_BAD_TABLE = 9,      /* table entry with reserved bits, or
					* table memory that is not RAM */
};

/* ioas_fault.flags */
#define IOAS_FAULT_F_PASID (1u << 0)      /* the request carried a PASID */
#define IOAS_FAULT_F_TABLE_WALK (1u << 1) /* stage 2 failed while reading a
					   * stage-1 table */
#define IOAS_FAULT_F_PAGE_REQ (1u << 2)   /* a page request was queued */

struct ioas_fault {
	uint32_t dev_id;       /* the device's ID (RID / stream ID) */
	uint32_t pasid;        /* 0 = request without PASID */
	uint64_t addr;         /* IOVA of the failing byte */
	uint32_t access;       /* IOAS_PROT_* requested */
	uint32_t reason;       /* enum ioas_fault_reason */
	uint32_t stage;        /* 1 or 2 for NESTED domains; 1 otherwise;
				* 0 when no table was consulted */
	uint32_t flags;        /* IOAS_FAULT_F_* */
	uint64_t stage_addr;   /* stage 2 faults: the guest-physical address
				* stage 2 failed on */
	uint32_t pt_fault;     /* enum ioas_pt_fault of the walker, if any */
	uint32_t level;        /* level of the faulting entry, if any */
};

/* ---- the IOMMU ------------------------------------------------------------ */

enum ioas_inv_mode {
	/* An unmap invalidates the IOTLB before it returns. */
	IOAS_INV_STRICT = 0,
	/* Unmaps queue their invalidations (range gather); they are processed
	 * in order at ioas_iommu_sync, when the queue is full, or when a map
	 * touches a range with a pending invalidation (so a new mapping never
	 * serves the old translation). Until then the page table is already
	 * cleared and, by default, a lookup that hits inside a pending range
	 * is treated as a miss, so no stale translation is ever served. */
	IOAS_INV_DEFERRED = 1,
};

/* ioas_iommu_config.flags */
#define IOAS_IOMMU_F_STALE (1u << 0) /* DEFERRED: hardware-faithful, stale
				      * IOTLB entries keep serving until the
				      * sync (catches drivers that reuse
				      * buffers before the flush) */

struct ioas_iommu_config {
	uint32_t size;            /* sizeof(struct ioas_iommu_config) */
	uint32_t flags;           /* IOAS_IOMMU_F_* */
	uint32_t iotlb_entries;   /* power of two; 0 = 1024 */
	uint32_t iotlb_ways;      /* power of two <= entries; 0 = 8 */
	uint32_t inv_mode;        /* enum ioas_inv_mode */
	uint32_t inv_queue_len;   /* DEFERRED: pending invalidations before an
				   * implicit sync; 0 = 64, at most 65536 */
	uint32_t fault_queue_len; /* records kept; 0 = 256, at most 2^20 */
	uint32_t max_devices;     /* caps; 0 = 4096 each */
	uint32_t max_groups;
	uint32_t max_domains;
	uint32_t default_format;  /* enum ioas_pt_format of the domains
				   * ioas_iommu_group_attach_as creates;
				   * 0 = IOAS_PT_FMT_VTD_SS */
	uint32_t reserved;        /* must be 0 */
	/* Called for every fault record (after it is queued), on the thread
	 * that translated, with no lock of the IOMMU held. May be NULL. */
	void (*fault_cb)(void *opaque, const struct ioas_fault *fault);
	void *fault_opaque;
};

/*
 * Create an IOMMU over phys (which must outlive it).
 * -EINVAL: size too small, reserved not 0, bad IOTLB geometry, bad mode,
 *          STALE without DEFERRED, queue lengths too large
 * -EOPNOTSUPP: unknown flag or default_format; -E2BIG; -ENOMEM
 */
IOAS_EXPORT int ioas_iommu_create(struct ioas_ctx *ctx, struct ioas_phys *phys,
				  const struct ioas_iommu_config *cfg,
				  struct ioas_iommu **out) IOAS_WARN_UNUSED;
/* Destroy every device, group and domain, then the IOMMU. Never fails. */
IOAS_EXPORT void ioas_iommu_destroy(struct ioas_iommu *mmu);

/* ---- devices and groups ------------------------------------------------- */

/* ioas_iommu_dev_config.flags */
#define IOAS_DEV_F_PRI (1u << 0)  /* page requests (recoverable faults) on
				   * PASIDs attached with IOAS_PASID_F_PRI */
#define IOAS_DEV_F_PRIV (1u << 1) /* may issue privileged requests
				   * (needed for a supervisor SVA bind) */
#define IOAS_DEV_F_STOP_ON_FAULT (1u << 2) /* a fault stops the device until
					    * ioas_iommu_dev_clear_stop */

struct ioas_iommu_dev_config {
	uint32_t size;           /* sizeof(struct ioas_iommu_dev_config) */
	uint32_t flags;          /* IOAS_DEV_F_* */
	uint32_t id;             /* RID / stream ID; unique in the IOMMU */
	uint32_t group_id;       /* devices with one group_id form a group */
	uint32_t pasid_bits;     /* PASID width, 0 (none) .. 20 */
	uint32_t dma_bits;       /* DMA address width; 0 = 64 */
	uint64_t pgsize_bitmap;  /* IOMMU page sizes the device accepts as a
				  * domain's smallest page; 0 = any */
	const struct ioas_range *resv; /* reserved IOVA (MSI doorbell), copied */
	uint32_t nr_resv;        /* at most 64 */
	uint32_t atc_entries;    /* the device's translation cache (ATC):
				  * 4 KiB pages it keeps; power of two, at
				  * most 65536; 0 = 64 */
};

/*
 * Add a device (and its group, when it is the group's first).
 * -EINVAL: pasid_bits > 20, dma_bits < 12 or > 64, a resv range with
 *          start > last, nr_resv > 64, atc_entries not a power of two or
 *          above 65536
 * -EEXIST: the ID is taken
 * -EBUSY: the group exists and is attached (add devices before attaching)
 * -ENOSPC: max_devices or max_groups reached
 * -EOPNOTSUPP, -E2BIG, -ENOMEM.  Order as listed, struct errors first.
 */
IOAS_EXPORT int ioas_iommu_dev_add(struct ioas_iommu *mmu,
				   const struct ioas_iommu_dev_config *cfg,
				   struct ioas_iommu_dev **out) IOAS_WARN_UNUSED;
/* Remove a device: its PASIDs are detached, and when it is the last device
 * of its group the group is detached and freed. Never fails. */
IOAS_EXPORT void ioas_iommu_dev_remove(struct ioas_iommu_dev *dev);
/* The device with that ID, or NULL. */
IOAS_EXPORT struct ioas_iommu_dev *ioas_iommu_dev_find(struct ioas_iommu *mmu,
						       uint32_t id);
IOAS_EXPORT uint32_t ioas_iommu_dev_id(const struct ioas_iommu_dev *dev);
IOAS_EXPORT struct ioas_iommu_group *
ioas_iommu_dev_group(const struct ioas_iommu_dev *dev);

/* Faulting-stopped state (hardware stops a context that faulted when
 * IOAS_DEV_F_STOP_ON_FAULT is set): while stopped every request fails with
 * IOAS_FAULT_STOPPED, recorded once. */
IOAS_EXPORT bool ioas_iommu_dev_stopped(const struct ioas_iommu_dev *dev);
IOAS_EXPORT void ioas_iommu_dev_stop(struct ioas_iommu_dev *dev);
IOAS_EXPORT void ioas_iommu_dev_clear_stop(struct ioas_iommu_dev *dev);

/*
 * Attach the group's RID (PASID 0) to dom.
 * -EINVAL: dom is SVA (a PASID-only domain) or of another IOMMU
 * -EBUSY: the group is attached already (use replace)
 * -EPERM: incompatible: a device does not accept the domain's smallest
 *         page size
 * -EADDRINUSE: a device's reserved region or the IOVA above its DMA width
 *         is mapped (or allowed) in the domain's address space
 * -ENOMEM
 */
IOAS_EXPORT int ioas_iommu_group_attach(struct ioas_iommu_group *grp,
					struct ioas_domain *dom)
	IOAS_WARN_UNUSED;
/* Atomically switch the group to dom (attached or not before). On failure
 * the old domain stays attached and working. Errors as attach, without
 * -EBUSY. Replacing with the current domain succeeds and does nothing. */
IOAS_EXPORT int ioas_iommu_group_replace(struct ioas_iommu_group *grp,
					 struct ioas_domain *dom)
	IOAS_WARN_UNUSED;
/* Detach: requests without PASID then fault (NOT_ATTACHED). Never fails. */
IOAS_EXPORT void ioas_iommu_group_detach(struct ioas_iommu_group *grp);
IOAS_EXPORT struct ioas_domain *
ioas_iommu_group_domain(const struct ioas_iommu_group *grp);

/*
 * Container style (VFIO, seed 001): attach the group to the address space
 * through a PAGING domain of the IOMMU's default format that this call
 * creates, or shares with the groups already attached to as this way. An
 * EXPLICIT space with no window gets the default 32-bit window at the
 * first group (base 0, 2^32 bytes, the context page size); larger windows
 * may be created later with ioas_as_window_create.
 * -EBUSY: the group is attached (to anything)
 * -EPERM: incompatible with the shared domain (page sizes)
 * -EADDRINUSE, -ENOSPC (max_domains), -ENOMEM, and the domain creation
 * errors.
 */
IOAS_EXPORT int ioas_iommu_group_attach_as(struct ioas_iommu_group *grp,
					   struct ioas_as *as) IOAS_WARN_UNUSED;

/* ---- domains ------------------------------------------------------------------ */

enum ioas_domain_type {
	IOAS_DOMAIN_PAGING = 1,
	IOAS_DOMAIN_IDENTITY = 2,
	IOAS_DOMAIN_BLOCKED = 3,
	IOAS_DOMAIN_NESTED = 4,
	IOAS_DOMAIN_SVA = 5,
	/* Like PAGING (mirrors an address space, IOTLB and ATC in front),
	 * but the mappings live in a host-side interval tree instead of a
	 * hardware page table: no table memory, one node per run, the
	 * slow path looks the run up and caches the largest aligned block
	 * around the address. What an emulated IOMMU uses for speed. */
	IOAS_DOMAIN_HOST = 6,
};

/* ioas_domain_config.flags */
#define IOAS_DOMAIN_F_SUPERVISOR (1u << 0) /* SVA: supervisor bind */

struct ioas_domain_config {
	uint32_t size;           /* sizeof(struct ioas_domain_config) */
	uint32_t flags;          /* IOAS_DOMAIN_F_* */
	uint32_t type;           /* enum ioas_domain_type */
	uint32_t reserved;       /* must be 0 */
	/* PAGING: the table; flags must not place table memory (the IOMMU
	 * gives each domain its own RAM region of table_bytes). */
	struct ioas_pt_config pt;
	uint64_t table_bytes;    /* PAGING: table memory; 0 = 4 MiB; a
				  * multiple of the context page size */
	struct ioas_domain *parent; /* NESTED: the stage-2 PAGING domain */
	/* NESTED: the stage-1 table (root_pa and table addresses are stage-2
	 * inputs); format X86_64 or ARM_S1. SVA: the process table, X86_64,
	 * root_pa host physical. */
	struct ioas_pt_hw hw;
};

/*
 * -EINVAL: bad type, reserved not 0, table placement flags, a NESTED
 *          parent that is not PAGING (or of another IOMMU), a bad hw
 *          description, SUPERVISOR on a non-SVA domain
 * -EOPNOTSUPP: stage-1 / SVA format not supported, unknown flag
 * -ENOSPC: max_domains reached, or no hole for the table memory
 * the ioas_pt_create errors; -E2BIG; -ENOMEM
 */
IOAS_EXPORT int ioas_domain_create(struct ioas_iommu *mmu,
				   const struct ioas_domain_config *cfg,
				   struct ioas_domain **out) IOAS_WARN_UNUSED;
/* Detach it from everything (groups, PASIDs, its address space; nested
 * children become BLOCKED-like: they fault at stage 2), then free it.
 * Never fails. */
IOAS_EXPORT void ioas_domain_destroy(struct ioas_domain *dom);

/*
 * Make a PAGING (or HOST) domain mirror as: outside its aperture is reserved in as,
 * the reservations of the groups attached to it are made, and every
 * mapping is written into its table (a HOST domain has none: it reads
 * the space's own mappings). The domain must be detached (or destroyed)
 * before the space is destroyed.
 * -EINVAL: not PAGING or HOST; the domain's smallest page is larger than the
 *          space's smallest
 * -EBUSY: attached to a space already
 * -EADDRINUSE: a mapping or allowed range outside the aperture or in a
 *          reserved region of an attached device
 * -ENOMEM (table memory too)
 */
IOAS_EXPORT int ioas_domain_attach_as(struct ioas_domain *dom,
				      struct ioas_as *as) IOAS_WARN_UNUSED;
/* Unmap everything from the table, undo the reservations. Never fails. */
IOAS_EXPORT void ioas_domain_detach_as(struct ioas_domain *dom);

IOAS_EXPORT uint32_t ioas_domain_id(const struct ioas_domain *dom);
/* The domain's table (PAGING), for inspection; NULL otherwise (HOST
 * included). */
IOAS_EXPORT struct ioas_pt *ioas_domain_pt(const struct ioas_domain *dom);

/*
 * Invalidate cached translations of dom for pasid (IOAS_PASID_ANY: all)
 * in [start, last]: what a guest does after changing a stage-1 table, or
 * a process after changing its page table (SVA). Never fails.
 */
#define IOAS_PASID_ANY UINT32_MAX
IOAS_EXPORT void ioas_domain_invalidate(struct ioas_domain *dom,
					uint32_t pasid, uint64_t start,
					uint64_t last);

/* ---- PASIDs ---------------------------------------------------------------- */

/* ioas_iommu_pasid_attach flags */
#define IOAS_PASID_F_PRI (1u << 0) /* faults become page requests */

/*
 * Attach (device, pasid) to dom, replacing what was there atomically.
 * PASID 0 is the RID: use the group calls.
 * -EINVAL: pasid 0 or beyond the device's width; dom of another IOMMU
 * -EOPNOTSUPP: unknown flag; PRI without IOAS_DEV_F_PRI; a SUPERVISOR
 *          SVA domain on a device without IOAS_DEV_F_PRIV
 * -EPERM: incompatible page size; -ENOMEM
 */
IOAS_EXPORT int ioas_iommu_pasid_attach(struct ioas_iommu_dev *dev,
					uint32_t pasid, struct ioas_domain *dom,
					uint32_t flags) IOAS_WARN_UNUSED;
/* Never fails; nothing attached is fine. */
IOAS_EXPORT void ioas_iommu_pasid_detach(struct ioas_iommu_dev *dev,
					 uint32_t pasid);

/* ---- translate ------------------------------------------------------------- */

struct ioas_iommu_xlate {
	uint64_t pa;            /* physical address of iova */
	uint64_t length;        /* bytes from iova that are physically
				 * contiguous and grant the access (at least
				 * 1, at most the length asked) */
	uint32_t prot;          /* IOAS_PROT_* granted at iova */
	uint32_t reserved;
	struct ioas_fault fault; /* on -EFAULT / -EAGAIN */
};

/*
 * Translate a DMA access of `length` bytes at iova by dev with pasid (0 =
 * no PASID) and access (IOAS_PROT_READ/WRITE/EXEC, optionally PRIV for a
 * privileged request). Order: device (stopped?) -> domain (RID or PASID
 * entry) -> IOTLB -> hardware walk of the table in physical memory ->
 * permission check. The result covers a prefix of the access: when
 * out->length < length, translate the rest at iova + out->length (that is
 * where a fault or a physical discontinuity is).
 * 0: translated.
 * -EFAULT: a fault, recorded and described in out->fault.
 * -EAGAIN: a page request was queued (PASID attached with PRI): handle it
 *          (ioas_iommu_page_request_next / _respond) and retry.
 * -EINVAL: length 0, access without READ/WRITE/EXEC or unknown bits, dev
 *          of another IOMMU; -EOVERFLOW: iova + length - 1 wraps.
 */
IOAS_EXPORT int ioas_iommu_translate(struct ioas_iommu *mmu,
				     struct ioas_iommu_dev *dev, uint32_t pasid,
				     uint64_t iova, uint64_t length,
				     uint32_t access,
				     struct ioas_iommu_xlate *out);

/* ---- a translation cache the caller holds ---------------------------------- */

/*
 * What a device model keeps of its recent translations, as a PCIe device
 * keeps an ATC next to its DMA engine (ATS): a small direct-mapped cache of
 * 4 KiB pages in the caller's memory, looked up inline, without a call, a
 * lock or an atomic write. Every hit re-checks the entry against the
 * IOMMU: its ATC epoch (attach, detach and replace of any device's RID
 * binding, stopping a device, whole-domain, PASID and global
 * invalidations) and the invalidation counter of the entry's page (unmaps
 * and range invalidations, including safe deferred unmaps before their
 * sync). So it never serves a translation that ioas_iommu_translate would
 * no longer give, except what the hardware-faithful STALE mode lets stale
 * IOTLB entries serve until the sync.
 *
 * Beside the pages, one run: a whole physically contiguous mapping of a
 * HOST domain (as a MAP left it in the device's ATC), checked against the
 * epoch and a counter every range invalidation of its domain bumps, so a
 * buffer of many pages costs one miss, not one per page.
 *
 * Served from the cache: requests without PASID, without PRIV, inside one
 * 4 KiB page (inline) or inside the run (the miss call's first look), on
 * a page that is not privileged-only. Everything else, and every miss, is
 * ioas_iommu_translate (faults recorded as usual), whose answer refills
 * the entry.
 *
 * A cache is used by one thread at a time (a miss writes it) and must not
 * be used after its device is removed. Its fields are private; hits and
 * misses may be read.
 */
#define IOAS_IOMMU_TCACHE_ENTRIES 32u /* power of two */

struct ioas_iommu_tcache_entry {
	uint64_t page_prot;      /* 4 KiB-aligned IOVA | IOAS_PROT_* (0 in
				  * the low 12 bits = empty) */
	uint64_t delta;          /* physical - IOVA (mod 2^64) */
	uint64_t stamp;          /* epoch + counter, read before the fill */
	const uint64_t *counter; /* its page's invalidation counter (the run:
				  * its domain's) */
};

struct ioas_iommu_tcache {
	struct ioas_iommu *mmu;
	struct ioas_iommu_dev *dev;
	const uint64_t *epoch;   /* the IOMMU's ATC epoch */
	uint64_t hits, misses;
	struct ioas_iommu_tcache_entry e[IOAS_IOMMU_TCACHE_ENTRIES];
	struct ioas_iommu_tcache_entry run; /* page_prot: first page | prot */
	uint64_t run_last;                  /* its last byte */
};

/* Empty cache c for dev of mmu. -EINVAL: NULL argument, dev of another
 * IOMMU. */
IOAS_EXPORT int ioas_iommu_tcache_init(struct ioas_iommu_tcache *c,
				       struct ioas_iommu *mmu,
				       struct ioas_iommu_dev *dev)
	IOAS_WARN_UNUSED;

/* The miss side of ioas_iommu_translate_cached: the run (a hit), else
 * ioas_iommu_translate (pasid 0) and, when the answer may be cached, the
 * entry's refill. Same returns as ioas_iommu_translate; -EINVAL for a
 * cache not initialised. */
IOAS_EXPORT int ioas_iommu_tcache_miss(struct ioas_iommu_tcache *c,
				       uint64_t iova, uint64_t length,
				       uint32_t access,
				       struct ioas_iommu_xlate *out);

/* The entry of c that answers an access of length bytes at iova, or NULL
 * (a miss). Inline part of ioas_iommu_translate_cached; also used by
 * ioas_viommu_translate_cached. */
static inline const struct ioas_iommu_tcache_entry *
ioas_iommu_tcache_lookup(struct ioas_iommu_tcache *c, uint64_t iova,
			 uint64_t length, uint32_t access)
{
	const struct ioas_iommu_tcache_entry *e =
		&c->e[(iova >> 12) & (IOAS_IOMMU_TCACHE_ENTRIES - 1)];

	const uint64_t pp = e->page_prot;

	/* One test for the geometry: each term exceeds 0xfff exactly when
	 * the entry holds another page (the XOR keeps only low bits
	 * otherwise), length is 0 (wraps) or over a page, or the access
	 * crosses the page end (no overflow once length - 1 <= 0xfff).
	 * An access of no bits, of unknown bits or PRIV is never served here
	 * (the general path judges it); an empty entry grants nothing. */
	if (__builtin_expect(
		    ((pp ^ iova) | (length - 1) |
		     ((iova & 0xfff) + ((length - 1) & 0xfff))) <= 0xfff &&
			    access &&
			    !(access & ~(pp & (IOAS_PROT_READ | IOAS_PROT_WRITE |
					       IOAS_PROT_EXEC))) &&
			    __atomic_load_n(c->epoch, __ATOMIC_ACQUIRE) +
					    __atomic_load_n(e->counter,
							    __ATOMIC_ACQUIRE) ==
				    e->stamp,
		    1)) {
		c->hits++;
		return e;
	}
	return 0;
}

/*
 * ioas_iommu_translate(mmu, dev, 0, iova, length, access, out) of c's
 * device, answered from c when it can be. Same returns.
 */
static inline int ioas_iommu_translate_cached(struct ioas_iommu_tcache *c,
					      uint64_t iova, uint64_t length,
					      uint32_t access,
					      struct ioas_iommu_xlate *out)
{
	const struct ioas_iommu_tcache_entry *e =
		ioas_iommu_tcache_lookup(c, iova, length, access);

	if (e) {
		out->pa = iova + e->delta;
		out->length = length;
		out->prot = e->page_prot & 0xfff; /* fits: no cast (C++) */
		return 0;
	}
	return ioas_iommu_tcache_miss(c, iova, length, access, out);
}

/* Deferred mode: process every queued invalidation, in order. Strict mode:
 * nothing to do. Never fails. */
IOAS_EXPORT void ioas_iommu_sync(struct ioas_iommu *mmu);
/* Drop every cached translation. Never fails. */
IOAS_EXPORT void ioas_iommu_invalidate_all(struct ioas_iommu *mmu);

/* Take the oldest fault record. -ENOENT: the queue is empty. */
IOAS_EXPORT int ioas_iommu_fault_pop(struct ioas_iommu *mmu,
				     struct ioas_fault *out);

/* ---- page requests (recoverable faults) ----------------------------------- */

struct ioas_page_request {
	uint64_t id;           /* for the response */
	uint32_t dev_id;
	uint32_t pasid;
	uint64_t addr;         /* page-aligned IOVA (4 KiB) */
	uint32_t access;
	uint32_t reserved;
};

enum ioas_page_response {
	IOAS_PAGE_RESP_SUCCESS = 0, /* mapped: the retried access translates */
	IOAS_PAGE_RESP_INVALID = 1, /* the retried access faults for good */
};

/* The oldest unanswered page request. -ENOENT: none. */
IOAS_EXPORT int ioas_iommu_page_request_next(struct ioas_iommu *mmu,
					     struct ioas_page_request *out);
/* Answer request id. -ENOENT: no such request; -EINVAL: bad code. */
IOAS_EXPORT int ioas_iommu_page_respond(struct ioas_iommu *mmu, uint64_t id,
					uint32_t code);

/* ---- statistics ----------------------------------------------------------- */

struct ioas_iommu_stats {
	uint64_t faults;           /* fault records produced */
	uint64_t fault_overflow;   /* records dropped: queue full */
	uint64_t faults_queued;    /* records waiting in the queue */
	uint64_t page_requests;    /* page requests queued */
	uint64_t iotlb_hits, iotlb_misses, iotlb_inserts, iotlb_evictions;
	uint64_t inv_all, inv_domain, inv_pasid, inv_range;
	uint64_t entries_invalidated, stale_inserts_refused;
	uint64_t inv_pending;      /* DEFERRED: queued, not yet processed */
	uint64_t syncs;            /* queue drains (explicit, full, or map) */
	uint64_t walks;            /* page-table walks */
	uint64_t devices, groups, domains;
	/* hits served by the devices' own translation caches (ATC) before
	 * the IOTLB; counted without locked instructions, so concurrent
	 * translations of one device may undercount */
	uint64_t atc_hits;
};
IOAS_EXPORT void ioas_iommu_get_stats(struct ioas_iommu *mmu,
				      struct ioas_iommu_stats *out);

#ifdef __cplusplus
}
#endif

#endif
