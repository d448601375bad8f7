/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * translate: the DMA hot path, then faults and page requests.
 *
 * Fast path (no lock): device stopped? -> DMA width -> binding word of the
 * RID or the PASID entry -> IDENTITY answers at once; PAGING / NESTED /
 * SVA look every page of the access up in the IOTLB; when all hit and
 * grant the access, done. Anything else (a miss, a permission problem,
 * nothing attached, pending deferred invalidations in safe mode) goes to
 * the slow path, which takes topo for reading, re-reads the binding,
 * takes the table's lock for reading, and walks the page table in
 * physical memory like hardware (pt_hw_walk), never the mapping tree.
 * Faults are recorded after every lock is dropped.
 */
#include <errno.h>
#include <string.h>

#include "iommu.h"

#define PR_PENDING 0
#define PR_DELIVERED 1
#define PR_INVALID 2

struct page_res {
	uint64_t page_iova, page_pa;
	uint32_t lg2, prot;
	uint32_t prot1; /* NESTED: what stage 1 grants */
};

struct fault_info {
	uint32_t reason, stage, flags, pt_fault, level;
	uint64_t stage_addr;
};

/* IOTLB PASID tag: a stage-1 table (NESTED, SVA) is tagged with the PASID
 * it serves, a paging domain's translations are the same for all. */
static inline uint32_t tlb_pasid(uint32_t kind, uint32_t pasid)
{
	return kind == IOAS_DOMAIN_PAGING || kind == IOAS_DOMAIN_HOST ? 0
									 : pasid;
}

/* 0, or the fault reason of access against prot under binding tag. */
static inline uint32_t perm_check(uint64_t tag, uint32_t prot, uint32_t access)
{
	if ((access & IOAS_PROT_PRIV) && tag_kind(tag) == IOAS_DOMAIN_SVA &&
	    !(tag & BF_SUPER))
		return IOAS_FAULT_PERMISSION;
	if ((prot & IOAS_PROT_PRIV) && !(access & IOAS_PROT_PRIV))
		return IOAS_FAULT_PRIV_REQUIRED;
	if (access & ~prot & RWX)
		return IOAS_FAULT_PERMISSION;
	return 0;
}

static inline uint64_t page_last(const struct page_res *r)
{
	return r->page_iova + ((1ull << r->lg2) - 1);
}

/* A walked page as the caches take it. */
static inline struct iotlb_hit page_hit(const struct page_res *r)
{
	struct iotlb_hit h = { .page_pa = r->page_pa, .page_iova = r->page_iova,
			       .prot = r->prot, .size_lg2 = r->lg2 };

	return h;
}

/* ---- walks --------------------------------------------------------------- */

static void pt_fault_to(struct fault_info *f, const struct ioas_pt_xlate *xl,
			uint32_t stage, bool at_input)
{
	f->stage = stage;
	f->pt_fault = xl->fault;
	f->level = xl->level;
	switch (xl->fault) {
	case IOAS_PT_FAULT_TRANSLATION:
	case IOAS_PT_FAULT_ACCESS_FLAG:
		f->reason = IOAS_FAULT_NO_MAPPING;
		break;
	case IOAS_PT_FAULT_PERM:
		f->reason = IOAS_FAULT_PERMISSION;
		break;
	case IOAS_PT_FAULT_ADDR_SIZE:
		f->reason = at_input && !xl->entry ? IOAS_FAULT_OUTSIDE_APERTURE
						   : IOAS_FAULT_BAD_TABLE;
		break;
	default:
		f->reason = IOAS_FAULT_BAD_TABLE;
	}
}

static void xl_to_page(const struct ioas_pt_xlate *xl, uint64_t iova,
		       struct page_res *r)
{
	uint64_t mask = (1ull << xl->size_lg2) - 1;

	r->page_iova = iova & ~mask;
	r->page_pa = xl->pa & ~mask;
	r->lg2 = xl->size_lg2;
	r->prot = xl->prot;
	r->prot1 = xl->prot;
}

/* Walk a PAGING domain's table (or a stage 2) for iova. */
static int walk_table(struct ioas_domain *dom, uint64_t iova, uint32_t access,
		      struct ioas_pt_xlate *xl)
{
	struct pt_hw_mem mem = { dom->mmu->phys, NULL, NULL };

