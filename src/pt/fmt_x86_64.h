/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86-64 4-level and 5-level paging, which is also the Intel VT-d
 * first-stage table format.
 *
 * Sources:
 *   Intel SDM Vol. 3A, section 4.5 "4-Level Paging and 5-Level Paging":
 *     Table 4-14 PML5E, 4-15 PML4E, 4-16 PDPTE mapping a 1-GByte page,
 *     4-17 PDPTE referencing a page directory, 4-18 PDE mapping a 2-MByte
 *     page, 4-19 PDE referencing a page table, 4-20 PTE mapping a 4-KByte
 *     page; section 4.6 access rights (R/W and U/S combine by AND across
 *     levels, XD by OR); section 4.8 accessed and dirty flags.
 *   Intel VT-d specification, section 9.7 "First-Stage Paging Entries"
 *     (same layout; Linux sets A and, for writable pages, D up front).
 *
 * Levels:
 *   SDM name        ours   entry maps
 *   PTE             0      4 KiB page
 *   PDE             1      2 MiB page (PS=1) or page table
 *   PDPTE           2      1 GiB page (PS=1) or page directory
 *   PML4E           3      PDPT (PS is reserved)
 *   PML5E           4      PML4 table (5-level only)
 *
 * Bits used:
 *   0 P, 1 R/W, 2 U/S, 3 PWT, 4 PCD, 5 A, 6 D (leaves), 7 PS (levels 1-2;
 *   PAT at level 0), 12 PAT (large pages), M-1:12 address (M = output
 *   bits; large pages use M-1:21 and M-1:30), 63 XD (EFER.NXE = 1).
 *
 * Choices: table entries are P|R/W|U/S|A (leaves decide permissions);
 * leaves set A, and D too when writable unless dirty tracking is on (so
 * the hardware need not write entries); IOAS_PROT_PRIV clears U/S;
 * IOAS_PROT_MMIO sets PCD|PWT (uncached); no EXEC sets XD. Only the lower
 * canonical half is mapped (aperture 2^47 or 2^56 bytes); the walker
 * accepts both canonical halves.
 */
#ifndef IOAS_PT_FMT_X86_64_H
#define IOAS_PT_FMT_X86_64_H

#include <errno.h>

#include "pt.h"

#define FMT_OPS pt_ops_x86_64

#define X86_P (1ull << 0)
#define X86_RW (1ull << 1)
#define X86_US (1ull << 2)
#define X86_PWT (1ull << 3)
#define X86_PCD (1ull << 4)
#define X86_A (1ull << 5)
#define X86_D (1ull << 6)
#define X86_PS (1ull << 7)
#define X86_XD (1ull << 63)
#define X86_ADDR pt_bits(51, 12)

#define fmt_load pt_load_le
#define fmt_store pt_store_le

static inline bool fmt_is_table(const struct pt_geom *g, uint64_t e,
				unsigned lvl)
{
	(void)g;
	(void)lvl;
	return !(e & X86_PS);
}

static inline uint64_t fmt_table_pa(const struct pt_geom *g, uint64_t e)
{
	return e & X86_ADDR & g->oa_mask;
}

static inline uint64_t fmt_make_table(const struct pt_geom *g, uint64_t pa,
				      unsigned lvl)
{
	(void)g;
	(void)lvl;
	return pa | X86_P | X86_RW | X86_US | X86_A;
}

/* The address sits in bits 51:12 as it is. */
#define FMT_LINEAR_OA(g) ((void)(g), true)

static inline uint64_t fmt_make_leaf(const struct pt_geom *g, uint64_t pa,
				     unsigned lvl, unsigned size_lg2,
				     uint32_t prot)
{
	uint64_t e = pa | X86_P | X86_A;

	(void)size_lg2;
	if (prot & IOAS_PROT_WRITE) {
		e |= X86_RW;
		if (!(g->fflags & PT_FF_DIRTY))
			e |= X86_D;
	}
	if (!(prot & IOAS_PROT_PRIV))
		e |= X86_US;
	if (!(prot & IOAS_PROT_EXEC))
		e |= X86_XD;
	if (prot & IOAS_PROT_MMIO)
		e |= X86_PCD | X86_PWT;
	if (lvl)
		e |= X86_PS;
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
	return e & X86_ADDR & g->oa_mask & ~((1ull << size_lg2) - 1);
}

