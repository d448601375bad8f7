/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal view of the software IOMMU.
 *
 * Files: iommu.c (the IOMMU, devices, groups, stats), domain.c (domains,
 * address-space mirroring and reservations, group/PASID attach, container
 * path), translate.c (the hot path, walks, faults, page requests), inv.c
 * (strict and deferred invalidation), iotlb.c (the cache).
 *
 * Lock rules (also in docs/ARCHITECTURE.md):
 *   topo (per IOMMU, pthread rwlock, writer-preferring): written by every
 *     call that changes which domain a device or PASID uses, creates or
 *     destroys a domain (which also adds/removes its table RAM region in
 *     phys), adds or removes a device. Read by translate's slow path for
 *     the whole of its walk. Domain pointers in bindings, the device
 *     table, group and domain lists are only dereferenced under it.
 *   dom->lock (per PAGING or HOST domain, pthread rwlock,
 *     writer-preferring): written by map/unmap of the domain's table or
 *     run tree (the address-space listener), read around every walk of
 *     the table (a NESTED domain's walk reads its parent's lock: stage 2
 *     is the parent's table).
 *   q_lock (mutex): the deferred invalidation queue.
 *   fault_lock (mutex): fault ring; pr_lock (mutex): page requests.
 *   Order: topo -> dom->lock -> q_lock -> pr_lock -> fault_lock; IOTLB set
 *   spin locks are innermost. No lock is recursive; none is held while a
 *   caller's callback runs.
 *   The IOTLB hit path takes none: it reads the binding word (an atomic
 *   64-bit tag: domain id, kind, flags) of the device or PASID entry and
 *   looks up (domain id, pasid) in the IOTLB. Domain ids are never
 *   reused, and a destroyed domain's entries are invalidated under topo,
 *   so a hit through an old tag is the old domain's translation as of a
 *   moment during the call (linearisable), never another domain's.
 */
#ifndef IOAS_IOMMU_IOMMU_H
#define IOAS_IOMMU_IOMMU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <ioas/iommu.h>

#include "as/as.h"
#include "core/ctx.h"
#include "core/rwlock.h"
#include "iommu/atc.h"
#include "iommu/iotlb.h"
#include "mem/phys.h"
#include "pt/pt.h"
#include "util/itree.h"

/* Binding word: dom_id << 32 | flags | kind. 0 = nothing attached. */
#define BK_MASK 0xfu
#define BF_SUPER (1u << 4) /* supervisor SVA bind: privileged requests ok */
#define BF_PRI (1u << 5)   /* PASID attached with page requests */
_Static_assert((BK_MASK | BF_SUPER | BF_PRI) < (1u << ATC_PASID_SHIFT) &&
		       (ATC_PASID_SHIFT + 20) <= 32,
	       "the ATC key puts the PASID between the tag's flags and id");

struct binding {
	_Atomic uint64_t tag;
	struct ioas_domain *dom; /* under topo */
};

#define PASID_LEAF_LG2 10
#define PASID_LEAF (1u << PASID_LEAF_LG2)
struct pasid_leaf {
	struct binding b[PASID_LEAF];
};

#define DEV_MAX_RESV 64

struct ioas_iommu_dev {
	struct ioas_iommu *mmu;
	uint32_t id, flags;
	uint32_t pasid_bits;
	uint64_t dma_last;            /* highest IOVA the device can emit */
	uint64_t pgsize_bitmap;       /* 0 = any */
	struct ioas_range *resv;
	uint32_t nr_resv;
	_Atomic bool stopped;
	struct binding rid;           /* copy of the group's binding */
	struct atc atc;               /* recent translations (atc.h) */
	_Atomic(struct pasid_leaf *) *pasid_dir;
	size_t ndir;
	struct ioas_iommu_group *grp;
	struct ioas_iommu_dev *grp_next;
};

struct ioas_iommu_group {
	struct ioas_iommu *mmu;
	uint32_t id;
	struct ioas_domain *dom;      /* RID domain, or NULL */
	struct ioas_iommu_dev *devs;
	uint32_t ndevs;
	struct ioas_iommu_group *next;
};

/* A reservation a domain made in its address space, and for whom. */
struct resv_rec {
	struct ioas_range r;
	const void *owner;            /* the domain (aperture) or a group */
};

struct ioas_domain {
	struct ioas_iommu *mmu;
	uint32_t id, type, flags;
	_Atomic uint64_t gen;         /* IOTLB generation (iotlb.h) */
	/* PAGING */
	struct ioas_pt *pt;
	/* HOST: the mapping tree of the space it is attached to (NULL when
	 * none), read under lock: the space changes the tree only with the
	 * lock held for writing (as_listener_ops.lock) */
	const struct itree *host;
	uint64_t table_base, table_bytes;
	uint64_t min_page;
	struct rwlock lock;
	struct ioas_as *as;
	struct as_listener l;
	struct resv_rec *resv;
	size_t nr_resv, cap_resv;
	bool auto_dom;                /* created by group_attach_as */
	bool dying;                   /* being destroyed */
	uint32_t ngroups;             /* groups attached (under topo) */
	struct ioas_domain *children; /* NESTED domains over this one */
	/* PAGING, NESTED, SVA: the hardware view the walk uses */
	struct pt_hw_walker walker;
	uint64_t ap_start, ap_last;   /* PAGING: the table's aperture */
	/* NESTED */
	struct ioas_domain *parent;
	struct ioas_domain *sibling;
	/* list of the IOMMU's domains */
	struct ioas_domain *next;
};

struct inv_entry {
	struct ioas_domain *dom;
	uint32_t pasid;
	uint64_t start, last;
};

struct pr_entry {
	struct ioas_page_request req;
	struct ioas_iommu_dev *dev;
	int state;                    /* 0 pending, 1 success, 2 invalid */
};

struct ioas_iommu {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct iotlb *tlb;
	uint32_t flags, inv_mode, default_format;
	uint32_t max_devices, max_groups, max_domains;
	bool stale;                   /* DEFERRED + F_STALE */
	void (*fault_cb)(void *opaque, const struct ioas_fault *fault);
	void *fault_opaque;

	struct rwlock topo;
	struct ioas_iommu_dev **devs; /* sorted by id */
	size_t ndevs, cap_devs;
	struct ioas_iommu_group *groups;
	uint32_t ngroups;
	struct ioas_domain *domains;
	uint32_t ndomains;
	uint32_t next_dom_id;

	/* deferred invalidation */
	pthread_mutex_t q_lock;
	struct inv_entry *q;
	uint32_t q_len, q_cap;
	_Alignas(64) _Atomic uint64_t pending_safe; /* entries that divert hits */
	_Atomic uint64_t atc_epoch;   /* bumped after every IOTLB invalidation
				       * that is not a small range (atc.h) */
	struct atc_filter *atcf;      /* range invalidations (atc.h) */
	_Atomic uint64_t syncs;

	/* faults */
	_Alignas(64) pthread_mutex_t fault_lock;
	struct ioas_fault *fq;
	uint32_t fq_cap, fq_head, fq_len;
	uint64_t fault_overflow, faults;

	/* page requests */
	pthread_mutex_t pr_lock;
	struct pr_entry *pr;
	uint32_t pr_len, pr_cap;
	uint64_t pr_next_id, pr_count;

	_Atomic uint64_t walks;
};

#define RWX (IOAS_PROT_READ | IOAS_PROT_WRITE | IOAS_PROT_EXEC)
/* What a domain keeps of a mapping's prot. */
#define DOM_PROT (RWX | IOAS_PROT_PRIV | IOAS_PROT_MMIO)

/* Domain kinds whose translations the IOTLB and the ATCs keep. */
static inline bool kind_cached(uint32_t kind)
{
	return kind == IOAS_DOMAIN_PAGING || kind == IOAS_DOMAIN_NESTED ||
	       kind == IOAS_DOMAIN_SVA || kind == IOAS_DOMAIN_HOST;
}

static inline uint32_t tag_kind(uint64_t tag)
{
	return (uint32_t)(tag & BK_MASK);
}
static inline uint32_t tag_dom(uint64_t tag)
{
	return (uint32_t)(tag >> 32);
}

/* domain.c */
void domain_destroy_locked(struct ioas_domain *dom);
void group_set_binding(struct ioas_iommu_group *grp, struct ioas_domain *dom);
int group_resv_add(struct ioas_domain *dom, struct ioas_iommu_group *grp);
void resv_drop_owner(struct ioas_domain *dom, const void *owner);
uint64_t domain_tag(const struct ioas_domain *dom, uint32_t extra);
struct binding *pasid_binding(struct ioas_iommu_dev *dev, uint32_t pasid);

/* inv.c */
int inv_init(struct ioas_iommu *mmu, uint32_t qlen);
void inv_fini(struct ioas_iommu *mmu);
/* After the table of dom lost [start, last] (dom->lock held for writing). */
void inv_unmapped(struct ioas_domain *dom, uint64_t start, uint64_t last);
/* Before dom maps [start, last] (dom->lock held for writing): process the
 * queue up to the last entry that could serve a stale translation there. */
void inv_before_map(struct ioas_domain *dom, uint64_t start, uint64_t last);
/* Drop queued entries of dom (destroy; dom is invalidated as a whole). */
void inv_forget_domain(struct ioas_domain *dom);
/* True when iova of dom lies in a pending range (safe deferred mode). */
bool inv_pending_hit(struct ioas_domain *dom, uint32_t pasid, uint64_t iova);
/* Whole-domain invalidation, now (and of nested children). */
void inv_domain_now(struct ioas_domain *dom);

/* translate.c */
int fault_init(struct ioas_iommu *mmu, uint32_t cap);
void fault_fini(struct ioas_iommu *mmu);
/* Drop page requests of a device being removed. */
void pr_forget_dev(struct ioas_iommu_dev *dev);

/* Every IOTLB invalidation ends here, after its entries are cleared: the
 * ATC entries filled before it stop matching (atc.h). */
static inline void iommu_tlb_changed(struct ioas_iommu *mmu)
{
	atomic_fetch_add(&mmu->atc_epoch, 1);
}
/* The same for an invalidation of [start, last] of domain id dom only:
 * only the ATC entries of those pages stop matching (inv.c). */
void iommu_tlb_changed_range(struct ioas_iommu *mmu, uint32_t dom,
			     uint64_t start, uint64_t last);

/* tcache.c: filling a caller-held cache entry around a translate (the
 * virtio-iommu device's cached translate uses it too). begin, before the
 * translate: false when its answer may not be cached; end, after a
 * translate that answered the whole access with pa and prot: fills the
 * entry unless the binding moved in between. */
struct tcache_fill {
	_Atomic uint64_t *counter;
	uint64_t tag, stamp;
};
bool tcache_fill_begin(const struct ioas_iommu_tcache *c, uint64_t iova,
		       uint64_t length, uint32_t access, struct tcache_fill *f);
void tcache_fill_end(struct ioas_iommu_tcache *c, const struct tcache_fill *f,
		     uint64_t iova, uint64_t pa, uint32_t prot);
/* May the device's ATC answer this request without PASID (dev of mmu):
 * one 4 KiB page, a plain access, inside the device's DMA width, the
 * device not stopped, its RID binding (*tag, read here) a kind the IOTLB
 * keeps and no safe deferred invalidation pending? The translate fast
 * path's entry test; length - 1 wraps for 0, and within one page
 * iova + length - 1 cannot overflow. */
static inline bool atc_path_open(struct ioas_iommu *mmu,
				 struct ioas_iommu_dev *dev, uint64_t iova,
				 uint64_t length, uint32_t access, uint64_t *tag)
{
	const uint64_t pmask = ((uint64_t)1 << ATC_PAGE_LG2) - 1;

	if (__builtin_expect(length - 1 > pmask - (iova & pmask) ||
				     !(access & RWX) || (access & ~RWX) ||
				     iova + (length - 1) > dev->dma_last ||
				     atomic_load_explicit(&dev->stopped,
							  memory_order_relaxed),
			     0))
		return false;
	*tag = atomic_load_explicit(&dev->rid.tag, memory_order_acquire);
	return kind_cached(tag_kind(*tag)) &&
	       !atomic_load_explicit(&mmu->pending_safe, memory_order_acquire);
}

/* What the device's ATC answered: the binding it matched, the epoch and
 * the page's filter counter read before the lookup (stamp, their sum, is
 * what a cache of the answer records), and the 4 KiB page. */
struct atc_answer {
	uint64_t tag, epoch, stamp;
	_Atomic uint64_t *counter;
	struct iotlb_hit h;
};

/* ioas_iommu_translate's fast path, also the caller-held cache's refill:
 * may the device's ATC answer this request without PASID (atc_path_open),
 * and does it (counted as its hit)? A privileged request or page is the
 * general path's (perm_check). run: the entry's run as well, or NULL. */
static inline bool atc_fast_lookup(struct ioas_iommu *mmu,
				   struct ioas_iommu_dev *dev, uint64_t iova,
				   uint64_t length, uint32_t access,
				   struct atc_answer *a, struct atc_run *run)
{
	if (!atc_path_open(mmu, dev, iova, length, access, &a->tag))
		return false;
	a->epoch = atomic_load_explicit(&mmu->atc_epoch, memory_order_acquire);
	a->counter = atc_filter_slot(mmu->atcf, tag_dom(a->tag), iova);
	a->stamp = a->epoch +
		   atomic_load_explicit(a->counter, memory_order_acquire);
	if (!atc_lookup_run(&dev->atc, atc_key(a->tag, 0), a->stamp, iova,
			    &a->h, run) ||
	    ((access | a->h.prot) & IOAS_PROT_PRIV) ||
	    (access & ~a->h.prot & RWX))
		return false;
	atc_count_hit(&dev->atc);
	return true;
}

/* An invalidation counter as the caches callers hold read it (an _Atomic
 * uint64_t is a plain uint64_t in memory: tcache.c checks). */
static inline const uint64_t *tcache_word(_Atomic uint64_t *p)
{
	return (const uint64_t *)(uintptr_t)p;
}

/* The entry of c that a page's answer goes to (the inline lookup's in
 * include/ioas/iommu.h). */
static inline struct ioas_iommu_tcache_entry *
tcache_slot(struct ioas_iommu_tcache *c, uint64_t iova)
{
	return &c->e[(iova >> ATC_PAGE_LG2) & (IOAS_IOMMU_TCACHE_ENTRIES - 1)];
}

/* Fill the entry of iova's page: prot in its low bits (it fits: ATC
 * entries and the caller checked), pa - iova, and the stamp it is
 * live under, checked against epoch + *counter. */
static inline void tcache_put(struct ioas_iommu_tcache *c, uint64_t iova,
			      uint32_t prot, uint64_t delta, uint64_t stamp,
			      const uint64_t *counter)
{
	struct ioas_iommu_tcache_entry *e = tcache_slot(c, iova);

	e->page_prot = (iova & ~(((uint64_t)1 << ATC_PAGE_LG2) - 1)) | prot;
	e->delta = delta;
	e->stamp = stamp;
	e->counter = counter;
}

/* The entry of c's run that answers an access of length bytes at iova
 * (a hit, counted), or NULL. The first thing a miss call asks: kept out of
 * the inline page lookup, whose hits it would slow. */
static inline const struct ioas_iommu_tcache_entry *
tcache_run_lookup(struct ioas_iommu_tcache *c, uint64_t iova, uint64_t length,
		  uint32_t access)
{
	const struct ioas_iommu_tcache_entry *r = &c->run;
	const uint64_t first = r->page_prot & ~(uint64_t)0xfff;

	/* first <= iova <= last, then the access ends inside (an empty run
	 * grants nothing; no run spans all of the 64-bit space, so length 0
	 * never fits) */
	if (iova - first <= c->run_last - first &&
	    length - 1 <= c->run_last - iova && (access & RWX) &&
	    !(access & ~(r->page_prot & RWX)) &&
	    __atomic_load_n(c->epoch, __ATOMIC_ACQUIRE) +
			    __atomic_load_n(r->counter, __ATOMIC_ACQUIRE) ==
		    r->stamp) {
		c->hits++;
		return r;
	}
	return NULL;
}

/* The common miss in one step: the device's ATC holds the page (answers
 * exactly as ioas_iommu_translate's fast path would, counted as its ATC
 * hit): *pa and *prot of the access, the entry refilled, true. false: ask
 * ioas_iommu_translate (nothing changed). c initialised. Inline: it is
 * most of a miss (the first touch of a page a MAP prefetched), and the
 * callers' own checks let the compiler drop some of atc_path_open's. */
static inline bool tcache_refill_from_atc(struct ioas_iommu_tcache *c,
					  uint64_t iova, uint64_t length,
					  uint32_t access, uint64_t *pa,
					  uint32_t *prot)
{
	const uint64_t pmask = ((uint64_t)1 << ATC_PAGE_LG2) - 1;
	_Atomic uint64_t *dcounter;
	struct atc_answer a;
	struct atc_run run;

	if (!atc_fast_lookup(c->mmu, c->dev, iova, length, access, &a, &run))
		return false;
	*pa = a.h.page_pa + (iova & pmask);
	*prot = a.h.prot;
	/* the binding the key matched is the one read before the epoch: a
	 * change since bumps the epoch after its store (tcache_fill_end) */
	if (atomic_load_explicit(&c->dev->rid.tag, memory_order_acquire) !=
	    a.tag)
		return true;
	tcache_put(c, iova, a.h.prot, *pa - iova, a.stamp,
		   tcache_word(a.counter));
	/* The page's run, when its MAP recorded one: every page of it
	 * translates as this one does while no range of the domain wider
	 * than a page has been invalidated since the MAP (only unmapping
	 * the whole run can change it; a HOST domain's space reserves what
	 * its devices must not reach: their regions and beyond their DMA
	 * width).
	 * The run entry is checked against the domain's counter on every
	 * hit, so it is kept only when that still holds now (read here, after
	 * the lookup: the check only spares installing a dead run). */
	if (run.first > iova || iova > run.last || run.last - run.first <= pmask)
		return true;
	dcounter = atc_domain_slot(c->mmu->atcf, tag_dom(a.tag));
	if (run.stamp != a.epoch + atomic_load_explicit(dcounter,
							memory_order_acquire))
		return true;
	c->run.page_prot = run.first | a.h.prot;
	c->run.delta = *pa - iova;
	c->run.stamp = run.stamp;
	c->run.counter = tcache_word(dcounter);
	c->run_last = run.last;
	return true;
}

/* Warm dev's ATC with the 4 KiB pages of [iova, last] (at most max_pages)
 * that its RID binding maps now, as a device that is about to use a
 * buffer it was just given may ask for its translations ahead (PCIe ATS).
 * Nothing is filled while safe deferred invalidations are pending.
 * translate.c. Never fails. */
void iommu_dev_prefetch(struct ioas_iommu_dev *dev, uint64_t iova,
			uint64_t last, uint32_t max_pages);
/* The same for [iova, last] -> pa with prot that the caller has just
 * mapped in dom and keeps mapped until this returns (it serialises every
 * unmap of dom with this call). A HOST domain then needs no lookup and no
 * lock: its walk would answer exactly that; and its entries carry the
 * whole run when it is made of whole pages, which the caches callers hold
 * take as one entry (tcache_refill_from_atc). Other kinds prefetch as
 * above. */
void iommu_dev_prefetch_mapped(struct ioas_iommu_dev *dev,
			       const struct ioas_domain *dom, uint64_t iova,
			       uint64_t last, uint64_t pa, uint32_t prot,
			       uint32_t max_pages);

#endif
