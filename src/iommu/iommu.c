/* SPDX-License-Identifier: BSD-2-Clause */
/* The software IOMMU object, its devices and groups, statistics. */
#include <errno.h>
#include <string.h>

#include "iommu.h"

#define IOMMU_CONFIG_MIN_SIZE offsetof(struct ioas_iommu_config, fault_cb)
#define DEV_CONFIG_MIN_SIZE sizeof(struct ioas_iommu_dev_config)
#define DEFAULT_CAP 4096u

int ioas_iommu_create(struct ioas_ctx *ctx, struct ioas_phys *phys,
		      const struct ioas_iommu_config *ucfg,
		      struct ioas_iommu **out)
{
	struct ioas_iommu_config cfg;
	struct iotlb_config tc;
	struct ioas_iommu *mmu;
	int ret;

	if (!ctx || !phys || !out)
		return -EINVAL;
	if (ucfg) {
		ret = struct_copy_in(&cfg, sizeof(cfg), ucfg, ucfg->size,
				     IOMMU_CONFIG_MIN_SIZE);
		if (ret)
			return ret;
	} else {
		memset(&cfg, 0, sizeof(cfg));
	}
	if (cfg.flags & ~IOAS_IOMMU_F_STALE)
		return -EOPNOTSUPP;
	if (cfg.reserved || cfg.inv_mode > IOAS_INV_DEFERRED ||
	    ((cfg.flags & IOAS_IOMMU_F_STALE) &&
	     cfg.inv_mode != IOAS_INV_DEFERRED) ||
	    cfg.inv_queue_len > 65536 || cfg.fault_queue_len > (1u << 20))
		return -EINVAL;
	if (cfg.default_format && !pt_fmt_ops_get(cfg.default_format))
		return -EOPNOTSUPP;
	tc.entries = cfg.iotlb_entries;
	tc.ways = cfg.iotlb_ways;
	if ((tc.entries && !is_pow2_u64(tc.entries)) ||
	    (tc.ways && !is_pow2_u64(tc.ways)) ||
	    (tc.entries && tc.ways && tc.ways > tc.entries))
		return -EINVAL;

	mmu = ctx_zalloc(ctx, sizeof(*mmu));
	if (!mmu)
		return -ENOMEM;
	mmu->ctx = ctx;
	mmu->phys = phys;
	mmu->flags = cfg.flags;
	mmu->inv_mode = cfg.inv_mode;
	mmu->stale = (cfg.flags & IOAS_IOMMU_F_STALE) != 0;
	mmu->default_format = cfg.default_format ? cfg.default_format
						 : IOAS_PT_FMT_VTD_SS;
	mmu->max_devices = cfg.max_devices ? cfg.max_devices : DEFAULT_CAP;
	mmu->max_groups = cfg.max_groups ? cfg.max_groups : DEFAULT_CAP;
	mmu->max_domains = cfg.max_domains ? cfg.max_domains : DEFAULT_CAP;
	mmu->fault_cb = cfg.fault_cb;
	mmu->fault_opaque = cfg.fault_opaque;
	mmu->next_dom_id = 1;
	mmu->atcf = ctx_alloc(ctx, sizeof(*mmu->atcf), 64);
	if (!mmu->atcf) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = iotlb_create(ctx, &tc, &mmu->tlb);
	if (ret)
		goto err_free;
	ret = inv_init(mmu, cfg.inv_queue_len ? cfg.inv_queue_len : 64);
	if (ret)
		goto err_tlb;
	ret = fault_init(mmu, cfg.fault_queue_len ? cfg.fault_queue_len : 256);
	if (ret)
		goto err_inv;
	rwl_init(&mmu->topo);
	ctx_get(ctx);
	*out = mmu;
	return 0;
err_inv:
	inv_fini(mmu);
err_tlb:
	iotlb_destroy(mmu->tlb);
err_free:
	ctx_free(ctx, mmu->atcf, sizeof(*mmu->atcf));
	ctx_free(ctx, mmu, sizeof(*mmu));
	return ret;
}

