/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reference-model property test of the virtio-iommu device: random
 * ATTACH / DETACH / MAP / UNMAP sequences (raw requests through the
 * rings) checked status by status against a simple model (arrays of
 * mappings per domain, an attachment per endpoint), and every few steps
 * translations of random addresses checked against the model; for the
 * HOST domain format and two page-table formats. Then a fail-nth sweep
 * over request processing: an injected allocation failure gives S_NOMEM
 * (or the request's documented error) and changes nothing, and the
 * device keeps working.
 */
#include "test_viommu_fx.h"

#include <ioas/pt.h>

#define NDOM 4
#define NEP 3
#define MAXM 64
#define PG 0x1000ull
#define SPAN 64 /* pages of IOVA used */

struct mmap_ {
	uint64_t s, e, p;
	uint32_t fl;
};

struct model {
	struct mmap_ m[NDOM][MAXM];
	int n[NDOM];
	bool exists[NDOM];
	int att[NEP]; /* domain index or -1 */
	bool wo_reads; /* the format cannot do write-only: reads allowed */
};

static const uint32_t eps[NEP] = { EP_MSI, EP_PLAIN, EP_RESV };

static int m_ndom_eps(const struct model *m, int d)
{
	int c = 0;

	for (int i = 0; i < NEP; i++)
		c += m->att[i] == d;
	return c;
}

static void m_drop_dom(struct model *m, int d)
{
	m->exists[d] = false;
	m->n[d] = 0;
}

static uint8_t m_attach(struct model *m, int d, int e)
{
	int old = m->att[e];

	if (old == d)
		return VIOMMU_S_OK;
	/* EP_RESV's region must not be mapped in d */
	if (eps[e] == EP_RESV && m->exists[d]) {
		for (int i = 0; i < m->n[d]; i++)
			if (m->m[d][i].s <= RESV_LAST &&
			    m->m[d][i].e >= RESV_START)
				return VIOMMU_S_UNSUPP;
	}
	m->exists[d] = true;
	m->att[e] = d;
	if (old >= 0 && !m_ndom_eps(m, old))
		m_drop_dom(m, old);
	return VIOMMU_S_OK;
}

static uint8_t m_detach(struct model *m, int d, int e)
{
	if (!m->exists[d] || m->att[e] != d)
		return VIOMMU_S_INVAL;
	m->att[e] = -1;
	if (!m_ndom_eps(m, d))
		m_drop_dom(m, d);
	return VIOMMU_S_OK;
}

static bool m_resv_hit(const struct model *m, int d, uint64_t s, uint64_t e)
{
	for (int i = 0; i < NEP; i++) {
		if (m->att[i] != d || eps[i] != EP_RESV)
			continue;
		if (s <= RESV_LAST && e >= RESV_START)
			return true;
	}
	return false;
}

static uint8_t m_map(struct model *m, int d, uint64_t s, uint64_t e,
		     uint64_t p, uint32_t fl)
{
	if (!m->exists[d])
		return VIOMMU_S_NOENT;
	if (m->n[d] >= MAXM)
		return VIOMMU_S_NOMEM;
	if (m_resv_hit(m, d, s, e))
		return VIOMMU_S_RANGE;
	for (int i = 0; i < m->n[d]; i++)
		if (m->m[d][i].s <= e && m->m[d][i].e >= s)
			return VIOMMU_S_INVAL;
	m->m[d][m->n[d]++] = (struct mmap_){ s, e, p, fl };
	return VIOMMU_S_OK;
}

static uint8_t m_unmap(struct model *m, int d, uint64_t s, uint64_t e)
{
	int j = 0;

	if (!m->exists[d])
		return VIOMMU_S_NOENT;
	for (int i = 0; i < m->n[d]; i++) {
		const struct mmap_ *x = &m->m[d][i];

		if (x->s <= e && x->e >= s && (x->s < s || x->e > e))
			return VIOMMU_S_RANGE;
	}
	for (int i = 0; i < m->n[d]; i++) {
		const struct mmap_ *x = &m->m[d][i];

		if (!(x->s >= s && x->e <= e))
			m->m[d][j++] = *x;
	}
	m->n[d] = j;
	return VIOMMU_S_OK;
}

/* Expected translate of one byte: 0 + pa, or -EFAULT. */
static int m_xl(const struct model *m, int e, uint64_t iova, uint32_t acc,
		uint64_t *pa)
{
	int d = m->att[e];

	if (eps[e] == EP_MSI && iova >= MSI_START && iova <= MSI_LAST) {
		*pa = iova;
		return 0;
	}
	if (d < 0)
		return -EFAULT;
	for (int i = 0; i < m->n[d]; i++) {
		const struct mmap_ *x = &m->m[d][i];

		if (iova < x->s || iova > x->e)
			continue;
		if ((acc & R) && !(x->fl & MR) && !m->wo_reads)
			return -EFAULT;
		if ((acc & W) && !(x->fl & MW))
			return -EFAULT;
		*pa = x->p + (iova - x->s);
		return 0;
	}
	return -EFAULT;
}

#define NSEEN 32
struct seen {
	uint64_t iova;
	uint32_t acc;
	int ep;
};

/* A one-byte access through endpoint e's caller cache: the model's answer,
 * flagged as a bypass exactly in the MSI window. */
static void check_cached(const struct model *m, struct ioas_viommu_tcache *c,
			 int e, uint64_t iova, uint32_t acc, unsigned step)
{
	struct ioas_viommu_dma dma;
	uint64_t mpa = 0;
	int exp = m_xl(m, e, iova, acc, &mpa);
	int got = ioas_viommu_translate_cached(c, iova, 1, acc, &dma);
	bool msi = eps[e] == EP_MSI && iova >= MSI_START && iova <= MSI_LAST;

	if (got != exp ||
	    (!got && (dma.pa != mpa || (dma.flags != 0) != msi)))
		test_fail(__FILE__, __LINE__,
			  "step %u ep %u iova %#llx cached: %d %#llx flags %u, model %d %#llx",
			  step, eps[e], (unsigned long long)iova, got,
			  (unsigned long long)dma.pa, got ? 0 : dma.flags, exp,
			  (unsigned long long)mpa);
}

static void run_model(uint32_t format, uint64_t seed, unsigned steps,
		      bool wo_reads)
{
	struct fx f;
	struct model m;
	struct test_rng rng;
	uint8_t req[VIOMMU_REQ_MAX];
	/* the caches emulated devices hold: the same answers as the device,
	 * for new addresses and for the last NSEEN asked after every step */
	struct ioas_viommu_tcache tc[NEP];
	struct seen seen[NSEEN];
	unsigned nseen = 0;

	test_set_seed(seed);
	test_rng_seed(&rng, seed);
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < NEP; i++)
		m.att[i] = -1;
	m.wo_reads = wo_reads;
	fx_prepare(&f);
	f.cfg.domain_format = format;
	f.cfg.max_mappings = MAXM;
	f.cfg.input_range.last = (1ull << 39) - 1; /* every format's reach */
	fx_start(&f);
	for (int i = 0; i < NEP; i++)
		CHECK_OK(ioas_viommu_tcache_init(&tc[i], f.v, eps[i]));
	for (unsigned step = 0; step < steps; step++) {
		uint32_t op = (uint32_t)test_rng_below(&rng, 100);
		int d = (int)test_rng_below(&rng, NDOM);
		int e = (int)test_rng_below(&rng, NEP);
		uint64_t a = test_rng_below(&rng, SPAN), b;
		uint8_t want;
		struct viod_result r;

		b = a + test_rng_below(&rng, 4);
		if (b >= SPAN)
			b = SPAN - 1;
		if (op < 8) {
			want = m_attach(&m, d, e);
			r = fx_raw(&f, req,
				   viod_build_attach(req, (uint32_t)d, eps[e], 0),
				   4, NULL);
		} else if (op < 12) {
			want = m_detach(&m, d, e);
			r = fx_raw(&f, req,
				   viod_build_detach(req, (uint32_t)d, eps[e]),
				   4, NULL);
		} else if (op < 60) {
			uint64_t p = test_rng_below(&rng, 1ull << 20) * PG;
			uint32_t fl = (uint32_t)test_rng_below(&rng, 3) + 1;
			uint64_t base = RESV_START - 8 * PG;

			want = m_map(&m, d, base + a * PG, base + b * PG + PG - 1,
				     p, fl);
			r = fx_raw(&f, req,
				   viod_build_map(req, (uint32_t)d, base + a * PG,
						  base + b * PG + PG - 1, p, fl),
				   4, NULL);
		} else {
			uint64_t base = RESV_START - 8 * PG;

			want = m_unmap(&m, d, base + a * PG,
				       base + b * PG + PG - 1);
			r = fx_raw(&f, req,
				   viod_build_unmap(req, (uint32_t)d,
						    base + a * PG,
						    base + b * PG + PG - 1),
				   4, NULL);
		}
		if (r.status != want)
			test_fail(__FILE__, __LINE__,
				  "step %u op %u dom %d ep %d: status %u, model %u",
				  step, op, d, e, r.status, want);
		/* whatever the caches hold must still be the device's answer */
		for (unsigned i = 0; i < nseen && i < NSEEN; i++)
			check_cached(&m, &tc[seen[i].ep], seen[i].ep,
				     seen[i].iova, seen[i].acc, step);
		if (step % 8 == 0) {
			for (int k = 0; k < 16; k++) {
				int ee = (int)test_rng_below(&rng, NEP);
				uint64_t iova = RESV_START - 8 * PG +
						test_rng_below(&rng, SPAN * PG);
				uint32_t acc = test_rng_below(&rng, 2) ? R : W;
				uint64_t pa = 0, mpa = 0;
				int got, exp;

				/* now and then the edges of the MSI window */
				if (k == 0)
					iova = test_rng_below(&rng, 2)
						       ? MSI_START - PG +
								 test_rng_below(&rng, 2 * PG)
						       : MSI_LAST - PG + 1 +
								 test_rng_below(&rng, 2 * PG);
				exp = m_xl(&m, ee, iova, acc, &mpa);
				got = fx_xl(&f, eps[ee], iova, acc, &pa);
				if (got != exp || (!got && pa != mpa))
					test_fail(__FILE__, __LINE__,
						  "step %u ep %u iova %#llx: %d %#llx, model %d %#llx",
						  step, eps[ee],
						  (unsigned long long)iova, got,
						  (unsigned long long)pa, exp,
						  (unsigned long long)mpa);
				/* a miss that fills, then (often) a hit */
				check_cached(&m, &tc[ee], ee, iova, acc, step);
				check_cached(&m, &tc[ee], ee, iova, acc, step);
				seen[nseen++ % NSEEN] =
					(struct seen){ iova, acc, ee };
			}
		}
	}
	fx_fini(&f);
}

