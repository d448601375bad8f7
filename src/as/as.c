/* SPDX-License-Identifier: BSD-2-Clause */
/* Address spaces: creation, windows, reserved and allowed ranges, query,
 * and the IOVA allocator over them. Mappings are in map.c. */
#include "as.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AS_CONFIG_MIN_SIZE (offsetof(struct ioas_as_config, reserved) + 4)
#define WINDOW_MIN_SIZE (offsetof(struct ioas_window, pgsize_bitmap) + 8)

static uint64_t lowest_bit(uint64_t x)
{
	return x & (~x + 1);
}

static uint64_t highest_bit(uint64_t x)
{
	return x ? 1ull << ilog2_u64(x) : 0;
}

static struct as_window *window_alloc(struct ioas_as *as, uint64_t start,
				      uint64_t last, uint64_t pgsizes)
{
	struct as_window *w = ctx_zalloc(as->ctx, sizeof(*w));

	if (!w)
		return NULL;
	w->r.start = start;
	w->r.last = last;
	w->pgsize_bitmap = pgsizes;
	w->min_pgsize = lowest_bit(pgsizes);
	return w;
}

int ioas_as_create(struct ioas_mm *mm, const struct ioas_as_config *ucfg,
		   struct ioas_as **out)
{
	struct ioas_as_config cfg;
	struct ioas_as *as;
	uint64_t ctx_pg;
	int ret;

	if (!mm || !ucfg || !out)
		return -EINVAL;
	ret = struct_copy_in(&cfg, sizeof(cfg), ucfg, ucfg->size,
			     AS_CONFIG_MIN_SIZE);
	if (ret)
		return ret;
	if (cfg.flags)
		return -EOPNOTSUPP;
	if (cfg.reserved || cfg.pin_mode > IOAS_PIN_ON_MAP ||
	    cfg.window_mode > IOAS_WINDOWS_FULL)
		return -EINVAL;
	ctx_pg = ioas_ctx_page_size(mm->ctx);
	if (cfg.window_mode == IOAS_WINDOWS_FULL) {
		uint64_t pg;

		if (!cfg.pgsize_bitmap)
			cfg.pgsize_bitmap = ctx_pg;
		if (cfg.pgsize_bitmap & (ctx_pg - 1))
			return -EINVAL;
		if (!cfg.aperture.start && !cfg.aperture.last)
			cfg.aperture.last = UINT64_MAX;
		pg = lowest_bit(cfg.pgsize_bitmap);
		if (cfg.aperture.start > cfg.aperture.last ||
		    (cfg.aperture.start & (pg - 1)) ||
		    (cfg.aperture.last != UINT64_MAX &&
		     ((cfg.aperture.last + 1) & (pg - 1))))
			return -EINVAL;
	} else {
		if (cfg.max_windows > AS_MAX_WINDOWS)
			return -EINVAL;
		if (!cfg.max_windows)
			cfg.max_windows = 2;
	}

	as = ctx_zalloc(mm->ctx, sizeof(*as));
	if (!as)
		return -ENOMEM;
	as->ctx = mm->ctx;
	as->mm = mm;
	as->window_mode = cfg.window_mode;
	as->pin_mode = cfg.pin_mode;
	itree_init(&as->maps);
	if (cfg.window_mode == IOAS_WINDOWS_FULL) {
		as->max_windows = 1;
		as->windows[0] = window_alloc(as, cfg.aperture.start,
					      cfg.aperture.last,
					      cfg.pgsize_bitmap);
		if (!as->windows[0]) {
			ctx_free(mm->ctx, as, sizeof(*as));
			return -ENOMEM;
		}
		as->nr_windows = 1;
	} else {
		as->max_windows = cfg.max_windows;
	}
	ctx_get(as->ctx);
	mm->users++;
	*out = as;
	return 0;
}

