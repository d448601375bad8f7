/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one page-table algorithm. It is compiled once per format: a file
 * src/pt/fmt_<name>.c includes fmt_<name>.h, which defines the static
 * inline hooks below, then this file, and gets the whole operation table
 * with every hook inlined (no function pointer per entry).
 *
 * Hooks a format header provides (g is the table's geometry; lvl the level
 * of the entry; e a value already converted to CPU byte order):
 *   FMT_OPS                       name of the struct pt_fmt_ops to define
 *   fmt_load(p), fmt_store(p, e)  entry memory <-> CPU value
 *   fmt_is_table(g, e, lvl)       e (non-zero, lvl > 0) points to a table
 *   fmt_table_pa(g, e)            address of that table
 *   fmt_make_table(g, pa, lvl)    a table entry at lvl for the table at pa
 *   fmt_make_leaf(g, pa, lvl, size_lg2, prot)
 *                                 the leaf entry at lvl for a page of
 *                                 2^size_lg2 bytes; pa is the address of the
 *                                 part this entry maps (page base + i *
 *                                 entry size for entry i of a group)
 *   fmt_leaf_size(g, e, lvl)      size_lg2 of the page the leaf belongs to
 *   fmt_leaf_pa(g, e, lvl, size_lg2)  base address of that page
 *   fmt_leaf_prot(g, e, lvl)      IOAS_PROT_* it grants
 *   fmt_leaf_dirty(g, e)          dirty?
 *   fmt_leaf_set_dirty(g, e, d)   e with the dirty state set to d
 *   fmt_geom(g, cfg, hw)          geometry from a config (see pt.h)
 *   fmt_check_prot(g, prot)       0 or -EOPNOTSUPP
 *   fmt_hw_input(g, iova, &rel)   hardware input check: 0 and the
 *                                 table-relative address, or a fault
 *   fmt_hw_entry(g, e, lvl, rel, &st)  decode like hardware: PT_HW_TABLE
 *                                 (st.next_pa, st.next_lvl), PT_HW_LEAF
 *                                 (st.oa, st.size_lg2), or a fault > 0;
 *                                 narrows st.prot
 *   fmt_hw_ad(g, e, lvl, leaf, write)  e with the A/D bits hardware would
 *                                 set on this access
 * Addresses given to the software operations are window-relative (the
 * public layer has subtracted iova_offset and checked the aperture and
 * alignment).
 */
#ifndef FMT_OPS
#error "include a format header first"
#endif

#include <errno.h>

/* A format whose single-entry leaves hold the output address as it is
 * (entry(pa + page) == entry(pa) + page) defines FMT_LINEAR_OA(g) as true,
 * so the bulk map path adds the page size instead of encoding each entry. */
#ifndef FMT_LINEAR_OA
#define FMT_LINEAR_OA(g) ((void)(g), false)
#endif

static inline uint64_t *algo_tab(uint8_t *host)
{
	return (uint64_t *)(void *)host;
}

static inline uint8_t *algo_child(const struct ioas_pt *pt, uint64_t e)
{
	return pt_host(pt, fmt_table_pa(&pt->g, e));
}

/* Largest page size at lvl that alignment and the remaining length allow;
 * 0 if none. left = last - iova. */
static inline unsigned algo_best_leaf(const struct pt_geom *g, unsigned lvl,
				      uint64_t align, uint64_t left)
{
	uint64_t sizes = g->leaf_sizes[lvl];
	unsigned amax = align ? (unsigned)__builtin_ctzll(align) : 63;
	unsigned lmax = left == UINT64_MAX ? 63 : ilog2_u64(left + 1);
	unsigned m = amax < lmax ? amax : lmax;

	if (m < 63)
		sizes &= (2ull << m) - 1;
	return sizes ? 63u - (unsigned)__builtin_clzll(sizes) : 0;
}

static inline void algo_used_add(uint16_t *used, int n)
{
	if (used)
		*used = (uint16_t)(*used + n);
}

