/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ARM VMSAv8-64 long-descriptor translation tables, stage 1 and stage 2,
 * 4 KiB, 16 KiB and 64 KiB granules.
 *
 * Source: Arm Architecture Reference Manual for A-profile (DDI 0487),
 *   D8.3 "Translation table descriptor formats" (the figures of the
 *     table, block and page descriptors for each granule; 52-bit output
 *     addresses with the 64 KiB granule, FEAT_LPA, put OA[51:48] in
 *     descriptor bits [15:12]);
 *   D8.4 "Memory attribute fields" (stage 1 AttrIndx[4:2], AP[2:1] bits
 *     [7:6], SH[9:8], AF[10], PXN[53], UXN[54]; stage 2 MemAttr[5:2],
 *     S2AP[7:6], XN[54]; hierarchical APTable[62:61], UXNTable[60]);
 *   D8.6 "The Contiguous bit" (bit 52: 16 entries at every level with the
 *     4 KiB granule; 128 pages / 32 blocks with 16 KiB; 32 with 64 KiB);
 *   D8.4.6 / D8.5 "Hardware management of the dirty state" (DBM, bit 51:
 *     a writable-clean stage 1 entry has AP[2] = 1, hardware clears it on
 *     the first write; stage 2 sets S2AP[1]);
 *   D8.2.x tables of the initial lookup level and concatenated stage 2
 *     translation tables (up to 16 tables at the start level).
 * Not supported: FEAT_LPA2 (52-bit with 4K/16K granules), level -1.
 *
 * Levels (ARM numbers levels from the root down):
 *   granule  ARM level  ours  entry maps
 *   4K       3          0     4 KiB page     (contiguous: 64 KiB)
 *            2          1     2 MiB block    (contiguous: 32 MiB)
 *            1          2     1 GiB block    (contiguous: 16 GiB)
 *            0          3     table only
 *   16K      3          0     16 KiB page    (contiguous: 2 MiB)
 *            2          1     32 MiB block   (contiguous: 1 GiB)
 *            1, 0       2, 3  table only
 *   64K      3          0     64 KiB page    (contiguous: 2 MiB)
 *            2          1     512 MiB block  (contiguous: 16 GiB)
 *            1          2     4 TiB block with 52-bit OA, else table
 *
 * Our encodings: stage 1 AttrIndx 0 = normal memory, 1 = device (MMIO):
 * program MAIR accordingly; SH = inner shareable (device: outer); AF = 1;
 * AP[1] = 1 unless IOAS_PROT_PRIV; AP[2] = 1 without WRITE; UXN|PXN
 * without EXEC. Stage 2 MemAttr 0b1111 (normal write-back) or 0b0001
 * (device nGnRE). With dirty tracking, writable pages are written
 * writable-clean (DBM = 1).
 */
#ifndef IOAS_PT_FMT_ARMV8_H
#define IOAS_PT_FMT_ARMV8_H

#include <errno.h>

#include "pt.h"

#define FMT_OPS pt_ops_armv8

#define ARM_VALID (1ull << 0)
#define ARM_TYPE_TABLE (1ull << 1) /* table at levels > 0, page at 0 */
#define ARM_ATTRIDX(x) ((uint64_t)(x) << 2)
#define ARM_S2_MEMATTR(x) ((uint64_t)(x) << 2)
#define ARM_AP1 (1ull << 6)  /* S1: EL0 (unprivileged) access */
#define ARM_AP2 (1ull << 7)  /* S1: read-only */
#define ARM_S2AP_R (1ull << 6)
#define ARM_S2AP_W (1ull << 7)
#define ARM_SH_OS (2ull << 8)
#define ARM_SH_IS (3ull << 8)
#define ARM_AF (1ull << 10)
#define ARM_DBM (1ull << 51)
#define ARM_CONT (1ull << 52)
#define ARM_PXN (1ull << 53)
#define ARM_UXN (1ull << 54) /* stage 2: XN[1] */
#define ARM_UXNTABLE (1ull << 60)
#define ARM_APTABLE0 (1ull << 61)
#define ARM_APTABLE1 (1ull << 62)

#define fmt_load pt_load_le
#define fmt_store pt_store_le

static inline bool arm_s2(const struct pt_geom *g)
{
	return (g->fflags & PT_FF_STAGE2) != 0;
}

/* Output address field <-> address (granule-aligned part). */
static inline uint64_t arm_oa_decode(const struct pt_geom *g, uint64_t e)
{
	uint64_t oa = e & pt_bits(47, g->granule_lg2);

	if (g->fflags & PT_FF_LPA)
		oa |= ((e >> 12) & 0xf) << 48;
	return oa;
}

