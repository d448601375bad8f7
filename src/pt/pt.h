/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal view of the page-table layer.
 *
 * Glossary (as in the public header): level 0 is the leaf level, the root
 * is level `top`; "last" is inclusive; `_lg2` is log2; an "entry" is one
 * 64-bit table slot; a "page" (or leaf) is one translation of 2^size_lg2
 * bytes, which occupies 1 entry, or 2^k adjacent entries of one table
 * (ARM contiguous hint, AMD NextLevel=7 replicated entries): a "group".
 *
 * Shape of the code:
 *   pt.h        this file: geometry, the table object, the arena, ops
 *   pt_algo.h   the one generic algorithm, compiled once per format by
 *               fmt_<name>.c which includes fmt_<name>.h (the static
 *               inline entry hooks) and then pt_algo.h
 *   pt.c        the public API: config parsing, dispatch through the
 *               per-format operation table
 *   alloc.c     table memory (the arena)
 *   walk_hw.c   the public hardware walker entry point
 *
 * Empty entries are always 0: the algorithm writes 0 when it clears and
 * tests `e == 0` for "free slot". Tables keep a count of non-zero entries
 * (in the arena's side metadata) so unmap frees a table the moment it
 * becomes empty without scanning it.
 */
#ifndef IOAS_PT_PT_H
#define IOAS_PT_PT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <ioas/pt.h>

#include "core/ctx.h"
#include "mem/phys.h"

#define PT_MAX_LEVELS 6

/* Geometry and format options, shared by the software table and by the
 * hardware walker (which builds it from a struct ioas_pt_hw). */
struct pt_geom {
	uint32_t format;
	uint8_t top;                   /* level of the root */
	uint8_t table_lg2;             /* bytes of a non-root table */
	uint8_t root_lg2;              /* bytes of the root table */
	uint8_t granule_lg2;
	uint8_t ias, oas;              /* input / output address bits */
	uint8_t ap_bits;               /* mappable aperture: 2^ap_bits bytes
					* from iova_offset (x86: lower half) */
	uint8_t shift[PT_MAX_LEVELS];  /* an entry at level l maps 2^shift */
	uint8_t bits[PT_MAX_LEVELS];   /* index bits of a table at level l */
	uint32_t fflags;               /* PT_FF_* */
	uint64_t leaf_sizes[PT_MAX_LEVELS]; /* page sizes (bit n: 2^n) placed
					     * at level l */
	uint64_t pgsize_bitmap;
	uint64_t iova_offset;          /* TCE window base */
	uint64_t oa_mask;              /* valid output address bits */
};

/* pt_geom.fflags */
#define PT_FF_STAGE2 (1u << 0)   /* ARM stage 2 */
#define PT_FF_DIRTY (1u << 1)    /* dirty tracking encodings */
#define PT_FF_SET_AD (1u << 2)   /* hw walker updates A/D */
#define PT_FF_LPA (1u << 3)      /* ARM 52-bit OA with 64K granule */

/* Index at level lvl of a window-relative address (iova - iova_offset).
 * The software paths work in relative addresses throughout. */
static inline uint64_t pt_lvl_index(const struct pt_geom *g, unsigned lvl,
				    uint64_t rel)
{
	return (rel >> g->shift[lvl]) & ((1ull << g->bits[lvl]) - 1);
}

/* ---- table memory ---------------------------------------------------- */

/*
 * The arena: a window of physical addresses [base, base + slots * chunk)
 * cut into chunks of 2^chunk_lg2 bytes, each cut into table pages of
 * 2^page_lg2 bytes (at most 64 per chunk). A present chunk has host
 * memory; translating a table PA to a host pointer is one array index.
 * Owned mode adds each chunk to the physical address space when it is
 * first needed and removes it when its last page is freed (one empty chunk
 * is kept as a spare). Region mode carves chunks out of a caller's RAM
 * region; only the metadata is allocated.
 */
struct pt_chunk {
	uint8_t *host;
	uint64_t free_mask;    /* bit i: page i free */
	uint32_t nfree;
	uint16_t used[64];     /* non-zero entries in page i */
};

struct pt_arena {
	uint64_t base;
	uint8_t page_lg2, chunk_lg2;
	bool region_mode;
	uint32_t pages_per_chunk;
	size_t nslots;          /* slots in the window */
	size_t cap;             /* length of chunks[] */
	struct pt_chunk **chunks;
	size_t hint;            /* a slot likely to have a free page */
	uint8_t *region_host;   /* region mode */
	const struct phys_region *region;
	uint64_t pages_used;
	uint64_t chunks_present;
};

struct pt_fmt_ops;

struct ioas_pt {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	const struct pt_fmt_ops *ops;
	struct pt_geom g;
	uint32_t cfg_flags;
	uint64_t ap_start, ap_last;   /* aperture */
	uint64_t root_pa;
	uint8_t *root_host;
	uint64_t root_bytes;
	bool root_owned_region;       /* root is its own phys region */
	struct pt_arena arena;
};

int pt_arena_init(struct ioas_pt *pt, uint64_t window_base, uint64_t nslots,
		  unsigned page_lg2, unsigned chunk_lg2);
int pt_arena_init_region(struct ioas_pt *pt, const struct phys_region *r,
			 uint64_t first, uint64_t last, unsigned page_lg2);
void pt_arena_destroy(struct ioas_pt *pt);
/* A zeroed table page; 0 with *pa and *host set, or -ENOMEM. */
int pt_table_alloc(struct ioas_pt *pt, uint64_t *pa, uint8_t **host);
void pt_table_free(struct ioas_pt *pt, uint64_t pa);

static inline struct pt_chunk *pt_chunk_of(const struct ioas_pt *pt,
					   uint64_t pa)
{
	const struct pt_arena *a = &pt->arena;

	return a->chunks[(pa - a->base) >> a->chunk_lg2];
}

/* Host pointer of a non-root table at pa (which the table allocated). */
static inline uint8_t *pt_host(const struct ioas_pt *pt, uint64_t pa)
{
	const struct pt_arena *a = &pt->arena;

	return pt_chunk_of(pt, pa)->host +
	       ((pa - a->base) & ((1ull << a->chunk_lg2) - 1));
}

/* The used counter of the table page holding the entry at pa; NULL for
 * the root (whose count is not kept). */
static inline uint16_t *pt_used(const struct ioas_pt *pt, uint64_t table_pa)
{
	const struct pt_arena *a = &pt->arena;

	if (table_pa == pt->root_pa)
		return NULL;
	return &pt_chunk_of(pt, table_pa)
			->used[((table_pa - a->base) >> a->page_lg2) &
			       (a->pages_per_chunk - 1)];
}

/* ---- the hardware walker ------------------------------------------- */

/*
 * How the walker reads table memory. The fast path is phys_ram_ptr on
 * phys; xlate, when set, first translates each table address (nested
 * walks: a stage-1 table whose addresses are stage-2 inputs). xlate
 * returns 0 or a fault reason (enum ioas_pt_fault).
 */
struct pt_hw_mem {
	struct ioas_phys *phys;
	int (*xlate)(void *opaque, uint64_t addr, uint64_t *out);
	void *opaque;
};

struct pt_hw_walker {
	const struct pt_fmt_ops *ops;
	struct pt_geom g;
	uint64_t root_pa;
};

/* What a format's fmt_hw_entry hook reports (see pt_algo.h). */
#define PT_HW_TABLE (-1)
#define PT_HW_LEAF (-2)

struct pt_hw_state {
	uint32_t prot;      /* narrowed as the walk descends */
	uint64_t next_pa;
	unsigned next_lvl;
	uint64_t oa;        /* page base */
	unsigned size_lg2;
};

/* Build a walker from a hardware description. -EINVAL, -EOPNOTSUPP. */
int pt_hw_prepare(struct pt_hw_walker *w, const struct ioas_pt_hw *hw);

static inline int pt_hw_walk(const struct pt_hw_walker *w,
			     const struct pt_hw_mem *mem, uint64_t iova,
			     uint32_t access, struct ioas_pt_xlate *out);

/* ---- per-format operations ------------------------------------------ */

/* Visit every non-zero entry (tables before their children). */
typedef void (*pt_dump_fn)(void *opaque, unsigned lvl, uint64_t table_pa,
			   uint64_t index, uint64_t entry);

struct pt_fmt_ops {
	/* Geometry from a clamped config; -EOPNOTSUPP. cfg is modified to
	 * say what is provided. hw = true builds a walker-only geometry
	 * from hardware fields (levels and input_bits are taken as given). */
	int (*geom)(struct pt_geom *g, struct ioas_pt_config *cfg, bool hw);
	int (*map)(struct ioas_pt *pt, uint64_t iova, uint64_t last,
		   uint64_t pa, uint32_t prot);
	int (*unmap)(struct ioas_pt *pt, uint64_t iova, uint64_t last,
		     uint64_t *unmapped);
	int (*split)(struct ioas_pt *pt, uint64_t iova);
	int (*iova_to_phys)(const struct ioas_pt *pt, uint64_t iova,
			    uint64_t *pa);
	int (*walk)(const struct ioas_pt *pt, uint64_t iova, uint64_t last,
		    int (*fn)(void *, const struct ioas_pt_leaf *),
		    void *opaque);
	int64_t (*dirty)(struct ioas_pt *pt, uint64_t iova, uint64_t last,
			 bool clear,
			 int (*fn)(void *, const struct ioas_pt_leaf *),
			 void *opaque);
	void (*dump)(const struct ioas_pt *pt, pt_dump_fn fn, void *opaque);
	void (*destroy_tables)(struct ioas_pt *pt);
	int (*hw_walk)(const struct pt_hw_walker *w,
		       const struct pt_hw_mem *mem, uint64_t iova,
		       uint32_t access, struct ioas_pt_xlate *out);
	/* prot the format can express, or -EOPNOTSUPP */
	int (*check_prot)(const struct pt_geom *g, uint32_t prot);
};

extern const struct pt_fmt_ops pt_ops_x86_64;
extern const struct pt_fmt_ops pt_ops_vtd_ss;
extern const struct pt_fmt_ops pt_ops_armv8;
extern const struct pt_fmt_ops pt_ops_amdv1;
extern const struct pt_fmt_ops pt_ops_tce;

const struct pt_fmt_ops *pt_fmt_ops_get(uint32_t format);

static inline int pt_hw_walk(const struct pt_hw_walker *w,
			     const struct pt_hw_mem *mem, uint64_t iova,
			     uint32_t access, struct ioas_pt_xlate *out)
{
	return w->ops->hw_walk(w, mem, iova, access, out);
}

/* Internal, for tests: every non-zero entry of the table. */
void pt_dump(const struct ioas_pt *pt, pt_dump_fn fn, void *opaque);

/* ---- entry byte order ----------------------------------------------- */

static inline uint64_t pt_le64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline uint64_t pt_be64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return v;
#else
	return __builtin_bswap64(v);
#endif
}

