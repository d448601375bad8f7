/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Randomised property test of the registration and address-space layer
 * against a reference model built from the headers alone: plain arrays and
 * brute force (no trees), one registry shared by one or two address spaces
 * (both window modes, both pin modes), a page-refcount array for pinning.
 * After every operation the return value must be one the contract allows
 * (when several documented conditions hold at once and the header gives no
 * precedence, any of their errnos is accepted; with no condition only 0 is),
 * and the full state must match: every mapping, the whole query, the
 * registrations with their mapping counts, locked and pinned bytes.
 *
 * The universe is small (1 MiB of IOVA, ~180 pages of memory) so overlaps,
 * full windows and limit hits are frequent. IOVA allocation is brute-forced
 * from the documented policy (as.h, util/itree.h).
 *
 * Where the header is silent the model follows the implementation and
 * says so next to the code: copy -EPERM also for pin-on-map sources pinned
 * without WRITE; a copied pin-on-map piece keeps only its own pages pinned;
 * allocation with no window whose page size fits accepts -ENOSPC or
 * -EINVAL. One layout is avoided because a unit test pins it down: a linear
 * registration spanning two adjacent RAM regions (mm_register_efault).
 *
 * IOAS_TEST_SEED picks the first seed (seeds run base, base + 1, ...),
 * IOAS_TEST_SCALE multiplies the work. Replay aids: IOAS_MODEL_DUMP=1 prints
 * the model state with a failure, IOAS_MODEL_TRACE=n every step from n on.
 */
#include "test.h"

#include <ioas/ioas.h>

#include "as/as.h"

#include <stdarg.h>
#include <time.h>

#define PG 0x1000ull
#define BIG 0x10000ull
#define U_IOVA 0x100000ull /* the IOVA universe most operations use */

/* Work per run at scale 1 (see the note printed at the end). */
#define OPS_PER_SEED 2500
#if TEST_SANITIZED
#define SEEDS 600  /* 1.5 M operations, ~20 s under clang -O0 ASan+UBSan */
#else
#define SEEDS 1200 /* 3 M operations, ~5 s at -O2 */
#endif

/* ---- memory layout ----------------------------------------------------- */

/* Host buffer pages: guard 16 | R1 32 | R2 32 | RO 16 | guard 16, all
 * host-adjacent; R1 -> R2 is physically apart (contiguity ends there),
 * R2 -> RO physically adjacent (contiguity runs on across the edge). */
#define NH 112
#define NL 64
#define NTOP 16 /* the top pages of the 64-bit space: linear edge cases */
#define NPG (NH + NL + NTOP)
#define TOP_BASE (UINT64_MAX - NTOP * PG + 1)
static const struct hregion {
	uint64_t off, n, pa;
	bool ro;
} hregs[] = {
	{ 16, 32, 0x100000, false },
	{ 48, 32, 0x300000, false },
	{ 80, 16, 0x320000, true },
};
/* Linear registrations: uaddr LU + x always maps to LP + x:
 * [0,40) RAM, [40,44) hole, [44,52) read-only RAM, [52,60) MMIO, hole. */
#define LU 0xa000000000000000ull
#define LP 0x800000ull
#define L_RW_N 40
#define L_RO_OFF 44
#define L_RO_N 8
#define L_MMIO_OFF 52
#define L_MMIO_N 8

/* ---- errno sets -------------------------------------------------------- */

static const int errtab[] = { EINVAL, EOVERFLOW, EEXIST, EFAULT, EACCES,
			      ENOMEM, ENOENT, EBUSY, ENOSPC, EADDRINUSE,
			      EPERM, EXDEV, EOPNOTSUPP, E2BIG, EMSGSIZE };

static unsigned eb(int e)
{
	for (unsigned i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i] == e)
			return 1u << i;
	return 1u << 31;
}

static void errs_str(unsigned errs, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if ((errs & (1u << i)) && at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s-%d",
					       at ? "|" : "", errtab[i]);
	if (!errs)
		snprintf(buf, len, "0");
}

/* ---- the model --------------------------------------------------------- */

#define MAXREG 40
#define MAXMAP 192
#define MAXWIN 8
#define MAXRES 12
#define MAXALLOW 4
#define MAXPIN (2 * MAXMAP)

struct mreg {
	uint64_t uaddr, len, phys;
	uint32_t flags;
	uint64_t id, maps;
};

enum { BK_REG, BK_PIN, BK_PHYS };

struct mmapping {
	uint64_t iova, last, addr;
	uint32_t prot;
	int bk;
	uint64_t reg_id; /* BK_REG */
	uint64_t pin_id; /* BK_PIN */
};

/*
 * The pin of a pin-on-map mapping. A copied piece pins just its own pages
 * (already pinned, so nothing is charged) and inherits whether the pin is
 * writable. The header leaves open whether a piece keeps the whole source
 * pin alive; this follows the implementation: only the piece's pages.
 */
struct mpin {
	uint64_t id, uaddr, len, refs;
	bool w; /* pinned for writing */
};

struct mwin {
	uint64_t base, last, pgbm;
};

struct mspace {
	struct ioas_as *as;
	uint32_t wmode, pmode, maxw;
	uint64_t pgbm;              /* FULL */
	struct ioas_range ap;       /* FULL */
	struct mwin win[MAXWIN];    /* EXPLICIT, sorted */
	int nwin;
	struct ioas_range res[MAXRES]; /* reservations as made */
	int nres;
	struct ioas_range allow[MAXALLOW]; /* as given */
	int nallow;
	struct mmapping map[MAXMAP]; /* sorted by iova */
	int nmap;
};

struct model {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	uint8_t *hb;
	uint64_t hbase, limit;
	struct mreg reg[MAXREG]; /* sorted by (uaddr, len) */
	int nreg;
	uint64_t next_id;
	int pin[NPG];
	uint64_t npinned;
	struct mpin pins[MAXPIN];
	int npins;
	struct mspace sp[2];
	int nsp;
	struct test_rng rng;
	uint64_t seed, step;
	const char *op;
	char desc[256];
	uint64_t stat_ok, stat_fail;
};

