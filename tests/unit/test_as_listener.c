/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Listeners (what attached domains will be): every mapping reaches them as
 * physically contiguous runs, attach replays existing mappings, and a
 * listener that refuses a run makes the whole map fail with nothing left
 * mirrored anywhere and nothing changed in the space; a listener with a
 * lock gets every tree change and its calls inside it, and reads the same
 * runs from the tree (as_mapping_run) as it was given.
 */
#include "test.h"

#include <ioas/ioas.h>

#include "as/as.h"

#define PG 4096ull

/* A listener that keeps a byte-exact picture of what it mirrors: one slot
 * per page of a small IOVA universe, holding pa + 1 (0 = unmapped). */
#define UNIVERSE 256
struct rec {
	struct as_listener l;
	uint64_t pa_of[UNIVERSE];
	uint32_t prot_of[UNIVERSE];
	uint64_t run_first[UNIVERSE], run_last[UNIVERSE]; /* the run's pages */
	int runs;           /* map calls seen */
	int fail_on_run;    /* fail the n-th map call (1-based); 0 = never */
};

static int rec_map(struct as_listener *l, uint64_t iova, uint64_t last,
		   uint64_t pa, uint32_t prot)
{
	struct rec *r = (struct rec *)(void *)l;

	if (++r->runs == r->fail_on_run)
		return -ENOSPC;
	CHECK(last < UNIVERSE * PG && !(iova % PG) && !((last + 1) % PG));
	for (uint64_t p = iova / PG; p <= last / PG; p++) {
		CHECK_EQ(r->pa_of[p], 0); /* never mapped twice */
		r->pa_of[p] = pa + (p * PG - iova) + 1;
		r->prot_of[p] = prot;
		r->run_first[p] = iova;
		r->run_last[p] = last;
	}
	return 0;
}

static void rec_unmap(struct as_listener *l, uint64_t iova, uint64_t last)
{
	struct rec *r = (struct rec *)(void *)l;

	for (uint64_t p = iova / PG; p <= last / PG; p++) {
		CHECK(r->pa_of[p] != 0); /* only what was mirrored */
		r->pa_of[p] = 0;
	}
}

static const struct as_listener_ops rec_ops = { rec_map, rec_unmap, NULL,
						NULL };

/* A rec with a lock, reading the space's tree as a HOST domain does. */
struct lrec {
	struct rec r;
	const struct ioas_as *as;
	int depth, locks;
};

static int lrec_map(struct as_listener *l, uint64_t iova, uint64_t last,
		    uint64_t pa, uint32_t prot)
{
	CHECK_EQ(((struct lrec *)(void *)l)->depth, 1);
	return rec_map(l, iova, last, pa, prot);
}

static void lrec_unmap(struct as_listener *l, uint64_t iova, uint64_t last)
{
	struct lrec *r = (struct lrec *)(void *)l;

	CHECK_EQ(r->depth, 1);
	/* out of the tree before the listener hears of it */
	CHECK(!itree_first_overlap(&r->as->maps, iova, last) ||
	      !r->as->listeners); /* (detach: the tree keeps its mappings) */
	rec_unmap(l, iova, last);
}

static void lrec_lock(struct as_listener *l)
{
	struct lrec *r = (struct lrec *)(void *)l;

	CHECK_EQ(r->depth, 0);
	r->depth++;
	r->locks++;
}

/* On the way out the tree and the listener's picture agree, run by run. */
static void lrec_unlock(struct as_listener *l)
{
	struct lrec *r = (struct lrec *)(void *)l;

	CHECK_EQ(r->depth, 1);
	r->depth--;
	if (!r->as->listeners)
		return; /* detached, or a refused attach: nothing mirrored */
	for (uint64_t p = 0; p < UNIVERSE; p++) {
		struct as_mapping *m =
			as_mapping_of(itree_find(&r->as->maps, p * PG));
		struct as_run run;

		if (!m) {
			CHECK_EQ(r->r.pa_of[p], 0);
			continue;
		}
		as_mapping_run(m, p * PG + 5, &run);
		CHECK_EQ(r->r.pa_of[p], run.pa + (p * PG - run.start) + 1);
		CHECK_EQ(run.start, r->r.run_first[p]);
		CHECK_EQ(run.last, r->r.run_last[p]);
	}
}

static const struct as_listener_ops lrec_ops = { lrec_map, lrec_unmap,
						 lrec_lock, lrec_unlock };

struct fx {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as;
	uint8_t *host;
};

/* Two RAM regions whose host memory is adjacent but whose physical
 * addresses are not, so a host range across them is two runs. */
