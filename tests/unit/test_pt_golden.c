/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Golden encodings: entries written by map, read back from physical memory
 * by the hardware walker (or raw), compared bit for bit with values worked
 * out by hand from the architecture documents' descriptor tables. Each
 * expected value is spelled out as the sum of its fields.
 */
#include "test.h"

#include <ioas/pt.h>

#include "pt/pt.h"

struct g {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_pt *pt;
	struct ioas_pt_hw hw;
	struct ioas_pt_info info;
};

static void g_open(struct g *g, uint32_t format, uint32_t granule,
		   uint32_t levels, uint32_t ias, uint32_t oas, uint32_t flags)
{
	struct ioas_pt_config cfg;

	memset(g, 0, sizeof(*g));
	CHECK_OK(ioas_ctx_create(NULL, &g->ctx));
	CHECK_OK(ioas_phys_create(g->ctx, &g->phys));
	memset(&cfg, 0, sizeof(cfg));
	cfg.size = sizeof(cfg);
	cfg.format = format;
	cfg.granule_lg2 = granule;
	cfg.levels = levels;
	cfg.input_bits = ias;
	cfg.output_bits = oas;
	cfg.flags = flags;
	CHECK_OK(ioas_pt_create(g->phys, &cfg, &g->pt));
	g->hw.size = sizeof(g->hw);
	CHECK_OK(ioas_pt_get_hw(g->pt, &g->hw));
	g->info.size = sizeof(g->info);
	CHECK_OK(ioas_pt_get_info(g->pt, &g->info));
}

static void g_close(struct g *g)
{
	ioas_pt_destroy(g->pt);
	ioas_phys_destroy(g->phys);
	ioas_ctx_destroy(g->ctx);
}

/* The leaf entry the hardware walker reads for iova, and its level. */
static uint64_t leaf(struct g *g, uint64_t iova, unsigned *lvl)
{
	struct ioas_pt_xlate x;

	CHECK_OK(ioas_pt_hw_walk(g->phys, &g->hw, iova, 0, &x));
	if (lvl)
		*lvl = x.level;
	return x.entry;
}

static uint64_t root_entry(struct g *g, uint64_t idx)
{
	uint64_t e;

	CHECK_OK(ioas_phys_read(g->phys, g->info.root_pa + idx * 8, &e, 8));
	return e; /* little-endian formats on a little-endian host */
}

#define RW (IOAS_PROT_READ | IOAS_PROT_WRITE)

/* Intel SDM Vol. 3A, Tables 4-15 (PML4E), 4-16 (PDPTE, 1 GiB page),
 * 4-18 (PDE, 2 MiB page), 4-20 (PTE). */
TEST(golden_x86_64)
{
	struct g g;
	unsigned lvl;

	g_open(&g, IOAS_PT_FMT_X86_64, 0, 4, 0, 0, 0);
	/* 4 KiB RW user no-exec: P(0) RW(1) US(2) A(5) D(6) XD(63) */
	CHECK_OK(ioas_pt_map(g.pt, 0x40201000, 0x40201fff, 0x12345000, RW));
	CHECK_EQ(leaf(&g, 0x40201000, &lvl),
		 0x12345000ull + 0x1 + 0x2 + 0x4 + 0x20 + 0x40 +
			 0x8000000000000000ull);
	CHECK_EQ(lvl, 0);
	/* read-only, exec, supervisor: P A only */
	CHECK_OK(ioas_pt_map(g.pt, 0x40202000, 0x40202fff, 0xabcde000,
			     IOAS_PROT_READ | IOAS_PROT_EXEC | IOAS_PROT_PRIV));
	CHECK_EQ(leaf(&g, 0x40202000, NULL), 0xabcde000ull + 0x1 + 0x20);
	/* MMIO: PWT(3) PCD(4) */
	CHECK_OK(ioas_pt_map(g.pt, 0x40203000, 0x40203fff, 0xfee00000,
			     RW | IOAS_PROT_MMIO));
	CHECK_EQ(leaf(&g, 0x40203000, NULL),
		 0xfee00000ull + 0x1 + 0x2 + 0x4 + 0x8 + 0x10 + 0x20 + 0x40 +
			 0x8000000000000000ull);
	/* 2 MiB page: PS(7) */
	CHECK_OK(ioas_pt_map(g.pt, 0x80000000, 0x801fffff, 0x40000000, RW));
	CHECK_EQ(leaf(&g, 0x80000000, &lvl),
		 0x40000000ull + 0x1 + 0x2 + 0x4 + 0x20 + 0x40 + 0x80 +
			 0x8000000000000000ull);
	CHECK_EQ(lvl, 1);
	/* 1 GiB page, read-only */
	CHECK_OK(ioas_pt_map(g.pt, 0xc0000000, 0xffffffff, 0x100000000ull,
			     IOAS_PROT_READ));
	CHECK_EQ(leaf(&g, 0xc0000000, &lvl),
		 0x100000000ull + 0x1 + 0x4 + 0x20 + 0x80 +
			 0x8000000000000000ull);
	CHECK_EQ(lvl, 2);
	/* PML4E 0: a table, P RW US A */
	CHECK_EQ(root_entry(&g, 0) & 0xfff, 0x27);
	CHECK_EQ(root_entry(&g, 1), 0);
	g_close(&g);
}

