/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IOTLB: a set-associative cache of translations tagged by domain and
 * PASID, shared by every device of one software IOMMU.
 *
 * Concurrency (the translate hot path runs on many threads while others map
 * and unmap):
 *   - lookups are lock-free: each entry is guarded by a sequence counter
 *     (odd while being written); a reader retries or misses on a torn read.
 *   - inserts and invalidations of one set take that set's spin lock.
 *   - every tag carries a generation counter owned by the caller (one per
 *     domain). A translate reads the generation BEFORE it walks the page
 *     table and passes it to iotlb_insert, which inserts only if the
 *     generation is unchanged, checked under the set lock. Invalidation
 *     bumps the generation first, then clears entries under the set locks.
 *     So a walk that raced an unmap can never leave a stale entry behind.
 */
#ifndef IOAS_IOMMU_IOTLB_H
#define IOAS_IOMMU_IOTLB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"

#define IOTLB_PASID_ANY UINT32_MAX

struct iotlb;

struct iotlb_config {
	uint32_t entries;   /* total entries, power of two, 0 = 1024 */
	uint32_t ways;      /* associativity, power of two <= entries, 0 = 8 */
};

/* What a hit returns: the translation of the whole page holding iova. */
struct iotlb_hit {
	uint64_t page_pa;   /* physical address of the page's first byte */
	uint64_t page_iova; /* IOVA of the page's first byte */
	uint32_t prot;      /* IOAS_PROT_* granted */
	uint32_t size_lg2;  /* page size */
};

struct iotlb_stats {
	uint64_t hits, misses, inserts, evictions;
	uint64_t inv_all, inv_domain, inv_pasid, inv_range;
	uint64_t entries_invalidated;
	uint64_t stale_inserts_refused; /* generation changed during a walk */
};

/* -EINVAL (not powers of two, ways > entries), -ENOMEM */
int iotlb_create(struct ioas_ctx *ctx, const struct iotlb_config *cfg,
		 struct iotlb **out);
void iotlb_destroy(struct iotlb *tlb);

/* Lock-free. True and *hit filled when the page holding iova is cached for
 * (dom, pasid). */
bool iotlb_lookup(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		  uint64_t iova, struct iotlb_hit *hit);

/* Cache the page [page_iova, page_iova + 2^size_lg2 - 1] -> page_pa for
 * (dom, pasid), unless *gen no longer equals seen_gen (see above). Evicts
 * within the set (round robin or LRU: document). Never fails. */
void iotlb_insert(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		  uint64_t page_iova, uint64_t page_pa, uint32_t size_lg2,
		  uint32_t prot, const _Atomic uint64_t *gen, uint64_t seen_gen);

/* Invalidations: the caller bumps the domain generation first (the
 * functions below do it when given the counter; NULL: the caller keeps
 * every insert of the domain out while it runs, by a lock they hold
 * through the insert, which also makes their live counts visible to the
 * range probe). Never fail. */
void iotlb_inv_all(struct iotlb *tlb);
void iotlb_inv_domain(struct iotlb *tlb, uint32_t dom, _Atomic uint64_t *gen);
void iotlb_inv_pasid(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		     _Atomic uint64_t *gen);
/* Every cached page of (dom, pasid or IOTLB_PASID_ANY) that intersects
 * [start, last]. */
void iotlb_inv_range(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		     uint64_t start, uint64_t last, _Atomic uint64_t *gen);

void iotlb_get_stats(const struct iotlb *tlb, struct iotlb_stats *out);

#endif
