/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The registry: registrations, pinning and locked-memory accounting.
 *
 * Accounting dedups pages with a tree of pin segments: disjoint page-aligned
 * uaddr ranges, each with the number of pins (registrations and pin-on-map
 * backings) covering it. A pin splits segments at its two edges and fills
 * the gaps between them with new segments; only the gap bytes are charged.
 * Because segments are never merged, an unpin finds its range tiled exactly
 * by segments and only decrements and frees: it cannot fail or allocate.
 */
#include "mm.h"

#include <errno.h>
#include <string.h>

struct pin_seg {
	struct itree_node node;
	uint64_t count;
};

int ioas_mm_create(struct ioas_ctx *ctx, struct ioas_phys *phys,
		   struct ioas_mm **out)
{
	struct ioas_mm *mm;

	if (!ctx || !phys || !out || phys->ctx != ctx)
		return -EINVAL;
	mm = ctx_zalloc(ctx, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	mm->ctx = ctx;
	mm->phys = phys;
	itree_init(&mm->pins);
	itree_set_gaps(&mm->pins, false); /* never searched for free space */
	ctx_get(ctx);
	*out = mm;
	return 0;
}

/* ---- pin segments ---------------------------------------------------------- */

static struct pin_seg *seg_of(struct itree_node *n)
{
	return n ? itree_entry(n, struct pin_seg, node) : NULL;
}

/* Move a segment's start or last: remove and reinsert so the tree's cached
 * spans and gaps stay right. Cannot collide: the caller shrinks it. */
static void seg_reshape(struct ioas_mm *mm, struct pin_seg *s, uint64_t start,
			uint64_t last)
{
	itree_remove(&mm->pins, &s->node);
	s->node.start = start;
	s->node.last = last;
	(void)itree_insert(&mm->pins, &s->node);
}

static void seg_insert(struct ioas_mm *mm, struct pin_seg *s, uint64_t start,
		       uint64_t last, uint64_t count)
{
	s->node.start = start;
	s->node.last = last;
	s->count = count;
	(void)itree_insert(&mm->pins, &s->node);
}

/* Pin [a, b] (page aligned, b = end - 1): all or nothing. */
static int mm_pin(struct ioas_mm *mm, uint64_t a, uint64_t b)
{
	struct pin_seg *spare[64], **pool = spare;
	size_t need = 0, used = 0, pool_cap = 64;
	uint64_t newbytes = 0, cur = a;
	struct itree_node *n;
	int ret = -ENOMEM;

	/* Phase 1: count the nodes the edges and gaps need and the bytes no
	 * segment covers yet. */
	bool covered = false;

	n = itree_first_overlap(&mm->pins, a, b);
	if (n && n->start < a)
		need++; /* split at a */
	for (; n && n->start <= b; n = itree_next(n)) {
		if (n->start > cur) {
			need++;
			newbytes += n->start - cur;
		}
		if (n->last > b)
			need++; /* split at b */
		if (n->last >= b) {
			covered = true;
			break;
		}
		cur = n->last + 1;
	}
	if (!covered) {
		need++;
		newbytes += b - cur + 1;
	}

	/* Phase 2: charge and allocate; undo on failure. */
	if (need > pool_cap) {
		pool = ctx_zalloc(mm->ctx, need * sizeof(*pool));
		if (!pool)
			return -ENOMEM;
		pool_cap = need;
	}
	for (size_t i = 0; i < need; i++) {
		pool[i] = ctx_zalloc(mm->ctx, sizeof(struct pin_seg));
		if (!pool[i]) {
			while (i--)
				ctx_free(mm->ctx, pool[i], sizeof(struct pin_seg));
			goto out;
		}
	}
	ret = ctx_account(mm->ctx, newbytes);
	if (ret) {
		for (size_t i = 0; i < need; i++)
			ctx_free(mm->ctx, pool[i], sizeof(struct pin_seg));
		goto out;
	}

	/* Phase 3: apply; nothing can fail from here. */
	n = itree_first_overlap(&mm->pins, a, b);
	if (n && n->start < a) {
		struct pin_seg *s = seg_of(n);
		uint64_t old_last = n->last;

		seg_reshape(mm, s, n->start, a - 1);
		seg_insert(mm, pool[used++], a, old_last, s->count);
		n = itree_first_overlap(&mm->pins, a, b);
	}
	cur = a;
	while (cur <= b) {
		struct pin_seg *s = seg_of(n);

		if (!n || n->start > b) {
			seg_insert(mm, pool[used++], cur, b, 1);
			break;
		}
		if (n->start > cur) {
			seg_insert(mm, pool[used++], cur, n->start - 1, 1);
			cur = n->start;
			continue;
		}
		if (n->last > b) {
			uint64_t old_last = n->last;

			seg_reshape(mm, s, n->start, b);
			seg_insert(mm, pool[used++], b + 1, old_last, s->count);
		}
		s->count++;
		if (n->last >= b)
			break;
		cur = n->last + 1;
		n = itree_next(n);
	}
	mm->pinned_bytes += newbytes;
	ret = 0;
out:
	if (pool != spare)
		ctx_free(mm->ctx, pool, pool_cap * sizeof(*pool));
	return ret;
}

/* Unpin [a, b], which an earlier mm_pin pinned. Never fails. */
static void mm_unpin(struct ioas_mm *mm, uint64_t a, uint64_t b)
{
	struct itree_node *n = itree_first_overlap(&mm->pins, a, b);
	uint64_t freed = 0;

	while (n && n->start <= b) {
		struct itree_node *next = itree_next(n);
		struct pin_seg *s = seg_of(n);

		if (--s->count == 0) {
			freed += n->last - n->start + 1;
			itree_remove(&mm->pins, n);
			ctx_free(mm->ctx, s, sizeof(*s));
		}
		n = next;
	}
	mm->pinned_bytes -= freed;
	ctx_unaccount(mm->ctx, freed);
}

/* ---- resolution -------------------------------------------------------------- */

/* The RAM region whose host memory holds uaddr (lowest base wins when
 * regions alias the same host memory). */
static const struct phys_region *host_region(const struct ioas_phys *phys,
					     uint64_t uaddr)
{
	for (size_t i = 0; i < phys->count; i++) {
		const struct phys_region *r = phys->regions[i];
		uintptr_t h = (uintptr_t)r->host;

		if (r->kind != IOAS_PHYS_RAM || !h)
			continue;
		if (uaddr >= h && uaddr - h <= r->last - r->base)
			return r;
	}
	return NULL;
}

/*
 * Resolve [uaddr, uaddr + len - 1] into physically contiguous extents.
 * linear: from pa_base on; else through host addresses. *out is an array
 * of *alloc_nr entries, *nr of them used; regions are not yet pinned.
 * With write, read-only RAM gives -EACCES.
 */
static int resolve(const struct ioas_mm *mm, uint64_t uaddr, uint64_t len,
		   bool linear, uint64_t pa_base, bool write,
		   struct mm_extent **out, size_t *nr, size_t *alloc_nr)
{
	struct mm_extent *ext = NULL;
	size_t n = 0, cap = 0;
	uint64_t off = 0;

