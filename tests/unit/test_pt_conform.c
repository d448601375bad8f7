/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Page-table conformance: one suite, instantiated for every format and
 * configuration in `configs` below (each CONFORM() line makes one TAP case
 * per test). Oracles: a reference interval model for the random sequences;
 * iova_to_phys and the hardware walker (which reads the tables from the
 * physical address space like hardware) must both agree with it.
 *
 * IOAS_TEST_SCALE multiplies the random sequence length (default 10^5
 * operations per configuration, as the issue asks; about 0.1 s each).
 */
#include "test.h"

#include <ioas/pt.h>

#include "pt/pt.h"

struct pcfg {
	const char *name;
	uint32_t format, granule, levels, ias, oas, quirks;
	uint64_t offset;
	uint32_t tce_level_lg2;
};

static const struct pcfg configs[] = {
	{ "x86_4l", IOAS_PT_FMT_X86_64, 0, 4, 0, 0, 0, 0, 0 },
	{ "x86_5l", IOAS_PT_FMT_X86_64, 0, 5, 0, 0, 0, 0, 0 },
	{ "vtd_3l", IOAS_PT_FMT_VTD_SS, 0, 3, 0, 0, 0, 0, 0 },
	{ "vtd_4l", IOAS_PT_FMT_VTD_SS, 0, 4, 0, 0, 0, 0, 0 },
	{ "vtd_5l", IOAS_PT_FMT_VTD_SS, 0, 5, 0, 0, 0, 0, 0 },
	{ "vtd_4l_nolarge", IOAS_PT_FMT_VTD_SS, 0, 4, 0, 0, IOAS_PT_Q_NO_LARGE, 0, 0 },
	{ "arm_s1_4k", IOAS_PT_FMT_ARM_S1, 12, 0, 48, 48, 0, 0, 0 },
	{ "arm_s1_4k_39", IOAS_PT_FMT_ARM_S1, 12, 0, 39, 40, 0, 0, 0 },
	{ "arm_s1_16k", IOAS_PT_FMT_ARM_S1, 14, 0, 48, 48, 0, 0, 0 },
	{ "arm_s1_64k", IOAS_PT_FMT_ARM_S1, 16, 0, 48, 48, 0, 0, 0 },
	{ "arm_s1_64k_52", IOAS_PT_FMT_ARM_S1, 16, 0, 52, 52, 0, 0, 0 },
	{ "arm_s2_4k_40", IOAS_PT_FMT_ARM_S2, 12, 0, 40, 40, 0, 0, 0 },
	{ "arm_s2_16k", IOAS_PT_FMT_ARM_S2, 14, 0, 48, 48, 0, 0, 0 },
	{ "arm_s2_64k", IOAS_PT_FMT_ARM_S2, 16, 0, 48, 48, 0, 0, 0 },
	{ "arm_s2_4k_nocontig", IOAS_PT_FMT_ARM_S2, 12, 0, 48, 48, IOAS_PT_Q_NO_CONTIG, 0, 0 },
	{ "amd_3l", IOAS_PT_FMT_AMD_V1, 0, 3, 0, 0, 0, 0, 0 },
	{ "amd_4l", IOAS_PT_FMT_AMD_V1, 0, 4, 0, 0, 0, 0, 0 },
	{ "amd_6l", IOAS_PT_FMT_AMD_V1, 0, 6, 64, 0, 0, 0, 0 },
	{ "tce_1l_4k", IOAS_PT_FMT_TCE, 12, 1, 28, 0, 0, 0, 0 },
	{ "tce_2l_64k", IOAS_PT_FMT_TCE, 16, 2, 40, 0, 0, 1ull << 59, 0 },
	{ "tce_3l_4k", IOAS_PT_FMT_TCE, 12, 3, 36, 0, 0, 0, 0 },
	{ "tce_2l_16m", IOAS_PT_FMT_TCE, 24, 2, 44, 0, 0, 1ull << 59, 12 },
};

/* ---- fixture ---------------------------------------------------------- */

struct fix {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_pt *pt;
	struct ioas_pt_info info;
	struct pt_hw_walker w;
	uint64_t live0;
	size_t phys_cap0;
	uint64_t minpg, maxpg;
};

static uint64_t live_bytes(struct ioas_ctx *ctx)
{
	struct ioas_ctx_stats st;

	ioas_ctx_get_stats(ctx, &st);
	return st.live_bytes;
}

static void fix_cfg(const struct pcfg *c, struct ioas_pt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->format = c->format;
	cfg->granule_lg2 = c->granule;
	cfg->levels = c->levels;
	cfg->input_bits = c->ias;
	cfg->output_bits = c->oas;
	cfg->quirks = c->quirks;
	cfg->iova_offset = c->offset;
	cfg->tce_level_lg2 = c->tce_level_lg2;
}

