/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fail-nth sweep over the registration and address-space layer: scenarios
 * (physical memory, registries, spaces, registrations, windows, reserved
 * and allowed ranges, maps of every kind, copies, unmaps, teardown) are
 * re-run failing the 1st, 2nd, ... allocation, until a run no longer
 * reaches the injected failure.
 *
 * Two sweeps per scenario:
 *  - per step: each step is retried failing its 1st, 2nd, ... allocation
 *    on the live objects; a failed step must return -ENOMEM and leave the
 *    snapshot (queries, mappings, registrations, regions, locked bytes)
 *    exactly as before, and the scenario then goes on on those objects;
 *  - whole run: a fresh run per n, the n-th allocation of the whole run
 *    fails wherever it falls, the step is checked and retried, the run
 *    completes, and after teardown no byte is live.
 * Calls whose errno list has no ENOMEM (unregister, unreserve, window
 * remove, phys remove, unmap) must give their normal result even when an
 * allocation would fail, and unmap must not allocate at all. The ASan run
 * adds LeakSanitizer.
 */
#include "snapshot.h"
#include "test.h"

#include <ioas/ioas.h>

#define PG 0x1000ull

/* ---- scenarios --------------------------------------------------------- */

enum op {
	PHYS_CREATE, PHYS_ADD, PHYS_REMOVE, PHYS_DESTROY, MM_CREATE,
	MM_DESTROY, REG, UNREG, AS_CREATE, AS_DESTROY, WIN, WIN_RM, RESERVE,
	UNRESERVE, ALLOW, MAP, UNMAP, UNMAP_ALL, COPY,
};

/* Addresses with HOST set are page numbers in the host buffer. */
#define HOST (1ull << 62)
#define LU 0xa000000000000000ull
#define NSLOTS 3
_Static_assert(NSLOTS <= SNAP_SPACES, "a snapshot covers every slot");

struct step {
	enum op op;
	int a, b;          /* slots / registries / counts, per op */
	uint64_t x, y, z;  /* addresses and lengths, per op */
	uint32_t f, p;     /* flags and prot (or mode) */
	int expect;        /* 0 or -errno */
};

#define MAXSTEPS 256
#define HB_PAGES 96

struct env {
	struct ioas_ctx *ctx;
	struct ioas_user *user;
	struct ioas_phys *phys;
	struct ioas_mm *mm[2];
	struct ioas_as *as[NSLOTS];
	uint8_t *hb;
	const char *scen;
	int step;
};

struct scenario {
	const char *name;
	uint64_t limit;      /* locked_limit (or the user's limit) */
	bool user;           /* IOAS_ACCOUNT_USER */
	struct step s[MAXSTEPS];
	int n;
};

static uint64_t addr(const struct env *e, uint64_t x)
{
	return (x & HOST) ? (uint64_t)(uintptr_t)e->hb + (x & ~HOST) * PG : x;
}

/* Documented to fail with -ENOMEM when an allocation fails. */
static bool may_enomem(enum op op)
{
	switch (op) {
	case PHYS_CREATE: case PHYS_ADD: case MM_CREATE: case REG:
	case AS_CREATE: case WIN: case RESERVE: case ALLOW: case MAP:
	case COPY:
		return true;
	default:
		return false;
	}
}

