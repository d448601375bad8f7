/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ATC: a per-device translation cache in front of the IOTLB, what a
 * PCIe device's Address Translation Cache is to the IOMMU. It turns the
 * common case, a device touching pages it touched before or that were
 * just mapped for it (rings, descriptors, buffers), into a handful of
 * loads. Direct mapped by 4 KiB page number; every entry holds exactly one
 * 4 KiB page, whatever the size of the IOTLB entry or mapping it came
 * from, so an invalidation only has to name the pages it covers.
 *
 * Invalidation, without any list of which device caches what:
 *   - range invalidations (every unmap) bump the counters of an IOMMU-wide
 *     invalidation filter, one counter per hash of (domain id, 4 KiB
 *     page), after the IOTLB entries are cleared (iommu_tlb_changed_range);
 *   - everything else (whole domain, PASID, global, ranges larger than
 *     ATC_FILTER_MAX_PAGES) bumps one IOMMU-wide epoch instead, and so do
 *     RID binding changes and stopping a device (for the caches callers
 *     hold, which check neither the binding nor the flag: tcache.c);
 *   - an entry records the epoch plus its page's filter counter, read
 *     BEFORE the IOTLB lookup or walk that produced it, and the binding tag
 *     (domain id, kind, flags) and PASID it was filled under;
 *   - a lookup hits only while all three still match. So an unmap empties
 *     exactly the entries of its pages (and, rarely, of pages whose counter
 *     collides), other devices' and other pages' entries survive, and any
 *     attach, detach or replace of the binding empties the device at once.
 * A fill that raced an invalidation recorded the old value (the bump
 * follows the clearing; an acquire load of the new value would have made
 * the clearing visible to the lookup), so the entry is dead on arrival.
 * (A translate compares with the epoch it read at its start, so a stamp
 * can match across bumps that all happen during that very call: it then
 * returns a translation that was valid at a moment inside the call, which
 * is all a translate racing an unmap may expect.)
 *
 * Entries are seqlocked: lookups never write. One filler at a time writes
 * an ATC (its fill lock, one compare-and-swap for a whole MAP's prefetch,
 * not one an entry); a filler that finds the lock taken simply skips.
 *
 * An entry a MAP's prefetch wrote also names the run it belongs to, with
 * the epoch plus its domain's counter at the MAP (atc_domain_slot, bumped
 * by every range invalidation of the domain wider than a page): the caches
 * callers hold take the whole run as one entry while that sum stands
 * (tcache.c).
 */
#ifndef IOAS_IOMMU_ATC_H
#define IOAS_IOMMU_ATC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "iotlb.h"

#define ATC_PAGE_LG2 12
#define ATC_DEFAULT_ENTRIES 64u
#define ATC_MAX_ENTRIES 65536u
/* Filter counters: 32 KiB per IOMMU. */
#define ATC_FILTER_LG2 12
/* A range of more pages than this bumps the epoch instead (one atomic
 * instead of one per page). */
#define ATC_FILTER_MAX_PAGES 64u

/* An entry's key: the binding tag (flags in bits 0..7, domain id in 32..63)
 * with the PASID in bits 8..27. */
#define ATC_PASID_SHIFT 8

struct atc_entry {
	_Atomic uint32_t seq;        /* odd while being written */
	uint32_t pad;
	_Atomic uint64_t key;        /* tag | pasid << ATC_PASID_SHIFT */
	/* epoch + the page's filter counter: both only grow, so the sum
	 * stays equal exactly while neither moved */
	_Atomic uint64_t stamp;
	_Atomic uint64_t page_iova;  /* 4 KiB aligned */
	_Atomic uint64_t pa_prot;    /* page pa | IOAS_PROT_* */
	/* The physically contiguous run of one prot the page was mapped in,
	 * when the filler knew it (a MAP's prefetch), with the epoch plus the
	 * domain's counter (atc_domain_slot) read before the run was mapped:
	 * while that sum stands, no range of the domain wider than a page was
	 * invalidated, and the run (a whole mapping of two pages or more)
	 * could only have changed with one, so every page of it still
	 * translates alike. run_last 0: none. */
	_Atomic uint64_t run_first, run_last, run_stamp;
};

/* What atc_put records of a run, and atc_lookup_run returns. */
struct atc_run {
	uint64_t first, last, stamp;
};

struct atc {
	struct atc_entry *e;
	uint32_t mask;               /* entries - 1 */
	_Atomic uint64_t hits;       /* counted by the hitting thread; see
				      * atc_count_hit */
	/* held by the one filler writing entries (atc_fill_begin); on a line
	 * of its own, away from what lookups read */
	_Alignas(64) _Atomic uint32_t filling;
};

/* The IOMMU-wide filter. */
struct atc_filter {
	_Atomic uint64_t c[1u << ATC_FILTER_LG2];
};

static inline uint64_t atc_key(uint64_t tag, uint32_t pasid)
{
	return tag | (uint64_t)pasid << ATC_PASID_SHIFT;
}

static inline _Atomic uint64_t *atc_filter_slot(struct atc_filter *f,
						uint32_t dom, uint64_t iova)
{
	uint64_t x = ((iova >> ATC_PAGE_LG2) ^ ((uint64_t)dom << 40)) *
		     0x9E3779B97F4A7C15ull;

	return &f->c[x >> (64 - ATC_FILTER_LG2)];
}

/* The domain's counter: bumped by every range invalidation of domain id
 * dom that spans more than one page, whatever its pages
 * (iommu_tlb_changed_range). A collision with a page's counter only costs
 * extra misses. */