TEST(model_host)
{
	run_model(IOAS_VIOMMU_FMT_HOST, test_seed(), 4000 * test_scale(), false);
}

TEST(model_vtd_ss)
{
	run_model(IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_VTD_SS,
		  test_seed() + 1, 2000 * test_scale(), false);
}

TEST(model_arm_s1)
{
	run_model(IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_ARM_S1,
		  test_seed() + 2, 2000 * test_scale(), true);
}

/* ---- fail-nth over request processing ------------------------------------------ */

static void failnth_format(uint32_t format)
{
	uint8_t req[VIOMMU_REQ_MAX];

	for (uint64_t n = 1;; n++) {
		struct fx f;
		uint8_t st;
		uint64_t pa;
		bool fired;

		fx_prepare(&f);
		f.cfg.domain_format = format;
		f.cfg.input_range.last = (1ull << 39) - 1;
		fx_start(&f);
		CHECK_EQ(viod_attach(f.d, 1, EP_PLAIN, 0), VIOMMU_S_OK);
		CHECK_EQ(viod_map(f.d, 1, 0x4000, 0x4fff, 0x20000, MR),
			 VIOMMU_S_OK);

		ioas_ctx_fail_nth(f.ctx, n);
		/* a new domain for a second endpoint, a map there, a move */
		st = fx_raw(&f, req, viod_build_attach(req, 2, EP_MSI, 0), 4,
			    NULL).status;
		CHECK(st == VIOMMU_S_OK || st == VIOMMU_S_NOMEM);
		if (st == VIOMMU_S_NOMEM)
			CHECK_EQ(viod_map(f.d, 2, 0x4000, 0x4fff, 0, MR),
				 VIOMMU_S_NOENT);
		st = (uint8_t)viod_map(f.d, 1, 0x8000, 0xbfff, 0x40000, MR | MW);
		CHECK(st == VIOMMU_S_OK || st == VIOMMU_S_NOMEM);
		if (st == VIOMMU_S_NOMEM)
			CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x8000, R, NULL), -EFAULT);
		st = (uint8_t)viod_attach(f.d, 3, EP_PLAIN, 0);
		CHECK(st == VIOMMU_S_OK || st == VIOMMU_S_NOMEM);
		if (st == VIOMMU_S_NOMEM) {
			/* still in domain 1 with its mapping */
			CHECK_OK(fx_xl(&f, EP_PLAIN, 0x4000, R, &pa));
			CHECK_EQ(pa, 0x20000);
		} else {
			CHECK_ERR(fx_xl(&f, EP_PLAIN, 0x4000, R, NULL), -EFAULT);
		}
		fired = ioas_ctx_fail_nth_fired(f.ctx);
		ioas_ctx_fail_nth(f.ctx, 0);
		/* the device keeps working */
		CHECK_EQ(viod_attach(f.d, 9, EP_RESV, 0), VIOMMU_S_OK);
		CHECK_EQ(viod_map(f.d, 9, 0x100000, 0x100fff, 0x1000, MR),
			 VIOMMU_S_OK);
		CHECK_OK(fx_xl(&f, EP_RESV, 0x100000, R, &pa));
		CHECK_EQ(pa, 0x1000);
		fx_fini(&f);
		if (!fired)
			break;
		CHECK(n < 10000);
	}
}