static int run_step(struct env *e, const struct step *s)
{
	switch (s->op) {
	case PHYS_CREATE: {
		struct ioas_phys *p = NULL;
		int ret = ioas_phys_create(e->ctx, &p);

		if (!ret)
			e->phys = p;
		return ret;
	}
	case PHYS_ADD: {
		struct ioas_phys_region r = { .size = sizeof(r), .flags = s->f,
					      .kind = s->p, .base = s->x,
					      .length = s->y };

		if (s->z)
			r.host = (void *)(uintptr_t)addr(e, s->z);
		return ioas_phys_add(e->phys, &r);
	}
	case PHYS_REMOVE:
		return ioas_phys_remove(e->phys, s->x);
	case PHYS_DESTROY:
		ioas_phys_destroy(e->phys);
		e->phys = NULL;
		return 0;
	case MM_CREATE: {
		struct ioas_mm *mm = NULL;
		int ret = ioas_mm_create(e->ctx, e->phys, &mm);

		if (!ret)
			e->mm[s->a] = mm;
		return ret;
	}
	case MM_DESTROY:
		ioas_mm_destroy(e->mm[s->a]);
		e->mm[s->a] = NULL;
		return 0;
	case REG: {
		struct ioas_reg r = { .size = sizeof(r), .flags = s->f,
				      .uaddr = addr(e, s->x), .length = s->y,
				      .phys = s->z };
		return ioas_mm_register(e->mm[s->a], &r);
	}
	case UNREG:
		return ioas_mm_unregister(e->mm[s->a], addr(e, s->x), s->y);
	case AS_CREATE: {
		struct ioas_as_config c = { .size = sizeof(c),
					    .window_mode = s->f,
					    .pin_mode = s->p,
					    .pgsize_bitmap = s->z,
					    .aperture = { 0, s->y },
					    .max_windows = (uint32_t)s->x };
		struct ioas_as *as = NULL;
		int ret = ioas_as_create(e->mm[s->b], &c, &as);

		if (!ret)
			e->as[s->a] = as;
		return ret;
	}
	case AS_DESTROY:
		ioas_as_destroy(e->as[s->a]);
		e->as[s->a] = NULL;
		return 0;
	case WIN: {
		struct ioas_window w = { .size = sizeof(w), .base = s->x,
					 .length = s->y,
					 .pgsize_bitmap = s->z };
		return ioas_as_window_create(e->as[s->a], &w);
	}
	case WIN_RM:
		return ioas_as_window_remove(e->as[s->a], s->x);
	case RESERVE:
		return ioas_as_reserve(e->as[s->a], s->x, s->y);
	case UNRESERVE:
		return ioas_as_unreserve(e->as[s->a], s->x, s->y);
	case ALLOW: {
		struct ioas_range r[2] = { { s->x, s->y }, { s->z, s->z } };

		/* b ranges: [x, y] and, for 2, the single page at z */
		if (s->b == 2)
			r[1].last = s->z + PG - 1;
		return ioas_as_allow(e->as[s->a], s->b ? r : NULL,
				     (size_t)s->b);
	}
	case MAP: {
		struct ioas_map m = { .size = sizeof(m), .flags = s->f,
				      .prot = s->p, .iova = s->x,
				      .length = s->y, .addr = addr(e, s->z) };
		return ioas_as_map(e->as[s->a], &m);
	}
	case UNMAP: {
		uint64_t n = 0;

		return ioas_as_unmap(e->as[s->a], s->x, s->y, &n);
	}
	case UNMAP_ALL:
		(void)ioas_as_unmap_all(e->as[s->a]);
		return 0;
	case COPY: {
		struct ioas_copy c = { .size = sizeof(c), .flags = s->f,
				       .prot = s->p, .dst_iova = s->x,
				       .src_iova = s->y, .length = s->z };
		return ioas_as_copy(e->as[s->a], e->as[s->b], &c);
	}
	}
	return -1;
}

/* ---- scenario tables --------------------------------------------------- */

#define RW (IOAS_PROT_READ | IOAS_PROT_WRITE)
#define RD IOAS_PROT_READ
#define FIX IOAS_MAP_FIXED_IOVA
#define PHY IOAS_MAP_PHYS
#define EXPL IOAS_WINDOWS_EXPLICIT
#define FULL IOAS_WINDOWS_FULL
#define PRE IOAS_PIN_PREREG
#define PIN IOAS_PIN_ON_MAP