static void fix_open_cfg(struct fix *f, const struct ioas_pt_config *cfg)
{
	struct ioas_pt_hw hw;

	memset(f, 0, sizeof(*f));
	CHECK_OK(ioas_ctx_create(NULL, &f->ctx));
	CHECK_OK(ioas_phys_create(f->ctx, &f->phys));
	f->live0 = live_bytes(f->ctx);
	f->phys_cap0 = f->phys->cap;
	CHECK_OK(ioas_pt_create(f->phys, cfg, &f->pt));
	f->info.size = sizeof(f->info);
	CHECK_OK(ioas_pt_get_info(f->pt, &f->info));
	hw.size = sizeof(hw);
	CHECK_OK(ioas_pt_get_hw(f->pt, &hw));
	CHECK_OK(pt_hw_prepare(&f->w, &hw));
	f->minpg = f->info.pgsize_bitmap & -f->info.pgsize_bitmap;
	f->maxpg = 1ull << (63 - __builtin_clzll(f->info.pgsize_bitmap));
}

static void fix_open(struct fix *f, const struct pcfg *c)
{
	struct ioas_pt_config cfg;

	fix_cfg(c, &cfg);
	fix_open_cfg(f, &cfg);
}

static uint64_t fix_pages(struct fix *f)
{
	CHECK_OK(ioas_pt_get_info(f->pt, &f->info));
	return f->info.table_pages;
}

static void fix_close(struct fix *f)
{
	ioas_pt_destroy(f->pt);
	/* no leaks (the physical address space keeps its grown array) */
	CHECK_EQ(live_bytes(f->ctx),
		 f->live0 + (f->phys->cap - f->phys_cap0) * sizeof(void *));
	ioas_phys_destroy(f->phys);
	ioas_ctx_destroy(f->ctx);
}

/* The hardware walker and iova_to_phys agree that iova maps to pa with
 * prot (pa == UINT64_MAX: unmapped). */
static void check_xlate(struct fix *f, uint64_t iova, uint64_t pa,
			uint32_t prot)
{
	struct pt_hw_mem mem = { f->phys, NULL, NULL };
	struct ioas_pt_xlate x;
	uint64_t got = 0;
	int ret = ioas_pt_iova_to_phys(f->pt, iova, &got);

	if (ret == -ERANGE)
		test_fail(__FILE__, __LINE__, "probe 0x%" PRIx64 " outside", iova);
	int hret = pt_hw_walk(&f->w, &mem, iova, 0, &x);

	if (pa == UINT64_MAX) {
		CHECK_ERR(ret, -ENOENT);
		CHECK_ERR(hret, -EFAULT);
		CHECK_EQ(x.fault, IOAS_PT_FAULT_TRANSLATION);
		return;
	}
	CHECK_OK(ret);
	CHECK_EQ(got, pa);
	CHECK_OK(hret);
	CHECK_EQ(x.pa, pa);
	CHECK_EQ(x.prot & (IOAS_PROT_READ | IOAS_PROT_WRITE),
		 prot & (IOAS_PROT_READ | IOAS_PROT_WRITE));
}

/* ---- dumps --------------------------------------------------------------- */

struct dump {
	size_t n, cap;
	uint64_t (*v)[4];
};

static void dump_fn(void *opaque, unsigned lvl, uint64_t tpa, uint64_t idx,
		    uint64_t e)
{
	struct dump *d = opaque;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = realloc(d->v, d->cap * sizeof(*d->v));
		CHECK(d->v);
	}
	d->v[d->n][0] = lvl;
	d->v[d->n][1] = tpa;
	d->v[d->n][2] = idx;
	d->v[d->n][3] = e;
	d->n++;
}

static void dump_take(struct fix *f, struct dump *d)
{
	memset(d, 0, sizeof(*d));
	pt_dump(f->pt, dump_fn, d);
}

