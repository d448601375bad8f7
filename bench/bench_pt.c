/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Page-table micro-benchmarks, per format: ns per 4 KiB map and unmap
 * (one page per call), ns per 4 KiB entry inside 256-page map and unmap
 * calls, ns per iova_to_phys and per hardware walk, and table bytes per
 * mapped GiB of 4 KiB pages. Reference (Linux generic_pt in the kernel):
 * ~55 ns per 4 KiB map, ~70 ns per unmap, ~1.5 ns per PTE in a 256-page
 * call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ioas/pt.h>

#include "bench_clock.h"

#include "pt/pt.h"

struct fmt {
	const char *name;
	uint32_t format, granule, levels, ias;
};

static const struct fmt fmts[] = {
	{ "x86_64 4-level", IOAS_PT_FMT_X86_64, 0, 4, 0 },
	{ "vtd-ss 4-level", IOAS_PT_FMT_VTD_SS, 0, 4, 0 },
	{ "arm s1 4K", IOAS_PT_FMT_ARM_S1, 12, 0, 48 },
	{ "arm s2 4K", IOAS_PT_FMT_ARM_S2, 12, 0, 48 },
	{ "amd v1 4-level", IOAS_PT_FMT_AMD_V1, 0, 4, 48 },
	{ "tce 3-level 4K", IOAS_PT_FMT_TCE, 12, 3, 36 },
};

static volatile uint64_t sink;

#define N_SINGLE (1u << 18) /* 1 GiB of 4 KiB pages */
#define N_BATCH 2048        /* 256-page calls: 2 GiB */

static void die(const char *what, int ret)
{
	fprintf(stderr, "bench_pt: %s: %d\n", what, ret);
	exit(1);
}