	if (iova < dom->ap_start || iova > dom->ap_last) {
		memset(xl, 0, sizeof(*xl));
		xl->fault = IOAS_PT_FAULT_ADDR_SIZE;
		xl->level = dom->walker.g.top;
		return -EFAULT;
	}
	return pt_hw_walk(&dom->walker, &mem, iova, access, xl);
}

struct s2_ctx {
	struct ioas_domain *parent;
	bool failed;
	uint64_t gpa;
	struct ioas_pt_xlate xl;
};

/* Stage-1 table addresses are guest physical: translate each through the
 * parent (read access). */
static int s2_xlate(void *opaque, uint64_t addr, uint64_t *out)
{
	struct s2_ctx *c = opaque;

	if (!c->parent) {
		memset(&c->xl, 0, sizeof(c->xl));
		c->xl.fault = IOAS_PT_FAULT_TRANSLATION;
	} else if (!walk_table(c->parent, addr, IOAS_PROT_READ, &c->xl)) {
		*out = c->xl.pa;
		return 0;
	}
	c->failed = true;
	c->gpa = addr;
	return c->xl.fault ? (int)c->xl.fault : IOAS_PT_FAULT_TRANSLATION;
}

/* A HOST domain's mapping at iova and the physically contiguous run of it
 * holding iova (locks held); false when nothing is mapped there. */
static bool host_run(const struct ioas_domain *dom, uint64_t iova,
		     struct as_run *run, uint32_t *prot)
{
	struct itree_node *n = dom->host ? itree_find(dom->host, iova) : NULL;
	const struct as_mapping *m = as_mapping_of(n);

	if (!m)
		return false;
	as_mapping_run(m, iova, run);
	*prot = m->prot & DOM_PROT;
	return true;
}

/* A HOST domain: the run that holds iova, cached as the largest block of
 * 4 KiB, 2 MiB or 1 GiB around iova that lies in the run and keeps the
 * run's pa offset. */
static int walk_host(struct ioas_domain *dom, uint64_t iova, struct page_res *r,
		     struct fault_info *f)
{
	struct as_run run;
	uint64_t delta;
	uint32_t lg2, prot;

	if (!host_run(dom, iova, &run, &prot)) {
		f->reason = IOAS_FAULT_NO_MAPPING;
		f->stage = 1;
		return -EFAULT;
	}
	delta = run.pa - run.start;
	lg2 = (uint32_t)__builtin_ctzll(dom->min_page);
	while (lg2 < 62) {
		uint64_t m = (2ull << lg2) - 1, base = iova & ~m;

		if ((delta & m) || base < run.start || base + m > run.last)
			break;
		lg2++;
	}
	/* the page sizes hardware caches (4 KiB, 2 MiB, 1 GiB): a range
	 * invalidation probes the IOTLB once per size the domain used */
	lg2 = lg2 >= 30 ? 30 : lg2 >= 21 ? 21 : lg2 >= 12 ? 12 : lg2;
	r->page_iova = iova & ~((1ull << lg2) - 1);
	r->page_pa = r->page_iova + delta;
	r->lg2 = lg2;
	r->prot = r->prot1 = prot;
	return 0;
}

static int walk_dom(struct ioas_domain *dom, uint64_t iova, struct page_res *r,
		    struct fault_info *f)
{
	struct ioas_pt_xlate xl, xl2;