static void dev_free(struct ioas_iommu_dev *dev)
{
	struct ioas_ctx *ctx = dev->mmu->ctx;

	for (size_t i = 0; i < dev->ndir; i++)
		ctx_free(ctx, atomic_load(&dev->pasid_dir[i]),
			 sizeof(struct pasid_leaf));
	ctx_free(ctx, (void *)(uintptr_t)dev->pasid_dir,
		 dev->ndir * sizeof(*dev->pasid_dir));
	ctx_free(ctx, dev->resv, dev->nr_resv * sizeof(*dev->resv));
	if (dev->atc.e)
		ctx_free(ctx, dev->atc.e,
			 ((size_t)dev->atc.mask + 1) * sizeof(*dev->atc.e));
	ctx_free(ctx, dev, sizeof(*dev));
}

void ioas_iommu_destroy(struct ioas_iommu *mmu)
{
	struct ioas_ctx *ctx;

	if (!mmu)
		return;
	ctx = mmu->ctx;
	while (mmu->ndevs)
		ioas_iommu_dev_remove(mmu->devs[mmu->ndevs - 1]);
	/* children first: a parent's destroy would otherwise orphan them */
	for (;;) {
		struct ioas_domain *d = mmu->domains, *pick = NULL;

		for (; d; d = d->next)
			if (!pick || d->type == IOAS_DOMAIN_NESTED)
				pick = d;
		if (!pick)
			break;
		ioas_domain_destroy(pick);
	}
	ctx_free(ctx, mmu->devs, mmu->cap_devs * sizeof(*mmu->devs));
	fault_fini(mmu);
	inv_fini(mmu);
	iotlb_destroy(mmu->tlb);
	ctx_free(ctx, mmu->atcf, sizeof(*mmu->atcf));
	ctx_free(ctx, mmu, sizeof(*mmu));
	ctx_put(ctx);
}

/* ---- devices ------------------------------------------------------------- */

static size_t dev_index(const struct ioas_iommu *mmu, uint32_t id, bool *found)
{
	size_t lo = 0, hi = mmu->ndevs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mmu->devs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < mmu->ndevs && mmu->devs[lo]->id == id;
	return lo;
}

static struct ioas_iommu_group *group_find(struct ioas_iommu *mmu, uint32_t id)
{
	for (struct ioas_iommu_group *g = mmu->groups; g; g = g->next)
		if (g->id == id)
			return g;
	return NULL;
}

int ioas_iommu_dev_add(struct ioas_iommu *mmu,
		       const struct ioas_iommu_dev_config *ucfg,
		       struct ioas_iommu_dev **out)
{
	struct ioas_iommu_dev_config cfg;
	struct ioas_iommu_group *grp, *new_grp = NULL;
	struct ioas_iommu_dev *dev;
	struct ioas_ctx *ctx;
	uint32_t n_atc;
	size_t idx;
	bool found;
	int ret;

	if (!mmu || !ucfg || !out)
		return -EINVAL;
	ctx = mmu->ctx;
	ret = struct_copy_in(&cfg, sizeof(cfg), ucfg, ucfg->size,
			     DEV_CONFIG_MIN_SIZE);
	if (ret)
		return ret;
	if (cfg.flags & ~(IOAS_DEV_F_PRI | IOAS_DEV_F_PRIV |
			  IOAS_DEV_F_STOP_ON_FAULT))
		return -EOPNOTSUPP;
	if (cfg.atc_entries > ATC_MAX_ENTRIES ||
	    (cfg.atc_entries && !is_pow2_u64(cfg.atc_entries)) ||
	    cfg.pasid_bits > 20 ||
	    (cfg.dma_bits && (cfg.dma_bits < 12 || cfg.dma_bits > 64)) ||
	    cfg.nr_resv > DEV_MAX_RESV || (cfg.nr_resv && !cfg.resv))
		return -EINVAL;
	for (uint32_t i = 0; i < cfg.nr_resv; i++)
		if (cfg.resv[i].start > cfg.resv[i].last)
			return -EINVAL;
	idx = dev_index(mmu, cfg.id, &found);
	if (found)
		return -EEXIST;
	grp = group_find(mmu, cfg.group_id);
	if (grp && grp->dom)
		return -EBUSY;
	if (mmu->ndevs >= mmu->max_devices ||
	    (!grp && mmu->ngroups >= mmu->max_groups))
		return -ENOSPC;