TEST(failnth_host)
{
	failnth_format(IOAS_VIOMMU_FMT_HOST);
}

TEST(failnth_paging)
{
	failnth_format(IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_VTD_SS);
}

/* ---- translate on other threads while requests run (TSan), one thread through
 * caches of its own --------------------------------------------------------------- */

#include <pthread.h>
#include <stdatomic.h>

struct conc {
	struct fx *f;
	atomic_bool stop;
	atomic_uint bad;
};

struct conc_thread {
	struct conc *c;
	bool cached; /* through caches of its own, as an emulated device */
};

static void *conc_xl(void *arg)
{
	struct conc_thread *ct = arg;
	struct conc *c = ct->c;
	struct ioas_viommu_tcache tc, tm;
	unsigned i = 0;

	if (ct->cached &&
	    (ioas_viommu_tcache_init(&tc, c->f->v, EP_PLAIN) ||
	     ioas_viommu_tcache_init(&tm, c->f->v, EP_MSI)))
		atomic_fetch_add(&c->bad, 1);
	while (!atomic_load(&c->stop)) {
		uint64_t page = (i++ * 5) % 16, pa = 0;
		struct ioas_viommu_dma dma;
		int r;

		if (!ct->cached) {
			r = fx_xl(c->f, EP_PLAIN, 0x400000 + page * PG + 4, R,
				  &pa);
		} else {
			r = ioas_viommu_translate_cached(
				&tc, 0x400000 + page * PG + 4, 1, R, &dma);
			pa = r ? 0 : dma.pa;
			if (ioas_viommu_translate_cached(&tm, MSI_START + page * PG,
							 4, W, &dma) ||
			    dma.pa != MSI_START + page * PG ||
			    dma.flags != IOAS_VIOMMU_DMA_BYPASS)
				atomic_fetch_add(&c->bad, 1);
		}
		if ((r == 0 && pa != 0x800000 + page * PG + 4) ||
		    (r && r != -EFAULT))
			atomic_fetch_add(&c->bad, 1);
	}
	return NULL;
}

