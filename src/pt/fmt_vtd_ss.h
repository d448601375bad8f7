/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Intel VT-d second-stage page tables.
 *
 * Source: Intel Virtualization Technology for Directed I/O Architecture
 * Specification, section 9.8 "Second-Stage Paging Entries" (tables of the
 * SL-PML5E, SL-PML4E, SL-PDPE with and without PS, SL-PDE with and without
 * PS, SL-PTE formats), and section 3.6 / 3.7 for how the second stage is
 * walked (permissions AND across levels; A/D updates when SLADE is set in
 * the PASID-table entry, section 3.6.2).
 *
 * Levels (AGAW 39 = 3 levels, 48 = 4, 57 = 5):
 *   spec name    ours   entry maps
 *   SL-PTE       0      4 KiB page
 *   SL-PDE       1      2 MiB page (PS=1) or SL page table
 *   SL-PDPE      2      1 GiB page (PS=1) or SL page directory
 *   SL-PML4E     3      SL-PDPT (PS reserved)
 *   SL-PML5E     4      SL-PML4 table
 *
 * Bits used: 0 R, 1 W, 2 X (execute, when execute requests are enabled),
 * 5:3 EMT and 6 IPAT (leaves; left 0), 7 PS, 8 A, 9 D (SLADE), 11 SNP
 * (left 0), HAW-1:12 address. An entry is not present when R and W are 0.
 * Table entries are R|W (the leaves decide).
 */
#ifndef IOAS_PT_FMT_VTD_SS_H
#define IOAS_PT_FMT_VTD_SS_H

#include <errno.h>

#include "pt.h"

#define FMT_OPS pt_ops_vtd_ss

#define VTD_R (1ull << 0)
#define VTD_W (1ull << 1)
#define VTD_X (1ull << 2)
#define VTD_PS (1ull << 7)
#define VTD_A (1ull << 8)
#define VTD_D (1ull << 9)
#define VTD_ADDR pt_bits(51, 12)

#define fmt_load pt_load_le
#define fmt_store pt_store_le

static inline bool fmt_is_table(const struct pt_geom *g, uint64_t e,
				unsigned lvl)
{
	(void)g;
	(void)lvl;
	return !(e & VTD_PS);
}

static inline uint64_t fmt_table_pa(const struct pt_geom *g, uint64_t e)
{
	return e & VTD_ADDR & g->oa_mask;
}

static inline uint64_t fmt_make_table(const struct pt_geom *g, uint64_t pa,
				      unsigned lvl)
{
	(void)g;
	(void)lvl;
	return pa | VTD_R | VTD_W;
}

/* The address sits in bits 51:12 as it is. */
#define FMT_LINEAR_OA(g) ((void)(g), true)

static inline uint64_t fmt_make_leaf(const struct pt_geom *g, uint64_t pa,
				     unsigned lvl, unsigned size_lg2,
				     uint32_t prot)
{
	uint64_t e = pa;

	(void)g;
	(void)size_lg2;
	if (prot & IOAS_PROT_READ)
		e |= VTD_R;
	if (prot & IOAS_PROT_WRITE)
		e |= VTD_W;
	if (prot & IOAS_PROT_EXEC)
		e |= VTD_X;
	if (lvl)
		e |= VTD_PS;
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
	return e & VTD_ADDR & g->oa_mask & ~((1ull << size_lg2) - 1);
}

static inline uint32_t fmt_leaf_prot(const struct pt_geom *g, uint64_t e,
				     unsigned lvl)
{
	uint32_t prot = 0;

	(void)g;
	(void)lvl;
	if (e & VTD_R)
		prot |= IOAS_PROT_READ;
	if (e & VTD_W)
		prot |= IOAS_PROT_WRITE;
	if (e & VTD_X)
		prot |= IOAS_PROT_EXEC;
	return prot;
}

static inline bool fmt_leaf_dirty(const struct pt_geom *g, uint64_t e)
{
	(void)g;
	return (e & VTD_D) != 0;
}

static inline uint64_t fmt_leaf_set_dirty(const struct pt_geom *g, uint64_t e,
					  bool dirty)
{
	(void)g;
	return dirty ? e | VTD_D : e & ~VTD_D;
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
	unsigned levels = cfg->levels;

	if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
		return -EOPNOTSUPP;
	if (!levels)
		levels = !cfg->input_bits || cfg->input_bits > 39
				 ? (cfg->input_bits > 48 ? 5 : 4)
				 : 3;
	if (levels < 3 || levels > 5)
		return -EOPNOTSUPP;
	g->format = IOAS_PT_FMT_VTD_SS;
	pt_geom_intel(g, cfg, levels, 12 + 9 * levels, hw);
	return 0;
}

static inline int fmt_hw_input(const struct pt_geom *g, uint64_t iova,
			       uint64_t *rel)
{
	if (g->ias < 64 && (iova >> g->ias))
		return IOAS_PT_FAULT_ADDR_SIZE;
	*rel = iova;
	return 0;
}

static inline int fmt_hw_entry(const struct pt_geom *g, uint64_t e,
			       unsigned lvl, uint64_t rel,
			       struct pt_hw_state *st)
{
	bool leaf;

	(void)rel;
	if (!(e & (VTD_R | VTD_W)))
		return IOAS_PT_FAULT_TRANSLATION;
	if (e & pt_bits(51, 12) & ~g->oa_mask)
		return IOAS_PT_FAULT_RESERVED;
	leaf = lvl == 0 || (e & VTD_PS);
	if (leaf && lvl >= 3)
		return IOAS_PT_FAULT_RESERVED;
	if (leaf && lvl && (e & pt_bits(g->shift[lvl] - 1, 12)))
		return IOAS_PT_FAULT_RESERVED;
	if (!leaf && (e & pt_bits(6, 3)))
		return IOAS_PT_FAULT_RESERVED; /* EMT/IPAT only in leaves */
	if (!(e & VTD_R))
		st->prot &= ~(uint32_t)IOAS_PROT_READ;
	if (!(e & VTD_W))
		st->prot &= ~(uint32_t)IOAS_PROT_WRITE;
	if (!leaf) {
		st->next_pa = e & VTD_ADDR;
		st->next_lvl = lvl - 1;
		return PT_HW_TABLE;
	}
	if (!(e & VTD_X))
		st->prot &= ~(uint32_t)IOAS_PROT_EXEC;
	st->size_lg2 = g->shift[lvl];
	st->oa = e & VTD_ADDR & ~((1ull << st->size_lg2) - 1);
	return PT_HW_LEAF;
}

static inline uint64_t fmt_hw_ad(const struct pt_geom *g, uint64_t e,
				 unsigned lvl, bool leaf, bool write)
{
	(void)lvl;
	/* A/D exist only with SLADE (our dirty flag) */
	if (!(g->fflags & PT_FF_DIRTY))
		return e;
	e |= VTD_A;
	if (leaf && write)
		e |= VTD_D;
	return e;
}

#endif