	atomic_fetch_add_explicit(&dom->mmu->walks, 1, memory_order_relaxed);
	if (dom->type == IOAS_DOMAIN_HOST)
		return walk_host(dom, iova, r, f);
	if (dom->type == IOAS_DOMAIN_PAGING) {
		if (walk_table(dom, iova, 0, &xl)) {
			pt_fault_to(f, &xl, 1, true);
			return -EFAULT;
		}
		xl_to_page(&xl, iova, r);
		return 0;
	}
	if (dom->type == IOAS_DOMAIN_SVA) {
		struct pt_hw_mem mem = { dom->mmu->phys, NULL, NULL };

		if (pt_hw_walk(&dom->walker, &mem, iova, 0, &xl)) {
			pt_fault_to(f, &xl, 1, true);
			return -EFAULT;
		}
		xl_to_page(&xl, iova, r);
		return 0;
	}
	/* NESTED */
	{
		struct s2_ctx c = { dom->parent, false, 0, { 0 } };
		struct pt_hw_mem mem = { dom->mmu->phys, s2_xlate, &c };
		uint32_t lg2;
		uint64_t mask;

		if (pt_hw_walk(&dom->walker, &mem, iova, 0, &xl)) {
			if (c.failed) {
				pt_fault_to(f, &c.xl, 2, false);
				if (c.xl.fault == IOAS_PT_FAULT_ADDR_SIZE)
					f->reason = IOAS_FAULT_OUTSIDE_APERTURE;
				f->flags |= IOAS_FAULT_F_TABLE_WALK;
				f->stage_addr = c.gpa;
			} else {
				pt_fault_to(f, &xl, 1, true);
			}
			return -EFAULT;
		}
		if (!dom->parent) {
			memset(&xl2, 0, sizeof(xl2));
			xl2.fault = IOAS_PT_FAULT_TRANSLATION;
			pt_fault_to(f, &xl2, 2, false);
			f->stage_addr = xl.pa;
			return -EFAULT;
		}
		if (walk_table(dom->parent, xl.pa, 0, &xl2)) {
			pt_fault_to(f, &xl2, 2, false);
			if (xl2.fault == IOAS_PT_FAULT_ADDR_SIZE)
				f->reason = IOAS_FAULT_OUTSIDE_APERTURE;
			f->stage_addr = xl.pa;
			return -EFAULT;
		}
		lg2 = xl.size_lg2 < xl2.size_lg2 ? xl.size_lg2 : xl2.size_lg2;
		mask = (1ull << lg2) - 1;
		r->page_iova = iova & ~mask;
		r->page_pa = xl2.pa & ~mask;
		r->lg2 = lg2;
		r->prot1 = xl.prot;
		r->prot = (xl.prot & xl2.prot & RWX) | (xl.prot & IOAS_PROT_PRIV);
		return 0;
	}
}

/* The stretch of dom holding iova that maps linearly with one permission
 * (locks held): a HOST domain's whole run, one lookup for a whole buffer;
 * a table's walked page. As a walked page in h (page_iova/page_pa at the
 * stretch's start), *last its end. */
static int prefetch_stretch(struct ioas_domain *dom, uint64_t iova,
			    struct iotlb_hit *h, uint64_t *last,
			    struct fault_info *f)
{
	struct page_res r;

	if (dom->type == IOAS_DOMAIN_HOST) {
		struct as_run run;
		uint32_t prot;

		atomic_fetch_add_explicit(&dom->mmu->walks, 1,
					  memory_order_relaxed);
		if (!host_run(dom, iova, &run, &prot))
			return -EFAULT;
		h->page_iova = run.start;
		h->page_pa = run.pa;
		h->prot = prot;
		h->size_lg2 = ATC_PAGE_LG2;
		*last = run.last;
		return 0;
	}
	if (walk_dom(dom, iova, &r, f))
		return -EFAULT;
	*h = page_hit(&r);
	*last = page_last(&r);
	return 0;
}

/* Fill dev's ATC with the 4 KiB pages from cur's to last's (at most
 * budget) out of h, stamped with epoch, in run (or NULL), under one take
 * of its fill lock; returns how many, or all of budget when another
 * filler holds the lock (the prefetch stops there). */
static uint32_t prefetch_pages(struct ioas_iommu_dev *dev, uint64_t key,
			       uint64_t epoch, uint32_t dom_id, uint64_t cur,
			       uint64_t last, const struct iotlb_hit *h,
			       uint32_t budget, const struct atc_run *run)
{
	const uint64_t pmask = ((uint64_t)1 << ATC_PAGE_LG2) - 1;
	uint32_t n = 0;

	cur &= ~pmask;
	if (!atc_fill_begin(&dev->atc))
		return budget; /* another filler: no prefetch this time */
	while (n < budget) {
		atc_put(&dev->atc, key,
			atc_stamp(dev->mmu->atcf, epoch, dom_id, cur), cur, h,
			run);
		n++;
		if (cur + pmask >= last)
			break;
		cur += pmask + 1;
	}
	atc_fill_end(&dev->atc);
	return n;
}

/*
 * The ATC side of a prefetch: the pages come from lookups under topo and
 * the domain's lock, held throughout, so they are what the table maps now
 * and no unmap (which changes the table and bumps the filter under the
 * lock for writing) can come between a lookup and the stamps of its
 * pages; the epoch is read before each lookup, as on a translate.
 */