/* Entry access for each byte order. Loads are relaxed (the hardware walker
 * may race map); stores release so a walker that sees a table entry sees
 * the zeroed table below it. Formats name theirs as fmt_load / fmt_store. */
static inline uint64_t pt_load_le(const uint64_t *p)
{
	return pt_le64(__atomic_load_n(p, __ATOMIC_RELAXED));
}
static inline void pt_store_le(uint64_t *p, uint64_t e)
{
	__atomic_store_n(p, pt_le64(e), __ATOMIC_RELEASE);
}
static inline uint64_t pt_load_be(const uint64_t *p)
{
	return pt_be64(__atomic_load_n(p, __ATOMIC_RELAXED));
}
static inline void pt_store_be(uint64_t *p, uint64_t e)
{
	__atomic_store_n(p, pt_be64(e), __ATOMIC_RELEASE);
}

static inline uint64_t pt_bits(unsigned hi, unsigned lo) /* mask [hi:lo] */
{
	return (~0ull >> (63 - hi)) & ~((1ull << lo) - 1);
}

/*
 * The geometry x86-64 paging and VT-d second-stage tables share: 4 KiB
 * tables of 512 entries, 4K/2M/1G pages, up to 52-bit output addresses.
 * ap_bits is the mappable input width before the caller's input_bits
 * narrows it (never below one 2 MiB table). Writes back what it provides.
 */
