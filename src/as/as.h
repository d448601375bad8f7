/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal view of an I/O address space. */
#ifndef IOAS_AS_AS_H
#define IOAS_AS_AS_H

#include <ioas/as.h>

#include "mem/mm.h"
#include "util/itree.h"

#define AS_MAX_WINDOWS 64

struct as_window {
	struct ioas_range r;
	uint64_t pgsize_bitmap;
	uint64_t min_pgsize;
	uint64_t nmappings;
};

struct as_mapping {
	struct itree_node node;      /* [iova, last] */
	struct mm_backing *backing;  /* NULL for IOAS_MAP_PHYS */
	uint64_t addr;               /* uaddr (or pa) of node.start */
	uint32_t prot, flags;
	struct as_window *win;
};

/*
 * A listener follows the space's mappings (an attached domain's page table).
 * map() gets each physically contiguous run of a new mapping and may fail
 * (the map then fails and the runs already mirrored are unmapped); unmap()
 * gets whole mappings (every run inside was mapped before), after they left
 * the tree, and cannot fail. map may be NULL: the listener keeps nothing of
 * a new mapping (it reads the tree) and is not told of one; unmap() still
 * comes when a mapping leaves.
 * lock()/unlock(), when set, are held around every change of the mapping
 * tree together with the map()/unmap() calls that go with it: a listener
 * that reads the tree itself from other threads (a HOST domain, through
 * as_mapping_run) does so under the same lock, and sees the tree and its
 * own state change at once. Locks of several listeners are taken in list
 * order.
 */
struct as_listener;
struct as_listener_ops {
	int (*map)(struct as_listener *l, uint64_t iova, uint64_t last,
		   uint64_t pa, uint32_t prot);
	void (*unmap)(struct as_listener *l, uint64_t iova, uint64_t last);
	void (*lock)(struct as_listener *l);
	void (*unlock)(struct as_listener *l);
};
struct as_listener {
	const struct as_listener_ops *ops;
	struct as_listener *next;
};

struct ioas_as {
	struct ioas_ctx *ctx;
	struct ioas_mm *mm;
	uint32_t window_mode, pin_mode, max_windows;
	struct as_window *windows[AS_MAX_WINDOWS]; /* sorted, disjoint */
	size_t nr_windows;
	struct ioas_range *resv;     /* sorted by (start, last); may overlap */
	size_t nr_resv, cap_resv;
	struct ioas_range *allowed;  /* as given to ioas_as_allow */
	struct ioas_range *allowed_merged; /* sorted, merged */
	size_t nr_allowed, nr_allowed_merged, cap_allowed_merged;
	struct itree maps;
	uint64_t mapped_bytes;
	/* freed mappings kept for the next map (linked by node.parent): a
	 * guest that maps and unmaps a buffer per I/O allocates nothing */
	struct itree_node *spare;
	uint32_t nr_spare;
	struct as_listener *listeners;
};

/* Attach a listener and replay every mapping into it; on failure nothing
 * stays mirrored and the error is returned. */
int as_listener_attach(struct ioas_as *as, struct as_listener *l);
/* Detach a listener after unmapping every mapping from it. Never fails. */
void as_listener_detach(struct ioas_as *as, struct as_listener *l);

static inline struct as_mapping *as_mapping_of(struct itree_node *n)
{
	return n ? itree_entry(n, struct as_mapping, node) : NULL;
}

/* The physically contiguous run of m that holds iova (inside m): its
 * first and last IOVA and the physical address of its first byte. */
struct as_run {
	uint64_t start, last, pa;
};
void as_mapping_run(const struct as_mapping *m, uint64_t iova,
		    struct as_run *r);

/* Free the spare mappings (destroy). */
void as_spares_free(struct ioas_as *as);

/* The window that contains iova, or NULL. */
struct as_window *as_window_find(const struct ioas_as *as, uint64_t iova);

/* ioas_as_map of [iova, last] -> pa with IOAS_MAP_FIXED_IOVA |
 * IOAS_MAP_PHYS and prot, without the size-versioned structure (the
 * virtio-iommu device's MAP). Its returns; -EINVAL also for iova > last
 * and for all of the 64-bit space (no length says it). */
int as_map_phys(struct ioas_as *as, uint64_t iova, uint64_t last,
		uint64_t pa, uint32_t prot);

/* True when [start, last] touches a reserved range. */
bool as_reserved_overlaps(const struct ioas_as *as, uint64_t start,
			  uint64_t last);

/* Visit the usable pieces (each window minus merged reservations) in
 * address order; stop when fn returns non-zero and return that. */
int as_for_each_usable(const struct ioas_as *as,
		       int (*fn)(void *opaque, const struct as_window *w,
				 uint64_t start, uint64_t last),
		       void *opaque);

/* The caller will pick every IOVA of as (virtio-iommu: the guest does):
 * the mapping tree stops keeping what the free-space search needs, which
 * costs every map and unmap a walk to the root. An allocation all the
 * same brings it back, once, in O(mappings) (itree_set_gaps). */
void as_fixed_iova_only(struct ioas_as *as);

/* Find an IOVA for `length` bytes whose page-size constraints are met by
 * `granule_or` (OR of every length/address that must be aligned). Returns
 * 0, -EINVAL (windows exist, none fits the alignment) or -ENOSPC. */
int as_alloc_iova(struct ioas_as *as, uint64_t length, uint64_t addr,
		  uint64_t granule_or, uint64_t *iova);

#endif