	while (off < len) {
		const struct phys_region *r;
		uint64_t pa, take;

		if (linear) {
			pa = pa_base + off;
			r = phys_find(mm->phys, pa);
			if (!r || r->kind != IOAS_PHYS_RAM)
				goto fault;
		} else {
			r = host_region(mm->phys, uaddr + off);
			if (!r)
				goto fault;
			pa = r->base + (uaddr + off - (uintptr_t)r->host);
		}
		if (write && (r->flags & IOAS_PHYS_F_READONLY)) {
			ctx_free(mm->ctx, ext, cap * sizeof(*ext));
			return -EACCES;
		}
		take = r->last - pa;
		take = take >= len - off - 1 ? len - off : take + 1;
		if (n && ext[n - 1].pa + ext[n - 1].len == pa &&
		    ext[n - 1].region == r) {
			ext[n - 1].len += take;
		} else {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 2;
				struct mm_extent *e =
					ctx_zalloc(mm->ctx, ncap * sizeof(*e));
				if (!e) {
					ctx_free(mm->ctx, ext, cap * sizeof(*ext));
					return -ENOMEM;
				}
				if (n)
					memcpy(e, ext, n * sizeof(*e));
				ctx_free(mm->ctx, ext, cap * sizeof(*ext));
				ext = e;
				cap = ncap;
			}
			ext[n].off = off;
			ext[n].len = take;
			ext[n].pa = pa;
			ext[n].region = r;
			n++;
		}
		off += take;
	}
	*out = ext;
	*nr = n;
	*alloc_nr = cap;
	return 0;
fault:
	ctx_free(mm->ctx, ext, cap * sizeof(*ext));
	return -EFAULT;
}