/* VT-d spec section 9.8: SL-PTE, SL-PDE with PS, SL-PDPE with PS. */
TEST(golden_vtd_ss)
{
	struct g g;
	unsigned lvl;

	g_open(&g, IOAS_PT_FMT_VTD_SS, 0, 4, 0, 0, 0);
	/* R(0) W(1) */
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000, RW));
	CHECK_EQ(leaf(&g, 0x1000, &lvl), 0x12345000ull + 0x3);
	CHECK_EQ(lvl, 0);
	/* write-only is expressible */
	CHECK_OK(ioas_pt_map(g.pt, 0x2000, 0x2fff, 0x22345000,
			     IOAS_PROT_WRITE));
	CHECK_EQ(leaf(&g, 0x2000, NULL), 0x22345000ull + 0x2);
	/* 2 MiB read-only: R, PS(7) */
	CHECK_OK(ioas_pt_map(g.pt, 0x200000, 0x3fffff, 0x40000000,
			     IOAS_PROT_READ));
	CHECK_EQ(leaf(&g, 0x200000, &lvl), 0x40000000ull + 0x1 + 0x80);
	CHECK_EQ(lvl, 1);
	/* 1 GiB RWX: X(2) */
	CHECK_OK(ioas_pt_map(g.pt, 0x40000000, 0x7fffffff, 0x100000000ull,
			     RW | IOAS_PROT_EXEC));
	CHECK_EQ(leaf(&g, 0x40000000, &lvl),
		 0x100000000ull + 0x1 + 0x2 + 0x4 + 0x80);
	CHECK_EQ(lvl, 2);
	/* SL-PML4E: R W */
	CHECK_EQ(root_entry(&g, 0) & 0xfff, 0x3);
	g_close(&g);
}

/* Arm ARM D8.3 (descriptor formats), D8.4 (stage 1 attributes: AttrIndx
 * [4:2], AP[7:6], SH[9:8], AF[10], PXN[53], UXN[54]), D8.6 (contiguous
 * bit 52). */
