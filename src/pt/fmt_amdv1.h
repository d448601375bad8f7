/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AMD-Vi (AMD I/O Virtualization Technology) v1 host page tables.
 *
 * Source: AMD I/O Virtualization Technology (IOMMU) Specification (pub.
 * 48882), section 2.2.3 "I/O Page Tables for Host Translations": the
 * figures of the I/O page directory entry (PDE) and page table entry
 * (PTE), the table "Example Page Size Encodings" (NextLevel = 7 with the
 * page size coded in the address bits) and the description of level
 * skipping; section 2.2.2 DTE Mode (number of levels, 1 to 6); the
 * Host Access/Dirty bits of section 2.2.7.
 *
 * Levels (AMD numbers from the leaf up, starting at 1):
 *   AMD level  ours  natural page  other sizes (NextLevel = 7)
 *   1          0     4 KiB         8 KiB .. 1 MiB
 *   2          1     2 MiB         4 MiB .. 512 MiB
 *   3          2     1 GiB         2 GiB .. 256 GiB
 *   4          3     512 GiB       (we place no leaves at 4 and above)
 *   5, 6       4, 5  tables only
 * A top level below 6 is DTE-level skipping: the DTE Mode says how many
 * levels there are.
 *
 * Bits: 0 PR, 5 A, 6 D (PTE), 11:9 NextLevel, 51:12 address, 59 U,
 * 60 FC, 61 IR, 62 IW. NextLevel 1..6 in a PDE is the level of the table
 * it points to (less than the current level minus one skips levels; the
 * walker requires the skipped IOVA bits to be 0); 0 in a PTE is a page of
 * the level's natural size; 7 is a page whose size is coded in the
 * address: the lowest clear bit of address[51:12] at position n gives
 * 2^(n+1) bytes, and the entry is repeated in each of the 2^k entries the
 * page covers (k = size_lg2 - level shift).
 *
 * Choices: PDEs are PR|IR|IW|NextLevel (IR/IW combine by AND, so leaves
 * decide); we never create skipped levels below the root. There is no
 * execute or privilege control.
 */
#ifndef IOAS_PT_FMT_AMDV1_H
#define IOAS_PT_FMT_AMDV1_H

#include <errno.h>

#include "pt.h"

#define FMT_OPS pt_ops_amdv1

#define AMD_PR (1ull << 0)
#define AMD_A (1ull << 5)
#define AMD_D (1ull << 6)
#define AMD_NL_SHIFT 9
#define AMD_NL_MASK (7ull << AMD_NL_SHIFT)
#define AMD_FC (1ull << 60)
#define AMD_IR (1ull << 61)
#define AMD_IW (1ull << 62)
#define AMD_ADDR pt_bits(51, 12)

#define fmt_load pt_load_le
#define fmt_store pt_store_le

static inline unsigned amd_nl(uint64_t e)
{
	return (unsigned)((e >> AMD_NL_SHIFT) & 7);
}

static inline bool fmt_is_table(const struct pt_geom *g, uint64_t e,
				unsigned lvl)
{
	unsigned nl = amd_nl(e);

	(void)g;
	(void)lvl;
	return nl != 0 && nl != 7;
}

static inline uint64_t fmt_table_pa(const struct pt_geom *g, uint64_t e)
{
	(void)g;
	return e & AMD_ADDR;
}

static inline uint64_t fmt_make_table(const struct pt_geom *g, uint64_t pa,
				      unsigned lvl)
{
	(void)g;
	/* the child is at our level lvl - 1 = AMD level lvl */
	return pa | AMD_PR | AMD_IR | AMD_IW | ((uint64_t)lvl << AMD_NL_SHIFT);
}

/* Single-entry leaves hold the address in bits 51:12 as it is. */
#define FMT_LINEAR_OA(g) ((void)(g), true)

static inline uint64_t fmt_make_leaf(const struct pt_geom *g, uint64_t pa,
				     unsigned lvl, unsigned size_lg2,
				     uint32_t prot)
{
	uint64_t e = AMD_PR;

	if (prot & IOAS_PROT_READ)
		e |= AMD_IR;
	if (prot & IOAS_PROT_WRITE)
		e |= AMD_IW;
	if (size_lg2 == g->shift[lvl])
		return e | pa;
	pa &= ~((1ull << size_lg2) - 1);
	return e | (7ull << AMD_NL_SHIFT) | pa |
	       (pt_bits(size_lg2 - 2, 12) & (size_lg2 > 13 ? ~0ull : 0));
}

static inline unsigned fmt_leaf_size(const struct pt_geom *g, uint64_t e,
				     unsigned lvl)
{
	if (amd_nl(e) != 7)
		return g->shift[lvl];
	/* lowest clear bit of address[51:12] at n: 2^(n+1) bytes */
	return (unsigned)__builtin_ctzll(~e & AMD_ADDR) + 1;
}