static void dump_same(struct dump *a, struct dump *b)
{
	CHECK_EQ(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		for (int j = 0; j < 4; j++)
			CHECK_EQ(a->v[i][j], b->v[i][j]);
}

static void dump_free(struct dump *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ---- walk collection ---------------------------------------------------- */

struct leaves {
	size_t n;
	struct ioas_pt_leaf v[64];
};

static int leaf_fn(void *opaque, const struct ioas_pt_leaf *leaf)
{
	struct leaves *l = opaque;

	if (l->n < 64)
		l->v[l->n] = *leaf;
	l->n++;
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

/* Every supported page size: one page, the expected number of entries,
 * translations, and back to zero tables. */
static void t_pgsizes(const struct pcfg *c)
{
	struct fix f;

	fix_open(&f, c);
	for (unsigned sz = 0; sz < 64; sz++) {
		uint64_t size = 1ull << sz, iova, pa, got;
		struct leaves l = { 0 };
		struct dump d;
		size_t leaf_entries;

		if (!(f.info.pgsize_bitmap & size))
			continue;
		if (f.info.aperture.last - f.info.aperture.start < 4 * size)
			continue;
		iova = f.info.aperture.start + 2 * size;
		pa = 3 * size;
		if (pa + size - 1 > (2ull << (f.info.output_bits - 1)) - 1)
			pa = size;
		CHECK_OK(ioas_pt_map(f.pt, iova, iova + size - 1, pa,
				     IOAS_PROT_READ | IOAS_PROT_WRITE));
		CHECK_OK(ioas_pt_walk(f.pt, f.info.aperture.start,
				      f.info.aperture.last, leaf_fn, &l));
		CHECK_EQ(l.n, 1);
		CHECK_EQ(l.v[0].size_lg2, sz);
		CHECK_EQ(l.v[0].iova, iova);
		CHECK_EQ(l.v[0].pa, pa);
		/* entries: everything non-zero minus one per table */
		dump_take(&f, &d);
		leaf_entries = d.n - fix_pages(&f);
		CHECK_EQ(leaf_entries,
			 1ull << (sz - f.pt->g.shift[l.v[0].level]));
		dump_free(&d);
		check_xlate(&f, iova, pa, IOAS_PROT_READ | IOAS_PROT_WRITE);
		check_xlate(&f, iova + size - f.minpg, pa + size - f.minpg,
			    IOAS_PROT_READ | IOAS_PROT_WRITE);
		check_xlate(&f, iova + size / 2, pa + size / 2,
			    IOAS_PROT_READ | IOAS_PROT_WRITE);
		check_xlate(&f, iova - f.minpg, UINT64_MAX, 0);
		check_xlate(&f, iova + size, UINT64_MAX, 0);
		CHECK_OK(ioas_pt_iova_to_phys(f.pt, iova + 8, &got));
		CHECK_EQ(got, pa + 8);
		/* a partial unmap of a big page fails and changes nothing */
		if (size > f.minpg) {
			uint64_t n = 1;

			CHECK_ERR(ioas_pt_unmap(f.pt, iova, iova + f.minpg - 1, &n),
				  -ENOENT);
			CHECK_EQ(n, 0);
			CHECK_ERR(ioas_pt_unmap(f.pt, iova + f.minpg,
						iova + size - 1, &n),
				  -ENOENT);
			check_xlate(&f, iova, pa,
				    IOAS_PROT_READ | IOAS_PROT_WRITE);
		}
		{
			uint64_t n = 0;

			CHECK_OK(ioas_pt_unmap(f.pt, f.info.aperture.start,
					       f.info.aperture.last, &n));
			CHECK_EQ(n, size);
		}
		CHECK_EQ(fix_pages(&f), 0);
	}
	fix_close(&f);
}

/* A mixture of ranges, then unmap all: back to zero tables. */
static void t_zero(const struct pcfg *c)
{
	struct fix f;
	uint64_t base, total = 0, n = 0;

	fix_open(&f, c);
	base = f.info.aperture.start;
	for (int i = 0; i < 8; i++) {
		uint64_t len = f.minpg * (uint64_t)(1 + i * 37);
		uint64_t at = base + f.minpg * (uint64_t)(i * 1000);

		if (at + len - 1 > f.info.aperture.last)
			break;
		CHECK_OK(ioas_pt_map(f.pt, at, at + len - 1, 0x100000000ull +
				     (at - base), IOAS_PROT_READ));
		total += len;
	}
	/* some large pages too */
	if (f.maxpg <= (f.info.aperture.last - base) / 4) {
		uint64_t at = base + 2 * f.maxpg;

		CHECK_OK(ioas_pt_map(f.pt, at, at + f.maxpg + 3 * f.minpg - 1,
				     f.maxpg, IOAS_PROT_WRITE | IOAS_PROT_READ));
		total += f.maxpg + 3 * f.minpg;
	}
	CHECK(fix_pages(&f) > 0 || f.info.levels == 1);
	CHECK_OK(ioas_pt_unmap(f.pt, base, f.info.aperture.last, &n));
	CHECK_EQ(n, total);
	CHECK_EQ(fix_pages(&f), 0);
	fix_close(&f);
}

/* Overlaps give -EEXIST and change nothing. */
static void t_overlap(const struct pcfg *c)
{
	struct fix f;
	struct dump a, b;
	uint64_t base, p = 0;
	const uint32_t rw = IOAS_PROT_READ | IOAS_PROT_WRITE;

	fix_open(&f, c);
	p = f.minpg;
	base = f.info.aperture.start + 64 * p;
	CHECK_OK(ioas_pt_map(f.pt, base, base + 4 * p - 1, 0, rw));
	dump_take(&f, &a);
	CHECK_ERR(ioas_pt_map(f.pt, base, base + 4 * p - 1, 0, rw), -EEXIST);
	CHECK_ERR(ioas_pt_map(f.pt, base + p, base + p - 1 + p, 0, rw), -EEXIST);
	CHECK_ERR(ioas_pt_map(f.pt, base - 8 * p, base + p - 1, 0, rw), -EEXIST);
	CHECK_ERR(ioas_pt_map(f.pt, base + 3 * p, base + 9 * p - 1, 0, rw),
		  -EEXIST);
	CHECK_ERR(ioas_pt_map(f.pt, f.info.aperture.start,
			      f.info.aperture.start + 1024 * p - 1, 0, rw),
		  -EEXIST);
	/* a large page over existing small ones */
	if (f.maxpg > f.minpg &&
	    f.maxpg <= f.info.aperture.last - f.info.aperture.start)
		CHECK_ERR(ioas_pt_map(f.pt, f.info.aperture.start,
				      f.info.aperture.start + f.maxpg - 1, 0,
				      rw),
			  -EEXIST);
	dump_take(&f, &b);
	dump_same(&a, &b);
	dump_free(&a);
	dump_free(&b);
	/* bad arguments */
	CHECK_ERR(ioas_pt_map(f.pt, base + 1, base + p, 0, rw), -EINVAL);
	CHECK_ERR(ioas_pt_map(f.pt, base + p, base, 0, rw), -EINVAL);
	CHECK_ERR(ioas_pt_map(f.pt, base + 8 * p, base + 9 * p - 1, 0, 0),
		  -EINVAL);
	CHECK_ERR(ioas_pt_unmap(f.pt, base + 1, base + p, NULL), -EINVAL);
	fix_close(&f);
}

/* The first and last pages of the aperture, and ranges past it. */
static void t_bounds(const struct pcfg *c)
{
	struct fix f;
	uint64_t s, l, p, n;
	const uint32_t r = IOAS_PROT_READ;

	fix_open(&f, c);
	s = f.info.aperture.start;
	l = f.info.aperture.last;
	p = f.minpg;
	CHECK_OK(ioas_pt_map(f.pt, s, s + p - 1, 0x5000ull * p, r));
	CHECK_OK(ioas_pt_map(f.pt, l - p + 1, l, 0x7000ull * p, r));
	check_xlate(&f, s, 0x5000ull * p, r);
	check_xlate(&f, l - p + 1, 0x7000ull * p, r);
	check_xlate(&f, l, 0x7000ull * p + p - 1, r);
	check_xlate(&f, s + p, UINT64_MAX, 0);
	check_xlate(&f, l - 2 * p + 1, UINT64_MAX, 0);
	CHECK_ERR(ioas_pt_map(f.pt, l - p + 1, l + p, 0, r),
		  l + p < l ? -EINVAL : -ERANGE);
	if (s)
		CHECK_ERR(ioas_pt_map(f.pt, s - p, s + p - 1, 0, r), -ERANGE);
	{
		/* the walker faults past the top of the table */
		struct pt_hw_mem mem = { f.phys, NULL, NULL };
		struct ioas_pt_xlate x;

		if (f.info.input_bits < 64 && c->format != IOAS_PT_FMT_X86_64) {
			uint64_t past = s + (1ull << f.info.input_bits);

			CHECK_ERR(pt_hw_walk(&f.w, &mem, past, 0, &x), -EFAULT);
			CHECK(x.fault == IOAS_PT_FAULT_ADDR_SIZE ||
			      x.fault == IOAS_PT_FAULT_TRANSLATION);
		}
	}
	CHECK_OK(ioas_pt_unmap(f.pt, s, l, &n));
	CHECK_EQ(n, 2 * p);
	CHECK_EQ(fix_pages(&f), 0);
	fix_close(&f);
}

/* Split a large page at every level down, then unmap part of it. */
static void t_split(const struct pcfg *c)
{
	struct fix f;
	uint64_t s, big, n;
	const uint32_t rw = IOAS_PROT_READ | IOAS_PROT_WRITE;

	fix_open(&f, c);
	s = f.info.aperture.start;
	big = f.maxpg;
	if (big == f.minpg || big > (f.info.aperture.last - s) / 4) {
		fix_close(&f);
		return;
	}
	CHECK_OK(ioas_pt_map(f.pt, s + big, s + 2 * big - 1, big, rw));
	CHECK_ERR(ioas_pt_unmap(f.pt, s + big + f.minpg,
				s + big + 3 * f.minpg - 1, NULL),
		  -ENOENT);
	CHECK_OK(ioas_pt_split(f.pt, s + big + f.minpg));
	CHECK_OK(ioas_pt_split(f.pt, s + big + 3 * f.minpg));
	CHECK_OK(ioas_pt_split(f.pt, s + big)); /* already a boundary */
	CHECK_OK(ioas_pt_unmap(f.pt, s + big + f.minpg,
			       s + big + 3 * f.minpg - 1, &n));
	CHECK_EQ(n, 2 * f.minpg);
	check_xlate(&f, s + big, big, rw);
	check_xlate(&f, s + big + f.minpg, UINT64_MAX, 0);
	check_xlate(&f, s + big + 2 * f.minpg, UINT64_MAX, 0);
	check_xlate(&f, s + big + 3 * f.minpg, big + 3 * f.minpg, rw);
	check_xlate(&f, s + 2 * big - 1, 2 * big - 1, rw);
	CHECK_OK(ioas_pt_unmap(f.pt, s, f.info.aperture.last, &n));
	CHECK_EQ(n, big - 2 * f.minpg);
	CHECK_EQ(fix_pages(&f), 0);
	fix_close(&f);
}

/* Fail every table allocation of a map in turn: the table is exactly as
 * before. One page per chunk, so each new table is new memory. */
static void t_failnth(const struct pcfg *c)
{
	struct ioas_pt_config cfg;
	struct fix f;
	const uint32_t rw = IOAS_PROT_READ | IOAS_PROT_WRITE;
	uint64_t fired = 0;

	fix_cfg(c, &cfg);
	cfg.chunk_lg2 = 1; /* clamped up to one table page */
	fix_open_cfg(&f, &cfg);
	{
		uint64_t s = f.info.aperture.start, p = f.minpg;
		uint64_t span = 1ull << f.pt->g.shift[f.pt->g.top > 1 ? 2 : f.pt->g.top];
		uint64_t at, len;
		struct dump before, after;

		if (!f.pt->g.top)
			span = 64 * p;
		if (span > (f.info.aperture.last - s) / 4)
			span = (f.info.aperture.last - s + 1) / 4;
		CHECK_OK(ioas_pt_map(f.pt, s, s + p - 1, 0, rw));
		/* from just below a top-ish boundary into the next region,
		 * then into an entry that already exists */
		at = s + span - 3 * p;
		len = 6 * p;
		for (uint64_t n = 1;; n++) {
			int ret;

			dump_take(&f, &before);
			ioas_ctx_fail_nth(f.ctx, n);
			ret = ioas_pt_map(f.pt, at, at + len - 1, 0x40000ull * p,
					  rw);
			if (!ioas_ctx_fail_nth_fired(f.ctx)) {
				ioas_ctx_fail_nth(f.ctx, 0);
				CHECK_OK(ret);
				dump_free(&before);
				break;
			}
			fired++;
			CHECK_ERR(ret, -ENOMEM);
			dump_take(&f, &after);
			dump_same(&before, &after);
			dump_free(&before);
			dump_free(&after);
			CHECK(n < 100);
		}
		check_xlate(&f, at, 0x40000ull * p, rw);
		CHECK_OK(ioas_pt_unmap(f.pt, s, f.info.aperture.last, NULL));
		CHECK_EQ(fix_pages(&f), 0);
	}
	CHECK(fired > 0 || f.info.levels == 1);
	fix_close(&f);
}

/* ---- random sequences against an interval model ------------------------ */

struct ival {
	uint64_t start, last, pa;
	uint32_t prot;
};

struct model {
	size_t n;
	struct ival v[512];
};

static bool model_overlaps(const struct model *m, uint64_t s, uint64_t l)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].start <= l && s <= m->v[i].last)
			return true;
	return false;
}