	/* its ATC's fill lock sits on a cache line of its own */
	dev = ctx_alloc(ctx, sizeof(*dev), _Alignof(struct ioas_iommu_dev));
	if (!dev)
		return -ENOMEM;
	memset(dev, 0, sizeof(*dev));
	dev->mmu = mmu;
	dev->id = cfg.id;
	dev->flags = cfg.flags;
	dev->pasid_bits = cfg.pasid_bits;
	dev->dma_last = (!cfg.dma_bits || cfg.dma_bits == 64)
				? UINT64_MAX
				: (1ull << cfg.dma_bits) - 1;
	dev->pgsize_bitmap = cfg.pgsize_bitmap;
	n_atc = cfg.atc_entries ? cfg.atc_entries : ATC_DEFAULT_ENTRIES;
	dev->atc.e = ctx_alloc(ctx, n_atc * sizeof(*dev->atc.e), 64);
	if (!dev->atc.e)
		goto err;
	dev->atc.mask = n_atc - 1;
	if (cfg.nr_resv) {
		dev->resv = ctx_zalloc(ctx, cfg.nr_resv * sizeof(*dev->resv));
		if (!dev->resv)
			goto err;
		memcpy(dev->resv, cfg.resv, cfg.nr_resv * sizeof(*dev->resv));
		dev->nr_resv = cfg.nr_resv;
	}
	if (cfg.pasid_bits) {
		size_t n = cfg.pasid_bits > PASID_LEAF_LG2
				   ? (size_t)1 << (cfg.pasid_bits - PASID_LEAF_LG2)
				   : 1;

		dev->pasid_dir = ctx_zalloc(ctx, n * sizeof(*dev->pasid_dir));
		if (!dev->pasid_dir)
			goto err;
		dev->ndir = n;
	}
	if (mmu->ndevs == mmu->cap_devs) {
		size_t ncap = mmu->cap_devs ? mmu->cap_devs * 2 : 16;
		struct ioas_iommu_dev **nd =
			ctx_zalloc(ctx, ncap * sizeof(*nd));

		if (!nd)
			goto err;
		if (mmu->ndevs)
			memcpy(nd, mmu->devs, mmu->ndevs * sizeof(*nd));
		/* translate never reads this array: swapping it needs only
		 * the caller's serialisation plus topo for dev_find */
		rwl_wr_lock(&mmu->topo);
		ctx_free(ctx, mmu->devs, mmu->cap_devs * sizeof(*nd));
		mmu->devs = nd;
		mmu->cap_devs = ncap;
		rwl_unlock(&mmu->topo);
	}
	if (!grp) {
		new_grp = ctx_zalloc(ctx, sizeof(*new_grp));
		if (!new_grp)
			goto err;
		new_grp->mmu = mmu;
		new_grp->id = cfg.group_id;
		grp = new_grp;
	}
	rwl_wr_lock(&mmu->topo);
	if (new_grp) {
		new_grp->next = mmu->groups;
		mmu->groups = new_grp;
		mmu->ngroups++;
	}
	dev->grp = grp;
	dev->grp_next = grp->devs;
	grp->devs = dev;
	grp->ndevs++;
	memmove(&mmu->devs[idx + 1], &mmu->devs[idx],
		(mmu->ndevs - idx) * sizeof(*mmu->devs));
	mmu->devs[idx] = dev;
	mmu->ndevs++;
	rwl_unlock(&mmu->topo);
	*out = dev;
	return 0;
err:
	dev_free(dev);
	return -ENOMEM;
}

