/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IBM POWER TCE (translation control entry) tables, as the IODA2/IODA3 PHB
 * walks them and as VFIO_IOMMU_SPAPR_TCE_CREATE describes them (page_shift,
 * window_size, levels).
 *
 * Sources: IODA2 / PHB3 and PHB4 specifications, "TCE" and "TVE"
 * (translation validation entry: table address, levels, table size and
 * I/O page size); LoPAPR "TCE format" (bits 0-51 in IBM numbering = real
 * page number, bit 62 = write allowed, bit 63 = read allowed: in LSB-0
 * numbering address bits 63:12, bit 1 W, bit 0 R). Entries are big-endian
 * in memory. Linux uAPI include/uapi/linux/vfio.h,
 * struct vfio_iommu_spapr_tce_create.
 *
 * A window is one table at a bus offset (iova_offset, aligned to the
 * window size 2^input_bits); the TCE index is (iova - offset) >>
 * page_shift, split over `levels` tables of 2^tce_level_lg2 bytes each
 * (all the same size), most significant bits first. Intermediate entries
 * hold the next table's address with R|W set (as Linux powernv writes
 * them). All pages of a window have the one IOMMU page size.
 *
 * Levels:
 *   name                    ours
 *   TCE (leaf) table        0
 *   indirect levels         1 .. levels - 1 (root = the TVE's table)
 *
 * Table size when not given: as Linux powernv computes it, each level
 * decodes ceil(log2(window / page) / levels) index bits, with tables of
 * at least 4 KiB (Linux uses the 64 KiB host page).
 */
#ifndef IOAS_PT_FMT_TCE_H
#define IOAS_PT_FMT_TCE_H

#include <errno.h>

#include "pt.h"

#define FMT_OPS pt_ops_tce

#define TCE_R (1ull << 0)
#define TCE_W (1ull << 1)

#define fmt_load pt_load_be
#define fmt_store pt_store_be

static inline bool fmt_is_table(const struct pt_geom *g, uint64_t e,
				unsigned lvl)
{
	(void)g;
	(void)e;
	return lvl > 0;
}

static inline uint64_t fmt_table_pa(const struct pt_geom *g, uint64_t e)
{
	return e & pt_bits(63, 12) & g->oa_mask;
}

static inline uint64_t fmt_make_table(const struct pt_geom *g, uint64_t pa,
				      unsigned lvl)
{
	(void)g;
	(void)lvl;
	return pa | TCE_R | TCE_W;
}

/* The real page number is the address as it is (byte order is applied
 * by fmt_store). */
#define FMT_LINEAR_OA(g) ((void)(g), true)

static inline uint64_t fmt_make_leaf(const struct pt_geom *g, uint64_t pa,
				     unsigned lvl, unsigned size_lg2,
				     uint32_t prot)
{
	uint64_t e = pa;

	(void)g;
	(void)lvl;
	(void)size_lg2;
	if (prot & IOAS_PROT_READ)
		e |= TCE_R;
	if (prot & IOAS_PROT_WRITE)
		e |= TCE_W;
	return e;
}

static inline unsigned fmt_leaf_size(const struct pt_geom *g, uint64_t e,
				     unsigned lvl)
{
	(void)e;
	return g->shift[lvl];
}

static inline uint64_t fmt_leaf_pa(const struct pt_geom *g, uint64_t e,
				   unsigned lvl, unsigned size_lg2)
{
	(void)lvl;
	return e & g->oa_mask & ~((1ull << size_lg2) - 1);
}

static inline uint32_t fmt_leaf_prot(const struct pt_geom *g, uint64_t e,
				     unsigned lvl)
{
	uint32_t prot = 0;

	(void)g;
	(void)lvl;
	if (e & TCE_R)
		prot |= IOAS_PROT_READ;
	if (e & TCE_W)
		prot |= IOAS_PROT_WRITE;
	return prot;
}

static inline bool fmt_leaf_dirty(const struct pt_geom *g, uint64_t e)
{
	(void)g;
	(void)e;
	return false;
}

static inline uint64_t fmt_leaf_set_dirty(const struct pt_geom *g, uint64_t e,
					  bool dirty)
{
	(void)g;
	(void)dirty;
	return e;
}

static inline int fmt_check_prot(const struct pt_geom *g, uint32_t prot)
{
	(void)g;
	(void)prot;
	return 0;
}

static inline int fmt_geom(struct pt_geom *g, struct ioas_pt_config *cfg,
			   bool hw)
{
	unsigned ps = cfg->granule_lg2 ? cfg->granule_lg2 : 12;
	unsigned levels = cfg->levels ? cfg->levels : 1;
	unsigned ias = cfg->input_bits ? cfg->input_bits : 31;
	unsigned lvl_lg2 = cfg->tce_level_lg2, bits, ebits;

	if (ps != 12 && ps != 16 && ps != 21 && ps != 24 && ps != 28 &&
	    ps != 30)
		return -EOPNOTSUPP;
	if (levels > 5)
		return -EOPNOTSUPP;
	if (ias < ps)
		ias = ps;
	if (ias > 59)
		ias = 59;
	ebits = ias - ps;
	if (!lvl_lg2) {
		bits = (ebits + levels - 1) / levels;
		lvl_lg2 = bits + 3 < 12 ? 12 : bits + 3;
	}
	if (lvl_lg2 < 12 || lvl_lg2 > 30)
		return hw ? -EINVAL : -EOPNOTSUPP;
	bits = lvl_lg2 - 3;
	if (levels * bits < ebits) {
		if (hw)
			return -EINVAL;
		ias = ps + levels * bits; /* clamp the window */
	}
	if (levels > 1 && (levels - 1) * bits >= ebits)
		return hw ? -EINVAL : -EOPNOTSUPP; /* more levels than needed */
	if ((cfg->iova_offset & ((1ull << ias) - 1)) ||
	    cfg->iova_offset + (1ull << ias) - 1 < cfg->iova_offset)
		return -EINVAL;
	g->format = IOAS_PT_FMT_TCE;
	g->top = (uint8_t)(levels - 1);
	g->granule_lg2 = (uint8_t)ps;
	g->table_lg2 = g->root_lg2 = (uint8_t)lvl_lg2;
	g->ias = g->ap_bits = (uint8_t)ias;
	g->oas = (uint8_t)(cfg->output_bits ? cfg->output_bits : 52);
	if (g->oas > 60)
		g->oas = 60;
	if (g->oas < 32)
		g->oas = 32;
	g->oa_mask = (1ull << g->oas) - 1;
	g->iova_offset = cfg->iova_offset;
	for (unsigned l = 0; l < levels; l++) {
		g->shift[l] = (uint8_t)(ps + l * bits);
		g->bits[l] = (uint8_t)bits;
	}
	g->leaf_sizes[0] = 1ull << ps;
	g->pgsize_bitmap = 1ull << ps;
	cfg->levels = levels;
	cfg->input_bits = ias;
	cfg->output_bits = g->oas;
	cfg->tce_level_lg2 = lvl_lg2;
	return 0;
}

static inline int fmt_hw_input(const struct pt_geom *g, uint64_t iova,
			       uint64_t *rel)
{
	if (iova < g->iova_offset || ((iova - g->iova_offset) >> g->ias))
		return IOAS_PT_FAULT_ADDR_SIZE;
	*rel = iova - g->iova_offset;
	return 0;
}

static inline int fmt_hw_entry(const struct pt_geom *g, uint64_t e,
			       unsigned lvl, uint64_t rel,
			       struct pt_hw_state *st)
{
	(void)rel;
	if (!(e & (TCE_R | TCE_W)))
		return IOAS_PT_FAULT_TRANSLATION;
	if (e & pt_bits(63, 12) & ~g->oa_mask)
		return IOAS_PT_FAULT_ADDR_SIZE;
	if (lvl) {
		st->next_pa = e & pt_bits(63, 12);
		st->next_lvl = lvl - 1;
		return PT_HW_TABLE;
	}
	if (!(e & TCE_R))
		st->prot &= ~(uint32_t)IOAS_PROT_READ;
	if (!(e & TCE_W))
		st->prot &= ~(uint32_t)IOAS_PROT_WRITE;
	st->prot &= ~(uint32_t)IOAS_PROT_EXEC;
	st->size_lg2 = g->shift[0];
	st->oa = e & pt_bits(63, 12) & ~((1ull << st->size_lg2) - 1);
	return PT_HW_LEAF;
}

static inline uint64_t fmt_hw_ad(const struct pt_geom *g, uint64_t e,
				 unsigned lvl, bool leaf, bool write)
{
	(void)g;
	(void)lvl;
	(void)leaf;
	(void)write;
	return e;
}

#endif
