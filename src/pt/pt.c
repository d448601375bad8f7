/* SPDX-License-Identifier: BSD-2-Clause */
/* The public page-table API: config checks, table memory placement, and
 * dispatch to the per-format instance of the generic algorithm. */
#include <errno.h>

#include "pt.h"

const struct pt_fmt_ops *pt_fmt_ops_get(uint32_t format)
{
	switch (format) {
	case IOAS_PT_FMT_X86_64:
		return &pt_ops_x86_64;
	case IOAS_PT_FMT_VTD_SS:
		return &pt_ops_vtd_ss;
	case IOAS_PT_FMT_ARM_S1:
	case IOAS_PT_FMT_ARM_S2:
		return &pt_ops_armv8;
	case IOAS_PT_FMT_AMD_V1:
		return &pt_ops_amdv1;
	case IOAS_PT_FMT_TCE:
		return &pt_ops_tce;
	default:
		return NULL;
	}
}

#define PT_CONFIG_MIN_SIZE (offsetof(struct ioas_pt_config, reserved) + 8)
#define PT_KNOWN_FLAGS                                                       \
	(IOAS_PT_F_TABLE_BASE | IOAS_PT_F_TABLES_IN_REGION | IOAS_PT_F_DIRTY)
#define PT_KNOWN_QUIRKS (IOAS_PT_Q_NO_LARGE | IOAS_PT_Q_NO_CONTIG)
#define PT_WINDOW_MAX_LG2 32
#define PT_WINDOW_MIN_LG2 24

/*
 * The highest base, aligned to `align`, such that [base, base + size - 1]
 * lies in a hole of phys and below `limit` (exclusive; 0 = 2^64).
 * -ENOSPC if there is none.
 */
static int find_hole(const struct ioas_phys *phys, uint64_t limit,
		     uint64_t size, uint64_t align, uint64_t *out)
{
	for (size_t i = phys->count + 1; i-- > 0;) {
		uint64_t lo = i ? phys->regions[i - 1]->last + 1 : 0;
		uint64_t hi = i < phys->count ? phys->regions[i]->base : 0;
		uint64_t top, base;

		if (i && lo == 0) /* region ends at 2^64 - 1 */
			continue;
		if (limit && (hi == 0 || hi > limit))
			hi = limit;
		/* the hole is [lo, hi - 1]; hi == 0 means up to 2^64 */
		if (hi && hi <= lo)
			continue;
		top = hi - size; /* wraps correctly when hi == 0 */
		if (hi && hi < size)
			continue;
		base = top & ~(align - 1);
		if (base >= lo && base + size - 1 >= base)
			return (*out = base), 0;
	}
	return -ENOSPC;
}

static int add_owned(struct ioas_pt *pt, uint64_t base, uint64_t len,
		     uint8_t **host)
{
	struct ioas_phys_region reg;
	const struct phys_region *r;
	int ret;

	memset(&reg, 0, sizeof(reg));
	reg.size = sizeof(reg);
	reg.kind = IOAS_PHYS_RAM;
	reg.base = base;
	reg.length = len;
	ret = ioas_phys_add(pt->phys, &reg);
	if (ret)
		return ret;
	r = phys_find(pt->phys, base);
	if (!r)
		return -EFAULT; /* cannot happen: just added */
	phys_region_get(r);
	*host = r->host;
	return 0;
}