TEST(golden_arm_s1)
{
	struct g g;
	unsigned lvl;
	const uint64_t xn = (1ull << 53) + (1ull << 54);

	g_open(&g, IOAS_PT_FMT_ARM_S1, 12, 0, 48, 48, 0);
	/* page: 0b11, AP[1]=1 (EL0), SH=0b11, AF */
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000, RW));
	CHECK_EQ(leaf(&g, 0x1000, &lvl),
		 0x12345000ull + 0x3 + 0x40 + 0x300 + 0x400 + xn);
	CHECK_EQ(lvl, 0);
	/* read-only: AP[2]=1; exec: no XN; privileged: AP[1]=0 */
	CHECK_OK(ioas_pt_map(g.pt, 0x2000, 0x2fff, 0x22345000,
			     IOAS_PROT_READ | IOAS_PROT_EXEC | IOAS_PROT_PRIV));
	CHECK_EQ(leaf(&g, 0x2000, NULL), 0x22345000ull + 0x3 + 0x80 + 0x300 + 0x400);
	/* device: AttrIndx=1, SH=0b10 */
	CHECK_OK(ioas_pt_map(g.pt, 0x3000, 0x3fff, 0x9000000,
			     RW | IOAS_PROT_MMIO));
	CHECK_EQ(leaf(&g, 0x3000, NULL),
		 0x9000000ull + 0x3 + 0x4 + 0x40 + 0x200 + 0x400 + xn);
	/* 2 MiB block at ARM level 2: 0b01 */
	CHECK_OK(ioas_pt_map(g.pt, 0x40000000, 0x401fffff, 0x80000000, RW));
	CHECK_EQ(leaf(&g, 0x40000000, &lvl),
		 0x80000000ull + 0x1 + 0x40 + 0x300 + 0x400 + xn);
	CHECK_EQ(lvl, 1);
	/* 1 GiB block at ARM level 1 */
	CHECK_OK(ioas_pt_map(g.pt, 0x80000000, 0xbfffffff, 0xc0000000, RW));
	CHECK_EQ(leaf(&g, 0x80000000, &lvl),
		 0xc0000000ull + 0x1 + 0x40 + 0x300 + 0x400 + xn);
	CHECK_EQ(lvl, 2);
	/* 64 KiB = 16 contiguous pages, each with its own OA and bit 52 */
	CHECK_OK(ioas_pt_map(g.pt, 0x10000, 0x1ffff, 0x12340000, RW));
	for (uint64_t i = 0; i < 16; i++)
		CHECK_EQ(leaf(&g, 0x10000 + i * 0x1000, NULL),
			 0x12340000ull + i * 0x1000 + 0x3 + 0x40 + 0x300 +
				 0x400 + (1ull << 52) + xn);
	/* level 0 table descriptor: 0b11 */
	CHECK_EQ(root_entry(&g, 0) & 0xfff, 0x3);
	g_close(&g);

	/* 64 KiB granule, 52-bit OA (FEAT_LPA): OA[51:48] in bits [15:12] */
	g_open(&g, IOAS_PT_FMT_ARM_S1, 16, 0, 52, 52, 0);
	CHECK_OK(ioas_pt_map(g.pt, 0x10000, 0x1ffff, 0x000a000012340000ull,
			     RW));
	CHECK_EQ(leaf(&g, 0x10000, &lvl),
		 0x12340000ull + (0xaull << 12) + 0x3 + 0x40 + 0x300 + 0x400 +
			 xn);
	CHECK_EQ(lvl, 0);
	g_close(&g);

	/* dirty tracking: writable-clean = AP[2]=1 + DBM(51) */
	g_open(&g, IOAS_PT_FMT_ARM_S1, 12, 0, 48, 48, IOAS_PT_F_DIRTY);
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000, RW));
	CHECK_EQ(leaf(&g, 0x1000, NULL),
		 0x12345000ull + 0x3 + 0x40 + 0x80 + 0x300 + 0x400 +
			 (1ull << 51) + xn);
	g_close(&g);
}

/* Arm ARM D8.4 stage 2: MemAttr[5:2], S2AP[7:6], XN[54]; concatenated
 * start-level tables. */