/* ---- map -------------------------------------------------------------- */

struct algo_map {
	uint64_t iova, last, pa;  /* iova: next address to map */
	uint32_t prot;
	bool done;
};

static int algo_map_level(struct ioas_pt *pt, uint64_t tpa, uint8_t *host,
			  unsigned lvl, struct algo_map *s)
{
	const struct pt_geom *g = &pt->g;
	unsigned shift = g->shift[lvl];
	uint64_t nent = 1ull << g->bits[lvl];
	uint64_t idx = pt_lvl_index(g, lvl, s->iova);
	uint64_t *tab = algo_tab(host);
	uint16_t *used = pt_used(pt, tpa);

	while (idx < nent) {
		unsigned sz = algo_best_leaf(g, lvl, s->iova | s->pa,
					     s->last - s->iova);
		uint64_t e;

		if (sz == shift && g->leaf_sizes[lvl] == 1ull << shift) {
			/* Fast path: a run of single-entry pages, the only
			 * kind this level has. Check and write in one pass;
			 * on a collision keep what was written (the caller
			 * rolls back [start, s->iova - 1]). */
			uint64_t rem = s->last - s->iova; /* bytes - 1 */
			uint64_t mask = (1ull << shift) - 1;
			uint64_t left = (rem >> shift) + ((rem & mask) == mask);
			uint64_t k = nent - idx < left ? nent - idx : left;
			/* A local copy of the geometry: the table stores cannot
			 * alias it, so the entry's flag bits are computed once
			 * instead of once per entry. */
			const struct pt_geom gl = *g;
			const uint64_t pa = s->pa;
			const uint32_t prot = s->prot;
			uint64_t i;

			if (FMT_LINEAR_OA(&gl)) {
				uint64_t leaf = fmt_make_leaf(&gl, pa, lvl,
							      shift, prot);

				for (i = 0; i < k; i++, leaf += 1ull << shift) {
					if (fmt_load(&tab[idx + i]))
						break;
					fmt_store(&tab[idx + i], leaf);
				}
			} else {
				for (i = 0; i < k; i++) {
					if (fmt_load(&tab[idx + i]))
						break;
					fmt_store(&tab[idx + i],
						  fmt_make_leaf(&gl,
								pa + (i << shift),
								lvl, shift, prot));
				}
			}
			algo_used_add(used, (int)i);
			idx += i;
			s->pa += i << shift;
			s->iova += i << shift;
			if (i < k)
				return -EEXIST;
			if (s->iova == 0 || s->iova - 1 == s->last) {
				s->done = true;
				return 0;
			}
			continue;
		}
		if (sz) {
			uint64_t n = 1ull << (sz - shift);

			for (uint64_t i = 0; i < n; i++)
				if (fmt_load(&tab[idx + i]))
					return -EEXIST;
			for (uint64_t i = 0; i < n; i++)
				fmt_store(&tab[idx + i],
					  fmt_make_leaf(g, s->pa + (i << shift),
							lvl, sz, s->prot));
			algo_used_add(used, (int)n);
			idx += n;
			s->pa += 1ull << sz;
			s->iova += 1ull << sz;
			if (s->iova == 0 || s->iova - 1 == s->last) {
				s->done = true;
				return 0;
			}
			continue;
		}
		if (lvl == 0)
			return -EINVAL; /* unreachable: callers check alignment */

		e = fmt_load(&tab[idx]);
		if (!e) {
			uint64_t cpa;
			uint8_t *chost;
			int ret = pt_table_alloc(pt, &cpa, &chost);

			if (ret)
				return ret;
			fmt_store(&tab[idx], fmt_make_table(g, cpa, lvl));
			algo_used_add(used, 1);
			ret = algo_map_level(pt, cpa, chost, lvl - 1, s);
			if (ret) {
				if (!*pt_used(pt, cpa)) {
					fmt_store(&tab[idx], 0);
					algo_used_add(used, -1);
					pt_table_free(pt, cpa);
				}
				return ret;
			}
		} else if (fmt_is_table(g, e, lvl)) {
			uint64_t cpa = fmt_table_pa(g, e);
			int ret = algo_map_level(pt, cpa, pt_host(pt, cpa),
						 lvl - 1, s);

			if (ret)
				return ret;
		} else {
			return -EEXIST;
		}
		if (s->done)
			return 0;
		idx++;
	}
	return 0;
}

