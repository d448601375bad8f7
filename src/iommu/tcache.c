/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The translation cache a caller holds (include/ioas/iommu.h): its miss
 * side. An entry records what a lookup re-checks on every hit, read BEFORE
 * the translate whose answer it keeps: the epoch plus the filter counter
 * of its page, as the device's own ATC does (atc.h). So an invalidation
 * that completes while the translate runs leaves the entry dead on
 * arrival, and the race argument is the ATC's.
 *
 * The lookup does not compare the binding: every RID binding change bumps
 * the epoch after storing the new binding word (group_set_binding). The
 * fill reads the word before the epoch and again after the translate and
 * keeps the answer only when both reads agree, so the counter it recorded
 * is the one of the domain that answered, or a binding change completes
 * after the epoch read and the entry is dead on arrival.
 */
#include <errno.h>
#include <string.h>

#include "iommu.h"

/* An _Atomic uint64_t is a uint64_t in memory (lock-free on gcc and clang);
 * the inline lookup reads it with __atomic_load_n. */
_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t) &&
		       ATOMIC_LLONG_LOCK_FREE == 2,
	       "the inline lookup needs plain 64-bit atomic words");

int ioas_iommu_tcache_init(struct ioas_iommu_tcache *c, struct ioas_iommu *mmu,
			   struct ioas_iommu_dev *dev)
{
	if (!c || !mmu || !dev || dev->mmu != mmu)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->mmu = mmu;
	c->dev = dev;
	c->epoch = tcache_word(&mmu->atc_epoch);
	return 0;
}

bool tcache_fill_begin(const struct ioas_iommu_tcache *c, uint64_t iova,
		       uint64_t length, uint32_t access, struct tcache_fill *f)
{
	const uint64_t pmask = ((uint64_t)1 << ATC_PAGE_LG2) - 1;
	uint64_t epoch;

	f->counter = NULL;
	/* what the lookup may serve: one page, plain access, a kind the
	 * IOTLB keeps (translate judges the rest) */
	if (!length || length - 1 > pmask - (iova & pmask) ||
	    !(access & RWX) || (access & ~RWX))
		return false;
	f->tag = atomic_load_explicit(&c->dev->rid.tag, memory_order_acquire);
	if (!kind_cached(tag_kind(f->tag)))
		return false;
	epoch = atomic_load_explicit(&c->mmu->atc_epoch, memory_order_acquire);
	f->counter = atc_filter_slot(c->mmu->atcf, tag_dom(f->tag), iova);
	f->stamp = epoch + atomic_load_explicit(f->counter,
						memory_order_acquire);
	return true;
}

void tcache_fill_end(struct ioas_iommu_tcache *c, const struct tcache_fill *f,
		     uint64_t iova, uint64_t pa, uint32_t prot)
{
	const uint64_t pmask = ((uint64_t)1 << ATC_PAGE_LG2) - 1;

	/* prot shares the word with the page address */
	if (!f->counter || (prot & IOAS_PROT_PRIV) || (prot & ~(uint32_t)pmask) ||
	    atomic_load_explicit(&c->dev->rid.tag, memory_order_acquire) !=
		    f->tag)
		return;
	tcache_put(c, iova, prot, pa - iova, f->stamp, tcache_word(f->counter));
}

int ioas_iommu_tcache_miss(struct ioas_iommu_tcache *c, uint64_t iova,
			   uint64_t length, uint32_t access,
			   struct ioas_iommu_xlate *out)
{
	struct tcache_fill f;
	const struct ioas_iommu_tcache_entry *r;
	bool fill;
	int ret;

	if (!c || !c->dev)
		return -EINVAL;
	r = out ? tcache_run_lookup(c, iova, length, access) : NULL;
	if (r) {
		out->pa = iova + r->delta;
		out->length = length;
		out->prot = (uint32_t)(r->page_prot & 0xfff);
		return 0;
	}
	c->misses++;
	if (out && tcache_refill_from_atc(c, iova, length, access, &out->pa,
				   &out->prot)) {
		out->length = length;
		return 0;
	}
	fill = tcache_fill_begin(c, iova, length, access, &f);
	ret = ioas_iommu_translate(c->mmu, c->dev, 0, iova, length, access,
				   out);
	if (!ret && fill && out->length == length)
		tcache_fill_end(c, &f, iova, out->pa, out->prot);
	return ret;
}
