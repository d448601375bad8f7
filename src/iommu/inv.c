/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Invalidation: strict (an unmap invalidates the IOTLB before it returns)
 * and deferred (unmaps queue their ranges; the queue is processed in order
 * at sync, when it is full, or before a map touches a pending range).
 *
 * Safe deferred mode (the default): while any entry is queued,
 * pending_safe is non-zero and translate's IOTLB hit path defers to the
 * slow path, which treats a hit inside a pending range of the domain as a
 * miss (the table is already cleared, so the walk gives the truth). A hit
 * outside every pending range is served. The unmapped pages' ATC entries
 * end at once (their filter counters are bumped at the unmap, and again at
 * the sync), since caller-held caches do not look at pending_safe.
 * Hardware-faithful mode (STALE) does not divert: stale entries serve
 * until the queue is processed.
 *
 * Every unmap bumps the domain generation at once, in both modes, so a
 * walk that raced the unmap never inserts what it read.
 */
#include <errno.h>
#include <string.h>

#include "iommu.h"

int inv_init(struct ioas_iommu *mmu, uint32_t qlen)
{
	mmu->q = ctx_zalloc(mmu->ctx, (size_t)qlen * sizeof(*mmu->q));
	if (!mmu->q)
		return -ENOMEM;
	mmu->q_cap = qlen;
	pthread_mutex_init(&mmu->q_lock, NULL);
	return 0;
}

void inv_fini(struct ioas_iommu *mmu)
{
	pthread_mutex_destroy(&mmu->q_lock);
	ctx_free(mmu->ctx, mmu->q, (size_t)mmu->q_cap * sizeof(*mmu->q));
}

void iommu_tlb_changed_range(struct ioas_iommu *mmu, uint32_t dom,
			     uint64_t start, uint64_t last)
{
	uint64_t p = start >> ATC_PAGE_LG2, plast = last >> ATC_PAGE_LG2;

	if (start > last)
		return;
	if (plast - p >= ATC_FILTER_MAX_PAGES) {
		iommu_tlb_changed(mmu);
		return;
	}
	/* and the runs caches keep of the domain (struct atc_entry), unless
	 * the range lies in one page: a run is one mapping of two pages or
	 * more, which only an invalidation of all of it (its unmap, queued
	 * or not, maybe merged with others) can change, so no invalidation
	 * inside one page can end one (most unmaps are of one page) */
	if (plast != p)
		atomic_fetch_add(atc_domain_slot(mmu->atcf, dom), 1);
	for (;; p++) {
		atomic_fetch_add(atc_filter_slot(mmu->atcf, dom,
						 p << ATC_PAGE_LG2), 1);
		if (p == plast)
			break;
	}
}

/* [start, last] of dom (tlb_pasid: one PASID's tag, or IOTLB_PASID_ANY)
 * out of the IOTLB, then out of the ATCs (the filter is per domain: every
 * PASID's pages go). gen: dom's generation, bumped first so that no walk
 * racing this inserts what it read (iotlb.h), or NULL when no walk of dom
 * can race it (inv_unmapped). */
static void range_now(struct ioas_domain *dom, uint32_t tlb_pasid,
		      uint64_t start, uint64_t last, _Atomic uint64_t *gen)
{
	iotlb_inv_range(dom->mmu->tlb, dom->id, tlb_pasid, start, last, gen);
	iommu_tlb_changed_range(dom->mmu, dom->id, start, last);
}

static void inv_one(struct ioas_iommu *mmu, const struct inv_entry *e)
{
	if (e->start == 0 && e->last == UINT64_MAX &&
	    e->pasid == IOTLB_PASID_ANY) {
		iotlb_inv_domain(mmu->tlb, e->dom->id, &e->dom->gen);
		iommu_tlb_changed(mmu);
	} else {
		range_now(e->dom, e->pasid, e->start, e->last, &e->dom->gen);
	}
}

/* Process the first n queued entries, in order (q_lock held). */
static void q_process(struct ioas_iommu *mmu, uint32_t n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++)
		inv_one(mmu, &mmu->q[i]);
	memmove(mmu->q, mmu->q + n, (mmu->q_len - n) * sizeof(*mmu->q));
	mmu->q_len -= n;
	if (!mmu->stale)
		atomic_store(&mmu->pending_safe, mmu->q_len);
	atomic_fetch_add(&mmu->syncs, 1);
}

static void q_push(struct ioas_iommu *mmu, struct ioas_domain *dom,
		   uint32_t pasid, uint64_t start, uint64_t last)
{
	if (mmu->q_len == mmu->q_cap)
		q_process(mmu, mmu->q_len);
	mmu->q[mmu->q_len].dom = dom;
	mmu->q[mmu->q_len].pasid = pasid;
	mmu->q[mmu->q_len].start = start;
	mmu->q[mmu->q_len].last = last;
	mmu->q_len++;
	if (!mmu->stale)
		atomic_store(&mmu->pending_safe, mmu->q_len);
}

void inv_domain_now(struct ioas_domain *dom)
{
	iotlb_inv_domain(dom->mmu->tlb, dom->id, &dom->gen);
	for (struct ioas_domain *c = dom->children; c; c = c->sibling)
		iotlb_inv_domain(dom->mmu->tlb, c->id, &c->gen);
	iommu_tlb_changed(dom->mmu);
}