TEST(golden_arm_s2)
{
	struct g g;
	unsigned lvl;

	g_open(&g, IOAS_PT_FMT_ARM_S2, 12, 0, 40, 40, 0);
	/* 40-bit IPA with 4K: start at ARM level 1 with 2 concatenated
	 * tables (VTCR SL0 = 1) */
	CHECK_EQ(g.info.levels, 3);
	CHECK_EQ(g.info.root_bytes, 8192);
	/* page: 0b11, MemAttr 0b1111, S2AP 0b11, SH 0b11, AF, XN */
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000, RW));
	CHECK_EQ(leaf(&g, 0x1000, &lvl),
		 0x12345000ull + 0x3 + 0x3c + 0xc0 + 0x300 + 0x400 +
			 (1ull << 54));
	/* exec, read-only, device memory nGnRE (0b0001), SH 0b10 */
	CHECK_OK(ioas_pt_map(g.pt, 0x2000, 0x2fff, 0x9000000,
			     IOAS_PROT_READ | IOAS_PROT_EXEC | IOAS_PROT_MMIO));
	CHECK_EQ(leaf(&g, 0x2000, NULL),
		 0x9000000ull + 0x3 + 0x4 + 0x40 + 0x200 + 0x400);
	/* a 1 GiB block in the second concatenated table */
	CHECK_OK(ioas_pt_map(g.pt, 0x8000000000ull, 0x803fffffffull,
			     0x40000000, RW));
	CHECK_EQ(leaf(&g, 0x8000000000ull, &lvl),
		 0x40000000ull + 0x1 + 0x3c + 0xc0 + 0x300 + 0x400 +
			 (1ull << 54));
	CHECK_EQ(lvl, 2);
	CHECK_EQ(root_entry(&g, 512), 0x40000000ull + 0x1 + 0x3c + 0xc0 +
					      0x300 + 0x400 + (1ull << 54));
	g_close(&g);
}

/* AMD IOMMU spec 2.2.3: PTE/PDE figures and "Example Page Size
 * Encodings". */
TEST(golden_amd_v1)
{
	struct g g;
	unsigned lvl;
	const uint64_t ir = 1ull << 61, iw = 1ull << 62;

	g_open(&g, IOAS_PT_FMT_AMD_V1, 0, 3, 0, 0, 0);
	/* 4 KiB: PR, NextLevel 0, IR IW */
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000, RW));
	CHECK_EQ(leaf(&g, 0x1000, &lvl), 0x12345000ull + 0x1 + ir + iw);
	CHECK_EQ(lvl, 0);
	/* 8 KiB read-only: NextLevel 7, address bit 12 clear, in 2 entries */
	CHECK_OK(ioas_pt_map(g.pt, 0x4000, 0x5fff, 0x12346000,
			     IOAS_PROT_READ));
	CHECK_EQ(leaf(&g, 0x4000, NULL), 0x12346000ull + 0xe00 + 0x1 + ir);
	CHECK_EQ(leaf(&g, 0x5000, NULL), 0x12346000ull + 0xe00 + 0x1 + ir);
	/* 32 KiB: bits 12,13 set, 14 clear; 8 entries */
	CHECK_OK(ioas_pt_map(g.pt, 0x8000, 0xffff, 0x12348000, RW));
	for (uint64_t i = 0; i < 8; i++)
		CHECK_EQ(leaf(&g, 0x8000 + i * 0x1000, NULL),
			 0x12348000ull + 0x3000 + 0xe00 + 0x1 + ir + iw);
	/* 2 MiB: a level-2 PTE with NextLevel 0 */
	CHECK_OK(ioas_pt_map(g.pt, 0x200000, 0x3fffff, 0x40000000, RW));
	CHECK_EQ(leaf(&g, 0x200000, &lvl), 0x40000000ull + 0x1 + ir + iw);
	CHECK_EQ(lvl, 1);
	/* 4 MiB: level 2, NextLevel 7, address bits 20:12 set, 21 clear */
	CHECK_OK(ioas_pt_map(g.pt, 0x400000, 0x7fffff, 0x40400000, RW));
	CHECK_EQ(leaf(&g, 0x600000, NULL),
		 0x40400000ull + 0x1ff000 + 0xe00 + 0x1 + ir + iw);
	/* root (AMD level 3) PDE: PR, NextLevel 2, IR IW */
	CHECK_EQ(root_entry(&g, 0) & ~pt_bits(51, 12), 0x1ull + 0x400 + ir + iw);
	g_close(&g);
}