/* ---- unmap ------------------------------------------------------------ */

struct algo_unmap {
	uint64_t iova, last;      /* iova: cursor */
	uint64_t bytes;
	bool done;
	bool touched;             /* something was removed */
};

static inline void algo_advance(struct algo_unmap *s, uint64_t next)
{
	if (next == 0 || next - 1 >= s->last)
		s->done = true;
	else
		s->iova = next;
}

static int algo_unmap_level(struct ioas_pt *pt, uint64_t tpa, uint8_t *host,
			    unsigned lvl, struct algo_unmap *s)
{
	const struct pt_geom *g = &pt->g;
	unsigned shift = g->shift[lvl];
	uint64_t nent = 1ull << g->bits[lvl];
	uint64_t idx = pt_lvl_index(g, lvl, s->iova);
	uint64_t *tab = algo_tab(host);
	uint16_t *used = pt_used(pt, tpa);

	if (lvl == 0 && g->leaf_sizes[0] == 1ull << shift) {
		/* Fast path: every entry here is a single-entry page, so
		 * clear the run in one pass and update the cursor once. */
		uint64_t rem = s->last - s->iova; /* bytes - 1 */
		uint64_t mask = (1ull << shift) - 1;
		uint64_t left = (rem >> shift) + ((rem & mask) == mask);
		uint64_t k = nent - idx < left ? nent - idx : left;
		uint64_t cleared = 0;

		for (uint64_t i = 0; i < k; i++) {
			if (fmt_load(&tab[idx + i])) {
				fmt_store(&tab[idx + i], 0);
				cleared++;
			}
		}
		algo_used_add(used, -(int)cleared);
		s->bytes += cleared << shift;
		s->touched |= cleared != 0;
		algo_advance(s, (s->iova & ~mask) + (k << shift));
		return 0;
	}
	while (idx < nent && !s->done) {
		uint64_t e = fmt_load(&tab[idx]);
		uint64_t ent_start = s->iova & ~((1ull << shift) - 1);

		if (!e) {
			idx++;
			algo_advance(s, ent_start + (1ull << shift));
			continue;
		}
		if (lvl && fmt_is_table(g, e, lvl)) {
			uint64_t cpa = fmt_table_pa(g, e);
			int ret = algo_unmap_level(pt, cpa, pt_host(pt, cpa),
						   lvl - 1, s);

			if (ret)
				return ret;
			if (!*pt_used(pt, cpa)) {
				fmt_store(&tab[idx], 0);
				algo_used_add(used, -1);
				pt_table_free(pt, cpa);
			}
			idx++;
			/* the child stopped at the end of its range or at done */
			if (!s->done)
				algo_advance(s, ent_start + (1ull << shift));
			continue;
		}
		{
			unsigned sz = fmt_leaf_size(g, e, lvl);
			uint64_t n = 1ull << (sz - shift);
			uint64_t gidx = idx & ~(n - 1);
			uint64_t gstart = s->iova & ~((1ull << sz) - 1);

			/* Only the first page met can start before the range
			 * (the end was checked before starting). */
			if (gstart < s->iova)
				return -ENOENT;
			for (uint64_t i = 0; i < n; i++)
				fmt_store(&tab[gidx + i], 0);
			algo_used_add(used, -(int)n);
			s->bytes += 1ull << sz;
			s->touched = true;
			idx = gidx + n;
			algo_advance(s, gstart + (1ull << sz));
		}
	}
	return 0;
}