static void add(struct scenario *sc, struct step st)
{
	if (sc->n >= MAXSTEPS)
		test_fail(__FILE__, __LINE__, "scenario %s too long", sc->name);
	sc->s[sc->n++] = st;
}

#define S(...) add(sc, (struct step){ __VA_ARGS__ })

/* host buffer: [16,48) R1 at 0x300000, [48,80) R2 at 0x500000 (host
 * adjacent), [80,88) read-only at 0x600000; the rest unbacked */
static void common_phys(struct scenario *sc)
{
	S(.op = PHYS_CREATE);
	S(.op = PHYS_ADD, .p = IOAS_PHYS_RAM, .x = 0x100000, .y = 64 * PG);
	S(.op = PHYS_ADD, .p = IOAS_PHYS_RAM, .x = 0x300000, .y = 32 * PG,
	  .z = HOST | 16);
	S(.op = PHYS_ADD, .p = IOAS_PHYS_RAM, .x = 0x500000, .y = 32 * PG,
	  .z = HOST | 48);
	S(.op = PHYS_ADD, .p = IOAS_PHYS_RAM, .f = IOAS_PHYS_F_READONLY,
	  .x = 0x600000, .y = 8 * PG, .z = HOST | 80);
	S(.op = PHYS_ADD, .p = IOAS_PHYS_MMIO, .x = 0x900000, .y = 16 * PG);
	S(.op = PHYS_ADD, .p = IOAS_PHYS_RAM, .x = 0x100000, .y = PG,
	  .expect = -EEXIST);
}

