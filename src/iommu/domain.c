/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Domains: creation, mirroring an address space (a domain is a listener
 * of the space and writes its runs into its page table), the reservations
 * that make the space's usable ranges the intersection of what its
 * domains and devices allow, group and PASID attach / replace / detach,
 * and the container-style path.
 */
#include <errno.h>
#include <string.h>

#include "iommu.h"

#define DOMAIN_CONFIG_MIN_SIZE sizeof(struct ioas_domain_config)
#define TABLE_BYTES_DEFAULT (4ull << 20)
#define TABLE_LIMIT_LG2 39

uint64_t domain_tag(const struct ioas_domain *dom, uint32_t extra)
{
	if (!dom)
		return 0;
	return (uint64_t)dom->id << 32 | extra | dom->type;
}

/* ---- table memory ------------------------------------------------------- */

/* The highest base of len bytes in a hole of phys, below limit
 * (exclusive), with base + off aligned to align. */
static int find_table_hole(const struct ioas_phys *phys, uint64_t limit,
			   uint64_t len, uint64_t align, uint64_t off,
			   uint64_t *out)
{
	for (size_t i = phys->count + 1; i-- > 0;) {
		uint64_t lo, top, base;

		if (i && phys->regions[i - 1]->last == UINT64_MAX)
			continue;
		lo = i ? phys->regions[i - 1]->last + 1 : 0;
		top = i < phys->count ? phys->regions[i]->base - 1 : UINT64_MAX;
		if (i < phys->count && phys->regions[i]->base == 0)
			continue;
		if (top > limit - 1)
			top = limit - 1;
		if (top < lo || top - lo < len - 1)
			continue;
		base = top - (len - 1);
		if (base + off < base)
			continue;
		base = ((base + off) & ~(align - 1)) - off;
		if (base >= lo && base <= top - (len - 1))
			return (*out = base), 0;
	}
	return -ENOSPC;
}

/* ---- listener: the address space feeds the table ------------------------ */

static struct ioas_domain *dom_of_listener(struct as_listener *l)
{
	return (struct ioas_domain *)(void *)((char *)l -
					      offsetof(struct ioas_domain, l));
}

static int dom_listener_map(struct as_listener *l, uint64_t iova,
			    uint64_t last, uint64_t pa, uint32_t prot)
{
	struct ioas_domain *dom = dom_of_listener(l);
	int ret;

	rwl_wr_lock(&dom->lock);
	if (dom->mmu->inv_mode == IOAS_INV_DEFERRED)
		inv_before_map(dom, iova, last);
	ret = ioas_pt_map(dom->pt, iova, last, pa, prot & DOM_PROT);
	rwl_unlock(&dom->lock);
	return ret;
}

static void dom_listener_unmap(struct as_listener *l, uint64_t iova,
			       uint64_t last)
{
	struct ioas_domain *dom = dom_of_listener(l);

	rwl_wr_lock(&dom->lock);
	(void)ioas_pt_unmap(dom->pt, iova, last, NULL);
	inv_unmapped(dom, iova, last);
	rwl_unlock(&dom->lock);
}

static const struct as_listener_ops dom_listener_ops = {
	dom_listener_map, dom_listener_unmap, NULL, NULL
};

/* HOST domains keep nothing of their own: the walk reads the space's
 * tree (walk_host) under the domain's lock, which the space holds for
 * writing around every change of its tree and these calls. */
static int host_listener_map(struct as_listener *l, uint64_t iova,
			     uint64_t last, uint64_t pa, uint32_t prot)
{
	struct ioas_domain *dom = dom_of_listener(l);

	(void)pa;
	(void)prot;
	inv_before_map(dom, iova, last); /* deferred mode's ops only */
	return 0;
}

static void host_listener_unmap(struct as_listener *l, uint64_t iova,
				uint64_t last)
{
	inv_unmapped(dom_of_listener(l), iova, last);
}

static void host_listener_lock(struct as_listener *l)
{
	rwl_wr_lock(&dom_of_listener(l)->lock);
}

static void host_listener_unlock(struct as_listener *l)
{
	rwl_unlock(&dom_of_listener(l)->lock);
}

