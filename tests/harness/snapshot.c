/* SPDX-License-Identifier: BSD-2-Clause */
#include "snapshot.h"

#include "test.h"

struct snap snap_before, snap_after;

static int collect_one(struct collect *c, const void *item)
{
	CHECK(c->n < c->cap);
	memcpy((char *)c->arr + c->n * c->elem, item, c->elem);
	c->n++;
	return 0;
}

int collect_map(void *opaque, const struct ioas_mapping_info *m)
{
	return collect_one(opaque, m);
}

int collect_reg(void *opaque, const struct ioas_reg_info *r)
{
	return collect_one(opaque, r);
}

int collect_phys(void *opaque, const struct ioas_phys_info *p)
{
	return collect_one(opaque, p);
}

static void snap_space(struct snap_space *s, const struct ioas_as *as)
{
	struct collect c = { s->maps, 0, SNAP_MAX, sizeof(s->maps[0]) };

	memset(s, 0, sizeof(*s));
	if (!as)
		return;
	s->info.size = sizeof(s->info);
	s->info.num_usable = s->info.num_reserved = SNAP_MAX;
	s->info.num_windows = s->info.num_allowed = SNAP_MAX;
	s->info.usable = s->usable;
	s->info.reserved = s->reserved;
	s->info.windows = s->windows;
	s->info.allowed = s->allowed;
	CHECK_OK(ioas_as_query(as, &s->info));
	c.arr = s->maps;
	CHECK_OK(ioas_as_for_each(as, 0, UINT64_MAX, collect_map, &c));
	s->nmaps = c.n;
}

void snap_take(struct snap *s, struct ioas_ctx *ctx, struct ioas_phys *phys,
	       struct ioas_mm *mm, struct ioas_as *const as[], size_t nas)
{
	struct collect c;

	CHECK(nas <= SNAP_SPACES);
	memset(s, 0, sizeof(*s));
	for (size_t k = 0; k < SNAP_SPACES; k++)
		snap_space(&s->sp[k], k < nas ? as[k] : NULL);
	if (mm) {
		c = (struct collect){ s->regs, 0, SNAP_MAX,
				      sizeof(s->regs[0]) };
		CHECK_OK(ioas_mm_for_each(mm, collect_reg, &c));
		s->nregs = c.n;
		s->pinned = ioas_mm_pinned_bytes(mm);
	}
	if (phys) {
		c = (struct collect){ s->phys, 0, SNAP_MAX,
				      sizeof(s->phys[0]) };
		CHECK_OK(ioas_phys_for_each(phys, collect_phys, &c));
		s->nphys = c.n;
	}
	s->locked = ioas_ctx_locked_bytes(ctx);
}

static void range_eq(const struct ioas_range *a, const struct ioas_range *b,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ(a[i].start, b[i].start);
		CHECK_EQ(a[i].last, b[i].last);
	}
}

void snap_eq(const struct snap *a, const struct snap *b)
{
	for (int k = 0; k < SNAP_SPACES; k++) {
		const struct snap_space *x = &a->sp[k], *y = &b->sp[k];

		CHECK_EQ(x->info.window_mode, y->info.window_mode);
		CHECK_EQ(x->info.pin_mode, y->info.pin_mode);
		CHECK_EQ(x->info.max_windows, y->info.max_windows);
		CHECK_EQ(x->info.windows_left, y->info.windows_left);
		CHECK_EQ(x->info.pgsize_bitmap, y->info.pgsize_bitmap);
		CHECK_EQ(x->info.alignment, y->info.alignment);
		CHECK_EQ(x->info.mappings, y->info.mappings);
		CHECK_EQ(x->info.mapped_bytes, y->info.mapped_bytes);
		CHECK_EQ(x->info.num_usable, y->info.num_usable);
		CHECK_EQ(x->info.num_reserved, y->info.num_reserved);
		CHECK_EQ(x->info.num_windows, y->info.num_windows);
		CHECK_EQ(x->info.num_allowed, y->info.num_allowed);
		range_eq(x->usable, y->usable, x->info.num_usable);
		range_eq(x->reserved, y->reserved, x->info.num_reserved);
		range_eq(x->windows, y->windows, x->info.num_windows);
		range_eq(x->allowed, y->allowed, x->info.num_allowed);
		CHECK_EQ(x->nmaps, y->nmaps);
		for (size_t i = 0; i < x->nmaps; i++) {
			CHECK_EQ(x->maps[i].iova, y->maps[i].iova);
			CHECK_EQ(x->maps[i].last, y->maps[i].last);
			CHECK_EQ(x->maps[i].addr, y->maps[i].addr);
			CHECK_EQ(x->maps[i].prot, y->maps[i].prot);
			CHECK_EQ(x->maps[i].flags, y->maps[i].flags);
		}
	}
	CHECK_EQ(a->nregs, b->nregs);
	for (size_t i = 0; i < a->nregs; i++) {
		CHECK_EQ(a->regs[i].uaddr, b->regs[i].uaddr);
		CHECK_EQ(a->regs[i].length, b->regs[i].length);
		CHECK_EQ(a->regs[i].flags, b->regs[i].flags);
		CHECK_EQ(a->regs[i].mappings, b->regs[i].mappings);
	}
	CHECK_EQ(a->nphys, b->nphys);
	for (size_t i = 0; i < a->nphys; i++) {
		CHECK_EQ(a->phys[i].kind, b->phys[i].kind);
		CHECK_EQ(a->phys[i].flags, b->phys[i].flags);
		CHECK_EQ(a->phys[i].range.start, b->phys[i].range.start);
		CHECK_EQ(a->phys[i].range.last, b->phys[i].range.last);
		CHECK(a->phys[i].host == b->phys[i].host);
	}
	CHECK_EQ(a->locked, b->locked);
	CHECK_EQ(a->pinned, b->pinned);
	CHECK_EQ(a->user_locked, b->user_locked);
}