/* The leaf entry that maps rel: 0 if none, else its value and level, and
 * optionally the table it is in. */
struct algo_found {
	uint64_t e;
	unsigned lvl;
	uint64_t tpa;
	uint64_t *slot;
};

static inline bool algo_find(const struct ioas_pt *pt, uint64_t rel,
			     struct algo_found *f)
{
	const struct pt_geom *g = &pt->g;
	unsigned lvl = g->top;
	uint64_t tpa = pt->root_pa;
	uint8_t *host = pt->root_host;

	for (;;) {
		uint64_t *slot = algo_tab(host) + pt_lvl_index(g, lvl, rel);
		uint64_t e = fmt_load(slot);

		if (!e)
			return false;
		if (lvl && fmt_is_table(g, e, lvl)) {
			tpa = fmt_table_pa(g, e);
			host = pt_host(pt, tpa);
			lvl--;
			continue;
		}
		f->e = e;
		f->lvl = lvl;
		f->tpa = tpa;
		f->slot = slot;
		return true;
	}
}

static int algo_unmap(struct ioas_pt *pt, uint64_t iova, uint64_t last,
		      uint64_t *unmapped)
{
	struct algo_unmap s = { iova, last, 0, false, false };
	struct algo_found f;
	int ret;

	/* A page that straddles last would be only partly covered; none can
	 * when last + 1 is aligned to the largest page size. */
	if ((last + 1) &
	    ((1ull << (63 - __builtin_clzll(pt->g.pgsize_bitmap))) - 1)) {
		if (algo_find(pt, last, &f)) {
			unsigned sz = fmt_leaf_size(&pt->g, f.e, f.lvl);

			if ((last | ((1ull << sz) - 1)) != last)
				return -ENOENT;
		}
	}
	ret = algo_unmap_level(pt, pt->root_pa, pt->root_host, pt->g.top, &s);
	if (unmapped)
		*unmapped = s.bytes;
	return ret;
}

static int algo_map(struct ioas_pt *pt, uint64_t iova, uint64_t last,
		    uint64_t pa, uint32_t prot)
{
	struct algo_map s = { iova, last, pa, prot, false };
	int ret = algo_map_level(pt, pt->root_pa, pt->root_host, pt->g.top,
				 &s);

	if (ret && s.iova != iova) {
		/* Roll back the pages written; tables that this call added
		 * become empty and are freed. Cannot fail: only our own pages
		 * are in [iova, s.iova - 1]. */
		struct algo_unmap u = { iova, s.iova - 1, 0, false, false };

		(void)algo_unmap_level(pt, pt->root_pa, pt->root_host,
				       pt->g.top, &u);
	}
	return ret;
}

/* ---- lookups and walks ----------------------------------------------- */

static int algo_iova_to_phys(const struct ioas_pt *pt, uint64_t rel,
			     uint64_t *pa)
{
	struct algo_found f;
	unsigned sz;

	if (!algo_find(pt, rel, &f))
		return -ENOENT;
	sz = fmt_leaf_size(&pt->g, f.e, f.lvl);
	*pa = fmt_leaf_pa(&pt->g, f.e, f.lvl, sz) | (rel & ((1ull << sz) - 1));
	return 0;
}

struct algo_walk {
	uint64_t iova, last;      /* cursor */
	bool done;
	bool dirty_only, clear;
	int (*fn)(void *, const struct ioas_pt_leaf *);
	void *opaque;
	int64_t count;
};