void inv_unmapped(struct ioas_domain *dom, uint64_t start, uint64_t last)
{
	struct ioas_iommu *mmu = dom->mmu;

	if (mmu->inv_mode == IOAS_INV_STRICT) {
		/* No generation bump (a locked instruction an unmap): the
		 * caller holds dom->lock for writing, and every walk of dom
		 * holds it for reading until its IOTLB insert is done
		 * (translate_slow), so none is in flight, and what finished
		 * before is visible to the probes through the lock. */
		range_now(dom, IOTLB_PASID_ANY, start, last, NULL);
		/* nested children cache stage-1 IOVAs: no range to match */
		if (dom->children) {
			for (struct ioas_domain *c = dom->children; c;
			     c = c->sibling)
				iotlb_inv_domain(mmu->tlb, c->id, &c->gen);
			iommu_tlb_changed(mmu);
		}
		return;
	}
	atomic_fetch_add(&dom->gen, 1);
	pthread_mutex_lock(&mmu->q_lock);
	q_push(mmu, dom, IOTLB_PASID_ANY, start, last);
	for (struct ioas_domain *c = dom->children; c; c = c->sibling) {
		atomic_fetch_add(&c->gen, 1);
		q_push(mmu, c, IOTLB_PASID_ANY, 0, UINT64_MAX);
	}
	pthread_mutex_unlock(&mmu->q_lock);
	/* Safe mode: the pages' ATC entries, which skip the pending check
	 * (caller-held caches), end now; the IOTLB's wait for the sync. */
	if (!mmu->stale) {
		iommu_tlb_changed_range(mmu, dom->id, start, last);
		if (dom->children)
			iommu_tlb_changed(mmu);
	}
}

static bool entry_hits(const struct inv_entry *e, const struct ioas_domain *dom,
		       uint64_t start, uint64_t last)
{
	if (e->dom == dom)
		return e->start <= last && start <= e->last;
	return e->dom->parent == dom; /* a child's whole-domain entry */
}

void inv_before_map(struct ioas_domain *dom, uint64_t start, uint64_t last)
{
	struct ioas_iommu *mmu = dom->mmu;
	uint32_t upto = 0;

	pthread_mutex_lock(&mmu->q_lock);
	for (uint32_t i = 0; i < mmu->q_len; i++)
		if (entry_hits(&mmu->q[i], dom, start, last))
			upto = i + 1;
	q_process(mmu, upto);
	pthread_mutex_unlock(&mmu->q_lock);
}

void inv_forget_domain(struct ioas_domain *dom)
{
	struct ioas_iommu *mmu = dom->mmu;
	uint32_t j = 0;

	pthread_mutex_lock(&mmu->q_lock);
	for (uint32_t i = 0; i < mmu->q_len; i++)
		if (mmu->q[i].dom != dom)
			mmu->q[j++] = mmu->q[i];
	mmu->q_len = j;
	if (!mmu->stale)
		atomic_store(&mmu->pending_safe, mmu->q_len);
	pthread_mutex_unlock(&mmu->q_lock);
}

bool inv_pending_hit(struct ioas_domain *dom, uint32_t pasid, uint64_t iova)
{
	struct ioas_iommu *mmu = dom->mmu;
	bool hit = false;

	pthread_mutex_lock(&mmu->q_lock);
	for (uint32_t i = 0; i < mmu->q_len && !hit; i++) {
		const struct inv_entry *e = &mmu->q[i];

		hit = e->dom == dom &&
		      (e->pasid == IOTLB_PASID_ANY || e->pasid == pasid) &&
		      iova >= e->start && iova <= e->last;
	}
	pthread_mutex_unlock(&mmu->q_lock);
	return hit;
}

void ioas_iommu_sync(struct ioas_iommu *mmu)
{
	if (!mmu)
		return;
	pthread_mutex_lock(&mmu->q_lock);
	q_process(mmu, mmu->q_len);
	pthread_mutex_unlock(&mmu->q_lock);
}

void ioas_iommu_invalidate_all(struct ioas_iommu *mmu)
{
	if (!mmu)
		return;
	/* topo keeps the domain list stable; bumping every generation first
	 * keeps racing walks from re-inserting (iotlb_inv_all bumps none). */
	rwl_rd_lock(&mmu->topo);
	for (struct ioas_domain *d = mmu->domains; d; d = d->next)
		atomic_fetch_add(&d->gen, 1);
	pthread_mutex_lock(&mmu->q_lock);
	mmu->q_len = 0;
	iotlb_inv_all(mmu->tlb);
	iommu_tlb_changed(mmu);
	/* last: a translate that sees no pending entry must also see the
	 * caches emptied, or it could serve what the dropped entries were
	 * to invalidate */
	atomic_store(&mmu->pending_safe, 0);
	pthread_mutex_unlock(&mmu->q_lock);
	rwl_unlock(&mmu->topo);
}

void ioas_domain_invalidate(struct ioas_domain *dom, uint32_t pasid,
			    uint64_t start, uint64_t last)
{
	if (!dom || start > last)
		return;
	if (start == 0 && last == UINT64_MAX) {
		if (pasid == IOAS_PASID_ANY)
			iotlb_inv_domain(dom->mmu->tlb, dom->id, &dom->gen);
		else
			iotlb_inv_pasid(dom->mmu->tlb, dom->id, pasid, &dom->gen);
		iommu_tlb_changed(dom->mmu);
	} else {
		range_now(dom, pasid == IOAS_PASID_ANY ? IOTLB_PASID_ANY : pasid,
			  start, last, &dom->gen);
	}
}