static void fx_init(struct fx *f, uint32_t pin_mode)
{
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL,
				     .pin_mode = pin_mode,
				     .aperture = { 0, UNIVERSE * PG - 1 } };

	memset(f, 0, sizeof(*f));
	f->host = aligned_alloc(PG, 32 * PG);
	CHECK(f->host);
	CHECK_OK(ioas_ctx_create(NULL, &f->ctx));
	CHECK_OK(ioas_phys_create(f->ctx, &f->phys));
	struct ioas_phys_region a = { .size = sizeof(a), .kind = IOAS_PHYS_RAM,
				      .base = 0x100000, .length = 16 * PG,
				      .host = f->host };
	struct ioas_phys_region b = { .size = sizeof(b), .kind = IOAS_PHYS_RAM,
				      .base = 0x900000, .length = 16 * PG,
				      .host = f->host + 16 * PG };
	CHECK_OK(ioas_phys_add(f->phys, &a));
	CHECK_OK(ioas_phys_add(f->phys, &b));
	CHECK_OK(ioas_mm_create(f->ctx, f->phys, &f->mm));
	CHECK_OK(ioas_as_create(f->mm, &ac, &f->as));
}

static void fx_fini(struct fx *f)
{
	struct ioas_ctx_stats st;

	ioas_as_destroy(f->as);
	ioas_mm_destroy(f->mm);
	ioas_phys_destroy(f->phys);
	ioas_ctx_get_stats(f->ctx, &st);
	CHECK_EQ(st.live_bytes, 0);
	ioas_ctx_destroy(f->ctx);
	free(f->host);
}

static int map_host(struct fx *f, uint64_t iova, uint64_t pages, uint64_t off)
{
	struct ioas_map m = { .size = sizeof(m), .flags = IOAS_MAP_FIXED_IOVA,
			      .prot = IOAS_PROT_READ | IOAS_PROT_WRITE,
			      .iova = iova, .length = pages * PG,
			      .addr = (uint64_t)(uintptr_t)f->host + off };

	return ioas_as_map(f->as, &m);
}

/* The listener's picture must equal the space's own lookups. */
static void check_mirror(struct fx *f, const struct rec *r)
{
	for (uint64_t p = 0; p < UNIVERSE; p++) {
		uint64_t pa;
		int64_t n = ioas_as_lookup(f->as, p * PG, &pa, NULL);

		if (n < 0)
			CHECK_EQ(r->pa_of[p], 0);
		else
			CHECK_EQ(r->pa_of[p], pa + 1);
	}
}

TEST(listener_sees_runs_split_at_physical_edges)
{
	struct fx f;
	struct rec r = { .l = { &rec_ops, NULL } };

	fx_init(&f, IOAS_PIN_ON_MAP);
	CHECK_OK(as_listener_attach(f.as, &r.l));
	/* host pages 14..17 cross from region a to region b: two runs */
	CHECK_OK(map_host(&f, 8 * PG, 4, 14 * PG));
	CHECK_EQ(r.runs, 2);
	CHECK_EQ(r.pa_of[8], 0x100000 + 14 * PG + 1);
	CHECK_EQ(r.pa_of[10], 0x900000 + 1);
	check_mirror(&f, &r);
	CHECK_OK(ioas_as_unmap(f.as, 8 * PG, 12 * PG - 1, NULL));
	check_mirror(&f, &r);
	as_listener_detach(f.as, &r.l);
	fx_fini(&f);
}

TEST(listener_attach_replays_and_detach_clears)
{
	struct fx f;
	struct rec r = { .l = { &rec_ops, NULL } };

	fx_init(&f, IOAS_PIN_ON_MAP);
	CHECK_OK(map_host(&f, 0x10 * PG, 2, 0));
	CHECK_OK(map_host(&f, 0x20 * PG, 4, 13 * PG));
	CHECK_OK(as_listener_attach(f.as, &r.l));
	check_mirror(&f, &r);
	as_listener_detach(f.as, &r.l);
	for (int p = 0; p < UNIVERSE; p++)
		CHECK_EQ(r.pa_of[p], 0);
	/* a map after detach does not reach it */
	CHECK_OK(map_host(&f, 0x40 * PG, 1, 0));
	CHECK_EQ(r.pa_of[0x40], 0);
	fx_fini(&f);
}