static const struct ival *model_find(const struct model *m, uint64_t a)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].start <= a && a <= m->v[i].last)
			return &m->v[i];
	return NULL;
}

/* Remove [s, l] from the model; returns bytes removed. */
static uint64_t model_remove(struct model *m, uint64_t s, uint64_t l)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < m->n;) {
		struct ival *v = &m->v[i];

		if (v->last < s || v->start > l) {
			i++;
			continue;
		}
		{
			uint64_t cs = v->start > s ? v->start : s;
			uint64_t cl = v->last < l ? v->last : l;
			struct ival lo = *v, hi = *v;

			bytes += cl - cs + 1;
			m->v[i] = m->v[--m->n];
			if (lo.start < cs) {
				lo.last = cs - 1;
				m->v[m->n++] = lo;
			}
			if (hi.last > cl) {
				hi.pa += cl + 1 - hi.start;
				hi.start = cl + 1;
				m->v[m->n++] = hi;
			}
		}
	}
	return bytes;
}

static void probe(struct fix *f, const struct model *m, uint64_t a)
{
	const struct ival *v = model_find(m, a);

	if (v)
		check_xlate(f, a, v->pa + (a - v->start), v->prot);
	else
		check_xlate(f, a, UINT64_MAX, 0);
}

static void t_random(const struct pcfg *c)
{
	struct fix f;
	struct test_rng rng;
	struct model *m = calloc(1, sizeof(*m));
	uint64_t seed = test_seed() ^ (uint64_t)(uintptr_t)c->name[0] * 131 ^
			strlen(c->name);
	unsigned nsz = 0, steps = 100000u * test_scale();
	unsigned sizes[64];
	uint64_t s0, l0, oamax;
	uint64_t nmap = 0, nexist = 0, nunmap = 0, nnoent = 0, most = 0;

	CHECK(m);
	test_set_seed(seed);
	test_rng_seed(&rng, seed);
	fix_open(&f, c);
	s0 = f.info.aperture.start;
	l0 = f.info.aperture.last;
	oamax = f.info.output_bits >= 64 ? UINT64_MAX
					 : (1ull << f.info.output_bits) - 1;
	for (unsigned sz = 0; sz < 64; sz++)
		if ((f.info.pgsize_bitmap >> sz & 1) &&
		    (1ull << sz) <= (l0 - s0) / 64)
			sizes[nsz++] = sz;
	CHECK(nsz > 0);
	for (unsigned step = 0; step < steps; step++) {
		unsigned si = (unsigned)test_rng_below(&rng, nsz);
		unsigned sz = sizes[si];
		uint64_t size = 1ull << sz;
		bool aligned = test_rng_below(&rng, 2);
		/* unaligned: aligned to a smaller page size, so each map
		 * writes a bounded number of entries at its ends */
		uint64_t unit = aligned ? size
				: 1ull << sizes[test_rng_below(&rng, si + 1)];
		uint64_t off = test_rng_below(&rng, 32 * size / unit) * unit;
		uint64_t maxn = 3 * size / unit < 256 ? 3 * size / unit : 256;
		uint64_t len = aligned ? size * (1 + test_rng_below(&rng, 3))
				       : unit * (1 + test_rng_below(&rng, maxn));
		bool top = test_rng_below(&rng, 8) == 0;
		uint64_t s = top ? l0 - off - len + 1 : s0 + off;
		uint64_t l = s + len - 1;
		bool do_map = m->n < 400 && test_rng_below(&rng, 100) < 55;

		if (do_map) {
			uint64_t spread = f.maxpg * 1024;
			uint64_t pa, delta;
			uint32_t prot = test_rng_below(&rng, 2)
						? IOAS_PROT_READ
						: IOAS_PROT_READ | IOAS_PROT_WRITE;
			int ret;

			if (spread > oamax / 4 || spread == 0)
				spread = oamax / 4;
			delta = test_rng_below(&rng, spread) & ~(f.maxpg - 1);
			pa = delta + (s - s0);
			if (pa > oamax || len - 1 > oamax - pa)
				pa = (s - s0) & oamax & ~(f.maxpg - 1);
			if (pa > oamax || len - 1 > oamax - pa)
				continue;
			ret = ioas_pt_map(f.pt, s, l, pa, prot);
			if (model_overlaps(m, s, l)) {
				CHECK_ERR(ret, -EEXIST);
				nexist++;
			} else {
				CHECK_OK(ret);
				nmap++;
				m->v[m->n].start = s;
				m->v[m->n].last = l;
				m->v[m->n].pa = pa;
				m->v[m->n].prot = prot;
				m->n++;
			}
		} else {
			uint64_t got = 0;
			int ret;

			if (m->n && test_rng_below(&rng, 2)) {
				const struct ival *v =
					&m->v[test_rng_below(&rng, m->n)];

				s = v->start;
				l = v->last;
				len = l - s + 1;
			}
			ret = ioas_pt_unmap(f.pt, s, l, &got);
			if (ret == -ENOENT) {
				/* only when a boundary falls inside a mapping */
				CHECK((s > s0 && model_find(m, s - 1) &&
				       model_find(m, s)) ||
				      (l < l0 && model_find(m, l + 1) &&
				       model_find(m, l)));
				CHECK_EQ(got, 0);
				nnoent++;
				probe(&f, m, s);
				probe(&f, m, l);
			} else {
				CHECK_OK(ret);
				CHECK_EQ(got, model_remove(m, s, l));
				nunmap++;
			}
		}
		if (m->n > most)
			most = m->n;
		/* probes: inside a mapping, near the last op, anywhere */
		if (m->n) {
			const struct ival *v = &m->v[test_rng_below(&rng, m->n)];

			probe(&f, m, v->start + (test_rng_below(
							 &rng, (v->last - v->start) /
								       f.minpg + 1) *
						 f.minpg));
		}
		probe(&f, m, s + test_rng_below(&rng, len / f.minpg) * f.minpg);
		probe(&f, m, (test_rng_below(&rng, 2) ? s0 + test_rng_below(&rng, 96 * f.maxpg < l0 - s0 ? 96 * f.maxpg : l0 - s0)
						      : l0 - test_rng_below(&rng, 96 * f.maxpg < l0 - s0 ? 96 * f.maxpg : l0 - s0)) &
				     ~(f.minpg - 1));
	}
	test_note("%s: %u steps: %" PRIu64 " maps, %" PRIu64 " EEXIST, %" PRIu64
		  " unmaps, %" PRIu64 " ENOENT, up to %" PRIu64 " mappings",
		  c->name, steps, nmap, nexist, nunmap, nnoent, most);
	/* everything left, then nothing */
	{
		uint64_t total = 0, got = 0;

		for (size_t i = 0; i < m->n; i++)
			total += m->v[i].last - m->v[i].start + 1;
		CHECK_OK(ioas_pt_unmap(f.pt, s0, l0, &got));
		CHECK_EQ(got, total);
		CHECK_EQ(fix_pages(&f), 0);
	}
	free(m);
	fix_close(&f);
}