int64_t ioas_mm_resolve(const struct ioas_mm *mm, uint64_t uaddr,
			uint64_t length, uint64_t *pa)
{
	uint64_t last, done = 0, first_pa = 0;
	uint64_t mask = ioas_ctx_page_size(mm->ctx) - 1;

	if (!length || ((uaddr | length) & mask))
		return -EINVAL;
	if (__builtin_add_overflow(uaddr, length - 1, &last))
		return -EOVERFLOW;
	/* Follow the run across regions while both the host address and the
	 * physical address continue where the previous region stopped. */
	while (done < length) {
		const struct phys_region *r = host_region(mm->phys, uaddr + done);
		uint64_t p, avail_m1;

		if (!r)
			break;
		p = r->base + (uaddr + done - (uintptr_t)r->host);
		if (done && p != first_pa + done)
			break;
		if (!done)
			first_pa = p;
		avail_m1 = r->last - p;
		if (avail_m1 >= length - done - 1) {
			done = length;
			break;
		}
		done += avail_m1 + 1;
	}
	if (!done)
		return -EFAULT;
	/* The rest must resolve too, as a pin-on-map of the range would. */
	for (uint64_t off = done; off < length;) {
		const struct phys_region *r = host_region(mm->phys, uaddr + off);
		uint64_t p, avail_m1;

		if (!r)
			return -EFAULT;
		p = r->base + (uaddr + off - (uintptr_t)r->host);
		avail_m1 = r->last - p;
		if (avail_m1 >= length - off - 1)
			break;
		off += avail_m1 + 1;
	}
	*pa = first_pa;
	return done > INT64_MAX ? INT64_MAX : (int64_t)done;
}

/* ---- backings ---------------------------------------------------------------- */

static void backing_free(struct mm_backing *b)
{
	struct ioas_mm *mm = b->mm;

	for (size_t i = 0; i < b->nr_extents; i++)
		phys_region_put(b->extents[i].region);
	ctx_free(mm->ctx, b->extents, b->nr_extents * sizeof(*b->extents));
	ctx_free(mm->ctx, b, sizeof(*b));
}

/* Build a pinned backing: resolve, allocate, pin. All or nothing. */
static int backing_create(struct ioas_mm *mm, uint64_t uaddr, uint64_t len,
			  uint32_t flags, uint64_t pa, struct mm_backing **out)
{
	bool write = !(flags & IOAS_REG_READONLY);
	struct mm_extent *ext;
	struct mm_backing *b;
	size_t n, cap;
	int ret;

	ret = resolve(mm, uaddr, len, flags & IOAS_REG_LINEAR, pa, write, &ext,
		      &n, &cap);
	if (ret)
		return ret;
	b = ctx_zalloc(mm->ctx, sizeof(*b));
	if (!b) {
		ret = -ENOMEM;
		goto err_ext;
	}
	/* Keep the extents array exactly sized so frees know its length. */
	if (n != cap) {
		struct mm_extent *e = ctx_zalloc(mm->ctx, n * sizeof(*e));
		if (!e) {
			ret = -ENOMEM;
			goto err_b;
		}
		memcpy(e, ext, n * sizeof(*e));
		ctx_free(mm->ctx, ext, cap * sizeof(*ext));
		ext = e;
		cap = n;
	}
	ret = mm_pin(mm, uaddr, uaddr + len - 1);
	if (ret)
		goto err_b;
	b->mm = mm;
	b->uaddr = uaddr;
	b->length = len;
	b->flags = flags & (IOAS_REG_READONLY | IOAS_REG_LINEAR);
	b->extents = ext;
	b->nr_extents = n;
	for (size_t i = 0; i < b->nr_extents; i++)
		phys_region_get(ext[i].region);
	*out = b;
	return 0;
err_b:
	ctx_free(mm->ctx, b, sizeof(*b));
err_ext:
	ctx_free(mm->ctx, ext, cap * sizeof(*ext));
	return ret;
}

static void backing_release(struct mm_backing *b)
{
	mm_unpin(b->mm, b->uaddr, b->uaddr + b->length - 1);
	backing_free(b);
}

void mm_backing_put(struct mm_backing *b)
{
	if (--b->refs == 0 && !b->registered)
		backing_release(b);
}

