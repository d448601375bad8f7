/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * I/O address spaces: the truth about what a device may reach at which IOVA.
 *
 * Window modes
 *   IOAS_WINDOWS_EXPLICIT  a new space has no valid IOVA; the caller creates
 *                          windows (base, length, page sizes) and maps must
 *                          lie inside one window (/dev/ioasid, SPAPR DDW).
 *   IOAS_WINDOWS_FULL      the whole aperture is valid except reserved
 *                          ranges (iommufd).
 * Pin modes
 *   IOAS_PIN_PREREG        maps must lie inside one registration of the
 *                          registry and pin nothing (SPAPR TCE v2).
 *   IOAS_PIN_ON_MAP        each map resolves and pins its own pages and
 *                          charges the ones not pinned already (type1).
 *   A map with IOAS_MAP_PHYS names a physical address directly (a one-sided
 *   mapping of memory the embedder manages, as virtio-iommu MAP does) and
 *   pins nothing in either mode.
 *
 * Rules every call keeps: ranges are [start, last] inclusive; a failed call
 * changes nothing; unmap never splits a mapping and never allocates.
 *
 * Structure: mappings live in an AVL interval tree augmented with the
 * largest free gap of each subtree, so lookup, insert and removal are
 * O(log n) and IOVA allocation skips full regions without scanning.
 * Not thread-safe: serialise calls on one address space (and on the
 * registry it shares with others).
 */
#ifndef IOAS_AS_H
#define IOAS_AS_H

#include "mm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ioas_as;

enum ioas_window_mode {
	IOAS_WINDOWS_EXPLICIT = 0,
	IOAS_WINDOWS_FULL = 1,
};

enum ioas_pin_mode {
	IOAS_PIN_PREREG = 0,
	IOAS_PIN_ON_MAP = 1,
};

struct ioas_as_config {
	uint32_t size;           /* sizeof(struct ioas_as_config) */
	uint32_t flags;          /* none defined: 0 */
	uint32_t window_mode;    /* enum ioas_window_mode */
	uint32_t pin_mode;       /* enum ioas_pin_mode */
	/* FULL: page sizes of the space (0 = the context's page size) and
	 * the valid aperture (start = last = 0 means all 64 bits). */
	uint64_t pgsize_bitmap;
	struct ioas_range aperture;
	/* EXPLICIT: most windows at once (0 = 2, as SPAPR), at most 64. */
	uint32_t max_windows;
	uint32_t reserved;       /* must be 0 */
};

/* -EINVAL: bad mode; pgsize_bitmap with a size below the context page
 * size; aperture start > last or not aligned to the smallest page size
 * (last + 1 must be aligned unless last is UINT64_MAX); max_windows > 64;
 * reserved not 0.  -EOPNOTSUPP, -E2BIG, -ENOMEM */
IOAS_EXPORT int ioas_as_create(struct ioas_mm *mm,
			       const struct ioas_as_config *cfg,
			       struct ioas_as **out) IOAS_WARN_UNUSED;
/* Unmap everything (unpinning), free the space. Never fails. NULL ignored. */
IOAS_EXPORT void ioas_as_destroy(struct ioas_as *as);

/* ---- windows (EXPLICIT mode) -------------------------------------------- */

struct ioas_window {
	uint32_t size;           /* sizeof(struct ioas_window) */
	uint32_t flags;          /* none defined: 0 */
	uint64_t base;           /* first IOVA, aligned to the largest page size */
	uint64_t length;         /* bytes, a multiple of the largest page size */
	uint64_t pgsize_bitmap;  /* page sizes usable in the window, each >= the
				  * context page size */
};

/*
 * Create a window.
 * -EINVAL: FULL mode, bad page sizes, zero length, misaligned base/length
 * -EOVERFLOW: base + length - 1 wraps
 * -EEXIST: overlaps another window
 * -ENOSPC: max_windows windows exist already
 * -EOPNOTSUPP, -E2BIG, -ENOMEM
 * Order: -E2BIG/-EOPNOTSUPP, -EINVAL, -EOVERFLOW, -EEXIST, -ENOSPC, -ENOMEM.
 */
IOAS_EXPORT int ioas_as_window_create(struct ioas_as *as,
				      const struct ioas_window *win)
	IOAS_WARN_UNUSED;

/*
 * Remove the window that starts at base.
 * -ENOENT: no window starts there; -EBUSY: it holds mappings;
 * -EADDRINUSE: it contains part of an allowed range.
 */
IOAS_EXPORT int ioas_as_window_remove(struct ioas_as *as, uint64_t base);

/* ---- reserved and allowed ranges ------------------------------------------- */