static int place_tables(struct ioas_pt *pt, const struct ioas_pt_config *cfg)
{
	const struct pt_geom *g = &pt->g;
	unsigned page_lg2 = g->table_lg2;
	unsigned chunk_lg2 = cfg->chunk_lg2;
	unsigned ctx_lg2 = pt->ctx->page_lg2;
	uint64_t root_bytes = 1ull << g->root_lg2;
	uint64_t limit = g->oas >= 64 ? 0 : 1ull << g->oas;

	if (cfg->flags & IOAS_PT_F_TABLES_IN_REGION) {
		const struct phys_region *r = phys_find(pt->phys, cfg->table_base);
		uint64_t rbase, first, align = root_bytes > (1ull << page_lg2)
						       ? root_bytes
						       : 1ull << page_lg2;

		if (!r || r->base != cfg->table_base || r->kind != IOAS_PHYS_RAM ||
		    (r->flags & IOAS_PHYS_F_READONLY))
			return -EINVAL;
		rbase = (r->base + align - 1) & ~(align - 1);
		if (rbase < r->base || rbase > r->last ||
		    r->last - rbase < root_bytes + (1ull << page_lg2) - 1 ||
		    (limit && r->last >= limit))
			return -EINVAL;
		pt->root_pa = rbase;
		pt->root_host = r->host + (rbase - r->base);
		pt->root_bytes = root_bytes;
		memset(pt->root_host, 0, (size_t)root_bytes);
		first = (rbase + root_bytes + (1ull << page_lg2) - 1) &
			~((1ull << page_lg2) - 1);
		phys_region_get(r);
		return pt_arena_init_region(pt, r, first, r->last, page_lg2);
	}

	/* owned: chunk size between one page and 64 pages, a multiple of the
	 * context's page size (owned RAM must be) */
	if (!chunk_lg2)
		chunk_lg2 = page_lg2 + 4 > 18 ? page_lg2 + 4 : 18;
	if (chunk_lg2 < page_lg2)
		chunk_lg2 = page_lg2;
	if (chunk_lg2 > page_lg2 + 6)
		chunk_lg2 = page_lg2 + 6;
	if (chunk_lg2 < ctx_lg2)
		return -EOPNOTSUPP;
	{
		uint64_t chunk = 1ull << chunk_lg2;
		uint64_t rootlen = (root_bytes + chunk - 1) & ~(chunk - 1);
		uint64_t align = rootlen > chunk ? rootlen : chunk;
		uint64_t base = cfg->table_base, wsize = 0;
		int ret = -ENOSPC;

		if (cfg->flags & IOAS_PT_F_TABLE_BASE) {
			if (base & (align - 1))
				return -EINVAL;
			wsize = 1ull << PT_WINDOW_MAX_LG2;
			if (limit && (base >= limit || limit - base < rootlen + chunk))
				return -EINVAL;
			if (limit && limit - base < wsize)
				wsize = (limit - base) & ~(chunk - 1);
			if (base + wsize - 1 < base)
				wsize = (0 - base) & ~(chunk - 1);
			ret = 0;
		} else {
			for (unsigned w = PT_WINDOW_MAX_LG2;
			     w >= PT_WINDOW_MIN_LG2 && ret; w--) {
				wsize = 1ull << w;
				if (wsize < rootlen + chunk)
					break;
				ret = find_hole(pt->phys, limit, wsize, align,
						&base);
			}
			if (ret)
				return ret;
		}
		ret = add_owned(pt, base, rootlen, &pt->root_host);
		if (ret)
			return ret;
		pt->root_pa = base;
		pt->root_bytes = rootlen;
		pt->root_owned_region = true;
		return pt_arena_init(pt, base + rootlen,
				     (wsize - rootlen) >> chunk_lg2, page_lg2,
				     chunk_lg2);
	}
}

int ioas_pt_create(struct ioas_phys *phys, const struct ioas_pt_config *ucfg,
		   struct ioas_pt **out)
{
	struct ioas_pt_config cfg;
	const struct pt_fmt_ops *ops;
	struct ioas_pt *pt;
	struct pt_geom g;
	int ret;

	if (!phys || !ucfg || !out)
		return -EINVAL;
	ret = struct_copy_in(&cfg, sizeof(cfg), ucfg, ucfg->size,
			     PT_CONFIG_MIN_SIZE);
	if (ret)
		return ret;
	if ((cfg.flags & ~PT_KNOWN_FLAGS) || (cfg.quirks & ~PT_KNOWN_QUIRKS))
		return -EOPNOTSUPP;
	if (cfg.reserved)
		return -EINVAL;
	if ((cfg.flags & IOAS_PT_F_TABLE_BASE) &&
	    (cfg.flags & IOAS_PT_F_TABLES_IN_REGION))
		return -EINVAL;
	if (cfg.format != IOAS_PT_FMT_TCE && cfg.iova_offset)
		return -EINVAL;
	ops = pt_fmt_ops_get(cfg.format);
	if (!ops)
		return -EOPNOTSUPP;
	memset(&g, 0, sizeof(g));
	ret = ops->geom(&g, &cfg, false);
	if (ret)
		return ret;
	if (cfg.flags & IOAS_PT_F_DIRTY)
		g.fflags |= PT_FF_DIRTY;