static void scen_prereg(struct scenario *sc)
{
	sc->name = "prereg_explicit_and_copies";
	common_phys(sc);
	S(.op = MM_CREATE, .a = 0);
	S(.op = MM_CREATE, .a = 1);
	S(.op = REG, .x = HOST | 16, .y = 8 * PG);
	S(.op = REG, .x = HOST | 20, .y = 16 * PG);
	S(.op = REG, .x = HOST | 40, .y = 16 * PG); /* R1 -> R2 */
	S(.op = REG, .f = IOAS_REG_LINEAR, .x = LU, .y = 8 * PG,
	  .z = 0x100000);
	S(.op = REG, .f = IOAS_REG_READONLY, .x = HOST | 80, .y = 4 * PG);
	S(.op = REG, .x = HOST | 16, .y = 8 * PG, .expect = -EEXIST);
	S(.op = AS_CREATE, .a = 0, .b = 0, .f = EXPL, .p = PRE, .x = 4);
	S(.op = AS_CREATE, .a = 1, .b = 0, .f = FULL, .p = PIN,
	  .y = 0xffffff);
	S(.op = AS_CREATE, .a = 2, .b = 1, .f = FULL, .p = PRE);
	S(.op = WIN, .a = 0, .x = 0x100000, .y = 0x100000, .z = PG);
	S(.op = WIN, .a = 0, .x = 0x200000, .y = 0x100000, .z = PG | 0x10000);
	S(.op = WIN, .a = 0, .x = 0x200000, .y = 0x10000, .z = PG,
	  .expect = -EEXIST);
	S(.op = RESERVE, .a = 0, .x = 0x180000, .y = 0x18ffff);
	S(.op = RESERVE, .a = 0, .x = 0x188000, .y = 0x190fff);
	S(.op = ALLOW, .a = 0, .b = 1, .x = 0x110000, .y = 0x17ffff);
	S(.op = MAP, .a = 0, .f = FIX, .p = RW, .x = 0x100000, .y = 4 * PG,
	  .z = HOST | 16);
	S(.op = MAP, .a = 0, .p = RW, .y = 2 * PG, .z = HOST | 18);
	S(.op = MAP, .a = 0, .p = RD, .y = 2 * PG, .z = LU + PG);
	S(.op = MAP, .a = 0, .f = FIX | PHY, .p = RW, .x = 0x200000,
	  .y = 0x10000, .z = 0x100000);
	S(.op = MAP, .a = 0, .f = FIX, .p = RD, .x = 0x220000, .y = 2 * PG,
	  .z = HOST | 80);
	S(.op = MAP, .a = 0, .f = FIX, .p = RW, .x = 0x230000, .y = PG,
	  .z = HOST | 80, .expect = -EPERM);
	S(.op = MAP, .a = 1, .f = FIX, .p = RW, .x = 0x10000, .y = 8 * PG,
	  .z = HOST | 24);
	S(.op = MAP, .a = 1, .f = FIX, .p = RW, .x = 0x20000, .y = 4 * PG,
	  .z = HOST | 60);
	S(.op = MAP, .a = 1, .p = RD, .y = 3 * PG, .z = HOST | 64);
	S(.op = COPY, .a = 1, .b = 0, .f = FIX, .p = RW, .x = 0x100000,
	  .y = 0x100000, .z = 4 * PG);
	S(.op = COPY, .a = 1, .b = 0, .p = RD, .y = 0x110000, .z = 4 * PG);
	S(.op = COPY, .a = 2, .b = 0, .f = FIX, .p = RD, .x = 0x100000,
	  .y = 0x100000, .z = PG, .expect = -EXDEV);
	S(.op = COPY, .a = 0, .b = 1, .f = FIX, .p = RD, .x = 0x120000,
	  .y = 0x10000, .z = 8 * PG);
	for (uint64_t i = 0; i < 12; i++) /* grow the trees */
		S(.op = MAP, .a = 1, .p = RW, .y = PG, .z = HOST | (66 + i));
	S(.op = UNMAP, .a = 0, .x = 0x100000, .y = 0x103fff);
	S(.op = UNMAP, .a = 0, .x = 0x110000, .y = 0x110fff,
	  .expect = -ENOENT);
	S(.op = UNRESERVE, .a = 0, .x = 0x188000, .y = 0x190fff);
	S(.op = UNRESERVE, .a = 0, .x = 0x188000, .y = 0x190fff,
	  .expect = -ENOENT);
	S(.op = ALLOW, .a = 0, .b = 0);
	S(.op = WIN_RM, .a = 0, .x = 0x200000, .expect = -EBUSY);
	S(.op = UNMAP_ALL, .a = 0);
	S(.op = WIN_RM, .a = 0, .x = 0x200000);
	S(.op = UNREG, .x = HOST | 16, .y = 8 * PG, .expect = -EBUSY);
	S(.op = UNREG, .x = HOST | 20, .y = 16 * PG);
	S(.op = UNREG, .x = HOST | 20, .y = 8 * PG, .expect = -ENOENT);
	S(.op = PHYS_REMOVE, .x = 0x300000, .expect = -EBUSY);
	S(.op = AS_DESTROY, .a = 1);
	S(.op = UNREG, .x = HOST | 16, .y = 8 * PG);
	S(.op = AS_DESTROY, .a = 2);
	S(.op = MM_DESTROY, .a = 1);
	S(.op = AS_DESTROY, .a = 0);
	S(.op = MM_DESTROY, .a = 0); /* with registrations left */
	S(.op = PHYS_REMOVE, .x = 0x300000);
	S(.op = PHYS_DESTROY);
}

