/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal view of the physical address space, for registries, page
 * tables and walkers that read memory the way hardware would. */
#ifndef IOAS_MEM_PHYS_H
#define IOAS_MEM_PHYS_H

#include <stdatomic.h>

#include <ioas/phys.h>

#include "core/ctx.h"

struct phys_region {
	uint64_t base, last;       /* inclusive */
	uint32_t kind;             /* enum ioas_phys_kind, never HOLE */
	uint32_t flags;            /* IOAS_PHYS_F_* */
	uint8_t *host;             /* RAM */
	bool owned;                /* host was allocated by us */
	const struct ioas_mmio_ops *mmio;
	void *mmio_opaque;
	_Atomic uint64_t users;    /* registrations / tables holding it */
};

struct ioas_phys {
	struct ioas_ctx *ctx;
	struct phys_region **regions; /* sorted by base, disjoint */
	size_t count, cap;
};

/* The region containing pa, or NULL for a hole. O(log regions). */
static inline const struct phys_region *phys_find(const struct ioas_phys *phys,
						  uint64_t pa)
{
	size_t lo = 0, hi = phys->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct phys_region *r = phys->regions[mid];

		if (pa < r->base)
			hi = mid;
		else if (pa > r->last)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* Host pointer for [pa, pa + len - 1] inside one RAM region, else NULL.
 * The fast path for walkers reading 8-byte entries. len >= 1. */
static inline void *phys_ram_ptr(const struct ioas_phys *phys, uint64_t pa,
				 uint64_t len)
{
	const struct phys_region *r = phys_find(phys, pa);

	if (!r || r->kind != IOAS_PHYS_RAM || len - 1 > r->last - pa)
		return NULL;
	return r->host + (pa - r->base);
}

/* Pin a region against removal (ioas_phys_remove gives -EBUSY). */
static inline void phys_region_get(const struct phys_region *r)
{
	atomic_fetch_add(&((struct phys_region *)(uintptr_t)r)->users, 1);
}
static inline void phys_region_put(const struct phys_region *r)
{
	atomic_fetch_sub(&((struct phys_region *)(uintptr_t)r)->users, 1);
}

#endif
