/* SPDX-License-Identifier: BSD-2-Clause */
/* Mappings of an address space: map, unmap, copy, lookup, iteration. */
#include "as.h"

#include <errno.h>
#include <string.h>

#define MAP_MIN_SIZE (offsetof(struct ioas_map, addr) + sizeof(uint64_t))
#define COPY_MIN_SIZE (offsetof(struct ioas_copy, length) + sizeof(uint64_t))
#define PROT_KNOWN (IOAS_PROT_READ | IOAS_PROT_WRITE | IOAS_PROT_EXEC | \
		    IOAS_PROT_PRIV | IOAS_PROT_MMIO)

static int check_prot(uint32_t prot)
{
	if (prot & ~PROT_KNOWN)
		return -EOPNOTSUPP;
	if (!(prot & (IOAS_PROT_READ | IOAS_PROT_WRITE)))
		return -EINVAL;
	return 0;
}

/* Placement of a fixed range: inside one window, aligned to its smallest
 * page size together with addr, clear of reservations and mappings. */
static int check_fixed(const struct ioas_as *as, uint64_t iova, uint64_t last,
		       uint64_t length, uint64_t addr, struct as_window **win)
{
	struct as_window *w = as_window_find(as, iova);

	if (!w || last > w->r.last)
		return -EINVAL;
	if ((iova | length | addr) & (w->min_pgsize - 1))
		return -EINVAL;
	if (as_reserved_overlaps(as, iova, last))
		return -EINVAL;
	if (itree_first_overlap(&as->maps, iova, last))
		return -EEXIST;
	*win = w;
	return 0;
}

/* ---- listeners ---------------------------------------------------------------- */

void as_mapping_run(const struct as_mapping *m, uint64_t iova,
		    struct as_run *r)
{
	uint64_t base, first, last, pa;

	if (!m->backing) {
		r->start = m->node.start;
		r->last = m->node.last;
		r->pa = m->addr;
		return;
	}
	base = m->addr - m->backing->uaddr; /* the offset of node.start */
	mm_backing_stretch(m->backing, base + (iova - m->node.start), base,
			   base + (m->node.last - m->node.start), &first, &last,
			   &pa);
	r->start = m->node.start + (first - base);
	r->last = m->node.start + (last - base);
	r->pa = pa;
}

/* Feed every physically contiguous run of m to one listener (none to a
 * listener without map). On failure the runs already fed are unmapped
 * again. */
static int listener_map_one(struct as_listener *l, const struct as_mapping *m)
{
	uint64_t iova = m->node.start;

	if (!l->ops->map)
		return 0;
	for (;;) {
		struct as_run run;
		int ret;

		as_mapping_run(m, iova, &run);
		ret = l->ops->map(l, iova, run.last, run.pa + (iova - run.start),
				  m->prot);
		if (ret) {
			if (iova != m->node.start)
				l->ops->unmap(l, m->node.start, iova - 1);
			return ret;
		}
		if (run.last >= m->node.last)
			return 0;
		iova = run.last + 1;
	}
}

/* The locks of the listeners that read the tree (as_listener_ops). */
static void listener_lock(struct as_listener *l)
{
	if (l->ops->lock)
		l->ops->lock(l);
}

static void listener_unlock(struct as_listener *l)
{
	if (l->ops->unlock)
		l->ops->unlock(l);
}

static void listeners_lock(struct ioas_as *as)
{
	for (struct as_listener *l = as->listeners; l; l = l->next)
		listener_lock(l);
}

static void listeners_unlock(struct ioas_as *as)
{
	for (struct as_listener *l = as->listeners; l; l = l->next)
		listener_unlock(l);
}

/* Mirror m into every listener, all or nothing. */
static int listeners_map(struct ioas_as *as, const struct as_mapping *m)
{
	for (struct as_listener *l = as->listeners; l; l = l->next) {
		int ret = listener_map_one(l, m);

		if (ret) {
			for (struct as_listener *u = as->listeners; u != l;
			     u = u->next)
				if (u->ops->map)
					u->ops->unmap(u, m->node.start,
						      m->node.last);
			return ret;
		}
	}
	return 0;
}