void ioas_as_destroy(struct ioas_as *as)
{
	struct ioas_ctx *ctx;

	if (!as)
		return;
	ctx = as->ctx;
	ioas_as_unmap_all(as);
	as_spares_free(as);
	for (size_t i = 0; i < as->nr_windows; i++)
		ctx_free(ctx, as->windows[i], sizeof(*as->windows[i]));
	ctx_free(ctx, as->resv, as->cap_resv * sizeof(*as->resv));
	ctx_free(ctx, as->allowed, as->nr_allowed * sizeof(*as->allowed));
	ctx_free(ctx, as->allowed_merged,
		 as->cap_allowed_merged * sizeof(*as->allowed_merged));
	as->mm->users--;
	ctx_free(ctx, as, sizeof(*as));
	ctx_put(ctx);
}

/* ---- lookups over windows, reservations, allowed ranges ------------------- */

struct as_window *as_window_find(const struct ioas_as *as, uint64_t iova)
{
	for (size_t i = 0; i < as->nr_windows; i++) {
		struct as_window *w = as->windows[i];

		if (iova >= w->r.start && iova <= w->r.last)
			return w;
	}
	return NULL;
}

static bool ranges_intersect(uint64_t s1, uint64_t l1, uint64_t s2, uint64_t l2)
{
	return s1 <= l2 && s2 <= l1;
}

bool as_reserved_overlaps(const struct ioas_as *as, uint64_t start,
			  uint64_t last)
{
	for (size_t i = 0; i < as->nr_resv && as->resv[i].start <= last; i++)
		if (as->resv[i].last >= start)
			return true;
	return false;
}

static bool allowed_overlaps(const struct ioas_as *as, uint64_t start,
			     uint64_t last)
{
	for (size_t i = 0; i < as->nr_allowed_merged; i++)
		if (ranges_intersect(as->allowed_merged[i].start,
				     as->allowed_merged[i].last, start, last))
			return true;
	return false;
}

/*
 * Merged reservations, generated on the fly from the sorted array so that
 * queries need no memory: *i is the cursor. Returns false at the end.
 */
static bool next_merged_resv(const struct ioas_as *as, size_t *i,
			     struct ioas_range *out)
{
	if (*i >= as->nr_resv)
		return false;
	*out = as->resv[(*i)++];
	while (*i < as->nr_resv && out->last != UINT64_MAX &&
	       as->resv[*i].start <= out->last + 1) {
		if (as->resv[*i].last > out->last)
			out->last = as->resv[*i].last;
		(*i)++;
	}
	while (*i < as->nr_resv && out->last == UINT64_MAX)
		(*i)++;
	return true;
}