void iommu_dev_prefetch(struct ioas_iommu_dev *dev, uint64_t iova,
			uint64_t last, uint32_t max_pages)
{
	struct ioas_iommu *mmu = dev->mmu;
	struct fault_info f = { 0, 0, 0, 0, 0, 0 };
	struct ioas_domain *dom;
	struct iotlb_hit h = { 0, 0, 0, 0 };
	uint64_t tag, stretch_last = 0, cur = iova;

	if (iova > last || !max_pages)
		return;
	rwl_rd_lock(&mmu->topo);
	tag = atomic_load_explicit(&dev->rid.tag, memory_order_acquire);
	dom = dev->rid.dom;
	if (!dom || (dom->type != IOAS_DOMAIN_PAGING &&
		     dom->type != IOAS_DOMAIN_HOST) ||
	    atomic_load_explicit(&mmu->pending_safe, memory_order_acquire)) {
		rwl_unlock(&mmu->topo);
		return;
	}
	rwl_rd_lock(&dom->lock);
	/* one lookup per stretch, then each of its 4 KiB pages */
	while (max_pages) {
		uint64_t epoch = atomic_load_explicit(&mmu->atc_epoch,
						      memory_order_acquire);
		uint64_t end;

		if (prefetch_stretch(dom, cur, &h, &stretch_last, &f))
			break;
		end = stretch_last < last ? stretch_last : last;
		max_pages -= prefetch_pages(dev, atc_key(tag, 0), epoch,
					    dom->id, cur, end, &h, max_pages,
					    NULL);
		if (end >= last)
			break;
		cur = end + 1;
	}
	rwl_unlock(&dom->lock);
	rwl_unlock(&mmu->topo);
}

void iommu_dev_prefetch_mapped(struct ioas_iommu_dev *dev,
			       const struct ioas_domain *dom, uint64_t iova,
			       uint64_t last, uint64_t pa, uint32_t prot,
			       uint32_t max_pages)
{
	const uint64_t pmask = ((uint64_t)1 << ATC_PAGE_LG2) - 1;
	struct ioas_iommu *mmu = dev->mmu;
	struct iotlb_hit h;
	struct atc_run run;
	uint64_t tag, epoch;

	if (dom->type != IOAS_DOMAIN_HOST) {
		iommu_dev_prefetch(dev, iova, last, max_pages);
		return;
	}
	if (iova > last || !max_pages || (prot & ~pmask))
		return;
	/* The binding before the epoch: a change after the tag read bumps
	 * the epoch after storing the new tag, so either the tag is not
	 * dom's (nothing filled) or the entries' key is one no lookup under
	 * the new binding asks for. The stamps need no lock: no unmap of dom
	 * can come before this returns. */
	tag = atomic_load_explicit(&dev->rid.tag, memory_order_acquire);
	if (tag != domain_tag(dom, 0) ||
	    atomic_load_explicit(&mmu->pending_safe, memory_order_acquire))
		return;
	h.page_iova = iova & ~pmask;
	h.page_pa = pa - (iova & pmask);
	h.prot = prot & DOM_PROT;
	h.size_lg2 = ATC_PAGE_LG2;
	epoch = atomic_load_explicit(&mmu->atc_epoch, memory_order_acquire);
	/* the whole run, prefetched or not: its pages stay mapped as they
	 * are until an invalidation of dom moves the domain's counter */
	run.first = iova;
	run.last = last;
	run.stamp = epoch + atomic_load_explicit(atc_domain_slot(mmu->atcf,
								 dom->id),
						 memory_order_acquire);
	(void)prefetch_pages(dev, atc_key(tag, 0), epoch, dom->id, iova, last,
			     &h, max_pages,
			     (iova & pmask) || (~last & pmask) ? NULL : &run);
}

/* ---- the slow path ------------------------------------------------------ */

struct slow {
	struct ioas_iommu *mmu;
	struct ioas_iommu_dev *dev;
	struct ioas_domain *dom;
	uint64_t tag;
	uint32_t tp;      /* IOTLB pasid tag */
	uint64_t skip_va; /* the fast path just missed this page: walk */
};

/* The page at iova: IOTLB (unless a pending invalidation covers it in safe
 * deferred mode), else a walk and an insert. Locks are held. */