/*
 * Reserve [start, last]: never valid for maps (an MSI doorbell, a device's
 * reserved region). Reservations may overlap each other and are counted:
 * reserving a range twice needs two unreserves to free it.
 * -EINVAL: start > last; -EADDRINUSE: overlaps a mapping or an allowed
 * range; -ENOMEM
 */
IOAS_EXPORT int ioas_as_reserve(struct ioas_as *as, uint64_t start,
				uint64_t last) IOAS_WARN_UNUSED;
/* Drop the reservation of exactly [start, last]. -ENOENT */
IOAS_EXPORT int ioas_as_unreserve(struct ioas_as *as, uint64_t start,
				  uint64_t last);

/*
 * Replace the allowed ranges (iommufd ALLOW_IOVAS): the caller promises to
 * keep these IOVAs usable, so later reservations or window removals that
 * would break them fail with -EADDRINUSE, and IOVA allocation happens only
 * inside them while any are set (overlapping and adjacent ranges merged).
 * Query reports them as given. n = 0 clears them.
 * -EINVAL: a range with start > last; -EADDRINUSE: a range is not wholly
 * usable now (outside every window or the aperture, or reserved); -ENOMEM
 */
IOAS_EXPORT int ioas_as_allow(struct ioas_as *as,
			      const struct ioas_range *ranges, size_t n)
	IOAS_WARN_UNUSED;

/* ---- query ------------------------------------------------------------------- */

struct ioas_as_info {
	uint32_t size;           /* sizeof(struct ioas_as_info) */
	uint32_t flags;          /* 0 */
	/* out */
	uint32_t window_mode, pin_mode;
	uint32_t max_windows;    /* EXPLICIT; 1 for FULL (the aperture) */
	uint32_t windows_left;
	uint64_t pgsize_bitmap;  /* union of the page sizes of all windows */
	uint64_t alignment;      /* smallest page size: IOVA granularity
				  * (0 while no window exists) */
	uint64_t mappings;       /* number of mappings */
	uint64_t mapped_bytes;
	/* in: capacity of the arrays (entries); out: entries needed */
	uint32_t num_usable;     /* each window (or the aperture) minus the
				  * reservations, in address order; pieces of
				  * adjacent windows are not merged */
	uint32_t num_reserved;   /* reservations, overlapping and adjacent
				  * ones merged, sorted */
	uint32_t num_windows;    /* windows in address order (FULL: the
				  * aperture) */
	uint32_t num_allowed;    /* as last given to ioas_as_allow */
	struct ioas_range *usable;
	struct ioas_range *reserved;
	struct ioas_range *windows;
	struct ioas_range *allowed;
};

/*
 * Fill info. Each array may be NULL when its capacity is 0.
 * -EMSGSIZE: some array was too small; every num_* then holds the count
 * needed, the scalar fields are filled, and no array is written.
 */
IOAS_EXPORT int ioas_as_query(const struct ioas_as *as,
			      struct ioas_as_info *info);

/* ---- mappings --------------------------------------------------------------- */

/* Map flags */
#define IOAS_MAP_FIXED_IOVA (1u << 0) /* map at iova, else allocate one */
#define IOAS_MAP_PHYS       (1u << 1) /* addr is a physical address */

struct ioas_map {
	uint32_t size;           /* sizeof(struct ioas_map) */
	uint32_t flags;          /* IOAS_MAP_* */
	uint32_t prot;           /* IOAS_PROT_READ|WRITE (|EXEC|PRIV|MMIO) */
	uint32_t reserved;       /* must be 0 */
	uint64_t iova;           /* FIXED_IOVA: in; else out */
	uint64_t length;         /* bytes */
	uint64_t addr;           /* uaddr (or physical address with MAP_PHYS) */
};

/*
 * Map [iova, iova + length - 1] to the memory at addr.
 * -EINVAL: length 0; iova, length or addr not aligned to the smallest page
 *          size of the window; prot without READ or WRITE; the range is
 *          outside every window / the aperture, crosses a window edge, or
 *          touches a reserved range; reserved field not 0
 * -EOPNOTSUPP: unknown flag or prot bit
 * -EOVERFLOW: iova + length - 1 or addr + length - 1 wraps
 * -EEXIST: overlaps an existing mapping
 * -EFAULT: PREREG: [addr, ...] is not inside one registration;
 *          PIN_ON_MAP: a page does not resolve to RAM
 *          (a PREREG map uses the containing registration with the lowest
 *          uaddr, then the shortest, and holds it busy until unmapped)
 * -EPERM: WRITE on a READONLY registration (PREREG) or on read-only RAM
 *         (PIN_ON_MAP); MAP_PHYS mappings are not checked against memory
 * -ENOSPC: no free IOVA range of that size (allocation)
 * -ENOMEM: no memory, or past the locked-memory limit (PIN_ON_MAP)
 * -E2BIG: see base.h
 *
 * When several errors apply, the first of these groups is returned:
 *   1. -E2BIG, -EOPNOTSUPP, -EINVAL for the struct itself (size, flags,
 *      reserved, prot, length 0)
 *   2. -EOVERFLOW (iova first, then addr)
 *   3. placement: FIXED: -EINVAL (window, alignment, reserved), then
 *      -EEXIST; allocation: -EINVAL when windows exist but none has a
 *      smallest page size dividing length and addr, then -ENOSPC (also
 *      when no window exists)
 *   4. backing: -EFAULT, then -EPERM
 *   5. -ENOMEM
 * Allocation: the alignment is the largest power of two not above length,
 * lowered to the lowest set bit of addr (when addr != 0). The candidate
 * ranges are the usable ranges (see ioas_as_info) intersected with the
 * allowed ranges when any are set, with IOVA 0 removed, in address order;
 * only windows whose smallest page size divides iova/length/addr are
 * candidates. In each candidate in turn the itree_find_free policy applies
 * (src/util/itree.h: the first hole that surely fits, else the lowest exact
 * fit); the first candidate that yields an address wins.
 */
