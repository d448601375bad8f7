/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Table memory: the arena described in pt.h.
 *
 * Owned mode: chunk i of the window is a RAM region of the physical
 * address space at base + i * chunk, added on first use and removed when
 * its last page is freed (except the current "hint" chunk, kept as a
 * spare so a map/unmap loop does not add and remove a region each time).
 * Each chunk region is pinned (phys_region_get) so ioas_phys_remove gives
 * -EBUSY while the table lives. If another user of the physical address
 * space has put a region in the window, that slot is skipped.
 *
 * Region mode: the window is the caller's RAM region; chunks are slices of
 * it whose metadata is allocated on first use. Pages are zeroed when they
 * are handed out (the caller's memory may hold anything).
 */
#include <errno.h>

#include "pt.h"

static int arena_grow(struct ioas_pt *pt, size_t need)
{
	struct pt_arena *a = &pt->arena;
	size_t ncap = a->cap ? a->cap : 16;
	struct pt_chunk **n;

	while (ncap < need)
		ncap *= 2;
	if (ncap > a->nslots)
		ncap = a->nslots;
	n = ctx_zalloc(pt->ctx, ncap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	if (a->cap)
		memcpy(n, a->chunks, a->cap * sizeof(*n));
	ctx_free(pt->ctx, a->chunks, a->cap * sizeof(*n));
	a->chunks = n;
	a->cap = ncap;
	return 0;
}

static int chunk_create(struct ioas_pt *pt, size_t slot)
{
	struct pt_arena *a = &pt->arena;
	uint64_t cbase = a->base + ((uint64_t)slot << a->chunk_lg2);
	struct pt_chunk *c;
	int ret;

	if (slot >= a->cap) {
		ret = arena_grow(pt, slot + 1);
		if (ret)
			return ret;
	}
	c = ctx_zalloc(pt->ctx, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (a->region_mode) {
		c->host = a->region_host + (cbase - a->region->base);
	} else {
		struct ioas_phys_region reg;
		const struct phys_region *r;

		memset(&reg, 0, sizeof(reg));
		reg.size = sizeof(reg);
		reg.kind = IOAS_PHYS_RAM;
		reg.base = cbase;
		reg.length = 1ull << a->chunk_lg2;
		ret = ioas_phys_add(pt->phys, &reg);
		if (ret) {
			ctx_free(pt->ctx, c, sizeof(*c));
			return ret;
		}
		r = phys_find(pt->phys, cbase);
		if (!r) { /* cannot happen: just added */
			ctx_free(pt->ctx, c, sizeof(*c));
			return -EFAULT;
		}
		phys_region_get(r);
		c->host = r->host;
	}
	c->free_mask = a->pages_per_chunk == 64
			       ? ~0ull
			       : (1ull << a->pages_per_chunk) - 1;
	c->nfree = a->pages_per_chunk;
	a->chunks[slot] = c;
	a->chunks_present++;
	return 0;
}

static void chunk_release(struct ioas_pt *pt, size_t slot)
{
	struct pt_arena *a = &pt->arena;
	struct pt_chunk *c = a->chunks[slot];

	if (!a->region_mode) {
		uint64_t cbase = a->base + ((uint64_t)slot << a->chunk_lg2);

		const struct phys_region *r = phys_find(pt->phys, cbase);

		if (r)
			phys_region_put(r);
		(void)ioas_phys_remove(pt->phys, cbase);
	}
	ctx_free(pt->ctx, c, sizeof(*c));
	a->chunks[slot] = NULL;
	a->chunks_present--;
}

static bool chunk_empty(const struct pt_arena *a, const struct pt_chunk *c)
{
	return c->nfree == a->pages_per_chunk;
}

static void set_hint(struct ioas_pt *pt, size_t slot)
{
	struct pt_arena *a = &pt->arena;
	size_t old = a->hint;

	a->hint = slot;
	if (old != slot && old < a->cap && a->chunks[old] &&
	    chunk_empty(a, a->chunks[old]))
		chunk_release(pt, old);
}

int pt_table_alloc(struct ioas_pt *pt, uint64_t *pa, uint8_t **host)
{
	struct pt_arena *a = &pt->arena;
	struct pt_chunk *c = a->hint < a->cap ? a->chunks[a->hint] : NULL;
	size_t slot = a->hint;
	unsigned bit;

	if (!c || !c->nfree) {
		size_t empty = SIZE_MAX;

		c = NULL;
		for (size_t i = 0; i < a->cap; i++) {
			if (a->chunks[i] && a->chunks[i]->nfree) {
				c = a->chunks[i];
				slot = i;
				break;
			}
			if (!a->chunks[i] && empty == SIZE_MAX)
				empty = i;
		}
		if (!c) {
			int ret = -ENOMEM;

			if (empty == SIZE_MAX)
				empty = a->cap;
			/* try free slots until one is not taken by somebody
			 * else's region */
			for (; empty < a->nslots; empty++) {
				if (empty < a->cap && a->chunks[empty])
					continue;
				ret = chunk_create(pt, empty);
				if (ret != -EEXIST)
					break;
			}
			if (ret)
				return ret == -EEXIST ? -ENOMEM : ret;
			slot = empty;
			c = a->chunks[slot];
		}
		set_hint(pt, slot);
	}
	bit = (unsigned)__builtin_ctzll(c->free_mask);
	c->free_mask &= ~(1ull << bit);
	c->nfree--;
	c->used[bit] = 0;
	*pa = a->base + ((uint64_t)slot << a->chunk_lg2) +
	      ((uint64_t)bit << a->page_lg2);
	*host = c->host + ((size_t)bit << a->page_lg2);
	if (a->region_mode)
		memset(*host, 0, (size_t)1 << a->page_lg2);
	a->pages_used++;
	return 0;
}

void pt_table_free(struct ioas_pt *pt, uint64_t pa)
{
	struct pt_arena *a = &pt->arena;
	size_t slot = (size_t)((pa - a->base) >> a->chunk_lg2);
	struct pt_chunk *c = a->chunks[slot];
	/* Relative to the arena: in region mode it starts after the root,
	 * not on a chunk boundary. */
	unsigned bit = (unsigned)(((pa - a->base) >> a->page_lg2) &
				  (a->pages_per_chunk - 1));

	c->free_mask |= 1ull << bit;
	c->nfree++;
	a->pages_used--;
	if (chunk_empty(a, c) && slot != a->hint)
		chunk_release(pt, slot);
	else if (a->hint >= a->cap || !a->chunks[a->hint] ||
		 !a->chunks[a->hint]->nfree)
		set_hint(pt, slot);
}

int pt_arena_init(struct ioas_pt *pt, uint64_t window_base, uint64_t nslots,
		  unsigned page_lg2, unsigned chunk_lg2)
{
	struct pt_arena *a = &pt->arena;

	memset(a, 0, sizeof(*a));
	a->base = window_base;
	a->page_lg2 = (uint8_t)page_lg2;
	a->chunk_lg2 = (uint8_t)chunk_lg2;
	a->pages_per_chunk = 1u << (chunk_lg2 - page_lg2);
	a->nslots = (size_t)nslots;
	a->hint = SIZE_MAX;
	return 0;
}

int pt_arena_init_region(struct ioas_pt *pt, const struct phys_region *r,
			 uint64_t first, uint64_t last, unsigned page_lg2)
{
	struct pt_arena *a = &pt->arena;
	unsigned chunk_lg2 = page_lg2 + 6;
	uint64_t len = last - first + 1;

	while (chunk_lg2 > page_lg2 && (len >> chunk_lg2) < 4)
		chunk_lg2--;
	pt_arena_init(pt, first, len >> chunk_lg2, page_lg2, chunk_lg2);
	a->region_mode = true;
	a->region = r;
	a->region_host = r->host;
	return 0;
}

void pt_arena_destroy(struct ioas_pt *pt)
{
	struct pt_arena *a = &pt->arena;

	for (size_t i = 0; i < a->cap; i++)
		if (a->chunks[i])
			chunk_release(pt, i);
	ctx_free(pt->ctx, a->chunks, a->cap * sizeof(*a->chunks));
	a->chunks = NULL;
	a->cap = 0;
}