static inline uint64_t arm_oa_encode(const struct pt_geom *g, uint64_t pa)
{
	uint64_t f = pa & pt_bits(47, g->granule_lg2);

	if (g->fflags & PT_FF_LPA)
		f |= ((pa >> 48) & 0xf) << 12;
	return f;
}

static inline bool fmt_is_table(const struct pt_geom *g, uint64_t e,
				unsigned lvl)
{
	(void)g;
	(void)lvl;
	return (e & 3) == 3;
}

static inline uint64_t fmt_table_pa(const struct pt_geom *g, uint64_t e)
{
	return arm_oa_decode(g, e);
}

static inline uint64_t fmt_make_table(const struct pt_geom *g, uint64_t pa,
				      unsigned lvl)
{
	(void)lvl;
	return arm_oa_encode(g, pa) | ARM_VALID | ARM_TYPE_TABLE;
}

/* Linear unless FEAT_LPA moves OA[51:48] into bits 15:12. */
#define FMT_LINEAR_OA(g) (!((g)->fflags & PT_FF_LPA))

static inline uint64_t fmt_make_leaf(const struct pt_geom *g, uint64_t pa,
				     unsigned lvl, unsigned size_lg2,
				     uint32_t prot)
{
	uint64_t e = arm_oa_encode(g, pa) | ARM_VALID | ARM_AF;
	bool dirty_trk = (g->fflags & PT_FF_DIRTY) != 0;

	if (lvl == 0)
		e |= ARM_TYPE_TABLE; /* page descriptor */
	if (size_lg2 != g->shift[lvl])
		e |= ARM_CONT;
	e |= (prot & IOAS_PROT_MMIO) ? ARM_SH_OS : ARM_SH_IS;
	if (!arm_s2(g)) {
		if (prot & IOAS_PROT_MMIO)
			e |= ARM_ATTRIDX(1);
		if (!(prot & IOAS_PROT_PRIV))
			e |= ARM_AP1;
		if (!(prot & IOAS_PROT_WRITE))
			e |= ARM_AP2;
		else if (dirty_trk)
			e |= ARM_AP2 | ARM_DBM; /* writable-clean */
		if (!(prot & IOAS_PROT_EXEC))
			e |= ARM_UXN | ARM_PXN;
	} else {
		e |= ARM_S2_MEMATTR((prot & IOAS_PROT_MMIO) ? 0x1 : 0xf);
		if (prot & IOAS_PROT_READ)
			e |= ARM_S2AP_R;
		if (prot & IOAS_PROT_WRITE)
			e |= dirty_trk ? ARM_DBM : ARM_S2AP_W;
		if (!(prot & IOAS_PROT_EXEC))
			e |= ARM_UXN;
	}
	return e;
}

static inline unsigned arm_contig_lg2(const struct pt_geom *g, unsigned lvl)
{
	uint64_t big = g->leaf_sizes[lvl] & ~((2ull << g->shift[lvl]) - 1);

	return big ? 63u - (unsigned)__builtin_clzll(big) : g->shift[lvl];
}

static inline unsigned fmt_leaf_size(const struct pt_geom *g, uint64_t e,
				     unsigned lvl)
{
	return (e & ARM_CONT) ? arm_contig_lg2(g, lvl) : g->shift[lvl];
}

static inline uint64_t fmt_leaf_pa(const struct pt_geom *g, uint64_t e,
				   unsigned lvl, unsigned size_lg2)
{
	(void)lvl;
	return arm_oa_decode(g, e) & ~((1ull << size_lg2) - 1);
}

static inline uint32_t fmt_leaf_prot(const struct pt_geom *g, uint64_t e,
				     unsigned lvl)
{
	uint32_t prot = 0;

	(void)lvl;
	if (!arm_s2(g)) {
		prot = IOAS_PROT_READ;
		if (!(e & ARM_AP2) || (e & ARM_DBM))
			prot |= IOAS_PROT_WRITE;
		if (!(e & ARM_AP1))
			prot |= IOAS_PROT_PRIV;
		if (!(e & ARM_UXN))
			prot |= IOAS_PROT_EXEC;
		if ((e & pt_bits(4, 2)) == ARM_ATTRIDX(1))
			prot |= IOAS_PROT_MMIO;
	} else {
		if (e & ARM_S2AP_R)
			prot |= IOAS_PROT_READ;
		if (e & (ARM_S2AP_W | ARM_DBM))
			prot |= IOAS_PROT_WRITE;
		if (!(e & ARM_UXN))
			prot |= IOAS_PROT_EXEC;
		if ((e & pt_bits(5, 2)) == ARM_S2_MEMATTR(1))
			prot |= IOAS_PROT_MMIO;
	}
	return prot;
}