static inline uint64_t fmt_leaf_pa(const struct pt_geom *g, uint64_t e,
				   unsigned lvl, unsigned size_lg2)
{
	(void)g;
	(void)lvl;
	return e & AMD_ADDR & ~((1ull << size_lg2) - 1);
}

static inline uint32_t fmt_leaf_prot(const struct pt_geom *g, uint64_t e,
				     unsigned lvl)
{
	uint32_t prot = 0;

	(void)g;
	(void)lvl;
	if (e & AMD_IR)
		prot |= IOAS_PROT_READ;
	if (e & AMD_IW)
		prot |= IOAS_PROT_WRITE;
	return prot;
}

static inline bool fmt_leaf_dirty(const struct pt_geom *g, uint64_t e)
{
	(void)g;
	return (e & AMD_D) != 0;
}

static inline uint64_t fmt_leaf_set_dirty(const struct pt_geom *g, uint64_t e,
					  bool dirty)
{
	(void)g;
	return dirty ? e | AMD_D : e & ~AMD_D;
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
	unsigned levels = cfg->levels, ias;

	if (cfg->granule_lg2 && cfg->granule_lg2 != 12)
		return -EOPNOTSUPP;
	ias = cfg->input_bits ? cfg->input_bits : 48;
	if (ias > 64)
		ias = 64;
	if (ias < 21)
		ias = 21;
	if (!levels)
		levels = (ias - 12 + 8) / 9;
	if (levels < 1 || levels > 6)
		return -EOPNOTSUPP;
	g->format = IOAS_PT_FMT_AMD_V1;
	g->top = (uint8_t)(levels - 1);
	g->granule_lg2 = 12;
	g->table_lg2 = g->root_lg2 = 12;
	g->ias = (uint8_t)(12 + 9 * levels > 64 ? 64 : 12 + 9 * levels);
	g->ap_bits = g->ias;
	if (!hw && ias < g->ias)
		g->ap_bits = (uint8_t)ias;
	pt_geom_oas52(g, cfg);
	pt_geom_9bit_levels(g, levels);
	g->bits[levels - 1] = (uint8_t)(g->ias - g->shift[levels - 1]);
	g->leaf_sizes[0] = 1ull << 12;
	if (!(cfg->quirks & IOAS_PT_Q_NO_LARGE)) {
		for (unsigned l = 0; l < levels - 1 && l < 3; l++) {
			unsigned s = g->shift[l];

			g->leaf_sizes[l] = 1ull << s;
			if (!(cfg->quirks & IOAS_PT_Q_NO_CONTIG))
				g->leaf_sizes[l] |= pt_bits(s + 8, s + 1);
		}
	}
	g->pgsize_bitmap = 0;
	for (unsigned l = 0; l < levels; l++)
		g->pgsize_bitmap |= g->leaf_sizes[l];
	cfg->levels = levels;
	cfg->input_bits = g->ias;
	cfg->output_bits = g->oas;
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
	unsigned nl = amd_nl(e);

	if (!(e & AMD_PR))
		return IOAS_PT_FAULT_TRANSLATION;
	if (e & AMD_ADDR & ~g->oa_mask)
		return IOAS_PT_FAULT_RESERVED;
	if (!(e & AMD_IR))
		st->prot &= ~(uint32_t)IOAS_PROT_READ;
	if (!(e & AMD_IW))
		st->prot &= ~(uint32_t)IOAS_PROT_WRITE;
	if (nl != 0 && nl != 7) {
		/* a PDE: NextLevel is the AMD level of the next table, which
		 * is our level nl - 1; it must be below this one */
		if (nl > lvl)
			return IOAS_PT_FAULT_RESERVED;
		if (nl < lvl && (rel & pt_bits(g->shift[lvl] - 1,
					      g->shift[nl])))
			return IOAS_PT_FAULT_ADDR_SIZE; /* skipped bits */
		st->next_pa = e & AMD_ADDR;
		st->next_lvl = nl - 1;
		return PT_HW_TABLE;
	}
	if (nl == 0) {
		st->size_lg2 = g->shift[lvl];
	} else {
		unsigned sz = fmt_leaf_size(g, e, lvl);

		if (sz <= g->shift[lvl] || sz >= g->shift[lvl] + 9u ||
		    sz > 52)
			return IOAS_PT_FAULT_RESERVED;
		st->size_lg2 = sz;
	}
	st->prot &= ~(uint32_t)IOAS_PROT_EXEC;
	st->oa = e & AMD_ADDR & ~((1ull << st->size_lg2) - 1);
	return PT_HW_LEAF;
}

static inline uint64_t fmt_hw_ad(const struct pt_geom *g, uint64_t e,
				 unsigned lvl, bool leaf, bool write)
{
	(void)lvl;
	e |= AMD_A;
	if (leaf && write && (g->fflags & PT_FF_DIRTY))
		e |= AMD_D;
	return e;
}

#endif