static int algo_walk_level(const struct ioas_pt *pt, uint8_t *host,
			   unsigned lvl, struct algo_walk *s)
{
	const struct pt_geom *g = &pt->g;
	unsigned shift = g->shift[lvl];
	uint64_t nent = 1ull << g->bits[lvl];
	uint64_t idx = pt_lvl_index(g, lvl, s->iova);
	uint64_t *tab = algo_tab(host);

	while (idx < nent && !s->done) {
		uint64_t e = fmt_load(&tab[idx]);
		uint64_t ent_start = s->iova & ~((1ull << shift) - 1);
		struct algo_unmap adv = { s->iova, s->last, 0, false, false };

		if (!e) {
			idx++;
			algo_advance(&adv, ent_start + (1ull << shift));
		} else if (lvl && fmt_is_table(g, e, lvl)) {
			int ret = algo_walk_level(pt, algo_child(pt, e),
						  lvl - 1, s);

			if (ret)
				return ret;
			idx++;
			if (s->done)
				return 0;
			adv.iova = s->iova;
			algo_advance(&adv, ent_start + (1ull << shift));
		} else {
			unsigned sz = fmt_leaf_size(g, e, lvl);
			uint64_t n = 1ull << (sz - shift);
			uint64_t gidx = idx & ~(n - 1);
			uint64_t gstart = s->iova & ~((1ull << sz) - 1);
			bool dirty = false;

			for (uint64_t i = 0; i < n; i++)
				dirty |= fmt_leaf_dirty(g, fmt_load(&tab[gidx + i]));
			if (!s->dirty_only || dirty) {
				struct ioas_pt_leaf leaf;
				int ret;

				leaf.iova = gstart + g->iova_offset;
				leaf.pa = fmt_leaf_pa(g, e, lvl, sz);
				leaf.size_lg2 = sz;
				leaf.prot = fmt_leaf_prot(g, e, lvl);
				leaf.level = lvl;
				leaf.dirty = dirty;
				if (s->dirty_only && s->clear)
					for (uint64_t i = 0; i < n; i++)
						fmt_store(&tab[gidx + i],
							  fmt_leaf_set_dirty(
								  g,
								  fmt_load(&tab[gidx + i]),
								  false));
				s->count++;
				ret = s->fn ? s->fn(s->opaque, &leaf) : 0;
				if (ret)
					return ret;
			}
			idx = gidx + n;
			algo_advance(&adv, gstart + (1ull << sz));
		}
		s->iova = adv.iova;
		s->done = adv.done;
	}
	return 0;
}

static int algo_walk(const struct ioas_pt *pt, uint64_t iova, uint64_t last,
		     int (*fn)(void *, const struct ioas_pt_leaf *),
		     void *opaque)
{
	struct algo_walk s = { iova, last, false, false, false, fn, opaque, 0 };

	return algo_walk_level(pt, pt->root_host, pt->g.top, &s);
}

static int64_t algo_dirty(struct ioas_pt *pt, uint64_t iova, uint64_t last,
			  bool clear,
			  int (*fn)(void *, const struct ioas_pt_leaf *),
			  void *opaque)
{
	struct algo_walk s = { iova, last, false, true, clear, fn, opaque, 0 };
	int ret = algo_walk_level(pt, pt->root_host, pt->g.top, &s);

	return ret ? ret : s.count;
}

/* ---- split ------------------------------------------------------------ */

