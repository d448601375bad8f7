/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tour of the address-space core: guest RAM, memory registration with
 * accounting, an explicit-window address space (SPAPR style: a default
 * 32-bit window and a large 64-bit one), fixed and allocated maps, a
 * one-sided physical map, a copy into a second space sharing the
 * registration, and the exact-cover unmap rule. Prints what each step did.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioas/ioas.h>

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static int failures;

static void step(const char *what, int ret, int want)
{
	printf("%-58s -> %s%s\n", what, ret == 0 ? "ok" : ioas_strerror(ret),
	       ret == want ? "" : "   (UNEXPECTED)");
	if (ret != want)
		failures++;
}

static int print_mapping(void *opaque, const struct ioas_mapping_info *m)
{
	printf("    iova [0x%" PRIx64 ", 0x%" PRIx64 "] -> %s 0x%" PRIx64 " prot=%s%s\n",
	       m->iova, m->last, (m->flags & IOAS_MAP_PHYS) ? "pa" : "uaddr",
	       m->addr, (m->prot & IOAS_PROT_READ) ? "r" : "",
	       (m->prot & IOAS_PROT_WRITE) ? "w" : "");
	(void)opaque;
	return 0;
}

static void show(const char *name, const struct ioas_as *as)
{
	struct ioas_range usable[8], resv[8], win[8];
	struct ioas_as_info info = { .size = sizeof(info), .num_usable = 8,
				     .num_reserved = 8, .num_windows = 8,
				     .usable = usable, .reserved = resv,
				     .windows = win };

	if (ioas_as_query(as, &info)) {
		printf("  query failed\n");
		failures++;
		return;
	}
	printf("  %s: %" PRIu64 " mappings, %" PRIu64 " bytes, windows %u of %u "
	       "(page sizes 0x%" PRIx64 ")\n", name, info.mappings,
	       info.mapped_bytes, info.num_windows, info.max_windows,
	       info.pgsize_bitmap);
	for (uint32_t i = 0; i < info.num_usable; i++)
		printf("    usable [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
		       usable[i].start, usable[i].last);
	for (uint32_t i = 0; i < info.num_reserved; i++)
		printf("    reserved [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
		       resv[i].start, resv[i].last);
	ioas_as_for_each(as, 0, UINT64_MAX, print_mapping, NULL);
}