void mm_backing_discard(struct mm_backing *b)
{
	backing_release(b);
}

int mm_pin_backing(struct ioas_mm *mm, uint64_t uaddr, uint64_t len,
		   bool write, struct mm_backing **out)
{
	int ret = backing_create(mm, uaddr, len, write ? 0 : IOAS_REG_READONLY,
				 0, out);

	return ret == -EACCES ? -EPERM : ret;
}

int mm_sub_backing(struct mm_backing *src, uint64_t off, uint64_t len,
		   struct mm_backing **out)
{
	struct ioas_mm *mm = src->mm;
	struct mm_backing *b;
	struct mm_extent *ext;
	uint64_t last = off + len - 1;
	size_t first = 0, n = 0;
	int ret;

	/* The extents that intersect [off, last], clipped to it. */
	while (src->extents[first].off + src->extents[first].len <= off)
		first++;
	for (size_t i = first; i < src->nr_extents &&
			       src->extents[i].off <= last; i++)
		n++;
	b = ctx_zalloc(mm->ctx, sizeof(*b));
	ext = ctx_zalloc(mm->ctx, n * sizeof(*ext));
	if (!b || !ext) {
		ret = -ENOMEM;
		goto err;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mm_extent *e = &src->extents[first + i];
		uint64_t lo = e->off > off ? e->off : off;
		uint64_t hi = e->off + e->len - 1 < last ? e->off + e->len - 1
							  : last;

		ext[i].off = lo - off;
		ext[i].len = hi - lo + 1;
		ext[i].pa = e->pa + (lo - e->off);
		ext[i].region = e->region;
	}
	/* Every page is pinned by src already: this charges nothing, but it
	 * may split pin segments, which allocates. */
	ret = mm_pin(mm, src->uaddr + off, src->uaddr + last);
	if (ret)
		goto err;
	b->mm = mm;
	b->uaddr = src->uaddr + off;
	b->length = len;
	b->flags = src->flags;
	b->extents = ext;
	b->nr_extents = n;
	for (size_t i = 0; i < n; i++)
		phys_region_get(ext[i].region);
	*out = b;
	return 0;
err:
	ctx_free(mm->ctx, ext, n * sizeof(*ext));
	ctx_free(mm->ctx, b, sizeof(*b));
	return ret;
}