int main(void)
{
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	const uint32_t rw = IOAS_PROT_READ | IOAS_PROT_WRITE;

	if (ioas_ctx_create(NULL, &ctx) || ioas_phys_create(ctx, &phys))
		return 1;
	printf("ns per 4 KiB map/unmap call; ns per PTE inside 256-page calls,\n"
	       "into existing tables (warm) and including table allocation\n"
	       "and freeing (cold); ns per iova_to_phys and hardware walk;\n"
	       "table bytes per GiB of 4 KiB pages\n");
	printf("%-16s %9s %9s %9s %9s %9s %9s %9s %9s %12s\n", "format",
	       "map ns", "unmap ns", "map/PTE", "unmap/PTE", "cold map",
	       "cold unm", "i2p ns", "hwwalk", "tbl B/GiB");
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		struct ioas_pt_config cfg;
		struct ioas_pt_info info;
		struct ioas_pt_hw hw;
		struct pt_hw_walker w;
		struct pt_hw_mem mem = { phys, NULL, NULL };
		struct ioas_pt *pt;
		uint64_t base = 1ull << 32, pa0 = 1ull << 33, got;
		double t0, map_ns, unmap_ns, bmap, bunmap, wmap, wunmap, i2p, hwns;
		uint64_t tbytes;
		int ret;

		memset(&cfg, 0, sizeof(cfg));
		cfg.size = sizeof(cfg);
		cfg.format = fmts[f].format;
		cfg.granule_lg2 = fmts[f].granule;
		cfg.levels = fmts[f].levels;
		cfg.input_bits = fmts[f].ias;
		cfg.quirks = IOAS_PT_Q_NO_LARGE | IOAS_PT_Q_NO_CONTIG;
		ret = ioas_pt_create(phys, &cfg, &pt);
		if (ret)
			die("create", ret);
		info.size = sizeof(info);
		hw.size = sizeof(hw);
		(void)ioas_pt_get_hw(pt, &hw);
		if (pt_hw_prepare(&w, &hw))
			die("prepare", -1);

		/* single 4 KiB maps over 1 GiB */
		t0 = now_ns();
		for (uint64_t i = 0; i < N_SINGLE; i++) {
			uint64_t a = base + (i << 12);

			ret = ioas_pt_map(pt, a, a + 4095, pa0 + (i << 12), rw);
			if (ret)
				die("map", ret);
		}
		map_ns = (now_ns() - t0) / N_SINGLE;
		(void)ioas_pt_get_info(pt, &info);
		tbytes = info.table_bytes;

		/* lookups at random pages */
		{
			uint64_t x = 88172645463325252ull;

			t0 = now_ns();
			for (uint64_t i = 0; i < N_SINGLE; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				(void)ioas_pt_iova_to_phys(
					pt, base + ((x % N_SINGLE) << 12), &got);
				sink += got;
			}
			i2p = (now_ns() - t0) / N_SINGLE;
			t0 = now_ns();
			for (uint64_t i = 0; i < N_SINGLE; i++) {
				struct ioas_pt_xlate xl;

				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				(void)pt_hw_walk(&w, &mem,
						 base + ((x % N_SINGLE) << 12),
						 IOAS_PROT_READ, &xl);
				sink += xl.pa;
			}
			hwns = (now_ns() - t0) / N_SINGLE;
		}

		t0 = now_ns();
		for (uint64_t i = 0; i < N_SINGLE; i++) {
			uint64_t a = base + (i << 12);

			ret = ioas_pt_unmap(pt, a, a + 4095, &got);
			if (ret || got != 4096)
				die("unmap", ret);
		}
		unmap_ns = (now_ns() - t0) / N_SINGLE;

		/* 256-page calls */
		t0 = now_ns();
		for (uint64_t i = 0; i < N_BATCH; i++) {
			uint64_t a = base + (i << 20);

			ret = ioas_pt_map(pt, a, a + (1 << 20) - 1,
					  pa0 + (i << 20), rw);
			if (ret)
				die("map256", ret);
		}
		bmap = (now_ns() - t0) / (N_BATCH * 256.0);
		t0 = now_ns();
		for (uint64_t i = 0; i < N_BATCH; i++) {
			uint64_t a = base + (i << 20);

			ret = ioas_pt_unmap(pt, a, a + (1 << 20) - 1, &got);
			if (ret)
				die("unmap256", ret);
		}
		bunmap = (now_ns() - t0) / (N_BATCH * 256.0);

		/* The same calls into tables that already exist: one page at
		 * the end of every 2 MiB stays mapped, so no table is
		 * allocated or freed and only entries are written. The odd
		 * calls stop one page short of it. */
		for (uint64_t i = 1; i < N_BATCH; i += 2) {
			uint64_t a = base + (i << 20) + (255u << 12);

			if ((ret = ioas_pt_map(pt, a, a + 4095, pa0, rw)))
				die("keep", ret);
		}
		t0 = now_ns();
		for (uint64_t i = 0; i < N_BATCH; i++) {
			uint64_t a = base + (i << 20);
			uint64_t l = a + (1 << 20) - 1 - ((i & 1) << 12);

			if ((ret = ioas_pt_map(pt, a, l, pa0 + (i << 20), rw)))
				die("map256 warm", ret);
		}
		wmap = (now_ns() - t0) / (N_BATCH * 255.5);
		t0 = now_ns();
		for (uint64_t i = 0; i < N_BATCH; i++) {
			uint64_t a = base + (i << 20);
			uint64_t l = a + (1 << 20) - 1 - ((i & 1) << 12);

			if ((ret = ioas_pt_unmap(pt, a, l, &got)))
				die("unmap256 warm", ret);
		}
		wunmap = (now_ns() - t0) / (N_BATCH * 255.5);
		ioas_pt_destroy(pt);
		printf("%-16s %9.1f %9.1f %9.2f %9.2f %9.2f %9.2f %9.1f %9.1f %12llu\n",
		       fmts[f].name, map_ns, unmap_ns, wmap, wunmap, bmap,
		       bunmap, i2p, hwns, (unsigned long long)tbytes);
	}
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
	return 0;
}