/* LoPAPR / IODA2 TCE: RPN, bit 1 W, bit 0 R, big-endian in memory. */
TEST(golden_tce)
{
	struct g g;
	uint8_t raw[8];
	static const uint8_t want[8] = { 0, 0, 0, 0, 0x12, 0x34, 0x50, 0x03 };
	struct ioas_pt_xlate x;

	g_open(&g, IOAS_PT_FMT_TCE, 12, 1, 28, 0, 0);
	CHECK_OK(ioas_pt_map(g.pt, 0x5000, 0x5fff, 0x12345000, RW));
	CHECK_OK(ioas_phys_read(g.phys, g.info.root_pa + 5 * 8, raw, 8));
	for (int i = 0; i < 8; i++)
		CHECK_EQ(raw[i], want[i]);
	CHECK_OK(ioas_pt_map(g.pt, 0x6000, 0x6fff, 0x22345000,
			     IOAS_PROT_WRITE));
	CHECK_EQ(leaf(&g, 0x6000, NULL), 0x22345000ull + 0x2);
	/* write-only: a DMA read faults with a permission error */
	CHECK_ERR(ioas_pt_hw_walk(g.phys, &g.hw, 0x6008, IOAS_PROT_READ, &x),
		  -EFAULT);
	CHECK_EQ(x.fault, IOAS_PT_FAULT_PERM);
	g_close(&g);

	/* two levels, 64 KiB pages, window at 2^59 */
	{
		struct ioas_pt_config cfg;

		memset(&g, 0, sizeof(g));
		CHECK_OK(ioas_ctx_create(NULL, &g.ctx));
		CHECK_OK(ioas_phys_create(g.ctx, &g.phys));
		memset(&cfg, 0, sizeof(cfg));
		cfg.size = sizeof(cfg);
		cfg.format = IOAS_PT_FMT_TCE;
		cfg.granule_lg2 = 16;
		cfg.levels = 2;
		cfg.input_bits = 40;
		cfg.iova_offset = 1ull << 59;
		CHECK_OK(ioas_pt_create(g.phys, &cfg, &g.pt));
		g.hw.size = sizeof(g.hw);
		CHECK_OK(ioas_pt_get_hw(g.pt, &g.hw));
		g.info.size = sizeof(g.info);
		CHECK_OK(ioas_pt_get_info(g.pt, &g.info));
		/* 2^24 TCEs over 2 levels: 12 bits each, 32 KiB tables */
		CHECK_EQ(g.info.table_lg2, 15);
		CHECK_OK(ioas_pt_map(g.pt, (1ull << 59) + 0x10000,
				     (1ull << 59) + 0x1ffff, 0x7770000, RW));
		CHECK_EQ(leaf(&g, (1ull << 59) + 0x10000, NULL),
			 0x7770000ull + 0x3);
		/* the indirect entry: next table | R | W, big-endian */
		CHECK_OK(ioas_phys_read(g.phys, g.info.root_pa, raw, 8));
		CHECK_EQ(raw[7] & 0x3, 0x3);
		CHECK_ERR(ioas_pt_hw_walk(g.phys, &g.hw, 0x10000, 0, &x),
			  -EFAULT);
		CHECK_EQ(x.fault, IOAS_PT_FAULT_ADDR_SIZE);
		g_close(&g);
	}
}

static void find_leaf0(void *opaque, unsigned lvl, uint64_t tpa,
		       uint64_t idx, uint64_t e)
{
	(void)e;
	if (lvl == 0)
		*(uint64_t *)opaque = tpa + idx * 8;
}