static int algo_split(struct ioas_pt *pt, uint64_t rel)
{
	const struct pt_geom *g = &pt->g;
	struct algo_found f;
	uint64_t newpa[PT_MAX_LEVELS];
	uint8_t *newhost[PT_MAX_LEVELS];
	unsigned sz, lvl, m, shift;
	uint64_t page_pa, *tab, gidx, n;
	uint32_t prot;
	bool dirty;

	if (!algo_find(pt, rel, &f))
		return 0;
	lvl = f.lvl;
	shift = g->shift[lvl];
	sz = fmt_leaf_size(g, f.e, lvl);
	if (!(rel & ((1ull << sz) - 1)))
		return 0;
	page_pa = fmt_leaf_pa(g, f.e, lvl, sz);
	prot = fmt_leaf_prot(g, f.e, lvl);
	n = 1ull << (sz - shift);
	tab = f.slot - pt_lvl_index(g, lvl, rel);
	gidx = pt_lvl_index(g, lvl, rel) & ~(n - 1);
	dirty = false;
	for (uint64_t i = 0; i < n; i++)
		dirty |= fmt_leaf_dirty(g, fmt_load(&tab[gidx + i]));

	/* Levels below lvl that need a new table: down to the first level
	 * whose entries have rel on a boundary. */
	m = lvl;
	if (rel & ((1ull << shift) - 1)) {
		m = lvl - 1;
		while (m > 0 && (rel & ((1ull << g->shift[m]) - 1)))
			m--;
		for (unsigned l = lvl; l > m; l--) {
			int ret = pt_table_alloc(pt, &newpa[l - 1],
						 &newhost[l - 1]);

			if (ret) {
				for (unsigned k = lvl; k > l; k--)
					pt_table_free(pt, newpa[k - 1]);
				return ret;
			}
		}
	}

	/* Fill the new tables bottom-up, each a run of single-entry leaves
	 * covering what its parent entry mapped, with the entry on the path
	 * to rel pointing further down. */
	for (unsigned l = m; l < lvl; l++) {
		uint64_t *t = algo_tab(newhost[l]);
		uint64_t cnt = 1ull << g->bits[l];
		unsigned s = g->shift[l];
		uint64_t base_rel = rel & ~((1ull << g->shift[l + 1]) - 1);
		uint64_t base_pa = page_pa + (base_rel & ((1ull << sz) - 1));
		uint64_t path = pt_lvl_index(g, l, rel);

		for (uint64_t i = 0; i < cnt; i++) {
			uint64_t e;

			if (l > m && i == path)
				e = fmt_make_table(g, newpa[l - 1], l);
			else
				e = fmt_leaf_set_dirty(
					g,
					fmt_make_leaf(g, base_pa + (i << s), l,
						      s, prot),
					dirty);
			fmt_store(&t[i], e);
		}
		*pt_used(pt, newpa[l]) = (uint16_t)cnt;
	}

	/* Re-encode the group as single entries, then link the new table
	 * in place of the entry containing rel (one store each). */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t e = fmt_leaf_set_dirty(
			g,
			fmt_make_leaf(g, page_pa + (i << shift), lvl, shift,
				      prot),
			dirty);

		if (m < lvl && gidx + i == pt_lvl_index(g, lvl, rel))
			e = fmt_make_table(g, newpa[lvl - 1], lvl);
		fmt_store(&tab[gidx + i], e);
	}
	return 0;
}

/* ---- teardown and dumps --------------------------------------------- */

static void algo_free_level(struct ioas_pt *pt, uint8_t *host, unsigned lvl)
{
	const struct pt_geom *g = &pt->g;
	uint64_t nent = 1ull << g->bits[lvl];
	uint64_t *tab = algo_tab(host);

	for (uint64_t i = 0; i < nent; i++) {
		uint64_t e = fmt_load(&tab[i]);

		if (e && lvl && fmt_is_table(g, e, lvl)) {
			uint64_t cpa = fmt_table_pa(g, e);

			algo_free_level(pt, pt_host(pt, cpa), lvl - 1);
			pt_table_free(pt, cpa);
		}
	}
}

static void algo_destroy_tables(struct ioas_pt *pt)
{
	algo_free_level(pt, pt->root_host, pt->g.top);
}

static void algo_dump_level(const struct ioas_pt *pt, uint64_t tpa,
			    uint8_t *host, unsigned lvl, pt_dump_fn fn,
			    void *opaque)
{
	const struct pt_geom *g = &pt->g;
	uint64_t nent = 1ull << g->bits[lvl];
	uint64_t *tab = algo_tab(host);

	for (uint64_t i = 0; i < nent; i++) {
		uint64_t e = fmt_load(&tab[i]);

		if (!e)
			continue;
		fn(opaque, lvl, tpa, i, e);
		if (lvl && fmt_is_table(g, e, lvl)) {
			uint64_t cpa = fmt_table_pa(g, e);

			algo_dump_level(pt, cpa, pt_host(pt, cpa), lvl - 1, fn,
					opaque);
		}
	}
}

