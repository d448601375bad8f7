/* SPDX-License-Identifier: BSD-2-Clause */
/* The physical address space: a sorted array of disjoint regions. Memory
 * maps are small (tens of regions) and change rarely, so a sorted array with
 * binary search beats a tree on the lookup path walkers use. */
#include "phys.h"

#include <errno.h>
#include <string.h>

int ioas_phys_create(struct ioas_ctx *ctx, struct ioas_phys **out)
{
	struct ioas_phys *phys;

	if (!ctx || !out)
		return -EINVAL;
	phys = ctx_zalloc(ctx, sizeof(*phys));
	if (!phys)
		return -ENOMEM;
	phys->ctx = ctx;
	ctx_get(ctx);
	*out = phys;
	return 0;
}

static void region_free(struct ioas_phys *phys, struct phys_region *r)
{
	if (r->owned)
		ctx_free(phys->ctx, r->host, (size_t)(r->last - r->base + 1));
	ctx_free(phys->ctx, r, sizeof(*r));
}

void ioas_phys_destroy(struct ioas_phys *phys)
{
	struct ioas_ctx *ctx;

	if (!phys)
		return;
	ctx = phys->ctx;
	for (size_t i = 0; i < phys->count; i++)
		region_free(phys, phys->regions[i]);
	ctx_free(ctx, phys->regions, phys->cap * sizeof(*phys->regions));
	ctx_free(ctx, phys, sizeof(*phys));
	ctx_put(ctx);
}