static int slow_page(struct slow *s, uint64_t iova, uint32_t access,
		     struct page_res *r, struct fault_info *f)
{
	struct ioas_domain *dom = s->dom;
	struct iotlb_hit h;
	uint64_t gen, stamp;
	bool use_tlb = true;

	if (atomic_load_explicit(&s->mmu->pending_safe, memory_order_acquire) &&
	    inv_pending_hit(dom, s->tp, iova))
		use_tlb = false;
	if (use_tlb && s->skip_va != iova &&
	    iotlb_lookup(s->mmu->tlb, dom->id, s->tp, iova, &h)) {
		r->page_iova = h.page_iova;
		r->page_pa = h.page_pa;
		r->lg2 = h.size_lg2;
		r->prot = r->prot1 = h.prot;
		/* a hit that does not grant the access: the walk says why */
		if (!perm_check(s->tag, h.prot, access))
			return 0;
	}
	gen = atomic_load(&dom->gen);
	stamp = atc_stamp(s->mmu->atcf,
			  atomic_load_explicit(&s->mmu->atc_epoch,
					       memory_order_acquire),
			  dom->id, iova);
	if (walk_dom(dom, iova, r, f))
		return -EFAULT;
	if (use_tlb) {
		iotlb_insert(s->mmu->tlb, dom->id, s->tp, r->page_iova,
			     r->page_pa, r->lg2, r->prot, &dom->gen, gen);
		/* and the device's ATC, as the IOTLB hit path would */
		h = page_hit(r);
		atc_fill(&s->dev->atc, atc_key(s->tag, s->tp), stamp, iova, &h);
	}
	return 0;
}

__attribute__((noinline)) static int translate_slow(struct ioas_iommu *mmu, struct ioas_iommu_dev *dev,
			  uint32_t pasid, uint64_t iova, uint64_t length,
			  uint32_t access, struct ioas_iommu_xlate *out,
			  struct fault_info *f, uint64_t *tag_out,
			  uint64_t missed)
{
	struct slow s = { mmu, dev, NULL, 0, 0, missed };
	struct binding *b;
	struct rwlock *tlock = NULL;
	struct page_res r;
	uint64_t got = 0, cur = iova;
	uint32_t kind;
	int ret = 0;

	rwl_rd_lock(&mmu->topo);
	b = pasid ? pasid_binding(dev, pasid) : &dev->rid;
	s.tag = b ? atomic_load_explicit(&b->tag, memory_order_acquire) : 0;
	s.dom = b ? b->dom : NULL;
	*tag_out = s.tag;
	kind = tag_kind(s.tag);
	if (!s.dom) {
		f->reason = pasid ? IOAS_FAULT_PASID_NOT_PRESENT
				  : IOAS_FAULT_NOT_ATTACHED;
		ret = -EFAULT;
		goto out;
	}
	if (kind == IOAS_DOMAIN_BLOCKED) {
		f->reason = IOAS_FAULT_BLOCKED;
		ret = -EFAULT;
		goto out;
	}
	if (kind == IOAS_DOMAIN_IDENTITY) {
		out->pa = iova;
		out->length = length;
		out->prot = RWX;
		goto out;
	}
	s.tp = tlb_pasid(kind, pasid);
	if (kind == IOAS_DOMAIN_PAGING || kind == IOAS_DOMAIN_HOST)
		tlock = &s.dom->lock;
	else if (kind == IOAS_DOMAIN_NESTED && s.dom->parent)
		tlock = &s.dom->parent->lock;
	if (tlock)
		rwl_rd_lock(tlock);
	for (;;) {
		uint64_t pa, n;

		if (slow_page(&s, cur, access, &r, f)) {
			if (!got)
				ret = -EFAULT;
			break;
		}
		if (!got) {
			uint32_t why = perm_check(s.tag, r.prot, access);

			if (why) {
				f->reason = why;
				f->stage = (kind == IOAS_DOMAIN_NESTED &&
					    !perm_check(s.tag, r.prot1, access))
						   ? 2
						   : 1;
				ret = -EFAULT;
				break;
			}
			out->pa = r.page_pa + (cur - r.page_iova);
			out->prot = r.prot;
		} else {
			pa = r.page_pa + (cur - r.page_iova);
			if (perm_check(s.tag, r.prot, access) ||
			    pa != out->pa + got)
				break;
		}
		n = page_last(&r) - cur + 1;
		got += n;
		if (got >= length)
			break;
		cur += n;
	}
	if (!ret)
		out->length = got < length ? got : length;
	if (tlock)
		rwl_unlock(tlock);
out:
	rwl_unlock(&mmu->topo);
	return ret;
}