TEST(concurrent_translate_during_requests)
{
	struct fx f;
	struct conc c;
	struct conc_thread ct[2];
	pthread_t t[2];

	fx_init(&f);
	c.f = &f;
	atomic_init(&c.stop, false);
	atomic_init(&c.bad, 0);
	for (int i = 0; i < 2; i++) {
		ct[i].c = &c;
		ct[i].cached = i == 1;
		CHECK(!pthread_create(&t[i], NULL, conc_xl, &ct[i]));
	}
	for (unsigned it = 0; it < 400 * test_scale(); it++) {
		uint64_t page = it % 16;

		if (it % 50 == 0)
			CHECK_EQ(viod_attach(f.d, 1 + (it / 50) % 2, EP_PLAIN, 0),
				 VIOMMU_S_OK);
		(void)viod_map(f.d, 1 + (it / 50) % 2, 0x400000 + page * PG,
			       0x400000 + page * PG + PG - 1,
			       0x800000 + page * PG, MR);
		if (it % 3 == 0)
			(void)viod_unmap(f.d, 1 + (it / 50) % 2,
					 0x400000 + page * PG,
					 0x400000 + page * PG + PG - 1);
	}
	atomic_store(&c.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	{
		/* guest memory is shared without locks, as with a real guest:
		 * the event ring is read only once the DMA threads stopped */
		uint8_t rec[VIOMMU_FAULT_SIZE];
		uint32_t len;

		while (viod_event_next(f.d, rec, &len) == 1)
			CHECK_EQ(len, VIOMMU_FAULT_SIZE);
	}
	CHECK_EQ(atomic_load(&c.bad), 0);
	fx_fini(&f);
}