TEST(listener_refusal_rolls_back_everything)
{
	struct fx f;
	struct rec r1 = { .l = { &rec_ops, NULL } };
	struct rec r2 = { .l = { &rec_ops, NULL } };
	uint64_t locked;

	fx_init(&f, IOAS_PIN_ON_MAP);
	CHECK_OK(as_listener_attach(f.as, &r1.l));
	CHECK_OK(as_listener_attach(f.as, &r2.l));
	CHECK_OK(map_host(&f, 0, 2, 0));
	locked = ioas_ctx_locked_bytes(f.ctx);
	/* Fail each run of a two-run map in turn, in each listener. */
	for (int which = 0; which < 2; which++) {
		for (int run = 1; run <= 2; run++) {
			struct rec *r = which ? &r2 : &r1;

			r->runs = 0;
			r->fail_on_run = run;
			CHECK_ERR(map_host(&f, 8 * PG, 4, 14 * PG), -ENOSPC);
			r->fail_on_run = 0;
			check_mirror(&f, &r1);
			check_mirror(&f, &r2);
			CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), locked);
			uint64_t pa;
			CHECK_ERR(ioas_as_lookup(f.as, 8 * PG, &pa, NULL), -ENOENT);
		}
	}
	/* A refused attach replay leaves the listener empty and detached. */
	struct rec r3 = { .l = { &rec_ops, NULL }, .fail_on_run = 1 };
	CHECK_OK(map_host(&f, 8 * PG, 4, 14 * PG));
	CHECK_ERR(as_listener_attach(f.as, &r3.l), -ENOSPC);
	r3.fail_on_run = 3; r3.runs = 0;
	CHECK_ERR(as_listener_attach(f.as, &r3.l), -ENOSPC);
	for (int p = 0; p < UNIVERSE; p++)
		CHECK_EQ(r3.pa_of[p], 0);
	CHECK_OK(map_host(&f, 0x30 * PG, 1, 0));
	CHECK_EQ(r3.pa_of[0x30], 0);
	as_listener_detach(f.as, &r2.l);
	as_listener_detach(f.as, &r1.l);
	fx_fini(&f);
}

TEST(listener_sees_copies_and_refuses_them_cleanly)
{
	struct fx f;
	struct rec r = { .l = { &rec_ops, NULL } };
	struct ioas_copy c = { .size = sizeof(c), .flags = IOAS_MAP_FIXED_IOVA,
			       .prot = IOAS_PROT_READ, .dst_iova = 0x80 * PG,
			       .src_iova = 9 * PG, .length = 2 * PG };
	uint64_t locked;

	fx_init(&f, IOAS_PIN_ON_MAP);
	CHECK_OK(map_host(&f, 8 * PG, 4, 14 * PG));
	CHECK_OK(as_listener_attach(f.as, &r.l));
	locked = ioas_ctx_locked_bytes(f.ctx);
	r.runs = 0;
	r.fail_on_run = 2; /* the copy crosses the physical edge: 2 runs */
	CHECK_ERR(ioas_as_copy(f.as, f.as, &c), -ENOSPC);
	check_mirror(&f, &r);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), locked);
	r.fail_on_run = 0;
	CHECK_OK(ioas_as_copy(f.as, f.as, &c));
	check_mirror(&f, &r);
	CHECK_EQ(ioas_ctx_locked_bytes(f.ctx), locked);
	CHECK_EQ(ioas_as_unmap_all(f.as), 6 * PG);
	check_mirror(&f, &r);
	as_listener_detach(f.as, &r.l);
	fx_fini(&f);
}

TEST(listener_lock_holds_every_tree_change)
{
	struct fx f;
	struct lrec r = { .r = { .l = { &lrec_ops, NULL } } };
	struct ioas_copy c = { .size = sizeof(c), .flags = IOAS_MAP_FIXED_IOVA,
			       .prot = IOAS_PROT_READ, .dst_iova = 0x80 * PG,
			       .src_iova = 9 * PG, .length = 2 * PG };
	int locks;

	fx_init(&f, IOAS_PIN_ON_MAP);
	r.as = f.as;
	CHECK_OK(map_host(&f, 0x10 * PG, 2, 0));
	CHECK_OK(as_listener_attach(f.as, &r.r.l));
	CHECK_EQ(r.locks, 1);
	/* two runs (host pages 14..17 cross the physical edge); a run read
	 * from the middle of a mapping reaches back to its first page */
	CHECK_OK(map_host(&f, 8 * PG, 4, 14 * PG));
	CHECK_EQ(r.locks, 2);
	CHECK_OK(ioas_as_copy(f.as, f.as, &c));
	CHECK_EQ(r.locks, 3);
	/* a refused map and a refused unmap take no lock or leave it */
	CHECK_ERR(map_host(&f, 9 * PG, 1, 0), -EEXIST);
	CHECK_ERR(ioas_as_unmap(f.as, 9 * PG, 9 * PG, NULL), -ENOENT);
	locks = r.locks;
	CHECK_OK(ioas_as_unmap(f.as, 8 * PG, 12 * PG - 1, NULL));
	CHECK_EQ(r.locks, locks + 1);
	CHECK_OK(map_host(&f, 0x20 * PG, 4, 13 * PG));
	CHECK_EQ(ioas_as_unmap_all(f.as), 8 * PG);
	CHECK_EQ(r.locks, locks + 3);
	CHECK_OK(map_host(&f, 0x30 * PG, 3, 12 * PG));
	as_listener_detach(f.as, &r.r.l);
	CHECK_EQ(r.depth, 0);
	for (int p = 0; p < UNIVERSE; p++)
		CHECK_EQ(r.r.pa_of[p], 0);
	fx_fini(&f);
}