int as_for_each_usable(const struct ioas_as *as,
		       int (*fn)(void *opaque, const struct as_window *w,
				 uint64_t start, uint64_t last),
		       void *opaque)
{
	for (size_t wi = 0; wi < as->nr_windows; wi++) {
		const struct as_window *w = as->windows[wi];
		uint64_t cur = w->r.start;
		bool done = false;
		struct ioas_range rr;
		size_t ri = 0;
		int ret;

		while (!done && next_merged_resv(as, &ri, &rr)) {
			if (rr.last < cur)
				continue;
			if (rr.start > w->r.last)
				break;
			if (rr.start > cur) {
				ret = fn(opaque, w, cur, rr.start - 1);
				if (ret)
					return ret;
			}
			if (rr.last >= w->r.last)
				done = true;
			else
				cur = rr.last + 1;
		}
		if (!done) {
			ret = fn(opaque, w, cur, w->r.last);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- windows ----------------------------------------------------------------- */

int ioas_as_window_create(struct ioas_as *as, const struct ioas_window *uwin)
{
	struct ioas_window win;
	struct as_window *w;
	uint64_t ctx_pg, big, last;
	size_t idx;
	int ret;

	if (!as || !uwin)
		return -EINVAL;
	ret = struct_copy_in(&win, sizeof(win), uwin, uwin->size,
			     WINDOW_MIN_SIZE);
	if (ret)
		return ret;
	if (win.flags)
		return -EOPNOTSUPP;
	if (as->window_mode != IOAS_WINDOWS_EXPLICIT)
		return -EINVAL;
	ctx_pg = ioas_ctx_page_size(as->ctx);
	if (!win.pgsize_bitmap || (win.pgsize_bitmap & (ctx_pg - 1)) ||
	    !win.length)
		return -EINVAL;
	big = highest_bit(win.pgsize_bitmap);
	if ((win.base | win.length) & (big - 1))
		return -EINVAL;
	if (__builtin_add_overflow(win.base, win.length - 1, &last))
		return -EOVERFLOW;
	for (idx = 0; idx < as->nr_windows; idx++) {
		if (ranges_intersect(as->windows[idx]->r.start,
				     as->windows[idx]->r.last, win.base, last))
			return -EEXIST;
		if (as->windows[idx]->r.start > last)
			break;
	}
	if (as->nr_windows >= as->max_windows)
		return -ENOSPC;
	w = window_alloc(as, win.base, last, win.pgsize_bitmap);
	if (!w)
		return -ENOMEM;
	memmove(&as->windows[idx + 1], &as->windows[idx],
		(as->nr_windows - idx) * sizeof(as->windows[0]));
	as->windows[idx] = w;
	as->nr_windows++;
	return 0;
}

int ioas_as_window_remove(struct ioas_as *as, uint64_t base)
{
	struct as_window *w = NULL;
	size_t idx;

	if (!as)
		return -EINVAL;
	if (as->window_mode == IOAS_WINDOWS_EXPLICIT)
		for (idx = 0; idx < as->nr_windows; idx++)
			if (as->windows[idx]->r.start == base) {
				w = as->windows[idx];
				break;
			}
	if (!w)
		return -ENOENT;
	if (w->nmappings)
		return -EBUSY;
	if (allowed_overlaps(as, w->r.start, w->r.last))
		return -EADDRINUSE;
	memmove(&as->windows[idx], &as->windows[idx + 1],
		(as->nr_windows - idx - 1) * sizeof(as->windows[0]));
	as->nr_windows--;
	ctx_free(as->ctx, w, sizeof(*w));
	return 0;
}

/* ---- reservations ------------------------------------------------------------ */

int ioas_as_reserve(struct ioas_as *as, uint64_t start, uint64_t last)
{
	size_t idx;

	if (!as || start > last)
		return -EINVAL;
	if (itree_first_overlap(&as->maps, start, last) ||
	    allowed_overlaps(as, start, last))
		return -EADDRINUSE;
	if (as->nr_resv == as->cap_resv) {
		size_t ncap = as->cap_resv ? as->cap_resv * 2 : 4;
		struct ioas_range *n = ctx_zalloc(as->ctx, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		if (as->nr_resv)
			memcpy(n, as->resv, as->nr_resv * sizeof(*n));
		ctx_free(as->ctx, as->resv, as->cap_resv * sizeof(*n));
		as->resv = n;
		as->cap_resv = ncap;
	}
	for (idx = 0; idx < as->nr_resv; idx++)
		if (as->resv[idx].start > start ||
		    (as->resv[idx].start == start && as->resv[idx].last > last))
			break;
	memmove(&as->resv[idx + 1], &as->resv[idx],
		(as->nr_resv - idx) * sizeof(*as->resv));
	as->resv[idx].start = start;
	as->resv[idx].last = last;
	as->nr_resv++;
	return 0;
}

int ioas_as_unreserve(struct ioas_as *as, uint64_t start, uint64_t last)
{
	if (!as)
		return -EINVAL;
	for (size_t i = 0; i < as->nr_resv; i++) {
		if (as->resv[i].start == start && as->resv[i].last == last) {
			memmove(&as->resv[i], &as->resv[i + 1],
				(as->nr_resv - i - 1) * sizeof(*as->resv));
			as->nr_resv--;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- allowed ranges ------------------------------------------------------------- */

struct cover_state {
	uint64_t cur;    /* next address that must be covered */
	uint64_t last;
	bool covered;
};

/* Usable pieces arrive in address order; track coverage of [cur, last]. */
static int cover_piece(void *opaque, const struct as_window *w, uint64_t start,
		       uint64_t last)
{
	struct cover_state *st = opaque;

	(void)w;
	if (last < st->cur)
		return 0;
	if (start > st->cur)
		return 1; /* a gap: not covered */
	if (last >= st->last) {
		st->covered = true;
		return 1;
	}
	st->cur = last + 1;
	return 0;
}

static bool range_usable(const struct ioas_as *as, uint64_t start, uint64_t last)
{
	struct cover_state st = { start, last, false };

	as_for_each_usable(as, cover_piece, &st);
	return st.covered;
}

static int cmp_range(const void *a, const void *b)
{
	const struct ioas_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return 0;
}

int ioas_as_allow(struct ioas_as *as, const struct ioas_range *ranges, size_t n)
{
	struct ioas_range *copy = NULL, *merged = NULL;
	size_t nm = 0;

	if (!as || (n && !ranges))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (ranges[i].start > ranges[i].last)
			return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!range_usable(as, ranges[i].start, ranges[i].last))
			return -EADDRINUSE;
	if (n) {
		copy = ctx_zalloc(as->ctx, n * sizeof(*copy));
		merged = ctx_zalloc(as->ctx, n * sizeof(*merged));
		if (!copy || !merged) {
			ctx_free(as->ctx, copy, n * sizeof(*copy));
			ctx_free(as->ctx, merged, n * sizeof(*merged));
			return -ENOMEM;
		}
		memcpy(copy, ranges, n * sizeof(*copy));
		memcpy(merged, ranges, n * sizeof(*merged));
		qsort(merged, n, sizeof(*merged), cmp_range);
		for (size_t i = 1; i < n; i++) {
			struct ioas_range *m = &merged[nm];

			if (m->last != UINT64_MAX && merged[i].start <= m->last + 1) {
				if (merged[i].last > m->last)
					m->last = merged[i].last;
			} else if (m->last != UINT64_MAX) {
				merged[++nm] = merged[i];
			}
		}
		nm++;
	}
	ctx_free(as->ctx, as->allowed, as->nr_allowed * sizeof(*as->allowed));
	ctx_free(as->ctx, as->allowed_merged,
		 as->cap_allowed_merged * sizeof(*as->allowed_merged));
	as->allowed = copy;
	as->nr_allowed = n;
	as->allowed_merged = merged;
	as->nr_allowed_merged = nm;
	as->cap_allowed_merged = n;
	return 0;
}

/* ---- IOVA allocation ------------------------------------------------------------ */

struct alloc_state {
	struct ioas_as *as;
	uint64_t length, align, granule_or;
	uint64_t iova;
};

static bool try_range(struct alloc_state *st, uint64_t lo, uint64_t hi)
{
	if (lo == 0) {
		if (hi == 0)
			return false;
		lo = 1; /* never IOVA 0 */
	}
	return itree_find_free(&st->as->maps, lo, hi, st->length, st->align,
			       &st->iova);
}

static int alloc_piece(void *opaque, const struct as_window *w, uint64_t start,
		       uint64_t last)
{
	struct alloc_state *st = opaque;

	if (st->granule_or & (w->min_pgsize - 1))
		return 0;
	if (!st->as->nr_allowed_merged)
		return try_range(st, start, last);
	for (size_t i = 0; i < st->as->nr_allowed_merged; i++) {
		const struct ioas_range *a = &st->as->allowed_merged[i];
		uint64_t lo = a->start > start ? a->start : start;
		uint64_t hi = a->last < last ? a->last : last;

		if (lo <= hi && try_range(st, lo, hi))
			return 1;
	}
	return 0;
}

void as_fixed_iova_only(struct ioas_as *as)
{
	itree_set_gaps(&as->maps, false);
}

int as_alloc_iova(struct ioas_as *as, uint64_t length, uint64_t addr,
		  uint64_t granule_or, uint64_t *iova)
{
	struct alloc_state st = { as, length, highest_bit(length), granule_or, 0 };
	bool fits = false;

	for (size_t i = 0; i < as->nr_windows; i++)
		fits |= !(granule_or & (as->windows[i]->min_pgsize - 1));
	if (as->nr_windows && !fits)
		return -EINVAL;
	if (addr && lowest_bit(addr) < st.align)
		st.align = lowest_bit(addr);
	if (!as_for_each_usable(as, alloc_piece, &st))
		return -ENOSPC;
	*iova = st.iova;
	return 0;
}

/* ---- query ---------------------------------------------------------------------- */

struct fill_state {
	struct ioas_range *out;
	uint32_t cap, n;
};

static int fill_usable(void *opaque, const struct as_window *w, uint64_t start,
		       uint64_t last)
{
	struct fill_state *st = opaque;

	(void)w;
	if (st->out && st->n < st->cap) {
		st->out[st->n].start = start;
		st->out[st->n].last = last;
	}
	st->n++;
	return 0;
}

#define INFO_MIN_SIZE (offsetof(struct ioas_as_info, allowed) + sizeof(void *))

int ioas_as_query(const struct ioas_as *as, struct ioas_as_info *uinfo)
{
	struct ioas_as_info info;
	uint32_t need_usable, need_resv = 0;
	struct fill_state fs = { NULL, 0, 0 };
	struct ioas_range rr;
	size_t ri = 0;
	int ret;

	if (!as || !uinfo)
		return -EINVAL;
	ret = struct_copy_in(&info, sizeof(info), uinfo, uinfo->size,
			     INFO_MIN_SIZE);
	if (ret)
		return ret;
	if (info.flags)
		return -EOPNOTSUPP;

	as_for_each_usable(as, fill_usable, &fs);
	need_usable = fs.n;
	while (next_merged_resv(as, &ri, &rr))
		need_resv++;

	info.window_mode = as->window_mode;
	info.pin_mode = as->pin_mode;
	info.max_windows = as->max_windows;
	info.windows_left = as->window_mode == IOAS_WINDOWS_FULL
				    ? 0
				    : as->max_windows - (uint32_t)as->nr_windows;
	info.pgsize_bitmap = 0;
	for (size_t i = 0; i < as->nr_windows; i++)
		info.pgsize_bitmap |= as->windows[i]->pgsize_bitmap;
	info.alignment = lowest_bit(info.pgsize_bitmap);
	info.mappings = as->maps.count;
	info.mapped_bytes = as->mapped_bytes;

	if (info.num_usable < need_usable || info.num_reserved < need_resv ||
	    info.num_windows < as->nr_windows ||
	    info.num_allowed < as->nr_allowed)
		ret = -EMSGSIZE;
	if (!ret) {
		fs.out = info.usable;
		fs.cap = info.num_usable;
		fs.n = 0;
		as_for_each_usable(as, fill_usable, &fs);
		ri = 0;
		for (uint32_t i = 0; next_merged_resv(as, &ri, &rr); i++)
			info.reserved[i] = rr;
		for (size_t i = 0; i < as->nr_windows; i++)
			info.windows[i] = as->windows[i]->r;
		if (as->nr_allowed)
			memcpy(info.allowed, as->allowed,
			       as->nr_allowed * sizeof(*as->allowed));
	}
	info.num_usable = need_usable;
	info.num_reserved = need_resv;
	info.num_windows = (uint32_t)as->nr_windows;
	info.num_allowed = (uint32_t)as->nr_allowed;
	memcpy(uinfo, &info, uinfo->size < sizeof(info) ? uinfo->size : sizeof(info));
	return ret;
}