/* Tables taken from a caller's RAM region: walkable in place. */
static void t_region(const struct pcfg *c)
{
	struct ioas_pt_config cfg;
	struct ioas_phys_region reg;
	struct fix f;
	uint64_t rbase = 0x80000000ull, rlen = 64ull << 20, s, p;
	const uint32_t rw = IOAS_PROT_READ | IOAS_PROT_WRITE;
	struct dump d;

	fix_cfg(c, &cfg);
	memset(&f, 0, sizeof(f));
	CHECK_OK(ioas_ctx_create(NULL, &f.ctx));
	CHECK_OK(ioas_phys_create(f.ctx, &f.phys));
	memset(&reg, 0, sizeof(reg));
	reg.size = sizeof(reg);
	reg.kind = IOAS_PHYS_RAM;
	reg.base = rbase;
	reg.length = rlen;
	CHECK_OK(ioas_phys_add(f.phys, &reg));
	f.live0 = live_bytes(f.ctx);
	f.phys_cap0 = f.phys->cap;
	cfg.flags = IOAS_PT_F_TABLES_IN_REGION;
	cfg.table_base = rbase;
	CHECK_OK(ioas_pt_create(f.phys, &cfg, &f.pt));
	f.info.size = sizeof(f.info);
	CHECK_OK(ioas_pt_get_info(f.pt, &f.info));
	CHECK(f.info.root_pa >= rbase && f.info.root_pa < rbase + rlen);
	{
		struct ioas_pt_hw hw;

		hw.size = sizeof(hw);
		CHECK_OK(ioas_pt_get_hw(f.pt, &hw));
		CHECK_OK(pt_hw_prepare(&f.w, &hw));
	}
	f.minpg = f.info.pgsize_bitmap & -f.info.pgsize_bitmap;
	s = f.info.aperture.start;
	p = f.minpg;
	CHECK_OK(ioas_pt_map(f.pt, s + 5 * p, s + 9 * p - 1, 0x1000000ull * p,
			     rw));
	CHECK_ERR(ioas_phys_remove(f.phys, rbase), -EBUSY);
	check_xlate(&f, s + 6 * p, 0x1000000ull * p + p, rw);
	dump_take(&f, &d);
	for (size_t i = 0; i < d.n; i++)
		CHECK(d.v[i][1] >= rbase && d.v[i][1] < rbase + rlen);
	dump_free(&d);

	/* Churn tables: map and unmap far-apart pages so leaf tables are
	 * allocated, freed and reused inside the region (which does not start
	 * on a chunk boundary: the root comes first). Every live page must
	 * keep translating to its own address; a freed table page handed out
	 * twice would alias two ranges. */
	{
		enum { SLOTS = 48 };
		uint64_t span = f.info.aperture.last - s - 16 * p;
		uint64_t step = (span / SLOTS) & ~(p - 1);
		bool live[SLOTS] = { false };
		struct test_rng rng;

		test_rng_seed(&rng, test_seed());
		for (int op = 0; step >= p && op < 600; op++) {
			unsigned k = (unsigned)test_rng_below(&rng, SLOTS);
			uint64_t iova = s + 16 * p + k * step;
			uint64_t pa = (0x2000000ull + k) * p;

			if (live[k]) {
				CHECK_OK(ioas_pt_unmap(f.pt, iova, iova + p - 1,
						       NULL));
			} else {
				CHECK_OK(ioas_pt_map(f.pt, iova, iova + p - 1,
						     pa, rw));
			}
			live[k] = !live[k];
			for (unsigned j = 0; j < SLOTS; j++)
				check_xlate(&f, s + 16 * p + j * step,
					    live[j] ? (0x2000000ull + j) * p
						    : UINT64_MAX, rw);
		}
	}
	ioas_pt_destroy(f.pt);
	CHECK_EQ(live_bytes(f.ctx), f.live0);
	CHECK_OK(ioas_phys_remove(f.phys, rbase));
	ioas_phys_destroy(f.phys);
	ioas_ctx_destroy(f.ctx);
}