static inline uint32_t fmt_leaf_prot(const struct pt_geom *g, uint64_t e,
				     unsigned lvl)
{
	uint32_t prot = IOAS_PROT_READ;

	(void)g;
	(void)lvl;
	if (e & X86_RW)
		prot |= IOAS_PROT_WRITE;
	if (!(e & X86_XD))
		prot |= IOAS_PROT_EXEC;
	if (!(e & X86_US))
		prot |= IOAS_PROT_PRIV;
	if ((e & (X86_PCD | X86_PWT)) == (X86_PCD | X86_PWT))
		prot |= IOAS_PROT_MMIO;
	return prot;
}

static inline bool fmt_leaf_dirty(const struct pt_geom *g, uint64_t e)
{
	(void)g;
	return (e & X86_D) != 0;
}

static inline uint64_t fmt_leaf_set_dirty(const struct pt_geom *g, uint64_t e,
					  bool dirty)
{
	(void)g;
	return dirty ? e | X86_D : e & ~X86_D;
}

static inline int fmt_check_prot(const struct pt_geom *g, uint32_t prot)
{
	(void)g;
	/* present implies readable */
	return (prot & IOAS_PROT_READ) ? 0 : -EOPNOTSUPP;
}

static inline int fmt_geom(struct pt_geom *g, struct ioas_pt_config *cfg,
			   bool hw)
{
	unsigned levels = cfg->levels;

	if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
		return -EOPNOTSUPP;
	if (!levels)
		levels = cfg->input_bits > 48 ? 5 : 4;
	if (levels != 4 && levels != 5)
		return -EOPNOTSUPP;
	g->format = IOAS_PT_FMT_X86_64;
	/* only the lower canonical half is mappable */
	pt_geom_intel(g, cfg, levels, 12 + 9 * levels - 1, hw);
	return 0;
}

static inline int fmt_hw_input(const struct pt_geom *g, uint64_t iova,
			       uint64_t *rel)
{
	/* canonical: bits 63:ias-1 all equal */
	int64_t s = (int64_t)iova >> (g->ias - 1);

	if (s != 0 && s != -1)
		return IOAS_PT_FAULT_ADDR_SIZE;
	*rel = iova & ((1ull << g->ias) - 1);
	return 0;
}

static inline int fmt_hw_entry(const struct pt_geom *g, uint64_t e,
			       unsigned lvl, uint64_t rel,
			       struct pt_hw_state *st)
{
	bool leaf;

	(void)rel;
	if (!(e & X86_P))
		return IOAS_PT_FAULT_TRANSLATION;
	if (e & pt_bits(51, 12) & ~g->oa_mask)
		return IOAS_PT_FAULT_RESERVED;
	leaf = lvl == 0 || (e & X86_PS);
	if (leaf && lvl >= 3)
		return IOAS_PT_FAULT_RESERVED; /* PS is reserved in PML4E/5E */
	if (leaf && lvl && (e & pt_bits(g->shift[lvl] - 1, 13)))
		return IOAS_PT_FAULT_RESERVED;
	if (!(e & X86_RW))
		st->prot &= ~(uint32_t)IOAS_PROT_WRITE;
	if (!(e & X86_US))
		st->prot |= IOAS_PROT_PRIV;
	if (e & X86_XD)
		st->prot &= ~(uint32_t)IOAS_PROT_EXEC;
	if (!leaf) {
		st->next_pa = e & X86_ADDR;
		st->next_lvl = lvl - 1;
		return PT_HW_TABLE;
	}
	st->size_lg2 = g->shift[lvl];
	st->oa = e & X86_ADDR & ~((1ull << st->size_lg2) - 1);
	if ((e & (X86_PCD | X86_PWT)) == (X86_PCD | X86_PWT))
		st->prot |= IOAS_PROT_MMIO;
	return PT_HW_LEAF;
}

static inline uint64_t fmt_hw_ad(const struct pt_geom *g, uint64_t e,
				 unsigned lvl, bool leaf, bool write)
{
	(void)g;
	(void)lvl;
	e |= X86_A;
	if (leaf && write && (e & X86_RW))
		e |= X86_D;
	return e;
}

#endif