/* Index of the first region whose base is > pa. */
static size_t upper_index(const struct ioas_phys *phys, uint64_t pa)
{
	size_t lo = 0, hi = phys->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (phys->regions[mid]->base <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define PHYS_REGION_MIN_SIZE (offsetof(struct ioas_phys_region, mmio_opaque) + sizeof(void *))

int ioas_phys_add(struct ioas_phys *phys, const struct ioas_phys_region *ureg)
{
	struct ioas_phys_region reg;
	struct phys_region *r;
	uint64_t last;
	size_t idx;
	int ret;

	if (!phys || !ureg)
		return -EINVAL;
	ret = struct_copy_in(&reg, sizeof(reg), ureg, ureg->size,
			     PHYS_REGION_MIN_SIZE);
	if (ret)
		return ret;
	if (reg.flags & ~IOAS_PHYS_F_READONLY)
		return -EOPNOTSUPP;
	if (reg.reserved || !reg.length)
		return -EINVAL;
	if (reg.kind != IOAS_PHYS_RAM && reg.kind != IOAS_PHYS_MMIO)
		return -EINVAL;
	if (reg.kind == IOAS_PHYS_MMIO && reg.host)
		return -EINVAL;
	if (__builtin_add_overflow(reg.base, reg.length - 1, &last))
		return -EOVERFLOW;
	if (reg.kind == IOAS_PHYS_RAM && !reg.host) {
		uint64_t mask = ioas_ctx_page_size(phys->ctx) - 1;
		if ((reg.base | reg.length) & mask)
			return -EINVAL;
		if (reg.length > SIZE_MAX)
			return -ENOMEM;
	}

	/* Overlap: the region before the insertion point must end below base,
	 * the one after must start above last. */
	idx = upper_index(phys, reg.base);
	if (idx > 0 && phys->regions[idx - 1]->last >= reg.base)
		return -EEXIST;
	if (idx < phys->count && phys->regions[idx]->base <= last)
		return -EEXIST;

	if (phys->count == phys->cap) {
		size_t ncap = phys->cap ? phys->cap * 2 : 8;
		struct phys_region **n =
			ctx_zalloc(phys->ctx, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		if (phys->count)
			memcpy(n, phys->regions, phys->count * sizeof(*n));
		ctx_free(phys->ctx, phys->regions, phys->cap * sizeof(*n));
		phys->regions = n;
		phys->cap = ncap;
	}
	r = ctx_zalloc(phys->ctx, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (reg.kind == IOAS_PHYS_RAM && !reg.host) {
		r->host = ctx_alloc(phys->ctx, (size_t)reg.length, 4096);
		if (!r->host) {
			ctx_free(phys->ctx, r, sizeof(*r));
			return -ENOMEM;
		}
		r->owned = true;
	} else {
		r->host = reg.host;
	}
	r->base = reg.base;
	r->last = last;
	r->kind = reg.kind;
	r->flags = reg.flags;
	r->mmio = reg.mmio;
	r->mmio_opaque = reg.mmio_opaque;
	memmove(&phys->regions[idx + 1], &phys->regions[idx],
		(phys->count - idx) * sizeof(*phys->regions));
	phys->regions[idx] = r;
	phys->count++;
	return 0;
}

int ioas_phys_remove(struct ioas_phys *phys, uint64_t base)
{
	size_t idx;
	struct phys_region *r;

	if (!phys)
		return -EINVAL;
	idx = upper_index(phys, base);
	if (idx == 0 || phys->regions[idx - 1]->base != base)
		return -ENOENT;
	r = phys->regions[idx - 1];
	if (atomic_load(&r->users))
		return -EBUSY;
	memmove(&phys->regions[idx - 1], &phys->regions[idx],
		(phys->count - idx) * sizeof(*phys->regions));
	phys->count--;
	region_free(phys, r);
	return 0;
}

static void region_info(const struct phys_region *r, struct ioas_phys_info *out)
{
	out->kind = r->kind;
	out->flags = r->flags;
	out->range.start = r->base;
	out->range.last = r->last;
	out->host = r->kind == IOAS_PHYS_RAM ? r->host : NULL;
}

void ioas_phys_lookup(const struct ioas_phys *phys, uint64_t pa,
		      struct ioas_phys_info *out)
{
	size_t idx = upper_index(phys, pa);

	if (idx > 0 && phys->regions[idx - 1]->last >= pa) {
		region_info(phys->regions[idx - 1], out);
		return;
	}
	out->kind = IOAS_PHYS_HOLE;
	out->flags = 0;
	out->host = NULL;
	out->range.start = idx > 0 ? phys->regions[idx - 1]->last + 1 : 0;
	out->range.last = idx < phys->count ? phys->regions[idx]->base - 1
					    : UINT64_MAX;
}

/* Check that [pa, pa+len-1] is covered by regions that allow the access.
 * Returns the index of the region holding pa through *first. */
static int check_access(const struct ioas_phys *phys, uint64_t pa, size_t len,
			bool write, size_t *first)
{
	uint64_t last, cur = pa;
	size_t idx;

	if (__builtin_add_overflow(pa, (uint64_t)len - 1, &last))
		return -EOVERFLOW;
	idx = upper_index(phys, pa);
	if (idx == 0)
		return -EFAULT;
	idx--;
	*first = idx;
	for (;; idx++) {
		const struct phys_region *r;

		if (idx >= phys->count)
			return -EFAULT;
		r = phys->regions[idx];
		if (r->base > cur || r->last < cur)
			return -EFAULT;
		if (r->kind == IOAS_PHYS_MMIO &&
		    !(r->mmio && (write ? r->mmio->write != NULL
					    : r->mmio->read != NULL)))
			return -EFAULT;
		if (write && r->kind == IOAS_PHYS_RAM &&
		    (r->flags & IOAS_PHYS_F_READONLY))
			return -EACCES;
		if (r->last >= last)
			return 0;
		cur = r->last + 1;
	}
}

/* Move len bytes between buf and [pa, ...] once every byte is known to be
 * accessible: RAM by memcpy, MMIO through its callback. */
static int phys_copy(const struct ioas_phys *phys, uint64_t pa, void *buf,
		     size_t len, bool write)
{
	const struct phys_region *r0;
	uint8_t *p = buf;
	size_t idx;
	int ret;

	if (!len)
		return 0;
	/* the common case: inside one writable-enough RAM region */
	r0 = phys_find(phys, pa);
	if (r0 && r0->kind == IOAS_PHYS_RAM && len - 1 <= r0->last - pa &&
	    !(write && (r0->flags & IOAS_PHYS_F_READONLY))) {
		if (write)
			memcpy(r0->host + (pa - r0->base), p, len);
		else
			memcpy(p, r0->host + (pa - r0->base), len);
		return 0;
	}
	ret = check_access(phys, pa, len, write, &idx);
	if (ret)
		return ret;
	while (len) {
		const struct phys_region *r = phys->regions[idx++];
		uint64_t avail = r->last - pa;
		size_t n = avail >= len - 1 ? len : (size_t)avail + 1;

		if (r->kind == IOAS_PHYS_RAM) {
			if (write)
				memcpy(r->host + (pa - r->base), p, n);
			else
				memcpy(p, r->host + (pa - r->base), n);
		} else {
			ret = write ? r->mmio->write(r->mmio_opaque, pa, p, n)
				    : r->mmio->read(r->mmio_opaque, pa, p, n);
			if (ret)
				return ret;
		}
		p += n;
		len -= n;
		pa += n;
	}
	return 0;
}

int ioas_phys_read(const struct ioas_phys *phys, uint64_t pa, void *buf,
		   size_t len)
{
	return phys_copy(phys, pa, buf, len, false);
}

int ioas_phys_write(struct ioas_phys *phys, uint64_t pa, const void *buf,
		    size_t len)
{
	/* phys_copy only reads buf when writing */
	return phys_copy(phys, pa, (void *)(uintptr_t)buf, len, true);
}

int ioas_phys_ptr(const struct ioas_phys *phys, uint64_t pa, uint64_t last,
		  void **host)
{
	const struct phys_region *r;

	if (last < pa)
		return -EINVAL;
	r = phys_find(phys, pa);
	if (!r || r->kind != IOAS_PHYS_RAM || last > r->last)
		return -EFAULT;
	*host = r->host + (pa - r->base);
	return 0;
}

int ioas_phys_for_each(const struct ioas_phys *phys,
		       int (*fn)(void *opaque, const struct ioas_phys_info *info),
		       void *opaque)
{
	for (size_t i = 0; i < phys->count; i++) {
		struct ioas_phys_info info;
		int ret;

		region_info(phys->regions[i], &info);
		ret = fn(opaque, &info);
		if (ret)
			return ret;
	}
	return 0;
}