/* Dirty tracking: a write through the walker (with A/D update) marks the
 * page; read_dirty reports and clears it. */
static void t_dirty(const struct pcfg *c)
{
	struct ioas_pt_config cfg;
	struct ioas_pt_hw hw;
	struct fix f;
	struct pt_hw_mem mem;
	struct ioas_pt_xlate x;
	uint64_t s, p;
	const uint32_t rw = IOAS_PROT_READ | IOAS_PROT_WRITE;

	if (c->format == IOAS_PT_FMT_TCE) {
		fix_open(&f, c);
		CHECK_ERR(ioas_pt_read_dirty(f.pt, 0, UINT64_MAX, 0, NULL, NULL),
			  -EOPNOTSUPP);
		fix_close(&f);
		return;
	}
	fix_cfg(c, &cfg);
	cfg.flags = IOAS_PT_F_DIRTY;
	fix_open_cfg(&f, &cfg);
	hw.size = sizeof(hw);
	CHECK_OK(ioas_pt_get_hw(f.pt, &hw));
	hw.flags |= IOAS_PT_HW_F_SET_AD;
	CHECK_OK(pt_hw_prepare(&f.w, &hw));
	mem.phys = f.phys;
	mem.xlate = NULL;
	mem.opaque = NULL;
	s = f.info.aperture.start;
	p = f.minpg;
	CHECK_OK(ioas_pt_map(f.pt, s, s + 8 * p - 1, 0x10000ull * p, rw));
	CHECK_EQ(ioas_pt_read_dirty(f.pt, s, f.info.aperture.last, 0, NULL,
				    NULL),
		 0);
	/* a read does not dirty; a write does */
	CHECK_OK(pt_hw_walk(&f.w, &mem, s + p, IOAS_PROT_READ, &x));
	CHECK_EQ(ioas_pt_read_dirty(f.pt, s, f.info.aperture.last,
				    IOAS_PT_DIRTY_NO_CLEAR, NULL, NULL),
		 0);
	CHECK_OK(pt_hw_walk(&f.w, &mem, s + 3 * p + 5, IOAS_PROT_WRITE, &x));
	CHECK_OK(pt_hw_walk(&f.w, &mem, s + 7 * p, IOAS_PROT_WRITE, &x));
	{
		struct leaves l = { 0 };

		CHECK_EQ(ioas_pt_read_dirty(f.pt, s, f.info.aperture.last,
					    IOAS_PT_DIRTY_NO_CLEAR, leaf_fn, &l),
			 l.n);
		CHECK(l.n >= 1 && l.n <= 2);
		CHECK_EQ(ioas_pt_read_dirty(f.pt, s, f.info.aperture.last, 0,
					    NULL, NULL),
			 l.n);
	}
	CHECK_EQ(ioas_pt_read_dirty(f.pt, s, f.info.aperture.last, 0, NULL,
				    NULL),
		 0);
	/* still writable after clearing */
	CHECK_OK(pt_hw_walk(&f.w, &mem, s + 3 * p, IOAS_PROT_WRITE, &x));
	check_xlate(&f, s + 3 * p, 0x10000ull * p + 3 * p, rw);
	CHECK_OK(ioas_pt_unmap(f.pt, s, f.info.aperture.last, NULL));
	fix_close(&f);
}

