/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fixture of the rules tests (test_as_rules, test_mm_rules): a context
 * with a fixed physical layout, a registry, up to SNAP_SPACES address spaces
 * and helpers to register and map in them. FAILS() checks that a failing
 * call gives its exact errno and leaves the snapshot unchanged.
 */
#ifndef IOAS_TEST_MEM_FIXTURE_H
#define IOAS_TEST_MEM_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <ioas/ioas.h>

#include "snapshot.h"
#include "test.h"

#define PG 0x1000ull

/*
 * Physical layout. A borrowed host buffer of HB_PAGES pages gives resolved
 * uaddrs with guard pages around them (never any region's memory):
 *   host pages [0,16)  guard
 *              [16,48) R1  RAM at R1_PA
 *              [48,80) R2  RAM at R2_PA (host-adjacent to R1, not in pa)
 *              [80,88) RO  read-only RAM at R2_PA + 32 pages (pa-adjacent)
 *              [88,96) guard
 * Owned RAM for linear registrations: OWN2 then OWN (adjacent), then MMIO,
 * then read-only OWNRO after a hole.
 */
#define HB_PAGES 96
#define R1_OFF 16
#define R1_N 32
#define R1_PA 0x100000ull
#define R2_OFF 48
#define R2_N 32
#define R2_PA 0x300000ull
#define RO_OFF 80
#define RO_N 8
#define RO_PA (R2_PA + R2_N * PG)
#define OWN2_N 16
#define OWN_PA 0x800000ull
#define OWN2_PA (OWN_PA - OWN2_N * PG) /* ends where OWN starts */
#define OWN_N 64
#define MMIO_PA (OWN_PA + OWN_N * PG)
#define MMIO_N 16
#define OWNRO_PA 0x880000ull
#define OWNRO_N 8
/* linear registrations use uaddrs far from any host pointer */
#define LU 0xa000000000000000ull

#define RW (IOAS_PROT_READ | IOAS_PROT_WRITE)

struct fx {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	/* mm2: a second registry, for cases that need one; fx_fini frees it */
	struct ioas_mm *mm, *mm2;
	struct ioas_as *as[SNAP_SPACES];
	uint8_t *hb;
	uint64_t own_host;
};

/* Host address of host-buffer page i: a resolved uaddr. */
#define HU(f, i) ((uint64_t)(uintptr_t)(f)->hb + (uint64_t)(i) * PG)

/* The layout above, a registry in f->mm, and locked_limit = limit. */
void fx_init(struct fx *f, uint64_t limit);
/* Frees everything, then checks nothing stayed locked or allocated. */
void fx_fini(struct fx *f);
void fx_snap(struct fx *f, struct snap *s);

/* A failing call: exact errno and an identical snapshot. */
#define FAILS(f, call, err)                                               \
	do {                                                              \
		fx_snap(f, &snap_before);                                 \
		CHECK_ERR(call, err);                                     \
		fx_snap(f, &snap_after);                                  \
		snap_eq(&snap_before, &snap_after);                       \
	} while (0)

struct ioas_reg mkreg(uint32_t flags, uint64_t uaddr, uint64_t length,
		      uint64_t phys);
int reg(struct fx *f, uint32_t flags, uint64_t uaddr, uint64_t length,
	uint64_t phys);

/* list_regs() fills regs_buf with f's registrations and returns the count. */
extern struct ioas_reg_info regs_buf[SNAP_MAX];
size_t list_regs(struct ioas_mm *mm);

/* A PREREG space with one window over [0, 16 MiB), in f->as[slot]. */
struct ioas_as *prereg_space(struct fx *f, int slot);
int map_fixed(struct ioas_as *as, uint32_t flags, uint64_t iova,
	      uint64_t length, uint64_t addr, uint32_t prot);

#endif