static void scen_pin_user(struct scenario *sc)
{
	sc->name = "pin_on_map_user_limit";
	sc->user = true;
	sc->limit = 40 * PG;
	common_phys(sc);
	S(.op = MM_CREATE, .a = 0);
	S(.op = AS_CREATE, .a = 0, .f = FULL, .p = PIN);
	S(.op = AS_CREATE, .a = 1, .f = FULL, .p = PIN, .y = 0xfffff);
	S(.op = REG, .x = HOST | 16, .y = 8 * PG);                    /* 8 */
	S(.op = MAP, .a = 0, .f = FIX, .p = RW, .x = 0x1000, .y = 8 * PG,
	  .z = HOST | 20);                                            /* 12 */
	S(.op = MAP, .a = 0, .f = FIX, .p = RW, .x = 0x10000, .y = 16 * PG,
	  .z = HOST | 40);                                            /* 28 */
	S(.op = MAP, .a = 0, .f = FIX, .p = RW, .x = 0x30000, .y = 16 * PG,
	  .z = HOST | 56, .expect = -ENOMEM);                         /* 44 */
	S(.op = MAP, .a = 0, .f = FIX, .p = RW, .x = 0x30000, .y = 4 * PG,
	  .z = HOST | 56);                                            /* 32 */
	S(.op = MAP, .a = 0, .f = FIX, .p = RD, .x = 0x40000, .y = 2 * PG,
	  .z = HOST | 80);                                            /* 34 */
	S(.op = MAP, .a = 0, .f = FIX, .p = RW, .x = 0x50000, .y = PG,
	  .z = HOST | 80, .expect = -EPERM);
	S(.op = MAP, .a = 0, .f = FIX, .p = RW, .x = 0x50000, .y = PG,
	  .z = HOST | 8, .expect = -EFAULT);
	S(.op = RESERVE, .a = 0, .x = 0x100000, .y = 0x1fffff);
	S(.op = MAP, .a = 0, .p = RW, .y = 4 * PG, .z = HOST | 60);   /* 38 */
	S(.op = COPY, .a = 1, .b = 0, .f = FIX, .p = RW, .x = 0x80000,
	  .y = 0x10000, .z = 16 * PG);
	S(.op = COPY, .a = 1, .b = 0, .p = RD, .y = 0x12000, .z = 4 * PG);
	S(.op = COPY, .a = 1, .b = 0, .p = RD, .y = 0x3000, .z = 0x10000,
	  .expect = -ENOENT);
	S(.op = UNMAP, .a = 0, .x = 0x10000, .y = 0x1ffff);
	S(.op = UNMAP_ALL, .a = 1);
	S(.op = UNREG, .x = HOST | 16, .y = 8 * PG);
	S(.op = AS_DESTROY, .a = 0); /* still mapped: unpins */
	S(.op = AS_DESTROY, .a = 1);
	S(.op = MM_DESTROY, .a = 0);
	S(.op = PHYS_DESTROY);
}

static void scen_many(struct scenario *sc)
{
	sc->name = "many_maps_and_windows";
	common_phys(sc);
	S(.op = MM_CREATE, .a = 0);
	S(.op = AS_CREATE, .a = 0, .f = FULL, .p = PRE);
	S(.op = AS_CREATE, .a = 1, .f = EXPL, .p = PRE, .x = 64);
	for (uint64_t i = 0; i < 48; i++)
		S(.op = MAP, .a = 0, .f = FIX | PHY, .p = RW, .x = i * 0x8000,
		  .y = (1 + i % 4) * PG, .z = 0x100000);
	for (uint64_t i = 0; i < 16; i++)
		S(.op = MAP, .a = 0, .f = PHY, .p = RD, .y = PG,
		  .z = 0x100000 + i * PG);
	for (uint64_t i = 0; i < 6; i++)
		S(.op = RESERVE, .a = 0, .x = 0x1000000 + i * 0x3000,
		  .y = 0x1000000 + i * 0x3000 + 0x4fff);
	S(.op = ALLOW, .a = 0, .b = 2, .x = 0x800000, .y = 0x8fffff,
	  .z = 0x980000);
	S(.op = MAP, .a = 0, .f = PHY, .p = RD, .y = 0x10000, .z = 0x100000);
	for (uint64_t k = 0; k < 6; k++)
		S(.op = UNMAP, .a = 0, .x = k * 0x40000,
		  .y = k * 0x40000 + 0x3ffff);
	for (uint64_t i = 0; i < 40; i++)
		S(.op = WIN, .a = 1, .x = i * 0x20000, .y = 0x10000,
		  .z = PG | 0x10000);
	for (uint64_t i = 0; i < 40; i += 3)
		S(.op = MAP, .a = 1, .f = FIX | PHY, .p = RW,
		  .x = i * 0x20000 + 0x1000, .y = 2 * PG, .z = 0x100000);
	S(.op = COPY, .a = 0, .b = 1, .p = RW, .y = 0x1000, .z = 2 * PG);
	for (uint64_t i = 0; i < 40; i += 5)
		S(.op = UNRESERVE, .a = 0, .x = 0x1000000 + (i % 6) * 0x3000,
		  .y = 0x1000000 + (i % 6) * 0x3000 + 0x4fff,
		  .expect = i >= 30 ? -ENOENT : 0); /* 30, 35: gone */
	S(.op = UNMAP, .a = 0, .x = 0, .y = UINT64_MAX);
	S(.op = UNMAP_ALL, .a = 1);
	for (uint64_t i = 0; i < 40; i += 2)
		S(.op = WIN_RM, .a = 1, .x = i * 0x20000);
	S(.op = AS_DESTROY, .a = 1); /* with windows left */
	S(.op = AS_DESTROY, .a = 0);
	S(.op = MM_DESTROY, .a = 0);
	S(.op = PHYS_DESTROY);
}