/* ---- faults and page requests -------------------------------------------- */

int fault_init(struct ioas_iommu *mmu, uint32_t cap)
{
	mmu->fq = ctx_zalloc(mmu->ctx, (size_t)cap * sizeof(*mmu->fq));
	if (!mmu->fq)
		return -ENOMEM;
	mmu->pr = ctx_zalloc(mmu->ctx, (size_t)cap * sizeof(*mmu->pr));
	if (!mmu->pr) {
		ctx_free(mmu->ctx, mmu->fq, (size_t)cap * sizeof(*mmu->fq));
		return -ENOMEM;
	}
	mmu->fq_cap = cap;
	mmu->pr_cap = cap;
	mmu->pr_next_id = 1;
	pthread_mutex_init(&mmu->fault_lock, NULL);
	pthread_mutex_init(&mmu->pr_lock, NULL);
	return 0;
}

void fault_fini(struct ioas_iommu *mmu)
{
	pthread_mutex_destroy(&mmu->fault_lock);
	pthread_mutex_destroy(&mmu->pr_lock);
	ctx_free(mmu->ctx, mmu->fq, (size_t)mmu->fq_cap * sizeof(*mmu->fq));
	ctx_free(mmu->ctx, mmu->pr, (size_t)mmu->pr_cap * sizeof(*mmu->pr));
}

void pr_forget_dev(struct ioas_iommu_dev *dev)
{
	struct ioas_iommu *mmu = dev->mmu;
	uint32_t j = 0;

	pthread_mutex_lock(&mmu->pr_lock);
	for (uint32_t i = 0; i < mmu->pr_len; i++)
		if (mmu->pr[i].dev != dev)
			mmu->pr[j++] = mmu->pr[i];
	mmu->pr_len = j;
	pthread_mutex_unlock(&mmu->pr_lock);
}

/* A recoverable fault: 1 = a page request is (still) outstanding, the
 * caller returns -EAGAIN; 0 = record a fault. */
static int page_request(struct ioas_iommu *mmu, struct ioas_iommu_dev *dev,
			const struct ioas_fault *fr)
{
	uint64_t page = fr->addr & ~0xfffull;
	int ret = 0;

	pthread_mutex_lock(&mmu->pr_lock);
	for (uint32_t i = 0; i < mmu->pr_len; i++) {
		struct pr_entry *e = &mmu->pr[i];

		if (e->dev != dev || e->req.pasid != fr->pasid ||
		    e->req.addr != page)
			continue;
		if (e->state == PR_INVALID) {
			/* the answer was "invalid": this retry faults */
			memmove(e, e + 1, (mmu->pr_len - i - 1) * sizeof(*e));
			mmu->pr_len--;
			ret = 0;
		} else {
			ret = 1;
		}
		goto out;
	}
	if (mmu->pr_len < mmu->pr_cap) {
		struct pr_entry *e = &mmu->pr[mmu->pr_len++];

		memset(e, 0, sizeof(*e));
		e->dev = dev;
		e->state = PR_PENDING;
		e->req.id = mmu->pr_next_id++;
		e->req.dev_id = dev->id;
		e->req.pasid = fr->pasid;
		e->req.addr = page;
		e->req.access = fr->access;
		mmu->pr_count++;
		ret = 1;
	}
out:
	pthread_mutex_unlock(&mmu->pr_lock);
	return ret;
}

int ioas_iommu_page_request_next(struct ioas_iommu *mmu,
				 struct ioas_page_request *out)
{
	int ret = -ENOENT;