static void listeners_unmap(struct ioas_as *as, const struct as_mapping *m)
{
	for (struct as_listener *l = as->listeners; l; l = l->next)
		l->ops->unmap(l, m->node.start, m->node.last);
}

int as_listener_attach(struct ioas_as *as, struct as_listener *l)
{
	struct itree_node *n;
	int ret = 0;

	listener_lock(l);
	for (n = itree_first(&as->maps); n; n = itree_next(n)) {
		ret = listener_map_one(l, as_mapping_of(n));
		if (ret) {
			for (struct itree_node *u = itree_first(&as->maps);
			     u != n; u = itree_next(u))
				l->ops->unmap(l, u->start, u->last);
			break;
		}
	}
	if (!ret) {
		l->next = as->listeners;
		as->listeners = l;
	}
	listener_unlock(l);
	return ret;
}

void as_listener_detach(struct ioas_as *as, struct as_listener *l)
{
	struct as_listener **pp;

	listener_lock(l);
	for (pp = &as->listeners; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	for (struct itree_node *n = itree_first(&as->maps); n; n = itree_next(n))
		l->ops->unmap(l, n->start, n->last);
	l->next = NULL;
	listener_unlock(l);
}

#define AS_SPARE_MAX 64

/* A zeroed mapping: a spare one if any (still subject to fault injection),
 * else a new one. */
static struct as_mapping *mapping_alloc(struct ioas_as *as)
{
	struct as_mapping *m = as_mapping_of(as->spare);

	if (!m)
		return ctx_zalloc(as->ctx, sizeof(*m));
	if (ctx_fail_injected(as->ctx))
		return NULL;
	as->spare = m->node.parent;
	as->nr_spare--;
	memset(m, 0, sizeof(*m));
	return m;
}

static void mapping_free(struct ioas_as *as, struct as_mapping *m)
{
	if (as->nr_spare == AS_SPARE_MAX) {
		ctx_free(as->ctx, m, sizeof(*m));
		return;
	}
	m->node.parent = as->spare;
	as->spare = &m->node;
	as->nr_spare++;
}

void as_spares_free(struct ioas_as *as)
{
	while (as->spare) {
		struct as_mapping *m = as_mapping_of(as->spare);

		as->spare = m->node.parent;
		ctx_free(as->ctx, m, sizeof(*m));
	}
	as->nr_spare = 0;
}

/* Both with the listeners locked. */
static void mapping_insert(struct ioas_as *as, struct as_mapping *m)
{
	(void)itree_insert(&as->maps, &m->node);
	m->win->nmappings++;
	as->mapped_bytes += m->node.last - m->node.start + 1;
}

static void mapping_remove(struct ioas_as *as, struct as_mapping *m)
{
	/* out of the tree first: a listener reading it stops finding m
	 * before it invalidates what it cached of m */
	itree_remove(&as->maps, &m->node);
	listeners_unmap(as, m);
	m->win->nmappings--;
	as->mapped_bytes -= m->node.last - m->node.start + 1;
	if (m->backing)
		mm_backing_put(m->backing);
	mapping_free(as, m);
}

/* The rest of a map whose arguments are checked and whose place, w and
 * [map->iova, last], is free: pin or find its memory, mirror it into every
 * listener and insert it, all or nothing. */
static int map_placed(struct ioas_as *as, const struct ioas_map *map,
		      uint64_t last, struct as_window *w)
{
	struct mm_backing *b = NULL;
	struct as_mapping *m;
	bool write = map->prot & IOAS_PROT_WRITE;
	int ret;

	if (!(map->flags & IOAS_MAP_PHYS) && as->pin_mode == IOAS_PIN_PREREG) {
		b = mm_find_reg(as->mm, map->addr, map->length);
		if (!b)
			return -EFAULT;
		if (write && (b->flags & IOAS_REG_READONLY))
			return -EPERM;
	}
	m = mapping_alloc(as);
	if (!m)
		return -ENOMEM;
	if (!(map->flags & IOAS_MAP_PHYS) && as->pin_mode == IOAS_PIN_ON_MAP) {
		ret = mm_pin_backing(as->mm, map->addr, map->length, write, &b);
		if (ret) {
			mapping_free(as, m);
			return ret;
		}
	}
	m->node.start = map->iova;
	m->node.last = last;
	m->backing = b;
	m->addr = map->addr;
	m->prot = map->prot;
	m->flags = map->flags & IOAS_MAP_PHYS;
	m->win = w;
	listeners_lock(as);
	ret = as->listeners ? listeners_map(as, m) : 0;
	if (!ret) {
		if (b)
			mm_backing_get(b);
		mapping_insert(as, m);
	}
	listeners_unlock(as);
	if (ret) {
		if (b && !b->registered)
			mm_backing_discard(b);
		mapping_free(as, m);
	}
	return ret;
}

int ioas_as_map(struct ioas_as *as, struct ioas_map *umap)
{
	struct ioas_map map;
	struct as_window *w = NULL;
	uint64_t last, alast;
	int ret;

	if (!as || !umap)
		return -EINVAL;
	ret = struct_copy_in(&map, sizeof(map), umap, umap->size, MAP_MIN_SIZE);
	if (ret)
		return ret;
	if (map.flags & ~(IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS))
		return -EOPNOTSUPP;
	ret = check_prot(map.prot);
	if (ret)
		return ret;
	if (map.reserved || !map.length)
		return -EINVAL;
	if ((map.flags & IOAS_MAP_FIXED_IOVA) &&
	    __builtin_add_overflow(map.iova, map.length - 1, &last))
		return -EOVERFLOW;
	if (__builtin_add_overflow(map.addr, map.length - 1, &alast))
		return -EOVERFLOW;

	if (map.flags & IOAS_MAP_FIXED_IOVA) {
		ret = check_fixed(as, map.iova, last, map.length, map.addr, &w);
	} else {
		ret = as_alloc_iova(as, map.length, map.addr,
				    map.length | map.addr, &map.iova);
		if (!ret) {
			last = map.iova + map.length - 1;
			w = as_window_find(as, map.iova);
		}
	}
	if (ret)
		return ret;
	ret = map_placed(as, &map, last, w);
	if (!ret && !(map.flags & IOAS_MAP_FIXED_IOVA))
		umap->iova = map.iova;
	return ret;
}

int as_map_phys(struct ioas_as *as, uint64_t iova, uint64_t last,
		uint64_t pa, uint32_t prot)
{
	struct ioas_map map = {
		.size = sizeof(map), .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
		.prot = prot, .iova = iova, .length = last - iova + 1,
		.addr = pa,
	};
	struct as_window *w;
	uint64_t alast;
	int ret = check_prot(prot);

	if (ret)
		return ret;
	if (iova > last || !map.length) /* all 2^64 bytes: no length */
		return -EINVAL;
	if (__builtin_add_overflow(pa, map.length - 1, &alast))
		return -EOVERFLOW;
	ret = check_fixed(as, iova, last, map.length, pa, &w);
	return ret ? ret : map_placed(as, &map, last, w);
}

int ioas_as_unmap(struct ioas_as *as, uint64_t iova, uint64_t last,
		  uint64_t *unmapped)
{
	struct itree_node *n, *first;
	uint64_t bytes = 0;

	if (!as || iova > last)
		return -EINVAL;
	/* First pass: every mapping touched must be wholly inside. */
	first = itree_first_overlap(&as->maps, iova, last);
	if (!first)
		return -ENOENT;
	for (n = first; n && n->start <= last; n = itree_next(n)) {
		if (n->start < iova || n->last > last)
			return -ENOENT;
		bytes += n->last - n->start + 1;
	}
	/* Second pass: remove; cannot fail. */
	listeners_lock(as);
	for (n = first; n && n->start <= last;) {
		struct itree_node *next = itree_next(n);

		mapping_remove(as, as_mapping_of(n));
		n = next;
	}
	listeners_unlock(as);
	if (unmapped)
		*unmapped = bytes;
	return 0;
}

uint64_t ioas_as_unmap_all(struct ioas_as *as)
{
	uint64_t bytes = as->mapped_bytes;
	struct itree_node *n;

	listeners_lock(as);
	while ((n = itree_first(&as->maps)))
		mapping_remove(as, as_mapping_of(n));
	listeners_unlock(as);
	return bytes;
}

/* ---- copy ------------------------------------------------------------------------ */

static bool backing_readonly(const struct as_mapping *m)
{
	return m->backing && (m->backing->flags & IOAS_REG_READONLY);
}

int ioas_as_copy(struct ioas_as *dst, const struct ioas_as *src,
		 struct ioas_copy *ucopy)
{
	struct ioas_copy cp;
	struct as_mapping **pieces = NULL;
	struct itree_node *n, *first;
	uint64_t src_last, dst_last = 0, cur, granule_or;
	size_t k = 0;
	bool ro = false;
	int ret;

	if (!dst || !src || !ucopy)
		return -EINVAL;
	if (dst->mm != src->mm)
		return -EXDEV;
	ret = struct_copy_in(&cp, sizeof(cp), ucopy, ucopy->size, COPY_MIN_SIZE);
	if (ret)
		return ret;
	if (cp.flags & ~IOAS_MAP_FIXED_IOVA)
		return -EOPNOTSUPP;
	ret = check_prot(cp.prot);
	if (ret)
		return ret;
	if (cp.reserved || !cp.length)
		return -EINVAL;
	if (__builtin_add_overflow(cp.src_iova, cp.length - 1, &src_last))
		return -EOVERFLOW;
	if ((cp.flags & IOAS_MAP_FIXED_IOVA) &&
	    __builtin_add_overflow(cp.dst_iova, cp.length - 1, &dst_last))
		return -EOVERFLOW;

	/* The source must be covered without holes; count the pieces and
	 * gather what the destination's alignment must respect. */
	first = itree_find(&src->maps, cp.src_iova);
	if (!first)
		return -ENOENT;
	cur = cp.src_iova;
	granule_or = cp.length;
	for (n = first;;) {
		const struct as_mapping *m = as_mapping_of(n);
		uint64_t plast = n->last < src_last ? n->last : src_last;

		granule_or |= (m->addr + (cur - n->start)) | (plast - cur + 1);
		ro |= backing_readonly(m);
		k++;
		if (n->last >= src_last)
			break;
		cur = n->last + 1;
		n = itree_next(n);
		if (!n || n->start != cur)
			return -ENOENT;
	}

	/* Placement in the destination: the whole range in one window, as a
	 * map of it would be, then each piece's own alignment. */
	if (cp.flags & IOAS_MAP_FIXED_IOVA) {
		const struct as_window *dw = as_window_find(dst, cp.dst_iova);
		uint64_t off = 0;

		if (!dw || dst_last > dw->r.last)
			return -EINVAL;

		for (n = first; off < cp.length; n = itree_next(n)) {
			uint64_t pstart = n == first ? cp.src_iova : n->start;
			uint64_t plast = n->last < src_last ? n->last : src_last;
			uint64_t len = plast - pstart + 1;
			const struct as_mapping *m = as_mapping_of(n);
			struct as_window *w;

			ret = check_fixed(dst, cp.dst_iova + off,
					  cp.dst_iova + off + len - 1, len,
					  m->addr + (pstart - n->start), &w);
			if (ret)
				return ret;
			off += len;
		}
	} else {
		ret = as_alloc_iova(dst, cp.length, as_mapping_of(first)->addr +
					(cp.src_iova - first->start),
				    granule_or, &cp.dst_iova);
		if (ret)
			return ret;
	}
	if ((cp.prot & IOAS_PROT_WRITE) && ro)
		return -EPERM;

	/* Allocate every new mapping (and the private pins of pin-on-map
	 * pieces) before changing anything; src may be dst. */
	pieces = ctx_zalloc(dst->ctx, k * sizeof(*pieces));
	if (!pieces)
		return -ENOMEM;
	n = first;
	for (size_t i = 0; i < k; i++, n = itree_next(n)) {
		const struct as_mapping *m = as_mapping_of(n);
		uint64_t pstart = i == 0 ? cp.src_iova : n->start;
		uint64_t plast = n->last < src_last ? n->last : src_last;
		struct as_mapping *p = mapping_alloc(dst);

		if (p && m->backing && !m->backing->registered &&
		    mm_sub_backing(m->backing,
				   m->addr - m->backing->uaddr +
					   (pstart - n->start),
				   plast - pstart + 1, &p->backing)) {
			mapping_free(dst, p);
			p = NULL;
		}
		if (!p) {
			while (i--) {
				if (pieces[i]->backing &&
				    !pieces[i]->backing->registered)
					mm_backing_discard(pieces[i]->backing);
				mapping_free(dst, pieces[i]);
			}
			ctx_free(dst->ctx, pieces, k * sizeof(*pieces));
			return -ENOMEM;
		}
		if (m->backing && m->backing->registered)
			p->backing = m->backing;
		p->node.start = cp.dst_iova + (pstart - cp.src_iova);
		p->node.last = p->node.start + (plast - pstart);
		p->addr = m->addr + (pstart - n->start);
		p->prot = cp.prot;
		p->flags = m->flags;
		pieces[i] = p;
	}
	listeners_lock(dst);
	for (size_t i = 0; i < k; i++) {
		pieces[i]->win = as_window_find(dst, pieces[i]->node.start);
		ret = dst->listeners ? listeners_map(dst, pieces[i]) : 0;
		if (ret) {
			for (size_t j = 0; j < i; j++)
				listeners_unmap(dst, pieces[j]);
			listeners_unlock(dst);
			for (size_t j = 0; j < k; j++) {
				if (pieces[j]->backing &&
				    !pieces[j]->backing->registered)
					mm_backing_discard(pieces[j]->backing);
				mapping_free(dst, pieces[j]);
			}
			ctx_free(dst->ctx, pieces, k * sizeof(*pieces));
			return ret;
		}
	}
	for (size_t i = 0; i < k; i++) {
		if (pieces[i]->backing)
			mm_backing_get(pieces[i]->backing);
		mapping_insert(dst, pieces[i]);
	}
	listeners_unlock(dst);
	ctx_free(dst->ctx, pieces, k * sizeof(*pieces));
	if (!(cp.flags & IOAS_MAP_FIXED_IOVA))
		ucopy->dst_iova = cp.dst_iova;
	return 0;
}

/* ---- lookups ------------------------------------------------------------------ */

int ioas_as_for_each(const struct ioas_as *as, uint64_t start, uint64_t last,
		     int (*fn)(void *opaque, const struct ioas_mapping_info *m),
		     void *opaque)
{
	for (struct itree_node *n = itree_first_overlap(&as->maps, start, last);
	     n && n->start <= last; n = itree_next(n)) {
		const struct as_mapping *m = as_mapping_of(n);
		struct ioas_mapping_info info = {
			.iova = n->start,
			.last = n->last,
			.addr = m->addr,
			.prot = m->prot,
			.flags = m->flags,
		};
		int ret = fn(opaque, &info);

		if (ret)
			return ret;
	}
	return 0;
}

int64_t ioas_as_lookup(const struct ioas_as *as, uint64_t iova, uint64_t *pa,
		       uint32_t *prot)
{
	struct itree_node *n = itree_find(&as->maps, iova);
	const struct as_mapping *m;
	struct as_run run;
	uint64_t left_m1, contig;

	if (!n)
		return -ENOENT;
	m = as_mapping_of(n);
	as_mapping_run(m, iova, &run);
	*pa = run.pa + (iova - run.start);
	left_m1 = run.last - iova; /* bytes left - 1: never overflows */
	contig = left_m1 == UINT64_MAX ? UINT64_MAX : left_m1 + 1;
	if (prot)
		*prot = m->prot;
	return contig > INT64_MAX ? INT64_MAX : (int64_t)contig;
}