int main(void)
{
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as, *as2;
	struct ioas_phys_info ram;
	struct ioas_ctx_config cc = { .size = sizeof(cc),
				      .locked_limit = 48 * MiB };
	uint64_t hva, pa, n;
	int64_t contig;

	printf("ioas %s: address-space core demo\n", ioas_version_string());
	if (ioas_ctx_create(&cc, &ctx) || ioas_phys_create(ctx, &phys))
		return 1;
	struct ioas_phys_region r = { .size = sizeof(r), .kind = IOAS_PHYS_RAM,
				      .base = 1 * GiB, .length = 64 * MiB };
	step("add 64 MiB of guest RAM at 1 GiB", ioas_phys_add(phys, &r), 0);
	ioas_phys_lookup(phys, 1 * GiB, &ram);
	hva = (uint64_t)(uintptr_t)ram.host;
	if (ioas_mm_create(ctx, phys, &mm))
		return 1;

	struct ioas_reg reg = { .size = sizeof(reg), .uaddr = hva,
				.length = 32 * MiB };
	step("register 32 MiB of it (limit 48 MiB)", ioas_mm_register(mm, &reg), 0);
	struct ioas_reg reg2 = { .size = sizeof(reg2), .uaddr = hva + 16 * MiB,
				 .length = 32 * MiB };
	step("register an overlapping 32 MiB: shared pages charged once",
	     ioas_mm_register(mm, &reg2), 0);
	printf("  locked: %" PRIu64 " MiB\n", ioas_ctx_locked_bytes(ctx) / MiB);
	step("unregister a range that only overlaps: exact match needed",
	     ioas_mm_unregister(mm, hva, 16 * MiB), -ENOENT);

	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_EXPLICIT,
				     .pin_mode = IOAS_PIN_PREREG };
	if (ioas_as_create(mm, &ac, &as))
		return 1;
	struct ioas_map m = { .size = sizeof(m), .flags = IOAS_MAP_FIXED_IOVA,
			      .prot = IOAS_PROT_READ | IOAS_PROT_WRITE,
			      .iova = 0x10000, .length = 0x4000, .addr = hva };
	step("map before any window exists", ioas_as_map(as, &m), -EINVAL);
	struct ioas_window w32 = { .size = sizeof(w32), .base = 0,
				   .length = 2 * GiB, .pgsize_bitmap = 4096 };
	struct ioas_window w64 = { .size = sizeof(w64), .base = 1ull << 59,
				   .length = 1ull << 40,
				   .pgsize_bitmap = 4096 | (2 * MiB) };
	step("create the default 32-bit window (4 KiB pages)",
	     ioas_as_window_create(as, &w32), 0);
	step("create a 1 TiB window at 2^59 (4 KiB + 2 MiB pages)",
	     ioas_as_window_create(as, &w64), 0);
	step("reserve the MSI doorbell [0xfee00000, 0xfeefffff]",
	     ioas_as_reserve(as, 0xfee00000, 0xfeefffff), 0);
	step("map 16 KiB at IOVA 0x10000", ioas_as_map(as, &m), 0);
	step("map it again: overlap", ioas_as_map(as, &m), -EEXIST);
	struct ioas_map a = { .size = sizeof(a), .prot = IOAS_PROT_READ,
			      .length = 2 * MiB, .addr = hva + 2 * MiB };
	step("map 2 MiB at an allocated IOVA", ioas_as_map(as, &a), 0);
	printf("  allocated IOVA 0x%" PRIx64 " (aligned to 0x%" PRIx64
	       ", what the backing address allows of the 2 MiB size)\n", a.iova,
	       a.addr & (~a.addr + 1));
	struct ioas_map p = { .size = sizeof(p),
			      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
			      .prot = IOAS_PROT_WRITE, .iova = 1ull << 59,
			      .length = 2 * MiB, .addr = 1 * GiB + 4 * MiB };
	step("one-sided map of guest-physical memory in the 64-bit window",
	     ioas_as_map(as, &p), 0);
	step("unregister memory that a mapping still uses",
	     ioas_mm_unregister(mm, hva, 32 * MiB), -EBUSY);
	show("space 1", as);

	if (ioas_as_create(mm, &ac, &as2) || ioas_as_window_create(as2, &w32))
		return 1;
	struct ioas_copy c = { .size = sizeof(c), .flags = IOAS_MAP_FIXED_IOVA,
			       .prot = IOAS_PROT_READ, .dst_iova = 0x200000,
			       .src_iova = 0x11000, .length = 0x2000 };
	step("copy the middle 8 KiB into space 2 (no new charge)",
	     ioas_as_copy(as2, as, &c), 0);
	show("space 2", as2);
	contig = ioas_as_lookup(as2, 0x200800, &pa, NULL);
	printf("  space 2 IOVA 0x200800 -> pa 0x%" PRIx64 " (%" PRId64
	       " contiguous bytes)\n", pa, contig);

	step("unmap a range covering half a mapping",
	     ioas_as_unmap(as, 0x10000, 0x11fff, &n), -ENOENT);
	step("unmap the whole mapping", ioas_as_unmap(as, 0x10000, 0x13fff, &n), 0);
	printf("  unmapped %" PRIu64 " bytes\n", n);
	printf("  unmap all: %" PRIu64 " bytes\n", ioas_as_unmap_all(as));
	ioas_as_destroy(as2);
	ioas_as_destroy(as);
	step("unregister now that nothing uses it",
	     ioas_mm_unregister(mm, hva, 32 * MiB), 0);
	printf("  locked: %" PRIu64 " MiB\n", ioas_ctx_locked_bytes(ctx) / MiB);
	ioas_mm_destroy(mm);
	ioas_phys_destroy(phys);
	struct ioas_ctx_stats st;
	ioas_ctx_get_stats(ctx, &st);
	printf("allocations %" PRIu64 ", frees %" PRIu64 ", live bytes %" PRIu64
	       "\n", st.allocs, st.frees, st.live_bytes);
	ioas_ctx_destroy(ctx);
	if (st.live_bytes)
		failures++;
	printf("%s\n", failures ? "demo FAILED" : "demo finished: every step as expected");
	return failures ? 1 : 0;
}