static inline bool fmt_leaf_dirty(const struct pt_geom *g, uint64_t e)
{
	if (!(e & ARM_DBM))
		return false;
	return arm_s2(g) ? (e & ARM_S2AP_W) != 0 : !(e & ARM_AP2);
}

static inline uint64_t fmt_leaf_set_dirty(const struct pt_geom *g, uint64_t e,
					  bool dirty)
{
	if (!(e & ARM_DBM))
		return e;
	if (arm_s2(g))
		return dirty ? e | ARM_S2AP_W : e & ~ARM_S2AP_W;
	return dirty ? e & ~ARM_AP2 : e | ARM_AP2;
}

static inline int fmt_check_prot(const struct pt_geom *g, uint32_t prot)
{
	/* stage 1 cannot express write-only */
	if (!arm_s2(g) && !(prot & IOAS_PROT_READ))
		return -EOPNOTSUPP;
	return 0;
}

static inline int fmt_geom(struct pt_geom *g, struct ioas_pt_config *cfg,
			   bool hw)
{
	unsigned gr = cfg->granule_lg2 ? cfg->granule_lg2 : 12;
	unsigned bpl = gr - 3, ias, oas, maxbits, levels, rootbits, k;
	bool s2 = cfg->format == IOAS_PT_FMT_ARM_S2;

	if (gr != 12 && gr != 14 && gr != 16)
		return -EOPNOTSUPP;
	maxbits = gr == 16 ? 52 : 48;
	ias = cfg->input_bits ? cfg->input_bits : 48;
	if (ias > maxbits)
		ias = maxbits;
	if (ias < 25)
		ias = 25;
	oas = cfg->output_bits ? cfg->output_bits : 48;
	if (oas > maxbits)
		oas = maxbits;
	if (oas < 32)
		oas = 32;
	levels = (ias - gr + bpl - 1) / bpl;
	rootbits = ias - gr - (levels - 1) * bpl;
	if (hw && cfg->levels) {
		/* the start level as programmed (SL0 / T0SZ); stage 2 may
		 * concatenate up to 16 tables */
		if (cfg->levels > levels || cfg->levels + 1 < levels ||
		    cfg->levels > 4)
			return -EOPNOTSUPP;
		if (cfg->levels < levels) {
			if (!s2 || rootbits > 4)
				return -EOPNOTSUPP;
			levels--;
			rootbits += bpl;
		}
	} else {
		if (s2 && levels > 1 && rootbits <= 4) {
			levels--;
			rootbits += bpl;
		}
		if (levels > 4)
			return -EOPNOTSUPP;
		if (cfg->levels && cfg->levels != levels)
			return -EOPNOTSUPP;
	}
	g->format = cfg->format;
	g->fflags = s2 ? PT_FF_STAGE2 : 0;
	if (oas > 48)
		g->fflags |= PT_FF_LPA;
	g->top = (uint8_t)(levels - 1);
	g->granule_lg2 = (uint8_t)gr;
	g->table_lg2 = (uint8_t)gr;
	g->root_lg2 = (uint8_t)(rootbits + 3);
	g->ias = g->ap_bits = (uint8_t)ias;
	g->oas = (uint8_t)oas;
	g->oa_mask = (1ull << oas) - 1;
	for (unsigned l = 0; l < levels; l++) {
		g->shift[l] = (uint8_t)(gr + l * bpl);
		g->bits[l] = (uint8_t)bpl;
	}
	g->bits[levels - 1] = (uint8_t)rootbits;

	/* leaves: pages at 0; blocks at ARM level 2 (ours 1) for every
	 * granule, at ARM level 1 (ours 2) for 4K, and for 64K with 52-bit
	 * OA */
	g->leaf_sizes[0] = 1ull << gr;
	if (!(cfg->quirks & IOAS_PT_Q_NO_LARGE)) {
		if (levels > 1)
			g->leaf_sizes[1] = 1ull << g->shift[1];
		if (levels > 2 && (gr == 12 || (gr == 16 && oas > 48)))
			g->leaf_sizes[2] = 1ull << g->shift[2];
	}
	/* contiguous runs: D8.6 */
	if (!(cfg->quirks & (IOAS_PT_Q_NO_CONTIG | IOAS_PT_Q_NO_LARGE))) {
		for (unsigned l = 0; l < levels && l < 3; l++) {
			if (!g->leaf_sizes[l])
				continue;
			if (gr == 12)
				k = 4;
			else if (gr == 14)
				k = l == 0 ? 7 : 5;
			else
				k = l < 2 ? 5 : 0;
			if (k && g->bits[l] >= k)
				g->leaf_sizes[l] |= 1ull << (g->shift[l] + k);
		}
	}
	g->pgsize_bitmap = 0;
	for (unsigned l = 0; l < levels; l++)
		g->pgsize_bitmap |= g->leaf_sizes[l];
	cfg->levels = levels;
	cfg->input_bits = ias;
	cfg->output_bits = oas;
	cfg->granule_lg2 = gr;
	return 0;
}

