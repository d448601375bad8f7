/* SPDX-License-Identifier: BSD-2-Clause */
#include "mem_fixture.h"

struct ioas_reg_info regs_buf[SNAP_MAX];

static void add_region(struct ioas_phys *phys, uint32_t kind, uint32_t flags,
		       uint64_t base, uint64_t length, void *host)
{
	struct ioas_phys_region r = { .size = sizeof(r), .flags = flags,
				      .kind = kind, .base = base,
				      .length = length, .host = host };

	CHECK_OK(ioas_phys_add(phys, &r));
}

void fx_init(struct fx *f, uint64_t limit)
{
	struct ioas_ctx_config cc = { .size = sizeof(cc),
				      .locked_limit = limit };
	struct ioas_phys_info info;

	memset(f, 0, sizeof(*f));
	CHECK_OK(ioas_ctx_create(&cc, &f->ctx));
	CHECK_OK(ioas_phys_create(f->ctx, &f->phys));
	f->hb = aligned_alloc(0x10000, HB_PAGES * PG);
	CHECK(f->hb);
	memset(f->hb, 0, HB_PAGES * PG);
	add_region(f->phys, IOAS_PHYS_RAM, 0, R1_PA, R1_N * PG,
		   f->hb + R1_OFF * PG);
	add_region(f->phys, IOAS_PHYS_RAM, 0, R2_PA, R2_N * PG,
		   f->hb + R2_OFF * PG);
	add_region(f->phys, IOAS_PHYS_RAM, IOAS_PHYS_F_READONLY, RO_PA,
		   RO_N * PG, f->hb + RO_OFF * PG);
	add_region(f->phys, IOAS_PHYS_RAM, 0, OWN2_PA, OWN2_N * PG, NULL);
	add_region(f->phys, IOAS_PHYS_RAM, 0, OWN_PA, OWN_N * PG, NULL);
	add_region(f->phys, IOAS_PHYS_MMIO, 0, MMIO_PA, MMIO_N * PG, NULL);
	add_region(f->phys, IOAS_PHYS_RAM, IOAS_PHYS_F_READONLY, OWNRO_PA,
		   OWNRO_N * PG, NULL);
	ioas_phys_lookup(f->phys, OWN_PA, &info);
	CHECK_EQ(info.kind, IOAS_PHYS_RAM);
	f->own_host = (uint64_t)(uintptr_t)info.host;
	CHECK_OK(ioas_mm_create(f->ctx, f->phys, &f->mm));
}

void fx_fini(struct fx *f)
{
	struct ioas_ctx_stats st;
	uint64_t locked;

	/* free everything first so a failed check leaks nothing */
	for (int i = 0; i < SNAP_SPACES; i++)
		ioas_as_destroy(f->as[i]);
	ioas_mm_destroy(f->mm);
	ioas_mm_destroy(f->mm2);
	locked = ioas_ctx_locked_bytes(f->ctx);
	ioas_phys_destroy(f->phys);
	ioas_ctx_get_stats(f->ctx, &st);
	ioas_ctx_destroy(f->ctx);
	free(f->hb);
	memset(f, 0, sizeof(*f));
	CHECK_EQ(locked, 0);
	CHECK_EQ(st.live_bytes, 0);
}

void fx_snap(struct fx *f, struct snap *s)
{
	snap_take(s, f->ctx, f->phys, f->mm, f->as, SNAP_SPACES);
}

struct ioas_reg mkreg(uint32_t flags, uint64_t uaddr, uint64_t length,
		      uint64_t phys)
{
	struct ioas_reg r = { .size = sizeof(r), .flags = flags,
			      .uaddr = uaddr, .length = length, .phys = phys };
	return r;
}

int reg(struct fx *f, uint32_t flags, uint64_t uaddr, uint64_t length,
	uint64_t phys)
{
	struct ioas_reg r = mkreg(flags, uaddr, length, phys);

	return ioas_mm_register(f->mm, &r);
}

size_t list_regs(struct ioas_mm *mm)
{
	struct collect c = { regs_buf, 0, SNAP_MAX, sizeof(regs_buf[0]) };

	CHECK_OK(ioas_mm_for_each(mm, collect_reg, &c));
	return c.n;
}

struct ioas_as *prereg_space(struct fx *f, int slot)
{
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_EXPLICIT,
				     .pin_mode = IOAS_PIN_PREREG };
	struct ioas_window w = { .size = sizeof(w), .base = 0,
				 .length = 16ull << 20, .pgsize_bitmap = PG };

	CHECK_OK(ioas_as_create(f->mm, &ac, &f->as[slot]));
	CHECK_OK(ioas_as_window_create(f->as[slot], &w));
	return f->as[slot];
}

int map_fixed(struct ioas_as *as, uint32_t flags, uint64_t iova,
	      uint64_t length, uint64_t addr, uint32_t prot)
{
	struct ioas_map m = { .size = sizeof(m),
			      .flags = flags | IOAS_MAP_FIXED_IOVA,
			      .prot = prot, .iova = iova, .length = length,
			      .addr = addr };
	return ioas_as_map(as, &m);
}
