/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ATC: a tiny per-device translation cache in front of the IOTLB, what
 * a PCIe device's Address Translation Cache is to the IOMMU. It turns the
 * common case, a device touching the same few pages again and again (rings,
 * descriptors, a buffer being filled), into a handful of loads.
 *
 * Correctness leans entirely on what already invalidates the IOTLB:
 *   - the IOMMU keeps one epoch, bumped after every IOTLB invalidation has
 *     cleared its entries (iommu_tlb_changed);
 *   - an entry records the epoch read BEFORE the IOTLB lookup that filled
 *     it, and the binding tag (domain id, kind, flags) it was filled under;
 *   - a lookup hits only when both still match, so any invalidation, and
 *     any attach, detach or replace of the binding, empties it at once.
 * If a fill raced an invalidation, it recorded the old epoch (the bump
 * follows the clearing; an acquire load of the new epoch would have made
 * the clearing visible), so the entry is dead on arrival.
 *
 * Entries are seqlocked: lookups never write; a fill that finds the entry
 * busy simply skips. Direct mapped by 4 KiB page number.
 */
#ifndef IOAS_IOMMU_ATC_H
#define IOAS_IOMMU_ATC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "iotlb.h"

#define ATC_ENTRIES 8

struct atc_entry {
	_Atomic uint32_t seq;        /* odd while being written */
	_Atomic uint32_t pasid;
	_Atomic uint32_t prot;
	_Atomic uint32_t size_lg2;
	_Atomic uint64_t tag, epoch;
	_Atomic uint64_t page_iova, page_pa;
};

struct atc {
	struct atc_entry e[ATC_ENTRIES];
	_Atomic uint64_t hits;       /* counted by the hitting thread; see
				      * atc_count_hit */
};

static inline struct atc_entry *atc_slot(struct atc *a, uint64_t iova)
{
	return &a->e[(iova >> 12) & (ATC_ENTRIES - 1)];
}

static inline bool atc_lookup(struct atc *a, uint64_t tag, uint32_t pasid,
			      uint64_t epoch, uint64_t iova,
			      struct iotlb_hit *h)
{
	struct atc_entry *e = atc_slot(a, iova);
	uint32_t s = atomic_load_explicit(&e->seq, memory_order_acquire);
	uint64_t t, ep, pi, pp;
	uint32_t pas, pr, sz;

	if (s & 1)
		return false;
	t = atomic_load_explicit(&e->tag, memory_order_relaxed);
	ep = atomic_load_explicit(&e->epoch, memory_order_relaxed);
	pi = atomic_load_explicit(&e->page_iova, memory_order_relaxed);
	pp = atomic_load_explicit(&e->page_pa, memory_order_relaxed);
	pas = atomic_load_explicit(&e->pasid, memory_order_relaxed);
	pr = atomic_load_explicit(&e->prot, memory_order_relaxed);
	sz = atomic_load_explicit(&e->size_lg2, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&e->seq, memory_order_relaxed) != s)
		return false;
	/* tag 0 is "no binding": an empty entry never matches a live one */
	if (t != tag || ep != epoch || pas != pasid || !t || sz > 63 ||
	    (iova - pi) >> sz)
		return false;
	h->page_iova = pi;
	h->page_pa = pp;
	h->prot = pr;
	h->size_lg2 = sz;
	return true;
}

static inline void atc_fill(struct atc *a, uint64_t tag, uint32_t pasid,
			    uint64_t epoch, uint64_t iova,
			    const struct iotlb_hit *h)
{
	struct atc_entry *e = atc_slot(a, iova);
	uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);

	if ((s & 1) ||
	    !atomic_compare_exchange_strong_explicit(&e->seq, &s, s + 1,
						     memory_order_acquire,
						     memory_order_relaxed))
		return; /* another thread is filling it: skip */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&e->tag, tag, memory_order_relaxed);
	atomic_store_explicit(&e->epoch, epoch, memory_order_relaxed);
	atomic_store_explicit(&e->page_iova, h->page_iova, memory_order_relaxed);
	atomic_store_explicit(&e->page_pa, h->page_pa, memory_order_relaxed);
	atomic_store_explicit(&e->pasid, pasid, memory_order_relaxed);
	atomic_store_explicit(&e->prot, h->prot, memory_order_relaxed);
	atomic_store_explicit(&e->size_lg2, h->size_lg2, memory_order_relaxed);
	atomic_store_explicit(&e->seq, s + 2, memory_order_release);
}

/* A statistic, not a synchronisation: a plain load and store keep the hit
 * path free of locked instructions; concurrent hitters may lose counts. */
static inline void atc_count_hit(struct atc *a)
{
	atomic_store_explicit(&a->hits,
			      atomic_load_explicit(&a->hits,
						   memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

#endif