	if (!mmu || !out)
		return -EINVAL;
	pthread_mutex_lock(&mmu->pr_lock);
	for (uint32_t i = 0; i < mmu->pr_len; i++) {
		if (mmu->pr[i].state == PR_PENDING) {
			mmu->pr[i].state = PR_DELIVERED;
			*out = mmu->pr[i].req;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&mmu->pr_lock);
	return ret;
}

int ioas_iommu_page_respond(struct ioas_iommu *mmu, uint64_t id, uint32_t code)
{
	int ret = -ENOENT;

	if (!mmu || code > IOAS_PAGE_RESP_INVALID)
		return -EINVAL;
	pthread_mutex_lock(&mmu->pr_lock);
	for (uint32_t i = 0; i < mmu->pr_len; i++) {
		struct pr_entry *e = &mmu->pr[i];

		if (e->req.id != id || e->state == PR_INVALID)
			continue;
		if (code == IOAS_PAGE_RESP_SUCCESS) {
			/* the retry translates, or asks again */
			memmove(e, e + 1, (mmu->pr_len - i - 1) * sizeof(*e));
			mmu->pr_len--;
		} else {
			e->state = PR_INVALID;
		}
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&mmu->pr_lock);
	return ret;
}

static void record_fault(struct ioas_iommu *mmu, struct ioas_iommu_dev *dev,
			 const struct ioas_fault *fr)
{
	pthread_mutex_lock(&mmu->fault_lock);
	mmu->faults++;
	if (mmu->fq_len < mmu->fq_cap) {
		mmu->fq[(mmu->fq_head + mmu->fq_len) % mmu->fq_cap] = *fr;
		mmu->fq_len++;
	} else {
		mmu->fault_overflow++;
	}
	if ((dev->flags & IOAS_DEV_F_STOP_ON_FAULT) &&
	    !atomic_exchange(&dev->stopped, true))
		iommu_tlb_changed(mmu); /* as ioas_iommu_dev_stop */
	pthread_mutex_unlock(&mmu->fault_lock);
	if (mmu->fault_cb)
		mmu->fault_cb(mmu->fault_opaque, fr);
}

int ioas_iommu_fault_pop(struct ioas_iommu *mmu, struct ioas_fault *out)
{
	int ret = -ENOENT;

	if (!mmu || !out)
		return -EINVAL;
	pthread_mutex_lock(&mmu->fault_lock);
	if (mmu->fq_len) {
		*out = mmu->fq[mmu->fq_head];
		mmu->fq_head = (mmu->fq_head + 1) % mmu->fq_cap;
		mmu->fq_len--;
		ret = 0;
	}
	pthread_mutex_unlock(&mmu->fault_lock);
	return ret;
}

__attribute__((noinline, cold)) static int fail(struct ioas_iommu *mmu, struct ioas_iommu_dev *dev,
		uint32_t pasid, uint64_t iova, uint32_t access, uint64_t tag,
		const struct fault_info *f, struct ioas_iommu_xlate *out)
{
	struct ioas_fault *fr = &out->fault;

	memset(fr, 0, sizeof(*fr));
	fr->dev_id = dev->id;
	fr->pasid = pasid;
	fr->addr = iova;
	fr->access = access;
	fr->reason = f->reason;
	fr->stage = f->stage;
	fr->flags = f->flags | (pasid ? IOAS_FAULT_F_PASID : 0);
	fr->stage_addr = f->stage_addr;
	fr->pt_fault = f->pt_fault;
	fr->level = f->level;
	out->pa = 0;
	out->length = 0;
	out->prot = 0;
	if (f->reason == IOAS_FAULT_STOPPED)
		return -EFAULT; /* recorded when the device stopped */
	if (pasid && (tag & BF_PRI) && (dev->flags & IOAS_DEV_F_PRI) &&
	    (f->reason == IOAS_FAULT_NO_MAPPING ||
	     f->reason == IOAS_FAULT_PERMISSION) &&
	    page_request(mmu, dev, fr)) {
		fr->flags |= IOAS_FAULT_F_PAGE_REQ;
		return -EAGAIN;
	}
	record_fault(mmu, dev, fr);
	return -EFAULT;
}

/* ---- translate -------------------------------------------------------------- */

/* Everything but the common case below: argument checks, PASIDs, faults,
 * accesses that span pages, the IOTLB and the walk. */
__attribute__((noinline)) static int
translate_general(struct ioas_iommu *mmu, struct ioas_iommu_dev *dev,
		  uint32_t pasid, uint64_t iova, uint64_t length,
		  uint32_t access, struct ioas_iommu_xlate *out)
{
	struct fault_info f = { 0, 0, 0, 0, 0, 0 };
	struct binding *b;
	uint64_t last, tag, missed = 1; /* odd: no page */
	uint32_t kind;

	if (!mmu || !dev || !out || dev->mmu != mmu || !length ||
	    !(access & RWX) || (access & ~(RWX | IOAS_PROT_PRIV)))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (atomic_load_explicit(&dev->stopped, memory_order_relaxed)) {
		f.reason = IOAS_FAULT_STOPPED;
		return fail(mmu, dev, pasid, iova, access, 0, &f, out);
	}
	if (last > dev->dma_last) {
		if (iova > dev->dma_last) {
			f.reason = IOAS_FAULT_OUTSIDE_APERTURE;
			return fail(mmu, dev, pasid, iova, access, 0, &f, out);
		}
		length = dev->dma_last - iova + 1;
	}
	if (pasid) {
		if (pasid >> dev->pasid_bits) {
			f.reason = IOAS_FAULT_PASID_NOT_PRESENT;
			return fail(mmu, dev, pasid, iova, access, 0, &f, out);
		}
		b = pasid_binding(dev, pasid);
		if (!b) {
			f.reason = IOAS_FAULT_PASID_NOT_PRESENT;
			return fail(mmu, dev, pasid, iova, access, 0, &f, out);
		}
	} else {
		b = &dev->rid;
	}
	tag = atomic_load_explicit(&b->tag, memory_order_acquire);
	kind = tag_kind(tag);
	if (kind == IOAS_DOMAIN_IDENTITY) {
		out->pa = iova;
		out->length = length;
		out->prot = RWX;
		return 0;
	}
	if (kind_cached(kind) &&
	    !atomic_load_explicit(&mmu->pending_safe, memory_order_acquire)) {
		uint32_t dom = tag_dom(tag), tp = tlb_pasid(kind, pasid);
		/* read before any lookup whose result may fill the ATC */
		uint64_t epoch = atomic_load_explicit(&mmu->atc_epoch,
						      memory_order_acquire);
		uint64_t cur = iova, got = 0, pa0 = 0;
		uint32_t prot0 = 0;
		struct iotlb_hit h;

		for (;;) {
			uint64_t pa, n, st;

			st = atc_stamp(mmu->atcf, epoch, dom, cur);
			if (atc_lookup(&dev->atc, atc_key(tag, tp), st, cur,
				       &h)) {
				atc_count_hit(&dev->atc);
			} else {
				if (!iotlb_lookup(mmu->tlb, dom, tp, cur, &h)) {
					missed = cur == iova ? iova : 1;
					goto slow;
				}
				atc_fill(&dev->atc, atc_key(tag, tp), st, cur, &h);
			}
			if (perm_check(tag, h.prot, access))
				goto slow;
			pa = h.page_pa + (cur - h.page_iova);
			if (!got) {
				pa0 = pa;
				prot0 = h.prot;
			} else if (pa != pa0 + got) {
				break;
			}
			n = h.page_iova + ((1ull << h.size_lg2) - 1) - cur + 1;
			got += n;
			if (got >= length)
				break;
			cur += n;
		}
		out->pa = pa0;
		out->length = got < length ? got : length;
		out->prot = prot0;
		return 0;
	}
slow:
	if (translate_slow(mmu, dev, pasid, iova, length, access, out, &f,
			   &tag, missed))
		return fail(mmu, dev, pasid, iova, access, tag, &f, out);
	return 0;
}

/*
 * The hot path: a request without PASID, inside one 4 KiB page the
 * device's ATC holds, under a table-backed binding, with nothing pending.
 * It repeats the general path's checks in the same order, so it answers
 * exactly what the general path would; anything else goes there.
 */
int ioas_iommu_translate(struct ioas_iommu *mmu, struct ioas_iommu_dev *dev,
			 uint32_t pasid, uint64_t iova, uint64_t length,
			 uint32_t access, struct ioas_iommu_xlate *out)
{
	const uint64_t pmask = (1ull << ATC_PAGE_LG2) - 1;
	struct atc_answer a;

	if (__builtin_expect(!dev || !out || dev->mmu != mmu || pasid, 0) ||
	    !atc_fast_lookup(mmu, dev, iova, length, access, &a, NULL))
		goto general;
	out->pa = a.h.page_pa + (iova & pmask);
	out->length = length;
	out->prot = a.h.prot;
	return 0;
general:
	return translate_general(mmu, dev, pasid, iova, length, access, out);
}