/* Output addresses of up to 52 bits (clamped to 32..52). */
static inline void pt_geom_oas52(struct pt_geom *g,
				 const struct ioas_pt_config *cfg)
{
	g->oas = (uint8_t)(cfg->output_bits ? cfg->output_bits : 52);
	if (g->oas > 52)
		g->oas = 52;
	if (g->oas < 32)
		g->oas = 32;
	g->oa_mask = (1ull << g->oas) - 1;
}

/* 4 KiB tables of 512 entries at every level. */
static inline void pt_geom_9bit_levels(struct pt_geom *g, unsigned levels)
{
	for (unsigned l = 0; l < levels; l++) {
		g->shift[l] = (uint8_t)(12 + 9 * l);
		g->bits[l] = 9;
	}
}

static inline void pt_geom_intel(struct pt_geom *g, struct ioas_pt_config *cfg,
				 unsigned levels, unsigned ap_bits, bool hw)
{
	g->top = (uint8_t)(levels - 1);
	g->granule_lg2 = 12;
	g->table_lg2 = g->root_lg2 = 12;
	g->ias = (uint8_t)(12 + 9 * levels);
	g->ap_bits = (uint8_t)ap_bits;
	if (!hw && cfg->input_bits && cfg->input_bits < g->ap_bits)
		g->ap_bits = (uint8_t)(cfg->input_bits < 21 ? 21
							     : cfg->input_bits);
	pt_geom_oas52(g, cfg);
	pt_geom_9bit_levels(g, levels);
	g->leaf_sizes[0] = 1ull << 12;
	if (!(cfg->quirks & IOAS_PT_Q_NO_LARGE)) {
		g->leaf_sizes[1] = 1ull << 21;
		g->leaf_sizes[2] = 1ull << 30;
	}
	g->pgsize_bitmap = g->leaf_sizes[0] | g->leaf_sizes[1] |
			   g->leaf_sizes[2];
	cfg->levels = levels;
	cfg->input_bits = g->ias;
	cfg->output_bits = g->oas;
}

#endif