/* ---- running them ------------------------------------------------------ */

static void env_init(struct env *e, const struct scenario *sc)
{
	struct ioas_ctx_config cc = { .size = sizeof(cc) };

	memset(e, 0, sizeof(*e));
	e->scen = sc->name;
	e->hb = aligned_alloc(0x10000, HB_PAGES * PG);
	CHECK(e->hb);
	memset(e->hb, 0, HB_PAGES * PG);
	if (sc->user) {
		CHECK_OK(ioas_user_create(sc->limit, &e->user));
		cc.account_mode = IOAS_ACCOUNT_USER;
		cc.user = e->user;
	} else {
		cc.locked_limit = sc->limit;
	}
	CHECK_OK(ioas_ctx_create(&cc, &e->ctx));
}

/* Tear down whatever the scenario left (it normally leaves nothing) and
 * check that no byte is still allocated. */
static void env_fini(struct env *e)
{
	struct ioas_ctx_stats st;
	uint64_t user_locked = 0;

	ioas_ctx_fail_nth(e->ctx, 0);
	for (int i = 0; i < NSLOTS; i++)
		ioas_as_destroy(e->as[i]);
	ioas_mm_destroy(e->mm[0]);
	ioas_mm_destroy(e->mm[1]);
	ioas_phys_destroy(e->phys);
	ioas_ctx_get_stats(e->ctx, &st);
	ioas_ctx_destroy(e->ctx);
	if (e->user) {
		user_locked = ioas_user_locked_bytes(e->user);
		ioas_user_put(e->user);
	}
	free(e->hb);
	memset(e, 0, sizeof(*e));
	CHECK_EQ(st.live_bytes, 0);
	CHECK_EQ(st.allocs, st.frees);
	CHECK_EQ(user_locked, 0);
}

static void env_snap(struct env *e, struct snap *s)
{
	snap_take(s, e->ctx, e->phys, e->mm[0], e->as, NSLOTS);
	s->user_locked = e->user ? ioas_user_locked_bytes(e->user) : 0;
}

static void step_fail(const struct env *e, int line, const char *what,
		      int ret, int want)
{
	test_fail(__FILE__, line, "%s step %d: %s: got %d (%s), want %d (%s)",
		  e->scen, e->step, what, ret, strerror(-ret), want,
		  strerror(-want));
}

/* An injected failure fired during this call: it must have failed with
 * -ENOMEM (or with its own expected error, if it allocates before
 * checking) and left everything as it was. */