static void algo_dump(const struct ioas_pt *pt, pt_dump_fn fn, void *opaque)
{
	algo_dump_level(pt, pt->root_pa, pt->root_host, pt->g.top, fn, opaque);
}

/* ---- the hardware walker --------------------------------------------- */

static int algo_hw_fault(struct ioas_pt_xlate *out, unsigned lvl,
			 int reason, uint64_t e)
{
	out->fault = (uint32_t)reason;
	out->level = lvl;
	out->entry = e;
	out->pa = 0;
	out->size_lg2 = 0;
	out->prot = 0;
	return -EFAULT;
}

static int algo_hw_walk(const struct pt_hw_walker *w,
			const struct pt_hw_mem *mem, uint64_t iova,
			uint32_t access, struct ioas_pt_xlate *out)
{
	const struct pt_geom *g = &w->g;
	struct pt_hw_state st;
	uint64_t rel, tpa = w->root_pa, e;
	unsigned lvl = g->top;
	int r;

	r = fmt_hw_input(g, iova, &rel);
	if (r)
		return algo_hw_fault(out, lvl, r, 0);
	st.prot = IOAS_PROT_READ | IOAS_PROT_WRITE | IOAS_PROT_EXEC;
	for (;;) {
		uint64_t eaddr = tpa + pt_lvl_index(g, lvl, rel) * 8;
		uint64_t *p;

		if (mem->xlate) {
			r = mem->xlate(mem->opaque, eaddr, &eaddr);
			if (r)
				return algo_hw_fault(out, lvl, r, 0);
		}
		p = phys_ram_ptr(mem->phys, eaddr, 8);
		if (!p)
			return algo_hw_fault(out, lvl, IOAS_PT_FAULT_BUS, 0);
		e = fmt_load(p);
		r = fmt_hw_entry(g, e, lvl, rel, &st);
		if (r > 0)
			return algo_hw_fault(out, lvl, r, e);
		if (g->fflags & PT_FF_SET_AD) {
			uint64_t ne = fmt_hw_ad(g, e, lvl, r == PT_HW_LEAF,
						(access & st.prot &
						 IOAS_PROT_WRITE) != 0);

			if (ne != e) {
				fmt_store(p, ne);
				e = ne;
			}
		}
		if (r == PT_HW_LEAF)
			break;
		tpa = st.next_pa;
		lvl = st.next_lvl;
	}
	out->pa = st.oa | (rel & ((1ull << st.size_lg2) - 1));
	out->size_lg2 = st.size_lg2;
	out->prot = st.prot;
	out->level = lvl;
	out->entry = e;
	out->fault = IOAS_PT_FAULT_NONE;
	/* PRIV in prot means "privileged requests only"; PRIV in access means
	 * the request is privileged. */
	if (access &&
	    ((access & ~st.prot &
	      (IOAS_PROT_READ | IOAS_PROT_WRITE | IOAS_PROT_EXEC)) ||
	     ((st.prot & IOAS_PROT_PRIV) && !(access & IOAS_PROT_PRIV))))
		return algo_hw_fault(out, lvl, IOAS_PT_FAULT_PERM, e);
	return 0;
}

static int algo_geom(struct pt_geom *g, struct ioas_pt_config *cfg, bool hw)
{
	return fmt_geom(g, cfg, hw);
}

static int algo_check_prot(const struct pt_geom *g, uint32_t prot)
{
	return fmt_check_prot(g, prot);
}

const struct pt_fmt_ops FMT_OPS = {
	.geom = algo_geom,
	.map = algo_map,
	.unmap = algo_unmap,
	.split = algo_split,
	.iova_to_phys = algo_iova_to_phys,
	.walk = algo_walk,
	.dirty = algo_dirty,
	.dump = algo_dump,
	.destroy_tables = algo_destroy_tables,
	.hw_walk = algo_hw_walk,
	.check_prot = algo_check_prot,
};