static inline _Atomic uint64_t *atc_domain_slot(struct atc_filter *f,
						uint32_t dom)
{
	uint64_t x = ((uint64_t)dom * 0xC2B2AE3D27D4EB4Full) ^
		     0x165667B19E3779F9ull;

	return &f->c[(x * 0x9E3779B97F4A7C15ull) >> (64 - ATC_FILTER_LG2)];
}

/* What an entry filled now for iova of domain id dom must record: read
 * BEFORE the IOTLB lookup or walk whose result it caches. */
static inline uint64_t atc_stamp(struct atc_filter *f, uint64_t epoch,
				 uint32_t dom, uint64_t iova)
{
	return epoch + atomic_load_explicit(atc_filter_slot(f, dom, iova),
					    memory_order_acquire);
}

static inline struct atc_entry *atc_slot(const struct atc *a, uint64_t iova)
{
	return &a->e[(iova >> ATC_PAGE_LG2) & a->mask];
}

/* key from atc_key (never 0: the tag of a binding is not); stamp: what an
 * entry of iova's page must record to be live, atc_stamp read before the
 * call (a later invalidation then only makes the answer one that was valid
 * at that read). A hit is the 4 KiB page holding iova; with run, also the
 * entry's run (last 0: none). */
static inline bool atc_lookup_run(const struct atc *a, uint64_t key,
				  uint64_t stamp, uint64_t iova,
				  struct iotlb_hit *h, struct atc_run *run)
{
	struct atc_entry *e = atc_slot(a, iova);
	uint32_t s = atomic_load_explicit(&e->seq, memory_order_acquire);
	uint64_t pi, pp;

	/* each word tested as it is read (fewer values live at once: the
	 * translate fast path saves fewer registers); any mismatch is a
	 * miss, torn or not */
	if ((s & 1) ||
	    atomic_load_explicit(&e->key, memory_order_relaxed) != key)
		return false;
	pi = atomic_load_explicit(&e->page_iova, memory_order_relaxed);
	if ((iova ^ pi) >> ATC_PAGE_LG2 ||
	    atomic_load_explicit(&e->stamp, memory_order_relaxed) != stamp)
		return false;
	pp = atomic_load_explicit(&e->pa_prot, memory_order_relaxed);
	if (run) {
		run->first = atomic_load_explicit(&e->run_first,
						  memory_order_relaxed);
		run->last = atomic_load_explicit(&e->run_last,
						 memory_order_relaxed);
		run->stamp = atomic_load_explicit(&e->run_stamp,
						  memory_order_relaxed);
	}
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&e->seq, memory_order_relaxed) != s)
		return false;
	h->page_iova = pi;
	h->page_pa = pp & ~(((uint64_t)1 << ATC_PAGE_LG2) - 1);
	h->prot = (uint32_t)(pp & (((uint64_t)1 << ATC_PAGE_LG2) - 1));
	h->size_lg2 = ATC_PAGE_LG2;
	return true;
}

static inline bool atc_lookup(const struct atc *a, uint64_t key,
			      uint64_t stamp, uint64_t iova,
			      struct iotlb_hit *h)
{
	return atc_lookup_run(a, key, stamp, iova, h, NULL);
}

/* Take a's fill lock: true, or false when another filler holds it (skip:
 * it is a cache). Every atc_put goes between this and atc_fill_end. */
static inline bool atc_fill_begin(struct atc *a)
{
	uint32_t free_ = 0;

	return atomic_load_explicit(&a->filling, memory_order_relaxed) == 0 &&
	       atomic_compare_exchange_strong_explicit(&a->filling, &free_, 1,
						       memory_order_acquire,
						       memory_order_relaxed);
}

static inline void atc_fill_end(struct atc *a)
{
	atomic_store_explicit(&a->filling, 0, memory_order_release);
}

/*
 * Cache the 4 KiB page holding iova, taken from h (any page size); stamp
 * from atc_stamp before the lookup or walk that gave h; run: the run the
 * page lies in (see struct atc_entry), or NULL. The fill lock is held, so
 * the entry's sequence needs no atomic read-modify-write.
 */
static inline void atc_put(struct atc *a, uint64_t key, uint64_t stamp,
			   uint64_t iova, const struct iotlb_hit *h,
			   const struct atc_run *run)
{
	const uint64_t pmask = ((uint64_t)1 << ATC_PAGE_LG2) - 1;
	struct atc_entry *e = atc_slot(a, iova);
	uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
	uint64_t pi = iova & ~pmask, pa = h->page_pa + (pi - h->page_iova);

	/* prot shares the word with the page address */
	if ((pa & pmask) || (h->prot & ~(uint32_t)pmask))
		return;
	atomic_store_explicit(&e->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&e->key, key, memory_order_relaxed);
	atomic_store_explicit(&e->stamp, stamp, memory_order_relaxed);
	atomic_store_explicit(&e->page_iova, pi, memory_order_relaxed);
	atomic_store_explicit(&e->pa_prot, pa | h->prot, memory_order_relaxed);
	atomic_store_explicit(&e->run_first, run ? run->first : 0,
			      memory_order_relaxed);
	atomic_store_explicit(&e->run_last, run ? run->last : 0,
			      memory_order_relaxed);
	atomic_store_explicit(&e->run_stamp, run ? run->stamp : 0,
			      memory_order_relaxed);
	atomic_store_explicit(&e->seq, s + 2, memory_order_release);
}

/* One page, the fill lock taken and given back around it. */
static inline void atc_fill(struct atc *a, uint64_t key, uint64_t stamp,
			    uint64_t iova, const struct iotlb_hit *h)
{
	if (!atc_fill_begin(a))
		return;
	atc_put(a, key, stamp, iova, h, NULL);
	atc_fill_end(a);
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
