/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The physical address space: what DMA reads and writes and where page
 * tables live. It is a set of disjoint regions over a 64-bit address space:
 *   RAM   backed by host memory, either owned (allocated and zeroed by the
 *         library) or borrowed (the caller's pointer, e.g. guest RAM);
 *   MMIO  device memory, optionally served by read/write callbacks;
 * and every address covered by no region is a hole.
 *
 * Threads: lookups, reads and writes may run concurrently with each other;
 * adding or removing regions needs exclusive access (the embedder sets up
 * its memory map before DMA starts, as a machine does).
 */
#ifndef IOAS_PHYS_H
#define IOAS_PHYS_H

#include "ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ioas_phys;

enum ioas_phys_kind {
	IOAS_PHYS_HOLE = 0,
	IOAS_PHYS_RAM = 1,
	IOAS_PHYS_MMIO = 2,
};

/* Callbacks of an MMIO region; `pa` is the absolute physical address.
 * Return 0 or a negative errno. */
struct ioas_mmio_ops {
	int (*read)(void *opaque, uint64_t pa, void *buf, size_t len);
	int (*write)(void *opaque, uint64_t pa, const void *buf, size_t len);
};

/* Region flags */
#define IOAS_PHYS_F_READONLY (1u << 0) /* RAM that DMA and tables may not write */

struct ioas_phys_region {
	uint32_t size;           /* sizeof(struct ioas_phys_region) */
	uint32_t flags;          /* IOAS_PHYS_F_* */
	uint32_t kind;           /* IOAS_PHYS_RAM or IOAS_PHYS_MMIO */
	uint32_t reserved;       /* must be 0 */
	uint64_t base;           /* first physical address */
	uint64_t length;         /* bytes, >= 1; base + length - 1 must not wrap */
	void *host;              /* RAM: NULL = owned and zeroed, else borrowed */
	const struct ioas_mmio_ops *mmio; /* MMIO: may be NULL (accesses fail) */
	void *mmio_opaque;
};

/* Create an empty physical address space (all holes). -ENOMEM */
IOAS_EXPORT int ioas_phys_create(struct ioas_ctx *ctx, struct ioas_phys **out)
	IOAS_WARN_UNUSED;
/* Destroy; owned RAM is freed. Every object using the space (registries,
 * page tables) must be destroyed first. Never fails. NULL is ignored. */
IOAS_EXPORT void ioas_phys_destroy(struct ioas_phys *phys);

/*
 * Add a region. Owned RAM must be a multiple of the context's page size.
 * -EINVAL: bad kind, zero length, reserved not zero, unaligned owned RAM
 * -EOVERFLOW: base + length - 1 wraps
 * -EEXIST: overlaps an existing region
 * -EOPNOTSUPP, -E2BIG: see base.h; -ENOMEM
 */
IOAS_EXPORT int ioas_phys_add(struct ioas_phys *phys,
			      const struct ioas_phys_region *region)
	IOAS_WARN_UNUSED;

/* Remove the region that starts at base.
 * -ENOENT: no region starts there; -EBUSY: memory is registered or holds
 * page tables. */
IOAS_EXPORT int ioas_phys_remove(struct ioas_phys *phys, uint64_t base);

struct ioas_phys_info {
	uint32_t kind;           /* enum ioas_phys_kind */
	uint32_t flags;          /* the region's IOAS_PHYS_F_* */
	struct ioas_range range; /* the region, or the whole hole around pa */
	void *host;              /* RAM: host pointer of range.start */
};

/* Describe what is at pa (never fails: a hole is an answer). */
IOAS_EXPORT void ioas_phys_lookup(const struct ioas_phys *phys, uint64_t pa,
				  struct ioas_phys_info *out);

/*
 * Copy len bytes between physical memory and buf. The access may span
 * adjacent regions. Every byte is checked before any is moved, so a failed
 * call reads or writes nothing (MMIO callbacks aside: they run in order and
 * the first error stops the access).
 * -EFAULT: a byte is in a hole, or in an MMIO region without that callback
 * -EOVERFLOW: pa + len - 1 wraps
 * -EACCES: write to read-only RAM
 * len = 0 succeeds and does nothing.
 */
IOAS_EXPORT int ioas_phys_read(const struct ioas_phys *phys, uint64_t pa,
			       void *buf, size_t len);
IOAS_EXPORT int ioas_phys_write(struct ioas_phys *phys, uint64_t pa,
				const void *buf, size_t len);

/*
 * The host pointer of pa when all of [pa, last] is RAM in one region, so
 * the caller can access it directly.
 * -EFAULT: not one RAM region; -EINVAL: last < pa.
 */
IOAS_EXPORT int ioas_phys_ptr(const struct ioas_phys *phys, uint64_t pa,
			      uint64_t last, void **host);

/* Visit every region in address order. Stops early when fn returns
 * non-zero and returns that value; 0 otherwise. */
IOAS_EXPORT int ioas_phys_for_each(const struct ioas_phys *phys,
				   int (*fn)(void *opaque,
					     const struct ioas_phys_info *info),
				   void *opaque);

#ifdef __cplusplus
}
#endif

#endif