IOAS_EXPORT int ioas_as_map(struct ioas_as *as, struct ioas_map *map)
	IOAS_WARN_UNUSED;

/*
 * Unmap every mapping that lies wholly inside [iova, last] and store the
 * bytes removed in *unmapped (may be NULL).
 * -ENOENT: some mapping is only partly inside (nothing is removed), or no
 *          mapping is inside at all
 * -EINVAL: iova > last
 * Never allocates.
 */
IOAS_EXPORT int ioas_as_unmap(struct ioas_as *as, uint64_t iova, uint64_t last,
			      uint64_t *unmapped);

/* Unmap everything; returns the bytes removed. Never fails. */
IOAS_EXPORT uint64_t ioas_as_unmap_all(struct ioas_as *as);

struct ioas_copy {
	uint32_t size;           /* sizeof(struct ioas_copy) */
	uint32_t flags;          /* IOAS_MAP_FIXED_IOVA */
	uint32_t prot;           /* prot of the new mappings */
	uint32_t reserved;
	uint64_t dst_iova;       /* FIXED_IOVA: in; else out */
	uint64_t src_iova;
	uint64_t length;
};

/*
 * Map into dst the memory that src maps at [src_iova, src_iova + length - 1],
 * at dst_iova, without charging anything again: a piece of PREREG memory
 * uses the same registration (which stays busy while either mapping
 * exists); a piece of a PIN_ON_MAP mapping pins exactly its own pages,
 * which are pinned already, so they stay pinned while either mapping
 * exists and the rest of the source pin goes when the source mapping does.
 * (Every page is pinned while some registration or mapping covers it, and
 * charged once.) The source range must be covered by mappings without
 * holes; it may start or end inside a mapping. dst gets one mapping per
 * source mapping (piece) so each keeps one backing.
 * -EXDEV: the spaces do not share a registry
 * -ENOENT: a hole in the source range
 * -EPERM: WRITE requested but some source memory is read-only: a READONLY
 *         registration, or the pin of a PIN_ON_MAP mapping made without
 *         WRITE (pinned for reading only); MAP_PHYS pieces are not checked
 * otherwise as ioas_as_map for the destination, with each piece's iova,
 * length and addr checked against the destination window's page size.
 * Order: -EXDEV; struct errors (as map group 1, length 0 included);
 * -EOVERFLOW (src then dst); -ENOENT; placement (as map group 3); -EPERM;
 * -ENOMEM.
 */
IOAS_EXPORT int ioas_as_copy(struct ioas_as *dst, const struct ioas_as *src,
			     struct ioas_copy *copy) IOAS_WARN_UNUSED;

struct ioas_mapping_info {
	uint64_t iova, last;
	uint64_t addr;           /* uaddr, or physical address (MAP_PHYS) */
	uint32_t prot;
	uint32_t flags;          /* IOAS_MAP_PHYS when one-sided */
};

/* Visit the mappings that intersect [start, last] in IOVA order; stops
 * early when fn returns non-zero and returns that value. */
IOAS_EXPORT int ioas_as_for_each(const struct ioas_as *as, uint64_t start,
				 uint64_t last,
				 int (*fn)(void *opaque,
					   const struct ioas_mapping_info *m),
				 void *opaque);

/*
 * Resolve iova through the mappings (not through any page table): *pa gets
 * the physical address, *prot the mapping's prot, and the return value is
 * how many bytes from iova to the end of its mapping are physically
 * contiguous (>= 1). -ENOENT: not mapped.
 */
IOAS_EXPORT int64_t ioas_as_lookup(const struct ioas_as *as, uint64_t iova,
				   uint64_t *pa, uint32_t *prot);

#ifdef __cplusplus
}
#endif

#endif