static inline int fmt_hw_input(const struct pt_geom *g, uint64_t iova,
			       uint64_t *rel)
{
	/* an address beyond T0SZ / the IPA size: translation fault */
	if (iova >> g->ias)
		return IOAS_PT_FAULT_TRANSLATION;
	*rel = iova;
	return 0;
}

static inline int fmt_hw_entry(const struct pt_geom *g, uint64_t e,
			       unsigned lvl, uint64_t rel,
			       struct pt_hw_state *st)
{
	uint64_t oa;
	bool s2 = arm_s2(g);

	(void)rel;
	if (!(e & ARM_VALID))
		return IOAS_PT_FAULT_TRANSLATION;
	oa = arm_oa_decode(g, e);
	if (oa & ~g->oa_mask)
		return IOAS_PT_FAULT_ADDR_SIZE;
	if (lvl && (e & ARM_TYPE_TABLE)) {
		if (!s2) {
			if (e & ARM_APTABLE1)
				st->prot &= ~(uint32_t)IOAS_PROT_WRITE;
			if (e & ARM_APTABLE0)
				st->prot |= IOAS_PROT_PRIV;
			if (e & ARM_UXNTABLE)
				st->prot &= ~(uint32_t)IOAS_PROT_EXEC;
		}
		st->next_pa = oa;
		st->next_lvl = lvl - 1;
		return PT_HW_TABLE;
	}
	/* a block where the granule has none, or 0b01 at level 3 */
	if (lvl == 0 ? !(e & ARM_TYPE_TABLE)
		     : !(g->leaf_sizes[lvl] & (1ull << g->shift[lvl])))
		return IOAS_PT_FAULT_TRANSLATION;
	if (!(e & ARM_AF) && !(g->fflags & PT_FF_SET_AD))
		return IOAS_PT_FAULT_ACCESS_FLAG;
	if (!s2) {
		if ((e & ARM_AP2) &&
		    !((e & ARM_DBM) && (g->fflags & PT_FF_DIRTY)))
			st->prot &= ~(uint32_t)IOAS_PROT_WRITE;
		if (!(e & ARM_AP1))
			st->prot |= IOAS_PROT_PRIV;
		if (e & ARM_UXN)
			st->prot &= ~(uint32_t)IOAS_PROT_EXEC;
		if ((e & pt_bits(4, 2)) == ARM_ATTRIDX(1))
			st->prot |= IOAS_PROT_MMIO;
	} else {
		if (!(e & ARM_S2AP_R))
			st->prot &= ~(uint32_t)IOAS_PROT_READ;
		if (!(e & ARM_S2AP_W) &&
		    !((e & ARM_DBM) && (g->fflags & PT_FF_DIRTY)))
			st->prot &= ~(uint32_t)IOAS_PROT_WRITE;
		if (e & ARM_UXN)
			st->prot &= ~(uint32_t)IOAS_PROT_EXEC;
		if ((e & pt_bits(5, 2)) == ARM_S2_MEMATTR(1))
			st->prot |= IOAS_PROT_MMIO;
	}
	st->size_lg2 = fmt_leaf_size(g, e, lvl);
	st->oa = oa & ~((1ull << st->size_lg2) - 1);
	return PT_HW_LEAF;
}

static inline uint64_t fmt_hw_ad(const struct pt_geom *g, uint64_t e,
				 unsigned lvl, bool leaf, bool write)
{
	(void)lvl;
	if (!leaf)
		return e;
	e |= ARM_AF;
	if (write && (e & ARM_DBM) && (g->fflags & PT_FF_DIRTY))
		e = fmt_leaf_set_dirty(g, e, true);
	return e;
}

#endif