void ioas_iommu_dev_remove(struct ioas_iommu_dev *dev)
{
	struct ioas_iommu *mmu;
	struct ioas_iommu_group *grp;
	bool found;
	size_t idx;

	if (!dev)
		return;
	mmu = dev->mmu;
	grp = dev->grp;
	for (size_t d = 0; d < dev->ndir; d++) {
		struct pasid_leaf *leaf = atomic_load(&dev->pasid_dir[d]);

		for (uint32_t i = 0; leaf && i < PASID_LEAF; i++)
			if (leaf->b[i].dom)
				ioas_iommu_pasid_detach(
					dev, (uint32_t)(d * PASID_LEAF + i));
	}
	if (grp->ndevs == 1)
		ioas_iommu_group_detach(grp);
	pr_forget_dev(dev);
	rwl_wr_lock(&mmu->topo);
	for (struct ioas_iommu_dev **pp = &grp->devs; *pp;
	     pp = &(*pp)->grp_next) {
		if (*pp == dev) {
			*pp = dev->grp_next;
			break;
		}
	}
	grp->ndevs--;
	if (!grp->ndevs) {
		for (struct ioas_iommu_group **pp = &mmu->groups; *pp;
		     pp = &(*pp)->next) {
			if (*pp == grp) {
				*pp = grp->next;
				break;
			}
		}
		mmu->ngroups--;
	} else {
		grp = NULL;
	}
	idx = dev_index(mmu, dev->id, &found);
	if (found) {
		memmove(&mmu->devs[idx], &mmu->devs[idx + 1],
			(mmu->ndevs - idx - 1) * sizeof(*mmu->devs));
		mmu->ndevs--;
	}
	rwl_unlock(&mmu->topo);
	if (grp)
		ctx_free(mmu->ctx, grp, sizeof(*grp));
	dev_free(dev);
}

struct ioas_iommu_dev *ioas_iommu_dev_find(struct ioas_iommu *mmu, uint32_t id)
{
	struct ioas_iommu_dev *dev = NULL;
	bool found;
	size_t idx;

	if (!mmu)
		return NULL;
	rwl_rd_lock(&mmu->topo);
	idx = dev_index(mmu, id, &found);
	if (found)
		dev = mmu->devs[idx];
	rwl_unlock(&mmu->topo);
	return dev;
}

uint32_t ioas_iommu_dev_id(const struct ioas_iommu_dev *dev)
{
	return dev->id;
}

struct ioas_iommu_group *ioas_iommu_dev_group(const struct ioas_iommu_dev *dev)
{
	return dev->grp;
}

bool ioas_iommu_dev_stopped(const struct ioas_iommu_dev *dev)
{
	return atomic_load(&((struct ioas_iommu_dev *)(uintptr_t)dev)->stopped);
}

void ioas_iommu_dev_stop(struct ioas_iommu_dev *dev)
{
	atomic_store(&dev->stopped, true);
	/* caller-held caches check the epoch, not the flag */
	iommu_tlb_changed(dev->mmu);
}

void ioas_iommu_dev_clear_stop(struct ioas_iommu_dev *dev)
{
	atomic_store(&dev->stopped, false);
}

/* ---- statistics --------------------------------------------------------- */

void ioas_iommu_get_stats(struct ioas_iommu *mmu, struct ioas_iommu_stats *out)
{
	struct iotlb_stats ts;

	memset(out, 0, sizeof(*out));
	iotlb_get_stats(mmu->tlb, &ts);
	out->iotlb_hits = ts.hits;
	out->iotlb_misses = ts.misses;
	out->iotlb_inserts = ts.inserts;
	out->iotlb_evictions = ts.evictions;
	out->inv_all = ts.inv_all;
	out->inv_domain = ts.inv_domain;
	out->inv_pasid = ts.inv_pasid;
	out->inv_range = ts.inv_range;
	out->entries_invalidated = ts.entries_invalidated;
	out->stale_inserts_refused = ts.stale_inserts_refused;
	out->walks = atomic_load(&mmu->walks);
	out->syncs = atomic_load(&mmu->syncs);
	pthread_mutex_lock(&mmu->q_lock);
	out->inv_pending = mmu->q_len;
	pthread_mutex_unlock(&mmu->q_lock);
	pthread_mutex_lock(&mmu->fault_lock);
	out->faults = mmu->faults;
	out->fault_overflow = mmu->fault_overflow;
	out->faults_queued = mmu->fq_len;
	pthread_mutex_unlock(&mmu->fault_lock);
	pthread_mutex_lock(&mmu->pr_lock);
	out->page_requests = mmu->pr_count;
	pthread_mutex_unlock(&mmu->pr_lock);
	rwl_rd_lock(&mmu->topo);
	for (size_t i = 0; i < mmu->ndevs; i++)
		out->atc_hits += atomic_load_explicit(&mmu->devs[i]->atc.hits,
						      memory_order_relaxed);
	out->devices = mmu->ndevs;
	out->groups = mmu->ngroups;
	out->domains = mmu->ndomains;
	rwl_unlock(&mmu->topo);
}