#define CONFORM(i, name)                                                 \
	TEST(name##_pgsizes) { t_pgsizes(&configs[i]); }                 \
	TEST(name##_zero) { t_zero(&configs[i]); }                       \
	TEST(name##_overlap) { t_overlap(&configs[i]); }                 \
	TEST(name##_bounds) { t_bounds(&configs[i]); }                   \
	TEST(name##_split) { t_split(&configs[i]); }                     \
	TEST(name##_failnth) { t_failnth(&configs[i]); }                 \
	TEST(name##_region) { t_region(&configs[i]); }                   \
	TEST(name##_dirty) { t_dirty(&configs[i]); }                     \
	TEST(name##_random) { t_random(&configs[i]); }

CONFORM(0, x86_4l)
CONFORM(1, x86_5l)
CONFORM(2, vtd_3l)
CONFORM(3, vtd_4l)
CONFORM(4, vtd_5l)
CONFORM(5, vtd_4l_nolarge)
CONFORM(6, arm_s1_4k)
CONFORM(7, arm_s1_4k_39)
CONFORM(8, arm_s1_16k)
CONFORM(9, arm_s1_64k)
CONFORM(10, arm_s1_64k_52)
CONFORM(11, arm_s2_4k_40)
CONFORM(12, arm_s2_16k)
CONFORM(13, arm_s2_64k)
CONFORM(14, arm_s2_4k_nocontig)
CONFORM(15, amd_3l)
CONFORM(16, amd_4l)
CONFORM(17, amd_6l)
CONFORM(18, tce_1l_4k)
CONFORM(19, tce_2l_64k)
CONFORM(20, tce_3l_4k)
CONFORM(21, tce_2l_16m)

TEST(config_errors)
{
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_pt *pt;
	struct ioas_pt_config cfg;
	struct {
		struct ioas_pt_config c;
		uint64_t tail;
	} big;

	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_OK(ioas_phys_create(ctx, &phys));
	memset(&cfg, 0, sizeof(cfg));
	cfg.size = sizeof(cfg);
	cfg.format = 99;
	CHECK_ERR(ioas_pt_create(phys, &cfg, &pt), -EOPNOTSUPP);
	cfg.format = IOAS_PT_FMT_ARM_S1;
	cfg.granule_lg2 = 13;
	CHECK_ERR(ioas_pt_create(phys, &cfg, &pt), -EOPNOTSUPP);
	cfg.granule_lg2 = 12;
	cfg.flags = 1u << 30;
	CHECK_ERR(ioas_pt_create(phys, &cfg, &pt), -EOPNOTSUPP);
	cfg.flags = 0;
	cfg.reserved = 1;
	CHECK_ERR(ioas_pt_create(phys, &cfg, &pt), -EINVAL);
	cfg.reserved = 0;
	cfg.format = IOAS_PT_FMT_X86_64;
	cfg.levels = 3;
	CHECK_ERR(ioas_pt_create(phys, &cfg, &pt), -EOPNOTSUPP);
	cfg.levels = 0;
	cfg.size = 8;
	CHECK_ERR(ioas_pt_create(phys, &cfg, &pt), -EINVAL);
	cfg.size = sizeof(cfg);
	memset(&big, 0, sizeof(big));
	big.c = cfg;
	big.c.size = sizeof(big);
	big.tail = 1;
	CHECK_ERR(ioas_pt_create(phys, &big.c, &pt), -E2BIG);
	big.tail = 0;
	CHECK_OK(ioas_pt_create(phys, &big.c, &pt));
	{
		/* clamping: ARM S1 4K asked for 60 input bits gets 48 */
		struct ioas_pt *pt2;
		struct ioas_pt_info info;

		cfg.format = IOAS_PT_FMT_ARM_S1;
		cfg.input_bits = 60;
		CHECK_OK(ioas_pt_create(phys, &cfg, &pt2));
		info.size = sizeof(info);
		CHECK_OK(ioas_pt_get_info(pt2, &info));
		CHECK_EQ(info.input_bits, 48);
		CHECK_EQ(info.levels, 4);
		CHECK_EQ(info.aperture.last, (1ull << 48) - 1);
		CHECK_EQ(info.pgsize_bitmap,
			 (1ull << 12) | (1ull << 16) | (1ull << 21) |
				 (1ull << 25) | (1ull << 30) | (1ull << 34));
		/* the table memory is RAM the embedder cannot remove */
		CHECK_ERR(ioas_phys_remove(phys, info.root_pa), -EBUSY);
		ioas_pt_destroy(pt2);
	}
	ioas_pt_destroy(pt);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
}
