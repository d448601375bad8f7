/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal view of the registry: backings (registrations and the implicit
 * pins of pin-on-map mappings) and the page pin counts behind accounting. */
#ifndef IOAS_MEM_MM_H
#define IOAS_MEM_MM_H

#include <ioas/mm.h>

#include "mem/phys.h"
#include "util/itree.h"

/* A physically contiguous piece of a backing. */
struct mm_extent {
	uint64_t off;                     /* from the backing's uaddr */
	uint64_t len;
	uint64_t pa;
	const struct phys_region *region; /* held with phys_region_get */
};

/* Memory that mappings take their pages from: a registration (visible in
 * the registry), or the private pin of one pin-on-map mapping (which
 * copies share). Freed when neither registered nor referenced. */
struct mm_backing {
	struct ioas_mm *mm;
	uint64_t uaddr, length;
	uint32_t flags;          /* IOAS_REG_READONLY | IOAS_REG_LINEAR */
	bool registered;
	uint64_t refs;           /* mappings using it */
	size_t nr_extents;
	struct mm_extent *extents;
};

struct ioas_mm {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct itree pins;       /* pin_seg: uaddr pages with their pin count */
	uint64_t pinned_bytes;
	struct mm_backing **regs; /* registrations sorted by (uaddr, length) */
	size_t nr_regs, cap_regs;
	uint64_t users;          /* address spaces created on it */
};

/* The registration a PREREG map of [uaddr, uaddr+len-1] uses, or NULL. */
struct mm_backing *mm_find_reg(const struct ioas_mm *mm, uint64_t uaddr,
			       uint64_t len);

/* Resolve and pin [uaddr, ...] as a private backing (PIN_ON_MAP).
 * -EFAULT, -EPERM (write on read-only RAM), -ENOMEM. */
int mm_pin_backing(struct ioas_mm *mm, uint64_t uaddr, uint64_t len,
		   bool write, struct mm_backing **out);

/* A private backing for [off, off + len - 1] of src (a pin-on-map copy
 * piece): it pins exactly its own pages, so releasing src later unpins what
 * no mapping uses any more. Charges nothing (src pins the pages) but may
 * allocate: -ENOMEM. */
int mm_sub_backing(struct mm_backing *src, uint64_t off, uint64_t len,
		   struct mm_backing **out);

/* Release a private backing no mapping has referenced yet (rollback). */
void mm_backing_discard(struct mm_backing *b);

static inline void mm_backing_get(struct mm_backing *b)
{
	b->refs++;
}
/* Drop a mapping's reference; frees an unregistered backing. */
void mm_backing_put(struct mm_backing *b);

/* The physically contiguous stretch of the backing around the byte at
 * `off`, clipped to [lo, hi] (offsets, lo <= off <= hi): its first and last
 * offset and the physical address of its first byte. */
void mm_backing_stretch(const struct mm_backing *b, uint64_t off,
			uint64_t lo, uint64_t hi, uint64_t *first,
			uint64_t *last, uint64_t *pa);

#endif
