/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory registration (SPAPR TCE v2 "pre-registration", iommufd pinning).
 *
 * An ioas_mm is a registry of caller memory in one "user address space"
 * (the addresses a process would pass to VFIO_IOMMU_MAP_DMA: uaddr). A
 * range of it resolves to physical memory in one of two ways:
 *   - linear: the caller names the physical base (IOAS_REG_LINEAR);
 *   - resolved: uaddr is a host address, and each page is found through the
 *     RAM regions of the physical address space whose host memory holds it
 *     (a VMM's HVA -> GPA), page by page, so one registration may cover
 *     several regions.
 * Pages are pinned and charged to the context's locked-memory limit once:
 * a page covered by several registrations, or registered and also pinned
 * by a pin-on-map mapping of the same registry, is charged once. Pins keep
 * the RAM regions from being removed.
 *
 * Address spaces (as.h) are created on a registry and take their backing
 * from it; several address spaces may share one registry.
 * Not thread-safe: serialise calls on one registry and its address spaces.
 */
#ifndef IOAS_MM_H
#define IOAS_MM_H

#include "phys.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ioas_mm;

/* Create a registry resolving through phys. -EINVAL, -ENOMEM */
IOAS_EXPORT int ioas_mm_create(struct ioas_ctx *ctx, struct ioas_phys *phys,
			       struct ioas_mm **out) IOAS_WARN_UNUSED;
/* Destroy; every address space created on it must be destroyed first.
 * Remaining registrations are unregistered. Never fails. NULL ignored. */
IOAS_EXPORT void ioas_mm_destroy(struct ioas_mm *mm);

/* Registration flags */
#define IOAS_REG_LINEAR   (1u << 0) /* `phys` is the physical address of uaddr */
#define IOAS_REG_READONLY (1u << 1) /* the memory may only be mapped readable */

struct ioas_reg {
	uint32_t size;    /* sizeof(struct ioas_reg) */
	uint32_t flags;   /* IOAS_REG_* */
	uint64_t uaddr;   /* first byte, page aligned */
	uint64_t length;  /* bytes, a non-zero multiple of the page size */
	uint64_t phys;    /* IOAS_REG_LINEAR only (else must be 0); page aligned */
};

/*
 * Register [uaddr, uaddr + length - 1].
 * -EINVAL: uaddr, length or phys not page aligned, length 0, phys set
 *          without IOAS_REG_LINEAR
 * -EOVERFLOW: uaddr + length - 1 (or phys + length - 1) wraps
 * -EEXIST: exactly this range is already registered
 * -EFAULT: some page is not RAM (linear: [phys, ...] is not all RAM;
 *          resolved: no RAM region's host memory holds the page)
 * -EACCES: writable registration of read-only RAM
 * -ENOMEM: past the locked-memory limit (nothing is charged) or no memory
 * -EOPNOTSUPP, -E2BIG: see base.h
 * Order: -E2BIG/-EOPNOTSUPP, -EINVAL, -EOVERFLOW, -EEXIST, -EFAULT,
 * -EACCES, -ENOMEM.
 */
IOAS_EXPORT int ioas_mm_register(struct ioas_mm *mm, const struct ioas_reg *reg)
	IOAS_WARN_UNUSED;

/*
 * Unregister the registration of exactly [uaddr, uaddr + length - 1].
 * -ENOENT: no registration has exactly that start and length (one that
 *          merely overlaps is not unregistered)
 * -EBUSY: a mapping of some address space still uses it
 */
IOAS_EXPORT int ioas_mm_unregister(struct ioas_mm *mm, uint64_t uaddr,
				   uint64_t length);

struct ioas_reg_info {
	uint64_t uaddr, length;
	uint32_t flags;        /* IOAS_REG_READONLY, IOAS_REG_LINEAR */
	uint32_t reserved;
	uint64_t mappings;     /* mappings using it, over all address spaces */
};

/* Visit registrations in uaddr order; stops early when fn returns non-zero
 * and returns that value. */
IOAS_EXPORT int ioas_mm_for_each(const struct ioas_mm *mm,
				 int (*fn)(void *opaque,
					   const struct ioas_reg_info *info),
				 void *opaque);

/* Bytes pinned by this registry (each page once). */
IOAS_EXPORT uint64_t ioas_mm_pinned_bytes(const struct ioas_mm *mm);

/*
 * Resolve [uaddr, uaddr + length - 1] as host memory, as a pin-on-map
 * would, without pinning: *pa gets the physical address of uaddr and the
 * return value is the number of bytes from uaddr that are physically
 * contiguous (>= 1, at most length), across region edges where both the
 * host and the physical addresses continue.
 * -EINVAL: length 0, or uaddr/length not page aligned; -EOVERFLOW;
 * -EFAULT: some page of the range does not resolve.
 */
IOAS_EXPORT int64_t ioas_mm_resolve(const struct ioas_mm *mm, uint64_t uaddr,
				    uint64_t length, uint64_t *pa);

#ifdef __cplusplus
}
#endif

#endif