/* Walker faults: level and reason. */
TEST(golden_faults)
{
	struct g g;
	struct ioas_pt_xlate x;
	uint64_t e;

	g_open(&g, IOAS_PT_FMT_X86_64, 0, 4, 0, 0, 0);
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000,
			     IOAS_PROT_READ));
	/* unmapped: not present in the PDPT (level 2) */
	CHECK_ERR(ioas_pt_hw_walk(g.phys, &g.hw, 0x40000000, 0, &x), -EFAULT);
	CHECK_EQ(x.fault, IOAS_PT_FAULT_TRANSLATION);
	CHECK_EQ(x.level, 2);
	/* write to a read-only page */
	CHECK_ERR(ioas_pt_hw_walk(g.phys, &g.hw, 0x1000, IOAS_PROT_WRITE, &x),
		  -EFAULT);
	CHECK_EQ(x.fault, IOAS_PT_FAULT_PERM);
	CHECK_EQ(x.level, 0);
	/* non-canonical */
	CHECK_ERR(ioas_pt_hw_walk(g.phys, &g.hw, 1ull << 50, 0, &x), -EFAULT);
	CHECK_EQ(x.fault, IOAS_PT_FAULT_ADDR_SIZE);
	g_close(&g);

	/* a reserved bit (address above MAXPHYADDR = 46) in the PML4E */
	g_open(&g, IOAS_PT_FMT_X86_64, 0, 4, 0, 46, 0);
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000,
			     IOAS_PROT_READ));
	CHECK_OK(ioas_phys_read(g.phys, g.info.root_pa, &e, 8));
	e |= 1ull << 50;
	CHECK_OK(ioas_phys_write(g.phys, g.info.root_pa, &e, 8));
	CHECK_ERR(ioas_pt_hw_walk(g.phys, &g.hw, 0x1000, 0, &x), -EFAULT);
	CHECK_EQ(x.fault, IOAS_PT_FAULT_RESERVED);
	CHECK_EQ(x.level, 3);
	e &= ~(1ull << 50);
	CHECK_OK(ioas_phys_write(g.phys, g.info.root_pa, &e, 8));
	CHECK_OK(ioas_pt_unmap(g.pt, 0x1000, 0x1fff, NULL));
	g_close(&g);

	/* ARM: AF = 0 gives an access flag fault unless hardware sets it */
	g_open(&g, IOAS_PT_FMT_ARM_S1, 12, 0, 48, 48, 0);
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000, RW));
	CHECK_OK(ioas_pt_hw_walk(g.phys, &g.hw, 0x1000, 0, &x));
	{
		uint64_t at = 0;

		pt_dump(g.pt, find_leaf0, &at);
		CHECK(at);
		CHECK_OK(ioas_phys_read(g.phys, at, &e, 8));
		e &= ~(1ull << 10);
		CHECK_OK(ioas_phys_write(g.phys, at, &e, 8));
		CHECK_ERR(ioas_pt_hw_walk(g.phys, &g.hw, 0x1000, 0, &x),
			  -EFAULT);
		CHECK_EQ(x.fault, IOAS_PT_FAULT_ACCESS_FLAG);
		CHECK_EQ(x.level, 0);
		/* with hardware AF update the walk succeeds and sets AF */
		g.hw.flags |= IOAS_PT_HW_F_SET_AD;
		CHECK_OK(ioas_pt_hw_walk(g.phys, &g.hw, 0x1000, 0, &x));
		CHECK_OK(ioas_phys_read(g.phys, at, &e, 8));
		CHECK(e & (1ull << 10));
	}
	g_close(&g);

	/* AMD level skipping: a PDE at level 3 pointing straight to a level
	 * 1 table; the skipped IOVA bits must be zero */
	g_open(&g, IOAS_PT_FMT_AMD_V1, 0, 3, 0, 0, 0);
	CHECK_OK(ioas_pt_map(g.pt, 0x1000, 0x1fff, 0x12345000, RW));
	{
		uint64_t pde, l2pa, l2e;

		CHECK_OK(ioas_phys_read(g.phys, g.info.root_pa, &pde, 8));
		l2pa = pde & pt_bits(51, 12);
		CHECK_OK(ioas_phys_read(g.phys, l2pa, &l2e, 8));
		/* root now points at the level-1 table, NextLevel = 1 */
		pde = (l2e & pt_bits(51, 12)) | 0x1 | (1ull << 9) |
		      (1ull << 61) | (1ull << 62);
		CHECK_OK(ioas_phys_write(g.phys, g.info.root_pa, &pde, 8));
		CHECK_OK(ioas_pt_hw_walk(g.phys, &g.hw, 0x1000, 0, &x));
		CHECK_EQ(x.pa, 0x12345000);
		CHECK_ERR(ioas_pt_hw_walk(g.phys, &g.hw, 0x201000, 0, &x),
			  -EFAULT);
		CHECK_EQ(x.fault, IOAS_PT_FAULT_ADDR_SIZE);
		/* restore so destroy frees the real tree */
		pde = l2pa | 0x1 | (2ull << 9) | (1ull << 61) | (1ull << 62);
		CHECK_OK(ioas_phys_write(g.phys, g.info.root_pa, &pde, 8));
	}
	g_close(&g);
}