/* The index of the last extent whose off is <= off. */
static size_t extent_index(const struct mm_backing *b, uint64_t off)
{
	size_t lo = 0, hi = b->nr_extents;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->extents[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void mm_backing_stretch(const struct mm_backing *b, uint64_t off,
			uint64_t lo, uint64_t hi, uint64_t *first,
			uint64_t *last, uint64_t *pa)
{
	size_t i = extent_index(b, off), j = i;
	const struct mm_extent *x = b->extents;

	/* extents split at region edges; a stretch may run on across them */
	while (i > 0 && x[i - 1].off + x[i - 1].len > lo &&
	       x[i - 1].pa + x[i - 1].len == x[i].pa)
		i--;
	while (j + 1 < b->nr_extents && x[j].off + x[j].len - 1 < hi &&
	       x[j].pa + x[j].len == x[j + 1].pa)
		j++;
	*first = x[i].off > lo ? x[i].off : lo;
	*last = x[j].off + x[j].len - 1 < hi ? x[j].off + x[j].len - 1 : hi;
	*pa = x[i].pa + (*first - x[i].off);
}

/* ---- registrations ------------------------------------------------------------ */

/* Index where (uaddr, length) sorts: first registration not less than it. */
static size_t reg_index(const struct ioas_mm *mm, uint64_t uaddr, uint64_t len)
{
	size_t lo = 0, hi = mm->nr_regs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mm_backing *r = mm->regs[mid];

		if (r->uaddr < uaddr || (r->uaddr == uaddr && r->length < len))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct mm_backing *mm_find_reg(const struct ioas_mm *mm, uint64_t uaddr,
			       uint64_t len)
{
	uint64_t last = uaddr + len - 1;

	/* Sorted by (uaddr, length): the first that contains the range is the
	 * lowest uaddr, then the shortest. Registrations are few (one per
	 * RAM block), so a scan of those starting at or below uaddr is fine. */
	for (size_t i = 0; i < mm->nr_regs && mm->regs[i]->uaddr <= uaddr; i++) {
		struct mm_backing *r = mm->regs[i];

		if (last - r->uaddr <= r->length - 1)
			return r;
	}
	return NULL;
}

#define REG_MIN_SIZE (offsetof(struct ioas_reg, phys) + sizeof(uint64_t))

int ioas_mm_register(struct ioas_mm *mm, const struct ioas_reg *ureg)
{
	struct ioas_reg reg;
	struct mm_backing *b;
	uint64_t mask, last, plast;
	size_t idx;
	int ret;

	if (!mm || !ureg)
		return -EINVAL;
	ret = struct_copy_in(&reg, sizeof(reg), ureg, ureg->size, REG_MIN_SIZE);
	if (ret)
		return ret;
	if (reg.flags & ~(IOAS_REG_LINEAR | IOAS_REG_READONLY))
		return -EOPNOTSUPP;
	mask = ioas_ctx_page_size(mm->ctx) - 1;
	if (!reg.length || ((reg.uaddr | reg.length | reg.phys) & mask))
		return -EINVAL;
	if (reg.phys && !(reg.flags & IOAS_REG_LINEAR))
		return -EINVAL;
	if (__builtin_add_overflow(reg.uaddr, reg.length - 1, &last) ||
	    __builtin_add_overflow(reg.phys, reg.length - 1, &plast))
		return -EOVERFLOW;
	idx = reg_index(mm, reg.uaddr, reg.length);
	if (idx < mm->nr_regs && mm->regs[idx]->uaddr == reg.uaddr &&
	    mm->regs[idx]->length == reg.length)
		return -EEXIST;

	if (mm->nr_regs == mm->cap_regs) {
		size_t ncap = mm->cap_regs ? mm->cap_regs * 2 : 8;
		struct mm_backing **n = ctx_zalloc(mm->ctx, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		if (mm->nr_regs)
			memcpy(n, mm->regs, mm->nr_regs * sizeof(*n));
		ctx_free(mm->ctx, mm->regs, mm->cap_regs * sizeof(*n));
		mm->regs = n;
		mm->cap_regs = ncap;
	}
	ret = backing_create(mm, reg.uaddr, reg.length, reg.flags, reg.phys, &b);
	if (ret)
		return ret;
	b->registered = true;
	memmove(&mm->regs[idx + 1], &mm->regs[idx],
		(mm->nr_regs - idx) * sizeof(*mm->regs));
	mm->regs[idx] = b;
	mm->nr_regs++;
	return 0;
}

int ioas_mm_unregister(struct ioas_mm *mm, uint64_t uaddr, uint64_t length)
{
	size_t idx;
	struct mm_backing *b;

	if (!mm)
		return -EINVAL;
	idx = reg_index(mm, uaddr, length);
	if (idx >= mm->nr_regs || mm->regs[idx]->uaddr != uaddr ||
	    mm->regs[idx]->length != length)
		return -ENOENT;
	b = mm->regs[idx];
	if (b->refs)
		return -EBUSY;
	memmove(&mm->regs[idx], &mm->regs[idx + 1],
		(mm->nr_regs - idx - 1) * sizeof(*mm->regs));
	mm->nr_regs--;
	b->registered = false;
	backing_release(b);
	return 0;
}

int ioas_mm_for_each(const struct ioas_mm *mm,
		     int (*fn)(void *opaque, const struct ioas_reg_info *info),
		     void *opaque)
{
	for (size_t i = 0; i < mm->nr_regs; i++) {
		const struct mm_backing *b = mm->regs[i];
		struct ioas_reg_info info = {
			.uaddr = b->uaddr,
			.length = b->length,
			.flags = b->flags,
			.mappings = b->refs,
		};
		int ret = fn(opaque, &info);

		if (ret)
			return ret;
	}
	return 0;
}

uint64_t ioas_mm_pinned_bytes(const struct ioas_mm *mm)
{
	return mm->pinned_bytes;
}

void ioas_mm_destroy(struct ioas_mm *mm)
{
	struct ioas_ctx *ctx;

	if (!mm)
		return;
	ctx = mm->ctx;
	/* Address spaces are gone, so no backing has references left. */
	for (size_t i = 0; i < mm->nr_regs; i++) {
		mm->regs[i]->registered = false;
		backing_release(mm->regs[i]);
	}
	ctx_free(ctx, mm->regs, mm->cap_regs * sizeof(*mm->regs));
	ctx_free(ctx, mm, sizeof(*mm));
	ctx_put(ctx);
}