static void mfail(const struct model *m, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* IOAS_MODEL_DUMP=1 prints the model state with a failure (replays). */
static void dump_model(const struct model *m)
{
	printf("# limit 0x%" PRIx64 " pinned pages %" PRIu64 " hbase 0x%" PRIx64
	       "\n", m->limit, m->npinned, m->hbase);
	for (int i = 0; i < m->nreg; i++)
		printf("#  reg id %" PRIu64 " 0x%" PRIx64 "+0x%" PRIx64
		       " flags %u maps %" PRIu64 "\n", m->reg[i].id,
		       m->reg[i].uaddr, m->reg[i].len, m->reg[i].flags,
		       m->reg[i].maps);
	for (int k = 0; k < m->nsp; k++) {
		const struct mspace *s = &m->sp[k];

		printf("#  space %d mode %u pin %u maxw %u pgbm 0x%" PRIx64
		       " ap [0x%" PRIx64 ", 0x%" PRIx64 "]\n", k, s->wmode,
		       s->pmode, s->maxw, s->pgbm, s->ap.start, s->ap.last);
		for (int i = 0; i < s->nwin; i++)
			printf("#   win [0x%" PRIx64 ", 0x%" PRIx64 "] pgbm 0x%"
			       PRIx64 "\n", s->win[i].base, s->win[i].last,
			       s->win[i].pgbm);
		for (int i = 0; i < s->nres; i++)
			printf("#   res [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
			       s->res[i].start, s->res[i].last);
		for (int i = 0; i < s->nallow; i++)
			printf("#   allow [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
			       s->allow[i].start, s->allow[i].last);
		for (int i = 0; i < s->nmap; i++)
			printf("#   map [0x%" PRIx64 ", 0x%" PRIx64 "] addr 0x%"
			       PRIx64 " prot %u bk %d reg %" PRIu64 "\n",
			       s->map[i].iova, s->map[i].last, s->map[i].addr,
			       s->map[i].prot, s->map[i].bk, s->map[i].reg_id);
	}
}

static void mfail(const struct model *m, int line, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	if (getenv("IOAS_MODEL_DUMP"))
		dump_model(m);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	test_fail(__FILE__, line,
		  "seed %" PRIu64 " step %" PRIu64 " %s(%s): %s", m->seed,
		  m->step, m->op, m->desc, buf);
}

#define MCHECK_EQ(m, a, b)                                                \
	do {                                                              \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);          \
		if (a_ != b_)                                             \
			mfail(m, __LINE__, "%s == %s: 0x%" PRIx64           \
				  " != 0x%" PRIx64, #a, #b, a_, b_);       \
	} while (0)

#define DESC(m, ...) snprintf((m)->desc, sizeof((m)->desc), __VA_ARGS__)

/* The call returned ret; errs is the set of documented errnos whose
 * conditions hold. Returns true when the call succeeded. */
static bool expect(struct model *m, int line, int64_t ret, unsigned errs)
{
	char want[128];

	errs_str(errs, want, sizeof(want));
	if (!errs) {
		if (ret != 0)
			mfail(m, line, "got %" PRId64 " (%s), want 0", ret,
			      strerror((int)-ret));
		m->stat_ok++;
		return true;
	}
	if (ret >= 0 || !(eb((int)-ret) & errs))
		mfail(m, line, "got %" PRId64 " (%s), want %s", ret,
		      ret < 0 ? strerror((int)-ret) : "success", want);
	m->stat_fail++;
	return false;
}

static uint64_t rnd(struct model *m, uint64_t n)
{
	return test_rng_below(&m->rng, n);
}

static bool chance(struct model *m, unsigned pct)
{
	return rnd(m, 100) < pct;
}

static uint64_t lowbit(uint64_t x)
{
	return x & (~x + 1);
}

static uint64_t highbit(uint64_t x)
{
	return x ? 1ull << (63 - __builtin_clzll(x)) : 0;
}

static bool wraps(uint64_t a, uint64_t len)
{
	return len && a + (len - 1) < a;
}

static bool isect(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return a <= bl && b <= al;
}

/* ---- memory resolution ------------------------------------------------- */

/* Resolve a host (resolved) uaddr: true when RAM; pa and read-only-ness. */
static bool host_resolve(const struct model *m, uint64_t u, uint64_t *pa,
			 bool *ro)
{
	uint64_t off, page;

	if (u < m->hbase || u - m->hbase >= NH * PG)
		return false;
	off = u - m->hbase;
	page = off / PG;
	for (size_t i = 0; i < sizeof(hregs) / sizeof(hregs[0]); i++)
		if (page >= hregs[i].off && page < hregs[i].off + hregs[i].n) {
			*pa = hregs[i].pa + off - hregs[i].off * PG;
			*ro = hregs[i].ro;
			return true;
		}
	return false;
}

/* Physical page at LP + x of the linear layout: RAM? read-only? */
static bool linear_ram(uint64_t pa, bool *ro)
{
	uint64_t x;

	if (pa < LP)
		return false;
	x = (pa - LP) / PG;
	if (x < L_RW_N) {
		*ro = false;
		return true;
	}
	if (x >= L_RO_OFF && x < L_RO_OFF + L_RO_N) {
		*ro = true;
		return true;
	}
	return false;
}

/* Index of the page holding uaddr in the pin array, or -1. */
static int page_index(const struct model *m, uint64_t u)
{
	if (u >= m->hbase && u - m->hbase < NH * PG)
		return (int)((u - m->hbase) / PG);
	if (u >= LU && u - LU < NL * PG)
		return NH + (int)((u - LU) / PG);
	if (u >= TOP_BASE)
		return NH + NL + (int)((u - TOP_BASE) / PG);
	return -1;
}

/* New pages (not pinned now) in [u, u + len - 1], counted page by page;
 * pages outside the universe count as new. */
static uint64_t new_pages(const struct model *m, uint64_t u, uint64_t len)
{
	uint64_t n = 0;

	for (uint64_t p = u & ~(PG - 1); p <= u + len - 1; p += PG) {
		int i = page_index(m, p);

		if (i < 0 || !m->pin[i])
			n++;
		if (p + PG < p)
			break;
	}
	return n;
}

static void pin_range(struct model *m, uint64_t u, uint64_t len, int delta)
{
	for (uint64_t k = 0; k < len / PG; k++) {
		uint64_t p = u + k * PG;
		int i = page_index(m, p);

		if (i < 0)
			mfail(m, __LINE__, "pin outside universe 0x%" PRIx64,
			      p);
		if (delta > 0 && m->pin[i]++ == 0)
			m->npinned++;
		if (delta < 0 && --m->pin[i] == 0)
			m->npinned--;
	}
}

static bool limit_exceeded(const struct model *m, uint64_t pages)
{
	return m->limit && (m->npinned + pages) * PG > m->limit;
}

static struct mpin *pin_by_id(struct model *m, uint64_t id)
{
	for (int i = 0; i < m->npins; i++)
		if (m->pins[i].id == id)
			return &m->pins[i];
	mfail(m, __LINE__, "no pin id %" PRIu64, id);
}

static struct mreg *reg_by_id(struct model *m, uint64_t id)
{
	for (int i = 0; i < m->nreg; i++)
		if (m->reg[i].id == id)
			return &m->reg[i];
	mfail(m, __LINE__, "no registration id %" PRIu64, id);
}

/* Physical address of the byte at a of a mapping's backing; false if not
 * RAM (only possible for BK_PHYS, which never asks). */
static uint64_t backing_pa(struct model *m, const struct mmapping *mp,
			   uint64_t a)
{
	uint64_t pa = 0;
	bool ro;

	if (mp->bk == BK_PHYS)
		return a;
	if (mp->bk == BK_REG && (reg_by_id(m, mp->reg_id)->flags &
				 IOAS_REG_LINEAR)) {
		const struct mreg *r = reg_by_id(m, mp->reg_id);

		return r->phys + (a - r->uaddr);
	}
	if (!host_resolve(m, a, &pa, &ro))
		mfail(m, __LINE__, "backing 0x%" PRIx64 " does not resolve", a);
	return pa;
}

/*
 * Is this piece of a source backing read-only memory (copy EPERM)? A
 * READONLY registration; for pin-on-map pins, read-only RAM or pages the
 * original map pinned without WRITE (the implementation's reading, as
 * iommufd's pages->writable; the header only says "read-only memory").
 */
static bool backing_ro(struct model *m, const struct mmapping *pc,
		       uint64_t len)
{
	uint64_t pa, a = pc->addr;
	bool ro = false;

	if (pc->bk == BK_PHYS)
		return false;
	if (pc->bk == BK_REG)
		return reg_by_id(m, pc->reg_id)->flags & IOAS_REG_READONLY;
	if (!pin_by_id(m, pc->pin_id)->w)
		return true;
	for (uint64_t p = a & ~(PG - 1); p <= a + len - 1; p += PG)
		if (host_resolve(m, p, &pa, &ro) && ro)
			return true;
	return false;
}

/* ---- windows, usable ranges, reservations ------------------------------ */

static int windows_of(const struct mspace *s, struct mwin *out)
{
	if (s->wmode == IOAS_WINDOWS_FULL) {
		out[0].base = s->ap.start;
		out[0].last = s->ap.last;
		out[0].pgbm = s->pgbm;
		return 1;
	}
	memcpy(out, s->win, (size_t)s->nwin * sizeof(out[0]));
	return s->nwin;
}

static int merged_reserved(const struct mspace *s, struct ioas_range *out)
{
	struct ioas_range r[MAXRES];
	int n = s->nres, k = 0;

	memcpy(r, s->res, (size_t)n * sizeof(r[0]));
	for (int i = 1; i < n; i++) /* insertion sort by start */
		for (int j = i; j > 0 && r[j].start < r[j - 1].start; j--) {
			struct ioas_range t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		if (k && (out[k - 1].last == UINT64_MAX ||
			  r[i].start <= out[k - 1].last + 1)) {
			if (r[i].last > out[k - 1].last)
				out[k - 1].last = r[i].last;
		} else {
			out[k++] = r[i];
		}
	}
	return k;
}

/* The window minus the reservations, in order. */
static int usable_of_win(const struct mspace *s, const struct mwin *w,
			 struct ioas_range *out)
{
	struct ioas_range r[MAXRES];
	int nr = merged_reserved(s, r), k = 0;
	uint64_t cur = w->base;

	for (int i = 0; i < nr; i++) {
		if (!isect(r[i].start, r[i].last, cur, w->last))
			continue;
		if (r[i].start > cur)
			out[k++] = (struct ioas_range){ cur, r[i].start - 1 };
		if (r[i].last >= w->last)
			return k;
		cur = r[i].last + 1;
	}
	out[k++] = (struct ioas_range){ cur, w->last };
	return k;
}

static bool touches_reserved(const struct mspace *s, uint64_t a, uint64_t l)
{
	for (int i = 0; i < s->nres; i++)
		if (isect(a, l, s->res[i].start, s->res[i].last))
			return true;
	return false;
}

static bool touches_mapping(const struct mspace *s, uint64_t a, uint64_t l)
{
	for (int i = 0; i < s->nmap; i++)
		if (isect(a, l, s->map[i].iova, s->map[i].last))
			return true;
	return false;
}

static bool touches_allowed(const struct mspace *s, uint64_t a, uint64_t l)
{
	for (int i = 0; i < s->nallow; i++)
		if (isect(a, l, s->allow[i].start, s->allow[i].last))
			return true;
	return false;
}

/* Window (or aperture) holding iova. */
static bool find_win(const struct mspace *s, uint64_t iova, struct mwin *out)
{
	struct mwin w[MAXWIN];
	int n = windows_of(s, w);

	for (int i = 0; i < n; i++)
		if (iova >= w[i].base && iova <= w[i].last) {
			*out = w[i];
			return true;
		}
	return false;
}

/* Every address of [a, l] inside some window and not reserved. */
static bool wholly_usable(const struct mspace *s, uint64_t a, uint64_t l)
{
	uint64_t cur = a;

	if (touches_reserved(s, a, l))
		return false;
	for (;;) {
		struct mwin w;

		if (!find_win(s, cur, &w))
			return false;
		if (w.last >= l)
			return true;
		cur = w.last + 1;
	}
}

/* ---- the allocation policy (as.h + itree.h), by brute force ------------ */

/* Lowest multiple of align >= x, false on overflow. */
static bool align_up(uint64_t x, uint64_t align, uint64_t *out)
{
	uint64_t r = (x + (align - 1)) & ~(align - 1);

	if (r < x)
		return false;
	*out = r;
	return true;
}

static int holes_in(const struct mspace *s, uint64_t lo, uint64_t hi,
		    struct ioas_range *out)
{
	uint64_t cur = lo;
	int k = 0;

	for (int i = 0; i < s->nmap; i++) {
		const struct mmapping *mp = &s->map[i];

		if (mp->last < cur || mp->iova > hi)
			continue;
		if (mp->iova > cur)
			out[k++] = (struct ioas_range){ cur, mp->iova - 1 };
		if (mp->last >= hi)
			return k;
		cur = mp->last + 1;
	}
	out[k++] = (struct ioas_range){ cur, hi };
	return k;
}

static bool find_free(const struct mspace *s, uint64_t lo, uint64_t hi,
		      uint64_t size, uint64_t align, uint64_t *out)
{
	struct ioas_range h[MAXMAP + 1];
	int n = holes_in(s, lo, hi, h);
	uint64_t need, a;
	bool need_ok = !__builtin_add_overflow(size, align - 1, &need);

	/* 1: the lowest hole that surely fits */
	for (int i = 0; need_ok && i < n; i++)
		if (h[i].last - h[i].start >= need - 1) {
			if (!align_up(h[i].start, align, out))
				return false; /* cannot happen: it fits */
			return true;
		}
	/* 2: the lowest aligned address where size fits */
	for (int i = 0; i < n; i++)
		if (align_up(h[i].start, align, &a) && a <= h[i].last &&
		    h[i].last - a >= size - 1) {
			*out = a;
			return true;
		}
	return false;
}

/* Alignment of an allocation (as.h). */
static uint64_t alloc_align(uint64_t length, uint64_t addr)
{
	uint64_t al = highbit(length);

	if (addr && lowbit(addr) < al)
		al = lowbit(addr);
	return al;
}

/* A usable piece cut to the allowed ranges (when any are set), in address
 * order. The model keeps allowed ranges disjoint and not adjacent. */
static int candidates_of(const struct mspace *s, const struct ioas_range *u,
			 struct ioas_range *c)
{
	struct ioas_range a[MAXALLOW];
	int nc = 0;

	if (!s->nallow) {
		c[0] = *u;
		return 1;
	}
	memcpy(a, s->allow, sizeof(a));
	for (int x = 1; x < s->nallow; x++) /* insertion sort by start */
		for (int y = x; y > 0 && a[y].start < a[y - 1].start; y--) {
			struct ioas_range t = a[y];

			a[y] = a[y - 1];
			a[y - 1] = t;
		}
	for (int x = 0; x < s->nallow; x++) {
		uint64_t lo = a[x].start > u->start ? a[x].start : u->start;
		uint64_t hi = a[x].last < u->last ? a[x].last : u->last;

		if (lo <= hi)
			c[nc++] = (struct ioas_range){ lo, hi };
	}
	return nc;
}

/* Does the window's smallest page size divide length and every piece? */
static bool window_fits(const struct mwin *w, uint64_t length,
			const uint64_t *addrs, const uint64_t *lens, int n)
{
	uint64_t p = lowbit(w->pgbm);

	if (length % p)
		return false;
	for (int k = 0; k < n; k++)
		if (addrs[k] % p || lens[k] % p)
			return false;
	return true;
}

/*
 * Allocate as as.h says: candidates are the usable pieces of qualifying
 * windows, cut to the allowed ranges, without IOVA 0, in address order;
 * find_free in each; the first answer wins. Returns 0 and *iova, or the
 * errno set when nothing is found.
 */
static unsigned allocate(const struct mspace *s, uint64_t length,
			 uint64_t align, const uint64_t *addrs,
			 const uint64_t *lens, int n, uint64_t *iova)
{
	struct mwin w[MAXWIN];
	int nw = windows_of(s, w);
	bool any = false;

	for (int i = 0; i < nw; i++) {
		struct ioas_range u[MAXRES + 1];
		int nu;

		if (!window_fits(&w[i], length, addrs, lens, n))
			continue;
		any = true;
		nu = usable_of_win(s, &w[i], u);
		for (int j = 0; j < nu; j++) {
			struct ioas_range c[MAXALLOW];
			int nc = candidates_of(s, &u[j], c);

			for (int x = 0; x < nc; x++) {
				if (c[x].start == 0) {
					if (c[x].last == 0)
						continue;
					c[x].start = 1; /* never IOVA 0 */
				}
				if (find_free(s, c[x].start, c[x].last, length,
					      align, iova))
					return 0;
			}
		}
	}
	/* no qualifying window at all: as.h reads as ENOSPC (no candidate),
	 * but "not aligned to the smallest page size" (EINVAL) is arguable */
	return any ? eb(ENOSPC) : (eb(ENOSPC) | eb(EINVAL));
}

/* ---- model mutation helpers -------------------------------------------- */

static void insert_map(struct model *m, struct mspace *s,
		       const struct mmapping *mp)
{
	int i = s->nmap;

	if (s->nmap >= MAXMAP)
		mfail(m, __LINE__, "model map array full");
	while (i > 0 && s->map[i - 1].iova > mp->iova) {
		s->map[i] = s->map[i - 1];
		i--;
	}
	s->map[i] = *mp;
	s->nmap++;
}

static void release_map(struct model *m, const struct mmapping *mp)
{
	struct mpin *p;

	if (mp->bk == BK_REG) {
		reg_by_id(m, mp->reg_id)->maps--;
	} else if (mp->bk == BK_PIN) {
		p = pin_by_id(m, mp->pin_id);
		if (--p->refs == 0) {
			pin_range(m, p->uaddr, p->len, -1);
			*p = m->pins[--m->npins];
		}
	}
}

/* New pin of [u, u + len - 1] for a mapping. */
static uint64_t pin_new(struct model *m, uint64_t u, uint64_t len, bool w)
{
	uint64_t id = m->next_id++;

	if (m->npins >= MAXPIN)
		mfail(m, __LINE__, "model pin array full");
	m->pins[m->npins++] = (struct mpin){ id, u, len, 1, w };
	pin_range(m, u, len, +1);
	return id;
}

/* A copied piece takes the registration, or a pin of its own pages. */
static void take_map(struct model *m, struct mmapping *mp)
{
	if (mp->bk == BK_REG)
		reg_by_id(m, mp->reg_id)->maps++;
	else if (mp->bk == BK_PIN)
		mp->pin_id = pin_new(m, mp->addr, mp->last - mp->iova + 1,
				     pin_by_id(m, mp->pin_id)->w);
}

/* ---- state comparison -------------------------------------------------- */

struct collect {
	void *arr;
	size_t n, cap, elem;
	bool overflow;
};

static int collect_cb(struct collect *c, const void *item)
{
	if (c->n >= c->cap) {
		c->overflow = true;
		return 1;
	}
	memcpy((char *)c->arr + c->n * c->elem, item, c->elem);
	c->n++;
	return 0;
}

static int collect_map(void *opaque, const struct ioas_mapping_info *mi)
{
	return collect_cb(opaque, mi);
}

static int collect_reg(void *opaque, const struct ioas_reg_info *ri)
{
	return collect_cb(opaque, ri);
}

static struct ioas_mapping_info got_maps[MAXMAP + 1];
static struct ioas_reg_info got_regs[MAXREG + 1];
static struct ioas_range qbuf[4][64];

static void check_maps_range(struct model *m, const struct mspace *s,
			     uint64_t a, uint64_t l)
{
	struct collect c = { got_maps, 0, MAXMAP + 1, sizeof(got_maps[0]),
			     false };
	int k = 0;

	MCHECK_EQ(m, ioas_as_for_each(s->as, a, l, collect_map, &c), 0);
	for (int i = 0; i < s->nmap; i++) {
		const struct mmapping *mp = &s->map[i];
		const struct ioas_mapping_info *g = &got_maps[k];

		if (!isect(mp->iova, mp->last, a, l))
			continue;
		if ((size_t)k >= c.n)
			mfail(m, __LINE__, "mapping [0x%" PRIx64 ", 0x%" PRIx64
			      "] missing from for_each", mp->iova, mp->last);
		if (g->iova != mp->iova || g->last != mp->last ||
		    g->addr != mp->addr || g->prot != mp->prot ||
		    g->flags != (mp->bk == BK_PHYS ? IOAS_MAP_PHYS : 0u))
			mfail(m, __LINE__, "mapping %d: got [0x%" PRIx64
			      ", 0x%" PRIx64 "] addr 0x%" PRIx64
			      " prot %u flags %u, want [0x%" PRIx64 ", 0x%"
			      PRIx64 "] addr 0x%" PRIx64 " prot %u bk %d", k,
			      g->iova, g->last, g->addr, g->prot, g->flags,
			      mp->iova, mp->last, mp->addr, mp->prot, mp->bk);
		k++;
	}
	if ((size_t)k != c.n)
		mfail(m, __LINE__, "for_each gave %zu mappings, want %d "
		      "(first extra [0x%" PRIx64 ", 0x%" PRIx64 "])", c.n, k,
		      c.n > (size_t)k ? got_maps[k].iova : 0,
		      c.n > (size_t)k ? got_maps[k].last : 0);
}

struct want_query {
	uint32_t max_windows, windows_left;
	uint64_t pgbm, mappings, bytes;
	struct ioas_range w[MAXWIN], r[MAXRES], u[MAXWIN * (MAXRES + 1)];
	int nw, nr, nu;
};

static void want_query(const struct mspace *s, struct want_query *q)
{
	struct mwin w[MAXWIN];

	memset(q, 0, sizeof(*q));
	q->nw = windows_of(s, w);
	for (int i = 0; i < q->nw; i++) {
		q->w[i] = (struct ioas_range){ w[i].base, w[i].last };
		q->pgbm |= w[i].pgbm;
		q->nu += usable_of_win(s, &w[i], q->u + q->nu);
	}
	q->nr = merged_reserved(s, q->r);
	if (s->wmode == IOAS_WINDOWS_FULL) {
		q->max_windows = 1;
		q->windows_left = 0;
	} else {
		q->max_windows = s->maxw;
		q->windows_left = s->maxw - (uint32_t)s->nwin;
	}
	for (int i = 0; i < s->nmap; i++) {
		q->mappings++;
		q->bytes += s->map[i].last - s->map[i].iova + 1;
	}
}

static void check_ranges(struct model *m, const char *what,
			 const struct ioas_range *got, uint32_t ngot,
			 const struct ioas_range *want, int nwant)
{
	if (ngot != (uint32_t)nwant)
		mfail(m, __LINE__, "query %s: %u entries, want %d", what, ngot,
		      nwant);
	for (int i = 0; i < nwant; i++)
		if (got[i].start != want[i].start ||
		    got[i].last != want[i].last)
			mfail(m, __LINE__, "query %s[%d]: [0x%" PRIx64 ", 0x%"
			      PRIx64 "], want [0x%" PRIx64 ", 0x%" PRIx64 "]",
			      what, i, got[i].start, got[i].last,
			      want[i].start, want[i].last);
}

static void check_scalars(struct model *m, const struct mspace *s,
			  const struct ioas_as_info *in,
			  const struct want_query *q)
{
	MCHECK_EQ(m, in->window_mode, s->wmode);
	MCHECK_EQ(m, in->pin_mode, s->pmode);
	MCHECK_EQ(m, in->max_windows, q->max_windows);
	MCHECK_EQ(m, in->windows_left, q->windows_left);
	MCHECK_EQ(m, in->pgsize_bitmap, q->pgbm);
	if (q->pgbm)
		MCHECK_EQ(m, in->alignment, lowbit(q->pgbm));
	else if (in->alignment != 0 && in->alignment != PG)
		mfail(m, __LINE__, "alignment with no windows: 0x%" PRIx64,
		      in->alignment);
	MCHECK_EQ(m, in->mappings, q->mappings);
	MCHECK_EQ(m, in->mapped_bytes, q->bytes);
}

static void check_query(struct model *m, const struct mspace *s)
{
	struct ioas_as_info in;
	struct want_query q;

	want_query(s, &q);
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.num_usable = in.num_reserved = in.num_windows = in.num_allowed = 64;
	in.usable = qbuf[0];
	in.reserved = qbuf[1];
	in.windows = qbuf[2];
	in.allowed = qbuf[3];
	MCHECK_EQ(m, ioas_as_query(s->as, &in), 0);
	check_scalars(m, s, &in, &q);
	check_ranges(m, "windows", qbuf[2], in.num_windows, q.w, q.nw);
	check_ranges(m, "reserved", qbuf[1], in.num_reserved, q.r, q.nr);
	check_ranges(m, "usable", qbuf[0], in.num_usable, q.u, q.nu);
	check_ranges(m, "allowed", qbuf[3], in.num_allowed, s->allow,
		     s->nallow);
}

static void check_regs(struct model *m)
{
	struct collect c = { got_regs, 0, MAXREG + 1, sizeof(got_regs[0]),
			     false };

	MCHECK_EQ(m, ioas_mm_for_each(m->mm, collect_reg, &c), 0);
	MCHECK_EQ(m, c.n, m->nreg);
	/* uaddr order; among equal uaddrs the order is not documented, so
	 * compare by (uaddr, length) */
	for (size_t i = 1; i < c.n; i++)
		if (got_regs[i].uaddr < got_regs[i - 1].uaddr)
			mfail(m, __LINE__, "registrations out of uaddr order");
	for (size_t i = 1; i < c.n; i++)
		for (size_t j = i; j > 0 &&
		     got_regs[j].uaddr == got_regs[j - 1].uaddr &&
		     got_regs[j].length < got_regs[j - 1].length; j--) {
			struct ioas_reg_info t = got_regs[j];
			got_regs[j] = got_regs[j - 1];
			got_regs[j - 1] = t;
		}
	for (int i = 0; i < m->nreg; i++) {
		const struct mreg *r = &m->reg[i];
		const struct ioas_reg_info *g = &got_regs[i];

		if (g->uaddr != r->uaddr || g->length != r->len ||
		    g->flags != r->flags || g->mappings != r->maps)
			mfail(m, __LINE__, "registration %d: got 0x%" PRIx64
			      "+0x%" PRIx64 " flags %u maps %" PRIu64
			      ", want 0x%" PRIx64 "+0x%" PRIx64
			      " flags %u maps %" PRIu64, i, g->uaddr,
			      g->length, g->flags, g->mappings, r->uaddr,
			      r->len, r->flags, r->maps);
	}
}

static void check_state(struct model *m)
{
	for (int i = 0; i < m->nsp; i++) {
		check_maps_range(m, &m->sp[i], 0, UINT64_MAX);
		check_query(m, &m->sp[i]);
	}
	check_regs(m);
	MCHECK_EQ(m, ioas_ctx_locked_bytes(m->ctx), m->npinned * PG);
	MCHECK_EQ(m, ioas_mm_pinned_bytes(m->mm), m->npinned * PG);
}

/* ---- generators -------------------------------------------------------- */

static uint64_t rand_granule(struct model *m)
{
	return chance(m, 75) ? PG : BIG;
}

static uint64_t rand_len(struct model *m, uint64_t g)
{
	uint64_t k = chance(m, 80) ? 1 + rnd(m, 4) : 1 + rnd(m, 16);

	if (g == BIG)
		k = chance(m, 80) ? 1 : 2 + rnd(m, 2);
	if (chance(m, 1))
		return 0;
	if (chance(m, 1))
		return k * g + 0x800;
	return k * g;
}

/* A host uaddr in the host buffer (guards included), aligned to g. */
static uint64_t rand_host(struct model *m, uint64_t g)
{
	uint64_t pages = g / PG;

	return m->hbase + rnd(m, NH / pages) * g;
}

static uint64_t rand_linear(struct model *m, uint64_t g)
{
	return LU + rnd(m, NL / (g / PG)) * g;
}

static void want_query(const struct mspace *s, struct want_query *q);

/* An IOVA in u aligned to g, mostly with room for len. */
static uint64_t iova_in(struct model *m, const struct ioas_range *u,
			uint64_t g, uint64_t len)
{
	uint64_t lo = (u->start + g - 1) & ~(g - 1), span;

	if (lo < u->start || lo > u->last)
		return u->start & ~(g - 1);
	span = u->last - lo;
	if (len && span >= len - 1 && chance(m, 85))
		span -= len - 1;
	if (span > U_IOVA)
		span = U_IOVA;
	return lo + rnd(m, span / g + 1) * g;
}

/* A usable piece of s to aim at, and the granule its window wants. */
static bool pick_piece(struct model *m, const struct mspace *s,
		       struct ioas_range *piece, uint64_t *g)
{
	struct mwin w[MAXWIN];
	struct ioas_range u[MAXRES + 1];
	int nw = windows_of(s, w), nu;
	const struct mwin *x;

	if (!nw)
		return false;
	x = &w[rnd(m, (uint64_t)nw)];
	nu = usable_of_win(s, x, u);
	if (!nu)
		return false;
	*piece = u[rnd(m, (uint64_t)nu)];
	*g = chance(m, 85) ? lowbit(x->pgbm) : rand_granule(m);
	return true;
}

/* Any IOVA of the universe (or the top of the space), aligned to g. */
static uint64_t rand_iova(struct model *m, uint64_t g)
{
	if (chance(m, 5))
		return UINT64_MAX - g * (1 + rnd(m, 3)) + 1;
	return rnd(m, U_IOVA / g) * g;
}

/* ---- operations -------------------------------------------------------- */

static void op_unregister(struct model *m);

static void op_register(struct model *m)
{
	struct ioas_reg r;
	unsigned errs = 0;
	bool linear = chance(m, 40);
	int i;

	m->op = "register";
	if (m->nreg >= MAXREG) {
		op_unregister(m);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if (m->nreg && chance(m, 8)) { /* exactly an existing range */
		const struct mreg *x = &m->reg[rnd(m, (uint64_t)m->nreg)];

		r.uaddr = x->uaddr;
		r.length = x->len;
		r.flags = x->flags ^ (chance(m, 50) ? IOAS_REG_READONLY : 0);
		if (r.flags & IOAS_REG_LINEAR)
			r.phys = LP + (r.uaddr - LU);
	} else if (linear) {
		r.flags = IOAS_REG_LINEAR;
		r.uaddr = LU + rnd(m, NL) * PG;
		r.length = (1 + rnd(m, 16)) * PG;
		r.phys = LP + (r.uaddr - LU);
	} else {
		r.uaddr = m->hbase + (8 + rnd(m, NH - 16)) * PG;
		r.length = (1 + (chance(m, 70) ? rnd(m, 8) : rnd(m, 32))) * PG;
	}
	if (chance(m, 30))
		r.flags |= IOAS_REG_READONLY;
	if (chance(m, 2))
		r.uaddr += 0x10;
	if (chance(m, 2))
		r.length = chance(m, 50) ? 0 : r.length - 0x100;
	if (chance(m, 2))
		r.phys = (r.flags & IOAS_REG_LINEAR) ? r.phys + 0x200 : LP;
	if (chance(m, 1))
		r.uaddr = UINT64_MAX - PG + 1;
	DESC(m, "uaddr 0x%" PRIx64 " len 0x%" PRIx64 " phys 0x%" PRIx64
	     " flags %u", r.uaddr, r.length, r.phys, r.flags);

	if (r.uaddr % PG || r.length % PG || r.phys % PG || !r.length)
		errs |= eb(EINVAL);
	if (r.phys && !(r.flags & IOAS_REG_LINEAR))
		errs |= eb(EINVAL);
	if (wraps(r.uaddr, r.length) ||
	    ((r.flags & IOAS_REG_LINEAR) && wraps(r.phys, r.length)))
		errs |= eb(EOVERFLOW);
	if (!errs) {
		bool fault = false, acc = false;

		for (i = 0; i < m->nreg; i++)
			if (m->reg[i].uaddr == r.uaddr &&
			    m->reg[i].len == r.length)
				errs |= eb(EEXIST);
		for (uint64_t o = 0; o < r.length; o += PG) {
			uint64_t pa;
			bool ro = false;

			if (r.flags & IOAS_REG_LINEAR) {
				if (!linear_ram(r.phys + o, &ro))
					fault = true;
			} else if (!host_resolve(m, r.uaddr + o, &pa, &ro)) {
				fault = true;
			}
			if (ro && !(r.flags & IOAS_REG_READONLY))
				acc = true;
		}
		if (fault)
			errs |= eb(EFAULT);
		if (acc)
			errs |= eb(EACCES);
		if (limit_exceeded(m, new_pages(m, r.uaddr, r.length)))
			errs |= eb(ENOMEM);
	}
	if (!expect(m, __LINE__, ioas_mm_register(m->mm, &r), errs))
		return;
	if (m->nreg >= MAXREG)
		mfail(m, __LINE__, "model registration array full");
	pin_range(m, r.uaddr, r.length, +1);
	i = m->nreg;
	while (i > 0 && (m->reg[i - 1].uaddr > r.uaddr ||
			 (m->reg[i - 1].uaddr == r.uaddr &&
			  m->reg[i - 1].len > r.length))) {
		m->reg[i] = m->reg[i - 1];
		i--;
	}
	m->reg[i] = (struct mreg){ r.uaddr, r.length, r.phys, r.flags,
				   m->next_id++, 0 };
	m->nreg++;
}

static void op_unregister(struct model *m)
{
	uint64_t u, len;
	unsigned errs = eb(ENOENT);
	int hit = -1;

	m->op = "unregister";
	if (m->nreg && chance(m, 75)) {
		const struct mreg *x = &m->reg[rnd(m, (uint64_t)m->nreg)];

		u = x->uaddr;
		len = x->len;
		if (chance(m, 20)) { /* overlapping, not exact */
			if (chance(m, 50))
				len += PG;
			else
				u += PG;
		}
	} else {
		u = rand_host(m, PG);
		len = (1 + rnd(m, 8)) * PG;
	}
	DESC(m, "uaddr 0x%" PRIx64 " len 0x%" PRIx64, u, len);
	for (int i = 0; i < m->nreg; i++)
		if (m->reg[i].uaddr == u && m->reg[i].len == len)
			hit = i;
	if (hit >= 0)
		errs = m->reg[hit].maps ? eb(EBUSY) : 0;
	if (!expect(m, __LINE__, ioas_mm_unregister(m->mm, u, len), errs))
		return;
	pin_range(m, u, len, -1);
	memmove(&m->reg[hit], &m->reg[hit + 1],
		(size_t)(m->nreg - hit - 1) * sizeof(m->reg[0]));
	m->nreg--;
}

static uint64_t rand_pgbm(struct model *m)
{
	switch (rnd(m, 3)) {
	case 0:
		return PG;
	case 1:
		return PG | BIG;
	default:
		return BIG;
	}
}

static void op_window_create(struct model *m, struct mspace *s)
{
	struct ioas_window w;
	unsigned errs = 0;
	uint64_t L;

	m->op = "window_create";
	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.pgsize_bitmap = rand_pgbm(m);
	L = highbit(w.pgsize_bitmap);
	if (L == PG)
		w.length = (16 + rnd(m, 113)) * PG;
	else
		w.length = (1 + rnd(m, 8)) * BIG;
	w.base = rnd(m, U_IOVA / L) * L;
	if (chance(m, 3))
		w.base = UINT64_MAX - w.length + 1;
	if (chance(m, 2))
		w.base += PG;
	if (chance(m, 2))
		w.length = chance(m, 50) ? 0 : w.length + PG;
	if (chance(m, 1))
		w.pgsize_bitmap |= 0x800;
	if (chance(m, 1)) {
		w.base = UINT64_MAX - BIG + 1;
		w.length = 2 * BIG;
	}
	DESC(m, "base 0x%" PRIx64 " len 0x%" PRIx64 " pgbm 0x%" PRIx64, w.base,
	     w.length, w.pgsize_bitmap);

	if (s->wmode == IOAS_WINDOWS_FULL)
		errs |= eb(EINVAL);
	L = highbit(w.pgsize_bitmap);
	if (w.pgsize_bitmap & (PG - 1))
		errs |= eb(EINVAL);
	if (!w.length || w.base % L || w.length % L)
		errs |= eb(EINVAL);
	if (wraps(w.base, w.length))
		errs |= eb(EOVERFLOW);
	else if (w.length && s->wmode == IOAS_WINDOWS_EXPLICIT)
		for (int i = 0; i < s->nwin; i++)
			if (isect(w.base, w.base + w.length - 1, s->win[i].base,
				  s->win[i].last))
				errs |= eb(EEXIST);
	if (s->wmode == IOAS_WINDOWS_EXPLICIT && (uint32_t)s->nwin >= s->maxw)
		errs |= eb(ENOSPC);
	if (!expect(m, __LINE__, ioas_as_window_create(s->as, &w), errs))
		return;
	{
		int i = s->nwin;

		while (i > 0 && s->win[i - 1].base > w.base) {
			s->win[i] = s->win[i - 1];
			i--;
		}
		s->win[i] = (struct mwin){ w.base, w.base + w.length - 1,
					   w.pgsize_bitmap };
		s->nwin++;
	}
}

static void op_window_remove(struct model *m, struct mspace *s)
{
	uint64_t base;
	unsigned errs = eb(ENOENT);
	int hit = -1;

	m->op = "window_remove";
	if (s->nwin && chance(m, 80))
		base = s->win[rnd(m, (uint64_t)s->nwin)].base;
	else
		base = rnd(m, U_IOVA / PG) * PG;
	DESC(m, "base 0x%" PRIx64, base);
	for (int i = 0; i < s->nwin; i++)
		if (s->win[i].base == base)
			hit = i;
	if (hit >= 0) {
		errs = 0;
		if (touches_mapping(s, s->win[hit].base, s->win[hit].last))
			errs |= eb(EBUSY);
		if (touches_allowed(s, s->win[hit].base, s->win[hit].last))
			errs |= eb(EADDRINUSE);
	}
	if (!expect(m, __LINE__, ioas_as_window_remove(s->as, base), errs))
		return;
	memmove(&s->win[hit], &s->win[hit + 1],
		(size_t)(s->nwin - hit - 1) * sizeof(s->win[0]));
	s->nwin--;
}

static void rand_range(struct model *m, uint64_t *a, uint64_t *l)
{
	uint64_t r = rnd(m, 100);

	if (r < 70) {
		*a = rnd(m, U_IOVA / PG) * PG;
		*l = *a + (1 + rnd(m, 8)) * PG - 1;
	} else if (r < 90) {
		*a = rnd(m, U_IOVA);
		*l = *a + rnd(m, 3 * PG);
	} else if (r < 99) {
		*a = rnd(m, U_IOVA);
		*l = *a - 1 - rnd(m, PG);
	} else {
		*a = rnd(m, 2) ? 0 : U_IOVA / 2;
		*l = UINT64_MAX;
	}
}

static void op_unreserve(struct model *m, struct mspace *s);

static void op_reserve(struct model *m, struct mspace *s)
{
	uint64_t a, l;
	unsigned errs = 0;

	m->op = "reserve";
	if (s->nres >= MAXRES / 2) {
		op_unreserve(m, s);
		return;
	}
	rand_range(m, &a, &l);
	for (int i = 0; i < s->nres; i++)
		if (s->res[i].start == a && s->res[i].last == l)
			return; /* duplicates: semantics not documented */
	DESC(m, "[0x%" PRIx64 ", 0x%" PRIx64 "]", a, l);
	if (a > l) {
		errs |= eb(EINVAL);
	} else {
		if (touches_mapping(s, a, l) || touches_allowed(s, a, l))
			errs |= eb(EADDRINUSE);
	}
	if (!expect(m, __LINE__, ioas_as_reserve(s->as, a, l), errs))
		return;
	s->res[s->nres++] = (struct ioas_range){ a, l };
}

static void op_unreserve(struct model *m, struct mspace *s)
{
	uint64_t a, l;
	unsigned errs = eb(ENOENT);
	int hit = -1;

	m->op = "unreserve";
	if (s->nres && chance(m, 75)) {
		const struct ioas_range *x = &s->res[rnd(m, (uint64_t)s->nres)];

		a = x->start;
		l = chance(m, 90) ? x->last : x->last + 1;
	} else {
		rand_range(m, &a, &l);
	}
	DESC(m, "[0x%" PRIx64 ", 0x%" PRIx64 "]", a, l);
	for (int i = 0; i < s->nres; i++)
		if (s->res[i].start == a && s->res[i].last == l)
			hit = i;
	if (hit >= 0)
		errs = 0;
	if (!expect(m, __LINE__, ioas_as_unreserve(s->as, a, l), errs))
		return;
	memmove(&s->res[hit], &s->res[hit + 1],
		(size_t)(s->nres - hit - 1) * sizeof(s->res[0]));
	s->nres--;
}

static void op_allow(struct model *m, struct mspace *s)
{
	struct ioas_range r[MAXALLOW];
	int n = chance(m, 50) ? 0 : 1 + (int)rnd(m, MAXALLOW - 1), k = 0;
	unsigned errs = 0;
	struct want_query q;

	m->op = "allow";
	want_query(s, &q);
	for (int i = 0; i < n; i++) {
		struct ioas_range c;
		bool ok = true;

		if (q.nu && chance(m, 75)) {
			const struct ioas_range *u =
				&q.u[rnd(m, (uint64_t)q.nu)];
			uint64_t span = u->last - u->start;

			if (span > U_IOVA)
				span = U_IOVA;
			c.start = u->start + rnd(m, span / PG + 1) * PG;
			if (c.start > u->last || c.start < u->start)
				c.start = u->start;
			c.last = c.start + (1 + rnd(m, 64)) * PG - 1;
			if (c.last > u->last || c.last < c.start)
				c.last = u->last;
		} else {
			rand_range(m, &c.start, &c.last);
		}
		/* keep them apart and not adjacent: see allocate() */
		if (c.start <= c.last)
			for (int j = 0; j < k; j++)
				if (r[j].start <= r[j].last &&
				    isect(c.start ? c.start - 1 : 0,
					  c.last == UINT64_MAX ? c.last
							       : c.last + 1,
					  r[j].start, r[j].last))
					ok = false;
		if (ok)
			r[k++] = c;
	}
	DESC(m, "n %d [0x%" PRIx64 ", 0x%" PRIx64 "] ...", k,
	     k ? r[0].start : 0, k ? r[0].last : 0);
	for (int i = 0; i < k; i++) {
		if (r[i].start > r[i].last)
			errs |= eb(EINVAL);
		else if (!wholly_usable(s, r[i].start, r[i].last))
			errs |= eb(EADDRINUSE);
	}
	if (!expect(m, __LINE__, ioas_as_allow(s->as, k ? r : NULL, (size_t)k),
		    errs))
		return;
	memcpy(s->allow, r, sizeof(r));
	s->nallow = k;
}

/* The registration a PREREG map uses: lowest uaddr, then shortest. */
static int prereg_choice(const struct model *m, uint64_t a, uint64_t len)
{
	int best = -1;

	for (int i = 0; i < m->nreg; i++) {
		const struct mreg *r = &m->reg[i];

		if (a < r->uaddr || a + len - 1 > r->uaddr + r->len - 1)
			continue;
		if (best < 0 || r->uaddr < m->reg[best].uaddr ||
		    (r->uaddr == m->reg[best].uaddr &&
		     r->len < m->reg[best].len))
			best = i;
	}
	return best;
}

#define KNOWN_PROT (IOAS_PROT_READ | IOAS_PROT_WRITE | IOAS_PROT_EXEC | \
		    IOAS_PROT_PRIV | IOAS_PROT_MMIO)

static uint32_t rand_prot(struct model *m)
{
	uint64_t r = rnd(m, 100);

	if (r < 40)
		return IOAS_PROT_READ | IOAS_PROT_WRITE;
	if (r < 70)
		return IOAS_PROT_READ;
	if (r < 88)
		return IOAS_PROT_WRITE;
	if (r < 94)
		return IOAS_PROT_READ | IOAS_PROT_EXEC | IOAS_PROT_PRIV;
	if (r < 97)
		return chance(m, 50) ? 0 : IOAS_PROT_EXEC;
	return IOAS_PROT_READ | (1u << 6);
}

static unsigned prot_errs(uint32_t prot)
{
	unsigned e = 0;

	if (prot & ~KNOWN_PROT)
		e |= eb(EOPNOTSUPP);
	if (!(prot & (IOAS_PROT_READ | IOAS_PROT_WRITE)))
		e |= eb(EINVAL);
	return e;
}

/* EINVAL / EEXIST of a fixed destination made of pieces. */
static unsigned fixed_errs(const struct mspace *s, uint64_t iova,
			   uint64_t len, const uint64_t *addrs,
			   const uint64_t *lens, int n)
{
	struct mwin w;
	unsigned e = 0;
	uint64_t last = iova + len - 1, p;

	if (wraps(iova, len))
		return eb(EOVERFLOW) | eb(EINVAL);
	if (!len)
		return 0;
	if (!find_win(s, iova, &w) || last > w.last)
		return eb(EINVAL) | (touches_mapping(s, iova, last) ?
				     eb(EEXIST) : 0);
	p = lowbit(w.pgbm);
	if (iova % p || len % p || touches_reserved(s, iova, last))
		e |= eb(EINVAL);
	for (int k = 0; k < n; k++)
		if (addrs[k] % p || lens[k] % p)
			e |= eb(EINVAL);
	if (touches_mapping(s, iova, last))
		e |= eb(EEXIST);
	return e;
}

static void op_map(struct model *m, struct mspace *s, int kind)
{
	struct ioas_map mp;
	struct mmapping nm;
	struct ioas_range piece;
	unsigned errs = 0;
	uint64_t g = PG, iova = 0;
	bool fixed = kind == 0 || (kind == 2 && chance(m, 50));
	bool phys = kind == 2;
	bool aimed = pick_piece(m, s, &piece, &g) && chance(m, 85);
	int choice = -1;
	int64_t ret;

	m->op = fixed ? (phys ? "map_phys_fixed" : "map_fixed")
		      : (phys ? "map_phys_alloc" : "map_alloc");
	if (s->nmap >= MAXMAP - 4)
		return;
	if (!aimed)
		g = rand_granule(m);
	memset(&mp, 0, sizeof(mp));
	mp.size = sizeof(mp);
	mp.flags = (fixed ? IOAS_MAP_FIXED_IOVA : 0) |
		   (phys ? IOAS_MAP_PHYS : 0);
	mp.prot = rand_prot(m);
	mp.length = rand_len(m, g);
	if (phys) {
		uint64_t r = rnd(m, 100);

		if (r < 30)
			mp.addr = hregs[rnd(m, 3)].pa + rnd(m, 16) * g;
		else if (r < 50)
			mp.addr = LP + rnd(m, 32) * g;
		else if (r < 98)
			mp.addr = rnd(m, 0x1000000 / g) * g;
		else
			mp.addr = UINT64_MAX - g + 1;
	} else if (s->pmode == IOAS_PIN_PREREG && m->nreg && chance(m, 75)) {
		const struct mreg *r = &m->reg[rnd(m, (uint64_t)m->nreg)];
		uint64_t room = r->len / g;

		mp.addr = (r->uaddr + g - 1) / g * g; /* aligned inside */
		if (room > 1)
			mp.addr += rnd(m, room) * g;
		if (chance(m, 70) && mp.length && mp.addr < r->uaddr + r->len) {
			uint64_t left = r->uaddr + r->len - mp.addr;
			uint64_t k = left / g + (chance(m, 80) ? 0 : 1);

			mp.length = (1 + rnd(m, k)) * g;
		}
	} else if (s->pmode == IOAS_PIN_PREREG && chance(m, 30)) {
		mp.addr = rand_linear(m, g);
	} else if (chance(m, 80)) { /* inside one of the RAM regions */
		const struct hregion *h = &hregs[rnd(m, 3)];
		uint64_t n = h->n * PG / g;

		mp.addr = m->hbase + h->off * PG + rnd(m, n) * g;
	} else {
		mp.addr = rand_host(m, g);
	}
	if (chance(m, 1))
		mp.addr += 0x800;
	if (fixed)
		mp.iova = aimed ? iova_in(m, &piece, g, mp.length)
				: rand_iova(m, g);
	else
		mp.iova = rnd(m, UINT64_MAX); /* out only: must be ignored */
	DESC(m, "iova 0x%" PRIx64 " len 0x%" PRIx64 " addr 0x%" PRIx64
	     " prot 0x%x flags %u", mp.iova, mp.length, mp.addr, mp.prot,
	     mp.flags);

	errs |= prot_errs(mp.prot);
	if (!mp.length)
		errs |= eb(EINVAL);
	if (wraps(mp.addr, mp.length))
		errs |= eb(EOVERFLOW);
	if (fixed)
		errs |= fixed_errs(s, mp.iova, mp.length, &mp.addr, &mp.length,
				   1);
	nm.bk = phys ? BK_PHYS
		     : (s->pmode == IOAS_PIN_PREREG ? BK_REG : BK_PIN);
	nm.reg_id = 0;
	nm.pin_id = 0;
	if (!phys && mp.length) {
		if (wraps(mp.addr, mp.length)) {
			errs |= eb(EFAULT) | (m->limit ? eb(ENOMEM) : 0);
		} else if (s->pmode == IOAS_PIN_PREREG) {
			choice = prereg_choice(m, mp.addr, mp.length);
			if (choice < 0)
				errs |= eb(EFAULT);
			else if ((mp.prot & IOAS_PROT_WRITE) &&
				 (m->reg[choice].flags & IOAS_REG_READONLY))
				errs |= eb(EPERM);
			else
				nm.reg_id = m->reg[choice].id;
		} else {
			bool fault = false, ro_hit = false;

			for (uint64_t p = mp.addr & ~(PG - 1);
			     p <= mp.addr + mp.length - 1; p += PG) {
				uint64_t pa;
				bool ro = false;

				if (!host_resolve(m, p, &pa, &ro))
					fault = true;
				else if (ro)
					ro_hit = true;
			}
			if (fault)
				errs |= eb(EFAULT);
			if (ro_hit && (mp.prot & IOAS_PROT_WRITE))
				errs |= eb(EPERM);
			if (limit_exceeded(m, new_pages(m, mp.addr,
							mp.length)))
				errs |= eb(ENOMEM);
		}
	}
	if (!fixed && mp.length) {
		uint64_t al = alloc_align(mp.length, mp.addr);

		errs |= allocate(s, mp.length, al, &mp.addr, &mp.length, 1,
				 &iova);
	}
	ret = ioas_as_map(s->as, &mp);
	if (!expect(m, __LINE__, ret, errs))
		return;
	if (!fixed && mp.iova != iova)
		mfail(m, __LINE__, "allocated iova 0x%" PRIx64 ", want 0x%"
		      PRIx64 " (align 0x%" PRIx64 ")", mp.iova, iova,
		      alloc_align(mp.length, mp.addr));
	nm.iova = fixed ? mp.iova : iova;
	nm.last = nm.iova + mp.length - 1;
	nm.addr = mp.addr;
	nm.prot = mp.prot;
	if (nm.bk == BK_PIN)
		nm.pin_id = pin_new(m, mp.addr, mp.length,
				    mp.prot & IOAS_PROT_WRITE);
	else if (nm.bk == BK_REG)
		reg_by_id(m, nm.reg_id)->maps++;
	insert_map(m, s, &nm);
}

static void op_unmap(struct model *m, struct mspace *s)
{
	uint64_t a, l, got = 0xdeadbeef, bytes = 0;
	unsigned errs = 0;
	int inside = 0, partial = 0;

	m->op = "unmap";
	if (s->nmap && chance(m, 80)) {
		int i = (int)rnd(m, (uint64_t)s->nmap);
		int j = i + (chance(m, 50) ? 0 : (int)rnd(m, 4));

		if (j >= s->nmap)
			j = s->nmap - 1;
		a = s->map[i].iova;
		l = s->map[j].last;
		if (chance(m, 15))
			a -= rnd(m, 3) * PG;
		if (chance(m, 15))
			l += rnd(m, 3) * PG;
		if (chance(m, 5))
			a += PG;
		if (chance(m, 3))
			l -= 1;
	} else {
		rand_range(m, &a, &l);
	}
	DESC(m, "[0x%" PRIx64 ", 0x%" PRIx64 "]", a, l);
	if (a > l) {
		errs = eb(EINVAL);
	} else {
		for (int i = 0; i < s->nmap; i++) {
			const struct mmapping *mp = &s->map[i];

			if (mp->iova >= a && mp->last <= l) {
				inside++;
				bytes += mp->last - mp->iova + 1;
			} else if (isect(mp->iova, mp->last, a, l)) {
				partial++;
			}
		}
		if (partial || !inside)
			errs = eb(ENOENT);
	}
	if (!expect(m, __LINE__, ioas_as_unmap(s->as, a, l, &got), errs))
		return;
	MCHECK_EQ(m, got, bytes);
	for (int i = 0; i < s->nmap;) {
		if (s->map[i].iova >= a && s->map[i].last <= l) {
			release_map(m, &s->map[i]);
			memmove(&s->map[i], &s->map[i + 1],
				(size_t)(s->nmap - i - 1) * sizeof(s->map[0]));
			s->nmap--;
		} else {
			i++;
		}
	}
}

static void op_unmap_all(struct model *m, struct mspace *s)
{
	uint64_t bytes = 0;

	m->op = "unmap_all";
	DESC(m, "%d mappings", s->nmap);
	for (int i = 0; i < s->nmap; i++) {
		bytes += s->map[i].last - s->map[i].iova + 1;
		release_map(m, &s->map[i]);
	}
	s->nmap = 0;
	MCHECK_EQ(m, ioas_as_unmap_all(s->as), bytes);
}

static void op_copy(struct model *m, struct mspace *dst,
		    const struct mspace *src)
{
	struct ioas_copy c;
	struct mmapping pieces[MAXMAP];
	uint64_t addrs[MAXMAP], lens[MAXMAP];
	uint64_t g = rand_granule(m), iova = 0, cur, last;
	unsigned errs = 0;
	int n = 0;
	bool covered = true;

	m->op = "copy";
	if (dst->nmap >= MAXMAP / 2)
		return;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = chance(m, 50) ? IOAS_MAP_FIXED_IOVA : 0;
	c.prot = rand_prot(m);
	if (src->nmap && chance(m, 85)) {
		int i = (int)rnd(m, (uint64_t)src->nmap);
		int j = i + (chance(m, 60) ? 0 : (int)rnd(m, 3));
		uint64_t s0, l0;

		if (j >= src->nmap)
			j = src->nmap - 1;
		s0 = src->map[i].iova;
		l0 = src->map[j].last;
		if (chance(m, 40))
			s0 += rnd(m, (src->map[i].last - s0 + 1) / PG) * PG;
		if (chance(m, 40) && l0 - s0 >= PG)
			l0 -= rnd(m, (l0 - s0 + 1) / PG) * PG;
		if (l0 < s0)
			l0 = s0 + PG - 1;
		c.src_iova = s0;
		c.length = l0 - s0 + 1;
	} else {
		c.src_iova = rnd(m, U_IOVA / PG) * PG;
		c.length = rand_len(m, g);
	}
	if (chance(m, 1))
		c.length = 0;
	if (c.flags & IOAS_MAP_FIXED_IOVA) {
		struct ioas_range piece;
		uint64_t dg;

		if (pick_piece(m, dst, &piece, &dg) && chance(m, 85))
			c.dst_iova = iova_in(m, &piece, dg, c.length);
		else
			c.dst_iova = rand_iova(m, g);
	} else
		c.dst_iova = rnd(m, UINT64_MAX);
	DESC(m, "src_iova 0x%" PRIx64 " len 0x%" PRIx64 " dst_iova 0x%" PRIx64
	     " prot 0x%x flags %u", c.src_iova, c.length, c.dst_iova, c.prot,
	     c.flags);

	errs |= prot_errs(c.prot);
	if (!c.length)
		errs |= eb(EINVAL);
	if (wraps(c.src_iova, c.length)) {
		errs |= eb(EOVERFLOW) | eb(ENOENT);
		covered = false;
	} else if (c.length) {
		/* the pieces, and whether [src, last] has no hole */
		cur = c.src_iova;
		last = c.src_iova + c.length - 1;
		for (int i = 0; i < src->nmap && covered; i++) {
			const struct mmapping *sm = &src->map[i];
			uint64_t lo, hi;

			if (!isect(sm->iova, sm->last, c.src_iova, last))
				continue;
			if (sm->iova > cur) {
				covered = false;
				break;
			}
			lo = cur;
			hi = sm->last < last ? sm->last : last;
			pieces[n] = *sm;
			pieces[n].iova = lo; /* source iova for now */
			pieces[n].last = hi;
			pieces[n].addr = sm->addr + (lo - sm->iova);
			addrs[n] = pieces[n].addr;
			lens[n] = hi - lo + 1;
			n++;
			if (hi == last)
				break;
			cur = hi + 1;
		}
		if (!n || pieces[n - 1].last != last)
			covered = false;
		if (!covered)
			errs |= eb(ENOENT);
		else if (c.prot & IOAS_PROT_WRITE)
			for (int k = 0; k < n; k++)
				if (backing_ro(m, &pieces[k], lens[k]))
					errs |= eb(EPERM);
	}
	if (c.flags & IOAS_MAP_FIXED_IOVA) {
		errs |= fixed_errs(dst, c.dst_iova, c.length, addrs, lens,
				   covered ? n : 0);
	} else if (c.length) {
		if (covered)
			errs |= allocate(dst, c.length,
					 alloc_align(c.length, addrs[0]), addrs,
					 lens, n, &iova);
		else
			errs |= eb(ENOSPC) | eb(EINVAL);
	}
	if (!expect(m, __LINE__, ioas_as_copy(dst->as, src->as, &c), errs))
		return;
	if (!(c.flags & IOAS_MAP_FIXED_IOVA)) {
		if (c.dst_iova != iova)
			mfail(m, __LINE__, "copy allocated 0x%" PRIx64
			      ", want 0x%" PRIx64, c.dst_iova, iova);
	} else {
		iova = c.dst_iova;
	}
	for (int k = 0; k < n; k++) {
		struct mmapping nm = pieces[k];

		nm.iova = iova + (pieces[k].iova - c.src_iova);
		nm.last = nm.iova + lens[k] - 1;
		nm.prot = c.prot;
		take_map(m, &nm);
		insert_map(m, dst, &nm);
	}
}

static void op_lookup(struct model *m, const struct mspace *s)
{
	uint64_t iova, pa = 0, wpa = 0, n = 0;
	uint32_t prot = 0;
	int64_t ret;
	const struct mmapping *hit = NULL;

	m->op = "lookup";
	if (s->nmap && chance(m, 70)) {
		const struct mmapping *mp = &s->map[rnd(m, (uint64_t)s->nmap)];
		iova = mp->iova + rnd(m, mp->last - mp->iova + 1);
	} else {
		iova = rnd(m, U_IOVA);
	}
	DESC(m, "iova 0x%" PRIx64, iova);
	for (int i = 0; i < s->nmap; i++)
		if (iova >= s->map[i].iova && iova <= s->map[i].last)
			hit = &s->map[i];
	ret = ioas_as_lookup(s->as, iova, &pa, &prot);
	if (!hit) {
		expect(m, __LINE__, ret, eb(ENOENT));
		return;
	}
	/* walk page by page while the physical address runs on */
	wpa = backing_pa(m, hit, hit->addr + (iova - hit->iova));
	n = 0;
	for (uint64_t a = iova;;) {
		uint64_t end = (a | (PG - 1)) < hit->last ? (a | (PG - 1))
							  : hit->last;
		n += end - a + 1;
		if (end == hit->last)
			break;
		a = end + 1;
		if (backing_pa(m, hit, hit->addr + (a - hit->iova)) !=
		    wpa + (a - iova))
			break;
	}
	if (ret < 0)
		mfail(m, __LINE__, "lookup failed %" PRId64, ret);
	MCHECK_EQ(m, pa, wpa);
	MCHECK_EQ(m, prot, hit->prot);
	MCHECK_EQ(m, ret, n);
	m->stat_ok++;
}

static void op_resolve(struct model *m)
{
	uint64_t u = rand_host(m, PG), len = (1 + rnd(m, 12)) * PG, pa = 0;
	uint64_t wpa = 0, n = 0;
	bool ro, fault = false, run = true;
	int64_t ret;

	m->op = "resolve";
	if (chance(m, 3))
		u += 0x10;
	DESC(m, "uaddr 0x%" PRIx64 " len 0x%" PRIx64, u, len);
	ret = ioas_mm_resolve(m->mm, u, len, &pa);
	if (u % PG) {
		expect(m, __LINE__, ret, eb(EINVAL));
		return;
	}
	for (uint64_t o = 0; o < len; o += PG) {
		uint64_t p;

		if (!host_resolve(m, u + o, &p, &ro)) {
			fault = true;
			break;
		}
		if (o == 0) {
			wpa = p;
			n = PG;
		} else if (run && p == wpa + o) {
			n += PG;
		} else {
			run = false;
		}
	}
	if (fault) {
		expect(m, __LINE__, ret, eb(EFAULT));
		return;
	}
	if (ret < 0)
		mfail(m, __LINE__, "resolve failed %" PRId64, ret);
	MCHECK_EQ(m, pa, wpa);
	MCHECK_EQ(m, ret, n);
	m->stat_ok++;
}

static void op_for_each_part(struct model *m, const struct mspace *s)
{
	uint64_t a, l;

	m->op = "for_each";
	rand_range(m, &a, &l);
	if (a > l) {
		uint64_t t = a;
		a = l;
		l = t;
	}
	DESC(m, "[0x%" PRIx64 ", 0x%" PRIx64 "]", a, l);
	check_maps_range(m, s, a, l);
}

static void op_query_small(struct model *m, const struct mspace *s)
{
	struct ioas_as_info in;
	struct want_query q;
	static struct ioas_range buf[4][64];
	uint32_t need[4], cap[4];
	int which;

	m->op = "query_small";
	want_query(s, &q);
	need[0] = (uint32_t)q.nu;
	need[1] = (uint32_t)q.nr;
	need[2] = (uint32_t)q.nw;
	need[3] = (uint32_t)s->nallow;
	which = (int)rnd(m, 4);
	DESC(m, "short array %d", which);
	if (!need[which])
		return;
	for (int i = 0; i < 4; i++)
		cap[i] = i == which ? need[i] - 1 : 64;
	memset(buf, 0xa5, sizeof(buf));
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.num_usable = cap[0];
	in.num_reserved = cap[1];
	in.num_windows = cap[2];
	in.num_allowed = cap[3];
	in.usable = buf[0];
	in.reserved = buf[1];
	in.windows = buf[2];
	in.allowed = buf[3];
	expect(m, __LINE__, ioas_as_query(s->as, &in), eb(EMSGSIZE));
	MCHECK_EQ(m, in.num_usable, need[0]);
	MCHECK_EQ(m, in.num_reserved, need[1]);
	MCHECK_EQ(m, in.num_windows, need[2]);
	MCHECK_EQ(m, in.num_allowed, need[3]);
	check_scalars(m, s, &in, &q);
	for (size_t i = 0; i < sizeof(buf); i++)
		if (((const uint8_t *)buf)[i] != 0xa5)
			mfail(m, __LINE__, "query wrote an array on EMSGSIZE");
}

/* ---- spaces ------------------------------------------------------------ */

static void space_new(struct model *m, struct mspace *s)
{
	struct ioas_as_config ac;
	static const uint32_t maxw[] = { 0, 1, 3, 4 };

	memset(s, 0, sizeof(*s));
	memset(&ac, 0, sizeof(ac));
	ac.size = sizeof(ac);
	s->wmode = chance(m, 50) ? IOAS_WINDOWS_EXPLICIT : IOAS_WINDOWS_FULL;
	s->pmode = chance(m, 50) ? IOAS_PIN_PREREG : IOAS_PIN_ON_MAP;
	ac.window_mode = s->wmode;
	ac.pin_mode = s->pmode;
	if (s->wmode == IOAS_WINDOWS_FULL) {
		static const uint64_t pg[] = { 0, PG, PG | BIG, BIG };

		ac.pgsize_bitmap = pg[rnd(m, 4)];
		s->pgbm = ac.pgsize_bitmap ? ac.pgsize_bitmap : PG;
		switch (rnd(m, 3)) {
		case 0:
			s->ap = (struct ioas_range){ 0, UINT64_MAX };
			break;
		case 1:
			s->ap = (struct ioas_range){ 0, U_IOVA - 1 };
			ac.aperture = s->ap;
			break;
		default:
			s->ap = (struct ioas_range){ BIG, U_IOVA - BIG - 1 };
			ac.aperture = s->ap;
			break;
		}
	} else {
		ac.max_windows = maxw[rnd(m, 4)];
		s->maxw = ac.max_windows ? ac.max_windows : 2;
	}
	MCHECK_EQ(m, ioas_as_create(m->mm, &ac, &s->as), 0);
	/* half the spaces start without what the free-space search needs
	 * (as virtio-iommu's do): their first allocation brings it back */
	if (rnd(m, 2))
		as_fixed_iova_only(s->as);
}

static void space_destroy(struct model *m, struct mspace *s)
{
	for (int i = 0; i < s->nmap; i++)
		release_map(m, &s->map[i]);
	s->nmap = 0;
	ioas_as_destroy(s->as);
	s->as = NULL;
}

static void add_region(struct model *m, uint32_t flags, uint32_t kind,
		       uint64_t base, uint64_t len, void *host)
{
	struct ioas_phys_region r = { .size = sizeof(r), .flags = flags,
				      .kind = kind, .base = base,
				      .length = len, .host = host };

	MCHECK_EQ(m, ioas_phys_add(m->phys, &r), 0);
}

static void model_init(struct model *m, uint64_t seed)
{
	struct ioas_ctx_config cc;

	memset(m, 0, sizeof(*m));
	m->seed = seed;
	m->op = "init";
	test_rng_seed(&m->rng, seed);
	memset(&cc, 0, sizeof(cc));
	cc.size = sizeof(cc);
	m->limit = chance(m, 50) ? 0 : (16 + rnd(m, 64)) * PG;
	cc.locked_limit = m->limit;
	MCHECK_EQ(m, ioas_ctx_create(&cc, &m->ctx), 0);
	MCHECK_EQ(m, ioas_phys_create(m->ctx, &m->phys), 0);
	m->hb = aligned_alloc(BIG, NH * PG);
	if (!m->hb)
		mfail(m, __LINE__, "no memory");
	m->hbase = (uint64_t)(uintptr_t)m->hb;
	for (size_t i = 0; i < sizeof(hregs) / sizeof(hregs[0]); i++)
		add_region(m, hregs[i].ro ? IOAS_PHYS_F_READONLY : 0,
			   IOAS_PHYS_RAM, hregs[i].pa, hregs[i].n * PG,
			   m->hb + hregs[i].off * PG);
	add_region(m, 0, IOAS_PHYS_RAM, LP, L_RW_N * PG, NULL);
	add_region(m, IOAS_PHYS_F_READONLY, IOAS_PHYS_RAM, LP + L_RO_OFF * PG,
		   L_RO_N * PG, NULL);
	add_region(m, 0, IOAS_PHYS_MMIO, LP + L_MMIO_OFF * PG, L_MMIO_N * PG,
		   NULL);
	MCHECK_EQ(m, ioas_mm_create(m->ctx, m->phys, &m->mm), 0);
	m->nsp = chance(m, 70) ? 2 : 1;
	for (int i = 0; i < m->nsp; i++)
		space_new(m, &m->sp[i]);
}

static void model_fini(struct model *m)
{
	struct ioas_ctx_stats st;

	m->op = "fini";
	for (int i = 0; i < m->nsp; i++)
		space_destroy(m, &m->sp[i]);
	check_regs(m);
	MCHECK_EQ(m, ioas_ctx_locked_bytes(m->ctx), m->npinned * PG);
	ioas_mm_destroy(m->mm);
	MCHECK_EQ(m, ioas_ctx_locked_bytes(m->ctx), 0);
	ioas_phys_destroy(m->phys);
	ioas_ctx_get_stats(m->ctx, &st);
	MCHECK_EQ(m, st.live_bytes, 0);
	ioas_ctx_destroy(m->ctx);
	free(m->hb);
}

static void model_step(struct model *m)
{
	struct mspace *s = &m->sp[rnd(m, (uint64_t)m->nsp)];
	struct mspace *o = &m->sp[rnd(m, (uint64_t)m->nsp)];
	uint64_t r = rnd(m, 1000);

	m->desc[0] = 0;
	/* FULL spaces have no windows to play with: mostly map instead */
	if (r >= 110 && r < 170 && s->wmode == IOAS_WINDOWS_FULL &&
	    chance(m, 90))
		r = 420 + rnd(m, 150);
	/* a crowded space: unmap more */
	if (s->nmap > 48 && r >= 420 && r < 640 && chance(m, 50))
		r = 640 + rnd(m, 150);
	if (r < 70)
		op_register(m);
	else if (r < 110)
		op_unregister(m);
	else if (r < 150)
		op_window_create(m, s);
	else if (r < 170)
		op_window_remove(m, s);
	else if (r < 200)
		op_reserve(m, s);
	else if (r < 220)
		op_unreserve(m, s);
	else if (r < 245)
		op_allow(m, s);
	else if (r < 420)
		op_map(m, s, 0);
	else if (r < 570)
		op_map(m, s, 1);
	else if (r < 640)
		op_map(m, s, 2);
	else if (r < 790)
		op_unmap(m, s);
	else if (r < 797)
		op_unmap_all(m, s);
	else if (r < 880)
		op_copy(m, s, o);
	else if (r < 930)
		op_lookup(m, s);
	else if (r < 950)
		op_resolve(m);
	else if (r < 970)
		op_for_each_part(m, s);
	else if (r < 985)
		op_query_small(m, s);
	else if (r < 988) {
		m->op = "recreate_space";
		space_destroy(m, s);
		space_new(m, s);
	} else {
		/* keep the universe from filling up for good */
		if (s->nmap > 24)
			op_unmap_all(m, s);
		else
			op_map(m, s, (int)rnd(m, 3));
	}
	check_state(m);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct model the_model;

/* Per-operation tallies, printed at the end: a model whose calls mostly
 * fail would test little. */
struct tally {
	const char *op;
	uint64_t ok, fail;
};
static struct tally tallies[32];

static void tally(const char *op, bool ok)
{
	for (int i = 0; i < 32; i++) {
		if (!tallies[i].op)
			tallies[i].op = op;
		if (tallies[i].op == op) {
			if (ok)
				tallies[i].ok++;
			else
				tallies[i].fail++;
			return;
		}
	}
}

/* Replay aid: IOAS_MODEL_TRACE=n prints every step from step n on, with
 * the model state after it. */
static uint64_t trace_from(void)
{
	static uint64_t from = 1;

	if (from == 1) {
		const char *e = getenv("IOAS_MODEL_TRACE");

		from = e ? strtoull(e, NULL, 0) : UINT64_MAX;
	}
	return from;
}

TEST(as_model_random_ops)
{
	const uint64_t base = test_seed();
	const uint64_t seeds = (uint64_t)SEEDS * test_scale();
	uint64_t ops = 0, ok = 0, fail = 0, t0 = now_ns();

	for (uint64_t i = 0; i < seeds; i++) {
		struct model *m = &the_model;

		test_set_seed(base + i);
		model_init(m, base + i);
		for (m->step = 0; m->step < OPS_PER_SEED; m->step++) {
			uint64_t f0 = m->stat_fail, o0 = m->stat_ok;

			model_step(m);
			if (m->stat_fail != f0 || m->stat_ok != o0)
				tally(m->op, m->stat_fail == f0);
			if (m->step >= trace_from()) {
				printf("# %" PRIu64 " %s(%s) -> %s\n", m->step,
				       m->op, m->desc,
				       m->stat_fail != f0 ? "error" : "ok");
				dump_model(m);
			}
		}
		ops += m->step;
		ok += m->stat_ok;
		fail += m->stat_fail;
		model_fini(m);
	}
	test_note("%" PRIu64 " seeds from %" PRIu64 ", %" PRIu64
		  " operations (%" PRIu64 " succeeded, %" PRIu64
		  " failed as the model said), %.1f s", seeds, base, ops, ok,
		  fail, (double)(now_ns() - t0) / 1e9);
	for (int i = 0; i < 32 && tallies[i].op; i++)
		test_note("  %-16s %9" PRIu64 " ok %9" PRIu64 " errors",
			  tallies[i].op, tallies[i].ok, tallies[i].fail);
}