static const struct as_listener_ops host_listener_ops = {
	host_listener_map, host_listener_unmap, host_listener_lock,
	host_listener_unlock
};

/* Strict mode: a new mapping needs nothing (no queued invalidation can
 * cover it), so the space does not call in at all. */
static const struct as_listener_ops host_listener_ops_strict = {
	NULL, host_listener_unmap, host_listener_lock, host_listener_unlock
};

/* ---- reservations in the mirrored space ---------------------------------- */

static int resv_add(struct ioas_domain *dom, uint64_t start, uint64_t last,
		    const void *owner)
{
	int ret;

	if (dom->nr_resv == dom->cap_resv) {
		size_t ncap = dom->cap_resv ? dom->cap_resv * 2 : 8;
		struct resv_rec *n = ctx_zalloc(dom->mmu->ctx, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		if (dom->nr_resv)
			memcpy(n, dom->resv, dom->nr_resv * sizeof(*n));
		ctx_free(dom->mmu->ctx, dom->resv, dom->cap_resv * sizeof(*n));
		dom->resv = n;
		dom->cap_resv = ncap;
	}
	ret = ioas_as_reserve(dom->as, start, last);
	if (ret)
		return ret;
	dom->resv[dom->nr_resv].r.start = start;
	dom->resv[dom->nr_resv].r.last = last;
	dom->resv[dom->nr_resv].owner = owner;
	dom->nr_resv++;
	return 0;
}

/* Undo every reservation made for owner (NULL: all). Never fails. */
void resv_drop_owner(struct ioas_domain *dom, const void *owner)
{
	size_t j = 0;

	for (size_t i = 0; i < dom->nr_resv; i++) {
		struct resv_rec *r = &dom->resv[i];

		if (!owner || r->owner == owner)
			(void)ioas_as_unreserve(dom->as, r->r.start, r->r.last);
		else
			dom->resv[j++] = *r;
	}
	dom->nr_resv = j;
}

/* The group's devices' reserved regions and the IOVA above their DMA
 * width, reserved in dom's space (if it mirrors one). All or nothing. */
int group_resv_add(struct ioas_domain *dom, struct ioas_iommu_group *grp)
{
	if (!dom || (dom->type != IOAS_DOMAIN_PAGING &&
		     dom->type != IOAS_DOMAIN_HOST) || !dom->as)
		return 0;
	for (struct ioas_iommu_dev *d = grp->devs; d; d = d->grp_next) {
		int ret = 0;

		for (uint32_t i = 0; i < d->nr_resv && !ret; i++)
			ret = resv_add(dom, d->resv[i].start, d->resv[i].last,
				       grp);
		if (!ret && d->dma_last != UINT64_MAX)
			ret = resv_add(dom, d->dma_last + 1, UINT64_MAX, grp);
		if (ret) {
			resv_drop_owner(dom, grp);
			return ret;
		}
	}
	return 0;
}

/* ---- creation ------------------------------------------------------------------- */

static int create_paging(struct ioas_iommu *mmu, struct ioas_domain *dom,
			 const struct ioas_domain_config *cfg)
{
	struct ioas_pt_config pc;
	struct ioas_phys_region reg;
	struct ioas_pt_info info;
	struct ioas_pt_hw hw;
	uint64_t len = cfg->table_bytes ? cfg->table_bytes : TABLE_BYTES_DEFAULT;
	uint64_t limit = 1ull << TABLE_LIMIT_LG2, base, step, align;
	const struct pt_fmt_ops *ops;
	struct ioas_pt_config gc;
	struct pt_geom g;
	int ret;

	if (cfg->pt.size < offsetof(struct ioas_pt_config, reserved) + 8)
		return -EINVAL;
	ret = struct_copy_in(&pc, sizeof(pc), &cfg->pt, cfg->pt.size,
			     offsetof(struct ioas_pt_config, reserved) + 8);
	if (ret)
		return ret;
	if (pc.flags & (IOAS_PT_F_TABLE_BASE | IOAS_PT_F_TABLES_IN_REGION))
		return -EINVAL;
	if (len & (ioas_ctx_page_size(mmu->ctx) - 1))
		return -EINVAL;
	if (pc.output_bits && pc.output_bits < TABLE_LIMIT_LG2)
		limit = 1ull << pc.output_bits;
	pc.flags |= IOAS_PT_F_TABLES_IN_REGION;
	/*
	 * Each paging domain owns one RAM region for its tables (the root at
	 * its base, then table pages), added once here: map and unmap then
	 * never change the physical address space, which concurrent walks
	 * read without locks. table_bytes bounds the domain's tables.
	 */
	ops = pt_fmt_ops_get(pc.format);
	if (!ops)
		return -EOPNOTSUPP;
	gc = pc;
	memset(&g, 0, sizeof(g));
	ret = ops->geom(&g, &gc, false);
	if (ret)
		return ret;
	step = 1ull << (g.root_lg2 > g.table_lg2 ? g.root_lg2 : g.table_lg2);
	align = step;
	if (len < 1ull << (g.table_lg2 + 6))
		len = 1ull << (g.table_lg2 + 6); /* at least 64 table pages */
	len += step; /* the root */

	/* Adding a region changes phys: exclusive with every walk. */
	rwl_wr_lock(&mmu->topo);
	ret = find_table_hole(mmu->phys, limit, len, align, step, &base);
	if (ret)
		goto out;
	memset(&reg, 0, sizeof(reg));
	reg.size = sizeof(reg);
	reg.kind = IOAS_PHYS_RAM;
	reg.base = base;
	reg.length = len;
	ret = ioas_phys_add(mmu->phys, &reg);
	if (ret)
		goto out;
	pc.table_base = base;
	ret = ioas_pt_create(mmu->phys, &pc, &dom->pt);
	if (ret) {
		(void)ioas_phys_remove(mmu->phys, base);
		goto out;
	}
	dom->table_base = base;
	dom->table_bytes = len;
out:
	rwl_unlock(&mmu->topo);
	if (ret)
		return ret;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	memset(&hw, 0, sizeof(hw));
	hw.size = sizeof(hw);
	if (ioas_pt_get_info(dom->pt, &info) || ioas_pt_get_hw(dom->pt, &hw) ||
	    pt_hw_prepare(&dom->walker, &hw)) {
		ret = -EINVAL; /* cannot happen for a table we built */
		goto err;
	}
	dom->ap_start = info.aperture.start;
	dom->ap_last = info.aperture.last;
	dom->min_page = info.pgsize_bitmap & -info.pgsize_bitmap;
	rwl_init(&dom->lock);
	dom->l.ops = &dom_listener_ops;
	return 0;
err:
	rwl_wr_lock(&mmu->topo);
	ioas_pt_destroy(dom->pt);
	(void)ioas_phys_remove(mmu->phys, dom->table_base);
	rwl_unlock(&mmu->topo);
	dom->pt = NULL;
	return ret;
}

int ioas_domain_create(struct ioas_iommu *mmu,
		       const struct ioas_domain_config *ucfg,
		       struct ioas_domain **out)
{
	struct ioas_domain_config cfg;
	struct ioas_domain *dom;
	int ret;

	if (!mmu || !ucfg || !out)
		return -EINVAL;
	ret = struct_copy_in(&cfg, sizeof(cfg), ucfg, ucfg->size,
			     DOMAIN_CONFIG_MIN_SIZE);
	if (ret)
		return ret;
	if (cfg.flags & ~IOAS_DOMAIN_F_SUPERVISOR)
		return -EOPNOTSUPP;
	if (cfg.reserved || cfg.type < IOAS_DOMAIN_PAGING ||
	    cfg.type > IOAS_DOMAIN_HOST ||
	    ((cfg.flags & IOAS_DOMAIN_F_SUPERVISOR) &&
	     cfg.type != IOAS_DOMAIN_SVA))
		return -EINVAL;
	if (cfg.type == IOAS_DOMAIN_NESTED &&
	    (!cfg.parent || cfg.parent->mmu != mmu ||
	     cfg.parent->type != IOAS_DOMAIN_PAGING))
		return -EINVAL;
	if ((cfg.type == IOAS_DOMAIN_NESTED || cfg.type == IOAS_DOMAIN_SVA) &&
	    cfg.hw.size < offsetof(struct ioas_pt_hw, iova_offset) + 8)
		return -EINVAL;
	if (cfg.type == IOAS_DOMAIN_NESTED && cfg.hw.format != IOAS_PT_FMT_X86_64 &&
	    cfg.hw.format != IOAS_PT_FMT_ARM_S1)
		return -EOPNOTSUPP;
	if (cfg.type == IOAS_DOMAIN_SVA && cfg.hw.format != IOAS_PT_FMT_X86_64)
		return -EOPNOTSUPP;
	if (mmu->ndomains >= mmu->max_domains || mmu->next_dom_id == 0)
		return -ENOSPC;

	dom = ctx_zalloc(mmu->ctx, sizeof(*dom));
	if (!dom)
		return -ENOMEM;
	dom->mmu = mmu;
	dom->type = cfg.type;
	dom->flags = cfg.flags;
	dom->min_page = 1ull << 12;
	switch (cfg.type) {
	case IOAS_DOMAIN_PAGING:
		ret = create_paging(mmu, dom, &cfg);
		break;
	case IOAS_DOMAIN_HOST:
		dom->ap_start = 0;
		dom->ap_last = UINT64_MAX;
		dom->min_page = ioas_ctx_page_size(mmu->ctx);
		rwl_init(&dom->lock);
		dom->l.ops = mmu->inv_mode == IOAS_INV_DEFERRED
				     ? &host_listener_ops
				     : &host_listener_ops_strict;
		ret = 0;
		break;
	case IOAS_DOMAIN_NESTED:
	case IOAS_DOMAIN_SVA: {
		struct ioas_pt_hw hw;

		ret = struct_copy_in(&hw, sizeof(hw), &cfg.hw, cfg.hw.size,
				     offsetof(struct ioas_pt_hw, iova_offset) + 8);
		if (!ret && (hw.flags & IOAS_PT_HW_F_SET_AD))
			ret = -EINVAL; /* we never write guest/process tables */
		if (!ret)
			ret = pt_hw_prepare(&dom->walker, &hw);
		if (!ret)
			dom->min_page = 1ull << dom->walker.g.granule_lg2;
		break;
	}
	default:
		ret = 0;
	}
	if (ret) {
		ctx_free(mmu->ctx, dom, sizeof(*dom));
		return ret;
	}
	rwl_wr_lock(&mmu->topo);
	dom->id = mmu->next_dom_id++;
	if (cfg.type == IOAS_DOMAIN_NESTED) {
		rwl_wr_lock(&cfg.parent->lock);
		dom->parent = cfg.parent;
		dom->sibling = cfg.parent->children;
		cfg.parent->children = dom;
		rwl_unlock(&cfg.parent->lock);
	}
	dom->next = mmu->domains;
	mmu->domains = dom;
	mmu->ndomains++;
	rwl_unlock(&mmu->topo);
	*out = dom;
	return 0;
}

static void unbind_everywhere(struct ioas_domain *dom)
{
	struct ioas_iommu *mmu = dom->mmu;

	for (struct ioas_iommu_group *g = mmu->groups; g; g = g->next)
		if (g->dom == dom)
			ioas_iommu_group_detach(g);
	for (size_t i = 0; i < mmu->ndevs; i++) {
		struct ioas_iommu_dev *dev = mmu->devs[i];

		for (size_t d = 0; d < dev->ndir; d++) {
			struct pasid_leaf *leaf = atomic_load(&dev->pasid_dir[d]);

			for (uint32_t p = 0; leaf && p < PASID_LEAF; p++)
				if (leaf->b[p].dom == dom)
					ioas_iommu_pasid_detach(
						dev,
						(uint32_t)(d * PASID_LEAF + p));
		}
	}
}

void ioas_domain_destroy(struct ioas_domain *dom)
{
	struct ioas_iommu *mmu;

	if (!dom || dom->dying)
		return;
	mmu = dom->mmu;
	dom->dying = true;
	unbind_everywhere(dom);
	ioas_domain_detach_as(dom);

	rwl_wr_lock(&mmu->topo);
	for (struct ioas_domain **pp = &mmu->domains; *pp; pp = &(*pp)->next) {
		if (*pp == dom) {
			*pp = dom->next;
			break;
		}
	}
	mmu->ndomains--;
	if (dom->type == IOAS_DOMAIN_PAGING) {
		rwl_wr_lock(&dom->lock);
		for (struct ioas_domain *c = dom->children; c; c = c->sibling)
			c->parent = NULL; /* stage 2 gone: they fault */
		dom->children = NULL;
		rwl_unlock(&dom->lock);
	}
	if (dom->parent) {
		struct ioas_domain *p = dom->parent;

		rwl_wr_lock(&p->lock);
		for (struct ioas_domain **pp = &p->children; *pp;
		     pp = &(*pp)->sibling) {
			if (*pp == dom) {
				*pp = dom->sibling;
				break;
			}
		}
		rwl_unlock(&p->lock);
	}
	/* No translate holds dom now (topo); none can find it again. */
	inv_forget_domain(dom);
	iotlb_inv_domain(mmu->tlb, dom->id, &dom->gen);
	iommu_tlb_changed(mmu);
	if (dom->pt) {
		ioas_pt_destroy(dom->pt);
		(void)ioas_phys_remove(mmu->phys, dom->table_base);
	}
	rwl_unlock(&mmu->topo);
	ctx_free(mmu->ctx, dom->resv, dom->cap_resv * sizeof(*dom->resv));
	ctx_free(mmu->ctx, dom, sizeof(*dom));
}

uint32_t ioas_domain_id(const struct ioas_domain *dom)
{
	return dom->id;
}

struct ioas_pt *ioas_domain_pt(const struct ioas_domain *dom)
{
	return dom->pt;
}

/* ---- mirroring an address space ------------------------------------------ */

static uint64_t as_min_page(const struct ioas_as *as)
{
	uint64_t m = 0;

	for (size_t i = 0; i < as->nr_windows; i++)
		if (!m || as->windows[i]->min_pgsize < m)
			m = as->windows[i]->min_pgsize;
	return m;
}

int ioas_domain_attach_as(struct ioas_domain *dom, struct ioas_as *as)
{
	struct ioas_iommu *mmu;
	uint64_t asmin;
	int ret = 0;

	if (!dom || !as || (dom->type != IOAS_DOMAIN_PAGING &&
			     dom->type != IOAS_DOMAIN_HOST))
		return -EINVAL;
	mmu = dom->mmu;
	asmin = as_min_page(as);
	if (asmin && asmin < dom->min_page)
		return -EINVAL;
	if (dom->as)
		return -EBUSY;
	dom->as = as;
	if (dom->ap_start)
		ret = resv_add(dom, 0, dom->ap_start - 1, dom);
	if (!ret && dom->ap_last != UINT64_MAX)
		ret = resv_add(dom, dom->ap_last + 1, UINT64_MAX, dom);
	for (struct ioas_iommu_group *g = mmu->groups; g && !ret; g = g->next)
		if (g->dom == dom)
			ret = group_resv_add(dom, g);
	if (!ret)
		ret = as_listener_attach(as, &dom->l);
	if (ret) {
		resv_drop_owner(dom, NULL);
		dom->as = NULL;
	} else if (dom->type == IOAS_DOMAIN_HOST) {
		rwl_wr_lock(&dom->lock);
		dom->host = &as->maps;
		rwl_unlock(&dom->lock);
	}
	return ret;
}

void ioas_domain_detach_as(struct ioas_domain *dom)
{
	if (!dom || !dom->as)
		return;
	if (dom->type == IOAS_DOMAIN_HOST) {
		/* walks stop finding mappings, then the detach below
		 * invalidates what they cached */
		rwl_wr_lock(&dom->lock);
		dom->host = NULL;
		rwl_unlock(&dom->lock);
	}
	as_listener_detach(dom->as, &dom->l);
	resv_drop_owner(dom, NULL);
	dom->as = NULL;
}

/* ---- groups ------------------------------------------------------------------ */

void group_set_binding(struct ioas_iommu_group *grp, struct ioas_domain *dom)
{
	uint64_t tag = domain_tag(dom, 0);

	if (grp->dom)
		grp->dom->ngroups--;
	grp->dom = dom;
	if (dom)
		dom->ngroups++;
	for (struct ioas_iommu_dev *d = grp->devs; d; d = d->grp_next) {
		d->rid.dom = dom;
		atomic_store_explicit(&d->rid.tag, tag, memory_order_release);
	}
	/* after the stores: caller-held caches check the epoch, not the
	 * binding (tcache.c) */
	iommu_tlb_changed(grp->mmu);
}

/* Page-size compatibility of every device of grp with dom. */
static bool dev_accepts(const struct ioas_iommu_dev *d,
			const struct ioas_domain *dom)
{
	if (!d->pgsize_bitmap)
		return true;
	if (dom->type == IOAS_DOMAIN_IDENTITY || dom->type == IOAS_DOMAIN_BLOCKED)
		return true;
	return (d->pgsize_bitmap & dom->min_page) != 0;
}

static int group_check(struct ioas_iommu_group *grp, struct ioas_domain *dom)
{
	if (!grp || !dom || dom->mmu != grp->mmu || dom->dying ||
	    dom->type == IOAS_DOMAIN_SVA)
		return -EINVAL;
	return 0;
}

static int group_compat(struct ioas_iommu_group *grp, struct ioas_domain *dom)
{
	for (struct ioas_iommu_dev *d = grp->devs; d; d = d->grp_next)
		if (!dev_accepts(d, dom))
			return -EPERM;
	return 0;
}

static void maybe_free_auto(struct ioas_domain *old)
{
	if (old && old->auto_dom && !old->dying && !old->ngroups)
		ioas_domain_destroy(old);
}

int ioas_iommu_group_replace(struct ioas_iommu_group *grp,
			     struct ioas_domain *dom)
{
	struct ioas_domain *old;
	int ret = group_check(grp, dom);

	if (ret)
		return ret;
	old = grp->dom;
	if (old == dom)
		return 0;
	ret = group_compat(grp, dom);
	if (ret)
		return ret;
	ret = group_resv_add(dom, grp);
	if (ret)
		return ret;
	rwl_wr_lock(&grp->mmu->topo);
	group_set_binding(grp, dom);
	rwl_unlock(&grp->mmu->topo);
	if (old && old->as)
		resv_drop_owner(old, grp);
	maybe_free_auto(old);
	return 0;
}

int ioas_iommu_group_attach(struct ioas_iommu_group *grp,
			    struct ioas_domain *dom)
{
	int ret = group_check(grp, dom);

	if (ret)
		return ret;
	if (grp->dom)
		return -EBUSY;
	return ioas_iommu_group_replace(grp, dom);
}

void ioas_iommu_group_detach(struct ioas_iommu_group *grp)
{
	struct ioas_domain *old;

	if (!grp || !grp->dom)
		return;
	old = grp->dom;
	rwl_wr_lock(&grp->mmu->topo);
	group_set_binding(grp, NULL);
	rwl_unlock(&grp->mmu->topo);
	if (old->as)
		resv_drop_owner(old, grp);
	maybe_free_auto(old);
}

struct ioas_domain *ioas_iommu_group_domain(const struct ioas_iommu_group *grp)
{
	return grp->dom;
}

int ioas_iommu_group_attach_as(struct ioas_iommu_group *grp, struct ioas_as *as)
{
	struct ioas_iommu *mmu;
	struct ioas_domain_config dc;
	struct ioas_domain *dom;
	bool new_window = false;
	int ret;

	if (!grp || !as)
		return -EINVAL;
	if (grp->dom)
		return -EBUSY;
	mmu = grp->mmu;
	for (dom = mmu->domains; dom; dom = dom->next)
		if (dom->auto_dom && dom->as == as)
			return ioas_iommu_group_attach(grp, dom);

	if (as->window_mode == IOAS_WINDOWS_EXPLICIT && !as->nr_windows) {
		struct ioas_window w = { .size = sizeof(w),
					 .base = 0,
					 .length = 1ull << 32,
					 .pgsize_bitmap =
						 ioas_ctx_page_size(mmu->ctx) };

		ret = ioas_as_window_create(as, &w);
		if (ret)
			return ret;
		new_window = true;
	}
	memset(&dc, 0, sizeof(dc));
	dc.size = sizeof(dc);
	dc.type = IOAS_DOMAIN_PAGING;
	dc.pt.size = sizeof(dc.pt);
	dc.pt.format = mmu->default_format;
	ret = ioas_domain_create(mmu, &dc, &dom);
	if (ret)
		goto err_window;
	ret = group_compat(grp, dom);
	if (!ret)
		ret = ioas_domain_attach_as(dom, as);
	if (!ret)
		ret = ioas_iommu_group_attach(grp, dom);
	if (ret) {
		ioas_domain_destroy(dom);
		goto err_window;
	}
	dom->auto_dom = true;
	return 0;
err_window:
	if (new_window)
		(void)ioas_as_window_remove(as, 0);
	return ret;
}

/* ---- PASIDs ------------------------------------------------------------------- */

struct binding *pasid_binding(struct ioas_iommu_dev *dev, uint32_t pasid)
{
	struct pasid_leaf *leaf;

	if (!pasid || (pasid >> dev->pasid_bits))
		return NULL;
	leaf = atomic_load_explicit(&dev->pasid_dir[pasid >> PASID_LEAF_LG2],
				    memory_order_acquire);
	return leaf ? &leaf->b[pasid & (PASID_LEAF - 1)] : NULL;
}

int ioas_iommu_pasid_attach(struct ioas_iommu_dev *dev, uint32_t pasid,
			    struct ioas_domain *dom, uint32_t flags)
{
	struct ioas_iommu *mmu;
	struct pasid_leaf *leaf;
	struct binding *b;
	uint32_t extra = 0;

	if (!dev || !dom)
		return -EINVAL;
	mmu = dev->mmu;
	if (flags & ~IOAS_PASID_F_PRI)
		return -EOPNOTSUPP;
	if (!pasid || (pasid >> dev->pasid_bits) || dom->mmu != mmu ||
	    dom->dying)
		return -EINVAL;
	if ((flags & IOAS_PASID_F_PRI) && !(dev->flags & IOAS_DEV_F_PRI))
		return -EOPNOTSUPP;
	if ((dom->flags & IOAS_DOMAIN_F_SUPERVISOR) &&
	    !(dev->flags & IOAS_DEV_F_PRIV))
		return -EOPNOTSUPP;
	if (!dev_accepts(dev, dom))
		return -EPERM;
	leaf = atomic_load(&dev->pasid_dir[pasid >> PASID_LEAF_LG2]);
	if (!leaf) {
		leaf = ctx_zalloc(mmu->ctx, sizeof(*leaf));
		if (!leaf)
			return -ENOMEM;
		atomic_store_explicit(&dev->pasid_dir[pasid >> PASID_LEAF_LG2],
				      leaf, memory_order_release);
	}
	if (flags & IOAS_PASID_F_PRI)
		extra |= BF_PRI;
	if (dom->flags & IOAS_DOMAIN_F_SUPERVISOR)
		extra |= BF_SUPER;
	b = &leaf->b[pasid & (PASID_LEAF - 1)];
	rwl_wr_lock(&mmu->topo);
	b->dom = dom;
	atomic_store_explicit(&b->tag, domain_tag(dom, extra),
			      memory_order_release);
	rwl_unlock(&mmu->topo);
	return 0;
}

void ioas_iommu_pasid_detach(struct ioas_iommu_dev *dev, uint32_t pasid)
{
	struct binding *b;

	if (!dev)
		return;
	b = pasid_binding(dev, pasid);
	if (!b || !b->dom)
		return;
	rwl_wr_lock(&dev->mmu->topo);
	b->dom = NULL;
	atomic_store_explicit(&b->tag, 0, memory_order_release);
	rwl_unlock(&dev->mmu->topo);
}