static void check_failed(struct env *e, const struct step *s, int ret)
{
	if (!may_enomem(s->op)) {
		if (ret != s->expect)
			step_fail(e, __LINE__, "no ENOMEM documented", ret,
				  s->expect);
		return;
	}
	if (ret != -ENOMEM && !(s->expect < 0 && ret == s->expect))
		step_fail(e, __LINE__, "failed allocation", ret, -ENOMEM);
	env_snap(e, &snap_after);
	snap_eq(&snap_before, &snap_after);
}

/* Per step: fail each allocation of the step in turn, on live objects. */
static uint64_t sweep_steps(const struct scenario *sc)
{
	static struct env e; /* reachable, not leaked, if the case fails */
	uint64_t injected = 0;

	env_init(&e, sc);
	for (e.step = 0; e.step < sc->n; e.step++) {
		const struct step *s = &sc->s[e.step];

		for (uint64_t n = 1;; n++) {
			bool fired;
			int ret;

			env_snap(&e, &snap_before);
			ioas_ctx_fail_nth(e.ctx, n);
			ret = run_step(&e, s);
			fired = ioas_ctx_fail_nth_fired(e.ctx);
			ioas_ctx_fail_nth(e.ctx, 0);
			if ((s->op == UNMAP || s->op == UNMAP_ALL) && fired)
				step_fail(&e, __LINE__, "unmap allocated", ret,
					  s->expect);
			if (!fired) {
				if (ret != s->expect)
					step_fail(&e, __LINE__, "result", ret,
						  s->expect);
				break;
			}
			injected++;
			check_failed(&e, s, ret);
			if (!may_enomem(s->op)) {
				/* allowed, as long as the result is right */
				test_note("%s step %d (op %d) allocates",
					  sc->name, e.step, (int)s->op);
				break;
			}
		}
	}
	env_fini(&e);
	return injected;
}

/* Whole run: a fresh run failing the n-th allocation, for n = 1, 2, ... */
static uint64_t sweep_runs(const struct scenario *sc)
{
	static struct env e; /* reachable, not leaked, if the case fails */
	uint64_t n;

	for (n = 1;; n++) {
		bool fired_any = false;

		env_init(&e, sc);
		ioas_ctx_fail_nth(e.ctx, n);
		for (e.step = 0; e.step < sc->n; e.step++) {
			const struct step *s = &sc->s[e.step];
			int ret;

			if (!fired_any)
				env_snap(&e, &snap_before);
			ret = run_step(&e, s);
			if (!fired_any && ioas_ctx_fail_nth_fired(e.ctx)) {
				fired_any = true;
				ioas_ctx_fail_nth(e.ctx, 0);
				if ((s->op == UNMAP || s->op == UNMAP_ALL))
					step_fail(&e, __LINE__,
						  "unmap allocated", ret,
						  s->expect);
				check_failed(&e, s, ret);
				if (may_enomem(s->op))
					ret = run_step(&e, s); /* one-shot */
			}
			if (ret != s->expect)
				step_fail(&e, __LINE__, "result", ret,
					  s->expect);
		}
		env_fini(&e);
		if (!fired_any)
			break;
	}
	return n - 1;
}

static void sweep(void (*build)(struct scenario *))
{
	static struct scenario sc;
	uint64_t a, b;

	memset(&sc, 0, sizeof(sc));
	build(&sc);
	a = sweep_steps(&sc);
	b = sweep_runs(&sc);
	test_note("%s: %d steps, %" PRIu64 " failures injected step by step,"
		  " %" PRIu64 " whole runs", sc.name, sc.n, a, b);
	/* a sweep that never failed anything would prove nothing */
	CHECK(a > 10);
	CHECK(b > 10);
}

TEST(failnth_prereg_explicit_and_copies)
{
	sweep(scen_prereg);
}

TEST(failnth_pin_on_map_user_limit)
{
	sweep(scen_pin_user);
}

TEST(failnth_many_maps_and_windows)
{
	sweep(scen_many);
}