	pt = ctx_zalloc(phys->ctx, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->ctx = phys->ctx;
	pt->phys = phys;
	pt->ops = ops;
	pt->g = g;
	pt->cfg_flags = cfg.flags;
	pt->ap_start = g.iova_offset;
	pt->ap_last = g.iova_offset + ((2ull << (g.ap_bits - 1)) - 1);
	ret = place_tables(pt, &cfg);
	if (ret) {
		ctx_free(phys->ctx, pt, sizeof(*pt));
		return ret;
	}
	ctx_get(pt->ctx);
	*out = pt;
	return 0;
}

void ioas_pt_destroy(struct ioas_pt *pt)
{
	struct ioas_ctx *ctx;

	if (!pt)
		return;
	ctx = pt->ctx;
	pt->ops->destroy_tables(pt);
	pt_arena_destroy(pt);
	if (pt->root_owned_region) {
		const struct phys_region *r = phys_find(pt->phys, pt->root_pa);

		if (r)
			phys_region_put(r);
		(void)ioas_phys_remove(pt->phys, pt->root_pa);
	} else if (pt->arena.region) {
		phys_region_put(pt->arena.region);
	}
	ctx_free(ctx, pt, sizeof(*pt));
	ctx_put(ctx);
}

#define PT_INFO_MIN_SIZE (offsetof(struct ioas_pt_info, reserved_bytes) + 8)

int ioas_pt_get_info(const struct ioas_pt *pt, struct ioas_pt_info *uinfo)
{
	struct ioas_pt_info info;
	uint32_t usize;

	if (!pt || !uinfo || uinfo->size < PT_INFO_MIN_SIZE)
		return -EINVAL;
	usize = uinfo->size;
	memset(&info, 0, sizeof(info));
	info.size = usize < sizeof(info) ? usize : (uint32_t)sizeof(info);
	info.flags = pt->cfg_flags;
	info.format = pt->g.format;
	info.levels = pt->g.top + 1u;
	info.input_bits = pt->g.ias;
	info.output_bits = pt->g.oas;
	info.granule_lg2 = pt->g.granule_lg2;
	info.table_lg2 = pt->g.table_lg2;
	info.pgsize_bitmap = pt->g.pgsize_bitmap;
	info.aperture.start = pt->ap_start;
	info.aperture.last = pt->ap_last;
	info.root_pa = pt->root_pa;
	info.root_bytes = 1ull << pt->g.root_lg2;
	info.table_pages = pt->arena.pages_used;
	info.table_bytes = info.root_bytes +
			   (pt->arena.pages_used << pt->arena.page_lg2);
	info.reserved_bytes = pt->root_bytes +
			      (pt->arena.region_mode
				       ? pt->arena.pages_used << pt->arena.page_lg2
				       : pt->arena.chunks_present
						 << pt->arena.chunk_lg2);
	memcpy(uinfo, &info, info.size);
	if (usize > sizeof(info))
		memset((uint8_t *)uinfo + sizeof(info), 0, usize - sizeof(info));
	return 0;
}

static uint64_t min_page(const struct ioas_pt *pt)
{
	return pt->g.pgsize_bitmap & -pt->g.pgsize_bitmap;
}

/* Common range checks; sets *rel to the window-relative start. */
static int check_range(const struct ioas_pt *pt, uint64_t iova, uint64_t last)
{
	uint64_t mask = min_page(pt) - 1;

	if (last < iova || (iova & mask) || ((last + 1) & mask))
		return -EINVAL;
	if (iova < pt->ap_start || last > pt->ap_last)
		return -ERANGE;
	return 0;
}

int ioas_pt_map(struct ioas_pt *pt, uint64_t iova, uint64_t last, uint64_t pa,
		uint32_t prot)
{
	uint64_t pa_last;
	int ret;

	ret = check_range(pt, iova, last);
	if (ret)
		return ret;
	if (pa & (min_page(pt) - 1))
		return -EINVAL;
	if (!(prot & (IOAS_PROT_READ | IOAS_PROT_WRITE)) ||
	    (prot & ~(IOAS_PROT_READ | IOAS_PROT_WRITE | IOAS_PROT_EXEC |
		      IOAS_PROT_PRIV | IOAS_PROT_MMIO)))
		return -EINVAL;
	if (__builtin_add_overflow(pa, last - iova, &pa_last) ||
	    (pa_last & ~pt->g.oa_mask))
		return -ERANGE;
	ret = pt->ops->check_prot(&pt->g, prot);
	if (ret)
		return ret;
	return pt->ops->map(pt, iova - pt->ap_start, last - pt->ap_start, pa,
			    prot);
}

int ioas_pt_unmap(struct ioas_pt *pt, uint64_t iova, uint64_t last,
		  uint64_t *unmapped)
{
	int ret;

	if (unmapped)
		*unmapped = 0;
	ret = check_range(pt, iova, last);
	if (ret)
		return ret;
	return pt->ops->unmap(pt, iova - pt->ap_start, last - pt->ap_start,
			      unmapped);
}

int ioas_pt_split(struct ioas_pt *pt, uint64_t iova)
{
	if (iova & (min_page(pt) - 1))
		return -EINVAL;
	if (iova < pt->ap_start || iova > pt->ap_last)
		return -ERANGE;
	if (iova == pt->ap_start)
		return 0;
	return pt->ops->split(pt, iova - pt->ap_start);
}

int ioas_pt_iova_to_phys(const struct ioas_pt *pt, uint64_t iova,
			 uint64_t *pa)
{
	if (iova < pt->ap_start || iova > pt->ap_last)
		return -ERANGE;
	return pt->ops->iova_to_phys(pt, iova - pt->ap_start, pa);
}

int ioas_pt_walk(const struct ioas_pt *pt, uint64_t iova, uint64_t last,
		 int (*fn)(void *, const struct ioas_pt_leaf *), void *opaque)
{
	if (last < iova || !fn)
		return -EINVAL;
	if (iova < pt->ap_start)
		iova = pt->ap_start;
	if (last > pt->ap_last)
		last = pt->ap_last;
	if (last < iova)
		return 0;
	return pt->ops->walk(pt, iova - pt->ap_start, last - pt->ap_start, fn,
			     opaque);
}

int64_t ioas_pt_read_dirty(struct ioas_pt *pt, uint64_t iova, uint64_t last,
			   uint32_t flags,
			   int (*fn)(void *, const struct ioas_pt_leaf *),
			   void *opaque)
{
	if (flags & ~IOAS_PT_DIRTY_NO_CLEAR)
		return -EOPNOTSUPP;
	if (!(pt->g.fflags & PT_FF_DIRTY) || pt->g.format == IOAS_PT_FMT_TCE)
		return -EOPNOTSUPP;
	if (last < iova)
		return -EINVAL;
	if (iova < pt->ap_start)
		iova = pt->ap_start;
	if (last > pt->ap_last)
		last = pt->ap_last;
	if (last < iova)
		return 0;
	return pt->ops->dirty(pt, iova - pt->ap_start, last - pt->ap_start,
			      !(flags & IOAS_PT_DIRTY_NO_CLEAR), fn, opaque);
}

#define PT_HW_MIN_SIZE (offsetof(struct ioas_pt_hw, iova_offset) + 8)

int ioas_pt_get_hw(const struct ioas_pt *pt, struct ioas_pt_hw *hw)
{
	struct ioas_pt_hw h;
	uint32_t usize;

	if (!pt || !hw || hw->size < PT_HW_MIN_SIZE)
		return -EINVAL;
	usize = hw->size;
	memset(&h, 0, sizeof(h));
	h.size = usize < sizeof(h) ? usize : (uint32_t)sizeof(h);
	h.flags = (pt->g.fflags & PT_FF_DIRTY) ? IOAS_PT_HW_F_DIRTY : 0;
	h.format = pt->g.format;
	h.levels = pt->g.top + 1u;
	h.input_bits = pt->g.ias;
	h.output_bits = pt->g.oas;
	h.granule_lg2 = pt->g.granule_lg2;
	h.tce_level_lg2 = pt->g.format == IOAS_PT_FMT_TCE ? pt->g.table_lg2 : 0;
	h.root_pa = pt->root_pa;
	h.iova_offset = pt->g.iova_offset;
	memcpy(hw, &h, h.size);
	if (usize > sizeof(h))
		memset((uint8_t *)hw + sizeof(h), 0, usize - sizeof(h));
	return 0;
}

void pt_dump(const struct ioas_pt *pt, pt_dump_fn fn, void *opaque)
{
	pt->ops->dump(pt, fn, opaque);
}
